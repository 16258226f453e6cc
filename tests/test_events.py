from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hutong import evaluate as ev
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


def _merged_by_trying_every_item(reports):
    """The corpus-wide merge as it is specified: each report joins the first item with a compatible date."""
    items, assigned = [], []
    for r in reports:
        position = next(
            (
                i
                for i, item in enumerate(items)
                if r.date is None
                or item["date"] is None
                or r.date.startswith(item["date"])
                or item["date"].startswith(r.date)
            ),
            None,
        )
        if position is None:
            position = len(items)
            items.append({"date": r.date, "first_doc_id": r.doc_id, "first_report_index": r.report_index})
        elif items[position]["date"] is None and r.date:
            items[position]["date"] = r.date
        assigned.append((r.doc_id, r.report_index, position))
    return items, assigned


def test_a_group_s_reports_join_the_first_item_their_date_is_compatible_with():
    import random

    from hutong.events import HeadReport, merge_timeline_group

    rng = random.Random(7)
    dates = [None, "2024", "2024-10", "2024-10-29", "2024-10-30", "2024-11", "2025", "2025-09-30", "2024-1"]
    for trial in range(300):
        reports = [
            HeadReport(
                f"d{trial}-{i}",
                i,
                "partnership",
                "京东",
                "支付宝",
                "京东",
                "阿里巴巴",
                "payment",
                "start",
                rng.choice(dates),
                "resolved",
            )
            for i in range(rng.randint(1, 12))
        ]
        items, assigned = merge_timeline_group(reports)
        expected_items, expected_assigned = _merged_by_trying_every_item(reports)
        assert assigned == expected_assigned
        assert [
            {k: item[k] for k in ("date", "first_doc_id", "first_report_index")} for item in items
        ] == expected_items
