"""Folium map builders: pure functions that return a ``folium.Map`` (no Streamlit inside).

Offline by construction: the maps load Leaflet (and MarkerCluster) from the app's own
static files (``dashboard.maps.assets``), draw no tiles unless a basemap is configured, and use
no branca colormap (it would pull d3 from a CDN). Every string that reaches HTML is
escaped here with :func:`html.escape`; feature properties carry pre-escaped HTML only.

Size discipline: polygons are simplified in a metric CRS and coordinates rounded to
5 decimals (about 1 m); points are CircleMarkers (SVG paths, no DOM icon per point);
enterprises are aggregated by street or clustered from a compact coordinate array.
"""
from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.plugins import FastMarkerCluster
from jinja2 import Template

from dashboard.maps.assets import (
    LEAFLET_CSS,
    LEAFLET_JS,
    MARKERCLUSTER_CSS,
    MARKERCLUSTER_DEFAULT_CSS,
    MARKERCLUSTER_JS,
)
from geodata.crs import METRIC_CRS, STORAGE_CRS, from_wgs84

SEQUENTIAL = ("#fff3e0", "#fdc98b", "#f9934e", "#dd5a2b", "#a3300f")  # light → dark orange
# A change: fewer (blue) through about the same (pale) to more (red); ColorBrewer RdBu, colour-blind safe.
DIVERGING = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")
CHANGE_BREAKS = (-1.0, -0.25, -0.05, 0.05, 0.25, 10.0)   # −100 % … −25 % … ±5 % … +25 % … +1000 %
# Shading drawn under point layers (the zone map's enterprise and 12345 layers): a light
# grey-blue ramp that no status colour shares, so the dots and their dark ring stay visible
# (tests/dashboard/test_maps.py checks the contrast).
SEQUENTIAL_UNDER_POINTS = ("#f1f4f8", "#d3dde8", "#b2c3d5", "#8fa7c0", "#6e8aab")
NO_DATA_COLOUR = "#d9d9d9"
STATUS_COLOURS: dict[str, str] = {"reserve": "#f2b01e", "under_construction": "#e4572e",
                                  "completed": "#2e86ab"}
POINT_OUTLINE = "#1f2933"  # the dark ring of every point marker
STREET_OUTLINE = {"color": "#8a8f98", "weight": 1, "fillColor": "#ffffff", "dashArray": "3"}


def street_outline(fill_opacity: float) -> Callable[[dict], dict]:
    """The style of streets drawn as context (thin grey dashes on a white veil), every map's."""
    style = {**STREET_OUTLINE, "fillOpacity": fill_opacity}
    return lambda _feature: style


POINT_OUTLINE_WEIGHT = 1.5
STATION_COLOURS: dict[str, str] = {"citizen": "#2a9d8f", "enterprise": "#6a4c93"}
COVERAGE_COLOURS: dict[str, str] = {"covered": "#9aa5b1", "uncovered": "#d62828"}
# Open enterprise needs by days open (dashboard.web.views.needs_for_map's ``age``): within the
# limit, overdue, open more than NEED_LONG_DAYS days (ColorBrewer YlOrRd, three classes).
NEED_AGE_COLOURS: dict[str, str] = {"fresh": "#ffeda0", "overdue": "#feb24c", "long": "#f03b20"}
NEED_LONG_DAYS = 90
DIGITS = 5
SIMPLIFY_M = 5.0

_CSS = """<style>
.ft-legend{background:rgba(255,255,255,.92);padding:6px 9px;border-radius:6px;font:13px/1.4 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:210px;box-sizing:border-box}
.ft-legend b{display:block;margin-bottom:3px;font-size:13px}
.ft-legend i{display:inline-block;width:16px;height:12px;margin-right:6px;vertical-align:-1px;border:1px solid #888}
.ft-legend .dot{border-radius:50%;width:11px;height:11px;border:1.5px solid #1f2933}
.ft-legend b+br{display:none}
.ft-legend-row{max-width:none;white-space:nowrap}.ft-legend-row br{display:none}.ft-legend-row b{margin-bottom:2px}.ft-legend-row i{margin-left:10px}.ft-legend-row b+br+i{margin-left:0}
.ft-note{background:#fff8e1;border:1px solid #f0c36d;padding:4px 8px;border-radius:4px;font:13px 'Noto Sans CJK SC',sans-serif;max-width:420px}
.ft-label{transform:translate(-50%,-50%);display:inline-block;font:600 13px/1.15 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#222;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;white-space:nowrap;text-align:center;pointer-events:none}
.leaflet-tooltip,.leaflet-popup-content{font:14px/1.5 'Noto Sans CJK SC','Microsoft YaHei',sans-serif}
.leaflet-control-layers{font:13px/1.5 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:210px;box-sizing:border-box}
</style>"""


class OfflineMap(folium.Map):
    """A ``folium.Map`` that loads only Leaflet, from the app's own static files."""

    default_js = [("leaflet", LEAFLET_JS)]
    default_css = [("leaflet_css", LEAFLET_CSS)]


