"""loaders.place: coordinate systems, swapped lon/lat, the district edge, street names, zones.

Most checks run ``tests/data/projects_places.csv`` through a real build (module fixture
``places_build``) and look at the store and the report; a few use tiny frames.
"""
from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.boundaries import load_streets, load_zones, zone_alias_table
from geodata.crs import METRIC_CRS, gcj02_to_wgs84
from loaders.place import Boundaries, place_layer
from loaders.schema import SOURCE_ROW
from tests.conftest import DATA
from tests.loaders.conftest import FIXTURES, KNOWN, metres, rejects_by_row, warnings_of


@pytest.fixture(scope="module")
def bounds() -> Boundaries:
    return Boundaries(load_streets(), load_zones(), zone_alias_table())


@pytest.fixture(scope="module")
def report(places_build) -> dict:  # noqa: ANN001
    return places_build[0]


@pytest.fixture(scope="module")
def projects(places_build) -> gpd.GeoDataFrame:  # noqa: ANN001
    return places_build[1].read("projects").set_index(SOURCE_ROW)


@pytest.fixture(scope="module")
def rejects(report: dict) -> dict[int, dict]:
    return rejects_by_row(report, "projects")


@pytest.fixture(scope="module")
def outline_m() -> shapely.Geometry:
    return shapely.union_all(load_streets().to_crs(METRIC_CRS).geometry.to_numpy())


def zone_set(value: str) -> set[str]:
    assert value == "" or (value.startswith(",") and value.endswith(",")), value
    return {z for z in value.split(",") if z}


def test_rows_are_all_accounted_for(report: dict, projects: gpd.GeoDataFrame, rejects: dict) -> None:
    assert report["layers"]["projects"] == {**report["layers"]["projects"], "read": 21, "loaded": 12,
                                            "rejected": 9}
    assert set(projects.index) | set(rejects) == set(range(2, 23))
    assert not set(projects.index) & set(rejects)


@pytest.mark.parametrize("row, known, coord_sys, street", [
    (2, "lize_station", "wgs84", "新村街道"), (3, "fengtai", "gcj02", "丰台街道"),
    (4, "nanyuan", "bd09", "南苑街道"), (5, "huaxiang", "cgcs2000", "花乡街道"),
])
def test_coordinate_systems_become_wgs84_within_1_m(projects: gpd.GeoDataFrame, row: int, known: str,
                                                     coord_sys: str, street: str) -> None:
    rec = projects.loc[row]
    assert rec["coord_sys"] == coord_sys
    assert metres(rec["lon"], rec["lat"], *KNOWN[known]) < 1.0
    assert metres(rec.geometry.x, rec.geometry.y, *KNOWN[known]) < 1.0
    assert rec["street"] == street and rec["placement"] == "coordinates"


