"""The page's queries on REPLICATED stores of 100k to 1M articles, made from a real store by copying its articles
under new ids (the same texts, terms, dates and events, each copy's events kept apart, or with --shared-events
reported by every copy), then bench_page's queries timed on each.

A real build of a million articles takes hours on this machine; a replicated store has the size, the segment
layout (as many segments as the real store) and the row counts of one, but its text statistics repeat (every
term, entity and sentence occurs K times as often), and its events are K times the real store's, none merged
across copies: more than a real corpus of that size would give (many articles report one event). So it shows
how each query's time grows with the rows it reads, not what a real corpus of that size would show.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_page import apptest_seconds, first_search_ms, time_views  # noqa: E402
from machine import describe_machine  # noqa: E402

from hutong import store  # noqa: E402
from hutong.lexicon import load_lexicon  # noqa: E402
from hutong.queries import filters  # noqa: E402

_ROW_GROUPS = {"documents": 20_000, "search": 8_192}


def _copy_ids(ids: pa.Array, k: int) -> pa.Array:
    """Copy k's article ids: copy 0 keeps them; copy k puts 'x' and k in place of their first four hex digits."""
    if k == 0:
        return ids
    return pc.binary_join_element_wise(f"x{k:03d}", pc.utf8_slice_codeunits(ids, 4), "")


def _copy_event_ids(ids: pa.Array, k: int, events: int) -> pa.Array:
    """Each copy's events numbered after the previous copy's, in one width, so that ids sort as they number."""
    numbers = pc.add(pc.cast(pc.utf8_slice_codeunits(ids, 1), pa.int64()), k * events)
    return pc.binary_join_element_wise("e", pc.utf8_lpad(pc.cast(numbers, pa.string()), width=8, padding="0"), "")


def _replaced(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), values)


def _write_copies(source: Path, target: Path, copies: int, copy: Callable[[pa.Table, int], pa.Table]) -> None:
    """Each copy of a table after the other, so that each keeps the order the build wrote (by day, by entity):
    a row group holds the rows of one copy, with the narrow ranges the build's order gives."""
    table = pq.read_table(source)
    rows = _ROW_GROUPS.get(source.stem, store.ROW_GROUP_ROWS)
    with pq.ParquetWriter(target, table.schema) as writer:
        for k in range(copies):
            writer.write_table(copy(table, k), row_group_size=rows)


