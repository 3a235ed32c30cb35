"""The explorer's map follows the filter, in a real browser on the sample store.

Read from the Leaflet map inside the streamlit-folium frame (``window.map``): the projects
drawn are exactly the filtered ones, the map's bounds hold every one of them, a filter that
matches nothing says so, and a ``?project=<id>`` link zooms to that project.
"""
from __future__ import annotations

import re
import time

import geopandas as gpd
import pyogrio
import pytest
from playwright.sync_api import Frame, Page

from dashboard.i18n import t
from dashboard.store.queries import ProjectFilter, filter_projects
from tests.e2e.harness import SCREENSHOTS, map_frame
from tests.e2e.test_browser import open_app

pytestmark = pytest.mark.e2e

# The projects drawn on the map, and which of them lie outside the map's current bounds.
DRAWN = """() => { const ids = [], outside = [], b = window.map.getBounds();
  window.map.eachLayer(l => {
    if (!(l.feature && l.feature.properties && l.feature.properties.project_id !== undefined)) return;
    ids.push(l.feature.properties.project_id);
    if (!b.contains(l.getLatLng())) outside.push(l.feature.properties.project_id); });
  return {ids: ids, outside: outside,
          span: [b.getNorth() - b.getSouth(), b.getEast() - b.getWest()],
          bounds: [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]}; }"""


def _sample() -> tuple[gpd.GeoDataFrame, object]:
    from loaders.build import ensure_sample_store
    store = ensure_sample_store()
    projects = gpd.read_file(store, layer="projects")
    links = pyogrio.read_dataframe(store, layer="zone_members", read_geometry=False)
    return projects, links[links["layer"] == "projects"]


def _located_ids(frame: gpd.GeoDataFrame) -> set[str]:
    return set(frame.loc[frame.geometry.notna() & ~frame.geometry.is_empty, "project_id"])


def _drawn_when(page: Page, expected: set[str], timeout: float = 45) -> tuple[Frame, dict]:
    """The map (it remounts when the filter changes) once it draws ``expected``'s count."""
    deadline = time.time() + timeout
    drawn: dict = {"ids": []}
    while time.time() < deadline:
        try:
            frame = map_frame(page, timeout=10)
            drawn = frame.evaluate(DRAWN)
            if len(drawn["ids"]) == len(expected):
                page.wait_for_timeout(800)  # let fitBounds settle, then read again
                return frame, frame.evaluate(DRAWN)
        except Exception:  # noqa: BLE001 - frame remounting while the page reruns
            pass
        page.wait_for_timeout(400)
    raise AssertionError(f"map drew {len(drawn['ids'])} projects, expected {len(expected)}")


def _pick(page: Page, label: str, option: str) -> None:
    page.locator('[data-testid="stMultiSelect"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=re.compile("^" + re.escape(option))).first.click()
    page.keyboard.press("Escape")


def test_the_map_draws_and_fits_exactly_the_filtered_projects(sample_server, new_page):
    projects, links = _sample()
    rp = new_page(1366, 768)
    page = open_app(rp, sample_server + "/projects")
    _drawn_when(page, _located_ids(projects))
    _pick(page, "功能区", "丽泽金融商务区")
    _pick(page, "项目状态", "在建")
    expected = _located_ids(filter_projects(projects, links, ProjectFilter(zones=("lize",),
                                                                           status=("under_construction",))))
    assert 0 < len(expected) < len(_located_ids(projects)) / 3
    _, drawn = _drawn_when(page, expected)
    assert set(drawn["ids"]) == expected and len(drawn["ids"]) == len(expected)
    assert drawn["outside"] == [], drawn["outside"]
    assert drawn["span"][0] < 0.2, drawn  # fitted to the zone's projects, not the whole district
    assert "zone=lize" in page.url and "status=under_construction" in page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "explorer_filtered_1366x768.png"))

    # A lower investment bound above every project: nothing matches, and the page says so.
    box = page.get_by_role("spinbutton", name=t("x_inv_min"))
    box.fill("100000")
    box.press("Enter")
    page.get_by_text(t("x_no_match")).first.wait_for(timeout=30_000)
    assert page.get_by_role("button", name=t("x_clear")).is_visible()
    assert page.get_by_text(t("click_project_hint")).count() == 0
    _, drawn = _drawn_when(page, set())
    assert drawn["ids"] == []
    assert rp.outside_requests() == []


def test_a_project_link_zooms_to_it_and_shows_its_details(sample_server, new_page):
    projects, links = _sample()
    in_lize = set(links.loc[links["zone_id"] == "lize", "record_id"])
    located = projects[projects.geometry.notna() & projects["project_id"].isin(in_lize)]
    row = located.sort_values("project_id").iloc[len(located) // 2]
    pid = row["project_id"]
    rp = new_page(1366, 768)
    page = open_app(rp, sample_server + f"/projects?project={pid}&zone=lize")
    expected = _located_ids(filter_projects(projects, links, ProjectFilter(zones=("lize",))))
    frame, drawn = _drawn_when(page, expected)
    south, west, north, east = drawn["bounds"]
    assert south < row.geometry.y < north and west < row.geometry.x < east
    assert drawn["span"][0] < 0.06, drawn  # zoomed to the project's neighbourhood
    details = page.locator(f'[data-testid="ft-details"][data-project="{pid}"]')
    details.wait_for(timeout=30_000)
    page.locator("h3").filter(has_text=str(row["name"])).first.wait_for(timeout=30_000)
    # with the map on screen, the details' address, owner unit and declared zone are too
    page.locator('[data-testid="ft-counts"]').first.evaluate("e => e.scrollIntoView()")
    page.wait_for_timeout(500)
    for label in ("地址", "责任单位", "申报功能区"):
        cell = details.locator("th", has_text=label).first
        box = cell.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 768, label
    assert f"project={pid}" in page.url and "zone=lize" in page.url
    page.screenshot(path=str(SCREENSHOTS / "explorer_project_link_1366x768.png"))
    assert frame.evaluate("() => document.querySelectorAll('.leaflet-overlay-pane path').length") > 0
    assert rp.outside_requests() == []
