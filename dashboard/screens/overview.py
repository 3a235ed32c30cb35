"""总览 Overview (``/``): the eight zones over the 26 streets, district KPIs, zone comparison,
and the streets to watch on each rate."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import i18n, state
from dashboard.briefing import change
from dashboard.maps import draw
from dashboard.store import data
from dashboard.store.queries import KPI_ROW_1, KPI_ROW_2, METRICS, WORST_MIN_CASES, worst_streets, zone_name
from dashboard.web import defer, pages, ui, views


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_overview")
    totals = data.district_totals()
    period = _period_row()
    figures = _scope_figures(period) or ui.area_figures("street", None, period, totals, _district_denominator())
    # The cards' sparklines wait for the map in a new session (Streamlit's chart bundle, dashboard.web.defer).
    defer.later("ft_later_kpis", _kpis, figures, early=lambda f: _kpis(f, sparklines=False))
    _warnings(lang)

    zones = data.zones_table()
    streets = data.streets_table()
    left, right = st.columns([1.45, 1], gap="medium")
    with right:
        c1, c2 = st.columns([1, 1.6])
        target = c1.radio(ui.t("colour_by"), ("zones", "streets"), key=state.OV_TARGET, horizontal=True,
                          format_func=lambda v: i18n.t(f"colour_{v}", lang))
        options = [*METRICS, CHANGE] if period else list(METRICS)
        metric = c2.selectbox(ui.t("metric"), options, key=state.OV_METRIC,
                              format_func=lambda v: ui.t("ch_map_change") if v == CHANGE else ui.metric_label(v, lang))
    if metric == CHANGE:
        _map_change_mode(zones, streets, period, target, lang)
        _streets_to_watch(streets, lang)
        return
    column = METRICS[metric].column
    label = ui.metric_label(metric)

    def fmt(v: object) -> str:
        return ui.metric_value(metric, v)

    bm = ui.basemap()
    m = draw.overview_map(
        zones=views.zones_for_map(draw.display_polygons(data.layer("zones"), bm.display_crs), zones, column,
                                  label, fmt, lang),
        streets=views.streets_for_map(draw.display_polygons(data.layer("streets"), bm.display_crs), streets,
                                      column, label, fmt, lang),
        target=target, legend_title=label + (ui.t("unit_yi_legend") if metric == "investment" else ""),
        fmt=views.legend_formatter(METRICS[metric].kind), no_data=i18n.t("no_data", lang), basemap=bm,
        note=ui.basemap_note(bm), layer_names=(ui.t("lyr_zones"), ui.t("lyr_streets")))
    with left:
        st.caption(ui.t("click_zone_hint"))
        result = st_folium(m, render=False, key="overview_map", height=600, use_container_width=True,
                           returned_objects=["last_active_drawing"])
        zone_id = ui.clicked_properties(result).get("zone_id")
        if zone_id in zones.index:
            st.switch_page(pages.path("zone"), query_params=ui.link_params(zone=zone_id))
    with right:
        # Zones overlap: say so where zone figures stand beside the district's, with the figures.
        overlap = ui.t("mp_overlap_note", zones=ui.metric_value("investment", zones["investment_total"].sum()),
                       district=ui.metric_value("investment", totals["investment"]))
        # drawn once the map is (a new session's first run: the chart and table bundles wait)
        defer.later("ft_later_compare", _compare_and_open, zones, metric, column, label, fmt, lang, overlap)
    defer.later("ft_later_watch", _streets_to_watch, streets, lang)


def _compare_and_open(zones: pd.DataFrame, metric: str, column: str, label: str, fmt, lang: str,  # noqa: ANN001
                      note: str) -> None:
    """The zone comparison, and the picker that opens a zone's profile."""
    _zone_comparison(zones, metric, column, label, fmt, lang, note)
    pick = st.selectbox(ui.t("open_profile"), list(zones.index), index=None, key=state.OV_OPEN,
                        format_func=lambda z: zone_name(zones, z, lang),
                        placeholder=ui.t("choose_zone"))
    if pick:
        st.switch_page(pages.path("zone"), query_params=ui.link_params(zone=pick))


def _kpis(figures: dict, sparklines: bool = True) -> None:
    ui.kpi_row([ui.kpi_with_change(figures[m]) for m in KPI_ROW_1], sparklines=sparklines)
    ui.kpi_row([ui.kpi_with_change(figures[m]) for m in KPI_ROW_2], columns=len(KPI_ROW_1), sparklines=sparklines)


