"""What a serving kiosk app knows of its MQTT node: whether the broker is connected, how to wake the outbox,
and the station operations (charge starts). A kiosk app without a node (tests, CLI) has none of them."""

from __future__ import annotations

import threading

from flask import Flask, current_app

OUTBOX_WAKE = "waystation.outbox_wake"
BROKER_CONNECTED = "waystation.broker_connected"
OPERATIONS = "waystation.operations"


def attach_node(app: Flask, node) -> None:
    """Let the app's views see the node's link state, outbox and operations (called by `waystation kiosk`)."""
    app.extensions[OUTBOX_WAKE] = node.publisher.wake
    app.extensions[BROKER_CONNECTED] = node.link.connected
    app.extensions[OPERATIONS] = node.operations


def wake_outbox() -> None:
    """Ask the outbox publisher to send now (a no-op without a node)."""
    wake = current_app.extensions.get(OUTBOX_WAKE)
    if wake:
        wake()


def broker_online() -> bool:
    """Whether the node is connected to the broker now (False without a node)."""
    connected: threading.Event | None = current_app.extensions.get(BROKER_CONNECTED)
    return connected is not None and connected.is_set()


def station_operations():
    """The node's station operations (kiosk.operations.StationOperations), or None without a node."""
    return current_app.extensions.get(OPERATIONS)
