"""The zone brief and the district deck: A4 landscape PDFs drawn offline from the store.

``python -m dashboard.brief --store TARGET --zone <zone_id>|all --out FILE.pdf [--lang zh|en]``
writes one zone's page, or with ``all`` the district deck (a cover comparing the zones, then
one page per zone in "4+4" order). The zone and meeting pages call :func:`draw_brief` on what
they read through the app's one door (:func:`assemble`); the command line reads the store itself
(:func:`read_brief_data`). No Streamlit here; the figures are the build's ``zone_stats`` through
:func:`dashboard.store.queries.zone_table`, written by :func:`dashboard.briefing.figures.metric_text` exactly as the KPI cards write them.

Why reportlab alone: it writes real PDF text with an embedded, subset TrueType font (so
Chinese is selectable and searchable), and its canvas draws the map and the chart as vector
paths (crisp on paper, no tiles, no raster step), which keeps a deck of eight well under a
second or two. Debian's Noto CJK fonts are CFF-based OpenType, which reportlab cannot embed,
so a TrueType CJK font is used (:mod:`dashboard.briefing.fonts`: a system WenQuanYi where
installed, else WenQuanYi Micro Hei from the PyPI package that requirements.txt pins).

Black and white: project status is told by marker shape (circle, triangle, square) as well as
colour, the pipeline's statuses by lightness and hatching, and each zone by its number.
"""
from __future__ import annotations

import dataclasses
import io
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import FILL_EVEN_ODD, Canvas

from dashboard import i18n
from dashboard.briefing import change, fonts
from dashboard.briefing.figures import (
    OVERVIEW,
    STATUS_ORDER,
    Kpi,
    district_figures,
    headline,
    kpis,
    metric_label,
    metric_text,
    needs_line,
    zone_figures,
)
from dashboard.i18n import t
from dashboard.maps import draw
from dashboard.store.errors import STORE_ERRORS
from dashboard.store.queries import (
    KPI_ROW_1,
    KPI_ROW_2,
    HotlineRate,
    district_totals,
    in_zones,
    pipeline_by_year,
    zone_colour,
    zone_name,
    zone_table,
)
from geodata.crs import METRIC_CRS
from loaders.schema import empty_layer
from loaders.store import open_store, redact_target

FONT = "BriefCJK"
PAGE_W, PAGE_H = landscape(A4)
MARGIN = 28.0
TOP_PROJECTS = 8
COVER_METRICS: tuple[str, ...] = ("projects", "investment", "enterprises", "service_package", "stations",
                                  "hotline_rate", "response_rate", "satisfaction_rate", "coverage",
                                  "projects_delayed")
INK = HexColor("#1d2b3a")
GREY = HexColor("#5f6b7a")
LIGHT = HexColor("#eef1f4")
RULE = HexColor("#c9cfd6")
MARK_FILL = HexColor("#fff4e5")
MARK_EDGE = HexColor("#b86e00")
_TOKENS = re.compile(r"[A-Za-z0-9.,:;%()'’/\-–+]+\s*|\s+|.")


class BriefError(Exception):
    """A brief cannot be made (unknown zone, unreadable store, no embeddable font): said kindly."""


# ---------------------------------------------------------------- reading (the edge)
@dataclass(frozen=True)
class BriefData:
    """What the briefs draw, read once from a store.

    ``zones``: :func:`dashboard.store.queries.zone_table` ("4+4" order, index zone_id);
    ``zone_polygons`` / ``streets``: the store's polygon layers; ``projects`` and their zone
    link rows ``members``; ``district``: :func:`dashboard.briefing.figures.district_figures`.
    """

    zones: pd.DataFrame
    zone_polygons: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    projects: gpd.GeoDataFrame
    members: pd.DataFrame
    district: dict[str, float | None]
    policy: HotlineRate
    built_at: pd.Timestamp | None
    sample: bool
    schematic: bool
    monthly: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)   # hotline_monthly
    history: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)   # stats_history
    as_of: str | None = None        # the build's date (stock figures are "as of" it)
    period: str | None = None       # the month of the 12345 figures (the latest with data)
    district_denominator: dict = dataclasses.field(default_factory=dict)   # the streets' population, area


def _read_table(store, name: str) -> pd.DataFrame:  # noqa: ANN001 - loaders.store.Store
    return pd.DataFrame(store.read(name)).drop(columns=["geometry"], errors="ignore")


def read_brief_data(store) -> BriefData:  # noqa: ANN001 - loaders.store.Store
    """Read what the briefs need from ``store`` (a :class:`loaders.store.Store`): for the command
    line, which has no page. The app reads through its one door (``dashboard.store.data``) and
    calls :func:`assemble` itself."""
    try:
        polygons, streets = store.read("zones"), store.read("streets")
        zone_stats, street_stats = _read_table(store, "zone_stats"), _read_table(store, "street_stats")
        projects = store.read("projects") if "projects" in store.layers() else empty_layer("projects")
        members = store.read_members("projects")
        report = store.read_report()
        layers = store.layers()
        monthly = _read_table(store, "hotline_monthly") if "hotline_monthly" in layers else pd.DataFrame()
        history = _read_table(store, "stats_history") if "stats_history" in layers else pd.DataFrame()
    except (*STORE_ERRORS, KeyError) as exc:
        raise BriefError(f"无法读取数据库 (cannot read the store) {redact_target(getattr(store, 'target', ''))}: "
                         f"{exc}") from exc
    return assemble(polygons, streets, zone_stats, street_stats, projects, members, report, monthly, history)


