"""Care-day vouchers end to end through a real broker (kiosks + CentralNode): central decides, one
voucher per member per month across stations, offline provisional vouchers confirmed or flagged at
sync, quota, care day, and redeeming once at a partner shop (docs/vouchers.md states each rule)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import care_moment, csrf_of, kiosk_for, start_node, wait_until  # noqa: F401 - care_moment is also imported from here

pytestmark = pytest.mark.timeout(120)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def clock(monkeypatch):
    """The kiosks', the redeem page's and central ingest's clock, set to a care day (only the clock is patched).

    Central's ingest judges event times by its own receive time (issue 11): its clock moves with the
    kiosks', or a kiosk's claim dated the care day would be taken for a clock weeks ahead."""
    moment = {"now": care_moment()}

    def set_to(value: datetime):
        moment["now"] = value
        for target in ("kiosk.voucher.utcnow", "kiosk.home.utcnow", "station_admin.mobile.redeem.utcnow",
                       "station_admin.mobile.join.utcnow", "station_admin.community.vouchers.utcnow",
                       "station_admin.node.ingest.utcnow"):
            monkeypatch.setattr(target, lambda: moment["now"])
    set_to(moment["now"])
    return set_to


@pytest.fixture
def central(shared_mosquitto, running, central_settings):
    """Central's app and MQTT node, publishing trust and voucher policies quickly."""
    from station_admin import create_app
    from station_admin.core import models
    from station_admin.node.central import CentralNode

    settings = central_settings(shared_mosquitto.url, template="seeded", central={"trust_publish_seconds": 0.5},
                                community={"publish_seconds": 0.5})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    node = running.start(CentralNode(settings, app.extensions["waystation.protector"]))
    wait_until(node.link.subscribed.is_set, message="central subscribed")
    yield app
    models.db.close()


def members(app) -> list[tuple[str, str]]:
    """(member number, card text) of the demo members."""
    from station_admin.core.models import db
    from station_admin.members.models import Member

    protector = app.extensions["waystation.protector"]
    with db.connection_context():
        return [(m.member_no, m.card_text(protector)) for m in Member.select().order_by(Member.id)]


def ready_kiosk(running, station: str, kiosk_settings, broker_url: str, **community):
    """A kiosk that heard its card keys and voucher policy from central; returns (app, node, settings)."""
    from kiosk.models import CarePolicy, TrustedKey, db

    app, settings = kiosk_for(station, kiosk_settings, broker_url)
    if community:
        settings = kiosk_settings(broker_url, kiosk={"station_id": station}, community=community)
    node = start_node(running, app, settings)

    def ready():
        with db.connection_context():
            return (TrustedKey.select().where(TrustedKey.kid != "sealing").exists()
                    and CarePolicy.get_or_none(CarePolicy.station_id == station))
    wait_until(ready, timeout=15, message=f"card keys and voucher policy at {station}")
    return app, node


