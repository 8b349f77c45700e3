{#- int_segment_model_schedule's rows from earlier builds, read before this build appends its own:
    none on the first build, with --full-refresh, and where the schedule is rebuilt whole (Spark).
    A lookup, not `this` as a unit-test input: dbt cannot unit-test an incremental model that reads
    `this` before the model exists, and unit tests run first in a build. Unit tests override it
    with rows of their own. -#}
{% macro stored_segment_model_builds() -%}
    {%- if not execute or flags.FULL_REFRESH or not incremental_lines_enabled() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stored = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if stored is not none -%}
        {#- A table an earlier version of the project wrote lacks the columns added since: the model
            reads them by name, and the warehouse's own error ("column not found") says nothing of
            what to do. The documented columns are the model's. -#}
        {%- set missing = columns_missing_from(stored, model.columns.keys() | list) -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                stored ~ ' was built by an earlier version of this project and lacks column(s) '
                ~ missing | join(', ') ~ ': rebuild it with `dbt build --full-refresh` (the trained models'
                ~ ' are then retrained).'
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(stored) }}
{%- endmacro %}
