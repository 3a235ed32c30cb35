"""The dashboard app: ``python -m streamlit run dashboard/app.py``.

Builds the navigation (overview ``/``, zone ``/zone``, projects ``/projects``, downloads
``/downloads``, quality ``/quality``), checks access, shows the honesty banners on every
page, then runs the chosen page.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from PIL import Image, ImageDraw

from dashboard import data, i18n, ui
from dashboard.assets import install_vendor_assets
from dashboard.config import DashboardError

# Not "pages/": Streamlit would treat that folder as a legacy multipage app and run a page
# without app.py (no banners, no access check) when a deep link like /zone is opened first.
PAGES_DIR = Path(__file__).resolve().parent / "screens"
# page file, url path, title key, icon
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("overview.py", "", "page_overview", ":material/map:"),
    ("zone.py", "zone", "page_zone", ":material/location_city:"),
    ("projects.py", "projects", "page_projects", ":material/construction:"),
    ("downloads.py", "downloads", "page_downloads", ":material/download:"),
    ("quality.py", "quality", "page_quality", ":material/fact_check:"),
)


@st.cache_resource(show_spinner=False)
def _icon() -> Image.Image:
    """The favicon, drawn here: a Material icon name would be fetched from fonts.gstatic.com."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, 62, 62), radius=12, fill=(192, 57, 43, 255))
    draw.polygon([(14, 48), (26, 16), (38, 40), (44, 28), (52, 48)], fill=(255, 255, 255, 255))
    return image


@st.cache_resource(show_spinner=False)
def _install_assets() -> str:
    return str(install_vendor_assets())


def build_pages(lang: str) -> dict[str, st.Page]:
    """The app's pages by url path ('' is the overview)."""
    return {url: st.Page(PAGES_DIR / file, title=i18n.t(key, lang), icon=icon, url_path=url or "overview",
                         default=not url)
            for file, url, key, icon in PAGES}


def run() -> None:
    """Configure the page, check access, show banners, run the selected page."""
    st.set_page_config(page_title=i18n.t("app_title"), page_icon=_icon(), layout="wide",
                       initial_sidebar_state="collapsed")
    _install_assets()
    ui.setup_page()
    pages = build_pages(ui.lang())
    st.session_state["_pages"] = pages
    nav = st.navigation(list(pages.values()), position="top")
    try:
        data.store_choice()
        data.begin_run()
        ui.honesty_banners()
        nav.run()
    except data.StoreChanged:
        # A nightly build was swapped in while this page was reading: show the new build whole.
        st.rerun()
    except DashboardError as exc:
        st.error(f"{ui.t('store_error')}: {exc}")
        st.stop()


run()
