import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hutong import evaluate as ev
from hutong.events import EVENTS_DATA_DIR as EVENTS_DATA
from hutong.events import MARKER_ROLES, load_triggers
from hutong.ingest import read_corpus
from hutong.models import RawArticle
from hutong.pipeline import analyse_article, load_resources

CHINA = timezone(timedelta(hours=8))
GOLD_DIR = Path(__file__).parent / "gold"


@pytest.fixture(scope="module")
def resources():
    return load_resources()


def events_of(text, resources, *, published=datetime(2025, 3, 10, 17, 47, tzinfo=CHINA)):
    article = RawArticle(path="t.txt", text=text, format="txt", encoding="utf-8", published_at=published)
    reports = analyse_article(article, resources).event_reports
    return [r for r in reports if r["merged_into"] is None]


def brief(events):
    return {(e["a"], e["b"], e["domain"], e["action"], e["date"]) for e in events if e["kind"] == "partnership"}


def test_stopping_a_payment_method_is_an_end_in_payment(resources):
    events = events_of("自2011年京东宣布停止使用支付宝作为支付方式以来,时隔14年,壁垒正在消除。", resources)
    assert brief(events) == {("京东", "支付宝", "payment", "end", "2011")}


def test_a_bare_month_day_takes_the_year_of_the_sentence_before(resources):
    text = "去年10月,双方合作的具体功能逐步上线。10月29日,京东商城正式开通支付宝支付。"
    assert ("京东", "支付宝", "payment", "start", "2024-10-29") in brief(events_of(text, resources))


def test_a_plan_is_dated_when_it_was_reported(resources):
    text = "于是,在2024年,转机出现。该年9月有消息传出,称淘宝和京东将达成物流与支付领域的合作。"
    found = brief(events_of(text, resources))
    assert ("淘宝", "京东", "logistics", "planned", "2024-09") in found
    assert ("淘宝", "京东", "payment", "planned", "2024-09") in found


def test_the_section_names_the_domain_and_the_discourse_the_date(resources):
    text = "在2024年,转机出现。该年9月有消息传出,称淘宝和京东将达成合作。\n在支付方面,京东将会接入支付宝,为消费者提供京东支付、云闪付等以外的选择。"
    assert ("京东", "支付宝", "payment", "planned", "2024-09") in brief(events_of(text, resources))


def test_both_sides_stands_for_the_pair_named_last(resources):
    text = "2024年9月,淘宝和京东将达成合作。去年10月,双方在物流领域合作的具体功能逐步上线。"
    assert ("京东", "阿里巴巴", "logistics", "start", "2024-10") in {
        (e["a"], e["b"], e["domain"], e["action"], e["date"]) for e in events_of(text, resources)
    } | {(e["b"], e["a"], e["domain"], e["action"], e["date"]) for e in events_of(text, resources)}


def test_traditional_text_gives_the_same_events(resources):
    simplified = events_of(
        "据公众号通知,9月30日微信“发现-购物”一级入口将于当日正式关闭,这一入口曾为京东带来数亿用户。", resources
    )
    traditional = events_of(
        "據公眾號通知,9月30日微信「發現-購物」一級入口將於當日正式關閉,這一入口曾為京東帶來數億用户。", resources
    )
    assert brief(simplified) == brief(traditional) == {("微信", "京东", "traffic", "end", "2025-09-30")}


def test_durations_give_no_date(resources):
    events = events_of("1、京东与腾讯微信长达十年的流量入口合作终止的核心原因是什么?", resources)
    assert all(e["date"] is None for e in events)
    assert "duration" in events[0]["date_resolution"]


def test_a_restated_event_is_one_event_with_its_reports(resources):
    text = (
        "2011年京东停止使用支付宝。回顾往昔,2011年京东停止使用支付宝,宣告着京东与阿里系平台在支付领域的合作正式中断。"
    )
    article = RawArticle(path="t.txt", text=text, format="txt", encoding="utf-8")
    reports = analyse_article(article, resources).event_reports
    heads = [r for r in reports if r["merged_into"] is None]
    assert len(heads) == 1 and len(reports) == 3
    assert all(r["merged_into"] == heads[0]["report_index"] for r in reports if r is not heads[0])