def _zone_comparison(zones: pd.DataFrame, metric: str, column: str, label: str, fmt, lang: str,  # noqa: ANN001
                     note: str) -> None:
    st.markdown(f"**{ui.t('zone_compare')} · {label}**")
    chart_data = views.zone_chart_frame(zones, column, fmt, lang)
    counts = METRICS[metric].kind == "count"  # whole numbers on the axis: no 0.5 project
    pick = alt.selection_point(name="zone_pick", fields=["zone_id"])
    bars = alt.Chart(chart_data).mark_bar(cursor="pointer").encode(
        y=alt.Y("zone:N", sort=list(chart_data["zone"]), title=None, axis=alt.Axis(labelFontSize=13, labelLimit=220)),
        x=alt.X("value:Q", title=None, axis=alt.Axis(labelFontSize=11, **({"tickMinStep": 1, "format": ",d"}
                                                                           if counts else {}))),
        color=alt.Color("colour:N", scale=None, legend=None),
        tooltip=[alt.Tooltip("zone:N", title=ui.t("m_zones")), alt.Tooltip("text:N", title=label)]).add_params(pick)
    text = alt.Chart(chart_data).mark_text(align="left", dx=4, fontSize=12).encode(
        y=alt.Y("zone:N", sort=list(chart_data["zone"])), x="value:Q", text="text:N", color=alt.value("#333"))
    event = st.altair_chart((bars + text).properties(height=260), width="stretch", on_select="rerun",
                            key="ov_compare", selection_mode="zone_pick")
    st.caption(f"{ui.t('mp_compare_hint')} {note}")
    picked = views.chart_selection(event, "zone_pick", "zone_id")
    if picked and picked[0] in zones.index:  # a bar opens its zone, as a click on the map does
        st.switch_page(pages.path("zone"), query_params=ui.link_params(zone=picked[0]))
    shown = ("projects", "investment", "enterprises", "service_package", "stations", "hotline_rate",
             "response_rate", "satisfaction_rate", "coverage", "projects_delayed")
    table = views.indicator_table(zones, chart_data["zone"], shown, ui.metric_label, lang)
    st.dataframe(table, hide_index=True, width="stretch", height=330)


def _streets_to_watch(streets: pd.DataFrame, lang: str) -> None:
    worst = worst_streets(streets)
    st.markdown(f"**{ui.t('worst_streets')}**")
    st.caption(ui.t("worst_note", n=i18n.fmt_int(WORST_MIN_CASES)))
    if worst.empty:
        st.info(ui.t("no_data"))
        return
    st.dataframe(views.worst_table(worst, ui.metric_label, lambda m, v: ui.metric_value(m, v), lang),
                 hide_index=True, width="stretch")



CHANGE = "cases_change"   # the map mode "this month vs last month"


def _period_row() -> str | None:
    """The month picker and what the figures below are for (dated: that month; stock: as of the build)."""
    months = change.months_available(data.hotline_monthly())
    c1, c2 = st.columns([1, 4], vertical_alignment="bottom")
    period = ui.period_picker(months, c1)
    if period:
        c2.caption(ui.t("ch_period_note", period=period, as_of=data.as_of() or i18n.DASH))
    return period


def _scope_figures(period: str | None) -> dict | None:
    """For a viewer scoped to one zone or one street: that area's KPI figures (with their
    changes), not the district's; None for the whole district (or a scope of several areas,
    whose cards stay the district's, as context)."""
    scope = data.current_scope()
    if scope.whole or len(scope.zones) + len(scope.streets) != 1:
        return None
    level, key, table = (("zone", next(iter(scope.zones)), data.zones_table()) if scope.zones
                         else ("street", next(iter(scope.streets)), data.streets_table()))
    if key not in table.index:
        return None
    row = table.loc[key]
    return ui.area_figures(level, key, period, {m: row.get(spec.column) for m, spec in METRICS.items()}, row)


def _district_denominator() -> dict[str, float | None]:
    streets = data.district_street_stats()
    population = streets["population"].sum() if len(streets) and streets["population"].notna().all() else None
    return {"population": population, "area_km2": streets["area_km2"].sum() if len(streets) else None}


