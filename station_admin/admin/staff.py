"""Staff accounts and API tokens: create, change role and scope, reset passwords, disable, issue and
revoke tokens. Every change is audited with what it was before and after.

The same functions serve the admin pages, `waystation users|tokens` and the demo seed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from station_admin.admin.refusal import Refused
from station_admin.core.audit import audit
from station_admin.core.models import ApiToken, Federation, StaffUser, Station, StationManager, db
from station_admin.requests.models import CentreMember, LegalAidCentre

log = logging.getLogger(__name__)

ROLES = StaffUser.ROLES
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
DISPLAY_NAME_MAX = 60


def _common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


COMMON_PASSWORDS = _common_passwords()


@dataclass(frozen=True)
class Scope:
    """What a role applies to: a federation (by code), a manager's stations (codes), a case worker's centre (id)."""

    federation: str | None = None
    stations: tuple[str, ...] = field(default=())
    centre: int | None = None


def password_problems(username: str, password: str) -> list[tuple[str, dict]]:
    """Why a password is too weak for this user (empty when it is fine)."""
    problems: list[tuple[str, dict]] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(("staff.error.password_short", {"min": MIN_PASSWORD_LENGTH}))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(("staff.error.password_long", {"max": MAX_PASSWORD_LENGTH}))
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append(("staff.error.password_username", {}))
    if lowered in COMMON_PASSWORDS or len(set(password)) <= 2:
        problems.append(("staff.error.password_common", {}))
    return problems


def _username_problems(username: str) -> list[tuple[str, dict]]:
    if not USERNAME_RE.match(username):
        return [("staff.error.username", {})]
    if StaffUser.select().where(StaffUser.username == username).exists():
        return [("staff.error.username_taken", {"name": username})]
    return []


def _display_name(text: str) -> str:
    return " ".join(text.split())


def _scope_rows(role: str, scope: Scope) -> tuple[dict, list[Station], LegalAidCentre | None, list]:
    """The columns, managed stations and centre a role and scope mean, and what is wrong with them."""
    problems: list[tuple[str, dict]] = []
    federation, stations, centre = None, [], None
    if role not in ROLES:
        return {}, [], None, [("staff.error.role", {"roles": ", ".join(ROLES)})]
    if role == "federation":
        federation = Federation.get_or_none(Federation.code == scope.federation) if scope.federation else None
        if not scope.federation:
            problems.append(("staff.error.federation_needed", {}))
        elif federation is None:
            problems.append(("staff.error.federation", {"code": scope.federation}))
    elif scope.federation:
        problems.append(("staff.error.scope_role", {"what": "federation", "role": role}))
    if role == "manager":
        codes = list(dict.fromkeys(scope.stations))
        stations = list(Station.select().where(Station.code.in_(codes))) if codes else []
        missing = sorted(set(codes) - {s.code for s in stations})
        if not codes:
            problems.append(("staff.error.stations_needed", {}))
        elif missing:
            problems.append(("staff.error.station_unknown", {"codes": ", ".join(missing)}))
    elif scope.stations:
        problems.append(("staff.error.scope_role", {"what": "stations", "role": role}))
    if role == "caseworker":
        centre = LegalAidCentre.get_or_none(LegalAidCentre.id == scope.centre) if scope.centre else None
        if not scope.centre:
            problems.append(("staff.error.centre_needed", {}))
        elif centre is None:
            problems.append(("staff.error.centre", {"centre": scope.centre}))
    elif scope.centre:
        problems.append(("staff.error.scope_role", {"what": "centre", "role": role}))
    return {"federation": federation}, stations, centre, problems


def describe(user: StaffUser) -> dict:
    """A user's role and scope as the audit log keeps them (before/after)."""
    centre = CentreMember.centre_of(user)
    return {"role": user.role, "display_name": user.display_name, "active": user.active,
            "federation": user.federation.code if user.federation_id else None,
            "stations": sorted(s.station.code for s in StationManager.select(StationManager, Station)
                               .join(Station).where(StationManager.user == user.id)),
            "centre": centre.id if centre else None}


def _apply_scope(user: StaffUser, stations: list[Station], centre: LegalAidCentre | None) -> None:
    StationManager.delete().where(StationManager.user == user.id).execute()
    for station in stations:
        StationManager.create(user=user, station=station)
    CentreMember.delete().where(CentreMember.user == user.id).execute()
    if centre is not None:
        CentreMember.create(user=user, centre=centre)


def add_user(username: str, display_name: str, role: str, password: str, scope: Scope = Scope(),
             actor: StaffUser | None = None, *, weak_password_ok: bool = False) -> StaffUser:
    """Create a staff user with a role and scope; Refused (nothing written) when anything is wrong.

    `weak_password_ok` is for the demo seed only, whose published passwords are weak on purpose.
    """
    username = username.strip()
    display_name = _display_name(display_name) or username
    with db.atomic():
        problems = _username_problems(username)
        if len(display_name) > DISPLAY_NAME_MAX:
            problems.append(("staff.error.display_name", {"max": DISPLAY_NAME_MAX}))
        if not weak_password_ok:
            problems += password_problems(username, password)
        columns, stations, centre, scope_problems = _scope_rows(role, scope)
        problems += scope_problems
        if problems:
            raise Refused(problems)
        user = StaffUser(username=username, display_name=display_name, role=role, **columns)
        user.set_password(password)
        user.save()
        _apply_scope(user, stations, centre)
        audit("staff.add", "staff_user", user.id, actor=actor, username=username, after=describe(user))
    log.info("staff user %s (%s) created", username, role)
    return user


