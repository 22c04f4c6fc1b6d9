"""The hardship register: census -> approval -> quarterly visits, documents only the district opens,
statuses derived from dates, federations counting only, and every bad input refused with nothing changed."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest

from station_admin.core.audit import AuditEntry
from station_admin.core.models import District, StaffUser, Station, db
from station_admin.hardship import register
from station_admin.hardship.models import HardshipCase, HardshipDocument, HardshipVisit
from station_admin.members.models import Member
from station_admin.requests.models import CentreMember, LegalAidCentre
from tests.conftest import csrf_of
from tests.station_admin.requests_helpers import file
from tests.station_admin.test_queue import add_minhang_caseworker, signed_in

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
ZIP = b"PK\x03\x04" + b"\x00" * 60  # a zip (or .docx) renamed to .pdf
FIGURES = {"cause": "illness", "household_members": "4", "household_income": "3200", "assistance_line": "1510",
           "census_on": "2026-03-02", "member_no": ""}


def at_clock(clock, *parts):
    """Central's clock (the `clock` fixture), stopped at a Shanghai wall time; that moment in UTC."""
    from zoneinfo import ZoneInfo

    moment = datetime(*parts, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    clock(moment, tick=False)
    return moment


def add_xuhui_caseworker(app, username="xh-second"):
    """A second case worker of the Xuhui centre: the district union's other pair of eyes."""
    with app.app_context(), db.connection_context():
        user = StaffUser(username=username, display_name="徐汇帮扶", role="caseworker")
        user.set_password(f"{username}-demo")
        user.save()
        CentreMember.create(user=user, centre=LegalAidCentre.get(LegalAidCentre.name_en.contains("Xuhui")))


def post(client, url, **form):
    return client.post(url, data={"csrf_token": csrf_of(client), **form})


def xuhui_id():
    with db.connection_context():
        return District.get(District.code == "xuhui").id


def record_case(client, **changes) -> int:
    """Record a case through the form as a Xuhui case worker; its id."""
    response = post(client, "/hardship/new", **{**FIGURES, "district": str(xuhui_id()), "station": "", **changes})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def actions_of(cid):
    with db.connection_context():
        return [(e.action, e.actor_name) for e in AuditEntry.for_subject("hardship", cid)]


# Derived statuses (no database: facts in, statuses out)

def _case(census_on, approved_at=None, recorded_at=datetime(2026, 3, 2, 2, tzinfo=UTC), changed_at=None):
    return HardshipCase(census_on=census_on, approved_census_on=census_on if approved_at else None,
                        approved_at=approved_at, recorded_at=recorded_at, changed_at=changed_at)


APPROVED = datetime(2026, 3, 4, 2, tzinfo=UTC)  # 10:00 Shanghai on 03-04


@pytest.mark.parametrize("today, last_visit, codes, next_visit", [
    (date(2026, 3, 5), None, [], date(2026, 6, 4)),
    (date(2026, 5, 20), None, [], date(2026, 6, 4)),                       # 15 days before: not yet due
    (date(2026, 5, 21), None, ["visit_due"], date(2026, 6, 4)),           # 14 days before: due
    (date(2026, 6, 4), None, ["visit_due"], date(2026, 6, 4)),            # on the day: still due
    (date(2026, 6, 5), None, ["visit_overdue"], date(2026, 6, 4)),        # the day after: overdue
    (date(2026, 6, 5), date(2026, 6, 1), [], date(2026, 9, 1)),           # visited: the next quarter counts
    (date(2027, 2, 16), date(2026, 12, 20), ["census_due"], date(2027, 3, 20)),
    (date(2027, 3, 3), date(2027, 1, 10), ["census_overdue"], date(2027, 4, 10)),
])
def test_statuses_are_derived_from_dates(today, last_visit, codes, next_visit):
    state = register.state_of(_case(date(2026, 3, 2), APPROVED), last_visit, today, "Asia/Shanghai")
    assert state.codes == codes
    assert state.next_visit_on == next_visit
    assert state.census_due_on == date(2027, 3, 2)


def test_a_case_awaits_approval_then_a_review_after_a_change_until_a_new_census():
    pending = register.state_of(_case(date(2026, 3, 2)), None, date(2026, 3, 3), "Asia/Shanghai")
    assert pending.codes == ["pending_approval"] and pending.visit == "none" and pending.next_visit_on is None
    changed = _case(date(2026, 3, 2), APPROVED, changed_at=datetime(2026, 4, 1, tzinfo=UTC))
    assert register.state_of(changed, None, date(2026, 4, 2), "Asia/Shanghai").codes == ["review_due"]
    changed.recorded_at, changed.census_on = datetime(2026, 4, 3, tzinfo=UTC), date(2026, 4, 3)  # new census
    after = register.state_of(changed, None, date(2026, 4, 4), "Asia/Shanghai")
    assert after.codes == ["pending_approval"]  # the new census needs its own approval; the review is done


# The whole way through, over HTTP

def test_a_case_from_a_request_through_census_approval_and_quarterly_visits(central_app, clock):
    add_xuhui_caseworker(central_app)
    at_clock(clock, 2026, 3, 2, 10, 0)
    req = file(central_app, service="hardship_aid")  # cause "illness", filed at xh-longhua (Xuhui)
    worker = signed_in(central_app, "caseworker")
    assert 'data-testid="open-hardship"' in worker.get(f"/requests/{req.id}").get_data(as_text=True)
    form = worker.get(f"/hardship/new?request={req.id}").get_data(as_text=True)
    assert "由帮扶请求" in form and req.tracking_code in form
    assert re.search(r'<option value="illness" selected', form)

    cid = record_case(worker, request=str(req.id), station="xh-longhua")
    assert post(worker, "/hardship/new", **FIGURES, request=str(req.id)).status_code == 303  # to the same case
    with db.connection_context():
        case = HardshipCase.get_by_id(cid)
        assert (case.request_id, case.station_code, case.household_income_fen) == (req.id, "xh-longhua", 320000)
        assert case.income_per_head_fen == 80000 and case.below_line  # 800 a head under 1510
    page = worker.get(f"/hardship/{cid}").get_data(as_text=True)
    assert "待审核" in page and "登记人不能审核自己登记的档案" in page
    assert f'href="/requests/{req.id}" data-testid="request-link">{req.tracking_code}<' in page

    refused = post(worker, f"/hardship/{cid}/act/approve")  # the recorder cannot approve
    assert refused.status_code == 400 and "登记人不能审核自己登记的档案。" in refused.get_data(as_text=True)
    too_early = post(worker, f"/hardship/{cid}/act/visit", visited_on="2026-03-02")
    assert too_early.status_code == 400 and "审核通过后才能记录走访" in too_early.get_data(as_text=True)
    with db.connection_context():
        assert HardshipCase.get_by_id(cid).approved_at is None and HardshipVisit.select().count() == 1  # the seed's

    at_clock(clock, 2026, 3, 4, 10, 0)
    union = signed_in(central_app, "xh-second")  # days later: a new sign-in (a session lasts at most 12 hours)
    assert post(union, f"/hardship/{cid}/act/approve").status_code == 303
    assert post(union, f"/hardship/{cid}/act/approve").status_code == 400  # approved already, nothing changes
    at_clock(clock, 2026, 5, 25, 9, 0)
    worker = signed_in(central_app, "caseworker")
    assert cid in listed(worker, "visits")
    assert post(worker, f"/hardship/{cid}/act/visit", visited_on="2026-05-24", note="家访").status_code == 303
    assert cid not in listed(worker, "visits")
    at_clock(clock, 2026, 8, 25, 9, 0)  # the next quarter: due again from the visit (08-24)
    worker = signed_in(central_app, "caseworker")
    page = worker.get(f"/hardship/{cid}").get_data(as_text=True)
    assert "2026-08-24" in page and "季度走访已逾期" in page
    at_clock(clock, 2027, 2, 20, 9, 0)
    worker = signed_in(central_app, "caseworker")
    assert cid in listed(worker, "census")

    with db.connection_context():
        entries = list(AuditEntry.for_subject("hardship", cid))
    by_action = {e.action: e for e in entries}
    assert by_action["hardship.record"].actor_name == "caseworker"
    assert by_action["hardship.record"].details["before"] is None
    assert by_action["hardship.record"].details["after"]["household_income_fen"] == 320000
    assert by_action["hardship.approve"].actor_name == "xh-second"
    assert by_action["hardship.approve"].details == {
        "before": {"approved_census_on": None, "approved_by": None},
        "after": {"approved_census_on": "2026-03-02", "approved_by": by_action["hardship.approve"].actor_id}}
    assert [a for a, _ in actions_of(cid)].count("hardship.approve") == 1


def listed(client, show) -> list[int]:
    html = client.get(f"/hardship/?show={show}").get_data(as_text=True)
    return [int(n) for n in re.findall(r'data-case="(\d+)"', html)]


def test_a_change_in_circumstances_asks_for_a_review_and_a_new_census_is_approved_again(central_app, clock):
    add_xuhui_caseworker(central_app)
    at_clock(clock, 2026, 3, 2, 10, 0)
    worker, union = signed_in(central_app, "caseworker"), signed_in(central_app, "xh-second")
    cid = record_case(worker)
    post(union, f"/hardship/{cid}/act/approve")
    at_clock(clock, 2026, 4, 1, 10, 0)
    worker, union = signed_in(central_app, "caseworker"), signed_in(central_app, "xh-second")  # a month later
    assert post(worker, f"/hardship/{cid}/act/change", note="").status_code == 400  # says nothing: refused
    assert post(worker, f"/hardship/{cid}/act/change", note="丈夫失业").status_code == 303
    assert cid in listed(worker, "review")
    older = post(worker, f"/hardship/{cid}/act/census", **{**FIGURES, "census_on": "2026-03-01"})
    assert older.status_code == 400 and "不能早于上次普查" in older.get_data(as_text=True)
    assert post(worker, f"/hardship/{cid}/act/census",
                **{**FIGURES, "cause": "unemployment", "household_income": "2000", "census_on": "2026-04-01"}
                ).status_code == 303
    assert cid not in listed(worker, "review") and cid in listed(worker, "pending")
    with db.connection_context():
        case = HardshipCase.get_by_id(cid)
        assert case.below_line and case.cause == "unemployment"
        census = AuditEntry.get(AuditEntry.subject_id == str(cid), AuditEntry.action == "hardship.census")
    assert census.details["before"]["cause"] == "illness" and census.details["after"]["cause"] == "unemployment"
    assert post(union, f"/hardship/{cid}/act/approve").status_code == 303
    assert cid not in listed(worker, "pending")
    # A second census the same day is a new recording: it needs its own approval too.
    clock(datetime(2026, 4, 1, 5, tzinfo=UTC), tick=False)
    worker, union = signed_in(central_app, "caseworker"), signed_in(central_app, "xh-second")  # hours later
    assert post(worker, f"/hardship/{cid}/act/census", **{**FIGURES, "census_on": "2026-04-01"}).status_code == 303
    assert cid in listed(worker, "pending")
    assert post(worker, f"/hardship/{cid}/act/approve").status_code == 400  # not by its recorder
    assert post(union, f"/hardship/{cid}/act/approve").status_code == 303
    assert cid not in listed(worker, "pending")


# Documents

def test_a_document_opens_only_for_the_districts_case_workers_and_every_read_is_audited(central_app, clock):
    add_minhang_caseworker(central_app)
    at_clock(clock, 2026, 3, 2, 10, 0)
    worker = signed_in(central_app, "caseworker")
    cid = record_case(worker)
    sent = worker.post(f"/hardship/{cid}/documents", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(worker), "kind": "illness_registration", "file": (io.BytesIO(PDF), "大病登记.pdf")})
    assert sent.status_code == 303
    with db.connection_context():
        doc = HardshipDocument.get(HardshipDocument.case == cid)
        assert (doc.content_type, doc.size, doc.source) == ("application/pdf", len(PDF), "staff")
        assert b"%PDF" not in bytes(doc.content) and len(bytes(doc.content)) == len(PDF) + 28  # nonce + tag
    url = f"/hardship/{cid}/documents/{doc.id}"
    assert url in worker.get(f"/hardship/{cid}").get_data(as_text=True)

    before = actions_of(cid)
    for username in ("mh-worker", "manager", "federation"):
        other = signed_in(central_app, username)
        assert other.get(url).status_code == 403, username
        assert other.get(f"/hardship/{cid}").status_code == 403, username
        assert PDF not in other.get(url).get_data()
    assert signed_in(central_app, None).get(url).status_code == 302  # to the sign-in page
    assert worker.get(f"/hardship/{cid}/documents/{doc.id + 1000}").status_code == 404
    assert signed_in(central_app, "mh-worker").get(f"/hardship/{cid + 1000}").status_code == 404
    assert actions_of(cid) == before  # refused reads leave no read in the log

    opened = worker.get(url)
    assert opened.status_code == 200 and opened.get_data() == PDF
    assert opened.mimetype == "application/pdf" and opened.headers["Cache-Control"] == "no-store"
    admin = signed_in(central_app, "admin")
    assert admin.get(url).get_data() == PDF
    assert actions_of(cid)[len(before):] == [("hardship.document_view", "caseworker"),
                                             ("hardship.document_view", "admin")]


