"""Orchestrate a build: read -> clean -> place -> report -> store (atomic swap).

``build`` is a short coordinator; the work is in ``read``, ``clean``, ``place``,
``report`` and ``store``.
"""
from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandera.errors import SchemaErrors
from tqdm import tqdm

from geodata import boundaries
from geodata.crs import METRIC_CRS, STORAGE_CRS
from geodata.names import CODE_BY_NAME, UNITS, aliases_of, normalise_text, resolve_street
from loaders.change import (
    DEFAULT_RANKING_WEIGHTS,
    PreviousBuild,
    RankingWeights,
    alert_counts,
    compute_alerts,
    history_rows,
    load_alert_rules,
    merge_history,
    street_ranking,
)
from loaders.clean import clean_layer, community_ids, reject_duplicates
from loaders.errors import BuildError
from loaders.history import read_previous
from loaders.indicators import (
    DEFAULT_COVERAGE_M,
    as_of_date,
    community_coverage,
    compute_stats,
    hotline_monthly,
    project_schedule,
)
from loaders.membership import empty_members, member_rows
from loaders.needs import DEFAULT_OVERDUE_DAYS, link_stations, need_state, needs_breakdown, needs_monthly, place_needs
from loaders.place import Boundaries, place_layer, street_reason_en
from loaders.read import LayerTable, find_layer_files, read_layer_file
from loaders.report import (
    REJECT_COLUMNS,
    Problems,
    Warning,
    add_layer,
    add_warnings,
    new_report,
    street_name_en,
    summary_lines,
    write_report,
)
from loaders.schema import (
    ALERTS,
    HOTLINE_MONTHLY,
    LAYER_LABELS,
    LAYERS,
    NEEDS_BREAKDOWN,
    NEEDS_MONTHLY,
    POINT_LAYERS,
    SOURCE_FILE,
    SOURCE_ROW,
    STATS_HISTORY,
    STREET_RANKING,
    STREET_STATS,
    ZONE_MEMBERS,
    ZONE_STATS,
)
from loaders.store import DATA_DIR, default_store_path, open_store, redact_target
from loaders.validate import check_store_frame

SAMPLE_SOURCE_DIR = DATA_DIR / "sample_source"


def build(source: Path | None = None, target: str | None = None, report_path: Path | None = None,
          default_coord_sys: str = "wgs84", progress: bool = True, coverage_m: float = DEFAULT_COVERAGE_M,
          now: datetime | None = None, as_of: object = None, ranking_weights: RankingWeights | None = None,
          alert_rules: Path | str | None = None, needs_overdue_days: float = DEFAULT_OVERDUE_DAYS,
          _locked: bool = False) -> dict:
    """Build a store from ``source`` (the bundled sample when None) into ``target``.

    ``coverage_m`` is the straight-line distance within which a 先丰站 covers a community;
    ``now`` is the build's clock (``built_at``; the current time when None: tests pass a fixed
    one). ``as_of`` dates the build (:func:`build_day`): the day delays, "completed in the
    future" and the alerts are measured on, and the day its figures join ``stats_history``.
    ``ranking_weights`` weigh the three rates of the street ranking (default
    :data:`loaders.change.DEFAULT_RANKING_WEIGHTS`); ``alert_rules`` is a TOML file of
    thresholds replacing those of ``loaders/alert_rules.toml``. ``needs_overdue_days``: an open
    enterprise need is overdue when open longer than this (default 30). Returns the build report.
    Raises :class:`BuildError` when the build cannot finish; the previous store is then
    untouched (its history too: a failed build adds nothing). One build at a time per store:
    a second one raises at once (``_locked``: the caller holds the store's build lock already).
    """
    sample = source is None
    rules = load_alert_rules(alert_rules)          # a bad rules file fails before any work
    weights = ranking_weights or DEFAULT_RANKING_WEIGHTS
    if sample:
        from loaders.sample import ensure_sample_source
        source = ensure_sample_source(SAMPLE_SOURCE_DIR)
    target = str(target or default_store_path())
    store = open_store(target)
    with contextlib.nullcontext() if _locked else store.build_lock():  # a second build fails at once
        report = new_report(sample, str(source), redact_target(target), now)
        report["code_version"] = code_version()
        day = build_day(as_of, report["built_at"], sample)
        report["as_of"] = day.date().isoformat()
        report["coverage_m"] = float(coverage_m)
        report["needs_overdue_days"] = float(needs_overdue_days)
        report["ranking_weights"] = weights.as_dict()
        report["alert_rules"] = rules
        files = _source_files(Path(source), report)
        bounds, geometry_layers = _boundaries(files, report)
        layers: dict[str, gpd.GeoDataFrame] = dict(geometry_layers)
        links: dict[str, pd.DataFrame] = {}
        for layer in POINT_LAYERS:
            if layer == "needs" and layer in files:   # placed at their enterprises, linked to a 先丰港
                layers[layer], links[layer] = _naming_the_file(files[layer], _build_needs_layer, files[layer], layers,
                                                               links, report, progress, day, needs_overdue_days)
            elif layer in files:
                layers[layer], links[layer] = _naming_the_file(files[layer], _build_point_layer, layer, files[layer],
                                                               bounds, report, default_coord_sys, progress, day)
        report["provenance"] = _provenance(files)
        report["geometry_precision"] = {name: sorted(set(layers[name]["precision"].dropna()))
                                        for name in ("streets", "zones")}
        layers, tables = _indicators(layers, links, day, coverage_m, needs_overdue_days)
        started = time.perf_counter()
        previous = _previous(target, layers, tables, day, coverage_m, sample, needs_overdue_days)
        add_warnings(report, previous.warnings)
        tables.update(_change_tables(layers, tables, previous, day, weights, rules, report, needs_overdue_days))
        # what change over time costs the build (history read and merged, ranking, alerts); the benchmark prints its share
        report["change_seconds"] = round(time.perf_counter() - started, 3)
        _check_store_frames({**layers, **tables})
        store.write_all({**layers, **tables}, report)
        if report_path:
            write_report(report, Path(report_path))
        if progress:
            tqdm.write("\n".join(["构建完成 (build finished): " + redact_target(target), *summary_lines(report)]))
        return report


