"""Lasting sessions and display links, decided without a browser: the session file keeps only
hashes, its limits under a moved clock, revocation, tampered and foreign cookies; the display
links' file; scopes on the user and the viewer; the session-ending paths through the app
(AppTest) with the clock of :mod:`dashboard.security.sessions` moved by hand."""
from __future__ import annotations

import json
import sqlite3
import stat

import pytest
import streamlit as st
import streamlit_folium
from streamlit.testing.v1 import AppTest

from dashboard.config import ConfigError, load_settings
from dashboard.security import access, audit, displays, session_store, users
from dashboard.security import sessions as auth
from dashboard.security.access import Viewer
from dashboard.security.session_store import SessionStore
from tests.dashboard.conftest import APP, run_signed_in, sign_in, store_copy, users_file

IDLE, ABSOLUTE = 30 * 60.0, 12 * 3600.0
T0 = 2_000_000_000.0


@pytest.fixture()
def store(tmp_path) -> SessionStore:
    return SessionStore(tmp_path / "district.gpkg.sessions.sqlite")


def test_only_the_hash_of_the_id_is_stored_in_a_private_file(store):
    token, row = store.start("wang", "stamp", "10.0.0.7", at=T0)
    assert len(token) >= 43 and row.id_hash == session_store.token_hash(token) != token
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    raw = store.path.read_bytes()
    assert token.encode() not in raw and row.id_hash.encode() in raw
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT user, client, created, last_seen, ended_at FROM sessions").fetchall() == [
            ("wang", "10.0.0.7", T0, T0, None)]
    check = store.check_cookie(store.cookie_value(token))
    assert check.status == "ok" and check.session.user == "wang"
    assert store.cookie_name().startswith(session_store.COOKIE_PREFIX) and store.deployment() in store.cookie_value(token)


def test_two_sign_ins_get_different_ids(store):
    assert store.start("wang", "s", "c", at=T0)[0] != store.start("wang", "s", "c", at=T0)[0]


def test_idle_and_absolute_limits_under_a_moved_clock(store, monkeypatch):
    clock = {"now": T0}
    monkeypatch.setattr(session_store, "now", lambda: clock["now"])
    token, row = store.start("wang", "s", "c")
    assert row.status(T0 + IDLE - 1, IDLE, ABSOLUTE) == "active"
    assert row.status(T0 + IDLE + 1, IDLE, ABSOLUTE) == "idle"
    # used every 20 minutes: never idle, but over after 12 hours however used
    for step in range(1, 37):
        clock["now"] = T0 + step * 20 * 60
        store.touch(row.id_hash)
        assert store.get(row.id_hash).status(clock["now"], IDLE, ABSOLUTE) == "active"
    clock["now"] = T0 + ABSOLUTE + 1
    store.touch(row.id_hash)
    assert store.get(row.id_hash).status(clock["now"], IDLE, ABSOLUTE) == "expired"


def test_ended_sessions_stay_ended(store):
    token, row = store.start("wang", "s", "c", at=T0)
    assert store.end(row.id_hash, session_store.SIGNOUT, at=T0 + 5)
    assert not store.end(row.id_hash, session_store.IDLE, at=T0 + 6), "ended once"
    check = store.check_cookie(store.cookie_value(token))
    assert check.status == "ended" and check.session.end_reason == "signout"
    store.touch(row.id_hash, at=T0 + 10)
    assert store.get(row.id_hash).last_seen == T0
    other = store.start("wang", "s", "c", at=T0)[1]
    third = store.start("li", "s", "c", at=T0)[1]
    assert store.end_user("wang", session_store.ACCOUNT_CHANGED, at=T0 + 20) == 1
    assert store.get(other.id_hash).end_reason == "account_changed" and store.get(third.id_hash).ended_at is None
    assert [s.user for s in store.open_sessions()] == ["li"]


@pytest.mark.parametrize("make", [
    lambda s, t: s.cookie_value(t)[:-1] + ("A" if s.cookie_value(t)[-1] != "A" else "B"),   # one character changed
    lambda s, t: s.cookie_value(session_store.new_token()),                                  # forged: a good shape
    lambda s, t: f"v1.{'f' * 16}.{t}",                                                     # another deployment's
    lambda s, t: t,                                                                           # the bare id
    lambda s, t: "v2." + s.cookie_value(t)[3:],
    lambda s, t: s.cookie_value(t) + "'; DROP TABLE sessions; --",
    lambda s, t: "x" * 5000,
    lambda s, t: None,
    lambda s, t: 42,
])
def test_tampered_forged_and_foreign_cookies_sign_nobody_in(store, make):
    token, _ = store.start("wang", "s", "c", at=T0)
    check = store.check_cookie(make(store, token))
    assert check.status in {"malformed", "foreign", "unknown"} and check.session is None
    assert [s.user for s in store.open_sessions()] == ["wang"]


def test_a_foreign_cookie_is_told_apart(store, tmp_path):
    other = SessionStore(tmp_path / "elsewhere.sessions.sqlite")
    token, _ = other.start("wang", "s", "c", at=T0)
    assert store.check_cookie(other.cookie_value(token)).status == "foreign"
    assert store.cookie_name() != other.cookie_name()


