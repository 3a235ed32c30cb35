"""The store: a GeoPackage file (embedded default) or PostGIS tables (production).

Both hold the same layers (``schema.ALL_LAYERS``) in EPSG:4326, the same tables without
geometry (``schema.TABLES``: the zone link table and the indicators) and ``build_report``.
A build writes a complete new store beside the old one and swaps it in only when
every layer and table is written, so a failed build leaves the previous store untouched:
GeoPackage by writing a temporary file and ``os.replace``; PostGIS by writing
``<name>__new`` tables and renaming them in one transaction.
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geodata.crs import STORAGE_CRS
from loaders.errors import BuildError
from loaders.membership import members_filter_sql
from loaders.rowfilter import RowFilter
from loaders.schema import ALL_LAYERS, LAYERS, POINT_LAYERS, REPORT_LAYER, TABLES, ZONE_IDS, ZONE_MEMBERS

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
# Indexes of the tables, created in the same swap: (table, column).
TABLE_INDEXES: tuple[tuple[str, str], ...] = ((ZONE_MEMBERS, "zone_id"), (ZONE_MEMBERS, "record_id"))
# Attribute indexes of the point layers a page or download filters on, besides ``street`` and
# each layer's key (both stores): the 12345 cases by the day they came in.
DATE_INDEXES: dict[str, tuple[str, ...]] = {"hotline": ("received_at",)}
# Written in this order; the report last (its table's identity is the build token).
_WRITE_ORDER: tuple[str, ...] = (*ALL_LAYERS, *TABLES)


def default_store_path() -> Path:
    """The bundled sample store, built from the sample generator on first start."""
    return DATA_DIR / "sample_store.gpkg"


def redact_target(target: str) -> str:
    """A store URL without its password, for reports, messages and the UI."""
    if "://" in target and "@" in target:
        scheme, rest = target.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return target


class Store(Protocol):
    target: str

    def layers(self) -> list[str]: ...
    def read(self, layer: str, columns: list[str] | None = None,
             zone_id: str | None = None, rows: RowFilter | None = None) -> gpd.GeoDataFrame | pd.DataFrame: ...
    def read_chunks(self, layer: str, rows: RowFilter | None = None, columns: list[str] | None = None,
                    chunk_rows: int = 50_000) -> Iterator[gpd.GeoDataFrame]: ...
    def count(self, layer: str, rows: RowFilter | None = None) -> int: ...
    def count_by(self, layer: str, column: str, rows: RowFilter | None = None) -> pd.Series: ...
    def read_members(self, layer: str | None = None, zone_id: str | None = None) -> pd.DataFrame: ...
    def read_report(self) -> dict: ...
    def build_token(self) -> str: ...
    def build_lock(self, wait: bool = False) -> contextlib.AbstractContextManager: ...
    def write_all(self, layers: Mapping[str, pd.DataFrame], report: dict) -> None: ...


def open_store(target: str | os.PathLike) -> Store:
    """A store for ``target``: a ``.gpkg`` path or a ``postgresql://`` URL."""
    text = str(target)
    if text.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://")):
        return PostGISStore(text)
    if text.lower().endswith(".gpkg"):
        return GeoPackageStore(Path(text))
    raise BuildError(f"无法识别的存储位置 “{text}”：应为 .gpkg 文件路径或 postgresql:// 开头的 PostGIS 地址 "
                     "(store must be a .gpkg path or a postgresql:// URL).")


def _report_frame(report: dict) -> pd.DataFrame:
    return pd.DataFrame({"built_at": [report.get("built_at")],
                         "sample_data": [bool(report.get("sample_data"))],
                         "report_json": [json.dumps(report, ensure_ascii=False, default=str)]})


def _prepare(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Store-ready copy of a declared layer or table: its declared columns in order (and the
    geometry: WGS84, polygons as multipolygons); yes/no and whole-number columns as pandas'
    nullable types, which both stores write as BOOLEAN / INTEGER with NULLs, rows or none."""
    declared = LAYERS[name]
    columns = [c for c in declared.dtypes if c in frame.columns]
    if declared.geometry is None:
        out = pd.DataFrame(frame, copy=False)[columns].copy()
    else:
        out = frame[[*columns, frame.geometry.name]].copy()
        if out.crs is not None and out.crs.to_epsg() != 4326:
            out = out.to_crs(STORAGE_CRS)
        if declared.geometry == "MultiPolygon":
            geoms = out.geometry.to_numpy()
            single = shapely.get_type_id(geoms) == 3  # Polygon
            geoms[single] = shapely.multipolygons(geoms[single][:, None])
            out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=STORAGE_CRS))
    for col in columns:
        if declared.column(col).type in ("bool", "nullable_int"):
            out[col] = out[col].astype(declared.column(col).dtype)
    if ZONE_IDS in out.columns:
        out[ZONE_IDS] = out[ZONE_IDS].fillna("")
    return out


def _restore_types(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The declared dtypes (``schema.STORE_TYPES``), whichever store the frame was read from:
    a GeoPackage gives booleans as objects and dates in milliseconds, PostgreSQL dates in
    microseconds, either gives an all-null column as ``object``."""
    for col, dtype in LAYERS[name].dtypes.items():
        if col in frame.columns and str(frame[col].dtype) != dtype:
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):  # an Arrow stream tags the stored wall time UTC
                frame[col] = frame[col].dt.tz_localize(None)
            frame[col] = frame[col].astype(dtype)
    if ZONE_IDS in frame.columns:
        frame[ZONE_IDS] = frame[ZONE_IDS].fillna("")
    return frame


