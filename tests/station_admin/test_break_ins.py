"""The break-ins of issue 12, each written as the attack: a replayed cookie, 40 passwords, the timing
of unknown names, 25 sign-ups through one join QR, and guesses from behind a shared proxy address.

Every one of them got through before the sessions and the throttle; each test fails if it gets through again.
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest

from station_admin.core.audit import AuditEntry
from station_admin.core.models import StaffUser, db
from station_admin.core.throttle import ThrottleEvent
from station_admin.members.models import ConsentText, Member
from tests.conftest import csrf_of
from tests.station_admin.conftest import login
from tests.station_admin.requests_helpers import file
from tests.station_admin.test_members import fields, join_link

MOMENT = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def signed_in_cookie(client) -> str:
    """The session cookie the browser holds now (what someone who copied it would replay)."""
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh browser presenting a copied session cookie: a staff action with its CSRF token, then a page."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    with thief.session_transaction() as s:
        token = s.get("csrf", "")
    change = thief.post("/admin/staff/manager/sign-out", data={"csrf_token": token})
    thief.set_cookie("session", cookie)
    return thief.get("/members/"), change


# --- sessions ----------------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(central_app):
    owner = central_app.test_client()
    login(owner, "admin", "admin-demo")
    assert owner.get("/members/").status_code == 200
    copied = signed_in_cookie(owner)
    page, _ = replay(central_app, copied)
    assert page.status_code == 200  # the copy works while the owner is signed in (it is the same session)
    assert owner.post("/auth/logout", data={"csrf_token": csrf_of(owner)}).status_code == 303
    with db.connection_context():
        done_before = AuditEntry.select().where(AuditEntry.action == "staff.sign_out").count()
    page, change = replay(central_app, copied)
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]
    assert change.status_code == 302 and "/auth/login" in change.headers["Location"]  # the action was not done
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "staff.sign_out").count() == done_before


@pytest.mark.parametrize("how", ["password", "disable", "sign_out_everywhere"])
def test_a_new_password_disabling_or_sign_out_everywhere_ends_open_sessions(central_app, how):
    from station_admin.admin import staff

    manager = central_app.test_client()
    login(manager, "manager", "manager-demo")
    assert manager.get("/").status_code == 200
    copied = signed_in_cookie(manager)
    with central_app.test_request_context(), db.connection_context():
        user = StaffUser.get(StaffUser.username == "manager")
        if how == "password":
            staff.set_password(user, "a-new-long-passphrase-9")
        elif how == "disable":
            staff.set_active(user, False)
        else:
            staff.sign_out_everywhere(user)
    for client in (manager, central_app.test_client()):
        if client is not manager:
            client.set_cookie("session", copied)
        assert client.get("/").status_code == 302


def test_a_session_ends_after_30_idle_minutes_and_after_12_hours_however_busy(central_app, clock):
    clock(MOMENT, tick=False)
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    assert client.get("/members/").status_code == 200
    clock(MOMENT + timedelta(minutes=29), tick=False)
    assert client.get("/members/").status_code == 200  # 29 minutes idle: still signed in
    clock(MOMENT + timedelta(minutes=29 + 31), tick=False)
    assert client.get("/members/").status_code == 302  # 31 idle minutes: gone

    clock(MOMENT, tick=False)
    login(client, "admin", "admin-demo")
    for quarter in range(1, 48):  # busy all day, a request every 15 minutes
        clock(MOMENT + timedelta(minutes=15 * quarter), tick=False)
        assert client.get("/members/").status_code == 200, quarter
    clock(MOMENT + timedelta(hours=12, seconds=1), tick=False)
    assert client.get("/members/").status_code == 302


def test_lifetime_and_idle_time_come_from_settings_and_https_cookies_are_secure(central_settings, clock):
    from station_admin import create_app

    app = create_app(central_settings(template="seeded", central={
        "session_idle_minutes": 5, "public_url": "https://waystation.example.org"}).as_dict())
    clock(MOMENT, tick=False)
    client = app.test_client()
    response = login(client, "admin", "admin-demo")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # the browser drops it too, after session_hours
    clock(MOMENT + timedelta(minutes=6), tick=False)
    assert client.get("/", base_url="https://waystation.example.org").status_code == 302
    db.close()


def test_sign_in_starts_a_new_session(central_app):
    client = central_app.test_client()
    client.get("/auth/login")
    with client.session_transaction() as s:
        s["planted"] = "by someone who set this browser's cookie"
        before = s["csrf"]
    login(client, "admin", "admin-demo")
    with client.session_transaction() as s:
        assert "planted" not in s and s.get("csrf") != before


# --- sign-in ------------------------------------------------------------------------------------------


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(central_app, clock):
    clock(MOMENT, tick=False)
    attacker = central_app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    answers = [login(attacker, "admin", f"guess-{n}").status_code for n in range(40)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}  # the clock stands still: each try waits
    right = login(attacker, "admin", "admin-demo")
    assert right.status_code == 429 and "秒后再试" in right.get_data(as_text=True)
    with attacker.session_transaction() as s:
        assert "user_id" not in s
    # the owner, from their own desk, is not locked out by the attacker
    owner = central_app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert login(owner, "admin", "admin-demo").status_code == 303
    with db.connection_context():
        reached = AuditEntry.select().where(AuditEntry.action == "throttle.reached", AuditEntry.subject_id == "sign_in")
        assert reached.count() >= 1 and {e.remote_addr for e in reached} == {"203.0.113.7"}


def test_the_wait_grows_with_each_failure_and_ends(central_app, clock):
    clock(MOMENT, tick=False)
    client = central_app.test_client()
    for n in range(5):
        assert login(client, "manager", f"wrong-{n}").status_code == 401
    waits = []
    moment = MOMENT
    for _ in range(4):
        held = login(client, "manager", "wrong-again")
        assert held.status_code == 429
        waits.append(int(re.search(r"请 (\d+) 秒后再试", held.get_data(as_text=True)).group(1)))
        moment += timedelta(seconds=waits[-1])
        clock(moment, tick=False)
        assert login(client, "manager", "wrong-again").status_code == 401  # allowed again: and wrong again
    assert waits == [1, 2, 4, 8]
    clock(moment + timedelta(seconds=16), tick=False)
    assert login(client, "manager", "manager-demo").status_code == 303  # the right password, once the wait is over
    with db.connection_context():  # and it cleared the account's count from this address
        assert not ThrottleEvent.select().where(ThrottleEvent.scope == "account_address").exists()


def test_the_english_message_says_how_long_to_wait(central_app, clock):
    clock(MOMENT, tick=False)
    client = central_app.test_client()
    client.get("/auth/login")
    client.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    for _ in range(6):
        response = login(client, "admin", "nope")
    assert response.status_code == 429 and "Please try again in 1 seconds" in response.get_data(as_text=True)


def _sign_in_time(app, username: str, address: str) -> float:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address  # under the throttle: each try from its own address
    client.get("/auth/login")
    token = csrf_of(client)
    started = time.perf_counter()
    response = client.post("/auth/login", data={"username": username, "password": "not-it", "csrf_token": token})
    elapsed = time.perf_counter() - started
    assert response.status_code == 401
    return elapsed


def test_a_refusal_takes_as_long_for_a_name_that_does_not_exist(central_app):
    # Compared within one run, as a ratio of medians, the names taking turns so that the machine's load
    # falls on all of them alike: no absolute time is asserted.
    names = {"admin": [], "no-such-user-anywhere": [], "demo-api": []}  # demo-api: a token's account, no password
    for n in range(12):
        for i, (name, times) in enumerate(names.items()):
            times.append(_sign_in_time(central_app, name, f"192.0.{i}.{n}"))
    existing, unknown, token_account = (statistics.median(t[2:]) for t in names.values())  # first two: warm-up
    assert 1 / 3 < unknown / existing < 3, (existing, unknown)
    assert 1 / 3 < token_account / existing < 3, (existing, token_account)


# --- joining ------------------------------------------------------------------------------------------


def _sign_up(app, link: str, phone_number: str, address: str = "203.0.113.50"):
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = address
    phone.get(link)  # a refused link shows no form: the joiner agrees to the current consent text all the same
    with app.app_context(), db.connection_context():
        consent = str(ConsentText.current().version)
    return phone.post("/m/join", data={"name": "钱师傅", "phone": phone_number, "platform": "eleme",
                                       "district": "xuhui", "consent": "yes", **fields(link),
                                       "consent_version": consent, "csrf_token": csrf_of(phone)})


def test_25_sign_ups_through_one_join_qr_make_at_most_five_members(central_app):
    with db.connection_context():
        before = Member.select().count()
    link = join_link(central_app)
    answers = [_sign_up(central_app, link, f"1371234{n:04d}", f"203.0.113.{n}") for n in range(25)]
    assert [a.status_code for a in answers[:5]] == [303] * 5
    refused = answers[5:]
    assert {a.status_code for a in refused} == {429}
    assert "这个入会二维码已达到可用人数" in refused[0].get_data(as_text=True)
    with db.connection_context():
        assert Member.select().count() == before + 5


def test_sign_ups_from_one_address_and_with_one_number_are_bounded(central_app, clock):
    clock(MOMENT, tick=False)
    made = []
    for n in range(12):  # fresh links, as a kiosk shows every two minutes: still one address
        made.append(_sign_up(central_app, join_link(central_app, made=MOMENT - timedelta(minutes=n)),
                             f"1381234{n:04d}").status_code)
    assert made[:10] == [303] * 10 and made[10:] == [429, 429]
    repeated = [_sign_up(central_app, join_link(central_app), "13912345678", f"198.51.100.{n}").status_code
                for n in range(5)]
    assert repeated == [303, 400, 400, 429, 429]  # joined once, then "already a member" twice, then held
    held = _sign_up(central_app, join_link(central_app), "13912345678", "198.51.100.99")
    assert "这个手机号的入会尝试次数过多" in held.get_data(as_text=True)


def test_a_join_link_older_than_15_minutes_is_refused(central_app, clock):
    clock(MOMENT, tick=False)
    link = join_link(central_app, made=MOMENT - timedelta(minutes=16))
    assert _sign_up(central_app, link, "13712340000").status_code == 400


# --- behind the reverse proxy ----------------------------------------------------------------------------


def _proxied_app(central_settings, proxies: int):
    from station_admin import create_app

    app = create_app(central_settings(template="seeded", central={"trusted_proxies": proxies}).as_dict())
    app.config["TESTING"] = True
    return app


def _through_the_proxy(app, client_address: str):
    """A phone whose requests arrive from the proxy's address, the client's in X-Forwarded-For."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address)
    client.get("/m/track")
    return client


