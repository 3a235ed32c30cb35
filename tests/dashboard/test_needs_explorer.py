"""The enterprise needs explorer (/needs) on a copy of the sample store: filters from the URL
select the rows the store file holds (counted here with pyogrio), the overdue filter, the URL
follows a widget change, a need's text stays off the map and out of the table without the
personal-data grant, and a hostile owner unit is escaped on the map."""
from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import streamlit as st
import streamlit_folium

from dashboard import i18n, state
from dashboard.security import sessions as auth
from tests.dashboard.conftest import XSS, run_page, run_signed_in, store_copy, users_file

SUMMARY = i18n.column_label("summary", "zh", "needs")
NEED_ID = i18n.column_label("need_id", "zh", "needs")


def _gpkg_geometry(blob: bytes | None):  # noqa: ANN202 - a shapely geometry
    """The geometry of a GeoPackage blob (header, optional envelope, WKB)."""
    if blob is None:
        return None
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(blob[3] >> 1) & 0x07]
    return shapely.from_wkb(bytes(blob[8 + envelope:]))


def _poison(store) -> str:  # noqa: ANN001 - a Path
    """Give one open, located need an XSS owner unit. The GeoPackage's rtree triggers call
    ST_IsEmpty and ST_MinX..ST_MaxY, which plain sqlite3 lacks: given here from the blob."""
    with sqlite3.connect(store) as con:
        con.create_function("ST_IsEmpty", 1, lambda b: int(b is None or _gpkg_geometry(b).is_empty))
        for i, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
            con.create_function(name, 1, lambda b, i=i: None if b is None else float(_gpkg_geometry(b).bounds[i]))
        need_id = con.execute("SELECT need_id FROM needs WHERE status = 'open' AND lon IS NOT NULL "
                              "ORDER BY need_id LIMIT 1").fetchone()[0]
        con.execute("UPDATE needs SET owner_unit = ? WHERE need_id = ?", (XSS, need_id))
    return need_id


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("needs_explorer")
    store = store_copy(folder)
    poisoned = _poison(store)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DASHBOARD_STORE", str(store))
        mp.delenv("DASHBOARD_USERS", raising=False)
        mp.setenv("DASHBOARD_AUTH", "none")   # a store other than the bundled sample, opened on purpose
        st.cache_resource.clear()
        st.cache_data.clear()
        yield {"store": store, "needs": pyogrio.read_dataframe(store, layer="needs"), "poisoned": poisoned,
               "folder": folder}
        st.cache_resource.clear()
        st.cache_data.clear()


@pytest.fixture()
def maps(monkeypatch):
    captured: list[str] = []

    def fake(m, **kwargs):
        if kwargs.get("key") != "needs_map":   # another page's map (the overview, before signing in)
            return {}
        assert kwargs.get("returned_objects") == []   # the needs map sends nothing back
        captured.append(m.get_root().render())
        return {}
    monkeypatch.setattr(streamlit_folium, "st_folium", fake)
    return captured


def _counts(at) -> tuple[int, int]:  # noqa: ANN001 - AppTest
    """(on the map, in the table) as the page says them."""
    block = next(m.value for m in at.markdown if 'data-testid="ft-needs-counts"' in m.value)
    import re
    found = re.search(r'data-map="(\d+)" data-table="(\d+)"', block)
    return int(found.group(1)), int(found.group(2))


def _table(at) -> pd.DataFrame:  # noqa: ANN001 - AppTest
    return next(df.value for df in at.dataframe if NEED_ID in df.value.columns)


def _expected(needs: pd.DataFrame, zone: str | None = None, street: str | None = None,
              category: tuple[str, ...] = (), status: tuple[str, ...] = (), owner: tuple[str, ...] = (),
              overdue: bool = False) -> pd.DataFrame:
    keep = np.ones(len(needs), dtype=bool)
    if zone:
        keep &= needs["zone_ids"].fillna("").str.contains(f",{zone},", regex=False).to_numpy(bool)
    if street:
        keep &= (needs["street"] == street).to_numpy(bool)
    for column, values in (("category", category), ("status", status), ("owner_unit", owner)):
        if values:
            keep &= needs[column].isin(values).to_numpy(bool)
    if overdue:
        keep &= needs["overdue"].astype("boolean").fillna(False).to_numpy(bool)
    return needs[keep]


def _located(frame: pd.DataFrame) -> int:
    return int((frame["lon"].notna() & frame["lat"].notna()).sum())


