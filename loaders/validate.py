"""The store's promises, derived from ``loaders.schema`` as pandera schemas and checked before
anything is written.

Input rows are refused one by one in ``clean``/``place`` with reasons for people; this is
the last gate, for the code: a frame that breaks the contract here is a bug, and the
build stops (the previous store stays) rather than write it.

Each declared column gives its checks: dtype (except text, whose in-memory dtype may be
``object`` or ``str``), nullability, uniqueness, allowed values (``enum``), range
(``minimum`` / ``maximum``) and pattern. A few promises span columns; they are listed in
``_ROW_CHECKS``.

pandera costs seconds on a million rows (per check, per column), so each frame first goes
through :func:`_plainly_valid`: the same promises in a few vectorised tests (values that
repeat tested once each). Only when that cannot vouch for the frame does pandera check it,
to pass it or to list every broken promise; a frame is never let through on the fast path
alone unless each of its promises holds.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from loaders.indicators import HOTLINE_FLAGS
from loaders.schema import HOTLINE_MONTHLY, LAYERS, STREET_STATS, ZONE_STATS, Column, Layer


def _checks(col: Column) -> list[pa.Check]:
    checks = []
    if col.enum is not None:
        checks.append(pa.Check.isin(list(col.enum)))
    if col.minimum is not None and col.maximum is not None:
        checks.append(pa.Check.in_range(col.minimum, col.maximum))
    elif col.minimum is not None:
        checks.append(pa.Check.ge(col.minimum))
    elif col.maximum is not None:
        checks.append(pa.Check.le(col.maximum))
    if col.pattern is not None:
        checks.append(pa.Check.str_matches(col.pattern, error=f"{col.name} must match {col.pattern}"))
    if col.is_unique and col.is_nullable:   # (pandera's ``unique`` counts missing values as repeats)
        checks.append(pa.Check(lambda s: s.isna() | ~s.duplicated(keep=False), error=f"{col.name} unique where given"))
    return checks


def _column(col: Column) -> pa.Column:
    # Text is held as ``object`` or pandas' ``str`` depending on where it came from; the store's
    # type round trip makes it ``str`` on reading. Other types are checked exactly.
    dtype = None if col.type == "text" else col.dtype
    return pa.Column(dtype, _checks(col), nullable=col.is_nullable, unique=col.is_unique and not col.is_nullable)


RowPromise = tuple[Callable[[pd.DataFrame], pd.Series], str]


def _stats_promises() -> list[RowPromise]:
    return [(lambda f: f["projects_delayed"] <= f["projects"], "projects_delayed <= projects"),
            (lambda f: f["hotline_located"] <= f["hotline_cases"], "hotline_located <= hotline_cases"),
            *[(lambda f, t=t, k=k: f[t] <= f[k], f"{t} <= {k}") for t, k, _ in HOTLINE_FLAGS.values()]]


# Promises between columns of one row: (test, what it says).
_ROW_PROMISES: dict[str, list[RowPromise]] = {
    ZONE_STATS: _stats_promises(),
    STREET_STATS: _stats_promises(),
    HOTLINE_MONTHLY: [(lambda f, flag=flag: f[f"{flag}_true"] <= f[f"{flag}_known"], f"{flag}_true <= {flag}_known")
                      for flag in HOTLINE_FLAGS],
}
_ROW_CHECKS: dict[str, list[pa.Check]] = {name: [pa.Check(test, error=error) for test, error in promises]
                                          for name, promises in _ROW_PROMISES.items()}


def store_schema(layer: Layer) -> pa.DataFrameSchema:
    """The pandera schema of one declared layer or table (without its geometry)."""
    return pa.DataFrameSchema({c.name: _column(c) for c in layer.store_columns},
                              checks=_ROW_CHECKS.get(layer.name, []),
                              unique=list(layer.unique_together) or None)


STORE_SCHEMAS: dict[str, pa.DataFrameSchema] = {name: store_schema(layer) for name, layer in LAYERS.items()}


def check_store_frame(layer: str, frame: pd.DataFrame) -> None:
    """Raise ``pandera.errors.SchemaErrors`` listing every broken promise of ``layer`` (a layer
    or a table of the store)."""
    schema = STORE_SCHEMAS.get(layer)
    if schema is not None and len(frame) and not _plainly_valid(LAYERS[layer], frame):
        schema.validate(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")), lazy=True)


def _plainly_valid(layer: Layer, frame: pd.DataFrame) -> bool:
    """True when every promise of ``store_schema(layer)`` holds for ``frame`` (checked as pandera
    would: nulls are exempt from a nullable column's value checks); False when one may not hold
    (pandera then decides, and names what is broken)."""
    for col in layer.store_columns:
        if col.name not in frame.columns:
            return False
        values = frame[col.name]
        if col.type != "text" and str(values.dtype) != col.dtype:
            return False
        given = values.notna()
        if not col.is_nullable and not given.all():
            return False
        if col.is_unique and len(pd.unique(values[given])) < int(given.sum()):   # (a hash set: ~5x ``duplicated``)
            return False
        if not _values_valid(col, values[given] if not given.all() else values):
            return False
    if layer.unique_together and frame.duplicated(list(layer.unique_together)).any():
        return False
    for test, _ in _ROW_PROMISES.get(layer.name, []):
        if not np.asarray(test(frame).fillna(False), dtype=bool).all():
            return False
    return True


def _values_valid(col: Column, values: pd.Series) -> bool:
    """The value checks of ``_checks`` (enum, range, pattern) on the given values of a column
    (text tested once per distinct value)."""
    if col.enum is None and col.pattern is None and col.minimum is None and col.maximum is None:
        return True
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        values = pd.Series(pd.unique(values), dtype=values.dtype)
    if col.enum is not None and not values.isin(list(col.enum)).all():
        return False
    try:
        if col.minimum is not None and not bool((values >= col.minimum).all()):
            return False
        if col.maximum is not None and not bool((values <= col.maximum).all()):
            return False
    except TypeError:   # values that do not compare with a number: pandera says what they are
        return False
    if col.pattern is not None:
        matched = values.str.match(col.pattern) if len(values) else pd.Series([], dtype=bool)
        if not bool(matched.fillna(False).all()):
            return False
    return True
