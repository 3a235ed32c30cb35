"""XLSX written row block by row block (a million rows without holding a workbook in memory)."""
from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.exports.formats import _FORMULA_START

_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _xlsx_text(text: str) -> str:
    """Text an XLSX cell can hold (control characters removed)."""
    return _ILLEGAL.sub("", text)


# ---------------------------------------------------------------- XLSX, streamed
# A minimal SpreadsheetML writer: rows go to the sheet's XML file as they come (a million rows
# never sit in memory), cells as whole columns of strings (fast), real numbers and dates with
# number formats, text as inline strings. openpyxl reads it back (and Excel and WPS open it).
_XLSX_EPOCH = np.datetime64("1899-12-30T00:00:00", "ms")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _escape(series: pd.Series) -> pd.Series:
    text = series.astype("string")
    if text.str.contains(r"[&<>]", regex=True).any():
        text = text.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False)
        text = text.str.replace(">", "&gt;", regex=False)
    if text.str.contains(_ILLEGAL.pattern, regex=True).any():
        text = text.str.replace(_ILLEGAL.pattern, "", regex=True)
    return text.astype(object)


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class XlsxStyles:
    """The number formats a workbook's cells use: format text -> cell style index."""

    def __init__(self) -> None:
        self.formats: dict[str, int] = {}

    def index(self, fmt: str) -> int:
        if fmt not in self.formats:
            self.formats[fmt] = len(self.formats) + 2   # 0: plain, 1: header
        return self.formats[fmt]

    def xml(self) -> str:
        builtin = {"0": 1, "#,##0": 3}
        custom = {fmt: 164 + i for i, fmt in enumerate(f for f in self.formats if f not in builtin)}
        num_fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{html_escape(f)}"/>' for f, i in custom.items())
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
               '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>']
        for fmt in self.formats:
            xfs.append(f'<xf numFmtId="{builtin.get(fmt) or custom[fmt]}" fontId="0" fillId="0" borderId="0" '
                       'xfId="0" applyNumberFormat="1"/>')
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
                + (f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>' if custom else "")
                + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
                '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>")


class XlsxSheetWriter:
    """One worksheet's XML, written a chunk of rows at a time; the header row bold and frozen."""

    def __init__(self, path: Path, headers: list[str], widths: list[int] | None = None,
                 styles: XlsxStyles | None = None) -> None:
        self.path, self.styles = path, styles or XlsxStyles()
        self.letters = [_column_letter(i) for i in range(len(headers))]
        self.rows = 1
        self._handle = open(path, "w", encoding="utf-8")
        widths = widths or [min(max(len(h) * 2 + 2, 10), 40) for h in headers]
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        self._handle.write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_RNS}">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")
        head = "".join(f'<c r="{letter}1" s="1" t="inlineStr"><is><t xml:space="preserve">{html_escape(h)}</t></is></c>'
                       for letter, h in zip(self.letters, headers))
        self._handle.write(f'<row r="1">{head}</row>\n')

    # each returns a column of cell bodies ("" for an empty cell): attributes after r, then content
    def number_cells(self, series: pd.Series, fmt: str) -> pd.Series:
        style = self.styles.index(fmt)
        text = series.astype("string").astype(object)
        return (f' s="{style}"><v>' + text + "</v></c>").where(series.notna(), "")

    def date_cells(self, series: pd.Series, fmt: str) -> pd.Series:
        style = self.styles.index(fmt)
        days = (series.to_numpy(dtype="datetime64[ms]") - _XLSX_EPOCH) / np.timedelta64(86_400_000, "ms")
        text = pd.Series(np.round(days, 8), index=series.index).astype("string").astype(object)
        return (f' s="{style}"><v>' + text + "</v></c>").where(series.notna(), "")

    def bool_cells(self, series: pd.Series) -> pd.Series:
        values = series.astype("boolean")
        text = values.map({True: "1", False: "0"}).astype(object)
        return (' t="b"><v>' + text + "</v></c>").where(values.notna(), "")

    def text_cells(self, series: pd.Series) -> pd.Series:
        missing = series.isna()
        text = _escape(series.astype(object).where(~missing, "").astype(str))
        return (' t="inlineStr"><is><t xml:space="preserve">' + text + "</t></is></c>").where(~missing, "")

    def append(self, columns: list[pd.Series]) -> None:
        """Rows made of the cell columns (one per header, all of the same length)."""
        n = len(columns[0]) if columns else 0
        if not n:
            return
        numbers = range(self.rows + 1, self.rows + n + 1)
        cells = [[f'<c r="{letter}{r}"{body}' if body else "" for r, body in zip(numbers, column.tolist())]
                 for letter, column in zip(self.letters, columns)]
        self._handle.write("".join([f'<row r="{r}">' + "".join(parts) + "</row>\n"
                                    for r, *parts in zip(numbers, *cells)]))
        self.rows += n

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.write("</sheetData></worksheet>")
            self._handle.close()


def write_xlsx(path: Path, sheets: list[tuple[str, XlsxSheetWriter]], props: Mapping[str, str]) -> None:
    """Put the written sheets, their styles and the document properties into the XLSX at ``path``."""
    for _name, sheet in sheets:
        sheet.close()
    styles = sheets[0][1].styles
    names = [html_escape(n, quote=True) for n, _ in sheets]
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" xmlns:r="{_RNS}">'
                "<sheets>" + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                                     for i, n in enumerate(names, 1)) + "</sheets></workbook>")
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    workbook_rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}">'
                     + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                               for i in range(1, len(sheets) + 1))
                     + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
                     "</Relationships>")
    root_rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}">'
                 f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                 'metadata/core-properties" Target="docProps/core.xml"/></Relationships>')
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
             f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>'
                       for i in range(1, len(sheets) + 1))
             + '<Override PartName="/docProps/core.xml" '
             'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>')
    fields = "".join(f"<{tag}>{html_escape(_xlsx_text(str(props[key])))}</{tag}>" for key, tag in
                     (("title", "dc:title"), ("creator", "dc:creator"), ("description", "dc:description"),
                      ("keywords", "cp:keywords")) if props.get(key))
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' + fields + "</cp:coreProperties>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("docProps/core.xml", core)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        zf.writestr("xl/styles.xml", styles.xml())
        for i, (_name, sheet) in enumerate(sheets, 1):
            zf.write(sheet.path, f"xl/worksheets/sheet{i}.xml")


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text
