"""Rules for what this project promises about its models, where dbt-score's generic rules do not fit.

The generic `has_owner` and `has_example_sql` are disabled in pyproject.toml: one team owns every
model, and ownership is declared where readers depend on the marts (the exposures, which dbt-score
checks); example queries live in the semantic layer and the README (`mf query`), where they are
run and tested, instead of in descriptions where they would go stale.
"""

from dbt_score import Model, RuleViolation, Severity, rule

# The public layer readers may use (dashboards, the report, the publication).
MARTS_FOLDER = "models/marts/"


def _is_mart(model: Model) -> bool:
    return model.original_file_path.startswith(MARTS_FOLDER)


@rule(severity=Severity.HIGH)
def public_marts_have_enforced_contracts(model: Model) -> RuleViolation | None:
    """A mart in models/marts carries an enforced contract, so its columns and types stay stable."""
    if _is_mart(model) and not model.config.get("contract", {}).get("enforced"):
        return RuleViolation(message="Mart without an enforced contract.")
    return None


@rule(severity=Severity.HIGH)
def model_has_a_data_test(model: Model) -> RuleViolation | None:
    """Every model has at least one data test, on the model or on a column."""
    if not model.tests and not any(column.tests for column in model.columns):
        return RuleViolation(message="Model has no data test.")
    return None


@rule
def mart_columns_declare_data_types(model: Model) -> RuleViolation | None:
    """Every column of a mart declares its data type (the contract, and BI tools, read it)."""
    if not _is_mart(model):
        return None
    untyped = [column.name for column in model.columns if not column.data_type]
    if untyped:
        return RuleViolation(message=f"Columns without a data type: {', '.join(untyped)}.")
    return None
