"""Signing in: who the viewer of this page run is, decided before anything of the store is read.

``app.py`` calls :func:`viewer_for_run` first on every run. It returns the viewer, or draws
the sign-in form (and nothing else) and returns None. Three ways in:

- no users file (or ``DASHBOARD_AUTH=none``): no sign-in; everyone is the ``open`` viewer
  (the data contract's sample-only default and its deliberately open copy);
- the built-in accounts of the users file (:mod:`dashboard.security.users`): a name and a password,
  checked against its argon2id hash. From the second failure in a row the next attempt waits
  on the server (1 s, 2 s, 4 s); the fifth locks the account for 15 minutes, recorded beside
  the users file so a reload or another server process does not forget it;
- ``DASHBOARD_AUTH=header``: a single-sign-on reverse proxy names the user in
  ``DASHBOARD_AUTH_HEADER``, trusted only when the connection comes from an address in
  ``DASHBOARD_TRUSTED_PROXIES``; the role still comes from the users file. Without a trusted
  header the password form is shown (so an admin can still sign in when the SSO is down).

A session is Streamlit's session (one browser tab's connection): reloading the page starts a
new one, which signs in again. It ends on logout, after ``DASHBOARD_IDLE_MINUTES`` without a
page run (a small fragment notices it even when nobody clicks), and when the account is
disabled or its password changed. The clock (:func:`now`) and the wait (:func:`sleep`) are
module functions so that tests can move time instead of waiting for it.
"""
from __future__ import annotations

import ipaddress
import sys
import time
from collections.abc import Mapping
from datetime import datetime

import streamlit as st

from dashboard import state
from dashboard.config import Settings
from dashboard.security import audit
from dashboard.security.access import OPEN_VIEWER, VIEWER_KEY, Viewer
from dashboard.security.users import (
    LOCK_AFTER,
    LOCK_SECONDS,
    NAME_PATTERN,
    Attempts,
    User,
    attempts_for,
    password_stamp,
    record_failure,
    record_success,
    users_cached,
    verify_password,
)

# session state (the sign-in's own keys; the page keys live in dashboard/state.py)
SESSION_USER, SESSION_SEEN, SESSION_STAMP, SESSION_VIA = "_auth_user", "_auth_seen", "_auth_stamp", "_auth_via"
SESSION_NOTICE, SESSION_FAILURES, SESSION_AUDITED = "_auth_notice", "_auth_failures", "_auth_audited"
SIGNIN_FORM, SIGNIN_USER, SIGNIN_PASSWORD = "signin", "signin_user", "signin_password"
SIGNOUT_BUTTON = "signout"
KEEP_ON_SIGNOUT = (state.LANG_CHOICE, SESSION_NOTICE, SESSION_FAILURES)


def now() -> float:
    """Seconds since the epoch (tests replace this to move the clock)."""
    return time.time()


def sleep(seconds: float) -> None:
    """Wait on the server (tests replace this to count the waits instead)."""
    time.sleep(seconds)


# ---------------------------------------------------------------- the trusted header (pure)
def header_identity(headers: Mapping[str, str] | None, client_ip: str | None,
                    header: str | None, trusted: tuple[str, ...]) -> tuple[str | None, str]:
    """The user a trusted proxy names, and why not when it does not.

    Returns ``(name, "ok")``, or ``(None, why)`` with ``why`` one of ``absent`` (no header),
    ``untrusted`` (the header came from an address outside ``trusted``), ``invalid`` (not a
    user name, or the header given twice). ``client_ip`` None is a loopback connection
    (``st.context.ip_address`` reports 127.0.0.1 and ::1 as None).
    """
    if not header or not isinstance(headers, Mapping):
        return None, "absent"
    values = headers.get_all(header) if hasattr(headers, "get_all") else [headers.get(header)]
    values = [v for v in values if v]
    if not values:
        return None, "absent"
    if not is_trusted(client_ip, trusted):
        return None, "untrusted"
    name = values[0].strip()
    if len(values) > 1 or not NAME_PATTERN.match(name):
        return None, "invalid"
    return name, "ok"


def is_trusted(client_ip: str | None, trusted: tuple[str, ...]) -> bool:
    """True when ``client_ip`` (None: loopback) lies in one of the ``trusted`` networks."""
    try:
        address = ipaddress.ip_address(client_ip or "127.0.0.1")
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(net, strict=False) for net in trusted)


