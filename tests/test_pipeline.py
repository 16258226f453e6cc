import gc
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hutong import store, timeline
from hutong.paths import RAW_DIR
from hutong.pipeline import ReplaceRefused, build_store


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("store") / "processed"
    summary = build_store(RAW_DIR, out, workers=1)
    return out, summary


def test_build_writes_every_table_with_both_seed_articles(seed_build):
    out, summary = seed_build
    assert (summary.ingested, summary.duplicates, summary.rejected) == (2, 0, 0)
    documents = store.read_table(out, "documents").set_index("path")
    published = documents["published_at"].dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M")
    assert published.to_dict() == {
        "000_dec19d54dabd6123.txt": "2025-03-10 17:47",
        "004_68426414e0c44e0c.txt": "2025-09-28 20:12",
    }
    assert documents.loc["004_68426414e0c44e0c.txt", "script"] == "traditional"
    for name in store.TABLES:
        assert len(store.read_table(out, name)) > 0, name


def test_times_carry_their_period_precision_and_method(seed_build):
    out, _ = seed_build
    times = store.read_table(out, "times")
    row = times[times["text"] == "10月29日"].iloc[0]
    assert (row["value"], row["first_day"], row["last_day"], row["precision"], row["method"], row["approximate"]) == (
        "2024-10-29",
        "2024-10-29",
        "2024-10-29",
        "day",
        "inherited",
        False,
    )


def test_report_names_every_input_file(seed_build):
    out, _ = seed_build
    report = store.read_report(out)
    statuses = {entry["path"]: entry["status"] for entry in report["inputs"]}
    assert statuses == {
        "000_dec19d54dabd6123.txt": "ingested",
        "004_68426414e0c44e0c.txt": "ingested",
        "MANIFEST.csv": "manifest",
    }


def test_traditional_seed_mentions_use_the_same_canonical_names(seed_build):
    out, _ = seed_build
    mentions = store.read_table(out, "mentions")
    documents = store.read_table(out, "documents", columns=["doc_id", "path"])
    per_doc = mentions.merge(documents, on="doc_id").groupby("path")["entity"].apply(set)
    assert {"京东", "微信", "腾讯"} <= per_doc["004_68426414e0c44e0c.txt"]
    assert {"京东", "淘宝", "支付宝", "京东物流", "菜鸟"} <= per_doc["000_dec19d54dabd6123.txt"]


def test_terms_are_one_query_away_from_a_trend(seed_build):
    out, _ = seed_build
    with store.connected(out) as con:
        trend = con.execute(
            """SELECT date_trunc('month', d.published_at) AS month, sum(t.count) AS n
               FROM terms t JOIN documents d USING (doc_id) WHERE t.term = '流量' GROUP BY 1"""
        ).fetchdf()
    assert trend["n"].sum() >= 10


def test_timeline_holds_the_seed_events(seed_build):
    out, _ = seed_build
    events = store.read_table(out, "events")
    rows = {(e.a, e.b, e.domain, e.action, e.date) for e in events.itertuples()}
    assert ("京东", "支付宝", "payment", "start", "2024-10-29") in rows
    assert ("微信", "京东", "traffic", "end", "2025-09-30") in rows
    reports = store.read_table(out, "event_reports")
    assert set(reports["event_id"]) == set(events["event_id"])
    assert (reports["evidence"].str.len() > 0).all()
    assert (events["evidence"].str.len() > 0).all()
    assert events["reports"].sum() == len(reports)


def test_the_same_article_twice_is_stored_once(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = "10月29日,京东商城正式开通支付宝支付。"
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "b.txt").write_text("10月29日,京東商城正式開通支付寶支付。", encoding="utf-8")
    summary = build_store(folder, tmp_path / "out", workers=1)
    assert (summary.ingested, summary.duplicates) == (1, 1)
    report = store.read_report(tmp_path / "out")
    assert [e["status"] for e in report["inputs"]] == ["ingested", "duplicate"]


def test_two_workers_give_the_same_store_as_one(tmp_path, seed_build):
    out, _ = seed_build
    build_store(RAW_DIR, tmp_path / "two", workers=2)
    for name in ("documents", "mentions", "terms", "times", "events"):
        one = store.read_table(out, name)
        two = store.read_table(tmp_path / "two", name)
        pd.testing.assert_frame_equal(one, two, check_like=True)


def test_a_failed_build_leaves_the_previous_store(tmp_path, seed_build, monkeypatch):
    out, _ = seed_build
    target = tmp_path / "processed"
    build_store(RAW_DIR, target, workers=1)
    before = _files(target)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(timeline, "merge_events", broken)
    with pytest.raises(RuntimeError):
        build_store(RAW_DIR, target, workers=1, full=True)
    assert _files(target) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".processed.building")]


