"""User-facing text in Chinese (zh-CN, the default) and English, and number formats.

Pure: no Streamlit here. ``t(key, lang)`` looks a string up; enum labels come from
``loaders.schema`` (Chinese) and from the code itself (English).
"""
from __future__ import annotations

import math

from dashboard.meeting_text import STRINGS as _MEETING_STRINGS
from loaders.schema import (
    HOTLINE_CATEGORY_LABELS,
    INDUSTRY_LABELS,
    LAYER_LABELS,
    LEVEL_LABELS,
    STATION_KIND_LABELS,
    STATION_TIER_LABELS,
    STATUS_LABELS,
    WARNING_KINDS,
    ZONE_KIND_LABELS,
)

LANGS: tuple[str, ...] = ("zh", "en")
LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}  # each in its own language, on purpose
DASH = "—"

STRINGS: dict[str, tuple[str, str]] = {
    # exports (issue 11: owned by the exports work; add keys here only)
    "dx_yes": ("是", "Yes"),
    "dx_no": ("否", "No"),
    "dx_placement_coordinates": ("按坐标落点", "By coordinates"),
    "dx_placement_snapped": ("吸附至最近街镇", "Snapped to the nearest street"),
    "dx_placement_street": ("按街镇统计（无坐标）", "By street (no coordinates)"),
    "dx_precision_official": ("正式", "Official"),
    "dx_precision_schematic": ("示意", "Schematic"),
    "dx_precision_coarse": ("粗略", "Coarse"),
    "dx_col_export_crs": ("导出坐标系", "Export CRS"),
    "dx_col_source_crs": ("来源坐标系（已转换）", "Source CRS (already converted)"),
    "dx_col_wkt": ("几何(WKT)", "Geometry (WKT)"),
    "dx_headers": ("表头与取值", "Headers and values"),
    "dx_headers_help": ("用于 CSV 和 XLSX：中文表头与取值便于阅读，代码另列（如 status_code）供程序使用；机器表头用英文字段名和代码。"
                        "空间格式（GeoJSON、GeoPackage、Shapefile）始终用字段名和代码。",
                        "For CSV and XLSX: readable headers and labels, with the codes in their own columns (e.g. "
                        "status_code) for programs; machine headers use field names and codes. Spatial formats "
                        "(GeoJSON, GeoPackage, Shapefile) always use field names and codes."),
    "dx_headers_labels": ("中文表头与取值", "Readable headers and labels"),
    "dx_headers_codes": ("机器表头（字段名与代码）", "Machine headers (field names and codes)"),
    "dx_received": ("受理日期", "Received between"),
    "dx_category": ("诉求类别", "Category"),
    "dx_crs_note": ("文件的 export_crs 列、元数据和文件名注明本文件的坐标系；源数据的坐标系只保留在“来源坐标系（已转换）”列，"
                    "坐标已转换，请勿再次转换。",
                    "The export_crs column, the file's metadata and its name state the file's own coordinate system; "
                    "the source's is kept only as “Source CRS (already converted)”: do not convert the coordinates again."),
    "dx_data_date": ("数据时间 {time}，写入文件名。", "Data as of {time}; the file name carries it."),
    "dx_xlsx_limit": ("所选 {n} 行超过 Excel 单个工作表的上限 {max} 行，无法导出为 XLSX。请改用 CSV 或 GeoPackage，或缩小筛选范围。",
                      "{n} rows are more than an Excel sheet holds ({max}): XLSX is not available. "
                      "Choose CSV or GeoPackage, or narrow the filter."),
    "dx_large": ("共 {n} 行：文件在后台生成，期间看板照常可用。", "{n} rows: the file is made in the background; "
                 "the dashboard stays usable meanwhile."),
    "dx_prepare": ("生成文件", "Prepare the file"),
    "dx_progress": ("正在生成 {name}：{done} / {total} 行", "Preparing {name}: {done} / {total} rows"),
    "dx_ready": ("文件已生成：{name}（{size}）。", "The file is ready: {name} ({size})."),
    "dx_failed": ("文件生成失败：{error}", "The file could not be made: {error}"),
    "dx_cancel": ("取消", "Cancel"),
    "dx_again": ("重新生成", "Prepare again"),
    "dx_cancelled": ("已取消生成。", "Preparing was cancelled."),
    "dx_stale": ("筛选、格式或坐标系已更改，下面的文件是之前的选择。", "The filter, format or CRS changed: "
                 "the file below is of the earlier selection."),
    # explorer (issue 11: owned by the explorer work; add keys here only)
    "x_no_match": ("没有符合筛选条件的项目。请放宽或清除筛选条件。",
                   "No project matches the filter. Widen or clear the filters."),
    "x_clear": ("清除全部筛选", "Clear all filters"),
    "x_inv_min": ("总投资下限（亿元）", "Investment from (100m CNY)"),
    "x_inv_max": ("总投资上限（亿元）", "Investment up to (100m CNY)"),
    "x_inv_any": ("不限", "any"),
    "x_inv_help": ("多数项目规模较小：中位数 {median}，最大 {top}。留空表示不限。",
                   "Most projects are small: median {median}, largest {top}. Leave empty for no limit."),
    "x_inv_swapped": ("下限大于上限，已按 {lo}–{hi} 亿元筛选。", "The lower bound was above the upper one: "
                      "filtering {lo}–{hi} (100m CNY)."),
    "x_street_help": ("已按所选功能区缩小为其涉及的街镇；括号内为当前筛选下的项目数。",
                      "Narrowed to the streets the chosen zones touch; counts are projects under the current filter."),
    "x_counts_help": ("括号内为选择该项后符合条件的项目数。", "The count is how many projects match if you pick it."),
    "x_sel_filtered_out": ("所选项目 {id} 不符合当前筛选条件。", "The selected project {id} does not match the filter."),
    "x_sel_show": ("清除筛选并显示该项目", "Clear filters and show it"),
    "x_sel_unknown": ("未找到项目编号 {id}。", "No project has the ID {id}."),
    "x_sel_no_location": ("该项目没有坐标，地图上无法显示。", "This project has no coordinates and is not on the map."),
    "x_declared_differs": ("（与落点不符）", " (differs from its location)"),
    "x_days_late": ("，滞后 {n} 天", ", {n} days late"),
    "x_kind": ("状态 · 级别 · 产业", "Status · level · industry"),
    "x_investment": ("总投资", "Total investment"),
    "x_investment_done": ("累计完成投资", "Investment done"),
    "x_dates": ("开工 → 竣工", "Start → completion"),
    "x_planned": ("计划开工 → 竣工", "Planned start → completion"),
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
    # scale and faults (issue 12: owned by the data-layer work; add keys here only)
    "store_down": ("数据库暂不可用，显示的是 {time} 的数据。数据库恢复后页面会自动更新。",
                   "The database is unavailable for now: showing the data built at {time}. The page updates by "
                   "itself when the database is back."),
    # app and navigation
    "app_title": ("丰台“4+4”功能区地理信息看板", "Fengtai “4+4” Zone Dashboard"),
    "page_overview": ("总览", "Overview"),
    "page_zone": ("功能区", "Zone profile"),
    "page_projects": ("项目", "Projects"),
    "page_downloads": ("数据下载", "Downloads"),
    "page_quality": ("数据质量", "Data quality"),
    "page_audit": ("审计与用户", "Audit and users"),
    # signing in, roles, audit (dashboard/auth.py, access.py, screens/audit.py)
    "signin_title": ("登录", "Sign in"),
    "signin_user": ("用户名", "Username"),
    "signin_password": ("密码", "Password"),
    "signin_button": ("登录", "Sign in"),
    "signin_lock_rule": ("连续 {n} 次登录失败将锁定账户 {minutes} 分钟；第 2 次失败后每次尝试都会放慢。"
                         "{idle} 分钟无操作将自动退出登录。",
                         "{n} failed sign-ins in a row lock the account for {minutes} minutes; after the second "
                         "failure each attempt is slowed down. After {idle} minutes without use you are signed out."),
    "signin_no_users": ("尚未创建任何用户：请管理员运行 python -m dashboard.users add 名称 --role admin。",
                        "No users yet: an administrator runs python -m dashboard.users add NAME --role admin."),
    "notice_failed": ("用户名或密码不正确。", "Wrong username or password."),
    "notice_locked": ("该账户因连续 {n} 次登录失败已锁定 {minutes} 分钟，请于 {until} 后再试。",
                      "This account is locked for {minutes} minutes after {n} failed sign-ins in a row; "
                      "try again after {until}."),
    "notice_idle": ("{minutes} 分钟无操作，已自动退出登录。", "Signed out after {minutes} minutes without use."),
    "notice_signed_out": ("已退出登录。", "Signed out."),
    "notice_account_changed": ("账户已停用或密码已修改，请重新登录。",
                               "The account was disabled or its password changed: sign in again."),
    "notice_audit_down": ("审计日志无法写入，暂时不能登录。请联系管理员。",
                          "The audit log cannot be written, so sign-in is refused for now. Ask an administrator."),
    "notice_record_down": ("登录失败记录无法写入（用户文件所在目录不可写），暂时不能登录。请联系管理员。",
                           "Failed sign-ins cannot be recorded (the users file's folder is not writable), so "
                           "sign-in is refused for now. Ask an administrator."),
    "notice_header_unknown": ("单点登录用户 {name} 未在本看板登记或已停用。",
                              "Single-sign-on user {name} is not registered here or is disabled."),
    "signed_in_by_proxy": ("经单点登录进入；退出请使用单位门户。", "Signed in through single sign-on; sign out at the portal."),
    "signout": ("退出登录", "Sign out"),
    "page_refused": ("你的角色（{role}）无权打开此页面。", "Your role ({role}) may not open this page."),
    "download_refused": ("你的角色（{role}）无权下载 {layer}。此次请求已记入审计日志。",
                         "Your role ({role}) may not download {layer}. This request has been recorded."),
    "no_downloads": ("你的角色无权下载任何数据。", "Your role may not download any data."),
    "personal_masked": ("联系人、联系电话属于个人信息，已脱敏显示（如 张*、138****0000）；查看完整信息需要 pii 授权。",
                        "Contact person and phone are personal data, shown masked (e.g. 张*, 138****0000); "
                        "the pii grant is needed to see them in full."),
    "personal_full": ("本页含完整的个人信息（联系人、联系电话）：查看与下载均记入审计日志，请依法使用。",
                      "This page shows personal data in full (contact person, phone): viewing and downloading "
                      "are recorded in the audit log. Use them lawfully."),
    "audit_error": ("审计日志无法写入，已拒绝本次操作", "The audit log cannot be written, so this was refused"),
    "role_leader": ("领导", "leader"),
    "role_planner": ("规划人员", "planner"),
    "role_analyst": ("分析人员", "analyst"),
    "role_admin": ("管理员", "admin"),
    "role_open": ("未登录", "not signed in"),
    "role_none": ("未登录", "not signed in"),
    "a_log": ("审计日志", "Audit log"),
    "a_users": ("用户", "Users"),
    "a_period": ("时间范围", "Period"),
    "a_user": ("用户", "User"),
    "a_event": ("事件", "Event"),
    "a_layer": ("图层", "Layer"),
    "a_count": ("{n} 条记录（最新在前，最多显示 {limit} 条）", "{n} entries (newest first, at most {limit} shown)"),
    "a_export": ("导出 CSV", "Export CSV"),
    "a_append_only": ("审计日志只追加、不可修改或删除：{where}。", "The audit log is append-only (no update, no delete): {where}."),
    "a_users_note": ("用户只能在服务器上用 python -m dashboard.users 管理（add / passwd / disable / enable / list）。",
                     "Users are managed only on the server with python -m dashboard.users "
                     "(add / passwd / disable / enable / list)."),
    "a_status_active": ("正常", "active"),
    "a_status_disabled": ("已停用", "disabled"),
    "a_status_locked": ("锁定至 {until}", "locked until {until}"),
    "a_no_users_file": ("未配置用户文件 (DASHBOARD_USERS)。", "No users file configured (DASHBOARD_USERS)."),
    "ac_at": ("时间", "Time"), "ac_user": ("用户", "User"), "ac_role": ("角色", "Role"), "ac_event": ("事件", "Event"),
    "ac_subject": ("对象", "Subject"), "ac_page": ("页面", "Page"), "ac_layer": ("图层", "Layer"),
    "ac_filters": ("筛选条件", "Filters"), "ac_format": ("格式", "Format"), "ac_crs": ("坐标系", "CRS"),
    "ac_rows": ("行数", "Rows"), "ac_personal_data": ("个人信息", "Personal data"), "ac_detail": ("说明", "Detail"),
    "ac_client": ("来源地址", "Client"), "ac_name": ("用户名", "Name"), "ac_grants": ("授权", "Grants"),
    "ac_status": ("状态", "Status"), "ac_created": ("创建时间", "Created"), "ac_changed": ("修改时间", "Changed"),
    "language": ("语言 Language", "语言 Language"),
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
    # overview
    "colour_by": ("着色对象", "Colour"),
    "colour_zones": ("功能区", "zones"),
    "colour_streets": ("街镇", "streets"),
    "metric": ("指标", "Metric"),
    "click_zone_hint": ("点击地图上的功能区，打开该功能区概况。", "Click a zone on the map to open its profile."),
    "zone_compare": ("功能区对比", "Zone comparison"),
    "district_kpis": ("全区概况", "District at a glance"),
    "open_profile": ("打开功能区概况", "Open zone profile"),
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
    # projects
    "filters": ("筛选条件", "Filters"),
    "f_zone": ("功能区", "Zone"),
    "f_street": ("街镇", "Street"),
    "f_status": ("项目状态", "Status"),
    "f_level": ("项目级别", "Level"),
    "f_industry": ("产业类别", "Industry"),
    "f_investment": ("总投资（亿元）", "Investment (100 million CNY)"),
    "f_year": ("开工年份", "Start year"),
    "f_all": ("全部", "all"),
    "reset_filters": ("清除筛选", "Clear filters"),
    "n_selected": ("符合条件：{n} 个项目，总投资 {inv}；地图上 {m} 个（{k} 个无坐标，仅在表格中）。",
                   "Matching: {n} projects, {inv} in total; {m} on the map ({k} without coordinates, table only)."),
    "table_rows": ("表格 {n} 行", "Table: {n} rows"),
    "project_details": ("项目详情", "Project details"),
    "click_project_hint": ("点击地图上的项目或表格中的一行查看详情。", "Click a project on the map or a table row for details."),
    "share_link": ("当前筛选已写入网址，可直接复制链接分享。", "The filters are in the address bar: copy the link to share."),
    "download_filtered": ("下载当前筛选结果", "Download this selection"),
    "no_match": ("没有符合条件的项目。", "No project matches."),
    # downloads
    "d_layer": ("数据图层", "Layer"),
    "d_format": ("文件格式", "Format"),
    "d_crs": ("坐标系", "Coordinate system"),
    "d_rows": ("将导出行数", "Rows to export"),
    "d_button": ("下载", "Download"),
    "d_filename": ("文件名", "File name"),
    "d_crs_gcj_note": ("GCJ-02 用于高德等国内地图工具；GIS软件中请按 EPSG:4326 读入后理解为GCJ-02偏移坐标。",
                       "GCJ-02 is for Amap-based tools; GIS software reads it as EPSG:4326 with GCJ-02-shifted positions."),
    "d_formula_note": ("CSV/XLSX 中以 = + - @ 开头的单元格已加前缀 ' 以防公式注入。",
                       "Cells starting with = + - @ are prefixed with ' in CSV/XLSX to prevent formula injection."),
    "d_crs_gcj02": ("GCJ-02（高德 Amap）", "GCJ-02 (Amap)"),
    "d_preview": ("预览（前 {n} 行）", "Preview (first {n} rows)"),
    "d_no_coords": ("无坐标的记录在空间格式中几何为空，在CSV/XLSX中经纬度为空。",
                    "Records without coordinates have empty geometry (spatial formats) or empty lon/lat (CSV/XLSX)."),
    # quality
    "q_built": ("数据生成时间", "Built at"),
    "q_layers": ("各图层读入、入库与拒收行数", "Rows read, loaded and rejected per layer"),
    "q_read": ("读入", "Read"),
    "q_loaded": ("入库", "Loaded"),
    "q_rejected": ("拒收", "Rejected"),
    "q_rejects": ("拒收记录及原因", "Rejected rows and reasons"),
    "q_search": ("按原因或取值搜索", "Search reason or value"),
    "q_warnings": ("警告", "Warnings"),
    "q_mismatch": ("申报功能区与坐标不一致的项目", "Projects whose declared zone disagrees with their location"),
    "q_provenance": ("边界来源与精度", "Boundary provenance and precision"),
    "q_download_rejects": ("下载拒收记录 (CSV)", "Download rejected rows (CSV)"),
    "q_none": ("无", "none"),
    "q_report_missing": ("数据库中没有构建报告。", "The store holds no build report."),
}

