"""Export the models trained by a DuckDB build as dbt seeds, for warehouses that cannot run them.

"Train on a sample, score in the warehouse": the Python models (KMeans and the new-customer
models) run where dbt can run Python (DuckDB here, Databricks, Snowflake). A warehouse that
cannot (dbt-spark on a plain Spark cluster) gets what they produced as data: the k diagnostics,
the centroids with their scaler parameters, the model versions that give them stable segment ids,
and the new-customer models' evaluation. There the
SQL model int_customers_scored_by_centroids assigns every customer from those seeds.

Each table becomes the seed ``<out>/trained_<table>.csv``, plus one properties file that types
every column and enables the seeds on Spark only, where models/segmentation/spark_stand_ins/ puts
each back under the Python model's name. Elsewhere the Python models themselves run, so a DuckDB
build never reads a stale export. Floats are written with Python's shortest round-trip repr, so the
warehouse reads back exactly the doubles DuckDB holds.

    python -m segmentation.export_trained_model --duckdb customer_segmentation.duckdb
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd
import yaml

__all__ = [
    "DEFAULT_OUT",
    "SEED_PREFIX",
    "TRAINED_TABLES",
    "export_trained_model",
    "main",
    "seed_column_type",
    "seed_properties",
    "write_seed_csv",
]

# The Python models whose output the SQL marts read: what a non-Python warehouse needs as seeds.
TRAINED_TABLES: tuple[str, ...] = (
    "segment_k_diagnostics",
    "segment_centroids",
    "segment_model_versions",
    "prediction_metrics",
)
# A seed path in dbt_project.yml; under data/, which git ignores: an export is a build artefact.
DEFAULT_OUT = Path("data/trained_model")
PROPERTIES_FILE = "_trained_model__seeds.yml"
SEED_PREFIX = "trained_"
# Seeds stand in for the Python models only where those cannot run (see dbt_project.yml).
SEED_ENABLED = "{{ target.type == 'spark' }}"

_TYPE_NAMES: Mapping[str, str] = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "integer",
    "TINYINT": "integer",
    "HUGEINT": "decimal(38,0)",
    "DOUBLE": "double",
    "FLOAT": "double",
    "BOOLEAN": "boolean",
    "VARCHAR": "string",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


def seed_column_type(duckdb_type: str) -> str:
    """The seed column type (valid in Spark SQL and DuckDB alike) for a DuckDB column type."""
    normalized = duckdb_type.strip().upper()
    if normalized.startswith("DECIMAL"):
        return normalized.lower().replace(" ", "")
    try:
        return _TYPE_NAMES[normalized]
    except KeyError:
        raise ValueError(f"no seed type for DuckDB type {duckdb_type!r}") from None


def _csv_value(value: object) -> object:
    # repr is the shortest text that reads back as the same double; inf and nan get the spellings
    # Spark and DuckDB both cast from text.
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    return value


def write_seed_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write `frame` as a seed CSV with exact floats; missing values become empty fields."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.astype(object).map(_csv_value).where(frame.notna(), "")
    text.to_csv(path, index=False)
    return path


def seed_properties(tables: Mapping[str, Mapping[str, str]], source: str) -> dict[str, object]:
    """dbt properties for the exported seeds: description, Spark-only enablement, column types.

    `tables` maps each table to its columns' DuckDB types; `source` names the build exported.
    """
    seeds = []
    for table, columns in tables.items():
        seeds.append(
            {
                "name": SEED_PREFIX + table,
                "description": (
                    f"The Python model {table} as trained by a DuckDB build ({source}), exported by "
                    "segmentation.export_trained_model. Used only where Python models cannot run "
                    "(dbt-spark); column meanings are the Python model's."
                ),
                "config": {
                    "enabled": SEED_ENABLED,
                    "column_types": {name: seed_column_type(kind) for name, kind in columns.items()},
                },
                "columns": [{"name": name, "description": f"As {table}.{name} there."} for name in columns],
            }
        )
    return {"version": 2, "seeds": seeds}


def export_trained_model(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    schema: str = "main",
    tables: Sequence[str] = TRAINED_TABLES,
    source: str = "DuckDB",
) -> list[Path]:
    """Write each table of `schema` as a seed in `out`, with its properties file; the paths written."""
    written: list[Path] = []
    typed: dict[str, dict[str, str]] = {}
    for table in tables:
        described = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        if not described:
            raise LookupError(f"table {schema}.{table} not found: build the project on DuckDB first")
        typed[table] = dict(described)
        frame = con.execute(f'select * from "{schema}"."{table}"').df()
        written.append(write_seed_csv(frame, out / f"{SEED_PREFIX}{table}.csv"))
    properties = out / PROPERTIES_FILE
    properties.write_text(
        "# Generated by segmentation.export_trained_model; do not edit, export again.\n"
        + yaml.safe_dump(seed_properties(typed, source), sort_keys=False, width=100)
    )
    written.append(properties)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb", type=Path, default=Path("customer_segmentation.duckdb"), help="warehouse")
    parser.add_argument("--schema", default="main", help="schema the DuckDB build wrote to")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="seed folder (a seed path)")
    args = parser.parse_args(argv)
    with duckdb.connect(str(args.duckdb), read_only=True) as con:
        written = export_trained_model(con, args.out, args.schema, source=args.duckdb.name)
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
