"""Demo and benchmark data: never used by a real network.

- `seed`: `seed_demo` and the demo organisation, stations, staff and members.
- `classroom`: `seed_classroom`, a short video made with ffmpeg for the station classroom.
- `history`: `seed_history`, realistic check-in history for trying reports at scale.
"""
