{% macro incremental_lines_enabled() -%}
    {#- DuckDB builds the line-level models incrementally. dbt-spark's incremental strategies other
        than append need Delta or Iceberg tables, which a local Spark session does not have, so
        there these models are rebuilt whole (identical tables, as make spark-compare checks). -#}
    {{- return(target.type == 'duckdb') -}}
{%- endmacro %}


{% macro line_model_config(strategy, unique_key=none) %}
    {#- The config of every incremental line model: `strategy` (append, or delete+insert on
        `unique_key`), no silent schema drift, and the pre-hook that empties the table when the
        build cannot append (rebuild_when_not_appending); a table where incremental_lines_enabled
        is false. -#}
    {#- Rendered when the hook runs, not here. -#}
    {%- set rebuild_hook -%}{% raw %}{{ rebuild_when_not_appending() }}{% endraw %}{%- endset -%}
    {%- set settings = {
        'materialized': 'incremental' if incremental_lines_enabled() else 'table',
        'incremental_strategy': strategy,
        'on_schema_change': 'fail',
        'pre_hook': rebuild_hook,
    } -%}
    {%- if unique_key is not none -%}
        {%- do settings.update({'unique_key': unique_key}) -%}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}


{% macro built_lines_watermark() %}
    {#- The decision int_snapshot_date makes when a build starts, recorded as its
        built_through_source_row_number for the other line models (this_build_watermark): the
        largest source_row_number an earlier build classified, whose lines above it are new, as
        every line at or below it is already in int_transaction_lines_classified. Row numbers only
        grow as a log is appended to (segmentation.appends lands a new file from N + 1), so "new"
        needs no load timestamps. none: this build classifies every line (the first build,
        --full-refresh, a unit test, a warehouse that rebuilds the line tables each time, or a
        source that no longer holds the classified lines). The classified table is looked up, not
        ref()'d: int_snapshot_date runs before it, and a ref() would make a cycle. -#}
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
    {%- if watermark is none -%}
        {{ return(0) }}
    {%- endif -%}
    {{ return(watermark if source_still_holds_classified_lines(source_relation, classified, watermark) else none) }}
{% endmacro %}


{% macro source_still_holds_classified_lines(source_relation, classified, watermark) %}
    {#- A replaced source (a new export of the whole log, a shorter file) must not be taken for an
        appended one. Cheap checks, as the point is not to read every line: the source has as many
        lines up to the watermark as were classified, and the first and last lines of that range
        (lines_compared_for_replacement each) read as they were classified. -#}
    {%- set sample = var('lines_compared_for_replacement') | int -%}
    {%- set fingerprint = 'hash(source_row_number, invoiced_at, customer_id, quantity, unit_price)' -%}
    {%- set in_sample = 'source_row_number <= ' ~ sample ~ ' or source_row_number > ' ~ (watermark - sample) -%}
    {#- Looked up, not ref()'d, like the classified lines (built_lines_watermark). -#}
    {%- set staged = adapter.get_relation(
        database=classified.database, schema=classified.schema, identifier='stg_retail__transactions'
    ) -%}
    {%- if staged is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set check -%}
        with
        source_lines as (
            select count(*) as line_count from {{ source_relation }}
            where source_row_number <= {{ watermark }}
        ),
        classified_lines as (
            select count(*) as line_count from {{ classified }}
        ),
        source_sample as (
            select {{ fingerprint }} as line_hash from {{ staged }}
            where source_row_number <= {{ watermark }} and ({{ in_sample }})
        ),
        classified_sample as (
            select {{ fingerprint }} as line_hash from {{ classified }}
            where {{ in_sample }}
        ),
        differing as (
            select count(*) as line_count from (
                (select line_hash from source_sample except all select line_hash from classified_sample)
                union all
                (select line_hash from classified_sample except all select line_hash from source_sample)
            ) as differences
        )
        select
            source_lines.line_count = classified_lines.line_count and differing.line_count = 0 as holds
        from source_lines cross join classified_lines cross join differing
    {%- endset -%}
    {{ return(run_query(check).columns[0].values()[0]) }}
{% endmacro %}


{% macro own_watermark(column) %}
    {#- The largest `column` of this model's own table from an earlier build, for a model whose rows
        carry the highest source_row_number they were built from (invoices, customer products); none
        when the model is built whole (see built_lines_watermark). -#}
    {%- if this_build_watermark() is none or not is_incremental() -%}
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
        append (this_build_watermark is none: the source was replaced or lost its row numbers, or
        the classified lines are gone), empty it, so the model's select of every line rebuilds it instead of
        adding every line a second time. -#}
    {%- if execute and is_incremental() and this_build_watermark() is none -%}
        delete from {{ this }}
    {%- endif -%}
{% endmacro %}


{% macro this_build_watermark() %}
    {#- The watermark this build appends above, as int_snapshot_date decided it when the build
        started (built_lines_watermark, with its checks of the source): every line model and test
        reads the one decision, although the classified table grows during the build. none: this
        build rebuilds every line. -#}
    {%- if not execute or not incremental_lines_enabled() or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if model is not defined or model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set snapshot = adapter.get_relation(
        database=target.database, schema=target.schema, identifier='int_snapshot_date'
    ) -%}
    {%- if snapshot is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set started = run_query('select built_through_source_row_number from ' ~ snapshot).columns[0].values()[0] -%}
    {{ return(started if started else none) }}
{% endmacro %}


{% macro tested_lines_after(row_number='source_row_number') -%}
    {#- For a test of an append-only line table: the lines this build added (all on a full build).
        The earlier lines are unchanged since the build that added and tested them, so checking the
        new ones keeps a whole-table property (unique row numbers, a reconciliation) exact. -#}
    {{- return(lines_after(this_build_watermark(), row_number)) -}}
{%- endmacro %}


{% macro stored_table_when_appending(columns) %}
    {#- A table model's own table from an earlier build, for a model that takes the rows an
        appended build does not recompute from it (int_customer_features): the relation, or none
        when this build rebuilds every line (this_build_watermark), the table is not there yet, or
        it lacks one of `columns` (a version of the project before them). Looked up, not `this`
        as such: a table model is not incremental, so is_incremental() says nothing of it. -#}
    {%- if this_build_watermark() is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stored = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if stored is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(none if columns_missing_from(stored, columns) else stored) }}
{% endmacro %}


{% macro columns_missing_from(relation, columns) %}
    {#- Which of `columns` a stored `relation` lacks (lower case): a table an earlier version of the
        project wrote has none of the columns added since. -#}
    {%- set stored_columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(columns | map('lower') | reject('in', stored_columns) | list) }}
{% endmacro %}
