"""loaders.build end to end on tiny source folders: report invariant, official geodata, progress."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.names import CANONICAL_NAMES
from loaders.build import build
from loaders.schema import POINT_LAYERS, SOURCE_ROW, STORE_COLUMNS, WARNING_KINDS
from loaders.store import open_store
from tests.loaders.conftest import KNOWN, make_source, metres, rejects_by_row, warnings_of

ALL_FIXTURES = {"projects_places.csv": "projects.csv", "enterprises_uscc.csv": "enterprises.csv",
                "stations_points.geojson": "stations.geojson", "hotline_gb18030.csv": "hotline.csv"}
# (communities: test_communities.py; needs: test_needs.py)
FIXTURE_LAYERS = tuple(layer for layer in POINT_LAYERS if layer not in ("communities", "needs"))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object, Path]:
    """Every point layer from tests/data, with a report file."""
    folder = tmp_path_factory.mktemp("full")
    source = make_source(folder / "source", ALL_FIXTURES)
    (source / "说明.txt").write_text("not data", encoding="utf-8")
    report = build(source, str(folder / "store.gpkg"), folder / "report.json", progress=False)
    return report, open_store(str(folder / "store.gpkg")), folder / "report.json"


def test_read_equals_loaded_plus_rejected_for_every_layer(full) -> None:  # noqa: ANN001
    report, store, _ = full
    assert set(report["layers"]) == {"streets", "zones", *FIXTURE_LAYERS}
    for layer, counts in report["layers"].items():
        assert counts["read"] == counts["loaded"] + counts["rejected"], layer
        assert len(store.read(layer)) == counts["loaded"], layer
        assert counts["rejected"] == len({r["row"] for r in report["rejects"] if r["layer"] == layer}), layer
    assert {k: (v["read"], v["loaded"], v["rejected"]) for k, v in report["layers"].items()} == {
        "streets": (26, 26, 0), "zones": (8, 8, 0), "projects": (21, 12, 9), "enterprises": (10, 3, 7),
        "stations": (4, 3, 1), "hotline": (4, 2, 2)}


def test_nothing_is_lost(full) -> None:  # noqa: ANN001
    """Every input row is in the store or among the rejects, never both."""
    report, store, _ = full
    expected_rows = {"projects": set(range(2, 23)), "enterprises": set(range(2, 12)),
                     "stations": {1, 2, 3, 4}, "hotline": {2, 3, 4, 5}}
    for layer, rows in expected_rows.items():
        stored = set(store.read(layer)[SOURCE_ROW].astype(int))
        rejected = set(rejects_by_row(report, layer))
        assert stored | rejected == rows and not stored & rejected, layer


def test_rejects_say_file_row_column_value_and_reason(full) -> None:  # noqa: ANN001
    report, _, _ = full
    files = {"projects": "projects.csv", "enterprises": "enterprises.csv", "stations": "stations.geojson",
             "hotline": "hotline.csv"}
    for reject in report["rejects"]:
        assert list(reject) == ["layer", "file", "row", "column", "value", "reason", "reason_en"]
        assert reject["file"] == files[reject["layer"]]
        assert isinstance(reject["row"], int) and reject["reason"] and reject["reason_en"]
    by_row = rejects_by_row(report, "stations")
    assert by_row == {4: {"layer": "stations", "file": "stations.geojson", "row": 4, "column": "station_id",
                          "value": "S-1", "reason": "与第 1 行重复（站点编号 S-1），保留第一条",
                          "reason_en": "A repeat of row 1 (station_id “S-1”); the first one is kept."}}


def test_report_file_and_stored_report_agree(full) -> None:  # noqa: ANN001
    report, store, path = full
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    stored = store.read_report()
    for doc in (on_disk, stored):
        assert doc["layers"] == json.loads(json.dumps(report["layers"]))
        assert doc["rejects"] == json.loads(json.dumps(report["rejects"]))     # reason and reason_en
        assert doc["warnings"] == json.loads(json.dumps(report["warnings"]))   # message and message_en
        assert doc["sample_data"] is False
        assert pd.Timestamp(doc["built_at"]).tzinfo is not None


def test_every_warning_has_one_shape_and_a_labelled_kind(full) -> None:  # noqa: ANN001
    report, _, _ = full
    assert report["warnings"]
    for warning in report["warnings"]:
        assert list(warning) == ["layer", "file", "row", "column", "value", "kind", "message", "message_en", "count",
                                 "geometry_before", "geometry_after"], warning
        assert warning["kind"] in WARNING_KINDS and warning["message"] and warning["message_en"]


def test_unknown_file_is_reported(full) -> None:  # noqa: ANN001
    report, _, _ = full
    [warning] = warnings_of(report, "unknown_file")
    assert warning["file"] == "说明.txt"
    assert "说明.txt" in warning["message"] and "projects" in warning["message"]
    assert "“说明.txt” matches no layer" in warning["message_en"] and "projects" in warning["message_en"]


def test_file_notes_are_warnings(full) -> None:  # noqa: ANN001
    report, _, _ = full
    [encoding] = warnings_of(report, "encoding")
    assert encoding["file"] == "hotline.csv" and encoding["value"] == "gb18030"
    [ignored] = warnings_of(report, "ignored_columns")
    assert ignored["file"] == "hotline.csv" and ignored["value"] == "备注"
    [unit] = warnings_of(report, "unit", "enterprises")
    assert unit["column"] == "registered_capital" and unit["value"] == "亿元"


def test_store_columns_are_complete_even_when_the_file_lacks_optional_ones(full) -> None:  # noqa: ANN001
    """projects_places.csv has no level/industry/investment columns: they are there, empty."""
    _, store, _ = full
    for layer in FIXTURE_LAYERS:
        frame = store.read(layer)
        assert set(STORE_COLUMNS[layer]) <= set(frame.columns), (layer, set(STORE_COLUMNS[layer]) - set(frame.columns))
    projects = store.read("projects")
    assert projects["level"].isna().all() and projects["investment_total"].isna().all()


def test_every_loaded_point_has_a_street_and_points_are_wgs84(full) -> None:  # noqa: ANN001
    _, store, _ = full
    for layer in FIXTURE_LAYERS:
        frame = store.read(layer)
        assert frame.crs.to_epsg() == 4326
        assert frame["street"].notna().all() and set(frame["street"]) <= set(CANONICAL_NAMES), layer
        placed = frame.geometry.notna()
        assert (frame.loc[placed, "placement"].isin(["coordinates", "snapped"])).all()
        assert np.allclose(frame.loc[placed].geometry.x, frame.loc[placed, "lon"])


def test_records_without_coordinates_have_null_geometry_and_count_for_their_street(full) -> None:  # noqa: ANN001
    _, store, _ = full
    hotline = store.read("hotline").set_index(SOURCE_ROW)
    assert hotline.geometry.isna().all()          # the 12345 file has no coordinates at all
    assert hotline["street"].to_dict() == {2: "丰台街道", 3: "宛平街道"}
    projects = store.read("projects")
    by_street = projects[projects["placement"] == "street"].groupby("street").size().to_dict()
    assert by_street == {"方庄街道": 1, "宛平街道": 1}
    assert projects[projects["placement"] == "street"].geometry.isna().all()
    enterprises = store.read("enterprises")
    counts = enterprises.groupby("street").size().to_dict()
    assert counts == {"丰台街道": 1, "新村街道": 2}   # one placed by coordinates, one by name


def test_stations_from_geojson_points(full) -> None:  # noqa: ANN001
    _, store, _ = full
    stations = store.read("stations").set_index(SOURCE_ROW)
    assert stations["street"].to_dict() == {1: "丰台街道", 2: "太平桥街道", 3: "方庄街道"}
    assert metres(stations.loc[1].geometry.x, stations.loc[1].geometry.y, *KNOWN["fengtai"]) < 1.0
    assert stations.loc[2, "zone_ids"] == ",lize,"
    assert stations.loc[3].geometry is None


def test_zone_filter_finds_multi_membership_points(full) -> None:  # noqa: ANN001
    _, store, _ = full
    for zone in ("lize", "fengtai_station", "hexi"):
        rows = store.read("projects", zone_id=zone)
        assert len(rows) and rows["zone_ids"].str.contains(f",{zone},", regex=False).all()
    both = set(store.read("projects", zone_id="lize")[SOURCE_ROW]) & \
        set(store.read("projects", zone_id="fengtai_station")[SOURCE_ROW])
    assert both == {2}


def test_xlsx_build(build_from) -> None:  # noqa: ANN001
    report, store = build_from({"projects_titled.xlsx": "projects.xlsx"})
    projects = store.read("projects").set_index(SOURCE_ROW)
    assert projects.loc[4, "investment_total"] == pytest.approx(1.2)
    assert projects.loc[8, "street"] == "宛平街道"
    assert {r["row"]: r["column"] for r in report["rejects"]} == {6: "lat", 7: "project_id"}


def test_gbk_build(build_from) -> None:  # noqa: ANN001
    report, store = build_from({"projects_gbk.csv": "projects.csv"})
    assert sorted(rejects_by_row(report, "projects")) == [5, 6, 7, 8, 9]
    projects = store.read("projects").set_index(SOURCE_ROW)
    assert projects.loc[2, "name"] == "丽泽金融中心(示例)"
    assert projects.loc[4, "street"] == "方庄街道"      # 方庄地区, no coordinates


def test_default_coord_sys_option(build_from, tmp_path: Path) -> None:  # noqa: ANN001
    """Files without a coord_sys column follow the build option."""
    from tests.data.make_fixtures import gcj02
    lon, lat = gcj02(*KNOWN["fengtai"])
    source = tmp_path / "opt"
    source.mkdir()
    (source / "stations.csv").write_text(f"站点编号,站点名称,类型,经度,纬度\nA,甲,先丰站,{lon:.7f},{lat:.7f}\n",
                                         encoding="utf-8")
    build(source, str(tmp_path / "gcj.gpkg"), progress=False, default_coord_sys="gcj02")
    rec = open_store(str(tmp_path / "gcj.gpkg")).read("stations").iloc[0]
    assert rec["coord_sys"] == "gcj02" and metres(rec["lon"], rec["lat"], *KNOWN["fengtai"]) < 1.0


# --- official geodata replacing the bundled files -----------------------------------------
def test_official_streets_geojson_in_cgcs2000(build_from) -> None:  # noqa: ANN001
    report, store = build_from({"streets_cgcs2000.geojson": "streets.geojson",
                                "projects_places.csv": "projects.csv"})
    streets = store.read("streets")
    assert sorted(streets["name"]) == sorted(["丰台街道", "新村街道", "太平桥街道"])   # 新村地区, ...办事处
    assert set(streets["precision"]) == {"official"} and set(streets["source"]) == {"streets.geojson"}
    assert streets.set_index("name").loc["丰台街道", "population"] == 100000
    assert report["layers"]["streets"]["file"] == "streets.geojson"
    assert report["provenance"]["streets"]["precision"] == "official"
    [missing] = warnings_of(report, "streets_missing")
    assert len(missing["value"].split("、")) == 23
    projects = store.read("projects").set_index(SOURCE_ROW)
    assert projects.loc[3, "street"] == "丰台街道"            # GCJ-02 point inside an official street
    rejects = rejects_by_row(report, "projects")
    assert rejects[4]["reason"].startswith("坐标位于丰台区界外")   # 南苑: not in the official streets
    assert projects.loc[12, "street"] == "方庄街道"           # by name: any of the 26 units
    assert report["layers"]["projects"]["read"] == report["layers"]["projects"]["loaded"] + len(rejects)


def test_official_zipped_shapefiles_in_epsg_4527_gbk(build_from) -> None:  # noqa: ANN001
    report, store = build_from({"streets_xzq_4527_gbk.zip": "streets.zip", "zones_4527_gbk.zip": "zones.zip",
                                "projects_places.csv": "projects.csv"})
    streets = store.read("streets").set_index("name")
    # 卢沟桥街道 with code 110106008 is today's 六里桥街道: the code decides
    assert sorted(streets.index) == sorted(["丰台街道", "新村街道", "太平桥街道", "六里桥街道"])
    assert streets.loc["六里桥街道", "code"] == "110106008000"
    bundled = gpd.read_file(Path("geodata/files/streets.geojson").resolve()).set_index("name")
    assert streets.loc["丰台街道", "area_km2"] == pytest.approx(bundled.loc["丰台街道", "area_km2"], rel=1e-3)
    zones = store.read("zones").set_index("zone_id")
    assert sorted(zones.index) == ["lize", "test_zone"]
    assert zones.loc["test_zone", "name"] == "测试功能区" and zones.loc["lize", "kind"] == "key_area"
    assert zones.loc["lize", "area_km2"] == pytest.approx(0.28, abs=0.03)   # 300 m octagon
    projects = store.read("projects").set_index(SOURCE_ROW)
    assert projects.loc[3, "zone_ids"] == ",test_zone,"
    assert projects.loc[6, "zone_ids"] == ",lize,"
    # row 2 is in the bundled lize but not in the small official one
    assert projects.loc[2, "zone_ids"] == "" and bool(projects.loc[2, "zone_declared_mismatch"]) is True
    assert report["layers"]["zones"] == {**report["layers"]["zones"], "read": 2, "loaded": 2, "rejected": 0}


# --- progress ------------------------------------------------------------------------------
def test_progress_display_names_layers_and_rate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = make_source(tmp_path / "source", {"projects_places.csv": "projects.csv",
                                               "hotline_gb18030.csv": "hotline.csv"})
    build(source, str(tmp_path / "store.gpkg"), progress=True)
    out, err = capsys.readouterr()
    for text in ("projects", "hotline", "读取 read", "清洗 clean", "落点 place", "行/s"):
        assert text in err, text   # the bars, on stderr
    assert "构建完成" in out and "projects" in out and "拒绝" in out   # the summary, layer by layer
    build(source, str(tmp_path / "quiet.gpkg"), progress=False)
    assert capsys.readouterr() == ("", "")


# --- the bundled sample (one slow test) ---------------------------------------------------------
def test_default_sample_build(tmp_path: Path) -> None:
    report = build(None, str(tmp_path / "sample.gpkg"), progress=False)
    store = open_store(str(tmp_path / "sample.gpkg"))
    assert report["sample_data"] is True
    assert len(store.read("streets")) == 26 and len(store.read("zones")) == 8
    for layer, counts in report["layers"].items():
        assert counts["read"] == counts["loaded"] + counts["rejected"], layer
    for layer in POINT_LAYERS:
        frame = store.read(layer, columns=["street", "zone_ids"])
        assert len(frame) == report["layers"][layer]["loaded"] > 0
        assert frame["street"].notna().all(), layer


def test_official_zone_ids_in_any_script_and_no_commas(tmp_path: Path) -> None:
    """A zone_id is letters (any script), digits and "_": it is safe in zone_ids text and in SQL."""
    from shapely.geometry import box
    source = tmp_path / "source"
    source.mkdir()
    lon, lat = KNOWN["lize"]
    gpd.GeoDataFrame({"功能区编号": ["丽泽区", "a,b"], "功能区名称": ["丽泽（正式）", "坏编号"]},
                     geometry=[box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)] * 2,
                     crs="EPSG:4326").to_file(source / "zones.geojson", driver="GeoJSON")
    (source / "stations.csv").write_text(f"站点编号,站点名称,类型,经度,纬度\nS1,甲,先丰站,{lon},{lat}\n", encoding="utf-8")
    report = build(source, str(tmp_path / "store.gpkg"), progress=False)
    [reject] = [r for r in report["rejects"] if r["layer"] == "zones"]
    assert reject["row"] == 2 and reject["column"] == "zone_id" and "字母、数字和下划线" in reject["reason"]
    store = open_store(str(tmp_path / "store.gpkg"))
    assert store.read("stations", zone_id="丽泽区")["zone_ids"].tolist() == [",丽泽区,"]
    assert store.read_members("stations", zone_id="丽泽区")["record_id"].tolist() == ["S1"]
    assert store.read("zone_stats").set_index("zone_id").loc["丽泽区", "citizen_stations"] == 1
