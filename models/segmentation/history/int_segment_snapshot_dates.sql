{#-
    The dates at which the segment history is computed (var segment_history_snapshots). A snapshot
    date counts what was bought before it, as the build's snapshot_date does, so the "end of May"
    snapshot is June 1st. Only dates after the first invoice and before the build's snapshot date are
    kept, and the build's snapshot date is always the last one: the history there is customer_segments.
-#}
{%- set spec = segment_history_snapshot_spec() -%}
{#- Enough periods for a century of monthly snapshots; only those inside the data are kept. -#}
{%- set max_periods = 1200 -%}

with

build_snapshot as (

    select
        data_start_date,
        snapshot_date
    from {{ ref('int_snapshot_date') }}

),

candidate_dates as (

    {%- if spec.dates is none %}
    select
        cast(
            {{ dbt.dateadd(
                'month',
                '(period_numbers.generated_number - 1) * ' ~ spec.months_per_period,
                dbt.date_trunc('quarter' if spec.months_per_period == 3 else 'month', 'build_snapshot.data_start_date')
            ) }} as date
        ) as snapshot_date
    from ({{ dbt.generate_series(max_periods) }}) as period_numbers
    cross join build_snapshot
    {%- else %}
    {%- for literal in spec.dates %}
    select {{ literal }} as snapshot_date
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}

),

inside_data as (

    select distinct candidate_dates.snapshot_date
    from candidate_dates
    cross join build_snapshot
    where
        candidate_dates.snapshot_date > build_snapshot.data_start_date
        and candidate_dates.snapshot_date < build_snapshot.snapshot_date

),

final as (

    select
        snapshot_date,
        false as is_build_snapshot
    from inside_data
    union all
    select
        snapshot_date,
        true as is_build_snapshot
    from build_snapshot

)

select * from final
