"""Display frames for maps and tables: pure, escaped, labelled in the chosen language.

Takes store frames and summaries, returns new frames with the ``tip``/``pop`` HTML the map
builders expect (every user-provided string escaped) and table columns with labels.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard import i18n
from dashboard.store.queries import METRICS, zone_colour, zone_labels

Formatter = Callable[[object], str]
MetricLabel = Callable[..., str]


def esc(value: object) -> str:
    """HTML-escaped text of ``value`` (— for missing)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return i18n.DASH
    return html.escape(str(value))


# Map labels for the bundled zones' long English names ("Beijing Fengtai Railway Station Area"
# would cover its neighbours); the tooltip keeps the full name.
SHORT_LABELS_EN: dict[str, str] = {
    "nanzhongzhou": "South Axis", "xishan_yongding": "Xishan–Yongding", "lize": "Lize FBD",
    "zgc_fengtai": "ZGC Fengtai", "hexi": "Hexi", "fengtai_station": "Fengtai Station",
    "wulidian": "Wulidian", "xinfadi": "Xinfadi",
}
_GENERIC_EN = (" Area", " District", " Cluster", " Zone")


def map_label(zone_id: str, name: str, name_en: object, lang: str, width: int = 16) -> str:
    """A zone's label on a map: the Chinese name; in English a short name (:data:`SHORT_LABELS_EN`,
    else the English name without a generic last word such as "Area"), broken into lines
    (``\n``) of about ``width`` characters."""
    if lang != "en" or not isinstance(name_en, str) or not name_en.strip():
        return name
    text = SHORT_LABELS_EN.get(zone_id) or next(
        (name_en[: -len(w)] for w in _GENERIC_EN if name_en.endswith(w) and len(name_en) > len(w)), name_en)
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def zones_for_map(zones: gpd.GeoDataFrame, summary: pd.DataFrame, metric: str | None, metric_label: str,
                  fmt: Formatter, lang: str) -> gpd.GeoDataFrame:
    """Zones (display geometry) with zone_id, name (in ``lang``), label (for the map, see
    :func:`map_label`), colour, value, tip."""
    name_col = "name_en" if lang == "en" else "name"
    out = zones[["zone_id", "name", "name_en", "geometry"]].copy()
    full = out[name_col].fillna(out["name"])
    out["label"] = [map_label(z, n, e, lang) for z, n, e in zip(out["zone_id"], out["name"], out["name_en"],
                                                                strict=True)]
    out["colour"] = [zone_colour(z) for z in out["zone_id"]]
    values = summary[metric].reindex(out["zone_id"]).to_numpy() if metric else [None] * len(out)
    out["value"] = values
    hint = i18n.t("click_zone_hint", lang)
    out["tip"] = [f"<b>{esc(label)}</b>" + (f"<br>{esc(i18n.labelled(metric_label, fmt(v), lang))}" if metric else "")
                  + f"<br><small>{esc(hint)}</small>"
                  for label, v in zip(full, out["value"])]
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
            f"{esc(project_yi(row.get('investment_total'), lang))}")


