"""WGS84 → GCJ-02 against published reference points; outside China nothing moves."""

from __future__ import annotations

import pytest

from waystation.geo import gcj02_to_wgs84, out_of_china, valid_wgs84, wgs84_to_gcj02

# (WGS84 lat, lon) → (GCJ-02 lat, lon), from the test tables of public implementations of the transform:
# googollee/eviltransform go/transform_test.go (Shanghai, Shenzhen, Beijing; the same table is in its other
# languages' tests) and wandergis/coordtransform test/app.js (its wgs84togcj02(116.404, 39.915) result).
PUBLISHED = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
]


@pytest.mark.parametrize(("wgs", "gcj"), [
    # Reference outputs of the widely used public implementations (coordtransform, Hutool).
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
    ((40.0, 116.0), (40.001213650174, 116.006141221789)),
])
def test_reference_points(wgs, gcj):
    lat, lon = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-7) and lon == pytest.approx(gcj[1], abs=1e-7)


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_published_vectors(wgs, gcj):
    lat, lon = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-9) and lon == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_inverse_comes_back_within_a_centimetre(wgs, gcj):
    lat, lon = gcj02_to_wgs84(*gcj)
    # 1e-7 degree is about 1 cm (eviltransform's own exact inverse is held to 0.5 m).
    assert lat == pytest.approx(wgs[0], abs=1e-7) and lon == pytest.approx(wgs[1], abs=1e-7)


def test_round_trip_over_china():
    for lat in (18.25, 25.0, 31.2, 39.9, 45.75, 53.0):
        for lon in (75.5, 98.0, 113.9, 121.5, 134.0):
            back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
            assert back == pytest.approx((lat, lon), abs=1e-7)


def test_shanghai_moves_by_a_few_hundred_metres():
    lat, lon = wgs84_to_gcj02(31.1952, 121.4367)
    assert 0.001 < abs(lat - 31.1952) + abs(lon - 121.4367) < 0.01


@pytest.mark.parametrize("point", [(48.8584, 2.2945), (-33.8568, 151.2153), (37.5665, 126.978 + 20)])
def test_outside_china_unchanged(point):
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_valid_wgs84():
    assert valid_wgs84(31.2, 121.4) and not valid_wgs84(91, 0) and not valid_wgs84(0, 181)
    assert not valid_wgs84(True, 1) and not valid_wgs84("31", 121)
