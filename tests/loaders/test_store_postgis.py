"""The PostGIS store against a real server: same layers and counts as GeoPackage, atomic swap."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from loaders.__main__ import main
from loaders.store import open_store, sqlalchemy_url
from tests.postgis import PostGISServer

PROJECTS = """项目编号,项目名称,项目状态,项目级别,产业类别,总投资(万元),经度,纬度,所属功能区,所属街镇
P1,示例丽泽项目,在建,市级,金融,120000,116.312,39.866,丽泽金融商务区,
P2,示例无坐标项目,储备,区级,住房,5000,,,,方庄地区
P3,示例区外项目,建成,区级,商贸,100,116.60,39.95,,
P4,示例重复,在建,区级,商贸,100,116.30,39.85,,
P4,示例重复2,在建,区级,商贸,100,116.30,39.85,,
"""


@pytest.fixture(scope="module")
def postgis():
    server = PostGISServer().start()
    yield server
    server.stop()


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    return folder


def test_build_into_postgis_matches_contract(postgis: PostGISServer, source: Path, tmp_path: Path) -> None:
    report_file = tmp_path / "r.json"
    assert main(["build", "--source", str(source), "--store", postgis.url, "--report", str(report_file),
                 "--quiet"]) == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    counts = report["layers"]["projects"]
    assert (counts["read"], counts["loaded"], counts["rejected"]) == (5, 3, 2)
    engine = create_engine(sqlalchemy_url(postgis.url))
    with engine.connect() as conn:
        tables = set(pd.read_sql(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"), conn)
                     ["tablename"])
        assert {"streets", "zones", "projects", "build_report"} <= tables
        assert not any(t.endswith("__new") for t in tables)
        srid = conn.execute(text("SELECT Find_SRID('public','projects','geometry')")).scalar()
        assert srid == 4326
        lize = conn.execute(text("SELECT project_id FROM projects WHERE zone_ids LIKE '%,lize,%'")).scalars().all()
        assert lize == ["P1"]
        streets = dict(conn.execute(text("SELECT project_id, street FROM projects")).all())
        assert streets["P2"] == "方庄街道" and all(streets.values())
        no_point = conn.execute(text("SELECT geometry IS NULL FROM projects WHERE project_id='P2'")).scalar()
        assert no_point is True
        assert conn.execute(text("SELECT count(*) FROM streets")).scalar() == 26
    store = open_store(postgis.url)
    assert store.read_report()["layers"]["projects"]["loaded"] == 3
    frame = store.read("projects", zone_id="lize")
    assert frame["project_id"].tolist() == ["P1"] and frame.crs.to_epsg() == 4326


def test_failed_build_leaves_postgis_store_untouched(postgis: PostGISServer, source: Path) -> None:
    assert main(["build", "--source", str(source), "--store", postgis.url, "--quiet"]) == 0
    before = open_store(postgis.url).read_report()["built_at"]
    (source / "projects.csv").write_text("名称,状态\nx,在建\n", encoding="utf-8")  # no project_id column
    assert main(["build", "--source", str(source), "--store", postgis.url, "--quiet"]) == 2
    store = open_store(postgis.url)
    assert store.read_report()["built_at"] == before
    assert len(store.read("projects")) == 3
