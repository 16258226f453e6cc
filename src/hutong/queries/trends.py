"""Keyword trends: terms per calendar bucket, the rising ones, and the sentences behind a point."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from hutong.normalise import to_simplified
from hutong.queries.filters import (
    ARTICLE_DAY,
    BUCKETS,
    NO_FILTER,
    CorpusFilter,
    article_selection,
    article_where,
    bucket_sql,
    bucket_totals,
    bucket_totals_of_all,
    day_where,
    kept_answer,
    picked_articles,
    picks_articles,
    query_frame,
)

# per 10,000 tokens; share of the articles matching the filters; share of all the period's articles (a rise
# that is only more articles published leaves both shares flat)
MEASURES = ("per10k", "share", "share_all")


def keyword_trends(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, terms: Iterable[str], bucket: str
) -> pd.DataFrame:
    """Per term and calendar bucket: raw count, articles using it, and the measures (MEASURES).

    per10k = occurrences per 10,000 tokens of the bucket's articles (documents.tokens);
    share = the fraction of the bucket's articles (those the filters keep) that use the term;
    share_all = the fraction of all the bucket's articles (`all_articles`, the date range alone) that
    both match the filters and use it. Buckets without a use of the term are included with zero so
    lines drop to the floor instead of skipping.
    """
    terms = [t for t in dict.fromkeys(terms) if t]
    columns = ["term", "bucket", "count", "docs", "tokens", "articles", "all_articles", "per10k", "share", "share_all"]
    if not terms:
        return pd.DataFrame(columns=columns)
    totals, totals_params = bucket_totals_of_all(con, filt, bucket)
    uses, uses_params = _term_uses(con, filt, bucket=bucket, terms=terms)
    frame = query_frame(
        con,
        f"""WITH totals AS ({totals}), uses AS ({uses}), wanted AS (SELECT unnest(?) AS term)
            SELECT wanted.term, totals.bucket, coalesce(uses.count, 0) AS count, coalesce(uses.docs, 0) AS docs,
                   totals.tokens, totals.articles, totals.all_articles
            FROM wanted CROSS JOIN totals
            LEFT JOIN uses ON uses.term = wanted.term AND uses.bucket = totals.bucket
            ORDER BY wanted.term, totals.bucket""",
        [*totals_params, *uses_params, terms],
    )
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.astype(
        {"count": "int64", "docs": "int64", "tokens": "int64", "articles": "int64", "all_articles": "int64"}
    )
    frame["per10k"] = frame["count"] / frame["tokens"].clip(lower=1) * 10_000
    frame["share"] = frame["docs"] / frame["articles"].clip(lower=1)
    frame["share_all"] = frame["docs"] / frame["all_articles"].clip(lower=1)
    order = {t: i for i, t in enumerate(terms)}
    frame = frame.sort_values(["term", "bucket"], key=lambda s: s.map(order) if s.name == "term" else s)
    return frame[columns].reset_index(drop=True)


# Log-likelihood (G²) of 3.84 is p < 0.05 with one degree of freedom: a rise a corpus this size would show by
# chance one time in twenty or less
KEYNESS_P05 = 3.84
# Parts of web addresses, which reach the terms through URLs written in article text
_URL_PARTS = frozenset({"http", "https", "www", "com", "cn", "net", "org", "html", "htm", "shtml", "php", "aspx"})


def rising_terms(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    bucket: str,
    top_n: int = 8,
    min_count: int = 2,
    min_articles: int = 10,
    min_term_articles: int = 2,
    min_keyness: float = KEYNESS_P05,
) -> list[str]:
    """The terms rising most in the filtered span, by keyness (see term_keyness): used more in the recent
    period than before it, in at least min_term_articles recent articles, with a log-likelihood of at least
    min_keyness, most key first. Web address parts and the corpus's source names are not terms. Where the
    span cannot be split into two periods of min_articles articles each (or too few terms rise), the most
    frequent terms fill in."""
    table = term_keyness(con, filt, bucket=bucket, min_articles=min_articles)
    table = table[table["total"] >= min_count]
    rising = table[
        (table["recent_rate"] > table["earlier_rate"])
        & (table["recent_docs"] >= min_term_articles)
        & (table["keyness"] >= min_keyness)
    ].sort_values(["keyness", "total", "term"], ascending=[False, False, True])
    frequent = table.sort_values(["total", "term"], ascending=[False, True])
    chosen: list[str] = []
    for candidates in (rising["term"], frequent["term"]):
        # page furniture is looked for among the few candidates, not among every term of the corpus
        wanted = [t for t in candidates.head(4 * top_n + len(chosen)) if t not in chosen]
        furniture = _not_terms(con, wanted)
        chosen += [t for t in wanted if t not in furniture][: top_n - len(chosen)]
    return chosen


def term_keyness(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, bucket: str, min_articles: int = 10
) -> pd.DataFrame:
    """Every term of the filtered span with its use in the recent period and before it: the recent period is
    the latest buckets holding at least min_articles articles, the earlier one the rest, which must hold as
    many (else every term's keyness is 0). Columns: term, total, recent/earlier count, docs and rate (per
    10,000 tokens), and keyness, the log-likelihood G² of the term's share of the recent period's tokens
    against its share of the earlier period's (Dunning 1993; Rayson and Garside 2000)."""
    columns = ["term", "total", "recent", "earlier", "recent_docs", "earlier_docs", "recent_rate", "earlier_rate"]
    totals_sql, totals_params = bucket_totals(con, filt, bucket)
    totals = query_frame(con, f"SELECT * FROM ({totals_sql}) ORDER BY bucket", totals_params)
    if totals.empty:
        return pd.DataFrame(columns=[*columns, "keyness"])
    cut = recent_period_start(totals, min_articles=min_articles)
    uses, uses_params = _term_uses(con, filt, bucket=bucket)
    frame = query_frame(
        con,
        f"""SELECT term, sum(count) AS total,
                   coalesce(sum(count) FILTER (WHERE bucket >= ?), 0) AS recent,
                   coalesce(sum(count) FILTER (WHERE bucket < ?), 0) AS earlier,
                   coalesce(sum(docs) FILTER (WHERE bucket >= ?), 0) AS recent_docs,
                   coalesce(sum(docs) FILTER (WHERE bucket < ?), 0) AS earlier_docs
            FROM ({uses}) GROUP BY term""",
        [*[cut or totals["bucket"].min()] * 4, *uses_params],
    )
    recent_tokens = int(totals.loc[totals["bucket"] >= cut, "tokens"].sum()) if cut is not None else 0
    earlier_tokens = int(totals["tokens"].sum()) - recent_tokens
    frame["recent_rate"] = frame["recent"] / max(recent_tokens, 1) * 10_000
    frame["earlier_rate"] = frame["earlier"] / max(earlier_tokens, 1) * 10_000
    no_split = cut is None  # every term's keyness is 0
    frame["keyness"] = (
        0.0 if no_split else log_likelihoods(frame["recent"], frame["earlier"], recent_tokens, earlier_tokens)
    )
    return frame


