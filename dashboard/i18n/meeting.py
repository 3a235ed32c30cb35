"""User-facing text of the meeting page and the zone briefs, in Chinese and English.

Key -> (Chinese, English), merged by :mod:`dashboard.i18n`, which refuses a key defined twice.
"""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # the page
    "page_meeting": ("会议模式", "Meeting mode"),
    "mt_overview_title": ("丰台区“4+4”功能区", "Fengtai “4+4” zones"),
    "mt_overview_kind": ("全区总览", "District overview"),
    "mt_prev": ("上一个", "Previous"),
    "mt_next": ("下一个", "Next"),
    "mt_pause": ("暂停", "Pause"),
    "mt_play": ("播放", "Play"),
    "mt_zone_list": ("选择页面", "Go to slide"),
    "mt_exit": ("退出", "Exit"),
    "mt_download": ("简报 PDF", "Brief PDF"),
    "mt_download_help": ("下载当前页面的 A4 简报（总览页为全区简报：封面 + 每个功能区一页）。",
                         "Download this slide as an A4 brief (the overview gives the district deck: "
                         "a cover and one page per zone)."),
    "mt_playing": ("每 {s} 秒自动翻页", "Advancing every {s} s"),
    "mt_paused": ("已暂停", "Paused"),
    "mt_keys": ("← → 翻页 · 空格 暂停/继续", "← → move · Space pause/resume"),
    "mt_compare": ("功能区对比", "The zones compared"),
    "mt_zone_col": ("功能区", "Zone"),
    "mt_status_line": ("在建 {uc} · 储备 {rs} · 建成 {cp}", "{uc} under way · {rs} reserve · {cp} completed"),
    "mt_map_legend": ("重大项目（按状态）", "Major projects (by status)"),
    "mt_no_zones": ("数据库中没有功能区。", "The store holds no zones."),
    # the headline (one line, generated from the figures)
    "hl_projects": ("重大项目 {n}（在建 {uc} 个），总投资 {inv}", "{n} major projects ({uc} under way), {inv} in total"),
    "hl_no_projects": ("暂无重大项目", "No major projects on record"),
    "hl_delayed": ("{n} 个滞后于计划", "{n} behind plan"),
    "hl_on_plan": ("无项目滞后于计划", "none behind plan"),
    "hl_response": ("12345 响应率 {rate}", "12345 response rate {rate}"),
    "hl_response_month": ("{month} 12345 响应率 {rate}", "12345 response rate {rate} in {month}"),
    "hl_district": ("全区", "District: "),
    "hl_sep": ("；", "; "),
    # the brief and the deck (PDF)
    "br_zone_title": ("{zone} · 功能区简报", "{zone} · zone brief"),
    "br_trend": ("12345 诉求量（近 12 个月）", "12345 cases, last 12 months"),
    "br_no_trend": ("月度数据不足，无法绘制趋势", "Not enough months of data for a trend"),
    "br_deck_title": ("丰台区“4+4”功能区简报", "Fengtai “4+4” zones: district brief"),
    "br_deck_subtitle": ("封面：各功能区对比；其后每个功能区一页", "Cover: the zones compared; then one page per zone"),
    "br_map": ("功能区范围、街镇与重大项目", "The zone, its streets and its major projects"),
    "br_district_map": ("功能区分布（编号同下表）", "The zones (numbered as in the table)"),
    "br_kpis": ("主要指标", "Key figures"),
    "br_top_projects": ("投资额最大的重大项目", "Largest projects by investment"),
    "br_no_projects": ("该功能区暂无重大项目。", "No major projects in this zone."),
    "br_drawn": ("图中画出有坐标的项目 {m} 个（共 {n} 个）", "{m} of {n} projects have a location and are drawn"),
    "br_other_zones": ("其他功能区", "Other zones"),
    "br_streets": ("街镇界线", "Street boundaries"),
    "br_source": ("来源：丰台“4+4”功能区地理信息看板，数据构建于 {time}；指标取自构建生成的 zone_stats 表，与看板同一口径。",
                  "Source: Fengtai “4+4” zone dashboard, build of {time}; figures from the build's zone_stats "
                  "table, the same as the dashboard's."),
    "br_sample": ("示例数据：合成数据，仅供演示，不得引用", "示例数据 Sample data: synthetic, for demonstration, not to be quoted"),
    "br_schematic": ("示意边界：非法定界线，面积与归属仅供参考", "示意边界 Schematic boundaries: not legal lines"),
    "br_page": ("第 {i} / {n} 页", "Page {i} of {n}"),
    "br_year_total": ("合计", "total"),
    "br_late_days": ("{d} 天", "({d} days)"),
    "br_rank": ("序号", "No."),
    "br_wrote": ("已写出 {path}（{pages} 页，用时 {s:.1f} 秒）", "Wrote {path} ({pages} pages in {s:.1f} s)"),
    "mt_needs_line": ("企业诉求：办理中 {open} 件，其中超期 {overdue} 件（超过 {days} 天）；办结率 {rate}，企业满意率 {sat}",
                      "Enterprise needs: {open} open, {overdue} of them overdue (more than {days} days); "
                      "closure rate {rate}, satisfaction {sat}"),
}
