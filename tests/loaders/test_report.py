"""loaders.report: the invariant is enforced, rejects are sorted and typed, the file is atomic."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from loaders.report import (
    REJECT_COLUMNS,
    WARNING_ROWS_CAP,
    Problems,
    Warning,
    add_layer,
    new_report,
    row_warnings,
    summary_lines,
    write_report,
)
from loaders.schema import WARNING_KINDS


def rejects(rows: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"layer": "projects", "file": "projects.csv", "row": rows, "column": "lat",
                         "value": [None if i == 0 else f"v{r}" for i, r in enumerate(rows)],
                         "reason": "坏", "reason_en": "bad"}, columns=REJECT_COLUMNS)


def test_add_layer_counts_rows_not_problems() -> None:
    report = new_report(False, "src", "store.gpkg")
    note = Warning(layer="projects", file="projects.csv", kind="encoding", value="gb18030", message="编码 GBK",
                   message_en="GBK")
    add_layer(report, "projects", "projects.csv", 5, 3, rejects([9, 4]), [note], 0.123)
    assert report["layers"]["projects"] == {"file": "projects.csv", "read": 5, "loaded": 3, "rejected": 2,
                                            "seconds": 0.12}
    assert [r["row"] for r in report["rejects"]] == [4, 9]
    assert all(type(r["row"]) is int for r in report["rejects"])
    assert report["rejects"][1]["value"] is None and report["rejects"][0]["value"] == "v4"
    assert report["warnings"] == [{"layer": "projects", "file": "projects.csv", "row": None, "column": None,
                                   "value": "gb18030", "kind": "encoding", "message": "编码 GBK",
                                   "message_en": "GBK", "count": None, "geometry_before": None,
                                   "geometry_after": None}]
    assert report["rejects"][0] == {"layer": "projects", "file": "projects.csv", "row": 4, "column": "lat",
                                    "value": "v4", "reason": "坏", "reason_en": "bad"}


def test_add_layer_refuses_a_lost_row() -> None:
    report = new_report(False, "src", "store.gpkg")
    with pytest.raises(AssertionError, match="read 5 != loaded 3 \\+ rejected 1"):
        add_layer(report, "projects", "projects.csv", 5, 3, rejects([4]), [], 0.0)


def test_write_report_is_utf8_json_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    report = new_report(True, "src", "store.gpkg")
    add_layer(report, "hotline", "hotline.csv", 1, 0, rejects([2]).assign(layer="hotline", reason="无法识别"), [], 0)
    path = tmp_path / "deep" / "report.json"
    write_report(report, path)
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]
    text = path.read_text(encoding="utf-8")
    assert "无法识别" in text                     # not \\u escapes: readable by people
    doc = json.loads(text)
    assert doc["sample_data"] is True
    assert pd.Timestamp(doc["built_at"]).tzinfo is not None
    assert doc["layers"]["hotline"]["rejected"] == 1


def test_summary_lines_one_per_layer() -> None:
    report = new_report(False, "src", "store.gpkg")
    add_layer(report, "projects", "projects.csv", 2, 1, rejects([3]), [], 1.0)
    lines = summary_lines(report)
    assert len(lines) == 2 and "projects" in lines[0] and "拒绝" in lines[0]


def test_every_warning_has_one_shape_and_a_known_kind() -> None:
    with pytest.raises(ValueError, match="WARNING_KINDS"):
        Warning(kind="something_new", message="?", message_en="?")
    assert set(Warning(kind="unit", message="米", message_en="m").as_dict()) == {
        "layer", "file", "row", "column", "value", "kind", "message", "message_en", "count",
        "geometry_before", "geometry_after"}
    assert all(isinstance(zh, str) and en.isascii() for zh, en in WARNING_KINDS.values())


def test_row_warnings_are_capped_with_the_full_count() -> None:
    rows = pd.Series(range(2, 2 + WARNING_ROWS_CAP + 5))
    shown = row_warnings("hotline", "h.csv", rows, "lon/lat", rows.astype(str), "交换", "Swapped.", "swapped")
    assert len(shown) == WARNING_ROWS_CAP + 1
    assert shown[0].row == 2 and shown[-1].row is None and shown[-1].count == WARNING_ROWS_CAP + 5
    assert (shown[0].message, shown[0].message_en) == ("交换", "Swapped.")
    assert shown[-1].message == f"交换：共 {WARNING_ROWS_CAP + 5} 行，以上列出前 {WARNING_ROWS_CAP} 行"
    assert shown[-1].message_en == f"Swapped: {WARNING_ROWS_CAP + 5} rows in all, the first {WARNING_ROWS_CAP} " \
                                   "of them listed above."


def test_a_missing_text_in_either_language_is_a_programming_error() -> None:
    """A call site must give both texts: a Warning or a reject without one raises at once."""
    for message, message_en in (("说明", ""), ("说明", None), ("", "Note."), ("说明", "   ")):
        with pytest.raises((ValueError, TypeError)):
            Warning(kind="unit", message=message, message_en=message_en)
    with pytest.raises(TypeError):
        Warning(kind="unit", message="说明")   # the English text is a required argument
    frame = pd.DataFrame({"source_row": [2, 3]}, index=[0, 1])
    problems = Problems(frame.index)
    mask = pd.Series([True, False], index=frame.index)
    with pytest.raises(TypeError):
        problems.add(mask, "a", frame["source_row"], "坏")   # the English reason is a required argument
    for reason_en in ("", pd.Series([None, "bad"], index=frame.index)):
        with pytest.raises(ValueError, match="reason_en"):
            problems.add(mask, "a", frame["source_row"], "坏", reason_en)
    with pytest.raises(ValueError, match="no reason "):
        problems.add(mask, "a", frame["source_row"], pd.Series([None, "坏"], index=frame.index), "Bad.")
    problems.add(~mask, "a", frame["source_row"], "坏", pd.Series([None, "Bad."], index=frame.index))  # row 1 only
    assert problems.reason_en.isna().tolist() == [True, False] and problems.reason_en[1] == "Bad."


def test_problems_become_rejects_naming_the_first_column_and_every_reason() -> None:
    frame = pd.DataFrame({"source_row": [2, 3, 4], "a": ["x", "y", "z"]}, index=[10, 11, 12])
    problems = Problems(frame.index)
    problems.add(pd.Series([True, False, True], index=frame.index), "a", frame["a"], "坏", "Bad.")
    problems.add(pd.Series([True, False, False], index=frame.index), "b", frame["a"],
                 pd.Series(["也坏", None, None], index=frame.index), pd.Series(["Bad too.", None, None], index=frame.index))
    rejects = problems.to_rejects("projects", "p.csv", frame)
    assert list(rejects.columns) == REJECT_COLUMNS == ["layer", "file", "row", "column", "value", "reason", "reason_en"]
    assert rejects["row"].tolist() == [2, 4] and rejects["column"].tolist() == ["a", "a"]
    assert rejects["reason"].tolist() == ["坏；同一行另有问题：b 也坏", "坏"]
    assert rejects["reason_en"].tolist() == ["Bad; the same row also has a problem in b: Bad too.", "Bad."]
