"""A build's indicators: communities, the zone link table, zone/street stats, in both stores.

The input is tiny and every figure is worked out by hand below. Communities come from the
fixtures ``communities_gcj02_gbk.csv`` (GBK, GCJ-02 lon/lat) and
``communities_polygons.geojson`` (polygons around known points); projects, stations and
12345 cases are written here. The build's clock is fixed (``NOW``), so the tests pass on
any date.

Where the known points are (bundled schematic geodata; distances in METRIC_CRS):

    lize          太平桥街道  zone lize
    lize_station  新村街道    zones lize, fengtai_station      1,193 m from lize
    changxindian  长辛店街道  zones xishan_yongding, zgc_fengtai, hexi
    fengtai       丰台街道    no zone                          2,227 m from lize
    nanyuan       南苑街道    zone nanzhongzhou
    huaxiang      花乡街道    no zone

先丰站 (citizen stations) stand at lize and changxindian; a 先丰港 (enterprise port) at
fengtai does not cover communities.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from loaders.__main__ import main
from loaders.build import build
from loaders.membership import links_from_text
from loaders.schema import RECORD_ID
from loaders.store import open_store
from tests.loaders.conftest import FIXTURES, KNOWN, make_source, rejects_by_row, warnings_of
from tests.postgis import PostGISServer

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))   # as_of 2025-03-10


def _xy(known: str) -> str:
    return "{},{}".format(*KNOWN[known])


PROJECTS = f"""项目编号,项目名称,项目状态,总投资(万元),累计完成投资(万元),计划开工时间,计划竣工时间,竣工时间,经度,纬度,所属街镇
P-LATE,示例昨日到期,在建,20000,5000,2023-01-01,2025-03-09,,{_xy("lize")},
P-NOSTART,示例未按期开工,储备,10000,,2025-02-28,2026-12-31,,{_xy("lize_station")},
P-OK,示例按期,在建,30000,10000,2024-01-01,2025-12-31,,{_xy("lize")},
P-DONE,示例延期建成,建成,5000,5000,2023-01-01,2024-12-31,2025-01-10,{_xy("fengtai")},
P-STREET,示例无坐标逾期,在建,1000,,2023-01-01,2025-03-01,,,,太平桥街道
"""
STATIONS = f"""站点编号,站点名称,类型,经度,纬度
S-LIZE,示例丽泽先丰站,先丰站,{_xy("lize")}
S-CXD,示例长辛店先丰站,先丰站,{_xy("changxindian")}
S-PORT,示例丰台先丰港,先丰港,{_xy("fengtai")}
"""
HOTLINE = f"""工单编号,受理时间,所属街镇,经度,纬度,响应,解决,满意
H1,2025-01-05 10:00,太平桥街道,,,是,是,是
H2,2025-01-06 11:00,太平桥街道,,,是,否,
H3,2025-02-01 09:00,太平桥街道,,,否,否,否
H4,2025-02-02 09:00,,{_xy("lize")},是,是,是
"""


def _source(folder: Path, communities: tuple[str, str]) -> Path:
    source = make_source(folder, {communities[0]: communities[1]})
    (source / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    (source / "stations.csv").write_text(STATIONS, encoding="utf-8")
    (source / "hotline.csv").write_text(HOTLINE, encoding="utf-8")
    return source


@pytest.fixture(scope="module")
def csv_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object, Path]:
    folder = tmp_path_factory.mktemp("indicators")
    source = _source(folder / "source", ("communities_gcj02_gbk.csv", "communities.csv"))
    report = build(source, str(folder / "store.gpkg"), progress=False, now=NOW)
    return report, open_store(str(folder / "store.gpkg")), source


@pytest.fixture(scope="module")
def polygon_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object]:
    folder = tmp_path_factory.mktemp("polygons")
    source = _source(folder / "source", ("communities_polygons.geojson", "communities.geojson"))
    report = build(source, str(folder / "store.gpkg"), progress=False, now=NOW)
    return report, open_store(str(folder / "store.gpkg"))


def stats(store: object, table: str) -> pd.DataFrame:
    key = "zone_id" if table == "zone_stats" else "street"
    return store.read(table).set_index(key)


# --- communities --------------------------------------------------------------------------
def test_communities_from_a_gbk_csv_in_gcj02(csv_build) -> None:  # noqa: ANN001
    report, store, _ = csv_build
    assert report["layers"]["communities"] == {**report["layers"]["communities"], "read": 8, "loaded": 7,
                                               "rejected": 1}
    assert rejects_by_row(report, "communities")[9]["column"] == "name"
    communities = store.read("communities").set_index("source_row")
    for expected in FIXTURES["communities_gcj02_gbk"]:
        if "rejected" in expected:
            continue
        row = communities.loc[expected["row"]]
        assert (row["name"], row["street"], row["population"]) == (expected["name"], expected["street"],
                                                                    expected["population"])
        if expected["wgs84"] is None:
            assert row.geometry is None and row["placement"] == "street"
        else:   # GCJ-02 converted back to the known WGS84 point
            assert np.allclose([row["lon"], row["lat"]], expected["wgs84"], atol=1e-5)
    assert [w for w in report["warnings"] if w["layer"] == "communities" and w["kind"] == "encoding"]


def test_community_ids_are_codes_else_street_and_name(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    ids = store.read("communities").set_index("source_row")["community_id"]
    assert ids[2] == "110106010901"
    assert ids[5] == "丰台街道/示例丰台东社区"      # no code
    assert ids[8] == "110106013901"                # 方庄地区 (old name), placed by street
    assert ids.is_unique


def test_repeated_communities_are_rejected_naming_the_first_row(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "communities.csv").write_text(
        "社区名称,所属街镇,常住人口,社区代码\n示例甲社区,丰台街道,100,C1\n示例乙社区,丰台街道,100,C1\n"
        "示例丙社区,丰台地区,100,\n示例丙社区,丰台街道,200,\n", encoding="utf-8")
    report = build(source, str(tmp_path / "dups.gpkg"), progress=False, now=NOW)
    rejects = rejects_by_row(report, "communities")
    assert sorted(rejects) == [3, 5]
    assert rejects[3]["reason"].startswith("与第 2 行重复（社区代码 C1）")
    assert rejects[5]["reason"].startswith("与第 4 行重复（社区 丰台街道/示例丙社区）")   # 丰台地区 is 丰台街道
    assert report["layers"]["communities"]["loaded"] == 2


def test_polygon_communities_are_placed_by_their_representative_point(polygon_build) -> None:  # noqa: ANN001
    report, store = polygon_build
    communities = store.read("communities").set_index("name")
    assert set(communities.geometry.geom_type) == {"Point"}
    for expected in FIXTURES["communities_polygons"]:
        row = communities.loc[expected["name"]]
        assert np.allclose([row.geometry.x, row.geometry.y], expected["wgs84"], atol=1e-7)
        assert row["street"] == expected["street"]
        assert row["community_id"] == f"{expected['street']}/{expected['name']}"   # no code column
    [note] = warnings_of(report, "representative_point", "communities")
    assert note["file"] == "communities.geojson" and "5" in note["message"]


def test_per_community_coverage_columns(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    c = store.read("communities").set_index("name")
    assert c.loc["示例丽泽路社区", "nearest_station_m"] == pytest.approx(0, abs=2)
    assert c.loc["示例丽泽站社区", "nearest_station_m"] == pytest.approx(1193, abs=5)
    assert c.loc["示例丰台东社区", "nearest_station_m"] == pytest.approx(2227, abs=5)   # the 先丰港 does not count
    covered = c["covered"]
    assert str(covered.dtype) == "boolean"
    assert covered.astype(object).fillna("NA").to_dict() == {
        "示例丽泽站社区": False, "示例丽泽路社区": True, "示例长辛店村": True, "示例丰台东社区": False,
        "示例南苑社区": False, "示例花乡社区": False, "示例方庄社区": "NA"}   # no point: not known
    assert np.isnan(c.loc["示例方庄社区", "nearest_station_m"])


# --- projects against their plan -------------------------------------------------------------
def test_project_schedule_is_stored_with_days_late(csv_build) -> None:  # noqa: ANN001
    report, store, _ = csv_build
    assert report["as_of"] == "2025-03-10" and report["coverage_m"] == 1000.0
    assert report["built_at"].startswith("2025-03-10")
    p = store.read("projects").set_index("project_id")
    assert p.loc["P-LATE", ["schedule", "days_late"]].tolist() == ["running_late", 1]   # due yesterday
    assert p.loc["P-NOSTART", ["schedule", "days_late"]].tolist() == ["not_started_late", 10]
    assert p.loc["P-DONE", ["schedule", "days_late"]].tolist() == ["completed_late", 10]
    assert p.loc["P-STREET", ["schedule", "days_late"]].tolist() == ["running_late", 9]
    assert p.loc["P-OK", "schedule"] == "on_track" and pd.isna(p.loc["P-OK", "days_late"])
    assert str(p["days_late"].dtype) == "Int64"
    assert p.loc["P-LATE", "investment_done"] == pytest.approx(0.5)       # 5000 万元 = 0.5 亿元
    assert str(p.loc["P-LATE", "planned_completion"].date()) == "2025-03-09"


# --- zone_stats / street_stats, by hand --------------------------------------------------------
def test_zone_stats_by_hand(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    z = stats(store, "zone_stats")
    assert len(z) == 8
    lize = z.loc["lize"]
    # P-LATE, P-NOSTART, P-OK; delayed: P-LATE (due yesterday) and P-NOSTART (not started)
    assert (lize["projects"], lize["projects_delayed"]) == (3, 2)
    assert lize["investment_total"] == pytest.approx(2.0 + 1.0 + 3.0)
    # communities 丽泽站 6,200 (1,193 m from the station: not covered) and 丽泽路 5,400 (covered)
    assert (lize["communities"], lize["community_population"]) == (2, 11_600)
    assert lize["covered_population_share"] == pytest.approx(5_400 / 11_600)
    assert (lize["stations"], lize["citizen_stations"]) == (1, 1)
    # 12345: H4 is the street's one located case of 4: the zone's estimate is 4; its rates are H4's
    assert (lize["hotline_located"], lize["hotline_cases"], lize["hotline_response_rate"]) == (1, 4, 1.0)
    assert z.loc["fengtai_station", "covered_population_share"] == 0.0
    assert z.loc["fengtai_station", "projects_delayed"] == 1
    assert z.loc["hexi", "covered_population_share"] == 1.0                  # 长辛店村 next to its station
    assert z.loc["wulidian", "communities"] == 0 and np.isnan(z.loc["wulidian", "covered_population_share"])
    assert (z["coverage_m"] == 1000.0).all() and (z["as_of"] == pd.Timestamp("2025-03-10")).all()


def test_street_stats_by_hand(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    s = stats(store, "street_stats")
    assert len(s) == 26
    tpq = s.loc["太平桥街道"]
    # P-LATE, P-OK and P-STREET (no point, counted for its street): two are behind plan
    assert (tpq["projects"], tpq["projects_delayed"]) == (3, 2)
    assert (tpq["hotline_cases"], tpq["hotline_response_rate"]) == (4, pytest.approx(3 / 4))
    assert tpq["hotline_satisfaction_rate"] == pytest.approx(2 / 3)            # H2 carries no answer
    assert tpq["covered_population_share"] == 1.0 and tpq["community_population"] == 5_400
    assert s.loc["丰台街道", "covered_population_share"] == 0.0                # only a 先丰港 nearby
    fz = s.loc["方庄街道"]   # 方庄社区: a population, but no point to measure from
    assert (fz["communities"], fz["community_population"]) == (1, 7_300)
    assert np.isnan(fz["covered_population_share"])
    assert s.loc["新村街道", "projects_delayed"] == 1 and s.loc["丰台街道", "projects_delayed"] == 0
    assert s["communities"].sum() == 7


def test_coverage_option_moves_the_share(csv_build, tmp_path: Path) -> None:  # noqa: ANN001
    _, _, source = csv_build
    target, report = tmp_path / "wide.gpkg", tmp_path / "r.json"
    assert main(["build", "--source", str(source), "--store", str(target), "--report", str(report),
                 "--coverage-m", "1500", "--quiet"]) == 0
    assert json.loads(report.read_text(encoding="utf-8"))["coverage_m"] == 1500.0
    z = stats(open_store(str(target)), "zone_stats")
    assert z.loc["lize", "covered_population_share"] == 1.0                   # 1,193 m is within 1,500 m
    assert (z["coverage_m"] == 1500.0).all()


def test_polygon_communities_stats(polygon_build) -> None:  # noqa: ANN001
    _, store = polygon_build
    z, s = stats(store, "zone_stats"), stats(store, "street_stats")
    assert (z.loc["lize", "community_population"], z.loc["lize", "covered_population_share"]) == (5_100, 1.0)
    assert s.loc["花乡街道", "covered_population_share"] == 0.0
    assert s["community_population"].sum() == 5_100 + 3_300 + 6_400 + 4_700 + 2_900


def test_hotline_monthly_is_stored(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    m = store.read("hotline_monthly")
    street = m[(m["level"] == "street") & (m["key"] == "太平桥街道")].groupby("month")["cases"].sum()
    assert street.to_dict() == {pd.Timestamp("2025-01-01"): 2, pd.Timestamp("2025-02-01"): 2}
    assert m.loc[m["level"] == "zone", "cases_estimate"].sum() == pytest.approx(4.0)


# --- the link table ------------------------------------------------------------------------------
def test_zone_members_equal_the_sjoin_of_points_and_zones(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    zones = store.read("zones")[["zone_id", "geometry"]]
    members = store.read_members()
    assert list(members.columns) == ["layer", "record_id", "zone_id"]
    for layer in ("projects", "stations", "hotline", "communities"):
        points = store.read(layer)
        points = points[points.geometry.notna()]
        joined = gpd.sjoin(points, zones, predicate="intersects")
        expected = set(zip(joined[RECORD_ID[layer]], joined["zone_id"]))
        got = members[members["layer"] == layer]
        assert set(zip(got["record_id"], got["zone_id"])) == expected, layer
        assert len(got) == len(expected)
        # the zone_ids text says the same
        text = links_from_text(store.read(layer).set_index(RECORD_ID[layer])["zone_ids"])
        assert set(zip(text["row"], text["zone_id"])) == expected, layer
    assert set(members.loc[members["layer"] == "communities", "zone_id"]) == {
        "lize", "fengtai_station", "xishan_yongding", "zgc_fengtai", "hexi", "nanzhongzhou"}


def test_read_members_and_read_by_zone(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    lize = store.read_members("communities", zone_id="lize")
    assert sorted(lize["record_id"]) == ["110106002901", "110106010901"]
    assert set(store.read_members(zone_id="fengtai_station")["layer"]) == {"projects", "communities"}
    assert sorted(store.read("communities", zone_id="lize")["community_id"]) == sorted(lize["record_id"])
    with pytest.raises(ValueError, match="zone_id"):
        store.read_members(zone_id="lize' OR '1'='1")
    with pytest.raises(ValueError, match="layer"):
        store.read_members("nonsense")


def test_geopackage_indexes_the_link_table(csv_build) -> None:  # noqa: ANN001
    _, store, _ = csv_build
    with sqlite3.connect(store.path) as conn:
        indexed = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index' "
                                                  "AND tbl_name='zone_members'")}
    assert "idx_zone_members_zone_id" in indexed


# --- both stores ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def postgis_url() -> str:
    server = PostGISServer().start()
    yield server.url
    server.stop()


@pytest.mark.postgis
def test_both_stores_hold_identical_tables(csv_build, postgis_url: str) -> None:  # noqa: ANN001
    _, gpkg, source = csv_build
    build(source, postgis_url, progress=False, now=NOW)
    pg = open_store(postgis_url)
    for table, key in (("zone_stats", ["zone_id"]), ("street_stats", ["street"]),
                       ("hotline_monthly", ["level", "key", "month", "category"])):
        a = gpkg.read(table).sort_values(key).reset_index(drop=True)
        b = pg.read(table).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    order = ["layer", "record_id", "zone_id"]
    pd.testing.assert_frame_equal(gpkg.read_members().sort_values(order).reset_index(drop=True),
                                  pg.read_members().sort_values(order).reset_index(drop=True))
    pd.testing.assert_frame_equal(gpkg.read_members("projects", "lize").reset_index(drop=True),
                                  pg.read_members("projects", "lize").sort_values("record_id").reset_index(drop=True))
    for layer in ("projects", "communities", "stations", "hotline"):
        a, b = gpkg.read(layer), pg.read(layer)
        assert dict(a.dtypes.astype(str)) == dict(b.dtypes.astype(str)), layer
    with pg.engine.connect() as conn:
        from sqlalchemy import text
        indexes = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename='zone_members'")).scalars())
        tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'")).scalars())
    assert "idx_zone_members_zone_id" in indexes
    assert {"zone_members", "zone_stats", "street_stats", "hotline_monthly"} <= tables
    assert not [t for t in tables if t.endswith("__new")]
