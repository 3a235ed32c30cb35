"""Change over time: the stats history, the monthly 接诉即办 street ranking and the build's alerts.

Frames in, new frames out (``shared/spec/data-contract.md``, "Periods, rankings and
warnings"); reading the previous build from the store is :mod:`loaders.history`'s, writing
is the build's. Everything is grouped sums over the monthly table or one row per zone,
street or project: no loop over cases.

**History** (``stats_history``). Each build adds its ``zone_stats`` and ``street_stats``
rows with ``as_of``, ``level`` (zone / street) and ``key`` (zone_id / street name) to the
rows the store already held (:func:`merge_history`); a build with the same ``as_of``
replaces that day's rows. Nothing is ever dropped on its own: one row per zone and street
per build day, 34 rows a day with the bundled boundaries (8 zones, 26 streets), about 12,000
rows a year. ``python -m loaders history --drop DAY`` removes a wrong day.

**Ranking** (``street_ranking``, :func:`street_ranking`). One row per month and street with
cases, from the 12345 cases' ``received_at``; the three rates are shares of that month's
cases carrying the field; ``score`` is their weighted mean × 100 over the rates present;
streets (街道) and towns (镇) are ranked apart, as Beijing publishes them.

**Alerts** (``alerts``). Five rules, thresholds from ``loaders/alert_rules.toml`` (or a
file of one's own, :func:`load_alert_rules`); each rule has a minimum below which it stays
silent, so small numbers never alert:

- ``hotline_surge`` (:func:`hotline_surge`): per (street, category) and (community,
  category), the latest month with data against the mean of the previous three months.
- ``rate_drop`` (:func:`rate_drop`): a street's response, resolution or satisfaction rate
  falling from the month before to the latest month.
- ``project_newly_delayed`` (:func:`project_newly_delayed`): delayed now, not delayed in the
  previous build of the same store.
- ``investment_behind`` (:func:`investment_behind`): a zone's investment done this year
  against the elapsed share of its annual plan.
- ``needs_overdue_growing`` (:func:`needs_overdue_growing`): a zone's overdue
  enterprise needs at month-end grew two months running.

"The latest month with data" is the latest month of the cases' ``received_at`` that is not
after the build's ``as_of`` (cases dated later than the build's day are in the ranking, but
no alert is raised on a month the build has not reached).

The category or rate an alert is about is named in its two messages; ``key`` is the street
(``street`` level), ``<street>/<community>`` (``community``), the zone_id or the project_id,
so that a page can filter alerts by a user's street or zone.
"""
from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.errors import BuildError
from loaders.indicators import (
    DELAYED_SCHEDULES,
    HOTLINE_FLAGS,
    UNKNOWN_CATEGORY,
    as_of_date,
)
from loaders.needs import DEFAULT_OVERDUE_DAYS
from loaders.report import Warning, street_name_en
from loaders.schema import ALERT_RULES, ALERTS, LAYERS, SCHEDULE_LABELS, STATS_HISTORY, STREET, STREET_RANKING

RULES_FILE = Path(__file__).with_name("alert_rules.toml")
HISTORY_COLUMNS: dict[str, str] = LAYERS[STATS_HISTORY].dtypes
RANKING_COLUMNS: dict[str, str] = LAYERS[STREET_RANKING].dtypes
ALERT_COLUMNS: dict[str, str] = LAYERS[ALERTS].dtypes
# The stats columns a history row carries besides as_of / level / key.
HISTORY_STATS: tuple[str, ...] = tuple(c for c in HISTORY_COLUMNS if c not in ("as_of", "level", "key"))

