"""Change over time, pure: a period's dated figures, their 环比 (against the previous month) and
同比 (against the same month a year earlier), stock figures against earlier builds, and the
series a sparkline draws. No Streamlit here: the KPI cards, the meeting's slides and the brief
all ask this module, so they say the same change.

Honest comparison: a change is shown only where the baseline exists and is big enough to mean
something, else the reason is said instead (:attr:`Change.why`):

- a 12345 rate (response, resolution, satisfaction) needs at least :data:`MIN_RATE_CASES`
  cases carrying the field in *both* months; its change is in percentage points;
- a count (cases, projects, enterprises, ...) needs a baseline of at least
  :data:`MIN_COUNT_BASE`; its change is relative (+12.5 %);
- a stock figure (investment, projects delayed) is compared with the build closest to one month
  (:data:`MONTH_WINDOW` days) or one year (:data:`YEAR_WINDOW`) before this build's ``as_of``
  in ``stats_history``; no such build, no comparison.

Whether a change is good depends on the metric (more satisfaction is good, more delays bad):
``higher_is_better`` of :data:`dashboard.store.queries.METRICS`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard import i18n
from dashboard.store.queries import METRICS, HotlineRate

MIN_RATE_CASES = 30
MIN_COUNT_BASE = 10
MONTH_WINDOW = (20, 45)     # days before as_of: a build that counts as "last month's"
YEAR_WINDOW = (330, 400)    # days before as_of: "last year's"
SPARK_MONTHS = 12
# The period's figures: what a month of 12345 cases says (KPI metric -> what decides it)
DATED_METRICS: tuple[str, ...] = ("hotline_rate", "response_rate", "resolution_rate", "satisfaction_rate")
_FLAGS = {"response_rate": "responded", "resolution_rate": "resolved", "satisfaction_rate": "satisfied"}
_COUNTS = ("cases", "responded_true", "responded_known", "resolved_true", "resolved_known",
           "satisfied_true", "satisfied_known")


@dataclass(frozen=True)
class Change:
    """One comparison: ``kind`` ``mom`` (环比) or ``yoy`` (同比); ``delta`` relative (a count, a
    per-resident rate) or in percentage points (a share, ``points``); ``good`` whether the move is
    good for this metric; ``against`` the baseline's period; ``why`` the reason when nothing is
    compared (``no_baseline``, ``small_baseline``), with the baseline's size in ``base_n``."""

    kind: str
    value: float | None
    baseline: float | None
    against: str
    delta: float | None = None
    points: bool = False
    good: bool | None = None
    why: str | None = None
    base_n: float | None = None

    @property
    def shown(self) -> bool:
        return self.why is None and self.delta is not None


@dataclass(frozen=True)
class Figure:
    """A KPI's value for the page with its 环比, 同比 and recent series (oldest first)."""

    metric: str
    value: object
    mom: Change | None = None
    yoy: Change | None = None
    spark: tuple[float, ...] = ()
    period: str = ""           # "2026-10" for a dated figure, "" for a stock one
    as_of: str = ""            # the build's date for a stock figure


# ---------------------------------------------------------------- months
def month_key(value: object) -> str:
    """``YYYY-MM`` of a date, timestamp or text."""
    return pd.Timestamp(value).strftime("%Y-%m")


def shift(month: str, months: int) -> str:
    return (pd.Period(month, freq="M") + months).strftime("%Y-%m")


def months_available(monthly: pd.DataFrame) -> list[str]:
    """The months ``hotline_monthly`` holds, oldest first."""
    if monthly.empty or "month" not in monthly:
        return []
    return sorted({month_key(m) for m in pd.to_datetime(monthly["month"]).dropna().unique()})


def pick_period(requested: object, months: Sequence[str]) -> str | None:
    """The period shown: the requested ``YYYY-MM`` if the data hold it, else the latest month."""
    if not months:
        return None
    if isinstance(requested, str):
        try:
            key = month_key(requested + "-01" if len(requested) == 7 else requested)
        except ValueError:
            key = None
        if key in months:
            return key
    return months[-1]


