"""Reports for federations, managers and case workers: figures from rollups, suppressed, on screen and as CSV.

`bp` is the one reports blueprint; each page module adds its routes to it.
"""

from station_admin.reports import chargers, feedback, requests, views  # noqa: F401  (each adds its routes to bp)
from station_admin.reports.common import bp

__all__ = ["bp"]