def test_a_regulator_meeting_is_a_milestone_not_a_partnership(resources):
    events = events_of(
        "早在2021年9月,工信部就组织召开了一场“屏蔽网址链接问题行政指导会”,阿里、腾讯等均有参会。", resources
    )
    assert [(e["kind"], e["a"], e["date"]) for e in events] == [("milestone", "工信部", "2021-09")]


def test_evidence_contains_both_parties_or_their_stand_in(resources):
    text = (Path(__file__).parents[1] / "data" / "raw" / "000_dec19d54dabd6123.txt").read_text(encoding="utf-8")
    article = RawArticle(
        path="t.txt",
        text=text,
        format="txt",
        encoding="utf-8",
        published_at=datetime(2025, 3, 10, 17, 47, tzinfo=CHINA),
    )
    for report in analyse_article(article, resources).event_reports:
        if report["kind"] == "partnership":
            assert report["a_surface"] in report["evidence"] or report["a_surface"] in ("双方", "两者")
            assert report["b_surface"] in report["evidence"] or report["b_surface"] in ("双方", "两者")


def test_own_gold_cases_score_full_marks(resources):
    gold = ev.read_gold(GOLD_DIR / "events_gold.jsonl")
    score = ev.EventScore()
    for article in read_corpus(GOLD_DIR / "articles"):
        assert isinstance(article, RawArticle), article
        predicted = [
            ev.PredictedEvent(r["a"], r["b"], r["domain"], r["action"], r["date"], r["evidence"])
            for r in analyse_article(article, resources).event_reports
            if r["merged_into"] is None and r["kind"] == "partnership"
        ]
        ev.score_events(predicted, [g for g in gold if g["doc"] == article.input_id], score)
    assert score.required == 6
    assert (score.precision, score.recall) == (1.0, 1.0), (score.missed, score.false)


def test_a_platform_launching_its_own_service_is_a_milestone(resources):
    events = events_of("2021年4月,京东正式上线“京东家政”业务,之后一直在持续发展这一业务。", resources)
    assert [(e["kind"], e["a"], e["b"], e["date"]) for e in events] == [("milestone", "京东", "京东家政", "2021-04")]


# ---- phenomena of real news, each in sentences written for these tests ---------------------------

PUBLISHED = datetime(2023, 6, 15, 10, 0, tzinfo=CHINA)
LATER = datetime(2025, 11, 10, 10, 0, tzinfo=CHINA)  # for events of 2024 and 2025


def found(text, resources, *, published=PUBLISHED):
    return brief(events_of(text, resources, published=published))


def test_each_member_of_a_list_joining_one_platform_is_an_event(resources):
    text = "2023年6月1日,饿了么、优酷和大麦均已接入微信支付。"
    assert found(text, resources) == {
        (app, "微信支付", "payment", "start", "2023-06-01") for app in ("饿了么", "优酷", "大麦")
    }


def test_the_members_of_a_list_are_not_partners_of_each_other(resources):
    assert found("近几年,抖音、快手、拼多多等新平台快速崛起。", resources) == set()


def test_a_group_s_two_marketplaces_written_together_are_one_subject(resources):
    assert found("2023年5月,淘宝天猫接入了京东物流。", resources) == {
        ("淘宝", "京东物流", "logistics", "start", "2023-05")
    }


def test_with_names_the_partner_after_a_few_words(resources):
    events = found("6月1日,小红书宣布与淘宝达成合作,笔记可直接跳转淘宝店铺。", resources)
    assert {(frozenset(e[:2]),) + e[2:] for e in events} == {
        (frozenset(("小红书", "淘宝")), "traffic", "start", "2023-06-01")
    }


def test_a_negated_trigger_states_no_event(resources):
    for text in (
        "截至目前,京东尚未接入微信支付。",
        "美团明确拒绝与支付宝合作。",
        "记者发现,盒马目前还不支持云闪付。",
        "双方的合作细节尚未公布。",
    ):
        assert found(text, resources) == set(), text


