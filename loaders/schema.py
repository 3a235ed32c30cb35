"""Every layer's columns, types, enums and header aliases: the one place they are declared.

Each layer and table of the store is one :class:`Layer` in :data:`LAYERS`, a tuple of
:class:`Column` (name, store type, role; and for columns read from files: aliases, parse
kind, enum, unit, minimum, label), in the spirit of pandera's ``DataFrameModel`` and
kedro's catalog. Everything else is derived from it: ``INPUT_COLUMNS`` (what ``read`` and
``clean`` accept, after ``shared/spec/data-contract.md``), ``STORE_COLUMNS`` /
``TABLE_COLUMNS`` (what the dashboard reads), ``PERSONAL_COLUMNS``, ``RECORD_ID``,
:func:`empty_layer`, the pandera checks (``loaders.validate``) and the store's type round
trip (``loaders.store``). Other modules refer to these names, not to string literals.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd

from geodata.crs import STORAGE_CRS

# Layer names, in build order.
# needs come last: they are placed at their enterprise and linked to a 先丰港 station (loaders.needs).
POINT_LAYERS: tuple[str, ...] = ("projects", "enterprises", "stations", "hotline", "communities", "needs")
GEOMETRY_LAYERS: tuple[str, ...] = ("streets", "zones")
ALL_LAYERS: tuple[str, ...] = (*GEOMETRY_LAYERS, *POINT_LAYERS)
REPORT_LAYER = "build_report"
# Tables without geometry that every build writes besides the layers.
ZONE_MEMBERS = "zone_members"         # (layer, record_id, zone_id): one row per record and zone
ZONE_STATS = "zone_stats"             # one row per zone (key zone_id), see loaders.indicators
STREET_STATS = "street_stats"         # one row per street (key street)
HOTLINE_MONTHLY = "hotline_monthly"   # 12345 cases per zone/street, month and category
STATS_HISTORY = "stats_history"       # every build's zone_stats/street_stats rows, by as_of (loaders.change)
STREET_RANKING = "street_ranking"     # the monthly 接诉即办 street ranking (loaders.change)
ALERTS = "alerts"                     # the warnings a build found (loaders.change, loaders/alert_rules.toml)
NEEDS_MONTHLY = "needs_monthly"       # enterprise needs raised / closed / open / overdue per zone/street and month
NEEDS_BREAKDOWN = "needs_breakdown"   # enterprise needs per zone / street / station and category (loaders.needs)
TABLES: tuple[str, ...] = (ZONE_MEMBERS, ZONE_STATS, STREET_STATS, HOTLINE_MONTHLY, STATS_HISTORY, STREET_RANKING,
                           ALERTS, NEEDS_MONTHLY, NEEDS_BREAKDOWN)

LAYER_LABELS: dict[str, str] = {
    "streets": "街镇边界", "zones": "功能区边界", "projects": "重大项目",
    "enterprises": "企业", "stations": "服务站点", "hotline": "12345诉求", "communities": "社区/村",
    "needs": "企业诉求",
}

# Columns every loaded point layer gains.
STREET = "street"          # canonical street name, never null for a loaded row
ZONE_IDS = "zone_ids"      # ",lize,zgc_fengtai," : filter one zone with LIKE '%,lize,%'
ZONE_ID_PATTERN = r"^\w+$"                     # a zone_id: letters (any script), digits, "_"
ZONE_IDS_PATTERN = r"^(|,(\w+,)+)$"            # zone_ids: empty, or comma-wrapped zone ids
ZONE_DECLARED = "zone_declared"            # the agency's declared zone, as a zone_id
ZONE_MISMATCH = "zone_declared_mismatch"   # declared zone is not among zone_ids
PLACEMENT = "placement"    # how the point was placed, see PLACEMENTS
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"  # 1-based row as a spreadsheet shows it
LON, LAT = "lon", "lat"    # WGS84, null when the record has no coordinates

PLACEMENTS: dict[str, str] = {
    "coordinates": "按坐标落点",
    "snapped": "坐标在区界外100米内，已吸附到最近街镇",
    "street": "无坐标，按所属街镇统计（不落点）",
}

# Enumerations: canonical value -> accepted spellings (besides the value itself).
STATUS: dict[str, tuple[str, ...]] = {
    "reserve": ("储备", "储备项目", "前期", "reserve", "reserved", "planned"),
    "under_construction": ("在建", "开工", "新开工", "续建", "施工", "under construction",
                           "under_construction", "construction", "started"),
    "completed": ("建成", "竣工", "完工", "已建成", "已竣工", "completed", "complete", "finished"),
}
STATUS_LABELS: dict[str, str] = {"reserve": "储备", "under_construction": "在建", "completed": "建成"}

LEVEL: dict[str, tuple[str, ...]] = {
    "national": ("国家级", "国家", "national"),
    "municipal": ("市级", "北京市级", "市重点", "municipal", "city"),
    "district": ("区级", "区重点", "district"),
}
LEVEL_LABELS: dict[str, str] = {"national": "国家级", "municipal": "市级", "district": "区级"}

INDUSTRY: dict[str, tuple[str, ...]] = {
    "finance": ("金融", "数字金融", "金融服务", "finance", "digital finance"),
    "headquarters": ("总部经济", "商务服务", "总部", "headquarters", "business services"),
    "rail_transit": ("轨道交通", "轨道", "rail transit", "rail"),
    "aerospace": ("航空航天", "航天", "aerospace"),
    "smart_medical": ("智能医工", "医工", "医疗器械", "生物医药", "smart medical engineering", "medical"),
    "low_altitude": ("低空技术", "低空经济", "无人机", "low-altitude technology", "low altitude"),
    "digital": ("数字经济", "信息技术", "软件和信息服务", "digital economy", "it"),
    "culture_tourism": ("文化旅游", "文旅", "文化", "旅游", "culture and tourism", "culture", "tourism"),
    "flowers": ("花卉", "传统花卉", "flowers", "flower"),
    "construction": ("建筑", "建筑业", "construction industry", "building"),
    "commerce": ("商贸", "商贸物流", "批发零售", "commerce", "trade", "commerce and trade"),
    "logistics": ("物流", "仓储物流", "logistics"),
    "public_services": ("公共服务", "教育", "医疗", "养老", "public services"),
    "infrastructure": ("基础设施", "市政", "交通", "infrastructure"),
    "housing": ("住房", "保障房", "安置房", "housing"),
    "ecology": ("生态环境", "园林绿化", "公园", "ecology", "environment"),
    "other": ("其他", "other"),
}
INDUSTRY_LABELS: dict[str, str] = {
    "finance": "金融", "headquarters": "总部经济", "rail_transit": "轨道交通", "aerospace": "航空航天",
    "smart_medical": "智能医工", "low_altitude": "低空技术", "digital": "数字经济",
    "culture_tourism": "文化旅游", "flowers": "花卉", "construction": "建筑", "commerce": "商贸",
    "logistics": "物流", "public_services": "公共服务", "infrastructure": "基础设施",
    "housing": "住房", "ecology": "生态环境", "other": "其他",
}

STATION_KIND: dict[str, tuple[str, ...]] = {
    "citizen": ("先丰站", "便民服务站", "citizen", "citizen station"),
    "enterprise": ("先丰港", "企业服务港", "enterprise", "enterprise port"),
}
STATION_KIND_LABELS: dict[str, str] = {"citizen": "先丰站", "enterprise": "先丰港"}
STATION_TIER: dict[str, tuple[str, ...]] = {
    "street": ("街镇", "街道", "镇", "street", "town"),
    "community": ("社区", "community"),
    "village": ("村", "行政村", "village"),
    "park": ("园区", "park"),
    "department": ("部门", "委办局", "department"),
}
STATION_TIER_LABELS: dict[str, str] = {"street": "街镇", "community": "社区", "village": "村",
                                       "park": "园区", "department": "部门"}

HOTLINE_CATEGORY: dict[str, tuple[str, ...]] = {
    "parking": ("停车", "停车难", "parking"),
    "roads": ("道路", "道路不通畅", "交通", "roads", "road"),
    "property": ("物业", "物业服务", "物业服务差", "property", "property management"),
    "environment": ("环境", "环境不靓丽", "环境卫生", "environment"),
    "other": ("其他", "other"),
}
HOTLINE_CATEGORY_LABELS: dict[str, str] = {"parking": "停车难", "roads": "道路不通畅",
                                           "property": "物业服务差", "environment": "环境不靓丽",
                                           "other": "其他"}

# Enterprise needs (企业需求清单, loaders.needs): category and status.
NEED_CATEGORY: dict[str, tuple[str, ...]] = {
    "land": ("用地", "土地", "用地需求", "land"),
    "finance": ("融资", "资金", "金融", "融资需求", "finance", "financing"),
    "talent": ("人才", "用工", "人才引进", "talent", "staff"),
    "permits": ("审批", "行政审批", "证照", "许可", "审批服务", "permits", "permit", "approval"),
    "premises": ("房屋", "厂房", "办公用房", "用房", "房屋租赁", "premises", "office space"),
    "policy": ("政策", "政策兑现", "政策咨询", "policy"),
    "other": ("其他", "其它", "other"),
}
NEED_CATEGORY_LABELS: dict[str, str] = {"land": "用地", "finance": "融资", "talent": "人才", "permits": "审批",
                                        "premises": "房屋", "policy": "政策", "other": "其他"}
NEED_STATUS: dict[str, tuple[str, ...]] = {
    "open": ("办理中", "未办结", "在办", "处理中", "待办", "受理", "已受理", "open", "in progress"),
    "closed": ("已办结", "办结", "已完成", "完成", "已解决", "closed", "done"),
}
NEED_STATUS_LABELS: dict[str, str] = {"open": "办理中", "closed": "已办结"}
# How a need was linked to a 先丰港 station (loaders.needs.link_stations).
STATION_LINKS: dict[str, str] = {"street": "本街镇最近的先丰港", "zone": "所在功能区最近的先丰港",
                                 "street_only": "本街镇唯一的先丰港（诉求未落点）"}
NEEDS_LEVELS: dict[str, str] = {"zone": "功能区", "street": "街镇", "station": "先丰港"}

ZONE_KIND: dict[str, tuple[str, ...]] = {
    "key_area": ("重点功能区", "功能区", "key area", "key_area"),
    "cluster": ("功能组团", "组团", "cluster"),
}
ZONE_KIND_LABELS: dict[str, str] = {"key_area": "重点功能区", "cluster": "功能组团"}

PRECISION: dict[str, tuple[str, ...]] = {
    "official": ("正式", "官方", "official"),
    "schematic": ("示意", "schematic"),
}

YES_NO: dict[bool, tuple[str, ...]] = {
    True: ("是", "y", "yes", "true", "1", "已", "√", "✓", "对", "满意", "已响应", "已解决"),
    False: ("否", "n", "no", "false", "0", "未", "×", "不满意", "未响应", "未解决"),
}


SCHEDULE_LABELS: dict[str, str] = {   # a project against its plan (loaders.indicators.project_schedule)
    "not_started_late": "逾期未开工", "running_late": "逾期未竣工", "completed_late": "延期竣工",
    "on_track": "按计划", "no_plan": "无计划日期",
}
MONTHLY_LEVELS: dict[str, str] = {"zone": "功能区", "street": "街镇"}
RANKING_GROUPS: dict[str, str] = {"街道": "街道", "镇": "镇"}   # ranked separately, as Beijing publishes them
ALERT_RULES: dict[str, str] = {   # rule -> Chinese label (loaders.change documents each rule)
    "hotline_surge": "诉求激增", "rate_drop": "三率下降", "project_newly_delayed": "项目新增滞后",
    "investment_behind": "投资进度落后", "needs_overdue_growing": "企业诉求超期持续增加",
}
ALERT_LEVELS: dict[str, str] = {"street": "街镇", "community": "社区", "zone": "功能区", "project": "项目"}
ALERT_SEVERITIES: dict[str, str] = {"high": "高", "medium": "中"}

# Every kind of build warning (``loaders.report.Warning.kind``) -> (Chinese, English) label,
# for the data-quality page and the report.
WARNING_KINDS: dict[str, tuple[str, str]] = {
    "unknown_file": ("无法识别的文件", "Unrecognised file"),
    "ignored_columns": ("未识别的列", "Unrecognised columns"),
    "encoding": ("文件编码已转换", "File encoding converted"),
    "unit": ("单位已换算", "Unit converted"),
    "file_repaired": ("文件已修复", "File repaired"),
    "representative_point": ("按代表点落点", "Placed by representative point"),
    "industry_unknown": ("行业不在目录中", "Industry not in catalogue"),
    "swapped": ("经纬度填反", "Longitude and latitude swapped"),
    "snapped": ("吸附至区界内", "Snapped into the district"),
    "street_mismatch": ("所属街镇与坐标不符", "Declared street differs from location"),
    "zone_unknown": ("所属功能区无法识别", "Unknown declared zone"),
    "zone_mismatch": ("所属功能区与坐标不符", "Declared zone differs from location"),
    "geometry_repaired": ("边界几何已修复", "Boundary geometry repaired"),
    "streets_geometry_rejected": ("街镇边界几何无效", "Street boundaries rejected"),
    "streets_missing": ("缺少街镇边界", "Streets missing from the boundaries"),
    "completed_in_future": ("已建成但竣工日期在未来", "Completed, but completion date in the future"),
    "history_unreadable": ("历史指标无法读取", "Stats history unreadable"),
    "previous_build_unreadable": ("上次构建的项目无法读取", "Previous build's projects unreadable"),
}

# Header units: factor that converts a value in the header's unit to the store's unit.
UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("万元", "亿元"): 1e-4, ("亿元", "亿元"): 1.0, ("元", "亿元"): 1e-8,
    ("万元", "万元"): 1.0, ("亿元", "万元"): 1e4, ("元", "万元"): 1e-4,
}


# ---------------------------------------------------------------- the declaration
# Store types -> the pandas dtype a column has in a frame read from either store.
STORE_TYPES: dict[str, str] = {
    "text": "str", "float": "float64", "int": "int64", "nullable_int": "Int64", "bool": "boolean",
    "date": "datetime64[ms]", "datetime": "datetime64[ms]",
}
# Roles: key (required and unique), required, optional, personal (optional, shown only to
# those allowed to see personal data), derived (computed by the build, not read from files).
ROLES: tuple[str, ...] = ("key", "required", "optional", "personal", "derived")
# Parse kinds of input columns: how ``loaders.clean`` turns the text into the store type.
PARSE_KINDS: tuple[str, ...] = ("text", "number", "date", "datetime", "enum", "industry", "bool", "uscc", "coord")


@dataclass(frozen=True)
class Column:
    """One column of a layer or table: how it is stored and, if it comes from files, read.

    Store side: ``type`` (a key of ``STORE_TYPES``), ``role`` (a key of ``ROLES``),
    ``nullable`` (key and required columns never are), ``enum`` (allowed values),
    ``minimum`` / ``maximum`` (allowed range), ``pattern`` (regular expression for text).
    Input side (only when ``parse`` is set): header ``aliases``, ``parse`` kind, ``unit``
    the store keeps numbers in (header units are converted), ``unique`` (a repeat is
    rejected), ``stored`` (False for an input column the build consumes, like a project's
    declared ``zone``). ``minimum`` also refuses input numbers; coordinates are checked by
    ``place`` instead. ``label`` is the Chinese name people see.
    """
    name: str
    type: str = "text"
    role: str = "optional"
    aliases: tuple[str, ...] = ()
    parse: str | None = None
    enum: dict | None = None
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    label: str = ""
    nullable: bool = True
    unique: bool = False
    stored: bool = True
    pattern: str | None = None

    def __post_init__(self) -> None:
        if self.type not in STORE_TYPES or self.role not in ROLES or self.parse not in (None, *PARSE_KINDS):
            raise ValueError(f"column {self.name!r}: type {self.type!r} (one of {', '.join(STORE_TYPES)}), "
                             f"role {self.role!r} (one of {', '.join(ROLES)}), parse {self.parse!r} "
                             f"(None or one of {', '.join(PARSE_KINDS)})")

    @property
    def dtype(self) -> str:
        """The pandas dtype of the column in a frame read from the store."""
        return STORE_TYPES[self.type]

    @property
    def kind(self) -> str | None:
        """The parse kind (the name ``clean`` uses)."""
        return self.parse

    @property
    def required(self) -> bool:
        return self.role in ("key", "required")

    @property
    def is_unique(self) -> bool:
        return self.unique or self.role == "key"

    @property
    def is_nullable(self) -> bool:
        return self.nullable and not self.required

    @property
    def personal(self) -> bool:
        return self.role == "personal"


@dataclass(frozen=True)
class Layer:
    """A layer (``geometry`` "Point" or "MultiPolygon", EPSG:4326) or a table (no geometry)
    of the store: its columns in store order, and the columns that together are unique."""
    name: str
    label: str
    geometry: str | None
    columns: tuple[Column, ...]
    unique_together: tuple[str, ...] = ()

    @property
    def input_columns(self) -> tuple[Column, ...]:
        """The columns read from agency files, in the order ``clean`` checks them."""
        return tuple(c for c in self.columns if c.parse is not None)

    @property
    def store_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.stored)

    @property
    def dtypes(self) -> dict[str, str]:
        """Store column -> pandas dtype (besides ``geometry``)."""
        return {c.name: c.dtype for c in self.store_columns}

    @property
    def key(self) -> str | None:
        """The key column (the record id of a point layer), if there is one."""
        return next((c.name for c in self.columns if c.role == "key"), None)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}; it has {', '.join(c.name for c in self.columns)}")


def _text(name: str, *aliases: str, label: str = "", role: str = "optional", **more: object) -> Column:
    """A text column read from files under ``aliases``."""
    return Column(name, "text", role, aliases, "text", label=label, **more)


def _derived(name: str, type_: str = "text", label: str = "", **more: object) -> Column:
    """A column the build computes (never read from files)."""
    return Column(name, type_, "derived", label=label, **more)


_LOCATION = (
    Column(LON, "float", aliases=("经度", "longitude", "lng", "x", "东经"), parse="coord", minimum=115.0,
           maximum=117.5, label="经度"),
    Column(LAT, "float", aliases=("纬度", "latitude", "y", "北纬"), parse="coord", minimum=39.4, maximum=40.4,
           label="纬度"),
    _text("coord_sys", "坐标系", "坐标系统", "crs", "coordinate system", label="坐标系"),
    _text(STREET, "所属街镇", "街道", "街镇", "所属街道", "街道(镇)", "乡镇街道", label="所属街镇", nullable=False),
    _text("address", "地址", "详细地址", "项目地址", label="地址"),
)
_PLACED = (   # what placing adds to every point layer
    _derived(ZONE_IDS, label="所属功能区", nullable=False, pattern=ZONE_IDS_PATTERN),
    _derived(PLACEMENT, label="落点方式", nullable=False, enum=PLACEMENTS),
    _derived(SOURCE_FILE, label="来源文件", nullable=False),
    _derived(SOURCE_ROW, "int", label="来源行号", nullable=False),
)


def _number(name: str, *aliases: str, label: str, unit: str | None = None, minimum: float | None = 0) -> Column:
    return Column(name, "float", "optional", aliases, "number", unit=unit, minimum=minimum, label=label)


def _date(name: str, *aliases: str, label: str, kind: str = "date", role: str = "optional") -> Column:
    return Column(name, kind, role, aliases, kind, label=label)


def _enum(name: str, enum: dict, *aliases: str, label: str, role: str = "optional", parse: str = "enum") -> Column:
    return Column(name, "text", role, aliases, parse, enum=enum, label=label)


def _yes_no(name: str, *aliases: str, label: str) -> Column:
    return Column(name, "bool", "optional", aliases, "bool", label=label)


_PROJECTS = Layer("projects", "重大项目", "Point", (
    _text("project_id", "项目编号", "编号", "项目代码", "id", label="项目编号", role="key"),
    _text("name", "项目名称", "名称", label="项目名称", role="required"),
    _enum("status", STATUS, "项目状态", "状态", "建设状态", label="项目状态", role="required"),
    _enum("level", LEVEL, "项目级别", "级别", label="项目级别"),
    _enum("industry", INDUSTRY, "产业类别", "行业", "产业", "行业类别", label="产业类别", parse="industry"),
    _number("investment_total", "总投资", "投资总额", "计划总投资", unit="亿元", label="总投资(亿元)"),
    _number("investment_done", "累计完成投资", "完成投资", "已完成投资", unit="亿元", label="累计完成投资(亿元)"),
    _number("investment_plan_year", "年度计划投资", "本年计划投资", "年度投资计划", "本年度计划投资", "年度计划完成投资",
            unit="亿元", label="年度计划投资(亿元)"),
    _date("start_date", "开工时间", "开工日期", label="开工时间"),
    _date("completion_date", "竣工时间", "建成时间", "竣工日期", label="竣工时间"),
    _date("planned_start", "计划开工时间", "计划开工日期", label="计划开工时间"),
    _date("planned_completion", "计划竣工时间", "计划完工时间", "计划竣工日期", label="计划竣工时间"),
    *_LOCATION,
    _text("zone", "所属功能区", "功能区", label="所属功能区", stored=False),   # becomes zone_declared
    _text("owner_unit", "责任单位", "建设单位", "牵头单位", label="责任单位"),
    _derived("schedule", label="计划执行", nullable=False, enum=SCHEDULE_LABELS),
    _derived("days_late", "nullable_int", label="滞后天数", minimum=1),
    _derived(ZONE_DECLARED, label="申报功能区"),
    _derived(ZONE_MISMATCH, "bool", label="申报功能区不符"),
    *_PLACED,
))
_ENTERPRISES = Layer("enterprises", "企业", "Point", (
    Column("uscc", "text", "key", ("统一社会信用代码", "信用代码", "社会信用代码"), "uscc", label="统一社会信用代码"),
    _text("name", "企业名称", "名称", "单位名称", label="企业名称", role="required"),
    _enum("industry", INDUSTRY, "行业", "所属行业", "产业类别", label="行业", parse="industry"),
    _yes_no("service_package", "服务包企业", "服务包", "是否服务包企业", label="服务包企业"),
    _number("registered_capital", "注册资本", unit="万元", label="注册资本(万元)"),
    _date("established", "成立日期", "成立时间", label="成立日期"),
    *_LOCATION,
    _text("contact_person", "联系人", label="联系人", role="personal"),
    _text("contact_phone", "联系电话", "电话", "手机", label="联系电话", role="personal"),
    *_PLACED,
))
_STATIONS = Layer("stations", "服务站点", "Point", (
    _text("station_id", "站点编号", "编号", "id", label="站点编号", role="key"),
    _text("name", "站点名称", "名称", label="站点名称", role="required"),
    _enum("kind", STATION_KIND, "类型", "站点类型", label="类型", role="required"),
    _enum("tier", STATION_TIER, "层级", "站点层级", label="层级"),
    _text("services", "服务内容", "服务事项", label="服务内容"),
    _text("hours", "服务时间", "开放时间", label="服务时间"),
    _text("phone", "电话", "联系电话", "服务电话", label="电话"),
    *_LOCATION,
    *_PLACED,
))
_HOTLINE = Layer("hotline", "12345诉求", "Point", (
    _text("case_id", "工单编号", "工单号", "编号", "id", label="工单编号", role="key"),
    _date("received_at", "受理时间", "来电时间", "受理日期", label="受理时间", kind="datetime", role="required"),
    _enum("category", HOTLINE_CATEGORY, "诉求类别", "类别", "问题类别", label="诉求类别"),
    # A caller's address is read (a header the file may have) but not stored: personal data
    # the dashboard has no use for; the point and the street are what it counts.
    *_LOCATION[:4], replace(_LOCATION[4], stored=False),
    _text("community", "社区", "所属社区", label="社区"),
    _yes_no("responded", "响应", "是否响应", label="响应"),
    _yes_no("resolved", "解决", "是否解决", label="解决"),
    _yes_no("satisfied", "满意", "是否满意", label="满意"),
    *_PLACED,
))
_COMMUNITIES = Layer("communities", "社区/村", "Point", (
    # The record id: the code when given, else "{street}/{name}" (loaders.clean.community_ids).
    Column("community_id", "text", "key", label="社区编号"),
    _text("name", "社区名称", "村名称", "名称", label="社区名称", role="required"),
    _text("code", "社区代码", "村代码", "代码", label="社区代码", unique=True),
    _number("population", "常住人口", "人口", label="常住人口"),
    *_LOCATION,
    _derived("nearest_station_m", "float", label="距最近先丰站(米)", minimum=0),
    _derived("covered", "bool", label="在覆盖范围内"),
    *_PLACED,
))
_NEEDS = Layer("needs", "企业诉求", "Point", (
    _text("need_id", "诉求编号", "需求编号", "编号", "id", label="诉求编号", role="key"),
    Column("uscc", "text", "required", ("统一社会信用代码", "信用代码", "社会信用代码"), "uscc", label="统一社会信用代码"),
    _enum("category", NEED_CATEGORY, "诉求类别", "需求类别", "诉求类型", "需求类型", "类别", label="诉求类别"),
    _date("raised_at", "提出时间", "提出日期", "受理时间", "登记时间", label="提出时间", role="required"),
    _date("closed_at", "办结时间", "办结日期", "完成时间", label="办结时间"),
    _enum("status", NEED_STATUS, "状态", "办理状态", "办理进度", label="状态"),
    _text("owner_unit", "责任单位", "承办单位", "牵头单位", label="责任单位"),
    _yes_no("satisfied", "企业满意", "满意", "是否满意", "企业评价", label="企业满意"),
    # Free text about a named enterprise, often with people and phone numbers in it: personal data.
    _text("summary", "诉求内容", "需求内容", "诉求描述", "具体诉求", label="诉求内容", role="personal"),
    # Placed at its enterprise (loaders.needs.place_needs): never read from the needs file.
    _derived("enterprise_name", label="企业名称"),
    _derived(LON, "float", label="经度", minimum=115.0, maximum=117.5),
    _derived(LAT, "float", label="纬度", minimum=39.4, maximum=40.4),
    _derived(STREET, label="所属街镇", nullable=False),
    _derived("station_id", label="对接先丰港"),
    _derived("station_link", label="先丰港对接方式", enum=STATION_LINKS),
    _derived("station_m", "float", label="距对接先丰港(米)", minimum=0),
    _derived("days_open", "nullable_int", label="已办理天数", minimum=0),
    _derived("days_to_close", "nullable_int", label="办结用时(天)", minimum=0),
    _derived("overdue", "bool", label="超期"),
    *_PLACED,
))
_STREETS = Layer("streets", "街镇边界", "MultiPolygon", (
    _text("name", "名称", "街镇名称", "xzqmc", "街道名称", "name_zh", label="名称", role="key"),
    _text("code", "代码", "xzqdm", "街镇代码", "统计用区划代码", label="代码"),
    _derived("name_en", label="英文名称"),
    _derived("kind", label="类型"),
    _derived("aliases", label="别名"),
    _number("population", "常住人口", "人口", label="常住人口"),
    _derived("area_km2", "float", label="面积(平方公里)", nullable=False, minimum=0),
    _derived("precision", label="精度", enum=PRECISION),
    _derived("source", label="来源"),
))
_ZONES = Layer("zones", "功能区边界", "MultiPolygon", (
    _text("zone_id", "功能区编号", "编号", "id", label="功能区编号", role="key", pattern=ZONE_ID_PATTERN),
    _text("name", "功能区名称", "名称", label="功能区名称", role="required"),
    _text("name_en", "英文名称", label="英文名称"),
    _enum("kind", ZONE_KIND, "类型", "功能区类型", label="类型"),
    _derived("area_km2", "float", label="面积(平方公里)", nullable=False, minimum=0),
    _enum("precision", PRECISION, "精度", label="精度"),
    _derived("source", label="来源"),
))


def _count(name: str, label: str) -> Column:
    return _derived(name, "int", label=label, nullable=False, minimum=0)


def _amount(name: str, label: str) -> Column:
    return _derived(name, "float", label=label, minimum=0)


def _share(name: str, label: str) -> Column:
    return _derived(name, "float", label=label, minimum=0, maximum=1)


# The indicators of zone_stats and street_stats, after the key (loaders.indicators computes them).
_STATS = (
    _amount("area_km2", "面积(平方公里)"),
    _amount("population", "常住人口"),
    _count("projects", "重大项目数"),
    _amount("investment_total", "总投资(亿元)"),
    _amount("investment_done", "累计完成投资(亿元)"),
    _amount("investment_plan_year", "年度计划投资(亿元)"),
    _share("investment_done_share", "投资完成率"),
    _count("status_reserve", "储备项目数"),
    _count("status_under_construction", "在建项目数"),
    _count("status_completed", "建成项目数"),
    _count("projects_delayed", "滞后项目数"),
    _count("projects_not_started_late", "逾期未开工项目数"),
    _count("projects_running_late", "逾期未竣工项目数"),
    _count("projects_completed_late", "延期竣工项目数"),
    _count("enterprises", "企业数"),
    _count("service_package", "服务包企业数"),
    _count("service_package_covered", "先丰港覆盖的服务包企业数"),
    _share("service_package_covered_share", "服务包企业先丰港覆盖率"),
    _count("stations", "服务站点数"),
    _count("citizen_stations", "先丰站数"),
    _count("enterprise_ports", "先丰港数"),
    _count("hotline_cases", "12345诉求量"),
    _count("hotline_located", "有坐标的12345诉求量"),
    _amount("hotline_per_10k", "每万人12345诉求量"),
    _share("hotline_response_rate", "响应率"),
    _share("hotline_resolution_rate", "解决率"),
    _share("hotline_satisfaction_rate", "满意率"),
    _count("hotline_responded", "已响应诉求数"),
    _count("hotline_responded_known", "填报响应的诉求数"),
    _count("hotline_resolved", "已解决诉求数"),
    _count("hotline_resolved_known", "填报解决的诉求数"),
    _count("hotline_satisfied", "满意诉求数"),
    _count("hotline_satisfied_known", "填报满意度的诉求数"),
    _count("communities", "社区/村数"),
    _amount("community_population", "社区常住人口"),
    _amount("covered_population", "覆盖人口"),
    _share("covered_population_share", "先丰站覆盖人口比例"),
    _count("needs", "企业诉求数"),
    _count("needs_open", "办理中诉求数"),
    _count("needs_closed", "已办结诉求数"),
    _share("needs_closure_rate", "诉求办结率"),
    _amount("needs_median_days_open", "办理中诉求已办天数中位数"),
    _count("needs_overdue", "超期诉求数"),
    _count("needs_satisfied", "企业满意的已办结诉求数"),
    _count("needs_satisfied_known", "填报满意度的已办结诉求数"),
    _share("needs_satisfaction_rate", "诉求满意率"),
    _derived("needs_overdue_days", "float", label="诉求超期天数", nullable=False, minimum=0),
    _derived("coverage_m", "float", label="覆盖距离(米)", nullable=False, minimum=0),
    _derived("as_of", "date", label="统计日期", nullable=False),
)
_ZONE_STATS = Layer(ZONE_STATS, "功能区指标", None,
                    (_derived("zone_id", label="功能区编号", nullable=False, unique=True), *_STATS))
_STREET_STATS = Layer(STREET_STATS, "街镇指标", None,
                      (_derived(STREET, label="街镇", nullable=False, unique=True), *_STATS))
_ZONE_MEMBERS = Layer(ZONE_MEMBERS, "功能区归属", None, (
    _derived("layer", label="图层", nullable=False, enum=dict.fromkeys(POINT_LAYERS)),
    _derived("record_id", label="记录编号", nullable=False),
    _derived("zone_id", label="功能区编号", nullable=False),
), unique_together=("layer", "record_id", "zone_id"))
_HOTLINE_MONTHLY = Layer(HOTLINE_MONTHLY, "12345月度诉求", None, (
    _derived("level", label="层级", nullable=False, enum=MONTHLY_LEVELS),
    _derived("key", label="功能区或街镇", nullable=False),
    _derived("month", "date", label="月份", nullable=False),
    _derived("category", label="诉求类别", nullable=False),
    _count("cases", "诉求量"),
    _amount("cases_estimate", "诉求量（估算）"),
    _count("responded_true", "已响应"), _count("responded_known", "填报响应"),
    _count("resolved_true", "已解决"), _count("resolved_known", "填报解决"),
    _count("satisfied_true", "满意"), _count("satisfied_known", "填报满意度"),
), unique_together=("level", "key", "month", "category"))


def _in_history(col: Column) -> Column:
    """A stats column as ``stats_history`` keeps it: nullable (a row written by an older build may
    lack a column added since), whole numbers as nullable integers."""
    return replace(col, type="nullable_int" if col.type == "int" else col.type, nullable=True)


_STATS_HISTORY = Layer(STATS_HISTORY, "指标历史", None, (
    _derived("as_of", "date", label="统计日期", nullable=False),
    _derived("level", label="层级", nullable=False, enum=MONTHLY_LEVELS),
    _derived("key", label="功能区或街镇", nullable=False),
    *(_in_history(c) for c in _STATS if c.name != "as_of"),
), unique_together=("as_of", "level", "key"))
_STREET_RANKING = Layer(STREET_RANKING, "接诉即办街镇排名", None, (
    _derived("month", "date", label="月份", nullable=False),
    _derived(STREET, label="街镇", nullable=False),
    _derived("group", label="排名组", nullable=False, enum=RANKING_GROUPS),
    _count("cases", "诉求量"),
    _amount("cases_per_10k", "每万人诉求量"),
    _share("response_rate", "响应率"),
    _share("resolution_rate", "解决率"),
    _share("satisfaction_rate", "满意率"),
    _derived("score", "float", label="综合得分", minimum=0, maximum=100),
    _derived("rank", "nullable_int", label="排名", minimum=1),
    _derived("rank_change", "nullable_int", label="排名变化"),
), unique_together=("month", STREET))
_ALERTS = Layer(ALERTS, "预警", None, (
    _derived("rule", label="规则", nullable=False, enum=ALERT_RULES),
    _derived("level", label="层级", nullable=False, enum=ALERT_LEVELS),
    _derived("key", label="对象", nullable=False),
    _derived("period", label="期间", nullable=False),
    _derived("value", "float", label="数值", nullable=False),
    _derived("baseline", "float", label="基准"),
    _derived("severity", label="等级", nullable=False, enum=ALERT_SEVERITIES),
    _derived("message_zh", label="预警信息", nullable=False),
    _derived("message_en", label="预警信息（英文）", nullable=False),
))
_NEED_COUNTS = (
    _count("raised", "提出诉求数"),
    _count("closed", "办结诉求数"),
)
_NEEDS_MONTHLY = Layer(NEEDS_MONTHLY, "企业诉求月度", None, (
    _derived("level", label="层级", nullable=False, enum=MONTHLY_LEVELS),
    _derived("key", label="功能区或街镇", nullable=False),
    _derived("month", "date", label="月份", nullable=False),
    *_NEED_COUNTS,
    _count("open_at_end", "月末办理中诉求数"),
    _count("overdue_at_end", "月末超期诉求数"),
), unique_together=("level", "key", "month"))
_NEEDS_BREAKDOWN = Layer(NEEDS_BREAKDOWN, "企业诉求分类与站点", None, (
    _derived("level", label="层级", nullable=False, enum=NEEDS_LEVELS),
    _derived("key", label="功能区、街镇或先丰港", nullable=False),
    _derived("category", label="诉求类别", nullable=False, enum={**NEED_CATEGORY_LABELS, "all": "全部"}),
    _count("needs", "企业诉求数"),
    _count("open", "办理中"),
    _count("closed", "已办结"),
    _count("overdue", "超期"),
    _share("closure_rate", "办结率"),
    _amount("median_days_open", "办理中诉求已办天数中位数"),
    _count("satisfied", "企业满意"),
    _count("satisfied_known", "填报满意度"),
), unique_together=("level", "key", "category"))
_BUILD_REPORT = Layer(REPORT_LAYER, "构建报告", None, (
    _derived("built_at", label="构建时间", nullable=False),
    _derived("sample_data", "bool", label="示例数据", nullable=False),
    _derived("report_json", label="报告", nullable=False),
))

LAYERS: dict[str, Layer] = {layer.name: layer for layer in (
    _STREETS, _ZONES, _PROJECTS, _ENTERPRISES, _STATIONS, _HOTLINE, _COMMUNITIES, _NEEDS,
    _ZONE_MEMBERS, _ZONE_STATS, _STREET_STATS, _HOTLINE_MONTHLY, _STATS_HISTORY, _STREET_RANKING, _ALERTS,
    _NEEDS_MONTHLY, _NEEDS_BREAKDOWN, _BUILD_REPORT)}


# ---------------------------------------------------------------- derived from the declaration
INPUT_COLUMNS: dict[str, tuple[Column, ...]] = {   # every layer read from files (points and boundaries)
    name: LAYERS[name].input_columns for name in ALL_LAYERS
}
STORE_COLUMNS: dict[str, tuple[str, ...]] = {      # the layers' columns besides geometry, in store order
    name: tuple(LAYERS[name].dtypes) for name in ALL_LAYERS
}
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {      # the tables' columns (no geometry)
    name: tuple(LAYERS[name].dtypes) for name in TABLES
}
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in LAYERS[name].columns if c.personal) for name in POINT_LAYERS
}
RECORD_ID: dict[str, str] = {name: LAYERS[name].key for name in POINT_LAYERS}   # zone_members' record_id


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """A layer with no rows but every store column with its dtype; geometry in EPSG:4326.

    For an optional layer a build left out (the dashboard shows it empty, not as an error).
    """
    if name not in STORE_COLUMNS:
        raise ValueError(f"unknown layer {name!r}; expected one of {', '.join(STORE_COLUMNS)}")
    columns = {col: pd.Series([], dtype=dtype) for col, dtype in LAYERS[name].dtypes.items()}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)


def empty_table(name: str) -> pd.DataFrame:
    """A table without geometry (``TABLES``), no rows, every column with its dtype."""
    if name not in TABLE_COLUMNS:
        raise ValueError(f"unknown table {name!r}; expected one of {', '.join(TABLE_COLUMNS)}")
    return pd.DataFrame({col: pd.Series([], dtype=dtype) for col, dtype in LAYERS[name].dtypes.items()})
