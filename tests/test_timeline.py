"""The timeline's rules: each Python rule and its SQL twin give the same answers; the corpus-wide merge."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import pandas as pd
import pytest

from hutong import store
from hutong.timeline import (
    ACTION_ORDER,
    GROUP_KEY_SQL,
    MERGE_KEY_SQL,
    ROW_KEY_SQL,
    Report,
    action_step,
    action_step_sql,
    group_key,
    hold_events,
    merge_key,
    merge_reports,
    period_end,
    period_start,
    period_start_sql,
    precision,
    row_key,
)

DATES = [
    "2011",
    "2024-10",
    "2024-10-29",
    "2024-02-29",
    "2023-02-29",
    "2024-13",
    "2024-00",
    "0000",
    "0000-01-01",
    "2024-1",
    "20241",
    "２０２４",
    "2024\n",
    "2024-10-29T08:00",
    "soon",
    "",
    None,
]
# (kind, a, b, a_group, b_group, domain): either order of a pair, a member and its group, a missing party
EVENTS = [
    ("partnership", "京东", "支付宝", None, "阿里巴巴", "payment"),
    ("partnership", "支付宝", "京东", "阿里巴巴", None, "payment"),
    ("partnership", "微信", "京东", "腾讯", None, "traffic"),
    ("partnership", "京东", "微信", None, "腾讯", "traffic"),
    ("partnership", "淘宝", None, "阿里巴巴", None, "other"),
    ("partnership", "", "菜鸟", None, "阿里巴巴", "logistics"),
    ("milestone", "京东", "京东家政", None, None, "other"),
    ("milestone", "京东", None, None, None, None),
]


def sql_answers(expressions: str | tuple[str, ...], columns: list[str], rows: list[tuple]) -> list:
    """Each row's value of SQL expressions over the named columns (all VARCHAR)."""
    select = expressions if isinstance(expressions, str) else f"[{', '.join(expressions)}]"
    frame = pd.DataFrame(rows, columns=columns, dtype=object).astype("string[python]")
    con = duckdb.connect()
    con.register("sample", frame)
    typed = ", ".join(f"{c}::VARCHAR AS {c}" for c in columns)
    answers = con.execute(f"SELECT {select} FROM (SELECT row_number() OVER () AS n, {typed} FROM sample) ORDER BY n")
    return [value for (value,) in answers.fetchall()]


@pytest.mark.parametrize(
    ("value", "start", "written_to"),
    [
        ("2011", date(2011, 1, 1), "year"),
        ("2024-10", date(2024, 10, 1), "month"),
        ("2024-10-29", date(2024, 10, 29), "day"),
        (None, None, None),
        ("soon", None, None),
    ],
)
def test_dates_are_placed_at_the_period_start(value, start, written_to):
    assert period_start(value) == start
    assert precision(value) == written_to


def test_a_period_start_in_sql_is_the_one_in_python():
    assert sql_answers(period_start_sql("date"), ["date"], [(d,) for d in DATES]) == [period_start(d) for d in DATES]


def test_the_action_order_in_sql_is_the_one_in_python():
    actions = [*ACTION_ORDER, "other", None]
    assert [action_step(a) for a in actions] == [0, 1, 2, 3, 3]
    assert sql_answers(action_step_sql("action"), ["action"], [(a,) for a in actions]) == [
        action_step(a) for a in actions
    ]


def test_a_pair_in_either_order_is_one_row_and_a_member_shares_its_group_s_group_key():
    assert row_key(*EVENTS[0][:3], EVENTS[0][5]) == row_key(*EVENTS[1][:3], EVENTS[1][5])
    assert group_key(*EVENTS[2]) == group_key(*EVENTS[3]) == ("traffic", "京东", "腾讯")
    assert group_key(*EVENTS[6]) is None


def test_row_and_group_keys_in_sql_are_the_ones_in_python():
    columns = ["kind", "a", "b", "a_group", "b_group", "domain"]
    assert [tuple(k) for k in sql_answers(ROW_KEY_SQL, columns, EVENTS)] == [
        row_key(kind, a, b, domain) for kind, a, b, _, _, domain in EVENTS
    ]
    groups = [tuple(k) for k in sql_answers(GROUP_KEY_SQL, columns, EVENTS)]
    assert [None if k[1] is None else k for k in groups] == [group_key(*e) for e in EVENTS]


def test_the_merge_key_in_sql_is_the_one_in_python():
    reports = [
        Report("d1", i, kind, a, b, a_group or a, b_group, domain, action, None, "")
        for i, ((kind, a, b, a_group, b_group, domain), action) in enumerate(zip(EVENTS, [*ACTION_ORDER] * 3))
    ]
    rows = [(r.kind, r.a, r.b, r.domain, r.action) for r in reports]
    assert [tuple(k) for k in sql_answers(MERGE_KEY_SQL, ["kind", "a", "b", "domain", "action"], rows)] == [
        merge_key(r) for r in reports
    ]


