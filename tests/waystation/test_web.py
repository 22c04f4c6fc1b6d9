"""waystation.web's shared helpers that guard what the user sends."""

from __future__ import annotations

import pytest

from waystation.web import local_target


@pytest.mark.parametrize("target", ["/", "/reports/usage?from=2025-06-02&to=2025-06-15", "/m/card/abc_-9",
                                    "/members/?q=%E5%BC%A0"])
def test_a_path_on_this_site_is_kept(target):
    assert local_target(target, "/home") == target


@pytest.mark.parametrize("target", ["", "//evil.example/", "///evil.example", "https://evil.example/",
                                    "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
                                    "/\n/evil.example", "/\r//evil.example",
                                    " //evil.example", "javascript:alert(1)", "evil.example/x", "/\x00/evil"])
def test_anything_that_may_leave_the_site_falls_back(target):
    assert local_target(target, "/home") == "/home"


def test_a_slow_request_is_logged_with_its_path_but_not_its_query(monkeypatch, caplog):
    import logging
    import time

    from tests.conftest import make_settings
    from waystation import web

    app = web.new_flask_app(__name__, make_settings(), "x" * 32)

    @app.get("/slow")
    def slow():
        time.sleep(0.05)
        return "ok"

    @app.get("/quick")
    def quick():
        return "ok"

    monkeypatch.setattr(web, "SLOW_REQUEST_S", 0.04)
    with caplog.at_level(logging.WARNING, logger="waystation.web"):
        assert app.test_client().get("/slow?q=张三").status_code == 200
        assert app.test_client().get("/quick").status_code == 200
    slow_lines = [r.getMessage() for r in caplog.records if "slow request" in r.getMessage()]
    assert len(slow_lines) == 1 and slow_lines[0].startswith("slow request: GET /slow 200 in ")
    assert "张三" not in slow_lines[0] and "q=" not in slow_lines[0]
