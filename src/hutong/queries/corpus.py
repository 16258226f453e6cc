"""The corpus at a glance: its size, span, sources and entities, and the calendar bucket that suits a span."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from hutong.queries.filters import (
    ARTICLE_TIME,
    BUCKETS,
    NO_FILTER,
    CorpusFilter,
    article_where,
    as_date,
    bucket_totals,
    query_frame,
)
from hutong.timeline import period_start


def corpus_overview(con: duckdb.DuckDBPyConnection) -> dict:
    """Articles, sources, publication span, scripts and events of the whole store."""
    docs = query_frame(
        con,
        f"""SELECT count(*) AS articles, count(DISTINCT source) AS sources,
                   CAST(min({ARTICLE_TIME}) AS DATE) AS first, CAST(max({ARTICLE_TIME}) AS DATE) AS last,
                   count(*) FILTER (WHERE published_at IS NULL) AS undated
            FROM documents d""",
    ).iloc[0]
    scripts = query_frame(con, "SELECT script, count(*) AS n FROM documents GROUP BY script ORDER BY n DESC, script")
    events = query_frame(con, "SELECT count(*) AS n FROM events").iloc[0]["n"]
    return {
        "articles": int(docs["articles"]),
        "sources": int(docs["sources"]),
        "first": as_date(docs["first"]),
        "last": as_date(docs["last"]),
        "undated": int(docs["undated"]),
        "scripts": {str(s): int(n) for s, n in zip(scripts["script"], scripts["n"])},
        "events": int(events),
    }


def date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """The earliest and latest day the corpus speaks of: publication days and event dates together."""
    days = [d for d in query_frame(con, f"SELECT DISTINCT CAST({ARTICLE_TIME} AS DATE) AS day FROM documents d")["day"]]
    days = [as_date(d) for d in days if as_date(d) is not None]
    days += [p for p in (period_start(v) for v in query_frame(con, "SELECT DISTINCT date FROM events")["date"]) if p]
    return (min(days), max(days)) if days else None


def sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    frame = query_frame(
        con, "SELECT source, count(*) AS n FROM documents WHERE source IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    return frame["source"].tolist()


def entity_names_in_store(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Entities named anywhere in the store, the most mentioned first."""
    frame = query_frame(
        con,
        """SELECT entity, sum(n) AS n FROM (
               SELECT entity, sum(mentions) AS n FROM doc_entities GROUP BY 1
               UNION ALL SELECT a, 1 FROM events UNION ALL SELECT b, 1 FROM events WHERE b IS NOT NULL
               UNION ALL SELECT a_group, 1 FROM events UNION ALL SELECT b_group, 1 FROM events WHERE b_group IS NOT NULL
           ) GROUP BY 1 ORDER BY 2 DESC, 1""",
    )
    return frame["entity"].tolist()


def choose_bucket(first: date | None, last: date | None) -> str:
    """A calendar bucket that gives a readable number of points over the span."""
    if first is None or last is None:
        return "month"
    days = (last - first).days
    if days <= 31:
        return "day"
    if days <= 120:
        return "week"
    if days <= 3 * 366:
        return "month"
    return "quarter"


def resolve_bucket(choice: str, first: date | None, last: date | None) -> str:
    """The bucket the reader chose, or for "auto" the one that fits the span."""
    return choice if choice in BUCKETS else choose_bucket(first, last)


def filtered_span(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> tuple[date | None, date | None]:
    where, params = article_where(con, filt)
    row = query_frame(
        con,
        f"SELECT CAST(min({ARTICLE_TIME}) AS DATE) AS a, CAST(max({ARTICLE_TIME}) AS DATE) AS b FROM documents d WHERE {where}",
        params,
    ).iloc[0]
    return as_date(row["a"]), as_date(row["b"])


def last_article_day(con: duckdb.DuckDBPyConnection, filt: CorpusFilter = NO_FILTER) -> date | None:
    return filtered_span(con, filt)[1]


def attention(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, bucket: str) -> pd.DataFrame:
    """The attention baseline: dated articles per calendar bucket of the filters' date range, all of them
    (`all_articles`) and those the other filters keep (`matching`), with the share that matches. What a
    rise of a term or an entity should be read against: a week of many articles makes every count rise."""
    range_only = CorpusFilter(date_from=filt.date_from, date_to=filt.date_to)
    every, every_params = bucket_totals(con, range_only, bucket)
    kept, kept_params = bucket_totals(con, filt, bucket)
    frame = query_frame(
        con,
        f"""SELECT a.bucket, a.articles AS all_articles, coalesce(k.articles, 0) AS matching
            FROM ({every}) a LEFT JOIN ({kept}) k USING (bucket) ORDER BY a.bucket""",
        [*every_params, *kept_params],
    )
    frame = frame.astype({"all_articles": "int64", "matching": "int64"})
    return frame.assign(share=frame["matching"] / frame["all_articles"].clip(lower=1))
