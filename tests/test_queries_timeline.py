"""Tests for hutong.queries.timeline: the filtered events, their reports and the timeline's bars and marks."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from hutong import timeline
from hutong.queries import corpus, filters
from hutong.queries import timeline as timeline_queries
from hutong.queries.filters import CorpusFilter
from hutong.timeline import period_start
from query_helpers import synthetic_events


def event(frame: pd.DataFrame, a: str, b: str, domain: str, action: str) -> pd.Series:
    rows = frame[(frame["a"] == a) & (frame["b"] == b) & (frame["domain"] == domain) & (frame["action"] == action)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_events_filter_by_domain_entity_and_date(seed, lexicon):
    payment = timeline_queries.events(seed, CorpusFilter(domains=("payment",)))
    assert set(payment["domain"]) == {"payment"}
    alipay = timeline_queries.events(seed, CorpusFilter(entities=("支付宝",)))
    assert alipay.apply(lambda e: "支付宝" in (e["a"], e["b"]), axis=1).all()
    recent = timeline_queries.events(seed, CorpusFilter(date_from=date(2025, 1, 1)))
    assert all(w >= date(2025, 1, 1) for w in recent["when"])
    assert (
        timeline_queries.events(seed, CorpusFilter(date_from=date(2030, 1, 1))).columns.tolist()
        == payment.columns.tolist()
    )


def test_events_filter_by_the_articles_reporting_them(seed):
    wechat_article = timeline_queries.events(seed, CorpusFilter(sources=("華盛通 (hstong.com) reprinting 網經社",)))
    assert {frozenset(pair) for pair in zip(wechat_article["a"], wechat_article["b"])} <= {
        frozenset(("京东", "腾讯")),
        frozenset(("京东", "微信")),
    }
    assert len(wechat_article) == 3


def test_timeline_has_the_jd_alipay_payment_bar_from_its_start(seed, groups):
    events = timeline_queries.events(seed, filters.NO_FILTER)
    bars, marks = timeline_queries.partnership_timeline(events, until=corpus.last_article_day(seed), groups=groups)
    row = bars[bars["row"] == ("京东", "支付宝", "payment")].iloc[0]
    assert row["start"] == date(2024, 10, 29)
    assert row["open"] and row["end"] == date(2025, 9, 28)  # still open: to the last article
    kinds = marks[marks["row"] == ("京东", "支付宝", "payment")]["mark"].tolist()
    # 2011, 2024-09 (fulfilled by the start that follows it), 10-29, 2025-01
    assert kinds == ["end_without_start", "planned_fulfilled", "start", "planned"]


def test_timeline_ends_wechat_jd_traffic_on_the_closing_day(seed, groups):
    events = timeline_queries.events(seed, filters.NO_FILTER)
    bars, _ = timeline_queries.partnership_timeline(events, until=corpus.last_article_day(seed), groups=groups)
    row = bars[bars["row"].isin([("微信", "京东", "traffic"), ("京东", "微信", "traffic")])].iloc[0]
    assert row["end"] == date(2025, 9, 30) and not row["open"]
    # the start is the cooperation of 2014 (named 京东和微信, or 腾讯 – 京东 and lent through the group)
    assert row["start"] == date(2014, 1, 1) and row["start_event"]


def test_timeline_puts_milestones_on_their_own_rows(seed, groups):
    _, marks = timeline_queries.partnership_timeline(
        timeline_queries.events(seed, filters.NO_FILTER), until=None, groups=groups
    )
    # two regulatory milestones and one company milestone (京东 launches 京东家政), each with its own mark
    regulatory = marks[marks["mark"] == "milestone_regulatory"]
    company = marks[marks["mark"] == "milestone_company"]
    assert set(regulatory["row"]) == {("工信部", None, "milestone"), ("国家发展改革委", None, "milestone")}
    assert set(company["row"]) == {("京东", None, "milestone")}


def test_timeline_bar_closes_at_the_next_end_and_reopens():
    events = synthetic_events(
        [
            ("e1", "partnership", "支付宝", "京东", "阿里巴巴", "京东", "payment", "start", "2010"),
            ("e2", "partnership", "京东", "支付宝", "京东", "阿里巴巴", "payment", "end", "2011-05"),
            ("e3", "partnership", "京东", "支付宝", "京东", "阿里巴巴", "payment", "start", "2024-10-29"),
        ]
    )
    bars, _ = timeline_queries.partnership_timeline(events, until=date(2025, 1, 1), groups={})
    assert bars["row"].nunique() == 1  # 支付宝 – 京东 and 京东 – 支付宝 are one row, named as first seen
    assert bars["row"].iloc[0] == ("支付宝", "京东", "payment")
    assert list(zip(bars["start"], bars["end"], bars["open"], strict=True)) == [
        (date(2010, 1, 1), date(2011, 5, 1), False),
        (date(2024, 10, 29), date(2025, 1, 1), True),
    ]


def test_event_reports_bring_every_report_with_its_article(seed):
    events = timeline_queries.events(seed, filters.NO_FILTER)
    jd_alipay = event(events, "京东", "支付宝", "payment", "start")
    reports = timeline_queries.event_reports(seed, [jd_alipay["event_id"]])
    assert len(reports) == jd_alipay["reports"]
    first = reports.iloc[0]
    assert (first["doc_id"], first["report_index"]) == (jd_alipay["first_doc_id"], jd_alipay["first_report_index"])
    assert first["title"] == "马云联手刘强东甩出王炸"
    assert first["sentence_original"] == first["evidence"]
    assert len(first["sentence_simplified"]) == len(first["sentence_original"])


def test_one_event_comes_with_its_period(seed):
    event = timeline_queries.event(seed, "e00001")
    assert event["event_id"] == "e00001" and event["when"] == period_start(event["date"])
    assert timeline_queries.event(seed, "e99999") is None and timeline_queries.event(seed, None) is None


def plain_rows(frame: pd.DataFrame) -> list[list]:
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def test_the_timeline_draws_the_most_reported_rows_and_says_how_many_there_are(seed, groups):
    until = corpus.last_article_day(seed)
    everything = timeline_queries.timeline(seed, filters.NO_FILTER, groups=groups, until=until, max_events=10**6)
    bars, marks = timeline_queries.partnership_timeline(
        timeline_queries.events(seed, filters.NO_FILTER), until=until, groups=groups
    )
    assert plain_rows(everything.marks) == plain_rows(marks)
    assert plain_rows(everything.bars) == plain_rows(bars)
    assert everything.rows == everything.total_rows == marks["row"].nunique()
    one = timeline_queries.timeline(seed, filters.NO_FILTER, groups=groups, until=until, max_events=1)
    assert one.rows == 1 and one.total_rows == everything.total_rows
    assert one.total_events == len(marks)
    (row,) = set(one.marks["row"])
    assert plain_rows(one.marks) == plain_rows(marks[marks["row"] == row])
    assert plain_rows(one.bars) == plain_rows(bars[bars["row"] == row])


def test_a_row_drawn_alone_still_inherits_its_start_from_a_row_not_drawn(groups):
    frame = synthetic_events(
        [
            ("e1", "partnership", "腾讯", "京东", "腾讯", "京东", "traffic", "start", "2014"),
            ("e2", "partnership", "微信", "京东", "腾讯", "京东", "traffic", "end", "2025-09-30"),
        ]
    ).assign(reports=[1, 5])
    con = duckdb.connect()
    con.register("frame", frame.drop(columns=["when", "precision"]))
    timeline.hold_events(con, "frame")
    alone = timeline_queries.timeline(con, filters.NO_FILTER, groups=groups, until=date(2025, 10, 1), max_events=1)
    assert (alone.rows, alone.total_rows) == (1, 2)
    (bar,) = alone.bars.to_dict("records")
    # a group and its member are one relationship: the member's end closes the group's bar, in the group's row
    assert bar["row"] == ("腾讯", "京东", "traffic") and bar["start"] == date(2014, 1, 1)
    assert bar["end_event"] == "e2" and not bar["open"]
    assert bar["inherited_from"] == "e1" and "e1" in set(alone.events["event_id"])  # its hover finds the start


def test_the_evidence_card_lists_the_first_reports(seed):
    ids = timeline_queries.events(seed, filters.NO_FILTER)["event_id"].tolist()
    every = timeline_queries.event_reports(seed, ids)
    assert len(every) == timeline_queries.events(seed, filters.NO_FILTER)["reports"].sum()
    first = timeline_queries.event_reports(seed, ids[:1], limit=1)
    assert len(first) == 1 and first.iloc[0].to_dict() == every[every["event_id"] == ids[0]].iloc[0].to_dict()


def test_events_below_the_lowest_confidence_are_hidden(seed):
    every = timeline_queries.events(seed, filters.NO_FILTER)
    assert every["confidence"].min() < 0.9  # the seed has less certain events
    sure = timeline_queries.events(seed, CorpusFilter(min_confidence=0.9))
    assert 0 < len(sure) < len(every) and (sure["confidence"] >= 0.9).all()


def test_a_plan_followed_by_a_start_is_fulfilled_and_a_plan_alone_stays_planned():
    events = synthetic_events(
        [
            ("e1", "partnership", "京东", "快手", "京东", "快手", "payment", "planned", "2024-03"),
            ("e2", "partnership", "京东", "快手", "京东", "快手", "payment", "start", "2024-06-18"),
            ("e3", "partnership", "京东", "快手", "京东", "快手", "payment", "planned", "2025"),
        ]
    )
    _, marks = timeline_queries.partnership_timeline(events, until=date(2025, 6, 1), groups={})
    assert marks.set_index("event_id")["mark"].to_dict() == {"e1": "planned_fulfilled", "e2": "start", "e3": "planned"}


def test_a_member_s_end_closes_its_group_s_partnership_in_one_row(groups):
    events = synthetic_events(
        [
            ("e1", "partnership", "腾讯", "京东", "腾讯", "京东", "traffic", "start", "2014"),
            ("e2", "partnership", "微信", "京东", "腾讯", "京东", "traffic", "end", "2025-09-30"),
        ]
    )
    bars, marks = timeline_queries.partnership_timeline(events, until=date(2025, 10, 1), groups=groups)
    assert bars["row"].nunique() == 1 == marks["row"].nunique()  # not a closed row beside an open one
    (bar,) = bars.to_dict("records")
    assert not bar["open"] and bar["end"] == date(2025, 9, 30) and bar["end_event"] == "e2"
