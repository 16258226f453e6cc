"""Tests for hutong.exports: CSV and JSON downloads."""

from __future__ import annotations

import json

import pandas as pd

from hutong import exports
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
