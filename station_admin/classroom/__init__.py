"""The station classroom (空中课堂): short videos staff upload, cached at each kiosk and played offline.

- `models`: `ClassroomVideo` (files, titles, target, dates), `ClassroomTarget`, `ClassroomPlay` (riders'
  plays as kiosks report them), `ClassroomHoldings` (what each kiosk says it holds).
- `library`: upload checks (ffprobe, poster bytes), files kept under their SHA-256, targets, each
  station's manifest and download key, and what ingest stores (`record_plays`, `on_holdings`).
- `views`: the staff list and upload form, the plays report, and the kiosks' file downloads (HTTP Range).
"""
