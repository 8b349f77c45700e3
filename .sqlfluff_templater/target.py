"""Stand-in for dbt's `target` while sqlfluff renders models: sqlfluff lints the DuckDB SQL."""

type = "duckdb"  # noqa: A001 - the attribute dbt's target has
