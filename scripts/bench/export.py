"""A large export's cost to the server: the dashboard's resident memory while the 12345 layer
(1,000,000 rows at scale 5, 200,000 in the sample) is prepared as a GeoPackage in the
background and downloaded through the page in Chromium, and whether the file is gone after.

    python -m scripts.bench.export [--store data/sample_store.gpkg] [--work data/bench/export]

The server's RSS (``VmRSS`` of its process: the background worker is a process of its own and
not counted) is sampled every 100 ms from before the export is asked for until the browser has
the whole file; the figure is the peak minus the baseline taken just before.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from scripts.bench.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, VIEWPORT, Server, idle
from scripts.bench.table import Row

MEASUREMENT = "1,000,000-row export: server memory while prepared and served (GeoPackage)"
LINK = '[data-testid="ft-export-link"]'               # the finished job's download link
BUTTON = '[data-testid="stDownloadButton"] button'     # an in-memory download (small selections)


class RssSampler:
    """``VmRSS`` of one process, every ``every`` seconds in a thread: (monotonic time, MB)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            value = self.rss_mb()
            if value is not None:
                self.samples.append((time.monotonic(), value))
            self._stop.wait(self.every)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def between(self, start: float, end: float) -> list[float]:
        return [mb for t, mb in self.samples if start <= t <= end]


def job_files(tmp: Path) -> list[Path]:
    """The export files still on disk in the server's temporary folder (job folders)."""
    return [p for p in tmp.glob("fengtai-export-*/*.gpkg") if p.is_file()]


async def _drive(url: str, sampler: RssSampler, work: Path, tmp: Path, log: Callable[[str], None],
                 timeout: float) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
            page = await context.new_page()
            await page.goto(url + "/downloads?layer=hotline", wait_until="commit", timeout=180_000)
            await page.get_by_text("将导出行数").first.wait_for(timeout=180_000)
            await idle(page, timeout=180)
            rows = int((await page.locator('[data-testid="stMetricValue"]').first.inner_text()).replace(",", ""))
            await page.locator('[data-testid="stRadio"]').get_by_text("GeoPackage").first.click()
            await page.wait_for_timeout(1500)
            await idle(page, timeout=180)
            await page.wait_for_timeout(2000)   # settled: the baseline is the page as shown before the export
            baseline_at = time.monotonic()
            baseline = statistics.median(sampler.between(baseline_at - 1.5, baseline_at)) if sampler.samples else 0.0
            log(f"  {rows:,} rows on the page; server RSS before the export {baseline:,.0f} MB")
            started = time.monotonic()
            await page.get_by_role("button", name="生成文件").click()
            ready = page.locator(f"{LINK}, {BUTTON}").first
            await ready.wait_for(timeout=timeout * 1000)
            prepared = time.monotonic()
            kind = "link" if await page.locator(LINK).count() else "download_button"
            log(f"  prepared in {prepared - started:,.1f} s; offered by a {kind}")
            async with page.expect_download(timeout=timeout * 1000) as info:
                await ready.click()
            download = await info.value
            saved = work / download.suggested_filename
            await download.save_as(saved)   # returns once the browser has the whole file
            finished = time.monotonic()
            await page.wait_for_timeout(2000)   # what the server still holds just after
            after = time.monotonic()
            files_left = job_files(tmp)
            for _ in range(50):   # removal runs after the last byte is sent
                if not files_left:
                    break
                await page.wait_for_timeout(200)
                files_left = job_files(tmp)
            return {"rows": rows, "baseline": baseline, "started": started, "prepared": prepared,
                    "finished": finished, "after": after, "saved": saved, "kind": kind, "files_left": files_left}
        finally:
            await browser.close()


def measure_export(store: str, rows: int, work: Path, log: Callable[[str], None] = print) -> list[Row]:
    """Start the dashboard on ``store``, export its 12345 layer (``rows`` rows: the scale's
    figure, for the table's wording; the page's own count is reported beside) as a GeoPackage
    through the downloads page in Chromium, and report the server's peak RSS minus the
    baseline from the click to the file downloaded, and whether the file was removed after."""
    work = Path(work)
    tmp = work / "server-tmp"   # the server's TMPDIR: its job folders land here, to be checked
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    server = Server(ROOT / "dashboard" / "app.py",
                    {"DASHBOARD_STORE": str(store), "DASHBOARD_AUTH": "none", "TMPDIR": str(tmp)},
                    work / "export-server.log")
    sampler = None
    try:
        server.wait()
        sampler = RssSampler(server.proc.pid).start()
        result = asyncio.run(_drive(server.url, sampler, work, tmp, log, timeout=1800))
    finally:
        if sampler is not None:
            sampler.stop()
        server.stop()
    during = sampler.between(result["started"], result["after"])
    peak = max(during) if during else float("nan")
    prepare = max(sampler.between(result["started"], result["prepared"]) or [float("nan")])
    serve = max(sampler.between(result["prepared"], result["after"]) or [float("nan")])
    size_mb = result["saved"].stat().st_size / 1_048_576
    got = _feature_count(result["saved"])
    result["saved"].unlink(missing_ok=True)
    removed = not result["files_left"]
    value = peak - result["baseline"]
    log(f"  server RSS: baseline {result['baseline']:,.0f} MB, peak while prepared {prepare:,.0f} MB, "
        f"while served {serve:,.0f} MB; file {size_mb:,.0f} MB, {got:,} features; "
        f"{'removed' if removed else 'still on disk'} after")
    note = (f"{result['rows']:,} rows on the page{'' if result['rows'] == rows else f' (of {rows:,} at full scale)'}, "
            f"file {size_mb:,.0f} MB by {result['kind']}, {'removed' if removed else 'NOT removed'} after")
    return [Row(MEASUREMENT, value, unit="MB", max_value=50, note=note, must="file removed after", passed=removed)]


def _feature_count(path: Path) -> int:
    try:
        import pyogrio
        return int(pyogrio.read_info(path)["features"])
    except Exception:  # noqa: BLE001 - a count for the log only
        return -1


def main(argv: list[str] | None = None) -> int:
    from scripts.bench.table import markdown

    parser = argparse.ArgumentParser(prog="python -m scripts.bench.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", default=str(ROOT / "data" / "sample_store.gpkg"))
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench" / "export")
    parser.add_argument("--rows", type=int, default=1_000_000, help="the rows the table's wording names")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = measure_export(args.store, args.rows, args.work)
    print(markdown(rows))
    return 0 if all(r.passed is not False and (r.value or 0) <= (r.max_value or float("inf")) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
