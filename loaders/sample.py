"""The synthetic sample: deterministic, realistic in shape, clearly not real (示例).

``write_sample`` writes agency-style files (an XLSX with a title row and merged
headers, a GB18030 CSV, a BOM CSV, GCJ-02 and BD-09 coordinates, a few bad rows)
that then go through the same loaders as real files. Every name says 示例; every
figure is random. Nothing here is an official number.

Each layer draws from its own random stream (``_rng``), so changing one layer does not
reshuffle the others. Dates are relative to the fixed ``REFERENCE_DATE``, never to
today, so the files are identical whenever they are written. The build measures project
delays as of its ``as_of``, and the bundled sample is dated ``REFERENCE_DATE`` unless
``--as-of`` says otherwise (``loaders.build.build_day``), so its figures do not drift with
the wall clock; the shares documented in ``project_plan`` hold as of that day (a sample
dated later shows more projects behind plan: a plan on track in June is late in December).

Change over time: the 12345 cases cover HOTLINE_MONTHS months up to the reference month,
with a season and two designed events in the last month (``make_hotline``: SURGE,
RATE_DROP); a few projects fall behind in that month (NEWLY_LATE); projects carry an
annual plan (``annual_plan``); and the sample store starts with month-end snapshots in its
``stats_history`` computed from the records as they stood on each day (``sample_history``).

``REFERENCE_DATE`` is the sample's own "today", and it is in the past: no actual date
(开工时间, 竣工时间) lies after it, so a completed project (建成) never finishes after the
date of a build made on or after it (the loaders warn ``completed_in_future`` otherwise).
Projects still under construction, or in reserve, may be planned to finish in the future.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from geodata import boundaries
from geodata.crs import METRIC_CRS, wgs84_to_bd09, wgs84_to_gcj02
from loaders.change import PreviousBuild, history_rows
from loaders.clean import USCC_CHARSET, USCC_WEIGHTS
from loaders.indicators import (
    HOTLINE_FLAGS,
    compute_stats,
    hotline_case_values,
    hotline_figures,
    project_schedule,
    zone_links,
)
from loaders.needs import DEFAULT_OVERDUE_DAYS
from loaders.schema import POINT_LAYERS, STREET

GENERATOR_VERSION = 6
SEED = 20251106
REFERENCE_DATE = pd.Timestamp("2026-06-30")   # "today" of the sample's plan dates (fixed, not the clock)
SCALES = {"tiny": {"projects": 300, "enterprises": 500, "hotline": 2_000, "needs": 200},  # smoke tests of the benchmark
          "default": {"projects": 300, "enterprises": 20_000, "hotline": 200_000},
          "full": {"projects": 300, "enterprises": 100_000, "hotline": 1_000_000},
          "x10": {"projects": 300, "enterprises": 200_000, "hotline": 2_000_000}}   # the benchmark's 10×

# Industries that fit each zone (domain.md), most typical first.
ZONE_INDUSTRIES: dict[str, list[str]] = {
    "lize": ["finance", "headquarters", "digital"],
    "zgc_fengtai": ["rail_transit", "aerospace", "smart_medical", "low_altitude", "digital"],
    "nanzhongzhou": ["culture_tourism", "public_services", "ecology", "commerce"],
    "xishan_yongding": ["culture_tourism", "ecology", "public_services"],
    "hexi": ["low_altitude", "ecology", "infrastructure", "housing"],
    "fengtai_station": ["commerce", "headquarters", "infrastructure"],
    "wulidian": ["digital", "commerce", "housing"],
    "xinfadi": ["commerce", "logistics", "flowers"],
    None: ["housing", "infrastructure", "public_services", "construction", "flowers", "commerce"],
}
INDUSTRY_ZH = {"finance": "金融", "headquarters": "总部经济", "digital": "数字经济", "rail_transit": "轨道交通",
               "aerospace": "航空航天", "smart_medical": "智能医工", "low_altitude": "低空技术",
               "culture_tourism": "文化旅游", "public_services": "公共服务", "ecology": "生态环境",
               "commerce": "商贸", "infrastructure": "基础设施", "housing": "住房", "logistics": "物流",
               "flowers": "花卉", "construction": "建筑"}
PROJECT_WORDS = {"finance": "金融中心", "headquarters": "总部大厦", "digital": "数字产业园",
                 "rail_transit": "轨道交通创新中心", "aerospace": "航天科技园", "smart_medical": "医工创新基地",
                 "low_altitude": "低空技术试验场", "culture_tourism": "文化街区更新",
                 "public_services": "学校及社区服务中心", "ecology": "公园绿地提升", "commerce": "商业综合体",
                 "infrastructure": "道路及市政配套", "housing": "安置房", "logistics": "冷链物流中心",
                 "flowers": "花卉交易中心数字化改造", "construction": "绿色建筑示范"}
ENTERPRISE_WORDS = ["科技", "信息", "数据", "金融服务", "医疗器械", "轨道装备", "航空", "文化传媒",
                    "商贸", "物流", "建筑工程", "花卉", "餐饮", "咨询"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"


def ensure_sample_source(folder: Path, scale: str = "default") -> Path:
    """The sample source folder, (re)written when missing or made by another version."""
    stamp = folder / ".sample.json"
    wanted = {"generator_version": GENERATOR_VERSION, "seed": SEED, "scale": scale}
    if stamp.exists():
        try:
            if json.loads(stamp.read_text(encoding="utf-8")) == wanted:
                return folder
        except json.JSONDecodeError:
            pass
    write_sample(folder, scale)
    return folder


# One random stream per layer (numpy SeedSequence entropy [SEED, k]).
_STREAMS = {"projects": 1, "enterprises": 2, "communities": 3, "stations": 4, "hotline": 5, "needs": 6}


def _rng(layer: str) -> np.random.Generator:
    return np.random.default_rng([SEED, _STREAMS[layer]])


def write_sample(folder: Path, scale: str = "default") -> Path:
    """Write projects.xlsx, enterprises.csv (GB18030), communities.csv, stations.csv (both
    UTF-8 with BOM), hotline.csv and needs.xlsx (a titled enterprise-service ledger) into ``folder``."""
    sizes = SCALES[scale]
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    streets = boundaries.load_streets()
    zones = boundaries.load_zones()
    _write_projects_xlsx(make_projects(_rng("projects"), streets, zones, sizes["projects"]), tmp / "projects.xlsx")
    enterprises = make_enterprises(_rng("enterprises"), streets, zones, sizes["enterprises"])
    enterprises.to_csv(tmp / "enterprises.csv", index=False, encoding="gb18030")
    _write_needs_xlsx(make_needs(_rng("needs"), enterprises, zones, sizes.get("needs", NEEDS_COUNT)),
                      tmp / "needs.xlsx")
    communities, truth = make_communities(_rng("communities"), streets)
    communities.to_csv(tmp / "communities.csv", index=False, encoding="utf-8-sig")
    make_stations(_rng("stations"), streets, zones, truth).to_csv(
        tmp / "stations.csv", index=False, encoding="utf-8-sig")
    make_hotline(_rng("hotline"), streets, sizes["hotline"]).to_csv(tmp / "hotline.csv", index=False, encoding="utf-8")
    (tmp / ".sample.json").write_text(json.dumps({"generator_version": GENERATOR_VERSION, "seed": SEED,
                                                 "scale": scale}), encoding="utf-8")
    (tmp / ".README.txt").write_text("示例数据（合成）：名称、数量、金额均为随机生成，不是真实或官方数据。\n"
                                    "Synthetic sample data: every name and figure is random, not official.\n",
                                    encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def random_points_in(polygons: gpd.GeoSeries, which: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random point inside ``polygons[which[i]]`` for each i, as an (n, 2) lon/lat array."""
    out = np.empty((len(which), 2))
    for k in np.unique(which):
        rows = np.flatnonzero(which == k)
        geom = polygons.iloc[k]
        shapely.prepare(geom)
        minx, miny, maxx, maxy = geom.bounds
        got = np.empty((0, 2))
        while len(got) < len(rows):
            need = (len(rows) - len(got)) * 3 + 16
            xy = np.column_stack([rng.uniform(minx, maxx, need), rng.uniform(miny, maxy, need)])
            got = np.vstack([got, xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]])
        out[rows] = got[: len(rows)]
    return out


