"""Partnership events between platforms (and regulatory or company milestones), each with its evidence."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from hutong.china_time import china_day
from hutong.lexicon import Lexicon, Mention
from hutong.models import Sentence, TimeExpression
from hutong.normalise import paragraph_numbers
from hutong.paths import DATA_DIR

EVENTS_DATA_DIR = DATA_DIR / "events"
DOMAINS = ("payment", "logistics", "traffic", "storefront", "capital", "other")
ACTIONS = ("start", "end", "planned")
# Entity types that can be a party to a partnership; regulators, outlets and people cannot.
PARTY_TYPES = frozenset({"platform", "payment", "logistics", "cloud", "service", "unit", "group", "company"})
# Business units and sub-brands stand for their group in an event (京东零售与快手签署… is 京东 and 快手)
_UNIT_TYPES = frozenset({"unit"})
_NAMING_WORD = re.compile(r"下称|简称|以下简称|下同")
_NAMING_ASIDE = re.compile(rf"(?:{_NAMING_WORD.pattern})[“\"「『]?$")
_TYPE_DOMAIN = {"payment": "payment", "logistics": "logistics"}
# A pathological article (the same sentence thousands of times) must not stall the build; real
# articles have a few dozen reports (at most 31 in 406 seen).
MAX_REPORTS_PER_ARTICLE = 1_000
# A list of names joined to one trigger is read up to this many names a side (the longest real lists, of
# banks or apps joining a payment network, have about 30)
MAX_LIST_NAMES = 40
_CLAUSE_BREAK = re.compile(r"[,，:：;；]")  # one character each (_clauses counts on it)
_SECTION = re.compile(r"^在(.{1,8}?)方面")
_SAME_CLAUSE = "same clause"
_DAY_VALUE = re.compile(r"→ \d{4}-\d{2}-\d{2}\b")


@dataclass(frozen=True)
class EventTriggers:
    """The event vocabulary from data/events/ (see its README)."""

    actions: dict[str, str]
    domains: dict[str, str]
    markers: tuple[tuple[str, str], ...]  # (word, role); a word may have several roles (推出: launch, new_predicate)
    trigger_domains: dict[str, str] = field(default_factory=dict)  # the domain a trigger implies (入股 → capital)
    _by_role: dict[str, list[str]] = field(init=False, repr=False, compare=False)
    _role_patterns: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)
    action_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    domain_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    gate_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    milestone_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    both_parties_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_role: dict[str, list[str]] = {}
        for word, role in self.markers:
            by_role.setdefault(role, []).append(word)
        # every role, with or without words: a look-up that fails is a misspelt role
        words = {r: sorted(by_role.get(r, []), key=len, reverse=True) for r in MARKER_ROLES}
        object.__setattr__(self, "_by_role", words)
        object.__setattr__(self, "_role_patterns", {r: _alternation(ws) for r, ws in words.items()})
        object.__setattr__(self, "action_pattern", _alternation(self.actions))
        object.__setattr__(self, "domain_pattern", _alternation(self.domains))
        # a sentence without any of these words cannot state an event
        object.__setattr__(
            self, "gate_pattern", _alternation([*self.actions, *self.words("milestone"), *self.words("likewise")])
        )
        object.__setattr__(self, "milestone_pattern", _alternation(self.words("milestone")))
        object.__setattr__(
            self,
            "both_parties_pattern",
            _alternation(
                [*self.words("both_parties"), *self.words("former"), *self.words("latter"), *self.words("that_one")]
            ),
        )

    def words(self, role: str) -> list[str]:
        try:
            return self._by_role[role]
        except KeyError:
            raise KeyError(f"no marker role {role!r}") from None

    def pattern(self, role: str) -> re.Pattern[str]:
        """One pattern for any of the role's words: `search` tells whether a text holds one of them, in one
        pass instead of a pass for each word."""
        try:
            return self._role_patterns[role]
        except KeyError:
            raise KeyError(f"no marker role {role!r}") from None


def _alternation(words) -> re.Pattern[str]:
    """One pattern for any of the words, longest first; no words gives a pattern that never matches."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or r"(?!)")


def load_triggers(folder: Path = EVENTS_DATA_DIR) -> EventTriggers:
    trigger_domains = {w: d for w, d in _read_pairs(folder / "triggers.csv", "word", "domain").items() if d}
    return EventTriggers(
        actions=_read_pairs(folder / "triggers.csv", "word", "action"),
        domains=_read_pairs(folder / "domains.csv", "word", "domain"),
        markers=_read_roles(folder / "markers.csv"),
        trigger_domains=trigger_domains,
    )


# The roles a word of markers.csv may have; data/events/README.md says what each does
MARKER_ROLES = frozenset(
    "access after before blocked both_parties cessation cooperation_noun done former hypothetical latter launch likewise "
    "light milestone negation new_predicate not_hypothetical not_negation not_statement noun_after now planned "
    "ongoing planned_clause planned_sentence reciprocal restoration speculation that_one then".split()
)


def _read_roles(path: Path) -> tuple[tuple[str, str], ...]:
    """(word, role) rows of markers.csv; the same word with the same role twice, or a role that does nothing
    (a misspelling), is an error naming its line."""
    seen: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            pair = ((row.get("word") or "").strip(), (row.get("role") or "").strip())
            if not pair[0]:
                continue
            if pair[1] not in MARKER_ROLES:
                raise ValueError(f"{path}: line {reader.line_num}: '{pair[1]}' is not a role (data/events/README.md)")
            if pair in seen:
                raise ValueError(
                    f"{path}: line {reader.line_num}: '{pair[0]}' as {pair[1]} is already on line {seen[pair]}"
                )
            seen[pair] = reader.line_num
    return tuple(seen)


def _read_pairs(path: Path, key: str, value: str) -> dict[str, str]:
    """{key: value} from a CSV file of data/events; a word given twice is an error naming its lines."""
    pairs: dict[str, str] = {}
    lines: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            word = (row.get(key) or "").strip()
            if not word:
                continue
            if word in pairs:
                raise ValueError(f"{path}: line {reader.line_num}: '{word}' is already given on line {lines[word]}")
            pairs[word], lines[word] = (row.get(value) or "").strip(), reader.line_num
    return pairs


@dataclass(frozen=True)
class Party:
    name: str
    group: str
    start: int  # offsets into the article ("双方" gives the pair named last, at the word's position)
    end: int
    surface: str
    types: frozenset[str] = frozenset()  # entity types of the names it stands for (银联云闪付: company, payment)


@dataclass(frozen=True)
class EventReport:
    """One statement of an event in one sentence of one article."""

    kind: str  # "partnership" or "milestone"
    a: str
    b: str | None
    a_group: str
    b_group: str | None
    directed: bool  # a acts on b (A 接入 B); False for A 与 B 合作
    domain: str
    action: str
    date: str | None
    date_resolution: str
    trigger: str
    sentence_index: int
    start: int  # the evidence sentence's offsets into the article
    end: int
    a_surface: str
    b_surface: str | None
    date_text: str | None
    order: int = 0  # position among the article's reports
    merged_into: int | None = field(default=None, compare=False)
    rule: str = ""  # the pattern that found it, a key of EVENT_RULES
    confidence: float = 1.0  # how sure the extractor is, from the pattern and how the date was found

    def as_row(self, original_text: str) -> dict:
        """The report as a row of the store's event_reports table (REPORT_COLUMNS), but for doc_id."""
        return {
            "report_index": self.order,
            "kind": self.kind,
            "a": self.a,
            "b": self.b,
            "a_group": self.a_group,
            "b_group": self.b_group,
            "directed": self.directed,
            "domain": self.domain,
            "action": self.action,
            "date": self.date,
            "date_resolution": self.date_resolution,
            "trigger": self.trigger,
            "sentence_index": self.sentence_index,
            "start": self.start,
            "end": self.end,
            "evidence": original_text[self.start : self.end],
            "a_surface": self.a_surface,
            "b_surface": self.b_surface,
            "date_text": self.date_text,
            "merged_into": self.merged_into,
            "rule": self.rule,
            "confidence": self.confidence,
        }


REPORT_COLUMNS = (
    "report_index",
    "kind",
    "a",
    "b",
    "a_group",
    "b_group",
    "directed",
    "domain",
    "action",
    "date",
    "date_resolution",
    "trigger",
    "sentence_index",
    "start",
    "end",
    "evidence",
    "a_surface",
    "b_surface",
    "date_text",
    "merged_into",
    "rule",
    "confidence",
)


