"""Real MQTT brokers for tests and benchmarks: Mosquitto processes on free ports, and the embedded one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from waystation.paths import CONFIG_DIR

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


SHIPPED_CONF = CONFIG_DIR / "mosquitto" / "waystation.conf"

def _shipped_lines() -> list[str]:
    return SHIPPED_CONF.read_text().splitlines()


def _key(line: str) -> str:
    return line.split(" ", 1)[0] if line and not line.startswith("#") else ""


def _run_as_root_lines() -> list[str]:
    # As root Mosquitto drops to the `mosquitto` user, which cannot write the test's private
    # directory: persistence and the log would fail silently and a restart would lose sessions.
    return ["user root"] if os.geteuid() == 0 else []


class MosquittoProcess:
    """A Mosquitto process on free ports with a config this class writes; start, stop, kill, start again.

    The base of the brokers below, all of which run the shipped config (config/mosquitto/): tests
    do not run an anonymous Mosquitto (only the demo's embedded broker is open, on loopback).
    """

    def __init__(self, port: int | None = None, workdir: Path | None = None):
        self.port = port or free_port()
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="mosquitto-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.started = False
        self.conf = self.workdir / "mosquitto.conf"

    def _write_conf(self) -> None:
        raise NotImplementedError

    def _new_ports(self) -> None:
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> MosquittoProcess:
        """Start (or start again, with the same port and persisted sessions); return once it listens.

        Another test process may take the free port between free_port() and Mosquitto's bind: a first
        start then moves to another free port (a restart keeps its port, which clients reconnect to).
        """
        for _ in range(5):
            runs_before = self._log().count(" running")
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
            deadline = time.monotonic() + timeout
            # Its own log line, not an open port: the port may be another process's listener.
            while self._log().count(" running") == runs_before or not port_open(self.port):
                if self.proc.poll() is not None:
                    if not self.started and "Address already in use" in self._log():
                        break
                    raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode()}{self._log()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"mosquitto did not start: {self._log()}")
                time.sleep(0.02)
            else:
                self.started = True
                return self
            self._new_ports()
            self._write_conf()
        raise RuntimeError("mosquitto found no free port")

    def _log(self) -> str:
        try:
            return (self.workdir / "mosquitto.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, kill: bool = False) -> None:
        """Stop: SIGTERM saves the persistence file; kill=True is a crash that saves nothing."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass(frozen=True)
class BrokerCertificates:
    """A CA made for one test, and a server certificate it signed for 127.0.0.1 and localhost."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


def make_certificates(directory: Path, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> BrokerCertificates:
    """A fresh CA and a server certificate for `hosts`, as PEM files in `directory`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    def write_key(path: Path, key) -> None:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Waystation test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address(h)) if h[0].isdigit() else x509.DNSName(h) for h in hosts]
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
              .issuer_name(ca_name).public_key(server_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName(names), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    certs = BrokerCertificates(directory / "ca.crt", directory / "ca.key", directory / "server.crt",
                             directory / "server.key")
    certs.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    write_key(certs.ca_key, ca_key)
    certs.server_cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    write_key(certs.server_key, server_key)
    return certs


def make_client_certificate(certs: BrokerCertificates, name: str) -> tuple[Path, Path]:
    """A client certificate for `name` signed by the test CA: (certificate, key) PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key = serialization.load_pem_private_key(certs.ca_key.read_bytes(), None)
    ca = x509.load_pem_x509_certificate(certs.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = certs.ca_cert.parent / f"{name}.crt", certs.ca_cert.parent / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# The account the tests of the MQTT path use (a Dynamic Security client whose role allows every
# topic), so they run the shipped config too. Its password is a test fixture, not a secret.
TEST_ACCOUNT = ("waystation-tests", "tests-only-not-a-secret")


def _dynsec_init(path: Path, username: str, password: str) -> None:
    subprocess.run(["mosquitto_ctrl", "dynsec", "init", str(path), username, password], check=True, timeout=10,
                   capture_output=True)


def _add_test_account(dynsec_file: Path, workdir: Path) -> None:
    """Add TEST_ACCOUNT to a Dynamic Security file, with a role that may publish and subscribe everywhere."""
    scratch = workdir / "test-account.json"
    _dynsec_init(scratch, *TEST_ACCOUNT)  # the plugin's own password hashing, as the admin's
    client = json.loads(scratch.read_text())["clients"][0]
    scratch.unlink()
    client.update(textName="Waystation tests", roles=[{"rolename": "waystation-tests"}])
    config = json.loads(dynsec_file.read_text())
    config["clients"].append(client)
    config["roles"].append({"rolename": "waystation-tests", "acls": [
        {"acltype": kind, "topic": "#", "allow": True}
        for kind in ("publishClientSend", "publishClientReceive", "subscribePattern", "unsubscribePattern")]})
    dynsec_file.write_text(json.dumps(config, indent=2))


class SecureMosquitto(MosquittoProcess):
    """Mosquitto with the whole shipped config: Dynamic Security, no anonymous access, TLS with a test CA.

    Only the paths (persistence, the plugin's file, certificates) and the two ports are replaced:
    `port` is the loopback plain listener (central, the admin), `tls_port` the TLS one (stations).
    The plugin's file starts with one admin account (`admin_user`/`admin_password`), made by
    `mosquitto_ctrl dynsec init` as docs/operations.md says. With `test_account`, it also holds
    TEST_ACCOUNT, which may use every topic: the broker the tests of the MQTT path share, where
    `url` carries that account (the permission tests make each device's account instead).
    """

    admin_user = "ws-admin"

    def __init__(self, port: int | None = None, workdir: Path | None = None, tls_port: int | None = None,
                 cert_hosts: tuple[str, ...] = ("localhost", "127.0.0.1"), certs: BrokerCertificates | None = None,
                 require_client_certificate: bool = False, test_account: bool = False):
        super().__init__(port, workdir)
        self.tls_port = tls_port or free_port()
        self.require_client_certificate = require_client_certificate
        self.certs = certs or make_certificates(self.workdir / "certs", cert_hosts)
        self.dynsec_file = self.workdir / "dynamic-security.json"
        self.admin_password = os.urandom(12).hex()
        _dynsec_init(self.dynsec_file, self.admin_user, self.admin_password)
        self.test_account = test_account
        if test_account:
            _add_test_account(self.dynsec_file, self.workdir)
        self._write_conf()

    def _new_ports(self) -> None:
        self.port, self.tls_port = free_port(), free_port()

    def _write_conf(self) -> None:
        replace = {
            "persistence_location": f"persistence_location {self.workdir}/",
            "plugin_opt_config_file": f"plugin_opt_config_file {self.dynsec_file}",
            "cafile": f"cafile {self.certs.ca_cert}",
            "certfile": f"certfile {self.certs.server_cert}",
            "keyfile": f"keyfile {self.certs.server_key}",
        }
        lines = []
        for line in _shipped_lines():
            key = _key(line)
            if key == "listener":
                # The shipped file's loopback listener, then its TLS one (bound to loopback here too).
                lines.append(f"listener {self.port} 127.0.0.1" if "127.0.0.1" in line
                             else f"listener {self.tls_port} 127.0.0.1")
            else:
                lines.append(replace.get(key, line))
            if key == "keyfile" and self.require_client_certificate:
                lines.append("require_certificate true")
        assert sum(_key(line) == "listener" for line in lines) == 2, "the shipped config changed its listeners"
        self.conf.write_text("\n".join([*lines, f"log_dest file {self.workdir}/mosquitto.log",
                                        "log_type all", *_run_as_root_lines(), ""]))

    @property
    def url(self) -> str:
        """The loopback listener's URL: with the test account's credentials if it has one, else none."""
        if self.test_account:
            return f"mqtt://{TEST_ACCOUNT[0]}:{TEST_ACCOUNT[1]}@127.0.0.1:{self.port}"
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        """The dynsec admin's URL on the loopback listener, for broker.admin_url."""
        return f"mqtt://{self.admin_user}:{self.admin_password}@127.0.0.1:{self.port}"

    def tls_url(self, username: str = "", password: str = "", host: str = "localhost") -> str:
        """The TLS listener's URL, with credentials when given."""
        auth = f"{username}:{password}@" if username else ""
        return f"mqtts://{auth}{host}:{self.tls_port}"

    def log(self) -> str:
        """What the broker has logged so far."""
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


class AclFileMosquitto(SecureMosquitto):
    """The shipped config for a broker without Dynamic Security: a password file and the generated ACL file.

    As docs/operations.md says: the shipped file's plugin lines give way to `password_file`,
    `acl_file` (from `waystation broker-acl`) and `use_username_as_clientid true`.
    """

    def __init__(self, acl_text: str, users: dict[str, str], workdir: Path | None = None):
        self.acl_text, self.users = acl_text, users
        super().__init__(workdir=workdir)

    def _write_conf(self) -> None:
        super()._write_conf()
        passwords = self.workdir / "passwords"
        passwords.unlink(missing_ok=True)
        for i, (user, password) in enumerate(self.users.items()):
            subprocess.run(["mosquitto_passwd", "-b", *(["-c"] if i == 0 else []), str(passwords), user, password],
                           check=True, timeout=10, capture_output=True)
        (self.workdir / "waystation.acl").write_text(self.acl_text)
        lines = []
        for line in self.conf.read_text().splitlines():
            if _key(line) in ("plugin", "plugin_opt_config_file"):
                continue
            lines.append(line)
            if line == "allow_anonymous false":
                lines += [f"password_file {passwords}", f"acl_file {self.workdir / 'waystation.acl'}"]
            elif _key(line) == "listener":
                # A listener's own setting: outside a listener block it would open a default one on 1883.
                lines.append("use_username_as_clientid true")
        self.conf.write_text("\n".join(lines) + "\n")


def mosquitto_pub(port: int, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False) -> None:
    """Publish with the real mosquitto_pub command line client."""
    args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-u", TEST_ACCOUNT[0], "-P", TEST_ACCOUNT[1],
            "-q", str(qos), "-t", topic]
    if retain:
        args.append("-r")
    if isinstance(payload, bytes):
        subprocess.run([*args, "-s"], input=payload, check=True, timeout=10)
    else:
        subprocess.run([*args, "-m", payload], check=True, timeout=10)