class OfflineFastMarkerCluster(FastMarkerCluster):
    """``FastMarkerCluster`` with the MarkerCluster plugin served locally."""

    default_js = [("markerclusterjs", MARKERCLUSTER_JS)]
    default_css = [("markerclustercss", MARKERCLUSTER_CSS),
                   ("markerclusterdefaultcss", MARKERCLUSTER_DEFAULT_CSS)]


class MapControl(MacroElement):
    """A Leaflet control holding fixed, already-escaped HTML (legend, notes).

    With ``layer`` (a layer already on the map or in its layer control), the control shows
    only while that layer is shown: a legend of a hidden layer would cover data for nothing.
    """

    _template = Template("""{% macro script(this, kwargs) %}
    (function(){var m={{ this._parent.get_name() }};var c=L.control({position:{{ this.position|tojson }}});
    c.onAdd=function(){var d=L.DomUtil.create('div',{{ this.css_class|tojson }});
    d.innerHTML={{ this.html|tojson }};L.DomEvent.disableClickPropagation(d);return d;};
    c.addTo(m);
    {% if this.layer is not none %}var l={{ this.layer.get_name() }};var el=c.getContainer();
    el.setAttribute('data-layer',{{ this.layer.layer_name|tojson }});
    function sync(){el.style.display=m.hasLayer(l)?'':'none';}
    m.on('overlayadd overlayremove',sync);sync();{% endif %}
    })();
    {% endmacro %}""")

    def __init__(self, html_text: str, position: str = "bottomright", css_class: str = "ft-legend",
                 layer: folium.map.Layer | None = None) -> None:
        super().__init__()
        self._name = "MapControl"
        self.html = html_text
        self.position = position
        self.css_class = css_class
        self.layer = layer


@dataclass(frozen=True)
class Basemap:
    """A tile layer (or none) and the coordinate system the data must be shown in."""

    key: str = "none"
    tiles: str | None = None
    attribution: str = ""
    subdomains: str = "abc"
    overlay_tiles: str | None = None
    display_crs: str = "wgs84"


def basemap_for(key: str, tianditu_key: str | None = None) -> Basemap:
    """The :class:`Basemap` for ``DASHBOARD_BASEMAP`` (none | osm | tianditu | amap)."""
    if key == "osm":
        return Basemap("osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                       "&copy; OpenStreetMap contributors", "abc")
    if key == "tianditu":
        if not tianditu_key:
            raise ValueError("basemap 'tianditu' needs a key (TIANDITU_KEY)")
        def wmts(layer: str) -> str:
            return (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                    f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
                    f"&TILEROW={{y}}&TILECOL={{x}}&tk={tianditu_key}")
        return Basemap("tianditu", wmts("vec"), "&copy; 天地图 Tianditu", "01234567", wmts("cva"))
    if key == "amap":
        return Basemap("amap", "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                       "&x={x}&y={y}&z={z}", "&copy; 高德地图 AutoNavi", "1234", display_crs="gcj02")
    if key != "none":
        raise ValueError(f"unknown basemap {key!r}; expected none, osm, tianditu or amap")
    return Basemap()


# ---------------------------------------------------------------- geometry preparation
def _round(geoms: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, digits))


def _shift(geoms: np.ndarray, display_crs: str) -> np.ndarray:
    if display_crs == "wgs84":
        return geoms

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = from_wgs84(xy[:, 0], xy[:, 1], display_crs)
        return np.column_stack([lon, lat])
    return shapely.transform(geoms, shift)


def display_polygons(frame: gpd.GeoDataFrame, display_crs: str = "wgs84",
                     tolerance_m: float = SIMPLIFY_M) -> gpd.GeoDataFrame:
    """A copy of a polygon layer ready to draw: simplified by ``tolerance_m`` metres,
    shifted to ``display_crs`` (GCJ-02 for Amap) and rounded to 5 decimals.
    """
    metric = frame.to_crs(METRIC_CRS)
    simple = metric.geometry.simplify(tolerance_m, preserve_topology=True).to_crs(STORAGE_CRS)
    geoms = _round(_shift(simple.to_numpy(), display_crs))
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=STORAGE_CRS))


