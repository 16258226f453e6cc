"""The command line: build a store, extract one article, evaluate against gold. Thin over the library."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from hutong import evaluate as ev
from hutong.ingest import parse_published_at, read_file
from hutong.lexicon import SEGMENTERS
from hutong.models import InputProblem, RawArticle
from hutong.paths import CORRECTIONS_PATH
from hutong.pipeline import BuildFailed, analyse_article, build_store, load_resources


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(level=_LOG_LEVELS[args.verbosity])
    try:
        return args.run(args)
    except (FileNotFoundError, NotADirectoryError, ValueError) as error:
        print(f"hutong {args.command}: {error}", file=sys.stderr)
        return 2
    except BuildFailed as error:
        print(f"hutong {args.command}: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hutong", description="Hutong: platform interoperability from the news."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    output = _output_options()

    build = commands.add_parser("build", parents=[output], help="process a folder of articles into a store")
    build.add_argument("--input", type=Path, required=True, help="folder of articles (txt, md, html, jsonl, csv)")
    build.add_argument("--out", type=Path, required=True, help="store folder to write (replaced atomically)")
    build.add_argument(
        "--replace",
        action="store_true",
        help="replace --out even if it was built from another input folder or is not a store",
    )
    build.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    build.add_argument("--full", action="store_true", help="reprocess every file, even where the store is current")
    build.add_argument(
        "--segmenter",
        choices=SEGMENTERS,
        default="jieba",
        help="word segmenter: jieba (default) or jieba-next (same tokens, faster; pip install jieba-next)",
    )
    build.add_argument(
        "--max-chars",
        type=int,
        default=5_000_000,
        help="reject an article with more characters of text than this (default 5,000,000)",
    )
    build.add_argument(
        "--max-file-bytes",
        type=int,
        default=50_000_000,
        help="reject, unread, an input file larger than this (default 50,000,000)",
    )
    build.add_argument(
        "--scheduler",
        help="analyse on a Dask cluster: `local` (a cluster of --workers processes here) or a scheduler's "
        "address, tcp://HOST:8786 (pip install -r requirements-dask.txt; the --out folder must be on a "
        "filesystem every worker sees)",
    )
    build.add_argument(
        "--segment-articles",
        type=int,
        default=2_000,
        help="with --scheduler: inputs per chunk a worker analyses into a segment (default 2,000)",
    )
    build.add_argument(
        "--corrections",
        type=Path,
        help="analysts' corrections of events to apply (default data/corrections/corrections.csv; see its README.md)",
    )
    build.set_defaults(run=_build)

    extract = commands.add_parser(
        "extract", parents=[output], help="entities, time expressions and events of one article"
    )
    extract.add_argument("file", type=Path)
    extract.add_argument("--published", help="publication time (ISO 8601); overrides the article's own")
    extract.add_argument("--json", action="store_true", help="print JSON instead of a readable summary")
    extract.set_defaults(run=_extract)

    evaluate = commands.add_parser("evaluate", parents=[output], help="score extraction against gold jsonl files")
    evaluate.add_argument("gold", type=Path, nargs="+", help="gold files (events and/or time expressions)")
    evaluate.add_argument("--docs", type=Path, required=True, help="folder holding the gold's articles")
    evaluate.set_defaults(run=_evaluate)

    collect = commands.add_parser(
        "collect", parents=[output], help="fetch news pages from feeds, sitemaps or URL lists into a folder"
    )
    where = collect.add_mutually_exclusive_group(required=True)
    where.add_argument("--feeds", type=Path, help="file of RSS/Atom feed or sitemap URLs, one a line (# comments)")
    where.add_argument("--sitemap", help="URL of a sitemap, a sitemap index or a news sitemap (gzipped or not)")
    where.add_argument("--urls", type=Path, help="file of article URLs, one a line (# comments)")
    collect.add_argument("--out", type=Path, required=True, help="folder to collect into (pages and MANIFEST.csv)")
    collect.add_argument("--since", help="skip pages a feed or sitemap dates before this (e.g. 2024-01-01)")
    collect.add_argument("--max", type=int, help="fetch at most this many new pages this run")
    collect.add_argument(
        "--rate", type=float, default=1.0, help="requests a second to any one site (default 1; 0: no limit)"
    )
    collect.add_argument("--concurrency", type=int, default=8, help="sites fetched from at once (default 8)")
    collect.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for a site (default 20)")
    collect.add_argument(
        "--max-bytes", type=int, default=10_000_000, help="skip a page larger than this (default 10,000,000)"
    )
    collect.add_argument("--user-agent", help="User-Agent to send (default names Hutong; add a way to reach you)")
    collect.set_defaults(run=_collect)
    return parser


_LOG_LEVELS = {"quiet": logging.ERROR, "normal": logging.WARNING, "verbose": logging.DEBUG}


def _output_options() -> argparse.ArgumentParser:
    """--quiet and --verbose, shared by every command."""
    options = argparse.ArgumentParser(add_help=False)
    chosen = options.add_mutually_exclusive_group()
    chosen.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const="quiet",
        help="errors only: no progress bar, no warnings, and build prints no summary",
    )
    chosen.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const="verbose",
        help="every log line, the segmenter's dictionary loading included",
    )
    options.set_defaults(verbosity="normal")
    return options


def configure_logging(*, level: int) -> None:
    """Send log lines, jieba's among them, through one handler on stderr, at `level` and above.

    jieba adds its own stderr handler to its logger when imported, so its dictionary loading lines print on
    every run; they go through ours instead, at debug level (seen with --verbose). Only the logger is changed,
    never jieba's global tokenizer."""
    import jieba

    for handler in list(jieba.default_logger.handlers):
        jieba.default_logger.removeHandler(handler)
    jieba.default_logger.setLevel(logging.NOTSET)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "hutong", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.hutong = True  # ours, replaced by the next call (a test may call main many times)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)  # also for loggers with levels of their own (Dask's log at info)
    if level > logging.DEBUG:  # a cluster build reports its own failures, in a line; Dask's own lines with -v
        handler.addFilter(lambda record: not record.name.startswith("distributed"))
    root.addHandler(handler)
    root.setLevel(level)


