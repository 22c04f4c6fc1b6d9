"""Who is asked what, and how a response is counted: open surveys per station, invitations after a
check-in (decided at central, at most once a day per member), and one counted response per member
per survey however many kiosks and phones it comes from.

Counting (docs/mqtt.md, "Surveys"): a response carries an id made where it was answered. The first
response of a member to a survey that reaches central is counted (unique index on survey and
respondent key). Another one with the same answers (a resend, or the same answers given twice) is
accepted silently; one with different answers is kept apart as a conflict and flagged to staff.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import peewee

from devices.protocol import events, surveys
from station_admin.core.models import District, Station, db
from station_admin.core.protect import DataProtector
from station_admin.members.models import Member
from station_admin.surveys.models import (
    RATINGS,
    Survey,
    SurveyAnswer,
    SurveyConflict,
    SurveyInvitation,
    SurveyResponse,
    SurveyVersion,
)

log = logging.getLogger(__name__)
MAX_TEXT = 500


def respondent_key(protector: DataProtector, survey_id: int, member_no: str) -> str:
    """The keyed hash that stands for a member in one survey (no member number is stored with it)."""
    return protector.link_mac("survey-respondent", f"{survey_id}.{member_no}")


def phone_path(protector: DataProtector, survey_id: int, member_no: str) -> str:
    """The path of a member's own phone link to a survey (unforgeable: it carries a keyed tag)."""
    return f"/m/survey/{survey_id}/{member_no}/{protector.link_mac('survey-link', f'{survey_id}.{member_no}')}"


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def day_end(day: date, timezone: str) -> datetime:
    """The last moment of a local day, in UTC (a survey's `ends_on` is asked all that day)."""
    return datetime.combine(day + timedelta(days=1), time(), ZoneInfo(timezone)).astimezone(UTC) - timedelta(
        milliseconds=1)


def open_versions(today: date) -> list[tuple[Survey, SurveyVersion]]:
    """Every survey asked today: not closed, with a published version whose dates include today."""
    found = []
    for survey in Survey.select().where(Survey.closed_at.is_null()).order_by(Survey.id.desc()):
        version = survey.published()
        if version is not None and version.runs_on(today):
            found.append((survey, version))
    return found


def audience_stations(survey: Survey, version: SurveyVersion) -> set[str]:
    """The stations whose kiosks offer a version: its target stations, else those of its target
    districts, else the owner district's, else the owner federation's (open stations only)."""
    query = Station.select(Station.code).join(District).where(Station.closed_at.is_null(),
                                                              District.federation == survey.federation_id)
    if version.target("stations"):
        query = query.where(Station.code.in_(version.target("stations")))
    elif version.target("districts"):
        query = query.where(District.code.in_(version.target("districts")))
    elif survey.district_id is not None:
        query = query.where(Station.district == survey.district_id)
    return {s.code for s in query}


def station_surveys(now: datetime, timezone: str) -> list[surveys.StationSurveys]:
    """Every station's list of surveys its kiosk offers now (retained), newest first, kiosk questions only."""
    today = local_day(now, timezone)
    offered: dict[str, list] = {s.code: [] for s in Station.select(Station.code).order_by(Station.code)}
    for survey, version in open_versions(today):
        questions = tuple(kiosk_question(q) for q in version.kiosk_questions)
        if not questions:
            continue
        entry = surveys.OpenSurvey(survey.id, version.number, {"zh": version.title_zh, "en": version.title_en},
                                   day_end(version.ends_on, timezone), version.anonymous, questions)
        for code in audience_stations(survey, version):
            if code in offered and len(offered[code]) < surveys.MAX_SURVEYS:
                offered[code].append(entry)
    return [surveys.StationSurveys(code, tuple(items), now) for code, items in offered.items()]


def kiosk_question(q) -> surveys.Question:
    """A stored question as the kiosk receives it."""
    choices = tuple(surveys.Choice(cid, {"zh": zh, "en": en}) for cid, zh, en in q.choices)
    return surveys.Question(q.question_id, q.kind, {"zh": q.zh, "en": q.en}, choices, q.low, q.high)


