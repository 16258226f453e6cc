"""Tests for hutong.queries: the dashboard's questions to a store, on stores built from real Chinese text."""

from __future__ import annotations

import gc
import json
import os
import random
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hutong import queries as q
from hutong import timeline
from hutong.lexicon import load_lexicon
from hutong.normalise import to_simplified
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
    [
        (date(2025, 1, 1), date(2025, 1, 20), "day"),
        (date(2025, 1, 1), date(2025, 3, 20), "week"),
        (date(2025, 3, 10), date(2025, 9, 28), "month"),
        (date(2015, 1, 1), date(2025, 1, 1), "quarter"),
        (None, None, "month"),
    ],
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
    frame = q.entity_mentions_over_time(seed, q.NO_FILTER, series=series, bucket="month").set_index(
        ["entity", "bucket"]
    )
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
    assert set(milestones["row"]) == {
        ("工信部", None, "milestone"),
        ("国家发展改革委", None, "milestone"),
        ("京东", None, "milestone"),
    }


def synthetic_events(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["event_id", "kind", "a", "b", "a_group", "b_group", "domain", "action", "date"])
    frame["when"] = [q.period_start(d) for d in frame["date"]]
    frame["precision"] = [q.precision(d) for d in frame["date"]]
    return frame


def test_timeline_bar_closes_at_the_next_end_and_reopens():
    events = synthetic_events(
        [
            ("e1", "partnership", "支付宝", "京东", "阿里巴巴", "京东", "payment", "start", "2010"),
            ("e2", "partnership", "京东", "支付宝", "京东", "阿里巴巴", "payment", "end", "2011-05"),
            ("e3", "partnership", "京东", "支付宝", "京东", "阿里巴巴", "payment", "start", "2024-10-29"),
        ]
    )
    bars, _ = q.partnership_timeline(events, until=date(2025, 1, 1), groups={})
    assert bars["row"].nunique() == 1  # 支付宝 – 京东 and 京东 – 支付宝 are one row, named as first seen
    assert bars["row"].iloc[0] == ("支付宝", "京东", "payment")
    assert list(zip(bars["start"], bars["end"], bars["open"], strict=True)) == [
        (date(2010, 1, 1), date(2011, 5, 1), False),
        (date(2024, 10, 29), date(2025, 1, 1), True),
    ]


def test_matrix_as_of_the_latest_day(seed):
    matrix = q.interop_matrix(seed, q.NO_FILTER, as_of=date(2025, 10, 1)).set_index(
        ["row_party", "col_party", "domain"]
    )
    assert matrix.loc[("京东", "支付宝", "payment"), "state"] == "open"  # a later plan does not close it
    assert matrix.loc[("支付宝", "京东", "payment"), "state"] == "open"
    assert matrix.loc[("微信", "京东", "traffic"), "state"] == "closed"


@pytest.mark.parametrize(
    ("as_of", "state"), [(date(2012, 1, 1), "closed"), (date(2024, 9, 15), "planned"), (date(2024, 10, 29), "open")]
)
def test_matrix_follows_the_jd_alipay_history(seed, as_of, state):
    matrix = q.interop_matrix(seed, q.NO_FILTER, as_of=as_of).set_index(["row_party", "col_party", "domain"])
    assert matrix.loc[("京东", "支付宝", "payment"), "state"] == state


def test_matrix_at_group_level_and_its_parties(seed):
    matrix = q.interop_matrix(seed, q.NO_FILTER, as_of=date(2025, 10, 1), level="group")
    assert set(matrix["row_party"]) <= {"京东", "阿里巴巴", "腾讯", "字节跳动"}
    groups = q.matrix_parties(seed, q.NO_FILTER, level="group")
    assert groups == sorted(set(matrix["row_party"]) | set(matrix["col_party"]))
    assert {"京东", "支付宝", "微信"} <= set(q.matrix_parties(seed, q.NO_FILTER))
    assert "工信部" not in q.matrix_parties(seed, q.NO_FILTER)  # milestones are not partnerships


