"""Indicators (``loaders.indicators``) on tiny frames whose answers are obvious by hand.

Everything is laid out in METRIC_CRS metres from an origin in Fengtai and converted to
EPSG:4326, as the store holds it; distances are checked in the same METRIC_CRS the module
measures in, so projection distortion does not enter. ``AS_OF`` is fixed: the tests pass
on any date.

The world (x, y in metres from the origin; every street 2 km × 2 km):

    street A x 0–2000 (population 20,000)   street B x 2000–4000 (10,000)
    street C x 4000–6000 (none; its communities give 5,500)   street D x 6000–8000 (none)
    zone z1 x 0–3000 (all of A, half of B)   zone z2 x 1000–2000 (half of A, inside z1)
    zone z3 = street C   zone z9 far away, on no street and with nothing in it
"""
from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from geodata.crs import METRIC_CRS, STORAGE_CRS
from loaders.indicators import (
    MONTHLY_COLUMNS,
    SCHEDULES,
    STATS_COLUMNS,
    community_coverage,
    compute_stats,
    enterprise_port_coverage,
    hotline_monthly,
    project_schedule,
    street_zone_shares,
)

X0, Y0 = 438_000.0, 4_410_000.0  # about 116.28°E 39.84°N, Fengtai, in UTM 50N
AS_OF = pd.Timestamp("2024-06-15")
NA = pd.NA


def _geo(shapes: list, index: list | None = None) -> gpd.GeoSeries:
    """Shapes drawn in metres from (X0, Y0) in METRIC_CRS, returned in EPSG:4326 (None kept)."""
    moved = [None if s is None else shapely.affinity.translate(s, X0, Y0) for s in shapes]
    return gpd.GeoSeries(moved, index=index, crs=METRIC_CRS).to_crs(STORAGE_CRS)


def _pt(x: float | None, y: float | None = None) -> Point | None:
    return None if x is None else Point(x, y)


def _layer(rows: list[dict], points: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=_geo(points).to_numpy(), crs=STORAGE_CRS)


def _members(links: dict[str, list[tuple[str, str]]]) -> pd.DataFrame:
    rows = [(layer, rid, zone) for layer, pairs in links.items() for rid, zone in pairs]
    return pd.DataFrame(rows, columns=["layer", "record_id", "zone_id"])


