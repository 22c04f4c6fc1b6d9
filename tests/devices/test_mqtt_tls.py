"""MqttLink over TLS: the broker's certificate and host name are checked; plain MQTT stays on this machine."""

from __future__ import annotations

import secrets
import threading

import pytest

from devices.mqtt import BrokerConfigError, MqttLink, broker_address, parse_broker_url
from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.permissions import Party
from station_admin.core.broker_accounts import BrokerAccounts
from tests.brokers import SecureMosquitto, make_certificates, make_client_certificate
from tests.conftest import make_settings, wait_until
from waystation.cli import main

ROOT = "waystation/v1"


def broker(url: str, **extra):
    return make_settings(broker={"url": url, "topic_root": ROOT, "reconnect_min_s": 1, "reconnect_max_s": 2,
                                 **extra}).broker


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    """The shipped broker config with a kiosk account at xh-longhua."""
    work = tmp_path_factory.mktemp("tls-mosquitto")
    mosquitto = SecureMosquitto(workdir=work).start()
    with BrokerAccounts(broker(mosquitto.url, admin_url=mosquitto.admin_url)) as accounts:
        accounts.set_default_access()
        mosquitto.kiosk = accounts.provision_device("xh-longhua", Party.KIOSK)
    yield mosquitto
    mosquitto.cleanup()


def kiosk_link(settings, credential) -> MqttLink:
    return MqttLink(settings, credential.client_id, username=credential.username, password=credential.password,
                    online=Availability("xh-longhua", "kiosk", DeviceKind.KIOSK, True))


def test_mqtts_urls_default_to_8883_and_plain_to_1883():
    assert parse_broker_url("mqtts://a:b@broker.example").port == 8883
    assert parse_broker_url("mqtts://broker.example").tls
    assert parse_broker_url("mqtt://127.0.0.1").port == 1883
    with pytest.raises(BrokerConfigError, match="mqtts://host:port"):
        parse_broker_url("tcp://broker.example:1883")


@pytest.mark.parametrize("url", ["mqtt://broker.example:1883", "mqtt://kiosk:pw@10.0.0.5", "mqtt://[2001:db8::1]"])
def test_plain_mqtt_to_another_machine_is_refused(url):
    with pytest.raises(BrokerConfigError) as refused:
        MqttLink(broker(url), "xh-longhua.kiosk")
    message = str(refused.value)
    assert "mqtts://" in message and "broker.allow_plain_remote" in message and "unencrypted" in message
    assert "pw" not in message  # the password never ends up in a log


def test_plain_mqtt_is_allowed_on_this_machine_or_when_explicitly_allowed():
    for url in ("mqtt://127.0.0.1:1883", "mqtt://localhost", "mqtt://127.0.0.2", "mqtt://[::1]:1883"):
        assert broker_address(broker(url)).loopback
    assert broker_address(broker("mqtt://broker.example", allow_plain_remote=True)).host == "broker.example"


def test_the_kiosk_command_refuses_plain_mqtt_to_a_remote_broker(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    site = tmp_path / "site.toml"
    database = tmp_path / "kiosk-{station}.db"
    site.write_text(f'[broker]\nurl = "mqtt://xh-longhua.kiosk:secret@broker.example:1883"\n'
                    f'[kiosk]\nstation_id = "xh-longhua"\nsecret_key = "{secrets.token_hex(20)}"\n'
                    f'database_path = "{database}"\n')
    assert main(["--config", str(site), "kiosk"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "mqtts://" in err and "broker.allow_plain_remote" in err
    assert "secret" not in err
    assert not list(tmp_path.glob("kiosk-*.db"))  # nothing was touched


def test_a_bad_ca_file_or_client_certificate_is_named(tmp_path):
    with pytest.raises(BrokerConfigError, match="broker.ca_file"):
        MqttLink(broker("mqtts://localhost:8883", ca_file=str(tmp_path / "missing.crt")), "x")
    certs = make_certificates(tmp_path / "certs")
    with pytest.raises(BrokerConfigError, match="broker.client_cert"):
        MqttLink(broker("mqtts://localhost:8883", ca_file=str(certs.ca_cert), client_cert=str(tmp_path / "no.crt")),
                 "x")


def test_mqtts_with_the_broker_s_ca_connects_and_publishes(secure):
    settings = broker(secure.tls_url(), ca_file=str(secure.certs.ca_cert))
    link = kiosk_link(settings, secure.kiosk)
    link.start()
    try:
        assert link.connected.wait(10)
        assert link.address.tls and link.client._ssl
    finally:
        link.stop()


def test_a_broker_certificate_from_another_ca_is_refused(secure, tmp_path):
    stranger = make_certificates(tmp_path / "stranger")
    link = kiosk_link(broker(secure.tls_url(), ca_file=str(stranger.ca_cert)), secure.kiosk)
    failed = threading.Event()
    link.client.on_connect_fail = lambda client, userdata: failed.set()
    link.start()
    try:
        wait_until(failed.is_set, timeout=10, message="the TLS handshake to fail")
        assert not link.connected.is_set()
    finally:
        link.stop()


def test_a_certificate_for_another_host_name_is_refused(tmp_path):
    only_localhost = SecureMosquitto(workdir=tmp_path / "mosquitto", cert_hosts=("localhost",)).start()
    try:
        with BrokerAccounts(broker(only_localhost.url, admin_url=only_localhost.admin_url)) as accounts:
            kiosk = accounts.provision_device("xh-longhua", Party.KIOSK)
        ca = str(only_localhost.certs.ca_cert)
        good = kiosk_link(broker(only_localhost.tls_url(host="localhost"), ca_file=ca), kiosk)
        good.start()
        assert good.connected.wait(10)
        good.stop()
        wrong = kiosk_link(broker(only_localhost.tls_url(host="127.0.0.1"), ca_file=ca), kiosk)
        failed = threading.Event()
        wrong.client.on_connect_fail = lambda client, userdata: failed.set()
        wrong.start()
        wait_until(failed.is_set, timeout=10, message="the host name check to fail")
        assert not wrong.connected.is_set()
        wrong.stop()
    finally:
        only_localhost.cleanup()


def test_a_client_certificate_is_presented_when_configured(tmp_path):
    strict = SecureMosquitto(workdir=tmp_path / "mosquitto", require_client_certificate=True).start()
    try:
        with BrokerAccounts(broker(strict.url, admin_url=strict.admin_url)) as accounts:
            kiosk = accounts.provision_device("xh-longhua", Party.KIOSK)
        cert, key = make_client_certificate(strict.certs, "xh-longhua.kiosk")
        ca = str(strict.certs.ca_cert)
        without = kiosk_link(broker(strict.tls_url(), ca_file=ca), kiosk)
        without.start()
        # With TLS 1.3 the broker checks the client's certificate after the handshake and hangs up.
        assert not without.connected.wait(3)
        without.stop()
        with_cert = kiosk_link(broker(strict.tls_url(), ca_file=ca, client_cert=str(cert), client_key=str(key)),
                               kiosk)
        with_cert.start()
        assert with_cert.connected.wait(10)
        with_cert.stop()
    finally:
        strict.cleanup()