def test_held_events_are_numbered_by_row_key_group_key_and_chronology():
    rng = random.Random(3)
    rows = []
    for n in range(60):
        kind, a, b, a_group, b_group, domain = rng.choice(EVENTS)
        rows.append((f"e{n:05d}", kind, a, b, a_group, b_group, domain, rng.choice([*ACTION_ORDER, "other"])))
    frame = pd.DataFrame(rows, columns=["event_id", "kind", "a", "b", "a_group", "b_group", "domain", "action"])
    frame["date"] = [rng.choice(DATES) for _ in rows]
    con = duckdb.connect()
    con.register("frame", frame)
    hold_events(con, "frame")
    held = con.execute("SELECT * FROM events_keyed ORDER BY event_id").df()
    by_row = {row_key(e.kind, e.a, e.b, e.domain): e.timeline_row for e in held.itertuples()}
    assert len(by_row) == held["timeline_row"].nunique()
    assert sorted(by_row, key=by_row.get) == sorted(by_row)
    keys = [group_key(e.kind, e.a, e.b, e.a_group, e.b_group, e.domain) for e in held.itertuples()]
    numbered = {k: g for k, g in zip(keys, held["timeline_group"]) if k is not None}
    assert len(numbered) == held["timeline_group"].nunique() and sorted(numbered, key=numbered.get) == sorted(numbered)
    in_order = sorted(
        held.itertuples(), key=lambda e: (period_start(e.date) or date.max, action_step(e.action), e.event_id)
    )
    assert [e.event_id for e in in_order] == held.sort_values("chronology")["event_id"].tolist()
    assert "timeline_row" not in con.execute("SELECT * FROM events").df().columns


def _merged_by_trying_every_event(reports):
    """The corpus-wide merge as it is specified: each report joins the first event with a compatible date."""
    events, assigned = [], []
    for r in reports:
        position = next(
            (
                i
                for i, event in enumerate(events)
                if r.date is None
                or event["date"] is None
                or r.date.startswith(event["date"])
                or event["date"].startswith(r.date)
            ),
            None,
        )
        if position is None:
            position = len(events)
            events.append({"date": r.date, "first_doc_id": r.doc_id, "first_report_index": r.report_index})
        elif events[position]["date"] is None and r.date:
            events[position]["date"] = r.date
        assigned.append((r.doc_id, r.report_index, position))
    return events, assigned


def test_a_report_joins_the_first_event_of_its_merge_key_whose_date_is_compatible():

    rng = random.Random(7)
    dates = [None, "2024", "2024-10", "2024-10-29", "2024-10-30", "2024-11", "2025", "2025-09-30", "2024-1"]
    for trial in range(300):
        reports = [
            Report(
                f"d{trial}-{i}",
                i,
                "partnership",
                "京东",
                "支付宝",
                "京东",
                "阿里巴巴",
                "payment",
                "start",
                rng.choice(dates),
                "resolved",
            )
            for i in range(rng.randint(1, 12))
        ]
        events, assigned = merge_reports(reports)
        expected_events, expected_assigned = _merged_by_trying_every_event(reports)
        assert assigned == expected_assigned
        assert [
            {k: event[k] for k in ("date", "first_doc_id", "first_report_index")} for event in events
        ] == expected_events


def test_an_event_carries_the_highest_confidence_of_its_reports_and_that_report_s_rule():
    def report(doc_id: str, rule: str, confidence: float) -> Report:
        return Report(
            doc_id, 0, "partnership", "京东", "支付宝", "京东", "阿里巴巴", "payment", "start", "2024-10", "resolved",
            rule, confidence,
        )  # fmt: skip

    (event,), _ = merge_reports([report("d1", "sentence party", 0.6), report("d2", "joined", 0.9)])
    assert (event["rule"], event["confidence"]) == ("joined", 0.9)
    (event,), _ = merge_reports([report("d1", "joined", 0.9), report("d2", "earlier pair", 0.6)])
    assert (event["rule"], event["confidence"], event["first_doc_id"]) == ("joined", 0.9, "d1")


def test_the_store_s_events_carry_rule_and_confidence(seed_store):
    events = store.read_table(seed_store, "events")
    assert events["confidence"].between(0, 1).all() and events["rule"].notna().all()
    milestones = events[events["kind"] == "milestone"]
    assert set(milestones["rule"]) <= {"milestone", "launch"}


@pytest.mark.parametrize(
    ("value", "end"),
    [("2024", date(2024, 12, 31)), ("2024-02", date(2024, 2, 29)), ("2025-12", date(2025, 12, 31)),
     ("2024-10-29", date(2024, 10, 29)), ("2024-13", None), ("soon", None)],
)  # fmt: skip
def test_a_period_ends_on_the_last_day_of_its_precision(value, end):
    assert period_end(value) == end
