"""总览 Overview (``/``): the eight zones over the 26 streets, district KPIs, zone comparison,
and the streets to watch on each rate."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import i18n, state
from dashboard.maps import draw
from dashboard.store import data
from dashboard.store.queries import KPI_ROW_1, KPI_ROW_2, METRICS, WORST_MIN_CASES, worst_streets, zone_name
from dashboard.web import pages, ui, views


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_overview")
    totals = data.district_totals()
    ui.kpi_row([ui.kpi(m, totals[m]) for m in KPI_ROW_1])
    ui.kpi_row([ui.kpi(m, totals[m]) for m in KPI_ROW_2], columns=len(KPI_ROW_1))

    zones = data.zones_table()
    streets = data.streets_table()
    left, right = st.columns([1.45, 1], gap="medium")
    with right:
        c1, c2 = st.columns([1, 1.6])
        target = c1.radio(ui.t("colour_by"), ("zones", "streets"), key=state.OV_TARGET, horizontal=True,
                          format_func=lambda v: i18n.t(f"colour_{v}", lang))
        metric = c2.selectbox(ui.t("metric"), list(METRICS), key=state.OV_METRIC,
                              format_func=lambda v: ui.metric_label(v, lang))
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
        result = st_folium(m, key="overview_map", height=600, use_container_width=True,
                           returned_objects=["last_active_drawing"])
        zone_id = ui.clicked_properties(result).get("zone_id")
        if zone_id in zones.index:
            st.switch_page(pages.path("zone"), query_params=ui.link_params(zone=zone_id))
    with right:
        # Zones overlap: say so where zone figures stand beside the district's, with the figures.
        overlap = ui.t("mp_overlap_note", zones=ui.metric_value("investment", zones["investment_total"].sum()),
                       district=ui.metric_value("investment", totals["investment"]))
        _zone_comparison(zones, metric, column, label, fmt, lang, overlap)
        pick = st.selectbox(ui.t("open_profile"), list(zones.index), index=None, key=state.OV_OPEN,
                            format_func=lambda z: zone_name(zones, z, lang),
                            placeholder=ui.t("choose_zone"))
        if pick:
            st.switch_page(pages.path("zone"), query_params=ui.link_params(zone=pick))
    _streets_to_watch(streets, lang)


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


if __name__ == "__main__":
    render()