def build_day(as_of: object, built_at: str, sample: bool = False) -> pd.Timestamp:
    """The build's date (``as_of``, a naive midnight): the given ``as_of`` (a date, a
    ``YYYY-MM-DD`` text or a timestamp; a time zone-aware one is read in Beijing time), else
    the day of ``built_at`` in Beijing time (Asia/Shanghai, whatever the machine's zone).

    The bundled sample is dated by its own ``REFERENCE_DATE`` unless ``as_of`` is given: its
    files describe that day (its 12345 cases end that month, its history snapshots lead up
    to it), so its figures do not drift with the wall clock.
    """
    if as_of is not None:
        try:
            return as_of_date(pd.Timestamp(as_of))
        except (ValueError, TypeError) as exc:
            raise BuildError(f"as_of 日期无效：{as_of!r}，应为 YYYY-MM-DD (invalid as_of date)") from exc
    if sample:
        from loaders.sample import REFERENCE_DATE
        return as_of_date(REFERENCE_DATE)
    return as_of_date(pd.Timestamp(built_at))


def _previous(target: str, layers: dict, tables: dict, day: pd.Timestamp, coverage_m: float,
              sample: bool, needs_overdue_days: float = DEFAULT_OVERDUE_DAYS) -> PreviousBuild:
    """What came before this build: the target's history and projects (``loaders.history``);
    for the bundled sample, its synthetic monthly snapshots (``loaders.sample.sample_history``)
    instead, so that a newcomer sees trends on first start (the sample store's history is
    thus its own, the same at every rebuild, whatever an older sample store held)."""
    if sample:
        from loaders.sample import sample_history
        return sample_history(layers, tables[ZONE_MEMBERS], day, coverage_m, needs_overdue_days)
    return read_previous(target)


def _change_tables(layers: dict[str, gpd.GeoDataFrame], tables: dict[str, pd.DataFrame], previous: PreviousBuild,
                   day: pd.Timestamp, weights: RankingWeights, rules: dict, report: dict,
                   needs_overdue_days: float = DEFAULT_OVERDUE_DAYS) -> dict[str, pd.DataFrame]:
    """``stats_history`` (the previous rows, this day's replaced by this build's), the
    ``street_ranking`` and the ``alerts``; their summaries go into the report."""
    rows = history_rows(tables[ZONE_STATS], tables[STREET_STATS], day)
    replaced = bool(len(previous.history)) and bool((previous.history["as_of"] == day).any())
    history = merge_history(previous.history, rows)
    ranking = street_ranking(tables[HOTLINE_MONTHLY], layers["streets"], tables[STREET_STATS], weights)
    alerts = compute_alerts(monthly=tables[HOTLINE_MONTHLY], hotline=layers.get("hotline"),
                            projects=layers.get("projects"), zone_stats=tables[ZONE_STATS], zones=layers["zones"],
                            history=history, previous=previous, as_of=day, rules=rules,
                            needs_monthly=tables.get(NEEDS_MONTHLY), needs_overdue_days=needs_overdue_days)
    report["stats_history"] = {"days": int(history["as_of"].nunique()), "rows": int(len(history)),
                               "added": int(len(rows)), "replaced_same_day": replaced,
                               "first": history["as_of"].min().date().isoformat(),
                               "last": history["as_of"].max().date().isoformat()}
    months = ranking["month"]
    report["street_ranking"] = {"months": int(months.nunique()), "rows": int(len(ranking)),
                                "latest_month": months.max().strftime("%Y-%m") if len(ranking) else None}
    report["alerts"] = alert_counts(alerts)
    return {STATS_HISTORY: history, STREET_RANKING: ranking, ALERTS: alerts}


