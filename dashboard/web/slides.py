"""The meeting page's slide HTML (every text escaped here), from :mod:`dashboard.briefing.figures`."""
from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from dashboard import i18n
from dashboard.briefing.figures import Kpi, Slide, metric_label
from dashboard.store.queries import HotlineRate

_NUMBER = re.compile(r"^(.*?)([-+]?[\d,]+(?:\.\d+)?%?|—)(.*)$")


def split_number(text: str) -> tuple[str, str, str]:
    """``"802.6 亿元"`` -> ``("", "802.6", " 亿元")``: the figure is drawn large, its unit small."""
    match = _NUMBER.match(text)
    return (match.group(1), match.group(2), match.group(3)) if match else ("", text, "")


def slide_head_html(slide: Slide, playing: bool, status: str) -> str:
    """The slide's title block; its ``data-slide`` is what the map and the tests follow."""
    e = html.escape
    return (f'<div class="mt-slide" data-testid="mt-slide" data-slide="{e(slide.key)}" '
            f'data-playing="{1 if playing else 0}" style="--mt-colour:{e(slide.colour)}">'
            f'<div class="mt-title"><span class="mt-bar"></span><h1 class="mt-name">{e(slide.title)}</h1>'
            f'<span class="mt-kind">{e(slide.kind)}</span>'
            f'<span class="mt-count">{slide.number} / {slide.total}</span>'
            f'<span class="mt-status">{e(status)}</span></div>'
            f'<div class="mt-headline" data-testid="mt-headline">{e(slide.headline)}</div></div>')


def kpis_html(items: Sequence[Kpi], columns: int = 2) -> str:
    """The KPI grid: label above, the figure large with its unit small, an optional note."""
    e = html.escape
    cells = []
    for kpi in items:
        before, number, after = split_number(kpi.value)
        unit_before = f'<span class="mt-unit">{e(before)}</span>' if before else ""
        unit_after = f'<span class="mt-unit">{e(after)}</span>' if after else ""
        note = f'<div class="mt-kpi-note">{e(kpi.note)}</div>' if kpi.note else ""
        cells.append(f'<div class="mt-kpi" data-metric="{e(kpi.metric)}"><div class="mt-kpi-label">{e(kpi.label)}</div>'
                     f'<div class="mt-kpi-value" data-value="{e(kpi.value)}">{unit_before}'
                     f'<span class="mt-num">{e(number)}</span>{unit_after}</div>{note}</div>')
    return f'<div class="mt-kpis" style="--mt-cols:{columns}" data-testid="mt-kpis">{"".join(cells)}</div>'


def needs_line_html(text: str) -> str:
    """A zone slide's 企业诉求 line under its KPIs (nothing when the zone has no need)."""
    if not text:
        return ""
    return (f'<div class="mt-needs" data-testid="mt-needs" style="margin-top:.7rem;font-size:1.05rem;'
            f'line-height:1.45">{html.escape(text)}</div>')


def comparison_html(rows: Sequence[Mapping[str, str]], metrics: Sequence[str], lang: str, policy: HotlineRate) -> str:
    """The overview slide's zone table: number and colour, name, one column per metric."""
    e = html.escape
    head = "".join(f"<th>{e(metric_label(m, lang, policy))}</th>" for m in metrics)
    body = "".join(
        f'<tr data-zone="{e(r["zone_id"])}"><td class="mt-zone"><span class="mt-swatch" '
        f'style="background:{e(r["colour"])}">{e(r["number"])}</span>{e(r["name"])}</td>'
        + "".join(f"<td>{e(r[m])}</td>" for m in metrics) + "</tr>" for r in rows)
    return (f'<table class="mt-compare" data-testid="mt-compare"><thead><tr><th>{e(i18n.t("mt_zone_col", lang))}</th>'
            f"{head}</tr></thead><tbody>{body}</tbody></table>")


def changes_headline(summary, lang: str) -> str:  # noqa: ANN001 - dashboard.briefing.change.Summary
    """The 本月变化 slide's one line: the month, the best and the lowest street, the warnings' count."""
    if summary is None:
        return ""
    first = lambda rows: f"{rows[0][0]} {rows[0][2]:.1f}" if rows else i18n.DASH  # noqa: E731
    return i18n.t("mt_change_headline", lang, month=summary.month, top=first(summary.top),
                  bottom=first(summary.bottom), n=i18n.fmt_int(summary.warnings_total, lang))


def changes_html(summary, lang: str) -> str:  # noqa: ANN001 - dashboard.briefing.change.Summary
    """The 本月变化 slide's body: the ranking's top and bottom, the biggest moves, the warnings."""
    e = html.escape
    if summary is None:
        return ""

    def items(rows: Sequence[tuple], fmt) -> str:  # noqa: ANN001
        return "".join(f'<li title="{e(fmt(r))}">{e(fmt(r))}</li>' for r in rows) or f"<li>{e(i18n.DASH)}</li>"
    moves = items(summary.moves, lambda r: f"{r[0]} {'↑' if r[1] > 0 else '↓'}{abs(r[1])}")
    parts = [
        f'<div class="mt-changes" data-testid="mt-changes" data-month="{e(summary.month)}">',
        f'<h3>{e(i18n.t("mt_change_title", lang))} · {e(summary.month)}</h3><div class="mt-change-cols">',
        f'<div><b>{e(i18n.t("mt_change_top", lang))}</b><ol>{items(summary.top, lambda r: f"{r[0]} {r[2]:.1f}")}'
        "</ol></div>",
        f'<div><b>{e(i18n.t("mt_change_bottom", lang))}</b><ul class="mt-bottom">'
        f'{items(summary.bottom, lambda r: f"{r[0]} {r[2]:.1f}")}</ul></div>',
        f'<div><b>{e(i18n.t("mt_change_moves", lang))}</b><ul>{moves}</ul></div></div>',
        f'<div class="mt-alerts"><b>{e(i18n.t("mt_change_alerts", lang))}</b><ul>'
        f'{items(summary.warnings, lambda r: r) if summary.warnings else "<li>" + e(i18n.t("al_none", lang)) + "</li>"}'
        "</ul></div></div>",
    ]
    return "".join(parts)
