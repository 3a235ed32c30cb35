"""Strings of change over time: periods, 环比/同比, the street ranking (/ranking), warnings.
Merged by :mod:`dashboard.i18n`, which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # periods and comparisons
    "ch_period": ("月份", "Month"),
    "ch_period_help": ("12345 诉求量与三率按所选月份统计；其余指标为截至构建日期的累计数。",
                       "12345 cases and their three rates are for the month chosen; the other figures are "
                       "totals as of the build's date."),
    "ch_period_note": ("12345 诉求与三率：{period} 当月 · 其余指标：截至 {as_of}",
                       "12345 cases and rates: {period} · other figures: as of {as_of}"),
    "ch_mom": ("环比", "MoM"),
    "ch_yoy": ("同比", "YoY"),
    "ch_points": ("{d} 个百分点", "{d} pts"),
    "ch_no_baseline": ("无可比的往期数据", "no earlier figure to compare"),
    "ch_small_baseline": ("基数过小（{n}），不作比较", "baseline too small ({n}) to compare"),
    "ch_tip": ("{kind}：{now} 为 {value}，对比 {then} 的 {base}，变化 {delta}",
               "{kind}: {now} is {value}, against {base} in {then}: {delta}"),
    "ch_history_note": ("构建历史：{n} 次（{first} 至 {last}）", "Build history: {n} builds ({first} to {last})"),
    "ch_trend": ("近 12 个月", "Last 12 months"),
    "ch_map_change": ("本月较上月", "This month vs last"),
    "ch_map_change_help": ("各街镇 12345 诉求量本月较上月的变化（%）；上月少于 {n} 件的街镇不着色。",
                           "Change in each street's 12345 cases this month against last month (%); streets with "
                           "fewer than {n} cases last month are left uncoloured."),
    "ch_change_col": ("诉求量变化", "Change in cases"),
    # the street ranking
    "page_ranking": ("接诉即办排名", "12345 street ranking"),
    "rk_month": ("月份", "Month"),
    "rk_group_street": ("街道", "Subdistricts"),
    "rk_group_town": ("镇", "Towns"),
    "rk_rank": ("排名", "Rank"),
    "rk_change": ("较上月", "vs last month"),
    "rk_new": ("新上榜", "new"),
    "rk_score": ("综合得分", "Score"),
    "rk_cases": ("诉求量", "Cases"),
    "rk_per_10k": ("每万人诉求", "Cases per 10k"),
    "rk_weights": ("综合得分 = 响应率 × {r} + 解决率 × {s} + 满意率 × {m}（×100）；权重为构建参数 --ranking-weights，"
                   "默认值参照北京市接诉即办月度考评常用口径，各区可按本区办法设置。",
                   "Score = response × {r} + resolution × {s} + satisfaction × {m} (× 100); the weights are the "
                   "build option --ranking-weights, by default the weighting commonly published for Beijing's "
                   "monthly 12345 assessment; a district may set its own."),
    "rk_lowest": ("排名末三位（标红）", "The lowest three (in red)"),
    "rk_none": ("数据库中没有街镇排名（street_ranking）：请用新版构建程序重新构建。",
                "The store has no street ranking (street_ranking): rebuild it with this version."),
    "rk_no_month": ("{month} 没有排名数据，显示最近的 {shown}。", "No ranking for {month}; showing {shown}."),
    "rk_pick_street": ("查看街镇近 12 个月排名", "A street's rank over 12 months"),
    "rk_line_title": ("{street} 近 12 个月排名（1 = 最好）", "{street}: rank over 12 months (1 = best)"),
    "rk_map": ("排名地图（颜色越深排名越靠后）", "Ranks on the map (darker = lower)"),
    "rk_map_legend": ("组内排名位置（前 x%）", "Place within its group (top x%)"),
    "rk_up": ("↑{n}", "↑{n}"),
    "rk_down": ("↓{n}", "↓{n}"),
    # warnings
    "al_title": ("预警", "Warnings"),
    "al_none": ("本期未触发预警规则。", "No warning rule fired for this period."),
    "al_rules": ("预警规则与阈值见 loaders/alert_rules.toml（构建时可用 --alert-rules 替换）。",
                 "The rules and thresholds are in loaders/alert_rules.toml (a build may use --alert-rules)."),
    "al_high": ("高", "high"),
    "al_medium": ("中", "medium"),
    "al_open": ("查看", "Open"),
    "al_more": ("其余 {n} 条预警", "{n} more warnings"),
    # the meeting's change slide
    "mt_change_title": ("本月变化", "This month's changes"),
    "mt_change_kind": ("接诉即办排名与预警", "12345 ranking and warnings"),
    "mt_change_headline": ("{month} 接诉即办 · 排名第一 {top} · 末位 {bottom} · 预警 {n} 条",
                           "{month} 12345 · first {top} · lowest {bottom} · {n} warnings"),
    "mt_change_top": ("排名前三", "Top three"),
    "mt_change_bottom": ("排名末三位", "Lowest three"),
    "mt_change_moves": ("排名变化最大", "Biggest moves"),
    "mt_change_alerts": ("预警", "Warnings"),
    "mt_zone_changes": ("本月变化", "Changes"),
}
