"""Surveys at central: the builder (every bad input refused, nothing changed), published versions frozen,
one counted response per member (identical resend silent, conflict kept apart), the phone page, and
results whose page, CSV and .xlsx agree and suppress small cells; free text only for the owner scope."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest

from devices.protocol import events, utcnow
from station_admin.core import models
from station_admin.core.privacy import HIDDEN
from station_admin.members import models as membership
from station_admin.surveys import responses
from station_admin.surveys.models import Survey, SurveyAnswer, SurveyConflict, SurveyResponse, SurveyVersion
from tests.conftest import csrf_of
from tests.htmx import assert_fragment_and_page
from tests.station_admin.conftest import assert_no_line_gives_a_hidden_cell_away, read_csv, signed_in
from tests.surveys_helpers import build_survey, local_today, phone_answer, survey_form


@pytest.fixture
def app(central_app):
    return central_app


def protector(app):
    return app.extensions["waystation.protector"]


def new_member(app, n: int, platform: str = "meituan", district: str = "xuhui", group: str | None = None):
    """A member joined through the product's join function (active at once, with a card)."""
    with models.db.connection_context(), models.db.atomic():
        member, _ = membership.join(protector(app), name=f"骑手{chr(0x4e00 + n)}", phone=f"1390000{n:04d}",
                                    platform=platform, district=models.District.get(models.District.code == district),
                                    station_code="xh-xujiahui", now=utcnow(), card_days=365, worker_group=group,
                                    consent=membership.ConsentText.current())
    return member


