"""The store's promises, derived from ``loaders.schema`` as pandera schemas and checked before
anything is written.

Input rows are refused one by one in ``clean``/``place`` with reasons for people; this is
the last gate, for the code: a frame that breaks the contract here is a bug, and the
build stops (the previous store stays) rather than write it.

Each declared column gives its checks: dtype (except text, whose in-memory dtype may be
``object`` or ``str``), nullability, uniqueness, allowed values (``enum``), range
(``minimum`` / ``maximum``) and pattern. A few promises span columns; they are listed in
``_ROW_CHECKS``.
"""
from __future__ import annotations

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


def _stats_checks() -> list[pa.Check]:
    return [pa.Check(lambda f: f["projects_delayed"] <= f["projects"], error="projects_delayed <= projects"),
            pa.Check(lambda f: f["hotline_located"] <= f["hotline_cases"], error="hotline_located <= hotline_cases"),
            *[pa.Check(lambda f, t=t, k=k: f[t] <= f[k], error=f"{t} <= {k}") for t, k, _ in HOTLINE_FLAGS.values()]]


# Promises between columns of one row.
_ROW_CHECKS: dict[str, list[pa.Check]] = {
    ZONE_STATS: _stats_checks(),
    STREET_STATS: _stats_checks(),
    HOTLINE_MONTHLY: [pa.Check(lambda f, flag=flag: f[f"{flag}_true"] <= f[f"{flag}_known"],
                               error=f"{flag}_true <= {flag}_known") for flag in HOTLINE_FLAGS],
}


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
    if schema is not None and len(frame):
        schema.validate(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")), lazy=True)
