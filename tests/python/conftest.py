"""Shared fixtures: building the dbt project into a throw-away warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHARED_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
DBT = Path(sys.executable).parent / "dbt"


def run_dbt(
    command: list[str], raw_path: Path, warehouse: Path, dbt_vars: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run dbt as a user would, in its own process, on `raw_path` into `warehouse`."""
    env = {
        **os.environ,
        "RETAIL_RAW_PATH": str(raw_path),
        "DBT_DUCKDB_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(warehouse.parent / "target"),
        "DBT_LOG_PATH": str(warehouse.parent / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = [str(DBT), *command, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    if dbt_vars:
        args += ["--vars", dbt_vars]
    return subprocess.run(args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)


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
