{#
    Attaches the raw transaction file as the view `raw.retail_transactions`, the relation behind
    source('retail', 'transactions'). It runs as an on-run-start hook so that every dbt command
    (build, run, test, docs) sees the same file.

    Every column is landed as text: a bad value in one row (a non-numeric quantity, an odd date)
    must reach staging and be quarantined with a reason, instead of failing the whole load or being
    dropped by a CSV sniffer that guessed a numeric type from the first rows.

    An analytics engineer whose transactions already sit in a warehouse table sets the var
    `raw_transactions_path` to '' (this hook then does nothing) and points the `retail` source at
    that table.
#}
{% macro land_raw_transactions() %}
    {%- set path = raw_transactions_path() -%}
    {%- if not path -%}
        {{ return('') }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('land_raw_transactions', 'customer_segmentation')(path)) }}
{% endmacro %}


{% macro default__land_raw_transactions(path) %}
    {%- set lowered = path | lower -%}
    {%- if lowered.endswith('.xlsx') or lowered.endswith('.xls') -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' is a spreadsheet. dbt reads csv, csv.gz and parquet "
            ~ "directly; convert the workbook first with `python -m segmentation.land " ~ path
            ~ "` (it stacks all sheets into data/landed/), or run `make run INPUT=...`, which does it for you."
        ) }}
    {%- endif -%}

    {%- set found = run_query("select count(*) from glob(" ~ sql_string_literal(path) ~ ")").columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file not found: '" ~ path ~ "' (a relative path starts at the folder dbt "
            ~ "runs in). Set the var raw_transactions_path or the environment variable RETAIL_RAW_PATH, "
            ~ "or run `make run` to generate the synthetic default."
        ) }}
    {%- endif -%}

    {%- if lowered.endswith('.parquet') -%}
        {%- set reader = "read_parquet(" ~ sql_string_literal(path) ~ ", file_row_number = true)" -%}
        {%- set row_number = "file_row_number + 1" -%}
    {%- elif lowered.endswith('.csv') or lowered.endswith('.csv.gz') or lowered.endswith('.tsv')
        or lowered.endswith('.tsv.gz') or lowered.endswith('.txt') or lowered.endswith('.txt.gz') -%}
        {%- set encoding = var('raw_csv_encoding') | lower -%}
        {%- if encoding not in ['utf-8', 'utf8', 'latin-1', 'latin1', 'utf-16'] -%}
            {{ exceptions.raise_compiler_error(
                "var raw_csv_encoding='" ~ encoding ~ "' is not supported; use utf-8, latin-1 or utf-16."
            ) }}
        {%- endif -%}
        {%- set reader = "read_csv(" ~ sql_string_literal(path)
            ~ ", header = true, all_varchar = true, encoding = " ~ sql_string_literal(encoding)
            ~ ", null_padding = false, strict_mode = true)" -%}
        {%- set row_number = "row_number() over ()" -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' has an unsupported extension: use .csv, .csv.gz, "
            ~ ".tsv or .parquet (or .xlsx through `python -m segmentation.land`)."
        ) }}
    {%- endif -%}

    {#- Must match the `retail` source in models/staging/_retail__sources.yml. -#}
    {%- set source_relation = api.Relation.create(
        database=target.database, schema='raw', identifier='retail_transactions'
    ) -%}
    create schema if not exists {{ source_relation.schema }};
    create or replace view {{ source_relation }} as
    select
        cast({{ row_number }} as bigint) as source_row_number,
        columns(c -> c <> 'file_row_number')::varchar
    from {{ reader }};
{% endmacro %}


{% macro raw_transactions_path() %}
    {#- The environment variable wins so that a one-off run on another file needs no --vars. -#}
    {%- set path = env_var('RETAIL_RAW_PATH', '') or var('raw_transactions_path') -%}
    {%- if path and "'" in path -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions path " ~ path ~ " contains a single quote; rename the file or folder."
        ) }}
    {%- endif -%}
    {{ return(path) }}
{% endmacro %}


{% macro sql_string_literal(text) %}
    {{- return("'" ~ (text | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}
