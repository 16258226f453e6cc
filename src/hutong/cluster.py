"""The build on a Dask cluster: workers analyse chunks of articles into whole segments and do the build's DuckDB
work; the client keeps the report."""

from __future__ import annotations

import gc
import multiprocessing
import re
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import dask
from distributed import Client, Future, KilledWorker, LocalCluster

from hutong import pipeline, store, timeline
from hutong.ingest import FileToRead
from hutong.models import DocumentAnalysis, InputProblem, UnchangedFile

# Chunks waiting on the cluster per worker: enough to keep each busy while the client takes a result, few enough
# that the client never holds much of the corpus (a chunk of one-article files is a list of names).
_CHUNKS_PER_WORKER = 2
_CONNECT_TIMEOUT = "20s"
# A local cluster's workers are forked from the client, which has loaded the analysis resources (as the local
# build's pool is): spawned workers each import everything and load the resources again, measured 4–5 s of a
# 20 s build on 2 cores. Where fork is unsafe or missing (macOS, Windows), workers are spawned.
_LOCAL_START_METHOD = (
    "fork" if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods() else "spawn"
)


@dataclass(frozen=True)
class ChunkResult:
    """What a worker sends back for a chunk: where it wrote the chunk's segment (None: no article in it) and, in
    input order, each input's summary, problem or unchanged file. Nothing else of an article travels back."""

    segment: str | None
    results: list[store.ArticleSummary | InputProblem | UnchangedFile]


