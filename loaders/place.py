"""Coordinates -> WGS84 points -> street and zones; records without coordinates by street.

All spatial work is vectorised: coordinate conversion in NumPy, point-in-polygon by prepared
polygons tested on the coordinates in their boxes (``membership.points_in_polygons``), and
nearest-street through shapely's STRtree (``GeoSeries.sindex``), no per-row loops.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS, STORAGE_CRS, to_wgs84
from geodata.names import ALIASES, SPLIT_OLD_NAMES, normalise_text, resolve_street
from loaders.membership import in_zone, point_zone_links, points_in_polygons, zone_ids_text, zone_names
from loaders.report import Problems, Warning, row_warnings
from loaders.schema import LAT, LON, PLACEMENT, SOURCE_ROW, STREET, ZONE_DECLARED, ZONE_IDS, ZONE_MISMATCH

SNAP_DISTANCE_M = 100.0
# Loose bounds of China: anything outside is a typo, not a place.
_LON_RANGE, _LAT_RANGE = (73.0, 136.0), (3.0, 54.0)


@dataclass
class PlaceResult:
    frame: gpd.GeoDataFrame
    rejects: pd.DataFrame
    warnings: list[Warning]
    links: pd.DataFrame   # zone membership: ``row`` (label of ``frame``), ``zone_id``


@dataclass(frozen=True)
class Boundaries:
    """The geometry a build places points in (bundled or official), in EPSG:4326."""
    streets: gpd.GeoDataFrame  # needs name, geometry
    zones: gpd.GeoDataFrame    # needs zone_id, name, geometry
    zone_aliases: dict[str, str]

    @property
    def outline(self) -> shapely.Geometry:
        return shapely.union_all(self.streets.geometry.to_numpy())


@dataclass
class _Placing:
    """One layer being placed: the input rows and what the steps have found so far, per row
    (indexed like ``frame``). Each step reads what earlier ones filled and adds its part."""
    layer: str
    file: str
    frame: pd.DataFrame
    problems: Problems
    warnings: list[Warning]
    lon: pd.Series                 # as written, then swapped back where needed; then WGS84
    lat: pd.Series
    has_xy: pd.Series              # both coordinates given and plausible
    points: gpd.GeoSeries          # WGS84 point, None without coordinates
    street: pd.Series              # canonical street (from the point, else from the name)
    placement: pd.Series           # see schema.PLACEMENTS

    @classmethod
    def start(cls, layer: str, file: str, frame: pd.DataFrame) -> _Placing:
        index = frame.index
        return cls(layer, file, frame, Problems(index), [], _numbers(frame, LON), _numbers(frame, LAT),
                   pd.Series(False, index=index), gpd.GeoSeries([None] * len(index), index=index, crs=STORAGE_CRS),
                   pd.Series(None, index=index, dtype=object), pd.Series(None, index=index, dtype=object))

    def warn(self, mask: pd.Series, column: str, values: pd.Series, message: str, message_en: str,
             kind: str) -> None:
        """Warnings for the rows of ``mask``; ``values`` (indexed like ``frame``) shows each row's value;
        ``message`` in Chinese, ``message_en`` in English."""
        self.warnings += row_warnings(self.layer, self.file, self.frame.loc[mask, SOURCE_ROW], column,
                                      values[mask], message, message_en, kind)


def place_layer(layer: str, file: str, frame: pd.DataFrame, bounds: Boundaries) -> PlaceResult:
    """Place every cleaned row (needs lon, lat, coord_sys, street, source_row).

    Adds lon/lat in WGS84, ``street`` (canonical), ``zone_ids``, ``placement`` and, for
    projects, ``zone_declared`` / ``zone_declared_mismatch``; returns a new frame with
    the rows kept, the rows refused, warnings, and the zone links of the kept rows.
    """
    work = _Placing.start(layer, file, frame)
    _check_coordinates(work)
    _convert_to_wgs84(work)
    _locate_points(work, bounds)
    _place_by_street_name(work)
    return _finish(work, bounds)


def _check_coordinates(work: _Placing) -> None:
    """Refuse half-given and implausible coordinates; swap back lon/lat written the wrong way round."""
    lon, lat = work.lon, work.lat
    has_lon, has_lat = lon.notna(), lat.notna()
    work.problems.add(has_lon ^ has_lat, LON if has_lat.any() else LAT, lon.where(has_lon, lat),
                      "经度和纬度只填了一个", "Only one of longitude and latitude is given.")
    has_xy = has_lon & has_lat
    swapped = has_xy & _in_range(lon, _LAT_RANGE) & _in_range(lat, _LON_RANGE) \
        & ~(_in_range(lon, _LON_RANGE) & _in_range(lat, _LAT_RANGE))
    if swapped.any():
        work.lon, work.lat = lon.where(~swapped, lat), lat.where(~swapped, lon)
        work.warn(swapped, "lon/lat", "经度=" + work.frame[LON].astype(str) + "，纬度=" + work.frame[LAT].astype(str),
                  "经纬度填反，已自动交换", "Longitude and latitude were written the wrong way round; swapped back.",
                  "swapped")
    implausible = has_xy & ~(_in_range(work.lon, _LON_RANGE) & _in_range(work.lat, _LAT_RANGE))
    work.problems.add(implausible, LON, _xy_text(work.lon, work.lat, implausible),
                      "坐标不在中国范围内，可能是投影坐标或录入错误；经纬度应为十进制度，如 116.30, 39.85",
                      "The coordinates are not in China: probably projected coordinates or a typing error. "
                      "Longitude and latitude should be decimal degrees, such as 116.30, 39.85.")
    work.has_xy = has_xy & ~implausible


def _convert_to_wgs84(work: _Placing) -> None:
    """Points in WGS84 from each row's ``coord_sys`` (GCJ-02 and BD-09 undone), None without coordinates."""
    has_xy = work.has_xy.to_numpy()
    wlon, wlat = to_wgs84(work.lon.where(has_xy, 0.0).to_numpy(), work.lat.where(has_xy, 0.0).to_numpy(),
                          work.frame["coord_sys"].to_numpy())
    points = np.full(len(has_xy), None, dtype=object)
    points[has_xy] = shapely.points(wlon[has_xy], wlat[has_xy])
    work.points = gpd.GeoSeries(points, index=work.frame.index, crs=STORAGE_CRS)


