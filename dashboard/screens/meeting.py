"""会议模式 Meeting mode (``/meeting``): one zone per screen for a projector, overview first.

``?zone=<zone_id>`` starts on a zone (``all``: the overview), ``?auto=<seconds>`` plays the
slides as a playlist; the arrow keys move, Space pauses, any other key pauses a playing list.
The slide lives in a fragment, so a move re-runs only the slide (not the page's banners), and
the map is one iframe built once per build and language that follows the slide by itself
(:class:`dashboard.briefing.figures.SlideFollower`): nothing reloads between slides. Streamlit's own
chrome is hidden by this page's CSS, which lives and dies with the page.
"""
from __future__ import annotations

import dataclasses
import html
import time

import streamlit as st

from dashboard import i18n, state
from dashboard.briefing import change, figures, pdf
from dashboard.i18n import t as mt
from dashboard.maps import draw
from dashboard.maps import meeting as meeting_map
from dashboard.security.access import may_download
from dashboard.security.sessions import current_viewer
from dashboard.store import data
from dashboard.store.queries import METRICS, display_name, zone_name, zone_names
from dashboard.web import slides, ui

# session-state keys of this page (widget keys are also what the key script clicks: .st-key-<key>)
SLIDE, SHOWN_AT, PAUSED, URL_SEEN = "mt_slide", "_mt_shown_at", "_mt_paused", "_mt_url_seen"
PREV, NEXT, PAUSE, PICK, DOWNLOAD = "mt_prev", "mt_next", "mt_pause", "mt_pick", "mt_pdf"
ORDER = "_mt_order"
MAP_HEIGHT = 600  # px; the page CSS stretches the map to the screen's height

