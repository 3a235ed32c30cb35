"""Bytes through the nginx site: a first visit of each page, then a second one with the cache warm.

    python -m scripts.bench.site [--store data/sample_store.gpkg] [--work build/bench_site]

The site is what an operator starts: ``scripts/serve.py run 1`` (one dashboard process behind an
nginx rendered from ``deploy/nginx/fengtai-site.conf.in``) on free loopback ports. Each page opens
in a new browser context (empty cache, no cookies); the bytes are counted by Chromium itself over
CDP: ``Network.loadingFinished.encodedDataLength`` (what came over the wire for each response,
headers included; 0 for a response from the browser's cache, and a memory-cache hit makes no
request at all) plus the WebSocket: what nginx sent on it (``$body_bytes_sent`` of its
``/_stcore/stream`` line in the access log, written when the socket closes: the frames as they
crossed the wire, compressed when permessage-deflate is on). The browser reports only the
decompressed payload of each frame (``Network.webSocketFrameReceived``), shown in the note. Then
the same page is opened again in the same context: the second visit.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scripts.bench.browser import CHROMIUM, CHROMIUM_ARGS, PAGES, ROOT, VIEWPORT, _free_port, idle, wait_map
from scripts.bench.table import Row, markdown

FIRST_TARGET_KB = 1500
SECOND_TARGET_KB = 100


@dataclass
class Transfer:
    """The bytes one visit of a page received, by kind."""
    frontend: int = 0      # Streamlit's frontend: /static/..., /favicon.png, /manifest.json
    page: int = 0          # everything else over HTTP: index.html, /_stcore/*, components, /app/static/*
    ws: int = 0            # WebSocket: bytes on the wire (nginx's log), else the frames' payload
    ws_payload: int = 0    # WebSocket frames received, decompressed (CDP)
    files: dict[str, int] = field(default_factory=dict)   # path -> bytes, the HTTP responses

    @property
    def total(self) -> int:
        return self.frontend + self.page + self.ws

    @property
    def note(self) -> str:
        return (f"Streamlit frontend {self.frontend / 1e3:,.0f} kB + page {self.page / 1e3:,.0f} kB "
                f"+ WebSocket {self.ws / 1e3:,.0f} kB (payload {self.ws_payload / 1e3:,.0f} kB)")

    def largest(self, n: int = 5) -> str:
        return ", ".join(f"{p.rsplit('/', 1)[-1] or p} {b / 1e3:.0f} kB"
                         for p, b in sorted(self.files.items(), key=lambda kv: -kv[1])[:n])


class _Counter:
    """Sums what Chromium reports over one CDP session, from ``reset()`` on."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.now = Transfer()

    def reset(self) -> Transfer:
        done, self.now = self.now, Transfer()
        return done

    def on_request(self, params: dict) -> None:
        self.urls[params["requestId"]] = params["request"]["url"]

    def on_finished(self, params: dict) -> None:
        size = int(params.get("encodedDataLength") or 0)
        url = self.urls.get(params["requestId"], "")
        if not size or not url.startswith("http"):
            return
        path = urlsplit(url).path
        if path.startswith("/static/") or path in ("/favicon.png", "/manifest.json"):
            self.now.frontend += size
        else:
            self.now.page += size
        self.now.files[path] = self.now.files.get(path, 0) + size

    def on_frame(self, params: dict) -> None:
        response = params.get("response", {})
        data = response.get("payloadData", "")
        if response.get("opcode") == 2:     # binary: CDP hands it base64-encoded
            size = len(base64.b64decode(data))
        else:
            size = len(data.encode())
        self.now.ws_payload += size
        self.now.ws += size


STREAM_LINE = re.compile(r'"GET /_stcore/stream[^"]*" 101 (?P<bytes>\d+) .*"(?P<agent>[^"]*)"$', re.M)


