"""Scopes: which areas a signed-in user may see (row-level security, decided here, applied in
:mod:`dashboard.store.data`, the one door to the store).

A user's scopes are ``street:<name>`` and ``zone:<zone_id>`` entries (``python -m
dashboard.users add NAME ... --scope ...``); none means the whole district. The rule:

- a **street** scope shows that street's own figures (its ``street_stats`` row, its ranking
  rows, its warnings and those of its communities, its 12345 months);
- a **zone** scope shows that zone's own figures (its ``zone_stats`` row, its warnings, its
  12345 months);
- a **point** (project, enterprise, station, case) is shown when its street is a scoped
  street or any of its zones is a scoped zone (a point in several zones is in scope if any
  of them is);
- the district's totals stay visible as context (a "全区" figure), never another area's
  breakdown: a street-scoped user sees no zone rows (a zone's figures mix many streets) and
  a zone-scoped user no street rows (a street's figures reach outside the zone).

Pure: no Streamlit, no store.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

SCOPE_PATTERN = re.compile(r"^(street|zone):(.+)$")
ZONE_ID_PATTERN = re.compile(r"^\w{1,64}$")   # as loaders.schema.ZONE_ID_PATTERN (safe in SQL), at most 64


class ScopeError(ValueError):
    """A scope entry that is not ``street:<name>`` or ``zone:<zone_id>``."""


def check(entry: str) -> str:
    """``entry`` stripped, or :class:`ScopeError` with the form it should have."""
    text = str(entry).strip()
    match = SCOPE_PATTERN.match(text)
    if not match or not match.group(2).strip():
        raise ScopeError(f"范围应为 street:<街镇名称> 或 zone:<功能区代码>，而不是 {entry!r} "
                         f"(a scope is street:<name> or zone:<zone_id>)")
    kind, value = match.group(1), match.group(2).strip()
    if kind == "zone" and not ZONE_ID_PATTERN.match(value):
        raise ScopeError(f"功能区代码无效：{value!r}（字母、数字、下划线）(invalid zone_id)")
    if kind == "street" and (len(value) > 64 or not value.isprintable()):
        raise ScopeError(f"街镇名称无效：{value!r} (invalid street name)")
    return f"{kind}:{value}"


@dataclass(frozen=True)
class Scope:
    """The areas a viewer may see; both sets empty = the whole district."""

    streets: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()

    @property
    def whole(self) -> bool:
        return not self.streets and not self.zones

    def label(self) -> str:
        """For the audit log: ``district`` or ``street:A,zone:b`` (sorted)."""
        if self.whole:
            return "district"
        return ",".join([*(f"street:{s}" for s in sorted(self.streets)), *(f"zone:{z}" for z in sorted(self.zones))])

    def allows_zone(self, zone_id: object) -> bool:
        return self.whole or str(zone_id) in self.zones

    def allows_street(self, street: object) -> bool:
        return self.whole or str(street) in self.streets

    # ------------------------------------------------------------ frames
    def zone_rows(self, frame: pd.DataFrame, column: str = "zone_id") -> pd.DataFrame:
        """The rows of a per-zone frame in scope."""
        if self.whole or frame.empty or column not in frame:
            return frame if self.whole or column in frame else frame.iloc[:0]
        return frame[frame[column].astype(str).isin(self.zones)]

    def street_rows(self, frame: pd.DataFrame, column: str = "street") -> pd.DataFrame:
        """The rows of a per-street frame in scope."""
        if self.whole or frame.empty or column not in frame:
            return frame if self.whole or column in frame else frame.iloc[:0]
        return frame[frame[column].astype(str).isin(self.streets)]

    def area_rows(self, frame: pd.DataFrame, level_column: str = "level", key_column: str = "key") -> pd.DataFrame:
        """Rows keyed by (level, key): ``stats_history``, ``hotline_monthly``-like and ``alerts``
        frames. A community's key is ``<street>/<community>``; a project's key is kept only for
        the whole district (its place is judged on the project itself, see :meth:`point_rows`)."""
        if self.whole or frame.empty:
            return frame
        level = frame[level_column].astype(str)
        key = frame[key_column].astype(str)
        street_of = key.str.split("/", n=1).str[0]
        keep = (((level == "zone") & key.isin(self.zones))
                | ((level == "street") & key.isin(self.streets))
                | ((level == "community") & street_of.isin(self.streets)))
        return frame[keep]

    def point_rows(self, frame: pd.DataFrame, id_column: str, members: pd.DataFrame,
                   street_column: str = "street") -> pd.DataFrame:
        """Points in scope: their street is scoped, or any of their zones is (``members``: the
        layer's ``record_id``/``zone_id`` link rows)."""
        if self.whole or frame.empty:
            return frame
        keep = pd.Series(False, index=frame.index)
        if self.streets and street_column in frame:
            keep |= frame[street_column].astype(str).isin(self.streets)
        if self.zones and id_column in frame:
            inside = set(members.loc[members["zone_id"].astype(str).isin(self.zones), "record_id"].astype(str))
            keep |= frame[id_column].astype(str).isin(inside)
        return frame[keep]


WHOLE_DISTRICT = Scope()


def of(entries: Iterable[str]) -> Scope:
    """The scope of a user's ``street:``/``zone:`` entries (invalid entries refuse everything
    rather than open everything: a typo must not widen a scope)."""
    streets, zones = set(), set()
    entries = tuple(entries or ())
    for entry in entries:
        try:
            kind, value = check(entry).split(":", 1)
        except ScopeError:
            return Scope(streets=frozenset({"\x00invalid"}))   # matches no area
        (streets if kind == "street" else zones).add(value)
    return Scope(frozenset(streets), frozenset(zones))
