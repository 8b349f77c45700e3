-- Public, contracted copy of the Python model prediction_metrics for the report and dashboards.
with

metrics as (

    select * from {{ ref('prediction_metrics') }}

),

final as (

    select
        cast(model as {{ dbt.type_string() }}) as model,
        cast(target as {{ dbt.type_string() }}) as target,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(value as double) as value,
        cast(baseline as {{ dbt.type_string() }}) as baseline,
        cast(baseline_value as double) as baseline_value,
        cast(is_baseline as boolean) as is_baseline,
        cast(is_best as boolean) as is_best,
        cast(n_train as bigint) as n_train,
        cast(n_folds as bigint) as n_folds

    from metrics

)

select * from final
