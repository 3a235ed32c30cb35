"""Orchestrate a build: read -> clean -> place -> report -> store (atomic swap).

``build`` is a short coordinator; the work is in ``read``, ``clean``, ``place``,
``report`` and ``store``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandera.errors import SchemaErrors
from tqdm import tqdm

from geodata import boundaries
from geodata.crs import METRIC_CRS, STORAGE_CRS
from geodata.names import CODE_BY_NAME, UNITS, aliases_of, normalise_text, resolve_street
from loaders.clean import REJECT_COLUMNS, Problems, clean_layer
from loaders.errors import BuildError
from loaders.place import Boundaries, place_layer
from loaders.read import find_layer_files, read_layer_file
from loaders.report import add_layer, new_report, summary_lines, write_report
from loaders.schema import POINT_LAYERS, SOURCE_FILE, SOURCE_ROW, STORE_COLUMNS
from loaders.store import DATA_DIR, default_store_path, open_store, redact_target
from loaders.validate import check_store_frame

SAMPLE_SOURCE_DIR = DATA_DIR / "sample_source"


def build(source: Path | None = None, target: str | None = None, report_path: Path | None = None,
          default_coord_sys: str = "wgs84", progress: bool = True) -> dict:
    """Build a store from ``source`` (the bundled sample when None) into ``target``.

    Returns the build report. Raises :class:`BuildError` when the build cannot finish;
    the previous store is then untouched.
    """
    sample = source is None
    if sample:
        from loaders.sample import ensure_sample_source
        source = ensure_sample_source(SAMPLE_SOURCE_DIR)
    target = str(target or default_store_path())
    store = open_store(target)
    files, unknown = find_layer_files(Path(source))
    report = new_report(sample, str(source), redact_target(target))
    for name in unknown:
        report["warnings"].append({"layer": None, "file": name, "row": None, "column": None, "value": name,
                                   "kind": "unknown_file",
                                   "message": f"文件 {name} 不对应任何图层，未读取；文件名应为 projects/enterprises/"
                                              "stations/hotline/streets/zones 加 .csv/.xlsx/.geojson/.gpkg/.zip"})
    if not any(layer in files for layer in POINT_LAYERS):
        raise BuildError(f"{source} 中没有任何数据文件（projects.*、enterprises.*、stations.*、hotline.*）；"
                         "请检查 --source 指向的文件夹和文件名。")
    bounds, geometry_layers = _boundaries(files, report, progress)
    layers: dict[str, gpd.GeoDataFrame] = dict(geometry_layers)
    for layer in POINT_LAYERS:
        if layer in files:
            layers[layer] = _naming_the_file(files[layer], _build_point_layer, layer, files[layer], bounds, report,
                                             default_coord_sys, progress)
    report["provenance"] = _provenance(files)
    report["geometry_precision"] = {name: sorted(set(layers[name]["precision"].dropna()))
                                    for name in ("streets", "zones")}
    for name, frame in layers.items():
        try:
            check_store_frame(name, frame)
        except SchemaErrors as exc:
            raise BuildError(f"内部一致性检查未通过，未写入任何数据（这是程序缺陷，请连同数据报告开发者）：图层 {name}："
                             f"{str(exc).splitlines()[0][:300]} (internal consistency check failed)") from exc
    store.write_all(layers, report)
    if report_path:
        write_report(report, Path(report_path))
    if progress:
        tqdm.write("\n".join(["构建完成 (build finished): " + redact_target(target), *summary_lines(report)]))
    return report


def ensure_sample_store(target: Path | None = None) -> str:
    """The bundled sample store's path, building it first when missing."""
    path = Path(target or default_store_path())
    if not path.exists():
        build(None, str(path), progress=False)
    return str(path)


def _naming_the_file(path: Path, step, *args):  # noqa: ANN001, ANN202 - a build step and its result
    """Run ``step``; an unexpected error in it becomes a :class:`BuildError` that names ``path``.

    Input problems are rejects or BuildErrors already; what arrives here is a case the code did
    not foresee, and the person running the build still needs to know which file caused it.
    """
    try:
        return step(*args)
    except BuildError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised as BuildError with the cause kept
        raise BuildError(f"{path.name}: 处理该文件时程序遇到意外错误（{type(exc).__name__}: {str(exc)[:200]}）。"
                         "请检查该文件的内容与格式，或连同构建报告报告开发者 "
                         f"(unexpected error while processing {path.name}).") from exc


