"""Map builders: escaped HTML, offline assets only, points drawn without DOM icons."""
from __future__ import annotations

import re

import pytest

from dashboard import i18n, maps, views
from dashboard.assets import VENDOR_URL

XSS = '<img src=x onerror="window.__xss=1">'


def _urls(html: str) -> set[str]:
    return set(re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)) | set(re.findall(r"https?://[^\s\"'<>)]+", html))


def _overview(tiny_polygons):
    zones = views.zones_for_map(maps.display_polygons(tiny_polygons), __import__("pandas").DataFrame(
        {"projects": [3, 1]}, index=["lize", "hexi"]), "projects", "项目", str, "zh")
    streets = tiny_polygons.rename(columns={"name": "sname"}).assign(name=[XSS, "方庄街道"])
    streets_view = views.streets_for_map(maps.display_polygons(streets), __import__("pandas").DataFrame(
        {"projects": [2, 2]}, index=[XSS, "方庄街道"]), "projects", "项目", str, "zh")
    return maps.overview_map(zones=zones, streets=streets_view, target="zones", legend_title=XSS, fmt=str,
                             no_data="无数据")


def test_overview_escapes_names_everywhere(tiny_polygons):
    html = maps.map_html(_overview(tiny_polygons))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=" in html or "\\u0026lt;img" in html


def test_projects_map_escapes_popups_and_tooltips(tiny_projects, tiny_polygons):
    zones = views.zones_for_map(maps.display_polygons(tiny_polygons), __import__("pandas").DataFrame(
        {"projects": [3, 1]}, index=["lize", "hexi"]), None, "", str, "zh")
    points = views.projects_for_map(maps.display_points(tiny_projects), {"lize": XSS}, "zh")
    m = maps.projects_map(projects=points, zones=zones, streets=zones.assign(tip="x"),
                          bounds=tuple(tiny_polygons.total_bounds), legend_title=XSS, legend_items=[(XSS, "#000")],
                          layer_name=XSS, selected="P1")
    html = maps.map_html(m)
    assert "<img src=x" not in html
    assert html.count("P1") >= 1


def test_only_local_assets(tiny_polygons):
    urls = _urls(maps.map_html(_overview(tiny_polygons)))
    outside = {u for u in urls if u.startswith(("http://", "https://", "//"))}
    assert not outside, outside
    assert f"{VENDOR_URL}/leaflet/leaflet.js" in urls


def test_amap_basemap_shifts_and_says_so(tiny_polygons):
    bm = maps.basemap_for("amap")
    assert bm.display_crs == "gcj02"
    shifted = maps.display_polygons(tiny_polygons, "gcj02")
    assert shifted.total_bounds[0] - tiny_polygons.total_bounds[0] > 0.004
    m = maps.base_map(tuple(tiny_polygons.total_bounds), bm, i18n.t("amap_note"))
    assert "GCJ-02" in maps.map_html(m)


def test_tianditu_needs_a_key():
    with pytest.raises(ValueError, match="TIANDITU_KEY"):
        maps.basemap_for("tianditu")


def test_classify_handles_missing_and_constant():
    import pandas as pd
    breaks, colours = maps.classify(pd.Series([1.0, None, 1.0]))
    assert colours[1] == maps.NO_DATA_COLOUR and len(colours) == 3