def test_cell_events_list_the_events_behind_a_cell(seed):
    behind = q.cell_events(seed, q.NO_FILTER, row="支付宝", col="京东", as_of=date(2025, 10, 1))
    assert behind["action"].tolist() == ["end", "planned", "start", "planned"]
    matrix = q.interop_matrix(seed, q.NO_FILTER, as_of=date(2025, 10, 1))
    cell = matrix[(matrix["row_party"] == "支付宝") & (matrix["col_party"] == "京东")]
    assert cell["events"].sum() == len(behind)


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
    records = json.loads(q.json_bytes(q.events_with_reports(seed, q.NO_FILTER)))
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
    assert len(text[entity["start"] : entity["end"]]) == len(entity["detail"])
    time_span = spans[(spans["kind"] == "time") & (spans["label"] == "2025-09-30")].iloc[0]
    assert text[time_span["start"] : time_span["end"]] in {"9月30日", "當日"}


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
    [
        ([("a.txt", b"x" * 11)], q.UploadLimits(max_bytes=10), "over the limit"),
        ([("a.txt", b"x"), ("b.txt", b"y")], q.UploadLimits(max_files=1), "over the limit of 1"),
        ([("a.exe", b"x")], q.UploadLimits(), "is not one of"),
        ([], q.UploadLimits(), "no files"),
    ],
)
def test_uploads_over_a_limit_are_refused(tmp_path, files, limits, reason):
    with pytest.raises(q.UploadRejected, match=reason):
        q.stage_uploads(files, limits=limits, folder=tmp_path / "in")


def test_upload_limits_come_from_the_environment():
    limits = q.UploadLimits.from_env(
        {"HUTONG_UPLOAD_MAX_MB": "1", "HUTONG_UPLOAD_MAX_FILES": "3", "HUTONG_UPLOADS": "off"}
    )
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


def _private_store_of(text: str) -> Path:
    def make_store(input_dir: Path, out_dir: Path, **options):
        out_dir.mkdir()

    return q.build_private_store([("a.txt", text.encode())], limits=q.UploadLimits(), build=make_store)


def test_a_private_corpus_is_removed_when_its_session_state_is_dropped():
    store_dir = _private_store_of("京东商城正式开通支付宝支付。")
    session_state = {"_private_corpus": q.PrivateCorpus(store_dir)}
    assert store_dir.is_dir()
    session_state.clear()
    gc.collect()
    assert not store_dir.parent.exists()


def test_a_private_corpus_is_removed_when_replaced():
    first = q.PrivateCorpus(_private_store_of("淘宝天猫宣布全面接入微信支付。"))
    first.discard()
    assert not Path(first.store_dir).parent.exists()


def test_upload_folders_of_a_killed_server_are_removed_after_a_day():
    old, fresh = _private_store_of("美团宣布接入云闪付。"), _private_store_of("抖音电商与支付宝展开合作。")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(old.parent, (two_days_ago, two_days_ago))
    assert q.remove_stale_uploads() >= 1
    assert not old.parent.exists() and fresh.parent.exists()
    q.discard_private_store(fresh)


# ---- small look-ups the page uses ---------------------------------------------------------------------------------


def test_auto_bucket_fits_the_span_and_a_chosen_one_stays():
    assert q.resolve_bucket("auto", date(2025, 3, 10), date(2025, 9, 28)) == "month"
    assert q.resolve_bucket("day", date(2025, 3, 10), date(2025, 9, 28)) == "day"


def test_as_of_range_runs_from_the_first_event_to_the_last_day(seed):
    assert q.as_of_range(seed) == (date(2011, 1, 1), date(2025, 9, 30))
    without_events = duckdb.connect()
    without_events.execute("CREATE TABLE events (date VARCHAR)")
    assert q.as_of_range(without_events) is None


def test_one_event_comes_with_its_period(seed):
    event = q.event(seed, "e00001")
    assert event["event_id"] == "e00001" and event["when"] == q.period_start(event["date"])
    assert q.event(seed, "e99999") is None and q.event(seed, None) is None


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


# ---- aggregates give the exact answers --------------------------------------------------------------------------------
# The queries answer from the store's aggregates where they can; these ask the same questions of the raw rows, the
# way the queries asked them before there were aggregates, under filters that take each way through the queries.

FILTERS = {
    "none": CorpusFilter(),
    "dates": CorpusFilter(date_from=date(2025, 1, 1), date_to=date(2025, 2, 28)),
    "one source": CorpusFilter(sources=("测试日报", "电商报 (dsb.cn)")),  # a source of each store: some articles
    "every source": CorpusFilter(
        sources=("测试日报", "测试晚报", "电商报 (dsb.cn)", "華盛通 (hstong.com) reprinting 網經社")
    ),
    "entity": CorpusFilter(entities=("支付宝", "京东物流")),
    "text": CorpusFilter(text="京東"),
    "latin text": CorpusFilter(text="app"),
    "dates and source": CorpusFilter(
        date_from=date(2025, 2, 1), sources=("测试晚报", "華盛通 (hstong.com) reprinting 網經社")
    ),
}


