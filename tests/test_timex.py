"""Tests for hutong.timex: finding and resolving time expressions in Chinese news."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hutong.models import Sentence, TimeExpression
from hutong.timex import extract_time_expressions, load_festivals

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GOLD = SHARED / "eval" / "timex_dev.jsonl"
SEEDS = SHARED / "seeds"
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


@pytest.mark.skipif(not GOLD.exists() or not SEEDS.exists(), reason="shared gold/seeds not present")
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


def test_day_alone_takes_the_month_last_named_and_needs_one() -> None:
    assert values("9月28日至30日，京东开展大促。", PUB_004)["30日"] == "2025-09-30"
    assert run("29日，京东宣布。") == []
    assert all(e.text != "30日" for e in run("9月28日起，30日内可退货。", PUB_004))


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


@pytest.mark.skipif(not SEEDS.exists(), reason="shared seeds not present")
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
