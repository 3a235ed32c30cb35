"""Download formats and coordinate systems for any layer: frames in, file bytes out.

Formats: GeoJSON, GeoPackage, CSV (UTF-8 with BOM, so Excel and WPS read Chinese), XLSX and
a zipped Shapefile (with a ``.cpg`` naming UTF-8, and ``fields.csv`` mapping the 10-character
field names back). Coordinate systems: WGS84 (EPSG:4326), CGCS2000 (EPSG:4490) and GCJ-02
for Amap-based tools (no EPSG code exists: such files are tagged EPSG:4326 and named
``gcj02``). Cells starting with = + - @ are neutralised in CSV and XLSX.

Given an :class:`ExportInfo`, a file carries who exported it and when (the watermark), what
was asked for and whether personal data in it are masked: a ``fengtai_export`` member in
GeoJSON, the layer's metadata in GeoPackage (``gpkg_metadata``), a ``说明 README`` sheet and
the document properties in XLSX, ``export_info.txt`` in the Shapefile zip. CSV has no place
for metadata (a header line would break every reader); its download's audit entry says it.
"""
from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geodata.crs import STORAGE_CRS, from_wgs84
from loaders.schema import LAT, LON


@dataclass(frozen=True)
class Format:
    """One download format."""

    label: str
    extension: str
    mime: str


FORMATS: dict[str, Format] = {
    "geojson": Format("GeoJSON", ".geojson", "application/geo+json"),
    "gpkg": Format("GeoPackage", ".gpkg", "application/geopackage+sqlite3"),
    "csv": Format("CSV (UTF-8 BOM)", ".csv", "text/csv"),
    "xlsx": Format("Excel (XLSX)", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "shp": Format("Shapefile (zip)", ".zip", "application/zip"),
}
CRS_CHOICES: dict[str, str] = {
    "wgs84": "WGS84 (EPSG:4326)",
    "cgcs2000": "CGCS2000 (EPSG:4490)",
    "gcj02": "GCJ-02（高德 Amap）",
}
_EPSG: dict[str, str] = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "gcj02": STORAGE_CRS}
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class ExportInfo:
    """Who exported what: the metadata a file carries. ``personal_data`` is ``full``, ``masked``,
    ``omitted`` (the columns left out) or ``none`` (the layer has no personal columns)."""

    user: str
    role: str
    layer: str
    filters: str | None     # JSON text, as the audit log keeps it
    fmt: str
    crs: str | None
    rows: int
    personal_data: str
    at: str = ""            # ISO time of the export, set by :meth:`at_now`

    def at_now(self) -> ExportInfo:
        return replace(self, at=datetime.now().astimezone().isoformat(timespec="seconds"))

    @property
    def watermark(self) -> str:
        return f"{self.user} · {self.at[:16].replace('T', ' ')}"

    def as_dict(self) -> dict[str, str]:
        """Every field as text, plus the watermark and where the file came from."""
        out = {k: "" if v is None else str(v) for k, v in asdict(self).items()}
        out["watermark"] = self.watermark
        out["source"] = "丰台“4+4”功能区地理信息看板 Fengtai 4+4 zone dashboard"
        return out


INFO_LABELS: dict[str, str] = {
    "user": "导出人 exported by", "role": "角色 role", "at": "导出时间 exported at", "layer": "图层 layer",
    "filters": "筛选条件 filters", "fmt": "格式 format", "crs": "坐标系 CRS", "rows": "行数 rows",
    "personal_data": "个人信息 personal data (full / masked / omitted / none)", "watermark": "水印 watermark",
    "source": "来源 source",
}


def _info_lines(info: ExportInfo) -> str:
    return "".join(f"{INFO_LABELS.get(k, k)}: {v}\n" for k, v in info.as_dict().items())


class ExportError(ValueError):
    """An export was asked for in a format or coordinate system that does not exist."""


def _check(fmt: str, crs_key: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not available; expected one of {', '.join(FORMATS)}")
    if crs_key not in CRS_CHOICES:
        raise ExportError(f"coordinate system {crs_key!r} is not available; expected one of {', '.join(CRS_CHOICES)}")


def in_crs(frame: gpd.GeoDataFrame, crs_key: str) -> gpd.GeoDataFrame:
    """A copy of ``frame`` (EPSG:4326) in ``crs_key``; ``lon``/``lat`` columns follow the geometry."""
    _check("csv", crs_key)
    if crs_key == "gcj02":
        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = from_wgs84(xy[:, 0], xy[:, 1], "gcj02")
            return np.column_stack([lon, lat])
        geoms = shapely.transform(frame.geometry.to_numpy(), shift)
        out = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=STORAGE_CRS))
    else:
        out = frame.to_crs(_EPSG[crs_key])
    if LON in out.columns and LAT in out.columns:
        has = out.geometry.notna() & ~out.geometry.is_empty
        xs = pd.Series(np.nan, index=out.index)
        ys = pd.Series(np.nan, index=out.index)
        xs[has] = out.geometry[has].x
        ys[has] = out.geometry[has].y
        out = out.assign(**{LON: xs.round(7), LAT: ys.round(7)})
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells starting with = + - @ get a leading ``'`` (no formula runs)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            text = series.astype("string")
            risky = text.str.startswith(_FORMULA_START).fillna(False)
            if risky.any():
                out[column] = series.astype(object).where(~risky, "'" + text.astype(object))
    return out


