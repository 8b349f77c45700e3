"""Faults: concurrent builds, a build killed mid-way, reruns, and hostile vars.

One warehouse lives through a sequence, run once by a module fixture, as a user might live it:

1. build A runs; while it holds the DuckDB file, a second `dbt build` and the main job
   (`python -m segmentation.pipeline`) are started on the same file and must fail fast, saying why;
2. a bad segmentation var fails the KMeans model and leaves its previous table as it was;
3. build D is killed (SIGKILL, whole process group) inside a Python model: the previous results
   must stay readable and unchanged;
4. build E completes normally and gives the same tables as A, value for value.

Hostile vars run meanwhile in a lane of their own: each is refused before any SQL runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from segmentation import dbt_runner, synthetic
from segmentation.dbt_runner import DbtRun
from tests.python.conftest import (
    BUILD_RECORD_COLUMNS,
    BUILD_RECORD_TABLES,
    PROJECT_DIR,
    DbtCase,
    DbtCaseResult,
    dbt_invocation,
    land_beside,
    run_dbt,
    run_dbt_cases,
)

pytestmark = pytest.mark.integration

# Seeds and models: the data tests add nothing to these faults and cost ~14 s a build.
BUILD = ["build", "--exclude-resource-type", "test", "unit_test"]
FULL_BUILD = ["build", "--exclude-resource-type", "unit_test"]
POLL_SECONDS = 0.05
WAIT_SECONDS = 300


def table_contents(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Every table of the warehouse, rows sorted on all columns so that order does not matter."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'main' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        tables = {}
        for name in set(names) - set(BUILD_RECORD_TABLES):
            frame = con.execute(f'select * from "{name}"').df()
            tables[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return tables


def assert_same_tables(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    """Same tables, same rows, same values to the last bit; names every table that differs."""
    assert sorted(after) == sorted(before)
    differing = {}
    for name, frame in before.items():
        # A rerun appends no line: only the record of what the build added differs.
        record = [column for column in BUILD_RECORD_COLUMNS if column in frame]
        try:
            pd.testing.assert_frame_equal(
                after[name].drop(columns=record), frame.drop(columns=record), check_exact=True, obj=name
            )
        except AssertionError as difference:
            differing[name] = str(difference)[:500]
    assert not differing, differing


def wait_for_log(log: Path, offset: int, needle: str, process: subprocess.Popen[str]) -> None:
    """Wait until dbt's log, from byte `offset` on, holds `needle` (fail if the process ends first)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if log.exists():
            with log.open("rb") as handle:
                handle.seek(offset)
                if needle.encode() in handle.read():
                    return
        if process.poll() is not None:
            pytest.fail(f"dbt ended (exit {process.returncode}) before its log showed {needle!r}")
        time.sleep(POLL_SECONDS)
    pytest.fail(f"dbt's log never showed {needle!r}")


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


@dataclass(frozen=True)
class Concurrent:
    first: subprocess.CompletedProcess[str]
    first_pid: int
    second_dbt: subprocess.CompletedProcess[str]
    second_dbt_seconds: float
    second_pipeline: subprocess.CompletedProcess[str]


@dataclass(frozen=True)
class FaultRuns:
    warehouse: Path
    concurrent: Concurrent
    after_first: dict[str, pd.DataFrame]
    bad_segmentation_var: DbtRun
    after_bad_var: dict[str, pd.DataFrame]
    killed_in: str
    after_kill: dict[str, pd.DataFrame]
    leftovers_after_kill: list[str]
    last: DbtRun
    after_last: dict[str, pd.DataFrame]
    hostile: dict[str, DbtCaseResult]


# --------------------------------------------------------------------------------------------
# Hostile vars: each must be refused, with the var named, before any SQL runs
# --------------------------------------------------------------------------------------------

