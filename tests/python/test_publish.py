"""The publication step on small hand-made warehouses (no dbt): complete or nothing, atomic to readers."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from segmentation import publish

TABLES = ("alpha", "beta")
PUBLICATIONS = 12


def write_warehouse(path: Path, build: int, tables: tuple[str, ...] = TABLES) -> Path:
    """A warehouse whose every table holds the number of the build that wrote it, in 1,000 rows."""
    with duckdb.connect(str(path)) as con:
        for table in tables:
            con.execute(f"create or replace table {table} as select {build} as build from range(1000)")
    return path


def test_publish_copies_the_tables_and_points_readers_at_them(tmp_path: Path) -> None:
    warehouse = write_warehouse(tmp_path / "w.duckdb", build=1)
    publication = publish.publish(warehouse, tmp_path / "pub", TABLES)
    assert publish.current_path(tmp_path / "pub") == publication.path
    with publish.connect(tmp_path / "pub") as con:
        assert con.execute("select count(*), min(build) from beta").fetchone() == (1000, 1)
        assert con.execute(f"select version from {publish.MANIFEST_TABLE}").fetchone()[0] == (
            publication.version
        )
    # Nothing holds the warehouse afterwards: a build can write it at once.
    write_warehouse(warehouse, build=2)


def test_a_missing_table_publishes_nothing(tmp_path: Path) -> None:
    warehouse = write_warehouse(tmp_path / "w.duckdb", build=1, tables=("alpha",))
    with pytest.raises(publish.PublicationError, match="lacks beta"):
        publish.publish(warehouse, tmp_path / "pub", TABLES)
    assert publish.read_pointer(tmp_path / "pub") is None
    assert [path.name for path in (tmp_path / "pub").iterdir()] == [".gitignore"]
    with pytest.raises(publish.PublicationError, match="nothing published"):
        publish.connect(tmp_path / "pub")


def test_old_versions_are_pruned_and_the_current_one_kept(tmp_path: Path) -> None:
    warehouse = write_warehouse(tmp_path / "w.duckdb", build=1)
    rounds = publish.KEEP_VERSIONS + 2
    published = [publish.publish(warehouse, tmp_path / "pub", TABLES) for _ in range(rounds)]
    kept = publish.versions(tmp_path / "pub")
    assert kept == [publication.path for publication in published[-publish.KEEP_VERSIONS :]]
    assert publish.current_path(tmp_path / "pub") == published[-1].path


def test_default_tables_are_the_marts_and_the_publication_sits_beside_the_warehouse() -> None:
    marts = publish.mart_names()
    assert {"customers_segmented", "segment_profiles", "purchase_invoices"} <= set(marts)
    assert publish.publication_dir_for(Path("/x/w.duckdb")) == Path("/x/w.published")


def test_a_reader_polling_during_publications_sees_only_complete_ones(tmp_path: Path) -> None:
    """Every read, at any moment, finds all tables of one build and that build's manifest."""
    warehouse = tmp_path / "w.duckdb"
    pub = tmp_path / "pub"
    publish.publish(write_warehouse(warehouse, build=0), pub, TABLES)
    seen: list[int] = []
    errors: list[str] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            with publish.connect(pub) as con:
                stats = {
                    con.execute(f"select min(build), max(build), count(*) from {table}").fetchone()
                    for table in TABLES
                }
            if len(stats) != 1 or next(iter(stats))[2] != 1000:
                errors.append(f"mixed or partial publication: {stats}")
            seen.append(next(iter(stats))[0])

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for build in range(1, PUBLICATIONS + 1):
            publish.publish(write_warehouse(warehouse, build), pub, TABLES)
    finally:
        done.set()
        reader.join()
    assert not errors
    assert seen == sorted(seen), "a reader went back to an older publication"
    assert len(set(seen)) > 1, "the reader never saw a publication change"
