"""Central's shipped systemd units, checked by systemd itself and run as systemd would run them.

Each unit is read as shipped with its install paths moved into the test's folder (the program to
this checkout's `waystation` script, /etc/waystation and /var/lib/waystation to temporary ones).
`systemd-analyze verify` loads them; then their ExecStart=, Environment= and EnvironmentFile= lines
are expanded by systemd's rules (%i, `$VAR` split into words, `${VAR}` one word) and the commands run
as real processes in the unit's working directory, with nothing of this process's environment but
PATH: the province layout (web alone, two ingest workers on one MQTT 5 shared subscription, job
workers alone) and the one-machine layout. SIGTERM stops them, as `systemctl stop` does.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from tests.brokers import free_port
from tests.conftest import ROOT, SECRETS, tail, wait_until
from tests.test_failures import STATION, EventStream, assert_exactly_once, use_central_db
from waystation.paths import PROJECT_ROOT
from waystation.settings import DEFAULTS_PATH

SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze"  # Debian: apt-get install systemd
SYSTEMD = PROJECT_ROOT / "config/systemd"
UNITS = ("waystation-central.service", "waystation-ingest@.service", "waystation-jobs.service")
PROGRAM = "/opt/waystation/.venv/bin/waystation"
# The PATH systemd gives system services; nothing else of the test's environment reaches them.
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Install:
    """Where the units' install paths point in this test: /etc/waystation and /var/lib/waystation under a folder."""

    root: Path

    @property
    def etc(self) -> Path:
        return self.root / "etc/waystation"

    @property
    def state(self) -> Path:
        return self.root / "var/lib/waystation"

    def unit(self, name: str) -> str:
        """The shipped unit's text with its install paths moved here (the program to this checkout's script)."""
        text = (SYSTEMD / name).read_text()
        for shipped, here in ((PROGRAM, str(console_script())), ("/etc/waystation", str(self.etc)),
                              ("/var/lib/waystation", str(self.state))):
            text = text.replace(shipped, here)
        return text


def console_script() -> Path:
    """The `waystation` script pip installed beside this Python: what /opt/waystation/.venv/bin/waystation is."""
    script = Path(sys.executable).parent / "waystation"
    assert script.exists(), f"no {script}: install the project into this environment (pip install -e .)"
    return script


# --- reading a unit as systemd does -----------------------------------------------------------------

def directives(text: str, section: str = "Service") -> list[tuple[str, str]]:
    """A unit section's settings, in order (a key may repeat)."""
    found, current = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section:
            key, _, value = line.partition("=")
            found.append((key.strip(), value.strip()))
    return found


def setting(text: str, key: str, section: str = "Service") -> str:
    """The one value of a setting."""
    [value] = [v for k, v in directives(text, section) if k == key]
    return value


def specifiers(value: str, instance: str | None) -> str:
    """%i (the instance name) and %% expanded; any other specifier is one this test does not know."""
    def one(match: re.Match) -> str:
        if match[1] == "%":
            return "%"
        assert match[1] == "i" and instance is not None, f"unexpected specifier %{match[1]} in {value!r}"
        return instance
    return re.sub(r"%(.)", one, value)


def environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an EnvironmentFile (comments and blank lines skipped, one pair of quotes removed)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[key.strip()] = value
    return found


def service_environment(text: str, instance: str | None = None) -> dict[str, str]:
    """The unit's Environment= then EnvironmentFile= variables (a file's override Environment=, as in systemd)."""
    env: dict[str, str] = {}
    for key, value in directives(text):
        if key == "Environment":
            env.update(word.split("=", 1) for word in shlex.split(specifiers(value, instance)))
    for key, value in directives(text):
        if key == "EnvironmentFile":
            optional, path = value.startswith("-"), Path(specifiers(value.removeprefix("-"), instance))
            if path.exists() or not optional:
                env.update(environment_file(path))
    return env


