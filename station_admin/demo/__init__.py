"""Demo and benchmark data: never used by a real network.

- `seed`: `seed_demo` and the demo organisation, stations, staff and members.
- `history`: `seed_history`, realistic check-in history for trying reports at scale.
"""
