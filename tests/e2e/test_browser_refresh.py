"""The nightly refresh while people are looking: a finished build is what the next page load shows.

One app server serves a GeoPackage store; the test builds a different source into the same
target while the app runs (as the nightly ``loaders build`` does), reloads the page, and sees
the new counts and the new "数据截至" time, with no restart.
"""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.harness import REPO_ROOT, SCREENSHOTS, AppServer, RecordedPage

pytestmark = pytest.mark.e2e

HEADER = "project_id,name,status,level,industry,investment_total,lon,lat,street\n"
ROWS = ["R1,示例项目甲,在建,区级,金融,12.5,116.30,39.85,\n",
        "R2,示例项目乙,储备,市级,数字经济,3,116.32,39.86,\n",
        "R3,示例项目丙,建成,区级,商贸,7,116.25,39.83,\n",
        "R4,示例项目丁,在建,市级,物流,1,116.35,39.84,\n"]


def build(source: Path, store: Path, projects: int) -> None:
    source.mkdir(parents=True, exist_ok=True)
    (source / "projects.csv").write_text(HEADER + "".join(ROWS[:projects]), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "loaders", "build", "--source", str(source), "--store",
                             str(store), "--quiet"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture()
def refresh_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    store = tmp_path / "store" / "district.gpkg"
    build(tmp_path / "first", store, projects=2)
    server = AppServer({"DASHBOARD_STORE": str(store), "DASHBOARD_AUTH": "none"}, tmp_path / "app.log")
    server.wait()
    yield server.url, store, tmp_path
    server.stop()


def shown(page: Page) -> tuple[str, str]:
    """(projects KPI text, built-at stamp) as the page shows them, once the page has drawn both."""
    page.locator('[data-testid="ft-built-at"]').first.wait_for(timeout=60_000)
    value = page.locator('[data-testid="stMetric"]').filter(has_text="重大项目数").locator(
        '[data-testid="stMetricValue"]').first
    value.wait_for(timeout=60_000)
    return value.inner_text(), page.locator('[data-testid="ft-built-at"]').first.get_attribute("data-built-at")


def test_a_new_build_is_what_the_next_page_load_shows(refresh_server, new_page):
    url, store, work = refresh_server
    rp: RecordedPage = new_page(1366, 768)
    page = rp.page
    page.goto(url + "/")
    first_count, first_time = shown(page)
    assert first_count.startswith("2"), first_count
    stamp_text = page.locator('[data-testid="ft-built-at"]').first.inner_text()
    assert stamp_text.startswith("数据截至 "), stamp_text

    time.sleep(1.1)  # built_at has one-second resolution: make the second build's time differ
    build(work / "second", store, projects=4)
    page.reload()
    deadline = time.time() + 60
    count, when = shown(page)
    while not count.startswith("4") and time.time() < deadline:  # the page may still be re-running
        page.wait_for_timeout(300)
        count, when = shown(page)
    assert count.startswith("4"), count
    assert when != first_time and when > first_time, (first_time, when)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "refresh_after_rebuild_1366x768.png"))

    # Another page in the same session reads the same new build (no layer from the old one).
    page.goto(url + "/projects")
    page.locator('[data-testid="ft-counts"]').first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="ft-counts"]').first.get_attribute("data-table") == "4"
    assert rp.outside_requests() == []
