"""Outside demo mode nothing of the demo opens a real system: its secrets, token and passwords are
refused at start; the demo broker and the kiosk listen on loopback only."""

from __future__ import annotations

import pytest

from devices.protocol import utcnow
from station_admin.core.models import db
from tests.conftest import SECRETS, make_settings
from waystation.broker import EmbeddedBroker
from waystation.cli import main
from waystation.settings import ConfigError, load_settings


@pytest.mark.parametrize("placeholder", [
    "…at least 32 random characters, kept apart from the database backups…",  # from docs/operations.md
    "demo-secret-key-0123456789abcdefghij",
    "my-example-value-for-the-secret-key-00",
    "x" * 40,
    "abababababababababababababababababababab",
])
def test_a_placeholder_secret_is_refused_outside_demo_mode(placeholder):
    settings = load_settings(env={}, overrides={"central": {"secret_key": placeholder}})
    with pytest.raises(ConfigError, match="central.secret_key: looks like a demo or example value"):
        settings.secret("central.secret_key")
    demo = load_settings(env={}, overrides={"demo": True, "central": {"secret_key": placeholder}})
    assert demo.secret("central.secret_key") == placeholder


def test_a_random_secret_is_accepted():
    assert make_settings().secret("central.data_key") == SECRETS["central"]["data_key"]


def _central_env(monkeypatch, database_url: str, demo: bool = False):
    monkeypatch.setenv("WAYSTATION_DATABASE_URL", database_url)
    monkeypatch.setenv("WAYSTATION_CENTRAL_SECRET_KEY", SECRETS["central"]["secret_key"])
    monkeypatch.setenv("WAYSTATION_CENTRAL_DATA_KEY", SECRETS["central"]["data_key"])
    monkeypatch.setenv("WAYSTATION_DEMO", "true" if demo else "false")


def test_central_refuses_to_start_on_a_database_with_demo_passwords_or_token(central_settings, monkeypatch, capsys):
    settings = central_settings(template="seeded")
    _central_env(monkeypatch, settings.database.url)
    assert main(["--log-level", "WARNING", "central", "--no-ingest", "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert "the demo API token (demo-api)" in error and "staff user admin with its demo password" in error
    assert "waystation users passwd" in error


def test_with_every_demo_credential_changed_nothing_is_found(central_app):
    from station_admin.admin import staff
    from station_admin.demo.seed import DEMO_TOKEN_NAME, DEMO_USERS, demo_credentials_in_use

    with central_app.test_request_context(), db.connection_context():
        assert len(demo_credentials_in_use()) == len(DEMO_USERS) + 1
        for username, *_ in DEMO_USERS:
            staff.set_password(staff.find_user(username), "a-real-long-passphrase-77")
        assert demo_credentials_in_use() == ["the demo API token (demo-api)"]
        staff.revoke_token(DEMO_TOKEN_NAME, utcnow())
        assert demo_credentials_in_use() == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "broker.example.org"])
def test_the_demo_broker_listens_on_loopback_only(host, capsys):
    with pytest.raises(ValueError, match="loopback only"):
        EmbeddedBroker(host, 1883)
    assert main(["broker", "--host", host, "--port", "1"]) == 2
    assert "loopback only" in capsys.readouterr().err


def test_the_kiosk_and_central_listen_on_loopback_by_default():
    settings = load_settings(env={})
    assert settings.kiosk.host == settings.central.host == "127.0.0.1"
    assert settings.central.trusted_proxies == 0  # and trust no forwarded address unless told
