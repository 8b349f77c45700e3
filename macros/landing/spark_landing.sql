{#
    Spark's landing of the raw file (dispatched from land_raw_transactions): the same relation
    `raw.retail_transactions` as on DuckDB, every column as text plus `source_row_number`.

    Spark cannot attach a file as a schema-qualified view the way DuckDB's read_csv() does (a
    permanent view may not read a temporary one), so the file is read through a temporary view and
    copied once into a parquet table. The copy also fixes the row numbers: they are computed once,
    in file order, instead of again by every query that reads the source.

    Spark's SQL runs one statement per call, so each statement goes through run_query and the hook
    itself returns nothing more to run.
#}
{% macro spark__land_raw_transactions(path) %}
    {%- set lowered = path | lower -%}
    {%- if lowered.endswith('.parquet') -%}
        {%- set file_format = 'parquet' -%}
        {%- set options = {'path': path} -%}
    {%- elif lowered.endswith(('.csv', '.csv.gz', '.tsv', '.tsv.gz', '.txt', '.txt.gz')) -%}
        {%- set encodings = {'utf-8': 'UTF-8', 'utf8': 'UTF-8', 'latin-1': 'ISO-8859-1', 'latin1': 'ISO-8859-1',
            'utf-16': 'UTF-16'} -%}
        {%- set encoding = var('raw_csv_encoding') | lower -%}
        {%- if encoding not in encodings -%}
            {{ exceptions.raise_compiler_error(
                "var raw_csv_encoding='" ~ encoding ~ "' is not supported; use utf-8, latin-1 or utf-16."
            ) }}
        {%- endif -%}
        {%- set file_format = 'csv' -%}
        {#- As DuckDB reads it: RFC 4180 quoting ("" inside quotes), newlines allowed inside quotes,
            every field as text (no schema inference), and a malformed line fails the load. -#}
        {%- set options = {
            'path': path,
            'header': 'true',
            'sep': '\t' if '.tsv' in lowered else ',',
            'encoding': encodings[encoding],
            'quote': '"',
            'escape': '"',
            'multiLine': 'true',
            'mode': 'FAILFAST',
        } -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Raw transactions file '" ~ path ~ "' has an unsupported extension for Spark: use .csv, .csv.gz, "
            ~ ".tsv or .parquet (or .xlsx through `python -m segmentation.land`)."
        ) }}
    {%- endif -%}

    {%- set file_view = 'retail_transactions_file' -%}
    {%- set option_list = [] -%}
    {%- for key, value in options.items() -%}
        {%- do option_list.append(key ~ ' ' ~ string_literal(value)) -%}
    {%- endfor -%}
    {%- do run_query(
        "create or replace temporary view " ~ file_view ~ " using " ~ file_format
        ~ " options (" ~ option_list | join(', ') ~ ")"
    ) -%}
    {%- set columns = run_query("select * from " ~ file_view ~ " limit 0").column_names -%}

    {#- Must match the `retail` source in models/staging/retail/_retail__sources.yml. -#}
    {%- set source_relation = api.Relation.create(schema='raw', identifier='retail_transactions') -%}
    {%- do run_query("create schema if not exists " ~ source_relation.schema) -%}
    {%- do run_query("drop table if exists " ~ source_relation) -%}
    {#- A single file is read in order, partition after partition: the increasing id keeps that
        order, and row_number() turns it into 1, 2, 3, ... as on DuckDB. -#}
    {%- set landing_sql -%}
        create table {{ source_relation }} using parquet as
        select
            cast(row_number() over (order by monotonically_increasing_id()) as bigint) as source_row_number,
            {%- for column in columns %}
            cast({{ adapter.quote(column) }} as string) as {{ adapter.quote(column) }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ file_view }}
    {%- endset -%}
    {%- do run_query(landing_sql) -%}
    {{ return('') }}
{% endmacro %}
