"""Read a folder of news articles into RawArticle records, saying why any input cannot be used."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import posixpath
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path

import yaml

from hutong.china_time import CHINA_TIME, china_day
from hutong.models import InputProblem, RawArticle, UnchangedFile, failure_reason

Record = RawArticle | InputProblem

EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=CHINA_TIME)
MAX_CHARS = 5_000_000
MAX_FILE_BYTES = 50_000_000
# Front matter is a few lines of metadata; anything far bigger or deeper is not, and is costly to parse.
_MAX_FRONT_MATTER_CHARS = 65_536
_MAX_FRONT_MATTER_DEPTH = 50

_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
}
_TEXT_KEYS = ("text", "content", "body")
# Each field's names in front matter, jsonl and csv, first found wins; a publication's outlet is often given
# only as its author or site (e.g. `author: "OpenAxo"`, `source_url:` in exported blog posts).
_FIELD_KEYS = {
    "title": ("title", "headline"),
    "source": ("source", "site", "site_name", "publisher", "media", "author"),
    "url": ("url", "source_url", "link", "canonical_url"),
    "published_at": ("published_at", "date", "publish_time", "pubdate"),
}
_MANIFEST_NAME = "manifest.csv"
_COLLECT_REPORT_NAME = "collect_report.json"
# Python's csv default (128 KiB) is smaller than a long article; the char limit is enforced per row instead.
_CSV_FIELD_LIMIT = 2**31 - 1


# libyaml's loader where PyYAML was built with it (the wheels are): the same results, several times faster.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class _Rejected(Exception):
    """A whole file cannot be ingested; the message is the plain-English reason."""


class _BadFrontMatter(Exception):
    """The YAML header of a txt/md file cannot be used; the message says why."""


# ---------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class FileToRead:
    """An input file the build has to read: where it is, and its MANIFEST.csv row if it has one."""

    path: Path
    root: Path
    manifest_row: Mapping[str, str] | None = None

    @property
    def relative_name(self) -> str:
        return _relative_name(self.path, self.root)

    @property
    def one_article(self) -> bool:
        """txt, md and html files hold one article each; jsonl and csv may hold thousands."""
        return _FORMATS.get(self.path.suffix.lower()) in ("txt", "md", "html")


def read_corpus(
    input_dir: Path,
    *,
    max_chars: int = MAX_CHARS,
    max_file_bytes: int = MAX_FILE_BYTES,
    is_unchanged: Callable[[str, Path, Mapping[str, str] | None], bool] | None = None,
) -> Iterator[Record | UnchangedFile]:
    """Yield every article under input_dir, and an InputProblem for every file or row that cannot be used.

    Entries come in sorted order of their relative POSIX path, so runs are reproducible.
    Raises NotADirectoryError only when input_dir itself is not a folder. Where `is_unchanged`
    (relative name, path, manifest row) says a file is as an earlier build saw it, the file is not
    read and an UnchangedFile stands for it.
    """
    for entry in plan_corpus(input_dir, max_file_bytes=max_file_bytes, is_unchanged=is_unchanged):
        if isinstance(entry, FileToRead):
            yield from read_planned(entry, max_chars=max_chars, max_file_bytes=max_file_bytes)
        else:
            yield entry


def plan_corpus(
    input_dir: Path,
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    is_unchanged: Callable[[str, Path, Mapping[str, str] | None], bool] | None = None,
) -> Iterator[FileToRead | InputProblem | UnchangedFile]:
    """What read_corpus will do, file by file and without reading any article: a FileToRead for each file
    to read (so that reading can happen elsewhere, e.g. in a worker), or why a file is not read."""
    root = Path(input_dir)
    if not root.is_dir():
        raise NotADirectoryError(f"input folder not found: {root}")
    entries = sorted(_walk(root), key=lambda entry: entry[0])
    manifest = _manifest_rows(root, [path for _, path, reason in entries if reason is None], max_file_bytes)
    for rel, path, reason in entries:
        if reason is not None:
            yield InputProblem(rel, reason)
        elif is_unchanged is not None and _unchanged(is_unchanged, rel, path, root, manifest.get(rel)):
            yield UnchangedFile(rel)
        else:
            yield FileToRead(path, root, manifest.get(rel))


def read_planned(
    entry: FileToRead, *, max_chars: int = MAX_CHARS, max_file_bytes: int = MAX_FILE_BYTES
) -> Iterator[Record]:
    return read_file(
        entry.path,
        relative_to=entry.root,
        max_chars=max_chars,
        max_file_bytes=max_file_bytes,
        manifest_row=entry.manifest_row,
    )


def _unchanged(
    is_unchanged: Callable[[str, Path, Mapping[str, str] | None], bool],
    rel: str,
    path: Path,
    root: Path,
    manifest_row: Mapping[str, str] | None,
) -> bool:
    """Ask is_unchanged only about files that could be read: a link loop or a link out of the folder
    must not be stat()-ed through, and a file gone since the walk is read (and reported) as changed."""
    if _path_problem(path, root) is not None:
        return False
    try:
        return is_unchanged(rel, path, manifest_row)
    except OSError:
        return False


def read_file(
    path: Path,
    *,
    relative_to: Path,
    max_chars: int = MAX_CHARS,
    max_file_bytes: int = MAX_FILE_BYTES,
    manifest_row: Mapping[str, str] | None = None,
) -> Iterator[Record]:
    """Yield the article(s) in one file, or InputProblems saying why they cannot be used.

    `relative_to` is the input folder: record paths are relative to it, and a symbolic link is only
    read when it resolves inside it. `manifest_row` holds metadata from a MANIFEST.csv for this file.
    """
    path = Path(path)
    rel = _relative_name(path, Path(relative_to))
    try:
        yield from _read_checked(path, rel, Path(relative_to), max_chars, max_file_bytes, manifest_row or {})
    except _Rejected as exc:
        yield InputProblem(rel, str(exc))
    except OSError as exc:
        yield InputProblem(rel, f"cannot read file ({exc.strerror or exc})")
    except Exception as exc:  # a reader's bug or a missing optional package must cost this file, not the build
        yield InputProblem(rel, failure_reason(exc, stage="reading"))


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes to (text, encoding name); raise ValueError with a plain reason when it is not text.

    Order: byte-order mark, then strict UTF-8, then the best-scoring of charset-normalizer's guess and
    the Chinese encodings. GBK/GB2312 become gb18030 and Big5 becomes cp950, their supersets.
    """
    text, encoding = _decode_with_bom(data) or _decode_without_bom(data)
    if "\x00" in text:
        raise ValueError("binary data, not text (contains NUL characters)")
    if _mostly_control(text):
        raise ValueError("binary data, not text (mostly control characters)")
    return text.removeprefix("\ufeff"), encoding