@pytest.mark.parametrize("data, name, kind, message", [
    (ZIP, "病历.pdf", "medical_record", "文件内容与扩展名不符"),
    (PNG, "scan.pdf", "medical_record", "文件内容与扩展名不符"),
    (PDF, "scan.png", "medical_record", "文件内容与扩展名不符"),
    (b"GIF89a" + b"\x00" * 20, "photo.gif", "medical_record", "只接受 PDF、JPEG 或 PNG 文件"),
    (b"", "empty.pdf", "medical_record", "请选择要上传的文件"),
    (PDF, "scan.pdf", "passport", "请选择材料类型"),
    (b"%PDF-" + b"0" * (register.MAX_DOCUMENT_BYTES + 1), "big.pdf", "medical_record", "文件超过 5 MB"),
])
def test_a_bad_document_is_refused_with_a_message_and_nothing_stored(central_app, clock, data, name, kind,
                                                                      message):
    at_clock(clock, 2026, 3, 2, 10, 0)
    worker = signed_in(central_app, "caseworker")
    cid = record_case(worker)
    before = actions_of(cid)
    response = worker.post(f"/hardship/{cid}/documents", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(worker), "kind": kind, "file": (io.BytesIO(data), name)})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with db.connection_context():
        assert not HardshipDocument.select().where(HardshipDocument.case == cid).exists()
    assert actions_of(cid) == before


