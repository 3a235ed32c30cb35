"""The English switch: every page's own text is English; data values and the banners' tags stay.

Pages run with ``?lang=en`` on the sample store and then switch page (as a reader does), so
the language must also survive navigation. Maps are captured as in ``test_pages``.
"""
from __future__ import annotations

import re

import pytest
import streamlit_folium
from streamlit.testing.v1 import AppTest

from dashboard import i18n
from loaders.schema import STORE_COLUMNS, WARNING_KINDS
from tests.dashboard.conftest import REPO_ROOT, run_page

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
PAGES = [("overview", {}), ("zone", {"zone": "hexi"}), ("projects", {}), ("downloads", {}),
         ("downloads", {"layer": "enterprises"}), ("quality", {}), ("meeting", {"zone": "lize", "auto": "0"})]
# The banners lead with their Chinese tag in English too, so any viewer recognises them.
BANNER_TAGS = tuple(f"{i18n.t(k, 'zh')} · " for k in ("banner_sample_tag", "banner_schematic_tag"))
BANNER = re.compile(r'^<div class="ft-banner (\w+)" data-banner="\w+">(.*)</div>$', re.DOTALL)


@pytest.fixture()
def used_keys(monkeypatch) -> set[str]:
    """Every ``STRINGS`` key looked up while the fixture is active (``i18n.t`` recorded)."""
    keys: set[str] = set()
    real = i18n.t

    def recording(key: str, lang: str = "zh", **values: object) -> str:
        keys.add(key)
        return real(key, lang, **values)
    monkeypatch.setattr(i18n, "t", recording)
    return keys


@pytest.fixture()
def captured_maps(monkeypatch):
    maps: list[str] = []

    def fake(m, **kwargs):
        maps.append(m.get_root().render())
        return {}
    monkeypatch.setattr(streamlit_folium, "st_folium", fake)
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    return maps


