"""Analysts' corrections of events, as data: read and check a corrections CSV, find the events each one
names (by a report of the event, which a rebuild keeps, never by an event_id, which it renumbers), and apply
them to the events the page and the exports read."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import duckdb
import pandas as pd

from hutong import store
from hutong.events import ACTIONS, DOMAINS
from hutong.timeline import period_start

CHANGES = ("reject", "fix", "merge")
FIXABLE = ("a", "b", "domain", "action", "date")
# the event as the extractor gave it (the correction's key) and what a fix may change, as CSV columns
KEY_COLUMNS = ("doc_id", "evidence", "a", "b", "domain", "action")
COLUMNS = (*KEY_COLUMNS, "change", *(f"new_{f}" for f in FIXABLE), "merge_with", "note")
STORE_FILE = "corrections.csv"  # the copy of the corrections a store was built with
DATE_CORRECTED = "corrected by an analyst"  # an event's date_resolution once its date is fixed
# columns every event carries: whether (and why) an analyst changed it, and the extractor's value of what a
# fix changed (empty for the values left as extracted)
EXTRACTED = {f"was_{f}": f for f in FIXABLE}
CORRECTION_COLUMNS = (*EXTRACTED, "corrected", "correction_note", "merged_events")
# why a correction changed nothing (the page words them in its language: hutong.labels.stale_reason)
NO_EVENT = "no event has this report with these parties, domain and action"
SAME_PARTIES = "the fix would make the event's two parties one"
ONE_TO_MERGE = "its merge finds one event, not two"
STALE_REASONS = (NO_EVENT, SAME_PARTIES, ONE_TO_MERGE)


class CorrectionsError(ValueError):
    """A corrections file that cannot be read: names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Correction:
    """One analyst's correction of one event. The event is named as the extractor gave it: an article
    (doc_id) whose sentence (evidence) reports it, and its parties (either order), domain and action."""

    doc_id: str
    evidence: str
    a: str
    b: str  # "" for a milestone, which has one party
    domain: str
    action: str
    change: str  # reject, fix or merge
    new_a: str = ""
    new_b: str = ""
    new_domain: str = ""
    new_action: str = ""
    new_date: str = ""
    merge_with: str = ""  # the events of the corrections sharing this label become one
    note: str = ""
    line: int = 0  # where it was read, for messages (0: made on the page)

    def fixes(self) -> dict[str, str]:
        """The fields a fix sets, by event column."""
        return {f: getattr(self, f"new_{f}") for f in FIXABLE if getattr(self, f"new_{f}")}


@dataclass(frozen=True)
class StaleCorrection:
    """A correction that changed nothing, and why (e.g. no event has its report after a rebuild)."""

    correction: Correction
    reason: str


# ---- reading, checking and writing the CSV ---------------------------------------------------------------


def read_corrections(path: Path) -> list[Correction]:
    """The corrections in a CSV file (none when it does not exist); CorrectionsError names a bad line."""
    path = Path(path)
    if not path.exists():
        return []
    return parse_corrections(path.read_text(encoding="utf-8-sig"), source=str(path))


def parse_corrections(text: str, *, source: str) -> list[Correction]:
    """The corrections in CSV text (header COLUMNS, in any order); `source` names it in error messages."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None:
        return []
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(unknown)}"] if unknown else []
        )
        raise CorrectionsError(f"{source}: line 1: header columns: {'; '.join(problems)}")
    corrections, line = [], 2
    for row in reader:
        if any(value.strip() for value in row):
            if len(row) != len(header):
                raise CorrectionsError(f"{source}: line {line}: {len(row)} fields, the header has {len(header)}")
            values = {name: value.strip() for name, value in zip(header, row)}
            corrections.append(_checked(Correction(**values, line=line), source=source))
        line = reader.line_num + 1  # a quoted note may run over several lines
    return corrections


def _checked(c: Correction, *, source: str) -> Correction:
    def bad(reason: str) -> CorrectionsError:
        return CorrectionsError(f"{source}: line {c.line}: {reason}" if c.line else f"{source}: {reason}")

    for column in ("doc_id", "evidence", "a", "action", "change"):
        if not getattr(c, column):
            raise bad(f"{column} is empty")
    if c.change not in CHANGES:
        raise bad(f"change '{c.change}' is not one of {', '.join(CHANGES)}")
    if c.change == "fix" and not c.fixes():
        raise bad("a fix sets at least one of " + ", ".join(f"new_{f}" for f in FIXABLE))
    if c.change != "fix" and c.fixes():
        raise bad(f"a {c.change} sets no new_ column")
    if (c.change == "merge") != bool(c.merge_with):
        raise bad("merge_with names the merge of a merge, and only of a merge")
    if c.new_domain and c.new_domain not in DOMAINS:
        raise bad(f"new_domain '{c.new_domain}' is not one of {', '.join(DOMAINS)}")
    if c.new_action and c.new_action not in ACTIONS:
        raise bad(f"new_action '{c.new_action}' is not one of {', '.join(ACTIONS)}")
    if c.new_date and period_start(c.new_date) is None:
        raise bad(f"new_date '{c.new_date}' is not a date written 2024, 2024-10 or 2024-10-29")
    if c.new_a and c.new_a == c.new_b:
        raise bad("new_a and new_b name the same party")
    return c


def corrections_csv(corrections: Iterable[Correction]) -> str:
    """The corrections as CSV text that parse_corrections reads back (a header and a line each)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in corrections:
        writer.writerow([getattr(c, column) for column in COLUMNS])
    return out.getvalue()