def recent_period_start(totals: pd.DataFrame, *, min_articles: int):
    """The first bucket of the recent period: the latest buckets that together hold min_articles articles,
    leaving at least as many before them; None when the span cannot be split so."""
    articles = totals.sort_values("bucket")["articles"].tolist()
    buckets = totals.sort_values("bucket")["bucket"].tolist()
    recent = 0
    for i in range(len(buckets) - 1, 0, -1):
        recent += articles[i]
        if recent >= min_articles:
            return buckets[i] if sum(articles[:i]) >= min_articles else None
    return None


def log_likelihoods(a: pd.Series, b: pd.Series, c: float, d: float) -> np.ndarray:
    """G² of each term used a times in c tokens and b times in d tokens (a and b one value per term): 2 Σ O ln(O / E),
    the expected use E of each period its share of the term's total; 0 for a term never used or a period
    without tokens."""
    a, b = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    if c <= 0 or d <= 0:
        return np.zeros(len(a))
    total = a + b
    expected_a, expected_b = c * total / (c + d), d * total / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(a > 0, a * np.log(a / expected_a), 0.0) + np.where(b > 0, b * np.log(b / expected_b), 0.0)
    return np.where(total > 0, 2 * terms, 0.0)


def _not_terms(con: duckdb.DuckDBPyConnection, terms: Iterable[str]) -> set[str]:
    """The terms that are page furniture, not words of the news: parts of web addresses (https, www, the
    hosts' names) and the words of the corpus's source names, split where the script changes (扶摇AI →
    扶摇, ai), in simplified script as the terms are; a word that only begins a source's name (电商 of
    电商报) stays a term."""
    # the names are worked out once per connection (every article's link is read)
    furniture = kept_answer(
        con,
        "source_names",
        "",
        """SELECT DISTINCT lower(source) AS name FROM documents WHERE source IS NOT NULL
           UNION SELECT DISTINCT lower(regexp_extract(url, '^https?://([^/:]+)', 1)) FROM documents
           WHERE url IS NOT NULL""",
        [],
    )
    names = query_frame(con, f"SELECT name FROM {furniture}")["name"].tolist()
    words = set(_URL_PARTS)
    for name in names:
        if isinstance(name, str):
            words.update(_SOURCE_WORD.findall(to_simplified(name)))
    return {t for t in terms if str(t).lower() in words or "://" in str(t)}


