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

A password sign-in is a lasting session (:mod:`dashboard.security.session_store`): a random
id in a cookie, its hash in the session file beside the audit log, so it survives a reload, a
new tab, a typed URL and a restart, and any process accepts it. Streamlit 1.67 reads cookies
(``st.context.cookies``, from the websocket's opening request) but cannot write them, so the
cookie is written by a few lines of JavaScript in the page (``dashboard.web.signin``, with
``st.html(..., unsafe_allow_javascript=True)``): ``SameSite=Strict``, the app's base path,
``Secure`` under HTTPS; not HttpOnly (script cannot make one). It ends on logout (every tab of
that browser at its next run), after ``DASHBOARD_IDLE_MINUTES`` without use, after
``DASHBOARD_SESSION_HOURS`` however used, and when the account is disabled or its password,
role or scopes change. A session of the trusted header stays Streamlit's own (one tab: the
proxy names the user again on every connection). A display link (``?display=<token>``,
:mod:`dashboard.security.displays`) is a viewer of its own, for the meeting page only.
A small fragment (:func:`still_signed_in`) notices an ending even when nobody clicks.
The clock (:func:`now`) and the wait (:func:`sleep`) are module functions so that tests can
move time instead of waiting for it.
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
from dashboard.security import audit, displays, session_store
from dashboard.security.access import DISPLAY, OPEN_VIEWER, VIEWER_KEY, Viewer
from dashboard.security.session_store import SessionStoreError, token_hash
from dashboard.security.users import (
    LOCK_AFTER,
    LOCK_SECONDS,
    NAME_PATTERN,
    Attempts,
    User,
    account_stamp,
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
SESSION_HASH, SESSION_TOKEN, SESSION_TOUCHED = "_auth_hash", "_auth_token", "_auth_touched"
SESSION_DISPLAY = "_auth_display"        # the display token this session came by
COOKIE_PENDING = "_auth_cookie"          # ("set", name, value, max_age) or ("clear", name, value): for the page
SIGNIN_FORM, SIGNIN_USER, SIGNIN_PASSWORD = "signin", "signin_user", "signin_password"
SIGNOUT_BUTTON = "signout"
DISPLAY_PARAM = "display"
DISPLAY_CHECK_SECONDS = 20.0             # a revoked display link leaves the screen within this (and a run)
COOKIES_DONE = "_auth_cookies_done"     # digests of cookies this tab saw end or refused (not checked again)
KEEP_ON_SIGNOUT = (state.LANG_CHOICE, SESSION_NOTICE, SESSION_FAILURES, COOKIES_DONE)


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
    or None when nobody is signed in: then the caller shows the sign-in form and nothing else.
    A bad cookie or display token is recorded and answered with the form; it never raises."""
    if not settings.sign_in_required:
        return _set_viewer(OPEN_VIEWER)
    _set_viewer(None)
    users = users_cached(settings.users)
    if _display_token() is not None or st.session_state.get(SESSION_VIA) == DISPLAY:
        return _set_viewer(_display_viewer(settings))
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


def _viewer(user: User) -> Viewer:
    return Viewer(name=user.name, role=user.role, grants=frozenset(user.grants), signed_in=True, scopes=user.scopes)


def idle_seconds(settings: Settings) -> float:
    return settings.idle_minutes * 60


def absolute_seconds(settings: Settings) -> float:
    return settings.session_hours * 3600


def _touch_every(settings: Settings) -> float:
    """How often a run writes its last-seen time (the idle limit is minutes; a write per click is not needed)."""
    return min(15.0, idle_seconds(settings) / 6)


def _session_viewer(settings: Settings, users: Mapping[str, User]) -> Viewer | None:
    if st.session_state.get(SESSION_VIA) == "header":
        return _header_session_viewer(settings, users)
    try:
        return _stored_session_viewer(settings, users)
    except SessionStoreError as exc:
        print(f"dashboard: {exc}", file=sys.stderr)
        _end_session("notice_sessions_down")
        return None


def _header_session_viewer(settings: Settings, users: Mapping[str, User]) -> Viewer | None:
    """A session of the trusted header: this tab's own, as before lasting sessions."""
    name = st.session_state.get(SESSION_USER)
    user = users.get(name)
    if user is None or user.disabled:
        _end_session("notice_account_changed")
        return None
    if idle_expired(settings):
        _record_quietly(settings, audit.Entry("idle_signout", user=name, role=user.role, client=client_address(),
                                              detail=f"idle > {settings.idle_minutes:g} min"))
        _end_session("notice_idle", minutes=f"{settings.idle_minutes:g}")
        return None
    st.session_state[SESSION_SEEN] = now()
    return _viewer(user)


def _cookie_value(store: session_store.SessionStore) -> str | None:
    """This deployment's session cookie as the browser sent it when this tab connected."""
    try:
        value = st.context.cookies.get(store.cookie_name())
    except Exception:  # noqa: BLE001 - no client context (a test run): no cookie
        return None
    return value if isinstance(value, str) and value else None


def _stored_session_viewer(settings: Settings, users: Mapping[str, User]) -> Viewer | None:
    store = session_store.store_for_settings(settings)
    id_hash = st.session_state.get(SESSION_HASH)
    adopted = None
    if id_hash is None:
        cookie = _cookie_value(store)
        if cookie is None:
            return None
        check = store.check_cookie(cookie)
        if check.status != session_store.OK:
            _refuse_cookie(settings, store, cookie, check)
            return None
        row, adopted = check.session, cookie
        id_hash = row.id_hash
    else:
        row = store.get(id_hash)
        if row is None or row.ended_at is not None:   # signed out in another tab, by an admin, the command line
            return _ended(store, None, "notice_ended_elsewhere")
    t = now()
    user = users.get(row.user)
    if user is None or user.disabled or row.stamp != account_stamp(user):
        if store.end(id_hash, session_store.ACCOUNT_CHANGED, t):
            _record_quietly(settings, audit.Entry("session_end", user=row.user, role=getattr(user, "role", None),
                                                  subject=row.user, client=client_address(),
                                                  detail=f"session {id_hash[:8]}: account changed"))
        return _ended(store, adopted, "notice_account_changed")
    status = row.status(t, idle_seconds(settings), absolute_seconds(settings))
    if status == session_store.IDLE:
        if store.end(id_hash, session_store.IDLE, t):
            _record_quietly(settings, audit.Entry("idle_signout", user=row.user, role=user.role, client=client_address(),
                                                  detail=f"session {id_hash[:8]}: idle > {settings.idle_minutes:g} min"))
        return _ended(store, adopted, "notice_idle", minutes=f"{settings.idle_minutes:g}")
    if status == session_store.EXPIRED:
        if store.end(id_hash, session_store.EXPIRED, t):
            _record_quietly(settings, audit.Entry("session_expired", user=row.user, role=user.role,
                                                  client=client_address(),
                                                  detail=f"session {id_hash[:8]}: > {settings.session_hours:g} h"))
        return _ended(store, adopted, "notice_expired", hours=f"{settings.session_hours:g}")
    if adopted is not None:   # a reload, a new tab, a typed URL, a restart: the cookie's session goes on
        st.session_state.update({SESSION_USER: user.name, SESSION_VIA: "password", SESSION_HASH: id_hash,
                                 SESSION_TOKEN: None, SESSION_TOUCHED: row.last_seen})
        st.session_state.pop(SESSION_NOTICE, None)
    if t - float(st.session_state.get(SESSION_TOUCHED) or 0) >= _touch_every(settings):
        store.touch(id_hash, t)
        st.session_state[SESSION_TOUCHED] = t
    return _viewer(user)


def _ended(store: session_store.SessionStore, cookie: str | None, notice: str, **values: str) -> None:
    """This tab's session has ended: forget it, show the form with ``notice``, delete its cookie."""
    cookie = cookie or _tab_cookie(store)
    _end_session(notice, **values)
    _clear_cookie(store, cookie)
    return None


def _tab_cookie(store: session_store.SessionStore) -> str | None:
    """The cookie of this tab's session: the one it set at sign-in, else the one it came with."""
    token = st.session_state.get(SESSION_TOKEN)
    return store.cookie_value(token) if token else _cookie_value(store)


def _refuse_cookie(settings: Settings, store: session_store.SessionStore, cookie: str,
                   check: session_store.Check) -> None:
    """A cookie that signs nobody in (forged, tampered, of another deployment, ended): record it
    once per tab, have the browser forget it, show the form."""
    row = check.session
    if token_hash(cookie) in st.session_state.get(COOKIES_DONE, ()):
        return   # this tab ended it or refused it already
    _record_quietly(settings, audit.Entry(
        "session_refused", user=row.user if row else "-", subject=row.user if row else None, client=client_address(),
        detail=f"cookie {check.status}" + (f" (session {row.id_hash[:8]} {row.end_reason})" if row else "")))
    _clear_cookie(store, cookie)


def _clear_cookie(store: session_store.SessionStore, value: str | None) -> None:
    """Ask the page to delete the cookie, if it still holds ``value`` (a newer sign-in's is kept);
    this tab does not look at that cookie again."""
    if value:
        st.session_state.setdefault(COOKIES_DONE, set()).add(token_hash(value))
        st.session_state[COOKIE_PENDING] = ("clear", store.cookie_name(), value)


def still_signed_in(settings: Settings) -> bool:
    """True while this tab's sign-in holds (no write: a check does not count as use). For the
    idle-watch fragment, which reruns the page when it does not."""
    via = st.session_state.get(SESSION_VIA)
    try:
        if via == DISPLAY:
            status, _ = displays.check(settings.users, st.session_state.get(SESSION_DISPLAY), now())
            return status == displays.OK
        if via == "header":
            return not idle_expired(settings)
        id_hash = st.session_state.get(SESSION_HASH)
        if id_hash is None:
            return True
        row = session_store.store_for_settings(settings).get(id_hash)
    except SessionStoreError:
        return True   # the page's own run will say so
    if row is None or row.status(now(), idle_seconds(settings), absolute_seconds(settings)) != "active":
        return False
    user = users_cached(settings.users).get(row.user)
    return user is not None and not user.disabled and row.stamp == account_stamp(user)


def keep_alive() -> None:
    """Count this moment as use of the session: for a page whose fragments run on their own
    (a meeting's playing slides), which is in use though nobody clicks."""
    if st.session_state.get(SESSION_USER) is not None:
        st.session_state[SESSION_SEEN] = now()


def idle_expired(settings: Settings) -> bool:
    """True when this (header) session's last page run is longer ago than the idle time."""
    seen = st.session_state.get(SESSION_SEEN)
    return seen is not None and now() - seen > settings.idle_minutes * 60


def _start_session(settings: Settings, user: User, via: str) -> str | None:
    """Sign ``user`` in on this tab; a password sign-in is also a lasting session (its id goes
    to the cookie). Returns the session's short reference, or None when the session file failed."""
    values = {SESSION_USER: user.name, SESSION_SEEN: now(), SESSION_STAMP: password_stamp(user), SESSION_VIA: via,
              SESSION_FAILURES: 0}
    ref = "-"
    if via == "password":
        try:
            store = session_store.store_for_settings(settings)
            token, row = store.start(user.name, account_stamp(user), client_address(), at=now())
            cookie = store.cookie_value(token)
            st.session_state[COOKIE_PENDING] = ("set", store.cookie_name(), cookie, int(absolute_seconds(settings)))
        except SessionStoreError as exc:
            print(f"dashboard: {exc}", file=sys.stderr)
            st.session_state[SESSION_NOTICE] = ("notice_sessions_down", {})
            return None
        values.update({SESSION_HASH: row.id_hash, SESSION_TOKEN: token, SESSION_TOUCHED: row.last_seen})
        ref = row.id_hash[:8]
        try:
            sweep(settings)
        except SessionStoreError as exc:
            print(f"dashboard: {exc}", file=sys.stderr)
    st.session_state.update(values)
    st.session_state.pop(SESSION_NOTICE, None)
    return ref


def _end_session(notice: str | None, **values: str) -> None:
    """Forget the user and everything the session held (filters, choices), keeping the language."""
    for key in list(st.session_state.keys()):
        if key not in KEEP_ON_SIGNOUT:
            del st.session_state[key]
    if notice:
        st.session_state[SESSION_NOTICE] = (notice, values)


def sign_out(settings: Settings) -> None:
    """The logout button's callback: the lasting session ends for every tab of this browser."""
    name = st.session_state.get(SESSION_USER)
    id_hash = st.session_state.get(SESSION_HASH)
    cookie = None
    if id_hash:
        try:
            store = session_store.store_for_settings(settings)
            store.end(id_hash, session_store.SIGNOUT, now())
            cookie = _tab_cookie(store)
        except SessionStoreError as exc:
            print(f"dashboard: {exc}", file=sys.stderr)
    if name:
        viewer = st.session_state.get(VIEWER_KEY)
        _record_quietly(settings, audit.Entry("signout", user=name, role=getattr(viewer, "role", None),
                                              client=client_address(),
                                              detail=f"session {id_hash[:8]}" if id_hash else None))
    _end_session("notice_signed_out")
    if cookie:
        _clear_cookie(session_store.store_for_settings(settings), cookie)


# ---------------------------------------------------------------- display links
def _display_token() -> str | None:
    try:
        token = st.query_params.get(DISPLAY_PARAM)
    except Exception:  # noqa: BLE001 - no query parameters in this context
        return None
    return token if isinstance(token, str) else None


def _display_viewer(settings: Settings) -> Viewer | None:
    """The viewer of a display link (the token in the URL, or the one this tab came by), or None
    after recording why not (unknown, revoked, expired): then the sign-in form is shown."""
    token = _display_token() or st.session_state.get(SESSION_DISPLAY)
    status, display = displays.check(settings.users, token, now())
    client = client_address()
    if status != displays.OK:
        key = ("display_refused", token_hash(token or "")[:16], status)
        record_once(settings, key, audit.Entry(
            "display_refused", user=f"display:{display.label}" if display else "-", role=DISPLAY,
            subject=display.label if display else None, client=client, detail=f"display link {status}"))
        was_display = st.session_state.get(SESSION_VIA) == DISPLAY
        if was_display:
            _end_session("notice_display_ended")
        else:
            st.session_state[SESSION_NOTICE] = ("notice_display_refused", {})
        return None
    if st.session_state.get(SESSION_DISPLAY) != token or st.session_state.get(SESSION_VIA) != DISPLAY:
        try:
            record(settings, audit.Entry("display_open", user=f"display:{display.label}", role=DISPLAY,
                                         subject=display.label, client=client,
                                         detail=f"zone={display.zone or '-'}"))
        except audit.AuditError:
            st.session_state[SESSION_NOTICE] = ("notice_audit_down", {})
            return None
        st.session_state.update({SESSION_USER: f"display:{display.label}", SESSION_VIA: DISPLAY,
                                 SESSION_DISPLAY: token})
    scopes = (f"zone:{display.zone}",) if display.zone else ()
    return Viewer(name=display.label, role=DISPLAY, signed_in=True, scopes=scopes, display=display.label)


# ---------------------------------------------------------------- the admins' list of sessions
def sweep(settings: Settings) -> int:
    """Mark ended (and record) the sessions past a limit that no tab came back to: a browser
    closed at night ends in the log too. Run at each sign-in and when admins list sessions."""
    store = session_store.store_for_settings(settings)
    t, ended = now(), 0
    for row in store.open_sessions():
        status = row.status(t, idle_seconds(settings), absolute_seconds(settings))
        if status in (session_store.IDLE, session_store.EXPIRED) and store.end(row.id_hash, status, t):
            ended += 1
            event = "idle_signout" if status == session_store.IDLE else "session_expired"
            _record_quietly(settings, audit.Entry(event, user=row.user, client=row.client,
                                                  detail=f"session {row.id_hash[:8]}: {status}, no tab came back"))
    return ended


def session_rows(settings: Settings) -> list[dict]:
    """The open sessions (never their ids): reference, user, created, last seen, client, status."""
    sweep(settings)
    t = now()
    rows = []
    for row in session_store.store_for_settings(settings).open_sessions():
        rows.append({"ref": row.id_hash[:8], "user": row.user, "created": datetime.fromtimestamp(row.created),
                     "last_seen": datetime.fromtimestamp(row.last_seen), "client": row.client,
                     "status": row.status(t, idle_seconds(settings), absolute_seconds(settings)),
                     "id_hash": row.id_hash})
    return rows


def end_sessions(settings: Settings, id_hashes: list[str]) -> int:
    """An admin ends these sessions (each recorded); how many were still open."""
    admin = current_viewer()
    store = session_store.store_for_settings(settings)
    ended = 0
    for id_hash in id_hashes:
        row = store.get(id_hash)
        if row is not None and store.end(id_hash, session_store.ADMIN, now()):
            ended += 1
            _record_quietly(settings, audit.Entry("session_end", user=admin.name, role=admin.role, subject=row.user,
                                                  client=client_address(),
                                                  detail=f"session {id_hash[:8]} ended by an admin"))
    return ended


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
    _start_session(settings, user, "header")


# ---------------------------------------------------------------- a sign-in attempt
_ERRORS = {"notice_failed", "notice_locked", "notice_audit_down", "notice_header_unknown", "notice_record_down",
           "notice_sessions_down", "notice_display_refused"}


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
        ref = _start_session(settings, user, "password")
        if ref is not None:
            _record_quietly(settings, audit.Entry("session_start", user=name, role=user.role, subject=name,
                                                  client=client, detail=f"session {ref}: idle "
                                                  f"{settings.idle_minutes:g} min, at most {settings.session_hours:g} h"))
            st.rerun()
        return
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
