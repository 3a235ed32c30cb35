"""A finished build is what the next page run shows (no restart), on both stores; a store that
breaks in the middle of a session gives the store message, never a traceback."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
import streamlit_folium

from loaders.build import build
from tests.dashboard.conftest import run_page
from tests.postgis import PostGISServer

HEADER = "project_id,name,status,level,industry,investment_total,lon,lat,street\n"
ROWS = ["R1,示例项目甲,在建,区级,金融,12.5,116.30,39.85,\n",
        "R2,示例项目乙,储备,市级,数字经济,3,116.32,39.86,\n",
        "R3,示例项目丙,建成,区级,商贸,7,116.25,39.83,\n"]


def source_with(folder: Path, projects: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "projects.csv").write_text(HEADER + "".join(ROWS[:projects]), encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    """Other page tests in this process cached other stores and settings: start and end clean."""
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    monkeypatch.setenv("DASHBOARD_AUTH", "none")
    monkeypatch.delenv("DASHBOARD_USERS", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def projects_kpi(at) -> str:  # noqa: ANN001 - AppTest
    return {m.label: m.value for m in at.metric}["重大项目数"]


def built_at_shown(at) -> str:  # noqa: ANN001 - AppTest
    lines = [m.value for m in at.markdown if 'data-testid="ft-built-at"' in m.value]
    assert len(lines) == 1, lines
    return lines[0]


def overview_on_store(tmp_path: Path, monkeypatch):  # noqa: ANN201 - (AppTest, store path)
    """The overview on a 2-project GeoPackage store built into ``tmp_path``."""
    store = tmp_path / "district.gpkg"
    build(source_with(tmp_path / "a", 2), str(store), progress=False)
    monkeypatch.setenv("DASHBOARD_STORE", str(store))
    at = run_page("overview", {})
    assert not at.exception, [e.value for e in at.exception]
    assert projects_kpi(at).startswith("2")
    return at, store


def rebuild_and_rerun(at, source: Path, target: str) -> None:  # noqa: ANN001 - AppTest
    time.sleep(1.1)  # built_at has one-second resolution: the second build's time must differ
    report = build(source, target, progress=False)
    assert report["layers"]["projects"]["loaded"] == 3
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_gpkg_rebuild_shows_on_the_next_run(tmp_path, monkeypatch):
    at, store = overview_on_store(tmp_path, monkeypatch)
    first = built_at_shown(at)
    assert "数据截至 " in first
    rebuild_and_rerun(at, source_with(tmp_path / "b", 3), str(store))
    assert projects_kpi(at).startswith("3")
    assert built_at_shown(at) != first


@pytest.mark.postgis
def test_postgis_rebuild_shows_on_the_next_run(tmp_path, monkeypatch):
    server = PostGISServer().start()
    try:
        build(source_with(tmp_path / "a", 2), server.url, progress=False)
        monkeypatch.setenv("DASHBOARD_STORE", server.url)
        at = run_page("overview", {}, timeout=120)
        assert not at.exception, [e.value for e in at.exception]
        assert projects_kpi(at).startswith("2")
        rebuild_and_rerun(at, source_with(tmp_path / "b", 3), server.url)
        assert projects_kpi(at).startswith("3")
    finally:
        server.stop()


def test_store_broken_mid_session_shows_the_message_not_a_traceback(tmp_path, monkeypatch):
    at, store = overview_on_store(tmp_path, monkeypatch)
    store.write_bytes(b"not a geopackage any more")  # a disk fault, a half-copied file
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "无法打开数据库" in at.error[0].value, [e.value for e in at.error]


def test_store_changed_during_a_read_reruns_the_page(tmp_path, monkeypatch):
    """A swap between the token check and a layer read is noticed after the read, never mixed in."""
    from dashboard.store import data

    _, store = overview_on_store(tmp_path, monkeypatch)
    token = data._store().build_token()
    build(source_with(tmp_path / "b", 3), str(store), progress=False)
    with pytest.raises(data.StoreChanged):
        data._check_unchanged(token)
