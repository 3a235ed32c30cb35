"""The store: a GeoPackage file (embedded default) or PostGIS tables (production).

Both hold the same layers (``schema.ALL_LAYERS`` plus ``build_report``) in EPSG:4326.
A build writes a complete new store beside the old one and swaps it in only when
every layer is written, so a failed build leaves the previous store untouched:
GeoPackage by writing a temporary file and ``os.replace``; PostGIS by writing
``<layer>__new`` tables and renaming them in one transaction.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geodata.crs import STORAGE_CRS
from loaders.errors import BuildError
from loaders.schema import ALL_LAYERS, REPORT_LAYER, ZONE_IDS

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
BOOL_COLUMNS = ("service_package", "responded", "resolved", "satisfied", "zone_declared_mismatch")
_MULTI_POLYGON_LAYERS = ("streets", "zones")


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
             zone_id: str | None = None) -> gpd.GeoDataFrame | pd.DataFrame: ...
    def read_report(self) -> dict: ...
    def write_all(self, layers: dict[str, gpd.GeoDataFrame], report: dict) -> None: ...


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


def _prepare(layer: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Store-ready copy: WGS84, polygons as multipolygons, nullable types made plain."""
    out = frame.copy()
    if out.crs is not None and out.crs.to_epsg() != 4326:
        out = out.to_crs(STORAGE_CRS)
    if layer in _MULTI_POLYGON_LAYERS:
        geoms = out.geometry.to_numpy()
        single = shapely.get_type_id(geoms) == 3  # Polygon
        geoms[single] = shapely.multipolygons(geoms[single][:, None])
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=STORAGE_CRS))
    for col in BOOL_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype("boolean").astype(object).where(out[col].notna(), None)
    if ZONE_IDS in out.columns:
        out[ZONE_IDS] = out[ZONE_IDS].fillna("")
    return out


def _has_geometries(frame: gpd.GeoDataFrame) -> bool:
    return bool(frame.geometry.notna().any())


def _geometry_type(layer: str, frame: gpd.GeoDataFrame) -> str:
    """The geometry type a layer's table declares (PostGIS spelling).

    Declared from the layer, not guessed from the rows alone, so that a layer whose
    rows are all placed by street (every geometry null) or that has no rows at all
    (every row rejected) is written like any other: ``POINT`` for point layers,
    ``MULTIPOLYGON`` for boundaries. Rows of another type make it ``GEOMETRY``.
    """
    default = "MULTIPOLYGON" if layer in _MULTI_POLYGON_LAYERS else "POINT"
    geoms = frame.geometry[frame.geometry.notna()]
    kinds = {str(k).upper() for k in geoms.geom_type.unique()}
    if layer in _MULTI_POLYGON_LAYERS:
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


def _write_postgis_table(frame: gpd.GeoDataFrame, table: str, engine, geometry_type: str) -> None:  # noqa: ANN001
    """Write one layer as a new table whose geometry column is declared (type, SRID 4326).

    geopandas' ``to_postgis`` infers the column type from the rows and refuses a frame
    with no geometry at all ("No valid geometries in the data"); a hotline export placed
    only by street is such a frame. So the column is declared here, and null geometries
    are written as NULL.
    """
    from geoalchemy2 import Geometry

    srid = int(STORAGE_CRS.split(":")[1])
    geom_name = frame.geometry.name
    geoms = frame.geometry.to_numpy()
    ewkb = shapely.to_wkb(shapely.set_srid(np.asarray(geoms, dtype=object), srid), hex=True,
                          include_srid=True)
    plain = pd.DataFrame(frame, copy=False).copy()
    plain[geom_name] = pd.Series(ewkb, index=plain.index, dtype=object)
    plain.to_sql(table, engine, if_exists="replace", index=False, chunksize=50_000, method=_copy_rows,
                 dtype={geom_name: Geometry(geometry_type=geometry_type, srid=srid)})


def _restore_types(frame: pd.DataFrame) -> pd.DataFrame:
    for col in BOOL_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].astype("boolean")
    if ZONE_IDS in frame.columns:
        frame[ZONE_IDS] = frame[ZONE_IDS].fillna("")
    return frame


