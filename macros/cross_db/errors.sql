{% macro raise_error(message, data_type) -%}
    {{ return(adapter.dispatch('raise_error', 'customer_segmentation')(message, data_type)) }}
{%- endmacro %}

{% macro default__raise_error(message, data_type) -%}
    cast(error({{ message }}) as {{ data_type }})
{%- endmacro %}

{% macro spark__raise_error(message, data_type) -%}
    cast(raise_error({{ message }}) as {{ data_type }})
{%- endmacro %}
