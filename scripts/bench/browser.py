"""The benchmark's browser side: Debian's Chromium, a dashboard (or floor page) server
process, one visit of a page and the wait for its map."""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
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
    shutil.copy(ROOT / "scripts" / "bench" / "floor_app.py", folder / "app.py")
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
