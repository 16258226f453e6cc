"""The processing pipeline: one article in, its rows for every table out; and the corpus build around it."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from hutong import events as events_mod
from hutong import store, timeline
from hutong.corrections import (
    STORE_FILE,
    Correction,
    copy_is_current,
    read_corrections,
    stale_in_store,
    stale_message,
    store_copy,
)
from hutong.ingest import FileToRead, plan_corpus, read_planned
from hutong.keywords import TermCounts, count_terms, load_stopwords
from hutong.lexicon import Lexicon, Mention, load_lexicon, make_tokenizer
from hutong.models import DocumentAnalysis, InputProblem, RawArticle, TimeExpression, UnchangedFile, failure_reason
from hutong.normalise import NormalisedText, load_boilerplate_patterns, normalise_text
from hutong.paths import CORRECTIONS_PATH, DATA_DIR, LEXICON_PATH
from hutong.timex import Festivals, extract_time_expressions, load_festivals


@dataclass(frozen=True)
class AnalysisResources:
    """Everything the analysis of one article needs besides the article: all of it data from data/."""

    lexicon: Lexicon
    tokenizer: jieba.Tokenizer
    boilerplate: re.Pattern[str]
    stopwords: frozenset[str]
    festivals: Festivals
    triggers: events_mod.EventTriggers


def load_resources(*, lexicon_path: Path = LEXICON_PATH, segmenter: str = "jieba") -> AnalysisResources:
    lexicon = load_lexicon(lexicon_path)
    return AnalysisResources(
        lexicon=lexicon,
        tokenizer=make_tokenizer(lexicon, segmenter=segmenter),
        boilerplate=load_boilerplate_patterns(),
        stopwords=load_stopwords(),
        festivals=load_festivals(),
        triggers=events_mod.load_triggers(),
    )


def _columns_of(records: list, names: tuple[str, ...]) -> dict[str, list]:
    return {name: [getattr(r, name) for r in records] for name in names}


_MENTION_COLUMNS = ("entity", "sentence_index", "start", "end", "surface")
_TIME_COLUMNS = (
    "text",
    "start",
    "end",
    "sentence_index",
    "value",
    "kind",
    "resolution",
    "first_day",
    "last_day",
    "precision",
    "method",
    "approximate",
)


def analyse_article(article: RawArticle, resources: AnalysisResources) -> DocumentAnalysis:
    """Normalise, tokenise and extract one article. A pure function of the article and the resources."""
    return analyse_articles([article], resources)[0]


def analyse_articles(articles: Sequence[RawArticle], resources: AnalysisResources) -> list[DocumentAnalysis]:
    """analyse_article for each article, one stage at a time over all of them: a stage's data (the
    segmenter's dictionary above all) stays in the processor's caches from one article to the next.
    Measured on 32 articles at a time: a tenth less time than a whole analysis per article."""
    normalised = [normalise_text(a.text, boilerplate=resources.boilerplate) for a in articles]
    mentions = [resources.lexicon.mentions_in_sentences(n.simplified, n.sentences) for n in normalised]
    terms = [count_terms(n.sentences, tokenizer=resources.tokenizer, stopwords=resources.stopwords) for n in normalised]
    times = [
        extract_time_expressions(
            n.sentences, published_at=a.published_at, festivals=resources.festivals, text=n.simplified
        )
        for a, n in zip(articles, normalised, strict=True)
    ]
    reports = [
        events_mod.extract_event_reports(
            n.sentences,
            mentions=m,
            times=t,
            lexicon=resources.lexicon,
            triggers=resources.triggers,
            text=n.simplified,
            published_at=a.published_at,
        )
        for a, n, m, t in zip(articles, normalised, mentions, times, strict=True)
    ]
    return [
        _document_analysis(*parts, lexicon=resources.lexicon)
        for parts in zip(articles, normalised, mentions, terms, times, reports, strict=True)
    ]


def _document_analysis(
    article: RawArticle,
    normalised: NormalisedText,
    mentions: list[Mention],
    terms: TermCounts,
    times: list[TimeExpression],
    reports: list[events_mod.EventReport],
    *,
    lexicon: Lexicon,
) -> DocumentAnalysis:
    """One article's rows for every table, from what each stage found in it."""
    doc_id = normalised.content_hash[:16]
    document = {
        "doc_id": doc_id,
        "input_id": article.input_id,
        "path": article.path,
        "row": article.row,
        "format": article.format,
        "encoding": article.encoding,
        "title": article.title or _first_line(article.text),
        "source": article.source,
        "url": article.url,
        "published_at": article.published_at,
        "published_at_note": article.published_at_note,
        "script": normalised.script,
        "chars": len(article.text),
        "tokens": terms.tokens,
        "sentences": len(normalised.sentences),
        "content_hash": normalised.content_hash,
        "text": article.text,
        "metadata": json.dumps(article.metadata, ensure_ascii=False, sort_keys=True),
    }
    original = article.text
    sentences = normalised.sentences
    report_rows = [r.as_row(original) for r in reports]
    return DocumentAnalysis(
        doc_id=doc_id,
        content_hash=normalised.content_hash,
        document=document,
        columns={
            "sentences": {
                "sentence_index": [s.index for s in sentences],
                "start": [s.start for s in sentences],
                "end": [s.end for s in sentences],
                "text": [s.text for s in sentences],
                # the simplified text itself where the original reads the same: one string to send, not two
                "original": [s.text if (o := original[s.start : s.end]) == s.text else o for s in sentences],
            },
            "mentions": {
                **_columns_of(mentions, _MENTION_COLUMNS),
                # the entity's top-level group, so that the store counts the articles naming a group per day
                "entity_group": [lexicon.entities[m.entity].group for m in mentions],
            },
            "terms": {"term": list(terms.counts), "count": list(terms.counts.values())},
            "times": _columns_of(times, _TIME_COLUMNS),
            "event_reports": {name: [r[name] for r in report_rows] for name in events_mod.REPORT_COLUMNS},
        },
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


# Worker processes load the resources once; analyse_article itself stays pure.
@lru_cache(maxsize=1)
def worker_resources(settings: tuple[str, str]) -> AnalysisResources:
    """The resources for the (lexicon path, segmenter) settings, loaded once per process: a build loads them
    before it forks its workers, a Dask worker on its first chunk (hutong.cluster)."""
    lexicon_path, segmenter = settings
    return load_resources(lexicon_path=Path(lexicon_path), segmenter=segmenter)


@contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep what is alive now (the segmenter's dictionary, the lexicon: millions of objects) out of the
    cyclic garbage collector's reach while the block runs; forked workers inherit this. Otherwise every
    full collection walks them all again: measured, a third of a build's time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _analyse_in_worker(article: RawArticle, settings: tuple[str, str]) -> DocumentAnalysis | InputProblem:
    try:
        return analyse_article(article, worker_resources(settings))
    except Exception as error:  # a bug on one article must not stop the build; it is reported
        return InputProblem(path=article.path, row=article.row, reason=failure_reason(error, stage="analysis"))


class BuildFailed(RuntimeError):
    """The build stopped and left the previous store as it was; the message says why, in one line."""


class ReplaceRefused(ValueError):
    """The build would replace a store of another input folder, or a folder that is not a store."""


@dataclass(frozen=True)
class BuildSummary:
    files_seen: int
    ingested: int
    duplicates: int
    rejected: int
    out_dir: Path
    reused: int = 0
    up_to_date: bool = False
    corrections: int = 0  # the analysts' corrections the store applies (hutong.corrections)
    stale_corrections: tuple[str, ...] = ()  # those that changed nothing, each a line naming it and why

    def __str__(self) -> str:
        counts = (
            f"{self.files_seen} files seen, {self.ingested} articles ingested, "
            f"{self.duplicates} duplicates, {self.rejected} rejected"
        )
        if self.up_to_date:
            return f"{counts} → {self.out_dir} is up to date; nothing to do"
        reused = f" ({self.reused} unchanged articles reused)" if self.reused else ""
        corrected = f"; {self.corrections} corrections" if self.corrections else ""
        corrected += f", {len(self.stale_corrections)} of which change nothing:" if self.stale_corrections else ""
        return "\n".join([f"{counts}{reused} → {self.out_dir}{corrected}", *self.stale_corrections])


# An article's rows depend on these modules and data folders; a change to any means a full build.
_ANALYSIS_MODULES = (
    "models",
    "ingest",
    "normalise",
    "lexicon",
    "keywords",
    "timex",
    "events",
    "timeline",
    "pipeline",
    "store",
)
_ANALYSIS_DATA = ("lexicon", "events", "time", "text")


def analysis_version(lexicon_path: Path = LEXICON_PATH, *, segmenter: str = "jieba") -> str:
    """A fingerprint of everything that decides an article's rows besides the article itself."""
    digest = hashlib.sha256(segmenter.encode())
    package = Path(__file__).resolve().parent
    files = [package / f"{name}.py" for name in _ANALYSIS_MODULES] + [lexicon_path]
    files += sorted(p for folder in _ANALYSIS_DATA for p in (DATA_DIR / folder).glob("*") if p.is_file())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def file_stamp(path: Path, manifest_row: Mapping[str, str] | None) -> store.FileStamp:
    stat = path.stat()
    manifest = json.dumps(dict(manifest_row or {}), sort_keys=True, ensure_ascii=False)
    return store.FileStamp(stat.st_size, stat.st_mtime_ns, hashlib.sha256(manifest.encode()).hexdigest()[:16])


def build_store(
    input_dir: Path,
    out_dir: Path,
    *,
    workers: int | None = None,
    lexicon_path: Path = LEXICON_PATH,
    max_chars: int = 5_000_000,
    max_file_bytes: int = 50_000_000,
    full: bool = False,
    segmenter: str = "jieba",
    progress: Callable[[int], None] | None = None,
    replace: bool = False,
    scheduler: str | None = None,
    segment_articles: int = 2_000,
    corrections_path: Path | None = CORRECTIONS_PATH,
    tasks_planned: Callable[[int], None] | None = None,
) -> BuildSummary:
    """Read every article under input_dir and write the processed store to out_dir, atomically.

    Unless `full`, an existing store built by the same analysis is reused: unchanged files are not
    read again, and a build whose inputs did not change at all writes nothing. Unless `replace`, a store
    built from another input folder, or a folder that is not a store, is left alone: ReplaceRefused.
    With a `scheduler` ("local" or a Dask scheduler's address) the articles are analysed on a Dask cluster, in
    chunks of `segment_articles` that become segments (hutong.cluster); without one Dask is not imported. Then
    `progress` counts tasks (chunks) done, not inputs, and `tasks_planned` is told how many there are once the
    last is submitted. A chunk that kills its workers stops the build with BuildFailed.
    The analysts' corrections in `corrections_path` (checked first; none when None or missing) are copied into
    the store, whose events carry them; the summary names those that no longer find their event.
    """
    corrections = read_corrections(corrections_path) if corrections_path is not None else []
    if not replace and (problem := store.replacement_problem(out_dir, input_dir=input_dir)):
        raise ReplaceRefused(f"{problem}; give --replace to replace it, or choose another --out folder")
    workers = workers or os.cpu_count() or 1
    settings = (str(lexicon_path), segmenter)
    version = analysis_version(lexicon_path, segmenter=segmenter)
    previous = None if full else store.load_previous(out_dir, analysis_version=version)
    stamps: dict[str, store.FileStamp] = {}
    changed: set[str] = set()  # files new, changed or unreadable since the previous build

    def is_unchanged(rel: str, path: Path, manifest_row: Mapping[str, str] | None) -> bool:
        try:
            stamps[rel] = file_stamp(path, manifest_row)
        except OSError:
            changed.add(rel)
            return False
        if previous is None:
            return False
        if previous.stamps.get(rel) != stamps[rel]:
            changed.add(rel)
        return previous.reusable(rel, stamps[rel])

    plan: Iterable[FileToRead | InputProblem | UnchangedFile] = plan_corpus(
        input_dir, max_file_bytes=max_file_bytes, is_unchanged=is_unchanged
    )
    if previous is not None:
        plan = list(plan)  # one walk of the folder tells what changed, and is then the plan (light entries)
        gone = previous.stamps.keys() - stamps.keys()
        # a file the previous build did not report, that is rejected unread (hidden, a broken link), is new too
        unreported = sum(1 for e in plan if (name := _not_stamped(e, stamps)) and name not in previous.entries)
        changes = len(changed) + len(gone) + unreported
        if changes == 0 and copy_is_current(out_dir, corrections):
            return _summary_of(out_dir, up_to_date=True, corrections=corrections, corrections_path=corrections_path)
        if changes <= _IN_PROCESS_UP_TO:
            workers = 1  # starting a pool of workers costs more than a few articles
    job = AnalysisJob(settings, max_chars, max_file_bytes)
    if scheduler in (None, "local"):
        # Load once here: this fails early on a bad lexicon or segmenter, and forked workers inherit it.
        worker_resources(settings)
    with (
        _long_lived_objects_frozen(),
        store.StoreWriter(out_dir, input_dir=input_dir, analysis_version=version, previous=previous) as writer,
    ):
        previous_dir = previous.store_dir if previous else None
        if scheduler is None:
            for result in _map_analyses(((item, job) for item in work_items(plan, job)), workers=workers):
                writer.add(result)
                if progress:
                    progress(1)
            writer.complete_segments(stamps=stamps)
            timeline.merge_events(writer.tmp_dir, previous_dir=previous_dir, changed_doc_ids=writer.changed_doc_ids())
        else:
            from hutong import cluster

            # Everything that reads many articles' rows runs on the workers: the client's memory holds the report
            with cluster.connected(scheduler, workers=workers) as client:
                cluster.analyse_on_cluster(
                    client,
                    work_items(plan, job),
                    writer,
                    job=job,
                    segment_articles=segment_articles,
                    analysis_version=version,
                    progress=progress,
                    tasks_planned=tasks_planned,
                )
                writer.complete_segments(stamps=stamps, rewrite=cluster.segment_rewriter(client))
                cluster.merge_events_on_worker(
                    client, writer.tmp_dir, previous_dir=previous_dir, changed_doc_ids=writer.changed_doc_ids()
                )
        if corrections:
            (writer.tmp_dir / STORE_FILE).write_text(store_copy(corrections), encoding="utf-8")
        writer.finish(lexicon=load_lexicon(lexicon_path))
    return _summary_of(out_dir, corrections=corrections, corrections_path=corrections_path)


_IN_PROCESS_UP_TO = 50


def _not_stamped(entry: FileToRead | InputProblem | UnchangedFile, stamps: Mapping[str, store.FileStamp]) -> str | None:
    """The name of a planned file that was never asked whether it changed, because it is rejected whatever
    it holds (hidden, a broken link); None for the others."""
    if isinstance(entry, InputProblem):
        return entry.path
    if isinstance(entry, FileToRead) and entry.relative_name not in stamps:
        return entry.relative_name
    return None


def _summary_of(
    out_dir: Path,
    *,
    up_to_date: bool = False,
    corrections: list[Correction] | None = None,
    corrections_path: Path | None = None,
) -> BuildSummary:
    summary = store.read_report(out_dir)["summary"]
    stale = stale_in_store(out_dir, corrections) if corrections else []
    return BuildSummary(
        files_seen=summary["files_seen"],
        ingested=summary["ingested"],
        duplicates=summary["duplicates"],
        rejected=summary["rejected"],
        out_dir=Path(out_dir),
        reused=summary.get("reused", 0),
        up_to_date=up_to_date,
        corrections=len(corrections or []),
        stale_corrections=tuple(stale_message(c, source=str(corrections_path)) for c in stale),
    )


@dataclass(frozen=True)
class AnalysisJob:
    """What a worker needs besides the item: the analysis settings (lexicon path, segmenter) and the ingest
    limits. Local workers and Dask workers (hutong.cluster) get the same."""

    settings: tuple[str, str]
    max_chars: int
    max_file_bytes: int


def work_items(plan: Iterable[FileToRead | InputProblem | UnchangedFile], job: AnalysisJob) -> Iterator:
    """A file of one article goes to a worker unread (reading is a tenth of the work); a jsonl or csv file,
    which may hold thousands, is read here row by row so that no worker holds a whole file's analyses."""
    for entry in plan:
        if isinstance(entry, FileToRead) and not entry.one_article:
            yield from read_planned(entry, max_chars=job.max_chars, max_file_bytes=job.max_file_bytes)
        else:
            yield entry


def _map_analyses(
    items: Iterable[tuple[RawArticle | FileToRead | InputProblem | UnchangedFile, AnalysisJob]],
    *,
    workers: int,
    batch_size: int = 32,
) -> Iterator[DocumentAnalysis | InputProblem | UnchangedFile]:
    """Read and analyse articles in input order; problems from ingest pass straight through.

    With several workers, batches go to a process pool with a bounded number in flight, so the
    corpus is never held in memory at once. With one, batches of four times the size are analysed here: as
    many articles as the pool holds in flight with two workers, and the larger the batch, the longer each
    stage's data stays in the processor's caches (measured: 5% less time than batches of 32).
    """
    if workers <= 1:
        for batch in _batches(items, 4 * batch_size):
            yield from _analyse_batch(batch)
        return
    in_flight: deque[Future[list[DocumentAnalysis | InputProblem | UnchangedFile]]] = deque()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for batch in _batches(items, batch_size):
            in_flight.append(pool.submit(_analyse_batch, batch))
            if len(in_flight) >= 2 * workers:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _analyse_batch(batch: list) -> list[DocumentAnalysis | InputProblem | UnchangedFile]:
    """A batch's entries read, then their articles analysed together (analyse_articles), in input order."""
    records = [record for entry, job in batch for record in _read_entry(entry, job)]
    articles = [r for r in records if isinstance(r, RawArticle)]
    analyses = iter(_analyse_together(articles, batch[0][1].settings) if articles else [])
    return [next(analyses) if isinstance(r, RawArticle) else r for r in records]


def _analyse_together(articles: list[RawArticle], settings: tuple[str, str]) -> list[DocumentAnalysis | InputProblem]:
    try:
        return analyse_articles(articles, worker_resources(settings))
    except Exception:  # one of them failed: each analysed alone, so that only that one is reported
        return [_analyse_in_worker(article, settings) for article in articles]


def _read_entry(
    entry: RawArticle | FileToRead | InputProblem | UnchangedFile, job: AnalysisJob
) -> list[RawArticle | InputProblem | UnchangedFile]:
    if isinstance(entry, FileToRead):
        return list(read_planned(entry, max_chars=job.max_chars, max_file_bytes=job.max_file_bytes))
    return [entry]


def analyse_entry(
    entry: RawArticle | FileToRead | InputProblem | UnchangedFile, job: AnalysisJob
) -> list[DocumentAnalysis | InputProblem | UnchangedFile]:
    """One planned entry (work_items) in a worker: a file of one article read and analysed, an article
    analysed; a problem or an unchanged file passes through. A failed analysis is a problem, not an error."""
    return [_analyse_in_worker(r, job.settings) if isinstance(r, RawArticle) else r for r in _read_entry(entry, job)]