def parse_published_at(value: str, *, now: datetime | None = None) -> tuple[datetime | None, str]:
    """Parse a given publication time into (timezone-aware datetime or None, note).

    Accepts ISO 8601, "2025/09/28", "2025年9月28日 20:12" and RFC 2822; naive times are China time.
    The note is "given" when usable, else why not; implausible dates are dropped rather than trusted.
    """
    parsed = _parse_datetime(value.strip())
    if parsed is None:
        return None, f"unparseable date '{_shorten(value)}'"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA_TIME)
    day = china_day(parsed).isoformat()
    if parsed > (now or datetime.now(UTC)) + timedelta(days=1):
        return None, f"date {day} is in the future"
    if parsed < EARLIEST_PUBLICATION:
        return None, f"date {day} is before 1990"
    return parsed, "given"


# ---------------------------------------------------------------------------- walking the folder


def _walk(root: Path) -> Iterator[tuple[str, Path, str | None]]:
    """Yield (relative name, path, reason or None) for each file and each folder that is not entered."""
    unreadable: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable.append):
        here = Path(dirpath)
        for name in list(dirnames):
            reason = _folder_problem(here / name, root)
            if reason is not None:
                dirnames.remove(name)
                yield _relative_name(here / name, root), here / name, reason
        for name in filenames:
            yield _relative_name(here / name, root), here / name, None
    for error in unreadable:
        folder = Path(error.filename or root)
        yield (
            _relative_name(folder, root),
            folder,
            f"cannot read folder ({error.strerror or error})",
        )


