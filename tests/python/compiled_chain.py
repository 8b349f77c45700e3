"""The project's own staging and classification SQL, compiled by dbt once and replayed in DuckDB per file.

Each dbt start costs seconds of parsing, and a property test reads hundreds of files. The SQL dbt
compiles depends on the landed file only through its columns' names and types (macros
resolve_retail_layout and retail_layout_kinds), so `CompiledChains` asks dbt to compile the models up
to TARGET once per landed schema, and runs that compiled SQL, model by model in dependency order, in
a fresh in-memory database for each landed file, beside copies of the seeds dbt loaded. What is
replayed is exactly what `dbt build --select +TARGET` would run; dbt's own data tests are not (the
property tests check more, against the file itself).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from segmentation import dbt_runner
from tests.python.conftest import dbt_invocation

TARGET = "transaction_line_outcomes"
# Must match the `retail` source (models/staging/retail/_retail__sources.yml), as the landing hook does.
SOURCE_SCHEMA, SOURCE_TABLE = "raw", "retail_transactions"
WAREHOUSE_NAME = "warehouse"


@dataclass(frozen=True)
class Chain:
    """Compiled SQL of the models up to TARGET for one landed schema, and where its seeds are."""

    seeds_warehouse: Path
    seeds: tuple[str, ...]
    # (relation name as compiled, materialization, compiled SQL), parents before children.
    models: tuple[tuple[str, str, str], ...]


def schema_of(landed: Path) -> tuple[tuple[str, str], ...]:
    """The landed file's column names and types: all the compiled SQL depends on."""
    with duckdb.connect() as con:
        return tuple(
            (name, kind)
            for name, kind, *_ in con.execute(f"describe from read_parquet('{landed}')").fetchall()
        )


def attach_source(con: duckdb.DuckDBPyConnection, landed: Path) -> None:
    """The landed file as the `retail` source, as the land_raw_transactions hook attaches it."""
    con.execute(f"create schema if not exists {SOURCE_SCHEMA}")
    con.execute(
        f"create or replace view {SOURCE_SCHEMA}.{SOURCE_TABLE} as select * from read_parquet('{landed}')"
    )


def upstream_models(manifest: dict, target: str) -> list[str]:
    """Unique ids of `target` and every model it reads, parents before children."""
    ordered: list[str] = []

    def visit(unique_id: str) -> None:
        if unique_id in ordered:
            return
        for parent in manifest["nodes"][unique_id]["depends_on"]["nodes"]:
            if parent.startswith("model."):
                visit(parent)
        ordered.append(unique_id)

    visit(
        next(
            uid
            for uid, node in manifest["nodes"].items()
            if uid.startswith("model.") and node["name"] == target
        )
    )
    return ordered


def dbt_or_fail(command: list[str], landed: Path, warehouse: Path) -> None:
    run = dbt_runner.run(dbt_invocation(command, landed, warehouse))
    if not run.succeeded:
        raise RuntimeError(f"dbt {' '.join(command)} failed:\n{run.output[-4000:]}")


def compile_chain(landed: Path, root: Path, seeds_warehouse: Path) -> Chain:
    """Compile the models up to TARGET against `landed`'s schema; the seeds are in `seeds_warehouse`."""
    root.mkdir(parents=True, exist_ok=True)
    warehouse = root / f"{WAREHOUSE_NAME}.duckdb"
    # `dbt compile` runs no on-run-start hook, and staging's layout macros read the source's columns.
    with duckdb.connect(str(warehouse)) as con:
        attach_source(con, landed)
    dbt_or_fail(["compile", "--select", f"+{TARGET}"], landed, warehouse)
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    models = tuple(
        (node["relation_name"], node["config"]["materialized"], node["compiled_code"])
        for node in (manifest["nodes"][uid] for uid in upstream_models(manifest, TARGET))
    )
    seeds = tuple(node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "seed")
    return Chain(seeds_warehouse, seeds, models)


@dataclass
class CompiledChains:
    """One compiled chain per landed schema, compiled on first use (thread-safe), under `root`."""

    root: Path
    chains: dict[tuple[tuple[str, str], ...], Chain] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def chain_for(self, landed: Path) -> Chain:
        schema = schema_of(landed)
        with self.lock:
            if schema not in self.chains:
                # The seeds are the same for every schema: loaded once, by the first compile's dbt.
                seeds_warehouse = self.root / "seeds" / f"{WAREHOUSE_NAME}.duckdb"
                if not seeds_warehouse.exists():
                    seeds_warehouse.parent.mkdir(parents=True)
                    dbt_or_fail(["seed"], landed, seeds_warehouse)
                self.chains[schema] = compile_chain(
                    landed, self.root / f"schema{len(self.chains)}", seeds_warehouse
                )
            return self.chains[schema]

    def run(self, landed: Path) -> duckdb.DuckDBPyConnection:
        """A connection to an in-memory warehouse holding every model up to TARGET built on `landed`.

        dbt's errors about the data (macro raise_error, e.g. "Bad input: ... no date parses") come as
        duckdb errors with the same message.
        """
        chain = self.chain_for(landed)
        con = duckdb.connect()
        con.execute(f"attach '{chain.seeds_warehouse}' as seeds (read_only)")
        con.execute(f"attach ':memory:' as {WAREHOUSE_NAME}")
        con.execute(f"use {WAREHOUSE_NAME}")
        for seed in chain.seeds:
            con.execute(f'create table main."{seed}" as select * from seeds.main."{seed}"')
        attach_source(con, landed)
        for relation, materialized, sql in chain.models:
            con.execute(f"create {'view' if materialized == 'view' else 'table'} {relation} as {sql}")
        return con
