"""The zone page's 企业诉求 panel on the sample store: the build's figures, the needs by
category, the oldest open needs; their text only for a viewer with the personal-data grant."""
from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st
import streamlit_folium

from dashboard import i18n
from dashboard.exports import tables
from dashboard.security import sessions as auth
from dashboard.store.queries import needs_by_category, oldest_open_needs
from loaders.build import ensure_sample_store
from loaders.store import open_store
from tests.dashboard.conftest import run_page, run_signed_in, store_copy, users_file


@pytest.fixture(scope="module")
def sample():
    return open_store(ensure_sample_store())


def _panel_frames(at) -> list[pd.DataFrame]:  # noqa: ANN001 - AppTest
    return [df.value for df in at.dataframe if i18n.column_label("days_open", "zh", "needs") in df.value.columns]


def test_the_panel_shows_the_builds_figures(sample, monkeypatch) -> None:
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    at = run_page("zone", {"zone": "lize"})
    assert not at.exception, [e.value for e in at.exception]
    lize = sample.read("zone_stats").set_index("zone_id").loc["lize"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["办理中"] == f"{int(lize['needs_open']):,}"
    assert metrics["超期（>30天）"] == f"{int(lize['needs_overdue']):,}"
    assert metrics["办结率"] == f"{lize['needs_closure_rate'] * 100:.1f}%"
    assert "ft-needs" in " ".join(m.value for m in at.markdown)
    oldest = _panel_frames(at)
    assert len(oldest) == 1 and len(oldest[0]) == 10
    days = oldest[0][i18n.column_label("days_open", "zh", "needs")].tolist()
    assert days == sorted(days, reverse=True) and days[0] > 30
    assert i18n.column_label("summary", "zh", "needs") not in oldest[0].columns   # not signed in: no grant
    assert any("个人信息" in c.value for c in at.caption)


def test_pure_queries(sample) -> None:
    breakdown = sample.read("needs_breakdown")
    cats = needs_by_category(breakdown, "zone", "lize")
    assert list(cats["category"])[:2] == ["land", "finance"] and "all" not in set(cats["category"])
    lize = sample.read("zone_stats").set_index("zone_id").loc["lize"]
    assert cats["needs"].sum() == lize["needs"] and cats["overdue"].sum() == lize["needs_overdue"]
    needs = sample.read("needs")
    oldest = oldest_open_needs(needs, 5)
    assert (oldest["status"] == "open").all() and oldest["days_open"].is_monotonic_decreasing
    assert needs_by_category(breakdown, "zone", "nowhere").empty


def test_needs_download_has_chinese_labels_and_masks_the_summary(sample) -> None:
    from dashboard.security.access import PERSONAL_MASKED, for_viewer
    needs = for_viewer(sample.read("needs").head(20), "needs", PERSONAL_MASKED)
    assert set(needs["summary"]) == {"***"}
    assert tables.header_label("needs", "summary") == "诉求内容"
    assert tables.header_label("needs", "days_open") == "已办理天数"
    assert tables.enum_kind("needs", "category") == "need_category"
    assert tables.value_label("need_category", "permits") == "审批"
    assert tables.value_label("need_status", "open", "en") == "Open"


def test_the_needs_layer_downloads_with_its_filters(monkeypatch) -> None:
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    at = run_page("downloads", {"layer": "needs"})
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.multiselect]
    assert "诉求类别" in labels and "办理状态" in labels
    shown = " ".join(str(df.value.columns.tolist()) for df in at.dataframe)
    assert "summary" not in shown and "诉求内容" not in shown, shown      # personal: left out without the grant
    assert "已办理天数" in shown or "days_open" in shown
    assert any(c.value.startswith("· 诉求内容属于个人信息") for c in at.caption)
    category = next(m for m in at.multiselect if m.label == "诉求类别")
    category.set_value(["permits"]).run()
    assert not at.exception, [e.value for e in at.exception]
    owner = next(m for m in at.multiselect if m.label == "责任单位")
    assert "示例区政务服务局" in owner.options
    owner.set_value(["示例区政务服务局"]).run()
    assert not at.exception, [e.value for e in at.exception]


def test_the_meeting_slide_has_the_needs_line(sample, monkeypatch) -> None:
    from dashboard.briefing import figures
    from dashboard.web import slides
    lize = sample.read("zone_stats").set_index("zone_id").loc["lize"]
    line = figures.needs_line(lize, "zh")
    assert line.startswith("企业诉求：办理中 ") and f"超期 {int(lize['needs_overdue']):,} 件" in line
    assert "overdue (more than 30 days)" in figures.needs_line(lize, "en")
    assert figures.needs_line({"needs": 0}, "zh") == "" and slides.needs_line_html("") == ""
    assert "&lt;b&gt;" in slides.needs_line_html("<b>x</b>")
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    at = run_page("meeting", {"zone": "lize"})
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert 'data-testid="mt-needs"' in text and "企业诉求：办理中" in text


def test_the_zone_map_draws_open_needs_and_port_workloads(sample) -> None:
    from dashboard.maps import draw
    from dashboard.web import views
    needs = sample.read("needs")
    stations = sample.read("stations")
    shown = views.needs_for_map(draw.display_points(needs), 30, draw.NEED_LONG_DAYS, "zh")
    assert set(shown["age"]) == {"fresh", "overdue", "long"} and len(shown) == int(
        (needs["status"].eq("open") & needs.geometry.notna()).sum())
    assert not shown["tip"].str.contains("联系人").any()          # the need's text never reaches the map
    ports = views.ports_for_map(draw.display_points(stations), sample.read("needs_breakdown"), "zh")
    assert len(ports) == int((stations["kind"] == "enterprise").sum()) and ports["radius"].max() > 5
    xss = needs.head(1).assign(enterprise_name='<img src=x onerror="1">', status="open")
    assert "<img" not in views.needs_for_map(xss, 30, 90, "zh")["tip"].iloc[0]


def test_the_zone_brief_has_the_needs_line(sample) -> None:
    import io
    import re

    from pypdf import PdfReader

    from dashboard.briefing import pdf as brief
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        brief.brief_pdf(sample.target, "lize", "zh"))).pages))
    lize = sample.read("zone_stats").set_index("zone_id").loc["lize"]
    assert f"企业诉求：办理中{int(lize['needs_open']):,}件" in text


# ---------------------------------------------------------------- signed in (last: the users file stays set)
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("needs_panel")
    store, accounts = store_copy(folder), users_file(folder / "users.json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
        mp.setattr(auth, "sleep", lambda s: None)
        mp.setenv("DASHBOARD_STORE", str(store))
        mp.setenv("DASHBOARD_USERS", str(accounts))
        mp.delenv("DASHBOARD_AUTH", raising=False)
        st.cache_resource.clear()
        st.cache_data.clear()
        yield store
        st.cache_resource.clear()
        st.cache_data.clear()


@pytest.mark.parametrize("user,sees", [("t_admin", True), ("t_analyst", False)])
def test_the_summary_only_with_the_personal_data_grant(site, user: str, sees: bool) -> None:
    at = run_signed_in("zone", {"zone": "lize"}, user)
    assert not at.exception, [e.value for e in at.exception]
    frames = _panel_frames(at)
    assert len(frames) == 1
    summary = i18n.column_label("summary", "zh", "needs")
    assert (summary in frames[0].columns) is sees
    if sees:
        assert frames[0][summary].str.contains("示例").all()
