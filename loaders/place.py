"""Coordinates -> WGS84 points -> street and zones; records without coordinates by street.

All spatial work is vectorised: coordinate conversion in NumPy, point-in-polygon and
nearest-street through shapely's STRtree (``GeoSeries.sindex``), no per-row loops.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS, STORAGE_CRS, to_wgs84
from geodata.names import resolve_street
from loaders.clean import REJECT_COLUMNS, Problems
from loaders.schema import LAT, LON, PLACEMENT, SOURCE_ROW, STREET, ZONE_DECLARED, ZONE_IDS, ZONE_MISMATCH

SNAP_DISTANCE_M = 100.0
WARNING_ROWS_CAP = 200  # per layer and kind; the count is always complete
# Loose bounds of China: anything outside is a typo, not a place.
_LON_RANGE, _LAT_RANGE = (73.0, 136.0), (3.0, 54.0)


@dataclass
class PlaceResult:
    frame: gpd.GeoDataFrame
    rejects: pd.DataFrame
    warnings: list[dict]


@dataclass(frozen=True)
class Boundaries:
    """The geometry a build places points in (bundled or official), in EPSG:4326."""
    streets: gpd.GeoDataFrame  # needs name, geometry
    zones: gpd.GeoDataFrame    # needs zone_id, name, geometry
    zone_aliases: dict[str, str]

    @property
    def outline(self) -> shapely.Geometry:
        return shapely.union_all(self.streets.geometry.to_numpy())


def _in_range(values: pd.Series, bounds: tuple[float, float]) -> pd.Series:
    return values.between(*bounds)


def _xy_text(lon: pd.Series, lat: pd.Series, mask: pd.Series) -> pd.Series:
    """``"116.6,39.95"`` for the rows in ``mask`` only (text for a million rows is slow)."""
    out = pd.Series(None, index=lon.index, dtype=object)
    if mask.any():
        out[mask] = lon[mask].astype(str) + "," + lat[mask].astype(str)
    return out


def row_warnings(layer: str, file: str, rows: pd.Series, column: str, values: pd.Series,
                 message: str, kind: str) -> list[dict]:
    """Warnings for some rows: each row up to a cap, then one line with the full count."""
    count = len(rows)
    if count == 0:
        return []
    shown = [{"layer": layer, "file": file, "row": int(r), "column": column, "value": str(v),
              "kind": kind, "message": message}
             for r, v in zip(rows.head(WARNING_ROWS_CAP), values.head(WARNING_ROWS_CAP))]
    if count > WARNING_ROWS_CAP:
        shown.append({"layer": layer, "file": file, "row": None, "column": column, "value": "",
                      "kind": kind, "count": count,
                      "message": f"{message}：共 {count} 行，以上列出前 {WARNING_ROWS_CAP} 行"})
    return shown


def place_layer(layer: str, file: str, frame: pd.DataFrame, bounds: Boundaries) -> PlaceResult:
    """Place every cleaned row (needs lon, lat, coord_sys, street, source_row).

    Adds lon/lat in WGS84, ``street`` (canonical), ``zone_ids``, ``placement`` and, for
    projects, ``zone_declared`` / ``zone_declared_mismatch``; returns a new frame.
    """
    df = frame.copy()
    problems = Problems(df.index)
    warnings: list[dict] = []
    lon = df[LON].astype(float) if LON in df else pd.Series(np.nan, index=df.index)
    lat = df[LAT].astype(float) if LAT in df else pd.Series(np.nan, index=df.index)
    has_lon, has_lat = lon.notna(), lat.notna()
    problems.add(has_lon ^ has_lat, LON if has_lat.any() else LAT, lon.where(has_lon, lat),
                 "经度和纬度只填了一个 (only one of lon/lat given)")
    has_xy = has_lon & has_lat

    swapped = has_xy & _in_range(lon, _LAT_RANGE) & _in_range(lat, _LON_RANGE) \
        & ~(_in_range(lon, _LON_RANGE) & _in_range(lat, _LAT_RANGE))
    if swapped.any():
        lon, lat = lon.where(~swapped, lat), lat.where(~swapped, lon)
        warnings += row_warnings(layer, file, df.loc[swapped, SOURCE_ROW], "lon/lat",
                                 "经度=" + df.loc[swapped, LON].astype(str) + "，纬度=" + df.loc[swapped, LAT].astype(str),
                                 "经纬度填反，已自动交换 (lon/lat swapped, corrected)", "swapped")
    implausible = has_xy & ~(_in_range(lon, _LON_RANGE) & _in_range(lat, _LAT_RANGE))
    problems.add(implausible, LON, _xy_text(lon, lat, implausible),
                 "坐标不在中国范围内，可能是投影坐标或录入错误；经纬度应为十进制度，如 116.30, 39.85 "
                 "(coordinates not plausible)")
    has_xy &= ~implausible

    wlon, wlat = to_wgs84(lon.where(has_xy, 0.0).to_numpy(), lat.where(has_xy, 0.0).to_numpy(),
                          df["coord_sys"].to_numpy())
    wlon, wlat = np.where(has_xy, wlon, np.nan), np.where(has_xy, wlat, np.nan)

    street = pd.Series(None, index=df.index, dtype=object)
    placement = pd.Series(None, index=df.index, dtype=object)
    points = gpd.GeoSeries(gpd.points_from_xy(wlon, wlat), index=df.index, crs=STORAGE_CRS)
    points[~has_xy] = None
    located = has_xy & ~problems.rejected
    if located.any():
        idx = df.index[located.to_numpy()]
        street_of, snapped_pts, dist = _locate(points[idx], bounds)
        inside = pd.Series(street_of, index=idx)
        street.loc[idx] = inside
        placement.loc[idx] = "coordinates"
        snapped = pd.Series(dist, index=idx).between(0, SNAP_DISTANCE_M, inclusive="right")
        if snapped.any():
            sidx = snapped.index[snapped.to_numpy()]
            points.loc[sidx] = snapped_pts[snapped.to_numpy()]
            placement.loc[sidx] = "snapped"
            warnings += row_warnings(layer, file, df.loc[sidx, SOURCE_ROW], "lon/lat",
                                     pd.Series(dist[snapped.to_numpy()], index=sidx).round(1).astype(str) + " m",
                                     "坐标在区界外100米以内，已吸附到最近街镇边界 (snapped to nearest street)",
                                     "snapped")
        far = pd.Series(dist, index=idx) > SNAP_DISTANCE_M
        far_reason = ("坐标位于丰台区界外 " + (pd.Series(dist, index=idx)[far] / 1000).round(2).astype(str)
                      + " 公里，超出允许的100米 (outside the district)")
        problems.add(far.reindex(df.index, fill_value=False), LON,
                     _xy_text(lon, lat, far.reindex(df.index, fill_value=False)), far_reason.reindex(df.index))

    # Records without coordinates: by the street name they give (aliases, old names).
    no_xy = ~has_xy & ~problems.rejected
    declared = df[STREET] if STREET in df else pd.Series(None, index=df.index, dtype=object)
    resolved, reason = _resolve_streets(declared)
    problems.add(no_xy & resolved.isna(), STREET, declared.fillna(""),
                 ("无坐标，且" + reason.fillna("")).where(reason.notna(), "无坐标，且未填写所属街镇"))
    by_name = no_xy & resolved.notna()
    street[by_name] = resolved[by_name]
    placement[by_name] = "street"

    mismatch_street = located & resolved.notna() & street.notna() & (resolved != street) & ~problems.rejected
    warnings += row_warnings(layer, file, df.loc[mismatch_street, SOURCE_ROW], STREET,
                             declared[mismatch_street].astype(str) + " → " + street[mismatch_street].astype(str),
                             "填报的所属街镇与坐标所在街镇不一致，以坐标为准 (declared street differs from location)",
                             "street_mismatch")

    keep = ~problems.rejected
    zone_ids = pd.Series("", index=df.index, dtype=object)
    placed = keep & points.notna()
    if placed.any():
        zone_ids.loc[placed[placed].index] = _zone_ids(points[placed], bounds.zones)
    df[STREET], df[PLACEMENT], df[ZONE_IDS] = street, placement, zone_ids
    geom = points.to_crs(STORAGE_CRS)
    df[LON] = np.where(geom.notna(), geom.x.round(7), np.nan)
    df[LAT] = np.where(geom.notna(), geom.y.round(7), np.nan)
    if "zone" in df.columns:
        warnings += _declared_zones(layer, file, df, bounds, keep)
        df = df.drop(columns="zone")
    rejects = pd.DataFrame({"layer": layer, "file": file,
                            "row": df.loc[problems.rejected, SOURCE_ROW].astype(int),
                            "column": problems.column[problems.rejected],
                            "value": problems.value[problems.rejected],
                            "reason": problems.reason[problems.rejected]}, columns=REJECT_COLUMNS)
    out = gpd.GeoDataFrame(df.loc[keep], geometry=geom[keep], crs=STORAGE_CRS)
    return PlaceResult(out, rejects, warnings)


def _locate(points: gpd.GeoSeries, bounds: Boundaries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street of each point; for points outside, the nearest street, snapped point, distance (m).

    Distance is 0 for points inside a street.
    """
    streets = bounds.streets
    names = streets["name"].to_numpy()
    pts = points.to_numpy()
    tree = streets.sindex
    point_idx, street_idx = tree.query(pts, predicate="intersects")
    result = np.full(len(pts), None, dtype=object)
    order = np.argsort(point_idx, kind="stable")
    point_idx, street_idx = point_idx[order], street_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
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


