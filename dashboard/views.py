"""Display frames for maps and tables: pure, escaped, labelled in the chosen language.

Takes store frames and summaries, returns new frames with the ``tip``/``pop`` HTML the map
builders expect (every user-provided string escaped) and table columns with labels.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import geopandas as gpd
import pandas as pd

from dashboard import i18n
from dashboard.queries import zone_colour, zone_labels

Formatter = Callable[[object], str]


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
        (i18n.column_label("zone_ids", lang), zone_labels(row.get("zone_ids"), zone_names, i18n.list_sep(lang)) or i18n.DASH),
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
    """The project table: labelled columns, enum codes as labels, zones as names."""
    cols = ["project_id", "name", "status", "level", "industry", "investment_total", "start_date",
            "completion_date", "street", "zone_ids", "owner_unit"]
    out = projects[[c for c in cols if c in projects.columns]].copy()
    for column, kind in (("status", "status"), ("level", "level"), ("industry", "industry")):
        out[column] = [i18n.enum_label(kind, v, lang) for v in out[column]]
    out["zone_ids"] = [zone_labels(v, zone_names, i18n.list_sep(lang)) for v in out["zone_ids"]]
    for column in ("start_date", "completion_date"):
        out[column] = pd.to_datetime(out[column], errors="coerce").dt.strftime("%Y-%m").fillna("")
    return out.rename(columns={c: i18n.column_label(c, lang) for c in out.columns})
