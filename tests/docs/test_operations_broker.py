"""docs/operations.md's broker steps, run as written: openssl makes the CA and the broker's certificate,
`waystation broker-account` makes central's and the devices' accounts on the shipped config."""

from __future__ import annotations

import re
import subprocess

import pytest

from devices.mqtt import MqttLink
from tests.brokers import BrokerCertificates, SecureMosquitto
from tests.conftest import make_settings
from waystation.cli import main
from waystation.paths import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "operations.md"


def section(title: str) -> str:
    text = DOC.read_text()
    return text.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]


def sh_block(title: str) -> str:
    return re.search(r"```sh\n(.*?)```", section(title), flags=re.S).group(1)


@pytest.fixture(scope="module")
def doc_certificates(tmp_path_factory) -> BrokerCertificates:
    """The certificates made by the doc's openssl commands, for the host name localhost."""
    work = tmp_path_factory.mktemp("openssl")
    script = sh_block("Certificates for the broker")
    assert script.startswith("BROKER=broker.example\n")
    subprocess.run(["bash", "-e", "-c", script.replace("BROKER=broker.example", "BROKER=localhost", 1)],
                   cwd=work, check=True, timeout=60, capture_output=True)
    return BrokerCertificates(work / "waystation-ca.crt", work / "waystation-ca.key", work / "waystation-broker.crt",
                            work / "waystation-broker.key")


@pytest.fixture
def broker(tmp_path, doc_certificates):
    broker = SecureMosquitto(workdir=tmp_path / "mosquitto", certs=doc_certificates).start()
    yield broker
    broker.cleanup()


def site_file(tmp_path, broker) -> str:
    path = tmp_path / "central.toml"
    path.write_text(f'[broker]\nurl = "{broker.url}"\nadmin_url = "{broker.admin_url}"\n'
                    f'[ingest]\nclient_id = "waystation-ingest-1"\n')
    return str(path)


def printed(capsys) -> dict[str, str]:
    out = capsys.readouterr().out
    return dict(re.findall(r"(user|client id|password) (\S+?)(?:,|$)", out.strip()))


def connects(url: str, ca_file: str, client_id: str, wait: float = 10) -> bool:
    link = MqttLink(make_settings(broker={"url": url, "ca_file": ca_file}).broker, client_id)
    link.start()
    try:
        return link.connected.wait(wait)
    finally:
        link.stop()


def test_the_doc_s_certificates_serve_tls_checked_against_the_doc_s_ca(broker, doc_certificates, tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    site = site_file(tmp_path, broker)
    assert main(["--config", site, "broker-account", "device", "xh-longhua", "people_counter"]) == 0
    counter = printed(capsys)
    assert counter["user"] == counter["client id"] == "xh-longhua.counter"
    url = broker.tls_url(counter["user"], counter["password"], host="localhost")
    assert connects(url, str(doc_certificates.ca_cert), counter["client id"])


def test_broker_account_commands_make_central_and_device_accounts_and_revoke(broker, tmp_path, capsys,
                                                                            monkeypatch):
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    site = site_file(tmp_path, broker)
    ca = str(broker.certs.ca_cert)
    assert main(["--config", site, "broker-account", "central"]) == 0
    central = printed(capsys)
    assert (central["user"], central["client id"]) == ("central", "waystation-ingest-1")
    assert connects(f"mqtt://central:{central['password']}@127.0.0.1:{broker.port}", ca, "waystation-ingest-1")

    assert main(["--config", site, "broker-account", "device", "xh-longhua", "kiosk"]) == 0
    kiosk = printed(capsys)
    kiosk_url = broker.tls_url(kiosk["user"], kiosk["password"])
    assert connects(kiosk_url, ca, kiosk["client id"])
    assert main(["--config", site, "broker-account", "revoke", "xh-longhua", "kiosk"]) == 0
    assert "revoked xh-longhua.kiosk" in capsys.readouterr().out
    assert not connects(kiosk_url, ca, kiosk["client id"], wait=3)


def test_broker_account_errors_are_named(broker, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    site = site_file(tmp_path, broker)
    assert main(["--config", site, "broker-account", "device", "Bad Code", "kiosk"]) == 1
    assert "lower-case letters" in capsys.readouterr().err
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(f'[broker]\nadmin_url = "mqtt://ws-admin:nope@127.0.0.1:{broker.port}"\n')
    assert main(["--config", str(wrong), "broker-account", "central"]) == 1
    assert "did not accept the admin account" in capsys.readouterr().err
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert main(["--config", str(empty), "broker-account", "central"]) == 1
    assert "broker.admin_url is empty" in capsys.readouterr().err
