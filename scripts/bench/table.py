"""The benchmark's table: each figure beside its floor and target, and the one median."""
from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table: a value against its floor (same unit) and/or an absolute target."""
    measurement: str
    value: float | None
    unit: str = "s"
    floor: float | None = None
    max_ratio: float | None = None   # target: value / floor at most this
    max_value: float | None = None   # target: value at most this
    note: str = ""
    must: str = ""                   # another target, in words ("0 errors"), met when ``passed``
    passed: bool | None = None

    def cells(self) -> list[str]:
        def fmt(x: float | None) -> str:
            if x is None:
                return "—"
            if self.unit == "MB":
                return f"{x:,.0f} MB" if abs(x) >= 10 else f"{x:.1f} MB"
            if self.unit == "kB":
                return f"{x:,.0f} kB"
            return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"
        ratio = self.value / self.floor if self.value is not None and self.floor else None
        targets, met = [], []
        if self.max_ratio is not None:
            targets.append(f"≤ {self.max_ratio:g}×")
            met.append(ratio is not None and ratio <= self.max_ratio)
        if self.max_value is not None:
            targets.append(f"≤ {fmt(self.max_value)}")
            met.append(self.value is not None and self.value <= self.max_value)
        if self.passed is not None:
            targets.append(self.must)
            met.append(self.passed)
        verdict = "—" if not met else ("yes" if all(met) else "**no**")
        value = fmt(self.value) + (f" ({self.note})" if self.note else "")
        return [self.measurement, value, fmt(self.floor), f"{ratio:.2f}×" if ratio is not None else "—",
                " and ".join(targets) or "—", verdict]


def markdown(rows: list[Row]) -> str:
    lines = ["| measurement | value | floor | ratio | target | met? |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def median(values: list[float | None]) -> float | None:
    """The median of the measured values (None ones are failures, left out); None when none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None