def test_a_disguised_pdf_is_refused_in_english_too(central_app, clock):
    at_clock(clock, 2026, 3, 2, 10, 0)
    worker = signed_in(central_app, "caseworker")
    cid = record_case(worker)
    post(worker, "/auth/language", lang="en")
    response = worker.post(f"/hardship/{cid}/documents", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(worker), "kind": "medical_record", "file": (io.BytesIO(ZIP), "record.pdf")})
    assert response.status_code == 400
    assert "The file&#39;s contents do not match its extension" in response.get_data(as_text=True)


# Bad input on the record form

@pytest.mark.parametrize("changes, message", [
    ({"cause": "laziness"}, "请选择致困原因"),
    ({"household_members": "0"}, "家庭人口须为 1 到 30"),
    ({"household_members": "４"}, "家庭人口须为 1 到 30"),  # a full-width digit
    ({"household_members": "31"}, "家庭人口须为 1 到 30"),
    ({"household_income": "three thousand"}, "家庭月收入须为以元计的金额"),
    ({"household_income": ""}, "家庭月收入须为以元计的金额"),
    ({"assistance_line": "0"}, "救助标准须为大于 0"),
    ({"census_on": "2026-03-03"}, "普查日期须为一年之内"),  # tomorrow
    ({"census_on": "2025-02-01"}, "普查日期须为一年之内"),
    ({"census_on": "02/03/2026"}, "普查日期须为一年之内"),
    ({"member_no": "W000000000"}, "没有这个会员卡号"),
    ({"member_no": "nobody"}, "没有这个会员卡号"),
    ({"district": "999999"}, "请选择所属区"),
    ({"station": "xh-nowhere"}, "请选择您负责的驿站"),
])
def test_a_bad_record_form_is_refused_with_a_message_and_changes_nothing(central_app, clock, changes, message):
    at_clock(clock, 2026, 3, 2, 10, 0)
    worker = signed_in(central_app, "caseworker")
    with db.connection_context():
        count, audits = HardshipCase.select().count(), AuditEntry.select().count()
    response = post(worker, "/hardship/new", **{**FIGURES, "district": str(xuhui_id()), "station": "", **changes})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with db.connection_context():
        assert HardshipCase.select().count() == count and AuditEntry.select().count() == audits


