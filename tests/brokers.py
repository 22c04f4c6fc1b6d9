"""Real MQTT brokers for tests and benchmarks: Mosquitto processes on free ports, and the embedded one."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
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


class MosquittoProcess:
    """Mosquitto with the shipped config/mosquitto/waystation.conf, on a free port, stoppable and restartable."""

    def __init__(self, port: int | None = None, workdir: Path | None = None):
        self.port = port or free_port()
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="mosquitto-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.started = False
        self._write_conf()

    def _write_conf(self) -> None:
        shipped = (CONFIG_DIR / "mosquitto" / "waystation.conf").read_text()
        lines = [line for line in shipped.splitlines() if not line.startswith("persistence_location")]
        self.conf = self.workdir / "mosquitto.conf"
        self.conf.write_text("\n".join([
            *lines,
            f"persistence_location {self.workdir}/",
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            f"log_dest file {self.workdir}/mosquitto.log",
            # As root Mosquitto drops to the `mosquitto` user, which cannot write the test's private
            # directory: persistence and the log would fail silently and a restart would lose sessions.
            *(["user root"] if os.geteuid() == 0 else []),
            "",
        ]))

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
            self.port = free_port()
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


def mosquitto_pub(port: int, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False) -> None:
    """Publish with the real mosquitto_pub command line client."""
    args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", str(qos), "-t", topic]
    if retain:
        args.append("-r")
    if isinstance(payload, bytes):
        subprocess.run([*args, "-s"], input=payload, check=True, timeout=10)
    else:
        subprocess.run([*args, "-m", payload], check=True, timeout=10)
