"""The one cached door to the store: pages call these, never the loaders directly.

Layers are read once per build (``st.cache_resource``: shared, never mutated — every
query returns a new frame); small derived tables are cached with ``st.cache_data``.
Personal columns are masked here, at the door, for viewers without the ``pii`` grant (and
left out while no sign-in is configured), so no page, popup or download can forget it.
The figures leaders read come from the build's ``zone_stats`` / ``street_stats`` tables,
so a KPI is the same number on every page, in every download and brief.

Fresh data without a restart: every page run starts with :func:`begin_run`, one cheap
check of the store's build token (the GeoPackage file's identity, or the PostGIS
``build_report`` table's identity). Every cache is keyed by that token, so a finished
build is what the next page load shows; when the token moves, the old build's entries
are dropped. A read that straddles a swap is caught by re-checking the token after it
(:class:`StoreChanged`), and the app re-runs the page: a page never mixes two builds.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.config import DashboardError, Settings, load_settings
from dashboard.security import scope as scopes
from dashboard.security.access import StoreChoice, choose_store, for_viewer, mask_rejects
from dashboard.security.sessions import current_viewer
from dashboard.store import queries
from dashboard.store.errors import STORE_ERRORS
from loaders.build import ensure_sample_store
from loaders.errors import BuildError
from loaders.rowfilter import RowFilter
from loaders.schema import LAYERS, POINT_LAYERS, RECORD_ID, STORE_COLUMNS, STREET, empty_layer
from loaders.store import default_store_path, open_store

T = TypeVar("T")


class StoreUnavailable(DashboardError):
    """The store cannot be opened or read."""


class StoreChanged(Exception):
    """A new build was swapped in while this page run was reading: run the page again."""


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The validated settings of this process: the environment, else Streamlit secrets.

    A deployment may keep the store's URL (with the read-only role's password) in
    ``.streamlit/secrets.toml`` (mode 0600, never committed) instead of the environment::

        [dashboard]
        store = "postgresql://fengtai_reader:…@db.example/fengtai"

    Every key of the ``[dashboard]`` table stands for ``DASHBOARD_<KEY>``; the environment wins.
    (libpq's own ``PGPASSWORD`` / ``~/.pgpass`` work too, with a URL that has no password.)
    """
    return load_settings({**_secrets_environ(), **os.environ})


def _secrets_environ() -> dict[str, str]:
    try:
        section = st.secrets.get("dashboard", {})
    except Exception:  # noqa: BLE001 - no secrets file, or one that does not parse: the environment alone
        return {}
    if not hasattr(section, "items"):
        return {}
    return {f"DASHBOARD_{str(k).upper()}": str(v) for k, v in section.items()}


@st.cache_resource(show_spinner="正在准备数据 Preparing data…")
def store_choice() -> StoreChoice:
    """The store this process serves; builds (or rebuilds, when made by older code) the bundled sample."""
    choice = choose_store(settings(), str(default_store_path()))
    if choice.is_bundled_sample:
        try:
            ensure_sample_store()
        except (BuildError, OSError) as exc:
            raise StoreUnavailable(f"示例数据库无法生成 (sample store could not be built): {exc}") from exc
    return choice


@st.cache_resource(show_spinner=False)
def _store():  # noqa: ANN202 - loaders.store.Store protocol
    target = store_choice().target
    try:
        return open_store(target)
    except (BuildError, OSError, ValueError) as exc:
        raise StoreUnavailable(str(exc)) from exc


# ---------------------------------------------------------------- which build this run reads
def _current_token() -> str:
    try:
        return _store().build_token()
    except STORE_ERRORS as exc:
        raise StoreUnavailable(str(exc)) from exc


_last_token: dict[str, str] = {}  # the newest token this process has seen


def begin_run() -> str:
    """Check which build the store holds now (one cheap call) and pin it for this page run.

    When it differs from the last one this process saw, the caches of the old build are
    dropped, so memory holds one build, not one per nightly refresh.
    """
    try:
        token = _current_token()
    except StoreUnavailable as exc:
        # The database restarts or is unreachable: keep showing the last good build this process
        # read (its cached layers), say so (:func:`store_down`), and let the page recover by itself.
        last = _last_token.get("token")
        if last in (None, "missing"):
            raise
        st.session_state[state.STORE_DOWN] = str(exc)
        st.session_state[state.BUILD_TOKEN] = last
        return last
    st.session_state.pop(state.STORE_DOWN, None)
    if _last_token.get("token") not in (None, token):
        _drop_build_caches()
    _last_token["token"] = token
    st.session_state[state.BUILD_TOKEN] = token
    return token


