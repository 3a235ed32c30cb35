"""The dashboard app: ``python -m streamlit run dashboard/app.py``.

Streamlit executes this file for every script run (as ``__main__``: :func:`run`). ``streamlit
run`` first finds the ``st.App`` below and serves it: the dashboard, plus the one route of its
own, the finished background exports streamed from disk (:mod:`dashboard.web.export_route`).

Every run, in this order: who is the viewer (:mod:`dashboard.security.sessions`; before sign-in the form
is all a page shows, and nothing of the store is read or sent); the navigation from the page
registry (:mod:`dashboard.web.pages`), with only the pages this viewer's role may open; the role
check of the page asked for (a page the role may not open says so, with no data); then the
store, the honesty banners, the data time and the watermark, and the page. All inside the
handler that turns the project's own errors into a message instead of a traceback.
"""
from __future__ import annotations

import streamlit as st
from PIL import Image, ImageDraw

from dashboard import i18n
from dashboard.config import DashboardError
from dashboard.maps.assets import install_vendor_assets
from dashboard.security import access, audit, sessions
from dashboard.store import data
from dashboard.web import defer, export_route, pages, signin, ui

STORE_RETRY_SECONDS = 5  # while the database is unreachable, how often a page checks that it is back


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


def navigation(lang: str, viewer: access.Viewer | None) -> tuple[st.Page, pages.PageSpec]:
    """``st.navigation`` over :data:`dashboard.web.pages.PAGES`, titled in ``lang``: the page asked
    for and its spec. Every page stays routable (so a deep link reaches its page, which then
    says whether this viewer may open it), but only the pages ``viewer`` may open are listed;
    before sign-in (``viewer`` None) the navigation is hidden altogether."""
    specs = {}
    for spec in pages.PAGES:
        allowed = viewer is not None and access.may_open(viewer, spec.roles)
        page = st.Page(spec.path, title=i18n.t(spec.title_key, lang), icon=spec.icon, url_path=spec.url_path or "overview",
                       default=not spec.url_path, visibility="visible" if allowed else "hidden")
        specs[page.url_path] = (page, spec)
    chosen = st.navigation([page for page, _ in specs.values()], position="top" if viewer is not None else "hidden")
    return specs[chosen.url_path]


def _store_down_note() -> None:
    """The database is unreachable: the last good build is shown, with its time, and the page
    checks every few seconds whether the database is back, then reruns by itself."""
    built = data.built_at()
    when = built.strftime("%Y-%m-%d %H:%M") if built is not None else "—"
    st.warning(i18n.t("store_down", ui.lang()).format(time=when), icon=":material/cloud_off:")
    st.markdown('<div data-testid="ft-store-down"></div>', unsafe_allow_html=True)

    @st.fragment(run_every=STORE_RETRY_SECONDS)
    def watch() -> None:
        if data.store_reachable():
            st.rerun(scope="app")

    watch()


def run() -> None:
    """Configure the page, check access, show banners, run the selected page."""
    st.set_page_config(page_title=i18n.t("app_title"), page_icon=_icon(), layout="wide",
                       initial_sidebar_state="collapsed")
    _install_assets()
    ui.setup_page()
    try:
        settings = data.settings()
        viewer = signin.viewer_for_run(settings)
        page, spec = navigation(ui.lang(), viewer)
        if viewer is None:
            return  # the sign-in form is drawn: nothing of the store on this run
        if not access.may_open(viewer, spec.roles):
            sessions.record_once(settings, ("page_refused", spec.key), audit.Entry(
                "page_refused", user=viewer.name, role=viewer.role, page=spec.key, client=sessions.client_address()))
            ui.page_refused(spec.title_key, viewer)
            ui.watermark(viewer)
            return
        data.store_choice()
        data.begin_run()
        if data.store_down():
            _store_down_note()
        ui.honesty_banners()
        ui.watermark(viewer)
        signin.idle_watch(settings)
        defer.begin()
        page.run()
        defer.trigger()
    except data.StoreChanged:
        # A nightly build was swapped in while this page was reading: show the new build whole.
        st.rerun()
    except DashboardError as exc:
        st.error(f"{ui.t('store_error')}: {exc}")
        st.stop()


if __name__ == "__main__":
    run()   # a script run
else:
    # The server (``streamlit run`` imports this module by its name): Streamlit's routes and ours.
    app = st.App(__file__, routes=export_route.routes())
