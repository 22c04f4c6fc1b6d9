"""Central served as in production: 200 slow clients (slowloris) do not stop a normal request being
answered, straight on waitress and behind the nginx front of docs/operations.md (run for real)."""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import wait_until
from waystation.cli import central_server

DOCS = Path(__file__).parents[1] / "docs" / "operations.md"
SLOW = 200


class SlowClients:
    """`count` connections that each send a request's first line and then one more header line every
    second, never finishing it: what a slowloris attack does to hold a server's connections."""

    def __init__(self, port: int, count: int = SLOW, source: str = "127.0.0.2", tls: bool = False):
        self.sockets = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
            if tls:
                s = unverified_tls().wrap_socket(s, server_hostname="central.test")
            s.sendall(b"GET /auth/login HTTP/1.1\r\nHost: central.test\r\n")
            self.sockets.append(s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)
        self._thread.start()

    def _drip(self) -> None:
        n = 0
        while not self._stop.wait(1):
            n += 1
            for s in self.sockets:
                try:
                    s.sendall(f"X-Slow-{n}: still here\r\n".encode())
                except OSError:
                    pass  # the server closed it: that is its defence working

    def still_open(self) -> int:
        """How many of the connections the server has not closed (a closed one reads as end of file)."""
        alive = 0
        for s in self.sockets:
            s.setblocking(False)
            try:
                alive += s.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                alive += 1
            except (OSError, ValueError):
                pass
            s.setblocking(True)
        return alive

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for s in self.sockets:
            s.close()


def unverified_tls():
    """A TLS client context for the test's own self-signed certificate."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


def normal_request(port: int, path: str = "/auth/login", source: str = "127.0.0.3", headers=None):
    """One ordinary browser request; a server that cannot answer within 10 s fails the test."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def served_central(central_settings):
    """Central's app on a free port, on waitress configured exactly as `waystation central` configures it."""
    from station_admin import create_app
    from station_admin.core import models

    def start(**central):
        settings = central_settings(template="seeded", central=central)
        app = create_app(settings.as_dict())
        server = central_server(app, settings, port=0)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append(server)
        return server.effective_port

    started = []
    yield start
    for server in started:
        server.close()
    models.db.close()


def test_200_slow_clients_leave_a_normal_request_answered(served_central):
    port = served_central()
    slow = SlowClients(port)
    try:
        time.sleep(1.5)  # let every slow client drip once (a wait, not a timed assertion)
        status, body = normal_request(port)
        assert status == 200 and "登录" in body
        assert slow.still_open() == SLOW  # they were accepted and held, not refused: they cost sockets, not threads
    finally:
        slow.close()


def test_waitress_takes_its_limits_from_the_settings(central_settings):
    from station_admin import create_app

    settings = central_settings(central={"connection_limit": 7, "channel_timeout": 9, "backlog": 11})
    server = central_server(create_app(settings.as_dict()), settings, port=0)
    try:
        assert (server.adj.connection_limit, server.adj.channel_timeout, server.adj.backlog) == (7, 9, 11)
    finally:
        server.close()


# --- the nginx front of docs/operations.md, run for real ---------------------------------------------------


def documented_nginx_config() -> str:
    """The nginx site block docs/operations.md prescribes (the one fenced block marked as nginx)."""
    blocks = re.findall(r"```nginx\n(.*?)```", DOCS.read_text(), re.S)
    assert len(blocks) == 1, "docs/operations.md must hold exactly one nginx block"
    return blocks[0]


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    assert found, "nginx is needed (Debian package nginx; make test installs it)"
    return found


@pytest.fixture
def nginx_front(tmp_path):
    """nginx, with the documented site block (TLS certificate made here), in front of a central port."""
    procs = []

    def start(central_port: int) -> int:
        cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=central.test", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            tls_port = s.getsockname()[1]
        site = (documented_nginx_config()
                .replace("127.0.0.1:8000", f"127.0.0.1:{central_port}")
                .replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;")
                .replace("/etc/ssl/waystation/fullchain.pem", str(cert))
                .replace("/etc/ssl/waystation/privkey.pem", str(key)))
        site = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", site, flags=re.S)  # the :80 redirect needs root
        conf = tmp_path / "nginx.conf"
        conf.write_text(f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
{site}
}}
""")
        procs.append(subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(tmp_path)],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT))

        def listening() -> bool:
            assert procs[-1].poll() is None, procs[-1].stdout.read().decode()
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", tls_port)) == 0
        wait_until(listening, 10, message="nginx listening")
        return tls_port

    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=10)


def https_request(port: int, method: str = "GET", path: str = "/auth/login", source: str = "127.0.0.3",
                  body: str | None = None, headers=None):
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=unverified_tls(),
                                       source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers={"Host": "central.test", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def test_behind_the_documented_nginx_slow_clients_are_cut_off_and_each_client_has_its_own_address(
        served_central, nginx_front):
    port = nginx_front(served_central(trusted_proxies=1, public_url="https://central.test"))
    status, headers, body = https_request(port)
    assert status == 200 and "登录" in body
    assert "Secure" in headers.get("Set-Cookie", "") or "Set-Cookie" not in headers

    slow = SlowClients(port, tls=True)
    try:
        time.sleep(1.5)
        assert https_request(port)[0] == 200
    finally:
        slow.close()

    # ProxyFix with the one documented proxy: a guesser's failures hold the guesser, not everyone behind nginx
    def track(source: str, last4: str, code: str = "ABCDEFGH") -> int:
        status, headers, page = https_request(port, path="/m/track", source=source)
        cookie = headers["Set-Cookie"].split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = f"csrf_token={token}&code={code}&last4={last4}"
        return https_request(port, "POST", "/m/track", source=source, body=form, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})[0]

    assert [track("127.0.0.4", f"{n:04d}") for n in range(6)] == [404] * 5 + [429]
    assert track("127.0.0.5", "0000", code="ABCDEFGK") == 404  # another client is not held
