"""The build report: counts per layer, rejects, warnings (the contract's JSON).

A refused row is collected in :class:`Problems` while a step checks column after column,
and becomes a reject (file, row, column, value, reason, reason_en) through
:meth:`Problems.to_rejects`. Anything a person should know but that refuses nothing is a
:class:`Warning`, of one shape whoever raises it; its ``kind`` is a key of
``loaders.schema.WARNING_KINDS``.

Every text for people is given twice, never joined: ``reason`` / ``message`` in Chinese
(the contract's fields) and ``reason_en`` / ``message_en`` in English, with the same facts.
A page shows the one of its language. Values from the files (a name, a code as written)
are quoted “…” in the English texts and stay as written. A missing text in either language
is a programming error: :meth:`Problems.add` and :class:`Warning` raise ValueError at once.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.names import CODE_BY_NAME, UNITS
from loaders.schema import SOURCE_ROW, WARNING_KINDS

REJECT_COLUMNS = ["layer", "file", "row", "column", "value", "reason", "reason_en"]
WARNING_ROWS_CAP = 200  # per layer and kind; the count is always complete


def _missing_text(texts: pd.Series) -> bool:
    """Whether any of ``texts`` is missing or blank."""
    return bool((texts.isna() | texts.astype(str).str.strip().eq("")).any())


def _rows(text: pd.Series | str, mask: pd.Series, as_series: bool = False) -> pd.Series | str:
    """``text`` for the rows of ``mask``: a per-row Series aligned on ``mask``'s index, or one text
    (as a Series over those rows when ``as_series``)."""
    if isinstance(text, pd.Series):
        return text.reindex(mask.index)[mask]
    return pd.Series(text, index=mask.index[mask], dtype=object) if as_series else text


@dataclass
class Problems:
    """Per-row problems collected column by column: the first one names the row's reject."""
    index: pd.Index
    column: pd.Series = field(init=False)
    value: pd.Series = field(init=False)
    reason: pd.Series = field(init=False)
    reason_en: pd.Series = field(init=False)

    def __post_init__(self) -> None:
        self.column = pd.Series(None, index=self.index, dtype=object)
        self.value = pd.Series(None, index=self.index, dtype=object)
        self.reason = pd.Series(None, index=self.index, dtype=object)
        self.reason_en = pd.Series(None, index=self.index, dtype=object)

    def add(self, mask: pd.Series, column: str, values: pd.Series, reason: pd.Series | str,
            reason_en: pd.Series | str) -> None:
        """Refuse the rows of ``mask`` for ``column``: ``values`` as written, the reason in Chinese
        (``reason``) and in English (``reason_en``), each per row (a Series indexed like the
        problems) or one for all. A row refused already keeps its first column and gains this
        reason. Raises ValueError when a refused row has no text in either language (a bug)."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        for name, text in (("reason", reason), ("reason_en", reason_en)):
            given = text.reindex(self.index)[mask] if isinstance(text, pd.Series) else pd.Series([text], dtype=object)
            if _missing_text(given):
                raise ValueError(f"Problems.add({column!r}): no {name} for some refused rows")
        first = mask & self.reason.isna()
        again = mask & self.reason.notna()
        at = np.flatnonzero(first.to_numpy())
        if len(at):   # set by position in NumPy copies (pandas' boolean setitem on a million rows is slow)
            self.column = self._set(self.column, at, column)
            self.value = self._set(self.value, at, self._aligned(values, first).astype(str))
            self.reason = self._set(self.reason, at, self._aligned(reason, first) if isinstance(reason, pd.Series)
                                    else reason)
            self.reason_en = self._set(self.reason_en, at, self._aligned(reason_en, first)
                                       if isinstance(reason_en, pd.Series) else reason_en)
        if again.any():
            self.reason[again] = (self.reason[again] + "；同一行另有问题：" + column + " "
                                  + _rows(reason, again, as_series=True).astype(str))
            self.reason_en[again] = (self.reason_en[again].str.rstrip(".") + "; the same row also has a problem in "
                                     + column + ": " + _rows(reason_en, again, as_series=True).astype(str))

    def _aligned(self, values: pd.Series, mask: pd.Series) -> pd.Series:
        """``values`` (labels of the problems' index) for the rows of ``mask``, in row order."""
        if not values.index.equals(self.index):
            values = values.reindex(self.index)
        return values[mask.to_numpy()]

    def _set(self, series: pd.Series, at: np.ndarray, values: pd.Series | str) -> pd.Series:
        out = series.to_numpy(dtype=object, copy=True)
        out[at] = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
        return pd.Series(out, index=self.index, dtype=object)

    @property
    def rejected(self) -> pd.Series:
        return self.reason.notna()

    def to_rejects(self, layer: str, file: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The rejects (``REJECT_COLUMNS``) of the refused rows. Needs ``frame[source_row]``,
        indexed like the problems."""
        bad = self.rejected
        return pd.DataFrame({"layer": layer, "file": file, "row": frame.loc[bad, SOURCE_ROW].astype(int),
                             "column": self.column[bad], "value": self.value[bad], "reason": self.reason[bad],
                             "reason_en": self.reason_en[bad]},
                            columns=REJECT_COLUMNS)


@dataclass(frozen=True, kw_only=True)
class Warning:  # noqa: A001 - the report's own word; nothing here raises Python warnings
    """Something a person should know about a build that refuses no row.

    ``message`` says it in Chinese, ``message_en`` in English (both required: a warning
    without its English text raises ValueError). ``row`` is the 1-based row as a spreadsheet
    shows it (None when the warning is about a file or many rows); ``count`` how many rows
    it concerns when it stands for several.

    ``geometry_before`` / ``geometry_after`` (optional, None unless set): for a
    ``geometry_repaired`` warning, the polygon as read and as stored after the repair, as
    WKT in EPSG:4326 rounded to 6 decimals (``shapely.to_wkt(rounding_precision=6)``), for
    a before/after picture. Every other warning leaves them None.
    """
    layer: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    kind: str
    message: str
    message_en: str
    count: int | None = None
    geometry_before: str | None = None
    geometry_after: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in WARNING_KINDS:
            raise ValueError(f"warning kind {self.kind!r} is not in schema.WARNING_KINDS; add it there with its "
                             "Chinese and English labels")
        for name in ("message", "message_en"):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{self.kind} warning without its {name}")

    def as_dict(self) -> dict:
        """The report's JSON record (every key, always)."""
        return asdict(self)


def row_warnings(layer: str, file: str, rows: pd.Series, column: str, values: pd.Series,
                 message: str, message_en: str, kind: str) -> list[Warning]:
    """Warnings for some rows: each row up to ``WARNING_ROWS_CAP``, then one with the full count."""
    count = len(rows)
    if count == 0:
        return []
    shown = [Warning(layer=layer, file=file, row=int(r), column=column, value=str(v), kind=kind, message=message,
                     message_en=message_en)
             for r, v in zip(rows.head(WARNING_ROWS_CAP), values.head(WARNING_ROWS_CAP))]
    if count > WARNING_ROWS_CAP:
        shown.append(Warning(layer=layer, file=file, column=column, value="", kind=kind, count=count,
                             message=f"{message}：共 {count} 行，以上列出前 {WARNING_ROWS_CAP} 行",
                             message_en=f"{message_en.rstrip('.')}: {count:,} rows in all, the first "
                                        f"{WARNING_ROWS_CAP} of them listed above."))
    return shown


def new_report(sample_data: bool, source: str, store: str, now: datetime | None = None) -> dict:
    """An empty report; ``built_at`` is ``now`` (the current time when None) in local time, ISO-8601."""
    moment = now or datetime.now(timezone.utc)
    return {"layers": {}, "rejects": [], "warnings": [], "sample_data": sample_data,
            "built_at": moment.astimezone().isoformat(timespec="seconds"),
            "source": source, "store": store}


def add_warnings(report: dict, warnings: list[Warning]) -> None:
    report["warnings"].extend(w.as_dict() for w in warnings)


def add_layer(report: dict, layer: str, file: str, read: int, loaded: int,
              rejects: pd.DataFrame, warnings: list[Warning], seconds: float) -> None:
    """Record one layer; raises AssertionError if a row went missing (a bug, not bad input)."""
    rejected = int(rejects["row"].nunique()) if len(rejects) else 0
    if read != loaded + rejected:
        raise AssertionError(f"{layer}: read {read} != loaded {loaded} + rejected {rejected}")
    report["layers"][layer] = {"file": file, "read": int(read), "loaded": int(loaded),
                               "rejected": rejected, "seconds": round(seconds, 2)}
    records = rejects[REJECT_COLUMNS].sort_values("row").to_dict("records")
    for rec in records:
        rec["row"] = int(rec["row"])
        rec["value"] = None if pd.isna(rec["value"]) else str(rec["value"])
    report["rejects"].extend(records)
    add_warnings(report, warnings)


def write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)


def summary_lines(report: dict) -> list[str]:
    """A few lines for the terminal."""
    lines = []
    for layer, c in report["layers"].items():
        seconds = c.get("seconds") or 0.0
        rate = f"{c['read'] / seconds:>9,.0f} 行/s" if seconds > 0 else ""
        lines.append(f"  {layer:<12} 读取 {c['read']:>9,}  入库 {c['loaded']:>9,}  拒绝 {c['rejected']:>7,}"
                     f"  {seconds:6.1f} s {rate}")
    lines.append(f"  警告 {len(report['warnings'])} 条；拒绝明细 {len(report['rejects'])} 条")
    return lines


_KIND_EN = {"街道": "Subdistrict", "镇": "Town"}


def street_name_en(name: object) -> str:
    """A canonical street's English name for a message (``Youanmen Subdistrict``); any other
    name quoted as written (“…”)."""
    if name in CODE_BY_NAME:
        _, english, kind = UNITS[CODE_BY_NAME[name]]
        return f"{english} {_KIND_EN.get(kind, '')}".strip()
    return f"“{name}”"
