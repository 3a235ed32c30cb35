"""Every reject and warning of a build says it twice, in Chinese and in English, never joined.

``reason`` / ``message`` are Chinese only (no "(English)" tail); ``reason_en`` /
``message_en`` are English sentences, with Chinese only inside a quoted value “…” as the
file wrote it. Checked on the bundled sample, on every fixture of ``tests/data``, on every
broken input that still builds (``test_broken_inputs.CASES``), on the polygon-repair
sources, and on small files made to raise the remaining warnings; together they raise every
warning kind of ``schema.WARNING_KINDS``, so a call site that forgets a language (or joins
the two again) fails here. A missing text is refused at once by ``Problems.add`` and
``Warning`` (``test_report.py``); this test catches the untranslated and the joined ones.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from loaders.build import build
from loaders.schema import WARNING_KINDS
from loaders.store import open_store
from tests.conftest import DATA
from tests.loaders.test_broken_inputs import CASES, write_source
from tests.loaders.test_future_completion import NOW
from tests.loaders.test_future_completion import PROJECTS as FUTURE_PROJECTS
from tests.loaders.test_polygon_repair import GROSS, TINY
from tests.loaders.test_polygon_repair import _write_source as write_repair_source

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
QUOTED = re.compile(r"“[^”]*”")
TAIL = re.compile(r"[(（]([^()（）]*)[)）]\s*$")

FIXTURE_SOURCES: dict[str, dict[str, str]] = {
    "points": {"projects_places.csv": "projects.csv", "enterprises_uscc.csv": "enterprises.csv",
               "stations_points.geojson": "stations.geojson", "hotline_gb18030.csv": "hotline.csv",
               "communities_gcj02_gbk.csv": "communities.csv"},
    "official_gbk": {"projects_gbk.csv": "projects.csv", "streets_xzq_4527_gbk.zip": "streets.zip",
                     "zones_4527_gbk.zip": "zones.zip", "communities_polygons.geojson": "communities.geojson",
                     "hotline_tiny_gbk.csv": "hotline.csv"},
    "xlsx_gpkg_cgcs2000": {"projects_titled.xlsx": "projects.xlsx", "stations_points.gpkg": "stations.gpkg",
                           "streets_cgcs2000.geojson": "streets.geojson"},
}   # (projects_missing_name.csv fails the build: a BuildError, which stays one bilingual paragraph)


def _more_warnings() -> dict[str, bytes]:
    """Rows for the warnings the fixtures raise rarely: more swapped rows than the cap (the
    "N rows in all" warning), a declared street and zone the coordinates contradict, a zone
    nobody knows, an industry outside the catalogue, an unknown file."""
    rows = ["项目编号,项目名称,项目状态,产业类别,经度,纬度,所属街镇,所属功能区"]
    rows += [f"S-{i},交换{i},在建,金融,39.866,116.312,," for i in range(205)]              # lat/lon swapped
    rows += ["M-1,街镇不符,在建,量子计算,116.312,39.866,方庄街道,不存在的功能区",
             "M-2,功能区不符,在建,金融,116.312,39.866,,中关村丰台园"]
    return {"projects.csv": ("\n".join(rows) + "\n").encode("utf-8"), "备注.docx": b"x"}


def _problems(report: dict, where: str) -> list[str]:
    out = []
    records = [("reject", r, "reason", "reason_en") for r in report["rejects"]]
    records += [("warning", w, "message", "message_en") for w in report["warnings"]]
    for what, record, zh_key, en_key in records:
        zh, en = record.get(zh_key), record.get(en_key)
        label = f"{where}: {what} {record.get('layer')}/{record.get('kind', record.get('column'))} row {record.get('row')}"
        if not isinstance(zh, str) or not CJK.search(zh):
            out.append(f"{label}: {zh_key} is not a Chinese text: {zh!r}")
        elif (tail := TAIL.search(zh)) and not CJK.search(tail.group(1)) and re.search("[A-Za-z]{3}", tail.group(1)):
            out.append(f"{label}: {zh_key} ends in an English tail {tail.group()!r}: {zh!r}")
        if not isinstance(en, str) or not en.strip():
            out.append(f"{label}: no {en_key}")
        elif CJK.search(QUOTED.sub("", en)):
            out.append(f"{label}: {en_key} holds Chinese outside a quoted value: {en!r}")
        elif not re.match(r"[“A-Z0-9a-z]", en) or not en.rstrip().endswith((".", ")")):
            out.append(f"{label}: {en_key} is not a sentence: {en!r}")
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The reports of many builds, by name (each into its own GeoPackage)."""
    folder = tmp_path_factory.mktemp("languages")
    out: dict[str, dict] = {}

    def run(name: str, source: Path, **options: object) -> None:
        out[name] = build(source, str(folder / f"{name}.gpkg"), progress=False, **options)

    run("sample", None)
    for name, files in FIXTURE_SOURCES.items():
        run(name, write_source(folder / name, {target: (DATA / f).read_bytes() for f, target in files.items()}))
    for case in CASES:
        if case.fails_on is None:
            run(f"broken_{case.id}", write_source(folder / f"broken_{case.id}", case.files()))
    write_repair_source(folder / "repair")
    run("repair", folder / "repair")
    write_repair_source(folder / "repair_some", [TINY, GROSS, "新村街道"])
    run("repair_some", folder / "repair_some")
    run("future", write_source(folder / "future", {"projects.csv": FUTURE_PROJECTS.encode("utf-8")}), now=NOW)
    run("more", write_source(folder / "more", _more_warnings()))
    # A target whose previous contents cannot be used: not a GeoPackage at all (its history
    # is unreadable), and one whose projects lack the schedule column (no delay baseline).
    small = write_source(folder / "small", {"projects.csv": FUTURE_PROJECTS.encode("utf-8")})
    (folder / "unreadable.gpkg").write_bytes(b"not a store")
    out["unreadable"] = build(small, str(folder / "unreadable.gpkg"), progress=False, now=NOW)
    pyogrio.write_dataframe(gpd.GeoDataFrame({"project_id": ["P-1"]}, geometry=[shapely.Point(116.3, 39.86)],
                                             crs="EPSG:4326"), folder / "other_code.gpkg", layer="projects")
    out["other_code"] = build(small, str(folder / "other_code.gpkg"), progress=False, now=NOW)
    out["_folder"] = {"path": str(folder)}
    return out