@contextmanager
def connected(scheduler: str, *, workers: int) -> Iterator[Client]:
    """A client of the scheduler at the given address, or of a cluster of `workers` local processes ("local")."""
    if scheduler == "local":
        with (
            dask.config.set({"distributed.worker.multiprocessing-method": _LOCAL_START_METHOD}),
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from error
    with client:
        yield client


def analyse_on_cluster(
    client: Client,
    items: Iterable,
    writer: store.StoreWriter,
    *,
    job: pipeline.AnalysisJob,
    segment_articles: int,
    analysis_version: str,
    progress: Callable[[int], None] | None = None,
    tasks_planned: Callable[[int], None] | None = None,
) -> None:
    """Analyse the planned items (pipeline.work_items) on the cluster in chunks of segment_articles, each
    written by a worker as a segment into writer.staging_dir, and hand the writer the results in input order,
    so that duplicates are found as a local build finds them: the first of a text in input order is kept.
    `progress` is told of each task done; `tasks_planned` of how many there are, once the last is submitted."""
    writer.staging_dir.mkdir(parents=True, exist_ok=True)
    limit = _CHUNKS_PER_WORKER * max(len(client.scheduler_info(n_workers=-1)["workers"]), 1)
    in_flight: deque[tuple[Future, str]] = deque()
    submitted = 0
    for number, chunk in enumerate(_chunks(items, segment_articles)):
        future = client.submit(
            analyse_chunk,
            chunk,
            job=job,
            staging_dir=str(writer.staging_dir),
            number=number,
            analysis_version=analysis_version,
            key=f"hutong-chunk-{number}-{uuid.uuid4().hex[:8]}",
        )
        in_flight.append((future, _chunk_files(chunk)))
        submitted += 1
        while len(in_flight) >= limit:
            _take(client, *in_flight.popleft(), writer=writer, progress=progress)
    if tasks_planned:
        tasks_planned(submitted)
    while in_flight:
        _take(client, *in_flight.popleft(), writer=writer, progress=progress)


def segment_rewriter(client: Client) -> store.SegmentRewriter:
    """store.rewrite_segment run on a worker: a segment rewritten or merged (compaction) with the worker's memory,
    not the client's (its DuckDB work grows with the segments' size)."""

    def rewrite(sources: list[Path], target: Path, *, keep=None, work_dir: Path) -> Path:
        return run_on_worker(client, store.rewrite_segment, sources, target, keep=keep, work_dir=work_dir)

    return rewrite


def merge_events_on_worker(
    client: Client, store_dir: Path, *, previous_dir: Path | None, changed_doc_ids: list[str] | None
) -> None:
    """timeline.merge_events on a worker: the corpus-wide merge reads every segment's reports (DuckDB sorts
    them), so on the client its memory would grow with the corpus."""
    run_on_worker(client, timeline.merge_events, store_dir, previous_dir=previous_dir, changed_doc_ids=changed_doc_ids)


def run_on_worker(client: Client, function: Callable, *args, **kwargs):
    """function(*args, **kwargs) as one task on the cluster; its result, or a BuildFailed naming it if it kills
    its workers."""
    future = client.submit(function, *args, pure=False, **kwargs)
    try:
        return future.result()
    except KilledWorker as error:
        raise pipeline.BuildFailed(_killed_message(client, error, what=function.__name__)) from None


def _take(
    client: Client,
    future: Future,
    files: str,
    *,
    writer: store.StoreWriter,
    progress: Callable[[int], None] | None,
) -> None:
    try:
        chunk: ChunkResult = future.result()
    except KilledWorker as error:
        raise pipeline.BuildFailed(_killed_message(client, error, what=f"the chunk of {files}")) from None
    keep = []
    for result in chunk.results:
        if isinstance(result, store.ArticleSummary):
            if writer.admit(result):
                keep.append(result.doc_id)
        else:
            writer.add(result)
    if chunk.segment is not None:
        writer.add_staged_segment(Path(chunk.segment), keep=keep)
    if progress:
        progress(1)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    """Chunks of `size` inputs; problems and unchanged files ride along so that the order is kept."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chunk_files(chunk: list) -> str:
    """The inputs of a chunk, for a message: its first and last input and how many."""
    names = [_input_name(chunk[0]), _input_name(chunk[-1])]
    if len(chunk) == 1:
        return f"1 input ({names[0]})"
    return f"{len(chunk)} inputs ({names[0]} … {names[1]})"


def _input_name(entry) -> str:
    if isinstance(entry, FileToRead):
        return entry.relative_name
    row = getattr(entry, "row", None)
    return entry.path if row is None else f"{entry.path}#row={row}"


def _killed_message(client: Client, error: KilledWorker, *, what: str) -> str:
    """One line: what killed its workers, how often, and how the last one ended where its nanny logged it."""
    tries = error.allowed_failures + 1
    return (
        f"{what} killed {tries} Dask workers, one after another (the last {_how_it_ended(client, error)}); "
        "the store is left as it was"
    )


# How long to wait for the dead worker's nanny to log how it ended (it notices the death and restarts the worker)
_DEATH_WAIT_SECONDS = 5.0


def _how_it_ended(client: Client, error: KilledWorker) -> str:
    """The last worker's end as its nanny logged it ('exited with status 1', 'was killed by signal 9'), asked of
    the nanny itself (its worker may still be restarting); 'exit status unknown' for a worker without a nanny."""
    nanny = getattr(error.last_worker, "nanny", None)
    death = re.compile(rf"Worker process {error.last_worker.pid} (exited with status -?\d+|was killed by [a-z ]*\d*)")
    deadline = time.monotonic() + _DEATH_WAIT_SECONDS
    while nanny and time.monotonic() < deadline:
        try:
            lines = client.sync(lambda: client.rpc(nanny).get_logs(n=500))
        except Exception:  # noqa: BLE001 - a courtesy: a nanny that cannot tell must not hide the error
            break
        for _, line in lines:
            if match := death.search(str(line)):
                return f"worker {match.group(1)}"
        time.sleep(0.25)
    return "worker's exit status unknown"


# ---- on a worker -------------------------------------------------------------------------------------


def analyse_chunk(
    chunk: list, *, job: pipeline.AnalysisJob, staging_dir: str, number: int, analysis_version: str
) -> ChunkResult:
    """Analyse a chunk of inputs and write its articles (each text once) as a segment under staging_dir. A
    task run again (its worker died) writes a folder of its own; the client takes the one it is told of."""
    _ready(job.settings, analysis_version)
    summaries: list[store.ArticleSummary | InputProblem | UnchangedFile] = []
    analyses: dict[str, DocumentAnalysis] = {}
    for entry in chunk:
        for result in pipeline.analyse_entry(entry, job):
            if isinstance(result, DocumentAnalysis):
                summaries.append(store.summary_of(result))
                analyses.setdefault(result.doc_id, result)
            else:
                summaries.append(result)
    if not analyses:
        return ChunkResult(segment=None, results=summaries)
    staging = Path(staging_dir)  # made by the client: if it is gone, so is the build, and nothing is written
    segment = staging / f"{number:06d}-{uuid.uuid4().hex[:8]}"
    store.write_segment(list(analyses.values()), segment, work_dir=staging / f"{segment.name}.work")
    return ChunkResult(segment=str(segment), results=summaries)


@lru_cache(maxsize=1)
def _ready(settings: tuple[str, str], analysis_version: str) -> None:
    """Load the analysis resources once per worker process, refuse a worker whose code or data differ from the
    client's, and keep the resources out of the garbage collector's walks (see pipeline)."""
    lexicon_path, segmenter = settings
    here = pipeline.analysis_version(Path(lexicon_path), segmenter=segmenter)
    if here != analysis_version:
        raise ValueError(
            f"a Dask worker runs another version of the analysis ({here}, the client {analysis_version}): "
            "install the same Hutong and data on every worker"
        )
    pipeline.worker_resources(settings)
    gc.freeze()
