{#- The features a stored centroid table was trained on, read from the table at run time. A macro,
    so a unit test of the scoring model can name them (overrides: macros) instead of querying a
    fixture, which is not a table. -#}
{% macro trained_features(centroids_relation) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set feature_rows = run_query(
        "select distinct feature from " ~ centroids_relation ~ " order by feature"
    ) -%}
    {{ return(feature_rows.columns[0].values() | list) }}
{%- endmacro %}
