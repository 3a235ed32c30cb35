"""Signing in, in a real browser: nothing of the store before sign-in (the websocket traffic is
read), the role table on every path, forged downloads, no personal data for a leader, the
lockout, the idle timeout, the single-sign-on header, the watermark, and a download refused
when the audit log cannot record it.

Run: ``python -m pytest tests/e2e/test_signin.py -q`` (screenshots go to build/screenshots/).
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator

import pandas as pd
import pyogrio
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard import i18n
from dashboard.web import pages
from tests.e2e.harness import (
    ACCOUNTS,
    ROLE_ACCOUNT,
    SCREENSHOTS,
    RecordedPage,
    SignInServer,
    map_frame,
    signed_in,
)

pytestmark = pytest.mark.e2e

PATHS = {key: "/" + (spec.url_path or "") + ("?zone=lize" if key == "zone" else "") for key, spec in pages.BY_KEY.items()}
# The meeting page hides Streamlit's chrome (no heading, no navigation): the role walk below
# checks it on its own (test_every_role_opens_the_meeting); the sign-in check covers it too.
WALKED = {key: path for key, path in PATHS.items() if key != "meeting"}
ALLOWED = {   # the table (meeting and ranking joined once they were pages)
    "leader": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting"},
    "planner": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads"},
    "analyst": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads"},
    "admin": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads", "audit"},
}
REFUSED_PAGE = "无权打开此页面"


class Frames:
    """Every websocket frame the page received (Streamlit's protobuf messages, as bytes)."""

    def __init__(self, page: Page) -> None:
        self.received: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: bytes | str) -> None:
        self.received.append(payload if isinstance(payload, bytes) else payload.encode("utf-8"))

    def containing(self, needles: list[str]) -> list[str]:
        blob = b"\n".join(self.received)
        return [n for n in needles if n.encode("utf-8") in blob]


def store_strings(server: SignInServer) -> list[str]:
    projects = pyogrio.read_dataframe(server.store, layer="projects", columns=["name"], read_geometry=False)
    zones = pyogrio.read_dataframe(server.store, layer="zones", columns=["name"], read_geometry=False)
    return list(projects["name"][:30]) + list(zones["name"]) + ["示例数据", "数据截至", "enterprises", "hotline"]


def store_phones(server: SignInServer, n: int = 400) -> list[str]:
    frame = pyogrio.read_dataframe(server.store, layer="enterprises", columns=["contact_phone"], read_geometry=False)
    return [p for p in frame["contact_phone"].dropna().astype(str) if len(p) >= 8][:n]


def settled(page: Page) -> str:
    """Wait until a signed-in page run has finished: ``allowed`` (the data time is drawn) or ``refused``."""
    built = page.locator('[data-testid="ft-built-at"]')
    refused = page.get_by_text(REFUSED_PAGE)
    built.or_(refused).first.wait_for(timeout=60_000)
    # ... and the run is over (a map page draws its tables in a second, fragment run once its map is)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached",
                                                                                         timeout=60_000)
    return "refused" if refused.count() else "allowed"


def nav_titles(page: Page) -> list[str]:
    return [t.split("\n")[-1].strip() for t in page.locator('[data-testid="stTopNavLink"]').all_inner_texts()]


@pytest.fixture(scope="module")
def signin_server(tmp_path_factory) -> Iterator[SignInServer]:
    """The app behind sign-in (every test account) on a copy of the sample store."""
    server = SignInServer(tmp_path_factory.mktemp("signin"))
    server.wait()
    yield server
    server.stop()


@pytest.fixture()
def context_page(browser) -> Iterator:  # noqa: ANN001
    """A fresh browser context per call, with optional extra headers."""
    contexts = []

    def make(headers: dict[str, str] | None = None, width: int = 1366, height: int = 768) -> RecordedPage:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True,
                                      locale="zh-CN", extra_http_headers=headers or {})
        contexts.append(context)
        return RecordedPage(context.new_page())
    yield make
    for context in contexts:
        context.close()


