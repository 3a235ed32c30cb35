"""Every download format reads back with the right rows and CRS, states its own CRS, and is
readable by people (labels, dates, numbers at their precision) and safe for Excel."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from dashboard.exports import formats
from dashboard.exports import writers as export
from loaders.schema import ALL_LAYERS, LAYERS

EPSG = {"wgs84": 4326, "cgcs2000": 4490, "gcj02": 4326}
TIANANMEN_WGS84 = (116.391083, 39.907333)   # Wikidata
TIANANMEN_AMAP = (116.3975, 39.9087)         # Amap (GCJ-02), shared/reference/README.md


@pytest.fixture()
def hotline() -> gpd.GeoDataFrame:
    """Three 12345 cases as the store gives them: a date-time, a category, yes/no with a gap,
    one case without coordinates, input coordinate systems that are not the export's."""
    return gpd.GeoDataFrame({
        "case_id": ["C1", "C2", "C3"],
        "received_at": pd.to_datetime(["2026-03-01 08:15:00", "2026-03-02 00:00:00", "2026-03-05 17:40:09"]),
        "category": ["parking", "roads", None],
        "lon": [116.30, 116.31, None], "lat": [39.85, 39.86, None],
        "coord_sys": ["gcj02", "bd09", "wgs84"],
        "street": ["太平桥街道", "太平桥街道", "方庄街道"], "community": ["=HYPERLINK(1)", None, "x"],
        "responded": pd.array([True, False, None], dtype="boolean"),
        "zone_ids": [",lize,", ",lize,hexi,", ""], "placement": ["coordinates", "coordinates", "street"],
        "source_file": ["hotline.csv"] * 3, "source_row": [2, 3, 4],
    }, geometry=[Point(116.30, 39.85), Point(116.31, 39.86), None], crs="EPSG:4326")


def read_back(payload: bytes, fmt: str, tmp_path) -> pd.DataFrame:  # noqa: ANN001
    path = tmp_path / f"back{export.FORMATS[fmt].extension}"
    path.write_bytes(payload)
    if fmt == "csv":
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    if fmt == "xlsx":
        return pd.read_excel(path)
    return gpd.read_file(f"zip://{path}" if fmt == "shp" else path)


# ---------------------------------------------------------------- every file states its own CRS
@pytest.mark.parametrize("crs_key", ["wgs84", "cgcs2000", "gcj02"])
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv", "xlsx"])
def test_every_format_reads_back_and_states_its_own_crs(tmp_path, tiny_projects, fmt, crs_key):
    frame = tiny_projects.assign(coord_sys=["bd09", "gcj02", "wgs84"])
    back = read_back(export.to_bytes(frame, export.ExportOptions(fmt, crs_key, "projects", headers="codes")), fmt, tmp_path)
    assert len(back) == len(tiny_projects)
    assert "丽泽金融中心" in set(back["name"])
    assert set(back["export_crs"]) == {export.CRS_TAGS[crs_key]}
    assert "coord_sys" not in back.columns   # the input's CRS never poses as the file's
    provenance = back["src_crs"] if fmt == "shp" else back["source_coord_sys"]
    assert list(provenance) == ["bd09", "gcj02", "wgs84"]
    if fmt in ("geojson", "gpkg", "shp"):
        assert back.crs.to_epsg() == EPSG[crs_key]
        located = back[back.geometry.notna()]
        assert located.geometry.x.round(6).tolist() == pd.to_numeric(located["lon"]).round(6).tolist()


def test_gcj02_download_matches_amap_for_tiananmen(tmp_path, tiny_projects):
    """The export must land within ~25 m of Amap's point (the two sources name the spot to about
    that), far closer than the ~540 m shift itself; lon/lat and export_crs say GCJ-02 too."""
    point = tiny_projects.iloc[[0]].copy()
    point = point.set_geometry(gpd.points_from_xy([TIANANMEN_WGS84[0]], [TIANANMEN_WGS84[1]]), crs="EPSG:4326")
    point["lon"], point["lat"] = TIANANMEN_WGS84
    shifted = export.in_crs(point, "gcj02")
    assert shifted.geometry.x.iloc[0] == pytest.approx(TIANANMEN_AMAP[0], abs=3e-4)
    assert shifted.geometry.y.iloc[0] == pytest.approx(TIANANMEN_AMAP[1], abs=3e-4)
    back = gpd.read_file(io.BytesIO(export.to_bytes(point, export.ExportOptions("geojson", "gcj02", "projects"))))
    assert back.geometry.x.iloc[0] == pytest.approx(TIANANMEN_AMAP[0], abs=3e-4)
    table = read_back(export.to_bytes(point, export.ExportOptions("csv", "gcj02", "projects", headers="labels")), "csv", tmp_path)
    assert table["导出坐标系"].iloc[0] == "GCJ-02"
    assert float(table["经度"].iloc[0]) == pytest.approx(TIANANMEN_AMAP[0], abs=3e-4)
    assert float(table["纬度"].iloc[0]) == pytest.approx(TIANANMEN_AMAP[1], abs=3e-4)
    cgcs = export.in_crs(point, "cgcs2000")  # CGCS2000 and WGS84 agree to well under a metre
    assert cgcs.geometry.x.iloc[0] == pytest.approx(TIANANMEN_WGS84[0], abs=1e-5)


