"""Write the small bad-input files of ``tests/data/`` (run once; the outputs are committed).

    /work/venv/bin/python tests/data/make_fixtures.py

Every file is tiny and hand-shaped like an agency's export: a GBK CSV, an XLSX with a
merged title row and a two-row merged header, GCJ-02 / BD-09 coordinates of known WGS84
positions, wrong USCC check characters, swapped coordinates, points outside the district,
duplicates, old street names, official boundary files in EPSG:4490 and EPSG:4527
(a zipped Shapefile with GBK attributes and no ``.cpg``), and communities (社区/村) as a
GBK CSV of GCJ-02 points and as GeoJSON polygons. ``fixtures.json`` records the known
positions and, for the community files, what a loader should make of each row.

The GCJ-02 / BD-09 values are computed here with a scalar re-implementation of the
published formulas (not ``geodata.crs``), so the loader is checked against an
independent computation; the formulas themselves are checked against published test
vectors in ``tests/geodata/test_crs.py``. The outside points are placed relative to the
bundled street polygons (``geodata/files/streets.geojson``): if those change, run this
script again (the tests check the premise and say so).
"""
from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

# Known WGS84 positions (lon, lat) inside the bundled schematic streets / zones.
KNOWN = {
    "lize_station": (116.31005, 39.85536),   # 新村街道; in both lize and fengtai_station
    "lize": (116.312, 39.866),               # 太平桥街道; lize only
    "changxindian": (116.195, 39.825),       # 长辛店街道; xishan_yongding, zgc_fengtai and hexi
    "fengtai": (116.28798, 39.85826),        # 丰台街道; no zone
    "nanyuan": (116.38044, 39.79247),        # 南苑街道; nanzhongzhou
    "huaxiang": (116.31321, 39.80068),       # 花乡街道; no zone
}
TIANANMEN_WGS84 = (116.391083, 39.907333)   # Wikidata; far outside Fengtai
# Distances (m) due west of the district's westernmost vertex (UTM 50N).
OUTSIDE_OFFSETS = {"snap_50": 50.0, "snap_99": 99.0, "far_101": 101.0, "far_1500": 1500.0}

# Published valid unified social credit codes (their check characters verify).
USCC_HUAWEI = "914403001922038216"     # 华为技术有限公司
USCC_XIAOMI = "91110108551385082Q"     # 小米科技有限责任公司
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# --- independent scalar GCJ-02 / BD-09 forward formulas --------------------------------
_A, _EE = 6378245.0, 0.00669342162296594323


def _tlat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _tlon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def gcj02(lon: float, lat: float) -> tuple[float, float]:
    dlat, dlon = _tlat(lon - 105.0, lat - 35.0), _tlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    dlon = dlon * 180.0 / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def bd09(lon: float, lat: float) -> tuple[float, float]:
    glon, glat = gcj02(lon, lat)
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(glon * glon + glat * glat) + 0.00002 * math.sin(glat * x_pi)
    theta = math.atan2(glat, glon) + 0.000003 * math.cos(glon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def uscc_with_check(body17: str) -> str:
    """Append the GB 32100-2015 check character (weights 3^i mod 31)."""
    total = sum(USCC_CHARSET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body17))
    return body17 + USCC_CHARSET[(31 - total % 31) % 31]


def wrong_check(code: str) -> str:
    """The same code with a different (wrong) 18th character."""
    i = USCC_CHARSET.index(code[17])
    return code[:17] + USCC_CHARSET[(i + 1) % 31]


# A code computed here for a made-up body: 9 (工商) 1 (企业) 110106 (丰台) + 9-char org code.
USCC_COMPUTED = uscc_with_check("91110106MA01ABCD2")


def outside_points() -> dict[str, tuple[float, float]]:
    """Points due west (UTM 50N) of the westernmost vertex of the bundled streets' union."""
    import geopandas as gpd
    import shapely

    streets = gpd.read_file(REPO_ROOT / "geodata" / "files" / "streets.geojson").to_crs("EPSG:32650")
    coords = shapely.get_coordinates(shapely.union_all(streets.geometry.to_numpy()).exterior)
    west = coords[coords[:, 0].argmin()]
    out = {}
    for key, metres in OUTSIDE_OFFSETS.items():
        pt = gpd.GeoSeries([shapely.Point(west[0] - metres, west[1])], crs="EPSG:32650").to_crs("EPSG:4326")
        out[key] = (round(pt.x.iloc[0], 7), round(pt.y.iloc[0], 7))
    return out


