"""Tests for hutong.store: the aggregates a build writes, the layouts the page's queries rely on, and stores
built before either existed."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hutong import store
from hutong.paths import RAW_DIR
from hutong.pipeline import build_store


def table(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def test_a_build_writes_one_segment_holding_every_table(seed_store):
    segments = store.segment_dirs(seed_store)
    assert len(segments) == 1 and store.store_exists(seed_store)
    assert {p.stem for p in segments[0].iterdir()} == set(store.SEGMENT_FILES)


@pytest.mark.parametrize("name", list(store.AGGREGATES))
def test_each_aggregate_holds_what_its_query_computes(seed_store, name):
    with store.connected(seed_store) as con:
        written = table(con, f"SELECT * FROM {name} ORDER BY ALL")
        computed = table(con, f"SELECT * FROM ({store.AGGREGATES[name]}) ORDER BY ALL")
    assert len(written) > 0
    pd.testing.assert_frame_equal(written, computed)


def test_aggregates_add_up_to_the_rows_they_summarise(seed_store):
    with store.connected(seed_store) as con:
        assert (
            table(con, "SELECT sum(count) AS n FROM term_days")["n"][0]
            == table(con, "SELECT sum(count) AS n FROM terms")["n"][0]
        )
        assert (
            table(con, "SELECT sum(mentions) AS n FROM doc_entities")["n"][0]
            == table(con, "SELECT count(*) AS n FROM mentions")["n"][0]
        )
        assert (
            table(con, "SELECT sum(mentions) AS n FROM entity_days")["n"][0]
            == table(con, "SELECT count(*) AS n FROM mentions")["n"][0]
        )
        assert table(con, "SELECT sum(articles) AS n, sum(tokens) AS t FROM article_days").iloc[0].tolist() == (
            table(con, "SELECT count(*) AS n, sum(tokens) AS t FROM documents").iloc[0].tolist()
        )
        days = table(
            con,
            """SELECT DISTINCT e.doc_id, e.day, CAST(timezone('Asia/Shanghai', d.published_at) AS DATE) AS local
                              FROM doc_entities e JOIN documents d USING (doc_id)""",
        )
    assert (days["day"] == days["local"]).all()  # the day in China time: 2025-03-10 17:47 +08 is 2025-03-10


def test_search_holds_titles_texts_and_simplified_sentences_in_lower_case(seed_store):
    with store.connected(seed_store) as con:
        search = table(con, "SELECT s.text, d.script FROM search s JOIN documents d USING (doc_id)").set_index(
            "script"
        )["text"]
    assert "開放共生" in search["traditional"] and "开放共生" in search["traditional"]
    assert all(text == text.lower() for text in search)


def test_sentences_carry_their_article_day_in_day_order(seed_store):
    with store.connected(seed_store) as con:
        sentences = table(
            con,
            """SELECT s.day, CAST(timezone('Asia/Shanghai', d.published_at) AS DATE) AS local
                                  FROM sentences s JOIN documents d USING (doc_id)""",
        )
        in_file = table(con, "SELECT day FROM sentences")["day"]
    assert (sentences["day"] == sentences["local"]).all()
    assert in_file.is_monotonic_increasing


def test_each_report_s_event_is_stored_in_event_order(seed_store):
    assert store.read_table(seed_store, "report_events")["event_id"].is_monotonic_increasing
    reports = store.read_table(seed_store, "event_reports")
    assert reports["event_id"].is_monotonic_increasing and reports["event_id"].notna().all()


def test_a_store_of_the_earlier_layout_is_named_and_built_again(seed_store, tmp_path):
    older = tmp_path / "older"
    older.mkdir()
    for name in ("documents", "events"):  # one file per table, as Hutong wrote them before segments
        store.read_table(seed_store, name).to_parquet(older / f"{name}.parquet")
    shutil.copy(seed_store / "report.json", older / "report.json")
    with pytest.raises(store.StoreError, match="earlier version of Hutong"):
        store.connect(older)
    assert store.load_previous(older, analysis_version=store.read_summary(seed_store)["analysis_version"]) is None
    summary = build_store(RAW_DIR, older, workers=1)
    assert summary.ingested == 2 and summary.reused == 0 and store.store_exists(older)


def test_term_weights_are_tf_idf_over_the_whole_corpus(seed_store):
    with store.connected(seed_store) as con:
        weights = table(con, "SELECT * FROM term_weights")
        terms = table(con, "SELECT t.doc_id, t.term, t.count, d.tokens FROM terms t JOIN documents d USING (doc_id)")
    df = terms.groupby("term")["doc_id"].nunique()
    expected = terms["count"] / terms["tokens"] * (np.log(3 / (1 + terms["term"].map(df))) + 1)
    merged = terms.assign(expected=expected).merge(weights[["doc_id", "term", "tfidf"]], on=["doc_id", "term"])
    assert len(merged) == len(terms) > 100
    assert np.allclose(merged["tfidf"], merged["expected"])
    in_both = merged["term"].map(df) == 2  # ln(3 / 3) + 1: weighted by its share of the article alone
    assert in_both.any() and np.allclose(merged[in_both]["tfidf"], merged[in_both]["count"] / merged[in_both]["tokens"])
    assert (merged[~in_both]["tfidf"] > merged[~in_both]["count"] / merged[~in_both]["tokens"]).all()


def test_an_incremental_build_recomputes_the_aggregates(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.md").write_text(
        "---\ntitle: 一\npublished_at: 2025-01-06T09:00:00+08:00\n---\n淘宝正式接入微信支付。\n", encoding="utf-8"
    )
    build_store(raw, tmp_path / "store", workers=1)
    (raw / "b.md").write_text(
        "---\ntitle: 二\npublished_at: 2025-02-10T09:00:00+08:00\n---\n京东物流正式接入菜鸟驿站。\n", encoding="utf-8"
    )
    summary = build_store(raw, tmp_path / "store", workers=1)
    assert summary.reused == 1
    entities = store.read_table(tmp_path / "store", "doc_entities")
    assert {"淘宝", "京东物流", "菜鸟"} <= set(entities["entity"])
    assert entities["doc_id"].nunique() == 2


def test_the_summary_is_read_from_the_head_of_the_report(seed_store, tmp_path):
    assert store.read_summary(seed_store) == store.read_report(seed_store)["summary"]
    huge = tmp_path / "huge"
    huge.mkdir()
    summary = {"built_at": "2025-01-01T00:00:00+00:00", "note": "长" * 100_000}  # longer than the head read
    (huge / "report.json").write_text(json.dumps({"summary": summary, "inputs": []}), encoding="utf-8")
    assert store.read_summary(huge) == summary


def test_a_segment_s_tables_are_written_in_whole_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 40)  # the seeds' terms fill several groups of 40
    build_store(RAW_DIR, tmp_path / "store", workers=1)
    for name in ("terms", "mentions"):
        metadata = pq.read_metadata(store.table_files(tmp_path / "store", name)[0])
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        assert len(sizes) > 1 and set(sizes[:-1]) == {40} and 0 < sizes[-1] <= 40, (name, sizes)
