"""功能区 Zone profile (``/zone?zone=<id>``): one zone's map, KPIs, pipeline, industries, projects."""
from __future__ import annotations

import altair as alt
import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import data, i18n, maps, ui, views
from dashboard.queries import STATUS_LABELS, industry_mix, pipeline_by_year, zone_names
from geodata.crs import METRIC_CRS

lang = ui.lang()
ui.page_title("page_zone")

summary = data.zone_summary()
names = zone_names(data.layer("zones"), lang)
ids = list(summary.index)
requested = st.query_params.get("zone")
if requested is not None and requested not in ids:
    st.warning(ui.t("unknown_zone", zone=requested))
# A zone named in the URL wins once (a link, a click on the overview); then the selector rules.
if requested in ids and st.session_state.get("_zone_url_seen") != requested:
    st.session_state["zone_pick"] = requested
if st.session_state.get("zone_pick") not in ids:
    st.session_state["zone_pick"] = ids[0]

top_left, top_right = st.columns([2, 1], vertical_alignment="bottom")
zone_id = top_left.selectbox(ui.t("choose_zone"), ids, key="zone_pick", format_func=lambda z: names.get(z, z))
st.query_params["zone"] = zone_id
st.session_state["_zone_url_seen"] = zone_id
mode = top_right.radio(ui.t("enterprise_display"), ("aggregated", "clustered"), horizontal=True, key="zone_ent",
                       format_func=lambda v: i18n.t("ent_aggregated" if v == "aggregated" else "ent_clustered", lang))
row = summary.loc[zone_id]
st.markdown(f'<div data-testid="ft-zone" data-zone="{views.esc(zone_id)}"></div>', unsafe_allow_html=True)

projects = data.zone_frame(zone_id, "projects")
stations = data.zone_frame(zone_id, "stations")
enterprises = data.zone_frame(zone_id, "enterprises")
hotline = data.zone_frame(zone_id, "hotline")

status_text = " / ".join(f"{i18n.enum_label('status', s, lang)} {int(row[f'status_{s}'])}" for s in STATUS_LABELS)
ui.kpi_row([
    (ui.t("m_projects"), ui.metric_value("projects", row["projects"]), status_text),
    (ui.t("m_investment"), ui.metric_value("investment", row["investment"]), None),
    (ui.t("m_enterprises"), ui.metric_value("enterprises", row["enterprises"]), None),
    (ui.t("m_service_package"), ui.metric_value("service_package", row["service_package"]), None),
    (ui.t("m_stations"), ui.metric_value("stations", row["stations"]), None),
    (ui.metric_label("hotline_rate"), ui.metric_value("hotline_rate", row["hotline_rate"]),
     ui.t("rate_note") if data.hotline_rate_unit() == "per_10k" else ui.t("density_note")),
])
st.caption(" · ".join(i18n.labelled(i18n.enum_label("status", s, lang),
                                    i18n.fmt_int(row[f"status_{s}"], lang, ui.t("unit_projects")), lang)
                      for s in STATUS_LABELS))

# ---- map
bm = ui.basemap()
zones_all = data.layer("zones")
zones_disp = views.zones_for_map(maps.display_polygons(zones_all, bm.display_crs), summary, None, "", str, lang)
zone_disp = zones_disp[zones_disp["zone_id"] == zone_id]
streets = data.layer("streets")
streets_disp = views.streets_for_map(maps.display_polygons(streets, bm.display_crs), data.street_summary(),
                                     None, "", str, lang)
zone_geom = zones_all[zones_all["zone_id"] == zone_id]
parts = gpd.overlay(streets[["name", "geometry"]], zone_geom[["geometry"]], how="intersection", keep_geom_type=True)
area_km2 = parts.to_crs(METRIC_CRS).area / 1e6
ent_counts = enterprises["street"].value_counts()
hot_counts = hotline["street"].value_counts()
parts["ent_value"] = parts["name"].map(ent_counts).fillna(0).to_numpy()
parts["hot_value"] = (parts["name"].map(hot_counts).fillna(0) / area_km2.where(area_km2 > 0.05)).to_numpy()
parts["ent_tip"] = [f"<b>{views.esc(n)}</b><br>"
                    f"{views.esc(i18n.labelled(ui.t('m_enterprises'), i18n.fmt_int(v, lang), lang))}"
                    for n, v in zip(parts["name"], parts["ent_value"])]
