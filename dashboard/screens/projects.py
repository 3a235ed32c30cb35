"""项目 Project explorer (``/projects``): filters, map and table in sync, shareable URL."""
from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import access, data, i18n, maps, pages, state, ui, views
from dashboard.queries import SCHEDULES_LATE, ProjectFilter, filter_projects, filter_ranges, with_zones, zone_names
from loaders.schema import INDUSTRY_LABELS, LEVEL_LABELS, STATUS_LABELS


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_projects")

    members = data.members("projects")
    projects = data.layer("projects")
    names = zone_names(data.layer("zones"), lang)
    streets = list(data.layer("streets")["name"])
    ranges = filter_ranges(projects)
    inv_top, year_lo, year_hi = ranges.inv_top, ranges.year_lo, ranges.year_hi

    # The URL seeds the widgets once per session (a shared link); afterwards the widgets rule.
    if not st.session_state.get(state.PF_SEEDED):
        flt = ProjectFilter.from_query(st.query_params.to_dict())
        st.session_state.update({
            state.PF_SCHEDULE: list(flt.schedule),
            state.PF_ZONE: list(flt.zones), state.PF_STREET: [s for s in flt.streets if s in streets],
            state.PF_STATUS: list(flt.status), state.PF_LEVEL: list(flt.level),
            state.PF_INDUSTRY: [i for i in flt.industry if i in INDUSTRY_LABELS],
            state.PF_INV: (max(0.0, flt.inv_min or 0.0), min(inv_top, flt.inv_max if flt.inv_max is not None else inv_top)),
            state.PF_YEAR: (max(year_lo, flt.year_min or year_lo), min(year_hi, flt.year_max or year_hi)),
            state.PF_SELECTED: st.query_params.get("sel"),
        })
        st.session_state[state.PF_SEEDED] = True

    def _reset() -> None:
        st.session_state.update({state.PF_ZONE: [], state.PF_STREET: [], state.PF_STATUS: [], state.PF_LEVEL: [],
                                 state.PF_INDUSTRY: [], state.PF_SCHEDULE: [],
                                 state.PF_INV: (0.0, inv_top), state.PF_YEAR: (year_lo, year_hi), state.PF_SELECTED: None})

    with st.container(border=True):
        c = st.columns([1.3, 1.3, 1, 1, 1.3])
        c[0].multiselect(ui.t("f_zone"), list(names), key=state.PF_ZONE, format_func=lambda z: names.get(z, z),
                         placeholder=ui.t("f_all"))
        c[1].multiselect(ui.t("f_street"), streets, key=state.PF_STREET, placeholder=ui.t("f_all"))
        c[2].multiselect(ui.t("f_status"), list(STATUS_LABELS), key=state.PF_STATUS, placeholder=ui.t("f_all"),
                         format_func=lambda v: i18n.enum_label("status", v, lang))
        c[3].multiselect(ui.t("f_level"), list(LEVEL_LABELS), key=state.PF_LEVEL, placeholder=ui.t("f_all"),
                         format_func=lambda v: i18n.enum_label("level", v, lang))
        c[4].multiselect(ui.t("f_industry"), list(INDUSTRY_LABELS), key=state.PF_INDUSTRY, placeholder=ui.t("f_all"),
                         format_func=lambda v: i18n.enum_label("industry", v, lang))
        d = st.columns([2, 2, 1.6, 1])
        d[0].slider(ui.t("f_investment"), 0.0, inv_top, key=state.PF_INV, step=0.5)
        d[1].slider(ui.t("f_year"), year_lo, year_hi, key=state.PF_YEAR)
        d[2].multiselect(ui.t("f_schedule"), list(SCHEDULES_LATE), key=state.PF_SCHEDULE, placeholder=ui.t("f_all"),
                         format_func=lambda v: i18n.enum_label("schedule", v, lang), help=ui.metric_help("projects_delayed"))
        d[3].button(ui.t("reset_filters"), on_click=_reset, width="stretch")

    inv_lo, inv_hi = st.session_state[state.PF_INV]
    y_lo, y_hi = st.session_state[state.PF_YEAR]
    flt = ProjectFilter(zones=tuple(st.session_state[state.PF_ZONE]), streets=tuple(st.session_state[state.PF_STREET]),
                        status=tuple(st.session_state[state.PF_STATUS]), level=tuple(st.session_state[state.PF_LEVEL]),
                        industry=tuple(st.session_state[state.PF_INDUSTRY]),
                        schedule=tuple(st.session_state[state.PF_SCHEDULE]),
                        inv_min=inv_lo if inv_lo > 0 else None, inv_max=inv_hi if inv_hi < inv_top else None,
                        year_min=y_lo if y_lo > year_lo else None, year_max=y_hi if y_hi < year_hi else None)
    selected = with_zones(filter_projects(projects, members, flt), "project_id", members)

    bm = ui.basemap()
    points = maps.display_points(selected, bm.display_crs)
    sel = st.session_state.get(state.PF_SELECTED)
    if sel not in set(selected["project_id"]):
        sel = None
    zones_disp = views.zones_for_map(maps.display_polygons(data.layer("zones"), bm.display_crs),
                                     data.zones_table(), None, "", str, lang)
    streets_disp = views.streets_for_map(maps.display_polygons(data.layer("streets"), bm.display_crs),
                                         data.streets_table(), None, "", str, lang)
    legend = [(i18n.enum_label("status", k, lang), c) for k, c in maps.STATUS_COLOURS.items()]
    m = maps.projects_map(projects=views.projects_for_map(points, names, lang, with_popup=False), zones=zones_disp,
                          streets=streets_disp, bounds=tuple(data.layer("streets").total_bounds),
                          legend_title=ui.t("f_status"), legend_items=legend, layer_name=ui.t("lyr_projects"),
                          selected=sel, basemap=bm, note=ui.basemap_note(bm))

    n_map, n_all = len(points), len(selected)
    st.markdown(f'<div data-testid="ft-counts" data-map="{n_map}" data-table="{n_all}">'
                f'{views.esc(ui.t("n_selected", n=i18n.fmt_int(n_all), inv=i18n.fmt_yi(selected["investment_total"].sum(), lang), m=i18n.fmt_int(n_map), k=i18n.fmt_int(n_all - n_map)))}'
                "</div>", unsafe_allow_html=True)

    left, right = st.columns([1.5, 1], gap="medium")
    with left:
        result = st_folium(m, key="projects_map", height=540, use_container_width=True,
                           returned_objects=["last_active_drawing"])
        clicked = ui.clicked_properties(result).get("project_id")
        if clicked and clicked != st.session_state.get(state.PF_LAST_CLICK):
            st.session_state[state.PF_LAST_CLICK] = clicked
            st.session_state[state.PF_SELECTED] = clicked
            st.rerun()
    with right:
        st.markdown(f"**{ui.t('project_details')}**")
        if sel is None:
            st.info(ui.t("click_project_hint"))
        else:
            row = selected[selected["project_id"] == sel].iloc[0]
            st.subheader(str(row["name"]), anchor=False)
            detail = views.project_table(selected[selected["project_id"] == sel], names, lang).T.reset_index()
            detail.columns = ["", " "]
            st.dataframe(detail, hide_index=True, width="stretch", height=390)
        st.caption(ui.t("share_link"))
        if access.may_download(access.current_viewer(), "projects"):   # not offered to a role without downloads
            st.page_link(pages.path("downloads"), label=ui.t("download_filtered"),
                         icon=":material/download:", query_params={"layer": "projects", **flt.to_query()})

    table = views.project_table(selected.sort_values("investment_total", ascending=False), names, lang)
    id_col = i18n.column_label("project_id", lang)
    st.caption(ui.t("table_rows", n=i18n.fmt_int(len(table))))
    styled = table.style.apply(lambda r: ["background-color: #ffe8a3" if r[id_col] == sel else "" for _ in r], axis=1) \
        if sel is not None else table
    event = st.dataframe(styled, hide_index=True, width="stretch", height=380, key=state.PF_TABLE, on_select="rerun",
                         selection_mode="single-row",
                         column_config={i18n.column_label("investment_total", lang):
                                        st.column_config.NumberColumn(format="%.2f")})
    rows = event.selection.rows if event is not None else []
    if rows:
        picked = table.iloc[rows[0]][id_col]
        if picked != st.session_state.get(state.PF_LAST_ROW):
            st.session_state[state.PF_LAST_ROW] = picked
            st.session_state[state.PF_SELECTED] = picked
            st.rerun()

    query = flt.to_query()
    if sel:
        query["sel"] = sel
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


if __name__ == "__main__":
    render()
