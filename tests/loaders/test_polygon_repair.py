"""Official streets / zones with invalid polygons: repaired when that is safe, else rejected as such.

The boundaries are the bundled ones (``geodata.boundaries``) written as official GeoJSON
files, with one ring given a tiny twisted loop (a bow-tie spike of a few metres: the
ring crosses itself) and another made a big bow-tie (the second half of the ring
reversed, so that it crosses itself across the whole polygon).
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geodata import boundaries
from geodata.crs import METRIC_CRS
from geodata.names import CODE_BY_NAME
from loaders.build import _check_polygons, build
from loaders.report import Problems
from loaders.schema import SOURCE_ROW
from loaders.store import open_store
from tests.loaders.conftest import KNOWN, rejects_by_row, warnings_of

TINY = "丰台街道"          # tiny self-crossing: repaired, kept
GROSS = "南苑街道"         # big bow-tie: rejected
TINY_ZONE = "lize"
GROSS_ZONE = "nanzhongzhou"
AREAS = re.compile(r"修复前面积（按原坐标环计算）([\d,]+) m²，修复后 ([\d,]+) m²")
REJECT_AREAS = re.compile(r"修复前面积（按原坐标环计算）([\d,]+) m²，自动修复（make_valid，只保留面）后面积 ([\d,]+) m²")


def _edge(ring: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """The longest edge of a ring: its first vertex's index, unit direction and left normal."""
    seg = np.diff(ring, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    i = int(lengths.argmax())
    t = seg[i] / lengths[i]
    return i, t, np.array([-t[1], t[0]])


def twisted(polygon: Polygon, k: float = 0.5) -> Polygon:
    """``polygon`` (metric) with a twisted loop of ~10 k metres on its longest edge.

    Along the edge from vertex V: V -> V+7k·t-2k·n -> V+5k·t+3k·n -> V+3k·t-2k·n -> V+10k·t -> ...
    The first and last new segments cross: a small loop traversed the wrong way round.
    """
    ring = np.asarray(polygon.exterior.coords)
    i, t, n = _edge(ring)
    loop = [ring[i] + a * k * t + b * k * n for a, b in ((7, -2), (5, 3), (3, -2), (10, 0))]
    return Polygon([*ring[: i + 1], *loop, *ring[i + 1:]], [h.coords for h in polygon.interiors])


def bow_tie(polygon: Polygon) -> Polygon:
    """The ring's first half, then its second half backwards: a figure of eight."""
    ring = np.asarray(polygon.exterior.coords)[:-1]
    half = len(ring) // 2
    return Polygon(np.vstack([ring[:half], ring[half:][::-1]]))


def _distort(frame: gpd.GeoDataFrame, key: str, tiny: str, gross: str) -> gpd.GeoDataFrame:
    metric = frame.to_crs(METRIC_CRS)
    geoms = metric.geometry.to_numpy().copy()
    where = {v: i for i, v in enumerate(frame[key])}
    geoms[where[tiny]] = twisted(geoms[where[tiny]])
    geoms[where[gross]] = bow_tie(geoms[where[gross]])
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms, crs=METRIC_CRS).to_crs("EPSG:4326")


