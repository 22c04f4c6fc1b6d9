"""The role × field crawl: each role (and an anonymous visitor) follows every link and htmx endpoint it can reach,
then asks for every GET route of the URL map with ids from every scope, and nothing it may not see appears in any
page, fragment, JSON answer or CSV (tests/station_admin/crawl_world.py says who may see what).

Rules: the federation sees no member number, name, phone or tracking code anywhere; a manager nothing of another
manager's stations; a case worker nothing of another centre's requests and cases; a shop nothing but redeeming;
an anonymous visitor only the public pages. No role gets a server error anywhere.
"""

from __future__ import annotations

import pytest

from station_admin.core import models
from tests.station_admin.crawl_world import ROLES, build_world
from tests.station_admin.crawling import SHOP_ENDPOINTS, crawl, is_public


@pytest.fixture
def crawl_app(central_settings, tmp_path, running):
    from station_admin import create_app
    from station_admin.core.jobs import JobRunner

    settings = central_settings(template="seeded", reports={"export_dir": str(tmp_path / "exports")})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    running.start(JobRunner(settings))  # the exports' background workers, as `waystation central` runs them
    yield app
    models.db.close()


@pytest.mark.parametrize("central_db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("user", ROLES, ids=[role or "anonymous" for role in ROLES])
def test_no_role_sees_what_is_not_its_own(crawl_app, tmp_path, user):
    world = build_world(crawl_app, tmp_path)
    walker = crawl(crawl_app, user, world)
    forbidden = world.forbidden(user)
    foreign = world.foreign_stations(user)
    problems = []
    for url, status, endpoint, text in walker.bodies:
        if status >= 500:
            problems.append(f"{url}: {status}")
        for secret, what in forbidden.items():
            # A refusal (404, 403, the sign-in redirect) may echo the id the visitor sent; a page may not show it.
            if secret in text and not (status != 200 and secret in url):
                problems.append(f"{url} ({endpoint}): {what} {secret!r}")
        if not is_public(url):
            problems += [f"{url} ({endpoint}): another manager's station {name!r}" for name in foreign if name in text]
        if user in ("shop", None) and status == 200 and not is_public(url) and endpoint not in SHOP_ENDPOINTS:
            problems.append(f"{url} ({endpoint}): answered {status} to {user or 'an anonymous visitor'}")
        if user is None and endpoint == "redeem.index" and status == 200:
            problems.append(f"{url}: the redeeming page answered an anonymous visitor")
    # What the role may see, it does see somewhere: the checks cannot pass by reading nothing.
    own = [text for text, owners in world.secrets.items() if user in owners or user == "admin"]
    missing = [text for text in own if not any(text in body for *_, body in walker.bodies)]
    assert len(missing) < len(own) or not own, f"{user} saw none of its own {own}"
    if user in ("admin", "federation", "manager", "manager2"):
        assert walker.csv_files == 5, "every usage-log export was read"
    pages = {url for url, status, *_ in walker.bodies if status == 200}
    assert len(pages) >= {"admin": 40, "shop": 3, None: 3}.get(user, 15), f"the crawl reached only {sorted(pages)}"
    assert not problems, f"{user or 'anonymous'} saw {len(problems)} thing(s) not theirs:\n" + "\n".join(
        sorted(set(problems)))
