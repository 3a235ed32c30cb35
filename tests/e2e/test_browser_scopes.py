"""Scopes in the browser (issue 20): a zone-scoped analyst and a street-scoped leader, signed in
in Chromium; every websocket frame the server sent them is searched for projects outside their
scope (none may arrive) and inside it (they must, so the search can fail)."""
from __future__ import annotations

from collections.abc import Iterator

import pyogrio
import pytest
from playwright.sync_api import Page

from dashboard.security import scope
from dashboard.security.users import add_user
from tests.e2e.harness import SCREENSHOTS, AppServer, signed_in, store_copy

pytestmark = pytest.mark.e2e

ACCOUNTS = {"lize_office": ("analyst", "zone:lize", "lize-office-0417"),
            "tpq_leader": ("leader", "street:太平桥街道", "tpq-leader-0417")}


@pytest.fixture(scope="module")
def scoped_server(tmp_path_factory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("scoped")
    store = store_copy(folder)
    users = folder / "users.json"
    for name, (role, entry, password) in ACCOUNTS.items():
        add_user(users, name, role, (), password, scopes=(entry,))
    server = AppServer({"DASHBOARD_STORE": str(store), "DASHBOARD_USERS": str(users)}, folder / "server.log")
    server.store = store
    server.wait()
    yield server
    server.stop()


def _recording(page: Page) -> list[str]:
    """Every websocket frame the server sends this page, as text (protobuf with UTF-8 strings)."""
    frames: list[str] = []

    def on_ws(ws) -> None:  # noqa: ANN001 - playwright WebSocket
        ws.on("framereceived", lambda payload: frames.append(
            payload.decode("utf-8", "ignore") if isinstance(payload, bytes) else str(payload)))
    page.on("websocket", on_ws)
    return frames


def _settled(page: Page) -> None:
    page.locator('[data-testid="ft-built-at"]').first.wait_for(timeout=90_000)
    page.locator('[data-test-script-state="notRunning"]').wait_for(timeout=90_000)
    page.wait_for_timeout(1500)


@pytest.mark.parametrize("user", list(ACCOUNTS))
def test_nothing_outside_the_scope_reaches_the_browser(scoped_server: AppServer, new_page, user: str) -> None:  # noqa: ANN001
    role, entry, password = ACCOUNTS[user]
    sc = scope.of([entry])
    projects = pyogrio.read_dataframe(scoped_server.store, layer="projects", columns=["project_id", "name", "street"],
                                      read_geometry=False)
    members = pyogrio.read_dataframe(scoped_server.store, layer="zone_members", read_geometry=False)
    inside_ids = set(sc.point_rows(projects, "project_id", members[members["layer"] == "projects"])["project_id"])
    inside = [n for i, n in zip(projects["project_id"], projects["name"], strict=True) if i in inside_ids]
    outside = [n for i, n in zip(projects["project_id"], projects["name"], strict=True) if i not in inside_ids]
    rp = new_page(1920, 1080)
    frames = _recording(rp.page)
    page = signed_in(rp.page, user, password, scoped_server.url + "/")
    _settled(page)
    for path in ("/projects", "/ranking", "/meeting", "/zone?zone=hexi"):
        page.goto(scoped_server.url + path)
        _settled(page) if path != "/meeting" else page.locator('[data-testid="mt-done"]').wait_for(timeout=90_000)
        if path == "/zone?zone=hexi":
            assert page.get_by_text("不在你的数据范围").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"scoped_{user}_zone_refused.png"))
    sent = "".join(frames)
    assert len(sent) > 10_000                                    # the pages did arrive
    assert not [n for n in outside if n in sent], [n for n in outside if n in sent][:5]
    assert sum(n in sent for n in inside) == len(inside)         # the explorer sent every project in scope
    assert rp.outside_requests() == []

