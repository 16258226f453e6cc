"""Tests for hutong.timex: finding and resolving time expressions in Chinese news."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hutong.models import Sentence, TimeExpression
from hutong.timex import extract_time_expressions, load_festivals, time_expressions

REPO = Path(__file__).resolve().parents[1]
# the seed articles ship in data/raw, and their gold (a copy of ../shared/eval) lives with the tests
GOLD = REPO / "tests" / "gold" / "seed_eval" / "timex_dev.jsonl"
SEEDS = REPO / "data" / "raw"
CST = timezone(timedelta(hours=8))
PUB_000 = datetime(2025, 3, 10, 17, 47, 56, tzinfo=CST)
PUB_004 = datetime(2025, 9, 28, 20, 12, tzinfo=CST)
SEED_PUBLISHED = {"000_dec19d54dabd6123.txt": PUB_000, "004_68426414e0c44e0c.txt": PUB_004}

_SENTENCE = re.compile(r"[^。！？!?；;\n]*[。！？!?；;\n]?")


def split(text: str) -> list[Sentence]:
    """A simple splitter for tests, keeping article offsets."""
    out: list[Sentence] = []
    for m in _SENTENCE.finditer(text):
        if m.group().strip():
            out.append(Sentence(len(out), m.start(), m.end(), m.group()))
    return out


def run(text: str, published_at: datetime | None = PUB_000, **kw) -> list[TimeExpression]:
    return extract_time_expressions(split(text), published_at=published_at, **kw)


def values(text: str, published_at: datetime | None = PUB_000) -> dict[str, str | None]:
    return {e.text: e.value for e in run(text, published_at)}


def dated_overlapping(exprs: list[TimeExpression], start: int, end: int) -> list[TimeExpression]:
    return [e for e in exprs if e.start < end and e.end > start and e.value is not None]


# -- gold ------------------------------------------------------------------------------------


def _gold_lines() -> list[dict]:
    if not GOLD.exists():
        return []
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def _seed_text(name: str) -> str:
    text = (SEEDS / name).read_text(encoding="utf-8")
    if name.startswith("004"):
        opencc = pytest.importorskip("opencc")
        text = opencc.OpenCC("t2s").convert(text)
    return text


@pytest.mark.parametrize("gold", _gold_lines(), ids=lambda g: g["text"])
def test_every_gold_time_expression_passes(gold: dict) -> None:
    text = _seed_text(gold["doc"])
    exprs = run(text, SEED_PUBLISHED[gold["doc"]])
    starts = [m.start() for m in re.finditer(re.escape(gold["text"]), text)]
    assert starts, "gold text not in the seed"
    for start in starts:  # every occurrence must pass
        end = start + len(gold["text"])
        found = dated_overlapping(exprs, start, end)
        if gold["value"] is None:
            assert found == [], f"{gold['text']} at {start} was given a date"
        else:
            assert gold["value"] in [e.value for e in found], f"{gold['text']} at {start}: {found}"


# -- discourse -------------------------------------------------------------------------------


def test_bare_month_day_takes_the_year_of_qunian_month_before_it() -> None:
    exprs = run("很快，一切都是真的。去年10月，双方合作的功能逐步上线。10月29日，京东商城正式开通支付宝支付。")
    got = {e.text: e for e in exprs}
    assert got["去年10月"].value == "2024-10"
    assert got["10月29日"].value == "2024-10-29"
    assert "去年10月" in got["10月29日"].resolution
    assert values("2021年4月，京东上线家政业务。5月3日，首单完成。")["5月3日"] == "2021-05-03"


def test_gainian_month_takes_the_year_named_in_the_sentence_before() -> None:
    got = values("于是，在2024年，转机出现。该年9月有消息传出，称淘宝和京东将达成合作。")
    assert got["2024年"] == "2024"
    assert got["该年9月"] == "2024-09"


def test_dangri_is_the_day_last_named() -> None:
    got = values("9月30日，一个持续了十年的电商入口神话将终结。微信一级入口将于当日正式关闭。", PUB_004)
    assert got["9月30日"] == "2025-09-30"
    assert got["当日"] == "2025-09-30"


def test_day_alone_takes_the_month_last_named() -> None:
    (e,) = run("9月28日，京东开展大促。30日，活动结束。", PUB_004)[1:]
    assert (e.text, e.value, e.method) == ("30日", "2025-09-30", "inherited")
    assert all(e.text != "30日" for e in run("9月28日起，30日内可退货。", PUB_004))


def test_day_alone_first_in_a_story_is_of_the_publication_month_or_the_one_before() -> None:
    (e,) = run("5日，京东宣布。")  # published 2025-03-10
    assert (e.value, e.method) == ("2025-03-05", "publication")
    (e,) = run("29日，京东宣布。", datetime(2025, 4, 10, tzinfo=CST))  # April's 29th is still to come
    assert e.value == "2025-03-29"
    assert run("当月29日，京东宣布。", PUB_004)[0].value == "2025-09-29"


def test_gainian_without_a_year_before_is_unresolved_and_says_so() -> None:
    (e,) = run("该年9月有消息传出。")
    assert e.value is None and e.resolution.startswith("unresolved")


def test_dangnian_is_that_year_only_when_a_year_was_named() -> None:
    assert run("当年京东还处于货架电商。") == []
    assert values("在2014年，京东与微信合作。当年京东还处于货架电商。")["当年"] == "2014"


# -- festivals -------------------------------------------------------------------------------


def test_year_word_then_quoted_shuangshiyi() -> None:
    got = values("去年‘双十一’天猫已经允许使用微信支付。")
    assert got["去年‘双十一’"] == "2024-11-11"


def test_jinnian_sanba_funvjie() -> None:
    (e,) = run("今年三八妇女节，京东服务+官方旗舰店正式入驻淘宝天猫。")
    assert (e.text, e.value) == ("今年三八妇女节", "2025-03-08")
    assert e.resolution == "festival 三八妇女节 (03-08) in 今年 = 2025"


def test_festival_at_the_very_start_or_end_of_a_sentence() -> None:
    assert values("三八妇女节，京东入驻淘宝。")["三八妇女节"] == "2025-03-08"
    assert values("京东宣布加入今年双十一")["今年双十一"] == "2025-11-11"
    assert values("天猫已经开始筹备双十一", PUB_004)["双十一"] == "2025-11-11"


def test_qunian_618_period() -> None:
    assert values("数据显示，去年618期间，京东家政成交额同比增长3.9倍。")["去年618"] == "2024-06-18"


def test_618_inside_numbers_or_before_units_is_not_a_festival() -> None:
    assert run("售价6180元，销量618万件，增长618%，第618期，共618家。") == []
    assert values("今年“618”大促，京东开启预售。")["今年“618”"] == "2025-06-18"


def test_short_festival_spellings_need_a_cue() -> None:
    assert [e.text for e in run("他今年38岁，有520人参加，五一上线。")] == ["今年"]
    assert values("38大促期间，店铺推出优惠。")["38"] == "2025-03-08"
    assert values("“520”当天，京东推出活动。", PUB_004)["520"] == "2025-05-20"


def test_lunar_festival_uses_the_csv_and_falls_back_to_the_year() -> None:
    got = values("2024年春节，京东开始合作。")
    assert got["2024年春节"] == "2024-02-10"
    (e,) = run("2035年中秋节，双方续约。")
    assert e.value == "2035" and "year only" in e.resolution


def test_an_analyst_can_add_a_festival_in_the_csv(tmp_path: Path) -> None:
    csv_path = tmp_path / "festivals.csv"
    csv_path.write_text(
        "# test\nname,spellings,month_day,guard,year,date\n京东超级品牌日,超品日,08-08,always,,\n", encoding="utf-8"
    )
    fest = load_festivals(csv_path)
    exprs = run("去年超品日，京东联合淘宝推出活动。", festivals=fest)
    assert [(e.text, e.value) for e in exprs] == [("去年超品日", "2024-08-08")]
    assert run("去年超品日，京东推出活动。")[0].value == "2024"  # not in the default file


def test_a_bad_csv_row_is_reported(tmp_path: Path) -> None:
    csv_path = tmp_path / "festivals.csv"
    csv_path.write_text("name,spellings,month_day,guard,year,date\n坏节,坏节,8月8日,always,,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="month_day"):
        load_festivals(csv_path)


# -- not dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, phrase",
    [
        ("自2011年京东宣布停止使用支付宝以来，时隔14年，如今壁垒正在消除。", "时隔14年"),
        ("一个持续了十年的电商入口神话将终结。", "十年"),
        ("基于过往与腾讯10多年的战略合作关系，京东将持续加码。", "10多年"),
        ("图源：21世纪经济网", "21世纪经济网"),
        ("32页14000字报告下载。", "14000字"),
        ("洗衣洗鞋服务费用最低仅为9.9元。", "9.9元"),
        ("店铺在0点、10点、14点、20点都会发券。", "10点"),
        ("网经社深耕数字经济行业18年。", "18年"),
        ("酒水电商：1919酒类直供、酒廷1990等。", "1919"),
        ("在十多年前，京东和微信合作。", "十多年前"),
        ("联系：info@dsb.cn，网址 https://www.100ec.cn/2024/09/28/x", "2024/09/28"),
    ],
)
def test_non_dates_carry_no_date(sentence: str, phrase: str) -> None:
    exprs = run(sentence)
    start = sentence.index(phrase)
    assert dated_overlapping(exprs, start, start + len(phrase)) == []


def test_jinri_toutiao_is_a_product_not_today() -> None:
    assert run("京东入驻今日头条。") == []


# -- publication time ------------------------------------------------------------------------


def test_bare_month_day_after_publication_goes_back_a_year() -> None:
    (e,) = run("11月5日，京东宣布与美团合作。")
    assert e.value == "2024-11-05"
    assert "moved back" in e.resolution


def test_bare_month_day_before_publication_keeps_the_publication_year() -> None:
    (e,) = run("2月5日，京东宣布与美团合作。")
    assert e.value == "2025-02-05"


def test_future_or_imminent_month_day_after_publication_is_not_moved_back() -> None:
    assert run("11月5日，京东将于当天接入微信。")[0].value == "2025-11-05"
    assert run("3月20日，京东接入微信。")[0].value == "2025-03-20"


def test_relative_words_resolve_against_the_publication_date() -> None:
    got = values("昨日，京东宣布。上月，淘宝接入。前年，双方谈判。明年，合作将扩大。本月15日上线。")
    assert got == {"昨日": "2025-03-09", "上月": "2025-02", "前年": "2023", "明年": "2026", "本月15日": "2025-03-15"}


def test_without_publication_time_relative_is_unresolved_and_explicit_is_resolved() -> None:
    exprs = run("去年10月，双方上线。10月29日，京东开通。2024年10月29日，支付宝可用。昨日宣布。", published_at=None)
    got = {e.text: e for e in exprs}
    assert got["去年10月"].value is None
    assert got["去年10月"].resolution == "unresolved: needs the publication time, none given"
    assert got["10月29日"].value is None and got["10月29日"].resolution.startswith("unresolved")
    assert got["2024年10月29日"].value == "2024-10-29"
    assert got["昨日"].value is None


# -- forms -----------------------------------------------------------------------------------


def test_explicit_forms_and_chinese_numerals() -> None:
    got = values("二〇二四年十月二十九日上线；二零二四年十月宣布；2025-09-28发布；2025/9/28；2025.9.28；２０２４年")
    assert got == {
        "二〇二四年十月二十九日": "2024-10-29",
        "二零二四年十月": "2024-10",
        "2025-09-28": "2025-09-28",
        "2025/9/28": "2025-09-28",
        "2025.9.28": "2025-09-28",
        "２０２４年": "2024",
    }


def test_offsets_are_article_offsets() -> None:
    text = "京东宣布合作。\n于是，在2024年，转机出现。"
    (e,) = run(text)
    assert text[e.start : e.end] == "2024年" and e.sentence_index == 1


def test_traditional_text_converted_by_opencc_works() -> None:
    opencc = pytest.importorskip("opencc")
    text = opencc.OpenCC("t2s").convert("導讀：9月30日，入口將於當日正式關閉。")
    assert values(text, PUB_004)["当日"] == "2025-09-30"


def test_whole_seed_004() -> None:
    text = _seed_text("004_68426414e0c44e0c.txt")
    exprs = run(text, PUB_004)
    got = {e.text: e.value for e in exprs}
    assert got["9月30日"] == "2025-09-30"
    assert got["当日"] == "2025-09-30"
    assert "2014" in [e.value for e in exprs if e.text.endswith("2014年")]
    for phrase in ("十年", "十多年前", "10多年", "18年", "32页", "14000字", "1919", "1990"):
        for m in re.finditer(re.escape(phrase), text):
            assert dated_overlapping(exprs, m.start(), m.end()) == [], phrase


# -- the period each expression denotes, and how it was found ---------------------------------

WED = datetime(2025, 3, 12, 10, 0, tzinfo=CST)  # a Wednesday


def period(text: str, published_at: datetime | None = WED) -> list[tuple]:
    """(text, value, first_day, last_day, precision, method) of every expression in the text."""
    return [
        (e.text, e.value, e.first_day, e.last_day, e.precision, e.method) for e in time_expressions(text, published_at)
    ]


def test_every_date_carries_its_period_precision_and_method() -> None:
    assert period("2024年，京东入驻。去年10月，淘宝接入。该年12月，双方续约。") == [
        ("2024年", "2024", "2024-01-01", "2024-12-31", "year", "absolute"),
        ("去年10月", "2024-10", "2024-10-01", "2024-10-31", "month", "publication"),
        ("该年12月", "2024-12", "2024-12-01", "2024-12-31", "month", "inherited"),
    ]


def test_old_constructors_keep_working_with_defaults() -> None:
    e = TimeExpression("时隔3年", 0, 5, 0, None, "duration", "duration")
    assert (e.first_day, e.last_day, e.precision, e.method, e.approximate) == (None, None, None, "", False)


# -- bare day first in a story ------------------------------------------------------------------


def test_bare_day_first_in_a_story_is_in_the_publication_month() -> None:
    assert period("8日，美团宣布接入云闪付。") == [
        ("8日", "2025-03-08", "2025-03-08", "2025-03-08", "day", "publication")
    ]
    # the 20th of the publication month is still to come: the month before
    assert period("20日，美团宣布接入云闪付。")[0][1] == "2025-02-20"
    assert period("当月20日，美团宣布接入云闪付。")[0][1] == "2025-03-20"


def test_bare_day_after_a_month_in_the_same_paragraph_takes_that_month() -> None:
    assert [p[1] for p in period("去年11月3日，快手上线小程序。5日，抖音跟进。")] == ["2024-11-03", "2024-11-05"]


# -- weeks and weekdays -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, text, value, first, last, precision",
    [
        ("上周一，美团宣布接入云闪付。", "上周一", "2025-03-03", "2025-03-03", "2025-03-03", "day"),
        ("本周三，双方签约。", "本周三", "2025-03-12", "2025-03-12", "2025-03-12", "day"),
        ("下周，抖音将上线新功能。", "下周", "2025-03", "2025-03-17", "2025-03-23", "week"),
        ("上上周，快手发布公告。", "上上周", "2025", "2025-02-24", "2025-03-02", "week"),
        ("本周末，拼多多开展促销。", "本周末", "2025-03", "2025-03-15", "2025-03-16", "week"),
        ("礼拜天，菜鸟驿站恢复营业。", "礼拜天", "2025-03-09", "2025-03-09", "2025-03-09", "day"),
        ("星期五，京东发布财报。", "星期五", "2025-03-07", "2025-03-07", "2025-03-07", "day"),
        ("本周内，双方将完成对接。", "本周内", "2025-03", "2025-03-12", "2025-03-16", "week"),
    ],
)
def test_weeks_and_weekdays(sentence: str, text: str, value: str, first: str, last: str, precision: str) -> None:
    assert period(sentence) == [(text, value, first, last, precision, "publication")]


def test_a_weekday_points_back_in_a_report_and_forward_in_a_plan() -> None:
    assert period("周五，京东发布财报。")[0][1] == "2025-03-07"
    assert period("周五，京东将发布财报。")[0][1] == "2025-03-14"
    assert period("周末，京东推出活动。")[0][2:4] == ("2025-03-08", "2025-03-09")
    assert period("周末，京东将推出活动。")[0][2:4] == ("2025-03-15", "2025-03-16")


def test_traditional_week_and_weekday_forms() -> None:
    assert period("上週五，拼多多宣佈降價。")[0][:2] == ("上周五", "2025-03-07")


def test_weekdays_that_are_not_dates() -> None:
    assert [
        p for p in period("周一鸣是一名记者。每周一，平台发布榜单。一周后见。每个周末都有活动。周末版上线。") if p[1]
    ] == []


# -- parts of a year or month -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, text, value, first, last, precision",
    [
        ("一季度，京东营收增长。", "一季度", "2025", "2025-01-01", "2025-03-31", "quarter"),
        ("2024年第三季度，淘宝交易额回升。", "2024年第三季度", "2024", "2024-07-01", "2024-09-30", "quarter"),
        ("2024年Q4，美团盈利。", "2024年Q4", "2024", "2024-10-01", "2024-12-31", "quarter"),
        ("去年上半年，支付宝用户增长。", "去年上半年", "2024", "2024-01-01", "2024-06-30", "half"),
        ("今年下半年，双方将深化合作。", "今年下半年", "2025", "2025-07-01", "2025-12-31", "half"),
        ("年初，微信开放外链。", "年初", "2025-01", "2025-01-01", "2025-01-31", "month"),
        ("2023年年底，淘宝接入微信支付。", "2023年年底", "2023-12", "2023-12-01", "2023-12-31", "month"),
        ("去年年末，快手接入。", "去年年末", "2024-12", "2024-12-01", "2024-12-31", "month"),
        ("今年年中，抖音上线商城。", "今年年中", "2025", "2025-06-01", "2025-07-31", "month"),
        ("3月上旬，京东物流入驻。", "3月上旬", "2025-03", "2025-03-01", "2025-03-10", "ten_days"),
        ("2月中旬，双方谈判。", "2月中旬", "2025-02", "2025-02-11", "2025-02-20", "ten_days"),
        ("去年12月下旬，拼多多上线。", "去年12月下旬", "2024-12", "2024-12-21", "2024-12-31", "ten_days"),
        ("今年1月初，京东宣布。", "今年1月初", "2025-01", "2025-01-01", "2025-01-10", "ten_days"),
        ("本月底，活动结束。", "本月底", "2025-03", "2025-03-21", "2025-03-31", "ten_days"),
        ("上个季度，京东营收增长。", "上个季度", "2024", "2024-10-01", "2024-12-31", "quarter"),
        ("本季度，淘宝将推出新品。", "本季度", "2025", "2025-01-01", "2025-03-31", "quarter"),
    ],
)
def test_parts_of_a_year_or_month(sentence: str, text: str, value: str, first: str, last: str, precision: str) -> None:
    assert period(sentence)[0][:5] == (text, value, first, last, precision)


def test_a_part_of_a_year_still_to_come_without_a_plan_is_last_years() -> None:
    assert period("第三季度，淘宝交易额回升。")[0][1:4] == ("2024", "2024-07-01", "2024-09-30")
    assert period("第三季度，淘宝将推出新品。")[0][1] == "2025"


# -- ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, text, value, first, last",
    [
        ("1995-1997年，该公司连年亏损。", "1995-1997年", "1995", "1995-01-01", "1997-12-31"),
        ("从2019年到2021年，双方合作。", "2019年到2021年", "2019", "2019-01-01", "2021-12-31"),
        ("去年8月至次年2月，活动持续。", "去年8月至次年2月", "2024-08", "2024-08-01", "2025-02-28"),
        ("2月10日至12日，京东举办大会。", "2月10日至12日", "2025-02-10", "2025-02-10", "2025-02-12"),
        ("2月10-12日，京东举办大会。", "2月10-12日", "2025-02-10", "2025-02-10", "2025-02-12"),
        ("2024年11月至今，双方持续合作。", "2024年11月至今", "2024-11", "2024-11-01", "2025-03-12"),
        ("从2001年起至今，双方合作。", "2001年起至今", "2001", "2001-01-01", "2025-03-12"),
        ("2018年1-9月份，京东营收增长。", "2018年1-9月份", "2018-01", "2018-01-01", "2018-09-30"),
        ("2022年首季度，美团亏损。", "2022年首季度", "2022", "2022-01-01", "2022-03-31"),
    ],
)
def test_ranges_run_from_the_start_to_the_end(sentence: str, text: str, value: str, first: str, last: str) -> None:
    (got,) = period(sentence)
    assert got[:4] == (text, value, first, last)


# -- relative days and spans --------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, text, value",
    [
        ("昨晚，京东宣布接入微信支付。", "昨晚", "2025-03-11"),
        ("今晨，淘宝发布公告。", "今晨", "2025-03-12"),
        ("今晚八点，抖音开启直播。", "今晚", "2025-03-12"),
        ("前日，美团回应。", "前日", "2025-03-10"),
        ("后天，快手将上线新功能。", "后天", "2025-03-14"),
        ("大前天，拼多多宣布降价。", "大前天", "2025-03-09"),
        ("5天前，菜鸟发布新规。", "5天前", "2025-03-07"),
        ("半个月前，京东宣布。", "半个月前", "2025-02-25"),
        ("三周前，京东宣布。", "三周前", "2025-02"),  # the week of 02-17 to 02-23
        ("两个月前，支付宝开放接口。", "两个月前", "2025-01"),
        ("半年前，双方开始谈判。", "半年前", "2024-09"),
        ("三年后，该业务将覆盖全国。", "三年后", "2028"),
    ],
)
def test_relative_days_count_from_publication(sentence: str, text: str, value: str) -> None:
    assert period(sentence)[0][:2] == (text, value)


def test_some_time_after_counts_from_the_date_before_it_in_a_story() -> None:
    assert period("2019年5月，双方谈判。两个月后，微信接入。")[1][:2] == ("两个月后", "2019-07")
    assert period("两个月后，微信接入。")[0][1] is None  # after what? nothing was named


@pytest.mark.parametrize(
    "sentence, text, first, precision",
    [
        ("近三年，京东研发投入超千亿。", "近三年", "2022-03-12", "year"),
        ("过去十年，电商格局巨变。", "过去十年", "2015-03-12", "year"),
        ("最近两个月，双方频繁接触。", "最近两个月", "2025-01-12", "month"),
    ],
)
def test_a_span_up_to_publication_is_a_duration_with_its_days(
    sentence: str, text: str, first: str, precision: str
) -> None:
    (e,) = time_expressions(sentence, WED)
    assert (e.text, e.value, e.kind, e.first_day, e.last_day, e.precision) == (
        text,
        None,
        "duration",
        first,
        "2025-03-12",
        precision,
    )


# -- vague recency ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, word, value, first, last",
    [
        ("近日，淘宝宣布接入微信支付。", "近日", "2025-03", "2025-02-26", "2025-03-12"),
        ("日前，京东物流与顺丰达成合作。", "日前", "2025-03", "2025-02-26", "2025-03-12"),
        ("目前，该功能已覆盖全国。", "目前", "2025-03", "2025-03-12", "2025-03-12"),
        ("近期，抖音开放了外链。", "近期", "2025-03", "2025-02-10", "2025-03-12"),
        ("近期，抖音将开放外链。", "近期", "2025-03", "2025-03-12", "2025-04-11"),
        ("此前，双方曾多次谈判。", "此前", "2025", "2024-03-12", "2025-03-11"),
        ("早前，拼多多否认了传闻。", "早前", "2025", "2024-03-12", "2025-03-11"),
    ],
)
def test_vague_recency_is_put_at_publication_and_marked_approximate(
    sentence: str, word: str, value: str, first: str, last: str
) -> None:
    (e,) = time_expressions(sentence, WED)
    assert (e.text, e.value, e.first_day, e.last_day) == (word, value, first, last)
    assert e.approximate and e.method == "approximate" and e.kind == "date"


def test_vague_words_inside_other_words_are_not_dates() -> None:
    assert period("节日前，平台推出活动。该项目前期投入巨大。因此前期准备不足。接近日本市场。") == []


def test_a_vague_word_does_not_become_the_year_of_what_follows() -> None:
    got = period("2019年，京东入驻。此前，双方曾谈判。9月5日，京东宣布。")
    assert got[-1][:2] == ("9月5日", "2019-09-05")


# -- writing forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, text, value",
    [
        ("2024 年 11 月 12 日，京东宣布。", "2024 年 11 月 12 日", "2024-11-12"),
        ("9 月 30 日，微信入口关闭。", "9 月 30 日", "2024-09-30"),
        ("２０２４年１１月１２日，淘宝宣布。", "２０２４年１１月１２日", "2024-11-12"),
        ("08年，淘宝屏蔽百度。", "08年", "2008"),
        ("15年双十一，天猫成交额创新高。", "15年双十一", "2015-11-11"),
        ("19年3月，双方接触。", "19年3月", "2019-03"),
        ("二〇二四年，双方和解。", "二〇二四年", "2024"),
        ("两千零四年，京东进入电商。", "两千零四年", "2004"),
        ("二〇一九年十二月三十一日，美团宣布。", "二〇一九年十二月三十一日", "2019-12-31"),
        ("2024/11/12发布。", "2024/11/12", "2024-11-12"),
        ("2024.11.12发布。", "2024.11.12", "2024-11-12"),
        ("2024-11-12发布。", "2024-11-12", "2024-11-12"),
        ("民國113年，臺灣支付業者接入。", "民国113年", "2024"),
        ("民国一百一十三年，合作启动。", "民国一百一十三年", "2024"),
        ("从2月9起，新规生效。", "2月9", "2025-02-09"),
        ("零七年八月，淘宝上线新版。", "零七年八月", "2007-08"),
        ("九七年一季度，公司成立。", "九七年一季度", "1997"),
    ],
)
def test_writing_forms(sentence: str, text: str, value: str) -> None:
    assert period(sentence)[0][:2] == (text, value)


def test_two_digit_numbers_before_nian_are_years_only_when_written_as_years() -> None:
    assert [p[1] for p in period("他从业15年，公司成立了20年。")] == [None, None]


# -- festivals and shopping days ----------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, text, value",
    [
        ("今年清明节，京东推出活动。", "今年清明节", "2025-04-04"),
        ("端午节期间，美团外卖订单增长。", "端午节", "2024-06-10"),
        ("2024年中秋，淘宝上线月饼专区。", "2024年中秋", "2024-09-17"),
        ("国庆假期，抖音直播带货火爆。", "国庆假期", "2024-10-01"),
        ("春节前，拼多多推出年货专区。", "春节", "2025-01-29"),
        ("2023年除夕，微信红包收发量创新高。", "2023年除夕", "2023-01-21"),
        ("元旦当天，支付宝推出集福。", "元旦", "2025-01-01"),
        ("6·18大促期间，京东成交额增长。", "6·18", "2024-06-18"),
        ("双11期间，菜鸟包裹量激增。", "双11", "2024-11-11"),
        ("去年双十二，淘宝推出优惠。", "去年双十二", "2024-12-12"),
        ("今年母亲节，天猫推出鲜花专场。", "今年母亲节", "2025-05-11"),
        ("2024年父亲节，京东推出活动。", "2024年父亲节", "2024-06-16"),
        ("教师节，美团推出感恩活动。", "教师节", "2024-09-10"),
        ("7·16，快手开启购物节。", "7·16", "2024-07-16"),
    ],
)
def test_festivals_and_shopping_days(sentence: str, text: str, value: str) -> None:
    assert period(sentence)[0][:2] == (text, value)


# -- direction and paragraphs -----------------------------------------------------------------


def test_a_plan_for_a_day_already_past_this_year_is_next_years() -> None:
    assert period("京东将于3月1日起接入微信支付。")[0][:2] == ("3月1日", "2026-03-01")
    assert period("下月起，淘宝将开放外链。")[0][:2] == ("下月", "2025-04")


def test_a_bare_month_day_takes_its_year_from_its_own_paragraph_only() -> None:
    same = period("2019年，双方曾有接触。9月5日，京东宣布入驻。")
    assert same[1][:2] == ("9月5日", "2019-09-05") and same[1][5] == "inherited"
    other = period("2019年，双方曾有接触。\n9月5日，京东宣布入驻。")
    assert other[1][:2] == ("9月5日", "2024-09-05") and other[1][5] == "publication"


def test_referring_words_reach_across_paragraphs() -> None:
    assert period("2019年9月5日，京东宣布。\n当日，淘宝回应。")[1][:2] == ("当日", "2019-09-05")


def test_dangshi_and_bishi_take_the_time_last_named_at_its_precision() -> None:
    assert period("去年6月，双方谈判。当时，京东仍在观望。")[1][:2] == ("当时", "2024-06")
    assert period("2013年，微信上线支付。彼时，淘宝尚未接入。")[1][:2] == ("彼时", "2013")
    assert period("当时，京东仍在观望。") == []


def test_a_day_before_refers_to_the_last_day_named_even_after_a_month() -> None:
    got = period("3月8日，快手宣布。去年9月，双方已接触。在宣布前一天，抖音回应。")
    assert got[-1][:2] == ("前一天", "2025-03-07")


def test_jiri_is_the_day_just_named_or_the_day_of_publication() -> None:
    assert period("3月8日，京东宣布，即日起开放。")[1][:2] == ("即日", "2025-03-08")
    assert period("京东宣布，即日起开放。")[0][:2] == ("即日", "2025-03-12")


def test_today_equated_with_a_written_date_takes_that_date() -> None:
    assert period("今天是3月11日，京东宣布开放。")[0][:2] == ("今天", "2025-03-11")


# -- not dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "时隔14年，双方再次牵手。",
        "京东已经成立二十年。",
        "两家公司合作了10多年。",
        "他今年35岁，从业十年。",
        "该平台用户超过2000万，交易额达到618亿元。",
        "21世纪经济网报道。",
        "今日头条宣布接入抖音支付。",
        "明日之后是一款游戏。",
        "36氪获悉，京东上线新功能。",
        "每日经济新闻报道。",
        "为期半年的试点结束。",
        "前9个月，营收增长。",
        "平台有3家子公司，分布在10个城市。",
        "过去几年，平台开放成为趋势。",
        "兩個(gè)月內完成對接。",
        "21世紀(jì)經(jīng)濟(jì)報(bào)道稱，合作持續(xù)。",
    ],
)
def test_durations_counts_amounts_and_names_carry_no_date(sentence: str) -> None:
    dated = [(e.text, e.value) for e in time_expressions(sentence, WED) if e.value is not None and e.text != "今年"]
    assert dated == []


# -- traditional script and inline pinyin -------------------------------------------------------


def test_traditional_with_inline_pinyin_gives_the_same_values_as_simplified() -> None:
    simplified = period("2019年9月5日，京东宣布。当日，淘宝回应。两个月前，双方接触。")
    traditional = period("2019年9月5日，京東宣布。當(dāng)日，淘寶回應。兩個(gè)月前，雙方接觸。")
    assert [p[1:] for p in traditional] == [p[1:] for p in simplified]


def test_offsets_point_into_the_text_given() -> None:
    text = "京東宣布。\n\n去年10月，雙(shuāng)方合作。當(dāng)日上線。"
    got = time_expressions(text, WED)
    assert [text[e.start : e.end] for e in got] == ["去年10月", "當(dāng)日"]


def test_time_expressions_is_exported_from_the_package() -> None:
    import hutong

    assert hutong.time_expressions is time_expressions
    assert time_expressions("昨天，京东宣布。", None)[0].value is None
