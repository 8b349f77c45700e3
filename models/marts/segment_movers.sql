{#-
    The customers whose segment changed at the latest snapshot of customer_segment_history, with
    the segment they left, the one they joined, what they spent since the previous snapshot and the
    recommended action of the new segment (seed segment_actions): the list a CRM campaign is sent to.
    New customers are not movers (they are in segment_migrations as from_state 'new').
-#}

with

history as (

    select * from {{ ref('customer_segment_history') }}

),

segment_actions as (

    select * from {{ ref('segment_actions') }}

),

snapshot_dates as (

    select distinct snapshot_date from history

),

latest_snapshots as (

    select
        snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date,
        row_number() over (order by snapshot_date desc) as recency_rank
    from snapshot_dates

),

final as (

    select
        latest.customer_id,
        latest_snapshots.previous_snapshot_date,
        latest_snapshots.snapshot_date,
        previous.segment_id as previous_segment_id,
        previous.segment_name as previous_segment_name,
        latest.segment_id,
        latest.segment_name,
        segment_actions.recommended_action,
        latest.monetary,
        latest.monetary - previous.monetary as period_value,
        latest.recency_days,
        latest.frequency
    from history as latest
    inner join latest_snapshots
        on
            latest.snapshot_date = latest_snapshots.snapshot_date
            and latest_snapshots.recency_rank = 1
    inner join history as previous
        on
            latest.customer_id = previous.customer_id
            and latest_snapshots.previous_snapshot_date = previous.snapshot_date
    left join segment_actions
        on {{ segment_base_name('latest.segment_name') }} = segment_actions.segment_name
    where latest.segment_id <> previous.segment_id

)

select * from final
