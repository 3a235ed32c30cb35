"""XLSX formula cells: a formula with no computed value is rejected for what it is.

A workbook written by a program (openpyxl here) holds a formula but not its result:
Excel/WPS compute and save the result when the file is opened and saved there. Such a
cell must not read as "required value missing" (nor, in an optional column, as a blank
that silently loses the value): the row is rejected with a reason that says to open
and save the file in Excel/WPS, naming the formula as the value.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from loaders.build import build
from loaders.clean import clean_layer
from loaders.read import FORMULA_REASON, FORMULA_REASON_EN, read_layer_file
from loaders.store import open_store

HEADER = ["项目编号", "项目名称", "项目状态", "经度", "纬度", "所属街镇"]


def write_workbook(path: Path, *rows: list) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def build_workbook(tmp_path: Path, *rows: list) -> tuple[dict, object]:
    write_workbook(tmp_path / "source" / "projects.xlsx", *rows)
    report = build(tmp_path / "source", str(tmp_path / "store.gpkg"), progress=False)
    return report, open_store(str(tmp_path / "store.gpkg"))


def rejects(report: dict) -> dict[int, dict]:
    return {r["row"]: r for r in report["rejects"] if r["layer"] == "projects"}


def test_premise_openpyxl_saves_the_formula_without_a_value(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "projects.xlsx", ["P1", '=A2&"x"', "在建", 116.312, 39.866, ""])
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert re.search(r'<c r="B2"[^>]*><f>A2&amp;"x"</f><v ?/>', sheet), sheet


def test_required_formula_cell_without_value_is_rejected_with_the_formula_reason(tmp_path: Path) -> None:
    report, store = build_workbook(tmp_path,
                                   ["P1", '=A2&"x"', "在建", 116.312, 39.866, ""],
                                   ["P2", "方庄项目", "储备", None, None, "方庄地区"])
    assert report["layers"]["projects"] | {"seconds": 0} == {"file": "projects.xlsx", "read": 2, "loaded": 1,
                                                             "rejected": 1, "seconds": 0}
    reject = rejects(report)[2]
    assert reject == {"layer": "projects", "file": "projects.xlsx", "row": 2, "column": "name",
                      "value": '=A2&"x"', "reason": FORMULA_REASON, "reason_en": FORMULA_REASON_EN}
    assert "单元格是公式但没有计算结果" in reject["reason"] and "Excel/WPS" in reject["reason"]
    assert "必填项" not in reject["reason"] and "required value" not in reject["reason_en"]
    assert "formula with no computed value" in reject["reason_en"] and "Excel/WPS" in reject["reason_en"]
    assert store.read("projects")["project_id"].tolist() == ["P2"]


def test_optional_formula_cell_is_not_silently_dropped(tmp_path: Path) -> None:
    report, _ = build_workbook(tmp_path, ["P1", "丽泽项目", "在建", "=116+0.312", 39.866, ""])
    reject = rejects(report)[2]
    assert (reject["column"], reject["value"], reject["reason"]) == ("lon", "=116+0.312", FORMULA_REASON)


def test_a_row_of_formulas_only_is_not_taken_for_a_blank_row(tmp_path: Path) -> None:
    report, _ = build_workbook(tmp_path,
                               ["P1", "丽泽项目", "在建", 116.312, 39.866, ""],
                               ['="P"&ROW()', '="项目"&ROW()', '="在建"'])
    assert report["layers"]["projects"]["read"] == 2
    reject = rejects(report)[3]
    assert (reject["column"], reject["value"], reject["reason"]) == ("project_id", '="P"&ROW()', FORMULA_REASON)


def test_reader_marks_formula_cells_by_spreadsheet_row_and_column(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "projects.xlsx",
                          ["P1", '=A2&"x"', "在建", 116.312, 39.866, ""],
                          ["P2", "乙", "在建", 116.3, '=39+0.86', ""])
    table = read_layer_file("projects", path)
    assert table.formulas == {(2, "name"): '=A2&"x"', (3, "lat"): "=39+0.86"}
    assert table.frame["name"].tolist() == ["", "乙"]  # the value itself is unknown, not the formula
    cleaned = clean_layer(table)
    assert cleaned.rejects.set_index("row")["column"].to_dict() == {2: "name", 3: "lat"}


def test_workbook_without_formulas_has_no_marks(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "projects.xlsx", ["P1", "甲", "在建", 116.312, 39.866, ""],
                          ["P2", None, "在建", 116.3, 39.86, ""])
    table = read_layer_file("projects", path)
    assert table.formulas == {}
    reasons = clean_layer(table).rejects["reason"].tolist()
    assert reasons == ["必填项“项目名称”为空"]
    assert clean_layer(table).rejects["reason_en"].tolist() == ["The required value name is missing."]


def _rewrite_sheet(path: Path, replace: dict[str, str]) -> None:
    """Rewrite cells of sheet1.xml as Excel saves them (for what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as archive:
        items = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items.items():
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                for old, new in replace.items():
                    assert old in text, (old, text)
                    text = text.replace(old, new)
                data = text.encode("utf-8")
            archive.writestr(info, data)


def test_formula_with_a_saved_value_reads_as_that_value(tmp_path: Path) -> None:
    """As Excel/WPS save a formula cell: ``<f>`` with its result in ``<v>``.

    openpyxl cannot write a computed result, so the cell is written in the form Excel
    uses (the XML of the file, not a stand-in for the reader). An empty text result
    (``t="str"``, ``=IF(...,"",...)``) is a value too: an empty one, not a missing result.
    """
    path = write_workbook(tmp_path / "source" / "projects.xlsx",
                          ["P1", '=A2&"x"', "在建", 116.312, 39.866, ""],
                          ["P2", "乙", "在建", 116.3, 39.86, '=IF(1,"","x")'])
    _rewrite_sheet(path, {'<c r="B2"><f>A2&amp;"x"</f><v /></c>': '<c r="B2" t="str"><f>A2&amp;"x"</f><v>P1x</v></c>',
                          '<c r="F3"><f>IF(1,"","x")</f><v /></c>': '<c r="F3" t="str"><f>IF(1,"","x")</f><v></v></c>'})
    table = read_layer_file("projects", path)
    assert table.formulas == {}
    assert table.frame["name"].tolist() == ["P1x", "乙"]
    report = build(tmp_path / "source", str(tmp_path / "store.gpkg"), progress=False)
    assert report["layers"]["projects"]["loaded"] == 2
    assert sorted(open_store(str(tmp_path / "store.gpkg")).read("projects")["name"]) == ["P1x", "乙"]


def test_shared_formula_without_values_names_each_cells_formula(tmp_path: Path) -> None:
    """A shared formula (one master ``<f t="shared" ref=.. si=..>``, the others ``<f t="shared" si=../>``)."""
    path = write_workbook(tmp_path / "projects.xlsx",
                          ["P1", '=A2&"x"', "在建", 116.312, 39.866, ""],
                          ["P2", '=A3&"x"', "在建", 116.3, 39.86, ""])
    _rewrite_sheet(path, {'<c r="B2"><f>A2&amp;"x"</f>': '<c r="B2"><f t="shared" ref="B2:B3" si="0">A2&amp;"x"</f>',
                          '<c r="B3"><f>A3&amp;"x"</f>': '<c r="B3"><f t="shared" si="0"/>'})
    table = read_layer_file("projects", path)
    assert table.formulas == {(2, "name"): '=A2&"x"', (3, "name"): '=A3&"x"'}


@pytest.mark.parametrize("title_rows", [0, 2])
def test_formula_rows_are_counted_below_a_title(tmp_path: Path, title_rows: int) -> None:
    book = Workbook()
    sheet = book.active
    for i in range(title_rows):
        sheet.append([f"标题 {i}"])
    sheet.append(HEADER)
    sheet.append(["P1", "=B1", "在建", 116.312, 39.866, ""])
    book.save(tmp_path / "projects.xlsx")
    table = read_layer_file("projects", tmp_path / "projects.xlsx")
    assert table.formulas == {(title_rows + 2, "name"): "=B1"}