def progress_bar_shown(*, quiet: bool) -> bool:
    """A progress bar only for a person at a terminal: not with --quiet, not into a file or pipe, not in CI."""
    return not quiet and sys.stderr.isatty() and not os.environ.get("CI")


def _build(args: argparse.Namespace) -> int:
    if not args.input.is_dir():
        raise NotADirectoryError(f"input folder not found: {args.input}")
    for option, value in (
        ("--workers", args.workers),
        ("--max-chars", args.max_chars),
        ("--max-file-bytes", args.max_file_bytes),
        ("--segment-articles", args.segment_articles),
    ):
        if value < 1:
            raise ValueError(f"{option} must be at least 1")
    if args.corrections is not None and not args.corrections.is_file():
        raise FileNotFoundError(f"corrections file not found: {args.corrections}")
    from tqdm import tqdm

    quiet = args.verbosity == "quiet"
    # a cluster build counts tasks (chunks of --segment-articles inputs), and their number once all are planned
    unit = " inputs" if args.scheduler is None else " tasks"
    with tqdm(unit=unit, desc="building", disable=not progress_bar_shown(quiet=quiet)) as bar:
        summary = build_store(
            args.input,
            args.out,
            workers=args.workers,
            full=args.full,
            segmenter=args.segmenter,
            max_chars=args.max_chars,
            max_file_bytes=args.max_file_bytes,
            progress=bar.update,
            replace=args.replace,
            scheduler=args.scheduler,
            segment_articles=args.segment_articles,
            corrections_path=args.corrections or CORRECTIONS_PATH,
            tasks_planned=lambda tasks: _set_total(bar, tasks),
        )
    if not quiet:
        print(summary)
    return 0


def _set_total(bar, total: int) -> None:
    bar.total = total
    bar.refresh()


def _extract(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise FileNotFoundError(f"no such file: {args.file}")
    published = _published_override(args.published)
    resources = load_resources()
    results = []
    for record in read_file(args.file, relative_to=args.file.parent):
        if isinstance(record, InputProblem):
            print(f"{record.input_id}: {record.reason}", file=sys.stderr)
            continue
        if published is not None:
            record = replace(record, published_at=published, published_at_note="given on the command line")
        results.append(_extraction(record, resources))
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, ensure_ascii=False, indent=2, default=str))
    else:
        for result in results:
            print(_readable(result))
    return 0 if results else 1


