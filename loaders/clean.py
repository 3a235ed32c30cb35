"""Turn text columns into typed values, row by row reasons for every value refused.

Everything here is vectorised over the column (pandas string methods, NumPy); no
per-row Python loops on the large layers. ``clean_layer`` takes a frame of text and
returns a new typed frame plus the rejects; it never mutates its input.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geodata.crs import COORD_SYS_ALIASES, COORD_SYSTEMS
from loaders.indicators import as_of_date
from loaders.read import FORMULA_REASON, FORMULA_REASON_EN, LayerTable, formula_texts, unit_factor
from loaders.report import Problems, Warning, row_warnings
from loaders.schema import INPUT_COLUMNS, POINT_LAYERS, SOURCE_ROW, YES_NO, ZONE_ID_PATTERN, Column

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])

# Full-width forms that NFKC leaves alone but agencies type as separators.
_PUNCT = str.maketrans({"，": ",", "。": ".", "、": ",", "－": "-", "—": "-", "～": "~", "　": " "})


@dataclass
class CleanResult:
    frame: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[Warning]


def normalise_text(series: pd.Series) -> pd.Series:
    """NFKC (full-width digits, letters and brackets to half-width), trimmed.

    Each distinct value is normalised once (agency columns repeat a few values over
    many rows), and only non-ASCII values need NFKC at all.
    """
    values = series.astype(str)
    chunks = getattr(values.array, "_pa_array", None)  # pandas' pyarrow-backed str: no copy
    if chunks is None:
        chunks = pa.chunked_array([pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)])
    if pc.all(pc.string_is_ascii(chunks)).as_py() is not False:   # ASCII only (or no value): trimmed is normalised
        text = pd.Series(pc.utf8_trim_whitespace(chunks), dtype="str")
        text.index = series.index
        return text
    encoded = pc.dictionary_encode(chunks.combine_chunks() if chunks.num_chunks != 1 else chunks.chunk(0))
    uniques = pc.utf8_trim_whitespace(encoded.dictionary)
    wide = pc.invert(pc.string_is_ascii(uniques))
    if pc.any(wide).as_py():
        uniques = pa.array([unicodedata.normalize("NFKC", v).translate(_PUNCT).strip() if is_wide else v
                            for v, is_wide in zip(uniques.to_pylist(), wide.to_pylist())], type=pa.large_string())
    text = uniques.take(encoded.indices).to_pandas().astype(str)
    text.index = series.index
    return text


def parse_number(series: pd.Series, text: pd.Series | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Text -> float. Returns (values, per-value unit written after the number, bad mask).

    ``text`` is ``normalise_text(series)`` when the caller has it already."""
    text = normalise_text(series) if text is None else text
    text = text.str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
    unit = pd.Series(None, index=series.index, dtype=object)
    wide = ~text.str.isascii()
    if wide.any():  # only values with Chinese characters can carry a unit such as 万元
        unit[wide] = text[wide].str.extract(r"(亿元|万元|元|亿|万)$", expand=False)
        text = text.copy()
        text[wide] = text[wide].str.replace(r"(亿元|万元|元|亿|万)$", "", regex=True)
    values = _arrow_floats(text)
    if values is None:  # some value is not a plain number: pandas says which, row by row
        values = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = (text != "") & values.isna()
    unit = unit.replace({"亿": "亿元", "万": "万元"})
    return values.astype(float), unit, bad


