"""Folium map builders: pure functions that return a ``folium.Map`` (no Streamlit inside).

Offline by construction: the maps load Leaflet (and MarkerCluster) from the app's own
static files (``dashboard.assets``), draw no tiles unless a basemap is configured, and use
no branca colormap (it would pull d3 from a CDN). Every string that reaches HTML is
escaped here with :func:`html.escape`; feature properties carry pre-escaped HTML only.

Size discipline: polygons are simplified in a metric CRS and coordinates rounded to
5 decimals (about 1 m); points are CircleMarkers (SVG paths, no DOM icon per point);
enterprises are aggregated by street or clustered from a compact coordinate array.
"""
from __future__ import annotations

import html
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

from dashboard.assets import LEAFLET_CSS, LEAFLET_JS, MARKERCLUSTER_CSS, MARKERCLUSTER_DEFAULT_CSS, MARKERCLUSTER_JS
from geodata.crs import METRIC_CRS, STORAGE_CRS, from_wgs84

SEQUENTIAL = ("#fff3e0", "#fdc98b", "#f9934e", "#dd5a2b", "#a3300f")  # light → dark orange
NO_DATA_COLOUR = "#d9d9d9"
STATUS_COLOURS: dict[str, str] = {"reserve": "#f2b01e", "under_construction": "#e4572e",
                                  "completed": "#2e86ab"}
STATION_COLOURS: dict[str, str] = {"citizen": "#2a9d8f", "enterprise": "#6a4c93"}
COVERAGE_COLOURS: dict[str, str] = {"covered": "#9aa5b1", "uncovered": "#d62828"}
DIGITS = 5
SIMPLIFY_M = 5.0

_CSS = """<style>
.ft-legend{background:rgba(255,255,255,.92);padding:8px 10px;border-radius:6px;font:14px/1.45 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:260px}
.ft-legend b{display:block;margin-bottom:4px;font-size:14px}
.ft-legend i{display:inline-block;width:16px;height:12px;margin-right:6px;vertical-align:-1px;border:1px solid #888}
.ft-legend .dot{border-radius:50%;width:11px;height:11px}
.ft-note{background:#fff8e1;border:1px solid #f0c36d;padding:4px 8px;border-radius:4px;font:13px 'Noto Sans CJK SC',sans-serif;max-width:420px}
.ft-label{transform:translate(-50%,-50%);display:inline-block;font:600 13px/1.2 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#222;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;white-space:nowrap;pointer-events:none}
.leaflet-tooltip,.leaflet-popup-content{font:14px/1.5 'Noto Sans CJK SC','Microsoft YaHei',sans-serif}
.leaflet-control-layers{font:14px/1.6 'Noto Sans CJK SC','Microsoft YaHei',sans-serif}
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
    """A Leaflet control holding fixed, already-escaped HTML (legend, notes)."""

    _template = Template("""{% macro script(this, kwargs) %}
    (function(){var c=L.control({position:{{ this.position|tojson }}});
    c.onAdd=function(){var d=L.DomUtil.create('div',{{ this.css_class|tojson }});
    d.innerHTML={{ this.html|tojson }};L.DomEvent.disableClickPropagation(d);return d;};
    c.addTo({{ this._parent.get_name() }});})();
    {% endmacro %}""")

    def __init__(self, html_text: str, position: str = "bottomright", css_class: str = "ft-legend") -> None:
        super().__init__()
        self._name = "MapControl"
        self.html = html_text
        self.position = position
        self.css_class = css_class


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


def classify(values: pd.Series, n: int = 5) -> tuple[list[float], list[str]]:
    """Quantile class breaks of ``values`` and one colour per value (grey for missing)."""
    valid = values.dropna().astype(float)
    if valid.empty:
        return [], [NO_DATA_COLOUR] * len(values)
    breaks = sorted(set(np.quantile(valid, np.linspace(0, 1, n + 1)).round(6).tolist()))
    if len(breaks) == 1:
        breaks = [breaks[0], breaks[0]]
    palette = list(SEQUENTIAL) if len(breaks) - 1 >= len(SEQUENTIAL) else \
        [SEQUENTIAL[round(i * (len(SEQUENTIAL) - 1) / max(len(breaks) - 2, 1))] for i in range(len(breaks) - 1)]
    colours = []
    for v in values:
        if pd.isna(v):
            colours.append(NO_DATA_COLOUR)
            continue
        idx = int(np.searchsorted(breaks, float(v), side="right")) - 1
        colours.append(palette[min(max(idx, 0), len(palette) - 1)])
    return breaks, colours


def legend_html(title: str, breaks: Sequence[float], fmt: Callable[[float], str],
                no_data: str | None = None) -> str:
    """Escaped legend HTML for class ``breaks`` (as :func:`classify` returns them)."""
    rows = [f"<b>{html.escape(title)}</b>"]
    n = len(breaks) - 1
    palette = list(SEQUENTIAL) if n >= len(SEQUENTIAL) else \
        [SEQUENTIAL[round(i * (len(SEQUENTIAL) - 1) / max(n - 1, 1))] for i in range(n)]
    for i in range(n):
        rows.append(f'<i style="background:{palette[i]}"></i>'
                    f"{html.escape(fmt(breaks[i]))} – {html.escape(fmt(breaks[i + 1]))}")
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
def base_map(bounds: Sequence[float], basemap: Basemap = Basemap(), note: str | None = None) -> OfflineMap:
    """An empty offline map fitted to ``bounds`` (minx, miny, maxx, maxy in WGS84)."""
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
    m.fit_bounds([[float(lo_y), float(lo_x)], [float(hi_y), float(hi_x)]])
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
    """

    _template = Template("""{% macro script(this, kwargs) %}
    (function(){var g=L.layerGroup();
    {{ this.labels|tojson }}.forEach(function(l){L.marker([l[0],l[1]],{interactive:false,keyboard:false,
      icon:L.divIcon({className:'ft-label-icon',html:'<div class="ft-label">'+l[2]+'</div>',iconSize:null})}).addTo(g);});
    g.addTo({{ this._parent.get_name() }});})();
    {% endmacro %}""")

    def __init__(self, labels: Sequence[tuple[float, float, str]]) -> None:
        super().__init__()
        self._name = "LabelLayer"
        self.labels = [list(label) for label in labels]


