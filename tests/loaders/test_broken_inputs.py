"""Broken inputs never end ``python -m loaders build`` in a traceback, in either store.

Every case is built into a GeoPackage and into PostGIS (a real server, tests/postgis.py).
A case either finishes (exit 0, the report's ``read == loaded + rejected``) or fails with
exit 2 and one paragraph that names the file; a failed build leaves the previous store
untouched. A hotline export placed only by street (no lon/lat at all) and a layer whose
rows are all rejected build into both stores alike.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, text

import loaders.build
import loaders.read
from loaders.__main__ import main
from loaders.errors import BuildError
from loaders.read import read_layer_file
from loaders.schema import TABLES
from loaders.store import open_store, sqlalchemy_url
from tests.conftest import REPO_ROOT
from tests.postgis import PostGISServer

GOOD_PROJECTS = ("项目编号,项目名称,项目状态,经度,纬度,所属街镇\n"
                 "P1,丽泽,在建,116.312,39.866,\n"
                 "P2,方庄,储备,,,方庄地区\n")
HOTLINE_COLUMNS = ("工单编号,受理时间,诉求类别,所属街镇,社区,响应,解决,满意\n"
                   "H-1,2024-05-01,停车,丰台街道,,是,是,是\n")
STREET_ONLY_HOTLINE = ("工单编号,受理时间,诉求类别,所属街镇,社区,响应,解决,满意\n"
                       "H-1,2024-05-01 08:30,停车,丰台街道,东大街社区,是,是,是\n"
                       "H-2,2024-05-02 09:15,道路,方庄地区,芳城园社区,是,否,否\n"
                       "H-3,2024-05-03,物业,宛平城地区,,是,是,是\n")
ALL_REJECTED_PROJECTS = "项目编号,项目名称,项目状态\nP1,,在建\nP2,,在建\n"


def junk(n: int, seed: int = 20240501) -> bytes:
    return random.Random(seed).randbytes(n)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def workbook(*rows: list) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def feature_collection(*features: tuple[dict, dict | None]) -> bytes:
    return json.dumps({"type": "FeatureCollection",
                       "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features]},
                      ensure_ascii=False).encode("utf-8")


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


@dataclass
class Case:
    """A source folder (file name -> bytes), and what the build must do with it."""
    id: str
    files: Callable[[], dict[str, bytes]]
    fails_on: str | None = None          # the file a failed build must name; None: the build finishes
    says: tuple[str, ...] = ()           # more words the failure message must hold
    check: Callable[[dict, object], None] | None = None  # (report, store) of a finished build
    marks: tuple = field(default_factory=tuple)


def counts(layer: str, read: int, loaded: int) -> Callable[[dict, object], None]:
    def check(report: dict, store: object) -> None:
        c = report["layers"][layer]
        assert (c["read"], c["loaded"], c["rejected"]) == (read, loaded, read - loaded)
        frame = store.read(layer)
        assert len(frame) == loaded and "geometry" in frame.columns
    return check


def stored_names(layer: str, expected: list[str]) -> Callable[[dict, object], None]:
    def check(report: dict, store: object) -> None:
        assert sorted(store.read(layer)["name"]) == sorted(expected)
    return check


def no_geometry(layer: str, rows: int) -> Callable[[dict, object], None]:
    def check(report: dict, store: object) -> None:
        counts(layer, rows, rows)(report, store)
        frame = store.read(layer)
        assert frame.geometry.isna().all() and frame["street"].notna().all()
        assert frame.crs is not None and frame.crs.to_epsg() == 4326
    return check


def good(extra: dict[str, bytes]) -> Callable[[], dict[str, bytes]]:
    """A readable projects.csv beside the broken file (so only the broken file can fail)."""
    return lambda: {"projects.csv": GOOD_PROJECTS.encode("utf-8"), **extra}


CASES = [
    # --- CSV
    Case("empty_0_byte_csv", lambda: {"projects.csv": b""}, "projects.csv", ("空",)),
    Case("blank_lines_only_csv", lambda: {"projects.csv": b"\r\n\r\n   \r\n"}, "projects.csv"),
    Case("header_only_csv", lambda: {"projects.csv": "项目编号,项目名称,项目状态\n".encode()},
         check=counts("projects", 0, 0)),
    Case("another_layers_columns", good({"enterprises.csv": HOTLINE_COLUMNS.encode()}), "enterprises.csv",
         ("uscc",)),
    Case("binary_junk_csv", lambda: {"hotline.csv": junk(4096)}, "hotline.csv"),
    Case("nul_byte_in_value", lambda: {"projects.csv": GOOD_PROJECTS.replace("丽泽", "丽\x00泽").encode()},
         check=stored_names("projects", ["丽泽", "方庄"])),
    Case("nul_byte_in_header", lambda: {"projects.csv": GOOD_PROJECTS.replace("项目编号", "项目编号\x00").encode()},
         check=counts("projects", 2, 2)),
    Case("utf16_with_bom", lambda: {"projects.csv": GOOD_PROJECTS.encode("utf-16")},
         check=stored_names("projects", ["丽泽", "方庄"])),
    Case("utf16le_without_bom", lambda: {"projects.csv": GOOD_PROJECTS.encode("utf-16-le")},
         check=stored_names("projects", ["丽泽", "方庄"])),
    Case("duplicated_header_column", lambda: {"projects.csv": "项目编号,项目名称,项目名称,项目状态\nP1,甲,乙,在建\n".encode()},
         "projects.csv", ("项目名称",)),
    Case("two_headers_same_column", lambda: {"projects.csv": "项目编号,项目名称,Name,项目状态\nP1,甲,乙,在建\n".encode()},
         "projects.csv", ("Name",)),
    Case("duplicated_unknown_column", lambda: {"projects.csv": GOOD_PROJECTS.replace(
        "所属街镇\n", "所属街镇,备注,备注\n").encode()}, check=counts("projects", 2, 2)),
    Case("row_with_more_fields_than_header", lambda: {"projects.csv": (GOOD_PROJECTS + "P3,丰台区,南苑路,在建,,,\n"
                                                                          "P4,x,在建,1,2,3,4,5,6\n").encode()},
         "projects.csv", ("第 5 行",)),
    Case("unbalanced_quote", lambda: {"projects.csv": (GOOD_PROJECTS + 'P3,"丽泽,在建\n').encode()}, "projects.csv"),
    Case("title_line_above_header", lambda: {"projects.csv": ("2024年重大项目表\n" + GOOD_PROJECTS).encode()},
         check=counts("projects", 2, 2)),
    Case("excel_sep_line", lambda: {"projects.csv": ("sep=,\n" + GOOD_PROJECTS).encode()},
         check=counts("projects", 2, 2)),
    Case("semicolon_separated", lambda: {"projects.csv": GOOD_PROJECTS.replace(",", ";").encode()}, "projects.csv"),
    Case("coordinates_overflow", lambda: {"projects.csv": "项目编号,项目名称,项目状态,经度,纬度\n"
                                                           "P1,甲,在建,1e400,39.8\nP2,乙,在建,inf,-inf\n".encode()},
         check=counts("projects", 2, 0)),
    Case("every_row_rejected", lambda: {"projects.csv": ALL_REJECTED_PROJECTS.encode()},
         check=counts("projects", 2, 0)),
    Case("street_only_hotline", lambda: {"hotline.csv": STREET_ONLY_HOTLINE.encode()},
         check=no_geometry("hotline", 3)),
    # --- XLSX
    Case("random_bytes_xlsx", lambda: {"projects.xlsx": junk(4096)}, "projects.xlsx", ("Excel",)),
    Case("csv_named_xlsx", lambda: {"projects.xlsx": GOOD_PROJECTS.encode()}, "projects.xlsx"),
    Case("old_xls_or_encrypted_xlsx", lambda: {"projects.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + junk(1024)},
         "projects.xlsx"),
    Case("xlsx_without_sheet_data", lambda: {"projects.xlsx": workbook()}, "projects.xlsx"),
    Case("xlsx_header_only", lambda: {"projects.xlsx": workbook(["项目编号", "项目名称", "项目状态"])},
         check=counts("projects", 0, 0)),
    Case("zip_named_xlsx", lambda: {"projects.xlsx": zipped({"a.txt": b"x"})}, "projects.xlsx"),
    # --- Shapefile zip
    Case("zero_byte_zip", good({"streets.zip": b""}), "streets.zip", ("zip",)),
    Case("text_named_zip", good({"streets.zip": b"not a zip"}), "streets.zip", ("zip",)),
    Case("zip_without_shp", good({"streets.zip": zipped({"readme.txt": b"x", "streets.dbf": b"x"})}),
         "streets.zip", (".shp",)),
    Case("zip_with_corrupt_shp", good({"streets.zip": zipped({"s.shp": junk(300), "s.shx": junk(100),
                                                              "s.dbf": junk(100)})}), "streets.zip"),
    Case("shp_without_sidecars", good({"streets.shp": junk(300)}), "streets.shp"),
    # --- GeoPackage / GeoJSON
    Case("corrupt_gpkg", lambda: {"stations.gpkg": junk(8192)}, "stations.gpkg", ("GeoPackage",)),
    Case("zero_byte_gpkg", lambda: {"stations.gpkg": b""}, "stations.gpkg"),
    Case("geojson_not_json", lambda: {"stations.geojson": b"{not json"}, "stations.geojson", ("GeoJSON",)),
    Case("json_not_geojson", lambda: {"stations.geojson": b'{"a": 1}'}, "stations.geojson"),
    Case("zero_byte_geojson", lambda: {"stations.geojson": b""}, "stations.geojson"),
    Case("geojson_without_features", lambda: {"stations.geojson": feature_collection()}, "stations.geojson"),
    Case("geojson_null_geometries", lambda: {"stations.geojson": feature_collection(
        ({"站点编号": "S1", "站点名称": "甲", "类型": "先丰站", "所属街镇": "丰台街道"}, None),
        ({"站点编号": "S2", "站点名称": "乙", "类型": "先丰港", "所属街镇": "方庄地区"}, None))},
         check=no_geometry("stations", 2)),
    Case("geojson_nul_in_value", lambda: {"stations.geojson": feature_collection(
        ({"站点编号": "S1", "站点名称": "甲\u0000乙", "类型": "先丰站"}, point(116.2880, 39.8583)))},
         check=counts("stations", 1, 1)),
    Case("geojson_projected_without_crs", lambda: {"stations.geojson": feature_collection(
        ({"站点编号": "S1", "站点名称": "甲", "类型": "先丰站"}, point(500000, 4400000)))},
         check=counts("stations", 1, 0)),
    Case("streets_that_are_points", good({"streets.geojson": feature_collection(
        ({"name": "丰台街道"}, point(116.30, 39.85)))}), "streets.geojson"),
    Case("zones_all_rejected", good({"zones.geojson": feature_collection(
        ({"zone_id": "z1", "name": "甲", "kind": "重点功能区"}, point(116.30, 39.85)))}), "zones.geojson"),
]


@pytest.fixture(scope="module")
def postgis_url() -> str:
    server = PostGISServer().start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def baseline_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished store that failed builds must leave as it is."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "src").mkdir()
    (folder / "src" / "projects.csv").write_text(GOOD_PROJECTS, encoding="utf-8")
    assert main(["build", "--source", str(folder / "src"), "--store", str(folder / "store.gpkg"), "--quiet"]) == 0
    return folder / "store.gpkg"


STORES = ["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)]


@pytest.fixture(params=STORES)
def target(request: pytest.FixtureRequest, tmp_path: Path, baseline_gpkg: Path) -> str:
    """A store that already holds a finished build."""
    if request.param == "gpkg":
        shutil.copy(baseline_gpkg, tmp_path / "store.gpkg")
        return str(tmp_path / "store.gpkg")
    url = request.getfixturevalue("postgis_url")
    if "build_report" not in open_store(url).layers():
        assert main(["build", "--source", str(baseline_gpkg.parent / "src"), "--store", url, "--quiet"]) == 0
    return url


def state(target: str) -> tuple:
    """What a failed build must not change: the file's bytes, or the tables and the report."""
    if target.endswith(".gpkg"):
        return hashlib.sha256(Path(target).read_bytes()).hexdigest(), Path(target).stat().st_mtime_ns
    with create_engine(sqlalchemy_url(target)).connect() as conn:
        tables = sorted(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'")).scalars())
        rows = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables
                if t != "spatial_ref_sys"}
    return tables, rows, open_store(target).read_report()["built_at"]