@dataclass
class _Discourse:
    """What earlier sentences of the article established: the pair named last, the dates seen, the events."""

    last_pair: tuple[Party, Party] | None = None  # the last pair an event joined
    # the last pair named without an event (淘宝天猫和小红书宣布…), and its sentence: 双方 means it only
    # in that sentence or the next, not paragraphs later (…Google与Microsoft的投入… … 双方合作)
    named_pair: tuple[Party, Party] | None = None
    named_pair_sentence: int = -1
    last_date: TimeExpression | None = None  # the latest date of the current paragraph
    last_date_seen: TimeExpression | None = None  # the latest date of the article so far (当时 points back to it)
    published: date | None = None  # the article's publication day, China time
    headline: bool = False  # whether the sentence read now is a headline (a line of its own before the body)
    current_sentence: int = 0
    last_subject: Party | None = None  # the subject of the sentence before (该平台, 该公司 refer to it)
    reports: list[EventReport] = field(default_factory=list)
    # The latest report by (groups, action) with a named domain, and by (groups, domain, action) with a
    # date: what the look-ups of earlier reports need, so an article with thousands of reports stays linear.
    latest_with_domain: dict[tuple, EventReport] = field(default_factory=dict)
    latest_dated: dict[tuple, EventReport] = field(default_factory=dict)
    latest_dated_any_domain: dict[tuple, EventReport] = field(default_factory=dict)

    def add(self, report: EventReport) -> None:
        """Add the article's next report; it was made with its position among them (`order`)."""
        self.reports.append(report)
        groups = frozenset((report.a_group, report.b_group))
        if report.domain != "other":
            self.latest_with_domain[(groups, report.action)] = report
            self.latest_with_domain[(groups, None)] = report
        if report.date:
            self.latest_dated[(groups, report.domain, report.action)] = report
            self.latest_dated_any_domain[(groups, report.action)] = report


def extract_event_reports(
    sentences: Sequence[Sentence],
    *,
    mentions: Sequence[Mention],
    times: Sequence[TimeExpression],
    lexicon: Lexicon,
    triggers: EventTriggers,
    text: str | None = None,
    published_at: datetime | None = None,
) -> list[EventReport]:
    """Every event report in one article, in order, then merged where two state the same event.

    `text` (the article's simplified text) shows where paragraphs and headlines are: a date is carried from
    earlier sentences only within a paragraph. `published_at` dates what the article reports as news of
    the day (a headline, a plan announced with no date, 目前): approximately, and says so.

    Inline pinyin after characters (關(guān)閉, from pages that annotate readings) would split trigger
    words and names, so the extraction reads each sentence without it (`_ReadingView`) and maps the
    reports' evidence offsets back to the article.
    """
    layout = _layout(sentences, text)
    published = china_day(published_at) if published_at else None
    view = _ReadingView.of(sentences)
    if view is not None:
        reports = _extract(
            view.sentences,
            mentions=[view.moved(m) for m in mentions],
            times=[view.moved(t) for t in times],
            lexicon=lexicon,
            triggers=triggers,
            layout=layout,
            published=published,
        )
        return [replace(r, start=view.original(r.start), end=view.original(r.end, end=True)) for r in reports]
    return _extract(
        sentences,
        mentions=mentions,
        times=times,
        lexicon=lexicon,
        triggers=triggers,
        layout=layout,
        published=published,
    )


_NUMBERED = re.compile(r"^\s*(?:\d+[.、．]|[一二三四五六七八九十]+、|[（(]\d+[)）])")  # 1. 一、 (1): a section
_SENTENCE_FINAL = tuple("。！？!?；;…”」』\"'")


def _layout(sentences: Sequence[Sentence], text: str | None) -> dict[int, tuple[int, bool]]:
    """Each sentence's paragraph number and whether it is a headline: a line of its own, without a
    sentence-final mark, before the first sentence of the body."""
    layout: dict[int, tuple[int, bool]] = {}
    in_body = False
    for s, paragraph in zip(sentences, paragraph_numbers(sentences, text)):
        whole_line = (
            text is not None
            and (s.start == 0 or text[s.start - 1] == "\n")
            and (s.end >= len(text) or text[s.end] == "\n")
        )
        headline = (
            not in_body and whole_line and not s.text.rstrip().endswith(_SENTENCE_FINAL) and not _NUMBERED.match(s.text)
        )
        in_body = in_body or not headline
        layout[s.index] = (paragraph, headline)
    return layout


# A reading in pinyin with a tone mark, in brackets right after a Han character: 發(fā), 會（huì）
_INLINE_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")


@dataclass(frozen=True)
class _ReadingView:
    """An article's sentences with inline pinyin left out, and the way back to the article's offsets."""

    sentences: list[Sentence]
    to_original: list[int]  # position in the view's article → position in the article
    to_view: dict[int, int]  # position in the article → position in the view (kept characters only)

    @classmethod
    def of(cls, sentences: Sequence[Sentence]) -> _ReadingView | None:
        # one search of the sentences joined: no reading spans a line break, or has one before it
        if not _INLINE_PINYIN.search("\n".join(s.text for s in sentences)):
            return None
        to_original: list[int] = []
        view_sentences = []
        for s in sentences:
            kept = [True] * len(s.text)
            for m in _INLINE_PINYIN.finditer(s.text):
                kept[m.start() : m.end()] = [False] * (m.end() - m.start())
            start = len(to_original)
            to_original.extend(s.start + i for i, keep in enumerate(kept) if keep)
            text = "".join(c for c, keep in zip(s.text, kept) if keep)
            view_sentences.append(Sentence(s.index, start, len(to_original), text))
        to_view = {original: position for position, original in enumerate(to_original)}
        return cls(view_sentences, to_original, to_view)

    def view_position(self, position: int) -> int:
        while position not in self.to_view and position > 0:
            position -= 1  # inside a left-out reading: the character it belongs to
        return self.to_view.get(position, 0)

    def moved(self, item):
        """A mention or time expression with its offsets in the view."""
        start = self.view_position(item.start)
        end = self.view_position(item.end - 1) + 1 if item.end > item.start else start
        return replace(item, start=start, end=end)

    def original(self, position: int, *, end: bool = False) -> int:
        if end:
            return self.to_original[position - 1] + 1 if position > 0 else 0
        return self.to_original[position] if position < len(self.to_original) else self.to_original[-1] + 1


def _extract(
    sentences: Sequence[Sentence],
    *,
    mentions: Sequence[Mention],
    times: Sequence[TimeExpression],
    lexicon: Lexicon,
    triggers: EventTriggers,
    layout: dict[int, tuple[int, bool]],
    published: date | None,
) -> list[EventReport]:
    discourse = _Discourse(published=published)
    paragraph = 0
    mentions_by_sentence = _by_sentence(mentions)
    times_by_sentence = _by_sentence(times)
    for sentence in sentences:
        if len(discourse.reports) >= MAX_REPORTS_PER_ARTICLE:
            break
        s_paragraph, discourse.headline = layout.get(sentence.index, (paragraph, False))
        discourse.current_sentence = sentence.index
        if s_paragraph != paragraph:
            paragraph = s_paragraph
            if _is_heading(sentence):
                discourse.last_date = None  # a section heading starts a new topic: no date is carried into it
        if (
            _CITATION.match(sentence.text)
            or _LINK.search(sentence.text)
            or triggers.pattern("not_statement").match(sentence.text.lstrip())
        ):
            continue  # ——《…》(某报 2011年5月18日), 相关阅读: a reference to another article states nothing here
        s_mentions = mentions_by_sentence.get(sentence.index, [])
        s_all = times_by_sentence.get(sentence.index, [])
        s_times = [t for t in s_all if t.kind == "date" and t.value]
        if not (len(s_mentions) > 1 or triggers.gate_pattern.search(sentence.text)):
            if s_mentions:  # a sentence that states no event can still name who the next one is about (该平台…)
                named = next((p for p in _parties(s_mentions, lexicon) if _opens_clause(sentence, p)), None)
                discourse.last_subject = named or discourse.last_subject
        else:  # _sentence_reports records the sentence's subject itself
            for report in _sentence_reports(sentence, s_mentions, s_times, s_all, lexicon, triggers, discourse):
                if len(discourse.reports) >= MAX_REPORTS_PER_ARTICLE:
                    break
                discourse.add(report)
        exact = [t for t in s_times if not t.approximate]
        if exact:  # an approximate date (近日) dates its own sentence only; it is not carried on
            discourse.last_date = discourse.last_date_seen = exact[-1]
        if discourse.last_date is not None and _now_after(sentence, discourse.last_date, triggers):
            discourse.last_date = None  # 从2013年…到现在: the story has come back to the time of writing
    return _date_headlines(merge_article_reports(discourse.reports, lexicon=lexicon), published)


# A line that cites another article: ——《title》(paper, date), or 《title》(paper, date) alone
_CITATION = re.compile(
    r"^\s*(?:[—–]{1,2}|-{2})\s*《"  # ——《title》(paper, date)
    r"|^\s*《[^》]*》\s*[(（][^)）]*[)）]\s*$"  # 《title》(paper, date)
    r"|^\s*(?:>\s*)?(?:[*\-]|\d+[.、])\s*\["  # an item of a reference list
)
_LINK = re.compile(r"https?://")  # a sentence carrying a link is a reference or page furniture


