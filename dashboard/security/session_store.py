"""Lasting sign-in sessions: a random id in a cookie, only its SHA-256 hash on the server.

A sign-in creates a session id of 32 random bytes (``secrets.token_urlsafe(32)``: 256 bits).
The browser keeps it in a cookie (:func:`cookie_name`, value ``v1.<deployment>.<id>``); the
server keeps only ``sha256(id)`` with the user, the account stamp it was signed in with, the
created and last-seen times, the client address, and when and why it ended. So a copy of the
session file signs nobody in, and any dashboard process reading the same file accepts the
cookie (several processes behind nginx, a restart).

Where: a SQLite file (permissions 0600) beside the audit log, ``<store>.sessions.sqlite``
for a GeoPackage store; for a PostGIS store beside the users file, ``<users file>.sessions.sqlite``
(the users file is already local to the dashboard's machine, and the database roles of
``deploy/postgis-roles.sql`` need no new grant).

``<deployment>`` is a random id made once per session file: a cookie of another deployment
(another session file) is told apart from a forged one, and :func:`cookie_name` carries
its first characters, so two deployments on one host do not overwrite each other's cookie.

A session ends at sign-out, after the idle limit without use, after the absolute limit, and
when its account changes (disabled, new password, new role): :meth:`SessionStore.end` marks
the row, and every tab of that browser finds it ended at its next run. Pure of Streamlit.
The clock is :func:`now` (tests replace it).
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from dashboard.config import DashboardError, Settings
from dashboard.security.access import choose_store

SUFFIX = ".sessions.sqlite"
TOKEN_BYTES = 32
COOKIE_PREFIX = "fengtai_session_"
VERSION = "v1"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")      # token_urlsafe(32)
DEPLOYMENT_PATTERN = re.compile(r"^[a-f0-9]{16}$")
KEEP_SECONDS = 32 * 24 * 3600   # rows older than this are forgotten (longer than any absolute limit allowed)

# why a session ended (the ``end_reason`` column)
SIGNOUT, IDLE, EXPIRED, ACCOUNT_CHANGED, ADMIN = "signout", "idle", "expired", "account_changed", "admin"

# what a cookie check finds
OK, MALFORMED, FOREIGN, UNKNOWN, ENDED = "ok", "malformed", "foreign", "unknown", "ended"


def now() -> float:
    """Seconds since the epoch (tests replace this to move the clock)."""
    return time.time()


class SessionStoreError(DashboardError):
    """The session file could not be read or written."""


def new_token() -> str:
    """A new session id: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the server keeps of a session id (or a display token): its SHA-256, hex."""
    return hashlib.sha256(str(token).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Session:
    """One row of the session file (never the id itself)."""

    id_hash: str
    user: str
    stamp: str
    created: float
    last_seen: float
    client: str
    ended_at: float | None = None
    end_reason: str | None = None

    def status(self, at: float, idle_s: float, absolute_s: float) -> str:
        """``active``, ``ended`` (marked), ``idle`` or ``expired`` (past a limit, not yet marked)."""
        if self.ended_at is not None:
            return ENDED
        if at - self.created > absolute_s:
            return EXPIRED
        if at - self.last_seen > idle_s:
            return IDLE
        return "active"


@dataclass(frozen=True)
class Check:
    """What a cookie is: ``status`` one of ok / malformed / foreign / unknown / ended (and the
    row, when there is one). An ``ok`` row may still be past a limit: see :meth:`Session.status`."""

    status: str
    session: Session | None = None


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, stamp TEXT NOT NULL, "
    "created REAL NOT NULL, last_seen REAL NOT NULL, client TEXT, ended_at REAL, end_reason TEXT)",
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_COLUMNS = "id_hash, user, stamp, created, last_seen, client, ended_at, end_reason"


class SessionStore:
    """The session file at ``path`` (one object per process: :func:`store_at`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ready = False
        self._deployment: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SessionStore({str(self.path)!r})"

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            if not self._ready:
                with self._lock:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    if not self.path.exists():
                        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
                    with closing(sqlite3.connect(self.path, timeout=5)) as conn, conn:
                        for statement in _SCHEMA:
                            conn.execute(statement)
                        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('deployment', ?)",
                                     (secrets.token_hex(8),))
                    self._ready = True
            with closing(sqlite3.connect(self.path, timeout=5)) as conn, conn:
                yield conn
        except (sqlite3.Error, OSError) as exc:
            raise SessionStoreError(f"会话文件无法使用 (the session file cannot be used): {self.path}: {exc}") from exc

    # ------------------------------------------------------------ the cookie
    def deployment(self) -> str:
        """This session file's random id (made on first use, never changed)."""
        if self._deployment is None:
            with self._db() as conn:
                self._deployment = conn.execute("SELECT value FROM meta WHERE key = 'deployment'").fetchone()[0]
        return self._deployment

    def cookie_name(self) -> str:
        """The cookie's name: the prefix and this deployment's first eight characters."""
        return COOKIE_PREFIX + self.deployment()[:8]

    def cookie_value(self, token: str) -> str:
        return f"{VERSION}.{self.deployment()}.{token}"

    def parse(self, value: object) -> tuple[str, str | None]:
        """``(status, token)`` of a cookie value: ``ok`` with the id, or ``malformed`` / ``foreign``."""
        if not isinstance(value, str) or len(value) > 200:
            return MALFORMED, None
        parts = value.split(".")
        if len(parts) != 3 or parts[0] != VERSION or not DEPLOYMENT_PATTERN.match(parts[1]):
            return MALFORMED, None
        if parts[1] != self.deployment():
            return FOREIGN, None
        if not TOKEN_PATTERN.match(parts[2]):
            return MALFORMED, None
        return OK, parts[2]

    # ------------------------------------------------------------ sessions
    def start(self, user: str, stamp: str, client: str, at: float | None = None) -> tuple[str, Session]:
        """A new session for ``user``: the id (for the cookie, never stored) and its row."""
        at = now() if at is None else at
        token = new_token()
        row = Session(token_hash(token), user, stamp, at, at, client)
        with self._db() as conn:
            conn.execute(f"INSERT INTO sessions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                         (row.id_hash, row.user, row.stamp, row.created, row.last_seen, row.client))
            conn.execute("DELETE FROM sessions WHERE created < ?", (at - KEEP_SECONDS,))
        return token, row

    def get(self, id_hash: str) -> Session | None:
        with self._db() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE id_hash = ?", (id_hash,)).fetchone()
        return Session(*row) if row else None

    def check_cookie(self, value: object) -> Check:
        """What the cookie ``value`` is worth (never raises for a bad value; the store's own
        failure raises :class:`SessionStoreError`)."""
        status, token = self.parse(value)
        if status != OK:
            return Check(status)
        row = self.get(token_hash(token))
        if row is None:
            return Check(UNKNOWN)
        return Check(ENDED if row.ended_at is not None else OK, row)

    def touch(self, id_hash: str, at: float | None = None) -> None:
        """Count ``at`` as use of the session (its idle time starts again)."""
        at = now() if at is None else at
        with self._db() as conn:
            conn.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ? AND ended_at IS NULL AND last_seen < ?",
                         (at, id_hash, at))

    def end(self, id_hash: str, reason: str, at: float | None = None) -> bool:
        """Mark the session ended; True when this call ended it (False: it had ended already)."""
        with self._db() as conn:
            cur = conn.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id_hash = ? AND ended_at IS NULL",
                               (now() if at is None else at, reason, id_hash))
            return cur.rowcount == 1

    def end_user(self, user: str, reason: str, at: float | None = None) -> int:
        """End every open session of ``user``; how many were open."""
        with self._db() as conn:
            cur = conn.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE user = ? AND ended_at IS NULL",
                               (now() if at is None else at, reason, user))
            return cur.rowcount

    def open_sessions(self) -> list[Session]:
        """Every session not marked ended, newest first (some may be past a limit: ask its status)."""
        with self._db() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE ended_at IS NULL ORDER BY created DESC")
            return [Session(*r) for r in rows.fetchall()]

    def all_hashes(self) -> list[str]:
        with self._db() as conn:
            return [r[0] for r in conn.execute("SELECT id_hash FROM sessions").fetchall()]


_stores: dict[str, SessionStore] = {}
_stores_lock = threading.Lock()


def store_at(path: str | Path) -> SessionStore:
    """The :class:`SessionStore` of ``path``, one per process."""
    key = str(path)
    with _stores_lock:
        if key not in _stores:
            _stores[key] = SessionStore(key)
        return _stores[key]


def path_for(store_target: str, users_path: str | None) -> Path:
    """Where the session file of a store lives: beside a GeoPackage store (as its audit log),
    beside the users file for a PostGIS store."""
    if "://" in store_target:
        if not users_path:
            raise SessionStoreError("PostGIS 存储的会话文件在用户文件旁 (sessions of a PostGIS store live beside "
                                    "the users file): 请设置 DASHBOARD_USERS")
        return Path(str(users_path) + SUFFIX)
    return Path(str(store_target) + SUFFIX)


def store_for_settings(settings: Settings) -> SessionStore:
    """The session file of the store these settings serve (named only: the store is not opened)."""
    from loaders.store import default_store_path
    target = choose_store(settings, str(default_store_path())).target
    return store_at(path_for(target, settings.users))