def _unescape_json(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def page_texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) for the page's own text: headings, captions, labels, help, headers, messages.

    Left out on purpose: widget options, table cells and the selected project's subheader
    (data values such as street and project names) and the language switch (each language
    named in itself).
    """
    texts: list[tuple[str, str]] = []
    for md in at.markdown:
        match = BANNER.match(md.value)
        if match:
            body = match.group(2)
            for tag in BANNER_TAGS:
                body = body.removeprefix(tag)
            texts.append((f"banner {match.group(1)}", body))
        elif 'data-testid="ft-alert"' in md.value:   # a warning: its numbers in English, quoted names as written
            texts.append(("alert", re.sub(r'“[^”]*”|data-key="[^"]*"', "", md.value)))
        elif 'data-testid="ft-zone"' not in md.value:
            texts.append(("markdown", md.value))
    texts += [("caption", c.value) for c in at.caption]
    for kind in ("info", "warning", "error"):
        texts += [(kind, e.value) for e in getattr(at, kind)]
    for m in at.metric:
        texts += [("metric label", m.label), ("metric value", m.value), ("metric help", m.help or "")]
    for kind in ("selectbox", "multiselect", "radio", "text_input", "slider", "button"):
        for w in getattr(at, kind):
            texts += [(f"{kind} label", w.label), (f"{kind} help", w.help or ""),
                      (f"{kind} placeholder", getattr(w, "placeholder", "") or "")]
    for kind in ("radio",):  # radios here offer choices of the page's own, not data values
        texts += [(f"{kind} option", str(o)) for w in getattr(at, kind) for o in w.options]
    texts += [("table header", str(c)) for df in at.dataframe for c in df.value.columns]
    texts += [("download button", b.proto.label) for b in at.get("download_button")]
    return texts


def map_texts(html_text: str) -> list[tuple[str, str]]:
    """Layer-control names and legend/note HTML of a captured map."""
    text = _unescape_json(html_text)
    found = [("layer control", name) for block in re.findall(r"overlays : \{(.*?)\}", text, re.DOTALL)
             for name in re.findall(r'"((?:[^"\\]|\\.)*)" :', block)]
    found += [("map control", body) for body in re.findall(r'innerHTML="((?:[^"\\]|\\.)*)"', text)]
    return found


@pytest.mark.parametrize("page,params", PAGES)
def test_english_pages_have_no_chinese_of_their_own(page, params, captured_maps, used_keys):
    at = run_page(page, {**params, "lang": "en"})
    assert not at.exception, [e.value for e in at.exception]
    # every string the page looked up has its English text (the unit_* counters are empty on purpose)
    assert len(used_keys) > 10, used_keys
    untranslated = sorted(k for k in used_keys if not i18n.STRINGS[k][1].strip() and not k.startswith("unit_"))
    assert not untranslated, untranslated
    texts = page_texts(at)
    if page in ("overview", "zone", "projects"):
        assert captured_maps, "page built no map"
        texts += map_texts(captured_maps[-1])
    assert any(where == "table header" for where, _ in texts) or page in ("overview", "meeting")
    chinese = [(where, text) for where, text in texts if CJK.search(text)]
    assert not chinese, chinese


def test_banner_tags_stay_in_chinese_and_the_rest_is_english(captured_maps):
    at = run_page("quality", {"lang": "en"})
    banners = [md.value for md in at.markdown if BANNER.match(md.value)]
    assert any("示例数据 · Sample data" in b for b in banners), banners
    assert any("示意边界 · Schematic boundaries" in b for b in banners), banners


def test_chinese_stays_the_default(captured_maps):
    at = run_page("zone", {"zone": "hexi"})
    assert "总投资" in [m.label for m in at.metric]
    assert any("项目进度" in md.value for md in at.markdown)


def test_downloads_preview_is_labelled_in_the_chosen_language(captured_maps):
    zh = run_page("downloads", {"layer": "projects"})
    en = run_page("downloads", {"layer": "projects", "lang": "en"})
    zh_cols = list(zh.dataframe[-1].value.columns)
    en_cols = list(en.dataframe[-1].value.columns)
    assert zh_cols[:3] == ["项目编号", "名称", "状态"], zh_cols
    assert en_cols[:3] == ["Project ID", "Name", "Status"], en_cols
    assert "project_id" not in zh_cols + en_cols


def test_quality_warnings_are_labelled_with_layer_labels(captured_maps):
    at = run_page("quality", {"lang": "en"})
    headed = [df.value for df in at.dataframe if "Message" in df.value.columns]
    assert headed, [list(df.value.columns) for df in at.dataframe]
    warnings = headed[0]
    assert {"Layer", "File", "Row", "Column", "Value", "Kind", "Message"} <= set(warnings.columns)
    assert "projects" not in set(warnings["Layer"]) and "Projects" in set(warnings["Layer"])
    zh = run_page("quality", {})
    zh_warnings = next(df.value for df in zh.dataframe if {"图层", "类型", "说明"} <= set(df.value.columns))
    assert "重大项目" in set(zh_warnings["图层"])


@pytest.mark.parametrize("layer", sorted(STORE_COLUMNS))
def test_every_store_column_has_distinct_labels(layer):
    for lang in i18n.LANGS:
        labels = [i18n.column_label(c, lang) for c in STORE_COLUMNS[layer]]
        assert not [c for c in STORE_COLUMNS[layer] if i18n.column_label(c, lang) == c], (layer, lang)
        assert len(set(labels)) == len(labels), (layer, lang, labels)
    assert not [c for c in STORE_COLUMNS[layer] if CJK.search(i18n.column_label(c, "en"))]


def test_counts_and_colons_follow_the_language():
    assert i18n.counted("警告", 1234) == "警告（1,234）"
    assert i18n.counted("Warnings", 1234, "en") == "Warnings (1,234)"
    assert i18n.labelled("企业数", "12") == "企业数：12"
    assert i18n.labelled("Enterprises", "12", "en") == "Enterprises: 12"


# ---------------------------------------------------------------- every key the code names
CODE = sorted((REPO_ROOT / "dashboard").rglob("*.py"))
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z][a-z0-9_]*)["']""")
PREFIX_KEY = re.compile(r"""\bt\(\s*f["']([a-z][a-z0-9_]*)\{""")