_SOURCE_WORD = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")


def frequent_terms(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, limit: int = 300) -> list[str]:
    """Terms to offer in the term picker, the most used first."""
    uses, params = _term_uses(con, filt, bucket=None, dated=False)
    frame = query_frame(
        con, f"SELECT term, sum(count) AS n FROM ({uses}) GROUP BY term ORDER BY n DESC, term LIMIT ?", [*params, limit]
    )
    return frame["term"].tolist()


def compared_queries(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, queries: Mapping[str, CorpusFilter], bucket: str
) -> pd.DataFrame:
    """Several queries side by side over time: per query (by its label) and calendar bucket, the articles
    that the page's filters keep and the query matches (`docs`, by its free text and entities, matched as
    the page's filters match them), of the bucket's kept `articles` and of all its articles of the date
    range (`all_articles`); `share` and `share_all` are docs over each. A query matching nothing is a line
    of zeros, not a missing line."""
    columns = ["query", "bucket", "docs", "articles", "all_articles", "share", "share_all"]
    labels = list(queries)
    if not labels:
        return pd.DataFrame(columns=columns)
    for attempt in range(2):
        # each query's articles are found as the page's filters find theirs, and kept beside them in the
        # connection (see picked_articles): a query's text is read once, whatever the filters around it
        every = f"(SELECT d.doc_id, {ARTICLE_DAY} AS day FROM documents d)"
        picks = [picked_articles(con, q) or every for q in queries.values()]
        totals, totals_params = bucket_totals_of_all(con, filt, bucket)
        matched = " UNION ALL ".join(f"SELECT {i} AS i, doc_id, day FROM {name}" for i, name in enumerate(picks))
        if picks_articles(filt):  # the page's filters pick articles too: the matches among them
            where, params = article_where(con, filt)
            hits = f"""SELECT m.i, {bucket_sql(bucket, "m.day")} AS bucket, count(*) AS docs
                       FROM ({matched}) m JOIN (SELECT d.doc_id FROM documents d WHERE {where}) k USING (doc_id)
                       WHERE m.day IS NOT NULL GROUP BY ALL"""
        else:  # the date range alone: each match's day answers it
            where, params = day_where(filt, day="m.day")
            hits = f"""SELECT m.i, {bucket_sql(bucket, "m.day")} AS bucket, count(*) AS docs FROM ({matched}) m
                       WHERE m.day IS NOT NULL AND {where} GROUP BY ALL"""
        try:
            frame = query_frame(
                con,
                f"""WITH hits AS ({hits}),
                      totals AS ({totals}),
                      wanted AS (SELECT unnest(?) AS query, unnest(range(?)) AS i)
                    SELECT wanted.query, totals.bucket, coalesce(hits.docs, 0) AS docs, totals.articles,
                           totals.all_articles
                    FROM wanted CROSS JOIN totals LEFT JOIN hits ON hits.i = wanted.i AND hits.bucket = totals.bucket
                    ORDER BY wanted.i, totals.bucket""",
                [*params, *totals_params, labels, len(labels)],
            )
            break
        except duckdb.CatalogException:
            if attempt:  # another query's picks pushed one of these out of the connection twice over
                raise
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.astype({"docs": "int64", "articles": "int64", "all_articles": "int64"})
    frame["share"] = frame["docs"] / frame["articles"].clip(lower=1)
    frame["share_all"] = frame["docs"] / frame["all_articles"].clip(lower=1)
    return frame[columns]


