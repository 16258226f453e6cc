"""A visitor's uploaded articles: limits, staging under generated names, a private store and its removal."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hutong import store

UPLOAD_FORMATS = ("txt", "md", "html", "jsonl", "csv")


@dataclass(frozen=True)
class UploadLimits:
    enabled: bool = True
    max_bytes: int = 20 * 1024 * 1024
    max_files: int = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> UploadLimits:
        def number(name: str, default: float) -> float:
            try:
                return float(env.get(name, default))
            except ValueError:
                return default

        return cls(
            enabled=env.get("HUTONG_UPLOADS", "on").strip().lower() not in {"off", "0", "false", "no"},
            max_bytes=int(number("HUTONG_UPLOAD_MAX_MB", 20) * 1024 * 1024),
            max_files=int(number("HUTONG_UPLOAD_MAX_FILES", 200)),
        )


class UploadRejected(ValueError):
    """The uploaded files break a limit or include a type Hutong does not read; the message says which."""


def stage_uploads(files: Iterable[tuple[str, bytes]], *, limits: UploadLimits, folder: Path) -> Path:
    """Write uploaded (name, bytes) pairs into folder under generated names (upload-001.txt …), with a
    MANIFEST.csv keeping each original name as metadata only; never a path taken from the visitor."""
    files = list(files)
    if not files:
        raise UploadRejected("no files")
    if len(files) > limits.max_files:
        raise UploadRejected(f"{len(files)} files, over the limit of {limits.max_files}")
    total = sum(len(data) for _, data in files)
    if total > limits.max_bytes:
        raise UploadRejected(f"{total / 1e6:.1f} MB in all, over the limit of {limits.max_bytes / 1e6:.0f} MB")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for number, (name, data) in enumerate(files, start=1):
        suffix = Path(str(name)).suffix.lower().lstrip(".")
        if suffix not in UPLOAD_FORMATS:
            raise UploadRejected(f"'{name}' is not one of {', '.join(UPLOAD_FORMATS)}")
        safe = f"upload-{number:03d}.{suffix}"
        (folder / safe).write_bytes(data)
        manifest.append({"file": safe, "original_name": str(name)})
    with (folder / "MANIFEST.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "original_name"])
        writer.writeheader()
        writer.writerows(manifest)
    return folder


def build_private_store(
    files: Iterable[tuple[str, bytes]],
    *,
    limits: UploadLimits,
    build: Callable[..., object],
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Stage the uploads in a fresh temporary folder and build a store beside them; returns the store dir.
    `build` is hutong.pipeline.build_store (passed in so this module stays free of the pipeline)."""
    root = Path(tempfile.mkdtemp(prefix="hutong-upload-"))
    try:
        staged = stage_uploads(files, limits=limits, folder=root / "input")
        build(staged, root / "store", workers=1, progress=progress)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return root / "store"


def upload_outcomes(store_dir: Path | str) -> list[dict]:
    """What became of each uploaded file (and each row of a jsonl or csv): its name as the visitor gave it,
    its row, ingested / duplicate / rejected, and the reason, from the private store's report.json."""
    store_dir = Path(store_dir)
    with (store_dir.parent / "input" / "MANIFEST.csv").open(encoding="utf-8", newline="") as handle:
        original = {row["file"]: row["original_name"] for row in csv.DictReader(handle)}
    outcomes = []
    for entry in store.read_report(store_dir)["inputs"]:
        if entry["status"] == "manifest":
            continue
        reason = entry["reason"]
        for staged, name in original.items():  # "same text as upload-001.txt" names the visitor's file
            reason = reason.replace(staged, name)
        outcomes.append(
            {"file": original.get(entry["path"], entry["path"]), "row": entry["row"], "status": entry["status"]}
            | {"reason": reason}
        )
    return outcomes


def discard_private_store(store_dir: Path | str | None) -> None:
    """Remove a private store and its staged uploads (the temporary folder holding both)."""
    if not store_dir:
        return
    root = Path(store_dir).parent
    if root.name.startswith("hutong-upload-") and Path(tempfile.gettempdir()) in root.parents:
        shutil.rmtree(root, ignore_errors=True)


class PrivateCorpus:
    """A session's uploaded corpus on disk. Kept in the session's state, it is removed when that state is
    dropped (Streamlit drops a session some time after its browser tab closes), when the server stops, or
    when the session uploads another corpus (`discard`)."""

    def __init__(self, store_dir: Path | str) -> None:
        self.store_dir = str(store_dir)
        self._finalizer = weakref.finalize(self, discard_private_store, self.store_dir)

    def discard(self) -> None:
        self._finalizer()


def remove_stale_uploads(*, older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    """Remove upload folders untouched for longer than `older_than`: those of a server that was killed
    before its sessions ended. Returns how many were removed."""
    cutoff = (now or datetime.now(UTC)).timestamp() - older_than.total_seconds()
    removed = 0
    for root in Path(tempfile.gettempdir()).glob("hutong-upload-*"):
        try:
            stale = root.is_dir() and not root.is_symlink() and root.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(root, ignore_errors=True)
            removed += 1
    return removed
