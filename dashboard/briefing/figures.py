"""The meeting's figures, pure: slide order and navigation, the headline, the KPIs as text and
the slides' content. No Streamlit and no map here: the slide HTML is :mod:`dashboard.web.slides`,
the map that follows the slides :mod:`dashboard.maps.meeting`, the page
``dashboard/screens/meeting.py``; the PDF briefs (:mod:`dashboard.briefing.pdf`) use the same text.

The figures are the build's (``zone_stats`` joined by :func:`dashboard.store.queries.zone_table`,
district figures by :func:`dashboard.store.queries.district_totals`), written by the one
formatter here (:func:`metric_label`, :func:`metric_text`), which the KPI cards of every page
use too, so a slide, a brief and the zone page say the same number.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard import i18n
from dashboard.store.queries import KPI_ROW_1, KPI_ROW_2, METRICS, HotlineRate, zone_colour, zone_name
from loaders.schema import STATUS_LABELS

OVERVIEW = "all"              # the overview slide's key: ``?zone=all``, ``--zone all``
CHANGES = "changes"           # the opening 本月变化 slide's key (``?zone=changes``), when the store has a ranking
MIN_AUTO_S = 2.0              # ``?auto=`` below this is raised to it (a slide must be readable)
MAX_AUTO_S = 3600.0
DEFAULT_AUTO_S = 30.0         # what "play" uses when the URL names no interval
OVERVIEW_COLOUR = "#c0392b"   # the app's primary colour (.streamlit/config.toml)
STATUS_ORDER: tuple[str, ...] = tuple(STATUS_LABELS)          # reserve, under_construction, completed
COMPARE_METRICS: tuple[str, ...] = ("projects", "investment", "response_rate", "projects_delayed")
NO_RATE_POLICY = HotlineRate("per_km2")   # for figures other than the 12345 rate, which do not depend on it
_UNITS = {"projects": "unit_projects", "enterprises": "unit_enterprises", "service_package": "unit_enterprises",
          "stations": "unit_stations", "projects_delayed": "unit_projects"}


# ---------------------------------------------------------------- order and navigation
def slide_order(zone_ids: Sequence[str], changes: bool = False) -> tuple[str, ...]:
    """The overview first, then the zones as given (pass them in "4+4" order: ``zone_table``'s index);
    with ``changes`` (the store ranks streets or raised warnings) the 本月变化 slide opens the list."""
    lead = (CHANGES, OVERVIEW) if changes else (OVERVIEW,)
    return (*lead, *[z for z in zone_ids if z not in lead])


def resolve_slide(order: Sequence[str], requested: str | None) -> str:
    """The slide named by ``?zone=``, or the first one when it names none we know."""
    return requested if requested in order else order[0]


def step(order: Sequence[str], current: str, delta: int) -> str:
    """The slide ``delta`` places from ``current``, wrapping round (a playlist never ends)."""
    index = order.index(current) if current in order else 0
    return order[(index + delta) % len(order)]


def parse_auto(value: object) -> float | None:
    """``?auto=<seconds>`` as a number of seconds in [2, 3600], or None when absent or not a number."""
    try:
        seconds = float(str(value).strip()) if value not in (None, "") else math.nan
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return min(max(seconds, MIN_AUTO_S), MAX_AUTO_S)


def due(playing: bool, interval: float | None, shown_at: float, now: float) -> bool:
    """True when a playing playlist has shown the current slide for its interval (a quarter
    second early is on time: the timer that wakes the page is not exact)."""
    return bool(playing and interval and now - shown_at >= interval - 0.25)


# ---------------------------------------------------------------- figures as text
def metric_label(metric: str, lang: str, policy: HotlineRate) -> str:
    """The indicator's label, as the KPI cards write it (the 12345 rate's unit follows ``policy``)."""
    if metric == "hotline_rate":
        return i18n.t("m_hotline_rate" if policy.per_10k else "m_hotline_density", lang)
    return i18n.t(f"m_{metric}", lang)


def metric_text(metric: str, value: object, lang: str, policy: HotlineRate) -> str:
    """The indicator's value, as the KPI cards write it (``dashboard.web.ui.metric_value``, without a session)."""
    kind = METRICS[metric].kind
    value = _number(value)
    if kind == "yi":
        return i18n.fmt_yi(value, lang)
    if kind == "share":
        return i18n.fmt_pct(value, lang)
    if kind == "rate":
        return i18n.fmt_rate(value, lang) if policy.per_10k else i18n.fmt_density(value, lang)
    unit = _UNITS.get(metric)
    return i18n.fmt_int(value, lang, i18n.t(unit, lang) if unit else "")


