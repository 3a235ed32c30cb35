"""The downloads page in a browser: the 12345 layer filtered by a date range and a category,
downloaded as CSV in GCJ-02, read back with pandas: as many rows as the page counted, every
row stating the file's own coordinate system, Chinese headers with the codes beside them."""
from __future__ import annotations

import pandas as pd
from playwright.sync_api import Page

from tests.e2e.harness import REPO_ROOT, VIEWPORTS

SHOTS = REPO_ROOT / "build" / "screenshots"


def rows_on_page(page: Page) -> int:
    return int(page.locator('[data-testid="stMetricValue"]').first.inner_text().replace(",", ""))


def settle(page: Page, before: int | None = None, timeout_ms: int = 30_000) -> int:
    """Wait for the page's run to finish (and, given ``before``, for the count to change)."""
    waited = 0
    while waited < timeout_ms:
        page.wait_for_timeout(500)
        waited += 500
        if page.locator('[data-testid="stStatusWidget"]').count():
            continue
        n = rows_on_page(page)
        if before is None or n != before:
            return n
    return rows_on_page(page)


def test_12345_filtered_by_date_and_category_downloads_as_counted(sample_server, new_page, tmp_path):
    for width, height in VIEWPORTS:   # the page at both sizes, before any choice
        shot = new_page(width, height).page
        shot.goto(sample_server + "/downloads?layer=hotline")
        shot.get_by_text("将导出行数").first.wait_for(timeout=90_000)
        shot.wait_for_timeout(1500)
        shot.screenshot(path=str(SHOTS / f"downloads_hotline_{width}x{height}.png"), full_page=True)
    page = new_page(1920, 1080).page
    page.goto(sample_server + "/downloads?layer=hotline")
    page.get_by_text("将导出行数").first.wait_for(timeout=90_000)
    everything = settle(page)

    # category: 停车难 (parking)
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="诉求类别").locator("input").click()
    page.get_by_role("option", name="停车难").click()
    page.keyboard.press("Escape")
    by_category = settle(page, everything)
    assert 0 < by_category < everything

    # received between: the first 28 days of the first month the cases cover
    def segment(kind: str, which: str):  # noqa: ANN202 - a Playwright locator
        return page.get_by_role("spinbutton", name=f"{kind}, 受理日期 {which} date")
    year = int(segment("year", "start").get_attribute("aria-valuenow"))
    month = int(segment("month", "start").get_attribute("aria-valuenow"))
    for kind, value in (("year", f"{year}"), ("month", f"{month:02d}"), ("day", "28")):
        segment(kind, "end").click()
        page.keyboard.type(value)
    page.get_by_text("筛选条件").first.click()   # leaving the field sets the range
    first = pd.Timestamp(year=year, month=month, day=int(segment("day", "start").get_attribute("aria-valuenow")))
    counted = settle(page, by_category)
    assert 0 < counted < by_category

    page.locator('[data-testid="stRadio"]').get_by_text("CSV").first.click()
    page.locator('[data-testid="stRadio"]').get_by_text("GCJ-02").first.click()
    page.wait_for_timeout(1500)
    name = page.locator('[data-testid="stTextInput"] input').first.input_value()
    assert name.startswith("hotline_") and "parking" in name and "_data" in name and name.endswith("_gcj02.csv")
    page.screenshot(path=str(SHOTS / "downloads_hotline_filtered_1920x1080.png"), full_page=True)
    with page.expect_download(timeout=120_000) as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    assert info.value.suggested_filename == name
    path = tmp_path / name
    info.value.save_as(path)
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(back) == counted
    assert set(back["导出坐标系"]) == {"GCJ-02"} and "coord_sys" not in back.columns
    assert set(back["诉求类别代码"]) == {"parking"} and set(back["诉求类别"]) == {"停车难"}
    received = pd.to_datetime(back["受理时间"])
    assert received.min() >= first and received.max() < pd.Timestamp(year=year, month=month, day=29)