def test_where_the_session_file_lives(tmp_path):
    assert session_store.path_for(str(tmp_path / "d.gpkg"), None) == tmp_path / "d.gpkg.sessions.sqlite"
    assert session_store.path_for("postgresql://u@db/x", str(tmp_path / "u.json")) == tmp_path / "u.json.sessions.sqlite"


def test_session_settings():
    assert load_settings({}).session_hours == 12 and load_settings({}).public_url == "http://localhost:8501"
    assert load_settings({"DASHBOARD_SESSION_HOURS": "8"}).session_hours == 8
    assert load_settings({"DASHBOARD_PUBLIC_URL": "https://gis.example/"}).public_url == "https://gis.example"
    for bad in ({"DASHBOARD_SESSION_HOURS": "0"}, {"DASHBOARD_SESSION_HOURS": "x"}, {"DASHBOARD_PUBLIC_URL": "ftp://x"},
                {"DASHBOARD_PUBLIC_URL": "http://x/?a=1"}):
        with pytest.raises(ConfigError):
            load_settings(bad)


# ---------------------------------------------------------------- display links, scopes
def test_display_tokens_are_stored_hashed_and_checked(tmp_path):
    path = tmp_path / "users.json"
    token = displays.add(path, "大屏 1", "lize", 2, T0)
    raw = displays.path_for(path).read_text(encoding="utf-8")
    assert token not in raw and session_store.token_hash(token) in raw
    assert stat.S_IMODE(displays.path_for(path).stat().st_mode) == 0o600
    assert json.loads(raw)["displays"]["大屏 1"]["zone"] == "lize"
    status, display = displays.check(path, token, T0 + 60)
    assert status == "ok" and display.label == "大屏 1"
    assert displays.check(path, token, T0 + 2 * 86400 + 1)[0] == "expired"
    assert displays.check(path, token[:-1] + ("a" if token[-1] != "a" else "b"), T0)[0] == "unknown"
    assert displays.check(path, "<script>", T0)[0] == "malformed" and displays.check(path, None, T0)[0] == "malformed"
    with pytest.raises(displays.DisplayError):
        displays.add(path, "大屏 1", None, None, T0)
    displays.revoke(path, "大屏 1", T0 + 5)
    assert displays.check(path, token, T0 + 6)[0] == "revoked"
    again = displays.add(path, "大屏 1", None, None, T0 + 7)   # a revoked label may be given out again
    assert displays.check(path, again, T0 + 8)[0] == "ok" and displays.check(path, token, T0 + 8)[0] != "ok"
    assert displays.link("http://h:8501/", "abc", "lize") == "http://h:8501/meeting?display=abc&zone=lize"


@pytest.mark.parametrize("bad", ["", "street:", "street: ", "zone:", "zone:a b", "zone:<x>", "town:x", "lize"])
def test_scopes_have_one_form(bad):
    with pytest.raises(ValueError):
        access.parse_scope(bad)
    with pytest.raises(users.UsersError):
        users.check_scope(bad)


def test_scopes_are_kept_on_the_user_and_the_viewer(tmp_path):
    path = tmp_path / "u.json"
    users.add_user(path, "li", "leader", (), "long enough passphrase", ("street:太平桥街道", "zone:lize", "zone:lize"))
    user = users.read_users(path)["li"]
    assert user.scopes == ("street:太平桥街道", "zone:lize")
    assert Viewer(name="li", role="leader", signed_in=True, scopes=user.scopes).scopes == user.scopes
    with pytest.raises(ValueError):
        Viewer(scopes=("zone:",))
    stamp = users.account_stamp(user)
    users.set_scopes(path, "li", ())
    assert users.read_users(path)["li"].scopes == () and users.account_stamp(users.read_users(path)["li"]) != stamp


def test_a_display_viewer_sees_the_meeting_only_and_no_personal_data():
    from dashboard.web.pages import BY_KEY
    viewer = Viewer(name="大屏", role=access.DISPLAY, signed_in=True, display="大屏")
    assert {k for k, spec in BY_KEY.items() if access.may_open(viewer, spec.roles)} == {"meeting"}
    assert viewer.personal == "omitted" and not access.may_download(viewer, "brief")


