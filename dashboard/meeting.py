"""Meeting mode, pure: slide order and navigation, the headline, the KPIs as text, the slide
HTML and the one map that follows the slides. No Streamlit here (the page is
``dashboard/screens/meeting.py``; the PDF briefs in :mod:`dashboard.brief` use the same text).

The figures are the build's (``zone_stats`` joined by :func:`dashboard.queries.zone_table`,
district figures by :func:`dashboard.queries.district_totals`), written with the same
:mod:`dashboard.i18n` formats as the KPI cards, so a slide, a brief and the zone page say the
same number.

``python -m dashboard.meeting --bench [--store TARGET]`` prints how long a slide takes to build
on a warm process (and the one-off map build), the map's size, and the district deck's time.
"""
from __future__ import annotations

import argparse
import html
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from dashboard import i18n, maps
from dashboard.meeting_text import t
from dashboard.queries import (
    KPI_ROW_1,
    KPI_ROW_2,
    METRICS,
    HotlineRate,
    in_zones,
    zone_colour,
)
from geodata.crs import METRIC_CRS
from loaders.schema import STATUS_LABELS

OVERVIEW = "all"              # the overview slide's key: ``?zone=all``, ``--zone all``
MIN_AUTO_S = 2.0              # ``?auto=`` below this is raised to it (a slide must be readable)
MAX_AUTO_S = 3600.0
DEFAULT_AUTO_S = 30.0         # what "play" uses when the URL names no interval
OVERVIEW_COLOUR = "#c0392b"   # the app's primary colour (.streamlit/config.toml)
STATUS_ORDER: tuple[str, ...] = tuple(STATUS_LABELS)          # reserve, under_construction, completed
COMPARE_METRICS: tuple[str, ...] = ("projects", "investment", "response_rate", "projects_delayed")
_UNITS = {"projects": "unit_projects", "enterprises": "unit_enterprises", "service_package": "unit_enterprises",
          "stations": "unit_stations", "projects_delayed": "unit_projects"}
_NUMBER = re.compile(r"^(.*?)([-+]?[\d,]+(?:\.\d+)?%?|—)(.*)$")


# ---------------------------------------------------------------- order and navigation
def slide_order(zone_ids: Sequence[str]) -> tuple[str, ...]:
    """The overview first, then the zones as given (pass them in "4+4" order: ``zone_table``'s index)."""
    return (OVERVIEW, *[z for z in zone_ids if z != OVERVIEW])


def resolve_slide(order: Sequence[str], requested: str | None) -> str:
    """The slide named by ``?zone=``, or the first one when it names none we know."""
    return requested if requested in order else order[0]


def step(order: Sequence[str], current: str, delta: int) -> str:
    """The slide ``delta`` places from ``current``, wrapping round (a playlist never ends)."""
    index = order.index(current) if current in order else 0
    return order[(index + delta) % len(order)]


def parse_auto(value: object) -> float | None:
    """``?auto=<seconds>`` as a number of seconds in [2, 3600], or None when absent or not a number."""
    try:
        seconds = float(str(value).strip()) if value not in (None, "") else math.nan
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return min(max(seconds, MIN_AUTO_S), MAX_AUTO_S)


def due(playing: bool, interval: float | None, shown_at: float, now: float) -> bool:
    """True when a playing playlist has shown the current slide for its interval (a quarter
    second early is on time: the timer that wakes the page is not exact)."""
    return bool(playing and interval and now - shown_at >= interval - 0.25)


# ---------------------------------------------------------------- figures as text
def metric_label(metric: str, lang: str, policy: HotlineRate) -> str:
    """The indicator's label, as the KPI cards write it (the 12345 rate's unit follows ``policy``)."""
    if metric == "hotline_rate":
        return i18n.t("m_hotline_rate" if policy.per_10k else "m_hotline_density", lang)
    return i18n.t(f"m_{metric}", lang)


