"""Build-time indicators: one row per zone (``zone_stats``) and per street (``street_stats``).

Frames in, new frames out; inputs are never modified. Everything is vectorised (grouped
sums over per-record value columns, a spatial-index nearest query for coverage), so a
million hotline cases and 100,000 enterprises take a few seconds.

Counting rules (``shared/spec/data-contract.md``, "Indicators"):

- A street counts every record whose ``street`` it is, with or without coordinates.
- A zone counts the records that the link table ``members`` (columns ``layer``,
  ``record_id``, ``zone_id``) puts in it; a record in two zones counts in each, a record
  with no point is in no zone.
- Hotline cases per zone are an estimate (as the dashboard always showed them): a
  street's located cases in the zone are scaled by that street's total / located cases,
  so that cases without coordinates are shared out; a street whose cases all lack
  coordinates contributes nothing to any zone. The 三率 of a zone are over the located
  cases in the zone.
- A rate or share is NaN ("no data") when nothing carries what it is a share of; it is
  never 0 or 1 by default.
- Coverage is a straight-line distance in ``geodata.crs.METRIC_CRS`` (an approximation
  of the 15-minute walk, and to be called one).
"""
from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS, STORAGE_CRS
from loaders.needs import DEFAULT_OVERDUE_DAYS, median_days_open, need_state, need_values
from loaders.schema import (  # RECORD_ID: the ``record_id`` of ``members``, as text
    HOTLINE_MONTHLY,
    LAYERS,
    RECORD_ID,
    SCHEDULE_LABELS,
    STREET,
    ZONE_STATS,
    empty_layer,
)

ZONE_KEY, STREET_KEY = "zone_id", "street"
DEFAULT_COVERAGE_M = 1000.0          # the 15-minute walk, straight line
LOCAL_TZ = "Asia/Shanghai"           # a tz-aware ``as_of`` is read as a Beijing date
MIN_OVERLAP_M2 = 1.0                 # street/zone overlaps smaller than this are boundary noise
UNKNOWN_CATEGORY = "unknown"         # hotline_monthly's category for cases with none

# Project status -> count column; schedule state -> count column.
STATUS_COLUMNS: dict[str, str] = {
    "reserve": "status_reserve", "under_construction": "status_under_construction",
    "completed": "status_completed",
}
SCHEDULES: tuple[str, ...] = tuple(SCHEDULE_LABELS)   # on_track, not_started_late, ... (schema)
SCHEDULE_COLUMNS: dict[str, str] = {
    "not_started_late": "projects_not_started_late", "running_late": "projects_running_late",
    "completed_late": "projects_completed_late",
}
DELAYED_SCHEDULES: tuple[str, ...] = ("not_started_late", "running_late")  # the contract's "delayed"
# Station kind -> count column (先丰站 citizen, 先丰港 enterprise).
STATION_KIND_COLUMNS: dict[str, str] = {"citizen": "citizen_stations", "enterprise": "enterprise_ports"}
# Hotline yes/no field -> (true-count column, known-count column, rate column).
HOTLINE_FLAGS: dict[str, tuple[str, str, str]] = {
    "responded": ("hotline_responded", "hotline_responded_known", "hotline_response_rate"),
    "resolved": ("hotline_resolved", "hotline_resolved_known", "hotline_resolution_rate"),
    "satisfied": ("hotline_satisfied", "hotline_satisfied_known", "hotline_satisfaction_rate"),
}

# Columns of zone_stats / street_stats after the key, in order, and of hotline_monthly, with
# their stored dtype: as ``loaders.schema`` declares them.
STATS_COLUMNS: dict[str, str] = {col: dtype for col, dtype in LAYERS[ZONE_STATS].dtypes.items() if col != ZONE_KEY}
MONTHLY_COLUMNS: dict[str, str] = LAYERS[HOTLINE_MONTHLY].dtypes


# ---------------------------------------------------------------- small helpers
@functools.cache
def _empty(layer: str) -> gpd.GeoDataFrame:
    """An empty point layer for a layer a build does not have (made once: nothing here
    modifies an input frame)."""
    return empty_layer(layer)


