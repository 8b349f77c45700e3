"""Not a test: how well each feature preset's segments recover the synthetic data's planted types.

    python -m segmentation.synthetic --out data/synthetic/online_retail_synthetic.csv.gz \
        --types-out /tmp/types.parquet
    (land it and dbt build into WAREHOUSE.duckdb), then
    python benchmarks/segment_truth.py WAREHOUSE.duckdb /tmp/types.parquet [--out FILE.md]

Runs the default k rule (segmentation.clustering.build_k_diagnostics) on the built
int_customer_features once per preset in FEATURE_PRESETS and writes, per preset and k, the ARI
against the planted customer_type beside the metrics the rule used, and the k it chose.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import duckdb
import pandas as pd

from segmentation.clustering import FEATURE_PRESETS, SegmentationConfig, build_k_diagnostics

COLUMNS = (
    "k",
    "silhouette",
    "smallest_segment_share",
    "stability_ari",
    "stability_ari_se",
    "seed_ari_min",
    "is_eligible",
    "planted_type_ari",
    "is_chosen",
)
RESULTS = Path(__file__).resolve().parent / "results" / "segment_truth.md"


def measure(customers: pd.DataFrame, planted: pd.DataFrame, preset: str) -> tuple[pd.DataFrame, float]:
    """The diagnostics of one preset (COLUMNS) and the seconds they took."""
    config = dataclasses.replace(SegmentationConfig(), feature_preset=preset)
    started = time.perf_counter()
    diagnostics = build_k_diagnostics(customers, config, planted)
    return diagnostics.loc[:, list(COLUMNS)], time.perf_counter() - started


def summary(preset: str, table: pd.DataFrame, seconds: float) -> str:
    chosen = table.loc[table["is_chosen"]].iloc[0]
    best = table.loc[table["planted_type_ari"].idxmax()]
    return (
        f"### {preset}: {', '.join(FEATURE_PRESETS[preset])}\n\n"
        f"Chosen k = {int(chosen['k'])}, planted-type ARI {chosen['planted_type_ari']:.3f}; best k in the "
        f"range = {int(best['k'])} (ARI {best['planted_type_ari']:.3f}); gap "
        f"{best['planted_type_ari'] - chosen['planted_type_ari']:.3f}. k search {seconds:.1f} s.\n\n"
        f"{markdown(table.round(3))}\n"
    )


def markdown(table: pd.DataFrame) -> str:
    """A pipe table (pandas' to_markdown needs tabulate, which the project does not install)."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("types", type=Path)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        customers = con.sql("select * from int_customer_features").df()
    planted = pd.read_parquet(args.types)
    parts = ["# Segments against the planted customer types (synthetic default)\n"]
    for preset in FEATURE_PRESETS:
        table, seconds = measure(customers, planted, preset)
        parts.append(summary(preset, table, seconds))
        print(parts[-1], flush=True)
    args.out.write_text("\n".join(parts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
