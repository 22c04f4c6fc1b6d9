"""Browser test fixtures: the real apps served by waitress, real MQTT, and Debian's headless Chromium.

The helpers here are plain functions and context managers so that `tests/browser/screenshots.py`
can use them outside pytest; the fixtures below only wrap them.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import sync_playwright

from devices.protocol import trust, utcnow
from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.charger import ChargerSlotState, SlotStatus
from devices.protocol.occupancy import Occupancy
from devices.protocol.station_config import StationConfig
from tests.brokers import free_port, mosquitto_pub
from tests.conftest import wait_until
from waystation import cards
from waystation.paths import STATIC_DIR
from waystation.sealing import b64

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
# Every Playwright wait (locators, navigation, expect) gives up after this many milliseconds.
TIMEOUT_MS = 10_000
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1280, "height": 800}
DESKTOP = {"width": 1440, "height": 900}

STATION = "xh-xujiahui"
STATION_CONFIG = StationConfig(STATION, name={"zh": "徐家汇爱心驿站", "en": "Xujiahui Rest Station"},
                               district={"zh": "徐汇区总工会", "en": "Xuhui District Federation"},
                               capacity=20, charger_slots=8)


def launch_chromium(playwright):
    """Debian's Chromium, headless (Playwright's own browser download does not work here)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)


def new_page(browser, viewport: dict, locale: str = "zh-CN"):
    """A fresh browser context (no cookies, no storage) and one page in it, with bounded waits."""
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Shanghai", has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context.new_page()


@contextlib.contextmanager
def served(app, port: int = 0):
    """Serve a WSGI app with waitress on a free port (or `port`) in a background thread; yields its base URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=port, threads=4, ident="waystation-test")
    thread = threading.Thread(target=server.run, name=f"waitress-{server.effective_port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)


def publish(broker_port: int, topic_root: str, message) -> None:
    """Publish a protocol message the way a device would: its family's topic, QoS and retain flag."""
    mosquitto_pub(broker_port, f"{topic_root}/{message.topic}", message.to_payload(), qos=message.QOS,
                  retain=message.RETAIN)


_last_ts = utcnow()
_ts_lock = threading.Lock()


def fresh_ts():
    """A message time later than any before it (stations ignore a reading older than the stored one)."""
    global _last_ts
    with _ts_lock:
        _last_ts = max(utcnow(), _last_ts + timedelta(milliseconds=1))
        return _last_ts


def occupancy(inside: int, station: str = STATION) -> Occupancy:
    """The door counter's reading: `inside` people now."""
    return Occupancy(station, inside, entered_today=inside + 40, exited_today=40, ts=fresh_ts())


def slot(number: int, status: SlotStatus, station: str = STATION) -> ChargerSlotState:
    """A charger slot's state as its controller reports it."""
    charging = status == SlotStatus.CHARGING
    return ChargerSlotState(station, number, status, power_w=420 if charging else 0,
                            energy_wh=130 if charging else 0, ts=fresh_ts())


def charger_online(station: str = STATION) -> Availability:
    """The charger controller's retained 'online' availability (central shows slots only while it is online)."""
    return Availability(station, "charger", DeviceKind.CHARGER_CONTROLLER, True)


DEFAULT_SLOTS = [SlotStatus.AVAILABLE] * 5 + [SlotStatus.CHARGING] * 2 + [SlotStatus.FAULTED]


def publish_station(broker_port: int, topic_root: str, station: str = STATION, inside: int = 7,
                    statuses=DEFAULT_SLOTS, config: StationConfig | None = STATION_CONFIG) -> None:
    """What a station's devices (and central, unless config is None) have said, all retained:
    its configuration, people inside, the charger controller online, each slot's state."""
    if config is not None:
        publish(broker_port, topic_root, config)
    publish(broker_port, topic_root, occupancy(inside, station))
    publish(broker_port, topic_root, charger_online(station))
    for number, status in enumerate(statuses, start=1):
        publish(broker_port, topic_root, slot(number, status, station))


@dataclass
class RunningKiosk:
    """A served kiosk app and the KioskNode beside it, as `waystation kiosk` runs them."""

    url: str
    app: object
    node: object
    settings: object

    def station_info(self):
        """The kiosk's stored view of its station (read from its own database)."""
        from kiosk.models import StationInfo, db

        with db.connection_context():
            return StationInfo.for_station(self.settings.kiosk.station_id)

    def pending(self) -> int:
        """Events in the outbox not yet acknowledged by the broker."""
        from kiosk.models import OutboxEvent, db

        with db.connection_context():
            return OutboxEvent.pending_count()

    def slot_statuses(self) -> dict[int, str]:
        from kiosk.models import ChargerSlot, db

        with db.connection_context():
            return {s.slot: s.status for s in ChargerSlot.select()}