def _folder_problem(folder: Path, root: Path) -> str | None:
    if folder.is_symlink():
        # Following folder links risks loops and leaving the input folder; report instead.
        if not _resolves_inside(folder, root):
            return "symbolic link outside the input folder"
        return "symbolic link to a folder (not followed)"
    if folder.name.startswith("."):
        return "hidden folder (not read)"
    return None


def _relative_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _resolves_inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def _path_problem(path: Path, root: Path) -> str | None:
    if path.name.startswith("."):
        return "hidden file"
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken symbolic link or symbolic link loop"
    if not target.is_relative_to(root.resolve()):
        return "symbolic link outside the input folder"
    return None


def _read_bytes(path: Path, max_file_bytes: int) -> bytes:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO or device could block forever.
        raise _Rejected("not a regular file")
    if info.st_size > max_file_bytes:
        raise _Rejected(f"file is {info.st_size:,} bytes, over the {max_file_bytes:,} limit")
    with path.open("rb") as handle:
        data = handle.read(max_file_bytes + 1)
    # Checked again because the file may have grown since stat().
    if len(data) > max_file_bytes:
        raise _Rejected(f"file is over the {max_file_bytes:,} byte limit")
    if not data:
        raise _Rejected("empty file")
    return data


# ---------------------------------------------------------------------------- one file


@dataclass(frozen=True)
class _Source:
    """What every record from one file shares."""

    path: str
    format: str
    encoding: str
    max_chars: int
    defaults: Mapping[str, str] = field(default_factory=dict)


def _read_checked(
    path: Path,
    rel: str,
    root: Path,
    max_chars: int,
    max_file_bytes: int,
    manifest_row: Mapping[str, str],
) -> Iterator[Record]:
    problem = _path_problem(path, root)
    if problem is not None:
        raise _Rejected(problem)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None and _is_collect_report(path):
        # like MANIFEST.csv, it describes the folder `hutong collect` wrote: no article, and no problem either
        yield InputProblem(rel, "report of hutong collect (no articles)", status="manifest")
        return
    if fmt is None:
        raise _Rejected(f"unsupported file type {path.suffix.lower() or '(no extension)'}")
    data, decoding_notes = _without_cut_off_character(_read_bytes(path, max_file_bytes))
    try:
        text, encoding = _decode_html(data) if fmt == "html" else decode_bytes(data)
    except ValueError as exc:
        raise _Rejected(str(exc)) from None
    text = _normalise_newlines(text)
    if path.name.lower() == _MANIFEST_NAME and _is_manifest(text):
        yield from _report_manifest(text, path, rel)
        return
    source = _Source(rel, fmt, encoding, max_chars, {**manifest_row, **decoding_notes})
    readers = {
        "txt": _read_text,
        "md": _read_text,
        "html": _read_html,
        "jsonl": _read_jsonl,
        "csv": _read_csv,
    }
    yield from readers[fmt](text, source)


def _read_text(text: str, source: _Source) -> Iterator[Record]:
    head, body = _split_front_matter(text)
    if head is None:
        yield _article(source, {"text": body})
        return
    try:
        fields = _front_matter_fields(head)
    except _BadFrontMatter as exc:
        # A broken header must not lose the article: keep the body, drop the header, and say why.
        yield _article(
            source,
            {"text": body, "front_matter_problem": str(exc)},
            missing_note=str(exc),
        )
        return
    yield _article(source, {**fields, "text": body})


def _split_front_matter(text: str) -> tuple[str | None, str]:
    """Return (YAML header or None, body) for text that may start with a `---` block."""
    if not text.startswith("---\n"):
        return None, text
    end = re.search(r"^---[ \t]*$", text[4:], flags=re.MULTILINE)
    if end is None:
        return None, text
    # The blank line after the closing --- belongs to the header syntax, not the article.
    return text[4 : 4 + end.start()], text[4 + end.end() :].lstrip("\n")


