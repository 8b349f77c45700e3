"""Starting dbt as its own process: one command line and environment for the CLI, tests and benchmark.

A separate process (not dbtRunner), so that dbt's DuckDB connection is closed when the caller opens
the warehouse, and so that a caller can measure or kill dbt's whole process tree. `dbt_invocation`
says what to start; `run` starts it and keeps its output, echoing it line by line when asked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).parent / "dbt"


class LineSink(Protocol):
    """Where dbt's output goes as it comes: sys.stdout, or a filter such as build_progress.StageProgress."""

    def write(self, line: str, /) -> object: ...


@dataclass(frozen=True)
class DbtInvocation:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path


@dataclass(frozen=True)
class DbtRun:
    returncode: int
    output: str  # stdout and stderr, interleaved as dbt printed them
    seconds: float

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0


def dbt_argv(
    command: Sequence[str],
    dbt_vars: str | Mapping[str, object] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> tuple[str, ...]:
    """The dbt command line for `command` on `project_dir`, with --vars when given.

    The profile is always this project's, also for a copy of the project elsewhere (the tests'
    altered projects), so that every run builds into the warehouse its environment names.
    """
    argv = [str(DBT), *command, "--project-dir", str(project_dir), "--profiles-dir", str(PROJECT_DIR)]
    if dbt_vars:
        argv += ["--vars", dbt_vars if isinstance(dbt_vars, str) else json.dumps(dbt_vars)]
    return tuple(argv)


def dbt_env(landed_path: Path | None, warehouse: Path, state_dir: Path | None = None) -> dict[str, str]:
    """The environment of a dbt process building the landed file `landed_path` into `warehouse`.

    Throw-away runs (tests, benchmark) give a `state_dir`: target/ and logs/ go there, so runs on
    different warehouses never share them, and they send no usage statistics. Without it a build
    uses the project's own target/ and logs/, as a user's `dbt build` does.
    """
    # No landed file: the `retail` source is a warehouse table (var raw_landed_path '').
    landed = "" if landed_path is None else str(landed_path)
    env = {**os.environ, "RETAIL_LANDED_PATH": landed, "DBT_DUCKDB_PATH": str(warehouse)}
    if state_dir is not None:
        env |= {
            "DBT_TARGET_PATH": str(state_dir / "target"),
            "DBT_LOG_PATH": str(state_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    return env


def dbt_invocation(
    command: Sequence[str],
    landed_path: Path | None,
    warehouse: Path,
    dbt_vars: str | Mapping[str, object] | None = None,
    project_dir: Path = PROJECT_DIR,
    state_dir: Path | None = None,
) -> DbtInvocation:
    return DbtInvocation(
        dbt_argv(command, dbt_vars, project_dir), dbt_env(landed_path, warehouse, state_dir), project_dir
    )


def start(invocation: DbtInvocation, new_session: bool = False) -> subprocess.Popen[str]:
    """Start dbt with stdout and stderr interleaved on one pipe; `new_session` gives it its own
    process group, so that a signal to the group reaches every child dbt starts."""
    return subprocess.Popen(
        invocation.argv,
        cwd=invocation.cwd,
        env=invocation.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=new_session,
    )


def run(invocation: DbtInvocation, echo: LineSink | None = None) -> DbtRun:
    """Run dbt to the end and time it; its output is kept, and written to `echo` as it comes."""
    started = time.perf_counter()
    lines: list[str] = []
    with start(invocation) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if echo is not None:
                echo.write(line)
            lines.append(line)
    return DbtRun(process.returncode, "".join(lines), time.perf_counter() - started)
