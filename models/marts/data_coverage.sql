-- One row saying which period the marts describe and in which currency their money is, for report
-- headers, dashboard captions and the summary (the one place readers find var currency).
with

snapshot as (

    select * from {{ ref('int_snapshot_date') }}

),

final as (

    select
        data_start_date,
        data_end_date,
        snapshot_date,
        is_snapshot_date_from_var,
        {{ sql_string_literal(currency_code()) }} as currency

    from snapshot

)

select * from final