def _is_heading(sentence: Sentence) -> bool:
    """A line of its own without a sentence-final mark (a sub-heading) or a numbered line (1. 一、)."""
    text = sentence.text.rstrip()
    return _NUMBERED.match(text) is not None or (len(text) <= 40 and not text.endswith(_SENTENCE_FINAL))


def _now_after(sentence: Sentence, last: TimeExpression, triggers: EventTriggers) -> bool:
    if last.sentence_index != sentence.index:
        return False
    tail = sentence.text[last.end - sentence.start :]
    return triggers.pattern("now").search(tail) is not None


def _by_sentence(items) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for item in items:
        grouped.setdefault(item.sentence_index, []).append(item)
    return grouped


# ---- one sentence ------------------------------------------------------------------------------


class _Clause(NamedTuple):  # a tuple: one is made for each clause of a sentence that may state an event
    start: int  # offsets into the article
    end: int
    text: str


def _clauses(sentence: Sentence) -> list[_Clause]:
    clauses, start = [], sentence.start
    for text in _CLAUSE_BREAK.split(sentence.text):  # a break is one character
        if text.strip():
            clauses.append(_Clause(start, start + len(text), text))
        start += len(text) + 1
    return clauses


def _sentence_reports(
    sentence: Sentence,
    mentions: list[Mention],
    times: list[TimeExpression],
    all_times: list[TimeExpression],
    lexicon: Lexicon,
    triggers: EventTriggers,
    discourse: _Discourse,
) -> list[EventReport]:
    reports: list[EventReport] = []
    first_order = len(discourse.reports)  # each report is made with its position among the article's
    asides = (
        frozenset(
            m.start
            for m in mentions
            if _NAMING_ASIDE.search(sentence.text[max(0, m.start - sentence.start - 6) : m.start - sentence.start])
        )
        if _NAMING_WORD.search(sentence.text)  # (most sentences name nothing so)
        else frozenset()
    )
    sentence_parties = _parties(mentions, lexicon, asides)
    pending_pairs: list[tuple[Party, Party]] = []
    section_domain = planned_sentence = masked = None  # worked out at the sentence's first trigger, if any
    subject: list[Party] | None = None  # the names the sentence is about, for a clause that names no subject
    # The words a clause needs for a trigger, a milestone or 双方 are looked for in the whole sentence
    # first: a sentence without them (a third of those with two names) only links the pair it names.
    text = sentence.text
    may_trigger = triggers.action_pattern.search(text) is not None
    may_be_milestone = triggers.milestone_pattern.search(text) is not None and _names_a_regulator(mentions, lexicon)
    may_refer_back = triggers.both_parties_pattern.search(text) is not None
    for clause in _clauses(sentence):
        parties = [p for p in sentence_parties if clause.start <= p.start < clause.end]
        if may_refer_back:
            parties += _anaphoric_parties(clause, triggers, discourse, sentence, sentence_parties)
            parties.sort(key=lambda p: p.start)
        candidates = []
        if may_trigger and triggers.action_pattern.search(clause.text):  # (most clauses of such sentences have none)
            if masked is None:
                masked = _mask_mentions(sentence, mentions)
            found = _find_triggers(
                clause, triggers, masked[clause.start - sentence.start : clause.end - sentence.start]
            )
            candidates = [c for c in found if not _unasserted(sentence, c[2], triggers)]
        trigger = candidates[0] if candidates else None
        if may_be_milestone and _is_milestone(clause, mentions, lexicon, triggers):
            reports.append(
                _milestone(
                    sentence, clause, mentions, lexicon, triggers, times, discourse, order=first_order + len(reports)
                )
            )
            continue
        if trigger is None and parties and reports and _ENUMERATION.match(clause.text):
            # 阿里旗下多个应用接入了微信支付,包括饿了么、优酷…: each member named is a party of that event
            reports.extend(_in_place_of(reports, parties, lexicon, first_order + len(reports)))
            continue
        also = (
            [p for p in parties if _ALSO_NAMED.search(_clause_head(sentence, p))]
            if "的还有" in clause.text or "的也有" in clause.text
            else []
        )
        if also and triggers.action_pattern.search(_clause_head(sentence, also[0])):
            # QQ能打开淘宝链接。同时可以打开的还有抖音链接: the names join the last event in its object's place
            # (接入微信支付的还有美团: with an object of its own, the names are subjects, found below)
            pairs = (
                _pairs_for_trigger(parties, trigger[2], sentence, sentence_parties, [], subject=None) if trigger else []
            )
            previous = [] if pairs else reports or _previous_sentence_reports(discourse, sentence)
            if previous:
                reports.extend(
                    _in_place_of(
                        previous,
                        also,
                        lexicon,
                        first_order + len(reports),
                        rule="likewise",
                        side="b",
                        sentence=sentence,
                    )
                )
                continue
        if trigger is None and parties and triggers.pattern("likewise").search(clause.text):
            # 小红书开放了淘宝外链,哔哩哔哩也是如此: the name does what the last event's subject did
            previous = reports or _previous_sentence_reports(discourse, sentence)
            if previous:
                reports.extend(
                    _in_place_of(
                        previous,
                        parties,
                        lexicon,
                        first_order + len(reports),
                        rule="likewise",
                        side="a",
                        sentence=sentence,
                    )
                )
                continue
        if trigger is None:
            joined = _joined_pairs(parties, sentence)
            if joined:
                discourse.named_pair, discourse.named_pair_sentence = joined[-1][:2], sentence.index
                pending_pairs.extend((a, b) for a, b, strong in joined if strong)
            opens = bool(parties) and _opens_clause(sentence, parties[0])
            if parties and (subject is None or opens) and not _SUBORDINATE_END.search(clause.text):
                # 支付宝2日发布消息表示,…: who the later clauses are about; a clause opening on another name
                # (快钱份额最高,支付宝和财付通的占比只有…) has moved on to it
                subject = [parties[0]]
            elif not parties and triggers.pattern("new_predicate").search(clause.text):
                subject = None  # …之际,某科技公司突然宣布…,支持微信: a new subject the lexicon does not name
            continue
        word, action, position = trigger
        if word in triggers.words("launch") and _one_group_before(parties, position, sentence_parties):
            if len({p.name for p in parties}) > 1:  # 京东上线“京东家政”: a milestone names what was launched
                reports.append(
                    _launch(sentence, clause, parties, word, times, discourse, order=first_order + len(reports))
                )
            continue
        for (
            word,
            action,
            position,
        ) in candidates:  # 本次在谈合作为淘宝在微信开设小程序: the next trigger may join two names
            pairs = _pairs_for_trigger(
                parties,
                position,
                sentence,
                sentence_parties,
                pending_pairs,
                subject=subject,
                reciprocal=word in triggers.words("reciprocal") or action == "end",
            )
            if pairs:
                break
        if pairs and pairs[0].directed:
            subject = list({pair.a.name: pair.a for pair in pairs}.values())
        elif subject is None and parties and parties[0].start < position:
            subject = [parties[0]]
        if section_domain is None:
            section_domain = _section_domain(sentence.text, triggers) or ""
            planned_sentence = triggers.pattern("planned_sentence").search(sentence.text) is not None
        for pair in pairs:
            a, b, directed = pair.a, pair.b, pair.directed
            masked_clause = masked[clause.start - sentence.start : clause.end - sentence.start]
            for domain in _domains(
                masked_clause,
                masked,
                clause.end - sentence.start,
                a,
                b,
                section_domain,
                lexicon,
                triggers,
                discourse,
                action,
                trigger=word,
                trigger_at=position - clause.start,
            ):
                planned = planned_sentence or _planned_before(clause, position, triggers)
                date, how, date_text = _event_date(
                    sentence,
                    clause,
                    times,
                    discourse,
                    a,
                    b,
                    domain,
                    action,
                    triggers,
                    planned=planned,
                    all_times=all_times,
                )
                final_action = _final_action(
                    action, planned or _later_than_reported(date, date_text, how, discourse), how
                )
                reports.append(
                    EventReport(
                        kind="partnership",
                        a=_party_name(a, lexicon),
                        b=_party_name(b, lexicon),
                        a_group=a.group,
                        b_group=b.group,
                        directed=directed,
                        domain=domain,
                        action=final_action,
                        date=date,
                        date_resolution=how,
                        trigger=word,
                        sentence_index=sentence.index,
                        start=sentence.start,
                        end=sentence.end,
                        a_surface=a.surface,
                        b_surface=b.surface,
                        date_text=date_text,
                        order=first_order + len(reports),
                        rule=pair.rule,
                        confidence=_confidence(pair.rule, how, planned_sentence),
                    )
                )
            if len(pairs) == 1:  # 双方 later means these two, not a member of a list
                discourse.last_pair = (a, b)
    named = subject[0] if subject else next((p for p in sentence_parties if _opens_clause(sentence, p)), None)
    if named is not None:
        discourse.last_subject = named
    return reports