def _front_matter_fields(head: str) -> dict[str, object]:
    # PyYAML's work grows faster than the header's length and its nesting: bound both before parsing.
    if len(head) > _MAX_FRONT_MATTER_CHARS:
        raise _BadFrontMatter(f"front matter is over {_MAX_FRONT_MATTER_CHARS:,} characters")
    if _bracket_depth(head) > _MAX_FRONT_MATTER_DEPTH:
        raise _BadFrontMatter(f"front matter is nested more than {_MAX_FRONT_MATTER_DEPTH} levels deep")
    try:
        # An alias repeats another value; a few lines of nested repeats expand to gigabytes. No alias
        # without a "*", so only such headers are scanned for one.
        if "*" in head and any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(head, Loader=_YAML_LOADER)):
            raise _BadFrontMatter("front matter uses YAML aliases (*name), which are not accepted")
        # BaseLoader keeps every value a string, so dates are parsed by our rules, not YAML's.
        loaded = yaml.load(head, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise _BadFrontMatter(f"front matter is not valid YAML: {_yaml_error(exc)}") from None
    except RecursionError:
        raise _BadFrontMatter("front matter is not valid YAML: nested too deeply") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise _BadFrontMatter("front matter is not valid YAML: not a set of key: value lines")
    return {str(key): value for key, value in loaded.items()}


def _bracket_depth(head: str) -> int:
    """How deep [ and { nest; quoted brackets count too, so YAML's own nesting is never deeper."""
    depth = deepest = 0
    for char in head:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _yaml_error(exc: yaml.YAMLError) -> str:
    problem = _shorten(str(getattr(exc, "problem", None) or exc))
    mark = getattr(exc, "problem_mark", None)
    # +2: YAML counts from 0 inside the header, and the file's first line is the opening ---.
    return problem if mark is None else f"{problem} (line {mark.line + 2})"


def _read_jsonl(text: str, source: _Source) -> Iterator[Record]:
    # split("\n") rather than splitlines(): U+2028 may appear raw inside a JSON string.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"jsonl line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputProblem(source.path, f"{where}: not valid JSON ({exc.msg})", row=number)
            continue
        except RecursionError:
            yield InputProblem(source.path, f"{where}: not valid JSON here (nested too deeply)", row=number)
            continue
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            yield InputProblem(source.path, f"{where}: not valid JSON here ({_shorten(str(exc))})", row=number)
            continue
        if not isinstance(record, dict):
            yield InputProblem(source.path, f"{where}: not a JSON object", row=number)
            continue
        yield _article(source, record, row=number, where=where)


def _read_csv(text: str, source: _Source) -> Iterator[Record]:
    header, rows = _csv_rows(text, tab=source.path.lower().endswith(".tsv"))
    if not any(key in header for key in _TEXT_KEYS):
        raise _Rejected(f"csv has no text column (looked for {', '.join(_TEXT_KEYS)})")
    for number, record, error in rows:
        if error is not None:
            yield InputProblem(source.path, f"csv row {number}: {error}", row=number)
        else:
            yield _article(source, record, row=number, where=f"csv row {number}")


def _csv_rows(text: str, *, tab: bool = False) -> tuple[list[str], Iterator[tuple[int, dict[str, str], str | None]]]:
    """Return the lower-cased header and an iterator of (data row number, record, error or None)."""
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tab else ",")
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        raise _Rejected(f"csv header cannot be read ({exc})") from None
    return header, _csv_records(reader, header)


def _csv_records(reader: Iterator[list[str]], header: list[str]) -> Iterator[tuple[int, dict[str, str], str | None]]:
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield (
                number,
                {},
                f"not valid CSV ({exc}); the rest of the file was not read",
            )
            return
        if not any(cell.strip() for cell in cells):
            continue
        if any(cell.strip() for cell in cells[len(header) :]):
            yield (
                number,
                {},
                f"has {len(cells)} fields but the header has {len(header)}",
            )
            continue
        yield number, dict(zip(header, cells, strict=False)), None


# ---------------------------------------------------------------------------- manifests


