"""Zone membership: the link rows ``(layer, record_id, zone_id)`` and the ``zone_ids`` text.

Zones overlap, so a point may lie in several. The relation is stored as rows, one per
(record, zone), in the store's ``zone_members`` table: the shape ``geopandas.sjoin``
returns, which any tool can join. Point layers also keep a text copy, ``zone_ids``
(``",lize,zgc_fengtai,"``; ``""`` in no zone), because analysts filter with
``zone_ids LIKE '%,lize,%'`` in either store and the README documents it.

This is the one module that builds the link rows (from a point-in-zone query), builds
the text from them, and parses it back. The dashboard selects a zone's rows through the
link table (``loaders.rowfilter``), never through the text. No other module splits
or joins that text; its shape (``ZONE_IDS_PATTERN``) is declared with the column in
``loaders.schema``, where the check before writing takes it from.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from loaders.schema import POINT_LAYERS, RECORD_ID, ZONE_ID_PATTERN

ROW = "row"                   # a link's row label in the frame of points it was computed for
MEMBER_COLUMNS: tuple[str, ...] = ("layer", "record_id", "zone_id")


def points_in_polygons(points: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, polygon) pair that intersects, as two index arrays sorted by point, then
    polygon: ``STRtree.query(points, predicate="intersects")`` for a few polygons and many points.

    Each polygon is prepared once and tested against the coordinates within its bounding box
    (``shapely.intersects_xy``), a few times faster than querying a tree point by point. A
    geometry among ``points`` that is not a point (or is missing) takes the tree's path.
    """
    points = np.asarray(points, dtype=object)
    if len(points) == 0 or not bool((shapely.get_type_id(points) == 0).all()):
        point_idx, poly_idx = shapely.STRtree(polygons).query(points, predicate="intersects")
    else:
        x, y = np.full(len(points), np.nan), np.full(len(points), np.nan)   # an empty point: in no box
        given = ~shapely.is_empty(points)
        x[given], y[given] = shapely.get_x(points[given]), shapely.get_y(points[given])
        found_points, found_polys = [], []
        for j, polygon in enumerate(polygons):
            if polygon is None or shapely.is_empty(polygon):
                continue
            xmin, ymin, xmax, ymax = shapely.bounds(polygon)
            near = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
            if not len(near):
                continue
            prepared = shapely.from_wkb(shapely.to_wkb(polygon))   # a copy: the caller's stays unprepared
            shapely.prepare(prepared)
            hit = near[shapely.intersects_xy(prepared, x[near], y[near])]
            found_points.append(hit)
            found_polys.append(np.full(len(hit), j, dtype=np.intp))
        point_idx = np.concatenate(found_points) if found_points else np.array([], dtype=np.intp)
        poly_idx = np.concatenate(found_polys) if found_polys else np.array([], dtype=np.intp)
    order = np.lexsort((poly_idx, point_idx))
    return point_idx[order], poly_idx[order]


