"""Turn text columns into typed values, row by row reasons for every value refused.

Everything here is vectorised over the column (pandas string methods, NumPy); no
per-row Python loops on the large layers. ``clean_layer`` takes a frame of text and
returns a new typed frame plus the rejects; it never mutates its input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geodata.crs import COORD_SYS_ALIASES, COORD_SYSTEMS
from loaders.read import FORMULA_REASON, LayerTable, formula_texts, unit_factor
from loaders.schema import GEOMETRY_INPUT_COLUMNS, INPUT_COLUMNS, SOURCE_ROW, YES_NO, InputColumn

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
REJECT_COLUMNS = ["layer", "file", "row", "column", "value", "reason"]

# Full-width forms that NFKC leaves alone but agencies type as separators.
_PUNCT = str.maketrans({"，": ",", "。": ".", "、": ",", "－": "-", "—": "-", "～": "~", "　": " "})


@dataclass
class Problems:
    """Per-row problems collected column by column: the first one names the row's reject."""
    index: pd.Index
    column: pd.Series = field(init=False)
    value: pd.Series = field(init=False)
    reason: pd.Series = field(init=False)

    def __post_init__(self) -> None:
        self.column = pd.Series(None, index=self.index, dtype=object)
        self.value = pd.Series(None, index=self.index, dtype=object)
        self.reason = pd.Series(None, index=self.index, dtype=object)

    def add(self, mask: pd.Series, column: str, values: pd.Series, reason: pd.Series | str) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        reasons = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=self.index)
        first = mask & self.reason.isna()
        again = mask & self.reason.notna()
        self.column[first] = column
        self.value[first] = values[first].astype(str)
        self.reason[first] = reasons[first]
        if again.any():
            self.reason[again] = self.reason[again] + "；同一行另有问题：" + column + " " + reasons[again].astype(str)

    @property
    def rejected(self) -> pd.Series:
        return self.reason.notna()


@dataclass
class CleanResult:
    frame: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[dict]


def normalise_text(series: pd.Series) -> pd.Series:
    """NFKC (full-width digits, letters and brackets to half-width), trimmed.

    Each distinct value is normalised once (agency columns repeat a few values over
    many rows), and only non-ASCII values need NFKC at all.
    """
    codes, uniques = pd.factorize(series.astype(str), use_na_sentinel=False)
    text = pd.Series(uniques, dtype=str).str.strip()
    wide = ~text.str.isascii()
    if wide.any():
        text[wide] = text[wide].str.normalize("NFKC").str.translate(_PUNCT).str.strip()
    return pd.Series(text.to_numpy()[codes], index=series.index, dtype=str)


