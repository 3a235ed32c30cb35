"""The dashboard in a real browser (Debian's Chromium, headless, no internet).

Run: ``python -m pytest tests/e2e -q`` (screenshots go to build/screenshots/).
"""
from __future__ import annotations

import time
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from playwright.sync_api import Frame, Page

from tests.e2e.harness import SCREENSHOTS, VIEWPORTS, XSS_NAME, RecordedPage, map_frame

pytestmark = pytest.mark.e2e

PAGES = [("overview", "/"), ("zone", "/zone?zone=lize"), ("projects", "/projects"), ("needs", "/needs"),
         ("downloads", "/downloads"), ("quality", "/quality")]
MAP_PAGES = {"overview", "zone", "projects", "needs"}
TITLE = "丰台“4+4”功能区地理信息看板"


def open_app(rp: RecordedPage, url: str) -> Page:
    page = rp.page
    page.goto(url)
    page.get_by_text(TITLE).first.wait_for(timeout=60_000)
    page.locator('[data-banner="sample"], [data-banner="open"]').first.wait_for(timeout=60_000)
    return page


VISIBLE_FEATURES = """(key) => {
  const box = window.map.getContainer().getBoundingClientRect(); let n = 0;
  window.map.eachLayer(l => {
    if (!(l.feature && l.feature.properties && l.feature.properties[key] !== undefined)) return;
    const el = l._path; if (!el) return;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom) n++;
  });
  return n; }"""


def wait_for_at_least(page: Page, frame: Frame, script: str, arg: str, minimum: int, timeout: float = 20) -> int:
    """Poll ``script`` until it returns ``minimum`` or more (the map may still be fitting its bounds)."""
    deadline = time.time() + timeout
    value = frame.evaluate(script, arg)
    while value < minimum and time.time() < deadline:
        page.wait_for_timeout(300)
        value = frame.evaluate(script, arg)
    return value


def click_map(page: Page, frame: Frame, point: dict, hover_only: bool = False) -> None:
    """Click (or hover) a container point of the map with page coordinates: Playwright's
    element-relative clicks land off target inside the component iframe when the page scrolls.
    The map is scrolled into the viewport first: a mouse event below the fold goes nowhere."""
    frame.frame_element().scroll_into_view_if_needed()
    box = frame.locator("#map_div").bounding_box()
    x, y = box["x"] + point["x"], box["y"] + point["y"]
    page.mouse.move(x, y)
    if not hover_only:
        page.mouse.click(x, y)


def project_count_on_map(frame: Frame) -> int:
    return frame.evaluate("""() => { let n = 0; window.map.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties.project_id !== undefined) n++; });
        return n; }""")


@pytest.mark.parametrize("width,height", VIEWPORTS)
def test_every_page_offline_with_map_and_banners(sample_server, new_page, width, height):
    rp = new_page(width, height)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES:
        page = open_app(rp, sample_server + path)
        assert page.locator('[data-banner="sample"]').first.is_visible()
        assert page.locator('[data-banner="schematic"]').first.is_visible()
        if name in MAP_PAGES:
            frame = map_frame(page)
            assert frame.evaluate("() => typeof L.version === 'string'")
            expected = 8 if name != "zone" else 1
            assert wait_for_at_least(page, frame, VISIBLE_FEATURES, "zone_id", expected) >= expected
        page.wait_for_timeout(1200)  # let charts and tables settle before the screenshot
        page.screenshot(path=str(SCREENSHOTS / f"{name}_{width}x{height}.png"))
    assert rp.outside_requests() == [], rp.outside_requests()


def test_clicking_a_zone_opens_its_profile(sample_server, new_page):
    rp = new_page(1920, 1080)
    page = open_app(rp, sample_server + "/")
    frame = map_frame(page)
    point = frame.evaluate("""() => { let p = null; window.map.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties.zone_id === 'wulidian')
          p = window.map.latLngToContainerPoint(l.getBounds().getCenter()); });
        return p && {x: p.x, y: p.y}; }""")
    assert point, "zone wulidian not on the map"
    click_map(page, frame, point)
    page.wait_for_url("**/zone?zone=wulidian*", timeout=30_000)
    page.locator('[data-testid="ft-zone"][data-zone="wulidian"]').wait_for(state="attached", timeout=30_000)
    frame = map_frame(page)
    assert frame.evaluate(VISIBLE_FEATURES, "zone_id") >= 1
    assert rp.outside_requests() == []


def _counts(page: Page) -> tuple[int, int]:
    el = page.locator('[data-testid="ft-counts"]').first
    return int(el.get_attribute("data-map")), int(el.get_attribute("data-table"))


