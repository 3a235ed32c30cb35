"""Enterprise needs (企业需求清单): placed at their enterprise, linked to a 先丰港, counted.

The ``needs`` layer is read and typed like any layer (``loaders.read``, ``loaders.clean``:
``need_id`` unique, ``raised_at`` required, ``closed_at`` not before it, ``status`` closed
only with a closing date). What is particular to it is here, frames in, new frames out:

- :func:`place_needs`: each need joins its enterprise by ``uscc`` (a need whose USCC matches
  no loaded enterprise is rejected, with the reason); it takes the enterprise's point,
  street and zones, and its name. A need whose enterprise has no point (placed by street
  only) has no point either: it counts for the street, in no zone; nothing is invented.
- :func:`link_stations`: the 先丰港 (stations of kind ``enterprise``) that serves each need:
  the nearest one in the need's street (straight line, ``METRIC_CRS``); when its street has
  none, the nearest one lying in one of the need's zones; else none. A need with no point
  is linked only when its street has exactly one 先丰港 ("nearest" means nothing without a
  point). ``station_link`` says which rule linked it, ``station_m`` the distance.
- :func:`need_state`: open / closed as of a day, days open (open needs: days from
  ``raised_at`` to the day, never below 0), days to close, and ``overdue`` (open for more
  than the limit, ``DEFAULT_OVERDUE_DAYS`` = 30 days, ``--needs-overdue-days``): open 30
  days is not overdue, 31 is.
- :func:`need_values`: the per-need counts ``loaders.indicators`` sums into ``zone_stats`` /
  ``street_stats`` (``needs_open``, ``needs_closed``, ``needs_overdue``, ...);
  :func:`median_days_open` the one figure that is not a sum.
- :func:`needs_breakdown`: per zone, street and station, per category and in all
  (``category`` ``all``): needs, open, closed, overdue, closure rate, median days open,
  satisfaction counts. Only keys with at least one need have rows.
- :func:`needs_monthly`: per zone and street and month (up to ``MAX_MONTHS`` months ending
  with the build's month): needs raised and closed in the month, and open and overdue at
  the month's end (the build's ``as_of`` for its own month), reconstructed from the dates.
- ``loaders.change.needs_overdue_growing``: the alert when a zone's overdue count at month-end
  grew two months running (thresholds in ``loaders/alert_rules.toml``; small numbers never alert).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS, STORAGE_CRS
from loaders.membership import ROW
from loaders.report import Problems
from loaders.schema import (
    LAT,
    LAYERS,
    LON,
    NEED_CATEGORY_LABELS,
    NEEDS_BREAKDOWN,
    NEEDS_MONTHLY,
    PLACEMENT,
    STREET,
    ZONE_IDS,
)

DEFAULT_OVERDUE_DAYS = 30
MAX_MONTHS = 60               # needs_monthly covers at most the last five years
BREAKDOWN_COLUMNS: dict[str, str] = LAYERS[NEEDS_BREAKDOWN].dtypes
MONTHLY_NEEDS_COLUMNS: dict[str, str] = LAYERS[NEEDS_MONTHLY].dtypes
CATEGORIES: tuple[str, ...] = tuple(NEED_CATEGORY_LABELS)
ALL = "all"


# ---------------------------------------------------------------- placing
def place_needs(frame: pd.DataFrame, enterprises: gpd.GeoDataFrame | None,
                enterprise_links: pd.DataFrame | None, layer: str, file: str
                ) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """The cleaned needs (``uscc``, ``source_row``) placed at their enterprise.

    ``enterprises`` is the loaded enterprises layer (uscc, name, street, zone_ids, placement,
    lon, lat, point geometry), ``enterprise_links`` its zone links (``row`` = labels of
    ``enterprises``, ``zone_id``). Returns (placed needs, rejects, zone links of the needs:
    ``row`` = labels of the placed frame, ``zone_id``).
    """
    problems = Problems(frame.index)
    if enterprises is None or len(enterprises) == 0:
        positions = np.full(len(frame), -1)
        reason = "未加载任何企业（缺少 enterprises.* 文件或其中没有可用的行），诉求无法对应到企业"
        reason_en = ("No enterprise is loaded (no enterprises.* file, or no usable row in it), so the need "
                     "cannot be joined to its enterprise.")
    else:
        codes = pd.Index(enterprises["uscc"].astype(str))
        first = ~codes.duplicated(keep="first")   # (unique once cleaned; else the first row decides)
        lookup = pd.Index(codes[first])
        positions = np.flatnonzero(first)[lookup.get_indexer(frame["uscc"].astype(str))]
        positions = np.where(lookup.get_indexer(frame["uscc"].astype(str)) >= 0, positions, -1)
        reason = "统一社会信用代码在已加载的企业中找不到（企业名单中没有，或该企业的行被拒绝）"
        reason_en = ("The unified social credit code matches no loaded enterprise (it is not in the enterprises "
                     "file, or that enterprise's row was rejected).")
    unmatched = pd.Series(positions < 0, index=frame.index)
    problems.add(unmatched, "uscc", frame["uscc"].astype(str), reason, reason_en)
    keep = ~problems.rejected
    kept = frame.loc[keep].copy()
    pos = positions[keep.to_numpy()]
    if len(kept):
        ent = enterprises.iloc[pos]
        kept["enterprise_name"] = ent["name"].to_numpy() if "name" in ent.columns else None
        kept[STREET] = ent[STREET].to_numpy()
        kept[ZONE_IDS] = ent[ZONE_IDS].to_numpy()
        kept[PLACEMENT] = ent[PLACEMENT].to_numpy()
        kept[LON] = ent[LON].to_numpy(float) if LON in ent.columns else np.nan
        kept[LAT] = ent[LAT].to_numpy(float) if LAT in ent.columns else np.nan
        geometry = gpd.GeoSeries(ent.geometry.to_numpy(), index=kept.index, crs=STORAGE_CRS)
        labels = enterprises.index.to_numpy()[pos]
    else:
        for column in ("enterprise_name", STREET, ZONE_IDS, PLACEMENT):
            kept[column] = pd.Series([], dtype=object)
        kept[LON] = kept[LAT] = pd.Series([], dtype=float)
        geometry = gpd.GeoSeries([], index=kept.index, crs=STORAGE_CRS)
        labels = np.array([], dtype=object)
    links = _inherited_links(kept.index, labels, enterprise_links)
    out = gpd.GeoDataFrame(kept, geometry=geometry, crs=STORAGE_CRS)
    return out, problems.to_rejects(layer, file, frame), links


def _inherited_links(index: pd.Index, enterprise_labels: np.ndarray, links: pd.DataFrame | None) -> pd.DataFrame:
    """The needs' zone links: each need (label of ``index``) in the zones of its enterprise
    (``enterprise_labels``, row for row), ordered by need then as the enterprise's links."""
    empty = pd.DataFrame({ROW: pd.Series([], dtype=index.dtype), "zone_id": pd.Series([], dtype=object)})
    if links is None or len(links) == 0 or len(index) == 0:
        return empty
    pairs = pd.DataFrame({"_need": index.to_numpy(), ROW: enterprise_labels, "_order": np.arange(len(index))})
    joined = pairs.merge(links.assign(_zone_order=np.arange(len(links))), on=ROW, how="inner")
    joined = joined.sort_values(["_order", "_zone_order"], kind="stable")
    return pd.DataFrame({ROW: joined["_need"].to_numpy(), "zone_id": joined["zone_id"].to_numpy(dtype=object)})