def as_of_date(as_of: pd.Timestamp) -> pd.Timestamp:
    """``as_of`` as a naive date (midnight); a tz-aware value is read in Beijing time."""
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(LOCAL_TZ).tz_localize(None)
    return ts.normalize()


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as naive dates (NaT where missing or unreadable, or no column)."""
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    values = pd.to_datetime(frame[column], errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return values.dt.normalize()


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as float64 (NaN where missing, or no such column)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _flag(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(is True, is given) of a yes/no column as two bool arrays; none given without the column."""
    if column not in frame.columns:
        return np.zeros(len(frame), bool), np.zeros(len(frame), bool)
    values = frame[column]
    if str(values.dtype) != "boolean":
        values = values.astype("boolean")
    return values.fillna(False).to_numpy(bool), values.notna().to_numpy(bool)


def _equals(frame: pd.DataFrame, column: str, value: str) -> np.ndarray:
    """Bool array: ``frame[column] == value`` (False where missing, or no such column)."""
    if column not in frame.columns:
        return np.zeros(len(frame), bool)
    return frame[column].eq(value).fillna(False).to_numpy(bool)


def _geometry(frame: pd.DataFrame | None) -> gpd.GeoSeries:
    """The frame's geometry (EPSG:4326 assumed when undeclared); all None for a plain frame."""
    if frame is None:
        return gpd.GeoSeries([], crs=STORAGE_CRS)
    try:
        geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    except AttributeError:  # a GeoDataFrame with no active geometry column
        geoms = None
    if geoms is None:
        return gpd.GeoSeries([None] * len(frame), index=frame.index, crs=STORAGE_CRS)
    return geoms if geoms.crs is not None else geoms.set_crs(STORAGE_CRS)


def _has_point(frame: pd.DataFrame) -> np.ndarray:
    """Bool array: the record has a (non-empty) geometry."""
    geoms = _geometry(frame).to_numpy()
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _metric_points(frame: pd.DataFrame | None) -> np.ndarray:
    """Shapely points in METRIC_CRS, one per row (None where no geometry); a polygon or
    line gives its representative point.
    """
    geoms = np.array(_geometry(frame).to_crs(METRIC_CRS).to_numpy(), dtype=object, copy=True)  # edited below
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    geoms[missing] = None
    other = ~missing & (shapely.get_type_id(geoms) != 0)  # 0: Point
    if other.any():
        geoms[other] = shapely.point_on_surface(geoms[other])
    return geoms


