"""Change over time (``loaders.change``, ``loaders.history``): the store remembers, the monthly
street ranking, the alerts.

One store is built four times from files written here, each build dated with ``as_of``
(never today's date, so the tests pass on any day):

1. 2024-12-31, source v1: the previous year's last snapshot;
2. 2025-03-20, source v2: P-A and P-D fall behind plan, one project's investment moves;
3. 2025-03-20 again, source v3 (one more project): a same-day rebuild replaces that day;
4. 2025-03-25 with a broken projects file: the build fails and adds nothing.

The 12345 file is the same each time; the ranking is worked out again in ``expected_ranking``
straight from the file, by other means (a pandas groupby per month, then Python ranking).
Where the known points are: lize (太平桥街道, zone lize).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders.__main__ import main
from loaders.build import build
from loaders.change import (
    PreviousBuild,
    RankingWeights,
    history_change,
    hotline_surge,
    investment_behind,
    load_alert_rules,
    merge_history,
    project_newly_delayed,
    rate_drop,
    street_ranking,
)
from loaders.errors import BuildError
from loaders.history import drop_day, list_days
from loaders.schema import LAYERS, STATS_HISTORY
from loaders.store import open_store
from tests.loaders.conftest import KNOWN
from tests.postgis import PostGISServer

RULES = load_alert_rules()
LIZE = "{},{}".format(*KNOWN["lize"])
HEADER = "项目编号,项目名称,项目状态,总投资(万元),累计完成投资(万元),年度计划投资(万元),计划开工时间,计划竣工时间,经度,纬度,所属街镇\n"
P_B = "P-B,示例早已逾期,在建,10000,2000,,2023-01-01,2024-11-30,,,新村街道\n"         # late in every build
P_D = "P-D,示例三月开工,储备,5000,,,2025-03-12,2026-12-31,,,太平桥街道\n"          # not started late from 03-12
P_C = f"P-C,示例按期,在建,30000,10000,12000,2024-01-01,2026-12-31,{LIZE},\n"      # on track
V1 = HEADER + f"P-A,示例三月中到期,在建,20000,5000,8000,2023-01-01,2025-03-15,{LIZE},\n" + P_B + P_C + P_D
V2 = HEADER + f"P-A,示例三月中到期,在建,20000,5500,8000,2023-01-01,2025-03-15,{LIZE},\n" + P_B + P_C + P_D
V3 = V2 + "P-NEW,示例新列入已逾期,在建,1000,,,2023-01-01,2024-06-30,,,太平桥街道\n"
BROKEN = "项目编号,项目状态\nP-A,在建\n"    # no 项目名称: the build fails

# 12345 cases: (case, received, street, responded, resolved, satisfied); "" = not given.
CASES = [
    ("T1", "2025-01-05 09:00", "太平桥街道", "是", "是", "是"), ("T2", "2025-01-06 10:00", "太平桥街道", "是", "是", "否"),
    ("T3", "2025-01-07 11:00", "太平桥街道", "是", "否", "否"), ("T4", "2025-01-31 23:59", "太平桥街道", "否", "否", ""),
    ("X1", "2025-01-08 09:00", "新村街道", "是", "是", "是"), ("X2", "2025-01-09 09:00", "新村街道", "是", "是", "是"),
    ("F1", "2025-01-10 09:00", "丰台街道", "是", "是", "是"),
    ("B1", "2025-01-11 09:00", "北宫镇", "是", "是", "是"), ("W1", "2025-01-12 09:00", "王佐镇", "是", "否", "否"),
    ("T5", "2025-02-01 00:00", "太平桥街道", "是", "是", "是"), ("F2", "2025-02-03 09:00", "丰台街道", "是", "是", "否"),
    ("B2", "2025-02-04 09:00", "北宫镇", "是", "否", "否"), ("W2", "2025-02-05 09:00", "王佐镇", "是", "是", "是"),
    ("X3", "2025-03-02 09:00", "新村街道", "是", "是", "是"), ("T6", "2025-03-03 09:00", "太平桥街道", "是", "是", ""),
]
HOTLINE = "工单编号,受理时间,诉求类别,所属街镇,社区,响应,解决,满意\n" + "".join(
    f"{c},{t},停车,{s},示例社区01,{a},{b},{d}\n" for c, t, s, a, b, d in CASES)


def _source(folder: Path, projects: str) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "projects.csv").write_text(projects, encoding="utf-8")
    (folder / "hotline.csv").write_text(HOTLINE, encoding="utf-8")
    return folder


def _tables(store: object) -> dict[str, pd.DataFrame]:
    return {name: store.read(name) for name in ("zone_stats", "street_stats", STATS_HISTORY, "alerts",
                                                "street_ranking", "projects")}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("change")
    target = str(folder / "store.gpkg")
    store = open_store(target)
    out: dict = {"target": target, "folder": folder}
    for step, (projects, day) in enumerate([(V1, "2024-12-31"), (V2, "2025-03-20"), (V3, "2025-03-20")], start=1):
        out[f"report{step}"] = build(_source(folder / f"v{step}", projects), target, progress=False, as_of=day)
        out[f"tables{step}"] = _tables(store)
    out["token3"] = store.build_token()
    with pytest.raises(BuildError):
        build(_source(folder / "broken", BROKEN), target, progress=False, as_of="2025-03-25")
    out["tables4"] = _tables(store)
    out["token4"] = store.build_token()
    return out


# --- history ------------------------------------------------------------------------------------
def test_every_build_appends_its_day(builds: dict) -> None:
    h1, h2 = builds["tables1"][STATS_HISTORY], builds["tables2"][STATS_HISTORY]
    assert sorted(h1["as_of"].dt.date.astype(str).unique()) == ["2024-12-31"]
    assert sorted(h2["as_of"].dt.date.astype(str).unique()) == ["2024-12-31", "2025-03-20"]
    assert len(h2) == 2 * len(h1) == 2 * (8 + 26)            # 8 zones and 26 streets a day
    assert (h2.groupby(["as_of", "level"]).size().to_dict()
            == {(pd.Timestamp(d), lv): n for d in ("2024-12-31", "2025-03-20") for lv, n in (("street", 26), ("zone", 8))})
    assert builds["report2"]["stats_history"] == {"days": 2, "rows": 68, "added": 34, "replaced_same_day": False,
                                                  "first": "2024-12-31", "last": "2025-03-20"}
    assert list(h2.columns) == list(LAYERS[STATS_HISTORY].dtypes)


def test_a_days_rows_are_that_builds_stats(builds: dict) -> None:
    h2 = builds["tables2"][STATS_HISTORY]
    for step, day in ((1, "2024-12-31"), (2, "2025-03-20")):
        street = builds[f"tables{step}"]["street_stats"].set_index("street")
        rows = h2[(h2["as_of"] == pd.Timestamp(day)) & (h2["level"] == "street")].set_index("key")
        for column in ("projects", "projects_delayed", "investment_done", "investment_plan_year", "hotline_cases"):
            pd.testing.assert_series_equal(rows[column].astype(float).sort_index(),
                                           street[column].astype(float).sort_index(), check_names=False)


def test_the_second_builds_change_is_the_difference_of_the_snapshots(builds: dict) -> None:
    change = history_change(builds["tables2"][STATS_HISTORY]).set_index(["level", "key"])
    assert (change["since"] == pd.Timestamp("2024-12-31")).all() and (change["until"] == pd.Timestamp("2025-03-20")).all()
    for level, table, key in (("zone", "zone_stats", "zone_id"), ("street", "street_stats", "street")):
        before = builds["tables1"][table].set_index(key)
        after = builds["tables2"][table].set_index(key)
        for column in ("projects_delayed", "investment_done", "projects_running_late", "projects_not_started_late"):
            expected = (after[column].astype(float) - before[column].astype(float)).rename(None)
            got = change.loc[level][column].reindex(expected.index).rename(None)
            pd.testing.assert_series_equal(got, expected, check_names=False)
    # worked by hand: P-A (太平桥, lize) and P-D (太平桥) fell behind between the two days
    assert change.loc[("street", "太平桥街道"), "projects_delayed"] == 2
    assert change.loc[("street", "新村街道"), "projects_delayed"] == 0          # P-B was late already
    assert change.loc[("zone", "lize"), "investment_done"] == pytest.approx(0.05)   # 5,000 -> 5,500 万元


def test_a_same_day_rebuild_replaces_that_day(builds: dict) -> None:
    h3 = builds["tables3"][STATS_HISTORY]
    assert sorted(h3["as_of"].dt.date.astype(str).unique()) == ["2024-12-31", "2025-03-20"] and len(h3) == 68
    day = h3[(h3["as_of"] == pd.Timestamp("2025-03-20")) & (h3["level"] == "street")].set_index("key")
    was = builds["tables2"][STATS_HISTORY].query("level == 'street' and key == '太平桥街道'")
    assert was["projects"].tolist() == [3, 3]          # P-A, P-C (at the lize point), P-D on both days
    assert day.loc["太平桥街道", "projects"] == 4      # ... and P-NEW in the rebuild
    assert builds["report3"]["stats_history"]["replaced_same_day"] is True
    first = h3[h3["as_of"] == pd.Timestamp("2024-12-31")].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, builds["tables1"][STATS_HISTORY])   # an older day is kept as it was


def test_a_failed_build_adds_nothing(builds: dict) -> None:
    assert builds["token4"] == builds["token3"]
    pd.testing.assert_frame_equal(builds["tables4"][STATS_HISTORY], builds["tables3"][STATS_HISTORY])


def test_a_build_failing_after_the_history_was_merged_adds_nothing(builds: dict, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "copy.gpkg"
    shutil.copy(builds["target"], target)
    before = open_store(str(target)).read(STATS_HISTORY)
    import loaders.build as build_module

    def fail(frames: dict) -> None:
        assert len(frames[STATS_HISTORY]) == len(before) + 34     # the new day was there, in memory
        raise BuildError("内部一致性检查未通过（测试）")
    monkeypatch.setattr(build_module, "_check_store_frames", fail)
    with pytest.raises(BuildError):
        build(builds["folder"] / "v2", str(target), progress=False, as_of="2025-04-30")
    pd.testing.assert_frame_equal(open_store(str(target)).read(STATS_HISTORY), before)


def test_merge_history_keeps_rows_of_an_older_schema() -> None:
    day = pd.Timestamp("2025-01-31")
    old = pd.DataFrame({"as_of": [day], "level": ["street"], "key": ["太平桥街道"], "projects": [3],
                        "retired_column": ["x"]})           # no investment_plan_year; a column since dropped
    new = old.drop(columns="retired_column").assign(as_of=pd.Timestamp("2025-02-28"), projects=4)
    merged = merge_history(old, new)
    assert list(merged.columns) == list(LAYERS[STATS_HISTORY].dtypes)
    assert merged["projects"].tolist() == [3, 4] and merged["investment_plan_year"].isna().all()
    assert str(merged["projects"].dtype) == "Int64"


def test_history_list_and_drop(builds: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "drop.gpkg"
    shutil.copy(builds["target"], target)
    days = list_days(str(target))
    assert days["as_of"].dt.date.astype(str).tolist() == ["2024-12-31", "2025-03-20"]
    assert days["zones"].tolist() == [8, 8] and days["streets"].tolist() == [26, 26]
    before = {name: open_store(str(target)).read(name) for name in ("projects", "hotline", "street_ranking",
                                                                     "alerts", "zone_members")}
    assert main(["history", "--store", str(target), "--drop", "2024-12-31"]) == 0
    assert "34" in capsys.readouterr().out
    store = open_store(str(target))
    assert store.read(STATS_HISTORY)["as_of"].dt.date.astype(str).unique().tolist() == ["2025-03-20"]
    for name, frame in before.items():   # nothing else changed
        pd.testing.assert_frame_equal(pd.DataFrame(store.read(name)), pd.DataFrame(frame))
    report = store.read_report()
    assert report["as_of"] == "2025-03-20" and report["history_edits"][0]["dropped_as_of"] == "2024-12-31"
    token = store.build_token()
    assert main(["history", "--store", str(target), "--drop", "2024-12-31"]) == 2   # no such day: nothing written
    assert "2024-12-31" in capsys.readouterr().err and store.build_token() == token
    assert main(["history", "--store", str(target), "--list"]) == 0
    assert "2025-03-20" in capsys.readouterr().out
    with pytest.raises(BuildError):
        drop_day(str(tmp_path / "none.gpkg"), "2025-03-20")


# --- the ranking --------------------------------------------------------------------------------
def expected_ranking(weights: tuple[float, float, float] = (0.10, 0.45, 0.45)) -> pd.DataFrame:
    """The ranking worked out from CASES by other means than loaders.change."""
    cases = pd.DataFrame(CASES, columns=["case", "received", "street", "r", "s", "sat"])
    cases["month"] = pd.to_datetime(cases["received"]).dt.to_period("M").dt.to_timestamp().astype("datetime64[ms]")
    rows = []
    for (month, street), group in cases.groupby(["month", "street"]):
        rates = []
        for column in ("r", "s", "sat"):
            given = group[column][group[column] != ""]
            rates.append((given == "是").mean() if len(given) else np.nan)
        present = [(w, r) for w, r in zip(weights, rates) if not np.isnan(r)]
        score = 100 * sum(w * r for w, r in present) / sum(w for w, _ in present)
        rows.append({"month": month, "street": street, "group": "镇" if street.endswith("镇") else "街道",
                     "cases": len(group), "response_rate": rates[0], "resolution_rate": rates[1],
                     "satisfaction_rate": rates[2], "score": score})
    out = pd.DataFrame(rows)
    ranks = {}
    for (month, group), part in out.groupby(["month", "group"]):
        for i, row in part.iterrows():   # rank = 1 + how many score strictly better ('min' ties)
            ranks[i] = 1 + int((part["score"] > row["score"] + 1e-9).sum())
    out["rank"] = pd.Series(ranks)
    last = {(m + pd.DateOffset(months=1), s): r for m, s, r in zip(out["month"], out["street"], out["rank"])}
    out["rank_change"] = [last[(m, s)] - r if (m, s) in last else np.nan
                          for m, s, r in zip(out["month"], out["street"], out["rank"])]
    return out


def test_the_ranking_is_worked_out_again_from_the_case_file(builds: dict) -> None:
    got = builds["tables3"]["street_ranking"].set_index(["month", "street"]).sort_index()
    want = expected_ranking().set_index(["month", "street"]).sort_index()
    assert got.index.equals(want.index)
    for column in ("group", "cases", "response_rate", "resolution_rate", "satisfaction_rate", "score"):
        pd.testing.assert_series_equal(got[column], want[column], check_dtype=False, check_names=False)
    assert got["rank"].astype(float).tolist() == want["rank"].astype(float).tolist()
    assert got["rank_change"].astype(float).fillna(-99).tolist() == want["rank_change"].fillna(-99).tolist()
    assert got["cases_per_10k"].isna().all()          # the bundled streets carry no population
    assert builds["report3"]["ranking_weights"] == {"response": 0.10, "resolution": 0.45, "satisfaction": 0.45}


def test_the_ranking_by_hand(builds: dict) -> None:
    r = builds["tables3"]["street_ranking"].set_index(["month", "street"])
    jan, feb, mar = (pd.Timestamp(f"2025-0{m}-01") for m in (1, 2, 3))
    t = r.loc[(jan, "太平桥街道")]
    assert (t["cases"], t["response_rate"], t["resolution_rate"]) == (4, 0.75, 0.5)
    assert t["satisfaction_rate"] == pytest.approx(1 / 3)          # T4 gave no satisfaction
    assert t["score"] == pytest.approx(100 * (0.10 * 0.75 + 0.45 * 0.5 + 0.45 / 3))
    assert r.loc[(jan, "新村街道"), "rank"] == r.loc[(jan, "丰台街道"), "rank"] == 1    # a tie shares the rank
    assert t["rank"] == 3                                                              # ... and the next is 3
    assert (r.loc[(jan, "北宫镇"), "rank"], r.loc[(jan, "王佐镇"), "rank"]) == (1, 2)    # towns ranked apart
    assert (jan, "王佐镇") in r.index and r.loc[(jan, "王佐镇"), "group"] == "镇"
    assert (feb, "新村街道") not in r.index                                             # no case: no row
    assert r.loc[(feb, "太平桥街道"), "rank_change"] == 2                                # 3 -> 1: up two
    assert r.loc[(feb, "丰台街道"), "rank_change"] == -1                                 # 1 -> 2
    assert pd.isna(r.loc[(mar, "新村街道"), "rank_change"])                             # not ranked in February
    assert r.loc[(mar, "太平桥街道"), "score"] == 100.0                                  # no satisfaction: 2 rates
    assert r.loc[(mar, "太平桥街道"), "rank"] == r.loc[(mar, "新村街道"), "rank"] == 1


def test_ranking_weights_are_a_build_option(builds: dict, tmp_path: Path) -> None:
    report = build(builds["folder"] / "v1", str(tmp_path / "w.gpkg"), progress=False, as_of="2025-03-20",
                   ranking_weights=RankingWeights.parse("1,0,0"))
    assert report["ranking_weights"] == {"response": 1.0, "resolution": 0.0, "satisfaction": 0.0}
    r = open_store(str(tmp_path / "w.gpkg")).read("street_ranking").set_index(["month", "street"]).sort_index()
    want = expected_ranking((1.0, 0.0, 0.0)).set_index(["month", "street"]).sort_index()
    pd.testing.assert_series_equal(r["score"], want["score"], check_names=False)
    assert r.loc[(pd.Timestamp("2025-01-01"), "太平桥街道"), "score"] == 75.0
    for bad in ("1,2", "a,b,c", "0,0,0", "-1,1,1"):
        with pytest.raises(ValueError):
            RankingWeights.parse(bad)


def test_cases_per_10k_with_a_population() -> None:
    monthly = _monthly([("A", "2025-01", "parking", 30, 30)])
    streets = pd.DataFrame({"name": ["A"], "kind": ["街道"]})
    ranking = street_ranking(monthly, streets, pd.DataFrame({"street": ["A"], "population": [60_000.0]}))
    assert ranking["cases_per_10k"].tolist() == [5.0]
    assert street_ranking(monthly, streets, pd.DataFrame({"street": ["A"], "population": [np.nan]}))[
        "cases_per_10k"].isna().all()


# --- alerts: hotline_surge ----------------------------------------------------------------------
def _monthly(rows: list[tuple], level: str = "street") -> pd.DataFrame:
    """hotline_monthly rows: (key, "YYYY-MM", category, cases, known) with every known case
    responded, resolved and satisfied unless ``known`` says fewer carry the fields."""
    out = []
    for key, month, category, cases, known, *sat in rows:
        satisfied = sat[0] if sat else known
        out.append({"level": level, "key": key, "month": pd.Timestamp(month + "-01"), "category": category,
                    "cases": cases, "cases_estimate": float(cases), "responded_true": known,
                    "responded_known": known, "resolved_true": known, "resolved_known": known,
                    "satisfied_true": satisfied, "satisfied_known": known})
    return pd.DataFrame(out)


def _series(key: str, counts: list[int], start: str = "2025-01", category: str = "parking") -> list[tuple]:
    months = pd.period_range(start, periods=len(counts), freq="M").astype(str)
    return [(key, m, category, c, c) for m, c in zip(months, counts)]


SURGE_DAY = pd.Timestamp("2025-04-30")


def test_a_surge_alerts_with_its_numbers() -> None:
    monthly = _monthly(_series("马家堡街道", [31, 31, 31, 83]) + _series("太平桥街道", [30, 30, 30, 30]))
    alerts = hotline_surge(monthly, None, SURGE_DAY, RULES["hotline_surge"])
    [row] = alerts.to_dict("records")
    assert (row["rule"], row["level"], row["key"], row["period"]) == ("hotline_surge", "street", "马家堡街道", "2025-04")
    assert (row["value"], row["baseline"], row["severity"]) == (83, 31, "high")     # 83 / 31 = 2.68 >= 2.5
    assert row["message_zh"] == "马家堡街道 停车 诉求 83 件，前三月均 31 件，+168%"
    assert row["message_en"] == "Majiapu Subdistrict: 83 parking cases, 31 a month over the previous three, +168%"


@pytest.mark.parametrize("counts, alerts", [
    ([2, 2, 2, 6], 0),          # 2 -> 6 is not a surge: fewer than min_count (10)
    ([2, 2, 2, 12], 0),         # a baseline under min_baseline (3 a month)
    ([30, 30, 30, 30], 0),      # flat
    ([20, 20, 20, 29], 0),      # ratio 1.45 < 1.5
    ([20, 20, 20, 30], 1),      # ratio 1.5 exactly: medium
    ([4, 4, 4, 10], 1),         # the smallest that alerts: 10 cases against 4 a month
    ([0, 9, 0, 10], 1),         # a month without cases counts 0: mean 3
])
def test_small_numbers_never_alert(counts: list[int], alerts: int) -> None:
    # another street's cases start the data range in January, so every baseline month is in range
    monthly = _monthly(_series("A", counts) + _series("B", [5, 5, 5, 5]))
    monthly = monthly[monthly["cases"] > 0]
    found = hotline_surge(monthly, None, SURGE_DAY, RULES["hotline_surge"])
    assert len(found) == alerts
    if alerts:
        assert found["severity"].tolist() == ["medium" if counts[-1] / np.mean(counts[:3]) < 2.5 else "high"]


def test_no_surge_without_three_baseline_months_in_the_data() -> None:
    monthly = _monthly(_series("A", [30, 30, 90], start="2025-02"))    # the data begin in February
    assert hotline_surge(monthly, None, SURGE_DAY, RULES["hotline_surge"]).empty
    monthly = _monthly(_series("A", [30, 30, 30, 90], start="2025-01"))
    assert len(hotline_surge(monthly, None, SURGE_DAY, RULES["hotline_surge"])) == 1
    assert hotline_surge(_monthly(_series("A", [90])), None, SURGE_DAY, RULES["hotline_surge"]).empty   # first month


def test_the_latest_month_is_not_after_as_of() -> None:
    monthly = _monthly(_series("A", [30, 30, 30, 30, 90]))             # May's jump
    assert len(hotline_surge(monthly, None, pd.Timestamp("2025-05-02"), RULES["hotline_surge"])) == 1
    assert hotline_surge(monthly, None, pd.Timestamp("2025-04-30"), RULES["hotline_surge"]).empty   # April: flat


def test_a_community_surge() -> None:
    rows = []
    for month, n07, n08 in (("2025-01", 4, 8), ("2025-02", 4, 8), ("2025-03", 4, 8), ("2025-04", 12, 0)):
        rows += [("马家堡街道", "示例社区07", f"{month}-10 08:00", "parking")] * n07
        rows += [("马家堡街道", "示例社区08", f"{month}-11 08:00", "parking")] * n08
    hotline = pd.DataFrame(rows, columns=["street", "community", "received_at", "category"])
    hotline["received_at"] = pd.to_datetime(hotline["received_at"])
    monthly = _monthly([("马家堡街道", m, "parking", 12, 12) for m in ("2025-01", "2025-02", "2025-03", "2025-04")])
    found = hotline_surge(monthly, hotline, SURGE_DAY, RULES["hotline_surge"])
    [row] = found.to_dict("records")     # the street is flat (12 a month); one of its communities is not
    assert (row["level"], row["key"], row["value"], row["baseline"]) == ("community", "马家堡街道/示例社区07", 12, 4)
    assert row["message_zh"] == "马家堡街道 示例社区07 停车 诉求 12 件，前三月均 4.0 件，+200%"
    assert row["message_en"].startswith("“示例社区07”, Majiapu Subdistrict: 12 parking cases")


def test_thresholds_come_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[hotline_surge]\nmin_count = 100\n", encoding="utf-8")
    rules = load_alert_rules(path)
    assert rules["hotline_surge"]["min_count"] == 100 and rules["hotline_surge"]["ratio"] == 1.5   # the rest kept
    monthly = _monthly(_series("A", [31, 31, 31, 83]))
    assert hotline_surge(monthly, None, SURGE_DAY, rules["hotline_surge"]).empty
    for text in ("[hotline_surge]\nmin_cuont = 1\n", "[surge]\nmin_count = 1\n", "[rate_drop]\ndrop = 'x'\n",
                 "[rate_drop]\nenabled = 1\n", "not toml [", "[hotline_surge]\nbaseline_months = 0\n"):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(BuildError):
            load_alert_rules(path)


def test_alert_rules_on_the_command_line(builds: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rules, report = tmp_path / "rules.toml", tmp_path / "report.json"
    rules.write_text("[project_newly_delayed]\nenabled = false\n[investment_behind]\ntolerance = 0.5\n",
                     encoding="utf-8")
    args = ["build", "--source", str(builds["folder"] / "v1"), "--store", str(tmp_path / "cli.gpkg"), "--quiet",
            "--as-of", "2025-03-20", "--alert-rules", str(rules), "--ranking-weights", "0.2,0.4,0.4",
            "--report", str(report)]
    assert main(args) == 0
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["as_of"] == "2025-03-20"
    assert written["alert_rules"]["project_newly_delayed"]["enabled"] is False
    assert written["alert_rules"]["investment_behind"] == {**RULES["investment_behind"], "tolerance": 0.5}
    assert written["ranking_weights"] == {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}
    assert set(written["alerts"]) == {"hotline_surge", "rate_drop", "project_newly_delayed", "investment_behind",
                                      "needs_overdue_growing"}
    rules.write_text("[hotline_surge]\nratio = -1\n", encoding="utf-8")
    assert main(args) == 2
    assert "ratio" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["build", "--as-of", "2025-02-30", "--store", str(tmp_path / "x.gpkg")])
    with pytest.raises(SystemExit):
        main(["build", "--ranking-weights", "1,1", "--store", str(tmp_path / "x.gpkg")])


# --- alerts: rate_drop --------------------------------------------------------------------------
@pytest.mark.parametrize("known, satisfied, alerts", [
    ((40, 40), (36, 30), 1),     # 90 % -> 75 %: 15 points
    ((40, 40), (36, 34), 0),     # 90 % -> 85 %
    ((20, 40), (18, 30), 0),     # last month under 30 cases
    ((40, 29), (36, 21), 0),     # this month under 30
    ((50, 50), (45, 40), 0),     # exactly 10 points: not more than 10
    ((50, 50), (45, 30), 1),     # 30 points: high
])
def test_rate_drop(known: tuple[int, int], satisfied: tuple[int, int], alerts: int) -> None:
    monthly = _monthly([("卢沟桥街道", "2025-03", "parking", known[0], known[0], satisfied[0]),
                        ("卢沟桥街道", "2025-04", "parking", known[1], known[1], satisfied[1])])
    found = rate_drop(monthly, SURGE_DAY, RULES["rate_drop"])
    assert len(found) == alerts
    if alerts:
        row = found.iloc[0]
        before, now = satisfied[0] / known[0], satisfied[1] / known[1]
        assert (row["key"], row["period"], row["value"], row["baseline"]) == ("卢沟桥街道", "2025-04", now, before)
        assert row["severity"] == ("high" if before - now >= 0.2 else "medium")
        assert "满意率" in row["message_zh"] and f"{now:.1%}" in row["message_zh"]
        assert row["message_en"].startswith("Lugouqiao Subdistrict: satisfaction rate")


def test_rate_drop_needs_the_month_before() -> None:
    monthly = _monthly([("A", "2025-02", "parking", 40, 40, 36), ("A", "2025-04", "parking", 40, 40, 20)])
    assert rate_drop(monthly, SURGE_DAY, RULES["rate_drop"]).empty      # March missing


# --- alerts: project_newly_delayed --------------------------------------------------------------
def test_projects_newly_delayed_across_two_builds(builds: dict) -> None:
    assert builds["tables1"]["alerts"].query("rule == 'project_newly_delayed'").empty   # no previous build
    alerts = builds["tables2"]["alerts"].query("rule == 'project_newly_delayed'").set_index("key")
    assert sorted(alerts.index) == ["P-A", "P-D"]       # P-B was late before; P-C is on track
    assert alerts.loc["P-A", "value"] == 5 and alerts.loc["P-D", "value"] == 8   # days behind on 03-20
    assert alerts.loc["P-A", "period"] == "2025-03-20" and alerts["severity"].eq("medium").all()
    assert alerts.loc["P-A", "message_zh"] == ("示例三月中到期（P-A）逾期未竣工，滞后 5 天（计划竣工 2025-03-15）；"
                                               "上次构建（2024-12-31）时按计划")
    assert alerts.loc["P-D", "message_en"].startswith("“示例三月开工” (P-D): not started by its planned start, 8 days")
    again = builds["tables3"]["alerts"].query("rule == 'project_newly_delayed'")
    assert sorted(again["key"]) == ["P-A", "P-D"]        # the same-day rebuild keeps them; P-NEW was never on time


def test_project_newly_delayed_baseline_rules() -> None:
    projects = pd.DataFrame({"project_id": ["P1", "P2"], "name": ["甲", "乙"],
                             "schedule": ["running_late", "running_late"], "days_late": [120, 3],
                             "planned_start": pd.to_datetime(["2020-01-01"] * 2),
                             "planned_completion": pd.to_datetime(["2025-01-01", "2025-04-28"])})
    day = pd.Timestamp("2025-05-01")
    before = pd.DataFrame({"project_id": ["P1", "P2"], "schedule": ["on_track", "no_plan"]})
    found = project_newly_delayed(projects, PreviousBuild(projects=before, as_of=pd.Timestamp("2025-04-01")),
                                  day, RULES["project_newly_delayed"])
    assert found.set_index("key")["severity"].to_dict() == {"P1": "high", "P2": "medium"}   # 120 days >= 90
    assert project_newly_delayed(projects, PreviousBuild(), day, RULES["project_newly_delayed"]).empty
    later = PreviousBuild(projects=before, as_of=pd.Timestamp("2025-06-01"))   # a "previous" build dated later
    assert project_newly_delayed(projects, later, day, RULES["project_newly_delayed"]).empty


# --- alerts: investment_behind ------------------------------------------------------------------
def test_investment_behind_across_two_builds(builds: dict) -> None:
    alerts = builds["tables2"]["alerts"].query("rule == 'investment_behind'")
    [row] = alerts.to_dict("records")
    expected = 79 / 365 * 2.0             # 2025-03-20 is day 79; lize's plan 8,000 + 12,000 万元 = 2 亿元
    assert (row["level"], row["key"], row["period"]) == ("zone", "lize", "2025-03-20")
    assert row["value"] == pytest.approx(0.05) and row["baseline"] == pytest.approx(expected)
    assert row["severity"] == "high"      # 0.05 < 70 % of 0.43
    assert row["message_zh"].startswith("丽泽金融商务区 今年完成投资 0.05 亿元（现累计 1.55 亿元，上年末 2024-12-31 累计 1.50 亿元）")
    assert f"{expected:,.2f} 亿元" in row["message_zh"] and "年度计划 2.00 亿元" in row["message_zh"]
    assert "5.0 million yuan invested this year" in row["message_en"]
    assert builds["tables1"]["alerts"].query("rule == 'investment_behind'").empty     # no 2023 snapshot


def _zone_history(rows: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"as_of": pd.to_datetime([d for d, _ in rows]), "level": "zone", "key": "z",
                         "investment_done": [v for _, v in rows]})


@pytest.mark.parametrize("done_now, plan, history, alerts", [
    (12.0, 10.0, [("2024-11-30", 0.0), ("2024-12-31", 10.0)], "high"),    # 2 done, 5.01 expected
    (14.0, 10.0, [("2024-12-31", 10.0)], "medium"),                      # 4.0 < 85 % of 5.01, not < 70 %
    (14.5, 10.0, [("2024-12-31", 10.0)], None),                          # 4.5: within the 15 % tolerance
    (15.0, 10.0, [("2024-12-31", 10.0)], None),                          # 5.0 done, on time
    (10.1, 0.9, [("2024-12-31", 10.0)], None),                           # a plan under 1 亿元
    (12.0, 10.0, [("2025-01-31", 10.0)], None),                          # no snapshot of 2024
    (12.0, 10.0, [("2023-12-31", 10.0)], None),                          # only of 2023
])
def test_investment_behind(done_now: float, plan: float, history: list, alerts: str | None) -> None:
    day = pd.Timestamp("2025-07-02")     # day 183 of 365: expected = 0.5014 × plan
    stats = pd.DataFrame({"zone_id": ["z"], "investment_done": [done_now], "investment_plan_year": [plan]})
    zones = pd.DataFrame({"zone_id": ["z"], "name": ["示例区"], "name_en": ["Sample zone"]})
    found = investment_behind(stats, zones, _zone_history(history), day, RULES["investment_behind"])
    expected = 183 / 365 * plan
    done = done_now - history[-1][1]
    want = None
    if plan >= 1 and history[-1][0].startswith("2024") and done < expected * 0.85:
        want = "high" if done < expected * 0.70 else "medium"
    assert want == alerts
    assert (found["severity"].tolist() or [None]) == [alerts]


def test_investment_behind_in_a_leap_year() -> None:
    stats = pd.DataFrame({"zone_id": ["z"], "investment_done": [10.0], "investment_plan_year": [36.6]})
    zones = pd.DataFrame({"zone_id": ["z"], "name": ["示例区"], "name_en": ["Sample zone"]})
    found = investment_behind(stats, zones, _zone_history([("2027-12-31", 0.0)]), pd.Timestamp("2028-12-31"),
                              RULES["investment_behind"])
    assert found["baseline"].tolist() == [pytest.approx(36.6)]     # day 366 of 366


# --- as_of ---------------------------------------------------------------------------------------
def test_as_of_defaults_to_the_beijing_day_whatever_the_machines_zone(builds: dict, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from datetime import datetime, timezone
    now = datetime(2025, 3, 9, 16, 30, tzinfo=timezone.utc)        # 00:30 on 03-10 in Beijing
    monkeypatch.setenv("TZ", "EST5")     # POSIX: UTC-5, no summer time
    time.tzset()
    try:
        report = build(builds["folder"] / "v1", str(tmp_path / "tz.gpkg"), progress=False, now=now)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert report["as_of"] == "2025-03-10" and report["built_at"].startswith("2025-03-09T11:30")
    history = open_store(str(tmp_path / "tz.gpkg")).read(STATS_HISTORY)
    assert (history["as_of"] == pd.Timestamp("2025-03-10")).all()


def test_investment_plan_year_is_read_in_yi_yuan(builds: dict) -> None:
    projects = builds["tables2"]["projects"].set_index("project_id")
    assert projects.loc["P-A", "investment_plan_year"] == pytest.approx(0.8)      # 8,000 万元
    assert pd.isna(projects.loc["P-B", "investment_plan_year"])
    zone = builds["tables2"]["zone_stats"].set_index("zone_id")
    assert zone.loc["lize", "investment_plan_year"] == pytest.approx(2.0)
    assert pd.isna(zone.loc["hexi", "investment_plan_year"])                      # no project carries one


# --- both stores ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def postgis_url() -> str:
    server = PostGISServer().start()
    yield server.url
    server.stop()


@pytest.mark.postgis
def test_history_survives_two_builds_into_postgis(builds: dict, postgis_url: str) -> None:
    build(builds["folder"] / "v1", postgis_url, progress=False, as_of="2024-12-31")
    report = build(builds["folder"] / "v2", postgis_url, progress=False, as_of="2025-03-20")
    store = open_store(postgis_url)
    history = store.read(STATS_HISTORY)
    assert report["stats_history"]["days"] == 2 and len(history) == 68
    gpkg = builds["tables2"][STATS_HISTORY]
    pd.testing.assert_frame_equal(history.sort_values(["as_of", "level", "key"]).reset_index(drop=True),
                                  gpkg.sort_values(["as_of", "level", "key"]).reset_index(drop=True))
    alerts = store.read("alerts")
    assert sorted(alerts.query("rule == 'project_newly_delayed'")["key"]) == ["P-A", "P-D"]
    assert alerts.query("rule == 'investment_behind'")["key"].tolist() == ["lize"]
    assert drop_day(postgis_url, "2024-12-31") == 34
    assert store.read(STATS_HISTORY)["as_of"].nunique() == 1 and len(store.read("projects")) == 4