def wait_for_station(kiosk: RunningKiosk, inside: int | None = None, slots: int | None = None, timeout: float = 10):
    """Wait until the kiosk has stored its configuration (and the given count and number of slots)."""
    def ready():
        info = kiosk.station_info()
        return (info.configured and (inside is None or info.people_inside == inside)
                and (slots is None or len(kiosk.slot_statuses()) >= slots))
    wait_until(ready, timeout=timeout, message="the kiosk to store its station's config, occupancy and slots")


@contextlib.contextmanager
def running_kiosk(settings, prime_broker_url: str | None = None):
    """A migrated kiosk app served by waitress, with a KioskNode on `settings.broker`.

    With `prime_broker_url`, a first KioskNode on that broker fetches the station's retained state and
    stops before the served one starts: a kiosk that heard its station once, then lost the network.
    """
    from kiosk import create_app, models
    from kiosk.migrations import MIGRATIONS
    from kiosk.node import KioskNode
    from waystation.db import migrate

    app = create_app(settings.as_dict())
    migrate(models.db, MIGRATIONS)
    if prime_broker_url:
        primer_settings = _with_broker(settings, prime_broker_url)
        primer = KioskNode(primer_settings)
        primer.start()
        try:
            wait_for_station(RunningKiosk("", app, primer, primer_settings))
        finally:
            primer.stop()
    node = KioskNode(settings)
    app.extensions["waystation.outbox_wake"] = node.publisher.wake
    app.extensions["waystation.broker_connected"] = node.link.connected
    app.extensions["waystation.operations"] = node.operations
    node.start()
    try:
        with served(app) as url:
            yield RunningKiosk(url, app, node, settings)
    finally:
        node.stop()
        models.db.close()


def _with_broker(settings, broker_url: str):
    from waystation.settings import load_settings

    values = settings.as_dict()
    values["broker"] = {**values["broker"], "url": broker_url}
    return load_settings(env={}, overrides=values)


@dataclass
class RunningCentral:
    """The served central app and its ingest worker."""

    url: str
    app: object
    worker: object
    settings: object


@contextlib.contextmanager
def running_central(settings, seeded: bool = False):
    """A migrated, demo-seeded central app served by waitress, with an ingest worker on `settings.broker`
    that publishes every station's configuration on connect, as `waystation central` does.

    `seeded`: the database is a seeded copy already (a test's template), so nothing is added to it.
    """
    from station_admin import create_app, migrations
    from station_admin.core import models
    from station_admin.demo.seed import seed_demo
    from station_admin.node.central import CentralNode
    from waystation.db import migrate

    app = create_app(settings.as_dict())
    if not seeded:
        migrate(models.db, migrations.MIGRATIONS)
        seed_demo(app.extensions["waystation.protector"])
    node = CentralNode(settings, app.extensions["waystation.protector"])
    node.start()
    try:
        wait_until(node.link.subscribed.is_set, message="the ingest worker to subscribe")
        with served(app) as url:
            yield RunningCentral(url, app, node.ingest, settings)
    finally:
        node.stop()
        models.db.close()


def unreachable_broker_url() -> str:
    """An MQTT address where nothing listens."""
    return f"mqtt://127.0.0.1:{free_port()}"


def count_swaps(page, element_id: str) -> None:
    """Count from now on the htmx swaps that settle into the element with this id (its live refresh)."""
    page.evaluate("""(id) => {
        window.__swaps = window.__swaps || {};
        window.__swaps[id] = 0;
        document.body.addEventListener("htmx:afterSettle", (e) => {
            if (e.target.id === id || (e.detail && e.detail.target && e.detail.target.id === id)) window.__swaps[id]++;
        });
    }""", element_id)


def wait_for_swaps(page, element_id: str, count: int = 1) -> None:
    """Wait (bounded by the page's timeout) until `count` swaps into the element settled since count_swaps."""
    page.wait_for_function("([id, n]) => (window.__swaps || {})[id] >= n", arg=[element_id, count],
                           timeout=TIMEOUT_MS)


