"""The customer segments dashboard (Streamlit): `make dashboard`.

- `data`: the published marts as DataFrames and every figure the page shows (tested against SQL);
- `app`: the Streamlit script that lays them out with altair charts.
"""
