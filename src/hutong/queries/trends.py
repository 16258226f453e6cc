"""Keyword trends: terms per calendar bucket, the rising ones, and the sentences behind a point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from hutong.queries.filters import (
    BUCKETS,
    NO_FILTER,
    CorpusFilter,
    article_selection,
    article_where,
    bucket_sql,
    bucket_totals,
    day_where,
    query_frame,
)

MEASURES = ("per10k", "share")


def keyword_trends(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, terms: Iterable[str], bucket: str
) -> pd.DataFrame:
    """Per term and calendar bucket: raw count, articles using it, and both normalisations.

    per10k = occurrences per 10,000 tokens of the bucket's articles (documents.tokens);
    share = the fraction of the bucket's articles that use the term. Buckets without a
    use of the term are included with zero so lines drop to the floor instead of skipping.
    """
    terms = [t for t in dict.fromkeys(terms) if t]
    columns = ["term", "bucket", "count", "docs", "tokens", "articles", "per10k", "share"]
    if not terms:
        return pd.DataFrame(columns=columns)
    totals, totals_params = bucket_totals(con, filt, bucket)
    uses, uses_params = _term_uses(con, filt, bucket=bucket, terms=terms)
    frame = query_frame(
        con,
        f"""WITH totals AS ({totals}), uses AS ({uses}), wanted AS (SELECT unnest(?) AS term)
            SELECT wanted.term, totals.bucket, coalesce(uses.count, 0) AS count, coalesce(uses.docs, 0) AS docs,
                   totals.tokens, totals.articles
            FROM wanted CROSS JOIN totals
            LEFT JOIN uses ON uses.term = wanted.term AND uses.bucket = totals.bucket
            ORDER BY wanted.term, totals.bucket""",
        [*totals_params, *uses_params, terms],
    )
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.astype({"count": "int64", "docs": "int64", "tokens": "int64", "articles": "int64"})
    frame["per10k"] = frame["count"] / frame["tokens"].clip(lower=1) * 10_000
    frame["share"] = frame["docs"] / frame["articles"].clip(lower=1)
    order = {t: i for i, t in enumerate(terms)}
    frame = frame.sort_values(["term", "bucket"], key=lambda s: s.map(order) if s.name == "term" else s)
    return frame[columns].reset_index(drop=True)


def rising_terms(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, bucket: str, top_n: int = 8, min_count: int = 2
) -> list[str]:
    """The terms rising most in the filtered span: per-10k frequency in the latest bucket minus their mean
    frequency in the earlier buckets (a bucket without the term counts as zero). With one bucket (or too few
    rising terms) the most frequent fill in."""
    totals, totals_params = bucket_totals(con, filt, bucket)
    uses, uses_params = _term_uses(con, filt, bucket=bucket)
    ranked = query_frame(
        con,
        f"""WITH totals AS ({totals}), uses AS MATERIALIZED ({uses}),
              shape AS (SELECT count(*) AS buckets, max(bucket) AS latest FROM totals),
              rates AS (
                SELECT u.term, u.bucket, u.count, u.count / greatest(t.tokens, 1) * 10000 AS per10k
                FROM uses u JOIN totals t USING (bucket)
                WHERE u.term IN (SELECT term FROM uses GROUP BY term HAVING sum(count) >= ?)),
              sums AS (
                SELECT term, sum(count) AS total, sum(per10k) AS all_rates,
                       coalesce(sum(per10k) FILTER (WHERE bucket = shape.latest), 0) AS latest_rate,
                       any_value(shape.buckets) AS buckets
                FROM rates, shape GROUP BY term)
            SELECT term, total, all_rates / buckets AS overall,
                   latest_rate - CASE WHEN buckets > 1 THEN (all_rates - latest_rate) / (buckets - 1) ELSE 0 END AS rise
            FROM sums""",
        [*totals_params, *uses_params, min_count],
    )
    rising = ranked[ranked["rise"] > 0].sort_values(["rise", "total", "term"], ascending=[False, False, True])
    chosen = rising["term"].head(top_n).tolist()
    if len(chosen) < top_n:
        rest = ranked[~ranked["term"].isin(chosen)].sort_values(["overall", "term"], ascending=[False, True])
        chosen += rest["term"].head(top_n - len(chosen)).tolist()
    return chosen


def frequent_terms(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, limit: int = 300) -> list[str]:
    """Terms to offer in the term picker, the most used first."""
    uses, params = _term_uses(con, filt, bucket=None, dated=False)
    frame = query_frame(
        con, f"SELECT term, sum(count) AS n FROM ({uses}) GROUP BY term ORDER BY n DESC, term LIMIT ?", [*params, limit]
    )
    return frame["term"].tolist()


def term_in_context(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    term: str,
    bucket: str,
    bucket_start: date | str | None,
    limit: int = 200,
) -> pd.DataFrame:
    """The sentences behind one point of the trend chart: the term's sentences in that bucket's articles."""
    where, params = article_where(con, filt)
    days, day_params = "TRUE", []
    if bucket_start is not None:
        first = pd.Timestamp(bucket_start).date()
        days, day_params = "s.day BETWEEN ? AND ?", [first, bucket_end(bucket, first)]
    return query_frame(
        con,
        f"""SELECT s.doc_id, s.sentence_index, s.text, s.original, d.title, d.source, d.url, d.published_at
            FROM (SELECT * FROM sentences s WHERE {days} AND instr(s.text, ?) > 0) s JOIN documents d USING (doc_id)
            WHERE {where}
            ORDER BY d.published_at, s.doc_id, s.sentence_index LIMIT ?""",
        [*day_params, term, *params, limit],
    )


def bucket_end(bucket: str, first: date) -> date:
    """The last day of the calendar bucket starting on `first`."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    if bucket == "day":
        return first
    if bucket == "week":
        return first + timedelta(days=6)
    months = 1 if bucket == "month" else 3
    year, month = divmod(first.month - 1 + months, 12)
    return date(first.year + year, month + 1, 1) - timedelta(days=1)


