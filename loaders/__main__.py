"""The loaders' command line.

``python -m loaders build --source DIR --store TARGET [--report FILE] [--coverage-m METRES]
[--as-of YYYY-MM-DD] [--ranking-weights R,S,Sat] [--alert-rules FILE] [--needs-overdue-days DAYS]``;
``python -m loaders history --store TARGET (--list | --drop YYYY-MM-DD)``;
``python -m loaders sample --out DIR``.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from loaders.errors import BuildError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders",
                                     description="丰台“4+4”功能区看板的数据构建工具 (loaders for the Fengtai 4+4 dashboard)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a store from a source folder (the bundled sample when none)")
    b.add_argument("--source", type=Path, help="folder with projects.*, enterprises.*, stations.*, hotline.*, "
                                               "communities.*, needs.* [streets.*, zones.*]; default: the bundled sample data")
    b.add_argument("--store", help="target .gpkg path or postgresql:// URL; default: the bundled sample store")
    b.add_argument("--report", type=Path, help="also write the build report JSON to this file")
    b.add_argument("--coord-sys", default="wgs84", choices=["wgs84", "gcj02", "bd09", "cgcs2000"],
                   help="coordinate system of rows whose file has no coord_sys column (default wgs84)")
    b.add_argument("--coverage-m", type=_metres, default=1000.0, metavar="METRES",
                   help="a 先丰站 covers a community within this straight-line distance (default 1000, "
                        "the 15-minute walk)")
    b.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD",
                   help="the date the build describes: delays, alerts and the stats history are dated by it "
                        "(default: today in Beijing time; the bundled sample: its own reference date)")
    b.add_argument("--ranking-weights", type=_weights, metavar="R,S,Sat",
                   help="weights of the response, resolution and satisfaction rates in the street ranking's "
                        "score (default 0.10,0.45,0.45, the weighting commonly published for Beijing's "
                        "monthly assessment; set your district's own)")
    b.add_argument("--alert-rules", type=Path, metavar="FILE",
                   help="TOML file of alert thresholds replacing the defaults of loaders/alert_rules.toml "
                        "(only the keys it gives)")
    b.add_argument("--needs-overdue-days", type=_days_limit, default=30, metavar="DAYS",
                   help="an open enterprise need (企业诉求) is overdue when open longer than this many days "
                        "(default 30: open 30 days is not overdue, 31 is)")
    b.add_argument("--quiet", action="store_true", help="no progress display")
    h = sub.add_parser("history", help="list or drop days of a store's stats history")
    h.add_argument("--store", help="target .gpkg path or postgresql:// URL; default: the bundled sample store")
    what = h.add_mutually_exclusive_group(required=True)
    what.add_argument("--list", action="store_true", help="list the days the history holds")
    what.add_argument("--drop", type=_day, metavar="YYYY-MM-DD", help="remove one day's rows (a wrong build)")
    s = sub.add_parser("sample", help="write the synthetic sample source files")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--scale", choices=["default", "full"], default="default",
                   help="full = 100,000 enterprises and 1,000,000 hotline cases (benchmarks)")
    args = parser.parse_args(argv)
    if args.command == "history":
        return _history(args)
    try:
        if args.command == "build":
            from loaders.build import build
            build(args.source, args.store, args.report, args.coord_sys, progress=not args.quiet,
                  coverage_m=args.coverage_m, as_of=args.as_of, ranking_weights=args.ranking_weights,
                  alert_rules=args.alert_rules, needs_overdue_days=args.needs_overdue_days)
        else:
            from loaders.sample import write_sample
            write_sample(args.out, scale=args.scale)
            print(f"示例数据已写入 {args.out}")
    except BuildError as exc:
        if _debug():
            traceback.print_exception(exc, file=sys.stderr)
        print(f"构建失败 (build failed): {_one_line(exc)}\n原有存储未改动 (the previous store is untouched).",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("构建已中断，原有存储未改动 (build interrupted; the previous store is untouched).", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last resort: no input may end in a traceback
        if _debug():
            raise  # LOADERS_DEBUG=1: the developer sees the real exception and its traceback
        print(f"构建失败 (build failed): 程序遇到意外错误（{type(exc).__name__}: {_one_line(exc)[:300]}），"
              "构建没有完成。原有存储未改动，仍可照常使用。请检查输入文件后重试；如果再次出现，请把这段信息连同"
              "构建报告（--report 写出的 JSON）和输入文件一起报告给开发者；设置环境变量 LOADERS_DEBUG=1 可显示"
              "详细错误 (the build failed with an unexpected error; the previous store is untouched; if it "
              "recurs, report it with the build report; LOADERS_DEBUG=1 shows the details).", file=sys.stderr)
        return 2
    return 0


def _history(args: argparse.Namespace) -> int:
    """``history --list`` / ``--drop DAY`` on the store ``--store`` names."""
    from loaders.history import drop_day, list_days
    from loaders.store import default_store_path, redact_target
    target = str(args.store or default_store_path())
    try:
        if args.list:
            days = list_days(target)
            print(f"{redact_target(target)}：历史指标 {len(days)} 天 (stats history: {len(days)} days)")
            print("as_of        zones  streets")
            for day, zones, streets in zip(days["as_of"], days["zones"], days["streets"]):
                print(f"{day:%Y-%m-%d}  {zones:>5}  {streets:>7}")
        else:
            rows = drop_day(target, args.drop)
            print(f"已删除 {args.drop} 的历史指标 {rows} 行，其余数据未改动 "
                  f"(dropped {rows} stats_history rows of {args.drop}; nothing else changed).")
    except BuildError as exc:
        if _debug():
            traceback.print_exception(exc, file=sys.stderr)
        print(f"操作失败 (failed): {_one_line(exc)}\n存储未改动 (the store is unchanged).", file=sys.stderr)
        return 2
    return 0


def _day(text: str) -> str:
    """``--as-of`` / ``--drop``: a calendar date written YYYY-MM-DD."""
    from datetime import date
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _weights(text: str):  # noqa: ANN202 - loaders.change.RankingWeights
    """``--ranking-weights R,S,Sat``: three numbers ≥ 0, not all 0."""
    from loaders.change import RankingWeights
    try:
        return RankingWeights.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _days_limit(text: str) -> int:
    """``--needs-overdue-days``: a whole number of days, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if not 1 <= value <= 3650:
        raise argparse.ArgumentTypeError(f"expected days between 1 and 3650, got {text}")
    return value


def _metres(text: str) -> float:
    """``--coverage-m``: a positive distance in metres."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a distance in metres, got {text!r}") from None
    if not 0 < value < 100_000:
        raise argparse.ArgumentTypeError(f"expected metres between 0 and 100000, got {text}")
    return value


def _debug() -> bool:
    """``LOADERS_DEBUG=1``: show developers the real exception behind a failed build."""
    return os.environ.get("LOADERS_DEBUG", "").strip().lower() in ("1", "true", "yes")


def _one_line(exc: BaseException) -> str:
    """The message as one paragraph: no blank lines, whatever a library put in it."""
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