def test_filters_from_the_url_select_the_stores_rows(site, maps) -> None:
    at = run_page("needs", {"zone": "lize", "category": "permits,finance", "status": "open"})
    assert not at.exception, [e.value for e in at.exception]
    want = _expected(site["needs"], zone="lize", category=("permits", "finance"), status=("open",))
    assert len(want) > 0
    assert _counts(at) == (_located(want), len(want))
    assert set(_table(at)[NEED_ID]) == set(want["need_id"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["诉求数"] == f"{len(want):,}" and metrics["办理中"] == f"{len(want):,}"
    assert metrics["办结率"] == "0.0%"
    assert at.multiselect(key=state.NF_ZONE).value == ["lize"]
    assert at.multiselect(key=state.NF_CATEGORY).value == ["permits", "finance"]
    assert maps and "QYSQ" in maps[-1]   # the needs are on the map (their ids in the tooltips)


def test_street_and_owner_filters(site, maps) -> None:
    needs = site["needs"]
    street = needs["street"].value_counts().index[0]
    owner = "示例区政务服务局"
    at = run_page("needs", {"street": street, "owner": owner})
    assert not at.exception, [e.value for e in at.exception]
    want = _expected(needs, street=street, owner=(owner,))
    assert len(want) > 0 and _counts(at) == (_located(want), len(want))
    table = _table(at)
    assert set(table[i18n.column_label("owner_unit", "zh", "needs")]) == {owner}
    assert set(table[i18n.column_label("street", "zh", "needs")]) == {street} \
        if i18n.column_label("street", "zh", "needs") in table else True


def test_the_overdue_filter(site, maps) -> None:
    at = run_page("needs", {"overdue": "1"})
    assert not at.exception, [e.value for e in at.exception]
    want = _expected(site["needs"], overdue=True)
    assert 0 < len(want) < len(site["needs"])
    assert _counts(at) == (_located(want), len(want))
    assert at.checkbox(key=state.NF_OVERDUE).value is True
    table = _table(at)
    assert table[i18n.column_label("overdue", "zh", "needs")].all()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["超期（>30天）"] == f"{len(want):,}"


def test_a_widget_change_updates_the_url_counts_and_table(site, maps) -> None:
    at = run_page("needs", {})
    assert not at.exception, [e.value for e in at.exception]
    assert _counts(at)[1] == len(site["needs"])
    at.multiselect(key=state.NF_STATUS).set_value(["closed"]).run()
    at.checkbox(key=state.NF_OVERDUE).check().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params.get("status") in (["closed"], "closed")
    assert at.query_params.get("overdue") in (["1"], "1")
    assert _counts(at) == (0, 0)    # a closed need is never overdue
    assert any("没有符合筛选条件的企业诉求" in w.value for w in at.warning)
    at.multiselect(key=state.NF_STATUS).set_value(["open"]).run()
    want = _expected(site["needs"], status=("open",), overdue=True)
    assert _counts(at) == (_located(want), len(want))


def test_no_summary_without_the_grant_and_the_owner_unit_escaped(site, maps) -> None:
    at = run_page("needs", {"status": "open"})
    assert not at.exception, [e.value for e in at.exception]
    table = _table(at)
    assert SUMMARY not in table.columns and "summary" not in table.columns
    assert any("个人信息" in c.value for c in at.caption)
    html = maps[-1]
    assert site["poisoned"] in html                      # the poisoned need is drawn
    assert "<img" not in html and 'onerror="window' not in html
    assert "&lt;img" in html or "\\u0026lt;img" in html   # escaped, then made safe for the script
    texts = site["needs"]["summary"].dropna().astype(str)
    assert not any(t in html for t in texts.head(200))    # a need's text never reaches the map


@pytest.mark.parametrize("entry", ["zone:lize", "street:太平桥街道"])
def test_a_scoped_viewer_sees_only_their_areas_needs(site, maps, monkeypatch, entry: str) -> None:
    from dashboard.security import scope
    from dashboard.store import data
    monkeypatch.setattr(data, "current_scope", lambda: scope.of([entry]))
    st.cache_resource.clear()
    st.cache_data.clear()
    kind, value = entry.split(":")
    want = _expected(site["needs"], zone=value) if kind == "zone" else _expected(site["needs"], street=value)
    at = run_page("needs", {"zone": "hexi"} if kind == "zone" else {})   # another zone asked for: nothing more
    assert not at.exception, [e.value for e in at.exception]
    if kind == "zone":
        shown = set(_table(at)[NEED_ID]) if _counts(at)[1] else set()
        assert shown <= set(want["need_id"])
        at.multiselect(key=state.NF_ZONE).set_value([]).run()
    assert set(_table(at)[NEED_ID]) == set(want["need_id"]) and len(want) > 0
    others = set(site["needs"]["need_id"]) - set(want["need_id"])
    assert not any(i in maps[-1] for i in others)


# ---------------------------------------------------------------- signed in (last: the users file stays set)
@pytest.mark.parametrize("user,sees", [("t_admin", True), ("t_analyst", False)])
def test_the_summary_only_with_the_personal_data_grant(site, maps, monkeypatch, user: str, sees: bool) -> None:
    monkeypatch.setattr(auth, "sleep", lambda s: None)
    monkeypatch.setenv("DASHBOARD_USERS", str(users_file(site["folder"] / f"users_{user}.json")))
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)
    st.cache_resource.clear()   # the settings (users file, auth mode) are read once per process
    st.cache_data.clear()
    at = run_signed_in("needs", {"category": "land"}, user)
    assert not at.exception, [e.value for e in at.exception]
    table = _table(at)
    assert (SUMMARY in table.columns) is sees
    if sees:
        assert table[SUMMARY].str.contains("示例").all()
    assert not any(t in maps[-1] for t in site["needs"]["summary"].dropna().astype(str).head(200))