def _table_rows(page: Page) -> int:
    grid = page.locator('[data-testid="stDataFrame"]').last.locator('[role="grid"]').first
    return int(grid.get_attribute("aria-rowcount")) - 1  # minus the header row


def test_explorer_filter_moves_map_and_table_together(sample_server, new_page):
    rp = new_page(1920, 1080)
    page = open_app(rp, sample_server + "/projects")
    frame = map_frame(page)
    before_map, before_table = _counts(page)
    assert project_count_on_map(frame) == before_map
    assert _table_rows(page) == before_table
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="项目状态").first.click()
    page.get_by_role("option", name="建成").click()
    page.keyboard.press("Escape")
    deadline = time.time() + 30
    while _counts(page)[1] == before_table and time.time() < deadline:
        page.wait_for_timeout(300)
    after_map, after_table = _counts(page)
    assert after_table < before_table and after_map < before_map
    deadline = time.time() + 30
    frame = map_frame(page)
    while time.time() < deadline:
        try:
            if project_count_on_map(frame) == after_map and _table_rows(page) == after_table:
                break
        except Exception:  # noqa: BLE001 - map remounting
            frame = map_frame(page)
        page.wait_for_timeout(300)
    assert project_count_on_map(frame) == after_map
    assert _table_rows(page) == after_table
    assert "status=completed" in page.url  # the filter is in the link


FORMATS = [("GeoJSON", "wgs84", 4326), ("GeoPackage", "cgcs2000", 4490), ("CSV", "wgs84", None),
           ("Excel", "gcj02", None), ("Shapefile", "cgcs2000", 4490)]


def test_every_download_reads_back(sample_server, new_page, tmp_path):
    rp = new_page(1920, 1080)
    page = open_app(rp, sample_server + "/downloads?layer=projects&zone=lize")
    rows = int(page.locator('[data-testid="stMetricValue"]').first.inner_text().replace(",", ""))
    assert rows > 0
    crs_labels = {"wgs84": "WGS84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02"}
    for label, crs_key, epsg in FORMATS:
        page.get_by_text(label, exact=False).first.click()
        page.get_by_text(crs_labels[crs_key], exact=False).first.click()
        button = page.locator('[data-testid="stDownloadButton"] button').first
        page.wait_for_timeout(800)
        with page.expect_download(timeout=60_000) as info:
            button.click()
        download = info.value
        name = download.suggested_filename
        assert name.startswith("projects_lize_") and crs_key in name, name
        path = tmp_path / name
        download.save_as(path)
        if label == "CSV":
            assert path.read_bytes().startswith(b"\xef\xbb\xbf")
            back = pd.read_csv(path, encoding="utf-8-sig")
        elif label == "Excel":
            back = pd.read_excel(path)
        else:
            if label == "Shapefile":
                assert any(n.endswith(".cpg") for n in zipfile.ZipFile(path).namelist())
            back = gpd.read_file(f"zip://{path}" if label == "Shapefile" else path)
            assert back.crs.to_epsg() == epsg
        assert len(back) == rows, (label, len(back), rows)
    assert rp.outside_requests() == []


def test_xss_probe_does_not_execute(xss_server, new_page):
    rp = new_page(1920, 1080)
    page = open_app(rp, xss_server + "/projects")
    page.locator('[data-testid="ft-counts"]').scroll_into_view_if_needed()
    assert page.locator('[data-banner="open"]').first.is_visible()
    frame = map_frame(page)
    point = frame.evaluate("""() => { let p = null; window.map.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties.project_id === 'X1')
          p = window.map.latLngToContainerPoint(l.getLatLng()); });
        return p && {x: p.x, y: p.y}; }""")
    assert point, "XSS project not on the map"
    click_map(page, frame, point, hover_only=True)
    page.wait_for_timeout(800)
    tooltip = frame.evaluate("() => Array.from(document.querySelectorAll('.leaflet-tooltip'))"
                             ".map(e => e.innerText).join(' ')")
    assert XSS_NAME in tooltip  # shown as text, not parsed as an element
    click_map(page, frame, point)
    # The click selects the project: its details (and the highlighted row) show the name as text.
    page.locator("h3").filter(has_text=XSS_NAME).first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    frame = map_frame(page)
    assert frame.evaluate("() => window.__xss") is None
    assert page.evaluate("() => window.__xss") is None
    page.goto(xss_server + "/")
    page.get_by_text(TITLE).first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    assert page.evaluate("() => window.__xss") is None
    for frame in page.frames:
        assert frame.evaluate("() => window.__xss") is None
    assert rp.outside_requests() == []