def one_paragraph(message: str) -> bool:
    return message.strip() != "" and "\n\n" not in message.strip() and "Traceback" not in message


def write_source(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_broken_input_finishes_or_fails_with_one_paragraph(case: Case, target: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    source = write_source(tmp_path / "source", case.files())
    before = state(target)
    report_path = tmp_path / "report.json"
    code = main(["build", "--source", str(source), "--store", target, "--report", str(report_path), "--quiet"])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    if case.fails_on is None:
        assert code == 0, err
        report = json.loads(report_path.read_text(encoding="utf-8"))
        for layer, c in report["layers"].items():
            assert c["read"] == c["loaded"] + c["rejected"], layer
        if case.check:
            case.check(report, open_store(target))
    else:
        assert code == 2, err
        assert one_paragraph(err), err
        assert case.fails_on in err, err
        assert "原有存储未改动" in err
        for word in case.says:
            assert word in err, (word, err)
        assert not report_path.exists()
        assert state(target) == before
    if target.endswith(".gpkg"):  # no half-written store beside it
        assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".gpkg") == ["store.gpkg"]


def _build_both(files: dict[str, bytes], tmp_path: Path, url: str) -> tuple[dict, dict, object, object]:
    source = write_source(tmp_path / "source", files)
    reports = []
    for target in (str(tmp_path / "store.gpkg"), url):
        report_path = tmp_path / f"report-{len(reports)}.json"
        assert main(["build", "--source", str(source), "--store", target, "--report", str(report_path),
                     "--quiet"]) == 0
        reports.append(json.loads(report_path.read_text(encoding="utf-8")))
    return reports[0], reports[1], open_store(str(tmp_path / "store.gpkg")), open_store(url)


def layer_counts(report: dict) -> dict[str, tuple[int, int, int]]:
    return {k: (v["read"], v["loaded"], v["rejected"]) for k, v in report["layers"].items()}


def _same_layer(layer: str, gpkg: object, pg: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    a, b = gpkg.read(layer), pg.read(layer)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    assert a.crs.to_epsg() == b.crs.to_epsg() == 4326
    for col in ("lon", "lat", "source_row"):
        if col in a.columns:
            assert a[col].dtype == b[col].dtype, col
    return a, b


def _same_tables(gpkg: object, pg: object) -> None:
    """The tables without geometry (link table, indicators) read back alike from both stores."""
    for table in TABLES:
        a, b = gpkg.read(table), pg.read(table)
        assert dict(a.dtypes.astype(str)) == dict(b.dtypes.astype(str)), table
        key = list(a.columns[:4])
        pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                      b.sort_values(key).reset_index(drop=True), check_exact=False, rtol=1e-12)


def _table_geometry(url: str, table: str) -> tuple[int, str]:
    with create_engine(sqlalchemy_url(url)).connect() as conn:
        return conn.execute(text("SELECT srid, type FROM geometry_columns WHERE f_table_schema='public' "
                                 "AND f_table_name=:t AND f_geometry_column='geometry'"), {"t": table}).one()


@pytest.mark.postgis
def test_street_only_hotline_builds_alike_into_both_stores(postgis_url: str, tmp_path: Path) -> None:
    files = {"hotline.csv": STREET_ONLY_HOTLINE.encode()}
    report_gpkg, report_pg, gpkg, pg = _build_both(files, tmp_path, postgis_url)
    assert layer_counts(report_gpkg) == layer_counts(report_pg)
    assert layer_counts(report_pg)["hotline"] == (3, 3, 0)
    a, b = _same_layer("hotline", gpkg, pg)
    assert a.geometry.isna().all() and b.geometry.isna().all()
    assert sorted(b["street"]) == sorted(a["street"]) and b["street"].notna().all()
    assert (b["placement"] == "street").all() and b["lon"].isna().all()
    assert _table_geometry(postgis_url, "hotline") == (4326, "POINT")
    _same_tables(gpkg, pg)
    assert len(pg.read_members("hotline")) == 0                 # no point, no zone
    # later builds and reads work on the table as declared
    assert main(["build", "--source", str(tmp_path / "source"), "--store", postgis_url, "--quiet"]) == 0
    assert len(open_store(postgis_url).read("hotline", columns=["case_id"], zone_id="lize")) == 0
    assert len(open_store(postgis_url).read("hotline")) == 3


@pytest.mark.postgis
def test_empty_layer_builds_alike_into_both_stores(postgis_url: str, tmp_path: Path) -> None:
    files = {"projects.csv": ALL_REJECTED_PROJECTS.encode(), "hotline.csv": STREET_ONLY_HOTLINE.encode()}
    report_gpkg, report_pg, gpkg, pg = _build_both(files, tmp_path, postgis_url)
    assert layer_counts(report_gpkg) == layer_counts(report_pg)
    assert layer_counts(report_pg)["projects"] == (2, 0, 2)
    a, b = _same_layer("projects", gpkg, pg)
    assert len(a) == 0 and "geometry" in b.columns
    assert dict(a.dtypes.astype(str)) == dict(b.dtypes.astype(str))
    assert _table_geometry(postgis_url, "projects") == (4326, "POINT")
    assert len(pg.read("projects", zone_id="lize")) == 0
    _same_tables(gpkg, pg)


def test_unexpected_error_is_one_paragraph_and_debug_shows_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("boom 42")

    monkeypatch.setattr(loaders.build, "build", broken)
    monkeypatch.delenv("LOADERS_DEBUG", raising=False)
    assert main(["build", "--store", str(tmp_path / "s.gpkg"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert one_paragraph(err) and "RuntimeError" in err and "boom 42" in err
    assert "原有存储未改动" in err and "LOADERS_DEBUG" in err and "report" in err
    monkeypatch.setenv("LOADERS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom 42"):
        main(["build", "--store", str(tmp_path / "s.gpkg"), "--quiet"])


def test_debug_shows_the_cause_of_a_build_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    source = write_source(tmp_path / "source", good({"streets.zip": b""})())
    monkeypatch.setenv("LOADERS_DEBUG", "1")
    assert main(["build", "--source", str(source), "--store", str(tmp_path / "s.gpkg"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "BadZipFile" in err and "streets.zip" in err


@pytest.mark.parametrize("error", [RuntimeError("odd"), ValueError("bad shape"), KeyError("col"),
                                   UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
                                   OSError(13, "Permission denied")])
def test_any_read_failure_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         error: Exception) -> None:
    path = tmp_path / "projects.csv"
    path.write_text(GOOD_PROJECTS, encoding="utf-8")

    def failing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise error

    monkeypatch.setattr(loaders.read, "_grid_from_csv", failing)
    with pytest.raises(BuildError) as raised:
        read_layer_file("projects", path)
    message = str(raised.value)
    assert message.startswith("projects.csv: ") and "\n" not in message
    assert raised.value.__cause__ is error


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("case_id", ["zero_byte_zip", "corrupt_gpkg", "utf16le_without_bom", "street_only_hotline"])
def test_command_line_never_prints_a_traceback(case_id: str, store: str, tmp_path: Path,
                                               request: pytest.FixtureRequest) -> None:
    case = next(c for c in CASES if c.id == case_id)
    source = write_source(tmp_path / "source", case.files())
    target = str(tmp_path / "s.gpkg") if store == "gpkg" else request.getfixturevalue("postgis_url")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("LOADERS_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "loaders", "build", "--source", str(source), "--store", target,
                           "--quiet"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    if case.fails_on:
        assert done.returncode == 2 and one_paragraph(done.stderr) and case.fails_on in done.stderr
    else:
        assert done.returncode == 0, done.stderr