CONCORDANCE_COLUMNS = [
    "occurrence",
    "doc_id",
    "sentence_index",
    "left",
    "keyword",
    "right",
    "title",
    "source",
    "url",
    "published_at",
]
# characters of context shown on either side of an occurrence
CONTEXT_CHARS = 40


def term_occurrences(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    term: str,
    bucket: str | None = None,
    bucket_start: date | str | None = None,
) -> dict[str, int]:
    """How often a term occurs in the filtered articles (in one bucket of them, with bucket and bucket_start):
    occurrences, the sentences and the articles holding them. A term is found in the simplified text
    whichever script it is typed or written in, Latin letters in either case."""
    name = _occurrence_table(con, filt, term=term, bucket=bucket, bucket_start=bucket_start)
    if name is None:
        return {"occurrences": 0, "sentences": 0, "articles": 0}
    row = query_frame(
        con,
        f"""SELECT coalesce(sum(n), 0)::BIGINT AS occurrences, count(*) AS sentences,
                   count(DISTINCT doc_id) AS articles FROM {name}""",
    ).iloc[0]
    return {k: int(row[k]) for k in ("occurrences", "sentences", "articles")}


def term_concordance(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    term: str,
    page: int = 1,
    page_size: int = 20,
    bucket: str | None = None,
    bucket_start: date | str | None = None,
) -> pd.DataFrame:
    """Keyword in context: one page of every occurrence of a term in the filtered articles (see
    term_occurrences), oldest article first (undated last), each occurrence its row with its number
    (`occurrence`, from 1), its context left and right and the keyword as the article writes them
    (traditional stays traditional), and its article."""
    name = _occurrence_table(con, filt, term=term, bucket=bucket, bucket_start=bucket_start)
    if name is None:
        return pd.DataFrame(columns=CONCORDANCE_COLUMNS)
    first = (max(page, 1) - 1) * page_size
    keys = query_frame(
        con, f"SELECT * FROM {name} WHERE before < ? AND before + n > ? ORDER BY before", [first + page_size, first]
    )
    if keys.empty:
        return pd.DataFrame(columns=CONCORDANCE_COLUMNS)
    # the page's sentences are read from the days they lie in alone (sentences are stored in day order)
    days = keys["day"].dropna()
    dated = "s.day BETWEEN ? AND ?" if not days.empty else "FALSE"
    rows = query_frame(
        con,
        f"""SELECT k.doc_id, k.sentence_index, k.before, s.text, s.original, d.title, d.source, d.url, d.published_at
            FROM (SELECT unnest(?) AS doc_id, unnest(?) AS sentence_index, unnest(?) AS before) k
            JOIN (SELECT doc_id, sentence_index, text, original FROM sentences s
                  WHERE {dated}{" OR s.day IS NULL" if keys["day"].isna().any() else ""}) s
              USING (doc_id, sentence_index)
            JOIN (SELECT doc_id, title, source, url, published_at FROM documents WHERE list_contains(?, doc_id)) d
              USING (doc_id)
            ORDER BY k.before""",
        [
            keys["doc_id"].tolist(),
            keys["sentence_index"].tolist(),
            keys["before"].tolist(),
            *([days.min(), days.max()] if not days.empty else []),
            sorted(set(keys["doc_id"])),
        ],
    )
    return pd.DataFrame(
        _concordance_lines(rows, needle=_needle(term), first=first, last=first + page_size), columns=CONCORDANCE_COLUMNS
    )