def store_down() -> str | None:
    """Why the store could not be reached on this run (the last good build is shown), or None."""
    return st.session_state.get(state.STORE_DOWN)


def store_reachable() -> bool:
    """One cheap check that the store answers again (for the page's self-recovery)."""
    try:
        _current_token()
    except StoreUnavailable:
        return False
    return True


def _token() -> str:
    """The build pinned for this page run (checked now when a page runs outside :func:`begin_run`)."""
    token = st.session_state.get(state.BUILD_TOKEN)
    return token if token is not None else begin_run()


def _check_unchanged(token: str) -> None:
    if _current_token() != token:
        raise StoreChanged(token)


def _guarded(token: str, failure: str, read: Callable[[], T]) -> T:
    """``read()`` of the build ``token``: a store failure becomes :class:`StoreUnavailable`
    (``failure``: what could not be done), unless the build was swapped meanwhile; a read that
    straddled a swap raises :class:`StoreChanged` rather than being cached (it may hold the
    next build's rows)."""
    try:
        out = read()
    except STORE_ERRORS as exc:
        _check_unchanged(token)  # a layer that vanished mid-swap is a new build, not a broken store
        raise StoreUnavailable(f"{failure}: {exc}") from exc
    _check_unchanged(token)
    return out


def _layer_or_empty(name: str, read: Callable[[], T], empty: Callable[[], T]) -> T:
    """Point layers are optional in a build: a missing one is shown as empty, not as an error."""
    return read() if name in _store().layers() else empty()


def _drop_build_caches() -> None:
    for cached in (_layer, _table, _members, _report, _schematic_layers, _rows, _count, _street_counts,
                   _preview, _optional):
        cached.clear()


# ---------------------------------------------------------------- layers and tables
@st.cache_resource(show_spinner="正在读取数据 Reading data…", max_entries=32)
def _layer(name: str, personal: str, token: str) -> gpd.GeoDataFrame:
    frame = _guarded(token, f"图层 {name} 读取失败 (layer could not be read)",
                     lambda: _layer_or_empty(name, lambda: _store().read(name), lambda: empty_layer(name)))
    # personal: "full", "masked" or "omitted" (dashboard.security.access.Viewer.personal); one cache entry each.
    frame = for_viewer(frame, name, personal)
    return frame


def current_scope() -> scopes.Scope:
    """The areas the current viewer may see (:mod:`dashboard.security.scope`; the whole district
    unless their account names streets or zones). Every read below goes through it."""
    return scopes.of(getattr(current_viewer(), "scopes", ()) or ())


def scoped(flt: RowFilter) -> RowFilter:
    """``flt`` limited to the viewer's scope (the store's SQL does the limiting)."""
    scope = current_scope()
    if scope.whole:
        return flt
    return dataclasses.replace(flt, scope_zones=tuple(sorted(scope.zones)), scope_streets=tuple(sorted(scope.streets)))


def layer(name: str) -> gpd.GeoDataFrame:
    """One store layer as the current viewer may see it: their personal-data rights and their
    scope (zones and streets in it; points in it, selected by the store) (shared: do not mutate)."""
    if name not in STORE_COLUMNS:
        raise ValueError(f"unknown layer {name!r}; expected one of {', '.join(STORE_COLUMNS)}")
    scope = current_scope()
    if scope.whole:
        return _layer(name, current_viewer().personal, _token())
    if name in POINT_LAYERS:
        return _rows(scoped(RowFilter(name)), current_viewer().personal, _token())
    # The zones' and streets' outlines and names are public context (a scoped map still shows
    # where its area lies); every figure drawn on them comes from the scoped tables below.
    return _layer(name, current_viewer().personal, _token())


@st.cache_resource(show_spinner=False, max_entries=16)
def _table(name: str, token: str) -> pd.DataFrame:
    try:
        store = _store()
        if name not in store.layers():
            _check_unchanged(token)
            raise StoreUnavailable(
                f"数据库中没有 {name} 表：它由旧版本的构建程序生成。请重新运行 python -m loaders build "
                f"(the store has no {name} table: it was built by an older version; rebuild it).")
        frame = pd.DataFrame(store.read(name))
    except STORE_ERRORS as exc:
        _check_unchanged(token)
        raise StoreUnavailable(f"{name} 读取失败 (table could not be read): {exc}") from exc
    _check_unchanged(token)
    return frame.drop(columns=["geometry"], errors="ignore")


