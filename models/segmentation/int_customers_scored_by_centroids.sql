{#-
    Assigns every customer to the nearest centroid of the current model (int_current_segment_centroids:
    segment_centroids with its stable segment ids), in plain SQL:
    the "train once, score in the warehouse" path. It reads the feature list from the stored
    table, so it follows whatever features the KMeans model was trained on. The rule itself is the
    macro nearest_centroid_ctes, shared with customer_segment_history.
-#}
{%- set features = trained_features(ref('int_current_segment_centroids')) -%}

with

customer_features as (

    select * from {{ ref('int_customer_features') }}

),

centroids as (

    select * from {{ ref('int_current_segment_centroids') }}

),

{{ nearest_centroid_ctes(features, ['customer_id']) }},

final as (

    select * from scored

)

select * from final