def assemble(polygons: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, zone_stats: pd.DataFrame,
             street_stats: pd.DataFrame, projects: gpd.GeoDataFrame, members: pd.DataFrame,
             report: dict, monthly: pd.DataFrame | None = None, history: pd.DataFrame | None = None) -> BriefData:
    """The briefs' data from the store's layers, however they were read."""
    monthly = monthly if monthly is not None else pd.DataFrame()
    months = change.months_available(monthly)
    policy = HotlineRate.from_street_stats(street_stats)
    precision = pd.concat([frame["precision"] for frame in (polygons, streets) if "precision" in frame])
    try:
        stamp = pd.Timestamp(report.get("built_at")) if report.get("built_at") else None
    except (ValueError, TypeError):
        stamp = None
    return BriefData(
        zones=zone_table(polygons, zone_stats, policy), zone_polygons=polygons, streets=streets, projects=projects,
        members=members.assign(record_id=members["record_id"].astype(str)),
        district=district_figures(district_totals(street_stats, policy), street_stats), policy=policy,
        built_at=None if stamp is None or pd.isna(stamp) else stamp,
        sample=bool(report.get("sample_data", True)), schematic=bool(precision.isin(["schematic", "coarse"]).any()),
        monthly=monthly, history=history if history is not None else pd.DataFrame(),
        as_of=str(report.get("as_of") or (stamp.strftime("%Y-%m-%d") if stamp is not None and not pd.isna(stamp)
                                           else "")) or None,
        period=months[-1] if months else None,
        district_denominator={"population": street_stats["population"].sum()
                              if len(street_stats) and street_stats["population"].notna().all() else None,
                              "area_km2": street_stats["area_km2"].sum() if "area_km2" in street_stats else None})


def _with_changes(items: Sequence[Kpi], figs: dict, lang: str, policy: HotlineRate) -> tuple[Kpi, ...]:
    """The KPIs with the period's 12345 figures and each one's 环比/同比 in its note."""
    out = []
    for kpi in items:
        fig = figs.get(kpi.metric)
        if fig is None:
            out.append(kpi)
            continue
        value = metric_text(kpi.metric, fig.value, lang, policy) if kpi.metric in change.DATED_METRICS else kpi.value
        note = " · ".join(x for x in (kpi.note, change.short_changes(fig, lang)) if x)
        out.append(dataclasses.replace(kpi, value=value, note=note))
    return tuple(out)


def _headline(base: dict, figs: dict, data: BriefData, lang: str, district: bool = False) -> str:
    """The page's one line, with the period's 12345 response rate (as the KPI boxes show it)."""
    month_rate = figs.get("response_rate")
    if data.period is not None and month_rate is not None and month_rate.value is not None:
        return headline({**base, "response_rate": month_rate.value}, lang, district=district, month=data.period)
    return headline(base, lang, district=district)


def _figures(data: BriefData, zone_id: str | None) -> dict:
    """Each KPI's figure (:func:`dashboard.briefing.change.area_figures`) for a zone or the district."""
    if zone_id is None:
        values, row, level = data.district, data.district_denominator, "street"
    else:
        row = data.zones.loc[zone_id]
        values, level = zone_figures(row), "zone"
    return change.area_figures(data.monthly, data.history, level, zone_id, data.period, values, row, data.policy,
                               data.as_of)


# ---------------------------------------------------------------- the public door
def brief_pdf(store, zone: str, lang: str = "zh") -> bytes:  # noqa: ANN001 - a target or a Store
    """The brief of ``zone`` (a zone_id), or with ``"all"`` the district deck, as PDF bytes.

    ``store`` is a ``.gpkg`` path / ``postgresql://`` URL or an open :class:`loaders.store.Store`.
    Raises :class:`BriefError` for an unknown zone, an unreadable store or no embeddable font.
    """
    return draw_brief(read_brief_data(open_store(store) if isinstance(store, str | os.PathLike) else store),
                      zone, lang)


def draw_brief(data: BriefData, zone: str, lang: str = "zh") -> bytes:
    """The brief of ``zone`` (or ``"all"``) from data already read, as PDF bytes."""
    if lang not in i18n.LANGS:
        raise BriefError(f"未知语言 {lang!r} (unknown language; expected one of {', '.join(i18n.LANGS)})")
    font = register_font()
    zone_ids = list(data.zones.index)
    if zone != OVERVIEW and zone not in zone_ids:
        raise BriefError(f"未找到功能区 {zone!r} (unknown zone); 可用 expected: {OVERVIEW}, {', '.join(zone_ids)}")
    return render(data, zone, lang, font)


def file_name(zone: str, built_at: pd.Timestamp | None) -> str:
    """The download's name: ``brief_lize_20261128.pdf`` / ``brief_all_20261128.pdf``."""
    day = built_at.strftime("%Y%m%d") if built_at is not None else "undated"
    return f"brief_{zone}_{day}.pdf"