def invitations(check_ins: list[events.StationEvent], protector: DataProtector, timezone: str, public_url: str,
                now: datetime) -> list[surveys.SurveyInvitation]:
    """Central's invitations for new card check-ins: each open survey of the station whose target
    the member fits, not answered, and not offered to them yet today (at any station)."""
    cards = [e for e in check_ins if e.body.member_no]
    if not cards:
        return []
    today = local_day(now, timezone)
    running = open_versions(today)
    if not running:
        return []
    members = {m.member_no: m for m in Member.select(Member, District).join(District).where(
        Member.member_no.in_([e.body.member_no for e in cards]), Member.status == "active")}
    audiences = {survey.id: audience_stations(survey, version) for survey, version in running}
    # Who could be invited, then what the database already says about them: three queries a batch.
    wanted: dict[tuple[int, str], tuple] = {}
    for event in cards:
        member = members.get(event.body.member_no)
        for survey, version in running if member is not None else ():
            if event.station in audiences[survey.id] and version.fits(member):
                key = respondent_key(protector, survey.id, member.member_no)
                wanted.setdefault((survey.id, key), (event, member, version))
    if not wanted:
        return []
    keys = list({key for _, key in wanted})
    answered = set(SurveyResponse.select(SurveyResponse.survey, SurveyResponse.respondent_key).where(
        SurveyResponse.respondent_key.in_(keys)).tuples())
    rows = [{"survey": survey_id, "respondent_key": key, "day": today, "station_code": event.station,
             "checkin_event_id": event.event_id, "created_at": now}
            for (survey_id, key), (event, _, _) in wanted.items() if (survey_id, key) not in answered]
    # Today's invitation is recorded once per member and survey (unique index): whatever another
    # station or ingest worker recorded first today wins, and that check-in alone is answered.
    taken = set(SurveyInvitation.insert_many(rows).on_conflict_ignore().returning(
        SurveyInvitation.survey, SurveyInvitation.respondent_key).tuples().execute()) if rows else set()
    offered: dict[str, list] = {}
    for (survey_id, key), (event, member, version) in wanted.items():
        if (survey_id, key) in taken:
            link = public_url.rstrip("/") + phone_path(protector, survey_id, member.member_no) if public_url else None
            offered.setdefault(event.event_id, []).append(surveys.Invitation(survey_id, version.number, link))
    messages = []
    for event in cards:
        if event.event_id in offered:
            log.info("member %s invited to %d surveys at %s", event.body.member_no, len(offered[event.event_id]),
                     event.station)
            messages.append(surveys.SurveyInvitation(event.station, event.event_id, event.body.member_no,
                                                     tuple(offered.pop(event.event_id)[:surveys.MAX_SURVEYS]), now))
    return messages


class AnswerError(ValueError):
    """Answers that do not fit the survey; `key` is the message in the locale files."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


def check_answers(version: SurveyVersion, answers: dict, channel: str) -> dict:
    """The answers cleaned against the version's questions (AnswerError when one does not fit)."""
    questions = {q.question_id: q for q in version.questions}
    clean: dict = {}
    for qid, value in answers.items():
        q = questions.get(qid)
        if q is None:
            raise AnswerError("surveys.error.unknown_question", question=qid)
        if q.kind == "text":
            if channel != "phone" or not isinstance(value, str):
                raise AnswerError("surveys.error.text_phone_only")
            text = " ".join(value.split())
            if len(text) > MAX_TEXT:
                raise AnswerError("surveys.error.text_long", max=MAX_TEXT)
            if text:
                clean[qid] = text
            continue
        ids = {c[0] for c in q.choices}
        if q.kind == "single" and not (isinstance(value, str) and value in ids):
            raise AnswerError("surveys.error.bad_choice", question=q.zh)
        if q.kind == "multiple":
            chosen = tuple(value) if isinstance(value, (list, tuple)) else (value,)
            if not chosen or len(set(chosen)) != len(chosen) or not set(chosen) <= ids:
                raise AnswerError("surveys.error.bad_choice", question=q.zh)
            value = tuple(sorted(chosen))
        if q.kind == "rating" and value not in RATINGS:
            raise AnswerError("surveys.error.bad_rating", question=q.zh)
        if q.kind == "number" and (type(value) is not int or not q.low <= value <= q.high):
            raise AnswerError("surveys.error.bad_number", question=q.zh, low=q.low, high=q.high)
        clean[qid] = value
    if not clean:
        raise AnswerError("surveys.error.nothing_answered")
    return clean


