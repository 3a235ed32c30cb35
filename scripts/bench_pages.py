"""The benchmark's browser figures (Debian's Chromium through Playwright, offline).

"Map drawn" means Leaflet, inside the ``st_folium`` iframe, has rendered its layers: a
``.leaflet-interactive`` path is present in that frame. Every page is timed against the
floor page (``scripts/bench_floor_app.py``: one ``st_folium`` map of the 8 zones) served the
same way and measured in the same run. Used by ``scripts/benchmark.py``; the load test is
``scripts/bench_load.py``.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# as tests/e2e/harness.py
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}
# the pages timed: name -> path (the explorer with a filter is the load test's third page)
PAGES = {"overview": "/", "zone": "/zone?zone=lize", "projects": "/projects"}
MAP_DRAWN = ("() => document.querySelectorAll('.leaflet-overlay-pane .leaflet-interactive').length")
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m streamlit run <script>`` on a free loopback port (settings of ``.streamlit/``)."""

    def __init__(self, script: Path, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        full_env.update(env)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1"],
            cwd=ROOT, env=full_env, stdout=log.open("w"), stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server not healthy after {timeout}s: {self.log.read_text()[-2000:]}")

    def rss_mb(self) -> float:
        """Resident memory of the server process (MB)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def dashboard_server(store: str, log: Path) -> Server:
    return Server(ROOT / "dashboard" / "app.py", {"DASHBOARD_STORE": store, "DASHBOARD_AUTH": "none"}, log)


def floor_server(work: Path, log: Path) -> Server:
    """The floor page, from a folder whose ``static`` is the dashboard's (Leaflet served locally)."""
    folder = work / "floor_app"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "scripts" / "bench_floor_app.py", folder / "app.py")
    link = folder / "static"
    if not link.exists():
        link.symlink_to(ROOT / "dashboard" / "static", target_is_directory=True)
    return Server(folder / "app.py", {}, log)


@dataclass
class Visit:
    """One page opened in a new session: seconds to the map, bytes received, problems seen."""
    url: str
    seconds: float | None = None
    http_bytes: int = 0    # HTTP response bodies, but for Streamlit's own frontend (``shell_bytes``)
    ws_bytes: int = 0      # WebSocket frames received
    shell_bytes: int = 0   # Streamlit's frontend bundle (/static/...): the same for every page, cached
    shell_files: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def kilobytes(self) -> float:
        """Every HTTP response body and WebSocket frame a new session received for this page."""
        return (self.http_bytes + self.ws_bytes + self.shell_bytes) / 1e3

    @property
    def split(self) -> str:
        return (f"page {(self.http_bytes + self.ws_bytes) / 1e3:,.0f} kB + Streamlit frontend "
                f"{self.shell_bytes / 1e3:,.0f} kB")

    @property
    def breakdown(self) -> str:
        biggest = sorted(self.shell_files.items(), key=lambda kv: -kv[1])[:4]
        return (f"{self.ws_bytes / 1e3:.0f} kB WebSocket + {self.http_bytes / 1e3:.0f} kB HTTP "
                f"(+ {self.shell_bytes / 1e3:.0f} kB Streamlit frontend, largest: "
                + ", ".join(f"{name} {size / 1e3:.0f} kB" for name, size in biggest) + ")")


async def map_frame_count(page) -> int:  # noqa: ANN001 - playwright Page
    """``.leaflet-interactive`` paths in the st_folium frame (0 while not drawn)."""
    best = 0
    for frame in page.frames:
        if "streamlit_folium" not in frame.url:
            continue
        try:
            best = max(best, await frame.evaluate(MAP_DRAWN))
        except Exception:  # noqa: BLE001 - frame navigating or detached: poll again
            pass
    return best


