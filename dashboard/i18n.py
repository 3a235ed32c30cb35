"""User-facing text in Chinese (zh-CN, the default) and English, and number formats.

Pure: no Streamlit here. ``t(key, lang)`` looks a string up; enum labels come from
``loaders.schema`` (Chinese) and from the code itself (English).
"""
from __future__ import annotations

import math

from loaders.schema import (
    HOTLINE_CATEGORY_LABELS,
    INDUSTRY_LABELS,
    LAYER_LABELS,
    LEVEL_LABELS,
    STATION_KIND_LABELS,
    STATION_TIER_LABELS,
    STATUS_LABELS,
    ZONE_KIND_LABELS,
)

LANGS: tuple[str, ...] = ("zh", "en")
LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}  # each in its own language, on purpose
DASH = "—"

STRINGS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": ("丰台“4+4”功能区地理信息看板", "Fengtai “4+4” Zone Dashboard"),
    "page_overview": ("总览", "Overview"),
    "page_zone": ("功能区", "Zone profile"),
    "page_projects": ("项目", "Projects"),
    "page_downloads": ("数据下载", "Downloads"),
    "page_quality": ("数据质量", "Data quality"),
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
    "q_read": ("读入", "read"),
    "q_loaded": ("入库", "loaded"),
    "q_rejected": ("拒收", "rejected"),
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
    "licence": "Licence",
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
}

_ENUM_LABELS_ZH: dict[str, dict[str, str]] = {
    "status": STATUS_LABELS, "level": LEVEL_LABELS, "industry": INDUSTRY_LABELS,
    "station_kind": STATION_KIND_LABELS, "station_tier": STATION_TIER_LABELS,
    "hotline_category": HOTLINE_CATEGORY_LABELS, "zone_kind": ZONE_KIND_LABELS, "layer": LAYER_LABELS,
}
_ENUM_LABELS_EN: dict[str, dict[str, str]] = {
    "station_kind": {"citizen": "Xianfeng station (citizens)", "enterprise": "Xianfeng port (enterprises)"},
    "industry": {"smart_medical": "Smart medical engineering", "low_altitude": "Low-altitude technology",
                 "culture_tourism": "Culture & tourism", "digital": "Digital economy"},
    "layer": {"hotline": "12345 hotline cases"},
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``values`` filled in."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


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
