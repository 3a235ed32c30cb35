"""The bundled sample's change over time: 24 months of 12345 cases with a season and two
designed events, annual plans, and month-end snapshots in the sample store's history that a
build on each of those days would have computed (``loaders.sample.snapshot_stats``).

Uses the bundled sample store (``ensure_sample_store``, built once and shared with the
other tests); everything is dated by the sample's fixed ``REFERENCE_DATE``, never today.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders.build import SAMPLE_SOURCE_DIR, ensure_sample_store
from loaders.indicators import compute_stats
from loaders.sample import (
    HOTLINE_MONTHS,
    RATE_DROP,
    REFERENCE_DATE,
    SURGE,
    ensure_sample_source,
    layers_as_of,
    projects_as_of,
    snapshot_stats,
)
from loaders.schema import POINT_LAYERS, STATS_HISTORY
from loaders.store import open_store


@pytest.fixture(scope="module")
def store() -> object:
    return open_store(ensure_sample_store())


@pytest.fixture(scope="module")
def hotline_file(store: object) -> pd.DataFrame:
    source = ensure_sample_source(Path(SAMPLE_SOURCE_DIR))   # the files the store was built from
    frame = pd.read_csv(source / "hotline.csv", encoding="utf-8",
                        usecols=["受理时间", "诉求类别", "所属街镇", "社区", "满意"])
    frame["month"] = pd.to_datetime(frame["受理时间"]).dt.to_period("M")
    return frame


@pytest.fixture(scope="module")
def loaded(store: object) -> dict:
    layers = {name: store.read(name) for name in ("streets", "zones", *POINT_LAYERS)}
    return {"layers": layers, "members": store.read("zone_members")}


# --- the files ------------------------------------------------------------------------------------
def test_24_months_of_cases_ending_with_the_reference_month(hotline_file: pd.DataFrame) -> None:
    months = hotline_file["month"]
    assert months.max() == REFERENCE_DATE.to_period("M") and months.nunique() == HOTLINE_MONTHS >= 24
    assert pd.to_datetime(hotline_file["受理时间"]).max() <= REFERENCE_DATE + pd.Timedelta(days=1)


def test_more_cases_in_summer(hotline_file: pd.DataFrame) -> None:
    per_month = hotline_file.groupby("month").size()
    for year in (REFERENCE_DATE.year - 1,):
        assert per_month[pd.Period(f"{year}-08")] > 1.15 * per_month[pd.Period(f"{year}-02")]


def test_the_designed_events_are_in_the_last_month(hotline_file: pd.DataFrame) -> None:
    last = REFERENCE_DATE.to_period("M")
    window = [last - k for k in (3, 2, 1)]
    pair = hotline_file[(hotline_file["所属街镇"] == SURGE["street"]) & (hotline_file["诉求类别"] == SURGE["category"])]
    counts = pair.groupby("month").size()
    assert counts[last] >= 2.5 * counts[window].mean()
    community = pair[pair["社区"] == SURGE["community"]].groupby("month").size()
    assert community[last] >= 10 * community.reindex(window, fill_value=0).mean()
    street = hotline_file[hotline_file["所属街镇"] == RATE_DROP["street"]]
    satisfied = street.assign(yes=street["满意"].eq("是")).groupby("month")["yes"].mean()
    assert satisfied[last - 1] - satisfied[last] > 0.20


def test_projects_have_an_annual_plan(store: object) -> None:
    projects = store.read("projects")
    plan = projects["investment_plan_year"]
    assert plan.notna().mean() > 0.5 and (plan.dropna() > 0).all()
    running = projects["status"] == "under_construction"
    assert plan[running].notna().all()
    assert (plan.dropna() <= projects.loc[plan.notna(), "investment_total"] + 1e-9).all()


# --- the store --------------------------------------------------------------------------------------
def test_the_sample_is_dated_by_its_reference_date(store: object) -> None:
    report = store.read_report()
    assert report["sample_data"] is True and report["as_of"] == REFERENCE_DATE.date().isoformat()
    assert report["ranking_weights"] == {"response": 0.10, "resolution": 0.45, "satisfaction": 0.45}


def test_history_holds_month_end_snapshots_leading_to_the_reference_date(store: object) -> None:
    history = store.read(STATS_HISTORY)
    days = sorted(history["as_of"].unique())
    assert [pd.Timestamp(d).date().isoformat() for d in days] == [
        "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]
    assert (history.groupby("as_of").size() == 34).all()
    street = history[history["level"] == "street"].pivot(index="as_of", columns="key", values="hotline_cases")
    assert (street.diff().dropna() > 0).all().all()                  # cases pile up month by month
    zone = history[history["level"] == "zone"].pivot(index="as_of", columns="key", values="investment_done")
    assert (zone.diff().dropna() >= -1e-9).all().all() and (zone.iloc[-1] > zone.iloc[0]).any()
    completed = history[history["level"] == "street"].groupby("as_of")["status_completed"].sum()
    assert completed.is_monotonic_increasing and completed.iloc[-1] > completed.iloc[0]


def test_the_sample_raises_its_designed_alerts(store: object) -> None:
    alerts = store.read("alerts")
    found = set(zip(alerts["rule"], alerts["level"], alerts["key"]))
    assert ("hotline_surge", "street", SURGE["street"]) in found
    assert ("hotline_surge", "community", f"{SURGE['street']}/{SURGE['community']}") in found
    assert ("rate_drop", "street", RATE_DROP["street"]) in found
    assert alerts.query("rule == 'hotline_surge'")["key"].str.startswith(SURGE["street"]).all()   # no noise
    assert len(alerts.query("rule == 'project_newly_delayed'")) == 3
    ranking = store.read("street_ranking")
    assert ranking["month"].max() == REFERENCE_DATE.to_period("M").to_timestamp()
    assert ranking["month"].nunique() == HOTLINE_MONTHS and set(ranking["group"]) == {"街道", "镇"}


# --- honest snapshots --------------------------------------------------------------------------------
def _compare(got: pd.DataFrame, want: pd.DataFrame, key: str) -> None:
    got, want = got.set_index(key).sort_index(), want.set_index(key).sort_index()
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        if want[column].dtype.kind in "fiu":
            np.testing.assert_allclose(got[column].astype(float), want[column].astype(float), rtol=1e-9,
                                       equal_nan=True, err_msg=column)
        else:
            assert got[column].tolist() == want[column].tolist(), column


def test_a_snapshot_is_what_a_build_that_day_would_compute(loaded: dict) -> None:
    day = pd.Timestamp("2026-03-31")
    [(zone, street)] = snapshot_stats(loaded["layers"], loaded["members"], [day], 1000.0)
    dated = layers_as_of(loaded["layers"], day)
    assert dated["hotline"]["received_at"].max() < day + pd.Timedelta(days=1)
    want_zone, want_street = compute_stats(loaded["layers"]["streets"], loaded["layers"]["zones"],
                                           {k: dated.get(k) for k in POINT_LAYERS}, loaded["members"], day, 1000.0)
    _compare(street, want_street, "street")
    _compare(zone, want_zone, "zone_id")


def test_the_snapshot_on_the_reference_date_is_the_build_itself(store: object, loaded: dict) -> None:
    [(zone, street)] = snapshot_stats(loaded["layers"], loaded["members"], [REFERENCE_DATE], 1000.0)
    _compare(street, store.read("street_stats"), "street")
    _compare(zone, store.read("zone_stats"), "zone_id")


def test_projects_as_of_a_day() -> None:
    projects = pd.DataFrame({
        "project_id": ["done", "running", "started_later", "reserve"],
        "status": ["completed", "under_construction", "under_construction", "reserve"],
        "start_date": pd.to_datetime(["2025-01-01", "2025-06-30", "2026-05-01", None]),
        "completion_date": pd.to_datetime(["2026-01-01", None, None, None]),
        "investment_done": [10.0, 4.0, 1.0, 0.0]})
    day = pd.Timestamp("2025-07-02")
    out = projects_as_of(projects, day).set_index("project_id")
    assert out["status"].to_dict() == {"done": "under_construction", "running": "under_construction",
                                       "started_later": "reserve", "reserve": "reserve"}
    assert out["completion_date"].isna().all() and pd.isna(out.loc["started_later", "start_date"])
    assert out.loc["done", "investment_done"] == pytest.approx(10.0 * 182 / 365)     # 182 of 365 days of works
    span = (REFERENCE_DATE - pd.Timestamp("2025-06-30")).days
    assert out.loc["running", "investment_done"] == pytest.approx(4.0 * 2 / span)    # accrues up to the reference date
    assert out.loc["started_later", "investment_done"] == 0.0
    assert projects_as_of(projects, pd.Timestamp("2026-01-01")).set_index("project_id").loc["done", "status"] == \
        "completed"
