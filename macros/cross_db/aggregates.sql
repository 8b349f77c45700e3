{#- Aggregates dbt has no cross-database macro for. -#}

{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