def _builds(reports: dict[str, dict]) -> dict[str, dict]:
    return {k: v for k, v in reports.items() if not k.startswith("_")}


def test_every_reason_and_message_is_given_in_both_languages_apart(reports: dict[str, dict]) -> None:
    problems = [p for name, report in _builds(reports).items() for p in _problems(report, name)]
    assert problems == [], "\n".join(problems[:40])


def test_the_builds_raise_every_warning_kind_and_many_rejects(reports: dict[str, dict]) -> None:
    """So that the check above covers every place a warning is made."""
    builds = _builds(reports).values()
    kinds = {w["kind"] for report in builds for w in report["warnings"]}
    assert kinds == set(WARNING_KINDS)
    rejects = [r for report in builds for r in report["rejects"]]
    assert len(rejects) > 40
    assert len({r["reason_en"][:25] for r in rejects}) > 20          # many kinds of reason
    capped = [w for report in builds for w in report["warnings"] if w["count"] and w["row"] is None
              and w["kind"] == "swapped"]
    assert [w["message_en"] for w in capped] == [
        "Longitude and latitude were written the wrong way round; swapped back: 205 rows in all, the first 200 "
        "of them listed above."]
    assert capped[0]["message"] == "经纬度填反，已自动交换：共 205 行，以上列出前 200 行"


