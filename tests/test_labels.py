"""Tests for hutong.labels: the interface's words in both languages."""

from __future__ import annotations

import pandas as pd

from hutong import labels


def test_words_in_both_languages():
    assert labels.t("timeline", "zh") == "合作时间线" and labels.t("timeline", "en") == "Partnership timeline"
    assert labels.t("not-a-key", "en") == "not-a-key"
    assert labels.domain_label("payment", "en") == "payment" and labels.domain_label("payment", "zh") == "支付 payment"


def test_entity_names_in_english_fall_back_to_chinese():
    names_en = {"京东": "JD.com", "菜鸟": ""}
    assert labels.entity_labels(["京东", "菜鸟", "新公司"], names_en, "en") == {
        "京东": "JD.com",
        "菜鸟": "菜鸟",
        "新公司": "新公司",
    }
    assert labels.entity_label("京东", names_en, "zh") == "京东"


def test_an_approximate_date_reads_as_approximate():
    assert labels.event_date_text("2025-03", "approximate: a plan reported without a date of its own") == "≈ 2025-03"
    assert labels.event_date_text("2024", "same sentence: 2024年 → 2024") == "2024"
    assert labels.event_date_text(None, "undated") == "—"


def test_date_explanations_are_translated_in_the_chinese_view():
    why = "approximate: reported as done, with no date in its paragraph; the publication month 2025-03"
    assert labels.date_explanation(why, "zh") == "约略: 报道为已完成，所在段落没有日期; 发布月份 2025-03"
    assert labels.date_explanation(why, "en") == why
    chained = "from another report in this article (sentence 4): same sentence: 去年 → 2024"
    assert labels.date_explanation(chained, "zh") == "取自本文另一条报道 （第 4 句）: 同句: 去年 → 2024"


def test_a_milestone_has_its_own_words_never_a_partnership_s_start():
    assert labels.action_label("milestone", "start", "milestone", "zh") == "监管里程碑"
    assert labels.action_label("milestone", "start", "launch", "en") == "company milestone (launch)"
    assert labels.action_label("partnership", "start", "joined", "zh") == "开通"


def test_rules_and_confidence_are_shown_in_the_page_s_language():
    assert labels.rule_label("both parties", "zh") == "双方/两者 + 触发词"
    assert labels.rule_label("both parties", "en") == "both parties"
    assert labels.confidence_text(0.75) == "75%" and labels.confidence_text(None) == "—"


def test_the_events_behind_a_matrix_cell_are_listed_in_the_page_s_language():
    behind = pd.DataFrame(
        [
            {
                "event_id": "e3", "date": "2025-03", "precision": "month", "a": "京东", "b": "快手",
                "domain": "payment", "action": "planned", "evidence": "京东计划与快手打通支付。", "kind": "partnership",
                "rule": "joined", "confidence": 0.81, "date_resolution": "approximate: a plan reported without a date",
            }
        ]
    )  # fmt: skip
    (zh,) = labels.cell_events_table(behind, names={}, lang="zh")
    assert zh == {
        "事件编号": "e3",
        "日期": "≈ 2025-03",
        "精度": "月",
        "双方": "京东 – 快手",
        "领域": "支付 payment",
        "动作": "计划",
        "置信度": "81%",
        "证据": "京东计划与快手打通支付。",
    }
    (en,) = labels.cell_events_table(behind, names={"京东": "JD.com", "快手": "Kuaishou"}, lang="en")
    assert en["parties"] == "JD.com – Kuaishou" and en["action"] == "planned"


def test_the_source_table_lists_each_source_s_articles_and_span_in_the_page_s_language():
    import pandas as pd

    spans = pd.DataFrame(
        [
            {
                "source": "财经日报",
                "articles": 3,
                "dated": 2,
                "first_day": pd.Timestamp("2024-10-29"),
                "last_day": pd.Timestamp("2025-03-10"),
            },
            {"source": "(no source)", "articles": 1, "dated": 0, "first_day": pd.NaT, "last_day": pd.NaT},
        ]
    )
    assert labels.source_table(spans, "zh") == [
        {"来源": "财经日报", "文章": 3, "最早": "2024-10-29", "最晚": "2025-03-10"},
        {"来源": "(no source)", "文章": 1, "最早": "", "最晚": ""},
    ]
    assert list(labels.source_table(spans, "en")[0]) == ["source", "articles", "first", "last"]


def test_every_extraction_rule_has_chinese_words():
    from hutong.events import EVENT_RULES

    assert all(labels.rule_label(rule, "zh") != rule for rule in EVENT_RULES)


def test_a_date_taken_from_another_sentence_s_event_says_which_in_chinese():
    why = "as the event of sentence 3: same sentence: 2024年6月8日 → 2024-06-08 (explicit date)"
    assert labels.date_explanation(why, "zh").startswith("同第 3 句的事件: 同句")


def test_a_corrected_event_says_what_changed_from_what_and_why_in_both_languages():
    event = {
        "corrected": True,
        "a": "腾讯",
        "was_a": "微信",
        "b": "京东",
        "was_b": None,
        "date": "2019-06",
        "was_date": "2020",
        "domain": "traffic",
        "was_domain": None,
        "merged_events": 1,
        "correction_note": "入口由腾讯关闭",
    }
    names = {"腾讯": "Tencent", "微信": "WeChat"}
    assert labels.correction_text(event, names={}, lang="zh") == (
        "已更正 · 一方: 腾讯 (原为 微信) · 日期: 2019-06 (原为 2020) · 合并了 1 个事件 · 备注: 入口由腾讯关闭"
    )
    assert labels.correction_text(event, names=names, lang="en") == (
        "corrected · First party: Tencent (was WeChat) · Date: 2019-06 (was 2020) · 1 event merged into it"
        " · Note: 入口由腾讯关闭"
    )
    assert labels.correction_text({**event, "corrected": False}, names={}, lang="zh") == ""