def _source_files(source: Path, report: dict) -> dict[str, Path]:
    """Each layer's file in ``source``; files that match no layer become warnings. At least one
    point layer is needed."""
    files, unknown = find_layer_files(source)
    add_warnings(report, [Warning(file=name, value=name, kind="unknown_file",
                                  message=f"文件 {name} 不对应任何图层，未读取；文件名应为 projects/enterprises/"
                                          "stations/hotline/communities/needs/streets/zones 加 "
                                          ".csv/.xlsx/.geojson/.gpkg/.zip",
                                  message_en=f"The file “{name}” matches no layer and is not read; a file name should "
                                             "be projects, enterprises, stations, hotline, communities, needs, "
                                             "streets or zones, followed by .csv, .xlsx, .geojson, .gpkg or .zip.")
                          for name in unknown])
    if not any(layer in files for layer in POINT_LAYERS):
        raise BuildError(f"{source} 中没有任何数据文件（projects.*、enterprises.*、stations.*、hotline.*、"
                         "communities.*）；请检查 --source 指向的文件夹和文件名。")
    return files


def _check_store_frames(frames: dict[str, pd.DataFrame]) -> None:
    """The last gate (``loaders.validate``): a frame breaking the store's declared promises is a
    bug, and the build stops before anything is written."""
    for name, frame in frames.items():
        try:
            check_store_frame(name, frame)
        except SchemaErrors as exc:
            cases = exc.failure_cases
            broken = "; ".join(f"{c} {k}: {v}" for c, k, v in zip(cases["column"], cases["check"],
                                                                   cases["failure_case"].astype(str)))
            broken = broken or " ".join(str(exc).split())
            raise BuildError(f"内部一致性检查未通过，未写入任何数据（这是程序缺陷，请连同数据报告开发者）：{name}："
                             f"{broken[:300]} (internal consistency check failed)") from exc


def _indicators(layers: dict[str, gpd.GeoDataFrame], links: dict[str, pd.DataFrame], as_of: pd.Timestamp,
                coverage_m: float, needs_overdue_days: float = DEFAULT_OVERDUE_DAYS
                ) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """The zone link table and the indicator tables, and the per-record indicator columns.

    Needs the placed layers (``streets``, ``zones`` and the point layers present) and each
    point layer's zone ``links`` (``row``, ``zone_id``). Returns new layers, with projects'
    ``schedule`` / ``days_late`` and communities' ``nearest_station_m`` / ``covered``, and
    the tables ``zone_members``, ``zone_stats``, ``street_stats``, ``hotline_monthly``,
    ``needs_monthly`` and ``needs_breakdown``.
    """
    members = pd.concat([member_rows(layer, layers[layer], links[layer]) for layer in links],
                        ignore_index=True) if links else empty_members()
    layers = dict(layers)
    if "projects" in layers:
        projects = layers["projects"]
        layers["projects"] = projects.join(project_schedule(projects, as_of))
    if "communities" in layers:
        communities = layers["communities"]
        coverage = community_coverage(communities, layers.get("stations"), coverage_m)
        if "stations" not in layers:   # no stations file: coverage is not known, not "none"
            coverage = coverage.assign(covered=pd.array([pd.NA] * len(coverage), dtype="boolean"))
        layers["communities"] = communities.join(coverage)
    for layer in POINT_LAYERS:
        if layer in layers:
            layers[layer] = _store_columns(layer, layers[layer])
    points = {layer: layers.get(layer) for layer in POINT_LAYERS}
    shared: dict = {}   # zone links and hotline case values: computed once for both tables
    zone_stats, street_stats = compute_stats(layers["streets"], layers["zones"], points, members, as_of, coverage_m,
                                             needs_overdue_days, shared=shared)
    monthly = hotline_monthly(layers.get("hotline"), members, layers["streets"], shared=shared)
    needs = layers.get("needs")
    need_links = shared["links"]["needs"] if needs is not None else None
    return layers, {ZONE_MEMBERS: members, ZONE_STATS: zone_stats, STREET_STATS: street_stats,
                    HOTLINE_MONTHLY: monthly,
                    NEEDS_MONTHLY: needs_monthly(needs, need_links, layers["streets"], as_of, needs_overdue_days),
                    NEEDS_BREAKDOWN: needs_breakdown(needs, need_links, as_of, needs_overdue_days)}


def code_version() -> str:
    """A fingerprint of the code and bundled data a build depends on (loaders/, geodata/).

    The bundled sample store records it; :func:`ensure_sample_store` rebuilds the sample when
    it differs, so a change to the loaders is never hidden behind a stale git-ignored store.
    """
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    files = sorted([*root.joinpath("loaders").glob("*.py"), *root.joinpath("loaders").glob("*.toml"),
                    *root.joinpath("geodata").glob("*.py"),
                    *root.joinpath("geodata", "files").glob("*")])
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_sample_store(target: Path | None = None) -> str:
    """The bundled sample store's path, (re)building it when missing or made by other code.

    Several processes may ask at once (dashboard processes starting together, tests): the
    first builds, the others wait for it and then find the store current.
    """
    path = Path(target or default_store_path())
    if _sample_current(path):
        return str(path)
    with open_store(str(path)).build_lock(wait=True):
        if not _sample_current(path):
            build(None, str(path), progress=False, _locked=True)
    return str(path)


