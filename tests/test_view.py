"""Tests for hutong.view: the view state and the URL, chart clicks into filters."""

from __future__ import annotations

from datetime import date

from hutong import view as v
from hutong.view import ViewState

BOUNDS = (date(2011, 1, 1), date(2025, 9, 30))


def click(*customdata, **point) -> dict:
    """A selection as st.plotly_chart(on_select=...) returns it after a click on one or more points."""
    points = [
        {"curve_number": 0, "point_number": i, "point_index": i, "x": 1, "y": 2, "customdata": c, **point}
        for i, c in enumerate(customdata)
    ]
    return {"selection": {"points": points, "point_indices": list(range(len(points))), "box": [], "lasso": []}}


NOTHING = {"selection": {"points": [], "point_indices": [], "box": [], "lasso": []}}


# ---- the URL ---------------------------------------------------------------------------------------------------


def test_default_view_has_an_empty_query_string():
    assert ViewState().to_query_params() == {}
    assert v.query_string({}) == "?"


def test_view_round_trips_through_query_params():
    state = ViewState(
        lang="en",
        date_from=date(2024, 1, 1),
        date_to=date(2025, 6, 30),
        sources=("电商报 (dsb.cn)",),
        entities=("阿里巴巴", "微信"),
        domains=("payment", "traffic"),
        actions=("start",),
        text="互联互通",
        terms=("流量", "支付"),
        measure="share",
        bucket="week",
        as_of=date(2025, 1, 1),
        level="group",
        doc="39c530b6d8e8bea7",
        event="e00007",
    )
    params = state.to_query_params()
    assert params["domain"] == ["payment", "traffic"] and params["lang"] == "en" and params["from"] == "2024-01-01"
    assert ViewState.from_query_params(params) == state


def test_a_single_value_in_the_url_is_a_list_of_one():
    state = ViewState.from_query_params({"lang": "en", "domain": "payment", "entity": "京东"})
    assert state.domains == ("payment",) and state.entities == ("京东",) and state.lang == "en"


def test_values_that_cannot_be_right_are_dropped():
    state = ViewState.from_query_params(
        {
            "lang": "fr",
            "domain": ["payment", "teleport"],
            "action": "explode",
            "from": "yesterday",
            "measure": "x",
            "bucket": "decade",
            "level": "planet",
            "entity": ["", " "],
        }
    )
    assert state == ViewState(domains=("payment",))


def test_query_string_repeats_list_parameters():
    assert v.query_string({"lang": "en", "domain": ["payment", "traffic"]}) == "?lang=en&domain=payment&domain=traffic"


def test_share_url_puts_the_view_on_the_apps_address():
    params = {"lang": "en", "domain": ["payment"]}
    assert v.share_url("http://127.0.0.1:8501", params) == "http://127.0.0.1:8501/?lang=en&domain=payment"
    assert v.share_url("https://hutong.streamlit.app/", {}) == "https://hutong.streamlit.app/"


def test_view_drops_what_the_corpus_does_not_have():
    state = ViewState(sources=("A", "B"), entities=("京东", "不存在"))
    assert state.restricted_to(sources=["A"], entities=["京东"]) == ViewState(sources=("A",), entities=("京东",))


def test_a_group_rolls_up_its_members_in_the_filter():
    members = {"阿里巴巴": ["阿里巴巴", "淘宝", "天猫", "支付宝", "菜鸟"]}
    filt = ViewState(entities=("阿里巴巴", "微信"), text="  京东 ").corpus_filter(
        members_of=lambda e: members.get(e, [e])
    )
    assert filt.entities == ("阿里巴巴", "淘宝", "天猫", "支付宝", "菜鸟", "微信")
    assert filt.text == "京东"


def test_a_reversed_date_range_is_put_right():
    filt = ViewState(date_from=date(2025, 2, 1), date_to=date(2024, 1, 1)).corpus_filter(members_of=lambda e: [e])
    assert (filt.date_from, filt.date_to) == (date(2024, 1, 1), date(2025, 2, 1))


def test_widgets_show_the_view_and_give_it_back():
    state = ViewState(date_from=date(2024, 1, 1), domains=("payment",), as_of=date(2024, 6, 1), terms=("流量",))
    values = state.widget_values(bounds=BOUNDS, latest=BOUNDS[1])
    assert values["dates"] == (date(2024, 1, 1), BOUNDS[1])
    assert values["domains"] == ["payment"] and values["as_of"] == date(2024, 6, 1)
    assert ViewState.from_widget_values(values, bounds=BOUNDS, latest=BOUNDS[1]) == state


