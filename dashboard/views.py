"""Display frames for maps and tables: pure, escaped, labelled in the chosen language.

Takes store frames and summaries, returns new frames with the ``tip``/``pop`` HTML the map
builders expect (every user-provided string escaped) and table columns with labels.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard import i18n
from dashboard.queries import METRICS, zone_colour, zone_labels

Formatter = Callable[[object], str]
MetricLabel = Callable[..., str]


def esc(value: object) -> str:
    """HTML-escaped text of ``value`` (— for missing)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return i18n.DASH
    return html.escape(str(value))


def zones_for_map(zones: gpd.GeoDataFrame, summary: pd.DataFrame, metric: str | None, metric_label: str,
                  fmt: Formatter, lang: str) -> gpd.GeoDataFrame:
    """Zones (display geometry) with zone_id, label, colour, value, tip."""
    name_col = "name_en" if lang == "en" else "name"
    out = zones[["zone_id", "name", "name_en", "geometry"]].copy()
    out["label"] = out[name_col].fillna(out["name"])
    out["colour"] = [zone_colour(z) for z in out["zone_id"]]
    values = summary[metric].reindex(out["zone_id"]).to_numpy() if metric else [None] * len(out)
    out["value"] = values
    hint = i18n.t("click_zone_hint", lang)
    out["tip"] = [f"<b>{esc(label)}</b>" + (f"<br>{esc(i18n.labelled(metric_label, fmt(v), lang))}" if metric else "")
                  + f"<br><small>{esc(hint)}</small>"
                  for label, v in zip(out["label"], out["value"])]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=zones.crs)


def streets_for_map(streets: gpd.GeoDataFrame, summary: pd.DataFrame, metric: str | None, metric_label: str,
                    fmt: Formatter, lang: str) -> gpd.GeoDataFrame:
    """Streets (display geometry) with name, value, tip."""
    out = streets[["name", "name_en", "geometry"]].copy()
    out["value"] = summary[metric].reindex(out["name"]).to_numpy() if metric else None
    label = out["name_en"].fillna(out["name"]) if lang == "en" else out["name"]
    out["tip"] = [f"<b>{esc(n)}</b>" + (f"<br>{esc(i18n.labelled(metric_label, fmt(v), lang))}" if metric else "")
                  for n, v in zip(label, out["value"])]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=streets.crs)


def project_tip(row: Mapping, lang: str) -> str:
    """Tooltip HTML for one project (escaped)."""
    return (f"<b>{esc(row.get('name'))}</b><br>{esc(i18n.enum_label('status', row.get('status'), lang))} · "
            f"{esc(i18n.fmt_yi(row.get('investment_total'), lang))}")


def project_popup(row: Mapping, zone_names: Mapping[str, str], lang: str) -> str:
    """Popup HTML for one project (escaped)."""
    items = [
        (i18n.column_label("project_id", lang), row.get("project_id")),
        (i18n.column_label("status", lang), i18n.enum_label("status", row.get("status"), lang)),
        (i18n.column_label("level", lang), i18n.enum_label("level", row.get("level"), lang)),
        (i18n.column_label("industry", lang), i18n.enum_label("industry", row.get("industry"), lang)),
        (i18n.column_label("investment_total", lang), i18n.fmt_yi(row.get("investment_total"), lang)),
        (i18n.column_label("street", lang), row.get("street")),
        (i18n.column_label("zone_ids", lang), zone_labels(row.get("zones") or (), zone_names, i18n.list_sep(lang))
         or i18n.DASH),
        (i18n.column_label("owner_unit", lang), row.get("owner_unit")),
    ]
    body = "".join(f"<tr><th style='text-align:left;padding-right:8px'>{esc(k)}</th><td>{esc(v)}</td></tr>"
                   for k, v in items)
    return f"<b>{esc(row.get('name'))}</b><table>{body}</table>"


