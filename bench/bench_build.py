"""Build throughput: a whole build against bare jieba.lcut over the same files read the same way,
with one worker and with two, in one process on one synthetic corpus."""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jieba

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402
from machine import describe_machine  # noqa: E402

from hutong.ingest import read_corpus  # noqa: E402
from hutong.models import RawArticle  # noqa: E402
from hutong.paths import LEXICON_PATH  # noqa: E402
from hutong.pipeline import build_store, worker_resources  # noqa: E402


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds on the clock
    cpu: float  # CPU seconds of this process and its finished children: what other load on the machine changes least


def timed(work: Callable[[], object]) -> Timing:
    def cpu() -> float:
        return sum(
            resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )

    wall, start = time.perf_counter(), cpu()
    work()
    return Timing(time.perf_counter() - wall, cpu() - start)


def segmentation_ceiling(corpus: Path) -> Timing:
    """Read every article as the build reads it and run bare jieba.lcut over its text."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()

    def segment() -> None:
        for record in read_corpus(corpus):
            if isinstance(record, RawArticle):
                tokenizer.lcut(record.text)

    return timed(segment)


def timed_build(corpus: Path, out: Path, workers: int) -> Timing:
    # a whole build every time, never a reuse of the previous one
    return timed(lambda: build_store(corpus, out, workers=workers, full=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="articles in the synthetic corpus")
    parser.add_argument("--repeat", type=int, default=6, help="rounds of the three measurements")
    args = parser.parse_args()
    jieba.setLogLevel(60)
    worker_resources((str(LEXICON_PATH), "jieba"))  # load the resources once, outside the timings
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.n)
        # Rounds of the three, one after the other: this machine's speed drifts by ±15% over minutes, so each
        # ratio is taken within a round (seconds apart) and the median round is reported, with the spread.
        rounds = [
            (
                segmentation_ceiling(corpus),
                timed_build(corpus, Path(tmp) / "one", 1),
                timed_build(corpus, Path(tmp) / "two", 2),
            )
            for _ in range(args.repeat)
        ]
    ratios = sorted(one.wall / ceiling.wall for ceiling, one, _ in rounds)
    cpu_ratios = sorted(one.cpu / ceiling.cpu for ceiling, one, _ in rounds)
    speedups = sorted(one.wall / two.wall for _, one, two in rounds)
    ceiling, one, two = (
        Timing(statistics.median(t.wall for t in column), statistics.median(t.cpu for t in column))
        for column in zip(*rounds, strict=True)
    )
    print(f"machine: {describe_machine()}")
    print(
        f"corpus: {args.n} synthetic articles (bench/corpus.py), {args.repeat} rounds; medians, "
        "ratios within a round (lowest–highest in brackets)"
    )
    print("| measurement | wall seconds | CPU seconds | ratio |")
    print("|---|---|---|---|")
    print(f"| bare jieba.lcut over the same files (baseline) | {ceiling.wall:.2f} | {ceiling.cpu:.2f} | 1.00 |")
    print(
        f"| build, 1 worker | {one.wall:.2f} | {one.cpu:.2f} | {statistics.median(ratios):.2f} × baseline "
        f"({ratios[0]:.2f}–{ratios[-1]:.2f}; CPU {statistics.median(cpu_ratios):.2f} ×) |"
    )
    print(
        f"| build, 2 workers | {two.wall:.2f} | {two.cpu:.2f} | speedup {statistics.median(speedups):.2f} × "
        f"over 1 worker ({speedups[0]:.2f}–{speedups[-1]:.2f}) |"
    )


if __name__ == "__main__":
    main()
