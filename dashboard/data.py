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

import geopandas as gpd
import pandas as pd
import streamlit as st
from pyogrio.errors import DataLayerError, DataSourceError
from sqlalchemy.exc import SQLAlchemyError

from dashboard import queries, state
from dashboard.access import StoreChoice, choose_store, current_viewer, for_viewer, mask_rejects
from dashboard.config import DashboardError, Settings, load_settings
from loaders.build import ensure_sample_store
from loaders.errors import BuildError
from loaders.schema import POINT_LAYERS, RECORD_ID, STORE_COLUMNS, empty_layer
from loaders.store import default_store_path, open_store

# What a store can raise when its file or server fails: shown as the store message, never a
# traceback. pyogrio's errors are RuntimeErrors; SQLAlchemy's (a server gone) have their own base.
STORE_ERRORS: tuple[type[BaseException], ...] = (BuildError, OSError, ValueError, DataSourceError,
                                                  DataLayerError, SQLAlchemyError)


class StoreUnavailable(DashboardError):
    """The store cannot be opened or read."""


class StoreChanged(Exception):
    """A new build was swapped in while this page run was reading: run the page again."""


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The validated settings of this process."""
    return load_settings()


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
    token = _current_token()
    if _last_token.get("token") not in (None, token):
        _drop_build_caches()
    _last_token["token"] = token
    st.session_state[state.BUILD_TOKEN] = token
    return token


def _token() -> str:
    """The build pinned for this page run (checked now when a page runs outside :func:`begin_run`)."""
    token = st.session_state.get(state.BUILD_TOKEN)
    return token if token is not None else begin_run()


def _check_unchanged(token: str) -> None:
    if _current_token() != token:
        raise StoreChanged(token)


def _drop_build_caches() -> None:
    for cached in (_layer, _table, _members, _report, _schematic_layers):
        cached.clear()


# ---------------------------------------------------------------- layers and tables
@st.cache_resource(show_spinner="正在读取数据 Reading data…", max_entries=32)
def _layer(name: str, personal: str, token: str) -> gpd.GeoDataFrame:
    try:
        store = _store()
        # Point layers are optional in a build: a missing one is shown as empty, not as an error.
        frame = store.read(name) if name in store.layers() else empty_layer(name)
    except STORE_ERRORS as exc:
        _check_unchanged(token)  # a layer that vanished mid-swap is a new build, not a broken store
        raise StoreUnavailable(f"图层 {name} 读取失败 (layer could not be read): {exc}") from exc
    _check_unchanged(token)  # raised, not cached: the rows may be the next build's
    # personal: "full", "masked" or "omitted" (dashboard.access.Viewer.personal); one cache entry each.
    frame = for_viewer(frame, name, personal)
    return frame


def layer(name: str) -> gpd.GeoDataFrame:
    """One store layer as the current viewer may see it (shared: do not mutate)."""
    if name not in STORE_COLUMNS:
        raise ValueError(f"unknown layer {name!r}; expected one of {', '.join(STORE_COLUMNS)}")
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


def zone_stats() -> pd.DataFrame:
    """The build's ``zone_stats`` (one row per zone; see :mod:`loaders.indicators`)."""
    return _table("zone_stats", _token())


def street_stats() -> pd.DataFrame:
    """The build's ``street_stats`` (one row per street)."""
    return _table("street_stats", _token())


def hotline_monthly() -> pd.DataFrame:
    """The build's ``hotline_monthly`` (cases and rate counts per area, month and category)."""
    return _table("hotline_monthly", _token())


@st.cache_resource(show_spinner=False, max_entries=16)
def _members(layer_name: str, token: str) -> pd.DataFrame:
    try:
        frame = _store().read_members(layer_name)
    except STORE_ERRORS as exc:
        _check_unchanged(token)
        raise StoreUnavailable(f"zone_members 读取失败 (zone membership could not be read): {exc}") from exc
    _check_unchanged(token)
    return frame.assign(record_id=frame["record_id"].astype(str))


def members(layer_name: str) -> pd.DataFrame:
    """The zone membership link rows (record_id, zone_id) of one point layer."""
    if layer_name not in POINT_LAYERS:
        raise ValueError(f"{layer_name!r} is not a point layer; expected one of {', '.join(POINT_LAYERS)}")
    return _members(layer_name, _token())


@st.cache_data(show_spinner=False, max_entries=4)
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
def rate_policy() -> queries.HotlineRate:
    """Per 10,000 residents or per km² (one answer for every page)."""
    return queries.HotlineRate.from_street_stats(street_stats())


def zones_table() -> pd.DataFrame:
    """:func:`dashboard.queries.zone_table` of this build."""
    return queries.zone_table(layer("zones"), zone_stats(), rate_policy())


def streets_table() -> pd.DataFrame:
    """:func:`dashboard.queries.street_table` of this build."""
    return queries.street_table(layer("streets"), street_stats(), rate_policy())


def district_totals() -> dict[str, float]:
    """:func:`dashboard.queries.district_totals` of this build."""
    return queries.district_totals(street_stats(), rate_policy())


def zone_frame(zone_id: str, name: str) -> gpd.GeoDataFrame:
    """The rows of point layer ``name`` inside zone ``zone_id`` (through the link table)."""
    frame = layer(name)
    return frame[queries.in_zones(frame, RECORD_ID[name], members(name), (zone_id,))]



def stats_layer(name: str) -> gpd.GeoDataFrame:
    """``zone_stats`` or ``street_stats`` on their polygons: the indicators as a layer an analyst
    can colour in QGIS, with the very figures the pages show."""
    if name == "zone_stats":
        polygons = layer("zones")[["zone_id", "name", "geometry"]]
        return polygons.merge(zone_stats(), on="zone_id", how="left")
    if name == "street_stats":
        polygons = layer("streets")[["name", "geometry"]].rename(columns={"name": "street"})
        return polygons.merge(street_stats(), on="street", how="left")
    raise ValueError(f"{name!r} is not a stats layer; expected zone_stats or street_stats")