def _street_of(points: np.ndarray, streets: gpd.GeoDataFrame) -> np.ndarray:
    pts = shapely.points(points)
    p, s = streets.sindex.query(pts, predicate="intersects")
    names = np.full(len(points), "", dtype=object)
    names[p[::-1]] = streets["name"].to_numpy()[s[::-1]]
    return names


def _zone_of(points: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    """The first zone (in ZONES order) each point falls in, or None."""
    pts = shapely.points(points)
    p, z = zones.sindex.query(pts, predicate="intersects")
    out = np.full(len(points), None, dtype=object)
    order = np.lexsort((z, p))
    p, z = p[order], z[order]
    first = np.unique(p, return_index=True)[1]
    out[p[first]] = zones["zone_id"].to_numpy()[z[first]]
    return out


def uscc(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct, well-formed unified social credit codes (91 + Fengtai's 110106 + 9 + check)."""
    charset = np.array(list(USCC_CHARSET))
    body = rng.integers(0, 31, size=(n, 9))
    body[:, 8] = rng.integers(0, 10, size=n)
    prefix = np.array([9, 1, 1, 1, 0, 1, 0, 6])
    values = np.hstack([np.tile(prefix, (n, 1)), body])
    check = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    codes = np.array(["".join(row) for row in charset[np.hstack([values, check[:, None]])]])
    return codes


def _coords_out(points: np.ndarray, systems: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = points[:, 0].copy(), points[:, 1].copy()
    for name, fn in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        m = systems == name
        if m.any():
            lon[m], lat[m] = fn(lon[m], lat[m])
    return np.round(lon, 6), np.round(lat, 6)


# Shares behind plan as of REFERENCE_DATE (exact counts per status, see ``project_plan``).
LATE_SHARE = {"储备": 0.15, "在建": 0.20, "建成": 0.25}
# Of those, a few fell behind only in the reference month (days before REFERENCE_DATE): the
# projects the sample's project_newly_delayed alert finds against its previous month-end.
NEWLY_LATE = {"储备": (10,), "在建": (6, 17)}


def _months(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """``n`` random durations between ``low`` and ``high`` months (30.44-day months, whole days)."""
    return np.round(rng.uniform(low, high, size=n) * 30.44).astype("timedelta64[D]")


def _late_mask(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Exactly round(share * n) of ``n`` flags set, at random positions."""
    mask = np.zeros(n, bool)
    mask[rng.permutation(n)[: int(round(share * n))]] = True
    return mask


def project_plan(rng: np.random.Generator, status: np.ndarray, invest_wan: np.ndarray) -> dict[str, np.ndarray]:
    """Actual and planned dates (ISO text, "" when none) and 累计完成投资 (亿元), by status,
    all relative to REFERENCE_DATE:

    - 储备 (reserve): no actual dates; planned start 1-18 months before the reference date
      for LATE_SHARE (not started on time; NEWLY_LATE of them only days before it), 1-30
      months after it for the rest; completed investment 0.
    - 在建 (under construction): LATE_SHARE (running late) were planned to finish 1-18
      months before the reference date (NEWLY_LATE of them only days before it), after
      12-48 months of works, and started 0-4 months
      after their planned start; the rest started 1-48 months before the reference date
      (planned 0-4 months before that) and are planned to finish 1-36 months after it;
      completed investment 10-90 % of the total.
    - 建成 (completed): finished 1-48 months before the reference date. LATE_SHARE finished
      1-18 months after their planned completion (planned 12-36 months of works, started
      0-3 months after the planned start); the rest worked 12-48 months and finished on
      time or up to 6 months early; completed investment 97-100 % of the total.
    Planned completion is always after planned start, and actual start before completion.
    """
    n = len(status)
    ref = REFERENCE_DATE.to_datetime64().astype("datetime64[D]")
    start = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    end, p_start, p_end = start.copy(), start.copy(), start.copy()
    done = np.zeros(n)
    for state in ("储备", "在建", "建成"):
        rows = np.flatnonzero(status == state)
        late = _late_mask(rng, len(rows), LATE_SHARE[state])
        a, b = rows[late], rows[~late]                     # behind plan / on track
        if state == "储备":
            p_start[a] = ref - _months(rng, 1, 18, len(a))
            p_start[a[:len(NEWLY_LATE[state])]] = ref - np.array(NEWLY_LATE[state], dtype="timedelta64[D]")
            p_start[b] = ref + _months(rng, 1, 30, len(b))
            p_end[rows] = p_start[rows] + _months(rng, 12, 48, len(rows))
        elif state == "在建":
            p_end[a] = ref - _months(rng, 1, 18, len(a))
            p_end[a[:len(NEWLY_LATE[state])]] = ref - np.array(NEWLY_LATE[state], dtype="timedelta64[D]")
            p_start[a] = p_end[a] - _months(rng, 12, 48, len(a))
            start[a] = p_start[a] + _months(rng, 0, 4, len(a))
            start[b] = ref - _months(rng, 1, 48, len(b))
            p_start[b] = start[b] - _months(rng, 0, 4, len(b))
            p_end[b] = ref + _months(rng, 1, 36, len(b))
            done[rows] = rng.uniform(0.10, 0.90, size=len(rows))
        else:
            end[rows] = ref - _months(rng, 1, 48, len(rows))
            p_end[a] = end[a] - _months(rng, 1, 18, len(a))
            p_start[a] = p_end[a] - _months(rng, 12, 36, len(a))
            start[a] = p_start[a] + _months(rng, 0, 3, len(a))
            start[b] = end[b] - _months(rng, 12, 48, len(b))
            p_start[b] = start[b] - _months(rng, 0, 3, len(b))
            p_end[b] = end[b] + _months(rng, 0, 6, len(b))
            done[rows] = rng.uniform(0.97, 1.0, size=len(rows))

    def text(values: np.ndarray) -> np.ndarray:
        return np.where(np.isnat(values), "", np.datetime_as_string(values, unit="D")).astype(object)

    return {"start": text(start), "completion": text(end), "planned_start": text(p_start),
            "planned_completion": text(p_end),
            "investment_done": np.round(done * invest_wan / 10_000, 4),   # 万元 -> 亿元
            "investment_plan_year": annual_plan(invest_wan, start, end, p_start, p_end)}


def annual_plan(invest_wan: np.ndarray, start: np.ndarray, end: np.ndarray, p_start: np.ndarray,
                p_end: np.ndarray) -> np.ndarray:
    """年度计划投资 (万元) for REFERENCE_DATE's year, NaN (left blank) where the works do not
    touch that year. No random draw: the total spread evenly over the works, from the actual
    start (else the planned one) to the actual completion (else the planned one; a project
    still running past its planned completion is planned to finish six months after the
    reference date), and the part falling in the year planned for it.
    """
    ref = REFERENCE_DATE.to_datetime64().astype("datetime64[D]")
    year0 = np.datetime64(f"{REFERENCE_DATE.year}-01-01", "D")
    year1 = np.datetime64(f"{REFERENCE_DATE.year + 1}-01-01", "D")
    first = np.where(np.isnat(start), p_start, start)
    last = np.where(np.isnat(end), p_end, end)
    overdue = np.isnat(end) & ~np.isnat(start) & (p_end < ref)
    last = np.where(overdue, ref + np.timedelta64(183, "D"), last)
    days = (last - first).astype(float)
    inside = (np.minimum(last, year1) - np.maximum(first, year0)).astype(float)
    share = np.clip(np.where(days > 0, inside / np.where(days > 0, days, 1.0), 0.0), 0.0, 1.0)
    plan = np.round(share * invest_wan, -1)
    return np.where(plan > 0, plan, np.nan)


def make_projects(rng: np.random.Generator, streets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                  n: int) -> pd.DataFrame:
    """Projects: zone-fitting industries, status/level mix, log-normal investment (万元)."""
    zone_ids = zones["zone_id"].tolist()
    weights = np.array([0.16, 0.10, 0.16, 0.18, 0.08, 0.08, 0.06, 0.06])[: len(zone_ids)]
    in_zone = rng.random(n) < 0.8
    which_zone = rng.choice(len(zone_ids), size=n, p=weights / weights.sum())
    pts = np.empty((n, 2))
    pts[in_zone] = random_points_in(zones.geometry, which_zone[in_zone], rng)
    district = gpd.GeoSeries([shapely.union_all(streets.geometry.to_numpy())], crs=streets.crs)
    pts[~in_zone] = random_points_in(district, np.zeros((~in_zone).sum(), int), rng)
    zone = np.where(in_zone, np.array(zone_ids, dtype=object)[which_zone], None)
    industry = np.array([rng.choice(ZONE_INDUSTRIES[z]) for z in zone], dtype=object)
    status = rng.choice(["储备", "在建", "建成"], size=n, p=[0.30, 0.45, 0.25])
    level = rng.choice(["国家级", "市级", "区级"], size=n, p=[0.08, 0.27, 0.65])
    invest_wan = np.round(np.exp(rng.normal(np.log(80_000), 1.1, size=n)), -1)  # 万元, median 8 亿元
    plan = project_plan(rng, status, invest_wan)
    systems = rng.choice(["wgs84", "gcj02", "bd09"], size=n, p=[0.6, 0.3, 0.1])
    lon, lat = _coords_out(pts, systems)
    street = _street_of(pts, streets)
    zone_names = dict(zip(zones["zone_id"], zones["name"]))
    declared = np.array([zone_names.get(z, "") for z in zone], dtype=object)
    # Agencies sometimes declare the wrong zone: a few realistic mismatches.
    wrong = rng.choice(np.flatnonzero(in_zone), size=min(6, in_zone.sum()), replace=False)
    declared[wrong] = [zone_names[zone_ids[(zone_ids.index(zone[i]) + 3) % len(zone_ids)]] for i in wrong]
    frame = pd.DataFrame({
        "项目编号": [f"FT-SL-{2019 + i % 8}-{i + 1:04d}" for i in range(n)],
        "项目名称": [f"示例·{zone_names.get(z, '丰台')[:4]}{PROJECT_WORDS[ind]}项目（第{i + 1:03d}号）"
                   for i, (z, ind) in enumerate(zip(zone, industry))],
        "项目状态": status, "项目级别": level,
        "产业类别": [INDUSTRY_ZH[i] for i in industry],
        "总投资（万元）": invest_wan, "开工时间": plan["start"], "竣工时间": plan["completion"],
        "计划开工时间": plan["planned_start"], "计划竣工时间": plan["planned_completion"],
        "累计完成投资(亿元)": plan["investment_done"], "年度计划投资（万元）": plan["investment_plan_year"],
        "经度": lon, "纬度": lat, "坐标系": systems, "所属街镇": street, "所属功能区": declared,
        "责任单位": rng.choice(["示例区发展改革委", "示例区住房城乡建设委", "示例丽泽管委会",
                             "示例丰台园管委会", "示例区商务局"], size=n),
        "地址": [f"丰台区示例路{k}号" for k in rng.integers(1, 300, size=n)],
    })
    # About 5% known only by street (no map point), and a handful of typical errors.
    no_xy = rng.choice(n, size=n // 20, replace=False)
    frame.loc[no_xy, ["经度", "纬度"]] = np.nan
    frame.loc[no_xy, "坐标系"] = ""
    frame.loc[no_xy[:2], "所属街镇"] = ["方庄地区", "宛平城地区"]  # old names that still resolve
    bad = [i for i in range(n) if i not in set(no_xy)][:5]
    frame.loc[bad[0], "项目状态"] = ""                       # required value missing
    frame.loc[bad[1], "总投资（万元）"] = -500                 # negative investment
    frame.loc[bad[2], "项目编号"] = frame.loc[bad[3], "项目编号"]  # duplicate id (later one rejected)
    frame.loc[bad[4], ["开工时间", "竣工时间", "项目状态"]] = ["2024-06-01", "2023-01-01", "建成"]
    return frame


def _titled_header(sheet, title: str, cols: list[str], group_label: str, group: list[str]) -> None:  # noqa: ANN001
    """A merged title row, then a two-row header: ``group_label`` merged over the adjacent
    columns ``group``, every other column's name merged down over both rows."""
    sheet.cell(1, 1, title)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cols))
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    for c, name in enumerate(cols, start=1):
        if name in group:
            sheet.cell(2, c, group_label)
            sheet.cell(3, c, name)
        else:
            sheet.cell(2, c, name)
            sheet.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
        sheet.cell(2, c).alignment = Alignment(horizontal="center", vertical="center")
    first = cols.index(group[0]) + 1
    sheet.merge_cells(start_row=2, start_column=first, end_row=2, end_column=first + len(group) - 1)


def _write_projects_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """A government-style sheet: a merged title row, then a two-row header with merged cells."""
    book = Workbook()
    sheet = book.active
    sheet.title = "重大项目"
    cols = list(frame.columns)
    _titled_header(sheet, "丰台区重大项目清单（示例数据，非真实项目）", cols, "位置坐标", ["经度", "纬度"])
    for r, row in enumerate(frame.itertuples(index=False), start=4):
        for c, value in enumerate(row, start=1):
            if isinstance(value, float) and np.isnan(value):
                continue
            sheet.cell(r, c, value.item() if hasattr(value, "item") else value)
    book.save(path)


def make_enterprises(rng: np.random.Generator, streets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                     n: int) -> pd.DataFrame:
    """Enterprises: clustered in the key areas, ~2% service-package, personal contact columns."""
    in_zone = rng.random(n) < 0.45
    key = zones.index[zones["kind"] == "key_area"].to_numpy()
    which_zone = rng.choice(key, size=n)
    pts = np.empty((n, 2))
    pts[in_zone] = random_points_in(zones.geometry, which_zone[in_zone], rng)
    weights = streets.geometry.to_crs(32650).area.to_numpy() ** 0.3
    which_street = rng.choice(len(streets), size=n, p=weights / weights.sum())
    pts[~in_zone] = random_points_in(streets.geometry, which_street[~in_zone], rng)
    systems = rng.choice(["wgs84", "gcj02", "bd09"], size=n, p=[0.7, 0.25, 0.05])
    lon, lat = _coords_out(pts, systems)
    zone = _zone_of(pts, zones)
    p_package = np.where(pd.Series(zone).isin(["lize", "zgc_fengtai", "nanzhongzhou"]), 0.04, 0.008)
    words = rng.choice(ENTERPRISE_WORDS, size=n)
    frame = pd.DataFrame({
        "统一社会信用代码": uscc(rng, n),
        "企业名称": [f"北京示例{w}有限公司（示例{i + 1:06d}）" for i, w in enumerate(words)],
        "行业": [w if w in ("科技", "金融服务", "物流", "商贸", "花卉") else rng.choice(["数字经济", "智能医工",
                 "轨道交通", "文化旅游", "建筑"]) for w in words],
        "服务包企业": np.where(rng.random(n) < p_package, "是", "否"),
        "注册资本（万元）": np.round(np.exp(rng.normal(np.log(500), 1.6, size=n)), 1),
        "成立日期": pd.to_datetime("1995-01-01") + pd.to_timedelta(rng.integers(0, 30 * 365, size=n), unit="D"),
        "经度": lon, "纬度": lat, "坐标系": systems, "所属街镇": _street_of(pts, streets),
        "地址": [f"丰台区示例街{k}号" for k in rng.integers(1, 500, size=n)],
        "联系人": [f"{s}先生（示例）" if g else f"{s}女士（示例）"
                for s, g in zip(rng.choice(list(SURNAMES), size=n), rng.random(n) < 0.5)],
        "联系电话": [f"1380000{k:04d}" for k in rng.integers(0, 10_000, size=n)],
    })
    frame["行业"] = frame["行业"].replace({"科技": "数字经济", "金融服务": "金融"})
    frame["成立日期"] = frame["成立日期"].dt.strftime("%Y-%m-%d")
    no_xy = rng.choice(n, size=n // 10, replace=False)
    frame.loc[no_xy, ["经度", "纬度", "坐标系"]] = [np.nan, np.nan, ""]
    rest = np.setdiff1d(np.arange(n), no_xy)
    bad = rng.choice(rest, size=45, replace=False)
    codes = frame.loc[bad[:15], "统一社会信用代码"]
    frame.loc[bad[:15], "统一社会信用代码"] = codes.str[:17] + codes.str[17].map(
        lambda ch: USCC_CHARSET[(USCC_CHARSET.index(ch) + 1) % 31])           # wrong check character
    frame.loc[bad[15:20], "统一社会信用代码"] = frame.loc[bad[20:25], "统一社会信用代码"].to_numpy()  # duplicates
    frame.loc[bad[25:35], ["经度", "纬度"]] = frame.loc[bad[25:35], ["纬度", "经度"]].to_numpy()   # swapped
    frame.loc[bad[35:40], ["经度", "纬度", "坐标系"]] = [116.60, 39.95, "wgs84"]        # far outside (Chaoyang)
    frame.loc[bad[40:45], "联系电话"] = "=HYPERLINK(\"http://example.invalid\",\"点击\")"  # formula injection probe
    return frame


# Communities (社区) and villages (村). Fengtai has a few hundred of them (domain.md: "a few
# hundred"; roughly 300+ communities and ~70 villages): the sample has COMMUNITY_COUNT of
# each kind. The streets that get villages are the rural-ish south-western units (the two
# towns and the former 乡 areas); the split is made up for the sample, not an official one.
COMMUNITY_COUNT = {"社区": 330, "村": 70}
VILLAGE_STREET_WEIGHTS = {"王佐镇": 7, "北宫镇": 6, "长辛店街道": 2, "花乡街道": 1.5, "卢沟桥街道": 1.5,
                          "看丹街道": 1, "宛平街道": 1, "云岗街道": 1}
# A synthetic total scaled to the public order of magnitude (about 2 million residents;
# domain.md cites about 2.02 million in the 2020 census). Neither it nor any community's
# figure is an official number.
SYNTHETIC_POPULATION_TOTAL = 2_000_000
COMMUNITY_PREFIX = "东西南北中新前后金银玉青丽和安康华兴嘉泰"
COMMUNITY_SUFFIX = "园苑里坊街院桥湖林景城庭府湾居台泉岭塘榆"
VILLAGE_SUFFIX = ["家庄", "家店", "家营", "家坡", "家峪"]


def make_communities(rng: np.random.Generator, streets: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Communities and villages (示例XX社区 / 示例X家庄村), each with a canonical street, a
    point inside it, a log-normal resident population scaled to SYNTHETIC_POPULATION_TOTAL
    and a code 1101060SS9NN (the street's 9-digit code, then 9NN: a range kept clear of
    real community codes). Returns the file's rows and, row for row, the generator's truth
    (``lon``, ``lat`` in WGS84, ``street`` as a position in ``streets``, ``tier`` 社区/村,
    ``name``) that ``make_stations`` places stations by, whatever the row says.

    About a third of the rows are in GCJ-02 (as Amap exports them), six have a street but no
    coordinates, and three are defective on purpose: a missing name, a negative
    population, and a row with neither coordinates nor street.
    """
    names_of = streets["name"].to_numpy()
    kind_of = streets["kind"].to_numpy()
    area = streets.geometry.to_crs(METRIC_CRS).area.to_numpy()
    # 社区: at least 5 per street (2 per town), the rest by area^0.5 (denser in the city);
    # the towns are mostly villages, so their weight is cut.
    n_comm = COMMUNITY_COUNT["社区"]
    floor = np.where(kind_of == "镇", 2, 5)
    weights = area ** 0.5 * np.where(kind_of == "镇", 0.4, 1.0)
    comm_per = floor + rng.multinomial(n_comm - floor.sum(), weights / weights.sum())
    vw = np.array([VILLAGE_STREET_WEIGHTS.get(name, 0.0) for name in names_of])
    vill_per = rng.multinomial(COMMUNITY_COUNT["村"], vw / vw.sum())
    which = np.concatenate([np.repeat(np.arange(len(streets)), comm_per), np.repeat(np.arange(len(streets)), vill_per)])
    tier = np.array(["社区"] * comm_per.sum() + ["村"] * vill_per.sum(), dtype=object)
    order = np.lexsort((tier == "村", which))                     # by street, 社区 before 村
    which, tier = which[order], tier[order]
    n = len(which)
    # Points at least 5 m inside the street, so rounding never moves one across a boundary.
    inner = streets.geometry.to_crs(METRIC_CRS).buffer(-5).to_crs(streets.crs)
    pts = random_points_in(inner, which, rng)

    comm_names = [a + b for a in COMMUNITY_PREFIX for b in COMMUNITY_SUFFIX]
    vill_names = [a + b for a in SURNAMES for b in VILLAGE_SUFFIX]
    comm_pick = iter(rng.permutation(comm_names))
    vill_pick = iter(rng.permutation(vill_names))
    names = [f"示例{next(vill_pick)}村" if t == "村" else f"示例{next(comm_pick)}社区" for t in tier]

    sigma = np.where(tier == "村", 0.5, 0.45)
    median = np.where(tier == "村", 2_500, 5_500)
    raw = np.exp(rng.normal(np.log(median), sigma))
    population = np.round(raw * SYNTHETIC_POPULATION_TOTAL / raw.sum(), -1).astype(int)

    codes = np.empty(n, dtype=object)
    for k in np.unique(which):
        rows = np.flatnonzero(which == k)
        codes[rows] = [f"{streets['code'].iloc[k][:9]}{901 + j:03d}" for j in range(len(rows))]
    systems = np.where(rng.random(n) < 0.35, "gcj02", "wgs84")
    lon, lat = _coords_out(pts, systems)
    frame = pd.DataFrame({
        "社区名称": names, "所属街镇": names_of[which], "常住人口": population, "社区代码": codes,
        "经度": lon, "纬度": lat, "坐标系": np.where(systems == "gcj02", "GCJ-02", "WGS84"),
    })
    picks = rng.choice(n, size=9, replace=False)
    no_xy, bad = picks[:6], picks[6:]
    frame.loc[no_xy, ["经度", "纬度", "坐标系"]] = [np.nan, np.nan, ""]  # known only by street: placed by street
    frame.loc[bad[0], "社区名称"] = ""                                 # required value missing
    frame.loc[bad[1], "常住人口"] = -frame.loc[bad[1], "常住人口"]      # negative population
    frame.loc[bad[2], ["经度", "纬度", "坐标系", "所属街镇"]] = [np.nan, np.nan, "", ""]  # no location at all
    truth = pd.DataFrame({"lon": pts[:, 0], "lat": pts[:, 1], "street": which, "tier": tier, "name": names})
    return frame, truth


# Community-level 先丰站: COMMUNITY_STATIONS in all, as before. A station sits within ~300 m
# of a host community. Most communities in the compact urban streets host one; fewer do in
# the large south-western units (LARGE_UNIT_KM2 and up) and fewer villages still. The
# stations left over serve livelihood departments (民生部门), next to a host station in an
# urban street. So most communities are within 1 km of a 先丰站 and a minority, mostly in
# the large units, are not: the coverage gap map has something to show.
COMMUNITY_STATIONS = 394
LARGE_UNIT_KM2 = 15.0
HOST_SHARE = {"社区": 0.85, "大片区社区": 0.15, "村": 0.20}


def _short(street: str) -> str:
    """右安门街道 -> 右安门, 王佐镇 -> 王佐."""
    return street.removesuffix("街道").removesuffix("镇")


def _near(rng: np.random.Generator, points: np.ndarray, within: np.ndarray, low_m: float,
          high_m: float) -> np.ndarray:
    """Each point moved ``low_m``-``high_m`` metres in a random direction; kept where it was
    when the move would leave its polygon (``within``)."""
    angle = rng.uniform(0, 2 * np.pi, len(points))
    dist = rng.uniform(low_m, high_m, len(points))
    metric = gpd.GeoSeries(shapely.points(points), crs="EPSG:4326").to_crs(METRIC_CRS)
    moved = gpd.GeoSeries(shapely.points(metric.x + dist * np.cos(angle), metric.y + dist * np.sin(angle)),
                          crs=METRIC_CRS).to_crs("EPSG:4326")
    xy = np.column_stack([moved.x, moved.y])
    inside = shapely.contains_xy(within, xy[:, 0], xy[:, 1])
    xy[~inside] = points[~inside]
    return xy


def make_stations(rng: np.random.Generator, streets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                  communities: pd.DataFrame) -> pd.DataFrame:
    """One street-level 先丰站 per street, 394 community/village/department ones placed by the
    communities (``make_communities``' truth frame), 30 先丰港 in key areas."""
    rows = []
    reps = streets.geometry.representative_point()
    for name, pt in zip(streets["name"], reps):
        rows.append((f"{name}先丰站（示例）", "先丰站", "街镇", pt.x, pt.y, name))
    which = communities["street"].to_numpy()
    points = communities[["lon", "lat"]].to_numpy()
    large = streets.geometry.to_crs(METRIC_CRS).area.to_numpy() >= LARGE_UNIT_KM2 * 1e6
    tier = communities["tier"].to_numpy()
    share = np.where(tier == "村", HOST_SHARE["村"], np.where(large[which], HOST_SHARE["大片区社区"], HOST_SHARE["社区"]))
    hosts = np.flatnonzero(rng.random(len(communities)) < share)[:COMMUNITY_STATIONS]
    xy = _near(rng, points[hosts], streets.geometry.to_numpy()[which[hosts]], 30, 300)
    for i, (c, (x, y)) in enumerate(zip(hosts, xy)):
        rows.append((f"{communities['name'].iloc[c]}先丰站（示例{i + 1:03d}）", "先丰站", tier[c], x, y, ""))
    # The rest: livelihood departments' service points, 100-500 m from an urban host station.
    urban = np.flatnonzero(~large[which[hosts]])
    beside = rng.choice(urban, size=COMMUNITY_STATIONS - len(hosts))
    dept_street = which[hosts][beside]
    xy = _near(rng, xy[beside], streets.geometry.to_numpy()[dept_street], 100, 500)
    for i, (k, (x, y)) in enumerate(zip(dept_street, xy), start=len(hosts)):
        rows.append((f"{_short(streets['name'].iloc[k])}示例民生部门先丰站{i + 1:03d}", "先丰站", "部门", x, y, ""))
    key = zones.index[zones["kind"] == "key_area"].to_numpy()
    which = rng.choice(key, size=30)
    pts = random_points_in(zones.geometry, which, rng)
    for i, (k, (x, y)) in enumerate(zip(which, pts)):
        rows.append((f"{zones['name'].iloc[k]}先丰港（示例{i + 1:02d}）", "先丰港",
                     rng.choice(["园区", "部门"]), x, y, ""))
    frame = pd.DataFrame(rows, columns=["站点名称", "类型", "层级", "lon", "lat", "所属街镇"])
    lon, lat = _coords_out(frame[["lon", "lat"]].to_numpy(), np.full(len(frame), "gcj02"))
    services = ["政务服务", "社保医保", "就业服务", "养老助餐", "法律咨询", "党群活动", "企业诉求受理", "政策兑现"]
    return pd.DataFrame({
        "站点编号": [f"XF-{i + 1:04d}" for i in range(len(frame))],
        "站点名称": frame["站点名称"], "类型": frame["类型"], "层级": frame["层级"],
        "服务内容": ["、".join(rng.choice(services, size=3, replace=False)) for _ in range(len(frame))],
        "服务时间": "工作日 9:00-17:00", "电话": "010-6380XXXX（示例）",
        "经度": lon, "纬度": lat, "坐标系": "GCJ-02", "所属街镇": frame["所属街镇"],
    })


# 12345 cases over HOTLINE_MONTHS months ending with REFERENCE_DATE's month: more in summer
# (SEASONALITY), slowly growing, each street with its own response/resolution/satisfaction
# level, and two events in the last month for the alerts to find: SURGE (one street's parking
# cases, concentrated in one community, jump) and RATE_DROP (one street's satisfaction falls).
HOTLINE_MONTHS = 24
SEASONALITY = 0.10       # August this much above the yearly mean, February below it
GROWTH = 0.01            # per month
SURGE = {"street": "马家堡街道", "category": "停车", "community": "示例社区07", "factor": 2.8}
RATE_DROP = {"street": "卢沟桥街道", "satisfied": 0.62}


COMMUNITIES_PER_STREET = 29   # the cases name 示例社区01-29 of their street


def _spread(group: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A bin (0 .. len(weights) - 1) for each row, spread over the rows of each ``group`` by
    systematic sampling (the rows in random order, one random offset per group): a group of
    m rows puts m·w_j / Σw rows in bin j, to within one. The sample's cases follow their
    weights without the noise of independent draws, so that the alerts it raises are the
    events designed into it, not chance in a small sample."""
    order = np.argsort(group + rng.random(len(group)) * 0.5)     # by group, at random within it
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    size = np.diff(np.r_[start, len(g)])
    rank = np.arange(len(g)) - np.repeat(start, size)
    position = (rank + np.repeat(rng.random(len(start)), size)) / np.repeat(size, size)
    cumulative = np.cumsum(weights / weights.sum())
    out = np.empty(len(group), dtype=int)
    out[order] = np.minimum(np.searchsorted(cumulative, position, side="right"), len(weights) - 1)
    return out


def hotline_months() -> pd.DatetimeIndex:
    """The first days of the sample's HOTLINE_MONTHS months, ending with REFERENCE_DATE's."""
    return pd.date_range(end=REFERENCE_DATE.to_period("M").to_timestamp(), periods=HOTLINE_MONTHS, freq="MS")


def make_hotline(rng: np.random.Generator, streets: gpd.GeoDataFrame, n: int) -> pd.DataFrame:
    """12345 cases: parking, roads, property and environment dominate; ~60% with coordinates.

    Received over :func:`hotline_months` with seasonal weights ``1 + SEASONALITY·cos`` (peak
    in August) and GROWTH a month, spread over the months within each (street, category) and
    over the street's communities within each month by :func:`_spread`; none after
    REFERENCE_DATE. Each street draws its own
    response (97.5-99.5 %), resolution (80-92 % of responded) and satisfaction (86-96 % of
    resolved cases, 35 % of the rest) levels, so the monthly ranking has something to rank.
    In the last month, SURGE moves ``factor - 1`` months' worth of the street's parking cases
    into that month and community, and RATE_DROP sets the street's satisfaction that month.
    """
    weights = np.linspace(1.0, 2.0, len(streets))
    weights = np.where(streets["kind"].to_numpy() == "镇", 0.4, weights)
    which = rng.choice(len(streets), size=n, p=weights / weights.sum())
    has_xy = rng.random(n) < 0.6
    pts = np.full((n, 2), np.nan)
    pts[has_xy] = random_points_in(streets.geometry, which[has_xy], rng)
    systems = np.where(rng.random(n) < 0.9, "wgs84", "bd09")
    lon, lat = _coords_out(np.nan_to_num(pts), systems)
    categories = np.array(["停车", "道路", "物业", "环境", "其他"])
    category = rng.choice(categories, size=n, p=[0.27, 0.19, 0.22, 0.16, 0.16])
    months = hotline_months()
    k = np.arange(len(months))
    season = 1 + SEASONALITY * np.cos(2 * np.pi * (months.month.to_numpy() - 8) / 12)
    pair_code = which * len(categories) + np.searchsorted(np.sort(categories), category)
    month = _spread(pair_code, season * (1 + GROWTH * k), rng)
    community = 1 + _spread(pair_code * len(months) + month, np.ones(COMMUNITIES_PER_STREET), rng)
    names = streets["name"].to_numpy()
    pair = np.flatnonzero((names[which] == SURGE["street"]) & (category == SURGE["category"]) & (month < k[-1]))
    moved = rng.choice(pair, size=int(round((SURGE["factor"] - 1) * len(pair) / len(months))), replace=False)
    month[moved] = k[-1]
    community[moved] = int(SURGE["community"].removeprefix("示例社区"))
    first = months.to_numpy()[month]
    length = (months + pd.offsets.MonthBegin(1)).to_numpy()[month] - first
    received = pd.DatetimeIndex(first + (rng.random(n) * (length // np.timedelta64(1, "s"))).astype(
        "timedelta64[s]")).floor("s")
    level = rng.random((len(streets), 3))
    p_respond = (0.975 + 0.02 * level[:, 0])[which]
    p_resolve = (0.80 + 0.12 * level[:, 1])[which]
    p_satisfy = (0.86 + 0.10 * level[:, 2])[which]
    dropped = (names[which] == RATE_DROP["street"]) & (month == k[-1])
    p_satisfy = np.where(dropped, RATE_DROP["satisfied"], p_satisfy)
    responded = rng.random(n) < p_respond
    resolved = responded & (rng.random(n) < p_resolve)
    satisfied = rng.random(n) < np.where(resolved, p_satisfy, np.where(dropped, 0.2, 0.35))
    yes_no = np.array(["否", "是"])
    frame = pd.DataFrame({
        "工单编号": [f"12345-{i + 1:07d}" for i in range(n)],
        "受理时间": received.strftime("%Y-%m-%d %H:%M:%S"),
        "诉求类别": category,
        "所属街镇": names[which],
        "社区": [f"示例社区{c:02d}" for c in community],
        "经度": np.where(has_xy, lon, np.nan), "纬度": np.where(has_xy, lat, np.nan),
        "坐标系": np.where(has_xy, systems, ""),
        "响应": yes_no[responded.astype(int)], "解决": yes_no[resolved.astype(int)],
        "满意": yes_no[satisfied.astype(int)],
    })
    bad = rng.choice(np.flatnonzero(~has_xy), size=max(n // 2000, 1), replace=False)
    frame.loc[bad, "所属街镇"] = ""   # no location at all: rejected, never invented
    return frame


# ---------------------------------------------------------------- enterprise needs (企业需求清单)
# NEEDS_COUNT needs over NEEDS_MONTHS months ending with REFERENCE_DATE's month, raised by
# the sample's enterprises (a valid, loaded USCC each, except the defective rows). Most close
# within weeks; NEEDS_STUCK_SHARE take months (so some are open and overdue at any month-end).
# NEEDS_BACKLOG is the designed event the needs_overdue_growing alert finds: in one zone,
# needs raised in the two months before the reference month stay open, so its overdue count
# at month-end grows two months running.
NEEDS_COUNT = 3_000
NEEDS_MONTHS = 24
NEEDS_STUCK_SHARE = 0.06
NEEDS_BACKLOG = {"zone": "lize", "per_month": 8}
NEED_CATEGORIES_ZH = ["用地", "融资", "人才", "审批", "房屋", "政策", "其他"]
NEED_OWNERS = {"用地": "示例区规划自然资源分局", "融资": "示例区金融服务办", "人才": "示例区人力社保局",
               "审批": "示例区政务服务局", "房屋": "示例区住房城乡建设委", "政策": "示例区发展改革委",
               "其他": "示例区投资促进服务中心"}
NEED_WORDS = {"用地": "项目扩建用地指标", "融资": "流动资金贷款对接", "人才": "高层次人才落户", "审批": "施工许可办理进度",
              "房屋": "办公用房租赁", "政策": "政策兑现资金拨付", "其他": "园区周边交通配套"}


def make_needs(rng: np.random.Generator, enterprises: pd.DataFrame, zones: gpd.GeoDataFrame, n: int) -> pd.DataFrame:
    """The enterprise needs list (示例): ``n`` needs of the sample's enterprises (more for the
    service-package ones), raised over NEEDS_MONTHS months (none after REFERENCE_DATE), closed
    after a few days to weeks, NEEDS_STUCK_SHARE after 2-14 months (still open if that is
    after REFERENCE_DATE), 85 % of the closed ones with the enterprise's satisfaction (90 %
    是). NEEDS_BACKLOG adds open needs in one zone in the two months before the reference
    month. Dates are kept as timestamps here (``_write_needs_xlsx`` writes them three ways).
    Nine rows are defective on purpose: three unknown USCCs, two closed without a closing
    date, two closed before raised, two repeated need ids."""
    ent = enterprises
    codes = ent["统一社会信用代码"]
    usable = ~codes.duplicated(keep=False) & (ent["经度"].notna() | ent["所属街镇"].ne(""))
    expected, _ = _uscc_expected(codes)
    usable &= codes.str[17].eq(expected)
    far = ent["经度"].eq(116.60)
    usable &= ~far
    pool = np.flatnonzero(usable.to_numpy())
    weight = np.where(ent["服务包企业"].to_numpy()[pool] == "是", 4.0, 1.0)
    months = pd.date_range(end=REFERENCE_DATE.to_period("M").to_timestamp(), periods=NEEDS_MONTHS, freq="MS")
    ref = REFERENCE_DATE
    start = months[0]
    span = (ref - start).days + 1
    raised = start + pd.to_timedelta(np.floor(span * rng.random(n) ** 0.9).astype(int), unit="D")
    which = rng.choice(pool, size=n, p=weight / weight.sum())
    # the backlog: needs of the zone's enterprises raised in the two months before the reference month
    lon = pd.to_numeric(ent["经度"], errors="coerce").to_numpy()
    lat = pd.to_numeric(ent["纬度"], errors="coerce").to_numpy()
    in_zone = np.zeros(len(ent), bool)
    geom = zones.set_index("zone_id").geometry.get(NEEDS_BACKLOG["zone"])
    ok = ~np.isnan(lon) & ent["坐标系"].eq("wgs84").to_numpy()
    if geom is not None and ok.any():
        in_zone[ok] = shapely.contains_xy(geom, lon[ok], lat[ok])
    zone_pool = np.intersect1d(pool, np.flatnonzero(in_zone))
    extra = []
    if not len(zone_pool):
        zone_pool = pool
    for k in (3, 2, 1):                          # March-May for a June reference month
        first = months[-1 - k] if k < len(months) else months[0]
        for _ in range(NEEDS_BACKLOG["per_month"] * (4 - k)):
            extra.append((first + pd.Timedelta(days=int(rng.integers(0, 28))), rng.choice(zone_pool)))
    backlog = len(extra)
    if backlog:
        raised = raised.append(pd.DatetimeIndex([d for d, _ in extra]))
        which = np.concatenate([which, np.array([w for _, w in extra])])
    total = len(which)
    category = rng.choice(NEED_CATEGORIES_ZH, size=total, p=[0.12, 0.2, 0.15, 0.2, 0.13, 0.15, 0.05])
    days = np.round(np.exp(rng.normal(np.log(12), 0.8, size=total))).astype(int)
    stuck = rng.random(total) < NEEDS_STUCK_SHARE
    days[stuck] = rng.integers(60, 420, size=int(stuck.sum()))
    days[total - backlog:] = 10_000              # the backlog stays open
    closed_at = raised + pd.to_timedelta(np.maximum(days, 1), unit="D")
    is_closed = closed_at <= ref
    has_rating = is_closed & (rng.random(total) < 0.85)
    satisfied = np.where(has_rating, np.where(rng.random(total) < 0.9, "是", "否"), "")
    order = np.argsort(raised.to_numpy(), kind="stable")
    names = ent["企业名称"].to_numpy()
    person = ent["联系人"].to_numpy()
    frame = pd.DataFrame({
        "诉求编号": "",
        "统一社会信用代码": codes.to_numpy()[which],
        "诉求类别": category,
        "诉求内容": [f"（示例）{names[w]}反映{NEED_WORDS[c]}问题，联系人{person[w]}" for w, c in zip(which, category)],
        "提出时间": raised,
        "状态": np.where(is_closed, "已办结", "办理中"),
        "办结时间": closed_at.where(is_closed),
        "责任单位": [NEED_OWNERS[c] for c in category],
        "企业满意": satisfied,
    }).iloc[order].reset_index(drop=True)
    frame["诉求编号"] = [f"QYSQ-{d:%Y%m}-{i + 1:05d}" for i, d in enumerate(frame["提出时间"])]
    bad = rng.choice(len(frame) - 40, size=9, replace=False)
    frame.loc[bad[:3], "统一社会信用代码"] = uscc(np.random.default_rng([SEED, 99]), 3)   # no such enterprise
    closed_rows = np.flatnonzero(frame["状态"].eq("已办结").to_numpy())
    picks = rng.choice(np.setdiff1d(closed_rows, bad), size=4, replace=False)
    frame.loc[picks[:2], "办结时间"] = pd.NaT                                           # closed, no closing date
    frame.loc[picks[2:], "办结时间"] = frame.loc[picks[2:], "提出时间"] - pd.Timedelta(days=5)  # closed before raised
    frame.loc[bad[3:5], "诉求编号"] = frame.loc[bad[5:7], "诉求编号"].to_numpy()            # repeated need ids
    return frame


def _uscc_expected(codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    from loaders.clean import uscc_check_character
    return uscc_check_character(codes.astype(str))


def _write_needs_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The ledger as an enterprise-service office keeps it: a merged title row (示例数据), a
    two-row header (办理情况 merged over status, closing date, owner unit and satisfaction),
    dates three ways: date cells, Excel serial numbers (about a quarter) and Chinese text
    (2025年3月5日, about one in seven)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "企业需求清单"
    cols = list(frame.columns)
    _titled_header(sheet, "丰台区先丰港企业需求清单（示例数据，非真实企业诉求）", cols, "办理情况",
                   ["状态", "办结时间", "责任单位", "企业满意"])
    how = np.random.default_rng([SEED, 61]).random(len(frame))
    epoch = pd.Timestamp("1899-12-30")
    for r, row in enumerate(frame.itertuples(index=False), start=4):
        for c, (name, value) in enumerate(zip(cols, row), start=1):
            if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)) or value == "":
                continue
            if isinstance(value, pd.Timestamp):
                k = how[r - 4]
                if k < 0.25:
                    sheet.cell(r, c, int((value.normalize() - epoch).days))          # an Excel serial
                elif k < 0.39:
                    sheet.cell(r, c, f"{value.year}年{value.month}月{value.day}日")
                else:
                    sheet.cell(r, c, value.to_pydatetime().date()).number_format = "yyyy-mm-dd"
                continue
            sheet.cell(r, c, value.item() if hasattr(value, "item") else value)
    book.save(path)


# ---------------------------------------------------------------- the sample's history
# The bundled sample store starts with SNAPSHOT_MONTHS month-end snapshots before its own
# build (dated REFERENCE_DATE): 2025-12-31 to 2026-05-31 for a reference date of 2026-06-30,
# so a newcomer sees trends, the previous year's last snapshot that investment_behind needs,
# and a "previous build" for project_newly_delayed. Each is computed from the sample's own
# loaded records as they stood on that day (:func:`layers_as_of`), with the same indicator
# code as a build (``loaders.indicators.compute_stats``).
SNAPSHOT_MONTHS = 6


def snapshot_dates(as_of: pd.Timestamp) -> list[pd.Timestamp]:
    """The month-ends of the SNAPSHOT_MONTHS months before REFERENCE_DATE's month, those before ``as_of``."""
    ends = pd.date_range(end=REFERENCE_DATE.to_period("M").to_timestamp() - pd.Timedelta(days=1),
                         periods=SNAPSHOT_MONTHS, freq="ME")
    return [pd.Timestamp(d) for d in ends if d < pd.Timestamp(as_of)]


def _dates_of(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column], errors="coerce") if column in frame.columns else \
        pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


def projects_as_of(projects: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The projects as they stood on ``day``, from their dates as of REFERENCE_DATE.

    Status: completed (建成) if completed by ``day``; under construction if started by then;
    reserve if its start lies after ``day`` (a project with no actual date keeps its status).
    Start and completion dates after ``day`` are cleared. Progress model for
    ``investment_done``: the amount done by REFERENCE_DATE, accrued evenly over the works,
    from the actual start to the actual completion (to REFERENCE_DATE for a project still
    running then): done(day) = done(ref) × clip((day − start) / (end − start), 0, 1); nothing
    before the start. Plans (planned dates, ``investment_plan_year``) are unchanged.
    """
    day = pd.Timestamp(day)
    start, end = _dates_of(projects, "start_date"), _dates_of(projects, "completion_date")
    status = projects["status"]
    finished = status.eq("completed") & end.notna() & (end <= day)
    started = start.notna() & (start <= day)
    dated = start.notna() | end.notna()
    new_status = np.where(finished, "completed", np.where(started, "under_construction",
                                                          np.where(dated, "reserve", status.astype(object))))
    until = end.where(status.eq("completed") & end.notna(), REFERENCE_DATE)
    span = (until - start).dt.days.astype(float)
    elapsed = (day - start).dt.days.astype(float)
    progress = np.clip(np.where(span > 0, elapsed / span.where(span > 0, 1.0), (elapsed >= 0).astype(float)), 0, 1)
    progress = np.where(start.isna(), 0.0, progress)
    out = projects.copy()
    out["status"] = pd.Series(new_status, index=projects.index).where(status.notna(), None)
    out["start_date"] = start.where(started).astype(projects["start_date"].dtype)
    out["completion_date"] = end.where(finished).astype(projects["completion_date"].dtype)
    done = pd.to_numeric(projects["investment_done"], errors="coerce")
    out["investment_done"] = done * progress
    return out


def needs_as_of(needs: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The enterprise needs as they stood on ``day``: raised by then; those closed after it
    still open then (no closing date, no satisfaction yet)."""
    day = pd.Timestamp(day)
    raised, closed = _dates_of(needs, "raised_at"), _dates_of(needs, "closed_at")
    out = needs[(raised <= day).to_numpy()].copy()
    later = (closed.reindex(out.index) > day).to_numpy()
    if later.any():
        out.loc[later, "status"] = "open"
        out.loc[later, "closed_at"] = pd.NaT
        if "satisfied" in out:
            out["satisfied"] = out["satisfied"].astype("boolean")
            out.loc[later, "satisfied"] = pd.NA
    return out


def layers_as_of(layers: dict[str, gpd.GeoDataFrame], day: pd.Timestamp,
                 hotline: bool = True) -> dict[str, gpd.GeoDataFrame]:
    """The point layers as they stood on ``day``: projects by :func:`projects_as_of`,
    enterprises established by then (or with no date), 12345 cases received by the end of
    that day (``hotline`` False: none), enterprise needs by :func:`needs_as_of`, stations
    and communities as they are."""
    day = pd.Timestamp(day)
    out = dict(layers)
    if "projects" in out:
        out["projects"] = projects_as_of(out["projects"], day)
    if "enterprises" in out:
        established = _dates_of(out["enterprises"], "established")
        out["enterprises"] = out["enterprises"][(established.isna() | (established <= day)).to_numpy()]
    if "hotline" in out:
        received = _dates_of(out["hotline"], "received_at")
        out["hotline"] = out["hotline"][(received < day + pd.Timedelta(days=1)).to_numpy()] if hotline else None
    if out.get("needs") is not None:
        out["needs"] = needs_as_of(out["needs"], day)
    return out


_HOTLINE_SUMS = ("hotline_cases", "hotline_located",
                 *(column for true, known, _ in HOTLINE_FLAGS.values() for column in (true, known)))


def _hotline_month_sums(hotline: pd.DataFrame, members: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """12345 counts per (street, month) and, over the cases located in a zone, per (zone_id,
    street, month): summed once (integer codes and ``np.bincount``: a million cases take a
    moment), so that a month-end snapshot is a sum over whole months."""
    values = hotline_case_values(hotline)
    received = pd.to_datetime(hotline["received_at"]).to_numpy().astype("datetime64[M]")
    month_codes, months = pd.factorize(received)
    street_codes, streets = pd.factorize(hotline[STREET])
    n_months, n_streets = len(months), len(streets)

    def summed(key: np.ndarray, rows: np.ndarray | None, size: int) -> dict[str, np.ndarray]:
        return {c: np.bincount(key, weights=(v if rows is None else v[rows]).astype(float), minlength=size)
                for c, v in values.items()}

    def frame(sums: dict[str, np.ndarray], **keys: np.ndarray) -> pd.DataFrame:
        out = pd.DataFrame({**keys, **sums})
        return out[out["hotline_cases"] > 0].reset_index(drop=True)

    cell = street_codes * n_months + month_codes
    size = n_streets * n_months
    grid_street, grid_month = np.divmod(np.arange(size), n_months)
    by_street = frame(summed(cell, None, size), street=np.asarray(streets, dtype=object)[grid_street],
                      month=np.asarray(months, dtype="datetime64[ns]")[grid_month])
    links = zone_links(hotline, members, "hotline")
    zone_codes, zones = pd.factorize(links["zone_id"])
    rows = links["pos"].to_numpy()
    size_z = len(zones) * size
    grid_zone, rest = np.divmod(np.arange(size_z), size)
    by_zone = frame(summed(zone_codes * size + cell[rows], rows, size_z),
                    zone_id=np.asarray(zones, dtype=object)[grid_zone],
                    street=np.asarray(streets, dtype=object)[rest // n_months],
                    month=np.asarray(months, dtype="datetime64[ns]")[rest % n_months])
    return by_street, by_zone


def _with_hotline(stats: pd.DataFrame, key: str, sums: pd.DataFrame, cases: pd.Series) -> pd.DataFrame:
    """``stats`` (computed without cases) with the 12345 columns of ``sums`` (indexed by key)."""
    out = stats.set_index(key)
    sums = sums.reindex(out.index, fill_value=0)
    for column in _HOTLINE_SUMS:
        out[column] = sums[column].to_numpy()
    out = hotline_figures(out, cases.reindex(out.index, fill_value=0.0))
    return out.reset_index()[list(stats.columns)].astype(stats.dtypes.to_dict())


def snapshot_stats(layers: dict[str, gpd.GeoDataFrame], members: pd.DataFrame, days: list[pd.Timestamp],
                   coverage_m: float, needs_overdue_days: float = DEFAULT_OVERDUE_DAYS
                   ) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """``(zone_stats, street_stats)`` as a build on each of ``days`` (month-ends) would have
    computed them from :func:`layers_as_of`. The 12345 figures are sums over whole months
    (:func:`_hotline_month_sums`, the zone estimate scaling each street's located cases by
    its total / located cases up to that day, as ``compute_stats`` does), the rest is
    ``compute_stats`` itself; tests check the two agree."""
    hotline = layers.get("hotline")
    by_street = by_zone = None
    if hotline is not None and len(hotline):
        by_street, by_zone = _hotline_month_sums(hotline, members)
    others = members[members["layer"].to_numpy() != "hotline"]   # the cases' links are summed above already
    out = []
    for day in days:
        if pd.Timestamp(day) != pd.Timestamp(day) + pd.offsets.MonthEnd(0):
            raise ValueError(f"snapshots are month-ends; got {day}")
        dated = layers_as_of(layers, day, hotline=False)
        points = {layer: dated.get(layer) for layer in POINT_LAYERS}
        zone_stats, street_stats = compute_stats(layers["streets"], layers["zones"], points, others, day, coverage_m,
                                                 needs_overdue_days)
        if by_street is not None:
            month = pd.Timestamp(day).to_period("M").to_timestamp()
            streets = by_street[by_street["month"] <= month].groupby("street")[list(_HOTLINE_SUMS)].sum()
            factor = (streets["hotline_cases"] / streets["hotline_located"].where(streets["hotline_located"] > 0))
            zones = by_zone[by_zone["month"] <= month]
            estimate = zones["hotline_located"] * zones["street"].map(factor.fillna(0.0)).to_numpy()
            zones = zones.assign(_estimate=estimate).groupby("zone_id")[[*_HOTLINE_SUMS, "_estimate"]].sum()
            street_stats = _with_hotline(street_stats, STREET, streets, streets["hotline_cases"].astype(float))
            zone_stats = _with_hotline(zone_stats, "zone_id", zones, zones["_estimate"])
        out.append((zone_stats, street_stats))
    return out


def sample_history(layers: dict[str, gpd.GeoDataFrame], members: pd.DataFrame, as_of: pd.Timestamp,
                   coverage_m: float, needs_overdue_days: float = DEFAULT_OVERDUE_DAYS) -> PreviousBuild:
    """The bundled sample's past as a :class:`loaders.change.PreviousBuild`: the history rows of
    :func:`snapshot_dates` before ``as_of`` (:func:`snapshot_stats`), and the projects'
    schedule on the last of them as the previous build's (for ``project_newly_delayed``)."""
    days = snapshot_dates(as_of)
    if not days:
        return PreviousBuild()
    snapshots = snapshot_stats(layers, members, days, coverage_m, needs_overdue_days)
    zones = pd.concat([z.assign(as_of=day) for day, (z, _) in zip(days, snapshots)], ignore_index=True)
    streets = pd.concat([s.assign(as_of=day) for day, (_, s) in zip(days, snapshots)], ignore_index=True)
    history = history_rows(zones, streets, None)
    projects = None
    if "projects" in layers:
        before = projects_as_of(layers["projects"], days[-1])
        projects = pd.DataFrame({"project_id": before["project_id"].to_numpy(),
                                 "schedule": project_schedule(before, days[-1])["schedule"].to_numpy()})
    return PreviousBuild(history=history, projects=projects, as_of=days[-1])
