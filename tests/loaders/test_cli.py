"""``python -m loaders build``: exit status, one-paragraph errors, the previous store untouched."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from loaders.__main__ import main
from loaders.store import open_store
from tests.conftest import DATA, REPO_ROOT
from tests.loaders.conftest import make_source


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def counts(path: Path) -> dict[str, int]:
    store = open_store(str(path))
    return {layer: len(store.read(layer)) for layer in store.layers()}


def one_paragraph(text: str) -> bool:
    return text.strip() != "" and "\n\n" not in text.strip() and "Traceback" not in text


def test_missing_required_column_fails_and_keeps_the_previous_store(tmp_path: Path) -> None:
    good = make_source(tmp_path / "good", {"projects_gbk.csv": "projects.csv",
                                           "hotline_gb18030.csv": "hotline.csv"})
    target = tmp_path / "store.gpkg"
    assert main(["build", "--source", str(good), "--store", str(target), "--quiet"]) == 0
    before, before_counts = fingerprint(target), counts(target)
    assert before_counts["projects"] == 4 and before_counts["hotline"] == 2

    bad = make_source(tmp_path / "bad", {"projects_missing_name.csv": "projects.csv",
                                         "hotline_gb18030.csv": "hotline.csv"})
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-m", "loaders", "build", "--source", str(bad), "--store", str(target),
                           "--quiet"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert one_paragraph(done.stderr), done.stderr
    assert "projects.csv" in done.stderr and "name（项目名称）" in done.stderr
    assert "原有存储未改动" in done.stderr
    assert fingerprint(target) == before
    assert counts(target) == before_counts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "good", "store.gpkg"]


@pytest.mark.parametrize("files, expected", [
    ({"hotline_gb18030.csv": "notes.csv"}, "projects.*"),                                   # no data file
    ({"projects_gbk.csv": "projects.csv", "projects_titled.xlsx": "projects.xlsx"}, "projects.xlsx"),
])
def test_other_failures_exit_non_zero_with_one_paragraph(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                         files: dict, expected: str) -> None:
    source = make_source(tmp_path / "source", files)
    assert main(["build", "--source", str(source), "--store", str(tmp_path / "s.gpkg"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert one_paragraph(err) and expected in err
    assert not (tmp_path / "s.gpkg").exists()


def test_geometry_without_crs_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = make_source(tmp_path / "source", {"projects_gbk.csv": "projects.csv"})
    with zipfile.ZipFile(DATA / "streets_xzq_4527_gbk.zip") as src, \
            zipfile.ZipFile(source / "streets.zip", "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith(".prj"):
                dst.writestr(info, src.read(info))
    assert main(["build", "--source", str(source), "--store", str(tmp_path / "s.gpkg"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert one_paragraph(err) and "streets.zip" in err and "EPSG:4527" in err


def test_report_option_writes_the_contract_json(tmp_path: Path) -> None:
    source = make_source(tmp_path / "source", {"projects_places.csv": "projects.csv"})
    (source / "readme.md").write_text("x", encoding="utf-8")
    report_path = tmp_path / "out" / "report.json"
    assert main(["build", "--source", str(source), "--store", str(tmp_path / "s.gpkg"),
                 "--report", str(report_path), "--quiet"]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert {"layers", "rejects", "warnings", "sample_data", "built_at"} <= set(report)
    for layer, c in report["layers"].items():
        assert c["read"] == c["loaded"] + c["rejected"], layer
    assert report["layers"]["projects"]["rejected"] == 9
    assert any(w["kind"] == "unknown_file" and w["file"] == "readme.md" for w in report["warnings"])


def test_coord_sys_option_is_checked(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--coord-sys", "beijing54"])
    assert "beijing54" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["-5", "0", "far"])
def test_coverage_option_is_checked(value: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--coverage-m", value])
    assert "--coverage-m" in capsys.readouterr().err