def test_a_condition_and_its_consequence_state_no_event(resources):
    for text in (
        "如果微信向拼多多开放外链,电商格局将被改写。",
        "一旦快手接入京东支付,用户结算会更方便。",
        "假如美团与支付宝恢复合作,商家将最先受益。",
        "倘若小红书接入淘宝,站内种草就能直接下单,饿了么也将接入云闪付。",
    ):
        assert found(text, resources) == set(), text


def test_a_condition_after_the_event_leaves_it_standing(resources):
    assert found("2023年5月8日,抖音接入了微信支付,如果效果好还会扩大范围。", resources) == {
        ("抖音", "微信支付", "payment", "start", "2023-05-08")
    }


def test_if_one_says_introduces_a_fact_not_a_condition(resources):
    assert found("如果说2022年3月闲鱼接入微信支付只是试水,那么这次合作走得更远。", resources) == {
        ("闲鱼", "微信支付", "payment", "start", "2022-03")
    }


def test_an_onlookers_guess_is_no_event(resources):
    for text in (
        "在不少从业者看来,拼多多接入支付宝只是时间问题。",
        "快手与淘宝重新打通外链,被认为是迟早的事。",
    ):
        assert found(text, resources) == set(), text


def test_two_names_doing_one_act_side_by_side_are_not_partners(resources):
    assert found("2023年4月2日,美团与饿了么一起接入了云闪付。", resources) == {
        ("美团", "云闪付", "payment", "start", "2023-04-02"),
        ("饿了么", "云闪付", "payment", "start", "2023-04-02"),
    }
    assert found("2023年4月4日,快手与小红书等平台均已接入微信支付。", resources) == {
        ("快手", "微信支付", "payment", "start", "2023-04-04"),
        ("小红书", "微信支付", "payment", "start", "2023-04-04"),
    }
    assert found("2023年4月6日,美团与饿了么都开放了外卖接口。", resources) == set()


def test_a_joint_launch_is_a_partnership(resources):
    assert found("去年双十一期间,快手与京东联合推出了购物专区。", resources) == {
        ("快手", "京东", "other", "start", "2022-11-11")
    }


def test_talks_under_way_are_dated_when_written_not_by_an_earlier_sentence(resources):
    text = "今年3月,哔哩哔哩与淘宝续签了合作协议。据报道,拼多多正在与微信支付洽谈合作。"
    events = {e["a"]: e for e in events_of(text, resources, published=datetime(2025, 11, 10, 10, tzinfo=CHINA))}
    assert (events["哔哩哔哩"]["date"], events["拼多多"]["date"]) == ("2025-03", "2025-11")
    assert events["拼多多"]["action"] == "planned" and events["拼多多"]["date_resolution"].startswith("approximate")


def test_no_longer_accepting_a_payment_method_ends_it(resources):
    assert found("从2023年8月1日起,盒马不再接受云闪付付款。", resources, published=LATER) == {
        ("盒马", "云闪付", "payment", "end", "2023-08-01")
    }


def test_restricting_sharing_ends_a_traffic_link(resources):
    assert found("2023年5月,钉钉的会议链接被微信限制分享。", resources) == {
        ("微信", "钉钉", "traffic", "end", "2023-05")
    }


def test_now_already_is_the_time_of_writing(resources):
    text = "2月2日,饿了么接入了云闪付。美团的用户现已可以使用支付宝结算。"
    dates = {e["a"]: e["date"] for e in events_of(text, resources)}
    assert dates == {"饿了么": "2025-02-02", "美团": "2025-03"}


def test_collecting_another_carrier_s_parcels_is_logistics(resources):
    assert found("2024年10月,菜鸟驿站开始代收顺丰的快递。", resources, published=LATER) == {
        ("菜鸟", "顺丰", "logistics", "start", "2024-10")
    }


def test_names_after_the_act_and_its_object_are_its_subjects(resources):
    assert found("2024年5月8日,同样宣布接入云闪付的还有美团和滴滴。", resources, published=LATER) == {
        ("美团", "云闪付", "payment", "start", "2024-05-08"),
        ("滴滴", "云闪付", "payment", "start", "2024-05-08"),
    }


