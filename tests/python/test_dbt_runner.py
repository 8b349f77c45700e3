"""The one way dbt is started: command line, environment, and a run that keeps (and echoes) output."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from segmentation import dbt_runner


def test_argv_names_the_project_the_profile_and_the_vars_as_json() -> None:
    argv = dbt_runner.dbt_argv(["build"], {"raw_csv_encoding": "latin-1"}, Path("/elsewhere"))
    assert argv == (
        str(dbt_runner.DBT),
        "build",
        "--project-dir",
        "/elsewhere",
        "--profiles-dir",
        str(dbt_runner.PROJECT_DIR),
        "--vars",
        '{"raw_csv_encoding": "latin-1"}',
    )
    assert "--vars" not in dbt_runner.dbt_argv(["build"], {})
    assert dbt_runner.dbt_argv(["run"], "{a: 1}")[-2:] == ("--vars", "{a: 1}")


def test_env_of_a_users_build_keeps_the_projects_target_and_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user's shell, without the folders conftest gives every test's main job.
    monkeypatch.delenv("DBT_TARGET_PATH")
    monkeypatch.delenv("DBT_LOG_PATH")
    env = dbt_runner.dbt_env(tmp_path / "landed.parquet", tmp_path / "w.duckdb")
    assert env["RETAIL_LANDED_PATH"] == str(tmp_path / "landed.parquet")
    assert env["DBT_DUCKDB_PATH"] == str(tmp_path / "w.duckdb")
    assert "DBT_TARGET_PATH" not in env and "DBT_LOG_PATH" not in env


def test_env_of_a_throw_away_run_puts_target_and_logs_in_its_state_dir(tmp_path: Path) -> None:
    env = dbt_runner.dbt_env(tmp_path / "raw.csv", tmp_path / "w.duckdb", state_dir=tmp_path / "s")
    assert env["DBT_TARGET_PATH"] == str(tmp_path / "s" / "target")
    assert env["DBT_LOG_PATH"] == str(tmp_path / "s" / "logs")
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"


def test_run_keeps_stdout_and_stderr_in_order_and_echoes_them(tmp_path: Path) -> None:
    script = "import sys; print('one', flush=True); print('two', file=sys.stderr, flush=True); sys.exit(3)"
    invocation = dbt_runner.DbtInvocation((sys.executable, "-c", script), {}, tmp_path)
    echo = io.StringIO()
    run = dbt_runner.run(invocation, echo=echo)
    assert (run.returncode, run.succeeded) == (3, False)
    assert run.output == echo.getvalue() == "one\ntwo\n"
    assert run.seconds > 0
