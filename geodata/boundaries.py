"""The bundled district outline, township (街镇) polygons and "4+4" zones of Fengtai.

The geometry lives in ``geodata/files/`` (GeoJSON, EPSG:4326) with its provenance in
``geodata/files/provenance.json``; ``python -m geodata.make_schematic`` regenerates it.
The street and zone polygons are *schematic* (示意): drawn by this project, not official
boundaries. Official files replace them at build time (``streets.*`` / ``zones.*`` in the
build source folder, see ``geodata/README.md``).

Pure functions only: nothing here imports streamlit, folium or the loaders.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd

from geodata.crs import STORAGE_CRS
from geodata.names import normalise_text

FILES_DIR: Path = Path(__file__).resolve().parent / "files"
DISTRICT_FILE: Path = FILES_DIR / "district.geojson"
STREETS_FILE: Path = FILES_DIR / "streets.geojson"
ZONES_FILE: Path = FILES_DIR / "zones.geojson"
PROVENANCE_FILE: Path = FILES_DIR / "provenance.json"

# The attribute columns of the bundled files, as ``make_schematic`` writes them. The loaders
# declare the store's columns themselves (``loaders.schema``); reading, this module returns
# what the files hold.
STREET_COLUMNS: tuple[str, ...] = ("name", "code", "name_en", "kind", "aliases", "population",
                                   "area_km2", "precision", "source")
ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "name", "name_en", "kind", "area_km2", "precision",
                                 "source")

# The "4+4" industry–city ecosystem: four key functional areas, four functional clusters.
# ``aliases`` are the spellings agencies use besides zone_id, name and name_en.
ZONES: dict[str, dict[str, Any]] = {
    "nanzhongzhou": {
        "name": "南中轴地区", "name_en": "South Central Axis Area", "kind": "key_area", "order": 1,
        "color": "#d62728",
        "description": "大红门至南苑（原南苑机场、南苑森林湿地公园）一带，文化与国际交往功能。",
        "description_en": "Dahongmen to Nanyuan (former Nanyuan airport, Nanyuan Forest "
                          "Wetland Park): culture and international exchange.",
        "aliases": ("南中轴", "南中轴地区", "南中轴区域", "南中轴功能区", "南中轴重点功能区",
                    "south central axis", "south axis"),
    },
    "xishan_yongding": {
        "name": "西山永定河文化精华区", "name_en": "Xishan–Yongding River Cultural Area",
        "kind": "key_area", "order": 2, "color": "#2ca02c",
        "description": "卢沟桥、宛平城、长辛店老镇、园博园一带，文化和旅游功能。",
        "description_en": "Lugou Bridge, Wanping fortress, Changxindian old town and the "
                          "Garden Expo park: culture and tourism.",
        "aliases": ("西山永定河", "西山永定河文化带", "西山永定河文化精华区", "永定河文化精华区",
                    "西山永定河文化区", "xishan-yongding river cultural area",
                    "xishan yongding river cultural area", "xishan yongding"),
    },
    "lize": {
        "name": "丽泽金融商务区", "name_en": "Lize Financial Business District", "kind": "key_area",
        "order": 3, "color": "#1f77b4",
        "description": "西二环与西三环之间丽泽路沿线，约8平方公里，金融、数字金融和总部经济。",
        "description_en": "Along Lize Road between the West 2nd and 3rd Ring Roads, about "
                          "8 km²: finance, digital finance, headquarters.",
        "aliases": ("丽泽", "丽泽商务区", "丽泽金融商务区", "丽泽金融区", "丽泽金融商务区管委会",
                    "lize financial business district", "lize business district", "lize fbd"),
    },
    "zgc_fengtai": {
        "name": "中关村丰台园", "name_en": "Zhongguancun Fengtai Science Park", "kind": "key_area",
        "order": 4, "color": "#9467bd",
        "description": "东区（总部基地、科技园东区）与西区（长辛店一带），轨道交通、航空航天、"
                       "智能医工、低空技术。",
        "description_en": "East part (Headquarters Base) and west part (near Changxindian): "
                          "rail transit, aerospace, smart medical engineering, low-altitude "
                          "technology.",
        "aliases": ("中关村丰台园", "中关村丰台园区", "中关村科技园区丰台园", "丰台科技园",
                    "丰台科技园区", "丰台园", "中关村丰台科技园", "zhongguancun fengtai park",
                    "fengtai science park", "zgc fengtai"),
    },
    "hexi": {
        "name": "河西地区", "name_en": "Hexi Area", "kind": "cluster", "order": 5,
        "color": "#8c564b",
        "description": "永定河以西：长辛店街道、云岗街道、王佐镇、北宫镇。",
        "description_en": "West of the Yongding River: Changxindian, Yungang, Wangzuo and "
                          "Beigong.",
        "aliases": ("河西", "河西地区", "河西组团", "河西地区组团", "永定河以西", "hexi area"),
    },
    "fengtai_station": {
        "name": "北京丰台站地区", "name_en": "Beijing Fengtai Railway Station Area",
        "kind": "cluster", "order": 6, "color": "#ff7f0e",
        "description": "北京丰台站及周边，交通枢纽和站城融合。",
        "description_en": "Beijing Fengtai railway station and its surroundings: transport hub.",
        "aliases": ("丰台站", "丰台站地区", "北京丰台站", "北京丰台站地区", "丰台火车站",
                    "丰台站组团", "fengtai station", "fengtai railway station",
                    "beijing fengtai station"),
    },
    "wulidian": {
        "name": "五里店地区", "name_en": "Wulidian Area", "kind": "cluster", "order": 7,
        "color": "#17becf",
        "description": "五里店一带，城市更新和产业承接。",
        "description_en": "Around Wulidian: urban renewal and new industry.",
        "aliases": ("五里店", "五里店地区", "五里店组团", "wulidian area"),
    },
    "xinfadi": {
        "name": "新发地地区", "name_en": "Xinfadi Area", "kind": "cluster", "order": 8,
        "color": "#bcbd22",
        "description": "新发地农产品批发市场及周边，商贸物流。",
        "description_en": "Xinfadi wholesale market and its surroundings: trade and logistics.",
        "aliases": ("新发地", "新发地地区", "新发地市场", "新发地组团", "新发地农产品批发市场",
                    "xinfadi area", "xinfadi market"),
    },
}


def _alias_key(value: str) -> str:
    return normalise_text(value).lower()


def zone_alias_table() -> dict[str, str]:
    """Every accepted spelling of a zone (normalised, lower-case) -> its zone_id.

    Covers the zone_id, the Chinese name, the English name (lower-cased) and the short
    forms in ``ZONES[...]["aliases"]``. Keys are normalised with
    ``geodata.names.normalise_text`` and lower-cased; normalise a value the same way
    before looking it up.
    """
    table: dict[str, str] = {}
    for zone_id, zone in ZONES.items():
        for alias in (zone_id, zone["name"], zone["name_en"], *zone["aliases"]):
            key = _alias_key(alias)
            if key in table and table[key] != zone_id:
                raise ValueError(f"zone alias {alias!r} names both {table[key]!r} and {zone_id!r}")
            table[key] = zone_id
    return table


@lru_cache(maxsize=None)
def _read_district() -> gpd.GeoDataFrame:
    return gpd.read_file(DISTRICT_FILE).to_crs(STORAGE_CRS)


@lru_cache(maxsize=None)
def _read_streets() -> gpd.GeoDataFrame:
    frame = gpd.read_file(STREETS_FILE).to_crs(STORAGE_CRS)
    frame["code"] = frame["code"].astype(str)
    frame["population"] = frame["population"].astype("float64")
    frame["area_km2"] = frame["area_km2"].astype("float64")
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


@lru_cache(maxsize=None)
def _read_zones() -> gpd.GeoDataFrame:
    frame = gpd.read_file(ZONES_FILE).to_crs(STORAGE_CRS)
    frame["area_km2"] = frame["area_km2"].astype("float64")
    order = {zone_id: zone["order"] for zone_id, zone in ZONES.items()}
    frame = frame.assign(_order=frame["zone_id"].map(order)).sort_values("_order", kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


@lru_cache(maxsize=None)
def _read_provenance_text() -> str:
    return PROVENANCE_FILE.read_text(encoding="utf-8")


def load_district() -> gpd.GeoDataFrame:
    """The district outline: one row (``name``, ``adcode``, ``precision``), EPSG:4326."""
    return _read_district().copy()


def load_streets() -> gpd.GeoDataFrame:
    """The 26 township-level units, schematic, EPSG:4326, ordered by code.

    Columns (what the file holds, :data:`STREET_COLUMNS`): ``name`` (canonical, e.g.
    右安门街道), ``code`` (12-digit string), ``name_en``, ``kind`` (街道/镇), ``aliases``
    ("|"-joined), ``population`` (null: no reliable figure per unit is bundled),
    ``area_km2``, ``precision``, ``source``, ``geometry``.
    """
    return _read_streets().copy()


def load_zones() -> gpd.GeoDataFrame:
    """The eight "4+4" zones, schematic, EPSG:4326, in ``ZONES`` order.

    Columns (what the file holds, :data:`ZONE_COLUMNS`): ``zone_id``, ``name``,
    ``name_en``, ``kind`` (key_area/cluster), ``area_km2``, ``precision``, ``source``,
    ``geometry``. Zones may overlap.
    """
    return _read_zones().copy()


def load_provenance() -> dict[str, Any]:
    """Provenance of the bundled layers: ``{"district": {...}, "streets": {...}, "zones": {...}}``."""
    return json.loads(_read_provenance_text())