def test_before_sign_in_every_path_sends_only_the_form(signin_server, context_page):
    rp = context_page()
    page, frames = rp.page, Frames(rp.page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for key, path in PATHS.items():
        page.goto(signin_server.url + path)
        expect(page.get_by_label("用户名")).to_be_visible(timeout=60_000)
        expect(page.get_by_label("密码")).to_be_visible()
        expect(page.get_by_role("button", name="登录")).to_be_visible()
        page.wait_for_timeout(600)   # anything a page would still send arrives now
        assert page.locator('[data-testid="stTopNavLink"]').count() == 0, key
        assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"], iframe').count() == 0, key
        if key == "overview":
            page.screenshot(path=str(SCREENSHOTS / "signin_1366x768.png"))
    assert frames.received, "no websocket traffic recorded: the check would be empty"
    leaked = frames.containing(store_strings(signin_server))
    assert not leaked, leaked
    assert rp.outside_requests() == []


@pytest.mark.parametrize("role", list(ALLOWED))
def test_role_table_in_the_browser(signin_server, context_page, role):
    """Each path of each role, checked on the server's answer: a listed page is reached through
    the navigation, every other path by its URL (a deep link, as a forged one would be)."""
    user = ROLE_ACCOUNT[role]
    page = context_page().page
    signed_in(page, user, url=signin_server.url + "/")
    measured = {"overview": settled(page)}
    for key, path in WALKED.items():
        if key == "overview":
            continue
        link = page.locator('[data-testid="stTopNavLink"]').filter(has_text=page_title(key))
        if link.count():
            link.first.click()
            page.wait_for_url("**" + path.split("?")[0] + "*", timeout=30_000)
        else:
            signed_in(page, user, url=signin_server.url + path)
        page.locator('[data-testid="stHeadingWithActionElements"]').filter(has_text=page_title(key)).first.wait_for(
            timeout=60_000)
        measured[key] = settled(page)
        if measured[key] == "allowed":
            assert page.locator(f'[data-testid="ft-watermark"][data-user="{user}"]').count() == 1, key
        else:
            assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"], iframe').count() == 0, key
        listed = nav_titles(page)
        expected = [page_title(k) for k in PATHS if k in ALLOWED[role]]  # the menu lists meeting too
        assert listed == expected, (key, listed, expected)
    assert {k for k, v in measured.items() if v == "allowed"} == ALLOWED[role] & set(WALKED), measured

    out = SCREENSHOTS.parent / "role_table.json"
    table = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    table[role] = measured
    out.write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize("role", list(ALLOWED))
def test_every_role_opens_the_meeting(signin_server, context_page, role):
    page = context_page().page
    signed_in(page, ROLE_ACCOUNT[role], url=signin_server.url + "/meeting?zone=lize")
    page.locator('[data-testid="mt-done"][data-slide="lize"]').first.wait_for(state="attached", timeout=60_000)
    assert "zone=lize" in page.url


def page_title(key: str) -> str:
    from dashboard import i18n
    return i18n.t(pages.BY_KEY[key].title_key)


def test_a_forged_download_url_gets_a_planner_nothing(signin_server, context_page):
    page = context_page().page
    signed_in(page, "t_planner", url=signin_server.url + "/downloads?layer=enterprises")
    expect(page.get_by_text("无权下载")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(800)
    assert page.locator('[data-testid="stDownloadButton"], [data-testid="stDataFrame"]').count() == 0
    refused = signin_server.audit()
    refused = refused[(refused["user"] == "t_planner") & (refused["event"] == "download_refused")]
    assert list(refused["layer"]) == ["enterprises"]


def test_a_leader_never_receives_personal_data(signin_server, context_page):
    rp = context_page(width=1920, height=1080)
    page, frames = rp.page, Frames(rp.page)
    for key in ("zone", "quality"):   # the enterprises on a map, and the build report's rejected values
        signed_in(page, "t_leader", url=signin_server.url + PATHS[key])
        assert settled(page) == "allowed"
        page.wait_for_timeout(1500)   # the map and the tables arrive
    phones = store_phones(signin_server)
    assert phones and not frames.containing(phones)
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0


def test_an_analyst_without_the_grant_downloads_masked_and_it_is_audited(signin_server, context_page, tmp_path):
    page = context_page(width=1920, height=1080).page
    signed_in(page, "t_analyst", url=signin_server.url + "/downloads?layer=enterprises")
    assert settled(page) == "allowed"
    page.locator('[data-testid="stRadio"]').get_by_text("CSV").first.click()
    page.wait_for_timeout(800)
    with page.expect_download(timeout=60_000) as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    phones = table[i18n.column_label("contact_phone", "zh")].dropna()   # Chinese headers: the default
    assert len(phones) and phones.str.contains(r"\*").all() and not set(phones) & set(store_phones(signin_server))
    entry = signin_server.audit()
    entry = entry[(entry["user"] == "t_analyst") & (entry["event"] == "download")].iloc[0]
    assert (entry["layer"], entry["format"], entry["rows"], entry["personal_data"]) == \
        ("enterprises", "csv", len(table), "masked")


def failures(server: SignInServer, user: str, at_least: int, timeout: float = 30) -> int:
    """Wait until the audit log holds ``at_least`` failed sign-ins of ``user``."""
    deadline = time.monotonic() + timeout
    while True:
        entries = server.audit()
        n = int(((entries["user"] == user) & (entries["event"] == "signin_failed")).sum())
        if n >= at_least or time.monotonic() > deadline:
            assert n >= at_least, (user, n)
            return n
        time.sleep(0.1)


def test_five_failures_lock_the_account(signin_server, context_page):
    page = context_page().page
    page.goto(signin_server.url + "/")
    expect(page.get_by_text("连续 5 次登录失败将锁定账户 15 分钟")).to_be_visible(timeout=60_000)
    answered = []
    for attempt in range(5):
        page.get_by_label("用户名").fill("t_locked")
        page.get_by_label("密码").fill(f"wrong password {attempt}")
        started = time.monotonic()
        page.get_by_role("button", name="登录").click()
        failures(signin_server, "t_locked", at_least=attempt + 1)   # the server's answer, not the old message
        answered.append(time.monotonic() - started)
    expect(page.get_by_text("已锁定 15 分钟")).to_be_visible(timeout=30_000)
    assert answered[4] >= 3.5 and answered[2] >= 0.9, answered   # waited on the server: 1 s, 2 s, 4 s
    page.reload()   # a new session: the lock is on the server, not in the browser
    page.get_by_label("用户名").fill("t_locked")
    page.get_by_label("密码").fill(ACCOUNTS["t_locked"][2])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("已锁定 15 分钟")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="ft-built-at"]').count() == 0
    events = signin_server.audit()
    assert "account_locked" in set(events[events["user"] == "t_locked"]["event"])


def test_the_watermark_lies_over_the_map_and_lets_clicks_through(signin_server, context_page):
    page = context_page().page
    signed_in(page, "t_planner", url=signin_server.url + "/")
    assert settled(page) == "allowed"
    mark = page.locator('[data-testid="ft-watermark"]')
    assert mark.get_attribute("data-label").startswith("t_planner · 20")
    iframe = page.locator('iframe[title*="streamlit_folium"]').first
    iframe.wait_for(timeout=60_000)
    iframe.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box, cover = iframe.bounding_box(), mark.bounding_box()   # the watermark is fixed: the viewport
    viewport = page.viewport_size
    assert (cover["x"], cover["y"], cover["width"], cover["height"]) == (0, 0, viewport["width"], viewport["height"])
    assert mark.evaluate("e => getComputedStyle(e).pointerEvents") == "none"
    assert int(mark.evaluate("e => getComputedStyle(e).zIndex")) > 0
    top, bottom = max(box["y"], 0), min(box["y"] + box["height"], viewport["height"])
    assert bottom - top > 100, "the map is on screen"
    x, y = box["x"] + box["width"] / 2, (top + bottom) / 2
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", [x, y]) == "IFRAME"
    map_frame(page)   # drawn, for the screenshot
    page.wait_for_timeout(800)
    page.screenshot(path=str(SCREENSHOTS / "overview_watermark_1366x768.png"))


# ---------------------------------------------------------------- the trusted header, idle time, audit failure
@pytest.fixture(scope="module")
def untrusted_header_server(tmp_path_factory) -> Iterator[SignInServer]:
    """Header mode trusting only a proxy address the browser is not (and a 3-second idle time)."""
    server = SignInServer(tmp_path_factory.mktemp("hdr_untrusted"), {
        "DASHBOARD_AUTH": "header", "DASHBOARD_AUTH_HEADER": "X-Remote-User",
        "DASHBOARD_TRUSTED_PROXIES": "192.0.2.250", "DASHBOARD_IDLE_MINUTES": "0.05"})
    server.wait()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def trusted_header_server(tmp_path_factory) -> Iterator[SignInServer]:
    """Header mode trusting the loopback address the browser connects from."""
    server = SignInServer(tmp_path_factory.mktemp("hdr_trusted"), {
        "DASHBOARD_AUTH": "header", "DASHBOARD_AUTH_HEADER": "X-Remote-User",
        "DASHBOARD_TRUSTED_PROXIES": "127.0.0.1"})
    server.wait()
    yield server
    server.stop()


def test_the_header_from_a_non_proxy_address_is_refused(untrusted_header_server, context_page):
    page = context_page({"X-Remote-User": "t_admin"}).page
    page.goto(untrusted_header_server.url + "/audit")
    expect(page.get_by_label("密码")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.locator('[data-testid="ft-built-at"]').count() == 0
    refused = untrusted_header_server.audit()
    assert "header_refused" in set(refused["event"]) and "signin" not in set(refused["event"])


def test_an_idle_session_ends_on_screen(untrusted_header_server, context_page):
    page = context_page().page
    signed_in(page, "t_leader", url=untrusted_header_server.url + "/quality")
    assert settled(page) == "allowed"
    # nobody touches the page: the idle check signs it out by itself (3 s idle time here)
    expect(page.get_by_label("密码")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("无操作，已自动退出登录")).to_be_visible()
    assert page.locator('[data-testid="ft-built-at"]').count() == 0


def test_the_header_from_the_trusted_proxy_signs_in(trusted_header_server, context_page):
    page = context_page({"X-Remote-User": "t_admin"}).page
    page.goto(trusted_header_server.url + "/audit")
    assert settled(page) == "allowed"
    assert page.get_by_label("密码").count() == 0
    expect(page.locator('[data-testid="stPopover"]').get_by_text("t_admin")).to_be_visible()
    entries = trusted_header_server.audit()
    signin = entries[entries["event"] == "signin"].iloc[0]
    assert signin["user"] == "t_admin" and "X-Remote-User" in signin["detail"]


def test_a_download_the_audit_log_cannot_record_is_not_served(trusted_header_server, context_page):
    page = context_page({"X-Remote-User": "t_planner"}, width=1920, height=1080).page
    page.goto(trusted_header_server.url + "/downloads")
    assert settled(page) == "allowed"
    page.wait_for_timeout(800)
    log = trusted_header_server.store.with_name(trusted_header_server.store.name + ".audit.sqlite")
    kept = log.with_name("kept.sqlite")
    shutil.move(log, kept)
    log.mkdir()   # the log's place is now a folder: every write fails
    try:
        with pytest.raises(PlaywrightTimeout), page.expect_download(timeout=4_000):
            page.locator('[data-testid="stDownloadButton"] button').first.click()
    finally:
        log.rmdir()
        shutil.move(kept, log)
    downloads = trusted_header_server.audit()
    assert "download" not in set(downloads["event"])
    with page.expect_download(timeout=60_000) as info:   # the log is back: so is the download
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    rows = len(json.loads(info.value.path().read_bytes())["features"])
    entry = trusted_header_server.audit().iloc[0]
    assert (entry["event"], entry["user"], entry["layer"], entry["rows"]) == ("download", "t_planner", "projects", rows)