def _bar(progress: bool, layer: str, stage: str, total: int) -> tqdm:
    return tqdm(total=total, desc=f"{layer:<11} {stage}", unit="行", unit_scale=True,
                disable=not progress, leave=True, mininterval=0.5)


def _build_point_layer(layer: str, path: Path, bounds: Boundaries, report: dict,
                       default_coord_sys: str, progress: bool) -> gpd.GeoDataFrame:
    started = time.perf_counter()
    with _bar(progress, layer, "读取 read", 1) as bar:
        table = read_layer_file(layer, path)
        bar.total = len(table.frame)
        bar.update(len(table.frame))
    n = len(table.frame)
    with _bar(progress, layer, "清洗 clean", n) as bar:
        cleaned = clean_layer(table, default_coord_sys)
        bar.update(n)
    with _bar(progress, layer, "落点 place", len(cleaned.frame)) as bar:
        placed = place_layer(layer, path.name, cleaned.frame, bounds)
        bar.update(len(cleaned.frame))
    frame = placed.frame.assign(**{SOURCE_FILE: path.name})
    rejects = pd.concat([cleaned.rejects, placed.rejects], ignore_index=True)
    warnings = [*_file_notes(table), *cleaned.warnings, *placed.warnings]
    add_layer(report, layer, path.name, n, len(frame), rejects, warnings, time.perf_counter() - started)
    columns = [c for c in STORE_COLUMNS[layer] if c in frame.columns]
    return gpd.GeoDataFrame(frame[columns], geometry=frame.geometry, crs=STORAGE_CRS)


def _file_notes(table) -> list[dict]:  # noqa: ANN001 - read.LayerTable
    notes = []
    if table.ignored_columns:
        notes.append({"layer": table.layer, "file": table.path.name, "row": None, "column": None,
                      "value": "、".join(table.ignored_columns), "kind": "ignored_columns",
                      "message": f"未识别的列已忽略：{'、'.join(table.ignored_columns)}"})
    if table.encoding and table.encoding not in ("utf-8", "utf-8-sig"):
        notes.append({"layer": table.layer, "file": table.path.name, "row": None, "column": None,
                      "value": table.encoding, "kind": "encoding",
                      "message": f"文件编码识别为 {table.encoding}，已转换 (decoded as {table.encoding})"})
    for column, unit in table.units.items():
        notes.append({"layer": table.layer, "file": table.path.name, "row": None, "column": column,
                      "value": unit, "kind": "unit", "message": f"列 {column} 的单位为{unit}，已换算"})
    for note in getattr(table, "notes", ()):
        notes.append({"layer": table.layer, "file": table.path.name, "row": None, "column": None,
                      "value": None, "kind": "file_repaired", "message": note})
    return notes


def _boundaries(files: dict[str, Path], report: dict, progress: bool) -> tuple[Boundaries, dict]:
    streets = _official_streets(files["streets"], report) if "streets" in files else _bundled("streets", report)
    zones = _official_zones(files["zones"], streets, report) if "zones" in files else _bundled("zones", report)
    # Bundled zone spellings only make sense with the bundled zones.
    aliases = {} if "zones" in files else dict(boundaries.zone_alias_table())
    for zone_id, name in zip(zones["zone_id"], zones["name"]):
        aliases[normalise_text(zone_id).lower()] = zone_id
        aliases[normalise_text(name).lower()] = zone_id
    streets = streets.reset_index(drop=True)
    zones = zones.reset_index(drop=True)
    return Boundaries(streets, zones, aliases), {"streets": streets, "zones": zones}


def _bundled(layer: str, report: dict) -> gpd.GeoDataFrame:
    frame = boundaries.load_streets() if layer == "streets" else boundaries.load_zones()
    report["layers"][layer] = {"file": f"geodata/files/{layer}.geojson (内置示意)", "read": len(frame),
                               "loaded": len(frame), "rejected": 0}
    return frame