_CSS = """<style>
:root {--u: min(1vh, 0.5625vw);}
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stStatusWidget"],
footer {display: none !important;}
html, body, .stApp {background: #ffffff;}
.block-container, [data-testid="stMainBlockContainer"] {padding: calc(0.6 * var(--u)) 1.2vw 0 1.2vw !important;
  max-width: 100% !important;}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {gap: calc(0.6 * var(--u));}
[data-stale="true"], .stale-element {opacity: 1 !important; transition: none !important;}
/* the honesty marks: one compact row, still legible */
[data-testid="stElementContainer"]:has(.ft-banner), [data-testid="stElementContainer"]:has(.ft-asof) {
  width: auto !important; display: inline-flex; margin-right: 10px;}
[data-testid="stVerticalBlock"]:has(> [data-testid="stElementContainer"] .ft-banner) {flex-flow: row wrap;
  align-items: center; column-gap: 8px;}
[data-testid="stVerticalBlock"]:has(> [data-testid="stElementContainer"] .ft-banner) > * {flex: 1 1 100%;}
[data-testid="stVerticalBlock"]:has(> [data-testid="stElementContainer"] .ft-banner)
  > [data-testid="stElementContainer"]:has(.ft-banner, .ft-asof) {flex: 0 0 auto;}
.ft-banner {font-size: max(12px, calc(1.45 * var(--u))) !important; padding: 1px 8px !important; margin: 0 !important;
  white-space: nowrap; max-width: 46vw; overflow: hidden; text-overflow: ellipsis;}
.ft-asof {font-size: max(12px, calc(1.45 * var(--u))) !important; margin: 0 !important; color: #2f3b48 !important;}
/* the slide */
[data-testid="stMarkdownContainer"]:has(.mt-slide) {margin-bottom: 0 !important;}
.mt-slide {border-left: calc(1 * var(--u)) solid var(--mt-colour); padding-left: calc(1.4 * var(--u));
  margin-top: calc(0.5 * var(--u));}
.mt-title {display: flex; align-items: baseline; gap: calc(1.6 * var(--u)); flex-wrap: nowrap; white-space: nowrap;}
.mt-title h1.mt-name {font-size: calc(5.2 * var(--u)) !important; line-height: 1.1 !important; font-weight: 800;
  color: #111a24; padding: 0 !important; margin: 0 !important;}
.mt-kind, .mt-count, .mt-status {font-size: calc(2.4 * var(--u)); color: #3d4a58;}
.mt-count {font-variant-numeric: tabular-nums;}
.mt-status {color: #6b7785;}
.mt-headline {font-size: calc(3.1 * var(--u)); line-height: 1.25; font-weight: 700; color: #16212c;
  margin-top: calc(0.4 * var(--u)); white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.mt-kpis {display: grid; grid-template-columns: repeat(var(--mt-cols), 1fr); gap: calc(1 * var(--u));}
.mt-kpi {background: #f4f6f8; border-left: calc(0.7 * var(--u)) solid var(--mt-colour, #c0392b);
  padding: calc(0.7 * var(--u)) calc(1.2 * var(--u)); border-radius: 6px; min-width: 0;}
.mt-kpi-label {font-size: calc(2.3 * var(--u)); color: #2f3b48; line-height: 1.2; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis;}
.mt-kpi-value {font-size: calc(4.8 * var(--u)); font-weight: 800; color: #0d1620; line-height: 1.1;
  white-space: nowrap; font-variant-numeric: tabular-nums;}
.mt-kpi-value .mt-unit {font-size: 0.5em; font-weight: 600; color: #2f3b48; margin: 0 0.15em;}
.mt-kpi-note {font-size: calc(1.9 * var(--u)); color: #3d4a58; line-height: 1.2; white-space: nowrap;}
.mt-compare {width: 100%; border-collapse: collapse; margin-top: calc(1.4 * var(--u));
  font-size: calc(2.3 * var(--u)); color: #111a24; font-variant-numeric: tabular-nums;}
.mt-compare th {font-size: calc(1.9 * var(--u)); color: #2f3b48; font-weight: 600; text-align: right;
  border-bottom: 2px solid #c9cfd6; padding: calc(0.3 * var(--u)) calc(0.6 * var(--u));}
.mt-compare th:first-child, .mt-compare td:first-child {text-align: left;}
.mt-compare td {text-align: right; padding: calc(0.35 * var(--u)) calc(0.6 * var(--u));
  border-bottom: 1px solid #e3e7eb; white-space: nowrap;}
.mt-changes {background: #fff8e1; border: 1px solid #f0c36d; border-radius: 6px;
  padding: calc(1 * var(--u)) calc(1.6 * var(--u)); font-size: calc(2.5 * var(--u)); color: #111a24;}
.mt-changes h3 {font-size: calc(3 * var(--u)) !important; margin: 0 0 calc(0.6 * var(--u)) 0 !important; padding: 0 !important;}
.mt-change-cols {display: grid; grid-template-columns: 1fr; gap: calc(1.2 * var(--u));}
.mt-change-cols > div {display: flex; gap: calc(1 * var(--u)); align-items: baseline;}
.mt-change-cols b {flex: 0 0 auto; min-width: 6.5em;}
.mt-change-cols ol, .mt-change-cols ul {display: flex; flex-wrap: wrap; column-gap: 1.6em; list-style-position: inside;}
.mt-changes ol, .mt-changes ul {margin: 0; padding: 0;}
.mt-changes li {margin: 0; line-height: 1.3;}
.mt-changes .mt-bottom li {color: #a3300f; font-weight: 700;}
.mt-alerts {margin-top: calc(1.2 * var(--u)); border-top: 1px solid #f0c36d; padding-top: calc(0.8 * var(--u));}
.mt-alerts ul {list-style: none;}
.mt-alerts li {font-size: calc(2.3 * var(--u)); line-height: 1.3; margin-top: calc(0.5 * var(--u));
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden;}
.mt-swatch {display: inline-block; min-width: 1.3em; text-align: center; color: #fff; font-weight: 700;
  border-radius: 4px; margin-right: 0.45em; text-shadow: 0 0 2px #000;}
/* the map fills the height left under the title */
.st-key-mt_map iframe {height: calc(100vh - 18.1 * var(--u) - 16px) !important; border: 1px solid #d5dae0;
  border-radius: 6px;}
/* the control strip: small, quiet, bottom right */
.st-key-mt_strip {position: fixed; right: 1.2vw; bottom: calc(1 * var(--u)); z-index: 999990; width: auto !important;
  background: rgba(255, 255, 255, 0.92); border: 1px solid #d5dae0; border-radius: 8px; padding: 4px 6px;
  opacity: 0.45; transition: opacity 0.2s; gap: 6px !important; align-items: center;}
.st-key-mt_strip:hover, .st-key-mt_strip:focus-within {opacity: 1;}
.st-key-mt_strip button {min-height: 30px; padding: 2px 10px;}
.st-key-mt_strip [data-testid="stSelectbox"] {width: 220px;}
.mt-exit a {font-size: 14px; color: #3d4a58; text-decoration: none; padding: 0 6px;}
.mt-keys {font-size: 12px; color: #6b7785; white-space: nowrap;}
</style>"""


