{#-
    Var segment_history_snapshots: when the backfilled segment history is computed. A frequency
    ('month' or 'quarter': the day after every month or quarter end inside the data) or a list of
    dates in yyyy-mm-dd form. Checked here, once, before it is pasted into SQL.
-#}
{% macro segment_history_snapshot_spec() %}
    {%- set value = var('segment_history_snapshots') -%}
    {%- set frequencies = {'month': 1, 'quarter': 3} -%}
    {%- if value is string and value in frequencies -%}
        {{ return({'months_per_period': frequencies[value], 'dates': none}) }}
    {%- endif -%}
    {%- set example = "'month', 'quarter' or a list such as ['2011-01-01', '2011-07-01']" -%}
    {%- if value is string or value is mapping or value is not iterable or value | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var segment_history_snapshots=" ~ value ~ " must be " ~ example ~ "."
        ) }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for item in value -%}
        {%- set text = item | string -%}
        {%- if not (text | length == 10 and text[4] == '-' and text[7] == '-'
            and (text | replace('-', '')).isdigit()) -%}
            {{ exceptions.raise_compiler_error(
                "var segment_history_snapshots: item " ~ loop.index ~ " (" ~ item ~ ") is not a date in "
                ~ "yyyy-mm-dd form; it must be " ~ example ~ "."
            ) }}
        {%- endif -%}
        {%- do literals.append("date '" ~ text ~ "'") -%}
    {%- endfor -%}
    {{ return({'months_per_period': none, 'dates': literals}) }}
{% endmacro %}


{#-
    The incremental settings of the history models: each run replaces whole snapshot dates (the key
    is the date, not date x customer, so a customer who vanished from a recomputed date goes too).
    DuckDB deletes then inserts those dates; Spark overwrites their partitions.
-#}
{% macro segment_history_incremental_config() %}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
                   'partition_by': ['snapshot_date'], 'file_format': 'parquet', 'on_schema_change': 'fail'}) }}
    {%- endif -%}
    {#- A replaced, shorter log has fewer snapshot dates: rows of dates it no longer has must go, or
        the history would keep snapshots of a file that is gone. -#}
    {%- set drop_gone_dates -%}
        {% raw %}{% if is_incremental() %}delete from {{ this }} where snapshot_date not in
        (select snapshot_date from {{ ref('int_segment_snapshot_dates') }}){% endif %}{% endraw %}
    {%- endset -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
               'unique_key': 'snapshot_date', 'on_schema_change': 'fail', 'pre_hook': drop_gone_dates}) }}
{% endmacro %}


{#-
    The snapshot dates a run computes: on a full build all of them; on an incremental run those not
    yet in the table, those after the earliest line appended since the last build (a late line
    changes every later snapshot), plus the build's own date, which is always recomputed so the
    latest history is scored on the latest data even when the raw file was replaced with corrected
    lines.
-#}
{% macro segment_history_dates_to_compute(snapshot_dates_relation, snapshot_relation) %}
    select
        snapshot_date,
        is_build_snapshot
    from {{ snapshot_dates_relation }}
    {%- if is_incremental() %}
    where
        is_build_snapshot
        or snapshot_date not in (select distinct existing.snapshot_date from {{ this }} as existing)
        -- A line appended this build but dated before an earlier snapshot (a late line) changes it.
        or snapshot_date > (select earliest_new_line_date from {{ snapshot_relation }})
    {%- endif %}
{% endmacro %}
