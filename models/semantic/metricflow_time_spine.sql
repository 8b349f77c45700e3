-- The daily time spine MetricFlow joins metrics to (metric_time). The range is wide enough for any
-- retail log this project reads; vars move it for older or later data.
with

days as (

    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('" ~ var('time_spine_start_date') ~ "' as date)",
        end_date="cast('" ~ var('time_spine_end_date') ~ "' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day

    from days

)

select * from final
