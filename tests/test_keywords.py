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


def test_function_words_and_link_fragments_are_not_keywords_but_common_content_words_are(stopwords, tokenizer):
    counts = count_terms(
        sentences(
            "对于用户而言，这种互联互通已经实现，安全问题随着监管逐渐明确。", "详见 https://www.example.com.cn/a.html"
        ),
        tokenizer=tokenizer,
        stopwords=stopwords,
    ).counts
    for word in ["对于", "而言", "这种", "已经", "随着", "逐渐", "https", "www", "com", "cn", "html"]:
        assert word not in counts, word
    for word in ["互联互通", "实现", "安全", "问题", "监管", "明确"]:
        assert counts[word] == 1, word


def test_the_general_stopword_list_holds_simplified_words_of_two_or_more_characters_once():
    from hutong.keywords import GENERAL_STOPWORDS_PATH
    from hutong.normalise import to_simplified

    lines = GENERAL_STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    words = [w.strip() for w in lines if w.strip() and not w.startswith("#")]
    assert len(words) == len(set(words)) > 300
    assert [w for w in words if len(w) < 2 or to_simplified(w) != w] == []
