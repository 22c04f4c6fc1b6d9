"""Demo data: one federation, two districts with a legal-aid centre each, three stations, staff of every role."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from devices.protocol import utcnow
from station_admin.admin.organisation import save_centre, save_district, save_federation
from station_admin.admin.staff import Scope, add_token, add_user
from station_admin.admin.stations import StationFacts, save_station
from station_admin.core.models import ApiToken, District, Federation, StaffUser, Station, db
from station_admin.core.protect import DataProtector
from station_admin.hardship import register
from station_admin.hardship.models import HardshipCase
from station_admin.members.models import ConsentText, Member, ensure_signing_key, join
from station_admin.requests.casework import parse_yuan
from station_admin.requests.models import LegalAidCentre
from station_admin.surveys import builder as survey_builder
from station_admin.surveys.models import QuestionSpec, Survey
from waystation.settings import ConfigError

log = logging.getLogger(__name__)

DEMO_STATIONS = [
    # code, name zh, name en, address, lat, lon (WGS84), seats, charger slots
    ("xh-xujiahui", "徐家汇爱心驿站", "Xujiahui Rest Station", "徐汇区虹桥路1号", 31.1952, 121.4367, 20, 8),
    ("xh-caohejing", "漕河泾职工幸福驿站", "Caohejing Workers' Station", "徐汇区宜山路900号", 31.1717, 121.4019, 30, 8),
    ("xh-longhua", "龙华环卫驿站", "Longhua Sanitation Workers' Station", "徐汇区龙华中路600号",
     31.1781, 121.4513, 12, 4),
]
DEMO_DISTRICTS = [
    # code, name zh, name en, its legal-aid centre zh, en. Minhang has no demo station: a rider at a
    # Xuhui station who lives or works in Minhang is routed there (cross-district routing).
    ("xuhui", "徐汇区总工会", "Xuhui District Federation", "徐汇区职工法律援助中心", "Xuhui Workers' Legal Aid Centre"),
    ("minhang", "闵行区总工会", "Minhang District Federation", "闵行区职工法律援助中心",
     "Minhang Workers' Legal Aid Centre"),
]
DEMO_USERS = [
    # username, password, display name, role
    ("admin", "admin-demo", "系统管理员", "admin"),
    ("federation", "federation-demo", "上海市总工会", "federation"),
    ("manager", "manager-demo", "王站长", "manager"),
    ("caseworker", "caseworker-demo", "李律师（徐汇法援）", "caseworker"),
    ("shop", "shop-demo", "老王面馆（合作商户）", "shop"),
]
DEMO_DIRECTORY = {
    # code: (services, open around the clock, opening intervals every day; 20:00–02:00 runs past midnight)
    "xh-xujiahui": ("seat,water,microwave,charging,toilet,wifi", True, []),
    "xh-caohejing": ("seat,water,microwave,charging,legal_aid", False, [("07:00", "14:00"), ("16:00", "22:00")]),
    "xh-longhua": ("seat,water,toilet,first_aid", False, [("04:30", "09:00"), ("20:00", "02:00")]),
}
DEMO_TOKEN = "wst_demo_read_only_token_do_not_use_in_production"
DEMO_TOKEN_NAME = "demo-api"


DEMO_MEMBERS = [
    # name, mobile, platform, station where they joined
    ("张师傅", "13800000001", "meituan", "xh-xujiahui"),
    ("李大姐", "13800000002", "eleme", "xh-caohejing"),
    ("王小明", "13800000003", "sf", "xh-longhua"),
]


def require_demo_mode(settings) -> None:
    """Refuse (ConfigError) to seed outside demo mode: the demo's passwords and API token are published."""
    if not settings.demo:
        raise ConfigError("demo: the demo data has published passwords and a published API token, so "
                          "seed-demo and seed run only in demo mode (demo = true or WAYSTATION_DEMO=true; "
                          "`waystation demo` sets it). Make a real system's first admin with "
                          "`waystation users add NAME --role admin`.")