@pytest.fixture(params=["seed", "tiny"])
def con(request, seed, tiny):
    return {"seed": seed, "tiny": tiny}[request.param]


def raw_where(filt: CorpusFilter, *, dates: bool = True) -> tuple[str, list]:
    """The filters over `documents d` as plain SQL on the raw tables (ILIKE on titles, texts and sentences)."""
    local = "CAST(timezone('Asia/Shanghai', d.published_at) AS DATE)"
    clauses, params = ["TRUE"], []
    if dates and filt.date_from:
        clauses.append(f"{local} >= ?")
        params.append(filt.date_from)
    if dates and filt.date_to:
        clauses.append(f"{local} <= ?")
        params.append(filt.date_to)
    if filt.sources:
        clauses.append("list_contains(?, d.source)")
        params.append(list(filt.sources))
    if filt.entities:
        clauses.append("d.doc_id IN (SELECT doc_id FROM mentions WHERE list_contains(?, entity))")
        params.append(list(filt.entities))
    if filt.text:
        matches = []
        for needle in {filt.text, to_simplified(filt.text)}:
            like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            matches.append(
                "d.title ILIKE ? ESCAPE '\\' OR d.text ILIKE ? ESCAPE '\\' OR d.doc_id IN "
                "(SELECT doc_id FROM sentences WHERE text ILIKE ? ESCAPE '\\')"
            )
            params += [like] * 3
        clauses.append("(" + " OR ".join(matches) + ")")
    return " AND ".join(clauses), params


def raw_term_uses(con, filt: CorpusFilter, bucket: str) -> pd.DataFrame:
    where, params = raw_where(filt)
    return con.execute(
        f"""SELECT t.term, date_trunc('{bucket}', timezone('Asia/Shanghai', d.published_at)) AS bucket,
                   sum(t.count) AS count, count(DISTINCT t.doc_id) AS docs
            FROM terms t JOIN documents d USING (doc_id) WHERE d.published_at IS NOT NULL AND {where} GROUP BY ALL""",
        params,
    ).df()


def raw_rising_terms(con, filt: CorpusFilter, bucket: str, top_n: int = 8, min_count: int = 2) -> list[str]:
    """rising_terms as it was computed before the aggregates, over every term row of the kept articles."""
    where, params = raw_where(filt)
    tokens = con.execute(
        f"""SELECT date_trunc('{bucket}', timezone('Asia/Shanghai', d.published_at)) AS bucket, sum(d.tokens) AS tokens
            FROM documents d WHERE d.published_at IS NOT NULL AND {where} GROUP BY 1""",
        params,
    ).df()
    uses = raw_term_uses(con, filt, bucket)
    uses = uses[uses["term"].isin((totals := uses.groupby("term")["count"].sum())[totals >= min_count].index)]
    if uses.empty:
        return []
    uses = uses.merge(tokens, on="bucket")
    uses["per10k"] = uses["count"] / uses["tokens"].clip(lower=1) * 10_000
    wide = uses.pivot_table(index="term", columns="bucket", values="per10k", fill_value=0.0)
    wide = wide.reindex(columns=sorted(tokens["bucket"]), fill_value=0.0)
    earlier = wide.iloc[:, :-1].mean(axis=1) if wide.shape[1] > 1 else 0.0
    ranked = (
        pd.DataFrame(
            {
                "rise": wide.iloc[:, -1] - earlier,
                "overall": wide.mean(axis=1),
                "total": uses.groupby("term")["count"].sum(),
            }
        )
        .rename_axis("term")
        .reset_index()
    )
    rising = ranked[ranked["rise"] > 1e-9].sort_values(["rise", "total", "term"], ascending=[False, False, True])
    chosen = rising["term"].head(top_n).tolist()
    rest = ranked[~ranked["term"].isin(chosen)].sort_values(["overall", "term"], ascending=[False, True])
    return chosen + rest["term"].head(top_n - len(chosen)).tolist()


