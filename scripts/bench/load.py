"""The load test: N concurrent browser sessions open the overview, a zone and the explorer with a filter.

Each session is a Playwright context of one Chromium; all start at once. A session opens
``/``, then ``/zone?zone=<one of the 8>``, then ``/projects?status=under_construction``
(each a new Streamlit session, as a link opened by a person). Every page must draw its map
with no exception or error shown; the median and worst page-to-map times are reported.

    python -m scripts.bench.load --url http://127.0.0.1:8501          # a running dashboard (or nginx)
    python -m scripts.bench.load --store postgresql://...             # starts one process on that store

``python -m scripts.bench`` runs it on the 5x PostGIS store. Exit status 1 when any page failed.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scripts.bench.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, Server, Visit, dashboard_server, visit
from scripts.bench.table import median

EXPLORER = "/projects?status=under_construction"
PAGE_TIMEOUT_S = 300  # a page whose map is not drawn by then is an error (the machine is shared)


@dataclass
class LoadResult:
    sessions: int
    visits: list[Visit] = field(default_factory=list)
    rss_mb: float | None = None  # the server's memory with every session open (when it is ours)
    seconds: float = 0.0

    @property
    def times(self) -> list[float]:
        return [v.seconds for v in self.visits if v.seconds is not None]

    @property
    def errors(self) -> list[str]:
        return [f"{v.url}: {e}" for v in self.visits for e in v.errors]

    @property
    def median(self) -> float | None:
        return median(self.times)

    @property
    def worst(self) -> float | None:
        return max(self.times) if self.times else None

    @property
    def note(self) -> str:
        n = len(self.visits)
        return f"ERRORS {len(self.errors)} of {n} pages" if self.errors else f"{n} pages, 0 errors"


def zone_ids() -> list[str]:
    from geodata import boundaries
    return list(boundaries.load_zones()["zone_id"])


async def run_load(browser, url: str, sessions: int = 20, server: Server | None = None,  # noqa: ANN001
                   log: Callable[..., None] = print, floor: bool = False) -> LoadResult:
    """``sessions`` contexts of ``browser`` at once against ``url``; all three pages each.

    ``floor``: ``url`` is the floor page (``bench_floor_app.py``), opened three times per session:
    what the same load costs any Streamlit page with one map on this machine."""
    zones = zone_ids()
    result = LoadResult(sessions)
    contexts = [await browser.new_context(viewport=VIEWPORT, locale="zh-CN") for _ in range(sessions)]

    async def one(i: int, context) -> list[Visit]:  # noqa: ANN001
        page = await context.new_page()
        out = []
        for path in ("/", "/", "/") if floor else ("/", f"/zone?zone={zones[i % len(zones)]}", EXPLORER):
            out.append(await visit(context, url + path, settle=0.3, page=page, timeout=PAGE_TIMEOUT_S))
        return out

    started = time.perf_counter()
    try:
        for visits in await asyncio.gather(*(one(i, c) for i, c in enumerate(contexts))):
            result.visits += visits
        result.seconds = time.perf_counter() - started
        if server is not None:
            result.rss_mb = server.rss_mb()
    finally:
        for context in contexts:
            await context.close()
    log(f"load test{' (floor page)' if floor else ''}: {sessions} sessions × 3 pages in {result.seconds:.1f} s: median page → map "
        f"{result.median or float('nan'):.2f} s, worst {result.worst or float('nan'):.2f} s, {result.note}"
        + (f", server RSS {result.rss_mb:.0f} MB" if result.rss_mb else ""), flush=True)
    for error in result.errors[:10]:
        log(f"  ERROR {error}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    from playwright.async_api import async_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running dashboard (one process, or nginx in front of several)")
    where.add_argument("--store", help="start one dashboard process on this store (.gpkg or postgresql://)")
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args(argv)

    async def run() -> LoadResult:
        server = None
        if args.store:
            server = dashboard_server(args.store, Path("/tmp") / f"bench_load_{time.time_ns()}.log")
            server.wait()
        try:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    if server is not None:   # one session first: the process reads what it caches
                        warm = await browser.new_context()
                        await visit(warm, server.url + "/")
                        await warm.close()
                    return await run_load(browser, args.url or server.url, args.sessions, server)
                finally:
                    await browser.close()
        finally:
            if server is not None:
                server.stop()

    result = asyncio.run(run())
    return 1 if result.errors or not result.visits else 0


if __name__ == "__main__":
    sys.exit(main())
