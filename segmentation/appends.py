"""Appended or replaced: which raw files a build lands, and whether the warehouse can take them
incrementally.

A log grows in one of two ways: new files in a folder (a daily export beside yesterday's), or a new
export of the whole log. The first is landed file by file as parts of one landed folder, each part
numbering its lines after the previous one's (``land.land(first_row_number=...)``), so the dbt
models' watermark on ``source_row_number`` finds exactly the new lines. Anything else (a file of the
last build changed or gone, other vars, another warehouse, a build that did not finish) is a
replaced source: every file is landed again from line 1 and dbt rebuilds with ``--full-refresh``.

The landed folder keeps a manifest of what it holds and which warehouse was built from it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from segmentation import land

MANIFEST_NAME = "manifest.json"
PART_PATTERN = "part-{:05d}.parquet"


@dataclass(frozen=True)
class RawFile:
    """A raw input file as the manifest remembers it: enough to tell whether it changed."""

    path: str
    size: int
    modified_ns: int

    @classmethod
    def of(cls, path: Path) -> RawFile:
        stat = path.stat()
        return cls(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class LandedPart:
    raw: RawFile
    part: str
    first_row_number: int
    line_count: int


@dataclass(frozen=True)
class Manifest:
    warehouse: str
    dbt_vars: str | None
    parts: tuple[LandedPart, ...]
    built: bool

    @property
    def line_count(self) -> int:
        return sum(part.line_count for part in self.parts)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        parts = tuple(LandedPart(RawFile(**part.pop("raw")), **part) for part in data.pop("parts"))
        return cls(parts=parts, **data)


@dataclass(frozen=True)
class LoadPlan:
    """What this build lands: `incremental` keeps the manifest's parts and lands `new_files`
    after them; otherwise every file is landed again and dbt rebuilds every table."""

    incremental: bool
    reason: str
    kept: tuple[LandedPart, ...]
    new_files: tuple[Path, ...]


def raw_files(source: Path) -> tuple[Path, ...]:
    """The files of an input: the file itself, or a folder's data files in name order (a daily
    export named by date sorts in load order)."""
    if not source.is_dir():
        return (source,)
    suffixes = tuple(land.FILE_KINDS)
    files = tuple(
        sorted(path for path in source.iterdir() if path.is_file() and path.name.lower().endswith(suffixes))
    )
    if not files:
        raise land.InputFileError(f"{source}: the folder holds no raw file ({land.accepted_suffixes()})")
    return files


def plan_load(
    files: tuple[Path, ...], manifest: Manifest | None, warehouse: Path, dbt_vars: str | None
) -> LoadPlan:
    """Incremental when the manifest's files are, unchanged, the first of `files` and the last
    build from them into this warehouse finished with the same vars; else why not."""
    full = LoadPlan(False, "", (), files)
    if manifest is None:
        return _replace(full, "first build from this input")
    if manifest.warehouse != str(warehouse.resolve()) or not warehouse.exists():
        return _replace(full, "the landed files were last built into another warehouse")
    if not manifest.built:
        return _replace(full, "the last build from these files did not finish")
    if manifest.dbt_vars != dbt_vars:
        return _replace(full, "the vars changed since the last build")
    current = [RawFile.of(path) for path in files]
    for position, part in enumerate(manifest.parts):
        if position >= len(current) or current[position].path != part.raw.path:
            return _replace(full, f"{part.raw.path} of the last build is no longer in the input")
        if current[position] != part.raw:
            return _replace(full, f"{part.raw.path} changed since the last build (a new export)")
    new_files = files[len(manifest.parts) :]
    return LoadPlan(True, "", manifest.parts, new_files)


def _replace(plan: LoadPlan, reason: str) -> LoadPlan:
    return LoadPlan(False, reason, (), plan.new_files)


def read_manifest(landed_dir: Path) -> Manifest | None:
    path = landed_dir / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        manifest = Manifest.from_json(path.read_text())
    except (ValueError, TypeError, KeyError):
        # A manifest this version cannot read: land everything again rather than guess.
        return None
    if not all((landed_dir / part.part).exists() for part in manifest.parts):
        return None
    return manifest


def write_manifest(landed_dir: Path, manifest: Manifest) -> None:
    partial = landed_dir / (MANIFEST_NAME + ".partial")
    partial.write_text(manifest.to_json())
    partial.replace(landed_dir / MANIFEST_NAME)


def landed_glob(landed_dir: Path) -> Path:
    """What dbt reads (RETAIL_LANDED_PATH): every part of the landed folder."""
    return landed_dir / "part-*.parquet"


def land_plan(
    plan: LoadPlan,
    landed_dir: Path,
    warehouse: Path,
    dbt_vars: str | None,
    encoding: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Manifest:
    """Land the plan's new files as parts after the kept ones; the manifest says not yet built.

    A replaced source is landed into a folder beside the old one, which it replaces only once every
    file landed: a bad file leaves the previous landing as it was.
    """
    target = landed_dir if plan.incremental else landed_dir.with_name(landed_dir.name + ".partial")
    if not plan.incremental and target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    parts = list(plan.kept)
    next_row = 1 + sum(part.line_count for part in parts)
    for source in plan.new_files:
        name = PART_PATTERN.format(len(parts) + 1)
        landed = land.land(source, target / name, encoding, progress, first_row_number=next_row)
        if progress is not None:
            progress(land.describe(landed))
        parts.append(LandedPart(RawFile.of(source), name, next_row, landed.line_count))
        next_row += landed.line_count
    manifest = Manifest(str(warehouse.resolve()), dbt_vars, tuple(parts), built=False)
    write_manifest(target, manifest)
    if target != landed_dir:
        if landed_dir.exists():
            shutil.rmtree(landed_dir)
        target.rename(landed_dir)
    return manifest


def mark_built(landed_dir: Path, manifest: Manifest) -> None:
    write_manifest(landed_dir, Manifest(manifest.warehouse, manifest.dbt_vars, manifest.parts, built=True))


def describe_plan(plan: LoadPlan, manifest: Manifest) -> str:
    """The summary's line about the load: appended (and what) or rebuilt whole (and why)."""
    new_lines = sum(part.line_count for part in manifest.parts[len(plan.kept) :])
    if plan.incremental:
        return (
            f"Load: appended {len(plan.new_files):,} new file(s), {new_lines:,} lines, to the "
            f"{len(plan.kept):,} already built ({sum(p.line_count for p in plan.kept):,} lines); "
            "incremental build"
        )
    return f"Load: full rebuild of {manifest.line_count:,} lines ({plan.reason})"
