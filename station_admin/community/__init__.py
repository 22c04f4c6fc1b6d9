"""A station's community life: care-day meal vouchers, events, opening hours and riders' feedback.

- `careday`: `Voucher`, `VoucherPolicy`, `decide_claims` (ingest), `redeem`, `station_policy`.
- `vouchers`: the federation's voucher policy page.
- `agenda`, `schedule`: `ScheduledEvent` and `occurrences` (what kiosks show); the staff schedule page with
  peak-hour warnings.
- `opening`: `OpeningInterval`, `StationLocation`, `is_open`, `set_hours` (the directory's facts).
- `feedback`: `Feedback`, `FeedbackCategory`, `record` (ingest).
- `stationmap`: the station map page (`/map/`): the scope's stations by live state, drawn on the server.
"""
