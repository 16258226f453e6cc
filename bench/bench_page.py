"""Page speed: every query the page makes, called as app.py calls it, timed on a large store and on the bundled
corpus's store in the same run (median of repeats) for the default view and three filtered ones, plus
whole-page AppTest runs on a cold and a warm cache."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine  # noqa: E402

from hutong import exports  # noqa: E402
from hutong.lexicon import load_lexicon  # noqa: E402
from hutong.paths import RAW_DIR, REPO_ROOT  # noqa: E402
from hutong.pipeline import build_store  # noqa: E402
from hutong.queries import articles as article_queries  # noqa: E402
from hutong.queries import corpus, entities, filters  # noqa: E402
from hutong.queries import matrix as matrix_queries  # noqa: E402
from hutong.queries import timeline as timeline_queries  # noqa: E402
from hutong.queries import trends as trend_queries  # noqa: E402
from hutong.store import segment_dirs  # noqa: E402
from hutong.view import ViewState  # noqa: E402

# app.py's bounds on what one run draws
TIMELINE_EVENTS, EVIDENCE_REPORTS, READER_ROWS = 1200, 50, 200
VIEWS = {
    "default": ViewState(),
    "阿里巴巴 + payment": ViewState(entities=("阿里巴巴",), domains=("payment",)),
    "one source": None,  # the corpus's most frequent source, chosen per store
    "text 支付宝": ViewState(text="支付宝"),
}
# what the compare chart is asked in the benchmark: an entity group, a word and a boolean query
COMPARED = ("@阿里巴巴", "互联互通", '"微信支付" OR 京东 NOT 关闭')


def page_queries(con, lexicon, view: ViewState) -> dict[str, Callable[[], object]]:
    """The queries app.py runs for one view, with the arguments it passes them, in the order it runs them."""
    groups = {n: e.group for n, e in lexicon.entities.items()}
    filt = view.corpus_filter(members_of=lexicon.members_of)
    bucket = corpus.resolve_bucket(view.bucket, *corpus.filtered_span(con, filt))
    rising = trend_queries.rising_terms(con, filt, bucket=bucket) or ["支付"]
    trends = trend_queries.keyword_trends(con, filt, terms=rising, bucket=bucket)
    point = trends[trends["count"] > 0].iloc[-1] if (trends["count"] > 0).any() else None
    counts = entities.entity_counts(con, filt, groups=groups)
    series = entities.mention_series(view.entities, counts, members_of=lexicon.members_of)
    timeline = timeline_queries.timeline(
        con, filt, groups=groups, until=corpus.last_article_day(con), max_events=TIMELINE_EVENTS
    )
    event_id = timeline.marks["event_id"].iloc[0] if not timeline.marks.empty else None
    as_of = (matrix_queries.as_of_range(con) or (None, None))[1]
    matrix = matrix_queries.interop_matrix(con, filt, as_of=as_of, level=view.level) if as_of else None
    cell = (matrix["row_party"].iloc[0], matrix["col_party"].iloc[0]) if matrix is not None and len(matrix) else None
    newest = article_queries.articles(con, filt, limit=READER_ROWS)["doc_id"].head(1).tolist()
    compared = ViewState(compare=COMPARED).compared_filters(members_of=lexicon.members_of)
    kwic_term = rising[0]
    return {
        "setup: date bounds, as-of range, sources, entity names": lambda: (
            corpus.date_bounds(con),
            matrix_queries.as_of_range(con),
            corpus.sources(con),
            corpus.entity_names_in_store(con),
        ),
        "setup: filtered span (the bucket)": lambda: corpus.filtered_span(con, filt),
        "header: corpus overview": lambda: corpus.corpus_overview(con),
        "trends: rising terms": lambda: trend_queries.rising_terms(con, filt, bucket=bucket),
        "trends: term picker": lambda: trend_queries.frequent_terms(con, filt),
        "trends: series": lambda: trend_queries.keyword_trends(con, filt, terms=rising, bucket=bucket),
        "trends: a clicked point's lines (concordance of its period)": lambda: (
            point is not None
            and (
                trend_queries.term_occurrences(
                    con, filt, term=point["term"], bucket=bucket, bucket_start=point["bucket"]
                ),
                trend_queries.term_concordance(
                    con, filt, term=point["term"], bucket=bucket, bucket_start=point["bucket"]
                ),
            )
        ),
        "trends: compare three queries": lambda: trend_queries.compared_queries(
            con, filt, queries=compared, bucket=bucket
        ),
        "trends: concordance, occurrences": lambda: trend_queries.term_occurrences(con, filt, term=kwic_term),
        "trends: concordance, a page": lambda: trend_queries.term_concordance(con, filt, term=kwic_term, page=2),
        "mentions: top entities": lambda: entities.entity_counts(con, filt, groups=groups),
        "mentions: co-occurrence": lambda: entities.entity_cooccurrence(con, filt, groups=groups),
        "mentions: over time": lambda: entities.entity_mentions_over_time(con, filt, series=series, bucket=bucket),
        "timeline: last article day": lambda: corpus.last_article_day(con),
        "timeline: bars and marks": lambda: timeline_queries.timeline(
            con, filt, groups=groups, until=corpus.last_article_day(con), max_events=TIMELINE_EVENTS
        ),
        "timeline: evidence card": lambda: (
            timeline_queries.event(con, event_id),
            timeline_queries.event_reports(con, [event_id], limit=EVIDENCE_REPORTS),
        ),
        "matrix: as of latest": lambda: matrix_queries.interop_matrix(con, filt, as_of=as_of, level=view.level),
        "matrix: parties": lambda: matrix_queries.matrix_parties(con, filt, level=view.level),
        "matrix: events behind a cell": lambda: (
            cell and matrix_queries.cell_events(con, filt, row=cell[0], col=cell[1], as_of=as_of, level=view.level)
        ),
        "reader: article list": lambda: article_queries.articles(con, filt, limit=READER_ROWS),
        "reader: article count": lambda: article_queries.article_count(con, filt),
        "reader: article and annotations": lambda: (
            newest and (article_queries.article(con, newest[0]), article_queries.article_annotations(con, newest[0]))
        ),
        "reader: every matching article (CSV)": lambda: exports.csv_bytes(exports.matching_articles(con, filt)),
    }


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def first_search_ms(con, texts: list[str]) -> float:
    """A text not searched before on this connection: the one scan of every article's text."""
    times = []
    for text in texts:
        start = time.perf_counter()
        article_queries.article_count(con, filters.CorpusFilter(text=text))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def first_concordance_ms(con, terms: list[str]) -> float:
    """A term whose concordance was not asked before on this connection: the one scan of every sentence."""
    times = []
    for term in terms:
        start = time.perf_counter()
        trend_queries.term_occurrences(con, filters.NO_FILTER, term=term)
        trend_queries.term_concordance(con, filters.NO_FILTER, term=term)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def apptest_seconds(store_dir: Path) -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    os.environ["HUTONG_STORE_DIR"] = str(store_dir)
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=900)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    assert not at.exception, at.exception
    start = time.perf_counter()
    at.run()
    warm = time.perf_counter() - start
    assert not at.exception, at.exception
    return cold, warm