def replicate(base: Path, out: Path, copies: int, *, shared_events: bool = False) -> float:
    """Write a store of `copies` copies of base's articles into out; seconds taken. Each copy's events are
    its own (K times the base's events), or with shared_events the copies' reports are of the base's events
    (as many events as the base, each reported K times: many articles reporting the same events)."""
    start = time.perf_counter()
    for segment in store.segment_dirs(base):
        target = out / store.SEGMENTS_DIR / segment.name
        target.mkdir(parents=True)
        for name in store.SEGMENT_FILES:
            source = segment / f"{name}.parquet"
            if name in store.DAY_SUMS:  # one row per key and day, as a real segment of the copies would have
                table = pq.read_table(source)
                for column in set(table.column_names) - set(store.DAY_SUMS[name]):
                    table = _replaced(table, column, pc.multiply(table[column], copies))
                pq.write_table(table, target / source.name, row_group_size=store.ROW_GROUP_ROWS)
                continue
            _write_copies(
                source, target / source.name, copies, lambda t, k: _replaced(t, "doc_id", _copy_ids(t["doc_id"], k))
            )
    events = pq.read_metadata(base / "events.parquet").num_rows

    def copy_events(table: pa.Table, k: int) -> pa.Table:
        table = _replaced(table, "event_id", _copy_event_ids(table["event_id"], k, events))
        doc_column = "first_doc_id" if "first_doc_id" in table.column_names else "doc_id"
        return _replaced(table, doc_column, _copy_ids(table[doc_column], k))

    if shared_events:
        table = pq.read_table(base / "events.parquet")
        for column in ("reports", "articles"):
            table = _replaced(table, column, pc.multiply(table[column], copies))
        pq.write_table(table, out / "events.parquet")
        _write_copies(
            base / "report_events.parquet",
            out / "report_events.parquet",
            copies,
            lambda t, k: _replaced(t, "doc_id", _copy_ids(t["doc_id"], k)),
        )
    else:
        for name in ("events", "report_events"):
            _write_copies(base / f"{name}.parquet", out / f"{name}.parquet", copies, copy_events)
    os.link(base / "inputs.parquet", out / "inputs.parquet")
    os.link(base / "userdict.txt", out / "userdict.txt")
    summary = store.read_summary(base)
    summary = {
        **summary,
        "ingested": summary["ingested"] * copies,
        "files_seen": summary["files_seen"] * copies,
        "replicated": f"{copies} copies of {base}",
    }
    (out / "report.json").write_text(json.dumps({"summary": summary, "inputs": []}, ensure_ascii=False), "utf-8")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="a real store (e.g. built by bench/bench_memory.py)")
    parser.add_argument("--copies", type=int, nargs="+", default=[5, 12, 50])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--apptest", action="store_true", help="also the whole page, cold and warm (AppTest)")
    parser.add_argument("--work", type=Path, help="where to write the stores (default: a temporary folder)")
    parser.add_argument(
        "--shared-events",
        action="store_true",
        help="the copies report the base's events (default: each copy has its own, K times the base's events)",
    )
    args = parser.parse_args()
    lexicon = load_lexicon()
    print(f"machine: {describe_machine()}")
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        for copies in args.copies:
            out = Path(tmp) / f"x{copies}"
            seconds = replicate(args.base, out, copies, shared_events=args.shared_events)
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**30
            start = time.perf_counter()
            con = filters.connect(out)
            connect_seconds = time.perf_counter() - start
            articles = con.execute("SELECT count(*) FROM documents").fetchone()[0]
            events = con.execute("SELECT count(*) FROM events").fetchone()[0]
            searches = first_search_ms(con, ["支付宝开放", "互联互通", "闭环", "京東", "LatePost"])
            first_asks: dict[str, float] = {}
            table = time_views(con, lexicon, args.repeat, first_asks=first_asks)
            con.close()
            pages = apptest_seconds(out) if args.apptest else None
            views = list(next(iter(table.values())))
            print(
                f"\nREPLICATED store: {copies} copies of {args.base} = {articles:,} articles, {events:,} events "
                f"({'shared by the copies' if args.shared_events else 'each copy its own'}), "
                f"{len(store.segment_dirs(out))} segments, {size:.1f} GiB, written in {seconds:.0f} s; "
                f"load average {os.getloadavg()[0]:.1f}; median of {args.repeat} runs, ms"
            )
            print(f"| query | {' | '.join(views)} |")
            print("|---|" + "---|" * len(views))
            for name, by_view in table.items():
                print(f"| {name} | {' | '.join(f'{by_view[v]:.0f}' for v in views)} |")
            medians = [statistics.median(by_view[v] for by_view in table.values()) for v in views]
            slowest = [max(by_view[v] for by_view in table.values()) for v in views]
            print(f"| **median over queries** | {' | '.join(f'{m:.0f}' for m in medians)} |")
            print(f"| **slowest query** | {' | '.join(f'{m:.0f}' for m in slowest)} |")
            print(f"free-text search of a text not searched before: {searches:.0f} ms")
            print(f"opening the store (its {events:,} events held in memory): {connect_seconds:.1f} s")
            print(
                "a view's queries first asked on the connection (the matrix's replay, a filter's articles), ms: "
                + ", ".join(f"{v} {ms:.0f}" for v, ms in first_asks.items())
            )
            if pages:
                print(f"whole page (AppTest), default view: cold {pages[0]:.2f} s, warm {pages[1]:.2f} s")
            sys.stdout.flush()
            for path in sorted(out.rglob("*"), reverse=True):  # free the disk before the next, larger copy
                path.unlink() if path.is_file() else path.rmdir()


if __name__ == "__main__":
    main()
