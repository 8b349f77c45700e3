{#- Integer division, truncating towards zero, exact for integers of any size the type holds. -#}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide', 'customer_segmentation')(numerator, denominator)) }}
{%- endmacro %}

{#- DuckDB's `/` divides in doubles even for integers; `//` stays exact. -#}
{% macro default__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}