def session_of(kiosk: RunningKiosk, context) -> dict:
    """The Flask session the browser holds for the kiosk, decoded with the app's own key."""
    serializer = kiosk.app.session_interface.get_signing_serializer(kiosk.app)
    name = kiosk.app.config["SESSION_COOKIE_NAME"]
    cookies = [c for c in context.cookies(kiosk.url) if c["name"] == name]
    if not cookies:
        return {}
    return dict(serializer.loads(cookies[0]["value"]))


def read_qr(page, selector: str) -> str:
    """Decode the QR drawn as SVG at `selector` with jsQR (the vendored copy the kiosk uses).

    The SVG is drawn on a canvas in a blank scratch page of the same browser: the app's own pages allow no
    blob: image and no injected script (their Content-Security-Policy), and a test must not weaken that.
    """
    svg = page.evaluate("(selector) => document.querySelector(selector).outerHTML", selector)
    scratch = page.context.new_page()
    try:
        scratch.add_script_tag(content=(STATIC_DIR / "vendor" / "jsQR-1.4.0.js").read_text())
        return scratch.evaluate("""async (markup) => {
            const holder = document.createElement('div');
            holder.innerHTML = markup;
            const svg = holder.firstElementChild;
            svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
            svg.setAttribute('width', 400); svg.setAttribute('height', 400);
            const blob = new Blob([new XMLSerializer().serializeToString(svg)], {type: 'image/svg+xml'});
            const img = new Image();
            img.src = URL.createObjectURL(blob);
            await img.decode();
            const canvas = document.createElement('canvas');
            canvas.width = 440; canvas.height = 440;
            const ctx = canvas.getContext('2d');
            ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 440, 440);
            ctx.drawImage(img, 20, 20, 400, 400);
            const data = ctx.getImageData(0, 0, 440, 440);
            const found = jsQR(data.data, 440, 440);
            return found ? found.data : null;
        }""", svg)
    finally:
        scratch.close()


def kiosk_with_keys(kiosk, **options):
    """Start a served kiosk (the `kiosk` fixture) and wait until it holds the card key of `card`."""
    station = kiosk(**options)
    from kiosk.models import TrustedKey, db

    def has_key():
        with db.connection_context():
            return TrustedKey.select().where(TrustedKey.kid == "TSTK").exists()
    wait_until(has_key, message="the card key at the kiosk")
    return station


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run; every test gets its own context (fresh cookies and storage)."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    """Open a page at a viewport size in a fresh context: `open_page(PORTRAIT)`; closed at teardown."""
    contexts = []

    def open_(viewport: dict = LANDSCAPE, locale: str = "zh-CN"):
        page = new_page(browser, viewport, locale)
        contexts.append(page.context)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def kiosk(shared_mosquitto, topic_root, kiosk_settings):
    """Start a served kiosk: `kiosk()` on the shared Mosquitto after its station's retained state was
    published; `kiosk(broker_url=..., prime=True)` on another broker, having heard its station first."""
    stack = contextlib.ExitStack()

    def start(broker_url: str | None = None, prime: bool = False, publish_state: bool = True, **kiosk_options):
        if publish_state:
            publish_station(shared_mosquitto.port, topic_root)
        settings = kiosk_settings(broker_url or shared_mosquitto.url, migrated=True, kiosk=kiosk_options)
        running = stack.enter_context(running_kiosk(settings, shared_mosquitto.url if prime else None))
        if broker_url is None and publish_state:
            wait_for_station(running, inside=7, slots=8)
        return running

    yield start
    stack.close()


@pytest.fixture
def central(shared_mosquitto, central_settings):
    """A served central app with an ingest worker on the shared Mosquitto (this test's topic root)."""
    with running_central(central_settings(shared_mosquitto.url, template="seeded"), seeded=True) as running:
        yield running


# A member's card for the kiosk tests: signed with a key published to this test's topic root.
MEMBER = "W7K3M9Q2XZ"


@pytest.fixture
def card(shared_mosquitto, topic_root):
    """A card signed by a key central has published (retained) to the kiosks of this test's topic root."""
    key, public = cards.new_signing_key()
    publish(shared_mosquitto.port, topic_root, trust.TrustAnchors((("TSTK", public),), b64(b"s" * 32), utcnow()))
    now = utcnow()
    return cards.sign_card(key, "TSTK", MEMBER, now - timedelta(days=1), now + timedelta(days=300))


def scanner_types(page, text: str, delay: float = 4) -> None:
    """A USB barcode scanner's burst (keys `delay` ms apart), once the page has loaded: kiosk.js listens for
    scans when its deferred script has run, and keys typed the instant a screen shows would be lost before it."""
    page.wait_for_load_state("load")
    page.keyboard.type(text, delay=delay)