def command_line(text: str, env: dict[str, str], instance: str | None = None) -> list[str]:
    """ExecStart= as the words systemd runs: a lone `$VAR` becomes its value split at whitespace (no word
    when empty or unset), `${VAR}` exactly its value, in one word."""
    words = []
    for word in shlex.split(specifiers(setting(text, "ExecStart"), instance)):
        lone = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if lone:
            words += env.get(lone[1], "").split()
        else:
            words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m[1], ""), word))
    assert words[0].startswith("/"), f"ExecStart= with a prefix or a relative program: {words[0]}"
    return words


def seconds(value: str) -> float:
    """A systemd time span such as 30, 30s or 1min, in seconds."""
    number, unit = re.fullmatch(r"(\d+)\s*(s|min|)", value).groups()
    return float(number) * (60 if unit == "min" else 1)


class Service:
    """One unit's ExecStart= running as a real process: its environment only, in its working directory."""

    def __init__(self, install: Install, name: str, instance: str | None = None):
        self.text = install.unit(name)
        self.name = name.replace("@", f"@{instance}") if instance else name
        unit_env = service_environment(self.text, instance)
        self.command = command_line(self.text, unit_env, instance)
        # PYTHONPATH: the script imports this checkout, not wherever the environment's package points.
        self.env = {"PATH": SERVICE_PATH, "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT), **unit_env}
        self.cwd = Path(setting(self.text, "WorkingDirectory"))
        self.log = install.root / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Service:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> int:
        """SIGTERM, as `systemctl stop` sends; the exit status, within the unit's TimeoutStopSec."""
        assert self.alive(), f"{self.name} died before it was stopped{tail(self.log)}"
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=seconds(setting(self.text, "TimeoutStopSec")))

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def services():
    """Unit processes a test starts; whatever is still running at the end is killed."""
    started: list[Service] = []
    yield started
    for service in started:
        service.kill()


# --- checked by systemd ----------------------------------------------------------------------------

def verify(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SYSTEMD_ANALYZE, "verify", *map(str, paths)], capture_output=True, text=True, timeout=60)


def test_the_shipped_central_units_pass_systemd_analyze_verify(tmp_path):
    install = Install(tmp_path)
    for name in UNITS:
        (tmp_path / name).write_text(install.unit(name))
    # The template as systemd loads an instance of it (from the same folder), %i and all.
    result = verify(tmp_path / "waystation-central.service", tmp_path / "waystation-jobs.service",
                    tmp_path / "waystation-ingest@1.service")
    # verify exits 0 even for a directive it ignores: any complaint at all fails the test.
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr

    broken = tmp_path / "broken@.service"
    broken.write_text(install.unit("waystation-ingest@.service").replace("Restart=on-failure", "Restart=often"))
    assert "restart specifier" in verify(tmp_path / "broken@2.service").stderr
    # As shipped, the program is where this machine has none: verify looks for it.
    (tmp_path / "shipped.service").write_text((SYSTEMD / "waystation-central.service").read_text())
    missing = verify(tmp_path / "shipped.service")
    assert missing.returncode != 0 and PROGRAM in missing.stderr, missing.stderr


def test_the_units_restart_on_ingest_death_not_on_a_configuration_error_and_wait_for_a_clean_stop():
    shutdown = tomllib.loads(DEFAULTS_PATH.read_text())["jobs"]["shutdown_seconds"]
    for name in UNITS:
        text = (SYSTEMD / name).read_text()
        assert setting(text, "Restart") == "on-failure" and setting(text, "RestartPreventExitStatus") == "2", name
        assert seconds(setting(text, "TimeoutStopSec")) >= shutdown + 15, name  # running exports, then the rest
        assert setting(text, "User") == setting(text, "Group") == "waystation", name
        ordering = dict(directives(text, "Unit"))
        assert "postgresql.service" in ordering["After"] and "Requires" not in ordering, name
        assert setting(text, "ExecStart").startswith(f"{PROGRAM} --config /etc/waystation/central.toml "), name
    assert "mosquitto.service" in dict(directives((SYSTEMD / UNITS[0]).read_text(), "Unit"))["After"]


