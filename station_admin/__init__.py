"""The central web app: staff sign in, watch stations live, read reports and the JSON API."""

from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix

from station_admin import reports
from station_admin.admin import accounts, network
from station_admin.classroom import views as classroom_views
from station_admin.community import schedule, stationmap, vouchers
from station_admin.core import auth, context, errors, models
from station_admin.core.protect import DataProtector
from station_admin.hardship import views as hardship_views
from station_admin.live import alarms, api, commands, dashboard, deadletters
from station_admin.members import views as member_views
from station_admin.mobile import directory, join, language, recover, redeem, track, upload
from station_admin.mobile import survey as survey_phone
from station_admin.pairing import views as pairing_views
from station_admin.personal import views as personal_views
from station_admin.requests import calendars, open311, queue
from station_admin.surveys import views as survey_views
from waystation.db import open_configured
from waystation.services import load_services
from waystation.settings import load_settings
from waystation.web import new_flask_app


def create_app(test_config: dict | None = None):
    """Build the central app. Wires only: no schema changes, no network (see `waystation central`)."""
    settings = load_settings(overrides=test_config)
    app = new_flask_app(__name__, settings, settings.secret("central.secret_key"),
                        timezone=settings.central.timezone)
    context.install(app, DataProtector(settings.secret("central.data_key")),
                    load_services(settings.requests.services_file or None))
    init_db(app, settings)
    auth.init_app(app, settings)
    errors.init_app(app)
    for blueprint in (auth.bp, dashboard.bp, api.bp, language.bp, join.bp, recover.bp, member_views.bp,
                      personal_views.bp, reports.bp, queue.bp, calendars.bp, track.bp, open311.bp, commands.bp,
                      alarms.bp, vouchers.bp, stationmap.bp,
                      redeem.bp, schedule.bp, directory.bp, deadletters.bp, network.bp, accounts.bp, pairing_views.bp,
                      hardship_views.bp, upload.bp, classroom_views.bp, survey_views.bp, survey_phone.bp):
        app.register_blueprint(blueprint)
    proxies = settings.central.trusted_proxies
    if proxies:
        # Behind that many reverse proxies the client's address and scheme are in their X-Forwarded-* headers
        # (each proxy appends one); without any, the headers are anyone's to forge and are ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    return app


def init_db(app, settings) -> None:
    """Point the models at the configured database; a connection per request."""
    models.db.initialize(open_configured(settings.database))

    @app.before_request
    def _connect():
        models.db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not models.db.is_closed():
            models.db.close()