def register_font() -> str:
    """Register the brief's CJK TrueType font (a system one where present, else the one
    requirements.txt brings: :mod:`dashboard.briefing.fonts`); its name for the canvas."""
    try:
        fonts.register_cjk_font(FONT)
    except fonts.FontMissing as exc:
        raise BriefError(str(exc)) from exc
    return FONT


# ---------------------------------------------------------------- the document
def render(data: BriefData, zone: str, lang: str, font: str = FONT) -> bytes:
    """Draw the brief (one zone) or the deck (``"all"``: cover + one page per zone)."""
    buffer = io.BytesIO()
    deck = zone == OVERVIEW
    title = t("br_deck_title", lang) if deck else t("br_zone_title", lang, zone=zone_name(data.zones, zone, lang))
    canvas = Canvas(buffer, pagesize=(PAGE_W, PAGE_H), invariant=1, initialFontName=font, initialFontSize=10,
                    pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(i18n.t("app_title", lang))
    canvas.setSubject(t("br_deck_subtitle", lang) if deck else headline(zone_figures(data.zones.loc[zone]), lang))
    pages = [OVERVIEW, *data.zones.index] if deck else [zone]
    pen = Pen(canvas, font)
    for number, key in enumerate(pages, start=1):
        if key == OVERVIEW:
            _cover_page(pen, data, lang)
        else:
            _zone_page(pen, data, key, lang)
        _footer(pen, data, lang, number, len(pages))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class Pen:
    """The canvas with the brief's font and a few drawing habits (fit, fake bold, halo)."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.c = canvas
        self.font = font

    def width(self, text: str, size: float) -> float:
        return pdfmetrics.stringWidth(text, self.font, size)

    def fit(self, text: str, size: float, width: float) -> str:
        """``text`` cut with an ellipsis to fit ``width`` points."""
        if self.width(text, size) <= width:
            return text
        while text and self.width(text + "…", size) > width:
            text = text[:-1]
        return text + "…"

    def text(self, x: float, y: float, text: str, size: float, colour: Color = INK, bold: bool = False,
             anchor: str = "left", halo: bool = False) -> None:
        c = self.c
        w = self.width(text, size)
        x = x - w / 2 if anchor == "centre" else x - w if anchor == "right" else x
        if halo:  # a pale box, not a stroked copy: a copy would be extracted (and searched) twice
            c.saveState()
            c.setFillColor(white)
            c.setFillAlpha(0.78)
            c.roundRect(x - 1.5, y - size * 0.3, w + 3, size * 1.25, 1.5, stroke=0, fill=1)
            c.restoreState()
        c.saveState()
        c.setFillColor(colour)
        c.setStrokeColor(colour)
        obj = c.beginText(x, y)
        obj.setFont(self.font, size)
        if bold:  # one weight in the font: fill and stroke thicken it, and it stays real text
            c.setLineWidth(size * 0.035)
            obj.setTextRenderMode(2)
        obj.textOut(text)
        c.drawText(obj)
        c.restoreState()

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Lines of ``text`` no wider than ``width``: Latin words stay whole, Chinese breaks anywhere."""
        lines, line = [], ""
        for token in _TOKENS.findall(text):
            if self.width(line + token, size) > width and line.strip():
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        return [*lines, line] if line.strip() else lines


# ---------------------------------------------------------------- page furniture
def _as_of(data: BriefData, lang: str) -> str:
    if data.built_at is None:
        return i18n.t("data_as_of_unknown", lang)
    return i18n.t("data_as_of", lang, time=data.built_at.strftime("%Y-%m-%d %H:%M"))


def _header(pen: Pen, data: BriefData, lang: str, title: str, subtitle: str, colour: str, line: str) -> None:
    c = pen.c
    top = PAGE_H - MARGIN
    c.setFillColor(HexColor(colour))
    c.rect(MARGIN, top - 40, 7, 40, stroke=0, fill=1)
    marks = [t("br_sample", lang)] if data.sample else []
    marks += [t("br_schematic", lang)] if data.schematic else []
    marks_w = max((pen.width(m, 8) for m in marks), default=0) + 12
    pen.text(MARGIN + 15, top - 21, pen.fit(title, 20, PAGE_W - 2 * MARGIN - marks_w - 30), 20, bold=True)
    pen.text(MARGIN + 15, top - 37, f"{subtitle}  ·  {_as_of(data, lang)}", 9.5, GREY)
    for i, mark in enumerate(marks):  # boxed, dashed, top right: a copy must not lose them
        y = top - 15 - i * 17
        c.saveState()
        c.setFillColor(MARK_FILL)
        c.setStrokeColor(MARK_EDGE)
        c.setLineWidth(0.9)
        c.setDash(2.5, 1.5)
        c.rect(PAGE_W - MARGIN - marks_w, y - 4, marks_w, 14, stroke=1, fill=1)
        c.restoreState()
        pen.text(PAGE_W - MARGIN - marks_w + 6, y, mark, 8, HexColor("#6b3f00"))
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.line(MARGIN, top - 48, PAGE_W - MARGIN, top - 48)
    pen.text(MARGIN, top - 66, pen.fit(line, 12.5, PAGE_W - 2 * MARGIN), 12.5, INK, bold=True)


def _footer(pen: Pen, data: BriefData, lang: str, number: int, pages: int) -> None:
    c = pen.c
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.line(MARGIN, MARGIN + 16, PAGE_W - MARGIN, MARGIN + 16)
    stamp = data.built_at.strftime("%Y-%m-%d %H:%M") if data.built_at is not None else i18n.DASH
    source = t("br_source", lang, time=stamp)
    if data.sample:
        source += "  " + t("br_sample", lang)
    lines = pen.wrap(source, 7, PAGE_W - 2 * MARGIN - 70)
    for i, line in enumerate(lines[:2]):
        pen.text(MARGIN, MARGIN + 7 - i * 8.5, line, 7, GREY)
    pen.text(PAGE_W - MARGIN, MARGIN + 7, t("br_page", lang, i=number, n=pages), 7.5, GREY, anchor="right")


def _section(pen: Pen, x: float, y: float, text: str) -> None:
    pen.text(x, y, text, 9.5, INK, bold=True)


def _kpi_boxes(pen: Pen, items: Sequence[Kpi], x: float, top: float, width: float, columns: int, height: float,
               value_size: float, colour: str, gap: float = 5) -> float:
    """KPI boxes in a grid from ``top`` down; returns the y under the last row."""
    c = pen.c
    box_w = (width - gap * (columns - 1)) / columns
    rows = math.ceil(len(items) / columns)
    for i, kpi in enumerate(items):
        col, row = i % columns, i // columns
        bx, by = x + col * (box_w + gap), top - (row + 1) * height - row * gap
        c.setFillColor(LIGHT)
        c.rect(bx, by, box_w, height, stroke=0, fill=1)
        c.setFillColor(HexColor(colour))
        c.rect(bx, by, 3, height, stroke=0, fill=1)
        label_size = 7.0 if value_size < 14 else 8.2
        pen.text(bx + 8, by + height - label_size - 4, pen.fit(kpi.label, label_size, box_w - 12), label_size, GREY)
        if kpi.note:  # the figure, and its breakdown under it
            pen.text(bx + 8, by + 12.5, pen.fit(kpi.value, value_size, box_w - 12), value_size, INK, bold=True)
            note_size = 6.6 if value_size >= 14 else 5.9
            pen.text(bx + 8, by + 3.5, pen.fit(kpi.note, note_size, box_w - 12), note_size, GREY)
        else:
            pen.text(bx + 8, by + 6, pen.fit(kpi.value, value_size, box_w - 12), value_size, INK, bold=True)
    return top - rows * height - (rows - 1) * gap


# ---------------------------------------------------------------- maps (vector, offline)
class Frame:
    """A map frame: metric coordinates (EPSG:32650) fitted into a box of the page."""

    def __init__(self, bounds: Sequence[float], box: tuple[float, float, float, float], pad: float = 0.06) -> None:
        minx, miny, maxx, maxy = bounds
        dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        minx, maxx, miny, maxy = minx - dx * pad, maxx + dx * pad, miny - dy * pad, maxy + dy * pad
        self.box = box
        x, y, w, h = box
        self.scale = min(w / (maxx - minx), h / (maxy - miny))
        self.cx, self.cy = (minx + maxx) / 2, (miny + maxy) / 2
        self.px, self.py = x + w / 2, y + h / 2

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return self.px + (x - self.cx) * self.scale, self.py + (y - self.cy) * self.scale

    def clip(self, c: Canvas) -> None:
        path = c.beginPath()
        path.rect(*self.box)
        c.clipPath(path, stroke=0, fill=0)

    @property
    def window(self) -> tuple[float, float, float, float]:
        x, y, w, h = self.box
        return (self.cx - w / 2 / self.scale, self.cy - h / 2 / self.scale,
                self.cx + w / 2 / self.scale, self.cy + h / 2 / self.scale)


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(METRIC_CRS)


def _polygon_path(c: Canvas, frame: Frame, geom: shapely.Geometry):  # noqa: ANN202 - reportlab PDFPathObject
    path = c.beginPath()
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            coords = list(ring.coords)
            path.moveTo(*frame.xy(*coords[0]))
            for x, y in coords[1:]:
                path.lineTo(*frame.xy(x, y))
            path.close()
    return path


def _draw_polygons(c: Canvas, frame: Frame, geoms: Sequence[shapely.Geometry], stroke: str, width: float,
                   fill: str | None = None, fill_alpha: float = 1.0, dash: tuple[float, ...] | None = None,
                   stroke_alpha: float = 1.0) -> None:
    c.saveState()
    c.setStrokeColor(HexColor(stroke))
    c.setStrokeAlpha(stroke_alpha)
    c.setLineWidth(width)
    c.setLineJoin(1)
    if dash:
        c.setDash(*dash)
    if fill:
        c.setFillColor(HexColor(fill))
        c.setFillAlpha(fill_alpha)
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        c.drawPath(_polygon_path(c, frame, geom), stroke=1, fill=1 if fill else 0, fillMode=FILL_EVEN_ODD)
    c.restoreState()


def _marker(c: Canvas, status: str, x: float, y: float, r: float) -> None:
    """The status marker: reserve an open circle, under way a triangle, completed a square."""
    c.saveState()
    c.setLineWidth(0.7)
    c.setStrokeColor(black)
    c.setFillColor(HexColor(draw.STATUS_COLOURS.get(status, draw.NO_DATA_COLOUR)))
    if status == "reserve":
        c.setLineWidth(1.1)
        c.circle(x, y, r * 0.9, stroke=1, fill=1)
        c.setFillColor(white)
        c.circle(x, y, r * 0.38, stroke=0, fill=1)
    elif status == "under_construction":
        path = c.beginPath()
        path.moveTo(x, y + r * 1.1)
        path.lineTo(x - r * 1.05, y - r * 0.75)
        path.lineTo(x + r * 1.05, y - r * 0.75)
        path.close()
        c.drawPath(path, stroke=1, fill=1)
    else:
        c.rect(x - r * 0.8, y - r * 0.8, r * 1.6, r * 1.6, stroke=1, fill=1)
    c.restoreState()


def _scale_bar(pen: Pen, frame: Frame) -> None:
    x, y, w, _ = frame.box
    metres = w * 0.22 / frame.scale
    nice = max((n for n in (100, 200, 500, 1000, 2000, 5000, 10000, 20000) if n <= metres), default=100)
    length = nice * frame.scale
    bx, by = x + w - length - 10, y + 10
    c = pen.c
    c.setFillColor(white)
    c.rect(bx - 4, by - 3, length + 8, 15, stroke=0, fill=1)
    c.setStrokeColor(black)
    c.setLineWidth(1)
    c.line(bx, by, bx + length, by)
    c.line(bx, by, bx, by + 3)
    c.line(bx + length, by, bx + length, by + 3)
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice} m"
    pen.text(bx + length / 2, by + 3.5, label, 6.5, INK, anchor="centre")
    # north: the frame is UTM zone 50N, so grid north is up to well under a degree here
    nx, ny = x + w - 14, y + frame.box[3] - 22
    path = c.beginPath()
    path.moveTo(nx, ny + 12)
    path.lineTo(nx - 4, ny)
    path.lineTo(nx + 4, ny)
    path.close()
    c.setFillColor(black)
    c.drawPath(path, stroke=0, fill=1)
    pen.text(nx, ny - 8, "N", 7, INK, anchor="centre")


