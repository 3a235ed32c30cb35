"""The one cached door to the store: pages call these, never the loaders directly.

Layers are read once per process (``st.cache_resource``: shared, never mutated — every
query returns a new frame); small derived tables are cached with ``st.cache_data``.
Personal columns are dropped here, at the door, for viewers who may not see them.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.access import StoreChoice, choose_store, current_viewer, hidden_columns
from dashboard.config import DashboardError, Settings, load_settings
from loaders.build import ensure_sample_store
from loaders.errors import BuildError
from loaders.schema import POINT_LAYERS, STORE_COLUMNS
from loaders.store import default_store_path, open_store


class StoreUnavailable(DashboardError):
    """The store cannot be opened or read."""


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


@st.cache_resource(show_spinner="正在读取数据 Reading data…")
def _layer(name: str, include_personal: bool) -> gpd.GeoDataFrame:
    try:
        store = _store()
        # Point layers are optional in a build: a missing one is shown as empty, not as an error.
        frame = store.read(name) if name in store.layers() else empty_layer(name)
    except (BuildError, OSError, ValueError) as exc:
        raise StoreUnavailable(f"图层 {name} 读取失败 (layer could not be read): {exc}") from exc
    if not include_personal:
        frame = frame.drop(columns=[c for c in hidden_columns(name, current_viewer()) if c in frame.columns])
    return frame


def layer(name: str) -> gpd.GeoDataFrame:
    """One store layer as the current viewer may see it (shared: do not mutate)."""
    if name not in STORE_COLUMNS:
        raise ValueError(f"unknown layer {name!r}; expected one of {', '.join(STORE_COLUMNS)}")
    return _layer(name, current_viewer().can_see_personal_data())


@st.cache_data(show_spinner=False)
def report() -> dict:
    """The build report stored with the data (empty dict when there is none)."""
    try:
        return _store().read_report()
    except (BuildError, OSError, ValueError, KeyError, IndexError):
        return {}


def is_sample() -> bool:
    """True when the data are sample data (the report says so)."""
    return bool(report().get("sample_data", True))


@st.cache_data(show_spinner=False)
def schematic_layers() -> list[str]:
    """The geometry layers whose precision is ``schematic`` (or coarse)."""
    out = []
    for name in ("streets", "zones"):
        frame = layer(name)
        if "precision" in frame and frame["precision"].isin(["schematic", "coarse"]).any():
            out.append(name)
    return out


@st.cache_data(show_spinner=False)
def zone_summary() -> pd.DataFrame:
    """:func:`dashboard.queries.summarise_zones` over the whole store."""
    return queries.summarise_zones(layer("zones"), layer("streets"), layer("projects"),
                                   layer("enterprises"), layer("stations"), layer("hotline"))


@st.cache_data(show_spinner=False)
def street_summary() -> pd.DataFrame:
    """:func:`dashboard.queries.summarise_streets` over the whole store."""
    return queries.summarise_streets(layer("streets"), layer("projects"), layer("enterprises"),
                                     layer("stations"), layer("hotline"))


@st.cache_data(show_spinner=False)
def district_totals() -> dict[str, float]:
    """:func:`dashboard.queries.district_totals` over the whole store."""
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
