{#- A text as an SQL string literal, quoted the way the warehouse's parser reads it back. -#}
{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal', 'customer_segmentation')(text)) }}
{%- endmacro %}

{#- Standard SQL: a quote inside is doubled. -#}
{% macro default__string_literal(text) -%}
    {{- return(sql_string_literal(text)) -}}
{%- endmacro %}

{#- Spark reads backslash escapes in literals, and '' is two adjacent literals ('a''b' is 'ab'). -#}
{% macro spark__string_literal(text) -%}
    {{- return("'" ~ (text | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{%- endmacro %}
