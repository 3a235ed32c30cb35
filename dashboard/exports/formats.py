"""Download formats and coordinate systems, what a file says about itself (:class:`ExportInfo`),
the options of one export (:class:`ExportOptions`) and the file's name."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

import geopandas as gpd
import numpy as np
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
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx")   # the formats with headers for people
CRS_CHOICES: dict[str, str] = {
    "wgs84": "WGS84 (EPSG:4326)",
    "cgcs2000": "CGCS2000 (EPSG:4490)",
    "gcj02": "GCJ-02（高德 Amap）",
}
_EPSG: dict[str, str] = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "gcj02": STORAGE_CRS}
# What the ``export_crs`` column and the metadata say: the file's own coordinate system.
CRS_TAGS: dict[str, str] = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "gcj02": "GCJ-02"}
HEADER_MODES: tuple[str, ...] = ("labels", "codes")
# Rows an XLSX sheet holds besides its header (Excel's limit is 1,048,576 rows).
XLSX_MAX_ROWS = 1_048_575
_FORMULA_START = ("=", "+", "-", "@")

EXPORT_CRS = "export_crs"
SOURCE_CRS = "source_coord_sys"
WKT = "wkt"
COORD_DECIMALS = 6   # coordinates: 6 decimals (about 0.1 m)


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
    built_at: str = ""      # when the data were built (the build report's ``built_at``)
    headers: str = ""       # ``labels`` or ``codes`` (CSV/XLSX)

    def at_now(self) -> ExportInfo:
        return replace(self, at=datetime.now().astimezone().isoformat(timespec="seconds"))

    @property
    def watermark(self) -> str:
        return f"{self.user} · {self.at[:16].replace('T', ' ')}"

    def as_dict(self) -> dict[str, str]:
        """Every field as text, plus the file's own CRS, the watermark and where the file came from."""
        out = {k: "" if v is None else str(v) for k, v in asdict(self).items()}
        tag = CRS_TAGS.get(self.crs or "", "")
        out[EXPORT_CRS] = tag + (" (tagged EPSG:4326: GCJ-02 has no EPSG code)" if self.crs == "gcj02" else "")
        out["watermark"] = self.watermark
        out["source"] = "丰台“4+4”功能区地理信息看板 Fengtai 4+4 zone dashboard"
        return out


INFO_LABELS: dict[str, str] = {
    "user": "导出人 exported by", "role": "角色 role", "at": "导出时间 exported at", "layer": "图层 layer",
    "filters": "筛选条件 filters", "fmt": "格式 format", "crs": "坐标系 CRS", "rows": "行数 rows",
    "personal_data": "个人信息 personal data (full / masked / omitted / none)", "watermark": "水印 watermark",
    "source": "来源 source", "built_at": "数据时间 data built at", "headers": "表头 headers (labels / codes)",
    EXPORT_CRS: "本文件坐标系 this file's CRS",
}


def _info_lines(info: ExportInfo) -> str:
    return "".join(f"{INFO_LABELS.get(k, k)}: {v}\n" for k, v in info.as_dict().items())


class ExportError(ValueError):
    """An export was asked for in a format or coordinate system that does not exist, or that
    cannot hold the rows (XLSX beyond its row limit)."""


@dataclass(frozen=True)
class ExportOptions:
    """What one export file is: its format, coordinate system and layer; who it is for (``info``,
    the metadata it carries); headers for people (``labels``) or machines (``codes``, CSV/XLSX),
    in which language; and the zone names its labels use. Checked when made."""

    fmt: str
    crs_key: str
    layer: str
    info: ExportInfo | None = None
    headers: str = "codes"
    lang: str = "zh"
    zone_names: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        _check(self.fmt, self.crs_key)
        if self.headers not in HEADER_MODES:
            raise ExportError(f"headers {self.headers!r}: expected one of {', '.join(HEADER_MODES)}")


def _check(fmt: str, crs_key: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not available; expected one of {', '.join(FORMATS)}")
    if crs_key not in CRS_CHOICES:
        raise ExportError(f"coordinate system {crs_key!r} is not available; expected one of {', '.join(CRS_CHOICES)}")


def fits(fmt: str, rows: int) -> bool:
    """False when ``rows`` are more than the format holds (XLSX: :data:`XLSX_MAX_ROWS`)."""
    return fmt != "xlsx" or rows <= XLSX_MAX_ROWS


# ---------------------------------------------------------------- coordinates
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
        has = (out.geometry.notna() & ~out.geometry.is_empty).to_numpy()
        xs = np.full(len(out), np.nan)
        ys = np.full(len(out), np.nan)
        if has.any():
            xs[has] = shapely.get_x(out.geometry.to_numpy()[has])
            ys[has] = shapely.get_y(out.geometry.to_numpy()[has])
        out = out.assign(**{LON: np.round(xs, COORD_DECIMALS), LAT: np.round(ys, COORD_DECIMALS)})
    return out



def file_name(layer: str, filter_slug: str, fmt: str, crs_key: str, built: date | datetime | None = None,
              day: date | None = None) -> str:
    """``hotline_2026-01-01_2026-03-31_parking_data20261128_wgs84.csv``: layer, filter, the date of
    the data (``built``, the build report's ``built_at``; the download day ``dl…`` when unknown) and CRS."""
    _check(fmt, crs_key)
    slug = re.sub(r"[^\w.-]+", "-", filter_slug, flags=re.UNICODE).strip("-")[:80] or "all"
    stamp = f"data{built:%Y%m%d}" if built is not None else f"dl{(day or date.today()):%Y%m%d}"
    return f"{layer}_{slug}_{stamp}_{crs_key}{FORMATS[fmt].extension}"