# ---------------------------------------------------------------- through the app
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("session_store_app")
    store, accounts = store_copy(folder), users_file(folder / "users.json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
        mp.setenv("DASHBOARD_STORE", str(store))
        mp.setenv("DASHBOARD_USERS", str(accounts))
        mp.delenv("DASHBOARD_AUTH", raising=False)
        st.cache_resource.clear()
        st.cache_data.clear()
        yield {"store": store, "users": accounts, "log": audit.AuditLog(audit.target_for(str(store))),
               "sessions": SessionStore(str(store) + session_store.SUFFIX)}
        st.cache_resource.clear()
        st.cache_data.clear()


@pytest.fixture()
def clock(monkeypatch):
    state = {"now": T0}
    monkeypatch.setattr(auth, "now", lambda: state["now"])
    monkeypatch.setattr(auth, "sleep", lambda s: None)
    return state


def on_form(at) -> bool:  # noqa: ANN001
    return [t.label for t in at.text_input] == ["用户名", "密码"]


def test_a_sign_in_starts_a_stored_session_that_the_absolute_limit_ends(site, clock):
    at = run_signed_in("quality", {}, "t_leader")
    id_hash = at.session_state[auth.SESSION_HASH]
    row = site["sessions"].get(id_hash)
    assert row.user == "t_leader" and row.created == T0 and row.ended_at is None
    assert at.session_state[auth.COOKIE_PENDING][0] == "set"
    for _ in range(12 * 3):   # a click every 20 minutes for 12 hours: never idle
        clock["now"] += 20 * 60
        at.run()
        assert not on_form(at)
    clock["now"] += 20 * 60
    at.run()
    assert on_form(at) and any("12 小时" in i.value for i in at.info)
    assert site["sessions"].get(id_hash).end_reason == "expired"
    entries = site["log"].read(users=["t_leader"])
    assert {"signin", "session_start", "session_expired"} <= set(entries["event"])


def test_an_idle_session_is_marked_ended(site, clock):
    at = run_signed_in("overview", {}, "t_planner")
    id_hash, token = at.session_state[auth.SESSION_HASH], at.session_state[auth.SESSION_TOKEN]
    clock["now"] += 30 * 60 + 1
    at.run()
    assert on_form(at) and site["sessions"].get(id_hash).end_reason == "idle"
    cookie = site["sessions"].cookie_value(token)   # the page was asked to delete it
    assert session_store.token_hash(cookie) in at.session_state[auth.COOKIES_DONE]
    assert any(cookie in str(getattr(e, "proto", "")) and "Max-Age=0" in str(getattr(e, "proto", ""))
               for e in at.get("html")), "the page deletes the cookie"


def test_sessions_no_tab_came_back_to_are_ended_and_recorded(site, clock):
    _, row = site["sessions"].start("t_locked", "old stamp", "10.9.9.9", at=T0 - 3600)
    run_signed_in("overview", {}, "t_leader")   # any sign-in sweeps
    assert site["sessions"].get(row.id_hash).end_reason == "idle"
    entries = site["log"].read(users=["t_locked"])
    assert "idle_signout" in set(entries["event"]) and "no tab came back" in " ".join(entries["detail"])


def test_a_disabled_users_open_session_ends_at_once(site, clock, monkeypatch):
    at = run_signed_in("overview", {}, "t_analyst")
    id_hash = at.session_state[auth.SESSION_HASH]
    monkeypatch.setenv("DASHBOARD_STORE", str(site["store"]))
    from dashboard.security.users import main
    try:
        assert main(["disable", "t_analyst"]) == 0
        assert site["sessions"].get(id_hash).end_reason == "account_changed", "the command line ends it"
        at.run()
        assert on_form(at) and not at.metric
    finally:
        assert main(["enable", "t_analyst"]) == 0
    assert "session_end" in set(site["log"].read(events=["session_end"])["event"])


def test_sign_out_ends_the_stored_session_for_every_tab(site, clock):
    a = run_signed_in("overview", {}, "t_admin")
    id_hash = a.session_state[auth.SESSION_HASH]
    b = AppTest.from_file(APP, default_timeout=300)   # a second tab that came with the same session
    b.session_state[auth.SESSION_HASH] = id_hash
    b.run()
    assert not on_form(b)
    a.button(key=auth.SIGNOUT_BUTTON).click().run()
    assert on_form(a) and site["sessions"].get(id_hash).end_reason == "signout"
    b.run()
    assert on_form(b) and any("其他标签页" in i.value for i in b.info)


def test_a_display_link_through_the_app(site, clock):
    token = displays.add(site["users"], "lobby", None, None, T0)
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["display"] = token
    at.run()
    at.switch_page("screens/meeting.py")
    at.run()
    assert not on_form(at) and not at.exception and not at.get("download_button")
    downloads = AppTest.from_file(APP, default_timeout=300)
    downloads.query_params["display"] = token
    downloads.run()
    downloads.switch_page("screens/downloads.py")
    downloads.run()
    assert any("无权打开此页面" in e.value for e in downloads.error) and not downloads.get("download_button")
    displays.revoke(site["users"], "lobby", T0 + 1)
    at.run()
    assert on_form(at)
    assert {"display_open", "display_refused"} <= set(site["log"].read(events=["display_open", "display_refused"])["event"])


def test_a_session_file_that_cannot_be_written_refuses_sign_in_without_raising(site, clock, monkeypatch):
    def broken(self, *a, **k):  # noqa: ANN001, ANN002, ANN003
        raise session_store.SessionStoreError("disk full")
    monkeypatch.setattr(SessionStore, "start", broken)
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    sign_in(at, "t_leader")
    assert not at.exception and on_form(at) and any("会话文件" in e.value for e in at.error)


def test_a_hand_edited_scope_is_refused_when_the_file_is_read(tmp_path):
    path = tmp_path / "u.json"
    users.add_user(path, "li", "leader", (), "long enough passphrase", ("zone:lize",))
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["users"]["li"]["scopes"] = ["zone:<script>"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="li"):
        users.read_users(path)
