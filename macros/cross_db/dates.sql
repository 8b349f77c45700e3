{#- Date parts dbt has no cross-database macro for. -#}

{% macro iso_day_of_week(expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(expression) -%}
    extract(isodow from {{ expression }})
{%- endmacro %}

{% macro spark__iso_day_of_week(expression) -%}
    extract(dow_iso from {{ expression }})
{%- endmacro %}