def test_a_case_worker_records_with_a_member_card_in_its_own_district_only(central_app, clock):
    add_minhang_caseworker(central_app)
    at_clock(clock, 2026, 3, 2, 10, 0)
    with db.connection_context():
        member_no = Member.select().order_by(Member.id).first().member_no
        minhang = District.get(District.code == "minhang").id
    worker = signed_in(central_app, "caseworker")
    cid = record_case(worker, member_no=member_no.lower())
    with db.connection_context():
        assert HardshipCase.get_by_id(cid).member_no == member_no
    refused = post(worker, "/hardship/new", **FIGURES, district=str(minhang), station="")
    assert refused.status_code == 400 and "请选择所属区" in refused.get_data(as_text=True)
    assert cid not in listed(signed_in(central_app, "mh-worker"), "all")


def test_a_station_manager_records_at_its_station_and_cannot_open_the_case(central_app, clock):
    at_clock(clock, 2026, 3, 2, 10, 0)
    manager = signed_in(central_app, "manager")
    assert post(manager, "/hardship/new", **FIGURES, station="xh-longhua").status_code == 400  # not its station
    done = post(manager, "/hardship/new", **FIGURES, station="xh-caohejing")
    assert done.status_code == 200 and "待区总工会审核" in done.get_data(as_text=True)
    with db.connection_context():
        case = HardshipCase.select().order_by(HardshipCase.id.desc()).first()
        assert (case.station_code, case.district_id) == ("xh-caohejing", Station.get(
            Station.code == "xh-caohejing").district_id)
    assert manager.get(f"/hardship/{case.id}").status_code == 403
    assert manager.get("/hardship/").status_code == 403
    assert case.id in listed(signed_in(central_app, "caseworker"), "pending")


