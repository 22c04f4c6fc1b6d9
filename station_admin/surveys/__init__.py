"""Surveys (问卷): built by federation staff, asked at kiosks after check-in and on riders' phones,
one counted response per member per survey, results suppressed as every report.

- `models`: `Survey`, `SurveyVersion` (frozen once published), `SurveyResponse`, `SurveyAnswer`,
  `SurveyConflict`, `SurveyInvitation`.
- `builder`: the builder form, drafts, publish, close; who owns and who may read free text.
- `responses`: open surveys per station (what kiosks get), invitations after check-in, counting
  responses (ingest and the phone page), a member's waiting surveys.
- `results`: per-question figures, cross-tabs, CSV and .xlsx exports.
- `views`: the staff pages (/surveys/).
"""