def claim(app, card: str) -> str:
    client = app.test_client()
    client.get("/voucher/")
    response = client.post("/voucher/claim", data={"code": card},
                           headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(client)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def outcome(html: str) -> tuple[str, str]:
    """('voucher', status) or ('refused', reason) from the kiosk's answer."""
    found = re.search(r'data-testid="voucher"\s+data-status="([a-z]+)"', html)
    if found:
        return "voucher", found.group(1)
    return "refused", re.search(r'data-reason="([a-z_]+)"', html).group(1)


def voucher_text(html: str) -> str:
    return re.search(r'data-text="([^"]+)"', html).group(1)


def central_vouchers():
    from station_admin.community.careday import Voucher
    from station_admin.core.models import db

    with db.connection_context():
        return [(v.station_code, v.member_no, v.status, v.reason) for v in Voucher.select().order_by(Voucher.id)]


def shop_client(app):
    client = app.test_client()
    client.get("/auth/login")
    response = client.post("/auth/login", data={"username": "shop", "password": "shop-demo",
                                                "csrf_token": csrf_of(client)})
    assert response.status_code == 303
    return client


def redeem(client, code: str):
    client.get("/m/redeem/")
    return client.post("/m/redeem/", data={"code": code, "csrf_token": csrf_of(client)})


def test_online_claim_is_confirmed_second_claim_elsewhere_refused_and_redeemed_once(
        shared_mosquitto, running, central, kiosk_settings, clock):
    (member_no, card), *_ = members(central)
    kiosk_a, _ = ready_kiosk(running, "xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    html = claim(kiosk_a, card)
    assert outcome(html) == ("voucher", "confirmed"), html
    text = voucher_text(html)
    assert text.startswith("WV1.") and member_no in text and len(text) <= 130 and text.isascii()
    # Scanning again at the same kiosk shows the same voucher, never a second one.
    assert voucher_text(claim(kiosk_a, card)) == text

    # The same member at another station, same month: central refuses.
    kiosk_b, _ = ready_kiosk(running, "xh-caohejing", kiosk_settings, shared_mosquitto.url)
    html = claim(kiosk_b, card)
    assert outcome(html) == ("refused", "already_claimed"), html
    assert "您本月已领取过爱心餐券" in html
    assert [(s, st, r) for s, _, st, r in central_vouchers()] == [
        ("xh-xujiahui", "confirmed", None), ("xh-caohejing", "refused", "already_claimed")]

    # A partner shop redeems it once; the second time is refused and changes nothing.
    shop = shop_client(central)
    first = redeem(shop, text)
    assert first.status_code == 200 and 'data-testid="redeemed"' in first.get_data(as_text=True)
    again = redeem(shop, text)
    assert again.status_code == 409 and "核销过" in again.get_data(as_text=True)
    from station_admin.community.careday import Voucher
    from station_admin.core.models import db

    with db.connection_context():
        row = Voucher.get(Voucher.status == "confirmed")
        assert row.redeemed_at is not None and row.redeemed_by.username == "shop"
        redeemed_at = row.redeemed_at
    with db.connection_context():
        assert Voucher.get_by_id(row.id).redeemed_at == redeemed_at


def test_forged_tampered_and_other_bad_codes_are_refused_at_the_shop(shared_mosquitto, running, central,
                                                                    kiosk_settings, clock):
    from waystation import cards
    from waystation.vouchers import new_voucher_no, provisional_voucher, sign_voucher

    (member_no, card), *_ = members(central)
    kiosk_a, _ = ready_kiosk(running, "xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    text = voucher_text(claim(kiosk_a, card))
    kid = text.split(".")[1]
    rogue, _ = cards.new_signing_key()
    month = text.split(".")[4]
    shop = shop_client(central)
    cases = {
        "forged": [sign_voucher(rogue, kid, text.split(".")[2], member_no, month),
                   sign_voucher(rogue, "ROGU", new_voucher_no(), member_no, month),
                   text[:-3] + ("AAA" if text[-3:] != "AAA" else "BBB"),
                   text.replace(member_no, members(central)[1][0])],
        "not_a_voucher": ["hello", card, "https://example.org/"],
        "not_synced": [provisional_voucher(new_voucher_no(), member_no, month)],
        "empty": ["   "],
    }
    for key, codes in cases.items():
        for code in codes:
            response = redeem(shop, code)
            body = response.get_data(as_text=True)
            assert response.status_code == 400, (key, code)
            assert f'data-key="{key}"' in body, (key, code, body)
    from station_admin.community.careday import Voucher
    from station_admin.core.models import db

    with db.connection_context():
        assert Voucher.select().where(Voucher.redeemed_at.is_null(False)).count() == 0
    # The month is over: the genuine voucher has expired.
    clock(care_moment().replace(year=care_moment().year + 1))
    response = redeem(shop, text)
    assert response.status_code == 400 and 'data-key="expired"' in response.get_data(as_text=True)


def test_offline_claims_at_two_stations_one_confirmed_one_flagged_at_sync(shared_mosquitto, running, central,
                                                                         kiosk_settings, clock):
    (member_no, card), *_ = members(central)
    # The kiosk database is one per process, so the two kiosks take turns (each stops before the next).
    kiosk_a, node_a = ready_kiosk(running, "xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    node_a.stop()  # both kiosks lose the network: each gives a provisional voucher at once
    html_a = claim(kiosk_a, card)
    kiosk_b, node_b = ready_kiosk(running, "xh-caohejing", kiosk_settings, shared_mosquitto.url)
    node_b.stop()
    html_b = claim(kiosk_b, card)
    assert outcome(html_a) == ("voucher", "provisional") and outcome(html_b) == ("voucher", "provisional")
    assert voucher_text(html_a).startswith("WP1.") and "临时券" in html_a
    assert central_vouchers() == []

    from kiosk.models import VoucherClaim, db

    def kiosk_status():
        with db.connection_context():
            return VoucherClaim.get().status
    # Station A syncs first: its claim is confirmed; then B syncs: its claim is flagged.
    kiosk_a, settings_a = kiosk_for("xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    node_a = start_node(running, kiosk_a, settings_a)
    wait_until(lambda: [v[2] for v in central_vouchers()] == ["confirmed"], timeout=20, message="A's claim confirmed")
    wait_until(lambda: kiosk_status() == "confirmed", message="central's signed voucher at station A")
    node_a.stop()
    kiosk_b, settings_b = kiosk_for("xh-caohejing", kiosk_settings, shared_mosquitto.url)
    start_node(running, kiosk_b, settings_b)
    wait_until(lambda: [v[2] for v in central_vouchers()] == ["confirmed", "flagged"], timeout=20,
               message="B's claim flagged")
    assert central_vouchers()[1] == ("xh-caohejing", member_no, "flagged", "already_claimed")
    wait_until(lambda: kiosk_status() == "flagged", message="the flag at station B")
    # Staff see the flagged claim; the shop cannot redeem B's provisional voucher.
    admin = central.test_client()
    admin.get("/auth/login")
    admin.post("/auth/login", data={"username": "admin", "password": "admin-demo", "csrf_token": csrf_of(admin)})
    page = admin.get("/vouchers/").get_data(as_text=True)
    assert 'data-status="flagged"' in page and member_no in page
    shop = shop_client(central)
    refused = redeem(shop, voucher_text(html_b))
    assert 'data-key="not_valid"' in refused.get_data(as_text=True)
    # A's provisional voucher is the same voucher central confirmed: the shop redeems it.
    assert redeem(shop, voucher_text(html_a)).status_code == 200


def test_not_the_care_day_and_quota_are_refused(shared_mosquitto, running, central, kiosk_settings, clock):
    from station_admin.community.careday import set_policy
    from station_admin.core.models import District, db

    (_, card_1), (_, card_2), (_, card_3) = members(central)[:3]
    with db.connection_context():
        set_policy(District.get(code="xuhui"), 20, 5, care_moment())  # 3 stations: quotas 2, 2, 1 by code
    kiosk, _ = ready_kiosk(running, "xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    from kiosk.models import CarePolicy
    from kiosk.models import db as kiosk_db

    def quota():
        with kiosk_db.connection_context():
            return CarePolicy.get().quota
    wait_until(lambda: quota() == 1, message="the new quota at the kiosk")  # xh-xujiahui is third by code

    clock(care_moment().replace(day=19))
    html = claim(kiosk, card_1)
    assert outcome(html) == ("refused", "not_care_day") and "今天不是关爱日" in html
    clock(care_moment())
    assert outcome(claim(kiosk, card_1)) == ("voucher", "confirmed")
    html = claim(kiosk, card_2)
    assert outcome(html) == ("refused", "quota") and "已发完" in html
    assert [v[2] for v in central_vouchers()] == ["confirmed"]


def test_central_refuses_a_claim_made_on_another_day_and_quota_when_kiosk_could_not_know(
        shared_mosquitto, running, central):
    """Claims that reach central by the wire alone (a kiosk offline, or a bad clock) get the same rules."""
    from devices.protocol import events
    from station_admin.community.careday import decide_claims
    from station_admin.core.models import db

    settings = central.extensions["waystation.settings"]
    (member_no, _), (member_2, _) = members(central)[:2]
    wrong_day = care_moment().replace(day=care_moment().day - 1)

    def event(member, ts, provisional=True):
        body = events.VoucherClaim(__import__("waystation.vouchers").vouchers.new_voucher_no(), member, provisional)
        return events.StationEvent("xh-longhua", events.new_event_id(), 1, ts, body)
    with db.connection_context(), db.atomic():
        decisions = decide_claims([event(member_no, wrong_day), event(member_no, care_moment()),
                                   event(member_no, care_moment()), event("WZZZZZZZZZ", care_moment(), False)],
                                  central.extensions["waystation.protector"], settings.community, "Asia/Shanghai",
                                  care_moment())
    assert [(d.status, d.reason) for d in decisions] == [
        ("flagged", "not_care_day"), ("confirmed", None), ("flagged", "already_claimed"), ("refused", "not_member")]
    assert decisions[1].voucher.startswith("WV1.")


def test_roles_shop_users_only_redeem_staff_cannot_be_shops(central):
    shop = shop_client(central)
    for path in ("/", "/vouchers/", "/schedule/", "/members/", "/reports/", "/requests/", "/api/v1/stations"):
        assert shop.get(path).status_code == 403, path
    anonymous = central.test_client()
    assert anonymous.get("/m/redeem/").status_code == 302
    manager = central.test_client()
    manager.get("/auth/login")
    manager.post("/auth/login", data={"username": "manager", "password": "manager-demo",
                                      "csrf_token": csrf_of(manager)})
    assert manager.get("/m/redeem/").status_code == 403
    assert manager.get("/vouchers/").status_code == 200
    # A manager may see vouchers but not set the federation's policy.
    response = manager.post("/vouchers/policy", data={"district": "xuhui", "care_day": "5", "quota": "10",
                                                      "csrf_token": csrf_of(manager)})
    assert response.status_code == 403


def test_policy_form_refuses_bad_input_and_changes_nothing(central):
    from station_admin.community.careday import VoucherPolicy
    from station_admin.core.models import db

    client = central.test_client()
    client.get("/auth/login")
    client.post("/auth/login", data={"username": "federation", "password": "federation-demo",
                                     "csrf_token": csrf_of(client)})
    client.get("/vouchers/")
    bad = [({"district": "xuhui", "care_day": "31", "quota": "10"}, "关爱日必须是 1 到 28"),
           ({"district": "xuhui", "care_day": "abc", "quota": "10"}, "关爱日必须是 1 到 28"),
           ({"district": "xuhui", "care_day": "0", "quota": "10"}, "关爱日必须是 1 到 28"),
           ({"district": "xuhui", "care_day": "20", "quota": "-1"}, "名额必须是 0 到 100000"),
           ({"district": "xuhui", "care_day": "20", "quota": "1e9"}, "名额必须是 0 到 100000"),
           ({"district": "nowhere", "care_day": "20", "quota": "10"}, "请选择您管理范围内的区")]
    for form, message in bad:
        response = client.post("/vouchers/policy", data={**form, "csrf_token": csrf_of(client)})
        assert response.status_code == 400 and message in response.get_data(as_text=True), form
    with db.connection_context():
        assert VoucherPolicy.select().count() == 0
    ok = client.post("/vouchers/policy", data={"district": "xuhui", "care_day": "15", "quota": "300",
                                               "csrf_token": csrf_of(client)})
    assert ok.status_code == 200 and 'data-testid="saved"' in ok.get_data(as_text=True)
    with db.connection_context():
        assert (VoucherPolicy.get().care_day, VoucherPolicy.get().district_quota) == (15, 300)
