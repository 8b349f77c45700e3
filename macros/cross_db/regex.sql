{#-
    Regular expressions, written once in the syntax DuckDB (RE2) and Spark (Java) share: character
    classes, anchors, quantifiers, groups. Patterns are passed as plain text, not SQL literals: each
    implementation quotes them the way its SQL parser needs (string_literal: Spark reads backslash
    escapes in literals, so '\.' would reach the regex engine as '.').
-#}

{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'customer_segmentation')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ sql_string_literal(pattern) }}, {{ sql_string_literal(replacement) }}, 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ string_literal(pattern) }}, {{ string_literal(replacement) }})
{%- endmacro %}


{% macro regexp_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'customer_segmentation')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, {{ sql_string_literal(pattern) }})
{%- endmacro %}

{% macro spark__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike {{ string_literal('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}