def test_every_string_key_named_in_the_code_exists_in_both_languages():
    literal, prefixes = set(), set()
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        literal |= set(LITERAL_KEY.findall(text))
        prefixes |= set(PREFIX_KEY.findall(text))
    assert {"choose_zone", "mp_overlap_note", "colour_by"} <= literal, "the scan finds no keys"
    missing = sorted(k for k in literal if k not in i18n.STRINGS)
    assert not missing, missing
    blank = sorted(k for k in literal if not i18n.STRINGS[k][1].strip() and not k.startswith("unit_"))
    assert not blank, blank
    for prefix in prefixes:  # t(f"m_{metric}"): the family exists, all of it in English
        family = [k for k in i18n.STRINGS if k.startswith(prefix)]
        assert family, prefix
        assert all(i18n.STRINGS[k][1].strip() for k in family if not k.startswith("unit_")), prefix


# ---------------------------------------------------------------- overview, zone, quality (issue 11)
def test_overview_says_that_zones_overlap_with_the_figures(captured_maps):
    from dashboard.store import data, queries
    at = run_page("overview", {})
    assert not at.exception, [e.value for e in at.exception]
    zones_sum = data.zones_table()["investment_total"].sum()
    district = data.district_totals()["investment"]
    assert zones_sum > district  # the sample's zones overlap: their sum exceeds the district
    note = [c.value for c in at.caption if "重叠" in c.value]
    assert note, [c.value for c in at.caption]
    assert i18n.fmt_yi(zones_sum) in note[0] and i18n.fmt_yi(district) in note[0], note
    assert queries.METRICS["investment"].kind == "yi"


def _chart_specs(at) -> list[dict]:
    import json
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def _axes(spec: dict) -> list[tuple[str, dict]]:
    found = []
    for layer in [spec, *spec.get("layer", [])]:
        for channel, enc in (layer.get("encoding") or {}).items():
            if isinstance(enc, dict) and enc.get("field") in ("count", "projects", "cases", "value"):
                found.append((enc["field"], enc.get("axis") or {}))
    return found


def test_zone_page_links_projects_and_counts_whole_projects(captured_maps):
    at = run_page("zone", {"zone": "lize", "lang": "en"})
    assert not at.exception, [e.value for e in at.exception]
    table = next(df.value for df in at.dataframe if "Project ID" in df.value.columns and "Status" in df.value.columns)
    links = list(table["Project ID"])
    assert links and all(re.fullmatch(r"projects\?project=[^&]+&lang=en", link) for link in links), links[:3]
    axes = dict(a for spec in _chart_specs(at) for a in _axes(spec))
    assert {"count", "projects"} <= set(axes), axes
    for field in ("count", "projects", "cases"):
        if field in axes:
            assert axes[field].get("tickMinStep") == 1 and "d" in axes[field].get("format", ""), (field, axes[field])


def test_zone_map_starts_without_the_enterprise_shading(captured_maps):
    at = run_page("zone", {"zone": "lize"})
    assert at.radio(key="zone_ent").value == "off"
    html_text = _unescape_json(captured_maps[-1])
    assert "企业（按街镇汇总）" in html_text  # listed in the layer control, unticked


def test_quality_page_shows_words_not_codes(captured_maps):
    at = run_page("quality", {"lang": "en"})
    frames = [df.value for df in at.dataframe]
    provenance = next(f for f in frames if "Precision" in f.columns)
    assert not set(provenance["Precision"]) & {"coarse", "schematic", "official"}, set(provenance["Precision"])
    assert "Schematic extent".lower() in {str(v).lower() for v in provenance["Precision"]}
    warnings = next(f for f in frames if "Kind" in f.columns)
    codes = set(WARNING_KINDS)
    assert not set(warnings["Kind"]) & codes, set(warnings["Kind"]) & codes
