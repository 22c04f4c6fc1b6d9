"""The network as it is now: dashboard, JSON API, charging, staff commands and alarms.

- `charging`: `ChargeSession`, `ChargerSlotEvent`, storing controllers' session and slot messages.
- `commands`: `Command`, `request_command`, `settle`, `time_out`; the station's charging & commands page.
- `alarms`: `Alarm`, `raise_alarm`, `evaluate`; the alarms page.
- `dashboard`, `api`: the live dashboard and `/api/v1/stations`.
"""
