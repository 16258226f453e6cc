"""The interoperability matrix: the state of every pair of parties and domain as of a day."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date

import duckdb
import pandas as pd

from hutong.queries.corpus import date_bounds
from hutong.queries.filters import (
    CorpusFilter,
    as_date,
    dated_events,
    event_dates,
    kept_answer,
    query_frame,
    with_periods,
)
from hutong.timeline import action_step_sql, period_end, period_start

MATRIX_STATES = ("none", "closed", "planned", "open")  # the heatmap's z is the index into this tuple


def as_of_range(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """The days the matrix can be shown as of: from the first dated event to the corpus's last day."""
    dated = [w for w in map(period_start, event_dates(con)) if w]
    if not dated:
        return None
    bounds = date_bounds(con)
    return min(dated), max([*dated, *(bounds[1:] if bounds else ())])


def _matrix_events(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, level: str, pair: tuple[str, str] | None = None
) -> tuple[str, list]:
    """SQL for the partnership events between two parties, entities or (level "group") their groups, whatever
    their date (the date range does not apply): event_id, domain, action, "when", step (start, plan, end,
    other: the order of one day's events) and the pair as p < q, with the event's other columns and keys;
    `cell`, the number of the pair and domain (the timeline's row or group, see hutong.timeline.hold_events).
    With `pair`, only the events of the timeline groups that pair's cells belong to: all that its cells' states
    depend on (see _lent_ends_sql)."""
    if level not in ("entity", "group"):
        raise ValueError(f"level must be entity or group, not {level!r}")
    x, y = ("coalesce(e.a_group, e.a)", "coalesce(e.b_group, e.b)") if level == "group" else ("e.a", "e.b")
    cell = "e.timeline_group" if level == "group" else "e.timeline_row"
    where = f"""e.kind <> 'milestone' AND e."when" IS NOT NULL AND {y} IS NOT NULL AND {x} <> {y}"""
    groups = None
    if pair is not None:  # the groups first, so that the events are read for them alone
        found = query_frame(
            con,
            f"""SELECT DISTINCT e.timeline_group FROM events_keyed e
                WHERE least({x}, {y}) = least(?, ?) AND greatest({x}, {y}) = greatest(?, ?)""",
            [*pair, *pair],
        )["timeline_group"].dropna()
        groups = [int(g) for g in found]
    sql, params = dated_events(con, filt, dates=False, keyed=True, groups=groups)
    return (
        f"""SELECT e.*, least({x}, {y}) AS p, greatest({x}, {y}) AS q, {cell} AS cell,
                   {action_step_sql("e.action")} AS step
            FROM ({sql}) e WHERE {where}""",
        params,
    )


def _lent_ends_sql(level: str) -> str:
    """SQL over `cell_events` adding, at entity level, a copy of every end with no earlier start in its own
    cell to each cell of the same domain and group pair that has a start: a group and its member are one
    relationship (微信 – 京东 ending the traffic link ends 腾讯 – 京东's too), as the timeline draws it. A copy
    carries its cell's first start (`first_start`, its chronology, and `first_start_when`): it belongs to the
    cell as of a day only once that start is on or before the day, and it closes the cell only if that start
    came before the end (one that came after opens the cell whatever came before it). Own events have NULL."""
    own = "SELECT *, NULL::BIGINT AS first_start, NULL::DATE AS first_start_when FROM cell_events"
    if level == "group":
        return own
    # "no earlier start in its own cell" as the cell's first start, not a join of each end with every start of
    # its cell: that join grows with the square of a cell's events (8 s for the matrix at 100,000 articles)
    return f"""WITH started AS (  -- each cell with a start, and its first
                SELECT cell, any_value(p) AS p, any_value(q) AS q, any_value(timeline_group) AS timeline_group,
                       min(chronology) AS first_start, min("when") AS first_start_when
                FROM cell_events WHERE action = 'start' GROUP BY cell)
              {own}
              UNION ALL
              SELECT o.* REPLACE (c.cell AS cell, c.p AS p, c.q AS q), c.first_start, c.first_start_when
              FROM cell_events o
              JOIN started c ON c.timeline_group = o.timeline_group AND c.cell <> o.cell
              LEFT JOIN started f ON f.cell = o.cell
              WHERE o.action = 'end' AND NOT coalesce(f.first_start < o.chronology, false)"""


