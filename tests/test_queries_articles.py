"""Tests for hutong.queries.articles: the reader's articles and their annotations."""

from __future__ import annotations

import pandas as pd

from hutong.queries import articles as article_queries
from hutong.queries import filters
from hutong.queries.filters import CorpusFilter


def test_articles_are_in_china_time_newest_first(seed):
    table = article_queries.articles(seed, filters.NO_FILTER)
    assert table["published_at"].iloc[0] == pd.Timestamp("2025-09-28 20:12")


def test_annotations_are_spans_of_the_original_text(seed):
    doc_id = article_queries.articles(seed, CorpusFilter(text="微信"))["doc_id"].iloc[0]
    text = article_queries.article(seed, doc_id)["text"]
    spans = article_queries.article_annotations(seed, doc_id)
    entity = spans[spans["kind"] == "entity"].iloc[0]
    assert len(text[entity["start"] : entity["end"]]) == len(entity["detail"])
    time_span = spans[(spans["kind"] == "time") & (spans["label"] == "2025-09-30")].iloc[0]
    assert text[time_span["start"] : time_span["end"]] in {"9月30日", "當日"}


def test_unknown_article_is_none(seed):
    assert article_queries.article(seed, "no-such-doc") is None


def test_the_reader_lists_the_newest_articles_and_counts_them_all(tiny):
    every = article_queries.articles(tiny, filters.NO_FILTER)
    newest = article_queries.articles(tiny, filters.NO_FILTER, limit=2)
    pd.testing.assert_frame_equal(newest, every.head(2))
    assert article_queries.article_count(tiny, filters.NO_FILTER) == len(every) == 4
    assert article_queries.article_count(tiny, CorpusFilter(text="不存在的词")) == 0
