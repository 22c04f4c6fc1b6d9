"""The station kiosk: a touchscreen Flask + htmx app on its own SQLite database."""

from __future__ import annotations

from kiosk import charging, checkin, classroom, feedback, home, join, models, screen, service, survey, voucher
from waystation.settings import load_settings
from waystation.web import new_flask_app


def create_app(test_config: dict | None = None):
    """Build the kiosk app. Wires only: no schema changes, no network (see `waystation kiosk`)."""
    settings = load_settings(overrides=test_config)
    settings.require("kiosk.station_id")
    # htmx keeps no page snapshots in sessionStorage: nothing of one rider is left for the next.
    app = new_flask_app(__name__, settings, settings.secret("kiosk.secret_key"),
                        default_language=settings.kiosk.default_language, timezone=settings.kiosk.timezone,
                        htmx_config={"historyCacheSize": 0})
    models.init_app(app, settings)
    for blueprint in (home.bp, checkin.bp, join.bp, service.bp, screen.bp, charging.bp, voucher.bp, feedback.bp,
                      classroom.bp, survey.bp):
        app.register_blueprint(blueprint)
    screen.init_app(app, settings)
    return app
