"""Records passed between pipeline stages: raw articles, sentences, mentions, time expressions, events."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RawArticle:
    """One article as read from disk, before any analysis.

    `path` is relative to the input folder (POSIX separators); `row` is the 1-based data row
    for articles that came from a jsonl or csv file, else None.
    """

    path: str
    text: str
    format: str  # txt, md, html, jsonl, csv
    encoding: str
    row: int | None = None
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None  # timezone-aware; None when not known
    published_at_note: str = "missing"  # "given", "missing", or why a given value was not usable
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def input_id(self) -> str:
        """The name this article has in report.json: the path, plus #row for jsonl/csv rows."""
        return self.path if self.row is None else f"{self.path}#row={self.row}"


@dataclass(frozen=True)
class InputProblem:
    """An input file or row that could not be ingested, and why, for report.json."""

    path: str
    reason: str
    row: int | None = None
    status: str = "rejected"

    @property
    def input_id(self) -> str:
        return self.path if self.row is None else f"{self.path}#row={self.row}"


# The folders of an absolute path (POSIX or Windows), up to its last separator; not a URL's "//", not "1/2".
_FOLDERS_OF_ABSOLUTE_PATH = re.compile(r"""(?<![\w./:\\-])(?:[A-Za-z]:[\\/]|/)(?:[^\s'"\\/<>|]+[\\/])+""")
_MAX_REASON_CHARS = 300


def failure_reason(error: BaseException, *, stage: str) -> str:
    """An exception as a reason a reader of report.json, or a visitor, may see: the stage, the exception's
    type and its message on one line, without the server's folders (a path keeps only its file name)."""
    message = " ".join(str(error).split())
    message = _FOLDERS_OF_ABSOLUTE_PATH.sub("", message)
    if len(message) > _MAX_REASON_CHARS:
        message = message[: _MAX_REASON_CHARS - 1] + "…"
    return f"{stage} failed: {type(error).__name__}" + (f": {message}" if message else "")


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article.

    `start`/`end` are character offsets into the article's original text; `text` is the
    simplified-script version of original[start:end], of the same length.
    """

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class TimeExpression:
    """A time expression found in a sentence, with its resolved value at the precision written.

    `value` is "2011", "2024-10" or "2024-10-29", or None where the text is not a point in time
    (a duration such as 时隔14年) or cannot be resolved (then `resolution` says why). For a period finer
    than a month but not a day (a week, 上旬) or between month and year (a quarter, 上半年) it is the finest
    of year, month and day that holds the whole period; 年初 and 年底 are the year's first and last month.
    For a range (10月29日至31日, 2024年11月至今) it is the start's value.
    `start`/`end` are offsets into the article's original text.

    `first_day` and `last_day` (ISO dates, inclusive) bound the period denoted (2024 → 2024-01-01 to
    2024-12-31; a range → its start's first day to its end's last day; a span such as 近三年, which is a
    duration with no value, → the span up to publication). `precision` is the size of that period, one of
    year, half, quarter, month, ten_days, week, day (timex.PRECISIONS). `method` is how it was found:
    "absolute" (written in full), "publication" (counted from the publication time), "inherited" (from an
    expression before it, which `resolution` names) or "approximate" (近日, 目前, 此前: a vague word put at
    the publication time, coarsely; then `approximate` is True). All are None/""/False for non-dates.
    """

    text: str
    start: int
    end: int
    sentence_index: int
    value: str | None
    kind: str  # "date" (a point in time) or "duration" (not a date)
    resolution: str  # how the value was found, in plain words
    first_day: str | None = None
    last_day: str | None = None
    precision: str | None = None
    method: str = ""
    approximate: bool = False


@dataclass(frozen=True)
class UnchangedFile:
    """An input file that an incremental build need not read again: the store already holds its results."""

    path: str


@dataclass
class DocumentAnalysis:
    """What one article contributes to each table of the store: its documents row, and for every other
    table its rows as columns (column name → values, without doc_id, which is the article's). Columns, not
    row dicts: they cost a fraction to build, to send back from a worker and to write."""

    doc_id: str
    content_hash: str
    document: dict
    columns: dict[str, dict[str, list]] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict]:
        """The article's rows of one table as dicts, doc_id included."""
        columns = self.columns.get(table, {})
        names = list(columns)
        return [{"doc_id": self.doc_id, **dict(zip(names, values))} for values in zip(*columns.values())]

    @property
    def sentences(self) -> list[dict]:
        return self.rows("sentences")

    @property
    def mentions(self) -> list[dict]:
        return self.rows("mentions")

    @property
    def times(self) -> list[dict]:
        return self.rows("times")

    @property
    def event_reports(self) -> list[dict]:
        return self.rows("event_reports")