_ENUMERATION = re.compile(r"^\s*(?:其中)?(?:包括|包含|例如|比如|诸如|譬如|涵盖)")


def _previous_sentence_reports(discourse: _Discourse, sentence: Sentence) -> list[EventReport]:
    """The events of the sentence right before this one (none if it stated none)."""
    last = discourse.reports[-1] if discourse.reports else None
    if last is None or last.sentence_index != sentence.index - 1:
        return []
    return [r for r in discourse.reports if r.sentence_index == last.sentence_index]


# …的还有 / 的也有 + names: more names that did the same (可以打开的还有抖音链接)
_ALSO_NAMED = re.compile(r"的(?:还有|也有)\s*$")


def _in_place_of(
    reports: list[EventReport],
    members: list[Party],
    lexicon: Lexicon,
    first_order: int,
    *,
    rule: str = "enumerated",
    side: str | None = None,
    sentence: Sentence | None = None,
) -> list[EventReport]:
    """The last sentence's events again, once for each name in a party's place: a member of a group listed
    after 包括 takes its group's place; a name after …的还有 takes the object's (side b), one before 也是如此
    the subject's (side a). Names from a later `sentence` make events whose evidence runs on to its end."""
    last = [r for r in reports if r.sentence_index == reports[-1].sentence_index and r.kind == "partnership"]
    made: list[EventReport] = []
    for report in last:
        for member in members:
            place = side or ("a" if member.group == report.a_group else "b" if member.group == report.b_group else None)
            other_group = report.b_group if place == "a" else report.a_group
            if place is None or member.name in (report.a, report.b) or member.group == other_group:
                continue
            name = _party_name(member, lexicon)
            made.append(
                replace(
                    report,
                    **{place: name, f"{place}_surface": member.surface, f"{place}_group": member.group},
                    order=first_order + len(made),
                    rule=rule,
                    confidence=EVENT_RULES[rule][1],
                    **(
                        {}
                        if sentence is None or sentence.index == report.sentence_index
                        else {
                            "sentence_index": sentence.index,
                            "end": sentence.end,
                            "date_resolution": f"as the event of sentence {report.sentence_index + 1}: "
                            + report.date_resolution,
                        }
                    ),
                )
            )
    return made


def _confidence(rule: str, date_how: str, rumour: bool) -> float:
    """The pattern's confidence, less for a rumour and for a date that is only approximate."""
    confidence = EVENT_RULES[rule][1]
    if rumour:
        confidence *= 0.8
    if date_how.startswith("approximate"):
        confidence *= 0.9
    return round(confidence, 2)


def _party_name(party: Party, lexicon: Lexicon) -> str:
    """The name a party has in a partnership: a business unit (京东零售, 淘天集团) stands for its group."""
    return party.group if lexicon.entities[party.name].type in _UNIT_TYPES else party.name


def _parties(mentions: list[Mention], lexicon: Lexicon, naming_asides: frozenset[int] = frozenset()) -> list[Party]:
    """Mentions that can be parties; names of one group written together (淘宝天猫, 银联云闪付) are one party;
    a name given as a short form in brackets (淘宝天猫(下称“淘天”)) is not another party."""
    parties: list[Party] = []
    for m in mentions:
        entity = lexicon.entities[m.entity]
        if entity.type not in PARTY_TYPES or m.start in naming_asides:
            continue
        if parties and parties[-1].group == entity.group and m.start == parties[-1].end:
            last = parties[-1]
            parties[-1] = replace(last, end=m.end, surface=last.surface + m.surface, types=last.types | {entity.type})
            continue
        parties.append(Party(m.entity, entity.group, m.start, m.end, m.surface, frozenset({entity.type})))
    return parties


def _anaphoric_parties(
    clause: _Clause,
    triggers: EventTriggers,
    discourse: _Discourse,
    sentence: Sentence,
    sentence_parties: list[Party],
) -> list[Party]:
    """双方 / 两者 stand for the groups of the pair named last (淘宝 and 京东 → 阿里巴巴 and 京东), unless the
    sentence's speaker is of neither (京东方面表示,双方…: 京东 is one side of a pair not named); 前者 / 后者 for
    one of that pair; 该平台 / 该公司 for the subject of the sentence before."""
    pair = discourse.last_pair
    if discourse.named_pair is not None and discourse.named_pair_sentence >= discourse.current_sentence - 1:
        pair = discourse.named_pair
    for role, index in (("former", 0), ("latter", 1), ("that_one", None)):
        referent = (pair[index] if pair else None) if index is not None else discourse.last_subject
        for word in triggers.words(role):
            at = clause.text.find(word)
            if at >= 0 and referent is not None:
                at += clause.start
                return [replace(referent, start=at, end=at + len(word), surface=word)]
    if pair is None:
        return []
    for word in triggers.words("both_parties"):
        index = clause.text.find(word)
        if index >= 0:
            at = clause.start + index
            a, b = pair
            if any(p.group not in (a.group, b.group) and _speaks(sentence, p, at, triggers) for p in sentence_parties):
                return []
            return [
                Party(a.group, a.group, at, at + len(word), word),
                Party(b.group, b.group, at, at + len(word), word),
            ]
    return []


_SPEAKER_TITLE = re.compile(r"^(?:方面|官方|相关负责人|负责人|发言人|高管|人士)?$")


def _speaks(sentence: Sentence, party: Party, before: int, triggers: EventTriggers) -> bool:
    """Whether `party` is who says what follows (京东方面表示: 京东 + a title + a word of saying), before `before`."""
    if party.end > before:
        return False
    rest = sentence.text[party.end - sentence.start : before - sentence.start]
    for word in triggers.words("new_predicate"):
        at = rest.find(word)
        if at >= 0 and _SPEAKER_TITLE.match(rest[:at]):
            return True
    return False


def _find_triggers(clause: _Clause, triggers: EventTriggers, masked_clause: str) -> list[tuple[str, str, int]]:
    """The clause's triggers with their actions after negation, best first: an end before a start (合作 …
    中断 ends it), then the longer word, then the earlier.

    A negated trigger (未接入, 尚不支持, 拒绝合作) states no event; 不再 (no longer) turns a start into an end,
    and so do 不能 / 无法 before a word of access (链接不能打开: the link is blocked).
    """
    found = []
    for match in triggers.action_pattern.finditer(clause.text):
        word = match.group()
        if _is_nominal(masked_clause, match.start(), match.end(), triggers, word=word):
            continue
        if word in triggers.words("light") and not triggers.pattern("cooperation_noun").search(
            clause.text, match.end()
        ):
            continue  # 展开竞争, 达成一致: a light verb states a partnership only with a word of cooperation after it
        action = _polarised_action(clause.text[: match.start()], word, triggers.actions[word], triggers)
        if action is None:
            continue
        found.append((action == "end", len(word), -match.start(), word, action, clause.start + match.start()))
    if not found:
        return []
    ranked = [(word, action, position) for _, _, _, word, action, position in sorted(found, reverse=True)]
    ends = [position for _, action, position in ranked if action == "end"]
    restored = [t for t in ranked if t[0] in triggers.words("restoration") and t[2] > max(ends)] if ends else []
    if restored:  # 分手十年后重归于好: a restoration after the end is the news
        return restored + [t for t in ranked if t not in restored]
    return ranked


_SINCE = re.compile(r"始于|始自|开始于|起于|可追溯|以来|\d{4}年|[一二三四五六七八九十]+月")
_NAMES_OWN = re.compile(r"□[与和跟同][^，,。；;]{0,2}□+的(?:此次|这次|本次|首次|全面|深度|战略|长期|独家)?$")


def _is_nominal(text: str, start: int, end: int, triggers: EventTriggers, *, word: str = "") -> bool:
    """A trigger used as a noun states no event: 双方的合作, 合作细节, 访问请求, 既竞争又合作的关系; before 的 and
    right after a name it is a verb (京东和微信合作的目的: they did work together)."""
    noun = triggers.pattern("noun_after").match(text, end)
    if noun and noun.group() != "的":  # (the longest word that follows; 的 alone is weighed below)
        return True  # 访问请求, 开放平台, 合作细节
    if text[max(0, start - 2) : start].endswith(("□", "□也", "□已", "□曾", "□就")):
        return False
    if word in triggers.words("reciprocal") and _NAMES_OWN.search(text[:start]) and _SINCE.search(text[end:]):
        return False  # 京东和腾讯的合作始于2014年: the two names' own cooperation, and when it began
    return text[start - 1 : start] == "的" or text.startswith("的", end)


