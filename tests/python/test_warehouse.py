"""segmentation.warehouse.to_pandas: one input for the Python models, whatever the warehouse."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from segmentation.warehouse import to_pandas

FRAME = pd.DataFrame({"customer_id": ["1", "2"], "monetary": [10.5, 3.0]})


class FakeSparkDataFrame:
    """What dbt-databricks hands a Python model: pyspark's DataFrame has toPandas()."""

    def toPandas(self) -> pd.DataFrame:  # noqa: N802 - pyspark's name
        return FRAME.copy()


class FakeSnowparkDataFrame:
    """What dbt-snowflake hands a Python model: Snowpark's DataFrame has to_pandas()."""

    def to_pandas(self) -> pd.DataFrame:
        return FRAME.copy()


def test_pandas_passes_through_unchanged() -> None:
    assert to_pandas(FRAME) is FRAME


def test_duckdb_relation() -> None:
    con = duckdb.connect()
    con.register("customers", FRAME)
    pd.testing.assert_frame_equal(to_pandas(con.sql("select * from customers order by customer_id")), FRAME)


@pytest.mark.parametrize(
    "relation", [FakeSparkDataFrame(), FakeSnowparkDataFrame()], ids=["spark", "snowpark"]
)
def test_spark_and_snowpark_dataframes(relation: object) -> None:
    pd.testing.assert_frame_equal(to_pandas(relation), FRAME)


def test_unknown_object_is_named_in_the_error() -> None:
    with pytest.raises(TypeError, match="cannot turn builtins.list into pandas"):
        to_pandas([1, 2])


def test_a_converter_that_does_not_return_pandas_is_an_error() -> None:
    class Odd:
        def df(self) -> list[int]:
            return [1]

    with pytest.raises(TypeError, match=r"Odd.df\(\) returned list"):
        to_pandas(Odd())
