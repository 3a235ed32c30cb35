"""Scopes (row-level security, issue 20): one module decides (:mod:`dashboard.security.scope`),
the store door applies it (:mod:`dashboard.store.data`, SQL in the store for point layers).

Page tests run the real app (AppTest) on a copy of the sample store with the viewer's scope set
through the one function every read asks (``data.current_scope``); what the run sent (every
element's protobuf bytes and every map's HTML) must hold no project outside the scope, while it
does hold those inside (so the check can fail). The sign-in path that sets a user's scope from
the users file is tested with the users command.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import streamlit as st
import streamlit_folium

from dashboard.security import audit, scope
from dashboard.store import data
from loaders.rowfilter import RowFilter
from loaders.store import open_store
from tests.dashboard.conftest import run_page, store_copy
from tests.postgis import PostGISServer

LIZE, STREET = "zone:lize", "street:太平桥街道"


# ---------------------------------------------------------------- the rule, pure
def test_scope_entries_are_checked_and_a_bad_one_opens_nothing() -> None:
    assert scope.check(" street:太平桥街道 ") == "street:太平桥街道"
    assert scope.check("zone:lize") == "zone:lize"
    for bad in ("lize", "zone:", "street: ", "zone:Lize; DROP", "district:all"):
        with pytest.raises(scope.ScopeError):
            scope.check(bad)
    assert scope.of([]).whole and scope.of(()).label() == "district"
    both = scope.of([LIZE, STREET, "zone:hexi"])
    assert both.label() == "street:太平桥街道,zone:hexi,zone:lize"
    broken = scope.of(["zone:lize", "zone:"])   # a typo must not widen a scope to the district
    assert not broken.whole and not broken.allows_zone("lize") and not broken.allows_street("太平桥街道")


def test_area_rows_keep_own_zone_street_and_its_communities_only() -> None:
    frame = pd.DataFrame({"level": ["zone", "zone", "street", "street", "community", "community", "project"],
                          "key": ["lize", "hexi", "太平桥街道", "新村街道", "太平桥街道/A社区", "新村街道/B社区", "P-1"]})
    assert scope.of([LIZE]).area_rows(frame)["key"].tolist() == ["lize"]
    assert scope.of([STREET]).area_rows(frame)["key"].tolist() == ["太平桥街道", "太平桥街道/A社区"]
    assert len(scope.WHOLE_DISTRICT.area_rows(frame)) == len(frame)


def test_a_point_in_several_zones_is_in_scope_if_any_of_them_is() -> None:
    points = pd.DataFrame({"project_id": ["a", "b", "c", "d"], "street": ["太平桥街道", "新村街道", "新村街道", "云岗街道"]})
    members = pd.DataFrame({"record_id": ["b", "b", "c"], "zone_id": ["hexi", "lize", "hexi"]})
    assert scope.of([LIZE]).point_rows(points, "project_id", members)["project_id"].tolist() == ["b"]
    assert scope.of([STREET]).point_rows(points, "project_id", members)["project_id"].tolist() == ["a"]
    assert scope.of([STREET, LIZE]).point_rows(points, "project_id", members)["project_id"].tolist() == ["a", "b"]


def test_the_scope_condition_is_an_or_and_is_quoted() -> None:
    flt = RowFilter("projects", scope_zones=("lize",), scope_streets=("O'Brien街道",))
    where = flt.where()
    assert "zone_id\" IN ('lize')" in where and "\"street\" IN ('O''Brien街道')" in where and " OR " in where
    assert RowFilter("projects").where() is None
    with pytest.raises(ValueError):
        RowFilter("projects", scope_zones=("lize'--",))


# ---------------------------------------------------------------- the store selects, both stores
def _expected_ids(store: Path, sc: scope.Scope) -> set[str]:
    projects = pyogrio.read_dataframe(store, layer="projects", columns=["project_id", "street"], read_geometry=False)
    members = pyogrio.read_dataframe(store, layer="zone_members", read_geometry=False)
    members = members[members["layer"] == "projects"]
    return set(sc.point_rows(projects, "project_id", members)["project_id"])


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return store_copy(tmp_path_factory.mktemp("scopes"))


def test_the_geopackage_selects_the_scope_rows(sample: Path) -> None:
    store = open_store(str(sample))
    for entries in ([LIZE], [STREET], [LIZE, STREET]):
        sc = scope.of(entries)
        flt = RowFilter("projects", scope_zones=tuple(sc.zones), scope_streets=tuple(sc.streets))
        got = set(store.read("projects", rows=flt)["project_id"])
        expected = _expected_ids(sample, sc)
        assert got == expected and 0 < len(got) < 296, (entries, len(got), len(expected))
        assert store.count("projects", flt) == len(expected)


@pytest.mark.postgis
def test_postgis_selects_the_same_scope_rows(sample: Path, tmp_path: Path) -> None:
    from loaders.build import build

    server = PostGISServer().start()
    try:
        build(None, server.url, progress=False)   # the bundled sample into PostGIS
        store = open_store(server.url)
        sc = scope.of([LIZE, STREET])
        flt = RowFilter("projects", scope_zones=tuple(sc.zones), scope_streets=tuple(sc.streets))
        assert set(store.read("projects", rows=flt)["project_id"]) == _expected_ids(sample, sc)
    finally:
        server.stop()


# ---------------------------------------------------------------- the pages
def _sent(at) -> str:  # noqa: ANN001 - AppTest
    """Every element's protobuf bytes as text (Arrow tables keep their UTF-8 strings readable)."""
    def walk(node) -> str:  # noqa: ANN001
        proto = getattr(node, "proto", None)
        own = proto.SerializeToString().decode("utf-8", "ignore") if hasattr(proto, "SerializeToString") else ""
        return own + "".join(walk(child) for child in getattr(node, "children", {}).values())
    return walk(at._tree)