def _r(value: float) -> str:
    return f"{value:.7f}"


# --- the files -------------------------------------------------------------------------
def write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


PROJECTS_GBK = [
    # row 1: header. Units in the header, full-width digits in values.
    ["项目编号", "项目名称", "项目状态", "项目级别", "产业类别", "总投资（万元）", "开工时间", "竣工时间",
     "经度", "纬度", "所属街镇", "所属功能区", "责任单位"],
    ["GBK-001", "丽泽金融中心（示例）", "在建", "市级", "金融", "５０，０００", "2023年3月1日", "2026/12/31",
     "116.31005", "39.85536", "", "丽泽", "丰台区发展改革委"],                                # row 2
    ["GBK-002", "轨道交通创新中心（示例）", "开工", "区级", "轨道交通", "12000", "2024-05-01", "2025.6",
     "116.28798", "39.85826", "丰台街道", "", ""],                                             # row 3
    ["GBK-003", "方庄社区服务中心（示例）", "竣工", "国家级", "量子计算", "800", "2021-01-01", "2022-12-31",
     "", "", "方庄地区", "", ""],                                                               # row 4
    ["GBK-004", "暂停项目（示例）", "暂停", "区级", "商贸", "100", "", "", "116.28798", "39.85826", "", "", ""],  # row 5
    ["GBK-005", "倒序工期（示例）", "储备", "", "商贸", "100", "2024-06-01", "2023-01-01",
     "116.28798", "39.85826", "", "", ""],                                                     # row 6
    ["GBK-006", "日期不明（示例）", "储备", "", "商贸", "100", "明年春天", "", "116.28798", "39.85826", "", "", ""],  # row 7
    ["GBK-001", "重复编号（示例）", "在建", "", "金融", "100", "", "", "116.312", "39.866", "", "", ""],  # row 8
    ["GBK-007", "负投资（示例）", "在建", "", "金融", "-5", "", "", "116.312", "39.866", "", "", ""],   # row 9
    ["", "", "", "", "", "", "", "", "", "", "", "", ""],                                      # row 10: blank
    ["GBK-008", "空白行之后（示例）", "REServe", "Municipal", "finance", "３００", "2024.5", "",
     "116.312", "39.866", "", "", ""],                                                         # row 11
]


def projects_places() -> list[list[str]]:
    out = outside_points()
    k = KNOWN
    g_lon, g_lat = gcj02(*k["fengtai"])
    b_lon, b_lat = bd09(*k["nanyuan"])
    a_lon, a_lat = gcj02(*TIANANMEN_WGS84)
    return [
        ["project_id", "Name", "STATUS", "lon", "lat", "coord_sys", "street", "zone"],           # row 1
        ["PL-01", "WGS84 点", "在建", _r(k["lize_station"][0]), _r(k["lize_station"][1]), "WGS84", "", "丽泽金融商务区"],  # 2
        ["PL-02", "GCJ-02 点", "在建", _r(g_lon), _r(g_lat), "GCJ-02", "", ""],                   # row 3
        ["PL-03", "BD-09 点", "在建", _r(b_lon), _r(b_lat), "百度", "", "南中轴"],                 # row 4
        ["PL-04", "CGCS2000 点", "在建", _r(k["huaxiang"][0]), _r(k["huaxiang"][1]), "CGCS2000", "", ""],  # row 5
        ["PL-05", "经纬度填反", "在建", _r(k["lize"][1]), _r(k["lize"][0]), "wgs84", "", "丽泽"],  # row 6
        ["PL-06", "区界外50米", "在建", _r(out["snap_50"][0]), _r(out["snap_50"][1]), "", "", ""],  # row 7
        ["PL-07", "区界外99米", "在建", _r(out["snap_99"][0]), _r(out["snap_99"][1]), "", "", ""],  # row 8
        ["PL-08", "区界外101米", "在建", _r(out["far_101"][0]), _r(out["far_101"][1]), "", "", ""],  # row 9
        ["PL-09", "区界外1.5公里", "在建", _r(out["far_1500"][0]), _r(out["far_1500"][1]), "", "", ""],  # row 10
        ["PL-10", "天安门（高德坐标）", "在建", _r(a_lon), _r(a_lat), "高德", "", ""],             # row 11
        ["PL-11", "方庄地区无坐标", "储备", "", "", "", "方庄地区", "丽泽"],                       # row 12
        ["PL-12", "宛平城地区无坐标", "储备", "", "", "", "宛平城地区", ""],                       # row 13
        ["PL-13", "花乡乡无坐标", "储备", "", "", "", "花乡乡", ""],                               # row 14
        ["PL-14", "未知街镇无坐标", "储备", "", "", "", "朝阳门街道", ""],                         # row 15
        ["PL-15", "无坐标无街镇", "储备", "", "", "", "", ""],                                     # row 16
        ["PL-16", "只有经度", "在建", "116.3", "", "", "丰台街道", ""],                            # row 17
        ["PL-17", "申报功能区不符", "在建", _r(k["lize"][0]), _r(k["lize"][1]), "", "", "中关村丰台园"],  # row 18
        ["PL-18", "三区重叠", "在建", _r(k["changxindian"][0]), _r(k["changxindian"][1]), "", "长辛店", "河西"],  # row 19
        ["PL-19", "投影坐标", "在建", "442000", "4412000", "", "", ""],                            # row 20
        ["PL-20", "坐标系未知", "在建", "116.3", "39.85", "北京54", "", ""],                       # row 21
        ["PL-21", "全角坐标", "在建", "１１６．２８７９８", "３９．８５８２６", "", "", ""],         # row 22
    ]


