"""Benchmark (not a test): the whole `dbt build` against a pandas pipeline and a single DuckDB query,
and an incremental `dbt build` after one more day of lines.

For synthetic transaction logs of several sizes (written once as parquet by the project's generator,
then reused) and the real Online Retail II file, runs in turn, RUNS times each:

  (a) `dbt build` of the project, in a fresh warehouse file, on the file landed as part 1 of a
      folder of landed parts;
  (b) benchmarks/pandas_reference.py, the pipeline in pandas, calling the same library functions
      as the build's Python models (KMeans with bootstrap stability, the new-customer models'
      cross-validation);
  (c) benchmarks/floor_query.sql, one DuckDB statement from raw file to customer features (the floor
      for the SQL layer);

then, once, on the warehouse the last (a) left:

  (d) the incremental run: the dataset's last invoice day copied one day later with new invoice
      numbers, landed as part 2 (its lines numbered on from part 1's), and `dbt build` (no
      --full-refresh) over both parts.

Each run is its own process; its wall time and the peak resident memory of its whole process tree
are measured, and a run that outgrows the memory budget or is killed by the kernel is reported as
out of memory. Writes benchmarks/results/pipeline.md (table, agreement, targets) and pipeline.png.

    python benchmarks/pipeline_benchmark.py --sizes 1M,20M,200M --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from segmentation import dbt_runner

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "benchmarks" / "results"
FLOOR_SQL = PROJECT_DIR / "benchmarks" / "floor_query.sql"
PANDAS_REFERENCE = PROJECT_DIR / "benchmarks" / "pandas_reference.py"
NON_PRODUCT_CODES = PROJECT_DIR / "seeds" / "non_product_stock_codes.csv"
PROFILES = PROJECT_DIR / "profiles.yml"
DEFAULT_DATA_DIR = PROJECT_DIR / "data" / "benchmark"  # data/ is git-ignored
DEFAULT_REAL = PROJECT_DIR.parent / "shared" / "data" / "online_retail_II.parquet"
BIN = Path(sys.executable).parent

# The incremental run is made once per dataset, after the rounds of the others (see benchmark_dataset).
PIPELINES = ("dbt", "incremental", "pandas", "floor")
GIB = 1024**3
POLL_SECONDS = 0.2
# Short runs are noisy, so they are repeated and the median reported; long ones are not.
REPEAT_BELOW_ROWS = 5_000_000
DEFAULT_REPEATS = 3
# Same as the dbt profile's DuckDB (which uses every core of this 2-core machine).
DUCKDB_THREADS = 2
# Text in a run's output that means it died for lack of memory (Python, numpy, DuckDB, C++, libc).
OOM_MARKERS = ("MemoryError", "Out of Memory Error", "std::bad_alloc", "Cannot allocate memory")
MONETARY_TOLERANCE = 1e-4  # 0.01%
RESULT_PREFIX = "RESULT "
SIZE_SUFFIXES = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}

# Online Retail (2011) and Online Retail II (2009-2011) column names, per canonical name.
LAYOUTS = {
    "invoice_no": ("Invoice", "InvoiceNo"),
    "stock_code": ("StockCode",),
    "description": ("Description",),
    "quantity": ("Quantity",),
    "invoiced_at": ("InvoiceDate",),
    "unit_price": ("Price", "UnitPrice"),
    "customer_id": ("Customer ID", "CustomerID"),
    "country": ("Country",),
}


# ---------------------------------------------------------------------------------------------
# Sizes and datasets
# ---------------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """'20M' -> 20_000_000; '1.5M', '500K', '1G' and plain '1000000' work too."""
    text = text.strip().upper().replace("_", "").replace(",", "")
    multiplier = SIZE_SUFFIXES.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in SIZE_SUFFIXES else text
    try:
        value = float(number) * multiplier
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1 or value != int(value):
        raise ValueError(f"size {text!r} is not a whole number of rows >= 1 such as 1M, 20M or 200000")
    return int(value)


def size_label(rows: int) -> str:
    """20_000_000 -> '20M': the name of a size in file names and tables."""
    for suffix, multiplier in sorted(SIZE_SUFFIXES.items(), key=lambda item: -item[1]):
        if rows >= multiplier and rows % multiplier == 0:
            return f"{rows // multiplier}{suffix}"
    return str(rows)


@dataclass(frozen=True)
class Dataset:
    name: str
    path: Path
    rows: int
    requested_rows: int | None = None  # None for the real file


def synthetic_path(data_dir: Path, rows: int, seed: int) -> Path:
    return data_dir / f"synthetic_{size_label(rows).lower()}_seed{seed}.parquet"


def parquet_rows(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def ensure_synthetic(data_dir: Path, rows: int, seed: int) -> Dataset:
    """The synthetic log of ``rows`` rows and ``seed``: reused when present, else generated.

    Written under a temporary name first, so an interrupted generation is never taken for a
    finished file on the next invocation.
    """
    path = synthetic_path(data_dir, rows, seed)
    if path.exists():
        log(f"reusing {path}")
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.parquet")
        log(f"generating {size_label(rows)} rows (seed {seed}) -> {path}")
        generator = [str(BIN / "python"), "-m", "segmentation.synthetic", "--out", str(partial)]
        subprocess.run([*generator, "--rows", str(rows), "--seed", str(seed), "--stream"], check=True)
        partial.rename(path)
    return Dataset(f"synthetic {size_label(rows)}", path, parquet_rows(path), rows)


def real_dataset(path: Path) -> Dataset:
    rows = parquet_rows(path) if path.suffix == ".parquet" else count_rows_duckdb(path)
    return Dataset(f"real ({path.name})", path, rows)


def count_rows_duckdb(path: Path) -> int:
    with duckdb.connect() as con:
        return int(con.execute(f"select count(*) from {file_reader(path)}").fetchone()[0])


# ---------------------------------------------------------------------------------------------
# Measuring one run: wall time and peak memory of a process tree
# ---------------------------------------------------------------------------------------------


def process_children(pid: int) -> list[int]:
    """Direct children of ``pid``, over all its threads (any thread may have forked)."""
    children: list[int] = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/children") as handle:
                children.extend(int(child) for child in handle.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return children


def process_tree(root: int, children_of: Callable[[int], Iterable[int]]) -> list[int]:
    """``root`` and all its descendants, each once."""
    seen, stack = [], [root]
    while stack:
        pid = stack.pop()
        if pid not in seen:
            seen.append(pid)
            stack.extend(children_of(pid))
    return seen


def rss_bytes(pid: int) -> int:
    """VmRSS of one process; 0 once it is gone (or a zombie, which has no VmRSS line)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def tree_rss_bytes(root: int) -> int:
    return sum(rss_bytes(pid) for pid in process_tree(root, process_children))


def memory_total_bytes(meminfo: str) -> int:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise ValueError("no MemTotal line in /proc/meminfo")


