"""Meeting mode: slide order and navigation, the headline, KPI text, slide HTML, the map, and
the page itself (AppTest) on the sample store.

Figures are checked against values computed here from the store's ``zone_stats`` with the
:mod:`dashboard.i18n` formats, never against text copied from a slide.
"""
from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from dashboard import i18n
from dashboard.briefing import figures as meeting
from dashboard.i18n.meeting import STRINGS
from dashboard.maps import meeting as meeting_map
from dashboard.store.queries import KPI_ROW_1, KPI_ROW_2, HotlineRate, zone_table
from dashboard.web import slides
from tests.dashboard.conftest import REPO_ROOT, XSS

PER_10K, PER_KM2 = HotlineRate("per_10k"), HotlineRate("per_km2")
ORDER = ("all", "nanzhongzhou", "xishan_yongding", "lize")


# ---------------------------------------------------------------- order and navigation
def test_overview_comes_first_then_the_zones_in_the_order_given() -> None:
    assert meeting.slide_order(["nanzhongzhou", "xishan_yongding", "lize"]) == ORDER


def test_next_and_previous_wrap_round() -> None:
    assert meeting.step(ORDER, "all", 1) == "nanzhongzhou"
    assert meeting.step(ORDER, "lize", 1) == "all"         # the playlist never ends
    assert meeting.step(ORDER, "all", -1) == "lize"
    assert meeting.step(ORDER, "gone", 1) == "nanzhongzhou"  # an unknown slide counts as the first


def test_the_url_names_a_known_slide_or_gets_the_first() -> None:
    assert meeting.resolve_slide(ORDER, "lize") == "lize"
    assert meeting.resolve_slide(ORDER, "<script>") == "all"
    assert meeting.resolve_slide(ORDER, None) == "all"


@pytest.mark.parametrize("value,seconds", [("2", 2.0), ("30", 30.0), (" 7.5 ", 7.5), ("0.5", 2.0), ("1e9", 3600.0),
                                           ("0", None), ("-3", None), ("abc", None), ("nan", None), ("inf", None),
                                           ("", None), (None, None)])
def test_auto_is_a_sane_number_of_seconds(value, seconds) -> None:  # noqa: ANN001
    assert meeting.parse_auto(value) == seconds


def test_a_playing_list_moves_on_when_the_interval_has_passed() -> None:
    assert meeting.due(True, 2.0, shown_at=100.0, now=102.0)
    assert meeting.due(True, 2.0, shown_at=100.0, now=101.8)       # the timer is not exact
    assert not meeting.due(True, 2.0, shown_at=100.0, now=101.0)
    assert not meeting.due(False, 2.0, shown_at=100.0, now=200.0)  # paused
    assert not meeting.due(True, None, shown_at=100.0, now=200.0)


# ---------------------------------------------------------------- figures as text
FIGURES = {"projects": 43.0, "investment": 802.622, "status_under_construction": 18.0, "status_reserve": 14.0,
           "status_completed": 11.0, "projects_delayed": 10.0, "response_rate": 0.985631}


def test_headline_is_written_from_the_figures() -> None:
    assert meeting.headline(FIGURES, "zh") == "重大项目 43 个（在建 18 个），总投资 802.6 亿元；10 个滞后于计划；12345 响应率 98.6%"
    assert meeting.headline(FIGURES, "en") == ("43 major projects (18 under way), CNY 80.26 bn in total; "
                                               "10 behind plan; 12345 response rate 98.6%")
    assert meeting.headline(FIGURES, "zh", district=True).startswith("全区重大项目 43 个")