def metric_text(metric: str, value: object, lang: str, policy: HotlineRate) -> str:
    """The indicator's value, as the KPI cards write it (``dashboard.ui.metric_value``, without a session)."""
    kind = METRICS[metric].kind
    value = _number(value)
    if kind == "yi":
        return i18n.fmt_yi(value, lang)
    if kind == "share":
        return i18n.fmt_pct(value, lang)
    if kind == "rate":
        return i18n.fmt_rate(value, lang) if policy.per_10k else i18n.fmt_density(value, lang)
    unit = _UNITS.get(metric)
    return i18n.fmt_int(value, lang, i18n.t(unit, lang) if unit else "")


def _number(value: object) -> float | None:
    """A plain float, or None for anything missing (NaN, pd.NA, None, text)."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def zone_figures(row: Mapping[str, object]) -> dict[str, float | None]:
    """Every indicator of one ``zone_table`` row (metric key -> value) plus ``status_<code>`` counts."""
    out = {key: _number(row.get(spec.column)) for key, spec in METRICS.items()}
    out |= {f"status_{s}": _number(row.get(f"status_{s}")) for s in STATUS_ORDER}
    return out


def district_figures(totals: Mapping[str, float], street_stats: pd.DataFrame) -> dict[str, float | None]:
    """The district's indicators (:func:`dashboard.queries.district_totals`) plus ``status_<code>``
    counts summed over the streets (every project counts for its one street)."""
    out = {key: _number(totals.get(key)) for key in METRICS}
    for status in STATUS_ORDER:
        column = f"status_{status}"
        out[column] = float(street_stats[column].sum()) if column in street_stats else None
    return out


def headline(figures: Mapping[str, float | None], lang: str, district: bool = False) -> str:
    """One line from the figures: projects (under way), total investment; behind plan; 12345 response.

    E.g. ``重大项目 43 个（在建 18 个），总投资 802.6 亿元；10 个滞后于计划；12345 响应率 98.6%``.
    Figures are written exactly as the KPI cards write them.
    """
    policy = HotlineRate("per_km2")  # no rate-policy figure in the headline
    projects = figures.get("projects")
    parts = []
    if projects:
        parts.append(t("hl_projects", lang, n=metric_text("projects", projects, lang, policy),
                       uc=i18n.fmt_int(figures.get("status_under_construction") or 0, lang),
                       inv=metric_text("investment", figures.get("investment"), lang, policy)))
        delayed = figures.get("projects_delayed")
        if delayed is not None:
            parts.append(t("hl_delayed", lang, n=i18n.fmt_int(delayed, lang)) if delayed else t("hl_on_plan", lang))
    else:
        parts.append(t("hl_no_projects", lang))
    if figures.get("response_rate") is not None:
        parts.append(t("hl_response", lang, rate=metric_text("response_rate", figures["response_rate"], lang, policy)))
    text = t("hl_sep", lang).join(parts)
    return t("hl_district", lang) + text if district else text


# ---------------------------------------------------------------- slides
@dataclass(frozen=True)
class Kpi:
    """One KPI as shown: the metric key, its label, its value text and an optional note under it."""

    metric: str
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Slide:
    """What one slide says: key (``all`` or a zone_id), title, kind, identity colour, headline,
    KPIs, its 1-based number and the number of slides."""

    key: str
    title: str
    kind: str
    colour: str
    headline: str
    kpis: tuple[Kpi, ...]
    number: int
    total: int


def status_note(figures: Mapping[str, float | None], lang: str) -> str:
    """``在建 18 · 储备 14 · 建成 11`` (empty when the counts are unknown)."""
    counts = [figures.get(f"status_{s}") for s in ("under_construction", "reserve", "completed")]
    if any(c is None for c in counts):
        return ""
    uc, rs, cp = (i18n.fmt_int(c, lang) for c in counts)
    return t("mt_status_line", lang, uc=uc, rs=rs, cp=cp)


def kpis(figures: Mapping[str, float | None], metrics: Sequence[str], lang: str, policy: HotlineRate) -> tuple[Kpi, ...]:
    """The KPIs of ``metrics`` (keys of :data:`dashboard.queries.METRICS`), labelled and written."""
    return tuple(Kpi(m, metric_label(m, lang, policy), metric_text(m, figures.get(m), lang, policy),
                     status_note(figures, lang) if m == "projects" else "") for m in metrics)


def zone_name(zones: pd.DataFrame, zone_id: str, lang: str) -> str:
    """The zone's name in ``lang`` (``zones`` is ``zone_table``'s frame, indexed by zone_id)."""
    row = zones.loc[zone_id]
    english = row.get("name_en")
    return str(english if lang == "en" and isinstance(english, str) and english else row["name"])


def build_slide(key: str, order: Sequence[str], zones: pd.DataFrame, district: Mapping[str, float | None],
                lang: str, policy: HotlineRate) -> Slide:
    """The slide ``key``: the overview (district figures, the first KPI row) or one zone (both rows).

    ``zones`` is :func:`dashboard.queries.zone_table`'s frame; ``district`` is
    :func:`district_figures`' dict.
    """
    number, total = order.index(key) + 1, len(order)
    if key == OVERVIEW:
        return Slide(OVERVIEW, t("mt_overview_title", lang), t("mt_overview_kind", lang), OVERVIEW_COLOUR,
                     headline(district, lang, district=True), kpis(district, KPI_ROW_1, lang, policy), number, total)
    row = zones.loc[key]
    figures = zone_figures(row)
    kind = i18n.enum_label("zone_kind", row.get("kind"), lang) if isinstance(row.get("kind"), str) else ""
    return Slide(key, zone_name(zones, key, lang), kind, str(row.get("colour") or zone_colour(key)),
                 headline(figures, lang), kpis(figures, (*KPI_ROW_1, *KPI_ROW_2), lang, policy), number, total)


def comparison(zones: pd.DataFrame, metrics: Sequence[str], lang: str, policy: HotlineRate) -> list[dict[str, str]]:
    """One row per zone ("4+4" order, as ``zones`` is): number, zone_id, name, colour and each
    metric's text, for the overview slide's table and the deck's cover."""
    rows = []
    for number, zone_id in enumerate(zones.index, start=1):
        figures = zone_figures(zones.loc[zone_id])
        row = {"number": str(number), "zone_id": str(zone_id), "name": zone_name(zones, zone_id, lang),
               "colour": str(zones.loc[zone_id].get("colour") or zone_colour(zone_id))}
        row |= {m: metric_text(m, figures.get(m), lang, policy) for m in metrics}
        rows.append(row)
    return rows