def _zone_ids(points: gpd.GeoSeries, zones: gpd.GeoDataFrame) -> np.ndarray:
    """``",lize,zgc_fengtai,"`` for each point (``""`` when in no zone).

    Membership is a boolean row per point; the text is built once per distinct row
    (combination of zones), not once per point.
    """
    ids = zones["zone_id"].to_numpy()
    point_idx, zone_idx = zones.sindex.query(points.to_numpy(), predicate="intersects")
    member = np.zeros((len(points), len(ids)), dtype=bool)
    member[point_idx, zone_idx] = True
    # Rows packed into bytes make np.unique fast (its axis=0 mode sorts 20x slower).
    packed = np.packbits(member, axis=1, bitorder="little")
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    text = np.array(["," + ",".join(ids[member[i]]) + "," if member[i].any() else "" for i in first],
                    dtype=object)
    return text[which.ravel()]


def _resolve_streets(declared: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical street and failure reason per value (resolved once per distinct value)."""
    distinct = pd.unique(declared.dropna())
    table = {value: resolve_street(value) for value in distinct}
    # object dtype: an all-empty column would map to float NaN, and text is added to it later
    resolved = declared.map({v: r[0] for v, r in table.items()}).astype(object)
    reason = declared.map({v: r[1] for v, r in table.items()}).astype(object)
    return resolved, reason


def _zone_names(zone_ids: pd.Series, zones: gpd.GeoDataFrame) -> pd.Series:
    """``",lize,hexi,"`` -> ``"丽泽金融商务区、河西地区"`` (``"无"`` when empty), per distinct value."""
    names = dict(zip(zones["zone_id"], zones["name"]))
    table = {v: "、".join(names.get(z, z) for z in v.strip(",").split(",") if z) or "无"
             for v in pd.unique(zone_ids)}
    return zone_ids.map(table).astype(str)


def _declared_zones(layer: str, file: str, df: pd.DataFrame, bounds: Boundaries,
                    keep: pd.Series) -> list[dict]:
    """Fill ``zone_declared`` and ``zone_declared_mismatch`` (in place on ``df``).

    Warnings only for rows that are kept: a rejected row is reported once, as a reject.
    """
    from geodata.names import normalise_text

    text = df["zone"]
    distinct = pd.unique(text.dropna())
    lookup = {v: bounds.zone_aliases.get(normalise_text(v).lower()) for v in distinct}
    declared = text.map(lambda v: lookup.get(v) if isinstance(v, str) else None)
    unknown = text.notna() & declared.isna() & keep
    df[ZONE_DECLARED] = declared
    positioned = df[PLACEMENT].isin(["coordinates", "snapped"])
    member = pd.Series(False, index=df.index)
    for zone_id in pd.unique(declared.dropna()):
        rows = declared == zone_id
        member[rows] = df.loc[rows, ZONE_IDS].str.contains(f",{zone_id},", regex=False)
    mismatch = declared.notna() & positioned & ~member & keep
    # Null where nothing can be compared: no declared zone, or no point to compare with.
    df[ZONE_MISMATCH] = mismatch.astype("boolean").where(declared.notna() & positioned)
    warnings = row_warnings(layer, file, df.loc[unknown, SOURCE_ROW], "zone", text[unknown],
                            "所属功能区名称无法识别，已忽略 (unknown declared zone)", "zone_unknown")
    warnings += row_warnings(layer, file, df.loc[mismatch, SOURCE_ROW], "zone",
                             "填报：" + text[mismatch].astype(str) + "；坐标所在：" + _zone_names(
                                 df.loc[mismatch, ZONE_IDS], bounds.zones),
                             "填报的所属功能区与坐标位置不符 (declared zone differs from location)",
                             "zone_mismatch")
    return warnings
