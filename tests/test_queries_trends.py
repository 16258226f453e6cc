"""Tests for hutong.queries.trends: keyword trends, rising terms and the sentences behind a point."""

from __future__ import annotations

import math
import re
from datetime import date

import pandas as pd
import pytest

from hutong.normalise import to_simplified
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
    # three articles, one a month: too few for two periods of ten articles, so the most frequent stand in …
    rising = trend_queries.rising_terms(tiny, filters.NO_FILTER, bucket="month", top_n=3, min_count=2)
    assert rising[0] == "流量" and len(rising) == 3
    # … and with one article a period, 流量 (three times in March, never before) is the key term of March
    keyness = trend_queries.term_keyness(tiny, filters.NO_FILTER, bucket="month", min_articles=1).set_index("term")
    assert keyness.loc["流量", "keyness"] == keyness["keyness"].max() > trend_queries.KEYNESS_P05
    assert (keyness.loc["流量", "recent"], keyness.loc["流量", "earlier"]) == (3, 0)


def test_a_rise_needs_articles_in_both_periods_and_a_keyness_test():
    assert trend_queries.log_likelihood(30, 10, 10_000, 10_000) == pytest.approx(10.46, abs=0.01)
    assert trend_queries.log_likelihood(3, 3, 10_000, 10_000) == 0.0  # the same rate in both: no rise
    weeks = pd.DataFrame({"bucket": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"]), "articles": [9, 6, 5]})
    assert trend_queries.recent_period_start(weeks, min_articles=10) is None  # 5 + 6 recent leaves 9 before
    assert trend_queries.recent_period_start(weeks, min_articles=5) == pd.Timestamp("2025-01-20")


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


def raw_rising_terms(
    con, filt: CorpusFilter, bucket: str, top_n: int = 8, min_count: int = 2, min_articles: int = 10
) -> list[str]:
    """rising_terms computed plainly over every term row of the kept articles: the recent period grown
    bucket by bucket from the latest, G² written out cell by cell."""
    where, params = raw_where(filt)
    totals = con.execute(
        f"""SELECT date_trunc('{bucket}', timezone('Asia/Shanghai', d.published_at)) AS bucket,
                   sum(d.tokens) AS tokens, count(*) AS articles
            FROM documents d WHERE d.published_at IS NOT NULL AND {where} GROUP BY 1 ORDER BY 1""",
        params,
    ).df()
    uses = raw_term_uses(con, filt, bucket)
    if uses.empty:
        return []
    cut = None
    for i in range(len(totals) - 1, 0, -1):
        if totals["articles"][i:].sum() >= min_articles:
            cut = totals["bucket"][i] if totals["articles"][:i].sum() >= min_articles else None
            break
    recent = uses["bucket"] >= cut if cut is not None else uses["bucket"] < uses["bucket"].min()
    c = totals.loc[totals["bucket"] >= cut, "tokens"].sum() if cut is not None else 0
    d = totals["tokens"].sum() - c
    table = pd.DataFrame(
        {
            "total": uses.groupby("term")["count"].sum(),
            "a": uses[recent].groupby("term")["count"].sum(),
            "docs": uses[recent].groupby("term")["docs"].sum(),
        }
    ).fillna(0)
    table["b"] = table["total"] - table["a"]
    table = table[table["total"] >= min_count]

    def g2(a, b):
        if cut is None:
            return 0.0
        cells = [(a, c * (a + b) / (c + d)), (b, d * (a + b) / (c + d))]
        return 2 * sum(o * math.log(o / e) for o, e in cells if o > 0)

    table["g2"] = [g2(a, b) for a, b in zip(table["a"], table["b"])]
    table = table.rename_axis("term").reset_index()
    sources = con.execute("SELECT DISTINCT source, url FROM documents").df()
    furniture = {"https", "http", "www", "com", "cn", "html"}
    for text in [*sources["source"].dropna(), *sources["url"].dropna().str.extract(r"//([^/]+)")[0].dropna()]:
        furniture |= set(
            re.split(r"[^\w]+|(?<=[a-z0-9])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[a-z0-9])", to_simplified(text).lower())
        )
    table = table[~table["term"].str.lower().isin(furniture)]
    rising = table[(table["a"] / max(c, 1) > table["b"] / max(d, 1)) & (table["docs"] >= 2) & (table["g2"] >= 3.84)]
    chosen = rising.sort_values(["g2", "total", "term"], ascending=[False, False, True])["term"].head(top_n).tolist()
    rest = table[~table["term"].isin(chosen)].sort_values(["total", "term"], ascending=[False, True])
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


def test_web_address_parts_and_source_names_are_not_terms(tiny):
    found = trend_queries._not_terms(tiny, ["https", "WWW", "测试日报", "example", "流量", "测试"])
    assert found == {"https", "WWW", "测试日报", "example"}  # 测试 only begins a source's name: still a term