def enterprises_uscc() -> list[list[str]]:
    return [
        ["统一社会信用代码", "企业名称", "行业", "服务包企业", "注册资本（亿元）", "成立日期", "经度", "纬度",
         "所属街镇", "联系人", "联系电话"],                                                       # row 1
        [USCC_HUAWEI, "华为技术有限公司（公开代码）", "数字经济", "是", "0.5", "1987-09-15", "", "", "丰台街道", "", ""],  # 2
        [USCC_COMPUTED, "示例科技有限公司", "金融", "否", "１，０００万元", "2020/1/2", "116.31005", "39.85536", "", "张三", "010-00000000"],  # 3
        [wrong_check(USCC_HUAWEI), "校验位错误一", "金融", "是", "", "", "", "", "丰台街道", "", ""],  # row 4
        [wrong_check(USCC_COMPUTED), "校验位错误二", "金融", "是", "", "", "", "", "丰台街道", "", ""],  # row 5
        ["91110106MA01ABCD", "位数不足", "金融", "是", "", "", "", "", "丰台街道", "", ""],            # row 6
        ["9111010IMA01ABCD2" + USCC_COMPUTED[17], "含字母I", "金融", "是", "", "", "", "", "丰台街道", "", ""],  # row 7
        [USCC_XIAOMI.lower(), "小米科技有限责任公司（公开代码，小写）", "数字经济", "Y", "", "", "", "", "新村街道", "", ""],  # 8
        [USCC_HUAWEI, "重复代码", "金融", "否", "", "", "", "", "丰台街道", "", ""],                  # row 9
        ["", "缺代码", "金融", "否", "", "", "", "", "丰台街道", "", ""],                              # row 10
        [uscc_with_check("91110106MA01WXYK3"), "服务包值错误", "金融", "也许", "", "", "", "", "丰台街道", "", ""],  # 11
    ]


HOTLINE_GB18030 = [
    ["工单编号", "受理时间", "诉求类别", "所属街镇", "社区", "响应", "解决", "满意", "备注"],
    ["H-1", "2024-05-01 08:30:00", "停车难", "丰台街道", "王䶮社区（示例）", "是", "是", "满意", "GB18030 专有字"],  # 2
    ["H-2", "2024/5/2 9:15", "道路不通畅", "宛平城地区", "", "已响应", "未解决", "否", "旧称"],            # row 3
    ["H-3", "二〇二四年", "物业", "丰台街道", "", "是", "是", "是", ""],                                    # row 4
    ["H-4", "2024-05-03", "噪音", "丰台街道", "", "是", "是", "是", ""],                                    # row 5
]

# Short enough that statistical detectors take the GBK bytes for Korean (cp949).
HOTLINE_TINY_GBK = [
    ["case_id", "received_at", "street"],
    ["T-1", "2024-05-01", "丰台街道"],
]

PROJECTS_MISSING_NAME = [
    ["项目编号", "项目状态", "经度", "纬度"],
    ["M-1", "在建", "116.28798", "39.85826"],
]


_FULL_WIDTH = str.maketrans("０１２３４５６７８９，", "0123456789,")

