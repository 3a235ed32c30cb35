"""Change over time in the real browser (issue 19): ``/ranking?month=`` shows that month's table
and map, ``?period=`` changes the zone page's figures and arrows, the meeting opens with the
month's changes. Screenshots go to the e2e screenshot folder."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from loaders.build import ensure_sample_store
from loaders.store import open_store
from tests.e2e.harness import SCREENSHOTS, map_frame

pytestmark = pytest.mark.e2e


def _months() -> list[str]:
    ranking = pd.DataFrame(open_store(ensure_sample_store()).read("street_ranking"))
    return sorted(pd.to_datetime(ranking["month"]).dt.strftime("%Y-%m").unique())


def test_ranking_page_shows_the_months_table_and_map(sample_server, new_page):
    month = _months()[-3]
    rp = new_page(1600, 1000)
    page = rp.page
    page.goto(f"{sample_server}/ranking?month={month}")
    page.get_by_text("街道（").first.wait_for(timeout=90_000)
    frame = map_frame(page)
    assert frame.locator(".leaflet-overlay-pane path").count() >= 26
    assert f"· {month}" in page.inner_text("body")   # the map heading names the month shown
    assert re.search(rf"month={month}", page.url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ranking_month.png"), full_page=True)
    assert rp.outside_requests() == []


def _kpi_texts(page) -> dict[str, str]:  # noqa: ANN001
    texts = {}
    for card in page.locator('[data-testid="stMetric"]').all():
        label = card.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        texts[label] = card.inner_text()
    return texts


def test_a_period_changes_the_zone_pages_figures_and_arrows(sample_server, new_page):
    months = _months()
    rp = new_page(1600, 1000)
    page = rp.page
    seen = {}
    for month in (months[-1], months[-4]):
        page.goto(f"{sample_server}/zone?zone=lize&period={month}")
        page.locator('[data-testid="stMetric"]').nth(10).wait_for(timeout=90_000)
        page.wait_for_timeout(1500)
        seen[month] = _kpi_texts(page)
        assert f"{month} 当月" in page.inner_text("body")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"zone_period_{month}.png"), full_page=True)
    rate = "12345满意率"
    assert seen[months[-1]][rate] != seen[months[-4]][rate]          # the month's figure, with its own change
    assert "环比" in seen[months[-1]][rate]
    assert seen[months[-1]]["重大项目数"].split("\n")[1] == seen[months[-4]]["重大项目数"].split("\n")[1]  # stock


def test_the_meeting_opens_with_this_months_changes(sample_server, new_page):
    rp = new_page(1920, 1080)
    page = rp.page
    page.goto(f"{sample_server}/meeting")
    panel = page.locator('[data-testid="mt-changes"]')
    panel.wait_for(timeout=90_000)
    text = panel.inner_text()
    assert "本月变化" in text and "排名前三" in text and "预警" in text
    assert panel.get_attribute("data-month") == _months()[-1]
    page.wait_for_timeout(2000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "meeting_changes_1920.png"))
