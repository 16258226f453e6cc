"""The processed store: the one module that writes and reads the Parquet tables under data/processed/."""

from __future__ import annotations

import ctypes
import glob
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hutong import __version__
from hutong.china_time import china_day_sql
from hutong.models import DocumentAnalysis, InputProblem, UnchangedFile

if TYPE_CHECKING:
    from hutong.lexicon import Lexicon

_TS = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema(
        [
            ("doc_id", pa.string()),
            ("input_id", pa.string()),
            ("path", pa.string()),
            ("row", pa.int64()),
            ("format", pa.string()),
            ("encoding", pa.string()),
            ("title", pa.string()),
            ("source", pa.string()),
            ("url", pa.string()),
            ("published_at", _TS),
            ("published_at_note", pa.string()),
            ("script", pa.string()),
            ("chars", pa.int64()),
            ("tokens", pa.int64()),
            ("sentences", pa.int64()),
            ("content_hash", pa.string()),
            ("text", pa.string()),
            ("metadata", pa.string()),
        ]
    ),
    "sentences": pa.schema(
        [
            ("doc_id", pa.string()),
            ("sentence_index", pa.int64()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("original", pa.string()),
        ]
    ),
    "mentions": pa.schema(
        [
            ("doc_id", pa.string()),
            ("entity", pa.string()),
            ("sentence_index", pa.int64()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("surface", pa.string()),
            ("entity_group", pa.string()),
        ]
    ),
    "terms": pa.schema([("doc_id", pa.string()), ("term", pa.string()), ("count", pa.int64())]),
    "times": pa.schema(
        [
            ("doc_id", pa.string()),
            ("text", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("sentence_index", pa.int64()),
            ("value", pa.string()),
            ("kind", pa.string()),
            ("resolution", pa.string()),
            ("first_day", pa.string()),
            ("last_day", pa.string()),
            ("precision", pa.string()),
            ("method", pa.string()),
            ("approximate", pa.bool_()),
        ]
    ),
    "event_reports": pa.schema(
        [
            ("doc_id", pa.string()),
            ("report_index", pa.int64()),
            ("kind", pa.string()),
            ("a", pa.string()),
            ("b", pa.string()),
            ("a_group", pa.string()),
            ("b_group", pa.string()),
            ("directed", pa.bool_()),
            ("domain", pa.string()),
            ("action", pa.string()),
            ("date", pa.string()),
            ("date_resolution", pa.string()),
            ("trigger", pa.string()),
            ("sentence_index", pa.int64()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("evidence", pa.string()),
            ("a_surface", pa.string()),
            ("b_surface", pa.string()),
            ("date_text", pa.string()),
            ("merged_into", pa.int64()),
            ("rule", pa.string()),
            ("confidence", pa.float64()),
        ]
    ),
}
INPUTS_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("manifest_hash", pa.string()),
    ]
)
REPORT_EVENTS_SCHEMA = pa.schema([("event_id", pa.string()), ("doc_id", pa.string()), ("report_index", pa.int64())])

# The store's layout. Articles live in segments (segments/<number>/), each a set of whole articles with one file
# per table: the tables written per article as the build streams, and the per-article aggregates derived from
# them (SEGMENT_AGGREGATES). A full build writes one segment; an incremental build adds a segment for the new
# articles and carries the previous ones over as hard links, rewriting only a segment that lost articles, so
# that adding ten articles to a large store writes little more than those ten. The corpus-wide tables
# (CORPUS_TABLES: the events and each report's event, which hutong.timeline writes, and the input stamps) are
# small and rewritten by every build. term_days, entity_days and article_days sum over articles (DAY_SUMS): each
# segment holds its own sums, and a reader sums them again (a term and day may have a row in several segments),
# as every query of them does.
# A cluster build (hutong.cluster) has its workers write whole segments under staging/ of the store being built;
# the writer admits their articles, moves them in (or rewrites one without duplicates) and removes staging/.
STREAMED_TABLES = ("documents", "sentences", "mentions", "terms", "times", "event_reports")
SEGMENT_AGGREGATES = (
    "term_days", "entity_days", "group_days", "pair_days", "article_days", "doc_entities", "doc_pairs", "search",
)  # fmt: skip
# The aggregates that sum over a segment's articles, by their key columns (the rest are the sums)
DAY_SUMS = {
    "term_days": ("term", "day"),
    "entity_days": ("entity", "entity_group", "day"),
    "group_days": ("entity_group", "day"),
    "pair_days": ("a", "b", "day"),
    "article_days": ("day", "source", "script"),
}
SEGMENT_FILES = (*STREAMED_TABLES, *SEGMENT_AGGREGATES)
CORPUS_TABLES = ("events", "report_events", "inputs")
SEGMENTS_DIR = "segments"
_STAGING_DIR = "staging"
# More segments than this and the small ones are merged into one (all of them, once they outweigh the largest).
MAX_SEGMENTS = 8
_ROWS_PER_FLUSH = 20_000
# Rows per Parquet row group of a segment's tables: DuckDB reads a table of 18 million term rows in groups of
# 20,000 at 1.6 × the time it takes in groups of this size (its own default). An article's documents row holds
# its text, so that table keeps groups of _ROWS_PER_FLUSH.
ROW_GROUP_ROWS = 122_880


# How a writer rewrites segments: rewrite_segment's signature (sources, target, *, keep=None, work_dir) → target.
SegmentRewriter = Callable[..., Path]


class _TableWriter:
    """A Parquet file written in row groups of ROW_GROUP_ROWS (documents: _ROWS_PER_FLUSH) however small the
    tables handed to it; they wait in Arrow form, far smaller than the Python lists they come from."""

    def __init__(self, path: Path, name: str):
        self.schema = SCHEMAS[name]
        self.rows_per_group = _ROWS_PER_FLUSH if name == "documents" else ROW_GROUP_ROWS
        self.writer = pq.ParquetWriter(path, self.schema)
        self.waiting: list[pa.Table] = []
        self.waiting_rows = 0

    def write(self, table: pa.Table) -> None:
        self.waiting.append(table.cast(self.schema))  # e.g. rows DuckDB wrote, which mark a column not null
        self.waiting_rows += table.num_rows
        if self.waiting_rows >= self.rows_per_group:
            self._write_waiting(whole_groups_only=True)

    def _write_waiting(self, *, whole_groups_only: bool = False) -> None:
        """Write the waiting rows (only whole row groups, keeping the rest waiting, when so asked)."""
        if not self.waiting_rows:
            return
        table = pa.concat_tables(self.waiting)
        written = table.num_rows - table.num_rows % self.rows_per_group if whole_groups_only else table.num_rows
        self.writer.write_table(table.slice(0, written), row_group_size=self.rows_per_group)
        rest = table.slice(written)
        self.waiting, self.waiting_rows = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        self._write_waiting()
        self.writer.close()

    def __enter__(self) -> _TableWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StoreError(RuntimeError):
    """The store is missing or unreadable; the message says which folder and why."""


@dataclass(frozen=True)
class FileStamp:
    """What an incremental build compares to decide a file is unchanged."""

    size: int
    mtime_ns: int
    manifest_hash: str


@dataclass
class PreviousStore:
    """The store an incremental build starts from: its files' stamps, report entries and content hashes, and
    which articles each of its segments holds."""

    store_dir: Path
    stamps: dict[str, FileStamp]
    entries: dict[str, list[dict]]
    content_hashes: dict[str, str]  # doc_id → content hash
    segments: dict[str, list[str]]  # segment name → its articles' doc_ids

    def reusable(self, path: str, stamp: FileStamp) -> bool:
        """Unchanged, and not a duplicate (whose original may be gone, so it is read again)."""
        entries = self.entries.get(path)
        return (
            self.stamps.get(path) == stamp
            and bool(entries)
            and all(e["status"] in ("ingested", "rejected", "manifest") for e in entries)
        )


def load_previous(store_dir: Path, *, analysis_version: str) -> PreviousStore | None:
    """The existing store, when an incremental build can use it (same analysis version, every table)."""
    store_dir = Path(store_dir)
    if not store_exists(store_dir):
        return None
    report = read_report(store_dir)
    if report["summary"].get("analysis_version") != analysis_version:
        return None
    inputs = pq.read_table(table_files(store_dir, "inputs")[0]).to_pylist()
    entries: dict[str, list[dict]] = {}
    for entry in report["inputs"]:
        entries.setdefault(entry["path"], []).append(entry)
    segments, content_hashes = {}, {}
    for segment in segment_dirs(store_dir):
        documents = pq.read_table(segment / "documents.parquet", columns=["doc_id", "content_hash"])
        doc_ids = documents["doc_id"].to_pylist()
        segments[segment.name] = doc_ids
        content_hashes.update(zip(doc_ids, documents["content_hash"].to_pylist()))
    return PreviousStore(
        store_dir=store_dir,
        stamps={r["path"]: FileStamp(r["size"], r["mtime_ns"], r["manifest_hash"]) for r in inputs},
        entries=entries,
        content_hashes=content_hashes,
        segments=segments,
    )


class StoreWriter:
    """Writes a new store beside out_dir and swaps it in only when complete, so a failed or
    interrupted build leaves the previous store as it was. New articles go to a new segment; an
    incremental build carries the previous store's segments over (see SEGMENT_FILES)."""

    def __init__(
        self,
        out_dir: Path,
        *,
        input_dir: Path,
        analysis_version: str = "",
        previous: PreviousStore | None = None,
    ):
        self.out_dir = Path(out_dir)
        self.input_dir = Path(input_dir)
        self.analysis_version = analysis_version
        self.previous = previous
        self.reused_doc_ids: list[str] = []
        self.new_doc_ids: list[str] = []
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_dir = self.out_dir.parent / f".{self.out_dir.name}.building-{os.getpid()}"
        self._segment_names = _segment_numbers(previous.segments if previous else {})
        self.segment_dir = self.tmp_dir / SEGMENTS_DIR / next(self._segment_names)
        self.report: list[dict] = []
        self.seen_hashes: dict[str, str] = {}
        # rows waiting to be written, as columns: documents one dict a row, the other tables column by column
        self._documents: list[dict] = []
        self._columns: dict[str, dict[str, list]] = {
            name: _empty_columns(name) for name in STREAMED_TABLES if name != "documents"
        }
        self._writers: dict[str, _TableWriter] = {}
        self._linked: list[Path] = []  # segments carried over from the previous store as they were
        self._staged: list[tuple[Path, list[str]]] = []  # segments workers wrote, with the articles kept of each
        self._streamed = 0  # articles whose rows came through add
        self.ingested = self.duplicates = self.rejected = self.reused = self.segments = 0

    def __enter__(self) -> StoreWriter:
        remove_abandoned_builds(self.out_dir)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self.segment_dir.mkdir(parents=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._close_writers()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    @property
    def files_seen(self) -> int:
        return len({entry["path"] for entry in self.report})

    def add(self, result: DocumentAnalysis | InputProblem | UnchangedFile) -> None:
        if isinstance(result, UnchangedFile):
            self._add_unchanged(result.path)
            return
        if isinstance(result, InputProblem):
            self._report(result.path, result.row, result.status, result.reason)
            if result.status == "rejected":
                self.rejected += 1
            return
        doc = result.document
        if not self.admit(summary_of(result)):
            return
        self._streamed += 1
        self._documents.append(doc)
        if len(self._documents) >= _ROWS_PER_FLUSH:
            self._flush("documents")
        for name, buffer in self._columns.items():
            added = result.columns.get(name, {})
            rows = len(next(iter(added.values()), ()))
            if not rows:
                continue
            buffer["doc_id"].extend([result.doc_id] * rows)
            for column, values in added.items():
                buffer[column].extend(values)
            if len(buffer["doc_id"]) >= _ROWS_PER_FLUSH:
                self._flush(name)

    def admit(self, article: ArticleSummary) -> bool:
        """Count and report a new article; whether it is the first with its text (a duplicate's rows are not
        kept). `add` calls it; a cluster build calls it with the summaries its workers send back."""
        first = self.seen_hashes.get(article.content_hash)
        if first is not None:
            self.duplicates += 1
            self._report(article.path, article.row, "duplicate", f"same text as {first}", doc_id=article.doc_id)
            return False
        self.seen_hashes[article.content_hash] = article.input_id
        self.ingested += 1
        self.new_doc_ids.append(article.doc_id)
        self._report(article.path, article.row, "ingested", article.note, doc_id=article.doc_id)
        return True

    def add_staged_segment(self, segment: Path, *, keep: list[str]) -> None:
        """A segment written apart from this writer (by a worker of a cluster build, under staging_dir), of which
        only the articles in `keep` are admitted; it joins the store in complete_segments."""
        self._staged.append((Path(segment), keep))

    @property
    def staging_dir(self) -> Path:
        """Where workers write whole segments for add_staged_segment: inside the store being built, so on the
        output's filesystem; removed before the swap."""
        return self.tmp_dir / _STAGING_DIR

    def _add_unchanged(self, path: str) -> None:
        """Take an unchanged file's report entries and articles from the previous store."""
        assert self.previous is not None, "an unchanged file needs a previous store"
        for entry in self.previous.entries[path]:
            doc_id = entry["doc_id"]
            if entry["status"] != "ingested":
                self._report(path, entry["row"], entry["status"], entry["reason"])
                self.rejected += entry["status"] == "rejected"
                continue
            input_id = path if entry["row"] is None else f"{path}#row={entry['row']}"
            content = self.previous.content_hashes[doc_id]
            first = self.seen_hashes.get(content)
            if first is not None:
                self.duplicates += 1
                self._report(path, entry["row"], "duplicate", f"same text as {first}", doc_id=doc_id)
                continue
            self.seen_hashes[content] = input_id
            self.ingested += 1
            self.reused += 1
            self.reused_doc_ids.append(doc_id)
            self._report(path, entry["row"], "ingested", entry["reason"], doc_id=doc_id)

    def _report(self, path: str, row: int | None, status: str, reason: str, *, doc_id: str | None = None) -> None:
        self.report.append({"path": path, "row": row, "status": status, "reason": reason, "doc_id": doc_id})

    def _flush(self, name: str) -> None:
        if name not in self._writers:
            self._writers[name] = _TableWriter(self.segment_dir / f"{name}.parquet", name)
        if name == "documents":
            if self._documents:
                self._writers[name].write(pa.Table.from_pylist(self._documents, schema=SCHEMAS[name]))
            self._documents = []
            return
        columns = self._columns[name]
        if columns["doc_id"]:
            self._writers[name].write(pa.Table.from_pydict(columns, schema=SCHEMAS[name]))
        self._columns[name] = _empty_columns(name)

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def _carry_previous_segments(self, rewrite: SegmentRewriter) -> list[Path]:
        """The previous store's segments in the new store: hard-linked where every article of one is reused,
        rewritten without the others where some are, left out where none is (or it has none)."""
        if self.previous is None:
            return []
        reused = set(self.reused_doc_ids)
        carried = []
        for name, doc_ids in self.previous.segments.items():
            source = self.previous.store_dir / SEGMENTS_DIR / name
            kept = [d for d in doc_ids if d in reused]
            if not kept:
                continue
            if len(kept) == len(doc_ids):
                carried.append(self.tmp_dir / SEGMENTS_DIR / name)
                if _link_segment(source, carried[-1]):
                    self._linked.append(carried[-1])
            else:
                carried.append(
                    rewrite(
                        [source],
                        self.tmp_dir / SEGMENTS_DIR / next(self._segment_names),
                        keep=pa.array(kept),
                        work_dir=self.tmp_dir,
                    )
                )
        return carried

    def _adopt_staged_segments(self, rewrite: SegmentRewriter) -> list[Path]:
        """The staged segments in the new store: moved in whole where every article of one is kept, rewritten
        without the others where some are (duplicates of articles in an earlier segment), left out otherwise."""
        adopted = []
        for segment, keep in self._staged:
            if not keep:
                continue
            target = self.tmp_dir / SEGMENTS_DIR / next(self._segment_names)
            written = pq.read_table(segment / "documents.parquet", columns=["doc_id"])["doc_id"].to_pylist()
            if sorted(written) == sorted(keep):
                os.rename(segment, target)
                adopted.append(target)
            else:
                adopted.append(rewrite([segment], target, keep=pa.array(keep), work_dir=self.tmp_dir))
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        return adopted

    def _compacted(self, segments: list[Path], rewrite: SegmentRewriter) -> list[Path]:
        """At most MAX_SEGMENTS segments: beyond that, the small ones become one (all of them, when together
        they hold as many articles as the largest)."""
        if len(segments) <= MAX_SEGMENTS:
            return segments
        sizes = {s: pq.read_metadata(s / "documents.parquet").num_rows for s in segments}
        largest = max(segments, key=sizes.get)
        merged = [s for s in segments if s != largest]
        if sum(sizes[s] for s in merged) >= sizes[largest]:
            merged = segments
        into = rewrite(merged, self.tmp_dir / SEGMENTS_DIR / next(self._segment_names), work_dir=self.tmp_dir)
        for segment in merged:
            shutil.rmtree(segment)
        return [s for s in segments if s not in merged] + [into]

    def complete_segments(
        self, *, stamps: dict[str, FileStamp] | None = None, rewrite: SegmentRewriter | None = None
    ) -> None:
        """Complete the segments and write the input stamps; the corpus-wide events come next, from the
        segments (hutong.timeline.merge_events on tmp_dir), then `finish`. Segments rewritten (without some
        articles, or merged into one) are written by `rewrite` (default: rewrite_segment, in this process)."""
        rewrite = rewrite or rewrite_segment
        for name in STREAMED_TABLES:
            self._flush(name)
        self._close_writers()
        segments = self._carry_previous_segments(rewrite) + self._adopt_staged_segments(rewrite)
        if self._streamed or not segments:  # a store always has a segment, if an empty one
            _derive_segment_aggregates(self.segment_dir, work_dir=self.tmp_dir)
            segments.append(self.segment_dir)
        else:
            shutil.rmtree(self.segment_dir)
        self.segments = len(self._compacted(segments, rewrite))
        _write_inputs(self.tmp_dir, stamps or {})

    def finish(self, *, lexicon: Lexicon) -> None:
        """Write the report and the user dictionary, then swap the new store in."""
        (self.tmp_dir / "userdict.txt").write_text(lexicon.jieba_user_dictionary(), encoding="utf-8")
        summary = {
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "hutong_version": __version__,
            "analysis_version": self.analysis_version,
            "input_dir": str(self.input_dir.resolve()),
            "files_seen": self.files_seen,
            "ingested": self.ingested,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "reused": self.reused,
            "segments": self.segments,
        }
        report = {"summary": summary, "inputs": self.report}
        (self.tmp_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        shutil.rmtree(self.tmp_dir / ".spill", ignore_errors=True)
        _fsync_tree(self.tmp_dir, written_before=frozenset(self._linked))
        _swap_into_place(self.tmp_dir, self.out_dir)

    def changed_doc_ids(self) -> list[str] | None:
        """The articles added or dropped since the previous store (None: no previous store, everything is new)."""
        if self.previous is None:
            return None
        reused = set(self.reused_doc_ids)
        dropped = [d for doc_ids in self.previous.segments.values() for d in doc_ids if d not in reused]
        return [*self.new_doc_ids, *dropped]


@dataclass(frozen=True)
class ArticleSummary:
    """What the store's report needs of an ingested article: all that comes back from a cluster's worker."""

    doc_id: str
    content_hash: str
    path: str
    row: int | None
    input_id: str
    note: str


def summary_of(result: DocumentAnalysis) -> ArticleSummary:
    doc = result.document
    return ArticleSummary(
        doc_id=result.doc_id,
        content_hash=result.content_hash,
        path=doc["path"],
        row=doc["row"],
        input_id=doc["input_id"],
        note=_ingest_note(doc),
    )


def write_segment(analyses: list[DocumentAnalysis], target: Path, *, work_dir: Path) -> None:
    """A segment of the given articles (each doc_id once) with its aggregates, written apart from a StoreWriter:
    by a worker of a cluster build, into the store's staging_dir. The target folder must not exist yet."""
    target.mkdir()
    for name in STREAMED_TABLES:
        with _TableWriter(target / f"{name}.parquet", name) as writer:
            if name == "documents":
                writer.write(pa.Table.from_pylist([a.document for a in analyses], schema=SCHEMAS[name]))
                continue
            columns = _empty_columns(name)
            for analysis in analyses:
                added = analysis.columns.get(name, {})
                rows = len(next(iter(added.values()), ()))
                columns["doc_id"].extend([analysis.doc_id] * rows)
                for column, values in added.items():
                    columns[column].extend(values)
            writer.write(pa.Table.from_pydict(columns, schema=SCHEMAS[name]))
    _derive_segment_aggregates(target, work_dir=work_dir)


def _segment_numbers(previous: dict[str, list[str]]) -> Iterator[str]:
    """Names for new segments, after the previous store's: 000001, 000002, …"""
    number = max((int(name) for name in previous), default=0)
    while True:
        number += 1
        yield f"{number:06d}"


def _link_segment(source: Path, target: Path) -> bool:
    """The previous store's segment in the new store as hard links (the same files, nothing copied), or copies
    where the file system has no hard links; whether it is all links."""
    target.mkdir(parents=True)
    return all([_link_or_copy(path, target / path.name) for path in source.iterdir()])


def rewrite_segment(sources: list[Path], target: Path, *, keep: pa.Array | None = None, work_dir: Path) -> Path:
    """A segment made of the streamed rows of other segments (only the articles in `keep`, when given), with
    its aggregates derived again (DuckDB, up to BUILD_DUCKDB_MEMORY). StoreWriter.complete_segments calls it,
    or a function with its signature that runs it elsewhere (on a Dask worker: hutong.cluster)."""
    target.mkdir(parents=True)
    for name in STREAMED_TABLES:
        with _TableWriter(target / f"{name}.parquet", name) as writer:
            for source in sources:
                rows = pq.ParquetFile(source / f"{name}.parquet")
                for batch in rows.iter_batches(batch_size=_ROWS_PER_FLUSH, columns=SCHEMAS[name].names):
                    if keep is not None:
                        batch = batch.filter(pc.is_in(batch.column("doc_id"), value_set=keep))
                    if batch.num_rows:
                        writer.write(pa.Table.from_batches([batch]))
    _derive_segment_aggregates(target, work_dir=work_dir)
    return target


def _write_inputs(store_dir: Path, stamps: dict[str, FileStamp]) -> None:
    rows = [
        {"path": p, "size": s.size, "mtime_ns": s.mtime_ns, "manifest_hash": s.manifest_hash}
        for p, s in sorted(stamps.items())
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=INPUTS_SCHEMA), store_dir / "inputs.parquet")


def _empty_columns(name: str) -> dict[str, list]:
    return {column: [] for column in SCHEMAS[name].names}


def _ingest_note(doc: dict) -> str:
    if doc["published_at"] is None:
        return f"ingested; no publication time ({doc['published_at_note']})"
    return "ingested"


# The day an article is dated (see china_time); NULL when undated.
_DAY = china_day_sql("d.published_at")

# DuckDB would take 80% of the machine's memory by default; a build keeps it bounded and spills to disk.
BUILD_DUCKDB_MEMORY = "512MB"


def build_connection(store_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{BUILD_DUCKDB_MEMORY}'")
    con.execute(f"SET temp_directory = '{sql_path(store_dir / '.spill')}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def sql_files(paths: list[Path]) -> str:
    """A list of files as DuckDB's read_parquet takes it."""
    return "[" + ", ".join(f"'{sql_path(p)}'" for p in paths) + "]"


def segment_views(con: duckdb.DuckDBPyConnection, store_dir: Path, names: tuple[str, ...]) -> None:
    """Views over every segment of a store (or of the store being built) for the given tables."""
    for name in names:
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({sql_files(table_files(store_dir, name))})"
        )


# ---- aggregates -----------------------------------------------------------------------------------
# Tables derived from the streamed ones, so that the page reads thousands of rows where it would scan millions
# (terms, mentions, every article's text). Each is one query; each segment holds its own articles' rows of them,
# derived when the segment is written. The per-day ones (DAY_SUMS) have a row per key and day in each segment,
# which readers sum (see SEGMENT_FILES); the others have a row per article.

AGGREGATES: dict[str, str] = {
    # per term and publication day: occurrences and the articles using it
    # (the day worked out once per article, not once per row: the time-zone conversion is what costs)
    "term_days": f"""
        SELECT t.term, d.day, sum(t.count)::BIGINT AS count, count(*)::BIGINT AS docs
        FROM terms t JOIN (SELECT doc_id, {_DAY} AS day FROM documents d) d USING (doc_id)
        GROUP BY ALL ORDER BY t.term, d.day""",
    # per entity (with its group) and publication day: its mentions and the articles naming it
    "entity_days": f"""
        SELECT m.entity, m.entity_group, d.day, count(*)::BIGINT AS mentions,
               count(DISTINCT m.doc_id)::BIGINT AS articles
        FROM mentions m JOIN (SELECT doc_id, {_DAY} AS day FROM documents d) d USING (doc_id)
        GROUP BY ALL ORDER BY m.entity, d.day""",
    # per group and publication day: its members' mentions and the articles naming any of them
    "group_days": f"""
        SELECT m.entity_group, d.day, count(*)::BIGINT AS mentions, count(DISTINCT m.doc_id)::BIGINT AS articles
        FROM mentions m JOIN (SELECT doc_id, {_DAY} AS day FROM documents d) d USING (doc_id)
        GROUP BY ALL ORDER BY m.entity_group, d.day""",
    # per publication day (NULL: undated), source and script: the articles and their tokens, what the page's
    # counts, spans and per-bucket totals read when no filter picks articles by more than their source
    "article_days": f"""
        SELECT {_DAY} AS day, source, script, count(*)::BIGINT AS articles, sum(tokens)::BIGINT AS tokens
        FROM documents d GROUP BY ALL ORDER BY day, source, script""",
    # per article and entity: its mentions, with the article's day
    "doc_entities": f"""
        SELECT m.entity, m.doc_id, d.day, count(*)::BIGINT AS mentions
        FROM mentions m JOIN (SELECT doc_id, {_DAY} AS day FROM documents d) d USING (doc_id)
        GROUP BY ALL ORDER BY m.entity, d.day, m.doc_id""",
    # per article and pair of entities named in one sentence: the sentences they share
    "doc_pairs": f"""
        WITH m AS (SELECT DISTINCT doc_id, sentence_index, entity FROM mentions)
        SELECT x.doc_id, {_DAY} AS day, x.entity AS a, y.entity AS b, count(*)::BIGINT AS sentences
        FROM m x JOIN m y ON x.doc_id = y.doc_id AND x.sentence_index = y.sentence_index AND x.entity < y.entity
        JOIN documents d ON d.doc_id = x.doc_id GROUP BY ALL ORDER BY day, x.doc_id, a, b""",
    # per pair of entities named in one sentence and publication day: the sentences they share (from doc_pairs,
    # written before it)
    "pair_days": """
        SELECT a, b, day, sum(sentences)::BIGINT AS sentences FROM doc_pairs GROUP BY ALL ORDER BY day, a, b""",
    # what free-text search looks in, lower-cased: each article's title, its text as written and the sentences
    # that simplified script changed (so a simplified query finds a traditional article)
    "search": """
        SELECT d.doc_id, lower(concat_ws(chr(10), d.title, d.text, s.changed)) AS text
        FROM documents d LEFT JOIN (
            SELECT doc_id, string_agg(text, chr(10)) AS changed
            FROM sentences WHERE text <> original GROUP BY doc_id) s USING (doc_id)""",
}
# Small row groups let DuckDB scan the search text on every core.
_ROW_GROUP_ROWS = {"search": 8_192}


def _derive_segment_aggregates(segment: Path, *, work_dir: Path) -> None:
    """A segment's aggregates, its sentences rewritten with their article's day, in day order (so that the
    sentences of one bucket of the trend chart are read without scanning every sentence), and its event
    reports in article order (so that an evidence card reads the row groups of its few articles, not every
    report's evidence: 0.43 s → 0.18 s for an event reported in ten articles among 10 million reports).
    DuckDB spills under work_dir."""
    con = build_connection(work_dir)
    for name in ("documents", "terms", "mentions", "sentences"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{sql_path(segment / f'{name}.parquet')}')")
    dated = segment / "sentences.dated.parquet"
    con.execute(
        f"""COPY (SELECT {", ".join(f"s.{c}" for c in SCHEMAS["sentences"].names)}, {_DAY} AS day
                  FROM sentences s LEFT JOIN (SELECT doc_id, published_at FROM documents) d USING (doc_id)
                  ORDER BY day, s.doc_id, s.sentence_index)
            TO '{sql_path(dated)}' (FORMAT parquet)"""
    )
    reports = segment / "event_reports.sorted.parquet"
    con.execute(
        f"""COPY (SELECT * FROM read_parquet('{sql_path(segment / "event_reports.parquet")}')
                  ORDER BY doc_id, report_index)
            TO '{sql_path(reports)}' (FORMAT parquet, ROW_GROUP_SIZE {_ROWS_PER_FLUSH})"""
    )
    for name, sql in AGGREGATES.items():  # in order: an aggregate may read one written before it
        rows = _ROW_GROUP_ROWS.get(name, ROW_GROUP_ROWS)
        written = sql_path(segment / f"{name}.parquet")
        con.execute(f"COPY ({sql}) TO '{written}' (FORMAT parquet, ROW_GROUP_SIZE {rows})")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{written}')")
    con.close()
    os.replace(dated, segment / "sentences.parquet")
    os.replace(reports, segment / "event_reports.parquet")


def _link_or_copy(source: Path, target: Path) -> bool:
    """Whether the file became a hard link (True) or, where the file system has none, a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
        return False
    return True


def _fsync_tree(folder: Path, *, written_before: frozenset[Path] = frozenset()) -> None:
    """Flush every file under folder to disk, but those of the folders in written_before (hard links to files a
    previous build flushed), and the folders themselves."""
    for path in folder.iterdir():
        if path.is_dir():
            _fsync_tree(path, written_before=written_before)
            continue
        if folder in written_before:
            continue
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_abandoned_builds(out_dir: Path) -> None:
    """Remove the .<out>.building-<pid> folders of builds that are no longer running (killed, or the machine
    went down), so they cannot pile up; put back a previous store that a swap cut short left aside."""
    for folder in out_dir.parent.glob(f".{glob.escape(out_dir.name)}.*-*"):
        stage, _, pid = folder.name[len(out_dir.name) + 2 :].rpartition("-")
        if stage not in ("building", "previous") or not pid.isdigit() or _is_running(int(pid)):
            continue
        if stage == "previous" and not out_dir.exists():
            os.rename(folder, out_dir)  # killed between the two renames of _swap_into_place
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


_RENAME_EXCHANGE = 2


def _swap_into_place(new_dir: Path, out_dir: Path) -> None:
    """Make new_dir become out_dir in one step where the OS allows (Linux renameat2 RENAME_EXCHANGE)."""
    if not out_dir.exists():
        os.rename(new_dir, out_dir)
        return
    if _exchange(new_dir, out_dir):
        shutil.rmtree(new_dir)  # it now holds the previous store
        return
    old_dir = out_dir.parent / f".{out_dir.name}.previous-{os.getpid()}"
    os.rename(out_dir, old_dir)
    os.rename(new_dir, out_dir)
    shutil.rmtree(old_dir)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


# ---- reading ---------------------------------------------------------------------------------

# What a reader of the store sees, each a view of connect() and readable with read_table.
TABLES = (*STREAMED_TABLES, *SEGMENT_AGGREGATES, "events", "report_events")


def segment_dirs(store_dir: Path) -> list[Path]:
    folder = Path(store_dir) / SEGMENTS_DIR
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def table_files(store_dir: Path, name: str) -> list[Path]:
    """The Parquet files holding a table: one per segment for the articles' tables, one for the corpus's."""
    if name in SEGMENT_FILES:
        return [segment / f"{name}.parquet" for segment in segment_dirs(store_dir)]
    return [Path(store_dir) / f"{name}.parquet"]


def store_exists(store_dir: Path) -> bool:
    store_dir = Path(store_dir)
    segments = segment_dirs(store_dir)
    return (
        (store_dir / "report.json").exists()
        and all((store_dir / f"{name}.parquet").exists() for name in CORPUS_TABLES)
        and bool(segments)
        and all((segment / f"{name}.parquet").exists() for segment in segments for name in SEGMENT_FILES)
    )


def missing_store_error(store_dir: Path) -> StoreError:
    store_dir = Path(store_dir)
    if (store_dir / "documents.parquet").exists():
        return StoreError(
            f"{store_dir} was built by an earlier version of Hutong (one file per table, no segments): "
            "build it again with `python -m hutong build`"
        )
    return StoreError(f"no complete store in {store_dir}: build the store with `python -m hutong build`")


def read_table(store_dir: Path, name: str, *, columns: list[str] | None = None) -> pd.DataFrame:
    """One table of the store as a frame; event_reports with each report's event_id, in event order."""
    if name not in TABLES:
        raise StoreError(f"the store has no table {name!r}; it has {', '.join(TABLES)}")
    if not store_exists(store_dir):
        raise missing_store_error(store_dir)
    if name != "event_reports":
        return _read_files(table_files(store_dir, name), columns=columns).to_pandas()
    reports = _read_files(table_files(store_dir, name))
    ordered = reports.join(
        pq.read_table(table_files(store_dir, "report_events")[0]), keys=["doc_id", "report_index"], join_type="inner"
    ).sort_by([("event_id", "ascending"), ("doc_id", "ascending"), ("report_index", "ascending")])
    return ordered.select(columns or [*SCHEMAS[name].names, "event_id"]).to_pandas()


def _read_files(files: list[Path], *, columns: list[str] | None = None) -> pa.Table:
    # DuckDB marks a column it wrote with no NULLs as not null; segments differ in that alone
    return pa.concat_tables([pq.read_table(f, columns=columns) for f in files], promote_options="permissive")


def read_summary(store_dir: Path) -> dict:
    """When, from what and by which version of the analysis the store was built: report.json's summary,
    read from the head of the file (it comes first), not from the entries of every input that follow."""
    path = Path(store_dir) / "report.json"
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(65_536)
        summary, _ = json.JSONDecoder().raw_decode(head, head.index("{", head.index('"summary":')))
        return summary
    except (OSError, ValueError):  # no file, or a summary longer than the head: read all of it
        return read_report(store_dir)["summary"]


def replacement_problem(out_dir: Path, *, input_dir: Path) -> str | None:
    """Why building input_dir into out_dir would replace something it should not (a store built from another
    input folder, or a folder that is not a store at all), or None when out_dir is free or this input's store."""
    out_dir = Path(out_dir)
    if not out_dir.exists() or (out_dir.is_dir() and not any(out_dir.iterdir())):
        return None
    if not (out_dir / "report.json").is_file():
        return f"{out_dir} is not a Hutong store (it has no report.json)"
    try:
        built_from = read_summary(out_dir).get("input_dir")
    except (StoreError, ValueError, KeyError, AttributeError):
        return f"{out_dir} holds a report.json that cannot be read"
    if built_from is None or Path(built_from).resolve() != Path(input_dir).resolve():
        return f"{out_dir} was built from another input folder ({built_from or 'not recorded'})"
    return None


def read_report(store_dir: Path) -> dict:
    path = Path(store_dir) / "report.json"
    if not path.exists():
        raise StoreError(f"{path} is missing: build the store with `python -m hutong build`")
    return json.loads(path.read_text(encoding="utf-8"))


def connect(store_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view of every table of the store (TABLES), over all its segments,
    and term_weights, each article's terms with their TF-IDF over the whole corpus."""
    if not store_exists(store_dir):
        raise missing_store_error(store_dir)
    con = duckdb.connect()
    files = {name: sql_files(table_files(store_dir, name)) for name in TABLES}
    for name in TABLES:
        if name == "event_reports":  # the segments' reports with their event, which the corpus-wide merge gives
            con.execute(f"""CREATE VIEW event_reports AS SELECT r.*, e.event_id FROM read_parquet({files[name]}) r
                            JOIN read_parquet({files["report_events"]}) e USING (doc_id, report_index)""")
        else:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files[name]})")
    # (count / article tokens) × ln((1 + N) / (1 + df)) + 1; a term's df is its articles summed over days
    con.execute("""CREATE VIEW term_weights AS
                   SELECT t.doc_id, t.term, t.count,
                          t.count / greatest(d.tokens, 1)::DOUBLE * (ln((1 + n.docs) / (1 + df.df)::DOUBLE) + 1) AS tfidf
                   FROM terms t JOIN (SELECT term, sum(docs) AS df FROM term_days GROUP BY term) df USING (term)
                   JOIN (SELECT doc_id, tokens FROM documents) d USING (doc_id),
                   (SELECT count(*) AS docs FROM documents) n""")
    return con


@contextmanager
def connected(store_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(store_dir)
    try:
        yield con
    finally:
        con.close()
