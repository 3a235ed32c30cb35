"""A KPI is the same number everywhere: the build's zone_stats / street_stats, the pages that show
them (AppTest), a download of the stats layer, and the zone map's 12345 density."""
from __future__ import annotations

import io

import pandas as pd
import pytest
import streamlit as st
import streamlit_folium

from dashboard import i18n
from dashboard.exports import writers as export
from dashboard.store import queries
from loaders.build import ensure_sample_store
from loaders.rowfilter import RowFilter
from loaders.store import open_store
from tests.dashboard.conftest import run_page


@pytest.fixture(scope="module")
def store():
    return open_store(ensure_sample_store())


@pytest.fixture(autouse=True)
def sample_only(monkeypatch):
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()


def shown(at) -> dict[str, str]:  # noqa: ANN001 - AppTest
    assert not at.exception, [e.value for e in at.exception]
    return {m.label: m.value for m in at.metric}


def month_rate(store, level: str, key: str | None, flag: str, month: str | None = None) -> float:  # noqa: ANN001
    """A 12345 rate of one month from hotline_monthly, computed here independently of the pages."""
    monthly = pd.DataFrame(store.read("hotline_monthly"))
    monthly["m"] = pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")
    month = month or monthly["m"].max()
    rows = monthly[(monthly["level"] == level) & (monthly["m"] == month)]
    if key is not None:
        rows = rows[rows["key"] == key]
    return rows[f"{flag}_true"].sum() / rows[f"{flag}_known"].sum()


def test_a_period_in_the_url_shows_that_months_figures(store):
    monthly = pd.DataFrame(store.read("hotline_monthly"))
    months = sorted(pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m").unique())
    earlier = months[-3]
    at = run_page("overview", {"period": earlier})
    values = shown(at)
    assert values["12345满意率"] == i18n.fmt_pct(month_rate(store, "street", None, "satisfied", earlier))
    assert at.query_params.get("period") in (earlier, [earlier])
    zone = shown(run_page("zone", {"zone": "lize", "period": earlier}))
    assert zone["12345响应率"] == i18n.fmt_pct(month_rate(store, "zone", "lize", "responded", earlier))


def test_overview_kpis_are_the_street_stats_totals(store):
    streets = store.read("street_stats")
    values = shown(run_page("overview", {}))
    assert values["重大项目数"] == i18n.fmt_int(streets["projects"].sum(), "zh", "个")
    assert values["总投资"] == i18n.fmt_yi(streets["investment_total"].sum(), "zh")
    assert values["企业数"] == i18n.fmt_int(streets["enterprises"].sum(), "zh", "家")
    assert values["滞后项目"] == i18n.fmt_int(streets["projects_delayed"].sum(), "zh", "个")
    # 12345 figures are the latest month's (the period), pooled over the streets' cases
    assert values["12345响应率"] == i18n.fmt_pct(month_rate(store, "street", None, "responded"))
    coverage = streets["covered_population"].sum() / streets["community_population"].sum()
    assert values["先丰站覆盖人口"] == i18n.fmt_pct(coverage)


@pytest.mark.parametrize("zone_id", ["lize", "hexi"])
def test_zone_kpis_are_the_zone_stats_row(store, zone_id):
    row = store.read("zone_stats").set_index("zone_id").loc[zone_id]
    values = shown(run_page("zone", {"zone": zone_id}))
    assert values["重大项目数"] == i18n.fmt_int(row["projects"], "zh", "个")
    assert values["服务包企业"] == i18n.fmt_int(row["service_package"], "zh", "家")
    assert values["12345满意率"] == i18n.fmt_pct(month_rate(store, "zone", zone_id, "satisfied"))
    assert values["先丰站覆盖人口"] == i18n.fmt_pct(row["covered_population_share"])
    assert values["滞后项目"] == i18n.fmt_int(row["projects_delayed"], "zh", "个")


def test_a_download_of_zone_stats_sums_to_the_store(store):
    stats = store.read("zone_stats")
    zones = store.read("zones")[["zone_id", "name", "geometry"]]
    layer = zones.merge(stats, on="zone_id")
    back = pd.read_csv(io.BytesIO(export.to_bytes(layer, export.ExportOptions("csv", "wgs84", "zone_stats"))), encoding="utf-8-sig")
    for column in ("projects", "investment_total", "hotline_cases", "projects_delayed", "community_population"):
        assert back[column].sum() == pytest.approx(stats[column].sum()), column


def test_zone_map_hotline_density_adds_up_to_the_zone_kpi(store):
    """The zone page's 12345 density layer and its KPI card count the same cases (issue 7)."""
    zones, streets = store.read("zones"), store.read("streets")
    street_stats, zone_stats = store.read("street_stats"), store.read("zone_stats").set_index("zone_id")
    for zone_id in zone_stats.index:
        # counted by the store in SQL, as the zone page does (the rows are never read)
        hotline = store.count_by("hotline", "street", RowFilter("hotline", zones=(zone_id,)))
        enterprises = store.count_by("enterprises", "street", RowFilter("enterprises", zones=(zone_id,)))
        parts = queries.zone_street_parts(zones[zones["zone_id"] == zone_id], streets, street_stats,
                                          enterprises, hotline)
        assert parts["hotline"].sum() == pytest.approx(zone_stats.loc[zone_id, "hotline_cases"], abs=0.5), zone_id
