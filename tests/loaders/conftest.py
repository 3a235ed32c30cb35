"""Helpers for the loader tests: copy files of ``tests/data/`` into a source folder, build.

The files in ``tests/data/`` are written by ``tests/data/make_fixtures.py``;
``tests/data/fixtures.json`` holds the known positions they were made from.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from pyproj import Geod

from loaders.build import build
from loaders.store import open_store
from tests.conftest import DATA

FIXTURES: dict = json.loads((DATA / "fixtures.json").read_text(encoding="utf-8"))
KNOWN: dict[str, tuple[float, float]] = {k: tuple(v) for k, v in FIXTURES["known_wgs84"].items()}
_GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:  # noqa: ANN001 - floats or arrays
    """Geodesic distance in metres (WGS84 ellipsoid)."""
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


def make_source(folder: Path, files: dict[str, str]) -> Path:
    """A source folder holding ``tests/data/<name>`` copied as ``<target>`` for each item."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in files.items():
        shutil.copy(DATA / name, folder / target)
    return folder


def rejects_by_row(report: dict, layer: str) -> dict[int, dict]:
    rows = [r for r in report["rejects"] if r["layer"] == layer]
    out = {r["row"]: r for r in rows}
    assert len(out) == len(rows), f"one reject per row expected in {layer}: {rows}"
    return out


def warnings_of(report: dict, kind: str, layer: str | None = None) -> list[dict]:
    return [w for w in report["warnings"] if w.get("kind") == kind and (layer is None or w.get("layer") == layer)]


@pytest.fixture
def build_from(tmp_path: Path) -> Callable[..., tuple[dict, object]]:
    """``build_from({"projects_places.csv": "projects.csv"})`` -> (report, store)."""
    def run(files: dict[str, str], **options) -> tuple[dict, object]:
        source = make_source(tmp_path / "source", files)
        target = str(tmp_path / "store.gpkg")
        report = build(source, target, progress=False, **options)
        return report, open_store(target)
    return run


@pytest.fixture(scope="module")
def places_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object]:
    """projects_places.csv built once per module with the bundled geodata."""
    folder = tmp_path_factory.mktemp("places")
    source = make_source(folder / "source", {"projects_places.csv": "projects.csv"})
    report = build(source, str(folder / "store.gpkg"), progress=False)
    return report, open_store(str(folder / "store.gpkg"))
