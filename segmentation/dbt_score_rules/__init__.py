"""This project's own dbt-score rules (`make lint` runs dbt-score with them; see [tool.dbt-score])."""
