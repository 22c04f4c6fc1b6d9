"""Central's MQTT side, started by `waystation central` and `waystation ingest`, never by create_app.

- `central`: `CentralNode` wires the parts below on one MQTT link.
- `ingest`: `IngestWorker`, MQTT to the central database in batches, acknowledged after the commit.
- `publishers`: everything central tells stations, retained (station configs, card trust, voucher policies
  and schedules).
- `operations`: `OperationsLoop` sends staff commands, times them out and evaluates alarms.
"""