def _zone_map(pen: Pen, data: BriefData, zone_id: str, projects: gpd.GeoDataFrame, lang: str,
              box: tuple[float, float, float, float]) -> None:
    c = pen.c
    zones = _metric(data.zone_polygons)
    zone = zones[zones["zone_id"] == zone_id]
    streets = _metric(data.streets)
    frame = Frame(tuple(zone.total_bounds), box)
    x, y, w, h = box
    c.saveState()
    frame.clip(c)
    c.setFillColor(HexColor("#f7f8fa"))
    c.rect(x, y, w, h, stroke=0, fill=1)
    tolerance = 0.6 / frame.scale  # under a point on paper
    wx0, wy0, wx1, wy1 = frame.window
    near = streets.cx[wx0:wx1, wy0:wy1]
    _draw_polygons(c, frame, near.geometry.simplify(tolerance).to_numpy(), "#8a929c", 0.6, "#ffffff", 1.0, (2, 1.5))
    colour = str(data.zones.loc[zone_id].get("colour") or zone_colour(zone_id))
    others = zones[zones["zone_id"] != zone_id].cx[wx0:wx1, wy0:wy1]
    for _, row in others.iterrows():
        _draw_polygons(c, frame, [row.geometry.simplify(tolerance)], zone_colour(row["zone_id"]), 0.9, dash=(4, 2.5),
                       stroke_alpha=0.8)
    _draw_polygons(c, frame, zone.geometry.simplify(tolerance).to_numpy(), colour, 2.4, colour, 0.08)
    located = projects[projects.geometry.notna() & ~projects.geometry.is_empty]
    points = _metric(located) if len(located) else located
    radius = 3.6
    for status in STATUS_ORDER:  # reserve under the others: the open circles must not hide work under way
        for geom in points[points["status"] == status].geometry:
            _marker(c, status, *frame.xy(geom.x, geom.y), radius)
    parts = gpd.overlay(near[["name", "geometry"]], zone[["geometry"]], how="intersection", keep_geom_type=True)
    if not parts.empty:
        area = parts.area
        for _, part in parts[area >= 0.04 * float(area.sum())].iterrows():
            point = part.geometry.representative_point()
            pen.text(*frame.xy(point.x, point.y), part["name"], 6.8, HexColor("#3f4852"), anchor="centre", halo=True)
    c.restoreState()
    c.setStrokeColor(RULE)
    c.setLineWidth(0.8)
    c.rect(x, y, w, h, stroke=1, fill=0)
    _scale_bar(pen, frame)
    # legend: shape, label, count (all projects of the zone; the note says how many are drawn)
    counts = projects["status"].value_counts()
    items = [(s, f"{i18n.enum_label('status', s, lang)}  {i18n.fmt_int(counts.get(s, 0), lang)}") for s in STATUS_ORDER]
    lw = max(pen.width(label, 7.5) for _, label in items) + 26
    lh = 12 * len(items) + 8
    c.setFillColor(white)
    c.setStrokeColor(RULE)
    c.rect(x + 6, y + 6, lw, lh, stroke=1, fill=1)
    for i, (status, label) in enumerate(items):
        ly = y + 6 + lh - 11 - i * 12
        _marker(c, status, x + 15, ly + 2.5, 3.4)
        pen.text(x + 24, ly, label, 7.5, INK)
    note = t("br_drawn", lang, m=i18n.fmt_int(len(located), lang), n=i18n.fmt_int(len(projects), lang))
    pen.text(x, y - 9, pen.fit(note, 6.8, w), 6.8, GREY)


