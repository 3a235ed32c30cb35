"""The benchmark's browser figures (Debian's Chromium through Playwright, offline).

"Map drawn" means Leaflet, inside the ``st_folium`` iframe, has rendered its layers: a
``.leaflet-interactive`` path is present in that frame. Every page is timed against the
floor page (``scripts/bench_floor_app.py``: one ``st_folium`` map of the 8 zones) served the
same way and measured in the same run. Used by ``scripts/benchmark.py``; the load test is
``scripts/bench_load.py``.
"""
from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path

from scripts.bench.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGES,
    ROOT,
    VIEWPORT,
    Server,
    Visit,
    dashboard_server,
    floor_server,
    idle,
    map_frame_count,
    visit,
    wait_map,
)
from scripts.bench.load import run_load
from scripts.bench.table import Row, median


async def new_session(browser, url: str) -> Visit:  # noqa: ANN001
    context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        return await visit(context, url)
    finally:
        await context.close()


async def filter_changes(browser, base: str, changes: int = 3) -> list[float]:  # noqa: ANN001
    """Seconds from choosing a status in the explorer until its table caption and map show it."""
    context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = await context.new_page()
    times: list[float] = []
    try:
        await page.goto(base + PAGES["projects"])
        await wait_map(page)
        await idle(page)
        caption = page.get_by_text(re.compile(r"^表格 [\d,]+ 行$")).first   # i18n "table_rows"
        box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="项目状态").first
        for _ in range(changes):   # 储备, then 在建, then 建成: each changes the rows shown
            before_text = await caption.inner_text()
            before_map = await map_frame_count(page)
            await box.locator("input").click()
            option = page.get_by_role("option").filter(has_not_text=re.compile("Select all|全选")).first
            await option.wait_for(timeout=10_000)
            started = time.perf_counter()
            await option.click()
            deadline = started + 60
            while await caption.inner_text() == before_text and time.perf_counter() < deadline:
                await page.wait_for_timeout(20)
            await wait_map(page, timeout=max(deadline - time.perf_counter(), 1), other_than=before_map)
            times.append(time.perf_counter() - started)
            await page.keyboard.press("Escape")
            await idle(page)
    finally:
        await context.close()
    return times


async def period_changes(browser, base: str, changes: int = 3) -> list[float]:  # noqa: ANN001
    """Seconds from choosing another month in the zone page's period picker until the page has
    run again with it (the URL names the month, the script is idle, the KPI cards changed)."""
    context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = await context.new_page()
    times: list[float] = []
    try:
        await page.goto(base + "/zone?zone=lize")
        await wait_map(page)
        await idle(page)
        cards = page.locator('[data-testid="stMetric"]')
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text="月份").first
        for i in range(changes):   # one month further back each time
            before = await cards.all_inner_texts()
            await box.click()
            option = page.get_by_role("option").nth(i + 1)
            await option.wait_for(timeout=10_000)
            month = (await option.inner_text()).strip()
            started = time.perf_counter()
            await option.click()
            deadline = started + 60
            while time.perf_counter() < deadline and f"period={month}" not in page.url:
                await page.wait_for_timeout(20)
            await idle(page)
            if await cards.all_inner_texts() == before:
                log_note = f"month {month}: the KPI cards did not change"
                print(f"  note: {log_note}", flush=True)
            times.append(time.perf_counter() - started)
    finally:
        await context.close()
    return times


async def _with_browser(work: Callable) -> object:  # noqa: ANN001
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await work(browser)
        finally:
            await browser.close()


async def _cold(browser, server: Server) -> float:  # noqa: ANN001
    """Seconds from launching the server process until a first session's map is drawn."""
    server.wait()
    result = await new_session(browser, server.url + "/")
    if result.seconds is None:
        raise RuntimeError(f"cold start: {result.errors}")
    return time.perf_counter() - server.started