async def wait_map(page, timeout: float = 120, other_than: int | None = None) -> int:  # noqa: ANN001
    """Poll until the map is drawn (and, with ``other_than``, its path count changed)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        count = await map_frame_count(page)
        if count and (other_than is None or count != other_than):
            return count
        if await page.locator(ERROR_SELECTOR).count():
            raise RuntimeError("error shown: " + (await page.locator(ERROR_SELECTOR).first.inner_text())[:300])
        await page.wait_for_timeout(50)
    raise TimeoutError(f"map not drawn after {timeout:.0f} s")


async def idle(page, timeout: float = 60) -> None:  # noqa: ANN001
    """Until the script run is over."""
    await page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached", timeout=timeout * 1000)


async def errors_on(page) -> list[str]:  # noqa: ANN001
    found = []
    if await page.locator(ERROR_SELECTOR).count():
        found.append((await page.locator(ERROR_SELECTOR).first.inner_text())[:300])
    body = await page.locator("body").inner_text()
    for word in ("Traceback", "Error"):
        if word in body:
            found.append(f"'{word}' on the page")
    return found


async def visit(context, url: str, settle: float = 1.0, page=None, timeout: float = 120) -> Visit:  # noqa: ANN001
    """Open ``url`` (in ``page``, or a new page of ``context``) and time it to the map drawn
    (``timeout`` seconds at most: a page slower than that counts as an error)."""
    page = page or await context.new_page()
    result = Visit(url)
    sizes: list = []

    def on_ws(ws) -> None:  # noqa: ANN001
        def frame(payload) -> None:  # noqa: ANN001
            result.ws_bytes += len(payload.encode() if isinstance(payload, str) else payload)
        ws.on("framereceived", frame)

    def on_finished(request) -> None:  # noqa: ANN001
        sizes.append((request.url, asyncio.ensure_future(request.sizes())))

    page.on("websocket", on_ws)
    page.on("requestfinished", on_finished)
    started = time.perf_counter()
    try:
        await page.goto(url, wait_until="commit", timeout=timeout * 1000)
        await wait_map(page, timeout=timeout)
        result.seconds = time.perf_counter() - started
        await idle(page, timeout=timeout)
        await page.wait_for_timeout(settle * 1000)
        result.errors = await errors_on(page)
    except Exception as exc:  # noqa: BLE001 - a failed visit is a result (the load test counts them)
        result.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
    for request_url, task in sizes:
        try:
            size = max((await task).get("responseBodySize", 0), 0)
        except Exception:  # noqa: BLE001 - a request of a closed page
            continue
        if urlsplit(request_url).path.startswith("/static/"):
            result.shell_bytes += size
            result.shell_files[urlsplit(request_url).path.rsplit("/", 1)[-1]] = size
        else:
            result.http_bytes += size
    page.remove_listener("websocket", on_ws)
    page.remove_listener("requestfinished", on_finished)
    return result


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


async def _with_browser(work: Callable) -> object:  # noqa: ANN001
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await work(browser)
        finally:
            await browser.close()


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


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
    from bench_load import run_load
    from benchmark import Row

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
        floor_bytes, floor_ms = floor_visit.kilobytes, _median(floor_warm)
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
                seconds = _median([v.seconds for v in visits])
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
                                _median(changes), max_value=1.0))
            load = await run_load(browser, server.url, sessions=sessions, server=server, log=log)
            many = load.rss_mb
            rows.append(Row(f"server memory, 1 session ({kind})", one, unit="MB",
                            max_value=400 if kind == "PostGIS" else None))
            rows.append(Row(f"server memory, {sessions} sessions ({kind})", many, unit="MB",
                            max_value=400 if kind == "PostGIS" else None))
            rows.append(Row(f"server memory per extra session ({kind})", (many - one) / max(sessions - 1, 1),
                            unit="MB", max_value=10))
            rows.append(Row(f"load test: {sessions} sessions × 3 pages ({kind}), median page → map",
                            load.median, floor=floor_load.median, note=load.note, must="0 errors",
                            passed=not load.errors and bool(load.visits)))
            rows.append(Row(f"load test: {sessions} sessions × 3 pages ({kind}), worst page → map",
                            load.worst, floor=floor_load.worst, note=load.note))
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
