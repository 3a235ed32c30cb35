"""Pure queries and aggregates over the store's frames: frames in, new frames out.

No Streamlit and no file access here; ``dashboard.data`` caches the results. Point layers
carry ``street`` (every row) and ``zone_ids`` (",lize,zgc_fengtai,", "" when in no zone);
rows without coordinates count for their street but for no zone.
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
from loaders.schema import INDUSTRY_LABELS, LEVEL_LABELS, STATUS_LABELS, STREET, ZONE_IDS  # noqa: F401 - re-exported for pages

METRICS: tuple[str, ...] = ("projects", "investment", "enterprises", "service_package", "stations",
                            "hotline_rate")
FALLBACK_ZONE_COLOUR = "#7f7f7f"


# ---------------------------------------------------------------- zones
def zone_colour(zone_id: str) -> str:
    """The zone's identity colour, the same on every map and chart."""
    return ZONES.get(zone_id, {}).get("color", FALLBACK_ZONE_COLOUR)


def order_zones(zones: pd.DataFrame) -> pd.DataFrame:
    """``zones`` sorted in the "4+4" order (key areas 1–4, then clusters 5–8); needs ``zone_id``."""
    order = zones["zone_id"].map(lambda z: ZONES.get(z, {}).get("order", 99))
    return zones.assign(_order=order).sort_values(["_order", "zone_id"]).drop(columns="_order")


def zone_mask(points: pd.DataFrame, zone_id: str) -> pd.Series:
    """True for the rows of ``points`` (needs ``zone_ids``) that lie in ``zone_id``."""
    return points[ZONE_IDS].fillna("").str.contains(f",{zone_id},", regex=False)


def zone_membership(points: pd.DataFrame) -> pd.Series:
    """One row per (point, zone): the zone ids of ``points`` (needs ``zone_ids``), index kept."""
    ids = points[ZONE_IDS].fillna("").str.strip(",")
    ids = ids[ids != ""]
    return ids.str.split(",").explode()


def count_by_zone(points: pd.DataFrame, weights: pd.Series | None = None) -> pd.Series:
    """Points (or the sum of ``weights``) per zone_id."""
    member = zone_membership(points)
    if weights is None:
        return member.value_counts()
    return weights.reindex(member.index).groupby(member.to_numpy()).sum()


# ---------------------------------------------------------------- populations and hotline
def population_known(streets: pd.DataFrame) -> bool:
    """True when every street has a resident population (needed for per-10,000 rates)."""
    return bool(len(streets)) and bool(streets["population"].notna().all())


