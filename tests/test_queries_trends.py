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


def g2(a: float, b: float, c: float, d: float) -> float:
    """log_likelihoods of one term, used a times in c tokens and b times in d."""
    return float(trend_queries.log_likelihoods(pd.Series([a]), pd.Series([b]), c, d)[0])


def textbook_g2(a: float, b: float, c: float, d: float) -> float:
    """G² as Rayson and Garside write it, term by term: 2 Σ O ln(O / E)."""
    if c <= 0 or d <= 0 or a + b <= 0:
        return 0.0
    expected_a, expected_b = c * (a + b) / (c + d), d * (a + b) / (c + d)
    return 2 * sum(o * math.log(o / e) for o, e in ((a, expected_a), (b, expected_b)) if o > 0)


def test_a_rise_needs_articles_in_both_periods_and_a_keyness_test():
    assert g2(30, 10, 10_000, 10_000) == pytest.approx(10.46, abs=0.01)
    assert g2(3, 3, 10_000, 10_000) == 0.0  # the same rate in both: no rise
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


# ---- shares of the period's articles, compared queries, the concordance -----------------------------------------

JANUARY, FEBRUARY = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")


def test_a_term_s_share_is_of_the_matching_and_of_all_the_period_s_articles(scripts):
    # 微信 is in one of January's two articles and one of February's three: 京东 is in each of them
    trends = trend_queries.keyword_trends(scripts, CorpusFilter(text="微信"), terms=["京东"], bucket="month")
    jan, feb = trends.set_index("bucket").loc[[JANUARY, FEBRUARY]].to_dict("records")
    assert (jan["docs"], jan["articles"], jan["all_articles"]) == (1, 1, 2)
    assert (jan["share"], jan["share_all"]) == (1.0, 0.5)
    assert (feb["docs"], feb["articles"], feb["all_articles"], feb["share_all"]) == (1, 1, 3, pytest.approx(1 / 3))
    unfiltered = trend_queries.keyword_trends(scripts, filters.NO_FILTER, terms=["京东"], bucket="month")
    assert (unfiltered["share"] == unfiltered["share_all"]).all()  # no filter: the matching articles are all


def test_compared_queries_count_the_articles_each_matches_as_a_share_of_the_period(scripts, lexicon):
    queries = {
        "京東": CorpusFilter(text="京東"),  # typed in traditional script, found in both
        "@阿里巴巴": CorpusFilter(entities=tuple(lexicon.members_of("阿里巴巴"))),
        '"流量" NOT 微信': CorpusFilter(text='"流量" NOT 微信'),
        "不存在的词": CorpusFilter(text="不存在的词"),
    }
    frame = trend_queries.compared_queries(scripts, filters.NO_FILTER, queries=queries, bucket="month")
    docs = frame.set_index(["query", "bucket"])["docs"].to_dict()
    assert list(dict.fromkeys(frame["query"])) == list(queries)
    assert (docs[("京東", JANUARY)], docs[("京東", FEBRUARY)]) == (1, 2)
    assert (docs[("@阿里巴巴", JANUARY)], docs[("@阿里巴巴", FEBRUARY)]) == (1, 2)  # 支付宝/淘宝, 支付寶 and 支付宝
    assert (docs[('"流量" NOT 微信', JANUARY)], docs[('"流量" NOT 微信', FEBRUARY)]) == (0, 1)
    assert frame.loc[frame["query"] == "不存在的词", "docs"].tolist() == [0, 0]  # a line of zeros, not none
    feb = frame[(frame["query"] == "京東") & (frame["bucket"] == FEBRUARY)].iloc[0]
    assert (feb["articles"], feb["all_articles"], feb["share"]) == (3, 3, pytest.approx(2 / 3))


def test_compared_queries_stay_within_the_page_s_filters(scripts):
    # 支付 keeps both January articles and two of February's three (支付寶 in traditional script counts)
    frame = trend_queries.compared_queries(
        scripts, CorpusFilter(text="支付"), queries={"京东": CorpusFilter(text="京东")}, bucket="month"
    ).set_index("bucket")
    assert frame.loc[FEBRUARY, ["docs", "articles", "all_articles"]].tolist() == [1, 2, 3]
    assert frame.loc[FEBRUARY, "share"] == 0.5 and frame.loc[FEBRUARY, "share_all"] == pytest.approx(1 / 3)