def test_the_builder_refuses_bad_input_with_messages_and_changes_nothing(app):
    client = signed_in(app, "federation")
    today = local_today()
    bad = survey_form(title_en="", ends_on=(today - timedelta(days=1)).isoformat(), target_groups=["pilots"],
                      q1_choices="只有一个 | only one", q3_min="ten")
    response = client.post("/surveys/new", data={**bad, "csrf_token": csrf_of(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("请填写英文标题", "结束日期不能早于开始日期", "未知的职工群体",
                    "第 1 题：选择题需要 2 到 12 个选项", "第 3 题：数字题要填整数的最小值和最大值"):
        assert message in page, message
    with models.db.connection_context():
        assert Survey.select().count() == 0
    client.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    english = client.post("/surveys/new", data={**bad, "csrf_token": csrf_of(client)}).get_data(as_text=True)
    assert "Please enter an English title" in english and "The end date cannot be before the start date" in english
    # Managers and case workers have no survey pages.
    assert signed_in(app, "manager").get("/surveys/").status_code == 403


def test_a_published_version_never_changes_a_change_is_a_new_version(app):
    client = signed_in(app, "federation")
    survey_id = build_survey(client)
    with models.db.connection_context():
        first = SurveyVersion.get(SurveyVersion.survey == survey_id)
        assert first.published_at is not None and first.number == 1
        frozen = (first.title_zh, first.questions_json)
    changed = {**survey_form(title_zh="骑手需求调查（第二轮）"), "csrf_token": csrf_of(client)}
    assert client.post(f"/surveys/{survey_id}/edit", data=changed).status_code == 303
    with models.db.connection_context():
        versions = Survey.get_by_id(survey_id).versions()
        assert [(v.number, v.published_at is not None) for v in versions] == [(1, True), (2, False)]
        assert (versions[0].title_zh, versions[0].questions_json) == frozen
        assert Survey.get_by_id(survey_id).published().number == 1  # still asked until v2 is published
    assert client.post(f"/surveys/{survey_id}/publish", data={"csrf_token": csrf_of(client)}).status_code == 303
    with models.db.connection_context():
        assert Survey.get_by_id(survey_id).published().title_zh == "骑手需求调查（第二轮）"
        assert SurveyVersion.get(SurveyVersion.survey == survey_id, SurveyVersion.number == 1).title_zh == frozen[0]
    assert client.post(f"/surveys/{survey_id}/close", data={"csrf_token": csrf_of(client)}).status_code == 303
    refused = client.post(f"/surveys/{survey_id}/publish", data={"csrf_token": csrf_of(client)})
    assert refused.status_code == 409 and "这份问卷已经结束" in refused.get_data(as_text=True)


def test_one_response_per_member_identical_resend_silent_conflict_kept_apart(app):
    client = signed_in(app, "federation")
    survey_id = build_survey(client)
    member = new_member(app, 1)
    with models.db.connection_context(), models.db.atomic():
        survey = Survey.get_by_id(survey_id)
        version = survey.published()
        p, now = protector(app), utcnow()
        first = responses.check_answers(version, {"q1": "c1", "q2": 4}, "kiosk")
        record = lambda rid, answers: responses.record(survey, version, member, answers, rid, "kiosk",  # noqa: E731
                                                       "xh-xujiahui", now, now, p)
        assert record("a" * 32, first) == "counted"
        assert record("a" * 32, first) == "duplicate"          # the same response sent again
        assert record("b" * 32, dict(first)) == "duplicate"    # the same answers from elsewhere
        assert record("c" * 32, {"q1": "c2", "q2": 4}) == "conflict"
        assert record("c" * 32, {"q1": "c2", "q2": 4}) == "duplicate"
        assert SurveyResponse.select().count() == 1 and SurveyConflict.select().count() == 1
        counted = SurveyResponse.get()
        # Anonymous: no member stored, only the keyed respondent key; group and district for the cross-tabs.
        assert counted.member_id is None and member.member_no not in counted.respondent_key
        assert (counted.worker_group, counted.district.code) == ("delivery_rider", "xuhui")
        with pytest.raises(responses.AnswerError):
            responses.check_answers(version, {"q4": "自由文本"}, "kiosk")  # free text never from a kiosk
        with pytest.raises(responses.AnswerError):
            responses.check_answers(version, {"q2": 6}, "kiosk")
    page = client.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert 'data-testid="conflict"' in page and "c" * 32 in page


def test_the_phone_page_counts_once_and_refuses_forged_links_and_other_groups(app):
    client = signed_in(app, "federation")
    survey_id = build_survey(client)
    rider, courier = new_member(app, 2), new_member(app, 3, platform="sf")
    phone = app.test_client()
    bad = phone_answer(app, phone, survey_id, rider, {"a_q3": "99"}, status=400)
    assert "请填 0 到 24 之间的整数" in bad
    with models.db.connection_context():
        assert SurveyResponse.select().count() == 0
    phone_answer(app, phone, survey_id, rider, {"a_q1": "c1", "a_q4": "  充电桩 太少  "})
    phone_answer(app, phone, survey_id, rider, {"a_q1": "c2"}, expect="already")
    with models.db.connection_context():
        assert SurveyResponse.select().count() == 1
        text = SurveyAnswer.get(SurveyAnswer.question == "q4")
        assert "充电" not in text.text_enc and protector(app).decrypt(text.text_enc) == "充电桩 太少"
    assert "survey-state" in phone.get(responses.phone_path(protector(app), survey_id, courier.member_no)).get_data(
        as_text=True)  # not targeted: a courier
    assert phone.get(f"/m/survey/{survey_id}/{rider.member_no}/{'0' * 32}").status_code == 404
    # A member's card page lists the surveys waiting for them, until answered.
    waiting = new_member(app, 4)
    with models.db.connection_context(), models.db.atomic():
        tokens = {m.member_no: membership.reissue(protector(app), membership.Member.get_by_id(m.id), utcnow(), 365)
                  for m in (waiting, rider, courier)}
    card = phone.get(f"/m/card/{tokens[waiting.member_no]}").get_data(as_text=True)
    assert 'data-testid="card-survey"' in card and responses.phone_path(protector(app), survey_id,
                                                                        waiting.member_no) in card
    for member in (rider, courier):  # answered; not in the target
        assert 'data-testid="card-survey"' not in phone.get(f"/m/card/{tokens[member.member_no]}").get_data(
            as_text=True)


def test_results_page_csv_and_xlsx_agree_and_suppress_small_cells(app):
    from openpyxl import load_workbook

    client = signed_in(app, "federation")
    survey_id = build_survey(client)
    # Xuhui riders: seven answer c1, six c2; three Minhang riders answer c1 (a small cell).
    plan = [("xuhui", "c1")] * 7 + [("xuhui", "c2")] * 6 + [("minhang", "c1")] * 3
    for n, (district, choice) in enumerate(plan, 10):
        member = new_member(app, n, district=district)
        phone_answer(app, app.test_client(), survey_id, member, {"a_q1": choice, "a_q2": "5", "a_q4": f"意见{n}"})
    page = client.get(f"/surveys/{survey_id}/results").get_data(as_text=True)
    assert re.search(r'data-testid="respondents">16<', page)
    by_district = re.search(r'data-testid="by-district-q1">(.*?)</table>', page, re.S).group(1)
    grid = [[html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", by_district, re.S)]
    grid = [row for row in grid if row]  # c1, c2, totals; columns 闵行, 徐汇, total
    assert grid[0][0] == HIDDEN and grid[0][2] == "10" and grid[2][2] == "16"  # 3 Minhang riders hidden
    assert_no_line_gives_a_hidden_cell_away([["", "", "", ""], *[["", *row] for row in grid]])
    exported = read_csv(client.get(f"/surveys/{survey_id}/results.csv"))
    assert exported[0] == ["version", "question_id", "question", "answer", "breakdown", "breakdown_value", "count",
                           "share"]
    district_rows = [r for r in exported if r[1] == "q1" and r[4] == "district"]
    assert [r[6] for r in district_rows] == [grid[0][0], grid[0][1], grid[1][0], grid[1][1]]
    totals = {r[3]: (r[6], r[7]) for r in exported if r[1] == "q1" and r[4] == "all"}
    assert totals["准时送达"] == ("10", f"{round(100 * 10 / 16)}%") and totals["作答人数"] == ("16", "")
    shares = re.search(r'data-testid="shares-q1">(.*?)</table>', page, re.S).group(1)
    assert f"{round(100 * 10 / 16)}%" in shares and f"{round(100 * 6 / 16)}%" in shares
    book = load_workbook(io.BytesIO(client.get(f"/surveys/{survey_id}/results.xlsx").get_data()))
    assert [[str(c) if c is not None else "" for c in row] for row in book["results"].iter_rows(values_only=True)] \
        == exported
    assert sorted(v for (q, v) in list(book["free_text"].iter_rows(values_only=True))[1:]) == sorted(
        f"意见{n}" for n in range(10, 26))
    # Free text only for the owner scope: the admin sees the counts but not the texts, in page and export.
    admin = signed_in(app, "admin")
    admin_page = admin.get(f"/surveys/{survey_id}/results").get_data(as_text=True)
    assert "意见10" not in admin_page and 'data-testid="texts-hidden-q4"' in admin_page
    assert "free_text" not in load_workbook(io.BytesIO(admin.get(f"/surveys/{survey_id}/results.xlsx").get_data())
                                            ).sheetnames
    assert "意见10" in page
    assert_fragment_and_page(client, f"/surveys/{survey_id}/results?version=1", "survey-results")


def test_invitations_go_to_targeted_members_once_a_day(app):
    client = signed_in(app, "federation")
    survey_id = build_survey(client, target_districts=["xuhui"])  # riders of Xuhui only
    rider, courier, minhang = new_member(app, 30), new_member(app, 31, platform="sf"), new_member(app, 32,
                                                                                                 district="minhang")
    now = utcnow()

    def checkin(member, station="xh-xujiahui"):
        return events.StationEvent(station, events.new_event_id(), 1, now, events.CheckIn("card", member.member_no))

    with models.db.connection_context(), models.db.atomic():
        sent = responses.invitations([checkin(rider), checkin(courier), checkin(minhang)], protector(app),
                                     "Asia/Shanghai", "https://central.example", now)
        assert [(m.member_no, [i.survey_id for i in m.invitations]) for m in sent] == [(rider.member_no, [survey_id])]
        assert sent[0].invitations[0].link.startswith(f"https://central.example/m/survey/{survey_id}/")
        again = responses.invitations([checkin(rider, "xh-caohejing")], protector(app), "Asia/Shanghai", "", now)
        assert again == []  # once a day, across stations
        later = responses.invitations([checkin(rider)], protector(app), "Asia/Shanghai", "", now + timedelta(days=1))
        assert len(later) == 1 and later[0].invitations[0].link is None