@pytest.mark.parametrize("name", FILTERS)
def test_keyword_trends_agree_with_the_raw_terms(con, name):
    raw = raw_term_uses(con, FILTERS[name], "month")
    terms = raw.groupby("term")["count"].sum().sort_values(ascending=False).index[:25].tolist() + ["不存在的词"]
    trends = q.keyword_trends(con, FILTERS[name], terms=terms, bucket="month")
    used = trends[trends["count"] > 0].set_index(["term", "bucket"])[["count", "docs"]].sort_index()
    expected = raw[raw["term"].isin(terms)].set_index(["term", "bucket"])[["count", "docs"]].sort_index()
    pd.testing.assert_frame_equal(used, expected, check_dtype=False, check_index_type=False)


@pytest.mark.parametrize("name", FILTERS)
def test_rising_terms_and_the_term_picker_agree_with_the_raw_terms(con, name):
    filt = FILTERS[name]
    assert q.rising_terms(con, filt, bucket="month") == raw_rising_terms(con, filt, "month")
    where, params = raw_where(filt)
    frequent = con.execute(
        f"""SELECT t.term, sum(t.count) AS n FROM terms t JOIN documents d USING (doc_id)
                               WHERE {where} GROUP BY 1 ORDER BY n DESC, t.term LIMIT 40""",
        params,
    ).df()
    assert q.frequent_terms(con, filt, limit=40) == frequent["term"].tolist()


@pytest.mark.parametrize("name", FILTERS)
def test_entity_questions_agree_with_the_raw_mentions(con, groups, name):
    filt = FILTERS[name]
    where, params = raw_where(filt)
    counts = con.execute(
        f"""SELECT entity, count(*) AS mentions, count(DISTINCT doc_id) AS articles FROM mentions
                             WHERE doc_id IN (SELECT doc_id FROM documents d WHERE {where})
                             GROUP BY entity ORDER BY mentions DESC, entity""",
        params,
    ).df()
    answer = q.entity_counts(con, filt, groups=groups, top_n=1000)
    assert answer[["entity", "mentions", "articles"]].values.tolist() == counts.values.tolist()
    edges = con.execute(
        f"""WITH m AS (SELECT DISTINCT doc_id, sentence_index, entity FROM mentions
                                       WHERE doc_id IN (SELECT doc_id FROM documents d WHERE {where}))
                            SELECT x.entity AS a, y.entity AS b, count(*) AS sentences FROM m x JOIN m y
                              ON x.doc_id = y.doc_id AND x.sentence_index = y.sentence_index AND x.entity < y.entity
                            GROUP BY ALL ORDER BY sentences DESC, a, b""",
        params,
    ).df()
    nodes, answer_edges = q.entity_cooccurrence(con, filt, groups=groups, top_n=1000)
    assert answer_edges.values.tolist() == edges.values.tolist()
    over_time = con.execute(
        f"""SELECT date_trunc('month', timezone('Asia/Shanghai', d.published_at)) AS bucket, count(*) AS mentions
            FROM mentions m JOIN documents d USING (doc_id)
            WHERE d.published_at IS NOT NULL AND {where} AND m.entity IN ('京东', '京东物流') GROUP BY 1""",
        params,
    ).df()
    answer = q.entity_mentions_over_time(con, filt, series={"京东": ["京东", "京东物流"]}, bucket="month")
    assert dict(zip(answer["bucket"], answer["mentions"])) == {
        **dict.fromkeys(answer["bucket"], 0),
        **dict(zip(over_time["bucket"], over_time["mentions"])),
    }


@pytest.mark.parametrize(
    "text",
    ["开放共生", "開放共生", "京東", "130%", "1_0%", "latepost", "LatePost", "APP", "dsb.cn", "2025年", "不存在的词"],
)
def test_free_text_search_agrees_with_a_case_blind_scan_of_titles_texts_and_sentences(con, text):
    where, params = raw_where(CorpusFilter(text=text))
    expected = con.execute(f"SELECT doc_id FROM documents d WHERE {where}", params).df()["doc_id"]
    assert set(q.articles(con, CorpusFilter(text=text))["doc_id"]) == set(expected)


