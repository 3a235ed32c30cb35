"""Shared page furniture: language choice, banners, KPI cards, error display.

Everything a user provides is escaped before it reaches HTML; Streamlit's own widgets
(``st.metric``, ``st.dataframe``, ``st.markdown`` without ``unsafe_allow_html``) escape
by themselves.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

import streamlit as st

from dashboard import data, i18n
from dashboard.maps import Basemap, basemap_for

LANG_KEY = "lang"  # the language switch (a widget: Streamlit gives it a new id on every page)
_LANG_CHOICE = "_lang"  # the language chosen, kept here so it survives page changes

_CSS = """<style>
html, body, [class*="css"], .stApp {font-family: 'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif;}
.block-container {padding-top: 3.6rem; padding-bottom: 1rem; max-width: 100%;}
[data-testid="stMetric"] {background: #ffffff; border: 1px solid #dfe3e8; border-left: 6px solid #c0392b;
  border-radius: 8px; padding: 10px 14px 8px 14px;}
[data-testid="stMetricValue"] {font-size: 1.8rem; font-weight: 700; color: #1d2b3a;}
[data-testid="stMetricLabel"] p {font-size: 1.02rem; color: #4a5563;}
@media (max-width: 1600px) {[data-testid="stMetricValue"] {font-size: 1.45rem;}
  [data-testid="stMetricLabel"] p {font-size: 0.95rem;}}
h1 {font-size: 1.9rem !important;}
.ft-banner {border-radius: 6px; padding: 6px 12px; margin: 2px 0; font-size: 0.95rem;}
.ft-banner.sample {background: #fff4e5; border: 1px solid #f5a623; color: #7a4b00;}
.ft-banner.schematic {background: #eef4fb; border: 1px solid #7aa7d8; color: #1f4e7a;}
.ft-banner.open {background: #fdecea; border: 1px solid #e57373; color: #8a1c1c;}
.ft-asof {font-size: 0.9rem; color: #4a5563; margin: 2px 0 0 2px;}
</style>"""


def lang() -> str:
    """The session's language: ``zh`` (default) or ``en``."""
    return st.session_state.get(_LANG_CHOICE) or "zh"


def t(key: str, **values: object) -> str:
    """``i18n.t`` in the session's language."""
    return i18n.t(key, lang(), **values)


def setup_page() -> None:
    """Styles and the language switch; call once per run, before the pages."""
    st.markdown(_CSS, unsafe_allow_html=True)
    if _LANG_CHOICE not in st.session_state:
        st.session_state[_LANG_CHOICE] = "en" if st.query_params.get("lang") == "en" else "zh"


def _remember_lang() -> None:
    """The switch was used: keep its choice (deselecting the current language means Chinese)."""
    st.session_state[_LANG_CHOICE] = st.session_state.get(LANG_KEY) or "zh"


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


def kpi_row(items: Sequence[tuple[str, str, str | None]], columns: int | None = None) -> None:
    """Large KPI cards: (label, value, help) per card."""
    cols = st.columns(columns or len(items))
    for i, (label, value, help_text) in enumerate(items):
        with cols[i % len(cols)]:
            st.metric(label, value, help=help_text)


def basemap() -> Basemap:
    """The configured basemap."""
    s = data.settings()
    return basemap_for(s.basemap, s.tianditu_key)


def basemap_note(bm: Basemap) -> str | None:
    """The note the map must carry for this basemap (the GCJ-02 shift for Amap)."""
    return t("amap_note") if bm.display_crs == "gcj02" else None


def show_error(exc: Exception) -> None:
    """A user-fixable error, shown kindly (no traceback)."""
    st.error(str(exc))


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
    """The page heading (app title and page name) with the language switch beside it."""
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(f"### {t('app_title')} · {t(key)}")
    # Seeded on every page: the widget's own state is dropped when another page's switch replaces it.
    st.session_state[LANG_KEY] = lang()
    right.segmented_control(i18n.t("language"), i18n.LANGS, key=LANG_KEY, label_visibility="collapsed",
                            on_change=_remember_lang, format_func=lambda code: i18n.LANG_NAMES[code])


def metric_label(metric: str, code: str | None = None) -> str:
    """The label of an overview metric (the hotline rate's unit depends on the data).

    ``code`` fixes the language, for widget ``format_func``s that may run outside a page run.
    """
    code = code or lang()
    if metric == "hotline_rate":
        key = "m_hotline_rate" if data.hotline_rate_unit() == "per_10k" else "m_hotline_density"
        return i18n.t(key, code)
    return i18n.t(f"m_{metric}", code)


def metric_value(metric: str, value: object) -> str:
    """A metric's value formatted for the session's language."""
    code = lang()
    if metric == "investment":
        return i18n.fmt_yi(value, code)
    if metric == "hotline_rate":
        if data.hotline_rate_unit() == "per_10k":
            return i18n.fmt_rate(value, code)
        return i18n.fmt_density(value, code)
    unit = {"projects": "unit_projects", "enterprises": "unit_enterprises", "service_package": "unit_enterprises",
            "stations": "unit_stations", "hotline": "unit_cases"}.get(metric)
    return i18n.fmt_int(value, code, t(unit) if unit else "")