def project_popup(row: Mapping, zone_names: Mapping[str, str], lang: str) -> str:
    """Popup HTML for one project (escaped)."""
    items = [
        (i18n.column_label("project_id", lang), row.get("project_id")),
        (i18n.column_label("status", lang), i18n.enum_label("status", row.get("status"), lang)),
        (i18n.column_label("level", lang), i18n.enum_label("level", row.get("level"), lang)),
        (i18n.column_label("industry", lang), i18n.enum_label("industry", row.get("industry"), lang)),
        (i18n.column_label("investment_total", lang), project_yi(row.get("investment_total"), lang)),
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
    """Located projects with project_id, status, investment_total (it sizes the dots), tip and
    (``with_popup``) pop, all escaped. The tips are built column-wise (no loop over rows)."""
    out = points[["project_id", "status", "geometry"]].copy()
    invest = pd.to_numeric(points["investment_total"], errors="coerce")
    out["investment_total"] = invest.round(2).to_numpy()
    status = _by_unique(points["status"], lambda v: esc(i18n.enum_label("status", v, lang)))
    amount = _by_unique(invest.round(2), lambda v: esc(project_yi(v, lang)))
    out["tip"] = ("<b>" + _esc_series(points["name"]) + "</b><br>" + status + " · " + amount).to_numpy()
    if with_popup:
        out["pop"] = [project_popup(r, zone_names, lang) for r in points.to_dict("records")]
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


def needs_for_map(points: gpd.GeoDataFrame, limit_days: float, long_days: float, lang: str) -> gpd.GeoDataFrame:
    """Located open needs with ``age`` (fresh: open ≤ ``limit_days``; overdue; long: open more
    than ``long_days``) and an escaped ``tip`` (id, enterprise, category, days open, owner unit;
    never the need's text, which is personal data)."""
    open_ = points[points["status"].eq("open").fillna(False).to_numpy(bool)]
    days = pd.to_numeric(open_["days_open"], errors="coerce").fillna(0).to_numpy(float)
    out = open_[["geometry"]].copy()
    out["age"] = np.where(days > long_days, "long", np.where(days > limit_days, "overdue", "fresh"))
    category = [i18n.enum_label("need_category", c, lang) for c in open_["category"]]
    unit = " days" if lang == "en" else " 天"
    out["tip"] = [f"<b>{esc(n)}</b> · {esc(e)}<br>{esc(c)} · {esc(f'{d:,.0f}')}{esc(unit)}<br>{esc(o)}"
                  for n, e, c, d, o in zip(open_["need_id"], open_["enterprise_name"], category, days,
                                           open_["owner_unit"])]
    return out


def needs_explorer_for_map(points: gpd.GeoDataFrame, limit_days: float, long_days: float,
                           lang: str) -> gpd.GeoDataFrame:
    """Every located need of the explorer's filter: the open ones as :func:`needs_for_map` draws
    them (``age`` fresh / overdue / long), the closed ones with ``age`` "closed"; each with an
    escaped ``tip`` (id, enterprise, category, status or days open, owner unit; never the text)."""
    located = points[points.geometry.notna().to_numpy(bool) & ~points.geometry.is_empty.to_numpy(bool)]
    open_ = needs_for_map(located, limit_days, long_days, lang)
    closed = located[~located["status"].eq("open").fillna(False).to_numpy(bool)]
    out = closed[["geometry"]].copy()
    out["age"] = "closed"
    category = [i18n.enum_label("need_category", c, lang) for c in closed["category"]]
    status = [i18n.enum_label("need_status", c, lang) for c in closed["status"]]
    out["tip"] = [f"<b>{esc(n)}</b> · {esc(e)}<br>{esc(c)} · {esc(s)}<br>{esc(o)}"
                  for n, e, c, s, o in zip(closed["need_id"], closed["enterprise_name"], category, status,
                                           closed["owner_unit"])]
    return gpd.GeoDataFrame(pd.concat([open_[["age", "tip", "geometry"]], out[["age", "tip", "geometry"]]]),
                            geometry="geometry", crs=points.crs)


def ports_for_map(stations: gpd.GeoDataFrame, breakdown: pd.DataFrame, lang: str) -> gpd.GeoDataFrame:
    """Located 先丰港 with their open needs (``needs_breakdown`` station rows, category ``all``):
    ``radius`` 5 px plus the square root of the open count (an area follows the workload) and an
    escaped ``tip``."""
    ports = stations[stations["kind"].eq("enterprise").fillna(False).to_numpy(bool)]
    rows = breakdown[(breakdown["level"] == "station") & (breakdown["category"] == "all")] \
        if len(breakdown) else breakdown
    open_by = rows.set_index("key")["open"] if len(rows) else pd.Series(dtype=float)
    overdue_by = rows.set_index("key")["overdue"] if len(rows) else pd.Series(dtype=float)
    n_open = ports["station_id"].map(open_by).fillna(0).to_numpy(float)
    n_overdue = ports["station_id"].map(overdue_by).fillna(0).to_numpy(float)
    out = ports[["geometry"]].copy()
    out["radius"] = (5 + 2 * np.sqrt(n_open)).round(1)
    label = ("open needs", "overdue") if lang == "en" else ("办理中诉求", "超期")
    out["tip"] = [f"<b>{esc(n)}</b><br>{esc(label[0])} {esc(f'{o:,.0f}')} · {esc(label[1])} {esc(f'{v:,.0f}')}"
                  for n, o, v in zip(ports["name"], n_open, n_overdue)]
    return out


def project_table(projects: pd.DataFrame, zone_names: Mapping[str, str], lang: str) -> pd.DataFrame:
    """The project table: labelled columns, enum codes as labels, zones as names, dates as dates,
    and how far behind plan a project is (needs ``zones``, a tuple per row:
    :func:`dashboard.store.queries.with_zones`). Built column by column, labels once per distinct value."""
    cols = ["project_id", "name", "status", "level", "industry", "investment_total", "start_date",
            "completion_date", "schedule", "days_late", "street", "zones", "owner_unit"]
    out = projects[[c for c in cols if c in projects.columns]].copy()
    for column, kind in (("status", "status"), ("level", "level"), ("industry", "industry"),
                         ("schedule", "schedule")):
        if column in out.columns:
            out[column] = _by_unique(out[column], lambda v, k=kind: i18n.enum_label(k, v, lang))
    out["zones"] = _by_unique(out["zones"].map(lambda v: tuple(v) if isinstance(v, (tuple, list)) else ()),
                              lambda v: zone_labels(v or (), zone_names, i18n.list_sep(lang)))
    if "investment_total" in out.columns:
        out["investment_total"] = pd.to_numeric(out["investment_total"], errors="coerce").round(2)
    for column in ("start_date", "completion_date"):
        if column in out.columns:
            out[column] = _dates(out[column])
    if "days_late" in out.columns:  # empty, not "None", for a project that is not late
        days = pd.to_numeric(out["days_late"], errors="coerce").round()
        out["days_late"] = _by_unique(days, lambda v: f"{int(v):,}" if v is not None and pd.notna(v) else "")
    return out.rename(columns={c: i18n.column_label("zone_ids" if c == "zones" else c, lang) for c in out.columns})


def _date_text(value: object) -> str:
    stamp = pd.to_datetime(value, errors="coerce")
    return stamp.strftime("%Y-%m-%d") if pd.notna(stamp) else i18n.DASH


def project_details(row: Mapping, zone_names: Mapping[str, str], lang: str) -> list[tuple[str, str]]:
    """The explorer's details of one project as (label, text) pairs, unescaped, in reading order:
    what it is, where and whose (address, owner unit, declared zone: the first thing a planner
    checks), then money and dates. Amounts in 亿元 at a sensible precision, dates as dates."""
    def code(kind: str, column: str) -> str:
        return i18n.enum_label(kind, row.get(column), lang)

    def text(column: str) -> str:
        value = row.get(column)
        return i18n.DASH if value is None or (isinstance(value, float) and pd.isna(value)) or value == "" \
            else str(value)

    declared = row.get("zone_declared")
    declared_text = zone_names.get(declared, str(declared)) if isinstance(declared, str) and declared else i18n.DASH
    if pd.notna(row.get("zone_declared_mismatch")) and bool(row.get("zone_declared_mismatch")):
        declared_text += i18n.t("x_declared_differs", lang)
    located = zone_labels(tuple(row.get("zones") or ()), zone_names, i18n.list_sep(lang)) or i18n.DASH
    invest, done = row.get("investment_total"), row.get("investment_done")
    done_text = project_yi(done, lang)
    try:
        if float(invest) > 0 and pd.notna(done):
            done_text += f"（{float(done) / float(invest) * 100:.0f}%）" if lang != "en" \
                else f" ({float(done) / float(invest) * 100:.0f}%)"
    except (TypeError, ValueError):
        pass
    schedule = code("schedule", "schedule")
    days = pd.to_numeric(pd.Series([row.get("days_late")]), errors="coerce").iloc[0]
    if pd.notna(days) and days > 0:
        schedule += i18n.t("x_days_late", lang, n=f"{int(days):,}")
    label = i18n.column_label
    return [
        (label("project_id", lang), text("project_id")),
        (i18n.t("x_kind", lang), " · ".join([code("status", "status"), code("level", "level"),
                                             code("industry", "industry")])),
        (label("address", lang), text("address")),
        (label("owner_unit", lang), text("owner_unit")),
        (label("zone_declared", lang), declared_text),
        (label("zone_ids", lang), located),
        (label("street", lang), text("street")),
        (i18n.t("x_investment", lang), project_yi(invest, lang)),
        (i18n.t("x_investment_done", lang), done_text),
        (i18n.t("x_dates", lang), f"{_date_text(row.get('start_date'))} → {_date_text(row.get('completion_date'))}"),
        (i18n.t("x_planned", lang),
         f"{_date_text(row.get('planned_start'))} → {_date_text(row.get('planned_completion'))}"),
        (label("schedule", lang), schedule),
    ]


def project_details_html(row: Mapping, zone_names: Mapping[str, str], lang: str) -> str:
    """:func:`project_details` as a compact two-column table (escaped; no header row)."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in project_details(row, zone_names, lang))
    return (f'<table class="ft-details" data-testid="ft-details" data-project="{esc(row.get("project_id"))}">'
            f"{body}</table>")


def _esc_series(values: pd.Series) -> pd.Series:
    """:func:`esc` over a column at once (— for missing)."""
    text = values.astype("string")
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        text = text.str.replace(raw, safe, regex=False)
    return text.fillna(i18n.DASH)


def _by_unique(values: pd.Series, label: Callable[[object], str]) -> pd.Series:
    """``label`` of every value, computed once per distinct value (a column of codes has few)."""
    known = values.notna()
    mapping = {v: label(v) for v in pd.unique(values[known])}
    return values.map(mapping).astype(object).where(known, label(None))


def project_yi(value: object, lang: str) -> str:
    """An amount in 亿元 at the precision it deserves: 0.39 亿元, 7.4 亿元, 165.7 亿元."""
    try:
        small = abs(float(value)) < 10
    except (TypeError, ValueError):
        small = False
    return i18n.fmt_yi(value, lang, digits=2 if small else 1)


def _dates(values: pd.Series) -> pd.Series:
    """Dates as ``2024-05-01`` (no 00:00:00; sorts as text), empty where unknown."""
    return pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d").fillna("")


def explorer_href(project_id: object, lang: str) -> str:
    """The link that opens ``project_id`` in the project explorer (selected, map zoomed to it),
    relative to the page it is on (so it works under any base path), keeping English."""
    query = {"project": str(project_id)} | ({"lang": "en"} if lang == "en" else {})
    return "projects?" + urlencode(query)


def chart_selection(event: object, param: str, field: str) -> tuple[str, ...]:
    """The ``field`` values picked in the selection ``param`` of a chart event
    (``st.altair_chart(..., on_select="rerun")``); () when nothing is picked."""
    selection = getattr(event, "selection", None) if not isinstance(event, Mapping) else event.get("selection")
    if selection is None:
        return ()
    points = selection.get(param) if isinstance(selection, Mapping) else getattr(selection, param, None)
    if not points:
        return ()
    return tuple(dict.fromkeys(str(p[field]) for p in points if isinstance(p, Mapping) and p.get(field) is not None))


def compact_number(value: float, max_decimals: int = 3) -> str:
    """``value`` with thousands separators and only the decimals it has (up to ``max_decimals``):
    class breaks are already rounded (:func:`dashboard.maps.class_breaks`), so 1,300, 7.6 and
    0.45 read as such, and two different breaks never print alike."""
    text = f"{float(value):,.{max_decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def legend_formatter(kind: str) -> Callable[[float], str]:
    """How a map legend writes a class break of an indicator of ``kind`` (shares in percent)."""
    if kind == "share":
        return lambda v: compact_number(float(v) * 100, 2) + "%"
    return compact_number


def zone_chart_frame(zones: pd.DataFrame, column: str, fmt: Formatter, lang: str) -> pd.DataFrame:
    """Zone comparison bars: zone_id, zone (display name), value, text, colour, in "4+4" order
    (``zones`` indexed by zone_id)."""
    name_col = "name_en" if lang == "en" else "name"
    return pd.DataFrame({"zone_id": zones.index.to_numpy(), "zone": zones[name_col].fillna(zones["name"]).to_numpy(),
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
    """The zone's street parts (:func:`dashboard.store.queries.zone_street_parts`) with the values and
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


def _svg_path(geom, to_xy: Callable) -> str:  # noqa: ANN001 - shapely geometry
    """An SVG path of a polygon or multipolygon's rings, each point through ``to_xy``."""
    import shapely

    parts = []
    for poly in shapely.get_parts(geom):
        rings = [poly.exterior, *poly.interiors] if hasattr(poly, "exterior") else []
        for ring in rings:
            pts = [to_xy(x, y) for x, y in ring.coords]
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + " Z")
    return " ".join(parts)