def _is_collect_report(path: Path) -> bool:
    if path.name != _COLLECT_REPORT_NAME:
        return False
    try:
        with path.open("rb") as handle:
            return handle.read(64).startswith(b'{\n  "summary": "collect:')
    except OSError:
        return False


def _is_manifest(text: str) -> bool:
    first_line = text.split("\n", 1)[0]
    try:
        header = [name.strip().lower() for name in next(csv.reader([first_line]), [])]
    except csv.Error:
        return False
    return "file" in header and not any(key in header for key in _TEXT_KEYS)


def _manifest_rows(root: Path, files: list[Path], max_file_bytes: int) -> dict[str, dict[str, str]]:
    """Metadata by relative file name from every MANIFEST.csv; unreadable manifests are reported later by read_file."""
    rows: dict[str, dict[str, str]] = {}
    for path in files:
        if path.name.lower() != _MANIFEST_NAME or _path_problem(path, root) is not None:
            continue
        try:
            text = _normalise_newlines(decode_bytes(_read_bytes(path, max_file_bytes))[0])
        except (_Rejected, OSError, ValueError):
            continue
        if _is_manifest(text):
            rows.update(_parse_manifest(text, path, _relative_name(path, root))[0])
    return rows


def _report_manifest(text: str, path: Path, rel: str) -> Iterator[InputProblem]:
    rows, problems = _parse_manifest(text, path, rel)
    files = "file" if len(rows) == 1 else "files"
    yield InputProblem(rel, f"metadata for {len(rows)} {files}", status="manifest")
    yield from problems


def _parse_manifest(text: str, path: Path, rel: str) -> tuple[dict[str, dict[str, str]], list[InputProblem]]:
    rows: dict[str, dict[str, str]] = {}
    problems: list[InputProblem] = []
    _, records = _csv_rows(text)
    for number, record, error in records:
        name = record.pop("file", "").strip().replace("\\", "/")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), name))
        reason = error or _manifest_row_problem(name, target, path)
        if reason is None and target in rows:
            problems.append(
                InputProblem(
                    rel,
                    f"manifest row {number}: file '{name}' is listed again; this row is used",
                    row=number,
                )
            )
        if reason is not None:
            problems.append(InputProblem(rel, f"manifest row {number}: {reason}", row=number))
            continue
        rows[target] = {key: value for key, value in record.items() if value.strip()}
    return rows, problems


def _manifest_row_problem(name: str, target: str, path: Path) -> str | None:
    if not name:
        return "no file name"
    if posixpath.isabs(name) or target == ".." or target.startswith("../"):
        return f"file '{name}' is outside the input folder"
    if not os.path.lexists(path.parent / name):
        return f"file '{name}' not found"
    return None


# ---------------------------------------------------------------------------- html


def _decode_html(data: bytes) -> tuple[str, str]:
    declared = _declared_charset(data)
    if (
        declared
        and b"\x00" not in data
        and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        try:
            return data.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            pass  # the declaration is wrong or not a text encoding; detect instead
    return decode_bytes(data)


def _declared_charset(data: bytes) -> str | None:
    match = re.search(
        rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
        data[:4096],
        re.IGNORECASE,
    )
    if match is None:
        return None
    try:
        declared = _superset(match.group(1).decode("ascii"))
    except LookupError:
        return None
    # As in browsers: a UTF-16/32 declaration in ASCII-compatible bytes cannot be true.
    return None if declared.startswith(("utf-16", "utf-32")) else declared


def _read_html(text: str, source: _Source) -> Iterator[Record]:
    import trafilatura  # slow to import; only HTML needs it

    try:
        document = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            # extensive_search would guess a date from any date written in the page text.
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            },
        )
    except Exception as exc:  # noqa: BLE001 - third-party parser on untrusted markup; one page must not stop a run
        raise _Rejected(f"HTML could not be parsed ({type(exc).__name__})") from None
    if document is None or not (document.text or "").strip():
        raise _Rejected("no article text found in HTML")
    fields = {
        "text": document.text,
        "title": document.title,
        "source": document.sitename,
        "url": document.url,
        "published_at": _published_in_markup(text, document.date),
        "author": document.author,
        "description": document.description,
    }
    yield _article(source, {key: value for key, value in fields.items() if value})


