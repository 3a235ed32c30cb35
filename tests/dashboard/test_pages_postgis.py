"""The pages run on a PostGIS store too (a real server started by tests/postgis.py), as the
read-only role of deploy/postgis-roles.sql (the build runs as the writer role)."""
from __future__ import annotations

import pytest
import streamlit as st
import streamlit_folium

from loaders.build import build
from tests.dashboard.conftest import run_page
from tests.postgis import PostGISServer

PROJECTS = """项目编号,项目名称,项目状态,项目级别,产业类别,总投资(万元),经度,纬度,所属街镇
PG-1,PostGIS丽泽项目,在建,市级,金融,120000,116.312,39.866,
PG-2,PostGIS无坐标项目,储备,区级,住房,5000,,,方庄地区
"""


@pytest.fixture(scope="module")
def postgis_store(tmp_path_factory) -> str:
    server = PostGISServer().start().with_roles()
    source = tmp_path_factory.mktemp("pg_src")
    (source / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    build(source, server.writer_url, progress=False)
    yield server.reader_url
    server.stop()


@pytest.fixture(autouse=True)
def fresh_caches():
    """Other page tests in this process cached the sample store: start and end clean."""
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.parametrize("page,params", [("overview", {}), ("zone", {"zone": "lize"}), ("projects", {}),
                                         ("quality", {}), ("downloads", {"layer": "projects"})])
def test_pages_run_on_postgis(postgis_store: str, monkeypatch, page: str, params: dict) -> None:
    monkeypatch.setenv("DASHBOARD_STORE", postgis_store)
    monkeypatch.setenv("DASHBOARD_AUTH", "none")
    monkeypatch.delenv("DASHBOARD_USERS", raising=False)
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    at = run_page(page, params, timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = " ".join(m.value for m in at.markdown)
    assert 'data-banner="open"' in text          # DASHBOARD_AUTH=none warns on every page
    assert 'data-banner="sample"' not in text    # not the sample: no sample banner
    assert 'data-banner="schematic"' in text     # but the bundled schematic geometry is in use
    if page == "overview":
        assert {m.label: m.value for m in at.metric}["重大项目数"].startswith("2")


def test_the_store_url_can_come_from_streamlit_secrets(postgis_store: str, monkeypatch) -> None:
    """No password in the environment or the repository: ``[dashboard] store`` in secrets.toml."""
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    monkeypatch.delenv("DASHBOARD_STORE", raising=False)
    monkeypatch.delenv("DASHBOARD_USERS", raising=False)
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["dashboard"] = {"store": postgis_store, "auth": "none"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert 'data-banner="sample"' not in text and 'data-banner="open"' in text
    assert {m.label: m.value for m in at.metric}["重大项目数"].startswith("2")
