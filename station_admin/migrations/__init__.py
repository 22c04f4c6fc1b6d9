"""Every numbered schema migration of the central database, one file each, in order.

An existing database upgrades in place with `waystation migrate central` (the serve commands run it too).
Each file holds its SQL as text, for SQLite and for PostgreSQL, frozen once released: it never reads
today's models, so migration 1 means the same thing in every version. A schema change is a new file
(`mNNNN_name.py`, the next number); tests/station_admin/test_migrations.py checks that migrating
from 1 gives the schema of today's models.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

FILE_NAME = re.compile(r"^m(\d{4})_\w+$")


def _load() -> list:
    """Every mNNNN_*.py beside this file, in number order; a file whose name and number disagree is a mistake."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        name = FILE_NAME.match(module.name)
        if name:
            migration = importlib.import_module(f"{__name__}.{module.name}").MIGRATION
            if migration[0] != int(name[1]):
                raise RuntimeError(f"{module.name} declares migration {migration[0]}")
            found.append(migration)
    numbers = [m[0] for m in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {sorted(numbers)}")
    return sorted(found, key=lambda m: m[0])


MIGRATIONS = _load()
