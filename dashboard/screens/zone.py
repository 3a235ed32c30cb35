"""功能区 Zone profile (``/zone?zone=<id>``): one zone's KPIs, map, pipeline, industries, 12345
trend, coverage gaps and projects. Reads, calls pure queries, draws."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import i18n, state
from dashboard.briefing import change, pdf
from dashboard.maps import draw
from dashboard.security.access import may_download
from dashboard.security.sessions import current_viewer
from dashboard.store import data
from dashboard.store.queries import (
    KPI_ROW_1,
    KPI_ROW_2,
    STATUS_LABELS,
    industry_mix,
    monthly_trend,
    needs_by_category,
    oldest_open_needs,
    pipeline_by_year,
    with_zones,
    zone_names,
    zone_street_parts,
)
from dashboard.web import defer, ui, views
from loaders.schema import empty_layer


def _pick_zone(ids: list[str], names: dict[str, str]) -> str:
    """The zone on screen: a zone named in the URL wins once (a link, a click on the overview),
    then the selector rules; the URL always names the zone shown."""
    requested = st.query_params.get("zone")
    if requested is not None and requested not in ids:
        st.warning(ui.t("unknown_zone", zone=requested))
    if requested in ids and st.session_state.get(state.ZONE_URL_SEEN) != requested:
        st.session_state[state.ZONE_PICK] = requested
    if st.session_state.get(state.ZONE_PICK) not in ids:
        st.session_state[state.ZONE_PICK] = ids[0]
    return st.session_state[state.ZONE_PICK]


def _in_scope(zones: pd.DataFrame, names: dict[str, str]) -> bool:
    """False (with the refusal drawn) when the viewer's scope holds no zone, or the URL names a
    zone outside it: a forged or shared ``?zone=`` shows nothing of that zone, and is audited."""
    scope = data.current_scope()
    if scope.whole:
        return True
    requested = st.query_params.get("zone")
    if requested in names and requested not in zones.index:
        ui.scope_refused(names.get(requested, requested), "zone", f"zone:{requested}")
        return False
    if zones.empty:
        st.info(ui.t("scope_no_zones", scope=ui.scope_label(scope)))
        return False
    return True


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_zone")
    zones = data.zones_table()
    names = zone_names(data.layer("zones"), lang)
    if not _in_scope(zones, names):
        return
    _pick_zone(list(zones.index), names)
    top_left, top_right = st.columns([2, 1], vertical_alignment="bottom")
    zone_id = top_left.selectbox(ui.t("choose_zone"), list(zones.index), key=state.ZONE_PICK,
                                 format_func=lambda z: names.get(z, z))
    st.query_params["zone"] = zone_id
    st.session_state[state.ZONE_URL_SEEN] = zone_id
    _brief_button(zone_id, lang)
    # Off by default: the map shows the projects; a shading under them is a choice.
    mode = top_right.radio(ui.t("enterprise_display"), ("off", "aggregated", "clustered"), horizontal=True,
                           key=state.ZONE_ENTERPRISES,
                           format_func=lambda v: i18n.t({"off": "mp_ent_off", "aggregated": "ent_aggregated",
                                                         "clustered": "ent_clustered"}[v], lang))
    row = zones.loc[zone_id]
    st.markdown(f'<div data-testid="ft-zone" data-zone="{views.esc(zone_id)}"></div>', unsafe_allow_html=True)

    status_text = " / ".join(f"{i18n.enum_label('status', s, lang)} {int(row[f'status_{s}'])}" for s in STATUS_LABELS)
    values = {"investment": row["investment_total"], "response_rate": row["hotline_response_rate"],
              "resolution_rate": row["hotline_resolution_rate"], "satisfaction_rate": row["hotline_satisfaction_rate"],
              "coverage": row["covered_population_share"]}
    stock = {m: values.get(m, row.get(m)) for m in (*KPI_ROW_1, *KPI_ROW_2)}
    # A fragment: another month reruns the cards only (the map and tables do not depend on it).
    # Its sparklines wait for the map in a new session (Streamlit's chart bundle, dashboard.web.defer).
    defer.later("ft_zone_period", _period_figures, zone_id, row, stock, status_text,
                early=lambda *a: _period_figures(*a, sparklines=False))

    projects = with_zones(data.zone_frame(zone_id, "projects"), "project_id", data.members("projects"))
    communities = data.zone_frame(zone_id, "communities")
    left, right = st.columns([1.45, 1], gap="medium")
    # A bar picked in the industry mix filters the map and the project list: the pick is read
    # from the chart's state, so the map can be drawn first and the charts once it is.
    industries = views.chart_selection(st.session_state.get(_industry_key(zone_id)), "industry_pick", "industry")
    with right:
        defer.later("ft_later_zone_mix", _project_mix, zone_id, projects, row["colour"], lang, industries)
    shown = projects[projects["industry"].fillna("other").isin(industries)] if industries else projects
    with left:
        m = _zone_map(zone_id, zones, names, shown, communities, mode, lang)
        st_folium(m, render=False, key=f"zone_map_{zone_id}", height=560, use_container_width=True, returned_objects=[])
    # drawn once the map is (a new session's first run: the chart and table bundles wait)
    defer.later("ft_later_zone", _below_map, zone_id, row, shown, communities, names, lang)


def _below_map(zone_id: str, row: pd.Series, shown: pd.DataFrame, communities: pd.DataFrame,
               names: dict[str, str], lang: str) -> None:
    """The 12345 trend, coverage gaps, enterprise needs and the zone's project list."""
    trend_col, gaps_col = st.columns([1.45, 1], gap="medium")
    with trend_col:
        _hotline_trend(zone_id, lang)
    with gaps_col:
        _coverage_gaps(communities, lang)
    _needs_panel(zone_id, row, lang)
    st.markdown(f"**{i18n.counted(ui.t('zone_projects'), len(shown), lang)}**")
    table = views.project_table(shown.sort_values("investment_total", ascending=False), names, lang)
    id_label = i18n.column_label("project_id", lang)
    table[id_label] = [views.explorer_href(p, lang) for p in table[id_label]]  # each ID opens it in the explorer
    st.dataframe(table, hide_index=True, width="stretch", height=320,
                 column_config={i18n.column_label("investment_total", lang): st.column_config.NumberColumn(format="%.2f"),
                                id_label: st.column_config.LinkColumn(id_label, display_text=r"project=([^&]+)",
                                                                      help=ui.t("mp_open_project"))})


