"""Strings of indicators: labels, units, definitions: key -> (Chinese, English). Merged by :mod:`dashboard.i18n`,
which refuses a key defined twice."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # metrics
    "m_projects": ("重大项目数", "Major projects"),
    "m_investment": ("总投资", "Total investment"),
    "m_enterprises": ("企业数", "Enterprises"),
    "m_service_package": ("服务包企业", "Service-package enterprises"),
    "m_stations": ("服务站点", "Service stations"),
    "m_hotline_rate": ("12345诉求（每万人）", "12345 cases per 10,000 residents"),
    "m_hotline": ("12345诉求件数", "12345 cases"),
    "m_hotline_density": ("12345诉求密度", "12345 case density"),
    "density_note": ("各街镇暂无公开的常住人口数据，无法计算每万人诉求量，改按每平方公里诉求件数显示（按示意边界面积计算）。"
                     "功能区的件数中，无坐标工单按所属街镇比例分摊。",
                     "No public resident population per street is available, so cases per 10,000 residents "
                     "cannot be computed; cases per km² (schematic areas) are shown instead. For zones, cases "
                     "without coordinates are shared out in proportion to their street."),
    "m_response_rate": ("12345响应率", "12345 response rate"),
    "m_resolution_rate": ("12345解决率", "12345 resolution rate"),
    "m_satisfaction_rate": ("12345满意率", "12345 satisfaction rate"),
    "m_coverage": ("先丰站覆盖人口", "Population near a station"),
    "m_projects_delayed": ("滞后项目", "Projects behind plan"),
    "h_projects": ("纳入统计的重大项目个数（储备、在建、建成）。", "Major projects on record (reserve, under way, completed)."),
    "h_investment": ("重大项目计划总投资之和（亿元）。", "Sum of the projects' planned total investment (100 million CNY)."),
    "h_enterprises": ("已登记的企业户数；无坐标的企业计入所属街镇，不计入功能区。",
                      "Registered enterprises; those without coordinates count for their street, not a zone."),
    "h_service_package": ("纳入“服务包”的企业户数。", "Enterprises in the service package."),
    "h_stations": ("先丰站（便民）与先丰港（企业服务）站点个数。", "Xianfeng stations (citizens) and ports (enterprises)."),
    "h_response_rate": ("已响应的12345工单占填写了“是否响应”的工单的比例；未填写的工单不计入分母。",
                        "Cases responded to, as a share of the cases that record whether they were; "
                        "cases without the field are left out."),
    "h_resolution_rate": ("已解决的工单占填写了“是否解决”的工单的比例；未填写的不计入。",
                          "Cases resolved, as a share of the cases that record it; cases without the field are left out."),
    "h_satisfaction_rate": ("满意的工单占填写了“是否满意”的工单的比例；未填写的不计入。",
                            "Satisfied callers, as a share of the cases that record it; cases without the field are left out."),
    "h_coverage": ("社区常住人口中，社区点位距最近的先丰站在 {m} 米以内（直线距离，不是步行路径）的比例；"
                   "没有社区数据的地区显示“无数据”。",
                   "Share of community population whose community lies within {m} m of a Xianfeng station "
                   "(straight line, not a walking route); areas without community data show “no data”."),
    "h_projects_delayed": ("截至数据时间：在建且已过计划竣工时间，或仍未开工且已过计划开工时间的项目数。",
                           "As of the data time: projects under way past their planned completion, or not started "
                           "past their planned start."),
    "worst_streets": ("需关注的街镇（各项比率最低）", "Streets to watch (lowest on each rate)"),
    "worst_note": ("仅比较至少有 {n} 件填写了该字段的工单的街镇；覆盖率仅比较有社区数据的街镇。",
                   "Only streets with at least {n} cases carrying the field compete; coverage ranks streets "
                   "with community data."),
    "t_street": ("街镇", "Street"),
    "t_value": ("数值", "Value"),
    "t_cases": ("工单/社区数", "Cases / communities"),
    "hotline_trend": ("12345诉求月度趋势", "12345 cases by month"),
    "t_month": ("月份", "Month"),
    "t_cases_month": ("工单数（估算）", "Cases (estimated)"),
    "t_rate": ("比率", "Rate"),
    "coverage_gaps": ("先丰站覆盖缺口（{m} 米直线距离外的社区）", "Coverage gaps (communities beyond {m} m, straight line)"),
    "no_communities": ("该功能区没有社区数据，覆盖率为“无数据”。", "No community data in this zone: coverage is “no data”."),
    "t_community": ("社区/村", "Community"),
    "t_population": ("常住人口", "Residents"),
    "t_nearest": ("距最近先丰站（米）", "Nearest station (m)"),
    "lyr_communities": ("社区（未覆盖为红色）", "Communities (uncovered in red)"),
    "covered": ("已覆盖", "covered"),
    "uncovered": ("未覆盖", "not covered"),
    "f_schedule": ("计划执行", "Against plan"),
    "schedule_not_started_late": ("逾期未开工", "not started on time"),
    "schedule_running_late": ("逾期未竣工", "running past plan"),
    "schedule_completed_late": ("延期竣工", "completed late"),
    "days_late": ("滞后天数", "Days late"),
    "m_zones": ("功能区", "Zones"),
    "m_streets": ("街镇", "Streets"),
    "unit_projects": ("个", ""),
    "unit_enterprises": ("家", ""),
    "unit_stations": ("个", ""),
    "unit_cases": ("件", ""),
    "unit_yi": ("(亿元)", " (100m CNY)"),
    "unit_yi_legend": ("（亿元）", " (100 million CNY)"),
    "rate_unavailable": ("无人口数据", "no population data"),
    "rate_note": ("每万人诉求量按街镇常住人口计算；功能区人口按街镇面积比例估算，无坐标工单按所属街镇比例分摊。"
                  "缺少人口数据的街镇不计算。",
                  "Cases per 10,000 residents use street resident population; zone population is "
                  "estimated by area share of each street, and cases without coordinates are shared out "
                  "in proportion. Streets without population figures are left out."),
}
