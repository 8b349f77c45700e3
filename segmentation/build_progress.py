"""A short progress line per stage of `dbt build`, instead of dbt's line per node.

dbt prints a START and a result line for each of some 330 nodes; a user of the main job wants to
know which stage the build is in and how long each took. The stage of a node is its folder (the
folders are the DAG): seeds, staging, cleaning (intermediate/lines), features (the other
intermediate folders), segments and prediction (segmentation), marts, then the tests. dbt's full
output stays in its log file; errors, warnings and dbt's closing summary are always shown.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Folder prefix -> stage, most specific first.
STAGE_OF_FOLDER: tuple[tuple[str, str], ...] = (
    ("seeds/", "seeds"),
    ("models/staging/", "staging"),
    ("models/intermediate/lines/", "cleaning"),
    ("models/intermediate/", "features"),
    ("models/segmentation/", "segments and prediction"),
    ("models/marts/", "marts"),
)
UNIT_TEST_STAGE = "unit tests"
DATA_TEST_STAGE = "data tests"
HOOK_STAGE = "attach the landed file"
OTHER_STAGE = "other"
# "  12 of 329 START sql table model main.int_purchase_lines ..... [RUN]"
START_LINE = re.compile(r"\d+ of \d+ START (?P<kind>.+?) (?P<relation>\S+) \.*\s*\[RUN\]")
# dbt's words on lines that must reach the user whatever the stage printing hides.
ALWAYS_SHOWN = re.compile(r"\bERROR\b|\bFAIL\b|\bWARN\b|Error|Failure|Warning")
CLOSING_LINE = "Finished running"
# A Python model's warning as Python prints it, from the temporary file dbt runs the model from:
# "/tmp/tmpk_s34hvq.py:11: UserWarning: only 0 training customers ...".
PYTHON_WARNING = re.compile(r"^\S+\.py:\d+: \w*Warning: (?P<message>.*)$")


def readable(line: str) -> str:
    """dbt's line as the user should read it: a Python warning without the temporary path."""
    match = PYTHON_WARNING.match(line)
    return f"warning: {match['message']}" if match else line


def stage_of_path(path: str, resource_type: str) -> str:
    """The stage of a manifest node, from its resource type and original file path."""
    if resource_type == "unit_test":
        return UNIT_TEST_STAGE
    if resource_type == "test":
        return DATA_TEST_STAGE
    for prefix, stage in STAGE_OF_FOLDER:
        if path.startswith(prefix):
            return stage
    return OTHER_STAGE


def stages_by_name(manifest: dict) -> dict[str, str]:
    """Node name -> stage, for every node of a dbt manifest."""
    return {
        node["name"]: stage_of_path(node["original_file_path"], node["resource_type"])
        for node in [*manifest.get("nodes", {}).values(), *manifest.get("unit_tests", {}).values()]
    }


def started_node(line: str) -> tuple[str, str] | None:
    """(kind, node name) of a dbt START line, else None.

    '... START sql table model main.x ... [RUN]' gives ('sql table model', 'x').
    """
    match = START_LINE.search(line)
    if match is None:
        return None
    return match["kind"], match["relation"].rsplit(".", 1)[-1]


@dataclass
class StageProgress:
    """A file-like sink for dbt's output that writes one line per stage entered to `write_line`."""

    manifest_path: Path
    write_line: Callable[[str], None]
    verbose: bool = False
    clock: Callable[[], float] = time.perf_counter
    started: float = field(init=False)
    stages: dict[str, str] = field(default_factory=dict, init=False)
    seen: dict[str, tuple[float, int]] = field(default_factory=dict, init=False)
    closing: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def _stage(self, kind: str, name: str) -> str:
        if not self.stages and self.manifest_path.exists():
            # dbt writes this run's manifest after parsing, before the first node starts.
            self.stages = stages_by_name(json.loads(self.manifest_path.read_text()))
        if kind == "unit_test":
            return UNIT_TEST_STAGE
        if kind == "test":
            return DATA_TEST_STAGE
        if kind.startswith("hook"):
            return HOOK_STAGE
        return self.stages.get(name, OTHER_STAGE)

    def write(self, line: str) -> None:
        if self.verbose:
            self.write_line(line.rstrip("\n"))
            return
        self.closing = self.closing or CLOSING_LINE in line
        if self.closing or ALWAYS_SHOWN.search(line):
            self.write_line(readable(line.rstrip("\n")))
        started = started_node(line)
        if started is None:
            return
        stage = self._stage(*started)
        elapsed = self.clock() - self.started
        if stage not in self.seen:
            self.write_line(f"[{elapsed:6.1f}s] {stage}")
        first_start, nodes = self.seen.get(stage, (elapsed, 0))
        self.seen[stage] = (first_start, nodes + 1)

    def table_rows(self) -> list[tuple[str, int, str]]:
        """(stage, nodes started, first started at) in the order the build entered the stages."""
        return [(stage, nodes, f"{first:.1f}s") for stage, (first, nodes) in self.seen.items()]