def test_metadata_states_the_files_crs(tmp_path, tiny_projects):
    info = export.ExportInfo("wang", "analyst", "projects", None, "gpkg", "gcj02", 3, "none").at_now()
    path = tmp_path / "x.gpkg"
    path.write_bytes(export.to_bytes(tiny_projects, export.ExportOptions("gpkg", "gcj02", "projects", info)))
    meta = pyogrio.read_info(path)["layer_metadata"]
    assert meta["fengtai_export_crs"].startswith("GCJ-02")
    member = json.loads(export.to_bytes(tiny_projects, export.ExportOptions("geojson", "cgcs2000", "projects", info)))["fengtai_export"]
    assert member["export_crs"] == "EPSG:4490"


# ---------------------------------------------------------------- labels for people, codes for machines
def test_csv_labels_chinese_headers_with_code_columns(tmp_path, hotline):
    payload = export.to_bytes(hotline, export.ExportOptions("csv", "wgs84", "hotline", headers="labels", zone_names={"lize": "丽泽金融商务区"}))
    assert payload.startswith(b"\xef\xbb\xbf")
    text = payload.decode("utf-8-sig")
    back = read_back(payload, "csv", tmp_path)
    assert list(back.columns[:4]) == ["工单编号", "受理时间", "诉求类别", "诉求类别代码"]
    assert list(back["诉求类别"]) == ["停车难", "道路不通畅", ""]
    assert list(back["诉求类别代码"]) == ["parking", "roads", ""]
    assert list(back["响应"]) == ["是", "否", ""]
    assert back["所属功能区"].iloc[1] == "丽泽金融商务区、hexi" and back["所属功能区代码"].iloc[1] == ",lize,hexi,"
    assert list(back["落点方式"]) == ["按坐标落点", "按坐标落点", "按街镇统计（无坐标）"]
    assert list(back["来源坐标系（已转换）"]) == ["gcj02", "bd09", "wgs84"]
    # a 12345 case keeps its time; midnight is a time too here, shown as such
    assert list(back["受理时间"]) == ["2026-03-01 08:15:00", "2026-03-02 00:00:00", "2026-03-05 17:40:09"]
    assert back["社区"].iloc[0] == "'=HYPERLINK(1)"
    for junk in ("None", "nan", "<NA>", "NaT"):
        assert junk not in text, junk


def test_codes_mode_keeps_field_names_and_codes(tmp_path, hotline):
    back = read_back(export.to_bytes(hotline, export.ExportOptions("csv", "wgs84", "hotline", headers="codes")), "csv", tmp_path)
    assert list(back.columns[:3]) == ["case_id", "received_at", "category"]
    assert not [c for c in back.columns if c.endswith("_code")]
    assert list(back["category"]) == ["parking", "roads", ""] and list(back["responded"]) == ["True", "False", ""]


def test_english_labels_follow_the_language(tmp_path, hotline):
    back = read_back(export.to_bytes(hotline, export.ExportOptions("csv", "wgs84", "hotline", headers="labels", lang="en")), "csv", tmp_path)
    assert {"Case ID", "Category", "Category code", "Export CRS", "Responded"} <= set(back.columns)
    assert list(back["Responded"]) == ["Yes", "No", ""]


def test_dates_are_dates_and_numbers_carry_their_precision(tmp_path, tiny_projects):
    frame = tiny_projects.assign(investment_total=[1.5350000000000001, 25.476000000000003, None],
                                 lon=[116.300000000001, 116.31, None],
                                 days_late=pd.array([None, 12, None], dtype="Int64"))
    text = export.to_bytes(frame, export.ExportOptions("csv", "wgs84", "projects", headers="labels")).decode("utf-8-sig")
    back = read_back(text.encode("utf-8-sig"), "csv", tmp_path)
    assert list(back["总投资(亿元)"]) == ["1.535", "25.476", ""]
    assert list(back["开工时间"]) == ["", "2022-03-01", "2019-05-01"]
    assert list(back["经度"]) == ["116.3", "116.31", ""] and list(back["滞后天数"]) == ["", "12", ""]
    assert "00:00:00" not in text and "0000000" not in text and "None" not in text