def _tabular(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Geometry as lon/lat (points) or WKT (others); dates as ISO text; formulas neutralised."""
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if LON not in table.columns:
        table["wkt"] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=7)
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]):
            table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "")
        elif isinstance(table[column].dtype, pd.BooleanDtype):
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    return neutralise_formulas(table)


def short_field_names(columns: list[str]) -> dict[str, str]:
    """Unique Shapefile field names of at most 10 characters for ``columns``."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        base = re.sub(r"[^A-Za-z0-9_]", "_", column)[:10] or "field"
        name, i = base, 1
        while name.lower() in used:
            suffix = f"_{i}"
            name, i = base[: 10 - len(suffix)] + suffix, i + 1
        used.add(name.lower())
        out[column] = name
    return out


def _shapefile_zip(frame: gpd.GeoDataFrame, stem: str, info: ExportInfo | None = None) -> bytes:
    names = short_field_names([c for c in frame.columns if c != frame.geometry.name])
    shp = frame.rename(columns=names)
    for column in shp.columns:
        if column == shp.geometry.name:
            continue
        if pd.api.types.is_datetime64_any_dtype(shp[column]):
            shp[column] = shp[column].dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "")
        elif isinstance(shp[column].dtype, pd.BooleanDtype) or shp[column].dtype == bool:
            shp[column] = shp[column].astype("Int64")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.shp"
        pyogrio.write_dataframe(shp, path, encoding="UTF-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(Path(tmp).iterdir()):
                zf.write(part, part.name)
            if not any(p.suffix == ".cpg" for p in Path(tmp).iterdir()):
                zf.writestr(f"{stem}.cpg", "UTF-8")
            mapping = pd.DataFrame({"field": list(names.values()), "column": list(names)})
            zf.writestr("fields.csv", mapping.to_csv(index=False).encode("utf-8-sig"))
            if info is not None:
                zf.writestr("export_info.txt", _info_lines(info).encode("utf-8"))
        return buffer.getvalue()


def _via_file(frame: gpd.GeoDataFrame, driver: str, suffix: str, layer: str, info: ExportInfo | None = None) -> bytes:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.BooleanDtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}{suffix}"
        options = {"layer": layer} if driver == "GPKG" else {}
        if driver == "GPKG" and info is not None:
            options["layer_metadata"] = {f"fengtai_{k}": v for k, v in info.as_dict().items()}
        pyogrio.write_dataframe(out, path, driver=driver, **options)
        payload = path.read_bytes()
    if driver == "GeoJSON" and info is not None:
        # A foreign member of the FeatureCollection (RFC 7946 §6.1): readers keep or ignore it.
        start = payload.index(b"{") + 1
        member = json.dumps({"fengtai_export": info.as_dict()}, ensure_ascii=False)[1:-1].encode("utf-8")
        payload = payload[:start] + b"\n" + member + b"," + payload[start:]
    return payload


def _xlsx(table: pd.DataFrame, layer: str, info: ExportInfo | None) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table.to_excel(writer, index=False, sheet_name=layer[:31])
        if info is not None:
            fields = info.as_dict()
            meta = pd.DataFrame({"key": list(fields), "项目 item": [INFO_LABELS.get(k, k) for k in fields],
                                 "内容 value": list(fields.values())})
            neutralise_formulas(meta).to_excel(writer, index=False, sheet_name="说明 README")
            props = writer.book.properties
            props.creator, props.title = info.user, f"{layer} · {info.watermark}"
            props.description, props.keywords = _info_lines(info), f"personal_data={info.personal_data}"
    return buffer.getvalue()


def to_bytes(frame: gpd.GeoDataFrame, fmt: str, crs_key: str, layer: str, info: ExportInfo | None = None) -> bytes:
    """The file contents of ``frame`` (EPSG:4326) exported as ``fmt`` in ``crs_key``, carrying
    ``info`` (who, when, masked or not) where the format has room for it."""
    _check(fmt, crs_key)
    data = in_crs(frame, crs_key)
    if fmt == "csv":
        return _tabular(data).to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        return _xlsx(_tabular(data), layer, info)
    if fmt == "shp":
        return _shapefile_zip(data, layer, info)
    if fmt == "gpkg":
        return _via_file(data, "GPKG", ".gpkg", layer, info)
    return _via_file(data, "GeoJSON", ".geojson", layer, info)


def file_name(layer: str, filter_slug: str, fmt: str, crs_key: str, day: date | None = None) -> str:
    """``projects_lize_reserve_wgs84_20261127.geojson``: layer, filter, CRS and date."""
    _check(fmt, crs_key)
    slug = re.sub(r"[^\w.-]+", "-", filter_slug, flags=re.UNICODE).strip("-")[:80] or "all"
    stamp = (day or date.today()).strftime("%Y%m%d")
    return f"{layer}_{slug}_{crs_key}_{stamp}{FORMATS[fmt].extension}"
