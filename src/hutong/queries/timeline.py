"""The partnership timeline: the filtered events, their reports, and the bars and marks the chart draws."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from hutong.normalise import to_simplified
from hutong.queries.filters import (
    CorpusFilter,
    dated_events,
    query_frame,
    with_periods,
)
from hutong.timeline import EVENT_KEYS, action_step, group_key, milestone_mark, row_key


def events(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, dates: bool = True) -> pd.DataFrame:
    """The events passing the filters, with `when` (the period start) and `precision` of their date.

    Entities match either party; the article filters keep an event reported in at least one kept article;
    the date range applies to the event's own date (undated events drop out)."""
    sql, params = dated_events(con, filt, dates=dates)
    frame = query_frame(con, f'SELECT * EXCLUDE ("when") FROM ({sql}) ORDER BY event_id', params)
    return with_periods(frame)


def event(con: duckdb.DuckDBPyConnection, event_id: str | None) -> dict | None:
    """One event with `when` and `precision`, or None."""
    frame = query_frame(con, "SELECT * FROM events WHERE event_id = ?", [event_id or ""])
    return None if frame.empty else with_periods(frame).iloc[0].to_dict()


def event_reports(
    con: duckdb.DuckDBPyConnection, event_ids: Iterable[str], *, limit: int | None = None
) -> pd.DataFrame:
    """The reports of the given events (every one, or the first `limit`), with its article's title, source,
    time and link, and the evidence sentence in both scripts (for highlighting); each event's first report
    (the one the timeline shows) comes first, then the others by publication time."""
    ids = list(event_ids)
    # which reports, in order, from light columns; then every column of those alone (an event may have thousands)
    chosen = query_frame(
        con,
        """WITH r AS (SELECT event_id, doc_id, report_index FROM report_events WHERE list_contains(?, event_id))
           SELECT r.doc_id, r.report_index, row_number() OVER (ORDER BY r.event_id,
                      (r.doc_id = e.first_doc_id AND r.report_index = e.first_report_index) DESC,
                      d.published_at, r.doc_id, r.report_index) AS n
           FROM r JOIN (SELECT event_id, first_doc_id, first_report_index FROM events
                        WHERE list_contains(?, event_id)) e USING (event_id)
           JOIN (SELECT doc_id, published_at FROM documents WHERE doc_id IN (SELECT doc_id FROM r)) d USING (doc_id)
           QUALIFY n <= ?""",
        [ids, ids, limit if limit is not None else 2**62],
    )
    reports = query_frame(
        con,
        """SELECT r.*, d.title, d.source, d.url, d.published_at
           FROM (SELECT * FROM event_reports WHERE list_contains(?, event_id) AND list_contains(?, doc_id)) r
           JOIN (SELECT doc_id, title, source, url, published_at FROM documents WHERE list_contains(?, doc_id)) d
             USING (doc_id)""",
        [ids, *[chosen["doc_id"].unique().tolist()] * 2],
    )
    reports = chosen.merge(reports, on=["doc_id", "report_index"]).sort_values("n").drop(columns="n")
    # the evidence is the sentence as written; simplified the way the store's sentences are
    simplified = [to_simplified(e) if isinstance(e, str) else None for e in reports["evidence"]]
    return reports.assign(sentence_simplified=simplified, sentence_original=reports["evidence"]).reset_index(drop=True)


