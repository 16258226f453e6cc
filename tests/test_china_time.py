"""Tests for hutong.china_time: an article's day in China time, the same in Python and in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import duckdb

from hutong.china_time import china_day, china_day_sql, china_time_sql

# around midnight in Beijing, given in UTC, in China time and in another zone
TIMES = [
    datetime(2025, 9, 28, 15, 59, tzinfo=UTC),
    datetime(2025, 9, 28, 16, 0, tzinfo=UTC),
    datetime(2024, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=8))),
    datetime(2024, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2020, 2, 29, 0, 5, tzinfo=UTC),
]


def test_a_time_after_four_in_the_afternoon_utc_is_the_next_day_in_china():
    assert china_day(TIMES[0]) == date(2025, 9, 28)
    assert china_day(TIMES[1]) == date(2025, 9, 29)
    assert china_day(TIMES[3]) == date(2025, 1, 1)


def test_the_china_day_in_sql_is_the_one_in_python():
    con = duckdb.connect()
    con.execute("CREATE TABLE documents (n INTEGER, published_at TIMESTAMPTZ)")
    con.executemany("INSERT INTO documents VALUES (?, ?)", [(n, t) for n, t in enumerate([*TIMES, None])])
    days = con.execute(f"SELECT {china_day_sql('d.published_at')} FROM documents d ORDER BY n").fetchall()
    assert [day for (day,) in days] == [*(china_day(t) for t in TIMES), None]
    clock = con.execute(f"SELECT {china_time_sql('d.published_at')} FROM documents d WHERE n = 1").fetchone()[0]
    assert clock == datetime(2025, 9, 29, 0, 0)
