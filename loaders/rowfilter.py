"""One filter, one SQL condition, both stores: the rows of a layer a page or a download needs.

The dashboard never pulls a million hotline cases to keep a few thousand: it describes the
rows it wants (:class:`RowFilter`: zones, streets, a date range, values of a column) and the
store selects them with SQL that SQLite (a GeoPackage, through OGR's attribute filter or
``sqlite3``) and PostgreSQL run alike. Zone membership goes through the ``zone_members``
link table (indexed on ``zone_id``), streets and dates through their attribute indexes.

Values are written into the SQL as quoted literals, never pasted raw: text is checked
against the layer's declared columns and its quotes doubled; dates are formatted from
``datetime.date``. Pure: no store, no Streamlit.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from loaders.membership import check_zone_id
from loaders.schema import LAYERS, POINT_LAYERS, RECORD_ID, STREET, ZONE_MEMBERS


def quote(value: str) -> str:
    """A SQL text literal (standard SQL: quotes doubled; NUL refused)."""
    text = str(value)
    if "\x00" in text:
        raise ValueError("a filter value cannot contain NUL")
    return "'" + text.replace("'", "''") + "'"


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f'"{column}" IN ({", ".join(quote(v) for v in values)})'


@dataclass(frozen=True)
class RowFilter:
    """The rows of one point layer (all of them when every field is empty).

    ``zones`` keeps the rows in any of the zones (the union); ``streets`` the rows of any of
    the streets; ``date_from``/``date_to`` (inclusive days) apply to the layer's date column
    ``date_column``; ``values`` maps a text column to the values it may take.
    ``scope_zones``/``scope_streets`` are the viewer's scope (row-level security,
    :mod:`dashboard.security.scope`): a row is kept when it is in any scoped zone *or* on any
    scoped street; both empty = no limit.
    """

    layer: str
    zones: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    date_column: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    values: Mapping[str, tuple[str, ...]] | tuple[tuple[str, tuple[str, ...]], ...] = ()
    located_only: bool = False
    scope_zones: tuple[str, ...] = ()
    scope_streets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Hashable (a cache key): the value lists become a sorted tuple of (column, values) pairs.
        items = self.values.items() if isinstance(self.values, Mapping) else self.values
        object.__setattr__(self, "values", tuple(sorted((str(c), tuple(str(v) for v in vs)) for c, vs in items)))
        object.__setattr__(self, "zones", tuple(self.zones))
        object.__setattr__(self, "streets", tuple(self.streets))
        object.__setattr__(self, "scope_zones", tuple(sorted(self.scope_zones)))
        object.__setattr__(self, "scope_streets", tuple(sorted(self.scope_streets)))
        if self.layer not in POINT_LAYERS:
            raise ValueError(f"layer must be one of {', '.join(POINT_LAYERS)}, got {self.layer!r}")
        declared = LAYERS[self.layer]
        for z in (*self.zones, *self.scope_zones):
            check_zone_id(z)
        if self.date_column is not None and declared.column(self.date_column).type not in ("date", "datetime"):
            raise ValueError(f"{self.date_column!r} is not a date column of {self.layer}")
        for column, _ in self.values:
            if declared.column(column).type != "text":
                raise ValueError(f"{column!r} is not a text column of {self.layer}")

    @property
    def is_everything(self) -> bool:
        return self.where() is None

    def where(self) -> str | None:
        """The SQL condition (None: every row)."""
        parts: list[str] = []
        if self.zones:
            parts.append(f'"{RECORD_ID[self.layer]}" IN (SELECT record_id FROM "{ZONE_MEMBERS}" '
                         f"WHERE layer = {quote(self.layer)} AND {_in_list('zone_id', self.zones)})")
        if self.streets:
            parts.append(_in_list(STREET, self.streets))
        if self.scope_zones or self.scope_streets:
            either = []
            if self.scope_zones:
                either.append(f'"{RECORD_ID[self.layer]}" IN (SELECT record_id FROM "{ZONE_MEMBERS}" '
                              f"WHERE layer = {quote(self.layer)} AND {_in_list('zone_id', self.scope_zones)})")
            if self.scope_streets:
                either.append(_in_list(STREET, self.scope_streets))
            parts.append("(" + " OR ".join(either) + ")")
        if self.date_column and self.date_from is not None:
            parts.append(f'"{self.date_column}" >= {quote(self.date_from.isoformat())}')
        if self.date_column and self.date_to is not None:
            # the whole last day: before the next one (text in a GeoPackage, timestamp in PostgreSQL)
            parts.append(f'"{self.date_column}" < {quote((self.date_to + timedelta(days=1)).isoformat())}')
        for column, allowed in self.values:
            if allowed:
                parts.append(_in_list(column, tuple(allowed)))
        if self.located_only:
            parts.append('"lon" IS NOT NULL AND "lat" IS NOT NULL')
        return " AND ".join(parts) or None
