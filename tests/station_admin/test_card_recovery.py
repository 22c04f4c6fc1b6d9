"""Getting a lost card link back on the phone (/m/recover): member number and the phone's last four digits."""

from __future__ import annotations

import re

from devices.protocol import utcnow
from station_admin.core.audit import AuditEntry
from station_admin.core.models import db
from station_admin.core.throttle import ThrottleEvent
from station_admin.members.models import Member, revoke
from station_admin.personal.records import erase
from tests.conftest import csrf_of
from tests.station_admin.test_members import join_link, submit

PHONE = "13712345678"  # the number test_members.submit joins with
NO_MATCH = "会员号与手机号后四位不匹配"


def joined(app, **overrides) -> tuple[Member, str]:
    """A member who joined on the phone, and their card page's token."""
    response = submit(app, join_link(app), **overrides)
    assert response.status_code == 303, response.get_data(as_text=True)
    token = re.search(r"/m/card/(.+)$", response.headers["Location"]).group(1)
    with db.connection_context():
        return Member.by_page_token(token), token


def recover(app, member_no: str, last4: str, address: str = "127.0.0.1"):
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = address
    assert phone.get("/m/recover").status_code == 200
    return phone, phone.post("/m/recover", data={"member_no": member_no, "last4": last4, "csrf_token": csrf_of(phone)})


def stored(member: Member) -> Member:
    with db.connection_context():
        return Member.get_by_id(member.id)


def recoveries(member: Member) -> list[AuditEntry]:
    with db.connection_context():
        return [e for e in AuditEntry.for_subject("member", member.member_no) if e.action == "member.card_link_recover"]


def test_the_join_page_leads_to_recovery_and_the_already_member_message_says_so(central_app):
    joined(central_app)
    page = central_app.test_client().get(join_link(central_app)).get_data(as_text=True)
    assert 'href="/m/recover"' in page and "找回会员卡" in page
    again = submit(central_app, join_link(central_app)).get_data(as_text=True)
    assert "找回会员卡" in again
    assert "找回会员卡" in central_app.test_client().get("/m/join?s=xh-xujiahui&t=1&h=x").get_data(as_text=True)


def test_the_right_details_give_a_new_card_link_and_the_old_one_stops_working(central_app):
    member, old_token = joined(central_app)
    phone, response = recover(central_app, f" {member.member_no.lower()[:5]} {member.member_no.lower()[5:]} ", "5678")
    assert response.status_code == 303
    new_token = re.search(r"/m/card/([A-Za-z0-9_-]+)\?new=1$", response.headers["Location"]).group(1)
    assert new_token != old_token
    page = phone.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and member.member_no in text and 'data-testid="new-link"' in text
    assert 'class="card-qr"' in text and page.headers["Cache-Control"] == "no-store"
    assert central_app.test_client().get(f"/m/card/{old_token}").status_code == 404
    # Only the link is new: the card (what kiosks check) is the same one, nothing is revoked.
    after = stored(member)
    assert (after.card_enc, after.card_issued_at, after.replaced_before, after.status) == (
        member.card_enc, member.card_issued_at, None, "active")
    with db.connection_context():
        assert Member.by_page_token(new_token).id == member.id
        assert ThrottleEvent.select().where(ThrottleEvent.action == "recover").count() == 0


def test_a_recovery_is_audited_with_the_client_address(central_app):
    member, _ = joined(central_app)
    recover(central_app, member.member_no, "5678", address="10.1.2.3")
    [entry] = recoveries(member)
    assert (entry.actor_name, entry.remote_addr, entry.subject_kind) == ("system", "10.1.2.3", "member")
    assert entry.details == {"by": "member_no_and_last4"}


def test_wrong_digits_say_so_plainly_and_change_nothing(central_app):
    member, token = joined(central_app)
    _, response = recover(central_app, member.member_no, "5679")
    assert response.status_code == 404 and NO_MATCH in response.get_data(as_text=True)
    assert stored(member).page_token_hash == member.page_token_hash and not recoveries(member)
    assert central_app.test_client().get(f"/m/card/{token}").status_code == 200


