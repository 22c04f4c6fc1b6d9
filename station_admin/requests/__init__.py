"""Service requests (legal aid, hardship aid, counselling, health checks) from filing to outcome.

- `models`: `ServiceRequest`, `LegalAidCentre`, `CentreMember`, `StatusChange`, `ContactAttempt`, `FollowUp`,
  the statuses (`STATUSES`, `OPEN_STATUSES`) and `station_names`.
- `casework`: `Intake`/`file_requests` (ingest files kiosk events), routing by district, deadlines, every
  status move, `unrouted_requests`.
- `workdays`: the working-day calendar (`WorkdayCalendar`, `import_calendar`, bundled calendars) and
  deadlines (`DeadlineRule`, `recount_open_deadlines`, `apply_counting_setting` at start).
- `holidays`: the statutory public holidays of a year with no calendar (`statutory_holidays`, from lunar-python).
- `queue`, `calendars`, `open311`: the case workers' queue and case pages, the calendar page, Open311 JSON.
"""
