import csv
import re

import jieba
import jieba.posseg
import opencc
import pytest

from hutong.lexicon import (
    CONTEXT_GUARDS_PATH,
    ENTITY_TYPES,
    LexiconError,
    load_context_guards,
    load_lexicon,
    make_tokenizer,
)
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


def test_lexicon_holds_at_least_300_entities_with_the_canonical_names(lexicon):
    assert len(lexicon.entities) >= 300
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


# ---- the CSV itself -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows():
    with LEXICON_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def surfaces_of(row):
    return [row["name"], *(a for a in row["aliases"].split("|") if a)]


def test_the_csv_has_unique_names_known_types_and_groups_that_exist(rows):
    assert LEXICON_PATH.read_text(encoding="utf-8").splitlines()[0] == "name,name_en,type,group,aliases"
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    assert {r["type"] for r in rows} <= ENTITY_TYPES
    assert {r["group"] for r in rows} <= set(names)
    assert all(r["name_en"] for r in rows)


def test_no_surface_is_claimed_by_two_entities_even_after_case_folding_and_t2s(rows):
    owner = {}
    for row in rows:
        for surface in surfaces_of(row):
            key = to_simplified(surface).lower()
            assert owner.setdefault(key, row["name"]) == row["name"], (surface, owner[key], row["name"])


def test_no_alias_is_a_single_character_or_repeats_its_own_name(rows):
    for row in rows:
        aliases = [a for a in row["aliases"].split("|") if a]
        assert row["name"] not in aliases
        assert all(len(a) >= 2 for a in aliases), row["name"]


def test_every_chinese_surface_has_its_traditional_forms_and_they_convert_back(rows):
    converters = {c: opencc.OpenCC(c) for c in ("s2t", "s2tw", "s2hk")}
    t2s = opencc.OpenCC("t2s")
    for row in rows:
        surfaces = set(surfaces_of(row))
        simplified = {s for s in surfaces if t2s.convert(s) == s}
        for surface in surfaces - simplified:
            assert t2s.convert(surface) in simplified, (row["name"], surface)
        for surface in simplified:
            if re.search(r"[\u4e00-\u9fff]", surface):
                for converter in converters.values():
                    traditional = converter.convert(surface)
                    if t2s.convert(traditional) == surface:  # a form that would not match after t2s is left out
                        assert traditional in surfaces, (row["name"], surface)


# ---- aliases and groups ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "texts"),
    [
        ("腾讯", ["腾讯", "騰訊", "Tencent", "鹅厂"]),
        ("淘特", ["淘特", "淘宝特价版", "淘寶特價版", "Taote"]),
        ("银联", ["银联", "中国银联", "中國銀聯", "UnionPay"]),
        ("网联清算", ["网联", "網聯", "网联清算有限公司", "NetsUnion"]),
        ("工商银行", ["工商银行", "中国工商银行", "中國工商銀行", "ICBC"]),
        ("邮储银行", ["邮储", "郵儲", "中国邮政储蓄银行", "PSBC"]),
        ("沃钱包", ["沃钱包", "联通支付", "聯通支付"]),
        ("小米支付", ["小米支付", "Mi Pay"]),
        ("考拉海购", ["考拉海购", "网易考拉", "網易考拉"]),
        ("哔哩哔哩", ["哔哩哔哩", "B站", "嗶哩嗶哩", "bilibili"]),
        ("奇虎360", ["360", "奇虎360", "Qihoo 360"]),
        ("春晚", ["春晚", "央视春晚", "春节联欢晚会"]),
        ("顺丰同城", ["顺丰同城", "順豐同城"]),
        ("申通", ["申通", "申通快递", "STO Express"]),
    ],
)
def test_names_in_both_scripts_and_english_give_one_entity(lexicon, entity, texts):
    for text in texts:
        assert [e for e, _ in names(lexicon, f"据悉,{text}表示将推进合作")] == [entity], text


