"""`python -m bench [--smoke] [intake|dashboard|reports|poller|paging|delivery|memory|backup ...]`

Runs the chosen benchmarks (all by default), prints one table of figures beside their floors
and targets, and writes bench/results/latest.json. Exit status: 1 when a benchmark broke
(an exception or a wrong result); in full mode 2 when it ran but missed a target; else 0.
Smoke mode (small numbers, for CI) never fails on timings: shared CI machines are noisy.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.context import Context
from bench.dataset import DatasetCache
from bench.report import BenchmarkBroken, BenchResult, machine, table, write_json

BENCHMARKS = (
    "intake",
    "dashboard",
    "reports",
    "poller",
    "paging",
    "delivery",
    "memory",
    "backup",
)
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
# The benchmarks that build their data sets on a PostgreSQL server too (bench/databases.py).
ON_POSTGRESQL = ("dashboard", "reports")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[2])
    parser.add_argument("names", nargs="*", metavar="BENCHMARK", help=", ".join(BENCHMARKS))
    parser.add_argument("--smoke", action="store_true", help="small numbers, seconds not minutes")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL server (postgresql+psycopg://...) to run the page benchmarks on; "
        f"{', '.join(ON_POSTGRESQL)} run there, the others are skipped",
    )
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    args.names = [n for n in BENCHMARKS if n in args.names] or list(BENCHMARKS)
    if args.database:
        if not args.database.startswith("postgresql"):
            parser.error("--database: a postgresql+psycopg:// URL (SQLite is the default)")
        skipped = [n for n in args.names if n not in ON_POSTGRESQL]
        if skipped:
            print(f"on PostgreSQL: skipping {', '.join(skipped)} (SQLite only so far)")
        args.names = [n for n in args.names if n in ON_POSTGRESQL]
        if not args.names:
            parser.error("--database: none of these benchmarks runs on PostgreSQL yet")
    return args


def run_one(name: str, ctx: Context) -> BenchResult:
    module = importlib.import_module(f"bench.{name}")
    started = time.perf_counter()
    try:
        result: BenchResult = module.run(ctx)
    except BenchmarkBroken as broken:
        result = BenchResult(name, error=str(broken))
    except Exception:  # noqa: BLE001 - a crash is a broken benchmark, reported with the rest
        result = BenchResult(name, error=traceback.format_exc())
    result.seconds = time.perf_counter() - started
    if ctx.database:
        # Side by side with the SQLite figures on the results page.
        result.name = f"{name}/pg"
        for metric in result.metrics:
            metric.benchmark = result.name
    return result


def postgresql_version(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SHOW server_version").scalar() or "?"
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    info = machine()
    mode = "smoke" if args.smoke else "full"
    print(
        f"bench ({mode}): {', '.join(args.names)} on {info['nproc']} x {info['cpu']}, "
        f"Python {info['python']}, SQLite {info['sqlite']}",
        flush=True,
    )
    if args.database:
        print(f"on PostgreSQL {postgresql_version(args.database)}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    ctx = Context(args.smoke, workdir, DatasetCache(workdir / "datasets"), args.database)
    results = []
    started = time.perf_counter()
    try:
        for name in args.names:
            print(f"\n== {name}", flush=True)
            result = run_one(name, ctx)
            results.append(result)
            if result.error:
                print(f"BROKEN: {result.error}", flush=True)
            else:
                print(table(result.metrics, smoke=args.smoke), flush=True)
            print(f"({result.seconds:.1f} s)", flush=True)
    finally:
        if args.keep:
            print(f"scratch directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    metrics = [m for r in results for m in r.metrics]
    print(f"\n== summary ({mode}, {time.perf_counter() - started:.0f} s)")
    print(table(metrics, smoke=args.smoke))
    broken = [r.name for r in results if r.error]
    for name in broken:
        print(f"BROKEN: {name}")
    write_json(args.json, results, smoke=args.smoke)
    print(f"results: {args.json}")
    if broken:
        return 1
    if not args.smoke and any(m.verdict == "MISS" for m in metrics):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
