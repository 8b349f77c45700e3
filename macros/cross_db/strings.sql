{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal', 'customer_segmentation')(text)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    {{- return(sql_string_literal(text)) -}}
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    {{- return("'" ~ (text | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{%- endmacro %}


{% macro sql_string_literal(text) %}
    {{- return("'" ~ (text | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}
