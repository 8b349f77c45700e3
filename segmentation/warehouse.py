"""Warehouse-agnostic input for the dbt Python models: pandas in, pandas out.

``dbt.ref()`` hands a Python model a different object on each warehouse: a DuckDB relation
(dbt-duckdb), a Spark DataFrame (dbt-databricks, or dbt-spark on a Databricks cluster) or a
Snowpark DataFrame (dbt-snowflake). The segmentation logic only knows pandas, so each model turns
its refs into pandas with :func:`to_pandas` and returns a pandas DataFrame, which every one of
those adapters accepts and writes back as a table.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["retrains", "stored_table", "stored_unless_retraining", "to_pandas"]

# Tried in order. Spark's method is toPandas; Snowpark (and pyarrow, polars) say to_pandas; a DuckDB
# relation says df. Asking for the method, not the class, keeps this module free of every
# warehouse's client library, none of which the others have installed.
_CONVERTERS: tuple[str, ...] = ("toPandas", "to_pandas", "df")


def to_pandas(relation: object) -> pd.DataFrame:
    """The rows of a warehouse relation (or DataFrame) as a pandas DataFrame.

    A pandas DataFrame is returned as it is. Raises TypeError, naming the type, for anything that
    has none of the known conversion methods.
    """
    if isinstance(relation, pd.DataFrame):
        return relation
    for name in _CONVERTERS:
        convert = getattr(relation, name, None)
        if callable(convert):
            frame = convert()
            if not isinstance(frame, pd.DataFrame):
                kind = type(frame).__name__
                raise TypeError(f"{type(relation).__name__}.{name}() returned {kind}, not a pandas DataFrame")
            return frame
    raise TypeError(
        f"cannot turn {type(relation).__module__}.{type(relation).__name__} into pandas: "
        f"expected a pandas, DuckDB, Spark or Snowpark DataFrame (a method among {', '.join(_CONVERTERS)})"
    )


def stored_table(this: object, session: object) -> pd.DataFrame | None:
    """The table a Python model's earlier build left (``this`` is dbt.this), read before this build
    replaces it; None when there is none. DuckDB's information schema (dbt-duckdb's session)."""
    schema, name = (str(part).replace("'", "''") for part in (this.schema, this.identifier))
    found = to_pandas(
        session.sql(
            "select count(*) as tables from information_schema.tables"
            f" where table_schema = '{schema}' and table_name = '{name}'"
        )
    )
    return to_pandas(session.sql(f"select * from {this}")) if int(found["tables"].iloc[0]) else None


def retrains(schedule: pd.DataFrame) -> bool:
    """Whether this build retrains the models: the latest row of int_segment_model_schedule."""
    if schedule.empty:
        raise ValueError("int_segment_model_schedule is empty: it holds one row per build")
    return bool(schedule.loc[schedule["build_number"].idxmax(), "retrains"])


def stored_unless_retraining(schedule: object, this: object, session: object) -> pd.DataFrame | None:
    """A trained model's stored table when this build reuses the stored models (``schedule``:
    dbt.ref of int_segment_model_schedule); None when it retrains, or when nothing is stored (a
    table dropped by hand), so that the model trains."""
    return None if retrains(to_pandas(schedule)) else stored_table(this, session)