def _district_map(pen: Pen, data: BriefData, box: tuple[float, float, float, float]) -> None:
    c = pen.c
    streets = _metric(data.streets)
    zones = _metric(data.zone_polygons)
    frame = Frame(tuple(streets.total_bounds), box, pad=0.03)
    x, y, w, h = box
    tolerance = 0.6 / frame.scale
    c.saveState()
    frame.clip(c)
    _draw_polygons(c, frame, streets.geometry.simplify(tolerance).to_numpy(), "#9aa1aa", 0.5, "#ffffff", 1.0)
    ordered = zones.assign(_a=zones.area).sort_values("_a", ascending=False)
    for _, row in ordered.iterrows():
        colour = zone_colour(row["zone_id"])
        _draw_polygons(c, frame, [row.geometry.simplify(tolerance)], colour, 1.4, colour, 0.3)
    numbers = {z: i for i, z in enumerate(data.zones.index, start=1)}
    for _, row in zones.iterrows():
        point = row.geometry.representative_point()
        px, py = frame.xy(point.x, point.y)
        c.setFillColor(white)
        c.setStrokeColor(black)
        c.setLineWidth(0.8)
        c.circle(px, py, 6.5, stroke=1, fill=1)
        pen.text(px, py - 3, str(numbers.get(row["zone_id"], "")), 8, INK, bold=True, anchor="centre")
    c.restoreState()
    c.setStrokeColor(RULE)
    c.setLineWidth(0.8)
    c.rect(x, y, w, h, stroke=1, fill=0)
    _scale_bar(pen, frame)


