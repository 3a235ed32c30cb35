"""Speed figures at real scale, each beside its floor measured in the same run (printed, never asserted).

Run ``bash scripts/dev.sh bench --scale 5`` (100,000 enterprises, 1,000,000 hotline cases),
``--scale 1`` (the bundled sample's size) or ``--scale tiny`` (a smoke test: the build and
the pages in ``AppTest``, no browser, no PostGIS). The machine is shared and noisy, so a
figure is read against its floor, timed in the same run:

1. Full build (``loaders.build``) into a GeoPackage and into PostGIS, against a bare pandas
   read + ``points_from_xy`` + one ``geopandas.sjoin`` to the streets + a write of each point
   file (GeoPackage: pyogrio's Arrow path; PostGIS: COPY), nothing else; target ≤ 2×.
2. In Chromium (``scripts/bench/pages.py``): a new session until each page's map is drawn,
   warm and cold, against a minimal ``st_folium`` page of the 8 zones
   (``scripts/bench/floor_app.py``); an explorer filter change; a zone page period change;
   the bytes a page sends; the server's memory with 1 and 20 sessions.
3. The load test (``scripts/bench/load.py``): 20 concurrent sessions on each store, against
   the floor page under the same load.
4. Bytes through the nginx site (``scripts/bench/site.py``), first and second visit.
5. A 1,000,000-row export (``scripts/bench/export.py``): the server's memory while it is
   prepared and downloaded, and the file removed after.

Prints a Markdown table: measurement | value | floor | ratio | target | met?.
PostGIS: a throwaway server (``tests/postgis.py``) unless ``--pg URL`` names one (its
tables are replaced).
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scripts.bench import pages
from scripts.bench.table import Row, markdown

ROOT = Path(__file__).resolve().parents[2]  # dashboard/, loaders/, geodata/: the editable install

# --scale: the benchmark's names for the sample's scales (loaders.sample.SCALES)
SCALE_NAMES = {"tiny": "tiny", "1": "default", "5": "full", "10": "x10", "default": "default", "full": "full"}


def load_tests_module(name: str):  # noqa: ANN201 - a module
    """``tests/<name>.py`` by its path (the tests folder is not an installed package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the build's floor
def _copy_hook(table, conn, keys, data_iter) -> None:  # noqa: ANN001 - pandas ``to_sql`` method hook
    """PostgreSQL ``COPY`` (what any bulk load of a million rows uses)."""
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows(data_iter)
    buffer.seek(0)
    columns = ", ".join(f'"{k}"' for k in keys)
    with conn.connection.cursor() as cursor:
        cursor.copy_expert(f'COPY "{table.table.name}" ({columns}) FROM STDIN WITH CSV', buffer)


def _bare_read(path: Path):  # noqa: ANN202 - pandas.DataFrame
    """The file as plain pandas reads it: the header is the first of the first 10 rows naming 经度."""
    import pandas as pd

    if path.suffix == ".xlsx":
        frame = pd.read_excel(path, header=None)
        header = next(i for i in range(10) if frame.iloc[i].astype(str).str.contains("经度").any())
        frame = frame.iloc[header + 1:].set_axis([str(x) for x in frame.iloc[header]], axis=1)
        return frame.loc[:, ~frame.columns.duplicated()]
    try:
        return pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="gb18030", low_memory=False)


def floor_build(source: Path, write: Callable[[str, object], None]) -> float:
    """The build's floor (the issue's definition): seconds for, per point file in ``source``, a bare
    pandas read, ``points_from_xy``, ONE ``sjoin`` to the streets and ``write`` (GeoPackage:
    pyogrio's Arrow path; PostGIS: COPY), nothing else."""
    import geopandas as gpd
    import pandas as pd

    from geodata import boundaries

    streets = boundaries.load_streets()[["name", "geometry"]]
    started = time.perf_counter()
    for path in sorted(source.iterdir()):
        if path.suffix not in (".csv", ".xlsx") or path.name.startswith(".") or path.stem == "needs":
            continue   # (the needs have no coordinates: placed at their enterprises, not by a join)
        frame = _bare_read(path)
        points = gpd.GeoDataFrame(frame.astype({c: str for c in frame.columns if frame[c].dtype == object}),
                                  geometry=gpd.points_from_xy(pd.to_numeric(frame["经度"], errors="coerce"),
                                                              pd.to_numeric(frame["纬度"], errors="coerce")),
                                  crs=4326)
        points = gpd.sjoin(points, streets, how="left", predicate="within").drop(columns="index_right")
        write(path.stem, points)
    return time.perf_counter() - started


