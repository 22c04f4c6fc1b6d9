"""Membership end to end through a real broker: join by the kiosk's QR, card checks with the network
cut, check-in by scan at a station of another district, revocation reaching kiosks, key rotation."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from devices.protocol import utcnow
from tests.conftest import csrf_of, kiosk_for, start_node, wait_until  # noqa: F401 - also imported from here

pytestmark = pytest.mark.timeout(120)
CARD_PATH = re.compile(r"/m/card/([A-Za-z0-9_-]+)$")


@pytest.fixture
def central(shared_mosquitto, running, central_settings):
    """Central's app and MQTT node (ingest, configurations, trust) with a second district and station."""
    from station_admin import create_app
    from station_admin.core import models
    from station_admin.core.models import District, Federation, Station
    from station_admin.node.central import CentralNode

    settings = central_settings(shared_mosquitto.url, template="seeded",
                                central={"trust_publish_seconds": 0.5, "public_url": "http://central.test"})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    with models.db.connection_context():
        minhang, _ = District.get_or_create(code="minhang", defaults={
            "federation": Federation.get(code="sh"), "name_zh": "闵行区总工会",
            "name_en": "Minhang District Federation"})
        Station.create(code="mh-xinzhuang", district=minhang, name_zh="莘庄驿站", name_en="Xinzhuang Station",
                       capacity=10, charger_slots=0)
    node = running.start(CentralNode(settings, app.extensions["waystation.protector"]))
    wait_until(node.link.subscribed.is_set, message="central subscribed")
    yield app
    models.db.close()


def kiosk_has_keys(app, count: int = 1):
    from kiosk.models import TrustedKey

    with app.app_context():
        return TrustedKey.select().where(TrustedKey.kid != "sealing").count() >= count


def join_by_phone(central_app, join_url: str, **answers) -> tuple:
    """What a rider does on their phone: open the QR's link, fill in the form, land on the card page."""
    phone = central_app.test_client()
    parts = urlsplit(join_url)
    form = phone.get(f"{parts.path}?{parts.query}")
    assert form.status_code == 200, form.get_data(as_text=True)
    consent = re.search(r'name="consent_version" value="(\d+)"', form.get_data(as_text=True)).group(1)
    data = {"name": "赵师傅", "phone": "139 1234 5678", "platform": "meituan", "district": "xuhui", "consent": "yes",
            "consent_version": consent, "csrf_token": csrf_of(phone),
            **dict(p.split("=") for p in parts.query.split("&")), **answers}
    done = phone.post("/m/join", data=data)
    assert done.status_code == 303, done.get_data(as_text=True)
    token = CARD_PATH.search(done.headers["Location"]).group(1)
    return phone, token


def card_of(central_app, token: str) -> tuple[str, str]:
    """The member number and the card text behind a card page (what its QR code holds)."""
    from station_admin.core.models import db
    from station_admin.members.models import Member

    with db.connection_context():
        member = Member.by_page_token(token)
        return member.member_no, member.card_text(central_app.extensions["waystation.protector"])