_META_DATE_XPATH = (
    '//meta[@property="article:published_time" or @name="pubdate" or @name="publishdate" '
    'or @itemprop="datePublished"]/@content'
)


def _published_in_markup(html: str, htmldate_value: str | None) -> str | None:
    """The page's stated publication time: article meta first (it keeps the time of day), then htmldate, then <time>."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (ValueError, lxml.etree.LxmlError):
        return htmldate_value
    for values in (
        tree.xpath(_META_DATE_XPATH),
        [htmldate_value],
        tree.xpath("//time/@datetime"),
    ):
        found = next(
            (str(value).strip() for value in values if value and str(value).strip()),
            None,
        )
        if found:
            return found
    return None


# ---------------------------------------------------------------------------- building records


def _article(
    source: _Source,
    record: Mapping[str, object],
    *,
    row: int | None = None,
    where: str | None = None,
    missing_note: str = "missing",
) -> Record:
    """Build a RawArticle from a record (text + fields); the manifest fills fields the record lacks."""
    own = _as_strings(record)
    text_key = next((key for key in _TEXT_KEYS if key in own and _is_text(record, key)), None)
    text = _normalise_text(own.pop(text_key)) if text_key else ""
    prefix = f"{where}: " if where else ""
    if not text:
        return InputProblem(source.path, f"{prefix}no text", row=row)
    if len(text) > source.max_chars:
        reason = f"{prefix}text is {len(text):,} characters, over the {source.max_chars:,} limit"
        return InputProblem(source.path, reason, row=row)
    # Aliases are resolved per origin first, so a record's `date` beats a manifest's `published_at`.
    default_known, default_metadata = _split_known(dict(source.defaults))
    own_known, own_metadata = _split_known(own)
    known = {**default_known, **own_known}
    published_at, note = (None, missing_note)
    if "published_at" in known:
        published_at, note = parse_published_at(known["published_at"])
    return RawArticle(
        path=source.path,
        text=text,
        format=source.format,
        encoding=source.encoding,
        row=row,
        title=known.get("title"),
        source=known.get("source"),
        url=known.get("url"),
        published_at=published_at,
        published_at_note=note,
        metadata={**default_metadata, **own_metadata},
    )


def _is_text(record: Mapping[str, object], key: str) -> bool:
    """A text field must hold a string; a number or list under `text` is not an article."""
    return any(isinstance(value, str) for name, value in record.items() if str(name).strip().lower() == key)


def _split_known(fields: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Split into (title/source/url/published_at, everything else); unused aliases stay in metadata."""
    known = {}
    for name, keys in _FIELD_KEYS.items():
        value = _take_first(fields, keys)
        if value:
            known[name] = value
    return known, fields


def _as_strings(record: Mapping[str, object]) -> dict[str, str]:
    """Lower-cased keys and string values; empty values are dropped so they cannot override given ones."""
    result: dict[str, str] = {}
    for key, value in record.items():
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if text.strip():
            result[str(key).strip().lower()] = text
    return result


def _take_first(fields: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """Pop the first present key among aliases; the other aliases stay in metadata so nothing is lost."""
    for key in keys:
        if key in fields:
            return fields.pop(key).strip() or None
    return None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")


def _normalise_text(text: str) -> str:
    return _normalise_newlines(text).rstrip()


def _shorten(value: str, limit: int = 80) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


# ---------------------------------------------------------------------------- dates

_CHINESE_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*T?\s*(\d{1,2})\s*[:：时時点點]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?\s*[分秒]?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _parse_datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    match = _CHINESE_DATE.fullmatch(value)
    if match is not None:
        return _from_match(match)
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _from_match(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    except ValueError:
        return None
    if zone is None:
        return parsed
    if zone == "Z":
        return parsed.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return parsed.replace(tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))))


# ---------------------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHINESE_ENCODINGS = ("gb18030", "cp950", "utf-16-le", "utf-16-be")
_UTF16 = ("utf-16-le", "utf-16-be")
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950"}
_SCORE_SAMPLE = 10_000


