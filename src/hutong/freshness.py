"""Whether the page can open a store, and whether the bundled store must be built again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hutong import corrections, store
from hutong.paths import CORRECTIONS_PATH


def store_is_stale(store_dir: Path, raw_dir: Path) -> bool:
    """Whether the store is missing, or was built from raw_dir by another version of the analysis or before
    a file under raw_dir changed. A store built from another folder is left alone."""
    from hutong.pipeline import analysis_version  # the page's queries need none of the pipeline otherwise

    try:
        summary = store.read_summary(store_dir)
        built = datetime.fromisoformat(summary["built_at"])
    except (KeyError, ValueError, store.StoreError):
        return True
    if Path(summary.get("input_dir", raw_dir)).resolve() != Path(raw_dir).resolve():
        return False  # built from another corpus (HUTONG_STORE_DIR): never rebuilt from this one
    if not store.store_exists(store_dir):
        return True
    if summary.get("analysis_version") != analysis_version():
        return True
    if not _corrections_current(store_dir):
        return True
    if built.tzinfo is None:
        built = built.replace(tzinfo=UTC)
    newest = max((p.stat().st_mtime for p in Path(raw_dir).rglob("*") if p.is_file()), default=0.0)
    # built_at is written to the second; a file saved within that second counts as older.
    return newest > built.timestamp() + 1


def _corrections_current(store_dir: Path) -> bool:
    """Whether the store holds the repository's corrections as they are now (a bad file: no, so that the
    build names its error)."""
    try:
        return corrections.copy_is_current(store_dir, corrections.read_corrections(CORRECTIONS_PATH))
    except corrections.CorrectionsError:
        return False


def has_store(store_dir: Path | str) -> bool:
    return store.store_exists(Path(store_dir))


def store_problem(store_dir: Path | str) -> str | None:
    """Why the page cannot open a store (named, with what to do), or None when it can."""
    return None if has_store(store_dir) else str(store.missing_store_error(Path(store_dir)))


def built_at(store_dir: Path) -> str:
    return store.read_summary(store_dir)["built_at"]
