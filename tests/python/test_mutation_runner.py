"""The mutation list of `make mutation` (tests/mutation): it loads, covers every business rule,
and a mutation whose text is not found exactly once is refused instead of silently changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutation.run import Mutation, batches, load_mutations

RULES = (
    "quarantine: repeated_header_row",
    "quarantine: unparseable_invoice_date",
    "quarantine: unparseable_quantity",
    "quarantine: unparseable_unit_price",
    "quarantine: missing_invoice_or_stock_code",
    "quarantine: duplicate_row",
    "quarantine: after_snapshot_date",
    "quarantine: bad_debt_adjustment",
    "quarantine: non_product_stock_code",
    "quarantine: non_positive_unit_price",
    "quarantine: cancellation_with_non_negative_quantity",
    "quarantine: non_positive_quantity",
    "cancellations:",
    "duplicates:",
    *(
        f"duplicate key: {field}"
        for field in (
            "invoice_no",
            "stock_code",
            "description",
            "quantity",
            "invoiced_at",
            "unit_price",
            "customer_id",
            "country",
        )
    ),
    "snapshot date:",
    "recency:",
    "frequency:",
    "monetary:",
    "tenure:",
    "RFM scoring: quintiles",
    "RFM scoring: ties",
    "segment ordering:",
    "SQL scoring:",
    "prediction look-ahead guard:",
)


def test_every_business_rule_has_a_mutation() -> None:
    rules = [m.rule for m in load_mutations()]
    assert [r for r in RULES if not any(rule.startswith(r) for rule in rules)] == []


def write_list(tmp_path: Path, find: str) -> Path:
    (tmp_path / "code.sql").write_text("select 1 as a, 1 as b\n", encoding="utf-8")
    listing = tmp_path / "mutations.yml"
    listing.write_text(
        f'- {{id: m, rule: r, kind: dbt, file: code.sql, find: "{find}", replace: "2 as z"}}\n',
        encoding="utf-8",
    )
    return listing


@pytest.mark.parametrize(("find", "count"), [("1 as c", 0), ("1 as", 2)])
def test_a_text_not_found_exactly_once_is_refused(tmp_path: Path, find: str, count: int) -> None:
    with pytest.raises(SystemExit, match=f"m: the text to find occurs {count} times in code.sql"):
        load_mutations(write_list(tmp_path, find), root=tmp_path)


def test_only_mutants_of_different_models_share_a_run() -> None:
    def mutation(name: str, file: str, kind: str = "dbt") -> Mutation:
        return Mutation(name, "rule", kind, file, "a", "b")

    a1, a2 = mutation("a1", "models/x/a.sql"), mutation("a2", "models/x/a.sql")
    b1 = mutation("b1", "models/y/b.sql")
    macro = mutation("macro", "macros/m.sql")
    python = mutation("py", "segmentation/clustering.py", kind="pytest")
    assert batches([a1, a2, b1, macro, python]) == [[python], [macro], [a1, b1], [a2]]