COLUMN_LABELS_EN: dict[str, str] = {
    "project_id": "Project ID", "name": "Name", "status": "Status", "level": "Level",
    "industry": "Industry", "investment_total": "Investment (100m CNY)", "start_date": "Start",
    "completion_date": "Completion", "street": "Street", "zone_ids": "Zones", "owner_unit": "Owner unit",
    "address": "Address", "layer": "Layer", "file": "File", "row": "Row", "column": "Column",
    "value": "Value", "reason": "Reason", "zone_declared": "Declared zone",
    "service_package": "Service package", "registered_capital": "Registered capital (10k CNY)",
    # the rest of the store's columns (the downloads preview) and the build report's
    "uscc": "USCC", "established": "Established", "contact_person": "Contact person",
    "contact_phone": "Contact phone", "station_id": "Station ID", "kind": "Kind", "tier": "Tier",
    "services": "Services", "hours": "Opening hours", "phone": "Phone", "case_id": "Case ID",
    "received_at": "Received", "category": "Category", "community": "Community", "responded": "Responded",
    "resolved": "Resolved", "satisfied": "Satisfied", "coord_sys": "Coordinate system", "lon": "Longitude",
    "lat": "Latitude", "placement": "Placement", "source_file": "Source file", "source_row": "Source row",
    "zone_declared_mismatch": "Declared zone differs", "code": "Code", "name_en": "English name",
    "aliases": "Aliases", "population": "Population", "area_km2": "Area (km²)", "precision": "Precision",
    "source": "Source", "zone_id": "Zone ID", "message": "Message", "title": "Title", "note": "Note",
    "licence": "Licence", "planned_start": "Planned start", "planned_completion": "Planned completion",
    "investment_done": "Investment done (100m CNY)", "schedule": "Against plan", "days_late": "Days late",
    "community_id": "Community ID", "nearest_station_m": "Nearest station (m)", "covered": "Within reach",
    "count": "Count",
}
COLUMN_LABELS_ZH: dict[str, str] = {
    "project_id": "项目编号", "name": "名称", "status": "状态", "level": "级别", "industry": "产业类别",
    "investment_total": "总投资(亿元)", "start_date": "开工时间", "completion_date": "竣工时间",
    "street": "所属街镇", "zone_ids": "所属功能区", "owner_unit": "责任单位", "address": "地址",
    "layer": "图层", "file": "文件", "row": "行号", "column": "列", "value": "取值", "reason": "原因",
    "zone_declared": "申报功能区", "service_package": "服务包企业", "registered_capital": "注册资本(万元)",
    # the input headers of loaders.schema where there is one
    "uscc": "统一社会信用代码", "established": "成立日期", "contact_person": "联系人",
    "contact_phone": "联系电话", "station_id": "站点编号", "kind": "类型", "tier": "层级",
    "services": "服务内容", "hours": "服务时间", "phone": "电话", "case_id": "工单编号",
    "received_at": "受理时间", "category": "诉求类别", "community": "社区", "responded": "响应",
    "resolved": "解决", "satisfied": "满意", "coord_sys": "坐标系", "lon": "经度", "lat": "纬度",
    "placement": "落点方式", "source_file": "来源文件", "source_row": "来源行号",
    "zone_declared_mismatch": "申报功能区不符", "code": "代码", "name_en": "英文名称", "aliases": "别名",
    "population": "常住人口", "area_km2": "面积(平方公里)", "precision": "精度", "source": "来源",
    "zone_id": "功能区编号", "message": "说明", "title": "标题", "note": "说明", "licence": "许可",
    "planned_start": "计划开工时间", "planned_completion": "计划竣工时间", "investment_done": "累计完成投资(亿元)",
    "schedule": "计划执行", "days_late": "滞后天数", "community_id": "社区编号",
    "nearest_station_m": "距最近先丰站(米)", "covered": "在覆盖范围内", "count": "条数",
}