# ---- corrections made on the page, from an event as the queries give it ----------------------------------


def _key_of(event: Mapping) -> dict[str, str]:
    """A correction's key from an event (its extractor's values, whatever was corrected since)."""
    first = {"doc_id": event["first_doc_id"], "evidence": event["evidence"]}
    return first | {f: _text(event.get(f"was_{f}")) or _text(event.get(f)) for f in ("a", "b", "domain", "action")}


def correction_of(event: Mapping, *, change: str, note: str = "", **fixes: str) -> Correction:
    """A reject or a fix (new_a= …, new_date= …; unchanged values are left out) of one event."""
    new = {}
    for key, value in fixes.items():
        field = key.removeprefix("new_")
        if field not in FIXABLE:
            raise TypeError(f"{key} is not a value a fix sets")
        value = (value or "").strip()
        if value and value != _text(event.get(field)):
            new[f"new_{field}"] = value
    return _checked(Correction(**_key_of(event), change=change, note=note.strip(), **new), source="the page")


def merge_of(event: Mapping, other: Mapping, *, note: str = "") -> list[Correction]:
    """Two corrections that make one event of two (the one reported first keeps its values)."""
    keys = [_key_of(event), _key_of(other)]
    label = "merge-" + hashlib.sha256(repr(keys).encode()).hexdigest()[:8]
    return [Correction(**key, change="merge", merge_with=label, note=note.strip()) for key in keys]


def _text(value) -> str:
    return value if isinstance(value, str) else ""


# ---- finding the events a correction names, and applying it ------------------------------------------------


def match_corrections(con: duckdb.DuckDBPyConnection, corrections: list[Correction]) -> list[list[str]]:
    """For each correction, the events (ids) that its article reports in its sentence with its parties
    (either order), domain and action, as the extractor gave them (the store's `events` and
    `event_reports`, before any correction)."""
    if not corrections:
        return []
    keys = pd.DataFrame([{"n": n, **{k: getattr(c, k) for k in KEY_COLUMNS}} for n, c in enumerate(corrections)])
    cursor = con.cursor()
    try:
        cursor.register("correction_keys", keys)
        found = cursor.execute(
            """SELECT DISTINCT k.n, e.event_id
               FROM correction_keys k
               JOIN (SELECT doc_id, evidence, event_id FROM event_reports) r
                 ON r.doc_id = k.doc_id AND r.evidence = k.evidence
               JOIN events e ON e.event_id = r.event_id
                 AND least(e.a, coalesce(e.b, '')) = least(k.a, k.b)
                 AND greatest(e.a, coalesce(e.b, '')) = greatest(k.a, k.b)
                 AND coalesce(e.domain, '') = k.domain AND e.action = k.action
               ORDER BY k.n, e.event_id"""
        ).fetchall()
    finally:
        cursor.close()
    matches: list[list[str]] = [[] for _ in corrections]
    for n, event_id in found:
        matches[n].append(event_id)
    return matches


@dataclass(frozen=True)
class AppliedCorrections:
    """Events with the corrections applied: the events kept (rejected and merged-away ones dropped), which
    event each merged-away one went into, and the corrections that changed nothing."""

    events: pd.DataFrame
    merged_into: dict[str, str]
    stale: list[StaleCorrection]


def with_correction_columns(events: pd.DataFrame) -> pd.DataFrame:
    """The events with CORRECTION_COLUMNS as the extractor leaves them (nothing corrected)."""
    return events.assign(**dict.fromkeys(EXTRACTED), corrected=False, correction_note=None, merged_events=0)