def digest(answers: dict) -> str:
    """A fingerprint of the answers, equal for equal answers whatever their order."""
    canonical = json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in sorted(answers.items())},
                           ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(survey: Survey, version: SurveyVersion, member: Member, answers: dict, response_id: str, channel: str,
           station_code: str | None, answered_at: datetime, received_at: datetime, protector: DataProtector) -> str:
    """Count a member's response: "counted", "duplicate" (same id or same answers: nothing changes),
    or "conflict" (different answers of a member who had answered: kept apart, flagged)."""
    if SurveyResponse.select().where(SurveyResponse.response_id == response_id).exists() or \
            SurveyConflict.select().where(SurveyConflict.response_id == response_id).exists():
        return "duplicate"
    key = respondent_key(protector, survey.id, member.member_no)
    fingerprint = digest(answers)
    counted = SurveyResponse.get_or_none(SurveyResponse.survey == survey.id, SurveyResponse.respondent_key == key)
    if counted is None:
        try:
            with db.atomic():
                counted = SurveyResponse.create(
                    response_id=response_id, survey=survey.id, version=version.id, respondent_key=key,
                    member=None if version.anonymous else member.id, worker_group=member.worker_group,
                    platform=member.platform, district=member.district_id, station_code=station_code,
                    channel=channel, answered_at=answered_at, received_at=received_at, digest=fingerprint)
                SurveyAnswer.insert_many(_answer_rows(counted.id, version, answers, protector)).execute()
            return "counted"
        except peewee.IntegrityError:  # another worker counted this member's response first
            counted = SurveyResponse.get(SurveyResponse.survey == survey.id, SurveyResponse.respondent_key == key)
    if counted.digest == fingerprint:
        return "duplicate"
    stored = {q: (protector.encrypt(v) if isinstance(v, str) and _is_text(version, q) else
                  list(v) if isinstance(v, tuple) else v) for q, v in answers.items()}
    SurveyConflict.create(response_id=response_id, survey=survey.id, version=version.id, respondent_key=key,
                          counted_response_id=counted.response_id, station_code=station_code, channel=channel,
                          answers_json=json.dumps(stored, ensure_ascii=False), answered_at=answered_at,
                          received_at=received_at)
    log.warning("survey %s: a second, different response %s of one member kept apart (counted: %s)", survey.id,
                response_id, counted.response_id)
    return "conflict"


def _is_text(version: SurveyVersion, qid: str) -> bool:
    return any(q.question_id == qid and q.kind == "text" for q in version.questions)


def _answer_rows(response_id: int, version: SurveyVersion, answers: dict, protector: DataProtector) -> list[dict]:
    kinds = {q.question_id: q.kind for q in version.questions}
    rows = []
    for qid, value in answers.items():
        base = {"response": response_id, "question": qid, "choice": None, "number": None, "text_enc": None}
        if kinds[qid] == "text":
            rows.append({**base, "text_enc": protector.encrypt(value)})
        elif kinds[qid] == "single":
            rows.append({**base, "choice": value})
        elif kinds[qid] == "multiple":
            rows.extend({**base, "choice": c} for c in value)
        else:
            rows.append({**base, "number": value})
    return rows


def accepts_answers(survey: Survey, version: SurveyVersion, answered_at: datetime, timezone: str) -> bool:
    """Whether a response answered then still counts: the survey was open then (a kiosk offline when it
    closed may send a response made before the close)."""
    if survey.closed_at is not None and answered_at > survey.closed_at:
        return False
    return version.published_at is not None and version.runs_on(local_day(answered_at, timezone))


def on_kiosk_responses(batch: list[events.StationEvent], protector: DataProtector, timezone: str,
                       now: datetime) -> None:
    """Count the survey responses that came from kiosks (events stored just now); one that does not fit
    its survey is logged and kept only as the raw event."""
    for event in batch:
        body = event.body
        survey = Survey.get_or_none(Survey.id == body.survey_id)
        version = survey and SurveyVersion.get_or_none(SurveyVersion.survey == survey.id,
                                                       SurveyVersion.number == body.version)
        member = Member.select(Member, District).join(District).where(Member.member_no == body.member_no).first()
        if survey is None or version is None or member is None:
            log.warning("survey response %s names an unknown survey, version or member: not counted", body.response_id)
            continue
        if not accepts_answers(survey, version, event.ts, timezone):
            log.warning("survey response %s answered when survey %s was not open: not counted", body.response_id,
                        survey.id)
            continue
        try:
            answers = check_answers(version, dict(body.answers), "kiosk")
        except AnswerError as e:
            log.warning("survey response %s does not fit survey %s: %s", body.response_id, survey.id, e.key)
            continue
        outcome = record(survey, version, member, answers, body.response_id, "kiosk", event.station, event.ts, now,
                         protector)
        log.info("survey response %s from %s: %s", body.response_id, event.station, outcome)


def waiting_for(member: Member, protector: DataProtector, today: date) -> list[tuple[SurveyVersion, str]]:
    """The surveys open today whose target the member fits and that they have not answered, with the
    path of their own phone link (shown on the member's card page)."""
    found = []
    for survey, version in open_versions(today):
        key = respondent_key(protector, survey.id, member.member_no)
        if version.fits(member) and not SurveyResponse.select().where(
                SurveyResponse.survey == survey.id, SurveyResponse.respondent_key == key).exists():
            found.append((version, phone_path(protector, survey.id, member.member_no)))
    return found
