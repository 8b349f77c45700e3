"""Benchmark (not a test): the KMeans segment chain on a large synthetic customer base.

Runs exactly what the three dbt Python models run (segment_k_diagnostics, segment_centroids,
customer_segments) with a DuckDB round trip on each side, on N synthetic customers whose
features follow the synthetic generator's customer types. Reports wall time per step and the
process's peak memory as a table, and writes it to benchmarks/results/segment_model.md.

    python benchmarks/segment_model.py --customers 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from segmentation.clustering import (
    SegmentationConfig,
    assign_segments,
    build_k_diagnostics,
    chosen_k,
    fit_centroids,
)
from segmentation.pipeline import format_table

RESULTS = Path(__file__).resolve().parent / "results" / "segment_model.md"

# (share, median recency days, median invoices, median value per invoice) per customer type.
CUSTOMER_TYPES = {
    "wholesaler": (0.02, 10, 40, 900.0),
    "loyal": (0.15, 20, 12, 300.0),
    "occasional": (0.30, 120, 3, 250.0),
    "seasonal": (0.13, 60, 2, 200.0),
    "one_off": (0.20, 300, 1, 180.0),
    "churned": (0.15, 450, 4, 220.0),
    "new": (0.05, 30, 1, 200.0),
}


def synthetic_customers(n: int, seed: int = 42) -> pd.DataFrame:
    """A customers-mart-shaped frame with heavy-tailed, type-dependent R, F and M."""
    rng = np.random.default_rng(seed)
    shares = np.array([spec[0] for spec in CUSTOMER_TYPES.values()])
    kinds = rng.choice(len(shares), size=n, p=shares / shares.sum())
    specs = np.array([spec[1:] for spec in CUSTOMER_TYPES.values()])[kinds]
    recency = np.clip(rng.lognormal(np.log(specs[:, 0]), 0.6), 1, 738).astype(np.int64)
    frequency = np.maximum(1, rng.lognormal(np.log(specs[:, 1]), 0.5)).astype(np.int64)
    monetary = frequency * rng.lognormal(np.log(specs[:, 2]), 0.7)
    return pd.DataFrame(
        {
            "customer_id": [f"{i:07d}" for i in range(n)],
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary.round(2),
        }
    )


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    config = SegmentationConfig()
    con = duckdb.connect()
    timings: list[tuple[str, float]] = []

    def step(name: str, started: float) -> None:
        timings.append((name, time.perf_counter() - started))
        print(f"  {name}: {timings[-1][1]:.1f}s (peak {peak_memory_mib():,.0f} MiB)", file=sys.stderr)

    print(f"Segment chain on {args.customers:,} synthetic customers", file=sys.stderr)
    started = time.perf_counter()
    con.register("frame", synthetic_customers(args.customers))
    con.execute("create table customers as select * from frame")
    con.unregister("frame")
    step("make customers table", started)

    total_started = time.perf_counter()
    started = time.perf_counter()
    customers = con.execute("select * from customers").df()
    diagnostics = build_k_diagnostics(customers, config)
    step(f"segment_k_diagnostics (k {config.k_min}-{config.k_max})", started)

    started = time.perf_counter()
    centroids = fit_centroids(customers, config, chosen_k(diagnostics))
    con.register("centroids_frame", centroids)
    con.execute("create table segment_centroids as select * from centroids_frame")
    step("segment_centroids", started)

    started = time.perf_counter()
    stored = con.execute("select * from segment_centroids").df()
    segments = assign_segments(customers, stored, config)
    con.register("segments_frame", segments)
    con.execute("create table customer_segments as select * from segments_frame")
    step("customer_segments", started)
    total = time.perf_counter() - total_started

    chosen = diagnostics.loc[diagnostics["is_chosen"].astype(bool)].iloc[0]
    rows = [(name, round(seconds, 1)) for name, seconds in timings]
    rows.append(("three Python models, total", round(total, 1)))
    table = format_table(["step", "seconds"], rows)
    summary = (
        f"customers: {args.customers:,}; algorithm: {chosen['algorithm']}; chosen k: {int(chosen['k'])}; "
        f"peak memory: {peak_memory_mib():,.0f} MiB"
    )
    print(table)
    print(summary)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(f"# Segment model benchmark\n\n```\n{table}\n```\n\n{summary}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
