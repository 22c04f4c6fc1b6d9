"""How the kiosk takes a message from central or its devices: validate at the edge, store, never raise."""

from __future__ import annotations

import logging

from devices.protocol import ProtocolError
from kiosk.models import db

log = logging.getLogger(__name__)


def stored(link, parse, handler):
    """A message callback for `link`: validate at the edge, then store inside a connection; never raise."""
    def handle(message):
        try:
            parsed = parse(link.relative(message.topic), message.payload)
        except ProtocolError as e:
            log.warning("dropped invalid message on %s: %s", message.topic, e)
            return
        except Exception:  # noqa: BLE001 - a parser that breaks its contract must not stop paho's network thread
            log.exception("parser failed on a message on %s: dropped", message.topic)
            return
        try:
            with db.connection_context():
                handler(parsed)
        except Exception:
            log.exception("could not store message on %s", message.topic)
    return handle