def zone_labels_layer(zones: gpd.GeoDataFrame, name_column: str = "label") -> LabelLayer:
    """Escaped zone names at each zone's representative point."""
    labels = []
    for _, row in zones.iterrows():
        point = row.geometry.representative_point()
        labels.append((round(point.y, DIGITS), round(point.x, DIGITS), html.escape(str(row[name_column]))))
    return LabelLayer(labels)


def overview_map(*, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, target: str, legend_title: str,
                 fmt: Callable[[float], str], no_data: str, basemap: Basemap = Basemap(),
                 note: str | None = None, layer_names: tuple[str, str] = ("功能区", "街镇")) -> OfflineMap:
    """The district map: 26 streets under the 8 zones, one of them coloured by a metric.

    ``zones`` (display-ready, see :func:`display_polygons`) needs zone_id, label, colour
    (identity), value, tip (escaped HTML); ``streets`` needs name, value, tip. ``target`` is
    ``"zones"`` or ``"streets"``: the layer coloured by ``value``. ``legend_title`` and ``fmt``
    (a class break → text) make the legend; ``no_data`` labels its grey class; ``layer_names``
    names the (zones, streets) layers. Clicking a zone returns its feature (properties carry
    ``zone_id``) to streamlit-folium.
    """
    if target not in ("zones", "streets"):
        raise ValueError(f"target must be 'zones' or 'streets', got {target!r}")
    m = base_map(tuple(streets.total_bounds), basemap, note)
    coloured = zones if target == "zones" else streets
    breaks, colours = classify(coloured["value"])
    coloured = coloured.assign(fill=colours)
    if target == "zones":
        zones = coloured
    else:
        streets = coloured
    streets_style = (lambda f: {"color": "#ffffff", "weight": 1.2, "fillColor": f["properties"]["fill"],
                                "fillOpacity": 0.8}) if target == "streets" else \
        (lambda f: {"color": "#8a8f98", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 0.6, "dashArray": "3"})
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
    MapControl(legend_html(legend_title, breaks, fmt, no_data if coloured["value"].isna().any() else None)).add_to(m)
    return m


def point_layer(points: gpd.GeoDataFrame, colour_column: str, colours: dict[str, str], name: str,
                radius: float = 6, show: bool = True, popup: str | None = "pop") -> folium.GeoJson:
    """CircleMarkers coloured by ``colour_column`` through ``colours``; ``points`` needs
    ``tip`` (and ``pop`` for the popup) as escaped HTML plus the id columns to return on click.
    """
    frame = points.assign(_c=points[colour_column].map(colours).fillna(NO_DATA_COLOUR))
    keep = [c for c in frame.columns if c not in ("geometry",)]
    return _geojson(frame, keep, name,
                    lambda f: {"color": "#ffffff", "weight": 1.2, "fillColor": f["properties"]["_c"],
                               "fillOpacity": 0.92, "radius": radius},
                    popup=popup, show=show, marker=folium.CircleMarker(radius=radius, fill=True))


def enterprise_cluster(points: gpd.GeoDataFrame, name: str, show: bool = False) -> OfflineFastMarkerCluster:
    """Enterprises as a client-side cluster built from a compact [lat, lon] array."""
    coords = np.column_stack([points.geometry.y.to_numpy(), points.geometry.x.to_numpy()]).round(DIGITS).tolist()
    callback = ("function (row) {return L.circleMarker(new L.LatLng(row[0], row[1]),"
                "{radius: 4, color: '#3d405b', weight: 1, fillColor: '#81b29a', fillOpacity: 0.9});}")
    return OfflineFastMarkerCluster(coords, callback=callback, name=name, show=show,
                                    options={"maxClusterRadius": 50, "chunkedLoading": True})