def _street_zone_shares(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area share of each street lying in each zone: columns zone_id, street, share."""
    z = zones[["zone_id", "geometry"]].to_crs(METRIC_CRS)
    s = streets[["name", "geometry"]].to_crs(METRIC_CRS)
    s = s.assign(_area=s.area)
    parts = gpd.overlay(z, s, how="intersection", keep_geom_type=True)
    parts = parts.assign(share=parts.area / parts["_area"])
    return pd.DataFrame({"zone_id": parts["zone_id"], "street": parts["name"], "share": parts["share"]})


def _has_point(points: pd.DataFrame) -> pd.Series:
    geometry = points.geometry if isinstance(points, gpd.GeoDataFrame) else None
    if geometry is not None:
        return geometry.notna() & ~geometry.is_empty
    return points["lon"].notna()


def hotline_by_zone(hotline: pd.DataFrame, zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Hotline cases per zone and their rate; columns ``hotline`` (estimated cases),
    ``population`` (estimated) and ``hotline_rate`` (per 10,000 residents, or per km² when
    population is unknown — see :func:`hotline_rate_unit`).

    Cases without coordinates are shared out: a street's located cases in a zone are scaled
    by that street's total / located cases. Zone population is the area-weighted sum of
    street populations.
    """
    member = zone_membership(hotline)
    total_by_street = hotline[STREET].value_counts()
    located_by_street = hotline.loc[_has_point(hotline), STREET].value_counts()
    # A street whose cases all lack coordinates contributes nothing: no zone can be inferred.
    factor = (total_by_street / located_by_street).reindex(total_by_street.index).fillna(0.0)
    weights = hotline.loc[member.index, STREET].map(factor).to_numpy()
    cases = pd.Series(weights, index=member.to_numpy()).groupby(level=0).sum()
    out = pd.DataFrame(index=pd.Index(zones["zone_id"], name="zone_id"))
    out["hotline"] = cases.reindex(out.index).fillna(0.0)
    if population_known(streets):
        shares = _street_zone_shares(zones, streets)
        pop = streets.set_index("name")["population"]
        shares["pop"] = shares["share"] * shares["street"].map(pop)
        out["population"] = shares.groupby("zone_id")["pop"].sum().reindex(out.index)
        out["hotline_rate"] = out["hotline"] / out["population"] * 1e4
    else:
        out["population"] = np.nan
        area = zones.set_index("zone_id")["geometry"].to_crs(METRIC_CRS).area / 1e6
        out["hotline_rate"] = out["hotline"] / area.reindex(out.index)
    return out


def hotline_rate_unit(streets: pd.DataFrame) -> str:
    """``per_10k`` when every street has a population, else ``per_km2``."""
    return "per_10k" if population_known(streets) else "per_km2"


# ---------------------------------------------------------------- summaries
def summarise_zones(zones: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, projects: pd.DataFrame,
                    enterprises: pd.DataFrame, stations: pd.DataFrame, hotline: pd.DataFrame) -> pd.DataFrame:
    """One row per zone (index ``zone_id``, "4+4" order): name, name_en, kind, colour,
    area_km2 and the metrics of :data:`METRICS` plus projects per status.
    """
    z = order_zones(zones).set_index("zone_id")
    out = z[["name", "name_en", "kind", "area_km2"]].copy()
    out["colour"] = [zone_colour(i) for i in out.index]
    out["projects"] = count_by_zone(projects).reindex(out.index).fillna(0).astype(int)
    out["investment"] = count_by_zone(projects, projects["investment_total"].fillna(0)).reindex(out.index).fillna(0.0)
    for status in STATUS_LABELS:
        sub = projects[projects["status"] == status]
        out[f"status_{status}"] = count_by_zone(sub).reindex(out.index).fillna(0).astype(int)
    out["enterprises"] = count_by_zone(enterprises).reindex(out.index).fillna(0).astype(int)
    sp = enterprises[enterprises["service_package"].fillna(False).astype(bool)]
    out["service_package"] = count_by_zone(sp).reindex(out.index).fillna(0).astype(int)
    out["stations"] = count_by_zone(stations).reindex(out.index).fillna(0).astype(int)
    hot = hotline_by_zone(hotline, zones, streets)
    out["hotline"] = hot["hotline"].round().astype(int)
    out["hotline_rate"] = hot["hotline_rate"]
    return out


def summarise_streets(streets: gpd.GeoDataFrame, projects: pd.DataFrame, enterprises: pd.DataFrame,
                      stations: pd.DataFrame, hotline: pd.DataFrame) -> pd.DataFrame:
    """One row per street (index ``name``): the metrics of :data:`METRICS`; every record counts
    for its street, with or without coordinates.
    """
    out = streets.set_index("name")[["name_en", "population", "area_km2"]].copy()

    def by_street(frame: pd.DataFrame, weights: pd.Series | None = None) -> pd.Series:
        if weights is None:
            return frame[STREET].value_counts().reindex(out.index).fillna(0).astype(int)
        return weights.groupby(frame[STREET]).sum().reindex(out.index).fillna(0.0)

    out["projects"] = by_street(projects)
    out["investment"] = by_street(projects, projects["investment_total"].fillna(0))
    out["enterprises"] = by_street(enterprises)
    out["service_package"] = by_street(enterprises[enterprises["service_package"].fillna(False).astype(bool)])
    out["stations"] = by_street(stations)
    out["hotline"] = by_street(hotline)
    if population_known(streets):
        out["hotline_rate"] = out["hotline"] / out["population"] * 1e4
    else:
        area = streets.set_index("name").geometry.to_crs(METRIC_CRS).area / 1e6
        out["hotline_rate"] = out["hotline"] / area.reindex(out.index)
    return out


def district_totals(streets: pd.DataFrame, projects: pd.DataFrame, enterprises: pd.DataFrame,
                    stations: pd.DataFrame, hotline: pd.DataFrame) -> dict[str, float]:
    """District KPIs: the metrics of :data:`METRICS` over every record."""
    if population_known(streets):
        rate = len(hotline) / float(streets["population"].sum()) * 1e4
    else:
        area = float(gpd.GeoSeries(streets.geometry).to_crs(METRIC_CRS).area.sum() / 1e6) if len(streets) else math.nan
        rate = len(hotline) / area if area else math.nan
    return {
        "projects": float(len(projects)),
        "investment": float(projects["investment_total"].fillna(0).sum()),
        "enterprises": float(len(enterprises)),
        "service_package": float(enterprises["service_package"].fillna(False).astype(bool).sum()),
        "stations": float(len(stations)),
        "hotline": float(len(hotline)),
        "hotline_rate": rate,
    }


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

    Empty tuples and ``None`` bounds mean "no restriction".
    """

    zones: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
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
        parts = [*self.zones, *self.status, *self.level, *self.industry]
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


def start_year(projects: pd.DataFrame) -> pd.Series:
    """The start year of each project (nullable Int64); needs ``start_date``."""
    return pd.to_datetime(projects["start_date"], errors="coerce").dt.year.astype("Int64")


def filter_points(points: pd.DataFrame, flt: ProjectFilter) -> pd.DataFrame:
    """Rows of any point layer in the filter's zones (any of them) and streets."""
    mask = pd.Series(True, index=points.index)
    if flt.zones:
        zone_ids = points[ZONE_IDS].fillna("")
        mask &= np.logical_or.reduce([zone_ids.str.contains(f",{z},", regex=False) for z in flt.zones])
    if flt.streets:
        mask &= points[STREET].isin(flt.streets)
    return points[mask]


def filter_projects(projects: pd.DataFrame, flt: ProjectFilter) -> pd.DataFrame:
    """The projects matching ``flt``; needs status, level, industry, investment_total, start_date."""
    out = filter_points(projects, flt)
    mask = pd.Series(True, index=out.index)
    for column, values in (("status", flt.status), ("level", flt.level), ("industry", flt.industry)):
        if values:
            mask &= out[column].isin(values)
    inv = out["investment_total"]
    if flt.inv_min is not None:
        mask &= inv >= flt.inv_min
    if flt.inv_max is not None:
        mask &= inv <= flt.inv_max
    if flt.year_min is not None or flt.year_max is not None:
        year = start_year(out)
        if flt.year_min is not None:
            mask &= (year >= flt.year_min).fillna(False)
        if flt.year_max is not None:
            mask &= (year <= flt.year_max).fillna(False)
    return out[mask.astype(bool)]


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


def zone_names(zones: pd.DataFrame, lang: str = "zh") -> dict[str, str]:
    """zone_id → display name in ``lang``, in "4+4" order."""
    ordered = order_zones(zones)
    column = "name_en" if lang == "en" and "name_en" in ordered else "name"
    return dict(zip(ordered["zone_id"], ordered[column].fillna(ordered["name"])))


def zone_labels(zone_ids: str | None, names: Mapping[str, str], sep: str = "、") -> str:
    """``",lize,hexi,"`` → ``"丽泽金融商务区、河西地区"`` (names joined by ``sep``)."""
    ids = [z for z in (zone_ids or "").split(",") if z]
    return sep.join(names.get(z, z) for z in ids)

