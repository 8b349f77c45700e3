{#- int_segment_model_schedule's rows from earlier builds, read before this build appends its own:
    none on the first build, with --full-refresh, and where the schedule is rebuilt whole (Spark).
    A lookup, not `this` as a unit-test input: dbt cannot unit-test an incremental model that reads
    `this` before the model exists, and unit tests run first in a build. Unit tests override it
    with rows of their own. -#}
{% macro stored_segment_model_builds() -%}
    {%- if not execute or flags.FULL_REFRESH or not incremental_lines_enabled() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier)) }}
{%- endmacro %}