def test_whole_range_and_latest_day_in_the_widgets_are_the_defaults():
    values = ViewState().widget_values(bounds=BOUNDS, latest=BOUNDS[1])
    assert values["dates"] == BOUNDS and values["as_of"] == BOUNDS[1]
    assert ViewState.from_widget_values(values, bounds=BOUNDS, latest=BOUNDS[1]) == ViewState()


def test_a_half_picked_date_range_changes_nothing():
    assert ViewState.from_widget_values({"dates": (date(2024, 1, 1),)}, bounds=BOUNDS, latest=None) == ViewState()


# ---- chart clicks ---------------------------------------------------------------------------------------------------


def test_clicking_an_entity_filters_the_page_to_it():
    state = ViewState(entities=("微信",), lang="en")
    assert v.entity_filter_from_selection(state, click(["京东", "京东", 60, 2])) == ViewState(
        entities=("京东",), lang="en"
    )


def test_no_click_leaves_the_view_as_it_is():
    state = ViewState(entities=("微信",))
    for selection in (NOTHING, None, {}, {"selection": {}}):
        assert v.entity_filter_from_selection(state, selection) == state


def test_a_box_around_several_entities_filters_to_all_of_them():
    state = v.entity_filter_from_selection(
        ViewState(), click(["淘宝", "阿里巴巴"], ["天猫", "阿里巴巴"], ["淘宝", "阿里巴巴"])
    )
    assert state.entities == ("淘宝", "天猫")


def test_clicking_a_timeline_mark_or_bar_gives_its_event():
    assert v.event_from_selection(click(["e00007"])) == "e00007"
    assert v.event_from_selection(click(["e00017", "e00016"])) == "e00017"  # a bar: its start event
    assert v.event_from_selection(click([])) is None
    assert v.event_from_selection(NOTHING) is None


def test_customdata_may_come_as_a_bare_value():
    assert v.event_from_selection(click("e00003")) == "e00003"


def test_clicking_a_trend_point_gives_term_and_bucket():
    selection = click(["流量", "2025-09-01", 36, 1, 1, 1022])
    assert v.trend_point_from_selection(selection) == ("流量", date(2025, 9, 1))
    assert v.trend_point_from_selection(click(["流量", "2025-09-01T00:00:00"])) == ("流量", date(2025, 9, 1))
    assert v.trend_point_from_selection(click(["流量", "not a date"])) is None
    assert v.trend_point_from_selection(NOTHING) is None


def test_clicking_a_matrix_cell_gives_both_parties():
    assert v.matrix_cell_from_selection(click(["京东", "支付宝"])) == ("京东", "支付宝")
    assert v.matrix_cell_from_selection(click(["京东"])) is None


def test_selection_without_the_outer_key_is_read_too():
    inner = click(["e00001"])["selection"]
    assert v.event_from_selection(inner) == "e00001"


def test_the_lowest_confidence_round_trips_through_the_url_and_reaches_the_filter():
    view = ViewState.from_query_params({"conf": "0.7"})
    assert view.min_confidence == 0.7 and view.to_query_params() == {"conf": "0.7"}
    assert view.corpus_filter(members_of=lambda e: [e]).min_confidence == 0.7
    assert ViewState.from_query_params({"conf": "high"}).min_confidence == 0.0
    assert ViewState.from_query_params({"conf": "7"}).min_confidence == 1.0
    assert ViewState().to_query_params() == {}  # every event by default


def test_an_as_of_day_after_the_last_article_is_kept_as_asked():
    latest = date(2025, 9, 30)
    asked = ViewState(as_of=date(2030, 1, 1))
    values = asked.widget_values(bounds=None, latest=latest)
    assert values["as_of"] == latest and values[v.AS_OF_ASKED] == date(2030, 1, 1)  # the slider cannot go there
    assert ViewState.from_widget_values(values, bounds=None, latest=latest) == asked
    moved = {**values, "as_of": date(2025, 1, 1), v.AS_OF_ASKED: None}
    assert ViewState.from_widget_values(moved, bounds=None, latest=latest).as_of == date(2025, 1, 1)
    assert ViewState.from_widget_values({**values, v.AS_OF_ASKED: None}, bounds=None, latest=latest).as_of is None


# ---- compared queries ------------------------------------------------------------------------------------------