def demo_credentials_in_use() -> list[str]:
    """The demo's published credentials that still work on this database: the API token, staff passwords."""
    found = []
    if ApiToken.user_for(DEMO_TOKEN) is not None:
        found.append(f"the demo API token ({DEMO_TOKEN_NAME})")
    for username, password, *_ in DEMO_USERS:
        user = StaffUser.get_or_none(StaffUser.username == username)
        if user is not None and user.check_password(password):
            found.append(f"staff user {username} with its demo password")
    return found


def refuse_demo_credentials(settings) -> None:
    """Refuse (ConfigError) to serve outside demo mode while a published demo credential opens this database."""
    if settings.demo:
        return
    found = demo_credentials_in_use()
    if found:
        raise ConfigError("demo: this database has demo data whose credentials are published: " + "; ".join(found)
                          + ". Set new passwords (`waystation users passwd NAME`), revoke the token (`waystation "
                          "tokens revoke NAME`), or use a database made without `seed-demo`.")


def seed_demo(protector: DataProtector | None = None, survey: bool = False) -> dict:
    """Create the demo organisation, stations, users and token (again, idempotently) through the same
    functions as the admin pages and the CLI; with a data protector also a card signing key and demo
    members with cards; with `survey` also the example survey (`waystation seed-demo` asks for it; the
    tests' databases leave it out, so a check-in there invites nobody unless a test builds a survey).
    The command refuses outside demo mode (`require_demo_mode`); tests call this directly.
    """
    with db.connection_context(), db.atomic():
        federation = Federation.get_or_none(Federation.code == "sh") or save_federation(
            "sh", "上海市总工会", "Shanghai Federation of Trade Unions")
        centres = {}
        for code, zh, en, centre_zh, centre_en in DEMO_DISTRICTS:
            district_row = District.get_or_none(District.code == code) or save_district(code, federation.code, zh, en)
            centres[code] = LegalAidCentre.get_or_none(LegalAidCentre.district == district_row) or \
                save_centre(code, centre_zh, centre_en)
        stations = []
        for code, zh, en, address, lat, lon, seats, slots in DEMO_STATIONS:
            station = Station.get_or_none(Station.code == code)
            if station is None:
                services, always_open, intervals = DEMO_DIRECTORY[code]
                station = save_station(StationFacts(
                    code=code, district="xuhui", name_zh=zh, name_en=en, address=address, latitude=lat,
                    longitude=lon, capacity=seats, charger_slots=slots, services=tuple(services.split(",")),
                    always_open=always_open, hours={weekday: intervals for weekday in range(7)}))
            stations.append(station)
        scopes = {"federation": Scope(federation=federation.code),
                  "manager": Scope(stations=tuple(s.code for s in stations[:2])),
                  "caseworker": Scope(centre=centres["xuhui"].id)}
        for username, password, name, role in DEMO_USERS:
            if not StaffUser.select().where(StaffUser.username == username).exists():
                # The demo's passwords are published and weak on purpose: demo mode only.
                add_user(username, name, role, password, scopes.get(role, Scope()), weak_password_ok=True)
        if not ApiToken.select().where(ApiToken.name == DEMO_TOKEN_NAME).exists():
            add_token(DEMO_TOKEN_NAME, "admin", Scope(), utcnow(), token=DEMO_TOKEN)
        cards = _seed_members(protector, District.get(District.code == "xuhui")) if protector else []
        if protector:
            seed_hardship(protector, District.get(District.code == "xuhui"))
        if survey:
            seed_survey(federation)
    log.info("demo data seeded: %d stations, %d users", len(stations), len(DEMO_USERS))
    return {"stations": [(s.code, s.capacity, s.charger_slots) for s in stations],
            "users": [(u, p, r) for u, p, _, r in DEMO_USERS], "token": DEMO_TOKEN, "cards": cards}