TABLE_DTYPES = {name: LAYERS[name].dtypes for name in ("needs_breakdown", "needs_monthly")}


def zone_stats() -> pd.DataFrame:
    """The build's ``zone_stats`` (one row per zone in the viewer's scope; see :mod:`loaders.indicators`)."""
    return current_scope().zone_rows(_table("zone_stats", _token()))


def street_stats() -> pd.DataFrame:
    """The build's ``street_stats`` (one row per street in the viewer's scope)."""
    return current_scope().street_rows(_table("street_stats", _token()))


def district_street_stats() -> pd.DataFrame:
    """Every street's row, for district totals and denominators only (the 全区 context of a
    scoped viewer): never drawn per street."""
    return _table("street_stats", _token())


def hotline_monthly() -> pd.DataFrame:
    """The build's ``hotline_monthly`` (cases and rate counts per area in scope, month and category)."""
    return current_scope().area_rows(_table("hotline_monthly", _token()))


def needs_breakdown() -> pd.DataFrame:
    """The build's ``needs_breakdown`` (enterprise needs per zone, street, 先丰港 and category);
    empty when the store was built before the needs work. In the viewer's scope: their areas'
    rows, and the rows of the 先丰港 stations in it."""
    return _areas_and_points_in_scope(_optional_table("needs_breakdown"), "station", "stations")


def needs_monthly() -> pd.DataFrame:
    """The build's ``needs_monthly`` (needs raised, closed, open and overdue per area and month);
    empty when the store was built before the needs work. In the viewer's scope."""
    return current_scope().area_rows(_optional_table("needs_monthly"))


def _optional_table(name: str) -> pd.DataFrame:
    try:
        return _table(name, _token())
    except StoreUnavailable:
        if _store_has(name):
            raise
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in TABLE_DTYPES[name].items()})


def _store_has(name: str) -> bool:
    try:
        return name in _store().layers()
    except STORE_ERRORS:
        return True   # the store is down: say so, not "no data"


@st.cache_resource(show_spinner=False, max_entries=16)
def _members(layer_name: str, token: str) -> pd.DataFrame:
    frame = _guarded(token, "zone_members 读取失败 (zone membership could not be read)",
                     lambda: _store().read_members(layer_name))
    return frame.assign(record_id=frame["record_id"].astype(str))


def members(layer_name: str) -> pd.DataFrame:
    """The zone membership link rows (record_id, zone_id) of one point layer."""
    if layer_name not in POINT_LAYERS:
        raise ValueError(f"{layer_name!r} is not a point layer; expected one of {', '.join(POINT_LAYERS)}")
    links = _members(layer_name, _token())
    if current_scope().whole:
        return links
    ids = set(layer(layer_name)[RECORD_ID[layer_name]].astype(str))   # the points in scope
    return links[links["record_id"].isin(ids)]


@st.cache_resource(show_spinner=False, max_entries=4)   # shared, never mutated (read on every run, often)
def _report(token: str) -> dict:
    try:
        out = _store().read_report()
    except (*STORE_ERRORS, KeyError, IndexError):
        out = {}
    _check_unchanged(token)
    return out


def report() -> dict:
    """The build report stored with the data (empty dict when there is none)."""
    out = _report(_token())
    # A rejected row's value may be a personal one (a contact's phone): masked like the layers.
    rejects = out.get("rejects")
    masked = mask_rejects(rejects, current_viewer().personal) if isinstance(rejects, list) else rejects
    return out if masked is rejects else {**out, "rejects": masked}


def built_at() -> pd.Timestamp | None:
    """When the data were built (the report's ``built_at``, in the build machine's time zone)."""
    value = report().get("built_at")
    try:
        stamp = pd.Timestamp(value) if value else None
    except (ValueError, TypeError):
        return None
    return None if stamp is None or pd.isna(stamp) else stamp


def is_sample() -> bool:
    """True when the data are sample data (the report says so)."""
    return bool(report().get("sample_data", True))


def schematic_layers() -> list[str]:
    """The geometry layers whose precision is ``schematic`` (or coarse)."""
    return _schematic_layers(_token())


@st.cache_data(show_spinner=False, max_entries=4)
def _schematic_layers(token: str) -> list[str]:
    out = []
    for name in ("streets", "zones"):
        frame = layer(name)
        if "precision" in frame and frame["precision"].isin(["schematic", "coarse"]).any():
            out.append(name)
    return out


