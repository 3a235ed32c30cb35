"""Pure queries over the store's frames: frames in, new frames out, no Streamlit, no files.

The figures leaders read are computed once, at build time (``zone_stats`` / ``street_stats``,
see :mod:`loaders.indicators`); here they are only joined to names and colours, and one
policy (:class:`HotlineRate`) says whether the 12345 figure is per 10,000 residents or per
km². Zone membership is the store's link table ``zone_members(layer, record_id, zone_id)``:
a record in two zones is in both, a record without a point is in none.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.boundaries import ZONES
from geodata.crs import METRIC_CRS
from loaders.schema import LEVEL_LABELS, STATUS_LABELS, STREET

FALLBACK_ZONE_COLOUR = "#7f7f7f"
SCHEDULES_LATE: tuple[str, ...] = ("not_started_late", "running_late", "completed_late")
WORST_MIN_CASES = 30  # a street is named "worst" on a rate only with this many cases carrying it


# ---------------------------------------------------------------- metrics
@dataclass(frozen=True)
class Metric:
    """An indicator leaders can colour a map by: its stats column and how it is shown."""

    key: str
    column: str        # the stats column (``hotline_rate`` is the policy's, see HotlineRate)
    kind: str          # count | yi (亿元) | share (0–1) | rate (the hotline policy)
    higher_is_better: bool = True


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("projects", "projects", "count"),
    Metric("investment", "investment_total", "yi"),
    Metric("enterprises", "enterprises", "count"),
    Metric("service_package", "service_package", "count"),
    Metric("stations", "stations", "count"),
    Metric("hotline_rate", "hotline_rate", "rate", higher_is_better=False),
    Metric("response_rate", "hotline_response_rate", "share"),
    Metric("resolution_rate", "hotline_resolution_rate", "share"),
    Metric("satisfaction_rate", "hotline_satisfaction_rate", "share"),
    Metric("coverage", "covered_population_share", "share"),
    Metric("projects_delayed", "projects_delayed", "count", higher_is_better=False),
)}
RATE_METRICS: tuple[str, ...] = ("response_rate", "resolution_rate", "satisfaction_rate")
# The KPI cards of the overview and of a zone, in two rows: what is there, and how it is going.
KPI_ROW_1: tuple[str, ...] = ("projects", "investment", "enterprises", "service_package", "stations", "hotline_rate")
KPI_ROW_2: tuple[str, ...] = (*RATE_METRICS, "coverage", "projects_delayed")
_KNOWN = {"response_rate": ("hotline_responded", "hotline_responded_known"),
          "resolution_rate": ("hotline_resolved", "hotline_resolved_known"),
          "satisfaction_rate": ("hotline_satisfied", "hotline_satisfied_known")}


@dataclass(frozen=True)
class HotlineRate:
    """The one answer to "12345 cases per 10,000 residents, or per km²?".

    Per 10,000 residents when every street has a resident population (official streets with
    ``population``, or communities summing to it); otherwise per km² of (schematic) area, and
    every page says why. Decided once per build from ``street_stats``.
    """

    unit: str  # "per_10k" | "per_km2"

    @classmethod
    def from_street_stats(cls, street_stats: pd.DataFrame) -> HotlineRate:
        known = len(street_stats) > 0 and bool(street_stats["population"].notna().all())
        return cls("per_10k" if known else "per_km2")

    @property
    def per_10k(self) -> bool:
        return self.unit == "per_10k"

    def values(self, stats: pd.DataFrame) -> pd.Series:
        """The rate per row of a stats table (needs hotline_cases and population or area_km2)."""
        if self.per_10k:
            return stats["hotline_cases"] / stats["population"].where(stats["population"] > 0) * 1e4
        return stats["hotline_cases"] / stats["area_km2"].where(stats["area_km2"] > 0)


# ---------------------------------------------------------------- zones and streets
def zone_colour(zone_id: str) -> str:
    """The zone's identity colour, the same on every map and chart."""
    return ZONES.get(zone_id, {}).get("color", FALLBACK_ZONE_COLOUR)