def _locate_points(work: _Placing, bounds: Boundaries) -> None:
    """The street of each point; a point outside the district within ``SNAP_DISTANCE_M`` is
    moved just inside its nearest street (with a warning), one farther is refused."""
    located = work.has_xy & ~work.problems.rejected
    if not located.any():
        return
    idx = work.frame.index[located.to_numpy()]
    street_of, snapped_pts, dist = _locate(work.points[idx], bounds)
    distance = pd.Series(dist, index=idx)
    work.street.loc[idx] = street_of
    work.placement.loc[idx] = "coordinates"
    snapped = distance.between(0, SNAP_DISTANCE_M, inclusive="right")
    if snapped.any():
        sidx = snapped.index[snapped.to_numpy()]
        work.points.loc[sidx] = snapped_pts[snapped.to_numpy()]
        work.placement.loc[sidx] = "snapped"
        work.warn(snapped.reindex(work.frame.index, fill_value=False), "lon/lat",
                  (distance[sidx].round(1).astype(str) + " m").reindex(work.frame.index),   # (text for these only)
                  f"坐标在区界外{SNAP_DISTANCE_M:.0f}米以内，已吸附到最近街镇边界",
                  f"The point lies outside the district, within {SNAP_DISTANCE_M:.0f} m of it, and has been moved "
                  "just inside the nearest street's boundary.", "snapped")
    far_here = distance > SNAP_DISTANCE_M
    if not far_here.any():
        return
    far = far_here.reindex(work.frame.index, fill_value=False)
    km = (distance[far_here] / 1000).round(2).astype(str)
    far_reason = "坐标位于丰台区界外 " + km + f" 公里，超出允许的{SNAP_DISTANCE_M:.0f}米"
    far_reason_en = ("The point lies " + km + " km outside the Fengtai district boundary, farther than the "
                     f"{SNAP_DISTANCE_M:.0f} m allowed.")
    work.problems.add(far, LON, _xy_text(work.lon, work.lat, far), far_reason.reindex(work.frame.index),
                      far_reason_en.reindex(work.frame.index))


def _place_by_street_name(work: _Placing) -> None:
    """Rows without coordinates count for the street they name (aliases, old names), at no point;
    a named street that the coordinates contradict gives way to them, with a warning."""
    df = work.frame
    declared = df[STREET] if STREET in df else pd.Series(None, index=df.index, dtype=object)
    resolved, reason, reason_en = _resolve_streets(declared)
    no_xy = ~work.has_xy & ~work.problems.rejected
    unplaced = no_xy & resolved.isna()
    if unplaced.any():   # (the reasons as text only for these rows: a million concatenations are slow)
        why, why_en = reason[unplaced], reason_en[unplaced]
        work.problems.add(unplaced, STREET, declared.fillna(""),
                          ("无坐标，且" + why.fillna("")).where(why.notna(), "无坐标，且未填写所属街镇"),
                          ("No coordinates, and " + why_en.fillna("")).where(why_en.notna(),
                                                                            "No coordinates, and no street given."))
    by_name = (no_xy & resolved.notna()).to_numpy()
    if by_name.any():   # (NumPy masks: pandas' boolean setitem on a million objects is slow)
        street, placement = work.street.to_numpy(dtype=object, copy=True), work.placement.to_numpy(dtype=object, copy=True)
        street[by_name] = resolved.to_numpy()[by_name]
        placement[by_name] = "street"
        work.street = pd.Series(street, index=df.index, dtype=object)
        work.placement = pd.Series(placement, index=df.index, dtype=object)
    located = work.placement.isin(["coordinates", "snapped"])
    differs = located & resolved.notna() & (resolved != work.street) & ~work.problems.rejected
    if differs.any():
        work.warn(differs, STREET, declared[differs].astype(str) + " → " + work.street[differs].astype(str),
                  "填报的所属街镇与坐标所在街镇不一致，以坐标为准",
                  "The declared street differs from the street the coordinates fall in; the coordinates decide.",
                  "street_mismatch")