# ---------------------------------------------------------------- the viewer of this run
def current_viewer() -> Viewer:
    """The viewer of this session, as :func:`session_viewer` set it for this run (nobody if unset)."""
    viewer = st.session_state.get(VIEWER_KEY)
    return viewer if isinstance(viewer, Viewer) else Viewer()


def session_viewer(settings: Settings) -> Viewer | None:
    """The viewer of this page run (also kept for :func:`dashboard.security.access.current_viewer`),
    or None when nobody is signed in: then the caller shows the sign-in form and nothing else."""
    if not settings.sign_in_required:
        return _set_viewer(OPEN_VIEWER)
    _set_viewer(None)
    users = users_cached(settings.users)
    viewer = _session_viewer(settings, users)
    if viewer is None and settings.header_sign_in:
        _sign_in_from_header(settings, users)
        viewer = _session_viewer(settings, users)
    return _set_viewer(viewer) if viewer is not None else None


def _set_viewer(viewer: Viewer | None) -> Viewer | None:
    if viewer is None:
        st.session_state.pop(VIEWER_KEY, None)
    else:
        st.session_state[VIEWER_KEY] = viewer
    return viewer


def _session_viewer(settings: Settings, users: Mapping[str, User]) -> Viewer | None:
    name = st.session_state.get(SESSION_USER)
    if name is None:
        return None
    user = users.get(name)
    via = st.session_state.get(SESSION_VIA)
    if user is None or user.disabled or (via == "password" and st.session_state.get(SESSION_STAMP)
                                         != password_stamp(user)):
        _end_session("notice_account_changed")
        return None
    if idle_expired(settings):
        _record_quietly(settings, audit.Entry("idle_signout", user=name, role=user.role, client=client_address(),
                                              detail=f"idle > {settings.idle_minutes:g} min"))
        _end_session("notice_idle", minutes=f"{settings.idle_minutes:g}")
        return None
    st.session_state[SESSION_SEEN] = now()
    return Viewer(name=name, role=user.role, grants=frozenset(user.grants), signed_in=True)


def keep_alive() -> None:
    """Count this moment as use of the session: for a page whose fragments run on their own
    (a meeting's playing slides), which is in use though nobody clicks."""
    if st.session_state.get(SESSION_USER) is not None:
        st.session_state[SESSION_SEEN] = now()


def idle_expired(settings: Settings) -> bool:
    """True when this session's last page run is longer ago than the idle time."""
    seen = st.session_state.get(SESSION_SEEN)
    return seen is not None and now() - seen > settings.idle_minutes * 60


def _start_session(user: User, via: str) -> None:
    st.session_state.update({SESSION_USER: user.name, SESSION_SEEN: now(), SESSION_STAMP: password_stamp(user),
                             SESSION_VIA: via, SESSION_FAILURES: 0})
    st.session_state.pop(SESSION_NOTICE, None)


def _end_session(notice: str | None, **values: str) -> None:
    """Forget the user and everything the session held (filters, choices), keeping the language."""
    for key in list(st.session_state.keys()):
        if key not in KEEP_ON_SIGNOUT:
            del st.session_state[key]
    if notice:
        st.session_state[SESSION_NOTICE] = (notice, values)


def sign_out(settings: Settings) -> None:
    """The logout button's callback."""
    name = st.session_state.get(SESSION_USER)
    if name:
        viewer = st.session_state.get(VIEWER_KEY)
        _record_quietly(settings, audit.Entry("signout", user=name, role=getattr(viewer, "role", None),
                                                     client=client_address()))
    _end_session("notice_signed_out")


def client_address() -> str:
    """The client's address as the server sees it (``local`` for a loopback connection)."""
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context: nothing to say
        return "local"
    return ip if isinstance(ip, str) and ip else "local"   # a test run's context is a stand-in