def _arrow_floats(text: pd.Series) -> pd.Series | None:
    """``text`` as floats ("" -> NaN) by pyarrow's cast, ~10x ``pd.to_numeric`` on a million
    values; None when the column is not pyarrow-backed or any value is not a plain number."""
    chunks = getattr(text.array, "_pa_array", None)
    if chunks is None:
        return None
    try:
        floats = pc.cast(pc.if_else(pc.equal(chunks, ""), pa.scalar(None, chunks.type), chunks), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(floats.to_numpy(), index=text.index, dtype=float)


def parse_dates(series: pd.Series, with_time: bool = False,
                normalised: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Dates as agencies write them (2024-05-01, 2024/5/1, 2024年5月1日, 2024.5, Excel serials).

    ``normalised`` is ``normalise_text(series)`` when the caller has it already."""
    text = normalise_text(series) if normalised is None else normalised
    iso = pd.to_datetime(text.where(text != "", None), errors="coerce", format="ISO8601")
    if iso.notna().sum() == (text != "").sum():
        return _checked_dates(iso, text, with_time)
    # The slow path, only for rows the ISO parser could not read.
    rest = text.where(iso.isna(), "")
    text = (rest.str.replace(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?", r"\1-\2-\3", regex=True)
            .str.replace(r"(\d{4})年(\d{1,2})月$", r"\1-\2-1", regex=True)
            .str.replace(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})", r"\1-\2-\3", regex=True)
            .str.replace(r"^(\d{4})[./-](\d{1,2})$", r"\1-\2-1", regex=True)
            .str.replace(r"^(\d{4})年?$", r"\1-1-1", regex=True))
    serial = text.str.fullmatch(r"\d{5}(\.\d+)?")
    parsed = pd.to_datetime(text.where(~serial & (text != ""), None), errors="coerce", format="mixed")
    if serial.any():
        days = pd.to_numeric(text.where(serial, None), errors="coerce")
        parsed = parsed.fillna(pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D"))
    parsed = parsed.astype("datetime64[ms]").fillna(iso.astype("datetime64[ms]"))
    return _checked_dates(parsed, normalise_text(series) if normalised is None else normalised, with_time)


def _checked_dates(parsed: pd.Series, text: pd.Series, with_time: bool) -> tuple[pd.Series, pd.Series]:
    parsed = parsed.astype("datetime64[ms]")
    out_of_range = parsed.notna() & ((parsed.dt.year < 1949) | (parsed.dt.year > 2100))
    bad = ((text != "") & parsed.isna()) | out_of_range
    parsed = parsed.where(~out_of_range)
    if not with_time:
        parsed = parsed.dt.normalize()
    return parsed, bad


def enum_lookup(enum: dict) -> dict[str, object]:
    table: dict[str, object] = {}
    for value, spellings in enum.items():
        for spelling in (value, *spellings):
            if isinstance(spelling, str):
                table[re.sub(r"\s+", " ", spelling.strip().lower())] = value
    return table


def parse_enum(series: pd.Series, enum: dict, text: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Map spellings to canonical values; returns (values, unknown mask).

    ``text`` is ``normalise_text(series)`` when the caller has it already."""
    codes, lookup, unknown = _enum_codes(series, enum, text)
    return pd.Series(lookup[codes], index=series.index, dtype=object), pd.Series(unknown[codes], index=series.index)


def _enum_codes(series: pd.Series, enum: dict, text: pd.Series | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``parse_enum`` per distinct value: each row's code, and per code the canonical value (missing
    when unknown) and whether it is an unknown spelling (a blank is not)."""
    codes, uniques = pd.factorize(normalise_text(series) if text is None else text, use_na_sentinel=False)
    keys = pd.Series(uniques, dtype=object).str.lower().str.replace(r"\s+", " ", regex=True)
    found = keys.map(enum_lookup(enum))
    lookup = found.to_numpy(dtype=object)
    return codes, lookup, ((keys != "") & found.isna()).to_numpy()


def uscc_check_character(codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The expected 18th character of each code (GB 32100-2015) and a well-formed mask."""
    well_formed = codes.str.fullmatch(f"[{USCC_CHARSET}]{{18}}").fillna(False)
    expected = pd.Series(None, index=codes.index, dtype=object)
    if well_formed.any():
        lookup = np.full(128, -1)
        for i, ch in enumerate(USCC_CHARSET):
            lookup[ord(ch)] = i
        body = codes[well_formed].str[:17].to_numpy().astype("U17")
        points = np.frombuffer(body.tobytes(), dtype=np.uint32).reshape(-1, 17)
        values = lookup[points]
        check = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
        expected[well_formed] = np.array(list(USCC_CHARSET))[check]
    return expected, well_formed


# An optional column the file does not have, by parse kind (text and enums: all None).
EMPTY_COLUMN: dict[str, Callable[[pd.Index], pd.Series]] = {
    "number": lambda index: pd.Series(np.nan, index=index, dtype=float),
    "date": lambda index: pd.Series(pd.NaT, index=index, dtype="datetime64[ms]"),
    "datetime": lambda index: pd.Series(pd.NaT, index=index, dtype="datetime64[ms]"),
    "bool": lambda index: pd.Series(pd.NA, index=index, dtype="boolean"),
}


def _empty_column(col: Column, index: pd.Index) -> pd.Series:
    return EMPTY_COLUMN.get(col.kind, lambda n: pd.Series(None, index=n, dtype=object))(index)


def clean_layer(table: LayerTable, default_coord_sys: str = "wgs84", as_of: pd.Timestamp | None = None) -> CleanResult:
    """Type every column of ``table.frame`` and collect rejects (needs canonical column names).

    ``as_of`` is the build's date (its ``as_of``, ``loaders.build.build_day``): what is "in the future" for
    rules on dates (``warn_completed_in_future``); None (no build date) skips those rules.

    Adds ``coord_sys`` (canonical) and keeps ``source_row`` and any geometry. A declared
    column the file lacks is added empty (except coordinates, which ``place`` handles), so
    that every store layer has the same columns whatever the agency's file holds.
    """
    layer, raw = table.layer, table.frame
    columns = INPUT_COLUMNS[layer]
    out = pd.DataFrame(index=raw.index)
    problems = Problems(raw.index)
    warnings: list[Warning] = []
    _reject_uncomputed_formulas(table, problems)
    for col in columns:
        if col.name in raw.columns:
            out[col.name], found = _clean_column(table, col, raw[col.name], problems)
            warnings += found
        elif col.kind != "coord":
            out[col.name] = _empty_column(col, raw.index)
    if layer in POINT_LAYERS:
        _clean_coord_sys(raw, out, problems, default_coord_sys)
    if layer == "projects":
        _reject_completion_before_start(raw, out, problems)
    if layer == "needs":
        _check_need_status(raw, out, problems)
    _reject_duplicates(table, columns, out, problems)
    warnings += warn_completed_in_future(table, out, problems, as_of) if layer == "projects" else []
    out[SOURCE_ROW] = raw[SOURCE_ROW].to_numpy()
    if "geometry" in raw.columns:
        out["geometry"] = raw["geometry"].to_numpy()
    rejected = problems.rejected
    kept = out.loc[~rejected].copy() if rejected.any() else out   # (``out`` is this function's own)
    return CleanResult(kept, problems.to_rejects(layer, table.path.name, raw), warnings)


def _reject_uncomputed_formulas(table: LayerTable, problems: Problems) -> None:
    """XLSX cells holding a formula with no computed value (said once per row: the first names it)."""
    for name in dict.fromkeys(name for _, name in table.formulas):
        texts = formula_texts(table, name)
        problems.add(texts.notna() & ~problems.rejected, name, texts, FORMULA_REASON, FORMULA_REASON_EN)


def _reject_completion_before_start(raw: pd.DataFrame, out: pd.DataFrame, problems: Problems) -> None:
    """Needs projects' ``start_date`` and ``completion_date`` (typed, in ``out``)."""
    early = out["completion_date"] < out["start_date"]
    problems.add(early, "completion_date", raw.get("completion_date", out["completion_date"]),
                 "竣工时间早于开工时间", "The completion date is before the start date.")


def _check_need_status(raw: pd.DataFrame, out: pd.DataFrame, problems: Problems) -> None:
    """Enterprise needs (typed ``raised_at``, ``closed_at``, ``status`` in ``out``): a closing date
    before the raising date, a closed need (已办结) without a closing date and an open one (办理中)
    with one are refused; a need with no status is closed when it has a closing date, else open."""
    early = out["closed_at"] < out["raised_at"]
    problems.add(early, "closed_at", raw.get("closed_at", out["closed_at"]),
                 "办结时间早于提出时间", "The closing date is before the date the need was raised.")
    closed, is_open = out["status"].eq("closed").fillna(False), out["status"].eq("open").fillna(False)
    status = raw.get("status", out["status"])
    problems.add(closed & out["closed_at"].isna(), "status", status,
                 "状态为“已办结”但没有填写办结时间", "The status is closed, but no closing date is given.")
    problems.add(is_open & out["closed_at"].notna(), "status", status,
                 "状态为“办理中”却填写了办结时间，请核对状态或办结时间",
                 "The status is open, but a closing date is given; please check the status or the closing date.")
    out["status"] = out["status"].where(out["status"].notna(),
                                        pd.Series(np.where(out["closed_at"].notna(), "closed", "open"),
                                                  index=out.index, dtype=object))


def warn_completed_in_future(table: LayerTable, out: pd.DataFrame, problems: Problems,
                             as_of: pd.Timestamp | None) -> list[Warning]:
    """A completed project (建成) whose completion date is after the build's date ``as_of``
    contradicts itself: one ``completed_in_future`` warning per such row kept (file, row,
    ``completion_date`` as written). The row is loaded: which of the two is wrong is for the
    agency to say. Needs projects' typed ``status`` and ``completion_date`` (in ``out``);
    ``as_of`` None (no build date) warns about nothing, never measured on the wall clock."""
    if as_of is None:
        return []
    on = as_of_date(as_of)
    future = ((out["status"] == "completed") & (out["completion_date"] > on)).fillna(False).astype(bool)
    future &= ~problems.rejected
    raw = table.frame
    return row_warnings(table.layer, table.path.name, raw.loc[future, SOURCE_ROW], "completion_date",
                        raw.get("completion_date", out["completion_date"])[future],
                        f"建成项目的竣工时间晚于数据日期 {on:%Y-%m-%d}，请核对状态或竣工时间",
                        f"The project is completed, but its completion date is after the build date "
                        f"{on:%Y-%m-%d}; please check the status or the completion date.",
                        "completed_in_future")


# ---------------------------------------------------------------- one parser per kind
@dataclass
class Parsed:
    """A column typed by its parser: the values, the rows it refuses (mask, reason in Chinese,
    reason in English) and warnings."""
    values: pd.Series
    refused: list[tuple[pd.Series, pd.Series | str, pd.Series | str]] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)


Parser = Callable[[pd.Series, pd.Series, Column, LayerTable], Parsed]


# What a declared pattern means, for the person whose value does not match it (Chinese, English).
PATTERN_HINTS: dict[str, tuple[str, str]] = {
    ZONE_ID_PATTERN: ("只能由字母、数字和下划线组成", "may hold only letters, digits and underscores")}


def _parse_text(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    """Text as written (normalised); a value not matching the column's ``pattern`` is refused."""
    refused = []
    if col.pattern is not None:
        hint, hint_en = PATTERN_HINTS.get(col.pattern, (f"应符合 {col.pattern}", f"must match {col.pattern}"))
        refused.append(((text != "") & ~text.str.fullmatch(col.pattern), f"“{_label(col)}”{hint}",
                        f"{col.name} {hint_en}."))
    return Parsed(text.where(text != "", None), refused)


def _parse_number(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    """Numbers with units in the header or the cell, converted to ``col.unit``; ``col.minimum`` refused below."""
    values, value_units, bad = parse_number(series, text)
    factor = unit_factor(table.path, col.name, table.units.get(col.name), col.unit)
    if col.unit and value_units.notna().any():
        per_value = value_units.map(lambda u: unit_factor(table.path, col.name, u, col.unit)
                                    if isinstance(u, str) else factor)
        values = values * per_value.astype(float)
    else:
        values = values * factor
    refused = [(bad, f"“{_label(col)}”不是数字", f"{col.name} is not a number.")]
    if col.minimum is not None:
        refused.append((values < col.minimum, f"“{_label(col)}”不能小于 {col.minimum:g}",
                        f"{col.name} cannot be less than {col.minimum:g}."))
    return Parsed(values, refused)


def _parse_date(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    values, bad = parse_dates(series, with_time=col.kind == "datetime", normalised=text)
    return Parsed(values, [(bad, f"“{_label(col)}”无法识别为日期，应如 2024-05-01 或 2024年5月1日",
                            f"{col.name} is not a readable date; write it like 2024-05-01 or 2024/5/1.")])


def _parse_enum(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    values, unknown = parse_enum(series, col.enum, text)
    return Parsed(values, [(unknown, f"“{_label(col)}”取值无法识别，可选：{_labels(col.enum)}",
                            f"{col.name} has a value that is not recognised; allowed: {_labels_en(col.enum)} "
                            "(or their Chinese names).")])


def _parse_industry(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    """Industries outside the catalogue are kept as ``other``, with one warning per value."""
    values, unknown = parse_enum(series, col.enum, text)
    warnings = [Warning(layer=table.layer, file=table.path.name, column=col.name, value=value, count=int(count),
                        kind="industry_unknown",
                        message=f"行业“{value}”不在目录中，按“其他”计（{count} 行）",
                        message_en=f"The industry “{value}” is not in the catalogue and is counted as "
                                   f"“other” ({count:,} {'row' if count == 1 else 'rows'}).")
                for value, count in text[unknown].value_counts().items()]
    return Parsed(values.where(~unknown, "other"), warnings=warnings)


def _parse_bool(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    codes, lookup, unknown_code = _enum_codes(series, YES_NO, text)
    known = ~pd.isna(lookup)
    true = np.zeros(len(lookup), dtype=bool)
    true[known] = lookup[known].astype(bool)
    values = pd.Series(pd.arrays.BooleanArray(true[codes], ~known[codes]), index=series.index)
    unknown = pd.Series(unknown_code[codes], index=series.index)
    return Parsed(values, [(unknown, f"“{_label(col)}”应为 是/否",
                                              f"{col.name} must be yes or no.")])


def _parse_uscc(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    """Unified social credit codes (GB 32100-2015): 18 characters, the last a check character."""
    codes = text.str.upper()
    empty = text == ""
    expected, well_formed = uscc_check_character(codes)
    wrong = well_formed & (codes.str[17] != expected)
    return Parsed(codes.where(~empty, None), [
        (~well_formed & ~empty, "统一社会信用代码应为18位，由数字和大写字母组成（不含I、O、Z、S、V）",
         "The unified social credit code must have 18 characters, digits and capital letters "
         "(without I, O, Z, S or V)."),
        (wrong, "统一社会信用代码校验位错误：第18位应为“" + expected.fillna("") + "”",
         "The unified social credit code has a wrong check character: the 18th character should be “"
         + expected.fillna("") + "”."),
    ])


def _parse_coord(series: pd.Series, text: pd.Series, col: Column, table: LayerTable) -> Parsed:
    """Numbers only: whether the place is plausible, swapped or outside is ``place``'s to say."""
    values, _units, bad = parse_number(series, text)
    return Parsed(values, [(bad, f"“{_label(col)}”不是数字", f"The coordinate {col.name} is not a number.")])


PARSERS: dict[str, Parser] = {
    "text": _parse_text, "number": _parse_number, "date": _parse_date, "datetime": _parse_date,
    "enum": _parse_enum, "industry": _parse_industry, "bool": _parse_bool, "uscc": _parse_uscc,
    "coord": _parse_coord,
}


def _label(col: Column) -> str:
    return col.label or col.name


def _labels(enum: dict) -> str:
    return "、".join(str(v[0]) if v else str(k) for k, v in enum.items())


def _labels_en(enum: dict) -> str:
    return ", ".join(str(k) for k in enum)


def _clean_column(table: LayerTable, col: Column, series: pd.Series,
                  problems: Problems) -> tuple[pd.Series, list[Warning]]:
    """One column typed by the parser of its kind; refused rows go to ``problems``."""
    text = normalise_text(series)
    if col.required:  # (a formula with no computed value is not a blank: rejected above for it)
        problems.add((text == "") & formula_texts(table, col.name).isna(), col.name, series,
                     f"必填项“{_label(col)}”为空", f"The required value {col.name} is missing.")
    parsed = PARSERS[col.kind](series, text, col, table)
    for mask, reason, reason_en in parsed.refused:
        problems.add(mask, col.name, series, reason, reason_en)
    return parsed.values, parsed.warnings


def _clean_coord_sys(raw: pd.DataFrame, out: pd.DataFrame, problems: Problems, default: str) -> None:
    if "coord_sys" not in raw.columns:
        out["coord_sys"] = default
        return
    # each distinct spelling read once (a column of a million rows holds a handful)
    codes, spellings = pd.factorize(raw["coord_sys"].astype(str), use_na_sentinel=False)
    text = normalise_text(pd.Series(spellings, dtype=object)).str.lower()
    text = text.str.replace(r"\(.*\)$", "", regex=True).str.strip()
    found = text.map(COORD_SYS_ALIASES)
    values = pd.Series(found.to_numpy(dtype=object)[codes], index=raw.index, dtype=found.dtype)
    unknown = pd.Series(((text != "") & found.isna()).to_numpy()[codes], index=raw.index)
    problems.add(unknown, "coord_sys", raw["coord_sys"],
                 "坐标系无法识别，可选：" + "、".join(COORD_SYSTEMS),
                 "The coordinate system is not recognised; allowed: " + ", ".join(COORD_SYSTEMS) + ".")
    out["coord_sys"] = values.fillna(default)


def _reject_duplicates(table: LayerTable, columns: tuple[Column, ...], out: pd.DataFrame,
                       problems: Problems) -> None:
    rows = pd.Series(table.frame[SOURCE_ROW].to_numpy(), index=out.index)
    for col in columns:
        if col.is_unique and col.name in out.columns:
            reject_duplicates(problems, out[col.name], rows, col.label or col.name, col.name,
                              table.frame.get(col.name, out[col.name]))


def reject_duplicates(problems: Problems, keys: pd.Series, rows: pd.Series, label: str, label_en: str,
                      values: pd.Series | None = None) -> None:
    """Reject every repeat of a key (the first valid row is kept), naming the row it repeats.

    ``keys`` and ``rows`` (1-based source rows) are indexed like ``problems``; rows already
    rejected, or with no key, neither count as the first nor are called duplicates.
    ``label`` / ``label_en`` name the key in the Chinese / English reason. ``values`` is what the
    reject shows (the key as written; the key itself by default).
    """
    valid = keys.notna() & ~problems.rejected
    dup = pd.Series(False, index=keys.index)
    dup[valid] = _repeats(keys[valid])
    if not dup.any():
        return
    first_row = rows[valid].groupby(keys[valid]).first()
    first = keys[dup].map(first_row).astype(int).astype(str)
    reason = "与第 " + first + " 行重复（" + label + " " + keys[dup].astype(str) + "），保留第一条"
    reason_en = ("A repeat of row " + first + " (" + label_en + " “" + keys[dup].astype(str)
                 + "”); the first one is kept.")
    problems.add(dup, keys.name or label, keys if values is None else values, reason.reindex(keys.index),
                 reason_en.reindex(keys.index))


def _repeats(keys: pd.Series) -> np.ndarray:
    """``keys.duplicated(keep="first")`` by integer codes: ``pd.factorize`` numbers the keys in the
    order they first appear, so a row repeats an earlier one when its code is not above every
    code before it (several times faster than ``duplicated`` on a million text keys)."""
    codes = pd.factorize(keys)[0]
    if len(codes) == 0:
        return np.zeros(0, dtype=bool)
    before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return codes <= before


def community_ids(frame: pd.DataFrame) -> pd.Series:
    """Each community's record id: its ``code`` when given, else ``"{street}/{name}"``.

    Needs ``name``, ``code`` and the canonical ``street`` (so run after placing: the same
    community written 新村地区 or 新村街道 gets one id). Codes are unique by then (clean
    rejects a repeated code), and a code never holds "/", so the two kinds never collide.
    """
    code = frame["code"].astype(object).where(frame["code"].notna() & (frame["code"].astype(str) != ""))
    derived = frame["street"].astype(str) + "/" + frame["name"].astype(str)
    return code.fillna(derived).astype(object).rename("community_id")