def _text(key: str, **values: object) -> str:
    return mt(key, ui.lang(), **values)


@st.cache_data(show_spinner=False, max_entries=8)
def _map_html(token: str, lang: str, basemap_key: str) -> str:
    """The meeting map's HTML for one build (``token``), language and basemap: built once, and the
    same string on every slide, so the iframe is never reloaded."""
    bm = ui.basemap()
    zones, streets = data.layer("zones"), data.layer("streets")
    if lang == "en" and "name_en" in streets:   # street labels in the viewer's language where a name exists
        streets = streets.assign(name=streets["name_en"].where(streets["name_en"].notna(), streets["name"]))
    m = meeting_map.meeting_map(zones=zones, streets=streets, projects=data.layer("projects"),
                            members=data.members("projects"), zone_labels=zone_names(zones, lang),
                            status_labels={s: i18n.enum_label("status", s, lang) for s in figures.STATUS_ORDER},
                            legend_title=mt("mt_map_legend", lang), basemap=bm, note=ui.basemap_note(bm))
    return draw.map_html(m)


def _go(slide: str) -> None:
    st.session_state[SLIDE] = slide
    st.session_state[SHOWN_AT] = time.monotonic()


def _move(delta: int) -> None:
    """Previous / next (buttons and arrow keys): a person took over, so a playing list pauses."""
    _go(figures.step(st.session_state[ORDER], st.session_state[SLIDE], delta))
    st.session_state[PAUSED] = True


def _toggle_pause() -> None:
    st.session_state[PAUSED] = not st.session_state[PAUSED]
    st.session_state[SHOWN_AT] = time.monotonic()
    if not st.session_state[PAUSED] and figures.parse_auto(st.query_params.get("auto")) is None:
        st.query_params["auto"] = f"{figures.DEFAULT_AUTO_S:g}"


def _picked() -> None:
    _go(st.session_state[PICK])
    st.session_state[PAUSED] = True


def _seed(order: tuple[str, ...]) -> None:
    """The slide named in the URL wins once (a link, a reload); after that the page names it."""
    st.session_state[ORDER] = order
    requested = st.query_params.get("zone")
    if requested is not None and requested != st.session_state.get(URL_SEEN):
        st.session_state[URL_SEEN] = requested
        if requested in order:
            _go(requested)
        else:
            st.toast(i18n.t("unknown_zone", ui.lang(), zone=requested))
    if st.session_state.get(SLIDE) not in order:
        _go(order[0])
    if PAUSED not in st.session_state:
        st.session_state[PAUSED] = figures.parse_auto(st.query_params.get("auto")) is None