def _blank(text: str, triggers: EventTriggers, role: str) -> str:
    """text with the words of `role` that only look like a marker (不仅 for 不, 如果说 for 如果) blanked, same
    length."""
    if not triggers.pattern(role).search(text):
        return text
    for word in triggers.words(role):
        text = text.replace(word, "□" * len(word))
    return text


# How far before a trigger a negation still governs it (尚未与支付宝 合作: 6 characters with the name masked)
_NEGATION_REACH = 8


def _polarised_action(head: str, word: str, action: str, triggers: EventTriggers) -> str | None:
    """The action of a trigger after the words before it in its clause: None where it is negated."""
    near = head[-_NEGATION_REACH:]
    near = _blank(near, triggers, "not_negation")
    if triggers.pattern("cessation").search(near):
        return "end"
    if triggers.pattern("blocked").search(near):
        return "end" if triggers.pattern("access").search(word) else None
    if triggers.pattern("negation").search(near):
        return None
    return action


def _joined_pairs(parties: list[Party], sentence: Sentence) -> list[tuple[Party, Party, bool]]:
    """A与B pairs in a clause without a trigger, each with whether 与/跟/同 joins it (not the weaker 和): a
    later 双方 may mean either, but only a 与 pair waits for a trigger that follows (京东与菜鸟,…,也纷纷展开合作)."""
    pairs = []
    for left, right in zip(parties, parties[1:], strict=False):
        gap = _gap(sentence, left, right)
        if left.group != right.group and left.end < right.start and _JOINER_GAP.match(gap):
            pairs.append((left, right, not gap.rstrip().endswith("和")))
    return pairs


# What may stand between two names of one list (饿了么、优酷和大麦; 淘宝App与微信): a separator, or a joiner
_ADVERBS = r"(?:[已也正将还均都曾先]|已经|正在|早已|此前|分别)*"
# 与/跟/同 joins partners even after a few words (新浪微博宣布与阿里巴巴…); 和 only right after a name
_JOINER_GAP = re.compile(rf"^\s*(?:app|App|APP)?\s*(?:{_ADVERBS}和|[^，,。；;：:、]{{0,8}}(?:与|跟|同))\s*$")
# (a list may hold a name the lexicon does not know: 京东、拼多多、豆快、小红书)
_LIST_GAP = re.compile(
    rf"^\s*(?:app|App|APP)?\s*(?:|(?:、[^、，,。；;：:“”\s]{{1,6}})*、|,|，|及|以及|或|{_ADVERBS}(?:与|跟|同|和))\s*$"
)


_BRACKETED = re.compile(r"[(（][^()（）]*[)）]")  # an aside: 网联清算有限公司(以下简称“网联”)与支付宝
_CLOSING = re.compile("[”’」』)）》】\"' ]")  # (removed by a pattern: str.translate is slower on short text)


# A clause that only sets the scene (就在豆包手机陷入重围之际): its names are not the next clause's subject
_SUBORDINATE_END = re.compile(r"(?:之际|之时|的时候|期间|以来|之前|之后)\s*$")


def _gap_to(sentence: Sentence, party: Party, position: int) -> str:
    return sentence.text[party.end - sentence.start : position - sentence.start]


_OPEN_JOINER = re.compile(rf"{_ADVERBS}(?:与|跟|同|和)\s*$")


def _clause_head(sentence: Sentence, party: Party) -> str:
    """The text of party's clause before it."""
    return _CLAUSE_BREAK.split(sentence.text[: party.start - sentence.start])[-1]


def _later_subject(sentence: Sentence, sentence_parties: list[Party], position: int) -> list[Party]:
    """The first name after `position` that opens a clause of its own (the sentence's subject, named late)."""
    return next(([p] for p in sentence_parties if p.start > position and _opens_clause(sentence, p)), [])


def _opens_clause(sentence: Sentence, party: Party) -> bool:
    head = sentence.text[: party.start - sentence.start]
    return _CLAUSE_BREAK.split(head)[-1].strip(" “「\"'") == ""


# After A 与 B: both do the act side by side (一起, 一道, 均, 纷纷), maybe after 等 + a kind (等平台)
_TOGETHER = re.compile(r"^\s*(?:等[^，,。；;：:]{0,4})?(?:一起|一道|一同|均|都|纷纷|先后|相继)")
# [act + object]的还有/是/包括 + names: the names are who did the act (接入微信支付的还有美团)
_SUBJECTS_AFTER = re.compile(r"^[^，,。；;：:]{0,8}的(?:还有|还包括|包括|也有|有|是|就是|则是)\s*$")
_PASSIVE = re.compile(r"(?:被|遭到?)[^，,。；;]{0,4}$")  # 被/遭 before the trigger: its subject undergoes it
_PARTNER_PHRASE = re.compile(r"(?:与|和|跟|同|向|对|给)[^与和跟同向对给，,。；;]*$")
_LOCATIVE = re.compile(r"(?:在|于|进驻|到|向|对|给)$")  # a name after these is where or to whom
_PURPOSE = re.compile(r"(?:为了?|以便)[^，,。；;]{1,3}$")  # 为推销X: a purpose, not 为X (for X)


def _gap(sentence: Sentence, left: Party, right: Party) -> str:
    """What stands between two names, closing quotes and brackets left out (淘天”)和小红书)."""
    between = sentence.text[left.end - sentence.start : right.start - sentence.start]
    return _CLOSING.sub("", _BRACKETED.sub("", between))


def _name_list(parties: list[Party], sentence: Sentence, *, last: int) -> list[Party]:
    """The run of names ending at parties[last] that are one list (A、B和C), first to last."""
    run = [parties[last]]
    for i in range(last - 1, -1, -1):
        gap = _gap(sentence, parties[i], run[0])
        if not (_LIST_GAP.match(gap) or _JOINER_GAP.match(gap)):
            break
        run.insert(0, parties[i])
    return run


def _list_from(parties: list[Party], sentence: Sentence) -> list[Party]:
    """The run of names starting at parties[0] that are one list (A、B和C), first to last; [] for none."""
    run = parties[:1]
    for nxt in parties[1:]:
        if not _LIST_GAP.match(_gap(sentence, run[-1], nxt)):
            break
        run.append(nxt)
    return run


def _split_at_joiner(run: list[Party], sentence: Sentence, *, objects: bool) -> tuple[list[Party], list[Party]] | None:
    """A、B 与 C → ([A, B], [C]): the last 与/跟/同 in a list divides the two sides, else the last 和 when the
    trigger has no object of its own (饿了么、优酷和大麦均已接入微信支付: 和 only joins a list)."""
    gaps = [(i, _gap(sentence, run[i - 1], run[i])) for i in range(1, len(run))]
    for i in range(len(run) - 1, 0, -1):
        if run[i].start == run[i - 1].start:  # 双方 stands for the pair named last
            return run[:i], run[i:]
    # 与/跟/同 join partners; 和 may only join the members of a list (云闪付与工行、中行和建行)
    for strong in (True, False) if not objects else (True,):
        for i, gap in reversed(gaps):
            if _JOINER_GAP.match(gap) and (not strong or not gap.rstrip().endswith("和")):
                return run[:i], run[i:]
    return None


@dataclass(frozen=True)
class _Pair:
    """Two parties a trigger joins, and the pattern that found them (EVENT_RULES)."""

    a: Party
    b: Party
    directed: bool
    rule: str


# How each pattern finds a pair, and how sure an event found by it is (an explicit trigger between two
# names of one clause is surest; a party brought in from elsewhere in the sentence least)
EVENT_RULES = {
    "joined": ("A 与 B + trigger in one clause", 0.9),
    "subject-object": ("subject + trigger + object in one clause", 0.9),
    "carried subject": ("trigger + object; the subject from an earlier clause of the sentence", 0.75),
    "both parties": ("双方/两者 + trigger: the pair named last", 0.7),
    "later subject": ("与 + names + trigger; the subject opens a later clause of the sentence", 0.6),
    "sentence party": ("one party + trigger; the other named elsewhere in the sentence", 0.6),
    "earlier pair": ("A 与 B in one clause, the trigger in a later one", 0.6),
    "enumerated": ("an event of a group, then 包括 + the members named", 0.75),
    "named after": ("trigger + object, then 的还有/是 + the subjects", 0.75),
    "likewise": ("an event, then …的还有 X or X 也是如此: X in one party's place", 0.6),
    "milestone": ("a regulator + a milestone word (召开, 印发 …)", 0.8),
    "launch": ("one group + 上线/推出: a platform launching its own service", 0.8),
}


def _cross(left: list[Party], right: list[Party], *, directed: bool, rule: str) -> list[_Pair]:
    pairs: list[_Pair] = []
    for a in left[:MAX_LIST_NAMES]:
        for b in right[:MAX_LIST_NAMES]:
            if a.group != b.group and all((a.name, b.name) != (x.a.name, x.b.name) for x in pairs):
                both = a.start == b.start  # 双方
                pairs.append(_Pair(a, b, directed, "both parties" if both else rule))
    return pairs


