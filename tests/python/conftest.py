"""Shared fixtures: building the dbt project into a throw-away warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHARED_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
DBT = Path(sys.executable).parent / "dbt"


def dbt_env(raw_path: Path, warehouse: Path) -> dict[str, str]:
    """The environment of a dbt process reading `raw_path` into `warehouse`.

    target/ and logs/ sit beside the warehouse, so runs on different warehouses never share them.
    """
    return {
        **os.environ,
        "RETAIL_RAW_PATH": str(raw_path),
        "DBT_DUCKDB_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(warehouse.parent / "target"),
        "DBT_LOG_PATH": str(warehouse.parent / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_args(command: list[str], dbt_vars: str | None = None, project_dir: Path = PROJECT_DIR) -> list[str]:
    """The dbt command line for `command` on the project (with --vars when given)."""
    args = [str(DBT), *command, "--project-dir", str(project_dir), "--profiles-dir", str(PROJECT_DIR)]
    if dbt_vars:
        args += ["--vars", dbt_vars]
    return args


def run_dbt(
    command: list[str],
    raw_path: Path,
    warehouse: Path,
    dbt_vars: str | None = None,
    project_dir: Path = PROJECT_DIR,
) -> subprocess.CompletedProcess[str]:
    """Run dbt as a user would, in its own process, on `raw_path` into `warehouse`."""
    return subprocess.run(
        dbt_args(command, dbt_vars, project_dir),
        cwd=project_dir,
        env=dbt_env(raw_path, warehouse),
        capture_output=True,
        text=True,
        check=False,
    )


@dataclass(frozen=True)
class DbtCase:
    """One independent dbt invocation of a batch (see :func:`run_dbt_cases`)."""

    name: str
    command: list[str]
    raw_path: Path
    dbt_vars: str | None = None
    project_dir: Path = PROJECT_DIR
    # Reads what the case left in its warehouse (given its path), before the next case replaces it.
    inspect: Callable[[Path], object] | None = None


@dataclass(frozen=True)
class DbtCaseResult:
    returncode: int
    output: str
    seconds: float
    inspected: object


def run_dbt_cases(cases: list[DbtCase], root: Path, lanes: int = 2) -> dict[str, DbtCaseResult]:
    """Run independent dbt invocations in `lanes` parallel lanes; results by case name.

    Each dbt start costs seconds of parsing. Cases in one lane run one after another with one
    target dir, so dbt's partial parsing reuses the lane's parse while --vars stay the same (cases
    are grouped by vars for that), and each starts on a fresh warehouse file: the previous case's
    file is deleted first. Two lanes keep both cores busy.
    """
    ordered = sorted(cases, key=lambda case: (str(case.project_dir), case.dbt_vars or ""))
    plan = [ordered[lane::lanes] for lane in range(lanes)]

    def run_lane(lane: int) -> dict[str, DbtCaseResult]:
        warehouse = root / f"lane{lane}" / "warehouse.duckdb"
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        results = {}
        for case in plan[lane]:
            for leftover in warehouse.parent.glob(f"{warehouse.name}*"):
                leftover.unlink()
            started = time.perf_counter()
            completed = run_dbt(case.command, case.raw_path, warehouse, case.dbt_vars, case.project_dir)
            seconds = time.perf_counter() - started
            inspected = case.inspect(warehouse) if case.inspect else None
            output = completed.stdout + completed.stderr
            results[case.name] = DbtCaseResult(completed.returncode, output, seconds, inspected)
        return results

    with ThreadPoolExecutor(max_workers=lanes) as pool:
        merged: dict[str, DbtCaseResult] = {}
        for results in pool.map(run_lane, range(lanes)):
            merged |= results
    return merged


BuildFn = Callable[..., duckdb.DuckDBPyConnection]


@pytest.fixture
def dbt_build(tmp_path: Path) -> BuildFn:
    """Build the whole project (models, seeds, every dbt test) and open the warehouse read-only."""
    connections: list[duckdb.DuckDBPyConnection] = []

    def build(raw_path: Path, dbt_vars: str | None = None) -> duckdb.DuckDBPyConnection:
        warehouse = tmp_path / "warehouse.duckdb"
        result = run_dbt(["build"], raw_path, warehouse, dbt_vars)
        assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr}"
        con = duckdb.connect(str(warehouse), read_only=True)
        connections.append(con)
        return con

    yield build
    for con in connections:
        con.close()


def shared_file(name: str) -> Path:
    """A real UCI file from ../shared/data, or skip the test saying where it was looked for."""
    path = SHARED_DATA_DIR / name
    if not path.exists():
        pytest.skip(f"real data file {path} is absent (../shared/data holds the UCI files)")
    return path
