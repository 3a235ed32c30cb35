"""Map first (issue 21): a new session's map page draws its map before Streamlit's table and
chart bundles are fetched, then its tables and charts in a fragment-only rerun; once drawn,
nothing of the page is missing, and a click that needs the whole page (an industry bar on the
zone page) still redraws the map.

Run: ``python -m pytest tests/e2e/test_browser_map_first.py -q``.
"""
from __future__ import annotations

import re

import pytest

from tests.e2e.harness import SCREENSHOTS, map_frame

pytestmark = pytest.mark.e2e

TABLE_BUNDLE = re.compile(r"/static/js/DataFrame\.[^/]+\.js$")     # Streamlit's table (glide grid)
CHART_BUNDLE = re.compile(r"/static/js/embed\.[^/]+\.js$")         # Streamlit's charts (Vega embed)
MAP_DOC = re.compile(r"streamlit_folium[^?]*/index\.html")


def _first(requests: list[str], pattern: re.Pattern) -> int:
    hits = [i for i, url in enumerate(requests) if pattern.search(url)]
    assert hits, f"never requested: {pattern.pattern}"
    return hits[0]


@pytest.mark.parametrize(("path", "tables", "charts"), [("/", 2, 1), ("/zone?zone=lize", 2, 3), ("/projects", 1, 0)])
def test_a_new_session_draws_the_map_before_the_table_and_chart_bundles(sample_server, new_page, path, tables,
                                                                       charts):
    rp = new_page(1920, 1080)
    page = rp.page
    page.goto(sample_server + path)
    map_frame(page)
    # the deferred parts arrive after the map: every table and chart of the page is there
    page.locator('[data-testid="stDataFrame"]').nth(tables - 1).wait_for(timeout=60_000)
    if charts:
        page.locator('[data-testid="stVegaLiteChart"]').nth(charts - 1).wait_for(timeout=60_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    assert page.locator('[data-testid="stDataFrame"]').count() >= tables
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= charts
    name = path.strip("/").split("?")[0] or "overview"
    page.screenshot(path=str(SCREENSHOTS / f"map_first_{name}.png"), full_page=True)
    # ... and the map's document was asked for before the table (and chart) bundles
    map_at = _first(rp.requests, MAP_DOC)
    assert map_at < _first(rp.requests, TABLE_BUNDLE), rp.requests
    if charts:
        assert map_at < _first(rp.requests, CHART_BUNDLE), rp.requests
    assert not page.get_by_text("Traceback").count()


def test_a_later_page_of_the_same_session_draws_everything_at_once(sample_server, new_page):
    page = new_page(1920, 1080).page
    page.goto(sample_server + "/projects")
    map_frame(page)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    # the session is ready: the zone page's run sends its tables with the map (no placeholder left)
    page.get_by_role("link", name="功能区").first.click()
    page.locator('[data-testid="ft-zone"]').wait_for(state="attached", timeout=60_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2
    assert not page.locator('.st-key-ft_map_ready').count()


@pytest.mark.parametrize("when", ["at once", "as the map draws", "as the map draws, again", "after 700 ms"])
def test_a_page_link_clicked_while_the_map_is_drawn_is_not_lost(sample_server, new_page, when):
    """A new session's click on another page while the first page's map is still being drawn,
    or just as it draws (the map-ready message and its rerun on the way): the navigation wins,
    and the new page still draws its deferred tables. Seen in CI, and 3 to 7 times in 30 under
    load "as the map draws": a second script thread (Streamlit's fast reruns) started the ready
    message's rerun after the click's run had set its page, and the overview came back."""
    page = new_page(1920, 1080).page
    page.goto(sample_server + "/")
    link = page.get_by_role("link", name="功能区").first
    link.wait_for(timeout=60_000)
    if when.startswith("as the map draws"):
        map_frame(page)   # Leaflet has drawn: the ready message goes within 40 ms
    elif when == "after 700 ms":
        page.wait_for_timeout(700)
    link.click()
    page.wait_for_url("**/zone*", timeout=30_000)
    page.locator('[data-testid="ft-zone"]').wait_for(state="attached", timeout=60_000)
    map_frame(page)
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for(timeout=60_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    page.wait_for_timeout(500)    # a late message of the first page would land now
    assert "/zone" in page.url
    assert page.locator('[data-testid="ft-zone"]').count() == 1
    assert not page.get_by_text("Traceback").count()
