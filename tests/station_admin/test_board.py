"""The station board at scale: the dashboard's and the API's pages, searches, filters and sorts computed in the
database, the per-district figures, the API's cursor and ETag, refused parameters, and a page's query count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from devices.protocol import utcnow
from station_admin.core.models import ChargerSlotState, CheckIn, DeviceState, District, Station, StationLive, db
from station_admin.demo.seed import DEMO_TOKEN
from station_admin.live.alarms import raise_alarm
from tests.htmx import HX, assert_fragment_and_page
from tests.station_admin.conftest import login

API = {"Authorization": f"Bearer {DEMO_TOKEN}"}
DEMO = ["xh-caohejing", "xh-longhua", "xh-xujiahui"]


@pytest.fixture
def board_app(central_settings):
    """The demo central app with pages of 5 stations and figures computed afresh on every request."""
    from station_admin import create_app
    from station_admin.core import models

    app = create_app(central_settings(template="seeded", central={"page_size": 5, "summary_seconds": 0,
                                                                         "page_share_seconds": 0}).as_dict())
    app.config["TESTING"] = True
    yield app
    models.db.close()


def add_stations(app, count: int, start: int = 0, district: str = "minhang") -> list[str]:
    """`count` stations in a district (codes mh-0000...), capacity 10 and 2 charger slots each."""
    with app.app_context(), db.connection_context():
        district_id = District.get(District.code == district).id
        rows = [{"code": f"mh-{i:04d}", "district": district_id, "name_zh": f"闵行驿站{i}",
                 "name_en": f"Minhang Station {i}", "capacity": 10, "charger_slots": 2}
                for i in range(start, start + count)]
        for n in range(0, len(rows), 200):
            Station.insert_many(rows[n:n + 200]).execute()
    return [r["code"] for r in rows]


def set_live(app, code: str, *, online: bool | None = None, heard_ago: int = 0, people: int | None = None,
             slots: tuple[str, ...] = ()) -> None:
    """A station's live state as ingest would have stored it."""
    now = utcnow()
    with app.app_context(), db.connection_context():
        if online is not None:
            DeviceState.insert(station_code=code, device="kiosk", kind="kiosk", online=online,
                               changed_at=now - timedelta(seconds=heard_ago),
                               heartbeat_at=now - timedelta(seconds=heard_ago)).execute()
        if people is not None:
            StationLive.insert(station_code=code, people_inside=people, occupancy_at=now, received_at=now).execute()
        for n, status in enumerate(slots, start=1):
            ChargerSlotState.insert(station_code=code, slot=n, status=status, reported_at=now,
                                    received_at=now).execute()


