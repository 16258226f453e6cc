"""Tests for hutong.queries.matrix: the interoperability matrix as of a day."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import pandas as pd
import pytest

from hutong import charts, timeline
from hutong.queries import filters
from hutong.queries import matrix as matrix_queries
from query_helpers import synthetic_events


def test_matrix_as_of_the_latest_day(seed):
    matrix = matrix_queries.interop_matrix(seed, filters.NO_FILTER, as_of=date(2025, 10, 1)).set_index(
        ["row_party", "col_party", "domain"]
    )
    assert matrix.loc[("京东", "支付宝", "payment"), "state"] == "open"  # a later plan does not close it
    assert matrix.loc[("支付宝", "京东", "payment"), "state"] == "open"
    assert matrix.loc[("微信", "京东", "traffic"), "state"] == "closed"


@pytest.mark.parametrize(
    ("as_of", "state"), [(date(2012, 1, 1), "closed"), (date(2024, 9, 15), "planned"), (date(2024, 10, 29), "open")]
)
def test_matrix_follows_the_jd_alipay_history(seed, as_of, state):
    matrix = matrix_queries.interop_matrix(seed, filters.NO_FILTER, as_of=as_of).set_index(
        ["row_party", "col_party", "domain"]
    )
    assert matrix.loc[("京东", "支付宝", "payment"), "state"] == state


def test_matrix_at_group_level_and_its_parties(seed):
    matrix = matrix_queries.interop_matrix(seed, filters.NO_FILTER, as_of=date(2025, 10, 1), level="group")
    assert set(matrix["row_party"]) <= {"京东", "阿里巴巴", "腾讯", "字节跳动"}
    groups = matrix_queries.matrix_parties(seed, filters.NO_FILTER, level="group")
    assert groups == sorted(set(matrix["row_party"]) | set(matrix["col_party"]))
    assert {"京东", "支付宝", "微信"} <= set(matrix_queries.matrix_parties(seed, filters.NO_FILTER))
    assert "工信部" not in matrix_queries.matrix_parties(seed, filters.NO_FILTER)  # milestones are not partnerships


def test_cell_events_list_the_events_behind_a_cell(seed):
    behind = matrix_queries.cell_events(seed, filters.NO_FILTER, row="支付宝", col="京东", as_of=date(2025, 10, 1))
    assert behind["action"].tolist() == ["end", "planned", "start", "planned"]
    matrix = matrix_queries.interop_matrix(seed, filters.NO_FILTER, as_of=date(2025, 10, 1))
    cell = matrix[(matrix["row_party"] == "支付宝") & (matrix["col_party"] == "京东")]
    assert cell["events"].sum() == len(behind)


def test_as_of_range_runs_from_the_first_event_to_the_last_day(seed):
    assert matrix_queries.as_of_range(seed) == (date(2011, 1, 1), date(2025, 9, 30))
    without_events = duckdb.connect()
    without_events.execute("CREATE TABLE events (date VARCHAR)")
    assert matrix_queries.as_of_range(without_events) is None


def replayed_matrix(frame: pd.DataFrame, as_of: date, level: str) -> dict[tuple, tuple]:
    """The matrix the way it was computed before: every event replayed in order, in Python."""
    items = frame[(frame["kind"] != "milestone") & frame["when"].notna()].copy()
    items = items[[w <= as_of for w in items["when"]]]
    if level == "group":
        items["a"], items["b"] = items["a_group"].fillna(items["a"]), items["b_group"].fillna(items["b"])
    items = items[items["a"] != items["b"]]
    items["order"] = items["action"].map({"start": 0, "planned": 1, "end": 2}).fillna(3)
    items["cell"] = [(*sorted((a, b)), d) for a, b, d in zip(items["a"], items["b"], items["domain"])]
    items = items.sort_values(["when", "order", "event_id"])
    if level == "entity":  # a member's end with no start of its own also ends its group's other cells' link
        groups = [
            (d, *sorted((ag if isinstance(ag, str) else a, bg if isinstance(bg, str) else b)))
            for a, b, ag, bg, d in zip(items["a"], items["b"], items["a_group"], items["b_group"], items["domain"])
        ]
        items["groups"] = groups
        lent = []
        for position, e in enumerate(items.itertuples()):
            earlier = items.iloc[:position]
            if e.action != "end" or ((earlier["cell"] == e.cell) & (earlier["action"] == "start")).any():
                continue
            starts = items[(items["groups"] == e.groups) & (items["action"] == "start") & (items["cell"] != e.cell)]
            lent += [e._replace(cell=cell) for cell in dict.fromkeys(starts["cell"])]
        items = pd.concat([items, pd.DataFrame(lent)]).sort_values(["when", "order", "event_id"], kind="stable")
    cells: dict[tuple, dict] = {}
    for e in items.itertuples():
        cell = cells.setdefault(e.cell, {"state": "none", "since": None, "events": 0})
        cell["events"] += 1
        new = {"start": "open", "end": "closed", "planned": "planned"}.get(e.action)
        if new is None or (new == "planned" and cell["state"] == "open"):
            continue
        if new != cell["state"]:
            cell["since"] = e.when
        cell["state"] = new
    return {key: (c["state"], c["since"], c["events"]) for key, c in cells.items()}


def random_events(seed: int, n: int = 60) -> pd.DataFrame:
    rng = random.Random(seed)
    parties = [("京东", "京东"), ("支付宝", "阿里巴巴"), ("淘宝", "阿里巴巴"), ("微信", "腾讯"), ("腾讯", "腾讯")]
    days = ["2011", "2020-05", "2024-09", "2024-10-29", "2024-10-30", "2025-01", "2025-09-30"]
    rows = []
    for i in range(n):
        (a, a_group), (b, b_group) = rng.sample(parties, 2)
        rows.append(
            (
                f"e{i:05d}",
                rng.choice(["partnership"] * 9 + ["milestone"]),
                a,
                b,
                a_group,
                b_group,
                rng.choice(["payment", "traffic"]),
                rng.choice(["start", "end", "planned"]),
                rng.choice(days),
            )
        )
    return synthetic_events(rows)


@pytest.mark.parametrize("seed_number", range(12))
@pytest.mark.parametrize("level", ["entity", "group"])
def test_the_matrix_is_the_events_replayed_in_order(seed_number, level):
    frame = random_events(seed_number)
    con = duckdb.connect()
    con.register("frame", frame.drop(columns=["when", "precision"]).assign(reports=1))
    timeline.hold_events(con, "frame")
    for as_of in (date(2020, 12, 31), date(2024, 10, 29), date(2025, 12, 31)):
        matrix = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=as_of, level=level)
        answer = {
            (r.row_party, r.col_party, r.domain): (r.state, r.since, r.events)
            for r in matrix.itertuples()
            if r.row_party < r.col_party
        }
        assert answer == replayed_matrix(frame, as_of, level), as_of
        assert len(matrix) == 2 * len(answer)  # both orders of each pair


@pytest.mark.parametrize("seed_number", range(6))
@pytest.mark.parametrize(
    "filt",
    [filters.CorpusFilter(domains=("payment",)), filters.CorpusFilter(entities=("京东", "微信"))],
    ids=["a domain", "two entities"],
)
def test_a_filtered_matrix_is_the_filtered_events_replayed_in_order(seed_number, filt):
    frame = random_events(seed_number)
    con = duckdb.connect()
    con.register("frame", frame.drop(columns=["when", "precision"]).assign(reports=1))
    timeline.hold_events(con, "frame")
    kept = frame[
        frame["domain"].isin(filt.domains or frame["domain"])
        & (frame["a"].isin(filt.entities or frame["a"]) | frame["b"].isin(filt.entities or frame["b"]))
    ]
    for as_of in (date(2020, 12, 31), date(2024, 10, 29), date(2025, 12, 31)):
        matrix = matrix_queries.interop_matrix(con, filt, as_of=as_of)
        answer = {
            (r.row_party, r.col_party, r.domain): (r.state, r.since, r.events)
            for r in matrix.itertuples()
            if r.row_party < r.col_party
        }
        assert answer == replayed_matrix(kept, as_of, "entity"), as_of


@pytest.mark.parametrize("seed_number", range(6))
@pytest.mark.parametrize("level", ["entity", "group"])
def test_the_events_behind_each_cell_are_as_many_as_the_matrix_counts(seed_number, level):
    frame = random_events(seed_number)
    con = duckdb.connect()
    con.register("frame", frame.drop(columns=["when", "precision"]).assign(reports=1, evidence="", date_resolution=""))
    timeline.hold_events(con, "frame")
    for as_of in (date(2020, 12, 31), date(2025, 12, 31)):
        matrix = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=as_of, level=level)
        for r in matrix.itertuples():
            behind = matrix_queries.cell_events(
                con, filters.NO_FILTER, row=r.row_party, col=r.col_party, as_of=as_of, level=level
            )
            assert (behind["domain"] == r.domain).sum() == r.events, (r.row_party, r.col_party, r.domain, as_of)


def held(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    frame = synthetic_events(rows)
    con = duckdb.connect()
    con.register("frame", frame.drop(columns=["when", "precision"]).assign(reports=1, evidence="", date_resolution=""))
    timeline.hold_events(con, "frame")
    return con


def test_a_link_dated_only_to_its_year_is_open_sometime_in_that_year_and_not_before():
    con = held([("e1", "partnership", "京东", "快手", "京东", "快手", "payment", "start", "2024")])

    def state(as_of: date) -> tuple | None:
        frame = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=as_of)
        return None if frame.empty else tuple(frame.iloc[0][["state", "since_date", "settled"]])

    assert state(date(2023, 12, 31)) is None
    assert state(date(2024, 1, 1)) == ("open", "2024", False) == state(date(2024, 12, 30))
    assert state(date(2025, 1, 1)) == ("open", "2024", True)
    fig = charts.interop_matrix_figure(
        matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=date(2024, 6, 1)), ["京东", "快手"], names={}
    )
    hover = next(t for t in fig.to_dict()["data"] if t.get("hovertext"))["hovertext"][0]
    assert "开通 (2024 内某时，尚不确定)" in hover and "2024-01-01" not in hover


def test_a_month_dated_end_is_settled_after_its_month():
    con = held(
        [
            ("e1", "partnership", "京东", "快手", "京东", "快手", "payment", "start", "2020-05-20"),
            ("e2", "partnership", "京东", "快手", "京东", "快手", "payment", "end", "2024-02"),
        ]
    )
    for as_of, settled in ((date(2024, 2, 28), False), (date(2024, 2, 29), True)):
        (row, _) = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=as_of).itertuples()
        assert (row.state, row.since_date, row.settled) == ("closed", "2024-02", settled)


def test_a_member_s_end_closes_its_group_s_cell_too():
    con = held(
        [
            ("e1", "partnership", "腾讯", "京东", "腾讯", "京东", "traffic", "start", "2014"),
            ("e2", "partnership", "微信", "京东", "腾讯", "京东", "traffic", "end", "2025-09-30"),
        ]
    )
    frame = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=date(2025, 10, 1))
    states = {(r.row_party, r.col_party): r.state for r in frame.itertuples()}
    assert states[("腾讯", "京东")] == "closed" == states[("微信", "京东")]  # one relationship, not a contradiction
    behind = matrix_queries.cell_events(con, filters.NO_FILTER, row="腾讯", col="京东", as_of=date(2025, 10, 1))
    assert behind["event_id"].tolist() == ["e1", "e2"]


def test_a_member_s_end_before_its_group_s_first_start_is_counted_there_once_that_start_came():
    con = held(
        [
            ("e1", "partnership", "微信", "京东", "腾讯", "京东", "traffic", "end", "2020-05"),
            ("e2", "partnership", "腾讯", "京东", "腾讯", "京东", "traffic", "start", "2024-09"),
        ]
    )
    before = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=date(2022, 1, 1))
    assert [(r.row_party, r.col_party, r.state) for r in before.itertuples()] == [
        ("京东", "微信", "closed"),
        ("微信", "京东", "closed"),
    ]
    after = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=date(2025, 1, 1)).set_index(
        ["row_party", "col_party"]
    )
    assert (after.loc[("腾讯", "京东"), "state"], after.loc[("腾讯", "京东"), "events"]) == ("open", 2)
    assert after.loc[("腾讯", "京东"), "since"] == date(2024, 9, 1)


def _states(*cells: tuple[str, str, int]) -> pd.DataFrame:
    """interop_matrix's rows for hand-made cells (row party, column party, events), both orders of each pair."""
    rows = [(a, b, "payment", "open", n) for a, b, n in cells] + [(b, a, "payment", "open", n) for a, b, n in cells]
    return pd.DataFrame(rows, columns=["row_party", "col_party", "domain", "state", "events"])


