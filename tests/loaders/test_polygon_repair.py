"""Official streets / zones with invalid polygons: kept when the repair is unambiguous, else rejected.

The rule (``loaders.build._check_polygons``): an invalid polygon is repaired twice, with
``shapely.make_valid``'s structure and linework methods (polygonal parts only). When both
leave a polygon and their areas agree within 1 %, the structure result is stored with a
``geometry_repaired`` warning that carries the polygon before and after as WKT; otherwise
the row is rejected, with both areas. The area of the invalid ring itself (its shoelace
sum) is no yardstick: a self-crossing ring's loops cancel in it.

The boundaries are the bundled ones (``geodata.boundaries``) written as official GeoJSON
files, with one ring given a tiny twisted loop (a few metres: the ring crosses itself;
both repairs agree), another folded over itself (a half-size copy of the ring traced
inside it in the same direction: linework makes the doubly covered middle a hole,
structure fills it; they disagree by 25 %), and, in its own build, 右安门街道 given a
hand-digitised spike whose tip is 25 m off the boundary (the issue's case).
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.polygon import orient

from geodata import boundaries
from geodata.crs import METRIC_CRS
from geodata.names import CODE_BY_NAME
from loaders.build import REPAIR_MAX_DISAGREEMENT, _check_polygons, build
from loaders.report import Problems
from loaders.schema import SOURCE_ROW
from loaders.store import open_store
from tests.loaders.conftest import KNOWN, rejects_by_row, warnings_of

TINY = "丰台街道"          # tiny self-crossing: both repairs agree, kept
GROSS = "南苑街道"         # folded over itself: the repairs disagree, rejected
SPIKED = "右安门街道"      # the 25 m spike: kept
TINY_ZONE = "lize"
GROSS_ZONE = "nanzhongzhou"
# The areas a geometry_repaired warning / a reject names: structure first, then linework.
KEPT_AREAS = re.compile(r"structure 方法修复后面积 ([\d,]+) m²，linework 方法 ([\d,]+) m²")
KEPT_AREAS_EN = re.compile(r"an area of ([\d,]+) m² by make_valid's structure method, ([\d,]+) m² by its linework")
REJECT_AREAS = re.compile(r"structure 方法修复后面积 ([\d,]+) m²，linework 方法修复后面积 ([\d,]+) m²")
REJECT_AREAS_EN = re.compile(r"structure method leaves an area of ([\d,]+) m², its linework method an area of ([\d,]+) m²")


def _numbers(pattern: re.Pattern, text: str) -> list[float]:
    found = pattern.search(text)
    assert found, (pattern.pattern, text)
    return [float(v.replace(",", "")) for v in found.groups()]


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


def folded(polygon: Polygon) -> Polygon:
    """The ring, then a half-size copy of it (about the centroid, same direction) and back: the
    middle quarter of the area is enclosed twice. Linework makes it a hole, structure fills it."""
    ring = np.asarray(polygon.exterior.coords)
    inner = np.asarray(affinity.scale(polygon.exterior, 0.5, 0.5, origin=polygon.centroid).coords)
    return Polygon([*ring, *inner, ring[0]])


def bow_tie(polygon: Polygon) -> Polygon:
    """The ring's first half, then its second half backwards: a figure of eight."""
    ring = np.asarray(polygon.exterior.coords)[:-1]
    half = len(ring) // 2
    return Polygon(np.vstack([ring[:half], ring[half:][::-1]]))


def _straight_side(ring: np.ndarray) -> tuple[int, int]:
    """The longest run of collinear edges of a ring: (its first edge, its last edge)."""
    seg = np.diff(ring, axis=0)
    angle = np.arctan2(seg[:, 1], seg[:, 0])
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    runs, start = [], 0
    for i in range(1, len(seg) + 1):
        if i == len(seg) or abs(angle[i] - angle[start]) > 1e-3:
            runs.append((lengths[start:i].sum(), start, i - 1))
            start = i
    _, first, last = max(runs)
    return first, last


