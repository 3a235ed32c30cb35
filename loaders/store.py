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
import io
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import replace
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
CONNECT_TIMEOUT_S = 5


class PostGISStore(_Reading):
    """Tables in a PostGIS database (schema ``public`` unless the URL's search_path says else)."""

    def __init__(self, url: str) -> None:
        self.target = url
        self._engine = None

    @property
    def engine(self):  # noqa: ANN201 - sqlalchemy.Engine, imported lazily
        if self._engine is None:
            from sqlalchemy import create_engine
            # pre-ping: a connection cut by a server restart is replaced, not reused; a short connect
            # timeout: an unreachable server is reported in seconds, not after the TCP timeout.
            # TCP keepalives and a user timeout: a server that vanishes from the network (no reset,
            # no answer) fails a waiting query in about 20 s instead of hanging a page.
            self._engine = create_engine(sqlalchemy_url(self.target), pool_pre_ping=True,
                                         connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "keepalives": 1,
                                                       "keepalives_idle": 10, "keepalives_interval": 3,
                                                       "keepalives_count": 3, "tcp_user_timeout": 20_000})
        return self._engine

    def _connect(self):  # noqa: ANN202
        from sqlalchemy.exc import OperationalError
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise BuildError(f"无法连接 PostGIS 数据库：{str(exc.orig).strip().splitlines()[0]}。"
                             "请检查地址、用户名、密码以及服务器是否在运行。") from exc

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
        with self._connect() as conn:
            if wait:
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
        with self._connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.commit()
        try:
            for name in names:
                _write_postgis_table(name, _prepare(name, layers[name]), self.engine)
            for name, frame in [*((n, layers[n]) for n in tables), (REPORT_LAYER, _report_frame(report))]:
                _prepare(name, frame).to_sql(f"{name}__new", self.engine, if_exists="replace", index=False,
                                             chunksize=50_000, method=_copy_rows, dtype=_sql_types(name))
            with self.engine.begin() as conn:  # one transaction: readers see old or new, never half
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
            with self.engine.begin() as conn:
                for name in every:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}__new" CASCADE'))
            raise
