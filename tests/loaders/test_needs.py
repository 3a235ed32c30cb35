"""Enterprise needs (企业需求清单): the join to enterprises, the rejections, days open, overdue at
the limit's edge, the titled ledger XLSX, the station link, the figures and the alert."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from loaders.build import build
from loaders.change import needs_overdue_growing
from loaders.schema import PERSONAL_COLUMNS
from loaders.store import open_store
from tests.loaders.conftest import KNOWN, rejects_by_row

AS_OF = "2026-06-30"


def _codes(n: int) -> list[str]:
    from loaders.sample import uscc
    return list(uscc(np.random.default_rng(7), n))


CODES = _codes(5)
ENTERPRISES = pd.DataFrame({
    "统一社会信用代码": CODES[:4],
    "企业名称": ["示例丽泽甲公司", "示例长辛店乙公司", "示例无坐标丙公司", "示例新村丁公司"],
    "经度": [KNOWN["lize"][0], KNOWN["changxindian"][0], None, KNOWN["lize_station"][0]],
    "纬度": [KNOWN["lize"][1], KNOWN["changxindian"][1], None, KNOWN["lize_station"][1]],
    "所属街镇": ["", "", "丰台街道", ""],
    "联系人": ["张三", "", "", ""],
})
# Two 先丰港 (P1 beside the lize point in 太平桥街道; P2 in 丰台街道, inside the lize zone) and a 先丰站.
STATIONS = pd.DataFrame({"站点编号": ["P1", "P2", "C1"], "站点名称": ["示例港一", "示例港二", "示例站"],
                         "类型": ["先丰港", "先丰港", "先丰站"], "经度": [116.313, 116.30, 116.2],
                         "纬度": [39.867, 39.86, 39.83]})


def _needs(rows: list[dict]) -> pd.DataFrame:
    columns = {"need_id": "诉求编号", "uscc": "统一社会信用代码", "category": "诉求类别", "raised_at": "提出时间",
               "closed_at": "办结时间", "status": "状态", "owner_unit": "责任单位", "satisfied": "企业满意",
               "summary": "诉求内容"}
    frame = pd.DataFrame(rows).reindex(columns=list(columns)).astype(object).fillna("")
    return frame.rename(columns=columns)


def _source(folder: Path, needs: pd.DataFrame | None = None, name: str = "needs.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ENTERPRISES.to_csv(folder / "enterprises.csv", index=False)
    STATIONS.to_csv(folder / "stations.csv", index=False)
    if needs is not None:
        needs.to_csv(folder / name, index=False)
    return folder


def _build(tmp_path: Path, needs: pd.DataFrame, **options) -> tuple[dict, object]:
    source = _source(tmp_path / "src", needs)
    target = str(tmp_path / "store.gpkg")
    report = build(source, target, progress=False, as_of=options.pop("as_of", AS_OF), **options)
    return report, open_store(target)


BASIC = [
    {"need_id": "N1", "uscc": CODES[0], "category": "用地", "raised_at": "2026-05-01", "status": "办理中",
     "owner_unit": "示例区规划自然资源分局", "summary": "联系人张三 13800000000"},
    {"need_id": "N2", "uscc": CODES[1], "category": "融资", "raised_at": "2026-06-01", "closed_at": "2026-06-10",
     "status": "已办结", "satisfied": "是"},
    {"need_id": "N3", "uscc": CODES[2], "category": "talent", "raised_at": "2026-05-30", "status": "open"},
    {"need_id": "N4", "uscc": CODES[3], "category": "审批", "raised_at": "46000", "status": ""},
    {"need_id": "N5", "uscc": CODES[4], "category": "政策", "raised_at": "2026-01-01", "status": "办理中"},
    {"need_id": "N6", "uscc": CODES[0], "category": "房屋", "raised_at": "2026-03-01", "status": "已办结"},
    {"need_id": "N7", "uscc": CODES[0], "category": "其他", "raised_at": "2026-03-01", "closed_at": "2026-02-01",
     "status": "已办结"},
    {"need_id": "N1", "uscc": CODES[0], "category": "finance", "raised_at": "2026-03-01", "status": "办理中"},
    {"need_id": "N8", "uscc": CODES[0], "category": "finance", "raised_at": "2026-03-01", "closed_at": "2026-03-01",
     "status": "已办结", "satisfied": "否"},
]


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object]:
    return _build(tmp_path_factory.mktemp("needs"), _needs(BASIC))


def _need(store: object, need_id: str) -> pd.Series:
    frame = store.read("needs")
    return frame.set_index("need_id").loc[need_id]


def test_every_row_is_loaded_or_rejected_with_a_reason(basic: tuple[dict, object]) -> None:
    report, store = basic
    counts = report["layers"]["needs"]
    assert (counts["read"], counts["loaded"], counts["rejected"]) == (9, 5, 4)
    assert set(store.read("needs")["need_id"]) == {"N1", "N2", "N3", "N4", "N8"}


def test_uscc_joins_the_enterprise_and_an_unknown_one_is_rejected(basic: tuple[dict, object]) -> None:
    report, store = basic
    rejects = rejects_by_row(report, "needs")
    unknown = rejects[6]   # N5: a well-formed code no loaded enterprise has
    assert unknown["column"] == "uscc" and unknown["value"] == CODES[4] and unknown["file"] == "needs.csv"
    assert "找不到" in unknown["reason"] and "matches no loaded enterprise" in unknown["reason_en"]
    n1 = _need(store, "N1")
    assert n1["enterprise_name"] == "示例丽泽甲公司" and n1["street"] == "太平桥街道" and "lize" in n1["zone_ids"]
    assert n1["placement"] == "coordinates"
    assert abs(n1["lon"] - KNOWN["lize"][0]) < 1e-6 and abs(n1["lat"] - KNOWN["lize"][1]) < 1e-6
    members = store.read_members("needs")
    assert set(members.loc[members["record_id"] == "N1", "zone_id"]) == {"lize"}


def test_a_need_of_an_enterprise_without_a_point_stays_unplaced(basic: tuple[dict, object]) -> None:
    _, store = basic
    n3 = _need(store, "N3")
    assert n3["placement"] == "street" and n3["street"] == "丰台街道"
    assert n3.geometry is None or n3.geometry.is_empty
    assert pd.isna(n3["lon"]) and n3["zone_ids"] == ""


def test_closed_without_a_closing_date_is_rejected(basic: tuple[dict, object]) -> None:
    reject = rejects_by_row(basic[0], "needs")[7]   # N6
    assert reject["column"] == "status" and reject["value"] == "已办结"
    assert "没有填写办结时间" in reject["reason"] and "no closing date" in reject["reason_en"]


def test_closing_before_raising_is_rejected_and_the_same_day_is_not(basic: tuple[dict, object]) -> None:
    reject = rejects_by_row(basic[0], "needs")[8]   # N7
    assert reject["column"] == "closed_at" and reject["value"] == "2026-02-01"
    assert "早于提出时间" in reject["reason"] and "before" in reject["reason_en"]
    n8 = _need(basic[1], "N8")   # closed the day it was raised
    assert n8["status"] == "closed" and n8["days_to_close"] == 0


def test_a_repeated_need_id_is_rejected(basic: tuple[dict, object]) -> None:
    reject = rejects_by_row(basic[0], "needs")[9]
    assert reject["column"] == "need_id" and "第 2 行" in reject["reason"] and "row 2" in reject["reason_en"]


def test_days_open_on_a_fixed_as_of_date(basic: tuple[dict, object]) -> None:
    _, store = basic
    assert _need(store, "N1")["days_open"] == 60           # 2026-05-01 .. 2026-06-30
    n4 = _need(store, "N4")                                # raised 46000 (an Excel serial: 2025-12-09), no status
    assert n4["raised_at"] == pd.Timestamp("2025-12-09") and n4["status"] == "open" and n4["days_open"] == 203
    assert pd.isna(_need(store, "N2")["days_open"]) and _need(store, "N2")["days_to_close"] == 9


def test_overdue_at_the_limits_edge(tmp_path: Path) -> None:
    rows = [{"need_id": "D30", "uscc": CODES[0], "raised_at": "2026-05-31", "status": "办理中"},   # 30 days
            {"need_id": "D31", "uscc": CODES[0], "raised_at": "2026-05-30", "status": "办理中"},   # 31 days
            {"need_id": "C99", "uscc": CODES[0], "raised_at": "2026-01-01", "closed_at": "2026-05-01",
             "status": "已办结"}]
    report, store = _build(tmp_path / "a", _needs(rows))
    needs = store.read("needs").set_index("need_id")
    assert needs.loc["D30", "days_open"] == 30 and not needs.loc["D30", "overdue"]
    assert needs.loc["D31", "days_open"] == 31 and needs.loc["D31", "overdue"]
    assert not needs.loc["C99", "overdue"]                 # closed is never overdue
    lize = store.read("zone_stats").set_index("zone_id").loc["lize"]
    assert (lize["needs_open"], lize["needs_overdue"], lize["needs_closed"]) == (2, 1, 1)
    assert lize["needs_overdue_days"] == 30 and report["needs_overdue_days"] == 30
    # the limit is a build option
    _, store = _build(tmp_path / "b", _needs(rows), needs_overdue_days=29)
    assert store.read("needs").set_index("need_id")["overdue"].to_dict() == {"D30": True, "D31": True, "C99": False}


def test_the_build_command_takes_the_overdue_limit(tmp_path: Path) -> None:
    from loaders.__main__ import main
    rows = [{"need_id": "D31", "uscc": CODES[0], "raised_at": "2026-05-30", "status": "办理中"}]
    source = _source(tmp_path / "src", _needs(rows))
    target = str(tmp_path / "cli.gpkg")
    assert main(["build", "--source", str(source), "--store", target, "--as-of", AS_OF, "--quiet",
                 "--needs-overdue-days", "31"]) == 0
    assert not open_store(target).read("needs")["overdue"].any()
    with pytest.raises(SystemExit):
        main(["build", "--source", str(source), "--store", target, "--needs-overdue-days", "0"])


def test_zone_and_street_figures(basic: tuple[dict, object]) -> None:
    _, store = basic
    lize = store.read("zone_stats").set_index("zone_id").loc["lize"]
    # in lize: N1 (open 60 days), N4 (open 203 days, via 新村街道's lize part), N8 (closed, not satisfied)
    assert (lize["needs"], lize["needs_open"], lize["needs_closed"], lize["needs_overdue"]) == (3, 2, 1, 2)
    assert lize["needs_closure_rate"] == pytest.approx(1 / 3)
    assert lize["needs_median_days_open"] == pytest.approx((60 + 203) / 2)
    assert lize["needs_satisfaction_rate"] == 0.0
    streets = store.read("street_stats").set_index("street")
    assert streets.loc["丰台街道", "needs"] == 1 and streets.loc["丰台街道", "needs_median_days_open"] == 31
    assert streets.loc["长辛店街道", "needs_satisfaction_rate"] == 1.0
    assert np.isnan(streets.loc["长辛店街道", "needs_median_days_open"])   # nothing open there
    assert np.isnan(streets.loc["卢沟桥街道", "needs_closure_rate"])       # no need at all: no rate
    history = store.read("stats_history")
    assert "needs_overdue" in history.columns and history["needs_overdue"].notna().any()


def test_station_link(basic: tuple[dict, object]) -> None:
    _, store = basic
    needs = store.read("needs").set_index("need_id")
    assert needs.loc["N1", ["station_id", "station_link"]].tolist() == ["P1", "street"]   # nearest in its street
    assert 100 < needs.loc["N1", "station_m"] < 200
    assert needs.loc["N4", ["station_id", "station_link"]].tolist() == ["P2", "zone"]     # none in 新村街道
    assert needs.loc["N3", ["station_id", "station_link"]].tolist() == ["P2", "street_only"]  # no point
    assert pd.isna(needs.loc["N3", "station_m"])
    assert pd.isna(needs.loc["N2", "station_id"]) and pd.isna(needs.loc["N2", "station_link"])   # none near
    breakdown = store.read("needs_breakdown")
    p2 = breakdown[(breakdown["level"] == "station") & (breakdown["key"] == "P2") & (breakdown["category"] == "all")]
    assert p2[["needs", "open", "overdue"]].iloc[0].tolist() == [2, 2, 2]
    lize = breakdown[(breakdown["level"] == "zone") & (breakdown["key"] == "lize")].set_index("category")
    assert lize.loc["all", "needs"] == 3 and lize.loc["land", "open"] == 1 and lize.loc["finance", "closed"] == 1


def test_the_summary_is_personal_data_and_masked(basic: tuple[dict, object]) -> None:
    from dashboard.security.access import PERSONAL_MASKED, PERSONAL_OMITTED, for_viewer
    assert PERSONAL_COLUMNS["needs"] == ("summary",)
    needs = basic[1].read("needs")
    masked = for_viewer(needs, "needs", PERSONAL_MASKED)
    text = masked.set_index("need_id").loc["N1", "summary"]
    assert text == "***" and "13800000000" not in masked.to_string()
    assert "summary" not in for_viewer(needs, "needs", PERSONAL_OMITTED).columns


def _ledger_xlsx(path: Path) -> None:
    """A ledger as an office keeps it: a merged title row, 办理情况 merged over two header rows,
    dates as a date cell, an Excel serial and Chinese text, statuses in Chinese."""
    book = Workbook()
    sheet = book.active
    header = ["诉求编号", "统一社会信用代码", "诉求类别", "提出时间", "状态", "办结时间", "企业满意", "诉求内容"]
    sheet.cell(1, 1, "丰台区企业需求清单（示例数据）")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    for c, name in enumerate(header, start=1):
        if name in ("状态", "办结时间", "企业满意"):
            sheet.cell(2, c, "办理情况")
            sheet.cell(3, c, name)
        else:
            sheet.cell(2, c, name)
            sheet.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    sheet.merge_cells(start_row=2, start_column=5, end_row=2, end_column=7)
    rows = [["X1", CODES[0], "融资", date(2026, 3, 2), "已办结", 46099, "是", "（示例）"],      # 46099 = 2026-03-18
            ["X2", CODES[1], "审批", 46082, "办理中", None, None, "（示例）"],                # 46082 = 2026-03-01
            ["X3", CODES[0], "政策", "2026年4月5日", "已办结", "2026年4月20日", "否", "（示例）"]]
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(r, c, value)
    book.save(path)


def test_a_titled_ledger_xlsx_with_merged_headers_and_excel_serial_dates(tmp_path: Path) -> None:
    source = _source(tmp_path / "src")
    _ledger_xlsx(source / "needs.xlsx")
    report = build(source, str(tmp_path / "store.gpkg"), progress=False, as_of=AS_OF)
    assert report["layers"]["needs"] == {**report["layers"]["needs"], "read": 3, "loaded": 3, "rejected": 0}
    needs = open_store(str(tmp_path / "store.gpkg")).read("needs").set_index("need_id")
    assert needs.loc["X1", ["raised_at", "closed_at"]].tolist() == [pd.Timestamp("2026-03-02"),
                                                                    pd.Timestamp("2026-03-18")]
    assert needs.loc["X2", "raised_at"] == pd.Timestamp("2026-03-01") and needs.loc["X2", "status"] == "open"
    assert needs.loc["X2", "days_open"] == 121
    assert needs.loc["X3", ["raised_at", "closed_at", "status"]].tolist() == [
        pd.Timestamp("2026-04-05"), pd.Timestamp("2026-04-20"), "closed"]
    assert needs["satisfied"].tolist()[::2] == [True, False] and pd.isna(needs.loc["X2", "satisfied"])
    assert needs["category"].to_dict() == {"X1": "finance", "X2": "permits", "X3": "policy"}
    rows = rejects_by_row(report, "needs")
    assert rows == {}
    assert needs["source_row"].tolist() == [4, 5, 6]        # as the spreadsheet shows them


def test_needs_without_enterprises_are_all_rejected(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    STATIONS.to_csv(source / "stations.csv", index=False)
    _needs(BASIC[:2]).to_csv(source / "needs.csv", index=False)
    report = build(source, str(tmp_path / "store.gpkg"), progress=False, as_of=AS_OF)
    assert report["layers"]["needs"]["loaded"] == 0 and report["layers"]["needs"]["rejected"] == 2
    assert all("未加载任何企业" in r["reason"] for r in report["rejects"] if r["layer"] == "needs")


# ---------------------------------------------------------------- monthly figures and the alert
RULES = {"enabled": True, "min_count": 10, "min_increase": 5, "high_ratio": 2.0}
ZONES = pd.DataFrame({"zone_id": ["lize", "hexi"], "name": ["丽泽金融商务区", "河西"], "name_en": ["Lize", None]})


def _monthly(counts: dict[str, list[int]]) -> pd.DataFrame:
    months = pd.date_range("2026-04-01", periods=3, freq="MS")
    rows = [{"level": "zone", "key": k, "month": m, "raised": 0, "closed": 0, "open_at_end": v,
             "overdue_at_end": v} for k, values in counts.items() for m, v in zip(months, values)]
    return pd.DataFrame(rows)


def test_overdue_growing_two_months_running_alerts() -> None:
    alerts = needs_overdue_growing(_monthly({"lize": [10, 14, 22], "hexi": [30, 29, 40]}), ZONES, AS_OF, RULES)
    assert alerts["key"].tolist() == ["lize"]                  # hexi did not grow in May
    row = alerts.iloc[0]
    assert (row["rule"], row["level"], row["period"], row["value"], row["baseline"]) == (
        "needs_overdue_growing", "zone", "2026-06", 22, 10)
    assert row["severity"] == "high" and "连续两个月增加" in row["message_zh"] and "Lize" in row["message_en"]


def test_small_numbers_never_alert() -> None:
    assert needs_overdue_growing(_monthly({"lize": [1, 3, 9]}), ZONES, AS_OF, RULES).empty   # below min_count
    assert needs_overdue_growing(_monthly({"lize": [10, 11, 13]}), ZONES, AS_OF, RULES).empty  # +3 < min_increase
    assert needs_overdue_growing(_monthly({"lize": [10, 14, 22]}), ZONES, AS_OF,
                                 {**RULES, "enabled": False}).empty


def test_needs_monthly_reconstructs_month_ends(basic: tuple[dict, object]) -> None:
    monthly = basic[1].read("needs_monthly")
    lize = monthly[(monthly["level"] == "zone") & (monthly["key"] == "lize")].set_index("month")
    # N4 raised 2025-12-09 (open), N8 raised and closed 2026-03-01, N1 raised 2026-05-01 (open)
    assert lize.loc["2025-12-01", ["raised", "open_at_end", "overdue_at_end"]].tolist() == [1, 1, 0]
    assert lize.loc["2026-03-01", ["raised", "closed", "open_at_end"]].tolist() == [1, 1, 1]
    assert lize.loc["2026-05-01", ["raised", "open_at_end", "overdue_at_end"]].tolist() == [1, 2, 1]
    assert lize.loc["2026-06-01", ["open_at_end", "overdue_at_end"]].tolist() == [2, 2]   # as of 2026-06-30


# ---------------------------------------------------------------- the bundled sample
def test_the_sample_has_a_needs_ledger(tmp_path: Path) -> None:
    report = build(None, str(tmp_path / "sample.gpkg"), progress=False)
    counts = report["layers"]["needs"]
    assert counts["file"] == "needs.xlsx" and counts["read"] > 2_000 and counts["rejected"] == 9
    reasons = {r["column"] for r in report["rejects"] if r["layer"] == "needs"}
    assert reasons == {"uscc", "status", "closed_at", "need_id"}
    store = open_store(str(tmp_path / "sample.gpkg"))
    needs = store.read("needs")
    assert needs["overdue"].sum() > 50 and (needs["status"] == "closed").sum() > 2_000
    assert needs["satisfied"].notna().sum() > 1_000 and needs["station_id"].notna().mean() > 0.5
    alerts = store.read("alerts")
    assert "lize" in set(alerts.loc[alerts["rule"] == "needs_overdue_growing", "key"])
    assert report["sample_data"] is True