def _sample_current(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        return open_store(str(path)).read_report().get("code_version") == code_version()
    except Exception:  # noqa: BLE001 - an unreadable or old sample store is simply rebuilt
        return False


def _naming_the_file(path: Path, step, *args):  # noqa: ANN001, ANN202 - a build step and its result
    """Run ``step``; an unexpected error in it becomes a :class:`BuildError` that names ``path``.

    Input problems are rejects or BuildErrors already; what arrives here is a case the code did
    not foresee, and the person running the build still needs to know which file caused it.
    """
    try:
        return step(*args)
    except BuildError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised as BuildError with the cause kept
        raise BuildError(f"{path.name}: 处理该文件时程序遇到意外错误（{type(exc).__name__}: {str(exc)[:200]}）。"
                         "请检查该文件的内容与格式，或连同构建报告报告开发者 "
                         f"(unexpected error while processing {path.name}).") from exc


def _bar(progress: bool, layer: str, stage: str, total: int) -> tqdm:
    return tqdm(total=total, desc=f"{layer:<11} {stage}", unit="行", unit_scale=True,
                disable=not progress, leave=True, mininterval=0.5)


def _store_columns(layer: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The declared store columns of ``layer`` that ``frame`` has, in store order, numbers, dates and
    yes/no in their declared dtypes (population read as whole numbers is still a float column),
    and its geometry. A declared column it lacks is a bug, which the check before writing names."""
    declared = LAYERS[layer]
    columns = [c for c in declared.dtypes if c in frame.columns]
    dtypes = {c: declared.column(c).dtype for c in columns if declared.column(c).type != "text"}
    geometry = frame.geometry
    if geometry.crs is not None and geometry.crs != STORAGE_CRS:   # (geopandas refuses the mismatch)
        return gpd.GeoDataFrame(frame[columns].astype(dtypes), geometry=geometry, crs=STORAGE_CRS)
    out = pd.DataFrame(frame, copy=False)[columns].astype(dtypes)   # (plain pandas: a cheaper selection)
    # the geometry set as a column that carries its CRS (``crs=`` would make geopandas check it again)
    out["geometry"] = geometry.array if geometry.crs is not None else geometry.set_crs(STORAGE_CRS).array
    return gpd.GeoDataFrame(out, geometry="geometry", copy=False)   # (``out`` is new: copy on write)


def _build_point_layer(layer: str, path: Path, bounds: Boundaries, report: dict, default_coord_sys: str,
                       progress: bool, as_of: pd.Timestamp) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read, clean and place one point layer; record it in the report.

    Returns the placed frame (with ``source_file``) and its zone links (``row``, ``zone_id``).
    """
    started = time.perf_counter()
    with _bar(progress, layer, "读取 read", 1) as bar:
        table = read_layer_file(layer, path)
        bar.total = len(table.frame)
        bar.update(len(table.frame))
    n = len(table.frame)
    with _bar(progress, layer, "清洗 clean", n) as bar:
        cleaned = clean_layer(table, default_coord_sys, as_of=as_of)
        bar.update(n)
    with _bar(progress, layer, "落点 place", len(cleaned.frame)) as bar:
        placed = place_layer(layer, path.name, cleaned.frame, bounds)
        bar.update(len(cleaned.frame))
    frame = placed.frame.assign(**{SOURCE_FILE: path.name})
    keyed = _with_record_ids(layer, path, frame)
    rejects = pd.concat([cleaned.rejects, placed.rejects, keyed.rejects], ignore_index=True)
    warnings = [*table.notes, *cleaned.warnings, *placed.warnings]
    add_layer(report, layer, path.name, n, len(keyed.frame), rejects, warnings, time.perf_counter() - started)
    return keyed.frame, placed.links


def _build_needs_layer(path: Path, layers: dict[str, gpd.GeoDataFrame], links: dict[str, pd.DataFrame], report: dict,
                       progress: bool, as_of: pd.Timestamp, overdue_days: float
                       ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read and clean the enterprise needs, place them at their enterprises (``loaders.needs``),
    link each to its 先丰港, add days open and overdue as of ``as_of``; record it in the report.
    Needs the enterprises and stations already built (``layers``, ``links``: both optional)."""
    started = time.perf_counter()
    with _bar(progress, "needs", "读取 read", 1) as bar:
        table = read_layer_file("needs", path)
        bar.total = len(table.frame)
        bar.update(len(table.frame))
    n = len(table.frame)
    with _bar(progress, "needs", "清洗 clean", n) as bar:
        cleaned = clean_layer(table, as_of=as_of)
        bar.update(n)
    placed, rejects, need_links = place_needs(cleaned.frame, layers.get("enterprises"), links.get("enterprises"),
                                              "needs", path.name)
    stations = link_stations(placed, need_links, layers.get("stations"), links.get("stations"))
    state = need_state(placed, as_of, overdue_days)[["days_open", "days_to_close", "overdue"]]
    frame = placed.assign(**{SOURCE_FILE: path.name}).join(stations).join(state.astype({"overdue": "boolean"}))
    rejects = pd.concat([cleaned.rejects, rejects], ignore_index=True)
    add_layer(report, "needs", path.name, n, len(frame), rejects, [*table.notes, *cleaned.warnings],
              time.perf_counter() - started)
    return frame, need_links


@dataclass
class _Keyed:
    """A placed layer with its record ids, and the rows refused for a repeated id."""
    frame: gpd.GeoDataFrame
    rejects: pd.DataFrame


def _with_record_ids(layer: str, path: Path, frame: gpd.GeoDataFrame) -> _Keyed:
    """Communities get their ``community_id`` once placed (it names the canonical street) and
    repeats are rejected; the other layers carry their id from the file already."""
    if layer != "communities":
        return _Keyed(frame, pd.DataFrame(columns=REJECT_COLUMNS))
    ids = community_ids(frame)
    problems = Problems(frame.index)
    reject_duplicates(problems, ids, frame[SOURCE_ROW], "社区", "community")
    keep = ~problems.rejected
    return _Keyed(frame.assign(community_id=ids).loc[keep], problems.to_rejects(layer, path.name, frame))


def _boundaries(files: dict[str, Path], report: dict) -> tuple[Boundaries, dict]:
    """The streets and zones points are placed in: official files where given, else the bundled ones."""
    streets = _official_streets(files["streets"], report) if "streets" in files else _bundled("streets", report)
    zones = _official_zones(files["zones"], report) if "zones" in files else _bundled("zones", report)
    # Bundled zone spellings only make sense with the bundled zones.
    aliases = {} if "zones" in files else dict(boundaries.zone_alias_table())
    for zone_id, name in zip(zones["zone_id"], zones["name"]):
        aliases[normalise_text(zone_id).lower()] = zone_id
        aliases[normalise_text(name).lower()] = zone_id
    streets = _store_columns("streets", streets.reset_index(drop=True))
    zones = _store_columns("zones", zones.reset_index(drop=True))
    return Boundaries(streets, zones, aliases), {"streets": streets, "zones": zones}


def _bundled(layer: str, report: dict) -> gpd.GeoDataFrame:
    frame = boundaries.load_streets() if layer == "streets" else boundaries.load_zones()
    report["layers"][layer] = {"file": f"geodata/files/{layer}.geojson (内置示意)", "read": len(frame),
                               "loaded": len(frame), "rejected": 0}
    return frame


# An invalid polygon (a self-crossing ring, a hole touching its shell...) is repaired when the
# repair is unambiguous: two standard repairs agree on its area within this share of each other.
REPAIR_MAX_DISAGREEMENT = 0.01


@dataclass
class PolygonCheck:
    """What ``_check_polygons`` found: the geometry as given and the geometry to store (the
    structure repair where the repair was unambiguous), the rows rejected for their geometry,
    and for each invalid polygon the areas (m², in ``METRIC_CRS``) of its two repairs (0 when
    a repair leaves no polygon)."""
    given: gpd.GeoSeries
    geometry: gpd.GeoSeries
    rejected: pd.Series            # bool: not a polygon, empty, or invalid with no unambiguous repair
    repaired: pd.Series            # bool: was invalid, repaired, kept
    area_structure_m2: pd.Series   # NaN unless the geometry was invalid
    area_linework_m2: pd.Series


def _polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Only the Polygon parts of each geometry, as a Polygon or MultiPolygon (None when none).

    Collections are flattened all the way down: linework's result is often a collection that
    holds a MultiPolygon besides lines."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    while (nested := shapely.get_type_id(parts) >= 4).any():   # Multi* and GeometryCollection
        inner, at = shapely.get_parts(parts[nested], return_index=True)
        parts, index = np.concatenate([parts[~nested], inner]), np.concatenate([index[~nested], index[nested][at]])
    order = np.argsort(index, kind="stable")
    parts, index = parts[order], index[order]
    is_polygon = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, index = parts[is_polygon], index[is_polygon]
    out = np.full(len(geoms), None, dtype=object)   # rows with no polygon part stay None
    if len(parts):
        shapely.multipolygons(parts, indices=index, out=out)
    return np.where(shapely.get_num_geometries(out) == 1, shapely.get_geometry(out, 0), out)


def _repairs(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two standard repairs of ``geoms``, polygonal parts only (None where none is left).

    ``shapely.make_valid`` with ``method="structure", keep_collapsed=False`` (each ring made
    valid on its own, shells unioned, holes subtracted, collapsed parts dropped) and with
    ``method="linework"`` (all the lines noded, the faces they bound alternately in and out).
    """
    structure = _polygonal_parts(shapely.make_valid(geoms, method="structure", keep_collapsed=False))
    linework = _polygonal_parts(shapely.make_valid(geoms, method="linework"))
    return structure, linework


def _metric_area(geoms: np.ndarray, crs: object) -> np.ndarray:  # noqa: ANN401 - any CRS geopandas takes
    """Areas (m², ``METRIC_CRS``) of ``geoms`` in ``crs``; 0 where a geometry is None."""
    return gpd.GeoSeries(geoms, crs=crs).to_crs(METRIC_CRS).area.fillna(0.0).to_numpy()


def _check_polygons(frame: gpd.GeoDataFrame, problems: Problems) -> PolygonCheck:
    """Reject what is not a polygon; repair an invalid polygon when the repair is unambiguous.

    The area of an invalid ring is no yardstick: a self-crossing ring's loops cancel in
    the shoelace sum, so a thin spike that crosses the boundary makes it "lose" area it
    never lost. Instead an invalid polygon is repaired twice, with ``shapely.make_valid``'s
    structure and linework methods (polygonal parts only, ``_repairs``). When both leave a
    polygon and their areas are within ``REPAIR_MAX_DISAGREEMENT`` of each other (relative
    to the larger), the repair is unambiguous and the structure result is stored (a
    ``geometry_repaired`` warning says so, ``_repair_warnings``). When they disagree (a ring
    that folds over itself: linework makes the doubly covered part a hole, structure fills
    it) or leave no polygon (a collapsed ring), the row is rejected with both areas. Areas
    are in ``METRIC_CRS``; the repairs themselves are done in the stored CRS.
    """
    geom = frame.geometry
    kinds = geom.geom_type
    not_polygon = geom.isna() | geom.is_empty | ~kinds.isin(["Polygon", "MultiPolygon"])
    problems.add(not_polygon, "geometry", kinds.fillna("空"), "几何不是面（Polygon/MultiPolygon）或为空",
                 "The geometry is not a polygon (Polygon or MultiPolygon), or it is empty.")
    invalid = ~not_polygon & ~geom.is_valid
    given = gpd.GeoSeries(geom.to_numpy(), index=frame.index, crs=frame.crs)
    geometry = given.copy()
    area_structure = pd.Series(np.nan, index=frame.index)
    area_linework = pd.Series(np.nan, index=frame.index)
    repaired = pd.Series(False, index=frame.index)
    unrepairable = pd.Series(False, index=frame.index)
    if invalid.any():
        structure, linework = _repairs(geom[invalid].to_numpy())
        area_structure[invalid] = _metric_area(structure, frame.crs)
        area_linework[invalid] = _metric_area(linework, frame.crs)
        larger = np.maximum(area_structure, area_linework)
        gap = (area_structure - area_linework).abs() / larger.where(larger > 0)
        none_left = invalid & ((area_structure <= 0) | (area_linework <= 0))
        disagree = invalid & ~none_left & gap.gt(REPAIR_MAX_DISAGREEMENT)
        repaired = invalid & ~none_left & ~disagree
        unrepairable = invalid & ~repaired
        geometry[repaired] = structure[repaired[invalid].to_numpy()]
        both_none = (area_structure <= 0) & (area_linework <= 0)
        reasons_zh = pd.Series(
            "几何无效（自相交等），且无法明确修复，已拒绝：两种标准修复结果不一致——make_valid 的 structure 方法修复后"
            + area_structure.map(_area_zh) + "，linework 方法修复后" + area_linework.map(_area_zh)
            + "，相差 " + gap.map(_pct_zh) + f"，超过 {REPAIR_MAX_DISAGREEMENT:.0%}；请在 GIS 软件中修复",
            index=frame.index).where(~both_none,
            "几何无效（自相交等），无法修复，已拒绝：两种标准修复（make_valid 的 structure 与 linework 方法）后都没有"
            "剩下任何面（面积均为 0 m²），可能是退化（面积为零）的环；请在 GIS 软件中修复")
        reasons_en = pd.Series(
            "Invalid geometry (self-crossing or similar) with no unambiguous repair, rejected: the two standard "
            "repairs disagree (make_valid's structure method leaves " + area_structure.map(_area_en)
            + ", its linework method " + area_linework.map(_area_en) + ", " + gap.map(_pct_en)
            + f" apart, more than {REPAIR_MAX_DISAGREEMENT:.0%}). Please repair it in GIS software.",
            index=frame.index).where(~both_none,
            "Invalid geometry (self-crossing or similar) that cannot be repaired, rejected: no polygon left after "
            "either standard repair (make_valid's structure and linework methods both leave 0 m²); the ring is "
            "probably collapsed (zero area). Please repair it in GIS software.")
        problems.add(unrepairable, "geometry", kinds, reasons_zh, reasons_en)
    return PolygonCheck(given, geometry, not_polygon | unrepairable, repaired, area_structure, area_linework)


def _m2(area: float) -> str:
    return f"{area:,.0f} m²" if pd.notna(area) else "?"


def _area_zh(area: float) -> str:
    return "面积 " + _m2(area) if area > 0 else "没有剩下任何面"


def _area_en(area: float) -> str:
    return "an area of " + _m2(area) if area > 0 else "no polygon left"


def _pct_zh(share: float) -> str:
    """A relative difference (0.01 = 1 %) for a Chinese message."""
    if pd.isna(share) or np.isinf(share):
        return "无法计算"
    return "不足 0.0001%" if abs(share) < 5e-7 else f"{share * 100:.4f}%"


def _pct_en(share: float) -> str:
    """A relative difference (0.01 = 1 %) for an English message."""
    if pd.isna(share) or np.isinf(share):
        return "an unknown share"
    return "less than 0.0001%" if abs(share) < 5e-7 else f"{share * 100:.4f}%"


def _wkt_wgs84(geoms: gpd.GeoSeries) -> pd.Series:
    """WKT of ``geoms`` in EPSG:4326, rounded to 6 decimals (a before/after picture, not a survey)."""
    wgs84 = geoms.to_crs("EPSG:4326") if geoms.crs is not None else geoms
    return pd.Series(shapely.to_wkt(wgs84.to_numpy(), rounding_precision=6), index=geoms.index)


def _repair_warnings(layer: str, path: Path, frame: pd.DataFrame, check: PolygonCheck, labels: pd.Series,
                     labels_en: pd.Series, keep: pd.Series) -> list[Warning]:
    """One ``geometry_repaired`` warning per kept row whose invalid polygon was repaired, with the
    polygon before and after as WKT (a few boundary polygons: a loop is fine)."""
    rows = frame.index[check.repaired & keep]
    before, after = _wkt_wgs84(check.given[rows]), _wkt_wgs84(check.geometry[rows])
    out = []
    for i in rows:
        structure, linework = float(check.area_structure_m2[i]), float(check.area_linework_m2[i])
        gap = abs(structure - linework) / max(structure, linework)
        zh = (f"{labels[i]}的边界几何无效（自相交等），已自动修复后使用：两种标准修复结果一致（make_valid 的 structure "
              f"方法修复后面积 {_m2(structure)}，linework 方法 {_m2(linework)}，相差 {_pct_zh(gap)}，不超过 "
              f"{REPAIR_MAX_DISAGREEMENT:.0%}），采用 structure 方法的结果；建议在 GIS 软件中核对")
        en = (f"The boundary of {labels_en[i]} was invalid (self-crossing or similar) and has been repaired: the two "
              f"standard repairs agree (an area of {_m2(structure)} by make_valid's structure method, "
              f"{_m2(linework)} by its linework method, {_pct_en(gap)} apart, within {REPAIR_MAX_DISAGREEMENT:.0%}), "
              "and the structure result is used. Please check it in GIS software.")
        out.append(Warning(layer=layer, file=path.name, row=int(frame.at[i, SOURCE_ROW]), column="geometry",
                           value=str(labels[i]), kind="geometry_repaired", message=zh, message_en=en,
                           geometry_before=before[i], geometry_after=after[i]))
    return out


def _read_boundary_file(layer: str, path: Path) -> LayerTable:
    """An official streets or zones file, which must hold geometry."""
    table = read_layer_file(layer, path)
    if not isinstance(table.frame, gpd.GeoDataFrame):
        raise BuildError(f"{path.name}: {LAYER_LABELS[layer]}必须是带几何的文件（.geojson/.gpkg/.zip Shapefile）。")
    return table


def _official_streets(path: Path, report: dict) -> gpd.GeoDataFrame:
    """Official street polygons: names resolved (a 9/12-digit code decides an old or ambiguous
    name), repeats and bad geometry refused, invalid rings repaired where the repair is unambiguous."""
    table = _read_boundary_file("streets", path)
    raw = table.frame
    problems = Problems(raw.index)
    resolved = raw["name"].map(resolve_street)
    names, reasons = resolved.str[0], resolved.str[1]
    if "code" in raw.columns:  # a code decides when the name is old or ambiguous
        by_code = raw["code"].astype(str).str.strip().map(
            lambda c: UNITS.get(c.ljust(12, "0")[:12], (None,))[0] if c[:6] == "110106" else None)
        names = by_code.fillna(names)
    reasons_en = raw["name"].map(lambda v: _capitalised(street_reason_en(v) or "the street name is not recognised."))
    problems.add(names.isna(), "name", raw["name"], reasons.fillna("街镇名称无法识别"), reasons_en)
    problems.add(names.duplicated(keep="first") & names.notna(), "name", raw["name"],
                 "同一街镇出现多次，保留第一条", "The street appears more than once; the first one is kept.")
    check = _check_polygons(raw, problems)
    population = pd.to_numeric(raw.get("population", pd.Series(None, index=raw.index)), errors="coerce")
    keep = ~problems.rejected
    out = gpd.GeoDataFrame({
        "name": names, "code": names.map(CODE_BY_NAME), "name_en": names.map(
            lambda n: UNITS[CODE_BY_NAME[n]][1] if n in CODE_BY_NAME else None),
        "kind": names.map(lambda n: UNITS[CODE_BY_NAME[n]][2] if n in CODE_BY_NAME else None),
        "aliases": names.map(lambda n: "|".join(aliases_of(n)) if isinstance(n, str) else None),
        "population": population,
        "area_km2": check.geometry.to_crs(METRIC_CRS).area / 1e6,
        "precision": "official", "source": path.name,
    }, geometry=check.geometry, crs=STORAGE_CRS).loc[keep]
    rejects = problems.to_rejects("streets", path.name, raw)
    labels = names.fillna(raw["name"]).astype(str)
    warnings = [*table.notes, *_repair_warnings("streets", path, raw, check, labels, labels.map(_street_name_en),
                                                keep)]
    add_layer(report, "streets", path.name, len(raw), len(out), rejects, warnings, 0.0)
    if out.empty:
        raise BuildError(f"{path.name}: 没有一条可用的街镇边界（全部被拒绝），无法落点；原因见报告。")
    # A street whose only row was rejected for its geometry is in the file: say so, not "missing".
    bad_geometry = sorted(set(names[check.rejected & names.notna()]) - set(out["name"]))
    if bad_geometry:
        add_warnings(report, [Warning(
            layer="streets", file=path.name, column="geometry", value="、".join(bad_geometry),
            count=len(bad_geometry), kind="streets_geometry_rejected",
            message=f"正式边界中有 {len(bad_geometry)} 个街镇的几何无效且无法明确修复（或不是面），已拒绝，"
                    f"未使用：{'、'.join(bad_geometry)}；原因见拒绝清单，其范围内的坐标无法落入这些街镇",
            message_en=f"{_count_en(len(bad_geometry), 'street')} in the official boundaries "
                       f"{'has' if len(bad_geometry) == 1 else 'have'} an invalid geometry with no unambiguous repair "
                       f"(or not a polygon) and {'is' if len(bad_geometry) == 1 else 'are'} rejected, not used: "
                       f"{_street_names_en(bad_geometry)}. The reasons are in the rejects; coordinates within "
                       f"{'it' if len(bad_geometry) == 1 else 'them'} cannot be placed in "
                       f"{'this street' if len(bad_geometry) == 1 else 'these streets'}.")])
    missing = sorted(set(CODE_BY_NAME) - set(out["name"]) - set(bad_geometry))
    if missing:
        add_warnings(report, [Warning(layer="streets", file=path.name, column="name", value="、".join(missing),
                                      count=len(missing), kind="streets_missing",
                                      message=f"正式边界中缺少 {len(missing)} 个街镇：{'、'.join(missing)}",
                                      message_en=f"{_count_en(len(missing), 'street')} "
                                                 f"{'is' if len(missing) == 1 else 'are'} missing from the official "
                                                 f"boundaries: {_street_names_en(missing)}.")])
    return out.sort_values("code").reset_index(drop=True)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count_en(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


_street_name_en = street_name_en


def _street_names_en(names: list[str]) -> str:
    return ", ".join(map(_street_name_en, names))


def _official_zones(path: Path, report: dict) -> gpd.GeoDataFrame:
    """Official zone polygons: columns cleaned like any layer, bad geometry refused or repaired."""
    table = _read_boundary_file("zones", path)
    raw = table.frame
    cleaned = clean_layer(table)
    frame = cleaned.frame
    problems = Problems(frame.index)
    check = _check_polygons(gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS), problems)
    keep = ~problems.rejected
    geometry = check.geometry
    out = gpd.GeoDataFrame({
        "zone_id": frame["zone_id"], "name": frame["name"],
        "name_en": frame.get("name_en"), "kind": frame.get("kind"),
        "area_km2": geometry.to_crs(METRIC_CRS).area / 1e6,
        "precision": frame.get("precision", pd.Series(None, index=frame.index)).fillna("official"),
        "source": path.name,
    }, geometry=geometry, crs=STORAGE_CRS).loc[keep]
    rejects = pd.concat([cleaned.rejects, problems.to_rejects("zones", path.name, frame)], ignore_index=True)
    labels = frame["name"].fillna(frame["zone_id"]).astype(str) + "（" + frame["zone_id"].astype(str) + "）"
    names_en = frame.get("name_en", pd.Series(None, index=frame.index, dtype=object))
    quoted = ("“" + frame["name"].astype(str) + "”").where(frame["name"].notna(), "zone")   # a name is a value as written
    labels_en = names_en.fillna(quoted).astype(str) + " (" + frame["zone_id"].astype(str) + ")"
    warnings = [*table.notes, *cleaned.warnings,
                *_repair_warnings("zones", path, frame, check, labels, labels_en, keep)]
    add_layer(report, "zones", path.name, len(raw), len(out), rejects, warnings, 0.0)
    if out.empty:
        raise BuildError(f"{path.name}: 没有一条可用的功能区边界（全部被拒绝），无法判断功能区归属；原因见报告。"
                         "请修正该文件，或移除它以使用内置示意边界 (no usable zone polygon in the file).")
    return out.reset_index(drop=True)


def _provenance(files: dict[str, Path]) -> dict:
    bundled = boundaries.load_provenance()
    out = {}
    for layer in ("district", "streets", "zones"):
        if layer in files:
            out[layer] = {"title": f"{layer} (正式文件 official file)", "source": files[layer].name,
                          "precision": "official", "licence": "由数据提供单位确定",
                          "display_zh": f"{layer} 边界来自正式文件 {files[layer].name}"}
        else:
            out[layer] = bundled.get(layer, {})
    if "streets" in files:
        out["district"] = {"title": "区界 (由正式街镇边界合并)", "source": files["streets"].name,
                           "precision": "official", "display_zh": "区界由正式街镇边界合并而成"}
    return out