def test_hardening_leaves_writable_every_folder_central_writes_by_default():
    """ProtectSystem=full makes /usr, /boot, /efi and /etc read-only: the database, exports, imports,
    classroom files and backups (relative to the working directory by default) must be elsewhere."""
    defaults = tomllib.loads(DEFAULTS_PATH.read_text())
    written = [defaults["database"]["url"].removeprefix("sqlite:///"), defaults["reports"]["export_dir"],
               defaults["central"]["import_dir"], defaults["classroom"]["media_dir"], defaults["backup"]["dir"]]
    for name in (*UNITS, "waystation-backup.service"):
        text = (SYSTEMD / name).read_text()
        assert setting(text, "ProtectSystem") == "full" and setting(text, "PrivateTmp") == "true", name
        assert setting(text, "NoNewPrivileges") == "true", name
        home = PurePosixPath(setting(text, "WorkingDirectory"))
        for relative in written:
            assert not PurePosixPath(relative).is_absolute(), relative
            path = home / relative
            # /tmp is each unit's own (PrivateTmp): a folder two processes share cannot be there.
            barred = [top for top in ("/usr", "/boot", "/efi", "/etc", "/tmp") if path.is_relative_to(top)]
            assert not barred, f"{name}: {path} is under {barred[0]}"


# --- run as systemd would run them -----------------------------------------------------------------

def migrated_install(root: Path, broker, topic_root: str) -> tuple[Install, int]:
    """An install under `root` with its site file (central on a free port) and its database migrated, as the
    docs have it done before the units are enabled; and that port."""
    install, port = Install(root), free_port()
    write_site_file(install, broker, topic_root, port)
    waystation(install, "migrate", "central")
    return install, port


def write_site_file(install: Install, broker, topic_root: str, port: int) -> Path:
    """/etc/waystation/central.toml of docs/operations.md: the test's broker (MQTT 5, a shared group) and database."""
    install.etc.mkdir(parents=True)
    install.state.mkdir(parents=True)
    site = install.etc / "central.toml"
    q = json.dumps  # a TOML basic string
    site.write_text(f"""[broker]
url = {q(broker.url)}
admin_url = {q(broker.admin_url)}
protocol = "5"
topic_root = {q(topic_root)}
reconnect_min_s = 1
reconnect_max_s = 2
[database]
url = {q(f"sqlite:///{install.state}/central.db")}
[central]
port = {port}
secret_key = {q(SECRETS["central"]["secret_key"])}
data_key = {q(SECRETS["central"]["data_key"])}
[ingest]
shared_group = "ingest"
batch_wait_ms = 20
[jobs]
poll_seconds = 0.2
""")
    site.chmod(0o600)
    return site


