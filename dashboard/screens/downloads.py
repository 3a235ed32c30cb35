"""数据下载 Downloads (``/downloads``): any layer, filtered, in the format and CRS analysts want."""
from __future__ import annotations

import streamlit as st

from dashboard import data, export, i18n, ui
from dashboard.access import current_viewer, hidden_columns
from dashboard.queries import (
    INDUSTRY_LABELS,
    LEVEL_LABELS,
    STATUS_LABELS,
    ProjectFilter,
    filter_points,
    filter_projects,
    zone_names,
)
from loaders.schema import ALL_LAYERS, POINT_LAYERS

PREVIEW_ROWS = 200

lang = ui.lang()
ui.page_title("page_downloads")

names = zone_names(data.layer("zones"), lang)
streets = list(data.layer("streets")["name"])
if not st.session_state.get("_dl_seeded"):
    params = st.query_params.to_dict()
    seed = ProjectFilter.from_query(params)
    st.session_state.update({
        "dl_layer": params.get("layer") if params.get("layer") in ALL_LAYERS else "projects",
        "dl_zone": list(seed.zones), "dl_street": [s for s in seed.streets if s in streets],
        "dl_status": list(seed.status), "dl_level": list(seed.level),
        "dl_industry": [i for i in seed.industry if i in INDUSTRY_LABELS],
        "dl_inv": (seed.inv_min, seed.inv_max), "dl_year": (seed.year_min, seed.year_max),
    })
    st.session_state["_dl_seeded"] = True

top = st.columns([1.2, 1.6, 1.4])
layer = top[0].selectbox(ui.t("d_layer"), ALL_LAYERS, key="dl_layer",
                         format_func=lambda v: i18n.enum_label("layer", v, lang) + f" ({v})")
fmt = top[1].radio(ui.t("d_format"), list(export.FORMATS), key="dl_format", horizontal=True,
                   format_func=lambda v: export.FORMATS[v].label)
crs_key = top[2].radio(ui.t("d_crs"), list(export.CRS_CHOICES), key="dl_crs", horizontal=True,
                       format_func=lambda v: i18n.t("d_crs_gcj02", lang) if v == "gcj02" else export.CRS_CHOICES[v])

frame = data.layer(layer)
flt = ProjectFilter()
if layer in POINT_LAYERS:
    with st.container(border=True):
        st.markdown(f"**{ui.t('filters')}**")
        c = st.columns(5 if layer == "projects" else 2)
        c[0].multiselect(ui.t("f_zone"), list(names), key="dl_zone", format_func=lambda z: names.get(z, z),
                         placeholder=ui.t("f_all"))
        c[1].multiselect(ui.t("f_street"), streets, key="dl_street", placeholder=ui.t("f_all"))
        if layer == "projects":
            c[2].multiselect(ui.t("f_status"), list(STATUS_LABELS), key="dl_status", placeholder=ui.t("f_all"),
                             format_func=lambda v: i18n.enum_label("status", v, lang))
            c[3].multiselect(ui.t("f_level"), list(LEVEL_LABELS), key="dl_level", placeholder=ui.t("f_all"),
                             format_func=lambda v: i18n.enum_label("level", v, lang))
            c[4].multiselect(ui.t("f_industry"), list(INDUSTRY_LABELS), key="dl_industry",
                             placeholder=ui.t("f_all"), format_func=lambda v: i18n.enum_label("industry", v, lang))
    inv_min, inv_max = st.session_state.get("dl_inv", (None, None))
    year_min, year_max = st.session_state.get("dl_year", (None, None))
    flt = ProjectFilter(zones=tuple(st.session_state["dl_zone"]), streets=tuple(st.session_state["dl_street"]))
    if layer == "projects":
        flt = ProjectFilter(zones=flt.zones, streets=flt.streets, status=tuple(st.session_state["dl_status"]),
                            level=tuple(st.session_state["dl_level"]),
                            industry=tuple(st.session_state["dl_industry"]),
                            inv_min=inv_min, inv_max=inv_max, year_min=year_min, year_max=year_max)
        frame = filter_projects(frame, flt)
        if inv_min is not None or inv_max is not None or year_min is not None or year_max is not None:
            st.caption(f"{ui.t('f_investment')}: {inv_min or 0:g}–{'' if inv_max is None else f'{inv_max:g}'} · "
                       f"{ui.t('f_year')}: {year_min or ''}–{year_max or ''}")
    else:
        frame = filter_points(frame, flt)

name = export.file_name(layer, flt.slug(), fmt, crs_key)
cols = st.columns([1, 3])
cols[0].metric(ui.t("d_rows"), i18n.fmt_int(len(frame)))
with cols[1]:
    st.text_input(ui.t("d_filename"), name, disabled=True)
    st.download_button(f"{ui.t('d_button')} {export.FORMATS[fmt].label}", key="dl_button", type="primary",
                       data=lambda: export.to_bytes(frame, fmt, crs_key, layer), file_name=name,
                       mime=export.FORMATS[fmt].mime, icon=":material/download:", on_click="ignore")
notes = [ui.t("d_formula_note"), ui.t("d_no_coords")]
if crs_key == "gcj02":
    notes.insert(0, ui.t("d_crs_gcj_note"))
if hidden_columns(layer, current_viewer()):
    notes.insert(0, ui.t("personal_hidden"))
for note in notes:
    st.caption("· " + note)
# Labels on screen only: the downloaded files keep the store's field names.
preview = frame.drop(columns=frame.geometry.name).head(PREVIEW_ROWS)
st.caption(ui.t("d_preview", n=i18n.fmt_int(len(preview))))
st.dataframe(preview.rename(columns=lambda col: i18n.column_label(col, lang)), hide_index=True, width="stretch",
             height=300)