def repair_picture_svg(before_wkt: str, after_wkt: str, label: str, lang: str, size: int = 260,
                       zoom_m: float = 150.0) -> str:
    """A repaired boundary before and after, as two SVG panels: the whole polygon, and a window of
    ``zoom_m`` metres around the first self-crossing (where a 25 m spike can be seen). Before: red
    line; after: blue fill. Pure: no Streamlit."""
    import shapely
    from shapely import wkt as shapely_wkt

    from geodata.crs import METRIC_CRS, STORAGE_CRS

    before, after = shapely_wkt.loads(before_wkt), shapely_wkt.loads(after_wkt)
    frame = gpd.GeoSeries([before, after], crs=STORAGE_CRS).to_crs(METRIC_CRS)
    before_m, after_m = frame.iloc[0], frame.iloc[1]
    reason = shapely.is_valid_reason(before_m)
    spot = re.search(r"\[([-\d.eE+]+) ([-\d.eE+]+)\]", reason or "")
    centre = (float(spot.group(1)), float(spot.group(2))) if spot else after_m.centroid.coords[0]

    def panel(bounds: tuple[float, float, float, float], title: str, x0: int) -> str:
        minx, miny, maxx, maxy = bounds
        span = max(maxx - minx, maxy - miny) or 1.0
        scale = (size - 16) / span

        def to_xy(x: float, y: float) -> tuple[float, float]:
            return x0 + 8 + (x - minx) * scale, 28 + (maxy - y) * scale
        clip = f'<clipPath id="c{x0}"><rect x="{x0}" y="20" width="{size}" height="{size}"/></clipPath>'
        return (f'{clip}<g clip-path="url(#c{x0})">'
                f'<path d="{_svg_path(after_m, to_xy)}" fill="#2e86ab" fill-opacity="0.35" stroke="#2e86ab" '
                f'stroke-width="1" fill-rule="evenodd"/>'
                f'<path d="{_svg_path(before_m, to_xy)}" fill="none" stroke="#c0392b" stroke-width="1.5"/></g>'
                f'<rect x="{x0}" y="20" width="{size}" height="{size}" fill="none" stroke="#c9cfd6"/>'
                f'<text x="{x0 + 4}" y="14" font-size="12">{esc(title)}</text>')

    (b0, b1, b2, b3), (a0, a1, a2, a3) = before_m.bounds, after_m.bounds   # no union: ``before`` is invalid
    whole = (min(b0, a0), min(b1, a1), max(b2, a2), max(b3, a3))
    half = zoom_m / 2
    near = (centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half)
    zh = lang != "en"
    legend = (f'<text x="0" y="{size + 40}" font-size="12"><tspan fill="#c0392b">━ '
              f'{"修复前（原始边界）" if zh else "before (as read)"}</tspan>　<tspan fill="#2e86ab">■ '
              f'{"修复后（入库边界）" if zh else "after (as stored)"}</tspan></text>')
    width = 2 * size + 16
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size + 48}" '
            f'data-testid="repair-picture" data-label="{esc(label)}" role="img" aria-label="{esc(label)}">'
            + panel(whole, f"{label} · {'整体' if zh else 'whole'}", 0)
            + panel(near, f"{'自相交处' if zh else 'the self-crossing'} · {zoom_m:.0f} m", size + 16)
            + legend + "</svg>")
