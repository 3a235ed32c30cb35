"""The files in tests/data/ are what tests/data/make_fixtures.py writes (reproducible fixtures).

If this fails after a change to the bundled geodata, run
``python tests/data/make_fixtures.py`` and review the diff.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import DATA
from tests.data.make_fixtures import main as make_fixtures

BYTE_EXACT = ["projects_gbk.csv", "projects_places.csv", "enterprises_uscc.csv", "hotline_gb18030.csv",
              "hotline_tiny_gbk.csv", "projects_missing_name.csv", "fixtures.json", "stations_points.geojson",
              "streets_cgcs2000.geojson", "streets_xzq_4527_gbk.zip", "zones_4527_gbk.zip"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixtures")
    make_fixtures(out)
    return out


@pytest.mark.parametrize("name", BYTE_EXACT)
def test_committed_fixture_matches_the_script(fresh: Path, name: str) -> None:
    assert (fresh / name).read_bytes() == (DATA / name).read_bytes(), name


def test_xlsx_fixture_matches_the_script(fresh: Path) -> None:
    """The .xlsx zip holds write times, so compare cells and merged ranges instead."""
    def content(path: Path) -> tuple:
        sheet = load_workbook(path).worksheets[0]
        return (list(sheet.iter_rows(values_only=True)), sorted(str(r) for r in sheet.merged_cells.ranges))
    assert content(fresh / "projects_titled.xlsx") == content(DATA / "projects_titled.xlsx")


def test_every_data_file_is_made_by_the_script(fresh: Path) -> None:
    committed = {p.name for p in DATA.iterdir() if p.is_file() and p.suffix != ".py"}
    assert committed == {p.name for p in fresh.iterdir()}