def test_compared_queries_live_in_the_url():
    state = ViewState(compare=("@阿里巴巴", '"微信 支付" NOT 关闭', "京東 OR 淘宝"), compare_measure="share_all")
    params = state.to_query_params()
    assert params == {"compare": ["@阿里巴巴", '"微信 支付" NOT 关闭', "京東 OR 淘宝"], "cmeasure": "share_all"}
    assert ViewState.from_query_params(params) == state
    assert "compare=%40" in v.query_string(params)


def test_a_link_cannot_compare_more_than_the_chart_draws_or_an_unknown_measure():
    state = ViewState.from_query_params({"compare": [f"词{i}" for i in range(20)] + ["词0"], "cmeasure": "per10k"})
    assert len(state.compare) == v.MAX_COMPARED and state.compare_measure == "share"


def test_a_compared_entity_query_counts_its_group_s_members_and_text_is_read_as_the_search_box_reads_it():
    members = {"阿里巴巴": ["淘宝", "支付宝"]}
    state = ViewState(compare=("@阿里巴巴", "@ 京东", "京东 -物流", "@", "  "))
    queries = state.compared_filters(members_of=lambda e: members.get(e, []))
    assert list(queries) == ["@阿里巴巴", "@ 京东", "京东 -物流"]
    assert queries["@阿里巴巴"].entities == ("阿里巴巴", "淘宝", "支付宝") and not queries["@阿里巴巴"].text
    assert queries["@ 京东"].entities == ("京东",)
    assert queries["京东 -物流"].text == "京东 -物流" and not queries["京东 -物流"].entities
    assert v.query_label("@阿里巴巴", {"阿里巴巴": "Alibaba Group"}) == "@Alibaba Group"
    assert v.query_label("京东 OR 淘宝", {"京东": "JD.com"}) == "京东 OR 淘宝"


def test_compared_queries_are_a_list_for_their_widget():
    values = ViewState(compare=("京东",)).widget_values(bounds=BOUNDS, latest=None)
    assert values["compare"] == ["京东"]
    assert ViewState.from_widget_values(values, bounds=BOUNDS, latest=None).compare == ("京东",)


# ---- what was clicked, and the browser's language --------------------------------------------------------


def test_a_clicked_trend_point_and_matrix_cell_round_trip_through_the_url():
    state = ViewState(point_term="流量", point_at=date(2025, 9, 1), cell_row="微信", cell_col="京东", doc="d1")
    params = state.to_query_params()
    assert params == {"point": "流量", "point_at": "2025-09-01", "row": "微信", "col": "京东", "doc": "d1"}
    assert ViewState.from_query_params(params) == state
    assert ViewState.from_query_params({"point": "流量", "point_at": "九月"}).point_at is None


def test_the_clicked_point_and_cell_survive_the_widgets():
    state = ViewState(point_term="支付", point_at=date(2025, 1, 6), cell_row="京东", cell_col="支付宝")
    values = state.widget_values(bounds=BOUNDS, latest=BOUNDS[1])
    assert ViewState.from_widget_values(values, bounds=BOUNDS, latest=BOUNDS[1]) == state


def test_a_browsers_locale_picks_the_language():
    assert v.language_of_locale("en-US") == "en" and v.language_of_locale("en") == "en"
    assert v.language_of_locale("zh-TW") == "zh" and v.language_of_locale("zh_Hans_CN") == "zh"
    assert v.language_of_locale("de-DE") == "zh" and v.language_of_locale(None) == "zh"
    assert v.language_of_locale("fr", default="en") == "en"


def test_the_links_language_wins_over_the_browsers():
    assert v.opening_view({"lang": "zh", "domain": "payment"}, locale="en-GB").lang == "zh"
    opened = v.opening_view({"domain": "payment"}, locale="en-GB")
    assert opened.lang == "en" and opened.domains == ("payment",)
    assert v.opening_view({"lang": "fr"}, locale="en-US").lang == "en"  # an unknown language in the link
    assert v.opening_view({}, locale="ja-JP").lang == "zh"


def test_a_click_is_a_point_or_a_cell_only_when_both_halves_are_known():
    assert ViewState(point_term="流量", point_at=date(2025, 9, 1)).clicked_point == ("流量", date(2025, 9, 1))
    assert ViewState(point_term="流量").clicked_point is None
    assert ViewState(cell_row="微信", cell_col="京东").clicked_cell == ("微信", "京东")
    assert ViewState(cell_row="微信").clicked_cell is None