def spiked(polygon: Polygon, length: float = 2300.0, tip: float = 25.0) -> tuple[Polygon, Point]:
    """``polygon`` (metric) with a hand-digitised spike on its longest straight side, and a point
    100 m inside the boundary beside the spike.

    From V, the start of the side's last edge, the line runs back ``length`` metres to T,
    ``tip`` metres outside the side, crosses the side to R, ``tip`` metres inside, and goes on
    to the next vertex. The spike's legs cross the boundary: the thin sliver between the side
    and V->T is traversed the wrong way round and the sliver between the side and R->next is
    cut out. Both repairs agree (the side's sliver outside becomes a second part), while the
    shoelace sum counts the outer sliver negatively: it is more than 1 % below the repair.
    """
    polygon = orient(polygon, 1.0)                  # counter-clockwise: the left normal points inside
    ring = np.asarray(polygon.exterior.coords)
    first, last = _straight_side(ring)
    v = ring[last]
    t = (ring[last + 1] - ring[first]) / np.hypot(*(ring[last + 1] - ring[first]))
    n = np.array([-t[1], t[0]])
    assert np.hypot(*(v - ring[first])) > length   # premise: the spike lies along the side
    out, back = v - length * t - tip * n, v - length * t + tip * n
    inside = Point(v - length / 2 * t + 100 * n)
    return Polygon([*ring[: last + 1], out, back, *ring[last + 1:]]), inside


def _distort(frame: gpd.GeoDataFrame, key: str, tiny: str, gross: str) -> gpd.GeoDataFrame:
    metric = frame.to_crs(METRIC_CRS)
    geoms = metric.geometry.to_numpy().copy()
    where = {v: i for i, v in enumerate(frame[key])}
    geoms[where[tiny]] = twisted(geoms[where[tiny]])
    geoms[where[gross]] = folded(geoms[where[gross]])
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


def _metric(geom) -> object:  # noqa: ANN001, ANN401 - a shapely geometry in WGS84
    return gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]


def _repairs_m2(geom) -> tuple[float, float]:  # noqa: ANN001 - a shapely geometry in WGS84
    """Areas (m², UTM 50N) of the structure and the linework repair (polygonal parts) of ``geom``."""
    assert not geom.is_valid   # premise
    out = []
    for fixed in (shapely.make_valid(geom, method="structure", keep_collapsed=False),
                  shapely.make_valid(geom, method="linework")):
        polygons = [p for part in shapely.get_parts(fixed) for p in shapely.get_parts(part)
                    if p.geom_type == "Polygon"]
        out.append(gpd.GeoSeries(polygons, crs="EPSG:4326").to_crs(METRIC_CRS).area.sum())
    return out[0], out[1]


def _same(wkt_geometry, stored) -> bool:  # noqa: ANN001 - shapely geometries in WGS84
    """The WKT (6 decimals, a Polygon or MultiPolygon) is the stored geometry (which the store may
    hold as a MultiPolygon) to within the rounding."""
    return (wkt_geometry.hausdorff_distance(stored) < 2e-6
            and wkt_geometry.area == pytest.approx(stored.area, rel=1e-5))


def _written(path: Path, key: str, value: str) -> object:  # noqa: ANN401
    return gpd.read_file(path).set_index(key).geometry[value]


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


def test_premise_twist_repairs_agree_and_fold_repairs_disagree(repaired) -> None:  # noqa: ANN001
    _, _, source = repaired
    for key, tiny, gross in (("name", TINY, GROSS), ("zone_id", TINY_ZONE, GROSS_ZONE)):
        path = source / f"{'streets' if key == 'name' else 'zones'}.geojson"
        structure, linework = _repairs_m2(_written(path, key, tiny))
        assert abs(structure - linework) / structure < 1e-6
        structure, linework = _repairs_m2(_written(path, key, gross))
        assert abs(structure - linework) / structure > 0.20   # 25 %: the doubly covered middle


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
    written = _written(source / "streets.geojson", "name", TINY)
    structure, linework = _repairs_m2(written)
    assert _numbers(KEPT_AREAS, warning["message"]) == pytest.approx([structure, linework], abs=1.0)
    assert _numbers(KEPT_AREAS_EN, warning["message_en"]) == pytest.approx([structure, linework], abs=1.0)
    assert streets.loc[TINY, "area_km2"] == pytest.approx(structure / 1e6, rel=1e-6)
    assert all(r["value"] != TINY for r in report["rejects"] if r["layer"] == "streets")
    # The picture's two geometries: WKT in WGS84 with 6 decimals, as read and as stored.
    before, after = shapely.from_wkt(warning["geometry_before"]), shapely.from_wkt(warning["geometry_after"])
    assert not before.is_valid and before.equals_exact(written, tolerance=1e-6)
    assert _same(after, geom)
    assert not re.search(r"\.\d{7}", warning["geometry_before"] + warning["geometry_after"])


