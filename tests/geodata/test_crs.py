"""geodata.crs: GCJ-02 / BD-09 against published test vectors, round trips within 1 m.

Distances are measured on the WGS84 ellipsoid with ``pyproj.Geod``. Published values:
- wandergis/coordtransform (the reference implementation most Chinese libraries copy;
  its README lists these results for the input 116.404, 39.915);
- Tiananmen: WGS84 116.391083, 39.907333 (Wikidata); GCJ-02 116.3975, 39.9087 as Amap
  shows it (rounded to 4 decimals, so about ±10 m);
- 116.404, 39.915: the BD-09 point Baidu's own map API examples centre on 天安门.
"""
from __future__ import annotations

import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer

from geodata.crs import (
    COORD_SYS_ALIASES,
    COORD_SYSTEMS,
    STORAGE_CRS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_crs,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
TIANANMEN_WGS84 = (116.391083, 39.907333)
TIANANMEN_GCJ02_AMAP = (116.3975, 39.9087)
BAIDU_DEMO_TIANANMEN_BD09 = (116.404, 39.915)
# wandergis/coordtransform README, input (116.404, 39.915):
PUBLISHED = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
}
PUBLISHED_INPUT = (116.404, 39.915)
FENGTAI_BBOX = (116.04, 39.76, 116.47, 39.90)


def metres(a: tuple, b: tuple) -> np.ndarray:
    return np.asarray(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def grid(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A grid over Fengtai plus a few points elsewhere in China."""
    lon, lat = np.meshgrid(np.linspace(FENGTAI_BBOX[0], FENGTAI_BBOX[2], n),
                           np.linspace(FENGTAI_BBOX[1], FENGTAI_BBOX[3], n))
    extra_lon = np.array([121.4737, 113.2644, 104.0665, 87.6168, 126.6424, 110.3312])
    extra_lat = np.array([31.2304, 23.1291, 30.5728, 43.8256, 45.7567, 20.0311])
    return np.concatenate([lon.ravel(), extra_lon]), np.concatenate([lat.ravel(), extra_lat])


@pytest.mark.parametrize("func, key", [(wgs84_to_gcj02, "wgs84_to_gcj02"), (gcj02_to_bd09, "gcj02_to_bd09"),
                                       (bd09_to_gcj02, "bd09_to_gcj02")])
def test_forward_formulas_match_published_vectors(func, key) -> None:  # noqa: ANN001
    got = func(*PUBLISHED_INPUT)
    assert metres(got, PUBLISHED[key]) < 0.01


def test_gcj02_inverse_recovers_the_published_input() -> None:
    got = gcj02_to_wgs84(*PUBLISHED["wgs84_to_gcj02"])
    assert metres(got, PUBLISHED_INPUT) < 0.01


def test_wgs84_to_bd09_is_gcj_then_bd() -> None:
    expected = gcj02_to_bd09(*PUBLISHED["wgs84_to_gcj02"])
    assert metres(wgs84_to_bd09(*PUBLISHED_INPUT), expected) < 0.01


def test_tiananmen_gcj02_is_within_20_m_of_amap() -> None:
    assert metres(wgs84_to_gcj02(*TIANANMEN_WGS84), TIANANMEN_GCJ02_AMAP) < 20
    assert metres(gcj02_to_wgs84(*TIANANMEN_GCJ02_AMAP), TIANANMEN_WGS84) < 20


def test_baidu_demo_point_lands_at_tiananmen() -> None:
    assert metres(bd09_to_wgs84(*BAIDU_DEMO_TIANANMEN_BD09), TIANANMEN_WGS84) < 50


def test_gcj02_shift_in_fengtai_is_about_520_m_east_140_m_north() -> None:
    lon, lat = grid(12)
    lon, lat = lon[:-6], lat[:-6]  # the Fengtai grid only
    glon, glat = wgs84_to_gcj02(lon, lat)
    dlon, dlat = glon - lon, glat - lat
    assert np.all((dlon > 0.0055) & (dlon < 0.0068))
    assert np.all((dlat > 0.0010) & (dlat < 0.0016))


@pytest.mark.parametrize("forward, inverse", [(wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84),
                                              (gcj02_to_bd09, bd09_to_gcj02)])
def test_round_trips_within_1_m(forward, inverse) -> None:  # noqa: ANN001
    lon, lat = grid()
    back = inverse(*forward(lon, lat))
    worst = metres((lon, lat), back).max()
    assert worst < 1.0, f"round trip off by {worst:.3f} m"


def test_offsets_are_hundreds_of_metres_not_zero() -> None:
    lon, lat = grid(10)
    assert metres((lon, lat), wgs84_to_gcj02(lon, lat)).min() > 100
    assert metres((lon, lat), wgs84_to_bd09(lon, lat)).min() > 500


def test_points_outside_china_are_not_shifted() -> None:
    tokyo = (np.array([139.6917]), np.array([35.6895]))
    assert np.array_equal(np.concatenate(wgs84_to_gcj02(*tokyo)), np.concatenate(tokyo))
    assert metres(tokyo, gcj02_to_wgs84(*tokyo)).max() == 0


def test_to_wgs84_converts_each_row_in_its_own_system() -> None:
    lon0, lat0 = grid(3)
    lon0, lat0 = lon0[:8], lat0[:8]
    systems = np.array(["wgs84", "gcj02", "bd09", "cgcs2000"] * 2, dtype=object)
    given_lon, given_lat = lon0.copy(), lat0.copy()
    for name in ("gcj02", "bd09"):
        mask = systems == name
        given_lon[mask], given_lat[mask] = from_wgs84(lon0[mask], lat0[mask], name)
    lon, lat = to_wgs84(given_lon, given_lat, systems)
    assert metres((lon, lat), (lon0, lat0)).max() < 1.0
    wgs = systems == "wgs84"
    assert np.array_equal(lon[wgs], lon0[wgs]) and np.array_equal(lat[wgs], lat0[wgs])
    # the inputs are not modified in place
    assert not np.array_equal(given_lon[systems == "gcj02"], lon0[systems == "gcj02"])


def test_cgcs2000_differs_from_wgs84_by_less_than_1_m() -> None:
    lon, lat = grid(5)
    out = to_wgs84(lon, lat, np.array(["cgcs2000"] * len(lon), dtype=object))
    assert metres((lon, lat), out).max() < 1.0


def test_beijing_gauss_kruger_zone_39_has_its_false_easting() -> None:
    """EPSG:4527 (CGCS2000 3° zone 39): central meridian 117°E at easting 39,500,000 m."""
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4527", always_xy=True)
    x, y = to_gk.transform(117.0, 39.85)
    assert x == pytest.approx(39_500_000, abs=0.01)
    assert 4_400_000 < y < 4_420_000
    back = Transformer.from_crs("EPSG:4527", STORAGE_CRS, always_xy=True).transform(*to_gk.transform(116.3, 39.85))
    assert metres((116.3, 39.85), back) < 1.0


def test_every_alias_names_a_known_system() -> None:
    assert set(COORD_SYS_ALIASES.values()) == set(COORD_SYSTEMS)


def test_check_crs_says_how_to_fix_a_missing_crs() -> None:
    with pytest.raises(ValueError, match="EPSG:4490") as info:
        check_crs(None, "streets.zip")
    assert "streets.zip" in str(info.value)
    assert check_crs("EPSG:4527", "x") == CRS.from_epsg(4527)