def area_months(monthly: pd.DataFrame, level: str, keys: Sequence[str] | None) -> pd.DataFrame:
    """One area's monthly counts (``hotline_monthly`` summed over categories, and over ``keys``:
    ``None`` means every street, the district), indexed by ``YYYY-MM``."""
    every = months_available(monthly)   # a month of the data with no case here is a month of 0 cases
    rows = monthly[monthly["level"] == level]
    if keys is not None:
        rows = rows[rows["key"].isin(list(keys))]
    if rows.empty:
        return pd.DataFrame(0.0, index=pd.Index(every), columns=list(_COUNTS))
    cases = "cases_estimate" if "cases_estimate" in rows.columns else "cases"
    frame = rows.assign(_m=pd.to_datetime(rows["month"]).dt.strftime("%Y-%m"), cases=rows[cases])
    return frame.groupby("_m")[list(_COUNTS)].sum().reindex(every, fill_value=0).sort_index()


def _month_value(months: pd.DataFrame, month: str, metric: str, denominator: float | None) -> tuple[float | None,
                                                                                                  float]:
    """(value, the count that decides whether it can be compared) of ``metric`` in ``month``."""
    if month not in months.index:
        return None, 0.0
    row = months.loc[month]
    if metric == "cases":
        return float(row["cases"]), float(row["cases"])
    if metric == "hotline_rate":
        cases = float(row["cases"])
        return (cases / denominator if denominator else None), cases
    flag = _FLAGS[metric]
    known = float(row[f"{flag}_known"])
    return (float(row[f"{flag}_true"]) / known if known else None), known


def compare(kind: str, metric: str, value: float | None, base: float | None, n_value: float, n_base: float,
            against: str) -> Change:
    """``value`` against ``base`` for ``metric``, with the sizes that decide whether to compare."""
    share = METRICS[metric].kind == "share" if metric in METRICS else False
    if base is None or value is None or (isinstance(base, float) and math.isnan(base)):
        return Change(kind, value, base, against, why="no_baseline", base_n=n_base)
    if share:
        if min(n_value, n_base) < MIN_RATE_CASES:
            return Change(kind, value, base, against, why="small_baseline", base_n=min(n_value, n_base))
        delta, points = (value - base) * 100, True
    else:
        if n_base < MIN_COUNT_BASE or base == 0:
            return Change(kind, value, base, against, why="small_baseline", base_n=n_base)
        delta, points = (value - base) / abs(base), False
    better = METRICS[metric].higher_is_better if metric in METRICS else True
    good = None if delta == 0 else (delta > 0) == better
    return Change(kind, value, base, against, delta=delta, points=points, good=good)


def dated_figure(months: pd.DataFrame, metric: str, period: str, denominator: float | None = None) -> Figure:
    """A 12345 figure for ``period`` with its 环比, 同比 and the last :data:`SPARK_MONTHS` months."""
    value, n = _month_value(months, period, metric, denominator)
    changes = {}
    for kind, back in (("mom", 1), ("yoy", 12)):
        before = shift(period, -back)
        base, n_base = _month_value(months, before, metric, denominator)
        changes[kind] = compare(kind, metric, value, base, n, n_base, before)
    spark = []
    for k in range(SPARK_MONTHS - 1, -1, -1):
        v, _ = _month_value(months, shift(period, -k), metric, denominator)
        if v is not None:
            spark.append(float(v))
    return Figure(metric, value, changes["mom"], changes["yoy"], tuple(spark), period=period)


def rate_denominator(policy: HotlineRate, population: float | None, area_km2: float | None) -> float | None:
    """What a month's cases are divided by for ``hotline_rate`` (per 10,000 residents or per km²)."""
    if policy.per_10k:
        return population / 1e4 if population and population > 0 else None
    return area_km2 if area_km2 and area_km2 > 0 else None


# ---------------------------------------------------------------- stock figures, build against build
def snapshots(history: pd.DataFrame, level: str, key: str | None) -> pd.DataFrame:
    """One area's rows of ``stats_history`` by ``as_of`` (``key`` None at street level: the
    district, summed over the streets), oldest first."""
    if history.empty or "as_of" not in history:
        return pd.DataFrame()
    rows = history[history["level"] == level]
    if key is not None:
        rows = rows[rows["key"] == key]
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(as_of=pd.to_datetime(rows["as_of"]))
    numeric = rows.select_dtypes("number").columns
    return rows.groupby("as_of")[list(numeric)].sum(min_count=1).sort_index()


