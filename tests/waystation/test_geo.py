"""WGS84 → GCJ-02 against published reference points; outside China nothing moves."""

from __future__ import annotations

import pytest

from waystation.geo import out_of_china, valid_wgs84, wgs84_to_gcj02


@pytest.mark.parametrize(("wgs", "gcj"), [
    # Reference outputs of the widely used public implementations (coordtransform, Hutool).
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
    ((40.0, 116.0), (40.001213650174, 116.006141221789)),
])
def test_reference_points(wgs, gcj):
    lat, lon = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-7) and lon == pytest.approx(gcj[1], abs=1e-7)


def test_shanghai_moves_by_a_few_hundred_metres():
    lat, lon = wgs84_to_gcj02(31.1952, 121.4367)
    assert 0.001 < abs(lat - 31.1952) + abs(lon - 121.4367) < 0.01


@pytest.mark.parametrize("point", [(48.8584, 2.2945), (-33.8568, 151.2153), (37.5665, 126.978 + 20)])
def test_outside_china_unchanged(point):
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point


def test_valid_wgs84():
    assert valid_wgs84(31.2, 121.4) and not valid_wgs84(91, 0) and not valid_wgs84(0, 181)
    assert not valid_wgs84(True, 1) and not valid_wgs84("31", 121)