def _sign_in_from_header(settings: Settings, users: Mapping[str, User]) -> None:
    try:
        headers, ip = st.context.headers, st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context: no header
        return
    if not isinstance(headers, Mapping) or not isinstance(ip, (str, type(None))):
        return   # a test run's context is a stand-in, not a connection
    name, why = header_identity(headers, ip, settings.auth_header, settings.trusted_proxies)
    if why == "untrusted":
        record_once(settings, ("header_refused", ip), audit.Entry(
            "header_refused", user="-", client=ip or "local",
            detail=f"{settings.auth_header} from an address that is not a trusted proxy"))
        return
    if name is None or (st.session_state.get(SESSION_USER) == name and st.session_state.get(SESSION_VIA) == "header"):
        return
    user = users.get(name)
    if user is None or user.disabled:
        record_once(settings, ("header_unknown", name), audit.Entry(
            "signin_failed", user=name, subject=name, client=ip or "local",
            detail="header sign-in: " + ("disabled" if user else "not in the users file")))
        st.session_state[SESSION_NOTICE] = ("notice_header_unknown", {"name": name})
        return
    try:
        record(settings, audit.Entry("signin", user=name, role=user.role, subject=name, client=ip or "local",
                                     detail=f"header {settings.auth_header}"))
    except audit.AuditError:
        st.session_state[SESSION_NOTICE] = ("notice_audit_down", {})
        return
    _start_session(user, "header")


# ---------------------------------------------------------------- a sign-in attempt
_ERRORS = {"notice_failed", "notice_locked", "notice_audit_down", "notice_header_unknown", "notice_record_down"}


def attempt(settings: Settings, users: Mapping[str, User], name: str, password: str) -> None:
    """One sign-in attempt: wait if earlier ones failed, refuse while locked, count a failure."""
    key = name or "-"
    t = now()
    before = attempts_for(settings.users, key)
    client = client_address()
    if before.locked(t):
        _record_quietly(settings, audit.Entry("signin_while_locked", user=key, subject=key, client=client))
        _notice_locked(before)
        return
    session_failures = int(st.session_state.get(SESSION_FAILURES, 0))
    sleep(max(before.delay(), Attempts(session_failures).delay()))
    user = users.get(name)
    if verify_password(user, password):
        record_success(settings.users, key)
        try:
            record(settings, audit.Entry("signin", user=name, role=user.role, subject=name, client=client,
                                         detail="password"))
        except audit.AuditError:
            st.session_state[SESSION_NOTICE] = ("notice_audit_down", {})
            return
        _start_session(user, "password")
        st.rerun()
    after = record_failure(settings.users, key, t)
    st.session_state[SESSION_FAILURES] = session_failures + 1
    why = "no such user" if user is None else "disabled" if user.disabled else "wrong password"
    _record_quietly(settings, audit.Entry("signin_failed", user=key, subject=key, client=client,
                                          detail=f"{why}; {after.failures} in a row"))
    if after.locked(t):
        _record_quietly(settings, audit.Entry("account_locked", user=key, subject=key, client=client,
                                              detail=f"{after.failures} failures in a row; locked "
                                                     f"{LOCK_SECONDS // 60} min"))
        _notice_locked(after)
    else:
        st.session_state[SESSION_NOTICE] = ("notice_failed", {})


def _notice_locked(attempts: Attempts) -> None:
    until = datetime.fromtimestamp(attempts.locked_until).strftime("%H:%M")
    st.session_state[SESSION_NOTICE] = ("notice_locked", {"n": str(LOCK_AFTER), "minutes": str(LOCK_SECONDS // 60),
                                                          "until": until})


# ---------------------------------------------------------------- audit helpers
def audit_log(settings: Settings) -> audit.AuditLog:
    """The audit log beside the store these settings serve."""
    return audit.log_for_settings(settings)


def record(settings: Settings, entry: audit.Entry) -> None:
    """Append ``entry`` to the audit log (raises :class:`dashboard.security.audit.AuditError`)."""
    audit_log(settings).record(entry)


def _record_quietly(settings: Settings, entry: audit.Entry) -> None:
    """Record a refusal or an ending: what it records happens anyway, so a failed write is only reported."""
    try:
        record(settings, entry)
    except audit.AuditError as exc:
        print(f"dashboard: {exc} ({entry.event} {entry.user})", file=sys.stderr)


def record_once(settings: Settings, key: tuple, entry: audit.Entry, quietly: bool = True) -> None:
    """Record ``entry`` once per session for ``key`` (a page re-runs on every click)."""
    done = st.session_state.setdefault(SESSION_AUDITED, set())
    if key in done:
        return
    if quietly:
        _record_quietly(settings, entry)
    else:
        record(settings, entry)
    done.add(key)