def gpkg_writer(target: Path) -> Callable[[str, object], None]:
    import pyogrio

    target.unlink(missing_ok=True)

    def write(name: str, frame) -> None:  # noqa: ANN001 - geopandas.GeoDataFrame
        pyogrio.write_dataframe(frame, target, layer=name, driver="GPKG", use_arrow=True)
    return write


def postgis_writer(url: str) -> Callable[[str, object], None]:
    from geoalchemy2 import Geometry
    from sqlalchemy import create_engine, text

    from loaders.store import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(url))

    def write(name: str, frame) -> None:  # noqa: ANN001 - geopandas.GeoDataFrame
        import pandas as pd
        import shapely

        table = f"floor_{name}"
        plain = pd.DataFrame(frame, copy=False).copy()
        plain["geometry"] = shapely.to_wkb(shapely.set_srid(frame.geometry.to_numpy(), 4326), hex=True,
                                           include_srid=True)
        plain.to_sql(table, engine, if_exists="replace", index=False, chunksize=50_000, method=_copy_hook,
                     dtype={"geometry": Geometry("POINT", srid=4326)})
        with engine.begin() as conn:
            conn.execute(text(f'CREATE INDEX ON "{table}" USING gist (geometry)'))
    return write


def time_build(source: Path, target: str) -> tuple[float, dict]:
    from loaders.build import build

    started = time.perf_counter()
    report = build(source, target, progress=False)
    return time.perf_counter() - started, report


