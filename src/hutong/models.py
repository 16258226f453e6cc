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
    (a duration such as 时隔14年) or cannot be resolved (then `resolution` says why).
    `start`/`end` are offsets into the article's original text.
    """

    text: str
    start: int
    end: int
    sentence_index: int
    value: str | None
    kind: str  # "date" (a point in time) or "duration" (not a date)
    resolution: str  # how the value was found, in plain words


@dataclass(frozen=True)
class UnchangedFile:
    """An input file that an incremental build need not read again: the store already holds its results."""

    path: str