def test_sub_brands_roll_up_to_their_group(lexicon):
    assert {"淘特", "闲鱼", "饿了么", "高德", "优酷", "大麦", "考拉海购", "钉钉", "网商银行"} <= set(
        lexicon.members_of("阿里巴巴")
    )
    assert {"微信", "QQ", "QQ音乐", "财付通", "视频号", "微众银行"} <= set(lexicon.members_of("腾讯"))
    assert {"抖音", "今日头条", "抖音支付", "飞书", "火山引擎"} <= set(lexicon.members_of("字节跳动"))
    assert lexicon.group_of("丰巢") == "顺丰"
    assert lexicon.group_of("云闪付") == "银联"
    assert lexicon.group_of("和包") == "中国移动"
    assert lexicon.group_of("微博") == "新浪"


def test_news_outlets_courts_and_people_have_types_that_are_not_platforms(lexicon):
    types = {
        name: lexicon.entities[name].type
        for name in ["澎湃新闻", "券商中国", "晚点LatePost", "北京市高级人民法院", "马云", "央视"]
    }
    assert types == {
        "澎湃新闻": "media",
        "券商中国": "media",
        "晚点LatePost": "media",
        "北京市高级人民法院": "regulator",
        "马云": "person",
        "央视": "media",
    }


def test_a_cctv_gala_partnership_names_the_gala_not_the_outlet(lexicon):
    assert names(lexicon, "微信成为央视春晚的互动合作伙伴") == [("微信", "微信"), ("春晚", "央视春晚")]


# ---- ambiguous short names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "日本央行维持利率不变",
        "欧洲央行宣布降息",
        "美国的央行再次加息",
        "我们去阿里山看日出",
        "拳王阿里的传奇",
        "摄像头可以360度旋转",
        "这件衣服卖1688元",
        "他在全校排第360名",
        "小米粥很养胃",
        "早上喝了一碗小米",
        "我每天吃苹果",
        "苹果汁和香蕉",
        "烟台苹果丰收",
        "北京东路上新开了一家店",
        "美国美联储宣布加息",
        "中国美食节开幕",
        "集中行动打击违法",
        "员工行为规范",
        "外交行为准则",
        "组建行动小组",
        "和包括银行在内的机构",
        "两国人员来往频繁",
        "这款产品玩法新颖",
        "互联网联盟成立",
        "一个字节有八位",
        "他重申通过谈判解决",
        "这是贸易迅速增长的一年",
        "麦田里种着大麦和小麦",
        "门上的猫眼坏了",
        "他是个菜鸟",
        "板上钉钉的事",
        "物美价廉的商品",
        "点点滴滴的积累",
        "三星级酒店",
        "亚马逊雨林",
        "攀登喜马拉雅山",
        "只想赚快钱",
        "李小鹏出席了会议",
        "地方卫视春晚",
        "智能网联汽车",
        "发达经济体央行纷纷降息",
        "苹果酸",
        "王兴兴表示",
    ],
)
def test_an_ordinary_word_that_contains_a_name_gives_no_entity(lexicon, text):
    assert names(lexicon, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("央行发布支付新规", "中国人民银行"),
        ("今日央行开展逆回购操作", "中国人民银行"),
        ("阿里宣布组织调整", "阿里巴巴"),
        ("360宣布与腾讯和解", "奇虎360"),
        ("用户可以在1688下单", "1688"),
        ("中行推出新的信用卡", "中国银行"),
        ("苹果发布新款手机", "苹果"),
        ("小米发布新手机", "小米"),
        ("和包支付接入微信", "和包"),
        ("阿里巴巴推出社交应用来往", "来往"),
        ("据品玩报道", "品玩"),
        ("与网联合作", "网联清算"),
        ("字节回应称", "字节跳动"),
        ("抖音接入达达", "达达"),
    ],
)
def test_the_same_short_names_in_business_news_are_found(lexicon, text, expected):
    assert expected in [e for e, _ in names(lexicon, text)]


