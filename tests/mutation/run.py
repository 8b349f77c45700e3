"""Mutation check: every deliberate bug in mutations.yml must make a fast test fail.

Usage: ``python -m tests.mutation.run [--workers 2] [--only ID ...] [--markdown FILE]``
(``make mutation``).

Once: the project is copied to a scratch directory, a small synthetic file is landed and the
models the dbt unit tests read are built (no tests); the fast tests must pass there. Then each
mutation is applied to a copy of that project and warehouse, and the fast tests of its kind run:
the dbt unit tests of the changed model (of every model for a macro), or the pytest arguments it
names for Python. Mutations of different models share one copy and one dbt run, as a unit test
only runs its own model's SQL against fixtures (see batches()). The table lists which tests
failed; a mutation that no test catches, or one that breaks the build instead of failing a test,
fails the run. A mutation whose text does not occur exactly once in its file fails before
anything runs, so none is silently a no-op.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MUTATIONS_FILE = Path(__file__).with_name("mutations.yml")
# What a dbt build and the pytest modules need; never data/, target/ or the venv.
PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.yml",
    "pyproject.toml",
    "models",
    "macros",
    "seeds",
    "analyses",
    "segmentation",
    "tests/__init__.py",
    "tests/dbt",
    "tests/python",
)
WAREHOUSE = "warehouse.duckdb"
SYNTHETIC_ROWS = 3000
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Mutation:
    id: str
    rule: str
    kind: str
    file: str
    find: str
    replace: str
    pytest: tuple[str, ...] = ()


@dataclass
class Outcome:
    mutation: Mutation
    caught_by: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        return "caught" if self.caught_by else "SURVIVED"


def load_mutations(path: Path = MUTATIONS_FILE, root: Path = REPO) -> list[Mutation]:
    """Read the list and check that each mutation changes its file in exactly one place."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutations = [Mutation(**{**entry, "pytest": tuple(entry.get("pytest", ()))}) for entry in entries]
    problems = []
    ids = [m.id for m in mutations]
    problems += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for m in mutations:
        if m.kind not in ("dbt", "pytest"):
            problems.append(f"{m.id}: kind must be dbt or pytest, got {m.kind!r}")
        if m.kind == "pytest" and not m.pytest:
            problems.append(f"{m.id}: a pytest mutation names its modules (pytest = [...])")
        if m.find == m.replace:
            problems.append(f"{m.id}: replace equals find, nothing would change")
        source = root / m.file
        if not source.is_file():
            problems.append(f"{m.id}: {m.file} does not exist")
            continue
        count = source.read_text(encoding="utf-8").count(m.find)
        if count != 1:
            problems.append(f"{m.id}: the text to find occurs {count} times in {m.file}, not once")
    if problems:
        raise SystemExit("mutations.yml is out of date with the code:\n  " + "\n  ".join(problems))
    return mutations


def copy_project(destination: Path) -> None:
    for part in PROJECT_PARTS:
        source = REPO / part
        target = destination / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            shutil.copy2(source, target)


