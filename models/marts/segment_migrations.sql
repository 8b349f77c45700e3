{#-
    Moves between segments from one snapshot of customer_segment_history to the next: one row per
    (snapshot pair, from segment, to segment) with the customers who made that move and what they
    spent in the period. A customer with no purchase by the earlier snapshot comes from the state
    'new'. Nobody leaves the history (a customer stays one once they have bought), so there is no
    'left' state: a lapsed customer drifts into a low-recency segment instead. The first snapshot
    has no earlier one: everyone there is 'new'. Each customer at a snapshot is counted exactly once
    in the rows that end there.
-#}

with

history as (

    select
        snapshot_date,
        customer_id,
        segment_id,
        segment_name,
        monetary
    from {{ ref('customer_segment_history') }}

),

snapshot_pairs as (

    select
        snapshot_date as to_snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as from_snapshot_date
    from (select distinct history.snapshot_date from history) as snapshot_dates

),

customer_moves as (

    select
        snapshot_pairs.from_snapshot_date,
        snapshot_pairs.to_snapshot_date,
        case when earlier.customer_id is null then 'new' else 'customer' end as from_state,
        earlier.segment_id as from_segment_id,
        coalesce(earlier.segment_name, 'New') as from_segment_name,
        later.segment_id as to_segment_id,
        later.segment_name as to_segment_name,
        later.customer_id,
        later.monetary - coalesce(earlier.monetary, 0) as period_value
    from history as later
    inner join snapshot_pairs
        on later.snapshot_date = snapshot_pairs.to_snapshot_date
    left join history as earlier
        on
            snapshot_pairs.from_snapshot_date = earlier.snapshot_date
            and later.customer_id = earlier.customer_id

),

final as (

    select
        from_snapshot_date,
        to_snapshot_date,
        from_state,
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name,
        from_state = 'customer' and from_segment_id <> to_segment_id as is_segment_change,
        count(*) as customers,
        sum(period_value) as period_value
    from customer_moves
    group by
        from_snapshot_date,
        to_snapshot_date,
        from_state,
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name

)

select * from final