def projects_for_map(points: gpd.GeoDataFrame, zone_names: Mapping[str, str], lang: str,
                     with_popup: bool = True) -> gpd.GeoDataFrame:
    """Located projects with project_id, status, tip and (``with_popup``) pop, all escaped."""
    records = points.to_dict("records")
    out = points[["project_id", "status", "geometry"]].copy()
    out["tip"] = [project_tip(r, lang) for r in records]
    if with_popup:
        out["pop"] = [project_popup(r, zone_names, lang) for r in records]
    return out


def stations_for_map(points: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """Located stations with kind, tip, pop (escaped)."""
    out = points[["kind", "geometry"]].copy()
    kind = [i18n.enum_label("station_kind", k, lang) for k in points["kind"]]
    tier = [i18n.enum_label("station_tier", k, lang) for k in points["tier"]]
    out["tip"] = [f"<b>{esc(n)}</b><br>{esc(k)} · {esc(t)}" for n, k, t in zip(points["name"], kind, tier)]
    out["pop"] = [f"<b>{esc(n)}</b><br>{esc(k)} · {esc(t)}<br>{esc(s)}<br>{esc(h)}"
                  for n, k, t, s, h in zip(points["name"], kind, tier, points["services"], points["hours"])]
    return out


def project_table(projects: pd.DataFrame, zone_names: Mapping[str, str], lang: str) -> pd.DataFrame:
    """The project table: labelled columns, enum codes as labels, zones as names, and how far
    behind plan a project is (needs ``zones``, a tuple per row: :func:`dashboard.queries.with_zones`)."""
    cols = ["project_id", "name", "status", "level", "industry", "investment_total", "start_date",
            "completion_date", "schedule", "days_late", "street", "zones", "owner_unit"]
    out = projects[[c for c in cols if c in projects.columns]].copy()
    for column, kind in (("status", "status"), ("level", "level"), ("industry", "industry"),
                         ("schedule", "schedule")):
        if column in out.columns:
            out[column] = [i18n.enum_label(kind, v, lang) for v in out[column]]
    out["zones"] = [zone_labels(v or (), zone_names, i18n.list_sep(lang)) for v in out["zones"]]
    for column in ("start_date", "completion_date"):
        out[column] = pd.to_datetime(out[column], errors="coerce").dt.strftime("%Y-%m").fillna("")
    if "days_late" in out.columns:  # empty, not "None", for a project that is not late
        days = pd.to_numeric(out["days_late"], errors="coerce")
        out["days_late"] = [f"{int(v):,}" if pd.notna(v) else "" for v in days]
    return out.rename(columns={c: i18n.column_label("zone_ids" if c == "zones" else c, lang) for c in out.columns})


def legend_formatter(kind: str) -> Callable[[float], str]:
    """How a map legend writes a class break of an indicator of ``kind``."""
    if kind == "share":
        return lambda v: f"{v * 100:.0f}%"
    if kind == "yi":
        return lambda v: f"{v:,.0f}"
    if kind == "rate":
        return lambda v: f"{v:,.1f}"
    return i18n.fmt_int


def zone_display_name(zones: pd.DataFrame, zone_id: str, lang: str) -> str:
    """The zone's name in ``lang`` (``zones`` indexed by zone_id, with name and name_en)."""
    row = zones.loc[zone_id]
    return str(row["name_en"] if lang == "en" and isinstance(row["name_en"], str) else row["name"])


def zone_chart_frame(zones: pd.DataFrame, column: str, fmt: Formatter, lang: str) -> pd.DataFrame:
    """Zone comparison bars: zone (display name), value, text, colour, in "4+4" order."""
    name_col = "name_en" if lang == "en" else "name"
    return pd.DataFrame({"zone": zones[name_col].fillna(zones["name"]).to_numpy(),
                         "value": zones[column].astype(float).to_numpy(),
                         "text": [fmt(v) for v in zones[column]],
                         "colour": zones["colour"].to_numpy()})


def indicator_table(zones: pd.DataFrame, names: pd.Series, metrics: tuple[str, ...], label: MetricLabel,
                    lang: str) -> pd.DataFrame:
    """Zones × indicators for a table: numbers rounded for reading, shares in percent."""
    out = {i18n.t("m_zones", lang): list(names)}
    for metric in metrics:
        spec = METRICS[metric]
        values = zones[spec.column].astype(float)
        if spec.kind == "share":
            out[label(metric, lang) + " %"] = (values * 100).round(1).to_numpy()
        elif spec.kind == "yi":
            out[label(metric, lang) + i18n.t("unit_yi", lang)] = values.round(1).to_numpy()
        elif spec.kind == "rate":
            out[label(metric, lang)] = values.round(1).to_numpy()
        else:
            out[label(metric, lang)] = values.round().astype("Int64").to_numpy()
    return pd.DataFrame(out)


def worst_table(worst: pd.DataFrame, label: MetricLabel, value: Callable[[str, object], str],
                lang: str) -> pd.DataFrame:
    """The streets to watch, labelled: indicator, street, value, cases behind it."""
    return pd.DataFrame({i18n.t("metric", lang): [label(m, lang) for m in worst["metric"]],
                         i18n.t("t_street", lang): worst["street"].to_numpy(),
                         i18n.t("t_value", lang): [value(m, v) for m, v in zip(worst["metric"], worst["value"],
                                                                                 strict=True)],
                         i18n.t("t_cases", lang): worst["cases"].to_numpy()})


def street_parts_for_map(parts: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """The zone's street parts (:func:`dashboard.queries.zone_street_parts`) with the values and
    escaped tips the zone map colours: enterprises located in the part, and the part's 12345
    density (its share of the zone's case estimate, per km²)."""
    out = parts[["name", "geometry"]].copy()
    out["ent_value"] = parts["enterprises"].to_numpy()
    out["hot_value"] = parts["hotline_density"].to_numpy()
    ent_label, hot_label = i18n.t("m_enterprises", lang), i18n.t("lyr_hotline", lang)
    out["ent_tip"] = [f"<b>{esc(n)}</b><br>{esc(i18n.labelled(ent_label, i18n.fmt_int(v, lang), lang))}"
                      for n, v in zip(out["name"], out["ent_value"], strict=True)]
    out["hot_tip"] = [f"<b>{esc(n)}</b><br>{esc(i18n.labelled(hot_label, i18n.fmt_density(v, lang), lang))}"
                      for n, v in zip(out["name"], out["hot_value"], strict=True)]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=parts.crs)


def communities_for_map(points: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """Located communities with ``coverage`` (covered / uncovered) and an escaped tip giving the
    population and the straight-line distance to the nearest 先丰站."""
    covered = points["covered"].astype("boolean").fillna(False).to_numpy()
    out = points[["geometry"]].copy()
    out["coverage"] = np.where(covered, "covered", "uncovered")
    out["tip"] = [f"<b>{esc(n)}</b><br>{esc(i18n.labelled(i18n.t('t_population', lang), i18n.fmt_int(p, lang), lang))}"
                  f"<br>{esc(i18n.labelled(i18n.t('t_nearest', lang), i18n.fmt_int(d, lang), lang))}"
                  f" · {esc(i18n.t('covered' if c else 'uncovered', lang))}"
                  for n, p, d, c in zip(points["name"], points["population"], points["nearest_station_m"], covered,
                                        strict=True)]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=points.crs)


def coverage_gaps_table(communities: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The communities beyond reach, farthest first: name, street, residents, metres to a station."""
    gaps = communities[~communities["covered"].astype("boolean").fillna(True)]
    gaps = gaps.sort_values("nearest_station_m", ascending=False)
    return pd.DataFrame({i18n.t("t_community", lang): gaps["name"].to_numpy(),
                         i18n.t("t_street", lang): gaps["street"].to_numpy(),
                         i18n.t("t_population", lang): pd.to_numeric(gaps["population"]).round().astype("Int64").to_numpy(),
                         i18n.t("t_nearest", lang): pd.to_numeric(gaps["nearest_station_m"]).round().astype("Int64")
                         .to_numpy()})
