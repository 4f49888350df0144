"""What every benchmark gets: the mode, a scratch directory and the run's dataset cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench.dataset import DatasetCache

T = TypeVar("T")


@dataclass
class Context:
    smoke: bool
    workdir: Path
    datasets: DatasetCache
    # A PostgreSQL server URL (`--database`) for the benchmarks that can run there; None: SQLite.
    database: str | None = None

    def pick(self, full: T, smoke: T) -> T:
        """The full-mode figure, or the small one in smoke mode."""
        return smoke if self.smoke else full

    def directory(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path
