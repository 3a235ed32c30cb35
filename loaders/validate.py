"""The store's promises, declared with pandera and checked before anything is written.

Input rows are refused one by one in ``clean``/``place`` with reasons for people; this is
the last gate, for the code: a frame that breaks the contract here is a bug, and the
build stops (the previous store stays) rather than write it.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from loaders.schema import HOTLINE_CATEGORY, INDUSTRY, LEVEL, PLACEMENTS, STATION_KIND, STATION_TIER, STATUS, ZONE_KIND

_ZONE_IDS = pa.Check.str_matches(r"^(|,([a-z0-9_]+,)+)$", error="zone_ids looks like ',lize,hexi,'")


def _enum(values: dict, nullable: bool = True) -> pa.Column:
    return pa.Column(None, pa.Check.isin(list(values)), nullable=nullable)


def _point_columns(id_column: str) -> dict[str, pa.Column]:
    return {
        id_column: pa.Column(None, nullable=False, unique=True),
        "street": pa.Column(None, nullable=False),
        "zone_ids": pa.Column(None, _ZONE_IDS, nullable=False),
        "placement": _enum(PLACEMENTS, nullable=False),
        "lon": pa.Column(float, pa.Check.in_range(115.0, 117.5), nullable=True),
        "lat": pa.Column(float, pa.Check.in_range(39.4, 40.4), nullable=True),
    }


STORE_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "streets": pa.DataFrameSchema({"name": pa.Column(None, unique=True),
                                   "area_km2": pa.Column(float, pa.Check.gt(0))}),
    "zones": pa.DataFrameSchema({"zone_id": pa.Column(None, unique=True), "kind": _enum(ZONE_KIND)}),
    "projects": pa.DataFrameSchema({
        **_point_columns("project_id"),
        "status": _enum(STATUS, nullable=False), "level": _enum(LEVEL), "industry": _enum(INDUSTRY),
        "investment_total": pa.Column(float, pa.Check.ge(0), nullable=True),
    }),
    "enterprises": pa.DataFrameSchema({**_point_columns("uscc"), "industry": _enum(INDUSTRY),
                                       "registered_capital": pa.Column(float, pa.Check.ge(0), nullable=True)}),
    "stations": pa.DataFrameSchema({**_point_columns("station_id"), "kind": _enum(STATION_KIND, nullable=False),
                                    "tier": _enum(STATION_TIER)}),
    "hotline": pa.DataFrameSchema({**_point_columns("case_id"), "category": _enum(HOTLINE_CATEGORY)}),
}


def check_store_frame(layer: str, frame: pd.DataFrame) -> None:
    """Raise ``pandera.errors.SchemaErrors`` listing every broken promise of ``layer``."""
    schema = STORE_SCHEMAS.get(layer)
    if schema is not None and len(frame):
        schema.validate(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")), lazy=True)