def test_precision_by_unit():
    assert export.decimals("projects", "investment_total") == 4          # 亿元
    assert export.decimals("enterprises", "registered_capital") == 2     # 万元
    assert export.decimals("hotline", "lon") == 6
    assert export.decimals("zone_stats", "hotline_satisfaction_rate") == 3
    assert export.decimals("communities", "population") == 0             # people are whole
    stats = gpd.GeoDataFrame({"zone_id": ["lize"], "population": [1234.0000001], "hotline_response_rate": [0.912345],
                              "covered_population_share": [0.33333333]}, geometry=[None], crs="EPSG:4326")
    out = export.prepare(stats, "zone_stats", "wgs84")
    assert out["population"].dtype == "Int64" and out["population"].iloc[0] == 1234
    assert out["hotline_response_rate"].iloc[0] == 0.912 and out["covered_population_share"].iloc[0] == 0.333


def test_xlsx_cells_are_numbers_and_dates_with_formats(hotline, tiny_projects):
    book = openpyxl.load_workbook(io.BytesIO(export.to_bytes(hotline, export.ExportOptions("xlsx", "cgcs2000", "hotline", headers="labels"))))
    sheet = book.worksheets[0]
    head = {cell.value: i for i, cell in enumerate(sheet[1])}
    first = sheet[2]
    received = first[head["受理时间"]]
    assert received.is_date and received.value == pd.Timestamp("2026-03-01 08:15:00")
    assert received.number_format == "yyyy-mm-dd hh:mm:ss"
    assert first[head["经度"]].data_type == "n" and first[head["经度"]].number_format == "0.000000"
    assert first[head["来源行号"]].value == 2 and first[head["导出坐标系"]].value == "EPSG:4490"
    assert first[head["诉求类别"]].value == "停车难" and first[head["诉求类别代码"]].value == "parking"
    assert first[head["社区"]].value == "'=HYPERLINK(1)"   # no formula runs
    assert sheet[4][head["诉求类别"]].value is None         # empty is empty
    projects = openpyxl.load_workbook(io.BytesIO(export.to_bytes(tiny_projects.assign(investment_total=[1.5350000000000001, 20.0, None]), export.ExportOptions("xlsx", "wgs84", "projects", headers="labels")))).worksheets[0]
    head = {cell.value: i for i, cell in enumerate(projects[1])}
    start = projects[3][head["开工时间"]]
    assert start.is_date and start.number_format == "yyyy-mm-dd"
    money = projects[2][head["总投资(亿元)"]]
    assert money.value == 1.535 and money.number_format == "#,##0.00##"


def test_xlsx_reads_back_with_neutralised_formulas(tiny_projects):
    back = pd.read_excel(io.BytesIO(export.to_bytes(tiny_projects, export.ExportOptions("xlsx", "cgcs2000", "projects"))))
    assert len(back) == 3
    assert back["owner_unit"].iloc[0] == "'=1+1"


def test_csv_has_bom_rows_and_neutralised_formulas(tiny_projects):
    data = export.to_bytes(tiny_projects, export.ExportOptions("csv", "wgs84", "projects"))
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(back) == 3
    assert list(back["owner_unit"]) == ["'=1+1", "'+SUM(A1)", "'@cmd"]
    assert back["address"].iloc[0] == "'-2"
    assert back["lat"].isna().iloc[2]


def test_polygons_export_wkt_in_csv(tiny_polygons):
    back = pd.read_csv(io.BytesIO(export.to_bytes(tiny_polygons, export.ExportOptions("csv", "wgs84", "zones"))), encoding="utf-8-sig")
    assert back["wkt"].str.startswith("POLYGON").all() and set(back["export_crs"]) == {"EPSG:4326"}


def test_neutralise_leaves_numbers_alone():
    frame = pd.DataFrame({"a": ["=1+1", "ok", None], "n": [-1, 2, 3]})
    out = export.neutralise_formulas(frame)
    assert list(out["a"][:2]) == ["'=1+1", "ok"] and list(out["n"]) == [-1, 2, 3]


