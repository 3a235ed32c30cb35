"""The one cached door to the store: pages call these, never the loaders directly.

Layers are read once per build (``st.cache_resource``: shared, never mutated — every
query returns a new frame); small derived tables are cached with ``st.cache_data``.
Personal columns are dropped here, at the door, for viewers who may not see them.

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

from dashboard import queries
from dashboard.access import StoreChoice, choose_store, current_viewer, hidden_columns
from dashboard.config import DashboardError, Settings, load_settings
from loaders.build import ensure_sample_store
from loaders.errors import BuildError
from loaders.schema import POINT_LAYERS, STORE_COLUMNS
from loaders.store import default_store_path, open_store

# What a store can raise when its file or server fails: shown as the store message, never a
# traceback. pyogrio's errors are RuntimeErrors; SQLAlchemy's (a server gone) have their own base.
STORE_ERRORS: tuple[type[BaseException], ...] = (BuildError, OSError, ValueError, DataSourceError,
                                                  DataLayerError, SQLAlchemyError)


class StoreUnavailable(DashboardError):
    """The store cannot be opened or read."""


class StoreChanged(Exception):
    """A new build was swapped in while this page run was reading: run the page again."""


BUILD_TOKEN_KEY = "_build_token"  # session state: the build this page run reads


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The validated settings of this process."""
    return load_settings()


@st.cache_resource(show_spinner="正在准备数据 Preparing data…")
def store_choice() -> StoreChoice:
    """The store this process serves; builds the bundled sample on first start."""
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
    st.session_state[BUILD_TOKEN_KEY] = token
    return token


def _token() -> str:
    """The build pinned for this page run (checked now when a page runs outside :func:`begin_run`)."""
    token = st.session_state.get(BUILD_TOKEN_KEY)
    return token if token is not None else begin_run()


def _check_unchanged(token: str) -> None:
    if _current_token() != token:
        raise StoreChanged(token)


def _drop_build_caches() -> None:
    for cached in (_layer, _report, _schematic_layers, _zone_summary, _street_summary, _district_totals):
        cached.clear()


_NUMERIC = {"investment_total", "registered_capital", "population", "area_km2", "lon", "lat", "source_row"}
_BOOLEAN = {"service_package", "responded", "resolved", "satisfied", "zone_declared_mismatch"}
_DATES = {"start_date", "completion_date", "established", "received_at"}


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """A layer with no rows but every store column, for optional layers a build left out."""
    columns = {}
    for column in STORE_COLUMNS[name]:
        dtype = ("float64" if column in _NUMERIC else "boolean" if column in _BOOLEAN
                 else "datetime64[ms]" if column in _DATES else "string")
        columns[column] = pd.Series([], dtype=dtype)
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


@st.cache_resource(show_spinner="正在读取数据 Reading data…", max_entries=32)
def _layer(name: str, include_personal: bool, token: str) -> gpd.GeoDataFrame:
    try:
        store = _store()
        # Point layers are optional in a build: a missing one is shown as empty, not as an error.
        frame = store.read(name) if name in store.layers() else empty_layer(name)
    except STORE_ERRORS as exc:
        _check_unchanged(token)  # a layer that vanished mid-swap is a new build, not a broken store
        raise StoreUnavailable(f"图层 {name} 读取失败 (layer could not be read): {exc}") from exc
    _check_unchanged(token)  # raised, not cached: the rows may be the next build's
    if not include_personal:
        frame = frame.drop(columns=[c for c in hidden_columns(name, current_viewer()) if c in frame.columns])
    return frame


def layer(name: str) -> gpd.GeoDataFrame:
    """One store layer as the current viewer may see it (shared: do not mutate)."""
    if name not in STORE_COLUMNS:
        raise ValueError(f"unknown layer {name!r}; expected one of {', '.join(STORE_COLUMNS)}")
    return _layer(name, current_viewer().can_see_personal_data(), _token())


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
    return _report(_token())


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


def zone_summary() -> pd.DataFrame:
    """:func:`dashboard.queries.summarise_zones` over the whole store."""
    return _zone_summary(_token())


@st.cache_data(show_spinner=False, max_entries=4)
def _zone_summary(token: str) -> pd.DataFrame:
    return queries.summarise_zones(layer("zones"), layer("streets"), layer("projects"),
                                   layer("enterprises"), layer("stations"), layer("hotline"))


def street_summary() -> pd.DataFrame:
    """:func:`dashboard.queries.summarise_streets` over the whole store."""
    return _street_summary(_token())


@st.cache_data(show_spinner=False, max_entries=4)
def _street_summary(token: str) -> pd.DataFrame:
    return queries.summarise_streets(layer("streets"), layer("projects"), layer("enterprises"),
                                     layer("stations"), layer("hotline"))


def district_totals() -> dict[str, float]:
    """:func:`dashboard.queries.district_totals` over the whole store."""
    return _district_totals(_token())


@st.cache_data(show_spinner=False, max_entries=4)
def _district_totals(token: str) -> dict[str, float]:
    return queries.district_totals(layer("streets"), layer("projects"), layer("enterprises"),
                                   layer("stations"), layer("hotline"))


def hotline_rate_unit() -> str:
    """``per_10k`` or ``per_km2`` (see :func:`dashboard.queries.hotline_rate_unit`)."""
    return queries.hotline_rate_unit(layer("streets"))


def zone_frame(zone_id: str, name: str) -> gpd.GeoDataFrame:
    """The rows of point layer ``name`` inside zone ``zone_id``."""
    if name not in POINT_LAYERS:
        raise ValueError(f"{name!r} is not a point layer; expected one of {', '.join(POINT_LAYERS)}")
    frame = layer(name)
    return frame[queries.zone_mask(frame, zone_id)]