# Communities from an Amap (GCJ-02) picker, saved by Excel as GBK. Each entry: the row as
# written (lon/lat filled in from ``KNOWN`` through ``gcj02``), and what a loader should
# make of it (recorded in fixtures.json): the canonical street, the population, the
# WGS84 position (None: placed by street only), or the reason the row is rejected.
COMMUNITIES_GCJ02 = [
    # name, street as written, population as written, code, known point, 坐标系 as written
    ("示例丽泽站社区", "新村街道", "6200", "110106010901", "lize_station", "gcj02"),        # row 2
    ("示例丽泽路社区", "太平桥街道", "5400", "110106002901", "lize", "高德"),               # row 3
    ("示例长辛店村", "长辛店街道", "2100", "110106011901", "changxindian", "GCJ-02"),        # row 4
    ("示例丰台东社区", "丰台街道", "4800", "", "fengtai", "高德"),                         # row 5
    ("示例南苑社区", "南苑街道", "１，２００", "110106005901", "nanyuan", "gcj02"),          # row 6: full-width digits
    ("示例花乡社区", "花乡街道", "3900", "110106018901", "huaxiang", "火星坐标"),           # row 7
    ("示例方庄社区", "方庄地区", "7300", "110106013901", None, ""),                         # row 8: old name, no coordinates
    ("", "丰台街道", "1000", "", "fengtai", "gcj02"),                                       # row 9: name missing
]
COMMUNITIES_GCJ02_STREET = {"方庄地区": "方庄街道"}   # old names and what they resolve to


def communities_gcj02() -> list[list[str]]:
    rows = [["社区名称", "所属街镇", "常住人口", "社区代码", "经度", "纬度", "坐标系"]]
    for name, street, population, code, known, system in COMMUNITIES_GCJ02:
        lon, lat = ("", "") if known is None else tuple(_r(v) for v in gcj02(*KNOWN[known]))
        rows.append([name, street, population, code, lon, lat, system])
    return rows


def communities_gcj02_expected() -> list[dict]:
    """Row by row (1-based spreadsheet rows, header = 1): what the loader should keep."""
    out = []
    for row, (name, street, population, code, known, system) in enumerate(COMMUNITIES_GCJ02, start=2):
        entry = {"row": row, "name": name, "street": COMMUNITIES_GCJ02_STREET.get(street, street),
                 "population": int(population.translate(_FULL_WIDTH).replace(",", "")),
                 "wgs84": None if known is None else list(KNOWN[known]), "known": known}
        if not name:
            entry["rejected"] = "社区名称 missing (required)"
        out.append(entry)
    return out


# Community polygons: small buffers (radius COMMUNITY_POLYGON_DEG in EPSG:4326, 12 sides)
# around known points, each inside a different street. Turned by 15° so that no vertex
# lies level with the centre: then the known point is both the centroid and the
# representative point (GEOS's interior point) of each polygon.
COMMUNITY_POLYGONS = [
    ("示例丽泽西社区", "太平桥街道", 5100, "lize"),
    ("示例长辛店北社区", "长辛店街道", 3300, "changxindian"),
    ("示例丰台西社区", "丰台街道", 6400, "fengtai"),
    ("示例南苑东社区", "南苑街道", 4700, "nanyuan"),
    ("示例花乡南社区", "花乡街道", 2900, "huaxiang"),
]
COMMUNITY_POLYGON_DEG = 0.003   # about 255 m east-west, 333 m north-south


def community_polygon(lon: float, lat: float):  # noqa: ANN201 - a shapely Polygon
    """A 12-sided buffer around (lon, lat), vertices at 15° + k·30° (none level with the centre)."""
    import shapely

    ring = [(round(lon + COMMUNITY_POLYGON_DEG * math.cos(math.radians(15 + 30 * k)), 9),
             round(lat + COMMUNITY_POLYGON_DEG * math.sin(math.radians(15 + 30 * k)), 9)) for k in range(12)]
    return shapely.Polygon(ring)


