"""The `waystation` command: serve a kiosk or central, run ingest or simulators, migrate, seed, demo."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time

import waystation
from waystation.accounts import add_commands as add_account_commands
from waystation.settings import ConfigError, load_settings

log = logging.getLogger("waystation")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(prog="waystation", description=__doc__)
    parser.add_argument("--config", help="site settings file (TOML); also WAYSTATION_CONFIG")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--version", action="version", version=f"waystation {waystation.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("kiosk", help="serve a station kiosk and drain its outbox")
    p.add_argument("--station", help="station code (kiosk.station_id)")
    p.add_argument("--port", type=int, help="listen port (kiosk.port)")
    p.set_defaults(run=cmd_kiosk)

    p = commands.add_parser("central", help="serve the central web app (with an ingest worker unless --no-ingest)")
    p.add_argument("--port", type=int, help="listen port (central.port)")
    p.add_argument("--no-ingest", action="store_true", help="web only; run `waystation ingest` elsewhere")
    p.set_defaults(run=cmd_central)

    p = commands.add_parser("ingest", help="run an ingest worker only (scale-out)")
    p.set_defaults(run=cmd_ingest)

    p = commands.add_parser("jobs", help="run background job workers only (exports), beside web processes")
    p.set_defaults(run=cmd_jobs)

    p = commands.add_parser("simulate", help="simulate people counters and charger controllers")
    p.add_argument("--station", action="append", required=True, metavar="CODE[:SEATS[:SLOTS]]",
                   help="a station to simulate (repeat for more)")
    p.set_defaults(run=cmd_simulate)

    p = commands.add_parser("broker", help="run the embedded demo MQTT broker (use Mosquitto in production)")
    p.add_argument("--host", default="127.0.0.1", help="a loopback address (anyone may use this broker)")
    p.add_argument("--port", type=int, default=1883)
    p.set_defaults(run=cmd_broker)

    p = commands.add_parser("broker-acl", help="print the static Mosquitto ACL file (brokers without Dynamic Security)")
    p.add_argument("--station", action="append", default=[], metavar="CODE",
                   help="a station whose devices get users (repeat for more)")
    p.add_argument("--central-user", default="central", help="central's broker user name (default: central)")
    p.set_defaults(run=cmd_broker_acl)

    p = commands.add_parser("broker-account", help="make or revoke broker accounts (via broker.admin_url)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("central", help="central's own account and role (client id bound to ingest.client_id)")
    a.add_argument("--user", default="central", help="user name (default: central)")
    a = actions.add_parser("device", help="a station device's account: a fresh password, replacing any old one")
    a.add_argument("station", help="station code")
    a.add_argument("kind", choices=["kiosk", "people_counter", "charger_controller"])
    a.add_argument("--device", help="device id (default: kiosk, counter or charger)")
    a = actions.add_parser("revoke", help="delete a device's account: it is disconnected at once")
    a.add_argument("station", help="station code")
    a.add_argument("device", help="device id (kiosk, counter, charger...)")
    actions.add_parser("roles", help="bring central's role and the given stations' device roles to this version's "
                                     "contract (after an upgrade)").add_argument(
        "stations", nargs="*", metavar="STATION", help="station codes whose device roles to bring too")
    p.set_defaults(run=cmd_broker_account)

    p = commands.add_parser("pair", help="pair this station PC with central: fetch its settings and credentials")
    p.add_argument("code", help="the six-digit pairing code staff issued at central")
    p.add_argument("--central", required=True, help="central's address, e.g. https://central.example.org")
    p.add_argument("--site-file", help="where to write the site file (default: --config, else ./site.toml)")
    p.add_argument("--central-ca", help="CA certificate (PEM) that signed central's HTTPS certificate, if not a "
                                        "public one")
    p.set_defaults(run=cmd_pair)

    p = commands.add_parser("install-station", help="install the station's systemd units and kiosk browser launcher")
    p.add_argument("--root", default="/", help="install under this folder instead of / (nothing is enabled then)")
    p.add_argument("--user", default="waystation", help="the user the kiosk and device services run as")
    p.add_argument("--state-dir", default="/var/lib/waystation", help="working folder: kiosk database and outbox")
    p.add_argument("--no-enable", action="store_true", help="write the files only")
    p.set_defaults(run=cmd_install_station)

    p = commands.add_parser("upgrade-station", help="install a new release beside the running one and switch to it "
                                                    "only once it works (docs/operations.md)")
    p.add_argument("source", help="what to install: a wheel file or a requirement such as waystation==0.2.0")
    p.add_argument("--wheelhouse", action="append", default=[], metavar="DIR",
                   help="install only from this folder of wheels (repeat for more), for a station without internet")
    p.add_argument("--releases", default="/opt/waystation", help="the releases folder (default /opt/waystation)")
    p.add_argument("--health-timeout", type=float, default=90.0,
                   help="seconds the new release has to answer before the station goes back (default 90)")
    p.set_defaults(run=cmd_upgrade_station)

    p = commands.add_parser("backup", help="back up central's or a kiosk's database: timestamped, checksummed, "
                                           "old ones removed by backup.keep / keep_days")
    p.add_argument("target", choices=["central", "kiosk"])
    p.add_argument("--station", help="station code, for a kiosk database (kiosk.station_id)")
    p.add_argument("--dir", help="folder to write to (backup.dir)")
    p.set_defaults(run=cmd_backup)

    p = commands.add_parser("restore", help="restore a backup into central's or a kiosk's database (checked first)")
    p.add_argument("target", choices=["central", "kiosk"])
    p.add_argument("file", help="the backup file (its .sha256 beside it)")
    p.add_argument("--station", help="station code, for a kiosk database (kiosk.station_id)")
    p.add_argument("--replace", action="store_true",
                   help="replace a database that is not empty (a SQLite file is kept aside, renamed)")
    p.set_defaults(run=cmd_restore)

    p = commands.add_parser("migrate", help="create or upgrade a database in place")
    p.add_argument("target", choices=["central", "kiosk"])
    p.add_argument("--station", help="station code, for a kiosk database")
    p.set_defaults(run=cmd_migrate)

    p = commands.add_parser("seed-demo", help="add the demo federation, stations, users and API token")
    p.set_defaults(run=cmd_seed_demo)

    p = commands.add_parser("seed", help="add realistic check-in history for trying reports (with the demo data)")
    p.add_argument("--stations", type=int, default=20, help="stations with history (created as needed; default 20)")
    p.add_argument("--days", type=int, default=90, help="days of history ending today (default 90)")
    p.add_argument("--per-day", type=float, default=120.0, help="mean check-ins per station per day (default 120)")
    p.add_argument("--seed", type=int, default=0, help="random seed for a repeatable history (default: a new one)")
    p.set_defaults(run=cmd_seed)

    add_account_commands(commands, _migrate_central, settings_for)

    p = commands.add_parser("stations", help="import stations from CSV or .xlsx (docs/stations-import.md), or export")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    v = verbs.add_parser("import", help="create and change stations from a file, matched by code")
    v.add_argument("file", help="a .csv (UTF-8) or .xlsx file in the documented columns")
    v.add_argument("--dry-run", action="store_true",
                   help="show what would be created, changed and refused; write nothing")
    v.set_defaults(run=cmd_stations_import)
    v = verbs.add_parser("export", help="write every station to a .csv or .xlsx file in the import format")
    v.add_argument("file")
    v.set_defaults(run=cmd_stations_export)

    p = commands.add_parser("demo", help="run the whole system on this machine: broker, central, 3 kiosks, devices")
    p.add_argument("--port", type=int, default=0, help="central web port (default: a free one)")
    p.set_defaults(run=cmd_demo)

    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    from devices.mqtt import BrokerConfigError

    try:
        return args.run(args) or 0
    except (ConfigError, BrokerConfigError) as e:
        print(f"waystation: configuration error: {e}", file=sys.stderr)
        return 2


def setup_logging(level: str) -> None:
    """One line per record with time, level and logger; quiet the chatty libraries."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # huey logs every task it runs (the export sweep each minute); the jobs log their own starts and ends.
    for name in ("amqtt", "transitions", "waitress.queue", "huey"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # peewee logs every query with its parameters at DEBUG: tracking codes, sealed contacts, phone
    # digits. Never in a log, whatever --log-level says (docs/operations.md, "Personal data").
    logging.getLogger("peewee").setLevel(logging.INFO)


def settings_for(args, **overrides):
    """Settings from the files and environment, with command-line flags on top."""
    clean = {section: {k: v for k, v in values.items() if v is not None}
             for section, values in overrides.items()}
    return load_settings(args.config, overrides={s: v for s, v in clean.items() if v})


def wait_for_termination() -> threading.Event:
    """An event set on SIGTERM or SIGINT, so serve loops end cleanly and stop their MQTT clients."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def web_server(app, host: str, port: int, threads: int, **options):
    """A waitress server for a WSGI app, not yet running (`.run()`; `.effective_port`, `.close()`)."""
    from waitress.server import create_server

    return create_server(app, host=host, port=port, threads=threads, ident="waystation", **options)


def central_server(app, settings, port: int | None = None):
    """Central's waitress server as its settings say: many slow or idle clients wait on sockets, not on threads."""
    central = settings.central
    # waitress drops X-Forwarded-* headers unless told otherwise; with trusted proxies the app's ProxyFix reads them.
    return web_server(app, central.host, central.port if port is None else port, central.threads,
                      connection_limit=central.connection_limit, channel_timeout=central.channel_timeout,
                      backlog=central.backlog, clear_untrusted_proxy_headers=not central.trusted_proxies)


def serve(server, stop: threading.Event) -> None:
    """Run a waitress server until `stop` is set."""
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    log.info("serving on http://%s:%s/", server.effective_host, server.effective_port)
    stop.wait()
    server.close()


def cmd_kiosk(args) -> int:
    from devices.mqtt import broker_address
    from kiosk import create_app, models
    from kiosk.context import attach_node
    from kiosk.migrations import MIGRATIONS
    from kiosk.node import KioskNode
    from waystation.db import migrate

    settings = settings_for(args, kiosk={"station_id": args.station, "port": args.port})
    settings.require("kiosk.station_id")
    broker_address(settings.broker)  # refuse plain MQTT beyond this machine before touching anything
    app = create_app(settings.as_dict())
    with app.app_context():
        migrate(models.db, MIGRATIONS)
    node = KioskNode(settings)
    attach_node(app, node)
    stop = wait_for_termination()
    node.start()
    try:
        serve(web_server(app, settings.kiosk.host, settings.kiosk.port, 4), stop)
    finally:
        node.stop()
    return 0


# Exit status when the ingest worker died: a supervisor (systemd Restart=on-failure) starts the process again.
INGEST_DIED = 70


def end_process_when_ingest_dies(node, stop: threading.Event) -> list:
    """Make the death of the ingest thread end the process: `stop` is set, then exit INGEST_DIED.

    Returns the list the cause is put in, for the serve command's exit status. If the clean shutdown
    hangs, the process is ended anyway after 20 s.
    """
    died: list = []

    def on_death(error: BaseException) -> None:
        died.append(error)
        log.critical("ingest died (%r): ending the process so that its supervisor starts it again", error)
        stop.set()
        timer = threading.Timer(20, os._exit, (INGEST_DIED,))
        timer.daemon = True
        timer.start()

    node.ingest.on_death = on_death
    return died


def _central_link(settings, protector=None):
    """Central's MQTT side: ingest, station configurations and card trust."""
    from station_admin.node.central import CentralNode

    # In demo mode an empty data key is a fresh random one per call: share the web app's when serving both.
    return CentralNode(settings, protector)


def _migrate_central(settings, signing_key: bool = False) -> None:
    """Open the central database and upgrade it.

    With `signing_key` (the serve commands), also make sure a card signing key exists and that open
    deadlines are counted by the configured requests.deadline_counting.
    """
    from station_admin import migrations
    from station_admin.core import models
    from waystation.db import migrate, open_configured, warn_about_server

    models.db.initialize(open_configured(settings.database))
    migrate(models.db, migrations.MIGRATIONS)
    warn_about_server(models.db)  # a PostgreSQL server set up against central's load (autovacuum off)
    if signing_key:
        from devices.protocol import utcnow
        from station_admin.core.protect import DataProtector
        from station_admin.members.models import ensure_signing_key

        with models.db.connection_context():
            ensure_signing_key(DataProtector(settings.secret("central.data_key")), utcnow())
        _apply_deadline_counting(settings)


def _apply_deadline_counting(settings) -> None:
    """Count open requests' deadlines again if requests.deadline_counting changed since they were counted."""
    from station_admin.core import models
    from station_admin.requests.workdays import DeadlineRule, apply_counting_setting
    from waystation.services import load_services

    rule = DeadlineRule.of(settings, load_services(settings.requests.services_file or None))
    with models.db.connection_context():
        apply_counting_setting(rule)  # logs and audits what it moved


def cmd_central(args) -> int:
    from station_admin import create_app
    from station_admin.core.context import PROTECTOR
    from station_admin.core.jobs import JobRunner
    from station_admin.core.models import db
    from station_admin.demo.seed import refuse_demo_credentials

    settings = settings_for(args, central={"port": args.port})
    app = create_app(settings.as_dict())
    _migrate_central(settings, signing_key=True)
    with db.connection_context():
        refuse_demo_credentials(settings)  # outside demo mode, a published password or token would open it
    worker = None if args.no_ingest else _central_link(settings, app.extensions[PROTECTOR])
    jobs = JobRunner(settings) if settings.jobs.workers else None
    stop = wait_for_termination()
    died = end_process_when_ingest_dies(worker, stop) if worker else []
    if worker:
        worker.start()
    if jobs:
        jobs.start()
    try:
        serve(central_server(app, settings), stop)
    finally:
        if jobs:
            jobs.stop()
        if worker:
            worker.stop()
    return INGEST_DIED if died else 0


def cmd_jobs(args) -> int:
    from station_admin import create_app
    from station_admin.core.jobs import JobRunner

    settings = settings_for(args)
    create_app(settings.as_dict())  # every feature's jobs registered, the models bound
    _migrate_central(settings)
    if settings.jobs.workers < 1:
        print("waystation jobs: jobs.workers must be at least 1", file=sys.stderr)
        return 2
    jobs = JobRunner(settings)
    stop = wait_for_termination()
    jobs.start()
    stop.wait()
    jobs.stop()
    return 0


def cmd_ingest(args) -> int:
    settings = settings_for(args)
    _migrate_central(settings, signing_key=True)
    worker = _central_link(settings)
    stop = wait_for_termination()
    died = end_process_when_ingest_dies(worker, stop)
    worker.start()
    stop.wait()
    worker.stop()
    return INGEST_DIED if died else 0


def cmd_simulate(args) -> int:
    from devices.mqtt import broker_address
    from devices.simulators.run import SimulatedStation, Simulation

    settings = settings_for(args)
    broker_address(settings.broker)
    sim = settings.simulator
    try:
        stations = [SimulatedStation.parse(text, sim.charger_slots) for text in args.station]
    except ValueError:
        print("waystation simulate: --station takes CODE[:SEATS[:SLOTS]] with whole numbers", file=sys.stderr)
        return 2
    ops = settings.operations
    from waystation.pairing import device_login

    # The paired station's devices log in with their own accounts from the site file's [accounts].
    simulation = Simulation(settings.broker, stations, sim.mean_interval_s, sim.seed, settings.kiosk.timezone,
                            limit_s=ops.charge_limit_s, heartbeat_s=ops.device_heartbeat_seconds,
                            credentials=lambda station, kind: device_login(settings, str(kind), station))
    stop = wait_for_termination()
    simulation.start()
    thread = threading.Thread(target=simulation.run, name="simulation", daemon=True)
    thread.start()
    stop.wait()
    simulation.stop()
    return 0


def cmd_broker(args) -> int:
    from waystation.broker import EmbeddedBroker

    try:
        broker = EmbeddedBroker(args.host, args.port)
    except ValueError as e:
        print(f"waystation broker: {e}", file=sys.stderr)
        return 2
    stop = wait_for_termination()
    broker.start()
    stop.wait()
    broker.stop()
    return 0


def cmd_broker_acl(args) -> int:
    from devices.protocol.permissions import static_acl

    settings = settings_for(args)
    try:
        text = static_acl(settings.broker.topic_root, args.station, args.central_user)
    except ValueError as e:
        print(f"waystation broker-acl: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


def cmd_broker_account(args) -> int:
    import secrets

    from station_admin.core.broker_accounts import BrokerAccountError, BrokerAccounts

    settings = settings_for(args)
    try:
        with BrokerAccounts(settings.broker) as accounts:
            accounts.set_default_access()
            if args.action == "central":
                password = secrets.token_urlsafe(24)
                accounts.ensure_central(args.user, password, client_id=settings.ingest.client_id)
                print(f"central account: user {args.user}, client id {settings.ingest.client_id}, password {password}")
            elif args.action == "roles":
                from devices.protocol.permissions import Party

                names = [accounts.ensure_role(Party.CENTRAL)]
                for station in args.stations:
                    names += accounts.ensure_station_roles(station)
                print(f"roles as this version's contract says: {', '.join(names)}")
            elif args.action == "device":
                credential = accounts.provision_device(args.station, args.kind, args.device)
                print(f"{credential.kind} account at {credential.station}: user {credential.username}, "
                      f"client id {credential.client_id}, password {credential.password}")
            else:
                accounts.revoke_device(args.station, args.device)
                print(f"revoked {args.station}.{args.device}")
    except (BrokerAccountError, ValueError) as e:
        print(f"waystation broker-account: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_pair(args) -> int:
    from pathlib import Path

    from waystation.pairing import PairingError, pair

    site_file = Path(args.site_file or args.config or "site.toml")
    # The site file is what we are about to write: read settings from the environment only.
    settings = load_settings(env=None) if not site_file.exists() else load_settings(site_file)
    try:
        paired = pair(args.code, args.central, site_file, allow_plain_http=settings.pairing.allow_plain_http,
                      central_ca=args.central_ca)
    except PairingError as e:
        print(f"waystation pair: {e}", file=sys.stderr)
        return 1
    print(f"paired with central {args.central} as station {paired.station_id}")
    print(f"wrote {paired.site_file} (mode 0600): broker {paired.broker_url}, kiosk secret key, "
          f"{len(paired.devices)} device accounts: {', '.join(paired.devices)}")
    if paired.ca_file:
        print(f"wrote {paired.ca_file} (mode 0600): the broker's CA certificate")
    print(f"next: waystation --config {paired.site_file} kiosk   and   waystation --config {paired.site_file} "
          f"simulate --station {paired.station_id}   (or the device agents)")
    return 0


def cmd_install_station(args) -> int:
    import subprocess
    from pathlib import Path

    from waystation.install import install_station

    settings = settings_for(args)
    try:
        installed = install_station(settings, Path(args.root), user=args.user, state_dir=args.state_dir,
                                    enable=False if args.no_enable else None)
    except (ValueError, OSError, subprocess.CalledProcessError) as e:
        print(f"waystation install-station: {e}", file=sys.stderr)
        return 1
    for path in installed.files:
        print(f"wrote {path}")
    if installed.enabled:
        print("enabled and started waystation-kiosk and waystation-devices; the kiosk browser starts with the "
              "touchscreen user's graphical session")
    else:
        print("not enabled (run it again on / without --no-enable, or systemctl enable the units yourself)")
    return 0


def cmd_upgrade_station(args) -> int:
    from pathlib import Path

    from waystation.upgrade import Releases, SystemdUnits, UpgradeError, upgrade_station

    settings = settings_for(args)
    settings.require("kiosk.station_id")
    config = args.config or os.environ.get("WAYSTATION_CONFIG")
    if not config:
        print("waystation upgrade-station: --config (the station's site file) is needed", file=sys.stderr)
        return 2
    database = Path(settings.kiosk.database_path.format(station=settings.kiosk.station_id)).resolve()
    try:
        upgrade_station(Releases(Path(args.releases)), args.source, config=Path(config).resolve(), database=database,
                        health_url=f"http://127.0.0.1:{settings.kiosk.port}/healthz", services=SystemdUnits(),
                        wheelhouse=args.wheelhouse, health_timeout=args.health_timeout)
    except UpgradeError as e:
        print(f"waystation upgrade-station: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_migrate(args) -> int:
    settings = settings_for(args, kiosk={"station_id": args.station})
    if args.target == "central":
        _migrate_central(settings)
        return 0
    from kiosk import models
    from kiosk.migrations import MIGRATIONS
    from waystation.db import migrate, sqlite_pragmas

    settings.require("kiosk.station_id")
    models.db.init(models.database_path(settings), pragmas=sqlite_pragmas(settings.database.busy_timeout_ms))
    migrate(models.db, MIGRATIONS)
    return 0


def _backup_target(args):
    """The database URL and backup name of `central` or a station's kiosk."""
    settings = settings_for(args, kiosk={"station_id": args.station})
    if args.target == "central":
        return settings, settings.database.url, "central"
    from kiosk.models import database_path

    settings.require("kiosk.station_id")
    return settings, f"sqlite:///{database_path(settings)}", f"kiosk-{settings.kiosk.station_id}"


def cmd_backup(args) -> int:
    from pathlib import Path

    from waystation.accounts import terminal_language
    from waystation.backup import BackupError, apply_retention, backup_database
    from waystation.web import translate

    lang = terminal_language()
    settings, url, name = _backup_target(args)
    folder = Path(args.dir or settings.backup.dir)
    try:
        made = backup_database(url, folder, name, pg_dump=settings.backup.pg_dump,
                               pg_restore=settings.backup.pg_restore)
    except (BackupError, OSError) as e:
        print(f"waystation backup: {_backup_message(e, lang)}", file=sys.stderr)
        return 1
    removed = apply_retention(folder, name, settings.backup.keep, settings.backup.keep_days)
    print(translate("backup.made", lang, path=str(made.path), size=made.path.stat().st_size,
                    checksum=str(made.checksum_file), removed=len(removed)))
    return 0


def cmd_restore(args) -> int:
    from pathlib import Path

    from waystation.accounts import terminal_language
    from waystation.backup import BackupError, restore_database
    from waystation.web import translate

    lang = terminal_language()
    settings, url, _ = _backup_target(args)
    try:
        kept = restore_database(Path(args.file), url, replace=args.replace, pg_restore=settings.backup.pg_restore)
    except (BackupError, OSError) as e:
        print(f"waystation restore: {_backup_message(e, lang)}", file=sys.stderr)
        return 1
    print(translate("backup.restored", lang, path=args.file))
    if kept:
        print(translate("backup.kept_aside", lang, path=str(kept)))
    print(translate("backup.restore_next", lang))
    return 0


def _backup_message(error, lang: str) -> str:
    from waystation.backup import BackupError
    from waystation.web import translate

    if isinstance(error, BackupError):
        return translate(f"backup.{error.key}", lang, **error.params)
    return str(error)


def cmd_seed_demo(args) -> int:
    from station_admin.core.protect import DataProtector
    from station_admin.demo.classroom import seed_classroom
    from station_admin.demo.seed import require_demo_mode, seed_demo

    settings = settings_for(args)
    require_demo_mode(settings)
    _migrate_central(settings)
    seeded = seed_demo(DataProtector(settings.secret("central.data_key")), survey=True)
    print(f"seeded {len(seeded['stations'])} stations; API token: {seeded['token']}")
    print(seed_classroom(settings))
    for member_no, token in seeded["cards"]:
        print(f"demo member {member_no}: card page /m/card/{token}")
    return 0


class ProgressBar:
    """A one-line progress bar with a rate, redrawn in place on a terminal stream."""

    def __init__(self, stream, label: str, width: int = 30):
        self.stream, self.label, self.width = stream, label, width
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(self.width * share)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} "
                          f"{done:,} rows, {rate:,.0f}/s ")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def cmd_stations_import(args) -> int:
    from pathlib import Path

    from station_admin.admin import imports
    from station_admin.admin.refusal import Refused
    from station_admin.core.models import db
    from waystation.accounts import terminal_language
    from waystation.web import translate

    lang = terminal_language()
    settings = settings_for(args)
    _migrate_central(settings)
    path = Path(args.file)
    try:
        rows = imports.read_rows(path.name, path.read_bytes())
    except OSError as e:
        print(f"waystation stations import: {e}", file=sys.stderr)
        return 1
    except Refused as refused:
        for message in refused.messages(lang):
            print(f"waystation stations import: {message}", file=sys.stderr)
        return 1
    with db.connection_context():
        bar = ProgressBar(sys.stderr, translate("imports.checking", lang))
        plans = imports.plan(rows, bar)
        bar.finish()
        for row in plans:
            if row.action == "error":
                for message in row.messages(lang):
                    print(translate("imports.row_error", lang, line=row.line, code=row.code or "—", message=message),
                          file=sys.stderr)
            elif row.action != "unchanged":
                print(translate(f"imports.row_{row.action}", lang, line=row.line, code=row.code))
        counts = {a: sum(1 for p in plans if p.action == a) for a in ("create", "change", "unchanged", "error")}
        if not args.dry_run and (counts["create"] or counts["change"]):
            bar = ProgressBar(sys.stderr, translate("imports.writing", lang))
            imports.apply(plans, progress=bar)
            bar.finish()
    print(translate("imports.summary_dry" if args.dry_run else "imports.summary", lang, **counts))
    return 0


def cmd_stations_export(args) -> int:
    from pathlib import Path

    from station_admin.admin.imports import write_export
    from station_admin.core.models import db

    settings = settings_for(args)
    _migrate_central(settings)
    with db.connection_context():
        count = write_export(Path(args.file))
    print(f"{count} stations written to {args.file}")
    return 0


def cmd_seed(args) -> int:
    import random
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from station_admin.core.models import db
    from station_admin.core.protect import DataProtector
    from station_admin.demo.activity import seed_activity
    from station_admin.demo.history import ensure_stations, seed_history
    from station_admin.demo.seed import require_demo_mode, seed_demo
    from station_admin.rollups.hourly import utc_offset_hours
    from waystation.services import load_services

    if args.stations < 1 or args.days < 1 or args.per_day <= 0:
        print("waystation seed: --stations, --days and --per-day must be positive", file=sys.stderr)
        return 2
    settings = settings_for(args)
    require_demo_mode(settings)
    _migrate_central(settings)
    try:
        protector = DataProtector(settings.secret("central.data_key"))
    except ConfigError:  # no data key: no members (their phones are encrypted), so no service requests either
        protector = None
        print("waystation seed: no central.data_key, so no members and no service requests", file=sys.stderr)
    with db.connection_context():
        seed_demo(protector)
    timezone = settings.central.timezone
    rng = random.Random(args.seed or None)
    bar = ProgressBar(sys.stderr, "seeding check-ins")
    with db.connection_context():
        stations = ensure_stations(args.stations, rng)
        now = datetime.now(ZoneInfo(timezone))
        rows = seed_history(stations, args.days, args.per_day, now.date(), utc_offset_hours(timezone), rng, bar,
                            until=now)
        bar.finish()
        made = seed_activity([s.code for s in stations], args.days, now.date(), utc_offset_hours(timezone), rng,
                             protector, load_services(settings.requests.services_file or None), timezone, until=now)
    print(f"seeded {rows:,} check-ins at {len(stations)} stations over {args.days} days, "
          f"{made['sessions']:,} charge sessions, {made['feedback']:,} feedback and {made['requests']:,} "
          "service requests")
    return 0


def cmd_demo(args) -> int:
    from waystation.demo import run_demo

    return run_demo(args.config, args.port)


if __name__ == "__main__":
    sys.exit(main())
