-- One row saying which period the marts describe, in which currency their money is and how the
-- raw log was read, for the run summary, report headers and dashboard captions (the one place
-- readers find var currency).
{%- set reading = retail_source_reading() %}

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
        {{ sql_string_literal(retail_layout_grain(reading.layout.keys() | list)) }} as raw_layout,
        {{ sql_string_literal(retail_layout_description(reading.layout)) }} as raw_columns,
        {{ sql_string_literal(reading.dates.family) }} as raw_date_format,
        {{ sql_string_literal(currency_code()) }} as currency

    from snapshot

)

select * from final