def environment(project: Path, landed: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    # Paths relative to the project (each command runs in it), so the profile reads the same in
    # every copy and dbt can reuse the base's parse.
    env.update(
        PYTHONPATH=str(project),
        RETAIL_LANDED_PATH=str(landed),
        DBT_DUCKDB_PATH=WAREHOUSE,
        DBT_TARGET_PATH="target",
        DBT_LOG_PATH="logs",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def run(command: Sequence[str | Path], project: Path, landed: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        cwd=project,
        env=environment(project, landed),
        capture_output=True,
        text=True,
        check=False,
    )


def dbt_unit_tests(project: Path, landed: Path, models: Sequence[str] = ()) -> list[dict]:
    """Run the dbt unit tests of these models (every unit test if none); their run results."""
    selectors = [f"test_type:unit,{model}" for model in models] or ["test_type:unit"]
    done = run([BIN / "dbt", "test", "--select", *selectors], project, landed)
    results_file = project / "target" / "run_results.json"
    if not results_file.is_file():
        return [{"unique_id": "dbt", "status": "error", "message": _tail(done.stdout + done.stderr)}]
    return json.loads(results_file.read_text(encoding="utf-8"))["results"]


def unit_test_outcome(results: Sequence[dict], model: str = "") -> tuple[list[str], list[str]]:
    """(failed test names, errors that are not test failures), for one model's unit tests if given."""
    # unique_id: unit_test.<project>.<model>.<test>
    mine = [r for r in results if not model or r["unique_id"].split(".")[-2:-1] == [model]]
    failed = [r["unique_id"].split(".")[-1] for r in mine if r["status"] == "fail"]
    errors = [f"{r['unique_id']}: {_tail(r.get('message') or '')}" for r in mine if r["status"] == "error"]
    if not model:
        errors += [f"dbt: {r['message']}" for r in results if r["unique_id"] == "dbt"]
    return failed, errors


def pytest_modules(project: Path, landed: Path, modules: Sequence[str]) -> tuple[list[str], list[str]]:
    """Run pytest modules; return (failed test ids, errors that are not test failures)."""
    report = project / "pytest.xml"
    done = run(
        [BIN / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *modules],
        project,
        landed,
    )
    if not report.is_file():
        return [], [_tail(done.stdout + done.stderr)]
    failed, errors = [], []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        if case.find("failure") is not None:
            failed.append(name)
        elif case.find("error") is not None:
            errors.append(f"{name}: {_tail(case.find('error').get('message') or '')}")
    if done.returncode not in (0, 1) and not errors:  # 1 = tests failed; anything else is not
        errors.append(_tail(done.stdout + done.stderr))
    return failed, errors


def model_of(mutation: Mutation) -> str:
    """The model a mutation changes, or "" for a macro or Python module (which any test may use)."""
    path = Path(mutation.file)
    return path.stem if mutation.kind == "dbt" and path.parts[0] == "models" else ""


def batches(mutations: Sequence[Mutation]) -> list[list[Mutation]]:
    """Mutations that can share one scratch copy and one dbt run without seeing each other.

    A dbt unit test reads every input of its model from fixtures, so it runs only that model's
    SQL (and macros): mutants of different models, each judged by its own model's unit tests,
    are independent. A macro or Python mutant may reach any test, so it runs alone.
    """
    by_model: dict[str, list[Mutation]] = {}
    alone = []
    for m in mutations:
        if model_of(m):
            by_model.setdefault(model_of(m), []).append(m)
        else:
            alone.append([m])
    shared = []
    while any(by_model.values()):
        shared.append([queue.pop(0) for queue in by_model.values() if queue])
    # pytest mutants first: they take longest, and the short ones then fill the gaps.
    return sorted(alone, key=lambda b: b[0].kind != "pytest") + shared


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def prepare_base(scratch: Path, mutations: Sequence[Mutation]) -> tuple[Path, Path]:
    """The unmutated project, built on a small synthetic file; its fast tests must pass."""
    base = scratch / "base"
    copy_project(base)
    csv, landed = scratch / "input.csv", scratch / "landed.parquet"
    py = BIN / "python"
    for step in (
        [py, "-m", "segmentation.synthetic", "--rows", SYNTHETIC_ROWS, "--out", csv, "--quiet"],
        [py, "-m", "segmentation.land", csv, "--out", landed],
        # Only what the unit tests read (their models' parents and seeds), not the marts and the
        # prediction models.
        [
            BIN / "dbt",
            "build",
            "--select",
            "+test_type:unit",
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
        ],
    ):
        done = run(step, base, landed)
        if done.returncode != 0:
            raise SystemExit(f"preparing the base project failed: {step}\n{done.stdout}\n{done.stderr}")
    failed, errors = unit_test_outcome(dbt_unit_tests(base, landed))
    problems = failed + errors
    for modules in sorted({m.pytest for m in mutations if m.kind == "pytest"}):
        failed, errors = pytest_modules(base, landed, modules)
        problems += failed + errors
    if problems:
        raise SystemExit("the fast tests fail without any mutation:\n  " + "\n  ".join(problems))
    return base, landed


def run_batch(batch: Sequence[Mutation], base: Path, landed: Path, scratch: Path) -> list[Outcome]:
    start = time.monotonic()
    project = scratch / batch[0].id
    shutil.copytree(base, project, ignore=shutil.ignore_patterns("target", "logs", "pytest.xml"))
    # The base's parse, so that dbt re-parses only the changed files.
    (project / "target").mkdir()
    shutil.copy2(base / "target" / "partial_parse.msgpack", project / "target")
    for mutation in batch:
        path = project / mutation.file
        text = path.read_text(encoding="utf-8")
        assert text.count(mutation.find) == 1, mutation.id  # checked on load; the copy is the same
        path.write_text(text.replace(mutation.find, mutation.replace), encoding="utf-8")
    outcomes = []
    if batch[0].kind == "pytest":
        (mutation,) = batch
        failed, errors = pytest_modules(project, landed, mutation.pytest)
        outcomes.append(Outcome(mutation, caught_by=failed, error="; ".join(errors)))
    else:
        results = dbt_unit_tests(project, landed, [model_of(m) for m in batch if model_of(m)])
        for mutation in batch:
            failed, errors = unit_test_outcome(results, model_of(mutation))
            outcomes.append(Outcome(mutation, caught_by=failed, error="; ".join(errors)))
    for outcome in outcomes:
        outcome.seconds = time.monotonic() - start
    shutil.rmtree(project, ignore_errors=True)
    return outcomes


def table(outcomes: Sequence[Outcome]) -> str:
    rows = [
        "| mutation | business rule | file | result | caught by |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        caught = ", ".join(o.caught_by) if o.caught_by else (o.error or "–")
        rows.append(f"| {o.mutation.id} | {o.mutation.rule} | {o.mutation.file} | {o.verdict} | {caught} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutations")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)

    start = time.monotonic()
    mutations = load_mutations()
    if args.only:
        unknown = sorted(set(args.only) - {m.id for m in mutations})
        if unknown:
            parser.error(f"unknown mutation id(s): {unknown}")
        mutations = [m for m in mutations if m.id in args.only]
    scratch = Path(tempfile.mkdtemp(prefix="mutation-"))
    try:
        base, landed = prepare_base(scratch, mutations)
        print(f"base project built and its fast tests pass ({time.monotonic() - start:.0f} s)", flush=True)
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(run_batch, batch, base, landed, scratch) for batch in batches(mutations)]
            done = {}
            for future in futures:
                for outcome in future.result():
                    done[outcome.mutation.id] = outcome
                    seconds = f"{outcome.seconds:.0f} s"
                    print(f"  {outcome.verdict:8} {outcome.mutation.id} ({seconds})", flush=True)
        outcomes = [done[m.id] for m in mutations]
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    report = table(outcomes)
    print("\n" + report)
    if args.markdown:
        args.markdown.write_text(report + "\n", encoding="utf-8")
    bad = [o for o in outcomes if o.verdict != "caught"]
    elapsed = time.monotonic() - start
    print(f"\n{len(outcomes) - len(bad)} of {len(outcomes)} mutations caught in {elapsed:.0f} s")
    if bad:
        print("not caught or broken: " + ", ".join(o.mutation.id for o in bad), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