def _nearest_m(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance in metres from each point to the nearest target (both METRIC_CRS arrays,
    None allowed); NaN where the point is None or there is no target. Spatial-index query.
    """
    out = np.full(len(points), np.nan)
    targets = targets[~shapely.is_missing(targets)]
    valid = ~shapely.is_missing(points)
    if len(targets) == 0 or not valid.any():
        return out
    index = gpd.GeoSeries(targets, crs=METRIC_CRS).sindex
    (source, _), distance = index.nearest(points[valid], return_all=False, return_distance=True)
    located = np.flatnonzero(valid)
    out[located[source]] = distance
    return out


def _coverage(points: pd.DataFrame, targets: pd.DataFrame | None, coverage_m: float,
              distance_column: str) -> pd.DataFrame:
    """``distance_column`` (metres to the nearest target) and ``covered`` for each row of
    ``points``; covered is NA when the row has no point, False when there is no target.
    """
    distance = _nearest_m(_metric_points(points), _metric_points(targets))
    has_point = _has_point(points)
    covered = pd.array(np.nan_to_num(distance, nan=np.inf) <= coverage_m, dtype="boolean")
    covered[~has_point] = pd.NA
    return pd.DataFrame({distance_column: distance, "covered": covered}, index=points.index)


def _stations_of_kind(stations: pd.DataFrame | None, kind: str) -> pd.DataFrame | None:
    """The stations of one ``kind`` (citizen 先丰站 / enterprise 先丰港)."""
    if stations is None:
        return None
    return stations[_equals(stations, "kind", kind)]


# ---------------------------------------------------------------- public per-record tables
def project_schedule(projects: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each project against its plan as of ``as_of`` (a date; a tz-aware value is read in
    Beijing time).

    Needs ``status``; uses ``planned_start``, ``planned_completion`` and ``completion_date``
    when present. Returns a new frame indexed like ``projects`` with:

    - ``schedule``: ``not_started_late`` (reserve and planned_start before as_of),
      ``running_late`` (under construction and planned_completion before as_of),
      ``completed_late`` (completed and completion_date after planned_completion),
      ``on_track`` (the plan dates needed are given and none of these holds), or
      ``no_plan`` (a date needed for the comparison is missing, or no known status);
    - ``days_late``: whole days behind (Int64), NA unless the project is late.
    """
    on = as_of_date(as_of)
    start, planned_end = _dates(projects, "planned_start"), _dates(projects, "planned_completion")
    actual_end = _dates(projects, "completion_date")
    reserve = _equals(projects, "status", "reserve")
    running = _equals(projects, "status", "under_construction")
    completed = _equals(projects, "status", "completed")
    not_started_late = reserve & (start < on).to_numpy(bool)
    running_late = running & (planned_end < on).to_numpy(bool)
    completed_late = completed & (actual_end > planned_end).to_numpy(bool)
    planned = ((reserve & start.notna().to_numpy(bool)) | (running & planned_end.notna().to_numpy(bool))
               | (completed & (planned_end.notna() & actual_end.notna()).to_numpy(bool)))
    late = [not_started_late, running_late, completed_late]
    schedule = np.select([*late, planned], ["not_started_late", "running_late", "completed_late", "on_track"],
                         default="no_plan")
    days = np.select(late, [(on - start).dt.days.to_numpy(float), (on - planned_end).dt.days.to_numpy(float),
                            (actual_end - planned_end).dt.days.to_numpy(float)], default=np.nan)
    return pd.DataFrame({"schedule": schedule, "days_late": pd.Series(days, index=projects.index).astype("Int64")},
                        index=projects.index)


def community_coverage(communities: pd.DataFrame, stations: pd.DataFrame | None,
                       coverage_m: float = DEFAULT_COVERAGE_M) -> pd.DataFrame:
    """Straight-line distance from each community to the nearest 先丰站 (stations whose
    ``kind`` is ``citizen``), measured in METRIC_CRS; a polygon community uses its
    representative point.

    Needs the communities' geometry (None when placed by street only) and the stations'
    ``kind`` and geometry. Returns a new frame indexed like ``communities`` with
    ``nearest_station_m`` (float, NaN when the community has no point or there is no
    citizen station with a point) and ``covered`` (nullable boolean: distance ≤
    ``coverage_m``; NA when the community has no point; False when there is no station).
    """
    return _coverage(communities, _stations_of_kind(stations, "citizen"), coverage_m, "nearest_station_m")


def enterprise_port_coverage(enterprises: pd.DataFrame, stations: pd.DataFrame | None,
                             coverage_m: float = DEFAULT_COVERAGE_M) -> pd.DataFrame:
    """As :func:`community_coverage`, for enterprises and 先丰港 (stations of kind
    ``enterprise``). Needs the enterprises' geometry and the stations' ``kind`` and
    geometry; returns ``nearest_port_m`` and ``covered`` indexed like ``enterprises``.
    """
    return _coverage(enterprises, _stations_of_kind(stations, "enterprise"), coverage_m, "nearest_port_m")


# ---------------------------------------------------------------- link table and grouped sums
def _links(frame: pd.DataFrame, members: pd.DataFrame | None, layer: str) -> pd.DataFrame:
    """(pos, zone_id): the row position in ``frame`` of every (record, zone) link of ``layer``.

    Needs ``frame[RECORD_ID[layer]]`` and ``members`` columns layer, record_id, zone_id.
    """
    empty = pd.DataFrame({"pos": np.array([], dtype="int64"), ZONE_KEY: pd.Series([], dtype=object)})
    id_column = RECORD_ID[layer]
    if (members is None or len(frame) == 0 or id_column not in frame.columns
            or not {"layer", "record_id", ZONE_KEY} <= set(members.columns)):
        return empty
    sub = members.loc[members["layer"] == layer, ["record_id", ZONE_KEY]]
    sub = sub[sub[ZONE_KEY].notna()]
    if sub.empty:
        return empty
    ids = pd.Index(frame[id_column].astype(str))
    record = sub["record_id"].astype(str)
    if ids.is_unique:
        pos = _positions(ids, record)
        zone = sub[ZONE_KEY].to_numpy()
    else:  # ids should be unique; if not, every row with the id is linked
        lookup = pd.DataFrame({"record_id": ids, "pos": np.arange(len(ids), dtype="int64")})
        joined = lookup.merge(pd.DataFrame({"record_id": record.to_numpy(), ZONE_KEY: sub[ZONE_KEY].to_numpy()}),
                              on="record_id")
        pos, zone = joined["pos"].to_numpy(), joined[ZONE_KEY].to_numpy()
    # one link per (record, zone), even if the table repeats a row; unknown record ids dropped
    codes, uniques = pd.factorize(zone)
    pair = pd.Series(pos.astype("int64") * max(len(uniques), 1) + codes)
    keep = (pos >= 0) & ~pair.duplicated().to_numpy()
    return pd.DataFrame({"pos": pos[keep].astype("int64"), ZONE_KEY: np.asarray(uniques, dtype=object)[codes[keep]]})


def _positions(ids: pd.Index, values: pd.Series) -> np.ndarray:
    """The position of each of ``values`` in the unique ``ids`` (-1 where absent): Arrow's hash
    lookup, a few times faster than ``Index.get_indexer`` on a million text ids."""
    import pyarrow as pa
    import pyarrow.compute as pc
    found = pc.index_in(pa.array(values, type=pa.string()), value_set=pa.array(ids, type=pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")


def _sum_by_street(values: pd.DataFrame, street: pd.Series, keys: pd.Index) -> pd.DataFrame:
    """Column sums of ``values`` (positional rows) per street, one row per key (0 when none)."""
    sums = values.groupby(street.array, sort=False).sum()
    return sums.reindex(keys, fill_value=0)


def _sum_by_zone(values: pd.DataFrame, links: pd.DataFrame, keys: pd.Index) -> pd.DataFrame:
    """Column sums of ``values`` over each zone's linked rows, one row per key (0 when none)."""
    taken = values.take(links["pos"].to_numpy())
    sums = taken.groupby(links[ZONE_KEY].to_numpy(), sort=False).sum()
    return sums.reindex(keys, fill_value=0)


# ---------------------------------------------------------------- per-record value columns
def _project_values(projects: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per-project values to sum. Needs status, investment_total; uses investment_done,
    investment_plan_year, planned_start, planned_completion, completion_date when present.
    """
    total, done = _numbers(projects, "investment_total"), _numbers(projects, "investment_done")
    plan = _numbers(projects, "investment_plan_year")
    both = (total.notna() & done.notna()).to_numpy()
    schedule = project_schedule(projects, as_of)["schedule"].to_numpy()
    values = {
        "projects": np.ones(len(projects), "int64"),
        "investment_total": total.fillna(0.0).to_numpy(),
        "investment_done": done.fillna(0.0).to_numpy(),
        "_done_given": done.notna().to_numpy(),
        "investment_plan_year": plan.fillna(0.0).to_numpy(),
        "_plan_given": plan.notna().to_numpy(),
        "_both_given": both,
        "_both_total": np.where(both, total.to_numpy(), 0.0),
        "_both_done": np.where(both, done.to_numpy(), 0.0),
        **{column: _equals(projects, "status", status) for status, column in STATUS_COLUMNS.items()},
        **{column: schedule == state for state, column in SCHEDULE_COLUMNS.items()},
        "projects_delayed": np.isin(schedule, DELAYED_SCHEDULES),
    }
    return pd.DataFrame(values)


def _enterprise_values(enterprises: pd.DataFrame, stations: pd.DataFrame | None,
                       coverage_m: float) -> pd.DataFrame:
    """Per-enterprise values to sum. Needs service_package and geometry; the coverage
    columns are computed for service-package enterprises only (stations None: not known).
    """
    package, _ = _flag(enterprises, "service_package")
    covered = np.zeros(len(enterprises), bool)
    evaluable = np.zeros(len(enterprises), bool)
    if stations is not None and package.any():
        sub = enterprises[package]
        cover = enterprise_port_coverage(sub, stations, coverage_m)["covered"]
        covered[package] = cover.fillna(False).to_numpy(bool)
        evaluable[package] = cover.notna().to_numpy(bool)
    return pd.DataFrame({"enterprises": np.ones(len(enterprises), "int64"), "service_package": package,
                         "service_package_covered": covered, "_package_located": evaluable})


def _station_values(stations: pd.DataFrame) -> pd.DataFrame:
    """Per-station values to sum. Needs kind."""
    return pd.DataFrame({"stations": np.ones(len(stations), "int64"),
                         **{column: _equals(stations, "kind", kind) for kind, column in STATION_KIND_COLUMNS.items()}})


def _hotline_factor(hotline: pd.DataFrame, located: np.ndarray) -> pd.Series:
    """Per street: total cases / located cases (0 where no case is located)."""
    street = hotline[STREET]
    total = street.value_counts()
    with_point = street[located].value_counts().reindex(total.index, fill_value=0)
    factor = total / with_point.replace(0, np.nan)
    return factor.fillna(0.0)


def hotline_case_values(hotline: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-case counts a stats row sums (``hotline_cases`` 1, ``hotline_located``, and each
    flag's true / known counts) as arrays in row order. Needs geometry; uses responded,
    resolved, satisfied."""
    values: dict[str, np.ndarray] = {"hotline_cases": np.ones(len(hotline), "int64"),
                                     "hotline_located": _has_point(hotline)}
    for field, (true_column, known_column, _) in HOTLINE_FLAGS.items():
        values[true_column], values[known_column] = _flag(hotline, field)
    return values


def zone_links(frame: pd.DataFrame, members: pd.DataFrame | None, layer: str) -> pd.DataFrame:
    """(pos, zone_id): the row position in ``frame`` of each of its records' zone links."""
    return _links(frame, members, layer)


def _hotline_values(hotline: pd.DataFrame) -> pd.DataFrame:
    """Per-case values to sum. Needs street and geometry; uses responded, resolved, satisfied.

    ``_weight`` is the case's share in the zone estimate (its street's total / located cases).
    """
    values = hotline_case_values(hotline)
    # each street's factor looked up once, then spread to its cases by code (-1, no street: 0)
    codes, streets = pd.factorize(hotline[STREET])
    factor = pd.Series(streets, dtype=object).map(_hotline_factor(hotline, values["hotline_located"]))
    per_street = pd.to_numeric(factor, errors="coerce").fillna(0.0).to_numpy(float)
    values["_weight"] = np.append(per_street, 0.0)[codes]
    return pd.DataFrame(values)


def _community_values(communities: pd.DataFrame, stations: pd.DataFrame | None,
                      coverage_m: float) -> pd.DataFrame:
    """Per-community values to sum. Needs population and geometry (stations None: coverage
    not known).
    """
    population = _numbers(communities, "population")
    known = population.notna().to_numpy()
    pop = population.fillna(0.0).to_numpy()
    if stations is None:
        covered = evaluable = np.zeros(len(communities), bool)
    else:
        cover = community_coverage(communities, stations, coverage_m)["covered"]
        covered, evaluable = cover.fillna(False).to_numpy(bool), cover.notna().to_numpy(bool)
    return pd.DataFrame({"communities": np.ones(len(communities), "int64"), "_population_given": known,
                         "community_population": pop, "covered_population": np.where(covered & known, pop, 0.0),
                         "_coverage_population": np.where(evaluable & known, pop, 0.0)})


# ---------------------------------------------------------------- areas and populations
def _metric_geometry(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The polygons of ``frame`` in METRIC_CRS (made valid), as a shapely array."""
    geoms = np.asarray(_geometry(frame).to_crs(METRIC_CRS).to_numpy(), dtype=object)
    return shapely.make_valid(geoms)


def street_zone_shares(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area share of each street inside each zone, computed in METRIC_CRS.

    Needs zones ``zone_id`` and streets ``name`` with their polygons. Returns columns
    ``zone_id``, ``street``, ``share`` (overlap area / street area), one row per overlap
    of at least MIN_OVERLAP_M2.
    """
    zone_geoms, street_geoms = _metric_geometry(zones), _metric_geometry(streets)
    if len(zone_geoms) == 0 or len(street_geoms) == 0:
        return pd.DataFrame({ZONE_KEY: [], STREET_KEY: [], "share": []})
    zi, si = shapely.STRtree(street_geoms).query(zone_geoms, predicate="intersects")
    overlap = shapely.area(shapely.intersection(zone_geoms[zi], street_geoms[si]))
    keep = overlap >= MIN_OVERLAP_M2
    zi, si, overlap = zi[keep], si[keep], overlap[keep]
    return pd.DataFrame({ZONE_KEY: zones[ZONE_KEY].to_numpy()[zi], STREET_KEY: streets["name"].to_numpy()[si],
                         "share": overlap / shapely.area(street_geoms[si])})


def _street_population(streets: gpd.GeoDataFrame, sums: pd.DataFrame) -> pd.Series:
    """A street's population: its own if given, else the sum of its communities' when every
    one of its communities (at least one) gives a population, else NaN.
    """
    own = _numbers(streets, "population").to_numpy()
    communities = sums["communities"].to_numpy()
    complete = (communities > 0) & (sums["_population_given"].to_numpy() == communities)
    from_communities = np.where(complete, sums["community_population"].to_numpy(float), np.nan)
    return pd.Series(np.where(np.isnan(own), from_communities, own), index=sums.index)


def _zone_population(shares: pd.DataFrame, street_population: pd.Series, keys: pd.Index) -> pd.Series:
    """Area-weighted street population per zone; NaN when a street it overlaps has none."""
    if shares.empty:
        return pd.Series(np.nan, index=keys)
    pop = shares["share"].to_numpy() * shares[STREET_KEY].map(street_population).to_numpy(float)
    frame = pd.DataFrame({ZONE_KEY: shares[ZONE_KEY].to_numpy(), "pop": pop, "unknown": np.isnan(pop)})
    grouped = frame.groupby(ZONE_KEY)
    total = grouped["pop"].sum().where(~grouped["unknown"].any())
    return total.reindex(keys)


# ---------------------------------------------------------------- assembling
def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator as floats, NaN where the denominator is 0 (arrays)."""
    den = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.asarray(numerator, dtype=float) / np.where(den > 0, den, 1.0), np.nan)


def _hotline_columns(sums: pd.DataFrame, cases: np.ndarray, population: np.ndarray) -> dict[str, np.ndarray]:
    """hotline_cases (rounded), the three rates and hotline_per_10k (unrounded cases)."""
    out = {"hotline_cases": np.round(cases), "hotline_per_10k": _ratio(cases * 1e4, population)}
    for _, (true_column, known_column, rate_column) in HOTLINE_FLAGS.items():
        out[rate_column] = _ratio(sums[true_column].to_numpy(), sums[known_column].to_numpy())
    return out


def hotline_figures(sums: pd.DataFrame, hotline_cases: pd.Series) -> pd.DataFrame:
    """The 12345 figures of a stats row from its summed counts: ``hotline_cases`` (the given
    count or estimate, rounded), the three rates (true / known counts of
    :data:`HOTLINE_FLAGS`) and ``hotline_per_10k`` (the unrounded count per 10,000 of
    ``population``). Needs ``sums`` population and the true / known counts; returns a copy."""
    columns = _hotline_columns(sums, np.asarray(hotline_cases, dtype=float), sums["population"].to_numpy(float))
    return sums.assign(**columns)


def _finish(sums: pd.DataFrame, key: str, population: pd.Series, area_km2: pd.Series,
            hotline_cases: pd.Series, coverage_m: float, as_of: pd.Timestamp) -> pd.DataFrame:
    """The stats layer from the summed values (rows in key order, as ``sums``): adds the
    shares and rates, area_km2, population, hotline_cases (``hotline_cases`` rounded; the
    rate per 10,000 uses it unrounded), coverage_m and as_of; key as a column, dtypes of
    :data:`STATS_COLUMNS`, helper columns (``_...``) dropped. (Built column by column as
    arrays and framed once: history snapshots call this many times.)
    """
    def col(name: str) -> np.ndarray:
        return sums[name].to_numpy()

    def where_given(name: str, given: str) -> np.ndarray:
        return np.where(col(given) > 0, col(name).astype(float), np.nan)

    n = len(sums)
    pop = population.to_numpy(float)
    values: dict[str, np.ndarray] = {name: col(name) for name in STATS_COLUMNS if name in sums.columns}
    values.update(_hotline_columns(sums, np.asarray(hotline_cases, dtype=float), pop))
    values.update({
        "area_km2": area_km2.to_numpy(float), "population": pop,
        "investment_done": where_given("investment_done", "_done_given"),
        "investment_plan_year": where_given("investment_plan_year", "_plan_given"),
        "investment_done_share": np.where(col("_both_given") > 0, _ratio(col("_both_done"), col("_both_total")),
                                          np.nan),
        "service_package_covered_share": _ratio(col("service_package_covered"), col("_package_located")),
        "community_population": where_given("community_population", "_population_given"),
        "covered_population_share": _ratio(col("covered_population"), col("_coverage_population")),
        "covered_population": where_given("covered_population", "_coverage_population"),
        "needs_closure_rate": _ratio(col("needs_closed"), col("needs")),
        "needs_satisfaction_rate": _ratio(col("needs_satisfied"), col("needs_satisfied_known")),
        "coverage_m": np.full(n, float(coverage_m)),
        "as_of": np.full(n, as_of_date(as_of).to_datetime64()),
    })
    out = pd.DataFrame({c: np.asarray(values[c]).astype(t, copy=False) if t != "datetime64[ms]" else
                        np.asarray(values[c]).astype("datetime64[ms]") for c, t in STATS_COLUMNS.items()},
                       index=sums.index)
    return out.rename_axis(key).reset_index()


def compute_stats(streets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                  members: pd.DataFrame, as_of: pd.Timestamp,
                  coverage_m: float = DEFAULT_COVERAGE_M,
                  needs_overdue_days: float = DEFAULT_OVERDUE_DAYS,
                  shared: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(zone_stats, street_stats)``: one row for every zone / every street, key as a column
    (``zone_id`` / ``street``), plain dtypes (int64 counts, float64 sums and shares), no geometry.

    Needs streets ``name``, ``population`` (may be null), polygon; zones ``zone_id``, polygon;
    ``layers`` maps "projects", "enterprises", "stations", "hotline", "communities" (each
    optional) to frames with their record id (:data:`RECORD_ID`), ``street`` and point
    geometry (None when placed by street), plus the columns the value functions use:
    projects status, investment_total, investment_done, investment_plan_year, planned_start, planned_completion,
    completion_date; enterprises service_package; stations kind; hotline responded, resolved,
    satisfied; communities population. ``members`` is the zone link table (layer, record_id,
    zone_id). ``as_of`` is the date the delay figures are computed for (the build's ``as_of``).

    Adds the columns of :data:`STATS_COLUMNS`. Streets count every record of the street;
    zones count linked records, except ``hotline_cases`` of a zone, which is the rounded
    estimate scaling each street's located cases by its total / located cases. Hotline rates
    of a zone are over the located cases in the zone; of a street over all its cases.
    ``population``: a street's own, else its communities' sum when all of them give one;
    a zone's is the area-weighted sum of its streets' (NaN if one is unknown).
    ``covered_population_share`` and ``service_package_covered_share`` are over the
    records with a point (and, for communities, a population); NaN when there are none or
    when no stations layer was given. Missing optional layers or columns give 0 / NaN.
    Enterprise needs (``loaders.needs``): open / closed / overdue as of ``as_of`` (overdue:
    open more than ``needs_overdue_days`` days), the closure rate over all needs, the
    satisfaction rate over the closed needs that say, the median days open of the open ones.

    ``shared`` (a dict, empty at first) keeps each layer's zone links and the hotline's case
    values for :func:`hotline_monthly` of the same build, which then does not compute them again.
    """
    shared = {} if shared is None else shared
    stations = layers.get("stations")
    frames = {layer: layers.get(layer) if layers.get(layer) is not None else _empty(layer)
              for layer in RECORD_ID}
    values = {
        "projects": _project_values(frames["projects"], as_of),
        "enterprises": _enterprise_values(frames["enterprises"], stations, coverage_m),
        "stations": _station_values(frames["stations"]),
        "hotline": shared.setdefault("hotline_values", _hotline_values(frames["hotline"])),
        "communities": _community_values(frames["communities"], stations, coverage_m),
        "needs": need_values(frames["needs"], as_of, needs_overdue_days),
    }
    street_keys = pd.Index(streets["name"], name=STREET_KEY)
    zone_keys = pd.Index(zones[ZONE_KEY], name=ZONE_KEY)
    by_street = pd.concat([_sum_by_street(v, frames[layer][STREET], street_keys) for layer, v in values.items()],
                          axis=1)
    links = shared.setdefault("links", {})
    for layer in values:
        links[layer] = _links(frames[layer], members, layer)
    by_zone = pd.concat([_sum_by_zone(v, links[layer], zone_keys) for layer, v in values.items()], axis=1)

    needs = frames["needs"]
    days = need_state(needs, as_of, needs_overdue_days)["days_open"]
    by_street["needs_median_days_open"] = median_days_open(days, needs[STREET].to_numpy(dtype=object), street_keys)
    need_links = links["needs"]
    by_zone["needs_median_days_open"] = median_days_open(days.iloc[need_links["pos"].to_numpy()],
                                                         need_links[ZONE_KEY].to_numpy(), zone_keys)
    for sums in (by_street, by_zone):
        sums["needs_overdue_days"] = float(needs_overdue_days)

    street_area = pd.Series(shapely.area(_metric_geometry(streets)) / 1e6, index=street_keys)
    zone_area = pd.Series(shapely.area(_metric_geometry(zones)) / 1e6, index=zone_keys)
    street_population = _street_population(streets, by_street)
    zone_population = _zone_population(street_zone_shares(zones, streets), street_population, zone_keys)

    street_stats = _finish(by_street, STREET_KEY, street_population, street_area, by_street["hotline_cases"],
                           coverage_m, as_of)
    zone_stats = _finish(by_zone, ZONE_KEY, zone_population, zone_area, by_zone["_weight"],  # the estimate
                         coverage_m, as_of)
    return zone_stats, street_stats


# ---------------------------------------------------------------- monthly hotline trend
def hotline_monthly(hotline: pd.DataFrame | None, members: pd.DataFrame | None,
                    streets: gpd.GeoDataFrame, shared: dict | None = None) -> pd.DataFrame:
    """Hotline cases per (level, key, month, category), small enough to store.

    Needs hotline case_id, street, received_at, geometry; uses category, responded,
    resolved, satisfied. ``members`` is the zone link table; street rows are kept for the
    streets of ``streets`` (``name``), as in street_stats. Returns the columns of :data:`MONTHLY_COLUMNS`:
    ``level`` ("zone"/"street"), ``key`` (zone_id or street name), ``month`` (first day),
    ``category`` (``unknown`` when the case has none), ``cases`` (street: all its cases;
    zone: the located cases in the zone), ``cases_estimate`` (zone: the cases scaled as
    ``zone_stats.hotline_cases`` is, so months add up to it before rounding; street: =
    cases), and ``<field>_true`` / ``<field>_known`` counts from which any rate is
    true / known. Cases with no ``received_at`` are left out (they have no month).
    ``shared``: what :func:`compute_stats` kept of the same ``hotline`` and ``members``.
    """
    shared = shared or {}
    if hotline is None or len(hotline) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in MONTHLY_COLUMNS.items()})
    received = _dates(hotline, "received_at")
    month = received.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    category = (hotline["category"].astype(object).where(hotline["category"].notna(), UNKNOWN_CATEGORY)
                if "category" in hotline.columns else pd.Series(UNKNOWN_CATEGORY, index=hotline.index))
    base = shared["hotline_values"] if "hotline_values" in shared else _hotline_values(hotline)
    values = pd.DataFrame({"month": month, "category": category.to_numpy(), "cases": base["hotline_cases"],
                           "cases_estimate": base["_weight"]})
    for field, (true_column, known_column, _) in HOTLINE_FLAGS.items():
        values[f"{field}_true"], values[f"{field}_known"] = base[true_column], base[known_column]
    values = values[values["month"].notna()]

    def grouped(frame: pd.DataFrame, key: np.ndarray, level: str) -> pd.DataFrame:
        sums = frame.assign(key=key).groupby(["key", "month", "category"], sort=True).sum().reset_index()
        return sums.assign(level=level)

    street_rows = grouped(values.assign(cases_estimate=values["cases"].astype(float)),
                          hotline[STREET].to_numpy()[values.index], "street")
    street_rows = street_rows[street_rows["key"].isin(streets["name"])]
    links = shared["links"]["hotline"] if "hotline" in shared.get("links", {}) else _links(hotline, members, "hotline")
    in_month = values.index.to_numpy()
    links = links[np.isin(links["pos"].to_numpy(), in_month)]
    zone_rows = grouped(values.loc[links["pos"].to_numpy()].reset_index(drop=True),
                        links[ZONE_KEY].to_numpy(), "zone")
    out = pd.concat([zone_rows, street_rows], ignore_index=True)
    return out[list(MONTHLY_COLUMNS)].astype(MONTHLY_COLUMNS)