def test_headline_says_so_when_nothing_is_late_or_known() -> None:
    assert "无项目滞后于计划" in meeting.headline({**FIGURES, "projects_delayed": 0.0}, "zh")
    no_rate = meeting.headline({**FIGURES, "response_rate": None}, "zh")
    assert "响应率" not in no_rate and "—" not in no_rate
    assert meeting.headline({"projects": 0.0, "response_rate": 0.5}, "zh") == "暂无重大项目；12345 响应率 50.0%"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kpi_text_is_the_i18n_format_of_each_kind(lang: str) -> None:
    def unit(key: str) -> str:
        return i18n.t(key, lang)

    assert meeting.metric_text("investment", 1234.56, lang, PER_KM2) == i18n.fmt_yi(1234.56, lang)
    assert meeting.metric_text("coverage", 0.5913, lang, PER_KM2) == i18n.fmt_pct(0.5913, lang)
    assert meeting.metric_text("hotline_rate", 531.83, lang, PER_10K) == i18n.fmt_rate(531.83, lang)
    assert meeting.metric_text("hotline_rate", 531.83, lang, PER_KM2) == i18n.fmt_density(531.83, lang)
    assert meeting.metric_text("enterprises", 4286, lang, PER_KM2) == i18n.fmt_int(4286, lang, unit("unit_enterprises"))
    assert meeting.metric_text("projects_delayed", 21, lang, PER_KM2) == i18n.fmt_int(21, lang, unit("unit_projects"))
    assert meeting.metric_label("hotline_rate", lang, PER_10K) == i18n.t("m_hotline_rate", lang)
    assert meeting.metric_label("hotline_rate", lang, PER_KM2) == i18n.t("m_hotline_density", lang)


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, float("nan")])
def test_a_missing_figure_is_a_dash_never_zero(missing) -> None:  # noqa: ANN001
    for metric in ("projects", "investment", "coverage", "hotline_rate"):
        assert meeting.metric_text(metric, missing, "zh", PER_10K) == i18n.DASH


def test_figures_split_into_number_and_unit() -> None:
    assert slides.split_number("802.6 亿元") == ("", "802.6", " 亿元")
    assert slides.split_number("CNY 80.26 bn") == ("CNY ", "80.26", " bn")
    assert slides.split_number("98.6%") == ("", "98.6%", "")
    assert slides.split_number("1,118.2 件/万人") == ("", "1,118.2", " 件/万人")
    assert slides.split_number("—") == ("", "—", "")


# ---------------------------------------------------------------- slides from a zone table
@pytest.fixture()
def tiny_zones() -> pd.DataFrame:
    polygons = gpd.GeoDataFrame({"zone_id": ["hexi", "lize"], "name": ["河西地区", XSS], "name_en": ["Hexi", None],
                                 "kind": ["cluster", "key_area"]},
                                geometry=[box(116.10, 39.80, 116.20, 39.90), box(116.28, 39.84, 116.33, 39.88)],
                                crs="EPSG:4326")
    stats = pd.DataFrame({"zone_id": ["lize", "hexi"], "projects": [50, 91], "investment_total": [496.54, 1281.41],
                          "enterprises": [2406, 4286], "service_package": [103, 46], "stations": [39, 28],
                          "hotline_cases": [7063, 20276], "population": [87767.2, 381250.0], "area_km2": [8.0, 129.7],
                          "hotline_response_rate": [0.985152, 0.984187], "hotline_resolution_rate": [0.86024, 0.849],
                          "hotline_satisfaction_rate": [0.851756, 0.844555], "covered_population_share": [1.0, math.nan],
                          "projects_delayed": [10, 21], "status_reserve": [14, 31],
                          "status_under_construction": [25, 39], "status_completed": [11, 21]})
    return zone_table(polygons, stats, PER_10K)


def test_a_zone_slide_has_both_kpi_rows_with_the_zone_page_figures(tiny_zones) -> None:  # noqa: ANN001
    order = meeting.slide_order(list(tiny_zones.index))
    assert order == ("all", "lize", "hexi")  # "4+4" order: the key area first
    slide = meeting.build_slide("hexi", order, tiny_zones, {}, "zh", PER_10K)
    assert (slide.title, slide.kind, slide.number, slide.total) == ("河西地区", "功能组团", 3, 3)
    assert [k.metric for k in slide.kpis] == [*KPI_ROW_1, *KPI_ROW_2]
    values = {k.metric: k.value for k in slide.kpis}
    assert values["projects"] == "91 个" and values["investment"] == "1,281 亿元"
    assert values["hotline_rate"] == i18n.fmt_rate(20276 / 381250.0 * 1e4)
    assert values["coverage"] == i18n.DASH        # no communities: no data, not 0 %
    assert slide.kpis[0].note == "在建 39 · 储备 31 · 建成 21"
    assert slide.headline.startswith("重大项目 91 个（在建 39 个），总投资 1,281 亿元")


