"""项目 Project explorer (``/projects``): filters, map and table in sync, shareable URL.

The map follows the filter: it fits the filtered projects (or the selected one, from a click,
a table row or ``?project=<project_id>``); each filter option shows how many projects it would
give; choosing a zone narrows the street list to the streets the zone touches.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import streamlit as st
from streamlit_folium import st_folium

from dashboard import i18n, state
from dashboard.maps import draw
from dashboard.security import access, sessions
from dashboard.store import data
from dashboard.store.queries import (
    SCHEDULES_LATE,
    FilterRanges,
    ProjectFilter,
    explorer_params,
    explorer_query,
    filter_projects,
    filter_ranges,
    located_bounds,
    option_counts,
    selected_project,
    streets_of_zones,
    with_zones,
    zone_names,
)
from dashboard.web import defer, pages, ui, views
from loaders.schema import INDUSTRY_LABELS, LEVEL_LABELS, STATUS_LABELS

FILTER_KEYS = (state.PF_ZONE, state.PF_STREET, state.PF_STATUS, state.PF_LEVEL, state.PF_INDUSTRY, state.PF_SCHEDULE)
SELECTED_SPAN = 0.03  # degrees around a selected project (about 3 km): the project and its neighbours
DETAILS_CSS = """<style>
table.ft-details{width:100%;border-collapse:collapse;font-size:14px;line-height:1.45;margin:0 0 6px 0}
table.ft-details th{font-weight:500;color:#5f6b7a;text-align:left;white-space:nowrap;padding:3px 12px 3px 0;
  vertical-align:top;border:none;border-bottom:1px solid #eef0f3;background:none}
.st-key-ft_details h3{font-size:1.3rem;padding:.2rem 0 .4rem 0}
table.ft-details td{padding:3px 0;border:none;border-bottom:1px solid #eef0f3;word-break:break-all}
</style>"""


def _seed(streets: list[str], ranges: FilterRanges) -> None:
    """Fill the widgets from the URL: on the first visit, and whenever a link brings explorer
    parameters other than the ones this page wrote (a project linked from a zone page).
    Coming back from another page without parameters restores the filters and selection this
    page last wrote (Streamlit drops the state of widgets a page run did not draw)."""
    params = st.query_params.to_dict()
    mine = explorer_params(params)
    seeded = bool(st.session_state.get(state.PF_SEEDED))
    complete = all(key in st.session_state for key in (*FILTER_KEYS, state.PF_YEAR))
    if seeded and complete and (not mine or mine == st.session_state.get(state.PF_URL)):
        return
    if seeded and not mine:
        params = mine = dict(st.session_state.get(state.PF_URL) or {})
    flt = ProjectFilter.from_query(params)
    y_lo = min(max(ranges.year_lo, flt.year_min or ranges.year_lo), ranges.year_hi)
    y_hi = max(min(ranges.year_hi, flt.year_max or ranges.year_hi), y_lo)
    st.session_state.update({
        state.PF_ZONE: list(flt.zones), state.PF_STREET: [s for s in flt.streets if s in streets],
        state.PF_STATUS: list(flt.status), state.PF_LEVEL: list(flt.level),
        state.PF_INDUSTRY: [i for i in flt.industry if i in INDUSTRY_LABELS],
        state.PF_SCHEDULE: list(flt.schedule),
        state.PF_INV_MIN: flt.inv_min if flt.inv_min is not None and flt.inv_min > 0 else None,
        state.PF_INV_MAX: flt.inv_max if flt.inv_max is not None and flt.inv_max >= 0 else None,
        state.PF_YEAR: (y_lo, y_hi),
        state.PF_SELECTED: selected_project(params),
        state.PF_TOUCHED: False,
        state.PF_URL: mine,
    })
    st.session_state[state.PF_SEEDED] = True


def _reset(ranges: FilterRanges, keep_selection: bool = False) -> None:
    st.session_state.update({key: [] for key in FILTER_KEYS})
    st.session_state.update({state.PF_INV_MIN: None, state.PF_INV_MAX: None,
                             state.PF_YEAR: (ranges.year_lo, ranges.year_hi)})
    if not keep_selection:
        st.session_state[state.PF_SELECTED] = None


def _touched() -> None:
    st.session_state[state.PF_TOUCHED] = True


def _investment_bounds() -> tuple[float | None, float | None, bool]:
    """(min, max, swapped) from the two number inputs; 0 as a lower bound is no bound."""
    lo, hi = st.session_state.get(state.PF_INV_MIN), st.session_state.get(state.PF_INV_MAX)
    lo = float(lo) if lo is not None and float(lo) > 0 else None
    hi = float(hi) if hi is not None else None
    if lo is not None and hi is not None and lo > hi:
        return hi, lo, True
    return lo, hi, False


def _filter(ranges: FilterRanges) -> ProjectFilter:
    """The filter the widgets hold (their values are in the session state before they draw)."""
    inv_lo, inv_hi, _ = _investment_bounds()
    y_lo, y_hi = st.session_state[state.PF_YEAR]
    return ProjectFilter(zones=tuple(st.session_state[state.PF_ZONE]), streets=tuple(st.session_state[state.PF_STREET]),
                         status=tuple(st.session_state[state.PF_STATUS]), level=tuple(st.session_state[state.PF_LEVEL]),
                         industry=tuple(st.session_state[state.PF_INDUSTRY]),
                         schedule=tuple(st.session_state[state.PF_SCHEDULE]), inv_min=inv_lo, inv_max=inv_hi,
                         year_min=y_lo if y_lo > ranges.year_lo else None,
                         year_max=y_hi if y_hi < ranges.year_hi else None)


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_projects")
    st.markdown(DETAILS_CSS, unsafe_allow_html=True)
    members = data.members("projects")
    projects = data.layer("projects")
    zones_layer, streets_layer = data.layer("zones"), data.layer("streets")
    names = zone_names(zones_layer, lang)
    ranges = filter_ranges(projects)
    _seed(list(streets_layer["name"]), ranges)
    flt = _filter(ranges)
    _filter_widgets(projects, members, zones_layer, streets_layer, names, ranges, flt, lang)
    selected, sel, shown = _selection(projects, members, flt)
    m, points, chosen = _explorer_map(selected, shown, flt, zones_layer, streets_layer, names, lang)
    n_all = len(selected)
    _status_line(projects, selected, len(points), sel, shown, ranges, lang)
    left, right = st.columns([1.5, 1], gap="medium")
    with left:
        _map_clicks(m)
    with right, st.container(key="ft_details"):
        _details(chosen, shown, n_all, flt, names, lang)
    if n_all:   # drawn once the map is (a new session's first run: the table's bundles wait)
        defer.later("ft_later_table", _table, selected, shown, flt, names, lang)
    _write_url(flt)


def _filter_widgets(projects, members, zones_layer, streets_layer, names: dict[str, str],  # noqa: ANN001
                    ranges: FilterRanges, flt: ProjectFilter, lang: str) -> None:
    """The filter box: every option with its count under the other filters."""
    counts = option_counts(projects, members, flt)

    def with_count(facet: str, label: str, option: str) -> str:
        return i18n.counted(label, int(counts[facet].get(option, 0)), lang)

    street_options = streets_of_zones(zones_layer, streets_layer, flt.zones, projects, members)
    street_options += [s for s in flt.streets if s not in street_options]  # a chosen street stays listed
    counts_help = ui.t("x_counts_help")
    with st.container(border=True):
        c = st.columns([1.6, 1.4, 1.1, 1, 1.3])
        c[0].multiselect(ui.t("f_zone"), list(names), key=state.PF_ZONE, placeholder=ui.t("f_all"),
                         format_func=lambda z: with_count("zones", names.get(z, z), z), on_change=_touched,
                         help=counts_help)
        c[1].multiselect(ui.t("f_street"), street_options, key=state.PF_STREET, placeholder=ui.t("f_all"),
                         format_func=lambda s: with_count("streets", s, s), on_change=_touched,
                         help=ui.t("x_street_help") if flt.zones else counts_help)
        for col, key, label, kind, options in ((c[2], state.PF_STATUS, "f_status", "status", STATUS_LABELS),
                                               (c[3], state.PF_LEVEL, "f_level", "level", LEVEL_LABELS),
                                               (c[4], state.PF_INDUSTRY, "f_industry", "industry", INDUSTRY_LABELS)):
            col.multiselect(ui.t(label), list(options), key=key, placeholder=ui.t("f_all"), on_change=_touched,
                            format_func=lambda v, k=kind: with_count(k, i18n.enum_label(k, v, lang), v))
        d = st.columns([1, 1, 2, 1.6, 1])
        inv_help = ui.t("x_inv_help", median=views.project_yi(ranges.inv_median, lang) if not math.isnan(ranges.inv_median)
                        else i18n.DASH, top=i18n.fmt_yi(ranges.inv_top, lang, digits=0))
        d[0].number_input(ui.t("x_inv_min"), min_value=0.0, value=None, step=1.0, format="%.1f", key=state.PF_INV_MIN,
                          placeholder=ui.t("x_inv_any"), help=inv_help, on_change=_touched)
        d[1].number_input(ui.t("x_inv_max"), min_value=0.0, value=None, step=1.0, format="%.1f", key=state.PF_INV_MAX,
                          placeholder=ui.t("x_inv_any"), help=inv_help, on_change=_touched)
        d[2].slider(ui.t("f_year"), ranges.year_lo, ranges.year_hi, key=state.PF_YEAR, on_change=_touched)
        d[3].multiselect(ui.t("f_schedule"), list(SCHEDULES_LATE), key=state.PF_SCHEDULE, placeholder=ui.t("f_all"),
                         format_func=lambda v: with_count("schedule", i18n.enum_label("schedule", v, lang), v),
                         help=ui.metric_help("projects_delayed"), on_change=_touched)
        d[4].button(ui.t("reset_filters"), on_click=_reset, args=(ranges,), width="stretch")
        inv_lo, inv_hi, swapped = _investment_bounds()
        if swapped:
            st.caption(ui.t("x_inv_swapped", lo=f"{inv_lo:g}", hi=f"{inv_hi:g}"))



def _selection(projects, members, flt: ProjectFilter) -> tuple:  # noqa: ANN001
    """The projects the filter keeps (with their zones), the picked project and the one shown
    (the pick, if the filter keeps it)."""
    selected = with_zones(filter_projects(projects, members, flt), "project_id", members)
    ids = set(selected["project_id"])
    sel = st.session_state.get(state.PF_SELECTED)
    if sel is not None and sel not in ids and st.session_state.get(state.PF_TOUCHED):
        sel = st.session_state[state.PF_SELECTED] = None  # the filter moved on: the old pick is gone
    shown = sel if sel in ids else None
    return selected, sel, shown


def _explorer_map(selected, shown, flt: ProjectFilter, zones_layer, streets_layer,  # noqa: ANN001
                  names: dict[str, str], lang: str) -> tuple:
    """The map of the selection, fitted to the pick or the filtered projects; with the points
    drawn and the picked project's row."""
    bm = ui.basemap()
    points = draw.display_points(selected, bm.display_crs)
    district = tuple(float(v) for v in streets_layer.total_bounds)
    chosen = selected[selected["project_id"] == shown] if shown is not None else selected.iloc[:0]
    bounds = located_bounds(chosen, margin=0.0, min_span=SELECTED_SPAN) if shown is not None else None
    if bounds is None and not flt.is_empty():
        bounds = located_bounds(selected)
    zones_disp = views.zones_for_map(draw.display_polygons(zones_layer, bm.display_crs),
                                     data.zones_table(), None, "", str, lang)
    streets_disp = views.streets_for_map(draw.display_polygons(streets_layer, bm.display_crs),
                                         data.streets_table(), None, "", str, lang)
    legend = [(i18n.enum_label("status", k, lang), c) for k, c in draw.STATUS_COLOURS.items()]
    m = draw.projects_map(projects=views.projects_for_map(points, names, lang, with_popup=False), zones=zones_disp,
                          streets=streets_disp, bounds=bounds or district,
                          legend_title=ui.t("f_status"), legend_items=legend, layer_name=ui.t("lyr_projects"),
                          selected=shown, basemap=bm, note=ui.basemap_note(bm))
    return m, points, chosen


def _status_line(projects, selected, n_map: int, sel, shown, ranges: FilterRanges, lang: str) -> None:  # noqa: ANN001
    """How many projects the filter keeps (and how many have a place on the map); what to do
    when none or when the pick is filtered out."""
    n_all = len(selected)
    counts_text = ui.t("n_selected", n=i18n.fmt_int(n_all), inv=i18n.fmt_yi(selected["investment_total"].sum(), lang),
                       m=i18n.fmt_int(n_map), k=i18n.fmt_int(n_all - n_map)) if n_all else ""
    st.markdown(f'<div data-testid="ft-counts" data-map="{n_map}" data-table="{n_all}">{views.esc(counts_text)}</div>',
                unsafe_allow_html=True)
    if not n_all:
        say, act = st.columns([5, 1.2], vertical_alignment="center")
        say.warning(ui.t("x_no_match"), icon=":material/filter_alt_off:")
        act.button(ui.t("x_clear"), key="pf_clear_no_match", on_click=_reset, args=(ranges,), width="stretch")
    elif sel is not None and shown is None:
        if sel in set(projects["project_id"]):
            say, act = st.columns([5, 1.2], vertical_alignment="center")
            say.info(ui.t("x_sel_filtered_out", id=sel))
            act.button(ui.t("x_sel_show"), key="pf_show_selected", on_click=_reset, args=(ranges, True),
                       width="stretch")
        else:
            st.info(ui.t("x_sel_unknown", id=sel))


def _map_clicks(m) -> None:  # noqa: ANN001 - folium Map
    """The map; a click on a project picks it."""
    result = st_folium(m, render=False, key="projects_map", height=540, use_container_width=True,
                       returned_objects=["last_active_drawing"])
    clicked = ui.clicked_properties(result).get("project_id")
    if clicked and clicked != st.session_state.get(state.PF_LAST_CLICK):
        st.session_state[state.PF_LAST_CLICK] = clicked
        st.session_state[state.PF_SELECTED] = clicked
        st.rerun()


def _details(chosen, shown, n_all: int, flt: ProjectFilter, names: dict[str, str], lang: str) -> None:  # noqa: ANN001
    """The picked project's details, or the hint to pick one; the share and download links."""
    st.markdown(f"**{ui.t('project_details')}**")
    if shown is not None:
        row = chosen.iloc[0]
        st.subheader(str(row["name"]), anchor=False)
        st.markdown(views.project_details_html(row.to_dict(), names, lang), unsafe_allow_html=True)
        if row.geometry is None or row.geometry.is_empty:
            st.caption(ui.t("x_sel_no_location"))
    elif n_all:  # no hint to click when there is nothing to click
        st.info(ui.t("click_project_hint"))
    st.caption(ui.t("share_link"))
    if n_all and access.may_download(sessions.current_viewer(), "projects"):  # not for a role without downloads
        st.page_link(pages.path("downloads"), label=ui.t("download_filtered"),
                     icon=":material/download:", query_params={"layer": "projects", **flt.to_query()})


def _table(selected, shown, flt: ProjectFilter, names: dict[str, str], lang: str) -> None:  # noqa: ANN001
    """The selection as a table, the pick highlighted; a row picks its project."""
    table = views.project_table(selected.sort_values("investment_total", ascending=False), names, lang)
    id_col = i18n.column_label("project_id", lang)
    st.caption(ui.t("table_rows", n=i18n.fmt_int(len(table))))
    if shown is not None:  # highlight column by column (no loop over rows)
        hit = (table[id_col] == shown).to_numpy()
        styled = table.style.apply(lambda col: np.where(hit, "background-color: #ffe8a3", ""), axis=0)
    else:
        styled = table
    # One table widget per filter: a row picked under another filter must not pick the project
    # that now sits in that row.
    table_key = f"{state.PF_TABLE}_{zlib.crc32(repr(sorted(flt.to_query().items())).encode()):08x}"
    event = st.dataframe(styled, hide_index=True, width="stretch", height=380, key=table_key,
                         on_select="rerun", selection_mode="single-row",
                         column_config={i18n.column_label("investment_total", lang):
                                        st.column_config.NumberColumn(format="%.2f")})
    rows = event.selection.rows if event is not None else []
    if rows:
        picked = table.iloc[rows[0]][id_col]
        if picked != st.session_state.get(state.PF_LAST_ROW):
            st.session_state[state.PF_LAST_ROW] = picked
            st.session_state[state.PF_SELECTED] = picked
            st.rerun()


def _write_url(flt: ProjectFilter) -> None:
    """The page's URL says the filter and the pick (a shared link opens the same view)."""
    query = explorer_query(flt, st.session_state.get(state.PF_SELECTED), st.query_params.to_dict())
    st.session_state[state.PF_URL] = explorer_params(query)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


if __name__ == "__main__":
    render()
