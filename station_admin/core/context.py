"""What the central app holds for every request besides its settings: the data protector and the service catalogue.

`create_app` installs them; views reach them through these accessors, never by extension key.
"""

from __future__ import annotations

from flask import Flask, current_app

from station_admin.core.protect import DataProtector
from waystation.services import Catalogue

PROTECTOR = "waystation.protector"
CATALOGUE = "waystation.services"


def install(app: Flask, protector: DataProtector, catalogue: Catalogue) -> None:
    """Give the app its protector and catalogue (called once, by create_app)."""
    app.extensions[PROTECTOR] = protector
    app.extensions[CATALOGUE] = catalogue


def current_protector() -> DataProtector:
    """The app's data protector: encrypts phones and documents, hashes them for look-up."""
    return current_app.extensions[PROTECTOR]


def current_catalogue() -> Catalogue:
    """The service catalogue the app was started with (config/services.toml or the site's file)."""
    return current_app.extensions[CATALOGUE]
