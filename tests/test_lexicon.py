import csv

import jieba
import pytest

from hutong.lexicon import LexiconError, load_lexicon, make_tokenizer
from hutong.normalise import to_simplified
from hutong.paths import LEXICON_PATH


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.fixture(scope="module")
def tokenizer(lexicon):
    return make_tokenizer(lexicon)


def names(lexicon, text):
    return [(m.entity, m.surface) for m in lexicon.find_mentions(to_simplified(text))]


def test_lexicon_holds_at_least_80_entities_with_the_canonical_names(lexicon):
    assert len(lexicon.entities) >= 80
    for name in "京东 京东物流 京东支付 淘宝 天猫 阿里巴巴 支付宝 菜鸟 微信 微信支付 腾讯 抖音 字节跳动 快手 拼多多 美团 云闪付".split():
        assert name in lexicon.entities


def test_aliases_in_both_scripts_and_english_give_the_canonical_name(lexicon):
    for text in ["京东", "京東", "JD.com", "京东商城", "jd.com"]:
        assert names(lexicon, text) == [("京东", text.replace("東", "东"))], text


def test_longest_match_wins(lexicon):
    assert names(lexicon, "淘宝天猫将会正式接入京东物流") == [
        ("淘宝", "淘宝"),
        ("天猫", "天猫"),
        ("京东物流", "京东物流"),
    ]
    assert names(lexicon, "京东也会接入菜鸟速递和菜鸟驿站") == [
        ("京东", "京东"),
        ("菜鸟", "菜鸟速递"),
        ("菜鸟", "菜鸟驿站"),
    ]


def test_listed_non_entities_block_the_name_inside_them(lexicon):
    assert names(lexicon, "北京东路上有一家店") == []
    assert names(lexicon, "京东方面回应称") == [("京东", "京东")]


def test_english_aliases_match_only_whole_words(lexicon):
    assert names(lexicon, "JDL and JD") == [("京东物流", "JDL"), ("京东", "JD")]
    assert names(lexicon, "JDX") == []


def test_groups_roll_up_their_members(lexicon):
    members = lexicon.members_of("阿里巴巴")
    assert {"阿里巴巴", "淘宝", "天猫", "支付宝", "菜鸟"} <= set(members)
    assert lexicon.group_of("京东物流") == "京东"


def test_tokenizer_keeps_lexicon_names_whole(tokenizer):
    tokens = tokenizer.lcut("京东也会接入菜鸟驿站,并提供京东物流和微信支付")
    for word in ["菜鸟驿站", "京东物流", "微信支付"]:
        assert word in tokens


def test_tokenizer_leaves_the_global_jieba_untouched(tokenizer):
    tokenizer.lcut("菜鸟驿站")
    assert "菜鸟驿站" not in jieba.dt.FREQ


def test_a_bad_type_is_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "entities.csv"
    rows = list(csv.DictReader(LEXICON_PATH.open(encoding="utf-8")))[:3]
    rows[1]["type"] = "bank"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(LexiconError, match=r"entities.csv: line 3: type 'bank'"):
        load_lexicon(bad)


def test_jieba_next_gives_the_same_tokens_as_jieba(lexicon, tokenizer):
    pytest.importorskip("jieba_next", reason="jieba-next is in requirements-dev.txt")
    faster = make_tokenizer(lexicon, segmenter="jieba-next")
    text = to_simplified(
        "據公眾號通知,微信發現-購物一級入口將於當日正式關閉。淘宝天猫将会正式接入京东物流,京东也会接入菜鸟驿站。"
    )
    assert faster.lcut(text) == tokenizer.lcut(text)


def test_an_unknown_segmenter_is_refused_by_name(lexicon):
    with pytest.raises(ValueError, match="unknown segmenter 'thulac'"):
        make_tokenizer(lexicon, segmenter="thulac")


def test_mentions_outside_sentences_are_not_counted(lexicon):
    from hutong.normalise import load_boilerplate_patterns, normalise_text

    text = "京东接入支付宝。\n图源:淘宝APP\n微信关闭入口。"
    normalised = normalise_text(text, boilerplate=load_boilerplate_patterns())
    found = lexicon.mentions_in_sentences(normalised.simplified, normalised.sentences)
    assert [(m.entity, m.sentence_index) for m in found] == [("京东", 0), ("支付宝", 0), ("微信", 1)]
