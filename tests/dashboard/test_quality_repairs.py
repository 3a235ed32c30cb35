"""Issue 18.2/18.3 on the quality page: a repaired street's before/after picture, and the build's
reasons and warnings in the reader's language only (the report stores both)."""
from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import streamlit as st
import streamlit_folium

from dashboard.web import views
from geodata import boundaries
from geodata.crs import METRIC_CRS
from loaders.build import build
from tests.dashboard.conftest import run_page
from tests.loaders.test_polygon_repair import SPIKED, spiked

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def spike_store(tmp_path_factory):  # noqa: ANN001, ANN201
    folder = tmp_path_factory.mktemp("quality_spike")
    source = folder / "source"
    source.mkdir()
    streets = boundaries.load_streets()[["name", "code", "geometry"]].reset_index(drop=True)
    true = streets.set_index("name").geometry[SPIKED]
    metric, _ = spiked(gpd.GeoSeries([true], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0])
    geoms = streets.geometry.to_numpy().copy()
    geoms[streets.index[streets["name"] == SPIKED][0]] = gpd.GeoSeries([metric], crs=METRIC_CRS).to_crs(4326).iloc[0]
    gpd.GeoDataFrame(streets.drop(columns="geometry"), geometry=geoms, crs="EPSG:4326").to_file(
        source / "streets.geojson", driver="GeoJSON")
    pd.DataFrame([("P-1", "项目", "在建", "不存在街道")], columns=["项目编号", "项目名称", "项目状态", "所属街镇"]).to_csv(
        source / "projects.csv", index=False)   # one reject: an unknown street
    build(source, str(folder / "store.gpkg"), progress=False)
    return folder / "store.gpkg"


@pytest.fixture()
def quality_page(spike_store, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("DASHBOARD_STORE", str(spike_store))
    monkeypatch.setenv("DASHBOARD_AUTH", "none")
    monkeypatch.delenv("DASHBOARD_USERS", raising=False)
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_quality_page_pictures_the_repair_and_speaks_one_language(quality_page, lang: str) -> None:  # noqa: ANN001
    at = run_page("quality", {"lang": lang}, timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    pictures = [m.value for m in at.markdown if 'data-testid="repair-picture"' in m.value]
    assert len(pictures) == 1 and SPIKED in pictures[0]
    assert pictures[0].count("<path") == 4          # before and after, whole and zoomed
    reject_cells = [str(v) for frame in at.dataframe for v in frame.value.astype(str).to_numpy().ravel()
                    if "不存在街道" in str(v) or "unknown" in str(v).lower() or "无法识别" in str(v)]
    assert reject_cells, "the unknown street's reject is not shown"
    tables = [frame.value for frame in at.dataframe]
    reasons = [t[c] for t in tables for c in t.columns if c in ("原因", "Reason", "说明", "Message")]
    assert reasons
    for column in reasons:
        for text in column.astype(str):
            readable = re.sub(r"“[^”]*”|\"[^\"]*\"", "", text)   # values quoted from the files stay as written
            if lang == "en":
                assert not CJK.search(readable.replace(SPIKED, "")), text
            else:
                assert not re.search(r"\([A-Za-z][a-z ,']+\)$", text), text   # no "(English)" tail


def test_repair_picture_zooms_to_the_self_crossing() -> None:
    true = boundaries.load_streets().set_index("name").geometry[SPIKED]
    metric, _ = spiked(gpd.GeoSeries([true], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0])
    before = gpd.GeoSeries([metric], crs=METRIC_CRS).to_crs(4326).iloc[0]
    import shapely

    after = shapely.make_valid(before, method="structure", keep_collapsed=False)
    svg = views.repair_picture_svg(before.wkt, after.wkt, "<b>右安门</b>", "zh")
    assert svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg   # the label is escaped
    assert "自相交处 · 150 m" in svg and "修复前" in svg
