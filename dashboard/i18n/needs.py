"""Strings of the enterprise needs explorer (/needs): key -> (Chinese, English). Merged by
:mod:`dashboard.i18n`, which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "ne_intro": ("先丰港企业需求清单（截至 {as_of}）：按功能区、街镇、类别、状态、责任单位筛选；地图、指标和表格随筛选同步。",
                 "The 先丰港 enterprise needs list (as of {as_of}): filter by zone, street, category, status and "
                 "owner unit; the map, figures and table follow the filter."),
    "ne_status": ("办理状态", "Status"),
    "ne_overdue_only": ("仅看超期（>{days}天）", "Overdue only (>{days} days)"),
    "ne_overdue_help": ("办理中且已超过 {days} 天仍未办结的诉求（构建选项 --needs-overdue-days）。",
                        "Open needs raised more than {days} days ago (build option --needs-overdue-days)."),
    "ne_shown": ("诉求数", "Needs shown"),
    "ne_shown_help": ("符合当前筛选条件的企业诉求件数（在您的数据范围内）。",
                      "Enterprise needs that match the filter (within your data scope)."),
    "ne_open_help": ("符合筛选条件且截至数据日期仍在办理中的诉求件数。",
                     "Needs of the selection still open on the data date."),
    "ne_closure_help": ("符合筛选条件的诉求中已办结的比例。", "Closed needs as a share of the selection."),
    "ne_median_help": ("符合筛选条件的办理中诉求自提出至数据日期的天数的中位数。",
                       "Median days since raised, over the selection's open needs."),
    "ne_counts": ("共 {n} 件诉求，其中 {m} 件在地图上（{k} 件企业无坐标）。",
                  "{n} needs, {m} of them on the map ({k} without a location)."),
    "ne_no_match": ("没有符合筛选条件的企业诉求。请放宽或清除筛选条件。",
                    "No enterprise need matches the filter. Widen or clear the filters."),
    "ne_map_legend": ("企业诉求（按已办天数）", "Enterprise needs (by days open)"),
    "ne_closed": ("已办结诉求", "Closed need"),
    "ne_layer": ("企业诉求", "Enterprise needs"),
    "ne_clustered": ("诉求较多，地图按位置聚合显示，放大可见单个诉求。",
                     "Many needs: the map groups them by place; zoom in to see each one."),
}
