"""The page's filters as SQL, written once for every query: a CorpusFilter into WHERE clauses and the
rows of the articles and events it keeps; and the connection the queries run on."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from hutong import store
from hutong.china_time import china_day_sql, china_time_sql
from hutong.corrections import Correction, hold_corrected_events, store_corrections
from hutong.normalise import to_simplified
from hutong.timeline import EVENT_KEYS, hold_events, period_start, precision

# Queries read the store's aggregates (see hutong.store.AGGREGATES) wherever they answer the filter: per-day
# ones when only the date range is set, per-article ones always. Sources, entities and free text pick articles
# the per-day aggregates cannot see: the picked articles are found once (see picked_articles) and the query
# runs over their rows.

# An article's publication time and day in China time (see china_time), over `documents d`
ARTICLE_TIME = china_time_sql("d.published_at")
ARTICLE_DAY = china_day_sql("d.published_at")


BUCKETS = ("day", "week", "month", "quarter")


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
    min_confidence: float = 0.0  # events the extractor is less sure of are left out (0: every event)


NO_FILTER = CorpusFilter()


def connect(
    store_dir: Path | str, *, corrections: Sequence[Correction] = (), groups: Mapping[str, str] | None = None
) -> duckdb.DuckDBPyConnection:
    """One connection per store; each query below works on its own cursor, so threads can share it. Its events
    carry the corrections the store was built with and then `corrections` (a session's, say; see
    hutong.corrections), a party's group taken from `groups` (entity → group) when given."""
    con = store.connect(Path(store_dir))
    # events (under two per article) are read whole by the timeline and the matrix at every page run: they are
    # held in memory, corrected and with the timeline's keys; the other tables are read from disk where needed
    hold_corrected_events(con, [*store_corrections(Path(store_dir)), *corrections], groups=groups)
    hold_events(con, "events_corrected")
    con.execute("DROP VIEW events_corrected")  # held, with keys, as events_keyed
    return con


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params or []).df()
    finally:
        cursor.close()


def picks_articles(filt: CorpusFilter) -> bool:
    """Whether the filter keeps articles by more than their day (sources, entities, text)."""
    return bool(filt.sources or filt.entities or text_query(filt.text))


def _needles(text: str) -> list[str]:
    """What one word or phrase is looked for: as typed and in simplified script, either may match."""
    query = text.strip()
    return sorted({query, to_simplified(query)}) if query else []


# A word, a "quoted phrase" (ASCII or Chinese quotes), or an operator: AND, OR, NOT (or a leading -)
_QUERY_TOKEN = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|(\S+)')


def text_query(text: str) -> list[list[tuple[bool, str]]]:
    """The free-text filter as alternatives (OR) of words that must all be in an article (AND, the default
    between words), each (negated, word or phrase): `京东 OR 淘宝 NOT 支付宝`, `"微信 支付" -关闭`. An
    operator with nothing to apply to is dropped; a query of NOT words alone keeps what lacks them."""
    alternatives: list[list[tuple[bool, str]]] = [[]]
    negate = False
    for match in _QUERY_TOKEN.finditer(text):
        phrase = next((g for g in match.groups()[:3] if g is not None), None)
        word = match.group(4)
        if phrase is None:
            if word in ("OR", "|"):
                alternatives.append([])
                negate = False
                continue
            if word in ("AND", "&"):
                continue
            if word == "NOT":
                negate = True
                continue
            if word.startswith("-") and len(word) > 1:
                negate, word = True, word[1:]
        needle = (phrase if phrase is not None else word).strip()
        if needle:
            alternatives[-1].append((negate, needle))
        negate = False
    return [a for a in alternatives if a]


def _text_sql(text: str) -> tuple[str, list]:
    """A condition over `search` (each article's text, lower-cased) for text_query(text)."""
    ors, params = [], []
    for words in text_query(text):
        ands = []
        for negated, word in words:
            needles = _needles(word)
            ands.append(
                ("NOT " if negated else "") + "(" + " OR ".join("contains(text, lower(?))" for _ in needles) + ")"
            )
            params += needles
        ors.append("(" + " AND ".join(ands) + ")")
    return " OR ".join(ors), params