def point_zone_links(points: gpd.GeoSeries, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per (point, zone) the point lies in: ``row`` (the label of ``points``) and ``zone_id``.

    Needs zones ``zone_id`` and polygons, in the CRS of ``points``; a missing point is in
    no zone. Rows are ordered by point, then by the zones' order (the order ``zone_ids``
    text lists them in). As ``geopandas.sjoin(predicate="intersects")`` (:func:`points_in_polygons`).
    """
    values = np.asarray(points.to_numpy(), dtype=object)
    present = ~shapely.is_missing(values)
    point_idx, zone_idx = points_in_polygons(values[present], zones.geometry.to_numpy())
    point_idx = np.flatnonzero(present)[point_idx]
    return pd.DataFrame({ROW: points.index.to_numpy()[point_idx],
                         "zone_id": zones["zone_id"].to_numpy()[zone_idx]})


def zone_ids_text(links: pd.DataFrame, index: pd.Index, zone_order: Sequence[str]) -> pd.Series:
    """``",lize,zgc_fengtai,"`` for each label of ``index`` (``""`` when in no zone).

    Needs ``links`` columns ``row`` (labels of ``index``) and ``zone_id``; ids are listed in
    ``zone_order``. The text is built once per distinct combination of zones, not per
    point: membership becomes a boolean row per point, packed into bytes so that
    ``np.unique`` finds the combinations fast.
    """
    ids = np.asarray(list(zone_order), dtype=object)
    out = pd.Series("", index=index, dtype=object)
    if links.empty or len(index) == 0:
        return out
    rows = index.get_indexer(links[ROW])
    cols = pd.Index(ids).get_indexer(links["zone_id"])
    keep = (rows >= 0) & (cols >= 0)
    member = np.zeros((len(index), len(ids)), dtype=bool)
    member[rows[keep], cols[keep]] = True
    packed = np.packbits(member, axis=1, bitorder="little")
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, which = np.unique(keys, return_index=True, return_inverse=True)
    text = np.array(["," + ",".join(ids[member[i]]) + "," if member[i].any() else "" for i in first],
                    dtype=object)
    return pd.Series(text[which.ravel()], index=index, dtype=object)


def member_rows(layer: str, frame: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """The ``zone_members`` rows of one layer: ``layer``, ``record_id``, ``zone_id`` (text).

    Needs ``frame[RECORD_ID[layer]]`` and ``links`` (``row``, ``zone_id``) computed on
    points whose labels are ``frame``'s; links of rows no longer in ``frame`` (rejected
    after placing) are dropped.
    """
    ids = frame[RECORD_ID[layer]]
    rows = frame.index.get_indexer(links[ROW]) if len(links) else np.array([], dtype=int)
    keep = rows >= 0
    if isinstance(ids.dtype, pd.StringDtype) and not ids.isna().any():   # text already: taken, not converted
        record_id = ids.array.take(rows[keep]).to_numpy(dtype=object)
    else:
        record_id = ids.to_numpy()[rows[keep]].astype(str).astype(object)
    return pd.DataFrame({"layer": pd.Series(layer, index=range(int(keep.sum())), dtype=object),
                         "record_id": record_id,
                         "zone_id": links["zone_id"].to_numpy()[keep].astype(object)})


def empty_members() -> pd.DataFrame:
    """A link table with no rows."""
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in MEMBER_COLUMNS})


def in_zone(links: pd.DataFrame, index: pd.Index, zone_ids: pd.Series) -> pd.Series:
    """True where the row of ``index`` lies in the zone ``zone_ids`` names for it (False for None).

    Needs ``links`` (``row``, ``zone_id``); ``zone_ids`` is indexed like ``index``.
    """
    pairs = pd.MultiIndex.from_arrays([links[ROW].to_numpy(), links["zone_id"].to_numpy()])
    wanted = pd.MultiIndex.from_arrays([index.to_numpy(), zone_ids.reindex(index).to_numpy()])
    return pd.Series(wanted.isin(pairs), index=index)


def zone_names(links: pd.DataFrame, index: pd.Index, names: dict[str, str], sep: str = "、",
               none: str = "无") -> pd.Series:
    """The names of the zones each row of ``index`` lies in, joined with ``sep`` (``none`` when
    in no zone). Needs ``links`` (``row``, ``zone_id``); meant for a few rows (messages)."""
    sub = links[links[ROW].isin(index)]
    joined = sub.assign(name=sub["zone_id"].map(lambda z: names.get(z, z))).groupby(ROW)["name"].agg(sep.join)
    return pd.Series(index.map(joined), index=index, dtype=object).fillna(none)


def links_from_text(zone_ids: pd.Series) -> pd.DataFrame:
    """The inverse of :func:`zone_ids_text`: ``row`` (labels of ``zone_ids``) and ``zone_id``.

    For a store's ``zone_ids`` column (an older store without ``zone_members``, or a check
    that the two agree).
    """
    parts = zone_ids.fillna("").astype(str).str.strip(",").str.split(",").explode()
    parts = parts[parts.notna() & (parts != "")]
    return pd.DataFrame({ROW: parts.index.to_numpy(), "zone_id": parts.to_numpy(dtype=object)})


def check_zone_id(zone_id: object) -> str:
    """``zone_id`` as text when it is a zone id (``schema.ZONE_ID_PATTERN``: letters, digits,
    ``_``; so it is safe in SQL); else ValueError."""
    text = str(zone_id)
    if not re.fullmatch(ZONE_ID_PATTERN, text):
        raise ValueError(f"zone_id must be letters, digits or '_', got {zone_id!r}")
    return text


def members_filter_sql(layer: str | None = None, zone_id: str | None = None) -> str | None:
    """A SQL condition on ``zone_members`` keeping one layer's and/or one zone's rows (None: all).
    The values are checked (a point layer's name, a safe zone_id) before they are written in."""
    conditions = []
    if layer is not None:
        if layer not in POINT_LAYERS:
            raise ValueError(f"layer must be one of {', '.join(POINT_LAYERS)}, got {layer!r}")
        conditions.append(f"layer = '{layer}'")
    if zone_id is not None:
        conditions.append(f"zone_id = '{check_zone_id(zone_id)}'")
    return " AND ".join(conditions) or None
