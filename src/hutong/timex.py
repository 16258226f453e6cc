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

__all__ = [
    "DEFAULT_FESTIVALS_PATH",
    "Festival",
    "Festivals",
    "extract_time_expressions",
    "load_festivals",
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
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")

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
_CN_D = "[〇○零一二三四五六七八九]"
_MON = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
_DAY = r"3[01]|[12][0-9]|0?[1-9]|三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九]"
_Q_OPEN = "‘“\"'「『"
_Q_CLOSE = "’”\"'」』"

_URL = (
    r"https?://[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+"
    r"|www\.[A-Za-z0-9./_%?=&#~+-]+"
    r"|(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
)
_ISO = (
    r"(?<![0-9A-Za-z.])(?P<iy>(?:19|20)[0-9]{2})(?P<sep>[-/.])(?P<im>1[0-2]|0?[1-9])"
    r"(?P=sep)(?P<id>3[01]|[12][0-9]|0?[1-9])(?![0-9])"
)
_YEAR_HEAD = (
    rf"(?P<ynum>(?<![0-9])(?:19|20)[0-9]{{2}}|(?<!{_CN_D}){_CN_D}{{4}})年(?!代)"
    r"|(?P<yy>(?<![0-9.])[0-9]{2})年(?=(?:1[0-2]|0?[1-9])月)"
    r"|(?P<yrel>大前年|(?<![以年之])前年(?![轻纪龄])|去年(?!轻)|(?<!如)今年(?!轻)|明年(?!轻))"
    r"|(?P<yana>该年|(?<![不相共])同年(?![龄级份])|(?<![相想])当年(?![轻龄])|次年|翌年)"
)
_MONTH_REL = r"(?P<mrel>本月|这个月|上个?月|下个?月|当月|(?<!不)同月(?!份)|次月)"
_DAY_REL = (
    r"(?P<drel>今天|今日(?!头条)|昨天|昨日|前天|前日|明天|明日(?!之后|方舟)"
    r"|当天|当日|(?<!不)同日(?!期)|同一天|次日|翌日)"
)
_AGO = r"(?P<ago>(?<![0-9.])(?P<agon>[0-9]{1,2}|[一二两三四五六七八九十几数]{1,3})(?P<agov>多|余)?年前)"
_DUR = (
    r"(?P<dur>(?:时隔|长达|历经|已有|已经|整整|超过|近|约|逾)?(?<![0-9.])"
    r"(?:[0-9]{1,3}|[一二两三四五六七八九十几数百千]{1,4})(?:多|余|几)?年(?!代)(?:多|来|间|之久|以上|左右)?)"
)


def _build_patterns(spellings: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The recogniser, a quick test whether a sentence needs it, and the characters a match can start with."""
    fest = "|".join(re.escape(s) for s in spellings) or "(?!)"
    pattern = re.compile(
        f"(?P<url>{_URL})"
        f"|(?P<iso>{_ISO})"
        f"|(?P<yexpr>(?:{_YEAR_HEAD})"
        f"(?:(?P<ym>{_MON})月(?:(?P<yd>{_DAY})[日号])?"
        r"|(?P<ypart>初|底|末)"
        f"|(?P<yq>[{_Q_OPEN}]?)(?P<yfest>{fest})(?P<yq2>[{_Q_CLOSE}]?))?)"
        f"|(?P<mexpr>{_MONTH_REL}(?:(?P<mrd>{_DAY})[日号])?)"
        f"|(?P<md>(?<![0-9〇○零一二三四五六七八九十个半每.])(?P<mm>{_MON})月(?:(?P<mdd>{_DAY})[日号])?)"
        f"|{_DAY_REL}"
        r"|(?P<dd>(?<![0-9.月号])(?P<ddn>3[01]|[12][0-9]|0?[1-9])日)"
        f"|(?P<fest>{fest})"
        f"|{_AGO}"
        f"|{_DUR}"
    )
    base_chars = set("0123456789０１２３４５６７８９年月")
    extra = sorted({re.escape(s) for s in spellings if not base_chars & set(s)}, key=lambda s: (-len(s), s))
    prefilter = re.compile(
        "[0-9０-９年月]|[今昨明前当同次翌]日|[今昨明前当]天|同一天" + "".join("|" + s for s in extra)
    )
    first = set(_TRIGGER_CHARS) | {s[0] for s in spellings}
    trigger = re.compile("[" + "".join(sorted(re.escape(c) for c in first)) + "]")
    return pattern, prefilter, trigger


def _scan(fest: Festivals, t: str) -> Iterator[re.Match[str]]:
    """Like fest.pattern.finditer(t), but tries the pattern only where a match can start (much faster)."""
    pos, n = 0, len(t)
    search, match = fest.trigger.search, fest.pattern.match
    while pos < n:
        c = search(t, pos)
        if c is None:
            return
        m = match(t, c.start())
        if m is None:
            pos = c.start() + 1
        else:
            yield m
            pos = m.end()


# Every character a match of the recogniser can start with, besides festival spellings' first characters.
_TRIGGER_CHARS = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._%+-"
    "〇○零一二两三四五六七八九十几数百千大前去今明该同当次翌本这上下昨时长历已整超近约逾"
)
_OUTER_GROUPS = ("url", "iso", "yexpr", "mexpr", "md", "drel", "dd", "fest", "ago", "dur")
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
_CN_EXACT = re.compile(r"[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九]")
_UPCOMING_DAYS = 45  # a date this close after publication is taken as upcoming, not as last year's


# --------------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------------


def _cn_int(s: str) -> int:
    """'29', '二十九', '十', '二〇二四' -> int."""
    if s.isascii():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)
    return int("".join(str(_CN_DIGIT[c]) for c in s))


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


_NEED_PUB = "unresolved: needs the publication time, none given"
_REL_YEAR = {"今年": 0, "去年": -1, "前年": -2, "大前年": -3, "明年": 1}
_REL_DAY = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "前日": -2, "明天": 1, "明日": 1}


@dataclass
class _Anchor:
    """What the discourse has named last: a year, maybe a month and a day, and from which text."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    text: str = ""
    sentence: int = -1
    unresolved: bool = False  # the last expression with a year could not be resolved

    def where(self, sentence_index: int) -> str:
        return "same sentence" if self.sentence == sentence_index else f"sentence {self.sentence}"


@dataclass
class _Hit:
    start: int
    end: int
    value: str | None
    kind: str
    resolution: str
    sets_anchor: bool = True  # a resolved date becomes the discourse anchor


class _Resolver:
    def __init__(self, published_at: datetime | None, festivals: Festivals) -> None:
        self.pub = published_at.date() if published_at is not None else None
        self.fest = festivals
        self.anchor = _Anchor()

    # -- shared ---------------------------------------------------------------------------

    def _undated_year(
        self, key: Callable[[int], tuple[int, int] | None], what: str, sentence: str
    ) -> tuple[int | None, str]:
        """Year for a month(-day) or festival written without one: discourse year, else publication year."""
        a = self.anchor
        if a.unresolved:
            return None, f"unresolved: the year would come from {a.text} before it, which needs the publication time"
        if a.year is not None:
            return a.year, f"{what}; year {a.year} from {a.text} before it"
        if self.pub is None:
            return None, _NEED_PUB
        year = self.pub.year
        md = key(year)
        if md is not None and md > (self.pub.month, self.pub.day):
            future = _FUTURE.search(sentence)
            if future:
                return year, (
                    f"{what}; publication year {year} (after publication, "
                    f"but the sentence speaks of the future: {future.group()})"
                )
            try:
                ahead = (date(year, md[0], max(md[1], 1)) - self.pub).days
            except ValueError:
                ahead = _UPCOMING_DAYS + 1
            if ahead <= _UPCOMING_DAYS:
                return year, f"{what}; publication year {year} (shortly after publication, taken as upcoming)"
            return year - 1, f"{what}; publication year moved back one year (would be after publication)"
        return year, f"{what}; publication year {year}"

    def _fest_value(self, fest: Festival, year: int) -> tuple[str, str, str]:
        """Value of `fest` in `year`, its label, and a note when festivals.csv lacks that year's date."""
        day = self.fest.date_in(fest, year)
        if fest.month_day is not None:
            label = f"festival {fest.name} ({fest.month_day[0]:02d}-{fest.month_day[1]:02d})"
        else:
            label = f"festival {fest.name} (lunar)"
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

    # -- handlers -------------------------------------------------------------------------

    def handle(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        for name in _OUTER_GROUPS:
            if m.group(name) is not None:
                return getattr(self, "_h_" + name)(m, t, sidx)
        return None  # pragma: no cover

    def _h_url(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        return None

    def _h_iso(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        if not _valid(y, mo, d):
            return None
        return _Hit(m.start(), m.end(), _fmt(y, mo, d), "date", "explicit date")

    def _h_yexpr(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        start, end = m.start(), m.end()
        a = self.anchor
        explicit = False
        if m.group("ynum") is not None:
            word = m.group("ynum")
            if t[max(0, start - 2) : start] in _DURATION_BEFORE:
                return _Hit(start - 2, m.end("ynum") + 1, None, "duration", "duration, not a date", False)
            year = _cn_int(word)
            if not 1900 <= year <= 2099:
                return None
            explicit = True
            basis = "explicit year" + ("" if word.isascii() else " (Chinese numerals)")
            in_year = str(year)
        elif m.group("yy") is not None:
            if t[max(0, start - 2) : start] in _DURATION_BEFORE:
                return None
            n = int(m.group("yy"))
            year = 2000 + n if n < 50 else 1900 + n
            basis = in_year = f"two-digit year {m.group('yy')} read as {year}"
        elif m.group("yrel") is not None:
            word = m.group("yrel")
            if self.pub is None:
                self.anchor = _Anchor(text=m.group(), sentence=sidx, unresolved=True)
                return _Hit(start, end, None, "date", _NEED_PUB, False)
            off = _REL_YEAR[word]
            year = self.pub.year + off
            sign = "" if off == 0 else f" {'−' if off < 0 else '+'} {abs(off)}"
            basis = f"{word} = publication year {self.pub.year}{sign}"
            in_year = f"{word} = {year}"
        else:
            word = m.group("yana")
            if a.unresolved:
                return _Hit(
                    start,
                    end,
                    None,
                    "date",
                    f"unresolved: {word} refers to {a.text} before it, which needs the publication time",
                    False,
                )
            if a.year is None:
                if word == "当年":  # "back then", with no year named before: not a date
                    return None
                return _Hit(
                    start, end, None, "date", f"unresolved: {word} refers back, but no year was named before", False
                )
            if word in ("次年", "翌年"):
                year = a.year + 1
                basis = f"{word} = {year}, the year after the year last named ({a.where(sidx)}: {a.text})"
            else:
                year = a.year
                basis = f"{word} = {year}, the year last named ({a.where(sidx)})"
            in_year = basis

        spelling = m.group("yfest")
        if spelling is not None:
            fest = self.fest.by_spelling[spelling]
            if self._fest_ok(t, m.start("yfest"), m.end("yfest"), spelling, fest, after_year=True):
                value, label, note = self._fest_value(fest, year)
                return _Hit(start, end, value, "date", f"{label} in {in_year}{note}")
            end = m.start("yq") if m.group("yq") else m.start("yfest")  # keep the year alone
        month = day = None
        if m.group("ypart") is not None:
            basis += f"; 年{m.group('ypart')} kept at year precision"
        if m.group("ym") is not None:
            month = _cn_int(m.group("ym"))
            day = _cn_int(m.group("yd")) if m.group("yd") is not None else None
            if day is not None and not _valid(year, month, day):
                day = None
            if explicit:
                cn = not (m.group("ynum") + m.group("ym") + (m.group("yd") or "")).isascii()
                basis = ("explicit date" if day is not None else "explicit year and month") + (
                    " (Chinese numerals)" if cn else ""
                )
        return _Hit(start, end, _fmt(year, month, day), "date", basis)

    def _h_mexpr(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        word = m.group("mrel")
        a = self.anchor
        if word in ("当月", "同月", "次月"):
            if a.unresolved or a.year is None or a.month is None:
                return _Hit(
                    m.start(),
                    m.end(),
                    None,
                    "date",
                    f"unresolved: {word} refers back, but no month was named before",
                    False,
                )
            y, mo = (a.year, a.month) if word != "次月" else _add_months(a.year, a.month, 1)
            what = "the month last named" if word != "次月" else "the month after the month last named"
            basis = f"{word} = {what}, {_fmt(y, mo)}"
        else:
            if self.pub is None:
                self.anchor = _Anchor(text=m.group(), sentence=sidx, unresolved=True)
                return _Hit(m.start(), m.end(), None, "date", _NEED_PUB, False)
            off = 0 if word in ("本月", "这个月") else (-1 if word.startswith("上") else 1)
            y, mo = _add_months(self.pub.year, self.pub.month, off)
            what = {0: "the month of publication", -1: "the month before publication", 1: "the month after publication"}
            basis = f"{word} = {what[off]}, {_fmt(y, mo)}"
        day = _cn_int(m.group("mrd")) if m.group("mrd") is not None else None
        if day is not None and not _valid(y, mo, day):
            day = None
        return _Hit(m.start(), m.end(), _fmt(y, mo, day), "date", basis)

    def _h_md(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        start = m.start()
        if t[max(0, start - 2) : start] in _HABITUAL_BEFORE or t[start - 1 : start] == "每":
            return None
        month = _cn_int(m.group("mm"))
        day = _cn_int(m.group("mdd")) if m.group("mdd") is not None else None
        if day is not None and not _valid(2000, month, day):  # 2000 is a leap year: 02-29 allowed
            return None
        what = "month-day" if day is not None else "month"
        year, basis = self._undated_year(lambda _y: (month, day or 0), what, t)
        if year is None:
            if self.anchor.year is None:
                self.anchor = _Anchor(text=m.group(), sentence=sidx, unresolved=True)
            return _Hit(start, m.end(), None, "date", basis, False)
        if day is not None and not _valid(year, month, day):
            day = None
        return _Hit(start, m.end(), _fmt(year, month, day), "date", basis)

    def _h_drel(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        word = m.group("drel")
        a = self.anchor
        if word in _REL_DAY:
            if self.pub is None:
                return _Hit(m.start(), m.end(), None, "date", _NEED_PUB, False)
            off = _REL_DAY[word]
            d = self.pub + timedelta(days=off)
            sign = "" if off == 0 else f" {'−' if off < 0 else '+'} {abs(off)} day{'s' if abs(off) > 1 else ''}"
            return _Hit(m.start(), m.end(), d.isoformat(), "date", f"{word} = publication date {self.pub}{sign}")
        if a.unresolved or a.year is None or a.month is None or a.day is None:
            return _Hit(
                m.start(), m.end(), None, "date", f"unresolved: {word} refers back, but no day was named before", False
            )
        d = date(a.year, a.month, a.day)
        if word in ("次日", "翌日"):
            d += timedelta(days=1)
            return _Hit(
                m.start(), m.end(), d.isoformat(), "date", f"{word} = the day after the day last named ({a.text})"
            )
        return _Hit(m.start(), m.end(), d.isoformat(), "date", f"{word} = the day last named, {d}")

    def _h_dd(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        a = self.anchor
        start, end = m.start(), m.end()
        if a.unresolved or a.year is None or a.month is None:
            return None
        if (start > 0 and t[start - 1] in _DAY_NOT_DATE_BEFORE) or _DAY_NOT_DATE_AFTER.match(t, end):
            return None
        day = int(m.group("ddn"))
        if not _valid(a.year, a.month, day):
            return None
        return _Hit(
            start,
            end,
            _fmt(a.year, a.month, day),
            "date",
            f"day of the month last named, {_fmt(a.year, a.month)} ({a.text})",
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

        year, basis = self._undated_year(key, "festival", t)
        if year is None:
            return _Hit(start, end, None, "date", basis, False)
        value, label, note = self._fest_value(fest, year)
        return _Hit(start, end, value, "date", label + basis[len("festival") :] + note)

    def _h_ago(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        n_s = m.group("agon")
        if m.group("agov") is not None or not (n_s.isascii() or _CN_EXACT.fullmatch(n_s)):
            return _Hit(
                m.start(),
                m.end(),
                None,
                "date",
                f"vague: {m.group()} = some years before publication, no exact year",
                False,
            )
        n = _cn_int(n_s)
        if self.pub is None:
            return _Hit(m.start(), m.end(), None, "date", _NEED_PUB, False)
        return _Hit(
            m.start(), m.end(), _fmt(self.pub.year - n), "date", f"{m.group()} = publication year {self.pub.year} − {n}"
        )

    def _h_dur(self, m: re.Match[str], t: str, sidx: int) -> _Hit | None:
        return _Hit(m.start(), m.end(), None, "duration", "duration, not a date", False)


def extract_time_expressions(
    sentences: Sequence[Sentence],
    *,
    published_at: datetime | None,
    festivals: Festivals | None = None,
) -> list[TimeExpression]:
    """Time expressions of one article, in order, each resolved to a date at the precision written.

    `sentences` are the article's sentences in order (simplified script); offsets in the result are
    article offsets. Relative expressions (去年, 昨日) resolve against `published_at`; anaphoric ones
    (该年, 当日) and bare month-days (10月29日) against what the sentences before have named.
    The publication date is `published_at`'s own calendar date (the article's local time).
    """
    fest = festivals if festivals is not None else load_festivals()
    resolver = _Resolver(published_at, fest)
    out: list[TimeExpression] = []
    for sentence in sentences:
        text = sentence.text
        if not fest.prefilter.search(text):
            continue
        t = text.translate(_FULLWIDTH)
        for m in _scan(fest, t):
            hit = resolver.handle(m, t, sentence.index)
            if hit is None:
                continue
            span = text[hit.start : hit.end]
            out.append(
                TimeExpression(
                    text=span,
                    start=sentence.start + hit.start,
                    end=sentence.start + hit.end,
                    sentence_index=sentence.index,
                    value=hit.value,
                    kind=hit.kind,
                    resolution=hit.resolution,
                )
            )
            if hit.value is not None and hit.sets_anchor:
                parts = [int(p) for p in hit.value.split("-")]
                parts += [None] * (3 - len(parts))
                resolver.anchor = _Anchor(parts[0], parts[1], parts[2], span, sentence.index)
    return out
