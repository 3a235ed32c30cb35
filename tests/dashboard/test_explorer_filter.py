"""The explorer follows the filter: option counts, streets narrowed by zone, bounds of the
filtered projects, the link that selects a project, the details panel and the marker sizes.

Pure tests on tiny frames where the answer is obvious, and two page runs on the sample store
(a linked project with filters, a filter that matches nothing).
"""
from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard import i18n
from dashboard.maps import draw as maps
from dashboard.store import queries
from dashboard.web import views
from tests.dashboard.conftest import run_page


@pytest.fixture()
def members() -> pd.DataFrame:
    """P1 in lize, P2 in lize and zgc_fengtai, P3 (no point) in none."""
    return pd.DataFrame({"layer": "projects", "record_id": ["P1", "P2", "P2"],
                         "zone_id": ["lize", "lize", "zgc_fengtai"]})


# ---------------------------------------------------------------- option counts
def test_an_option_counts_what_picking_it_would_give(tiny_projects, members):
    """Each option's count equals the size of the filter with that option picked (its own
    list's other picks replaced, the rest of the filter kept)."""
    projects = tiny_projects.assign(schedule=["on_track", "running_late", "completed_late"])
    flt = queries.ProjectFilter(status=("reserve",), streets=("太平桥街道",))
    counts = queries.option_counts(projects, members, flt)
    for facet in ("status", "streets", "level", "industry", "schedule"):
        options = set(projects[queries.FACETS[facet]].dropna()) | set(counts[facet].index)
        for option in options:
            picked = dataclasses.replace(flt, **{facet: (option,)})
            expected = len(queries.filter_projects(projects, members, picked))
            assert int(counts[facet].get(option, 0)) == expected, (facet, option)
    # the status list ignores its own pick: 在建 still shows 1 while 储备 is picked
    assert counts["status"].get("under_construction") == 1 and counts["status"].get("reserve") == 1
    # other lists follow it: only P1 (储备) is left for the zones and levels
    assert dict(counts["zones"]) == {"lize": 1} and dict(counts["level"]) == {"district": 1}


def test_zone_counts_go_through_the_link_table(tiny_projects, members):
    counts = queries.option_counts(tiny_projects, members, queries.ProjectFilter(status=("under_construction",)))
    assert dict(counts["zones"]) == {"lize": 1, "zgc_fengtai": 1}  # P2 lies in both
    counts = queries.option_counts(tiny_projects, members, queries.ProjectFilter(zones=("zgc_fengtai",)))
    assert dict(counts["status"]) == {"under_construction": 1}
    assert counts["zones"]["lize"] == 2  # the zone list ignores its own pick


# ---------------------------------------------------------------- streets narrowed by zone
def test_choosing_a_zone_narrows_the_streets_to_those_it_touches():
    zones = gpd.GeoDataFrame({"zone_id": ["lize", "hexi"]},
                             geometry=[box(116.30, 39.85, 116.32, 39.87), box(116.10, 39.80, 116.12, 39.82)],
                             crs="EPSG:4326")
    streets = gpd.GeoDataFrame({"name": ["甲街道", "乙街道", "丙街道", "丁街道"]}, geometry=[
        box(116.31, 39.84, 116.35, 39.86),   # overlaps lize
        box(116.32, 39.85, 116.34, 39.87),   # shares only lize's east edge
        box(116.00, 39.70, 116.05, 39.75),   # far away
        box(116.29, 39.86, 116.31, 39.88),   # overlaps lize
    ], crs="EPSG:4326")
    assert queries.streets_of_zones(zones, streets, ("lize",)) == ["甲街道", "丁街道"]
    assert queries.streets_of_zones(zones, streets, ()) == ["甲街道", "乙街道", "丙街道", "丁街道"]
    # a project the link table puts in the zone brings its street, even one the geometry misses
    points = pd.DataFrame({"project_id": ["A"], "street": ["丙街道"]})
    links = pd.DataFrame({"layer": "projects", "record_id": ["A"], "zone_id": ["lize"]})
    assert queries.streets_of_zones(zones, streets, ("lize",), points, links) == ["甲街道", "丙街道", "丁街道"]
    assert queries.streets_of_zones(zones, streets, ("hexi",), points, links) == []


