"""Every page runs on the sample store with banners and KPIs; each page's map stays small.

Maps are captured by replacing ``st_folium`` with a recorder, so the HTML measured is
exactly what each page builds on the sample store.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit_folium
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
MAX_MAP_BYTES = 1_500_000
PAGES = [("overview", {}), ("zone", {"zone": "xishan_yongding"}), ("zone", {"zone": "hexi"}),
         ("projects", {}), ("downloads", {}), ("quality", {})]


@pytest.fixture(scope="module")
def captured_maps():
    return []


@pytest.fixture(autouse=True)
def record_maps(monkeypatch, captured_maps):
    def fake(m, **kwargs):
        captured_maps.append(m.get_root().render())
        return {}
    monkeypatch.setattr(streamlit_folium, "st_folium", fake)
    monkeypatch.delenv("DASHBOARD_STORE", raising=False)
    monkeypatch.delenv("DASHBOARD_USERS", raising=False)
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)


def _run(page: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"screens/{page}.py")
        at.run()
    return at


@pytest.mark.parametrize("page,params", PAGES)
def test_page_runs_with_banners(page, params, captured_maps):
    captured_maps.clear()
    at = _run(page, params)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = " ".join(m.value for m in at.markdown)
    assert 'data-banner="sample"' in text and "示例数据" in text
    assert 'data-banner="schematic"' in text and "示意边界" in text
    assert 'data-banner="open"' not in text
    if page in ("overview", "zone", "projects"):
        assert captured_maps, "page built no map"
        size = len(captured_maps[-1].encode())
        print(f"map html {page} {params}: {size:,} bytes")
        assert size < MAX_MAP_BYTES, size
    if page in ("overview", "zone"):
        values = [m.value for m in at.metric]
        assert len(values) == 6 and all(v and v != "—" for v in values), values


def test_overview_kpis_use_chinese_units():
    at = _run("overview", {})
    values = {m.label: m.value for m in at.metric}
    assert values["总投资"].endswith("亿元")
    assert "," in values["企业数"]


def test_personal_columns_never_reach_the_downloads_page():
    at = _run("downloads", {"layer": "enterprises"})
    assert not at.exception
    shown = " ".join(str(df.value.columns.tolist()) for df in at.dataframe)
    assert "contact_person" not in shown and "contact_phone" not in shown
    assert any("个人信息" in c.value for c in at.caption)


def test_english_switch():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["lang"] = "en"
    at.run()
    assert "Total investment" in [m.label for m in at.metric]