def apply_corrections(
    events: pd.DataFrame,
    corrections: list[Correction],
    matches: list[list[str]],
    *,
    groups: Mapping[str, str],
) -> AppliedCorrections:
    """Apply the corrections, in order, to events (with CORRECTION_COLUMNS) whose ids `matches` gives for
    each (see match_corrections). A reject drops its event, whatever else names it; a fix sets the values
    it names (a later fix of the same value wins; a party's group is its group in `groups`); the events of
    the merges sharing a merge_with label become the one of them reported first, with their reports. A
    correction that finds no event, a fix that would make an event's two parties one, or a merge that finds
    a single event is stale: it changes nothing and is returned with the reason."""
    frame = events.set_index("event_id", drop=False)
    stale: list[StaleCorrection] = []
    notes: dict[str, list[str]] = {}
    rejected: set[str] = set()
    merges: dict[str, list[str]] = {}
    for c, event_ids in zip(corrections, matches, strict=True):
        event_ids = [e for e in event_ids if e in frame.index]
        if not event_ids:
            stale.append(StaleCorrection(c, NO_EVENT))
            continue
        if c.change == "fix" and any(_same_parties(frame.loc[e], c) for e in event_ids):
            stale.append(StaleCorrection(c, SAME_PARTIES))
            continue
        for event_id in event_ids:
            if c.note and c.change != "merge":  # a merge's notes go to the event it keeps, if it is one
                notes.setdefault(event_id, []).append(c.note)
            if c.change == "reject":
                rejected.add(event_id)
            elif c.change == "merge":
                merges.setdefault(c.merge_with, []).append(event_id)
            else:
                _fix(frame, event_id, c, groups=groups)
    merged_into = _merge(frame, merges, rejected, corrections, stale, notes)
    for event_id in notes.keys() | set(merged_into.values()):
        frame.loc[event_id, "corrected"] = True
        frame.loc[event_id, "correction_note"] = " / ".join(dict.fromkeys(notes.get(event_id, []))) or None
    kept = frame[~frame.index.isin(rejected | merged_into.keys())].reset_index(drop=True)
    return AppliedCorrections(kept, merged_into, stale)


def _same_parties(event: pd.Series, c: Correction) -> bool:
    a, b = c.new_a or event["a"], c.new_b or event["b"]
    return isinstance(b, str) and a == b


def _fix(frame: pd.DataFrame, event_id: str, c: Correction, *, groups: Mapping[str, str]) -> None:
    for field, value in c.fixes().items():
        if not isinstance(frame.loc[event_id, f"was_{field}"], str):  # the extractor's value, kept at the first fix
            frame.loc[event_id, f"was_{field}"] = frame.loc[event_id, field]
        frame.loc[event_id, field] = value
        if field in ("a", "b"):
            frame.loc[event_id, f"{field}_group"] = groups.get(value, value)
        if field == "date":
            frame.loc[event_id, "date_resolution"] = DATE_CORRECTED
    frame.loc[event_id, "corrected"] = True


def _merge(
    frame: pd.DataFrame,
    merges: dict[str, list[str]],
    rejected: set[str],
    corrections: list[Correction],
    stale: list[StaleCorrection],
    notes: dict[str, list[str]],
) -> dict[str, str]:
    """{merged-away event: the event it went into} for each merge label, the events' reports added up and
    the merge's notes given to the event kept; a merge that finds one event is stale."""
    merged_into: dict[str, str] = {}
    for label, event_ids in merges.items():
        alive = sorted(set(event_ids) - rejected - merged_into.keys(), key=lambda e: (len(e), e))
        merge = [c for c in corrections if c.merge_with == label]
        if len(alive) < 2:
            stale += [StaleCorrection(c, ONE_TO_MERGE) for c in merge if c not in {s.correction for s in stale}]
            continue
        kept, *absorbed = alive  # event ids number events by when they were first reported
        notes.setdefault(kept, []).extend(c.note for c in merge if c.note)
        for event_id in absorbed:
            merged_into[event_id] = kept
            frame.loc[kept, "reports"] += frame.loc[event_id, "reports"]
            frame.loc[kept, "merged_events"] += 1 + frame.loc[event_id, "merged_events"]
    return merged_into


# ---- the corrected events in a connection, for the page's queries ------------------------------------------