def display_points(frame: gpd.GeoDataFrame, display_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """The rows of a point layer that have a location, shifted and rounded for display."""
    geom = frame.geometry
    located = frame[geom.notna() & ~geom.is_empty]
    geoms = _round(_shift(located.geometry.to_numpy(), display_crs))
    return located.set_geometry(gpd.GeoSeries(geoms, index=located.index, crs=STORAGE_CRS))


def _unit(value: float) -> float:
    """The rounding unit that keeps 2 significant figures of ``value`` (a power of ten)."""
    return 10.0 ** (np.floor(np.log10(abs(value))) - 1) if value else np.inf


def _snap(value: float, unit: float, how: Callable[[float], float] = np.round) -> float:
    """``value`` rounded to a multiple of ``unit`` (``how``: round, floor or ceil), without float noise."""
    decimals = max(0, int(-np.floor(np.log10(unit))))
    return round(float(how(value / unit) * unit), decimals)


def class_breaks(values: pd.Series, n: int = 5) -> list[float]:
    """Quantile class breaks of ``values`` that read well in a legend: rounded, distinct, ordered.

    Each break keeps 2 significant figures of itself or of the data's range, whichever is finer
    (so skewed data keeps its small classes and near-constant data still splits), never finer
    than 1 when every value is a whole number (no 0.5 project); the outer breaks are rounded
    outwards so every value lies inside; breaks that round to the same number are merged.
    One value (or none) gives ``[v, v]`` (or ``[]``).
    """
    valid = pd.to_numeric(values, errors="coerce").dropna().astype(float).to_numpy()
    if valid.size == 0:
        return []
    lo, hi = float(valid.min()), float(valid.max())
    if lo == hi:
        return [lo, hi]
    span_unit = _unit(hi - lo)
    whole = bool(np.all(valid == np.round(valid)))

    def unit(v: float) -> float:
        u = min(_unit(v), span_unit)
        return max(u, 1.0) if whole else u

    inner = [_snap(q, unit(q)) for q in np.quantile(valid, np.linspace(0, 1, n + 1))[1:-1]]
    first, last = _snap(lo, unit(lo), np.floor), _snap(hi, unit(hi), np.ceil)
    return sorted({first, last, *(b for b in inner if first < b < last)})


def _palette(classes: int, ramp: Sequence[str]) -> list[str]:
    """``classes`` colours spread over ``ramp`` (light → dark)."""
    if classes >= len(ramp):
        return list(ramp)
    return [ramp[round(i * (len(ramp) - 1) / max(classes - 1, 1))] for i in range(classes)]


def classify(values: pd.Series, n: int = 5, ramp: Sequence[str] = SEQUENTIAL,
             breaks: Sequence[float] | None = None) -> tuple[list[float], list[str]]:
    """Class breaks of ``values`` (:func:`class_breaks`, or fixed ``breaks``) and one colour of
    ``ramp`` per value (grey for missing)."""
    breaks = list(breaks) if breaks is not None else class_breaks(values, n)
    if not breaks:
        return [], [NO_DATA_COLOUR] * len(values)
    palette = _palette(max(len(breaks) - 1, 1), ramp)
    colours = []
    for v in pd.to_numeric(values, errors="coerce"):
        if pd.isna(v):
            colours.append(NO_DATA_COLOUR)
            continue
        idx = int(np.searchsorted(breaks, float(v), side="right")) - 1
        colours.append(palette[min(max(idx, 0), len(palette) - 1)])
    return breaks, colours


def legend_rows(breaks: Sequence[float], fmt: Callable[[float], str],
                ramp: Sequence[str] = SEQUENTIAL) -> list[tuple[str, str]]:
    """(label, colour) per class of ``breaks``: ``a – b``, or ``a`` alone for a single value."""
    if len(breaks) == 2 and breaks[0] == breaks[1]:
        return [(fmt(breaks[0]), _palette(1, ramp)[0])]
    palette = _palette(len(breaks) - 1, ramp)
    return [(f"{fmt(breaks[i])} – {fmt(breaks[i + 1])}", palette[i]) for i in range(len(breaks) - 1)]


def legend_html(title: str, breaks: Sequence[float], fmt: Callable[[float], str],
                no_data: str | None = None, ramp: Sequence[str] = SEQUENTIAL) -> str:
    """Escaped legend HTML for class ``breaks`` (as :func:`classify` returns them)."""
    rows = [f"<b>{html.escape(title)}</b>"]
    rows += [f'<i style="background:{colour}"></i>{html.escape(label)}'
             for label, colour in legend_rows(breaks, fmt, ramp)]
    if no_data:
        rows.append(f'<i style="background:{NO_DATA_COLOUR}"></i>{html.escape(no_data)}')
    return "<br>".join(rows)


def swatch_legend_html(title: str, items: Sequence[tuple[str, str]], dots: bool = False) -> str:
    """Escaped legend HTML: one coloured swatch per (label, colour)."""
    cls = ' class="dot"' if dots else ""
    rows = [f"<b>{html.escape(title)}</b>"]
    rows += [f'<i{cls} style="background:{colour}"></i>{html.escape(label)}' for label, colour in items]
    return "<br>".join(rows)


# ---------------------------------------------------------------- map pieces
FIT_MARGIN = 18  # pixels kept free around fitted data, so outlines are never cut at the edge
CONTROL_STRIP = 230  # pixels of a map edge that hold a column of controls (layer list, legends)


LEGEND_ROW = 62  # pixels of the map's top edge that hold a one-row legend (title above the classes)


def base_map(bounds: Sequence[float], basemap: Basemap = Basemap(), note: str | None = None, *,
             pad_top: int = FIT_MARGIN, pad_right: int = FIT_MARGIN, pad_left: int = FIT_MARGIN) -> OfflineMap:
    """An empty offline map fitted to ``bounds`` (minx, miny, maxx, maxy in WGS84), with
    :data:`FIT_MARGIN` pixels around them; ``pad_top``/``pad_right``/``pad_left`` widen the
    margin on a side that carries controls (legends, the layer list) so they never cover data."""
    m = OfflineMap(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=11,
                   tiles=None, control_scale=True, zoom_snap=0.25, maxZoom=18, minZoom=9, zoom_delta=0.5, prefer_canvas=False)
    if basemap.tiles:
        folium.TileLayer(basemap.tiles, attr=basemap.attribution, subdomains=basemap.subdomains,
                         name=basemap.key, control=False, max_zoom=18).add_to(m)
        if basemap.overlay_tiles:
            folium.TileLayer(basemap.overlay_tiles, attr=basemap.attribution, subdomains=basemap.subdomains,
                             name=basemap.key + "_labels", control=False, overlay=True).add_to(m)
    else:
        m.get_root().header.add_child(Element("<style>.leaflet-container{background:#f4f6f8}</style>"))
    m.get_root().header.add_child(Element(_CSS))
    lo_x, lo_y, hi_x, hi_y = bounds
    if basemap.display_crs != "wgs84":
        (lo_x, hi_x), (lo_y, hi_y) = from_wgs84(np.array([lo_x, hi_x]), np.array([lo_y, hi_y]), basemap.display_crs)
    m.fit_bounds([[float(lo_y), float(lo_x)], [float(hi_y), float(hi_x)]],
                 padding_top_left=(pad_left, pad_top), padding_bottom_right=(pad_right, FIT_MARGIN))
    if note:
        MapControl(html.escape(note), "bottomleft", "ft-note").add_to(m)
    return m


def _geojson(frame: gpd.GeoDataFrame, columns: Sequence[str], name: str, style: Callable,
             tooltip: str | None = "tip", popup: str | None = None, show: bool = True,
             control: bool = True, highlight: bool = False, marker: folium.CircleMarker | None = None) -> folium.GeoJson:
    data = frame[[*columns, "geometry"]]
    if data.empty:  # folium refuses tooltip fields it cannot see in an empty collection
        tooltip = popup = None
    return folium.GeoJson(
        data, name=name, style_function=style, show=show, control=control, marker=marker,
        tooltip=folium.GeoJsonTooltip([tooltip], labels=False, sticky=True) if tooltip else None,
        popup=folium.GeoJsonPopup([popup], labels=False, max_width=360) if popup else None,
        highlight_function=(lambda _f: {"weight": 4, "fillOpacity": 0.85}) if highlight else None,
        smooth_factor=1.0,
    )


class LabelLayer(MacroElement):
    """Non-interactive text labels (already-escaped HTML) as DivIcon markers in one layer group.

    Built directly rather than with ``folium.Marker`` + ``DivIcon``, which first creates a
    default image icon (a needless request for marker-icon.png) and repeats the options.
    Labels never overlap: after each zoom, a label that would cover one placed before it
    (the list is in priority order) is moved just below or above its point, else hidden
    (its zone's tooltip still names it).
    """

    _template = Template("""{% macro script(this, kwargs) %}
    (function(){var m={{ this._parent.get_name() }};var g=L.layerGroup();var ms=[];
    {{ this.labels|tojson }}.forEach(function(l){ms.push(L.marker([l[0],l[1]],{interactive:false,keyboard:false,
      icon:L.divIcon({className:'ft-label-icon',html:'<div class="ft-label">'+l[2]+'</div>',iconSize:null})}).addTo(g));});
    g.addTo(m);
    function hit(a,b){return a.left<b.right+2&&b.left<a.right+2&&a.top<b.bottom+2&&b.top<a.bottom+2;}
    function declutter(){var placed=[];ms.forEach(function(mk){var el=mk.getElement();if(!el)return;
      var d=el.firstChild;d.style.visibility='';d.style.marginTop='0px';var r=d.getBoundingClientRect();
      var h=r.height+2;var ok=false;[0,h,-h].some(function(dy){var b={left:r.left,right:r.right,top:r.top+dy,
        bottom:r.bottom+dy};if(placed.every(function(p){return !hit(b,p);})){d.style.marginTop=dy+'px';
        placed.push(b);ok=true;return true;}return false;});
      if(!ok){d.style.visibility='hidden';}});}
    m.whenReady(function(){setTimeout(declutter,0);});m.on('zoomend',declutter);
    })();
    {% endmacro %}""")

    def __init__(self, labels: Sequence[tuple[float, float, str]]) -> None:
        super().__init__()
        self._name = "LabelLayer"
        self.labels = [list(label) for label in labels]


def zone_labels_layer(zones: gpd.GeoDataFrame, name_column: str = "label") -> LabelLayer:
    """Escaped zone names at each zone's representative point, largest zone first (it keeps its
    label when two would overlap); a label given as lines (``\n``) is drawn on several lines."""
    ordered = zones.assign(_area=shapely.area(zones.geometry.to_numpy())).sort_values("_area", ascending=False,
                                                                                      kind="stable")
    labels = []
    for _, row in ordered.iterrows():
        point = row.geometry.representative_point()
        text = "<br>".join(html.escape(line) for line in str(row[name_column]).split("\n"))
        labels.append((round(point.y, DIGITS), round(point.x, DIGITS), text))
    return LabelLayer(labels)


def overview_map(*, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, target: str, legend_title: str,
                 fmt: Callable[[float], str], no_data: str, basemap: Basemap = Basemap(),
                 note: str | None = None, layer_names: tuple[str, str] = ("功能区", "街镇"),
                 ramp: Sequence[str] = SEQUENTIAL, breaks: Sequence[float] | None = None) -> OfflineMap:
    """The district map: 26 streets under the 8 zones, one of them coloured by a metric (or by a
    change: ``ramp`` :data:`DIVERGING` with ``breaks`` :data:`CHANGE_BREAKS`).

    ``zones`` (display-ready, see :func:`display_polygons`) needs zone_id, label, colour
    (identity), value, tip (escaped HTML); ``streets`` needs name, value, tip. ``target`` is
    ``"zones"`` or ``"streets"``: the layer coloured by ``value``. ``legend_title`` and ``fmt``
    (a class break → text) make the legend; ``no_data`` labels its grey class; ``layer_names``
    names the (zones, streets) layers. Clicking a zone returns its feature (properties carry
    ``zone_id``) to streamlit-folium.
    """
    if target not in ("zones", "streets"):
        raise ValueError(f"target must be 'zones' or 'streets', got {target!r}")
    # The legend is one row along the top edge (padded free): the district is wider than tall, so
    # the fit rarely needs that height, where a legend column at the side would cost width.
    m = base_map(tuple(streets.total_bounds), basemap, note, pad_top=LEGEND_ROW)
    coloured = zones if target == "zones" else streets
    breaks, colours = classify(coloured["value"], ramp=ramp, breaks=breaks)
    coloured = coloured.assign(fill=colours)
    if target == "zones":
        zones = coloured
    else:
        streets = coloured
    streets_style = (lambda f: {"color": "#ffffff", "weight": 1.2, "fillColor": f["properties"]["fill"],
                                "fillOpacity": 0.8}) if target == "streets" else \
        street_outline(0.6)
    street_cols = ["name", "tip"] + (["fill"] if target == "streets" else [])
    _geojson(streets, street_cols, layer_names[1], streets_style).add_to(m)
    # Key areas first, clusters on top: the smaller polygon stays clickable where they overlap.
    ordered = zones.assign(_area=zones.geometry.to_crs(METRIC_CRS).area).sort_values("_area", ascending=False)
    zone_style = (lambda f: {"color": f["properties"]["colour"], "weight": 3,
                             "fillColor": f["properties"]["fill"], "fillOpacity": 0.78}) if target == "zones" else \
        (lambda f: {"color": f["properties"]["colour"], "weight": 3.5, "fillColor": f["properties"]["colour"],
                    "fillOpacity": 0.08})
    zone_cols = ["zone_id", "colour", "tip"] + (["fill"] if target == "zones" else [])
    _geojson(ordered, zone_cols, layer_names[0], zone_style, highlight=True).add_to(m)
    zone_labels_layer(zones).add_to(m)
    MapControl(legend_html(legend_title, breaks, fmt, no_data if coloured["value"].isna().any() else None, ramp),
               "topright", "ft-legend ft-legend-row").add_to(m)
    return m


def point_layer(points: gpd.GeoDataFrame, colour_column: str, colours: dict[str, str], name: str,
                radius: float = 6, show: bool = True, popup: str | None = "pop") -> folium.GeoJson:
    """CircleMarkers coloured by ``colour_column`` through ``colours``, ringed in
    :data:`POINT_OUTLINE` (visible on any shading); ``points`` needs ``tip`` (and ``pop`` for
    the popup) as escaped HTML plus the id columns to return on click.
    """
    frame = points.assign(_c=points[colour_column].map(colours).fillna(NO_DATA_COLOUR))
    keep = [c for c in frame.columns if c not in ("geometry",)]
    return _geojson(frame, keep, name,
                    lambda f: {"color": POINT_OUTLINE, "weight": POINT_OUTLINE_WEIGHT, "opacity": 0.95,
                               "fillColor": f["properties"]["_c"], "fillOpacity": 0.92, "radius": radius},
                    popup=popup, show=show, marker=folium.CircleMarker(radius=radius, fill=True))


def enterprise_cluster(points: gpd.GeoDataFrame, name: str, show: bool = False) -> OfflineFastMarkerCluster:
    """Enterprises as a client-side cluster built from a compact [lat, lon] array."""
    coords = np.column_stack([points.geometry.y.to_numpy(), points.geometry.x.to_numpy()]).round(DIGITS).tolist()
    callback = ("function (row) {return L.circleMarker(new L.LatLng(row[0], row[1]),"
                "{radius: 4, color: '#3d405b', weight: 1, fillColor: '#81b29a', fillOpacity: 0.9});}")
    return OfflineFastMarkerCluster(coords, callback=callback, name=name, show=show,
                                    options={"maxClusterRadius": 50, "chunkedLoading": True})


def choropleth_layer(parts: gpd.GeoDataFrame, name: str, show: bool,
                     ramp: Sequence[str] = SEQUENTIAL_UNDER_POINTS) -> tuple[folium.GeoJson, list[float]]:
    """Polygons (needs value, tip) coloured by quantile class of ``value`` (a ramp that points
    stay visible on, by default)."""
    breaks, colours = classify(parts["value"], ramp=ramp)
    frame = parts.assign(fill=colours)
    layer = _geojson(frame, ["tip", "fill"], name,
                     lambda f: {"color": "#ffffff", "weight": 1, "fillColor": f["properties"]["fill"],
                                "fillOpacity": 0.75}, show=show)
    return layer, breaks


@dataclass(frozen=True)
class ZoneMapLayers:
    """What one zone's map draws, every frame display-ready (see :func:`display_points`).

    ``zone``: the zone's row (colour, tip); ``zones``: all zones (label, colour, tip) for
    context; ``streets``: all streets (tip); ``street_parts``: the streets cut to the zone
    with ``ent_value``/``ent_tip`` and ``hot_value``/``hot_tip``; ``projects`` (status,
    project_id, tip, pop); ``stations`` (kind, tip, pop); ``enterprises``: the zone's located
    enterprises (for the cluster); ``communities`` (coverage: "covered"/"uncovered", tip).
    """

    zone: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    street_parts: gpd.GeoDataFrame
    projects: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    enterprises: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame | None = None
    needs: gpd.GeoDataFrame | None = None      # open needs: age (fresh / overdue / long), tip
    ports: gpd.GeoDataFrame | None = None      # 先丰港 with their open needs: radius, tip


def workload_layer(points: gpd.GeoDataFrame, colour: str, name: str, show: bool = True) -> folium.GeoJson:
    """CircleMarkers of one colour sized by ``radius`` (pixels: a station's open needs), ringed like
    every point; needs ``tip``."""
    return _geojson(points, ["radius", "tip"], name,
                    lambda f: {"color": POINT_OUTLINE, "weight": POINT_OUTLINE_WEIGHT, "opacity": 0.95,
                               "fillColor": colour, "fillOpacity": 0.55, "radius": f["properties"]["radius"]},
                    show=show, marker=folium.CircleMarker(radius=6, fill=True))


def zone_map(layers: ZoneMapLayers, *, names: dict[str, str], legends: dict[str, str],
             fmt_count: Callable[[float], str], basemap: Basemap = Basemap(), note: str | None = None,
             enterprise_mode: str = "off", fmt_density: Callable[[float], str] | None = None) -> OfflineMap:
    """One zone's map, fitted to it, with layer toggles.

    ``names`` maps layer keys (streets, zones, zone, projects, stations, enterprises_agg,
    enterprises_cluster, hotline, communities) to layer names; ``legends`` maps legend keys
    (enterprises, hotline, points, ``status:<code>``, ``kind:<code>``) to titles; ``fmt_count``
    writes the enterprise legend's breaks and ``fmt_density`` the 12345 legend's.
    ``enterprise_mode``: "off" (the street shading listed in the layer control, unticked: by
    default the map shows the projects, not a shading under them), "aggregated" (by street,
    shown) or "clustered" (points; one view at a time: two stacked views would hide each other).

    The layer list and the legends stand in one column at the right edge, which the fit keeps
    free (:data:`CONTROL_STRIP`); a shading's legend shows only while its layer does.
    """
    if enterprise_mode not in ("off", "aggregated", "clustered"):
        raise ValueError(f"enterprise_mode must be 'off', 'aggregated' or 'clustered', got {enterprise_mode!r}")
    zone = layers.zone
    m = base_map(tuple(zone.total_bounds), basemap, note, pad_right=CONTROL_STRIP)
    _geojson(layers.streets, ["tip"], names["streets"],
             street_outline(0.5)).add_to(m)
    others = layers.zones[layers.zones["zone_id"] != zone["zone_id"].iloc[0]]
    _geojson(others, ["zone_id", "tip", "colour"], names["zones"],
             lambda f: {"color": f["properties"]["colour"], "weight": 1.5, "fillOpacity": 0.03,
                        "fillColor": f["properties"]["colour"], "dashArray": "6 4"},
             control=False).add_to(m)
    ent = layers.street_parts.rename(columns={"ent_value": "value", "ent_tip": "tip"})
    ent_layer, ent_breaks = choropleth_layer(ent, names["enterprises_agg"], show=enterprise_mode == "aggregated")
    if enterprise_mode != "clustered":
        ent_layer.add_to(m)
    hot = layers.street_parts.rename(columns={"hot_value": "value", "hot_tip": "tip"})
    hot_layer, hot_breaks = choropleth_layer(hot, names["hotline"], show=False)
    hot_layer.add_to(m)
    _geojson(zone, ["zone_id", "tip", "colour"], names["zone"],
             lambda f: {"color": f["properties"]["colour"], "weight": 4, "fillOpacity": 0.0},
             tooltip=None, control=False).add_to(m)
    if enterprise_mode == "clustered" and len(layers.enterprises):
        enterprise_cluster(layers.enterprises, names["enterprises_cluster"], show=True).add_to(m)
    if layers.communities is not None and len(layers.communities):
        point_layer(layers.communities, "coverage", COVERAGE_COLOURS, names["communities"], radius=4,
                    show=False, popup=None).add_to(m)
    point_layer(layers.stations, "kind", STATION_COLOURS, names["stations"], radius=5).add_to(m)
    if layers.ports is not None and len(layers.ports):
        workload_layer(layers.ports, STATION_COLOURS["enterprise"], names.get("ports", "ports"),
                          show=False).add_to(m)
    if layers.needs is not None and len(layers.needs):
        point_layer(layers.needs, "age", NEED_AGE_COLOURS, names.get("needs", "needs"), radius=4, show=False,
                    popup=None).add_to(m)
    point_layer(layers.projects, "status", STATUS_COLOURS, names["projects"], radius=7).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    if enterprise_mode != "clustered":
        MapControl(legend_html(legends["enterprises"], ent_breaks, fmt_count, ramp=SEQUENTIAL_UNDER_POINTS),
                   "topright", layer=ent_layer).add_to(m)
    if "hotline" in legends:
        MapControl(legend_html(legends["hotline"], hot_breaks, fmt_density or fmt_count,
                               ramp=SEQUENTIAL_UNDER_POINTS), "topright", layer=hot_layer).add_to(m)
    MapControl(swatch_legend_html(legends["points"], legends_items(legends), dots=True), "bottomright").add_to(m)
    return m


def legends_items(legends: dict[str, str]) -> list[tuple[str, str]]:
    """(label, colour) pairs for the point legend; ``legends`` carries ``status:<code>`` and
    ``kind:<code>`` labels.
    """
    items = [(legends[f"status:{k}"], c) for k, c in STATUS_COLOURS.items() if f"status:{k}" in legends]
    items += [(legends[f"kind:{k}"], c) for k, c in STATION_COLOURS.items() if f"kind:{k}" in legends]
    items += [(legends[f"need:{k}"], c) for k, c in NEED_AGE_COLOURS.items() if f"need:{k}" in legends]
    items += [(legends[f"coverage:{k}"], c) for k, c in COVERAGE_COLOURS.items() if f"coverage:{k}" in legends]
    return items


def marker_radius(investment: pd.Series, lo: float = 3.5, hi: float = 15.0) -> np.ndarray:
    """CircleMarker radii (pixels) by total investment (亿元): 2.5 + 1.2·√investment (the area
    grows with the amount), clamped to ``lo``..``hi`` and rounded to 0.5 (few distinct styles
    keep the map small); a project without an amount gets 5."""
    values = pd.to_numeric(investment, errors="coerce").to_numpy(dtype=float)
    radius = np.clip(2.5 + 1.2 * np.sqrt(np.clip(values, 0, None)), lo, hi)
    return np.round(np.where(np.isnan(radius), 5.0, radius) * 2) / 2


def sized_point_layer(points: gpd.GeoDataFrame, colour_column: str, colours: dict[str, str], name: str,
                      columns: Sequence[str]) -> folium.GeoJson:
    """CircleMarkers coloured by ``colour_column``, sized by ``_r`` (pixels, see
    :func:`marker_radius`), with a dark outline; the largest drawn first so small ones stay on
    top and clickable. ``columns`` (with ``tip``) are the properties returned on click."""
    frame = points.assign(_c=points[colour_column].map(colours).fillna(NO_DATA_COLOUR))
    frame = frame.sort_values("_r", ascending=False, kind="stable")
    return _geojson(frame, [*columns, "_c", "_r"], name,
                    lambda f: {"color": POINT_OUTLINE, "weight": 1.5, "opacity": 0.9,
                               "fillColor": f["properties"]["_c"], "fillOpacity": 0.9,
                               "radius": f["properties"]["_r"]},
                    popup=None, marker=folium.CircleMarker(radius=6, fill=True))


def projects_map(*, projects: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame,
                 bounds: Sequence[float], legend_title: str, legend_items: Sequence[tuple[str, str]],
                 layer_name: str, selected: str | None = None, basemap: Basemap = Basemap(),
                 note: str | None = None) -> OfflineMap:
    """The project explorer's map: filtered projects (project_id, status, tip; ``investment_total``
    sizes the dots) over zone and street outlines; the ``selected`` project ringed. ``bounds``
    (minx, miny, maxx, maxy, WGS84) is what the map fits: the page passes the filtered
    projects' bounds, or the selected project's; ``legend_title``/``legend_items`` the status
    legend; ``layer_name`` names the project layer. The fit keeps the legend's strip free.
    """
    m = base_map(bounds, basemap, note, pad_right=CONTROL_STRIP)
    _geojson(streets, ["tip"], "streets",
             street_outline(0.5), control=False).add_to(m)
    _geojson(zones, ["zone_id", "tip", "colour"], "zones",
             lambda f: {"color": f["properties"]["colour"], "weight": 2.5, "fillOpacity": 0.06,
                        "fillColor": f["properties"]["colour"]}, control=False).add_to(m)
    zone_labels_layer(zones).add_to(m)
    invest = projects["investment_total"] if "investment_total" in projects.columns \
        else pd.Series(np.nan, index=projects.index)
    sized = projects.assign(_r=marker_radius(invest))
    if selected is not None and selected in set(sized["project_id"]):
        row = sized[sized["project_id"] == selected].iloc[0]
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=float(row["_r"]) + 6, color="#111111",
                            weight=3, fill=False, interactive=False).add_to(m)
    # No popup here: Leaflet stops a click that opens a popup, so streamlit-folium would never
    # hear of it; the page shows the clicked project's details beside the map instead.
    sized_point_layer(sized, "status", STATUS_COLOURS, layer_name, ["project_id", "status", "tip"]).add_to(m)
    MapControl(swatch_legend_html(legend_title, legend_items, dots=True)).add_to(m)
    return m


