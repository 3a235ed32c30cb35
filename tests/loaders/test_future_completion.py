"""A completed project (建成) whose completion date is after the build's date contradicts
itself: the row is loaded, with a ``completed_in_future`` warning naming file, row, column
and value. "After" is measured on the build's clock (``build(now=...)``, read as a date in
Beijing time like ``as_of``), never on the wall clock, so these tests pass on any date.

The bundled sample must not contradict itself: its completed projects finish before its
fixed ``REFERENCE_DATE``, so no build on or after that date warns.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from loaders.build import build
from loaders.clean import clean_layer
from loaders.read import read_layer_file
from loaders.sample import REFERENCE_DATE, write_sample
from loaders.schema import WARNING_KINDS
from loaders.store import open_store
from tests.loaders.conftest import warnings_of

KIND = "completed_in_future"
# 00:30 in Beijing is still the day before in UTC: the build's date is 2030-03-10 (as_of).
NOW = datetime(2030, 3, 10, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = pd.Timestamp("2030-03-10")


def _day(offset: int) -> str:
    return (TODAY + pd.Timedelta(days=offset)).strftime("%Y-%m-%d")


HEADER = "项目编号,项目名称,项目状态,开工时间,竣工时间,计划竣工时间,所属街镇\n"
PROJECTS = HEADER + "\n".join([
    f"P-TOMORROW,示例明日竣工,建成,2027-01-01,{_day(1)},{_day(1)},太平桥街道",        # row 2: warned
    f"P-TODAY,示例今日竣工,建成,2027-01-01,{_day(0)},{_day(0)},太平桥街道",            # row 3: not future
    f"P-YESTERDAY,示例昨日竣工,建成,2027-01-01,{_day(-1)},{_day(-1)},太平桥街道",      # row 4
    f"P-RUNNING,示例在建,在建,2027-01-01,{_day(400)},{_day(400)},太平桥街道",          # row 5: not completed
    f"P-RESERVE,示例储备,储备,,,{_day(900)},太平桥街道",                               # row 6
]) + "\n"


@pytest.fixture(scope="module")
def dated_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object]:
    folder = tmp_path_factory.mktemp("future")
    source = folder / "source"
    source.mkdir()
    (source / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    report = build(source, str(folder / "store.gpkg"), progress=False, now=NOW)
    return report, open_store(str(folder / "store.gpkg"))


def test_completed_tomorrow_is_one_warning_naming_file_row_column_value(dated_build) -> None:  # noqa: ANN001
    report, _ = dated_build
    assert report["as_of"] == "2030-03-10"
    [warning] = warnings_of(report, KIND)
    assert (warning["layer"], warning["file"], warning["row"], warning["column"], warning["value"]) == (
        "projects", "projects.csv", 2, "completion_date", _day(1))
    assert warning["count"] is None
    assert "2030-03-10" in warning["message"] and "建成" in warning["message"]


def test_the_warned_row_is_kept(dated_build) -> None:  # noqa: ANN001
    report, store = dated_build
    assert report["layers"]["projects"] == {**report["layers"]["projects"], "read": 5, "loaded": 5, "rejected": 0}
    projects = store.read("projects").set_index("project_id")
    assert projects.loc["P-TOMORROW", "status"] == "completed"
    assert projects.loc["P-TOMORROW", "completion_date"] == TODAY + pd.Timedelta(days=1)


def _project_table(tmp_path: Path, rows: list[str]):  # noqa: ANN202 - a LayerTable
    path = tmp_path / "projects.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return read_layer_file("projects", path)


def _future_rows(table, as_of) -> list[int]:  # noqa: ANN001
    return [w.row for w in clean_layer(table, as_of=as_of).warnings if w.kind == KIND]


def test_the_build_date_decides_not_the_wall_clock(tmp_path: Path) -> None:
    table = _project_table(tmp_path, ["P-1,示例,建成,2090-01-01,2099-12-31,,太平桥街道",
                                      "P-2,示例,已竣工,2020-01-01,2021-06-30,,太平桥街道"])
    assert _future_rows(table, None) == []                            # no build date: no rule, no clock
    assert _future_rows(table, pd.Timestamp("2099-12-30")) == [2]
    assert _future_rows(table, pd.Timestamp("2099-12-31")) == []      # completed today is not the future
    assert _future_rows(table, pd.Timestamp("2021-06-29")) == [2, 3]  # 已竣工 is 建成 too
    # a tz-aware time is read in Beijing: 2099-12-30 20:00 UTC is already the 31st there
    assert _future_rows(table, pd.Timestamp("2099-12-30 20:00", tz="UTC")) == []


def test_a_rejected_row_gets_no_warning(tmp_path: Path) -> None:
    table = _project_table(tmp_path, ["P-1,示例,建成,2020-01-01,2031-01-01,,太平桥街道",
                                      "P-1,示例重复,建成,2020-01-01,2031-01-01,,太平桥街道",   # duplicate id
                                      "P-3,示例,建成,2032-01-01,2031-01-01,,太平桥街道"])      # completion < start
    result = clean_layer(table, as_of=pd.Timestamp("2030-01-01"))
    assert sorted(result.rejects["row"]) == [3, 4]
    assert [(w.row, w.value) for w in result.warnings if w.kind == KIND] == [(2, "2031-01-01")]


def test_the_kind_has_both_labels() -> None:
    zh, en = WARNING_KINDS[KIND]
    assert "竣工" in zh and "future" in en.lower()


# --- the bundled sample ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's files at the tiny scale (projects do not depend on the scale)."""
    return write_sample(tmp_path_factory.mktemp("sample") / "source", scale="tiny")


def test_the_rule_sees_the_samples_completed_projects(sample_source: Path) -> None:
    """The check below is not vacuous: measured two years before its reference date, the
    sample's completed projects would lie in the future."""
    table = read_layer_file("projects", sample_source / "projects.xlsx")
    assert len(_future_rows(table, REFERENCE_DATE - pd.Timedelta(days=730))) >= 10


@pytest.mark.parametrize("days_after_reference", [0, 400])
def test_the_sample_never_completes_in_the_future(sample_source: Path, tmp_path: Path,
                                                   days_after_reference: int) -> None:
    now = (REFERENCE_DATE + pd.Timedelta(days=days_after_reference)).to_pydatetime().replace(
        hour=12, tzinfo=ZoneInfo("Asia/Shanghai"))
    report = build(sample_source, str(tmp_path / "sample.gpkg"), progress=False, now=now)
    assert report["as_of"] == (REFERENCE_DATE + timedelta(days=days_after_reference)).date().isoformat()
    assert report["layers"]["projects"]["loaded"] >= 290
    assert warnings_of(report, KIND) == []
    projects = open_store(str(tmp_path / "sample.gpkg")).read("projects")
    completed = projects[projects["status"] == "completed"]
    assert len(completed) >= 50
    assert (completed["completion_date"] <= pd.Timestamp(report["as_of"])).all()
