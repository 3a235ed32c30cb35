"""Pure queries: filters, URL round trip, zone membership."""
from __future__ import annotations

from dashboard import queries


def test_filter_round_trips_through_the_url():
    flt = queries.ProjectFilter(zones=("lize",), status=("reserve", "completed"), inv_min=1.5, year_max=2024)
    assert queries.ProjectFilter.from_query(flt.to_query()) == flt


def test_from_query_drops_unknown_values():
    flt = queries.ProjectFilter.from_query({"zone": "lize,<script>", "status": "bogus", "inv_min": "abc"})
    assert flt.zones == ("lize",) and flt.status == () and flt.inv_min is None


def test_filter_projects(tiny_projects):
    assert list(queries.filter_projects(tiny_projects, queries.ProjectFilter(zones=("zgc_fengtai",)))["project_id"]) == ["P2"]
    assert len(queries.filter_projects(tiny_projects, queries.ProjectFilter(year_min=2020))) == 1
    assert len(queries.filter_projects(tiny_projects, queries.ProjectFilter(streets=("太平桥街道",)))) == 2


def test_count_by_zone(tiny_projects):
    counts = queries.count_by_zone(tiny_projects)
    assert counts["lize"] == 2 and counts["zgc_fengtai"] == 1
