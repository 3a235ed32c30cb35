"""Least privilege on PostGIS (issue 12): deploy/postgis-roles.sql makes a writer role for
builds and a read-only role for the dashboard; this runs that very file on a real server."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from dashboard.security import audit
from loaders.build import build
from loaders.errors import BuildError
from loaders.store import open_store, sqlalchemy_url
from tests.postgis import PostGISServer

PROJECTS = """项目编号,项目名称,项目状态,项目级别,产业类别,总投资(万元),经度,纬度,所属街镇
R-1,丽泽项目,在建,市级,金融,120000,116.312,39.866,
R-2,无坐标项目,储备,区级,住房,5000,,,方庄地区
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pg = PostGISServer().start().with_roles().with_roles()   # twice: the script is idempotent
    source = tmp_path_factory.mktemp("roles_src")
    (source / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    build(source, pg.writer_url, progress=False)
    yield pg
    pg.stop()


def _refused(pg: PostGISServer, sql: str) -> str:
    with pytest.raises(subprocess.CalledProcessError) as info:
        pg.psql(sql, user="fengtai_reader")
    return info.value.stderr


def test_the_reader_reads_every_table_the_writer_built(server: PostGISServer) -> None:
    store = open_store(server.reader_url)
    assert {"projects", "zones", "streets", "zone_stats", "street_stats", "zone_members", "build_report"} \
        <= set(store.layers())
    assert len(store.read("projects")) == 2
    assert store.read_report()["layers"]["projects"]["loaded"] == 2
    assert server.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'projects'").strip() == "fengtai_writer"


def test_the_reader_can_change_nothing(server: PostGISServer) -> None:
    assert "permission denied" in _refused(server, "CREATE TABLE sneaky (x int)")
    assert "must be owner" in _refused(server, "DROP TABLE projects")
    assert "permission denied" in _refused(server, "UPDATE projects SET name = 'x'")
    assert "permission denied" in _refused(server, "DELETE FROM zone_stats")
    assert "permission denied" in _refused(server, "INSERT INTO projects (project_id) VALUES ('x')")
    assert "permission denied" in _refused(server, "DELETE FROM audit_log")
    with pytest.raises(subprocess.CalledProcessError) as info:   # not even its owner may
        server.psql("TRUNCATE audit_log", user="fengtai_writer")
    assert "append-only" in info.value.stderr


def test_a_build_as_the_reader_fails_clearly_and_changes_nothing(server: PostGISServer, tmp_path: Path) -> None:
    before = open_store(server.reader_url).build_token()
    (tmp_path / "projects.csv").write_text(PROJECTS.replace("R-2", "R-3"), encoding="utf-8")
    with pytest.raises((BuildError, Exception)) as info:
        build(tmp_path, server.reader_url, progress=False)
    assert "permission denied" in str(info.value)
    assert open_store(server.reader_url).build_token() == before


def test_the_reader_appends_to_the_audit_log(server: PostGISServer) -> None:
    log = audit.AuditLog(server.reader_url)
    log.record(audit.Entry("download", user="分析员", role="analyst", layer="projects", rows=2),
               at=datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc))
    rows = log.read(users=["分析员"])
    assert list(rows["event"]) == ["download"] and list(rows["rows"]) == [2]
    log.dispose()


def test_the_scripts_audit_table_is_the_one_the_code_declares(server: PostGISServer) -> None:
    engine = create_engine(sqlalchemy_url(server.url))
    try:
        made = {c["name"]: (type(c["type"]).__name__, c["nullable"]) for c in inspect(engine).get_columns("audit_log")}
    finally:
        engine.dispose()
    declared = {c.name: (type(c.type).__name__, c.nullable) for c in audit._table.columns}
    norm = {"INTEGER": "Integer", "TEXT": "Text", "TIMESTAMP": "DateTime"}
    assert {k: (norm.get(t, t), n) for k, (t, n) in made.items()} == \
        {k: (norm.get(t.upper(), t), n) for k, (t, n) in declared.items()}