INJECTION = "'; drop table customers; --"
# A run, not a parse: a parse never builds anything, so "nothing was built" would hold even if the
# var were let through; a run of the staging view builds it unless the var is refused first.
RUN_STAGING = ["run", "--select", "stg_retail__transactions"]
HOSTILE_VARS: dict[str, tuple[list[str], str, str]] = {
    # name: (command, --vars, expected message)
    "snapshot_date_injection": (
        RUN_STAGING,
        f'{{snapshot_date: "2011-01-01{INJECTION}"}}',
        f"var snapshot_date='2011-01-01{INJECTION}' is not a date in yyyy-mm-dd form",
    ),
    "snapshot_date_not_a_day": (
        RUN_STAGING,
        "{snapshot_date: '2011-02-30'}",
        "var snapshot_date='2011-02-30' is not a date in yyyy-mm-dd form",
    ),
    "window_days_injection": (
        RUN_STAGING,
        '{recent_purchase_window_days: "180) as date); drop table customers; --"}',
        "var recent_purchase_window_days='180) as date); drop table customers; --' must be a whole number",
    ),
    "horizon_days_fraction": (
        RUN_STAGING,
        "{prediction_horizon_days: 365.5}",
        "var prediction_horizon_days='365.5' must be a whole number of days >= 1",
    ),
    "date_format_with_quote": (
        RUN_STAGING,
        f'{{raw_date_formats: ["%d/%m/%Y{INJECTION}"]}}',
        "var raw_date_formats: item 1 (%d/%m/%Y'; drop table customers; --) is not a strptime format",
    ),
    "raw_columns_unknown_canonical_column": (
        ["parse"],
        "{raw_columns: {qty: Qty}}",
        "var raw_columns names 'qty', which is not a canonical column; use invoice_no, stock_code,",
    ),
    "date_formats_not_a_list": (
        RUN_STAGING,
        "{raw_date_formats: '%d/%m/%Y %H:%M'}",
        "var raw_date_formats=%d/%m/%Y %H:%M must be a non-empty list of strptime formats",
    ),
}


def nothing_ran(warehouse: Path) -> bool:
    """True when the case left no table and no view behind (the file may not even exist)."""
    if not warehouse.exists():
        return True
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from information_schema.tables").fetchone()[0] == 0


def hostile_cases(raw: Path) -> list[DbtCase]:
    return [
        DbtCase(name, command, raw, dbt_vars, inspect=nothing_ran)
        for name, (command, dbt_vars, _) in HOSTILE_VARS.items()
    ]


# --------------------------------------------------------------------------------------------
# The sequence
# --------------------------------------------------------------------------------------------