# ---------------------------------------------------------------- chunked writing, limits, names
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "geojson", "shp"])
def test_a_file_written_in_chunks_equals_one_written_at_once(tmp_path, hotline, fmt):
    whole = read_back(export.to_bytes(hotline, export.ExportOptions(fmt, "gcj02", "hotline", headers="labels")), fmt, tmp_path)
    path = tmp_path / f"chunks{export.FORMATS[fmt].extension}"
    writer = export.FileWriter(path, export.ExportOptions(fmt, "gcj02", "hotline", headers="labels"))
    for part in (hotline.iloc[[0]], hotline.iloc[[1, 2]]):   # the second chunk brings the empty cells
        writer.write(part)
    writer.close()
    chunked = read_back(path.read_bytes(), fmt, tmp_path)
    assert writer.rows == 3
    pd.testing.assert_frame_equal(pd.DataFrame(chunked), pd.DataFrame(whole))


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path, hotline, monkeypatch):
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 2)
    assert not export.fits("xlsx", 3) and export.fits("xlsx", 2) and export.fits("csv", 3)
    with pytest.raises(export.ExportError, match="CSV or GeoPackage"):
        export.write_file(hotline, tmp_path / "x.xlsx", export.ExportOptions("xlsx", "wgs84", "hotline"))
    assert not (tmp_path / "x.xlsx").exists()
    export.write_file(hotline, tmp_path / "x.csv", export.ExportOptions("csv", "wgs84", "hotline"))   # CSV takes them


def test_file_name_carries_layer_filter_data_date_and_crs():
    name = export.file_name("hotline", "lize_parking", "csv", "wgs84", built=date(2026, 11, 28))
    assert name == "hotline_lize_parking_data20261128_wgs84.csv"
    assert export.file_name("projects", "", "xlsx", "gcj02", day=date(2026, 11, 27)) == \
        "projects_all_dl20261127_gcj02.xlsx"


def _downloadable_columns(layer: str) -> list[str]:
    """The columns a Shapefile of ``layer`` has (coord_sys renamed, export_crs added)."""
    if layer in ("zone_stats", "street_stats"):
        base = [*LAYERS[layer].dtypes, "name"]
    else:
        base = list(LAYERS[layer].dtypes)
    return [export.SOURCE_CRS if c == "coord_sys" else c for c in base] + [export.EXPORT_CRS]


@pytest.mark.parametrize("layer", [*ALL_LAYERS, "zone_stats", "street_stats"])
def test_shapefile_names_are_declared_readable_and_unique(layer):
    columns = _downloadable_columns(layer)
    names = export.short_field_names(columns, layer)
    undeclared = [c for c in columns if c not in export.SHORT_NAMES]
    assert undeclared == [], f"declare a Shapefile name for {undeclared} in export.SHORT_NAMES"
    assert len({n.lower() for n in names.values()}) == len(columns)
    assert all(len(n) <= 10 and not re.search(r"_\d+$", n) for n in names.values()), names   # no zone_dec_1


def test_shapefile_zip_has_cpg_readable_fields_and_labelled_map(tmp_path, tiny_projects):
    frame = tiny_projects.assign(zone_declared=["lize", "lize", None])
    with zipfile.ZipFile(io.BytesIO(export.to_bytes(frame, export.ExportOptions("shp", "wgs84", "projects")))) as zf:
        names = zf.namelist()
        assert "projects.cpg" in names and "projects.shp" in names and "fields.csv" in names
        assert zf.read("projects.cpg").decode().strip().upper().replace("-", "") == "UTF8"
        mapping = pd.read_csv(io.BytesIO(zf.read("fields.csv")), encoding="utf-8-sig").set_index("column")
    fields = dict(zip(mapping.index, mapping["field"]))
    assert fields["zone_declared"] == "zone_decl" and fields["zone_declared_mismatch"] == "zone_mism"
    assert mapping.loc["zone_declared_mismatch", "label"] == "申报功能区不符"
    back = read_back(export.to_bytes(frame, export.ExportOptions("shp", "wgs84", "projects")), "shp", tmp_path)
    assert {"zone_decl", "zone_mism", "inv_total", "start", "export_crs", "owner_unit"} <= set(back.columns)
    assert back["start"].astype(str).iloc[1].startswith("2022-03-01")


def test_unknown_format_is_refused(tiny_projects):
    with pytest.raises(export.ExportError, match="format"):
        export.to_bytes(tiny_projects, export.ExportOptions("kml", "wgs84", "projects"))


_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_header_of_every_layer_is_in_the_files_language(lang):
    """Issue 18.3: a Chinese export's headers are all Chinese (the code columns too, e.g. 状态代码),
    an English export's all English: for every column of every store layer and its code column."""
    from loaders.schema import LAYERS

    wrong = []
    for name, layer in LAYERS.items():
        columns = [c.name for c in layer.columns]
        coded = [f"{c}_code" for c in columns if export.enum_kind(name, c) or c in ("zone_ids", "zone_declared")]
        for column in [*columns, *coded, export.EXPORT_CRS, export.SOURCE_CRS, export.WKT]:
            label = export.header_label(name, column, lang)
            if (lang == "zh") != bool(_CJK.search(label)):
                wrong.append(f"{name}.{column}: {label}")
    assert wrong == []
    assert export.header_label("projects", "status_code", "zh") == "状态代码"
    assert export.header_label("projects", "status_code", "en") == "Status code"