def test_no_compared_query_is_an_empty_frame(scripts):
    assert trend_queries.compared_queries(scripts, filters.NO_FILTER, queries={}, bucket="month").empty


def test_concordance_lists_every_occurrence_in_both_scripts_showing_the_original(scripts):
    found = trend_queries.term_occurrences(scripts, filters.NO_FILTER, term="流量")
    assert found == {"occurrences": 5, "sentences": 4, "articles": 2}
    lines = trend_queries.term_concordance(scripts, filters.NO_FILTER, term="流量", page_size=50)
    assert lines["occurrence"].tolist() == [1, 2, 3, 4, 5]
    assert set(lines["keyword"]) == {"流量"}
    traditional = lines[lines["title"] == "京東尋找新的流量"]
    assert traditional["left"].tolist() == ["", "流量入口關閉以後，京東開始尋找新的", "支付寶也在開放"]
    assert traditional["right"].iloc[0] == "入口關閉以後，京東開始尋找新的流量。"


def test_a_traditional_term_finds_simplified_articles_and_shows_each_as_written(scripts):
    lines = trend_queries.term_concordance(scripts, filters.NO_FILTER, term="京東", page_size=50)
    assert trend_queries.term_occurrences(scripts, filters.NO_FILTER, term="京東")["occurrences"] == len(lines) == 5
    assert {"京東", "京东"} == set(lines["keyword"])
    assert lines["title"].iloc[-1] == "京东物流宣布开放"  # the undated article comes last


def test_concordance_pages_follow_on_without_gaps_or_repeats(scripts):
    every = trend_queries.term_concordance(scripts, filters.NO_FILTER, term="流量", page_size=50)
    pages = [
        trend_queries.term_concordance(scripts, filters.NO_FILTER, term="流量", page=n, page_size=2) for n in (1, 2, 3)
    ]
    assert [len(p) for p in pages] == [2, 2, 1]
    pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), every)
    assert trend_queries.term_concordance(scripts, filters.NO_FILTER, term="流量", page=4, page_size=2).empty


def test_concordance_ignores_the_case_of_latin_letters_and_can_keep_to_one_period(scripts):
    lines = trend_queries.term_concordance(scripts, filters.NO_FILTER, term="ALIPAY")
    assert lines["keyword"].tolist() == ["Alipay", "alipay"]
    january = {"bucket": "month", "bucket_start": date(2025, 1, 1)}
    assert trend_queries.term_occurrences(scripts, filters.NO_FILTER, term="京东", **january)["occurrences"] == 2
    assert trend_queries.term_occurrences(scripts, CorpusFilter(sources=("测试日报",)), term="京东")["articles"] == 1
    assert trend_queries.term_occurrences(scripts, filters.NO_FILTER, term="  ") == {
        "occurrences": 0,
        "sentences": 0,
        "articles": 0,
    }


@pytest.mark.parametrize("name", FILTERS)
def test_the_period_s_articles_beside_each_filter_agree_with_the_raw_documents(con, name):
    filt = FILTERS[name]
    trends = trend_queries.keyword_trends(con, filt, terms=["支付"], bucket="month")
    where, params = raw_where(CorpusFilter(date_from=filt.date_from, date_to=filt.date_to))
    raw = con.execute(
        f"""SELECT date_trunc('month', timezone('Asia/Shanghai', d.published_at)) AS bucket, count(*) AS n
            FROM documents d WHERE d.published_at IS NOT NULL AND {where} GROUP BY 1""",
        params,
    ).df()
    every = dict(zip(raw["bucket"], raw["n"], strict=True))
    assert dict(zip(trends["bucket"], trends["all_articles"], strict=True)) == {b: every[b] for b in trends["bucket"]}
    assert (trends["articles"] <= trends["all_articles"]).all()


def test_the_keyness_of_every_term_at_once_is_each_term_s_g2_written_out():
    recent, earlier = pd.Series([30, 3, 0, 5, 0]), pd.Series([10, 3, 4, 0, 0])
    together = trend_queries.log_likelihoods(recent, earlier, 10_000, 12_000)
    one_by_one = [textbook_g2(a, b, 10_000, 12_000) for a, b in zip(recent, earlier, strict=True)]
    assert together.tolist() == pytest.approx(one_by_one)
    assert trend_queries.log_likelihoods(recent, earlier, 0, 12_000).tolist() == [0.0] * 5
