"""The role × field crawl's world: two managers, two legal-aid centres, members, check-ins, charge sessions,
requests, hardship cases and an export, each with values distinctive enough to look for in any page or CSV.

Every secret is a string with the staff who may see it ("owners"); the admin sees them all, the federation,
shops and anonymous visitors none. Station names are a second kind: a manager may not see another manager's
station named on a staff page (the public directory names every station, and that is not a leak).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from devices.protocol import events, utcnow
from devices.protocol.sessions import new_session_id
from station_admin.admin.staff import Scope, add_user
from station_admin.core.models import District, StaffUser, Station, db
from station_admin.hardship import register
from station_admin.hardship.models import HardshipCase, HardshipDocument
from station_admin.live.charging import ChargeSession
from station_admin.live.commands import Command, request_command
from station_admin.members.models import ConsentText, Member, join
from station_admin.node.ingest import on_events
from station_admin.reports.export_jobs import ExportJob
from station_admin.requests.models import LegalAidCentre, ServiceRequest
from tests.station_admin.requests_helpers import file as file_request
from waystation.phones import mask_mobile
from waystation.web import SETTINGS

# Who signs in (password: NAME-demo); the demo has the first of each, the crawl adds the second.
ROLES = ("admin", "federation", "manager", "manager2", "caseworker", "caseworker2", "shop", None)
# The stations each manager runs.
MANAGED = {"manager": ("xh-xujiahui", "xh-caohejing"), "manager2": ("xh-longhua",)}

# name, mobile, station where they joined, check-in and charge there, who else sees them
CRAWL_MEMBERS = [
    ("甲秘员工", "13971930461", "xh-xujiahui", {"manager"}),
    ("乙秘员工", "13982640572", "xh-longhua", {"manager2", "caseworker2"}),
]
# Demo members (seed_demo): who sees them. All three are on the Xuhui district's demo hardship cases.
DEMO_MEMBER_OWNERS = {"13800000001": {"manager", "caseworker"}, "13800000002": {"manager", "caseworker"},
                      "13800000003": {"manager2", "caseworker"}}


@dataclass
class World:
    """What was seeded, and who may see what."""

    secrets: dict[str, set[str]] = field(default_factory=dict)  # text -> the users who may see it
    station_names: dict[str, set[str]] = field(default_factory=dict)  # a station's name or code -> managers
    ids: dict[str, list[str]] = field(default_factory=dict)  # a URL argument's name -> values from every scope

    def secret(self, text: str, owners: set[str]) -> None:
        self.secrets.setdefault(text, set()).update(owners)

    def forbidden(self, user: str | None) -> dict[str, str]:
        """Each text `user` must never see (anywhere), with what it is."""
        if user == "admin":
            return {}
        return {text: "personal data" for text, owners in self.secrets.items() if user not in owners}

    def foreign_stations(self, user: str | None) -> list[str]:
        """Names and codes of stations a manager does not run (none for other roles: their rule is elsewhere)."""
        if user not in MANAGED:
            return []
        return [text for text, managers in self.station_names.items() if user not in managers]


def build_world(app, tmp_path: Path) -> World:
    """Seed the crawl's world on top of the demo (seeded template) and say who may see each value."""
    protector = app.extensions["waystation.protector"]
    world = World()
    now = utcnow()
    with app.app_context(), db.connection_context(), db.atomic():
        minhang = District.get(District.code == "minhang")
        xuhui = District.get(District.code == "xuhui")
        add_user("manager2", "赵站长", "manager", "manager2-demo", Scope(stations=MANAGED["manager2"]),
                 weak_password_ok=True)
        add_user("caseworker2", "钱律师（闵行法援）", "caseworker", "caseworker2-demo",
                 Scope(centre=LegalAidCentre.get(LegalAidCentre.district == minhang).id), weak_password_ok=True)
        members = {}
        for name, phone, station, _ in CRAWL_MEMBERS:
            member, _ = join(protector, name=name, phone=phone, platform="meituan", district=xuhui,
                             station_code=station, now=now - timedelta(days=3), card_days=365,
                             consent=ConsentText.current())
            members[station] = member
            batch = [events.StationEvent(station, events.new_event_id(), 1, now - timedelta(days=1),
                                         events.CheckIn("card", member.member_no))]
            on_events(batch)
            ChargeSession.create(session_id=new_session_id(), station_code=station, slot=2,
                                 member_no=member.member_no, started_at=now - timedelta(hours=5),
                                 ended_at=now - timedelta(hours=4), energy_wh=777, power_w=0, limit_s=14400,
                                 end_reason="full",
                                 reported_at=now - timedelta(hours=4))
        for code in ("xh-xujiahui", "xh-longhua"):
            request_command(Station.get(Station.code == code), "slot_disable", {"slot": 1},
                            StaffUser.get(StaffUser.username == "admin"), now)
        recorder = StaffUser.get(StaffUser.username == "caseworker2")
        figures = register.Figures("illness", 3, 250000, 151000, (now - timedelta(days=9)).date(),
                                   members["xh-longhua"].member_no)
        register.record(figures, minhang, "xh-longhua", None, recorder, now - timedelta(days=9))
        for member in Member.select():
            phone = protector.decrypt(member.phone_enc)
            owners = DEMO_MEMBER_OWNERS.get(phone) or next(o for _, p, _, o in CRAWL_MEMBERS if p == phone)
            for text in (member.member_no, member.name, phone, mask_mobile(phone)):
                world.secret(text, owners)
        admin_job = ExportJob.create(user=StaffUser.get(StaffUser.username == "admin"), report="usage", params="{}",
                                     status="done", rows_done=1, rows_total=1, filename="usage-admin.csv",
                                     path="admin-export.csv", created_at=now, finished_at=now)
    secret_member = members["xh-longhua"].member_no
    store = Path(app.extensions[SETTINGS].reports.export_dir)
    store.mkdir(parents=True, exist_ok=True)
    with open(store / admin_job.path, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerow(["checkin", secret_member])
    # Requests: one at a station of the first manager for the Xuhui centre, one at the second's for Minhang.
    for station, phone, district, owners in (("xh-xujiahui", "13993150284", None, {"manager", "caseworker"}),
                                             ("xh-longhua", "13964270395", "minhang", {"manager2", "caseworker2"})):
        req = file_request(app, station=station, phone=phone, district=district, at=now - timedelta(hours=30))
        for text in (req.tracking_code, phone, mask_mobile(phone)):
            world.secret(text, owners)
    with app.app_context(), db.connection_context():
        for station in Station.select():
            managers = {user for user, codes in MANAGED.items() if station.code in codes}
            for text in (station.code, station.name_zh, station.name_en):
                world.station_names[text] = managers
        world.ids = {
            "code": [s.code for s in Station.select()] + [r.tracking_code for r in ServiceRequest.select()]
                    + [r.public_id for r in ServiceRequest.select()],
            "member_no": [m.member_no for m in Member.select()],
            "rid": [str(r.id) for r in ServiceRequest.select()],
            "cid": [str(c.id) for c in HardshipCase.select()],
            "did": [str(d.id) for d in HardshipDocument.select()],
            "command_id": [c.command_id for c in Command.select()],
            "job_id": [str(admin_job.id)],
            "username": [u.username for u in StaffUser.select()],
            "token": ["not-a-real-token-0000000000"],
        }
    return world