def article_where(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, dates: bool = True) -> tuple[str, list]:
    """A WHERE clause over `documents d` for the article-level filters."""
    clauses: list[str] = []
    params: list = []
    if dates and filt.date_from:
        clauses.append(f"{ARTICLE_DAY} >= ?")
        params.append(filt.date_from)
    if dates and filt.date_to:
        clauses.append(f"{ARTICLE_DAY} <= ?")
        params.append(filt.date_to)
    picked = picked_articles(con, filt)
    if picked:
        clauses.append(f"d.doc_id IN (SELECT doc_id FROM {picked})")
    return (" AND ".join(clauses) or "TRUE"), params


_KEPT_PICKS = 16


def picked_articles(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> str | None:
    """The name of a table of the articles (doc_id, day) the filter's sources, entities and free text keep
    (None when it sets none of them). Free text is the slowest question the page asks (every article's text, about a
    second at 100,000 articles) and each chart would ask it again: the answer is kept in the connection's
    in-memory database (one build of one store, so it cannot go stale), for the last few filters."""
    if not picks_articles(filt):
        return None
    clauses, params = [], []
    if filt.sources:
        clauses.append("list_contains(?, d.source)")
        params.append(sorted(filt.sources))
    if filt.entities:
        clauses.append("d.doc_id IN (SELECT doc_id FROM doc_entities WHERE list_contains(?, entity))")
        params.append(sorted(filt.entities))
    matches, needles = _text_sql(filt.text)
    if matches:
        # the search table holds titles, texts and simplified sentences lower-cased: a case-blind substring match
        clauses.append(f"d.doc_id IN (SELECT doc_id FROM search WHERE {matches})")
        params += needles
    key = json.dumps([sorted(filt.sources), sorted(filt.entities), matches, needles], ensure_ascii=False)
    # with each article's day (NULL: undated), so that counting them by period reads no other table
    select = f"SELECT d.doc_id, {ARTICLE_DAY} AS day FROM documents d WHERE {' AND '.join(clauses)}"
    return kept_answer(con, "picked", key, select, params, companions=("events",))


def kept_answer(
    con: duckdb.DuckDBPyConnection, kind: str, key: str, select: str, params: list, *, companions: Sequence[str] = ()
) -> str:
    """The name of a table holding the answer of `select`, made once per `kind` and `key` (what the answer
    depends on) in the connection's in-memory database (one build of one store, so it cannot go stale) and
    kept for the last _KEPT_PICKS keys of its kind; a kept table's companions ({name}_{companion}, made by
    other queries from it) go when it goes."""
    name = f"{kind}_" + hashlib.sha256(key.encode()).hexdigest()[:24]
    cursor = con.cursor()
    try:
        kept = [
            table
            for (table,) in cursor.execute(
                "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?) ORDER BY table_oid",
                [f"{kind}_"],
            ).fetchall()
            if len(table) == len(name)
        ]
        if name in kept:
            return name
        try:
            cursor.execute(f"CREATE TABLE {name} AS {select}", params)
        except (duckdb.CatalogException, duckdb.TransactionException):
            pass  # another thread made it meanwhile
        for old in kept[: max(len(kept) + 1 - _KEPT_PICKS, 0)]:
            for table in (old, *(f"{old}_{c}" for c in companions)):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
    finally:
        cursor.close()
    return name


def day_where(filt: CorpusFilter, *, day: str = "day") -> tuple[str, list]:
    """A WHERE clause for the date range over a table's day column."""
    clauses, params = [], []
    if filt.date_from:
        clauses.append(f"{day} >= ?")
        params.append(filt.date_from)
    if filt.date_to:
        clauses.append(f"{day} <= ?")
        params.append(filt.date_to)
    return (" AND ".join(clauses) or "TRUE"), params


def article_selection(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> tuple[int, str] | None:
    """How a query reads the articles the filter picks (the date range aside): (1, SQL for their doc_ids), or,
    when it picks most of the corpus, (-1, SQL for the doc_ids it drops), which are fewer rows to read and
    subtract from the whole; None when it picks no articles."""
    picked = picked_articles(con, filt)
    if picked is None:
        return None
    kept, total = query_frame(
        con, f"SELECT (SELECT count(*) FROM {picked}) AS kept, (SELECT count(*) FROM documents) AS total"
    ).iloc[0]
    if 2 * kept <= total:
        return 1, f"SELECT doc_id FROM {picked}"
    return -1, f"SELECT doc_id FROM documents WHERE doc_id NOT IN (SELECT doc_id FROM {picked})"


def per_article_rows(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, table: str) -> tuple[str, list]:
    """SQL for the rows of a per-article aggregate (doc_id, day, …) in the date range, with a `sign` to weigh
    them by: the rows of the articles the filter keeps, or every row and, negated, those of the articles it
    drops (see article_selection)."""
    days, params = day_where(filt)
    selection = article_selection(con, filt)
    if selection is None:
        return f"SELECT *, 1 AS sign FROM {table} WHERE {days}", params
    sign, docs = selection
    signed = f"SELECT *, {sign} AS sign FROM {table} WHERE {days} AND doc_id IN ({docs})"
    if sign > 0:
        return signed, params
    return f"SELECT *, 1 AS sign FROM {table} WHERE {days} UNION ALL {signed}", [*params, *params]


def kept_sums(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    by_day: str,
    by_article: str,
    keys: Sequence[str],
    sums: Mapping[str, str],
) -> tuple[str, list]:
    """SQL for rows (keys, then the sums' columns) that add up to the sums over the articles the filter keeps:
    the rows of the per-day sums `by_day` (which has those columns) in the date range, when no filter picks
    articles by more than their day; else the rows of the per-article aggregate `by_article`, each sum its
    expression over them weighed by `sign` (see per_article_rows)."""
    if not picks_articles(filt):
        days, params = day_where(filt)
        return f"SELECT {', '.join([*keys, *sums])} FROM {by_day} WHERE {days}", params
    rows, params = per_article_rows(con, filt, by_article)
    columns = [*keys, *(f"{expression} AS {name}" for name, expression in sums.items())]
    return f"SELECT {', '.join(columns)} FROM ({rows})", params


def bucket_sql(bucket: str, day: str = ARTICLE_DAY) -> str:
    """The calendar bucket (its first day, as a timestamp) of a day."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    return f"CAST(date_trunc('{bucket}', {day}) AS TIMESTAMP)"


def counted_by_day(filt: CorpusFilter) -> bool:
    """Whether the articles the filter keeps are whole rows of article_days (their day and source decide, no
    entity or text), so that counts, spans and totals of them read that table instead of every article."""
    return not (filt.entities or text_query(filt.text))


def article_days_where(filt: CorpusFilter) -> tuple[str, list]:
    """A WHERE clause over article_days for a filter that counted_by_day answers: its date range and sources."""
    where, params = day_where(filt)
    if filt.sources:
        where += " AND list_contains(?, source)"
        params.append(sorted(filt.sources))
    return where, params


def bucket_totals(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, bucket: str) -> tuple[str, list]:
    """SQL for (bucket, tokens, articles) over the dated articles the filter keeps."""
    if counted_by_day(filt):
        where, params = article_days_where(filt)
        return (
            f"""SELECT {bucket_sql(bucket, "day")} AS bucket, sum(tokens)::BIGINT AS tokens,
                       sum(articles)::BIGINT AS articles
                FROM article_days WHERE day IS NOT NULL AND {where} GROUP BY 1""",
            params,
        )
    where, params = article_where(con, filt)
    return (
        f"""SELECT {bucket_sql(bucket)} AS bucket, sum(d.tokens)::BIGINT AS tokens, count(*) AS articles
            FROM documents d WHERE d.published_at IS NOT NULL AND {where} GROUP BY 1""",
        params,
    )


def bucket_totals_of_all(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, bucket: str) -> tuple[str, list]:
    """SQL for (bucket, tokens, articles, all_articles): bucket_totals of the articles the filter keeps, with
    every dated article of its date range beside them (the period's articles, whatever the other filters),
    over the buckets holding a kept article."""
    kept, kept_params = bucket_totals(con, filt, bucket)
    if not picks_articles(filt):
        return f"SELECT *, articles AS all_articles FROM ({kept})", kept_params
    every, every_params = bucket_totals(con, CorpusFilter(date_from=filt.date_from, date_to=filt.date_to), bucket)
    return (
        f"""SELECT k.*, a.articles::BIGINT AS all_articles FROM ({kept}) k
            JOIN (SELECT bucket, articles FROM ({every})) a USING (bucket)""",
        [*kept_params, *every_params],
    )


def as_date(value) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


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
    if filt.min_confidence > 0:
        clauses.append("coalesce(e.confidence, 1.0) >= ?")
        params.append(filt.min_confidence)
    picked = _picked_events(con, filt)
    if picked:
        key = "event_number" if keyed else "event_id"
        clauses.append(f"e.{key} IN (SELECT {key} FROM {picked})")
    return " AND ".join(clauses), params


def _picked_events(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> str | None:
    """The name of a table of the events reported in the articles the filter's sources and free text keep
    (None when it sets neither); kept beside that filter's articles (see picked_articles), so the timeline,
    the matrix and the exports of one view read the reports once."""
    articles = picked_articles(con, CorpusFilter(sources=filt.sources, text=filt.text))
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


def event_dates(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The distinct dates of the events, as written; worked out once per connection (its events never change)."""
    kept = kept_answer(con, "event_dates", "", "SELECT DISTINCT date FROM events WHERE date IS NOT NULL", [])
    return query_frame(con, f"SELECT date FROM {kept}")["date"].tolist()


def event_parties(con: duckdb.DuckDBPyConnection) -> str:
    """The name of a table of every party the events name, entity or group (`party`), with the events naming
    it (`events`); worked out once per connection."""
    return kept_answer(
        con,
        "event_parties",
        "",
        """SELECT party, sum(n)::BIGINT AS events FROM (
               SELECT a AS party, count(*) AS n FROM events GROUP BY 1 UNION ALL
               SELECT b, count(*) FROM events GROUP BY 1 UNION ALL
               SELECT a_group, count(*) FROM events GROUP BY 1 UNION ALL
               SELECT b_group, count(*) FROM events GROUP BY 1)
           WHERE party IS NOT NULL GROUP BY 1""",
        [],
    )


def dated_events(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    dates: bool,
    keyed: bool = False,
    groups: Sequence[int] | None = None,
) -> tuple[str, list]:
    """SQL for the events passing the filters, with "when", the period start of their date (held with the
    events, see hutong.timeline.hold_events); with `dates`, only those dated within the date range; with
    `keyed`, with their integer keys (EVENT_KEYS), and with `groups`, only the events of those timeline groups."""
    where, params = _event_where(con, filt, keyed=keyed)
    if groups is not None:
        where += " AND list_contains(?, e.timeline_group)"
        params.append(list(groups))
    if dates and (filt.date_from or filt.date_to):
        where += " AND e.period_start BETWEEN ? AND ?"
        params += [filt.date_from or date.min, filt.date_to or date.max]
    columns = "e.*" if keyed else f"e.* EXCLUDE ({', '.join(EVENT_KEYS)})"
    return f"""SELECT {columns}, e.period_start AS "when" FROM events_keyed e WHERE {where}""", params


def with_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """The events with `when` (the period start, a date) and `precision` of their date; few distinct dates
    among many events, so each is parsed once."""
    values = frame["date"].tolist()
    distinct = set(values)
    starts = {v: period_start(v) for v in distinct}
    precisions = {v: precision(v) for v in distinct}
    return frame.assign(when=[starts[v] for v in values], precision=[precisions[v] for v in values])
