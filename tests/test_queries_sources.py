"""The per-source table: how many articles each source has and the span of their publication days."""

from __future__ import annotations

from datetime import date

import duckdb

from hutong import store
from hutong.queries.corpus import SOURCE_COLUMNS, UNNAMED_SOURCE, source_spans


def test_each_source_has_its_articles_and_first_and_last_day(tiny_store):
    with store.connected(tiny_store) as con:
        table = source_spans(con)
    assert list(table.columns) == SOURCE_COLUMNS
    rows = {row["source"]: row for row in table.to_dict("records")}
    documents = store.read_table(tiny_store, "documents")
    for source, articles in documents.groupby("source"):
        days = articles["published_at"].dropna().dt.tz_convert("Asia/Shanghai").dt.date
        row = rows[source]
        assert (row["articles"], row["dated"]) == (len(articles), len(days))
        if len(days):
            assert (row["first_day"].date(), row["last_day"].date()) == (days.min(), days.max())
    # the undated article counts, but gives no day
    assert rows["测试晚报"]["articles"] > rows["测试晚报"]["dated"]
    assert rows["测试日报"]["first_day"].date() == date(2025, 1, 6)
    assert table["articles"].sum() == len(store.read_table(tiny_store, "documents"))


def test_the_day_is_the_day_in_china_and_a_missing_source_has_a_name():
    con = duckdb.connect()
    con.execute("CREATE TABLE documents (source VARCHAR, published_at TIMESTAMPTZ, script VARCHAR, tokens BIGINT)")
    con.execute(
        "INSERT INTO documents VALUES ('新闻网', '2025-05-01 17:00:00+00', 'simplified', 10), "
        "('新闻网', '2025-05-03 01:00:00+00', 'simplified', 10), ('新闻网', NULL, 'simplified', 10), "
        "(NULL, NULL, 'simplified', 10), ('  ', '2025-05-02 00:00:00+00', 'simplified', 10)"
    )
    con.execute(f"CREATE VIEW article_days AS {store.AGGREGATES['article_days']}")  # as a build derives it
    rows = source_spans(con).to_dict("records")
    assert [(row["source"], row["articles"]) for row in rows] == [("新闻网", 3), (UNNAMED_SOURCE, 2)]
    assert str(rows[0]["first_day"])[:10] == "2025-05-02"