def _seed_members(protector: DataProtector, district: District) -> list[tuple[str, str]]:
    """Demo members with cards: (member number, card page token) of those made now."""
    now = utcnow()
    ensure_signing_key(protector, now)
    made = []
    for name, phone, platform, station in DEMO_MEMBERS:
        if Member.by_phone(protector, phone) is None:
            member, token = join(protector, name=name, phone=phone, platform=platform, district=district,
                                 station_code=station, now=now, card_days=365, consent=ConsentText.current())
            made.append((member.member_no, token))
    return made


# A one-page PDF: what a scanned admission letter looks like to the register (type by its first bytes).
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
DEMO_HARDSHIP = [
    # cause, household members, household income a month (yuan), days ago recorded, approved, visited days ago
    ("illness", 4, "3200", 100, True, 20),
    ("education", 3, "4100", 200, True, None),
    ("accident", 2, "1800", 5, False, None),
]


def seed_hardship(protector: DataProtector, district: District) -> None:
    """Demo hardship cases in the district, the first time: one visited, one with its visit overdue, one
    awaiting approval (recorded by the case worker, approved by the admin), with a document."""
    if HardshipCase.select().exists():
        return
    now = utcnow()
    recorder = StaffUser.get(StaffUser.username == "caseworker")
    approver = StaffUser.get(StaffUser.username == "admin")
    member_nos = [m.member_no for m in Member.select().order_by(Member.id)]
    for n, (cause, members, income, ago, approved, visited) in enumerate(DEMO_HARDSHIP):
        at = now - timedelta(days=ago)
        figures = register.Figures(cause, members, parse_yuan(income), 151000,
                                   at.date(), member_nos[n] if n < len(member_nos) else None)
        case = register.record(figures, district, DEMO_STATIONS[n][0], None, recorder, at)
        if approved:
            register.approve(case, approver, at + timedelta(days=2))
        if visited is not None:
            register.record_visit(case, (now - timedelta(days=visited)).date(), "家访：已送慰问金", recorder,
                                  now - timedelta(days=visited))
        if n == 1:
            register.add_document(case, "admission_letter", "录取通知书.pdf", DEMO_PDF, "staff", protector,
                                  recorder, at)


DEMO_SURVEY_QUESTIONS = [
    QuestionSpec("q1", "single", "您最需要驿站增加什么？", "What should stations add first?",
                 (("c1", "更多充电桩", "More chargers"), ("c2", "饮水和热饭", "Water and hot meals"),
                  ("c3", "休息座位", "Seats to rest"), ("c4", "法律咨询", "Legal advice"))),
    QuestionSpec("q2", "multiple", "您常在什么时段来驿站？", "When do you usually come to a station?",
                 (("c1", "早上", "Morning"), ("c2", "中午", "Midday"), ("c3", "傍晚", "Evening"),
                  ("c4", "深夜", "Late night"))),
    QuestionSpec("q3", "rating", "您对驿站服务的满意度", "How satisfied are you with the stations?"),
    QuestionSpec("q4", "number", "您每天大约工作几小时？", "About how many hours a day do you work?", (), 0, 24),
    QuestionSpec("q5", "text", "还有什么想对工会说的？", "Anything else to tell the union?"),
]


def seed_survey(federation: Federation) -> None:
    """A running survey of Xuhui's delivery riders, the first time, built and published by the federation
    user through the builder's functions (kiosks invite the demo riders after they check in)."""
    if Survey.select().exists():
        return
    now = utcnow()
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    facts = survey_builder.VersionFacts(
        "外卖骑手需求调查", "Delivery riders' needs survey", True, today - timedelta(days=1),
        today + timedelta(days=60),
        ("delivery_rider",), (), ("xuhui",), (), list(DEMO_SURVEY_QUESTIONS))
    owner = StaffUser.get(StaffUser.username == "federation")
    survey = survey_builder.create(survey_builder.Owner(federation), facts, owner, now)
    survey_builder.publish(survey, owner, now)
