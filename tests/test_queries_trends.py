"""Tests for hutong.queries.trends: keyword trends, rising terms and the sentences behind a point."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from hutong.queries import filters
from hutong.queries import trends as trend_queries
from hutong.queries.filters import CorpusFilter
from query_helpers import FILTERS, raw_where


def test_keyword_trend_is_normalised_per_10k_tokens_with_raw_counts(seed):
    trends = trend_queries.keyword_trends(seed, filters.NO_FILTER, terms=["流量"], bucket="month")
    assert trends["bucket"].dt.strftime("%Y-%m").tolist() == ["2025-03", "2025-09"]
    september = trends.iloc[1]
    assert september["count"] > 0
    assert september["per10k"] == pytest.approx(september["count"] / september["tokens"] * 10_000)
    assert september["share"] == 1.0
    assert trends.iloc[0]["count"] == 0  # a bucket without the term is a zero, not a gap


def test_rising_terms_come_from_the_latest_bucket(tiny):
    rising = trend_queries.rising_terms(tiny, filters.NO_FILTER, bucket="month", top_n=3, min_count=2)
    assert rising[0] == "流量"  # three times in March, never before


def test_rising_terms_degrade_to_the_most_frequent_with_one_bucket(seed):
    only_september = CorpusFilter(date_from=date(2025, 9, 1))
    rising = trend_queries.rising_terms(seed, only_september, bucket="month", top_n=5)
    assert len(rising) == 5
    assert "流量" in rising


def test_rising_terms_of_an_empty_selection_is_empty(seed):
    assert trend_queries.rising_terms(seed, CorpusFilter(text="不存在的词语"), bucket="month") == []


def test_term_in_context_lists_the_sentences_behind_a_point(seed):
    rows = trend_queries.term_in_context(
        seed, filters.NO_FILTER, term="流量", bucket="month", bucket_start=date(2025, 9, 1)
    )
    assert len(rows) > 3
    assert all("流量" in text for text in rows["text"])
    assert set(rows["title"]) == {"網經社陳虎東:京東與微信合作變化 互聯網巨頭走向開放共生合作模式"}
    assert rows["original"].str.contains("流量").any()  # shown in the article's own (traditional) script


def raw_term_uses(con, filt: CorpusFilter, bucket: str) -> pd.DataFrame:
    where, params = raw_where(filt)
    return con.execute(
        f"""SELECT t.term, date_trunc('{bucket}', timezone('Asia/Shanghai', d.published_at)) AS bucket,
                   sum(t.count) AS count, count(DISTINCT t.doc_id) AS docs
            FROM terms t JOIN documents d USING (doc_id) WHERE d.published_at IS NOT NULL AND {where} GROUP BY ALL""",
        params,
    ).df()


def raw_rising_terms(con, filt: CorpusFilter, bucket: str, top_n: int = 8, min_count: int = 2) -> list[str]:
    """rising_terms as it was computed before the aggregates, over every term row of the kept articles."""
    where, params = raw_where(filt)
    tokens = con.execute(
        f"""SELECT date_trunc('{bucket}', timezone('Asia/Shanghai', d.published_at)) AS bucket, sum(d.tokens) AS tokens
            FROM documents d WHERE d.published_at IS NOT NULL AND {where} GROUP BY 1""",
        params,
    ).df()
    uses = raw_term_uses(con, filt, bucket)
    uses = uses[uses["term"].isin((totals := uses.groupby("term")["count"].sum())[totals >= min_count].index)]
    if uses.empty:
        return []
    uses = uses.merge(tokens, on="bucket")
    uses["per10k"] = uses["count"] / uses["tokens"].clip(lower=1) * 10_000
    wide = uses.pivot_table(index="term", columns="bucket", values="per10k", fill_value=0.0)
    wide = wide.reindex(columns=sorted(tokens["bucket"]), fill_value=0.0)
    earlier = wide.iloc[:, :-1].mean(axis=1) if wide.shape[1] > 1 else 0.0
    ranked = (
        pd.DataFrame(
            {
                "rise": wide.iloc[:, -1] - earlier,
                "overall": wide.mean(axis=1),
                "total": uses.groupby("term")["count"].sum(),
            }
        )
        .rename_axis("term")
        .reset_index()
    )
    rising = ranked[ranked["rise"] > 1e-9].sort_values(["rise", "total", "term"], ascending=[False, False, True])
    chosen = rising["term"].head(top_n).tolist()
    rest = ranked[~ranked["term"].isin(chosen)].sort_values(["overall", "term"], ascending=[False, True])
    return chosen + rest["term"].head(top_n - len(chosen)).tolist()


@pytest.mark.parametrize("name", FILTERS)
def test_keyword_trends_agree_with_the_raw_terms(con, name):
    raw = raw_term_uses(con, FILTERS[name], "month")
    terms = raw.groupby("term")["count"].sum().sort_values(ascending=False).index[:25].tolist() + ["不存在的词"]
    trends = trend_queries.keyword_trends(con, FILTERS[name], terms=terms, bucket="month")
    used = trends[trends["count"] > 0].set_index(["term", "bucket"])[["count", "docs"]].sort_index()
    expected = raw[raw["term"].isin(terms)].set_index(["term", "bucket"])[["count", "docs"]].sort_index()
    pd.testing.assert_frame_equal(used, expected, check_dtype=False, check_index_type=False)


@pytest.mark.parametrize("name", FILTERS)
def test_rising_terms_and_the_term_picker_agree_with_the_raw_terms(con, name):
    filt = FILTERS[name]
    assert trend_queries.rising_terms(con, filt, bucket="month") == raw_rising_terms(con, filt, "month")
    where, params = raw_where(filt)
    frequent = con.execute(
        f"""SELECT t.term, sum(t.count) AS n FROM terms t JOIN documents d USING (doc_id)
                               WHERE {where} GROUP BY 1 ORDER BY n DESC, t.term LIMIT 40""",
        params,
    ).df()
    assert trend_queries.frequent_terms(con, filt, limit=40) == frequent["term"].tolist()


@pytest.mark.parametrize(
    ("bucket", "first", "last"),
    [
        ("day", date(2025, 3, 1), date(2025, 3, 1)),
        ("week", date(2025, 3, 3), date(2025, 3, 9)),
        ("month", date(2024, 2, 1), date(2024, 2, 29)),
        ("quarter", date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_a_bucket_ends_on_its_last_day(bucket, first, last):
    assert trend_queries.bucket_end(bucket, first) == last
