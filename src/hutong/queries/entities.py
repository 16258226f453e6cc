"""Entity mentions: the most mentioned entities, their mentions over time and who is named with whom."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import duckdb
import pandas as pd

from hutong.queries.filters import (
    CorpusFilter,
    bucket_sql,
    bucket_totals_of_all,
    day_where,
    kept_answer,
    kept_sums,
    per_article_rows,
    picks_articles,
    query_frame,
)


def entity_counts(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, groups: Mapping[str, str], top_n: int = 20
) -> pd.DataFrame:
    """The most mentioned entities in the filtered articles, with their group."""
    rows, params = kept_sums(
        con,
        filt,
        by_day="entity_days",
        by_article="doc_entities",
        keys=["entity"],
        sums={"mentions": "sign * mentions", "articles": "sign"},
    )
    frame = query_frame(
        con,
        f"""SELECT entity, sum(mentions)::BIGINT AS mentions, sum(articles)::BIGINT AS articles FROM ({rows})
            GROUP BY entity HAVING sum(articles) > 0 ORDER BY mentions DESC, entity LIMIT ?""",
        [*params, top_n],
    )
    frame["group"] = [groups.get(e, e) for e in frame["entity"]]
    return frame[["entity", "group", "mentions", "articles"]]


def entity_mentions_over_time(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, series: Mapping[str, Iterable[str]], bucket: str
) -> pd.DataFrame:
    """Mentions per series and bucket, raw and per 10,000 tokens, with the articles naming the series
    (`docs`) of all the bucket's `articles`, what each point rests on; a series counts every entity listed
    under it (阿里巴巴 → 淘宝, 天猫 …). Buckets where a series is not mentioned have zero. As for terms (see
    trends.keyword_trends), `share` is docs over the bucket's articles the filters keep and `share_all` docs
    over all its articles of the date range (`all_articles`)."""
    pairs = [(label, member) for label, members in series.items() for member in dict.fromkeys(members)]
    columns = [
        "entity",
        "bucket",
        "mentions",
        "docs",
        "tokens",
        "articles",
        "all_articles",
        "per10k",
        "share",
        "share_all",
    ]
    if not pairs:
        return pd.DataFrame(columns=columns)
    totals, totals_params = bucket_totals_of_all(con, filt, bucket)
    by_entity, by_group = _series_by_day(con, filt, series)
    per_doc_pairs = [(label, member) for label, member in pairs if label not in by_entity | by_group]
    rows, params = per_article_rows(con, filt, "doc_entities")
    entity_days, day_params = day_where(filt, day="e.day")
    group_days, _ = day_where(filt, day="g.day")
    frame = query_frame(
        con,
        f"""WITH totals AS ({totals}),
              labels AS (SELECT DISTINCT unnest(?) AS label),
              per_doc AS (SELECT w.label, {bucket_sql(bucket, "e.day")} AS bucket, e.doc_id, e.sign,
                                 sum(e.mentions) AS mentions
                          FROM ({rows}) e JOIN (SELECT unnest(?) AS label, unnest(?) AS member) w ON w.member = e.entity
                          WHERE e.day IS NOT NULL AND list_contains(?, e.entity) GROUP BY ALL),
              uses AS (SELECT label, bucket, sum(sign * mentions) AS mentions, sum(sign) AS docs
                       FROM per_doc GROUP BY ALL
                       UNION ALL
                       SELECT e.entity, {bucket_sql(bucket, "e.day")} AS bucket, sum(e.mentions), sum(e.articles)
                       FROM entity_days e WHERE e.day IS NOT NULL AND {entity_days} AND list_contains(?, e.entity) GROUP BY ALL
                       UNION ALL
                       SELECT g.entity_group, {bucket_sql(bucket, "g.day")} AS bucket, sum(g.mentions), sum(g.articles)
                       FROM group_days g WHERE g.day IS NOT NULL AND {group_days}
                         AND list_contains(?, g.entity_group) GROUP BY ALL)
            SELECT labels.label AS entity, totals.bucket, coalesce(uses.mentions, 0) AS mentions,
                   coalesce(uses.docs, 0) AS docs, totals.tokens, totals.articles, totals.all_articles
            FROM labels CROSS JOIN totals LEFT JOIN uses ON uses.label = labels.label AND uses.bucket = totals.bucket
            ORDER BY totals.bucket""",
        [
            *totals_params,
            list(series),
            *params,
            [p[0] for p in per_doc_pairs],
            [p[1] for p in per_doc_pairs],
            [p[1] for p in per_doc_pairs],
            *day_params,
            sorted(by_entity),
            *day_params,
            sorted(by_group),
        ],
    )
    frame = frame.astype(
        {"mentions": "int64", "docs": "int64", "tokens": "int64", "articles": "int64", "all_articles": "int64"}
    )
    frame["per10k"] = frame["mentions"] / frame["tokens"].clip(lower=1) * 10_000
    frame["share"] = frame["docs"] / frame["articles"].clip(lower=1)
    frame["share_all"] = frame["docs"] / frame["all_articles"].clip(lower=1)
    order = {label: i for i, label in enumerate(series)}
    frame = frame.sort_values(["entity", "bucket"], key=lambda s: s.map(order) if s.name == "entity" else s)
    return frame[columns].reset_index(drop=True)


def _series_by_day(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, series: Mapping[str, Iterable[str]]
) -> tuple[set[str], set[str]]:
    """The series that the per-day sums answer, when no filter picks articles: (those of one entity, named by
    it: entity_days; those that are a group's members as the store has them, named by the group: group_days,
    whose articles name any of them once). Any other series counts its articles' rows (doc_entities)."""
    if picks_articles(filt):
        return set(), set()
    stored = query_frame(con, f"SELECT entity, entity_group FROM {_entity_groups(con)}")
    group_of = dict(zip(stored["entity"], stored["entity_group"], strict=True))
    by_entity, by_group = set(), set()
    for label, members in series.items():
        members = set(members)
        if members == {label}:
            by_entity.add(label)
        elif {m for m in members if m in group_of} == {e for e, g in group_of.items() if g == label}:
            by_group.add(label)
    return by_entity, by_group


