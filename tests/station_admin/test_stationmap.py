"""The station map: points by state for the user's scope, the board's filters and refusals, district hulls, the
GCJ-02 links, the dense drawing for many stations, and a page's statements not growing with the stations."""

from __future__ import annotations

import html as html_text
import math
import re
from urllib.parse import unquote

import pytest

from devices.protocol import utcnow
from station_admin.community.opening import StationLocation
from station_admin.community.stationmap import MARKED_LIMIT, convex_hull, draw
from station_admin.core.models import District, Station, db
from station_admin.live.alarms import raise_alarm
from tests.station_admin.conftest import login
from tests.station_admin.test_board import add_stations, count_queries, set_live
from waystation.geo import wgs84_to_gcj02

DEMO = ["xh-caohejing", "xh-longhua", "xh-xujiahui"]


@pytest.fixture
def map_app(central_settings):
    """The demo central app (as the board's tests have it: figures computed afresh on every request)."""
    from station_admin import create_app
    from station_admin.core import models

    app = create_app(central_settings(template="seeded", central={"summary_seconds": 0,
                                                                         "page_share_seconds": 0}).as_dict())
    app.config["TESTING"] = True
    yield app
    models.db.close()


def points(html: str) -> dict[str, str]:
    """The drawn stations and their states (one circle each)."""
    return dict(re.findall(r'<circle class="map-\w+" [^>]*data-station="([a-z0-9-]+)" data-state="(\w+)"', html))


def place(app, codes: list[str], lat: float = 31.11, lon: float = 121.38, step: float = 0.001) -> None:
    with app.app_context(), db.connection_context():
        for n, code in enumerate(codes):
            Station.update(latitude=lat + n * step, longitude=lon + n * step).where(Station.code == code).execute()


