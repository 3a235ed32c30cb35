"""The zone brief and the district deck (PDF): real text, the store's figures, fonts embedded,
every zone of the sample and of a store with official boundaries, and the command line.

Expected figures are computed here from the store's ``zone_stats`` and written with the
:mod:`dashboard.i18n` formats (the KPI cards' formats), never copied from a PDF.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from dashboard import i18n
from dashboard.briefing import pdf as brief
from dashboard.store.queries import HotlineRate, order_zones
from loaders.build import build, ensure_sample_store
from loaders.store import default_store_path, open_store
from tests.conftest import REPO_ROOT
from tests.loaders.conftest import make_source


def _text(pdf: bytes, page: int | None = None) -> str:
    """The PDF's extracted text, whitespace removed (extractors differ in the spaces they keep)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    chosen = pages if page is None else [pages[page]]
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in chosen))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def expected_figures(store_target: str, zone_id: str, lang: str = "zh") -> dict[str, str]:
    """The zone's KPI texts, from the store: zone_stats, and the 12345 rate by the street policy."""
    store = open_store(store_target)
    stats = pd.DataFrame(store.read("zone_stats")).set_index("zone_id").loc[zone_id]
    streets = pd.DataFrame(store.read("street_stats"))
    per_10k = bool(len(streets)) and bool(streets["population"].notna().all())
    # 12345 figures are the latest month's (the brief's period), computed here from hotline_monthly
    monthly = pd.DataFrame(store.read("hotline_monthly"))
    monthly["m"] = pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")
    month = monthly[(monthly["level"] == "zone") & (monthly["key"] == zone_id) & (monthly["m"] == monthly["m"].max())]
    cases = month["cases_estimate"] if "cases_estimate" in month else month["cases"]   # street-only cases, apportioned
    rate = cases.sum() / (stats["population"] if per_10k else stats["area_km2"]) * (1e4 if per_10k else 1)
    share = {flag: month[f"{flag}_true"].sum() / month[f"{flag}_known"].sum()
             for flag in ("responded", "resolved", "satisfied")}
    unit = {"zh": {"p": "个", "e": "家"}, "en": {"p": "", "e": ""}}[lang]
    return {
        "projects": i18n.fmt_int(stats["projects"], lang, unit["p"]),
        "investment": i18n.fmt_yi(stats["investment_total"], lang),
        "enterprises": i18n.fmt_int(stats["enterprises"], lang, unit["e"]),
        "service_package": i18n.fmt_int(stats["service_package"], lang, unit["e"]),
        "stations": i18n.fmt_int(stats["stations"], lang, unit["p"]),
        "hotline_rate": (i18n.fmt_rate if per_10k else i18n.fmt_density)(rate, lang),
        "response_rate": i18n.fmt_pct(share["responded"], lang),
        "resolution_rate": i18n.fmt_pct(share["resolved"], lang),
        "satisfaction_rate": i18n.fmt_pct(share["satisfied"], lang),
        "coverage": i18n.fmt_pct(stats["covered_population_share"], lang),
        "projects_delayed": i18n.fmt_int(stats["projects_delayed"], lang, unit["p"]),
    }


@pytest.fixture(scope="module")
def sample() -> str:
    ensure_sample_store()
    return str(default_store_path())


@pytest.fixture(scope="module")
def sample_zones(sample: str) -> pd.DataFrame:
    return order_zones(pd.DataFrame(open_store(sample).read("zones")))


