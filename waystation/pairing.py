"""`waystation pair CODE --central URL` on the station PC: claim the code at central, write the site file.

The station calls central (never the other way round), so pairing works behind NAT. The answer
holds passwords, so plain http:// is refused unless central is on this machine or
pairing.allow_plain_http is set. The site file and the CA certificate are written owner-only (0600).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from waystation.settings import ConfigError, load_settings

log = logging.getLogger(__name__)

# The device kinds whose logins the site file's `[accounts]` holds (`<kind>_user`, `<kind>_password`).
ACCOUNT_KINDS = ("kiosk", "people_counter", "charger_controller")


class PairingError(Exception):
    """Pairing did not happen; the message says why (central's own words when it refused)."""


@dataclass(frozen=True)
class Paired:
    """What `pair` wrote."""

    station_id: str
    site_file: Path
    ca_file: Path | None
    devices: list[str]
    broker_url: str


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def claim_url(central: str, allow_plain_http: bool) -> str:
    """Central's claim endpoint; PairingError for a URL that is not https:// (or loopback http://)."""
    parts = urlsplit(central)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PairingError(f"--central must look like https://central.example.org, got {central!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname) and not allow_plain_http:
        raise PairingError(f"refusing plain {central}: the answer holds the station's passwords; use https:// or, "
                           "on a network you trust, set pairing.allow_plain_http = true")
    return central.rstrip("/") + "/pair/claim"


def fetch(url: str, code: str, timeout: float = 30, ca_file: str | None = None) -> dict:
    """POST the code to central and return its answer; PairingError with central's message on refusal.

    https:// is checked against the system's CAs, or `ca_file` (a federation's own CA) when given.
    """
    body = json.dumps({"code": code}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json", "Accept": "application/json"})
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as e:
        raise PairingError(f"--central-ca: cannot read a CA certificate from {ca_file!r}: {e}") from None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as answer:  # noqa: S310 - checked scheme
            return json.loads(answer.read())
    except urllib.error.HTTPError as e:
        try:
            refusal = json.loads(e.read())
            message = refusal["message"]
        except (ValueError, KeyError, TypeError):
            message = f"central answered HTTP {e.code}"
        raise PairingError(message) from None
    except (urllib.error.URLError, OSError) as e:
        raise PairingError(f"cannot reach central at {url}: {getattr(e, 'reason', e)}") from None
    except ValueError:
        raise PairingError(f"central at {url} did not answer JSON") from None


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT


def site_file_text(answer: dict, ca_file: Path | None, central: str, database_path: str | None = None) -> str:
    """The site file (TOML that waystation.settings loads) for central's answer."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    accounts = {d["kind"]: d for d in answer["devices"] if d["kind"] in ACCOUNT_KINDS}
    lines = [f"# Written by `waystation pair` on {now} from {central}. Pairing again replaces it.",
             "# Holds the station's passwords: keep it owner-only (0600).", "",
             "[broker]", f"url = {_toml_string(answer['broker_url'])}",
             f"topic_root = {_toml_string(answer['topic_root'])}"]
    if ca_file:
        lines.append(f"ca_file = {_toml_string(str(ca_file))}")
    lines += ["", "[kiosk]", f"station_id = {_toml_string(answer['station_id'])}",
              f"secret_key = {_toml_string(answer['kiosk_secret_key'])}"]
    if database_path:
        lines.append(f"database_path = {_toml_string(database_path)}")
    lines += ["", "[accounts]"]
    for key, device in accounts.items():
        lines += [f"{key}_user = {_toml_string(device['username'])}",
                  f"{key}_password = {_toml_string(device['password'])}"]
    return "\n".join(lines) + "\n"


def pair(code: str, central: str, site_file: Path, *, allow_plain_http: bool = False,
         database_path: str | None = None, central_ca: str | None = None) -> Paired:
    """Claim `code` at `central` and write the site file (and CA certificate beside it), both 0600."""
    code = code.strip()
    url = claim_url(central, allow_plain_http)
    answer = fetch(url, code, ca_file=central_ca)
    try:
        ca_text = answer.get("ca_certificate")
        ca_file = site_file.parent / "ca.crt" if ca_text else None
        text = site_file_text(answer, ca_file.resolve() if ca_file else None, central, database_path)
    except (KeyError, TypeError) as e:
        raise PairingError(f"central's answer lacks {e}") from None
    staged = site_file.with_name(site_file.name + ".new")
    _write_private(staged, text)
    try:
        load_settings(staged, env={})  # what we write must load, or we write nothing
    except ConfigError as e:
        staged.unlink()
        raise PairingError(f"central's answer does not make valid settings: {e}") from None
    if ca_file:
        _write_private(ca_file, ca_text)
    staged.replace(site_file)
    devices = [d["username"] for d in answer["devices"]]
    log.info("paired station %s: wrote %s", answer["station_id"], site_file)
    return Paired(answer["station_id"], site_file, ca_file, devices, answer["broker_url"])


def device_login(settings, kind: str, station: str | None = None) -> tuple[str, str] | None:
    """A device kind's (user name, password) from the site file's [accounts], or None for broker.url's.

    With `station`, only for the station the site file is for (kiosk.station_id).
    """
    if station is not None and station != settings.kiosk.station_id:
        return None
    user = settings.accounts[f"{kind}_user"]
    return (user, settings.accounts[f"{kind}_password"]) if user else None