def _sql_types(name: str) -> dict[str, object]:
    """SQLAlchemy column types of a declared layer or table (PostGIS), so that a column with
    no value at all still gets its type."""
    from sqlalchemy.types import BigInteger, Boolean, DateTime, Double, Text

    types = {"text": Text, "float": Double, "int": BigInteger, "nullable_int": BigInteger, "bool": Boolean,
             "date": DateTime, "datetime": DateTime}
    return {c.name: types[c.type]() for c in LAYERS[name].store_columns}


def _has_geometries(frame: gpd.GeoDataFrame) -> bool:
    return bool(frame.geometry.notna().any())


def _geometry_type(layer: str, frame: gpd.GeoDataFrame) -> str:
    """The geometry type a layer's table declares (PostGIS spelling).

    Declared from the layer, not guessed from the rows alone, so that a layer whose
    rows are all placed by street (every geometry null) or that has no rows at all
    (every row rejected) is written like any other: ``POINT`` for point layers,
    ``MULTIPOLYGON`` for boundaries. Rows of another type make it ``GEOMETRY``.
    """
    default = LAYERS[layer].geometry.upper()
    geoms = frame.geometry[frame.geometry.notna()]
    kinds = {str(k).upper() for k in geoms.geom_type.unique()}
    if default == "MULTIPOLYGON":
        kinds = {"MULTIPOLYGON" if k == "POLYGON" else k for k in kinds}  # _prepare makes them multi
    kind = default if not kinds else kinds.pop() if len(kinds) == 1 else "GEOMETRY"
    if kind not in _GPKG_TYPES:
        kind = "GEOMETRY"
    if len(geoms) and bool(geoms.has_z.any()):
        kind += "Z"
    return kind


_GPKG_TYPES = {"POINT": "Point", "MULTIPOINT": "MultiPoint", "LINESTRING": "LineString",
               "MULTILINESTRING": "MultiLineString", "POLYGON": "Polygon", "MULTIPOLYGON": "MultiPolygon",
               "GEOMETRY": "Unknown"}


def _copy_rows(table, conn, keys, data_iter) -> None:  # noqa: ANN001 - pandas ``to_sql`` method hook
    """Insert rows with PostgreSQL ``COPY`` (fast for a million hotline cases)."""
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows(data_iter)
    buffer.seek(0)
    preparer = conn.dialect.identifier_preparer
    name = preparer.quote(table.table.name)
    if table.table.schema:
        name = f"{preparer.quote_schema(table.table.schema)}.{name}"
    columns = ", ".join(preparer.quote(k) for k in keys)
    with conn.connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {name} ({columns}) FROM STDIN WITH CSV", buffer)


def _write_postgis_table(layer: str, frame: gpd.GeoDataFrame, engine) -> None:  # noqa: ANN001 - sqlalchemy.Engine
    """Write one layer as the table ``<layer>__new``, every column of its declared type and its
    geometry column declared (type, SRID 4326).

    geopandas' ``to_postgis`` infers the column type from the rows and refuses a frame
    with no geometry at all ("No valid geometries in the data"); a hotline export placed
    only by street is such a frame. So the column is declared here, and null geometries
    are written as NULL.
    """
    from geoalchemy2 import Geometry

    srid = int(STORAGE_CRS.split(":")[1])
    table, geometry_type = f"{layer}__new", _geometry_type(layer, frame)
    geom_name = frame.geometry.name
    geoms = frame.geometry.to_numpy()
    ewkb = shapely.to_wkb(shapely.set_srid(np.asarray(geoms, dtype=object), srid), hex=True,
                          include_srid=True)
    plain = pd.DataFrame(frame, copy=False).copy()
    plain[geom_name] = pd.Series(ewkb, index=plain.index, dtype=object)
    plain.to_sql(table, engine, if_exists="replace", index=False, chunksize=50_000, method=_copy_rows,
                 dtype={**_sql_types(layer), geom_name: Geometry(geometry_type=geometry_type, srid=srid)})