def test_a_killed_build_leaves_the_previous_store_and_the_next_build_succeeds(tmp_path):
    target = tmp_path / "processed"
    build_store(RAW_DIR, target, workers=1)
    before = {name: data for name, data in _files(target).items() if name != "report.json"}
    cmd = [
        sys.executable,
        "-m",
        "hutong",
        "build",
        "--input",
        str(RAW_DIR),
        "--out",
        str(target),
        "--workers",
        "1",
        "--full",
    ]
    for delay in (0.3, 1.0, 1.6):
        process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        assert store.store_exists(target)
        after = {name: data for name, data in _files(target).items() if name != "report.json"}
        assert after.keys() == before.keys()
        assert json.loads((target / "report.json").read_text(encoding="utf-8"))["summary"]["ingested"] == 2
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert store.store_exists(target)


def test_missing_store_gives_a_clear_error(tmp_path):
    with pytest.raises(store.StoreError, match="build the store"):
        store.read_table(tmp_path, "documents")


def test_store_tables_read_through_duckdb(seed_build):
    out, _ = seed_build
    with store.connected(out) as con:
        n = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert n == 2
    assert Path(out, "userdict.txt").read_text(encoding="utf-8").count("菜鸟驿站") == 1


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a store, by its path inside the store."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_a_rebuild_with_unchanged_inputs_writes_nothing(tmp_path):
    out = tmp_path / "store"
    build_store(RAW_DIR, out, workers=1)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    summary = build_store(RAW_DIR, out, workers=1)
    assert summary.up_to_date and summary.ingested == 2
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_an_incremental_build_reuses_unchanged_articles_and_matches_a_full_build(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    _write(corpus, "a.txt", "---\ndate: 2024-10-30\n---\n10月29日,京东商城正式开通支付宝支付。")
    _write(corpus, "b.txt", "---\ndate: 2025-09-28\n---\n9月30日,微信发现-购物一级入口将于当日正式关闭,京东受影响。")
    out = tmp_path / "store"
    build_store(corpus, out, workers=1)
    _write(corpus, "c.txt", "---\ndate: 2024-09-20\n---\n去年9月,淘宝官方微博正式宣布,淘宝已支持微信支付方式。")
    (corpus / "b.txt").unlink()
    summary = build_store(corpus, out, workers=1)
    assert (summary.ingested, summary.reused) == (2, 1)
    full = build_store(corpus, tmp_path / "full", workers=1, full=True)
    assert full.reused == 0
    for name in ("documents", "mentions", "terms", "times", "events"):
        incremental = store.read_table(out, name).sort_values(list(store.read_table(out, name).columns[:2]))
        fresh = store.read_table(tmp_path / "full", name).sort_values(list(incremental.columns[:2]))
        pd.testing.assert_frame_equal(incremental.reset_index(drop=True), fresh.reset_index(drop=True), check_like=True)


def _sorted_table(folder: Path, name: str) -> pd.DataFrame:
    frame = store.read_table(folder, name)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _assert_same_as_a_full_build(corpus: Path, out: Path, full: Path) -> None:
    build_store(corpus, full, workers=1, full=True)
    for name in store.TABLES:
        pd.testing.assert_frame_equal(_sorted_table(out, name), _sorted_table(full, name), check_like=True, obj=name)


def test_incremental_builds_keep_segments_and_match_a_full_build_table_for_table(tmp_path):
    corpus, out = tmp_path / "in", tmp_path / "store"
    corpus.mkdir()
    _write(corpus, "a.txt", "---\ndate: 2024-10-30\n---\n10月29日,京东商城正式开通支付宝支付。")
    _write(corpus, "b.txt", "---\ndate: 2025-09-28\n---\n9月30日,微信发现-购物一级入口将于当日正式关闭,京东受影响。")
    build_store(corpus, out, workers=1)
    first = store.segment_dirs(out)[0]
    inode = (first / "documents.parquet").stat().st_ino
    # c reports a's event a day earlier: it becomes that event's first report, and the events are numbered again
    _write(corpus, "c.txt", "---\ndate: 2024-10-29\n---\n京东今日正式开通支付宝支付。")
    _write(corpus, "d.txt", "---\ndate: 2024-09-20\n---\n去年9月,淘宝官方微博正式宣布,淘宝已支持微信支付方式。")
    assert build_store(corpus, out, workers=1).reused == 2
    segments = store.segment_dirs(out)
    assert len(segments) == 2 and (segments[0] / "documents.parquet").stat().st_ino == inode  # linked, not copied
    documents = store.read_table(out, "documents").set_index("path")["doc_id"]
    jd_alipay = store.read_table(out, "events").query("a == '京东' and b == '支付宝'")
    assert jd_alipay[["first_doc_id", "reports", "articles"]].values.tolist() == [[documents["c.txt"], 2, 2]]
    _assert_same_as_a_full_build(corpus, out, tmp_path / "full-1")
    (corpus / "b.txt").unlink()  # the first segment loses an article: it is written again without it
    _write(corpus, "d.txt", "---\ndate: 2024-09-20\n---\n去年9月,淘宝正式宣布支持微信支付方式。")  # edited
    assert build_store(corpus, out, workers=1).reused == 2
    assert set(store.read_table(out, "documents")["path"]) == {"a.txt", "c.txt", "d.txt"}
    assert first.name not in {s.name for s in store.segment_dirs(out)}  # written again under a new name
    _assert_same_as_a_full_build(corpus, out, tmp_path / "full-2")


def test_a_store_always_has_one_segment_and_never_an_empty_one_beside_others(tmp_path):
    corpus, out = tmp_path / "in", tmp_path / "store"
    corpus.mkdir()
    build_store(corpus, out, workers=1)  # no articles: one empty segment, so that every table can be read
    assert len(store.segment_dirs(out)) == 1 and store.read_table(out, "documents").empty
    _write(corpus, "a.txt", "10月29日,京东商城正式开通支付宝支付。")
    build_store(corpus, out, workers=1)
    assert len(store.segment_dirs(out)) == 1 and len(store.read_table(out, "documents")) == 1
    (corpus / "a.txt").unlink()
    build_store(corpus, out, workers=1)
    assert len(store.segment_dirs(out)) == 1 and store.read_table(out, "events").empty


@pytest.mark.parametrize(("rows_per_group", "rows_per_batch"), [(store.ROW_GROUP_ROWS, store._ROWS_PER_FLUSH), (3, 2)])
def test_segments_beyond_the_limit_are_merged(tmp_path, monkeypatch, rows_per_group, rows_per_batch):
    monkeypatch.setattr(store, "MAX_SEGMENTS", 2)
    # (3, 2): a row group holds rows read in several batches, from several segments
    monkeypatch.setattr(store, "ROW_GROUP_ROWS", rows_per_group)
    monkeypatch.setattr(store, "_ROWS_PER_FLUSH", rows_per_batch)
    corpus, out = tmp_path / "in", tmp_path / "store"
    corpus.mkdir()
    _write(corpus, "a.txt", "---\ndate: 2024-10-30\n---\n10月29日,京东商城正式开通支付宝支付。用户可在结算页选择。")
    build_store(corpus, out, workers=1)
    for i, text in enumerate(
        [
            "淘宝已支持微信支付方式。这是双方首次合作。",
            "京东物流正式接入菜鸟驿站。包裹可到站自提。",
            "抖音与淘宝宣布合作。详情尚未公布。",
        ]
    ):
        _write(corpus, f"new-{i}.txt", f"---\ndate: 2025-0{i + 1}-10\n---\n{text}")
        build_store(corpus, out, workers=1)
        assert len(store.segment_dirs(out)) <= 2
    assert len(store.read_table(out, "documents")) == 4
    _assert_same_as_a_full_build(corpus, out, tmp_path / "full")


def test_a_new_file_that_cannot_be_read_is_reported_by_the_next_build(tmp_path):
    corpus, out = tmp_path / "in", tmp_path / "store"
    corpus.mkdir()
    _write(corpus, "a.txt", "京东商城正式开通支付宝支付。")
    build_store(corpus, out, workers=1)
    _write(corpus, ".淘宝.txt", "淘宝已支持微信支付方式。")
    assert not build_store(corpus, out, workers=1).up_to_date
    assert {"path": ".淘宝.txt", "status": "rejected", "reason": "hidden file"}.items() <= next(
        e for e in store.read_report(out)["inputs"] if e["path"] == ".淘宝.txt"
    ).items()
    assert build_store(corpus, out, workers=1).up_to_date


def test_an_edited_file_is_read_again(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    _write(corpus, "a.txt", "京东商城正式开通支付宝支付。")
    out = tmp_path / "store"
    build_store(corpus, out, workers=1)
    _write(corpus, "a.txt", "京东商城正式开通支付宝支付。淘宝已支持微信支付方式。")
    summary = build_store(corpus, out, workers=1)
    assert summary.reused == 0 and not summary.up_to_date
    assert "微信支付" in set(store.read_table(out, "mentions")["entity"])


def test_a_duplicate_becomes_the_original_when_the_original_is_removed(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    _write(corpus, "a.txt", "京东商城正式开通支付宝支付。")
    _write(corpus, "b.txt", "京東商城正式開通支付寶支付。")
    out = tmp_path / "store"
    build_store(corpus, out, workers=1)
    (corpus / "a.txt").unlink()
    summary = build_store(corpus, out, workers=1)
    assert (summary.ingested, summary.duplicates) == (1, 0)
    assert store.read_table(out, "documents")["path"].tolist() == ["b.txt"]


def test_a_corpus_with_a_duplicate_is_up_to_date_when_nothing_changed(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    _write(corpus, "a.txt", "京东商城正式开通支付宝支付。")
    _write(corpus, "b.txt", "京東商城正式開通支付寶支付。")
    build_store(corpus, tmp_path / "store", workers=1)
    assert build_store(corpus, tmp_path / "store", workers=1).up_to_date


def test_a_build_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("2024年10月29日，京东宣布接入支付宝支付。", encoding="utf-8")
    frozen_before = gc.get_freeze_count()
    build_store(folder, tmp_path / "out", workers=1)
    assert gc.get_freeze_count() == frozen_before
    assert gc.isenabled()


def _failing_corpus(folder: Path) -> Path:
    folder.mkdir()
    _write(folder, "a.txt", "京东与支付宝达成合作，用户可以使用支付宝付款。")
    _write(folder, "b.html", "<html><body><p>淘宝宣布接入微信支付，双方表示将继续推进互联互通。</p></body></html>")
    rows = [{"title": "一", "text": "美团外卖接入了云闪付。"}, {"title": "二", "text": "抖音商城开通了支付宝付款。"}]
    _write(folder, "c.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    return folder


@pytest.mark.parametrize("workers", [1, 2])
def test_a_reader_that_raises_rejects_its_file_with_the_reason_and_the_build_goes_on(tmp_path, monkeypatch, workers):
    def broken_reader(text, source):
        raise ImportError(f"no module named lxml_html_clean in {tmp_path}/site-packages/lxml/html")

    monkeypatch.setattr("hutong.ingest._read_html", broken_reader)
    out = tmp_path / "store"
    summary = build_store(_failing_corpus(tmp_path / "in"), out, workers=workers)
    assert (summary.ingested, summary.rejected) == (3, 1)
    entries = {(e["path"], e["row"]): e for e in store.read_report(out)["inputs"]}
    assert {key for key, e in entries.items() if e["status"] == "ingested"} == {
        ("a.txt", None),
        ("c.jsonl", 1),
        ("c.jsonl", 2),
    }
    assert entries[("b.html", None)]["reason"] == "reading failed: ImportError: no module named lxml_html_clean in html"


@pytest.mark.parametrize("workers", [1, 2])
def test_an_article_whose_analysis_raises_is_rejected_alone(tmp_path, monkeypatch, workers):
    from hutong import pipeline

    real = pipeline.extract_time_expressions

    def breaks_on_cloud_pay(sentences, **options):
        if any("云闪付" in s.text for s in sentences):
            raise KeyError("云闪付")
        return real(sentences, **options)

    monkeypatch.setattr(pipeline, "extract_time_expressions", breaks_on_cloud_pay)
    out = tmp_path / "store"
    summary = build_store(_failing_corpus(tmp_path / "in"), out, workers=workers)
    assert (summary.ingested, summary.rejected) == (3, 1)
    rejected = [e for e in store.read_report(out)["inputs"] if e["status"] == "rejected"]
    assert [(e["path"], e["row"], e["reason"]) for e in rejected] == [
        ("c.jsonl", 1, "analysis failed: KeyError: '云闪付'")
    ]


def test_a_store_of_another_input_folder_is_replaced_only_when_asked(tmp_path):
    first, second = tmp_path / "mine", tmp_path / "theirs"
    first.mkdir(), second.mkdir()
    _write(first, "a.txt", "京东与支付宝达成合作。")
    _write(second, "b.txt", "淘宝接入了微信支付。")
    out = tmp_path / "store"
    build_store(first, out, workers=1)
    with pytest.raises(ReplaceRefused, match="built from another input folder"):
        build_store(second, out, workers=1)
    assert store.read_table(out, "documents")["path"].tolist() == ["a.txt"]
    build_store(second, out, workers=1, replace=True)
    assert store.read_table(out, "documents")["path"].tolist() == ["b.txt"]
    assert store.read_summary(out)["input_dir"] == str(second.resolve())


def test_a_folder_that_is_not_a_store_is_never_replaced_unasked(tmp_path):
    corpus = tmp_path / "articles"
    corpus.mkdir()
    _write(corpus, "a.txt", "京东与支付宝达成合作。")
    with pytest.raises(ReplaceRefused, match="not a Hutong store"):
        build_store(corpus, corpus, workers=1)
    assert _files(corpus) == {"a.txt": "京东与支付宝达成合作。".encode()}
