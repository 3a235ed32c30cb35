"""Signing in, roles, masks and the audit trail, through the app itself (Streamlit's AppTest).

One users file (``conftest.ACCOUNTS``) and a copy of the sample store for the module; the
clock and the wait of :mod:`dashboard.auth` are replaced, so the lockout and the idle timeout
are tested in moments, on any date.
"""
from __future__ import annotations

import pyogrio
import pytest
import streamlit as st
import streamlit_folium
from streamlit.testing.v1 import AppTest

from dashboard.config import load_settings
from dashboard.security import audit, session_store, users
from dashboard.security import sessions as auth
from dashboard.web import pages
from tests.dashboard.conftest import (
    ACCOUNTS,
    APP,
    ROLE_ACCOUNT,
    run_page,
    run_signed_in,
    sign_in,
    store_copy,
    users_file,
)

# Where each page is, and the role table (meeting joins once it is a page).
PATHS = {key: (key, {"zone": "lize"} if key == "zone" else {}) for key in pages.BY_KEY}
ALLOWED = {
    "leader": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting"},
    "planner": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads"},
    "analyst": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads"},
    "admin": {"overview", "zone", "projects", "needs", "ranking", "quality", "meeting", "downloads", "audit"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The module's users file and store, in the environment; caches clean before and after."""
    folder = tmp_path_factory.mktemp("auth_pages")
    store, accounts = store_copy(folder), users_file(folder / "users.json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
        mp.setenv("DASHBOARD_STORE", str(store))
        mp.setenv("DASHBOARD_USERS", str(accounts))
        mp.delenv("DASHBOARD_AUTH", raising=False)
        st.cache_resource.clear()
        st.cache_data.clear()
        yield {"store": store, "users": accounts, "log": audit.AuditLog(audit.target_for(str(store)))}
        st.cache_resource.clear()
        st.cache_data.clear()


@pytest.fixture()
def clock(monkeypatch):
    """The sign-in's clock, moved by hand, and the waits it asked for (never slept)."""
    state = {"now": 2_000_000_000.0, "waits": []}
    monkeypatch.setattr(auth, "now", lambda: state["now"])
    monkeypatch.setattr(auth, "sleep", lambda s: state["waits"].append(s))
    return state


def everything(at) -> str:  # noqa: ANN001 - AppTest
    """Every element the run sent, as text (protobuf), to look for store content in."""
    def walk(node) -> str:  # noqa: ANN001
        own = str(getattr(node, "proto", "") or "")
        return own + "".join(walk(child) for child in getattr(node, "children", {}).values())
    return walk(at._tree)


def store_strings(store) -> list[str]:  # noqa: ANN001
    names = list(pyogrio.read_dataframe(store, layer="projects", columns=["name"], read_geometry=False)["name"][:20])
    zones = list(pyogrio.read_dataframe(store, layer="zones", columns=["name"], read_geometry=False)["name"])
    return names + zones + ["示例数据", "数据截至", "data-banner"]


def on_form(at) -> bool:  # noqa: ANN001 - AppTest
    """True when the run drew the sign-in form."""
    return any(t.key == auth.SIGNIN_PASSWORD for t in at.text_input)


def form_only(at) -> None:  # noqa: ANN001
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.text_input] in (["用户名", "密码"], ["Username", "Password"])
    assert [b.label for b in at.button] in (["登录"], ["Sign in"])
    assert not at.metric and not at.dataframe and not at.error


@pytest.mark.parametrize("page", list(PATHS))
def test_every_path_shows_only_the_sign_in_form(site, page):
    key, params = PATHS[page]
    at = run_page(key, params, timeout=120)
    form_only(at)
    sent = everything(at)
    leaked = [s for s in store_strings(site["store"]) if s in sent]
    assert not leaked, leaked


def test_the_leak_check_would_see_the_store(site, clock):
    """The check above can fail: signed in, the same walk finds the store's zone names."""
    at = run_signed_in("overview", {}, "t_leader")
    assert [s for s in store_strings(site["store"]) if s in everything(at)]


def test_the_form_speaks_english_too(site):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    form_only(at)
    assert [t.label for t in at.text_input] == ["Username", "Password"] and at.button[0].label == "Sign in"


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_on_each_page(site, clock, role):
    user = ROLE_ACCOUNT[role]
    at = run_signed_in("overview", {}, user)
    measured = {}
    for page, (key, params) in PATHS.items():
        for k, v in params.items():
            at.query_params[k] = v
        at.switch_page(f"screens/{pages.BY_KEY[key].file}")
        at.run()
        assert not at.exception, (role, page, [e.value for e in at.exception])
        refused = any("无权打开此页面" in e.value for e in at.error)
        measured[page] = not refused
        text = " ".join(m.value for m in at.markdown)
        if refused:
            assert not at.metric and not at.dataframe and 'data-banner="sample"' not in text, (role, page)
        else:
            assert 'data-testid="ft-watermark"' in text and f'data-user="{user}"' in text, (role, page)
    assert {p for p, ok in measured.items() if ok} == ALLOWED[role] & set(PATHS), measured
    refusals = site["log"].read(users=[user], events=["page_refused"])
    assert set(refusals["page"]) == set(PATHS) - ALLOWED[role]


def test_wrong_password_slows_then_locks_for_15_minutes(site, clock):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for _ in range(users.LOCK_AFTER - 1):
        sign_in(at, "t_locked", "not the password 1")
        assert any("用户名或密码不正确" in e.value for e in at.error)
    sign_in(at, "t_locked", "not the password 1")
    assert any("已锁定 15 分钟" in e.value for e in at.error), [e.value for e in at.error]
    assert clock["waits"] == [0, 0, 1, 2, 4]
    assert any("连续 5 次登录失败将锁定账户 15 分钟" in c.value for c in at.caption)
    # locked: even the right password, in a new session (a reload), is refused
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.run()
    sign_in(fresh, "t_locked")
    form_only_with_error = [e.value for e in fresh.error]
    assert any("已锁定" in e for e in form_only_with_error) and not fresh.metric
    events = list(site["log"].read(users=["t_locked"])["event"])[::-1]
    assert events == ["signin_failed"] * 5 + ["account_locked", "signin_while_locked"]
    clock["now"] += 15 * 60 + 1
    sign_in(fresh, "t_locked")
    assert not on_form(fresh) and fresh.metric, "the lock ran out"


def test_an_unknown_name_is_answered_like_a_wrong_password(site, clock):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    sign_in(at, "nobody_here", "whatever password 1")
    assert [e.value for e in at.error] == ["用户名或密码不正确。"]
    assert site["log"].read(users=["nobody_here"])["detail"].iloc[0].startswith("no such user")


def test_no_sign_in_when_failures_or_the_sign_in_cannot_be_recorded(site, clock, monkeypatch, tmp_path):
    record = users.attempts_path(site["users"])
    kept = tmp_path / "kept.json"
    if record.exists():
        record.rename(kept)
    record.mkdir()   # the failed-attempt record cannot be written
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        sign_in(at, "t_planner", "not the password 1")
        assert on_form(at) and any("登录失败记录无法写入" in e.value for e in at.error)
    finally:
        record.rmdir()
        if kept.exists():
            kept.rename(record)
    monkeypatch.setattr(audit.AuditLog, "record", lambda self, entry, at=None: (_ for _ in ()).throw(
        audit.AuditError("disk full")))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    sign_in(at, "t_planner")
    assert on_form(at) and any("审计日志无法写入" in e.value for e in at.error) and not at.metric


def test_idle_sessions_end(site, clock):
    at = run_signed_in("quality", {}, "t_leader")
    assert not on_form(at)
    clock["now"] += 29 * 60
    at.run()
    assert not on_form(at), "29 minutes is not idle yet"
    clock["now"] += 30 * 60 + 1
    at.run()
    assert on_form(at) and any("30 分钟无操作" in i.value for i in at.info)
    assert "idle_signout" in set(site["log"].read(users=["t_leader"])["event"])


def test_logout_ends_the_session_and_forgets_its_state(site, clock):
    at = run_signed_in("overview", {}, "t_planner")
    at.button(key=auth.SIGNOUT_BUTTON).click()
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"] and any("已退出登录" in i.value for i in at.info)
    assert auth.SESSION_USER not in at.session_state


def test_a_disabled_account_or_a_new_password_ends_its_sessions(site, clock, tmp_path):
    at = run_signed_in("overview", {}, "t_analyst")
    users.set_password(site["users"], "t_analyst", "a fresh passphrase 9")
    at.run()
    assert on_form(at) and any("重新登录" in i.value for i in at.info)
    users.set_password(site["users"], "t_analyst", ACCOUNTS["t_analyst"][2])
    at = run_signed_in("overview", {}, "t_analyst")
    users.set_disabled(site["users"], "t_analyst", True)
    try:
        at.run()
        assert on_form(at) and not at.metric
    finally:
        users.set_disabled(site["users"], "t_analyst", False)


def test_a_role_change_ends_the_session_and_the_new_role_applies(site, clock):
    at = run_signed_in("downloads", {}, "t_planner")
    assert at.get("download_button")
    users.set_role(site["users"], "t_planner", "leader", ())
    try:
        at.run()
        assert on_form(at) and not at.get("download_button") and any("重新登录" in i.value for i in at.info)
        sign_in(at, "t_planner")
        assert any("无权打开此页面" in e.value for e in at.error) and not at.get("download_button")
        assert "session_end" in set(site["log"].read(users=["t_planner"])["event"])
    finally:
        users.set_role(site["users"], "t_planner", "planner", ())


def test_a_planner_forging_a_download_url_gets_nothing(site, clock):
    at = run_signed_in("downloads", {"layer": "enterprises"}, "t_planner")
    assert not at.exception
    assert any("无权下载" in e.value for e in at.error)
    assert not at.get("download_button") and not at.dataframe and not at.metric
    refused = site["log"].read(users=["t_planner"], events=["download_refused"])
    assert refused["layer"].iloc[0] == "enterprises"


def test_a_planner_is_offered_the_projects_layer_only(site, clock):
    at = run_signed_in("downloads", {}, "t_planner")
    assert at.selectbox[0].options == ["重大项目 (projects)"] and at.get("download_button")


def test_a_leader_is_offered_no_download_anywhere(site, clock):
    for page in ("projects", "quality"):
        at = run_signed_in(page, {}, "t_leader")
        assert not at.exception and not at.get("download_button"), page
        assert not [p for p in at.get("page_link") if "downloads" in str(p.proto)], page


def test_personal_data_masked_without_the_grant_and_full_with_it(site, clock):
    store_phones = pyogrio.read_dataframe(site["store"], layer="enterprises", columns=["contact_phone"],
                                          read_geometry=False)["contact_phone"].dropna()
    assert len(store_phones), "the sample has contact phones to hide"
    shown = run_signed_in("downloads", {"layer": "enterprises"}, "t_analyst")
    preview = shown.dataframe[0].value
    phones = preview["联系电话"].dropna()
    assert len(phones) and phones.str.fullmatch(r"\d{3}\*+\d{4}|\**\d{2}").all(), phones.head()
    assert preview["联系人"].dropna().str.contains(r"\*").all()
    assert any("已脱敏" in c.value for c in shown.caption)
    assert not site["log"].read(users=["t_analyst"], events=["view_personal"]).shape[0]
    full = run_signed_in("downloads", {"layer": "enterprises"}, "t_analyst_pii")
    assert set(full.dataframe[0].value["联系电话"].dropna()) <= set(store_phones)
    full.run()   # a re-run (any click) is the same view: recorded once
    views = site["log"].read(users=["t_analyst_pii"], events=["view_personal"])
    assert len(views) == 1 and views["personal_data"].iloc[0] == "full" and views["layer"].iloc[0] == "enterprises"


def test_personal_data_is_not_shown_when_its_view_cannot_be_recorded(site, clock, monkeypatch):
    def broken(self, entry, at=None):  # noqa: ANN001, ANN202
        if entry.event == "view_personal":
            raise audit.AuditError("disk full")
        return real(self, entry, at)
    real = audit.AuditLog.record
    monkeypatch.setattr(audit.AuditLog, "record", broken)
    at = run_signed_in("downloads", {"layer": "enterprises"}, "t_admin")
    assert any("审计日志无法写入" in e.value for e in at.error)
    assert not at.dataframe and not at.get("download_button")


def test_admins_see_the_audit_log_the_sessions_and_the_users(site, clock):
    other = run_signed_in("overview", {}, "t_leader")
    at = run_signed_in("audit", {}, "t_admin")
    assert not at.exception and not at.error
    log_table, sessions_table, users_table = (d.value for d in at.dataframe[:3])
    assert "登录成功" in set(log_table["事件"]) and "t_admin" in set(log_table["用户"])
    assert {"t_admin", "t_leader"} <= set(sessions_table["用户"]) and "会话编号" in sessions_table.columns
    assert set(users_table["用户名"]) == set(ACCOUNTS)
    assert "$argon2" not in everything(at)
    # the admin ends the leader's session: the leader's next click shows the form
    store = session_store.store_for_settings(load_settings())
    leader = other.session_state[auth.SESSION_HASH]
    assert leader not in everything(at) and other.session_state[auth.SESSION_TOKEN] not in everything(at)
    pick = at.multiselect(key="a_sessions_pick")
    pick.set_value([o for o in pick.options if o.startswith(leader)] or [f"{leader} t_leader"]).run()
    at.button(key="a_sessions_end").click().run()
    assert store.get(leader).end_reason == "admin"
    other.run()
    assert on_form(other) and not other.metric
    assert "session_end" in set(site["log"].read(users=["t_admin"])["event"])
    assert at.get("download_button"), "the filtered log exports as CSV"


def test_open_copy_and_sample_only_default_keep_working(site, monkeypatch):
    """DASHBOARD_AUTH=none wins over a users file: no form, the open banner; no users: the sample, no form."""
    monkeypatch.setenv("DASHBOARD_AUTH", "none")
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=300)
        at.run()
        assert not on_form(at) and 'data-banner="open"' in " ".join(m.value for m in at.markdown)
        monkeypatch.delenv("DASHBOARD_AUTH")
        monkeypatch.delenv("DASHBOARD_USERS")
        monkeypatch.delenv("DASHBOARD_STORE")
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=300)
        at.run()
        assert not at.exception and not on_form(at) and at.metric
        at.switch_page("screens/audit.py")
        at.run()
        assert any("无权打开此页面" in e.value for e in at.error), "no users: nobody is an admin"
    finally:
        st.cache_resource.clear()
