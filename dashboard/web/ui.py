"""Shared page furniture: language choice, banners, KPI cards, error display.

Everything a user provides is escaped before it reaches HTML; Streamlit's own widgets
(``st.metric``, ``st.dataframe``, ``st.markdown`` without ``unsafe_allow_html``) escape
by themselves.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboard import i18n, state
from dashboard.briefing import change, figures
from dashboard.exports.writers import ExportInfo
from dashboard.maps.draw import Basemap, basemap_for
from dashboard.security import access, audit, sessions
from dashboard.store import data
from dashboard.store.queries import METRICS

_CSS = """<style>
html, body, [class*="css"], .stApp {font-family: 'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif;}
.block-container {padding-top: 3.6rem; padding-bottom: 1rem; max-width: 100%;}
[data-testid="stMetric"] {background: #ffffff; border: 1px solid #dfe3e8; border-left: 6px solid #c0392b;
  border-radius: 8px; padding: 10px 14px 8px 14px;}
[data-testid="stMetricValue"] {font-size: 1.8rem; font-weight: 700; color: #1d2b3a;}
[data-testid="stMetricLabel"] p {font-size: 1.02rem; color: #4a5563;}
@media (max-width: 1600px) {[data-testid="stMetricValue"] {font-size: 1.45rem;}
  [data-testid="stMetricLabel"] p {font-size: 0.95rem;}}
/* Longer labels (English) wrap instead of ending in "…": a card never hides its words or unit. */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] div, [data-testid="stMetricLabel"] p,
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important;}
[data-testid="stMetricValue"] {line-height: 1.15;}
[data-testid="stMetricValue"] {overflow-wrap: anywhere;}
h1 {font-size: 1.9rem !important;}
.ft-banner {border-radius: 6px; padding: 6px 12px; margin: 2px 0; font-size: 0.95rem;}
.ft-banner.sample {background: #fff4e5; border: 1px solid #f5a623; color: #7a4b00;}
.ft-banner.schematic {background: #eef4fb; border: 1px solid #7aa7d8; color: #1f4e7a;}
.ft-banner.open {background: #fdecea; border: 1px solid #e57373; color: #8a1c1c;}
.ft-asof {font-size: 0.9rem; color: #4a5563; margin: 2px 0 0 2px;}
/* The watermark: above everything on the page (maps' iframes included), below the top bar,
   and never in the way of a click. */
.ft-watermark {position: fixed; inset: 0; z-index: 999; pointer-events: none; background-repeat: repeat;}
.st-key-ft_cookie, .st-key-ft_map_ready {display: none;}
/* A finished background export's link, drawn as the primary download button it replaces. */
a.ft-export-link {display: inline-block; padding: 0.35rem 0.9rem; border-radius: 0.5rem; background: #c0392b;
                  color: #fff !important; text-decoration: none; font-weight: 600;}
a.ft-export-link:hover {background: #a93226;}
</style>"""


def lang() -> str:
    """The session's language: ``zh`` (default) or ``en``."""
    return st.session_state.get(state.LANG_CHOICE) or "zh"


def t(key: str, **values: object) -> str:
    """``i18n.t`` in the session's language."""
    return i18n.t(key, lang(), **values)


def setup_page() -> None:
    """Styles and the language switch; call once per run, before the pages."""
    st.markdown(_CSS, unsafe_allow_html=True)
    if state.LANG_CHOICE not in st.session_state:
        st.session_state[state.LANG_CHOICE] = "en" if st.query_params.get("lang") == "en" else "zh"
    keep_lang_in_url()


def keep_lang_in_url() -> None:
    """``?lang=en`` in the address while English is chosen (and no ``lang`` in Chinese), so a link
    copied from the address bar opens in the language it was copied in."""
    if lang() == "en":
        if st.query_params.get("lang") != "en":
            st.query_params["lang"] = "en"
    elif "lang" in st.query_params:
        del st.query_params["lang"]


def link_params(**params: str) -> dict[str, str]:
    """``params`` for a link or ``st.switch_page`` to another page, with the language kept."""
    return {**params, "lang": "en"} if lang() == "en" else dict(params)


def _resendable(value: object) -> bool:
    """A widget value that names options by code (str, or a list of str), or none."""
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, str) for v in value)
    return value is None or isinstance(value, str)


def _remember_lang() -> None:
    """The switch was used: keep its choice (deselecting the current language means Chinese).

    The browser keeps a choice widget's selection as the option's text, which the language
    just changed: every such widget's value (a code) is set again, so the page re-sends it
    in the new language instead of showing nothing (or the old language) selected.
    """
    st.session_state[state.LANG_CHOICE] = st.session_state.get(state.LANG_WIDGET) or "zh"
    for key in list(st.session_state.keys()):
        if not isinstance(key, str) or key.startswith("_") or key == state.LANG_WIDGET:
            continue
        try:
            value = st.session_state[key]
        except (KeyError, StreamlitAPIException):
            continue
        if _resendable(value):
            try:
                st.session_state[key] = value
            except StreamlitAPIException:  # a widget whose value cannot be set (a button)
                pass


def banner(kind: str, text: str) -> None:
    """A coloured one-line banner (``sample``, ``schematic``, ``open``); ``text`` is escaped."""
    st.markdown(f'<div class="ft-banner {kind}" data-banner="{kind}">{html.escape(text)}</div>',
                unsafe_allow_html=True)


def honesty_banners() -> None:
    """The banners every page shows: sample data, schematic geometry, open access."""
    if data.settings().open_access:
        banner("open", "⚠ " + t("banner_open"))
    if data.is_sample():
        banner("sample", _with_zh_tag("banner_sample_tag", t("banner_sample")))
    if data.schematic_layers():
        banner("schematic", _with_zh_tag("banner_schematic_tag", t("banner_schematic")))
    data_as_of()


def data_as_of() -> None:
    """"数据截至 <date time>": how fresh the figures are, from the build report's ``built_at``."""
    stamp = data.built_at()
    text = t("data_as_of", time=stamp.strftime("%Y-%m-%d %H:%M")) if stamp is not None else t("data_as_of_unknown")
    when = html.escape(stamp.isoformat()) if stamp is not None else ""
    st.markdown(f'<div class="ft-asof" data-testid="ft-built-at" data-built-at="{when}">{html.escape(text)}</div>',
                unsafe_allow_html=True)


def _with_zh_tag(tag_key: str, text: str) -> str:
    """``text``, led in English by its short Chinese tag: the banners must read as such to any viewer."""
    return f"{i18n.t(tag_key, 'zh')} · {text}" if lang() == "en" else text


def kpi_row(items: Sequence[tuple], columns: int | None = None, sparklines: bool = True) -> None:
    """Large KPI cards: (label, value, help) per card, or (label, value, help, figure) where
    ``figure`` (:class:`dashboard.briefing.change.Figure`) adds its 环比 as the card's arrow and
    number (coloured by whether the move is good for this metric), its 同比 under it, and its
    recent series as a sparkline (``sparklines`` False: none; they need Streamlit's chart bundle,
    which a new session's map page loads only once its map is drawn, :mod:`dashboard.web.defer`);
    a missing or too small baseline is said, not compared."""
    cols = st.columns(columns or len(items))
    for i, item in enumerate(items):
        label, value, help_text = item[:3]
        figure = item[3] if len(item) > 3 else None
        with cols[i % len(cols)]:
            if figure is None:
                st.metric(label, value, help=help_text)
                continue
            _change_card(label, value, help_text, figure, sparklines)


def _change_card(label: str, value: str, help_text: str | None, figure: change.Figure, sparkline: bool = True) -> None:
    code = lang()
    mom, yoy = figure.mom, figure.yoy
    better = METRICS[figure.metric].higher_is_better if figure.metric in METRICS else True
    spark = list(figure.spark) if sparkline and len(figure.spark) >= 3 else None
    base = {c.kind: metric_value(figure.metric, c.baseline) for c in (mom, yoy) if c is not None}
    tip = change.compared_what(figure, code, value, base)
    flat = mom is not None and mom.shown and change.arrow(mom) == "→"   # no move: grey, no arrow
    st.metric(label, value, delta=change.delta_text(mom, code) or None,
              delta_color="off" if flat else "normal" if better else "inverse", delta_arrow="off" if flat else "auto", delta_description=t("ch_mom") if mom and mom.shown
              else None, help=(help_text + "\n\n" + tip) if help_text else tip, chart_data=spark, chart_type="line")
    lines = []
    for c in (mom, yoy):
        if c is None or (c is mom and c.shown):
            continue
        flat = c.shown and change.arrow(c) == "→"
        colour = "#5f6b7a" if not c.shown or flat or c.good is None else ("#1a7f37" if c.good else "#c62828")
        lines.append(f'<span style="color:{colour}" data-kind="{c.kind}" data-good="{c.good}">'
                     f'{html.escape(change.change_line(c, code))}</span>')
    if lines:
        st.markdown(f'<div class="ft-change" data-testid="ft-change" data-metric="{html.escape(figure.metric)}" '
                    f'style="font-size:0.8rem;margin-top:-0.6rem">{" · ".join(lines)}</div>', unsafe_allow_html=True)


def period_picker(months: Sequence[str], where=None) -> str | None:  # noqa: ANN001 - a Streamlit container
    """The month whose dated figures a page shows: ``?period=YYYY-MM`` in the URL (a shared link
    opens the same month), the latest month with data by default. None when no month has data.
    The URL is the state: a URL this page did not write (a link, back, a typed address) seeds
    the picker; the picker's choice is written back. The widget keeps one key whatever month it
    shows, so a choice made in a fragment's rerun is never lost to a widget made anew."""
    url = st.query_params.get("period")
    chosen = change.pick_period(url, months)
    if chosen is None:
        return None
    newest_first = list(reversed(months))
    current = st.session_state.get(state.PERIOD)
    want = current if current in newest_first and url == st.session_state.get(state.PERIOD_URL) else chosen
    if want != current and state.PERIOD in st.session_state:
        del st.session_state[state.PERIOD]   # the URL moved on: the picker starts from it
    period = (where or st).selectbox(t("ch_period"), newest_first, index=newest_first.index(want), key=state.PERIOD,
                                     help=t("ch_period_help"))
    if url != period:
        st.query_params["period"] = period
    st.session_state[state.PERIOD_URL] = period
    return period


def area_figures(level: str, key: str | None, period: str | None, values: Mapping[str, object],
                 denominator_row: Mapping[str, object] | None = None) -> dict[str, change.Figure]:
    """:func:`dashboard.briefing.change.area_figures` on this build's tables."""
    return change.area_figures(data.hotline_monthly(), data.stats_history(), level, key, period, values,
                               denominator_row, data.rate_policy(), data.as_of())


def kpi_with_change(figure: change.Figure, extra: str | None = None) -> tuple:
    """One KPI card with its changes, for :func:`kpi_row`."""
    label, value, help_text = kpi(figure.metric, figure.value, extra)
    return label, value, help_text, figure


def basemap() -> Basemap:
    """The configured basemap."""
    s = data.settings()
    return basemap_for(s.basemap, s.tianditu_key)


def basemap_note(bm: Basemap) -> str | None:
    """The note the map must carry for this basemap (the GCJ-02 shift for Amap)."""
    return t("amap_note") if bm.display_crs == "gcj02" else None


def clicked_properties(result: object) -> dict:
    """The properties of the feature last clicked on an ``st_folium`` map ({} when none).

    streamlit-folium returns a dict; only ``last_active_drawing`` (a GeoJSON feature) is used.
    """
    if not isinstance(result, dict):
        return {}
    feature = result.get("last_active_drawing")
    if not isinstance(feature, dict):
        return {}
    props = feature.get("properties")
    return props if isinstance(props, dict) else {}


def page_title(key: str) -> None:
    """The page heading (app title and page name) with the language switch and, once signed in,
    the account menu (name, role, logout) beside it."""

    viewer = sessions.current_viewer()
    left, right, account = st.columns([5, 1, 1] if viewer.signed_in and not viewer.display else [5, 1, 0.01], vertical_alignment="center")
    left.markdown(f"### {t('app_title')} · {t(key)}")
    # Seeded on every page: the widget's own state is dropped when another page's switch replaces it.
    st.session_state[state.LANG_WIDGET] = lang()
    right.segmented_control(i18n.t("language"), i18n.LANGS, key=state.LANG_WIDGET, label_visibility="collapsed",
                            on_change=_remember_lang, format_func=lambda code: i18n.LANG_NAMES[code])
    with account:
        account_menu(viewer)
    scope_note()


def metric_label(metric: str, code: str | None = None) -> str:
    """The label of an indicator (:func:`dashboard.briefing.figures.metric_label`, with this
    build's 12345 rate policy). ``code`` fixes the language, for widget ``format_func``s that
    may run outside a page run: only the 12345 rate's label asks the store (for its unit)."""
    policy = data.rate_policy() if metric == "hotline_rate" else figures.NO_RATE_POLICY
    return figures.metric_label(metric, code or lang(), policy)


def metric_help(metric: str) -> str:
    """The indicator's definition, one hover away (the ? beside each KPI)."""
    if metric == "hotline_rate":
        return t("rate_note") if data.rate_policy().per_10k else t("density_note")
    if metric == "coverage":
        return t("h_coverage", m=f"{coverage_m():,.0f}")
    return t(f"h_{metric}")


def coverage_m() -> float:
    """The coverage distance this build used (metres, straight line)."""
    stats = data.zone_stats()
    return float(stats["coverage_m"].iloc[0]) if len(stats) and "coverage_m" in stats else 1000.0


def metric_value(metric: str, value: object) -> str:
    """An indicator's value in the session's language: the one formatter every page, slide and
    brief uses (:func:`dashboard.briefing.figures.metric_text`)."""
    return figures.metric_text(metric, value, lang(), data.rate_policy())


def kpi(metric: str, value: object, extra: str | None = None) -> tuple[str, str, str]:
    """One KPI card (label, value, definition) for :func:`kpi_row`."""
    help_text = metric_help(metric)
    return metric_label(metric), metric_value(metric, value), f"{help_text}\n\n{extra}" if extra else help_text


def watermark(viewer: access.Viewer, when: datetime | None = None) -> None:
    """The signed-in user's name and the time, faint and repeated across the whole page (maps
    included): a screenshot that leaks says whose it was. Nothing for the ``open`` viewer."""
    if not viewer.signed_in:
        return
    who = t("display_watermark", label=viewer.display) if viewer.display else viewer.name
    label = f"{who} · {(when or datetime.now()).strftime('%Y-%m-%d %H:%M')}"
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="420" height="250">'
           '<text x="210" y="125" text-anchor="middle" transform="rotate(-22 210 125)" '
           "font-family=\"'Noto Sans CJK SC','Microsoft YaHei',sans-serif\" font-size=\"18\" "
           f'fill="#1d2b3a" fill-opacity="0.13">{xml_escape(label)}</text></svg>')
    url = "data:image/svg+xml;charset=utf-8," + quote(svg, safe="")
    st.markdown(f'<div class="ft-watermark" data-testid="ft-watermark" aria-hidden="true" '
                f'data-user="{html.escape(viewer.name)}" data-label="{html.escape(label)}" '
                + (f'data-display="{html.escape(viewer.display)}" ' if viewer.display else '')
                + f'style="background-image: url(&quot;{url}&quot;);"></div>', unsafe_allow_html=True)


def page_refused(title_key: str, viewer: access.Viewer) -> None:
    """What a page says to a role that may not open it: its title and why, nothing of the data."""
    page_title(title_key)
    st.error(t("page_refused", role=i18n.role_label(viewer.role, lang())))


def scope_label(scope) -> str:  # noqa: ANN001 - dashboard.security.scope.Scope
    """A scope for people: ``太平桥街道、功能区 lize`` (zones by name where known)."""
    names = dict(zip(data.layer("zones")["zone_id"], data.layer("zones")["name" if lang() != "en" else "name_en"],
                     strict=False))
    parts = [*sorted(scope.streets), *(str(names.get(z) or z) for z in sorted(scope.zones))]
    return i18n.list_sep(lang()).join(parts)


def scope_refused(area: str, page: str, key: str) -> None:
    """A request for an area outside the viewer's scope (a forged ``?zone=``, a shared link):
    refused, with why, and audited; nothing of that area is read."""
    viewer = sessions.current_viewer()
    scope = data.current_scope()
    sessions.record_once(data.settings(), ("scope_refused", page, key), audit.Entry(
        "scope_refused", user=viewer.name, role=viewer.role, page=page, detail=f"{key} not in {scope.label()}",
        client=sessions.client_address()))
    st.error(t("scope_refused", area=area, scope=scope_label(scope)))


def scope_note() -> None:
    """Under a scoped viewer's page title: which areas they see."""
    scope = data.current_scope()
    if not scope.whole:
        st.caption(t("scope_note", scope=scope_label(scope)))


def download_refused(layer: str) -> None:
    """What the downloads page says when a layer is asked for that this role may not take."""
    st.error(t("download_refused", layer=i18n.enum_label("layer", layer, lang()) + f" ({layer})",
               role=i18n.role_label(sessions.current_viewer().role, lang())))


def export_info(*, layer: str, filters: Mapping[str, object] | None, fmt: str, crs: str | None, rows: int,
                personal: str) -> ExportInfo:
    """The metadata a downloaded file carries (who, when, what, masked or not)."""
    viewer = sessions.current_viewer()
    scope = data.current_scope()
    if not scope.whole:   # the file and its audit entry say which areas it was cut to
        filters = {**(filters or {}), "scope": scope.label()}
    return ExportInfo(user=viewer.name, role=viewer.role or "-", layer=layer, filters=audit.filters_text(filters),
                      fmt=fmt, crs=crs, rows=rows, personal_data=personal)


def audited_download(produce: Callable[[ExportInfo], bytes], info: ExportInfo, page: str) -> Callable[[], bytes]:
    """``st.download_button``'s ``data``: the file, made when clicked and served only once the
    audit log has it (:func:`dashboard.security.audit.served_after_record`; while no sign-in is
    configured a download is recorded when it can be, and served either way, as before)."""
    settings = data.settings()
    return audit.served_after_record(sessions.audit_log(settings), info, page, sessions.client_address(), produce,
                                     required=settings.sign_in_required)


def account_menu(viewer: access.Viewer) -> None:
    """Who is signed in, with which role, and the logout button (not for a proxy's sign-in, nor
    a display link: a wall screen has no account)."""
    if not viewer.signed_in or viewer.display:
        return
    with st.popover(viewer.name, icon=":material/account_circle:", width="stretch"):
        st.markdown(f"**{viewer.name}** · {i18n.role_label(viewer.role, lang())}"
                    + (" · pii" if viewer.can_see_personal_data() else ""))
        if st.session_state.get(sessions.SESSION_VIA) == "header":
            st.caption(t("signed_in_by_proxy"))
        else:
            st.button(t("signout"), key=sessions.SIGNOUT_BUTTON, on_click=sessions.sign_out, args=(data.settings(),), icon=":material/logout:")
