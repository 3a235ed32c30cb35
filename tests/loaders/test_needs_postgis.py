"""The enterprise needs layer and its tables round-trip through PostGIS as through GeoPackage."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loaders.build import build
from loaders.store import open_store
from tests.loaders.test_needs import AS_OF, BASIC, _needs, _source
from tests.postgis import PostGISServer


@pytest.fixture(scope="module")
def postgis():
    server = PostGISServer().start()
    yield server
    server.stop()


def test_needs_round_trip_in_both_stores(postgis: PostGISServer, tmp_path: Path) -> None:
    source = _source(tmp_path / "src", _needs(BASIC))
    gpkg = str(tmp_path / "store.gpkg")
    build(source, gpkg, progress=False, as_of=AS_OF)
    build(source, postgis.url, progress=False, as_of=AS_OF)
    a, b = open_store(gpkg), open_store(postgis.url)
    for name in ("needs", "needs_monthly", "needs_breakdown", "zone_stats", "alerts"):
        assert name in b.layers(), name
        left, right = a.read(name), b.read(name)
        assert list(left.columns) == list(right.columns), name
        assert len(left) == len(right), name
    needs_a = a.read("needs").set_index("need_id").sort_index()
    needs_b = b.read("needs").set_index("need_id").sort_index()
    columns = [c for c in needs_a.columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(needs_a[columns]), pd.DataFrame(needs_b[columns]), check_dtype=True)
    assert b.count("needs") == 5
    lize = b.read("needs", zone_id="lize")
    assert set(lize["need_id"]) == {"N1", "N4", "N8"}
    assert b.read("zone_stats").set_index("zone_id").loc["lize", "needs_open"] == 2
