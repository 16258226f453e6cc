"""The partnership timeline's rules, each written once (in Python, with its SQL twin beside it): a period's
start, the action order, a timeline row's and group's key; and the corpus-wide merge of the articles' reports
into events, which writes the store's events and report_events tables."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hutong import store

# ---- a period's start: the first day of a date written at year, month or day precision ----------------

# "2011", "2024-10", "2024-10-29"; ASCII digits only, as in SQL
_DATE_PATTERN = "([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?"
_DATE_VALUE = re.compile(_DATE_PATTERN)
_PRECISION = {1: "year", 2: "month", 3: "day"}


def period_start(value) -> date | None:
    """The first day of a date written at year, month or day precision; None for anything else."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    match = _DATE_VALUE.fullmatch(str(value))
    if not match:
        return None
    year, month, day = (int(p) if p else 1 for p in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def period_end(value) -> date | None:
    """The last day of a date written at year, month or day precision; None for anything else."""
    start = period_start(value)
    if start is None:
        return None
    kind = precision(value)
    if kind == "year":
        return date(start.year, 12, 31)
    if kind == "month":
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    return start


def period_start_sql(column: str) -> str:
    """SQL for period_start of a VARCHAR column (NULL where period_start gives None)."""
    # year 0000 is 1 BC to DuckDB and no year to Python's date
    return f"""CASE WHEN regexp_full_match({column}, '{_DATE_PATTERN}') AND NOT starts_with({column}, '0000')
                    THEN try_cast({column} || CASE length({column}) WHEN 4 THEN '-01-01' WHEN 7 THEN '-01' ELSE ''
                                               END AS DATE)
               END"""


def precision(value) -> str | None:
    """year, month or day: how precisely a date is written; None for anything else."""
    match = _DATE_VALUE.fullmatch(value) if isinstance(value, str) else None
    return _PRECISION[sum(1 for p in match.groups() if p)] if match else None


# ---- the action order: on one day, a start comes before a plan, and a plan before an end -----------------

ACTION_ORDER = ("start", "planned", "end")


def action_step(action: str | None) -> int:
    """An action's place in ACTION_ORDER (any other action after them)."""
    return ACTION_ORDER.index(action) if action in ACTION_ORDER else len(ACTION_ORDER)


def action_step_sql(column: str) -> str:
    """SQL for action_step of a VARCHAR column."""
    steps = " ".join(f"WHEN '{action}' THEN {step}" for step, action in enumerate(ACTION_ORDER))
    return f"CASE {column} {steps} ELSE {len(ACTION_ORDER)} END"


# ---- what a milestone is: a regulator's (召开, 印发 …) or a company's own launch --------------------------


def milestone_mark(rule: str | None) -> str:
    """The mark of a milestone by the pattern that found it: a company launching its own service (rule
    "launch") or, for any other, a regulator's milestone."""
    return "milestone_company" if rule == "launch" else "milestone_regulatory"


# ---- a timeline row, a timeline group, and the merge's key --------------------------------------------


def _name(value) -> str | None:
    """A party's or group's name; None for a missing one (None, or NaN from a frame)."""
    return value if isinstance(value, str) else None


def row_key(kind: str, a: str, b: str | None, domain: str | None) -> tuple:
    """An event's timeline row: a pair of parties in either order and a domain, or a milestone's maker."""
    if kind == "milestone":
        return (a, "", "milestone")
    second = _name(b) or ""
    return (min(a, second), max(a, second), domain)


ROW_KEY_SQL = (
    "CASE WHEN kind = 'milestone' THEN a ELSE least(a, coalesce(b, '')) END",
    "CASE WHEN kind = 'milestone' THEN '' ELSE greatest(a, coalesce(b, '')) END",
    "CASE WHEN kind = 'milestone' THEN 'milestone' ELSE domain END",
)


def group_key(kind: str, a: str, b: str | None, a_group: str | None, b_group: str | None, domain) -> tuple | None:
    """An event's timeline group: the domain and the pair's groups (a party without one is its own), whose
    starts an end in another row of the group may take; None for a milestone."""
    if kind == "milestone":
        return None
    pair = (_name(a) if _name(a_group) is None else a_group, _name(b) if _name(b_group) is None else b_group)
    sides = [side for side in pair if side is not None]
    return (domain, min(sides, default=None), max(sides, default=None))  # as SQL's least and greatest, blind to NULL


GROUP_KEY_SQL = (
    "domain",
    "CASE WHEN kind = 'milestone' THEN NULL ELSE least(coalesce(a_group, a), coalesce(b_group, b)) END",
    "CASE WHEN kind = 'milestone' THEN NULL ELSE greatest(coalesce(a_group, a), coalesce(b_group, b)) END",
)


@dataclass(frozen=True)
class Report:
    """A report of an event that no other report of its article restates, as the corpus-wide merge reads it."""

    doc_id: str
    report_index: int
    kind: str
    a: str
    b: str | None
    a_group: str
    b_group: str | None
    domain: str
    action: str
    date: str | None
    date_resolution: str
    rule: str | None = None
    confidence: float | None = None


def merge_key(r: Report) -> tuple:
    """Reports can only state the same event when these agree: kind, action, domain and the two parties."""
    return r.kind, r.action, r.domain, min(r.a, r.b or ""), max(r.a, r.b or "")


MERGE_KEY_SQL = ("kind", "action", "domain", "least(a, coalesce(b, ''))", "greatest(a, coalesce(b, ''))")
# merge_key as one string, for grouping in SQL (a NULL domain kept apart from every named one)
_MERGE_KEY_ID = "concat_ws(chr(1), {}) AS merge_key".format(
    ", ".join("coalesce(domain, chr(2))" if c == "domain" else c for c in MERGE_KEY_SQL)
)


# ---- the corpus-wide merge ------------------------------------------------------------------------------


def merge_reports(reports: Iterable[Report]) -> tuple[list[dict], list[tuple[str, int, int]]]:
    """One merge key's reports (earliest published first) as events, and each report's event.

    A report joins the first event whose date is compatible with its own (equal, or one a prefix of the
    other); an event's date is that of its earliest-published report that has one; its confidence is the
    highest of its reports' (several patterns agreeing make it no less sure), its rule that report's rule
    (the earliest-published of equals). Returns (events,
    [(doc_id, report_index, event position)]).
    """
    events: list[dict] = []
    assigned = []
    index = _EventDates()
    for r in reports:
        position = index.first_compatible(r.date, len(events))
        if position is None:
            position = len(events)
            events.append(
                {
                    "kind": r.kind,
                    "a": r.a,
                    "b": r.b,
                    "a_group": r.a_group,
                    "b_group": r.b_group,
                    "domain": r.domain,
                    "action": r.action,
                    "date": r.date,
                    "date_resolution": r.date_resolution,
                    "first_doc_id": r.doc_id,
                    "first_report_index": r.report_index,
                    "rule": r.rule,
                    "confidence": r.confidence,
                }
            )
            index.add(position, r.date)
            assigned.append((r.doc_id, r.report_index, position))
            continue
        event = events[position]
        if r.confidence is not None and (event["confidence"] is None or r.confidence > event["confidence"]):
            event["rule"], event["confidence"] = r.rule, r.confidence
        if events[position]["date"] is None and r.date:
            events[position]["date"], events[position]["date_resolution"] = r.date, r.date_resolution
            index.date_found(position, r.date)
        assigned.append((r.doc_id, r.report_index, position))
    return events, assigned


class _EventDates:
    """Where a merge key's events are by date, so that the first event compatible with a date (one a prefix
    of the other) is found in a few lookups rather than by trying every event: a key can hold thousands."""

    def __init__(self) -> None:
        self.undated: list[int] = []  # positions of the events with no date, in order
        self.dated: dict[str, int] = {}  # a date → the first event with exactly that date
        self.extending: dict[str, int] = {}  # a prefix → the first event whose date starts with it

    def first_compatible(self, date: str | None, events: int) -> int | None:
        if date is None:
            return 0 if events else None  # no date: compatible with any
        found = [self.dated.get(date[:n]) for n in range(1, len(date) + 1)]
        found += [self.extending.get(date), self.undated[0] if self.undated else None]
        return min((p for p in found if p is not None), default=None)

    def add(self, position: int, date: str | None) -> None:
        if date is None:
            self.undated.append(position)
            return
        _keep_first(self.dated, date, position)
        for n in range(1, len(date) + 1):
            _keep_first(self.extending, date[:n], position)

    def date_found(self, position: int, date: str) -> None:
        self.undated.remove(position)
        self.add(position, date)


def _keep_first(first: dict[str, int], key: str, position: int) -> None:
    if key not in first or position < first[key]:
        first[key] = position


_EVENT_SCHEMA = pa.schema(
    [
        ("event", pa.int64()),
        ("kind", pa.string()),
        ("a", pa.string()),
        ("b", pa.string()),
        ("a_group", pa.string()),
        ("b_group", pa.string()),
        ("domain", pa.string()),
        ("action", pa.string()),
        ("date", pa.string()),
        ("date_resolution", pa.string()),
        ("first_doc_id", pa.string()),
        ("first_report_index", pa.int64()),
        ("rule", pa.string()),
        ("confidence", pa.float64()),
    ]
)
_ASSIGNED_SCHEMA = pa.schema([("doc_id", pa.string()), ("report_index", pa.int64()), ("event", pa.int64())])


def merge_events(
    store_dir: Path, *, previous_dir: Path | None = None, changed_doc_ids: list[str] | None = None
) -> None:
    """Write the corpus-wide events and each report's event (report_events) of the store being built in
    store_dir, streamed merge key by merge key through DuckDB so that memory stays bounded however many
    reports there are.

    Reports can only state the same event under one merge key, so with a previous store (previous_dir) and the articles
    added or dropped since (`changed_doc_ids`), only the keys those articles report under are merged again;
    the other keys' events and assignments are taken over as they were. Either way every event is numbered
    again, by when it was first reported, as a full build numbers it."""
    con = store.build_connection(store_dir)
    store.segment_views(con, store_dir, ("event_reports", "documents"))
    incremental = previous_dir is not None and changed_doc_ids is not None
    if incremental:
        old_reports = store.sql_files(store.table_files(previous_dir, "event_reports"))
        con.execute("CREATE TEMP TABLE changed AS SELECT unnest(?::VARCHAR[]) AS doc_id", [changed_doc_ids])
        con.execute(f"""CREATE TEMP TABLE touched AS
                        SELECT DISTINCT {_MERGE_KEY_ID} FROM (
                            SELECT * FROM read_parquet({old_reports}) UNION ALL BY NAME SELECT * FROM event_reports)
                        WHERE merged_into IS NULL AND doc_id IN (SELECT doc_id FROM changed)""")
        only_touched = "AND r.merge_key IN (SELECT merge_key FROM touched)"
    else:
        only_touched = ""
    events_path, assigned_path = store_dir / "merged_events.parquet", store_dir / "merged_assigned.parquet"
    cursor = con.execute(
        f"""SELECT r.doc_id, r.report_index, r.kind, r.a, r.b, r.a_group, r.b_group, r.domain, r.action,
                   r.date, r.date_resolution, r.rule, r.confidence
            FROM (SELECT *, {_MERGE_KEY_ID} FROM event_reports) r JOIN documents d USING (doc_id)
            WHERE r.merged_into IS NULL {only_touched}
            ORDER BY r.merge_key, d.published_at NULLS LAST, r.doc_id, r.report_index"""
    )
    with (
        _CountingWriter(events_path, _EVENT_SCHEMA) as events_out,
        _CountingWriter(assigned_path, _ASSIGNED_SCHEMA) as assigned_out,
    ):
        events, assigned = [], []
        for _, reports in groupby(_fetch(cursor, Report), key=merge_key):
            key_events, key_assigned = merge_reports(reports)
            base = len(events) + events_out.count
            events += [{"event": base + i, **event} for i, event in enumerate(key_events)]
            assigned += [(d, r, base + i) for d, r, i in key_assigned]
            if len(assigned) >= 100_000:
                events_out.write_batch_rows(events, _EVENT_SCHEMA)
                assigned_out.write_batch_rows(assigned, _ASSIGNED_SCHEMA)
                events, assigned = [], []
        events_out.write_batch_rows(events, _EVENT_SCHEMA)
        assigned_out.write_batch_rows(assigned, _ASSIGNED_SCHEMA)
        merged = events_out.count
    con.execute(f"CREATE TEMP TABLE merged AS SELECT * FROM read_parquet('{store.sql_path(events_path)}')")
    con.execute(f"CREATE TEMP TABLE assigned AS SELECT * FROM read_parquet('{store.sql_path(assigned_path)}')")
    if incremental:  # the events of the keys not merged again, numbered after the merged ones
        old_events = store.sql_files(store.table_files(previous_dir, "events"))
        old_report_events = store.sql_files(store.table_files(previous_dir, "report_events"))
        con.execute(f"""CREATE TEMP TABLE kept AS
                        SELECT {merged} + row_number() OVER (ORDER BY event_id) - 1 AS event, *
                        FROM (SELECT *, {_MERGE_KEY_ID} FROM read_parquet({old_events}))
                        WHERE merge_key NOT IN (SELECT merge_key FROM touched)""")
        con.execute(f"INSERT INTO merged SELECT {', '.join(_EVENT_SCHEMA.names)} FROM kept")
        con.execute(f"""INSERT INTO assigned
                        SELECT e.doc_id, e.report_index, k.event FROM read_parquet({old_report_events}) e
                        JOIN kept k USING (event_id)""")
    _write_event_tables(con, store_dir)
    con.close()
    events_path.unlink()
    assigned_path.unlink()


def _fetch(cursor: duckdb.DuckDBPyConnection, record: type) -> Iterator:
    while rows := cursor.fetchmany(50_000):
        for row in rows:
            yield record(*row)


class _CountingWriter(pq.ParquetWriter):
    """A ParquetWriter that counts its rows and writes lists of dicts or tuples."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = 0

    def write_batch_rows(self, rows: list, schema: pa.Schema) -> None:
        if not rows:
            return
        if isinstance(rows[0], dict):
            table = pa.Table.from_pylist(rows, schema=schema)
        else:
            table = pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(zip(*rows), schema)], schema=schema)
        self.write_table(table)
        self.count += len(rows)


def _write_event_tables(con: duckdb.DuckDBPyConnection, store_dir: Path) -> None:
    """events: the merged events (temp table `merged`) numbered by when they were first reported, with their
    evidence and counts; report_events: every report's event_id (a restatement takes that of the report it
    restates, from `assigned`), in event order, so that one event's reports are found without scanning all."""
    con.execute(
        """CREATE TEMP TABLE numbered AS
           SELECT m.event, printf('e%05d', row_number() OVER (
                      ORDER BY d.published_at NULLS LAST, m.first_doc_id, m.first_report_index)) AS event_id
           FROM merged m JOIN documents d ON d.doc_id = m.first_doc_id"""
    )
    con.execute(
        f"""COPY (SELECT n.event_id, r.doc_id, r.report_index
                  FROM (SELECT doc_id, report_index, merged_into FROM event_reports) r
                  JOIN assigned a ON a.doc_id = r.doc_id AND a.report_index = coalesce(r.merged_into, r.report_index)
                  JOIN numbered n USING (event)
                  ORDER BY n.event_id, r.doc_id, r.report_index)
            TO '{store.sql_path(store.table_files(store_dir, "report_events")[0])}' (FORMAT parquet)"""
    )
    report_events = store.sql_files(store.table_files(store_dir, "report_events"))
    con.execute(
        f"""COPY (SELECT n.event_id, m.kind, m.a, m.b, m.a_group, m.b_group, m.domain, m.action, m.date,
                         m.date_resolution, m.first_doc_id, m.first_report_index, r.evidence,
                         m.rule, m.confidence, c.reports, c.articles
                  FROM merged m JOIN numbered n USING (event)
                  JOIN (SELECT event_id, count(*) AS reports, count(DISTINCT doc_id) AS articles
                        FROM read_parquet({report_events}) GROUP BY event_id) c USING (event_id)
                  LEFT JOIN event_reports r ON r.doc_id = m.first_doc_id AND r.report_index = m.first_report_index
                  ORDER BY n.event_id)
            TO '{store.sql_path(store.table_files(store_dir, "events")[0])}' (FORMAT parquet)"""
    )