def _entity_groups(con: duckdb.DuckDBPyConnection) -> str:
    """The name of a table of the entities the store names, with the group the build gave each."""
    return kept_answer(con, "entity_groups", "", "SELECT DISTINCT entity, entity_group FROM entity_days", [])


def entity_cooccurrence(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, groups: Mapping[str, str], top_n: int = 20
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) of the entities named in the same sentence: nodes are the top_n most mentioned
    entities that share a sentence with another; edges count the sentences two of them share."""
    rows, params = kept_sums(
        con, filt, by_day="pair_days", by_article="doc_pairs", keys=["a", "b"], sums={"sentences": "sign * sentences"}
    )
    edges = query_frame(
        con,
        f"""SELECT a, b, sum(sentences)::BIGINT AS sentences FROM ({rows})
            GROUP BY ALL HAVING sum(sentences) > 0 ORDER BY sentences DESC, a, b""",
        params,
    )
    counts = entity_counts(con, filt, groups=groups, top_n=10_000)
    linked = set(edges["a"]) | set(edges["b"])
    nodes = counts[counts["entity"].isin(linked)].head(top_n).reset_index(drop=True)
    keep = set(nodes["entity"])
    edges = edges[edges["a"].isin(keep) & edges["b"].isin(keep)].reset_index(drop=True)
    return nodes, edges


def mention_series(
    chosen: Iterable[str], counts: pd.DataFrame, *, members_of: Callable[[str], list[str]], top: int = 5
) -> dict[str, list[str]]:
    """The lines of the mentions-over-time chart: the chosen entities (a group counting its members),
    else the most mentioned ones."""
    names = list(chosen) or counts["entity"].head(top).tolist()
    return {name: members_of(name) or [name] for name in names}
