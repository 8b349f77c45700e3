"""Warehouse-agnostic input for the dbt Python models: pandas in, pandas out.

``dbt.ref()`` hands a Python model a different object on each warehouse: a DuckDB relation
(dbt-duckdb), a Spark DataFrame (dbt-databricks, or dbt-spark on a Databricks cluster) or a
Snowpark DataFrame (dbt-snowflake). The segmentation logic only knows pandas, so each model turns
its refs into pandas with :func:`to_pandas` and returns a pandas DataFrame, which every one of
those adapters accepts and writes back as a table.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["to_pandas"]

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