def _period_figures(zone_id: str, row: pd.Series, stock: dict, status_text: str, sparklines: bool = True) -> None:
    """The month picker and the KPI cards with their changes for that month."""
    pick_col, note_col = st.columns([1, 3], vertical_alignment="bottom")
    period = ui.period_picker(change.months_available(data.hotline_monthly()), pick_col)
    if period:
        note_col.caption(ui.t("ch_period_note", period=period, as_of=data.as_of() or i18n.DASH))
    figures = ui.area_figures("zone", zone_id, period, stock, row)
    ui.kpi_row([ui.kpi_with_change(figures[m], status_text if m == "projects" else None) for m in KPI_ROW_1],
               sparklines=sparklines)
    ui.kpi_row([ui.kpi_with_change(figures[m]) for m in KPI_ROW_2], columns=len(KPI_ROW_1), sparklines=sparklines)


def _brief_button(zone_id: str, lang: str) -> None:
    """The zone's A4 brief (PDF, the same figures), for the role that may take it."""
    if not may_download(current_viewer(), "brief"):
        return
    try:
        pdf.register_font()
    except pdf.BriefError as exc:
        st.caption(str(exc))
        return
    source = pdf.assemble(*data.brief_source())
    st.download_button(ui.t("mt_download"), data=lambda: pdf.draw_brief(source, zone_id, lang),
                       file_name=pdf.file_name(zone_id, data.built_at()), mime="application/pdf",
                       on_click="ignore", key="zone_brief", icon=":material/picture_as_pdf:",
                       help=ui.t("mt_download_help"))


