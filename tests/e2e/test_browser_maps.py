"""Maps people can read, in a real browser (issue 11): the zone fit leaves a margin and keeps
its outline clear of the layer list and legends; the enterprise shading starts off and its
legend shows only with it; the overview's legend sits above the district; English zone labels
never overlap; a bar of a zone's industry mix filters its map and project list.

Run: ``python -m pytest tests/e2e/test_browser_maps.py -q`` (screenshots go to build/screenshots/).
"""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page

from tests.e2e.harness import SCREENSHOTS, RecordedPage, map_frame

SETTLE_MS = 800  # after the first path: fitBounds and the label layout settle

pytestmark = pytest.mark.e2e

MARGIN = 8  # pixels the zone's outline keeps from the map's edge and from any control


def settled(rp: RecordedPage, url: str) -> Page:
    """Open ``url`` and wait until the page's script has finished running."""
    page = rp.page
    page.goto(url)
    page.locator('[data-banner="sample"]').first.wait_for(timeout=60_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    return page


BOXES = """() => {
  const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const shown = el => el.offsetParent !== null && getComputedStyle(el).display !== 'none';
  const out = {map: box(window.map.getContainer().getBoundingClientRect()), zone: null, controls: [],
               shading: 0};
  window.map.eachLayer(l => {
    if (l.feature && l.options && l.options.weight === 4 && l._path) out.zone = box(l._path.getBoundingClientRect());
    if (l.feature && l._path && l.feature.properties && l.feature.properties.fill) out.shading++;
  });
  document.querySelectorAll('.leaflet-control-layers, .ft-legend').forEach(el => {
    if (shown(el)) out.controls.push(Object.assign(box(el.getBoundingClientRect()),
                                                   {layer: el.getAttribute('data-layer') || ''}));
  });
  return out; }"""


def overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def check_zone_clear(boxes: dict) -> None:
    zone, frame = boxes["zone"], boxes["map"]
    assert zone is not None, boxes
    assert zone["left"] - frame["left"] >= MARGIN and frame["right"] - zone["right"] >= MARGIN, (zone, frame)
    assert zone["top"] - frame["top"] >= MARGIN and frame["bottom"] - zone["bottom"] >= MARGIN, (zone, frame)
    grown = {k: v + (MARGIN if k in ("right", "bottom") else -MARGIN) for k, v in zone.items()}
    covering = [c for c in boxes["controls"] if overlap(grown, c)]
    assert not covering, (zone, covering)


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_zone_map_fits_with_a_margin_and_starts_without_shading(sample_server, new_page, width, height):
    rp = new_page(width, height)
    page = settled(rp, f"{sample_server}/zone?zone=zgc_fengtai")
    frame = map_frame(page, settle_ms=SETTLE_MS)
    boxes = frame.evaluate(BOXES)
    check_zone_clear(boxes)
    assert boxes["shading"] == 0, boxes  # the enterprise (and 12345) shading is off by default
    assert all(not c["layer"] for c in boxes["controls"]), boxes["controls"]  # so are their legends
    if width == 1366:
        # tick the enterprise shading in the layer list: its legend appears, still clear of the zone
        frame.locator(".leaflet-control-layers label").filter(has_text="企业（按街镇汇总）").click()
        page.wait_for_timeout(500)
        shaded = frame.evaluate(BOXES)
        assert shaded["shading"] > 0 and any(c["layer"] for c in shaded["controls"]), shaded
        check_zone_clear(shaded)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"maps_zone_{width}.png"))


LABELS = """() => Array.from(document.querySelectorAll('.ft-label')).filter(
  d => getComputedStyle(d).visibility !== 'hidden').map(d => {const r = d.getBoundingClientRect();
  return {text: d.innerText, left: r.left, top: r.top, right: r.right, bottom: r.bottom};})"""
DISTRICT_TOP = """() => {let top = Infinity; window.map.eachLayer(l => {
  if (l.feature && l._path) top = Math.min(top, l._path.getBoundingClientRect().top);}); return top;}"""


def test_overview_labels_never_overlap_and_the_legend_stays_above_the_district(sample_server, new_page):
    rp = new_page(1366, 768)
    for url in (f"{sample_server}/?lang=en", f"{sample_server}/"):
        page = settled(rp, url)
        frame = map_frame(page, settle_ms=SETTLE_MS)
        labels = frame.evaluate(LABELS)
        assert len(labels) >= 6, labels  # most zones keep a label; none is lost for want of a short name
        clashes = [(a["text"], b["text"]) for i, a in enumerate(labels) for b in labels[i + 1:] if overlap(a, b)]
        assert not clashes, clashes
        legend_bottom = frame.evaluate("() => document.querySelector('.ft-legend').getBoundingClientRect().bottom")
        assert legend_bottom <= frame.evaluate(DISTRICT_TOP) + 1, legend_bottom
    page.screenshot(path=str(SCREENSHOTS / "maps_overview_1366.png"))
    # a bar of the zone comparison opens its zone, as a click on the map does
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.46)  # the 5th, longest bar: 河西
    deadline = time.time() + 30
    while "/zone?zone=" not in page.evaluate("location.href") and time.time() < deadline:
        page.wait_for_timeout(300)
    assert "/zone?zone=" in page.evaluate("location.href"), page.evaluate("location.href")


def test_a_bar_of_the_industry_mix_filters_the_zone_map_and_list(sample_server, new_page):
    rp = new_page(1366, 768)
    page = settled(rp, f"{sample_server}/zone?zone=lize&lang=en")
    frame = map_frame(page, settle_ms=SETTLE_MS)
    dots = "() => {let n = 0; window.map.eachLayer(l => {if (l.feature && l.feature.properties.project_id) n++;});" \
           " return n;}"
    before = frame.evaluate(dots)
    heading = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Projects in the zone")
    total = int(heading.inner_text().rsplit("(", 1)[1].rstrip(")").replace(",", ""))
    chart = page.locator('[data-testid="stVegaLiteChart"]').nth(1)  # pipeline, then industry mix
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + 14)  # the first (largest) bar
    page.get_by_text("filtered by industry").wait_for(timeout=30_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    shown = int(heading.inner_text().rsplit("(", 1)[1].rstrip(")").replace(",", ""))
    assert 0 < shown < total, (shown, total)
    deadline, after = time.time() + 30, before
    while after == before and time.time() < deadline:  # the map redraws with the filtered projects
        page.wait_for_timeout(300)
        after = map_frame(page, settle_ms=SETTLE_MS).evaluate(dots)
    assert 0 < after < before, (after, before)
