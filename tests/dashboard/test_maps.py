"""Map builders: escaped HTML, offline assets only, points drawn without DOM icons."""
from __future__ import annotations

import math
import re

import pytest

from dashboard import i18n
from dashboard.maps import draw as maps
from dashboard.maps.assets import VENDOR_URL
from dashboard.web import views

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


# ---------------------------------------------------------------- readable maps (issue 11)
def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 … 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_matches_wcag():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("status", sorted(maps.STATUS_COLOURS))
def test_project_dots_stand_out_on_every_shading_class(status):
    """A status dot, or its dark ring, reaches 3:1 against every class the zone map shades under it."""
    dot = maps.STATUS_COLOURS[status]
    for shade in (*maps.SEQUENTIAL_UNDER_POINTS, maps.NO_DATA_COLOUR, "#ffffff"):
        best = max(contrast(dot, shade), contrast(maps.POINT_OUTLINE, shade))
        assert best >= 3.0, (status, dot, shade, round(best, 2))
    # the shading under points shares no colour with the dots (the old orange ramp did)
    assert not set(maps.STATUS_COLOURS.values()) & set(maps.SEQUENTIAL_UNDER_POINTS)


def test_shading_classes_are_ordered_light_to_dark():
    ramp = [_luminance(c) for c in maps.SEQUENTIAL_UNDER_POINTS]
    assert ramp == sorted(ramp, reverse=True)
    assert all(contrast(a, b) >= 1.15 for a, b in zip(maps.SEQUENTIAL_UNDER_POINTS, maps.SEQUENTIAL_UNDER_POINTS[1:]))


def _zone_layers(tiny_polygons, tiny_projects):
    import pandas as pd
    zones = views.zones_for_map(maps.display_polygons(tiny_polygons), pd.DataFrame(index=["lize", "hexi"]),
                                None, "", str, "zh")
    parts = maps.display_polygons(tiny_polygons).assign(
        ent_value=[5, 400], hot_value=[1.5, 80.0], ent_tip=["a", "b"], hot_tip=["c", "d"])
    points = views.projects_for_map(maps.display_points(tiny_projects), {}, "zh")
    stations = maps.display_points(tiny_projects).assign(kind="citizen", tip="s", pop="s")[["kind", "tip", "pop",
                                                                                           "geometry"]]
    return maps.ZoneMapLayers(zone=zones[zones["zone_id"] == "lize"], zones=zones, streets=zones.assign(tip="x"),
                              street_parts=parts, projects=points, stations=stations,
                              enterprises=maps.display_points(tiny_projects)[["geometry"]])


NAMES = {"streets": "S", "zones": "Z", "zone": "L", "projects": "P", "stations": "T", "enterprises_agg": "ENT",
         "enterprises_cluster": "EC", "hotline": "HOT", "communities": "C"}
LEGENDS = {"enterprises": "ent legend", "hotline": "hot legend", "points": "pts",
           **{f"status:{k}": k for k in maps.STATUS_COLOURS}}


def _layer(m, name):
    return next(child for child in m._children.values() if getattr(child, "layer_name", None) == name)


def _fit(m):
    return next(child for child in m._children.values() if type(child).__name__ == "FitBounds")


def test_zone_map_shades_in_grey_blue_rings_dots_and_starts_without_shading(tiny_polygons, tiny_projects):
    m = maps.zone_map(_zone_layers(tiny_polygons, tiny_projects), names=NAMES, legends=LEGENDS, fmt_count=str)
    assert _layer(m, "ENT").show is False and _layer(m, "HOT").show is False  # off by default, listed
    shown = maps.zone_map(_zone_layers(tiny_polygons, tiny_projects), names=NAMES, legends=LEGENDS, fmt_count=str,
                          enterprise_mode="aggregated")
    assert _layer(shown, "ENT").show is True
    html_text = maps.map_html(m)
    fills = set(re.findall(r'"fill": "(#[0-9a-f]{6})"', html_text))
    assert fills and fills <= set(maps.SEQUENTIAL_UNDER_POINTS), fills
    assert not fills & set(maps.SEQUENTIAL)
    dots = _layer(m, "P").style_function({"properties": {"_c": "#e4572e"}})
    assert dots["color"] == maps.POINT_OUTLINE and dots["weight"] >= 1.5
    # each shading legend is bound to its layer: hidden while the layer is
    assert html_text.count("m.on('overlayadd overlayremove',sync)") == 2


def test_zone_fit_keeps_a_margin_and_the_control_column_free(tiny_polygons, tiny_projects):
    m = maps.zone_map(_zone_layers(tiny_polygons, tiny_projects), names=NAMES, legends=LEGENDS, fmt_count=str)
    options = _fit(m).options
    left, top = options["paddingTopLeft"]
    right, bottom = options["paddingBottomRight"]
    assert min(left, top, bottom) >= 10 and right >= maps.CONTROL_STRIP
    html_text = maps.map_html(m)
    # every control stands in the right-hand column the fit keeps free
    positions = re.findall(r'L\.control\(\{position:"(\w+)"\}\)', html_text)
    assert positions and set(positions) <= {"topright", "bottomright"}, positions
    assert re.search(r'L\.control\.layers\([^;]*?"position": "topright"', html_text, re.DOTALL)


def test_overview_legend_is_a_row_along_the_padded_top(tiny_polygons):
    m = _overview(tiny_polygons)
    left, top = _fit(m).options["paddingTopLeft"]
    assert top >= maps.LEGEND_ROW and left >= 10
    assert 'L.control({position:"topright"})' in maps.map_html(m) and "ft-legend-row" in maps.map_html(m)


