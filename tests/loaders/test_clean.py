"""loaders.clean: numbers and units, full-width text, enums, dates, USCC, duplicates.

Each reject is checked for its exact row (as a spreadsheet shows it) and reason.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loaders.clean import (
    _clean_coord_sys,
    clean_layer,
    normalise_text,
    parse_dates,
    parse_enum,
    parse_number,
    uscc_check_character,
)
from loaders.read import LayerTable, read_layer_file
from loaders.report import Problems
from loaders.schema import SOURCE_ROW, STATUS, YES_NO
from tests.conftest import DATA
from tests.loaders.conftest import FIXTURES

# Independent GB 32100-2015 check: 31 characters (no I, O, Z, S, V), weights 3^i mod 31.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
HUAWEI = "914403001922038216"   # 华为技术有限公司, published
XIAOMI = "91110108551385082Q"   # 小米科技有限责任公司, published


def gb32100_check(body: str) -> str:
    total = sum(CHARSET.index(ch) * (3 ** i % 31) for i, ch in enumerate(body[:17]))
    return CHARSET[(31 - total % 31) % 31]


def reasons(result) -> dict[int, tuple[str, str]]:  # noqa: ANN001 - CleanResult
    return {int(r.row): (r.column, r.reason) for r in result.rejects.itertuples()}


def reasons_en(result) -> dict[int, str]:  # noqa: ANN001 - CleanResult
    return {int(r.row): r.reason_en for r in result.rejects.itertuples()}


@pytest.fixture(scope="module")
def gbk_projects():
    return clean_layer(read_layer_file("projects", DATA / "projects_gbk.csv"))


@pytest.fixture(scope="module")
def enterprises():
    return clean_layer(read_layer_file("enterprises", DATA / "enterprises_uscc.csv"))


# --- USCC --------------------------------------------------------------------------------
def test_published_codes_pass_an_independent_check() -> None:
    assert gb32100_check(HUAWEI) == HUAWEI[17]
    assert gb32100_check(XIAOMI) == XIAOMI[17]
    computed = FIXTURES["uscc_computed"]
    assert gb32100_check(computed) == computed[17]


def test_uscc_check_character_matches_independent_computation() -> None:
    bodies = [HUAWEI, XIAOMI, FIXTURES["uscc_computed"], "12100000400000000X", "91110000MA00000000",
              "5311010650000000XY", "Y1110106MA01HJKLMN"]
    codes = pd.Series([b[:17] + "0" for b in bodies])
    expected, well_formed = uscc_check_character(codes)
    assert well_formed.all()
    assert expected.tolist() == [gb32100_check(b) for b in bodies]


# Check characters at both ends of the range: '0' (the sum is a multiple of 31) and 'Y' (30). A
# formula reducing modulo 30 instead of 31 gets both wrong.
CHECK_0, CHECK_Y = "91110106MA01ABC0A0", "91110106MA01ABC0LY"


def test_check_characters_zero_and_y(tmp_path: Path) -> None:
    assert (gb32100_check(CHECK_0), gb32100_check(CHECK_Y)) == ("0", "Y")
    expected, well_formed = uscc_check_character(pd.Series([CHECK_0, CHECK_Y]))
    assert well_formed.all() and expected.tolist() == ["0", "Y"]
    # through the cleaner the build uses: the right codes kept, each with the other's check character refused
    codes = [CHECK_0, CHECK_Y, CHECK_0[:17] + "Y", CHECK_Y[:17] + "0"]
    frame = pd.DataFrame({"uscc": codes, "name": ["示例"] * 4, SOURCE_ROW: [2, 3, 4, 5]})
    result = clean_layer(LayerTable("enterprises", tmp_path / "enterprises.csv", frame))
    assert result.frame["uscc"].tolist() == [CHECK_0, CHECK_Y]
    assert {row: reason for row, (_, reason) in reasons(result).items()} == {
        4: "统一社会信用代码校验位错误：第18位应为“0”",
        5: "统一社会信用代码校验位错误：第18位应为“Y”"}
    assert reasons_en(result)[4] == ("The unified social credit code has a wrong check character: the 18th character "
                                     "should be “0”.")


def test_enterprise_rejects_wrong_check_characters(enterprises) -> None:  # noqa: ANN001
    got = reasons(enterprises)
    computed = FIXTURES["uscc_computed"]
    assert got[4] == ("uscc", f"统一社会信用代码校验位错误：第18位应为“{gb32100_check(HUAWEI)}”")
    assert got[5] == ("uscc", f"统一社会信用代码校验位错误：第18位应为“{gb32100_check(computed)}”")
    assert "“6”" in got[4][1] and f"“{computed[17]}”" in got[5][1]


def test_enterprise_rejects_other_bad_rows(enterprises) -> None:  # noqa: ANN001
    got = reasons(enterprises)
    malformed = "统一社会信用代码应为18位，由数字和大写字母组成（不含I、O、Z、S、V）"
    assert got[6] == ("uscc", malformed)   # 16 characters
    assert got[7] == ("uscc", malformed)   # contains I
    assert got[9] == ("uscc", f"与第 2 行重复（统一社会信用代码 {HUAWEI}），保留第一条")
    assert got[10] == ("uscc", "必填项“统一社会信用代码”为空")
    assert got[11] == ("service_package", "“服务包企业”应为 是/否")
    english = reasons_en(enterprises)
    assert english[6] == english[7] == ("The unified social credit code must have 18 characters, digits and capital "
                                        "letters (without I, O, Z, S or V).")
    assert english[9] == f"A repeat of row 2 (uscc “{HUAWEI}”); the first one is kept."
    assert english[10] == "The required value uscc is missing."
    assert english[11] == "service_package must be yes or no."
    assert set(got) == {4, 5, 6, 7, 9, 10, 11}
    values = enterprises.rejects.set_index("row")["value"]
    assert values[4] == HUAWEI[:17] + "7" and values[9] == HUAWEI


def test_enterprise_valid_codes_are_kept_upper_case(enterprises) -> None:  # noqa: ANN001
    frame = enterprises.frame.set_index(SOURCE_ROW)
    assert frame.loc[2, "uscc"] == HUAWEI
    assert frame.loc[3, "uscc"] == FIXTURES["uscc_computed"]
    assert frame.loc[8, "uscc"] == XIAOMI          # written in lower case
    assert frame["service_package"].tolist() == [True, False, True]


def test_registered_capital_units(enterprises) -> None:  # noqa: ANN001
    capital = enterprises.frame.set_index(SOURCE_ROW)["registered_capital"]
    assert capital[2] == pytest.approx(5000.0)     # 0.5 in a 亿元 column -> 万元
    assert capital[3] == pytest.approx(1000.0)     # "１，０００万元": the value's own unit wins
    assert pd.isna(capital[8])


# --- projects: GBK file -----------------------------------------------------------------
def test_gbk_project_rejects(gbk_projects) -> None:  # noqa: ANN001
    assert reasons(gbk_projects) == {
        5: ("status", "“项目状态”取值无法识别，可选：储备、在建、建成"),
        6: ("completion_date", "竣工时间早于开工时间"),
        7: ("start_date", "“开工时间”无法识别为日期，应如 2024-05-01 或 2024年5月1日"),
        8: ("project_id", "与第 2 行重复（项目编号 GBK-001），保留第一条"),
        9: ("investment_total", "“总投资(亿元)”不能小于 0"),
    }
    assert reasons_en(gbk_projects) == {
        5: "status has a value that is not recognised; allowed: reserve, under_construction, completed "
           "(or their Chinese names).",
        6: "The completion date is before the start date.",
        7: "start_date is not a readable date; write it like 2024-05-01 or 2024/5/1.",
        8: "A repeat of row 2 (project_id “GBK-001”); the first one is kept.",
        9: "investment_total cannot be less than 0.",
    }
    assert gbk_projects.rejects.set_index("row").loc[5, "value"] == "暂停"
    assert (gbk_projects.rejects["file"] == "projects_gbk.csv").all()


def test_gbk_project_values(gbk_projects) -> None:  # noqa: ANN001
    frame = gbk_projects.frame.set_index(SOURCE_ROW)
    assert frame.index.tolist() == [2, 3, 4, 11]
    assert frame["project_id"].tolist() == ["GBK-001", "GBK-002", "GBK-003", "GBK-008"]  # the first GBK-001 kept
    assert frame["status"].tolist() == ["under_construction", "under_construction", "completed", "reserve"]
    assert frame["level"].tolist() == ["municipal", "district", "national", "municipal"]
    assert frame["industry"].tolist() == ["finance", "rail_transit", "other", "finance"]
    # 万元 in the header -> 亿元; full-width digits and separators
    assert frame["investment_total"].tolist() == pytest.approx([5.0, 1.2, 0.08, 0.03])
    assert frame["start_date"].tolist() == [pd.Timestamp("2023-03-01"), pd.Timestamp("2024-05-01"),
                                            pd.Timestamp("2021-01-01"), pd.Timestamp("2024-05-01")]
    assert frame.loc[3, "completion_date"] == pd.Timestamp("2025-06-01")   # "2025.6"
    assert frame.loc[2, "completion_date"] == pd.Timestamp("2026-12-31")   # "2026/12/31"
    assert frame.loc[2, "name"] == "丽泽金融中心(示例)"                     # full-width brackets
    assert frame["coord_sys"].eq("wgs84").all()


def test_unknown_industry_is_other_with_a_warning(gbk_projects) -> None:  # noqa: ANN001
    [warning] = gbk_projects.warnings
    assert (warning.kind, warning.value, warning.count, warning.column) == ("industry_unknown", "量子计算", 1,
                                                                            "industry")
    assert warning.layer == "projects" and warning.file == "projects_gbk.csv" and "其他" in warning.message
    assert warning.message == "行业“量子计算”不在目录中，按“其他”计（1 行）"
    assert warning.message_en == "The industry “量子计算” is not in the catalogue and is counted as “other” (1 row)."


def test_xlsx_amounts_in_wan_yuan_become_yi_yuan() -> None:
    result = clean_layer(read_layer_file("projects", DATA / "projects_titled.xlsx"))
    frame = result.frame.set_index(SOURCE_ROW)
    assert frame.loc[4, "investment_total"] == pytest.approx(1.2)     # "１２，０００" 万元
    assert frame.loc[5, "investment_total"] == pytest.approx(0.5)     # 5000 (a number cell)
    assert frame.loc[8, "investment_total"] == pytest.approx(0.025)   # "２５０万元"
    assert reasons(result) == {
        6: ("lat", "“纬度”不是数字"),
        7: ("project_id", "与第 4 行重复（项目编号 XL-01），保留第一条"),
    }
    assert reasons_en(result)[6] == "The coordinate lat is not a number."


@pytest.mark.parametrize("header, written, yi", [
    ("总投资(元)", "350000000", 3.5),          # 元 in the header: 1e-8 of a 亿元
    ("总投资（元）", "１２０,０００,０００", 1.2),
    ("总投资", "250000000元", 2.5),            # 元 in the cell
    ("总投资(万元)", "12000", 1.2),
    ("总投资(亿元)", "0.75", 0.75),
])
def test_amounts_in_yuan_become_yi_yuan(tmp_path: Path, header: str, written: str, yi: float) -> None:
    path = tmp_path / "projects.csv"
    path.write_text(f"项目编号,项目名称,项目状态,{header}\nP1,示例,在建,\"{written}\"\n", encoding="utf-8")
    result = clean_layer(read_layer_file("projects", path))
    assert result.frame["investment_total"].tolist() == [pytest.approx(yi, rel=1e-12)]


# --- the parsers ------------------------------------------------------------------------
def test_parse_number_full_width_and_units() -> None:
    values, units, bad = parse_number(pd.Series(["１２，０００", "12,000.5", " 3亿 ", "250万元", "", "abc", "-1"]))
    assert values.iloc[:4].tolist() == [12000.0, 12000.5, 3.0, 250.0]
    assert units.iloc[:2].isna().all()
    assert units.iloc[2:4].tolist() == ["亿元", "万元"]
    assert bad.tolist() == [False, False, False, False, False, True, False]
    assert pd.isna(values.iloc[4]) and values.iloc[6] == -1.0


def test_normalise_text_full_width() -> None:
    got = normalise_text(pd.Series(["１２３", "（示例）", "ＡＢＣ　", "a、b；c", "plain"]))
    assert got.tolist() == ["123", "(示例)", "ABC", "a,b;c", "plain"]


@pytest.mark.parametrize("written, expected", [
    ("2024-05-01", "2024-05-01"), ("2024/5/1", "2024-05-01"), ("2024年5月1日", "2024-05-01"),
    ("2024年5月", "2024-05-01"), ("2024.5", "2024-05-01"), ("2024.05.01", "2024-05-01"),
    ("45413", "2024-05-01"), ("２０２４－０５－０１", "2024-05-01"), ("2024", "2024-01-01"),
])
def test_parse_dates(written: str, expected: str) -> None:
    # mixed with an ISO value so the slow path is taken for the others
    values, bad = parse_dates(pd.Series(["2020-01-01", written]))
    assert not bad.any()
    assert values.iloc[1] == pd.Timestamp(expected)


def test_parse_dates_refuses_what_it_cannot_read() -> None:
    values, bad = parse_dates(pd.Series(["2024-05-01", "明年", "1900-01-01", "", "2024-13-45"]))
    assert bad.tolist() == [False, True, True, False, True]
    assert values.iloc[1:].isna().all()


def test_parse_datetime_keeps_the_time() -> None:
    values, bad = parse_dates(pd.Series(["2024-05-01 08:30:00", "2024/5/2 9:15"]), with_time=True)
    assert not bad.any()
    assert values.tolist() == [pd.Timestamp("2024-05-01 08:30"), pd.Timestamp("2024-05-02 09:15")]


@pytest.mark.parametrize("written, expected", [
    ("储备", "reserve"), ("REServe", "reserve"), ("在建", "under_construction"), ("开工", "under_construction"),
    (" Under  Construction ", "under_construction"), ("建成", "completed"), ("竣工", "completed"),
    ("已竣工", "completed"),
])
def test_status_aliases(written: str, expected: str) -> None:
    values, unknown = parse_enum(pd.Series([written]), STATUS)
    assert values.tolist() == [expected] and not unknown.any()


def test_yes_no_aliases() -> None:
    values, unknown = parse_enum(pd.Series(["是", "否", "Y", "no", "√", "×", "已解决", "也许", ""]), YES_NO)
    assert values.iloc[:7].tolist() == [True, False, True, False, True, False, True]
    assert values.iloc[7:].isna().all()
    assert unknown.tolist() == [False] * 7 + [True, False]


def test_hotline_rows() -> None:
    result = clean_layer(read_layer_file("hotline", DATA / "hotline_gb18030.csv"))
    assert reasons(result) == {
        4: ("received_at", "“受理时间”无法识别为日期，应如 2024-05-01 或 2024年5月1日"),
        5: ("category", "“诉求类别”取值无法识别，可选：停车、道路、物业、环境、其他"),
    }
    frame = result.frame.set_index(SOURCE_ROW)
    assert frame["category"].tolist() == ["parking", "roads"]
    assert frame["responded"].tolist() == [True, True]
    assert frame["resolved"].tolist() == [True, False]
    assert frame["satisfied"].tolist() == [True, False]
    assert frame.loc[3, "received_at"] == pd.Timestamp("2024-05-02 09:15")


@pytest.mark.parametrize("written, expected", [
    ("WGS84", "wgs84"), ("wgs-84", "wgs84"), ("EPSG:4326", "wgs84"), ("GCJ-02", "gcj02"),
    ("高德（GCJ-02）", "gcj02"), ("火星坐标系", "gcj02"), (" BD-09 ", "bd09"), ("百度", "bd09"),
    ("CGCS2000", "cgcs2000"), ("EPSG:4490", "cgcs2000"), ("国家2000", "cgcs2000"), ("ＷＧＳ８４", "wgs84"),
    ("", "default"), ("北京54", None),
])
def test_coord_sys_spellings(written: str, expected: str | None) -> None:
    """What a build accepts in a coord_sys cell (``_clean_coord_sys``, as clean_layer runs it)."""
    raw = pd.DataFrame({"coord_sys": [written]})
    out = pd.DataFrame(index=raw.index)
    problems = Problems(raw.index)
    _clean_coord_sys(raw, out, problems, "default")
    if expected is None:
        assert problems.rejected.all() and problems.column.tolist() == ["coord_sys"]
    else:
        assert out["coord_sys"].tolist() == [expected] and not problems.rejected.any()


def test_coord_sys_aliases_and_default(tmp_path: Path) -> None:
    frame = pd.DataFrame({"station_id": ["a", "b", "c", "d"], "name": ["n"] * 4, "kind": ["先丰站"] * 4,
                          "coord_sys": ["高德", "BD-09", "", "北京54"], SOURCE_ROW: [2, 3, 4, 5]})
    result = clean_layer(LayerTable("stations", tmp_path / "stations.csv", frame), default_coord_sys="gcj02")
    assert result.frame["coord_sys"].tolist() == ["gcj02", "bd09", "gcj02"]
    assert reasons(result) == {5: ("coord_sys", "坐标系无法识别，可选：wgs84、gcj02、bd09、cgcs2000")}
    assert reasons_en(result) == {5: "The coordinate system is not recognised; allowed: wgs84, gcj02, bd09, cgcs2000."}


def test_several_problems_in_one_row_are_all_named(tmp_path: Path) -> None:
    frame = pd.DataFrame({"project_id": ["p1"], "name": [""], "status": ["暂停"], SOURCE_ROW: [7]})
    result = clean_layer(LayerTable("projects", tmp_path / "projects.csv", frame))
    [reject] = result.rejects.to_dict("records")
    assert reject["row"] == 7 and reject["column"] == "name"
    assert reject["reason"].startswith("必填项“项目名称”为空")
    assert "同一行另有问题：status" in reject["reason"]
    assert reject["reason_en"].startswith("The required value name is missing; the same row also has a problem in "
                                          "status: status has a value that is not recognised")


def test_duplicates_of_a_rejected_row_are_not_called_duplicates(tmp_path: Path) -> None:
    frame = pd.DataFrame({"project_id": ["p1", "p1", "p1"], "name": ["a", "b", "c"],
                          "status": ["暂停", "在建", "在建"], SOURCE_ROW: [2, 3, 4]})
    result = clean_layer(LayerTable("projects", tmp_path / "projects.csv", frame))
    got = reasons(result)
    assert got[2][0] == "status"
    assert got[4] == ("project_id", "与第 3 行重复（项目编号 p1），保留第一条")
    assert result.frame[SOURCE_ROW].tolist() == [3]


def test_clean_does_not_mutate_its_input(tmp_path: Path) -> None:
    frame = pd.DataFrame({"project_id": ["p1"], "name": ["（甲）"], "status": ["在建"],
                          "investment_total": ["１２"], SOURCE_ROW: [2]})
    before = frame.copy()
    clean_layer(LayerTable("projects", tmp_path / "projects.csv", frame, {"investment_total": "万元"}))
    pd.testing.assert_frame_equal(frame, before)