def _zone_map(zone_id: str, zones: pd.DataFrame, names: dict[str, str], projects: pd.DataFrame,
              communities: pd.DataFrame, mode: str, lang: str) -> draw.OfflineMap:
    bm = ui.basemap()
    zones_all = data.layer("zones")
    zones_disp = views.zones_for_map(draw.display_polygons(zones_all, bm.display_crs), zones, None, "", str, lang)
    streets = data.layer("streets")
    # The street shading needs counts, not rows: the store counts them (issue 12); the points are
    # read only when the clustered view asks for them.
    parts = zone_street_parts(zones_all[zones_all["zone_id"] == zone_id], streets, data.street_stats(),
                              data.street_counts("enterprises", zone_id), data.street_counts("hotline", zone_id))
    enterprises = data.zone_frame(zone_id, "enterprises") if mode == "clustered" else empty_layer("enterprises")
    located = communities[communities.geometry.notna() & ~communities.geometry.is_empty]
    layers = draw.ZoneMapLayers(
        zone=zones_disp[zones_disp["zone_id"] == zone_id], zones=zones_disp,
        streets=views.streets_for_map(draw.display_polygons(streets, bm.display_crs), data.streets_table(), None, "",
                                      str, lang),
        street_parts=views.street_parts_for_map(draw.display_polygons(parts, bm.display_crs), lang),
        projects=views.projects_for_map(draw.display_points(projects, bm.display_crs), names, lang),
        stations=views.stations_for_map(draw.display_points(data.zone_frame(zone_id, "stations"), bm.display_crs), lang),
        enterprises=draw.display_points(enterprises[["geometry"]], bm.display_crs),
        communities=views.communities_for_map(draw.display_points(located, bm.display_crs), lang),
        needs=views.needs_for_map(draw.display_points(data.zone_frame(zone_id, "needs"), bm.display_crs),
                                  _needs_limit(zones.loc[zone_id]), draw.NEED_LONG_DAYS, lang),
        ports=views.ports_for_map(draw.display_points(data.zone_frame(zone_id, "stations"), bm.display_crs),
                                  data.needs_breakdown(), lang))
    legends = {"enterprises": ui.t("lyr_enterprises_agg"), "hotline": ui.t("mp_cases_per_km2"),
               "points": ui.t("lyr_projects") + " / " + ui.t("lyr_stations")}
    legends |= {f"status:{k}": i18n.enum_label("status", k, lang) for k in draw.STATUS_COLOURS}
    legends |= {f"kind:{k}": i18n.enum_label("station_kind", k, lang) for k in draw.STATION_COLOURS}
    limit = f"{_needs_limit(zones.loc[zone_id]):g}"
    legends |= {"need:fresh": ui.t("nd_age_fresh", days=limit), "need:overdue": ui.t("nd_age_overdue", days=limit),
                "need:long": ui.t("nd_age_long", days=f"{draw.NEED_LONG_DAYS:g}")}
    layer_names = {"streets": ui.t("lyr_streets"), "zones": ui.t("lyr_zones"), "zone": names.get(zone_id, zone_id),
                   "projects": ui.t("lyr_projects"), "stations": ui.t("lyr_stations"),
                   "enterprises_agg": ui.t("lyr_enterprises_agg"),
                   "enterprises_cluster": ui.t("lyr_enterprises_cluster"), "hotline": ui.t("lyr_hotline"),
                   "communities": ui.t("lyr_communities"), "needs": ui.t("lyr_needs"), "ports": ui.t("lyr_ports")}
    return draw.zone_map(layers, names=layer_names, legends=legends, fmt_count=lambda v: i18n.fmt_int(v),
                         fmt_density=views.compact_number, basemap=bm, note=ui.basemap_note(bm), enterprise_mode=mode)


def _pipeline(projects: pd.DataFrame, lang: str) -> None:
    st.markdown(f"**{ui.t('pipeline')}**")
    pipe = pipeline_by_year(projects)
    if pipe.empty:
        st.info(ui.t("no_data"))
        return
    pipe["status_label"] = [i18n.enum_label("status", s, lang) for s in pipe["status"]]
    pipe["year"] = pipe["year"].replace({i18n.DASH: ui.t("no_year")})
    domain = [i18n.enum_label("status", s, lang) for s in draw.STATUS_COLOURS]
    chart = alt.Chart(pipe).mark_bar().encode(
        x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12)),
        y=alt.Y("count:Q", title=None, axis=alt.Axis(tickMinStep=1, format="d")),  # no 0.5 project
        color=alt.Color("status_label:N", scale=alt.Scale(domain=domain, range=list(draw.STATUS_COLOURS.values())),
                        legend=alt.Legend(title=None, orient="top", labelFontSize=13)),
        tooltip=[alt.Tooltip("year:N", title=ui.t("f_year")), alt.Tooltip("status_label:N", title=ui.t("f_status")),
                 alt.Tooltip("count:Q", title=ui.t("t_projects"))])
    st.altair_chart(chart.properties(height=220), width="stretch")


def _industry_key(zone_id: str) -> str:
    return f"zone_industry_{zone_id}"