def write_community_polygons(path: Path) -> None:
    """Community polygons as GeoJSON (EPSG:4326), Chinese property names."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame({
        "社区名称": [c[0] for c in COMMUNITY_POLYGONS],
        "所属街镇": [c[1] for c in COMMUNITY_POLYGONS],
        "常住人口": [c[2] for c in COMMUNITY_POLYGONS],
    }, geometry=[community_polygon(*KNOWN[c[3]]) for c in COMMUNITY_POLYGONS], crs="EPSG:4326")
    # The premise: each polygon lies inside the bundled street it names, around its known point.
    streets = _bundled_streets()
    for (name, street, _, known), geom in zip(COMMUNITY_POLYGONS, frame.geometry):
        assert streets.loc[street, "geometry"].contains(geom), f"{name} is not inside {street}: re-place it"
        rep = geom.representative_point()
        assert abs(rep.x - KNOWN[known][0]) < 1e-9 and abs(rep.y - KNOWN[known][1]) < 1e-9, name
    path.unlink(missing_ok=True)
    frame.to_file(path, driver="GeoJSON")


def community_polygons_expected() -> list[dict]:
    return [{"name": name, "street": street, "population": population, "wgs84": list(KNOWN[known]),
             "known": known} for name, street, population, known in COMMUNITY_POLYGONS]


def write_titled_xlsx(path: Path) -> None:
    """Row 1: merged title; rows 2-3: header (位置坐标 over 经度/纬度, the rest merged down)."""
    from openpyxl import Workbook

    header = ["项目编号", "项目名称", "项目状态", "总投资（万元）", "开工时间", "经度", "纬度", "所属街镇"]
    rows = [
        ["XL-01", "丽泽数字金融楼（示例）", "在建", "１２，０００", "2024-03-01", 116.312, 39.866, ""],   # row 4
        ["XL-02", "长辛店低空试验场（示例）", "储备", 5000, None, 116.195, 39.825, "长辛店街道"],        # row 5
        ["XL-03", "坐标写错（示例）", "在建", "300", None, 116.28798, "北纬39度", ""],                  # row 6
        ["XL-01", "重复编号（示例）", "在建", "300", None, 116.28798, 39.85826, ""],                     # row 7
        ["XL-04", "宛平城文化街区（示例）", "建成", "２５０万元", None, None, None, "宛平城地区"],       # row 8
    ]
    book = Workbook()
    sheet = book.active
    sheet.title = "重大项目"
    sheet.cell(1, 1, "丰台区2024年重大项目台账（示例）")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    for c, name in enumerate(header, start=1):
        if name in ("经度", "纬度"):
            sheet.cell(2, c, "位置坐标")
            sheet.cell(3, c, name)
        else:
            sheet.cell(2, c, name)
            sheet.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    lon_col = header.index("经度") + 1
    sheet.merge_cells(start_row=2, start_column=lon_col, end_row=2, end_column=lon_col + 1)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(r, c, value)
    book.properties.created = book.properties.modified = __import__("datetime").datetime(2024, 1, 1)
    book.save(path)


def write_station_points(geojson: Path, gpkg: Path) -> None:
    """Stations as Point features (GeoJSON in WGS84, GeoPackage in EPSG:4490)."""
    import geopandas as gpd
    import shapely

    k = KNOWN
    frame = gpd.GeoDataFrame({
        "站点编号": ["S-1", "S-2", "S-3", "S-1"],
        "站点名称": ["丰台街道先丰站（示例）", "丽泽先丰港（示例）", "无位置站点（示例）", "重复站点（示例）"],
        "类型": ["先丰站", "先丰港", "先丰站", "先丰站"],
        "层级": ["街镇", "园区", "社区", "社区"],
        "所属街镇": ["", "", "方庄地区", ""],
    }, geometry=[shapely.Point(*k["fengtai"]), shapely.Point(*k["lize"]), None,
                 shapely.Point(*k["huaxiang"])], crs="EPSG:4326")
    geojson.unlink(missing_ok=True)
    gpkg.unlink(missing_ok=True)
    frame.to_file(geojson, driver="GeoJSON")
    frame.set_crs("EPSG:4490", allow_override=True).to_file(gpkg, driver="GPKG", layer="stations")


def _bundled_streets():
    import geopandas as gpd

    frame = gpd.read_file(REPO_ROOT / "geodata" / "files" / "streets.geojson")
    return frame.set_index("name")


def write_streets_4490(path: Path) -> None:
    """Three streets as an official GeoJSON in CGCS2000 (EPSG:4490), Chinese attribute names."""
    import geopandas as gpd

    streets = _bundled_streets()
    names = ["丰台街道", "新村街道", "太平桥街道"]
    frame = gpd.GeoDataFrame({"街镇名称": ["丰台街道", "新村地区", "太平桥街道办事处"],
                              "代码": [streets.loc[n, "code"][:9] for n in names],
                              "常住人口": [100000, 80000, 60000]},
                             geometry=streets.loc[names].geometry.to_numpy(), crs="EPSG:4326")
    path.unlink(missing_ok=True)
    frame.set_crs("EPSG:4490", allow_override=True).to_file(path, driver="GeoJSON")


def _zip_shapefile(frame, zip_path: Path, stem: str, encoding: str = "GBK") -> None:
    """A zipped Shapefile with attributes in ``encoding``, no .cpg and no code page in the .dbf."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        frame.to_file(shp, driver="ESRI Shapefile", encoding=encoding)
        shp.with_suffix(".cpg").unlink(missing_ok=True)
        dbf = shp.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = 0  # language driver id: unknown, as in many official exports
        dbf.write_bytes(bytes(data))
        zip_path.unlink(missing_ok=True)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for suffix in (".shp", ".shx", ".dbf", ".prj"):
                part = shp.with_suffix(suffix)
                info = zipfile.ZipInfo(f"{stem}/{part.name}", date_time=(2024, 1, 1, 0, 0, 0))
                archive.writestr(info, part.read_bytes(), zipfile.ZIP_DEFLATED)