def test_every_reject_and_warning_has_one_shape(reports: dict[str, dict]) -> None:
    for report in _builds(reports).values():
        for reject in report["rejects"]:
            assert list(reject) == ["layer", "file", "row", "column", "value", "reason", "reason_en"]
        for warning in report["warnings"]:
            assert list(warning) == ["layer", "file", "row", "column", "value", "kind", "message", "message_en",
                                     "count", "geometry_before", "geometry_after"]


def test_the_store_keeps_both_languages(reports: dict[str, dict]) -> None:
    """The store writes the report as JSON: the English texts (and the repair WKTs) read back as written."""
    folder = Path(reports["_folder"]["path"])
    for name in ("points", "repair", "more"):
        stored = open_store(str(folder / f"{name}.gpkg")).read_report()
        expected = json.loads(json.dumps(reports[name], default=str))
        assert stored["rejects"] == expected["rejects"] and stored["warnings"] == expected["warnings"], name
    repaired = [w for w in reports["repair"]["warnings"] if w["kind"] == "geometry_repaired"]
    assert repaired and all(w["geometry_before"].startswith("POLYGON") for w in repaired)


# --- the source: every call site gives both texts, none joins them ------------------------------
LOADERS = Path(__file__).resolve().parents[2] / "loaders"
# Texts for a terminal, not per language: BuildError paragraphs, prints, the progress display.
TERMINAL_CALLS = {"BuildError", "print", "write", "ArgumentParser", "add_argument", "_bar", "tqdm"}
TERMINAL_CONSTANTS = {"RESAVE_HINT"}   # read.py: a sentence of BuildError paragraphs
# store.py's texts are connection and lock errors for the terminal, not report texts.
REPORT_SOURCES = [p for p in sorted(LOADERS.glob("*.py")) if p.name != "store.py"]


def _name(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _texts(node: ast.AST) -> list[str]:
    """The literal text of a str constant or an f-string (its constant parts joined)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    return []


def test_no_text_for_people_in_loaders_is_joined_bilingual_again() -> None:
    """A Chinese literal ending in an English "(…)" is the old joined style, outside the terminal's
    texts (BuildError paragraphs, prints) which stay one bilingual paragraph."""
    found = []
    for path in REPORT_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        terminal = {id(n) for call in ast.walk(tree) if isinstance(call, ast.Call)
                    and _name(call.func) in TERMINAL_CALLS for n in ast.walk(call)}
        terminal |= {id(n) for assign in ast.walk(tree) if isinstance(assign, ast.Assign)
                     and {_name(t) for t in assign.targets} & TERMINAL_CONSTANTS for n in ast.walk(assign)}
        for node in ast.walk(tree):
            if id(node) in terminal:
                continue
            for text in _texts(node):
                tail = TAIL.search(text)
                if CJK.search(text) and tail and not CJK.search(tail.group(1)) and re.search("[A-Za-z]{3}",
                                                                                            tail.group(1)):
                    found.append(f"{path.name}:{node.lineno}: {text[-80:]!r}")
    assert found == []


def test_every_call_site_passes_both_texts() -> None:
    """Problems.add(mask, column, values, reason, reason_en), row_warnings(..., message, message_en,
    kind), _Placing.warn(mask, column, values, message, message_en, kind), Warning(message=...,
    message_en=...): checked in the source, so a path no fixture reaches is covered too."""
    arity = {"add": 5, "row_warnings": 8, "warn": 6}
    wrong = []
    for path in REPORT_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            receiver = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
            if name == "Warning":
                keys = {k.arg for k in node.keywords}
                if None not in keys and not {"message", "message_en"} <= keys:
                    wrong.append(f"{path.name}:{node.lineno}: Warning without message / message_en")
            elif name in arity and (name != "add" or receiver == "problems") and (name != "warn" or receiver == "work"):
                if len(node.args) + len(node.keywords) != arity[name]:
                    wrong.append(f"{path.name}:{node.lineno}: {name} with {len(node.args)} arguments")
    assert wrong == []
