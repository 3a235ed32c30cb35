"""The quality page lists a completed project dated in the future (issue 11), by its label."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
import streamlit_folium

from loaders.build import build
from loaders.schema import WARNING_KINDS
from tests.dashboard.conftest import run_page

PROJECTS = ("项目编号,项目名称,项目状态,开工时间,竣工时间,所属街镇\n"
            "Q-1,示例明年竣工,建成,2029-01-01,2031-06-30,太平桥街道\n"
            "Q-2,示例已竣工,建成,2027-01-01,2028-06-30,太平桥街道\n")


@pytest.fixture()
def dated_store(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    target = tmp_path / "store.gpkg"
    build(tmp_path / "src", str(target), progress=False, now=datetime(2030, 3, 10, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
    monkeypatch.setenv("DASHBOARD_STORE", str(target))
    monkeypatch.setenv("DASHBOARD_AUTH", "none")
    monkeypatch.delenv("DASHBOARD_USERS", raising=False)
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    st.cache_resource.clear()
    st.cache_data.clear()
    yield target
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_quality_page_shows_the_future_completion_warning(dated_store, lang: str) -> None:  # noqa: ANN001
    at = run_page("quality", {"lang": lang}, timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    label = WARNING_KINDS["completed_in_future"][0 if lang == "zh" else 1]
    cells = [str(v) for frame in at.dataframe for v in frame.value.astype(str).to_numpy().ravel()]
    assert label in cells, f"{label!r} not among the quality page's table cells"
    assert "completed_in_future" not in cells            # the label, not the code
    assert sum("Q-1" in c or "2031-06-30" in c for c in cells) >= 1   # the row's value is named