def _number(value: object) -> float | None:
    """A plain float, or None for anything missing (NaN, pd.NA, None, text)."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def zone_figures(row: Mapping[str, object]) -> dict[str, float | None]:
    """Every indicator of one ``zone_table`` row (metric key -> value) plus ``status_<code>`` counts."""
    out = {key: _number(row.get(spec.column)) for key, spec in METRICS.items()}
    out |= {f"status_{s}": _number(row.get(f"status_{s}")) for s in STATUS_ORDER}
    return out


def district_figures(totals: Mapping[str, float], street_stats: pd.DataFrame) -> dict[str, float | None]:
    """The district's indicators (:func:`dashboard.store.queries.district_totals`) plus ``status_<code>``
    counts summed over the streets (every project counts for its one street)."""
    out = {key: _number(totals.get(key)) for key in METRICS}
    for status in STATUS_ORDER:
        column = f"status_{status}"
        out[column] = float(street_stats[column].sum()) if column in street_stats else None
    return out


def headline(figures: Mapping[str, float | None], lang: str, district: bool = False, month: str | None = None) -> str:
    """One line from the figures: projects (under way), total investment; behind plan; 12345 response.

    E.g. ``重大项目 43 个（在建 18 个），总投资 802.6 亿元；10 个滞后于计划；12345 响应率 98.6%``.
    Figures are written exactly as the KPI cards write them. With ``month`` the response rate
    is that month's (``figures`` then carry it) and the line says so.
    """
    policy = NO_RATE_POLICY  # no rate-policy figure in the headline
    projects = figures.get("projects")
    parts = []
    if projects:
        parts.append(i18n.t("hl_projects", lang, n=metric_text("projects", projects, lang, policy),
                       uc=i18n.fmt_int(figures.get("status_under_construction") or 0, lang),
                       inv=metric_text("investment", figures.get("investment"), lang, policy)))
        delayed = figures.get("projects_delayed")
        if delayed is not None:
            parts.append(i18n.t("hl_delayed", lang, n=i18n.fmt_int(delayed, lang)) if delayed else i18n.t("hl_on_plan", lang))
    else:
        parts.append(i18n.t("hl_no_projects", lang))
    if figures.get("response_rate") is not None:
        rate = metric_text("response_rate", figures["response_rate"], lang, policy)
        parts.append(i18n.t("hl_response_month", lang, rate=rate, month=month) if month
                     else i18n.t("hl_response", lang, rate=rate))
    text = i18n.t("hl_sep", lang).join(parts)
    return i18n.t("hl_district", lang) + text if district else text


# ---------------------------------------------------------------- slides
@dataclass(frozen=True)
class Kpi:
    """One KPI as shown: the metric key, its label, its value text and an optional note under it."""

    metric: str
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Slide:
    """What one slide says: key (``all`` or a zone_id), title, kind, identity colour, headline,
    KPIs, its 1-based number and the number of slides."""

    key: str
    title: str
    kind: str
    colour: str
    headline: str
    kpis: tuple[Kpi, ...]
    number: int
    total: int


def status_note(figures: Mapping[str, float | None], lang: str) -> str:
    """``在建 18 · 储备 14 · 建成 11`` (empty when the counts are unknown)."""
    counts = [figures.get(f"status_{s}") for s in ("under_construction", "reserve", "completed")]
    if any(c is None for c in counts):
        return ""
    uc, rs, cp = (i18n.fmt_int(c, lang) for c in counts)
    return i18n.t("mt_status_line", lang, uc=uc, rs=rs, cp=cp)


def kpis(figures: Mapping[str, float | None], metrics: Sequence[str], lang: str, policy: HotlineRate) -> tuple[Kpi, ...]:
    """The KPIs of ``metrics`` (keys of :data:`dashboard.store.queries.METRICS`), labelled and written."""
    return tuple(Kpi(m, metric_label(m, lang, policy), metric_text(m, figures.get(m), lang, policy),
                     status_note(figures, lang) if m == "projects" else "") for m in metrics)


def needs_line(row: Mapping[str, object], lang: str) -> str:
    """The zone slide's 企业诉求 line from its ``zone_stats`` figures (open, overdue and the
    limit, closure and satisfaction rates); empty when the zone has no enterprise need."""
    total = row.get("needs")
    if total is None or pd.isna(total) or float(total) <= 0:
        return ""
    limit = row.get("needs_overdue_days")
    days = f"{float(limit):g}" if limit is not None and pd.notna(limit) else "30"
    return i18n.t("mt_needs_line", lang, open=i18n.fmt_int(row.get("needs_open"), lang),
                  overdue=i18n.fmt_int(row.get("needs_overdue"), lang), days=days,
                  rate=i18n.fmt_pct(row.get("needs_closure_rate"), lang),
                  sat=i18n.fmt_pct(row.get("needs_satisfaction_rate"), lang))


def build_slide(key: str, order: Sequence[str], zones: pd.DataFrame, district: Mapping[str, float | None],
                lang: str, policy: HotlineRate) -> Slide:
    """The slide ``key``: the overview (district figures, the first KPI row) or one zone (both rows).

    ``zones`` is :func:`dashboard.store.queries.zone_table`'s frame; ``district`` is
    :func:`district_figures`' dict.
    """
    number, total = order.index(key) + 1, len(order)
    if key == CHANGES:   # its body is the month's summary (dashboard.web.slides.changes_html)
        return Slide(CHANGES, i18n.t("mt_change_title", lang), i18n.t("mt_change_kind", lang), OVERVIEW_COLOUR,
                     "", (), number, total)
    if key == OVERVIEW:
        return Slide(OVERVIEW, i18n.t("mt_overview_title", lang), i18n.t("mt_overview_kind", lang), OVERVIEW_COLOUR,
                     headline(district, lang, district=True), kpis(district, KPI_ROW_1, lang, policy), number, total)
    row = zones.loc[key]
    figures = zone_figures(row)
    kind = i18n.enum_label("zone_kind", row.get("kind"), lang) if isinstance(row.get("kind"), str) else ""
    return Slide(key, zone_name(zones, key, lang), kind, str(row.get("colour") or zone_colour(key)),
                 headline(figures, lang), kpis(figures, (*KPI_ROW_1, *KPI_ROW_2), lang, policy), number, total)


def comparison(zones: pd.DataFrame, metrics: Sequence[str], lang: str, policy: HotlineRate) -> list[dict[str, str]]:
    """One row per zone ("4+4" order, as ``zones`` is): number, zone_id, name, colour and each
    metric's text, for the overview slide's table and the deck's cover."""
    rows = []
    for number, zone_id in enumerate(zones.index, start=1):
        figures = zone_figures(zones.loc[zone_id])
        row = {"number": str(number), "zone_id": str(zone_id), "name": zone_name(zones, zone_id, lang),
               "colour": str(zones.loc[zone_id].get("colour") or zone_colour(zone_id))}
        row |= {m: metric_text(m, figures.get(m), lang, policy) for m in metrics}
        rows.append(row)
    return rows