class GeoPackageStore:
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

    def read(self, layer: str, columns: list[str] | None = None,
             zone_id: str | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        if layer not in self.layers():
            raise BuildError(f"存储 {self.path.name} 中没有图层 {layer}（请先运行 python -m loaders build）。")
        where = f"{ZONE_IDS} LIKE '%,{_safe_id(zone_id)},%'" if zone_id else None
        frame = pyogrio.read_dataframe(self.path, layer=layer, columns=columns, where=where,
                                       use_arrow=True)
        return _restore_types(frame)

    def read_report(self) -> dict:
        frame = self.read(REPORT_LAYER)
        return json.loads(frame["report_json"].iloc[0])

    def build_token(self) -> str:
        """Which build the file holds now, in one ``stat``: a build swaps in a new file
        (``os.replace``), so its inode and times change; "missing" when there is none yet."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "missing"
        return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"

    def write_all(self, layers: dict[str, gpd.GeoDataFrame], report: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.stem}.building-{os.getpid()}.gpkg")
        tmp.unlink(missing_ok=True)
        try:
            for name in ALL_LAYERS:
                if name in layers:
                    frame = _prepare(name, layers[name])
                    # A layer with no geometry at all (every row placed by street, or no
                    # rows) still declares its geometry type rather than "Unknown".
                    declared = {} if _has_geometries(frame) else \
                        {"geometry_type": _GPKG_TYPES.get(_geometry_type(name, frame), "Unknown")}
                    pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", use_arrow=True,
                                            **declared)
            pyogrio.write_dataframe(_report_frame(report), tmp, layer=REPORT_LAYER, driver="GPKG")
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _safe_id(zone_id: str) -> str:
    if not str(zone_id).replace("_", "").isalnum():
        raise ValueError(f"zone_id must be letters, digits or '_', got {zone_id!r}")
    return str(zone_id)


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` URLs use the psycopg2 driver this project installs."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _typed_null_columns(conn, layer: str, frame: pd.DataFrame) -> pd.DataFrame:  # noqa: ANN001
    """Columns with no value at all read as ``object``: give them their table's type.

    (A layer with no coordinates has null ``lon``/``lat``; the GeoPackage store reads
    them as floats, and so should PostGIS.)
    """
    empty = [c for c in frame.columns if c != "geometry" and frame[c].dtype == object and frame[c].isna().all()]
    if not empty:
        return frame
    import geoalchemy2  # noqa: F401 - registers the geometry type for reflection
    from sqlalchemy import inspect
    from sqlalchemy.types import Date, DateTime, Float, Integer, Numeric, String
    types = {c["name"]: c["type"] for c in inspect(conn).get_columns(layer)}
    for col in empty:
        kind = types.get(col)
        if isinstance(kind, Integer) and frame.empty:
            frame[col] = pd.Series(index=frame.index, dtype="int64")
        elif isinstance(kind, (Float, Numeric, Integer)):
            frame[col] = pd.Series(np.nan, index=frame.index, dtype=float)
        elif isinstance(kind, String):
            frame[col] = pd.Series(None, index=frame.index, dtype="str")
        elif isinstance(kind, (DateTime, Date)):
            frame[col] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms]")
    return frame


class PostGISStore:
    """Tables in a PostGIS database (schema ``public`` unless the URL's search_path says else)."""

    def __init__(self, url: str) -> None:
        self.target = url
        self._engine = None

    @property
    def engine(self):  # noqa: ANN201 - sqlalchemy.Engine, imported lazily
        if self._engine is None:
            from sqlalchemy import create_engine
            self._engine = create_engine(sqlalchemy_url(self.target), pool_pre_ping=True)
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
        return [n for n in (*ALL_LAYERS, REPORT_LAYER) if n in names]

    def read(self, layer: str, columns: list[str] | None = None,
             zone_id: str | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        from sqlalchemy import text
        if layer not in self.layers():
            raise BuildError(f"数据库中没有表 {layer}（请先运行 python -m loaders build）。")
        cols = "*" if columns is None else ", ".join(f'"{c}"' for c in [*columns, "geometry"])
        sql = f'SELECT {cols} FROM "{layer}"'
        if zone_id:
            sql += f" WHERE {ZONE_IDS} LIKE '%,{_safe_id(zone_id)},%'"
        with self._connect() as conn:
            if layer == REPORT_LAYER:
                return pd.read_sql(text(sql.replace(', "geometry"', "")), conn)
            frame = gpd.read_postgis(text(sql), conn, geom_col="geometry", crs=STORAGE_CRS)
            frame = _typed_null_columns(conn, layer, frame)
        return _restore_types(frame)

    def read_report(self) -> dict:
        frame = self.read(REPORT_LAYER)
        return json.loads(frame["report_json"].iloc[0])

    def build_token(self) -> str:
        """Which build the database holds now, in one cheap query: every build swaps in a new
        ``build_report`` table, whose identity (oid) changes with it; "missing" when none."""
        from sqlalchemy import text
        with self._connect() as conn:
            oid = conn.execute(text("SELECT to_regclass(:name)::oid"), {"name": REPORT_LAYER}).scalar()
        return "missing" if oid is None else f"oid:{oid}"

    def write_all(self, layers: dict[str, gpd.GeoDataFrame], report: dict) -> None:
        from sqlalchemy import text
        names = [n for n in ALL_LAYERS if n in layers]
        with self._connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.commit()
        try:
            for name in names:
                frame = _prepare(name, layers[name])
                _write_postgis_table(frame, f"{name}__new", self.engine, _geometry_type(name, frame))
            _report_frame(report).to_sql(f"{REPORT_LAYER}__new", self.engine, if_exists="replace",
                                         index=False)
            with self.engine.begin() as conn:  # one transaction: readers see old or new, never half
                for name in [*names, REPORT_LAYER]:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
                    conn.execute(text(f'ALTER TABLE "{name}__new" RENAME TO "{name}"'))
                    conn.execute(text(f'ALTER INDEX IF EXISTS "idx_{name}__new_geometry" '
                                      f'RENAME TO "idx_{name}_geometry"'))
                    if name in ("projects", "enterprises", "stations", "hotline"):
                        conn.execute(text(f'CREATE INDEX IF NOT EXISTS "idx_{name}_street" ON "{name}" (street)'))
        except BaseException:
            with self.engine.begin() as conn:
                for name in [*names, REPORT_LAYER]:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}__new" CASCADE'))
            raise
