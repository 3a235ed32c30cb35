"""``python -m dashboard.brief``: the one-page zone brief or the district deck as a PDF, with no
browser and no running dashboard (the data contract's command)."""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from dashboard import i18n
from dashboard.briefing import pdf


def _write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` so that a scheduler never leaves a half-written PDF behind."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.brief",
        description="功能区简报 / 全区简报 (PDF, A4 landscape): one zone's brief, or with --zone all the district "
                    "deck (a cover comparing the zones, then one page per zone).")
    parser.add_argument("--store", required=True, help="a .gpkg path or a postgresql:// URL")
    parser.add_argument("--zone", required=True, help="a zone_id (e.g. lize), or all for the district deck")
    parser.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    parser.add_argument("--lang", choices=i18n.LANGS, default="zh", help="zh (default) or en")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if not args.out.parent.is_dir():
            raise pdf.BriefError(f"输出目录不存在 (the output folder does not exist): {args.out.parent}")
        payload = pdf.brief_pdf(args.store, args.zone, args.lang)
        _write_atomically(args.out, payload)
    except pdf.BriefError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"错误 error: 无法写出 (cannot write) {args.out}: {exc}", file=sys.stderr)
        return 2
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", payload))
    print(i18n.t("br_wrote", args.lang, path=args.out, pages=pages, s=time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
