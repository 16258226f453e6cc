"""Questions the dashboard asks of a processed store: DuckDB over the store's tables, data in, DataFrame out."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import tempfile
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from hutong import store
from hutong import timeline as timeline_rules
from hutong.normalise import to_simplified
from hutong.timeline import action_step, action_step_sql, group_key, period_start, precision, row_key

BUCKETS = ("day", "week", "month", "quarter")
MEASURES = ("per10k", "share")
MATRIX_STATES = ("none", "closed", "planned", "open")  # the heatmap's z is the index into this tuple
# Publication times are stored in UTC; Chinese news is dated in China time.
_LOCAL = "timezone('Asia/Shanghai', d.published_at)"


@dataclass(frozen=True)
class CorpusFilter:
    """The page's filters as the queries need them: entities already rolled up to every member of a group."""

    date_from: date | None = None
    date_to: date | None = None
    sources: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    text: str = ""


NO_FILTER = CorpusFilter()


def connect(store_dir: Path | str) -> duckdb.DuckDBPyConnection:
    """One connection per store; each query below works on its own cursor, so threads can share it."""
    con = store.connect(Path(store_dir))
    # events (under two per article) are read whole by the timeline and the matrix at every page run: they are
    # held in memory, with the timeline's keys; the other tables are read from disk where needed
    timeline_rules.hold_events(con)
    return con


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params or []).df()
    finally:
        cursor.close()


# ---- filters as SQL ---------------------------------------------------------------------------
# Queries read the store's aggregates (see hutong.store.AGGREGATES) wherever they answer the filter: per-day
# ones when only the date range is set, per-article ones always. Sources, entities and free text pick articles
# the per-day aggregates cannot see: the picked articles are found once (see _picked_articles) and the query
# runs over their rows.

_DOC_DAY = f"CAST({_LOCAL} AS DATE)"


def _picks_articles(filt: CorpusFilter) -> bool:
    """Whether the filter keeps articles by more than their day (sources, entities, text)."""
    return bool(filt.sources or filt.entities or filt.text.strip())


def _needles(text: str) -> list[str]:
    """What free text is looked for: as typed and in simplified script, either may match."""
    query = text.strip()
    return sorted({query, to_simplified(query)}) if query else []


def _doc_where(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, dates: bool = True) -> tuple[str, list]:
    """A WHERE clause over `documents d` for the article-level filters."""
    clauses: list[str] = []
    params: list = []
    if dates and filt.date_from:
        clauses.append(f"{_DOC_DAY} >= ?")
        params.append(filt.date_from)
    if dates and filt.date_to:
        clauses.append(f"{_DOC_DAY} <= ?")
        params.append(filt.date_to)
    picked = _picked_articles(con, filt)
    if picked:
        clauses.append(f"d.doc_id IN (SELECT doc_id FROM {picked})")
    return (" AND ".join(clauses) or "TRUE"), params


_KEPT_PICKS = 16


def _picked_articles(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> str | None:
    """The name of a table of the articles the filter's sources, entities and free text keep (None when it
    sets none of them). Free text is the slowest question the page asks (every article's text, about a
    second at 100,000 articles) and each chart would ask it again: the answer is kept in the connection's
    in-memory database (one build of one store, so it cannot go stale), for the last few filters."""
    if not _picks_articles(filt):
        return None
    clauses, params = [], []
    if filt.sources:
        clauses.append("list_contains(?, d.source)")
        params.append(sorted(filt.sources))
    if filt.entities:
        clauses.append("d.doc_id IN (SELECT doc_id FROM doc_entities WHERE list_contains(?, entity))")
        params.append(sorted(filt.entities))
    needles = _needles(filt.text)
    if needles:
        # the search table holds titles, texts and simplified sentences lower-cased: a case-blind substring match
        matches = " OR ".join("contains(text, lower(?))" for _ in needles)
        clauses.append(f"d.doc_id IN (SELECT doc_id FROM search WHERE {matches})")
        params += needles
    key = json.dumps([sorted(filt.sources), sorted(filt.entities), needles], ensure_ascii=False)
    name = "picked_" + hashlib.sha256(key.encode()).hexdigest()[:24]
    cursor = con.cursor()
    try:
        kept = cursor.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'picked_') "
            "AND NOT ends_with(table_name, '_events') ORDER BY table_oid"
        ).fetchall()
        if (name,) in kept:
            return name
        try:
            cursor.execute(
                f"CREATE TABLE {name} AS SELECT doc_id FROM documents d WHERE {' AND '.join(clauses)}", params
            )
        except (duckdb.CatalogException, duckdb.TransactionException):
            pass  # another thread made it meanwhile
        for (old,) in kept[: max(len(kept) + 1 - _KEPT_PICKS, 0)]:
            cursor.execute(f"DROP TABLE IF EXISTS {old}")
            cursor.execute(f"DROP TABLE IF EXISTS {old}_events")
    finally:
        cursor.close()
    return name


def _day_where(filt: CorpusFilter, *, day: str = "day") -> tuple[str, list]:
    """A WHERE clause for the date range over a table's day column."""
    clauses, params = [], []
    if filt.date_from:
        clauses.append(f"{day} >= ?")
        params.append(filt.date_from)
    if filt.date_to:
        clauses.append(f"{day} <= ?")
        params.append(filt.date_to)
    return (" AND ".join(clauses) or "TRUE"), params


