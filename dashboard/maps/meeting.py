"""The meeting's one map: built once per build and language, it follows the slides (the page
names the slide in ``data-slide``; :class:`SlideFollower` watches it), so it never reloads."""
from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from dashboard.maps import draw
from dashboard.store.queries import in_zones, zone_colour
from geodata.crs import METRIC_CRS
from loaders.schema import STATUS_LABELS

OVERVIEW = "all"   # the overview slide's key (dashboard.briefing.figures.OVERVIEW is this one)
STATUS_ORDER: tuple[str, ...] = tuple(STATUS_LABELS)


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
        document.body.setAttribute('data-slide', key);   // the slide asked for (the 本月变化 slide shows the overview)
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
    return [[round(p.y, draw.DIGITS), round(p.x, draw.DIGITS), html.escape(str(n))] for p, n in zip(points, names,
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
                legend_title: str, basemap: draw.Basemap = draw.Basemap(), note: str | None = None) -> draw.OfflineMap:
    """The meeting's map: every slide's view in one offline Leaflet map (see :class:`SlideFollower`).

    ``zones`` (zone_id, geometry), ``streets`` (name, geometry) and ``projects`` (project_id,
    status, geometry) are store layers in EPSG:4326; ``members`` the projects' zone link rows;
    ``zone_labels`` zone_id -> display name, in "4+4" order (the overview numbers the zones so);
    ``status_labels``
    status code -> label; ``legend_title`` heads the status legend.
    """
    zones_disp = draw.display_polygons(zones[["zone_id", "geometry"]], basemap.display_crs)
    streets_disp = draw.display_polygons(streets[["name", "geometry"]], basemap.display_crs)
    m = draw.base_map(tuple(streets_disp.total_bounds), basemap, note)
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
    located = draw.display_points(projects[["project_id", "status", "geometry"]], basemap.display_crs)
    status_index = {s: i for i, s in enumerate(STATUS_ORDER)}
    numbers = {z: str(i) for i, z in enumerate(zone_labels, start=1)}  # the overview table's numbers
    data = {
        "overview": OVERVIEW, "radius": 9, "colours": [draw.STATUS_COLOURS[s] for s in STATUS_ORDER],
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
        data["projects"][zone_id] = [[round(g.y, draw.DIGITS), round(g.x, draw.DIGITS), status_index.get(s, 0)]
                                     for g, s in zip(inside.geometry, inside["status"], strict=True)]
    SlideFollower(zones_layer.get_name(), data).add_to(m)
    items = [(status_labels.get(s, s), draw.STATUS_COLOURS[s]) for s in STATUS_ORDER]
    draw.MapControl(draw.swatch_legend_html(legend_title, items, dots=True), "bottomleft",
                    "ft-legend mt-legend").add_to(m)
    return m