def _pairs_for_trigger(
    parties: list[Party],
    position: int,
    sentence: Sentence,
    sentence_parties: list[Party],
    pending_pairs: list[tuple[Party, Party]],
    subject: list[Party] | None = None,
    reciprocal: bool = True,
) -> list[_Pair]:
    """The pairs a trigger at `position` joins: its subject (the list of names before it) with its object
    (the list after it), each member of a list with each of the other side (饿了么、优酷均已接入微信支付 is
    two events); A、B 与 C 合作 pairs each of A and B with C; a clause without a subject takes the
    sentence's (`subject`)."""
    before = [p for p in parties if p.start < position]
    if len(before) >= 2 and _PURPOSE.search(_gap(sentence, before[-2], before[-1])):
        before = before[:-1]  # 菜鸟为推销阿里云先封杀顺丰: a name in a purpose phrase is not the subject
    after = [p for p in parties if p.start >= position]
    objects = _list_from(after, sentence)
    if before:
        run = _name_list(before, sentence, last=len(before) - 1)
        if not objects and len(before) > len(run) and _LOCATIVE.search(_gap(sentence, before[-len(run) - 1], run[0])):
            # 阿里巴巴考虑在微信开设小程序: the name after 在 is where the subject acts, its partner
            objects, run = run, _name_list(before, sentence, last=len(before) - len(run) - 1)
            if _PASSIVE.search(_gap_to(sentence, objects[-1], position)):
                objects, run = run, objects  # 抖音链接在微信中被屏蔽: where it happened is who did it
            return _cross(run, objects, directed=True, rule="subject-object")
        if not objects and len(before) == len(run) and subject and _LOCATIVE.search(_clause_head(sentence, run[0])):
            # 阿里巴巴宣布,将向小红书投资: the name after 向 is the object of the sentence's subject
            return _cross(subject, run, directed=True, rule="carried subject")
        if not objects and len(run) == len(before) and _OPEN_JOINER.search(_clause_head(sentence, run[0])):
            # 继与微信支付、京东物流达成合作,淘宝天猫又…: the names after 与 are partners of a subject named
            # before (carried) or in a later clause of the sentence
            partner_of = subject or _later_subject(sentence, sentence_parties, position)
            rule = "carried subject" if subject else "later subject"
            return _cross(partner_of or [], run, directed=True, rule=rule)
        sides = _split_at_joiner(run, sentence, objects=bool(objects))
        if sides and _TOGETHER.match(_gap_to(sentence, run[-1], position)) and (objects or not reciprocal):
            # 美团与饿了么一起接入了云闪付: 与 joins two subjects of one act, not two partners
            return _cross(run, objects, directed=True, rule="subject-object") if objects else []
        if sides:  # A 与 B 签署…: the joined names are the partners, whatever follows the trigger
            if not reciprocal and _gap_to(sentence, sides[1][-1], position).startswith("的"):
                return []  # 阿里与腾讯的同框注资: the two act together on a third party (an end, 联姻落幕, is theirs)
            return _cross(sides[0], sides[1], directed=False, rule="joined")
        if objects:
            return _cross(run, objects, directed=True, rule="subject-object")
        if len(run) >= 2:
            return []  # A、B、C 上线…: the members of a list are not partners of each other
        others = {
            p.group: p
            for p in sentence_parties
            if p.group != run[0].group and not _PURPOSE.search(_clause_head(sentence, p))
        }
        if len(others) == 1:
            # one party in the clause: the other is the one other group named in the sentence (支付宝表示,
            # 正在与银联开展合作), unless it opens a later clause of its own (…选项,支付宝则在…强化了…)
            other = next(iter(others.values()))
            if other.start < run[0].start or not _opens_clause(sentence, other):
                return [_Pair(run[0], other, other.start > position, "sentence party")]
        return []
    if objects:
        named_after = [p for p in sentence_parties if p.start > objects[-1].start]
        if named_after and _SUBJECTS_AFTER.match(_gap(sentence, objects[-1], named_after[0])):
            # 接入微信支付的还有美团和滴滴: the subjects are named after the act
            return _cross(_list_from(named_after, sentence), objects, directed=True, rule="named after")
    if objects and subject:
        return _cross(subject, objects, directed=True, rule="carried subject")
    if not parties and pending_pairs:
        pairs = [_Pair(a, b, False, "earlier pair") for a, b in pending_pairs]
        pending_pairs.clear()
        return pairs
    return []


def _mask_mentions(sentence: Sentence, mentions: list[Mention]) -> str:
    """The sentence with entity names blanked, so 商城 in 京东商城 does not name a domain."""
    text = sentence.text
    for m in mentions:
        start, end = m.start - sentence.start, m.end - sentence.start
        text = text[:start] + "□" * (end - start) + text[end:]
    return text


_COORDINATED = re.compile(r"^[与和及、/]$|^以及$")


def _named_domains(text: str, triggers: EventTriggers) -> list[str]:
    """The domains a clause names: the first, and others only where coordinated with it (物流与支付)."""
    named: list[tuple[str, int, int]] = []
    for match in triggers.domain_pattern.finditer(text):
        named.append((triggers.domains[match.group()], match.start(), match.end()))
    if not named:
        return []
    kept = [named[0][0]]
    for (_, _, end), (domain, start, _) in zip(named, named[1:]):
        if _COORDINATED.match(text[end:start]) and domain not in kept:
            kept.append(domain)
    return kept


def _later_clause_domain(rest: str, triggers: EventTriggers) -> str | None:
    """The domain the nearest later clause of the sentence names, by a trigger or a domain word of its own
    (…服务,屏蔽微信…的数据接口; 达成合作,当时…,用户可以在快手跳转至京东)."""
    for following in _CLAUSE_BREAK.split(rest)[1:]:
        for match in triggers.action_pattern.finditer(following):
            if match.group() in triggers.trigger_domains:
                return triggers.trigger_domains[match.group()]
        named = _named_domains(following, triggers)
        if named:
            return named[0]
    return None


def _nearest_domain(masked_sentence: str, clause_end: int, triggers: EventTriggers) -> str | None:
    found = [
        (match.start() < clause_end, abs(match.start() - clause_end), triggers.domains[match.group()])
        for match in triggers.domain_pattern.finditer(masked_sentence)
    ]
    return min(found)[2] if found else None


def _section_domain(text: str, triggers: EventTriggers) -> str | None:
    match = _SECTION.match(text)
    if match:
        return next((d for w, d in triggers.domains.items() if w in match.group(1)), None)
    return None


def _domains(
    masked_clause: str,
    masked_sentence: str,
    clause_offset: int,
    a: Party,
    b: Party,
    section_domain: str | None,
    lexicon: Lexicon,
    triggers: EventTriggers,
    discourse: _Discourse,
    action: str,
    trigger: str = "",
    trigger_at: int = 0,
) -> list[str]:
    """Domains named after the trigger in its clause (several only when coordinated: 物流与支付), else the
    one two parties of one kind share, the trigger's own (入股 → capital), words before the trigger, a
    party's type, the section (在支付方面), the nearest later clause naming one (用户在微信打开淘宝链接), the
    pair's last event, a domain named before the clause, or other."""
    # words after the trigger, then the trigger's own domain, then words before it (快手小店商品可跳转拼多多:
    # 小店 names the subject, 跳转 the event; 双方在物流和支付领域合作: the words before are all there is)
    named = _named_domains(masked_clause[trigger_at:], triggers)
    if named:
        return named
    kinds = [
        {_TYPE_DOMAIN[t] for t in (p.types or {lexicon.entities[p.name].type}) if t in _TYPE_DOMAIN} for p in (a, b)
    ]
    shared = kinds[0] & kinds[1]
    if shared:  # 菜鸟封杀顺丰: two logistics networks cut off each other's logistics
        return [sorted(shared)[0]]
    if trigger in triggers.trigger_domains:
        return [triggers.trigger_domains[trigger]]
    named = _named_domains(masked_clause[:trigger_at], triggers)
    if named:
        return named
    by_type = [
        _TYPE_DOMAIN[t] for p in (a, b) for t in sorted(p.types or {lexicon.entities[p.name].type}) if t in _TYPE_DOMAIN
    ]
    if by_type:
        return by_type[:1]
    if section_domain:
        return [section_domain]
    after = _later_clause_domain(masked_sentence[clause_offset:], triggers)
    if after:
        return [after]
    previous = _previous_report_with_domain(discourse, a, b, action=action) or _previous_report_with_domain(
        discourse, a, b, action=None
    )
    if previous:
        return [previous.domain]
    before = _nearest_domain(masked_sentence[:clause_offset], clause_offset, triggers)
    return [before or "other"]