# Federations

def test_a_federation_sees_counts_only_with_small_counts_suppressed(central_app, clock):
    at_clock(clock, 2026, 3, 2, 10, 0)
    admin = signed_in(central_app, "admin")
    with db.connection_context():
        minhang = District.get(District.code == "minhang").id
        member_no = Member.select().order_by(Member.id).first().member_no
    for _ in range(6):
        record_case(admin, district=str(minhang), cause="illness", member_no=member_no)
    federation = signed_in(central_app, "federation")
    assert federation.get("/hardship/").status_code == 403
    assert federation.get("/hardship/new").status_code == 403
    html = federation.get("/hardship/summary").get_data(as_text=True)
    table = re.search(r'<table class="list" id="by-cause">.*?</table>', html, re.S).group(0)
    shown = [re.findall(r"<td[^>]*>([^<]*)</td>", row)
             for row in re.findall(r"<tr data-district=.*?</tr>", table, re.S)]
    hidden = "*"
    # Minhang: 6 illness. Xuhui (the demo): 1 illness, 1 accident, 1 education. Minhang's 6 is hidden too,
    # or 7 - 6 would give Xuhui's 1 back; its total goes with it, and so in the visits table as well.
    assert shown == [[hidden, "0", "0", "0", "0", "0", hidden],
                     [hidden, hidden, "0", hidden, "0", "0", hidden],
                     ["7", hidden, "0", hidden, "0", "0", "9"]]
    visits = re.search(r'<table class="list" id="by-visit">.*?</table>', html, re.S).group(0)
    totals = [re.findall(r"<td[^>]*>([^<]*)</td>", row)[-1]
              for row in re.findall(r"<tr data-district=.*?</tr>", visits, re.S)]
    assert totals == [hidden, hidden, "9"]  # the district totals the two tables share are hidden in both
    assert member_no not in html and "/hardship/1" not in html and "张师傅" not in html


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