def test_other_warnings_keep_their_shape_with_no_geometry(repaired) -> None:  # noqa: ANN001
    report, _, _ = repaired
    others = [w for w in report["warnings"] if w["kind"] != "geometry_repaired"]
    assert others and all(w["geometry_before"] is None and w["geometry_after"] is None for w in others)
    assert len({frozenset(w) for w in report["warnings"]}) == 1   # one shape, every key always


def test_points_in_the_repaired_street_are_placed_in_it(repaired) -> None:  # noqa: ANN001
    _, store, _ = repaired
    projects = store.read("projects").set_index("project_id")
    assert projects.loc["P-1", "street"] == TINY       # a known position in 丰台街道
    assert projects.loc["P-2", "street"] == TINY       # 30 m inside, beside the twisted loop
    assert projects.loc["P-3", "street"] == "太平桥街道"
    assert set(projects["placement"]) == {"coordinates"}   # inside a polygon, not snapped


def test_ambiguous_street_is_rejected_as_invalid_not_missing(repaired) -> None:  # noqa: ANN001
    report, store, source = repaired
    streets = store.read("streets")
    assert GROSS not in set(streets["name"]) and len(streets) == len(CODE_BY_NAME) - 1
    assert report["layers"]["streets"] == {**report["layers"]["streets"], "read": 26, "loaded": 25, "rejected": 1}
    names = list(gpd.read_file(source / "streets.geojson")["name"])
    reject = rejects_by_row(report, "streets")[names.index(GROSS) + 1]
    assert reject["column"] == "geometry"
    assert reject["reason"].startswith("几何无效（自相交等），且无法明确修复，已拒绝：两种标准修复结果不一致")
    structure, linework = _repairs_m2(_written(source / "streets.geojson", "name", GROSS))
    assert _numbers(REJECT_AREAS, reject["reason"]) == pytest.approx([structure, linework], abs=1.0)
    assert _numbers(REJECT_AREAS_EN, reject["reason_en"]) == pytest.approx([structure, linework], abs=1.0)
    assert "the two standard repairs disagree" in reject["reason_en"]
    assert warnings_of(report, "streets_missing") == []       # every street is in the file
    [bad] = warnings_of(report, "streets_geometry_rejected", "streets")
    assert bad["value"] == GROSS and "无法明确修复" in bad["message"]
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
    structure, linework = _repairs_m2(_written(source / "zones.geojson", "zone_id", TINY_ZONE))
    assert _numbers(KEPT_AREAS, warning["message"]) == pytest.approx([structure, linework], abs=1.0)
    assert zones.loc[TINY_ZONE, "area_km2"] == pytest.approx(structure / 1e6, rel=1e-6)
    assert _same(shapely.from_wkt(warning["geometry_after"]), zones.geometry[TINY_ZONE])
    reject = rejects_by_row(report, "zones")[ids.index(GROSS_ZONE) + 1]
    assert reject["column"] == "geometry" and reject["reason"].startswith("几何无效（自相交等），且无法明确修复")
    structure, linework = _repairs_m2(_written(source / "zones.geojson", "zone_id", GROSS_ZONE))
    assert _numbers(REJECT_AREAS, reject["reason"]) == pytest.approx([structure, linework], abs=1.0)
    projects = store.read("projects").set_index("project_id")
    assert TINY_ZONE in projects.loc["P-3", "zone_ids"].strip(",").split(",")   # inside the repaired zone


# --- (a) the case: a 25 m spike in 右安门街道 --------------------------------------------------
@pytest.fixture(scope="module")
def spike_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """All 26 bundled streets as an official file, 右安门街道 with the spike; two projects in it."""
    folder = tmp_path_factory.mktemp("spike")
    source = folder / "source"
    source.mkdir()
    streets = boundaries.load_streets()[["name", "code", "geometry"]].reset_index(drop=True)
    true = streets.set_index("name").geometry[SPIKED]
    metric, inside = spiked(_metric(true))
    geoms = streets.geometry.to_numpy().copy()
    geoms[streets.index[streets["name"] == SPIKED][0]] = gpd.GeoSeries(
        [metric], crs=METRIC_CRS).to_crs("EPSG:4326").iloc[0]
    gpd.GeoDataFrame(streets.drop(columns="geometry"), geometry=geoms, crs="EPSG:4326").to_file(
        source / "streets.geojson", driver="GeoJSON")
    beside = gpd.GeoSeries([inside], crs=METRIC_CRS).to_crs("EPSG:4326").iloc[0]
    middle = true.representative_point()
    pd.DataFrame([("P-1", "右安门街道内", middle.x, middle.y), ("P-2", "尖刺旁", beside.x, beside.y)],
                 columns=["项目编号", "项目名称", "经度", "纬度"]).assign(项目状态="在建").to_csv(
        source / "projects.csv", index=False)
    report = build(source, str(folder / "store.gpkg"), progress=False)
    return {"report": report, "store": open_store(str(folder / "store.gpkg")), "source": source,
            "true": true, "beside": beside}