class _Reading:
    """What both stores read alike, given each one's ``layers()`` and ``_read()``."""

    def layers(self) -> list[str]:
        raise NotImplementedError

    def _read(self, name: str, columns: list[str] | None, where: str | None) -> pd.DataFrame:
        """The rows of a layer or table matching the SQL condition ``where`` (all when None)."""
        raise NotImplementedError

    def _missing(self, name: str) -> str:
        """The message for a layer or table the store does not hold."""
        raise NotImplementedError

    def _count_sql(self, sql: str) -> list[tuple]:
        """Rows of a plain aggregate query (no geometry), the same SQL on both stores."""
        raise NotImplementedError

    def _chunks(self, name: str, columns: list[str] | None, where: str | None,
                chunk_rows: int) -> Iterator[pd.DataFrame]:
        raise NotImplementedError

    def _where(self, layer: str, zone_id: str | None, rows: RowFilter | None) -> str | None:
        if layer not in self.layers():
            raise BuildError(self._missing(layer))
        if rows is not None and rows.layer != layer:
            raise ValueError(f"a filter of {rows.layer} cannot select rows of {layer}")
        if zone_id is not None:
            rows = RowFilter(layer, zones=(zone_id,)) if rows is None else replace(rows, zones=(zone_id,))
        return None if rows is None else rows.where()

    def read(self, layer: str, columns: list[str] | None = None, zone_id: str | None = None,
             rows: RowFilter | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        """One layer (a GeoDataFrame in EPSG:4326) or table, with its declared dtypes; a point
        layer's rows can be selected by zone (through ``zone_members``) or by a :class:`RowFilter`,
        in SQL: only those rows leave the store."""
        return _restore_types(self._read(layer, columns, self._where(layer, zone_id, rows)), layer)

    def read_chunks(self, layer: str, rows: RowFilter | None = None, columns: list[str] | None = None,
                    chunk_rows: int = 50_000) -> Iterator[gpd.GeoDataFrame]:
        """The same rows as :meth:`read`, ``chunk_rows`` at a time (a server-side cursor on PostGIS,
        an Arrow stream on GeoPackage): a download of a million cases never sits in memory whole."""
        where = self._where(layer, None, rows)
        for chunk in self._chunks(layer, columns, where, chunk_rows):
            yield _restore_types(chunk, layer)

    def count(self, layer: str, rows: RowFilter | None = None) -> int:
        """How many rows :meth:`read` would give, counted by the store."""
        where = self._where(layer, None, rows)
        return int(self._count_sql(f'SELECT COUNT(*) FROM "{layer}"' + (f" WHERE {where}" if where else ""))[0][0])

    def count_by(self, layer: str, column: str, rows: RowFilter | None = None) -> pd.Series:
        """Rows per value of a declared text column (e.g. per ``street``), counted by the store."""
        if LAYERS[layer].column(column).type != "text":
            raise ValueError(f"{column!r} is not a text column of {layer}")
        where = self._where(layer, None, rows)
        sql = (f'SELECT "{column}", COUNT(*) FROM "{layer}"' + (f" WHERE {where}" if where else "")
               + f' GROUP BY "{column}"')
        out = self._count_sql(sql)
        return pd.Series({k: int(v) for k, v in out}, dtype="int64", name=column).rename_axis(column)

    def read_members(self, layer: str | None = None, zone_id: str | None = None) -> pd.DataFrame:
        """The ``zone_members`` rows (layer, record_id, zone_id), of one layer and/or one zone."""
        where = members_filter_sql(layer, zone_id)
        if ZONE_MEMBERS not in self.layers():
            raise BuildError(self._missing(ZONE_MEMBERS))
        return _restore_types(pd.DataFrame(self._read(ZONE_MEMBERS, None, where)), ZONE_MEMBERS)

    def read_report(self) -> dict:
        frame = self.read(REPORT_LAYER)
        return json.loads(frame["report_json"].iloc[0])


_BUSY = ("另一个构建正在写入 {target}，本次构建未执行，原有数据未受影响。请等它结束后再试 "
         "(another build is writing {target}: this one did not run and the store is unchanged; "
         "try again when it has finished).")


class GeoPackageStore(_Reading):
    """Layers of one GeoPackage file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.target = str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def layers(self) -> list[str]:
        if not self.path.exists():
            return []
        return [str(name) for name, _ in pyogrio.list_layers(self.path)]

    def _missing(self, name: str) -> str:
        return f"存储 {self.path.name} 中没有图层 {name}（请先运行 python -m loaders build）。"

    def _read(self, name: str, columns: list[str] | None, where: str | None) -> pd.DataFrame:
        return pyogrio.read_dataframe(self.path, layer=name, columns=columns, where=where, use_arrow=True)

    def _count_sql(self, sql: str) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def _chunks(self, name: str, columns: list[str] | None, where: str | None,
                chunk_rows: int) -> Iterator[pd.DataFrame]:
        plain = LAYERS[name].geometry is None
        with pyogrio.raw.open_arrow(self.path, layer=name, columns=columns, where=where,
                                    batch_size=chunk_rows, use_pyarrow=True) as (meta, reader):
            geom = meta.get("geometry_name") or "wkb_geometry"
            for batch in reader:
                frame = batch.to_pandas()
                if plain:
                    yield frame.drop(columns=[geom], errors="ignore")
                    continue
                wkb = frame.pop(geom).to_numpy() if geom in frame else np.full(len(frame), None)
                yield gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapely.from_wkb(wkb), index=frame.index),
                                       crs=STORAGE_CRS)

    @contextlib.contextmanager
    def build_lock(self, wait: bool = False) -> Iterator[None]:
        """One build at a time into this file: a second one fails at once with a clear message
        (an advisory ``flock`` on a lock file named after it, released when the build ends or dies);
        ``wait``: wait for the other build to finish instead."""
        import fcntl
        import hashlib
        import tempfile
        # The lock file lives in the temporary folder, named after the store's absolute path,
        # so the store's own folder holds only the store.
        key = hashlib.sha1(str(self.path.resolve()).encode("utf-8")).hexdigest()[:16]
        lock = Path(tempfile.gettempdir()) / f"fengtai-build-{key}.lock"
        with open(lock, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BuildError(_BUSY.format(target=self.path.name)) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


    def build_token(self) -> str:
        """Which build the file holds now, in one ``stat``: a build swaps in a new file
        (``os.replace``), so its inode and times change; "missing" when there is none yet."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "missing"
        return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"

    def write_all(self, layers: Mapping[str, pd.DataFrame], report: dict) -> None:
        """Write every layer and table of ``layers`` (names of ``ALL_LAYERS`` and ``TABLES``) and
        the report into a new file, index the tables, then swap the file in."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.stem}.building-{os.getpid()}.gpkg")
        tmp.unlink(missing_ok=True)
        try:
            for name in [n for n in _WRITE_ORDER if n in layers]:
                frame = _prepare(name, layers[name])
                # A layer with no geometry at all (every row placed by street, or no rows)
                # still declares its geometry type rather than "Unknown".
                declared = {} if LAYERS[name].geometry is None or _has_geometries(frame) else \
                    {"geometry_type": _GPKG_TYPES.get(_geometry_type(name, frame), "Unknown")}
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", use_arrow=True, **declared)
            pyogrio.write_dataframe(_prepare(REPORT_LAYER, _report_frame(report)), tmp, layer=REPORT_LAYER,
                                    driver="GPKG", use_arrow=True)
            _index_tables(tmp, [n for n in (*TABLES, *POINT_LAYERS) if n in layers])
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _index_tables(path: Path, names: list[str]) -> None:
    """Attribute indexes (``TABLE_INDEXES``; each point layer's ``street``, key and
    ``DATE_INDEXES``), in the not yet swapped-in file, so the dashboard's SQL filters use them."""
    wanted = [(t, c) for t, c in TABLE_INDEXES if t in names]
    for name in [n for n in POINT_LAYERS if n in names]:
        wanted += [(name, "street"), (name, LAYERS[name].key), *((name, c) for c in DATE_INDEXES.get(name, ()))]
    with sqlite3.connect(path) as conn:
        for table, column in wanted:
            conn.execute(f'CREATE INDEX "idx_{table}_{column}" ON "{table}" ("{column}")')
    conn.close()


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` URLs use the psycopg2 driver this project installs."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


_LOCK_KEY = "fengtai-dashboard-build"


# ---------------------------------------------------------------- every PostgreSQL connection
# A database behind a network that drops packets, or a server that stops answering, must make
# a page fail in seconds ("store unavailable", the last good build shown), never hang it.
# Every connection this project makes to PostgreSQL goes through :func:`pg_engine` (SQLAlchemy)
# or :func:`pg_connect_args` (plain psycopg2), which apply these limits, in seconds, read from
# the environment when the engine is made (0 = no limit):
PG_LIMIT_ENV: dict[str, tuple[float, str]] = {
    "DASHBOARD_DB_CONNECT_TIMEOUT": (5, "opening a connection, handshake included (libpq connect_timeout; "
                                        "whole seconds, libpq's minimum is 2); also the answer a pre-ping "
                                        "gets, and the grace an answer gets after statement_timeout"),
    "DASHBOARD_DB_STATEMENT_TIMEOUT": (15, "one statement of a reader (the app, downloads, briefs): "
                                          "PostgreSQL cancels it (statement_timeout)"),
    "DASHBOARD_DB_IDLE_TX_TIMEOUT": (10, "a reader's session left idle inside a transaction is ended by "
                                        "the server (idle_in_transaction_session_timeout)"),
    "DASHBOARD_DB_LOCK_TIMEOUT": (10, "a reader waiting for a lock (a build's swap) gives up (lock_timeout)"),
    "DASHBOARD_DB_POOL_TIMEOUT": (10, "waiting for a free connection of the process's pool"),
    "DASHBOARD_DB_STREAM_IDLE_TX_TIMEOUT": (300, "a chunked read (a download's server-side cursor) may wait "
                                                "this long between two chunks while the file is written"),
    "DASHBOARD_DB_BUILD_STATEMENT_TIMEOUT": (600, "a build's statement, lock wait and pause inside a "
                                                 "transaction (a build COPYs millions of rows): each bounded "
                                                 "by this, not by the readers' limits"),
}


@dataclass(frozen=True)
class PgLimits:
    """The limits of one kind of connection (``purpose``: "read" or "build"), in seconds, 0 = none."""

    purpose: str
    connect: float
    statement: float
    idle_tx: float
    lock: float
    pool: float
    stream_idle_tx: float

    @property
    def answer(self) -> float:
        """How long the client waits for any answer of the server before it cuts the connection:
        the statement timeout (the server cancels first, cleanly) plus the connect timeout of grace
        for the cancellation to arrive; none when statements have no limit."""
        return self.statement + (self.connect or 5) if self.statement else 0.0

    @property
    def ping(self) -> float:
        """How long a pre-ping (``SELECT 1`` on a pooled connection) may take."""
        return self.connect

    def server_options(self) -> str:
        """libpq ``options``: the server-side limits of every session."""
        settings = {"statement_timeout": self.statement, "idle_in_transaction_session_timeout": self.idle_tx,
                    "lock_timeout": self.lock}
        return " ".join(f"-c {name}={_ms(value)}" for name, value in settings.items())


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _env_seconds(name: str, environ: Mapping[str, str]) -> float:
    default = PG_LIMIT_ENV[name][0]
    text = (environ.get(name) or "").strip()
    if not text:
        return float(default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (0 <= value <= 86_400) or value != value:
        raise BuildError(f"{name}={text!r} 无效 (not valid): 需要 0 到 86400 之间的秒数，0 表示不限 "
                         "(seconds between 0 and 86400; 0 = no limit).")
    return value


def pg_limits(purpose: str = "read", environ: Mapping[str, str] | None = None) -> PgLimits:
    """The limits for a connection of ``purpose`` ("read": the app, downloads, briefs, the audit log;
    "build": a build's writes), from ``environ`` (default ``os.environ``); see :data:`PG_LIMIT_ENV`."""
    if purpose not in ("read", "build"):
        raise ValueError(f"purpose must be 'read' or 'build', not {purpose!r}")
    env = os.environ if environ is None else environ
    connect = _env_seconds("DASHBOARD_DB_CONNECT_TIMEOUT", env)
    connect = float(max(2, int(-(-connect // 1)))) if connect else 0.0   # libpq: whole seconds, at least 2
    pool = _env_seconds("DASHBOARD_DB_POOL_TIMEOUT", env)
    if purpose == "build":
        build = _env_seconds("DASHBOARD_DB_BUILD_STATEMENT_TIMEOUT", env)
        return PgLimits("build", connect, statement=build, idle_tx=build, lock=0.0, pool=pool,
                        stream_idle_tx=build)
    return PgLimits("read", connect, statement=_env_seconds("DASHBOARD_DB_STATEMENT_TIMEOUT", env),
                    idle_tx=_env_seconds("DASHBOARD_DB_IDLE_TX_TIMEOUT", env),
                    lock=_env_seconds("DASHBOARD_DB_LOCK_TIMEOUT", env), pool=pool,
                    stream_idle_tx=_env_seconds("DASHBOARD_DB_STREAM_IDLE_TX_TIMEOUT", env))


def pg_connect_args(purpose: str = "read", url: str | None = None,
                    limits: PgLimits | None = None) -> dict:
    """Keyword arguments for ``psycopg2.connect(url, **pg_connect_args())`` or SQLAlchemy's
    ``connect_args``: the connect timeout; TCP keepalives and ``tcp_user_timeout`` (a peer that
    vanishes from the network fails the connection in seconds); the server-side statement,
    idle-in-transaction and lock timeouts (libpq ``options``, before any the URL or ``PGOPTIONS``
    gives, which therefore win); and a connection class whose every wait for the server is
    bounded on the client too (:attr:`PgLimits.answer`): a server or network that stops answering
    without closing the connection (nothing for TCP to notice) has it cut, and the waiting call
    fails with :class:`NoAnswer`, a ``psycopg2.OperationalError`` (SQLAlchemy: ``OperationalError``,
    the connection invalidated)."""
    limits = limits or pg_limits(purpose)
    extra = _url_options(url) if url else None
    extra = extra if extra is not None else os.environ.get("PGOPTIONS", "").strip()
    connect = int(limits.connect)
    beat = connect or 5   # TCP: a silent peer is given up after about twice the connect timeout
    args: dict = {"keepalives": 1, "keepalives_idle": beat, "keepalives_interval": max(1, beat // 2),
                  "keepalives_count": 3, "tcp_user_timeout": 2000 * beat,
                  "options": " ".join(o for o in (limits.server_options(), extra) if o),
                  "connection_factory": _timed_connection_class(limits)}
    if connect:
        args["connect_timeout"] = connect
    return args


def _url_options(url: str) -> str | None:
    """The ``options`` query parameter of a ``postgresql://`` URL (e.g. a search_path), if any."""
    from urllib.parse import parse_qs, urlsplit
    values = parse_qs(urlsplit(url).query).get("options")
    return values[-1] if values else None


def pg_engine(url: str, purpose: str = "read", **kw):  # noqa: ANN201 - sqlalchemy.Engine, imported lazily
    """A SQLAlchemy engine for a ``postgresql://`` URL with the limits of ``purpose``
    (:func:`pg_connect_args`), a pool timeout, and a pre-ping bounded by the connect timeout: a
    pooled connection cut by a server restart or a silent network is replaced (the whole pool is
    refreshed), not reused. ``kw`` goes to ``create_engine`` (``connect_args`` are merged)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    limits = pg_limits(purpose)
    connect_args = {**pg_connect_args(purpose, url, limits), **kw.pop("connect_args", {})}
    if kw.get("poolclass") in (None, QueuePool) and limits.pool:
        kw.setdefault("pool_timeout", limits.pool)
    engine = create_engine(sqlalchemy_url(url), connect_args=connect_args, **kw)
    event.listen(engine, "connect", _mark_fresh)
    event.listen(engine, "checkout", _pre_ping)
    return engine


def _mark_fresh(dbapi_connection, record) -> None:  # noqa: ANN001 - pool "connect" event
    record.info["fengtai_fresh"] = True


def _pre_ping(dbapi_connection, record, proxy) -> None:  # noqa: ANN001 - pool "checkout" event
    """SQLAlchemy's pool_pre_ping, with a deadline: ``SELECT 1`` on a pooled connection, answered
    within the connect timeout, or the whole pool is refreshed and a new connection made."""
    from sqlalchemy.exc import InvalidatePoolError
    if record.info.pop("fengtai_fresh", False):
        return
    import psycopg2
    limits: PgLimits = getattr(dbapi_connection, "limits", None) or pg_limits()
    deadline = getattr(dbapi_connection, "deadline", None)   # a connection made without pg_connect_args: none
    try:
        before = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # no transaction left open by the ping
        with deadline(limits.ping) if deadline else contextlib.nullcontext():
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        dbapi_connection.autocommit = before
    except psycopg2.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidatePoolError(f"pre-ping failed: {first}") from exc


class _Watchdog:
    """One thread that cuts (``shutdown``) the socket of a connection whose wait for the server
    outlived its deadline: the libpq call blocked on it returns at once with an error."""

    def __init__(self) -> None:
        import itertools
        import threading
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, int] = {}     # token -> socket fd
        self._fired: set[int] = set()
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, fd: int, seconds: float) -> int:
        import heapq
        import threading
        import time
        token = next(self._tokens)
        with self._cond:
            self._armed[token] = fd
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="pg-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()
        return token

    def disarm(self, token: int) -> bool:
        """Stop watching; True when the deadline had passed and the connection was cut."""
        with self._cond:
            self._armed.pop(token, None)
            if token in self._fired:
                self._fired.discard(token)
                return True
            return False

    def _run(self) -> None:
        import heapq
        import socket
        import time
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(timeout=60)
                    continue
                deadline, token = self._heap[0]
                now = time.monotonic()
                if deadline > now:
                    self._cond.wait(timeout=deadline - now)
                    continue
                heapq.heappop(self._heap)
                fd = self._armed.pop(token)
                self._fired.add(token)
                try:  # a duplicate of the descriptor: shutting it down cuts the connection itself
                    sock = socket.socket(fileno=os.dup(fd))
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    finally:
                        sock.close()
                except OSError:
                    pass


_WATCHDOG = _Watchdog()


def _no_answer_class():  # noqa: ANN202
    import psycopg2

    class NoAnswer(psycopg2.OperationalError):
        """The server did not answer within the deadline; the connection was closed."""

    NoAnswer.__module__, NoAnswer.__qualname__ = __name__, "NoAnswer"
    return NoAnswer


@functools.cache
def _timed_classes() -> tuple[type, type, type]:
    """psycopg2 connection and cursor classes whose waits for the server have a deadline."""
    import psycopg2
    import psycopg2.extensions

    no_answer = _no_answer_class()

    class TimedCursor(psycopg2.extensions.cursor):
        def execute(self, query, vars=None):  # noqa: ANN001, ANN201, A002 - psycopg2's signature
            with self.connection.deadline():
                return super().execute(query, vars)

        def executemany(self, query, vars_list):  # noqa: ANN001, ANN201
            with self.connection.deadline():
                return super().executemany(query, vars_list)

        def callproc(self, procname, parameters=None):  # noqa: ANN001, ANN201
            with self.connection.deadline():
                return super().callproc(procname, parameters)

        def copy_expert(self, sql, file, size=8192):  # noqa: ANN001, ANN201
            with self.connection.deadline():
                return super().copy_expert(sql, file, size)

        def copy_from(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            with self.connection.deadline():
                return super().copy_from(*args, **kwargs)

        def copy_to(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            with self.connection.deadline():
                return super().copy_to(*args, **kwargs)

        # A named (server-side) cursor asks the server for each batch of rows, and closes on it.
        def fetchone(self):  # noqa: ANN201
            if self.name is None:
                return super().fetchone()
            with self.connection.deadline():
                return super().fetchone()

        def fetchmany(self, size=None):  # noqa: ANN001, ANN201
            if self.name is None:
                return super().fetchmany() if size is None else super().fetchmany(size)
            with self.connection.deadline():
                return super().fetchmany() if size is None else super().fetchmany(size)

        def fetchall(self):  # noqa: ANN201
            if self.name is None:
                return super().fetchall()
            with self.connection.deadline():
                return super().fetchall()

        def scroll(self, value, mode="relative"):  # noqa: ANN001, ANN201
            with self.connection.deadline():
                return super().scroll(value, mode)

        def close(self) -> None:
            if self.name is None or self.connection.closed:
                return super().close()
            with self.connection.deadline():
                return super().close()

    class TimedConnection(psycopg2.extensions.connection):
        limits: PgLimits

        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().__init__(*args, **kwargs)
            self.cursor_factory = TimedCursor
            self._unbounded = 0

        @contextlib.contextmanager
        def deadline(self, seconds: float | None = None) -> Iterator[None]:
            """Bound one wait for the server: ``seconds`` (default :attr:`PgLimits.answer`), after
            which the connection is cut and closed, and :class:`NoAnswer` raised."""
            seconds = self.limits.answer if seconds is None else seconds
            if not seconds or self._unbounded or self.closed:
                yield
                return
            token = _WATCHDOG.arm(self.fileno(), seconds)
            try:
                yield
            except psycopg2.Error as exc:
                if _WATCHDOG.disarm(token):
                    self.close()
                    raise no_answer(f"数据库 {seconds:g} 秒内没有应答，连接已断开 (no answer from the database "
                                    f"within {seconds:g} s: the network or the server is silent; the "
                                    "connection was closed)") from exc
                raise
            except BaseException:
                _WATCHDOG.disarm(token)
                raise
            else:
                if _WATCHDOG.disarm(token):
                    self.close()  # answered just as it was cut: never reuse a cut connection

        @contextlib.contextmanager
        def unbounded(self) -> Iterator[None]:
            """No client deadline inside (a wait that may be long on purpose: another build's lock)."""
            self._unbounded += 1
            try:
                yield
            finally:
                self._unbounded -= 1

        def commit(self) -> None:
            with self.deadline():
                super().commit()

        def rollback(self) -> None:
            if self.closed:
                return super().rollback()
            with self.deadline():
                super().rollback()

    for cls in (TimedConnection, TimedCursor):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
    return TimedConnection, TimedCursor, no_answer


def _timed_connection_class(limits: PgLimits) -> type:
    base = _timed_classes()[0]
    return type("TimedConnection", (base,), {"limits": limits})


def __getattr__(name: str):  # noqa: ANN202 - module attribute NoAnswer, made when first asked for
    if name == "NoAnswer":
        return _timed_classes()[2]
    raise AttributeError(name)


class PostGISStore(_Reading):
    """Tables in a PostGIS database (schema ``public`` unless the URL's search_path says else).

    Reads use :attr:`engine` (the readers' limits, :func:`pg_limits`); a build's lock and writes
    use :attr:`build_engine` (a build's own, longer statement limit)."""

    def __init__(self, url: str) -> None:
        self.target = url
        self._engine = None
        self._build_engine = None

    @property
    def engine(self):  # noqa: ANN201 - sqlalchemy.Engine, imported lazily
        if self._engine is None:
            self._engine = pg_engine(self.target, "read")
        return self._engine

    @property
    def build_engine(self):  # noqa: ANN201 - sqlalchemy.Engine, imported lazily
        if self._build_engine is None:
            self._build_engine = pg_engine(self.target, "build")
        return self._build_engine

    def _connect(self, engine=None):  # noqa: ANN001, ANN202 - sqlalchemy.Engine / Connection
        """A connection of ``engine`` (default :attr:`engine`); one that cannot be had in time
        (server down, network silent, pool exhausted) is a :class:`BuildError` saying so."""
        from sqlalchemy.exc import OperationalError, TimeoutError
        try:
            return (engine or self.engine).connect()
        except OperationalError as exc:
            first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
            raise BuildError(f"无法连接 PostGIS 数据库：{first}。"
                             "请检查地址、用户名、密码以及服务器是否在运行。") from exc
        except TimeoutError as exc:
            raise BuildError(f"PostGIS 数据库连接全部占用，等待超时 (every connection of the pool is busy): {exc}"
                             ) from exc

    def layers(self) -> list[str]:
        from sqlalchemy import inspect
        with self._connect() as conn:
            names = set(inspect(conn).get_table_names())
        return [n for n in (*ALL_LAYERS, *TABLES, REPORT_LAYER) if n in names]

    def _missing(self, name: str) -> str:
        return f"数据库中没有表 {name}（请先运行 python -m loaders build）。"

    def _read(self, name: str, columns: list[str] | None, where: str | None) -> pd.DataFrame:
        from sqlalchemy import text
        plain = LAYERS[name].geometry is None   # a table without geometry
        cols = "*" if columns is None else ", ".join(f'"{c}"' for c in [*columns, *([] if plain else ["geometry"])])
        sql = text(f'SELECT {cols} FROM "{name}"' + (f" WHERE {where}" if where else ""))
        with self._connect() as conn:
            if plain:
                return pd.read_sql(sql, conn)
            return gpd.read_postgis(sql, conn, geom_col="geometry", crs=STORAGE_CRS)

    def _count_sql(self, sql: str) -> list[tuple]:
        from sqlalchemy import text
        with self._connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).fetchall()]

    def _chunks(self, name: str, columns: list[str] | None, where: str | None,
                chunk_rows: int) -> Iterator[pd.DataFrame]:
        """A server-side cursor (``stream_results``): PostgreSQL sends ``chunk_rows`` rows at a time."""
        from sqlalchemy import text
        plain = LAYERS[name].geometry is None
        if columns is None:
            columns = [c for c in LAYERS[name].dtypes]
        cols = ", ".join(f'"{c}"' for c in columns)
        if not plain:
            cols += ', ST_AsBinary("geometry") AS "geometry"'
        sql = text(f'SELECT {cols} FROM "{name}"' + (f" WHERE {where}" if where else ""))
        with self._connect() as conn:
            # The transaction stays open while the consumer writes each chunk (a download's file):
            # it may pause that long between two chunks (DASHBOARD_DB_STREAM_IDLE_TX_TIMEOUT).
            limits = getattr(conn.connection.dbapi_connection, "limits", None) or pg_limits()
            conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {_ms(limits.stream_idle_tx)}"))
            streaming = conn.execution_options(stream_results=True, max_row_buffer=chunk_rows)
            for frame in pd.read_sql(sql, streaming, chunksize=chunk_rows):
                if plain:
                    yield frame
                    continue
                wkb = [None if v is None else bytes(v) for v in frame.pop("geometry")]
                yield gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapely.from_wkb(wkb), index=frame.index),
                                       crs=STORAGE_CRS)

    @contextlib.contextmanager
    def build_lock(self, wait: bool = False) -> Iterator[None]:
        """One build at a time into this database: a second one fails at once with a clear
        message (a session-level advisory lock, released when the build ends or its connection dies);
        ``wait``: wait for the other build to finish instead."""
        from sqlalchemy import text
        with self._connect(self.build_engine) as conn:
            if wait:  # waiting for another build may be long: no statement or lock limit on this one
                conn.execute(text("SET LOCAL statement_timeout = 0"))
                conn.execute(text("SET LOCAL lock_timeout = 0"))
                with conn.connection.dbapi_connection.unbounded():
                    conn.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), {"key": _LOCK_KEY})
                got = True
            else:
                got = conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"),
                                   {"key": _LOCK_KEY}).scalar()
            conn.commit()
            if not got:
                raise BuildError(_BUSY.format(target=redact_target(self.target)))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": _LOCK_KEY})
                conn.commit()

    def build_token(self) -> str:
        """Which build the database holds now, in one cheap query: every build swaps in a new
        ``build_report`` table, whose identity (oid) changes with it; "missing" when none."""
        from sqlalchemy import text
        with self._connect() as conn:
            oid = conn.execute(text("SELECT to_regclass(:name)::oid"), {"name": REPORT_LAYER}).scalar()
        return "missing" if oid is None else f"oid:{oid}"

    def write_all(self, layers: Mapping[str, pd.DataFrame], report: dict) -> None:
        """Write every layer and table of ``layers`` and the report as ``<name>__new`` tables,
        then swap them all in (and index them) in one transaction."""
        from sqlalchemy import text
        names = [n for n in ALL_LAYERS if n in layers]
        tables = [n for n in TABLES if n in layers]
        every = [*names, *tables, REPORT_LAYER]
        engine = self.build_engine   # a build's own statement limit (DASHBOARD_DB_BUILD_STATEMENT_TIMEOUT)
        with self._connect(engine) as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.commit()
        try:
            for name in names:
                _write_postgis_table(name, _prepare(name, layers[name]), engine)
            for name, frame in [*((n, layers[n]) for n in tables), (REPORT_LAYER, _report_frame(report))]:
                _prepare(name, frame).to_sql(f"{name}__new", engine, if_exists="replace", index=False,
                                             chunksize=50_000, method=_copy_rows, dtype=_sql_types(name))
            with engine.begin() as conn:  # one transaction: readers see old or new, never half
                for name in every:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
                    conn.execute(text(f'ALTER TABLE "{name}__new" RENAME TO "{name}"'))
                    conn.execute(text(f'ALTER INDEX IF EXISTS "idx_{name}__new_geometry" '
                                      f'RENAME TO "idx_{name}_geometry"'))
                    if name in POINT_LAYERS:
                        conn.execute(text(f'CREATE INDEX IF NOT EXISTS "idx_{name}_street" ON "{name}" (street)'))
                        key = LAYERS[name].key
                        conn.execute(text(f'CREATE INDEX IF NOT EXISTS "idx_{name}_{key}" ON "{name}" ("{key}")'))
                    for column in DATE_INDEXES.get(name, ()):
                        conn.execute(text(f'CREATE INDEX IF NOT EXISTS "idx_{name}_{column}" ON "{name}" ("{column}")'))
                for table, column in TABLE_INDEXES:
                    if table in tables:
                        conn.execute(text(f'CREATE INDEX "idx_{table}_{column}" ON "{table}" ("{column}")'))
        except BaseException:
            with engine.begin() as conn:
                for name in every:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}__new" CASCADE'))
            raise
