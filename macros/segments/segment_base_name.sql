{% macro segment_base_name(segment_name) -%}
    {#- A new segment named like one another segment holds is 'Name (segment <id>)'
        (segmentation.model_versions.unique_new_name); it is acted on as Name (seed segment_actions).
        Bracket classes, not backslashes: one pattern reads the same in DuckDB and Spark SQL. -#}
    regexp_replace({{ segment_name }}, ' [(]segment [0-9]+[)]$', '')
{%- endmacro %}