def test_english_falls_back_to_the_chinese_name(tiny_zones) -> None:  # noqa: ANN001
    order = meeting.slide_order(list(tiny_zones.index))
    assert meeting.build_slide("hexi", order, tiny_zones, {}, "en", PER_10K).title == "Hexi"
    assert meeting.build_slide("lize", order, tiny_zones, {}, "en", PER_10K).title == XSS


def test_the_overview_slide_shows_district_figures(tiny_zones) -> None:  # noqa: ANN001
    order = meeting.slide_order(list(tiny_zones.index))
    district = {"projects": 141.0, "investment": 1777.95, "status_under_construction": 64.0, "response_rate": 0.98}
    slide = meeting.build_slide("all", order, tiny_zones, district, "zh", PER_10K)
    assert slide.number == 1 and [k.metric for k in slide.kpis] == list(KPI_ROW_1)
    assert slide.kpis[0].value == "141 个" and slide.headline.startswith("全区重大项目 141 个（在建 64 个）")


def test_slide_html_escapes_names_and_carries_the_slide_key(tiny_zones) -> None:  # noqa: ANN001
    order = meeting.slide_order(list(tiny_zones.index))
    slide = meeting.build_slide("lize", order, tiny_zones, {}, "zh", PER_10K)
    head = slides.slide_head_html(slide, playing=True, status="x")
    assert XSS not in head and "&lt;img" in head
    assert 'data-slide="lize"' in head and 'data-playing="1"' in head
    grid = slides.kpis_html(slide.kpis)
    assert grid.count('class="mt-kpi"') == 11 and '<span class="mt-num">496.5</span>' in grid
    rows = meeting.comparison(tiny_zones, meeting.COMPARE_METRICS, "zh", PER_10K)
    assert [r["number"] for r in rows] == ["1", "2"] and rows[0]["zone_id"] == "lize"
    table = slides.comparison_html(rows, meeting.COMPARE_METRICS, "zh", PER_10K)
    assert XSS not in table and table.count("<tr data-zone=") == 2


def test_district_status_counts_sum_the_streets() -> None:
    streets = pd.DataFrame({"status_reserve": [1, 2], "status_under_construction": [3, 4], "status_completed": [0, 5]})
    figures = meeting.district_figures({"projects": 15.0}, streets)
    assert (figures["status_reserve"], figures["status_under_construction"], figures["status_completed"]) == (3, 7, 5)
    assert figures["projects"] == 15.0 and figures["investment"] is None


# ---------------------------------------------------------------- the map
def test_meeting_map_holds_every_view_offline_without_a_layer_control(tiny_polygons) -> None:  # noqa: ANN001
    streets = gpd.GeoDataFrame({"name": ["太平桥街道", XSS]},
                               geometry=[box(116.27, 39.83, 116.31, 39.89), box(116.31, 39.83, 116.36, 39.89)],
                               crs="EPSG:4326")
    projects = gpd.GeoDataFrame({"project_id": ["P1", "P2", "P3"], "status": ["reserve", "completed", "reserve"]},
                                geometry=[Point(116.30, 39.86), Point(116.15, 39.85), None], crs="EPSG:4326")
    members = pd.DataFrame({"layer": "projects", "record_id": ["P1", "P2"], "zone_id": ["lize", "hexi"]})
    m = meeting_map.meeting_map(zones=tiny_polygons, streets=streets, projects=projects, members=members,
                            zone_labels={"lize": "丽泽", "hexi": "河西"}, status_labels={"reserve": "储备"},
                            legend_title="重大项目")
    page = m.get_root().render()
    assert "/app/static/vendor/leaflet/leaflet.js" in page and "cdn" not in page.lower()
    assert "L.control.layers" not in page and ".fitBounds([[" not in page  # no layer control, no animated opening fit
    assert XSS not in page and "\\u0026lt;img" in page  # escaped, then JSON-encoded by tojson
    assert '"bounds": {"all"' in page and '"lize": [[39.84, 116.28], [39.88, 116.33]]' in page
    assert '"hexi": [[39.85, 116.15, 2]]' in page and '"lize": [[39.86, 116.3, 0]]' in page  # P3: no point
    assert "__ftMeetingKey" in page and "MutationObserver" in page