def _project_mix(zone_id: str, projects: pd.DataFrame, colour: str, lang: str, drawn_with: tuple[str, ...]) -> None:
    """The pipeline by year and the industry mix. A new pick in the mix (this fragment's own
    rerun) redraws the whole page: the map and the list follow the pick."""
    _pipeline(projects, lang)
    if _industries(zone_id, projects, colour, lang) != drawn_with:
        st.rerun(scope="app")


def _industries(zone_id: str, projects: pd.DataFrame, colour: str, lang: str) -> tuple[str, ...]:
    """The industry mix; a click on a bar picks that industry: the codes picked, () for none."""
    st.markdown(f"**{ui.t('industry_mix')}**")
    mix = industry_mix(projects)
    if mix.empty:
        st.info(ui.t("no_data"))
        return ()
    mix["label"] = [i18n.enum_label("industry", s, lang) for s in mix["industry"]]
    pick = alt.selection_point(name="industry_pick", fields=["industry"])
    chart = alt.Chart(mix).mark_bar(color=colour, cursor="pointer").encode(
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelFontSize=13, labelOverlap=False)),
        x=alt.X("projects:Q", title=None, axis=alt.Axis(tickMinStep=1, format="d")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("label:N", title=ui.t("f_industry")), alt.Tooltip("projects:Q", title=ui.t("t_projects")),
                 alt.Tooltip("investment:Q", format=",.1f", title=ui.t("f_investment"))]).add_params(pick)
    event = st.altair_chart(chart.properties(height=max(140, 30 * len(mix))), width="stretch", on_select="rerun",
                            key=_industry_key(zone_id), selection_mode="industry_pick")
    picked = views.chart_selection(event, "industry_pick", "industry")
    if picked:
        st.info(ui.t("mp_industry_filter",
                     industries=i18n.list_sep(lang).join(i18n.enum_label("industry", c, lang) for c in picked)))
    else:
        st.caption(ui.t("mp_industry_hint"))
    return picked