@pytest.fixture(scope="module")
def deck(sample: str) -> bytes:
    started = time.perf_counter()
    pdf = brief.brief_pdf(sample, "all", "zh")
    print(f"district deck: {time.perf_counter() - started:.2f} s, {len(pdf) / 1024:,.0f} kB")
    return pdf


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store built with the official-boundary fixtures (CGCS2000 streets, EPSG:4527 zones)."""
    folder = tmp_path_factory.mktemp("official")
    source = make_source(folder / "source", {"streets_cgcs2000.geojson": "streets.geojson",
                                             "zones_4527_gbk.zip": "zones.zip", "projects_places.csv": "projects.csv",
                                             "stations_points.geojson": "stations.geojson",
                                             "hotline_gb18030.csv": "hotline.csv"})
    target = str(folder / "store.gpkg")
    build(source, target, progress=False)
    return target


# ---------------------------------------------------------------- the sample
@pytest.mark.parametrize("zone_id", ["nanzhongzhou", "xishan_yongding", "lize", "zgc_fengtai", "hexi",
                                     "fengtai_station", "wulidian", "xinfadi"])
def test_every_sample_zone_brief_says_its_name_and_the_store_figures(sample: str, sample_zones: pd.DataFrame,
                                                                     zone_id: str) -> None:
    pdf = brief.brief_pdf(sample, zone_id, "zh")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 595)   # A4 landscape
    text = _text(pdf)
    name = sample_zones.set_index("zone_id").loc[zone_id, "name"]
    assert _squash(name) in text
    for metric, figure in expected_figures(sample, zone_id).items():
        assert _squash(figure) in text, (zone_id, metric, figure)
    for mark in ("示例数据", "示意边界", "数据截至", "来源"):
        assert mark in text, mark


def test_english_brief_uses_english_names_and_formats(sample: str) -> None:
    text = _text(brief.brief_pdf(sample, "lize", "en"))
    assert "LizeFinancialBusinessDistrict" in text and "Dataasof" in text
    for metric, figure in expected_figures(sample, "lize", "en").items():
        assert _squash(figure) in text, (metric, figure)


def test_deck_is_a_cover_and_one_page_per_zone_in_4_plus_4_order(deck: bytes, sample_zones: pd.DataFrame) -> None:
    reader = PdfReader(io.BytesIO(deck))
    assert len(reader.pages) == 9
    cover = _text(deck, 0)
    assert "功能区对比" in cover and "全区概况" in cover
    for i, name in enumerate(sample_zones["name"], start=1):
        assert _squash(name) in cover
        assert _text(deck, i).startswith(_squash(name)), (i, name)   # each zone page opens with its name


def test_fonts_are_embedded_and_chinese_is_real_text(deck: bytes) -> None:
    reader = PdfReader(io.BytesIO(deck))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor.get_object() for k in
                                                      ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
    assert fonts and all(fonts.values()), fonts          # no unembedded Helvetica or the like
    assert "丰台区“4+4”功能区简报" in _text(deck, 0)     # selectable, searchable Chinese


def test_brief_and_deck_agree_with_each_other(sample: str, deck: bytes) -> None:
    single = _text(brief.brief_pdf(sample, "hexi", "zh"))
    page = _text(deck, 5)                                  # hexi is zone 5 in "4+4" order
    assert page.replace("第6/9页", "第1/1页") == single


def test_unknown_zone_and_language_are_refused_kindly(sample: str) -> None:
    with pytest.raises(brief.BriefError, match="lize"):   # the message lists what exists
        brief.brief_pdf(sample, "nowhere", "zh")
    with pytest.raises(brief.BriefError, match="zh, en"):
        brief.brief_pdf(sample, "lize", "fr")


def test_a_missing_store_is_a_brief_error(tmp_path: Path) -> None:
    with pytest.raises(brief.BriefError, match="loaders build"):
        brief.brief_pdf(str(tmp_path / "none.gpkg"), "lize", "zh")


# ---------------------------------------------------------------- official boundaries
def test_every_zone_of_an_official_store_gets_a_brief(official: str) -> None:
    store = open_store(official)
    zones = order_zones(pd.DataFrame(store.read("zones")))
    assert list(zones["precision"].unique()) == ["official"]
    for zone_id, name in zip(zones["zone_id"], zones["name"], strict=True):
        pdf = brief.brief_pdf(official, zone_id, "zh")
        text = _text(pdf)
        assert _squash(name) in text
        for metric, figure in expected_figures(official, zone_id).items():
            assert _squash(figure) in text, (zone_id, metric, figure)
        assert "示意边界" not in text and "示例数据" not in text   # official boundaries, agency data
    deck = brief.brief_pdf(official, "all", "en")
    assert len(PdfReader(io.BytesIO(deck)).pages) == 1 + len(zones)


def test_hotline_policy_matches_the_dashboard_rule(official: str) -> None:
    streets = pd.DataFrame(open_store(official).read("street_stats"))
    assert brief.read_brief_data(open_store(official)).policy == HotlineRate.from_street_stats(streets)


# ---------------------------------------------------------------- the command line
def test_command_line_writes_the_pdf_without_streamlit(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "lize.pdf"
    result = subprocess.run([sys.executable, "-m", "dashboard.brief", "--store", sample, "--zone", "lize", "--out",
                             str(out), "--lang", "en"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_bytes().startswith(b"%PDF") and "1 pages" in result.stdout
    probe = subprocess.run([sys.executable, "-c", "import sys, dashboard.brief; sys.exit('streamlit' in sys.modules)"],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, "dashboard.brief imports streamlit"


def test_command_line_refuses_an_unknown_zone_with_status_2(sample: str, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    result = subprocess.run([sys.executable, "-m", "dashboard.brief", "--store", sample, "--zone", "nowhere", "--out",
                             str(out)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "nowhere" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_file_name_carries_zone_and_build_day() -> None:
    assert brief.file_name("lize", pd.Timestamp("2026-11-28T08:22:43+00:00")) == "brief_lize_20261128.pdf"
    assert brief.file_name("all", None) == "brief_all_undated.pdf"

