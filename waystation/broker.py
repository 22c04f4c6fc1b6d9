"""The embedded pure-Python MQTT broker (amqtt) for the zero-install demo.

It speaks MQTT 3.1.1 only, has no shared subscriptions, and keeps no messages for a disconnected
anonymous client: right for trying the system on a laptop, not for production (use Mosquitto,
config/mosquitto.conf).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import logging
import threading

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Whether a listen address is this machine's loopback (127.0.0.0/8, ::1, localhost)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmbeddedBroker:
    """An amqtt broker on its own event loop in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883):
        if not is_loopback(host):
            # It lets anyone connect, publish and subscribe (no accounts, no TLS): never beyond this machine.
            raise ValueError(f"the embedded demo broker listens on loopback only, not {host!r}; "
                             "use Mosquitto (docs/operations.md) for a network")
        self.host, self.port = host, port
        self.config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 1000}},
            # Naming the plugins replaces amqtt's defaults, which publish $SYS topics every 20 s.
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10) -> None:
        """Start listening; raises if the port is taken."""
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._thread = threading.Thread(target=self._run, name="amqtt", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the embedded broker did not start in time")
        if self._error:
            raise self._error
        log.info("embedded MQTT broker listening on %s:%d", self.host, self.port)

    def _run(self) -> None:
        from amqtt.broker import Broker

        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)

        async def boot():
            # The broker must be built while its own loop runs (it binds futures to the running loop).
            self._broker = Broker(self.config)
            await self._broker.start()

        try:
            self._loop.run_until_complete(boot())
        except BaseException as e:  # noqa: BLE001 - handed to start()'s caller
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    def stop(self, timeout: float = 10) -> None:
        """Close every connection and stop."""
        if self._loop is None or self._broker is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout)
        except concurrent.futures.TimeoutError:  # a client that never answers must not keep the demo from stopping
            log.warning("the embedded broker did not close its connections in %.0f s; stopping it anyway", timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
