"""User-facing text in Chinese (zh-CN, the default) and English, and number formats.

Pure: no Streamlit here. ``t(key, lang)`` looks a string up in the merged per-screen tables
(``dashboard/i18n/<screen>.py``, each ``STRINGS``: key -> (Chinese, English)); column and enum
labels come from :mod:`dashboard.i18n.labels`, which derives them from ``loaders.schema``.
"""
from __future__ import annotations

import math

from dashboard.i18n import (
    change,
    common,
    downloads,
    explorer,
    maps,
    meeting,
    metrics,
    needs,
    overview,
    quality,
    signin,
    zone,
)
from dashboard.i18n.labels import _ENUM_LABELS_EN, _ENUM_LABELS_ZH
from dashboard.i18n.labels import column_label as column_label  # the one label source, as i18n.column_label

LANGS: tuple[str, ...] = ("zh", "en")
LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}  # each in its own language, on purpose
DASH = "—"

# One table per screen (or concern); a key defined in two of them is a mistake, refused here.
TABLES = {m.__name__.rsplit('.', 1)[1]: m.STRINGS for m in (change, common, downloads, explorer, maps, meeting, metrics,
                                                         needs, overview, quality, signin, zone)}


def merge(tables: dict[str, dict[str, tuple[str, str]]]) -> dict[str, tuple[str, str]]:
    """One lookup table from the per-screen ones; raises ``ValueError`` naming any key defined twice."""
    merged: dict[str, tuple[str, str]] = {}
    owner: dict[str, str] = {}
    twice = []
    for name, table in tables.items():
        for key, value in table.items():
            if key in merged:
                twice.append(f"{key} ({owner[key]}, {name})")
            merged[key], owner[key] = value, name
    if twice:
        raise ValueError("i18n keys defined twice: " + ", ".join(twice))
    return merged


STRINGS: dict[str, tuple[str, str]] = merge(TABLES)




def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``values`` filled in."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def role_label(role: str | None, lang: str = "zh") -> str:
    """The name of a role (``leader``, ``planner``, ``analyst``, ``admin``; ``open`` or None: not signed in)."""
    return t(f"role_{role or 'none'}", lang)


def enum_label(kind: str, code: object, lang: str = "zh") -> str:
    """The label of an enum ``code`` of ``kind`` (status, level, industry, ...)."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code == "":
        return DASH
    code = str(code)
    if lang == "en":
        return _ENUM_LABELS_EN.get(kind, {}).get(code) or code.replace("_", " ").capitalize()
    return _ENUM_LABELS_ZH.get(kind, {}).get(code, code)


def labelled(label: str, value: object, lang: str = "zh") -> str:
    """``label：value`` (Chinese, full-width colon) or ``label: value``."""
    return f"{label}：{value}" if lang != "en" else f"{label}: {value}"


def counted(label: str, n: object, lang: str = "zh") -> str:
    """A heading with a count: ``label（1,234）`` or ``label (1,234)``."""
    return f"{label}（{fmt_int(n, lang)}）" if lang != "en" else f"{label} ({fmt_int(n, lang)})"


def list_sep(lang: str = "zh") -> str:
    """The separator between names in a list: ``、`` or ``, ``."""
    return ", " if lang == "en" else "、"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: object, lang: str = "zh", unit: str = "") -> str:
    """``12345`` → ``12,345`` (with a unit after it in Chinese, e.g. ``12,345 家``)."""
    if _missing(value):
        return DASH
    text = f"{int(round(float(value))):,}"
    return f"{text} {unit}" if unit and lang != "en" else text


def fmt_yi(value: object, lang: str = "zh", digits: int = 1) -> str:
    """An amount in 亿元 (100 million CNY): ``1234.56`` → ``1,234.6 亿元`` / ``CNY 123.5 bn``."""
    if _missing(value):
        return DASH
    value = float(value)
    if abs(value) >= 1000:
        digits = 0
    if lang == "en":
        return f"CNY {value / 10:,.{digits + 1}f} bn"
    return f"{value:,.{digits}f} 亿元"


def fmt_wan(value: object, lang: str = "zh") -> str:
    """An amount in 万元 (10,000 CNY); 10,000 万元 and more shown in 亿元."""
    if _missing(value):
        return DASH
    value = float(value)
    if lang == "en":
        return f"CNY {value / 100:,.2f} m"
    if abs(value) >= 1e4:
        return fmt_yi(value / 1e4, lang, digits=2)
    return f"{value:,.1f} 万元"


def fmt_rate(value: object, lang: str = "zh") -> str:
    """Cases per 10,000 residents: ``12.34`` → ``12.3 件/万人``."""
    if _missing(value):
        return DASH
    return f"{float(value):,.1f} per 10k" if lang == "en" else f"{float(value):,.1f} 件/万人"


def fmt_density(value: object, lang: str = "zh") -> str:
    """Cases per km²: ``123.4`` → ``123 件/平方公里``."""
    if _missing(value):
        return DASH
    return f"{float(value):,.0f} /km²" if lang == "en" else f"{float(value):,.0f} 件/km²"


def fmt_pct(value: object, lang: str = "zh") -> str:
    """A share in 0..1 as a percentage."""
    if _missing(value):
        return DASH
    return f"{float(value) * 100:.1f}%"
