"""loaders.store (GeoPackage): a new store is written beside the old one and swapped in whole."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import loaders.store as store_module
from loaders.build import build
from loaders.errors import BuildError
from loaders.schema import ALL_LAYERS, REPORT_LAYER, TABLES
from loaders.store import open_store
from tests.loaders.conftest import make_source


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture
def good_store(tmp_path: Path) -> tuple[Path, Path]:
    source = make_source(tmp_path / "source", {"projects_gbk.csv": "projects.csv"})
    target = tmp_path / "store" / "store.gpkg"
    build(source, str(target), progress=False)
    return source, target


def test_the_new_store_is_complete_before_it_is_moved_into_place(good_store, monkeypatch) -> None:  # noqa: ANN001
    source, target = good_store
    seen: list[tuple[Path, Path, list[str], bool]] = []
    real_replace = os.replace

    def spy(src, dst):  # noqa: ANN001, ANN202
        layers = [name for name, _ in store_module.pyogrio.list_layers(src)]
        seen.append((Path(src), Path(dst), layers, Path(dst).exists()))
        return real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", spy)
    (source / "hotline.csv").write_text("工单编号,受理时间,街道\nH1,2024-05-01,丰台街道\n", encoding="utf-8")
    build(source, str(target), progress=False)
    [(src, dst, layers, existed)] = seen
    assert dst == target and existed                 # the old store stayed until the swap
    assert src.parent == target.parent and src != target   # same folder: an atomic rename
    assert set(layers) == {*ALL_LAYERS[:3], "hotline", *TABLES, REPORT_LAYER}
    assert not src.exists()
    assert len(open_store(str(target)).read("hotline")) == 1


def test_a_write_that_fails_half_way_leaves_the_old_store(good_store, monkeypatch) -> None:  # noqa: ANN001
    source, target = good_store
    before = digest(target)
    old_counts = {layer: len(open_store(str(target)).read(layer)) for layer in ("streets", "zones", "projects")}
    calls = {"n": 0}
    real_write = store_module.pyogrio.write_dataframe

    def failing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(store_module.pyogrio, "write_dataframe", failing)
    with pytest.raises(OSError, match="disk full"):
        build(source, str(target), progress=False)
    assert calls["n"] == 3
    assert digest(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["store.gpkg"]   # no temporary file left
    monkeypatch.undo()
    assert {layer: len(open_store(str(target)).read(layer)) for layer in old_counts} == old_counts


def test_a_build_error_before_writing_leaves_the_old_store(good_store) -> None:  # noqa: ANN001
    source, target = good_store
    before = digest(target)
    (source / "projects.csv").write_text("项目编号,项目状态\nP1,在建\n", encoding="utf-8")
    with pytest.raises(BuildError, match="项目名称"):
        build(source, str(target), progress=False)
    assert digest(target) == before


def test_store_target_must_be_gpkg_or_postgresql(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="postgresql://"):
        open_store(str(tmp_path / "store.sqlite"))


def test_reading_a_missing_layer_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="python -m loaders build"):
        open_store(str(tmp_path / "none.gpkg")).read("projects")


def test_booleans_and_zone_ids_survive_the_store(good_store) -> None:  # noqa: ANN001
    _, target = good_store
    projects = open_store(str(target)).read("projects").set_index("source_row")
    assert str(projects["zone_declared_mismatch"].dtype) == "boolean"
    assert projects.loc[2, "zone_declared_mismatch"] == False  # noqa: E712 - a nullable boolean
    assert projects.loc[2, "zone_ids"] == ",lize,fengtai_station,"
    assert projects.loc[4, "zone_ids"] == ""
    with pytest.raises(ValueError, match="zone_id"):
        open_store(str(target)).read("projects", zone_id="lize' OR 1=1 --")
