"""Column and enum labels for people, in Chinese and English: the one source of headers.

:func:`column_label` is what every table header, preview, export header and quality-page
column says. Chinese comes first from the store's own declaration (``loaders.schema``'s
``Column.label``, the Chinese name people know from the agencies' files), then from
:data:`COLUMN_LABELS_ZH` where the pages say it differently or the schema has no label; English
from :data:`COLUMN_LABELS_EN`. A coded column's codes (``status_code`` beside ``status``) are
``状态代码`` / ``Status code``.
"""
from __future__ import annotations

from loaders.schema import (
    HOTLINE_CATEGORY_LABELS,
    INDUSTRY_LABELS,
    LAYER_LABELS,
    LAYERS,
    LEVEL_LABELS,
    NEED_CATEGORY_LABELS,
    NEED_STATUS_LABELS,
    SCHEDULE_LABELS,
    STATION_KIND_LABELS,
    STATION_LINKS,
    STATION_TIER_LABELS,
    STATUS_LABELS,
    WARNING_KINDS,
    ZONE_KIND_LABELS,
)

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
    # enterprise needs (企业诉求) and their figures
    "need_id": "Need ID", "raised_at": "Raised", "closed_at": "Closed", "summary": "Need (text)",
    "enterprise_name": "Enterprise", "station_link": "Station link", "station_m": "Distance to station (m)",
    "days_open": "Days open", "days_to_close": "Days to close", "overdue": "Overdue",
    "needs": "Enterprise needs", "needs_open": "Open needs", "needs_closed": "Closed needs",
    "needs_closure_rate": "Closure rate", "needs_median_days_open": "Median days open",
    "needs_overdue": "Overdue needs", "needs_satisfied": "Closed needs, satisfied",
    "needs_satisfied_known": "Closed needs rated", "needs_satisfaction_rate": "Satisfaction (needs)",
    "needs_overdue_days": "Overdue after (days)",
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


_ENUM_LABELS_ZH: dict[str, dict[str, str]] = {
    "warning_kind": {kind: zh for kind, (zh, _en) in WARNING_KINDS.items()},
    "status": STATUS_LABELS, "level": LEVEL_LABELS, "industry": INDUSTRY_LABELS,
    "station_kind": STATION_KIND_LABELS, "station_tier": STATION_TIER_LABELS,
    "hotline_category": HOTLINE_CATEGORY_LABELS, "zone_kind": ZONE_KIND_LABELS,
    "layer": {**LAYER_LABELS, "zone_stats": "功能区指标", "street_stats": "街镇指标", "district": "区界",
              "street_ranking": "接诉即办街镇排名", "alerts": "预警", "stats_history": "指标历史",
              "needs_monthly": "企业诉求月度", "needs_breakdown": "企业诉求分类与站点"},
    "precision": {"official": "正式边界", "schematic": "示意范围", "coarse": "概略轮廓"},
    "schedule": SCHEDULE_LABELS,
    "need_category": NEED_CATEGORY_LABELS, "need_status": NEED_STATUS_LABELS, "station_link": STATION_LINKS,
}
_ENUM_LABELS_EN: dict[str, dict[str, str]] = {
    "warning_kind": {kind: en for kind, (_zh, en) in WARNING_KINDS.items()},
    "station_kind": {"citizen": "Xianfeng station (citizens)", "enterprise": "Xianfeng port (enterprises)"},
    "industry": {"smart_medical": "Smart medical engineering", "low_altitude": "Low-altitude technology",
                 "culture_tourism": "Culture & tourism", "digital": "Digital economy"},
    "layer": {"hotline": "12345 hotline cases", "zone_stats": "Zone indicators", "street_stats": "Street indicators",
              "street_ranking": "12345 street ranking", "alerts": "Warnings", "stats_history": "Indicator history",
              "district": "District outline", "needs": "Enterprise needs",
              "needs_monthly": "Enterprise needs by month", "needs_breakdown": "Enterprise needs by category and port"},
    "precision": {"official": "official boundary", "schematic": "schematic extent", "coarse": "coarse outline"},
    "schedule": {"not_started_late": "Not started on time", "running_late": "Running past plan",
                 "completed_late": "Completed late", "on_track": "On track", "no_plan": "No plan dates"},
    "need_category": {"land": "Land", "finance": "Financing", "talent": "Talent", "permits": "Permits",
                      "premises": "Premises", "policy": "Policy", "other": "Other"},
    "need_status": {"open": "Open", "closed": "Closed"},
    "station_link": {"street": "Nearest port in the street", "zone": "Nearest port in the zone",
                     "street_only": "The street's only port (need not placed)"},
}


CODE_SUFFIX = "_code"


def _schema_label(layer: str | None, column: str) -> str | None:
    """The Chinese label ``loaders.schema`` declares for ``column`` (of ``layer`` when given, else
    of the first layer that declares it)."""
    layers = [LAYERS[layer]] if layer in LAYERS else list(LAYERS.values())
    for declared in layers:
        for col in declared.columns:
            if col.name == column and col.label:
                return col.label
    return None


def column_label(column: str, lang: str = "zh", layer: str | None = None) -> str:
    """The header people read for ``column`` (of ``layer``, where the layer decides) in ``lang``."""
    if column.endswith(CODE_SUFFIX) and column != CODE_SUFFIX[1:]:
        base = column_label(column[: -len(CODE_SUFFIX)], lang, layer)
        return f"{base} code" if lang == "en" else f"{base}代码"
    if lang == "en":
        return COLUMN_LABELS_EN.get(column) or column.replace("_", " ").capitalize()
    return COLUMN_LABELS_ZH.get(column) or _schema_label(layer, column) or column
