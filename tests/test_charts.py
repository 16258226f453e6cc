"""Tests for hutong.charts: each chart's figure, looked at through fig.to_dict(), from queries on real stores."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest

from hutong import charts
from hutong.labels import entity_labels
from hutong.queries import corpus, entities, filters
from hutong.queries import matrix as matrix_queries
from hutong.queries import timeline as timeline_queries
from hutong.queries import trends as trend_queries
from query_helpers import synthetic_events


@pytest.fixture(scope="module")
def names_en(lexicon) -> dict[str, str]:
    return entity_labels(lexicon.entities, {n: e.name_en for n, e in lexicon.entities.items()}, "en")


@pytest.fixture(scope="module")
def seed_events(seed):
    return timeline_queries.events(seed, filters.NO_FILTER)


def traces(fig: go.Figure, kind: str) -> list:
    """The figure's traces of one type (plotly objects: t["x"] is the data, not its base64 form)."""
    return [t for t in fig.data if t.type == kind]


def test_every_chart_of_empty_data_says_so():
    empty = pd.DataFrame(columns=["term", "bucket", "count", "docs", "tokens", "articles", "per10k", "share"])
    for fig in (
        charts.keyword_trend_figure(empty),
        charts.entity_bar_figure(pd.DataFrame(columns=["entity", "group", "mentions", "articles"]), names={}),
        charts.timeline_figure(
            pd.DataFrame(columns=["row"]), pd.DataFrame(columns=["row"]), pd.DataFrame(columns=["event_id"]), names={}
        ),
        charts.interop_matrix_figure(pd.DataFrame(columns=["row_party"]), [], names={}),
    ):
        assert isinstance(fig, go.Figure) and not fig.data
        assert fig.layout.annotations[0].text == "当前筛选下没有数据。"


# ---- keyword trends -------------------------------------------------------------------------------------------------


def test_trend_has_a_line_per_term_with_raw_counts_in_customdata(seed):
    trends = trend_queries.keyword_trends(seed, filters.NO_FILTER, terms=["流量", "支付"], bucket="month")
    fig = charts.keyword_trend_figure(trends, measure="per10k", lang="en")
    lines = traces(fig, "scatter")
    assert [t["name"] for t in lines] == ["流量", "支付"]
    september = list(lines[0]["customdata"][1])
    assert september[:3] == ["流量", "2025-09-01", trends.iloc[1]["count"]]
    assert lines[0]["y"][1] == pytest.approx(trends.iloc[1]["per10k"])
    assert "per 10,000 tokens" in fig.layout.yaxis.title.text


def test_trend_as_share_of_articles(seed):
    trends = trend_queries.keyword_trends(seed, filters.NO_FILTER, terms=["流量"], bucket="month")
    fig = charts.keyword_trend_figure(trends, measure="share", lang="zh")
    assert list(traces(fig, "scatter")[0]["y"]) == [0.0, 1.0]
    assert fig.layout.yaxis.tickformat == ".0%"


# ---- entities -----------------------------------------------------------------------------------------------------------


def test_entity_bars_are_coloured_by_group_in_the_chosen_language(seed, groups, names_en):
    counts = entities.entity_counts(seed, filters.NO_FILTER, groups=groups, top_n=10)
    colours = charts.group_colours(list(groups.values()))
    fig = charts.entity_bar_figure(counts, names=names_en, lang="en", colours=colours)
    bars = {t["name"]: t for t in traces(fig, "bar")}
    alibaba = bars["Alibaba Group"]
    assert "Taobao" in alibaba["y"] and alibaba["marker"]["color"] == colours["阿里巴巴"]
    assert {row[0] for t in bars.values() for row in t["customdata"]} == set(counts["entity"])
    assert list(fig.layout.yaxis.categoryarray)[-1] == "JD.com"  # the most mentioned on top


def test_group_colours_do_not_depend_on_what_is_shown():
    assert (
        charts.group_colours(["腾讯", "京东", "阿里巴巴"])["京东"]
        == charts.group_colours(["阿里巴巴", "京东", "腾讯"])["京东"]
    )


