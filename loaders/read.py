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
from dataclasses import dataclass, field, replace
from pathlib import Path

import charset_normalizer
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter

from geodata.crs import STORAGE_CRS, check_crs
from loaders.errors import BuildError
from loaders.report import Warning
from loaders.schema import ALL_LAYERS, INPUT_COLUMNS, POINT_LAYERS, SOURCE_ROW, UNIT_FACTORS, Column

TABLE_SUFFIXES = (".csv", ".xlsx")
GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
ACCEPTED_SUFFIXES = TABLE_SUFFIXES + GEO_SUFFIXES
HEADER_SCAN_ROWS = 15
_UNITS = ("亿元", "万元", "元")
FORMULA_REASON = "单元格是公式但没有计算结果（文件可能由程序生成）：请在 Excel/WPS 中打开并保存后再导入"
FORMULA_REASON_EN = ("The cell holds a formula with no computed value (the file was probably written by a program): "
                     "open the file in Excel/WPS, save it and import it again.")
# Header units in English, for messages.
UNITS_EN: dict[str, str] = {"亿元": "100 million yuan", "万元": "10,000 yuan", "元": "yuan"}
RESAVE_HINT = ("请在 Excel/WPS 或 GIS 软件（如 QGIS）中打开并重新保存后再导入 "
               "(please open it in Excel/WPS or GIS software and save it again)")


@dataclass
class LayerTable:
    """One layer read from one file.

    ``frame`` has canonical column names, text values, ``source_row``; and
    ``geometry`` when the file had one. ``units`` maps a column to the unit its header
    declared. ``formulas`` names the XLSX cells that hold a formula but no computed value
    (a file written by a program, never opened in Excel/WPS); ``formula_texts`` gives
    them per column, and ``clean`` rejects those rows with ``FORMULA_REASON`` (``_EN``).
    """
    layer: str
    path: Path
    frame: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    # XLSX cells holding a formula with no computed value: (source_row, column) -> "=..."
    formulas: dict[tuple[int, str], str] = field(default_factory=dict)
    # What a person should know about the file: columns ignored, encoding, header units,
    # what was repaired or assumed (NUL characters removed, polygons placed by a point).
    notes: list[Warning] = field(default_factory=list)


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