# ---------------------------------------------------------------- chart and tables
def _hatch(c: Canvas, x: float, y: float, w: float, h: float) -> None:
    c.saveState()
    path = c.beginPath()
    path.rect(x, y, w, h)
    c.clipPath(path, stroke=0, fill=0)
    c.setStrokeColor(white)
    c.setLineWidth(0.9)
    step = 3.2
    offset = -h
    while offset < w:
        c.line(x + offset, y, x + offset + h, y + h)
        offset += step
    c.restoreState()


def _status_swatch(c: Canvas, status: str, x: float, y: float, w: float, h: float) -> None:
    """The pipeline's fill for a status: reserve light, under way solid, completed hatched."""
    c.setFillColor(HexColor(draw.STATUS_COLOURS.get(status, draw.NO_DATA_COLOUR)))
    c.setStrokeColor(black)
    c.setLineWidth(0.4)
    c.rect(x, y, w, h, stroke=1, fill=1)
    if status == "completed":
        _hatch(c, x, y, w, h)
        c.rect(x, y, w, h, stroke=1, fill=0)


def _pipeline(pen: Pen, projects: pd.DataFrame, lang: str, box: tuple[float, float, float, float]) -> None:
    """Projects by start year, stacked by status, with each bar's total over it."""
    x, y, w, h = box
    c = pen.c
    legend_y = y + h - 8
    lx = x
    for status in STATUS_ORDER:
        _status_swatch(c, status, lx, legend_y - 1, 9, 7)
        label = i18n.enum_label("status", status, lang)
        pen.text(lx + 12, legend_y, label, 7, INK)
        lx += pen.width(label, 7) + 24
    pipe = pipeline_by_year(projects)
    if pipe.empty:
        pen.text(x, y + h / 2, t("br_no_projects", lang), 8, GREY)
        return
    table = pipe.pivot_table(index="year", columns="status", values="count", aggfunc="sum", fill_value=0)
    years = sorted(table.index, key=lambda v: (v == i18n.DASH, v))
    top = max(float(table.sum(axis=1).max()), 1.0)
    plot_y, plot_h = y + 12, h - 30
    slot = w / len(years)
    bar = min(slot * 0.62, 26)
    c.setStrokeColor(GREY)
    c.setLineWidth(0.6)
    c.line(x, plot_y, x + w, plot_y)
    label_size = 6.5 if len(years) <= 12 else 5.5
    for i, year in enumerate(years):
        bx = x + i * slot + (slot - bar) / 2
        level = plot_y
        for status in STATUS_ORDER:
            n = int(table.loc[year].get(status, 0))
            if n:
                height = n / top * plot_h
                _status_swatch(c, status, bx, level, bar, height)
                level += height
        pen.text(bx + bar / 2, level + 2, i18n.fmt_int(int(table.loc[year].sum()), lang), 6.5, INK, anchor="centre")
        label = i18n.t("no_year", lang) if year == i18n.DASH else str(year)
        pen.text(bx + bar / 2, plot_y - 8, label, label_size, GREY, anchor="centre")