def order_zones(zones: pd.DataFrame) -> pd.DataFrame:
    """``zones`` sorted in the "4+4" order (key areas 1–4, then clusters 5–8); needs ``zone_id``."""
    order = zones["zone_id"].map(lambda z: ZONES.get(z, {}).get("order", 99))
    return zones.assign(_order=order).sort_values(["_order", "zone_id"]).drop(columns="_order")


def zone_table(zones: pd.DataFrame, zone_stats: pd.DataFrame, policy: HotlineRate) -> pd.DataFrame:
    """One row per zone (index ``zone_id``, "4+4" order): name, name_en, kind, colour, every
    stats column, and ``hotline_rate`` by the policy."""
    z = order_zones(zones).set_index("zone_id")[["name", "name_en", "kind"]]
    stats = zone_stats.set_index("zone_id")
    out = z.join(stats, how="left")
    out["colour"] = [zone_colour(i) for i in out.index]
    out["hotline_rate"] = policy.values(out)
    return out


def street_table(streets: pd.DataFrame, street_stats: pd.DataFrame, policy: HotlineRate) -> pd.DataFrame:
    """One row per street (index ``name``): name_en, every stats column, ``hotline_rate``."""
    out = streets.set_index("name")[["name_en"]].join(street_stats.set_index("street"), how="left")
    out["hotline_rate"] = policy.values(out)
    return out


def district_totals(street_stats: pd.DataFrame, policy: HotlineRate) -> dict[str, float]:
    """District figures from the street rows (the 26 streets partition the district, and every
    record counts for its street): sums for counts, pooled shares for rates."""
    s = street_stats
    total = {key: float(s[m.column].sum()) for key, m in METRICS.items() if m.kind in ("count", "yi")}
    pooled = pd.DataFrame({"hotline_cases": [s["hotline_cases"].sum()], "population": [s["population"].sum()
                           if s["population"].notna().all() else np.nan], "area_km2": [s["area_km2"].sum()]})
    total["hotline_rate"] = float(policy.values(pooled).iloc[0])
    total["hotline_cases"] = float(s["hotline_cases"].sum())
    for key, (true_col, known_col) in _KNOWN.items():
        known = float(s[known_col].sum())
        total[key] = float(s[true_col].sum()) / known if known else math.nan
    population = s["community_population"].sum(min_count=1)
    total["coverage"] = float(s["covered_population"].sum(min_count=1) / population) \
        if pd.notna(population) and population > 0 else math.nan
    return total