def test_the_matrix_of_many_parties_shows_the_most_active_in_their_own_order():
    states = _states(("京东", "支付宝", 5), ("淘宝", "微信", 3), ("美团", "抖音", 1))
    parties = ["京东", "微信", "抖音", "支付宝", "淘宝", "美团"]
    assert matrix_queries.leading_parties(states, parties, limit=4) == ["京东", "微信", "支付宝", "淘宝"]


def test_a_party_picked_in_the_sidebar_or_a_clicked_cell_is_always_shown():
    states = _states(("京东", "支付宝", 5), ("淘宝", "微信", 3), ("美团", "抖音", 1))
    parties = ["京东", "微信", "抖音", "支付宝", "淘宝", "美团"]
    shown = matrix_queries.leading_parties(states, parties, limit=3, keep=["抖音", "美团", "不在矩阵里"])
    assert shown == ["京东", "抖音", "美团"]


def test_a_matrix_within_the_limit_keeps_every_party_even_one_without_events_yet():
    states = _states(("京东", "支付宝", 2))
    assert matrix_queries.leading_parties(states, ["京东", "微信", "支付宝"], limit=16) == ["京东", "微信", "支付宝"]
    assert matrix_queries.leading_parties(states.iloc[0:0], ["京东", "微信"], limit=1) == ["京东"]