def test_spike_premise_old_rule_would_have_rejected_it(spike_build: dict) -> None:
    """The defect: the shoelace area of the spiked ring is > 1 % below the (agreed) repair, so
    the old rule (repair vs the invalid ring's area) rejected a street with a 25 m spike."""
    written = _written(spike_build["source"] / "streets.geojson", "name", SPIKED)
    shoelace = _metric(written).area                 # what the old rule called "the area before"
    structure, linework = _repairs_m2(written)
    assert abs(structure - shoelace) / shoelace > 0.01          # old rule: rejected
    assert abs(structure - linework) / structure < 1e-6         # new rule: the repairs agree
    true_area = _metric(spike_build["true"]).area
    assert abs(structure - true_area) / true_area < 1e-3        # and the repair is the street's area
    tip = _metric(written).exterior.distance(_metric(spike_build["true"]).exterior)
    assert tip == 0.0 and _metric(written).exterior.hausdorff_distance(
        _metric(spike_build["true"]).exterior) == pytest.approx(25.0, abs=0.5)   # a 25 m spike


def test_spiked_street_is_kept_with_its_before_and_after(spike_build: dict) -> None:
    report, store = spike_build["report"], spike_build["store"]
    streets = store.read("streets").set_index("name")
    assert len(streets) == 26 and SPIKED in streets.index
    assert report["layers"]["streets"] == {**report["layers"]["streets"], "read": 26, "loaded": 26, "rejected": 0}
    assert [r for r in report["rejects"] if r["layer"] == "streets"] == []
    assert warnings_of(report, "streets_geometry_rejected") == [] and warnings_of(report, "streets_missing") == []
    [warning] = warnings_of(report, "geometry_repaired", "streets")
    assert warning["value"] == SPIKED and warning["column"] == "geometry"
    written = _written(spike_build["source"] / "streets.geojson", "name", SPIKED)
    before, after = shapely.from_wkt(warning["geometry_before"]), shapely.from_wkt(warning["geometry_after"])
    assert before.equals_exact(written, tolerance=1e-6) and not before.is_valid
    assert _same(after, streets.geometry[SPIKED])
    assert streets.geometry[SPIKED].is_valid
    structure, linework = _repairs_m2(written)
    assert _numbers(KEPT_AREAS, warning["message"]) == pytest.approx([structure, linework], abs=1.0)
    assert streets.loc[SPIKED, "area_km2"] == pytest.approx(structure / 1e6, rel=1e-6)


def test_points_in_the_spiked_street_are_placed_in_it(spike_build: dict) -> None:
    projects = spike_build["store"].read("projects").set_index("project_id")
    assert spike_build["true"].contains(spike_build["beside"])   # premise
    assert list(projects.loc[["P-1", "P-2"], "street"]) == [SPIKED, SPIKED]
    assert set(projects["placement"]) == {"coordinates"}


# --- _check_polygons on its own -------------------------------------------------------------------
def _check(geoms: list) -> tuple[object, Problems]:  # noqa: ANN401
    frame = gpd.GeoDataFrame({SOURCE_ROW: range(1, len(geoms) + 1)}, geometry=geoms, crs="EPSG:4326")
    problems = Problems(frame.index)
    return _check_polygons(frame, problems), problems


D = 0.01   # degrees: ~1 km
X0, Y0 = 116.3, 39.8


def _square(x: float, y: float, size: float = D) -> list[tuple[float, float]]:
    return [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]


