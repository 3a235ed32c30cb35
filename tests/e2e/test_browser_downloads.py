"""The downloads page in a browser: the 12345 layer filtered by a date range and a category,
downloaded as CSV in GCJ-02, read back with pandas: as many rows as the page counted, every
row stating the file's own coordinate system, Chinese headers with the codes beside them; and
the whole layer prepared in the background and fetched by the server's export route."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from playwright.sync_api import Page

from tests.e2e.harness import REPO_ROOT, VIEWPORTS, SignInServer, signed_in

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


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_a_background_export_is_streamed_from_disk_audited_first_and_removed_after(new_page, tmp_path):
    """The whole 12345 layer (a background job) as a GeoPackage, signed in as an analyst: the
    link the page offers is the server's export route (not Streamlit's in-memory media store),
    the browser gets the job's file whole, the download is in the audit log, the server's memory
    did not grow by the file's size, and the file is gone from the server after (the link: 404)."""
    import pyogrio

    jobs = tmp_path / "jobs"
    jobs.mkdir()
    server = SignInServer(tmp_path, {"TMPDIR": str(jobs)})
    server.wait()
    samples: list[float] = []
    stop = threading.Event()
    try:
        recorded = new_page(1366, 768)
        page = signed_in(recorded.page, "t_analyst", url=server.url + "/downloads?layer=hotline")
        page.get_by_text("将导出行数").first.wait_for(timeout=90_000)
        rows = settle(page)
        page.locator('[data-testid="stRadio"]').get_by_text("GeoPackage").first.click()
        page.wait_for_timeout(1500)
        baseline = _rss_mb(server.proc.pid)

        def sample() -> None:   # the server's memory every 100 ms, until the file is downloaded
            while not stop.is_set():
                samples.append(_rss_mb(server.proc.pid))
                stop.wait(0.1)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        page.get_by_role("button", name="生成文件").click()
        link = page.locator('[data-testid="ft-export-link"]')
        link.wait_for(timeout=300_000)
        href = link.get_attribute("href")
        assert href.startswith("export/") and len(href) > len("export/") + 40
        made = list(jobs.glob("fengtai-export-*/*.gpkg"))
        assert len(made) == 1
        size = made[0].stat().st_size
        assert server.audit().query("event == 'download'").empty, "nothing on record before the click"
        before = len(recorded.requests)
        with page.expect_download(timeout=300_000) as info:
            link.click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        page.wait_for_timeout(1000)
        stop.set()
        sampler.join(timeout=5)
        assert path.name.endswith(".gpkg") and path.stat().st_size == size
        assert pyogrio.read_info(path)["features"] == rows
        fetched = [urlsplit(u).path for u in recorded.requests[before:]]
        assert urlsplit(info.value.url).path == "/" + href, info.value.url   # the server's export route
        assert not [u for u in fetched if u.startswith("/media/")], "not through Streamlit's media store"
        grown = max(samples) - baseline
        assert grown < size / 1_048_576 / 2, f"the server grew by {grown:.0f} MB for a {size / 1_048_576:.0f} MB file"
        entry = server.audit().query("event == 'download'").iloc[0]
        assert (entry["user"], entry["layer"], entry["format"], int(entry["rows"])) == ("t_analyst", "hotline", "gpkg", rows)
        deadline = time.time() + 10
        while list(jobs.glob("fengtai-export-*")) and time.time() < deadline:
            time.sleep(0.2)
        assert not list(jobs.glob("fengtai-export-*")), "the job's folder is removed once served"
        page.get_by_text("已从服务器删除").first.wait_for(timeout=15_000)   # the page says so by itself
        assert page.request.get(server.url + "/" + href).status == 404
    finally:
        stop.set()
        server.stop()