def test_more_names_for_the_last_event_take_its_object_s_place(resources):
    text = "2024年6月8日,有用户发现快手可以直接打开淘宝链接。同时可以打开的还有京东链接。"
    events = events_of(text, resources)
    assert brief(events) == {
        ("快手", "淘宝", "traffic", "start", "2024-06-08"),
        ("快手", "京东", "traffic", "start", "2024-06-08"),
    }
    later = next(e for e in events if e["b"] == "京东")
    assert later["rule"] == "likewise" and later["date_resolution"].startswith("as the event of sentence 1")
    assert "快手" in text[later["start"] : later["end"]] and "京东" in text[later["start"] : later["end"]]


def test_a_name_that_does_likewise_takes_the_subject_s_place(resources):
    assert found("2024年8月8日,小红书开放了淘宝外链,哔哩哔哩也是如此。", resources, published=LATER) == {
        ("小红书", "淘宝", "traffic", "start", "2024-08-08"),
        ("哔哩哔哩", "淘宝", "traffic", "start", "2024-08-08"),
    }
    assert found("2024年8月8日,小红书开放了淘宝外链。", resources, published=LATER) == found(
        "2024年8月8日,小红书开放了淘宝外链。阿里巴巴也是如此。", resources, published=LATER
    )


def test_both_sides_is_not_a_pair_its_speaker_is_not_in(resources):
    before = "2024年6月1日,小红书宣布向淘宝开放外链。"
    assert found(before + "美团方面表示,双方合作将于明年启动。", resources, published=LATER) == found(
        before, resources, published=LATER
    )
    # the pair's earlier event names the domain
    assert ("小红书", "阿里巴巴", "traffic", "planned", "2026") in found(
        before + "淘宝方面表示,双方合作将于明年启动。", resources, published=LATER
    )


def test_what_happens_after_the_day_it_was_reported_is_a_plan(resources):
    assert found("2026年1月,京东向快手开放了物流。", resources, published=LATER) == {
        ("京东", "快手", "logistics", "planned", "2026-01")
    }


def test_taiwan_and_hong_kong_words_for_support_and_connect_are_triggers(resources):
    assert found("2024年3月5日，LINE Pay宣佈與街口支付串接。", resources, published=LATER) == {
        ("LINE Pay", "街口支付", "payment", "start", "2024-03-05")
    }
    assert found("2024年4月，八達通宣布支援微信支付。", resources, published=LATER) == {
        ("八达通", "微信支付", "payment", "start", "2024-04")
    }


def test_a_passive_names_who_blocked_whom(resources):
    for text in (
        "2023年5月,快手链接在微信中被屏蔽。",
        "2023年5月,快手的链接被微信屏蔽。",
        "2023年5月,快手链接遭微信封杀。",
    ):
        (event,) = events_of(text, resources)
        assert (event["a"], event["b"], event["action"]) == ("微信", "快手", "end"), text


def test_no_longer_supporting_ends_a_connection(resources):
    assert found("2023年6月10日起,抖音不再支持淘宝商品链接。", resources) == {
        ("抖音", "淘宝", "traffic", "end", "2023-06-10")
    }


def test_rumours_and_considerations_are_plans(resources):
    assert found("2023年6月12日,网传美团将接入支付宝。", resources) == {
        ("美团", "支付宝", "payment", "planned", "2023-06-12")
    }
    assert found("2023年6月12日,阿里巴巴考虑在微信开设小程序。", resources) == {
        ("阿里巴巴", "微信", "traffic", "planned", "2023-06-12")
    }


def test_having_applied_to_join_is_a_plan(resources):
    assert found("6月2日,闲鱼已申请接入微信支付,正在等待审核。", resources) == {
        ("闲鱼", "微信支付", "payment", "planned", "2023-06-02")
    }


def test_a_clause_without_a_subject_takes_the_sentence_s(resources):
    assert found("6月5日,饿了么发布公告称,即日起接入微信支付。", resources) == {
        ("饿了么", "微信支付", "payment", "start", "2023-06-05")
    }


