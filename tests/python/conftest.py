"""Shared fixtures: building the dbt project into a throw-away warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from segmentation import dbt_runner, land, pipeline
from segmentation.pipeline import EXIT_INPUT_ERROR

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHARED_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
# Columns of int_snapshot_date that describe the build itself, not the data: where an appended
# build started and the earliest line it added. A rerun or a full refresh changes them alone.
BUILD_RECORD_COLUMNS = ("earliest_new_line_date", "built_through_source_row_number")
# A table that is a log of the builds: one row per build, whether it retrained the models.
BUILD_RECORD_TABLES = ("int_segment_model_schedule",)


@pytest.fixture(autouse=True)
def main_job_folders_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The main job lands into the project's one landing folder and runs dbt with the project's
    target/ and logs/; under pytest-xdist (make pytest) two tests running it at once read each
    other's lines. Each test gets its own."""
    monkeypatch.setattr(pipeline, "LANDED_DIR", tmp_path / "main_job" / "landed" / "raw_transactions")
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "main_job" / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "main_job" / "logs"))


def dbt_invocation(
    command: list[str],
    landed_path: Path,
    warehouse: Path,
    dbt_vars: str | None = None,
    project_dir: Path = PROJECT_DIR,
) -> dbt_runner.DbtInvocation:
    """dbt on the landed file `landed_path` into `warehouse`, with target/ and logs/ beside the warehouse.

    So runs on different warehouses never share them.
    """
    return dbt_runner.dbt_invocation(command, landed_path, warehouse, dbt_vars, project_dir, warehouse.parent)


# What a copy of the project needs for dbt to build it (tests that alter a copy, never the project).
PROJECT_FOLDERS = ("models", "macros", "seeds", "snapshots", "tests/dbt", "analyses")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")


def copy_project(destination: Path) -> Path:
    """A copy of the dbt project at `destination`, for a test to alter."""
    for folder in PROJECT_FOLDERS:
        shutil.copytree(PROJECT_DIR / folder, destination / folder)
    for name in PROJECT_FILES:
        shutil.copy(PROJECT_DIR / name, destination / name)
    return destination


def land_beside(raw_path: Path, warehouse: Path) -> Path:
    """Land `raw_path` as the main job does, beside the warehouse; the landed file's path."""
    return land.land(raw_path, warehouse.parent / "landed.parquet").path


def run_dbt(
    command: list[str],
    raw_path: Path,
    warehouse: Path,
    dbt_vars: str | None = None,
    project_dir: Path = PROJECT_DIR,
) -> dbt_runner.DbtRun:
    """Land `raw_path` and run dbt on it as a user would, in its own process, into `warehouse`.

    A file the landing step refuses gives what the main job gives: exit status 2 and the message,
    and dbt does not start.
    """
    try:
        landed_path = land_beside(raw_path, warehouse)
    except land.InputFileError as error:
        return dbt_runner.DbtRun(EXIT_INPUT_ERROR, f"error: {error}\n", 0.0)
    return dbt_runner.run(dbt_invocation(command, landed_path, warehouse, dbt_vars, project_dir))


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
            run = run_dbt(case.command, case.raw_path, warehouse, case.dbt_vars, case.project_dir)
            inspected = case.inspect(warehouse) if case.inspect else None
            results[case.name] = DbtCaseResult(run.returncode, run.output, run.seconds, inspected)
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
        assert result.returncode == 0, f"dbt build failed:\n{result.output[-6000:]}"
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