def _inside_near_twist(polygon_wgs84: Polygon) -> tuple[float, float]:
    """A point 30 m inside the ring, beside the twisted loop (WGS84)."""
    metric = gpd.GeoSeries([polygon_wgs84], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    ring = np.asarray(metric.exterior.coords)
    i, t, n = _edge(ring)
    inward = n if metric.contains(Point(ring[i] + 5 * t + 30 * n)) else -n
    point = gpd.GeoSeries([Point(ring[i] + 5 * t + 30 * inward)], crs=METRIC_CRS).to_crs("EPSG:4326").iloc[0]
    assert polygon_wgs84.contains(point)   # premise
    return point.x, point.y


def _areas_m2(path: Path, key: str, value: str) -> tuple[float, float]:
    """Area (m², UTM 50N) of the invalid polygon as written, and once repaired as read (WGS84)."""
    geom = gpd.read_file(path).set_index(key).geometry[value]
    assert not geom.is_valid   # premise
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    before, after = gpd.GeoSeries([geom, fixed], crs="EPSG:4326").to_crs(METRIC_CRS).area
    return before, after


def _write_source(folder: Path, street_names: list[str] | None = None) -> dict:
    folder.mkdir(parents=True)
    streets = boundaries.load_streets()[["name", "code", "geometry"]]
    if street_names is not None:
        streets = streets[streets["name"].isin(street_names)]
    streets = _distort(streets.reset_index(drop=True), "name", TINY, GROSS)
    streets.to_file(folder / "streets.geojson", driver="GeoJSON")
    zones = _distort(boundaries.load_zones()[["zone_id", "name", "kind", "geometry"]], "zone_id",
                     TINY_ZONE, GROSS_ZONE)
    zones.to_file(folder / "zones.geojson", driver="GeoJSON")
    bundled = boundaries.load_streets().set_index("name")
    near = _inside_near_twist(bundled.geometry[TINY])
    rows = [("P-1", "丰台街道内", *KNOWN["fengtai"]), ("P-2", "扭结旁", *near), ("P-3", "丽泽", *KNOWN["lize"])]
    pd.DataFrame(rows, columns=["项目编号", "项目名称", "经度", "纬度"]).assign(项目状态="在建").to_csv(
        folder / "projects.csv", index=False)
    return {"streets": streets, "zones": zones}


@pytest.fixture(scope="module")
def repaired(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object, Path]:
    folder = tmp_path_factory.mktemp("repair")
    _write_source(folder / "source")
    report = build(folder / "source", str(folder / "store.gpkg"), progress=False)
    return report, open_store(str(folder / "store.gpkg")), folder / "source"


def test_premise_twist_is_tiny_and_bow_tie_is_gross(repaired) -> None:  # noqa: ANN001
    _, _, source = repaired
    for key, tiny, gross in (("name", TINY, GROSS), ("zone_id", TINY_ZONE, GROSS_ZONE)):
        path = source / f"{'streets' if key == 'name' else 'zones'}.geojson"
        before, after = _areas_m2(path, key, tiny)
        assert 0 < abs(after - before) < 100 and abs(after - before) / before < 1e-4   # a few m²
        before, after = _areas_m2(path, key, gross)
        assert abs(after - before) / before > 0.10


def test_slightly_invalid_street_is_repaired_kept_and_reported(repaired) -> None:  # noqa: ANN001
    report, store, source = repaired
    streets = store.read("streets").set_index("name")
    assert TINY in streets.index
    geom = streets.geometry[TINY]
    assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    [warning] = warnings_of(report, "geometry_repaired", "streets")
    names = list(gpd.read_file(source / "streets.geojson")["name"])
    assert warning == {**warning, "layer": "streets", "file": "streets.geojson", "column": "geometry",
                       "value": TINY, "row": names.index(TINY) + 1}
    before, after = _areas_m2(source / "streets.geojson", "name", TINY)
    shown = [float(v.replace(",", "")) for v in AREAS.search(warning["message"]).groups()]
    assert shown == pytest.approx([before, after], abs=1.0)
    assert "(invalid polygon repaired" in warning["message"]
    assert streets.loc[TINY, "area_km2"] == pytest.approx(after / 1e6, rel=1e-6)
    assert all(r["value"] != TINY for r in report["rejects"] if r["layer"] == "streets")


def test_points_in_the_repaired_street_are_placed_in_it(repaired) -> None:  # noqa: ANN001
    _, store, _ = repaired
    projects = store.read("projects").set_index("project_id")
    assert projects.loc["P-1", "street"] == TINY       # a known position in 丰台街道
    assert projects.loc["P-2", "street"] == TINY       # 30 m inside, beside the twisted loop
    assert projects.loc["P-3", "street"] == "太平桥街道"
    assert set(projects["placement"]) == {"coordinates"}   # inside a polygon, not snapped


def test_grossly_invalid_street_is_rejected_as_invalid_not_missing(repaired) -> None:  # noqa: ANN001
    report, store, source = repaired
    streets = store.read("streets")
    assert GROSS not in set(streets["name"]) and len(streets) == len(CODE_BY_NAME) - 1
    assert report["layers"]["streets"] == {**report["layers"]["streets"], "read": 26, "loaded": 25, "rejected": 1}
    names = list(gpd.read_file(source / "streets.geojson")["name"])
    reject = rejects_by_row(report, "streets")[names.index(GROSS) + 1]
    assert reject["column"] == "geometry"
    assert reject["reason"].startswith("几何无效（自相交等），且无法安全修复，已拒绝")
    assert "could not be repaired safely" in reject["reason"]
    before, after = _areas_m2(source / "streets.geojson", "name", GROSS)
    shown_before, shown_after = (float(v.replace(",", "")) for v in REJECT_AREAS.search(reject["reason"]).groups())
    assert (shown_before, shown_after) == pytest.approx((before, after), abs=1.0)
    assert warnings_of(report, "streets_missing") == []       # every street is in the file
    [bad] = warnings_of(report, "streets_geometry_rejected", "streets")
    assert bad["value"] == GROSS and "无法安全修复" in bad["message"]
    assert [w["value"] for w in warnings_of(report, "geometry_repaired", "streets")] == [TINY]


def test_missing_list_leaves_out_streets_rejected_for_geometry(tmp_path: Path) -> None:
    _write_source(tmp_path / "source", [TINY, GROSS, "新村街道"])
    report = build(tmp_path / "source", str(tmp_path / "store.gpkg"), progress=False)
    assert sorted(open_store(str(tmp_path / "store.gpkg")).read("streets")["name"]) == sorted([TINY, "新村街道"])
    [missing] = warnings_of(report, "streets_missing")
    listed = missing["value"].split("、")
    assert len(listed) == 23 and GROSS not in listed and TINY not in listed
    assert GROSS not in missing["message"]
    [bad] = warnings_of(report, "streets_geometry_rejected")
    assert bad["value"] == GROSS


def test_zones_are_repaired_or_rejected_the_same_way(repaired) -> None:  # noqa: ANN001
    report, store, source = repaired
    zones = store.read("zones").set_index("zone_id")
    assert TINY_ZONE in zones.index and GROSS_ZONE not in zones.index
    assert zones.geometry[TINY_ZONE].is_valid
    assert report["layers"]["zones"] == {**report["layers"]["zones"], "read": 8, "loaded": 7, "rejected": 1}
    ids = list(gpd.read_file(source / "zones.geojson")["zone_id"])
    [warning] = warnings_of(report, "geometry_repaired", "zones")
    assert warning["row"] == ids.index(TINY_ZONE) + 1 and TINY_ZONE in warning["value"]
    before, after = _areas_m2(source / "zones.geojson", "zone_id", TINY_ZONE)
    shown = [float(v.replace(",", "")) for v in AREAS.search(warning["message"]).groups()]
    assert shown == pytest.approx([before, after], abs=1.0)
    assert zones.loc[TINY_ZONE, "area_km2"] == pytest.approx(after / 1e6, rel=1e-6)
    reject = rejects_by_row(report, "zones")[ids.index(GROSS_ZONE) + 1]
    assert reject["column"] == "geometry" and reject["reason"].startswith("几何无效（自相交等），且无法安全修复")
    projects = store.read("projects").set_index("project_id")
    assert TINY_ZONE in projects.loc["P-3", "zone_ids"].strip(",").split(",")   # inside the repaired zone


# --- _check_polygons on its own -------------------------------------------------------------------
def _check(geoms: list) -> tuple[object, Problems]:  # noqa: ANN401
    frame = gpd.GeoDataFrame({SOURCE_ROW: range(1, len(geoms) + 1)}, geometry=geoms, crs="EPSG:4326")
    problems = Problems(frame.index)
    return _check_polygons(frame, problems), problems


def test_check_polygons_repairs_area_neutral_faults_and_rejects_the_rest() -> None:
    d = 0.01   # degrees: ~1 km
    square = [(116.3, 39.8), (116.3 + d, 39.8), (116.3 + d, 39.8 + d), (116.3, 39.8 + d)]
    spike = Polygon([square[0], square[1], (116.3 + d, 39.8 + d / 2), (116.3 + 2 * d, 39.8 + d / 2),
                     (116.3 + d, 39.8 + d / 2), square[2], square[3]])          # zero-width spike
    flat = Polygon([(116.25, 39.75), (116.5, 40.0), (116.75, 40.25), (116.25, 39.75)])   # exactly collinear
    big_bow_tie = Polygon([square[0], square[2], square[1], square[3]])
    valid = Polygon(square)
    check, problems = _check([spike, flat, big_bow_tie, valid, Point(116.3, 39.8), None])
    assert [bool(v) for v in check.rejected] == [False, True, True, False, True, True]
    assert [bool(v) for v in check.repaired] == [True, False, False, False, False, False]
    assert check.geometry.iloc[0].is_valid and check.geometry.iloc[0].geom_type == "Polygon"
    assert check.geometry.iloc[0].area == pytest.approx(valid.area)
    assert check.geometry.iloc[3] is valid or check.geometry.iloc[3].equals(valid)
    assert "没有剩下任何面" in problems.reason.iloc[1]
    assert "无法安全修复" in problems.reason.iloc[2]
    assert problems.reason.iloc[4].startswith("几何不是面")
    assert problems.reason.iloc[[0, 3]].isna().all()
