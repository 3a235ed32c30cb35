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
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio

from dashboard.exports import formats

# The exports' public names in one place for the pages and tests (each is defined in
# formats / tables / xlsx; this module adds the writers).
from dashboard.exports.formats import CRS_CHOICES as CRS_CHOICES  # noqa: E402
from dashboard.exports.formats import CRS_TAGS as CRS_TAGS  # noqa: E402
from dashboard.exports.formats import (
    EXPORT_CRS,
    FORMATS,
    INFO_LABELS,
    SOURCE_CRS,
    ExportError,
    ExportOptions,
    _info_lines,
)
from dashboard.exports.formats import HEADER_MODES as HEADER_MODES  # noqa: E402
from dashboard.exports.formats import TABLE_FORMATS as TABLE_FORMATS  # noqa: E402
from dashboard.exports.formats import WKT as WKT  # noqa: E402
from dashboard.exports.formats import ExportInfo as ExportInfo  # noqa: E402
from dashboard.exports.formats import file_name as file_name  # noqa: E402
from dashboard.exports.formats import fits as fits  # noqa: E402
from dashboard.exports.formats import in_crs as in_crs  # noqa: E402
from dashboard.exports.tables import (
    _date_columns,
    _tabular,
    _xlsx_number_format,
    decimals,
    header_label,
    prepare,
    tabular,
)
from dashboard.exports.tables import enum_kind as enum_kind  # noqa: E402
from dashboard.exports.tables import for_display as for_display  # noqa: E402
from dashboard.exports.tables import neutralise_formulas as neutralise_formulas  # noqa: E402
from dashboard.exports.xlsx import XlsxSheetWriter, _neutral, write_xlsx
from geodata.crs import STORAGE_CRS
from loaders.schema import LAT, LAYERS, LON

# ---------------------------------------------------------------- Shapefile field names
# Every column of every layer a download offers, with its Shapefile name (≤ 10 characters,
# unique within a layer, readable). tests/dashboard/test_export.py checks it covers them all.
SHORT_NAMES: dict[str, str] = {
    # points
    "project_id": "project_id", "name": "name", "status": "status", "level": "level", "industry": "industry",
    "investment_total": "inv_total", "investment_done": "inv_done", "investment_plan_year": "inv_plan_y",
    "start_date": "start",
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
    "need_id": "need_id", "raised_at": "raised", "closed_at": "closed", "summary": "summary",
    "enterprise_name": "ent_name", "station_link": "st_link", "station_m": "station_m", "days_open": "days_open",
    "days_to_close": "days_close", "overdue": "overdue",
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
    "needs": "needs", "needs_open": "nd_open", "needs_closed": "nd_closed", "needs_closure_rate": "nd_close_r",
    "needs_median_days_open": "nd_med_day", "needs_overdue": "nd_overdue", "needs_satisfied": "nd_sat",
    "needs_satisfied_known": "nd_sat_kn", "needs_satisfaction_rate": "nd_sat_rt", "needs_overdue_days": "nd_od_days",
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
        if self.fmt == "xlsx" and not formats.fits("xlsx", self.rows + len(chunk)):
            raise ExportError(f"XLSX holds at most {formats.XLSX_MAX_ROWS:,} rows; this selection has more: "
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
