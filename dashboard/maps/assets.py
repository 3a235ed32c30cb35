"""Local copies of Leaflet and its plugins, so maps render with no internet.

The files come from the XStatic packages (pip-installable, versions pinned in
requirements.txt). They are copied into ``dashboard/static/vendor/`` (gitignored), which
Streamlit serves at ``/app/static/vendor/`` when ``server.enableStaticServing`` is on; the
map iframe of streamlit-folium is served by the same host, so the URLs are same-origin.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_markercluster

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"   # beside app.py: what Streamlit serves
VENDOR_DIR = STATIC_DIR / "vendor"
VENDOR_URL = "/app/static/vendor"

# vendor folder name -> (source folder, files and folders to copy)
_PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "leaflet": (xs_leaflet.BASE_DIR, ("leaflet.js", "leaflet.css", "images")),
    "markercluster": (xs_markercluster.BASE_DIR,
                      ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css")),
}

LEAFLET_JS = f"{VENDOR_URL}/leaflet/leaflet.js"
LEAFLET_CSS = f"{VENDOR_URL}/leaflet/leaflet.css"
MARKERCLUSTER_JS = f"{VENDOR_URL}/markercluster/leaflet.markercluster.js"
MARKERCLUSTER_CSS = f"{VENDOR_URL}/markercluster/MarkerCluster.css"
MARKERCLUSTER_DEFAULT_CSS = f"{VENDOR_URL}/markercluster/MarkerCluster.Default.css"


def install_vendor_assets(target: Path = VENDOR_DIR) -> Path:
    """Copy the vendored files into ``target`` when missing or stale; return ``target``."""
    for name, (source_dir, entries) in _PACKAGES.items():
        for entry in entries:
            source, dest = Path(source_dir) / entry, target / name / entry
            if source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True)
            elif not dest.exists() or dest.stat().st_size != source.stat().st_size:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
    return target
