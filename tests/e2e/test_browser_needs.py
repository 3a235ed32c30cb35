"""The zone page's 企业诉求 panel and needs map layers in a real browser (issue 22): the panel's
figures, the oldest open needs, the open needs ticked on the map coloured by days open, the
先丰港 sized by their open needs. Screenshots go to build/screenshots/needs_*.png.

Run: ``python -m pytest tests/e2e/test_browser_needs.py -q``.
"""
from __future__ import annotations

import pytest

from tests.e2e.harness import SCREENSHOTS, map_frame
from tests.e2e.test_browser_maps import SETTLE_MS, settled

pytestmark = pytest.mark.e2e

NEED_DOTS = """() => {const out = {needs: 0, ports: 0, colours: {}};
  window.map.eachLayer(l => {
    if (!l.feature || !l.feature.properties) return;
    const p = l.feature.properties;
    if (p.age) { out.needs++; out.colours[p.age] = (out.colours[p.age] || 0) + 1; }
    if (p.radius !== undefined) out.ports++;
  }); return out; }"""


def test_the_needs_panel_and_map_layers(sample_server, new_page):
    rp = new_page(1366, 900)
    page = settled(rp, f"{sample_server}/zone?zone=lize")
    frame = map_frame(page, settle_ms=SETTLE_MS)
    assert frame.evaluate(NEED_DOTS)["needs"] == 0          # off by default: the projects first
    for label in ("办理中企业诉求（按已办天数）", "先丰港（按办理中诉求量）"):
        frame.locator(".leaflet-control-layers label").filter(has_text=label).click()
    page.wait_for_timeout(600)
    dots = frame.evaluate(NEED_DOTS)
    assert dots["needs"] > 20 and dots["ports"] >= 1 and set(dots["colours"]) >= {"overdue"}, dots
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "needs_zone_map.png"))
    panel = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="企业诉求").first
    panel.scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    text = page.locator("body").inner_text()
    for words in ("办理中", "超期（>30天）", "办结率", "按诉求类别", "办理时间最长的未办结诉求", "诉求内容属个人信息"):
        assert words in text, words
    page.screenshot(path=str(SCREENSHOTS / "needs_zone_panel.png"))
    assert not rp.outside_requests(), rp.outside_requests()