def _concordance_lines(rows: pd.DataFrame, *, needle: str, first: int, last: int) -> list[dict]:
    """The occurrences numbered first to last - 1 (from 0) in the sentences holding them, each with its
    context cut to CONTEXT_CHARS on either side, in the article's own script."""
    lines = []
    for r in rows.itertuples():
        text, original = str(r.text), str(r.original)
        original = original if len(original) == len(text) else text
        for k, (start, end) in enumerate(_spans(text, needle)):
            number = int(r.before) + k
            if not first <= number < last:
                continue
            left, right = original[:start], original[end:]
            lines.append(
                {
                    "occurrence": number + 1,
                    "doc_id": r.doc_id,
                    "sentence_index": r.sentence_index,
                    "left": ("…" + left[-CONTEXT_CHARS:]) if len(left) > CONTEXT_CHARS else left,
                    "keyword": original[start:end],
                    "right": (right[:CONTEXT_CHARS] + "…") if len(right) > CONTEXT_CHARS else right,
                    "title": r.title,
                    "source": r.source,
                    "url": r.url,
                    "published_at": r.published_at,
                }
            )
    return lines


def _needle(term: str) -> str:
    """A term as the concordance looks for it: simplified script, lower case, without outer spaces."""
    return to_simplified(term.strip()).lower()


def _spans(text: str, needle: str) -> list[tuple[int, int]]:
    """(start, end) of each occurrence of needle in text, left to right without overlaps (as SQL's
    replace() counts them), ignoring the case of Latin letters."""
    folded = text.lower()
    if len(folded) != len(text):  # a letter whose lower case is longer: offsets would shift
        folded = text
    spans, start = [], folded.find(needle)
    while needle and start >= 0:
        spans.append((start, start + len(needle)))
        start = folded.find(needle, start + len(needle))
    return spans


# Concordances kept in the connection: paging through one reads every sentence once, not once a page
_KEPT_CONCORDANCES = 4


def _occurrence_table(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    term: str,
    bucket: str | None,
    bucket_start: date | str | None,
) -> str | None:
    """The name of a table of the sentences of the filtered articles holding the term: doc_id,
    sentence_index, day, `n` (the term's occurrences in it) and `before` (its occurrences in the sentences
    before it, in the concordance's order), kept in the connection's in-memory database (one build of one
    store: it cannot go stale) for the last few; None for an empty term."""
    needle = _needle(term)
    if not needle:
        return None
    days, day_params = day_where(filt, day="s.day")
    if bucket is not None and bucket_start is not None:
        first = pd.Timestamp(bucket_start).date()
        days, day_params = f"{days} AND s.day BETWEEN ? AND ?", [*day_params, first, bucket_end(bucket, first)]
    where, params = article_where(con, filt)
    # lower() costs a copy of every sentence: only a needle with Latin letters needs it
    text = "lower(s.text)" if needle != needle.upper() else "s.text"
    sql = f"""SELECT *, sum(n) OVER (ORDER BY published_at NULLS LAST, doc_id, sentence_index
                                     ROWS UNBOUNDED PRECEDING) - n AS before
              FROM (SELECT s.doc_id, s.sentence_index, s.day, d.published_at,
                           (length({text}) - length(replace({text}, ?, ''))) // length(?) AS n
                    FROM (SELECT * FROM sentences s WHERE {days} AND contains({text}, ?)) s
                    JOIN documents d USING (doc_id) WHERE {where})"""
    sql_params = [needle, needle, *day_params, needle, *params]
    key = json.dumps([sql, sql_params], ensure_ascii=False, default=str)
    name = "concordance_" + hashlib.sha256(key.encode()).hexdigest()[:24]
    cursor = con.cursor()
    try:
        kept = cursor.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'concordance_') ORDER BY table_oid"
        ).fetchall()
        if (name,) in kept:
            return name
        try:
            cursor.execute(f"CREATE TABLE {name} AS {sql}", sql_params)
        except (duckdb.CatalogException, duckdb.TransactionException):
            pass  # another thread made it meanwhile
        for (old,) in kept[: max(len(kept) + 1 - _KEPT_CONCORDANCES, 0)]:
            cursor.execute(f"DROP TABLE IF EXISTS {old}")
    finally:
        cursor.close()
    return name


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