def written_rows() -> list[list[str]]:
    with (DATA / "projects_places.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_gcj02_and_bd09_inputs_really_were_shifted() -> None:
    rows = written_rows()
    for row, known in ((3, "fengtai"), (4, "nanyuan")):
        given = (float(rows[row - 1][3]), float(rows[row - 1][4]))
        assert metres(*given, *KNOWN[known]) > 400   # so the < 1 m above is a real conversion


def test_swapped_lon_lat_is_detected_and_corrected(report: dict, projects: gpd.GeoDataFrame) -> None:
    [warning] = warnings_of(report, "swapped", "projects")
    assert warning["row"] == 6 and warning["file"] == "projects.csv"
    assert warning["value"] == "经度=39.866，纬度=116.312"
    assert warning["message"] == "经纬度填反，已自动交换"
    assert warning["message_en"] == "Longitude and latitude were written the wrong way round; swapped back."
    assert metres(projects.loc[6, "lon"], projects.loc[6, "lat"], *KNOWN["lize"]) < 1.0
    assert projects.loc[6, "street"] == "太平桥街道"


def test_fixture_outside_points_are_where_the_fixture_says(outline_m: shapely.Geometry) -> None:
    """The premise of the edge tests; if this fails, run tests/data/make_fixtures.py again."""
    pts = gpd.GeoSeries([shapely.Point(*FIXTURES["outside"][k]) for k in ("snap_50", "snap_99", "far_101",
                                                                            "far_1500")],
                        crs="EPSG:4326").to_crs(METRIC_CRS)
    assert shapely.distance(pts.to_numpy(), outline_m) == pytest.approx([50, 99, 101, 1500], abs=0.05)


@pytest.mark.parametrize("row, key, metres_out", [(7, "snap_50", 50.0), (8, "snap_99", 99.0)])
def test_points_within_100_m_are_snapped_with_a_warning(report: dict, projects: gpd.GeoDataFrame, row: int,
                                                        key: str, metres_out: float) -> None:
    [warning] = [w for w in warnings_of(report, "snapped", "projects") if w["row"] == row]
    assert warning["value"] == f"{metres_out:.1f} m"
    assert warning["message"] == "坐标在区界外100米以内，已吸附到最近街镇边界"
    assert warning["message_en"] == ("The point lies outside the district, within 100 m of it, and has been moved just "
                                     "inside the nearest street's boundary.")
    rec = projects.loc[row]
    assert rec["placement"] == "snapped"
    streets = load_streets().set_index("name")
    nearest = streets.to_crs(METRIC_CRS).distance(
        gpd.GeoSeries([shapely.Point(*FIXTURES["outside"][key])], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0])
    assert rec["street"] == nearest.idxmin()
    # moved just inside the street's edge: about metres_out from where it was written
    assert metres(rec.geometry.x, rec.geometry.y, *FIXTURES["outside"][key]) == pytest.approx(metres_out, abs=1)
    assert (rec["lon"], rec["lat"]) == pytest.approx((rec.geometry.x, rec.geometry.y), abs=1e-7)
    street_m = streets.to_crs(METRIC_CRS).loc[rec["street"], "geometry"]
    point_m = gpd.GeoSeries([rec.geometry], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    assert street_m.contains(point_m) and street_m.exterior.distance(point_m) < 0.1 \
        if street_m.geom_type == "Polygon" else street_m.contains(point_m)


@pytest.mark.parametrize("row, km", [(9, "0.1"), (10, "1.5")])
def test_points_beyond_100_m_are_rejected(rejects: dict, row: int, km: str) -> None:
    assert rejects[row]["column"] == "lon"
    assert rejects[row]["reason"] == f"坐标位于丰台区界外 {km} 公里，超出允许的100米"
    assert rejects[row]["reason_en"] == (f"The point lies {km} km outside the Fengtai district boundary, farther than "
                                         "the 100 m allowed.")


def test_far_point_in_gcj02_reports_its_true_distance(rejects: dict, outline_m: shapely.Geometry) -> None:
    row = written_rows()[10]
    lon, lat = gcj02_to_wgs84(float(row[3]), float(row[4]))
    assert metres(lon, lat, *FIXTURES["tiananmen_wgs84"]) < 1.0
    point = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    km = round(outline_m.distance(point) / 1000, 2)
    assert rejects[11]["reason"] == f"坐标位于丰台区界外 {km} 公里，超出允许的100米"
    assert f" {km} km outside" in rejects[11]["reason_en"]


def test_records_without_coordinates_are_placed_by_street_name(projects: gpd.GeoDataFrame) -> None:
    for row, street in ((12, "方庄街道"), (13, "宛平街道")):   # 方庄地区, 宛平城地区
        rec = projects.loc[row]
        assert rec["street"] == street and rec["placement"] == "street"
        assert rec.geometry is None and np.isnan(rec["lon"]) and np.isnan(rec["lat"])
        assert rec["zone_ids"] == ""


def test_split_township_is_rejected_not_guessed(rejects: dict) -> None:
    reject = rejects[14]
    assert reject["column"] == "street" and reject["value"] == "花乡乡"
    assert reject["reason"] == ("无坐标，且“花乡乡”是2021年区划调整前的乡镇名称，花乡乡（花乡地区）已拆分划入多个现街道，"
                                "仅凭名称无法确定现属街镇；请补充坐标或填写现街镇名称")
    assert reject["reason_en"] == ("No coordinates, and “花乡乡” is the name of a township from before the 2021 "
                                   "re-division: Huaxiang township (Huaxiang area) was split among several of today's "
                                   "streets, so the name alone does not say which street it is; add coordinates or "
                                   "the present street's name.")


def test_other_rows_that_cannot_be_placed(rejects: dict) -> None:
    assert rejects[15]["reason"] == "无坐标，且“朝阳门街道”不是丰台区现有的26个街镇之一，也不是已知的别名或旧称"
    assert rejects[15]["reason_en"] == ("No coordinates, and “朝阳门街道” is not one of the 26 present streets of "
                                        "Fengtai, nor a known alias or former name.")
    assert rejects[16]["reason"] == "无坐标，且未填写所属街镇"
    assert rejects[16]["reason_en"] == "No coordinates, and no street given."
    assert rejects[17]["reason"] == "经度和纬度只填了一个"
    assert rejects[17]["reason_en"] == "Only one of longitude and latitude is given."
    assert rejects[20]["reason"].startswith("坐标不在中国范围内，可能是投影坐标或录入错误")
    assert rejects[20]["value"] == "442000.0,4412000.0"
    assert rejects[21] == {**rejects[21], "column": "coord_sys", "value": "北京54",
                           "reason": "坐标系无法识别，可选：wgs84、gcj02、bd09、cgcs2000",
                           "reason_en": "The coordinate system is not recognised; allowed: wgs84, gcj02, bd09, "
                                        "cgcs2000."}


def test_full_width_coordinates(projects: gpd.GeoDataFrame) -> None:
    assert metres(projects.loc[22, "lon"], projects.loc[22, "lat"], *KNOWN["fengtai"]) < 1.0


def test_every_loaded_row_has_a_street(projects: gpd.GeoDataFrame) -> None:
    assert projects["street"].notna().all()
    assert set(projects["street"]) <= set(load_streets()["name"])


def test_zone_multi_membership(projects: gpd.GeoDataFrame, bounds: Boundaries) -> None:
    assert zone_set(projects.loc[2, "zone_ids"]) == {"lize", "fengtai_station"}
    assert zone_set(projects.loc[19, "zone_ids"]) == {"xishan_yongding", "zgc_fengtai", "hexi"}
    assert zone_set(projects.loc[6, "zone_ids"]) == {"lize"}
    assert projects.loc[3, "zone_ids"] == ""
    # the same membership as an independent point-in-polygon test
    zones = bounds.zones
    for row in projects.index[projects.geometry.notna()]:
        inside = set(zones.loc[zones.intersects(projects.loc[row].geometry), "zone_id"])
        assert zone_set(projects.loc[row, "zone_ids"]) == inside, row


def test_declared_zone_mismatch_is_flagged(report: dict, projects: gpd.GeoDataFrame) -> None:
    assert projects.loc[18, "zone_declared"] == "zgc_fengtai"
    assert pd.notna(projects.loc[18, "zone_declared_mismatch"]) and bool(projects.loc[18, "zone_declared_mismatch"])
    [warning] = warnings_of(report, "zone_mismatch", "projects")
    assert warning["row"] == 18
    assert warning["value"] == "填报：中关村丰台园；坐标所在：丽泽金融商务区"
    assert warning["message"] == "填报的所属功能区与坐标位置不符"
    assert warning["message_en"] == "The declared zone differs from the zones the coordinates fall in."
    for row, zone in ((2, "lize"), (6, "lize"), (19, "hexi"), (4, "nanzhongzhou")):
        assert projects.loc[row, "zone_declared"] == zone
        assert bool(projects.loc[row, "zone_declared_mismatch"]) is False
    # declared but not positioned: nothing to compare with
    assert projects.loc[12, "zone_declared"] == "lize" and pd.isna(projects.loc[12, "zone_declared_mismatch"])
    assert pd.isna(projects.loc[3, "zone_declared"]) and pd.isna(projects.loc[3, "zone_declared_mismatch"])


def test_rejected_rows_get_no_zone_warnings(report: dict) -> None:
    rejected = {r["row"] for r in report["rejects"] if r["layer"] == "projects"}
    for warning in report["warnings"]:
        if warning.get("layer") == "projects" and warning.get("row") is not None:
            assert warning["row"] not in rejected, warning


# --- tiny frames -------------------------------------------------------------------------
def frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for col, default in (("lon", np.nan), ("lat", np.nan), ("coord_sys", "wgs84"), ("street", None)):
        if col not in out:
            out[col] = default
    out[SOURCE_ROW] = range(2, 2 + len(out))
    return out


def test_coordinates_win_over_a_different_declared_street(bounds: Boundaries) -> None:
    lon, lat = KNOWN["fengtai"]
    result = place_layer("stations", "stations.csv", frame([{"lon": lon, "lat": lat, "street": "方庄街道"}]), bounds)
    assert result.frame["street"].tolist() == ["丰台街道"]
    [warning] = result.warnings
    assert (warning.kind, warning.row, warning.value) == ("street_mismatch", 2, "方庄街道 → 丰台街道")


def test_unknown_declared_zone_is_a_warning(bounds: Boundaries) -> None:
    lon, lat = KNOWN["lize"]
    rows = frame([{"lon": lon, "lat": lat, "zone": "火星功能区"}, {"lon": lon, "lat": lat, "zone": "LIZE"}])
    result = place_layer("projects", "projects.csv", rows, bounds)
    assert result.frame["zone_declared"].tolist()[1] == "lize"
    assert pd.isna(result.frame["zone_declared"].iloc[0])
    [warning] = [w for w in result.warnings if w.kind == "zone_unknown"]
    assert warning.row == 2 and warning.value == "火星功能区"


@pytest.mark.parametrize("spelling, zone_id", [
    ("丽泽", "lize"), ("丽泽商务区", "lize"), ("丽泽金融商务区", "lize"), ("南中轴", "nanzhongzhou"),
    ("中关村丰台园区", "zgc_fengtai"), ("丰台科技园", "zgc_fengtai"), ("丰台站", "fengtai_station"),
    ("新发地", "xinfadi"), ("河西", "hexi"), ("五里店", "wulidian"), ("lize", "lize"),
    ("西山永定河文化精华区", "xishan_yongding"), ("xinfadi area", "xinfadi"),
    ("Lize Financial Business District", "lize"), ("　丽泽 商务区 ", "lize"), ("LIZE FBD", "lize"),
    ("SOUTH CENTRAL AXIS AREA", "nanzhongzhou"), ("不存在的功能区", None),
])
def test_declared_zone_spellings(bounds: Boundaries, spelling: str, zone_id: str | None) -> None:
    """An agency's zone as written resolves to its zone_id the way a build resolves it."""
    result = place_layer("projects", "projects.csv", frame([{"street": "丰台街道", "zone": spelling}]), bounds)
    declared = result.frame["zone_declared"].iloc[0]
    assert (None if pd.isna(declared) else declared) == zone_id


def test_place_layer_does_not_mutate_and_keeps_the_index(bounds: Boundaries) -> None:
    lon, lat = KNOWN["lize"]
    rows = frame([{"lon": lat, "lat": lon}, {"street": "宛平城"}, {"street": "丰台区方庄街道办事处"}])
    before = rows.copy()
    result = place_layer("stations", "stations.csv", rows, bounds)
    pd.testing.assert_frame_equal(rows, before)
    assert result.frame["street"].tolist() == ["太平桥街道", "宛平街道", "方庄街道"]
    assert result.frame.crs.to_epsg() == 4326


@pytest.mark.parametrize("old, today", [("花乡乡", None), ("南苑乡", None), ("卢沟桥乡", None), ("长辛店镇", None),
                                        ("方庄地区", "方庄街道"), ("宛平城地区", "宛平街道"), ("北宫地区", "北宫镇")])
def test_old_names_without_coordinates(bounds: Boundaries, old: str, today: str | None) -> None:
    result = place_layer("hotline", "hotline.csv", frame([{"street": old}]), bounds)
    if today is None:
        [reason] = result.rejects["reason"].tolist()
        assert "2021" in reason and old in reason and "无法确定" in reason
        [reason_en] = result.rejects["reason_en"].tolist()
        assert "2021 re-division" in reason_en and f"“{old}”" in reason_en and "township" in reason_en
        assert result.frame.empty
    else:
        assert result.frame["street"].tolist() == [today] and result.rejects.empty


def test_many_points_are_placed_consistently(bounds: Boundaries) -> None:
    """Vectorised placement agrees with a plain point-in-polygon on random points."""
    rng = np.random.default_rng(7)
    lon = rng.uniform(116.05, 116.46, 3000)
    lat = rng.uniform(39.77, 39.89, 3000)
    result = place_layer("hotline", "hotline.csv", frame([{"lon": x, "lat": y} for x, y in zip(lon, lat)]), bounds)
    placed = result.frame
    inside = placed[placed["placement"] == "coordinates"]
    pts = gpd.GeoSeries(gpd.points_from_xy(inside["lon"], inside["lat"]), crs="EPSG:4326")
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=pts.to_numpy(), crs="EPSG:4326"), bounds.streets[["name", "geometry"]],
                       predicate="intersects").groupby(level=0)["name"].first()
    assert (joined.to_numpy() == inside["street"].to_numpy()).all()
    assert len(placed) + len(result.rejects) == 3000
    assert len(result.rejects) > 0   # the bounding box holds points outside the district too
    assert result.rejects["reason"].str.fullmatch(r"坐标位于丰台区界外 \d+\.\d{1,2} 公里，超出允许的100米").all()
    assert result.rejects["reason_en"].str.fullmatch(
        r"The point lies \d+\.\d{1,2} km outside the Fengtai district boundary, farther than the 100 m allowed\.").all()