# ---------------------------------------------------------------- slide HTML (escaped here)
def split_number(text: str) -> tuple[str, str, str]:
    """``"802.6 亿元"`` -> ``("", "802.6", " 亿元")``: the figure is drawn large, its unit small."""
    match = _NUMBER.match(text)
    return (match.group(1), match.group(2), match.group(3)) if match else ("", text, "")


def slide_head_html(slide: Slide, playing: bool, status: str) -> str:
    """The slide's title block; its ``data-slide`` is what the map and the tests follow."""
    e = html.escape
    return (f'<div class="mt-slide" data-testid="mt-slide" data-slide="{e(slide.key)}" '
            f'data-playing="{1 if playing else 0}" style="--mt-colour:{e(slide.colour)}">'
            f'<div class="mt-title"><span class="mt-bar"></span><h1 class="mt-name">{e(slide.title)}</h1>'
            f'<span class="mt-kind">{e(slide.kind)}</span>'
            f'<span class="mt-count">{slide.number} / {slide.total}</span>'
            f'<span class="mt-status">{e(status)}</span></div>'
            f'<div class="mt-headline" data-testid="mt-headline">{e(slide.headline)}</div></div>')


def kpis_html(items: Sequence[Kpi], columns: int = 2) -> str:
    """The KPI grid: label above, the figure large with its unit small, an optional note."""
    e = html.escape
    cells = []
    for kpi in items:
        before, number, after = split_number(kpi.value)
        unit_before = f'<span class="mt-unit">{e(before)}</span>' if before else ""
        unit_after = f'<span class="mt-unit">{e(after)}</span>' if after else ""
        note = f'<div class="mt-kpi-note">{e(kpi.note)}</div>' if kpi.note else ""
        cells.append(f'<div class="mt-kpi" data-metric="{e(kpi.metric)}"><div class="mt-kpi-label">{e(kpi.label)}</div>'
                     f'<div class="mt-kpi-value" data-value="{e(kpi.value)}">{unit_before}'
                     f'<span class="mt-num">{e(number)}</span>{unit_after}</div>{note}</div>')
    return f'<div class="mt-kpis" style="--mt-cols:{columns}" data-testid="mt-kpis">{"".join(cells)}</div>'


