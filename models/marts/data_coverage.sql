-- One row saying which period the marts describe, for report headers and dashboard captions.
with

snapshot as (

    select * from {{ ref('int_snapshot_date') }}

),

final as (

    select
        data_start_date,
        data_end_date,
        snapshot_date,
        is_snapshot_date_from_var

    from snapshot

)

select * from final
