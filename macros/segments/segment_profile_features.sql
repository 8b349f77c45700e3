{% macro segment_profile_features() %}
    {{ return([
        'recency_days', 'frequency', 'monetary', 'tenure_days', 'average_order_value',
        'distinct_products',
    ]) }}
{% endmacro %}


{% macro segment_base_name(segment_name) -%}
    {{ regexp_replace_all(segment_name, ' [(][0-9]+[)]$', '') }}
{%- endmacro %}
