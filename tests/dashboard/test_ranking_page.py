"""The 接诉即办 ranking page (/ranking, issue 19), on the sample store: the month in the URL, both
groups ranked separately, the change column, the lowest three marked, a street's rank line."""
from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st
import streamlit_folium

from loaders.build import ensure_sample_store
from loaders.store import open_store
from tests.dashboard.conftest import run_page


@pytest.fixture(autouse=True)
def sample_only(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="module")
def ranking() -> pd.DataFrame:
    frame = pd.DataFrame(open_store(ensure_sample_store()).read("street_ranking"))
    return frame.assign(m=pd.to_datetime(frame["month"]).dt.strftime("%Y-%m"))


def test_the_month_in_the_url_shows_that_months_ranking(ranking: pd.DataFrame) -> None:
    month = sorted(ranking["m"].unique())[-2]
    at = run_page("ranking", {"month": month}, timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    tables = [f.value for f in at.dataframe]
    assert len(tables) == 2                                   # 街道 and 镇, ranked separately
    this = ranking[ranking["m"] == month]
    for table, group in zip(tables, ("街道", "镇")):
        expected = this[this["group"] == group].sort_values(["rank", "street"])
        assert list(table["所属街镇"]) == list(expected["street"])
        assert list(table["排名"]) == list(expected["rank"].astype(int))
        assert table["排名"].min() == 1
    changes = set(tables[0]["较上月"])
    assert changes <= {"—", "新上榜"} | {f"↑{n}" for n in range(1, 30)} | {f"↓{n}" for n in range(1, 30)}
    assert at.query_params.get("month") in (month, [month])
    assert any("--ranking-weights" in c.value for c in at.caption)   # the page says which weights


def test_an_unknown_month_falls_back_to_the_latest_and_says_so(ranking: pd.DataFrame) -> None:
    at = run_page("ranking", {"month": "1999-01"}, timeout=120)
    assert not at.exception
    assert any("1999-01" in i.value for i in at.info)
    assert at.query_params.get("month") in (ranking["m"].max(), [ranking["m"].max()])


def test_a_street_in_the_url_gets_its_rank_line(ranking: pd.DataFrame) -> None:
    street = ranking["street"].iloc[0]
    at = run_page("ranking", {"street": street}, timeout=120)
    assert not at.exception
    assert [s.value for s in at.selectbox if s.label == "查看街镇近 12 个月排名"] == [street]
    assert any(street in m.value and "近 12 个月排名" in m.value for m in at.markdown)