def test_network_nodes_carry_their_entity_and_edges_are_drawn(seed, groups):
    nodes, edges = entities.entity_cooccurrence(seed, filters.NO_FILTER, groups=groups, top_n=12)
    fig = charts.cooccurrence_figure(charts.circular_layout(nodes), edges, names={})
    node_traces = [t for t in traces(fig, "scatter") if t["mode"] == "markers+text"]
    edge_traces = [t for t in traces(fig, "scatter") if t["mode"] == "lines"]
    assert sorted(row[0] for t in node_traces for row in t["customdata"]) == sorted(nodes["entity"])
    assert sum(list(t["x"]).count(None) for t in edge_traces) == len(edges)


def test_entity_trend_has_a_line_per_series(seed):
    frame = entities.entity_mentions_over_time(
        seed, filters.NO_FILTER, series={"京东": ["京东"], "微信": ["微信"]}, bucket="month"
    )
    fig = charts.entity_trend_figure(frame, names={"京东": "JD.com"}, lang="en")
    assert [t["name"] for t in traces(fig, "scatter")] == ["JD.com", "微信"]


# ---- timeline ------------------------------------------------------------------------------------------------------------


def bar_span(trace: dict, i: int) -> tuple[date, date]:
    start = datetime.fromisoformat(trace["base"][i])
    return start.date(), (start + timedelta(milliseconds=trace["x"][i])).date()


def test_timeline_rows_and_bars(seed, seed_events, groups):
    bars, marks = timeline_queries.partnership_timeline(seed_events, until=corpus.last_article_day(seed), groups=groups)
    fig = charts.timeline_figure(bars, marks, seed_events, names={}, lang="zh")
    spans = {}
    for trace in traces(fig, "bar"):
        for i, label in enumerate(trace["y"]):
            spans[label] = (bar_span(trace, i), trace["customdata"][i])
    (start, end), ids = spans["京东 – 支付宝 · 支付 payment"]
    assert start == date(2024, 10, 29) and end == date(2025, 9, 28)
    assert ids[1] == ""  # still open
    wechat_jd = next(label for label in spans if label in ("微信 – 京东 · 流量 traffic", "京东 – 微信 · 流量 traffic"))
    (start, end), ids = spans[wechat_jd]
    assert end == date(2025, 9, 30) and ids[1]
    rows = list(fig.layout.yaxis.categoryarray)
    assert rows[0].endswith("· 里程碑")  # milestone rows at the bottom (a regulator's or a company's)


def test_timeline_marks_carry_event_ids_and_precision_in_hover(seed_events, groups):
    bars, marks = timeline_queries.partnership_timeline(seed_events, until=date(2025, 9, 28), groups=groups)
    fig = charts.timeline_figure(bars, marks, seed_events, names={}, lang="en")
    by_name = {t["name"]: t for t in traces(fig, "scatter")}
    assert {"start", "end", "end, start unknown"} <= set(by_name)
    # a milestone has its own words and mark, never a partnership's "start"
    assert {"regulatory milestone", "company milestone (launch)"} & set(by_name)
    ids = {row[0] for t in by_name.values() for row in t["customdata"]}
    assert ids == set(marks["event_id"])
    year_end = by_name["end, start unknown"]
    assert list(year_end["x"]) == ["2011-01-01"]  # a year-precise date sits at the year's start …
    assert "Precision: year" in year_end["hovertext"][0]  # … and the hover says so


def test_timeline_hover_escapes_evidence():
    events = pd.DataFrame(
        [
            {
                "event_id": "e1",
                "kind": "partnership",
                "a": "京东",
                "b": "支付宝",
                "a_group": "京东",
                "b_group": "阿里巴巴",
                "domain": "payment",
                "action": "start",
                "date": "2024-10-29",
                "date_resolution": "same sentence",
                "evidence": "<script>alert(1)</script>京东接入支付宝",
                "when": date(2024, 10, 29),
                "precision": "day",
            }
        ]
    )
    bars, marks = timeline_queries.partnership_timeline(events, until=date(2025, 1, 1), groups={})
    fig = charts.timeline_figure(bars, marks, events, names={}, lang="en")
    hovers = [h for t in fig.data for h in (t.hovertext or [])]
    assert hovers and all("<script>" not in h and "&lt;script&gt;" in h for h in hovers)


