"""Strings of the zone profile (/zone): key -> (Chinese, English). Merged by :mod:`dashboard.i18n`,
which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # zone
    "choose_zone": ("选择功能区", "Choose a zone"),
    "unknown_zone": ("未找到功能区 {zone!s}，已显示第一个功能区。", "Zone {zone!s} not found; showing the first zone."),
    "pipeline": ("项目进度（按开工年份、状态）", "Pipeline by start year and status"),
    "industry_mix": ("产业构成（项目数）", "Industry mix (projects)"),
    "zone_projects": ("功能区项目清单", "Projects in the zone"),
    "enterprise_display": ("企业显示方式", "Enterprises shown as"),
    "ent_aggregated": ("按街镇汇总", "aggregated by street"),
    "ent_clustered": ("点聚合", "clustered points"),
    "no_year": ("未定", "n/a"),
    "t_projects": ("项目数", "Projects"),
}