def _snapshot_before(snaps: pd.DataFrame, as_of: pd.Timestamp, window: tuple[int, int]) -> pd.Series | None:
    if snaps.empty:
        return None
    age = (as_of - snaps.index).days
    inside = snaps[(age >= window[0]) & (age <= window[1])]
    if inside.empty:
        return None
    target = (window[0] + window[1]) / 2
    best = min(inside.index, key=lambda d: abs((as_of - d).days - target))
    return inside.loc[best]


def stock_figure(snaps: pd.DataFrame, metric: str, value: object, as_of: object) -> Figure:
    """A stock figure (as of this build) against the builds about a month and a year earlier."""
    column = METRICS[metric].column
    when = pd.Timestamp(as_of) if as_of is not None else None
    changes: dict[str, Change] = {}
    current = _number(value)
    for kind, window in (("mom", MONTH_WINDOW), ("yoy", YEAR_WINDOW)):
        row = _snapshot_before(snaps, when, window) if when is not None else None
        if row is None or column not in row.index:
            changes[kind] = Change(kind, current, None, "", why="no_baseline")
            continue
        base = _number(row[column])
        against = row.name.strftime("%Y-%m-%d")
        size = base if base is not None else 0.0
        changes[kind] = compare(kind, metric, current, base, MIN_RATE_CASES, MIN_RATE_CASES, against) \
            if METRICS[metric].kind == "share" else compare(kind, metric, current, base, size, size, against)
    spark = tuple(float(v) for v in snaps[column].dropna().tail(SPARK_MONTHS)) if column in snaps else ()
    return Figure(metric, value, changes["mom"], changes["yoy"], spark,
                  as_of=when.strftime("%Y-%m-%d") if when is not None else "")


