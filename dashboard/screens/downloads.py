"""数据下载 Downloads (``/downloads``): any layer, filtered, in the format and CRS analysts want.

Only the layers the viewer's role may download are offered (:func:`dashboard.security.access.may_download`);
a layer asked for in the URL that the role may not take is refused with a message, no button,
and an audit entry. Every download is recorded before it is served (:func:`ui.audited_download`,
:func:`dashboard.exports.job.claim`, at the server's export route); a page that shows personal data in full is recorded
once per layer and filter.

The point layers other than projects (enterprises, 12345 cases: a million rows at district
scale) are never read whole here: the store counts the selection and gives the preview
(:class:`loaders.rowfilter.RowFilter`), and the file is made from the store's chunks — on
the click for a small selection, in a background process with a progress bar for a large one
(:mod:`dashboard.exports.job`).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import i18n, state
from dashboard.exports import formats, writers
from dashboard.exports import job as export_job
from dashboard.security import access, audit, sessions
from dashboard.store import data
from dashboard.store.queries import ProjectFilter, filter_projects, zone_names
from dashboard.web import export_route, ui
from loaders.rowfilter import RowFilter
from loaders.schema import (
    ALL_LAYERS,
    HOTLINE_CATEGORY_LABELS,
    INDUSTRY_LABELS,
    LEVEL_LABELS,
    NEED_CATEGORY_LABELS,
    NEED_STATUS_LABELS,
    POINT_LAYERS,
    STATUS_LABELS,
)

PREVIEW_ROWS = 200
STATS_DOWNLOADS: tuple[str, ...] = ("zone_stats", "street_stats", "street_ranking")  # on their polygons
DATE_FILTERS: dict[str, str] = {"hotline": "received_at"}           # layer -> the date column a range applies to
CATEGORY_FILTERS: dict[str, tuple[str, dict[str, str]]] = {"hotline": ("category", HOTLINE_CATEGORY_LABELS)}
# The enterprise needs' own filters: column -> (i18n enum kind, codes, widget key, label key).
NEED_FILTERS: dict[str, tuple[str, dict[str, str], str, str]] = {
    "category": ("need_category", NEED_CATEGORY_LABELS, state.DL_NEED_CATEGORY, "dx_category"),
    "status": ("need_status", NEED_STATUS_LABELS, state.DL_NEED_STATUS, "dx_need_status"),
}


def _hotline_days() -> tuple[date, date] | None:
    """The first and last day the 12345 cases cover (from the build's monthly table: no rows read)."""
    try:
        months = pd.to_datetime(data.hotline_monthly()["month"]).dropna()
    except (KeyError, ValueError, data.StoreUnavailable):
        return None
    if months.empty:
        return None
    last = months.max() + pd.offsets.MonthEnd(0)
    return months.min().date(), last.date()


def _row_filter(layer: str) -> tuple[RowFilter, dict[str, object], str]:
    """The filter widgets of a point layer read by the store; the filter, its audit form and slug."""
    zones = tuple(st.session_state.get(state.DL_ZONE, ()))
    streets = tuple(st.session_state.get(state.DL_STREET, ()))
    query: dict[str, object] = {"zone": ",".join(zones), "street": ",".join(streets)}
    slug = [*zones, *(streets if len(streets) <= 1 else [f"{len(streets)}streets"])]
    date_from = date_to = None
    column = DATE_FILTERS.get(layer)
    span = _hotline_days() if column else None
    picked = st.session_state.get(state.DL_RECEIVED) if span else None
    if picked:
        chosen = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
        lo = chosen[0] if chosen else None
        hi = chosen[1] if len(chosen) > 1 else None
        date_from = lo if lo is not None and lo > span[0] else None
        date_to = hi if hi is not None and hi < span[1] else None
        if date_from or date_to:
            query.update(received_from=date_from and date_from.isoformat(), received_to=date_to and date_to.isoformat())
            slug.append(f"{(date_from or span[0]):%Y%m%d}-{(date_to or span[1]):%Y%m%d}")
    values: dict[str, tuple[str, ...]] = {}
    if layer in CATEGORY_FILTERS:
        field, _labels = CATEGORY_FILTERS[layer]
        chosen_values = tuple(st.session_state.get(state.DL_CATEGORY, ()))
        if chosen_values:
            values[field] = chosen_values
            query[field] = ",".join(chosen_values)
            slug += list(chosen_values)
    if layer == "needs":
        units = tuple(v for v in st.session_state.get(state.DL_NEED_OWNER, ()) if v in _owner_units())
        if units:
            values["owner_unit"] = units
            query["owner_unit"] = ",".join(units)
            slug.append(f"{len(units)}units")
        for field, (_kind, labels, key, _label) in NEED_FILTERS.items():
            chosen_values = tuple(v for v in st.session_state.get(key, ()) if v in labels)
            if chosen_values:
                values[field] = chosen_values
                query[field] = ",".join(chosen_values)
                slug += list(chosen_values)
    flt = RowFilter(layer, zones=zones, streets=streets, date_column=column if (date_from or date_to) else None,
                    date_from=date_from, date_to=date_to, values=values)
    return flt, query, "_".join(slug) or "all"


@dataclass(frozen=True)
class Selection:
    """The rows a download holds: in memory (``frame``: projects, boundaries, indicators, small
    layers) or the store's selection (``rows``: the other point layers, counted and streamed),
    with the filter as the URL and audit log write it and as the file name says it."""

    frame: object
    rows: RowFilter | None
    query: dict
    slug: str


def render() -> None:
    lang = ui.lang()
    ui.page_title("page_downloads")
    viewer = sessions.current_viewer()
    every = [*ALL_LAYERS, *STATS_DOWNLOADS]
    choices = [c for c in every if access.may_download(viewer, c)]
    if _refused_in_url(viewer, every, choices) or _outside_scope_in_url():
        return
    if not choices:
        st.error(ui.t("no_downloads"))
        return
    names = zone_names(data.layer("zones"), lang)
    streets = list(data.layer("streets")["name"])
    _seed(choices, streets)
    layer, fmt, crs_key, headers = _file_choices(choices, lang)
    if layer not in choices:   # a forged widget value: the check holds on every run, not only for the URL
        ui.download_refused(layer)
        return
    chosen = _selection(layer, names, streets, lang)
    rows = len(chosen.frame) if chosen.frame is not None else data.count(chosen.rows)
    personal = access.personal_state(viewer, layer)
    if not _personal_view_recorded(viewer, layer, chosen, rows, personal):
        return
    built = data.built_at()
    name = writers.file_name(layer, chosen.slug, fmt, crs_key, built=built)
    info = replace(ui.export_info(layer=layer, filters=chosen.query, fmt=fmt, crs=crs_key, rows=rows,
                                  personal=personal),
                   built_at=built.isoformat() if built is not None else "", headers=headers)
    options = writers.ExportOptions(fmt=fmt, crs_key=crs_key, layer=layer, info=info, headers=headers, lang=lang,
                                    zone_names=names)
    cols = st.columns([1, 3])
    cols[0].metric(ui.t("d_rows"), i18n.fmt_int(rows))
    with cols[1]:
        st.text_input(ui.t("d_filename"), name, disabled=True)
        _download(chosen, options, name, rows, personal)
    _notes(built, crs_key, personal, layer)
    _preview(chosen, layer, crs_key, lang, names)


def _refused_in_url(viewer, every: list[str], choices: list[str]) -> bool:  # noqa: ANN001 - access.Viewer
    """A layer asked for in the URL that this role may not take: refused, recorded once."""
    asked = st.query_params.get("layer")
    if asked not in every or asked in choices:
        return False
    sessions.record_once(data.settings(), ("download_refused", asked), audit.Entry(
        "download_refused", user=viewer.name, role=viewer.role, page="downloads", layer=asked,
        filters=audit.filters_text(st.query_params.to_dict()), client=sessions.client_address(),
        detail="layer asked for in the URL"))
    ui.download_refused(asked)
    return True


def _outside_scope_in_url() -> bool:
    """A zone or street in the URL outside the viewer's scope (a forged or shared download
    link): refused with why, recorded; nothing of that area is read."""
    scope = data.current_scope()
    if scope.whole:
        return False
    asked = ProjectFilter.from_query(st.query_params.to_dict())
    names = zone_names(data.layer("zones"), ui.lang())
    # An area of the scope's own kind that it does not name is another area's download; a
    # street inside a zone scope (or a zone across a street scope) only narrows the rows.
    for zone in asked.zones:
        if scope.zones and not scope.streets and not scope.allows_zone(zone):
            ui.scope_refused(names.get(zone, zone), "downloads", f"zone:{zone}")
            return True
    for street in asked.streets:
        if scope.streets and not scope.zones and not scope.allows_street(street):
            ui.scope_refused(street, "downloads", f"street:{street}")
            return True
    return False


def _seed(choices: list[str], streets: list[str]) -> None:
    """The widgets start from the URL once per session (an explorer link's filter)."""
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


def _file_choices(choices: list[str], lang: str) -> tuple[str, str, str, str]:
    """Layer, format, coordinate system and header mode, as chosen in the top row."""
    top = st.columns([1.1, 1.6, 1.4, 1.2])
    layer = top[0].selectbox(ui.t("d_layer"), choices, key=state.DL_LAYER,
                             format_func=lambda v: i18n.enum_label("layer", v, lang) + f" ({v})")
    fmt = top[1].radio(ui.t("d_format"), list(writers.FORMATS), key=state.DL_FORMAT, horizontal=True,
                       format_func=lambda v: writers.FORMATS[v].label)
    crs_key = top[2].radio(ui.t("d_crs"), list(writers.CRS_CHOICES), key=state.DL_CRS, horizontal=True,
                           format_func=lambda v: i18n.t("d_crs_gcj02", lang) if v == "gcj02" else writers.CRS_CHOICES[v])
    headers = top[3].radio(ui.t("dx_headers"), list(writers.HEADER_MODES), key=state.DL_HEADERS,
                           format_func=lambda v: ui.t(f"dx_headers_{v}"), disabled=fmt not in writers.TABLE_FORMATS,
                           help=ui.t("dx_headers_help"))
    return layer, fmt, crs_key, headers


def _selection(layer: str, names: dict[str, str], streets: list[str], lang: str) -> Selection:
    """The rows of ``layer`` the filters select (point layers) or the whole layer."""
    if layer not in POINT_LAYERS:
        frame = data.stats_layer(layer) if layer in STATS_DOWNLOADS else data.layer(layer)
        return Selection(frame, None, {}, "all")
    _filter_widgets(layer, names, streets, lang)
    if layer != "projects":
        flt_rows, query, slug = _row_filter(layer)
        return Selection(None, flt_rows, query, slug)
    inv_min, inv_max = st.session_state.get(state.DL_INV, (None, None))
    year_min, year_max = st.session_state.get(state.DL_YEAR, (None, None))
    flt = ProjectFilter(zones=tuple(st.session_state[state.DL_ZONE]),
                        streets=tuple(st.session_state[state.DL_STREET]),
                        status=tuple(st.session_state[state.DL_STATUS]),
                        level=tuple(st.session_state[state.DL_LEVEL]),
                        industry=tuple(st.session_state[state.DL_INDUSTRY]),
                        inv_min=inv_min, inv_max=inv_max, year_min=year_min, year_max=year_max)
    if inv_min is not None or inv_max is not None or year_min is not None or year_max is not None:
        st.caption(f"{ui.t('f_investment')}: {inv_min or 0:g}–{'' if inv_max is None else f'{inv_max:g}'} · "
                   f"{ui.t('f_year')}: {year_min or ''}–{year_max or ''}")
    return Selection(filter_projects(data.layer(layer), data.members(layer), flt), None, flt.to_query(), flt.slug())


def _filter_widgets(layer: str, names: dict[str, str], streets: list[str], lang: str) -> None:
    """The filter box of a point layer: zone and street, and the layer's own filters."""
    with st.container(border=True):
        st.markdown(f"**{ui.t('filters')}**")
        extra = 3 if layer == "projects" else (2 if layer in DATE_FILTERS else len(NEED_FILTERS) + 1
                                               if layer == "needs" else 0)
        c = st.columns(2 + extra)
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
        elif layer in DATE_FILTERS:
            span = _hotline_days()
            if span is not None:
                if not st.session_state.get(state.DL_RECEIVED):
                    st.session_state[state.DL_RECEIVED] = span
                c[2].date_input(ui.t("dx_received"), key=state.DL_RECEIVED, min_value=span[0],
                                max_value=span[1], format="YYYY-MM-DD")
            field, labels = CATEGORY_FILTERS[layer]
            c[3].multiselect(ui.t("dx_category"), list(labels), key=state.DL_CATEGORY, placeholder=ui.t("f_all"),
                             format_func=lambda v: i18n.enum_label("hotline_category", v, lang))
        elif layer == "needs":
            for i, (kind, labels, key, label) in enumerate(NEED_FILTERS.values(), start=2):
                c[i].multiselect(ui.t(label), list(labels), key=key, placeholder=ui.t("f_all"),
                                 format_func=lambda v, kind=kind: i18n.enum_label(kind, v, lang))
            c[2 + len(NEED_FILTERS)].multiselect(ui.t("dx_owner_unit"), _owner_units(), key=state.DL_NEED_OWNER,
                                                 placeholder=ui.t("f_all"))


def _owner_units() -> list[str]:
    """The owner units (责任单位) the needs name, sorted (the layer is small: a few thousand rows)."""
    needs = data.layer("needs")
    return sorted(needs["owner_unit"].dropna().astype(str).unique()) if "owner_unit" in needs else []


def _personal_view_recorded(viewer, layer: str, chosen: Selection, rows: int,  # noqa: ANN001 - access.Viewer
                            personal: str) -> bool:
    """Personal data shown in full go on record before they are shown; False (and said) when the
    audit log cannot take it."""
    if personal != access.PERSONAL_FULL:
        return True
    try:
        sessions.record_once(data.settings(), ("view_personal", layer, chosen.slug), audit.Entry(
            "view_personal", user=viewer.name, role=viewer.role, page="downloads", layer=layer,
            filters=audit.filters_text(chosen.query), rows=rows, personal_data=personal,
            client=sessions.client_address()), quietly=False)
    except audit.AuditError as exc:
        st.error(f"{ui.t('audit_error')}: {exc}")
        return False
    return True


def _download(chosen: Selection, options: writers.ExportOptions, name: str, rows: int, personal: str) -> None:
    """The download button: the file made when clicked (small), or prepared in the background (large)."""
    fmt = options.fmt
    if not writers.fits(fmt, rows):
        st.warning(ui.t("dx_xlsx_limit", n=i18n.fmt_int(rows), max=i18n.fmt_int(formats.XLSX_MAX_ROWS)))
        return
    label = f"{ui.t('d_button')} {writers.FORMATS[fmt].label}"
    if chosen.frame is not None:
        frame = chosen.frame
        produce = lambda stamped: writers.to_bytes(frame, replace(options, info=stamped))  # noqa: E731
    else:
        # The viewer's scope goes into the spec: the rows the file holds are only those in their areas.
        spec = export_job.JobSpec(layer=options.layer, rows=data.scoped(chosen.rows), fmt=fmt, crs_key=options.crs_key,
                                  file_name=name, info=options.info, personal=personal, headers=options.headers,
                                  lang=options.lang, total=rows, zone_names=options.zone_names or {})
        if export_job.needs_background(rows):
            _background(spec, rows)
            return
        target = data.store_target()
        produce = lambda stamped: export_job.file_bytes(target, replace(spec, info=stamped))  # noqa: E731
    st.download_button(label, key=state.DL_BUTTON, type="primary",
                       data=ui.audited_download(produce, options.info, page="downloads"),
                       file_name=name, mime=writers.FORMATS[fmt].mime, icon=":material/download:", on_click="ignore")


def _notes(built, crs_key: str, personal: str, layer: str = "") -> None:  # noqa: ANN001 - pandas Timestamp or None
    notes = [ui.t("dx_crs_note"), ui.t("d_formula_note"), ui.t("d_no_coords")]
    if built is not None:
        notes.insert(0, ui.t("dx_data_date", time=built.strftime("%Y-%m-%d %H:%M")))
    if crs_key == "gcj02":
        notes.insert(0, ui.t("d_crs_gcj_note"))
    if personal != access.PERSONAL_NONE:
        key = {access.PERSONAL_FULL: "personal_full", access.PERSONAL_MASKED: "personal_masked"}.get(
            personal, "personal_hidden")
        notes.insert(0, ui.t(key + "_needs" if layer == "needs" else key))   # the needs: their text
    for note in notes:
        st.caption("· " + note)


def _preview(chosen: Selection, layer: str, crs_key: str, lang: str, names: dict[str, str]) -> None:
    """What a labelled file holds: headers and labels as the pages show them."""
    sample = chosen.frame.head(PREVIEW_ROWS) if chosen.frame is not None else data.preview(chosen.rows, PREVIEW_ROWS)
    preview = writers.tabular(writers.prepare(sample, layer, crs_key), layer, "labels", lang, names)
    preview = preview.drop(columns=[writers.header_label(layer, writers.WKT, lang)], errors="ignore")
    st.caption(ui.t("d_preview", n=i18n.fmt_int(len(preview))))
    st.dataframe(writers.for_display(preview), hide_index=True, width="stretch", height=300)


def _background(spec: export_job.JobSpec, rows: int) -> None:
    """A large selection: made by a background process, with a progress bar, then offered."""
    job: export_job.Job | None = st.session_state.get(state.DL_JOB)
    if job is not None and job.spec.request != spec.request:
        status = job.status()
        if status.state == export_job.RUNNING:   # the earlier selection is still being made
            st.info(ui.t("dx_stale"))
            _progress(job)
            return
        job.remove()
        st.session_state.pop(state.DL_JOB, None)
        job = None
    if job is None:
        st.info(ui.t("dx_large", n=i18n.fmt_int(rows)))
        if st.button(ui.t("dx_prepare"), key=state.DL_PREPARE, type="primary", icon=":material/hourglass_top:"):
            stamped = replace(spec, info=spec.info.at_now())
            st.session_state[state.DL_JOB] = export_job.start(data.store_target(), stamped)
            st.rerun()
        return
    status = job.status()
    if status.state == export_job.RUNNING:
        _progress(job)
    elif status.state == export_job.DONE:
        st.success(ui.t("dx_ready", name=job.spec.file_name, size=_size(status.size)))
        _offer(job)
    elif status.state == export_job.GONE:   # served (and removed from the server), or swept
        st.info(ui.t("dx_served", name=job.spec.file_name))
        if st.button(ui.t("dx_again"), key=state.DL_PREPARE):
            st.session_state.pop(state.DL_JOB, None)
            st.rerun()
    else:
        st.error(ui.t("dx_failed", error=status.error) if status.state == export_job.FAILED else ui.t("dx_cancelled"))
        if st.button(ui.t("dx_again"), key=state.DL_PREPARE):
            job.remove()
            st.session_state.pop(state.DL_JOB, None)
            st.rerun()


def _offer(job: export_job.Job) -> None:
    """A finished job's link: the server's own route records the download, streams the file
    from disk and removes it (:mod:`dashboard.web.export_route`); the page notices the removal
    by itself and says so."""
    label = f"{ui.t('d_button')} {writers.FORMATS[job.spec.fmt].label}"
    st.markdown(f'<a data-testid="ft-export-link" class="ft-export-link" href="{html.escape(export_route.link(job.token))}" '
                f'download="{html.escape(job.spec.file_name)}" rel="noopener">⬇ {html.escape(label)}</a>',
                unsafe_allow_html=True)
    st.caption(ui.t("dx_link_note"))

    @st.fragment(run_every=2.0)
    def watch() -> None:
        if job.status().state != export_job.DONE:
            st.rerun(scope="app")
    watch()


def _progress(job: export_job.Job) -> None:
    """The job's progress bar, refreshed every second by itself (the rest of the page stays put);
    the whole page runs again once the job has ended."""
    @st.fragment(run_every=1.0)
    def bar() -> None:
        status = job.status()
        if status.state != export_job.RUNNING:
            st.rerun()
        st.progress(status.fraction, text=ui.t("dx_progress", name=job.spec.file_name,
                                               done=i18n.fmt_int(status.done), total=i18n.fmt_int(status.total)))
        if st.button(ui.t("dx_cancel"), key=state.DL_CANCEL, icon=":material/close:"):
            job.cancel()
            st.session_state.pop(state.DL_JOB, None)
            st.rerun()
    bar()


def _size(n: int) -> str:
    return f"{n / 1_048_576:,.1f} MB" if n >= 1_048_576 else f"{max(n, 1) / 1024:,.0f} KB"


if __name__ == "__main__":
    render()
