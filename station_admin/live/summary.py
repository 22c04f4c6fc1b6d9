"""The dashboard's figures per district: stations online, people inside, chargers free, charging and faulted,
open alarms, over the user's whole scope.

Computed, not kept: four grouped statements (stations with people and kiosks online; slots by
status, less those of stations whose charger controller is lost; open alarms), each one pass over
indexed rows of the scope, and shared for `central.summary_seconds` between the dashboards of the
same scope in this web process. Twenty admins polling every second then cost one computation every
few seconds, and nothing has to be kept right by ingest (an incremental count would have to follow
every slot report, Last Will, heartbeat timeout and alarm, and be rebuilt whenever it drifted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN, SQL, Case, fn

from station_admin.core.models import ChargerSlotState, DeviceState, District, StaffUser, Station, StationLive
from station_admin.live.alarms import Alarm
from station_admin.live.board import Figures, scope, scope_key
from station_admin.live.shared import shared_results


@dataclass
class DistrictFigures:
    """One district's figures (or the whole scope's, as `total`)."""

    code: str
    name_zh: str = ""
    name_en: str = ""
    stations: int = 0
    online: int = 0
    people: int = 0
    free: int = 0
    charging: int = 0
    faulted: int = 0
    alarms: int = 0

    def add(self, other: DistrictFigures) -> None:
        for name in ("stations", "online", "people", "free", "charging", "faulted", "alarms"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Summary:
    districts: list[DistrictFigures] = field(default_factory=list)
    total: DistrictFigures = field(default_factory=lambda: DistrictFigures(""))
    computed_at: datetime | None = None


def compute(user: StaffUser, figures: Figures, now: datetime) -> Summary:
    """The scope's figures per district, in three grouped statements whatever the number of stations."""
    found: dict[int, DistrictFigures] = {}
    stations = (scope(user).select(District.id, District.code, District.name_zh, District.name_en,
                                   fn.COUNT(Station.id), fn.SUM(Case(None, [(figures.online, 1)], 0)),
                                   fn.SUM(fn.COALESCE(StationLive.people_inside, 0)))
                .join_from(Station, StationLive, on=(StationLive.station_code == Station.code),
                           join_type=JOIN.LEFT_OUTER)
                .group_by(District.id, District.code, District.name_zh, District.name_en).tuples())
    for district_id, code, name_zh, name_en, count, online, people in stations:
        found[district_id] = DistrictFigures(code, name_zh, name_en, count, int(online or 0), int(people or 0))
    names = {"available": "free", "charging": "charging", "faulted": "faulted"}

    def slots(*conditions):
        return (scope(user).select(Station.district, ChargerSlotState.status, fn.COUNT(SQL("*")))
                .join_from(Station, ChargerSlotState, on=(ChargerSlotState.station_code == Station.code))
                .where(ChargerSlotState.slot <= Station.charger_slots, ChargerSlotState.status.in_(tuple(names)),
                       *conditions)
                .group_by(Station.district, ChargerSlotState.status).tuples())

    for district_id, status, count in slots():
        if district_id in found:
            setattr(found[district_id], names[status], count)
    # The slots of a station whose controllers are all offline show offline (as on the cards): taken off
    # again, from the few stations that have an offline controller at all.
    lost = DeviceState.select(DeviceState.station_code).where(DeviceState.kind == "charger_controller",
                                                             DeviceState.online == False)  # noqa: E712
    for district_id, status, count in slots(ChargerSlotState.station_code.in_(lost), figures.chargers_lost):
        if district_id in found:
            setattr(found[district_id], names[status], getattr(found[district_id], names[status]) - count)
    alarms = (scope(user).select(Station.district, fn.COUNT(SQL("*")))
              .join_from(Station, Alarm, on=(Alarm.station_code == Station.code))
              .where(Alarm.open_key.is_null(False)).group_by(Station.district).tuples())
    for district_id, count in alarms:
        if district_id in found:
            found[district_id].alarms = count
    summary = Summary(sorted(found.values(), key=lambda d: d.code), computed_at=now)
    for district in summary.districts:
        summary.total.add(district)
    return summary


def cached_summary(user: StaffUser, figures: Figures, now: datetime, seconds: float) -> Summary:
    """The user's scope's summary, shared between the dashboards of this web process for `seconds`."""
    return shared_results().get(("summary", scope_key(user)), seconds, lambda: compute(user, figures, now),
                                ahead=True)
