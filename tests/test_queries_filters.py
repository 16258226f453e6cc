"""Tests for hutong.queries.filters: the page's filters pick the right articles, each article found once."""

from __future__ import annotations

from datetime import date

import pytest

from hutong.queries import articles as article_queries
from hutong.queries import filters
from hutong.queries import trends as trend_queries
from hutong.queries.filters import CorpusFilter
from query_helpers import raw_where


def test_search_in_either_script_finds_the_traditional_article(seed):
    simplified = article_queries.articles(seed, CorpusFilter(text="开放共生"))
    traditional = article_queries.articles(seed, CorpusFilter(text="開放共生"))
    assert len(simplified) == len(traditional) == 1
    assert (
        article_queries.articles(seed, CorpusFilter(text="京東"))["doc_id"].nunique() == 2
    )  # 京東 is 京东 in the other one


def test_search_treats_like_wildcards_literally(seed):
    assert len(article_queries.articles(seed, CorpusFilter(text="130%"))) == 1
    assert article_queries.articles(seed, CorpusFilter(text="1_0%")).empty


def test_source_and_date_filters_select_articles(seed):
    assert len(article_queries.articles(seed, CorpusFilter(sources=("电商报 (dsb.cn)",)))) == 1
    assert len(article_queries.articles(seed, CorpusFilter(date_to=date(2025, 6, 1)))) == 1
    assert article_queries.articles(seed, CorpusFilter(date_from=date(2026, 1, 1))).empty


def test_entity_filter_keeps_articles_mentioning_any_member(seed, lexicon):
    members = tuple(lexicon.members_of("阿里巴巴"))
    assert {"淘宝", "天猫", "支付宝", "菜鸟"} <= set(members)
    assert len(article_queries.articles(seed, CorpusFilter(entities=members))) == 2
    assert len(article_queries.articles(seed, CorpusFilter(entities=("支付宝",)))) == 1


@pytest.mark.parametrize(
    "text",
    ["开放共生", "開放共生", "京東", "130%", "1_0%", "latepost", "LatePost", "APP", "dsb.cn", "2025年", "不存在的词"],
)
def test_free_text_search_agrees_with_a_case_blind_scan_of_titles_texts_and_sentences(con, text):
    where, params = raw_where(CorpusFilter(text=text))
    expected = con.execute(f"SELECT doc_id FROM documents d WHERE {where}", params).df()["doc_id"]
    assert set(article_queries.articles(con, CorpusFilter(text=text))["doc_id"]) == set(expected)


def test_the_articles_a_filter_picks_are_found_once_per_connection(seed_store):
    con = filters.connect(seed_store)
    try:

        def kept() -> list[str]:
            return (
                con.execute("SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'picked_')")
                .df()["table_name"]
                .tolist()
            )

        filt = CorpusFilter(text="京東")
        first = article_queries.articles(con, filt)
        trend_queries.keyword_trends(con, filt, terms=["京东"], bucket="month")
        assert len(kept()) == 1 and article_queries.articles(con, filt).equals(first)
        for n in range(filters._KEPT_PICKS + 5):
            article_queries.article_count(con, CorpusFilter(text=f"词{n}"))
        assert len(kept()) == filters._KEPT_PICKS
        assert article_queries.articles(con, filt).equals(first)  # made again once dropped
    finally:
        con.close()


def test_the_text_filter_reads_and_or_not_and_quoted_phrases():
    assert filters.text_query("京东 OR 淘宝 NOT 支付宝") == [[(False, "京东")], [(False, "淘宝"), (True, "支付宝")]]
    assert filters.text_query('"微信 支付" -关闭 AND 流量') == [[(False, "微信 支付"), (True, "关闭"), (False, "流量")]]
    assert filters.text_query("“互联 互通”") == [[(False, "互联 互通")]]
    assert filters.text_query("OR NOT") == [] and filters.text_query("京东") == [[(False, "京东")]]


def test_boolean_text_search_keeps_the_right_articles_in_either_script(tiny, seed):
    def titles(con, text: str) -> set[str]:
        return set(article_queries.articles(con, CorpusFilter(text=text))["title"])

    assert titles(tiny, "淘宝 OR 菜鸟") == {"淘宝接入微信支付", "京东物流与菜鸟合作"}
    assert titles(tiny, "流量 NOT 京东") == set()
    assert titles(tiny, "流量 -菜鸟") == {"微信关闭京东入口"}
    assert titles(tiny, '"正式接入微信支付"') == {"淘宝接入微信支付"}
    assert titles(tiny, "OR") == titles(tiny, "")  # an operator alone filters nothing
    # a traditional-script word finds the simplified article too, and AND needs both words
    assert len(titles(seed, "京東 AND 淘宝")) == 1 and len(titles(seed, "京東 OR 淘寶")) == 2
