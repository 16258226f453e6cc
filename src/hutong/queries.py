"""Questions the dashboard asks of a processed store: DuckDB over the store's tables, data in, DataFrame out."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import tempfile
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from hutong import store
from hutong.normalise import to_simplified

BUCKETS = ("day", "week", "month", "quarter")
MEASURES = ("per10k", "share")
MATRIX_STATES = ("none", "closed", "planned", "open")  # the heatmap's z is the index into this tuple
_DATE_VALUE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_PRECISION = {1: "year", 2: "month", 3: "day"}
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
    return store.connect(Path(store_dir))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params or []).df()
    finally:
        cursor.close()


# ---- filters as SQL ---------------------------------------------------------------------------


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _doc_where(filt: CorpusFilter, *, dates: bool = True) -> tuple[str, list]:
    """A WHERE clause over `documents d` for the article-level filters."""
    clauses: list[str] = []
    params: list = []
    if dates and filt.date_from:
        clauses.append(f"CAST({_LOCAL} AS DATE) >= ?")
        params.append(filt.date_from)
    if dates and filt.date_to:
        clauses.append(f"CAST({_LOCAL} AS DATE) <= ?")
        params.append(filt.date_to)
    if filt.sources:
        clauses.append("list_contains(?, d.source)")
        params.append(list(filt.sources))
    if filt.entities:
        clauses.append("d.doc_id IN (SELECT doc_id FROM mentions WHERE list_contains(?, entity))")
        params.append(list(filt.entities))
    query = filt.text.strip()
    if query:
        matches = []
        for needle in sorted({_like(query), _like(to_simplified(query))}):  # either script may match
            matches.append(
                "d.title ILIKE ? ESCAPE '\\' OR d.text ILIKE ? ESCAPE '\\'"
                " OR d.doc_id IN (SELECT doc_id FROM sentences WHERE text ILIKE ? ESCAPE '\\')"
            )
            params += [needle, needle, needle]
        clauses.append("(" + " OR ".join(matches) + ")")
    return (" AND ".join(clauses) or "TRUE"), params


def _bucket_sql(bucket: str) -> str:
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    return f"date_trunc('{bucket}', {_LOCAL})"


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
    frame = _rows(con, "SELECT source, count(*) AS n FROM documents WHERE source IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1")
    return frame["source"].tolist()


def entity_names_in_store(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Entities named anywhere in the store, the most mentioned first."""
    frame = _rows(
        con,
        """SELECT entity, sum(n) AS n FROM (
               SELECT entity, count(*) AS n FROM mentions GROUP BY 1
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
    where, params = _doc_where(filt)
    row = _rows(con, f"SELECT CAST(min({_LOCAL}) AS DATE) AS a, CAST(max({_LOCAL}) AS DATE) AS b FROM documents d WHERE {where}", params).iloc[0]
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
    where, params = _doc_where(filt)
    frame = _rows(
        con,
        f"""WITH docs AS (
                SELECT d.doc_id, d.tokens, {_bucket_sql(bucket)} AS bucket FROM documents d
                WHERE d.published_at IS NOT NULL AND {where}),
              totals AS (SELECT bucket, sum(tokens) AS tokens, count(*) AS articles FROM docs GROUP BY bucket),
              wanted AS (SELECT unnest(?) AS term),
              uses AS (
                SELECT t.term, docs.bucket, sum(t.count) AS count, count(DISTINCT t.doc_id) AS docs
                FROM terms t JOIN docs USING (doc_id) WHERE list_contains(?, t.term) GROUP BY ALL)
            SELECT wanted.term, totals.bucket, coalesce(uses.count, 0) AS count, coalesce(uses.docs, 0) AS docs,
                   totals.tokens, totals.articles
            FROM wanted CROSS JOIN totals
            LEFT JOIN uses ON uses.term = wanted.term AND uses.bucket = totals.bucket
            ORDER BY wanted.term, totals.bucket""",
        [*params, terms, terms],
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
    frequency in the earlier buckets. With one bucket (or too few rising terms) the most frequent fill in."""
    where, params = _doc_where(filt)
    frame = _rows(
        con,
        f"""WITH docs AS (
                SELECT d.doc_id, d.tokens, {_bucket_sql(bucket)} AS bucket FROM documents d
                WHERE d.published_at IS NOT NULL AND {where}),
              totals AS (SELECT bucket, sum(tokens) AS tokens FROM docs GROUP BY bucket),
              uses AS (SELECT t.term, docs.bucket, sum(t.count) AS count FROM terms t JOIN docs USING (doc_id) GROUP BY ALL),
              kept AS (SELECT term FROM uses GROUP BY term HAVING sum(count) >= ?)
            SELECT u.term, totals.bucket, u.count, u.count / greatest(totals.tokens, 1) * 10000 AS per10k
            FROM totals LEFT JOIN (SELECT * FROM uses JOIN kept USING (term)) u USING (bucket)""",
        [*params, min_count],
    )
    buckets = sorted(frame["bucket"].unique())  # every bucket with articles, even one without kept terms
    frame = frame.dropna(subset=["term"])
    if frame.empty:
        return []
    wide = frame.pivot_table(index="term", columns="bucket", values="per10k", fill_value=0.0)
    wide = wide.reindex(columns=buckets, fill_value=0.0)
    latest = wide.iloc[:, -1]
    earlier = wide.iloc[:, :-1].mean(axis=1) if len(buckets) > 1 else 0.0
    total = frame.groupby("term")["count"].sum()
    ranked = pd.DataFrame({"rise": latest - earlier, "overall": wide.mean(axis=1), "total": total})
    ranked = ranked.rename_axis("term").reset_index()
    rising = ranked[ranked["rise"] > 0].sort_values(["rise", "total", "term"], ascending=[False, False, True])
    chosen = rising["term"].head(top_n).tolist()
    if len(chosen) < top_n:
        rest = ranked[~ranked["term"].isin(chosen)].sort_values(["overall", "term"], ascending=[False, True])
        chosen += rest["term"].head(top_n - len(chosen)).tolist()
    return chosen


def frequent_terms(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, limit: int = 300) -> list[str]:
    """Terms to offer in the term picker, the most used first."""
    where, params = _doc_where(filt)
    frame = _rows(
        con,
        f"SELECT term, sum(count) AS n FROM terms WHERE doc_id IN (SELECT doc_id FROM documents d WHERE {where}) "
        "GROUP BY term ORDER BY n DESC, term LIMIT ?",
        [*params, limit],
    )
    return frame["term"].tolist()


def term_in_context(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, term: str, bucket: str, bucket_start: date | str | None,
    limit: int = 200,
) -> pd.DataFrame:
    """The sentences behind one point of the trend chart: the term's sentences in that bucket's articles."""
    where, params = _doc_where(filt)
    bucket_clause, bucket_params = "TRUE", []
    if bucket_start is not None:
        bucket_clause = f"CAST({_bucket_sql(bucket)} AS DATE) = CAST(? AS DATE)"
        bucket_params = [str(pd.Timestamp(bucket_start).date())]
    return _rows(
        con,
        f"""SELECT s.doc_id, s.sentence_index, s.text, s.original, d.title, d.source, d.url, d.published_at
            FROM sentences s JOIN documents d USING (doc_id)
            WHERE {where} AND {bucket_clause} AND instr(s.text, ?) > 0
            ORDER BY d.published_at, s.doc_id, s.sentence_index LIMIT ?""",
        [*params, *bucket_params, term, limit],
    )


# ---- entities ------------------------------------------------------------------------------------


def entity_counts(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, groups: Mapping[str, str], top_n: int = 20) -> pd.DataFrame:
    """The most mentioned entities in the filtered articles, with their group."""
    where, params = _doc_where(filt)
    frame = _rows(
        con,
        f"""SELECT entity, count(*) AS mentions, count(DISTINCT doc_id) AS articles FROM mentions
            WHERE doc_id IN (SELECT doc_id FROM documents d WHERE {where})
            GROUP BY entity ORDER BY mentions DESC, entity LIMIT ?""",
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
    where, params = _doc_where(filt)
    frame = _rows(
        con,
        f"""WITH docs AS (
                SELECT d.doc_id, d.tokens, {_bucket_sql(bucket)} AS bucket FROM documents d
                WHERE d.published_at IS NOT NULL AND {where}),
              totals AS (SELECT bucket, sum(tokens) AS tokens, count(*) AS articles FROM docs GROUP BY bucket),
              wanted AS (SELECT unnest(?) AS label, unnest(?) AS member),
              labels AS (SELECT DISTINCT label FROM wanted),
              uses AS (SELECT w.label, docs.bucket, count(*) AS mentions
                       FROM mentions m JOIN docs USING (doc_id) JOIN wanted w ON w.member = m.entity GROUP BY ALL)
            SELECT labels.label AS entity, totals.bucket, coalesce(uses.mentions, 0) AS mentions,
                   totals.tokens, totals.articles
            FROM labels CROSS JOIN totals LEFT JOIN uses ON uses.label = labels.label AND uses.bucket = totals.bucket
            ORDER BY totals.bucket""",
        [*params, [p[0] for p in pairs], [p[1] for p in pairs]],
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
    where, params = _doc_where(filt)
    edges = _rows(
        con,
        f"""WITH m AS (SELECT DISTINCT doc_id, sentence_index, entity FROM mentions
                       WHERE doc_id IN (SELECT doc_id FROM documents d WHERE {where}))
            SELECT x.entity AS a, y.entity AS b, count(*) AS sentences
            FROM m x JOIN m y ON x.doc_id = y.doc_id AND x.sentence_index = y.sentence_index AND x.entity < y.entity
            GROUP BY ALL ORDER BY sentences DESC, a, b""",
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


def period_start(value) -> date | None:
    """The first day of a date written at year, month or day precision ("2011", "2024-10", "2024-10-29")."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    match = _DATE_VALUE.match(str(value))
    if not match:
        return None
    year, month, day = (int(p) if p else 1 for p in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def precision(value) -> str | None:
    match = _DATE_VALUE.match(str(value)) if isinstance(value, str) else None
    return _PRECISION[sum(1 for p in match.groups() if p)] if match else None


def events(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, dates: bool = True) -> pd.DataFrame:
    """Timeline items passing the filters, with `when` (the period start) and `precision` of their date.

    Entities match either party or its group; the article filters keep an event reported in at least
    one kept article; the date range applies to the event's own date (undated events drop out)."""
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
    if filt.sources or filt.text.strip():
        where, doc_params = _doc_where(CorpusFilter(sources=filt.sources, text=filt.text), dates=False)
        clauses.append(
            f"e.event_id IN (SELECT r.event_id FROM event_reports r JOIN documents d USING (doc_id) WHERE {where})"
        )
        params += doc_params
    frame = _rows(con, f"SELECT e.* FROM events e WHERE {' AND '.join(clauses)} ORDER BY e.event_id", params)
    # few distinct dates among many events: parse each once
    values = frame["date"].tolist()
    distinct = set(values)
    starts = {v: period_start(v) for v in distinct}
    precisions = {v: precision(v) for v in distinct}
    frame["when"] = [starts[v] for v in values]
    frame["precision"] = [precisions[v] for v in values]
    if dates and (filt.date_from or filt.date_to):
        low, high = filt.date_from or date.min, filt.date_to or date.max
        frame = _keep(frame, [w is not None and low <= w <= high for w in frame["when"]])
    return frame.reset_index(drop=True)


def _keep(frame: pd.DataFrame, mask: list[bool]) -> pd.DataFrame:
    """Rows where mask is true; unlike frame[[]], an empty mask keeps the columns."""
    return frame.loc[pd.Series(mask, index=frame.index, dtype=bool)]


def event_reports(con: duckdb.DuckDBPyConnection, event_ids: Iterable[str]) -> pd.DataFrame:
    """Every report of the given events, with its article's title, source, time and link, and the
    evidence sentence in both scripts (for highlighting); each event's first report (the one the
    timeline shows) comes first."""
    ids = list(event_ids)
    if not ids:
        ids = [""]
    return _rows(
        con,
        """SELECT r.*, d.title, d.source, d.url, d.published_at, s.text AS sentence_simplified,
                  s.original AS sentence_original
           FROM event_reports r JOIN documents d USING (doc_id) JOIN events e USING (event_id)
           LEFT JOIN sentences s ON s.doc_id = r.doc_id AND s.sentence_index = r.sentence_index
           WHERE list_contains(?, r.event_id)
           ORDER BY r.event_id, (r.doc_id = e.first_doc_id AND r.report_index = e.first_report_index) DESC,
                    d.published_at, r.doc_id, r.report_index""",
        [ids],
    )


def last_article_day(con: duckdb.DuckDBPyConnection, filt: CorpusFilter = NO_FILTER) -> date | None:
    return filtered_span(con, filt)[1]


_ACTION_ORDER = {"start": 0, "planned": 1, "end": 2}


def partnership_timeline(
    events_frame: pd.DataFrame, *, until: date | None, groups: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bars, marks) of the timeline: one row per pair of parties and domain, one per milestone maker.

    A bar runs from a start to the next end of its row, or to `until` (the last article day) while
    still open. An end with no start in its row takes the latest earlier start of the same pair at
    group level (微信 – 京东 ends the traffic partnership 腾讯 – 京东 started); failing that it is marked
    as an end without a known start. Every dated event is also a mark, so each can be clicked.
    """
    bar_columns = ["row", "domain", "start", "end", "open", "start_event", "end_event", "inherited_from"]
    mark_columns = ["row", "domain", "when", "mark", "event_id"]
    dated = events_frame[events_frame["when"].notna()].copy()
    if dated.empty:
        return pd.DataFrame(columns=bar_columns), pd.DataFrame(columns=mark_columns)
    dated["order"] = dated["action"].map(_ACTION_ORDER).fillna(3)
    dated = dated.sort_values(["when", "order", "event_id"])
    records = _records(dated, ["event_id", "kind", "a", "b", "domain", "action", "when"])
    bars, marks = [], []
    starts = _starts_by_groups(records, groups)
    rows: dict[tuple, list] = {}
    for key, e in zip(_row_keys(records), records):
        rows.setdefault(key, []).append(e)
    for row, items in rows.items():
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
    """(first party, second party, domain) with the parties in the order the row's earliest event names
    them, so 京东 – 支付宝 and 支付宝 – 京东 share one row; a milestone row is (maker, None, "milestone")."""
    first_order: dict[tuple, tuple] = {}
    keys = []
    for e in dated:
        if e.kind == "milestone":
            keys.append((e.a, None, "milestone"))
            continue
        pair = (frozenset((e.a, e.b)), e.domain)
        first_order.setdefault(pair, (e.a, e.b))
        keys.append((*first_order[pair], e.domain))
    return keys


def _starts_by_groups(records: list, groups: Mapping[str, str]) -> dict[tuple, list]:
    """Start events by (domain, the pair's groups), so an end finds its candidates without a scan."""
    index: dict[tuple, list] = {}
    for s in (r for r in records if r.kind != "milestone" and r.action == "start"):
        key = (s.domain, frozenset((groups.get(s.a, s.a), groups.get(s.b, s.b))))
        index.setdefault(key, []).append(s)
    return index


def _group_level_start(end_event, starts: dict[tuple, list], groups: Mapping[str, str]):
    """The latest start, on or before the end, of the same domain between the same parties or their groups."""
    def sides(name):
        return {name, groups.get(name, name)}

    a_sides, b_sides = sides(end_event.a), sides(end_event.b)
    key = (end_event.domain, frozenset((groups.get(end_event.a, end_event.a), groups.get(end_event.b, end_event.b))))
    best = None
    for s in starts.get(key, ()):
        if s.when > end_event.when:
            continue
        if (s.a in a_sides and s.b in b_sides) or (s.a in b_sides and s.b in a_sides):
            if best is None or s.when > best.when:
                best = s
    return best


def interop_matrix_as_of(events_frame: pd.DataFrame, as_of: date, *, level: str = "entity") -> pd.DataFrame:
    """The state of every pair of parties and domain as of a day: the latest partnership event on or
    before it decides (start → open, end → closed, planned → planned); a plan announced while the
    connection is open leaves it open. Returns one row per pair and domain, both orders of the pair."""
    columns = ["row_party", "col_party", "domain", "state", "since", "event_ids"]
    items = events_frame[(events_frame["kind"] != "milestone") & events_frame["when"].notna()].copy()
    items = _keep(items, [w <= as_of for w in items["when"]])
    if level == "group":
        items["a"], items["b"] = items["a_group"].fillna(items["a"]), items["b_group"].fillna(items["b"])
    items = items[items["a"] != items["b"]]
    if items.empty:
        return pd.DataFrame(columns=columns)
    items["order"] = items["action"].map(_ACTION_ORDER).fillna(3)
    items = items.sort_values(["when", "order", "event_id"])
    state: dict[tuple, dict] = {}
    for e in _records(items, ["event_id", "a", "b", "domain", "action", "when"]):
        key = (frozenset((e.a, e.b)), e.domain)
        cell = state.setdefault(key, {"state": "none", "since": None, "event_ids": []})
        cell["event_ids"].append(e.event_id)
        new = {"start": "open", "end": "closed", "planned": "planned"}.get(e.action)
        if new is None or (new == "planned" and cell["state"] == "open"):
            continue
        if new != cell["state"]:
            cell["since"] = e.when
        cell["state"] = new
    rows = []
    for (pair, domain), cell in state.items():
        x, y = sorted(pair)
        for row_party, col_party in ((x, y), (y, x)):
            rows.append((row_party, col_party, domain, cell["state"], cell["since"], tuple(cell["event_ids"])))
    return pd.DataFrame(rows, columns=columns).sort_values(["row_party", "col_party", "domain"]).reset_index(drop=True)


def matrix_parties(events_frame: pd.DataFrame, *, level: str = "entity") -> list[str]:
    """Parties of partnership events, by group then name, so a group's members sit side by side."""
    items = events_frame[events_frame["kind"] != "milestone"]
    pairs = []
    for side in ("a", "b"):
        for name, group in zip(items[side], items[f"{side}_group"]):
            if isinstance(name, str):
                pairs.append((group if isinstance(group, str) else name, name))
    if level == "group":
        return sorted({g for g, _ in pairs})
    return [name for _, name in sorted(set(pairs))]


def events_with_reports(con: duckdb.DuckDBPyConnection, events_frame: pd.DataFrame) -> list[dict]:
    """Events as JSON-ready records, each with the list of its reports (for the JSON export)."""
    reports = event_reports(con, events_frame["event_id"].tolist())
    keep = ["doc_id", "report_index", "a", "b", "domain", "action", "date", "date_resolution", "trigger",
            "evidence", "a_surface", "b_surface", "date_text", "title", "source", "url", "published_at"]
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


def articles(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> pd.DataFrame:
    """The filtered articles for the reader's table, newest first; published_at in China time."""
    where, params = _doc_where(filt)
    return _rows(
        con,
        f"""SELECT d.doc_id, d.title, d.source, {_LOCAL} AS published_at, d.script, d.chars, d.url,
                   (SELECT count(*) FROM event_reports r WHERE r.doc_id = d.doc_id) AS event_reports
            FROM documents d WHERE {where} ORDER BY d.published_at DESC NULLS LAST, d.doc_id""",
        params,
    )


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

    if not store.store_exists(store_dir):
        return True
    try:
        summary = store.read_report(store_dir)["summary"]
        built = datetime.fromisoformat(summary["built_at"])
    except (KeyError, ValueError, store.StoreError):
        return True
    if Path(summary.get("input_dir", raw_dir)).resolve() != Path(raw_dir).resolve():
        return False  # built from another corpus (HUTONG_STORE_DIR): never rebuilt from this one
    if summary.get("analysis_version") != analysis_version():
        return True
    if built.tzinfo is None:
        built = built.replace(tzinfo=UTC)
    newest = max((p.stat().st_mtime for p in Path(raw_dir).rglob("*") if p.is_file()), default=0.0)
    # built_at is written to the second; a file saved within that second counts as older.
    return newest > built.timestamp() + 1


def has_store(store_dir: Path | str) -> bool:
    return store.store_exists(Path(store_dir))


def built_at(store_dir: Path) -> str:
    return store.read_report(store_dir)["summary"]["built_at"]


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
    files: Iterable[tuple[str, bytes]], *, limits: UploadLimits, build: Callable[..., object],
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


def discard_private_store(store_dir: Path | str | None) -> None:
    """Remove a private store and its staged uploads (the temporary folder holding both)."""
    if not store_dir:
        return
    root = Path(store_dir).parent
    if root.name.startswith("hutong-upload-") and Path(tempfile.gettempdir()) in root.parents:
        shutil.rmtree(root, ignore_errors=True)


# ---- exports and small look-ups over frames ----------------------------------------------------------


CELL_COLUMNS = ["event_id", "date", "precision", "a", "b", "domain", "action", "evidence"]


def cell_events(events_frame: pd.DataFrame, matrix: pd.DataFrame, row: str, col: str) -> pd.DataFrame:
    """The events behind one matrix cell, oldest first."""
    cells = matrix[(matrix["row_party"] == row) & (matrix["col_party"] == col)]
    ids = {e for ids in cells["event_ids"] for e in ids}
    chosen = events_frame[events_frame["event_id"].isin(ids)].sort_values(["when", "event_id"])
    return chosen[CELL_COLUMNS].reset_index(drop=True)


def event_by_id(events_frame: pd.DataFrame, event_id: str | None) -> dict | None:
    rows = events_frame[events_frame["event_id"] == event_id]
    return None if rows.empty else rows.iloc[0].to_dict()


def as_of_range(events_frame: pd.DataFrame, bounds: tuple[date, date] | None) -> tuple[date, date] | None:
    """The days the matrix can be shown as of: from the first dated event to the corpus's last day."""
    dated = [w for w in events_frame["when"] if w]
    if not dated:
        return None
    return min(dated), max([*dated, *(bounds[1:] if bounds else ())])


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
