"""The ground floor of the central app: the database models every feature stands on, staff and their sign-in,
the audit log and the protection of personal data.

- `models`: the peewee database proxy `db`, the organisation tree (Federation, District, Station), staff
  (StaffUser, StationManager, ApiToken), the events and live state stations send (StationEvent, CheckIn,
  StationLive, DeviceState, ChargerSlotState) and `live_stations()`.
- `auth`: `login_required(*roles)`, the sign-in blueprint, each role's landing page.
- `audit`: `audit(...)` records who did what; `AuditEntry`.
- `protect`: `DataProtector` (phone numbers encrypted and found by keyed hash; masking).
- `privacy`: small-count suppression for every aggregate (`suppress`, `SuppressedTable`, `HIDDEN`).
- `context`: the per-app services (`current_protector()`, `current_catalogue()`).
- `errors`: error pages in the user's language.
- `jobs`: the background job queue in the central database (`queue`, `JobRunner`, `worker_id()`).
"""
