"""Browser-test harness: one app server per store for the session, Debian's Chromium, no internet.

Imported by name (``tests.e2e.harness``), never as ``conftest``, so that ``pytest tests/e2e
tests/dashboard`` collects in either order; ``tests/e2e/conftest.py`` re-exports the fixtures.

Servers: the bundled sample store (no env: the default configuration), and a tiny store
built from a source folder holding an XSS-named project (served with DASHBOARD_AUTH=none).
Every request the browser makes is recorded; anything not to the app's own host fails.

Signing in: :class:`SignInServer` serves a copy of the sample store behind a users file of
the test accounts (``tests.dashboard.conftest.ACCOUNTS``), and :func:`signed_in` fills the
sign-in form of a page.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page, expect, sync_playwright

from tests.dashboard.conftest import ACCOUNTS, ROLE_ACCOUNT, store_copy, users_file  # noqa: F401 - re-exported

REPO_ROOT = Path(__file__).resolve().parents[2]

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = [(1366, 768), (1920, 1080)]
XSS_NAME = '<img src=x onerror="window.__xss=1">'
LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``python -m streamlit run dashboard/app.py`` on a free port, stopped on exit."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        self.log = log
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        full_env.update(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1"],
            cwd=REPO_ROOT, env=full_env, stdout=log.open("w"), stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"app server not healthy after {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def sample_server(tmp_path_factory) -> Iterator[str]:
    """The app on the bundled sample store, default configuration."""
    from loaders.build import ensure_sample_store
    ensure_sample_store()
    server = AppServer({}, tmp_path_factory.mktemp("logs") / "sample.log")
    server.wait()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def xss_store(tmp_path_factory) -> Path:
    """A store built by the loaders from a project whose name is an XSS probe."""
    source = tmp_path_factory.mktemp("xss_source")
    (source / "projects.csv").write_text(
        "project_id,name,status,level,industry,investment_total,lon,lat,street\n"
        f'X1,"{XSS_NAME.replace(chr(34), chr(34) * 2)}",在建,区级,金融,12.5,116.30,39.85,\n'
        "X2,正常项目,储备,市级,数字经济,3,116.32,39.86,\n", encoding="utf-8")
    store = tmp_path_factory.mktemp("xss_store") / "xss.gpkg"
    result = subprocess.run([sys.executable, "-m", "loaders", "build", "--source", str(source), "--store",
                             str(store)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return store


@pytest.fixture(scope="session")
def xss_server(xss_store, tmp_path_factory) -> Iterator[str]:
    """The app on the XSS store, opened on purpose with DASHBOARD_AUTH=none."""
    server = AppServer({"DASHBOARD_STORE": str(xss_store), "DASHBOARD_AUTH": "none"},
                       tmp_path_factory.mktemp("logs") / "xss.log")
    server.wait()
    yield server.url
    server.stop()


# ---------------------------------------------------------------- signing in
class SignInServer(AppServer):
    """The app on a copy of the sample store behind a users file (and any other settings)."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.store = store_copy(folder)
        self.users = users_file(folder / "users.json")
        super().__init__({"DASHBOARD_STORE": str(self.store), "DASHBOARD_USERS": str(self.users), **(env or {})},
                         folder / "server.log")

    def audit(self):  # noqa: ANN201 - pandas.DataFrame
        """The audit log this server writes (``dashboard.audit``), newest first."""
        from dashboard.security import audit
        return audit.AuditLog(audit.target_for(str(self.store))).read()


def signed_in(page: Page, user: str, password: str | None = None, url: str | None = None) -> Page:
    """Open ``url`` (if given), sign in as ``user`` on its form, and wait until the form is gone.
    A sign-in lasts (a cookie): when the page opens already signed in as ``user``, that is kept."""
    if url is not None:
        page.goto(url)
        form, mine = page.get_by_label("密码"), page.locator(f'[data-testid="ft-watermark"][data-user="{user}"]')
        form.or_(mine).first.wait_for(state="attached", timeout=60_000)
        if not form.count():
            return page
    password = ACCOUNTS[user][2] if password is None else password
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_label("密码")).to_have_count(0, timeout=30_000)
    return page


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class RecordedPage:
    """A page plus every URL it requested."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_PREFIXES)]


@pytest.fixture()
def new_page(browser) -> Iterator:
    contexts = []

    def make(width: int = 1366, height: int = 768) -> RecordedPage:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True,
                                      locale="zh-CN")
        contexts.append(context)
        return RecordedPage(context.new_page())
    yield make
    for context in contexts:
        context.close()


def map_frame(page: Page, timeout: float = 60, settle_ms: int = 0) -> Frame:
    """The streamlit-folium frame once Leaflet has drawn something in it (``settle_ms``: then wait
    that long for fitBounds and label layout to settle)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                if frame.evaluate("() => typeof L === 'object' && !!window.map && "
                                  "document.querySelectorAll('.leaflet-overlay-pane path').length > 0"):
                    if settle_ms:
                        page.wait_for_timeout(settle_ms)
                    return frame
            except Exception:  # noqa: BLE001 - frame navigating or detached: poll again
                pass
        page.wait_for_timeout(300)  # not time.sleep: Playwright must keep processing frame events
    raise AssertionError("the map never rendered (Leaflet not loaded or nothing drawn)")