# ---------------------------------------------------------------- what pages show
_RATE_POLICIES: dict[str, queries.HotlineRate] = {}   # build token -> its policy (a page formats hundreds of values)


def rate_policy() -> queries.HotlineRate:
    """Per 10,000 residents or per km² (one answer for every page and every scope)."""
    token = _token()
    policy = _RATE_POLICIES.get(token)
    if policy is None:
        if len(_RATE_POLICIES) > 8:   # older builds
            _RATE_POLICIES.clear()
        policy = _RATE_POLICIES[token] = queries.HotlineRate.from_street_stats(_table("street_stats", token))
    return policy


def zones_table() -> pd.DataFrame:
    """:func:`dashboard.store.queries.zone_table` of this build: the zones in the viewer's scope."""
    table = queries.zone_table(layer("zones"), zone_stats(), rate_policy())
    scope = current_scope()
    return table if scope.whole else table[[scope.allows_zone(z) for z in table.index]]


def streets_table() -> pd.DataFrame:
    """:func:`dashboard.store.queries.street_table` of this build: the streets in the viewer's scope."""
    table = queries.street_table(layer("streets"), street_stats(), rate_policy())
    scope = current_scope()
    return table if scope.whole else table[[scope.allows_street(s) for s in table.index]]


def district_totals() -> dict[str, float]:
    """:func:`dashboard.store.queries.district_totals` of this build: the whole district's, for
    every viewer (a scoped one sees them as the "全区" context of their own area's figures)."""
    return queries.district_totals(_table("street_stats", _token()), rate_policy())


def zone_frame(zone_id: str, name: str) -> gpd.GeoDataFrame:
    """The rows of point layer ``name`` inside zone ``zone_id``, selected by the store (SQL
    through the ``zone_members`` index): a zone page never reads the whole layer."""
    if name not in POINT_LAYERS:
        raise ValueError(f"{name!r} is not a point layer; expected one of {', '.join(POINT_LAYERS)}")
    return _rows(scoped(RowFilter(name, zones=(zone_id,))), current_viewer().personal, _token())


def rows(flt: RowFilter) -> gpd.GeoDataFrame:
    """The rows of one point layer that ``flt`` selects (SQL in the store), as the viewer may see them."""
    return _rows(scoped(flt), current_viewer().personal, _token())


@st.cache_resource(show_spinner="正在读取数据 Reading data…", max_entries=24)
def _rows(flt: RowFilter, personal: str, token: str) -> gpd.GeoDataFrame:
    frame = _guarded(token, f"图层 {flt.layer} 读取失败 (layer could not be read)", lambda: _layer_or_empty(
        flt.layer, lambda: _store().read(flt.layer, rows=flt), lambda: empty_layer(flt.layer)))
    return for_viewer(frame, flt.layer, personal)


def preview(flt: RowFilter, n: int = 200) -> gpd.GeoDataFrame:
    """The first ``n`` rows ``flt`` selects (one chunk from the store), as the viewer may see them."""
    return _preview(scoped(flt), n, current_viewer().personal, _token())


@st.cache_resource(show_spinner=False, max_entries=16)
def _preview(flt: RowFilter, n: int, personal: str, token: str) -> gpd.GeoDataFrame:
    def first_chunk() -> gpd.GeoDataFrame:
        frame = next(iter(_store().read_chunks(flt.layer, flt, chunk_rows=n)), None)
        return empty_layer(flt.layer) if frame is None else frame.head(n)

    frame = _guarded(token, f"图层 {flt.layer} 读取失败 (layer could not be read)",
                     lambda: _layer_or_empty(flt.layer, first_chunk, lambda: empty_layer(flt.layer)))
    return for_viewer(frame, flt.layer, personal)


def count(flt: RowFilter) -> int:
    """How many rows ``flt`` selects within the viewer's scope (counted by the store)."""
    return _count(scoped(flt), _token())


@st.cache_data(show_spinner=False, max_entries=64)
def _count(flt: RowFilter, token: str) -> int:
    return _guarded(token, f"图层 {flt.layer} 计数失败 (rows could not be counted)",
                    lambda: _layer_or_empty(flt.layer, lambda: _store().count(flt.layer, flt), lambda: 0))


def street_counts(name: str, zone_id: str | None = None) -> pd.Series:
    """Located rows of a point layer per street (in one zone, or all), counted by the store:
    what a zone map's street shading needs, without the rows."""
    return _street_counts(scoped(RowFilter(name, zones=(zone_id,) if zone_id else (), located_only=True)), _token())


