"""`waystation users` and `waystation tokens` run as a user runs them: subprocesses on a real database,
the password on standard input. From an empty database to a signed-in admin."""

from __future__ import annotations

import os
import subprocess
import sys

from station_admin import create_app
from station_admin.core.audit import AuditEntry
from station_admin.core.models import ApiToken, StaffUser, db
from tests.conftest import csrf_of, make_settings
from waystation.paths import PROJECT_ROOT

GOOD = "Hx7-plover-basin"


def waystation(db_url: str, *args: str, stdin: str = "", lang: str = "en_GB.UTF-8", **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_") and k not in ("LC_ALL", "LANG")}
    return subprocess.run([sys.executable, "-m", "waystation.cli", "--log-level", "WARNING", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT,
                          env={**clean, "WAYSTATION_DATABASE_URL": db_url, "LANG": lang, **env})


def test_the_first_admin_from_an_empty_database_signs_in(central_db_url):
    assert waystation(central_db_url, "migrate", "central").returncode == 0
    short = waystation(central_db_url, "users", "add", "root", "--role", "admin", stdin="abc123\n")
    assert short.returncode == 1 and "The password is too short: at least 10 characters." in short.stderr
    common = waystation(central_db_url, "users", "add", "root", "--role", "admin", stdin="qwertyuiop\n",
                        lang="zh_CN.UTF-8")
    assert common.returncode == 1 and "这个密码太常见或太简单" in common.stderr
    named = waystation(central_db_url, "users", "add", "root", "--role", "admin", stdin="root-and-more-1\n")
    assert named.returncode == 1 and "must not contain the user name" in named.stderr
    made = waystation(central_db_url, "users", "add", "root", "--role", "admin", "--display-name", "管理员",
                      stdin=GOOD + "\n")
    assert made.returncode == 0 and "Staff user root (admin) created." in made.stdout
    assert GOOD not in made.stdout + made.stderr
    again = waystation(central_db_url, "users", "add", "root", "--role", "admin", stdin=GOOD + "\n")
    assert again.returncode == 1 and "already taken" in again.stderr
    scope = waystation(central_db_url, "users", "add", "wang", "--role", "manager", "--station", "nowhere",
                       stdin=GOOD + "\n")
    assert scope.returncode == 1 and "There is no station with the code: nowhere." in scope.stderr

    app = create_app(make_settings(database={"url": central_db_url}).as_dict())
    app.config["TESTING"] = True
    client = app.test_client()
    client.get("/auth/login")
    response = client.post("/auth/login", data={"username": "root", "password": GOOD, "csrf_token": csrf_of(client)})
    assert response.status_code == 303
    assert client.get("/admin/stations").status_code == 200
    with app.app_context(), db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "staff.add")
        assert entry.actor_name == "system" and entry.details["after"]["role"] == "admin"
        assert GOOD not in StaffUser.get(StaffUser.username == "root").password_hash
    db.close()

    listed = waystation(central_db_url, "users", "list")
    assert listed.returncode == 0 and listed.stdout.split("\t")[:4] == ["root", "admin", "-", "active"]
    assert waystation(central_db_url, "users", "passwd", "root", stdin="Qm4-harbour-lantern\n").returncode == 0
    assert waystation(central_db_url, "users", "passwd", "ghost", stdin=GOOD + "\n").returncode == 1
    disabled = waystation(central_db_url, "users", "disable", "root")
    assert disabled.returncode == 0
    assert client.get("/admin/stations").status_code == 302  # its open session is refused at once
    assert "disabled" in waystation(central_db_url, "users", "list").stdout


def test_a_token_is_printed_once_kept_as_a_hash_and_revoked(central_db_url):
    assert waystation(central_db_url, "migrate", "central").returncode == 0
    issued = waystation(central_db_url, "tokens", "add", "wall", "--role", "admin")
    assert issued.returncode == 0
    token = issued.stdout.strip()
    assert token.startswith("wst_") and "shown only now" in issued.stderr
    app = create_app(make_settings(database={"url": central_db_url}).as_dict())
    client = app.test_client()
    assert client.get("/api/v1/stations", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context(), db.connection_context():
        assert token not in ApiToken.get(ApiToken.name == "wall").token_hash
    db.close()
    listed = waystation(central_db_url, "tokens", "list").stdout
    assert token not in listed and "wall\tadmin" in listed
    revoked = waystation(central_db_url, "tokens", "revoke", "wall", lang="zh_CN.UTF-8")
    assert revoked.returncode == 0 and "已吊销 API 令牌 wall" in revoked.stdout
    assert client.get("/api/v1/stations", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert waystation(central_db_url, "tokens", "revoke", "wall").returncode == 1
    federation = waystation(central_db_url, "tokens", "add", "fed", "--role", "federation", "--federation", "none")
    assert federation.returncode == 1 and "There is no federation" in federation.stderr


def test_the_demo_seed_refuses_outside_demo_mode(central_db_url):
    refused = waystation(central_db_url, "seed-demo")
    assert refused.returncode == 2 and "only in demo mode" in refused.stderr
    assert waystation(central_db_url, "seed", "--stations", "2", "--days", "1").returncode == 2
    assert waystation(central_db_url, "migrate", "central").returncode == 0
    app = create_app(make_settings(database={"url": central_db_url}).as_dict())
    with app.app_context(), db.connection_context():
        assert StaffUser.select().count() == 0 and ApiToken.select().count() == 0
    db.close()
    seeded = waystation(central_db_url, "seed-demo", WAYSTATION_DEMO="true")
    assert seeded.returncode == 0, seeded.stderr
    with app.app_context(), db.connection_context():
        assert {u.username for u in StaffUser.select()} >= {"admin", "manager", "demo-api"}
        actions = {e.action for e in AuditEntry.select()}
        assert {"federation.add", "district.add", "centre.add", "station.add", "staff.add", "token.add"} <= actions
    db.close()


def _at_a_terminal(db_url: str, answers: list[str], *args: str) -> tuple[int, str]:
    """Run the command on a pseudo-terminal (so it prompts), typing each answer after a prompt."""
    import pty
    import select
    import time

    clean = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_") and k not in ("LC_ALL", "LANG")}
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty, as at a real prompt
        os.chdir(PROJECT_ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "waystation.cli", "--log-level", "WARNING", *args],
                  {**clean, "WAYSTATION_DATABASE_URL": db_url, "LANG": "en_GB.UTF-8"})
    seen, pending, deadline = b"", list(answers), time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if pending and seen.rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                seen += b"<typed>"
        elif os.waitpid(pid, os.WNOHANG)[0]:
            break
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_at_a_terminal_the_password_is_prompted_twice_and_must_match(central_db_url):
    assert waystation(central_db_url, "migrate", "central").returncode == 0
    code, screen = _at_a_terminal(central_db_url, [GOOD, "something-else-1"], "users", "add", "root", "--role", "admin")
    assert code == 1 and "Password:" in screen and "Password (again):" in screen
    assert "The two passwords are not the same." in screen and GOOD not in screen  # nothing echoed
    code, screen = _at_a_terminal(central_db_url, [GOOD, GOOD], "users", "add", "root", "--role", "admin")
    assert code == 0 and "Staff user root (admin) created." in screen and GOOD not in screen