def test_federation_sees_every_station_by_state_and_those_without_coordinates_counted(map_app):
    codes = add_stations(map_app, 4)
    place(map_app, codes[:3])  # the fourth has no coordinates
    set_live(map_app, codes[0], online=True)
    set_live(map_app, codes[1], online=True, heard_ago=600)  # said online, not heard since: offline by central
    set_live(map_app, codes[2], online=True)
    with map_app.app_context(), db.connection_context():
        raise_alarm("slot_faulted", f"{codes[2]}/1", codes[2], {}, utcnow())
    client = map_app.test_client()
    login(client, "federation", "federation-demo")
    answer = client.get("/map/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    drawn = points(html)
    assert drawn == {codes[0]: "online", codes[1]: "offline", codes[2]: "alarm",
                     **{code: "offline" for code in DEMO}}
    assert 'data-testid="without-coordinates">1 个驿站没有坐标' in html
    assert 'data-testid="count-alarm">1<' in html and 'data-testid="count-online">1<' in html
    assert "<title>闵行驿站0 · mh-0000 · 在线</title>" in html
    # Each district is the hull of its stations, labelled; the page says the areas are hulls, not boundaries.
    assert re.search(r'<path class="map-area" d="M[^"]+ Z" data-district="minhang">', html)
    assert "不是官方行政边界" in html and 'href="/map/"' in html  # the nav link
    # Each listed station links to Amap with its GCJ-02 position.
    with map_app.app_context(), db.connection_context():
        station = Station.get(Station.code == codes[0])
    lat, lon = wgs84_to_gcj02(station.latitude, station.longitude)
    link = re.search(r'<tr data-station="mh-0000">.*?href="([^"]+)"', html, re.S).group(1).replace("&amp;", "&")
    assert link.startswith(f"https://uri.amap.com/marker?position={lon:.6f},{lat:.6f}&name=")
    assert unquote(link.split("name=")[1].split("&")[0]) == "闵行驿站0"


def test_filters_of_the_board_narrow_the_map(map_app):
    codes = add_stations(map_app, 3)
    place(map_app, codes)
    set_live(map_app, codes[0], online=True)
    client = map_app.test_client()
    login(client, "admin", "admin-demo")
    assert set(points(client.get("/map/?district=minhang").get_data(as_text=True))) == set(codes)
    assert set(points(client.get("/map/?online=yes").get_data(as_text=True))) == {codes[0]}
    assert set(points(client.get("/map/?q=mh-0002").get_data(as_text=True))) == {codes[2]}


def test_a_manager_sees_only_their_stations(map_app):
    codes = add_stations(map_app, 2)
    place(map_app, codes)
    client = map_app.test_client()
    login(client, "manager", "manager-demo")
    html = client.get("/map/").get_data(as_text=True)
    assert set(points(html)) == {"xh-caohejing", "xh-xujiahui"}
    assert "mh-0000" not in html and "xh-longhua" not in html
    assert client.get("/map/?district=minhang").status_code == 200  # a district outside the scope: nothing drawn
    assert points(client.get("/map/?district=minhang").get_data(as_text=True)) == {}


def test_other_roles_may_not_open_the_map(map_app):
    client = map_app.test_client()
    login(client, "caseworker", "caseworker-demo")
    assert client.get("/map/").status_code == 403


@pytest.mark.parametrize("query, zh, en", [
    ("online=maybe", "筛选条件 online 不能取“maybe”", 'The filter online cannot be "maybe"'),
    ("district=atlantis", "没有编号为“atlantis”的区县", 'There is no district with the code "atlantis"'),
    ("alarms=all", "筛选条件 alarms 不能取“all”", 'The filter alarms cannot be "all"'),
])
def test_a_bad_filter_is_refused_in_the_users_language(map_app, query, zh, en):
    from tests.conftest import csrf_of

    client = map_app.test_client()
    login(client, "federation", "federation-demo")
    answer = client.get(f"/map/?{query}")
    assert answer.status_code == 400 and zh in answer.get_data(as_text=True)
    client.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    answer = client.get(f"/map/?{query}")
    assert answer.status_code == 400 and en in html_text.unescape(answer.get_data(as_text=True))


def test_a_mobile_station_is_drawn_where_it_parks_today(map_app):
    codes = add_stations(map_app, 1)
    place(map_app, codes, lat=31.0, lon=121.0)
    with map_app.app_context(), db.connection_context():
        Station.update(mobile=True).where(Station.code == codes[0]).execute()
        StationLocation.insert(station_code=codes[0], latitude=31.2, longitude=121.5, place="",
                               reported_at=utcnow()).execute()
    client = map_app.test_client()
    login(client, "admin", "admin-demo")
    html = client.get("/map/?district=minhang").get_data(as_text=True)
    lat, lon = wgs84_to_gcj02(31.2, 121.5)
    assert f"position={lon:.6f},{lat:.6f}" in html


def test_many_stations_are_drawn_as_one_path_per_state(map_app):
    with map_app.app_context(), db.connection_context():
        district = District.get(District.code == "minhang").id
        rows = [{"code": f"mh-{i:05d}", "district": district, "name_zh": f"驿站{i}", "name_en": f"S{i}",
                 "capacity": 10, "latitude": 31 + (i % 50) / 500, "longitude": 121 + (i // 50) / 500}
                for i in range(MARKED_LIMIT + 1)]
        for n in range(0, len(rows), 200):
            Station.insert_many(rows[n:n + 200]).execute()
    client = map_app.test_client()
    login(client, "admin", "admin-demo")
    html = client.get("/map/").get_data(as_text=True)
    assert "data-station=" not in html.split("<svg xmlns")[1].split("</svg>")[0] and 'data-testid="map-dense"' in html
    dots = dict(re.findall(r'<path class="map-(\w+)" d="([^"]+)" data-state', html))
    assert set(dots) == {"offline"} and dots["offline"].count("h0") == MARKED_LIMIT + 1 + len(DEMO)
    assert 'data-testid="map-list-hint"' in html  # too many to list one by one


def test_the_maps_statements_do_not_grow_with_the_stations(map_app, monkeypatch):
    client = map_app.test_client()
    login(client, "federation", "federation-demo")

    def fill(start, count):
        codes = add_stations(map_app, count, start=start)
        place(map_app, codes)
        for code in codes[::7]:
            set_live(map_app, code, online=True)

    fill(0, 30)
    small = count_queries(map_app, monkeypatch, client, "/map/", {})
    fill(30, 270)
    large = count_queries(map_app, monkeypatch, client, "/map/", {})
    assert large["statements"] == small["statements"] < 15


def test_convex_hull_keeps_the_corners_only():
    square = [(0, 0), (4, 0), (4, 4), (0, 4), (2, 2), (1, 3), (4, 2)]
    assert convex_hull(square) == [(0, 0), (4, 0), (4, 4), (0, 4)]
    assert convex_hull([(1, 1), (1, 1)]) == [(1, 1)]


def test_the_projection_shortens_longitude_by_the_cosine_of_latitude():
    # Three stations 0.1 degree apart east and north at 60°N: a degree east is half a degree north there.
    rows = [("a", "A", "d", 60.0, 10.0, "online"), ("b", "B", "d", 60.0, 10.1, "online"),
            ("c", "C", "d", 60.1, 10.0, "alarm"), ("x", "X", "d", None, None, "offline")]
    drawn = draw(rows, {"d": "District"})
    a, b, c = drawn.points
    east, north = b.x - a.x, a.y - c.y
    assert east / north == pytest.approx(math.cos(math.radians(60.05)), rel=1e-2)
    assert drawn.without_coordinates == 1 and drawn.counts == {"online": 2, "offline": 0, "alarm": 1}
    assert all(0 <= p.x <= drawn.width and 0 <= p.y <= drawn.height for p in drawn.points)