def _state_changes(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, level: str) -> str:
    """The name of a table of every cell's history, from which its state as of any day is read: a row per
    event that changes the cell's state (`state`, and its "when", chronology `n` and `date`) and a row per
    cell and day from which more events count (`events`, how many; state NULL). The events of a cell are
    replayed in chronological order (by period start, so those on or before a day come first): the latest
    start or end decides (start → open, end → closed), a plan sets "planned" unless the connection is open;
    an event changes the state when it sets another than the one before it. The replay of every event is the
    slow part (seconds for millions of events): it runs once per filter and level and is kept with the
    connection (filters.kept_answer), so that another day or another cell of the same view reads only the
    changes. The date range does not apply to the matrix, so it is not part of the key."""
    cell_events_sql, params = _matrix_events(con, filt, level=level)
    history = f"""WITH cell_events AS ({cell_events_sql}),
          matrix_events AS ({_lent_ends_sql(level)}),
          ordered AS (
            SELECT cell, p, q, domain, action, "when", date, chronology AS n,
                   last_value(CASE WHEN action IN ('start', 'end') THEN action END IGNORE NULLS) OVER (
                       PARTITION BY cell ORDER BY chronology
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_start_or_end
            FROM matrix_events WHERE coalesce(first_start < chronology, true)),
          -- the events that set a state: every start and end, and a plan unless the connection is open
          settings AS (
            SELECT *, CASE action WHEN 'start' THEN 'open' WHEN 'end' THEN 'closed' ELSE 'planned' END AS state
            FROM ordered
            WHERE action IN ('start', 'end') OR (action = 'planned' AND last_start_or_end IS DISTINCT FROM 'start')),
          changes AS (
            SELECT cell, p, q, domain, "when", n, state, date, 0 AS events
            FROM settings QUALIFY state IS DISTINCT FROM lag(state) OVER (PARTITION BY cell ORDER BY n))
        SELECT * FROM changes
        UNION ALL
        SELECT cell, any_value(p), any_value(q), any_value(domain), greatest("when", first_start_when) AS "when",
               NULL, NULL, NULL, count(*)
        FROM matrix_events GROUP BY cell, greatest("when", first_start_when)"""
    return kept_answer(con, "matrix", _matrix_key(filt, level), history, params)


def _matrix_key(filt: CorpusFilter, *more: str) -> str:
    """What a matrix answer depends on: the filter but its date range (which the matrix ignores), and `more`."""
    return json.dumps(
        [*more, *(sorted(v) for v in (filt.sources, filt.entities, filt.domains, filt.actions)), filt.text,
         filt.min_confidence],
        ensure_ascii=False,
    )  # fmt: skip


def interop_matrix(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, as_of: date, level: str = "entity"
) -> pd.DataFrame:
    """The state of every pair of parties and domain as of a day: the latest partnership event on or
    before it decides (start → open, end → closed, planned → planned); a plan announced while the
    connection is open leaves it open; at entity level a member's end with no start of its own closes its
    group's connection too (see _lent_ends_sql). `since` is the day the state began and `since_date` the
    date of the event that began it as written ("2024"); `settled` is false while as_of falls inside that
    date's period (a link dated only 2024 is open sometime in 2024 as of 2024-06-01, and not before 2024).
    One row per pair and domain, both orders of the pair, with the number of events behind it."""
    history = _state_changes(con, filt, level=level)
    frame = query_frame(
        con,
        f"""WITH states AS (
                SELECT any_value(p) AS p, any_value(q) AS q, any_value(domain) AS domain,
                       coalesce(arg_max(state, n) FILTER (WHERE state IS NOT NULL), 'none') AS state,
                       max("when") FILTER (WHERE state IS NOT NULL) AS since,
                       arg_max(date, n) FILTER (WHERE state IS NOT NULL) AS since_date,
                       sum(events)::BIGINT AS events
                FROM {history} WHERE "when" <= ? GROUP BY cell)
            SELECT p AS row_party, q AS col_party, domain, state, since, since_date, events FROM states
            UNION ALL SELECT q, p, domain, state, since, since_date, events FROM states
            ORDER BY row_party, col_party, domain""",
        [as_of],
    )
    # a few distinct dates among many cells: each parsed once, then looked up for the cells column-wise
    dates = frame["since_date"].astype(object)
    ends = {d: period_end(d) for d in dates.dropna().unique()}
    end_of = dates.map(lambda d: ends.get(d) if isinstance(d, str) else None)
    settled = end_of.isna() | (end_of.where(end_of.notna(), as_of) <= as_of)
    days = {v: as_date(v) for v in frame["since"].unique()}
    return frame.assign(since=frame["since"].map(days).astype(object), settled=settled.astype(bool))


