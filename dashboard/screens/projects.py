"""项目 Project explorer (``/projects``): filters, map and table in sync, shareable URL."""
from __future__ import annotations

import math

import streamlit as st
from streamlit_folium import st_folium

from dashboard import data, i18n, maps, ui, views
from dashboard.queries import (
    INDUSTRY_LABELS,
    LEVEL_LABELS,
    STATUS_LABELS,
    ProjectFilter,
    filter_projects,
    start_year,
    zone_names,
)

lang = ui.lang()
ui.page_title("page_projects")

projects = data.layer("projects")
names = zone_names(data.layer("zones"), lang)
streets = list(data.layer("streets")["name"])
inv_top = float(math.ceil(max(projects["investment_total"].max(skipna=True) or 0, 1)))
years = start_year(projects).dropna()
year_lo, year_hi = (int(years.min()), int(years.max())) if len(years) else (2000, 2030)

# The URL seeds the widgets once per session (a shared link); afterwards the widgets rule.
if not st.session_state.get("_pf_seeded"):
    flt = ProjectFilter.from_query(st.query_params.to_dict())
    st.session_state.update({
        "pf_zone": list(flt.zones), "pf_street": [s for s in flt.streets if s in streets],
        "pf_status": list(flt.status), "pf_level": list(flt.level),
        "pf_industry": [i for i in flt.industry if i in INDUSTRY_LABELS],
        "pf_inv": (max(0.0, flt.inv_min or 0.0), min(inv_top, flt.inv_max if flt.inv_max is not None else inv_top)),
        "pf_year": (max(year_lo, flt.year_min or year_lo), min(year_hi, flt.year_max or year_hi)),
        "pf_sel": st.query_params.get("sel"),
    })
    st.session_state["_pf_seeded"] = True


def _reset() -> None:
    st.session_state.update({"pf_zone": [], "pf_street": [], "pf_status": [], "pf_level": [], "pf_industry": [],
                             "pf_inv": (0.0, inv_top), "pf_year": (year_lo, year_hi), "pf_sel": None})


with st.container(border=True):
    c = st.columns([1.3, 1.3, 1, 1, 1.3])
    c[0].multiselect(ui.t("f_zone"), list(names), key="pf_zone", format_func=lambda z: names.get(z, z),
                     placeholder=ui.t("f_all"))
    c[1].multiselect(ui.t("f_street"), streets, key="pf_street", placeholder=ui.t("f_all"))
    c[2].multiselect(ui.t("f_status"), list(STATUS_LABELS), key="pf_status", placeholder=ui.t("f_all"),
                     format_func=lambda v: i18n.enum_label("status", v, lang))
    c[3].multiselect(ui.t("f_level"), list(LEVEL_LABELS), key="pf_level", placeholder=ui.t("f_all"),
                     format_func=lambda v: i18n.enum_label("level", v, lang))
    c[4].multiselect(ui.t("f_industry"), list(INDUSTRY_LABELS), key="pf_industry", placeholder=ui.t("f_all"),
                     format_func=lambda v: i18n.enum_label("industry", v, lang))
    d = st.columns([2, 2, 1])
    d[0].slider(ui.t("f_investment"), 0.0, inv_top, key="pf_inv", step=0.5)
    d[1].slider(ui.t("f_year"), year_lo, year_hi, key="pf_year")
    d[2].button(ui.t("reset_filters"), on_click=_reset, width="stretch")

inv_lo, inv_hi = st.session_state["pf_inv"]
y_lo, y_hi = st.session_state["pf_year"]
flt = ProjectFilter(zones=tuple(st.session_state["pf_zone"]), streets=tuple(st.session_state["pf_street"]),
                    status=tuple(st.session_state["pf_status"]), level=tuple(st.session_state["pf_level"]),
                    industry=tuple(st.session_state["pf_industry"]),
                    inv_min=inv_lo if inv_lo > 0 else None, inv_max=inv_hi if inv_hi < inv_top else None,
                    year_min=y_lo if y_lo > year_lo else None, year_max=y_hi if y_hi < year_hi else None)
selected = filter_projects(projects, flt)

bm = ui.basemap()
points = maps.display_points(selected, bm.display_crs)
sel = st.session_state.get("pf_sel")
if sel not in set(selected["project_id"]):
    sel = None
zones_disp = views.zones_for_map(maps.display_polygons(data.layer("zones"), bm.display_crs),
                                 data.zone_summary(), None, "", str, lang)
streets_disp = views.streets_for_map(maps.display_polygons(data.layer("streets"), bm.display_crs),
                                     data.street_summary(), None, "", str, lang)
legend = [(i18n.enum_label("status", k, lang), c) for k, c in maps.STATUS_COLOURS.items()]
m = maps.projects_map(views.projects_for_map(points, names, lang, with_popup=False), zones_disp, streets_disp,
                      tuple(data.layer("streets").total_bounds), ui.t("f_status"), legend, ui.t("lyr_projects"),
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
    if clicked and clicked != st.session_state.get("_pf_last_click"):
        st.session_state["_pf_last_click"] = clicked
        st.session_state["pf_sel"] = clicked
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
    st.page_link(st.session_state["_pages"]["downloads"], label=ui.t("download_filtered"),
                 icon=":material/download:", query_params={"layer": "projects", **flt.to_query()})

table = views.project_table(selected.sort_values("investment_total", ascending=False), names, lang)
id_col = i18n.column_label("project_id", lang)
st.caption(ui.t("table_rows", n=i18n.fmt_int(len(table))))
styled = table.style.apply(lambda r: ["background-color: #ffe8a3" if r[id_col] == sel else "" for _ in r], axis=1) \
    if sel is not None else table
event = st.dataframe(styled, hide_index=True, width="stretch", height=380, key="pf_table", on_select="rerun",
                     selection_mode="single-row",
                     column_config={i18n.column_label("investment_total", lang):
                                    st.column_config.NumberColumn(format="%.2f")})
rows = event.selection.rows if event is not None else []
if rows:
    picked = table.iloc[rows[0]][id_col]
    if picked != st.session_state.get("_pf_last_row"):
        st.session_state["_pf_last_row"] = picked
        st.session_state["pf_sel"] = picked
        st.rerun()

query = flt.to_query()
if sel:
    query["sel"] = sel
if st.query_params.to_dict() != query:
    st.query_params.from_dict(query)
