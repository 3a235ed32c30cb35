"""The audit trail: who signed in, saw personal data, downloaded what, changed which user.

Append-only, in the store's keeping but out of the builds' reach:

- a GeoPackage store is *replaced* by every build (``os.replace`` of a new file), so its
  log lives in a sibling SQLite file, ``<store>.audit.sqlite`` (for the bundled sample,
  ``data/sample_store.gpkg.audit.sqlite``), permissions 0600;
- a PostGIS store keeps it in the table ``audit_log``, which no build writes (a build
  replaces only the tables it writes).

Both refuse UPDATE and DELETE with a trigger (and TRUNCATE in PostgreSQL); this module only
ever INSERTs and SELECTs. A write that fails raises :class:`AuditError`: callers refuse
what they were about to do (a download, a sign-in) rather than let it go unrecorded.

Pure of Streamlit, so the users command line records its changes here too.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import pandas as pd
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from dashboard.config import DashboardError, Settings
from dashboard.security.access import choose_store

TABLE = "audit_log"
SUFFIX = ".audit.sqlite"

# event -> (zh, en); the labels /audit shows
EVENTS: dict[str, tuple[str, str]] = {
    "signin": ("登录成功", "signed in"),
    "signin_failed": ("登录失败", "sign-in failed"),
    "account_locked": ("账户锁定", "account locked"),
    "signin_while_locked": ("锁定期间尝试登录", "sign-in while locked"),
    "signout": ("退出登录", "signed out"),
    "idle_signout": ("闲置超时退出", "signed out after idle time"),
    "header_refused": ("拒绝非代理地址的身份头", "identity header refused (not a proxy)"),
    "page_refused": ("拒绝打开页面", "page refused"),
    "scope_refused": ("拒绝范围外的数据", "outside the user's scope: refused"),
    "view_personal": ("查看个人信息", "personal data viewed"),
    "download": ("下载", "download"),
    "download_refused": ("拒绝下载", "download refused"),
    "user_add": ("新增用户", "user added"),
    "user_passwd": ("修改密码", "password changed"),
    "user_disable": ("停用用户", "user disabled"),
    "user_enable": ("启用用户", "user enabled"),
    "user_role": ("修改角色", "role changed"),
    "user_scope": ("修改数据范围", "scopes changed"),
    "session_start": ("会话开始", "session started"),
    "session_end": ("会话结束", "session ended"),
    "session_expired": ("会话到期", "session expired (absolute limit)"),
    "session_refused": ("拒绝无效会话", "session cookie refused"),
    "display_add": ("新增显示链接", "display link added"),
    "display_revoke": ("撤销显示链接", "display link revoked"),
    "display_open": ("显示链接打开", "display link opened"),
    "display_refused": ("拒绝显示链接", "display link refused"),
}
COLUMNS: tuple[str, ...] = ("at", "user", "role", "event", "subject", "page", "layer", "filters", "format", "crs",
                            "rows", "personal_data", "detail", "client")


class AuditError(DashboardError):
    """The audit log could not be written or read."""


@dataclass(frozen=True)
class Entry:
    """One audit record. ``personal_data`` is ``full``, ``masked``, ``omitted`` or ``none``."""

    event: str
    user: str
    role: str | None = None
    subject: str | None = None     # whom a sign-in or user change is about
    page: str | None = None
    layer: str | None = None
    filters: str | None = None     # JSON text of the filters
    format: str | None = None
    crs: str | None = None
    rows: int | None = None
    personal_data: str | None = None
    detail: str | None = None
    client: str | None = None      # the client's address as the server saw it

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise ValueError(f"unknown audit event {self.event!r}; expected one of {', '.join(EVENTS)}")


def filters_text(filters: Mapping[str, object] | None) -> str | None:
    """Filters as compact, sorted JSON (what the log keeps), or None when there are none."""
    kept = {k: v for k, v in (filters or {}).items() if v not in (None, "", [], ())}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, default=str) if kept else None


_metadata = MetaData()
_table = Table(
    TABLE, _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    *(Column(name, Integer if name == "rows" else Text, nullable=name not in ("user", "event"))
      for name in COLUMNS[1:]),
)

_SQLITE_GUARDS = (
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
)
_POSTGRES_GUARDS = (
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{TABLE} is append-only'; END $$""",
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{TABLE}_no_change') THEN
          CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{TABLE}_no_truncate') THEN
          CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
            FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only();
        END IF; END $$""",
)


def _postgres_log_ready(conn) -> bool:  # noqa: ANN001 - sqlalchemy.Connection
    """True when ``audit_log`` and its guards exist (made by deploy/postgis-roles.sql or an earlier
    run): then no DDL is needed, so a read-only role that may only INSERT can use the log."""
    table = conn.execute(text("SELECT to_regclass(:t)"), {"t": TABLE}).scalar()
    guards = conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname IN (:a, :b)"),
                          {"a": f"{TABLE}_no_change", "b": f"{TABLE}_no_truncate"}).scalar()
    return table is not None and guards == 2


def target_for(store_target: str) -> str:
    """Where the audit log of ``store_target`` lives: the same PostgreSQL database, or a sibling file."""
    if "://" in store_target:
        return store_target
    return str(Path(store_target)) + SUFFIX


class AuditLog:
    """The append-only log at ``target`` (a ``postgresql://`` URL or a SQLite file path)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.is_file = "://" not in target
        self._engine: Engine | None = None
        self._ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        from loaders.store import redact_target
        return f"AuditLog({redact_target(self.target)!r})"

    def _connect(self) -> Engine:
        if self._engine is None:
            if self.is_file:
                # NullPool: every write opens the file afresh, so a file that is gone or unwritable
                # fails that write (and blocks what it records) instead of a stale handle succeeding.
                engine = create_engine(f"sqlite:///{self.target}", poolclass=NullPool)
                event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout = 5000"))
            else:
                # the store's own engine: connect, statement and idle-transaction timeouts and a
                # client deadline, so a silent network fails a sign-in or download, never hangs it
                from loaders.store import pg_engine
                engine = pg_engine(self.target)
            self._engine = engine
        return self._engine

    def _prepare(self) -> Engine:
        engine = self._connect()
        with self._lock:
            if not self._ready:
                if self.is_file:
                    path = Path(self.target)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    if not path.exists():
                        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
                with engine.begin() as conn:
                    if self.is_file or not _postgres_log_ready(conn):
                        _metadata.create_all(conn, tables=[_table])
                        for statement in _SQLITE_GUARDS if self.is_file else _POSTGRES_GUARDS:
                            conn.execute(text(statement))
                self._ready = True
        return engine

    def record(self, entry: Entry, at: datetime | None = None) -> None:
        """Append ``entry`` (at ``at``, default now). Raises :class:`AuditError` when it cannot."""
        row = {f.name: getattr(entry, f.name) for f in fields(entry)}
        bad = {k: type(v).__name__ for k, v in row.items() if v is not None and not isinstance(v, (str, int))}
        if bad:
            raise TypeError(f"audit entry fields must be text or integers: {bad}")
        row["at"] = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
        if self.is_file:
            row["at"] = row["at"].replace(tzinfo=None)   # SQLite keeps naive text: always UTC here
        try:
            engine = self._prepare()
            with engine.begin() as conn:
                conn.execute(_table.insert().values(**row))
        except (SQLAlchemyError, OSError) as exc:
            raise AuditError(f"审计日志写入失败 (the audit log could not be written): {_short(exc)}") from exc

    def read(self, since: datetime | None = None, until: datetime | None = None,
             users: Sequence[str] = (), events: Sequence[str] = (), layers: Sequence[str] = (),
             limit: int = 10_000) -> pd.DataFrame:
        """The newest ``limit`` entries matching every filter given, newest first; ``at`` in UTC."""
        query = select(_table).order_by(_table.c.id.desc()).limit(limit)
        for column, value, op in (("at", since, "ge"), ("at", until, "lt")):
            if value is not None:
                value = value.astimezone(timezone.utc)
                value = value.replace(tzinfo=None) if self.is_file else value
                query = query.where(getattr(_table.c[column], f"__{op}__")(value))
        for column, values in (("user", users), ("event", events), ("layer", layers)):
            if values:
                query = query.where(_table.c[column].in_(list(values)))
        try:
            engine = self._prepare()
            with engine.connect() as conn:
                frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=["id", *COLUMNS])
        except (SQLAlchemyError, OSError) as exc:
            raise AuditError(f"审计日志读取失败 (the audit log could not be read): {_short(exc)}") from exc
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        frame["rows"] = frame["rows"].astype("Int64")
        return frame

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _short(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]