def comparison_html(rows: Sequence[Mapping[str, str]], metrics: Sequence[str], lang: str, policy: HotlineRate) -> str:
    """The overview slide's zone table: number and colour, name, one column per metric."""
    e = html.escape
    head = "".join(f"<th>{e(metric_label(m, lang, policy))}</th>" for m in metrics)
    body = "".join(
        f'<tr data-zone="{e(r["zone_id"])}"><td class="mt-zone"><span class="mt-swatch" '
        f'style="background:{e(r["colour"])}">{e(r["number"])}</span>{e(r["name"])}</td>'
        + "".join(f"<td>{e(r[m])}</td>" for m in metrics) + "</tr>" for r in rows)
    return (f'<table class="mt-compare" data-testid="mt-compare"><thead><tr><th>{e(t("mt_zone_col", lang))}</th>'
            f"{head}</tr></thead><tbody>{body}</tbody></table>")


# ---------------------------------------------------------------- the map that follows the slides
class SlideFollower(MacroElement):
    """Shows the slide the page names: the zone outlined and its streets and projects drawn, or,
    on the overview, every zone filled in its colour and named.

    The page's ``[data-testid="mt-slide"]`` element carries ``data-slide``; this script watches
    it (a MutationObserver, and a slow poll in case the observer is lost), so the map iframe
    is built once per build and language and never reloads between slides: no flash, and a
    slide change costs a re-fit and a few hundred SVG markers.
    """

    _template = Template("""{% macro script(this, kwargs) %}
    (function(){
      var map = {{ this._parent.get_name() }}, zones = {{ this.zones_layer }}, D = {{ this.data|tojson }};
      var dyn = L.layerGroup().addTo(map), current = null;
      map.keyboard.disable();
      if (map.zoomControl) { map.removeControl(map.zoomControl); }
      function restyle(key) {
        zones.setStyle(function (f) {
          var p = f.properties;
          if (key === D.overview) { return {color: p.colour, weight: 3, opacity: 1, fillColor: p.colour,
                                            fillOpacity: 0.3, dashArray: null}; }
          if (p.zone_id === key) { return {color: p.colour, weight: 6, opacity: 1, fillColor: p.colour,
                                           fillOpacity: 0.06, dashArray: null}; }
          return {color: p.colour, weight: 1.5, opacity: 0.55, fillOpacity: 0, dashArray: '6 5'};
        });
        zones.eachLayer(function (l) { if (l.feature.properties.zone_id === key) { l.bringToFront(); } });
      }
      function fit() {
        if (current === null) { return; }
        // folium's own opening fitBounds may still be animating: a reset now would be undone when it ends
        if (map._animatingZoom) { map.once('zoomend', fit); return; }
        map.invalidateSize(false);
        // keep the zone clear of the legend and scale in the bottom-left corner
        var corner = map.getContainer().querySelector('.leaflet-bottom.leaflet-left');
        var below = corner ? corner.offsetHeight + 26 : 28;
        map.fitBounds(D.bounds[current], {paddingTopLeft: [28, 28], paddingBottomRight: [28, Math.max(below, 28)],
                                          animate: false});
      }
      function show(key) {
        if (!D.bounds.hasOwnProperty(key)) { key = D.overview; }
        if (key === current) { return; }
        current = key;
        dyn.clearLayers();
        restyle(key);
        var overview = key === D.overview;
        (overview ? D.zone_labels : (D.street_labels[key] || [])).forEach(function (l) {
          var style = l.length > 3 ? ' style="border-color:' + l[3] + '"' : '';
          L.marker([l[0], l[1]], {interactive: false, keyboard: false, icon: L.divIcon({className: 'mt-label-icon',
            html: '<div class="mt-label ' + (overview ? 'mt-zone-label' : 'mt-street-label') + '"' + style + '>'
                  + l[2] + '</div>', iconSize: null})}).addTo(dyn);
        });
        if (!overview) {
          (D.projects[key] || []).forEach(function (p) {
            L.circleMarker([p[0], p[1]], {radius: D.radius, color: '#ffffff', weight: 2, fillColor: D.colours[p[2]],
                                          fillOpacity: 0.95, interactive: false}).addTo(dyn);
          });
        }
        map.getContainer().classList.toggle('mt-overview', overview);
        fit();
        document.body.setAttribute('data-slide', key);
      }
      function wanted() {
        try {
          var el = window.parent.document.querySelector('[data-testid="mt-slide"]');
          return el ? el.getAttribute('data-slide') : null;
        } catch (e) { return null; }
      }
      function sync() { var key = wanted(); show(key === null ? (current === null ? D.overview : current) : key); }
      sync();
      try {
        new window.parent.MutationObserver(sync).observe(window.parent.document.body,
          {subtree: true, childList: true, attributes: true, attributeFilter: ['data-slide']});
      } catch (e) {}
      setInterval(sync, 500);
      window.addEventListener('resize', fit);
      window.__mtFollower = {show: show, fit: fit, current: function () { return current; }};
    })();
    {% endmacro %}""")

    def __init__(self, zones_layer: str, data: dict) -> None:
        super().__init__()
        self._name = "SlideFollower"
        self.zones_layer = zones_layer
        self.data = data