def waystation(install: Install, *args: str, **env: str) -> str:
    """An operator's `waystation --config /etc/waystation/central.toml ARGS` in the working directory; its output."""
    result = subprocess.run([str(console_script()), "--config", str(install.etc / "central.toml"), *args],
                            cwd=install.state, capture_output=True, text=True, timeout=120,
                            env={"PATH": SERVICE_PATH, "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT), **env})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def serving(service: Service, port: int) -> None:
    """Wait until the web process answers its sign-in page."""
    def up() -> bool:
        assert service.alive(), f"{service.name} died{tail(service.log)}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2) as answer:
                return answer.status == 200 and b'name="password"' in answer.read()
        except OSError:
            return False
    wait_until(up, timeout=60, interval=0.2, message=f"{service.name} serving on {port}")


def connected(broker, service: Service, client_id: str, user: str) -> None:
    """Wait until the broker has the service's connection, as client_id, MQTT 5, with user's account, and its
    subscription to the shared group."""
    def seen() -> bool:
        assert service.alive(), f"{service.name} died{tail(service.log)}{tail(broker.workdir / 'mosquitto.log')}"
        log = broker.log()
        return (re.search(rf"New client connected from \S+ as {re.escape(client_id)} \(p5, .*u'{user}'\)", log)
                and re.search(rf"^\d+: {re.escape(client_id)} \d \$share/ingest/", log, re.M))
    wait_until(seen, timeout=60, interval=0.2, message=f"{client_id} connected and subscribed as {user}")


@pytest.mark.timeout(300)
def test_the_province_layout_web_alone_two_ingest_instances_and_the_job_workers(
        mosquitto, topic_root, tmp_path, services):
    install, port = migrated_install(tmp_path, mosquitto, topic_root)
    # docs/operations.md, Scaling out: one broker account per ingest worker, bound to its client id.
    for n in ("1", "2"):
        made = waystation(install, "broker-account", "central", "--user", f"central-{n}",
                          WAYSTATION_INGEST_CLIENT_ID=f"waystation-ingest-{n}")
        password = re.search(r"password (\S+)", made)[1]
        (install.etc / f"ingest-{n}.env").write_text(
            f"WAYSTATION_BROKER_URL=mqtt://central-{n}:{password}@127.0.0.1:{mosquitto.port}\n")
    (install.etc / "central.env").write_text("# the province layout\nCENTRAL_ARGS=--no-ingest\n"
                                             "WAYSTATION_JOBS_WORKERS=0\n")

    web = Service(install, "waystation-central.service")
    ingest = [Service(install, "waystation-ingest@.service", n) for n in ("1", "2")]
    jobs = Service(install, "waystation-jobs.service")
    assert web.command[-2:] == ["central", "--no-ingest"]
    assert [i.env["WAYSTATION_INGEST_CLIENT_ID"] for i in ingest] == ["waystation-ingest-1", "waystation-ingest-2"]
    for service in (web, *ingest, jobs):
        services.append(service.start())
    serving(web, port)
    for n, worker in zip(("1", "2"), ingest, strict=True):
        connected(mosquitto, worker, f"waystation-ingest-{n}", f"central-{n}")
    wait_until(lambda: "job workers started" in jobs.log.read_text(), timeout=60, message=f"jobs{tail(jobs.log)}")
    assert "job workers started" not in web.log.read_text() and "connecting to" not in web.log.read_text()

    use_central_db(f"sqlite:///{install.state}/central.db")
    sent = EventStream(mosquitto.port, topic_root, count=20, per_second=40).start().finish()
    assert_exactly_once(sent, mosquitto.port, topic_root, log=ingest[0].log)
    # The broker shared the check-ins between the two workers (round robin), each one to one of them.
    handed = {n: len(re.findall(rf"Sending PUBLISH to waystation-ingest-{n} .*/{STATION}/", mosquitto.log()))
              for n in ("1", "2")}
    assert all(handed.values()) and sum(handed.values()) >= len(sent), handed
    for service in (web, *ingest, jobs):
        assert service.terminate() == 0, f"{service.name} did not stop cleanly{tail(service.log)}"


@pytest.mark.timeout(180)
def test_the_one_machine_layout_central_with_its_ingest_and_jobs_without_central_env(
        mosquitto, topic_root, tmp_path, services):
    """No central.env: `$CENTRAL_ARGS` is no word at all (`${CENTRAL_ARGS}` would be an empty argument)."""
    install, port = migrated_install(tmp_path, mosquitto, topic_root)
    central = Service(install, "waystation-central.service")
    assert central.command[-1] == "central" and not (install.etc / "central.env").exists()
    services.append(central.start())
    serving(central, port)
    wait_until(lambda: "job workers started" in central.log.read_text(), timeout=60, message="central's job workers")
    # The site file's broker account (the tests' here) with the default client id, ingest.client_id.
    wait_until(lambda: re.search(r"as waystation-ingest-1 \(p5, .*u'waystation-tests'\)", mosquitto.log()),
               timeout=60, message=f"central's ingest connected{tail(central.log)}")
    use_central_db(f"sqlite:///{install.state}/central.db")
    sent = EventStream(mosquitto.port, topic_root, count=5, per_second=20).start().finish()
    assert_exactly_once(sent, mosquitto.port, topic_root, log=central.log)
    assert central.terminate() == 0, f"central did not stop cleanly{tail(central.log)}"
    assert (install.state / "central.db").exists()
