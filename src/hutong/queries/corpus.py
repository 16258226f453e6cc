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
    article_days_where,
    article_where,
    as_date,
    bucket_totals,
    counted_by_day,
    event_dates,
    event_parties,
    query_frame,
)
from hutong.timeline import period_start


def corpus_overview(con: duckdb.DuckDBPyConnection) -> dict:
    """Articles, sources, publication span, scripts and events of the whole store."""
    docs = query_frame(
        con,
        """SELECT sum(articles)::BIGINT AS articles, count(DISTINCT source) AS sources, min(day) AS first,
                  max(day) AS last, coalesce(sum(articles) FILTER (WHERE day IS NULL), 0)::BIGINT AS undated
           FROM article_days""",
    ).iloc[0]
    scripts = query_frame(
        con, "SELECT script, sum(articles) AS n FROM article_days GROUP BY script ORDER BY n DESC, script"
    )
    events = query_frame(con, "SELECT count(*) AS n FROM events").iloc[0]["n"]
    return {
        "articles": int(docs["articles"]) if pd.notna(docs["articles"]) else 0,
        "sources": int(docs["sources"]),
        "first": as_date(docs["first"]),
        "last": as_date(docs["last"]),
        "undated": int(docs["undated"]),
        "scripts": {str(s): int(n) for s, n in zip(scripts["script"], scripts["n"])},
        "events": int(events),
    }


def date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """The earliest and latest day the corpus speaks of: publication days and event dates together."""
    days = query_frame(con, "SELECT DISTINCT day FROM article_days WHERE day IS NOT NULL")["day"]
    days = [as_date(d) for d in days]
    days += [p for p in map(period_start, event_dates(con)) if p]
    return (min(days), max(days)) if days else None


def sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    frame = query_frame(
        con,
        "SELECT source, sum(articles) AS n FROM article_days WHERE source IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    return frame["source"].tolist()


SOURCE_COLUMNS = ["source", "articles", "dated", "first_day", "last_day"]
UNNAMED_SOURCE = "(no source)"


def source_spans(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per source, most articles first: articles, how many of them are dated, and the first and last
    publication day (China days, as the trends count them; NaT when none is dated)."""
    return query_frame(
        con,
        """SELECT coalesce(nullif(trim(source), ''), ?) AS source, sum(articles)::BIGINT AS articles,
                  coalesce(sum(articles) FILTER (WHERE day IS NOT NULL), 0)::BIGINT AS dated,
                  min(day) AS first_day, max(day) AS last_day
           FROM article_days GROUP BY 1 ORDER BY articles DESC, source""",
        [UNNAMED_SOURCE],
    )[SOURCE_COLUMNS]


def entity_names_in_store(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Entities named anywhere in the store, the most mentioned first."""
    frame = query_frame(
        con,
        f"""SELECT entity, sum(n) AS n FROM (
                SELECT entity, sum(mentions) AS n FROM entity_days GROUP BY 1
                UNION ALL SELECT party, events FROM {event_parties(con)}
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
    if counted_by_day(filt):
        where, params = article_days_where(filt)
        row = query_frame(con, f"SELECT min(day) AS a, max(day) AS b FROM article_days WHERE {where}", params).iloc[0]
    else:
        where, params = article_where(con, filt)
        row = query_frame(
            con,
            f"""SELECT CAST(min({ARTICLE_TIME}) AS DATE) AS a, CAST(max({ARTICLE_TIME}) AS DATE) AS b
                FROM documents d WHERE {where}""",
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