STRINGS.update({k: v for k, v in _MEETING_STRINGS.items() if k not in STRINGS})  # the meeting page's own

_ENUM_LABELS_ZH: dict[str, dict[str, str]] = {
    "warning_kind": {kind: zh for kind, (zh, _en) in WARNING_KINDS.items()},
    "status": STATUS_LABELS, "level": LEVEL_LABELS, "industry": INDUSTRY_LABELS,
    "station_kind": STATION_KIND_LABELS, "station_tier": STATION_TIER_LABELS,
    "hotline_category": HOTLINE_CATEGORY_LABELS, "zone_kind": ZONE_KIND_LABELS,
    "layer": {**LAYER_LABELS, "zone_stats": "功能区指标", "street_stats": "街镇指标", "district": "区界"},
    "precision": {"official": "正式边界", "schematic": "示意范围", "coarse": "概略轮廓"},
    "schedule": {"not_started_late": "逾期未开工", "running_late": "逾期未竣工", "completed_late": "延期竣工",
                 "on_track": "按计划", "no_plan": "无计划日期"},
}
_ENUM_LABELS_EN: dict[str, dict[str, str]] = {
    "warning_kind": {kind: en for kind, (_zh, en) in WARNING_KINDS.items()},
    "station_kind": {"citizen": "Xianfeng station (citizens)", "enterprise": "Xianfeng port (enterprises)"},
    "industry": {"smart_medical": "Smart medical engineering", "low_altitude": "Low-altitude technology",
                 "culture_tourism": "Culture & tourism", "digital": "Digital economy"},
    "layer": {"hotline": "12345 hotline cases", "zone_stats": "Zone indicators", "street_stats": "Street indicators",
              "district": "District outline"},
    "precision": {"official": "official boundary", "schematic": "schematic extent", "coarse": "coarse outline"},
    "schedule": {"not_started_late": "Not started on time", "running_late": "Running past plan",
                 "completed_late": "Completed late", "on_track": "On track", "no_plan": "No plan dates"},
}



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


def column_label(column: str, lang: str = "zh") -> str:
    """A table header for ``column``."""
    table = COLUMN_LABELS_EN if lang == "en" else COLUMN_LABELS_ZH
    return table.get(column, column)


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