def measure(store: Path, pg_url: str | None, work: Path, sessions: int = 20, repeat: int = 3,
            log: Callable[..., None] = print) -> list:
    """Every browser figure of the benchmark as ``benchmark.Row`` lines."""

    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    async def run(browser) -> list:  # noqa: ANN001
        rows: list[Row] = []
        # cold starts: the floor, then the dashboard on each store (one server at a time)
        floor = floor_server(work, logs / "floor.log")
        floor_cold = await _cold(browser, floor)
        log(f"cold start → first map, floor page: {floor_cold:.2f} s", flush=True)
        floor_warm = [(await new_session(browser, floor.url + "/")).seconds for _ in range(repeat + 1)][1:]
        floor_visit = await new_session(browser, floor.url + "/")
        floor_bytes, floor_ms = floor_visit.kilobytes, median(floor_warm)
        log(f"floor page, new session → map (warm): {[round(t, 2) for t in floor_warm]} s; "
            f"bytes {floor_visit.breakdown}", flush=True)
        floor_load = await run_load(browser, floor.url, sessions=sessions, server=floor, log=log, floor=True)
        floor.stop()

        stores = [("GeoPackage", str(store))] + ([("PostGIS", pg_url)] if pg_url else [])
        sample = ROOT / "data" / "sample_store.gpkg"
        for kind, target in stores:
            server = dashboard_server(target, logs / f"app_{kind}.log")
            cold = await _cold(browser, server)
            log(f"{kind}: cold start → first map {cold:.2f} s", flush=True)
            rows.append(Row(f"cold start → first map ({kind})", cold, floor=floor_cold, max_ratio=2))
            # one session that opens every page (warms the caches), held open for the memory figure
            context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            page = await context.new_page()
            for path in PAGES.values():
                v = await visit(context, server.url + path, page=page)
                if v.errors:
                    log(f"  {kind} {path}: {v.errors}")
            one = server.rss_mb()
            await context.close()
            for name, path in PAGES.items():
                visits = [await new_session(browser, server.url + path) for _ in range(repeat)]
                seconds = median([v.seconds for v in visits])
                errors = [e for v in visits for e in v.errors]
                log(f"{kind} {name}: new session → map {[round(v.seconds or -1, 2) for v in visits]} "
                    f"bytes {visits[-1].breakdown}" + (f" ERRORS {errors}" if errors else ""),
                    flush=True)
                rows.append(Row(f"new session → map drawn, warm: {name} ({kind})", seconds, floor=floor_ms,
                                max_ratio=1.3, max_value=2.0, note="ERRORS" if errors else ""))
                if kind == "GeoPackage" or not pg_url:
                    rows.append(Row(f"bytes to the browser: {name} ({kind})", visits[-1].kilobytes, unit="kB",
                                    floor=floor_bytes, max_value=1500, note=visits[-1].split))
            if kind == stores[-1][0]:
                changes = await filter_changes(browser, server.url)
                log(f"{kind}: explorer filter change → map and table {[round(t, 2) for t in changes]}", flush=True)
                rows.append(Row(f"explorer filter change → map and table updated ({kind}, median)",
                                median(changes), max_value=0.5))
                periods = await period_changes(browser, server.url)
                log(f"{kind}: zone page period change → page redrawn {[round(t, 2) for t in periods]}", flush=True)
                rows.append(Row(f"zone page period change → page redrawn ({kind}, median)", median(periods),
                                max_value=0.5))
            load = await run_load(browser, server.url, sessions=sessions, server=server, log=log)
            many = load.rss_mb
            rows.append(Row(f"server memory, 1 session ({kind})", one, unit="MB",
                            max_value=400 if kind == "PostGIS" else None))
            rows.append(Row(f"server memory, {sessions} sessions ({kind})", many, unit="MB",
                            max_value=400 if kind == "PostGIS" else None))
            rows.append(Row(f"server memory per extra session ({kind})", (many - one) / max(sessions - 1, 1),
                            unit="MB", max_value=10))
            rows.append(Row(f"load test: {sessions} sessions × 3 pages ({kind}), median page → map",
                            load.median, floor=floor_load.median, max_ratio=1.5, note=load.note, must="0 errors",
                            passed=not load.errors and bool(load.visits)))
            rows.append(Row(f"load test: {sessions} sessions × 3 pages ({kind}), worst page → map",
                            load.worst, floor=floor_load.worst, max_ratio=1.5, note=load.note))
            server.stop()
        if sample.exists():   # the same pages at the sample's size (1×): bytes should not grow with the data
            server = dashboard_server(str(sample), logs / "app_sample.log")
            server.wait()
            await new_session(browser, server.url + "/")
            for name, path in PAGES.items():
                v = await new_session(browser, server.url + path)
                rows.append(Row(f"bytes to the browser: {name} (bundled sample, 1×)", v.kilobytes, unit="kB",
                                floor=floor_bytes, max_value=1500, note=v.split))
            server.stop()
        return rows

    return asyncio.run(_with_browser(run))
