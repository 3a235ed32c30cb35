"""Pure queries on tiny hand-made frames where the right answer is obvious.

Each test is named after the bug it catches: change the code that way and it fails
(district investment as a mean, a two-zone filter as an intersection, the share of cases
without coordinates inverted, a rate averaged over streets instead of pooled, ...).
"""
from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from dashboard.store import queries


@pytest.fixture()
def members() -> pd.DataFrame:
    """P1 in lize, P2 in lize and zgc_fengtai (two zones), P3 without a point: in none."""
    return pd.DataFrame({"layer": "projects", "record_id": ["P1", "P2", "P2"],
                         "zone_id": ["lize", "lize", "zgc_fengtai"]})


def street_stats(**columns: list) -> pd.DataFrame:
    base = {"street": ["甲街道", "乙街道"], "projects": [1, 2], "investment_total": [1.0, 3.0],
            "enterprises": [10, 30], "service_package": [1, 3], "stations": [2, 0], "projects_delayed": [0, 1],
            "hotline_cases": [100, 300], "hotline_located": [50, 300], "population": [1e4, 3e4],
            "area_km2": [2.0, 4.0], "hotline_responded": [3, 0], "hotline_responded_known": [4, 1],
            "hotline_resolved": [2, 1], "hotline_resolved_known": [4, 1], "hotline_satisfied": [0, 0],
            "hotline_satisfied_known": [0, 0], "community_population": [1000.0, 3000.0],
            "covered_population": [1000.0, 0.0]}
    base.update(columns)
    return pd.DataFrame(base)


# ---------------------------------------------------------------- filters and URL
def test_filter_round_trips_through_the_url():
    flt = queries.ProjectFilter(zones=("lize",), status=("reserve", "completed"), schedule=("running_late",),
                                inv_min=1.5, year_max=2024)
    assert queries.ProjectFilter.from_query(flt.to_query()) == flt


def test_from_query_drops_unknown_values():
    flt = queries.ProjectFilter.from_query({"zone": "lize,<script>", "status": "bogus", "inv_min": "abc",
                                            "schedule": "late,running_late"})
    assert flt.zones == ("lize",) and flt.status == () and flt.inv_min is None
    assert flt.schedule == ("running_late",)


def test_a_two_zone_filter_is_the_union_not_the_intersection(tiny_projects, members):
    both = queries.filter_projects(tiny_projects, members, queries.ProjectFilter(zones=("lize", "zgc_fengtai")))
    assert sorted(both["project_id"]) == ["P1", "P2"]
    only = queries.filter_projects(tiny_projects, members, queries.ProjectFilter(zones=("zgc_fengtai",)))
    assert list(only["project_id"]) == ["P2"]


def test_filters_by_year_street_and_schedule(tiny_projects, members):
    assert len(queries.filter_projects(tiny_projects, members, queries.ProjectFilter(year_min=2020))) == 1
    assert len(queries.filter_projects(tiny_projects, members, queries.ProjectFilter(streets=("太平桥街道",)))) == 2
    late = tiny_projects.assign(schedule=["on_track", "running_late", "completed_late"])
    picked = queries.filter_projects(late, members, queries.ProjectFilter(schedule=("running_late",)))
    assert list(picked["project_id"]) == ["P2"]


def test_a_point_in_two_zones_counts_in_each_and_one_without_a_point_in_none(tiny_projects, members):
    counts = queries.count_by_zone(tiny_projects, "project_id", members)
    assert counts["lize"] == 2 and counts["zgc_fengtai"] == 1 and counts.sum() == 3
    invest = queries.count_by_zone(tiny_projects, "project_id", members, tiny_projects["investment_total"])
    assert invest["lize"] == pytest.approx(21.5) and invest["zgc_fengtai"] == pytest.approx(20.0)
    zones = queries.zones_of(tiny_projects, "project_id", members)
    assert list(zones) == [("lize",), ("lize", "zgc_fengtai"), ()]


# ---------------------------------------------------------------- district figures
def test_district_investment_is_a_sum_not_a_mean():
    totals = queries.district_totals(street_stats(), queries.HotlineRate("per_10k"))
    assert totals["investment"] == pytest.approx(4.0)
    assert totals["projects"] == 3 and totals["enterprises"] == 40 and totals["service_package"] == 4


def test_district_rates_are_pooled_over_the_cases_that_carry_the_field():
    totals = queries.district_totals(street_stats(), queries.HotlineRate("per_10k"))
    assert totals["response_rate"] == pytest.approx(3 / 5)      # not the mean of 3/4 and 0/1
    assert totals["resolution_rate"] == pytest.approx(3 / 5)
    assert math.isnan(totals["satisfaction_rate"])               # no case carries it: no data, not 0 %
    assert totals["coverage"] == pytest.approx(1000 / 4000)