def test_the_worker_uploads_from_the_phone_by_the_case_workers_link_until_it_expires(central_app, clock):
    now = at_clock(clock, 2026, 3, 2, 10, 0)
    worker = signed_in(central_app, "caseworker")
    cid = record_case(worker)
    shown = post(worker, f"/hardship/{cid}/upload-link").get_data(as_text=True)
    link = re.search(r'data-testid="upload-link">.*?<a href="http://localhost(/m/upload/[^"]+)"', shown, re.S).group(1)
    assert ("hardship.upload_link", "caseworker") in actions_of(cid)

    phone = central_app.test_client()
    page = phone.get(link).get_data(as_text=True)
    assert "上传困难帮扶证明材料" in page and "#" + str(cid) not in page and "3200" not in page
    refused = phone.post(link, content_type="multipart/form-data", data={
        "csrf_token": csrf_of(phone), "kind": "medical_record", "file": (io.BytesIO(ZIP), "病历.pdf")})
    assert refused.status_code == 400 and "文件内容与扩展名不符" in refused.get_data(as_text=True)
    sent = phone.post(link, content_type="multipart/form-data", data={
        "csrf_token": csrf_of(phone), "kind": "medical_record", "file": (io.BytesIO(JPEG), "IMG_0001.JPG")})
    assert sent.status_code == 200 and "已收到" in sent.get_data(as_text=True)
    with db.connection_context():
        doc = HardshipDocument.get(HardshipDocument.case == cid)
        assert (doc.source, doc.content_type, doc.uploaded_by_id) == ("phone", "image/jpeg", None)
    assert worker.get(f"/hardship/{cid}/documents/{doc.id}").get_data() == JPEG

    case_id, expires, mac = link.rsplit("/", 1)[-1].split(".")
    for forged in (f"{int(case_id) + 1}.{expires}.{mac}", f"{case_id}.{int(expires) + 3600}.{mac}",
                   f"{case_id}.{expires}", "../../hardship", "x" * 200):
        assert phone.get(f"/m/upload/{forged}").status_code == 404, forged
    clock(now.replace(day=5, hour=now.hour + 1), tick=False)  # past the 72 hours
    assert phone.get(link).status_code == 404
    assert phone.post(link, content_type="multipart/form-data", data={
        "csrf_token": csrf_of(phone), "kind": "other", "file": (io.BytesIO(JPEG), "a.jpg")}).status_code == 404
    with db.connection_context():
        assert HardshipDocument.select().where(HardshipDocument.case == cid).count() == 1


# route, method, roles that may use it
ROUTES = [
    ("/hardship/", "GET", {"admin", "caseworker"}),
    ("/hardship/{cid}", "GET", {"admin", "caseworker"}),
    ("/hardship/{cid}/act/change", "POST", {"admin", "caseworker"}),
    ("/hardship/{cid}/documents", "POST", {"admin", "caseworker"}),
    ("/hardship/{cid}/upload-link", "POST", {"admin", "caseworker"}),
    ("/hardship/new", "GET", {"admin", "caseworker", "manager"}),
    ("/hardship/summary", "GET", {"admin", "federation"}),
]