@pytest.fixture(scope="module")
def world() -> dict:
    streets = gpd.GeoDataFrame(
        {"name": ["A", "B", "C", "D"], "population": [20_000.0, 10_000.0, np.nan, np.nan]},
        geometry=_geo([box(0, 0, 2000, 2000), box(2000, 0, 4000, 2000), box(4000, 0, 6000, 2000),
                       box(6000, 0, 8000, 2000)]).to_numpy(), crs=STORAGE_CRS)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["z1", "z2", "z3", "z9"], "name": ["一", "二", "三", "九"]},
        geometry=_geo([box(0, 0, 3000, 2000), box(1000, 0, 2000, 2000), box(4000, 0, 6000, 2000),
                       box(20_000, 20_000, 22_000, 22_000)]).to_numpy(), crs=STORAGE_CRS)
    projects = _layer([
        # P1: due yesterday, still under construction; in z1 and z2
        {"project_id": "P1", "street": "A", "status": "under_construction", "investment_total": 1.0,
         "investment_done": 0.5, "planned_start": pd.Timestamp("2023-01-01"),
         "planned_completion": AS_OF - pd.Timedelta(days=1), "completion_date": pd.NaT},
        # P2: reserve, planned to start last week
        {"project_id": "P2", "street": "A", "status": "reserve", "investment_total": 2.0, "investment_done": np.nan,
         "planned_start": AS_OF - pd.Timedelta(days=7), "planned_completion": pd.NaT, "completion_date": pd.NaT},
        # P3: completed 10 days after plan; no coordinates (street B only)
        {"project_id": "P3", "street": "B", "status": "completed", "investment_total": 5.0, "investment_done": 5.0,
         "planned_start": pd.NaT, "planned_completion": pd.Timestamp("2024-05-01"),
         "completion_date": pd.Timestamp("2024-05-11")},
    ], [_pt(1500, 1000), _pt(500, 1500), None])
    enterprises = _layer([
        {"uscc": "E1", "street": "A", "service_package": True},    # 700 m from the 先丰港 S2; z1, z2
        {"uscc": "E2", "street": "A", "service_package": False},   # z1
        {"uscc": "E3", "street": "A", "service_package": NA},      # no point
        {"uscc": "E4", "street": "B", "service_package": True},    # 2,236 m from S2; z1
    ], [_pt(1200, 500), _pt(300, 300), None, _pt(2500, 1500)])
    enterprises["service_package"] = enterprises["service_package"].astype("boolean")
    stations = _layer([
        {"station_id": "S1", "street": "C", "kind": "citizen"},      # 先丰站, z3
        {"station_id": "S2", "street": "A", "kind": "enterprise"},   # 先丰港, z1
    ], [_pt(5000, 1000), _pt(500, 500)])
    # Hotline: street A has 6 located cases (4 in z1 only, 2 in z1 and z2) and 2 without a
    # point; B has 2 located cases (z1) that carry no response or satisfaction; D has 3
    # cases, none located. No ``resolved`` field at all.
    hot_rows, hot_points = [], []
    a_responded = [True, True, True, False, NA, NA, True, NA]
    a_satisfied = [True, False, True, True, NA, NA, NA, NA]
    a_points = [_pt(100, 100), _pt(200, 200), _pt(1500, 100), _pt(300, 300), _pt(1600, 900), _pt(400, 400),
                None, None]
    for i in range(8):
        hot_rows.append({"case_id": f"HA{i}", "street": "A", "responded": a_responded[i], "satisfied": a_satisfied[i],
                         "category": "parking" if i % 2 else None,
                         "received_at": pd.Timestamp(f"2024-0{1 + i % 2}-10")})
        hot_points.append(a_points[i])
    for i in range(2):
        hot_rows.append({"case_id": f"HB{i}", "street": "B", "responded": NA, "satisfied": NA, "category": "roads",
                         "received_at": pd.Timestamp("2024-01-20")})
        hot_points.append(_pt(2500, 500 + 100 * i))
    for i in range(3):
        hot_rows.append({"case_id": f"HD{i}", "street": "D", "responded": True, "satisfied": True, "category": "other",
                         "received_at": pd.Timestamp("2024-02-01")})
        hot_points.append(None)
    hotline = _layer(hot_rows, hot_points)
    for column in ("responded", "satisfied"):
        hotline[column] = hotline[column].astype("boolean")
    communities = _layer([
        {"community_id": "K1", "name": "近", "street": "C", "population": 3000.0},   # 999 m from S1
        {"community_id": "K2", "name": "远", "street": "C", "population": 2000.0},   # 1,001 m from S1
        {"community_id": "K3", "name": "无点", "street": "C", "population": 500.0},  # no point
    ], [_pt(5000 + 999, 1000), _pt(5000, 1000 - 1001), None])
    members = _members({
        "projects": [("P1", "z1"), ("P1", "z2"), ("P2", "z1"), ("NOT-A-PROJECT", "z1")],
        "enterprises": [("E1", "z1"), ("E1", "z2"), ("E2", "z1"), ("E4", "z1")],
        "stations": [("S1", "z3"), ("S2", "z1")],
        "hotline": [(f"HA{i}", "z1") for i in range(6)] + [("HA2", "z2"), ("HA4", "z2"), ("HB0", "z1"), ("HB1", "z1")],
        "communities": [("K1", "z3"), ("K2", "z3")],
    })
    layers = {"projects": projects, "enterprises": enterprises, "stations": stations, "hotline": hotline,
              "communities": communities}
    return {"streets": streets, "zones": zones, "layers": layers, "members": members}


