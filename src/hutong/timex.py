"""Find time expressions in an article's sentences and resolve them against publication time and discourse."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from hutong.models import Sentence, TimeExpression
from hutong.normalise import load_boilerplate_patterns, normalise_text, paragraph_numbers

__all__ = [
    "DEFAULT_FESTIVALS_PATH",
    "METHODS",
    "PRECISIONS",
    "Festival",
    "Festivals",
    "extract_time_expressions",
    "load_festivals",
    "time_expressions",
]

DEFAULT_FESTIVALS_PATH = Path(__file__).resolve().parents[2] / "data" / "time" / "festivals.csv"

# --------------------------------------------------------------------------------------------
# Festivals and shopping days (data/time/festivals.csv)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Festival:
    """One spelling of a festival: its name, fixed MM-DD (None for lunar ones) and guard."""

    name: str
    month_day: tuple[int, int] | None
    guard: str  # "always" or "cue"


@dataclass(frozen=True)
class Festivals:
    """Festivals and shopping days as loaded from festivals.csv, with the recogniser built on them."""

    by_spelling: dict[str, Festival]
    lunar_dates: dict[tuple[str, int], date]
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    prefilter: re.Pattern[str] = field(compare=False, repr=False)
    starts: re.Pattern[str] = field(compare=False, repr=False)
    trigger: re.Pattern[str] = field(compare=False, repr=False)

    def date_in(self, festival: Festival, year: int) -> date | None:
        """The Gregorian date of `festival` in `year`, or None when festivals.csv does not give it."""
        if festival.month_day is not None:
            month, day = festival.month_day
            try:
                return date(year, month, day)
            except ValueError:  # 02-29 in a common year
                return None
        return self.lunar_dates.get((festival.name, year))


_MONTH_DAY_RE = re.compile(r"(\d{2})-(\d{2})")


def load_festivals(path: Path | None = None) -> Festivals:
    """Load festivals and shopping days from a CSV file (default: the repo's data/time/festivals.csv).

    Columns: name, spellings (separated by |), month_day (MM-DD, empty for lunar festivals),
    guard ("always" or "cue"), year, date. Rows with a year and a date give a lunar festival's
    Gregorian date in that year. Lines starting with # are comments. Raises ValueError on a bad row.
    """
    if path is None:
        return _load_default_festivals()
    return _parse_festivals(Path(path))


@lru_cache(maxsize=1)
def _load_default_festivals() -> Festivals:
    return _parse_festivals(DEFAULT_FESTIVALS_PATH)


def _parse_festivals(path: Path) -> Festivals:
    raw = path.read_text(encoding="utf-8-sig")
    lines = [line for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    by_spelling: dict[str, Festival] = {}
    lunar_dates: dict[tuple[str, int], date] = {}
    names: set[str] = set()
    dated: list[tuple[int, str, int, date]] = []
    for lineno, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        name = (row.get("name") or "").strip()
        if not name:
            raise ValueError(f"{path}: data row {lineno}: no name")
        year_s, date_s = (row.get("year") or "").strip(), (row.get("date") or "").strip()
        if year_s or date_s:
            try:
                dated.append((lineno, name, int(year_s), date.fromisoformat(date_s)))
            except ValueError as exc:
                raise ValueError(f"{path}: data row {lineno}: bad year/date {year_s!r} {date_s!r}") from exc
            continue
        md_s = (row.get("month_day") or "").strip()
        month_day = None
        if md_s:
            m = _MONTH_DAY_RE.fullmatch(md_s)
            if not m or not 1 <= int(m.group(1)) <= 12 or not 1 <= int(m.group(2)) <= 31:
                raise ValueError(f"{path}: data row {lineno}: bad month_day {md_s!r} (want MM-DD)")
            month_day = (int(m.group(1)), int(m.group(2)))
        guard = (row.get("guard") or "always").strip() or "always"
        if guard not in ("always", "cue"):
            raise ValueError(f"{path}: data row {lineno}: guard must be 'always' or 'cue', not {guard!r}")
        names.add(name)
        spellings = [s.strip() for s in (row.get("spellings") or "").split("|") if s.strip()]
        if not spellings:
            raise ValueError(f"{path}: data row {lineno}: no spellings")
        for spelling in spellings:
            if spelling in by_spelling:
                raise ValueError(f"{path}: data row {lineno}: spelling {spelling!r} is listed twice")
            by_spelling[spelling] = Festival(name, month_day, guard)
    for lineno, name, year, day in dated:
        if name not in names:
            raise ValueError(f"{path}: data row {lineno}: date for unknown festival {name!r}")
        lunar_dates[(name, year)] = day
    return Festivals(by_spelling, lunar_dates, *_build_patterns(sorted(by_spelling, key=lambda s: (-len(s), s))))


# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------

# Full-width digits and separators to ASCII, one character for one, so offsets stay put.
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．～：", "0123456789-/.~:")
_ODD_CHARS = re.compile("[０-９－／．～： \u00a0\u3000(（]")

_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_D = "[〇○零一二三四五六七八九]"
_HAN = "\u4e00-\u9fff"
_MON = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
_DAY = r"3[01]|[12][0-9]|0?[1-9]|三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九]"
_Q_OPEN = "‘“\"'「『"
_Q_CLOSE = "’”\"'」』"
# What may follow a month written with its day but without 日 (10月9起, a dateline "11月 23" before a clock time).
_NO_RI_AFTER = r"(?=$|[，,。；;、）)」』”起至到前后]|\s+[0-9]{1,2}[:：])"
# The parts of a month after 月 (9月初, 7月底, 8月中旬); 中 alone only before a non-Han character (9月中，…).
_MONTH_PART = rf"上旬|中旬|下旬|初|底|末|中(?=[^{_HAN}]|$)"
# The parts of a year after 年 or after a year word (2020年底, 今年年初, 今年上半年, 2024年第三季度, 2024年Q3).
_YEAR_PART = (
    rf"上半年|下半年|前三季度|首季度|第?[一二三四1-4]季度|[Qq][1-4](?![0-9A-Za-z])"
    rf"|年?初|年?底|年?末|年?中(?=[^{_HAN}]|$)"
)

_URL = (
    r"https?://[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+"
    r"|www\.[A-Za-z0-9./_%?=&#~+-]+"
    r"|(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
)
_ISO = (
    r"(?<![0-9A-Za-z.])(?P<iy>(?:19|20)[0-9]{2})(?P<sep>[-/.])(?P<im>1[0-2]|0?[1-9])"
    r"(?P=sep)(?P<id>3[01]|[12][0-9]|0?[1-9])(?![0-9])"
)
_YEAR_RANGE = (
    r"(?<![0-9])(?P<yr1>(?:19|20)[0-9]{2})年?\s?[-—–~至到]\s?(?P<yr2>(?:19|20)[0-9]{2})年(?!代)"
    r"(?!(?:1[0-2]|0?[1-9]|[一二三四五六七八九十])月)"
)
_YEAR_HEAD = (
    rf"(?P<ynum>(?<![0-9])(?:19|20)[0-9]{{2}}|(?<!{_CN_D}){_CN_D}{{4}}"
    r"|(?<![一二两三四五六七八九十百千])[两二]千零?[一二三四五六七八九十]{1,3})年(?!代)"
    r"|民国(?P<roc>[0-9]{1,3}|[一二三四五六七八九十百]{1,5})年"
    r"|(?P<yy>(?<![0-9.])[0-9]{2})年(?=(?:1[0-2]|0?[1-9])月|[上下]半年|第?[一二三四1-4]季度|[Qq][1-4]|[初底末]"
    r"|春节|双|618|国庆|中秋|元旦)"
    rf"|(?P<yycn>(?<![〇○零一二三四五六七八九十]){_CN_D}{{2}})年(?=(?:{_MON})月|[上下]半年|第?[一二三四1-4]季度|[初底末])"
    r"|(?P<yy0>(?<![0-9.])0[0-9])年(?![0-9]*(?:来|间|多|以|里|内|之|前|后))"
    r"|(?P<yrel>大前年|(?<![以年之])前年(?![轻纪龄])|去年(?!轻)|(?<!如)今年(?!轻)|明年(?!轻))"
    r"|(?P<yana>该年|(?<![不相共])同年(?![龄级份])|(?<![相想])当年(?![轻龄])|次年|翌年)"
)
_MONTH_REL = r"(?P<mrel>本月|这个月|上个?月|下个?月|当月|(?<!不)同月(?!份)|次月)"
_DAY_REL = (
    r"(?P<drel>大前天|大后天|今天|今日(?!头条)|今晨|今早|今晚|今夜|昨天|昨日|昨晚|昨夜|昨晨|昨早"
    r"|(?<!大)前天|前日|明天|明日(?!之后|方舟)|明晚|明早|(?<![先大])后天(?!性)"
    r"|当天|当日|当晚|当夜|(?<!不)同日(?!期)|同一天|次日|翌日|前一天|前一日|后一天|即日)"
)
# What may follow a weekday written alone (周五晚间, 周三发布), so that a name such as 周一鸣 is not one.
_AFTER_WEEKDAY = "[上下晚凌早中午起至到前后的是当将在再又也才就已开举召发宣正和与及、]"
_THEN = r"(?P<then>(?<![适相应每])当时(?!间|期)|彼时|其时|那时(?!候起))"
_WEEK = (
    r"(?P<week>(?:(?P<wrel>上上|下下|上|下|本|这)个?(?:周|星期|礼拜)(?P<wd1>[一二三四五六日天末1-7])?"
    r"|(?<![每一两二三四五六七八九十几第个双休])(?:周|星期|礼拜)(?P<wd2>[一二三四五六日天末])"
    rf"(?=[^{_HAN}]|$|{_AFTER_WEEKDAY}))(?P<win>内)?)"
)
_QPART = (
    r"(?P<qpart>(?<![每一这全当两二三四五六七八九十几A-Za-z0-9])"
    rf"(?:上半年(?!内)|下半年(?!内)|前三季度|首季度|第?[一二三四1-4]季度|[Qq][1-4](?![0-9A-Za-z])"
    rf"|年初|年底|年末|年中(?=[^{_HAN}]|$)))"
)
_MPART = r"(?P<mpart>(?<![每个0-9一二三四五六七八九十])(?:月初|月底|月末|上旬|中旬|下旬))"
_AGO = (
    r"(?P<rel>(?<![0-9.第])(?P<reln>[0-9]{1,3}|[一二两三四五六七八九十几数半]{1,3})(?P<relv>多|余|几)?"
    r"(?P<relu>个半月|个多月|个月|个星期|周|星期|天|年)(?P<reld>以前|之前|前|以后|之后|后)(?![夕后]))"
)
_SPAN = (
    r"(?P<span>(?:近|过去|最近|过去的|这)(?P<spn>[0-9]{1,2}|[一二两三四五六七八九十几数]{1,3})(?P<spv>多|余)?"
    r"个?(?P<spu>年|月|周|星期|天)(?:来|里|间|中|以来)?)"
)
_VAGUE = (
    r"(?P<vague>(?<![接靠邻贴亲附逼挨迫将])近日|(?<![节生假作念首末每当今昨明前次翌同某几这那本该终休期0-9])日前"
    r"|(?<![项题栏节科数书条盲面名心注瞩醒耳夺悦满触])目前|近期|近来|(?<![因为如据彼由特对借从])此前"
    r"|(?<![提较更最])早前|前不久|不久前)"
)
_DUR = (
    r"(?P<dur>(?:时隔|长达|历经|已有|已经|整整|超过|近|约|逾)?(?<![0-9.])"
    r"(?:[0-9]{1,3}|[一二两三四五六七八九十几数百千]{1,4})(?:多|余|几)?年(?!代)(?:多|来|间|之久|以上|左右)?)"
)


def _build_patterns(
    spellings: Sequence[str],
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The recogniser, a quick test whether a sentence needs it, the characters a match can start with and
    what must follow them."""
    fest = "|".join(re.escape(s) for s in spellings) or "(?!)"
    day_range = f"(?:[-—~至到](?P<{{g}}2>{_DAY}))?"
    pattern = re.compile(
        f"(?P<url>{_URL})"
        f"|(?P<iso>{_ISO})"
        f"|(?P<yrange>{_YEAR_RANGE})"
        f"|(?P<yexpr>(?:{_YEAR_HEAD})"
        f"(?:(?P<ym>{_MON})(?:[-—~至到](?P<ym2>{_MON}))?月份?(?:(?P<yd>{_DAY}){day_range.format(g='yd')}[日号]"
        f"|(?P<ydn>3[01]|[12][0-9]|0?[1-9]){_NO_RI_AFTER}|(?P<ymp>{_MONTH_PART}))?"
        f"|(?P<ypart>{_YEAR_PART})"
        f"|(?P<yq>[{_Q_OPEN}]?)(?P<yfest>{fest})(?P<yq2>[{_Q_CLOSE}]?))?)"
        f"|(?P<mexpr>{_MONTH_REL}(?:(?P<mrd>{_DAY})[日号]|(?P<mmp>{_MONTH_PART}))?)"
        f"|(?P<md>(?<![0-9〇○零一二三四五六七八九十个半每.])(?P<mm>{_MON})(?:[-—~](?P<mm2>{_MON}))?月份?"
        f"(?:(?P<mdd>{_DAY}){day_range.format(g='mdd')}[日号]"
        f"|(?P<mdn>3[01]|[12][0-9]|0?[1-9]){_NO_RI_AFTER}|(?P<mdp>{_MONTH_PART}))?)"
        r"|(?P<qrel>(?P<qr>上个?|本|这个?|下个?)季度)"
        f"|{_QPART}|{_MPART}|{_WEEK}|{_THEN}"
        f"|{_DAY_REL}"
        r"|(?P<dd>(?<![0-9.月号〇○零一二两三四五六七八九十百])(?P<ddn>3[01]|[12][0-9]|0?[1-9]"
        r"|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九])日)"
        f"|(?P<fest>{fest})"
        r"|(?P<dot>(?<![0-9.·])(?P<dotm>1[0-2]|[1-9])·(?P<dotd>3[01]|[12][0-9]|[1-9])(?![0-9.·]))"
        f"|{_AGO}|{_SPAN}|{_VAGUE}"
        f"|{_DUR}"
    )
    needed = set(_NEEDED_CHARS) | {s[-1] for s in spellings}
    prefilter = re.compile("[" + "".join(sorted(re.escape(c) for c in needed)) + "]")
    return (pattern, prefilter, *_build_trigger(spellings))


def _build_trigger(spellings: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Where a match can start: a character (`starts`) before what would follow it in a match (`context`:
    上 only in 上周, 上个月, 上半年, 上旬, 上元节 …; a digit only before 年, 月, 日, a separator …), so that the
    recogniser is tried at few places of a sentence."""
    after: dict[str, set[str]] = {c: set(rest.split("|")) for c, rest in _TRIGGER_CONTEXT.items()}
    for spelling in spellings:
        if len(spelling) > 1:
            after.setdefault(re.escape(spelling[0]), set()).add(re.escape(spelling[1:]))
    always = _TRIGGER_ALWAYS + "".join(re.escape(s) for s in spellings if len(s) == 1)
    branches = [f"[{always}]"] + [
        f"{c}(?={'|'.join(sorted(rests, key=lambda r: (-len(r), r)))})" for c, rests in sorted(after.items())
    ]
    starts = always + "".join(c[1:-1] if c.startswith("[") else c for c in after)
    return re.compile(f"[{starts}]"), re.compile("|".join(branches))


def _scan(fest: Festivals, t: str) -> Iterator[re.Match[str]]:
    """Like fest.pattern.finditer(t), but tries the pattern only where a match can start (much faster)."""
    pos, n = 0, len(t)
    search, context, match = fest.starts.search, fest.trigger.match, fest.pattern.match
    while pos < n:
        c = search(t, pos)
        if c is None:
            return
        p = c.start()
        m = match(t, p) if context(t, p) else None
        if m is None:
            pos = p + 1
        else:
            yield m
            pos = m.end()


# Every match holds one of these characters (or a festival spelling's last one): the quick test of a sentence.
_NEEDED_CHARS = "0123456789０１２３４５６７８９年月日天旬季周期拜时晚晨早夜前久来Qq·"
# Characters that start a match wherever they are: a web or e-mail address (read only to be skipped), Q1.
_TRIGGER_ALWAYS = "A-Za-z._%+\\-"
_CN_NUM = "[〇○零一二两三四五六七八九十几数半百千]"
# Where a match can start: a character (or class) and, as regular expressions separated by |, what must follow it
# (bounded: a run of digits is looked at four at a time, not to its end from every digit).
_TRIGGER_CONTEXT = {
    "[0-9]": r"[0-9]{0,3}(?:\s?[年月日号天周·\-/.~—–至到]|[多余几]|个[月多半星]|星期)",
    _CN_NUM: _CN_NUM + "{0,6}(?:[年月日号天周季星礼多余]|个[月多半星])",
    "周": "[一二三四五六日天末]",
    "近": "[日期来年月0-9一二两三四五六七八九十几数半]",
    "约": "[0-9一二两三四五六七八九十几数百千]",
    "逾": "[0-9一二两三四五六七八九十几数百千]",
    "上": "上|个?[周月]|星期|礼拜|半年|旬|个?季度",
    "下": "下|个?[周月]|星期|礼拜|半年|旬|个?季度",
    "本": "[周月]|星期|礼拜|季度",
    "这": "个?[周月]|星期|礼拜|个?季度|[0-9一二两三四五六七八九十几数]",
    "中": "旬",
    "日": "前",
    "年": "[初底末中]",
    "月": "[初底末]",
    "不": "久前",
    "第": "[一二三四1-4]季度",
    "首": "季度",
    "后": "天|一天",
    "其": "时",
    "此": "前",
    "最": "近",
    "过": "去",
    "民": "国",
    "星": "期",
    "礼": "拜",
    "即": "日",
    "彼": "时",
    "那": "时",
    "目": "前",
    "早": "前",
    "前": "年|天|日|一[天日]|不久|三季度",
    "同": "[年月日]|一天",
    "当": "[年月天日晚夜时]",
    "大": "[前后]",
    "去": "年",
    "今": "[年天日晨早晚夜]",
    "明": "[年天日晚早]",
    "昨": "[天日晚夜晨早]",
    "该": "年",
    "次": "[年月日]",
    "翌": "[年日]",
    "时": "隔",
    "长": "达",
    "历": "经",
    "已": "有|经",
    "整": "整",
    "超": "过",
}
_DURATION_BEFORE = ("时隔", "长达", "历经")
_HABITUAL_BEFORE = ("每年", "每逢", "每")
_DAY_NOT_DATE_AFTER = re.compile(r"内|以内|之内|无理由|后|左右|以上|均")
_DAY_NOT_DATE_BEFORE = set("近连每第共约超逾满")
_UNIT_AFTER = set("0123456789.%％元亿万千百个家人名件款位次条台只辆项倍米克吨号路层栋版页字岁分秒点天周份笔单种度")
_NUM_BEFORE = set("0123456789.%第")
_CN_NUMERAL = set("〇○零一二两三四五六七八九十百千万")
_QUOTES_OPEN, _QUOTES_CLOSE = set(_Q_OPEN), set(_Q_CLOSE)
_FEST_CUE = re.compile(
    r"期间|当天|当日|当晚|前后|前夕|之前|之后|大促|促销|购物节|狂欢|活动|假期|长假|小长假|"
    r"黄金周|晚会|节|档期|预售|开门红|来临|到来"
)
_FUTURE = re.compile(r"将(?![其之此这该它他她])|计划|预计|拟于|拟在|有望|届时|备战|筹备|迎接|倒计时|即日起")
# A plan right before a month-day (将于10月1日): the date is ahead of publication, in the next year if need be.
_PLAN_BEFORE = re.compile(r"(?:将于|将在|将从|将自|拟于|拟在|定于|计划于|计划在|预计于|预计在)$")
_CN_EXACT = re.compile(r"[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九半]")
_UPCOMING_DAYS = 45  # a date this close after publication is taken as upcoming, not as last year's
# Between two dates of a range (10月29日至31日, 1月—3月, 8月至次年2月, 周一到周五).
_RANGE_JOIN = re.compile(r"\s?(?:[-—–~至到]|一直到|直到)\s?")
_UNTIL_NOW = re.compile(r"起?(?:至今|到现在|迄今|到目前)|以来")
# Pinyin in brackets after a character (当(dāng)日) and spaces inside a written date (9 月 30 日) are not
# looked at: the recogniser reads the sentence without them and maps its offsets back.
_STRAY = re.compile(
    r"(?<=[\u4e00-\u9fff])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7}[)）]"
    r"|(?<=[0-9])[ \u00a0\u3000]+(?=[年月日号])|(?<=[年月])[ \u00a0\u3000]+(?=[0-9])"
)
_STRAY_HINT = re.compile(r"[ \u00a0\u3000(（]")


# --------------------------------------------------------------------------------------------
# Periods: the days an expression denotes, its precision, its value
# --------------------------------------------------------------------------------------------

# The precisions, coarse to fine: `precision` names the size of the period an expression denotes.
PRECISIONS = ("year", "half", "quarter", "month", "ten_days", "week", "day")
# How a value was found: written in full; counted from the publication time; taken from an expression before
# it (its `resolution` names which); or a vague word of recency put at the publication time, coarsely.
METHODS = ("absolute", "publication", "inherited", "approximate")


def _cn_int(s: str) -> int:
    """'29', '二十九', '十', '二〇二四', '两千零四', '一百一十三' -> int."""
    if s.isascii():
        return int(s)
    if not any(c in _CN_UNIT for c in s):
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    total = digit = 0
    for c in s:
        if c in _CN_UNIT:
            total += (digit or 1) * _CN_UNIT[c]
            digit = 0
        else:
            digit = _CN_DIGIT[c]
    return total + digit


def _fmt(year: int, month: int | None = None, day: int | None = None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if month is None or day is None:
        return True
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + n
    return k // 12, k % 12 + 1


def _month_end(year: int, month: int) -> date:
    y, m = _add_months(year, month, 1)
    return date(y, m, 1) - timedelta(days=1)


def _period_of_value(value: str) -> tuple[date, date, str]:
    """First and last day and precision of an ISO value at year, month or day precision."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31), "year"
    if len(parts) == 2:
        return date(parts[0], parts[1], 1), _month_end(parts[0], parts[1]), "month"
    d = date(parts[0], parts[1], parts[2])
    return d, d, "day"


def _value_of_period(first: date, last: date) -> str:
    """The finest of day, month and year that holds the whole period: the value of a week, quarter or half."""
    if first == last:
        return first.isoformat()
    if (first.year, first.month) == (last.year, last.month):
        return _fmt(first.year, first.month)
    return _fmt(first.year) if first.year == last.year else _fmt(first.year, first.month)


# Parts of a year: (first month, last month, precision); 年初/年底 are read as January and December, as
# news writers use them ("2020年底" is December 2020).
_YEAR_PARTS = {
    "上半年": (1, 6, "half"),
    "下半年": (7, 12, "half"),
    "前三季度": (1, 9, "quarter"),
    "首季度": (1, 3, "quarter"),
    "年初": (1, 1, "month"),
    "初": (1, 1, "month"),
    "年底": (12, 12, "month"),
    "底": (12, 12, "month"),
    "年末": (12, 12, "month"),
    "末": (12, 12, "month"),
    "年中": (6, 7, "month"),
    "中": (6, 7, "month"),
}
# Parts of a month: (first day, last day or None for the month's end).
_MONTH_PARTS = {
    "上旬": (1, 10),
    "初": (1, 10),
    "月初": (1, 10),
    "中旬": (11, 20),
    "中": (11, 20),
    "下旬": (21, None),
    "底": (21, None),
    "末": (21, None),
    "月底": (21, None),
    "月末": (21, None),
}
_WEEKDAY = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}


def _year_part(part: str) -> tuple[int, int, str]:
    """(first month, last month, precision) of a part of a year as written (上半年, 第三季度, Q2, 年底)."""
    if part in _YEAR_PARTS:
        return _YEAR_PARTS[part]
    q = _cn_int(part.strip("第季度Qq"))
    return 3 * q - 2, 3 * q, "quarter"


def _month_part(year: int, month: int, part: str) -> tuple[date, date]:
    lo, hi = _MONTH_PARTS[part]
    return date(year, month, lo), (date(year, month, hi) if hi else _month_end(year, month))


# --------------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------------

_NEED_PUB = "unresolved: needs the publication time, none given"
_REL_YEAR = {"今年": 0, "去年": -1, "前年": -2, "大前年": -3, "明年": 1}
_REL_DAY = {
    "今天": 0,
    "今日": 0,
    "今晨": 0,
    "今早": 0,
    "今晚": 0,
    "今夜": 0,
    "昨天": -1,
    "昨日": -1,
    "昨晚": -1,
    "昨夜": -1,
    "昨晨": -1,
    "昨早": -1,
    "前天": -2,
    "前日": -2,
    "大前天": -3,
    "明天": 1,
    "明日": 1,
    "明晚": 1,
    "明早": 1,
    "后天": 2,
    "大后天": 3,
}
_BACK_DAY = {
    "当天": 0,
    "当日": 0,
    "当晚": 0,
    "当夜": 0,
    "同日": 0,
    "同一天": 0,
    "次日": 1,
    "翌日": 1,
    "后一天": 1,
    "前一天": -1,
    "前一日": -1,
}
# Vague recency: (days before publication the window opens, days before it closes, precision of the value).
_VAGUE_WINDOW = {
    "近日": (14, 0, "month"),
    "日前": (14, 0, "month"),
    "前不久": (30, 0, "month"),
    "不久前": (30, 0, "month"),
    "近期": (30, 0, "month"),
    "近来": (30, 0, "month"),
    "目前": (0, 0, "month"),
    "此前": (365, 1, "year"),
    "早前": (365, 1, "year"),
}


@dataclass
class _Anchor:
    """What the discourse has named last: a year, maybe a month and a day, from which text and paragraph."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    text: str = ""
    sentence: int = -1
    paragraph: int = -1
    unresolved: bool = False  # the last expression with a year could not be resolved

    def where(self, sentence_index: int) -> str:
        return "same sentence" if self.sentence == sentence_index else f"sentence {self.sentence}"

    @property
    def value(self) -> str | None:
        return None if self.year is None else _fmt(self.year, self.month, self.day)


@dataclass
class _Hit:
    start: int
    end: int
    value: str | None
    kind: str
    resolution: str
    sets_anchor: bool = True  # a resolved date becomes the discourse anchor
    method: str = "absolute"
    first: date | None = None
    last: date | None = None
    precision: str | None = None
    approximate: bool = False


def _dated(
    start: int,
    end: int,
    first: date,
    last: date,
    precision: str,
    method: str,
    resolution: str,
    *,
    value: str | None = None,
    sets_anchor: bool = True,
    approximate: bool = False,
) -> _Hit:
    """A date hit for a period; its value is the finest calendar unit holding it unless given."""
    return _Hit(
        start,
        end,
        value or _value_of_period(first, last),
        "date",
        resolution,
        sets_anchor,
        method,
        first,
        last,
        precision,
        approximate,
    )


def _unresolved(start: int, end: int, why: str) -> _Hit:
    return _Hit(start, end, None, "date", why, False, "")


class _Resolver:
    def __init__(self, published_at: datetime | None, festivals: Festivals) -> None:
        self.pub = published_at.date() if published_at is not None else None
        self.fest = festivals
        self.anchor = _Anchor()
        self.day_anchor = _Anchor()  # the last day named: what 当日, 次日 and 前一天 refer to
        self.paragraph = 0

    def set_anchor(self, anchor: _Anchor) -> None:
        self.anchor = anchor
        if anchor.day is not None:
            self.day_anchor = anchor

    # -- shared ---------------------------------------------------------------------------

    def _local_anchor(self) -> _Anchor | None:
        """The anchor a bare month-day may take its year from: only one named in the same paragraph."""
        a = self.anchor
        return a if a.paragraph == self.paragraph and (a.year is not None or a.unresolved) else None

    def _undated_year(
        self, key: Callable[[int], tuple[int, int] | None], what: str, t: str, start: int
    ) -> tuple[int | None, str, str]:
        """Year, resolution and method for a month(-day), part or festival written without a year: the year of
        an expression before it in the same paragraph, else the publication year (the year before where the
        date would be well after publication, the year after where a plan names a date already past)."""
        a = self._local_anchor()
        if a is not None and a.unresolved:
            return (
                None,
                f"unresolved: the year would come from {a.text} before it, which needs the publication time",
                "",
            )
        if a is not None:
            return a.year, f"{what}; year {a.year} from {a.text} before it", "inherited"
        if self.pub is None:
            return None, _NEED_PUB, ""
        year = self.pub.year
        md = key(year)
        if md is None:
            return year, f"{what}; publication year {year}", "publication"
        if md < (self.pub.month, self.pub.day) and _PLAN_BEFORE.search(t, 0, start):
            return (
                year + 1,
                f"{what}; a plan ({_PLAN_BEFORE.search(t, 0, start).group()}) for a date already past in {year}, so {year + 1}",
                "publication",
            )
        if md > (self.pub.month, self.pub.day):
            future = _FUTURE.search(t)
            if future:
                return (
                    year,
                    (
                        f"{what}; publication year {year} (after publication, "
                        f"but the sentence speaks of the future: {future.group()})"
                    ),
                    "publication",
                )
            try:
                ahead = (date(year, md[0], max(md[1], 1)) - self.pub).days
            except ValueError:
                ahead = _UPCOMING_DAYS + 1
            if ahead <= _UPCOMING_DAYS:
                return (
                    year,
                    f"{what}; publication year {year} (shortly after publication, taken as upcoming)",
                    "publication",
                )
            return year - 1, f"{what}; publication year moved back one year (would be after publication)", "publication"
        return year, f"{what}; publication year {year}", "publication"

    def _fest_value(self, fest: Festival, year: int) -> tuple[str, str, str]:
        """Value of `fest` in `year`, its label, and a note when festivals.csv lacks that year's date."""
        day = self.fest.date_in(fest, year)
        if fest.month_day is not None:
            label = f"festival {fest.name} ({fest.month_day[0]:02d}-{fest.month_day[1]:02d})"
        else:
            label = f"festival {fest.name} (date from festivals.csv)"
        if day is None:
            return _fmt(year), label, f"; no date for {year} in festivals.csv, year only"
        return _fmt(day.year, day.month, day.day), label, ""

    @staticmethod
    def _fest_ok(t: str, start: int, end: int, spelling: str, fest: Festival, after_year: bool) -> bool:
        """Guards for a festival spelling found at t[start:end]."""
        before = t[start - 1] if start > 0 else ""
        after = t[end] if end < len(t) else ""
        if spelling[0].isdigit() and (before in _NUM_BEFORE or before.isascii() and before.isalpha()):
            return False
        if spelling[-1].isdigit() and (after in _UNIT_AFTER or after.isascii() and after.isalpha()):
            return False
        if spelling[0] in _CN_DIGIT and before in _CN_NUMERAL:
            return False
        if spelling[-1] in _CN_DIGIT and after in _CN_NUMERAL:
            return False
        if fest.guard == "cue" and not after_year:
            quoted = before in _QUOTES_OPEN or after in _QUOTES_CLOSE
            if not quoted and not _FEST_CUE.match(t, end):
                return False
        return True

    def _month_hit(
        self,
        start: int,
        end: int,
        year: int,
        month: int,
        day: int | None,
        day2: int | None,
        part: str | None,
        method: str,
        basis: str,
        *,
        month2: int | None = None,
    ) -> _Hit:
        """A month (or a range of months: 1-9月), a day of it (or a range of days: 29-31日), or a part of it
        (上旬, 月底)."""
        if month2 is not None and month2 > month and day is None and part is None:
            return _dated(
                start,
                end,
                date(year, month, 1),
                _month_end(year, month2),
                "month",
                method,
                f"{basis}; months {month}-{month2}, value is the first",
                value=_fmt(year, month),
            )
        if part is not None:
            first, last = _month_part(year, month, part)
            return _dated(
                start,
                end,
                first,
                last,
                "ten_days",
                method,
                f"{basis}; {part} = days {first.day}-{last.day}",
                value=_fmt(year, month),
            )
        if day is None or not _valid(year, month, day):
            return _dated(start, end, date(year, month, 1), _month_end(year, month), "month", method, basis)
        first = date(year, month, day)
        last = date(year, month, day2) if day2 is not None and _valid(year, month, day2) and day2 > day else first
        return _dated(start, end, first, last, "day", method, basis, value=first.isoformat())

    # -- handlers -------------------------------------------------------------------------

    def handle(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        # each alternative of the recogniser is one named group, closed last: lastgroup names it
        return getattr(self, "_h_" + m.lastgroup)(m, t, sidx)

    def _h_url(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        return None

    def _h_iso(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        if not _valid(y, mo, d):
            return None
        day = date(y, mo, d)
        return _dated(m.start(), m.end(), day, day, "day", "absolute", "explicit date")

    def _h_yrange(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        y1, y2 = int(m.group("yr1")), int(m.group("yr2"))
        if not y1 < y2:
            return None
        return _dated(
            m.start(),
            m.end(),
            date(y1, 1, 1),
            date(y2, 12, 31),
            "year",
            "absolute",
            f"range of years {y1}-{y2}; value is the first",
            value=_fmt(y1),
        )

    def _h_yexpr(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        start, end = m.start(), m.end()
        a = self.anchor
        method = "absolute"
        if m.group("ynum") is not None:
            word = m.group("ynum")
            if t[max(0, start - 2) : start] in _DURATION_BEFORE:
                return _Hit(start - 2, m.end("ynum") + 1, None, "duration", "duration, not a date", False, "")
            year = _cn_int(word)
            if not 1900 <= year <= 2099:
                return None
            basis = "explicit year" + ("" if word.isascii() else " (Chinese numerals)")
            in_year = str(year)
        elif m.group("roc") is not None:
            year = 1911 + _cn_int(m.group("roc"))
            basis = in_year = f"民国 year {m.group('roc')} = {year}"
        elif m.group("yy") is not None or m.group("yy0") is not None or m.group("yycn") is not None:
            if t[max(0, start - 2) : start] in _DURATION_BEFORE:
                return None
            yy = m.group("yy") or m.group("yy0") or f"{_cn_int(m.group('yycn')):02d}"
            n = int(yy)
            year = 2000 + n if n < 50 else 1900 + n
            basis = in_year = f"two-digit year {yy} read as {year}"
        elif m.group("yrel") is not None:
            word = m.group("yrel")
            if self.pub is None:
                self.anchor = _Anchor(text=m.group(), sentence=sidx, paragraph=self.paragraph, unresolved=True)
                return _unresolved(start, end, _NEED_PUB)
            off = _REL_YEAR[word]
            year = self.pub.year + off
            sign = "" if off == 0 else f" {'−' if off < 0 else '+'} {abs(off)}"
            basis = f"{word} = publication year {self.pub.year}{sign}"
            in_year = f"{word} = {year}"
            method = "publication"
        else:
            word = m.group("yana")
            if a.unresolved:
                return _unresolved(
                    start, end, f"unresolved: {word} refers to {a.text} before it, which needs the publication time"
                )
            if a.year is None:
                if word == "当年":  # "back then", with no year named before: not a date
                    return None
                return _unresolved(start, end, f"unresolved: {word} refers back, but no year was named before")
            if word in ("次年", "翌年"):
                year = a.year + 1
                basis = f"{word} = {year}, the year after the year last named ({a.where(sidx)}: {a.text})"
            else:
                year = a.year
                basis = f"{word} = {year}, the year last named ({a.where(sidx)}: {a.text})"
            in_year = basis
            method = "inherited"

        spelling = m.group("yfest")
        if spelling is not None:
            fest = self.fest.by_spelling[spelling]
            if self._fest_ok(t, m.start("yfest"), m.end("yfest"), spelling, fest, after_year=True):
                value, label, note = self._fest_value(fest, year)
                first, last, precision = _period_of_value(value)
                return _dated(start, end, first, last, precision, method, f"{label} in {in_year}{note}", value=value)
            end = m.start("yq") if m.group("yq") else m.start("yfest")  # keep the year alone
        if m.group("ypart") is not None:
            lo, hi, precision = _year_part(m.group("ypart"))
            return _dated(
                start,
                end,
                date(year, lo, 1),
                _month_end(year, hi),
                precision,
                method,
                f"{basis}; {m.group('ypart')} = months {lo}-{hi}",
            )
        if m.group("ym") is not None:
            month = _cn_int(m.group("ym"))
            day_s = m.group("yd") or m.group("ydn")
            day = _cn_int(day_s) if day_s is not None else None
            day2 = _cn_int(m.group("yd2")) if m.group("yd2") is not None else None
            if method == "absolute":
                cn = not (m.group()).isascii() and m.group("ynum") is not None and not m.group("ynum").isascii()
                basis = ("explicit date" if day is not None else "explicit year and month") + (
                    " (Chinese numerals)" if cn else ""
                )
            month2 = _cn_int(m.group("ym2")) if m.group("ym2") is not None else None
            return self._month_hit(start, end, year, month, day, day2, m.group("ymp"), method, basis, month2=month2)
        return _dated(start, end, date(year, 1, 1), date(year, 12, 31), "year", method, basis)

    def _h_mexpr(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        word = m.group("mrel")
        a = self.anchor
        if word in ("当月", "同月", "次月") and not (word != "次月" and a.month is None and self.pub is not None):
            if a.unresolved or a.year is None or a.month is None:
                return _unresolved(m.start(), m.end(), f"unresolved: {word} refers back, but no month was named before")
            y, mo = (a.year, a.month) if word != "次月" else _add_months(a.year, a.month, 1)
            what = "the month last named" if word != "次月" else "the month after the month last named"
            basis, method = f"{word} = {what}, {_fmt(y, mo)} ({a.text})", "inherited"
        else:
            if self.pub is None:
                self.anchor = _Anchor(text=m.group(), sentence=sidx, paragraph=self.paragraph, unresolved=True)
                return _unresolved(m.start(), m.end(), _NEED_PUB)
            off = 0 if word in ("本月", "这个月", "当月", "同月") else (-1 if word.startswith("上") else 1)
            y, mo = _add_months(self.pub.year, self.pub.month, off)
            what = {0: "the month of publication", -1: "the month before publication", 1: "the month after publication"}
            basis, method = f"{word} = {what[off]}, {_fmt(y, mo)}", "publication"
        day = _cn_int(m.group("mrd")) if m.group("mrd") is not None else None
        return self._month_hit(m.start(), m.end(), y, mo, day, None, m.group("mmp"), method, basis)

    def _h_md(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        start = m.start()
        if t[max(0, start - 2) : start] in _HABITUAL_BEFORE or t[start - 1 : start] == "每":
            return None
        month = _cn_int(m.group("mm"))
        day_s = m.group("mdd") or m.group("mdn")
        day = _cn_int(day_s) if day_s is not None else None
        day2 = _cn_int(m.group("mdd2")) if m.group("mdd2") is not None else None
        if day is not None and not _valid(2000, month, day):  # 2000 is a leap year: 02-29 allowed
            return None
        what = "month-day" if day is not None else "month"
        year, basis, method = self._undated_year(lambda _y: (month, day or 0), what, t, start)
        if year is None:
            if self.anchor.year is None:
                self.anchor = _Anchor(text=m.group(), sentence=sidx, paragraph=self.paragraph, unresolved=True)
            return _unresolved(start, m.end(), basis)
        month2 = _cn_int(m.group("mm2")) if m.group("mm2") is not None else None
        return self._month_hit(start, m.end(), year, month, day, day2, m.group("mdp"), method, basis, month2=month2)

    def _h_qpart(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        part = m.group("qpart")
        lo, hi, precision = _year_part(part)
        year, basis, method = self._undated_year(lambda _y: (lo, 1), part, t, m.start())
        if year is None:
            return _unresolved(m.start(), m.end(), basis)
        return _dated(
            m.start(), m.end(), date(year, lo, 1), _month_end(year, hi), precision, method, f"{basis}; months {lo}-{hi}"
        )

    def _h_qrel(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        if self.pub is None:
            return _unresolved(m.start(), m.end(), _NEED_PUB)
        off = {"上": -1, "下": 1}.get(m.group("qr")[0], 0)
        y, mo = _add_months(self.pub.year, 3 * ((self.pub.month - 1) // 3) + 1, 3 * off)
        return _dated(
            m.start(),
            m.end(),
            date(y, mo, 1),
            _month_end(y, mo + 2),
            "quarter",
            "publication",
            f"{m.group()}: {off:+d} quarters from the quarter of publication",
        )

    def _h_mpart(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        part = m.group("mpart")
        a = self._local_anchor()
        if a is not None and not a.unresolved and a.month is not None:
            y, mo, basis, method = a.year, a.month, f"{part} of the month last named ({a.text})", "inherited"
        elif self.pub is not None:
            y, mo, method = self.pub.year, self.pub.month, "publication"
            basis = f"{part} of the month of publication"
        else:
            return _unresolved(m.start(), m.end(), _NEED_PUB)
        return self._month_hit(m.start(), m.end(), y, mo, None, None, part, method, basis)

    def _h_week(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        start, end = m.start(), m.end()
        if self.pub is None:
            return _unresolved(start, end, _NEED_PUB)
        rel, wd = m.group("wrel"), m.group("wd1") or m.group("wd2")
        monday = self.pub - timedelta(days=self.pub.weekday())
        if rel is not None:
            weeks = {"上上": -2, "上": -1, "本": 0, "这": 0, "下": 1, "下下": 2}[rel]
            monday += timedelta(weeks=weeks)
            basis = f"{m.group()}: {weeks:+d} weeks from the week of publication"
        else:
            day = monday + timedelta(days=_WEEKDAY.get(wd, 5))  # 周末 from its Saturday
            future = _FUTURE.search(t)
            if future and day < self.pub:
                monday += timedelta(weeks=1)
            elif not future and day > self.pub:
                monday -= timedelta(weeks=1)
            basis = (
                "the next such weekday from publication (the sentence speaks of the future)"
                if future
                else "the last such weekday up to publication"
            )
        if wd is None or wd == "末":
            first = monday + timedelta(days=5) if wd == "末" else monday
            last = monday + timedelta(days=6)
            if m.group("win"):
                first = max(first, self.pub)
            return _dated(start, end, first, last, "week", "publication", basis, sets_anchor=False)
        day = monday + timedelta(days=_WEEKDAY[wd])
        return _dated(start, end, day, day, "day", "publication", basis)

    def _h_then(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        a = self.anchor
        if a.unresolved or a.value is None:
            return None  # "back then" with nothing named before: not a date
        first, last, precision = _period_of_value(a.value)
        return _dated(
            m.start(),
            m.end(),
            first,
            last,
            precision,
            "inherited",
            f"{m.group()} = the time last named ({a.where(sidx)}: {a.text})",
            sets_anchor=False,
        )

    def _h_drel(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        word = m.group("drel")
        start, end = m.start(), m.end()
        a = self.day_anchor
        if word in _REL_DAY:
            if self.pub is None:
                return _unresolved(start, end, _NEED_PUB)
            off = _REL_DAY[word]
            d = self.pub + timedelta(days=off)
            sign = "" if off == 0 else f" {'−' if off < 0 else '+'} {abs(off)} day{'s' if abs(off) > 1 else ''}"
            return _dated(start, end, d, d, "day", "publication", f"{word} = publication date {self.pub}{sign}")
        day_named = not a.unresolved and a.day is not None
        if word == "即日":  # "from this day": the day just named in the paragraph, else the day of publication
            if day_named and a.paragraph == self.paragraph:
                d = date(a.year, a.month, a.day)
                return _dated(start, end, d, d, "day", "inherited", f"即日 = the day last named ({a.text})")
            if self.pub is None:
                return _unresolved(start, end, _NEED_PUB)
            return _dated(start, end, self.pub, self.pub, "day", "publication", f"即日 = publication date {self.pub}")
        if not day_named:
            return _unresolved(start, end, f"unresolved: {word} refers back, but no day was named before")
        d = date(a.year, a.month, a.day) + timedelta(days=_BACK_DAY[word])
        how = {0: "the day last named", 1: "the day after the day last named", -1: "the day before the day last named"}
        return _dated(start, end, d, d, "day", "inherited", f"{word} = {how[_BACK_DAY[word]]} ({a.text})")

    def _h_dd(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        start, end = m.start(), m.end()
        if (start > 0 and t[start - 1] in _DAY_NOT_DATE_BEFORE) or _DAY_NOT_DATE_AFTER.match(t, end):
            return None
        day = _cn_int(m.group("ddn"))
        a = self._local_anchor()
        if a is not None and not a.unresolved and a.month is not None:
            if not _valid(a.year, a.month, day):
                return None
            d = date(a.year, a.month, day)
            return _dated(
                start, end, d, d, "day", "inherited", f"day of the month last named, {_fmt(a.year, a.month)} ({a.text})"
            )
        if self.pub is None or (a is not None and a.unresolved):
            return None
        # the first day named in a story: this month's, or last month's where this month's is still to come
        y, mo = self.pub.year, self.pub.month
        if day > self.pub.day and not _FUTURE.search(t):
            y, mo = _add_months(y, mo, -1)
        if not _valid(y, mo, day):
            return None
        d = date(y, mo, day)
        return _dated(
            start,
            end,
            d,
            d,
            "day",
            "publication",
            f"day alone: of the month of publication or the one before, {_fmt(y, mo)}",
        )

    def _h_fest(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        spelling = m.group("fest")
        fest = self.fest.by_spelling[spelling]
        start, end = m.start(), m.end()
        if not self._fest_ok(t, start, end, spelling, fest, after_year=False):
            return None
        if t[max(0, start - 2) : start] in _HABITUAL_BEFORE or t[start - 1 : start] == "每":
            return None

        def key(year: int) -> tuple[int, int] | None:
            d = self.fest.date_in(fest, year)
            return (d.month, d.day) if d else None

        year, basis, method = self._undated_year(key, "festival", t, start)
        if year is None:
            return _unresolved(start, end, basis)
        value, label, note = self._fest_value(fest, year)
        first, last, precision = _period_of_value(value)
        return _dated(start, end, first, last, precision, method, label + basis[len("festival") :] + note, value=value)

    def _h_dot(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        """A shopping day or event written month·day (6·16, 7·20)."""
        month, day = int(m.group("dotm")), int(m.group("dotd"))
        if not _valid(2000, month, day):
            return None
        year, basis, method = self._undated_year(lambda _y: (month, day), "month·day", t, m.start())
        if year is None or not _valid(year, month, day):
            return _unresolved(m.start(), m.end(), basis)
        return self._month_hit(m.start(), m.end(), year, month, day, None, None, method, basis)

    def _h_rel(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        n_s, unit, direction = m.group("reln"), m.group("relu"), m.group("reld")
        start, end = m.start(), m.end()
        if (
            m.group("relv") is not None
            or unit in ("个多月", "个半月")
            or not (n_s.isascii() or _CN_EXACT.fullmatch(n_s))
        ):
            return _unresolved(start, end, f"vague: {m.group()} = some time from publication, no exact date")
        if self.pub is None:
            return _unresolved(start, end, _NEED_PUB)
        n = 0.5 if n_s == "半" else _cn_int(n_s)
        sign = -1 if "前" in direction else 1
        base, what = self.pub, "publication"
        a = self.anchor
        # "三年后" in a story of the past counts from the date just named; in a plan, from publication
        if sign > 0 and not _FUTURE.search(t):
            if a.unresolved or a.value is None or a.paragraph != self.paragraph:
                return _unresolved(start, end, f"unresolved: {m.group()} counts from a time not named before")
            base, what = _period_of_value(a.value)[0], f"{a.text}"
        how = f"{m.group()} = {what} {'−' if sign < 0 else '+'} {n_s}{unit}"
        method = "publication" if what == "publication" else "inherited"
        if unit == "年" and n >= 1:
            y = base.year + sign * int(n)
            return _dated(start, end, date(y, 1, 1), date(y, 12, 31), "year", method, how)
        if unit == "年" or (unit == "个月" and n >= 1):  # 半年, N个月
            y, mo = _add_months(base.year, base.month, sign * (6 if unit == "年" else int(n)))
            return _dated(start, end, date(y, mo, 1), _month_end(y, mo), "month", method, how)
        days = int(n * {"周": 7, "星期": 7, "个星期": 7, "个月": 30}.get(unit, 1))  # 半个月: 15 days
        d = base + timedelta(days=sign * days)
        if unit in ("周", "星期", "个星期"):  # 两周前: the week it falls in
            monday = d - timedelta(days=d.weekday())
            return _dated(start, end, monday, monday + timedelta(days=6), "week", method, how, sets_anchor=False)
        return _dated(start, end, d, d, "day", method, how)

    def _h_span(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        n_s, unit = m.group("spn"), m.group("spu")
        start, end = m.start(), m.end()
        if m.group("spv") is not None or self.pub is None or not (n_s.isascii() or _CN_EXACT.fullmatch(n_s)):
            return _Hit(start, end, None, "duration", "span up to publication, no exact start", False, "")
        n = _cn_int(n_s)
        if unit == "年":
            first = date(self.pub.year - n, self.pub.month, min(self.pub.day, 28))
        elif unit == "月":
            y, mo = _add_months(self.pub.year, self.pub.month, -n)
            first = date(y, mo, min(self.pub.day, 28))
        else:
            first = self.pub - timedelta(days=n * (7 if unit in ("周", "星期") else 1))
        precision = {"年": "year", "月": "month", "周": "week", "星期": "week"}.get(unit, "day")
        return _Hit(
            start,
            end,
            None,
            "duration",
            f"span of {n_s}{unit} up to publication {self.pub}",
            False,
            "publication",
            first,
            self.pub,
            precision,
        )

    def _h_vague(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        if self.pub is None:
            return _unresolved(m.start(), m.end(), _NEED_PUB)
        word = m.group("vague")
        back, until, precision = _VAGUE_WINDOW[word]
        first, last = self.pub - timedelta(days=back), self.pub - timedelta(days=until)
        if word == "近期" and _FUTURE.search(t):  # 近期将…: the weeks after publication
            first, last = self.pub, self.pub + timedelta(days=back)
        value = _fmt(self.pub.year) if precision == "year" else _fmt(self.pub.year, self.pub.month)
        return _dated(
            m.start(),
            m.end(),
            first,
            last,
            precision,
            "approximate",
            f"{word}: vague, put at the publication {precision} ({first} to {last})",
            value=value,
            sets_anchor=False,
            approximate=True,
        )

    def _h_dur(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        return _Hit(m.start(), m.end(), None, "duration", "duration, not a date", False, "")


# --------------------------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------------------------


def _without_strays(t: str) -> tuple[str, list[int] | None]:
    """The sentence without inline pinyin and spaces inside dates, and each kept character's offset."""
    if not _STRAY_HINT.search(t):
        return t, None
    kept: list[int] = []
    last = 0
    for m in _STRAY.finditer(t):
        kept.extend(range(last, m.start()))
        last = m.end()
    if last == 0:
        return t, None
    kept.extend(range(last, len(t)))
    return "".join(t[i] for i in kept), kept


def _equate_relative_days(hits: list[_Hit], t: str) -> None:
    """今天是9月17日, 今日（9月17日）: a day counted from publication takes the date the text gives it."""
    for a, b in zip(hits, hits[1:]):
        if (
            a.method == "publication"
            and a.precision == "day"
            and b.precision == "day"
            and b.value
            and t[a.end : b.start] in ("是", "为", "即", "（", "(", "，", ",")
            and a.value != b.value
        ):
            a.value, a.first, a.last, a.method = b.value, b.first, b.last, "inherited"
            a.resolution = f"{t[a.start : a.end]} = {t[b.start : b.end]}, the date the text gives it"


def _merge_ranges(hits: list[_Hit], t: str, pub: date | None) -> list[_Hit]:
    """10月29日至31日, 8月至次年2月, 周一到周五: two dates joined become one range; 2024年11月至今 runs to publication."""
    out: list[_Hit] = []
    for hit in hits:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.value
            and hit.value
            and prev.kind == hit.kind == "date"
            and prev.first
            and hit.last
            and prev.first <= hit.last
            and _RANGE_JOIN.fullmatch(t, prev.end, hit.start)
        ):
            out[-1] = _Hit(
                prev.start,
                hit.end,
                prev.value,
                "date",
                f"range: {prev.resolution} … {hit.resolution}; value is the start",
                True,
                prev.method,
                prev.first,
                hit.last,
                prev.precision,
                prev.approximate or hit.approximate,
            )
            continue
        out.append(hit)
    for hit in out:
        until = _UNTIL_NOW.match(t, hit.end)
        if until and hit.value and hit.first and pub is not None and hit.first <= pub and not hit.approximate:
            hit.end, hit.last = until.end(), pub
            hit.resolution += f"; {until.group()}: a range up to publication {pub}"
    return out


def extract_time_expressions(
    sentences: Sequence[Sentence],
    *,
    published_at: datetime | None,
    festivals: Festivals | None = None,
    text: str | None = None,
) -> list[TimeExpression]:
    """Time expressions of one article, in order, each resolved to a date at the precision written.

    `sentences` are the article's sentences in order (simplified script); offsets in the result are
    article offsets. Relative expressions (去年, 昨日) resolve against `published_at`; anaphoric ones
    (该年, 当日) and bare month-days (10月29日) against what the sentences before have named: a bare
    month-day takes its year only from an expression in the same paragraph, else from publication.
    `text` is the article's (simplified) text, which shows where paragraphs end; without it the
    article is read as one paragraph. The publication date is `published_at`'s own calendar date.
    """
    fest = festivals if festivals is not None else load_festivals()
    resolver = _Resolver(published_at, fest)
    out: list[TimeExpression] = []
    for sentence, paragraph in zip(sentences, paragraph_numbers(sentences, text)):
        if not fest.prefilter.search(sentence.text):
            continue
        t, kept = sentence.text, None
        if _ODD_CHARS.search(t):  # full-width digits, spaces or brackets: rare, so looked at only when present
            t, kept = _without_strays(t.translate(_FULLWIDTH))
        resolver.paragraph = paragraph
        hits: list[_Hit] = []
        for m in _scan(fest, t):
            hit = resolver.handle(m, t, sentence.index)
            if hit is None:
                continue
            if hit.value is not None and hit.first is None:
                hit.first, hit.last, hit.precision = _period_of_value(hit.value)
            hits.append(hit)
            if hit.value is not None and hit.sets_anchor:
                parts = [int(p) for p in hit.value.split("-")] + [None, None]
                resolver.set_anchor(
                    _Anchor(parts[0], parts[1], parts[2], t[hit.start : hit.end], sentence.index, paragraph)
                )
        if not hits:
            continue
        _equate_relative_days(hits, t)
        for hit in _merge_ranges(hits, t, resolver.pub):
            start, end = (hit.start, hit.end) if kept is None else (kept[hit.start], kept[hit.end - 1] + 1)
            out.append(
                TimeExpression(
                    text=sentence.text[start:end],
                    start=sentence.start + start,
                    end=sentence.start + end,
                    sentence_index=sentence.index,
                    value=hit.value,
                    kind=hit.kind,
                    resolution=hit.resolution,
                    first_day=hit.first.isoformat() if hit.first else None,
                    last_day=hit.last.isoformat() if hit.last else None,
                    precision=hit.precision,
                    method=hit.method,
                    approximate=hit.approximate,
                )
            )
    return out


def time_expressions(text: str, published_at: datetime | None = None) -> list[TimeExpression]:
    """Time expressions of any Chinese text, resolved against its publication time; no build needed.

    The text is read as the pipeline reads an article: converted to simplified script (OpenCC), page
    furniture lines dropped (data/text/boilerplate.txt), split into sentences and paragraphs. Offsets
    are offsets into `text`. `published_at` should carry the article's local time (its calendar date
    is the publication date); without it relative expressions (去年, 昨天, 近日) stay unresolved.

    >>> from datetime import datetime
    >>> [(e.text, e.value) for e in time_expressions("去年10月双方接入。10月29日正式上线。", datetime(2025, 3, 10))]
    [('去年10月', '2024-10'), ('10月29日', '2024-10-29')]
    """
    normalised = normalise_text(text, boilerplate=_boilerplate())
    return extract_time_expressions(normalised.sentences, published_at=published_at, text=normalised.simplified)


@lru_cache(maxsize=1)
def _boilerplate() -> re.Pattern[str]:
    return load_boilerplate_patterns()