# The meeting's keys, installed once in the page itself (the map iframe is the page's only script):
# arrows and PageUp/PageDown click the strip's buttons, Space or P toggles pause, any other key
# pauses a playing playlist. Keys typed into the zone list are left alone; the map iframe
# forwards the keys it receives (after a click on the map the focus is inside it).
_KEYS_JS = r"""
window.__ftMeetingKey = function (e) {
  var root = document.querySelector('[data-testid="mt-slide"]');
  if (!root || e.ctrlKey || e.metaKey || e.altKey) { return; }
  var target = e.target;
  if (target && target.closest && target.closest('input, textarea, select, [role="listbox"], [role="option"]')) { return; }
  function press(key) {  // the visible button (a button with help may have a hidden twin)
    var buttons = document.querySelectorAll('.st-key-' + key + ' button');
    for (var i = 0; i < buttons.length; i++) { if (buttons[i].offsetParent !== null) { buttons[i].click(); return; } }
    if (buttons.length) { buttons[0].click(); }
  }
  var playing = root.getAttribute('data-playing') === '1', k = e.key;
  if (k === 'ArrowRight' || k === 'PageDown') { press('mt_next'); }
  else if (k === 'ArrowLeft' || k === 'PageUp') { press('mt_prev'); }
  else if (k === ' ' || k === 'p' || k === 'P' || k === 'Pause') { press('mt_pause'); }
  else { if (playing) { press('mt_pause'); } return; }
  e.preventDefault();
  if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
};
document.addEventListener('keydown', function (e) { window.__ftMeetingKey(e); }, true);
"""
_KEYS_INSTALLER = """<script>
(function () {
  var P = window.parent;
  try { if (!P || P === window || !P.document) { return; } } catch (e) { return; }
  if (!P.__ftMeetingKey) {
    var s = P.document.createElement('script');
    s.textContent = %s;
    P.document.head.appendChild(s);
  }
  window.addEventListener('keydown', function (e) { if (P.__ftMeetingKey) { P.__ftMeetingKey(e); } });
})();
</script>"""

_MAP_CSS = """<style>
.mt-label{transform:translate(-50%,-50%);display:inline-block;white-space:nowrap;pointer-events:none;
  font:600 calc(12px + 1vh)/1.2 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#1d2b3a;
  text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 4px #fff}
.mt-zone-label{font-size:calc(12px + 1.5vh);color:#111;background:#fff;border:3px solid #333;border-radius:50%;
  min-width:1.6em;height:1.6em;line-height:1.6em;text-align:center;text-shadow:none;box-shadow:0 1px 4px rgba(0,0,0,.35)}
.mt-street-label{color:#46505c;font-weight:500}
.ft-legend.mt-legend{font:calc(10px + 1vh)/1.4 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:none;
  white-space:nowrap;padding:4px 12px}
.ft-legend.mt-legend b{font-size:calc(10px + 1vh);display:inline;margin-right:10px}
.ft-legend.mt-legend br{display:none}
.ft-legend.mt-legend i{margin-left:10px}
.ft-legend.mt-legend .dot{width:calc(6px + 0.9vh);height:calc(6px + 0.9vh)}
.mt-overview .mt-legend{display:none}
</style>"""


