"""Staff sign-in and roles: every staff route refuses strangers and the wrong role."""

from __future__ import annotations

import pytest

from station_admin.core.models import StaffUser
from tests.conftest import csrf_of
from tests.station_admin.conftest import login, signed_in  # noqa: F401 - also imported from here


def test_dashboard_needs_a_login(central_app):
    response = central_app.test_client().get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_wrong_password_says_so_in_chinese(central_app):
    client = central_app.test_client()
    response = login(client, "admin", "nope")
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)
    with client.session_transaction() as s:
        assert "user_id" not in s


def test_oversized_and_empty_input_is_refused(central_app):
    client = central_app.test_client()
    assert login(client, "admin" * 10000, "x" * 100000).status_code in (401, 413)
    assert login(client, "", "").status_code == 401


def test_login_without_csrf_is_refused(central_app):
    client = central_app.test_client()
    response = client.post("/auth/login", data={"username": "admin", "password": "admin-demo"})
    assert response.status_code == 400


def test_login_goes_where_the_user_was_going_but_never_off_site(central_app):
    client = central_app.test_client()
    assert login(client, "admin", "admin-demo", "/dashboard/stations").headers["Location"] == "/dashboard/stations"
    client = central_app.test_client()
    assert login(client, "admin", "admin-demo", "//evil.example/").headers["Location"] == "/"


def test_logout(central_app):
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    client.get("/")  # signing in starts a new session with a new anti-forgery token
    assert client.post("/auth/logout", data={"csrf_token": csrf_of(client)}).status_code == 303
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_sign_in(central_app):
    with central_app.app_context():
        from station_admin.core.models import db

        with db.connection_context():
            StaffUser.update(active=False).where(StaffUser.username == "manager").execute()
    assert login(central_app.test_client(), "manager", "manager-demo").status_code == 401


@pytest.mark.parametrize("role, status", [("admin", 200), ("federation", 200), ("manager", 200), ("caseworker", 403)])
def test_roles_on_the_dashboard(central_app, role, status):
    with central_app.app_context():
        from station_admin.core.models import db

        with db.connection_context():
            user = StaffUser(username=f"u-{role}", display_name=role, role=role)
            user.set_password("pw-123456")
            user.save()
    client = central_app.test_client()
    login(client, f"u-{role}", "pw-123456")
    assert client.get("/").status_code == status
    assert client.get("/api/v1/stations").status_code == status


def test_each_role_lands_where_it_works(central_app):
    client = central_app.test_client()
    assert login(client, "caseworker", "caseworker-demo").headers["Location"] == "/requests/"
    page = client.get("/requests/").get_data(as_text=True)
    header = page.split("<main")[0]
    assert 'data-testid="nav-requests"' in header and "实时看板" not in header  # no dashboard to offer them
    client = central_app.test_client()
    assert login(client, "manager", "manager-demo").headers["Location"] == "/"
    shop = central_app.test_client()
    assert login(shop, "shop", "shop-demo").headers["Location"] == "/m/redeem/"
    # Opening the site first: / sends them to sign in with next=/?, which means each role's own start page.
    worker = central_app.test_client()
    assert worker.get("/").headers["Location"].endswith("/auth/login?next=/?")
    form = worker.get("/auth/login?next=/?").get_data(as_text=True)
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    answer = worker.post("/auth/login?next=/?", data={"username": "caseworker", "password": "caseworker-demo",
                                                       "csrf_token": token})
    assert answer.headers["Location"] == "/requests/" and worker.get("/requests/").status_code == 200
    assert shop.get("/m/redeem/").status_code == 200


def test_switching_language_returns_to_the_page_with_its_query(central_app):
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    page = client.get("/reports/usage?from=2025-06-02&to=2025-06-15").get_data(as_text=True)
    assert 'name="next" value="/reports/usage?from=2025-06-02&amp;to=2025-06-15"' in page
    response = client.post("/auth/language", data={"lang": "en", "next": "/reports/usage?from=2025-06-02&to=2025-06-15",
                                                   "csrf_token": csrf_of(client)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/reports/usage?from=2025-06-02&to=2025-06-15"
    assert client.get("/reports/usage?from=2025-06-02&to=2025-06-15").get_data(as_text=True).startswith(
        "<!doctype html>\n<html lang=\"en\"")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\t/evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "evil.example", ""])
def test_switching_language_never_goes_off_site(central_app, target):
    client = signed_in(central_app, "caseworker")
    response = client.post("/auth/language", data={"lang": "en", "next": target, "csrf_token": csrf_of(client)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/requests/"  # the case worker's start page


def test_switching_language_before_signing_in_stays_on_the_sign_in_page(central_app):
    client = central_app.test_client()
    page = client.get("/auth/login?next=/reports/").get_data(as_text=True)
    assert 'name="next" value="/auth/login?next=/reports/"' in page
    response = client.post("/auth/language", data={"lang": "en", "next": "/auth/login?next=/reports/",
                                                   "csrf_token": csrf_of(client)})
    assert response.headers["Location"] == "/auth/login?next=/reports/"


def test_a_refused_page_switches_language_to_the_start_page_not_back_to_the_refused_address(central_app):
    client = signed_in(central_app, "manager")
    refused = client.get("/admin/stations/xh-longhua")
    assert refused.status_code == 403 and 'name="next"' not in refused.get_data(as_text=True)
    response = client.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    assert response.headers["Location"] == "/"
