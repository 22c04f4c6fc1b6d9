"""Reports for federations, managers and case workers: figures from rollups, suppressed, on screen and as CSV.

`bp` is the one reports blueprint; each page module (`views`, `chargers`, `requests`, `feedback`) adds its
routes to it and `common` holds what they share (scope, roles, errors). Figures: `figures`,
`request_figures`, `feedback_figures`; the usage log `usage`; CSV files `exports`, the usage log's
background export jobs `export_jobs`; SVG `charts`.
"""

from station_admin.reports import chargers, feedback, requests, views  # noqa: F401  (each adds its routes to bp)
from station_admin.reports.common import bp

__all__ = ["bp"]