def _geometry_rejects(layer: str, path: Path, frame: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    bad = problems.rejected
    return pd.DataFrame({"layer": layer, "file": path.name, "row": frame.loc[bad, SOURCE_ROW].astype(int),
                         "column": problems.column[bad], "value": problems.value[bad],
                         "reason": problems.reason[bad]}, columns=REJECT_COLUMNS)


# An invalid polygon (a self-crossing ring, a hole touching its shell...) is repaired with
# shapely.make_valid when the repair moves its area by at most this share; else rejected.
REPAIR_MAX_AREA_CHANGE = 0.01


@dataclass
class PolygonCheck:
    """What ``_check_polygons`` found: the geometry to store (repaired where that was safe),
    the rows rejected for their geometry, and the areas (m², in ``METRIC_CRS``) of each
    invalid polygon before and after ``make_valid``."""
    geometry: gpd.GeoSeries
    rejected: pd.Series          # bool: not a polygon, empty, or invalid and not safely repairable
    repaired: pd.Series          # bool: was invalid, repaired, kept
    area_before_m2: pd.Series    # NaN unless the geometry was invalid
    area_after_m2: pd.Series


def _polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Only the Polygon parts of each geometry, as a Polygon or MultiPolygon (None when none)."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    is_polygon = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, index = parts[is_polygon], index[is_polygon]
    out = np.full(len(geoms), None, dtype=object)   # rows with no polygon part stay None
    if len(parts):
        shapely.multipolygons(parts, indices=index, out=out)
    return np.where(shapely.get_num_geometries(out) == 1, shapely.get_geometry(out, 0), out)


def _make_valid_polygons(geoms: np.ndarray) -> np.ndarray:
    try:   # GEOS >= 3.10: rings fixed one by one, shells unioned, holes subtracted; no collapsed lines
        fixed = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    except (TypeError, ValueError, shapely.errors.UnsupportedGEOSVersionError):
        fixed = shapely.make_valid(geoms)
    return _polygonal_parts(fixed)


def _check_polygons(frame: gpd.GeoDataFrame, problems: Problems) -> PolygonCheck:
    """Reject what is not a polygon; repair invalid polygons unless that changes their area.

    An invalid polygon is replaced by ``shapely.make_valid`` (structure method, polygonal
    parts only) when the repaired area is within ``REPAIR_MAX_AREA_CHANGE`` of the area
    before, which is the area shapely gives the invalid geometry: per polygon, the
    absolute shoelace area of its exterior ring minus those of its holes, with a
    self-crossing ring's loops counted with their own orientation (so a twisted loop
    subtracts). A big bow-tie thus measures the difference of its lobes before and their
    sum after, and is rejected; a tiny crossing moves the area by a few m², and is
    repaired. Areas are in ``METRIC_CRS``; the repair itself is done in the stored CRS.
    """
    geom = frame.geometry
    kinds = geom.geom_type
    not_polygon = geom.isna() | geom.is_empty | ~kinds.isin(["Polygon", "MultiPolygon"])
    problems.add(not_polygon, "geometry", kinds.fillna("空"),
                 "几何不是面（Polygon/MultiPolygon）或为空 (not a polygon)")
    invalid = ~not_polygon & ~geom.is_valid
    geometry = gpd.GeoSeries(geom.to_numpy(), index=frame.index, crs=frame.crs)
    before = pd.Series(np.nan, index=frame.index)
    after = pd.Series(np.nan, index=frame.index)
    repaired = pd.Series(False, index=frame.index)
    unrepairable = pd.Series(False, index=frame.index)
    if invalid.any():
        fixed = _make_valid_polygons(geom[invalid].to_numpy())
        before[invalid] = gpd.GeoSeries(geom[invalid].to_numpy(), crs=frame.crs).to_crs(METRIC_CRS).area.to_numpy()
        after[invalid] = gpd.GeoSeries(fixed, crs=frame.crs).to_crs(METRIC_CRS).area.fillna(0.0).to_numpy()
        change = (after - before).abs() / before.where(before > 0)
        safe = invalid & change.le(REPAIR_MAX_AREA_CHANGE) & (after > 0)
        unrepairable = invalid & ~safe
        repaired = safe
        geometry[invalid] = fixed
        geometry[unrepairable] = geom[unrepairable]   # left as read; the row is rejected
        reasons = ("几何无效（自相交等），且无法安全修复，已拒绝：修复前面积（按原坐标环计算）" + before.map(_m2)
                   + "，自动修复（make_valid，只保留面）后" + after.map(lambda a: "面积 " + _m2(a) if a > 0 else "没有剩下任何面")
                   + "，面积变化 " + change.map(_pct) + f"，超过 {REPAIR_MAX_AREA_CHANGE:.0%}；请在 GIS 软件中修复 "
                   "(invalid geometry that could not be repaired safely: area " + before.map(_m2)
                   + " before, " + after.map(_m2) + " after repair)")
        problems.add(unrepairable, "geometry", kinds, reasons)
    return PolygonCheck(geometry, not_polygon | unrepairable, repaired, before, after)


def _m2(area: float) -> str:
    return f"{area:,.0f} m²" if pd.notna(area) else "?"


def _pct(share: float) -> str:
    """A relative change (0.01 = 1 %) for a message."""
    if pd.isna(share) or np.isinf(share):
        return "无法计算（修复前面积为 0）"
    return "不足 0.0001%" if abs(share) < 5e-7 else f"{share * 100:.4f}%"


def _repair_warnings(layer: str, path: Path, frame: pd.DataFrame, check: PolygonCheck, labels: pd.Series,
                     keep: pd.Series) -> list[dict]:
    """One ``geometry_repaired`` warning per kept row whose invalid polygon was repaired."""
    out = []
    for i in frame.index[check.repaired & keep]:
        before, after = float(check.area_before_m2[i]), float(check.area_after_m2[i])
        out.append({"layer": layer, "file": path.name, "row": int(frame.at[i, SOURCE_ROW]), "column": "geometry",
                    "value": str(labels[i]), "kind": "geometry_repaired",
                    "message": f"{labels[i]}的边界几何无效（自相交等），已自动修复（make_valid，只保留面）后使用："
                               f"修复前面积（按原坐标环计算）{_m2(before)}，修复后 {_m2(after)}，"
                               f"变化 {after - before:+,.0f} m²（{_pct(abs(after - before) / before)}）；"
                               f"建议在 GIS 软件中核对 (invalid polygon repaired: area {_m2(before)} before "
                               f"(shoelace area of the rings as given), {_m2(after)} after, in {METRIC_CRS})"})
    return out


def _official_streets(path: Path, report: dict) -> gpd.GeoDataFrame:
    table = read_layer_file("streets", path)
    raw = table.frame
    if not isinstance(raw, gpd.GeoDataFrame):
        raise BuildError(f"{path.name}: 街镇边界必须是带几何的文件（.geojson/.gpkg/.zip Shapefile）。")
    problems = Problems(raw.index)
    resolved = raw["name"].map(resolve_street)
    names, reasons = resolved.str[0], resolved.str[1]
    if "code" in raw.columns:  # a code decides when the name is old or ambiguous
        by_code = raw["code"].astype(str).str.strip().map(
            lambda c: UNITS.get(c.ljust(12, "0")[:12], (None,))[0] if c[:6] == "110106" else None)
        names = by_code.fillna(names)
    problems.add(names.isna(), "name", raw["name"], reasons.fillna("街镇名称无法识别"))
    problems.add(names.duplicated(keep="first") & names.notna(), "name", raw["name"],
                 "同一街镇出现多次，保留第一条 (duplicate street)")
    check = _check_polygons(raw, problems)
    population = pd.to_numeric(raw.get("population", pd.Series(None, index=raw.index)), errors="coerce")
    keep = ~problems.rejected
    out = gpd.GeoDataFrame({
        "name": names, "code": names.map(CODE_BY_NAME), "name_en": names.map(
            lambda n: UNITS[CODE_BY_NAME[n]][1] if n in CODE_BY_NAME else None),
        "kind": names.map(lambda n: UNITS[CODE_BY_NAME[n]][2] if n in CODE_BY_NAME else None),
        "aliases": names.map(lambda n: "|".join(aliases_of(n)) if isinstance(n, str) else None),
        "population": population,
        "area_km2": check.geometry.to_crs(METRIC_CRS).area / 1e6,
        "precision": "official", "source": path.name,
    }, geometry=check.geometry, crs=STORAGE_CRS).loc[keep]
    rejects = _geometry_rejects("streets", path, raw, problems)
    warnings = [*_file_notes(table), *_repair_warnings("streets", path, raw, check, names.fillna(raw["name"]), keep)]
    add_layer(report, "streets", path.name, len(raw), len(out), rejects, warnings, 0.0)
    if out.empty:
        raise BuildError(f"{path.name}: 没有一条可用的街镇边界（全部被拒绝），无法落点；原因见报告。")
    # A street whose only row was rejected for its geometry is in the file: say so, not "missing".
    bad_geometry = sorted(set(names[check.rejected & names.notna()]) - set(out["name"]))
    if bad_geometry:
        report["warnings"].append({
            "layer": "streets", "file": path.name, "row": None, "column": "geometry",
            "value": "、".join(bad_geometry), "kind": "streets_geometry_rejected",
            "message": f"正式边界中有 {len(bad_geometry)} 个街镇的几何无效且无法安全修复（或不是面），已拒绝，"
                       f"未使用：{'、'.join(bad_geometry)}；原因见拒绝清单，其范围内的坐标无法落入这些街镇 "
                       "(streets present in the file but rejected for their geometry)"})
    missing = sorted(set(CODE_BY_NAME) - set(out["name"]) - set(bad_geometry))
    if missing:
        report["warnings"].append({"layer": "streets", "file": path.name, "row": None, "column": "name",
                                   "value": "、".join(missing), "kind": "streets_missing",
                                   "message": f"正式边界中缺少 {len(missing)} 个街镇：{'、'.join(missing)}"})
    return out.sort_values("code").reset_index(drop=True)


def _official_zones(path: Path, streets: gpd.GeoDataFrame, report: dict) -> gpd.GeoDataFrame:
    table = read_layer_file("zones", path)
    raw = table.frame
    if not isinstance(raw, gpd.GeoDataFrame):
        raise BuildError(f"{path.name}: 功能区边界必须是带几何的文件（.geojson/.gpkg/.zip Shapefile）。")
    cleaned = clean_layer(table)
    frame = cleaned.frame
    problems = Problems(frame.index)
    check = _check_polygons(gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS), problems)
    keep = ~problems.rejected
    geometry = check.geometry
    out = gpd.GeoDataFrame({
        "zone_id": frame["zone_id"], "name": frame["name"],
        "name_en": frame.get("name_en"), "kind": frame.get("kind"),
        "area_km2": geometry.to_crs(METRIC_CRS).area / 1e6,
        "precision": frame.get("precision", pd.Series(None, index=frame.index)).fillna("official"),
        "source": path.name,
    }, geometry=geometry, crs=STORAGE_CRS).loc[keep]
    rejects = pd.concat([cleaned.rejects, _geometry_rejects("zones", path, frame, problems)], ignore_index=True)
    labels = frame["name"].fillna(frame["zone_id"]).astype(str) + "（" + frame["zone_id"].astype(str) + "）"
    warnings = [*cleaned.warnings, *_repair_warnings("zones", path, frame, check, labels, keep)]
    add_layer(report, "zones", path.name, len(raw), len(out), rejects, warnings, 0.0)
    if out.empty:
        raise BuildError(f"{path.name}: 没有一条可用的功能区边界（全部被拒绝），无法判断功能区归属；原因见报告。"
                         "请修正该文件，或移除它以使用内置示意边界 (no usable zone polygon in the file).")
    return out.reset_index(drop=True)


def _provenance(files: dict[str, Path]) -> dict:
    bundled = boundaries.load_provenance()
    out = {}
    for layer in ("district", "streets", "zones"):
        if layer in files:
            out[layer] = {"title": f"{layer} (正式文件 official file)", "source": files[layer].name,
                          "precision": "official", "licence": "由数据提供单位确定",
                          "display_zh": f"{layer} 边界来自正式文件 {files[layer].name}"}
        else:
            out[layer] = bundled.get(layer, {})
    if "streets" in files:
        out["district"] = {"title": "区界 (由正式街镇边界合并)", "source": files["streets"].name,
                           "precision": "official", "display_zh": "区界由正式街镇边界合并而成"}
    return out