@pytest.fixture(scope="module")
def stats(world: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    zone_stats, street_stats = compute_stats(world["streets"], world["zones"], world["layers"], world["members"],
                                             AS_OF)
    return zone_stats.set_index("zone_id"), street_stats.set_index("street")


# ---------------------------------------------------------------- coverage
def test_community_999_m_is_covered_and_1001_m_is_not(world: dict) -> None:
    cover = community_coverage(world["layers"]["communities"], world["layers"]["stations"], 1000.0)
    assert list(cover.index) == list(world["layers"]["communities"].index)
    assert cover["nearest_station_m"].iloc[0] == pytest.approx(999.0, abs=0.01)
    assert cover["nearest_station_m"].iloc[1] == pytest.approx(1001.0, abs=0.01)
    assert bool(cover["covered"].iloc[0]) is True
    assert bool(cover["covered"].iloc[1]) is False
    assert cover["covered"].iloc[2] is pd.NA            # no point: not known
    assert np.isnan(cover["nearest_station_m"].iloc[2])
    assert str(cover["covered"].dtype) == "boolean"


def test_coverage_ignores_enterprise_ports_and_uses_polygon_representative_point(world: dict) -> None:
    # a 先丰港 right on top of K2 must not cover it; a polygon community around (5000, 1500) is 500 m away
    stations = pd.concat([world["layers"]["stations"],
                          _layer([{"station_id": "S3", "street": "C", "kind": "enterprise"}], [_pt(5000, -1)])],
                         ignore_index=True)
    communities = _layer([{"community_id": "K2", "street": "C", "population": 1.0},
                          {"community_id": "K4", "street": "C", "population": 1.0}],
                         [_pt(5000, 1000 - 1001), box(4990, 1490, 5010, 1510)])
    cover = community_coverage(communities, stations, 1000.0)
    assert list(cover["covered"]) == [False, True]
    assert cover["nearest_station_m"].iloc[1] == pytest.approx(500.0, abs=10.5)


def test_coverage_does_not_modify_a_polygon_layer_already_in_the_metric_crs(world: dict) -> None:
    communities = _layer([{"community_id": "K4", "street": "C", "population": 1.0}],
                         [box(4990, 1490, 5010, 1510)]).to_crs(METRIC_CRS)
    before = communities.copy()
    cover = community_coverage(communities, world["layers"]["stations"], 1000.0)
    assert bool(cover["covered"].iloc[0]) is True
    assert communities.geometry.iloc[0].geom_type == "Polygon"
    pd.testing.assert_frame_equal(communities, before)


def test_coverage_without_any_citizen_station_is_false_not_missing(world: dict) -> None:
    only_ports = world["layers"]["stations"].query("kind == 'enterprise'")
    cover = community_coverage(world["layers"]["communities"], only_ports, 1000.0)
    assert list(cover["covered"].iloc[:2]) == [False, False]
    assert cover["covered"].iloc[2] is pd.NA
    assert cover["nearest_station_m"].isna().all()


def test_enterprise_port_coverage(world: dict) -> None:
    cover = enterprise_port_coverage(world["layers"]["enterprises"], world["layers"]["stations"], 1000.0)
    assert cover["nearest_port_m"].iloc[0] == pytest.approx(700.0, abs=0.01)
    assert list(cover["covered"].iloc[[0, 1, 3]]) == [True, True, False]
    assert cover["covered"].iloc[2] is pd.NA


# ---------------------------------------------------------------- schedule
def test_project_schedule_days_late(world: dict) -> None:
    projects = world["layers"]["projects"]
    sched = project_schedule(projects, AS_OF)
    assert list(sched.index) == list(projects.index)
    assert list(sched["schedule"]) == ["running_late", "not_started_late", "completed_late"]
    assert list(sched["days_late"]) == [1, 7, 10]
    assert str(sched["days_late"].dtype) == "Int64"


def test_project_schedule_on_track_and_no_plan() -> None:
    projects = pd.DataFrame({
        "status": ["under_construction", "reserve", "completed", "under_construction", "completed", None],
        "planned_start": [pd.NaT, AS_OF, pd.NaT, pd.NaT, pd.NaT, pd.NaT],
        "planned_completion": [AS_OF, pd.NaT, pd.Timestamp("2024-05-01"), pd.NaT, pd.Timestamp("2024-05-01"),
                               pd.Timestamp("2020-01-01")],
        "completion_date": [pd.NaT, pd.NaT, pd.Timestamp("2024-04-01"), pd.NaT, pd.NaT, pd.NaT],
    }, index=[10, 11, 12, 13, 14, 15])
    sched = project_schedule(projects, AS_OF)
    # due today is not late; started "today" is not late; completed early is on track
    assert list(sched["schedule"]) == ["on_track", "on_track", "on_track", "no_plan", "no_plan", "no_plan"]
    assert sched["days_late"].isna().all()
    assert set(sched["schedule"]) <= set(SCHEDULES)


def test_project_schedule_without_plan_columns_and_with_a_time_of_day() -> None:
    projects = pd.DataFrame({"status": ["reserve", "under_construction"]})
    assert list(project_schedule(projects, AS_OF)["schedule"]) == ["no_plan", "no_plan"]
    planned = pd.DataFrame({"status": ["under_construction"], "planned_completion": [AS_OF - pd.Timedelta(days=1)]})
    # 20:00 UTC on the 14th is already the 15th in Beijing: one day late, not zero
    built_at = pd.Timestamp("2024-06-14 20:00", tz="UTC")
    assert list(project_schedule(planned, built_at)["days_late"]) == [1]
    assert list(project_schedule(planned, pd.Timestamp("2024-06-15 23:59"))["days_late"]) == [1]


# ---------------------------------------------------------------- compute_stats
def test_one_row_per_zone_and_street_with_plain_dtypes(world: dict) -> None:
    zone_stats, street_stats = compute_stats(world["streets"], world["zones"], world["layers"], world["members"], AS_OF)
    assert list(zone_stats["zone_id"]) == ["z1", "z2", "z3", "z9"]
    assert list(street_stats["street"]) == ["A", "B", "C", "D"]
    for frame in (zone_stats, street_stats):
        assert type(frame) is pd.DataFrame
        assert list(frame.columns[1:]) == list(STATS_COLUMNS)
        for column, dtype in STATS_COLUMNS.items():
            assert str(frame[column].dtype) == dtype, column
    contract = ["projects", "investment_total", "enterprises", "service_package", "stations", "hotline_cases",
                "hotline_response_rate", "hotline_resolution_rate", "hotline_satisfaction_rate", "communities",
                "community_population", "covered_population_share", "coverage_m", "projects_delayed"]
    assert set(contract) <= set(zone_stats.columns)


def test_inputs_are_not_modified(world: dict) -> None:
    copies = {name: frame.copy() for name, frame in world["layers"].items()}
    members = world["members"].copy()
    compute_stats(world["streets"], world["zones"], world["layers"], world["members"], AS_OF)
    for name, frame in world["layers"].items():
        pd.testing.assert_frame_equal(frame, copies[name])
    pd.testing.assert_frame_equal(world["members"], members)


def test_investment_is_a_sum_and_a_point_in_two_zones_counts_in_both(stats: tuple) -> None:
    zone, street = stats
    assert zone.loc["z1", "projects"] == 2 and zone.loc["z2", "projects"] == 1   # P1 in both
    assert zone.loc["z1", "investment_total"] == pytest.approx(3.0)             # 1 + 2, not max 2
    assert zone.loc["z2", "investment_total"] == pytest.approx(1.0)
    assert zone.loc["z1", "enterprises"] == 3 and zone.loc["z2", "enterprises"] == 1
    # P3 has no point: counted for street B, for no zone
    assert street.loc["A", "projects"] == 2 and street.loc["B", "projects"] == 1
    assert street.loc["B", "investment_total"] == pytest.approx(5.0)
    assert zone["projects"].sum() == 3


def test_investment_done_share_over_projects_carrying_both(stats: tuple) -> None:
    zone, street = stats
    assert zone.loc["z1", "investment_done"] == pytest.approx(0.5)
    assert zone.loc["z1", "investment_done_share"] == pytest.approx(0.5)   # P2 (no done figure) left out
    assert street.loc["B", "investment_done_share"] == pytest.approx(1.0)
    assert np.isnan(zone.loc["z9", "investment_done_share"]) and np.isnan(zone.loc["z9", "investment_done"])


def test_status_and_delay_counts(stats: tuple) -> None:
    zone, street = stats
    z1 = zone.loc["z1"]
    assert (z1["status_reserve"], z1["status_under_construction"], z1["status_completed"]) == (1, 1, 0)
    assert (z1["projects_not_started_late"], z1["projects_running_late"], z1["projects_delayed"]) == (1, 1, 2)
    assert street.loc["B", "projects_completed_late"] == 1
    assert street.loc["B", "projects_delayed"] == 0   # completed late is not "delayed" in the contract's sense
    assert (zone.loc["z1", "as_of"], street.loc["A", "as_of"]) == (AS_OF, AS_OF)


def test_service_package_counts_only_service_package_enterprises(stats: tuple) -> None:
    zone, street = stats
    assert street.loc["A", "enterprises"] == 3 and street.loc["A", "service_package"] == 1   # E3 (NA) is not one
    assert zone.loc["z1", "service_package"] == 2 and zone.loc["z2", "service_package"] == 1
    assert zone.loc["z1", "service_package_covered_share"] == pytest.approx(0.5)   # E1 700 m, E4 2,236 m
    assert zone.loc["z2", "service_package_covered_share"] == pytest.approx(1.0)
    assert np.isnan(zone.loc["z3", "service_package_covered_share"])
    assert street.loc["A", "enterprise_ports"] == 1 and street.loc["C", "citizen_stations"] == 1
    assert zone.loc["z1", "stations"] == 1 and zone.loc["z1", "enterprise_ports"] == 1


def test_hotline_cases_without_a_point_count_for_the_street_and_are_scaled_into_zones(stats: tuple) -> None:
    zone, street = stats
    assert street.loc["A", "hotline_cases"] == 8 and street.loc["A", "hotline_located"] == 6
    assert street.loc["D", "hotline_cases"] == 3 and street.loc["D", "hotline_located"] == 0
    # z1: A's 6 located × 8/6 + B's 2 located × 2/2 = 10; D (none located) adds nothing
    assert zone.loc["z1", "hotline_cases"] == 10
    assert zone.loc["z1", "hotline_located"] == 8
    # z2: 2 × 8/6 = 2.67, rounded
    assert zone.loc["z2", "hotline_cases"] == 3
    assert zone.loc["z9", "hotline_cases"] == 0


def test_rates_use_only_the_cases_that_carry_the_field(stats: tuple) -> None:
    zone, street = stats
    # z1 (located cases): A gives 3 True, 1 False, 2 NA; B's two are NA -> 3/4
    assert zone.loc["z1", "hotline_response_rate"] == pytest.approx(0.75)
    assert zone.loc["z1", "hotline_responded_known"] == 4
    # street A, every case: 4 True, 1 False, 3 NA -> 4/5
    assert street.loc["A", "hotline_response_rate"] == pytest.approx(0.8)
    # street B's cases carry no satisfaction: NaN, not 0
    assert np.isnan(street.loc["B", "hotline_satisfaction_rate"])
    assert np.isnan(street.loc["B", "hotline_response_rate"])
    assert street.loc["A", "hotline_satisfaction_rate"] == pytest.approx(0.75)
    # no case has a ``resolved`` field at all
    assert zone["hotline_resolution_rate"].isna().all() and street["hotline_resolution_rate"].isna().all()
    assert np.isnan(zone.loc["z9", "hotline_response_rate"])


def test_population_and_rate_per_10k(stats: tuple) -> None:
    zone, street = stats
    assert street.loc["A", "population"] == 20_000
    assert street.loc["C", "population"] == pytest.approx(5_500)   # from its communities, all with a population
    assert np.isnan(street.loc["D", "population"]) and np.isnan(street.loc["D", "hotline_per_10k"])
    assert street.loc["A", "hotline_per_10k"] == pytest.approx(8 / 20_000 * 1e4)
    assert zone.loc["z1", "population"] == pytest.approx(25_000, rel=1e-6)   # A + half of B
    assert zone.loc["z2", "population"] == pytest.approx(10_000, rel=1e-6)   # half of A
    assert zone.loc["z3", "population"] == pytest.approx(5_500, rel=1e-6)
    assert np.isnan(zone.loc["z9", "population"])
    assert zone.loc["z1", "hotline_per_10k"] == pytest.approx(10 / 25_000 * 1e4, rel=1e-6)
    assert zone.loc["z2", "hotline_per_10k"] == pytest.approx((2 * 8 / 6) / 10_000 * 1e4, rel=1e-6)
    assert zone.loc["z1", "area_km2"] == pytest.approx(6.0, rel=1e-6)
    assert street.loc["A", "area_km2"] == pytest.approx(4.0, rel=1e-6)


def test_street_zone_shares(world: dict) -> None:
    shares = street_zone_shares(world["zones"], world["streets"]).set_index(["zone_id", "street"])["share"]
    assert shares[("z1", "A")] == pytest.approx(1.0) and shares[("z1", "B")] == pytest.approx(0.5)
    assert ("z1", "C") not in shares.index   # touching edges are not an overlap


def test_covered_population_share(stats: tuple) -> None:
    zone, street = stats
    # z3: K1 (3,000, 999 m) covered, K2 (2,000, 1,001 m) not -> 0.6
    assert zone.loc["z3", "communities"] == 2
    assert zone.loc["z3", "community_population"] == pytest.approx(5_000)
    assert zone.loc["z3", "covered_population_share"] == pytest.approx(0.6)
    # street C also has K3 (no point): counted, but its coverage is not known -> still 0.6
    assert street.loc["C", "communities"] == 3 and street.loc["C", "community_population"] == pytest.approx(5_500)
    assert street.loc["C", "covered_population_share"] == pytest.approx(0.6)
    # no communities: no data, never 0 or 1
    assert zone.loc["z1", "communities"] == 0
    assert np.isnan(zone.loc["z1", "covered_population_share"])
    assert np.isnan(zone.loc["z1", "community_population"]) and np.isnan(zone.loc["z1", "covered_population"])
    assert zone.loc["z3", "covered_population"] == pytest.approx(3_000)
    assert np.isnan(street.loc["A", "covered_population_share"])
    assert (zone["coverage_m"] == 1000.0).all()


def test_coverage_m_changes_the_share(world: dict) -> None:
    zone, _ = compute_stats(world["streets"], world["zones"], world["layers"], world["members"], AS_OF,
                            coverage_m=1001.5)
    z3 = zone.set_index("zone_id").loc["z3"]
    assert z3["covered_population_share"] == pytest.approx(1.0) and z3["coverage_m"] == 1001.5


def test_missing_layers_and_columns_give_zero_or_nan(world: dict) -> None:
    zone, street = compute_stats(world["streets"], world["zones"], {}, world["members"], AS_OF)
    assert len(zone) == 4 and len(street) == 4
    counts = [c for c, t in STATS_COLUMNS.items() if t == "int64"]
    assert (zone[counts] == 0).all().all() and (street[counts] == 0).all().all()
    for column in ("hotline_response_rate", "covered_population_share", "service_package_covered_share",
                   "investment_done_share", "community_population"):
        assert zone[column].isna().all() and street[column].isna().all()
    assert zone["investment_total"].eq(0).all()
    # projects without any planned_* / investment_done column; no stations layer: coverage unknown
    bare = world["layers"]["projects"].drop(columns=["planned_start", "planned_completion", "investment_done"])
    layers = {"projects": bare, "communities": world["layers"]["communities"]}
    zone, street = compute_stats(world["streets"], world["zones"], layers, world["members"].iloc[:0], AS_OF)
    street = street.set_index("street")
    assert street.loc["A", "projects"] == 2 and street.loc["A", "projects_delayed"] == 0
    assert np.isnan(street.loc["C", "covered_population_share"])
    assert zone["projects"].eq(0).all()   # an empty link table: nothing is in a zone


def test_link_table_repeats_and_unknown_ids_do_not_count_twice(world: dict) -> None:
    members = pd.concat([world["members"], _members({"projects": [("P1", "z1"), ("P9", "z2")]})], ignore_index=True)
    zone, _ = compute_stats(world["streets"], world["zones"], world["layers"], members, AS_OF)
    zone = zone.set_index("zone_id")
    assert zone.loc["z1", "projects"] == 2 and zone.loc["z2", "projects"] == 1
    assert zone.loc["z1", "investment_total"] == pytest.approx(3.0)


# ---------------------------------------------------------------- monthly trend
def test_hotline_monthly(world: dict) -> None:
    monthly = hotline_monthly(world["layers"]["hotline"], world["members"], world["streets"])
    assert list(monthly.columns) == list(MONTHLY_COLUMNS)
    assert set(monthly["level"]) == {"zone", "street"}
    assert monthly["month"].dt.day.eq(1).all()
    street = monthly[monthly["level"] == "street"]
    zone = monthly[monthly["level"] == "zone"]
    assert street["cases"].sum() == 13
    a = street[street["key"] == "A"].set_index(["month", "category"])
    assert a.loc[(pd.Timestamp("2024-01-01"), "unknown"), "cases"] == 4   # even rows: January, no category
    assert a.loc[(pd.Timestamp("2024-02-01"), "parking"), "cases"] == 4
    assert a["responded_true"].sum() == 4 and a["responded_known"].sum() == 5
    z1 = zone[zone["key"] == "z1"]
    assert z1["cases"].sum() == 8                                # the located cases in z1
    assert z1["cases_estimate"].sum() == pytest.approx(10.0)     # = zone_stats.hotline_cases before rounding
    assert z1["responded_true"].sum() == 3 and z1["responded_known"].sum() == 4
    assert "D" in set(street["key"]) and zone["key"].isin(["z1", "z2"]).all()
    empty = hotline_monthly(None, world["members"], world["streets"])
    assert list(empty.columns) == list(MONTHLY_COLUMNS) and empty.empty


# ---------------------------------------------------------------- scale (timing printed, not asserted)
def test_scale_one_million_hotline_cases(world: dict, capsys: pytest.CaptureFixture) -> None:
    # SCALE CHECK: prints how long compute_stats takes on 1,000,000 hotline cases and 100,000
    # enterprises; there is no timing assertion (machines differ). Run with -s to see it.
    rng = np.random.default_rng(7)
    names = [f"S{i:02d}" for i in range(26)]
    streets = gpd.GeoDataFrame({"name": names, "population": rng.uniform(3e4, 1.5e5, 26)},
                               geometry=_geo([box(2000 * (i % 6), 2000 * (i // 6), 2000 * (i % 6 + 1),
                                                  2000 * (i // 6 + 1)) for i in range(26)]).to_numpy(),
                               crs=STORAGE_CRS)
    zones = gpd.GeoDataFrame({"zone_id": [f"z{i}" for i in range(8)]},
                             geometry=_geo([box(1500 * i, 0, 1500 * i + 3000, 9000) for i in range(8)]).to_numpy(),
                             crs=STORAGE_CRS)
    centre = np.array([X0, Y0])

    def points(n: int, located_share: float) -> tuple[np.ndarray, np.ndarray]:
        xy = centre + rng.uniform(0, [12_000, 10_000], (n, 2))
        geoms = gpd.GeoSeries(shapely.points(xy), crs=METRIC_CRS).to_crs(STORAGE_CRS).to_numpy()
        located = rng.random(n) < located_share
        geoms[~located] = None
        return geoms, located

    def links(layer: str, ids: np.ndarray, located: np.ndarray) -> pd.DataFrame:
        chosen = ids[located]
        first = rng.integers(0, 8, len(chosen))
        second = rng.random(len(chosen)) < 0.2
        return pd.DataFrame({"layer": layer, "record_id": np.concatenate([chosen, chosen[second]]),
                             "zone_id": np.char.add("z", np.concatenate([first, (first[second] + 1) % 8]).astype(str))})

    n_hot, n_ent = 1_000_000, 100_000
    hot_geoms, hot_located = points(n_hot, 0.9)
    flag = pd.array(rng.choice([True, False, None], n_hot, p=[0.7, 0.2, 0.1]), dtype="boolean")
    hot_ids = np.char.add("H", np.arange(n_hot).astype(str))
    hotline = gpd.GeoDataFrame({"case_id": hot_ids, "street": rng.choice(names, n_hot),
                                "received_at": pd.Timestamp("2023-01-01")
                                + pd.to_timedelta(rng.integers(0, 540, n_hot), unit="D"),
                                "category": rng.choice(["parking", "roads", "property", "environment", "other"], n_hot),
                                "responded": flag, "resolved": flag[::-1].copy(), "satisfied": flag},
                               geometry=hot_geoms, crs=STORAGE_CRS)
    ent_geoms, ent_located = points(n_ent, 0.95)
    ent_ids = np.char.add("E", np.arange(n_ent).astype(str))
    enterprises = gpd.GeoDataFrame({"uscc": ent_ids, "street": rng.choice(names, n_ent),
                                    "service_package": pd.array(rng.random(n_ent) < 0.1, dtype="boolean")},
                                   geometry=ent_geoms, crs=STORAGE_CRS)
    st_geoms, st_located = points(500, 1.0)
    stations = gpd.GeoDataFrame({"station_id": [f"S{i}" for i in range(500)], "street": rng.choice(names, 500),
                                 "kind": rng.choice(["citizen", "enterprise"], 500)},
                                geometry=st_geoms, crs=STORAGE_CRS)
    co_geoms, co_located = points(300, 0.9)
    communities = gpd.GeoDataFrame({"community_id": [f"K{i}" for i in range(300)], "street": rng.choice(names, 300),
                                    "population": rng.uniform(1000, 8000, 300)}, geometry=co_geoms, crs=STORAGE_CRS)
    members = pd.concat([links("hotline", hot_ids, hot_located), links("enterprises", ent_ids, ent_located),
                         links("stations", stations["station_id"].to_numpy(), st_located),
                         links("communities", communities["community_id"].to_numpy(), co_located)],
                        ignore_index=True)
    layers = {"hotline": hotline, "enterprises": enterprises, "stations": stations, "communities": communities,
              "projects": world["layers"]["projects"]}

    started = time.perf_counter()
    zone_stats, street_stats = compute_stats(streets, zones, layers, members, AS_OF)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    monthly = hotline_monthly(hotline, members, streets)
    monthly_seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[scale] compute_stats on {n_hot:,} hotline cases + {n_ent:,} enterprises: {seconds:.2f} s; "
              f"hotline_monthly: {monthly_seconds:.2f} s ({len(monthly):,} rows)")
    assert street_stats["hotline_cases"].sum() == n_hot
    assert street_stats["enterprises"].sum() == n_ent
    assert len(zone_stats) == 8 and len(street_stats) == 26
    # every located case is in one or more zones here, so the estimate adds up to at least all cases
    assert zone_stats["hotline_cases"].sum() >= n_hot * 0.99
    assert monthly.loc[monthly["level"] == "street", "cases"].sum() == n_hot