def _finish(work: _Placing, bounds: Boundaries) -> PlaceResult:
    """The kept rows with street, placement, zone links and ``zone_ids``, WGS84 lon/lat and, where
    the file declares zones, ``zone_declared`` / ``zone_declared_mismatch``."""
    keep = ~work.problems.rejected
    all_kept = bool(keep.all())
    df = work.frame.copy(deep=False)   # (columns are added or replaced, never changed in place: copy on write)
    links = point_zone_links(work.points if all_kept else work.points[keep], bounds.zones)
    df[STREET], df[PLACEMENT] = work.street, work.placement
    df[ZONE_IDS] = zone_ids_text(links, df.index, bounds.zones["zone_id"])
    geom = work.points.to_crs(STORAGE_CRS) if work.points.crs != STORAGE_CRS else work.points
    points = geom.to_numpy()   # x, y of a missing point: NaN
    df[LON] = np.round(shapely.get_x(points), 7)
    df[LAT] = np.round(shapely.get_y(points), 7)
    if "zone" in df.columns:
        work.warnings += _declared_zones(work.layer, work.file, df, bounds, keep, links)
        df = df.drop(columns="zone")
    rejects = work.problems.to_rejects(work.layer, work.file, df)
    kept = df if all_kept else df.loc[keep]
    kept = kept.drop(columns="geometry") if "geometry" in kept.columns else kept.copy(deep=False)
    # the points (with their CRS) set as the geometry column: no second look at the CRS per row
    kept["geometry"] = geom.array if all_kept else geom.array[keep.to_numpy()]
    return PlaceResult(gpd.GeoDataFrame(kept, geometry="geometry", copy=False), rejects, work.warnings, links)


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as floats (all NaN when the file has no such column)."""
    return frame[column].astype(float) if column in frame else pd.Series(np.nan, index=frame.index)


def _in_range(values: pd.Series, bounds: tuple[float, float]) -> pd.Series:
    return values.between(*bounds)


def _xy_text(lon: pd.Series, lat: pd.Series, mask: pd.Series) -> pd.Series:
    """``"116.6,39.95"`` for the rows in ``mask`` only (text for a million rows is slow)."""
    out = pd.Series(None, index=lon.index, dtype=object)
    if mask.any():
        out[mask] = lon[mask].astype(str) + "," + lat[mask].astype(str)
    return out


def _locate(points: gpd.GeoSeries, bounds: Boundaries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street of each point; for points outside, the nearest street, snapped point, distance (m).

    Distance is 0 for points inside a street.
    """
    streets = bounds.streets
    names = streets["name"].to_numpy()
    pts = points.to_numpy()
    point_idx, street_idx = points_in_polygons(pts, streets.geometry.to_numpy())   # by point, then street
    result = np.full(len(pts), None, dtype=object)
    first = np.unique(point_idx, return_index=True)[1]   # a point on a shared edge: the first street
    result[point_idx[first]] = names[street_idx[first]]
    dist = np.zeros(len(pts))
    snapped = np.array(pts, dtype=object)
    outside = np.flatnonzero(result == None)  # noqa: E711 - elementwise test on an object array
    if outside.size:
        metric_pts = gpd.GeoSeries(pts[outside], crs=STORAGE_CRS).to_crs(METRIC_CRS).to_numpy()
        metric_streets = streets.to_crs(METRIC_CRS)
        near_pt, near_street = metric_streets.sindex.nearest(metric_pts, return_all=False)
        order = np.argsort(near_pt)
        near_street = near_street[order]
        targets = metric_streets.geometry.to_numpy()[near_street]
        dist[outside] = shapely.distance(metric_pts, targets)
        lines = shapely.shortest_line(metric_pts, targets)
        # Move the point a hair inside the polygon so it is within its street.
        # The nearest point lies on the edge; step 5 cm further so it is inside the street.
        start, end = shapely.get_coordinates(shapely.get_point(lines, 0)), shapely.get_coordinates(
            shapely.get_point(lines, 1))
        step = end - start
        norm = np.linalg.norm(step, axis=1, keepdims=True)
        ends = shapely.points(end + np.divide(step, norm, out=np.zeros_like(step), where=norm > 0) * 0.05)
        ends_wgs = gpd.GeoSeries(ends, crs=METRIC_CRS).to_crs(STORAGE_CRS).to_numpy()
        snapped[outside] = ends_wgs
        result[outside] = names[near_street]
    return result, snapped, dist


