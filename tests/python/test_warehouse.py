"""segmentation.warehouse: one input for the Python models, whatever the warehouse, and the stored
tables a build that reuses its trained models returns."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import pytest

from segmentation.warehouse import retrains, stored_unless_retraining, to_pandas

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


def _schedule(*rows: tuple[int, bool]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["build_number", "retrains"])


def test_the_latest_build_decides_whether_to_retrain() -> None:
    # Rows in any order: the largest build number is this build's.
    assert retrains(_schedule((2, False), (3, True), (1, True)))
    assert not retrains(_schedule((3, False), (1, True), (2, True)))
    with pytest.raises(ValueError, match="int_segment_model_schedule is empty"):
        retrains(_schedule())


@dataclass
class Relation:
    """What dbt.this gives a Python model: schema, identifier, and the quoted name as its text."""

    schema: str
    identifier: str

    def __str__(self) -> str:
        return f'"{self.schema}"."{self.identifier}"'


def test_a_reusing_build_returns_the_stored_table_and_a_retraining_one_nothing() -> None:
    con = duckdb.connect()
    con.register("trained", FRAME)
    con.execute("create table segment_centroids as select * from trained")
    stored = Relation("main", "segment_centroids")
    pd.testing.assert_frame_equal(stored_unless_retraining(_schedule((1, False)), stored, con), FRAME)
    assert stored_unless_retraining(_schedule((1, True)), stored, con) is None
    # Nothing stored (a table dropped by hand): the model trains.
    assert (
        stored_unless_retraining(_schedule((1, False)), Relation("main", "prediction_metrics"), con) is None
    )
