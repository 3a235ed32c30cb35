"""Lasting sessions and display links, in a real browser: a sign-in survives a reload, a new tab,
a typed URL, the back button and a restart of the server; sign-out in one tab signs the other out
at its next click; a forged cookie shows the form; a display link opens the meeting (with its
watermark), is refused on every other page, and stops working once revoked.

Run: ``python -m pytest tests/e2e/test_sessions.py -q`` (screenshots go to build/screenshots/).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from dashboard.security import session_store
from tests.e2e.harness import REPO_ROOT, SCREENSHOTS, AppServer, SignInServer, signed_in, store_copy, users_file

pytestmark = pytest.mark.e2e

SIGNED_IN = '[data-testid="ft-watermark"]'
REFUSED_PAGE = "无权打开此页面"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[SignInServer]:
    srv = SignInServer(tmp_path_factory.mktemp("sessions"), {"DASHBOARD_PUBLIC_URL": "http://public.example"})
    srv.wait()
    yield srv
    srv.stop()


@pytest.fixture()
def context(browser) -> Iterator[BrowserContext]:  # noqa: ANN001
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    yield ctx
    ctx.close()


PASSWORD = re.compile(r"^(密码|Password)$")


def on_form(page: Page, timeout: float = 30_000) -> None:
    expect(page.get_by_label(PASSWORD)).to_be_visible(timeout=timeout)


def is_signed_in(page: Page, user: str, timeout: float = 60_000) -> None:
    page.locator(f'{SIGNED_IN}[data-user="{user}"]').first.wait_for(state="attached", timeout=timeout)
    assert page.get_by_label("密码").count() == 0


def session_cookie(context: BrowserContext) -> dict | None:
    cookies = [c for c in context.cookies() if c["name"].startswith(session_store.COOKIE_PREFIX)]
    return cookies[0] if cookies else None


def wait_cookie(context: BrowserContext, page: Page, present: bool = True) -> dict | None:
    for _ in range(100):
        cookie = session_cookie(context)
        if (cookie is not None) == present:
            return cookie
        page.wait_for_timeout(100)
    raise AssertionError(f"the session cookie never became {'present' if present else 'absent'}")


def test_reload_new_tab_typed_url_and_back_stay_signed_in(server, context):
    page = context.new_page()
    signed_in(page, "t_analyst", url=server.url + "/projects")
    is_signed_in(page, "t_analyst")
    cookie = wait_cookie(context, page)
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and not cookie["httpOnly"]
    assert cookie["expires"] > 0, "it lasts beyond the browser window, up to the absolute limit"
    # the server keeps only the hash of the id
    token = cookie["value"].split(".")[-1]
    store = session_store.store_at(str(server.store) + session_store.SUFFIX)
    assert session_store.token_hash(token) in store.all_hashes()
    assert token.encode() not in (server.store.parent / (server.store.name + session_store.SUFFIX)).read_bytes()

    page.reload()
    is_signed_in(page, "t_analyst")
    page.goto(server.url + "/quality")                 # typed into the address bar
    is_signed_in(page, "t_analyst")
    page.go_back()
    page.wait_for_url("**/projects*")
    is_signed_in(page, "t_analyst")
    tab = context.new_page()                           # a second tab, a shared link
    tab.goto(server.url + "/zone?zone=lize")
    is_signed_in(tab, "t_analyst")
    linked = context.new_page()                        # a link on another site (an e-mail, the portal)
    linked.set_content(f'<a id="go" href="{server.url}/ranking">在看板中打开</a>')
    linked.click("#go")
    linked.wait_for_url("**/ranking*")
    is_signed_in(linked, "t_analyst")   # SameSite=Strict: the page's own websocket carries the cookie
    events = server.audit()
    mine = events[events["user"] == "t_analyst"]
    assert list(mine["event"]).count("session_start") == 1, "one sign-in, one session, however many tabs"


def test_sign_out_in_one_tab_signs_the_other_out_at_its_next_click(server, context):
    a = context.new_page()
    signed_in(a, "t_planner", url=server.url + "/")
    is_signed_in(a, "t_planner")
    wait_cookie(context, a)
    b = context.new_page()
    b.goto(server.url + "/quality")
    is_signed_in(b, "t_planner")
    a.locator('[data-testid="stPopover"]').get_by_text("t_planner").click()
    a.get_by_role("button", name="退出登录").click()
    on_form(a)
    wait_cookie(context, a, present=False)
    # tab B: its next click (the language switch) finds the session ended
    b.locator('[data-testid="stButtonGroup"]').get_by_text("English").click()
    on_form(b)
    expect(b.locator('[data-testid="ft-built-at"]')).to_have_count(0)
    c = context.new_page()                      # and a new tab is not signed in either
    c.goto(server.url + "/")
    on_form(c)
    events = server.audit()
    assert "signout" in set(events[events["user"] == "t_planner"]["event"])


def test_a_forged_or_foreign_cookie_shows_the_form_and_is_recorded(server, context):
    store = session_store.store_at(str(server.store) + session_store.SUFFIX)
    name = store.cookie_name()
    forged = store.cookie_value(session_store.new_token())
    foreign = f"v1.{'0' * 16}.{session_store.new_token()}"
    for value in (forged, foreign, "v1.garbage<script>"):
        context.clear_cookies()
        context.add_cookies([{"name": name, "value": value, "url": server.url}])
        page = context.new_page()
        page.goto(server.url + "/audit")
        on_form(page, timeout=60_000)
        page.wait_for_timeout(300)
        expect(page.locator('[data-testid="ft-built-at"]')).to_have_count(0)
        page.close()
    refused = server.audit()
    details = set(refused[refused["event"] == "session_refused"]["detail"])
    assert {"cookie unknown", "cookie foreign", "cookie malformed"} <= details, details


def test_an_expired_cookie_shows_the_form_and_a_disabled_users_open_tab_is_signed_out(server, context):
    from dashboard.security import users
    store = session_store.store_at(str(server.store) + session_store.SUFFIX)
    leader = users.read_users(server.users)["t_leader"]
    token, row = store.start("t_leader", users.account_stamp(leader), "10.0.0.9",
                             at=session_store.now() - 13 * 3600)   # signed in 13 hours ago
    context.add_cookies([{"name": store.cookie_name(), "value": store.cookie_value(token), "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/quality")
    on_form(page, timeout=60_000)
    expect(page.get_by_text("登录已超过 12 小时")).to_be_visible()
    assert store.get(row.id_hash).end_reason == "expired"
    wait_cookie(context, page, present=False)
    # a disabled account's open tab: signed out at its next click
    signed_in(page, "t_analyst_pii")
    is_signed_in(page, "t_analyst_pii")
    users_cli(server, "disable", "t_analyst_pii")
    try:
        page.locator('[data-testid="stButtonGroup"]').get_by_text("English").click()
        on_form(page)
        expect(page.locator('[data-testid="ft-built-at"]')).to_have_count(0)
    finally:
        users_cli(server, "enable", "t_analyst_pii")
    events = server.audit()
    assert "session_expired" in set(events[events["user"] == "t_leader"]["event"])
    assert "session_end" in set(events[events["subject"] == "t_analyst_pii"]["event"])


def test_another_process_and_a_restart_accept_the_sign_in(tmp_path, browser):  # noqa: ANN001
    """Two processes on the same store (as behind nginx) and a restart: the cookie is checked
    against the shared session file, so each accepts it. Cookies do not depend on the port."""
    srv = SignInServer(tmp_path)
    env = {"DASHBOARD_STORE": str(srv.store), "DASHBOARD_USERS": str(srv.users)}
    other = AppServer(env, tmp_path / "other.log")
    srv.wait()
    other.wait()
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    again = None
    try:
        page = ctx.new_page()
        signed_in(page, "t_leader", url=srv.url + "/quality")
        is_signed_in(page, "t_leader")
        wait_cookie(ctx, page)
        second = ctx.new_page()
        second.goto(other.url + "/ranking")           # the other process
        is_signed_in(second, "t_leader")
        srv.stop()                                    # and a restart of the first
        again = AppServer(env, tmp_path / "again.log")
        again.wait()
        page.goto(again.url + "/quality")
        is_signed_in(page, "t_leader")
        # signed out on one process: the other one's tab is signed out at its next click
        page.locator('[data-testid="stPopover"]').get_by_text("t_leader").click()
        page.get_by_role("button", name="退出登录").click()
        on_form(page)
        second.locator('[data-testid="stButtonGroup"]').get_by_text("English").click()
        on_form(second)
    finally:
        ctx.close()
        for server in (srv, other, again):
            if server is not None:
                server.stop()


def test_two_processes_behind_nginx_accept_the_same_sign_in(tmp_path, browser):  # noqa: ANN001
    """``scripts/serve.py run 2`` (what ``bash scripts/dev.sh serve 2`` runs) on a GeoPackage store
    behind sign-in: signed in through nginx on one process, the routing cookie moved to the other
    process, and the next page load, served by that other process, is still signed in."""
    from tests.e2e.test_nginx_deploy import _free_ports, _nginx
    _nginx()
    store, users = store_copy(tmp_path), users_file(tmp_path / "users.json")
    listen, *ports = _free_ports(3)
    run_dir = tmp_path / "run"
    log = tmp_path / "serve.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update(DASHBOARD_STORE=str(store), DASHBOARD_USERS=str(users))
    proc = subprocess.Popen([sys.executable, "scripts/serve.py", "run", "2", "--listen", f"127.0.0.1:{listen}",
                             "--ports", ",".join(map(str, ports)), "--run-dir", str(run_dir)],
                            cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        deadline = time.time() + 120
        while "Serving 2 dashboard processes" not in log.read_text():
            assert proc.poll() is None and time.time() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        url = f"http://127.0.0.1:{listen}"
        page = ctx.new_page()
        first = page.goto(url + "/quality").headers.get("x-upstream")
        signed_in(page, "t_analyst")
        is_signed_in(page, "t_analyst")
        wait_cookie(ctx, page)
        route = next(c for c in ctx.cookies() if c["name"] == "fengtai_route")
        other = next(p for p in ports if not first.endswith(f":{p}"))
        page.goto("about:blank")            # the old page's requests would set the route back
        page.wait_for_timeout(300)
        ctx.add_cookies([{**route, "value": str(other)}])
        served = page.goto(url + "/projects").headers.get("x-upstream")
        assert served.endswith(f":{other}") and served != first, (first, served)
        is_signed_in(page, "t_analyst")
    finally:
        ctx.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------- display links
def users_cli(server: SignInServer, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update({"DASHBOARD_USERS": str(server.users), "DASHBOARD_STORE": str(server.store),
                "DASHBOARD_PUBLIC_URL": server.url})
    result = subprocess.run([sys.executable, "-m", "dashboard.users", *args], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


def test_a_display_link_opens_the_meeting_only_and_stops_when_revoked(server, context):
    link = users_cli(server, "display", "add", "会议室大屏", "--zone", "lize").stdout.strip()
    assert link.startswith(server.url + "/meeting?display=") and "zone=lize" in link
    page = context.new_page()
    page.goto(link + "&auto=30")
    page.locator('[data-testid="mt-done"][data-slide="lize"]').first.wait_for(state="attached", timeout=60_000)
    mark = page.locator(f'{SIGNED_IN}[data-display="会议室大屏"]')
    assert mark.count() == 1 and mark.get_attribute("data-label").startswith("显示屏 会议室大屏 · 20")
    assert page.get_by_label("密码").count() == 0
    assert page.locator('[data-testid="stDownloadButton"], [data-testid="stTopNavLink"]').count() == 0
    assert page.locator('[data-testid="stPopover"]').count() == 0, "no account menu"
    assert page.locator(".mt-exit a").count() == 0, "no way out to another page"
    assert session_cookie(context) is None, "a display link sets no session cookie"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1500)   # the map draws
    page.screenshot(path=str(SCREENSHOTS / "display_meeting_1366x768.png"))

    token = link.split("display=")[1].split("&")[0]
    from dashboard.web.pages import PAGES
    for path in ["/" + spec.url_path for spec in PAGES if spec.key != "meeting"]:   # every other page
        other = context.new_page()
        other.goto(f"{server.url}{path}?display={token}")
        expect(other.get_by_text(REFUSED_PAGE)).to_be_visible(timeout=60_000)
        assert other.locator('[data-testid="stDataFrame"], [data-testid="stDownloadButton"], '
                             '[data-testid="stMetric"], [data-testid="stTopNavLink"]').count() == 0, path
        other.close()

    users_cli(server, "display", "revoke", "会议室大屏")
    # the open screen falls back to the form by itself (its check runs every 20 s)
    on_form(page, timeout=40_000)
    again = context.new_page()
    again.goto(link)
    on_form(again, timeout=60_000)
    events = server.audit()
    mine = events[events["subject"] == "会议室大屏"]
    assert {"display_add", "display_open", "display_revoke", "display_refused"} <= set(mine["event"])
    assert "page_refused" in set(events[events["user"] == "会议室大屏"]["event"])
    listed = users_cli(server, "display", "list").stdout
    assert "会议室大屏\tlize" in listed and "revoked" in listed and token not in listed