def worst_streets(streets: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The streets that are worst on each rate, named: columns metric, street, value, cases.

    ``streets`` is :func:`street_table`'s frame. Only streets with at least
    :data:`WORST_MIN_CASES` cases carrying the field compete (a street with 2 cases and one
    unanswered is not "the worst"); coverage ranks streets that have communities.
    """
    rows = []
    for key in (*RATE_METRICS, "coverage"):
        column = METRICS[key].column
        if key == "coverage":
            support = streets["communities"]
            eligible = streets[(support > 0) & streets[column].notna()]
        else:
            support = streets[_KNOWN[key][1]]
            eligible = streets[(support >= WORST_MIN_CASES) & streets[column].notna()]
        for name, row in eligible.sort_values(column).head(n).iterrows():
            rows.append({"metric": key, "street": name, "value": float(row[column]),
                         "cases": int(support.get(name, 0))})
    return pd.DataFrame(rows, columns=["metric", "street", "value", "cases"])


# ---------------------------------------------------------------- membership
def members_in(members: pd.DataFrame, zone_ids: tuple[str, ...] | list[str]) -> pd.Index:
    """The record ids in any of ``zone_ids`` (the union); ``members`` is one layer's link rows."""
    return pd.Index(members.loc[members["zone_id"].isin(list(zone_ids)), "record_id"].unique())


def in_zones(points: pd.DataFrame, id_column: str, members: pd.DataFrame,
             zone_ids: tuple[str, ...] | list[str]) -> pd.Series:
    """True for the rows of ``points`` that lie in any of ``zone_ids``."""
    return points[id_column].astype(str).isin(members_in(members, zone_ids))


def zones_of(points: pd.DataFrame, id_column: str, members: pd.DataFrame) -> pd.Series:
    """The zone ids of each row of ``points`` as a tuple ("4+4" order), () when in none."""
    order = {z: ZONES.get(z, {}).get("order", 99) for z in members["zone_id"].unique()}
    ranked = members.assign(_o=members["zone_id"].map(order)).sort_values(["_o", "zone_id"])
    grouped = ranked.groupby("record_id", sort=False)["zone_id"].agg(tuple)
    return points[id_column].astype(str).map(grouped).apply(lambda v: v if isinstance(v, tuple) else ())


def with_zones(points: pd.DataFrame, id_column: str, members: pd.DataFrame) -> pd.DataFrame:
    """``points`` plus ``zones``: the tuple of zone ids each row lies in (for tables and popups)."""
    return points.assign(zones=zones_of(points, id_column, members).to_numpy())


def count_by_zone(points: pd.DataFrame, id_column: str, members: pd.DataFrame,
                  weights: pd.Series | None = None) -> pd.Series:
    """Points (or the sum of ``weights``) per zone_id, through the link table (a point in two
    zones counts in each)."""
    ids = points[id_column].astype(str)
    links = members[members["record_id"].isin(ids)]
    if weights is None:
        return links["zone_id"].value_counts()
    by_id = pd.Series(weights.to_numpy(), index=ids.to_numpy())
    return by_id.reindex(links["record_id"]).groupby(links["zone_id"].to_numpy()).sum()


# ---------------------------------------------------------------- the zone map
def zone_street_parts(zone: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, street_stats: pd.DataFrame,
                      enterprises: pd.Series, hotline: pd.Series) -> gpd.GeoDataFrame:
    """The streets cut to one zone, with what the zone map colours them by.

    ``zone`` is one zone's row; ``enterprises`` / ``hotline`` are that zone's located rows
    counted per street (the store counts them: the rows are never read). Columns: name,
    area_km2, enterprises (located in the zone part),
    hotline (the part's estimated cases: its located cases scaled by the street's
    total / located, the same estimate as the zone's KPI, so the parts add up to it) and
    hotline_density (per km²).
    """
    parts = gpd.overlay(streets[["name", "geometry"]], zone[["geometry"]], how="intersection",
                        keep_geom_type=True)
    parts["area_km2"] = parts.to_crs(METRIC_CRS).area.to_numpy() / 1e6
    stats = street_stats.set_index("street")
    factor = (stats["hotline_cases"] / stats["hotline_located"].where(stats["hotline_located"] > 0)).fillna(0.0)
    parts["enterprises"] = parts["name"].map(enterprises).fillna(0).astype(int).to_numpy()
    located = parts["name"].map(hotline).fillna(0)
    parts["hotline"] = (located * parts["name"].map(factor).fillna(0.0)).to_numpy()
    parts["hotline_density"] = (parts["hotline"] / parts["area_km2"].where(parts["area_km2"] > 0.05)).to_numpy()
    return parts


# ---------------------------------------------------------------- projects
def _parse_list(value: str | None, allowed: Mapping[str, object] | None = None) -> tuple[str, ...]:
    if not value:
        return ()
    items = [v for v in (s.strip() for s in str(value).split(",")) if v]
    if allowed is not None:
        items = [v for v in items if v in allowed]
    return tuple(dict.fromkeys(items))


def _parse_float(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


@dataclass(frozen=True)
class ProjectFilter:
    """A project selection, as widgets set it and as the URL carries it.

    Empty tuples and ``None`` bounds mean "no restriction". ``schedule`` holds plan states
    (``running_late`` …, see :data:`SCHEDULES_LATE`).
    """

    zones: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    schedule: tuple[str, ...] = ()
    inv_min: float | None = None
    inv_max: float | None = None
    year_min: int | None = None
    year_max: int | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ProjectFilter:
        """Read a filter from URL query parameters; unknown or malformed values are dropped."""
        def year(key: str) -> int | None:
            number = _parse_float(params.get(key))
            return int(number) if number is not None else None
        return cls(zones=_parse_list(params.get("zone"), ZONES), streets=_parse_list(params.get("street")),
                   status=_parse_list(params.get("status"), STATUS_LABELS),
                   level=_parse_list(params.get("level"), LEVEL_LABELS),
                   industry=_parse_list(params.get("industry")),
                   schedule=_parse_list(params.get("schedule"), dict.fromkeys(SCHEDULES_LATE)),
                   inv_min=_parse_float(params.get("inv_min")), inv_max=_parse_float(params.get("inv_max")),
                   year_min=year("year_min"), year_max=year("year_max"))

    def to_query(self) -> dict[str, str]:
        """URL query parameters for this filter (only the restrictions that are set)."""
        out: dict[str, str] = {}
        names = {"zones": "zone", "streets": "street"}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in ((), None):
                continue
            key = names.get(f.name, f.name)
            out[key] = ",".join(value) if isinstance(value, tuple) else f"{value:g}"
        return out

    def is_empty(self) -> bool:
        """True when nothing is restricted."""
        return not self.to_query()

    def slug(self) -> str:
        """A short file-name part naming the restrictions, e.g. ``lize_under_construction``."""
        parts = [*self.zones, *self.status, *self.level, *self.industry, *self.schedule]
        if self.streets:
            parts.append(f"{len(self.streets)}streets" if len(self.streets) > 1 else self.streets[0])
        if self.inv_min is not None or self.inv_max is not None:
            parts.append(f"inv{self.inv_min or 0:g}-{'' if self.inv_max is None else f'{self.inv_max:g}'}")
        if self.year_min is not None or self.year_max is not None:
            parts.append(f"y{self.year_min or ''}-{self.year_max or ''}")
        return "_".join(parts) if parts else "all"

    def only_place(self) -> ProjectFilter:
        """The zone and street restrictions alone (they apply to every point layer)."""
        return ProjectFilter(zones=self.zones, streets=self.streets)


@dataclass(frozen=True)
class FilterRanges:
    """The ranges of the explorer's filters: investment 0..top (亿元, whole) with its median
    (the range is skewed: most projects are small), start years lo..hi."""

    inv_top: float
    year_lo: int
    year_hi: int
    inv_median: float = math.nan


def filter_ranges(projects: pd.DataFrame) -> FilterRanges:
    """Ranges that hold every project (a store with no dated project gets 2000–2030)."""
    top = projects["investment_total"].max(skipna=True) if len(projects) else 0
    median = projects["investment_total"].median(skipna=True) if len(projects) else math.nan
    years = start_year(projects).dropna()
    lo, hi = (int(years.min()), int(years.max())) if len(years) else (2000, 2030)
    return FilterRanges(float(math.ceil(max(top if pd.notna(top) else 0, 1))), lo, hi,
                        float(median) if pd.notna(median) else math.nan)


def start_year(projects: pd.DataFrame) -> pd.Series:
    """The start year of each project (nullable Int64); needs ``start_date``."""
    return pd.to_datetime(projects["start_date"], errors="coerce").dt.year.astype("Int64")


def filter_points(points: pd.DataFrame, id_column: str, members: pd.DataFrame, flt: ProjectFilter) -> pd.DataFrame:
    """Rows of any point layer in ANY of the filter's zones (the union) and in its streets."""
    mask = pd.Series(True, index=points.index)
    if flt.zones:
        mask &= in_zones(points, id_column, members, flt.zones)
    if flt.streets:
        mask &= points[STREET].isin(flt.streets)
    return points[mask]


# The explorer's facets: the filter field, and the column (or link table) it restricts.
FACETS: dict[str, str] = {"zones": "zone_id", "streets": STREET, "status": "status", "level": "level",
                          "industry": "industry", "schedule": "schedule"}


def _project_masks(projects: pd.DataFrame, members: pd.DataFrame, flt: ProjectFilter) -> dict[str, pd.Series]:
    """One boolean mask per restriction of ``flt`` that is set (facets by name, plus
    ``investment`` and ``year``); a project matches when it passes all of them."""
    masks: dict[str, pd.Series] = {}
    if flt.zones:
        masks["zones"] = in_zones(projects, "project_id", members, flt.zones)
    for facet in ("streets", "status", "level", "industry", "schedule"):
        values = getattr(flt, facet)
        if values:
            column = FACETS[facet]
            masks[facet] = projects[column].isin(values) if column in projects.columns \
                else pd.Series(False, index=projects.index)
    inv = projects["investment_total"]
    if flt.inv_min is not None or flt.inv_max is not None:
        mask = pd.Series(True, index=projects.index)
        if flt.inv_min is not None:
            mask &= (inv >= flt.inv_min).fillna(False)
        if flt.inv_max is not None:
            mask &= (inv <= flt.inv_max).fillna(False)
        masks["investment"] = mask
    if flt.year_min is not None or flt.year_max is not None:
        year = start_year(projects)
        mask = pd.Series(True, index=projects.index)
        if flt.year_min is not None:
            mask &= (year >= flt.year_min).fillna(False).astype(bool)
        if flt.year_max is not None:
            mask &= (year <= flt.year_max).fillna(False).astype(bool)
        masks["year"] = mask
    return masks


def _all_of(masks: list[pd.Series], index: pd.Index) -> pd.Series:
    out = pd.Series(True, index=index)
    for mask in masks:
        out &= mask.astype(bool)
    return out


def filter_projects(projects: pd.DataFrame, members: pd.DataFrame, flt: ProjectFilter) -> pd.DataFrame:
    """The projects matching ``flt``; needs project_id, street, status, level, industry,
    investment_total, start_date (and ``schedule`` when the filter restricts it)."""
    return projects[_all_of(list(_project_masks(projects, members, flt).values()), projects.index)]


def option_counts(projects: pd.DataFrame, members: pd.DataFrame, flt: ProjectFilter) -> dict[str, pd.Series]:
    """For each facet of :data:`FACETS`, how many projects each of its options would give.

    An option is counted under the rest of the filter (every restriction but the facet's own),
    so "在建 (57)" reads "57 projects if you pick 在建" whatever else is picked in the same list.
    Zones count through the link table (a project in two zones counts in each). Returns
    facet → Series (option → count); options that match nothing are absent (read as 0).
    """
    masks = _project_masks(projects, members, flt)
    out: dict[str, pd.Series] = {}
    for facet, column in FACETS.items():
        rows = projects[_all_of([m for k, m in masks.items() if k != facet], projects.index)]
        if facet == "zones":
            out[facet] = count_by_zone(rows, "project_id", members)
        elif column in rows.columns:
            out[facet] = rows[column].value_counts()
        else:
            out[facet] = pd.Series(dtype="int64")
    return out


def streets_of_zones(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, zone_ids: tuple[str, ...] | list[str],
                     points: pd.DataFrame | None = None, members: pd.DataFrame | None = None,
                     id_column: str = "project_id", min_km2: float = 0.01) -> list[str]:
    """The streets (in ``streets`` order, by ``name``) that any of ``zone_ids`` touches: those
    sharing more than ``min_km2`` of area with the zones (a shared edge is not touching), plus
    the street of any record of ``points`` that ``members`` puts in the zones (a record placed
    by snapping still finds its street). No zone ids: every street."""
    if not zone_ids:
        return list(streets["name"])
    chosen = zones[zones["zone_id"].isin(list(zone_ids))]
    touched: set[str] = set()
    if len(chosen):
        area = chosen.to_crs(METRIC_CRS).geometry.union_all()
        shared = streets.to_crs(METRIC_CRS).geometry.intersection(area).area / 1e6
        touched |= set(streets.loc[(shared > min_km2).to_numpy(), "name"])
    if points is not None and members is not None:
        touched |= set(points.loc[in_zones(points, id_column, members, zone_ids), STREET].dropna())
    return [s for s in streets["name"] if s in touched]


def located_bounds(points: gpd.GeoDataFrame, margin: float = 0.08,
                   min_span: float = 0.012) -> tuple[float, float, float, float] | None:
    """Bounds (minx, miny, maxx, maxy, degrees) that hold every located row of ``points`` with
    a ``margin`` (a share of the span) on each side; a span narrower than ``min_span`` degrees
    (one project, or a few close together) is widened to it around its centre, so the map
    does not zoom to a single building. None when no row has a location."""
    geom = points.geometry
    located = geom[geom.notna() & ~geom.is_empty]
    if located.empty:
        return None
    minx, miny, maxx, maxy = (float(v) for v in located.total_bounds)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w = max(maxx - minx, min_span) / 2 + (maxx - minx) * margin
    half_h = max(maxy - miny, min_span) / 2 + (maxy - miny) * margin
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


# The explorer's URL: the filter's parameters and the selected project (``sel`` is the old name).
EXPLORER_PARAMS: tuple[str, ...] = ("zone", "street", "status", "level", "industry", "schedule", "inv_min", "inv_max",
                                    "year_min", "year_max", "project", "sel")


def selected_project(params: Mapping[str, str]) -> str | None:
    """The project a link selects (``?project=<project_id>``, or the older ``?sel=``)."""
    value = params.get("project") or params.get("sel")
    value = str(value).strip() if value else ""
    return value or None


def explorer_params(params: Mapping[str, str]) -> dict[str, str]:
    """The explorer's own parameters among ``params`` (filter and selection; not ``lang`` …)."""
    return {k: str(v) for k, v in params.items() if k in EXPLORER_PARAMS}


def explorer_query(flt: ProjectFilter, selected: str | None, current: Mapping[str, str]) -> dict[str, str]:
    """The URL parameters for ``flt`` and the ``selected`` project, keeping the parameters of
    ``current`` that are not the explorer's own (``lang`` and the like)."""
    out = {k: str(v) for k, v in current.items() if k not in EXPLORER_PARAMS}
    out.update(flt.to_query())
    if selected:
        out["project"] = selected
    return out


def pipeline_by_year(projects: pd.DataFrame) -> pd.DataFrame:
    """Projects counted by start year and status: columns year (text, "—" when unknown),
    status, count.
    """
    year = start_year(projects).astype("string").fillna("—")  # "—": no start date yet (reserve)
    frame = pd.DataFrame({"year": year, "status": projects["status"].fillna("")})
    return frame.groupby(["year", "status"]).size().rename("count").reset_index()


def industry_mix(projects: pd.DataFrame) -> pd.DataFrame:
    """Projects and investment per industry: columns industry, projects, investment (亿元)."""
    grouped = projects.groupby(projects["industry"].fillna("other"))
    out = pd.DataFrame({"projects": grouped.size(), "investment": grouped["investment_total"].sum()})
    return out.reset_index(names="industry").sort_values("projects", ascending=False)


def monthly_trend(monthly: pd.DataFrame, level: str, key: str) -> pd.DataFrame:
    """One area's 12345 cases and rates by month (``hotline_monthly`` rows summed over
    categories): columns month, cases, response_rate, resolution_rate, satisfaction_rate."""
    rows = monthly[(monthly["level"] == level) & (monthly["key"] == key)]
    if rows.empty:
        return pd.DataFrame(columns=["month", "cases", *RATE_METRICS])
    cases_col = "cases_estimate" if "cases_estimate" in rows.columns else "cases"
    sums = rows.groupby("month")[[cases_col, "responded_true", "responded_known", "resolved_true",
                                  "resolved_known", "satisfied_true", "satisfied_known"]].sum()
    out = pd.DataFrame({"cases": sums[cases_col]})
    for key_, flag in (("response_rate", "responded"), ("resolution_rate", "resolved"),
                       ("satisfaction_rate", "satisfied")):
        out[key_] = sums[f"{flag}_true"] / sums[f"{flag}_known"].where(sums[f"{flag}_known"] > 0)
    return out.reset_index().sort_values("month")


def display_name(name: object, name_en: object, lang: str) -> str:
    """An area's name in ``lang``: the English name where there is one, else the Chinese. The one
    rule for every zone and street name on a page, a slide and a brief."""
    return str(name_en if lang == "en" and isinstance(name_en, str) and name_en else name)


def zone_name(zones: pd.DataFrame, zone_id: str, lang: str) -> str:
    """The zone's name in ``lang`` (``zones`` indexed by zone_id, with name and name_en)."""
    row = zones.loc[zone_id]
    return display_name(row["name"], row.get("name_en"), lang)


def zone_names(zones: pd.DataFrame, lang: str = "zh") -> dict[str, str]:
    """zone_id → display name in ``lang``, in "4+4" order."""
    ordered = order_zones(zones)
    english = ordered["name_en"] if "name_en" in ordered else pd.Series(None, index=ordered.index)
    return {z: display_name(n, e, lang) for z, n, e in zip(ordered["zone_id"], ordered["name"], english, strict=True)}


def zone_labels(zone_ids: tuple[str, ...], names: Mapping[str, str], sep: str = "、") -> str:
    """``("lize", "hexi")`` → ``"丽泽金融商务区、河西地区"`` (names joined by ``sep``)."""
    return sep.join(names.get(z, z) for z in zone_ids)



# ---------------------------------------------------------------- enterprise needs (企业诉求)
NEED_CATEGORY_ORDER: tuple[str, ...] = ("land", "finance", "talent", "permits", "premises", "policy", "other")


def needs_by_category(breakdown: pd.DataFrame, level: str, key: str) -> pd.DataFrame:
    """One area's (``level`` zone / street / station, ``key``) rows of ``needs_breakdown`` per
    category (not ``all``), in the catalogue's order: category, needs, open, closed, overdue,
    closure_rate, median_days_open. Empty when the area has no need."""
    columns = ["category", "needs", "open", "closed", "overdue", "closure_rate", "median_days_open"]
    if breakdown is None or breakdown.empty:
        return pd.DataFrame(columns=columns)
    rows = breakdown[(breakdown["level"] == level) & (breakdown["key"] == key) & (breakdown["category"] != "all")]
    order = {c: i for i, c in enumerate(NEED_CATEGORY_ORDER)}
    rows = rows.assign(_order=rows["category"].map(order).fillna(len(order)))
    return rows.sort_values("_order", kind="stable")[columns].reset_index(drop=True)


def oldest_open_needs(needs: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` open needs open longest (``days_open`` descending, then ``raised_at``, ``need_id``);
    the needs layer's columns, a new frame."""
    if needs is None or needs.empty or "status" not in needs:
        return pd.DataFrame(needs).iloc[0:0] if needs is not None else pd.DataFrame()
    open_ = pd.DataFrame(needs[needs["status"].eq("open").fillna(False).to_numpy(bool)])
    days = pd.to_numeric(open_.get("days_open"), errors="coerce")
    open_ = open_.assign(_days=days.to_numpy())
    open_ = open_.sort_values(["_days", "raised_at", "need_id"], ascending=[False, True, True], kind="stable")
    return open_.drop(columns="_days").head(n).reset_index(drop=True)
