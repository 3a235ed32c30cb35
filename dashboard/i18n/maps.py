"""Strings of maps, their layers and legends: key -> (Chinese, English). Merged by :mod:`dashboard.i18n`,
which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # maps and English (issue 11: owned by the maps/English work; add keys here only)
    "mp_ent_off": ("不显示", "off"),
    "mp_overlap_note": ("功能区之间相互重叠，一个项目、企业或站点可同时计入多个功能区，各功能区数字相加不等于全区合计："
                        "例如各功能区总投资相加为 {zones}，全区合计为 {district}。",
                        "Zones overlap: a project, enterprise or station can count in several zones, so zone figures "
                        "do not add up to the district total: the zones' investment adds up to {zones}, the "
                        "district's total is {district}."),
    "mp_compare_hint": ("点击柱形打开该功能区概况。", "Click a bar to open that zone's profile."),
    "mp_industry_hint": ("点击柱形按产业筛选左侧地图和下方项目清单。",
                         "Click a bar to filter the map and the project list by industry."),
    "mp_industry_filter": ("已按产业筛选地图和项目清单：{industries}。再次点击该柱形或点击图表空白处取消。",
                           "Map and project list filtered by industry: {industries}. Click the bar again or an "
                           "empty part of the chart to clear."),
    "mp_open_project": ("在项目页中打开（地图定位到该项目）", "Opens the project in the explorer, zoomed to it"),
    "mp_cases_per_km2": ("12345诉求密度（件/平方公里）", "12345 cases per km²"),
    "mp_district": ("区界", "District outline"),
    "mp_no_gaps": ("该功能区所有社区距先丰站都在 {m} 米（直线距离）以内。",
                   "Every community in this zone lies within {m} m (straight line) of a Xianfeng station."),
    # layers
    "lyr_streets": ("街镇边界", "Streets"),
    "lyr_zones": ("功能区", "Zones"),
    "lyr_projects": ("重大项目（按状态）", "Projects (by status)"),
    "lyr_enterprises_agg": ("企业（按街镇汇总）", "Enterprises (by street)"),
    "lyr_enterprises_cluster": ("企业（点聚合）", "Enterprises (clustered)"),
    "lyr_stations": ("服务站点（按类型）", "Stations (by kind)"),
    "lyr_hotline": ("12345诉求密度（按街镇）", "12345 case density (by street)"),
    "per_km2": ("件/平方公里", "cases per km²"),
    "no_data": ("无数据", "no data"),
    "amap_note": ("底图为高德地图（GCJ-02），本图数据已按GCJ-02偏移显示以与底图对齐；下载数据不受影响。",
                  "Basemap: Amap (GCJ-02). Data are shifted to GCJ-02 for display so they line up; "
                  "downloads are unaffected."),
}
