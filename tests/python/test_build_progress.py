"""The main job's progress: a line per stage of the build, errors always shown, warnings as sentences."""

from __future__ import annotations

import json
from pathlib import Path

from segmentation.build_progress import StageProgress, readable, stage_of_path, started_node

MANIFEST = {
    "nodes": {
        "model.p.stg_retail__transactions": {
            "name": "stg_retail__transactions",
            "original_file_path": "models/staging/retail/stg_retail__transactions.sql",
            "resource_type": "model",
        },
        "model.p.int_purchase_lines": {
            "name": "int_purchase_lines",
            "original_file_path": "models/intermediate/lines/int_purchase_lines.sql",
            "resource_type": "model",
        },
        "model.p.segment_centroids": {
            "name": "segment_centroids",
            "original_file_path": "models/segmentation/python/segment_centroids.py",
            "resource_type": "model",
        },
    }
}


def start(number: int, kind: str, name: str) -> str:
    return f"\x1b[0m22:23:26  {number} of 9 START {kind} {name} ........ [RUN]\n"


def test_the_stage_is_the_folder_and_tests_are_their_own() -> None:
    assert stage_of_path("models/intermediate/lines/int_x.sql", "model") == "cleaning"
    assert stage_of_path("models/intermediate/customers/int_y.sql", "model") == "features"
    assert stage_of_path("models/marts/customers.sql", "model") == "marts"
    assert stage_of_path("seeds/exclusion_reasons.csv", "seed") == "seeds"
    assert stage_of_path("models/marts/_marts__models.yml", "test") == "data tests"


def test_start_lines_give_kind_and_name() -> None:
    assert started_node(start(1, "sql table model", "main.int_x")) == ("sql table model", "int_x")
    assert started_node(start(2, "unit_test", "int_x::test_y").replace(" ........", "")) == (
        "unit_test",
        "int_x::test_y",
    )
    assert started_node("22:23:26  3 of 9 OK created sql table model main.int_x ... [OK in 0.1s]") is None


def test_one_line_per_stage_entered_errors_and_the_closing_summary_shown(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    shown: list[str] = []
    ticks = iter(range(100))
    progress = StageProgress(manifest, shown.append, clock=lambda: float(next(ticks)))
    for line in [
        start(1, "sql view model", "main.stg_retail__transactions"),
        "22:23:27  1 of 9 OK created sql view model main.stg_retail__transactions ... [OK in 0.1s]\n",
        start(2, "sql table model", "main.int_purchase_lines"),
        start(3, "test", "not_null_int_purchase_lines_x"),
        start(4, "test", "unique_int_purchase_lines_x"),
        "22:23:28  4 of 9 FAIL 3 unique_int_purchase_lines_x ... [FAIL 3 in 0.1s]\n",
        start(5, "python table model", "main.segment_centroids"),
        "/tmp/tmpk_s34hvq.py:11: UserWarning: only 0 training customers\n",
        "22:23:30  Finished running 9 nodes in 4.0s.\n",
        "22:23:30  Done. PASS=8 WARN=0 ERROR=1\n",
    ]:
        progress.write(line)
    assert shown == [
        "[   1.0s] staging",
        "[   2.0s] cleaning",
        "[   3.0s] data tests",
        "22:23:28  4 of 9 FAIL 3 unique_int_purchase_lines_x ... [FAIL 3 in 0.1s]",
        "[   5.0s] segments and prediction",
        "warning: only 0 training customers",
        "22:23:30  Finished running 9 nodes in 4.0s.",
        "22:23:30  Done. PASS=8 WARN=0 ERROR=1",
    ]
    assert progress.table_rows() == [
        ("staging", 1, "1.0s"),
        ("cleaning", 1, "2.0s"),
        ("data tests", 2, "3.0s"),
        ("segments and prediction", 1, "5.0s"),
    ]


def test_verbose_passes_every_line(tmp_path: Path) -> None:
    shown: list[str] = []
    progress = StageProgress(tmp_path / "absent.json", shown.append, verbose=True)
    progress.write("anything dbt says\n")
    assert shown == ["anything dbt says"]


def test_a_line_that_is_not_a_python_warning_is_kept() -> None:
    assert readable("22:23:26  Running with dbt=1.11.16") == "22:23:26  Running with dbt=1.11.16"