def test_the_members_listed_after_a_group_s_event_each_have_it(resources):
    events = found("2023年3月,阿里旗下多款应用已接入云闪付,包括闲鱼、盒马等。", resources)
    assert {
        ("闲鱼", "云闪付", "payment", "start", "2023-03"),
        ("盒马", "云闪付", "payment", "start", "2023-03"),
    } <= events


def test_buying_and_selling_stakes_are_capital_events(resources):
    assert found("2023年1月,腾讯以5亿美元入股快手。", resources) == {("腾讯", "快手", "capital", "start", "2023-01")}
    assert found("2023年2月,阿里巴巴减持哔哩哔哩股份。", resources) == {
        ("阿里巴巴", "哔哩哔哩", "capital", "end", "2023-02")
    }
    assert found("6月14日,市场消息称,阿里巴巴拟出售所持小红书股份。", resources) == {
        ("阿里巴巴", "小红书", "capital", "planned", "2023-06-14")
    }


def test_a_headline_is_dated_by_the_body_or_else_by_the_publication_day(resources):
    dated = found("京东全面接入支付宝\n6月12日,京东正式接入支付宝,用户可在结算页选择。", resources)
    assert dated == {("京东", "支付宝", "payment", "start", "2023-06-12")}
    undated = events_of("京东全面接入支付宝\n业内人士认为,这是电商平台开放的一步。", resources, published=PUBLISHED)
    assert [(e["date"], e["date_resolution"].startswith("approximate")) for e in undated] == [("2023-06-15", True)]


def test_an_event_reported_as_done_without_a_date_is_put_at_the_publication_month_and_says_so(resources):
    (event,) = events_of("据悉,京东已悄然关闭微信购物入口。", resources, published=PUBLISHED)
    assert (event["date"], event["action"]) == ("2023-06", "end")
    assert event["date_resolution"].startswith("approximate")
    assert event["confidence"] < 0.9


def test_a_done_event_takes_no_later_date_from_the_sentence_before(resources):
    text = "双方计划明年3月覆盖全国。此外,美团也接入了云闪付。"
    assert ("美团", "云闪付", "payment", "start", "2023-06") in found(text, resources)


def test_a_date_is_not_carried_into_a_section_heading(resources):
    text = "2019年,双方曾有过短暂合作。\n京东关闭微信入口\n据悉,京东已关闭微信购物入口。"
    assert {e[4] for e in found(text, resources)} == {"2023-06"}


def test_traditional_script_and_inline_pinyin_give_the_same_events(resources):
    simplified = found("2023年6月1日,京东关闭了微信购物入口。", resources)
    assert simplified == {("京东", "微信", "traffic", "end", "2023-06-01")}
    assert found("2023年6月1日,京東關閉了微信購物入口。", resources) == simplified
    assert found("2023年6月1日,京東關(guān)閉了微信購(gòu)物入口。", resources) == simplified


def test_a_short_name_given_in_brackets_is_not_another_party(resources):
    text = "2018年5月11日,网联清算有限公司(以下简称“网联”)与支付宝签署合作协议。"
    assert {frozenset(e[:2]) for e in found(text, resources)} == {frozenset(("网联清算", "支付宝"))}


def test_a_name_in_a_purpose_phrase_is_not_the_subject(resources):
    events = found("2017年6月1日,菜鸟为推广阿里云而封杀顺丰。", resources)
    assert {frozenset(e[:2]) for e in events} == {frozenset(("菜鸟", "顺丰"))}


def test_every_event_says_its_rule_and_how_sure_it_is(resources):
    (event,) = events_of("2023年6月1日,京东接入支付宝。", resources, published=PUBLISHED)
    assert event["rule"] == "subject-object" and event["confidence"] == 0.9


def test_a_citation_line_states_no_event(resources):
    assert found("——《京东宣布停止与支付宝合作》(某某日报 2011年5月18日)", resources) == set()