def write_streets_4527(zip_path: Path) -> None:
    """Four streets as land-survey data: XZQMC/XZQDM, EPSG:4527, GBK, zipped, no .cpg.

    六里桥街道 carries its pre-2021 name 卢沟桥街道 with its code 110106008: the code decides.
    """
    import geopandas as gpd

    streets = _bundled_streets()
    names = ["丰台街道", "新村街道", "太平桥街道", "六里桥街道"]
    frame = gpd.GeoDataFrame({"XZQMC": ["丰台街道", "新村街道", "太平桥街道", "卢沟桥街道"],
                              "XZQDM": [streets.loc[n, "code"] for n in names]},
                             geometry=streets.loc[names].geometry.to_numpy(), crs="EPSG:4326")
    _zip_shapefile(frame.to_crs("EPSG:4527"), zip_path, "XZQ_JD")


def write_zones_4527(zip_path: Path) -> None:
    """Two official zones (Chinese field names, GBK, EPSG:4527): a small lize, a small new zone."""
    import geopandas as gpd
    import shapely

    k = KNOWN
    centres = gpd.GeoSeries([shapely.Point(*k["lize"]), shapely.Point(*k["fengtai"])],
                            crs="EPSG:4326").to_crs("EPSG:4527")
    frame = gpd.GeoDataFrame({"功能区编号": ["lize", "test_zone"],
                              "功能区名称": ["丽泽金融商务区", "测试功能区"],
                              "类型": ["重点功能区", "功能组团"]},
                             geometry=centres.buffer(300, quad_segs=4), crs="EPSG:4527")
    _zip_shapefile(frame, zip_path, "功能区")


def main(out: Path = HERE) -> None:
    """Write every fixture into ``out`` (``tests/data/`` by default)."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "projects_gbk.csv", PROJECTS_GBK, "gbk")
    write_csv(out / "projects_places.csv", projects_places(), "utf-8")
    write_csv(out / "enterprises_uscc.csv", enterprises_uscc(), "utf-8-sig")
    write_csv(out / "hotline_gb18030.csv", HOTLINE_GB18030, "gb18030")
    write_csv(out / "hotline_tiny_gbk.csv", HOTLINE_TINY_GBK, "gbk")
    write_csv(out / "projects_missing_name.csv", PROJECTS_MISSING_NAME, "utf-8")
    write_csv(out / "communities_gcj02_gbk.csv", communities_gcj02(), "gbk")
    write_community_polygons(out / "communities_polygons.geojson")
    write_titled_xlsx(out / "projects_titled.xlsx")
    write_station_points(out / "stations_points.geojson", out / "stations_points.gpkg")
    write_streets_4490(out / "streets_cgcs2000.geojson")
    write_streets_4527(out / "streets_xzq_4527_gbk.zip")
    write_zones_4527(out / "zones_4527_gbk.zip")
    (out / "fixtures.json").write_text(json.dumps({
        "known_wgs84": KNOWN, "tiananmen_wgs84": TIANANMEN_WGS84, "outside": outside_points(),
        "uscc_computed": USCC_COMPUTED,
        "communities_gcj02_gbk": communities_gcj02_expected(),
        "communities_polygons": community_polygons_expected()}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8")
    print("written:", ", ".join(sorted(p.name for p in out.iterdir() if p.name != Path(__file__).name)))


if __name__ == "__main__":
    main()
