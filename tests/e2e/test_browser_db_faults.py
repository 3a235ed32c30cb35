"""The database restarts while people are looking (issue 12).

A real Chromium session on a running app that reads a PostGIS store as the read-only role.
The test stops the PostgreSQL server: a reload shows the last good build with the note
"数据库暂时无法访问，显示的是 <time> 的数据", the map and figures, and no traceback. It starts
the server again: the page recovers by itself (no reload), the note goes away.
"""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import REPO_ROOT, SCREENSHOTS, AppServer, RecordedPage, map_frame
from tests.postgis import PostGISServer

pytestmark = pytest.mark.e2e

PROJECTS = ("项目编号,项目名称,项目状态,项目级别,产业类别,总投资(万元),经度,纬度,所属街镇\n"
            "F-1,故障测试项目甲,在建,市级,金融,120000,116.312,39.866,\n"
            "F-2,故障测试项目乙,储备,区级,住房,5000,116.30,39.85,\n")
NOTE = "数据库暂时无法访问"


@pytest.fixture()
def pg_app(tmp_path: Path) -> Iterator[tuple[str, PostGISServer]]:
    server = PostGISServer().start().with_roles()
    app = None
    try:
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "projects.csv").write_text(PROJECTS, encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "loaders", "build", "--source", str(tmp_path / "src"),
                                 "--store", server.writer_url, "--quiet"], cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        app = AppServer({"DASHBOARD_STORE": server.reader_url, "DASHBOARD_AUTH": "none"}, tmp_path / "app.log")
        app.wait()
        yield app.url, server
    finally:
        if app is not None:
            app.stop()
        server.stop()


def test_pages_keep_the_last_good_build_while_the_database_is_down(pg_app, new_page) -> None:  # noqa: ANN001
    url, server = pg_app
    rp: RecordedPage = new_page(1366, 768)
    page = rp.page
    page.goto(url + "/")
    page.locator('[data-testid="ft-built-at"]').first.wait_for(timeout=60_000)
    map_frame(page)
    built = page.locator('[data-testid="ft-built-at"]').first.get_attribute("data-built-at")

    server.stop_server()
    try:
        page.reload()
        note = page.get_by_text(NOTE).first
        note.wait_for(timeout=60_000)
        map_frame(page)
        page.screenshot(path=str(SCREENSHOTS / "db-down-overview.png"), full_page=True)
        text = page.locator("body").inner_text()
        assert "Traceback" not in text and "OperationalError" not in text
        assert built[:16].replace("T", " ") in note.inner_text()   # the last good build's time
        assert page.locator('[data-testid="stMetric"]').filter(has_text="重大项目数").count() == 1
    finally:
        server.start_server()
    # Back: the page notices by itself (no reload) and the note goes away.
    page.get_by_text(NOTE).first.wait_for(state="detached", timeout=60_000)
    map_frame(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SCREENSHOTS / "db-back-overview.png"), full_page=True)
    assert rp.outside_requests() == []
