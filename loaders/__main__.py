"""``python -m loaders build --source DIR --store TARGET [--report FILE] [--coverage-m METRES]``."""
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
                                               "communities.* [streets.*, zones.*]; default: the bundled sample data")
    b.add_argument("--store", help="target .gpkg path or postgresql:// URL; default: the bundled sample store")
    b.add_argument("--report", type=Path, help="also write the build report JSON to this file")
    b.add_argument("--coord-sys", default="wgs84", choices=["wgs84", "gcj02", "bd09", "cgcs2000"],
                   help="coordinate system of rows whose file has no coord_sys column (default wgs84)")
    b.add_argument("--coverage-m", type=_metres, default=1000.0, metavar="METRES",
                   help="a 先丰站 covers a community within this straight-line distance (default 1000, "
                        "the 15-minute walk)")
    b.add_argument("--quiet", action="store_true", help="no progress display")
    s = sub.add_parser("sample", help="write the synthetic sample source files")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--scale", choices=["default", "full"], default="default",
                   help="full = 100,000 enterprises and 1,000,000 hotline cases (benchmarks)")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            from loaders.build import build
            build(args.source, args.store, args.report, args.coord_sys, progress=not args.quiet,
                  coverage_m=args.coverage_m)
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
