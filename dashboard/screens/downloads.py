"""数据下载 Downloads (``/downloads``): any layer, filtered, in the format and CRS analysts want.

Only the layers the viewer's role may download are offered (:func:`dashboard.access.may_download`);
a layer asked for in the URL that the role may not take is refused with a message, no button,
and an audit entry. Every download is recorded before it is served (:func:`ui.audited_download`);
a page that shows personal data in full is recorded once per layer and filter.
"""
from __future__ import annotations

import streamlit as st

from dashboard import access, audit, auth, data, export, i18n, state, ui
from dashboard.queries import ProjectFilter, filter_points, filter_projects, zone_names
from loaders.schema import ALL_LAYERS, INDUSTRY_LABELS, LEVEL_LABELS, POINT_LAYERS, RECORD_ID, STATUS_LABELS

PREVIEW_ROWS = 200
STATS_DOWNLOADS: tuple[str, ...] = ("zone_stats", "street_stats")  # the indicators, on their polygons

def render() -> None:
    lang = ui.lang()
    ui.page_title("page_downloads")

    viewer = access.current_viewer()
    every = [*ALL_LAYERS, *STATS_DOWNLOADS]
    choices = [c for c in every if access.may_download(viewer, c)]
    asked = st.query_params.get("layer")
    if asked in every and asked not in choices:
        auth.record_once(data.settings(), ("download_refused", asked), audit.Entry(
            "download_refused", user=viewer.name, role=viewer.role, page="downloads", layer=asked,
            filters=audit.filters_text(st.query_params.to_dict()), client=auth.client_address(),
            detail="layer asked for in the URL"))
        ui.download_refused(asked)
        return
    if not choices:
        st.error(ui.t("no_downloads"))
        return
    names = zone_names(data.layer("zones"), lang)
    streets = list(data.layer("streets")["name"])
    if not st.session_state.get(state.DL_SEEDED):
        params = st.query_params.to_dict()
        seed = ProjectFilter.from_query(params)
        st.session_state.update({
            state.DL_LAYER: params.get("layer") if params.get("layer") in choices else choices[0],
            state.DL_ZONE: list(seed.zones), state.DL_STREET: [s for s in seed.streets if s in streets],
            state.DL_STATUS: list(seed.status), state.DL_LEVEL: list(seed.level),
            state.DL_INDUSTRY: [i for i in seed.industry if i in INDUSTRY_LABELS],
            state.DL_INV: (seed.inv_min, seed.inv_max), state.DL_YEAR: (seed.year_min, seed.year_max),
        })
        st.session_state[state.DL_SEEDED] = True
    if st.session_state.get(state.DL_LAYER) not in choices:   # the role changed since: its layers only
        st.session_state[state.DL_LAYER] = choices[0]

    top = st.columns([1.2, 1.6, 1.4])
    layer = top[0].selectbox(ui.t("d_layer"), choices, key=state.DL_LAYER,
                             format_func=lambda v: i18n.enum_label("layer", v, lang) + f" ({v})")
    fmt = top[1].radio(ui.t("d_format"), list(export.FORMATS), key=state.DL_FORMAT, horizontal=True,
                       format_func=lambda v: export.FORMATS[v].label)
    crs_key = top[2].radio(ui.t("d_crs"), list(export.CRS_CHOICES), key=state.DL_CRS, horizontal=True,
                           format_func=lambda v: i18n.t("d_crs_gcj02", lang) if v == "gcj02" else export.CRS_CHOICES[v])

    if layer not in choices:   # a forged widget value: the check holds on every run, not only for the URL
        ui.download_refused(layer)
        return
    frame = data.stats_layer(layer) if layer in STATS_DOWNLOADS else data.layer(layer)
    flt = ProjectFilter()
    if layer in POINT_LAYERS:
        with st.container(border=True):
            st.markdown(f"**{ui.t('filters')}**")
            c = st.columns(5 if layer == "projects" else 2)
            c[0].multiselect(ui.t("f_zone"), list(names), key=state.DL_ZONE, format_func=lambda z: names.get(z, z),
                             placeholder=ui.t("f_all"))
            c[1].multiselect(ui.t("f_street"), streets, key=state.DL_STREET, placeholder=ui.t("f_all"))
            if layer == "projects":
                c[2].multiselect(ui.t("f_status"), list(STATUS_LABELS), key=state.DL_STATUS, placeholder=ui.t("f_all"),
                                 format_func=lambda v: i18n.enum_label("status", v, lang))
                c[3].multiselect(ui.t("f_level"), list(LEVEL_LABELS), key=state.DL_LEVEL, placeholder=ui.t("f_all"),
                                 format_func=lambda v: i18n.enum_label("level", v, lang))
                c[4].multiselect(ui.t("f_industry"), list(INDUSTRY_LABELS), key=state.DL_INDUSTRY,
                                 placeholder=ui.t("f_all"), format_func=lambda v: i18n.enum_label("industry", v, lang))
        inv_min, inv_max = st.session_state.get(state.DL_INV, (None, None))
        year_min, year_max = st.session_state.get(state.DL_YEAR, (None, None))
        flt = ProjectFilter(zones=tuple(st.session_state[state.DL_ZONE]), streets=tuple(st.session_state[state.DL_STREET]))
        if layer == "projects":
            flt = ProjectFilter(zones=flt.zones, streets=flt.streets, status=tuple(st.session_state[state.DL_STATUS]),
                                level=tuple(st.session_state[state.DL_LEVEL]),
                                industry=tuple(st.session_state[state.DL_INDUSTRY]),
                                inv_min=inv_min, inv_max=inv_max, year_min=year_min, year_max=year_max)
            frame = filter_projects(frame, data.members(layer), flt)
            if inv_min is not None or inv_max is not None or year_min is not None or year_max is not None:
                st.caption(f"{ui.t('f_investment')}: {inv_min or 0:g}–{'' if inv_max is None else f'{inv_max:g}'} · "
                           f"{ui.t('f_year')}: {year_min or ''}–{year_max or ''}")
        else:
            frame = filter_points(frame, RECORD_ID[layer], data.members(layer), flt)

    personal = access.personal_state(viewer, layer)
    if personal == access.PERSONAL_FULL:
        try:   # personal data shown in full: on record before it is shown
            auth.record_once(data.settings(), ("view_personal", layer, flt.slug()), audit.Entry(
                "view_personal", user=viewer.name, role=viewer.role, page="downloads", layer=layer,
                filters=audit.filters_text(flt.to_query()), rows=len(frame), personal_data=personal,
                client=auth.client_address()), quietly=False)
        except audit.AuditError as exc:
            st.error(f"{ui.t('audit_error')}: {exc}")
            return
    name = export.file_name(layer, flt.slug(), fmt, crs_key)
    info = ui.export_info(layer=layer, filters=flt.to_query(), fmt=fmt, crs=crs_key, rows=len(frame), personal=personal)
    cols = st.columns([1, 3])
    cols[0].metric(ui.t("d_rows"), i18n.fmt_int(len(frame)))
    with cols[1]:
        st.text_input(ui.t("d_filename"), name, disabled=True)
        st.download_button(f"{ui.t('d_button')} {export.FORMATS[fmt].label}", key=state.DL_BUTTON, type="primary",
                           data=ui.audited_download(lambda stamped: export.to_bytes(frame, fmt, crs_key, layer, stamped),
                                                    info, page="downloads"),
                           file_name=name, mime=export.FORMATS[fmt].mime, icon=":material/download:", on_click="ignore")
    notes = [ui.t("d_formula_note"), ui.t("d_no_coords")]
    if crs_key == "gcj02":
        notes.insert(0, ui.t("d_crs_gcj_note"))
    if personal != access.PERSONAL_NONE:
        notes.insert(0, ui.t({access.PERSONAL_FULL: "personal_full", access.PERSONAL_MASKED: "personal_masked"}
                             .get(personal, "personal_hidden")))
    for note in notes:
        st.caption("· " + note)
    # Labels on screen only: the downloaded files keep the store's field names.
    preview = frame.drop(columns=frame.geometry.name).head(PREVIEW_ROWS)
    st.caption(ui.t("d_preview", n=i18n.fmt_int(len(preview))))
    st.dataframe(preview.rename(columns=lambda col: i18n.column_label(col, lang)), hide_index=True, width="stretch",
                 height=300)


if __name__ == "__main__":
    render()