@pytest.mark.parametrize("role", ["admin", "federation", "manager", "caseworker", "shop", None])
def test_every_register_route_refuses_the_wrong_role(central_app, role):
    with db.connection_context():
        cid = HardshipCase.select().first().id  # a demo case in Xuhui
        before = HardshipCase.get_by_id(cid).changed_at
    client = signed_in(central_app, role)
    for route, method, roles in ROUTES:
        url = route.format(cid=cid)
        response = client.get(url) if method == "GET" else post(client, url, note="x")
        if role is None:
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
        elif role in roles:
            assert response.status_code not in (302, 401, 403), (role, url, response.status_code)
        else:
            assert response.status_code == 403, (role, url, response.status_code)
    with db.connection_context():
        assert (HardshipCase.get_by_id(cid).changed_at != before) == (role in ("admin", "caseworker"))


def test_the_lists_are_htmx_fragments_of_their_pages(central_app):
    from tests.htmx import assert_fragment_and_page

    worker = signed_in(central_app, "caseworker")
    html = assert_fragment_and_page(worker, "/hardship/?show=visits", "cases")
    assert "到期的季度走访" in html and "季度走访已逾期" in html  # the demo's unvisited approved case
    assert len(listed(worker, "all")) == 3 and len(listed(worker, "pending")) == 1
    assert listed(signed_in(central_app, "admin"), "all") == listed(worker, "all")


def test_the_record_form_prefills_the_districts_latest_assistance_line_and_admins_filter_by_district(central_app):
    worker = signed_in(central_app, "caseworker")
    assert 'name="assistance_line" inputmode="decimal" value="1510.00"' in worker.get("/hardship/new").get_data(
        as_text=True)  # the demo cases' line
    admin = signed_in(central_app, "admin")
    with db.connection_context():
        minhang = District.get(District.code == "minhang").id
    assert listed(admin, "all") and not admin.get(f"/hardship/?district={minhang}").get_data(
        as_text=True).count('data-case="')
    assert 'data-testid="district-filter"' in admin.get("/hardship/").get_data(as_text=True)
    assert 'data-testid="district-filter"' not in worker.get("/hardship/").get_data(as_text=True)


def test_every_register_page_reads_in_english(central_app):
    with db.connection_context():
        cid = HardshipCase.select().join(HardshipDocument).first().id  # the demo case with a document
    worker = signed_in(central_app, "caseworker")
    post(worker, "/auth/language", lang="en")
    case = worker.get(f"/hardship/{cid}").get_data(as_text=True)
    assert "Admission letter" in case and "Education costs" in case and "Quarterly visit overdue" in case
    assert "Yearly census due" in worker.get("/hardship/?show=census").get_data(as_text=True)
    assert "Local assistance line (yuan per head a month)" in worker.get("/hardship/new").get_data(as_text=True)
    link = re.search(r'href="http://localhost(/m/upload/[^"]+)"',
                     post(worker, f"/hardship/{cid}/upload-link").get_data(as_text=True)).group(1)
    federation = signed_in(central_app, "federation")
    post(federation, "/auth/language", lang="en")
    assert "Counts of cases per district only" in federation.get("/hardship/summary").get_data(as_text=True)
    phone = central_app.test_client()
    phone.get(link)  # the session's anti-forgery token
    post(phone, "/m/language", lang="en", next=link)
    assert "Upload documents for your hardship aid" in phone.get(link).get_data(as_text=True)


def test_a_centre_named_to_serve_another_district_keeps_that_districts_cases(central_app, clock):
    from station_admin.admin.organisation import save_centre, save_district

    add_minhang_caseworker(central_app)
    at_clock(clock, 2026, 3, 2, 10, 0)
    with central_app.app_context(), db.connection_context():
        fengxian = save_district("fengxian", "sh", "奉贤区总工会", "Fengxian District Federation")
        xuhui = LegalAidCentre.get(LegalAidCentre.name_en.contains("Xuhui"))
        save_centre("xuhui", xuhui.name_zh, xuhui.name_en, serves=["fengxian"], centre=xuhui)
    worker = signed_in(central_app, "caseworker")
    cid = record_case(worker, district=str(fengxian.id))
    assert worker.get(f"/hardship/{cid}").status_code == 200 and cid in listed(worker, "all")
    assert signed_in(central_app, "mh-worker").get(f"/hardship/{cid}").status_code == 403