def test_the_articles_a_filter_picks_are_found_once_per_connection(seed_store):
    con = q.connect(seed_store)
    try:

        def kept() -> list[str]:
            return (
                con.execute("SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'picked_')")
                .df()["table_name"]
                .tolist()
            )

        filt = CorpusFilter(text="京東")
        first = q.articles(con, filt)
        q.keyword_trends(con, filt, terms=["京东"], bucket="month")
        assert len(kept()) == 1 and q.articles(con, filt).equals(first)
        for n in range(q._KEPT_PICKS + 5):
            q.article_count(con, CorpusFilter(text=f"词{n}"))
        assert len(kept()) == q._KEPT_PICKS
        assert q.articles(con, filt).equals(first)  # made again once dropped
    finally:
        con.close()


# ---- the matrix in SQL replays the events ------------------------------------------------------------------------------


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
        matrix = q.interop_matrix(con, q.NO_FILTER, as_of=as_of, level=level)
        answer = {
            (r.row_party, r.col_party, r.domain): (r.state, r.since, r.events)
            for r in matrix.itertuples()
            if r.row_party < r.col_party
        }
        assert answer == replayed_matrix(frame, as_of, level), as_of
        assert len(matrix) == 2 * len(answer)  # both orders of each pair


# ---- what the page draws at most -----------------------------------------------------------------------------------


def plain_rows(frame: pd.DataFrame) -> list[list]:
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def test_the_timeline_draws_the_most_reported_rows_and_says_how_many_there_are(seed, groups):
    until = q.last_article_day(seed)
    everything = q.timeline(seed, q.NO_FILTER, groups=groups, until=until, max_events=10**6)
    bars, marks = q.partnership_timeline(q.events(seed, q.NO_FILTER), until=until, groups=groups)
    assert plain_rows(everything.marks) == plain_rows(marks)
    assert plain_rows(everything.bars) == plain_rows(bars)
    assert everything.rows == everything.total_rows == marks["row"].nunique()
    one = q.timeline(seed, q.NO_FILTER, groups=groups, until=until, max_events=1)
    assert one.rows == 1 and one.total_rows == everything.total_rows
    assert one.total_events == len(marks)
    (row,) = set(one.marks["row"])
    assert plain_rows(one.marks) == plain_rows(marks[marks["row"] == row])
    assert plain_rows(one.bars) == plain_rows(bars[bars["row"] == row])


def test_a_row_drawn_alone_still_inherits_its_start_from_a_row_not_drawn(groups):
    frame = synthetic_events(
        [
            ("e1", "partnership", "腾讯", "京东", "腾讯", "京东", "traffic", "start", "2014"),
            ("e2", "partnership", "微信", "京东", "腾讯", "京东", "traffic", "end", "2025-09-30"),
        ]
    ).assign(reports=[1, 5])
    con = duckdb.connect()
    con.register("frame", frame.drop(columns=["when", "precision"]))
    timeline.hold_events(con, "frame")
    alone = q.timeline(con, q.NO_FILTER, groups=groups, until=date(2025, 10, 1), max_events=1)
    assert (alone.rows, alone.total_rows) == (1, 2)
    (bar,) = alone.bars.to_dict("records")
    assert bar["row"] == ("微信", "京东", "traffic") and bar["start"] == date(2014, 1, 1)
    assert bar["inherited_from"] == "e1" and "e1" in set(alone.events["event_id"])  # its hover finds the start


def test_the_evidence_card_lists_the_first_reports(seed):
    ids = q.events(seed, q.NO_FILTER)["event_id"].tolist()
    every = q.event_reports(seed, ids)
    assert len(every) == q.events(seed, q.NO_FILTER)["reports"].sum()
    first = q.event_reports(seed, ids[:1], limit=1)
    assert len(first) == 1 and first.iloc[0].to_dict() == every[every["event_id"] == ids[0]].iloc[0].to_dict()


def test_the_reader_lists_the_newest_articles_and_counts_them_all(tiny):
    every = q.articles(tiny, q.NO_FILTER)
    newest = q.articles(tiny, q.NO_FILTER, limit=2)
    pd.testing.assert_frame_equal(newest, every.head(2))
    assert q.article_count(tiny, q.NO_FILTER) == len(every) == 4
    assert q.article_count(tiny, CorpusFilter(text="不存在的词")) == 0


@pytest.mark.parametrize(
    ("bucket", "first", "last"),
    [
        ("day", date(2025, 3, 1), date(2025, 3, 1)),
        ("week", date(2025, 3, 3), date(2025, 3, 9)),
        ("month", date(2024, 2, 1), date(2024, 2, 29)),
        ("quarter", date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_a_bucket_ends_on_its_last_day(bucket, first, last):
    assert q.bucket_end(bucket, first) == last