# ---------------------------------------------------------------- the page (AppTest, sample store)
PAGE = str(REPO_ROOT / "dashboard" / "screens" / "meeting.py")


@pytest.fixture(scope="module")
def sample_zones() -> tuple[pd.DataFrame, HotlineRate]:
    from loaders.build import ensure_sample_store
    from loaders.store import default_store_path, open_store
    ensure_sample_store()
    store = open_store(str(default_store_path()))
    stats = pd.DataFrame(store.read("zone_stats")).drop(columns="geometry", errors="ignore")
    streets = pd.DataFrame(store.read("street_stats")).drop(columns="geometry", errors="ignore")
    policy = HotlineRate.from_street_stats(streets)
    return zone_table(store.read("zones"), stats, policy), policy


def run_meeting(params: dict[str, str]):  # noqa: ANN201 - AppTest
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(PAGE, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture(autouse=True)
def default_store(monkeypatch) -> None:  # noqa: ANN001
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)


def _html(at) -> str:  # noqa: ANN001
    return " ".join(m.value for m in at.markdown)


def test_page_opens_on_the_zone_in_the_url_with_the_store_figures(sample_zones) -> None:  # noqa: ANN001
    zones, policy = sample_zones
    at = run_meeting({"zone": "lize"})
    assert not at.exception, [e.value for e in at.exception]
    page = _html(at)
    assert 'data-slide="lize"' in page and at.query_params["zone"] == "lize"
    row = zones.loc["lize"]
    # stock figures as of the build; the 12345 figures are the period's (the latest month by default)
    from loaders.build import ensure_sample_store
    from loaders.store import open_store
    from tests.dashboard.test_indicators_pages import month_rate

    expected = {"projects": i18n.fmt_int(row["projects"], "zh", "个"), "investment": i18n.fmt_yi(row["investment_total"]),
                "response_rate": i18n.fmt_pct(month_rate(open_store(ensure_sample_store()), "zone", "lize",
                                                         "responded")),
                "coverage": i18n.fmt_pct(row["covered_population_share"])}
    for metric, text in expected.items():
        assert f'data-metric="{metric}"' in page and f'data-value="{text}"' in page, (metric, text)


def test_next_button_moves_on_and_names_the_zone_in_the_url(sample_zones) -> None:  # noqa: ANN001
    zones, _ = sample_zones
    order = meeting.slide_order(list(zones.index), changes=True)   # the sample ranks its streets
    at = run_meeting({"zone": "lize"})
    at.button(key="mt_next").click().run()
    following = order[order.index("lize") + 1]
    assert f'data-slide="{following}"' in _html(at) and at.query_params["zone"] == following
    at.button(key="mt_prev").click().run()
    at.button(key="mt_prev").click().run()
    assert at.query_params["zone"] == order[order.index("lize") - 1]


def test_auto_plays_and_the_pause_button_stops_it() -> None:
    at = run_meeting({"zone": "all", "auto": "5"})
    assert 'data-playing="1"' in _html(at)
    at.button(key="mt_pause").click().run()
    assert 'data-playing="0"' in _html(at)


def test_unknown_zone_in_the_url_shows_the_opening_slide() -> None:
    at = run_meeting({"zone": "<b>nowhere</b>"})   # the sample ranks its streets: the meeting opens on 本月变化
    assert not at.exception and 'data-slide="changes"' in _html(at) and at.query_params["zone"] == "changes"
    assert 'data-testid="mt-changes"' in _html(at) and "<b>nowhere</b>" not in _html(at)


def test_changes_slide_leads_only_when_there_is_a_ranking() -> None:
    assert meeting.slide_order(["lize", "hexi"], changes=True) == ("changes", "all", "lize", "hexi")
    assert meeting.slide_order(["lize", "hexi"]) == ("all", "lize", "hexi")
    assert meeting.step(("changes", "all", "lize"), "lize", 1) == "changes"


def test_strings_have_both_languages_and_do_not_clash_with_i18n() -> None:
    assert all(zh and en for zh, en in STRINGS.values())
    clash = {k for k in STRINGS if k in i18n.STRINGS and i18n.STRINGS[k] != STRINGS[k]}
    assert clash == set(), clash
