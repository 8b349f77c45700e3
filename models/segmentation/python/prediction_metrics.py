"""Cross-validated metrics of every new-customer model candidate beside honest baselines."""

from segmentation.prediction import config_from_mapping, evaluate_models
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_mapping(dbt.config.get("prediction"))
    first_purchases = to_pandas(dbt.ref("int_customer_first_purchases"))
    return evaluate_models(first_purchases, config)
