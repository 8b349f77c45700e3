{#-
    Whether this build retrains the trained models (segment_k_diagnostics, segment_centroids,
    prediction_metrics) or reuses the ones an earlier build stored: one row per build, the latest
    is this build's. A daily build on an appended log scores its customers with the stored models
    until its snapshot date is var retrain_models_after_days past theirs: retraining is most of a
    daily build's time, and segments that keep their centroids for a while are ones marketing can
    plan with. The first build, --full-refresh, a build whose lines were rebuilt instead of appended
    to (a replaced source), a change of the training settings (macro model_training_settings) and
    a build after one whose retraining did not finish (models_finished, set at the end of a build by
    macro record_finished_model_build) retrain. An appended table on DuckDB, a table elsewhere (macro
    incremental_lines_enabled), as the stand-in models on Spark are always the exported ones.
-#}
{{ config(
    materialized='incremental' if incremental_lines_enabled() else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
) }}
{%- set settings = model_training_settings() | replace("'", "''") -%}
{%- set retrain_after_days = var('retrain_models_after_days') | int -%}
{%- set stored_builds = stored_segment_model_builds() -%}

with

snapshot as (

    select
        snapshot_date,
        built_through_source_row_number
    from {{ ref('int_snapshot_date') }}

),

{% if stored_builds is not none -%}
previous_builds as (

    select
        build_number,
        retrains,
        trained_snapshot_date,
        training_settings,
        models_finished
    from {{ stored_builds }}

),

latest_build as (

    select
        build_number,
        retrains,
        trained_snapshot_date,
        training_settings,
        models_finished
    from previous_builds
    where build_number = (select max(all_builds.build_number) from previous_builds as all_builds)

),

decided as (

    select
        latest_build.build_number + 1 as build_number,
        snapshot.snapshot_date,
        latest_build.trained_snapshot_date as stored_trained_snapshot_date,
        case
            -- A source that was replaced, not appended to: its customers are not the stored models'.
            when snapshot.built_through_source_row_number = 0
                then 'the lines were rebuilt, not appended'
            -- It recorded a retraining, but the stored tables may be older models, or only some retrained.
            when latest_build.retrains and not latest_build.models_finished
                then 'the last retraining did not finish'
            when latest_build.training_settings <> '{{ settings }}'
                then 'the training settings changed'
            when
                snapshot.snapshot_date
                >= {{ dbt.dateadd('day', retrain_after_days, 'latest_build.trained_snapshot_date') }}
                then 'the stored models are {{ retrain_after_days }} or more days old'
        end as retrain_reason
    from snapshot
    cross join latest_build

),
{%- else -%}
decided as (

    select
        1 as build_number,
        snapshot_date,
        cast(null as date) as stored_trained_snapshot_date,
        'no stored models (the first build, or --full-refresh)' as retrain_reason
    from snapshot

),
{%- endif %}

final as (

    select
        cast(build_number as bigint) as build_number,
        snapshot_date,
        retrain_reason is not null as retrains,
        retrain_reason,
        cast(
            case when retrain_reason is null then stored_trained_snapshot_date else snapshot_date end as date
        ) as trained_snapshot_date,
        '{{ settings }}' as training_settings,
        -- Until the build's trained models are built (macro record_finished_model_build).
        false as models_finished
    from decided

)

select * from final