def classify_outcome(returncode: int, killed_for: str | None, output_tail: str) -> str:
    """ok, oom, timeout or failed.

    A watchdog kill for memory is oom. SIGKILL that the harness did not send is the kernel's OOM
    killer (nothing else on this machine sends it); a MemoryError or DuckDB's "Out of Memory Error"
    in the output is an allocation that failed before the kernel acted.
    """
    if killed_for is not None:
        return killed_for
    if returncode == 0:
        return "ok"
    if returncode == -signal.SIGKILL or any(marker in output_tail for marker in OOM_MARKERS):
        return "oom"
    return "failed"


def over_limit(
    peak_bytes: int, elapsed: float, budget_bytes: int, timeout_seconds: float | None
) -> str | None:
    """Why the watchdog must kill a run now (oom or timeout), or None."""
    if peak_bytes > budget_bytes:
        return "oom"
    if timeout_seconds is not None and elapsed > timeout_seconds:
        return "timeout"
    return None


@dataclass(frozen=True)
class Measurement:
    outcome: str
    wall_seconds: float
    peak_bytes: int
    output: str  # stdout and stderr, interleaved


@dataclass(frozen=True)
class Run:
    pipeline: str
    measurement: Measurement
    details: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.measurement.outcome == "ok"


def measure(
    command: Sequence[str],
    log_path: Path,
    budget_bytes: int,
    timeout_seconds: float | None,
    env: dict[str, str] | None = None,
) -> Measurement:
    """Run ``command`` as its own process group, polling its tree's RSS; kill it over budget or time.

    Peak memory is the larger of the polled tree RSS (catches children and threads' growth) and the
    kernel's ru_maxrss from wait4 (catches a spike shorter than the poll interval).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        peak, killed_for = 0, None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss_bytes(process.pid))
            if killed_for is None:
                killed_for = over_limit(peak, time.perf_counter() - started, budget_bytes, timeout_seconds)
                if killed_for is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = log_path.read_text(errors="replace")
    peak = max(peak, usage.ru_maxrss * 1024)
    return Measurement(classify_outcome(process.returncode, killed_for, text[-20_000:]), wall, peak, text)


def result_line(output: str) -> dict[str, object]:
    """The ``RESULT {json}`` line a pandas or floor run prints last."""
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise ValueError("the run printed no RESULT line")


# ---------------------------------------------------------------------------------------------
# (a) dbt build: layer times from run_results.json
# ---------------------------------------------------------------------------------------------


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def node_interval(result: dict) -> tuple[float, float] | None:
    """From the start of a node's compile to the end of its execute (compile may run queries too)."""
    timing = [t for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
    if not timing:
        return None
    return min(_timestamp(t["started_at"]) for t in timing), max(
        _timestamp(t["completed_at"]) for t in timing
    )


def union_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """Length of the union of intervals: time when at least one of them was running.

    dbt runs two threads, so summing node times would count overlapping work twice.
    """
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def layer_seconds(run_results: dict, manifest: dict) -> dict[str, float]:
    """Seconds per kind of node, each the interval union of its nodes (see the Columns notes).

    ``sql_seconds``: the SQL layer, what turns the raw file into tables: the on-run-start hook that
    attaches the file, seeds and SQL models. ``python_seconds``: the Python models.
    ``test_seconds``: data and unit tests, which check the tables rather than make them.
    """
    python_ids = {uid for uid, node in manifest["nodes"].items() if node.get("language") == "python"}
    kinds: dict[str, list[tuple[float, float]]] = {
        "sql_seconds": [],
        "python_seconds": [],
        "test_seconds": [],
    }
    for result in run_results["results"]:
        interval = node_interval(result)
        if interval is None:
            continue
        uid = result["unique_id"]
        if uid in python_ids:
            kinds["python_seconds"].append(interval)
        elif uid.startswith(("test.", "unit_test.")):
            kinds["test_seconds"].append(interval)
        else:
            kinds["sql_seconds"].append(interval)
    return {kind: union_seconds(intervals) for kind, intervals in kinds.items()}


def failed_nodes(run_results: dict) -> list[str]:
    """The names of the nodes that errored or failed in a dbt run (test, model or hook names)."""
    return [
        result["unique_id"].split(".")[2] if result["unique_id"].count(".") >= 2 else result["unique_id"]
        for result in run_results["results"]
        if result.get("status") in ("error", "fail", "runtime error")
    ]


def customers_totals(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, float]:
    count, monetary = con.execute(f"select count(*), sum(monetary)::double from {table}").fetchone()
    return int(count), float(monetary or 0.0)


# What the Python models decided, which the pandas reference decides with the same functions.
BUILD_OUTPUT_QUERIES = {
    "chosen_k": "select k from segment_k_diagnostics where is_chosen",
    "predicted_customers": "select count(*) from customer_next_year_predictions",
}


def build_outputs(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The chosen k and the customers predicted, from a built warehouse (a table missing is left out)."""
    found = {}
    for key, sql in BUILD_OUTPUT_QUERIES.items():
        with contextlib.suppress(duckdb.Error):
            row = con.execute(sql).fetchone()
            if row is not None and row[0] is not None:
                found[key] = int(row[0])
    return found


def remove_database(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


def warehouse_path(scratch: Path) -> Path:
    return scratch / "dbt" / "warehouse.duckdb"


def landed_part(scratch: Path, number: int) -> Path:
    """Part ``number`` of the folder of landed parts the build reads (see landed_glob)."""
    return scratch / "dbt" / "landed" / f"part-{number:05d}.parquet"


def landed_glob(scratch: Path) -> Path:
    """What RETAIL_LANDED_PATH names, in full and incremental builds alike: every landed part."""
    return landed_part(scratch, 1).with_name("*.parquet")


def clear_landed(scratch: Path) -> None:
    for part in landed_part(scratch, 1).parent.glob("*.parquet"):
        part.unlink()


def append_day_path(scratch: Path) -> Path:
    """The appended day as a raw file, outside the landed folder (the build reads only landed parts)."""
    return scratch / "dbt" / "append" / "append_day.parquet"


def dbt_invocation(scratch: Path, verb: str) -> dbt_runner.DbtInvocation:
    """dbt on the landed parts with its warehouse, target/ and logs/ in the scratch dir."""
    return dbt_runner.dbt_invocation(
        [verb], landed_glob(scratch), warehouse_path(scratch), state_dir=scratch / "dbt"
    )


def warm_dbt(scratch: Path) -> None:
    """An untimed `dbt parse`, so that every timed build starts from a partial parse, as a user's does.

    Otherwise the first run of an invocation alone pays the full parse and the runs differ.
    """
    # Unchecked: a project that does not parse fails the timed build, which reports it.
    dbt_runner.run(dbt_invocation(scratch, "parse"))


def profile_memory_limit(profile: str, env: dict[str, str]) -> str | None:
    """The DuckDB memory_limit a build runs with: env DBT_DUCKDB_MEMORY_LIMIT, else the profile's
    default for it (``env_var('DBT_DUCKDB_MEMORY_LIMIT', '2GB')``), else None."""
    if env.get("DBT_DUCKDB_MEMORY_LIMIT"):
        return env["DBT_DUCKDB_MEMORY_LIMIT"]
    found = re.search(r"""env_var\(\s*['"]DBT_DUCKDB_MEMORY_LIMIT['"]\s*,\s*['"]([^'"]+)['"]\s*\)""", profile)
    return found.group(1) if found else None


def memory_limit_bytes(text: str | None) -> int | None:
    """DuckDB's memory_limit text in bytes ('2GB' = 2*10^9, '2GiB' = 2*2^30), None if unreadable."""
    found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]I?B|B)?\s*", (text or "").upper())
    if not found:
        return None
    unit = found.group(2) or "B"
    base = 1024 if "I" in unit else 1000
    return int(float(found.group(1)) * base ** "BKMGT".index(unit[0]))


def landed_build(
    landing_command: Sequence[str], scratch: Path, name: str, budget: int, timeout: float | None
) -> tuple[Measurement, dict[str, object]]:
    """A landing step, then `dbt build` of the landed parts into the scratch warehouse, timed together
    as a user runs them; details: the layer times, the customers totals and the build's outputs."""
    dbt_dir = scratch / "dbt"
    target = dbt_dir / "target"
    (target / "run_results.json").unlink(missing_ok=True)
    landing = measure(landing_command, dbt_dir / f"{name}-landing.log", budget, timeout)
    if landing.outcome != "ok":
        return landing, {}
    invocation = dbt_invocation(scratch, "build")
    built = measure(invocation.argv, dbt_dir / f"{name}-output.log", budget, timeout, invocation.env)
    measured = Measurement(
        built.outcome,
        landing.wall_seconds + built.wall_seconds,
        max(landing.peak_bytes, built.peak_bytes),
        landing.output + built.output,
    )
    details: dict[str, object] = {"landing": landing.wall_seconds}
    cap = memory_limit_bytes(profile_memory_limit(PROFILES.read_text(), invocation.env))
    if cap is not None:
        details["duckdb_memory_limit_bytes"] = cap
    if (target / "run_results.json").exists():  # also after failed tests: which ones, for the report
        run_results = json.loads((target / "run_results.json").read_text())
        details["failed_nodes"] = failed_nodes(run_results)
    if measured.outcome == "ok":
        manifest = json.loads((target / "manifest.json").read_text())
        details.update(layer_seconds(run_results, manifest))
        with duckdb.connect(str(warehouse_path(scratch)), read_only=True) as con:
            details["customers"], details["monetary"] = customers_totals(con, "customers")
            details.update(build_outputs(con))
    return measured, details


def run_dbt(
    dataset: Dataset, scratch: Path, budget: int, timeout: float | None, keep_warehouse: bool = False
) -> Run:
    """Landing the dataset as part 1, then `dbt build` into a fresh warehouse file: what a user runs.

    ``keep_warehouse``: leave the warehouse for the incremental run; otherwise it is removed, as a
    200M-row warehouse is tens of GB.
    """
    remove_database(warehouse_path(scratch))
    clear_landed(scratch)
    landing = [str(BIN / "python"), "-m", "segmentation.land", str(dataset.path)]
    measured, details = landed_build(
        [*landing, "--out", str(landed_part(scratch, 1))], scratch, "full", budget, timeout
    )
    if not keep_warehouse:
        remove_database(warehouse_path(scratch))
    return Run("dbt", measured, details)


# ---------------------------------------------------------------------------------------------
# (d) the incremental run after a one-day append
# ---------------------------------------------------------------------------------------------

# An invoice number as the UCI files write it: letters (C = cancellation, A = adjustment), digits.
INVOICE_PATTERN = "^([A-Za-z]*)([0-9]+)$"


def append_day_sql(path: Path, columns: Mapping[str, str]) -> str:
    """The lines of the file's last invoice day, one day later, with new invoice numbers.

    An invoice of letters and digits keeps its letters (a C prefix stays a cancellation) and gets
    its number moved past the largest in the file, by the same offset for every invoice, so lines
    of one invoice stay one invoice and numbers keep their form; any other invoice text gets the
    suffix '-next'. Every other field is copied as it is, so each rule classifies a copy as it did
    the original (a duplicate line stays a duplicate of its own copy). ``columns``: the file's
    column names and DuckDB types; the moved timestamps keep theirs.
    """
    layout = layout_columns(columns)
    invoice, stamp = sql_identifier(layout["invoice_no"]), sql_identifier(layout["invoiced_at"])
    number = f"try_cast(regexp_extract({invoice}, {sql_string(INVOICE_PATTERN)}, 2) as bigint)"
    prefix = f"regexp_extract({invoice}, {sql_string(INVOICE_PATTERN)}, 1)"
    return f"""
with
lines as (select * from {file_reader(path)}),
last_day as (select max(cast({stamp} as date)) as day from lines),
day_lines as (select lines.* from lines, last_day where cast(lines.{stamp} as date) = last_day.day),
shift as (
    select (select max({number}) from lines) + 1 - min({number}) as invoice_offset from day_lines
)
select day_lines.* replace (
    case
        when {number} is not null then {prefix} || cast({number} + shift.invoice_offset as varchar)
        else {invoice} || '-next'
    end as {invoice},
    cast({stamp} + interval 1 day as {columns[layout["invoiced_at"]]}) as {stamp}
)
from day_lines, shift
"""


def write_append_day(source: Path, out: Path) -> int:
    """Writes the one-day append of a parquet ``source`` to ``out`` (parquet, same columns and
    types); returns its line count."""
    if source.suffix != ".parquet":
        raise ValueError(f"{source}: the one-day append is built from a parquet file only")
    out.parent.mkdir(parents=True, exist_ok=True)
    config = {"threads": DUCKDB_THREADS, "memory_limit": "2GB"}
    with duckdb.connect(config=config) as con:
        described = con.execute(f"describe select * from {file_reader(source)}").fetchall()
        sql = append_day_sql(source, {row[0]: row[1] for row in described})
        con.execute(f"copy ({sql}) to {sql_string(str(out))} (format parquet)")
    return parquet_rows(out)


def expected_after_append(full: dict[str, float], appended: dict[str, object]) -> dict[str, float]:
    """The customers mart's totals a full build of both parts gives, from the full build's and the
    appended day's alone (the floor query on the appended file).

    Every purchase line of the appended day copies one of a customer already in the mart, so the
    customers stay the same and the monetary total grows by the day's clean purchase value.
    """
    return {
        "expected_customers": full["customers"],
        "expected_monetary": full["monetary"] + float(appended["monetary"]),
    }


def run_incremental(dataset: Dataset, scratch: Path, budget: int, timeout: float | None, full: Run) -> Run:
    """The one-day append landed as part 2 (lines numbered on from part 1's), then `dbt build`, not
    --full-refresh, on the warehouse the full build ``full`` left; timed together as run_dbt is."""
    raw = append_day_path(scratch)
    appended = write_append_day(dataset.path, raw)
    first_row_number = parquet_rows(landed_part(scratch, 1)) + 1
    landing = [str(BIN / "python"), __file__, "--land-part", str(raw), str(landed_part(scratch, 2))]
    measured, details = landed_build(
        [*landing, str(first_row_number)], scratch, "incremental", budget, timeout
    )
    details["lines_appended"] = appended
    if measured.outcome == "ok" and full.ok:
        details.update(expected_after_append(full.details, floor_query(raw, ":memory:")))
    return Run("incremental", measured, details)


def land_part(source: Path, out: Path, first_row_number: int) -> str:
    """What each incremental run's landing subprocess does (the landing CLI has no first number)."""
    from segmentation.land import describe, land

    return describe(land(source, out, first_row_number=first_row_number))


# ---------------------------------------------------------------------------------------------
# (b) pandas reference and (c) the floor query
# ---------------------------------------------------------------------------------------------


def run_pandas(dataset: Dataset, scratch: Path, budget: int, timeout: float | None) -> Run:
    command = [str(BIN / "python"), str(PANDAS_REFERENCE), str(dataset.path)]
    measured = measure(command, scratch / "pandas" / "output.log", budget, timeout)
    return Run("pandas", measured, result_line(measured.output) if measured.outcome == "ok" else {})


def run_floor(dataset: Dataset, scratch: Path, budget: int, timeout: float | None) -> Run:
    database = scratch / "floor" / "floor.duckdb"
    remove_database(database)
    command = [str(BIN / "python"), __file__, "--floor-only", str(dataset.path), str(database)]
    measured = measure(command, scratch / "floor" / "output.log", budget, timeout)
    remove_database(database)
    return Run("floor", measured, result_line(measured.output) if measured.outcome == "ok" else {})


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def file_reader(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet({sql_string(str(path))})"
    # CSV is read as text, the way the project lands it, and typed in raw_source().
    return f"read_csv({sql_string(str(path))}, header = true, all_varchar = true)"


def layout_columns(columns: Sequence[str]) -> dict[str, str]:
    """Canonical name -> the file's column, for either UCI layout."""
    mapping = {}
    for canonical, candidates in LAYOUTS.items():
        found = [name for name in candidates if name in columns]
        if not found:
            raise ValueError(f"no column {' or '.join(candidates)} among {list(columns)}")
        mapping[canonical] = found[0]
    return mapping


def raw_source(path: Path, layout: dict[str, str]) -> str:
    """A subquery of the raw file with canonical column names and types."""
    typed = {canonical: sql_identifier(name) for canonical, name in layout.items()}
    if path.suffix != ".parquet":
        typed["quantity"] = f"try_cast({typed['quantity']} as bigint)"
        typed["unit_price"] = f"try_cast({typed['unit_price']} as double)"
        date = typed["invoiced_at"]
        typed["invoiced_at"] = (
            f"coalesce(try_cast({date} as timestamp), try_strptime({date}, '%m/%d/%Y %H:%M'))"
        )
    columns = ", ".join(f"{expression} as {canonical}" for canonical, expression in typed.items())
    return f"(select {columns} from {file_reader(path)})"


def non_product_condition(patterns: Sequence[tuple[str, str]]) -> str:
    """SQL condition on stock_code from the seed's (pattern, match_type) rows, case-insensitive."""
    exact = [sql_string(p.upper()) for p, kind in patterns if kind == "exact"]
    prefixes = [sql_string(p.upper()) for p, kind in patterns if kind == "prefix"]
    conditions = [f"upper(stock_code) in ({', '.join(exact)})"] if exact else []
    conditions += [f"starts_with(upper(stock_code), {prefix})" for prefix in prefixes]
    return " or ".join(conditions) or "false"


def seed_patterns(path: Path = NON_PRODUCT_CODES) -> list[tuple[str, str]]:
    with path.open(newline="") as handle:
        return [(row["stock_code_pattern"], row["match_type"]) for row in csv.DictReader(handle)]


def floor_sql(path: Path, columns: Sequence[str], patterns: Sequence[tuple[str, str]]) -> str:
    return (
        FLOOR_SQL.read_text()
        .replace("{raw}", raw_source(path, layout_columns(columns)))
        .replace("{non_product}", non_product_condition(patterns))
    )


def floor_query(path: Path, database: Path | str) -> dict[str, object]:
    """Run the floor statement into ``database``; returns customers, monetary and its own seconds."""
    with duckdb.connect(str(database), config={"threads": DUCKDB_THREADS}) as con:
        columns = [row[0] for row in con.execute(f"describe select * from {file_reader(path)}").fetchall()]
        sql = floor_sql(path, columns, seed_patterns())
        started = time.perf_counter()
        con.execute(sql)
        seconds = time.perf_counter() - started
        customers, monetary = customers_totals(con, "customer_features")
    return {"customers": customers, "monetary": monetary, "query_seconds": round(seconds, 3)}


# ---------------------------------------------------------------------------------------------
# Runs, summaries, agreement and targets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Medians over a pipeline's runs on one dataset, or the first run that did not finish."""

    outcome: str
    wall_seconds: float
    peak_bytes: int
    details: dict[str, float] = field(default_factory=dict)
    runs: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def failure(self) -> str:
        """'out of memory at 21.3 GiB after 412 s', as the brief asks it to be shown."""
        what = {"oom": "out of memory", "timeout": "timed out", "failed": "failed"}[self.outcome]
        return f"{what} at {self.peak_bytes / GIB:.1f} GiB after {self.wall_seconds:.0f} s"


def summarize(runs: Sequence[Run]) -> Summary:
    """Median wall time, peak memory and numeric details; a failed run wins over medians."""
    for run in runs:
        if not run.ok:
            m = run.measurement
            return Summary(m.outcome, m.wall_seconds, m.peak_bytes, runs=len(runs))
    numeric = {key for run in runs for key, value in run.details.items() if isinstance(value, int | float)}
    details = {key: statistics.median(float(run.details[key]) for run in runs) for key in sorted(numeric)}
    return Summary(
        "ok",
        statistics.median(run.measurement.wall_seconds for run in runs),
        int(statistics.median(run.measurement.peak_bytes for run in runs)),
        details,
        len(runs),
    )


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


# What the Python models decided, compared where both sides report it (not the floor query).
DECISIONS = (("chosen_k", "chosen k"), ("predicted_customers", "customers predicted"))


def agreement(reference: Summary, other: Summary) -> str:
    """Customers equal and total monetary within 0.01% of the reference (the dbt customers mart),
    and the same decisions where both report them."""
    if not (reference.ok and other.ok):
        return "not compared (a run did not finish)"
    customers = (int(reference.details["customers"]), int(other.details["customers"]))
    monetary = (reference.details["monetary"], other.details["monetary"])
    relative = abs(monetary[1] - monetary[0]) / max(abs(monetary[0]), 1e-9)
    agrees = customers[0] == customers[1] and relative <= MONETARY_TOLERANCE
    text = f"customers {customers[1]:,} vs {customers[0]:,}, monetary off by {relative:.5%}"
    for key, label in DECISIONS:
        if key in reference.details and key in other.details:
            pair = (int(reference.details[key]), int(other.details[key]))
            agrees = agrees and pair[0] == pair[1]
            text += f", {label} {pair[1]:,} vs {pair[0]:,}"
    return f"{'agree' if agrees else 'DISAGREE'}: {text}"


def incremental_agreement(incremental: Summary) -> str:
    """The mart after the incremental run against the totals a full build of both parts gives."""
    if not incremental.ok or "expected_customers" not in incremental.details:
        return "not compared (a run did not finish)"
    expected = {
        "customers": incremental.details["expected_customers"],
        "monetary": incremental.details["expected_monetary"],
    }
    return agreement(Summary("ok", 0.0, 0, expected), incremental)


@dataclass(frozen=True)
class DatasetResult:
    dataset: Dataset
    summaries: dict[str, Summary]
    runs: dict[str, list[Run]]


def seconds_cell(summary: Summary | None, value: float | None) -> object:
    if summary is None:
        return "skipped"
    if not summary.ok:
        return summary.failure()
    return round(value, 1) if value is not None else "-"


def gib_cell(summary: Summary | None) -> object:
    if summary is None:
        return "skipped"
    # An unfinished run's whole story is in its wall-time cell; this one just names the outcome.
    return round(summary.peak_bytes / GIB, 2) if summary.ok else summary.outcome


def ratio_cell(value: float | None) -> object:
    return round(value, 2) if value is not None else "-"


def finished_value(summary: Summary | None, value: Callable[[Summary], float | None]) -> float | None:
    """A number of a finished pipeline, None for a skipped or unfinished one (no ratio then)."""
    return value(summary) if summary is not None and summary.ok else None


def table_row(result: DatasetResult) -> list[object]:
    dbt, incremental, pandas, floor = (result.summaries.get(name) for name in PIPELINES)
    counted = [
        s.details["customers"] for s in (dbt, pandas, floor) if s and s.ok and "customers" in s.details
    ]
    sql_seconds = finished_value(dbt, lambda s: s.details.get("sql_seconds"))
    floor_seconds = finished_value(floor, lambda s: s.details.get("query_seconds"))
    appended = finished_value(incremental, lambda s: s.details.get("lines_appended"))
    return [
        result.dataset.name,
        result.dataset.rows,
        int(counted[0]) if counted else "-",
        max((s.runs for s in result.summaries.values()), default=0),
        seconds_cell(dbt, dbt.wall_seconds if dbt else None),
        seconds_cell(dbt, sql_seconds),
        seconds_cell(dbt, finished_value(dbt, lambda s: s.details.get("python_seconds"))),
        seconds_cell(dbt, finished_value(dbt, lambda s: s.details.get("test_seconds"))),
        gib_cell(dbt),
        seconds_cell(incremental, incremental.wall_seconds if incremental else None),
        gib_cell(incremental),
        int(appended) if appended is not None else "-",
        ratio_cell(ratio(finished_value(incremental, wall), finished_value(dbt, wall))),
        seconds_cell(pandas, pandas.wall_seconds if pandas else None),
        gib_cell(pandas),
        seconds_cell(floor, floor.wall_seconds if floor else None),
        seconds_cell(floor, floor_seconds),
        gib_cell(floor),
        ratio_cell(ratio(finished_value(dbt, wall), finished_value(pandas, wall))),
        ratio_cell(ratio(finished_value(dbt, peak), finished_value(pandas, peak))),
        ratio_cell(ratio(sql_seconds, floor_seconds)),
    ]


def wall(summary: Summary) -> float:
    return summary.wall_seconds


def peak(summary: Summary) -> float:
    return summary.peak_bytes


TABLE_HEADERS = [
    "dataset",
    "rows",
    "customers",
    "runs",
    "dbt build wall s",
    "SQL layer s",
    "Python models s",
    "tests s",
    "dbt peak GiB",
    "incremental wall s",
    "incremental peak GiB",
    "lines appended",
    "incremental/full",
    "pandas wall s",
    "pandas peak GiB",
    "floor wall s",
    "floor query s",
    "floor peak GiB",
    "project/pandas time",
    "project/pandas memory",
    "SQL layer/floor",
]


def find(results: Sequence[DatasetResult], requested_rows: int | None) -> DatasetResult | None:
    """The result for a synthetic size, or for the real file when ``requested_rows`` is None."""
    return next((r for r in results if r.dataset.requested_rows == requested_rows), None)


def summaries_of(
    results: Sequence[DatasetResult], requested_rows: int | None, names: Sequence[str]
) -> list[Summary] | None:
    """The named pipelines' summaries of one dataset, or None when any of them was not run."""
    result = find(results, requested_rows)
    if result is None or any(name not in result.summaries for name in names):
        return None
    return [result.summaries[name] for name in names]


def ratio_verdict(value: float, limit: float, exact: bool) -> str:
    """met / MISSED for a ratio that must stay <= ``limit``. Not ``exact``: ``value`` is only an upper
    bound (the reference did not finish, so it would have taken longer), which can meet the limit
    but never miss it."""
    if value <= limit:
        return "met" if exact else "met (at most)"
    return "MISSED" if exact else "not determined"


def target_incremental_share(results: Sequence[DatasetResult], rows: int, limit: float = 0.10) -> str:
    """The incremental run after a one-day append within ``limit`` of the full build's time."""
    found = summaries_of(results, rows, ("dbt", "incremental"))
    if found is None:
        return "not measured"
    full, incremental = found
    if not full.ok:
        return f"MISSED: full build {full.failure()}"
    if not incremental.ok:
        return f"MISSED: incremental run {incremental.failure()}"
    share = incremental.wall_seconds / full.wall_seconds
    return (
        f"{ratio_verdict(share, limit, True)}: {incremental.wall_seconds:.1f} s after "
        f"{int(incremental.details.get('lines_appended', 0)):,} lines appended vs full build "
        f"{full.wall_seconds:.1f} s ({share:.1%}; limit {limit:.0%})"
    )


def target_time_vs_pandas(results: Sequence[DatasetResult], rows: int | None, limit: float) -> str:
    """The full build's wall time within ``limit`` x the pandas reference's."""
    found = summaries_of(results, rows, ("dbt", "pandas"))
    if found is None:
        return "not measured"
    dbt, pandas = found
    if not dbt.ok:
        return f"MISSED: dbt build {dbt.failure()}"
    times = dbt.wall_seconds / pandas.wall_seconds
    text = f"{times:.2f}x (dbt build {dbt.wall_seconds:.1f} s vs pandas {pandas.wall_seconds:.1f} s"
    text += ")" if pandas.ok else f", pandas {pandas.failure()})"
    return f"{ratio_verdict(times, limit, pandas.ok)}: {text}; limit {limit:.1f}x"


def target_memory_vs_pandas(results: Sequence[DatasetResult], rows: int, limit: float) -> str:
    """The full build's peak memory within ``limit`` x the pandas reference's."""
    found = summaries_of(results, rows, ("dbt", "pandas"))
    if found is None:
        return "not measured"
    dbt, pandas = found
    if not dbt.ok:
        return f"MISSED: dbt build {dbt.failure()}"
    share = dbt.peak_bytes / pandas.peak_bytes
    text = f"{share:.2f}x ({dbt.peak_bytes / GIB:.2f} GiB vs pandas {pandas.peak_bytes / GIB:.2f} GiB"
    text += ")" if pandas.ok else f", pandas {pandas.failure()})"
    return f"{ratio_verdict(share, limit, pandas.ok)}: {text}; limit {limit:.1f}x"


def target_200m_completes(
    results: Sequence[DatasetResult], limit_seconds: float = 12 * 60, cap_bytes: int = 2 * 10**9
) -> str:
    """The full build finishes within ``limit_seconds`` with DuckDB's memory_limit at most ``cap_bytes``."""
    found = summaries_of(results, 200_000_000, ("dbt",))
    if found is None:
        return "not measured"
    (dbt,) = found
    if not dbt.ok:
        return f"MISSED: dbt build {dbt.failure()}"
    cap = dbt.details.get("duckdb_memory_limit_bytes")
    text = f"{dbt.wall_seconds / 60:.1f} min (limit {limit_seconds / 60:.0f})"
    text += f", peak RSS {dbt.peak_bytes / GIB:.2f} GiB"
    if cap is None:
        return f"not determined: DuckDB memory_limit unknown; {text}"
    text += f", DuckDB memory_limit {cap / 10**9:.1f} GB"
    verdict = "met" if dbt.wall_seconds <= limit_seconds and cap <= cap_bytes else "MISSED"
    return f"{verdict}: {text}"


def target_sql_layer_floor(results: Sequence[DatasetResult], limit: float = 3.0) -> str:
    found = summaries_of(results, 20_000_000, ("dbt", "floor"))
    if found is None:
        return "not measured"
    dbt, floor = found
    if not (dbt.ok and floor.ok):
        return "not determined: " + "; ".join(
            f"{n} {s.failure()}" for n, s in (("dbt", dbt), ("floor", floor)) if not s.ok
        )
    sql, query = dbt.details["sql_seconds"], floor.details["query_seconds"]
    return (
        f"{ratio_verdict(sql / query, limit, True)}: SQL layer {sql:.1f} s vs floor query {query:.1f} s "
        f"({sql / query:.2f}x; limit {limit:.0f}x)"
    )


TARGETS = (
    (
        "20M rows: incremental run after a one-day append <= 10% of the full build's time",
        functools.partial(target_incremental_share, rows=20_000_000),
    ),
    (
        "200M rows: incremental run after a one-day append <= 10% of the full build's time",
        functools.partial(target_incremental_share, rows=200_000_000),
    ),
    (
        "20M rows: full build <= 1.0x the pandas reference's time",
        functools.partial(target_time_vs_pandas, rows=20_000_000, limit=1.0),
    ),
    (
        "Online Retail II: full build <= 2.0x the pandas reference's time",
        functools.partial(target_time_vs_pandas, rows=None, limit=2.0),
    ),
    ("200M rows: full build in <= 12 minutes within the 2 GB DuckDB memory cap", target_200m_completes),
    ("20M rows: SQL layer <= 3x the single-query floor", target_sql_layer_floor),
    (
        "20M rows: full build's peak memory <= 0.2x the pandas reference's",
        functools.partial(target_memory_vs_pandas, rows=20_000_000, limit=0.2),
    ),
)


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

DEFINITIONS = """\
- **dbt build wall s**: landing the dataset (`python -m segmentation.land`, as part 1 of a folder of
  landed parts) plus the whole `dbt build` process (startup, parse, on-run-start hook, seeds, every
  model and test), fresh warehouse file each run, after an untimed `dbt parse` so that every run
  starts from a partial parse as a user's repeated builds do. RETAIL_LANDED_PATH is the folder's
  `*.parquet` in every build.
- **SQL layer s**: from target/run_results.json, the union of the time intervals (start of compile to
  end of execute) of the nodes that make tables from the raw file: the hook that attaches it, seeds
  and SQL models. A union, so the two dbt threads are not counted twice. This is what the floor
  query is the floor of (it makes the customer features in one statement, untested).
- **Python models s**: the same union over the Python models (product categories, KMeans chain with
  bootstrap stability, prediction models with their cross-validation).
- **tests s**: the same union over the data and unit tests, which check the tables. Wall minus the
  union of the three is dbt's own time (start, parse, writing artifacts); they can overlap, as a
  test may run beside a model on the other thread.
- **incremental wall s**: once per dataset, after the last full build: the lines of the dataset's
  last invoice day, copied with their timestamps one day later and new invoice numbers (letters
  kept, so a C invoice stays a cancellation; the number moved past the file's largest), written as
  a parquet file of the same columns and landed as part 2 with its lines numbered on from part 1's
  (`land(..., first_row_number=N + 1)`); then `dbt build` without --full-refresh on the warehouse
  the last full build left. Wall = that landing plus the build, as for the full build (making the
  appended file is not timed). **lines appended**: the lines of part 2. **incremental/full**:
  incremental wall / dbt build wall (median). Until the models are incremental this is a second
  full build over both parts.
- **peak GiB**: the largest resident memory of the run's whole process tree: VmRSS summed over the
  process and its descendants, polled every 0.2 s, or the kernel's ru_maxrss from wait4 if higher.
- **pandas**: benchmarks/pandas_reference.py, the pipeline in pandas doing the work of the build's
  Python models (it replaces the earlier notebook, which stopped at KMeans with silhouette and so
  did less than the build): read the whole file, clean with the project's rules, build in pandas the
  customer features and the first purchases the Python models read, then call the same library
  functions with the same default settings as those models: product categories and spend shares,
  build_k_diagnostics (KMeans k = 3..10, silhouette, bootstrap and run-to-run stability),
  fit_centroids, append_version, assign_segments, evaluate_models (time-ordered cross-validation
  of the new-customer models and baselines) and predict_new_customers. Wall = the process.
- **floor wall s**: the process running benchmarks/floor_query.sql (Python and DuckDB startup
  included); **floor query s**: that one statement alone, raw file to customer features in a DuckDB
  file, with the same cleaning rules, 2 threads. SQL layer/floor uses the query time.
- **project/pandas**: dbt build wall / pandas wall, and dbt peak / pandas peak (lower is better).
- Cells are medians over the runs; a run that did not finish is shown as such (out of memory: over
  the memory budget or killed by the kernel; timed out; failed) instead of a median. A target whose
  pandas run did not finish compares against the time or memory it had reached: a bound, which can
  meet a target (met (at most)) but not miss it (not determined).
"""

AGREEMENT_NOTES = """\
- pandas and floor vs the dbt customers mart of the full builds: customers equal and total
  monetary within 0.01%; pandas also the k the build chose (segment_k_diagnostics) and the customers
  it predicted for (customer_next_year_predictions), which the same functions decide on both sides.
- incremental run vs a full build of both parts: the customers mart after the incremental run
  against the totals a full build of both parts must give, from the last full build's mart and the
  floor query on the appended file alone: the same customers (every purchase line of the appended
  day copies a line of a customer already in the mart) and the monetary total plus the appended
  day's clean purchase value.
"""


def target_lines(results: Sequence[DatasetResult]) -> list[str]:
    return [f"- {name}: **{check(results)}**" for name, check in TARGETS]


def agreement_lines(results: Sequence[DatasetResult]) -> list[str]:
    lines = []
    for r in results:
        if "dbt" not in r.summaries:
            continue
        lines += [
            f"- {r.dataset.name}, {other} vs the dbt customers mart: "
            + agreement(r.summaries["dbt"], r.summaries[other])
            for other in ("pandas", "floor")
            if other in r.summaries
        ]
        if "incremental" in r.summaries:
            lines.append(
                f"- {r.dataset.name}, incremental run vs a full build of both parts: "
                + incremental_agreement(r.summaries["incremental"])
            )
    return lines


ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its output


def unfinished_lines(results: Sequence[DatasetResult]) -> list[str]:
    """One line per run that did not finish: how, and the dbt nodes that failed or the output's end."""
    lines = []
    for r in results:
        for name, runs in r.runs.items():
            for number, run in enumerate(runs, start=1):
                if run.ok:
                    continue
                m = run.measurement
                failure = Summary(m.outcome, m.wall_seconds, m.peak_bytes).failure()
                nodes = run.details.get("failed_nodes")
                tail = ANSI_ESCAPES.sub("", m.output).strip().splitlines()[-1:] or [""]
                why = f"failed dbt nodes: {', '.join(nodes)}" if nodes else f"last output line: {tail[0]}"
                lines.append(f"- {r.dataset.name}, {name} run {number}: {failure}; {why}")
    return lines


def report_markdown(
    results: Sequence[DatasetResult], table: str, budget: int, notes: Sequence[str], runs_text: str
) -> str:
    return "\n".join(
        [
            "# Pipeline benchmark: dbt build (full and incremental) vs pandas vs one DuckDB query",
            "",
            "`make benchmark` (`python benchmarks/pipeline_benchmark.py`); chart: pipeline.png.",
            "",
            "```",
            table,
            "```",
            "",
            "## Targets",
            "",
            *target_lines(results),
            "",
            "## Agreement",
            "",
            AGREEMENT_NOTES,
            *(agreement_lines(results) or ["- nothing to compare"]),
            "",
            "## Runs that did not finish",
            "",
            *(unfinished_lines(results) or ["- none"]),
            "",
            "## Columns",
            "",
            DEFINITIONS,
            "## Runs",
            "",
            "```",
            runs_text,
            "```",
            "",
            "## Machine and settings",
            "",
            *(f"- {note}" for note in notes),
            f"- memory budget per run: {budget / GIB:.1f} GiB",
            "",
        ]
    )


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    # Imported here: segmentation.pipeline pulls in the report (matplotlib), which would slow the
    # start of every floor-run subprocess, and the floor's wall time includes its start.
    from segmentation.pipeline import format_table

    return format_table(headers, rows)


def runs_table(results: Sequence[DatasetResult]) -> str:
    rows = [
        [
            r.dataset.name,
            name,
            i + 1,
            run.measurement.outcome,
            round(run.measurement.wall_seconds, 1),
            round(run.measurement.peak_bytes / GIB, 2),
        ]
        for r in results
        for name, runs in r.runs.items()
        for i, run in enumerate(runs)
    ]
    return text_table(["dataset", "pipeline", "run", "outcome", "wall s", "peak GiB"], rows)


CHART_LABELS = {
    "dbt": "dbt build",
    "incremental": "dbt build after a one-day append",
    "pandas": "pandas reference",
    "floor": "floor query",
}


def bar_label(value: float) -> str:
    """A bar's figure: three significant digits, whole numbers with separators from 1,000 on
    (matplotlib's '1.64e+03' for a 200M build's seconds read badly)."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def write_chart(results: Sequence[DatasetResult], path: Path) -> None:
    """Wall time and peak memory per dataset for every pipeline; log scale; unfinished runs hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    labels = [f"{r.dataset.name}\n{r.dataset.rows:,} rows" for r in results]
    figure, axes = plt.subplots(1, 2, figsize=(max(8, 3 * len(results)), 4.5))
    width = 0.8 / len(PIPELINES)
    for ax, title, value in (
        (axes[0], "wall time (s)", lambda s: s.wall_seconds),
        (axes[1], "peak memory (GiB)", lambda s: s.peak_bytes / GIB),
    ):
        for p, name in enumerate(PIPELINES):
            labelled = False
            for d, result in enumerate(results):
                summary = result.summaries.get(name)
                if summary is None:
                    continue
                x = d + (p - (len(PIPELINES) - 1) / 2) * width
                bar = ax.bar(
                    x,
                    value(summary),
                    width,
                    color=f"C{p}",
                    label=None if labelled else CHART_LABELS[name],
                    hatch=None if summary.ok else "//",
                    edgecolor="black" if not summary.ok else None,
                )
                labelled = True
                text = bar_label(value(summary)) if summary.ok else summary.outcome.upper()
                ax.annotate(text, (x, bar[0].get_height()), ha="center", va="bottom", fontsize=7)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title(title)
        ax.set_xticks(range(len(results)), labels, fontsize=8)
    # One legend below both charts: inside either it hid the bars.
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="lower center", ncol=max(1, len(names)), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

RUNNERS = {"pandas": run_pandas, "floor": run_floor}
STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def repeats(dataset: Dataset, runs: int | None) -> int:
    if runs is not None:
        return runs
    return DEFAULT_REPEATS if dataset.rows < REPEAT_BELOW_ROWS else 1


def describe_run(run: Run) -> str:
    m = run.measurement
    if not run.ok:
        summary = Summary(m.outcome, m.wall_seconds, m.peak_bytes)
        tail = m.output.strip().splitlines()[-3:]
        return f"{summary.failure()} | " + " / ".join(tail)
    return f"{m.wall_seconds:.1f} s, peak {m.peak_bytes / GIB:.2f} GiB"


def selected_pipelines(skip: str) -> list[str]:
    """PIPELINES without those ``skip`` names (comma-separated); the incremental run needs the full
    build's warehouse, so it goes with dbt."""
    skipped = set(filter(None, skip.split(",")))
    if "dbt" in skipped:
        skipped.add("incremental")
    return [name for name in PIPELINES if name not in skipped]


def run_and_log(dataset: Dataset, label: str, start: Callable[[], Run]) -> Run:
    log(f"{dataset.name} ({dataset.rows:,} rows): {label} ...")
    run = start()
    log(f"{dataset.name}: {label}: {describe_run(run)}")
    return run


def benchmark_dataset(
    dataset: Dataset, pipelines: Sequence[str], runs: int, scratch: Path, budget: int, timeout: float | None
) -> DatasetResult:
    """Alternate the pipelines within each round, so all see the same machine conditions; then the
    incremental run, once, on the warehouse the last round's full build kept."""
    incremental = {"dbt", "incremental"} <= set(pipelines) and dataset.path.suffix == ".parquet"
    if "incremental" in pipelines and not incremental:
        log(f"{dataset.name}: incremental run skipped (the one-day append is built from parquet only)")
    collected: dict[str, list[Run]] = {name: [] for name in pipelines if name != "incremental"}
    if "dbt" in pipelines:
        warm_dbt(scratch)
    for round_number in range(1, runs + 1):
        for name in collected:
            # The last round's full build keeps its warehouse for the incremental run.
            keep = incremental and round_number == runs
            runner = functools.partial(run_dbt, keep_warehouse=keep) if name == "dbt" else RUNNERS[name]
            start = functools.partial(runner, dataset, scratch, budget, timeout)
            collected[name].append(run_and_log(dataset, f"run {round_number}/{runs} {name}", start))
    full = collected["dbt"][-1] if incremental else None
    if full is not None and full.ok:
        start = functools.partial(run_incremental, dataset, scratch, budget, timeout, full)
        collected["incremental"] = [run_and_log(dataset, "incremental run after a one-day append", start)]
    elif full is not None:
        log(f"{dataset.name}: incremental run skipped (the last full build did not finish)")
    remove_database(warehouse_path(scratch))
    append_day_path(scratch).unlink(missing_ok=True)
    return DatasetResult(dataset, {name: summarize(r) for name, r in collected.items()}, collected)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,20M,200M", help="synthetic sizes in rows, e.g. 1M,20M,200M")
    parser.add_argument("--seed", type=int, default=42, help="generator seed of the synthetic logs")
    parser.add_argument(
        "--runs",
        type=int,
        help=f"runs per pipeline and size (default {DEFAULT_REPEATS} below 5M rows, else 1)",
    )
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="the real Online Retail II file")
    parser.add_argument("--no-real", action="store_true", help="skip the real file")
    parser.add_argument(
        "--skip", default="", help=f"comma-separated pipelines to leave out: {','.join(PIPELINES)}"
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="synthetic files and scratch")
    parser.add_argument(
        "--memory-budget-gib", type=float, help="kill a run above this RSS (default 85%% of RAM)"
    )
    parser.add_argument("--timeout", type=float, help="kill a run after this many seconds (default none)")
    parser.add_argument("--floor-only", nargs=2, metavar=("RAW_FILE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--land-part", nargs=3, metavar=("RAW_FILE", "OUT", "FIRST_ROW_NUMBER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    unknown = set(filter(None, args.skip.split(","))) - set(PIPELINES)
    if unknown:
        parser.error(f"--skip: unknown pipeline(s) {sorted(unknown)}; choose from {', '.join(PIPELINES)}")
    return args


def write_report(
    results: Sequence[DatasetResult], budget: int, seed: int, load_before: float, memory_total: int
) -> str:
    """Writes pipeline.md and pipeline.png for the datasets done so far; returns the text table."""
    table = text_table(TABLE_HEADERS, [table_row(r) for r in results])
    notes = [
        f"{os.cpu_count()} cores, {memory_total / GIB:.1f} GiB RAM; duckdb {duckdb.__version__}",
        f"synthetic seed {seed}; finished at {datetime.now().isoformat(timespec='minutes')}",
        f"1-minute load average at the start {load_before:.1f}, at the end {os.getloadavg()[0]:.1f}",
    ]
    markdown = report_markdown(results, table, budget, notes, runs_table(results))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "pipeline.md").write_text(markdown)
    write_chart(results, RESULTS_DIR / "pipeline.png")
    return table


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.floor_only:  # what each floor run's subprocess executes
        print(
            RESULT_PREFIX + json.dumps(floor_query(Path(args.floor_only[0]), args.floor_only[1])), flush=True
        )
        return 0
    if args.land_part:  # what each incremental run's landing subprocess executes
        source, out, first_row_number = args.land_part
        print(land_part(Path(source), Path(out), int(first_row_number)), flush=True)
        return 0

    memory_total = memory_total_bytes(Path("/proc/meminfo").read_text())
    budget = int(args.memory_budget_gib * GIB) if args.memory_budget_gib else int(0.85 * memory_total)
    pipelines = selected_pipelines(args.skip)
    # The real file first: it is quick, and the largest synthetic size last, where a failure costs least.
    datasets: list[Dataset] = []
    if args.no_real:
        log("real file skipped (--no-real)")
    elif args.real.exists():
        datasets.append(real_dataset(args.real))
    else:
        log(f"real file {args.real} not found: skipped (give --real PATH)")
    sizes = sorted(parse_size(size) for size in args.sizes.split(",") if size)
    datasets += [ensure_synthetic(args.data_dir, rows, args.seed) for rows in sizes]

    load_before = os.getloadavg()[0]  # the machine is shared: other work skews the timings
    scratch = args.data_dir / "scratch"
    results: list[DatasetResult] = []
    table = "(no dataset)"
    for dataset in datasets:
        results.append(
            benchmark_dataset(dataset, pipelines, repeats(dataset, args.runs), scratch, budget, args.timeout)
        )
        # Written after every dataset: a 200M-row round takes long, and what ran before is kept.
        table = write_report(results, budget, args.seed, load_before, memory_total)
    shutil.rmtree(scratch, ignore_errors=True)

    print(table)
    print("\n".join(target_lines(results)))
    print(f"written: {RESULTS_DIR / 'pipeline.md'}, {RESULTS_DIR / 'pipeline.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
