{% macro bad_input_prefix() -%}
    {{- return('Bad input: ') -}}
{%- endmacro %}
