"""The day an article is dated: its publication time (stored in UTC) read in China time, in Python and in SQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# Chinese news is dated in China time, which has had no daylight saving since 1991.
CHINA_TIME = timezone(timedelta(hours=8))
CHINA_TIME_ZONE = "Asia/Shanghai"  # the same offset, by the name DuckDB and pandas know it


def china_day(published_at: datetime) -> date:
    """The calendar day in China of a timezone-aware publication time."""
    return published_at.astimezone(CHINA_TIME).date()


def china_time_sql(column: str) -> str:
    """SQL for a UTC timestamp column as China wall-clock time (china_day's twin, to the minute)."""
    return f"timezone('{CHINA_TIME_ZONE}', {column})"


def china_day_sql(column: str) -> str:
    """SQL for the China day of a UTC timestamp column; china_day's twin (NULL when the column is)."""
    return f"CAST({china_time_sql(column)} AS DATE)"
