"""Incremental builds: a rebuild with nothing changed, adding 10 articles to a large store, then editing 10
and removing 10 of its first articles, each against the full build of the same corpus in the same run.

Every build starts without the analysis resources loaded (the segmenter's dictionary, the lexicon), as a
`python -m hutong build` does."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import jieba
import opencc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_article, platform_names, seed_sentences, write_corpus  # noqa: E402
from machine import describe_machine  # noqa: E402

from hutong import pipeline, store  # noqa: E402


def add_articles(corpus: Path, n: int) -> None:
    rng = random.Random(99)
    sentences, platforms = seed_sentences(), platform_names()
    for i in range(n):
        _, content = make_article(rng, sentences, platforms, opencc.OpenCC("s2t").convert)
        (corpus / "added").mkdir(exist_ok=True)
        (corpus / "added" / f"new-{i:03d}.md").write_text(content, encoding="utf-8")


def timed(fn) -> tuple[float, object]:
    pipeline.worker_resources.cache_clear()  # loaded again by each build, as each run of the command does
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def first_articles(corpus: Path, n: int) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md") if p.parent.name != "added")[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    jieba.setLogLevel(60)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.n)
        out = Path(tmp) / "store"
        build = lambda: pipeline.build_store(corpus, out, workers=args.workers)  # noqa: E731
        full, _ = timed(build)
        unchanged, summary = timed(build)
        assert summary.up_to_date
        add_articles(corpus, 10)
        added, summary = timed(build)
        assert summary.reused == args.n and summary.ingested == args.n + 10, summary
        segments_after_add = len(store.segment_dirs(out))
        for path in first_articles(corpus, 10):
            path.write_text(path.read_text(encoding="utf-8") + "\n\n京东物流正式接入菜鸟驿站。\n", encoding="utf-8")
        edited, summary = timed(build)
        assert summary.reused == args.n and summary.ingested == args.n + 10, summary
        for path in first_articles(corpus, 10):
            path.unlink()
        removed, summary = timed(build)
        assert summary.ingested == args.n, summary
    print(f"machine: {describe_machine()}")
    print(f"corpus: {args.n} synthetic articles, workers: {args.workers or 'all cores'}")
    print("| measurement | seconds | share of the full build |")
    print("|---|---|---|")
    print(f"| full build (baseline) | {full:.1f} | 100% |")
    print(f"| rebuild, nothing changed | {unchanged:.2f} | {unchanged / full:.1%} |")
    print(f"| rebuild after adding 10 articles ({segments_after_add} segments) | {added:.2f} | {added / full:.1%} |")
    print(f"| rebuild after editing 10 of the first segment's articles | {edited:.2f} | {edited / full:.1%} |")
    print(f"| rebuild after removing those 10 | {removed:.2f} | {removed / full:.1%} |")


if __name__ == "__main__":
    main()
