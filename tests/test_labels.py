"""Tests for hutong.labels: the interface's words in both languages."""

from __future__ import annotations

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