def _resolve_streets(declared: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Canonical street and failure reason (Chinese, English) per value (resolved once per distinct
    value, then spread to the rows by position)."""
    codes, distinct = pd.factorize(declared, use_na_sentinel=True)
    table = [resolve_street(value) for value in distinct]
    # object arrays, a last None for the rows with no value (code -1)
    resolved = np.array([r[0] for r in table] + [None], dtype=object)
    reason = np.array([r[1] for r in table] + [None], dtype=object)
    reason_en = np.array([street_reason_en(v) if r[1] else None for v, r in zip(distinct, table)] + [None],
                         dtype=object)
    index = declared.index
    return (pd.Series(resolved[codes], index=index, dtype=object), pd.Series(reason[codes], index=index, dtype=object),
            pd.Series(reason_en[codes], index=index, dtype=object))


# The former townships of ``geodata.names.SPLIT_OLD_NAMES``, in English.
_SPLIT_OLD_NAMES_EN: dict[str, str] = {
    "南苑乡（南苑地区）": "Nanyuan township (Nanyuan area)",
    "花乡乡（花乡地区）": "Huaxiang township (Huaxiang area)",
    "卢沟桥乡（卢沟桥地区）": "Lugouqiao township (Lugouqiao area)",
    "长辛店镇": "Changxindian town",
}


def street_reason_en(value: object) -> str | None:
    """Why ``geodata.names.resolve_street`` cannot resolve ``value``, in English (None when it can):
    the same cases and facts as its Chinese reason, the value quoted as written."""
    if resolve_street(value)[0] is not None:
        return None
    text = "" if value is None or (isinstance(value, float) and value != value) else normalise_text(value)
    if not text:
        return "no street given."
    key = text.lower()
    for prefix in ("北京市丰台区", "丰台区", "北京市"):
        if key.startswith(prefix) and key != prefix:
            key = key[len(prefix):]
            break
    old = SPLIT_OLD_NAMES.get(text) or SPLIT_OLD_NAMES.get(key)
    if old is not None and key not in ALIASES:
        return (f"“{text}” is the name of a township from before the 2021 re-division: "
                f"{_SPLIT_OLD_NAMES_EN.get(old, '“' + old + '”')} was split among several of today's streets, so the "
                "name alone does not say which street it is; add coordinates or the present street's name.")
    return f"“{text}” is not one of the 26 present streets of Fengtai, nor a known alias or former name."


def _declared_zones(layer: str, file: str, df: pd.DataFrame, bounds: Boundaries,
                    keep: pd.Series, links: pd.DataFrame) -> list[Warning]:
    """Fill ``zone_declared`` and ``zone_declared_mismatch`` (in place on ``df``).

    Warnings only for rows that are kept: a rejected row is reported once, as a reject.
    """
    text = df["zone"]
    distinct = pd.unique(text.dropna())
    lookup = {v: bounds.zone_aliases.get(normalise_text(v).lower()) for v in distinct}
    declared = text.map(lambda v: lookup.get(v) if isinstance(v, str) else None)
    unknown = text.notna() & declared.isna() & keep
    df[ZONE_DECLARED] = declared
    positioned = df[PLACEMENT].isin(["coordinates", "snapped"])
    member = in_zone(links, df.index, declared)
    mismatch = declared.notna() & positioned & ~member & keep
    # Null where nothing can be compared: no declared zone, or no point to compare with.
    df[ZONE_MISMATCH] = mismatch.astype("boolean").where(declared.notna() & positioned)
    warnings = row_warnings(layer, file, df.loc[unknown, SOURCE_ROW], "zone", text[unknown],
                            "所属功能区名称无法识别，已忽略", "The declared zone is not recognised and is ignored.",
                            "zone_unknown")
    warnings += row_warnings(layer, file, df.loc[mismatch, SOURCE_ROW], "zone",
                             "填报：" + text[mismatch].astype(str) + "；坐标所在：" + zone_names(
                                 links, df.index[mismatch], dict(zip(bounds.zones["zone_id"], bounds.zones["name"]))),
                             "填报的所属功能区与坐标位置不符",
                             "The declared zone differs from the zones the coordinates fall in.", "zone_mismatch")
    return warnings