def _trend(pen: Pen, figure, data: BriefData, zone_id: str, lang: str,  # noqa: ANN001 - change.Figure
           box: tuple[float, float, float, float]) -> None:
    """12345 cases a month, the last 12 months up to the period: one line, its ends labelled."""
    x, y, w, h = box
    months = change.area_months(data.monthly, "zone", [zone_id]) if not data.monthly.empty else pd.DataFrame()
    window = [change.shift(data.period, -k) for k in range(11, -1, -1)] if data.period else []
    points = [(m, float(months.loc[m, "cases"])) for m in window if not months.empty and m in months.index]
    _section(pen, x, y + h + 4, t("br_trend", lang))
    if len(points) < 2:
        pen.text(x, y + h / 2, t("br_no_trend", lang), 7, GREY)
        return
    c = pen.c
    top = max(v for _, v in points) or 1.0
    plot_y, plot_h = y + 10, h - 18
    step = w / (len(points) - 1)
    c.setStrokeColor(GREY)
    c.setLineWidth(0.5)
    c.line(x, plot_y, x + w, plot_y)
    c.setStrokeColor(INK)
    c.setLineWidth(1.4)
    path = c.beginPath()
    for i, (_, v) in enumerate(points):
        px, py = x + i * step, plot_y + v / top * plot_h
        path.moveTo(px, py) if i == 0 else path.lineTo(px, py)
    c.drawPath(path, stroke=1, fill=0)
    for i in (0, len(points) - 1):
        month, v = points[i]
        px, py = x + i * step, plot_y + v / top * plot_h
        c.setFillColor(INK)
        c.circle(px, py, 1.8, stroke=0, fill=1)
        anchor = "left" if i == 0 else "right"
        pen.text(px, py + 4, i18n.fmt_int(v, lang), 6.8, INK, anchor=anchor)
        pen.text(px, y, month, 6.2, GREY, anchor=anchor)
    note = change.short_changes(figure, lang) if figure is not None else ""
    if note:
        pen.text(x + w / 2, y, note, 6.4, GREY, anchor="centre")


def _table(pen: Pen, x: float, top: float, columns: Sequence[tuple[str, float, str]], rows: Sequence[Sequence[str]],
           size: float = 7.2, row_h: float = 13.0, shade: Callable[[int], bool] = lambda i: i % 2 == 1,
           swatches: Sequence[tuple[str, str]] | None = None) -> float:
    """A plain table: ``columns`` are (header, width, align); returns the y under it."""
    c = pen.c
    width = sum(w for _, w, _ in columns)
    header_lines = [pen.wrap(head, size - 0.4, w - 4) for head, w, _ in columns]
    depth = max(len(lines) for lines in header_lines)
    head_h = depth * (size + 1.5) + 5
    c.setFillColor(HexColor("#dfe4ea"))
    c.rect(x, top - head_h, width, head_h, stroke=0, fill=1)
    cx = x
    for (head, w, align), lines in zip(columns, header_lines, strict=True):
        for j, line in enumerate(lines):
            ty = top - 3 - (j + 1) * (size + 1.5) + 1.5
            if align == "right":
                pen.text(cx + w - 3, ty, line, size - 0.4, INK, anchor="right")
            else:
                pen.text(cx + 3, ty, line, size - 0.4, INK)
        cx += w
    y = top - head_h
    for i, row in enumerate(rows):
        if shade(i):
            c.setFillColor(HexColor("#f3f5f7"))
            c.rect(x, y - row_h, width, row_h, stroke=0, fill=1)
        cx = x
        for j, ((_, w, align), value) in enumerate(zip(columns, row, strict=True)):
            text_x = cx + 3
            if j == 0 and swatches is not None:
                number, colour = swatches[i]
                c.setFillColor(HexColor(colour))
                c.setStrokeColor(black)
                c.setLineWidth(0.5)
                c.rect(cx + 2, y - row_h + 2.2, 12, row_h - 4.4, stroke=1, fill=1)
                pen.text(cx + 8, y - row_h + 3.8, number, size - 0.6, white, bold=True, anchor="centre", halo=False)
                text_x = cx + 17
            fitted = pen.fit(value, size, w - (text_x - cx) - 3)
            if align == "right":
                pen.text(cx + w - 3, y - row_h + 3.8, fitted, size, INK, anchor="right")
            else:
                pen.text(text_x, y - row_h + 3.8, fitted, size, INK)
            cx += w
        y -= row_h
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.line(x, y, x + width, y)
    return y


def _top_projects(pen: Pen, projects: pd.DataFrame, lang: str, x: float, top: float, width: float) -> None:
    if projects.empty:
        pen.text(x, top - 12, t("br_no_projects", lang), 8, GREY)
        return
    ranked = projects.sort_values("investment_total", ascending=False, na_position="last").head(TOP_PROJECTS)
    cols = [(t("br_rank", lang), 20, "right"), (i18n.column_label("name", lang), width * 0.37, "left"),
            (i18n.column_label("status", lang), width * 0.13, "left"),
            (i18n.column_label("investment_total", lang), width * 0.17, "right"),
            (i18n.column_label("start_date", lang), width * 0.11, "left")]
    cols.append((i18n.column_label("schedule", lang), width - sum(w for _, w, _ in cols), "left"))
    rows = []
    for rank, (_, p) in enumerate(ranked.iterrows(), start=1):
        start = pd.to_datetime(p.get("start_date"), errors="coerce")
        schedule = p.get("schedule")
        plan = i18n.enum_label("schedule", schedule, lang) if isinstance(schedule, str) else i18n.DASH
        days = pd.to_numeric(p.get("days_late"), errors="coerce")
        if pd.notna(days) and days > 0:
            plan += " " + t("br_late_days", lang, d=i18n.fmt_int(days, lang))
        rows.append([str(rank), str(p.get("name") or i18n.DASH), i18n.enum_label("status", p.get("status"), lang),
                     i18n.fmt_yi(p.get("investment_total"), lang),
                     start.strftime("%Y-%m") if pd.notna(start) else i18n.DASH, plan])
    _table(pen, x, top, cols, rows, size=7.2, row_h=12.5)