# ---------------------------------------------------------------- class breaks
def _labels(values, kind):
    import pandas as pd
    breaks = maps.class_breaks(pd.Series(values, dtype=float))
    return breaks, [label for label, _ in maps.legend_rows(breaks, views.legend_formatter(kind))]


def _check_breaks(values, breaks):
    assert breaks == sorted(breaks) and len(set(breaks)) == len(breaks), breaks
    assert breaks[0] <= min(values) and breaks[-1] >= max(values), (breaks, min(values), max(values))


@pytest.mark.parametrize("values,kind", [
    ([42, 321, 516, 543, 646, 647, 700, 1012, 1290, 88], "count"),        # the enterprise counts of a zone
    ([1, 1, 1, 1, 2, 3, 500, 2, 1, 4], "count"),                           # skewed
    ([0.981, 0.9812, 0.983, 0.985, 0.989, 0.9801], "share"),               # near-constant rates
    ([0.4, 1.535, 3.2, 7.6, 25.476, 401.0, 12.0, 5.5], "yi"),              # investment: median 7.6, max 401
    ([531.8, 1118.2, 939.6, 804.7, 935.9, 1210.0], "rate"),
])
def test_class_breaks_are_rounded_distinct_and_ordered(values, kind):
    breaks, labels = _labels(values, kind)
    _check_breaks(values, breaks)
    assert len(breaks) >= 3, breaks  # still classes, not one band
    assert len(set(labels)) == len(labels), labels
    span_unit = 10 ** (math.floor(math.log10(max(values) - min(values))) - 1)
    for b in breaks:  # two significant figures of the break, or on the grid of the range's two
        on_grid = abs(b / span_unit - round(b / span_unit)) < 1e-6
        assert float(f"{b:.2g}") == b or on_grid, (b, breaks)


def test_class_breaks_never_split_whole_numbers():
    breaks, labels = _labels([0, 1, 1, 2, 2, 3, 3, 4], "count")
    assert all(b == int(b) for b in breaks), breaks
    assert not any(".5" in label for label in labels), labels


def test_class_breaks_merge_what_rounds_alike():
    # the quantiles 646 and 647 of this zone's counts round to one break, never a "646 – 647" class
    breaks, labels = _labels([321, 516, 543, 646, 646, 647, 647, 1000, 42], "count")
    assert "646 – 647" not in labels, labels
    _check_breaks([321, 1000, 42], breaks)


def test_constant_values_make_one_class_labelled_once():
    import pandas as pd
    breaks, colours = maps.classify(pd.Series([7.0, 7.0, None]))
    assert breaks == [7.0, 7.0] and colours[2] == maps.NO_DATA_COLOUR and colours[0] == colours[1]
    assert [label for label, _ in maps.legend_rows(breaks, views.compact_number)] == ["7"]


def test_every_value_gets_the_colour_of_its_class():
    import pandas as pd
    values = pd.Series([1.0, 2.0, 3.0, 50.0, 400.0, 401.0])
    breaks, colours = maps.classify(values, ramp=maps.SEQUENTIAL_UNDER_POINTS)
    palette = [c for _, c in maps.legend_rows(breaks, str, maps.SEQUENTIAL_UNDER_POINTS)]
    for v, c in zip(values, colours):
        idx = min(max(int(__import__("numpy").searchsorted(breaks, v, side="right")) - 1, 0), len(palette) - 1)
        assert c == palette[idx], (v, c, breaks)
    assert colours[0] == maps.SEQUENTIAL_UNDER_POINTS[0] and colours[-1] == maps.SEQUENTIAL_UNDER_POINTS[-1]


# ---------------------------------------------------------------- labels, links, selections
def test_english_zone_labels_are_short_lines():
    long_names = {"nanzhongzhou": "South Central Axis Area", "xishan_yongding": "Xishan–Yongding River Cultural Area",
                  "lize": "Lize Financial Business District", "zgc_fengtai": "Zhongguancun Fengtai Science Park",
                  "fengtai_station": "Beijing Fengtai Railway Station Area", "new": "Some Long Planned Growth Area"}
    for zone_id, name in long_names.items():
        label = views.map_label(zone_id, "中文名", name, "en")
        assert all(len(line) <= 16 for line in label.split("\n")), label
        assert label.count("\n") <= 2 and not re.search(r"[\u3400-\u9fff]", label)
    assert views.map_label("lize", "丽泽金融商务区", "Lize Financial Business District", "zh") == "丽泽金融商务区"
    assert views.map_label("x", "某区", None, "en") == "某区"  # no English name: the Chinese one


def test_zone_label_lines_are_escaped_and_largest_first(tiny_polygons):
    zones = tiny_polygons.assign(label=["a<b>\nline", "big"])
    layer = maps.zone_labels_layer(zones)
    assert layer.labels[0][2] == "big" and layer.labels[1][2] == "a&lt;b&gt;<br>line"


def test_explorer_links_keep_the_language():
    assert views.explorer_href("FT-1", "zh") == "projects?project=FT-1"
    assert views.explorer_href("FT 1&x", "en") == "projects?project=FT+1%26x&lang=en"


def test_chart_selection_reads_streamlit_events():
    event = {"selection": {"industry_pick": [{"industry": "finance"}, {"industry": "digital"}, {"industry": "finance"}]}}
    assert views.chart_selection(event, "industry_pick", "industry") == ("finance", "digital")
    assert views.chart_selection({"selection": {}}, "industry_pick", "industry") == ()
    assert views.chart_selection(None, "industry_pick", "industry") == ()
