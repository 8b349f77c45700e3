"""`dbt docs generate` works and every model and every built column is documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segmentation import synthetic
from tests.python.conftest import run_dbt

pytestmark = pytest.mark.integration


def test_every_model_and_column_is_documented(tmp_path: Path) -> None:
    raw = synthetic.write_transactions(
        synthetic.generate_transactions(synthetic.SyntheticConfig(n_customers=300, seed=3)),
        tmp_path / "log.parquet",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    for command in (["build"], ["docs", "generate", "--static"]):
        result = run_dbt(command, raw, warehouse)
        assert result.returncode == 0, result.stdout[-4000:]

    target = tmp_path / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert (target / "static_index.html").stat().st_size > 0

    undocumented: list[str] = []
    models = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    assert len(models) >= 15
    for key, node in models.items():
        if not node["description"].strip():
            undocumented.append(node["name"])
        built_columns = catalog["nodes"][key]["columns"]
        for column in built_columns:
            documented = node["columns"].get(column) or node["columns"].get(column.lower())
            if documented is None or not documented["description"].strip():
                undocumented.append(f"{node['name']}.{column}")
    assert not undocumented, f"undocumented: {undocumented}"
