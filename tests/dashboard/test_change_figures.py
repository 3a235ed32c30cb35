"""Change over time, pure (issue 19): 环比/同比 of a period's 12345 figures and of stock figures
against earlier builds; nothing compared against a baseline too small to mean anything."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.briefing import change


def monthly(rows: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    """(key, month, cases, responded_true, satisfied_true); every case carries every field."""
    return pd.DataFrame([{"level": "street", "key": k, "month": pd.Timestamp(m + "-01"), "category": "parking",
                          "cases": c, "responded_true": r, "responded_known": c, "resolved_true": c,
                          "resolved_known": c, "satisfied_true": s, "satisfied_known": c} for k, m, c, r, s in rows])


def test_pick_period_takes_the_url_month_or_the_latest():
    months = ["2025-10", "2025-11", "2026-10"]
    assert change.pick_period("2025-11", months) == "2025-11"
    assert change.pick_period("2030-01", months) == "2026-10"      # not in the data: the latest
    assert change.pick_period("garbage", months) == "2026-10"
    assert change.pick_period(None, []) is None


def test_month_over_month_and_year_over_year_of_cases_and_a_rate():
    frame = monthly([("A", "2025-10", 100, 90, 80), ("A", "2026-09", 40, 38, 30), ("A", "2026-10", 50, 40, 45)])
    months = change.area_months(frame, "street", ["A"])
    cases = change.dated_figure(months, "hotline_rate", "2026-10", denominator=1.0)
    assert cases.value == 50 and cases.mom.delta == pytest.approx(0.25) and cases.yoy.delta == pytest.approx(-0.5)
    assert cases.mom.good is False and cases.yoy.good is True       # more cases is bad
    rate = change.dated_figure(months, "response_rate", "2026-10")
    assert rate.value == pytest.approx(0.8)
    assert rate.mom.points and rate.mom.delta == pytest.approx((0.8 - 0.95) * 100) and rate.mom.good is False
    assert rate.yoy.delta == pytest.approx((0.8 - 0.9) * 100)
    assert cases.spark == (40.0, 50.0)   # the last 12 months only: 2025-10 is 13 months back


def test_small_and_missing_baselines_are_said_not_compared():
    frame = monthly([("A", "2026-09", 2, 2, 2), ("A", "2026-10", 6, 6, 6)])
    months = change.area_months(frame, "street", ["A"])
    cases = change.dated_figure(months, "hotline_rate", "2026-10", denominator=1.0)
    assert cases.mom.why == "small_baseline" and not cases.mom.shown      # 2 → 6 is not a +200 % story
    assert cases.yoy.why == "no_baseline"
    rate = change.dated_figure(months, "satisfaction_rate", "2026-10")
    assert rate.mom.why == "small_baseline"                               # fewer than 30 cases carry it
    assert "基数过小" in change.change_line(cases.mom, "zh") and "too small" in change.change_line(cases.mom, "en")
    assert change.delta_text(cases.mom, "zh") == ""


def test_the_district_sums_its_streets():
    frame = monthly([("A", "2026-10", 30, 30, 30), ("B", "2026-10", 10, 0, 10)])
    months = change.area_months(frame, "street", None)
    assert change.dated_figure(months, "response_rate", "2026-10").value == pytest.approx(0.75)


def test_stock_figures_compare_with_the_builds_a_month_and_a_year_earlier():
    history = pd.DataFrame([
        {"as_of": "2025-10-31", "level": "zone", "key": "lize", "projects_delayed": 4, "investment_total": 100.0},
        {"as_of": "2026-09-30", "level": "zone", "key": "lize", "projects_delayed": 12, "investment_total": 200.0},
        {"as_of": "2026-10-25", "level": "zone", "key": "lize", "projects_delayed": 11, "investment_total": 210.0},
        {"as_of": "2026-10-31", "level": "zone", "key": "lize", "projects_delayed": 15, "investment_total": 220.0},
    ])
    snaps = change.snapshots(history, "zone", "lize")
    delayed = change.stock_figure(snaps, "projects_delayed", 15, "2026-10-31")
    assert delayed.mom.against == "2026-09-30"                 # a build about a month before, not six days
    assert delayed.mom.delta == pytest.approx(3 / 12) and delayed.mom.good is False
    assert delayed.yoy.why == "small_baseline"                 # 4 projects a year ago: too few to compare
    investment = change.stock_figure(snaps, "investment", 220.0, "2026-10-31")
    assert investment.yoy.delta == pytest.approx(1.2) and investment.yoy.good is True
    none = change.stock_figure(change.snapshots(history, "zone", "hexi"), "investment", 5.0, "2026-10-31")
    assert none.mom.why == "no_baseline" and none.yoy.why == "no_baseline"


def test_a_tooltip_says_what_was_compared_with_what():
    frame = monthly([("A", "2026-09", 40, 38, 30), ("A", "2026-10", 50, 40, 45)])
    fig = change.dated_figure(change.area_months(frame, "street", ["A"]), "hotline_rate", "2026-10", 1.0)
    tip = change.compared_what(fig, "zh", "50", {"mom": "40", "yoy": "—"})
    assert "2026-10" in tip and "2026-09" in tip and "+25.0%" in tip and "无可比" in tip
    assert not math.isnan(fig.mom.delta)
