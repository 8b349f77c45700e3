{% macro land_raw_transactions() %}
    {%- set path = landed_transactions_path() -%}
    {%- if not path or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {#- The relation of the `retail` source (models/staging/retail/_retail__sources.yml). -#}
    {%- set source_relation = api.Relation.create(
        database=target.database if target.type != 'spark' else none,
        schema=var('raw_source_schema'),
        identifier=var('raw_source_table'),
    ) -%}
    {{ return(adapter.dispatch('land_raw_transactions', 'customer_segmentation')(path, source_relation)) }}
{% endmacro %}


{% macro default__land_raw_transactions(path, source_relation) %}
    {%- set found = run_query("select count(*) as found from glob(" ~ sql_string_literal(path) ~ ")") -%}
    {%- if found.rows[0]['found'] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "No landed transaction file at '" ~ path ~ "' (a relative path starts at the folder dbt runs in). "
            ~ "Land the raw file first: `python -m segmentation.land FILE` (`--help` lists the file types it "
            ~ "reads), or run `make run INPUT=FILE`, which lands it and builds; set RETAIL_LANDED_PATH or the "
            ~ "var raw_landed_path to use another landed file."
        ) }}
    {%- endif -%}
    create schema if not exists {{ source_relation.schema }};
    create or replace view {{ source_relation }} as
    select * from read_parquet({{ sql_string_literal(path) }});
{% endmacro %}


{% macro spark__land_raw_transactions(path, source_relation) %}
    {%- do run_query("create schema if not exists " ~ source_relation.schema) -%}
    {%- do run_query(
        "create or replace view " ~ source_relation ~ " as select * from parquet.`" ~ path ~ "`"
    ) -%}
    {{ return('') }}
{% endmacro %}


{% macro landed_transactions_path() %}
    {#- The environment variable wins so that a one-off run on another file needs no --vars. -#}
    {%- set path = env_var('RETAIL_LANDED_PATH', '') or var('raw_landed_path') -%}
    {%- if path and ("'" in path or "`" in path) -%}
        {{ exceptions.raise_compiler_error(
            "Landed transactions path " ~ path ~ " contains a quote or backtick; rename the file or folder."
        ) }}
    {%- endif -%}
    {{ return(path) }}
{% endmacro %}
