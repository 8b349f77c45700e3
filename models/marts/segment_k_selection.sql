-- Public, contracted copy of the Python model segment_k_diagnostics for dashboards and reports.
with

diagnostics as (

    select * from {{ ref('segment_k_diagnostics') }}

),

final as (

    select
        cast(k as integer) as k,
        cast(n_customers as bigint) as n_customers,
        cast(n_distinct_profiles as bigint) as n_distinct_profiles,
        cast(algorithm as {{ dbt.type_string() }}) as algorithm,
        cast(inertia as double) as inertia,
        cast(silhouette as double) as silhouette,
        cast(davies_bouldin as double) as davies_bouldin,
        cast(calinski_harabasz as double) as calinski_harabasz,
        cast(smallest_segment_share as double) as smallest_segment_share,
        cast(is_elbow as boolean) as is_elbow,
        cast(stability_ari as double) as stability_ari,
        cast(stability_ari_se as double) as stability_ari_se,
        cast(bootstrap_rounds as integer) as bootstrap_rounds,
        cast(seed_ari_min as double) as seed_ari_min,
        cast(seed_runs as integer) as seed_runs,
        cast(seed_inertia_spread as double) as seed_inertia_spread,
        cast(passes_share as boolean) as passes_share,
        cast(passes_stability as boolean) as passes_stability,
        cast(is_eligible as boolean) as is_eligible,
        cast(criterion as {{ dbt.type_string() }}) as criterion,
        cast(criterion_rank as integer) as criterion_rank,
        cast(planted_type_ari as double) as planted_type_ari,
        cast(is_chosen as boolean) as is_chosen,
        cast(choice_reason as {{ dbt.type_string() }}) as choice_reason

    from diagnostics

)

select * from final