@st.cache_data(show_spinner=False, max_entries=64)
def _street_counts(flt: RowFilter, token: str) -> pd.Series:
    return _guarded(token, f"图层 {flt.layer} 统计失败 (rows could not be counted)", lambda: _layer_or_empty(
        flt.layer, lambda: _store().count_by(flt.layer, STREET, flt), lambda: pd.Series(dtype="int64")))


def store_target() -> str:
    """The store this process serves (a path or URL, with its password; never shown)."""
    return store_choice().target


def stats_layer(name: str) -> gpd.GeoDataFrame:
    """``zone_stats`` or ``street_stats`` on their polygons: the indicators as a layer an analyst
    can colour in QGIS, with the very figures the pages show."""
    if name == "zone_stats":
        polygons = layer("zones")[["zone_id", "name", "geometry"]]
        return polygons.merge(zone_stats(), on="zone_id", how="left")
    if name == "street_stats":
        polygons = layer("streets")[["name", "geometry"]].rename(columns={"name": "street"})
        return polygons.merge(street_stats(), on="street", how="left")
    if name == "street_ranking":   # one row per month and street, each on its street's polygon
        polygons = layer("streets")[["name", "geometry"]].rename(columns={"name": "street"})
        ranking = street_ranking()
        if ranking.empty:
            return gpd.GeoDataFrame(polygons.iloc[:0])
        return gpd.GeoDataFrame(ranking.merge(polygons, on="street", how="left"), geometry="geometry",
                                crs=polygons.crs).sort_values(["month", "group", "rank"])
    raise ValueError(f"{name!r} is not a stats layer; expected zone_stats, street_stats or street_ranking")


def brief_source() -> tuple:
    """What a PDF brief draws, read through this door (cached, this run's build):
    ``dashboard.briefing.pdf.assemble``'s arguments in order."""
    # street_stats only make the district's totals there (the cover's 全区 context), so they are
    # the whole district's; everything drawn per area is the viewer's scope.
    return (layer("zones"), layer("streets"), zone_stats(), _table("street_stats", _token()), layer("projects"),
            members("projects"), report(), hotline_monthly(), stats_history())


# ---------------------------------------------------------------- change over time
@st.cache_data(show_spinner=False, max_entries=8)
def _optional(name: str, token: str) -> pd.DataFrame:
    """A table that older builds did not write (``stats_history``, ``street_ranking``, ``alerts``):
    empty when the store has none, so pages say "no history yet" instead of failing."""
    if name not in _guarded(token, f"{name} 读取失败 (could not be read)", lambda: _store().layers()):
        return pd.DataFrame()
    return _table(name, token)


def stats_history() -> pd.DataFrame:
    """Every build's zone and street figures (``as_of``, ``level``, ``key`` + the stats columns), in scope."""
    return current_scope().area_rows(_optional("stats_history", _token()))


def street_ranking() -> pd.DataFrame:
    """The monthly 接诉即办 ranking of the streets and towns (one row per month and street in
    scope; a scoped street keeps its rank among all streets)."""
    return current_scope().street_rows(_optional("street_ranking", _token()))


def alerts() -> pd.DataFrame:
    """The warnings the build found (rule, level, key, period, value, baseline, severity,
    messages) about areas, and projects, in the viewer's scope."""
    return _areas_and_points_in_scope(_optional("alerts", _token()), "project", "projects")


def _areas_and_points_in_scope(frame: pd.DataFrame, point_level: str, point_layer: str) -> pd.DataFrame:
    """Rows keyed by (level, key) in the viewer's scope: area rows by their area, and rows of
    ``point_level`` (a project's warning, a station's needs) when that point of ``point_layer``
    is in scope."""
    scope = current_scope()
    if scope.whole or frame.empty:
        return frame
    points = frame["level"].astype(str) == point_level
    in_scope = set(layer(point_layer)[RECORD_ID[point_layer]].astype(str))
    return pd.concat([scope.area_rows(frame[~points]),
                      frame[points & frame["key"].astype(str).isin(in_scope)]]).sort_index()


def as_of() -> str | None:
    """The build's date (``--as-of``; else the day it was built, Beijing time), ``YYYY-MM-DD``."""
    rep = report()
    if rep.get("as_of"):
        return str(rep["as_of"])[:10]
    stamp = built_at()
    return stamp.strftime("%Y-%m-%d") if stamp is not None else None
