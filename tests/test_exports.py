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