def find_user(username: str) -> StaffUser:
    """The staff user by name (token accounts too); Refused when there is none."""
    user = StaffUser.get_or_none(StaffUser.username == username.strip())
    if user is None:
        raise Refused.one("staff.error.no_user", name=username)
    return user


def change_user(user: StaffUser, display_name: str, role: str, scope: Scope,
                actor: StaffUser | None = None) -> StaffUser:
    """Change a user's display name, role and scope; Refused (nothing written) when anything is wrong."""
    display_name = _display_name(display_name) or user.username
    with db.atomic():
        before = describe(user)
        problems = []
        if len(display_name) > DISPLAY_NAME_MAX:
            problems.append(("staff.error.display_name", {"max": DISPLAY_NAME_MAX}))
        if actor is not None and actor.id == user.id and role != "admin":
            problems.append(("staff.error.own_admin", {}))
        columns, stations, centre, scope_problems = _scope_rows(role, scope)
        problems += scope_problems
        if problems:
            raise Refused(problems)
        user.display_name, user.role, user.federation = display_name, role, columns["federation"]
        user.save()
        _apply_scope(user, stations, centre)
        audit("staff.change", "staff_user", user.id, actor=actor, username=user.username, before=before,
              after=describe(user))
    return user


def set_password(user: StaffUser, password: str, actor: StaffUser | None = None) -> None:
    """Give a user a new password (refusing weak ones) and end their sessions; the audit row never says the password."""
    if user.is_token_account:
        raise Refused.one("staff.error.token_account", name=user.username)
    problems = password_problems(user.username, password)
    if problems:
        raise Refused(problems)
    with db.atomic():
        user.set_password(password)
        user.save()
        user.end_sessions()  # a session opened with the old password (perhaps by whoever knew it) ends
        audit("staff.password", "staff_user", user.id, actor=actor, username=user.username)


def set_active(user: StaffUser, active: bool, actor: StaffUser | None = None) -> None:
    """Disable a user (refused at once: sessions and tokens stop working) or enable them again."""
    if actor is not None and actor.id == user.id and not active:
        raise Refused.one("staff.error.own_disable")
    with db.atomic():
        before = user.active
        user.active = active
        user.save()
        user.end_sessions()
        audit("staff.enable" if active else "staff.disable", "staff_user", user.id, actor=actor,
              username=user.username, before={"active": before}, after={"active": active})


def sign_out_everywhere(user: StaffUser, actor: StaffUser | None = None) -> None:
    """End every open session of a user at once (their next request asks them to sign in again)."""
    with db.atomic():
        user.end_sessions()
        audit("staff.sign_out", "staff_user", user.id, actor=actor, username=user.username)
    log.info("staff user %s signed out everywhere", user.username)


def staff_users() -> list[StaffUser]:
    """Every staff user and token account, by name."""
    return list(StaffUser.select().order_by(StaffUser.username))


def scope_text(user: StaffUser) -> str:
    """A user's scope in one line for lists (codes and ids, the same in every language)."""
    facts = describe(user)
    if facts["federation"]:
        return f"federation={facts['federation']}"
    if facts["stations"]:
        return "stations=" + ",".join(facts["stations"])
    if facts["centre"]:
        return f"centre={facts['centre']}"
    return ""


# API tokens: each has an account of its own that carries its role and scope and never signs in.

def add_token(name: str, role: str, scope: Scope, now: datetime, actor: StaffUser | None = None,
              *, token: str | None = None) -> str:
    """Issue an API token with a role and scope; returns it in clear, the only time (only its hash is kept).

    `token` fixes the secret, for the demo seed only.
    """
    name = name.strip()
    with db.atomic():
        problems = _username_problems(name)
        columns, stations, centre, scope_problems = _scope_rows(role, scope)
        problems += scope_problems
        if problems:
            raise Refused(problems)
        account = StaffUser.create(username=name, display_name=name, role=role, password_hash="", **columns)
        _apply_scope(account, stations, centre)
        secret = ApiToken.issue(account, name, now, token=token)
        audit("token.add", "api_token", name, actor=actor, after=describe(account))
    log.info("API token %s (%s) issued", name, role)
    return secret


def api_tokens() -> list[ApiToken]:
    """Every API token, newest first, with its account."""
    return list(ApiToken.select(ApiToken, StaffUser).join(StaffUser).order_by(ApiToken.created_at.desc(),
                                                                             ApiToken.id.desc()))


def revoke_token(name: str, now: datetime, actor: StaffUser | None = None) -> int:
    """Revoke the live tokens by this name (refused at once from now on); how many. Refused when none is live."""
    with db.atomic():
        live = list(ApiToken.select().where(ApiToken.name == name.strip(), ApiToken.revoked_at.is_null()))
        if not live:
            raise Refused.one("staff.error.no_token", name=name)
        ApiToken.update(revoked_at=now).where(ApiToken.id.in_([t.id for t in live])).execute()
        audit("token.revoke", "api_token", name.strip(), actor=actor, before={"revoked": False},
              after={"revoked": True}, tokens=len(live))
    log.info("API token %s revoked", name)
    return len(live)