# ---------------------------------------------------------------- the smoke test's page check
def map_payloads(store: Path) -> list[str]:
    """Each page's map HTML and run time on ``store`` in ``AppTest`` (no browser).

    Returns the pages that raised (a smoke test fails on them).
    """
    import os

    import streamlit_folium
    from streamlit.testing.v1 import AppTest

    os.environ.update({"DASHBOARD_STORE": str(store), "DASHBOARD_AUTH": "none"})
    os.environ.pop("DASHBOARD_USERS", None)
    captured: list[str] = []
    streamlit_folium.st_folium = lambda m, **kwargs: captured.append(m.get_root().render()) or {}
    app = str(ROOT / "dashboard" / "app.py")
    failed: list[str] = []
    for page, params in (("overview", {}), ("zone", {"zone": "hexi"}), ("zone", {"zone": "lize"}),
                         ("zone", {"zone": "hexi", "clustered": "1"}), ("projects", {}), ("needs", {})):
        captured.clear()
        t = time.perf_counter()
        at = AppTest.from_file(app, default_timeout=600)
        for key, value in params.items():
            if key != "clustered":
                at.query_params[key] = value
        at.run()
        if page != "overview":
            at.switch_page(f"screens/{page}.py")
            at.run()
        if "clustered" in params:  # enterprises as a client-side cluster instead of by street
            at.radio(key="zone_ent").set_value("clustered").run()
        seconds = time.perf_counter() - t
        size = len(captured[-1].encode()) if captured else 0
        problems = [e.value for e in at.exception]
        print(f"  page {page:<9} {str(params):<20} map HTML {size / 1e3:8.1f} kB   script run {seconds:5.1f} s"
              + (f"   EXCEPTION {problems}" if problems else ""))
        if problems or not captured:
            failed.append(f"{page} {params}: {problems or 'no map drawn'}")
    return failed


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    from loaders.sample import SCALES, write_sample

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--keep-source", action="store_true", help="reuse an existing source of this scale")
    parser.add_argument("--scale", choices=sorted(SCALE_NAMES), default="5",
                        help="5 = 100,000 enterprises and 1,000,000 hotline cases; 10 = twice that; 1 = the sample's size; "
                             "tiny = a smoke test (no browser, no PostGIS)")
    parser.add_argument("--pg", help="a PostGIS URL to build into (default: a throwaway server)")
    parser.add_argument("--no-postgis", action="store_true", help="GeoPackage only")
    parser.add_argument("--no-browser", action="store_true", help="no browser measurements")
    parser.add_argument("--no-site", action="store_true", help="no nginx site bytes")
    parser.add_argument("--no-export", action="store_true", help="no 1,000,000-row export")
    parser.add_argument("--sessions", type=int, default=20, help="load test: concurrent sessions")
    parser.add_argument("--repeat", type=int, default=3, help="warm page measurements per page")
    args = parser.parse_args(argv)
    scale = SCALE_NAMES[args.scale]
    tiny = scale == "tiny"
    sizes = SCALES[scale]
    args.work.mkdir(parents=True, exist_ok=True)
    source, store = args.work / "source", args.work / "bench.gpkg"
    if not (args.keep_source and (source / "hotline.csv").exists()
            and (source / ".sample.json").exists() and f'"{scale}"' in (source / ".sample.json").read_text()):
        t = time.perf_counter()
        write_sample(source, scale=scale)
        print(f"sample written ({sizes['enterprises']:,} enterprises, {sizes['hotline']:,} hotline): "
              f"{time.perf_counter() - t:.1f} s", flush=True)
    rows: list[Row] = []

    seconds, report = time_build(source, str(store))
    print(f"\nfull build into GeoPackage: {seconds:.1f} s", flush=True)
    for layer, c in report["layers"].items():
        print(f"  {layer:<12} {c['read']:>9,} rows  {c.get('seconds', 0):6.1f} s")
    floor = floor_build(source, gpkg_writer(args.work / "floor.gpkg"))
    print(f"floor (pandas read + points_from_xy + one sjoin to the streets + pyogrio Arrow write, GeoPackage): "
          f"{floor:.1f} s", flush=True)
    rows.append(Row("full build → GeoPackage", seconds, floor=floor, max_ratio=2))
    # the ratio column is the share: change over time's seconds against the whole build's
    change_s = report.get("change_seconds")
    rows.append(Row("change over time in the build (history, ranking, alerts; share of the build)", change_s,
                    floor=seconds, max_ratio=0.15, note=f"{change_s / seconds:.1%}" if change_s else ""))

    pg_server, pg_url = None, args.pg
    if not tiny and not args.no_postgis:
        if pg_url is None:
            pg_server = load_tests_module("postgis").PostGISServer().start()
            pg_url = pg_server.url
    try:
        if pg_url:
            seconds, _ = time_build(source, pg_url)
            print(f"full build into PostGIS: {seconds:.1f} s", flush=True)
            floor = floor_build(source, postgis_writer(pg_url))
            print(f"floor (pandas read + points_from_xy + one sjoin to the streets + COPY, PostGIS): {floor:.1f} s",
                  flush=True)
            rows.append(Row("full build → PostGIS", seconds, floor=floor, max_ratio=2))
        failed: list[str] = []
        if tiny or args.no_browser:
            print(f"\ndashboard on the {args.scale}-scale store in AppTest (first run includes reading the store):")
            failed = map_payloads(store)
        if not tiny and not args.no_browser:
            rows += pages.measure(store=store, pg_url=pg_url, work=args.work, sessions=args.sessions,
                                        repeat=args.repeat, log=print)
            from scripts.bench.export import measure_export
            from scripts.bench.site import measure_site

            if not args.no_site:
                rows += measure_site(str(store), args.work, log=print)
            if not args.no_export:
                rows += measure_export(str(store), sizes["hotline"], args.work, log=print)
        for line in failed:
            print(f"FAILED page: {line}", file=sys.stderr)
    finally:
        if pg_server is not None:
            pg_server.stop()
    print(f"\n### Benchmark at scale {args.scale} ({sizes['enterprises']:,} enterprises, "
          f"{sizes['hotline']:,} hotline cases)\n")
    print(markdown(rows))
    errors = [r for r in rows if r.measurement.startswith("load test") and r.note.startswith("ERRORS")]
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
