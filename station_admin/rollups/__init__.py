"""Check-in rollups kept in ingest's own transaction, so reports and peak-hour warnings never scan raw check-ins.

- `hourly`: `CheckInHourly` and the hour arithmetic (`hour_number`, `local_day_hours`, `utc_offset_hours`),
  `record()` for ingest, and the readers the reports use (`checkin_total`, `checkin_per_local_day`,
  `checkin_per_week_hour`, `peak_hours`).
- `periodic`: `CheckInDaily` (24 hour columns per UTC day) and `CheckInWeekly` (168 per UTC week), both
  from one definition (`Period`) and one set of methods (`PeriodRollup`).
"""
