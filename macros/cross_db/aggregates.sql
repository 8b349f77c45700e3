{#- Aggregates dbt has no cross-database macro for. -#}

{#- Median, interpolated between the two middle values when the count is even. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{#- percentile() is Spark's exact, interpolating median in every version (median() came in 3.4). -#}
{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
