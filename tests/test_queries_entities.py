"""Tests for hutong.queries.entities: entity counts, mentions over time and co-occurrence."""

from __future__ import annotations

import pandas as pd
import pytest

from hutong.lexicon import load_lexicon
from hutong.queries import entities, filters
from query_helpers import FILTERS, raw_where


def test_entity_counts_rank_entities_with_their_group(seed, groups):
    counts = entities.entity_counts(seed, filters.NO_FILTER, groups=groups)
    assert counts.iloc[0]["entity"] == "京东"
    assert counts.set_index("entity").loc["淘宝", "group"] == "阿里巴巴"
    assert counts["mentions"].is_monotonic_decreasing


def test_mentions_over_time_roll_a_group_up(seed, lexicon):
    series = {"阿里巴巴": lexicon.members_of("阿里巴巴"), "淘宝": ["淘宝"]}
    frame = entities.entity_mentions_over_time(seed, filters.NO_FILTER, series=series, bucket="month").set_index(
        ["entity", "bucket"]
    )
    march = pd.Timestamp("2025-03-01")
    assert frame.loc[("阿里巴巴", march), "mentions"] > frame.loc[("淘宝", march), "mentions"] > 0


def test_cooccurrence_links_entities_of_one_sentence(seed, groups):
    nodes, edges = entities.entity_cooccurrence(seed, filters.NO_FILTER, groups=groups, top_n=10)
    assert len(nodes) == 10
    pairs = {frozenset(p) for p in zip(edges["a"], edges["b"], strict=True)}
    assert frozenset(("京东", "支付宝")) in pairs
    assert (edges["a"] < edges["b"]).all()
    assert set(edges["a"]) | set(edges["b"]) <= set(nodes["entity"])


def test_mention_series_default_to_the_most_mentioned(seed, groups, lexicon):
    counts = entities.entity_counts(seed, filters.NO_FILTER, groups=groups)
    assert list(entities.mention_series([], counts, members_of=lexicon.members_of)) == counts["entity"].head(5).tolist()
    series = entities.mention_series(["阿里巴巴", "不在词表"], counts, members_of=lexicon.members_of)
    assert "淘宝" in series["阿里巴巴"] and series["不在词表"] == ["不在词表"]


@pytest.mark.parametrize("name", FILTERS)
def test_entity_questions_agree_with_the_raw_mentions(con, groups, name):
    filt = FILTERS[name]
    where, params = raw_where(filt)
    counts = con.execute(
        f"""SELECT entity, count(*) AS mentions, count(DISTINCT doc_id) AS articles FROM mentions
                             WHERE doc_id IN (SELECT doc_id FROM documents d WHERE {where})
                             GROUP BY entity ORDER BY mentions DESC, entity""",
        params,
    ).df()
    answer = entities.entity_counts(con, filt, groups=groups, top_n=1000)
    assert answer[["entity", "mentions", "articles"]].values.tolist() == counts.values.tolist()
    edges = con.execute(
        f"""WITH m AS (SELECT DISTINCT doc_id, sentence_index, entity FROM mentions
                                       WHERE doc_id IN (SELECT doc_id FROM documents d WHERE {where}))
                            SELECT x.entity AS a, y.entity AS b, count(*) AS sentences FROM m x JOIN m y
                              ON x.doc_id = y.doc_id AND x.sentence_index = y.sentence_index AND x.entity < y.entity
                            GROUP BY ALL ORDER BY sentences DESC, a, b""",
        params,
    ).df()
    nodes, answer_edges = entities.entity_cooccurrence(con, filt, groups=groups, top_n=1000)
    assert answer_edges.values.tolist() == edges.values.tolist()
    over_time = con.execute(
        f"""SELECT date_trunc('month', timezone('Asia/Shanghai', d.published_at)) AS bucket, count(*) AS mentions
            FROM mentions m JOIN documents d USING (doc_id)
            WHERE d.published_at IS NOT NULL AND {where} AND m.entity IN ('京东', '京东物流') GROUP BY 1""",
        params,
    ).df()
    answer = entities.entity_mentions_over_time(con, filt, series={"京东": ["京东", "京东物流"]}, bucket="month")
    assert dict(zip(answer["bucket"], answer["mentions"])) == {
        **dict.fromkeys(answer["bucket"], 0),
        **dict(zip(over_time["bucket"], over_time["mentions"])),
    }


def test_each_point_of_an_entity_series_says_how_many_articles_name_it(seed):
    frame = entities.entity_mentions_over_time(
        seed, filters.NO_FILTER, series={"阿里巴巴": ["淘宝", "支付宝"]}, bucket="quarter"
    )
    naming = seed.execute(
        "SELECT count(DISTINCT doc_id) FROM doc_entities WHERE entity IN ('淘宝', '支付宝') AND day IS NOT NULL"
    ).fetchone()[0]
    assert frame["docs"].sum() == naming > 0  # an article naming both members counts once
    assert (frame["docs"] <= frame["articles"]).all()


def test_mentions_over_time_as_a_share_of_the_matching_and_of_all_articles(scripts):
    # 京东 is named in one of January's two articles and two of February's three; 支付 keeps two in February
    series = {"京东": ["京东"]}
    every = entities.entity_mentions_over_time(scripts, filters.NO_FILTER, series=series, bucket="month")
    assert every["share"].tolist() == [0.5, pytest.approx(2 / 3)] and every["all_articles"].tolist() == [2, 3]
    kept = entities.entity_mentions_over_time(scripts, filters.CorpusFilter(text="支付"), series=series, bucket="month")
    february = kept.iloc[1]
    assert (february["docs"], february["articles"], february["all_articles"]) == (1, 2, 3)
    assert (february["share"], february["share_all"]) == (0.5, pytest.approx(1 / 3))


@pytest.mark.parametrize("group", ["阿里巴巴", "京东", "腾讯"])
def test_a_whole_group_s_series_read_from_its_daily_sums_counts_each_article_once(seed, group):
    members = load_lexicon().members_of(group)
    by_group = entities.entity_mentions_over_time(seed, filters.NO_FILTER, series={group: members}, bucket="month")
    # the same members under another name are no group of the store: counted from each article's rows
    by_article = entities.entity_mentions_over_time(
        seed, filters.NO_FILTER, series={"members": members}, bucket="month"
    )
    columns = ["bucket", "mentions", "docs", "articles"]
    assert by_group[columns].values.tolist() == by_article[columns].values.tolist()
    assert by_group["docs"].sum() > 0
    assert entities._series_by_day(seed, filters.NO_FILTER, {group: members}) == (set(), {group})  # the sums read
