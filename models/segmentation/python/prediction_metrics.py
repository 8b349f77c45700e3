"""Cross-validated metrics of every new-customer model candidate beside honest baselines."""

from segmentation.prediction import config_from_mapping, evaluate_models
from segmentation.warehouse import stored_unless_retraining, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    # A daily build scores with the model an earlier build trained (int_segment_model_schedule).
    stored = stored_unless_retraining(dbt.ref("int_segment_model_schedule"), dbt.this, session)
    if stored is not None:
        return stored
    config = config_from_mapping(dbt.config.get("prediction"))
    first_purchases = to_pandas(dbt.ref("int_customer_first_purchases"))
    return evaluate_models(first_purchases, config)