def test_overlapping_lobes_are_rejected_with_both_areas() -> None:
    """(b) A big figure of eight whose two equal lobes overlap: the ring goes round one square,
    then round an equal one shifted by half, so a quarter of each is enclosed twice. Linework
    makes that a hole, structure fills it: 6 vs 7 squares' quarters, they disagree, rejected."""
    a, b = _square(X0, Y0), _square(X0 + D / 2, Y0 + D / 2)
    lobes = Polygon([*a, a[0], b[0], *b[1:], b[0], a[0]])
    structure, linework = _repairs_m2(lobes)
    assert linework / structure == pytest.approx(6 / 7, rel=1e-3)   # premise
    check, problems = _check([lobes])
    assert bool(check.rejected.iloc[0]) and not bool(check.repaired.iloc[0])
    assert check.geometry.iloc[0].equals(lobes)                       # left as read; the row is rejected
    assert [check.area_structure_m2.iloc[0], check.area_linework_m2.iloc[0]] == pytest.approx(
        [structure, linework], rel=1e-9)
    reason, reason_en = problems.reason.iloc[0], problems.reason_en.iloc[0]
    assert _numbers(REJECT_AREAS, reason) == pytest.approx([structure, linework], abs=1.0)
    assert _numbers(REJECT_AREAS_EN, reason_en) == pytest.approx([structure, linework], abs=1.0)
    assert "14.2857%" in reason and f"超过 {REPAIR_MAX_DISAGREEMENT:.0%}" in reason
    assert "14.2857% apart, more than 1%" in reason_en


def test_ring_repaired_into_two_real_parts_is_kept_as_a_multipolygon() -> None:
    """(c) A plain bow-tie (two equal lobes meeting at the crossing: its shoelace area is 0, so the
    old rule rejected it) and a figure of eight touching itself at a corner: both repairs agree
    on two lobes, and the structure result, a MultiPolygon, is kept."""
    a = _square(X0, Y0)
    bow = Polygon([a[0], a[2], a[1], a[3]])
    eight = Polygon([*_square(X0, Y0), (X0, Y0), (X0 - D, Y0), (X0 - D, Y0 - D), (X0, Y0 - D)])
    assert bow.area == pytest.approx(0.0, abs=1e-12) and not eight.is_valid   # premises
    check, problems = _check([bow, eight])
    assert [bool(v) for v in check.repaired] == [True, True] and not check.rejected.any()
    assert problems.reason.isna().all()
    for geom, lobe_area in zip(check.geometry, (D * D / 4, D * D)):
        assert geom.is_valid and isinstance(geom, MultiPolygon) and len(geom.geoms) == 2
        assert [p.area for p in geom.geoms] == pytest.approx([lobe_area, lobe_area], rel=1e-9)
    assert check.area_structure_m2.to_numpy() == pytest.approx(check.area_linework_m2.to_numpy(), rel=1e-9)


def test_collapsed_ring_is_rejected_with_no_polygon_left() -> None:
    """(d) A zero-area sliver (three collinear points): no repair leaves a polygon."""
    flat = Polygon([(116.25, 39.75), (116.5, 40.0), (116.75, 40.25), (116.25, 39.75)])
    check, problems = _check([flat])
    assert bool(check.rejected.iloc[0]) and not bool(check.repaired.iloc[0])
    assert [check.area_structure_m2.iloc[0], check.area_linework_m2.iloc[0]] == [0.0, 0.0]
    assert "都没有剩下任何面" in problems.reason.iloc[0] and "no polygon left" in problems.reason_en.iloc[0]


def test_check_polygons_repairs_area_neutral_faults_and_rejects_the_rest() -> None:
    square = _square(X0, Y0)
    spike = Polygon([square[0], square[1], (X0 + D, Y0 + D / 2), (X0 + 2 * D, Y0 + D / 2),
                     (X0 + D, Y0 + D / 2), square[2], square[3]])          # zero-width spike
    valid = Polygon(square)
    check, problems = _check([spike, valid, Point(X0, Y0), None])
    assert [bool(v) for v in check.rejected] == [False, False, True, True]
    assert [bool(v) for v in check.repaired] == [True, False, False, False]
    assert check.geometry.iloc[0].is_valid and check.geometry.iloc[0].geom_type == "Polygon"
    assert check.geometry.iloc[0].area == pytest.approx(valid.area)
    assert check.geometry.iloc[1] is valid or check.geometry.iloc[1].equals(valid)
    assert problems.reason.iloc[2].startswith("几何不是面")
    assert problems.reason.iloc[[0, 1]].isna().all()
    assert check.area_structure_m2.iloc[1:].isna().all()
