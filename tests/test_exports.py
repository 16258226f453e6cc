"""Tests for hutong.exports: CSV and JSON downloads."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd

from hutong import exports
from hutong.queries import articles as article_queries
from hutong.queries import filters
from hutong.queries import timeline as timeline_queries


def test_events_export_as_json_with_their_reports(seed):
    events = timeline_queries.events(seed, filters.NO_FILTER)
    records = json.loads(exports.json_bytes(exports.events_with_reports(seed, filters.NO_FILTER)))
    assert len(records) == len(events)
    assert all(len(r["report_list"]) == r["reports"] for r in records)


def test_csv_export_opens_as_utf8_in_spreadsheets():
    data = exports.csv_bytes(pd.DataFrame({"a": ["京东"]}))
    assert data.startswith("\ufeff".encode()) and "京东" in data.decode("utf-8-sig")


def test_every_exported_event_cites_each_report_s_title_source_time_and_url(seed):
    table = exports.events_with_citations(seed, filters.NO_FILTER)
    assert len(table) == len(timeline_queries.events(seed, filters.NO_FILTER))
    assert all(len(c.split("\n")) == n for c, n in zip(table["citations"], table["reports"]))
    first = table.iloc[0]["citations"].split("\n")[0]
    assert "+08:00" in first and " · https://" in first
    assert {"rule", "confidence"} <= set(table.columns)
    records = exports.events_with_reports(seed, filters.NO_FILTER)
    report = records[0]["report_list"][0]
    assert {"title", "source", "url", "published_at", "rule", "confidence"} <= set(report)


def test_every_matching_article_is_exported_with_its_citation_in_both_scripts(scripts):
    table = exports.matching_articles(scripts, filters.NO_FILTER)
    assert len(table) == article_queries.article_count(scripts, filters.NO_FILTER) == 6  # the undated one too
    rows = table.set_index("title")
    assert rows.loc["京東尋找新的流量", "title_simplified"] == "京东寻找新的流量"
    assert rows.loc["抖音电商接入支付宝", "title_simplified"] == "抖音电商接入支付宝"
    assert rows.loc["抖音电商接入支付宝", "published_at"] == "2025-02-25T16:45:00+08:00"
    assert rows.loc["京東尋找新的流量", "published_at"] == "2025-02-15"  # a day without a time of day
    assert rows.loc["京东物流宣布开放", "published_at"] == ""
    assert rows.loc["微信支付與京東合作", "url"] == "https://example.com/t2" and len(rows["doc_id"].unique()) == 6
    assert table["published_at"].iloc[0].startswith("2025-02-25")  # newest first


def test_the_article_export_keeps_to_the_filters(scripts):
    table = exports.matching_articles(scripts, filters.CorpusFilter(text="流量 OR alipay"))
    assert sorted(table["title"]) == sorted(["流量合作结束", "京東尋找新的流量", "抖音电商接入支付宝"])
    data = exports.csv_bytes(table).decode("utf-8-sig")
    assert data.splitlines()[0] == ",".join(exports.ARTICLE_COLUMNS)


def test_a_title_a_spreadsheet_would_run_as_a_formula_is_exported_as_text():
    frame = pd.DataFrame(
        {"title": ['=HYPERLINK("http://x","点我")', "@京东", "-5", "京东接入微信支付"], "reports": [1, 2, 3, 4]}
    )
    rows = list(csv.DictReader(io.StringIO(exports.csv_bytes(frame).decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://x","点我")', "'@京东", "-5", "京东接入微信支付"]
    assert [r["reports"] for r in rows] == ["1", "2", "3", "4"]
