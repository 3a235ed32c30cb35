"""The files in tests/data/ are what tests/data/make_fixtures.py writes (reproducible fixtures).

If this fails after a change to the bundled geodata, run
``python tests/data/make_fixtures.py`` and review the diff.

Most files are compared byte for byte. Two kinds of file carry the day they were written
and so are compared by content instead, so that the tests pass on any date: the .xlsx
(write times in its zip) and the zipped Shapefiles (the .dbf header holds its "last
update" date, YYMMDD in bytes 1-3, which GDAL sets to today).
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook

from tests.conftest import DATA
from tests.data.make_fixtures import main as make_fixtures

BYTE_EXACT = ["projects_gbk.csv", "projects_places.csv", "enterprises_uscc.csv", "hotline_gb18030.csv",
              "hotline_tiny_gbk.csv", "projects_missing_name.csv", "fixtures.json", "stations_points.geojson",
              "streets_cgcs2000.geojson", "communities_gcj02_gbk.csv", "communities_polygons.geojson"]
# Zipped Shapefiles (GBK attributes, no .cpg): name -> (members, EPSG code, expected GBK texts).
SHAPEFILE_ZIPS = {
    "streets_xzq_4527_gbk.zip": (["XZQ_JD/XZQ_JD.shp", "XZQ_JD/XZQ_JD.shx", "XZQ_JD/XZQ_JD.dbf",
                                  "XZQ_JD/XZQ_JD.prj"], 4527, ["丰台街道", "卢沟桥街道"]),
    "zones_4527_gbk.zip": (["功能区/功能区.shp", "功能区/功能区.shx", "功能区/功能区.dbf", "功能区/功能区.prj"],
                           4527, ["功能区编号", "丽泽金融商务区", "测试功能区", "重点功能区"]),
}
DBF_DATE = slice(1, 4)   # the .dbf header's last-update date (YY-1900, MM, DD)


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


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _read_shapefile(path: Path, members: list[str]) -> pd.DataFrame:
    shp = next(m for m in members if m.endswith(".shp"))
    return pyogrio.read_dataframe(f"/vsizip/{path}/{shp}", encoding="GBK")


@pytest.mark.parametrize("name", sorted(SHAPEFILE_ZIPS))
def test_zipped_shapefile_fixture_matches_the_script(fresh: Path, name: str) -> None:
    """Same members, no .cpg, same GBK attributes, geometry and CRS; only the .dbf date may differ."""
    expected_members, epsg, texts = SHAPEFILE_ZIPS[name]
    committed, regenerated = _members(DATA / name), _members(fresh / name)
    assert list(committed) == list(regenerated) == expected_members
    assert not any(m.lower().endswith(".cpg") for m in committed)

    # every member but the .dbf is date-free: byte for byte; the .dbf apart from its date
    for member in expected_members:
        old, new = committed[member], regenerated[member]
        if member.endswith(".dbf"):
            assert len(old) == len(new), member
            old, new = old[:DBF_DATE.start] + old[DBF_DATE.stop:], new[:DBF_DATE.start] + new[DBF_DATE.stop:]
        assert old == new, member

    # raw GBK bytes in the .dbf, no code page declared (language driver id 0)
    dbf_name = next(m for m in expected_members if m.endswith(".dbf"))
    for dbf in (committed[dbf_name], regenerated[dbf_name]):
        assert dbf[29] == 0
        for text in texts:
            assert text.encode("gbk") in dbf, text
            assert text.encode("utf-8") not in dbf, text

    # decoded as GBK: the same attributes, geometry and CRS
    old_frame = _read_shapefile(DATA / name, expected_members)
    new_frame = _read_shapefile(fresh / name, expected_members)
    assert old_frame.crs.to_epsg() == new_frame.crs.to_epsg() == epsg
    pd.testing.assert_frame_equal(pd.DataFrame(old_frame.drop(columns="geometry")),
                                  pd.DataFrame(new_frame.drop(columns="geometry")))
    assert all(text in set(old_frame.columns) | set(old_frame.drop(columns="geometry").stack()) for text in texts)
    assert shapely.equals_exact(old_frame.geometry.to_numpy(), new_frame.geometry.to_numpy(),
                                tolerance=1e-6).all()   # metres in EPSG:4527


def test_every_data_file_is_made_by_the_script(fresh: Path) -> None:
    committed = {p.name for p in DATA.iterdir() if p.is_file() and p.suffix != ".py"}
    assert committed == {p.name for p in fresh.iterdir()}