_logs: dict[str, AuditLog] = {}
_logs_lock = threading.Lock()


def log_at(target: str) -> AuditLog:
    """The :class:`AuditLog` of ``target``, one per process."""
    with _logs_lock:
        if target not in _logs:
            _logs[target] = AuditLog(target)
        return _logs[target]


def log_for_settings(settings: Settings) -> AuditLog:
    """The audit log beside the store these settings serve (named only: the store is not opened)."""
    from loaders.store import default_store_path
    return log_at(target_for(choose_store(settings, str(default_store_path())).target))


class DownloadInfo(Protocol):
    """What the log needs of a download (``dashboard.exports.writers.ExportInfo`` is one): who,
    what, in which format and coordinate system, whether personal data were masked."""

    user: str
    role: str
    layer: str
    filters: str | None
    fmt: str
    crs: str | None
    rows: int
    personal_data: str

    def at_now(self) -> DownloadInfo: ...

    @property
    def watermark(self) -> str: ...


def served_after_record(log: AuditLog, info: DownloadInfo, page: str, client: str,
                        produce: Callable[[DownloadInfo], bytes], required: bool = True) -> Callable[[], bytes]:
    """A download's bytes, made (stamped with who and when) and then recorded: if the record
    fails, :class:`AuditError` is raised and the bytes are never served. With ``required``
    False (no sign-in configured: the sample-only default and the open copy, whose downloads
    worked before there was a log) a failed record is reported on stderr and the file served.

    For ``st.download_button(data=...)``: Streamlit runs it when the button is clicked, in a
    worker thread outside the page run, so everything it needs is captured here.
    """
    def make() -> bytes:
        stamped = info.at_now()
        payload = produce(stamped)
        record_download(log, stamped, page, client, rows=info.rows, detail=f"watermark: {stamped.watermark}",
                        required=required)
        return payload
    return make


def record_download(log: AuditLog, info: DownloadInfo, page: str, client: str, *, rows: int, detail: str,
                    required: bool = True) -> None:
    """Record the download of the file ``info`` describes, before it is served. A failed record
    raises :class:`AuditError` (nothing is served); with ``required`` False (no sign-in configured)
    it is reported on stderr instead and the file served."""
    try:
        log.record(Entry("download", user=info.user, role=info.role, page=page, layer=info.layer,
                         filters=info.filters, format=info.fmt, crs=info.crs, rows=rows,
                         personal_data=info.personal_data, client=client, detail=detail))
    except AuditError as exc:
        if required:
            raise
        print(f"dashboard: {exc} (download of {info.layer} served: no sign-in is configured)", file=sys.stderr)