def _look_up(client, code, last4):
    return client.post("/m/track", data={"csrf_token": csrf_of(client), "code": code, "last4": last4})


def test_behind_the_proxy_one_guesser_does_not_lock_out_every_rider(central_settings, clock):
    app = _proxied_app(central_settings, 1)
    rider_case = file(app, phone="13812345678")
    other_case = file(app, phone="13900001234")
    clock(MOMENT, tick=False)
    guesser = _through_the_proxy(app, "203.0.113.66")
    for n in range(6):
        _look_up(guesser, other_case.tracking_code, f"{n:04d}")
    assert _look_up(guesser, rider_case.tracking_code, "5678").status_code == 429  # the guesser is held
    rider = _through_the_proxy(app, "198.51.100.7")
    assert _look_up(rider, rider_case.tracking_code, "5678").status_code == 200  # every other rider is not
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "throttle.reached",
                                         AuditEntry.remote_addr == "203.0.113.66").exists()
    db.close()


def test_without_trusted_proxies_a_forged_forwarded_address_buys_nothing(central_settings, clock):
    app = _proxied_app(central_settings, 0)
    case = file(app, phone="13812345678")
    clock(MOMENT, tick=False)
    for n in range(6):  # a new made-up X-Forwarded-For each time, all from one real address
        _look_up(_through_the_proxy(app, f"10.9.9.{n}"), "ABCDEFGH", f"{n:04d}")
    assert _look_up(_through_the_proxy(app, "10.9.9.200"), case.tracking_code, "5678").status_code == 429
    db.close()