def map_html(m: folium.Map) -> str:
    """The map's full standalone HTML (what its size is measured on)."""
    return m.get_root().render()


# The needs explorer (/needs): open needs by days open (:data:`NEED_AGE_COLOURS`), closed ones grey.
NEED_CLOSED_COLOUR = "#bfc5cc"
NEEDS_GEOJSON_MAX = 3000  # above this many points, the needs map draws a compact client-side cluster


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (``<``, ``>`` and ``&`` escaped), non-ASCII kept as
    UTF-8 (a Chinese tooltip costs 3 bytes a character, not 6)."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class CompactPoints(MacroElement):
    """Circle markers from a compact [lat, lon, colour index, tip] array (a few bytes a point,
    where a GeoJSON feature costs hundreds); ``tip`` is already-escaped HTML shown as the
    tooltip; each marker ringed in :data:`POINT_OUTLINE`. Drawn as SVG over the outlines (a
    canvas would sit under the street veil or, on top, take the outlines' tooltips)."""

    _template = Template("""{% macro script(this, kwargs) %}
    (function(){var m={{ this._parent.get_name() }};var g=L.featureGroup();
    var c={{ this.colours_json }},rs={{ this.radii_json }},ws={{ this.weights_json }};
    {{ this.rows_json }}.forEach(function(p){L.circleMarker([p[0],p[1]],{radius:rs[p[2]],
      color:'{{ this.outline }}',weight:ws[p[2]],opacity:0.95,fillColor:c[p[2]],fillOpacity:0.92})
      .bindTooltip(p[3]).addTo(g);});
    g.addTo(m);})();
    {% endmacro %}""")

    def __init__(self, rows: Sequence[Sequence[object]], colours: Sequence[str],
                 radii: Sequence[float] | None = None, weights: Sequence[float] | None = None) -> None:
        """``colours`` (and ``radii``, ``weights``: 5 px and the usual ring by default) per class index."""
        super().__init__()
        self._name = "CompactPoints"
        self.rows_json = _script_json([list(r) for r in rows])
        self.colours_json = _script_json(list(colours))
        self.radii_json = _script_json([float(r) for r in (radii or [5.0] * len(colours))])
        self.weights_json = _script_json([float(w) for w in (weights or [POINT_OUTLINE_WEIGHT] * len(colours))])
        self.outline = POINT_OUTLINE