def _published_override(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed, note = parse_published_at(value)
    if parsed is None:
        raise ValueError(f"--published {value!r}: {note}")
    return parsed


def _extraction(article: RawArticle, resources) -> dict:
    analysis = analyse_article(article, resources)
    counts = Counter(m["entity"] for m in analysis.mentions)
    doc = {k: v for k, v in analysis.document.items() if k not in ("text", "metadata")}
    doc["published_at"] = article.published_at.isoformat() if article.published_at else None
    sentences = {s["sentence_index"]: s["original"] for s in analysis.sentences}
    return {
        "document": doc,
        "entities": [
            {"name": name, "type": resources.lexicon.entities[name].type, "count": count}
            for name, count in counts.most_common()
        ],
        "times": [
            {
                "text": t["text"],
                "value": t["value"],
                "kind": t["kind"],
                "start": t["start"],
                "end": t["end"],
                "first_day": t["first_day"],
                "last_day": t["last_day"],
                "precision": t["precision"],
                "method": t["method"],
                "approximate": t["approximate"],
                "resolution": t["resolution"],
                "sentence": sentences.get(t["sentence_index"], ""),
            }
            for t in analysis.times
        ],
        "events": [
            {
                k: r[k]
                for k in (
                    "kind",
                    "a",
                    "b",
                    "domain",
                    "action",
                    "date",
                    "date_resolution",
                    "trigger",
                    "evidence",
                    "start",
                    "end",
                    "sentence_index",
                    "rule",
                    "confidence",
                )
            }
            | {"reports": 1 + sum(1 for o in analysis.event_reports if o["merged_into"] == r["report_index"])}
            for r in analysis.event_reports
            if r["merged_into"] is None
        ],
    }


def _readable(result: dict) -> str:
    doc = result["document"]
    lines = [f"{doc['title']}  ({doc['input_id']}, {doc['script']}, published {doc['published_at'] or 'unknown'})"]
    lines.append("entities: " + ", ".join(f"{e['name']}×{e['count']}" for e in result["entities"][:20]))
    lines.append("time expressions:")
    lines += [f"  {t['text']} → {t['value'] or '—'}  ({t['resolution']})" for t in result["times"]]
    lines.append("events:")
    for e in result["events"]:
        lines.append(
            f"  {e['date'] or 'undated'}  {e['a']} – {e['b'] or ''}  {e['domain']}/{e['action']} [{e['kind']}]"
            f"  rule: {e['rule']}, confidence {e['confidence']:.2f}"
        )
        lines.append(f"      date: {e['date_resolution']}")
        lines.append(f"      {e['evidence']}")
    return "\n".join(lines)


def _evaluate(args: argparse.Namespace) -> int:
    result = ev.evaluate_folder(args.gold, args.docs)
    _print_scores(result)
    return 0


def _print_scores(result: ev.Evaluation) -> None:
    events, times = result.events, result.times
    if result.has_events:
        print(
            f"events: precision {events.precision:.3f}  recall {events.recall:.3f}  F1 {events.f1:.3f}"
            f"  ({events.true_positives} of {events.required} required found, {events.predicted} counted predictions)"
        )
        for name, score in result.by_article.items():
            if not score.missed and not score.false:
                continue
            print(f"  {name}: {score.true_positives} of {score.required} found, {len(score.false)} extra")
            for gold in score.missed:
                print(
                    f"    missed: {'/'.join(gold['a'])} – {'/'.join(gold['b'])} {gold['domain']}/{gold['action']}"
                    f" {gold['date']}: {gold['evidence']}"
                )
            for p in score.false:
                print(f"    extra:  {p.a} – {p.b} {p.domain}/{p.action} {p.date}: {p.evidence}")
    if result.has_times:
        print(f"time expressions: accuracy {times.accuracy:.3f}  ({times.passed} of {times.total})")
        for line in times.failures:
            print(f"  failed: {line['doc']}: {line['text']} expected {line['value']}, got {', '.join(line['got'])}")


def _collect(args: argparse.Namespace) -> int:
    from hutong.collect import Sources, collect, read_url_list, terminal_progress
    from hutong.fetch import Politeness

    for option, value in (("--max", args.max), ("--concurrency", args.concurrency), ("--max-bytes", args.max_bytes)):
        if value is not None and value < 1:
            raise ValueError(f"{option} must be at least 1")
    if args.rate < 0 or args.timeout <= 0:
        raise ValueError("--rate must be at least 0 and --timeout above 0")
    if args.feeds is not None:
        sources = Sources(listings=tuple(read_url_list(args.feeds)), origin=str(args.feeds))
    elif args.urls is not None:
        sources = Sources(pages=tuple(read_url_list(args.urls)), origin=str(args.urls))
    else:
        sources = Sources(listings=(args.sitemap,))
    if not sources.listings and not sources.pages:
        listed = args.feeds or args.urls
        raise ValueError(f"no URLs in {listed}: add one a line (lines starting with # are comments)")
    since, note = parse_published_at(args.since) if args.since else (None, "")
    if args.since and since is None:
        raise ValueError(f"--since {args.since!r}: {note}")
    politeness = Politeness(rate=args.rate, timeout=args.timeout, max_bytes=args.max_bytes)
    if args.user_agent:
        politeness = replace(politeness, user_agent=args.user_agent)
    quiet = args.verbosity == "quiet"
    progress = terminal_progress() if progress_bar_shown(quiet=quiet) else None
    result = collect(
        sources,
        args.out,
        politeness=politeness,
        since=since,
        max_pages=args.max,
        concurrency=args.concurrency,
        progress=progress,
    )
    if progress is not None:
        print(file=sys.stderr)
    if not quiet:
        print(result.summary_line())
    return 0
