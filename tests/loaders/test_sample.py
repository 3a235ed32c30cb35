"""The synthetic sample's files (``loaders/sample.py``), read back as written: no build.

The sample is generated once per module at the "tiny" scale: projects, communities and
stations draw from their own random streams and do not depend on the scale, so they are
the files of every scale. Plan delays are checked as of the generator's fixed
``REFERENCE_DATE`` (the build measures them as of its ``as_of``, the reference date for the
bundled sample unless a later one is given, which only adds delays).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook

from geodata import boundaries
from geodata.crs import METRIC_CRS, normalise_coord_sys, to_wgs84
from loaders.sample import NEWLY_LATE, REFERENCE_DATE, write_sample

COMMUNITY_HEADER = ["社区名称", "所属街镇", "常住人口", "社区代码", "经度", "纬度", "坐标系"]
POPULATION_BAND = (1_800_000, 2_200_000)   # synthetic total of about 2 million (domain.md: ~2.02 million, 2020)
COVERAGE_M = 1_000


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(tmp_path_factory.mktemp("sample") / "source", scale="tiny")


@pytest.fixture(scope="module")
def communities(sample: Path) -> pd.DataFrame:
    return pd.read_csv(sample / "communities.csv", encoding="utf-8-sig", dtype={"社区代码": str})


@pytest.fixture(scope="module")
def projects(sample: Path) -> pd.DataFrame:
    return read_projects(sample / "projects.xlsx")


@pytest.fixture(scope="module")
def streets() -> gpd.GeoDataFrame:
    return boundaries.load_streets()


def read_projects(path: Path) -> pd.DataFrame:
    """The projects sheet: title in row 1, header in rows 2-3 (经度/纬度 under 位置坐标)."""
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [low or high for high, low in zip(rows[1], rows[2])]
    return pd.DataFrame(rows[3:], columns=header)


def xlsx_cells(path: Path) -> tuple:
    sheet = load_workbook(path).worksheets[0]
    return list(sheet.iter_rows(values_only=True)), sorted(str(r) for r in sheet.merged_cells.ranges)


def wgs84_points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """The rows with coordinates, converted to WGS84 by their 坐标系 (GCJ-02 rows included)."""
    located = frame.dropna(subset=["经度", "纬度"])
    systems = located["坐标系"].map(normalise_coord_sys).fillna("wgs84").to_numpy()
    lon, lat = to_wgs84(located["经度"].to_numpy(), located["纬度"].to_numpy(), systems)
    return gpd.GeoDataFrame(located.drop(columns=["经度", "纬度"]), geometry=gpd.points_from_xy(lon, lat),
                            crs="EPSG:4326")


# --- determinism -------------------------------------------------------------------------------
def test_two_runs_write_identical_files(sample: Path, tmp_path: Path) -> None:
    again = write_sample(tmp_path / "again", scale="tiny")
    names = sorted(p.name for p in sample.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    assert {"projects.xlsx", "enterprises.csv", "communities.csv", "stations.csv", "hotline.csv"} <= set(names)
    for name in names:
        if name.endswith(".xlsx"):
            assert xlsx_cells(sample / name) == xlsx_cells(again / name), name
        else:
            assert (sample / name).read_bytes() == (again / name).read_bytes(), name


# --- communities ---------------------------------------------------------------------------------
def test_communities_file_shape(sample: Path, communities: pd.DataFrame) -> None:
    raw = (sample / "communities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                         # UTF-8 with BOM
    assert list(communities.columns) == COMMUNITY_HEADER
    assert 350 <= len(communities) <= 450
    names = communities["社区名称"].dropna()
    assert names.str.contains("示例").all()
    assert names.str.endswith(("社区", "村")).all()
    villages = names.str.endswith("村").sum()
    assert 50 <= villages <= 90, villages
    assert not names.duplicated().any()


def test_communities_streets_are_canonical(communities: pd.DataFrame, streets: gpd.GeoDataFrame) -> None:
    given = communities["所属街镇"].dropna()
    assert set(given) <= set(streets["name"])
    assert set(given) == set(streets["name"])                      # every street has communities
    # the one row with no street is the deliberate "no location at all" defect
    missing = communities[communities["所属街镇"].isna()]
    assert len(missing) == 1 and missing[["经度", "纬度"]].isna().all(axis=None)


def test_communities_defects_are_few_and_deliberate(communities: pd.DataFrame) -> None:
    no_name = communities["社区名称"].isna()
    negative = communities["常住人口"] < 0
    no_place = communities["所属街镇"].isna() & communities["经度"].isna()
    assert (no_name.sum(), negative.sum(), no_place.sum()) == (1, 1, 1)
    assert (no_name | negative | no_place).sum() <= 5
    # a few known only by street: placed by street, never given an invented point
    by_street = communities["经度"].isna() & communities["所属街镇"].notna()
    assert 3 <= by_street.sum() <= 10
    assert (communities.loc[communities["经度"].isna(), "坐标系"].isna()).all()


def test_community_population_is_plausible(communities: pd.DataFrame) -> None:
    valid = communities.loc[communities["常住人口"] > 0, "常住人口"]
    assert POPULATION_BAND[0] <= valid.sum() <= POPULATION_BAND[1], valid.sum()
    assert 2_000 <= valid.median() <= 8_000                       # a few thousand each
    assert valid.max() < 30_000 and valid.min() >= 300


def test_community_codes(communities: pd.DataFrame, streets: gpd.GeoDataFrame) -> None:
    codes = communities["社区代码"]
    assert codes.str.fullmatch(r"110106\d{3}9\d{2}").all()          # 9NN: clear of real community codes
    assert not codes.duplicated().any()
    street_code = dict(zip(streets["name"], streets["code"].str[:9]))
    given = communities.dropna(subset=["所属街镇"])
    assert (given["社区代码"].str[:9] == given["所属街镇"].map(street_code)).all()


def test_community_coordinate_systems(communities: pd.DataFrame) -> None:
    systems = communities["坐标系"].dropna()
    assert set(systems) == {"WGS84", "GCJ-02"}
    share = (systems == "GCJ-02").mean()
    assert 0.2 <= share <= 0.5, share


def test_community_points_lie_in_their_street(communities: pd.DataFrame, streets: gpd.GeoDataFrame) -> None:
    points = wgs84_points(communities.dropna(subset=["所属街镇"]))
    assert len(points) >= 380
    joined = gpd.sjoin(points, streets[["name", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    wrong = joined[joined["name"] != joined["所属街镇"]]
    assert wrong.empty, wrong[["社区名称", "所属街镇", "name"]]
    # the GCJ-02 rows really are offset: read as WGS84 they would be ~500 m east
    gcj = communities[communities["坐标系"] == "GCJ-02"]
    assert len(gcj) > 50
    assert (gcj["经度"] - wgs84_points(gcj).geometry.x.to_numpy()).between(0.004, 0.008).all()


def test_most_but_not_all_communities_are_near_a_citizen_station(sample: Path, communities: pd.DataFrame) -> None:
    stations = pd.read_csv(sample / "stations.csv", encoding="utf-8-sig")
    assert len(stations) == 450                                     # 26 street + 394 community-level + 30 先丰港
    citizen = wgs84_points(stations[stations["类型"] == "先丰站"]).to_crs(METRIC_CRS)
    assert len(citizen) == 420
    points = wgs84_points(communities).to_crs(METRIC_CRS)
    nearest = gpd.sjoin_nearest(points, citizen[["geometry"]], distance_col="metres")
    distance = nearest.groupby(level=0)["metres"].min()
    share = (distance <= COVERAGE_M).mean()
    assert 0.60 <= share <= 0.95, share
    assert 0.75 <= share <= 0.90, share                            # as designed: about 85 %


def test_station_names_and_tiers(sample: Path) -> None:
    stations = pd.read_csv(sample / "stations.csv", encoding="utf-8-sig")
    assert stations["站点名称"].str.contains("示例").all()
    assert not stations["站点编号"].duplicated().any()
    assert set(stations["层级"]) <= {"街镇", "社区", "村", "园区", "部门"}
    assert list(stations.columns) == ["站点编号", "站点名称", "类型", "层级", "服务内容", "服务时间", "电话",
                                      "经度", "纬度", "坐标系", "所属街镇"]


# --- projects -------------------------------------------------------------------------------------
def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column].replace("", None), format="%Y-%m-%d")


def test_projects_have_plan_columns(projects: pd.DataFrame) -> None:
    for column in ("计划开工时间", "计划竣工时间", "累计完成投资(亿元)", "开工时间", "竣工时间", "总投资（万元）"):
        assert column in projects.columns, column
    assert len(projects) == 300
    assert projects["项目名称"].str.contains("示例").all()
    assert _dates(projects, "计划开工时间").notna().all() and _dates(projects, "计划竣工时间").notna().all()


@pytest.mark.parametrize("status, low, high", [("储备", 0.10, 0.20), ("在建", 0.15, 0.25), ("建成", 0.20, 0.30)])
def test_share_of_projects_behind_plan(projects: pd.DataFrame, status: str, low: float, high: float) -> None:
    rows = projects[projects["项目状态"] == status]
    assert len(rows) >= 40
    if status == "储备":       # not started by the planned start
        late = _dates(rows, "计划开工时间") < REFERENCE_DATE
    elif status == "在建":     # still running after the planned completion
        late = _dates(rows, "计划竣工时间") < REFERENCE_DATE
    else:                      # finished after the planned completion
        late = _dates(rows, "竣工时间") > _dates(rows, "计划竣工时间")
    assert low <= late.mean() <= high, (status, late.mean())


def _regular(projects: pd.DataFrame) -> pd.Series:
    """Rows that are not one of make_projects' deliberate defects (missing status, negative
    investment, completion before start)."""
    reversed_dates = _dates(projects, "竣工时间") < _dates(projects, "开工时间")
    return projects["项目状态"].notna() & (projects["总投资（万元）"] > 0) & ~reversed_dates


def test_project_defects_are_few(projects: pd.DataFrame) -> None:
    assert (~_regular(projects)).sum() <= 5


def test_project_dates_fit_the_status(projects: pd.DataFrame) -> None:
    regular = projects[_regular(projects)]
    status = regular["项目状态"]
    start, end = _dates(regular, "开工时间"), _dates(regular, "竣工时间")
    p_start, p_end = _dates(regular, "计划开工时间"), _dates(regular, "计划竣工时间")
    assert (p_end > p_start).all()
    reserve, running, done = status == "储备", status == "在建", status == "建成"
    assert start[reserve].isna().all() and end[reserve].isna().all()
    assert (start[running] < REFERENCE_DATE).all() and end[running].isna().all()
    assert (start[done] < end[done]).all() and (end[done] < REFERENCE_DATE).all()
    # late ones are late by 1-18 months as of the reference date (or at completion), except the
    # NEWLY_LATE few that fell behind only days before it (the sample's project_newly_delayed alerts)
    days = pd.concat([(REFERENCE_DATE - p_start)[reserve & (p_start < REFERENCE_DATE)],
                      (REFERENCE_DATE - p_end)[running & (p_end < REFERENCE_DATE)],
                      (end - p_end)[done & (end > p_end)]]).dt.days
    assert len(days) >= 40
    assert sorted(days[days < 28]) == sorted(d for ds in NEWLY_LATE.values() for d in ds)
    assert days.max() <= 18 * 31


def test_investment_done(projects: pd.DataFrame) -> None:
    regular = projects[_regular(projects)]
    share = regular["累计完成投资(亿元)"] * 10_000 / regular["总投资（万元）"]
    status = regular["项目状态"]
    assert (share[status == "储备"] == 0).all()
    assert share[status == "在建"].between(0.0999, 0.9001).all()
    assert share[status == "建成"].between(0.9699, 1.0001).all()


# --- every name says 示例 --------------------------------------------------------------------------
def test_every_name_says_sample(sample: Path, projects: pd.DataFrame, communities: pd.DataFrame) -> None:
    enterprises = pd.read_csv(sample / "enterprises.csv", encoding="gb18030", usecols=["企业名称", "联系人"])
    hotline = pd.read_csv(sample / "hotline.csv", encoding="utf-8", usecols=["社区"])
    stations = pd.read_csv(sample / "stations.csv", encoding="utf-8-sig", usecols=["站点名称", "电话"])
    for label, values in (("项目名称", projects["项目名称"]), ("企业名称", enterprises["企业名称"]),
                          ("联系人", enterprises["联系人"]), ("社区", hotline["社区"]),
                          ("站点名称", stations["站点名称"]), ("社区名称", communities["社区名称"].dropna()),
                          ("责任单位", projects["责任单位"]), ("电话", stations["电话"])):
        assert values.astype(str).str.contains("示例").all(), label
    assert "示例" in str(load_workbook(sample / "projects.xlsx", read_only=True).worksheets[0]["A1"].value)
