"""loaders.read: encodings, title rows, merged headers, aliases, units in headers, geo files."""
from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geodata.boundaries import load_streets
from loaders.errors import BuildError
from loaders.read import find_layer_files, normalise_header, read_layer_file
from loaders.schema import SOURCE_ROW
from tests.conftest import DATA
from tests.loaders.conftest import KNOWN

GBK_HEADER = ["project_id", "name", "status", "level", "industry", "investment_total", "start_date",
              "completion_date", "lon", "lat", "street", "zone", "owner_unit"]


def test_gbk_file_is_really_gbk() -> None:
    data = (DATA / "projects_gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "丽泽金融中心" in data.decode("gbk")


def test_gbk_csv_is_detected_and_read() -> None:
    table = read_layer_file("projects", DATA / "projects_gbk.csv")
    assert table.encoding in ("gbk", "gb18030", "gb2312", "cp936")
    frame = table.frame
    assert list(frame.columns) == [*GBK_HEADER, SOURCE_ROW]
    assert frame.loc[0, "name"] == "丽泽金融中心（示例）"
    assert frame.loc[0, "investment_total"] == "５０，０００"   # still text: clean converts it
    # the blank line (row 10) is dropped, the rows after it keep their spreadsheet number
    assert frame[SOURCE_ROW].tolist() == [2, 3, 4, 5, 6, 7, 8, 9, 11]
    assert table.units == {"investment_total": "万元"}


@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gb18030", "gb18030")])
def test_same_rows_whatever_the_encoding(tmp_path: Path, encoding: str, detected: str) -> None:
    text = (DATA / "projects_gbk.csv").read_bytes().decode("gbk")
    path = tmp_path / "projects.csv"
    path.write_bytes(text.encode(encoding))
    table = read_layer_file("projects", path)
    reference = read_layer_file("projects", DATA / "projects_gbk.csv")
    assert table.encoding == detected
    pd.testing.assert_frame_equal(table.frame, reference.frame)
    assert not table.frame["project_id"].iloc[0].startswith("\ufeff")


def test_short_gbk_file_is_not_taken_for_korean() -> None:
    import charset_normalizer
    data = (DATA / "hotline_tiny_gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    # the premise: a statistical detector alone gets this file wrong
    assert charset_normalizer.from_bytes(data).best().encoding != "gb18030"
    table = read_layer_file("hotline", DATA / "hotline_tiny_gbk.csv")
    assert table.encoding == "gb18030"
    assert table.frame[["case_id", "street"]].to_dict("records") == [{"case_id": "T-1", "street": "丰台街道"}]


@pytest.mark.parametrize("text", ["工单编号,受理时间,街道\nH1,2024-05-01,丰台街道\n", "编号,名称,类型\n1,甲,先丰站\n",
                                  "项目编号,项目名称,项目状态\nP1,丽泽,在建\n"])
def test_short_gbk_files_decode(tmp_path: Path, text: str) -> None:
    layer = {"工": "hotline", "编": "stations", "项": "projects"}[text[0]]
    path = tmp_path / f"{layer}.csv"
    path.write_bytes(text.encode("gbk"))
    table = read_layer_file(layer, path)
    expected = text.splitlines()[1].split(",")
    assert table.frame.iloc[0, : len(expected)].tolist() == expected


def test_undecodable_csv_is_a_build_error(tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_bytes("项目编号,项目名称,项目状态\n".encode() + b"\x81\x30\xff\xfe,\x80\x80\n")
    with pytest.raises(BuildError, match="projects.csv: 无法识别文件编码"):
        read_layer_file("projects", path)


def test_gb18030_only_characters_survive() -> None:
    data = (DATA / "hotline_gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")  # 䶮 (CJK extension A) exists in GB18030 only
    table = read_layer_file("hotline", DATA / "hotline_gb18030.csv")
    assert table.encoding == "gb18030"
    assert table.frame.loc[0, "community"] == "王䶮社区（示例）"
    assert table.ignored_columns == ["备注"]


def test_titled_xlsx_with_merged_two_row_header() -> None:
    table = read_layer_file("projects", DATA / "projects_titled.xlsx")
    frame = table.frame
    assert set(frame.columns) == {"project_id", "name", "status", "investment_total", "start_date",
                                  "lon", "lat", "street", SOURCE_ROW}
    # title row 1, header rows 2-3: the first data row is row 4
    assert frame[SOURCE_ROW].tolist() == [4, 5, 6, 7, 8]
    assert frame["project_id"].tolist() == ["XL-01", "XL-02", "XL-03", "XL-01", "XL-04"]
    assert frame.loc[0, ["lon", "lat"]].tolist() == ["116.312", "39.866"]
    assert frame.loc[0, "investment_total"] == "１２，０００"
    assert table.units == {"investment_total": "万元"}


@pytest.mark.parametrize("header, expected", [
    ("总投资（万元）", ("总投资", "万元")), ("总投资(亿元)", ("总投资", "亿元")), ("总投资/万元", ("总投资", "万元")),
    ("总投资万元", ("总投资", "万元")), ("总投资", ("总投资", None)), (" Project ID ", ("projectid", None)),
    ("经度(东经)", ("经度", None)), ("ＬＡＴ", ("lat", None)),
])
def test_normalise_header(header: str, expected: tuple) -> None:
    assert normalise_header(header) == expected


def test_english_and_chinese_aliases_any_case(tmp_path: Path) -> None:
    path = tmp_path / "stations.csv"
    path.write_text("Station_ID,NAME,类型,Tier,LNG,Latitude,CRS,所属街道,地址\n"
                    "S1,站,先丰站,社区,116.3,39.85,gcj02,丰台街道,某路1号\n", encoding="utf-8")
    frame = read_layer_file("stations", path).frame
    assert list(frame.columns) == ["station_id", "name", "kind", "tier", "lon", "lat", "coord_sys",
                                   "street", "address", SOURCE_ROW]
    assert frame.iloc[0].tolist() == ["S1", "站", "先丰站", "社区", "116.3", "39.85", "gcj02", "丰台街道",
                                      "某路1号", 2]


def test_header_is_found_below_notes(tmp_path: Path) -> None:
    path = tmp_path / "hotline.csv"
    path.write_text("12345诉求清单,,\n导出时间：2024-05-01,,\n工单编号,受理时间,街道\nA,2024-05-01,丰台街道\n",
                    encoding="utf-8")
    frame = read_layer_file("hotline", path).frame
    assert frame[SOURCE_ROW].tolist() == [4]


def test_missing_required_column_names_file_and_column() -> None:
    with pytest.raises(BuildError) as info:
        read_layer_file("projects", DATA / "projects_missing_name.csv")
    message = str(info.value)
    assert "projects_missing_name.csv" in message
    assert "name（项目名称）" in message
    assert "\n" not in message


def test_two_columns_for_one_name_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_text("项目编号,编号,项目名称,项目状态\n1,2,x,在建\n", encoding="utf-8")
    with pytest.raises(BuildError, match="编号"):
        read_layer_file("projects", path)


def test_find_layer_files_lists_unknown_files(tmp_path: Path) -> None:
    for name in ("projects.csv", "hotline.xlsx", "streets.zip", "notes.txt", "projects_2023.csv",
                 "stations.docx", ".hidden.csv"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found, unknown = find_layer_files(tmp_path)
    assert {k: v.name for k, v in found.items()} == {"projects": "projects.csv", "hotline": "hotline.xlsx",
                                                     "streets": "streets.zip"}
    assert unknown == ["notes.txt", "projects_2023.csv", "stations.docx"]


def test_two_files_for_one_layer_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "projects.csv").write_text("x", encoding="utf-8")
    (tmp_path / "projects.xlsx").write_text("x", encoding="utf-8")
    with pytest.raises(BuildError, match="projects.csv.*projects.xlsx"):
        find_layer_files(tmp_path)


def test_missing_source_folder(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="--source"):
        find_layer_files(tmp_path / "nope")


@pytest.mark.parametrize("name", ["stations_points.geojson", "stations_points.gpkg"])
def test_point_layer_from_geometry_file(name: str) -> None:
    """Points in a GeoJSON (WGS84) or GeoPackage (EPSG:4490) give lon/lat in WGS84."""
    table = read_layer_file("stations", DATA / name)
    frame = table.frame
    assert frame[SOURCE_ROW].tolist() == [1, 2, 3, 4]
    assert frame["station_id"].tolist() == ["S-1", "S-2", "S-3", "S-1"]
    assert [float(v) for v in frame.loc[0, ["lon", "lat"]]] == pytest.approx(KNOWN["fengtai"], abs=1e-6)
    assert [float(v) for v in frame.loc[1, ["lon", "lat"]]] == pytest.approx(KNOWN["lize"], abs=1e-6)
    assert frame.loc[2, ["lon", "lat"]].tolist() == ["", ""]   # a feature with no geometry
    assert frame.loc[[0, 1, 3], "coord_sys"].eq("wgs84").all()


def test_official_geojson_in_cgcs2000_is_converted() -> None:
    table = read_layer_file("streets", DATA / "streets_cgcs2000.geojson")
    frame = table.frame
    assert isinstance(frame, gpd.GeoDataFrame)
    assert frame.crs.to_epsg() == 4326
    assert frame["name"].tolist() == ["丰台街道", "新村地区", "太平桥街道办事处"]
    assert frame["population"].tolist() == ["100000", "80000", "60000"]
    bundled = load_streets().set_index("name")
    assert frame.geometry.iloc[0].equals_exact(bundled.loc["丰台街道", "geometry"], 1e-9)


def test_zipped_shapefile_gbk_without_cpg(tmp_path: Path) -> None:
    with zipfile.ZipFile(DATA / "zones_4527_gbk.zip") as archive:
        names = archive.namelist()
        dbf = archive.read(next(n for n in names if n.endswith(".dbf")))
        prj = archive.read(next(n for n in names if n.endswith(".prj"))).decode()
    assert not any(n.lower().endswith(".cpg") for n in names)
    assert "功能区编号".encode("gbk") in dbf and dbf[29] == 0
    assert "Gauss" in prj or "CGCS2000" in prj
    table = read_layer_file("zones", DATA / "zones_4527_gbk.zip")
    frame = table.frame
    assert frame["zone_id"].tolist() == ["lize", "test_zone"]
    assert frame["name"].tolist() == ["丽泽金融商务区", "测试功能区"]
    assert frame["kind"].tolist() == ["重点功能区", "功能组团"]
    assert frame.crs.to_epsg() == 4326
    centre = frame.geometry.iloc[0].centroid
    assert (centre.x, centre.y) == pytest.approx(KNOWN["lize"], abs=1e-4)


def test_land_survey_shapefile_field_names() -> None:
    frame = read_layer_file("streets", DATA / "streets_xzq_4527_gbk.zip").frame
    assert frame["name"].tolist() == ["丰台街道", "新村街道", "太平桥街道", "卢沟桥街道"]
    assert frame["code"].tolist() == ["110106009000", "110106010000", "110106002000", "110106008000"]


def test_shapefile_without_prj_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "streets.zip"
    with zipfile.ZipFile(DATA / "streets_xzq_4527_gbk.zip") as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith(".prj"):
                dst.writestr(info, src.read(info))
    with pytest.raises(BuildError, match="EPSG:4490"):
        read_layer_file("streets", target)


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "projects.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(BuildError, match=".txt"):
        read_layer_file("projects", path)
