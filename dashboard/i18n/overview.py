"""Strings of the overview (/): key -> (Chinese, English). Merged by :mod:`dashboard.i18n`,
which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # overview
    "colour_by": ("着色对象", "Colour"),
    "colour_zones": ("功能区", "zones"),
    "colour_streets": ("街镇", "streets"),
    "metric": ("指标", "Metric"),
    "click_zone_hint": ("点击地图上的功能区，打开该功能区概况。", "Click a zone on the map to open its profile."),
    "zone_compare": ("功能区对比", "Zone comparison"),
    "district_kpis": ("全区概况", "District at a glance"),
    "open_profile": ("打开功能区概况", "Open zone profile"),
}