def _previous_report_with_domain(
    discourse: _Discourse, a: Party, b: Party, *, action: str | None
) -> EventReport | None:
    """The latest earlier report between the same two groups with the same action and a named domain."""
    return discourse.latest_with_domain.get((frozenset((a.group, b.group)), action))  # action None: any


def _previous_dated_report(
    discourse: _Discourse, a: Party, b: Party, *, domain: str, action: str
) -> EventReport | None:
    """The latest earlier dated report between the same two groups in the same domain with the same action."""
    return discourse.latest_dated.get((frozenset((a.group, b.group)), domain, action))


def _unasserted(sentence: Sentence, position: int, triggers: EventTriggers) -> bool:
    """如果/一旦/假如 earlier in the sentence: the trigger is in a condition or its consequence, and states
    nothing (如果微信开放外链，淘宝将…); 如果说 introduces a fact (如果说去年的接入是第一步…) and is no condition.
    A guess anywhere in the sentence (早晚的事, 只是时间问题) states nothing either."""
    if triggers.pattern("speculation").search(sentence.text):
        return True  # 两家恢复互通只是时间问题: an onlooker's guess, not a plan of either party
    head = sentence.text[: position - sentence.start]
    head = _blank(head, triggers, "not_hypothetical")
    return triggers.pattern("hypothetical").search(head) is not None


def _planned_before(clause: _Clause, position: int, triggers: EventTriggers) -> bool:
    """将/即将 right before the trigger, or 考虑/可能/申请 anywhere before it in the clause, make it a plan;
    已 (already) before the trigger makes it done."""
    head = clause.text[: position - clause.start]
    if triggers.pattern("planned_clause").match(clause.text, position - clause.start):
        return True  # 正在与抖音商谈合作: the trigger itself is a word of planning
    if triggers.pattern("planned_clause").search(head, head.rfind("已") + 1):
        return True  # 已申请接入: what is done is the application
    if "已" in head[-6:]:
        return False
    # 将与抖音、B站等平台合作: the partner phrase may stand between 将 and the trigger
    head = _PARTNER_PHRASE.sub("", head)
    return any(head.endswith(w) or head.endswith(w + "正式") or f"{w}" in head[-4:] for w in triggers.words("planned"))


_EFFECTIVE = "takes effect on the day the sentence names"
_FROM_DAY = re.compile(r"^\s*(?:起|开始|以后|之后)")


def _takes_effect(sentence: Sentence, time: TimeExpression) -> bool:
    """A day followed by 起/开始 (3月1日起) is when something takes effect, not when it was said."""
    return _FROM_DAY.match(sentence.text[time.end - sentence.start :]) is not None


def _final_action(action: str, planned: bool, date_how: str) -> str:
    """A planned start or end with its own exact day in the clause (将于当日正式关闭) is scheduled: it keeps its action."""
    if planned and not (date_how.startswith((_SAME_CLAUSE, _EFFECTIVE)) and _DAY_VALUE.search(date_how)):
        return "planned"
    return action


def _event_date(
    sentence: Sentence,
    clause: _Clause,
    times: list[TimeExpression],
    discourse: _Discourse,
    a: Party,
    b: Party,
    domain: str,
    action: str,
    triggers: EventTriggers,
    *,
    planned: bool,
    all_times: list[TimeExpression],
) -> tuple[str | None, str, str | None]:
    """The date of an event: its clause, its sentence, the pair's last event, or the discourse.

    A plan without a date of its own takes the sentence's first date: when it was said (在今年1月…表示).
    """
    # 此前/早前 name no time an analyst could place an event at: they leave it undated, not "some year"
    times = [t for t in times if t.text not in triggers.words("before")]
    in_clause = [t for t in times if clause.start <= t.start < clause.end]
    if in_clause:
        t = in_clause[0]
        stated = _statement_day_within(t, times) if planned else None
        if stated is not None:  # 5月17日宣布,本周将停止…: the plan is dated the day it was announced
            return (
                stated.value,
                f"when the plan was stated, within {t.text}: {stated.text} → {stated.value}",
                stated.text,
            )
        return t.value, f"{_SAME_CLAUSE}: {t.text} → {t.value} ({t.resolution})", t.text
    if planned and times:
        t = times[0]
        if _takes_effect(sentence, t):  # 3月1日起,快手将全面屏蔽…: scheduled from that day
            return t.value, f"{_EFFECTIVE}: {t.text} → {t.value} ({t.resolution})", t.text
        return t.value, f"same sentence, when the plan was stated: {t.text} → {t.value} ({t.resolution})", t.text
    if discourse.headline:
        return None, _HEADLINE_UNDATED, None
    earlier = next((w for w in triggers.words("before") if w in clause.text), None)
    if earlier:  # …本月起下线外链,此前双方曾…合作: a clause of 此前 is not dated by the other clauses
        return None, f"undated: '{earlier}' refers to an earlier, unnamed time", None
    before = [t for t in times if t.start < clause.start]
    now_word = next((w for w in triggers.words("now") if w in sentence.text[: clause.end - sentence.start]), None)
    usable = [t for t in before if not now_word or t.start >= sentence.start + sentence.text.find(now_word)]
    after = [t for t in times if t.start >= clause.end]
    if usable or after:
        t = (usable or after)[-1 if usable else 0]
        return t.value, f"same sentence: {t.text} → {t.value} ({t.resolution})", t.text
    duration = next((t for t in all_times if t.kind == "duration" and clause.start <= t.start < clause.end), None)
    if duration is not None:
        return None, f"undated: '{duration.text}' is a duration, not a date", None
    before_word = next((w for w in triggers.words("before") if w in clause.text), None)
    if before_word:
        return None, f"undated: '{before_word}' refers to an earlier, unnamed time", None
    then_word = next((w for w in triggers.words("then") if w in sentence.text[: clause.end - sentence.start]), None)
    if then_word and discourse.last_date_seen is not None:
        last = discourse.last_date_seen
        return last.value, f"'{then_word}' points back to {last.text} ({last.value})", last.text
    ongoing = next((w for w in triggers.words("ongoing") if w in clause.text), None)
    if ongoing:  # 拼多多正在与微信支付洽谈: under way as the article is written, whatever was dated before
        return _publication_month(discourse, f"'{ongoing}' says it is under way at the time of writing")
    previous = _previous_dated_report(discourse, a, b, domain=domain, action="planned" if planned else action)
    if previous is None and discourse.last_date is None:
        # a new paragraph that goes on with the same two groups' story (在支付方面,京东将会接入支付宝)
        previous = discourse.latest_dated_any_domain.get(
            (frozenset((a.group, b.group)), "planned" if planned else action)
        )
    if previous:
        return previous.date, f"same pair's event in sentence {previous.sentence_index + 1}: {previous.date}", None
    if now_word:
        return _publication_month(discourse, f"'{now_word}' refers to the time of writing")
    last = discourse.last_date
    if last is not None and last.value and not planned and _after_publication(last.value, discourse):
        last = None  # what is reported as done did not happen at a later date named before it (明年3月)
    if last is None or not last.value:
        if planned:
            return _publication_month(discourse, "a plan reported without a date of its own")
        if triggers.pattern("done").search(clause.text):
            return _publication_month(discourse, "reported as done, with no date in its paragraph")
        return None, "undated: no date in the sentence or earlier in its paragraph", None
    after_word = next((w for w in triggers.words("after") if w in sentence.text[:6]), None)
    if after_word:
        return last.value[:4], f"'{after_word}' after {last.text} ({last.value}): year only", last.text
    return last.value, f"discourse: {last.text} → {last.value} earlier in the paragraph", last.text


_HEADLINE_UNDATED = "undated: a headline without a date"


def _date_headlines(reports: list[EventReport], published: date | None) -> list[EventReport]:
    """A headline's event that no report of the body dates is news of the publication day."""
    if published is None:
        return reports
    day = published.isoformat()
    how = f"approximate: a headline, news of the publication day {day}"
    return [
        replace(r, date=day, date_resolution=how)
        if r.merged_into is None and r.date is None and r.date_resolution == _HEADLINE_UNDATED
        else r
        for r in reports
    ]


def _later_than_reported(value: str | None, written: str | None, how: str, discourse: _Discourse) -> bool:
    """What its own sentence dates after the day it was reported on is a plan, however it is worded (双方合作将于
    明年启动); an offset (3个月之后) is left alone (its anchor may be a date the sentence does not name), and so
    is a date taken from another event (a restatement of one scheduled for that day)."""
    own = how.startswith((_SAME_CLAUSE, "same sentence"))
    return own and bool(value) and not (written or "").endswith("后") and _after_publication(value, discourse)


def _after_publication(value: str, discourse: _Discourse) -> bool:
    """Whether a date (at any precision) begins after the publication day."""
    return discourse.published is not None and value > discourse.published.isoformat()[: len(value)]


