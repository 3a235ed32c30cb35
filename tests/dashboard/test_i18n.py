"""Numbers formatted for Chinese readers, and English."""
from __future__ import annotations

import math

from dashboard import i18n


def test_thousands_and_units():
    assert i18n.fmt_int(19975, "zh", "家") == "19,975 家"
    assert i18n.fmt_int(19975, "en", "家") == "19,975"
    assert i18n.fmt_yi(4373.3) == "4,373 亿元"
    assert i18n.fmt_yi(625.51) == "625.5 亿元"
    assert i18n.fmt_yi(625.51, "en") == "CNY 62.55 bn"
    assert i18n.fmt_wan(1234.5) == "1,234.5 万元"
    assert i18n.fmt_wan(25000) == "2.50 亿元"
    assert i18n.fmt_rate(12.34) == "12.3 件/万人"


def test_missing_is_dash():
    assert i18n.fmt_int(None) == i18n.DASH
    assert i18n.fmt_yi(math.nan) == i18n.DASH


def test_every_string_has_both_languages():
    for key, (zh, en) in i18n.STRINGS.items():
        assert zh and (en or key.startswith("unit_")), key


def test_enum_labels():
    assert i18n.enum_label("status", "under_construction") == "在建"
    assert i18n.enum_label("status", "under_construction", "en") == "Under construction"
