"""Tables for people: numbers at the precision their unit deserves, headers and labels as the
pages show them (codes beside them), dates as dates, formulas neutralised."""
from __future__ import annotations

from collections.abc import Callable, Mapping

import geopandas as gpd
import pandas as pd
import shapely

from dashboard import i18n
from dashboard.exports.formats import (
    _FORMULA_START,
    COORD_DECIMALS,
    CRS_TAGS,
    EXPORT_CRS,
    HEADER_MODES,
    SOURCE_CRS,
    WKT,
    ExportError,
    in_crs,
)
from loaders.schema import LAT, LAYERS, LON

# ---------------------------------------------------------------- numbers at their precision
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
_LAYER_ENUM_KINDS: dict[tuple[str, str], str] = {("stations", "kind"): "station_kind", ("zones", "kind"): "zone_kind",
                                                 ("needs", "category"): "need_category",
                                                 ("needs", "status"): "need_status",
                                                 ("needs", "station_link"): "station_link"}
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
