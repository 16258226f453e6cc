"""Tests for hutong.queries.corpus: the corpus at a glance and the bucket that suits a span."""

from __future__ import annotations

from datetime import date

import pytest

from hutong import charts
from hutong.queries import corpus
from hutong.queries.filters import CorpusFilter


def test_overview_counts_the_seed_corpus(seed):
    overview = corpus.corpus_overview(seed)
    assert overview["articles"] == 2
    assert overview["sources"] == 2
    assert (overview["first"], overview["last"]) == (date(2025, 3, 10), date(2025, 9, 28))
    assert overview["scripts"] == {"simplified": 1, "traditional": 1}
    assert overview["events"] >= 10


def test_overview_counts_undated_articles(tiny):
    assert corpus.corpus_overview(tiny)["undated"] == 1


def test_date_bounds_cover_event_dates_before_publication(seed):
    first, last = corpus.date_bounds(seed)
    assert first <= date(2011, 1, 1)  # 2011: 京东 stops taking 支付宝
    assert last >= date(2025, 9, 30)  # the day 微信 closes the 京东 entry


@pytest.mark.parametrize(
    ("first", "last", "bucket"),
    [
        (date(2025, 1, 1), date(2025, 1, 20), "day"),
        (date(2025, 1, 1), date(2025, 3, 20), "week"),
        (date(2025, 3, 10), date(2025, 9, 28), "month"),
        (date(2015, 1, 1), date(2025, 1, 1), "quarter"),
        (None, None, "month"),
    ],
)
def test_bucket_fits_the_span(first, last, bucket):
    assert corpus.choose_bucket(first, last) == bucket


def test_auto_bucket_fits_the_span_and_a_chosen_one_stays():
    assert corpus.resolve_bucket("auto", date(2025, 3, 10), date(2025, 9, 28)) == "month"
    assert corpus.resolve_bucket("day", date(2025, 3, 10), date(2025, 9, 28)) == "day"


def test_the_attention_baseline_counts_all_and_matching_articles_per_bucket(tiny):
    frame = corpus.attention(tiny, CorpusFilter(text="流量 OR 淘宝"), bucket="month")
    assert frame["all_articles"].tolist() == [1, 1, 1]  # January, February, March; the undated one is not
    assert frame["matching"].tolist() == [1, 0, 1] and frame["share"].tolist() == [1.0, 0.0, 1.0]
    fig = charts.attention_figure(frame, lang="en").to_dict()
    assert [t["name"] for t in fig["data"]] == ["all articles", "matching the filters"]
    assert list(fig["data"][1]["customdata"][0]) == ["2025-01-01", 1, 1]
