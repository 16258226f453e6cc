"""The processed store: the one module that writes and reads the Parquet tables under data/processed/."""

from __future__ import annotations

import ctypes
import glob
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hutong import __version__
from hutong.models import InputProblem, UnchangedFile

if TYPE_CHECKING:
    from hutong.lexicon import Lexicon
    from hutong.pipeline import DocumentAnalysis

_TS = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema([
        ("doc_id", pa.string()), ("input_id", pa.string()), ("path", pa.string()), ("row", pa.int64()),
        ("format", pa.string()), ("encoding", pa.string()), ("title", pa.string()), ("source", pa.string()),
        ("url", pa.string()), ("published_at", _TS), ("published_at_note", pa.string()),
        ("script", pa.string()), ("chars", pa.int64()), ("tokens", pa.int64()), ("sentences", pa.int64()),
        ("content_hash", pa.string()), ("text", pa.string()), ("metadata", pa.string()),
    ]),
    "sentences": pa.schema([
        ("doc_id", pa.string()), ("sentence_index", pa.int64()), ("start", pa.int64()), ("end", pa.int64()),
        ("text", pa.string()), ("original", pa.string()),
    ]),
    "mentions": pa.schema([
        ("doc_id", pa.string()), ("entity", pa.string()), ("sentence_index", pa.int64()),
        ("start", pa.int64()), ("end", pa.int64()), ("surface", pa.string()),
    ]),
    "terms": pa.schema([("doc_id", pa.string()), ("term", pa.string()), ("count", pa.int64())]),
    "times": pa.schema([
        ("doc_id", pa.string()), ("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
        ("sentence_index", pa.int64()), ("value", pa.string()), ("kind", pa.string()), ("resolution", pa.string()),
    ]),
    "event_reports": pa.schema([
        ("doc_id", pa.string()), ("report_index", pa.int64()), ("kind", pa.string()),
        ("a", pa.string()), ("b", pa.string()), ("a_group", pa.string()), ("b_group", pa.string()),
        ("directed", pa.bool_()), ("domain", pa.string()), ("action", pa.string()),
        ("date", pa.string()), ("date_resolution", pa.string()), ("trigger", pa.string()),
        ("sentence_index", pa.int64()), ("start", pa.int64()), ("end", pa.int64()),
        ("evidence", pa.string()), ("a_surface", pa.string()), ("b_surface", pa.string()),
        ("date_text", pa.string()), ("merged_into", pa.int64()),
    ]),
}
INPUTS_SCHEMA = pa.schema([
    ("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("manifest_hash", pa.string()),
])
# Tables written per article as the build streams; the others are derived when it finishes.
STREAMED_TABLES = ("documents", "sentences", "mentions", "terms", "times", "event_reports")
_ROWS_PER_FLUSH = 20_000


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
    """The store an incremental build starts from: its files' stamps, report entries and content hashes."""

    store_dir: Path
    stamps: dict[str, FileStamp]
    entries: dict[str, list[dict]]
    content_hashes: dict[str, str]  # doc_id → content hash

    def reusable(self, path: str, stamp: FileStamp) -> bool:
        """Unchanged, and not a duplicate (whose original may be gone, so it is read again)."""
        entries = self.entries.get(path)
        return (
            self.stamps.get(path) == stamp
            and bool(entries)
            and all(e["status"] in ("ingested", "rejected", "manifest") for e in entries)
        )


def load_previous(store_dir: Path, *, analysis_version: str) -> PreviousStore | None:
    """The existing store, when an incremental build can use it (same analysis version, all tables)."""
    store_dir = Path(store_dir)
    if not store_exists(store_dir) or not (store_dir / "inputs.parquet").exists():
        return None
    report = read_report(store_dir)
    if report["summary"].get("analysis_version") != analysis_version:
        return None
    inputs = pq.read_table(store_dir / "inputs.parquet").to_pylist()
    entries: dict[str, list[dict]] = {}
    for entry in report["inputs"]:
        entries.setdefault(entry["path"], []).append(entry)
    documents = pq.read_table(table_path(store_dir, "documents"), columns=["doc_id", "content_hash"])
    return PreviousStore(
        store_dir=store_dir,
        stamps={r["path"]: FileStamp(r["size"], r["mtime_ns"], r["manifest_hash"]) for r in inputs},
        entries=entries,
        content_hashes=dict(zip(documents["doc_id"].to_pylist(), documents["content_hash"].to_pylist())),
    )


class StoreWriter:
    """Writes a new store beside out_dir and swaps it in only when complete, so a failed or
    interrupted build leaves the previous store as it was."""

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
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_dir = self.out_dir.parent / f".{self.out_dir.name}.building-{os.getpid()}"
        self.report: list[dict] = []
        self.seen_hashes: dict[str, str] = {}
        # rows waiting to be written, as columns: documents one dict a row, the other tables column by column
        self._documents: list[dict] = []
        self._columns: dict[str, dict[str, list]] = {name: _empty_columns(name) for name in STREAMED_TABLES
                                                     if name != "documents"}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.ingested = self.duplicates = self.rejected = self.reused = 0

    def __enter__(self) -> StoreWriter:
        remove_abandoned_builds(self.out_dir)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self.tmp_dir.mkdir(parents=True)
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
        first = self.seen_hashes.get(result.content_hash)
        if first is not None:
            self.duplicates += 1
            self._report(doc["path"], doc["row"], "duplicate", f"same text as {first}", doc_id=result.doc_id)
            return
        self.seen_hashes[result.content_hash] = doc["input_id"]
        self.ingested += 1
        self._report(doc["path"], doc["row"], "ingested", _ingest_note(doc), doc_id=result.doc_id)
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

    def _copy_reused_rows(self) -> None:
        """Append the unchanged articles' rows from the previous store, table by table, batch by batch."""
        if not self.reused_doc_ids:
            return
        assert self.previous is not None
        wanted = pa.array(self.reused_doc_ids)
        for name in STREAMED_TABLES:
            if name not in self._writers:
                self._writers[name] = pq.ParquetWriter(self.tmp_dir / f"{name}.parquet", SCHEMAS[name])
            source = pq.ParquetFile(table_path(self.previous.store_dir, name))
            for batch in source.iter_batches(batch_size=50_000, columns=SCHEMAS[name].names):
                kept = batch.filter(pc.is_in(batch.column("doc_id"), value_set=wanted))
                if kept.num_rows:
                    self._writers[name].write_table(pa.Table.from_batches([kept]).cast(SCHEMAS[name]))

    def _report(self, path: str, row: int | None, status: str, reason: str, *, doc_id: str | None = None) -> None:
        self.report.append({"path": path, "row": row, "status": status, "reason": reason, "doc_id": doc_id})

    def _flush(self, name: str) -> None:
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self.tmp_dir / f"{name}.parquet", SCHEMAS[name])
        if name == "documents":
            if self._documents:
                self._writers[name].write_table(pa.Table.from_pylist(self._documents, schema=SCHEMAS[name]))
            self._documents = []
            return
        columns = self._columns[name]
        if columns["doc_id"]:
            self._writers[name].write_table(pa.Table.from_pydict(columns, schema=SCHEMAS[name]))
        self._columns[name] = _empty_columns(name)

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def finish(self, *, lexicon: Lexicon, stamps: dict[str, FileStamp] | None = None) -> None:
        """Derive the corpus-wide tables, write the report, then swap the new store in."""
        for name in STREAMED_TABLES:
            self._flush(name)
        self._copy_reused_rows()
        self._close_writers()
        _write_inputs(self.tmp_dir, stamps or {})
        _add_tfidf(self.tmp_dir)
        _add_sentence_days(self.tmp_dir)
        _merge_timeline(self.tmp_dir)
        write_aggregates(self.tmp_dir)
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
        }
        report = {"summary": summary, "inputs": self.report}
        (self.tmp_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        shutil.rmtree(self.tmp_dir / ".spill", ignore_errors=True)
        _fsync_tree(self.tmp_dir)
        _swap_into_place(self.tmp_dir, self.out_dir)


_ITEM_SCHEMA = pa.schema([
    ("item", pa.int64()), ("kind", pa.string()), ("a", pa.string()), ("b", pa.string()), ("a_group", pa.string()),
    ("b_group", pa.string()), ("domain", pa.string()), ("action", pa.string()), ("date", pa.string()),
    ("date_resolution", pa.string()), ("first_doc_id", pa.string()), ("first_report_index", pa.int64()),
])
_ASSIGNED_SCHEMA = pa.schema([("doc_id", pa.string()), ("report_index", pa.int64()), ("item", pa.int64())])


def _merge_timeline(store_dir: Path) -> None:
    """The corpus-wide timeline (events.parquet) and each report's event_id, streamed group by group
    through DuckDB so that memory stays bounded however many reports there are."""
    from hutong.events import HeadReport, merge_timeline_group, timeline_group_key

    reports, documents = (_sql_path(store_dir / f"{name}.parquet") for name in ("event_reports", "documents"))
    items_path, assigned_path = store_dir / "timeline_items.parquet", store_dir / "timeline_assigned.parquet"
    con = _build_connection(store_dir)
    cursor = con.execute(
        f"""SELECT r.doc_id, r.report_index, r.kind, r.a, r.b, r.a_group, r.b_group, r.domain, r.action,
                   r.date, r.date_resolution
            FROM read_parquet('{reports}') r JOIN read_parquet('{documents}') d USING (doc_id)
            WHERE r.merged_into IS NULL
            ORDER BY r.kind, r.action, r.domain, least(r.a, coalesce(r.b, '')), greatest(r.a, coalesce(r.b, '')),
                     d.published_at NULLS LAST, r.doc_id, r.report_index"""
    )
    with _CountingWriter(items_path, _ITEM_SCHEMA) as items_out, _CountingWriter(assigned_path, _ASSIGNED_SCHEMA) as assigned_out:
        items, assigned = [], []
        for _, group in groupby(_fetch(cursor, HeadReport), key=timeline_group_key):
            group_items, group_assigned = merge_timeline_group(group)
            base = len(items) + items_out.count
            items += [{"item": base + i, **item} for i, item in enumerate(group_items)]
            assigned += [(d, r, base + i) for d, r, i in group_assigned]
            if len(assigned) >= 100_000:
                items_out.write_batch_rows(items, _ITEM_SCHEMA)
                assigned_out.write_batch_rows(assigned, _ASSIGNED_SCHEMA)
                items, assigned = [], []
        items_out.write_batch_rows(items, _ITEM_SCHEMA)
        assigned_out.write_batch_rows(assigned, _ASSIGNED_SCHEMA)
    _write_event_tables(con, store_dir, items_path, assigned_path)
    con.close()
    items_path.unlink()
    assigned_path.unlink()


def _fetch(cursor: duckdb.DuckDBPyConnection, record: type) -> Iterator:
    while rows := cursor.fetchmany(50_000):
        for row in rows:
            yield record(*row)


class _CountingWriter(pq.ParquetWriter):
    """A ParquetWriter that counts its rows and writes lists of dicts or tuples."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = 0

    def write_batch_rows(self, rows: list, schema: pa.Schema) -> None:
        if not rows:
            return
        if isinstance(rows[0], dict):
            table = pa.Table.from_pylist(rows, schema=schema)
        else:
            table = pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(zip(*rows), schema)], schema=schema)
        self.write_table(table)
        self.count += len(rows)


def _write_event_tables(con: duckdb.DuckDBPyConnection, store_dir: Path, items_path: Path, assigned_path: Path) -> None:
    """events: the items numbered by when they were first reported, with their evidence and counts;
    event_reports: every report with the event_id of its item (a restatement takes its head's), in event
    order, so that one event's reports are read without scanning all of them."""
    reports, documents = (_sql_path(store_dir / f"{name}.parquet") for name in ("event_reports", "documents"))
    items, assigned = _sql_path(items_path), _sql_path(assigned_path)
    con.execute(
        f"""CREATE TEMP TABLE numbered AS
            SELECT i.item, printf('e%05d', row_number() OVER (
                       ORDER BY d.published_at NULLS LAST, i.first_doc_id, i.first_report_index)) AS event_id
            FROM read_parquet('{items}') i JOIN read_parquet('{documents}') d ON d.doc_id = i.first_doc_id"""
    )
    con.execute(
        f"""CREATE TEMP TABLE report_events AS
            SELECT r.doc_id, r.report_index, n.event_id
            FROM read_parquet('{reports}') r
            JOIN read_parquet('{assigned}') a
              ON a.doc_id = r.doc_id AND a.report_index = coalesce(r.merged_into, r.report_index)
            JOIN numbered n USING (item)"""
    )
    assigned_reports = store_dir / "event_reports.assigned.parquet"
    con.execute(
        f"""COPY (SELECT r.*, e.event_id FROM read_parquet('{reports}') r
                  JOIN report_events e USING (doc_id, report_index) ORDER BY e.event_id, r.doc_id, r.report_index)
            TO '{_sql_path(assigned_reports)}' (FORMAT parquet)"""
    )
    con.execute(
        f"""COPY (SELECT n.event_id, i.kind, i.a, i.b, i.a_group, i.b_group, i.domain, i.action, i.date,
                         i.date_resolution, i.first_doc_id, i.first_report_index, r.evidence,
                         c.reports, c.articles
                  FROM read_parquet('{items}') i JOIN numbered n USING (item)
                  JOIN (SELECT event_id, count(*) AS reports, count(DISTINCT doc_id) AS articles
                        FROM report_events GROUP BY event_id) c USING (event_id)
                  LEFT JOIN read_parquet('{reports}') r
                    ON r.doc_id = i.first_doc_id AND r.report_index = i.first_report_index
                  ORDER BY n.event_id)
            TO '{_sql_path(store_dir / "events.parquet")}' (FORMAT parquet)"""
    )
    os.replace(assigned_reports, store_dir / "event_reports.parquet")


def _write_inputs(store_dir: Path, stamps: dict[str, FileStamp]) -> None:
    rows = [{"path": p, "size": s.size, "mtime_ns": s.mtime_ns, "manifest_hash": s.manifest_hash}
            for p, s in sorted(stamps.items())]
    pq.write_table(pa.Table.from_pylist(rows, schema=INPUTS_SCHEMA), store_dir / "inputs.parquet")


def _empty_columns(name: str) -> dict[str, list]:
    return {column: [] for column in SCHEMAS[name].names}


def _ingest_note(doc: dict) -> str:
    if doc["published_at"] is None:
        return f"ingested; no publication time ({doc['published_at_note']})"
    return "ingested"


# The day an article is dated, in China time (publication times are stored in UTC); NULL when undated.
_DAY = "CAST(timezone('Asia/Shanghai', d.published_at) AS DATE)"

# DuckDB would take 80% of the machine's memory by default; a build keeps it bounded and spills to disk.
BUILD_DUCKDB_MEMORY = "512MB"


def _build_connection(store_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{BUILD_DUCKDB_MEMORY}'")
    con.execute(f"SET temp_directory = '{_sql_path(store_dir / '.spill')}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _add_tfidf(store_dir: Path) -> None:
    """Rewrite terms with a corpus-wide TF-IDF column: (count / article tokens) × ln((1 + N) / (1 + df)) + 1."""
    terms = store_dir / "terms.parquet"
    scored = store_dir / "terms.scored.parquet"
    con = _build_connection(store_dir)
    con.execute(
        f"""
        COPY (
          WITH t AS (SELECT * FROM read_parquet('{_sql_path(terms)}')),
               d AS (SELECT doc_id, tokens FROM read_parquet('{_sql_path(store_dir / "documents.parquet")}')),
               n AS (SELECT count(*) AS docs FROM d),
               df AS (SELECT term, count(*) AS df FROM t GROUP BY term)
          SELECT t.doc_id, t.term, t.count,
                 t.count / greatest(d.tokens, 1)::DOUBLE * (ln((1 + n.docs) / (1 + df.df)::DOUBLE) + 1) AS tfidf
          FROM t JOIN df USING (term) JOIN d USING (doc_id), n
        ) TO '{_sql_path(scored)}' (FORMAT parquet)
        """
    )
    con.close()
    os.replace(scored, terms)


def _add_sentence_days(store_dir: Path) -> None:
    """Rewrite sentences with their article's day, in day order, so that the sentences of one bucket of the
    trend chart are read without scanning every sentence."""
    sentences, documents = store_dir / "sentences.parquet", store_dir / "documents.parquet"
    dated = store_dir / "sentences.dated.parquet"
    con = _build_connection(store_dir)
    con.execute(
        f"""COPY (SELECT {", ".join(f's.{c}' for c in SCHEMAS["sentences"].names)}, {_DAY} AS day
                  FROM read_parquet('{_sql_path(sentences)}') s
                  LEFT JOIN (SELECT doc_id, published_at FROM read_parquet('{_sql_path(documents)}')) d USING (doc_id)
                  ORDER BY day, s.doc_id, s.sentence_index)
            TO '{_sql_path(dated)}' (FORMAT parquet)"""
    )
    con.close()
    os.replace(dated, sentences)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# ---- aggregates -----------------------------------------------------------------------------------
# Small tables derived from the streamed ones, so that the page reads thousands of rows where it would scan
# millions (terms, mentions, every article's text). Each is one query over the whole store, rerun when a build
# finishes, so an incremental build keeps them right. A store built before they existed computes them when it
# is opened (see connect); write_aggregates adds them to it for good.

AGGREGATES: dict[str, str] = {
    # per term and publication day: occurrences and the articles using it
    "term_days": f"""
        SELECT t.term, {_DAY} AS day, sum(t.count)::BIGINT AS count, count(*)::BIGINT AS docs
        FROM terms t JOIN documents d USING (doc_id) GROUP BY ALL ORDER BY t.term, day""",
    # per article and entity: its mentions, with the article's day
    "doc_entities": f"""
        SELECT m.entity, m.doc_id, {_DAY} AS day, count(*)::BIGINT AS mentions
        FROM mentions m JOIN documents d USING (doc_id) GROUP BY ALL ORDER BY m.entity, day, m.doc_id""",
    # per article and pair of entities named in one sentence: the sentences they share
    "doc_pairs": f"""
        WITH m AS (SELECT DISTINCT doc_id, sentence_index, entity FROM mentions)
        SELECT x.doc_id, {_DAY} AS day, x.entity AS a, y.entity AS b, count(*)::BIGINT AS sentences
        FROM m x JOIN m y ON x.doc_id = y.doc_id AND x.sentence_index = y.sentence_index AND x.entity < y.entity
        JOIN documents d ON d.doc_id = x.doc_id GROUP BY ALL ORDER BY day, x.doc_id, a, b""",
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


def write_aggregates(store_dir: Path) -> None:
    """(Re)compute every aggregate table of a store from its streamed tables; one file replaced at a time."""
    store_dir = Path(store_dir)
    con = _build_connection(store_dir)
    for name in ("documents", "terms", "mentions", "sentences"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_sql_path(table_path(store_dir, name))}')")
    for name, sql in AGGREGATES.items():
        written = store_dir / f"{name}.writing.parquet"
        rows = _ROW_GROUP_ROWS.get(name, 122_880)
        con.execute(f"COPY ({sql}) TO '{_sql_path(written)}' (FORMAT parquet, ROW_GROUP_SIZE {rows})")
        os.replace(written, table_path(store_dir, name))
    con.close()
    shutil.rmtree(store_dir / ".spill", ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
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
        stage, _, pid = folder.name[len(out_dir.name) + 2:].rpartition("-")
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

TABLES = (*STREAMED_TABLES, "events")


def table_path(store_dir: Path, name: str) -> Path:
    return Path(store_dir) / f"{name}.parquet"


def store_exists(store_dir: Path) -> bool:
    return all(table_path(store_dir, name).exists() for name in TABLES) and (Path(store_dir) / "report.json").exists()


def read_table(store_dir: Path, name: str, *, columns: list[str] | None = None) -> pd.DataFrame:
    path = table_path(store_dir, name)
    if not path.exists():
        raise StoreError(f"{path} is missing: build the store with `python -m hutong build`")
    return pd.read_parquet(path, columns=columns)


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


def read_report(store_dir: Path) -> dict:
    path = Path(store_dir) / "report.json"
    if not path.exists():
        raise StoreError(f"{path} is missing: build the store with `python -m hutong build`")
    return json.loads(path.read_text(encoding="utf-8"))


_EVENT_ROW_COLUMNS = """
    CASE WHEN kind = 'milestone' THEN a ELSE least(a, coalesce(b, '')) END AS row_first,
    CASE WHEN kind = 'milestone' THEN '' ELSE greatest(a, coalesce(b, '')) END AS row_second,
    CASE WHEN kind = 'milestone' THEN 'milestone' ELSE domain END AS row_domain,
    CASE WHEN kind = 'milestone' THEN NULL ELSE least(coalesce(a_group, a), coalesce(b_group, b)) END AS group_first,
    CASE WHEN kind = 'milestone' THEN NULL ELSE greatest(coalesce(a_group, a), coalesce(b_group, b)) END AS group_second"""


EVENT_KEYS = ("event_number", "timeline_row", "timeline_group", "chronology")
# The first day of a date written at year, month or day precision ("2011", "2024-10", "2024-10-29"), as
# queries.period_start gives it; NULL for anything else.
_PERIOD_START = """CASE WHEN regexp_full_match(date, '\\d{4}(-\\d{2}(-\\d{2})?)?')
                        THEN try_cast(date || CASE length(date) WHEN 4 THEN '-01-01' WHEN 7 THEN '-01' ELSE '' END AS DATE)
                   END"""


def hold_events(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Hold the events (source: the store's table, e.g. read_parquet(...)) in the connection's memory as
    `events_keyed`, with keys the page's queries compare as integers rather than strings at every run, and
    `events`, the same without them. The keys (EVENT_KEYS): `event_number`, in event_id order;
    `timeline_row`, the event's timeline row (a pair of parties in either order and a domain, or a milestone
    maker), numbered in the order of those names; `timeline_group`, the domain and the pair's groups (none
    for a milestone), whose starts a row's ends may inherit; `chronology`, the order of events by the first day
    of their date, then starts before plans before ends, then event_id (what the matrix orders a cell by)."""
    con.execute(f"""
        CREATE TABLE events_keyed AS
        WITH e AS (SELECT *, {_EVENT_ROW_COLUMNS} FROM {source}),
             timeline_rows AS (SELECT *, row_number() OVER (ORDER BY row_first, row_second, row_domain) AS timeline_row
                               FROM (SELECT DISTINCT row_first, row_second, row_domain FROM e)),
             timeline_groups AS (SELECT *, row_number() OVER (ORDER BY domain, group_first, group_second) AS timeline_group
                                 FROM (SELECT DISTINCT domain, group_first, group_second FROM e
                                       WHERE group_first IS NOT NULL))
        SELECT e.* EXCLUDE (row_first, row_second, row_domain, group_first, group_second),
               row_number() OVER (ORDER BY e.event_id) AS event_number,
               row_number() OVER (ORDER BY {_PERIOD_START}, CASE e.action WHEN 'start' THEN 0 WHEN 'planned' THEN 1
                                           WHEN 'end' THEN 2 ELSE 3 END, e.event_id) AS chronology,
               timeline_rows.timeline_row, timeline_groups.timeline_group
        FROM e JOIN timeline_rows USING (row_first, row_second, row_domain)
             LEFT JOIN timeline_groups USING (domain, group_first, group_second)
        ORDER BY event_id""")
    con.execute(f"CREATE VIEW events AS SELECT * EXCLUDE ({', '.join(EVENT_KEYS)}) FROM events_keyed")


def connect(store_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table of the store and per aggregate. A store built
    before the aggregates gets them computed into memory as it is opened (the search text, as large as the
    texts, as a view computing it)."""
    if not store_exists(store_dir):
        raise StoreError(f"no complete store in {store_dir}: build it with `python -m hutong build`")
    con = duckdb.connect()
    for name in TABLES:
        # events (under two per article) is read whole by the timeline and the matrix at every page run: it is
        # held in memory, with the timeline's keys; the other tables are read from disk where needed
        path = _sql_path(table_path(store_dir, name))
        if name == "events":
            hold_events(con, f"read_parquet('{path}')")
        else:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    if "day" not in pq.read_schema(table_path(store_dir, "sentences")).names:  # a store made before they had it
        con.execute(f"""CREATE OR REPLACE VIEW sentences AS
                        SELECT s.*, {_DAY} AS day FROM read_parquet('{_sql_path(table_path(store_dir, "sentences"))}') s
                        LEFT JOIN (SELECT doc_id, published_at FROM documents) d USING (doc_id)""")
    for name, sql in AGGREGATES.items():
        path = table_path(store_dir, name)
        if path.exists():
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_sql_path(path)}')")
        elif name == "search":  # as large as the texts: computed by each search instead
            con.execute(f"CREATE VIEW {name} AS {sql}")
        else:
            con.execute(f"CREATE TABLE {name} AS {sql}")
    return con


def has_aggregates(store_dir: Path) -> bool:
    return all(table_path(store_dir, name).exists() for name in AGGREGATES)


@contextmanager
def connected(store_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(store_dir)
    try:
        yield con
    finally:
        con.close()
