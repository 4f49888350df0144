"""Benchmark 7, backups of a busy database: `flask --app app backup` (desk/backup.py) of a
SQLite database of 1 GB while 20 writes a second go into it, beside the same backup of the
same database at rest, in the same run.

Target: the busy backup within 2x of the one at rest, and both copies pass integrity_check
(backup_sqlite checks it and fails otherwise). Before the fix, a stepped backup started over
at every write and had not finished after 120 s on a 280 MB database taking 16 writes a second.
The database has the product's connection settings: WAL, a busy timeout.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from bench.context import Context
from bench.report import BenchResult, Metric, require
from desk.backup import backup_sqlite
from desk.database import SQLITE_BUSY_TIMEOUT_MS

NAME = "backup"
WRITES_PER_SECOND = 20
ROW = 4000  # bytes of each filler row: about one page


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    connection.execute("PRAGMA journal_mode = WAL")
    return connection


def build(path: Path, megabytes: int) -> float:
    """A WAL database of about `megabytes`; answers the seconds it took."""
    started = time.perf_counter()
    with connect(path) as db:
        db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)")
        rows = megabytes * 1024 * 1024 // ROW
        for start in range(0, rows, 10_000):
            batch = min(10_000, rows - start)
            db.executemany("INSERT INTO filler (data) VALUES (randomblob(?))", [(ROW,)] * batch)
            db.commit()
    return time.perf_counter() - started


def timed_backup(source: Path, target: Path) -> float:
    started = time.perf_counter()
    backup_sqlite(source, target)
    seconds = time.perf_counter() - started
    target.unlink()
    return seconds


def busy_backup(source: Path, target: Path) -> tuple[float, int]:
    """The backup while a writer commits WRITES_PER_SECOND rows a second; answers its seconds
    and the writes committed while it ran."""
    stop, writes = threading.Event(), [0]

    def write() -> None:
        with connect(source) as db:
            while not stop.wait(1 / WRITES_PER_SECOND):
                db.execute("INSERT INTO filler (data) VALUES (randomblob(100))")
                db.commit()
                writes[0] += 1

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(0.5)  # the writes are going on before the backup starts
    before = writes[0]
    try:
        seconds = timed_backup(source, target)
    finally:
        stop.set()
        writer.join(10)
    return seconds, writes[0] - before


def run(ctx: Context) -> BenchResult:
    result = BenchResult(NAME)
    megabytes = ctx.pick(1024, 16)
    workdir = ctx.directory("backup")
    source = workdir / "source.db"
    built = build(source, megabytes)
    at_rest = timed_backup(source, workdir / "at-rest.db")
    busy, writes = busy_backup(source, workdir / "busy.db")
    require(writes > 0 or busy < 1 / WRITES_PER_SECOND, "no write went in during the backup")
    result.metrics = [
        Metric(
            NAME,
            f"backup of {megabytes:,} MB under {WRITES_PER_SECOND} writes/s",
            busy,
            "s",
            floor=at_rest,
            ratio_limit=2,
            note=f"floor: the same backup at rest; {writes} writes during it",
        ),
        Metric(NAME, f"building the {megabytes:,} MB database", built, "s"),
    ]
    result.details = {"megabytes": megabytes, "writes_during": writes, "at_rest_s": at_rest}
    return result
