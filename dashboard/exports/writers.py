"""Download formats and coordinate systems for any layer: frames in, files out.

Formats: GeoJSON, GeoPackage, CSV (UTF-8 with BOM, so Excel and WPS read Chinese), XLSX and
a zipped Shapefile (with a ``.cpg`` naming UTF-8, and ``fields.csv`` mapping the declared
10-character field names back to the columns and their Chinese labels). Coordinate systems:
WGS84 (EPSG:4326), CGCS2000 (EPSG:4490) and GCJ-02 for Amap-based tools (no EPSG code exists:
such files are tagged EPSG:4326 and named ``gcj02``). Cells starting with = + - @ are
neutralised in CSV and XLSX.

Files never mislead:

- every file states its **own** coordinate system: the ``export_crs`` column (``EPSG:4326``,
  ``EPSG:4490`` or ``GCJ-02``), the file's metadata and its name; ``lon``/``lat`` follow it. The
  input's ``coord_sys`` (what the agency's file was in, already converted by the build) is
  kept only as the provenance column ``source_coord_sys`` (来源坐标系（已转换）);
- CSV and XLSX come with the headers and labels the pages show (``headers="labels"``: 中文表头与
  取值 in Chinese) with each coded column's codes beside it (``status_code``), or with the
  store's field names and codes (``headers="codes"``, for machines);
- dates are dates (a 12345 case's ``received_at`` a date and time), empty is empty, numbers
  carry the precision their unit deserves (亿元 4 decimals, 万元 2, coordinates 6, rates 3,
  counts and people whole) and XLSX cells are real numbers and dates with number formats.

A file is written chunk by chunk (:class:`FileWriter`), so the same code makes a small file
in memory (:func:`to_bytes`) and a million-row one in a background process
(:mod:`dashboard.exports.job`) from the store's chunks.

Given an :class:`ExportInfo`, a file carries who exported it and when (the watermark), what
was asked for and whether personal data in it are masked: a ``fengtai_export`` member in
GeoJSON, the layer's metadata in GeoPackage (``gpkg_metadata``), a ``说明 README`` sheet and
the document properties in XLSX, ``export_info.txt`` in the Shapefile zip. CSV has no place
for metadata (a header line would break every reader); its download's audit entry says it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from html import escape as html_escape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from dashboard import i18n
from geodata.crs import STORAGE_CRS, from_wgs84
from loaders.schema import LAT, LAYERS, LON


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


# ---------------------------------------------------------------- numbers at their precision
COORD_DECIMALS = 6
# Column -> decimals (0: a whole number, written as an integer); others by unit (亿元 4, 万元 2),
# shares and rates 3, any other decimal number 6 (enough for anything, no float noise).
DECIMALS: dict[str, int] = {
    LON: COORD_DECIMALS, LAT: COORD_DECIMALS,
    "investment_total": 4, "investment_done": 4, "registered_capital": 2,
    "area_km2": 3, "hotline_per_10k": 2, "cases_estimate": 1,
    "population": 0, "community_population": 0, "covered_population": 0,
    "nearest_station_m": 0, "coverage_m": 0,
}
_UNIT_DECIMALS = {"亿元": 4, "万元": 2}
RATE_DECIMALS = 3


def _schema_column(layer: str, column: str):  # noqa: ANN202 - loaders.schema.Column or None
    declared = LAYERS.get(layer)
    if declared is None:
        return None
    try:
        return declared.column(column)
    except KeyError:
        return None


def decimals(layer: str, column: str) -> int:
    """How many decimals a float column of ``layer`` is written with (0: as a whole number)."""
    if column in DECIMALS:
        return DECIMALS[column]
    declared = _schema_column(layer, column)
    if declared is not None and declared.unit in _UNIT_DECIMALS:
        return _UNIT_DECIMALS[declared.unit]
    if column.endswith(("_rate", "_share")) or (declared is not None and declared.maximum == 1):
        return RATE_DECIMALS
    return 6


def _xlsx_number_format(column: str, places: int | None) -> str:
    """The Excel number format of a numeric column (``places`` None: an integer column)."""
    if places is None or places == 0:
        return "0" if column in ("source_row", "days_late") or column.endswith("_id") else "#,##0"
    if column in (LON, LAT):
        return "0." + "0" * places
    if places == 4:   # 亿元: two to four decimals
        return "#,##0.00##"
    return "#,##0." + "0" * places


# ---------------------------------------------------------------- columns: CRS, provenance, numbers
def prepare(frame: gpd.GeoDataFrame, layer: str, crs_key: str) -> gpd.GeoDataFrame:
    """``frame`` (EPSG:4326, store columns) as it goes into any file: in ``crs_key`` with lon/lat
    following it, ``export_crs`` stating it, the input's ``coord_sys`` moved to the provenance
    column ``source_coord_sys``, numbers rounded to their precision (whole numbers as integers)."""
    data = in_crs(frame, crs_key)
    geom = data.geometry.name
    columns = [c for c in data.columns if c != geom]
    out = pd.DataFrame(data[columns], copy=True)
    if "coord_sys" in out.columns:
        out = out.rename(columns={"coord_sys": SOURCE_CRS})
    # export_crs beside the coordinates (after lat, or first for a polygon layer)
    at = list(out.columns).index(LAT) + 1 if LAT in out.columns else len(out.columns)
    out.insert(at, EXPORT_CRS, CRS_TAGS[crs_key])
    if SOURCE_CRS in out.columns:   # provenance with the other source columns, at the end
        source = out.pop(SOURCE_CRS)
        at = list(out.columns).index("source_file") if "source_file" in out.columns else len(out.columns)
        out.insert(at, SOURCE_CRS, source)
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_float_dtype(series.dtype):
            places = decimals(layer, column)
            rounded = series.round(places)
            out[column] = rounded.astype("Int64") if places == 0 else rounded
    return gpd.GeoDataFrame(out, geometry=data.geometry.to_numpy(), crs=data.crs)


# ---------------------------------------------------------------- labels for people
_ENUM_KINDS: dict[str, str] = {   # column -> i18n enum kind (any layer)
    "status": "status", "level": "level", "industry": "industry", "schedule": "schedule",
    "category": "hotline_category", "tier": "station_tier", "placement": "placement", "precision": "precision",
}
_LAYER_ENUM_KINDS: dict[tuple[str, str], str] = {("stations", "kind"): "station_kind", ("zones", "kind"): "zone_kind"}
_ZONE_COLUMNS = ("zone_declared", "zone_ids")
# Labels i18n's enum tables may not carry (the dx_ strings), by kind and code.
_OWN_ENUM_KEYS: dict[str, dict[str, str]] = {
    "placement": {"coordinates": "dx_placement_coordinates", "snapped": "dx_placement_snapped",
                  "street": "dx_placement_street"},
}
_EXTRA_HEADERS = {EXPORT_CRS: "dx_col_export_crs", SOURCE_CRS: "dx_col_source_crs", WKT: "dx_col_wkt"}


def enum_kind(layer: str, column: str) -> str | None:
    """The i18n enum kind of a coded column of ``layer`` (None: not coded)."""
    return _LAYER_ENUM_KINDS.get((layer, column)) or _ENUM_KINDS.get(column)


def value_label(kind: str, code: str, lang: str = "zh") -> str:
    """The label people read for ``code`` (what the pages show)."""
    own = _OWN_ENUM_KEYS.get(kind, {}).get(code)
    label = i18n.enum_label(kind, code, lang)
    if own and label in (code, code.replace("_", " ").capitalize()):
        return i18n.t(own, lang)
    return label


def header_label(layer: str, column: str, lang: str = "zh") -> str:
    """The header a column gets in a labelled CSV/XLSX: the pages' label
    (:func:`dashboard.i18n.labels.column_label`), or the file's own columns' (CRS, WKT)."""
    if column in _EXTRA_HEADERS:
        return i18n.t(_EXTRA_HEADERS[column], lang)
    return i18n.column_label(column, lang, layer)


def _unique_headers(layer: str, columns: list[str], lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    seen: set[str] = set()
    for column in columns:
        label = header_label(layer, column, lang)
        if label in seen:
            label = f"{label} ({column})"
        seen.add(label)
        out[column] = label
    return out


def _map_unique(series: pd.Series, label: Callable[[str], str]) -> pd.Series:
    values = series.dropna().unique()
    mapping = {v: label(str(v)) for v in values}
    return series.astype(object).map(mapping).where(series.notna(), None)


def _labelled(table: pd.DataFrame, layer: str, lang: str,
              zone_names: Mapping[str, str] | None) -> tuple[pd.DataFrame, list[str]]:
    """:func:`labelled`, and for each of its columns the field it was made from."""
    out: dict[str, pd.Series] = {}
    sources: list[str] = []
    yes, no = i18n.t("dx_yes", lang), i18n.t("dx_no", lang)
    sep = i18n.list_sep(lang)
    for column in table.columns:
        series = table[column]
        kind = enum_kind(layer, column)
        if kind is not None or (column in _ZONE_COLUMNS and zone_names):
            if kind is not None:
                out[column] = _map_unique(series, lambda code, k=kind: value_label(k, code, lang))
            else:
                out[column] = _map_unique(series, lambda text: sep.join(
                    zone_names.get(z, z) for z in text.strip(",").split(",") if z))
            out[f"{column}_code"] = series
            sources += [column, f"{column}_code"]
        elif isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
            out[column] = series.astype(object).map({True: yes, False: no}).where(series.notna(), None)
            sources.append(column)
        else:
            out[column] = series
            sources.append(column)
    frame = pd.DataFrame(out, index=table.index)
    return frame.rename(columns=_unique_headers(layer, list(frame.columns), lang)), sources


def labelled(table: pd.DataFrame, layer: str, lang: str = "zh",
             zone_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``table`` with coded values as labels (each coded column's codes kept beside it as
    ``<column>_code``), yes/no as 是/否, and headers as the pages show them."""
    return _labelled(table, layer, lang, zone_names)[0]


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