# ---- the events held in memory with integer keys, for the page's queries ------------------------------

EVENT_KEYS = ("event_number", "timeline_row", "timeline_group", "chronology", "period_start")


def hold_events(con: duckdb.DuckDBPyConnection, source: str = "events") -> None:
    """Hold the events (source: a table or view of them, e.g. the store's `events` view) in the connection's
    memory as `events_keyed`, with keys the page's queries compare as integers rather than strings at every
    run, and make `events` the same without them. The keys (EVENT_KEYS): `event_number`, in event_id order;
    `timeline_row`, numbered in the order of the row keys (row_key); `timeline_group`, numbered in the order
    of the group keys (group_key; none for a milestone); `chronology`, the order of events by their period
    start, then the action order, then event_id (what the matrix orders a cell by); and `period_start`, the
    period start of the date (period_start), worked out once here instead of at every query."""
    row = ", ".join(f"{sql} AS row_{n}" for n, sql in enumerate(ROW_KEY_SQL))
    group = ", ".join(f"{sql} AS group_{n}" for n, sql in enumerate(GROUP_KEY_SQL))
    row_columns, group_columns = "row_0, row_1, row_2", "group_0, group_1, group_2"
    # the keys are worked out on a narrow projection and joined to the events once: sorting the events
    # themselves (their evidence is most of their bytes) for each window took 2.7 × as long
    con.execute(f"""
        CREATE TABLE events_keyed AS
        WITH k AS MATERIALIZED (
                SELECT event_id, {period_start_sql("date")} AS period_start, {action_step_sql("action")} AS step,
                       {row}, {group}
                FROM {source}),
             timeline_rows AS (SELECT *, row_number() OVER (ORDER BY {row_columns}) AS timeline_row
                               FROM (SELECT DISTINCT {row_columns} FROM k)),
             timeline_groups AS (SELECT *, row_number() OVER (ORDER BY {group_columns}) AS timeline_group
                                 FROM (SELECT DISTINCT {group_columns} FROM k WHERE group_1 IS NOT NULL)),
             keys AS (
                SELECT k.event_id, row_number() OVER (ORDER BY k.event_id) AS event_number,
                       row_number() OVER (ORDER BY k.period_start, k.step, k.event_id) AS chronology,
                       k.period_start, timeline_rows.timeline_row, timeline_groups.timeline_group
                FROM k JOIN timeline_rows USING ({row_columns}) LEFT JOIN timeline_groups USING ({group_columns}))
        SELECT e.*, keys.* EXCLUDE (event_id) FROM {source} e JOIN keys USING (event_id)""")
    con.execute(f"CREATE OR REPLACE VIEW events AS SELECT * EXCLUDE ({', '.join(EVENT_KEYS)}) FROM events_keyed")