def test_partners_named_after_yu_take_the_subject_of_a_later_clause(resources):
    text = "继2022年与微信支付、京东物流等达成合作后,淘宝天猫又与知乎建立合作。"
    events = {(e[0], e[1]) for e in found(text, resources)}
    assert {("淘宝", "微信支付"), ("淘宝", "京东物流")} <= events


def test_now_in_the_sentence_dates_the_event_at_the_publication_month(resources):
    text = "2020年,支付宝与银联开始探索扫码互认。目前,支付宝与银联已在全国实现扫码互认。"
    assert ("支付宝", "银联", "payment", "start", "2023-06") in found(text, resources)


def test_a_plan_for_this_week_is_dated_the_day_it_was_announced(resources):
    text = "京东6月12日对外宣布,本周将停止与支付宝的合作。"
    assert found(text, resources) == {("京东", "支付宝", "payment", "planned", "2023-06-12")}


def test_a_clause_without_a_domain_word_takes_the_next_clause_s(resources):
    text = "2023年4月,阿里巴巴暂停了微信的第三方应用服务,并屏蔽了相关数据接口,理由是存在支付风险。"
    assert found(text, resources) == {("阿里巴巴", "微信", "traffic", "end", "2023-04")}


def test_a_plan_with_the_partner_between_jiang_and_the_trigger_is_a_plan(resources):
    text = "6月10日,京东宣布,与此同时亦将与抖音、快手等平台合作。"
    assert {e[3] for e in found(text, resources)} == {"planned"}


def test_the_domain_comes_from_the_nearest_later_clause_that_names_one(resources):
    text = "京东与快手在2022年6月就已达成合作,当时快手电商通过接入京东,用户可以在快手跳转至京东购买商品。"
    assert {(frozenset(e[:2]),) + e[2:] for e in found(text, resources)} == {
        (frozenset(("京东", "快手")), "traffic", "start", "2022-06")
    }


def test_a_light_verb_needs_a_word_of_cooperation(resources):
    assert found("滴滴与美团在多个城市展开竞争。", resources) == set()
    assert found("京东物流与顺丰未能就价格达成一致。", resources) == set()
    assert {e[3] for e in found("2023年5月,京东与快手达成物流合作。", resources)} == {"start"}


def test_a_yes_no_question_is_at_most_a_plan(resources):
    assert {e[3] for e in found("支付宝是否会接入微信支付,目前尚无定论。", resources)} <= {"planned"}


def test_a_clause_opening_on_earlier_is_not_dated_by_its_neighbour(resources):
    events = events_of("抖音本月起下线淘宝外链,此前双方曾在广告上合作。", resources, published=PUBLISHED)
    assert {(e["action"], e["date"]) for e in events} == {("end", "2023-06"), ("start", None)}


def test_the_cooperation_of_two_named_parties_is_theirs(resources):
    assert found("京东和腾讯的合作始于2014年。", resources) == {("京东", "腾讯", "other", "start", "2014")}


def test_a_name_after_xiang_is_the_object(resources):
    events = found("2023年3月,支付宝向银联开放线上支付场景。", resources)
    assert events == {("支付宝", "银联", "payment", "start", "2023-03")}


def test_the_trigger_s_domain_beats_a_word_naming_the_subject(resources):
    events = found("2019年,快手与拼多多达成合作,快手小店商品可跳转拼多多购买。", resources)
    assert {(frozenset(e[:2]), e[2]) for e in events} == {(frozenset(("快手", "拼多多")), "traffic")}


def test_a_plan_from_a_named_day_is_scheduled_on_that_day(resources):
    assert found("7月1日起,快手将全面屏蔽淘宝外链。", resources) == {("快手", "淘宝", "traffic", "end", "2023-07-01")}


def test_a_name_after_xiang_in_a_plan_is_the_object_of_the_sentence_s_subject(resources):
    assert found("6月2日,阿里巴巴宣布,将向小红书投资5亿美元。", resources) == {
        ("阿里巴巴", "小红书", "capital", "planned", "2023-06-02")
    }


