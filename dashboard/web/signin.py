"""The sign-in form, drawn before anything of the store is read, and the furniture of a
signed-in page (the session watch, the cookie). What a session is and how it ends is
:mod:`dashboard.security.sessions`; this module only draws.

The session cookie: Streamlit 1.67 reads cookies (``st.context.cookies``) but has no API to
write one, and its server answers no request of ours, so the browser writes it. A few lines
of script in the page itself (``st.html(..., unsafe_allow_javascript=True)``: not an iframe,
so ``document.cookie`` is the app's own) set it with ``SameSite=Strict``, the app's base path,
``Max-Age`` the absolute limit and ``Secure`` when the page is served over HTTPS. Script cannot
make a cookie HttpOnly; a proxy in front (nginx) could set a real one.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Mapping

import streamlit as st

from dashboard.config import Settings
from dashboard.security.access import Viewer
from dashboard.security.sessions import (
    _ERRORS,
    COOKIE_PENDING,
    DISPLAY_CHECK_SECONDS,
    SESSION_NOTICE,
    SESSION_USER,
    SESSION_VIA,
    SIGNIN_FORM,
    SIGNIN_PASSWORD,
    SIGNIN_USER,
    attempt,
    session_viewer,
    still_signed_in,
)
from dashboard.security.users import LOCK_AFTER, LOCK_SECONDS, User, users_cached
from dashboard.web import ui


def viewer_for_run(settings: Settings) -> Viewer | None:
    """The viewer of this page run, or None after drawing the sign-in form: then nothing else
    may be drawn or read this run."""
    viewer = session_viewer(settings)
    cookie_script()
    if viewer is None:
        sign_in_form(settings, users_cached(settings.users))
    return viewer


def _base_path() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + base + ("/" if base else "")


def cookie_script() -> None:
    """Write (or delete) the session cookie in the browser, when the session asked for it.

    A new sign-in's cookie is written on every run of that tab (the same element: harmless),
    so a rerun that replaces the page before the script ran cannot lose it. Deleting happens
    once, and only if the cookie still holds the ended session's value: a sign-in in another
    tab since then keeps its own."""
    pending = st.session_state.get(COOKIE_PENDING)
    if not pending:
        return
    path = json.dumps(_base_path())
    if pending[0] == "set":
        _, name, value, max_age = pending
        body = (f"var n={json.dumps(name)},v={json.dumps(value)},p={path};"
                f"document.cookie=n+'='+v+'; Path='+p+'; Max-Age={int(max_age)}; SameSite=Strict'"
                "+(location.protocol==='https:'?'; Secure':'');")
    else:
        st.session_state.pop(COOKIE_PENDING, None)
        _, name, value = pending
        body = (f"var n={json.dumps(name)},v={json.dumps(value)},p={path};"
                "if(document.cookie.split('; ').indexOf(n+'='+v)>=0){"
                "document.cookie=n+'=; Path='+p+'; Max-Age=0; SameSite=Strict'"
                "+(location.protocol==='https:'?'; Secure':'');}")
    with st.container(key="ft_cookie"):
        st.html(f'<script data-ft-cookie="{pending[0]}">{body}</script>', unsafe_allow_javascript=True)


def sign_in_form(settings: Settings, users: Mapping[str, User]) -> None:
    """The sign-in form: the only thing a page shows before sign-in."""
    ui.page_title("signin_title")
    _, middle, _ = st.columns([1, 1.3, 1])
    with middle:
        with st.form(SIGNIN_FORM, clear_on_submit=True):
            name = st.text_input(ui.t("signin_user"), key=SIGNIN_USER, autocomplete="username", max_chars=64)
            password = st.text_input(ui.t("signin_password"), key=SIGNIN_PASSWORD, type="password",
                                     autocomplete="current-password", max_chars=256)
            submitted = st.form_submit_button(ui.t("signin_button"), type="primary", width="stretch")
        if submitted:
            try:
                attempt(settings, users, (name or "").strip(), password or "")
            except OSError as exc:   # the failed-attempt record beside the users file cannot be written
                print(f"dashboard: sign-in record not writable: {exc}", file=sys.stderr)
                st.session_state[SESSION_NOTICE] = ("notice_record_down", {})
        notice = st.session_state.get(SESSION_NOTICE)
        if notice:
            key, values = notice
            (st.error if key in _ERRORS else st.info)(ui.t(key, **values))
        st.caption(ui.t("signin_lock_rule", n=LOCK_AFTER, minutes=LOCK_SECONDS // 60,
                        idle=f"{settings.idle_minutes:g}", hours=f"{settings.session_hours:g}"))
        if not users:
            st.warning(ui.t("signin_no_users"))


def idle_watch(settings: Settings) -> None:
    """End a session on screen too, even if nobody clicks: a fragment that checks now and then
    whether it still holds (idle or absolute limit, signed out in another tab, ended by an admin,
    account changed, display link revoked) and reruns the page, which then shows the form."""
    if not settings.sign_in_required or st.session_state.get(SESSION_USER) is None:
        return
    every = max(1.0, min(30.0, settings.idle_minutes * 60 / 4))
    if st.session_state.get(SESSION_VIA) == "display":
        every = DISPLAY_CHECK_SECONDS

    @st.fragment(run_every=every)
    def _session_check() -> None:
        if not still_signed_in(settings):
            st.rerun(scope="app")
    _session_check()
