"""Page speed: every query the page makes, timed on a large store and on the bundled corpus's store in
the same run (median of repeats), plus whole-page AppTest runs on a cold and a warm cache."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine  # noqa: E402

from hutong import queries as q  # noqa: E402
from hutong.lexicon import load_lexicon  # noqa: E402
from hutong.paths import RAW_DIR, REPO_ROOT  # noqa: E402
from hutong.pipeline import build_store  # noqa: E402
from hutong.view import ViewState  # noqa: E402


def page_queries(con, lexicon) -> dict[str, callable]:
    """The queries the page runs for its default view and for a filtered one, as app.py calls them."""
    groups = {n: e.group for n, e in lexicon.entities.items()}
    default = ViewState().corpus_filter(members_of=lexicon.members_of)
    filtered = ViewState(entities=("阿里巴巴",), domains=("payment",)).corpus_filter(members_of=lexicon.members_of)
    bucket = q.resolve_bucket("auto", *q.filtered_span(con, default))
    rising = q.rising_terms(con, default, bucket=bucket) or ["支付"]
    counts = q.entity_counts(con, default, groups=groups)
    series = q.mention_series((), counts, members_of=lexicon.members_of)
    events = q.events(con, default)
    return {
        "corpus overview": lambda: q.corpus_overview(con),
        "date bounds, sources, entity names": lambda: (q.date_bounds(con), q.sources(con), q.entity_names_in_store(con)),
        "trends: rising terms": lambda: q.rising_terms(con, default, bucket=bucket),
        "trends: term picker": lambda: q.frequent_terms(con, default),
        "trends: series": lambda: q.keyword_trends(con, default, terms=rising, bucket=bucket),
        "trends: sentences behind a point": lambda: q.term_in_context(con, default, term=rising[0], bucket=bucket,
                                                                     bucket_start=None),
        "mentions: top entities": lambda: q.entity_counts(con, default, groups=groups),
        "mentions: co-occurrence": lambda: q.entity_cooccurrence(con, default, groups=groups),
        "mentions: over time": lambda: q.entity_mentions_over_time(con, default, series=series, bucket=bucket),
        "timeline: events": lambda: q.events(con, default),
        "timeline: bars": lambda: q.partnership_timeline(events, until=q.last_article_day(con), groups=groups),
        "matrix: as of latest": lambda: q.interop_matrix_as_of(q.events(con, default, dates=False),
                                                              q.as_of_range(events, q.date_bounds(con))[1]),
        "reader: article list": lambda: q.articles(con, default),
        "search: free text": lambda: q.articles(con, ViewState(text="支付宝").corpus_filter(members_of=lexicon.members_of)),
        "filtered: trends (阿里巴巴, payment)": lambda: q.keyword_trends(con, filtered, terms=rising, bucket=bucket),
        "filtered: top entities": lambda: q.entity_counts(con, filtered, groups=groups),
    }


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def apptest_seconds(store_dir: Path) -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    os.environ["HUTONG_STORE_DIR"] = str(store_dir)
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=600)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    assert not at.exception, at.exception
    start = time.perf_counter()
    at.run()
    warm = time.perf_counter() - start
    assert not at.exception, at.exception
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a large store (bench/bench_memory.py --keep)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    lexicon = load_lexicon()
    with tempfile.TemporaryDirectory() as tmp:
        small_store = Path(tmp) / "small"
        build_store(RAW_DIR, small_store, workers=1)
        small, large = q.connect(small_store), q.connect(args.store)
        articles = q.corpus_overview(large)["articles"]
        rows = []
        for (name, fn_small), fn_large in zip(page_queries(small, lexicon).items(), page_queries(large, lexicon).values()):
            rows.append((name, median_ms(fn_small, args.repeat), median_ms(fn_large, args.repeat)))
        small_page = apptest_seconds(small_store)
        large_page = apptest_seconds(args.store)
    print(f"machine: {describe_machine()}")
    print(f"stores: the bundled corpus (2 articles, baseline) and {articles:,} articles; median of {args.repeat} runs")
    print(f"| query | bundled ms | {articles:,} articles ms |")
    print("|---|---|---|")
    for name, a, b in rows:
        print(f"| {name} | {a:.1f} | {b:.1f} |")
    print(f"| **median over queries** | {statistics.median(r[1] for r in rows):.1f} | {statistics.median(r[2] for r in rows):.1f} |")
    print(f"| **slowest query** | {max(r[1] for r in rows):.1f} | {max(r[2] for r in rows):.1f} |")
    print(f"| whole page (AppTest), cold cache, s | {small_page[0]:.2f} | {large_page[0]:.2f} |")
    print(f"| whole page (AppTest), warm cache, s | {small_page[1]:.2f} | {large_page[1]:.2f} |")


if __name__ == "__main__":
    main()
