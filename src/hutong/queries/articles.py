"""The reader: the filtered articles, one article and its annotations."""

from __future__ import annotations

import duckdb
import pandas as pd

from hutong.queries.filters import (
    ARTICLE_TIME,
    CorpusFilter,
    article_where,
    query_frame,
)


def articles(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, limit: int | None = None) -> pd.DataFrame:
    """The filtered articles for the reader's table, newest first (every one, or the newest `limit`), with
    their number of event reports; published_at in China time."""
    where, params = article_where(con, filt)
    return query_frame(
        con,
        f"""WITH a AS (  -- a top-N, not an order of every article
                SELECT d.doc_id, d.title, d.source, {ARTICLE_TIME} AS published_at, d.script, d.chars, d.url,
                       d.published_at AS n_time
                FROM documents d WHERE {where} ORDER BY d.published_at DESC NULLS LAST, d.doc_id LIMIT ?),
              counted AS (SELECT doc_id, count(*) AS event_reports FROM report_events
                          WHERE doc_id IN (SELECT doc_id FROM a) GROUP BY doc_id)
            SELECT a.* EXCLUDE (n_time), coalesce(c.event_reports, 0) AS event_reports
            FROM a LEFT JOIN counted c USING (doc_id) ORDER BY a.n_time DESC NULLS LAST, a.doc_id""",
        [*params, limit if limit is not None else 2**62],
    )


def article_count(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> int:
    where, params = article_where(con, filt)
    return int(query_frame(con, f"SELECT count(*) AS n FROM documents d WHERE {where}", params)["n"].iloc[0])


def article(con: duckdb.DuckDBPyConnection, doc_id: str) -> dict | None:
    frame = query_frame(con, "SELECT * FROM documents WHERE doc_id = ?", [doc_id])
    return None if frame.empty else frame.iloc[0].to_dict()


def article_annotations(con: duckdb.DuckDBPyConnection, doc_id: str) -> pd.DataFrame:
    """Entity mentions and time expressions of one article as spans over its original text."""
    return query_frame(
        con,
        """SELECT start, "end", 'entity' AS kind, entity AS label, surface AS detail FROM mentions WHERE doc_id = ?
           UNION ALL
           SELECT start, "end", 'time' AS kind, coalesce(value, kind) AS label, resolution AS detail
           FROM times WHERE doc_id = ?
           ORDER BY start, "end" DESC""",
        [doc_id, doc_id],
    )