def _date_columns(layer: str, frame: pd.DataFrame) -> dict[str, str]:
    """Datetime columns -> ``date`` or ``datetime`` (the declared type; else by whether any time is set)."""
    out = {}
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            declared = _schema_column(layer, column)
            if declared is not None and declared.type in ("date", "datetime"):
                out[column] = declared.type
            else:
                values = frame[column].dropna()
                out[column] = "datetime" if len(values) and (values != values.dt.normalize()).any() else "date"
    return out


def _tabular(data: gpd.GeoDataFrame, layer: str, headers: str, lang: str,
             zone_names: Mapping[str, str] | None, dates_as_text: bool) -> tuple[pd.DataFrame, list[str]]:
    if headers not in HEADER_MODES:
        raise ExportError(f"headers {headers!r}: expected one of {', '.join(HEADER_MODES)}")
    table = pd.DataFrame(data.drop(columns=data.geometry.name))
    if LON not in table.columns:
        table.insert(list(table.columns).index(EXPORT_CRS), WKT,
                     shapely.to_wkt(data.geometry.to_numpy(), rounding_precision=COORD_DECIMALS))
    if dates_as_text:
        for column, kind in _date_columns(layer, table).items():
            table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M:%S" if kind == "datetime" else "%Y-%m-%d")
    if headers == "labels":
        table, sources = _labelled(table, layer, lang, zone_names)
    else:
        sources = list(table.columns)
    return neutralise_formulas(table), sources


