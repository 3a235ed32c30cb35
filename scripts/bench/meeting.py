"""The meeting's timings on a warm process: the one-off map build, each slide's build (what a
key press costs the server), and the district deck (PDF).

    python -m scripts.bench.meeting --bench [--store TARGET] [--lang zh|en]
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from dashboard import i18n
from dashboard.briefing import figures, pdf
from dashboard.maps import draw
from dashboard.maps import meeting as meeting_map
from dashboard.store import queries
from dashboard.web import slides
from loaders.store import open_store


def bench(store_target: str, lang: str = "zh") -> dict[str, float]:
    """Time the meeting's work on a warm process and print it: the one-off map build, each
    slide's build (what a key press costs the server), and the district deck (PDF)."""


    started = time.perf_counter()
    store = open_store(store_target)
    source = pdf.read_brief_data(store)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    status = {s: i18n.enum_label("status", s, lang) for s in figures.STATUS_ORDER}
    m = meeting_map.meeting_map(zones=source.zone_polygons, streets=source.streets, projects=source.projects,
                    members=source.members, zone_labels=queries.zone_names(source.zone_polygons, lang),
                    status_labels=status, legend_title=i18n.t("mt_map_legend", lang))
    page = draw.map_html(m)
    map_s = time.perf_counter() - started
    order = figures.slide_order(list(source.zones.index))
    timings = []
    for _ in range(3):  # warm: the first pass pays imports and caches
        for key in order:
            started = time.perf_counter()
            slide = figures.build_slide(key, order, source.zones, source.district, lang, source.policy)
            slides.slide_head_html(slide, False, "")
            slides.kpis_html(slide.kpis)
            if key == figures.OVERVIEW:
                slides.comparison_html(figures.comparison(source.zones, figures.COMPARE_METRICS, lang, source.policy), figures.COMPARE_METRICS,
                                lang, source.policy)
            timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    deck = pdf.brief_pdf(store, figures.OVERVIEW, lang)
    deck_s = time.perf_counter() - started
    out = {"read_s": read_s, "map_build_s": map_s, "map_kb": len(page.encode()) / 1024,
           "slide_max_ms": max(timings[len(order):]) * 1000, "deck_s": deck_s, "deck_kb": len(deck) / 1024}
    print(f"store read (projects, zones, streets, stats)  {read_s:6.2f} s")
    print(f"meeting map, built once per build/language    {map_s:6.2f} s   HTML {out['map_kb']:,.0f} kB")
    print(f"next slide, server side (warm, worst of {len(order)})   {out['slide_max_ms']:6.1f} ms")
    print(f"district deck PDF ({len(order)} pages)                 {deck_s:6.2f} s   {out['deck_kb']:,.0f} kB")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.meeting", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", action="store_true", help="print the meeting's timings")
    parser.add_argument("--store", help="a .gpkg path or postgresql:// URL (default: the bundled sample store)")
    parser.add_argument("--lang", choices=i18n.LANGS, default="zh")
    args = parser.parse_args(argv)
    if not args.bench:
        parser.print_help()
        return 0
    target = args.store
    if target is None:
        from loaders.build import ensure_sample_store
        from loaders.store import default_store_path
        ensure_sample_store()
        target = str(default_store_path())
    bench(target, args.lang)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
