"""Build throughput: a whole build against bare jieba.lcut over the same files read the same way,
with one worker and with two, in one process on one synthetic corpus."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import jieba

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402
from machine import describe_machine  # noqa: E402

from hutong.ingest import read_corpus  # noqa: E402
from hutong.models import RawArticle  # noqa: E402
from hutong.paths import LEXICON_PATH  # noqa: E402
from hutong.pipeline import _worker_resources, build_store  # noqa: E402


def segmentation_ceiling(corpus: Path) -> float:
    """Seconds to read every article as the build reads it and run bare jieba.lcut over its text."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    start = time.perf_counter()
    for record in read_corpus(corpus):
        if isinstance(record, RawArticle):
            tokenizer.lcut(record.text)
    return time.perf_counter() - start


def timed_build(corpus: Path, out: Path, workers: int) -> float:
    start = time.perf_counter()
    build_store(corpus, out, workers=workers, full=True)  # a whole build every time, never a reuse
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="articles in the synthetic corpus")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the best is kept")
    args = parser.parse_args()
    jieba.setLogLevel(60)
    _worker_resources((str(LEXICON_PATH), "jieba"))  # load the resources once, outside the timings
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.n)
        # interleaved, so that a slower or faster spell of the machine touches all three alike; best of each
        runs = [(segmentation_ceiling(corpus), timed_build(corpus, Path(tmp) / "one", 1),
                 timed_build(corpus, Path(tmp) / "two", 2)) for _ in range(args.repeat)]
        ceiling, one, two = (min(column) for column in zip(*runs, strict=True))
    print(f"machine: {describe_machine()}")
    print(f"corpus: {args.n} synthetic articles (bench/corpus.py)")
    print("| measurement | seconds | ratio |")
    print("|---|---|---|")
    print(f"| bare jieba.lcut over the same files (baseline) | {ceiling:.2f} | 1.00 |")
    print(f"| build, 1 worker | {one:.2f} | {one / ceiling:.2f} × baseline |")
    print(f"| build, 2 workers | {two:.2f} | speedup {one / two:.2f} × over 1 worker |")


if __name__ == "__main__":
    main()