def time_views(con, lexicon, repeat: int, *, first_asks: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """{query: {view: median ms}}; the text view's matches are found by its first query (see first_search_ms).
    What a view's queries cost when first asked on the connection (the matrix's replay, a filter's articles,
    which the connection then keeps) is paid while page_queries prepares them: its ms go into first_asks."""
    views = dict(VIEWS, **{"one source": ViewState(sources=tuple(corpus.sources(con)[:1]))})
    table: dict[str, dict[str, float]] = {}
    for view_name, view in views.items():
        start = time.perf_counter()
        queries = page_queries(con, lexicon, view)
        if first_asks is not None:
            first_asks[view_name] = (time.perf_counter() - start) * 1000
        for name, fn in queries.items():
            table.setdefault(name, {})[view_name] = median_ms(fn, repeat)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a large store (bench/bench_memory.py --keep)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-apptest", action="store_true", help="time the queries only")
    args = parser.parse_args()
    lexicon = load_lexicon()
    with tempfile.TemporaryDirectory() as tmp:
        small_store = Path(tmp) / "small"
        build_store(RAW_DIR, small_store, workers=1)
        small, large = filters.connect(small_store), filters.connect(args.store)
        articles = corpus.corpus_overview(large)["articles"]
        bundled = {name: median_ms(fn, args.repeat) for name, fn in page_queries(small, lexicon, ViewState()).items()}
        searches = first_search_ms(large, ["支付宝开放", "互联互通", "闭环", "京東", "LatePost"])
        concordances = first_concordance_ms(large, ["开放", "互联", "闭环", "京東", "LatePost"])
        first_asks: dict[str, float] = {}
        table = time_views(large, lexicon, args.repeat, first_asks=first_asks)
        pages = None if args.no_apptest else (apptest_seconds(small_store), apptest_seconds(args.store))
    views = list(next(iter(table.values())))
    print(f"machine: {describe_machine()}; load average {os.getloadavg()[0]:.1f}")
    print(
        f"stores: the bundled corpus (2 articles) and {articles:,} articles "
        f"({len(segment_dirs(args.store))} segment(s)); median of {args.repeat} runs, ms"
    )
    print(f"| query | bundled, default view | {' | '.join(f'{articles:,}: {v}' for v in views)} |")
    print("|---|---|" + "---|" * len(views))
    for name, by_view in table.items():
        print(f"| {name} | {bundled[name]:.1f} | {' | '.join(f'{by_view[v]:.1f}' for v in views)} |")
    medians = [statistics.median(by_view[v] for by_view in table.values()) for v in views]
    slowest = [max(by_view[v] for by_view in table.values()) for v in views]
    print(
        f"| **median over queries** | {statistics.median(bundled.values()):.1f} | {' | '.join(f'{m:.1f}' for m in medians)} |"
    )
    print(f"| **slowest query** | {max(bundled.values()):.1f} | {' | '.join(f'{m:.1f}' for m in slowest)} |")
    print(f"free-text search of a text not searched before (one scan of every article's text): {searches:.0f} ms")
    print(
        "a view's queries first asked on the connection, ms: "
        + ", ".join(f"{v} {ms:.0f}" for v, ms in first_asks.items())
    )
    print(f"concordance of a term not asked before (one scan of every sentence), first page: {concordances:.0f} ms")
    if pages:
        (small_cold, small_warm), (large_cold, large_warm) = pages
        print(
            f"whole page (AppTest), default view, s: bundled cold {small_cold:.2f}, warm {small_warm:.2f}; "
            f"{articles:,} articles cold {large_cold:.2f}, warm {large_warm:.2f}"
        )


if __name__ == "__main__":
    main()
