"""Speed figures at real scale (printed, never asserted): run ``bash scripts/dev.sh bench``.

1. Writes the full-scale synthetic sample (100,000 enterprises, 1,000,000 hotline cases).
2. Times ``python -m loaders build`` of it (every stage: read, clean, convert, place, write).
3. Times a bare ``geopandas.sjoin`` of the same hotline points with the streets, the
   floor that any point-in-polygon join has to pay on this machine.
4. Runs the map pages on that store and prints each map's HTML size and run time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # dashboard/, loaders/, geodata/: the editable install


def map_payloads(store: Path) -> list[str]:
    """Each page's map HTML and run time on ``store`` (the full-scale one): aggregation keeps it small.

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
                         ("zone", {"zone": "hexi", "clustered": "1"}), ("projects", {})):
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


def main(argv: list[str] | None = None) -> int:
    import geopandas as gpd
    import pandas as pd

    from geodata import boundaries
    from geodata.crs import to_wgs84
    from loaders.build import build
    from loaders.sample import SCALES, write_sample

    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--keep-source", action="store_true", help="reuse an existing source of this scale")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full",
                        help="full = 100,000 enterprises and 1,000,000 hotline cases; tiny = a smoke test")
    args = parser.parse_args(argv)
    sizes = SCALES[args.scale]
    source, store = args.work / "source", args.work / "bench.gpkg"
    if not (args.keep_source and (source / "hotline.csv").exists()):
        t = time.perf_counter()
        write_sample(source, scale=args.scale)
        print(f"sample written ({sizes['enterprises']:,} enterprises, {sizes['hotline']:,} hotline): "
              f"{time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    report = build(source, str(store), progress=True)
    total = time.perf_counter() - t
    print(f"\nfull build into GeoPackage: {total:.1f} s")
    for layer, c in report["layers"].items():
        print(f"  {layer:<12} {c['read']:>9,} rows  {c.get('seconds', 0):6.1f} s")

    raw = pd.read_csv(source / "hotline.csv", usecols=["经度", "纬度", "坐标系"])
    raw = raw.dropna(subset=["经度", "纬度"])
    lon, lat = to_wgs84(raw["经度"].to_numpy(), raw["纬度"].to_numpy(), raw["坐标系"].to_numpy())
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    streets = boundaries.load_streets()[["name", "geometry"]]
    t = time.perf_counter()
    joined = gpd.sjoin(points, streets, how="left", predicate="within")
    bare = time.perf_counter() - t
    print(f"bare geopandas.sjoin of the {len(points):,} hotline points with coordinates: {bare:.1f} s "
          f"({len(joined):,} rows)")
    print(f"hotline layer build (read+clean+convert+place, {sizes['hotline']:,} rows): "
          f"{report['layers']['hotline']['seconds']:.1f} s")
    print(f"\ndashboard on the {args.scale}-scale store (first run includes reading the store):")
    failed = map_payloads(store)
    for line in failed:
        print(f"FAILED page: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