def partnership_timeline(
    events_frame: pd.DataFrame,
    *,
    until: date | None,
    groups: Mapping[str, str],
    rows: set[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bars, marks) of the timeline: one row per pair of parties and domain, one per milestone maker.

    A bar runs from a start to the next end of its row, or to `until` (the last article day) while
    still open. A group and its member are one relationship: an end with no start in its own row that finds
    the latest earlier start of the same pair at group level (微信 – 京东 ends the traffic partnership
    腾讯 – 京东 started) is drawn in that start's row and closes its bar, so the two rows cannot contradict
    each other; failing that it is marked as an end without a known start. A plan followed by a start in its
    row is marked fulfilled; a milestone is marked as a regulator's or a company's (timeline.milestone_mark).
    Every dated event is also a mark, so each can be clicked. With `rows` (row keys, see timeline.row_key),
    only those rows are drawn (and the rows their ends moved to); other events can still lend their starts.
    """
    bar_columns = ["row", "domain", "start", "end", "open", "start_event", "end_event", "inherited_from"]
    mark_columns = ["row", "domain", "when", "mark", "event_id"]
    dated = events_frame[events_frame["when"].notna()].copy()
    if dated.empty:
        return pd.DataFrame(columns=bar_columns), pd.DataFrame(columns=mark_columns)
    if "rule" not in dated:
        dated["rule"] = None
    dated["order"] = dated["action"].map(action_step)
    dated = dated.sort_values(["when", "order", "event_id"])
    records = _records(dated, ["event_id", "kind", "a", "b", "domain", "action", "when", "rule"])
    bars, marks = [], []
    by_row = _rows_with_group_ends(records, groups)
    for row, (key, row_events, moved, origins) in by_row.items():
        if rows is not None and key not in rows and not origins & rows:
            continue
        if row_events[0].kind == "milestone":
            marks += [(row, e.domain, e.when, milestone_mark(e.rule), e.event_id) for e in row_events]
            continue
        opened = None
        plans: list[int] = []  # the plans of the row not yet followed by a start, as positions in marks
        for e in row_events:
            if e.action == "start":
                opened = opened or e
                marks.append((row, e.domain, e.when, "start", e.event_id))
                for position in plans:
                    marks[position] = (*marks[position][:3], "planned_fulfilled", marks[position][4])
                plans = []
            elif e.action == "planned":
                plans.append(len(marks))
                marks.append((row, e.domain, e.when, "planned", e.event_id))
            elif opened is not None:
                inherited = opened.event_id if e.event_id in moved else None
                bars.append((row, e.domain, opened.when, e.when, False, opened.event_id, e.event_id, inherited))
                marks.append((row, e.domain, e.when, "end", e.event_id))
                opened = None
            else:
                marks.append((row, e.domain, e.when, "end_without_start", e.event_id))
        if opened is not None:
            end = max(until or opened.when, opened.when)
            bars.append((row, opened.domain, opened.when, end, True, opened.event_id, None, None))
    return pd.DataFrame(bars, columns=bar_columns), pd.DataFrame(marks, columns=mark_columns)


def _rows_with_group_ends(records: list, groups: Mapping[str, str]) -> dict[tuple, tuple[tuple, list, set, set]]:
    """The events of each row as drawn (see _row_keys): {drawn row: (row key, events in order, the ids of the
    ends moved into it, the row keys they came from)}. An end with no earlier start in its own row goes to the row of the latest earlier
    start of the same pair at group level, when there is one (see partnership_timeline)."""
    drawn = dict(zip((r.event_id for r in records), _row_keys(records)))
    by_row: dict[tuple, tuple[tuple, list, set, set]] = {}
    started: set[tuple] = set()
    starts = _starts_by_groups(records, groups)
    for e in records:
        key = row_key(e.kind, e.a, e.b, e.domain)
        row = drawn[e.event_id]
        origin = None
        if e.kind != "milestone" and e.action == "start":
            started.add(key)
        elif e.kind != "milestone" and e.action == "end" and key not in started:
            start = _group_level_start(e, starts, groups)
            if start is not None and row_key(start.kind, start.a, start.b, start.domain) != key:
                origin, key, row = key, row_key(start.kind, start.a, start.b, start.domain), drawn[start.event_id]
        entry = by_row.setdefault(row, (key, [], set(), set()))
        entry[1].append(e)
        if origin is not None:
            entry[2].add(e.event_id)
            entry[3].add(origin)
    return by_row


def _records(frame: pd.DataFrame, columns: list[str]) -> list:
    """Rows as light named tuples, built from whole columns: DataFrame.itertuples on pandas 3 costs
    far more per row (it made the timeline take seconds at a thousand events)."""
    record = namedtuple("Record", columns)
    return [record(*values) for values in zip(*(frame[c].tolist() for c in columns))]


def _row_keys(dated: list) -> list[tuple]:
    """Each event's row as drawn: (first party, second party, domain) with the parties in the order the row's
    earliest event names them (rows are timeline.row_key, whose pair has either order); a milestone row is
    (maker, None, "milestone")."""
    first_order: dict[tuple, tuple] = {}
    keys = []
    for e in dated:
        if e.kind == "milestone":
            keys.append((e.a, None, "milestone"))
            continue
        first_order.setdefault(row_key(e.kind, e.a, e.b, e.domain), (e.a, e.b))
        keys.append((*first_order[row_key(e.kind, e.a, e.b, e.domain)], e.domain))
    return keys


def _starts_by_groups(records: list, groups: Mapping[str, str]) -> dict[tuple, list]:
    """Start events by (domain, the pair's groups), so an end finds its candidates without a scan."""
    index: dict[tuple, list] = {}
    for s in (r for r in records if r.kind != "milestone" and r.action == "start"):
        key = group_key(s.kind, s.a, s.b, groups.get(s.a), groups.get(s.b), s.domain)
        index.setdefault(key, []).append(s)
    return index


def _group_level_start(end_event, starts: dict[tuple, list], groups: Mapping[str, str]):
    """The latest start, on or before the end, of the same domain between the same parties or their groups."""

    def sides(name):
        return {name, groups.get(name, name)}

    a_sides, b_sides = sides(end_event.a), sides(end_event.b)
    e = end_event
    key = group_key(e.kind, e.a, e.b, groups.get(e.a), groups.get(e.b), e.domain)
    best = None
    for s in starts.get(key, ()):
        if s.when > end_event.when:
            continue
        if (s.a in a_sides and s.b in b_sides) or (s.a in b_sides and s.b in a_sides):
            if best is None or s.when > best.when:
                best = s
    return best


@dataclass(frozen=True)
class Timeline:
    """The partnership timeline as the page draws it: the rows with the most reports, as many as fit in a
    number of events, and how many there are in all."""

    bars: pd.DataFrame
    marks: pd.DataFrame
    events: pd.DataFrame  # every event behind the bars and marks
    rows: int
    total_rows: int
    total_events: int


def timeline(
    con: duckdb.DuckDBPyConnection,
    filt: CorpusFilter,
    *,
    groups: Mapping[str, str],
    until: date | None,
    max_events: int = 1200,
    max_rows: int = 40,
) -> Timeline:
    """The partnership timeline of the filtered events, drawn for the rows with the most reports: as many
    as hold max_events dated events between them (at least one row, at most max_rows). A bar that inherits
    its start from another row (see partnership_timeline) finds it among the starts of rows whose parties
    belong to the same groups (as the store names them), which come along for the rows with an end."""
    sql, params = dated_events(con, filt, dates=True, keyed=True)
    # rows ranked from integer keys alone (hutong.timeline.hold_events); names only for the events that come along
    chosen = query_frame(
        con,
        f"""WITH keys AS MATERIALIZED (
                SELECT e.event_number, e.timeline_row, e.timeline_group, e.reports, e.action = 'end' AS ends,
                       e.kind <> 'milestone' AND e.action = 'start' AS starts
                FROM ({sql}) e WHERE e."when" IS NOT NULL),
              timeline_rows AS (
                SELECT timeline_row, count(*) AS events, sum(reports) AS reports,
                       any_value(timeline_group) AS timeline_group, bool_or(ends) AS has_end
                FROM keys GROUP BY timeline_row),
              ranked AS (
                SELECT *, row_number() OVER most_reported AS rank, sum(events) OVER most_reported AS running
                FROM timeline_rows WINDOW most_reported AS (ORDER BY reports DESC, events DESC, timeline_row)),
              shown AS (SELECT timeline_row, timeline_group, has_end FROM ranked
                        WHERE rank <= ? AND (rank = 1 OR running <= ?)),
              wanted AS (
                SELECT event_number, timeline_row IN (SELECT timeline_row FROM shown) AS in_shown_row FROM keys
                WHERE timeline_row IN (SELECT timeline_row FROM shown)
                   OR (starts AND timeline_group IN (SELECT timeline_group FROM shown WHERE has_end)))
            SELECT e.event_id, e.event_number, e.kind, e.a, e.b, e.domain, e.action, e.date, e.rule, w.in_shown_row,
                   t.total_rows, t.total_events
            FROM events_keyed e JOIN wanted w USING (event_number),
                 (SELECT count(*) AS total_rows, sum(events) AS total_events FROM timeline_rows) t""",
        [*params, max_rows, max_events],
    )
    shown_events = chosen[chosen["in_shown_row"]]
    shown = {
        row_key(kind, a, b, domain)
        for kind, a, b, domain in zip(
            shown_events["kind"], shown_events["a"], shown_events["b"], shown_events["domain"]
        )
    }
    bars, marks = partnership_timeline(with_periods(chosen), until=until, groups=groups, rows=shown)
    # every column (the evidence is most of the table) of the events drawn alone
    drawn = {*marks["event_id"], *bars["start_event"], *bars["end_event"].dropna()}
    numbers = sorted(int(n) for i, n in zip(chosen["event_id"], chosen["event_number"]) if i in drawn)
    frame = with_periods(
        query_frame(
            con,
            f"SELECT * EXCLUDE ({', '.join(EVENT_KEYS)}) FROM events_keyed "
            "WHERE event_number IN (SELECT unnest(?::BIGINT[])) ORDER BY event_id",
            [numbers],
        )
    )
    totals = chosen.iloc[0] if len(chosen) else {"total_rows": 0, "total_events": 0}
    return Timeline(bars, marks, frame, len(shown), int(totals["total_rows"]), int(totals["total_events"]))
