"""Customer segmentation: synthetic data, raw-file landing and clustering logic used by the dbt project."""