def needs_map(*, needs: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame,
              bounds: Sequence[float], legend_title: str, legend_items: Sequence[tuple[str, str]],
              layer_name: str, basemap: Basemap = Basemap(), note: str | None = None,
              max_points: int = NEEDS_GEOJSON_MAX) -> OfflineMap:
    """The needs explorer's map: filtered, located needs (``age``: fresh / overdue / long /
    closed; ``tip`` escaped HTML, never a need's text) over zone and street outlines, fitted to
    ``bounds`` (WGS84). Up to ``max_points`` needs are circle markers from a compact array
    (:class:`CompactPoints`); more are one client-side cluster. Closed needs lie under the open ones."""
    m = base_map(bounds, basemap, note, pad_right=CONTROL_STRIP)
    _geojson(streets, ["tip"], "streets", street_outline(0.5), control=False).add_to(m)
    _geojson(zones, ["zone_id", "tip", "colour"], "zones",
             lambda f: {"color": f["properties"]["colour"], "weight": 2.5, "fillOpacity": 0.06,
                        "fillColor": f["properties"]["colour"]}, control=False).add_to(m)
    zone_labels_layer(zones).add_to(m)
    ages = ["closed", *NEED_AGE_COLOURS]
    colours = [NEED_CLOSED_COLOUR, *NEED_AGE_COLOURS.values()]
    index = needs["age"].map({a: i for i, a in enumerate(ages)}).fillna(0).astype(int).to_numpy()
    order = np.argsort(index, kind="stable")
    geoms = needs.geometry.to_numpy()[order]
    tips = needs["tip"].astype(str).to_numpy()[order]
    rows = [[round(float(g.y), DIGITS), round(float(g.x), DIGITS), int(i), t]
            for g, i, t in zip(geoms, index[order], tips, strict=True)]
    if len(rows) <= max_points:
        # closed needs small and lightly ringed: the open backlog is what the map is for
        CompactPoints(rows, colours, radii=[3.5, 5, 5.5, 6], weights=[0.8, 1.5, 1.5, 1.5]).add_to(m)
    else:
        callback = ("function (row) {var c = " + _script_json(colours) + "; var m = L.circleMarker("
                    "new L.LatLng(row[0], row[1]), {radius: 5, color: '" + POINT_OUTLINE + "', weight: 1, "
                    "fillColor: c[row[2]], fillOpacity: 0.9}); m.bindTooltip(row[3]); return m;}")
        OfflineFastMarkerCluster(rows, callback=callback, name=layer_name,
                                 options={"maxClusterRadius": 40, "chunkedLoading": True}).add_to(m)
    MapControl(swatch_legend_html(legend_title, legend_items, dots=True)).add_to(m)
    return m