def start_dbt(command: list[str], raw: Path, warehouse: Path) -> subprocess.Popen[str]:
    """dbt in its own process group, so that a kill reaches it and every child it started."""
    return dbt_runner.start(dbt_invocation(command, land_beside(raw, warehouse), warehouse), new_session=True)


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    output, _ = process.communicate(timeout=WAIT_SECONDS)
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def run_concurrent(raw: Path, warehouse: Path) -> Concurrent:
    log = warehouse.parent / "logs" / "dbt.log"
    first = start_dbt(FULL_BUILD, raw, warehouse)
    # The hook has opened the warehouse once a seed or model starts; the file stays locked to the end.
    wait_for_log(log, 0, " START seed file ", first)

    # The second dbt build gets its own target/ and logs/, as a second checkout would have.
    other = warehouse.parent / "second"
    invocation = dbt_invocation(["build"], warehouse.parent / "landed.parquet", warehouse)
    env = {**invocation.env, "DBT_TARGET_PATH": str(other / "target"), "DBT_LOG_PATH": str(other)}
    # ... with the parse a checkout keeps from its last build: parsing from nothing took the second
    # build up to 40 s on a loaded machine, and the first build sometimes ended before it tried.
    (other / "target").mkdir(parents=True)
    shutil.copy2(warehouse.parent / "target" / "partial_parse.msgpack", other / "target")
    started = time.perf_counter()
    second_dbt = dbt_runner.start(dbt_runner.DbtInvocation(invocation.argv, env, invocation.cwd))
    pipeline_args = ["-m", "segmentation.pipeline", "--input", str(raw), "--warehouse", str(warehouse)]
    second_pipeline = subprocess.run(
        [sys.executable, *pipeline_args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    second = finish(second_dbt)
    second_seconds = time.perf_counter() - started
    assert first.poll() is None, "the first build ended before the second one tried the file"
    return Concurrent(finish(first), first.pid, second, second_seconds, second_pipeline)


def run_killed(raw: Path, warehouse: Path) -> str:
    """Start a build and SIGKILL its process group inside the first Python model; the model's name."""
    log = warehouse.parent / "logs" / "dbt.log"
    offset = log_size(log)
    process = start_dbt(BUILD, raw, warehouse)
    model = "segment_k_diagnostics"
    wait_for_log(log, offset, f"START python table model main.{model}", process)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == -signal.SIGKILL
    return model


def leftovers(warehouse: Path) -> list[str]:
    """dbt's intermediate relations (name__dbt_tmp, name__dbt_backup) left in the warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_name like '%__dbt_%'"
        )
        return sorted(row[0] for row in rows.fetchall())


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> FaultRuns:
    root = tmp_path_factory.mktemp("robustness_faults")
    config = synthetic.SyntheticConfig(n_customers=120, seed=11)
    raw = synthetic.write_transactions(synthetic.generate_transactions(config), root / "log.csv.gz")
    warehouse = root / "sequence" / "warehouse.duckdb"
    warehouse.parent.mkdir()

    with ThreadPoolExecutor(max_workers=1) as pool:
        hostile = pool.submit(run_dbt_cases, hostile_cases(raw), root / "vars", 1)

        concurrent = run_concurrent(raw, warehouse)
        assert concurrent.first.returncode == 0, concurrent.first.stdout[-4000:]
        after_first = table_contents(warehouse)

        bad_var = run_dbt(
            ["run", "--select", "segment_k_diagnostics"], raw, warehouse, "{segmentation: {n_clusters: 4}}"
        )
        after_bad_var = table_contents(warehouse)

        killed_in = run_killed(raw, warehouse)
        after_kill = table_contents(warehouse)
        leftovers_after_kill = leftovers(warehouse)

        last = run_dbt(BUILD, raw, warehouse)
        after_last = table_contents(warehouse)
        return FaultRuns(
            warehouse=warehouse,
            concurrent=concurrent,
            after_first=after_first,
            bad_segmentation_var=bad_var,
            after_bad_var=after_bad_var,
            killed_in=killed_in,
            after_kill=after_kill,
            leftovers_after_kill=leftovers_after_kill,
            last=last,
            after_last=after_last,
            hostile=hostile.result(),
        )


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_second_dbt_build_on_a_locked_warehouse_fails_fast_naming_the_lock(faults: FaultRuns) -> None:
    second = faults.concurrent.second_dbt
    assert second.returncode != 0
    assert f'Could not set lock on file "{faults.warehouse}"' in second.stdout
    assert "Conflicting lock is held in" in second.stdout
    assert f"(PID {faults.concurrent.first_pid})" in second.stdout
    # Fails at connection time: no model ran (dbt's start-up is most of these seconds).
    assert " OK created " not in second.stdout
    assert faults.concurrent.second_dbt_seconds < WAIT_SECONDS


def test_main_job_on_a_locked_warehouse_explains_what_to_do(faults: FaultRuns) -> None:
    second = faults.concurrent.second_pipeline
    assert second.returncode == 3, second.stdout[-2000:] + second.stderr
    assert f"error: the warehouse {faults.warehouse} is in use by another process" in second.stderr
    assert "Wait for the other build to finish" in second.stderr
    assert f"(PID {faults.concurrent.first_pid})" in second.stderr
    assert "Building on" not in second.stdout, "dbt must not be started"


def test_first_build_completes_while_the_second_is_refused(faults: FaultRuns) -> None:
    first = faults.concurrent.first
    assert first.returncode == 0, first.stdout[-4000:]
    assert "Completed successfully" in first.stdout
    assert len(faults.after_first["customer_segments"]) == len(faults.after_first["customers"]) > 0


def test_bad_segmentation_var_fails_the_model_and_keeps_its_table(faults: FaultRuns) -> None:
    result = faults.bad_segmentation_var
    assert result.returncode == 1
    # begins as bad input does, so the main job exits 2 on it
    assert "Bad input: unknown segmentation setting(s) ['n_clusters']; allowed: [" in result.output
    assert_same_tables(faults.after_first, faults.after_bad_var)


def test_build_killed_in_a_python_model_leaves_previous_results_readable(faults: FaultRuns) -> None:
    assert faults.killed_in == "segment_k_diagnostics"
    # A kill between dbt's swap of a table built on the other thread and its cleanup can leave
    # name__dbt_backup beside the intact table name; the next build removes it (test below).
    assert all(name.endswith("__dbt_backup") for name in faults.leftovers_after_kill)
    after_kill = {n: t for n, t in faults.after_kill.items() if n not in faults.leftovers_after_kill}
    assert all(name.removesuffix("__dbt_backup") in after_kill for name in faults.leftovers_after_kill)
    # The killed build had rebuilt the SQL models from the same file, so every table, SQL or
    # Python, still holds exactly what the first build left.
    assert_same_tables(faults.after_first, after_kill)


def test_build_after_a_kill_completes_and_cleans_up(faults: FaultRuns) -> None:
    assert faults.last.returncode == 0, faults.last.output[-4000:]
    assert "Completed successfully" in faults.last.output
    assert not [name for name in faults.after_last if "__dbt_" in name]


def test_rerun_gives_identical_tables(faults: FaultRuns) -> None:
    """The first and the last complete builds, on the same input, agree value for value."""
    assert len(faults.after_first) >= 25
    assert_same_tables(faults.after_first, faults.after_last)


@pytest.mark.parametrize("name", list(HOSTILE_VARS))
def test_hostile_var_is_refused_before_sql(faults: FaultRuns, name: str) -> None:
    result = faults.hostile[name]
    message = HOSTILE_VARS[name][2]
    assert result.returncode != 0
    assert message in result.output, result.output[-3000:]
    assert result.inspected is True, "nothing may have been built"