def alias_table(columns: tuple[Column, ...]) -> dict[str, str]:
    """Every accepted header spelling (normalised) -> canonical column name."""
    table: dict[str, str] = {}
    for col in columns:
        for alias in (col.name, *col.aliases):
            table[normalise_header(alias)[0]] = col.name
    return table


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the bytes look like UTF-16 with no byte-order mark.

    ASCII text in UTF-16 (digits, commas, line ends) has a zero byte in every other
    position; in any 8-bit encoding zero bytes are rare and not so aligned.
    """
    sample = data[:20_000]
    if len(sample) < 4 or sample.count(0) < len(sample) // 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 9 * max(even, 1) or (even == 0 and odd > 0):
        candidate = "utf-16-le"
    elif even >= 9 * max(odd, 1) or (odd == 0 and even > 0):
        candidate = "utf-16-be"
    else:
        return None
    try:
        data[: len(data) - len(data) % 2].decode(candidate)
    except UnicodeDecodeError:
        return None
    return candidate


def _decode_csv(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" as Excel saves it: UTF-16
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise BuildError(f"{path.name}: 文件以 UTF-16 标记开头，但第 {exc.start} 字节处无法解码，文件可能已损坏。"
                             "请在 Excel/WPS 中打开并另存为 “CSV UTF-8” 或 CSV 格式 "
                             "(UTF-16 file that does not decode: save it again as CSV UTF-8).") from exc
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data[: len(data) - len(data) % 2].decode(utf16), utf16
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


def _grid_from_csv(path: Path, notes: list[Warning] | None = None) -> tuple[pd.DataFrame, str]:
    fast = _utf8_arrow_grid(path) if path.suffix.lower() == ".csv" else None
    if fast is not None:
        return fast
    text, encoding = _decode_csv(path)
    if "\x00" in text:
        # A NUL character is never part of an agency's value (it is damage, or a
        # fragment of another encoding); a store cannot hold it (PostgreSQL refuses it,
        # a GeoPackage cuts the text there). Remove it and say so.
        count = text.count("\x00")
        text = text.replace("\x00", "")
        if notes is not None:
            notes.append(Warning(file=path.name, kind="file_repaired", count=count,
                                 message=f"文件中有 {count} 个空字符（NUL，\\x00），已删除；文件可能已损坏，请核对",
                                 message_en=f"{count:,} NUL {'character' if count == 1 else 'characters'} (\\x00) "
                                            "removed from the file; it may be damaged, please check it."))
    if not text.strip():
        raise BuildError(f"{path.name}: 文件是空的（没有表头和数据行）。请放入有内容的文件，"
                         "或者删除这个文件 (the file is empty).")
    grid = _arrow_grid(text) if path.suffix.lower() == ".csv" else None
    if grid is not None:
        return grid, encoding
    try:
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=False, sep=None if path.suffix == ".txt" else ",",
                           engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        if "Expected" not in str(exc):
            raise BuildError(f"{path.name}: CSV 格式错误，无法读取（{' '.join(str(exc).split())}）。"
                             "请检查分隔符和引号。") from exc
        grid = _ragged_grid(path, text)  # rows of unequal length: a title line above the header...
    return grid, encoding


# Columns a CSV may have for the fast path (more are read by pandas' parser).
_ARROW_MAX_COLUMNS = 512


def _utf8_arrow_grid(path: Path) -> tuple[pd.DataFrame, str] | None:
    """The grid of a plain UTF-8 CSV (a BOM or none), its bytes handed to pyarrow as they are:
    what ``_decode_csv`` then ``_arrow_grid`` give, without decoding and re-encoding the file
    (pyarrow checks that the text is UTF-8). None for anything else (a NUL, UTF-16, another
    encoding, a file pyarrow refuses): the general path reads, repairs and words it."""
    import codecs

    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    body = memoryview(data)[3:] if bom else memoryview(data)
    if b"\x00" in data or data.startswith((b"\xff\xfe", b"\xfe\xff")) or not data[:1 << 16].strip():
        return None
    try:   # the head as UTF-8 (a character cut at its end waits): another encoding is told at once
        head = codecs.getincrementaldecoder("utf-8")().decode(bytes(body[:1 << 16]), final=False)
    except UnicodeDecodeError:
        return None
    grid = _arrow_grid_bytes(body, head)
    return None if grid is None else (grid, "utf-8-sig" if bom else "utf-8")


def _arrow_grid(text: str) -> pd.DataFrame | None:
    """``_arrow_grid_bytes`` of decoded text."""
    return _arrow_grid_bytes(text.encode("utf-8"), text[:1 << 16])


def _arrow_grid_bytes(data: bytes | memoryview, head: str) -> pd.DataFrame | None:
    """The CSV's cells as text, parsed by pyarrow (multi-threaded, ~10x pandas' C parser on 1M rows).

    The same grid as ``pd.read_csv(header=None, dtype=str, keep_default_na=False)`` for a
    rectangular file (every row has the header's number of fields; blanks stay ""). Returns
    None when the file is not that simple (rows of unequal length, blank lines, one column,
    anything pyarrow refuses): the pandas path then reads it and words its errors.
    """
    import csv

    import pyarrow as pa
    import pyarrow.csv as pa_csv

    try:
        width = len(next(csv.reader(io.StringIO(head))))
    except (csv.Error, StopIteration):
        return None
    if not 1 < width <= _ARROW_MAX_COLUMNS:
        return None  # one column (a blank line is then a value), or very wide: the pandas path
    names = [str(i) for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    grid = pd.DataFrame({i: pd.Series(table.column(i), dtype="str") for i in range(width)})
    return grid


def _ragged_grid(path: Path, text: str) -> pd.DataFrame:
    """A CSV whose rows have different numbers of fields, when only short rows differ.

    A title line (``2024年重大项目表``) or Excel's ``sep=,`` line above the header has
    fewer fields than the table: those rows are padded. A row with *more* fields than
    the table is refused with its row number: its values would land in the wrong
    columns (usually a comma inside a value that is not in quotes).
    """
    import csv

    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise BuildError(f"{path.name}: CSV 格式错误，无法读取（{exc}）。请检查分隔符和引号。") from exc
    widths = pd.Series([len(r) for r in rows if r])
    width = int(widths.mode().min()) if len(widths) else 0  # the most common row length
    for number, row in enumerate(rows, start=1):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise BuildError(f"{path.name}: 第 {number} 行有 {len(row)} 个值，多于表格的 {width} 列，"
                             "多半是某个值里含有逗号却没有加引号。请在 Excel/WPS 中打开核对这一行后另存为 CSV "
                             f"(row {number} has more fields than the table).")
    return pd.DataFrame([row[:width] + [""] * (width - len(row)) for row in rows], dtype=object)


def _grid_from_xlsx(path: Path) -> tuple[pd.DataFrame, dict[tuple[int, int], str]]:
    """The first sheet's cells as text, and its formulas that have no computed value.

    Cells are read with ``data_only=True``: a formula cell gives the value Excel/WPS
    computed and saved with it. A file written by a program (openpyxl, a script) holds
    the formula only, which reads as empty; those cells are returned separately,
    ``(grid row, grid column) -> "=formula"``, so that they are not taken for blanks.
    """
    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise BuildError(f"{path.name}: 无法打开 Excel 文件（{type(exc).__name__}: {exc}）。"
                         "请确认是 .xlsx 格式且未损坏、未加密；" + RESAVE_HINT + "。") from exc
    if not book.worksheets:
        raise BuildError(f"{path.name}: Excel 文件中没有工作表 (no worksheet)。" + RESAVE_HINT + "。")
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
    try:
        formulas = _uncomputed_formulas(path)
    except Exception:  # noqa: BLE001 - an extra check: a file openpyxl read stays readable
        formulas = {}
    formulas = {(r, c): text for (r, c), text in formulas.items()
                if r < len(rows) and c < len(rows[r]) and rows[r][c] is None}
    return grid.map(_cell_text), formulas


_XLSX_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The archive member of the workbook's first worksheet (the one openpyxl reads first)."""
    import posixpath
    from xml.etree import ElementTree

    def rels_of(part: str) -> dict[str, tuple[str, str]]:
        folder, name = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", name + ".rels")
        if rels_name not in archive.namelist():
            return {}
        out = {}
        for rel in ElementTree.fromstring(archive.read(rels_name)):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            out[rel.get("Id")] = (rel.get("Type", ""), target)
        return out

    root_rels = rels_of("")
    book_part = next((t for kind, t in root_rels.values() if kind.endswith("/officeDocument")), "xl/workbook.xml")
    if book_part not in archive.namelist():
        return None
    rels = rels_of(book_part)
    for element in ElementTree.fromstring(archive.read(book_part)).iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        kind, target = rels.get(rid, ("", ""))
        if kind.endswith("/worksheet") and target in archive.namelist():
            return target
    return None


def _uncomputed_formulas(path: Path) -> dict[tuple[int, int], str]:
    """``(grid row, grid column) -> "=formula"`` for the first sheet's formula cells with no value.

    A cell is ``<c><f>formula</f><v>cached value</v></c>``; Excel and WPS always save the
    value; a program may not (openpyxl writes ``<v/>``). An empty value with ``t="str"``
    is a formula that computed an empty text (``=IF(A2="","",A2)``), not a missing value.
    """
    from xml.etree import ElementTree

    from openpyxl.formula.translate import Translator
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    with zipfile.ZipFile(path) as archive:
        part = _first_sheet_part(archive)
        if part is None:
            return {}
        data = archive.read(part)
    if not _XLSX_FORMULA.search(data):
        return {}  # the usual case: no formula at all, nothing more to read
    found: dict[tuple[int, int], str] = {}
    shared: dict[str, tuple[str, str]] = {}  # shared formula id -> (formula, its cell)
    row = 0
    col = 0
    for _, element in ElementTree.iterparse(io.BytesIO(data)):
        tag = _local(element.tag)
        if tag == "row":
            element.clear()
            continue
        if tag != "c":
            continue
        ref = element.get("r")
        if ref:
            letters, number = coordinate_from_string(ref)
            row, col = number, column_index_from_string(letters)
        else:  # cells may omit their reference: they follow one another
            col += 1
        children = {_local(child.tag): child for child in element}
        formula, value = children.get("f"), children.get("v")
        if formula is not None:
            text = formula.text or ""
            sid = formula.get("si")
            cell = f"{get_column_letter(col)}{row}"
            if text and sid is not None:
                shared[sid] = (text, cell)
            elif not text and sid in shared:
                master, origin = shared[sid]
                text = Translator("=" + master, origin=origin).translate_formula(cell)[1:]
            computed = value is not None and (bool(value.text) or element.get("t") == "str")
            if not computed:
                found[(row - 1, col - 1)] = "=" + text
        element.clear()
    return found


def formula_texts(table: LayerTable, column: str) -> pd.Series:
    """Per row of ``table.frame``: the formula without a computed value in ``column``, else NaN."""
    if not table.formulas:
        return pd.Series(np.nan, index=table.frame.index, dtype=object)
    cells = {row: text for (row, name), text in table.formulas.items() if name == column}
    return table.frame[SOURCE_ROW].map(cells).astype(object)


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


def _table_from_grid(layer: str, path: Path, grid: pd.DataFrame, encoding: str | None,
                     formula_cells: dict[tuple[int, int], str] | None = None,
                     notes: list[Warning] | None = None) -> LayerTable:
    aliases = alias_table(INPUT_COLUMNS[layer])
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
    frame = pd.DataFrame({name: _stripped(data.iloc[:, col]) for name, col in keep.items()})
    frame[SOURCE_ROW] = np.arange(header_row + 2, header_row + 2 + len(data))
    # (spreadsheet row, column) of the kept columns' formulas that have no value
    name_of = {col: name for name, col in keep.items()}
    formulas = {(r + 1, name_of[c]): text for (r, c), text in (formula_cells or {}).items()
                if r > header_row and c in name_of}
    blank = frame.drop(columns=SOURCE_ROW).eq("").all(axis=1) if keep else pd.Series(True, index=frame.index)
    blank &= ~frame[SOURCE_ROW].isin([row for row, _ in formulas])  # a formula is not a blank
    frame = frame.loc[~blank.to_numpy()].reset_index(drop=True)
    unit_map = {name: units[col] for name, col in keep.items() if units[col]}
    _require_columns(layer, path, frame)
    return LayerTable(layer, path, frame, unit_map, ignored, encoding, formulas, list(notes or []))


def _stripped(column: pd.Series) -> pd.Series:
    """``column.astype(str).str.strip()`` indexed from 0; for pyarrow-backed text, Arrow's trim
    on the column's buffers (what pandas' ``str.strip`` calls, without its wrapping: ~2x faster)."""
    chunks = getattr(column.array, "_pa_array", None)
    if chunks is not None and column.dtype == "str":
        import pyarrow.compute as pc
        return pd.Series(pc.utf8_trim_whitespace(chunks), dtype="str")
    return column.astype(str).str.strip().reset_index(drop=True)


def _require_columns(layer: str, path: Path, frame: pd.DataFrame) -> None:
    missing = [c for c in INPUT_COLUMNS[layer] if c.required and c.name not in frame.columns]
    if missing:
        wanted = "、".join(f"{c.name}（{c.aliases[0] if c.aliases else c.name}）" for c in missing)
        raise BuildError(f"{path.name}: 缺少必需的列 {wanted}。表头可用中文或英文，"
                         f"例如：{'、'.join(missing[0].aliases[:3]) or missing[0].name}。")


def _read_geo(path: Path) -> gpd.GeoDataFrame:
    target = path
    encoding = None
    if path.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise BuildError(f"{path.name}: 不是有效的 zip 压缩包（文件为空、未下载完整或已损坏）。"
                             "请重新打包 Shapefile 的 .shp、.shx、.dbf、.prj（及 .cpg）文件为 zip "
                             "(not a valid zip archive: zip the Shapefile's files again).") from exc
        with archive:
            names = archive.namelist()
            shp = [n for n in names if n.lower().endswith(".shp")]
            if not shp:
                inside = "、".join(names[:5]) + ("等" if len(names) > 5 else "") if names else "空"
                raise BuildError(f"{path.name}: 压缩包中没有 .shp 文件（内容：{inside}）。请把 Shapefile 的 .shp、.shx、"
                                 ".dbf、.prj（及 .cpg）一起打包为 zip，或改用 GeoJSON、GeoPackage "
                                 "(no .shp file in the zip).")
            has_cpg = any(n.lower().endswith(".cpg") for n in names)
        target = f"/vsizip/{path}/{shp[0]}"
        encoding = None if has_cpg else "latin1"
    elif path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        encoding = "latin1"
    try:
        gdf = pyogrio.read_dataframe(target, encoding=encoding)
    except Exception as exc:  # pyogrio/GDAL errors have several types
        raise BuildError(_geo_error(path, exc)) from exc
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


def _geo_error(path: Path, exc: Exception) -> str:
    """One paragraph for a geometry file GDAL cannot read: what it is, what to do."""
    detail = " ".join(str(exc).split()).replace(str(path.parent) + "/", "")
    kind = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".zip": "Shapefile",
            ".shp": "Shapefile"}.get(path.suffix.lower(), "地理数据")
    if "not recognized as being in a supported file format" in detail or "not recognized as a supported" in detail:
        what = f"文件不是可读的 {kind} 格式（可能为空、已损坏或其实是别的格式）"
        if path.suffix.lower() == ".shp":
            what += "；单独的 .shp 文件需要同名的 .shx、.dbf、.prj 放在一起，最好打包为 .zip"
    else:
        what = f"{kind} 文件无法读取（{detail[:300]}）"
    return (f"{path.name}: {what}。请在 GIS 软件（如 QGIS、ArcGIS）中打开并重新导出为 GeoJSON、GeoPackage "
            f"或 Shapefile（.zip）后再导入 (cannot read this {kind} file: "
            "open it in GIS software and export it again).")


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
    if gdf.empty and not [c for c in gdf.columns if c != "geometry"]:
        raise BuildError(f"{path.name}: 文件中没有任何要素，也没有属性列，无法作为 {layer} 图层读取。"
                         "如果这个图层确实没有数据，请删除这个文件；否则请在 GIS 软件中重新导出 "
                         "(the file holds no features).")
    if "geometry" in gdf.columns and gdf.geometry.notna().any():
        try:
            check_crs(gdf.crs, path.name)
        except ValueError as exc:
            raise BuildError(str(exc)) from None
        gdf = gdf.to_crs(STORAGE_CRS)
    aliases = alias_table(INPUT_COLUMNS[layer])
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
    notes: list[Warning] = []
    if "geometry" in gdf.columns and layer in POINT_LAYERS:
        frame = _coords_from_geometry(frame, gdf.geometry)
        notes += _representative_point_notes(path, gdf.geometry)
    elif "geometry" in gdf.columns:
        frame = gpd.GeoDataFrame(frame, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    _require_columns(layer, path, frame)
    return LayerTable(layer, path, frame, units, ignored, None, notes=notes)


def _representative_point_notes(path: Path, geometry: gpd.GeoSeries) -> list[Warning]:
    """A point layer read from polygons (a community's outline) is placed by each feature's
    representative point (``point_on_surface``, always inside it): said once per file."""
    geom = geometry.to_numpy()
    other = ~(shapely.is_missing(geom) | shapely.is_empty(geom)) & (shapely.get_type_id(geom) != 0)
    count = int(other.sum())
    if not count:
        return []
    kinds = "、".join(sorted(set(geometry[other].geom_type)))
    return [Warning(file=path.name, column="geometry", value=kinds, count=count, kind="representative_point",
                    message=f"{count} 个要素不是点（{kinds}），已按其代表点（面内一点，point_on_surface）落点并保存该点",
                    message_en=f"{count:,} {'feature is not a point' if count == 1 else 'features are not points'} "
                               f"({kinds.replace('、', ', ')}): each is placed by its representative point (a point "
                               "inside it, point_on_surface), and that point is stored.")]


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
    """Read one input file of ``layer``; raise :class:`BuildError` when it cannot be read.

    Whatever goes wrong while reading, the error names the file and says what to do:
    a damaged or unexpected file must not end the build in a traceback.
    """
    try:
        table = _read_layer_file(layer, path)
    except BuildError:
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise BuildError(_geo_error(path, exc)) from exc
    except zipfile.BadZipFile as exc:
        raise BuildError(f"{path.name}: 文件已损坏或不是它的扩展名所说的格式（{exc}）。{RESAVE_HINT}。") from exc
    except UnicodeError as exc:
        raise BuildError(f"{path.name}: 文件中有无法解码的文字（{exc}）。请另存为 UTF-8 或 GBK 编码；"
                         f"{RESAVE_HINT}。") from exc
    except OSError as exc:
        raise BuildError(f"{path.name}: 无法打开文件（{exc.strerror or exc}）：文件可能正被其他程序（如 Excel）"
                         "占用或没有读取权限。请关闭该程序或检查权限后重试 (cannot open the file).") from exc
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise BuildError(f"{path.name}: 文件内容的结构无法识别（{type(exc).__name__}: {detail}）。"
                         f"{RESAVE_HINT}。") from exc
    except Exception as exc:  # noqa: BLE001 - the last resort: still name the file
        detail = " ".join(str(exc).split())[:200]
        raise BuildError(f"{path.name}: 读取文件时出错（{type(exc).__name__}: {detail}）。{RESAVE_HINT}。") from exc
    table.notes = [replace(w, layer=layer) for w in (*_file_warnings(table), *table.notes)]
    return table


def _file_warnings(table: LayerTable) -> list[Warning]:
    """What reading decided about the whole file: columns ignored, its encoding, header units."""
    file = table.path.name
    notes = []
    if table.ignored_columns:
        n = len(table.ignored_columns)
        notes.append(Warning(file=file, value="、".join(table.ignored_columns), kind="ignored_columns",
                             message=f"未识别的列已忽略：{'、'.join(table.ignored_columns)}",
                             message_en=f"{'An unrecognised column was' if n == 1 else f'{n} unrecognised columns were'}"
                                        " ignored: " + ", ".join(f"“{c}”" for c in table.ignored_columns) + "."))
    if table.encoding and table.encoding not in ("utf-8", "utf-8-sig"):
        notes.append(Warning(file=file, value=table.encoding, kind="encoding",
                             message=f"文件编码识别为 {table.encoding}，已转换",
                             message_en=f"The file's encoding was recognised as {table.encoding} and converted."))
    for column, unit in table.units.items():
        notes.append(Warning(file=file, column=column, value=unit, kind="unit",
                             message=f"列 {column} 的单位为{unit}，已换算",
                             message_en=f"The column {column} is given in {UNITS_EN.get(unit, unit)}; its values "
                                        "have been converted."))
    return notes


def _read_layer_file(layer: str, path: Path) -> LayerTable:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        notes: list[Warning] = []
        grid, encoding = _grid_from_csv(path, notes)
        return _table_from_grid(layer, path, grid, encoding, notes=notes)
    if suffix == ".xlsx":
        grid, formulas = _grid_from_xlsx(path)
        return _table_from_grid(layer, path, grid, None, formulas)
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
