"""总览 Overview (``/``): the eight zones over the 26 streets, district KPIs, zone comparison."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import data, i18n, maps, ui, views
from dashboard.queries import METRICS

lang = ui.lang()
ui.page_title("page_overview")

totals = data.district_totals()
ui.kpi_row([(ui.metric_label(m), ui.metric_value(m, totals[m]),
             ui.t("rate_note") if m == "hotline_rate" and data.hotline_rate_unit() == "per_10k"
             else (ui.t("density_note") if m == "hotline_rate" else None))
            for m in METRICS])

zone_summary = data.zone_summary()
street_summary = data.street_summary()

left, right = st.columns([1.45, 1], gap="medium")
with right:
    c1, c2 = st.columns([1, 1.6])
    target = c1.radio(ui.t("colour_by"), ("zones", "streets"), key="ov_target", horizontal=True,
                      format_func=lambda v: i18n.t(f"colour_{v}", lang))
    metric = c2.selectbox(ui.t("metric"), METRICS, key="ov_metric",
                          format_func=lambda v: ui.metric_label(v, lang))

label = ui.metric_label(metric)
bm = ui.basemap()
zones_disp = maps.display_polygons(data.layer("zones"), bm.display_crs)
streets_disp = maps.display_polygons(data.layer("streets"), bm.display_crs)
fmt = lambda v: ui.metric_value(metric, v)  # noqa: E731
zones_view = views.zones_for_map(zones_disp, zone_summary, metric, label, fmt, lang)
streets_view = views.streets_for_map(streets_disp, street_summary, metric, label, fmt, lang)
legend_fmt = lambda v: i18n.fmt_int(v) if metric != "investment" else f"{v:,.0f}"  # noqa: E731
legend_title = label + (ui.t("unit_yi_legend") if metric == "investment" else "")
m = maps.overview_map(zones_view, streets_view, target, legend_title, legend_fmt, i18n.t("no_data", lang), bm,
                      ui.basemap_note(bm), (ui.t("lyr_zones"), ui.t("lyr_streets")))

with left:
    st.caption(ui.t("click_zone_hint"))
    result = st_folium(m, key="overview_map", height=600, use_container_width=True,
                       returned_objects=["last_active_drawing"])
    zone_id = ui.clicked_properties(result).get("zone_id")
    if zone_id in zone_summary.index:
        st.switch_page(st.session_state["_pages"]["zone"], query_params={"zone": zone_id})

with right:
    st.markdown(f"**{ui.t('zone_compare')} · {label}**")
    name_col = "name_en" if lang == "en" else "name"
    chart_data = pd.DataFrame({"zone": zone_summary[name_col].fillna(zone_summary["name"]),
                               "value": zone_summary[metric].astype(float),
                               "text": [fmt(v) for v in zone_summary[metric]],
                               "colour": zone_summary["colour"]})
    order = list(chart_data["zone"])
    bars = alt.Chart(chart_data).mark_bar().encode(
        y=alt.Y("zone:N", sort=order, title=None, axis=alt.Axis(labelFontSize=13, labelLimit=220)),
        x=alt.X("value:Q", title=None, axis=alt.Axis(labelFontSize=11)),
        color=alt.Color("colour:N", scale=None, legend=None),
        tooltip=[alt.Tooltip("zone:N", title=ui.t("m_zones")), alt.Tooltip("text:N", title=label)])
    text = bars.mark_text(align="left", dx=4, fontSize=12).encode(text="text:N", color=alt.value("#333"))
    st.altair_chart((bars + text).properties(height=260), width="stretch")
    table = pd.DataFrame({
        ui.t("m_zones"): chart_data["zone"].to_numpy(),
        ui.t("m_projects"): zone_summary["projects"].to_numpy(),
        ui.t("m_investment") + ui.t("unit_yi"): zone_summary["investment"].round(1).to_numpy(),
        ui.t("m_enterprises"): zone_summary["enterprises"].to_numpy(),
        ui.t("m_service_package"): zone_summary["service_package"].to_numpy(),
        ui.t("m_stations"): zone_summary["stations"].to_numpy(),
        ui.metric_label("hotline_rate"): zone_summary["hotline_rate"].round(1).to_numpy(),
    })
    st.dataframe(table, hide_index=True, width="stretch", height=330)
    ids = list(zone_summary.index)
    pick = st.selectbox(ui.t("open_profile"), ids, index=None, key="ov_open",
                        format_func=lambda z: str(zone_summary.loc[z, name_col] or zone_summary.loc[z, "name"]),
                        placeholder=ui.t("choose_zone"))
    if pick:
        st.switch_page(st.session_state["_pages"]["zone"], query_params={"zone": pick})
