"""The hardship register (困难职工档案): workers in difficulty, their yearly census, visits and documents.

- `models`: `HardshipCase`, `HardshipVisit`, `HardshipDocument`, the causes and document kinds.
- `register`: who may see and do what, form parsing, the two-step check (record, approve), visits,
  documents (type by magic bytes, encrypted), and the statuses derived from dates (`state_of`).
- `views`: the district's lists, the case page, the record form, the federation's suppressed counts.
"""