# hotline field -> (rate column of street_ranking, Chinese name, English name)
RATES: dict[str, tuple[str, str, str]] = {
    "responded": ("response_rate", "响应率", "response rate"),
    "resolved": ("resolution_rate", "解决率", "resolution rate"),
    "satisfied": ("satisfaction_rate", "满意率", "satisfaction rate"),
}
# hotline category -> (Chinese, English) as an alert names it ("停车 诉求", "parking cases")
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "parking": ("停车", "parking"), "roads": ("道路", "roads"), "property": ("物业", "property management"),
    "environment": ("环境", "environment"), "other": ("其他", "other"),
}
SCHEDULE_EN: dict[str, str] = {
    "not_started_late": "not started by its planned start", "running_late": "not completed by its planned completion",
    "completed_late": "completed late", "on_track": "on track", "no_plan": "without plan dates",
}
_NUMBER_ZH = dict(enumerate("零一两三四五六七八九十", start=0)) | {11: "十一", 12: "十二"}
_NUMBER_EN = dict(enumerate(["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                             "eleven", "twelve"]))


# ---------------------------------------------------------------- typed frames
def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns`` (missing ones empty) in their declared dtypes."""
    out = frame.reindex(columns=list(columns))
    for col, dtype in columns.items():
        if dtype == "str":
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        elif dtype == "Int64" and out[col].dtype == object:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
        else:
            out[col] = out[col].astype(dtype)
    return out.reset_index(drop=True)


def empty_history() -> pd.DataFrame:
    return _typed(pd.DataFrame(), HISTORY_COLUMNS)


def empty_alerts() -> pd.DataFrame:
    return _typed(pd.DataFrame(), ALERT_COLUMNS)


@dataclass
class PreviousBuild:
    """What a build needs to know of the store it replaces: its ``stats_history`` (empty when
    none), its projects' ``project_id`` and ``schedule`` (None when there was no previous build
    or it could not be read), its ``as_of`` and its ``alerts``, and warnings for the report."""
    history: pd.DataFrame = field(default_factory=empty_history)
    projects: pd.DataFrame | None = None
    as_of: pd.Timestamp | None = None
    alerts: pd.DataFrame = field(default_factory=empty_alerts)
    warnings: list[Warning] = field(default_factory=list)


# ---------------------------------------------------------------- history
def history_rows(zone_stats: pd.DataFrame, street_stats: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """The ``stats_history`` rows of one build: every ``zone_stats`` row (level ``zone``, key its
    zone_id) and ``street_stats`` row (level ``street``, key its street), dated ``as_of``
    (None: as the rows' own ``as_of`` column says, for several days at once)."""
    zones = zone_stats.rename(columns={"zone_id": "key"}).assign(level="zone")
    streets = street_stats.rename(columns={STREET: "key"}).assign(level="street")
    rows = pd.concat([zones, streets], ignore_index=True)
    if as_of is not None:
        rows = rows.assign(as_of=as_of_date(as_of))
    return _typed(rows, HISTORY_COLUMNS)


def merge_history(previous: pd.DataFrame | None, rows: pd.DataFrame) -> pd.DataFrame:
    """The history a build writes: ``previous`` (the store's, any columns: a column it lacks is
    empty, one no longer declared is dropped) without the days ``rows`` has, then ``rows``;
    sorted by as_of, level, key. A same-day rebuild thus replaces that day."""
    rows = _typed(rows, HISTORY_COLUMNS)
    if previous is None or len(previous) == 0:
        kept = empty_history()
    else:
        kept = _typed(previous, HISTORY_COLUMNS)
        kept = kept[~kept["as_of"].isin(set(rows["as_of"]))]
    out = pd.concat([kept, rows], ignore_index=True) if len(kept) else rows
    return _typed(out.sort_values(["as_of", "level", "key"], kind="stable"), HISTORY_COLUMNS)


def drop_days(history: pd.DataFrame, days: list[pd.Timestamp]) -> pd.DataFrame:
    """``history`` without the rows of ``days``."""
    wanted = {as_of_date(d) for d in days}
    return history[~history["as_of"].isin(wanted)].reset_index(drop=True)


def history_change(history: pd.DataFrame, since: pd.Timestamp | None = None,
                   until: pd.Timestamp | None = None) -> pd.DataFrame:
    """Each zone's and street's change between two snapshots of ``history``: the numeric stats
    columns at ``until`` minus at ``since`` (default: the latest day and the one before it),
    one row per (level, key) present on both days, with ``since`` and ``until``. Empty when the
    history has fewer than two days."""
    days = sorted(history["as_of"].dropna().unique())
    until = as_of_date(until) if until is not None else (pd.Timestamp(days[-1]) if days else None)
    earlier = [d for d in days if until is not None and d < until]
    since = as_of_date(since) if since is not None else (pd.Timestamp(earlier[-1]) if earlier else None)
    numeric = [c for c in HISTORY_STATS if HISTORY_COLUMNS[c] in ("float64", "Int64")]
    if since is None or until is None:
        return pd.DataFrame(columns=["level", "key", "since", "until", *numeric])
    a = history[history["as_of"] == since].set_index(["level", "key"])[numeric]
    b = history[history["as_of"] == until].set_index(["level", "key"])[numeric]
    both = a.index.intersection(b.index)
    diff = b.loc[both].astype("float64") - a.loc[both].astype("float64")
    return diff.reset_index().assign(since=since, until=until)[["level", "key", "since", "until", *numeric]]


# ---------------------------------------------------------------- ranking
@dataclass(frozen=True)
class RankingWeights:
    """The weights of the three rates in a street's monthly score.

    The default, 10 % response, 45 % resolution, 45 % satisfaction, follows the weighting
    commonly published for Beijing's monthly 接诉即办 assessment of streets and towns; it is
    a starting point, not an official figure for this district: a district should set its
    own (``--ranking-weights R,S,Sat``). Only the ratios matter (the score is a weighted
    mean), so 1,4.5,4.5 ranks exactly as 0.10,0.45,0.45.
    """
    response: float = 0.10
    resolution: float = 0.45
    satisfaction: float = 0.45

    def __post_init__(self) -> None:
        values = (self.response, self.resolution, self.satisfaction)
        if not all(np.isfinite(v) and v >= 0 for v in values) or sum(values) <= 0:
            raise ValueError(f"ranking weights must be three numbers ≥ 0, not all 0; got {values}")

    @classmethod
    def parse(cls, text: str) -> RankingWeights:
        """``"0.10,0.45,0.45"`` (response, resolution, satisfaction)."""
        parts = [p.strip() for p in str(text).replace("，", ",").split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 3:
            raise ValueError(f"expected three weights R,S,Sat such as 0.10,0.45,0.45; got {text!r}")
        return cls(*values)

    def by_field(self) -> dict[str, float]:
        return {"responded": self.response, "resolved": self.resolution, "satisfied": self.satisfaction}

    def as_dict(self) -> dict[str, float]:
        return {"response": self.response, "resolution": self.resolution, "satisfaction": self.satisfaction}


DEFAULT_RANKING_WEIGHTS = RankingWeights()


def street_groups(streets: pd.DataFrame) -> pd.Series:
    """Street name -> ranking group (``街道`` / ``镇``), from the streets layer's ``kind``
    (the name's ending when a kind is missing)."""
    names = streets["name"].astype(str)
    kind = streets["kind"] if "kind" in streets.columns else pd.Series(None, index=streets.index)
    guessed = np.where(names.str.endswith("镇"), "镇", "街道")
    group = kind.where(kind.isin(["街道", "镇"]), guessed)
    return pd.Series(group.to_numpy(), index=names.to_numpy())


def _month_sums(monthly: pd.DataFrame) -> pd.DataFrame:
    """The street rows of ``hotline_monthly`` summed over categories: one row per (key, month)
    with cases and the ``<field>_true`` / ``<field>_known`` counts."""
    counts = ["cases", *(f"{f}_{k}" for f in HOTLINE_FLAGS for k in ("true", "known"))]
    rows = monthly[monthly["level"] == "street"]
    return rows.groupby(["key", "month"], sort=True)[counts].sum().reset_index()


def _score(rates: pd.DataFrame, weights: RankingWeights) -> np.ndarray:
    """Weighted mean × 100 of the rate columns present in each row (NaN when none is)."""
    w = np.array([weights.by_field()[f] for f in RATES])
    values = rates[[RATES[f][0] for f in RATES]].to_numpy(float)
    present = ~np.isnan(values)
    den = (present * w).sum(axis=1)
    num = np.where(present, values, 0.0) @ w
    with np.errstate(invalid="ignore", divide="ignore"):   # clipped: float noise never makes 100.00000001
        return np.clip(np.where(den > 0, num / np.where(den > 0, den, 1.0) * 100, np.nan), 0.0, 100.0)


def street_ranking(monthly: pd.DataFrame, streets: pd.DataFrame, street_stats: pd.DataFrame | None = None,
                   weights: RankingWeights = DEFAULT_RANKING_WEIGHTS) -> pd.DataFrame:
    """The monthly 接诉即办 ranking: one row per (month, street) with at least one case.

    Needs ``monthly`` (``hotline_monthly``: level, key, month, cases, ``<field>_true`` and
    ``<field>_known``; its street rows are all of a street's cases), ``streets`` (name, kind)
    and, for ``cases_per_10k``, ``street_stats`` (street, population; null without). Adds
    ``group`` (街道 / 镇), the three rates (true / known, NaN when no case carries the
    field), ``score`` (:func:`_score`), ``rank`` (1 = best score within month and group,
    ties share the lowest rank — pandas' ``min`` method; scores are compared rounded to 1e-9
    so float noise never splits a tie; null without a score) and ``rank_change`` (last
    calendar month's rank minus this one: positive = moved up; null when not ranked then).
    """
    sums = _month_sums(monthly)
    sums = sums[sums["cases"] > 0].rename(columns={"key": STREET})
    if sums.empty:
        return _typed(pd.DataFrame(), RANKING_COLUMNS)
    groups = street_groups(streets)
    sums = sums[sums[STREET].isin(groups.index)]
    out = sums[["month", STREET, "cases"]].copy()
    out["group"] = sums[STREET].map(groups).to_numpy()
    population = (street_stats.set_index(STREET)["population"] if street_stats is not None
                  and "population" in street_stats else pd.Series(dtype=float))
    pop = out[STREET].map(population).astype(float)
    out["cases_per_10k"] = out["cases"] * 1e4 / pop.where(pop > 0)
    for f, (column, _, _) in RATES.items():
        known = sums[f"{f}_known"].astype(float)
        out[column] = sums[f"{f}_true"].astype(float) / known.where(known > 0)
    out["score"] = _score(out, weights)
    keyed = out.assign(_score=out["score"].round(9))
    out["rank"] = keyed.groupby(["month", "group"])["_score"].rank(method="min", ascending=False)
    previous = out[["month", STREET, "rank"]].assign(month=out["month"] + pd.DateOffset(months=1))
    last = out[["month", STREET]].merge(previous, on=["month", STREET], how="left")["rank"].to_numpy()
    out["rank_change"] = last - out["rank"].to_numpy()
    out = out.sort_values(["month", "group", "rank", STREET], kind="stable", na_position="last")
    return _typed(out, RANKING_COLUMNS)


# ---------------------------------------------------------------- alert rules: the configuration
def _rule_defaults() -> dict[str, dict]:
    return tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))


def load_alert_rules(path: Path | str | None = None) -> dict[str, dict]:
    """The thresholds of every rule: ``loaders/alert_rules.toml``, with the keys that the TOML
    file ``path`` gives (if any) in their place. An unknown rule or key, or a value of the
    wrong kind, is a :class:`BuildError` naming the file, the key and what is allowed."""
    rules = _rule_defaults()
    if path is None:
        return rules
    path = Path(path)
    try:
        given = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"预警规则文件 {path} 无法读取：{exc} (the alert rules file cannot be read; it must be "
                         "TOML like loaders/alert_rules.toml)") from exc
    for rule, values in given.items():
        if rule not in rules or not isinstance(values, dict):
            raise BuildError(f"预警规则文件 {path.name}：未知规则 [{rule}]，可用 {', '.join(f'[{r}]' for r in rules)} "
                             f"(unknown rule [{rule}] in the alert rules file)")
        for key, value in values.items():
            if key not in rules[rule]:
                raise BuildError(f"预警规则文件 {path.name}：[{rule}] 没有 {key}，可用 {', '.join(rules[rule])} "
                                 f"(unknown key {rule}.{key})")
            default = rules[rule][key]
            ok = isinstance(value, bool) if isinstance(default, bool) else (
                isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)
            if not ok:
                kind = "true 或 false" if isinstance(default, bool) else "不小于 0 的数"
                raise BuildError(f"预警规则文件 {path.name}：[{rule}] {key} = {value!r} 无效，应为{kind} "
                                 f"(invalid value for {rule}.{key})")
            rules[rule][key] = value
    if rules["hotline_surge"]["baseline_months"] < 1 or int(rules["hotline_surge"]["baseline_months"]) != \
            rules["hotline_surge"]["baseline_months"]:
        raise BuildError(f"预警规则文件 {path.name}：[hotline_surge] baseline_months 应为不小于 1 的整数 "
                         "(baseline_months must be a whole number ≥ 1)")
    return rules


# ---------------------------------------------------------------- alert rules: helpers
def _latest_month(months: pd.Series, as_of: pd.Timestamp) -> pd.Timestamp | None:
    """The latest month with data not after ``as_of``'s month."""
    limit = as_of_date(as_of).to_period("M").to_timestamp()
    months = pd.to_datetime(months)
    months = months[months <= limit]
    return pd.Timestamp(months.max()) if len(months) else None


def _alerts(rule: str, level: str, key: pd.Series, period: str | pd.Series, value: pd.Series,
            baseline: pd.Series | None, high: pd.Series, zh: list[str], en: list[str]) -> pd.DataFrame:
    n = len(key)
    return _typed(pd.DataFrame({
        "rule": rule, "level": level, "key": np.asarray(key, dtype=object),
        "period": np.broadcast_to(np.asarray(period, dtype=object), n),
        "value": np.asarray(value, float), "baseline": np.full(n, np.nan) if baseline is None
        else np.asarray(baseline, float),
        "severity": np.where(np.asarray(high, bool), "high", "medium"),
        "message_zh": zh, "message_en": en}, index=range(n)), ALERT_COLUMNS)


def _cases(x: float) -> str:
    """A monthly mean as an alert says it: whole above 10, one decimal below."""
    return f"{x:,.0f}" if x >= 10 else f"{x:,.1f}"


def _yuan_en(amount: float) -> str:
    """An amount in 亿元 (100 million yuan) as an English text says it, in million yuan."""
    millions = amount * 100
    return f"{millions:,.0f} million yuan" if abs(millions) >= 100 else f"{millions:,.1f} million yuan"


def _signed_pct(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.0f}%"


# ---------------------------------------------------------------- hotline_surge
def _window(months: int, latest: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(end=latest, periods=months + 1, freq="MS")


def community_counts(hotline: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Cases per (``<street>/<community>``, month, category) in ``months``. Needs hotline
    street, received_at; uses community and category (cases without a community are left out)."""
    if hotline is None or len(hotline) == 0 or "community" not in hotline.columns:
        return pd.DataFrame({"key": [], "month": pd.Series([], dtype="datetime64[ns]"), "category": [], "cases": []})
    received = pd.to_datetime(hotline["received_at"], errors="coerce")
    month = received.dt.to_period("M").dt.to_timestamp()
    keep = month.isin(months) & hotline["community"].notna() & hotline["community"].astype(str).str.strip().ne("")
    sub = hotline.loc[keep]
    category = (sub["category"].astype(object).where(sub["category"].notna(), UNKNOWN_CATEGORY)
                if "category" in sub.columns else pd.Series(UNKNOWN_CATEGORY, index=sub.index))
    frame = pd.DataFrame({"key": sub[STREET].astype(str) + "/" + sub["community"].astype(str).str.strip(),
                          "month": month[keep], "category": category})
    return frame.groupby(["key", "month", "category"], sort=True).size().rename("cases").reset_index()


def _surges(counts: pd.DataFrame, latest: pd.Timestamp, rules: dict) -> pd.DataFrame:
    """(key, category, cases, baseline, ratio) of the pairs that surge in ``latest``: counts
    per (key, month, category) are widened over the window (a month without cases is 0)."""
    window = _window(int(rules["baseline_months"]), latest)
    counts = counts[counts["month"].isin(window) & counts["category"].ne(UNKNOWN_CATEGORY)]
    empty = pd.DataFrame({"key": [], "category": [], "cases": [], "baseline": [], "ratio": []})
    if counts.empty:
        return empty
    wide = counts.pivot_table(index=["key", "category"], columns="month", values="cases", aggfunc="sum",
                              fill_value=0).reindex(columns=window, fill_value=0)
    now = wide[window[-1]].astype(float)
    base = wide[window[:-1]].astype(float).mean(axis=1)
    ratio = now / base.where(base > 0)
    hit = (now >= rules["min_count"]) & (base >= rules["min_baseline"]) & (ratio >= rules["ratio"])
    out = pd.DataFrame({"cases": now, "baseline": base, "ratio": ratio})[hit.to_numpy()]
    return out.reset_index().sort_values(["ratio", "key"], ascending=[False, True], kind="stable")


def hotline_surge(monthly: pd.DataFrame, hotline: pd.DataFrame | None, as_of: pd.Timestamp,
                  rules: dict) -> pd.DataFrame:
    """``hotline_surge`` alerts for the latest month with data (:func:`_latest_month`).

    Per (street, category) from ``monthly``'s street rows and per (community, category)
    from ``hotline`` (street, community, received_at, category): this month's cases against
    the mean of the previous ``baseline_months`` months (a month without cases counts 0).
    Silent unless every baseline month lies within the data's range (its first month at or
    before the window's), this month has ``min_count`` cases or more, the mean is at least
    ``min_baseline`` and the ratio at least ``ratio``; ``high_ratio`` and more is high.
    ``value`` is this month's cases, ``baseline`` the mean, ``period`` the month (YYYY-MM).
    """
    streets = monthly[monthly["level"] == "street"]
    latest = _latest_month(streets["month"], as_of) if len(streets) else None
    n = int(rules["baseline_months"])
    if not rules.get("enabled", True) or latest is None:
        return empty_alerts()
    window = _window(n, latest)
    if pd.Timestamp(streets["month"].min()) > window[0]:   # a baseline month before the data began
        return empty_alerts()
    street_counts = streets.groupby(["key", "month", "category"], sort=True)["cases"].sum().reset_index()
    period = latest.strftime("%Y-%m")
    months_zh, months_en = _NUMBER_ZH.get(n, str(n)), _NUMBER_EN.get(n, str(n))
    out = []
    for level, counts in (("street", street_counts), ("community", community_counts(hotline, window))):
        found = _surges(counts, latest, rules)
        if found.empty:
            continue
        zh, en = [], []
        for key, category, cases, base, ratio in zip(found["key"], found["category"], found["cases"],
                                                     found["baseline"], found["ratio"]):
            word_zh, word_en = CATEGORY_WORDS.get(category, (category, category))
            if level == "street":
                where_zh, where_en = key, street_name_en(key)
            else:
                street, community = key.split("/", 1)
                where_zh, where_en = f"{street} {community}", f"“{community}”, {street_name_en(street)}"
            zh.append(f"{where_zh} {word_zh} 诉求 {cases:,.0f} 件，前{months_zh}月均 {_cases(base)} 件，{_signed_pct(ratio)}")
            en.append(f"{where_en}: {cases:,.0f} {word_en} cases, {_cases(base)} a month over the previous "
                      f"{months_en}, {_signed_pct(ratio)}")
        out.append(_alerts("hotline_surge", level, found["key"], period, found["cases"], found["baseline"],
                           found["ratio"] >= rules["high_ratio"], zh, en))
    return pd.concat(out, ignore_index=True) if out else empty_alerts()


# ---------------------------------------------------------------- rate_drop
def rate_drop(monthly: pd.DataFrame, as_of: pd.Timestamp, rules: dict) -> pd.DataFrame:
    """``rate_drop`` alerts: a street's response, resolution or satisfaction rate in the latest
    month with data against the calendar month before, falling by more than ``drop`` (a share:
    0.10 = 10 points), both months with at least ``min_cases`` cases carrying the field.
    ``value`` is this month's rate, ``baseline`` last month's; ``high_drop`` and more is high."""
    sums = _month_sums(monthly)
    latest = _latest_month(sums["month"], as_of) if len(sums) else None
    if not rules.get("enabled", True) or latest is None:
        return empty_alerts()
    before = latest - pd.DateOffset(months=1)
    now = sums[sums["month"] == latest].set_index("key")
    last = sums[sums["month"] == before].set_index("key")
    both = now.index.intersection(last.index)
    now, last = now.loc[both], last.loc[both]
    period = latest.strftime("%Y-%m")
    out = []
    for f, (_, name_zh, name_en) in RATES.items():
        k_now, k_last = now[f"{f}_known"].astype(float), last[f"{f}_known"].astype(float)
        r_now = now[f"{f}_true"] / k_now.where(k_now > 0)
        r_last = last[f"{f}_true"] / k_last.where(k_last > 0)
        fall = r_last - r_now
        hit = (k_now >= rules["min_cases"]) & (k_last >= rules["min_cases"]) & (fall > rules["drop"] + 1e-12)
        if not hit.any():
            continue
        keys = hit.index[hit.to_numpy()]
        zh = [f"{k} {name_zh} {r_now[k]:.1%}，上月 {r_last[k]:.1%}，下降 {fall[k] * 100:.1f} 个百分点"
              f"（本月 {k_now[k]:,.0f} 件、上月 {k_last[k]:,.0f} 件填报）" for k in keys]
        en = [f"{street_name_en(k)}: {name_en} {r_now[k]:.1%}, {r_last[k]:.1%} the month before, down "
              f"{fall[k] * 100:.1f} points ({k_now[k]:,.0f} and {k_last[k]:,.0f} cases carrying it)" for k in keys]
        out.append(_alerts("rate_drop", "street", pd.Series(keys), period, r_now[keys], r_last[keys],
                           fall[keys] >= rules["high_drop"] - 1e-12, zh, en))
    return pd.concat(out, ignore_index=True) if out else empty_alerts()


# ---------------------------------------------------------------- project_newly_delayed
def project_newly_delayed(projects: pd.DataFrame | None, previous: PreviousBuild, as_of: pd.Timestamp,
                          rules: dict) -> pd.DataFrame:
    """``project_newly_delayed`` alerts: projects whose ``schedule`` is delayed now
    (``not_started_late`` / ``running_late``) and was not in the previous build's projects
    (``previous.projects``: project_id, schedule). A project the previous build did not
    have is not "newly" delayed (it may have been late long before it was listed); no
    previous build, no alert; a previous build dated after this one is no baseline either.
    A rebuild on the same day keeps the previous build's alerts of this rule for projects
    still delayed (that build's own baseline is gone). Needs projects project_id, name,
    schedule, days_late, planned_start, planned_completion. ``value`` is the days behind,
    ``period`` the build's as_of; ``high_days`` days and more is high.
    """
    if (not rules.get("enabled", True) or projects is None or len(projects) == 0 or previous.projects is None
            or previous.as_of is None):
        return empty_alerts()
    day, before = as_of_date(as_of), as_of_date(previous.as_of)
    if before > day:
        return empty_alerts()
    delayed = projects["schedule"].isin(DELAYED_SCHEDULES)
    was = projects["project_id"].map(previous.projects.drop_duplicates("project_id")
                                     .set_index("project_id")["schedule"])
    newly = delayed & was.notna() & ~was.isin(DELAYED_SCHEDULES)
    rows = projects[newly.to_numpy()]
    period = day.date().isoformat()
    zh, en = [], []
    for pid, name, state, days, start, end, prev in zip(rows["project_id"], rows["name"], rows["schedule"],
                                                        rows["days_late"], rows["planned_start"],
                                                        rows["planned_completion"], was[newly]):
        planned = start if state == "not_started_late" else end
        what_zh, what_en = ("计划开工", "planned start") if state == "not_started_late" else ("计划竣工",
                                                                                          "planned completion")
        zh.append(f"{name}（{pid}）{SCHEDULE_LABELS[state]}，滞后 {int(days):,} 天（{what_zh} "
                  f"{pd.Timestamp(planned).date().isoformat()}）；上次构建（{before.date().isoformat()}）时"
                  f"{SCHEDULE_LABELS.get(prev, prev)}")
        en.append(f"“{name}” ({pid}): {SCHEDULE_EN[state]}, {int(days):,} days behind ({what_en} "
                  f"{pd.Timestamp(planned).date().isoformat()}); {SCHEDULE_EN.get(prev, prev)} at the previous "
                  f"build ({before.date().isoformat()})")
    days_late = rows["days_late"].astype(float)
    out = _alerts("project_newly_delayed", "project", rows["project_id"], period, days_late, None,
                  days_late >= rules["high_days"], zh, en)
    if before == day and len(previous.alerts):
        kept = previous.alerts[(previous.alerts["rule"] == "project_newly_delayed")
                               & previous.alerts["key"].isin(projects.loc[delayed.to_numpy(), "project_id"])
                               & ~previous.alerts["key"].isin(out["key"])]
        out = pd.concat([out, _typed(kept, ALERT_COLUMNS)], ignore_index=True)
    return out


# ---------------------------------------------------------------- investment_behind
def investment_behind(zone_stats: pd.DataFrame, zones: pd.DataFrame, history: pd.DataFrame, as_of: pd.Timestamp,
                      rules: dict) -> pd.DataFrame:
    """``investment_behind`` alerts, per zone.

    Done this year = the zone's ``investment_done`` now minus its ``investment_done`` at the
    last ``stats_history`` snapshot of the previous calendar year (no such snapshot, or no
    figure in it: no alert). Expected = the elapsed share of the year (day of year of
    ``as_of`` / days in that year) × the zone's ``investment_plan_year``. Alerts when the
    plan is at least ``min_plan`` 亿元 and done < expected × (1 − ``tolerance``); below
    expected × (1 − ``high_tolerance``) is high. ``value`` is done this year, ``baseline``
    the expected amount (both 亿元), ``period`` the build's as_of. Needs zone_stats zone_id,
    investment_done, investment_plan_year; zones zone_id, name, name_en.
    """
    if not rules.get("enabled", True) or len(zone_stats) == 0 or len(history) == 0:
        return empty_alerts()
    day = as_of_date(as_of)
    past = history[(history["level"] == "zone") & (history["as_of"].dt.year == day.year - 1)]
    if past.empty:
        return empty_alerts()
    last = past.sort_values("as_of", kind="stable").groupby("key").tail(1).set_index("key")
    stats = zone_stats.set_index("zone_id")
    start = last["investment_done"].astype(float).reindex(stats.index)
    start_day = last["as_of"].reindex(stats.index)
    now = stats["investment_done"].astype(float)
    plan = stats["investment_plan_year"].astype(float)
    elapsed = day.day_of_year / (366 if calendar.isleap(day.year) else 365)
    expected = elapsed * plan
    done = now - start
    hit = (plan >= rules["min_plan"]) & start.notna() & now.notna() & (done < expected * (1 - rules["tolerance"]))
    keys = hit.index[hit.fillna(False).to_numpy(bool)]
    if len(keys) == 0:
        return empty_alerts()
    names = zones.set_index("zone_id")
    name_zh = names["name"].reindex(keys).fillna(pd.Series(keys, index=keys))
    name_en = (names["name_en"].reindex(keys) if "name_en" in names else pd.Series(None, index=keys, dtype=object))
    name_en = name_en.where(name_en.notna(), "“" + name_zh + "”")
    zh, en = [], []
    for k in keys:
        gap = expected[k] - done[k]
        zh.append(f"{name_zh[k]} 今年完成投资 {done[k]:,.2f} 亿元（现累计 {now[k]:,.2f} 亿元，上年末 "
                  f"{start_day[k].date().isoformat()} 累计 {start[k]:,.2f} 亿元），按时间进度 {elapsed:.1%} 应完成 "
                  f"{expected[k]:,.2f} 亿元（年度计划 {plan[k]:,.2f} 亿元），落后 {gap:,.2f} 亿元"
                  f"（完成应完成的 {done[k] / expected[k]:.1%}）")
        en.append(f"{name_en[k]}: {_yuan_en(done[k])} invested this year ({_yuan_en(now[k])} to date, "
                  f"{_yuan_en(start[k])} at {start_day[k].date().isoformat()}), against {_yuan_en(expected[k])} "
                  f"expected at {elapsed:.1%} of the year (annual plan {_yuan_en(plan[k])}): {_yuan_en(gap)} "
                  f"behind ({done[k] / expected[k]:.1%} of the expected amount)")
    high = done[keys] < expected[keys] * (1 - rules["high_tolerance"])
    return _alerts("investment_behind", "zone", pd.Series(keys), day.date().isoformat(), done[keys],
                   expected[keys], high, zh, en)


# ---------------------------------------------------------------- needs_overdue_growing
def needs_overdue_growing(monthly: pd.DataFrame, zones: pd.DataFrame, as_of: object, rules: dict,
                          overdue_days: float = DEFAULT_OVERDUE_DAYS) -> pd.DataFrame:
    """``needs_overdue_growing`` alerts: a zone whose overdue count at month-end
    (``needs_monthly.overdue_at_end``, the build's ``as_of`` in its own month) grew two months
    running, m−2 < m−1 < m for the latest month m (``as_of``'s), with at least ``min_count``
    overdue now and at least ``min_increase`` more than two months before. ``value`` is the
    count now, ``baseline`` two months before; now ≥ ``high_ratio`` × baseline is high."""
    if not rules.get("enabled", True) or monthly is None or len(monthly) == 0:
        return empty_alerts()
    latest = as_of_date(as_of).to_period("M").to_timestamp()
    months = [latest - pd.DateOffset(months=k) for k in (2, 1, 0)]
    rows = monthly[(monthly["level"] == "zone") & monthly["month"].isin(months)]
    wide = rows.pivot_table(index="key", columns="month", values="overdue_at_end", aggfunc="sum")
    if wide.empty or any(m not in wide.columns for m in months):
        return empty_alerts()
    wide = wide[months].dropna()
    o0, o1, o2 = (wide[m].astype(float) for m in months)
    hit = (o0 < o1) & (o1 < o2) & (o2 >= rules["min_count"]) & (o2 - o0 >= rules["min_increase"])
    keys = wide.index[hit.to_numpy()]
    if len(keys) == 0:
        return empty_alerts()
    names = zones.set_index("zone_id") if "zone_id" in zones else pd.DataFrame()
    name_zh = {k: names["name"].get(k, k) if "name" in names else k for k in keys}
    name_en = {k: (names["name_en"].get(k) if "name_en" in names else None) or f"“{name_zh[k]}”" for k in keys}
    labels = [m.strftime("%Y-%m") for m in months]
    zh = [f"{name_zh[k]} 超期企业诉求连续两个月增加：{labels[0]} 月末 {o0[k]:,.0f} 件、{labels[1]} 月末 {o1[k]:,.0f} 件、"
          f"{labels[2]} {o2[k]:,.0f} 件（办理超过 {overdue_days:g} 天未办结）"
          for k in keys]
    en = [f"{name_en[k]}: overdue enterprise needs grew two months running: {o0[k]:,.0f} at the end of {labels[0]}, "
          f"{o1[k]:,.0f} at the end of {labels[1]}, {o2[k]:,.0f} in {labels[2]} (open for more than "
          f"{overdue_days:g} days)" for k in keys]
    high = o2[keys] >= o0[keys] * rules["high_ratio"]
    return _alerts("needs_overdue_growing", "zone", pd.Series(keys), latest.strftime("%Y-%m"), o2[keys], o0[keys],
                   high, zh, en)


# ---------------------------------------------------------------- all rules
def compute_alerts(*, monthly: pd.DataFrame, hotline: pd.DataFrame | None, projects: pd.DataFrame | None,
                   zone_stats: pd.DataFrame, zones: pd.DataFrame, history: pd.DataFrame,
                   previous: PreviousBuild, as_of: pd.Timestamp, rules: dict,
                   needs_monthly: pd.DataFrame | None = None,
                   needs_overdue_days: float = DEFAULT_OVERDUE_DAYS) -> pd.DataFrame:
    """Every rule's alerts in one ``alerts`` table: rules in the order of ``ALERT_RULES``,
    high before medium, then by level and key. ``history`` is the one this build writes;
    ``needs_monthly`` the enterprise needs per zone and month (``loaders.needs``), if any."""
    parts = [hotline_surge(monthly, hotline, as_of, rules["hotline_surge"]),
             rate_drop(monthly, as_of, rules["rate_drop"]),
             project_newly_delayed(projects, previous, as_of, rules["project_newly_delayed"]),
             investment_behind(zone_stats, zones, history, as_of, rules["investment_behind"]),
             needs_overdue_growing(needs_monthly, zones, as_of, rules["needs_overdue_growing"], needs_overdue_days)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_alerts()
    out = pd.concat(parts, ignore_index=True)
    order = out["rule"].map({r: i for i, r in enumerate(ALERT_RULES)})
    out = out.assign(_rule=order, _sev=out["severity"].ne("high"))
    out = out.sort_values(["_rule", "_sev", "level", "key"], kind="stable").drop(columns=["_rule", "_sev"])
    return _typed(out, ALERT_COLUMNS)


def alert_counts(alerts: pd.DataFrame) -> dict[str, int]:
    """Alerts per rule (every rule, 0 when none), for the build report."""
    counts = alerts["rule"].value_counts()
    return {rule: int(counts.get(rule, 0)) for rule in ALERT_RULES}