def matrix_parties(con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, level: str = "entity") -> list[str]:
    """Parties of partnership events, by group then name, so a group's members sit side by side; found once
    per filter and kept with the connection, as the matrix's history is (every event is read)."""
    sql, params = dated_events(con, filt, dates=False)
    parties = kept_answer(
        con,
        "matrix_parties",
        _matrix_key(filt),
        f"""WITH e AS ({sql}), sides AS (  -- each side's distinct names first: far fewer than the events
                SELECT DISTINCT a AS name, a_group AS grp FROM e WHERE kind <> 'milestone'
                UNION ALL SELECT DISTINCT b, b_group FROM e WHERE kind <> 'milestone')
            SELECT DISTINCT coalesce(grp, name) AS grp, name FROM sides WHERE name IS NOT NULL""",
        params,
    )
    frame = query_frame(con, f"SELECT grp, name FROM {parties} ORDER BY grp, name")
    if level == "group":
        return sorted(set(frame["grp"]))
    return frame["name"].tolist()


MATRIX_PARTIES = 16  # columns whose upright labels fit the matrix of a 1000 px page; the rest counted in a caption


def leading_parties(
    states: pd.DataFrame, parties: Sequence[str], *, limit: int = MATRIX_PARTIES, keep: Iterable[str] = ()
) -> list[str]:
    """The parties the matrix shows when there are too many to label: those in `keep` (picked in the sidebar, a
    clicked cell's) first, then the most active by events behind their cells (interop_matrix's `events`), then by
    name; in the order of `parties`, so a group's members still sit side by side."""
    kept = [p for p in dict.fromkeys(keep) if p in set(parties)]
    activity = states.groupby("row_party")["events"].sum() if not states.empty else pd.Series(dtype=int)
    by_activity = sorted(parties, key=lambda p: (-int(activity.get(p, 0)), p))
    chosen = set(kept) | set(by_activity[: max(limit - len(kept), 0)])
    return [p for p in parties if p in chosen]


CELL_COLUMNS = [
    "event_id", "date", "precision", "a", "b", "domain", "action", "evidence", "kind", "rule", "confidence",
    "date_resolution",
]  # fmt: skip


def cell_events(
    con: duckdb.DuckDBPyConnection, filt: CorpusFilter, *, row: str, col: str, as_of: date, level: str = "entity"
) -> pd.DataFrame:
    """The events behind one matrix cell as of a day, oldest first."""
    cell_events_sql, params = _matrix_events(con, filt, level=level, pair=(row, col))
    frame = query_frame(
        con,
        f"""WITH cell_events AS ({cell_events_sql})
            SELECT * EXCLUDE ("when", p, q, step, cell, first_start, first_start_when) FROM ({_lent_ends_sql(level)})
            WHERE p = least(?, ?) AND q = greatest(?, ?) AND "when" <= ? AND coalesce(first_start_when <= ?, true)
            ORDER BY "when", event_id""",
        [*params, row, col, row, col, as_of, as_of],
    )
    return with_periods(frame)[CELL_COLUMNS].reset_index(drop=True)