def _warnings(lang: str, limit: int = 3) -> None:
    """The build's warnings, newest first and high before medium, each with its numbers and a
    link to its area: the first ``limit`` shown, the rest one click away so the map stays near
    the top of a projector's screen."""
    alerts = data.alerts()
    with st.container(border=True, key="ft_alerts"):
        st.markdown(f"**{i18n.counted(ui.t('al_title'), len(alerts), lang) if len(alerts) else ui.t('al_title')}**")
        if alerts.empty:
            st.caption(ui.t("al_none"))
            return
        ordered = alerts.assign(_high=(alerts["severity"] == "high")).sort_values(
            ["period", "_high"], ascending=[False, False])
        for _, row in ordered.head(limit).iterrows():
            _warning_line(row, lang)
        if len(alerts) > limit:
            with st.expander(ui.t("al_more", n=i18n.fmt_int(len(alerts) - limit))):
                for _, row in ordered.iloc[limit:].iterrows():
                    _warning_line(row, lang)
        st.caption(ui.t("al_rules"))


def _warning_line(row: pd.Series, lang: str) -> None:
    message = row.get("message_en") if lang == "en" else row.get("message_zh")
    chip = ui.t("al_high" if row.get("severity") == "high" else "al_medium")
    cols = st.columns([6, 1], vertical_alignment="center")
    cols[0].markdown(f'<span class="ft-alert" data-testid="ft-alert" data-rule="{views.esc(row.get("rule"))}"'
                     f' data-key="{views.esc(row.get("key"))}"><b style="color:'
                     f'{"#c62828" if row.get("severity") == "high" else "#b86e00"}">[{views.esc(chip)}]</b> '
                     f"{views.esc(message)}</span>", unsafe_allow_html=True)
    target = _alert_link(row)
    if target is not None:
        cols[1].page_link(pages.path(target[0]), label=ui.t("al_open"), query_params=ui.link_params(**target[1]))


def _alert_link(row: pd.Series) -> tuple[str, dict[str, str]] | None:
    level, key, period = row.get("level"), str(row.get("key")), str(row.get("period") or "")
    if level == "zone":
        return "zone", {"zone": key}
    if level == "project":
        return "projects", {"project": key}
    if level in ("street", "community"):
        street = key.split("/")[0] if level == "community" else key
        return "ranking", {"month": period[:7], "street": street} if len(period) >= 7 else {"street": street}
    return None


def _map_change_mode(zones: pd.DataFrame, streets: pd.DataFrame, period: str, target: str, lang: str) -> None:
    """The map coloured by the change of 12345 cases this month against last month (diverging)."""
    monthly = data.hotline_monthly()
    before = change.shift(period, -1)

    def changes(level: str, keys: list[str]) -> list[float]:
        out = []
        for key in keys:
            months = change.area_months(monthly, level, [key])
            c = change.compare("mom", "hotline_rate", *(_cases(months, period), _cases(months, before)),
                               _cases(months, period) or 0.0, _cases(months, before) or 0.0, before)
            out.append(c.delta if c.shown else float("nan"))
        return out

    zones = zones.assign(cases_change=changes("zone", list(zones.index)))
    streets = streets.assign(cases_change=changes("street", list(streets.index)))
    label = f"{ui.t('ch_change_col')} · {period} / {before}"

    def fmt(v: object) -> str:
        return "—" if v is None or v != v else f"{float(v) * 100:+.0f}%"

    bm = ui.basemap()
    m = draw.overview_map(
        zones=views.zones_for_map(draw.display_polygons(data.layer("zones"), bm.display_crs), zones, CHANGE,
                                  label, fmt, lang),
        streets=views.streets_for_map(draw.display_polygons(data.layer("streets"), bm.display_crs), streets,
                                      CHANGE, label, fmt, lang),
        target=target, legend_title=label, fmt=fmt, no_data=ui.t("ch_small_baseline", n=f"< {change.MIN_COUNT_BASE}"),
        basemap=bm, note=ui.basemap_note(bm), layer_names=(ui.t("lyr_zones"), ui.t("lyr_streets")),
        ramp=draw.DIVERGING, breaks=draw.CHANGE_BREAKS)
    st.caption(ui.t("ch_map_change_help", n=change.MIN_COUNT_BASE))
    st_folium(m, render=False, key="overview_change_map", height=600, use_container_width=True, returned_objects=[])


def _cases(months: pd.DataFrame, month: str) -> float | None:
    return float(months.loc[month, "cases"]) if month in months.index else None


if __name__ == "__main__":
    render()
