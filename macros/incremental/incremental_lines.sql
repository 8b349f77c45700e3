{% macro incremental_lines_enabled() -%}
    {#- DuckDB builds the line-level models incrementally. dbt-spark's incremental strategies other
        than append need Delta or Iceberg tables, which a local Spark session does not have, so
        there these models are rebuilt whole (identical tables, as make spark-compare checks). -#}
    {{- return(target.type == 'duckdb') -}}
{%- endmacro %}


{% macro line_model_materialization() -%}
    {{- return('incremental' if incremental_lines_enabled() else 'table') -}}
{%- endmacro %}


{% macro built_lines_watermark() %}
    {#- The largest source_row_number an earlier build classified: the lines above it are new, and
        every line at or below it is already in int_transaction_lines_classified. Row numbers only
        grow as a log is appended to (segmentation.appends lands a new file from N + 1), so "new"
        needs no load timestamps. none: this build classifies every line (the first build,
        --full-refresh, a unit test, or a warehouse that rebuilds the line tables each time).

        The classified table is looked up, not ref()'d: the models that run before it in the same
        build (duplicates, the snapshot date) must see its previous contents, and a ref() would make
        a cycle. -#}
    {%- if not execute or flags.FULL_REFRESH or not incremental_lines_enabled() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if model is not defined or model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- endif -%}
    {#- Lines numbered in staging (a warehouse table without source_row_number) are numbered by
        their values, so an appended line can take an earlier line's number: rebuild. -#}
    {%- set source_relation = api.Relation.create(
        database=target.database, schema=var('raw_source_schema'), identifier=var('raw_source_table')
    ) -%}
    {%- set source_columns = adapter.get_columns_in_relation(source_relation) | map(attribute='name')
        | map('lower') | list -%}
    {%- if 'source_row_number' not in source_columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set classified = adapter.get_relation(
        database=this.database, schema=this.schema, identifier='int_transaction_lines_classified'
    ) -%}
    {%- if classified is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermark = run_query('select max(source_row_number) from ' ~ classified).columns[0].values()[0] -%}
    {{ return(watermark if watermark is not none else 0) }}
{% endmacro %}


{% macro own_watermark(column) %}
    {#- The largest `column` of this model's own table from an earlier build, for a model whose rows
        carry the highest source_row_number they were built from (invoices, customer products); none
        when the model is built whole (see built_lines_watermark). -#}
    {%- if built_lines_watermark() is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermark = run_query('select max(' ~ column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {{ return(watermark if watermark is not none else 0) }}
{% endmacro %}


{% macro lines_after(watermark, row_number='source_row_number') -%}
    {#- The filter of the new lines; a literal, so that DuckDB skips the landed parquet row groups
        and the table's row groups below it by their min/max statistics. -#}
    {{- row_number ~ ' > ' ~ watermark if watermark is not none else 'true' -}}
{%- endmacro %}


{% macro rebuild_when_not_appending() %}
    {#- A pre-hook of the incremental line models: when the table exists but this build cannot
        append (built_lines_watermark is none: the source lost its row numbers, or the classified
        lines are gone), empty it, so the model's select of every line rebuilds it instead of
        adding every line a second time. -#}
    {%- if execute and is_incremental() and built_lines_watermark() is none -%}
        delete from {{ this }}
    {%- endif -%}
{% endmacro %}


{% macro tested_lines_after(row_number='source_row_number') -%}
    {#- For a test of an append-only line table: the lines this build added (all on a full build).
        The earlier lines are unchanged since the build that added and tested them, so checking the
        new ones keeps a whole-table property (unique row numbers, a reconciliation) exact. Read
        when the test runs, after the models: int_snapshot_date says where this build started. -#}
    {%- if not execute or not incremental_lines_enabled() -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set snapshot = adapter.get_relation(
        database=target.database, schema=target.schema, identifier='int_snapshot_date'
    ) -%}
    {%- if snapshot is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set started = run_query('select built_through_source_row_number from ' ~ snapshot).columns[0].values()[0] -%}
    {{ return(lines_after(started if started else none, row_number)) }}
{%- endmacro %}
