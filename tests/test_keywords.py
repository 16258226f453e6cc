import pytest

from hutong.keywords import count_terms, is_keyword, load_stopwords
from hutong.lexicon import load_lexicon, make_tokenizer
from hutong.models import Sentence


@pytest.fixture(scope="module")
def stopwords():
    return load_stopwords()


@pytest.fixture(scope="module")
def tokenizer():
    return make_tokenizer(load_lexicon())


def sentences(*texts):
    return [Sentence(i, 0, len(t), t) for i, t in enumerate(texts)]


def test_stopwords_numbers_and_punctuation_are_not_keywords(stopwords):
    for token in ["的", "我们", "表示", "2024", "3.9倍", "100%", ",", "十万"]:
        assert not is_keyword(token, stopwords), token
    for token in ["互联互通", "支付宝", "物流", "GMV"]:
        assert is_keyword(token, stopwords), token


def test_counts_keep_entity_names_whole(stopwords, tokenizer):
    counts = count_terms(
        sentences("淘宝天猫将会正式接入京东物流。", "京东物流也能够扩大选择。"),
        tokenizer=tokenizer,
        stopwords=stopwords,
    )
    assert counts.counts["京东物流"] == 2
    assert "京东" not in counts.counts
    assert counts.tokens >= 8


def test_traditional_and_simplified_give_the_same_counts(stopwords, tokenizer):
    from hutong.normalise import to_simplified

    a = count_terms(sentences("京东与腾讯微信长达十年的流量入口合作终止"), tokenizer=tokenizer, stopwords=stopwords)
    b = count_terms(
        sentences(to_simplified("京東與騰訊微信長達十年的流量入口合作終止")), tokenizer=tokenizer, stopwords=stopwords
    )
    assert a == b