# ---- matrix ----------------------------------------------------------------------------------------------------------------


def test_matrix_cells_show_each_domain_state(seed):
    matrix = matrix_queries.interop_matrix(seed, filters.NO_FILTER, as_of=date(2025, 10, 1))
    parties = matrix_queries.matrix_parties(seed, filters.NO_FILTER)
    fig = charts.interop_matrix_figure(matrix, parties, names={}, lang="zh", as_of=date(2025, 10, 1))
    heat = traces(fig, "heatmap")[0]
    i, j = parties.index("京东"), parties.index("支付宝")
    assert heat["text"][i][j] == "支付✓" and heat["z"][i][j] == 3
    w = parties.index("微信")
    assert heat["text"][w][i] == "流量✗" and heat["z"][w][i] == 1
    assert heat["z"][i][i] == 0
    clicks = [t for t in traces(fig, "scatter") if t.customdata is not None][0]
    assert ["京东", "支付宝"] in [list(c) for c in clicks["customdata"]]
    assert "2025-10-01" in fig.layout.title.text


def test_matrix_labels_in_english(seed, names_en):
    matrix = matrix_queries.interop_matrix(seed, filters.NO_FILTER, as_of=date(2025, 10, 1))
    fig = charts.interop_matrix_figure(
        matrix, matrix_queries.matrix_parties(seed, filters.NO_FILTER), names=names_en, lang="en"
    )
    heat = traces(fig, "heatmap")[0]
    assert "Alipay" in heat["x"] and "WeChat" in heat["y"]
    assert any("payment✓" in cell for row in heat["text"] for cell in row)