def test_an_unknown_number_cannot_be_told_from_wrong_digits(central_app):
    member, _ = joined(central_app)
    unknown = "W" + ("2" if member.member_no[1] != "2" else "3") + member.member_no[2:]
    answers = []
    for number in (member.member_no, unknown):
        phone, response = recover(central_app, number, "0000")
        body = response.get_data(as_text=True).replace(number, "NUMBER").replace(csrf_of(phone), "TOKEN")
        answers.append((response.status_code, body))
    assert answers[0] == answers[1] and answers[0][0] == 404 and NO_MATCH in answers[0][1]
    with db.connection_context():  # both counted alike, against the number named and the address
        assert ThrottleEvent.select().where(ThrottleEvent.action == "recover",
                                            ThrottleEvent.scope == "member_no").count() == 2


def test_a_member_who_left_or_was_erased_cannot_recover(central_app):
    left, left_token = joined(central_app)
    erased, _ = joined(central_app, phone="13712340000")
    with db.connection_context(), db.atomic():
        revoke(Member.get_by_id(left.id), utcnow(), "本人退会")
        erase(Member.get_by_id(erased.id), utcnow(), "本人申请删除")
    for member, last4 in ((left, "5678"), (erased, "0000")):
        _, response = recover(central_app, member.member_no, last4)
        assert response.status_code == 404 and NO_MATCH in response.get_data(as_text=True)
        assert not recoveries(member)
    assert stored(left).page_token_hash == left.page_token_hash
    assert "会员资格已注销" in central_app.test_client().get(f"/m/card/{left_token}").get_data(as_text=True)


def test_wrong_tries_per_number_are_limited_from_any_address(central_app):
    member, _ = joined(central_app)
    for n in range(5):  # members.recover_failures_per_member
        _, response = recover(central_app, member.member_no, f"{n:04d}", address=f"10.0.0.{n + 1}")
        assert response.status_code == 404
    # The right digits now wait too, from yet another address: the number is held, not the phone.
    _, held = recover(central_app, member.member_no, "5678", address="10.0.0.99")
    assert held.status_code == 429 and "尝试次数过多" in held.get_data(as_text=True)
    assert stored(member).page_token_hash == member.page_token_hash and not recoveries(member)


def test_wrong_tries_per_address_are_limited_whatever_numbers_they_name(central_app):
    member, _ = joined(central_app)
    for n in range(10):  # members.recover_failures_per_address, each with another number
        _, response = recover(central_app, f"W{n:01d}AAAAAAAA".replace("0", "2").replace("1", "3"), "1234",
                              address="10.9.9.9")
        assert response.status_code == 404
    _, held = recover(central_app, member.member_no, "5678", address="10.9.9.9")
    assert held.status_code == 429 and stored(member).page_token_hash == member.page_token_hash
    _, elsewhere = recover(central_app, member.member_no, "5678", address="10.9.9.10")
    assert elsewhere.status_code == 303


def test_malformed_details_are_refused_with_a_message_and_not_counted(central_app):
    member, _ = joined(central_app)
    for number, last4 in (("", "5678"), ("W123", "5678"), (member.member_no, "56"), (member.member_no, "abcd"),
                          ("x" * 500, "5678")):
        _, response = recover(central_app, number, last4)
        assert response.status_code == 400 and "请填写以 W 开头的 10 位会员号" in response.get_data(as_text=True)
    with db.connection_context():
        assert ThrottleEvent.select().where(ThrottleEvent.action == "recover").count() == 0
    assert stored(member).page_token_hash == member.page_token_hash


def test_the_page_speaks_english_when_asked(central_app):
    phone = central_app.test_client()
    phone.get("/m/recover")
    phone.post("/m/language", data={"lang": "en", "next": "/m/recover", "csrf_token": csrf_of(phone)})
    page = phone.get("/m/recover").get_data(as_text=True)
    assert "Get my card back" in page and "last four digits" in page
    response = phone.post("/m/recover", data={"member_no": "W22222222A", "last4": "1234", "csrf_token": csrf_of(phone)})
    assert "do not match" in response.get_data(as_text=True)
