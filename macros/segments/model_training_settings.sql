{#- The settings a trained model depends on, as sorted JSON: a build whose settings differ from
    those the stored models were trained with retrains them (int_segment_model_schedule). The
    Python models' settings and every var that changes the features they are trained on. -#}
{% macro model_training_settings() -%}
    {%- set settings = {
        'segmentation': var('segmentation', {}),
        'prediction': var('prediction', {}),
        'categories': var('categories', {}),
        'planted_types_path': var('planted_types_path', ''),
        'snapshot_date': var('snapshot_date'),
        'recent_purchase_window_days': var('recent_purchase_window_days'),
        'seasonal_peak_months': var('seasonal_peak_months'),
        'prediction_horizon_days': var('prediction_horizon_days'),
        'prediction_left_censoring_days': var('prediction_left_censoring_days'),
    } -%}
    {{- return(tojson(settings, sort_keys=true)) -}}
{%- endmacro %}