def scan(client, code: str) -> str:
    client.get("/")
    response = client.post("/checkin/card", data={"code": code},
                           headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(client)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def central_checkins():
    from station_admin.core.models import CheckIn, db

    with db.connection_context():
        return [(c.station_code, c.method, c.member_no) for c in CheckIn.select().order_by(CheckIn.id)]


def test_join_at_one_station_check_in_offline_at_another_district(shared_mosquitto, running, central,
                                                                  kiosk_settings, tmp_path):
    # Station A shows a join QR that names it, signed with the key central sent in its configuration.
    kiosk_a, settings_a = kiosk_for("xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    node_a = start_node(running, kiosk_a, settings_a)
    screen = kiosk_a.test_client()
    page = wait_until(lambda: 'data-testid="join-qr"' in (p := screen.get("/join/").get_data(as_text=True)) and p,
                      message="the join QR once central configured the station")
    join_url = re.search(r'data-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert join_url.startswith("http://central.test/m/join?s=xh-xujiahui&")
    node_a.stop()

    phone, token = join_by_phone(central, join_url)
    card_page = phone.get(f"/m/card/{token}").get_data(as_text=True)
    member_no, card_text = card_of(central, token)
    assert member_no in card_page and "赵师傅" not in card_page and "5678" not in card_page
    assert phone.get(f"/m/card/{token}/card.png").headers["Content-Type"] == "image/png"

    # Station B, in another district, hears the card keys, then loses the network and still checks the card.
    kiosk_b, settings_b = kiosk_for("mh-xinzhuang", kiosk_settings, shared_mosquitto.url)
    node_b = start_node(running, kiosk_b, settings_b)
    wait_until(lambda: kiosk_has_keys(kiosk_b), message="card keys at station B")
    node_b.stop()
    welcome = scan(kiosk_b.test_client(), card_text)
    assert f"会员 {member_no}" in welcome and "赵师傅" not in welcome

    start_node(running, kiosk_b, settings_b)
    assert wait_until(lambda: ("mh-xinzhuang", "card", member_no) in central_checkins(), timeout=20,
                      message="the card check-in at central")

    # The kiosks' databases hold no names and no phone numbers.
    for db_file in tmp_path.glob("kiosk-*.db*"):
        raw = db_file.read_bytes()
        assert "赵师傅".encode() not in raw and b"13912345678" not in raw, db_file


def test_card_corpus_at_a_kiosk_with_its_network_cut(shared_mosquitto, running, central, kiosk_settings):
    from station_admin.core.models import db
    from station_admin.members.models import CardKey, Member, reissue, revoke
    from waystation import cards

    protector = central.extensions["waystation.protector"]
    now = utcnow()
    with db.connection_context():
        members = list(Member.select().order_by(Member.id))
        old_key = CardKey.signer()
        new_key = CardKey.rotate(protector, now)  # the old key stays valid: both sign valid cards
        retiring = CardKey.rotate(protector, now)
        valid = [old_key.sign(protector, members[0].member_no, now, now.replace(year=now.year + 1)),
                 new_key.sign(protector, members[0].member_no, now, now.replace(year=now.year + 1))]
        retired_card = retiring.sign(protector, members[0].member_no, now, now.replace(year=now.year + 1))
        retiring.retire(now)
        revoked_card = members[1].card_text(protector)
        revoke(members[1], now, "test")
        replaced_card = members[2].card_text(protector)
        reissue(protector, members[2], now, 365)
        expired = new_key.sign(protector, members[0].member_no, now.replace(year=now.year - 2),
                               now.replace(year=now.year - 1))
    rogue, _ = cards.new_signing_key()
    forged = cards.sign_card(rogue, new_key.kid, members[0].member_no, now, now.replace(year=now.year + 1))
    corpus = {
        "tampered": [valid[1][:i] + ("A" if valid[1][i] != "A" else "B") + valid[1][i + 1:]
                     for i in range(len(valid[1]))],
        "tampered-forged": [forged],
        "unknown_key": [retired_card, cards.sign_card(rogue, "ROGU", members[0].member_no, now,
                                                      now.replace(year=now.year + 1))],
        "expired": [expired],
        "revoked": [revoked_card, replaced_card],
        "wrong_version": ["WS2" + valid[1][3:]],
        "not_a_card": ["https://example.org/", "6901234567892", "hello world"],
    }

    kiosk, settings = kiosk_for("xh-longhua", kiosk_settings, shared_mosquitto.url)
    node = start_node(running, kiosk, settings)
    wait_until(lambda: kiosk_has_keys(kiosk, 2), message="both active card keys at the kiosk")
    from kiosk.models import Revocation

    def revocations_in():
        with kiosk.app_context():
            return Revocation.select().count() >= 2
    wait_until(revocations_in, message="the revoked and the replaced card at the kiosk")
    node.stop()  # the network is cut: everything below is decided by the kiosk alone

    from kiosk.models import CheckIn

    client = kiosk.test_client()
    for expected, codes in corpus.items():
        for code in codes:
            html = scan(client, code)
            assert 'data-testid="card-refused"' in html, (expected, code)
            status = re.search(r'data-status="([a-z_]+)"', html).group(1)
            want = {"tampered-forged": "tampered"}.get(expected, expected)
            if expected == "tampered":
                assert status in ("tampered", "not_a_card", "wrong_version", "unknown_key"), code
            else:
                assert status == want, (expected, code, status)
    with kiosk.app_context():
        assert CheckIn.select().count() == 0
    for code in valid:
        assert "data-testid=\"welcome\"" in scan(client, code)
    with kiosk.app_context():
        # Both valid cards are the same member within the repeat window: one check-in.
        assert [c.member_no for c in CheckIn.select()] == [members[0].member_no]


def test_revocation_reaches_an_online_kiosk_within_seconds(shared_mosquitto, running, central, kiosk_settings):
    from station_admin.core.models import db
    from station_admin.members.models import Member, revoke

    protector = central.extensions["waystation.protector"]
    with db.connection_context():
        member = Member.select().where(Member.status == "active").first()
        card = member.card_text(protector)
    kiosk, settings = kiosk_for("xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    start_node(running, kiosk, settings)
    wait_until(lambda: kiosk_has_keys(kiosk), message="card keys at the kiosk")
    client = kiosk.test_client()
    assert 'data-testid="welcome"' in scan(client, card)

    with db.connection_context():
        revoke(Member.get_by_id(member.id), utcnow(), "lost phone")
    # The test publishes every 0.5 s (production: 5 s); well inside the 60 s either way.
    wait_until(lambda: 'data-status="revoked"' in scan(client, card), timeout=15, interval=0.3,
               message="the revocation at the kiosk")