parts["hot_tip"] = [f"<b>{views.esc(n)}</b><br>"
                    f"{views.esc(i18n.labelled(ui.t('lyr_hotline'), i18n.fmt_density(v, lang), lang))}"
                    for n, v in zip(parts["name"], parts["hot_value"])]
parts = maps.display_polygons(parts, bm.display_crs)
proj_pts = views.projects_for_map(maps.display_points(projects, bm.display_crs), names, lang)
stat_pts = views.stations_for_map(maps.display_points(stations, bm.display_crs), lang)
ent_pts = maps.display_points(enterprises[["geometry"]], bm.display_crs)
legends = {"enterprises": ui.t("lyr_enterprises_agg"), "points": ui.t("lyr_projects") + " / " + ui.t("lyr_stations")}
legends |= {f"status:{k}": i18n.enum_label("status", k, lang) for k in maps.STATUS_COLOURS}
legends |= {f"kind:{k}": i18n.enum_label("station_kind", k, lang) for k in maps.STATION_COLOURS}
layer_names = {"streets": ui.t("lyr_streets"), "zones": ui.t("lyr_zones"), "zone": names.get(zone_id, zone_id),
               "projects": ui.t("lyr_projects"), "stations": ui.t("lyr_stations"),
               "enterprises_agg": ui.t("lyr_enterprises_agg"), "enterprises_cluster": ui.t("lyr_enterprises_cluster"),
               "hotline": ui.t("lyr_hotline")}
m = maps.zone_map(zone_disp, zones_disp, streets_disp, parts, proj_pts, stat_pts, ent_pts, layer_names, legends,
                  lambda v: i18n.fmt_int(v), bm, ui.basemap_note(bm), mode)

left, right = st.columns([1.45, 1], gap="medium")
with left:
    st_folium(m, key=f"zone_map_{zone_id}", height=560, use_container_width=True, returned_objects=[])
with right:
    st.markdown(f"**{ui.t('pipeline')}**")
    pipe = pipeline_by_year(projects)
    if pipe.empty:
        st.info(ui.t("no_data"))
    else:
        pipe["status_label"] = [i18n.enum_label("status", s, lang) for s in pipe["status"]]
        pipe["year"] = pipe["year"].replace({i18n.DASH: ui.t("no_year")})
        domain = [i18n.enum_label("status", s, lang) for s in maps.STATUS_COLOURS]
        chart = alt.Chart(pipe).mark_bar().encode(
            x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12)),
            y=alt.Y("count:Q", title=None),
            color=alt.Color("status_label:N", scale=alt.Scale(domain=domain, range=list(maps.STATUS_COLOURS.values())),
                            legend=alt.Legend(title=None, orient="top", labelFontSize=13)),
            tooltip=[alt.Tooltip("year:N", title=ui.t("f_year")),
                     alt.Tooltip("status_label:N", title=ui.t("f_status")),
                     alt.Tooltip("count:Q", title=ui.t("t_projects"))])
        st.altair_chart(chart.properties(height=220), width="stretch")
    st.markdown(f"**{ui.t('industry_mix')}**")
    mix = industry_mix(projects)
    if mix.empty:
        st.info(ui.t("no_data"))
    else:
        mix["label"] = [i18n.enum_label("industry", s, lang) for s in mix["industry"]]
        colour = row["colour"]
        chart = alt.Chart(mix).mark_bar(color=colour).encode(
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelFontSize=13, labelOverlap=False)),
            x=alt.X("projects:Q", title=None),
            tooltip=[alt.Tooltip("label:N", title=ui.t("f_industry")),
                     alt.Tooltip("projects:Q", title=ui.t("t_projects")),
                     alt.Tooltip("investment:Q", format=",.1f", title=ui.t("f_investment"))])
        st.altair_chart(chart.properties(height=max(140, 30 * len(mix))), width="stretch")

st.markdown(f"**{i18n.counted(ui.t('zone_projects'), len(projects), lang)}**")
st.dataframe(views.project_table(projects.sort_values("investment_total", ascending=False), names, lang),
             hide_index=True, width="stretch", height=320,
             column_config={i18n.column_label("investment_total", lang): st.column_config.NumberColumn(format="%.2f")})