def render() -> None:
    st.markdown(_CSS, unsafe_allow_html=True)
    lang = ui.lang()
    zones = data.zones_table()
    scope = data.current_scope()
    has_changes = not data.street_ranking().empty
    if zones.empty and (scope.whole or not has_changes):
        st.info(_text("mt_no_zones") if scope.whole else ui.t("scope_no_zones", scope=ui.scope_label(scope)))
        return
    order = figures.slide_order(list(zones.index), changes=has_changes)
    if not scope.whole:   # a scoped viewer's meeting: their own slides; no district slide of every zone
        order = tuple(k for k in order if k != figures.OVERVIEW)
    _seed(order)
    interval = figures.parse_auto(st.query_params.get("auto"))
    playing = not st.session_state[PAUSED]
    token = st.session_state.get(state.BUILD_TOKEN) or data.begin_run()
    map_html = _map_html(token, lang, ui.basemap().key)
    district = figures.district_figures(data.district_totals(), data.district_street_stats())
    every = (interval or figures.DEFAULT_AUTO_S) if playing else None
    st.fragment(_slide, run_every=every)(order, zones, district, map_html, every is not None)


def _slide(order: tuple[str, ...], zones, district: dict, map_html: str, timed: bool) -> None:  # noqa: ANN001
    lang = ui.lang()
    policy = data.rate_policy()
    interval = figures.parse_auto(st.query_params.get("auto")) or figures.DEFAULT_AUTO_S
    playing = not st.session_state[PAUSED]
    if timed != playing:  # pause or play was pressed: the page's timer must follow
        st.rerun()
    if figures.due(playing, interval, st.session_state[SHOWN_AT], time.monotonic()):
        _go(figures.step(order, st.session_state[SLIDE], 1))
    key = st.session_state[SLIDE]
    st.query_params["zone"] = key
    st.session_state[URL_SEEN] = key
    months = change.months_available(data.hotline_monthly())
    period = change.pick_period(st.query_params.get("period"), months)
    slide = _with_changes(figures.build_slide(key, order, zones, district, lang, policy), key, zones, district,
                          period, lang)
    summary = _change_summary(lang) if key == figures.CHANGES else None
    if summary is not None:
        slide = dataclasses.replace(slide, headline=slides.changes_headline(summary, lang))
    status = _text("mt_playing", s=f"{interval:g}") if playing else _text("mt_keys")
    st.markdown(slides.slide_head_html(slide, playing, status), unsafe_allow_html=True)
    left, right = st.columns([1.12, 1], gap="medium")
    with left, st.container(key="mt_map"):
        st.iframe(map_html, height=MAP_HEIGHT)
    with right:
        if key == figures.CHANGES:    # the opening slide: this month's ranking and warnings
            body = slides.changes_html(summary, lang)
        elif key == figures.OVERVIEW:  # the district's figures, then the zones side by side
            body = slides.kpis_html(slide.kpis, columns=2)
            rows = figures.comparison(zones, figures.COMPARE_METRICS, lang, policy)
            body += slides.comparison_html(rows, figures.COMPARE_METRICS, lang, policy)
        else:
            body = slides.kpis_html(slide.kpis, columns=2) + slides.needs_line_html(figures.needs_line(zones.loc[key],
                                                                                                       lang))
        st.markdown(f'<div class="mt-body" style="--mt-colour:{slide.colour}">{body}</div>',
                    unsafe_allow_html=True)
    _strip(order, zones, key, playing, lang, months, period)