def _statement_day_within(period: TimeExpression, times: list[TimeExpression]) -> TimeExpression | None:
    """An earlier day of the sentence inside a plan's coarse period (this week, this month): when it was said."""
    first, last = period.first_day, period.last_day
    if not first or not last or first == last:
        return None
    return next(
        (t for t in times if t.start < period.start and t.value and len(t.value) == 10 and first <= t.value <= last),
        None,
    )


def _publication_month(discourse: _Discourse, why: str) -> tuple[str | None, str, str | None]:
    """The publication month, for what the article reports as current news without a date of its own."""
    if discourse.published is None:
        return None, f"undated: {why}, and the publication time is not known", None
    month = discourse.published.isoformat()[:7]
    return month, f"approximate: {why}; the publication month {month}", None


# ---- milestones ----------------------------------------------------------------------------------


def _names_a_regulator(mentions: list[Mention], lexicon: Lexicon) -> bool:
    return any(lexicon.entities[m.entity].type == "regulator" for m in mentions)


def _is_milestone(clause: _Clause, mentions: list[Mention], lexicon: Lexicon, triggers: EventTriggers) -> bool:
    if not triggers.pattern("milestone").search(clause.text):
        return False
    return any(
        lexicon.entities[m.entity].type == "regulator" and clause.start <= m.start < clause.end for m in mentions
    )


def _milestone(
    sentence: Sentence,
    clause: _Clause,
    mentions: list[Mention],
    lexicon: Lexicon,
    triggers: EventTriggers,
    times: list[TimeExpression],
    discourse: _Discourse,
    *,
    order: int,
) -> EventReport:
    actor = next(
        m for m in mentions if lexicon.entities[m.entity].type == "regulator" and clause.start <= m.start < clause.end
    )
    word = next(w for w in triggers.words("milestone") if w in clause.text)
    domain = next((d for w, d in triggers.domains.items() if w in sentence.text), "other")
    t = times[0] if times else discourse.last_date
    date, how = (
        (t.value, f"{'same sentence' if times else 'discourse'}: {t.text} → {t.value}") if t else (None, "undated")
    )
    group = lexicon.group_of(actor.entity)
    return EventReport(
        kind="milestone",
        a=actor.entity,
        b=None,
        a_group=group,
        b_group=None,
        directed=False,
        domain=domain,
        action="start",
        date=date,
        date_resolution=how,
        trigger=word,
        sentence_index=sentence.index,
        start=sentence.start,
        end=sentence.end,
        a_surface=actor.surface,
        b_surface=None,
        date_text=t.text if t else None,
        order=order,
        rule="milestone",
        confidence=EVENT_RULES["milestone"][1],
    )


def _one_group_before(parties: list[Party], position: int, sentence_parties: list[Party]) -> bool:
    """A platform launching something of its own: every party in the sentence is of one group, named
    before the trigger (京东正式上线“京东家政”业务)."""
    return (
        any(p.start < position for p in parties)
        and len({p.group for p in sentence_parties} | {p.group for p in parties}) == 1
    )


def _launch(
    sentence: Sentence,
    clause: _Clause,
    parties: list[Party],
    word: str,
    times: list[TimeExpression],
    discourse: _Discourse,
    *,
    order: int,
) -> EventReport:
    actor = next(p for p in parties if p.start < clause.start + clause.text.find(word))
    launched = next((p for p in parties if p.name != actor.name), None)
    in_clause = [t for t in times if clause.start <= t.start < clause.end]
    t = (in_clause or times or [None])[0] or discourse.last_date
    where = "same clause" if in_clause else "same sentence" if times else "discourse"
    return EventReport(
        kind="milestone",
        a=actor.name,
        b=launched.name if launched else None,
        a_group=actor.group,
        b_group=launched.group if launched else None,
        directed=True,
        domain="other",
        action="start",
        date=t.value if t else None,
        date_resolution=f"{where}: {t.text} → {t.value}" if t else "undated",
        trigger=word,
        sentence_index=sentence.index,
        start=sentence.start,
        end=sentence.end,
        a_surface=actor.surface,
        b_surface=launched.surface if launched else None,
        date_text=t.text if t else None,
        order=order,
        rule="launch",
        confidence=EVENT_RULES["launch"][1],
    )


# ---- merging reports of the same event -----------------------------------------------------------


def _dates_compatible(d1: str | None, d2: str | None) -> bool:
    return d1 is None or d2 is None or d1.startswith(d2) or d2.startswith(d1)


def _groups(r: EventReport) -> frozenset[str | None]:
    return frozenset((r.a_group, r.b_group))


def _same_event(r: EventReport, into: EventReport, lexicon: Lexicon) -> bool:
    """Whether report r restates the event that the earlier report `into` states (same article)."""
    if r.kind != into.kind or r.action != into.action or _groups(r) != _groups(into):
        return False
    if {r.a, r.b} == {into.a, into.b} and r.domain == into.domain and r.date == into.date:
        return True
    if r.date is None and r.domain == "other":
        return True  # 双方合作持续加深: a mention of the pair's cooperation that adds nothing
    if r.domain != into.domain or not _dates_compatible(r.date, into.date):
        return False
    if r.directed and not into.directed:
        return False  # a directed report absorbs a symmetric one instead (see merge_article_reports)
    if r.date is None:
        return True
    # 京东 与 阿里巴巴 … 中断 after 京东 停止使用 支付宝: one side is the other's group; but the members listed
    # after a group's event (阿里旗下多个应用…,包括饿了么、优酷) are events of their own
    if r.rule == "enumerated" or into.rule == "enumerated":
        return False
    agree = [x == y or x == lexicon.entities[y].group or y == lexicon.entities[x].group for x, y in _aligned(r, into)]
    if not r.directed and into.directed:
        # a symmetric report names its sides loosely (淘宝和京东将达成…合作 before 京东将会接入支付宝): one party
        # in common is enough; with none (支付宝与银联 … and 淘宝 … 云闪付) they are two events
        return any(x == y for x, y in _aligned(r, into))
    return all(agree)


def _aligned(r: EventReport, into: EventReport) -> list[tuple[str, str]]:
    if r.a_group == into.a_group:
        return [(r.a, into.a), (r.b, into.b)]
    return [(r.a, into.b), (r.b, into.a)]


def _absorbs(report: EventReport, head: EventReport, lexicon: Lexicon) -> bool:
    """A later report takes the place of an earlier one that says less: a symmetric report of the same
    event, or a cooperation of the same pair in no named domain that the later one details (双方达成战略合作。
    合作包含…,小红书笔记可直接跳转淘宝店铺)."""
    if head.domain == "other" and report.domain != "other" and _dates_compatible(head.date, report.date):
        return _groups(head) == _groups(report) and head.action == report.action and head.kind == report.kind
    return report.directed and not head.directed and _same_event(head, report, lexicon)


def _with_better_date(head: EventReport, other: EventReport) -> EventReport:
    if other.date and (head.date is None or len(other.date) > len(head.date)):
        how = f"from another report in this article (sentence {other.sentence_index + 1}): {other.date_resolution}"
        return replace(head, date=other.date, date_resolution=how, date_text=other.date_text)
    return head


def merge_article_reports(reports: list[EventReport], *, lexicon: Lexicon) -> list[EventReport]:
    """Mark each report that restates another with `merged_into` (the order of the report kept).

    A report merges into an earlier one stating the same event; a directed report (淘宝接入京东物流)
    absorbs an earlier symmetric one (淘宝和京东将达成物流…合作). The kept report takes the most precise date.
    """
    heads: dict[int, EventReport] = {}
    # Only heads of the same kind, action and groups can absorb or take a report; looking in that
    # bucket alone (in the same order) keeps an article with thousands of reports from going quadratic.
    buckets: dict[tuple, dict[int, EventReport]] = {}
    merged_into: dict[int, int] = {}
    for report in reports:
        bucket = buckets.setdefault((report.kind, report.action, _groups(report)), {})
        absorbed = next((h for h in bucket.values() if _absorbs(report, h, lexicon)), None)
        if absorbed is not None:
            del heads[absorbed.order], bucket[absorbed.order]
            merged_into[absorbed.order] = report.order
            heads[report.order] = bucket[report.order] = _with_better_date(report, absorbed)
            continue
        target = next((h for h in bucket.values() if _same_event(report, h, lexicon)), None)
        if target is None:
            heads[report.order] = bucket[report.order] = report
        else:
            merged_into[report.order] = target.order
            heads[target.order] = bucket[target.order] = _with_better_date(target, report)
    return [heads.get(r.order) or replace(r, merged_into=_final_head(r.order, merged_into)) for r in reports]


def _final_head(order: int, merged_into: dict[int, int]) -> int:
    while order in merged_into:
        order = merged_into[order]
    return order
