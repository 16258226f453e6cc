"""The build on a Dask cluster: workers analyse chunks of articles into whole segments; the client keeps the report."""

from __future__ import annotations

import gc
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from distributed import Client, LocalCluster

from hutong import pipeline, store
from hutong.models import DocumentAnalysis, InputProblem, UnchangedFile

# Chunks waiting on the cluster per worker: enough to keep each busy while the client takes a result, few enough
# that the client never holds much of the corpus (a chunk of one-article files is a list of names).
_CHUNKS_PER_WORKER = 2
_CONNECT_TIMEOUT = "20s"


@dataclass(frozen=True)
class ChunkResult:
    """What a worker sends back for a chunk: where it wrote the chunk's segment (None: no article in it) and, in
    input order, each input's summary, problem or unchanged file. Nothing else of an article travels back."""

    segment: str | None
    results: list[store.ArticleSummary | InputProblem | UnchangedFile]


def analyse_on_cluster(
    items: Iterable,
    writer: store.StoreWriter,
    *,
    job: pipeline._Job,
    scheduler: str,
    workers: int,
    segment_articles: int,
    analysis_version: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Analyse the planned items (pipeline._work_items) on the cluster in chunks of segment_articles, each
    written by a worker as a segment into writer.staging_dir, and hand the writer the results in input order,
    so that duplicates are found as a local build finds them: the first of a text in input order is kept."""
    writer.staging_dir.mkdir(parents=True, exist_ok=True)
    with _client(scheduler, workers=workers) as client:
        limit = _CHUNKS_PER_WORKER * max(len(client.scheduler_info(n_workers=-1)["workers"]), 1)
        in_flight = deque()
        for number, chunk in enumerate(_chunks(items, segment_articles)):
            in_flight.append(
                client.submit(
                    analyse_chunk,
                    chunk,
                    job=job,
                    staging_dir=str(writer.staging_dir),
                    number=number,
                    analysis_version=analysis_version,
                    key=f"hutong-chunk-{number}-{uuid.uuid4().hex[:8]}",
                )
            )
            while len(in_flight) >= limit:
                _take(in_flight.popleft().result(), writer, progress)
        while in_flight:
            _take(in_flight.popleft().result(), writer, progress)


def _take(chunk: ChunkResult, writer: store.StoreWriter, progress: Callable[[int], None] | None) -> None:
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
        progress(len(chunk.results))


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


@contextmanager
def _client(scheduler: str, *, workers: int) -> Iterator[Client]:
    """A client of the scheduler at the given address, or of a cluster of `workers` local processes ("local")."""
    if scheduler == "local":
        with (
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


# ---- on a worker -------------------------------------------------------------------------------------


def analyse_chunk(
    chunk: list, *, job: pipeline._Job, staging_dir: str, number: int, analysis_version: str
) -> ChunkResult:
    """Analyse a chunk of inputs and write its articles (each text once) as a segment under staging_dir. A
    task run again (its worker died) writes a folder of its own; the client takes the one it is told of."""
    _ready(job.settings, analysis_version)
    summaries: list[store.ArticleSummary | InputProblem | UnchangedFile] = []
    analyses: dict[str, DocumentAnalysis] = {}
    for entry in chunk:
        for result in pipeline._pass_or_analyse((entry, job)):
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
    pipeline._worker_resources(settings)
    gc.freeze()