# ---------------------------------------------------------------- the station link
def _metric_xy(geoms: np.ndarray) -> np.ndarray:
    """(n, 2) metric coordinates of point geometries (NaN where missing)."""
    series = gpd.GeoSeries(geoms, crs=STORAGE_CRS).to_crs(METRIC_CRS)
    values = series.to_numpy()
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    xy = np.full((len(values), 2), np.nan)
    if (~missing).any():
        xy[~missing] = shapely.get_coordinates(values[~missing])
    return xy


def link_stations(needs: gpd.GeoDataFrame, need_links: pd.DataFrame, stations: gpd.GeoDataFrame | None,
                  station_links: pd.DataFrame | None) -> pd.DataFrame:
    """``station_id``, ``station_link`` (street / zone / street_only, None when not linked) and
    ``station_m`` (metres, straight line; NaN without a point) for each need, indexed like
    ``needs``. Needs street, geometry; ``need_links`` (row = labels of ``needs``, zone_id);
    stations station_id, kind, street, geometry, ``station_links`` their zone links (row =
    labels of ``stations``). The rule is the module's (:mod:`loaders.needs`)."""
    n = len(needs)
    station_id = np.full(n, None, dtype=object)
    how = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    out = lambda: pd.DataFrame({"station_id": station_id, "station_link": how, "station_m": dist},  # noqa: E731
                               index=needs.index)
    if stations is None or len(stations) == 0 or n == 0:
        return out()
    ports = stations[stations["kind"].eq("enterprise").fillna(False).to_numpy(bool)]
    ports = ports[~(ports.geometry.isna() | ports.geometry.is_empty).to_numpy()]
    if len(ports) == 0:
        return out()
    port_xy = _metric_xy(ports.geometry.to_numpy())
    port_ids = ports["station_id"].to_numpy(dtype=object)
    port_street = ports[STREET].to_numpy(dtype=object)
    need_xy = _metric_xy(needs.geometry.to_numpy())
    has_point = ~np.isnan(need_xy[:, 0])
    need_street = needs[STREET].to_numpy(dtype=object)

    def nearest(rows: np.ndarray, candidates: np.ndarray) -> None:
        d = np.hypot(need_xy[rows, None, 0] - port_xy[None, candidates, 0],
                     need_xy[rows, None, 1] - port_xy[None, candidates, 1])
        best = d.argmin(axis=1)
        station_id[rows] = port_ids[candidates[best]]
        dist[rows] = d[np.arange(len(rows)), best]

    # 1. the nearest 先丰港 of the need's street (one street at a time: a few dozen streets)
    for street in pd.unique(port_street):
        candidates = np.flatnonzero(port_street == street)
        rows = np.flatnonzero(has_point & (need_street == street))
        for chunk in np.array_split(rows, max(1, len(rows) // 20_000)):
            if len(chunk):
                nearest(chunk, candidates)
                how[chunk] = "street"
    # 2. else the nearest 先丰港 lying in one of the need's zones
    if station_links is not None and len(station_links) and len(need_links):
        port_pos = pd.Index(ports.index).get_indexer(station_links[ROW])
        port_zones = pd.DataFrame({"zone_id": station_links["zone_id"].to_numpy(), "port": port_pos})
        port_zones = port_zones[port_zones["port"] >= 0]
        need_pos = needs.index.get_indexer(need_links[ROW])
        pending = pd.Series(has_point & (how == None), index=range(n))  # noqa: E711 - elementwise
        for zone_id, group in port_zones.groupby("zone_id"):
            rows = np.unique(need_pos[(need_links["zone_id"].to_numpy() == zone_id) & (need_pos >= 0)])
            rows = rows[pending.to_numpy()[rows]] if len(rows) else rows
            if not len(rows):
                continue
            candidates = group["port"].to_numpy()
            before = dist[rows].copy()
            keep_id = station_id[rows].copy()
            nearest(rows, candidates)
            # a need in two zones keeps the nearer of the zones' stations
            better = np.isnan(before) | (dist[rows] < before)
            station_id[rows] = np.where(better, station_id[rows], keep_id)
            dist[rows] = np.where(better, dist[rows], before)
            how[rows] = "zone"
    # 3. a need with no point: its street's 先丰港 when the street has exactly one
    counts = pd.Series(port_street).value_counts()
    single = {s: port_ids[np.flatnonzero(port_street == s)[0]] for s in counts.index[counts.to_numpy() == 1]}
    alone = ~has_point & pd.Series(need_street).isin(list(single)).to_numpy()
    station_id[alone] = [single[s] for s in need_street[alone]]
    how[alone] = "street_only"
    return out()


# ---------------------------------------------------------------- open, closed, days, overdue
def _day(value: object) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai").tz_localize(None)
    return ts.normalize()


def need_state(needs: pd.DataFrame, as_of: object, overdue_days: float = DEFAULT_OVERDUE_DAYS) -> pd.DataFrame:
    """Per need, as of the day ``as_of``: ``open`` / ``closed`` (bool, by ``status``; a need
    without one is closed when it has ``closed_at``), ``days_open`` (Int64: open needs, whole
    days from ``raised_at`` to ``as_of``, 0 when raised later), ``days_to_close`` (Int64:
    closed needs, ``closed_at`` − ``raised_at``), ``overdue`` (open and ``days_open`` >
    ``overdue_days``). Indexed like ``needs``."""
    day = _day(as_of)
    raised = pd.to_datetime(needs["raised_at"], errors="coerce").dt.normalize() if "raised_at" in needs else \
        pd.Series(pd.NaT, index=needs.index)
    closed_at = pd.to_datetime(needs["closed_at"], errors="coerce").dt.normalize() if "closed_at" in needs else \
        pd.Series(pd.NaT, index=needs.index)
    status = needs["status"] if "status" in needs else pd.Series(None, index=needs.index, dtype=object)
    closed = status.eq("closed").fillna(False) | (status.isna() & closed_at.notna())
    is_open = ~closed
    days = (day - raised).dt.days.clip(lower=0)
    days_open = days.where(is_open).astype("Int64")
    days_to_close = (closed_at - raised).dt.days.where(closed).astype("Int64")
    overdue = is_open & (days.fillna(-1) > overdue_days)
    return pd.DataFrame({"open": is_open.to_numpy(bool), "closed": closed.to_numpy(bool), "days_open": days_open,
                         "days_to_close": days_to_close, "overdue": overdue.to_numpy(bool)}, index=needs.index)


def need_values(needs: pd.DataFrame, as_of: object, overdue_days: float = DEFAULT_OVERDUE_DAYS) -> pd.DataFrame:
    """Per-need counts the stats rows sum (positional rows): ``needs``, ``needs_open``,
    ``needs_closed``, ``needs_overdue``, ``needs_satisfied`` / ``needs_satisfied_known``
    (closed needs saying they were satisfied / saying either)."""
    state = need_state(needs, as_of, overdue_days)
    satisfied = needs["satisfied"].astype("boolean") if "satisfied" in needs else \
        pd.Series(pd.NA, index=needs.index, dtype="boolean")
    closed = state["closed"].to_numpy(bool)
    return pd.DataFrame({"needs": np.ones(len(needs), "int64"), "needs_open": state["open"].to_numpy(bool),
                         "needs_closed": closed, "needs_overdue": state["overdue"].to_numpy(bool),
                         "needs_satisfied": closed & satisfied.fillna(False).to_numpy(bool),
                         "needs_satisfied_known": closed & satisfied.notna().to_numpy(bool)})


def median_days_open(days_open: pd.Series, keys: np.ndarray, index: pd.Index) -> pd.Series:
    """Median of the open needs' ``days_open`` per key (``keys`` row for row), over ``index``;
    NaN where a key has no open need."""
    values = pd.Series(pd.to_numeric(days_open, errors="coerce").to_numpy(float))
    frame = pd.DataFrame({"key": keys, "days": values.to_numpy()}).dropna()
    return frame.groupby("key")["days"].median().reindex(index).astype(float)


# ---------------------------------------------------------------- breakdown per category and station
def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.astype(float)
    return a.astype(float) / b.where(b > 0)


def needs_breakdown(needs: pd.DataFrame | None, zone_links: pd.DataFrame, as_of: object,
                    overdue_days: float = DEFAULT_OVERDUE_DAYS) -> pd.DataFrame:
    """One row per (level, key, category) with at least one need: level ``zone`` (via
    ``zone_links``: ``pos`` = row position in ``needs``, ``zone_id``), ``street`` and
    ``station`` (the linked ``station_id``); category each of the needs' categories
    (``other`` for a need without one) and ``all``. Counts as :func:`need_values`."""
    if needs is None or len(needs) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in BREAKDOWN_COLUMNS.items()})
    values = need_values(needs, as_of, overdue_days).astype("int64")
    values["days"] = need_state(needs, as_of, overdue_days)["days_open"].astype("float").to_numpy()
    category = needs["category"].astype(object).where(needs["category"].notna(), "other").to_numpy() \
        if "category" in needs else np.full(len(needs), "other", dtype=object)
    values["category"] = category
    parts = []
    keyed = {"street": (values, needs[STREET].to_numpy(dtype=object))}
    if len(zone_links):
        keyed["zone"] = (values.iloc[zone_links["pos"].to_numpy()].reset_index(drop=True),
                         zone_links["zone_id"].to_numpy(dtype=object))
    if "station_id" in needs:
        linked = needs["station_id"].notna().to_numpy()
        keyed["station"] = (values[linked].reset_index(drop=True), needs["station_id"].to_numpy(dtype=object)[linked])
    for level, (frame, keys) in keyed.items():
        frame = frame.assign(key=keys)
        for cat_frame in (frame, frame.assign(category=ALL)):
            grouped = cat_frame.groupby(["key", "category"], sort=True)
            sums = grouped[["needs", "needs_open", "needs_closed", "needs_overdue", "needs_satisfied",
                            "needs_satisfied_known"]].sum()
            sums["median_days_open"] = grouped["days"].median()
            parts.append(sums.reset_index().assign(level=level))
    out = pd.concat(parts, ignore_index=True).rename(columns={
        "needs_open": "open", "needs_closed": "closed", "needs_overdue": "overdue",
        "needs_satisfied": "satisfied", "needs_satisfied_known": "satisfied_known"})
    out["closure_rate"] = _ratio(out["closed"], out["needs"])
    order = {"zone": 0, "street": 1, "station": 2}
    out = out.sort_values(["level", "key", "category"], key=lambda s: s.map(order) if s.name == "level" else s,
                          kind="stable")
    return out[list(BREAKDOWN_COLUMNS)].astype(BREAKDOWN_COLUMNS).reset_index(drop=True)