def test_an_earlier_connection_is_not_dated_by_the_present_in_its_sentence(resources):
    (earlier,) = events_of("据了解,支付宝此前已接入云闪付,目前市场反响不错。", resources, published=PUBLISHED)
    assert (earlier["date"], earlier["date_resolution"]) == (None, "undated: '此前' refers to an earlier, unnamed time")


def test_a_link_that_cannot_be_opened_directly_is_blocked(resources):
    text = "2013年11月,有用户发现,淘宝链接在微信里不能直接打开。"
    assert found(text, resources) == {("淘宝", "微信", "traffic", "end", "2013-11")}


def test_the_latter_and_that_platform_refer_back(resources):
    text = "美团与支付宝的关系再起波澜。6月10日,后者宣布暂停向美团提供收款服务。"
    assert ("支付宝", "美团", "payment", "end", "2023-06-10") in found(text, resources)
    text = "6月1日,抖音发布了新版本。该平台还宣布接入京东物流。"
    assert found(text, resources) == {("抖音", "京东物流", "logistics", "start", "2023-06-01")}


def test_a_launch_without_a_named_product_is_no_milestone(resources):
    assert events_of("6月1日,抖音上线了新功能。", resources, published=PUBLISHED) == []


def test_negotiating_a_cooperation_is_a_plan(resources):
    text = "6月3日,知情人士透露,美团正在与抖音商谈本地生活领域的合作。"
    assert {(frozenset(e[:2]), e[3]) for e in found(text, resources)} == {(frozenset(("美团", "抖音")), "planned")}


def test_an_obstacle_to_interoperability_is_no_event(resources):
    assert found("分析人士指出,微信与淘宝的互通仍面临不少障碍。", resources) == set()


def test_a_clause_opening_on_another_name_moves_the_subject_to_it(resources):
    text = "在现有的支付合作中,快钱份额最高,支付宝的占比只有2%,因此停止与支付宝的合作影响不大。"
    assert {e[0] for e in found(text, resources)} <= {"支付宝"} and "快钱" not in {
        name for e in found(text, resources) for name in e[:2]
    }


def test_a_headline_s_end_of_a_long_partnership_is_an_end(resources):
    text = "京东与支付宝的十三年联姻落幕\n业内人士认为,这是电商平台竞争加剧的结果。"
    assert {(e[0], e[1], e[3]) for e in found(text, resources)} == {("京东", "支付宝", "end")}


def test_a_reconciliation_after_a_split_is_a_start(resources):
    assert {e[3] for e in found("2023年8月,微信与淘宝分手十年后重归于好。", resources)} == {"start"}


def test_an_image_caption_states_nothing(resources):
    assert found("▲图为京东接入支付宝后的结算页面", resources) == set()


def test_two_pairs_with_no_party_in_common_are_two_events(resources):
    text = "目前,支付宝与银联已在全国实现扫码互认。目前淘宝商铺已经支持云闪付付款。"
    pairs = {frozenset(e[:2]) for e in found(text, resources)}
    assert pairs == {frozenset(("支付宝", "银联")), frozenset(("淘宝", "云闪付"))}


def write_event_data(folder, markers: str) -> None:
    for name in ("triggers.csv", "domains.csv"):
        (folder / name).write_text((EVENTS_DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "markers.csv").write_text("word,role\n" + markers, encoding="utf-8")


def test_a_misspelt_marker_role_is_an_error_naming_its_line(tmp_path):
    write_event_data(tmp_path, "如果,hypothetical\n一旦,hypothetic\n")
    with pytest.raises(ValueError, match=r"markers.csv: line 3: 'hypothetic' is not a role"):
        load_triggers(tmp_path)


def test_the_same_marker_twice_is_an_error_naming_both_lines(tmp_path):
    write_event_data(tmp_path, "如果,hypothetical\n假如,hypothetical\n如果,hypothetical\n")
    with pytest.raises(ValueError, match=r"line 4: '如果' as hypothetical is already on line 2"):
        load_triggers(tmp_path)


def test_every_marker_role_is_documented():
    readme = (EVENTS_DATA / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", readme, flags=re.M))
    assert {role for pair in documented for role in pair if role} == MARKER_ROLES
