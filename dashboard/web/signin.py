"""The sign-in form, drawn before anything of the store is read, and the furniture of a
signed-in page (the idle watch). What a session is and how it ends is
:mod:`dashboard.security.sessions`; this module only draws."""
from __future__ import annotations

import sys
from collections.abc import Mapping

import streamlit as st

from dashboard.config import Settings
from dashboard.security.access import Viewer
from dashboard.security.sessions import (
    _ERRORS,
    SESSION_NOTICE,
    SESSION_USER,
    SIGNIN_FORM,
    SIGNIN_PASSWORD,
    SIGNIN_USER,
    attempt,
    idle_expired,
    session_viewer,
)
from dashboard.security.users import LOCK_AFTER, LOCK_SECONDS, User, users_cached
from dashboard.web import ui


def viewer_for_run(settings: Settings) -> Viewer | None:
    """The viewer of this page run, or None after drawing the sign-in form: then nothing else
    may be drawn or read this run."""
    viewer = session_viewer(settings)
    if viewer is None:
        sign_in_form(settings, users_cached(settings.users))
    return viewer


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
                        idle=f"{settings.idle_minutes:g}"))
        if not users:
            st.warning(ui.t("signin_no_users"))


def idle_watch(settings: Settings) -> None:
    """End an idle session on screen too: a fragment that checks the idle time now and then."""
    if not settings.sign_in_required or st.session_state.get(SESSION_USER) is None:
        return
    every = max(1.0, min(30.0, settings.idle_minutes * 60 / 4))

    @st.fragment(run_every=every)
    def _idle_check() -> None:
        if idle_expired(settings):
            st.rerun(scope="app")
    _idle_check()