def _number(value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


# ---------------------------------------------------------------- as text
def delta_text(change: Change | None, lang: str) -> str:
    """``+12.5%`` / ``-3.1 个百分点`` (empty when nothing is compared)."""
    if change is None or not change.shown:
        return ""
    if change.points:
        return i18n.t("ch_points", lang, d=f"{change.delta:+.1f}" if round(change.delta, 1) else "0.0")
    return f"{change.delta * 100:+.1f}%" if round(change.delta * 100, 1) else "0.0%"


def arrow(change: Change | None) -> str:
    """↑ / ↓, or → when the change rounds to nothing (as written: 0.0 % or 0.0 points)."""
    if change is None or not change.shown:
        return ""
    shown = round(change.delta, 1) if change.points else round(change.delta * 100, 1)
    return "→" if not shown else "↑" if change.delta > 0 else "↓"


def change_line(change: Change | None, lang: str) -> str:
    """``环比 ↑ +12.5%`` or ``环比：上月数据过少（8 件），不作比较``: what a card says under its value."""
    if change is None:
        return ""
    label = i18n.t(f"ch_{change.kind}", lang)
    if change.shown:
        return f"{label} {arrow(change)} {delta_text(change, lang)}"
    key = "ch_no_baseline" if change.why == "no_baseline" else "ch_small_baseline"
    return f"{label}：{i18n.t(key, lang, n=i18n.fmt_int(change.base_n or 0, lang))}" if lang != "en" else \
        f"{label}: {i18n.t(key, lang, n=i18n.fmt_int(change.base_n or 0, lang))}"


def compared_what(figure: Figure, lang: str, value_text: str, base_text: Mapping[str, str]) -> str:
    """The tooltip: what was compared with what (``base_text`` the baselines, written)."""
    lines = []
    for change in (figure.mom, figure.yoy):
        if change is None:
            continue
        if change.shown:
            lines.append(i18n.t("ch_tip", lang, kind=i18n.t(f"ch_{change.kind}", lang),
                                now=figure.period or figure.as_of, value=value_text, then=change.against,
                                base=base_text.get(change.kind, ""), delta=delta_text(change, lang)))
        else:
            lines.append(change_line(change, lang))
    return "\n\n".join(lines)


# ---------------------------------------------------------------- the meeting's and the brief's summary
@dataclass(frozen=True)
class Summary:
    """What changed this month, for the meeting's opening slide and the district deck: the
    ranking's top and bottom three (both groups), the biggest moves, the warnings (text, newest
    and most severe first)."""

    month: str
    top: tuple[tuple[str, int, float], ...]        # (street, rank, score)
    bottom: tuple[tuple[str, int, float], ...]
    moves: tuple[tuple[str, int], ...]             # (street, rank change), biggest first
    warnings: tuple[str, ...]
    warnings_total: int = 0                        # how many warnings the build raised (``warnings`` may be fewer)


def summary(ranking: pd.DataFrame, alerts: pd.DataFrame, names: Mapping[str, str], lang: str,
            month: str | None = None, n: int = 3, n_warnings: int | None = None) -> Summary | None:
    """The month's summary (the latest ranked month by default): ``n`` streets each way and
    ``n_warnings`` warnings (default ``n``); None without a ranking."""
    if ranking.empty:
        return None
    ranked = ranking.assign(_m=pd.to_datetime(ranking["month"]).dt.strftime("%Y-%m"))
    month = month if month in set(ranked["_m"]) else ranked["_m"].max()
    this = ranked[ranked["_m"] == month]
    pooled = this.assign(_share=this["rank"] / this.groupby("group")["rank"].transform("max"))
    best = this.sort_values(["rank", "score"], ascending=[True, False]).head(n)
    worst = pooled.sort_values(["_share", "score"], ascending=[False, True]).head(n)
    moved = this.dropna(subset=["rank_change"])
    moved = moved.reindex(moved["rank_change"].abs().sort_values(ascending=False).index).head(n)
    name = lambda s: names.get(s, s)  # noqa: E731
    texts: list[str] = []
    if not alerts.empty:
        ordered = alerts.assign(_high=alerts["severity"] == "high").sort_values(["_high", "period"],
                                                                               ascending=[False, False])
        column = "message_en" if lang == "en" else "message_zh"
        texts = [str(t) for t in ordered[column].head(n if n_warnings is None else n_warnings) if isinstance(t, str)]
    return Summary(month,
                   tuple((name(r.street), int(r.rank), float(r.score)) for r in best.itertuples()),
                   tuple((name(r.street), int(r.rank), float(r.score)) for r in worst.itertuples()),
                   tuple((name(r.street), int(r.rank_change)) for r in moved.itertuples() if int(r.rank_change)),
                   tuple(texts), int(len(alerts)))


def area_figures(monthly: pd.DataFrame, history: pd.DataFrame, level: str, key: str | None, period: str | None,
                 values: Mapping[str, object], denominator_row: Mapping[str, object] | None, policy: HotlineRate,
                 as_of: object) -> dict[str, Figure]:
    """Each KPI's :class:`Figure` for an area (``level`` ``zone`` with its zone_id, or the district
    with ``key`` None): the 12345 figures for ``period``, the stock figures as of ``as_of``, each
    with its 环比 and 同比. Pages, slides and briefs all use this."""
    out: dict[str, Figure] = {}
    if period is not None and not monthly.empty:
        months = area_months(monthly, "zone" if level == "zone" else "street", [key] if key else None)
        row = denominator_row if denominator_row is not None else {}
        denominator = rate_denominator(policy, _number(row.get("population")), _number(row.get("area_km2")))
        for metric in DATED_METRICS:
            out[metric] = dated_figure(months, metric, period, denominator)
    snaps = snapshots(history, level if key else "street", key)
    for metric in METRICS:
        if metric in out:
            continue
        if METRICS[metric].kind not in ("count", "yi") and key is None:
            out[metric] = Figure(metric, values.get(metric))   # a share is not a sum of streets
            continue
        out[metric] = stock_figure(snaps, metric, values.get(metric), as_of)
    return out


def short_changes(figure: Figure | None, lang: str) -> str:
    """``环比 +3.2% · 同比 −1.0%`` for a small box (only what can be compared)."""
    if figure is None:
        return ""
    parts = [f"{i18n.t(f'ch_{c.kind}', lang)} {arrow(c)}{delta_text(c, lang)}" for c in (figure.mom, figure.yoy)
             if c is not None and c.shown]
    return " · ".join(parts)