def choropleth_layer(parts: gpd.GeoDataFrame, name: str, show: bool) -> tuple[folium.GeoJson, list[float]]:
    """Polygons (needs value, tip) coloured by quantile class of ``value``."""
    breaks, colours = classify(parts["value"])
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


def zone_map(layers: ZoneMapLayers, *, names: dict[str, str], legends: dict[str, str],
             fmt_count: Callable[[float], str], basemap: Basemap = Basemap(), note: str | None = None,
             enterprise_mode: str = "aggregated") -> OfflineMap:
    """One zone's map, fitted to it, with layer toggles.

    ``names`` maps layer keys (streets, zones, zone, projects, stations, enterprises_agg,
    enterprises_cluster, hotline, communities) to layer names; ``legends`` maps legend keys
    (enterprises, points, ``status:<code>``, ``kind:<code>``) to titles; ``fmt_count`` writes
    the enterprise legend's breaks; ``enterprise_mode`` is "aggregated" (by street) or
    "clustered" (one view at a time: two stacked views would hide each other).
    """
    zone = layers.zone
    m = base_map(tuple(zone.total_bounds), basemap, note)
    _geojson(layers.streets, ["tip"], names["streets"],
             lambda f: {"color": "#8a8f98", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 0.5,
                        "dashArray": "3"}).add_to(m)
    others = layers.zones[layers.zones["zone_id"] != zone["zone_id"].iloc[0]]
    _geojson(others, ["zone_id", "tip", "colour"], names["zones"],
             lambda f: {"color": f["properties"]["colour"], "weight": 1.5, "fillOpacity": 0.03,
                        "fillColor": f["properties"]["colour"], "dashArray": "6 4"},
             control=False).add_to(m)
    ent = layers.street_parts.rename(columns={"ent_value": "value", "ent_tip": "tip"})
    ent_layer, ent_breaks = choropleth_layer(ent, names["enterprises_agg"], show=True)
    if enterprise_mode == "aggregated":
        ent_layer.add_to(m)
    hot = layers.street_parts.rename(columns={"hot_value": "value", "hot_tip": "tip"})
    hot_layer, _ = choropleth_layer(hot, names["hotline"], show=False)
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
    point_layer(layers.projects, "status", STATUS_COLOURS, names["projects"], radius=7).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    if enterprise_mode == "aggregated":
        MapControl(legend_html(legends["enterprises"], ent_breaks, fmt_count), "bottomright").add_to(m)
    MapControl(swatch_legend_html(legends["points"], legends_items(legends), dots=True), "bottomleft").add_to(m)
    return m


def legends_items(legends: dict[str, str]) -> list[tuple[str, str]]:
    """(label, colour) pairs for the point legend; ``legends`` carries ``status:<code>`` and
    ``kind:<code>`` labels.
    """
    items = [(legends[f"status:{k}"], c) for k, c in STATUS_COLOURS.items() if f"status:{k}" in legends]
    items += [(legends[f"kind:{k}"], c) for k, c in STATION_COLOURS.items() if f"kind:{k}" in legends]
    items += [(legends[f"coverage:{k}"], c) for k, c in COVERAGE_COLOURS.items() if f"coverage:{k}" in legends]
    return items


def projects_map(*, projects: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame,
                 bounds: Sequence[float], legend_title: str, legend_items: Sequence[tuple[str, str]],
                 layer_name: str, selected: str | None = None, basemap: Basemap = Basemap(),
                 note: str | None = None) -> OfflineMap:
    """The project explorer's map: filtered projects (project_id, status, tip, pop) over
    zone and street outlines; the ``selected`` project ringed. ``bounds`` (minx, miny,
    maxx, maxy) is what the map fits; ``legend_title``/``legend_items`` the status legend;
    ``layer_name`` names the project layer.
    """
    m = base_map(bounds, basemap, note)
    _geojson(streets, ["tip"], "streets",
             lambda f: {"color": "#8a8f98", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 0.5,
                        "dashArray": "3"}, control=False).add_to(m)
    _geojson(zones, ["zone_id", "tip", "colour"], "zones",
             lambda f: {"color": f["properties"]["colour"], "weight": 2.5, "fillOpacity": 0.06,
                        "fillColor": f["properties"]["colour"]}, control=False).add_to(m)
    zone_labels_layer(zones).add_to(m)
    if selected is not None and selected in set(projects["project_id"]):
        row = projects[projects["project_id"] == selected].iloc[0]
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=15, color="#111111", weight=3,
                            fill=False, interactive=False).add_to(m)
    # No popup here: Leaflet stops a click that opens a popup, so streamlit-folium would never
    # hear of it; the page shows the clicked project's details beside the map instead.
    point_layer(projects.drop(columns="pop", errors="ignore"), "status", STATUS_COLOURS, layer_name,
                radius=7, popup=None).add_to(m)
    MapControl(swatch_legend_html(legend_title, legend_items, dots=True)).add_to(m)
    return m


def map_html(m: folium.Map) -> str:
    """The map's full standalone HTML (what its size is measured on)."""
    return m.get_root().render()