def hold_corrected_events(
    con: duckdb.DuckDBPyConnection, corrections: list[Correction], *, groups: Mapping[str, str] | None = None
) -> list[StaleCorrection]:
    """Make the view `events_corrected` in the connection: the store's `events` with the corrections applied
    and CORRECTION_COLUMNS (the corrected events alone held in memory, as `corrected_events`); with merges,
    `report_events` and `event_reports` give a merged-away event's reports to the event it went into.
    `groups` (entity → group) defaults to the parties' groups in the events. Returns the stale corrections,
    also kept as the table `stale_corrections` (see stale_corrections)."""
    extracted = ", ".join(f"NULL::VARCHAR AS {column}" for column in EXTRACTED)
    as_extracted = f"""SELECT *, {extracted}, false AS corrected, NULL::VARCHAR AS correction_note,
                              0::BIGINT AS merged_events
                       FROM events"""
    matches = match_corrections(con, corrections)
    touched = sorted({e for ids in matches for e in ids})
    if not touched:  # no correction finds an event (none, mostly): nothing to apply
        con.execute(f"CREATE VIEW events_corrected AS {as_extracted}")
        stale = [StaleCorrection(c, NO_EVENT) for c in corrections]
    else:
        events = con.execute(f"SELECT * FROM ({as_extracted}) WHERE list_contains(?, event_id)", [touched]).df()
        applied = apply_corrections(events, corrections, matches, groups=groups or _party_groups(con))
        _create_table(con, "corrected_events", applied.events)
        con.execute("CREATE TEMP TABLE touched_events AS SELECT unnest(?::VARCHAR[]) AS event_id", [touched])
        # a view, so that the events no correction touches are read once, by hold_events, and never copied
        con.execute(f"""CREATE VIEW events_corrected AS
                        SELECT * FROM ({as_extracted}) WHERE event_id NOT IN (SELECT event_id FROM touched_events)
                        UNION ALL BY NAME SELECT * FROM corrected_events""")
        if applied.merged_into:
            _give_reports(con, applied.merged_into)
        stale = applied.stale
    columns = [f.name for f in fields(Correction)]
    rows = [{**{c: getattr(s.correction, c) for c in columns}, "reason": s.reason} for s in stale]
    _create_table(con, "stale_corrections", pd.DataFrame(rows, columns=[*columns, "reason"]).astype({"line": "int64"}))
    return stale


def _create_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    cursor = con.cursor()
    try:
        cursor.register("frame", frame)
        cursor.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
    finally:
        cursor.close()


def _party_groups(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each party's group as the events give it."""
    rows = con.execute(
        "SELECT a, a_group FROM events UNION SELECT b, b_group FROM events WHERE b IS NOT NULL"
    ).fetchall()
    return {name: group for name, group in rows if isinstance(group, str)}


def _give_reports(con: duckdb.DuckDBPyConnection, merged_into: dict[str, str]) -> None:
    """Point the reports of merged-away events to the event they went into, and count its articles again."""
    con.execute(
        "CREATE TEMP TABLE merged_into AS SELECT unnest(?::VARCHAR[]) AS event_id, unnest(?::VARCHAR[]) AS into_id",
        [list(merged_into), list(merged_into.values())],
    )
    into = "coalesce(m.into_id, r.event_id) AS event_id"
    con.execute(f"""CREATE TABLE report_events_corrected AS SELECT r.* REPLACE ({into})
                    FROM report_events r LEFT JOIN merged_into m USING (event_id)""")
    con.execute(f"""CREATE TABLE event_reports_corrected AS SELECT r.* REPLACE ({into})
                    FROM event_reports r LEFT JOIN merged_into m USING (event_id)""")
    con.execute("CREATE OR REPLACE VIEW report_events AS SELECT * FROM report_events_corrected")
    con.execute("CREATE OR REPLACE VIEW event_reports AS SELECT * FROM event_reports_corrected")
    con.execute("""UPDATE corrected_events e SET articles = c.articles
                   FROM (SELECT event_id, count(DISTINCT doc_id) AS articles FROM report_events_corrected
                         WHERE event_id IN (SELECT into_id FROM merged_into) GROUP BY event_id) c
                   WHERE e.event_id = c.event_id""")


def stale_corrections(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The corrections of the connection that changed nothing, with the reason (see hold_corrected_events)."""
    cursor = con.cursor()
    try:
        return cursor.execute("SELECT * FROM stale_corrections").df()
    finally:
        cursor.close()


def stale_message(stale: StaleCorrection, *, source: str) -> str:
    """One stale correction as a line naming where it was written, its event and why it changed nothing."""
    c = stale.correction
    where = f"{source}: line {c.line}" if c.line else source
    pair = " – ".join(p for p in (c.a, c.b) if p)
    return f"{where}: {c.change} of {pair} · {c.domain} · {c.action} ({c.evidence[:30]}): {stale.reason}"


# ---- the corrections a store was built with ----------------------------------------------------------------


def store_corrections(store_dir: Path) -> list[Correction]:
    """The corrections a store was built with (its copy of the corrections file)."""
    return read_corrections(Path(store_dir) / STORE_FILE)


def store_copy(corrections: list[Correction]) -> str:
    """The text of a store's copy of its corrections ('' for none: no file)."""
    return corrections_csv(corrections) if corrections else ""


def copy_is_current(store_dir: Path, corrections: list[Correction]) -> bool:
    """Whether a store was built with these corrections."""
    path = Path(store_dir) / STORE_FILE
    held = path.read_text(encoding="utf-8") if path.exists() else ""
    return held == store_copy(corrections)


def stale_in_store(store_dir: Path, corrections: list[Correction]) -> list[StaleCorrection]:
    """The corrections that change nothing in a store's events (none of the store's own are applied first)."""
    con = store.connect(Path(store_dir))
    try:
        return hold_corrected_events(con, corrections)
    finally:
        con.close()