# ---------------------------------------------------------------- bounds
def test_bounds_hold_every_filtered_project_with_a_margin(tiny_projects, members):
    picked = queries.filter_projects(tiny_projects, members, queries.ProjectFilter(zones=("lize",)))
    minx, miny, maxx, maxy = queries.located_bounds(picked, margin=0.1, min_span=0.0)
    for point in picked.geometry:
        assert minx < point.x < maxx and miny < point.y < maxy
    assert minx == pytest.approx(116.30 - 0.001) and maxx == pytest.approx(116.31 + 0.001)
    assert maxy - miny == pytest.approx(0.012)  # 0.01 span plus 10 % each side


def test_one_project_gets_a_neighbourhood_and_none_gets_no_bounds(tiny_projects):
    one = tiny_projects[tiny_projects["project_id"] == "P1"]
    minx, miny, maxx, maxy = queries.located_bounds(one, margin=0.0, min_span=0.03)
    assert (maxx - minx, maxy - miny) == (pytest.approx(0.03), pytest.approx(0.03))
    assert (minx + maxx) / 2 == pytest.approx(116.30) and (miny + maxy) / 2 == pytest.approx(39.85)
    assert queries.located_bounds(tiny_projects[tiny_projects["project_id"] == "P3"]) is None


# ---------------------------------------------------------------- the link
def test_a_link_selects_a_project_and_keeps_the_language():
    assert queries.selected_project({"project": " FT-1 "}) == "FT-1"
    assert queries.selected_project({"sel": "FT-2"}) == "FT-2"  # links shared before the rename
    assert queries.selected_project({"zone": "lize"}) is None
    flt = queries.ProjectFilter(zones=("lize",), status=("under_construction",), inv_min=2.5)
    query = queries.explorer_query(flt, "FT-1", {"lang": "en", "sel": "old", "street": "甲街道"})
    assert query == {"lang": "en", "zone": "lize", "status": "under_construction", "inv_min": "2.5",
                     "project": "FT-1"}
    assert queries.ProjectFilter.from_query(query) == flt
    assert queries.explorer_params(query) == {k: v for k, v in query.items() if k != "lang"}


def test_investment_bounds_keep_their_url_names_and_the_median():
    flt = queries.ProjectFilter.from_query({"inv_min": "7.5", "inv_max": "401"})
    assert (flt.inv_min, flt.inv_max) == (7.5, 401.0)
    assert flt.to_query() == {"inv_min": "7.5", "inv_max": "401"}
    ranges = queries.filter_ranges(pd.DataFrame({"investment_total": [1.0, 2.0, 400.2],
                                                 "start_date": pd.to_datetime(["2020-01-01", None, "2024-05-01"])}))
    assert (ranges.inv_top, ranges.inv_median, ranges.year_lo, ranges.year_hi) == (401.0, 2.0, 2020, 2024)


# ---------------------------------------------------------------- what is drawn and shown
def test_markers_grow_with_investment_within_bounds():
    radius = maps.marker_radius(pd.Series([0.1, 4.0, 7.6, 100.0, 401.0, np.nan]))
    assert list(radius[:5]) == sorted(radius[:5]) and radius[0] < radius[3]
    assert radius.min() >= 3.5 and radius.max() <= 15.0 and radius[4] == 15.0
    assert radius[5] == 5.0 and all((r * 2).is_integer() for r in radius)


def test_projects_map_sizes_and_outlines_the_dots(tiny_projects):
    points = views.projects_for_map(maps.display_points(tiny_projects), {}, "zh", with_popup=False)
    zones = gpd.GeoDataFrame({"zone_id": ["lize"], "label": ["丽泽"], "colour": ["#123456"], "tip": ["x"]},
                             geometry=[box(116.28, 39.84, 116.33, 39.88)], crs="EPSG:4326")
    html_text = maps.map_html(maps.projects_map(projects=points, zones=zones, streets=zones, bounds=(116.2, 39.8,
                              116.4, 39.9), legend_title="状态", legend_items=[], layer_name="项目"))
    assert f'"color": "{maps.POINT_OUTLINE}"' in html_text
    small, large = maps.marker_radius(pd.Series([1.5, 20.0]))
    assert f'"radius": {small}' in html_text and f'"radius": {large}' in html_text


def test_table_and_tips_show_dates_as_dates_and_empty_as_empty(tiny_projects, members):
    frame = queries.with_zones(tiny_projects.assign(days_late=[None, 12.0, None]), "project_id", members)
    table = views.project_table(frame, {"lize": "丽泽"}, "zh")
    assert list(table["开工时间"]) == ["", "2022-03-01", "2019-05-01"]
    assert list(table["滞后天数"]) == ["", "12", ""]
    assert list(table["所属功能区"]) == ["丽泽", "丽泽、zgc_fengtai", ""]
    tips = views.projects_for_map(maps.display_points(tiny_projects), {}, "zh")["tip"]
    assert "&lt;img" in tips.iloc[0] and "<img" not in tips.iloc[0]
    assert tips.iloc[0].endswith("1.50 亿元") and tips.iloc[1].endswith("20.0 亿元")