def tabular(data: gpd.GeoDataFrame, layer: str, headers: str = "codes", lang: str = "zh",
            zone_names: Mapping[str, str] | None = None, dates_as_text: bool = True) -> pd.DataFrame:
    """A prepared frame (:func:`prepare`) as a table: geometry as lon/lat (points) or WKT
    (others), labels or codes, formulas neutralised; dates as ``2024-05-01`` (a date-time
    column ``2024-05-01 14:03:00``), or as dates for a spreadsheet (``dates_as_text`` False)."""
    return _tabular(data, layer, headers, lang, zone_names, dates_as_text)[0]


def for_display(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as text for a preview on screen: numbers as the file writes them, empty as empty
    (never ``None`` or ``nan``)."""
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        series = table[column]
        text = series.astype("string") if not pd.api.types.is_datetime64_any_dtype(series) else \
            series.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
        out[column] = text.fillna("").astype(object)
    return out


# ---------------------------------------------------------------- Shapefile field names
# Every column of every layer a download offers, with its Shapefile name (≤ 10 characters,
# unique within a layer, readable). tests/dashboard/test_export.py checks it covers them all.
SHORT_NAMES: dict[str, str] = {
    # points
    "project_id": "project_id", "name": "name", "status": "status", "level": "level", "industry": "industry",
    "investment_total": "inv_total", "investment_done": "inv_done", "start_date": "start",
    "completion_date": "completion", "planned_start": "plan_start", "planned_completion": "plan_compl",
    LON: "lon", LAT: "lat", EXPORT_CRS: "export_crs", SOURCE_CRS: "src_crs", "street": "street",
    "address": "address", "owner_unit": "owner_unit", "schedule": "schedule", "days_late": "days_late",
    "zone_declared": "zone_decl", "zone_declared_mismatch": "zone_mism", "zone_ids": "zone_ids",
    "placement": "placement", "source_file": "src_file", "source_row": "src_row",
    "uscc": "uscc", "service_package": "svc_pkg", "registered_capital": "reg_cap", "established": "establish",
    "contact_person": "contact", "contact_phone": "contact_ph",
    "station_id": "station_id", "kind": "kind", "tier": "tier", "services": "services", "hours": "hours",
    "phone": "phone",
    "case_id": "case_id", "received_at": "received", "category": "category", "community": "community",
    "responded": "responded", "resolved": "resolved", "satisfied": "satisfied",
    "community_id": "comm_id", "code": "code", "population": "population", "nearest_station_m": "nearest_m",
    "covered": "covered",
    # boundaries
    "name_en": "name_en", "aliases": "aliases", "area_km2": "area_km2", "precision": "precision",
    "source": "source", "zone_id": "zone_id",
    # indicators (zone_stats, street_stats)
    "investment_done_share": "inv_share", "status_reserve": "n_reserve",
    "status_under_construction": "n_building", "status_completed": "n_complete", "projects": "projects",
    "projects_delayed": "n_delayed", "projects_not_started_late": "late_start", "projects_running_late": "late_run",
    "projects_completed_late": "late_compl", "enterprises": "ent_count", "service_package_covered": "svc_cov",
    "service_package_covered_share": "svc_cov_sh", "stations": "stations", "citizen_stations": "citizen_st",
    "enterprise_ports": "ent_ports", "hotline_cases": "hl_cases", "hotline_located": "hl_located",
    "hotline_per_10k": "hl_per_10k", "hotline_response_rate": "hl_resp_rt",
    "hotline_resolution_rate": "hl_reso_rt", "hotline_satisfaction_rate": "hl_sat_rt",
    "hotline_responded": "hl_resp", "hotline_responded_known": "hl_resp_kn", "hotline_resolved": "hl_reso",
    "hotline_resolved_known": "hl_reso_kn", "hotline_satisfied": "hl_sat", "hotline_satisfied_known": "hl_sat_kn",
    "communities": "comm_count", "community_population": "comm_pop", "covered_population": "cov_pop",
    "covered_population_share": "cov_pop_sh", "coverage_m": "coverage_m", "as_of": "as_of",
}
# the same field in the stats layers means a count: its own short name there
_STATS_SHORT = {"service_package": "svc_pkg_n"}


def short_field_names(columns: list[str], layer: str | None = None) -> dict[str, str]:
    """Shapefile field names (≤ 10 characters, unique) for ``columns``: the declared ones of
    :data:`SHORT_NAMES`; a column not declared gets a truncated, numbered name."""
    out: dict[str, str] = {}
    used: set[str] = set()
    stats = layer in ("zone_stats", "street_stats")
    for column in columns:
        declared = (_STATS_SHORT.get(column) if stats else None) or SHORT_NAMES.get(column)
        base = declared or re.sub(r"[^A-Za-z0-9_]", "_", column)[:10] or "field"
        name, i = base, 1
        while name.lower() in used:
            suffix = f"_{i}"
            name, i = base[: 10 - len(suffix)] + suffix, i + 1
        used.add(name.lower())
        out[column] = name
    return out


# ---------------------------------------------------------------- writers
def _text_for_spatial(frame: gpd.GeoDataFrame, layer: str, shapefile: bool) -> gpd.GeoDataFrame:
    """Dates as dates (a date column as a real date field; a date-time one as such, or as text
    in a Shapefile, which has no date-time field), yes/no as integers in a Shapefile."""
    out = frame.copy()
    for column, kind in _date_columns(layer, out).items():
        series = out[column]
        if kind == "date":
            days = series.dt.normalize().astype("datetime64[s]")
            out[column] = pd.Series(pa.array(days.to_numpy(), type=pa.timestamp("s"), from_pandas=True)
                                    .cast(pa.date32()), index=out.index, dtype=pd.ArrowDtype(pa.date32()))
        elif shapefile:
            out[column] = series.dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")
    if shapefile:
        for column in out.columns:
            if column != out.geometry.name and (isinstance(out[column].dtype, pd.BooleanDtype)
                                                or out[column].dtype == bool):
                out[column] = out[column].astype("Int64")
    return out


def _geometry_type(layer: str) -> str:
    declared = LAYERS.get(layer)
    return "MultiPolygon" if declared is None or declared.geometry != "Point" else "Point"


class FileWriter:
    """One export file, written a chunk at a time: ``write(chunk)`` (store columns, EPSG:4326)
    as often as needed, then ``close()``. ``rows`` counts what was written."""

    def __init__(self, path: str | os.PathLike, options: ExportOptions) -> None:
        self.path, self.options = Path(path), options
        self.fmt, self.crs_key, self.layer = options.fmt, options.crs_key, options.layer
        # the metadata states this file's own format and CRS, whatever the caller's info said
        info = options.info
        self.info = replace(info, fmt=self.fmt, crs=self.crs_key) if info is not None else None
        self.headers, self.lang, self.zone_names = options.headers, options.lang, options.zone_names
        self._format = WRITERS[self.fmt]
        self.rows = 0
        self._started = False
        self._closed = False
        self._tmp = Path(tempfile.mkdtemp(prefix="fengtai-write-", dir=self.path.parent))
        self._handle = None
        self._xlsx = None
        self._columns: list[str] | None = None
        self._dates: dict[str, str] = {}

    # -- public
    def write(self, chunk: gpd.GeoDataFrame) -> None:
        if self.fmt == "xlsx" and self.rows + len(chunk) > XLSX_MAX_ROWS:
            raise ExportError(f"XLSX holds at most {XLSX_MAX_ROWS:,} rows; this selection has more: "
                              "choose CSV or GeoPackage")
        data = prepare(chunk, self.layer, self.crs_key)
        self._format.write(self, data)
        self._started = True
        self.rows += len(chunk)

    def close(self) -> None:
        if self._closed:
            return
        try:
            if not self._started:   # no rows at all: still a file with its columns
                self._write_empty()
            self._format.close(self)
        finally:
            self._closed = True
            shutil.rmtree(self._tmp, ignore_errors=True)

    def abort(self) -> None:
        """Give up: close what is open and remove every part written."""
        self._closed = True
        if self._handle is not None:
            self._handle.close()
        shutil.rmtree(self._tmp, ignore_errors=True)
        self.path.unlink(missing_ok=True)

    def _write_empty(self) -> None:
        from loaders.schema import empty_layer
        frame = empty_layer(self.layer) if self.layer in LAYERS and LAYERS[self.layer].geometry else \
            gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=STORAGE_CRS))
        self.write(frame)

    # -- CSV
    def _write_csv(self, data: gpd.GeoDataFrame) -> None:
        table = tabular(data, self.layer, self.headers, self.lang, self.zone_names)
        if self._handle is None:
            self._handle = open(self.path, "w", encoding="utf-8-sig", newline="")
        table.to_csv(self._handle, index=False, header=not self._started)

    def _close_csv(self) -> None:
        if self._handle is not None:
            self._handle.close()

    # -- XLSX
    def _write_xlsx(self, data: gpd.GeoDataFrame) -> None:
        table, sources = _tabular(data, self.layer, self.headers, self.lang, self.zone_names, dates_as_text=False)
        if self._xlsx is None:
            self._dates = _date_columns(self.layer, data)
            self._xlsx = XlsxSheetWriter(self._tmp / "sheet1.xml", [str(c) for c in table.columns])
        sheet = self._xlsx
        cells = []
        for out_name, field in zip(table.columns, sources):
            series = table[out_name]
            if field in self._dates and pd.api.types.is_datetime64_any_dtype(series):
                fmt = "yyyy-mm-dd hh:mm:ss" if self._dates[field] == "datetime" else "yyyy-mm-dd"
                cells.append(sheet.date_cells(series, fmt))
            elif pd.api.types.is_integer_dtype(series.dtype):
                cells.append(sheet.number_cells(series, _xlsx_number_format(field, None)))
            elif pd.api.types.is_float_dtype(series.dtype):
                cells.append(sheet.number_cells(series, _xlsx_number_format(field, decimals(self.layer, field))))
            elif isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
                cells.append(sheet.bool_cells(series))
            else:
                cells.append(sheet.text_cells(series))
        sheet.append(cells)

    def _close_xlsx(self) -> None:
        sheets = [(self.layer[:31], self._xlsx)]
        if self.info is not None:
            fields = self.info.as_dict()
            readme = XlsxSheetWriter(self._tmp / "sheet2.xml", ["key", "项目 item", "内容 value"], widths=[16, 30, 60],
                                     styles=self._xlsx.styles)
            readme.append([readme.text_cells(pd.Series(list(fields))),
                           readme.text_cells(pd.Series([INFO_LABELS.get(k, k) for k in fields])),
                           readme.text_cells(pd.Series([_neutral(v) for v in fields.values()]))])
            sheets.append(("说明 README", readme))
        props = {}
        if self.info is not None:
            props = {"creator": self.info.user, "title": f"{self.layer} · {self.info.watermark}",
                     "description": _info_lines(self.info), "keywords": f"personal_data={self.info.personal_data}"}
        write_xlsx(self.path, sheets, props)

    # -- GeoPackage
    def _write_gpkg(self, data: gpd.GeoDataFrame) -> None:
        out = _text_for_spatial(data, self.layer, shapefile=False)
        options: dict[str, object] = {}
        if not self._started and self.info is not None:
            options["layer_metadata"] = {f"fengtai_{k}": v for k, v in self.info.as_dict().items()}
        pyogrio.write_dataframe(out, self.path, layer=self.layer, driver="GPKG", use_arrow=True,
                                append=self._started, geometry_type=_geometry_type(self.layer), **options)

    def _close_gpkg(self) -> None:
        pass

    # -- GeoJSON: each chunk written by GDAL on its own (its field types from its own columns),
    # its feature lines spliced into one FeatureCollection.
    def _write_geojson(self, data: gpd.GeoDataFrame) -> None:
        out = _text_for_spatial(data, self.layer, shapefile=False)
        part = self._tmp / "part.geojson"
        part.unlink(missing_ok=True)
        pyogrio.write_dataframe(out, part, layer=self.layer, driver="GeoJSON", use_arrow=True,
                                geometry_type=_geometry_type(self.layer))
        with open(part, encoding="utf-8") as src:
            lines = src.read().split("\n")
        start = next(i for i, line in enumerate(lines) if line.startswith('"features"'))
        features = [line.rstrip(",") for line in lines[start + 1:] if line.startswith('{ "type": "Feature"')]
        if self._handle is None:
            self._handle = open(self.path, "w", encoding="utf-8")
            head = "\n".join(lines[: start + 1])
            if self.info is not None:
                # A foreign member of the FeatureCollection (RFC 7946 §6.1): readers keep or ignore it.
                member = json.dumps({"fengtai_export": self.info.as_dict()}, ensure_ascii=False)[1:-1]
                head = head.replace("{", "{\n" + member + ",", 1)
            self._handle.write(head + "\n")
            self._first_feature = True
        for feature in features:
            self._handle.write(("" if self._first_feature else ",\n") + feature)
            self._first_feature = False

    def _close_geojson(self) -> None:
        self._handle.write("\n]\n}\n")
        self._handle.close()

    # -- Shapefile (zipped)
    def _write_shp(self, data: gpd.GeoDataFrame) -> None:
        if self._columns is None:
            self._columns = [c for c in data.columns if c != data.geometry.name]
            self._names = short_field_names(self._columns, self.layer)
        out = _text_for_spatial(data, self.layer, shapefile=True).rename(columns=self._names)
        pyogrio.write_dataframe(out, self._tmp / f"{self.layer}.shp", encoding="UTF-8", use_arrow=True,
                                append=self._started, geometry_type=_geometry_type(self.layer))

    def _close_shp(self) -> None:
        parts = sorted(self._tmp.glob(f"{self.layer}.*"))
        with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in parts:
                zf.write(part, part.name)
            if not any(p.suffix == ".cpg" for p in parts):
                zf.writestr(f"{self.layer}.cpg", "UTF-8")
            mapping = pd.DataFrame({"field": [self._names[c] for c in self._columns], "column": self._columns,
                                    "label": [header_label(self.layer, c, "zh") for c in self._columns]})
            zf.writestr("fields.csv", mapping.to_csv(index=False).encode("utf-8-sig"))
            if self.info is not None:
                zf.writestr("export_info.txt", _info_lines(self.info).encode("utf-8"))


@dataclass(frozen=True)
class FormatWriter:
    """How :class:`FileWriter` writes one format: a chunk, then the end of the file."""

    write: Callable[[FileWriter, gpd.GeoDataFrame], None]
    close: Callable[[FileWriter], None]


# Each format a registered writer (a new format is one entry here and one in FORMATS).
WRITERS: dict[str, FormatWriter] = {
    "csv": FormatWriter(FileWriter._write_csv, FileWriter._close_csv),
    "xlsx": FormatWriter(FileWriter._write_xlsx, FileWriter._close_xlsx),
    "gpkg": FormatWriter(FileWriter._write_gpkg, FileWriter._close_gpkg),
    "geojson": FormatWriter(FileWriter._write_geojson, FileWriter._close_geojson),
    "shp": FormatWriter(FileWriter._write_shp, FileWriter._close_shp),
}
assert set(WRITERS) == set(FORMATS), "every download format needs a registered writer"


_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _xlsx_text(text: str) -> str:
    """Text an XLSX cell can hold (control characters removed)."""
    return _ILLEGAL.sub("", text)


# ---------------------------------------------------------------- XLSX, streamed
# A minimal SpreadsheetML writer: rows go to the sheet's XML file as they come (a million rows
# never sit in memory), cells as whole columns of strings (fast), real numbers and dates with
# number formats, text as inline strings. openpyxl reads it back (and Excel and WPS open it).
_XLSX_EPOCH = np.datetime64("1899-12-30T00:00:00", "ms")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _escape(series: pd.Series) -> pd.Series:
    text = series.astype("string")
    if text.str.contains(r"[&<>]", regex=True).any():
        text = text.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False)
        text = text.str.replace(">", "&gt;", regex=False)
    if text.str.contains(_ILLEGAL.pattern, regex=True).any():
        text = text.str.replace(_ILLEGAL.pattern, "", regex=True)
    return text.astype(object)


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class XlsxStyles:
    """The number formats a workbook's cells use: format text -> cell style index."""

    def __init__(self) -> None:
        self.formats: dict[str, int] = {}

    def index(self, fmt: str) -> int:
        if fmt not in self.formats:
            self.formats[fmt] = len(self.formats) + 2   # 0: plain, 1: header
        return self.formats[fmt]

    def xml(self) -> str:
        builtin = {"0": 1, "#,##0": 3}
        custom = {fmt: 164 + i for i, fmt in enumerate(f for f in self.formats if f not in builtin)}
        num_fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{html_escape(f)}"/>' for f, i in custom.items())
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
               '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>']
        for fmt in self.formats:
            xfs.append(f'<xf numFmtId="{builtin.get(fmt) or custom[fmt]}" fontId="0" fillId="0" borderId="0" '
                       'xfId="0" applyNumberFormat="1"/>')
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
                + (f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>' if custom else "")
                + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
                '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>")


class XlsxSheetWriter:
    """One worksheet's XML, written a chunk of rows at a time; the header row bold and frozen."""

    def __init__(self, path: Path, headers: list[str], widths: list[int] | None = None,
                 styles: XlsxStyles | None = None) -> None:
        self.path, self.styles = path, styles or XlsxStyles()
        self.letters = [_column_letter(i) for i in range(len(headers))]
        self.rows = 1
        self._handle = open(path, "w", encoding="utf-8")
        widths = widths or [min(max(len(h) * 2 + 2, 10), 40) for h in headers]
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        self._handle.write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_RNS}">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")
        head = "".join(f'<c r="{letter}1" s="1" t="inlineStr"><is><t xml:space="preserve">{html_escape(h)}</t></is></c>'
                       for letter, h in zip(self.letters, headers))
        self._handle.write(f'<row r="1">{head}</row>\n')

    # each returns a column of cell bodies ("" for an empty cell): attributes after r, then content
    def number_cells(self, series: pd.Series, fmt: str) -> pd.Series:
        style = self.styles.index(fmt)
        text = series.astype("string").astype(object)
        return (f' s="{style}"><v>' + text + "</v></c>").where(series.notna(), "")

    def date_cells(self, series: pd.Series, fmt: str) -> pd.Series:
        style = self.styles.index(fmt)
        days = (series.to_numpy(dtype="datetime64[ms]") - _XLSX_EPOCH) / np.timedelta64(86_400_000, "ms")
        text = pd.Series(np.round(days, 8), index=series.index).astype("string").astype(object)
        return (f' s="{style}"><v>' + text + "</v></c>").where(series.notna(), "")

    def bool_cells(self, series: pd.Series) -> pd.Series:
        values = series.astype("boolean")
        text = values.map({True: "1", False: "0"}).astype(object)
        return (' t="b"><v>' + text + "</v></c>").where(values.notna(), "")

    def text_cells(self, series: pd.Series) -> pd.Series:
        missing = series.isna()
        text = _escape(series.astype(object).where(~missing, "").astype(str))
        return (' t="inlineStr"><is><t xml:space="preserve">' + text + "</t></is></c>").where(~missing, "")

    def append(self, columns: list[pd.Series]) -> None:
        """Rows made of the cell columns (one per header, all of the same length)."""
        n = len(columns[0]) if columns else 0
        if not n:
            return
        numbers = range(self.rows + 1, self.rows + n + 1)
        cells = [[f'<c r="{letter}{r}"{body}' if body else "" for r, body in zip(numbers, column.tolist())]
                 for letter, column in zip(self.letters, columns)]
        self._handle.write("".join([f'<row r="{r}">' + "".join(parts) + "</row>\n"
                                    for r, *parts in zip(numbers, *cells)]))
        self.rows += n

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.write("</sheetData></worksheet>")
            self._handle.close()


