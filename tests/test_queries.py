"""Tests for hutong.queries: the dashboard's questions to a store, on stores built from real Chinese text."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hutong import queries as q
from hutong.lexicon import load_lexicon
from hutong.queries import CorpusFilter


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.fixture(scope="module")
def groups(lexicon) -> dict[str, str]:
    return {name: entity.group for name, entity in lexicon.entities.items()}


@pytest.fixture(scope="module")
def seed(seed_store):
    """An in-memory DuckDB connection with a view per table of the seed store."""
    con = q.connect(seed_store)
    yield con
    con.close()


@pytest.fixture(scope="module")
def tiny(tiny_store):
    con = q.connect(tiny_store)
    yield con
    con.close()


def event(frame: pd.DataFrame, a: str, b: str, domain: str, action: str) -> pd.Series:
    rows = frame[(frame["a"] == a) & (frame["b"] == b) & (frame["domain"] == domain) & (frame["action"] == action)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# ---- the corpus at a glance ---------------------------------------------------------------------------------


def test_overview_counts_the_seed_corpus(seed):
    overview = q.corpus_overview(seed)
    assert overview["articles"] == 2
    assert overview["sources"] == 2
    assert (overview["first"], overview["last"]) == (date(2025, 3, 10), date(2025, 9, 28))
    assert overview["scripts"] == {"simplified": 1, "traditional": 1}
    assert overview["events"] >= 10


def test_overview_counts_undated_articles(tiny):
    assert q.corpus_overview(tiny)["undated"] == 1


def test_date_bounds_cover_event_dates_before_publication(seed):
    first, last = q.date_bounds(seed)
    assert first <= date(2011, 1, 1)  # 2011: 京东 stops taking 支付宝
    assert last >= date(2025, 9, 30)  # the day 微信 closes the 京东 entry


@pytest.mark.parametrize(
    ("first", "last", "bucket"),
    [(date(2025, 1, 1), date(2025, 1, 20), "day"), (date(2025, 1, 1), date(2025, 3, 20), "week"),
     (date(2025, 3, 10), date(2025, 9, 28), "month"), (date(2015, 1, 1), date(2025, 1, 1), "quarter"),
     (None, None, "month")],
)
def test_bucket_fits_the_span(first, last, bucket):
    assert q.choose_bucket(first, last) == bucket


# ---- keyword trends ------------------------------------------------------------------------------------------


def test_keyword_trend_is_normalised_per_10k_tokens_with_raw_counts(seed):
    trends = q.keyword_trends(seed, q.NO_FILTER, terms=["流量"], bucket="month")
    assert trends["bucket"].dt.strftime("%Y-%m").tolist() == ["2025-03", "2025-09"]
    september = trends.iloc[1]
    assert september["count"] > 0
    assert september["per10k"] == pytest.approx(september["count"] / september["tokens"] * 10_000)
    assert september["share"] == 1.0
    assert trends.iloc[0]["count"] == 0  # a bucket without the term is a zero, not a gap


def test_rising_terms_come_from_the_latest_bucket(tiny):
    rising = q.rising_terms(tiny, q.NO_FILTER, bucket="month", top_n=3, min_count=2)
    assert rising[0] == "流量"  # three times in March, never before


def test_rising_terms_degrade_to_the_most_frequent_with_one_bucket(seed):
    only_september = CorpusFilter(date_from=date(2025, 9, 1))
    rising = q.rising_terms(seed, only_september, bucket="month", top_n=5)
    assert len(rising) == 5
    assert "流量" in rising


def test_rising_terms_of_an_empty_selection_is_empty(seed):
    assert q.rising_terms(seed, CorpusFilter(text="不存在的词语"), bucket="month") == []


def test_term_in_context_lists_the_sentences_behind_a_point(seed):
    rows = q.term_in_context(seed, q.NO_FILTER, term="流量", bucket="month", bucket_start=date(2025, 9, 1))
    assert len(rows) > 3
    assert all("流量" in text for text in rows["text"])
    assert set(rows["title"]) == {"網經社陳虎東:京東與微信合作變化 互聯網巨頭走向開放共生合作模式"}
    assert rows["original"].str.contains("流量").any()  # shown in the article's own (traditional) script


# ---- filters -------------------------------------------------------------------------------------------------


def test_search_in_either_script_finds_the_traditional_article(seed):
    simplified = q.articles(seed, CorpusFilter(text="开放共生"))
    traditional = q.articles(seed, CorpusFilter(text="開放共生"))
    assert len(simplified) == len(traditional) == 1
    assert q.articles(seed, CorpusFilter(text="京東"))["doc_id"].nunique() == 2  # 京東 is 京东 in the other one


def test_search_treats_like_wildcards_literally(seed):
    assert len(q.articles(seed, CorpusFilter(text="130%"))) == 1
    assert q.articles(seed, CorpusFilter(text="1_0%")).empty


def test_source_and_date_filters_select_articles(seed):
    assert len(q.articles(seed, CorpusFilter(sources=("电商报 (dsb.cn)",)))) == 1
    assert len(q.articles(seed, CorpusFilter(date_to=date(2025, 6, 1)))) == 1
    assert q.articles(seed, CorpusFilter(date_from=date(2026, 1, 1))).empty


def test_entity_filter_keeps_articles_mentioning_any_member(seed, lexicon):
    members = tuple(lexicon.members_of("阿里巴巴"))
    assert {"淘宝", "天猫", "支付宝", "菜鸟"} <= set(members)
    assert len(q.articles(seed, CorpusFilter(entities=members))) == 2
    assert len(q.articles(seed, CorpusFilter(entities=("支付宝",)))) == 1


def test_articles_are_in_china_time_newest_first(seed):
    table = q.articles(seed, q.NO_FILTER)
    assert table["published_at"].iloc[0] == pd.Timestamp("2025-09-28 20:12")


# ---- entities -------------------------------------------------------------------------------------------------


def test_entity_counts_rank_entities_with_their_group(seed, groups):
    counts = q.entity_counts(seed, q.NO_FILTER, groups=groups)
    assert counts.iloc[0]["entity"] == "京东"
    assert counts.set_index("entity").loc["淘宝", "group"] == "阿里巴巴"
    assert counts["mentions"].is_monotonic_decreasing


def test_mentions_over_time_roll_a_group_up(seed, lexicon):
    series = {"阿里巴巴": lexicon.members_of("阿里巴巴"), "淘宝": ["淘宝"]}
    frame = q.entity_mentions_over_time(seed, q.NO_FILTER, series=series, bucket="month").set_index(["entity", "bucket"])
    march = pd.Timestamp("2025-03-01")
    assert frame.loc[("阿里巴巴", march), "mentions"] > frame.loc[("淘宝", march), "mentions"] > 0


def test_cooccurrence_links_entities_of_one_sentence(seed, groups):
    nodes, edges = q.entity_cooccurrence(seed, q.NO_FILTER, groups=groups, top_n=10)
    assert len(nodes) == 10
    pairs = {frozenset(p) for p in zip(edges["a"], edges["b"], strict=True)}
    assert frozenset(("京东", "支付宝")) in pairs
    assert (edges["a"] < edges["b"]).all()
    assert set(edges["a"]) | set(edges["b"]) <= set(nodes["entity"])


def test_circular_layout_is_deterministic_and_groups_members(seed, groups):
    nodes, _ = q.entity_cooccurrence(seed, q.NO_FILTER, groups=groups)
    first, second = q.circular_layout(nodes), q.circular_layout(nodes.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(first, second)
    assert ((first["x"] ** 2 + first["y"] ** 2 - 1).abs() < 1e-9).all()
    assert first["group"].is_monotonic_increasing


# ---- events ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "start", "precision"),
    [("2011", date(2011, 1, 1), "year"), ("2024-10", date(2024, 10, 1), "month"),
     ("2024-10-29", date(2024, 10, 29), "day"), (None, None, None), ("soon", None, None)],
)
def test_dates_are_placed_at_the_period_start(value, start, precision):
    assert q.period_start(value) == start
    assert q.precision(value) == precision


def test_events_filter_by_domain_entity_and_date(seed, lexicon):
    payment = q.events(seed, CorpusFilter(domains=("payment",)))
    assert set(payment["domain"]) == {"payment"}
    alipay = q.events(seed, CorpusFilter(entities=("支付宝",)))
    assert alipay.apply(lambda e: "支付宝" in (e["a"], e["b"]), axis=1).all()
    recent = q.events(seed, CorpusFilter(date_from=date(2025, 1, 1)))
    assert all(w >= date(2025, 1, 1) for w in recent["when"])
    assert q.events(seed, CorpusFilter(date_from=date(2030, 1, 1))).columns.tolist() == payment.columns.tolist()


def test_events_filter_by_the_articles_reporting_them(seed):
    wechat_article = q.events(seed, CorpusFilter(sources=("華盛通 (hstong.com) reprinting 網經社",)))
    assert set(wechat_article["b"]) <= {"京东", "腾讯"}
    assert len(wechat_article) == 3


def test_timeline_has_the_jd_alipay_payment_bar_from_its_start(seed, groups):
    events = q.events(seed, q.NO_FILTER)
    bars, marks = q.partnership_timeline(events, until=q.last_article_day(seed), groups=groups)
    row = bars[bars["row"] == ("京东", "支付宝", "payment")].iloc[0]
    assert row["start"] == date(2024, 10, 29)
    assert row["open"] and row["end"] == date(2025, 9, 28)  # still open: to the last article
    kinds = marks[marks["row"] == ("京东", "支付宝", "payment")]["mark"].tolist()
    assert kinds == ["end_without_start", "planned", "start", "planned"]  # 2011, 2024-09, 10-29, 2025-01


def test_timeline_ends_wechat_jd_traffic_on_the_closing_day(seed, groups):
    events = q.events(seed, q.NO_FILTER)
    bars, _ = q.partnership_timeline(events, until=q.last_article_day(seed), groups=groups)
    row = bars[bars["row"] == ("微信", "京东", "traffic")].iloc[0]
    assert row["end"] == date(2025, 9, 30) and not row["open"]
    # the start is 腾讯 – 京东's (微信 belongs to 腾讯), 2014
    assert row["start"] == date(2014, 1, 1) and row["inherited_from"] == row["start_event"]


def test_timeline_puts_milestones_on_their_own_rows(seed, groups):
    _, marks = q.partnership_timeline(q.events(seed, q.NO_FILTER), until=None, groups=groups)
    milestones = marks[marks["mark"] == "milestone"]
    # two regulatory milestones and one company milestone (京东 launches 京东家政)
    assert set(milestones["row"]) == {("工信部", None, "milestone"), ("国家发展改革委", None, "milestone"),
                                      ("京东", None, "milestone")}


def synthetic_events(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["event_id", "kind", "a", "b", "a_group", "b_group", "domain", "action", "date"])
    frame["when"] = [q.period_start(d) for d in frame["date"]]
    frame["precision"] = [q.precision(d) for d in frame["date"]]
    return frame


def test_timeline_bar_closes_at_the_next_end_and_reopens():
    events = synthetic_events([
        ("e1", "partnership", "支付宝", "京东", "阿里巴巴", "京东", "payment", "start", "2010"),
        ("e2", "partnership", "京东", "支付宝", "京东", "阿里巴巴", "payment", "end", "2011-05"),
        ("e3", "partnership", "京东", "支付宝", "京东", "阿里巴巴", "payment", "start", "2024-10-29"),
    ])
    bars, _ = q.partnership_timeline(events, until=date(2025, 1, 1), groups={})
    assert bars["row"].nunique() == 1  # 支付宝 – 京东 and 京东 – 支付宝 are one row, named as first seen
    assert bars["row"].iloc[0] == ("支付宝", "京东", "payment")
    assert list(zip(bars["start"], bars["end"], bars["open"], strict=True)) == [
        (date(2010, 1, 1), date(2011, 5, 1), False), (date(2024, 10, 29), date(2025, 1, 1), True)]


def test_matrix_as_of_the_latest_day(seed):
    events = q.events(seed, q.NO_FILTER, dates=False)
    matrix = q.interop_matrix_as_of(events, date(2025, 10, 1)).set_index(["row_party", "col_party", "domain"])
    assert matrix.loc[("京东", "支付宝", "payment"), "state"] == "open"  # a later plan does not close it
    assert matrix.loc[("支付宝", "京东", "payment"), "state"] == "open"
    assert matrix.loc[("微信", "京东", "traffic"), "state"] == "closed"


@pytest.mark.parametrize(("as_of", "state"), [(date(2012, 1, 1), "closed"), (date(2024, 9, 15), "planned"),
                                              (date(2024, 10, 29), "open")])
def test_matrix_follows_the_jd_alipay_history(seed, as_of, state):
    events = q.events(seed, q.NO_FILTER, dates=False)
    matrix = q.interop_matrix_as_of(events, as_of).set_index(["row_party", "col_party", "domain"])
    assert matrix.loc[("京东", "支付宝", "payment"), "state"] == state


def test_matrix_at_group_level_and_its_parties(seed):
    events = q.events(seed, q.NO_FILTER, dates=False)
    matrix = q.interop_matrix_as_of(events, date(2025, 10, 1), level="group")
    assert set(matrix["row_party"]) <= {"京东", "阿里巴巴", "腾讯", "字节跳动"}
    assert q.matrix_parties(events, level="group") == sorted(set(matrix["row_party"]) | set(matrix["col_party"]))
    assert {"京东", "支付宝", "微信"} <= set(q.matrix_parties(events))
    assert "工信部" not in q.matrix_parties(events)  # milestones are not partnerships


def test_cell_events_list_the_events_behind_a_cell(seed):
    events = q.events(seed, q.NO_FILTER, dates=False)
    matrix = q.interop_matrix_as_of(events, date(2025, 10, 1))
    behind = q.cell_events(events, matrix, "支付宝", "京东")
    assert behind["action"].tolist() == ["end", "planned", "start", "planned"]


def test_event_reports_bring_every_report_with_its_article(seed):
    events = q.events(seed, q.NO_FILTER)
    jd_alipay = event(events, "京东", "支付宝", "payment", "start")
    reports = q.event_reports(seed, [jd_alipay["event_id"]])
    assert len(reports) == jd_alipay["reports"]
    first = reports.iloc[0]
    assert (first["doc_id"], first["report_index"]) == (jd_alipay["first_doc_id"], jd_alipay["first_report_index"])
    assert first["title"] == "马云联手刘强东甩出王炸"
    assert first["sentence_original"] == first["evidence"]
    assert len(first["sentence_simplified"]) == len(first["sentence_original"])


def test_events_export_as_json_with_their_reports(seed):
    events = q.events(seed, q.NO_FILTER)
    records = json.loads(q.json_bytes(q.events_with_reports(seed, events)))
    assert len(records) == len(events)
    assert all(len(r["report_list"]) == r["reports"] for r in records)


def test_csv_export_opens_as_utf8_in_spreadsheets():
    data = q.csv_bytes(pd.DataFrame({"a": ["京东"]}))
    assert data.startswith("\ufeff".encode()) and "京东" in data.decode("utf-8-sig")


# ---- articles -----------------------------------------------------------------------------------------------------


def test_annotations_are_spans_of_the_original_text(seed):
    doc_id = q.articles(seed, CorpusFilter(text="微信"))["doc_id"].iloc[0]
    text = q.article(seed, doc_id)["text"]
    spans = q.article_annotations(seed, doc_id)
    entity = spans[spans["kind"] == "entity"].iloc[0]
    assert len(text[entity["start"]:entity["end"]]) == len(entity["detail"])
    time_span = spans[(spans["kind"] == "time") & (spans["label"] == "2025-09-30")].iloc[0]
    assert text[time_span["start"]:time_span["end"]] in {"9月30日", "當日"}


def test_unknown_article_is_none(seed):
    assert q.article(seed, "no-such-doc") is None


# ---- freshness and uploads -------------------------------------------------------------------------------------------


def test_store_is_stale_when_missing_or_older_than_raw(tmp_path, seed_store):
    import shutil

    from hutong.paths import RAW_DIR

    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    for path in raw.iterdir():
        os.utime(path, (0, 0))
    seed_store = _rebuilt_from(raw, tmp_path)
    assert q.store_is_stale(tmp_path / "nothing", raw)
    assert not q.store_is_stale(seed_store, raw)
    (raw / "b.txt").write_text("y", encoding="utf-8")
    future = time.time() + 3600
    os.utime(raw / "b.txt", (future, future))
    assert q.store_is_stale(seed_store, raw)


def test_uploads_are_written_under_generated_names(tmp_path):
    files = [("../../etc/passwd.txt", "京东接入支付宝。".encode()), ("报道.MD", b"# t\n\ntext")]
    folder = q.stage_uploads(files, limits=q.UploadLimits(), folder=tmp_path / "in")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["MANIFEST.csv", "upload-001.txt", "upload-002.md"]
    assert not (tmp_path / "etc").exists()
    assert "../../etc/passwd.txt" in (folder / "MANIFEST.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "limits", "reason"),
    [([("a.txt", b"x" * 11)], q.UploadLimits(max_bytes=10), "over the limit"),
     ([("a.txt", b"x"), ("b.txt", b"y")], q.UploadLimits(max_files=1), "over the limit of 1"),
     ([("a.exe", b"x")], q.UploadLimits(), "is not one of"),
     ([], q.UploadLimits(), "no files")],
)
def test_uploads_over_a_limit_are_refused(tmp_path, files, limits, reason):
    with pytest.raises(q.UploadRejected, match=reason):
        q.stage_uploads(files, limits=limits, folder=tmp_path / "in")


def test_upload_limits_come_from_the_environment():
    limits = q.UploadLimits.from_env({"HUTONG_UPLOAD_MAX_MB": "1", "HUTONG_UPLOAD_MAX_FILES": "3", "HUTONG_UPLOADS": "off"})
    assert limits == q.UploadLimits(enabled=False, max_bytes=2**20, max_files=3)
    assert q.UploadLimits.from_env({}) == q.UploadLimits()
    assert q.UploadLimits.from_env({"HUTONG_UPLOAD_MAX_MB": "lots"}).max_bytes == 20 * 2**20


def test_private_store_is_built_in_a_temporary_folder_and_discarded(monkeypatch):
    calls = []

    def fake_build(input_dir: Path, out_dir: Path, **options):
        calls.append((input_dir, out_dir, options))
        out_dir.mkdir()

    store_dir = q.build_private_store([("a.txt", "京东".encode())], limits=q.UploadLimits(), build=fake_build)
    assert store_dir.is_dir() and calls[0][2]["workers"] == 1
    assert (calls[0][0] / "upload-001.txt").exists()
    q.discard_private_store(store_dir)
    assert not store_dir.parent.exists()


# ---- small look-ups the page uses ---------------------------------------------------------------------------------


def test_auto_bucket_fits_the_span_and_a_chosen_one_stays():
    assert q.resolve_bucket("auto", date(2025, 3, 10), date(2025, 9, 28)) == "month"
    assert q.resolve_bucket("day", date(2025, 3, 10), date(2025, 9, 28)) == "day"


def test_as_of_range_runs_from_the_first_event_to_the_last_day(seed):
    events = q.events(seed, q.NO_FILTER)
    assert q.as_of_range(events, q.date_bounds(seed)) == (date(2011, 1, 1), date(2025, 9, 30))
    assert q.as_of_range(events.iloc[0:0], None) is None


def test_event_by_id(seed):
    events = q.events(seed, q.NO_FILTER)
    assert q.event_by_id(events, "e00001")["event_id"] == "e00001"
    assert q.event_by_id(events, "e99999") is None and q.event_by_id(events, None) is None


def test_mention_series_default_to_the_most_mentioned(seed, groups, lexicon):
    counts = q.entity_counts(seed, q.NO_FILTER, groups=groups)
    assert list(q.mention_series([], counts, members_of=lexicon.members_of)) == counts["entity"].head(5).tolist()
    series = q.mention_series(["阿里巴巴", "不在词表"], counts, members_of=lexicon.members_of)
    assert "淘宝" in series["阿里巴巴"] and series["不在词表"] == ["不在词表"]


def _rebuilt_from(raw, tmp_path):
    from hutong.pipeline import build_store

    build_store(raw, tmp_path / "store", workers=1)
    return tmp_path / "store"


def test_a_store_built_from_another_folder_is_never_stale(tmp_path, seed_store):
    other = tmp_path / "other"
    other.mkdir()
    (other / "new.txt").write_text("京东接入支付宝。", encoding="utf-8")
    assert not q.store_is_stale(seed_store, other)


def test_store_is_stale_when_made_by_another_version_of_the_analysis(tmp_path, seed_store):
    import json
    import shutil

    from hutong.paths import RAW_DIR

    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    for path in raw.iterdir():
        os.utime(path, (0, 0))
    copy = _rebuilt_from(raw, tmp_path)
    assert not q.store_is_stale(copy, raw)
    report = json.loads((copy / "report.json").read_text(encoding="utf-8"))
    report["summary"]["analysis_version"] = "older"
    (copy / "report.json").write_text(json.dumps(report), encoding="utf-8")
    assert q.store_is_stale(copy, raw)