def test_hotline_rate_policy_per_10k_only_when_every_street_has_a_population():
    assert queries.HotlineRate.from_street_stats(street_stats()).unit == "per_10k"
    unknown = street_stats(population=[1e4, None])
    policy = queries.HotlineRate.from_street_stats(unknown)
    assert policy.unit == "per_km2"
    totals = queries.district_totals(unknown, policy)
    assert totals["hotline_rate"] == pytest.approx(400 / 6.0)
    per_10k = queries.district_totals(street_stats(), queries.HotlineRate("per_10k"))
    assert per_10k["hotline_rate"] == pytest.approx(400 / 4e4 * 1e4)


def test_worst_streets_need_enough_cases_and_are_named():
    streets = street_stats(hotline_responded=[20, 1], hotline_responded_known=[40, 2]).set_index("street")
    streets["hotline_response_rate"] = streets["hotline_responded"] / streets["hotline_responded_known"]
    for col in ("hotline_resolution_rate", "hotline_satisfaction_rate"):
        streets[col] = float("nan")
    streets["covered_population_share"] = [1.0, 0.0]
    streets["communities"] = [3, 2]
    streets["hotline_resolved_known"] = [0, 0]
    streets["hotline_satisfied_known"] = [0, 0]
    worst = queries.worst_streets(streets)
    response = worst[worst["metric"] == "response_rate"]
    assert list(response["street"]) == ["甲街道"]  # 乙 has 2 cases: not enough to be named worst
    coverage = worst[worst["metric"] == "coverage"]
    assert list(coverage["street"])[0] == "乙街道" and coverage["value"].iloc[0] == 0.0


# ---------------------------------------------------------------- the zone map agrees with the zone KPI
def test_zone_map_hotline_scales_located_cases_by_total_over_located():
    zone = gpd.GeoDataFrame({"zone_id": ["z"]}, geometry=[box(0, 0, 0.02, 0.01)], crs="EPSG:4326")
    streets = gpd.GeoDataFrame({"name": ["甲街道", "乙街道"]},
                               geometry=[box(0, 0, 0.01, 0.01), box(0.01, 0, 0.02, 0.01)], crs="EPSG:4326")
    stats = street_stats(hotline_cases=[4, 3], hotline_located=[2, 3])
    hotline = gpd.GeoDataFrame({"street": ["甲街道", "甲街道", "乙街道"]},
                               geometry=[Point(0.005, 0.005), Point(0.006, 0.005), Point(0.015, 0.005)],
                               crs="EPSG:4326")
    enterprises = gpd.GeoDataFrame({"street": ["乙街道"]}, geometry=[Point(0.015, 0.005)], crs="EPSG:4326")
    parts = queries.zone_street_parts(zone, streets, stats, enterprises["street"].value_counts(),
                                      hotline["street"].value_counts()).set_index("name")
    assert parts.loc["甲街道", "hotline"] == pytest.approx(4.0)  # 2 located × 4 / 2
    assert parts.loc["乙街道", "hotline"] == pytest.approx(1.0)
    assert parts.loc["乙街道", "enterprises"] == 1 and parts.loc["甲街道", "enterprises"] == 0
    assert (parts["hotline_density"] * parts["area_km2"]).sum() == pytest.approx(5.0)


def test_zone_table_keeps_the_4_plus_4_order_and_applies_the_policy():
    zones = pd.DataFrame({"zone_id": ["hexi", "lize"], "name": ["河西地区", "丽泽金融商务区"],
                          "name_en": ["Hexi", "Lize"], "kind": ["cluster", "key_area"]})
    stats = pd.DataFrame({"zone_id": ["hexi", "lize"], "hotline_cases": [10, 20], "population": [None, 2e4],
                          "area_km2": [5.0, 4.0]})
    table = queries.zone_table(zones, stats, queries.HotlineRate("per_km2"))
    assert list(table.index) == ["lize", "hexi"]
    assert table.loc["lize", "hotline_rate"] == pytest.approx(5.0)
    per_10k = queries.zone_table(zones, stats, queries.HotlineRate("per_10k"))
    assert per_10k.loc["lize", "hotline_rate"] == pytest.approx(10.0) and math.isnan(per_10k.loc["hexi", "hotline_rate"])


def test_monthly_trend_pools_categories():
    monthly = pd.DataFrame({"level": "zone", "key": "lize", "month": pd.to_datetime(["2026-01-01"] * 2),
                            "category": ["parking", "roads"], "cases": [3, 1], "cases_estimate": [6.0, 2.0],
                            "responded_true": [2, 1], "responded_known": [3, 1], "resolved_true": [0, 0],
                            "resolved_known": [0, 0], "satisfied_true": [1, 0], "satisfied_known": [2, 2]})
    trend = queries.monthly_trend(monthly, "zone", "lize")
    assert trend["cases"].iloc[0] == pytest.approx(8.0)
    assert trend["response_rate"].iloc[0] == pytest.approx(0.75)
    assert math.isnan(trend["resolution_rate"].iloc[0])
    assert trend["satisfaction_rate"].iloc[0] == pytest.approx(0.25)
    assert queries.monthly_trend(monthly, "zone", "hexi").empty
