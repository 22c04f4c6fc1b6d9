"""Tracking on the rider's phone: code plus last four digits, nothing personal, limited guessing, rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from station_admin.core.models import StaffUser, db
from station_admin.core.throttle import ThrottleEvent
from station_admin.requests.models import ServiceRequest, StatusChange
from tests.conftest import csrf_of
from tests.station_admin.requests_helpers import file


def phone_client(app, addr="10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    client.get("/m/track")
    return client


def look_up(client, code, last4):
    return client.post("/m/track", data={"csrf_token": csrf_of(client), "code": code, "last4": last4})


def close_case(app, req):
    from devices.protocol import utcnow
    from station_admin.requests import casework

    with app.test_request_context(), db.connection_context():
        worker = StaffUser.get(StaffUser.username == "caseworker")
        req = ServiceRequest.get_by_id(req.id)
        casework.record_contact(req, worker, utcnow())
        casework.close(req, True, False, "800", worker, utcnow())


def test_status_in_plain_words_and_nothing_personal(central_app):
    req = file(central_app, phone="13812345678")
    client = phone_client(central_app)
    page = client.get(f"/m/track?code={req.tracking_code}").get_data(as_text=True)
    assert f'value="{req.tracking_code}"' in page and "查询服务进度" in page
    response = look_up(client, req.tracking_code.lower(), "5678")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "已收到，等待工作人员联系您" in html and "法律援助" in html
    assert "提交于 2026-03-02" in html and "工作人员将尽快与您联系" in html
    for personal in ("138", "5678", "拖欠工资", "外卖骑手", "evening", "徐汇区职工法律援助中心"):
        assert personal not in html


def test_a_pasted_code_with_spaces_dashes_or_lower_case_is_found_and_the_dates_are_shown(central_app):
    req = file(central_app, phone="13812345678")
    code = req.tracking_code
    client = phone_client(central_app)
    for pasted in (f" {code[:4].lower()} {code[4:].lower()} ", f"{code[:4]}-{code[4:]}", f"{code[:4]}\u2014{code[4:]}"):
        html = look_up(client, pasted, "5678").get_data(as_text=True)
        assert 'data-testid="result"' in html, pasted
    page = client.get("/m/track").get_data(as_text=True)
    assert 'maxlength="20"' in page and "required" not in page.split('<form')[1]  # the browser cuts nothing off
    close_case(central_app, req)
    html = look_up(client, code, "5678").get_data(as_text=True)
    with db.connection_context():
        stored = ServiceRequest.get_by_id(req.id)
    from zoneinfo import ZoneInfo

    day = stored.closed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    assert f"工作人员已于 {day} 与您联系" in html and f"已于 {day} 办结" in html


def test_wrong_code_and_wrong_digits_get_the_same_answer_and_change_nothing(central_app):
    req = file(central_app, phone="13812345678")
    client = phone_client(central_app)
    wrong_digits = look_up(client, req.tracking_code, "1111")
    wrong_code = look_up(client, "ABCDEFGH", "5678")
    assert wrong_digits.status_code == wrong_code.status_code == 404
    for response in (wrong_digits, wrong_code):
        assert "查询码或手机号后四位不正确" in response.get_data(as_text=True)
    malformed = look_up(client, "ABC", "12")
    assert malformed.status_code == 400 and "请输入 8 位查询码" in malformed.get_data(as_text=True)
    with db.connection_context():
        assert ServiceRequest.get_by_id(req.id).status == "assigned"
        assert ThrottleEvent.select().where(ThrottleEvent.action == "track").count() == 4  # per address and code


def test_repeated_guessing_is_limited_per_address_and_per_code(central_app, clock):
    req = file(central_app, phone="13812345678")
    moment = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    clock(moment, tick=False)
    guesser = phone_client(central_app, "10.0.0.9")
    for n in range(5):
        assert look_up(guesser, req.tracking_code, f"{n:04d}").status_code == 404
    limited = look_up(guesser, req.tracking_code, "5678")  # even the right digits, now
    assert limited.status_code == 429 and "尝试次数过多，请 15 分钟后再试" in limited.get_data(as_text=True)
    # the code waits from another address too (a guesser changing address gains nothing)...
    assert look_up(phone_client(central_app, "10.0.0.10"), req.tracking_code, "5678").status_code == 429
    # ...but only a moment, growing with each further failure: it is slowed down, never locked
    clock(moment + timedelta(seconds=2), tick=False)
    other_guesser = phone_client(central_app, "10.0.0.12")
    assert look_up(other_guesser, req.tracking_code, "9999").status_code == 404
    assert look_up(other_guesser, req.tracking_code, "5678").status_code == 429  # now 2 s after that one
    clock(moment + timedelta(seconds=5), tick=False)
    assert look_up(phone_client(central_app, "10.0.0.10"), req.tracking_code, "5678").status_code == 200
    # and the address is limited for other codes
    other = file(central_app, phone="13900001234")
    assert look_up(guesser, other.tracking_code, "1234").status_code == 429
    # somebody else, on another code, is not affected
    assert look_up(phone_client(central_app, "10.0.0.11"), other.tracking_code, "1234").status_code == 200


def test_a_strangers_guesses_do_not_hold_back_the_riders_own_phone(central_app, clock):
    req = file(central_app, phone="13812345678")
    clock(datetime(2026, 3, 2, 4, 0, tzinfo=UTC), tick=False)
    rider = phone_client(central_app, "10.0.0.1")
    assert look_up(rider, req.tracking_code, "5678").status_code == 200
    for n in range(20):  # a stranger, from many addresses, guesses the rider's digits
        look_up(phone_client(central_app, f"10.0.1.{n}"), req.tracking_code, f"{n:04d}")
    assert look_up(phone_client(central_app, "10.0.2.1"), req.tracking_code, "5678").status_code == 429
    assert look_up(rider, req.tracking_code, "5678").status_code == 200  # the phone that opened it before


def test_limit_window_and_count_come_from_settings(central_settings):
    settings = central_settings(requests={"track_max_failures": 2, "track_window_minutes": 1})
    assert (settings.requests.track_max_failures, settings.requests.track_window_minutes) == (2, 1)


def test_rating_after_closure_once(central_app):
    req = file(central_app, phone="13812345678")
    client = phone_client(central_app)
    look_up(client, req.tracking_code, "5678")
    early = client.post("/m/track/rate", data={"csrf_token": csrf_of(client), "code": req.tracking_code, "score": "5"})
    assert early.status_code == 400  # still open
    close_case(central_app, req)
    html = look_up(client, req.tracking_code, "5678").get_data(as_text=True)
    assert "已办结，问题已解决" in html and "您对这次服务满意吗" in html
    rated = client.post("/m/track/rate", data={"csrf_token": csrf_of(client), "code": req.tracking_code, "score": "4"})
    assert rated.status_code == 200 and "谢谢您的评价" in rated.get_data(as_text=True)
    again = client.post("/m/track/rate", data={"csrf_token": csrf_of(client), "code": req.tracking_code,
                                               "score": "unresolved"})
    assert again.status_code == 400
    with db.connection_context():
        stored = ServiceRequest.get_by_id(req.id)
        assert (stored.satisfaction, stored.status, stored.unresolved) == (4, "closed_resolved", False)


def test_not_resolved_reopens_the_case_as_the_rider(central_app):
    req = file(central_app, phone="13812345678")
    close_case(central_app, req)
    client = phone_client(central_app)
    stranger = phone_client(central_app, "10.0.0.2")
    refused = stranger.post("/m/track/rate", data={"csrf_token": csrf_of(stranger), "code": req.tracking_code,
                                                   "score": "unresolved"})
    assert refused.status_code == 403 and "请先重新查询" in refused.get_data(as_text=True)
    look_up(client, req.tracking_code, "5678")
    bad = client.post("/m/track/rate", data={"csrf_token": csrf_of(client), "code": req.tracking_code, "score": "9"})
    assert bad.status_code == 400
    response = client.post("/m/track/rate", data={"csrf_token": csrf_of(client), "code": req.tracking_code,
                                                  "score": "unresolved"})
    assert response.status_code == 200 and "已重新打开" in response.get_data(as_text=True)
    with db.connection_context():
        stored = ServiceRequest.get_by_id(req.id)
        assert (stored.status, stored.unresolved, stored.rating_open) == ("reopened", True, False)
        last = StatusChange.history(stored)[-1]
        assert (last.to_status, last.actor_name, last.actor_id) == ("reopened", "rider", None)


def test_english_on_request(central_app):
    client = phone_client(central_app)
    client.post("/m/language", data={"csrf_token": csrf_of(client), "lang": "en", "next": "/m/track"})
    assert "Enter the 8-character tracking code" in look_up(client, "??", "x").get_data(as_text=True)