def test_circular_layout_is_deterministic_and_groups_members(seed, groups):
    nodes, _ = entities.entity_cooccurrence(seed, filters.NO_FILTER, groups=groups)
    first, second = charts.circular_layout(nodes), charts.circular_layout(nodes.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(first, second)
    assert ((first["x"] ** 2 + first["y"] ** 2 - 1).abs() < 1e-9).all()
    assert first["group"].is_monotonic_increasing


def test_a_year_only_date_is_drawn_as_its_whole_year_and_labelled_by_the_year():
    events = synthetic_events(
        [("e1", "partnership", "京东", "快手", "京东", "快手", "payment", "start", "2024")]
    ).assign(date_resolution="same sentence: 2024年 → 2024", evidence="京东与快手在2024年打通支付。")
    bars, marks = timeline_queries.partnership_timeline(events, until=date(2025, 3, 1), groups={})
    fig = charts.timeline_figure(bars, marks, events, names={}, lang="zh")
    (band,) = [t for t in traces(fig, "scatter") if t["name"] == "日期只知到年/月的时段"]
    assert tuple(band["x"][:2]) == ("2024-01-01", "2024-12-31") and band["customdata"][0] == ["e1"]
    hovers = [h for t in fig.to_dict()["data"] for h in (t.get("hovertext") or ())]
    assert hovers and not any("2024-01-01" in h for h in hovers)
    assert any("日期: 2024 (精度: 年)" in h for h in hovers)


def test_a_single_bucket_axis_shows_days_not_times_of_day():
    one = pd.DataFrame(
        {"term": ["支付"], "bucket": [pd.Timestamp("2025-09-01")], "count": [3], "docs": [2], "articles": [2],
         "tokens": [500], "per10k": [60.0], "share": [1.0]}
    )  # fmt: skip
    axis = charts.keyword_trend_figure(one).to_dict()["layout"]["xaxis"]
    low, high = (pd.Timestamp(x) for x in axis["range"])
    assert axis["tickformat"] == "%Y-%m-%d" and low < pd.Timestamp("2025-09-01") < high


def test_entity_charts_stay_readable_with_many_groups_and_long_english_names():
    count = 40
    nodes = pd.DataFrame(
        {
            "entity": [f"实体{i}" for i in range(count)],
            "group": [f"集团{i % 16}" for i in range(count)],
            "mentions": list(range(count, 0, -1)),
            "articles": [1] * count,
        }
    )
    long_names = {f"实体{i}": f"A very long English entity name number {i}" for i in range(count)}
    bars = charts.entity_bar_figure(nodes, names=long_names, lang="en").to_dict()["layout"]
    assert bars["showlegend"] is False  # sixteen groups' legend no longer takes the bars' width
    network = charts.cooccurrence_figure(
        charts.circular_layout(nodes), pd.DataFrame(columns=["a", "b", "sentences"]), names=long_names, lang="en"
    ).to_dict()
    assert network["layout"]["legend"]["orientation"] == "h" and network["layout"]["legend"]["y"] < 0
    labels = [x for t in network["data"] if t.get("mode") == "markers+text" for x in t["text"] if x]
    assert 5 <= len(labels) <= charts.NETWORK_LABELS and "A very long Eng…" in labels  # cut; whole in the hover
    hovers = [x for t in network["data"] if t.get("mode") == "markers+text" for x in t["hovertext"]]
    assert "A very long English entity name number 0" in hovers


def test_network_labels_skip_a_node_whose_label_would_meet_a_bigger_neighbour_s():
    # eight nodes close together at the top of a circle: only labels that do not meet are drawn
    nodes = pd.DataFrame(
        {
            "entity": [f"平台{i}" for i in range(8)],
            "group": ["互联网"] * 8,
            "mentions": [80, 70, 60, 50, 40, 30, 20, 10],
            "x": [-0.35 + 0.1 * i for i in range(8)],
            "y": [0.95] * 8,
        }
    )
    names = {f"平台{i}": f"Platform number {i}" for i in range(8)}
    fig = charts.cooccurrence_figure(nodes, pd.DataFrame(columns=["a", "b", "sentences"]), names=names, lang="en")
    labels = [x for x in fig.data[0].text if x]
    assert labels[0] == "Platform number…" and 1 <= len(labels) < 8


# ---- shares and compared queries ---------------------------------------------------------------------------------


def test_trend_as_share_of_all_the_period_s_articles_says_what_each_point_rests_on(scripts):
    trends = trend_queries.keyword_trends(scripts, filters.CorpusFilter(text="微信"), terms=["京东"], bucket="month")
    fig = charts.keyword_trend_figure(trends, measure="share_all", lang="en")
    (line,) = traces(fig, "scatter")
    assert list(line["y"]) == [0.5, pytest.approx(1 / 3)]
    assert [row[6] for row in line["customdata"]] == [2, 3]  # all the period's articles
    assert fig.layout.yaxis.title.text == "share of all the period's articles" and fig.layout.yaxis.tickformat == ".0%"


def test_entity_trend_can_show_the_share_of_articles_naming_each(scripts):
    frame = entities.entity_mentions_over_time(scripts, filters.NO_FILTER, series={"京东": ["京东"]}, bucket="month")
    fig = charts.entity_trend_figure(frame, names={"京东": "JD.com"}, lang="zh", measure="share")
    (line,) = traces(fig, "scatter")
    assert list(line["y"]) == [0.5, pytest.approx(2 / 3)] and fig.layout.yaxis.title.text == "占符合筛选文章的比例"
    assert [list(row[3:6]) for row in line["customdata"]] == [[1, 2, 2], [2, 3, 3]]
    per10k = charts.entity_trend_figure(frame, names={}, lang="en")
    assert traces(per10k, "scatter")[0]["y"][0] == pytest.approx(frame["per10k"].iloc[0])


def test_compare_chart_draws_a_line_per_query_named_in_the_page_s_language(scripts, lexicon):
    queries = {
        "京東": filters.CorpusFilter(text="京東"),
        "@阿里巴巴": filters.CorpusFilter(entities=tuple(lexicon.members_of("阿里巴巴"))),
    }
    frame = trend_queries.compared_queries(scripts, filters.NO_FILTER, queries=queries, bucket="month")
    fig = charts.compare_figure(frame, measure="share", query_names={"@阿里巴巴": "@Alibaba Group"}, lang="en")
    lines = traces(fig, "scatter")
    assert [t["name"] for t in lines] == ["京東", "@Alibaba Group"]
    assert list(lines[0]["y"]) == [0.5, pytest.approx(2 / 3)] and fig.layout.title.text == "Compare queries"
    assert list(lines[0]["customdata"][1]) == ["京東", "2025-02-01", 2, 3, 3]
    counts = charts.compare_figure(frame, measure="docs", lang="zh")
    assert list(traces(counts, "scatter")[1]["y"]) == [1, 2] and counts.layout.yaxis.tickformat is None
    assert not charts.compare_figure(frame.iloc[0:0]).data


# ---- readable with many entities and long English names (issue 15) -----------------------------------------------


def test_long_names_are_cut_on_the_bar_axis_and_whole_in_the_hover():
    counts = pd.DataFrame(
        {"entity": ["阿里巴巴", "京东"], "group": ["阿里巴巴", "京东"], "mentions": [9, 4], "articles": [3, 2]}
    )
    names = {"阿里巴巴": "Alibaba Group Holding Limited", "京东": "JD.com"}
    axis = charts.entity_bar_figure(counts, names=names, lang="en").to_dict()["layout"]["yaxis"]
    assert list(axis["ticktext"]) == ["Alibaba Group Hol…", "JD.com"]
    assert list(axis["tickvals"]) == ["Alibaba Group Holding Limited", "JD.com"]  # the bars' y, named in the hover


def test_trend_legends_sit_below_the_plot_away_from_the_title(seed):
    frame = entities.entity_mentions_over_time(
        seed, filters.NO_FILTER, series={"京东": ["京东"], "微信": ["微信"]}, bucket="month"
    )
    for fig in (
        charts.entity_trend_figure(frame, names={"京东": "JD.com", "微信": "WeChat"}, lang="en"),
        charts.keyword_trend_figure(
            trend_queries.keyword_trends(seed, filters.NO_FILTER, terms=["京东"], bucket="month"), lang="en"
        ),
    ):
        assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"


def test_the_matrix_legend_has_its_own_line_under_the_title_and_its_columns_upright(seed):
    matrix = matrix_queries.interop_matrix(seed, filters.NO_FILTER, as_of=date(2025, 10, 1))
    parties = matrix_queries.matrix_parties(seed, filters.NO_FILTER)
    layout = charts.interop_matrix_figure(matrix, parties, names={}, lang="en", as_of=date(2025, 10, 1)).layout
    assert layout.title.yref == "container" and layout.title.yanchor == "top"
    assert layout.legend.xanchor == "left" and layout.legend.y == 1.0 and layout.margin.t >= 80
    assert layout.xaxis.tickangle == -90


def test_a_matrix_of_many_parties_marks_its_cells_and_names_the_domains_in_the_hover():
    parties = [f"平台{i}" for i in range(charts.MATRIX_NAMED_DOMAINS + 1)]
    matrix = pd.DataFrame(
        [("平台0", "平台1", "payment", "open"), ("平台0", "平台1", "traffic", "closed")],
        columns=["row_party", "col_party", "domain", "state"],
    )
    fig = charts.interop_matrix_figure(matrix, parties, names={}, lang="en")
    heat = traces(fig, "heatmap")[0]
    assert heat["text"][0][1] == "✓<br>✗"
    (cell,) = [t for t in traces(fig, "scatter") if t.customdata is not None][0]["hovertext"]
    assert "payment: open" in cell and "traffic: closed" in cell
    few = charts.interop_matrix_figure(matrix, parties[:2], names={}, lang="en")
    assert traces(few, "heatmap")[0]["text"][0][1] == "payment✓<br>traffic✗"