def api_codes(client, query: str = "", headers=API) -> list[str]:
    """Every station code the API lists for a query, following its cursors."""
    found, cursor = [], None
    while True:
        url = "/api/v1/stations?" + query + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        found += [s["code"] for s in body["stations"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def page_codes(client, url: str) -> list[str]:
    return re.findall(r'data-station="([a-z0-9-]+)"', client.get(url, headers=HX).get_data(as_text=True))


def test_api_pages_give_every_station_once_even_with_inserts_between_pages(board_app):
    codes = add_stations(board_app, 23)
    client = board_app.test_client()
    first = client.get("/api/v1/stations?limit=10&sort=code", headers=API).get_json()
    assert [s["code"] for s in first["stations"]] == sorted(DEMO + codes)[:10]
    # Stations added before and after the cursor while the caller pages: the rest follows exactly once each.
    added = add_stations(board_app, 3, start=500) + add_stations(board_app, 1, start=9000)
    rest, cursor = [], first["next_cursor"]
    while cursor:
        body = client.get(f"/api/v1/stations?limit=10&sort=code&cursor={cursor}", headers=API).get_json()
        rest += [s["code"] for s in body["stations"]]
        cursor = body["next_cursor"]
    seen = [s["code"] for s in first["stations"]] + rest
    assert len(seen) == len(set(seen))
    assert set(seen) == set(DEMO + codes + added)  # the new ones after the cursor are there too
    for sort in ("district", "-name", "-free", "occupancy", "-last_seen", "alarms"):
        listed = api_codes(client, f"limit=7&sort={sort}")
        assert sorted(listed) == sorted(DEMO + codes + added) and len(listed) == len(set(listed)), sort


def test_each_sort_orders_by_its_figure_then_code(board_app):
    codes = add_stations(board_app, 6)
    set_live(board_app, codes[0], online=True, heard_ago=5, people=9, slots=("available", "available"))
    set_live(board_app, codes[1], online=True, heard_ago=30, people=1, slots=("charging", "available"))
    set_live(board_app, codes[2], online=True, heard_ago=10, people=5, slots=("faulted", "charging"))
    with board_app.app_context(), db.connection_context():
        raise_alarm("slot_faulted", f"{codes[2]}/1", codes[2], {}, utcnow())
        raise_alarm("occupancy_high", codes[0], codes[0], {}, utcnow())
        raise_alarm("device_offline", f"{codes[0]}/counter", codes[0], {}, utcnow())
    client = board_app.test_client()
    everyone = sorted(DEMO + codes)
    assert api_codes(client, "sort=code&limit=4") == everyone
    assert api_codes(client, "sort=-code&limit=4") == everyone[::-1]
    assert api_codes(client, "sort=district&limit=4")[:3] == codes[:3]  # minhang before xuhui
    assert api_codes(client, "sort=-occupancy&limit=4")[:3] == [codes[0], codes[2], codes[1]]  # 90 %, 50 %, 10 %
    assert api_codes(client, "sort=-free&limit=4")[:2] == [codes[0], codes[1]]
    assert api_codes(client, "sort=-alarms&limit=4")[:2] == [codes[0], codes[2]]
    assert api_codes(client, "sort=-last_seen&limit=4")[:3] == [codes[0], codes[2], codes[1]]
    names = api_codes(client, "sort=name&limit=4")  # by the Chinese name by default: 徐 龙 漕 闵 by code point
    with board_app.app_context(), db.connection_context():
        by_name = {s.code: s.name_zh for s in Station.select()}
    assert [by_name[c] for c in names] == sorted(by_name[c] for c in names)
    # The dashboard orders its page the same way.
    login(client, "admin", "admin-demo")
    assert page_codes(client, "/dashboard/stations?sort=-occupancy")[:3] == [codes[0], codes[2], codes[1]]


def test_each_filter_and_the_search(board_app):
    codes = add_stations(board_app, 6)
    set_live(board_app, codes[0], online=True, people=9, slots=("available", "charging"))
    set_live(board_app, codes[1], online=True, heard_ago=300, people=2, slots=("charging", "charging"))  # silent
    set_live(board_app, codes[2], online=False, people=0)
    with board_app.app_context(), db.connection_context():
        raise_alarm("occupancy_high", codes[0], codes[0], {}, utcnow())
    client = board_app.test_client()
    assert api_codes(client, "online=yes") == [codes[0]]
    assert api_codes(client, "online=true") == [codes[0]]
    assert sorted(api_codes(client, "online=no")) == sorted(set(DEMO + codes) - {codes[0]})
    assert api_codes(client, "alarms=open") == [codes[0]]
    assert api_codes(client, "occupancy=full") == [codes[0]]
    assert api_codes(client, "occupancy=room") == [codes[1], codes[2]]
    assert api_codes(client, "chargers=free") == [codes[0]]
    assert api_codes(client, "district=xuhui") == DEMO
    assert api_codes(client, "q=龙华") == ["xh-longhua"]
    assert api_codes(client, "q=longhua") == ["xh-longhua"]  # English, any case
    assert api_codes(client, "q=MH-0003") == [codes[3]]
    assert api_codes(client, "q=%25") == []  # a LIKE wildcard is a plain character
    assert api_codes(client, "district=minhang&online=no&q=Station 4") == [codes[4]]
    body = client.get("/api/v1/stations?online=yes", headers=API).get_json()
    assert body["stations"][0]["online"] is True and body["stations"][0]["charger_slots"] == ["available", "charging"]
    # The dashboard: the same filters, as a shareable URL, and the poll asks for the same query and page.
    login(client, "admin", "admin-demo")
    assert page_codes(client, "/?district=minhang&online=no&q=Station 4") == [codes[4]]
    fragment = client.get("/dashboard/stations?online=no&sort=-free&page=2", headers=HX).get_data(as_text=True)
    assert 'hx-get="/dashboard/stations?online=no&amp;sort=-free&amp;page=2"' in fragment
    assert "第 2 / 2 页" in fragment and "第 6–8 个，共 8 个驿站" in fragment
    # The filter form sends every field; the answer pushes the view's short URL to share.
    swapped = client.get("/?q=&online=no&occupancy=&sort=district&page=2", headers=HX)
    assert swapped.headers["HX-Push-Url"] == "/?online=no&page=2" and "<html" not in swapped.get_data(as_text=True)
    assert "HX-Push-Url" not in client.get("/dashboard/stations?online=no", headers=HX).headers  # the poll: not


def test_dashboard_pages_and_a_small_scope_has_no_pager(board_app):
    codes = add_stations(board_app, 9)
    client = board_app.test_client()
    login(client, "admin", "admin-demo")
    pages = [page_codes(client, f"/dashboard/stations?page={n}") for n in (1, 2, 3)]
    assert sum(pages, []) == codes + DEMO  # minhang, then xuhui; each once
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="page-next"' in page and 'data-testid="board-filters"' in page
    assert 'href="/?page=2"' in page  # the pager pushes the page's URL, not the fragment's
    assert_fragment_and_page(client, "/dashboard/stations?page=2&sort=code", "stations")
    manager = board_app.test_client()
    login(manager, "manager", "manager-demo")
    page = manager.get("/").get_data(as_text=True)
    assert re.findall(r'data-station="([a-z0-9-]+)"', page) == ["xh-caohejing", "xh-xujiahui"]
    assert 'class="pager"' not in page and 'data-testid="board-filters"' not in page


def test_scope_per_role_holds_under_filters_and_figures(board_app):
    codes = add_stations(board_app, 4)
    set_live(board_app, codes[0], online=True, people=3)
    set_live(board_app, "xh-xujiahui", online=True, people=7, slots=("available",))
    manager = board_app.test_client()
    login(manager, "manager", "manager-demo")
    assert api_codes(manager, "online=yes", headers={}) == ["xh-xujiahui"]
    assert api_codes(manager, "district=minhang", headers={}) == []
    summary = manager.get("/", headers=HX).get_data(as_text=True)
    assert "在线 1 / 2 个驿站" in summary and "站内 7 人" in summary
    federation = board_app.test_client()
    login(federation, "federation", "federation-demo")
    assert sorted(api_codes(federation, "online=yes", headers={})) == sorted([codes[0], "xh-xujiahui"])
    assert "在线 2 / 7 个驿站" in federation.get("/", headers=HX).get_data(as_text=True)


def test_summary_counts_per_district(board_app):
    codes = add_stations(board_app, 3)
    set_live(board_app, codes[0], online=True, people=4, slots=("available", "faulted"))
    set_live(board_app, codes[1], online=True, heard_ago=600, people=2, slots=("charging", "available"))
    with board_app.app_context(), db.connection_context():
        raise_alarm("slot_faulted", f"{codes[0]}/2", codes[0], {}, utcnow())
        Station.update(closed_at=utcnow()).where(Station.code == codes[2]).execute()  # closed: not counted
    client = board_app.test_client()
    login(client, "admin", "admin-demo")
    html = client.get("/").get_data(as_text=True)
    assert "在线 1 / 5 个驿站" in html and "站内 6 人" in html and "未处理告警 1 条" in html
    assert "充电位：空闲 2，充电中 1，故障 1" in html
    row = re.search(r'<tr data-district="minhang">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row) == ["1 / 2", "6", "2", "1", "1", "1"]
    assert codes[2] not in html


def test_api_etag_answers_304_until_the_page_changes(board_app):
    codes = add_stations(board_app, 3)
    client = board_app.test_client()
    first = client.get("/api/v1/stations?district=minhang", headers=API)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.status_code == 200
    again = client.get("/api/v1/stations?district=minhang", headers={**API, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    set_live(board_app, codes[1], people=3)
    changed = client.get("/api/v1/stations?district=minhang", headers={**API, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["stations"][1]["people_inside"] == 3
    # Another page (or query) has its own tag.
    assert client.get("/api/v1/stations?district=xuhui", headers=API).headers["ETag"] != changed.headers["ETag"]


@pytest.mark.parametrize("query, zh, en", [
    ("sort=popularity", "不能按“popularity”排序", 'Cannot sort by "popularity"'),
    ("cursor=not-a-cursor", "翻页位置（cursor）无效", "The page position (cursor) is not valid"),
    ("limit=0", "参数 limit 必须是 1 到 200 之间的整数", "The parameter limit must be a whole number from 1 to 200"),
    ("limit=201", "参数 limit 必须是 1 到 200 之间的整数", "The parameter limit must be a whole number from 1 to 200"),
    ("limit=ten", "参数 limit 必须是 1 到 200 之间的整数", "The parameter limit must be a whole number from 1 to 200"),
    ("online=maybe", "筛选条件 online 不能取“maybe”", 'The filter online cannot be "maybe"'),
    ("district=atlantis", "没有编号为“atlantis”的区县", 'There is no district with the code "atlantis"'),
    ("q=" + "x" * 65, "搜索内容最多 64 个字", "A search is at most 64 characters"),
])
def test_bad_parameters_are_refused_in_the_users_language(board_app, query, zh, en):
    client = board_app.test_client()
    login(client, "admin", "admin-demo")
    with board_app.app_context(), db.connection_context():
        before = Station.select().count(), DeviceState.select().count()
    answer = client.get(f"/api/v1/stations?{query}")
    assert answer.status_code == 400 and zh in answer.get_json()["error"]
    if not query.startswith(("cursor", "limit")):  # the dashboard takes the same search, filters and sort
        page = client.get(f"/?{query}")
        assert page.status_code == 400 and zh in page.get_data(as_text=True)
        fragment = client.get(f"/dashboard/stations?{query}", headers=HX)
        assert fragment.status_code == 400 and zh in fragment.get_data(as_text=True)
    client.post("/auth/language", data={"lang": "en", "csrf_token": _csrf(client)})
    assert en in client.get(f"/api/v1/stations?{query}").get_json()["error"]
    with board_app.app_context(), db.connection_context():
        assert (Station.select().count(), DeviceState.select().count()) == before


def test_a_cursor_of_another_sort_is_refused(board_app):
    add_stations(board_app, 8)
    client = board_app.test_client()
    cursor = client.get("/api/v1/stations?limit=3&sort=code", headers=API).get_json()["next_cursor"]
    refused = client.get(f"/api/v1/stations?limit=3&sort=-free&cursor={cursor}", headers=API)
    assert refused.status_code == 400 and "cursor" in refused.get_json()["error"]
    bad_page = board_app.test_client()
    login(bad_page, "admin", "admin-demo")
    assert bad_page.get("/dashboard/stations?page=0", headers=HX).status_code == 400


def _csrf(client):
    from tests.conftest import csrf_of

    client.get("/")
    return csrf_of(client)


class CountingCursor:
    """A database cursor that counts the rows it hands to Python."""

    def __init__(self, cursor, counts: dict):
        self._cursor, self._counts = cursor, counts

    def fetchone(self):
        row = self._cursor.fetchone()
        self._counts["rows"] += row is not None
        return row

    def fetchall(self):
        rows = self._cursor.fetchall()
        self._counts["rows"] += len(rows)
        return rows

    def fetchmany(self, *args):
        rows = self._cursor.fetchmany(*args)
        self._counts["rows"] += len(rows)
        return rows

    def __iter__(self):
        for row in self._cursor:
            self._counts["rows"] += 1
            yield row

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def count_queries(app, monkeypatch, client, url, headers) -> dict:
    """How many SQL statements one request runs, and how many rows they bring into Python."""
    counts = {"statements": 0, "rows": 0}
    real = db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        counts["statements"] += 1
        return CountingCursor(real(sql, params, *args, **kwargs), counts)

    monkeypatch.setattr(db.obj, "execute_sql", counting)
    response = client.get(url, headers=headers)
    monkeypatch.undo()
    assert response.status_code == 200
    return counts


@pytest.mark.parametrize("url", ["/", "/dashboard/stations?sort=-free&online=yes", "/api/v1/stations?limit=50",
                                 "/api/v1/stations?sort=-occupancy&chargers=free"])
def test_a_pages_queries_and_rows_do_not_grow_with_the_stations(board_app, monkeypatch, url):
    client = board_app.test_client()
    login(client, "admin", "admin-demo")
    headers = HX if url.startswith("/dashboard") else {}

    def fill(start, count):
        for code in add_stations(board_app, count, start=start):
            set_live(board_app, code, online=True, people=int(code[-1]), slots=("available", "charging"))

    fill(0, 60)
    small = count_queries(board_app, monkeypatch, client, url, headers)
    fill(60, 540)
    large = count_queries(board_app, monkeypatch, client, url, headers)
    assert large == small and small["statements"] < 25
    assert small["rows"] < 400  # a page's stations and their live state (at most 50 here), never all 600


def test_a_kept_card_is_the_same_as_one_rendered_afresh_after_every_kind_of_change(board_app, clock):
    """Cards are reused while what they show is unchanged (live.cards). After each change a card can show,
    the fragment that reuses kept cards equals one rendered with none kept, and the change is on it."""
    from station_admin.live.alarms import Alarm
    from station_admin.live.health import StationHealth

    set_live(board_app, "xh-longhua", online=True, people=2, slots=("available", "charging"))
    client = board_app.test_client()
    login(client, "admin", "admin-demo")

    def grid() -> str:
        html = client.get("/dashboard/stations", headers=HX).get_data(as_text=True)
        return html.split('<div class="grid">', 1)[1]

    def heard(seconds_ago: int):
        at = utcnow() - timedelta(seconds=seconds_ago)
        DeviceState.update(heartbeat_at=at, changed_at=at).where(DeviceState.station_code == "xh-longhua").execute()

    now = utcnow()
    health = {"station_code": "xh-longhua", "device": "kiosk", "reported_at": now, "received_at": now,
              "clock_offset_ms": 1200, "version": "1.4.0", "uptime_s": 7200, "disk_free_bytes": 9 << 30,
              "db_bytes": 3 << 20, "outbox_pending": 0, "last_sync": now}
    changes = {
        "people inside": lambda: StationLive.update(people_inside=7).execute(),
        "a slot": lambda: ChargerSlotState.update(status="faulted").where(ChargerSlotState.slot == 2).execute(),
        "a heartbeat (last seen)": lambda: heard(3),
        "offline by central's clock": lambda: heard(3600),
        "back online": lambda: heard(0),
        # Nothing stored changes: central's clock passes the heartbeat timeout.
        "silent past the timeout": lambda: clock(utcnow() + timedelta(minutes=5)),
        "heard again": lambda: heard(0),
        "the backlog": lambda: DeviceState.update(outbox_pending=4).execute(),
        "a clock offset": lambda: DeviceState.update(clock_offset_s=-42.0).execute(),
        "a device added": lambda: DeviceState.insert(station_code="xh-longhua", device="counter",
                                                     kind="people_counter", online=True, changed_at=utcnow(),
                                                     heartbeat_at=utcnow()).execute(),
        "a health report": lambda: StationHealth.insert(health).execute(),
        "a newer health report": lambda: StationHealth.update(disk_free_bytes=50 << 20, outbox_pending=3).execute(),
        "an open alarm": lambda: raise_alarm("device_offline", "xh-longhua/kiosk", "xh-longhua", {}, utcnow()),
        "the alarm cleared": lambda: Alarm.update(open_key=None, cleared_at=utcnow()).execute(),
        "a check-in": lambda: CheckIn.insert(event_id="card-test-1", station_code="xh-longhua", occurred_at=utcnow(),
                                             method="anonymous").execute(),
        "the station renamed": lambda: Station.update(name_zh="龙华新站").where(Station.code == "xh-longhua").execute(),
        "its capacity": lambda: Station.update(capacity=30).where(Station.code == "xh-longhua").execute(),
        "its district renamed": lambda: District.update(name_zh="徐汇新区").execute(),
    }
    for what, change in changes.items():
        before = grid()
        with board_app.app_context(), db.connection_context():
            change()
        kept = grid()
        board_app.extensions["waystation.cards"].clear()
        fresh = grid()
        assert kept == fresh, f"after {what} a kept card differs from a fresh one"
        assert kept != before, f"{what} does not show on the card"
    cards = board_app.extensions["waystation.cards"]
    grid()
    hits = cards.hits
    grid()
    assert cards.hits == hits + 3  # nothing changed: every card of the page reused
    # The viewer's language and role are in the key: one's kept cards never reach another.
    english = board_app.test_client()
    login(english, "admin", "admin-demo")
    with english.session_transaction() as session:
        session["lang"] = "en"
    federation = board_app.test_client()
    login(federation, "federation", "federation-demo")
    assert "Longhua" in english.get("/dashboard/stations", headers=HX).get_data(as_text=True)
    assert 'data-testid="pairing-link"' in grid()
    assert 'data-testid="pairing-link"' not in federation.get("/dashboard/stations", headers=HX).get_data(as_text=True)