def parse_number(series: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Text -> float. Returns (values, per-value unit written after the number, bad mask)."""
    text = normalise_text(series).str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
    unit = pd.Series(None, index=series.index, dtype=object)
    wide = ~text.str.isascii()
    if wide.any():  # only values with Chinese characters can carry a unit such as 万元
        unit[wide] = text[wide].str.extract(r"(亿元|万元|元|亿|万)$", expand=False)
        text = text.copy()
        text[wide] = text[wide].str.replace(r"(亿元|万元|元|亿|万)$", "", regex=True)
    values = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = (text != "") & values.isna()
    unit = unit.replace({"亿": "亿元", "万": "万元"})
    return values.astype(float), unit, bad


def parse_dates(series: pd.Series, with_time: bool = False) -> tuple[pd.Series, pd.Series]:
    """Dates as agencies write them (2024-05-01, 2024/5/1, 2024年5月1日, 2024.5, Excel serials)."""
    text = normalise_text(series)
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
    return _checked_dates(parsed, normalise_text(series), with_time)


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


def parse_enum(series: pd.Series, enum: dict) -> tuple[pd.Series, pd.Series]:
    """Map spellings to canonical values; returns (values, unknown mask)."""
    codes, uniques = pd.factorize(normalise_text(series), use_na_sentinel=False)
    keys = pd.Series(uniques, dtype=object).str.lower().str.replace(r"\s+", " ", regex=True)
    lookup = keys.map(enum_lookup(enum)).to_numpy(dtype=object)
    values = pd.Series(lookup[codes], index=series.index, dtype=object)
    unknown = pd.Series((keys != "").to_numpy()[codes], index=series.index) & values.isna()
    return values, unknown


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


_EMPTY = {
    "number": lambda index: pd.Series(np.nan, index=index, dtype=float),
    "date": lambda index: pd.Series(pd.NaT, index=index, dtype="datetime64[ms]"),
    "datetime": lambda index: pd.Series(pd.NaT, index=index, dtype="datetime64[ms]"),
    "bool": lambda index: pd.Series(pd.NA, index=index, dtype="boolean"),
}


def _labels(enum: dict) -> str:
    return "、".join(str(v[0]) if v else str(k) for k, v in enum.items())


def clean_layer(table: LayerTable, default_coord_sys: str = "wgs84") -> CleanResult:
    """Type every column of ``table.frame`` and collect rejects (needs canonical column names).

    Adds ``coord_sys`` (canonical) and keeps ``source_row`` and any geometry.
    """
    layer, raw = table.layer, table.frame
    columns = INPUT_COLUMNS.get(layer) or GEOMETRY_INPUT_COLUMNS[layer]
    out = pd.DataFrame(index=raw.index)
    problems = Problems(raw.index)
    warnings: list[dict] = []
    for name in dict.fromkeys(name for _, name in table.formulas):  # XLSX formulas with no value
        texts = formula_texts(table, name)  # (said once per row: the first such cell names it)
        problems.add(texts.notna() & ~problems.rejected, name, texts, FORMULA_REASON)
    for col in columns:
        if col.name not in raw.columns:
            # An optional column the file does not have: present and empty, so every
            # store layer has the same columns whatever the agency's file holds.
            if col.kind != "coord":
                out[col.name] = _EMPTY.get(col.kind, lambda n: pd.Series(None, index=n, dtype=object))(raw.index)
            continue
        _clean_column(table, col, raw[col.name], out, problems, warnings)
    if "coord_sys" in INPUT_COLUMNS.get(layer, ()) or layer in INPUT_COLUMNS:
        _clean_coord_sys(raw, out, problems, default_coord_sys)
    if layer == "projects" and {"start_date", "completion_date"} <= set(out.columns):
        early = out["completion_date"] < out["start_date"]
        problems.add(early, "completion_date", raw.get("completion_date", out["completion_date"]),
                     "竣工时间早于开工时间 (completion date before start date)")
    _reject_duplicates(table, columns, out, problems)
    out[SOURCE_ROW] = raw[SOURCE_ROW].to_numpy()
    if "geometry" in raw.columns:
        out["geometry"] = raw["geometry"].to_numpy()
    rejected = problems.rejected
    rejects = pd.DataFrame({
        "layer": layer, "file": table.path.name,
        "row": raw.loc[rejected, SOURCE_ROW].astype(int),
        "column": problems.column[rejected], "value": problems.value[rejected],
        "reason": problems.reason[rejected],
    }, columns=REJECT_COLUMNS)
    return CleanResult(out.loc[~rejected].copy(), rejects, warnings)


def _clean_column(table: LayerTable, col: InputColumn, series: pd.Series, out: pd.DataFrame,
                  problems: Problems, warnings: list[dict]) -> None:
    empty = normalise_text(series) == ""
    if col.required:  # (a formula with no computed value is not a blank: rejected above for it)
        problems.add(empty & formula_texts(table, col.name).isna(), col.name, series,
                     f"必填项“{col.label or col.name}”为空 (required value missing)")
    if col.kind == "text":
        out[col.name] = normalise_text(series).where(~empty, None)
    elif col.kind == "number":
        values, value_units, bad = parse_number(series)
        problems.add(bad, col.name, series, f"“{col.label or col.name}”不是数字 (not a number)")
        factor = unit_factor(table.path, col.name, table.units.get(col.name), col.unit)
        if col.unit and value_units.notna().any():
            per_value = value_units.map(lambda u: unit_factor(table.path, col.name, u, col.unit)
                                        if isinstance(u, str) else factor)
            values = values * per_value.astype(float)
        else:
            values = values * factor
        if col.minimum is not None:
            problems.add(values < col.minimum, col.name, series,
                         f"“{col.label or col.name}”不能小于 {col.minimum:g} (must be ≥ {col.minimum:g})")
        out[col.name] = values
    elif col.kind in ("date", "datetime"):
        values, bad = parse_dates(series, with_time=col.kind == "datetime")
        problems.add(bad, col.name, series,
                     f"“{col.label or col.name}”无法识别为日期，应如 2024-05-01 或 2024年5月1日 (unreadable date)")
        out[col.name] = values
    elif col.kind == "enum":
        values, unknown = parse_enum(series, col.enum)
        problems.add(unknown, col.name, series,
                     f"“{col.label or col.name}”取值无法识别，可选：{_labels(col.enum)} (unknown value)")
        out[col.name] = values
    elif col.kind == "industry":
        values, unknown = parse_enum(series, col.enum)
        if unknown.any():
            for value, count in normalise_text(series[unknown]).value_counts().items():
                warnings.append({"layer": table.layer, "file": table.path.name, "column": col.name,
                                 "value": value, "count": int(count),
                                 "message": f"行业“{value}”不在目录中，按“其他”计 ({count} 行)"})
        out[col.name] = values.where(~unknown, "other")
    elif col.kind == "bool":
        values, unknown = parse_enum(series, YES_NO)
        problems.add(unknown, col.name, series,
                     f"“{col.label or col.name}”应为 是/否 (yes/no)")
        out[col.name] = values.astype("boolean")
    elif col.kind == "uscc":
        codes = normalise_text(series).str.upper()
        expected, well_formed = uscc_check_character(codes)
        problems.add(~well_formed & ~empty, col.name, series,
                     "统一社会信用代码应为18位，由数字和大写字母组成（不含I、O、Z、S、V）(malformed USCC)")
        wrong = well_formed & (codes.str[17] != expected)
        problems.add(wrong, col.name, series,
                     "统一社会信用代码校验位错误：第18位应为“" + expected.fillna("") + "” (wrong check character)")
        out[col.name] = codes.where(~empty, None)
    elif col.kind == "coord":
        values, _units, bad = parse_number(series)
        problems.add(bad, col.name, series, f"“{col.label or col.name}”不是数字 (coordinate is not a number)")
        out[col.name] = values
    else:  # pragma: no cover - schema declares only the kinds above
        raise ValueError(f"unknown column kind {col.kind!r} for {col.name}")


def _clean_coord_sys(raw: pd.DataFrame, out: pd.DataFrame, problems: Problems, default: str) -> None:
    if "coord_sys" not in raw.columns:
        out["coord_sys"] = default
        return
    text = normalise_text(raw["coord_sys"]).str.lower()
    text = text.str.replace(r"\(.*\)$", "", regex=True).str.strip()
    values = text.map(COORD_SYS_ALIASES)
    unknown = (text != "") & values.isna()
    problems.add(unknown, "coord_sys", raw["coord_sys"],
                 "坐标系无法识别，可选：" + "、".join(COORD_SYSTEMS) + " (unknown coordinate system)")
    out["coord_sys"] = values.fillna(default)


def _reject_duplicates(table: LayerTable, columns: tuple[InputColumn, ...], out: pd.DataFrame,
                       problems: Problems) -> None:
    for col in columns:
        if not col.unique or col.name not in out.columns:
            continue
        keys = out[col.name]
        valid = keys.notna() & ~problems.rejected
        dup = pd.Series(False, index=out.index)
        dup[valid] = keys[valid].duplicated(keep="first")  # the first valid row is kept
        if dup.any():
            first_row = (pd.Series(table.frame[SOURCE_ROW].to_numpy(), index=out.index)[valid]
                         .groupby(keys[valid]).first())
            reason = ("与第 " + keys[dup].map(first_row).astype(int).astype(str) + " 行重复（"
                      + (col.label or col.name) + " " + keys[dup].astype(str) + "），保留第一条 (duplicate)")
            problems.add(dup, col.name, table.frame[col.name], reason.reindex(out.index))
