"""Tests for hutong.queries.matrix: the interoperability matrix as of a day."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import pandas as pd
import pytest

from hutong import timeline
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
    cells: dict[tuple, dict] = {}
    for e in items.sort_values(["when", "order", "event_id"]).itertuples():
        cell = cells.setdefault((*sorted((e.a, e.b)), e.domain), {"state": "none", "since": None, "events": 0})
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
