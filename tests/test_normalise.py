from hutong.normalise import (
    content_hash,
    is_boilerplate,
    load_boilerplate_patterns,
    normalise_text,
    split_sentences,
    to_simplified,
)

BOILERPLATE = load_boilerplate_patterns()


def test_traditional_converts_to_simplified_with_the_same_length():
    original = "京東與微信合作變化,騰訊當日正式關閉入口"
    simplified = to_simplified(original)
    assert simplified == "京东与微信合作变化,腾讯当日正式关闭入口"
    assert len(simplified) == len(original)


def test_sentence_offsets_point_into_the_original_text():
    original = "導讀:9月30日,入口將於當日正式關閉。京東方面迴應稱,將持續加碼微信生態!"
    result = normalise_text(original, boilerplate=BOILERPLATE)
    assert [s.text for s in result.sentences] == [
        "导读:9月30日,入口将于当日正式关闭。",
        "京东方面回应称,将持续加码微信生态!",
    ]
    for sentence in result.sentences:
        assert to_simplified(original[sentence.start : sentence.end]) == sentence.text


def test_closing_quote_stays_with_its_sentence():
    text = "他表示:“京东也即将接入支付宝。”随后,京东客服确认了这一消息。"
    sentences = split_sentences(text, [(0, len(text))])
    assert sentences[0].text.endswith("。”")
    assert sentences[1].text.startswith("随后")


def test_news_page_furniture_is_boilerplate():
    for line in [
        "图源:淘宝APP",
        "  • 简体中文",
        "繁体",
        "热门资讯> 正文",
        "2、电商号平台仅提供信息存储服务,如发现文章、图片等侵权行为,侵权责任由作者本人承担。",
        "3、如对本稿件有异议或投诉,请联系:info@dsb.cn",
        "风险及免责提示:以上内容仅代表作者的个人立场和观点",
    ]:
        assert is_boilerplate(line, BOILERPLATE), line


def test_article_sentences_are_not_boilerplate():
    for line in ["10月29日,京东商城正式开通支付宝支付。", "来源于淘宝的用户数量持续增长,京东物流也能够扩大选择。"]:
        assert not is_boilerplate(line, BOILERPLATE), line


def test_boilerplate_lines_give_no_sentences():
    result = normalise_text("京东接入支付宝。\n图源:微博\n淘宝支持微信支付。", boilerplate=BOILERPLATE)
    assert [s.text for s in result.sentences] == ["京东接入支付宝。", "淘宝支持微信支付。"]
    assert result.boilerplate_lines == 1


def test_script_is_detected():
    assert normalise_text("京東與騰訊微信長達十年的流量入口合作終止", boilerplate=BOILERPLATE).script == "traditional"
    assert normalise_text("京东与腾讯微信长达十年的流量入口合作终止", boilerplate=BOILERPLATE).script == "simplified"


def test_same_article_in_either_script_has_the_same_hash():
    simplified = normalise_text("京东与微信合作变化。\n互联网巨头走向开放。", boilerplate=BOILERPLATE)
    traditional = normalise_text("京東與微信合作變化。\n互聯網巨頭走向開放。 ", boilerplate=BOILERPLATE)
    assert simplified.content_hash == traditional.content_hash
    assert content_hash(simplified.sentences) != content_hash(simplified.sentences[:1])
