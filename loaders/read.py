"""Read agency files into frames of text: encodings, title rows, merged headers, aliases.

``read_layer_file`` is the edge: it opens one file and returns a frame whose columns
are the canonical names of ``schema`` (unknown columns dropped and reported), every
value still text, plus ``source_row`` (1-based, as a spreadsheet shows it). Geometry
files keep their geometry, converted to EPSG:4326.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from openpyxl import load_workbook

from geodata.crs import STORAGE_CRS, check_crs
from loaders.errors import BuildError
from loaders.schema import (ALL_LAYERS, GEOMETRY_INPUT_COLUMNS, INPUT_COLUMNS, SOURCE_ROW,
                            UNIT_FACTORS, InputColumn)

TABLE_SUFFIXES = (".csv", ".xlsx")
GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
ACCEPTED_SUFFIXES = TABLE_SUFFIXES + GEO_SUFFIXES
HEADER_SCAN_ROWS = 15
_UNITS = ("亿元", "万元", "元")


@dataclass
class LayerTable:
    """One layer read from one file.

    ``frame`` has canonical column names, text values, ``source_row``; and
    ``geometry`` when the file had one. ``units`` maps a column to the unit its header
    declared. ``crs_declared`` says whether the geometry came with a CRS.
    """
    layer: str
    path: Path
    frame: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None


def find_layer_files(source: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each layer to its file in ``source``; also list files that match no layer."""
    if not source.is_dir():
        raise BuildError(f"数据目录不存在或不是文件夹：{source}（source folder not found）。"
                         "请用 --source 指定包含 projects.* / enterprises.* 等文件的文件夹。")
    found: dict[str, Path] = {}
    unknown: list[str] = []
    for path in sorted(source.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix.lower() in (".cpg", ".dbf", ".shx", ".prj", ".qix", ".sbn", ".sbx", ".xml") \
                and path.with_suffix(".shp").exists():
            continue  # the sidecar files of a Shapefile
        layer = path.stem.lower()
        if layer not in ALL_LAYERS or path.suffix.lower() not in ACCEPTED_SUFFIXES:
            unknown.append(path.name)
            continue
        if layer in found:
            raise BuildError(f"图层 {layer} 有两个输入文件：{found[layer].name} 和 {path.name}；"
                             "每个图层只能有一个文件，请删除或改名其中一个。")
        found[layer] = path
    return found, unknown


def normalise_header(text: object) -> tuple[str, str | None]:
    """``'总投资（万元）'`` -> ``('总投资', '万元')``: NFKC, lower case, unit split off."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    value = re.sub(r"\s+", "", value)
    unit = None
    match = re.search(r"[(\[/]([^()\[\]/]*)[)\]]?$", value)
    if match and match.group(1) in _UNITS:
        unit, value = match.group(1), value[: match.start()]
    else:
        for candidate in _UNITS:
            if value.endswith(candidate) and len(value) > len(candidate) + 1:
                unit, value = candidate, value[: -len(candidate)]
                break
    value = re.sub(r"[(\[][^()\[\]]*[)\]]$", "", value) or value  # drop other notes: 经度(东经)
    return value, unit


def alias_table(columns: tuple[InputColumn, ...]) -> dict[str, str]:
    """Every accepted header spelling (normalised) -> canonical column name."""
    table: dict[str, str] = {}
    for col in columns:
        for alias in (col.name, *col.aliases):
            table[normalise_header(alias)[0]] = col.name
    return table


def _columns_for(layer: str) -> tuple[InputColumn, ...]:
    return INPUT_COLUMNS.get(layer) or GEOMETRY_INPUT_COLUMNS[layer]


def _decode_csv(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # A Chinese agency's non-UTF-8 file is GBK/GB18030 (Excel on a Chinese Windows);
        # statistical detection takes short GBK files for Korean (cp949), so try it first.
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:2_000_000]).best()
    encoding = (best.encoding if best else "gb18030").lower()
    if encoding in ("gbk", "gb2312", "cp936", "hz", "big5", "gb18030") or best is None:
        encoding = "gb18030"  # superset of GBK/GB2312: decodes what they decode and more
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise BuildError(f"{path.name}: 无法识别文件编码（试过 UTF-8、{encoding}），第 {exc.start} 字节处"
                         "无法解码。请另存为 UTF-8 或 GBK 编码的 CSV。") from exc


def _grid_from_csv(path: Path) -> tuple[pd.DataFrame, str]:
    text, encoding = _decode_csv(path)
    try:
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=False, sep=None if path.suffix == ".txt" else ",",
                           engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        raise BuildError(f"{path.name}: CSV 格式错误，无法读取（{exc}）。请检查分隔符和引号。") from exc
    return grid, encoding


def _grid_from_xlsx(path: Path) -> pd.DataFrame:
    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise BuildError(f"{path.name}: 无法打开 Excel 文件（{type(exc).__name__}: {exc}）。"
                         "请确认是 .xlsx 格式且未损坏、未加密。") from exc
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    # A merged cell holds its value in the top-left cell only: spread it over the range,
    # so a header merged across two rows or columns reads the same in every cell.
    for merged in sheet.merged_cells.ranges:
        value = rows[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row - 1, merged.max_row):
            for c in range(merged.min_col - 1, merged.max_col):
                rows[r][c] = value
    grid = pd.DataFrame(rows, dtype=object)
    return grid.map(_cell_text)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _locate_header(grid: pd.DataFrame, aliases: dict[str, str]) -> tuple[int, list[str | None], list[str | None]]:
    """Find the header row (the one naming most known columns) among the first rows.

    Returns the 0-based header row index, the canonical name per column (None when
    unknown) and the unit per column. A two-row header (merged group cells above) is
    read column by column: the lower row wins, the upper row fills in.
    """
    scan = grid.head(HEADER_SCAN_ROWS)
    parsed = [[normalise_header(v) for v in row] for row in scan.itertuples(index=False)]
    scores = [sum(1 for name, _ in row if name in aliases) for row in parsed]
    if not scores or max(scores) == 0:
        raise BuildError("找不到表头：前 15 行中没有一行包含已知列名（例如 项目编号、项目名称）。")
    best = max(range(len(scores)), key=lambda i: (scores[i], i))
    names: list[str | None] = []
    units: list[str | None] = []
    for col, (name, unit) in enumerate(parsed[best]):
        if name not in aliases and best > 0 and parsed[best - 1][col][0] in aliases:
            name, unit = parsed[best - 1][col]
        names.append(aliases.get(name))
        units.append(unit)
    return best, names, units


def _table_from_grid(layer: str, path: Path, grid: pd.DataFrame, encoding: str | None) -> LayerTable:
    aliases = alias_table(_columns_for(layer))
    try:
        header_row, names, units = _locate_header(grid, aliases)
    except BuildError as exc:
        raise BuildError(f"{path.name}: {exc}") from None
    data = grid.iloc[header_row + 1:]
    keep: dict[str, int] = {}
    ignored: list[str] = []
    for col, name in enumerate(names):
        raw = str(grid.iat[header_row, col])
        if name is None:
            if raw.strip():
                ignored.append(raw)
            continue
        if name in keep:
            raise BuildError(f"{path.name}: 第 {header_row + 1} 行表头中“{raw}”与另一列都对应 {name}，"
                             "无法判断用哪一列；请删除或改名其中一列。")
        keep[name] = col
    frame = pd.DataFrame({name: data.iloc[:, col].astype(str).str.strip().to_numpy()
                          for name, col in keep.items()})
    frame[SOURCE_ROW] = np.arange(header_row + 2, header_row + 2 + len(data))
    blank = frame.drop(columns=SOURCE_ROW).eq("").all(axis=1) if keep else pd.Series(True, index=frame.index)
    frame = frame.loc[~blank.to_numpy()].reset_index(drop=True)
    unit_map = {name: units[col] for name, col in keep.items() if units[col]}
    _require_columns(layer, path, frame)
    return LayerTable(layer, path, frame, unit_map, ignored, encoding)


def _require_columns(layer: str, path: Path, frame: pd.DataFrame) -> None:
    missing = [c for c in _columns_for(layer) if c.required and c.name not in frame.columns]
    if missing:
        wanted = "、".join(f"{c.name}（{c.aliases[0] if c.aliases else c.name}）" for c in missing)
        raise BuildError(f"{path.name}: 缺少必需的列 {wanted}。表头可用中文或英文，"
                         f"例如：{'、'.join(missing[0].aliases[:3]) or missing[0].name}。")


def _read_geo(path: Path) -> gpd.GeoDataFrame:
    target = path
    encoding = None
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            shp = [n for n in names if n.lower().endswith(".shp")]
            if not shp:
                raise BuildError(f"{path.name}: 压缩包中没有 .shp 文件。")
            has_cpg = any(n.lower().endswith(".cpg") for n in names)
        target = f"/vsizip/{path}/{shp[0]}"
        encoding = None if has_cpg else "latin1"
    elif path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        encoding = "latin1"
    try:
        gdf = pyogrio.read_dataframe(target, encoding=encoding)
    except Exception as exc:  # pyogrio/GDAL errors have several types
        raise BuildError(f"{path.name}: 无法读取地理数据文件（{exc}）。") from exc
    if encoding == "latin1":
        # No .cpg: GDAL read the bytes as Latin-1; recover the real text (GBK is the
        # usual encoding of Chinese government Shapefiles, UTF-8 the other one).
        for col in gdf.columns:
            # pandas 3 reads text as the "str" dtype, older versions as object.
            if col != "geometry" and (gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col])):
                gdf[col] = gdf[col].map(_recode_latin1)
        # Field names are bytes in the .dbf too (e.g. 功能区编号 in GBK).
        gdf = gdf.rename(columns={c: _recode_latin1(c) for c in gdf.columns if c != "geometry"})
    return gdf


def _recode_latin1(value: object) -> object:
    if not isinstance(value, str):
        return value
    raw = value.encode("latin1", errors="ignore")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return value


def _table_from_geo(layer: str, path: Path) -> LayerTable:
    gdf = _read_geo(path)
    if "geometry" in gdf.columns and gdf.geometry.notna().any():
        try:
            check_crs(gdf.crs, path.name)
        except ValueError as exc:
            raise BuildError(str(exc)) from None
        gdf = gdf.to_crs(STORAGE_CRS)
    aliases = alias_table(_columns_for(layer))
    rename: dict[str, str] = {}
    units: dict[str, str] = {}
    ignored: list[str] = []
    for col in gdf.columns:
        if col == "geometry":
            continue
        name, unit = normalise_header(col)
        if name in aliases and aliases[name] not in rename.values():
            rename[col] = aliases[name]
            if unit:
                units[aliases[name]] = unit
        else:
            ignored.append(col)
    frame = pd.DataFrame({new: gdf[old].map(_cell_text).astype(str).str.strip().to_numpy()
                          for old, new in rename.items()})
    frame[SOURCE_ROW] = np.arange(1, len(gdf) + 1)
    if "geometry" in gdf.columns and layer in INPUT_COLUMNS:
        frame = _coords_from_geometry(frame, gdf.geometry)
    elif "geometry" in gdf.columns:
        frame = gpd.GeoDataFrame(frame, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    _require_columns(layer, path, frame)
    return LayerTable(layer, path, frame, units, ignored, None)


def _coords_from_geometry(frame: pd.DataFrame, geometry: gpd.GeoSeries) -> pd.DataFrame:
    """A point layer read from a geometry file: its features' positions become lon/lat text.

    The geometry is already in EPSG:4326, so rows placed this way are WGS84 whatever the
    file's ``coord_sys`` column says (that column describes typed lon/lat values). Rows
    whose lon/lat cells are filled keep them; non-point features give a point on surface.
    """
    frame = frame.copy()
    geom = geometry.to_numpy()
    has_geom = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    points = shapely.point_on_surface(np.where(has_geom, geom, None))
    x = pd.Series(shapely.get_x(points), index=frame.index).round(9).astype(str)
    y = pd.Series(shapely.get_y(points), index=frame.index).round(9).astype(str)
    typed = pd.Series(False, index=frame.index)
    for col in ("lon", "lat"):
        if col in frame.columns:
            typed |= frame[col].ne("")
    use = pd.Series(has_geom, index=frame.index) & ~typed
    frame["lon"] = x.where(use, frame["lon"] if "lon" in frame.columns else "")
    frame["lat"] = y.where(use, frame["lat"] if "lat" in frame.columns else "")
    frame["coord_sys"] = pd.Series("wgs84", index=frame.index).where(
        use, frame["coord_sys"] if "coord_sys" in frame.columns else "")
    return frame


def read_layer_file(layer: str, path: Path) -> LayerTable:
    """Read one input file of ``layer``; raise :class:`BuildError` when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grid, encoding = _grid_from_csv(path)
        return _table_from_grid(layer, path, grid, encoding)
    if suffix == ".xlsx":
        return _table_from_grid(layer, path, _grid_from_xlsx(path), None)
    if suffix in GEO_SUFFIXES:
        return _table_from_geo(layer, path)
    raise BuildError(f"{path.name}: 不支持的文件格式 {suffix}；可用 .csv .xlsx .geojson .gpkg .zip(Shapefile)。")


def unit_factor(path: Path, column: str, header_unit: str | None, store_unit: str | None) -> float:
    """Factor from the header's unit to the store's unit (1 when none declared)."""
    if not header_unit or not store_unit:
        return 1.0
    try:
        return UNIT_FACTORS[(header_unit, store_unit)]
    except KeyError:
        raise BuildError(f"{path.name}: 列 {column} 的单位“{header_unit}”无法换算为{store_unit}。") from None
