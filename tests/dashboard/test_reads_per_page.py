"""Each page reads only what it needs (issue 12): never a whole enterprises or 12345 layer.

At district scale those layers hold ~100,000 and ~1,000,000 rows; a process that reads them
whole holds most of a gigabyte. Pages read the stats tables, the small layers, counts per
street and one zone's or one filter's rows, all selected by the store in SQL. This test runs
every page (AppTest, on the bundled sample) and records each read the store serves.
"""
from __future__ import annotations

import pytest
import streamlit as st
import streamlit_folium

from dashboard import state
from loaders import store as store_module
from tests.dashboard.conftest import run_page

BIG = ("enterprises", "hotline")
PAGES = [("overview", {}), ("zone", {"zone": "lize"}), ("zone", {"zone": "hexi", "enterprises": "clustered"}),
         ("projects", {}), ("quality", {}), ("meeting", {}), ("downloads", {"layer": "hotline"}),
         ("downloads", {"layer": "enterprises"})]


@pytest.fixture()
def reads(monkeypatch) -> list[tuple[str, str | None, str]]:
    """(layer, SQL condition, how) of every read any store serves while the test runs."""
    seen: list[tuple[str, str | None, str]] = []
    for cls in (store_module.GeoPackageStore, store_module.PostGISStore):
        real_read, real_chunks = cls._read, cls._chunks

        def read(self, name, columns, where, _real=real_read):  # noqa: ANN001, ANN202
            seen.append((name, where, "read"))
            return _real(self, name, columns, where)

        def chunks(self, name, columns, where, chunk_rows, _real=real_chunks):  # noqa: ANN001, ANN202
            seen.append((name, where, f"chunks of {chunk_rows}"))
            return _real(self, name, columns, where, chunk_rows)

        monkeypatch.setattr(cls, "_read", read)
        monkeypatch.setattr(cls, "_chunks", chunks)
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    for name in ("DASHBOARD_STORE", "DASHBOARD_USERS", "DASHBOARD_AUTH"):
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield seen
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.parametrize("page,params", PAGES, ids=[f"{p}-{'-'.join(v.values()) or 'all'}" for p, v in PAGES])
def test_no_page_reads_a_big_layer_whole(reads, page: str, params: dict) -> None:  # noqa: ANN001
    at = run_page(page, {k: v for k, v in params.items() if k != "enterprises"}, timeout=180)
    if "enterprises" in params:   # the zone map's enterprise display, chosen on the page
        at.radio(key=state.ZONE_ENTERPRISES).set_value(params["enterprises"]).run()
        assert any(r[0] == "enterprises" and r[1] for r in reads), "the clustered view read no enterprises"
    assert not at.exception, [e.value for e in at.exception]
    assert reads, "the page read nothing: the recorder is not in the store's path"
    whole = [r for r in reads if r[0] in BIG and r[1] is None and r[2] == "read"]
    assert not whole, f"{page} read a big layer whole: {whole}"
    links = [r for r in reads if r[0] == "zone_members" and r[1] is not None and any(b in r[1] for b in BIG)]
    assert not links, f"{page} read the zone links of a big layer: {links}"
