-- Every customer at a snapshot is counted exactly once in the migration rows that end there, and
-- every customer at the earlier snapshot is there again (nobody leaves the history).
with

history_counts as (

    select
        snapshot_date,
        count(*) as customers
    from {{ ref('customer_segment_history') }}
    group by snapshot_date

),

migration_counts as (

    select
        to_snapshot_date as snapshot_date,
        sum(customers) as customers,
        sum(case when from_state = 'customer' then customers else 0 end) as continuing_customers,
        max(from_snapshot_date) as from_snapshot_date
    from {{ ref('segment_migrations') }}
    group by to_snapshot_date

)

select
    coalesce(history_counts.snapshot_date, migration_counts.snapshot_date) as snapshot_date,
    history_counts.customers as history_customers,
    migration_counts.customers as migration_customers,
    migration_counts.continuing_customers,
    earlier_counts.customers as earlier_customers
from history_counts
full outer join migration_counts
    on history_counts.snapshot_date = migration_counts.snapshot_date
left join history_counts as earlier_counts
    on migration_counts.from_snapshot_date = earlier_counts.snapshot_date
where
    history_counts.customers is null
    or migration_counts.customers is null
    or history_counts.customers <> migration_counts.customers
    or migration_counts.continuing_customers <> coalesce(earlier_counts.customers, 0)