def _strip(order: tuple[str, ...], zones, key: str, playing: bool, lang: str,  # noqa: ANN001
           months: list[str], period: str | None) -> None:
    """Previous / next / pause, the slide list, the brief's PDF and the way out."""
    names = {figures.CHANGES: mt("mt_change_title", lang), figures.OVERVIEW: mt("mt_overview_kind", lang)} | {
        z: zone_name(zones, z, lang) for z in zones.index}
    st.session_state[PICK] = key
    with st.container(key="mt_strip", horizontal=True):
        st.button("", icon=":material/chevron_left:", key=PREV, help=_text("mt_prev"), on_click=_move, args=(-1,))
        st.button("", icon=":material/chevron_right:", key=NEXT, help=_text("mt_next"), on_click=_move, args=(1,))
        st.button("", icon=":material/pause:" if playing else ":material/play_arrow:", key=PAUSE,
                  help=_text("mt_pause" if playing else "mt_play"), on_click=_toggle_pause)
        st.selectbox(_text("mt_zone_list"), order, key=PICK, on_change=_picked, label_visibility="collapsed",
                     format_func=lambda z: f"{order.index(z) + 1}. {names.get(z, z)}")
        if period is not None:
            newest_first = list(reversed(months))
            st.selectbox(_text("ch_period"), newest_first, index=newest_first.index(period), key=PERIOD_PICK,
                         on_change=_period_picked, label_visibility="collapsed", help=_text("ch_period_help"))
        try:
            pdf.register_font()
            font_error = None
        except pdf.BriefError as exc:
            font_error = str(exc)
        if may_download(current_viewer(), "brief"):  # figures only, no personal data: every role
            source = pdf.assemble(*data.brief_source())
            brief = figures.OVERVIEW if key == figures.CHANGES else key   # the 本月变化 slide: the district deck
            st.download_button(_text("mt_download"), data=lambda: pdf.draw_brief(source, brief, lang),
                               file_name=pdf.file_name(brief, data.built_at()), mime="application/pdf",
                               key=DOWNLOAD, on_click="ignore", help=font_error or _text("mt_download_help"),
                               disabled=font_error is not None)
        # the slide's last element: its data-slide says the whole slide, strip included, is drawn
        # (a display link's screen has nowhere else to go: no way out)
        exit_link = "" if current_viewer().display else \
            f'<a href="/" target="_self">{html.escape(_text("mt_exit"))}</a>'
        st.markdown(f'<span class="mt-exit" data-testid="mt-done" data-slide="{html.escape(key)}">'
                    f'{exit_link}</span>', unsafe_allow_html=True)


def _change_summary(lang: str):  # noqa: ANN202 - dashboard.briefing.change.Summary or None
    streets = data.streets_table()
    names = {s: display_name(s, streets["name_en"].get(s), lang) for s in streets.index}
    return change.summary(data.street_ranking(), data.alerts(), names, lang, st.query_params.get("period"),
                          n_warnings=5)


PERIOD_PICK = "mt_period"


def _period_picked() -> None:
    """The strip's month: into the URL before the slide is drawn again (the URL is the state)."""
    st.query_params["period"] = st.session_state[PERIOD_PICK]


def _with_changes(slide, key: str, zones, district: dict, period: str | None,  # noqa: ANN001, ANN202 - figures.Slide
                  lang: str):
    """The slide's KPIs for the month (12345 figures of ``period``) with each one's 环比 under it,
    and its headline with the month's response rate (not the rate of every case ever loaded)."""
    if key == figures.CHANGES:
        return slide
    if key == figures.OVERVIEW:
        totals = data.district_totals()
        streets = data.district_street_stats()
        denominator = {"population": streets["population"].sum() if streets["population"].notna().all() else None,
                       "area_km2": streets["area_km2"].sum()}
        figs = ui.area_figures("street", None, period, totals, denominator)
    else:
        row = zones.loc[key]
        values = {m: row.get(spec.column) for m, spec in METRICS.items()}
        figs = ui.area_figures("zone", key, period, values, row)
    policy = data.rate_policy()
    kpis = []
    for kpi in slide.kpis:
        fig = figs.get(kpi.metric)
        if fig is None:
            kpis.append(kpi)
            continue
        value = figures.metric_text(kpi.metric, fig.value, lang, policy) if kpi.metric in change.DATED_METRICS \
            else kpi.value
        line = change.change_line(fig.mom, lang) if fig.mom is not None and fig.mom.shown else ""
        note = " · ".join(x for x in (kpi.note, line) if x)
        kpis.append(dataclasses.replace(kpi, value=value, note=note))
    slide = dataclasses.replace(slide, kpis=tuple(kpis))
    month_rate = figs.get("response_rate")
    if period is not None and month_rate is not None and month_rate.value is not None:
        base = district if key == figures.OVERVIEW else figures.zone_figures(zones.loc[key])
        slide = dataclasses.replace(slide, headline=figures.headline({**base, "response_rate": month_rate.value}, lang,
                                                                     district=key == figures.OVERVIEW, month=period))
    return slide


if __name__ == "__main__":
    render()