def test_details_put_address_owner_and_declared_zone_first(tiny_projects):
    row = tiny_projects.iloc[1].to_dict() | {"zones": ("lize",), "zone_declared": "hexi", "investment_done": 5.0,
                                             "planned_start": pd.Timestamp("2022-01-01")}
    details = views.project_details(row, {"lize": "丽泽金融商务区", "hexi": "河西地区"}, "zh")
    labels = [k for k, _ in details]
    for column in ("address", "owner_unit", "zone_declared"):
        assert labels.index(i18n.column_label(column)) < 6, labels
    values = dict(details)
    assert values[i18n.column_label("zone_declared")] == "河西地区" + i18n.t("x_declared_differs")
    assert values[i18n.t("x_investment")] == "20.0 亿元"
    assert values[i18n.t("x_investment_done")] == "5.00 亿元（25%）"
    assert values[i18n.t("x_dates")] == "2022-03-01 → —"
    html_text = views.project_details_html(tiny_projects.iloc[0].to_dict() | {"zones": ()}, {}, "zh")
    assert "<img" not in html_text and "<thead" not in html_text and "<th></th>" not in html_text


# ---------------------------------------------------------------- the page on the sample store
@pytest.fixture()
def quiet_maps(monkeypatch):
    import streamlit_folium
    maps_built: list[str] = []

    def fake(m, **kwargs):
        maps_built.append(m.get_root().render())
        return {}
    monkeypatch.setattr(streamlit_folium, "st_folium", fake)
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    return maps_built


def _sample():
    import pyogrio

    from loaders.build import ensure_sample_store
    store = ensure_sample_store()
    projects = gpd.read_file(store, layer="projects")
    links = pyogrio.read_dataframe(store, layer="zone_members", read_geometry=False)
    return projects, links[links["layer"] == "projects"]


def test_a_linked_project_is_selected_with_the_filters_of_the_link(quiet_maps):
    projects, links = _sample()
    in_lize = links.loc[links["zone_id"] == "lize", "record_id"]
    pid = projects.loc[projects["project_id"].isin(in_lize) & projects.geometry.notna(), "project_id"].iloc[0]
    at = run_page("projects", {"project": pid, "zone": "lize"})
    assert not at.exception, [e.value for e in at.exception]
    details = [md.value for md in at.markdown if 'data-testid="ft-details"' in md.value]
    assert len(details) == 1 and f'data-project="{pid}"' in details[0]
    assert at.query_params["project"] == pid and at.query_params["zone"] == "lize"
    assert not at.info or all(i18n.t("click_project_hint") != i.value for i in at.info)
    # the street list holds only the streets lize touches, each with its count
    streets = at.multiselect(key="pf_street").options
    lize_streets = set(projects.loc[projects["project_id"].isin(in_lize), "street"])
    assert 0 < len(streets) < 26 and {s.split("（")[0] for s in streets} >= lize_streets
    assert all(s.endswith("）") for s in streets)
    # the map is zoomed on the project: its bounds are a few km around it
    row = projects[projects["project_id"] == pid].iloc[0]
    fits = re.findall(r"fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\],\s*\[([-\d.]+),\s*([-\d.]+)\]\]",
                      quiet_maps[-1])
    south, west, north, east = (float(v) for v in fits[-1])
    assert south < row.geometry.y < north and west < row.geometry.x < east and north - south < 0.05
    # to another page and back without parameters: the filter and the selection are still there
    at.query_params.clear()
    at.switch_page("screens/overview.py")
    at.run()
    at.query_params.clear()
    at.switch_page("screens/projects.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="pf_zone").value == ["lize"]
    assert any(f'data-project="{pid}"' in md.value for md in at.markdown)


def test_a_filter_matching_nothing_says_so_and_offers_to_clear(quiet_maps):
    projects, _ = _sample()
    at = run_page("projects", {"inv_min": "100000"})
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [i18n.t("x_no_match")]
    assert all(i.value != i18n.t("click_project_hint") for i in at.info)
    at.button(key="pf_clear_no_match").click().run()
    assert not at.warning and at.query_params.get("inv_min") is None
    assert any(i.value == i18n.t("click_project_hint") for i in at.info)
    assert len(at.dataframe[-1].value) == len(projects)