@pytest.fixture()
def scoped_site(sample: Path, monkeypatch: pytest.MonkeyPatch):
    """The app on the sample copy, maps captured as HTML; ``use(entries)`` sets the viewer's scope."""
    maps: list[str] = []
    monkeypatch.setattr(streamlit_folium, "st_folium",
                        lambda m, **kwargs: maps.append(m.get_root().render()) or {})
    monkeypatch.setenv("DASHBOARD_STORE", str(sample))
    monkeypatch.setenv("DASHBOARD_AUTH", "none")
    monkeypatch.delenv("DASHBOARD_USERS", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    chosen = {"scope": scope.WHOLE_DISTRICT}
    monkeypatch.setattr(data, "current_scope", lambda: chosen["scope"])

    def use(entries: list[str]) -> scope.Scope:
        chosen["scope"] = scope.of(entries)
        return chosen["scope"]
    yield {"maps": maps, "use": use, "store": sample}
    st.cache_resource.clear()
    st.cache_data.clear()


PAGES = [("overview", {}), ("zone", {"zone": "lize"}), ("projects", {}), ("downloads", {}), ("ranking", {}),
         ("meeting", {})]


@pytest.mark.parametrize("entries", [[LIZE], [STREET]], ids=["zone-scoped", "street-scoped"])
def test_no_page_sends_a_project_outside_the_scope(scoped_site, entries: list[str]) -> None:  # noqa: ANN001
    sc = scoped_site["use"](entries)
    projects = pyogrio.read_dataframe(scoped_site["store"], layer="projects", columns=["project_id", "name"],
                                      read_geometry=False)
    inside_ids = _expected_ids(scoped_site["store"], sc)
    outside = [n for i, n in zip(projects["project_id"], projects["name"], strict=True) if i not in inside_ids]
    inside = [n for i, n in zip(projects["project_id"], projects["name"], strict=True) if i in inside_ids]
    shown_inside = 0
    for page, params in PAGES:
        scoped_site["maps"].clear()
        at = run_page(page, params)
        assert not at.exception, (page, [e.value for e in at.exception])
        sent = _sent(at) + "".join(scoped_site["maps"])
        leaked = [n for n in outside if n in sent]
        assert not leaked, (page, leaked[:5])
        shown_inside = max(shown_inside, sum(n in sent for n in inside))
    assert shown_inside == len(inside)   # the explorer lists every project in scope: the check can see names


def test_the_ranking_and_warnings_hold_only_the_scoped_street(scoped_site) -> None:  # noqa: ANN001
    scoped_site["use"]([STREET])
    at = run_page("ranking", {})
    sent = _sent(at)
    ranking = pyogrio.read_dataframe(scoped_site["store"], layer="street_ranking", read_geometry=False)
    others = sorted(set(ranking["street"]) - {"太平桥街道"})
    assert "太平桥街道" in sent
    # street names are public outlines on the map; another street's score is not sent
    latest = ranking[ranking["month"] == ranking["month"].max()]
    other_scores = [f"{s:.1f}" for street, s in zip(latest["street"], latest["score"], strict=True)
                    if street != "太平桥街道"]
    own = latest.loc[latest["street"] == "太平桥街道", "score"].iloc[0]
    assert f"{own:.1f}" in sent
    assert not [s for s in other_scores if f">{s}<" in sent or f'"{s}"' in sent], others
    # the overview's warnings: only the street's own (and its communities'), none of another area
    scoped_site["use"](["street:马家堡街道"])   # the sample's surge street
    sent = _sent(run_page("overview", {}))
    keys = set(re.findall(r'data-key=\\?"([^"\\]*)', sent))
    alerts = pyogrio.read_dataframe(scoped_site["store"], layer="alerts", read_geometry=False)
    own = {k for k in alerts["key"] if k.split("/")[0] == "马家堡街道"}
    assert keys and keys <= own and len(alerts) > len(own), (keys, own)   # its own warnings, none of others


def test_a_zone_scope_ranks_no_street_and_says_so(scoped_site) -> None:  # noqa: ANN001
    scoped_site["use"]([LIZE])
    at = run_page("ranking", {})
    assert not at.exception and [i.value for i in at.info] == [
        "你的数据范围（丽泽金融商务区）不含街镇：街镇排名只对街镇范围或全区范围的用户显示。"]
    assert not at.dataframe


def test_a_single_area_scope_shows_its_own_figures_on_the_overview(scoped_site) -> None:  # noqa: ANN001
    scoped_site["use"]([LIZE])
    at = run_page("overview", {})
    lize = pyogrio.read_dataframe(scoped_site["store"], layer="zone_stats", read_geometry=False).set_index(
        "zone_id").loc["lize"]
    cards = {m.label: m.value for m in at.metric}
    assert cards["重大项目数"] == f"{int(lize['projects'])} 个", cards


def test_a_scoped_meeting_holds_its_own_slides_only(scoped_site) -> None:  # noqa: ANN001
    scoped_site["use"]([LIZE])
    at = run_page("meeting", {})
    page = _sent(at)
    assert not at.exception and 'data-slide=\\"lize\\"' in page or 'data-slide="lize"' in page
    assert at.query_params["zone"] == "lize"          # no 全区 slide of every zone, no ranking slide
    options = at.selectbox(key="mt_pick").options
    assert [o.split(". ", 1)[1] for o in options] == ["丽泽金融商务区"]
    scoped_site["use"]([STREET])
    at = run_page("meeting", {})
    assert not at.exception and at.query_params["zone"] == "changes"   # the street's ranking and warnings
    assert "太平桥街道" in _sent(at)


def test_a_forged_download_of_another_area_is_refused_and_audited(scoped_site) -> None:  # noqa: ANN001
    scoped_site["use"]([STREET])
    at = run_page("downloads", {"layer": "projects", "street": "新村街道"})
    assert [e.value for e in at.error] == ["新村街道 不在你的数据范围（太平桥街道）内。"]
    assert not at.metric   # no row count, no file: nothing of that street is read
    refused = audit.AuditLog(audit.target_for(str(scoped_site["store"]))).read(events=["scope_refused"])
    assert "street:新村街道 not in street:太平桥街道" in refused["detail"].tolist()
    scoped_site["use"]([LIZE])
    at = run_page("downloads", {"layer": "projects", "zone": "hexi"})
    assert [e.value for e in at.error] == ["河西地区 不在你的数据范围（丽泽金融商务区）内。"]
    at = run_page("downloads", {"layer": "projects", "street": "太平桥街道"})   # narrows its own zone: allowed
    assert not at.error and not at.exception


def test_a_forged_zone_is_refused_and_audited(scoped_site) -> None:  # noqa: ANN001
    scoped_site["use"]([LIZE])
    at = run_page("zone", {"zone": "hexi"})
    assert [e.value for e in at.error] == ["河西地区 不在你的数据范围（丽泽金融商务区）内。"]
    hexi = pyogrio.read_dataframe(scoped_site["store"], layer="zone_stats", read_geometry=False).set_index(
        "zone_id").loc["hexi"]
    assert 'data-testid=\"ft-zone\"' not in _sent(at) and 'data-testid="ft-zone"' not in _sent(at)
    assert not at.metric   # no figure of the zone asked for (nor of any other)
    assert int(hexi["projects"]) > 0
    refused = audit.AuditLog(audit.target_for(str(scoped_site["store"]))).read(events=["scope_refused"])
    assert len(refused) >= 1 and refused["page"].iloc[0] == "zone"
    assert refused["detail"].iloc[0] == "zone:hexi not in zone:lize"
    # its own zone opens
    at = run_page("zone", {"zone": "lize"})
    assert not at.error and not at.exception


def test_a_street_scope_has_no_zone_page_and_a_district_context_only(scoped_site) -> None:  # noqa: ANN001
    scoped_site["use"]([STREET])
    at = run_page("zone", {})
    assert not at.exception and any("不含功能区" in i.value for i in at.info)
    at = run_page("overview", {})
    assert not at.exception
    own = len(_expected_ids(scoped_site["store"], scope.of([STREET])))
    cards = {m.label: m.value for m in at.metric}
    assert cards["重大项目数"] == f"{own} 个"     # one street's scope: the cards are the street's
    assert any("数据范围：太平桥街道" in c.value for c in at.caption)


@pytest.mark.parametrize("entries", [[LIZE], [STREET]], ids=["zone-scoped", "street-scoped"])
def test_the_needs_download_preview_holds_only_needs_in_scope(scoped_site, entries: list[str]) -> None:  # noqa: ANN001
    sc = scoped_site["use"](entries)
    needs = pyogrio.read_dataframe(scoped_site["store"], layer="needs", columns=["need_id", "street"],
                                   read_geometry=False)
    members = pyogrio.read_dataframe(scoped_site["store"], layer="zone_members", read_geometry=False)
    inside = set(sc.point_rows(needs, "need_id", members[members["layer"] == "needs"])["need_id"])
    at = run_page("downloads", {"layer": "needs"})
    assert not at.exception, [e.value for e in at.exception]
    sent = _sent(at)
    shown = {n for n in needs["need_id"] if n in sent}
    assert shown and shown <= inside, sorted(shown - inside)[:5]


# ---------------------------------------------------------------- from the users file, signed in
def test_a_scoped_account_signed_in_sees_its_area_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path: ``users add --scope`` → sign-in → the Viewer's scopes → the store door."""
    from streamlit.testing.v1 import AppTest

    from dashboard.security.users import add_user
    from tests.dashboard.conftest import APP, sign_in

    passwords = {"lize_office": "lize-office-0417", "tpq_leader": "tpq-leader-0417"}

    def run_signed_in(page: str, params: dict[str, str], user: str):  # noqa: ANN202 - AppTest
        at = AppTest.from_file(APP, default_timeout=300)
        for key, value in params.items():
            at.query_params[key] = value
        sign_in(at.run(), user, passwords[user])
        if page != "overview":
            at.switch_page(f"screens/{page}.py")
            at.run()
        return at

    store = store_copy(tmp_path)
    accounts = tmp_path / "users.json"
    add_user(accounts, "lize_office", "analyst", (), passwords["lize_office"], scopes=(LIZE,))
    add_user(accounts, "tpq_leader", "leader", (), passwords["tpq_leader"], scopes=(STREET,))
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **kwargs: {})
    monkeypatch.setenv("DASHBOARD_STORE", str(store))
    monkeypatch.setenv("DASHBOARD_USERS", str(accounts))
    monkeypatch.delenv("DASHBOARD_AUTH", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        projects = pyogrio.read_dataframe(store, layer="projects", columns=["project_id", "name"], read_geometry=False)
        for user, entries in (("lize_office", [LIZE]), ("tpq_leader", [STREET])):
            inside = _expected_ids(store, scope.of(entries))
            outside = [n for i, n in zip(projects["project_id"], projects["name"], strict=True) if i not in inside]
            at = run_signed_in("projects", {}, user)
            assert not at.exception, [e.value for e in at.exception]
            sent = _sent(at)
            assert not [n for n in outside if n in sent]
            assert sum(n in sent for n in projects["name"]) == len(inside)
        at = run_signed_in("zone", {"zone": "hexi"}, "lize_office")
        assert [e.value for e in at.error] == ["河西地区 不在你的数据范围（丽泽金融商务区）内。"]
        refused = audit.AuditLog(audit.target_for(str(store))).read(events=["scope_refused"])
        assert refused["user"].tolist()[:1] == ["lize_office"]
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
