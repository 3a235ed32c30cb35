"""The build report: counts per layer, rejects, warnings (the contract's JSON)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from loaders.clean import REJECT_COLUMNS


def new_report(sample_data: bool, source: str, store: str) -> dict:
    return {"layers": {}, "rejects": [], "warnings": [], "sample_data": sample_data,
            "built_at": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
            "source": source, "store": store}


def add_layer(report: dict, layer: str, file: str, read: int, loaded: int,
              rejects: pd.DataFrame, warnings: list[dict], seconds: float) -> None:
    """Record one layer; raises AssertionError if a row went missing (a bug, not bad input)."""
    rejected = int(rejects["row"].nunique()) if len(rejects) else 0
    if read != loaded + rejected:
        raise AssertionError(f"{layer}: read {read} != loaded {loaded} + rejected {rejected}")
    report["layers"][layer] = {"file": file, "read": int(read), "loaded": int(loaded),
                               "rejected": rejected, "seconds": round(seconds, 2)}
    records = rejects[REJECT_COLUMNS].sort_values("row").to_dict("records")
    for rec in records:
        rec["row"] = int(rec["row"])
        rec["value"] = None if pd.isna(rec["value"]) else str(rec["value"])
    report["rejects"].extend(records)
    report["warnings"].extend(warnings)


def write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)


def summary_lines(report: dict) -> list[str]:
    """A few lines for the terminal."""
    lines = []
    for layer, c in report["layers"].items():
        seconds = c.get("seconds") or 0.0
        rate = f"{c['read'] / seconds:>9,.0f} 行/s" if seconds > 0 else ""
        lines.append(f"  {layer:<12} 读取 {c['read']:>9,}  入库 {c['loaded']:>9,}  拒绝 {c['rejected']:>7,}"
                     f"  {seconds:6.1f} s {rate}")
    lines.append(f"  警告 {len(report['warnings'])} 条；拒绝明细 {len(report['rejects'])} 条")
    return lines
