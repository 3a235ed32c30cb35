"""Coordinate systems: one storage CRS, one metric CRS, and China's offset systems.

GCJ-02 ("Mars coordinates", used by Amap/Gaode and Tencent) and BD-09 (Baidu) are
not datums that PROJ knows: they are published obfuscation formulas applied on top
of WGS84. They are implemented here, vectorised with NumPy, and tested against
known positions (``tests/geodata/test_crs.py``). CGCS2000 (EPSG:4490) differs from
WGS84 by a few centimetres, far below the precision of any record here; it and any
other EPSG code go through pyproj.
"""
from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer

STORAGE_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:32650"  # UTM zone 50N covers all of Beijing (114°E–120°E)

COORD_SYSTEMS: dict[str, str] = {
    "wgs84": "WGS84 (GPS, EPSG:4326)",
    "gcj02": "GCJ-02 (高德/腾讯)",
    "bd09": "BD-09 (百度)",
    "cgcs2000": "CGCS2000 (EPSG:4490)",
}

COORD_SYS_ALIASES: dict[str, str] = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "wgs 84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84",
    "gps": "wgs84", "地球坐标": "wgs84", "地球坐标系": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "火星坐标": "gcj02", "火星坐标系": "gcj02",
    "高德": "gcj02", "amap": "gcj02", "gaode": "gcj02", "腾讯": "gcj02", "国测局": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09", "百度": "bd09", "baidu": "bd09", "百度坐标": "bd09",
    "cgcs2000": "cgcs2000", "cgcs-2000": "cgcs2000", "epsg:4490": "cgcs2000", "4490": "cgcs2000",
    "国家2000": "cgcs2000", "2000坐标系": "cgcs2000", "2000国家大地坐标系": "cgcs2000",
}

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _delta(lon, lat)
    outside = _out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, iterations: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`wgs84_to_gcj02` by fixed-point iteration (error < 1 cm after 3 rounds)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(iterations):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, float) - 0.0065, np.asarray(lat, float) - 0.006
    z = np.sqrt(lon * lon + lat * lat) - 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) - 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _cgcs2000_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    transformer = Transformer.from_crs("EPSG:4490", STORAGE_CRS, always_xy=True)
    return transformer.transform(np.asarray(lon, float), np.asarray(lat, float))


_TO_WGS84 = {
    "wgs84": lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float)),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
    "cgcs2000": _cgcs2000_to_wgs84,
}


def normalise_coord_sys(value: object) -> str | None:
    """Map a written coordinate-system name to one of :data:`COORD_SYSTEMS`, else None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return COORD_SYS_ALIASES.get(str(value).strip().lower().replace("（", "(").split("(")[0].strip())


def to_wgs84(lon: np.ndarray, lat: np.ndarray, systems: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of positions, each in its own system (``systems``), to WGS84."""
    lon, lat = np.asarray(lon, float).copy(), np.asarray(lat, float).copy()
    systems = np.asarray(systems, dtype=object)
    for name, convert in _TO_WGS84.items():
        mask = systems == name
        if mask.any() and name != "wgs84":
            lon[mask], lat[mask] = convert(lon[mask], lat[mask])
    return lon, lat


def from_wgs84(lon: np.ndarray, lat: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 positions to ``system`` (for GCJ-02 exports and Amap basemaps)."""
    if system == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if system == "bd09":
        return wgs84_to_bd09(lon, lat)
    return np.asarray(lon, float), np.asarray(lat, float)


def check_crs(crs: object, what: str) -> CRS:
    """A CRS object for a file's declared CRS, or a ValueError saying how to fix it."""
    if crs is None:
        raise ValueError(f"{what} 未声明坐标系 (no CRS declared). 请在文件中声明坐标系，"
                         "例如 EPSG:4490 (CGCS2000)、EPSG:4527 或 EPSG:4326")
    return CRS.from_user_input(crs)