def _selection(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> tuple[int, str] | None:
    """How a query reads the articles the filter picks (the date range aside): (1, SQL for their doc_ids), or,
    when it picks most of the corpus, (-1, SQL for the doc_ids it drops), which are fewer rows to read and
    subtract from the whole; None when it picks no articles."""
    picked = _picked_articles(con, filt)
    if picked is None:
        return None
    kept, total = _rows(
        con, f"SELECT (SELECT count(*) FROM {picked}) AS kept, (SELECT count(*) FROM documents) AS total"
    ).iloc[0]
    if 2 * kept <= total:
        return 1, f"SELECT doc_id FROM {picked}"
    return -1, f"SELECT doc_id FROM documents WHERE doc_id NOT IN (SELECT doc_id FROM {picked})"


def _per_article_rows(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, table: str) -> tuple[str, list]:
    """SQL for the rows of a per-article aggregate (doc_id, day, …) in the date range, with a `sign` to weigh
    them by: the rows of the articles the filter keeps, or every row and, negated, those of the articles it
    drops (see _selection)."""
    days, params = _day_where(filt)
    selection = _selection(con, filt)
    if selection is None:
        return f"SELECT *, 1 AS sign FROM {table} WHERE {days}", params
    sign, docs = selection
    signed = f"SELECT *, {sign} AS sign FROM {table} WHERE {days} AND doc_id IN ({docs})"
    if sign > 0:
        return signed, params
    return f"SELECT *, 1 AS sign FROM {table} WHERE {days} UNION ALL {signed}", [*params, *params]


def _bucket_sql(bucket: str, day: str = _DOC_DAY) -> str:
    """The calendar bucket (its first day, as a timestamp) of a day."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    return f"CAST(date_trunc('{bucket}', {day}) AS TIMESTAMP)"


def _bucket_totals(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, bucket: str) -> tuple[str, list]:
    """SQL for (bucket, tokens, articles) over the dated articles the filter keeps."""
    where, params = _doc_where(con, filt)
    return (
        f"""SELECT {_bucket_sql(bucket)} AS bucket, sum(d.tokens)::BIGINT AS tokens, count(*) AS articles
            FROM documents d WHERE d.published_at IS NOT NULL AND {where} GROUP BY 1""",
        params,
    )


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
    the rows of terms of single articles (see _selection)."""
    chosen, chosen_params = ("list_contains(?, term)", [terms]) if terms is not None else ("TRUE", [])
    days, day_params = _day_where(filt)
    aggregate = (
        f"SELECT term, {_bucket_sql(bucket, 'day') if bucket else 'NULL'} AS bucket, count, docs "
        f"FROM term_days WHERE {days}{' AND day IS NOT NULL' if dated else ''} AND {chosen}"
    )
    selection = _selection(con, filt)
    if selection is None:
        sql, params = aggregate, [*day_params, *chosen_params]
    else:
        sign, docs = selection
        in_range, range_params = _doc_where(con, replace(NO_FILTER, date_from=filt.date_from, date_to=filt.date_to))
        # the articles first, then their rows of terms: DuckDB reads no other article's rows
        # (each article's bucket is worked out once, not once per term: the time-zone conversion is costly)
        article_terms = (
            f"SELECT t.term, d.bucket, {sign} * t.count AS count, {sign} AS docs FROM terms t "
            f"JOIN (SELECT d.doc_id, {_bucket_sql(bucket) if bucket else 'NULL'} AS bucket FROM documents d "
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


# ---- the corpus at a glance --------------------------------------------------------------------


def corpus_overview(con: duckdb.DuckDBPyConnection) -> dict:
    """Articles, sources, publication span, scripts and events of the whole store."""
    docs = _rows(
        con,
        f"""SELECT count(*) AS articles, count(DISTINCT source) AS sources,
                   CAST(min({_LOCAL}) AS DATE) AS first, CAST(max({_LOCAL}) AS DATE) AS last,
                   count(*) FILTER (WHERE published_at IS NULL) AS undated
            FROM documents d""",
    ).iloc[0]
    scripts = _rows(con, "SELECT script, count(*) AS n FROM documents GROUP BY script ORDER BY n DESC, script")
    events = _rows(con, "SELECT count(*) AS n FROM events").iloc[0]["n"]
    return {
        "articles": int(docs["articles"]),
        "sources": int(docs["sources"]),
        "first": _as_date(docs["first"]),
        "last": _as_date(docs["last"]),
        "undated": int(docs["undated"]),
        "scripts": {str(s): int(n) for s, n in zip(scripts["script"], scripts["n"])},
        "events": int(events),
    }


def _as_date(value) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """The earliest and latest day the corpus speaks of: publication days and event dates together."""
    days = [d for d in _rows(con, f"SELECT DISTINCT CAST({_LOCAL} AS DATE) AS day FROM documents d")["day"]]
    days = [_as_date(d) for d in days if _as_date(d) is not None]
    days += [p for p in (period_start(v) for v in _rows(con, "SELECT DISTINCT date FROM events")["date"]) if p]
    return (min(days), max(days)) if days else None


def sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    frame = _rows(
        con, "SELECT source, count(*) AS n FROM documents WHERE source IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    return frame["source"].tolist()


def entity_names_in_store(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Entities named anywhere in the store, the most mentioned first."""
    frame = _rows(
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
    where, params = _doc_where(con, filt)
    row = _rows(
        con,
        f"SELECT CAST(min({_LOCAL}) AS DATE) AS a, CAST(max({_LOCAL}) AS DATE) AS b FROM documents d WHERE {where}",
        params,
    ).iloc[0]
    return _as_date(row["a"]), _as_date(row["b"])


# ---- keyword trends ------------------------------------------------------------------------------


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
    totals, totals_params = _bucket_totals(con, filt, bucket)
    uses, uses_params = _term_uses(con, filt, bucket=bucket, terms=terms)
    frame = _rows(
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
    totals, totals_params = _bucket_totals(con, filt, bucket)
    uses, uses_params = _term_uses(con, filt, bucket=bucket)
    ranked = _rows(
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
    frame = _rows(
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
    where, params = _doc_where(con, filt)
    days, day_params = "TRUE", []
    if bucket_start is not None:
        first = pd.Timestamp(bucket_start).date()
        days, day_params = "s.day BETWEEN ? AND ?", [first, bucket_end(bucket, first)]
    return _rows(
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


# ---- entities ------------------------------------------------------------------------------------


def entity_counts(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, groups: Mapping[str, str], top_n: int = 20
) -> pd.DataFrame:
    """The most mentioned entities in the filtered articles, with their group."""
    rows, params = _per_article_rows(con, filt, "doc_entities")
    frame = _rows(
        con,
        f"""SELECT entity, sum(sign * mentions)::BIGINT AS mentions, sum(sign)::BIGINT AS articles FROM ({rows})
            GROUP BY entity HAVING sum(sign) > 0 ORDER BY mentions DESC, entity LIMIT ?""",
        [*params, top_n],
    )
    frame["group"] = [groups.get(e, e) for e in frame["entity"]]
    return frame[["entity", "group", "mentions", "articles"]]


def entity_mentions_over_time(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, series: Mapping[str, Iterable[str]], bucket: str
) -> pd.DataFrame:
    """Mentions per series and bucket, raw and per 10,000 tokens; a series counts every entity listed
    under it (阿里巴巴 → 淘宝, 天猫 …). Buckets where a series is not mentioned have zero."""
    pairs = [(label, member) for label, members in series.items() for member in dict.fromkeys(members)]
    columns = ["entity", "bucket", "mentions", "tokens", "articles", "per10k"]
    if not pairs:
        return pd.DataFrame(columns=columns)
    totals, totals_params = _bucket_totals(con, filt, bucket)
    rows, params = _per_article_rows(con, filt, "doc_entities")
    frame = _rows(
        con,
        f"""WITH totals AS ({totals}),
              wanted AS (SELECT unnest(?) AS label, unnest(?) AS member),
              labels AS (SELECT DISTINCT label FROM wanted),
              uses AS (SELECT w.label, {_bucket_sql(bucket, "e.day")} AS bucket, sum(e.sign * e.mentions) AS mentions
                       FROM ({rows}) e JOIN wanted w ON w.member = e.entity
                       WHERE e.day IS NOT NULL GROUP BY ALL)
            SELECT labels.label AS entity, totals.bucket, coalesce(uses.mentions, 0) AS mentions,
                   totals.tokens, totals.articles
            FROM labels CROSS JOIN totals LEFT JOIN uses ON uses.label = labels.label AND uses.bucket = totals.bucket
            ORDER BY totals.bucket""",
        [*totals_params, [p[0] for p in pairs], [p[1] for p in pairs], *params],
    )
    frame = frame.astype({"mentions": "int64", "tokens": "int64", "articles": "int64"})
    frame["per10k"] = frame["mentions"] / frame["tokens"].clip(lower=1) * 10_000
    order = {label: i for i, label in enumerate(series)}
    frame = frame.sort_values(["entity", "bucket"], key=lambda s: s.map(order) if s.name == "entity" else s)
    return frame[columns].reset_index(drop=True)


def entity_cooccurrence(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, groups: Mapping[str, str], top_n: int = 20
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) of the entities named in the same sentence: nodes are the top_n most mentioned
    entities that share a sentence with another; edges count the sentences two of them share."""
    rows, params = _per_article_rows(con, filt, "doc_pairs")
    edges = _rows(
        con,
        f"""SELECT a, b, sum(sign * sentences)::BIGINT AS sentences FROM ({rows})
            GROUP BY ALL HAVING sum(sign * sentences) > 0 ORDER BY sentences DESC, a, b""",
        params,
    )
    counts = entity_counts(con, filt, groups=groups, top_n=10_000)
    linked = set(edges["a"]) | set(edges["b"])
    nodes = counts[counts["entity"].isin(linked)].head(top_n).reset_index(drop=True)
    keep = set(nodes["entity"])
    edges = edges[edges["a"].isin(keep) & edges["b"].isin(keep)].reset_index(drop=True)
    return nodes, edges


def circular_layout(nodes: pd.DataFrame) -> pd.DataFrame:
    """Nodes placed on a circle, grouped by group then by mentions, so members of a group sit together."""
    ordered = nodes.sort_values(["group", "mentions", "entity"], ascending=[True, False, True]).reset_index(drop=True)
    n = max(len(ordered), 1)
    angles = [math.pi / 2 - 2 * math.pi * i / n for i in range(len(ordered))]
    return ordered.assign(x=[math.cos(a) for a in angles], y=[math.sin(a) for a in angles])


# ---- events ---------------------------------------------------------------------------------------


def _event_where(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, keyed: bool = False) -> tuple[str, list]:
    """A WHERE clause over `events e` (or `events_keyed e`, with `keyed`) for every filter but the date range."""
    clauses, params = ["TRUE"], []
    if filt.domains:
        clauses.append("list_contains(?, e.domain)")
        params.append(list(filt.domains))
    if filt.actions:
        clauses.append("list_contains(?, e.action)")
        params.append(list(filt.actions))
    if filt.entities:
        clauses.append("(list_contains(?, e.a) OR list_contains(?, e.b))")
        params += [list(filt.entities)] * 2
    picked = _picked_events(con, filt)
    if picked:
        key = "event_number" if keyed else "event_id"
        clauses.append(f"e.{key} IN (SELECT {key} FROM {picked})")
    return " AND ".join(clauses), params


def _picked_events(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> str | None:
    """The name of a table of the events reported in the articles the filter's sources and free text keep
    (None when it sets neither); kept beside that filter's articles (see _picked_articles), so the timeline,
    the matrix and the exports of one view read the reports once."""
    articles = _picked_articles(con, CorpusFilter(sources=filt.sources, text=filt.text))
    if articles is None:
        return None
    name = f"{articles}_events"
    cursor = con.cursor()
    try:
        if not cursor.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall():
            try:
                cursor.execute(f"""CREATE TABLE {name} AS SELECT event_id, event_number FROM events_keyed
                                   WHERE event_id IN (SELECT event_id FROM report_events
                                                      WHERE doc_id IN (SELECT doc_id FROM {articles}))""")
            except (duckdb.CatalogException, duckdb.TransactionException):
                pass  # another thread made it meanwhile
    finally:
        cursor.close()
    return name


def _event_dates(con: duckdb.DuckDBPyConnection) -> list[str]:
    return _rows(con, "SELECT DISTINCT date FROM events WHERE date IS NOT NULL")["date"].tolist()


def _dated_events(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, dates: bool, keyed: bool = False
) -> tuple[str, list]:
    """SQL for the events passing the filters, with "when", the period start of their date (parsed here
    by period_start, once per distinct date); with `dates`, only those dated within the date range; with
    `keyed`, with their integer keys (timeline_rules.EVENT_KEYS)."""
    values = _event_dates(con)
    where, params = _event_where(con, filt, keyed=keyed)
    if dates and (filt.date_from or filt.date_to):
        where += ' AND p."when" BETWEEN ? AND ?'
        params += [filt.date_from or date.min, filt.date_to or date.max]
    sql = f"""SELECT e.*, p."when" FROM {"events_keyed" if keyed else "events"} e
              LEFT JOIN (SELECT unnest(?::VARCHAR[]) AS date, unnest(?::DATE[]) AS "when") p USING (date)
              WHERE {where}"""
    return sql, [values, [period_start(v) for v in values], *params]


def _with_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """The events with `when` (the period start, a date) and `precision` of their date; few distinct dates
    among many events, so each is parsed once."""
    values = frame["date"].tolist()
    distinct = set(values)
    starts = {v: period_start(v) for v in distinct}
    precisions = {v: precision(v) for v in distinct}
    return frame.assign(when=[starts[v] for v in values], precision=[precisions[v] for v in values])


def events(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, dates: bool = True) -> pd.DataFrame:
    """Timeline items passing the filters, with `when` (the period start) and `precision` of their date.

    Entities match either party; the article filters keep an event reported in at least one kept article;
    the date range applies to the event's own date (undated events drop out)."""
    sql, params = _dated_events(con, filt, dates=dates)
    frame = _rows(con, f'SELECT * EXCLUDE ("when") FROM ({sql}) ORDER BY event_id', params)
    return _with_periods(frame)


def event(con: duckdb.DuckDBPyConnection, event_id: str | None) -> dict | None:
    """One event with `when` and `precision`, or None."""
    frame = _rows(con, "SELECT * FROM events WHERE event_id = ?", [event_id or ""])
    return None if frame.empty else _with_periods(frame).iloc[0].to_dict()


def as_of_range(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """The days the matrix can be shown as of: from the first dated event to the corpus's last day."""
    dated = [w for w in map(period_start, _event_dates(con)) if w]
    if not dated:
        return None
    bounds = date_bounds(con)
    return min(dated), max([*dated, *(bounds[1:] if bounds else ())])


def event_reports(
    con: duckdb.DuckDBPyConnection, event_ids: Iterable[str], *, limit: int | None = None
) -> pd.DataFrame:
    """The reports of the given events (every one, or the first `limit`), with its article's title, source,
    time and link, and the evidence sentence in both scripts (for highlighting); each event's first report
    (the one the timeline shows) comes first, then the others by publication time."""
    ids = list(event_ids)
    # which reports, in order, from light columns; then every column of those alone (an event may have thousands)
    chosen = _rows(
        con,
        """WITH r AS (SELECT event_id, doc_id, report_index FROM report_events WHERE list_contains(?, event_id))
           SELECT r.doc_id, r.report_index, row_number() OVER (ORDER BY r.event_id,
                      (r.doc_id = e.first_doc_id AND r.report_index = e.first_report_index) DESC,
                      d.published_at, r.doc_id, r.report_index) AS n
           FROM r JOIN (SELECT event_id, first_doc_id, first_report_index FROM events
                        WHERE list_contains(?, event_id)) e USING (event_id)
           JOIN (SELECT doc_id, published_at FROM documents WHERE doc_id IN (SELECT doc_id FROM r)) d USING (doc_id)
           QUALIFY n <= ?""",
        [ids, ids, limit if limit is not None else 2**62],
    )
    reports = _rows(
        con,
        """SELECT r.*, d.title, d.source, d.url, d.published_at
           FROM (SELECT * FROM event_reports WHERE list_contains(?, event_id) AND list_contains(?, doc_id)) r
           JOIN (SELECT doc_id, title, source, url, published_at FROM documents WHERE list_contains(?, doc_id)) d
             USING (doc_id)""",
        [ids, *[chosen["doc_id"].unique().tolist()] * 2],
    )
    reports = chosen.merge(reports, on=["doc_id", "report_index"]).sort_values("n").drop(columns="n")
    # the evidence is the sentence as written; simplified the way the store's sentences are
    simplified = [to_simplified(e) if isinstance(e, str) else None for e in reports["evidence"]]
    return reports.assign(sentence_simplified=simplified, sentence_original=reports["evidence"]).reset_index(drop=True)


def last_article_day(con: duckdb.DuckDBPyConnection, filt: CorpusFilter = NO_FILTER) -> date | None:
    return filtered_span(con, filt)[1]


def partnership_timeline(
    events_frame: pd.DataFrame,
    *,
    until: date | None,
    groups: Mapping[str, str],
    rows: set[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bars, marks) of the timeline: one row per pair of parties and domain, one per milestone maker.

    A bar runs from a start to the next end of its row, or to `until` (the last article day) while
    still open. An end with no start in its row takes the latest earlier start of the same pair at
    group level (微信 – 京东 ends the traffic partnership 腾讯 – 京东 started); failing that it is marked
    as an end without a known start. Every dated event is also a mark, so each can be clicked. With `rows`
    (row keys, see timeline.row_key), only those rows are drawn; the other events can still lend their starts.
    """
    bar_columns = ["row", "domain", "start", "end", "open", "start_event", "end_event", "inherited_from"]
    mark_columns = ["row", "domain", "when", "mark", "event_id"]
    dated = events_frame[events_frame["when"].notna()].copy()
    if dated.empty:
        return pd.DataFrame(columns=bar_columns), pd.DataFrame(columns=mark_columns)
    dated["order"] = dated["action"].map(action_step)
    dated = dated.sort_values(["when", "order", "event_id"])
    records = _records(dated, ["event_id", "kind", "a", "b", "domain", "action", "when"])
    bars, marks = [], []
    starts = _starts_by_groups(records, groups)
    by_row: dict[tuple, list] = {}
    for key, e in zip(_row_keys(records), records):
        by_row.setdefault(key, []).append(e)
    for row, items in by_row.items():
        first = items[0]
        if rows is not None and row_key(first.kind, first.a, first.b, first.domain) not in rows:
            continue
        if items[0].kind == "milestone":
            marks += [(row, e.domain, e.when, "milestone", e.event_id) for e in items]
            continue
        opened = None
        for e in items:
            if e.action == "start":
                opened = opened or e
                marks.append((row, e.domain, e.when, "start", e.event_id))
            elif e.action == "planned":
                marks.append((row, e.domain, e.when, "planned", e.event_id))
            elif opened is not None:
                bars.append((row, e.domain, opened.when, e.when, False, opened.event_id, e.event_id, None))
                marks.append((row, e.domain, e.when, "end", e.event_id))
                opened = None
            else:
                start = _group_level_start(e, starts, groups)
                if start is None:
                    marks.append((row, e.domain, e.when, "end_without_start", e.event_id))
                else:
                    bars.append((row, e.domain, start.when, e.when, False, start.event_id, e.event_id, start.event_id))
                    marks.append((row, e.domain, e.when, "end", e.event_id))
        if opened is not None:
            end = max(until or opened.when, opened.when)
            bars.append((row, opened.domain, opened.when, end, True, opened.event_id, None, None))
    return pd.DataFrame(bars, columns=bar_columns), pd.DataFrame(marks, columns=mark_columns)


def _records(frame: pd.DataFrame, columns: list[str]) -> list:
    """Rows as light named tuples, built from whole columns: DataFrame.itertuples on pandas 3 costs
    far more per row (it made the timeline take seconds at a thousand events)."""
    record = namedtuple("Record", columns)
    return [record(*values) for values in zip(*(frame[c].tolist() for c in columns))]


def _row_keys(dated: list) -> list[tuple]:
    """Each event's row as drawn: (first party, second party, domain) with the parties in the order the row's
    earliest event names them (rows are timeline.row_key, whose pair has either order); a milestone row is
    (maker, None, "milestone")."""
    first_order: dict[tuple, tuple] = {}
    keys = []
    for e in dated:
        if e.kind == "milestone":
            keys.append((e.a, None, "milestone"))
            continue
        first_order.setdefault(row_key(e.kind, e.a, e.b, e.domain), (e.a, e.b))
        keys.append((*first_order[row_key(e.kind, e.a, e.b, e.domain)], e.domain))
    return keys


def _starts_by_groups(records: list, groups: Mapping[str, str]) -> dict[tuple, list]:
    """Start events by (domain, the pair's groups), so an end finds its candidates without a scan."""
    index: dict[tuple, list] = {}
    for s in (r for r in records if r.kind != "milestone" and r.action == "start"):
        key = group_key(s.kind, s.a, s.b, groups.get(s.a), groups.get(s.b), s.domain)
        index.setdefault(key, []).append(s)
    return index


def _group_level_start(end_event, starts: dict[tuple, list], groups: Mapping[str, str]):
    """The latest start, on or before the end, of the same domain between the same parties or their groups."""

    def sides(name):
        return {name, groups.get(name, name)}

    a_sides, b_sides = sides(end_event.a), sides(end_event.b)
    e = end_event
    key = group_key(e.kind, e.a, e.b, groups.get(e.a), groups.get(e.b), e.domain)
    best = None
    for s in starts.get(key, ()):
        if s.when > end_event.when:
            continue
        if (s.a in a_sides and s.b in b_sides) or (s.a in b_sides and s.b in a_sides):
            if best is None or s.when > best.when:
                best = s
    return best


@dataclass(frozen=True)
class Timeline:
    """The partnership timeline as the page draws it: the rows with the most reports, as many as fit in a
    number of events, and how many there are in all."""

    bars: pd.DataFrame
    marks: pd.DataFrame
    events: pd.DataFrame  # every event behind the bars and marks
    rows: int
    total_rows: int
    total_events: int


def timeline(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    groups: Mapping[str, str],
    until: date | None,
    max_events: int = 1200,
    max_rows: int = 40,
) -> Timeline:
    """The partnership timeline of the filtered events, drawn for the rows with the most reports: as many
    as hold max_events dated events between them (at least one row, at most max_rows). A bar that inherits
    its start from another row (see partnership_timeline) finds it among the starts of rows whose parties
    belong to the same groups (as the store names them), which come along for the rows with an end."""
    sql, params = _dated_events(con, filt, dates=True, keyed=True)
    # rows ranked from integer keys alone (store.hold_events); names only for the events that come along
    chosen = _rows(
        con,
        f"""WITH keys AS MATERIALIZED (
                SELECT e.event_number, e.timeline_row, e.timeline_group, e.reports, e.action = 'end' AS ends,
                       e.kind <> 'milestone' AND e.action = 'start' AS starts
                FROM ({sql}) e WHERE e."when" IS NOT NULL),
              timeline_rows AS (
                SELECT timeline_row, count(*) AS events, sum(reports) AS reports,
                       any_value(timeline_group) AS timeline_group, bool_or(ends) AS has_end
                FROM keys GROUP BY timeline_row),
              ranked AS (
                SELECT *, row_number() OVER most_reported AS rank, sum(events) OVER most_reported AS running
                FROM timeline_rows WINDOW most_reported AS (ORDER BY reports DESC, events DESC, timeline_row)),
              shown AS (SELECT timeline_row, timeline_group, has_end FROM ranked
                        WHERE rank <= ? AND (rank = 1 OR running <= ?)),
              wanted AS (
                SELECT event_number, timeline_row IN (SELECT timeline_row FROM shown) AS in_shown_row FROM keys
                WHERE timeline_row IN (SELECT timeline_row FROM shown)
                   OR (starts AND timeline_group IN (SELECT timeline_group FROM shown WHERE has_end)))
            SELECT e.event_id, e.event_number, e.kind, e.a, e.b, e.domain, e.action, e.date, w.in_shown_row,
                   t.total_rows, t.total_events
            FROM events_keyed e JOIN wanted w USING (event_number),
                 (SELECT count(*) AS total_rows, sum(events) AS total_events FROM timeline_rows) t""",
        [*params, max_rows, max_events],
    )
    shown_events = chosen[chosen["in_shown_row"]]
    shown = {
        row_key(kind, a, b, domain)
        for kind, a, b, domain in zip(
            shown_events["kind"], shown_events["a"], shown_events["b"], shown_events["domain"]
        )
    }
    bars, marks = partnership_timeline(_with_periods(chosen), until=until, groups=groups, rows=shown)
    # every column (the evidence is most of the table) of the events drawn alone
    drawn = {*marks["event_id"], *bars["start_event"], *bars["end_event"].dropna()}
    numbers = sorted(int(n) for i, n in zip(chosen["event_id"], chosen["event_number"]) if i in drawn)
    frame = _with_periods(
        _rows(
            con,
            f"SELECT * EXCLUDE ({', '.join(timeline_rules.EVENT_KEYS)}) FROM events_keyed "
            "WHERE event_number IN (SELECT unnest(?::BIGINT[])) ORDER BY event_id",
            [numbers],
        )
    )
    totals = chosen.iloc[0] if len(chosen) else {"total_rows": 0, "total_events": 0}
    return Timeline(bars, marks, frame, len(shown), int(totals["total_rows"]), int(totals["total_events"]))


def _keep(frame: pd.DataFrame, mask: list[bool]) -> pd.DataFrame:
    """Rows where mask is true; unlike frame[[]], an empty mask keeps the columns."""
    return frame.loc[pd.Series(mask, index=frame.index, dtype=bool)]


# ---- the interoperability matrix ----------------------------------------------------------------------


def _matrix_items(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, as_of: date, level: str) -> tuple[str, list]:
    """SQL for the partnership events dated on or before as_of (the date range does not apply) between two
    parties, entities or (level "group") their groups: event_id, domain, action, "when", step (start, plan,
    end, other: the order of one day's events) and the pair as p < q, with the event's other columns and keys;
    `cell`, the number of the pair and domain (the timeline's row or group, see store.hold_events)."""
    if level not in ("entity", "group"):
        raise ValueError(f"level must be entity or group, not {level!r}")
    sql, params = _dated_events(con, filt, dates=False, keyed=True)
    x, y = ("coalesce(e.a_group, e.a)", "coalesce(e.b_group, e.b)") if level == "group" else ("e.a", "e.b")
    cell = "e.timeline_group" if level == "group" else "e.timeline_row"
    return (
        f"""SELECT e.*, least({x}, {y}) AS p, greatest({x}, {y}) AS q, {cell} AS cell,
                   {action_step_sql("e.action")} AS step
            FROM ({sql}) e
            WHERE e.kind <> 'milestone' AND e."when" <= ? AND {y} IS NOT NULL AND {x} <> {y}""",
        [*params, as_of],
    )


def interop_matrix(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, as_of: date, level: str = "entity"
) -> pd.DataFrame:
    """The state of every pair of parties and domain as of a day: the latest partnership event on or
    before it decides (start → open, end → closed, planned → planned); a plan announced while the
    connection is open leaves it open; `since` is the day the state began. One row per pair and domain,
    both orders of the pair, with the number of events behind it."""
    items, params = _matrix_items(con, filt, as_of=as_of, level=level)
    frame = _rows(
        con,
        f"""WITH items AS ({items}),
              ordered AS (
                SELECT cell, action, "when", chronology AS n,
                       last_value(CASE WHEN action IN ('start', 'end') THEN action END IGNORE NULLS) OVER (
                           PARTITION BY cell ORDER BY chronology
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_start_or_end
                FROM items),
              -- the events that set a state: every start and end, and a plan unless the connection is open
              settings AS (
                SELECT *, CASE action WHEN 'start' THEN 'open' WHEN 'end' THEN 'closed' ELSE 'planned' END AS state
                FROM ordered
                WHERE action IN ('start', 'end') OR (action = 'planned' AND last_start_or_end IS DISTINCT FROM 'start')),
              changes AS (
                SELECT *, state IS DISTINCT FROM lag(state) OVER (PARTITION BY cell ORDER BY n) AS begins
                FROM settings),
              cells AS (
                SELECT cell, arg_max(state, n) AS state, max("when") FILTER (WHERE begins) AS since
                FROM changes GROUP BY ALL),
              counted AS (SELECT cell, any_value(p) AS p, any_value(q) AS q, any_value(domain) AS domain,
                                 count(*) AS events FROM items GROUP BY ALL),
              states AS (
                SELECT c.p, c.q, c.domain, coalesce(s.state, 'none') AS state, s.since, c.events
                FROM counted c LEFT JOIN cells s USING (cell))
            SELECT p AS row_party, q AS col_party, domain, state, since, events FROM states
            UNION ALL SELECT q, p, domain, state, since, events FROM states
            ORDER BY row_party, col_party, domain""",
        params,
    )
    return frame.assign(since=[_as_date(v) for v in frame["since"]])


def matrix_parties(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, level: str = "entity") -> list[str]:
    """Parties of partnership events, by group then name, so a group's members sit side by side."""
    sql, params = _dated_events(con, filt, dates=False)
    frame = _rows(
        con,
        f"""WITH e AS ({sql}), sides AS (
                SELECT a AS name, a_group AS grp FROM e WHERE kind <> 'milestone'
                UNION ALL SELECT b, b_group FROM e WHERE kind <> 'milestone')
            SELECT DISTINCT coalesce(grp, name) AS grp, name FROM sides WHERE name IS NOT NULL ORDER BY grp, name""",
        params,
    )
    if level == "group":
        return sorted(set(frame["grp"]))
    return frame["name"].tolist()


CELL_COLUMNS = ["event_id", "date", "precision", "a", "b", "domain", "action", "evidence"]


def cell_events(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, row: str, col: str, as_of: date, level: str = "entity"
) -> pd.DataFrame:
    """The events behind one matrix cell as of a day, oldest first."""
    items, params = _matrix_items(con, filt, as_of=as_of, level=level)
    frame = _rows(
        con,
        f"""SELECT * EXCLUDE ("when", p, q, step, cell) FROM ({items})
            WHERE p = least(?, ?) AND q = greatest(?, ?) ORDER BY "when", event_id""",
        [*params, row, col, row, col],
    )
    return _with_periods(frame)[CELL_COLUMNS].reset_index(drop=True)


def events_with_reports(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> list[dict]:
    """The filtered events as JSON-ready records, each with the list of its reports (for the JSON export)."""
    events_frame = events(con, filt)
    reports = event_reports(con, events_frame["event_id"].tolist())
    keep = [
        "doc_id",
        "report_index",
        "a",
        "b",
        "domain",
        "action",
        "date",
        "date_resolution",
        "trigger",
        "evidence",
        "a_surface",
        "b_surface",
        "date_text",
        "title",
        "source",
        "url",
        "published_at",
    ]
    by_event: dict[str, list[dict]] = {}
    for r in reports[["event_id", *keep]].to_dict("records"):
        event_id = r.pop("event_id")
        by_event.setdefault(event_id, []).append({k: _plain(v) for k, v in r.items()})
    records = []
    for e in events_frame.drop(columns=["when"], errors="ignore").to_dict("records"):
        e = {k: _plain(v) for k, v in e.items()}
        e["report_list"] = by_event.get(e["event_id"], [])
        records.append(e)
    return records


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


# ---- articles -------------------------------------------------------------------------------------


def articles(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, limit: int | None = None) -> pd.DataFrame:
    """The filtered articles for the reader's table, newest first (every one, or the newest `limit`), with
    their number of event reports; published_at in China time."""
    where, params = _doc_where(con, filt)
    return _rows(
        con,
        f"""WITH a AS (
                SELECT d.doc_id, d.title, d.source, {_LOCAL} AS published_at, d.script, d.chars, d.url,
                       row_number() OVER (ORDER BY d.published_at DESC NULLS LAST, d.doc_id) AS n
                FROM documents d WHERE {where} QUALIFY n <= ?),
              counted AS (SELECT doc_id, count(*) AS event_reports FROM report_events
                          WHERE doc_id IN (SELECT doc_id FROM a) GROUP BY doc_id)
            SELECT a.* EXCLUDE (n), coalesce(c.event_reports, 0) AS event_reports
            FROM a LEFT JOIN counted c USING (doc_id) ORDER BY a.n""",
        [*params, limit if limit is not None else 2**62],
    )


def article_count(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> int:
    where, params = _doc_where(con, filt)
    return int(_rows(con, f"SELECT count(*) AS n FROM documents d WHERE {where}", params)["n"].iloc[0])


def article(con: duckdb.DuckDBPyConnection, doc_id: str) -> dict | None:
    frame = _rows(con, "SELECT * FROM documents WHERE doc_id = ?", [doc_id])
    return None if frame.empty else frame.iloc[0].to_dict()


def article_annotations(con: duckdb.DuckDBPyConnection, doc_id: str) -> pd.DataFrame:
    """Entity mentions and time expressions of one article as spans over its original text."""
    return _rows(
        con,
        """SELECT start, "end", 'entity' AS kind, entity AS label, surface AS detail FROM mentions WHERE doc_id = ?
           UNION ALL
           SELECT start, "end", 'time' AS kind, coalesce(value, kind) AS label, resolution AS detail
           FROM times WHERE doc_id = ?
           ORDER BY start, "end" DESC""",
        [doc_id, doc_id],
    )


# ---- store freshness and private corpora ----------------------------------------------------------


def store_is_stale(store_dir: Path, raw_dir: Path) -> bool:
    """Whether the store is missing, or was built from raw_dir by another version of the analysis or before
    a file under raw_dir changed. A store built from another folder is left alone."""
    from hutong.pipeline import analysis_version  # the page's queries need none of the pipeline otherwise

    try:
        summary = store.read_summary(store_dir)
        built = datetime.fromisoformat(summary["built_at"])
    except (KeyError, ValueError, store.StoreError):
        return True
    if Path(summary.get("input_dir", raw_dir)).resolve() != Path(raw_dir).resolve():
        return False  # built from another corpus (HUTONG_STORE_DIR): never rebuilt from this one
    if not store.store_exists(store_dir):
        return True
    if summary.get("analysis_version") != analysis_version():
        return True
    if built.tzinfo is None:
        built = built.replace(tzinfo=UTC)
    newest = max((p.stat().st_mtime for p in Path(raw_dir).rglob("*") if p.is_file()), default=0.0)
    # built_at is written to the second; a file saved within that second counts as older.
    return newest > built.timestamp() + 1


def has_store(store_dir: Path | str) -> bool:
    return store.store_exists(Path(store_dir))


def store_problem(store_dir: Path | str) -> str | None:
    """Why the page cannot open a store (named, with what to do), or None when it can."""
    return None if has_store(store_dir) else str(store.missing_store_error(Path(store_dir)))


def built_at(store_dir: Path) -> str:
    return store.read_summary(store_dir)["built_at"]


UPLOAD_FORMATS = ("txt", "md", "html", "jsonl", "csv")


@dataclass(frozen=True)
class UploadLimits:
    enabled: bool = True
    max_bytes: int = 20 * 1024 * 1024
    max_files: int = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> UploadLimits:
        def number(name: str, default: float) -> float:
            try:
                return float(env.get(name, default))
            except ValueError:
                return default

        return cls(
            enabled=env.get("HUTONG_UPLOADS", "on").strip().lower() not in {"off", "0", "false", "no"},
            max_bytes=int(number("HUTONG_UPLOAD_MAX_MB", 20) * 1024 * 1024),
            max_files=int(number("HUTONG_UPLOAD_MAX_FILES", 200)),
        )


class UploadRejected(ValueError):
    """The uploaded files break a limit or include a type Hutong does not read; the message says which."""


def stage_uploads(files: Iterable[tuple[str, bytes]], *, limits: UploadLimits, folder: Path) -> Path:
    """Write uploaded (name, bytes) pairs into folder under generated names (upload-001.txt …), with a
    MANIFEST.csv keeping each original name as metadata only; never a path taken from the visitor."""
    files = list(files)
    if not files:
        raise UploadRejected("no files")
    if len(files) > limits.max_files:
        raise UploadRejected(f"{len(files)} files, over the limit of {limits.max_files}")
    total = sum(len(data) for _, data in files)
    if total > limits.max_bytes:
        raise UploadRejected(f"{total / 1e6:.1f} MB in all, over the limit of {limits.max_bytes / 1e6:.0f} MB")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for number, (name, data) in enumerate(files, start=1):
        suffix = Path(str(name)).suffix.lower().lstrip(".")
        if suffix not in UPLOAD_FORMATS:
            raise UploadRejected(f"'{name}' is not one of {', '.join(UPLOAD_FORMATS)}")
        safe = f"upload-{number:03d}.{suffix}"
        (folder / safe).write_bytes(data)
        manifest.append({"file": safe, "original_name": str(name)})
    with (folder / "MANIFEST.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "original_name"])
        writer.writeheader()
        writer.writerows(manifest)
    return folder


def build_private_store(
    files: Iterable[tuple[str, bytes]],
    *,
    limits: UploadLimits,
    build: Callable[..., object],
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Stage the uploads in a fresh temporary folder and build a store beside them; returns the store dir.
    `build` is hutong.pipeline.build_store (passed in so this module stays free of the pipeline)."""
    root = Path(tempfile.mkdtemp(prefix="hutong-upload-"))
    try:
        staged = stage_uploads(files, limits=limits, folder=root / "input")
        build(staged, root / "store", workers=1, progress=progress)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return root / "store"


def upload_outcomes(store_dir: Path | str) -> list[dict]:
    """What became of each uploaded file (and each row of a jsonl or csv): its name as the visitor gave it,
    its row, ingested / duplicate / rejected, and the reason, from the private store's report.json."""
    store_dir = Path(store_dir)
    with (store_dir.parent / "input" / "MANIFEST.csv").open(encoding="utf-8", newline="") as handle:
        original = {row["file"]: row["original_name"] for row in csv.DictReader(handle)}
    outcomes = []
    for entry in store.read_report(store_dir)["inputs"]:
        if entry["status"] == "manifest":
            continue
        reason = entry["reason"]
        for staged, name in original.items():  # "same text as upload-001.txt" names the visitor's file
            reason = reason.replace(staged, name)
        outcomes.append(
            {"file": original.get(entry["path"], entry["path"]), "row": entry["row"], "status": entry["status"]}
            | {"reason": reason}
        )
    return outcomes


def discard_private_store(store_dir: Path | str | None) -> None:
    """Remove a private store and its staged uploads (the temporary folder holding both)."""
    if not store_dir:
        return
    root = Path(store_dir).parent
    if root.name.startswith("hutong-upload-") and Path(tempfile.gettempdir()) in root.parents:
        shutil.rmtree(root, ignore_errors=True)


class PrivateCorpus:
    """A session's uploaded corpus on disk. Kept in the session's state, it is removed when that state is
    dropped (Streamlit drops a session some time after its browser tab closes), when the server stops, or
    when the session uploads another corpus (`discard`)."""

    def __init__(self, store_dir: Path | str) -> None:
        self.store_dir = str(store_dir)
        self._finalizer = weakref.finalize(self, discard_private_store, self.store_dir)

    def discard(self) -> None:
        self._finalizer()


def remove_stale_uploads(*, older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    """Remove upload folders untouched for longer than `older_than`: those of a server that was killed
    before its sessions ended. Returns how many were removed."""
    cutoff = (now or datetime.now(UTC)).timestamp() - older_than.total_seconds()
    removed = 0
    for root in Path(tempfile.gettempdir()).glob("hutong-upload-*"):
        try:
            stale = root.is_dir() and not root.is_symlink() and root.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(root, ignore_errors=True)
            removed += 1
    return removed


# ---- exports and small look-ups over frames ----------------------------------------------------------


def mention_series(
    chosen: Iterable[str], counts: pd.DataFrame, *, members_of: Callable[[str], list[str]], top: int = 5
) -> dict[str, list[str]]:
    """The lines of the mentions-over-time chart: the chosen entities (a group counting its members),
    else the most mentioned ones."""
    names = list(chosen) or counts["entity"].head(top).tolist()
    return {name: members_of(name) or [name] for name in names}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV with a byte-order mark, so spreadsheet programs read the Chinese text as UTF-8."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def json_bytes(records: list[dict]) -> bytes:
    return json.dumps(records, ensure_ascii=False, indent=1, default=str).encode("utf-8")
