"""Strings of every page: app, navigation, banners, store faults: key -> (Chinese, English). Merged by :mod:`dashboard.i18n`,
which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # scale and faults (issue 12: owned by the data-layer work; add keys here only)
    "store_down": ("数据库暂时无法访问，显示的是 {time} 的数据。数据库恢复后页面会自动更新。",
                   "The database is unavailable for now: showing the data built at {time}. The page updates by "
                   "itself when the database is back."),
    # app and navigation
    "app_title": ("丰台“4+4”功能区地理信息看板", "Fengtai “4+4” Zone Dashboard"),
    "page_overview": ("总览", "Overview"),
    "page_zone": ("功能区", "Zone profile"),
    "page_projects": ("项目", "Projects"),
    "page_needs": ("企业诉求", "Enterprise needs"),
    "page_downloads": ("数据下载", "Downloads"),
    "page_quality": ("数据质量", "Data quality"),
    "page_audit": ("审计与用户", "Audit and users"),
    # banners
    "banner_sample": ("示例数据：本看板当前显示的是合成的示例数据，用于演示功能，不是官方统计数字，不得引用。",
                      "Sample data: this dashboard shows synthetic sample data for demonstration. "
                      "These are not official figures and must not be quoted."),
    "banner_schematic": ("示意边界：功能区和/或街镇边界为示意范围，不是法定界线，面积与归属统计仅供参考。",
                         "Schematic boundaries: zone and/or street boundaries are schematic, not legal "
                         "boundaries; areas and memberships are indicative only."),
    "banner_open": ("访问控制已关闭 (DASHBOARD_AUTH=none)：任何能访问本机端口的人都能查看全部数据。",
                    "Access control is off (DASHBOARD_AUTH=none): anyone who can reach this port sees all data."),
    "personal_hidden": ("联系人、联系电话属于个人信息：当前未配置可查看个人信息的角色，已在页面、地图和下载中隐藏。",
                        "Contact person and phone are personal data: no role allowed to see them is "
                        "configured, so they are hidden in pages, maps and downloads."),
    "banner_sample_tag": ("示例数据", "Sample data"),
    "banner_schematic_tag": ("示意边界", "Schematic boundaries"),
    "store_error": ("无法打开数据库", "Cannot open the data store"),
    "data_as_of": ("数据截至 {time}", "Data as of {time}"),
    "data_as_of_unknown": ("数据时间未知（构建报告缺失）", "Data time unknown (no build report)"),
}