# ---------------------------------------------------------------- pages
def _zone_page(pen: Pen, data: BriefData, zone_id: str, lang: str) -> None:
    row = data.zones.loc[zone_id]
    figures = zone_figures(row)
    colour = str(row.get("colour") or zone_colour(zone_id))
    kind = i18n.enum_label("zone_kind", row.get("kind"), lang) if isinstance(row.get("kind"), str) else ""
    number = list(data.zones.index).index(zone_id) + 1
    subtitle = f"{number} / {len(data.zones)}" + (f"  {kind}" if kind else "")
    _header(pen, data, lang, zone_name(data.zones, zone_id, lang), subtitle, colour,
            _headline(figures, _figures(data, zone_id), data, lang))
    projects = data.projects[in_zones(data.projects, "project_id", data.members, (zone_id,))]
    top = PAGE_H - MARGIN - 80
    map_w = 350.0
    _section(pen, MARGIN, top, t("br_map", lang))
    trend_h = 62.0
    map_bottom = MARGIN + 40 + trend_h + 30
    _zone_map(pen, data, zone_id, projects, lang, (MARGIN, map_bottom, map_w, top - 8 - map_bottom))
    _trend(pen, _figures(data, zone_id).get("hotline_rate"), data, zone_id, lang,
           (MARGIN, MARGIN + 40, map_w, trend_h))
    needs = needs_line(row, lang)   # the 企业诉求 line, as on the meeting slide (none without needs)
    if needs:
        pen.text(MARGIN, MARGIN + 24, pen.fit(needs, 8.5, PAGE_W - 2 * MARGIN), 8.5, INK, bold=True)
    rx = MARGIN + map_w + 16
    rw = PAGE_W - MARGIN - rx
    _section(pen, rx, top, t("br_kpis", lang))
    figs = _figures(data, zone_id)
    below = _kpi_boxes(pen, _with_changes(kpis(figures, KPI_ROW_1, lang, data.policy), figs, lang, data.policy),
                       rx, top - 6, rw, 3, 43, 15, colour)
    below = _kpi_boxes(pen, _with_changes(kpis(figures, KPI_ROW_2, lang, data.policy), figs, lang, data.policy),
                       rx, below - 5, rw, 5, 36, 10.5, colour, gap=4)
    _section(pen, rx, below - 15, i18n.t("pipeline", lang))
    chart_top = below - 21
    _pipeline(pen, projects, lang, (rx, chart_top - 104, rw, 104))
    table_top = chart_top - 122
    _section(pen, rx, table_top, t("br_top_projects", lang))
    _top_projects(pen, projects, lang, rx, table_top - 5, rw)


def _cover_page(pen: Pen, data: BriefData, lang: str) -> None:
    district = data.district
    _header(pen, data, lang, t("br_deck_title", lang), t("br_deck_subtitle", lang), "#c0392b",
            _headline(district, _figures(data, None), data, lang, district=True))
    top = PAGE_H - MARGIN - 80
    map_w, map_h = 300.0, 245.0
    _section(pen, MARGIN, top, t("br_district_map", lang))
    _district_map(pen, data, (MARGIN, top - 8 - map_h, map_w, map_h))
    rx = MARGIN + map_w + 16
    rw = PAGE_W - MARGIN - rx
    _section(pen, rx, top, i18n.t("district_kpis", lang))
    figs = _figures(data, None)
    below = _kpi_boxes(pen, _with_changes(kpis(district, KPI_ROW_1, lang, data.policy), figs, lang, data.policy),
                       rx, top - 6, rw, 3, 44, 16, "#c0392b")
    _kpi_boxes(pen, _with_changes(kpis(district, KPI_ROW_2, lang, data.policy), figs, lang, data.policy),
               rx, below - 6, rw, 5, 38, 11, "#c0392b", gap=4)
    table_top = top - 8 - map_h - 18
    _section(pen, MARGIN, table_top, t("mt_compare", lang))
    width = PAGE_W - 2 * MARGIN
    name_w = 150.0
    col_w = (width - name_w) / len(COVER_METRICS)
    columns = [(t("mt_zone_col", lang), name_w, "left")]
    columns += [(metric_label(m, lang, data.policy), col_w, "right") for m in COVER_METRICS]
    rows, swatches = [], []
    for number, zone_id in enumerate(data.zones.index, start=1):
        figures = zone_figures(data.zones.loc[zone_id])
        rows.append([zone_name(data.zones, zone_id, lang),
                     *[metric_text(m, figures.get(m), lang, data.policy) for m in COVER_METRICS]])
        swatches.append((str(number), str(data.zones.loc[zone_id].get("colour") or zone_colour(zone_id))))
    row_h = min(14.0, (table_top - 6 - (MARGIN + 24) - 24) / max(len(rows), 1))
    _table(pen, MARGIN, table_top - 6, columns, rows, size=7.6, row_h=row_h, swatches=swatches)


# ---------------------------------------------------------------- command line
