"""Tests of the whole page with Streamlit's AppTest: it runs, the URL and the filters agree, filters change
the figures, article text never reaches the page as markup, and private uploads stay private."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hutong import freshness, store, uploads
from hutong.queries import articles as article_queries
from hutong.queries import filters
from hutong.queries import matrix as matrix_queries
from hutong.queries import trends as trend_queries
from hutong.store import read_table
from hutong.view import ViewState

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CHART_TITLES = [
    "关注度基线：每期文章数",
    "关键词趋势",
    "提及最多的实体",
    "同句共现网络",
    "实体提及趋势",
    "合作时间线",
    "互联互通矩阵",
]


@pytest.fixture
def seed_app(seed_store, monkeypatch) -> AppTest:
    monkeypatch.setenv("HUTONG_STORE_DIR", str(seed_store))
    return AppTest.from_file(APP, default_timeout=60)


@pytest.fixture
def tiny_app(tiny_store, monkeypatch) -> AppTest:
    monkeypatch.setenv("HUTONG_STORE_DIR", str(tiny_store))
    return AppTest.from_file(APP, default_timeout=60)


def figures(at: AppTest) -> dict[str, dict]:
    """The page's plotly figures by the first part of their title."""
    result = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        result[spec["layout"]["title"]["text"].split(" · ")[0]] = spec
    return result


def timeline_rows(at: AppTest) -> list[str]:
    (title,) = [t for t in figures(at) if t in {"合作时间线", "Partnership timeline"}]
    return figures(at)[title]["layout"]["yaxis"]["categoryarray"]


def article_uploader(at: AppTest):
    """The sidebar's uploader of articles (the page has another, for corrections)."""
    (uploader,) = [u for u in at.get("file_uploader") if u.proto.id.endswith("-uploads")]
    return uploader