def _term_uses(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    bucket: str | None,
    terms: list[str] | None = None,
    dated: bool = True,
) -> tuple[str, list]:
    """SQL for (term, bucket, count, docs) over the articles the filter keeps (only dated ones when `dated`;
    bucket NULL when `bucket` is None). term_days answers the date range; a filter that picks articles needs
    the rows of terms of single articles (see article_selection)."""
    chosen, chosen_params = ("list_contains(?, term)", [terms]) if terms is not None else ("TRUE", [])
    days, day_params = day_where(filt)
    aggregate = (
        f"SELECT term, {bucket_sql(bucket, 'day') if bucket else 'NULL'} AS bucket, count, docs "
        f"FROM term_days WHERE {days}{' AND day IS NOT NULL' if dated else ''} AND {chosen}"
    )
    selection = article_selection(con, filt)
    if selection is None:
        sql, params = aggregate, [*day_params, *chosen_params]
    else:
        sign, docs = selection
        in_range, range_params = article_where(con, replace(NO_FILTER, date_from=filt.date_from, date_to=filt.date_to))
        # the articles first, then their rows of terms: DuckDB reads no other article's rows
        # (each article's bucket is worked out once, not once per term: the time-zone conversion is costly)
        article_terms = (
            f"SELECT t.term, d.bucket, {sign} * t.count AS count, {sign} AS docs FROM terms t "
            f"JOIN (SELECT d.doc_id, {bucket_sql(bucket) if bucket else 'NULL'} AS bucket FROM documents d "
            f"WHERE {in_range}{' AND d.published_at IS NOT NULL' if dated else ''} AND d.doc_id IN ({docs})) d "
            f"USING (doc_id) WHERE {chosen}"
        )
        sql, params = article_terms, [*range_params, *chosen_params]
        if sign < 0:
            sql, params = f"{aggregate} UNION ALL {article_terms}", [*day_params, *chosen_params, *params]
    return (
        f"SELECT term, bucket, sum(count)::BIGINT AS count, sum(docs)::BIGINT AS docs FROM ({sql}) "
        f"GROUP BY ALL HAVING sum(docs) > 0",
        params,
    )