def _labels(points: gpd.GeoSeries, names: Sequence[str]) -> list[list]:
    return [[round(p.y, maps.DIGITS), round(p.x, maps.DIGITS), html.escape(str(n))] for p, n in zip(points, names,
                                                                                                    strict=True)]


def _bounds(frame: gpd.GeoDataFrame) -> list[list[float]]:
    minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
    return [[miny, minx], [maxy, maxx]]


def street_labels(zone: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, min_share: float = 0.04) -> list[list]:
    """The streets a zone covers, named at a point inside each part (parts smaller than
    ``min_share`` of the zone go unnamed: a label on a sliver reads as the wrong street)."""
    parts = gpd.overlay(streets[["name", "geometry"]], zone[["geometry"]], how="intersection", keep_geom_type=True)
    if parts.empty:
        return []
    area = parts.to_crs(METRIC_CRS).area
    keep = parts[area >= min_share * float(area.sum())]
    return _labels(keep.geometry.representative_point(), keep["name"])


def meeting_map(*, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, projects: gpd.GeoDataFrame,
                members: pd.DataFrame, zone_labels: Mapping[str, str], status_labels: Mapping[str, str],
                legend_title: str, basemap: maps.Basemap = maps.Basemap(), note: str | None = None) -> maps.OfflineMap:
    """The meeting's map: every slide's view in one offline Leaflet map (see :class:`SlideFollower`).

    ``zones`` (zone_id, geometry), ``streets`` (name, geometry) and ``projects`` (project_id,
    status, geometry) are store layers in EPSG:4326; ``members`` the projects' zone link rows;
    ``zone_labels`` zone_id -> display name, in "4+4" order (the overview numbers the zones so);
    ``status_labels``
    status code -> label; ``legend_title`` heads the status legend.
    """
    zones_disp = maps.display_polygons(zones[["zone_id", "geometry"]], basemap.display_crs)
    streets_disp = maps.display_polygons(streets[["name", "geometry"]], basemap.display_crs)
    m = maps.base_map(tuple(streets_disp.total_bounds), basemap, note)
    # The follower fits every view itself; base_map's animated opening fit would land after it.
    for name in [k for k, child in m._children.items() if isinstance(child, folium.map.FitBounds)]:
        del m._children[name]
    m.get_root().header.add_child(Element(_MAP_CSS))
    m.get_root().header.add_child(Element(_KEYS_INSTALLER % json.dumps(_KEYS_JS)))
    folium.GeoJson(streets_disp[["geometry"]], name="streets", control=False, interactive=False,
                   style_function=lambda f: {"color": "#7d8590", "weight": 1.2, "fillColor": "#ffffff",
                                             "fillOpacity": 0.55, "dashArray": "4 3"}).add_to(m)
    ordered = zones_disp.assign(colour=[zone_colour(z) for z in zones_disp["zone_id"]],
                                _area=zones_disp.to_crs(METRIC_CRS).area).sort_values("_area", ascending=False)
    zones_layer = folium.GeoJson(ordered[["zone_id", "colour", "geometry"]], name="zones", control=False,
                                 interactive=False,
                                 style_function=lambda f: {"color": f["properties"]["colour"], "weight": 3,
                                                           "fillOpacity": 0.3})
    zones_layer.add_to(m)
    located = maps.display_points(projects[["project_id", "status", "geometry"]], basemap.display_crs)
    status_index = {s: i for i, s in enumerate(STATUS_ORDER)}
    numbers = {z: str(i) for i, z in enumerate(zone_labels, start=1)}  # the overview table's numbers
    data = {
        "overview": OVERVIEW, "radius": 9, "colours": [maps.STATUS_COLOURS[s] for s in STATUS_ORDER],
        "bounds": {OVERVIEW: _bounds(streets_disp)}, "street_labels": {}, "projects": {},
        "zone_labels": [[*label, html.escape(zone_colour(z))] for label, z in zip(
            _labels(zones_disp.geometry.representative_point(), [numbers.get(z, z) for z in zones_disp["zone_id"]]),
            zones_disp["zone_id"], strict=True)],
    }
    for zone_id in zones_disp["zone_id"]:
        zone = zones_disp[zones_disp["zone_id"] == zone_id]
        data["bounds"][zone_id] = _bounds(zone)
        data["street_labels"][zone_id] = street_labels(zone, streets_disp)
        inside = located[in_zones(located, "project_id", members, (zone_id,))]
        data["projects"][zone_id] = [[round(g.y, maps.DIGITS), round(g.x, maps.DIGITS), status_index.get(s, 0)]
                                     for g, s in zip(inside.geometry, inside["status"], strict=True)]
    SlideFollower(zones_layer.get_name(), data).add_to(m)
    items = [(status_labels.get(s, s), maps.STATUS_COLOURS[s]) for s in STATUS_ORDER]
    maps.MapControl(maps.swatch_legend_html(legend_title, items, dots=True), "bottomleft",
                    "ft-legend mt-legend").add_to(m)
    return m


