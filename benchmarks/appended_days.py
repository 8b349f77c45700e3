"""Benchmark (not a test): one-day appends built one after another onto a warehouse a full build left.

`make benchmark` times one appended day after each full build. This times several in a row, as a
shop's daily runs are, on the warehouse of an earlier build (a copy of one `make benchmark` left in
its scratch folder, or a full build this script makes first with --full), with the benchmark's own
functions: each day is the previous file's last day a day later under new invoice numbers
(write_append_day), landed as the next part and built without --full-refresh (landed_build, which
times the landing and the build and measures peak memory). One JSON line per build; each build's
run_results.json is kept beside the warehouse as run_results_<build>.json.

    python benchmarks/appended_days.py SOURCE SCRATCH --days 2 [--full] [--first-day 1] [--unchanged]

--unchanged builds once more after the days with nothing new landed: what an appended build costs
whatever the size of the day (parsing, every node's start, the steps that read every customer).

SCRATCH holds dbt/warehouse.duckdb and dbt/landed/part-*.parquet as pipeline_benchmark leaves them.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pipeline_benchmark as bench

MEMORY_BUDGET_GIB = 20


def report(
    scratch: Path, name: str, measured: bench.Measurement, details: dict[str, object], lines: int
) -> None:
    figures = {key: value for key, value in details.items() if isinstance(value, int | float | str)}
    line = {
        "build": name,
        "lines": lines,
        "outcome": measured.outcome,
        "wall": round(measured.wall_seconds, 1),
        "peak_gib": round(measured.peak_bytes / bench.GIB, 2),
        **figures,
    }
    print(json.dumps(line), flush=True)
    run_results = scratch / "dbt" / "target" / "run_results.json"
    if run_results.exists():
        shutil.copy(run_results, scratch / f"run_results_{name}.json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the parquet log the warehouse was built from")
    parser.add_argument("scratch", type=Path, help="the folder holding dbt/warehouse.duckdb and dbt/landed")
    parser.add_argument("--days", type=int, default=2, help="the last day to append")
    parser.add_argument(
        "--first-day", type=int, default=1, help="the first day to append (earlier ones are there)"
    )
    parser.add_argument("--full", action="store_true", help="land SOURCE as part 1 and build it whole first")
    parser.add_argument(
        "--unchanged", action="store_true", help="then build once more with no new lines landed"
    )
    args = parser.parse_args(argv)
    budget = int(MEMORY_BUDGET_GIB * bench.GIB)
    landed = bench.landed_part(args.scratch, 1).parent
    bench.warm_dbt(args.scratch)
    if args.full:
        dataset = bench.Dataset("appended days", args.source, bench.parquet_rows(args.source))
        run = bench.run_dbt(dataset, args.scratch, budget, None, keep_warehouse=True)
        report(args.scratch, "full", run.measurement, run.details, dataset.rows)
    previous = args.source
    if args.first_day > 1:
        previous = bench.append_day_path(args.scratch).with_name(f"day-{args.first_day - 1}.parquet")
    for day in range(args.first_day, args.days + 1):
        parts = sorted(landed.glob("part-*.parquet"))
        raw = bench.append_day_path(args.scratch).with_name(f"day-{day}.parquet")
        lines = bench.write_append_day(previous, raw)
        first_row_number = sum(bench.parquet_rows(part) for part in parts) + 1
        out = bench.landed_part(args.scratch, len(parts) + 1)
        landing = [
            str(bench.BIN / "python"),
            bench.__file__,
            "--land-part",
            str(raw),
            str(out),
            str(first_row_number),
        ]
        measured, details = bench.landed_build(landing, args.scratch, f"day-{day}", budget, None)
        report(args.scratch, f"day-{day}", measured, details, lines)
        previous = raw
    if args.unchanged:
        measured, details = bench.landed_build(["true"], args.scratch, "unchanged", budget, None)
        report(args.scratch, "unchanged", measured, details, 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