def test_a_guarded_name_is_still_found_at_the_start_of_a_list(lexicon):
    assert names(lexicon, "工行、农行、中行均已接入") == [
        ("工商银行", "工行"),
        ("农业银行", "农行"),
        ("中国银行", "中行"),
    ]


def test_a_bad_guard_rule_is_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "context_guards.tsv"
    bad.write_text("# header\n央行\tblock_left\t日本$\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"context_guards.tsv: line 2: expected"):
        load_context_guards(bad)


def test_the_bundled_guards_compile_and_name_lexicon_surfaces(lexicon):
    assert len(load_context_guards(CONTEXT_GUARDS_PATH)) == len(lexicon.guards) > 30
    assert set(lexicon.guards) <= set(lexicon.surface_to_entity)


def test_a_blocked_long_name_still_yields_the_name_inside_it(lexicon):
    assert names(lexicon, "三星每年向苹果支付数亿元专利费") == [("三星", "三星"), ("苹果", "苹果")]
    assert names(lexicon, "商户支持苹果支付") == [("Apple Pay", "苹果支付")]


def test_bank_and_courier_short_names_count_only_in_their_lists(lexicon):
    assert [e for e, _ in names(lexicon, "广发银行、中信、招行均已支持")] == ["广发银行", "中信银行", "招商银行"]
    assert [e for e, _ in names(lexicon, "顺丰、中通、圆通都表示")] == ["顺丰", "中通快递", "圆通速递"]
    assert names(lexicon, "中信证券发布研报") == []
    assert names(lexicon, "会议中通过了决议,他为人圆通") == []


def test_ascii_names_in_web_addresses_and_other_names_are_not_mentions(lexicon):
    assert names(lexicon, "见 www.gov.cn/zhengce/jd/2025 一文") == []
    assert names(lexicon, "JD Vance spoke") == []
    assert names(lexicon, "JD宣布") == [("京东", "JD")]


# ---- the tokenizer --------------------------------------------------------------------------------


def test_tokenizer_keeps_multi_character_names_whole(tokenizer):
    tokens = tokenizer.lcut("淘宝特价版和云闪付接入京东物流,菜鸟驿站支持微信支付")
    for word in ["淘宝特价版", "云闪付", "京东物流", "菜鸟驿站", "微信支付"]:
        assert word in tokens


def test_alipay_is_never_tagged_as_a_person(tokenizer):
    tagger = jieba.posseg.POSTokenizer(tokenizer)
    flags = {w.word: w.flag for w in tagger.cut("支付宝宣布,支付宝与微信支付互通")}
    assert flags["支付宝"] != "nr"


def test_guarded_names_do_not_split_ordinary_words(tokenizer):
    assert tokenizer.lcut("集中行动和包括小米粥") == ["集中", "行动", "和", "包括", "小米粥"]


def test_traditional_articles_find_the_same_entities_after_normalising(lexicon):
    from hutong.normalise import load_boilerplate_patterns, normalise_text

    text = (
        "騰訊旗下的微信支付宣佈接入雲閃付，並與中國銀聯合作。淘寶特價版與嗶哩嗶哩、順豐同城達成協議。日本央行今日加息。"
    )
    normalised = normalise_text(text, boilerplate=load_boilerplate_patterns())
    found = lexicon.mentions_in_sentences(normalised.simplified, normalised.sentences)
    assert [(m.entity, m.sentence_index) for m in found] == [
        ("腾讯", 0),
        ("微信支付", 0),
        ("云闪付", 0),
        ("银联", 0),
        ("淘特", 1),
        ("哔哩哔哩", 1),
        ("顺丰同城", 1),
    ]
    assert [text[m.start : m.end] for m in found][:4] == ["騰訊", "微信支付", "雲閃付", "中國銀聯"]
