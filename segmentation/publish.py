"""Publish the marts for readers, so a reader never blocks a build and never sees half of one.

DuckDB lets one process hold a database file for writing, and a reader that has the warehouse open
makes the next `dbt build` fail with "Could not set lock on file". So readers (the dashboard, the
report) never open the warehouse: after a successful build, the marts are copied into a new,
versioned DuckDB file under the publication directory, and a small pointer file naming the newest
version is swapped in with `os.replace`, which is atomic on POSIX and Windows. A reader follows the
pointer and opens that version read-only; it sees the previous complete publication until the
pointer moves, never a mix of two builds. A build that fails publishes nothing (the pipeline calls
`publish` only after dbt succeeded).

    customer_segmentation.published/     beside the warehouse customer_segmentation.duckdb
        CURRENT                   the name of the newest version (one line)
        v20261201T222800123456-ab12cd.duckdb
        ...                       the previous KEEP_VERSIONS - 1 versions, for readers still on them
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
MARTS_DIR = PROJECT_DIR / "models" / "marts"
DEFAULT_WAREHOUSE = PROJECT_DIR / "customer_segmentation.duckdb"
PUBLICATION_SUFFIX = ".published"
POINTER_NAME = "CURRENT"
VERSION_PREFIX = "v"
VERSION_SUFFIX = ".duckdb"
# Versions kept on disk: the newest, plus older ones a reader may still be opening. On POSIX an open
# file survives its deletion anyway; the spare versions cover a reader that read the pointer and has
# not opened the file yet.
KEEP_VERSIONS = 3
# A reader whose version was pruned between reading the pointer and opening the file tries again.
OPEN_ATTEMPTS = 3
# Tables published beside the marts when the warehouse has them (built by optional models).
OPTIONAL_TABLES = ("customer_segment_history",)
# The table inside every publication that says which build it came from and when.
MANIFEST_TABLE = "_publication"


class PublicationError(RuntimeError):
    """Nothing is published yet, or the pointer names a version that is not there."""


@dataclass(frozen=True)
class Publication:
    """One published version: its file and the tables it holds."""

    path: Path
    version: str
    tables: tuple[str, ...]


def publication_dir_for(warehouse: Path) -> Path:
    """Where a warehouse's marts are published: beside it, so each warehouse has its own readers' copy."""
    return warehouse.with_suffix(PUBLICATION_SUFFIX)


DEFAULT_PUBLICATION_DIR = publication_dir_for(DEFAULT_WAREHOUSE)


def mart_names(marts_dir: Path = MARTS_DIR) -> tuple[str, ...]:
    """The public marts: every SQL model of models/marts (the contracted layer readers may use)."""
    return tuple(sorted(path.stem for path in marts_dir.glob("*.sql")))


def new_version_name(now: datetime | None = None) -> str:
    """A version name that sorts by time and never repeats, even for two publications in a microsecond."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    return f"{VERSION_PREFIX}{stamp}-{uuid.uuid4().hex[:6]}"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _existing_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'main'",
        [catalog],
    ).fetchall()
    return {row[0] for row in rows}


def _write_pointer(publication_dir: Path, version: str) -> None:
    """Write the pointer beside the old one, flush it to disk, then swap it in atomically."""
    temporary = publication_dir / f".{POINTER_NAME}.{uuid.uuid4().hex}"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, publication_dir / POINTER_NAME)


def versions(publication_dir: Path) -> list[Path]:
    """The published version files, oldest first."""
    return sorted(publication_dir.glob(f"{VERSION_PREFIX}*{VERSION_SUFFIX}"))


def prune(publication_dir: Path, keep: int = KEEP_VERSIONS) -> list[Path]:
    """Delete all but the newest `keep` versions (never the current one); the files deleted."""
    current_name = read_pointer(publication_dir)
    old = [path for path in versions(publication_dir)[:-keep] if path.stem != current_name]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def publish(
    warehouse: Path,
    publication_dir: Path = DEFAULT_PUBLICATION_DIR,
    tables: Iterable[str] | None = None,
    keep: int = KEEP_VERSIONS,
) -> Publication:
    """Copy `tables` from the warehouse into a new version, then point readers at it.

    `tables` defaults to the marts, and the optional tables the warehouse has.

    The warehouse is attached read-only and detached before the pointer moves, so the next build
    never waits on the publication either. Tables missing from the warehouse are an error: a publication is
    complete or it does not happen.
    """
    publication_dir.mkdir(parents=True, exist_ok=True)
    # Build output, never source: keep it out of git wherever the warehouse lives.
    (publication_dir / ".gitignore").write_text("*\n", encoding="utf-8")
    version = new_version_name()
    target = publication_dir / f"{version}{VERSION_SUFFIX}"
    # Written under a hidden name, so a half-written file never matches the version glob.
    staging = publication_dir / f".{version}{VERSION_SUFFIX}.partial"
    try:
        with duckdb.connect(str(staging)) as con:
            con.execute(f"attach {_quote_literal(warehouse)} as warehouse (read_only)")
            existing = _existing_tables(con, "warehouse")
            if tables is None:
                wanted = mart_names() + tuple(name for name in OPTIONAL_TABLES if name in existing)
            else:
                wanted = tuple(tables)
            missing = sorted(set(wanted) - existing)
            if missing:
                raise PublicationError(f"warehouse {warehouse} lacks {', '.join(missing)}: nothing published")
            for table in wanted:
                con.execute(f"create table {_quote(table)} as select * from warehouse.{_quote(table)}")
            con.execute(
                f"create table {MANIFEST_TABLE} as select ? as version, ? as source_warehouse,"
                " current_timestamp as published_at",
                [version, str(warehouse)],
            )
            # Detached before the file is renamed, so nothing holds the warehouse once this returns.
            con.execute("detach warehouse")
            con.execute("checkpoint")
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    _write_pointer(publication_dir, version)
    prune(publication_dir, keep)
    return Publication(target, version, wanted)


def _quote_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def read_pointer(publication_dir: Path) -> str | None:
    """The current version's name, or None when nothing was published."""
    try:
        return (publication_dir / POINTER_NAME).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def current_path(publication_dir: Path = DEFAULT_PUBLICATION_DIR) -> Path:
    """The file of the current publication; PublicationError when there is none."""
    version = read_pointer(publication_dir)
    if version is None:
        raise PublicationError(
            f"nothing published in {publication_dir}: run `python -m segmentation.pipeline` first"
        )
    return publication_dir / f"{version}{VERSION_SUFFIX}"


def connect(publication_dir: Path = DEFAULT_PUBLICATION_DIR) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current publication, which no later publication changes."""
    for attempt in range(1, OPEN_ATTEMPTS + 1):
        path = current_path(publication_dir)
        if path.exists() or attempt == OPEN_ATTEMPTS:
            try:
                return duckdb.connect(str(path), read_only=True)
            except duckdb.IOException:
                # Pruned between the check and the open: the pointer has moved on, follow it again.
                if attempt == OPEN_ATTEMPTS:
                    raise
    raise PublicationError(f"could not open the current publication in {publication_dir}")
