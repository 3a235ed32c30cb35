"""The benchmark's floor page: a minimal Streamlit page with one ``st_folium`` map of the 8 zones.

Served like the real app (offline: Leaflet from the app's own static files, usage stats off
by ``.streamlit/config.toml``), it is what any Streamlit + folium page pays on this machine
for a session, a script run and one map; ``scripts/bench_pages.py`` times the dashboard's
pages against it in the same run. Run by the benchmark (``bench_pages.FloorApp``), from a
temporary folder whose ``static`` links to ``dashboard/static``.
"""
from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from dashboard.maps.assets import install_vendor_assets
from dashboard.maps.draw import OfflineMap
from geodata import boundaries


@st.cache_resource
def _zones():  # noqa: ANN202 - geopandas.GeoDataFrame
    install_vendor_assets()
    zones = boundaries.load_zones()
    return zones[["zone_id", "name", "geometry"]]


zones = _zones()
west, south, east, north = zones.total_bounds
m = OfflineMap(location=[(south + north) / 2, (west + east) / 2], zoom_start=12, tiles=None)
folium.GeoJson(zones.to_json(), tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
m.fit_bounds([[south, west], [north, east]])
st.title("基准页 floor: 8 个功能区")
st_folium(m, key="floor_map", height=600, use_container_width=True, returned_objects=[])