def write_xlsx(path: Path, sheets: list[tuple[str, XlsxSheetWriter]], props: Mapping[str, str]) -> None:
    """Put the written sheets, their styles and the document properties into the XLSX at ``path``."""
    for _name, sheet in sheets:
        sheet.close()
    styles = sheets[0][1].styles
    names = [html_escape(n, quote=True) for n, _ in sheets]
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" xmlns:r="{_RNS}">'
                "<sheets>" + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                                     for i, n in enumerate(names, 1)) + "</sheets></workbook>")
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    workbook_rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}">'
                     + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                               for i in range(1, len(sheets) + 1))
                     + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
                     "</Relationships>")
    root_rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}">'
                 f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                 'metadata/core-properties" Target="docProps/core.xml"/></Relationships>')
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
             f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>'
                       for i in range(1, len(sheets) + 1))
             + '<Override PartName="/docProps/core.xml" '
             'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>')
    fields = "".join(f"<{tag}>{html_escape(_xlsx_text(str(props[key])))}</{tag}>" for key, tag in
                     (("title", "dc:title"), ("creator", "dc:creator"), ("description", "dc:description"),
                      ("keywords", "cp:keywords")) if props.get(key))
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' + fields + "</cp:coreProperties>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("docProps/core.xml", core)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        zf.writestr("xl/styles.xml", styles.xml())
        for i, (_name, sheet) in enumerate(sheets, 1):
            zf.write(sheet.path, f"xl/worksheets/sheet{i}.xml")


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_file(frame: gpd.GeoDataFrame, path: str | os.PathLike, options: ExportOptions) -> int:
    """Write ``frame`` (EPSG:4326) to ``path`` in one go; the rows written."""
    writer = FileWriter(path, options)
    try:
        writer.write(frame)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return writer.rows


def to_bytes(frame: gpd.GeoDataFrame, options: ExportOptions) -> bytes:
    """The file contents of ``frame`` (EPSG:4326) exported as ``options`` say, carrying
    ``options.info`` (who, when, masked or not) where the format has room for it."""
    with tempfile.TemporaryDirectory(prefix="fengtai-export-") as tmp:
        path = Path(tmp) / f"{options.layer}{FORMATS[options.fmt].extension}"
        write_file(frame, path, options)
        return path.read_bytes()


def file_name(layer: str, filter_slug: str, fmt: str, crs_key: str, built: date | datetime | None = None,
              day: date | None = None) -> str:
    """``hotline_2026-01-01_2026-03-31_parking_data20261128_wgs84.csv``: layer, filter, the date of
    the data (``built``, the build report's ``built_at``; the download day ``dl…`` when unknown) and CRS."""
    _check(fmt, crs_key)
    slug = re.sub(r"[^\w.-]+", "-", filter_slug, flags=re.UNICODE).strip("-")[:80] or "all"
    stamp = f"data{built:%Y%m%d}" if built is not None else f"dl{(day or date.today()):%Y%m%d}"
    return f"{layer}_{slug}_{stamp}_{crs_key}{FORMATS[fmt].extension}"