def _hotline_trend(zone_id: str, lang: str) -> None:
    st.markdown(f"**{ui.t('hotline_trend')}**", help=ui.metric_help("response_rate"))
    trend = monthly_trend(data.hotline_monthly(), "zone", zone_id)
    if trend.empty:
        st.info(ui.t("no_data"))
        return
    trend["month_label"] = pd.to_datetime(trend["month"]).dt.strftime("%Y-%m")
    bars = alt.Chart(trend).mark_bar(color="#9fb3c8").encode(
        x=alt.X("month_label:N", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("cases:Q", title=ui.t("t_cases_month"), axis=alt.Axis(tickMinStep=1, format=",d")),
        tooltip=[alt.Tooltip("month_label:N", title=ui.t("t_month")),
                 alt.Tooltip("cases:Q", format=",.0f", title=ui.t("t_cases_month"))])
    rates = trend.melt(id_vars=["month_label"], value_vars=["response_rate", "resolution_rate", "satisfaction_rate"],
                       var_name="metric", value_name="rate")
    rates["metric"] = [ui.metric_label(m) for m in rates["metric"]]
    lines = alt.Chart(rates).mark_line(point=True).encode(
        x=alt.X("month_label:N", title=None),
        y=alt.Y("rate:Q", title=ui.t("t_rate"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("metric:N", legend=alt.Legend(title=None, orient="top", labelFontSize=12)),
        tooltip=[alt.Tooltip("month_label:N", title=ui.t("t_month")), alt.Tooltip("metric:N", title=ui.t("metric")),
                 alt.Tooltip("rate:Q", format=".1%", title=ui.t("t_rate"))])
    st.altair_chart(alt.layer(bars, lines).resolve_scale(y="independent").properties(height=240), width="stretch")


def _coverage_gaps(communities: pd.DataFrame, lang: str) -> None:
    metres = f"{ui.coverage_m():,.0f}"
    st.markdown(f"**{ui.t('coverage_gaps', m=metres)}**", help=ui.metric_help("coverage"))
    if communities.empty:
        st.info(ui.t("no_communities"))
        return
    gaps = views.coverage_gaps_table(communities, lang)
    if gaps.empty:  # a table of empty rows reads as missing data
        st.caption(ui.t("mp_no_gaps", m=metres))
        return
    st.dataframe(gaps, hide_index=True, width="stretch", height=min(240, 38 + 35 * len(gaps)))


def _needs_limit(row: pd.Series) -> float:
    """The build's overdue limit (days) as ``zone_stats`` records it (30 for an older store)."""
    limit = row.get("needs_overdue_days")
    return float(limit) if limit is not None and pd.notna(limit) else 30.0


def _needs_panel(zone_id: str, row: pd.Series, lang: str) -> None:
    """企业诉求: open, overdue and closure rate (the build's figures), the needs by category, and
    the open needs open longest with their owner unit and days open. A need's text is personal
    data: shown only to a viewer with the personal-data grant."""
    days = f"{_needs_limit(row):g}"
    st.markdown(f"**{ui.t('nd_title')}**", help=ui.t("nd_help", as_of=data.as_of() or i18n.DASH, days=days))
    st.markdown(f'<div data-testid="ft-needs" data-zone="{views.esc(zone_id)}"></div>', unsafe_allow_html=True)
    total = row.get("needs")
    if total is None or pd.isna(total) or int(total) == 0:
        st.info(ui.t("nd_none"))
        return
    median = row.get("needs_median_days_open")
    median_text = i18n.DASH if median is None or pd.isna(median) else f"{float(median):,.0f} {ui.t('nd_days')}"
    ui.kpi_row([(ui.t("nd_open"), i18n.fmt_int(row.get("needs_open"), lang), ui.t("nd_open_help")),
                (ui.t("nd_overdue", days=days), i18n.fmt_int(row.get("needs_overdue"), lang),
                 ui.t("nd_overdue_help", days=days)),
                (ui.t("nd_closure"), i18n.fmt_pct(row.get("needs_closure_rate"), lang), ui.t("nd_closure_help")),
                (ui.t("nd_satisfaction"), i18n.fmt_pct(row.get("needs_satisfaction_rate"), lang),
                 ui.t("nd_satisfaction_help")),
                (ui.t("nd_median"), median_text, ui.t("nd_median_help"))])
    by_category, oldest_col = st.columns([1, 1.8], gap="medium")
    with by_category:
        st.markdown(f"**{ui.t('nd_by_category')}**")
        cats = needs_by_category(data.needs_breakdown(), "zone", zone_id)
        if cats.empty:
            st.info(ui.t("no_data"))
        else:
            table = pd.DataFrame({
                i18n.column_label("category", lang, "needs"): [i18n.enum_label("need_category", c, lang)
                                                                for c in cats["category"]],
                i18n.column_label("needs", lang, "zone_stats"): cats["needs"].to_numpy(),
                ui.t("nd_open"): cats["open"].to_numpy(),
                ui.t("nd_overdue", days=days): cats["overdue"].to_numpy(),
                ui.t("nd_closure"): [i18n.fmt_pct(v, lang) for v in cats["closure_rate"]]})
            st.dataframe(table, hide_index=True, width="stretch", height=min(300, 38 + 35 * len(table)))
    with oldest_col:
        st.markdown(f"**{ui.t('nd_oldest')}**")
        oldest = oldest_open_needs(data.zone_frame(zone_id, "needs"), 10)
        if oldest.empty:
            st.caption(ui.t("nd_none_open"))
            return
        st.dataframe(_needs_table(oldest, lang), hide_index=True, width="stretch",
                     height=min(400, 38 + 35 * len(oldest)))
        if not current_viewer().can_see_personal_data():
            st.caption(ui.t("nd_summary_hidden"))


def _needs_table(needs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The oldest open needs as the panel lists them; ``summary`` only for a viewer who may see
    personal data in full (others never receive it here, masked or not)."""
    def label(column: str) -> str:
        return i18n.column_label(column, lang, "needs")

    out = pd.DataFrame({
        label("need_id"): needs["need_id"].astype(str).to_numpy(),
        label("days_open"): pd.to_numeric(needs["days_open"], errors="coerce").to_numpy(),
        label("owner_unit"): needs["owner_unit"].fillna(i18n.DASH).astype(str).to_numpy(),
        label("category"): [i18n.enum_label("need_category", c, lang) for c in needs["category"]],
        label("enterprise_name"): needs["enterprise_name"].fillna(i18n.DASH).astype(str).to_numpy(),
        label("raised_at"): pd.to_datetime(needs["raised_at"]).dt.strftime("%Y-%m-%d").to_numpy(),
        label("station_id"): needs["station_id"].fillna(i18n.DASH).astype(str).to_numpy(),
    })
    if current_viewer().can_see_personal_data() and "summary" in needs:
        out[label("summary")] = needs["summary"].fillna("").astype(str).to_numpy()
    return out


if __name__ == "__main__":
    render()