def _ws_wire_bytes(access_log: Path, tag: str, nth: int, timeout: float = 15) -> int | None:
    """``$body_bytes_sent`` of the ``nth`` (1-based) closed WebSocket of the browser tagged ``tag``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = access_log.read_text(errors="replace") if access_log.exists() else ""
        found = [int(m["bytes"]) for m in STREAM_LINE.finditer(text) if tag in m["agent"]]
        if len(found) >= nth:
            return found[nth - 1]
        time.sleep(0.2)
    return None


async def _open(page, url: str, settle: float) -> None:  # noqa: ANN001 - playwright Page
    await page.goto(url, wait_until="commit", timeout=120_000)
    await wait_map(page, timeout=120)
    await idle(page, timeout=120)
    await page.wait_for_timeout(settle * 1000)


async def measure_pages(browser, base: str, access_log: Path | None = None,  # noqa: ANN001
                        settle: float = 1.5) -> dict[str, tuple[Transfer, Transfer]]:
    """Page name -> (first visit, second visit) through ``base``, each page in a new context.
    With nginx's ``access_log``, the WebSocket counts as the bytes nginx sent on it."""
    results: dict[str, tuple[Transfer, Transfer]] = {}
    for name, path in PAGES.items():
        tag = f"fengtai-bench-site-{name}-{time.time_ns()}"
        context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN",
                                            user_agent=f"Mozilla/5.0 (X11; Linux x86_64) Chrome/{browser.version} {tag}")
        try:
            page = await context.new_page()
            cdp = await context.new_cdp_session(page)
            counter = _Counter()
            cdp.on("Network.requestWillBeSent", counter.on_request)
            cdp.on("Network.loadingFinished", counter.on_finished)
            cdp.on("Network.webSocketFrameReceived", counter.on_frame)
            await cdp.send("Network.enable")
            await _open(page, base + path, settle)
            first = counter.reset()
            await page.goto("about:blank")
            counter.reset()   # the closing WebSocket's last frames belong to neither visit
            await _open(page, base + path, settle)
            second = counter.reset()
            await page.goto("about:blank")
        finally:
            await context.close()
        if access_log is not None:
            for nth, visit in ((1, first), (2, second)):
                wire = _ws_wire_bytes(access_log, tag, nth)
                if wire is None:
                    raise RuntimeError(f"{name}: no closed WebSocket #{nth} of {tag} in {access_log}")
                visit.ws = wire
        results[name] = (first, second)
    return results


class Site:
    """``scripts/serve.py run`` (nginx in front of ``processes`` dashboards) on free loopback ports."""

    def __init__(self, store: str, run_dir: Path, processes: int = 1) -> None:
        self.listen = _free_port()
        ports = sorted({_free_port() for _ in range(processes)})
        self.url = f"http://127.0.0.1:{self.listen}"
        self.run_dir = run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        self.out = run_dir / "serve.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        env.update(DASHBOARD_STORE=store, DASHBOARD_AUTH="none")
        self.proc = subprocess.Popen(
            [sys.executable, "scripts/serve.py", "run", str(len(ports)), "--listen", f"127.0.0.1:{self.listen}",
             "--ports", ",".join(map(str, ports)), "--run-dir", str(run_dir)],
            cwd=ROOT, env=env, stdout=self.out.open("w"), stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout: float = 240) -> None:
        deadline = time.time() + timeout
        while "Serving " not in self.out.read_text(errors="replace"):
            if self.proc.poll() is not None:
                raise RuntimeError(f"scripts/serve.py exited ({self.proc.returncode}): "
                                   f"{self.out.read_text(errors='replace')[-3000:]}")
            if time.time() > deadline:
                raise RuntimeError(f"the site is not serving after {timeout:.0f} s: "
                                   f"{self.out.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def measure_site(store: str, work: Path, log: Callable[..., None] = print) -> list[Row]:
    """The benchmark's rows: bytes through the nginx site for each page, first and second visit."""
    from playwright.async_api import async_playwright

    site = Site(store, Path(work) / "site")

    async def run() -> dict[str, tuple[Transfer, Transfer]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
                warm = await context.new_page()       # the process reads and caches the store once
                await _open(warm, site.url + "/", 0)
                await context.close()
                return await measure_pages(browser, site.url, site.run_dir / "fengtai.access.log")
            finally:
                await browser.close()

    try:
        site.wait()
        results = asyncio.run(run())
    finally:
        site.stop()
    rows: list[Row] = []
    for name, (first, second) in results.items():
        log(f"site {name}: first visit {first.total / 1e3:,.0f} kB ({first.note}; largest: {first.largest()}); "
            f"second visit {second.total / 1e3:,.0f} kB ({second.note}; largest: {second.largest(3)})", flush=True)
        rows.append(Row(f"bytes through the nginx site, first visit: {name}", first.total / 1e3, unit="kB",
                        max_value=FIRST_TARGET_KB, note=first.note))
    for name, (_, second) in results.items():
        rows.append(Row(f"bytes through the nginx site, second visit: {name}", second.total / 1e3, unit="kB",
                        max_value=SECOND_TARGET_KB, note=second.note))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.site", description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=str(ROOT / "data" / "sample_store.gpkg"),
                        help="the store the dashboard serves (default the bundled sample)")
    parser.add_argument("--work", default=str(ROOT / "build" / "bench_site"), help="the site's config and logs")
    args = parser.parse_args(argv)
    if "://" not in args.store and not Path(args.store).exists():
        parser.error(f"no store at {args.store}: build the sample first (python -m loaders build)")
    rows = measure_site(args.store, Path(args.work))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
