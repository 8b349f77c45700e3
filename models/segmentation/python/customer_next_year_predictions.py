"""Next-year purchases and final segment predicted for customers without a full year of history."""

from segmentation.prediction import config_from_mapping, predict_new_customers
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_mapping(dbt.config.get("prediction"))
    first_purchases = to_pandas(dbt.ref("int_customer_first_purchases"))
    # The cross-validated scores decide which candidate predicts each target.
    metrics = to_pandas(dbt.ref("prediction_metrics"))
    return predict_new_customers(first_purchases, config, metrics=metrics)
