"""Figures, targets and verdicts: the table every benchmark prints and the JSON it leaves.

A `Metric` is one figure with what it is compared with: an absolute limit, a floor measured in
the same run (and a limit on the ratio to it), or both. Its verdict is PASS when every target
it carries is met, MISS otherwise, and "info" when it carries none (figures shown for context).
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class BenchmarkBroken(Exception):
    """The benchmark could not measure what it should (wrong answer, lost page, crash)."""


def require(condition: bool, message: str) -> None:
    """Stop the benchmark with `message` when a result is wrong; timings never get here."""
    if not condition:
        raise BenchmarkBroken(message)


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile with linear interpolation between ranks (numpy's default)."""
    require(len(values) > 0, "no samples to take a percentile of")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Metric:
    """One measured figure, its floor, and the targets the issue sets for it."""

    benchmark: str
    name: str
    value: float
    unit: str
    floor: float | None = None
    limit: float | None = None  # absolute target on `value`
    ratio_limit: float | None = None  # target on value / floor
    higher_is_better: bool = False
    note: str = ""

    @classmethod
    def at_percentile(
        cls,
        benchmark: str,
        name: str,
        pct: float,
        samples: Sequence[float],
        floor: Sequence[float],
        unit: str = "ms",
        **targets: Any,
    ) -> Metric:
        """The `pct`-th percentile of `samples` beside the same percentile of the `floor`
        run's samples, so that a figure is never compared with another percentile's floor."""
        return cls(
            benchmark, name, percentile(samples, pct), unit, floor=percentile(floor, pct), **targets
        )

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0:
            return None
        return self.value / self.floor

    def checks(self) -> list[bool]:
        met = []
        if self.limit is not None:
            met.append(
                self.value >= self.limit if self.higher_is_better else self.value < self.limit
            )
        if self.ratio_limit is not None:
            ratio = self.ratio
            ok = ratio is not None and (
                ratio >= self.ratio_limit if self.higher_is_better else ratio <= self.ratio_limit
            )
            met.append(ok)
        return met

    @property
    def verdict(self) -> str:
        checks = self.checks()
        if not checks:
            return "info"
        return "PASS" if all(checks) else "MISS"

    def target_text(self) -> str:
        parts = []
        if self.limit is not None:
            parts.append(f"{'>=' if self.higher_is_better else '<'} {fmt(self.limit)} {self.unit}")
        if self.ratio_limit is not None:
            parts.append(f"{'>=' if self.higher_is_better else '<='} {self.ratio_limit:g}x floor")
        return ", ".join(parts) or "-"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "ratio": self.ratio,
            "verdict": self.verdict,
            "target": self.target_text(),
        }


@dataclass
class BenchResult:
    """What one benchmark hands back: its metrics and any details worth keeping."""

    name: str
    metrics: list[Metric] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None


def fmt(value: float | None) -> str:
    """Three significant figures, without scientific notation for everyday magnitudes."""
    if value is None:
        return "-"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def table(metrics: Sequence[Metric], *, smoke: bool = False) -> str:
    """The compact table: metric, value, floor, ratio, target, verdict."""
    header = ("benchmark", "metric", "value", "floor", "ratio", "target", "verdict")
    rows = [header]
    for m in metrics:
        verdict = m.verdict if not smoke or m.verdict == "info" else f"{m.verdict.lower()} (smoke)"
        rows.append(
            (
                m.benchmark,
                m.name,
                f"{fmt(m.value)} {m.unit}",
                f"{fmt(m.floor)} {m.unit}" if m.floor is not None else "-",
                f"{m.ratio:.2f}x" if m.ratio is not None else "-",
                m.target_text(),
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def machine() -> dict[str, Any]:
    """Where the figures were taken: they only mean something next to this."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        nproc = len(os.sched_getaffinity(0))
    try:
        import sqlite3

        sqlite_version = sqlite3.sqlite_version
    except ImportError:  # pragma: no cover - CPython always has it
        sqlite_version = "?"
    return {
        "nproc": nproc,
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite_version,
        "platform": platform.platform(),
        "memory_mb": _total_memory_mb(),
    }


def _total_memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def write_json(path: Path, results: Sequence[BenchResult], *, smoke: bool) -> None:
    """bench/results/latest.json: everything the table shows, plus each benchmark's details."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "smoke" if smoke else "full",
        "machine": machine(),
        "benchmarks": [
            {
                "name": r.name,
                "seconds": round(r.seconds, 1),
                "error": r.error,
                "metrics": [m.to_dict() for m in r.metrics],
                "details": r.details,
            }
            for r in results
        ],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