def html_of(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def test_page_draws_every_chart_without_error(seed_app):
    at = seed_app.run()
    assert not at.exception and not at.error
    assert list(figures(at)) == CHART_TITLES
    assert at.title[0].value.startswith("Hutong")
    assert [m.label for m in at.metric] == ["文章", "来源", "时间跨度", "事件"]  # the scripts in a line below
    assert any(c.value == "文字: 简体 1 · 繁体 1" for c in at.caption)
    assert at.metric[0].value == "2"
    assert "京东 – 支付宝 · 支付 payment" in timeline_rows(at)


def test_query_params_in_give_the_same_filters_out(seed_app):
    params = {
        "lang": "en",
        "domain": ["payment", "traffic"],
        "entity": "阿里巴巴",
        "from": "2024-01-01",
        "q": "支付",
        "bucket": "month",
        "level": "group",
        "measure": "share",
        "event": "e00007",
        "term": ["支付", "流量"],
    }
    seed_app.query_params = params
    at = seed_app.run()
    assert not at.exception
    assert at.multiselect(key="domains").value == ["payment", "traffic"]
    assert at.multiselect(key="entities").value == ["阿里巴巴"]
    assert at.multiselect(key="terms").value == ["支付", "流量"]
    assert at.text_input(key="text").value == "支付"
    assert at.radio(key="level").value == "group" and at.radio(key="measure").value == "share"
    assert at.date_input(key="dates").value[0].isoformat() == "2024-01-01"
    assert ViewState.from_query_params(at.query_params) == ViewState.from_query_params(params)


def test_filters_change_the_figures(seed_app):
    at = seed_app.run()
    everything = timeline_rows(at)
    assert any("traffic" in row for row in everything)
    at.multiselect(key="domains").set_value(["payment"]).run()
    payment_only = timeline_rows(at)
    assert payment_only and all("payment" in row or "里程碑" in row for row in payment_only)
    assert ViewState.from_query_params(at.query_params).domains == ("payment",)
    trends_before = figures(at)["关键词趋势"]
    at.multiselect(key="entities").set_value(["支付宝"]).run()  # named in one of the two articles only
    assert figures(at)["关键词趋势"] != trends_before
    assert all("支付宝" in row for row in timeline_rows(at) if "里程碑" not in row)


def test_switching_language_keeps_every_filter(seed_app):
    seed_app.query_params = {"domain": "payment", "bucket": "week", "entity": "支付宝"}
    at = seed_app.run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.multiselect(key="domains").value == ["payment"]
    assert at.selectbox(key="bucket").value == "week"
    assert at.multiselect(key="entities").value == ["支付宝"]
    assert "JD.com – Alipay · payment" in timeline_rows(at)
    assert dict(at.query_params) == {"lang": "en", "entity": "支付宝", "domain": "payment", "bucket": "week"}


def test_evidence_card_opens_from_the_url(seed_app, seed_store):
    events = read_table(seed_store, "events")
    closing = events[(events["a"] == "微信") & (events["b"] == "京东") & (events["action"] == "end")]
    seed_app.query_params = {"event": closing["event_id"].iloc[0]}  # 微信 closes the 京东 entry
    at = seed_app.run()
    card = html_of(at)
    assert "微信 – 京东 · 流量 traffic · 中断" in card
    assert "<mark" in card and "2025-09-30" in card
    assert "同一事件的其他报道" in card


def test_filters_that_match_nothing_leave_a_working_page(seed_app):
    for params in (
        {"entity": "京东家政"},
        {"q": "完全不存在的词"},
        {"from": "2025-09-29", "to": "2025-09-30"},
        {"domain": "capital"},
        {"asof": "1999-01-01"},
        {"doc": "no-such-doc", "event": "e99999"},
    ):
        seed_app.query_params = params
        at = seed_app.run()
        assert not at.exception, params
        assert len(figures(at)) >= 5, params


def test_article_markup_never_reaches_the_page(tiny_app):
    tiny_app.query_params = {"q": "菜鸟"}
    at = tiny_app.run()
    assert not at.exception
    page = html_of(at)
    assert "&lt;script&gt;alert" in page
    assert "<script" not in page
    assert "javascript:" not in page  # the article's link is not a link


def test_undated_articles_are_counted_and_readable(tiny_app, tiny_store):
    with filters.connect(tiny_store) as con:
        undated = article_queries.articles(con, filters.NO_FILTER)["doc_id"].iloc[-1]  # undated ones come last
    tiny_app.query_params = {"doc": undated}
    at = tiny_app.run()
    assert not at.exception
    assert at.metric[0].value == "4" and any("1 篇无发布时间" in c.value for c in at.caption)
    assert "<b>没有日期的文章</b>" in html_of(at) and "展开合作" in html_of(at)


def test_missing_store_is_built_on_first_load(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(
        "---\ntitle: 测试\npublished_at: 2025-01-06\n---\n2025年1月5日，淘宝正式接入微信支付。\n", encoding="utf-8"
    )
    monkeypatch.setenv("HUTONG_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("HUTONG_RAW_DIR", str(raw))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert freshness.has_store(tmp_path / "store")
    assert at.metric[0].value == "1"


def test_uploaded_articles_make_a_private_corpus(seed_app, seed_store):
    before = (seed_store / "report.json").read_bytes()
    at = seed_app.run()
    articles = [
        {"title": "上传一", "published_at": "2025-05-01", "text": "京东正式接入支付宝支付。"},
        {"title": "上传二", "published_at": "2025-06-01", "text": "微信关闭京东购物入口。"},
    ]
    jsonl = "\n".join(json.dumps(a, ensure_ascii=False) for a in articles).encode()
    article_uploader(at).set_value([("../evil name.jsonl", jsonl, "application/json")]).run()
    [build] = [b for b in at.button if b.label == "处理上传的文章"]
    build.click().run()
    try:
        assert not at.exception
        assert at.radio(key="corpus").value == "uploaded"
        assert at.metric[0].value == "2"
        private = Path(at.session_state["private_store"])
        assert sorted(p.name for p in (private.parent / "input").iterdir()) == ["MANIFEST.csv", "upload-001.jsonl"]
        assert (seed_store / "report.json").read_bytes() == before  # the bundled corpus is untouched
        at.radio(key="corpus").set_value("bundled").run()
        assert at.metric[0].value == "2" and "京东 – 支付宝 · 支付 payment" in timeline_rows(at)
    finally:
        uploads.discard_private_store(at.session_state["private_store"])


def test_uploads_can_be_switched_off(seed_app, monkeypatch):
    monkeypatch.setenv("HUTONG_UPLOADS", "off")
    at = seed_app.run()
    assert not at.get("file_uploader")


def test_upload_limits_are_enforced(seed_app, monkeypatch):
    monkeypatch.setenv("HUTONG_UPLOAD_MAX_FILES", "1")
    at = seed_app.run()
    article_uploader(at).set_value(
        [("a.txt", "京东".encode(), "text/plain"), ("b.txt", "淘宝".encode(), "text/plain")]
    ).run()
    [build] = [b for b in at.button if b.label == "处理上传的文章"]
    build.click().run()
    assert "over the limit of 1" in at.error[0].value
    assert "private_store" not in at.session_state


def test_a_store_of_an_earlier_layout_from_another_corpus_is_named_not_overwritten(seed_store, tmp_path, monkeypatch):
    older = tmp_path / "older"
    older.mkdir()
    store.read_table(seed_store, "documents").to_parquet(older / "documents.parquet")  # one file per table
    summary = {**store.read_summary(seed_store), "input_dir": str(tmp_path / "their-corpus")}
    (older / "report.json").write_text(json.dumps({"summary": summary, "inputs": []}), encoding="utf-8")
    monkeypatch.setenv("HUTONG_STORE_DIR", str(older))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert str(older) in at.error[0].value and "earlier version of Hutong" in at.error[0].value
    assert sorted(p.name for p in older.iterdir()) == ["documents.parquet", "report.json"]


def test_an_upload_lists_each_file_as_ingested_or_rejected_with_its_reason(seed_app, monkeypatch, tmp_path):
    def broken_reader(text, source):
        raise ValueError(f"cannot clean {tmp_path}/secret/page.html")

    monkeypatch.setattr("hutong.ingest._read_html", broken_reader)
    at = seed_app.run()
    files = [
        ("好消息.txt", "京东与支付宝达成合作。".encode(), "text/plain"),
        ("网页.html", "<p>淘宝接入微信支付。</p>".encode(), "text/html"),
        ("空白.txt", b"", "text/plain"),
    ]
    article_uploader(at).set_value(files).run()
    [build] = [b for b in at.button if b.label == "处理上传的文章"]
    build.click().run()
    try:
        assert not at.exception
        [listed] = [d.value for d in at.dataframe if "说明" in d.value.columns]
        assert listed[["文件", "结果", "说明"]].values.tolist() == [
            ["好消息.txt", "已收录", "ingested; no publication time (missing)"],
            ["网页.html", "未收录", "reading failed: ValueError: cannot clean page.html"],
            ["空白.txt", "未收录", "empty file"],
        ]
        page_text = json.dumps([str(e.value) for e in at.dataframe] + [e.value for e in at.error], ensure_ascii=False)
        assert str(tmp_path) not in page_text and "Traceback" not in page_text
    finally:
        uploads.discard_private_store(at.session_state["private_store"])


def test_a_failed_upload_build_shows_a_plain_message_not_a_traceback(seed_app, monkeypatch):
    def failing_build(*args, **kwargs):
        raise RuntimeError("disk full at /srv/hutong/tmp")

    monkeypatch.setattr("hutong.uploads.stage_uploads", failing_build)
    at = seed_app.run()
    article_uploader(at).set_value([("a.txt", "京东".encode(), "text/plain")]).run()
    [build] = [b for b in at.button if b.label == "处理上传的文章"]
    build.click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["处理上传的文章时出错，未能建立语料。请检查文件后重试。"]
    assert "private_store" not in at.session_state


def test_the_page_never_shows_a_visitor_error_details():
    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_the_lowest_confidence_is_a_url_backed_filter_and_the_card_shows_confidence(seed_app, seed_store):
    events = read_table(seed_store, "events")
    sure = events[events["confidence"] >= 0.9].iloc[0]
    seed_app.query_params = {"conf": "0.9", "event": sure["event_id"]}
    at = seed_app.run()
    assert not at.exception
    assert at.slider(key="min_confidence").value == 0.9
    assert dict(at.query_params)["conf"] == "0.9"
    assert "置信度" in html_of(at)
    at.slider(key="min_confidence").set_value(0.0).run()
    assert "conf" not in dict(at.query_params)


def test_an_as_of_day_after_the_last_article_stays_in_the_url_and_the_page_says_so(seed_app):
    seed_app.query_params = {"asof": "2030-01-01", "lang": "en"}
    at = seed_app.run()
    assert not at.exception
    assert dict(at.query_params)["asof"] == "2030-01-01"
    assert any("nothing is known after it" in i.value and "2030-01-01" in i.value for i in at.info)
    at.radio(key="lang").set_value("zh").run()
    assert dict(at.query_params)["asof"] == "2030-01-01"
    at.slider(key="as_of").set_value(date(2024, 1, 1)).run()
    assert dict(at.query_params)["asof"] != "2030-01-01" and not any("无从得知" in i.value for i in at.info)


def test_the_sidebar_lists_each_source_with_its_articles_and_dates(seed_app):
    at = seed_app.run()
    assert not at.exception
    tables = [df.value for df in at.sidebar.dataframe if "来源" in df.value.columns]
    assert tables, "no table of sources in the sidebar"
    table = tables[0]
    assert table["文章"].sum() == 2 and set(table["最早"]) >= {"2025-03-10"}


# ---- shares, compared queries, the concordance, the export of every matching article ------------------------------


def concordance_caption(at: AppTest) -> str:
    (caption,) = [c.value for c in at.caption if "occurrences in" in c.value or "个句子中" in c.value]
    return caption


@pytest.mark.parametrize(
    ("lang", "axis"), [("zh", "占本期全部文章的比例"), ("en", "share of all the period's articles")]
)
def test_terms_and_entities_can_be_shown_as_a_share_of_all_the_period_s_articles(seed_app, lang, axis):
    seed_app.query_params = {"lang": lang, "measure": "share_all"}
    at = seed_app.run()
    assert not at.exception
    charts_by_title = list(figures(at).values())
    trend, entity_trend = charts_by_title[1], charts_by_title[4]
    assert trend["layout"]["yaxis"]["title"]["text"] == entity_trend["layout"]["yaxis"]["title"]["text"] == axis
    assert at.radio(key="measure").value == "share_all"


def test_compared_queries_from_a_link_are_drawn_side_by_side_in_either_language(seed_app):
    seed_app.query_params = {"lang": "en", "compare": ["京東", "@阿里巴巴", "流量 NOT 淘宝"]}
    at = seed_app.run()
    assert not at.exception
    compare = figures(at)["Compare queries"]
    assert [line["name"] for line in compare["data"]] == ["京東", "@Alibaba Group", "流量 NOT 淘宝"]
    assert at.multiselect(key="compare").value == ["京東", "@阿里巴巴", "流量 NOT 淘宝"]
    at.radio(key="lang").set_value("zh").run()
    assert [line["name"] for line in figures(at)["对比查询"]["data"]] == ["京東", "@阿里巴巴", "流量 NOT 淘宝"]
    assert ViewState.from_query_params(at.query_params).compare == ("京東", "@阿里巴巴", "流量 NOT 淘宝")


def test_queries_added_to_the_comparison_go_into_the_url(seed_app):
    at = seed_app.run()
    assert "对比查询" not in figures(at)  # nothing to compare yet: no chart, a line saying how to start
    at.multiselect(key="compare").set_value(["京东", '"微信支付"']).run()
    at.radio(key="compare_measure").set_value("docs").run()
    assert not at.exception
    assert ViewState.from_query_params(at.query_params).compare == ("京东", '"微信支付"')
    compare = figures(at)["对比查询"]
    assert compare["layout"]["yaxis"]["title"]["text"] == "文章" and len(compare["data"]) == 2
    assert ViewState.from_query_params(at.query_params).compare_measure == "docs"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_concordance_pages_through_every_occurrence_of_a_term(seed_app, seed_store, lang):
    with filters.connect(seed_store) as con:
        found = trend_queries.term_occurrences(con, filters.NO_FILTER, term="流量")
    assert found["occurrences"] > 20  # more than one page
    seed_app.query_params = {"lang": lang}
    at = seed_app.run()
    at.selectbox(key="kwic_term").set_value("流量").run()
    assert not at.exception
    assert str(found["occurrences"]) in concordance_caption(at) and "1–20" in concordance_caption(at)
    assert html_of(at).count('<td style="color:#64748b') == 20
    assert "網經社陳虎東" in html_of(at)  # the traditional-script article, shown as written
    at.number_input(key="kwic_page").set_value(2).run()
    assert f"21–{found['occurrences']}" in concordance_caption(at)
    assert html_of(at).count('<td style="color:#64748b') == found["occurrences"] - 20


@pytest.mark.parametrize(
    ("lang", "label"), [("zh", "全部符合筛选的文章 CSV（{n} 篇）"), ("en", "Every matching article, CSV ({n})")]
)
def test_every_matching_article_can_be_downloaded(seed_app, seed_store, lang, label):
    with filters.connect(seed_store) as con:
        kept = article_queries.article_count(con, filters.CorpusFilter(text="京東 OR 淘宝"))
    seed_app.query_params = {"lang": lang, "q": "京東 OR 淘宝"}
    at = seed_app.run()
    assert not at.exception
    assert label.format(n=kept) in [b.proto.label for b in at.get("download_button")]


# ---- the browser's language, and what was clicked, in the URL -------------------------------------------------


def app_on(store: Path, monkeypatch, *, params: dict | None = None, locale: str | None = None) -> AppTest:
    monkeypatch.setenv("HUTONG_STORE_DIR", str(store))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params = params or {}
    at.context = {"locale": locale}
    return at.run()


def test_the_browsers_language_is_the_default_and_the_links_language_wins(seed_store, monkeypatch):
    english = app_on(seed_store, monkeypatch, locale="en-US")
    assert not english.exception and "interoperability" in english.title[0].value
    assert dict(english.query_params)["lang"] == "en"  # the link made from it opens in English too
    assert "互联互通" in app_on(seed_store, monkeypatch, locale="zh-TW").title[0].value
    assert "互联互通" in app_on(seed_store, monkeypatch, locale="de-DE").title[0].value
    linked = app_on(seed_store, monkeypatch, params={"lang": "zh"}, locale="en-GB")
    assert "互联互通" in linked.title[0].value and linked.radio(key="lang").value == "zh"


def test_a_link_reopens_the_clicked_trend_points_sentences(tiny_store, monkeypatch):
    params = {"point": "支付", "point_at": "2025-01-01", "bucket": "month"}
    at = app_on(tiny_store, monkeypatch, params=params)
    assert not at.exception
    assert any("支付 · 2025-01-01" in m.value for m in at.markdown)
    page = html_of(at).replace(" ", "")
    assert "淘宝正式接入微信</td>" in page and ">支付</mark>" in page  # the clicked term in its context
    assert {k: dict(at.query_params)[k] for k in params} == params


def test_a_link_reopens_the_clicked_matrix_cell_and_another_level_forgets_it(seed_store, monkeypatch):
    at = app_on(seed_store, monkeypatch, params={"row": "微信", "col": "京东", "lang": "en"})
    assert not at.exception
    assert any(m.value.startswith("**WeChat × JD") for m in at.markdown)
    behind = [df.value for df in at.main.dataframe if len(df.value) and "traffic" in df.value.to_string()]
    assert behind, "the events behind the cell are not listed"
    at.radio(key="level").set_value("group").run()
    assert not at.exception and "row" not in dict(at.query_params)


def test_closing_the_evidence_card_and_picking_an_article_keep_the_url_and_share_link_right(seed_store, monkeypatch):
    events = read_table(seed_store, "events")
    at = app_on(seed_store, monkeypatch, params={"event": events["event_id"].iloc[0]})
    assert "同一事件的其他报道" in html_of(at)
    at.button(key="close_event").click().run()  # reruns only the card and the share box (AppTest shows just those)
    assert not at.exception and "event" not in dict(at.query_params)
    assert "同一事件的其他报道" not in html_of(at) and not at.get("plotly_chart")
    assert at.code and all("event=" not in c.value for c in at.code)
    at.run()
    other = at.session_state["_article_ids"][-1]
    at.selectbox(key="doc").set_value(other).run()
    doc = dict(at.query_params)["doc"]
    assert doc == other and any(f"doc={doc}" in c.value for c in at.code)  # the share box shows the same link


# ---- a corpus of 150+ articles (bench/corpus.py's re-mix of the seed articles) -------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_corpus_of_160_articles_draws_every_chart_in_both_languages(synthetic_store, monkeypatch, lang):
    at = app_on(synthetic_store, monkeypatch, params={"lang": lang})
    assert not at.exception and not at.error
    assert at.metric[0].value == "160"
    drawn = figures(at)
    assert len(drawn) == len(CHART_TITLES)
    for title, spec in drawn.items():
        assert any(len(t.get("x") or t.get("z") or []) for t in spec["data"]), title


def test_the_matrix_of_a_large_corpus_shows_its_most_active_parties_and_a_clicked_cell_s(synthetic_store, monkeypatch):
    con = filters.connect(synthetic_store)
    as_of = matrix_queries.as_of_range(con)[1]
    states = matrix_queries.interop_matrix(con, filters.NO_FILTER, as_of=as_of)
    every = matrix_queries.matrix_parties(con, filters.NO_FILTER)
    shown = matrix_queries.leading_parties(states, every)
    assert len(every) > len(shown) == matrix_queries.MATRIX_PARTIES
    at = app_on(synthetic_store, monkeypatch, params={"lang": "en"})
    assert not at.exception
    assert any(f"Showing {len(shown)} of {len(every)} parties" in c.value for c in at.caption)
    # a cell between two parties too quiet to be shown: a link to it shows them both
    row, col = next((r, c) for r, c in zip(states["row_party"], states["col_party"]) if {r, c}.isdisjoint(shown))
    at = app_on(synthetic_store, monkeypatch, params={"lang": "zh", "row": row, "col": col})
    heatmap = next(t for t in figures(at)["互联互通矩阵"]["data"] if t["type"] == "heatmap")
    assert {row, col} <= set(heatmap["x"]) and not at.exception  # the Chinese page names a party by itself
    assert len(heatmap["x"]) == len(shown)  # in place of the two least active of those shown
