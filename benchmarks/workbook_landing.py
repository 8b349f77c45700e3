"""Not a test: landing the UCI Online Retail II workbook, python-calamine against openpyxl.

The workbook UCI publishes (one sheet per year, 1,067,371 lines) is made once from
../shared/data/online_retail_II.csv.gz into data/benchmark/ (never committed) unless --workbook
names one. In one invocation, the landing step (segmentation.land, calamine) and the openpyxl read
it replaced (every sheet parsed as text, as before) take turns; results go to
benchmarks/results/workbook_landing.md.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date
from pathlib import Path

import pandas as pd

from segmentation import land

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED_CSV = PROJECT_DIR.parent / "shared" / "data" / "online_retail_II.csv.gz"
DEFAULT_WORKBOOK = PROJECT_DIR / "data" / "benchmark" / "online_retail_II.xlsx"
RESULTS = PROJECT_DIR / "benchmarks" / "results" / "workbook_landing.md"
TARGET_SECONDS = 30.0


def make_workbook(csv: Path, out: Path) -> Path:
    """The UCI layout of the workbook: a sheet per year of the invoice date."""
    lines = pd.read_csv(csv, dtype=str)
    years = lines["InvoiceDate"].str[:4]
    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for year in sorted(years.unique()):
            lines.loc[years == year].to_excel(writer, sheet_name=f"Year {year}", index=False)
    return out


def read_with_openpyxl(path: Path) -> int:
    with pd.ExcelFile(path, engine="openpyxl") as workbook:
        return sum(len(workbook.parse(name, dtype=str)) for name in workbook.sheet_names)


def timed(label: str, run) -> tuple[float, object]:
    print(f"{label} ...", flush=True)
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.1f}s", flush=True)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workbook", type=Path, default=DEFAULT_WORKBOOK)
    args = parser.parse_args()
    workbook = args.workbook
    if not workbook.exists():
        if not SHARED_CSV.exists():
            raise SystemExit(f"no workbook at {workbook} and no {SHARED_CSV} to make one from")
        timed(f"making {workbook} from {SHARED_CSV.name}", lambda: make_workbook(SHARED_CSV, workbook))
    out = workbook.with_suffix(".landed.parquet")
    calamine_seconds, landed = timed(
        "landing with python-calamine", lambda: land.land(workbook, out, progress=print)
    )
    openpyxl_seconds, rows = timed(
        "reading with openpyxl (the path it replaced)", lambda: read_with_openpyxl(workbook)
    )
    verdict = "met" if calamine_seconds < TARGET_SECONDS else "missed"
    table = "\n".join(
        [
            "# Landing the Online Retail II workbook",
            "",
            f"{date.today().isoformat()}, {platform.machine()}, {land.WORKBOOK_ENGINE} against openpyxl,"
            " one run each in one invocation (`python benchmarks/workbook_landing.py`).",
            "",
            "| reader | lines | seconds | target |",
            "|---|---|---|---|",
            f"| python-calamine, the whole landing (read, check, write parquet) | {landed.line_count:,} |"
            f" {calamine_seconds:.1f} | < {TARGET_SECONDS:.0f} s: {verdict} |",
            f"| openpyxl, reading the sheets only | {rows:,} | {openpyxl_seconds:.1f} | |",
            "",
            f"calamine / openpyxl: {calamine_seconds / openpyxl_seconds:.2f}",
            "",
        ]
    )
    RESULTS.write_text(table)
    print(table)


if __name__ == "__main__":
    main()
