"""Settings: defaults documented, overrides typed, and every mistake stops the process with the key's name."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from waystation.paths import CONFIG_DIR, PROJECT_ROOT
from waystation.settings import ConfigError, load_settings


def test_defaults_load_and_short_aliases_apply():
    settings = load_settings(env={"WAYSTATION_BROKER_URL": "mqtt://broker:1884",
                                  "WAYSTATION_DATABASE_URL": "postgresql://u@db/ws"})
    assert settings.broker.url == "mqtt://broker:1884"
    assert settings.database.url == "postgresql://u@db/ws"
    assert settings.kiosk.port == 8100


def test_environment_overrides_are_typed():
    settings = load_settings(env={"WAYSTATION_KIOSK_PORT": "9001", "WAYSTATION_DEMO": "yes",
                                  "WAYSTATION_SIMULATOR_MEAN_INTERVAL_S": "0.5"})
    assert settings.kiosk.port == 9001 and settings.demo is True and settings.simulator.mean_interval_s == 0.5


@pytest.mark.parametrize("env, key", [
    ({"WAYSTATION_KIOSK_PORT": "eighty"}, "WAYSTATION_KIOSK_PORT"),
    ({"WAYSTATION_KIOSK_PROT": "80"}, "WAYSTATION_KIOSK_PROT"),
    ({"WAYSTATION_DEMO": "perhaps"}, "WAYSTATION_DEMO"),
])
def test_bad_environment_names_the_variable(env, key):
    with pytest.raises(ConfigError, match=key):
        load_settings(env=env)


@pytest.mark.parametrize("value", ["5.0", "3", "v5", ""])
def test_a_setting_with_choices_refuses_any_other_value(value):
    """broker.protocol = "5.0" once silently meant 3.1.1; now it stops the process with the key and the choices."""
    with pytest.raises(ConfigError, match=r"broker\.protocol: must be one of '3\.1\.1', '5'"):
        load_settings(env={"WAYSTATION_BROKER_PROTOCOL": value})
    assert load_settings(env={"WAYSTATION_BROKER_PROTOCOL": "5"}).broker.protocol == "5"


@pytest.mark.parametrize("text, key", [
    ('[kiosk]\nport = "80"\n', "kiosk.port"),
    ('[kiosk]\nstation = "x"\n', "kiosk.station"),
    ('[kiosks]\nport = 1\n', "kiosks"),
    ('kiosk = 3\n', "kiosk"),
    ('[kiosk\n', "not valid TOML"),
])
def test_bad_site_file_names_the_key(tmp_path, text, key):
    site = tmp_path / "site.toml"
    site.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_settings(site, env={})


def test_site_file_then_environment(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[central]\nport = 9000\nthreads = 4\n')
    settings = load_settings(site, env={"WAYSTATION_CENTRAL_PORT": "9100"})
    assert (settings.central.port, settings.central.threads) == (9100, 4)


def test_secrets_are_required_outside_demo():
    with pytest.raises(ConfigError, match="central.secret_key"):
        load_settings(env={}).secret("central.secret_key")
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(env={"WAYSTATION_CENTRAL_SECRET_KEY": "short"}).secret("central.secret_key")
    assert len(load_settings(env={"WAYSTATION_DEMO": "1"}).secret("central.secret_key")) >= 32


def test_missing_station_stops_the_kiosk_with_the_key_name():
    from kiosk import create_app

    with pytest.raises(ConfigError, match="kiosk.station_id"):
        create_app({"demo": True})


def test_every_default_is_documented():
    """Each key in config/defaults.toml has a comment line right above it."""
    lines = (CONFIG_DIR / "defaults.toml").read_text().splitlines()
    for n, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line):
            assert lines[n - 1].startswith("#"), f"defaults.toml line {n + 1} ({line}) has no comment above it"


def test_the_command_exits_with_the_key_name():
    result = subprocess.run([sys.executable, "-m", "waystation.cli", "migrate", "central"],
                            env={"WAYSTATION_CENTRAL_PORTT": "1", "PATH": "/usr/bin:/bin"},
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "WAYSTATION_CENTRAL_PORTT: unknown setting" in result.stderr