# ---------------------------------------------------------------- monthly figures
def needs_monthly(needs: pd.DataFrame | None, zone_links: pd.DataFrame, streets: pd.DataFrame, as_of: object,
                  overdue_days: float = DEFAULT_OVERDUE_DAYS) -> pd.DataFrame:
    """One row per (level, key, month) from the first month a need was raised (at most
    ``MAX_MONTHS`` months back) to ``as_of``'s month, for every zone (``zone_links``: pos,
    zone_id) and street (of ``streets`` ``name``) with at least one need: ``raised`` and
    ``closed`` in the month, ``open_at_end`` and ``overdue_at_end`` at the month's last day
    (``as_of`` in its own month): raised by then and not closed by then (a need marked closed
    without a date stays open), open longer than ``overdue_days`` for overdue."""
    empty = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in MONTHLY_NEEDS_COLUMNS.items()})
    if needs is None or len(needs) == 0:
        return empty
    day = _day(as_of)
    raised = pd.to_datetime(needs["raised_at"], errors="coerce").dt.normalize().to_numpy("datetime64[D]")
    closed_at = pd.to_datetime(needs["closed_at"], errors="coerce").dt.normalize().to_numpy("datetime64[D]")
    status_closed = needs["status"].eq("closed").fillna(False).to_numpy(bool) if "status" in needs else \
        np.zeros(len(needs), bool)
    closed_at = np.where(status_closed | ~np.isnat(closed_at), closed_at, np.datetime64("NaT"))
    valid = ~np.isnat(raised)
    if not valid.any():
        return empty
    last = day.to_period("M")
    first = max(pd.Timestamp(raised[valid].min()).to_period("M"), last - (MAX_MONTHS - 1))
    if first > last:
        return empty
    months = pd.period_range(first, last, freq="M")
    columns = {}
    for month in months:
        start = month.to_timestamp().to_datetime64().astype("datetime64[D]")
        end = min(month.to_timestamp(how="end").normalize(), day).to_datetime64().astype("datetime64[D]")
        after = (month + 1).to_timestamp().to_datetime64().astype("datetime64[D]")
        open_end = valid & (raised <= end) & (np.isnat(closed_at) | (closed_at > end))
        columns[month] = {
            "raised": valid & (raised >= start) & (raised < after),
            "closed": ~np.isnat(closed_at) & (closed_at >= start) & (closed_at < after),
            "open_at_end": open_end,
            "overdue_at_end": open_end & ((end - raised).astype("timedelta64[D]").astype(float) > overdue_days),
        }
    streets_known = set(streets["name"]) if "name" in streets else None
    parts = []
    groups = {"street": (np.arange(len(needs)), needs[STREET].to_numpy(dtype=object))}
    if len(zone_links):
        groups["zone"] = (zone_links["pos"].to_numpy(), zone_links["zone_id"].to_numpy(dtype=object))
    for level, (pos, keys) in groups.items():
        for month, flags in columns.items():
            frame = pd.DataFrame({name: flag[pos].astype("int64") for name, flag in flags.items()})
            sums = frame.groupby(keys, sort=True).sum()
            parts.append(sums.rename_axis("key").reset_index().assign(level=level, month=month.to_timestamp()))
    out = pd.concat(parts, ignore_index=True)
    if streets_known is not None:
        out = out[(out["level"] != "street") | out["key"].isin(streets_known)]
    out = out.sort_values(["level", "key", "month"], key=lambda s: s.map({"zone": 0, "street": 1})
                          if s.name == "level" else s, kind="stable")
    return out[list(MONTHLY_NEEDS_COLUMNS)].astype(MONTHLY_NEEDS_COLUMNS).reset_index(drop=True)