# ---------------------------------------------------------------- benchmark
def bench(store_target: str, lang: str = "zh") -> dict[str, float]:
    """Time the meeting's work on a warm process and print it: the one-off map build, each
    slide's build (what a key press costs the server), and the district deck (PDF)."""
    from dashboard import brief, queries  # the brief imports this module
    from loaders.store import open_store

    started = time.perf_counter()
    store = open_store(store_target)
    source = brief.read_brief_data(store)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    status = {s: i18n.enum_label("status", s, lang) for s in STATUS_ORDER}
    m = meeting_map(zones=source.zone_polygons, streets=source.streets, projects=source.projects,
                    members=source.members, zone_labels=queries.zone_names(source.zone_polygons, lang),
                    status_labels=status, legend_title=t("mt_map_legend", lang))
    page = maps.map_html(m)
    map_s = time.perf_counter() - started
    order = slide_order(list(source.zones.index))
    timings = []
    for _ in range(3):  # warm: the first pass pays imports and caches
        for key in order:
            started = time.perf_counter()
            slide = build_slide(key, order, source.zones, source.district, lang, source.policy)
            slide_head_html(slide, False, "")
            kpis_html(slide.kpis)
            if key == OVERVIEW:
                comparison_html(comparison(source.zones, COMPARE_METRICS, lang, source.policy), COMPARE_METRICS,
                                lang, source.policy)
            timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    deck = brief.brief_pdf(store, OVERVIEW, lang)
    deck_s = time.perf_counter() - started
    out = {"read_s": read_s, "map_build_s": map_s, "map_kb": len(page.encode()) / 1024,
           "slide_max_ms": max(timings[len(order):]) * 1000, "deck_s": deck_s, "deck_kb": len(deck) / 1024}
    print(f"store read (projects, zones, streets, stats)  {read_s:6.2f} s")
    print(f"meeting map, built once per build/language    {map_s:6.2f} s   HTML {out['map_kb']:,.0f} kB")
    print(f"next slide, server side (warm, worst of {len(order)})   {out['slide_max_ms']:6.1f} ms")
    print(f"district deck PDF ({len(order)} pages)                 {deck_s:6.2f} s   {out['deck_kb']:,.0f} kB")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.meeting", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", action="store_true", help="print the meeting's timings")
    parser.add_argument("--store", help="a .gpkg path or postgresql:// URL (default: the bundled sample store)")
    parser.add_argument("--lang", choices=i18n.LANGS, default="zh")
    args = parser.parse_args(argv)
    if not args.bench:
        parser.print_help()
        return 0
    target = args.store
    if target is None:
        from loaders.build import ensure_sample_store
        from loaders.store import default_store_path
        ensure_sample_store()
        target = str(default_store_path())
    bench(target, args.lang)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
