"""Every layer's columns, types, enums and header aliases: the one place they are declared.

Other modules refer to these names rather than to string literals. The input side
(``InputColumn``) follows ``shared/spec/data-contract.md``; the store side
(``STORE_COLUMNS``) is what the dashboard reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Layer names, in build order.
POINT_LAYERS: tuple[str, ...] = ("projects", "enterprises", "stations", "hotline")
GEOMETRY_LAYERS: tuple[str, ...] = ("streets", "zones")
ALL_LAYERS: tuple[str, ...] = (*GEOMETRY_LAYERS, *POINT_LAYERS)
REPORT_LAYER = "build_report"

LAYER_LABELS: dict[str, str] = {
    "streets": "街镇边界", "zones": "功能区边界", "projects": "重大项目",
    "enterprises": "企业", "stations": "服务站点", "hotline": "12345诉求",
}

# Columns every loaded point layer gains.
STREET = "street"          # canonical street name, never null for a loaded row
ZONE_IDS = "zone_ids"      # ",lize,zgc_fengtai," : filter one zone with LIKE '%,lize,%'
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


@dataclass(frozen=True)
class InputColumn:
    """One input column: its canonical name, header aliases and how to read it.

    ``kind`` is one of text, number, date, datetime, enum, bool, uscc, coord.
    ``unit`` is the unit the store keeps numbers in (header units are converted).
    """
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "text"
    required: bool = False
    unique: bool = False
    enum: dict | None = None
    unit: str | None = None
    minimum: float | None = None
    personal: bool = False
    label: str = ""


_COORDS = (
    InputColumn("lon", ("经度", "longitude", "lng", "x", "东经"), "coord", label="经度"),
    InputColumn("lat", ("纬度", "latitude", "y", "北纬"), "coord", label="纬度"),
    InputColumn("coord_sys", ("坐标系", "坐标系统", "crs", "coordinate system"), "text", label="坐标系"),
    InputColumn("street", ("所属街镇", "街道", "街镇", "所属街道", "街道(镇)", "乡镇街道"), "text", label="所属街镇"),
    InputColumn("address", ("地址", "详细地址", "项目地址"), "text", label="地址"),
)

INPUT_COLUMNS: dict[str, tuple[InputColumn, ...]] = {
    "projects": (
        InputColumn("project_id", ("项目编号", "编号", "项目代码", "id"), "text", required=True, unique=True, label="项目编号"),
        InputColumn("name", ("项目名称", "名称"), "text", required=True, label="项目名称"),
        InputColumn("status", ("项目状态", "状态", "建设状态"), "enum", required=True, enum=STATUS, label="项目状态"),
        InputColumn("level", ("项目级别", "级别"), "enum", enum=LEVEL, label="项目级别"),
        InputColumn("industry", ("产业类别", "行业", "产业", "行业类别"), "industry", enum=INDUSTRY, label="产业类别"),
        InputColumn("investment_total", ("总投资", "投资总额", "计划总投资"), "number", unit="亿元", minimum=0, label="总投资(亿元)"),
        InputColumn("start_date", ("开工时间", "开工日期", "计划开工时间"), "date", label="开工时间"),
        InputColumn("completion_date", ("竣工时间", "建成时间", "竣工日期", "计划竣工时间"), "date", label="竣工时间"),
        *_COORDS,
        InputColumn("zone", ("所属功能区", "功能区"), "text", label="所属功能区"),
        InputColumn("owner_unit", ("责任单位", "建设单位", "牵头单位"), "text", label="责任单位"),
    ),
    "enterprises": (
        InputColumn("uscc", ("统一社会信用代码", "信用代码", "社会信用代码"), "uscc", required=True, unique=True, label="统一社会信用代码"),
        InputColumn("name", ("企业名称", "名称", "单位名称"), "text", required=True, label="企业名称"),
        InputColumn("industry", ("行业", "所属行业", "产业类别"), "industry", enum=INDUSTRY, label="行业"),
        InputColumn("service_package", ("服务包企业", "服务包", "是否服务包企业"), "bool", label="服务包企业"),
        InputColumn("registered_capital", ("注册资本",), "number", unit="万元", minimum=0, label="注册资本(万元)"),
        InputColumn("established", ("成立日期", "成立时间"), "date", label="成立日期"),
        *_COORDS,
        InputColumn("contact_person", ("联系人",), "text", personal=True, label="联系人"),
        InputColumn("contact_phone", ("联系电话", "电话", "手机"), "text", personal=True, label="联系电话"),
    ),
    "stations": (
        InputColumn("station_id", ("站点编号", "编号", "id"), "text", required=True, unique=True, label="站点编号"),
        InputColumn("name", ("站点名称", "名称"), "text", required=True, label="站点名称"),
        InputColumn("kind", ("类型", "站点类型"), "enum", required=True, enum=STATION_KIND, label="类型"),
        InputColumn("tier", ("层级", "站点层级"), "enum", enum=STATION_TIER, label="层级"),
        InputColumn("services", ("服务内容", "服务事项"), "text", label="服务内容"),
        InputColumn("hours", ("服务时间", "开放时间"), "text", label="服务时间"),
        InputColumn("phone", ("电话", "联系电话", "服务电话"), "text", label="电话"),
        *_COORDS,
    ),
    "hotline": (
        InputColumn("case_id", ("工单编号", "工单号", "编号", "id"), "text", required=True, unique=True, label="工单编号"),
        InputColumn("received_at", ("受理时间", "来电时间", "受理日期"), "datetime", required=True, label="受理时间"),
        InputColumn("category", ("诉求类别", "类别", "问题类别"), "enum", enum=HOTLINE_CATEGORY, label="诉求类别"),
        *_COORDS,
        InputColumn("community", ("社区", "所属社区"), "text", label="社区"),
        InputColumn("responded", ("响应", "是否响应"), "bool", label="响应"),
        InputColumn("resolved", ("解决", "是否解决"), "bool", label="解决"),
        InputColumn("satisfied", ("满意", "是否满意"), "bool", label="满意"),
    ),
}

# Geometry layers' input columns (official files replacing the bundled geodata).
GEOMETRY_INPUT_COLUMNS: dict[str, tuple[InputColumn, ...]] = {
    "streets": (
        InputColumn("name", ("名称", "街镇名称", "xzqmc", "街道名称", "name_zh"), "text", required=True),
        InputColumn("code", ("代码", "xzqdm", "街镇代码", "统计用区划代码"), "text"),
        InputColumn("population", ("常住人口", "人口"), "number", minimum=0),
    ),
    "zones": (
        InputColumn("zone_id", ("功能区编号", "编号", "id"), "text", required=True, unique=True),
        InputColumn("name", ("功能区名称", "名称"), "text", required=True),
        InputColumn("name_en", ("英文名称",), "text"),
        InputColumn("kind", ("类型", "功能区类型"), "enum", enum=ZONE_KIND),
        InputColumn("precision", ("精度",), "enum", enum=PRECISION),
    ),
}

PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    layer: tuple(c.name for c in cols if c.personal) for layer, cols in INPUT_COLUMNS.items()
}

# Columns of the store, per layer (besides ``geometry``). The dashboard reads these.
_POINT_EXTRA = (LON, LAT, STREET, ZONE_IDS, PLACEMENT, SOURCE_FILE, SOURCE_ROW)
STORE_COLUMNS: dict[str, tuple[str, ...]] = {
    "streets": ("name", "code", "name_en", "kind", "aliases", "population", "area_km2",
                "precision", "source"),
    "zones": ("zone_id", "name", "name_en", "kind", "area_km2", "precision", "source"),
    "projects": ("project_id", "name", "status", "level", "industry", "investment_total",
                 "start_date", "completion_date", "coord_sys", "address", ZONE_DECLARED,
                 ZONE_MISMATCH, "owner_unit", *_POINT_EXTRA),
    "enterprises": ("uscc", "name", "industry", "service_package", "registered_capital",
                    "established", "coord_sys", "address", "contact_person", "contact_phone",
                    *_POINT_EXTRA),
    "stations": ("station_id", "name", "kind", "tier", "services", "hours", "phone",
                 "coord_sys", "address", *_POINT_EXTRA),
    "hotline": ("case_id", "received_at", "category", "community", "responded", "resolved",
                "satisfied", "coord_sys", *_POINT_EXTRA),
}

# Header units: factor that converts a value in the header's unit to the store's unit.
UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("万元", "亿元"): 1e-4, ("亿元", "亿元"): 1.0, ("元", "亿元"): 1e-8,
    ("万元", "万元"): 1.0, ("亿元", "万元"): 1e4, ("元", "万元"): 1e-4,
}


@dataclass
class LayerFile:
    """An input file found for a layer (``read.py`` fills it)."""
    layer: str
    path: str
    notes: list[str] = field(default_factory=list)