_CUT_OFF_NOTE = "the file is cut off in the middle of a character; the incomplete last character was dropped"


def _without_cut_off_character(data: bytes) -> tuple[bytes, dict[str, str]]:
    """UTF-8 that is only wrong in an incomplete last character (a cut-off download) loses that character,
    not the whole article; the note goes into the article's metadata."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_off = exc.reason == "unexpected end of data" and exc.end == len(data) and len(data) - exc.start < 4
        # Text before the cut must be UTF-8 beyond ASCII: ASCII then a GBK lead byte is not evidence of UTF-8.
        if cut_off and not data[: exc.start].isascii():
            return data[: exc.start], {"decoding": _CUT_OFF_NOTE}
    return data, {}


def _decode_with_bom(data: bytes) -> tuple[str, str] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                return None
    return None


def _decode_without_bom(data: bytes) -> tuple[str, str]:
    if b"\x00" in data:
        # ASCII in UTF-16 has NUL bytes; in any other encoding NUL bytes mean binary data.
        best = _best_decoding(data, _UTF16, trusted=None)
        if best is None:
            raise ValueError("binary file (contains NUL bytes), not text")
        return best
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = _charset_normalizer_guess(data)
    candidates = ([guess] if guess else []) + [name for name in _CHINESE_ENCODINGS if name != guess]
    best = _best_decoding(data, candidates, trusted=guess)
    if best is None:
        raise ValueError("not valid text in any supported encoding")
    return best


def _charset_normalizer_guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is None:
        return None
    try:
        return _superset(match.encoding)
    except LookupError:
        return None


def _superset(name: str) -> str:
    canonical = codecs.lookup(name).name
    return _SUPERSETS.get(canonical, canonical)


def _best_decoding(
    data: bytes, candidates: tuple[str, ...] | list[str], *, trusted: str | None
) -> tuple[str, str] | None:
    """Pick the decoding that reads most like Chinese text.

    charset-normalizer misreads short Chinese texts (e.g. GBK as UTF-16-BE), so its guess competes
    with the Chinese encodings; it wins ties. Only its guess may win without a positive score,
    which keeps non-Chinese text in other encodings working.
    """
    scored = []
    for order, encoding in enumerate(candidates):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        scored.append((_plausibility(text), -order, encoding, text))
    if not scored:
        return None
    score, _, encoding, text = max(scored)
    if score <= 0 and encoding != trusted:
        return None
    return text, encoding


def _plausibility(text: str) -> int:
    """Common hanzi and printable ASCII count for a decoding; rare or invalid characters count against it."""
    sample = _t2s().convert(text[:_SCORE_SAMPLE])
    common = _common_hanzi()
    return sum(_char_weight(char, common) for char in sample)


def _char_weight(char: str, common: frozenset[str]) -> int:
    if char in common:
        return 1
    if char.isascii():
        return 1 if char.isprintable() or char in "\t\n\r" else -3
    category = unicodedata.category(char)
    if category[0] in "PZ" or (category[0] == "L" and ord(char) < 0x250):
        return 0
    if category in ("Cc", "Cs", "Co", "Cn"):
        return -3
    return -1


# Whitespace that str.isprintable() calls unprintable but text is full of (U+3000 is the full-width space).
_WHITESPACE = str.maketrans("", "", "\t\n\r\f\v\u3000\xa0\u2028\u2029")


def _mostly_control(text: str) -> bool:
    sample = text[:_SCORE_SAMPLE]
    if sample.translate(_WHITESPACE).isprintable():  # the usual case, in C: nothing to count
        return False
    bad = sum(
        1 for char in sample if char not in "\t\n\r\f\v" and unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn")
    )
    return bad > len(sample) * 0.1


@cache
def _common_hanzi() -> frozenset[str]:
    """The 3,755 level-1 GB2312 characters: the hanzi in everyday use (traditional text is compared after t2s)."""
    chars = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


@cache
def _t2s():  # opencc ships no type hints
    import opencc

    return opencc.OpenCC("t2s")
