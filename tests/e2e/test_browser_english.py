"""The English switch in a real browser (issue 11): every page's controls, table headers and
map legends and labels are English; choices survive the switch; the language stays in the URL.

One browser, the pages in sequence, on the bundled sample (no sign-in). Chinese is allowed only
in data values that are proper names without an English form (street, zone and community
names) and in the switch's own "中文".

Run: ``python -m pytest tests/e2e/test_browser_english.py -q``.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard import i18n
from tests.e2e.harness import SCREENSHOTS, RecordedPage

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
ALLOWED = {i18n.LANG_NAMES["zh"], i18n.t("language")}  # the switch names Chinese in Chinese
PAGES = ["/zone?zone=xishan_yongding", "/projects", "/needs", "/downloads", "/quality", "/meeting?zone=lize&auto=0"]

CONTROL_TEXTS = """() => {
  const shown = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
                      && getComputedStyle(el).visibility !== 'hidden';
  const out = [];
  const add = (where, selector, all) => document.querySelectorAll(selector).forEach(el => {
    const text = (el.innerText || el.textContent || '').trim();
    if (text && (all || shown(el))) out.push([where, text]);
  });
  add('widget label', '[data-testid="stWidgetLabel"]');
  add('radio option', '[data-testid="stRadio"] label');
  add('button', 'button, [data-testid="stDownloadButton"], [data-testid="stLinkButton"]');
  add('tab', '[role="tab"]');
  add('navigation', 'header a, [data-testid="stSidebarNav"] a');
  add('choice shown', '[data-testid="stMultiSelect"] [data-baseweb="tag"], [data-testid="stMultiSelect"] [role="group"]');
  document.querySelectorAll('[data-testid="stSelectbox"] input, [data-testid="stMultiSelect"] input').forEach(
    el => { if (el.value) out.push(['choice shown', el.value]); if (el.placeholder) out.push(['placeholder', el.placeholder]); });
  add('option', '[role="option"]');
  add('heading', 'h1, h2, h3, [data-testid="stMetricLabel"]');
  add('table header', '[data-testid="stDataFrame"] [role="columnheader"]', true);
  return out; }"""
MAP_TEXTS = """() => Array.from(document.querySelectorAll(
  '.ft-legend, .ft-label, .ft-note, .leaflet-control-layers label')).map(el => ['map', el.innerText.trim()])"""


def proper_names() -> set[str]:
    """The store's Chinese proper names (streets, zones, communities): data, allowed in Chinese."""
    from dashboard.store import data
    names: set[str] = set()
    for layer in ("streets", "zones", "communities"):
        names |= {str(n) for n in data.layer(layer)["name"].dropna()}
    return names


def settled(page: Page) -> None:
    page.locator('[data-banner="sample"]').first.wait_for(timeout=60_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # maps and charts draw after the script run


def chinese_left(page: Page, names: set[str]) -> list[tuple[str, str]]:
    """(where, text) of the page's controls, headers and map texts that still hold Chinese."""
    texts = [tuple(t) for t in page.evaluate(CONTROL_TEXTS)]
    for frame in page.frames:
        if "streamlit_folium" in frame.url:
            texts += [tuple(t) for t in frame.evaluate(MAP_TEXTS)]
    left = []
    for where, text in texts:
        if text in ALLOWED:
            continue
        stripped = text
        for name in sorted(names, key=len, reverse=True):
            stripped = stripped.replace(name, "")
        if CJK.search(stripped):
            left.append((where, text))
    return left


def test_every_page_speaks_english_and_keeps_choices_and_the_url(sample_server, new_page):
    rp: RecordedPage = new_page(1366, 768)
    page = rp.page
    names = proper_names()
    page.goto(sample_server + "/")
    settled(page)

    # choose in Chinese, then switch: the choices stay, shown in English, and the URL says so
    page.locator('[data-testid="stRadio"]').first.get_by_text("街镇", exact=True).click()
    settled(page)
    metric = page.locator('[data-testid="stSelectbox"]').filter(has_text="指标")
    metric.click()
    page.get_by_role("option", name="总投资", exact=True).click()
    settled(page)
    page.locator('[data-testid="stButtonGroup"]').get_by_text("English", exact=True).click()
    settled(page)
    radio = page.locator('[data-testid="stRadio"]').first
    checked = radio.evaluate("e => Array.from(e.querySelectorAll('input')).filter(i => i.checked)"
                             ".map(i => i.closest('label').innerText.trim())")
    assert checked == [i18n.t("colour_streets", "en")], checked
    shown = page.locator('[data-testid="stSelectbox"]').filter(has_text=i18n.t("metric", "en")).locator("input")
    assert shown.input_value() == i18n.t("m_investment", "en"), shown.input_value()
    assert "lang=en" in page.url, page.url
    # the metric list itself is English
    # After the language switch re-renders the page, the first click on the select only focuses
    # it (Streamlit's frontend; in Chinese, one click opens it): open it as a person would.
    select = page.locator('[data-testid="stSelectbox"]').filter(has_text=i18n.t("metric", "en"))
    for _ in range(3):
        select.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            continue
    page.get_by_role("option").first.wait_for(timeout=10_000)
    left = chinese_left(page, names)
    page.keyboard.press("Escape")
    assert not left, ("/", left)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "english_overview.png"))

    # the navigation keeps English, and so does the address
    page.get_by_role("link", name=i18n.t("page_quality", "en")).first.click()
    deadline = time.time() + 30
    while "quality" not in page.url and time.time() < deadline:
        page.wait_for_timeout(200)
    settled(page)
    assert "lang=en" in page.url, page.url
    assert page.get_by_text(i18n.t("q_layers", "en")).count() == 1

    for path in PAGES:
        page.goto(sample_server + path + ("&" if "?" in path else "?") + "lang=en")
        settled(page)
        left = chinese_left(page, names)
        assert not left, (path, left)
        assert "lang=en" in page.url, page.url
    page.screenshot(path=str(SCREENSHOTS / "english_meeting.png"))
