"""Downloads: frames as CSV a spreadsheet reads, and the filtered events with their reports as JSON."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime

import duckdb
import pandas as pd

from hutong.china_time import CHINA_TIME_ZONE
from hutong.normalise import to_simplified
from hutong.queries.articles import articles
from hutong.queries.filters import CorpusFilter
from hutong.queries.timeline import event_reports, events

ARTICLE_COLUMNS = [
    "doc_id",
    "title",
    "title_simplified",
    "source",
    "url",
    "published_at",
    "script",
    "chars",
    "event_reports",
]


def events_with_reports(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> list[dict]:
    """The filtered events as JSON-ready records, each with the list of its reports (for the JSON export)."""
    events_frame = events(con, filt)
    reports = event_reports(con, events_frame["event_id"].tolist())
    keep = [
        "doc_id",
        "report_index",
        "a",
        "b",
        "domain",
        "action",
        "date",
        "date_resolution",
        "trigger",
        "evidence",
        "a_surface",
        "b_surface",
        "date_text",
        "rule",
        "confidence",
        "title",
        "source",
        "url",
        "published_at",
    ]
    by_event: dict[str, list[dict]] = {}
    for r in reports[["event_id", *keep]].to_dict("records"):
        event_id = r.pop("event_id")
        by_event.setdefault(event_id, []).append({k: _plain(v) for k, v in r.items()})
    records = []
    for e in events_frame.drop(columns=["when"], errors="ignore").to_dict("records"):
        e = {k: _plain(v) for k, v in e.items()}
        e["report_list"] = by_event.get(e["event_id"], [])
        records.append(e)
    return records


def events_with_citations(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> pd.DataFrame:
    """The filtered events for the CSV export, each with the articles that report it: `citations`, one line
    per report (title · source · publication time in Beijing time · URL), and how many there are."""
    events_frame = events(con, filt).drop(columns=["when"], errors="ignore")
    reports = event_reports(con, events_frame["event_id"].tolist())
    lines: dict[str, list[str]] = {}
    for r in reports[["event_id", "title", "source", "published_at", "url"]].to_dict("records"):
        when = _china_time(r["published_at"])
        parts = [str(r[k]) for k in ("title", "source") if isinstance(r[k], str) and r[k]]
        parts += [when] if when else []
        parts += [r["url"]] if isinstance(r["url"], str) and r["url"] else []
        lines.setdefault(r["event_id"], []).append(" · ".join(parts))
    return events_frame.assign(citations=["\n".join(lines.get(e, [])) for e in events_frame["event_id"]])


def matching_articles(con: duckdb.DuckDBPyConnection, filt: CorpusFilter) -> pd.DataFrame:
    """Every article the filters keep (not only those the reader lists), newest first, for the CSV export: its
    doc id, title as written and in simplified script, source, URL, publication time in Beijing time (ISO with
    +08:00; the day alone for an article that gives only its day; empty when undated), script, characters and
    event reports."""
    table = articles(con, filt)
    return table.assign(
        title_simplified=_simplified_titles(table["title"]), published_at=_china_wall_times(table["published_at"])
    )[ARTICLE_COLUMNS]


def _simplified_titles(titles: pd.Series) -> list:
    """Each title in simplified script, converted in one call (a call per title costs ten times as much)."""
    lines = [t.replace("\n", " ") if isinstance(t, str) else "" for t in titles]
    converted = to_simplified("\n".join(lines)).split("\n")
    return [c if isinstance(t, str) else t for t, c in zip(titles, converted, strict=True)]


def _china_wall_times(times: pd.Series) -> pd.Series:
    """China wall-clock times (as the queries give them) as ISO text with +08:00 (China has kept one offset
    since 1991), or the day alone at midnight, which is how an article giving only its day is stored (as the
    reader shows it); '' when unknown."""
    stamps = pd.to_datetime(times)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    text = text.where(stamps != stamps.dt.normalize(), stamps.dt.strftime("%Y-%m-%d"))
    return text.where(stamps.notna(), "")


def _china_time(value) -> str:
    """A publication time as ISO text with its +08:00 offset ('' when unknown)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert(CHINA_TIME_ZONE).isoformat()


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


# A cell a spreadsheet would run as a formula (=HYPERLINK(…) in an article's title)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value):
    """Text a spreadsheet would read as a formula, with a leading apostrophe so it reads as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV with a byte-order mark, so spreadsheet programs read the Chinese text as UTF-8; text that a
    spreadsheet would run as a formula (an article title starting with =) is written as text."""
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    safe = frame.assign(**{c: frame[c].map(_inert) for c in text_columns}) if text_columns else frame
    return safe.to_csv(index=False).encode("utf-8-sig")


def json_bytes(records: list[dict]) -> bytes:
    return json.dumps(records, ensure_ascii=False, indent=1, default=str).encode("utf-8")
