"""Partnership events between platforms (and regulatory or company milestones), each with its evidence."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hutong.lexicon import Lexicon, Mention
from hutong.models import Sentence, TimeExpression
from hutong.paths import DATA_DIR

EVENTS_DATA_DIR = DATA_DIR / "events"
DOMAINS = ("payment", "logistics", "traffic", "storefront", "capital", "other")
ACTIONS = ("start", "end", "planned")
# Entity types that can be a party to a partnership; regulators, outlets and people cannot.
PARTY_TYPES = frozenset({"platform", "payment", "logistics", "cloud", "service", "group", "company"})
_TYPE_DOMAIN = {"payment": "payment", "logistics": "logistics"}
# A pathological article (the same sentence thousands of times) must not stall the build; real
# articles have a few dozen reports (at most 31 in 406 seen).
MAX_REPORTS_PER_ARTICLE = 1_000
_CLAUSE_BREAK = re.compile(r"[,，:：;；]")
_SECTION = re.compile(r"^在(.{1,8}?)方面")
_JOINERS = frozenset("与和跟同")  # not 、: 京东支付、云闪付、微信支付 is a list, not a pair
_SAME_CLAUSE = "same clause"
_DAY_VALUE = re.compile(r"→ \d{4}-\d{2}-\d{2}\b")


@dataclass(frozen=True)
class EventTriggers:
    """The event vocabulary from data/events/ (see its README)."""

    actions: dict[str, str]
    domains: dict[str, str]
    markers: dict[str, str]
    _by_role: dict[str, list[str]] = field(init=False, repr=False, compare=False)
    action_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    domain_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    gate_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    milestone_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    both_parties_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_role: dict[str, list[str]] = {}
        for word, role in self.markers.items():
            by_role.setdefault(role, []).append(word)
        object.__setattr__(self, "_by_role", {r: sorted(ws, key=len, reverse=True) for r, ws in by_role.items()})
        object.__setattr__(self, "action_pattern", _alternation(self.actions))
        object.__setattr__(self, "domain_pattern", _alternation(self.domains))
        # a sentence without any of these words cannot state an event
        object.__setattr__(self, "gate_pattern", _alternation([*self.actions, *self.words("milestone")]))
        object.__setattr__(self, "milestone_pattern", _alternation(self.words("milestone")))
        object.__setattr__(self, "both_parties_pattern", _alternation(self.words("both_parties")))

    def words(self, role: str) -> list[str]:
        return self._by_role.get(role, [])


def _alternation(words) -> re.Pattern[str]:
    """One pattern for any of the words, longest first; no words gives a pattern that never matches."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or r"(?!)")


def load_triggers(folder: Path = EVENTS_DATA_DIR) -> EventTriggers:
    return EventTriggers(
        actions=_read_pairs(folder / "triggers.csv", "word", "action"),
        domains=_read_pairs(folder / "domains.csv", "word", "domain"),
        markers=_read_pairs(folder / "markers.csv", "word", "role"),
    )


def _read_pairs(path: Path, key: str, value: str) -> dict[str, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row[key].strip(): row[value].strip() for row in csv.DictReader(handle) if row.get(key, "").strip()}


@dataclass(frozen=True)
class Party:
    name: str
    group: str
    start: int  # offsets into the article ("双方" gives the pair named last, at the word's position)
    end: int
    surface: str


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
)


@dataclass
class _Discourse:
    """What earlier sentences of the article established: the pair named last, the dates seen, the events."""

    last_pair: tuple[Party, Party] | None = None
    last_date: TimeExpression | None = None
    reports: list[EventReport] = field(default_factory=list)
    # The latest report by (groups, action) with a named domain, and by (groups, domain, action) with a
    # date: what the look-ups of earlier reports need, so an article with thousands of reports stays linear.
    latest_with_domain: dict[tuple, EventReport] = field(default_factory=dict)
    latest_dated: dict[tuple, EventReport] = field(default_factory=dict)

    def add(self, report: EventReport) -> None:
        """Add the article's next report; it was made with its position among them (`order`)."""
        self.reports.append(report)
        groups = frozenset((report.a_group, report.b_group))
        if report.domain != "other":
            self.latest_with_domain[(groups, report.action)] = report
        if report.date:
            self.latest_dated[(groups, report.domain, report.action)] = report


def extract_event_reports(
    sentences: Sequence[Sentence],
    *,
    mentions: Sequence[Mention],
    times: Sequence[TimeExpression],
    lexicon: Lexicon,
    triggers: EventTriggers,
) -> list[EventReport]:
    """Every event report in one article, in order, then merged where two state the same event."""
    discourse = _Discourse()
    mentions_by_sentence = _by_sentence(mentions)
    times_by_sentence = _by_sentence(times)
    for sentence in sentences:
        if len(discourse.reports) >= MAX_REPORTS_PER_ARTICLE:
            break
        s_mentions = mentions_by_sentence.get(sentence.index, [])
        s_all = times_by_sentence.get(sentence.index, [])
        s_times = [t for t in s_all if t.kind == "date" and t.value]
        if len(s_mentions) > 1 or triggers.gate_pattern.search(sentence.text):
            for report in _sentence_reports(sentence, s_mentions, s_times, s_all, lexicon, triggers, discourse):
                discourse.add(report)
        if s_times:
            discourse.last_date = s_times[-1]
    return merge_article_reports(discourse.reports, lexicon=lexicon)


def _by_sentence(items) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for item in items:
        grouped.setdefault(item.sentence_index, []).append(item)
    return grouped


# ---- one sentence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clause:
    start: int  # offsets into the article
    end: int
    text: str


def _clauses(sentence: Sentence) -> list[_Clause]:
    clauses, begin = [], 0
    for match in _CLAUSE_BREAK.finditer(sentence.text):
        clauses.append(
            _Clause(sentence.start + begin, sentence.start + match.start(), sentence.text[begin : match.start()])
        )
        begin = match.end()
    clauses.append(_Clause(sentence.start + begin, sentence.end, sentence.text[begin:]))
    return [c for c in clauses if c.text.strip()]


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
    sentence_parties = _parties(mentions, lexicon)
    pending_pairs: list[tuple[Party, Party]] = []
    section_domain = planned_sentence = masked = None  # worked out at the sentence's first trigger, if any
    # The words a clause needs for a trigger, a milestone or 双方 are looked for in the whole sentence
    # first: a sentence without them (a third of those with two names) only links the pair it names.
    text = sentence.text
    may_trigger = triggers.action_pattern.search(text) is not None
    may_be_milestone = triggers.milestone_pattern.search(text) is not None and _names_a_regulator(mentions, lexicon)
    may_refer_back = triggers.both_parties_pattern.search(text) is not None
    for clause in _clauses(sentence):
        parties = [p for p in sentence_parties if clause.start <= p.start < clause.end]
        if may_refer_back:
            parties += _anaphoric_parties(clause, triggers, discourse)
            parties.sort(key=lambda p: p.start)
        trigger = _find_trigger(clause, triggers) if may_trigger else None
        if may_be_milestone and _is_milestone(clause, mentions, lexicon, triggers):
            reports.append(
                _milestone(
                    sentence, clause, mentions, lexicon, triggers, times, discourse, order=first_order + len(reports)
                )
            )
            continue
        if trigger is None:
            joined = _joined_pairs(parties, sentence)
            if joined:
                discourse.last_pair = joined[-1]
                pending_pairs.extend(joined)
            continue
        word, action, position = trigger
        if word in triggers.words("launch") and _one_group_before(parties, position, sentence_parties):
            reports.append(_launch(sentence, clause, parties, word, times, discourse, order=first_order + len(reports)))
            continue
        pairs = _pairs_for_trigger(parties, position, sentence, sentence_parties, pending_pairs)
        if masked is None:
            section_domain = _section_domain(sentence.text, triggers)
            planned_sentence = any(w in sentence.text for w in triggers.words("planned_sentence"))
            masked = _mask_mentions(sentence, mentions)
        for a, b, directed in pairs:
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
                final_action = _final_action(action, planned, how)
                reports.append(
                    EventReport(
                        kind="partnership",
                        a=a.name,
                        b=b.name,
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
                    )
                )
            discourse.last_pair = (a, b)
    return reports


def _parties(mentions: list[Mention], lexicon: Lexicon) -> list[Party]:
    """Mentions that can be parties; 淘宝天猫 (same group, nothing or a joiner between) is one party."""
    parties: list[Party] = []
    for m in mentions:
        entity = lexicon.entities[m.entity]
        if entity.type not in PARTY_TYPES:
            continue
        if parties and parties[-1].group == entity.group and m.start - parties[-1].end <= 1:
            continue
        parties.append(Party(m.entity, entity.group, m.start, m.end, m.surface))
    return parties


def _anaphoric_parties(clause: _Clause, triggers: EventTriggers, discourse: _Discourse) -> list[Party]:
    """双方 / 两者 stand for the groups of the pair named last (淘宝 and 京东 → 阿里巴巴 and 京东)."""
    if discourse.last_pair is None:
        return []
    for word in triggers.words("both_parties"):
        index = clause.text.find(word)
        if index >= 0:
            at = clause.start + index
            a, b = discourse.last_pair
            return [
                Party(a.group, a.group, at, at + len(word), word),
                Party(b.group, b.group, at, at + len(word), word),
            ]
    return []


def _find_trigger(clause: _Clause, triggers: EventTriggers) -> tuple[str, str, int] | None:
    """The clause's trigger; an end trigger wins over a start one (合作 … 中断 ends it)."""
    found = []
    for match in triggers.action_pattern.finditer(clause.text):
        word = match.group()
        action = triggers.actions[word]
        found.append((action == "end", len(word), -match.start(), word, action, clause.start + match.start()))
    if not found:
        return None
    _, _, _, word, action, position = max(found)
    return word, action, position


def _joined_pairs(parties: list[Party], sentence: Sentence) -> list[tuple[Party, Party]]:
    """A与B pairs in a clause without a trigger, for a trigger that follows (京东与菜鸟,…,也纷纷展开合作)."""
    pairs = []
    for left, right in zip(parties, parties[1:], strict=False):
        between = sentence.text[left.end - sentence.start : right.start - sentence.start]
        if left.group != right.group and between and set(between) <= _JOINERS:
            pairs.append((left, right))
    return pairs


def _pairs_for_trigger(
    parties: list[Party],
    position: int,
    sentence: Sentence,
    sentence_parties: list[Party],
    pending_pairs: list[tuple[Party, Party]],
) -> list[tuple[Party, Party, bool]]:
    before = [p for p in parties if p.start < position]
    after = [p for p in parties if p.start >= position]
    if len(before) >= 2 and before[-1].group != before[-2].group:
        # A 与 B 合作: both named before the trigger, no direction
        return [(before[-2], before[-1], False)]
    if before and after:
        b = next((p for p in after if p.group != before[-1].group), None)
        return [(before[-1], b, True)] if b else []
    if not parties and pending_pairs:
        pairs = [(a, b, False) for a, b in pending_pairs]
        pending_pairs.clear()
        return pairs
    if len(before) == 1 and not after:
        # one party in the clause: the other is the one other group named in the same sentence
        others = {p.group: p for p in sentence_parties if p.group != before[0].group}
        if len(others) == 1:
            other = next(iter(others.values()))
            return [(before[0], other, other.start > position)]
    return []


def _mask_mentions(sentence: Sentence, mentions: list[Mention]) -> str:
    """The sentence with entity names blanked, so 商城 in 京东商城 does not name a domain."""
    chars = list(sentence.text)
    for m in mentions:
        for i in range(m.start - sentence.start, m.end - sentence.start):
            chars[i] = "□"
    return "".join(chars)


def _named_domains(text: str, triggers: EventTriggers) -> list[str]:
    named: list[str] = []
    for match in triggers.domain_pattern.finditer(text):
        domain = triggers.domains[match.group()]
        if domain not in named:
            named.append(domain)
    return named


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
) -> list[str]:
    """Domains named in the clause, else the parties' types, the section (在支付方面), a domain named
    after the clause in its sentence (用户在微信打开淘宝链接), the pair's last event with the same action,
    a domain named before the clause, or other."""
    named = _named_domains(masked_clause, triggers)
    if named:
        return named
    by_type = [_TYPE_DOMAIN[t] for t in (lexicon.entities[p.name].type for p in (a, b)) if t in _TYPE_DOMAIN]
    if by_type:
        return by_type[:1]
    if section_domain:
        return [section_domain]
    after = _nearest_domain(masked_sentence[clause_offset:], 0, triggers)
    if after:
        return [after]
    previous = _previous_report_with_domain(discourse, a, b, action=action)
    if previous:
        return [previous.domain]
    before = _nearest_domain(masked_sentence[:clause_offset], clause_offset, triggers)
    return [before or "other"]


def _previous_report_with_domain(discourse: _Discourse, a: Party, b: Party, *, action: str) -> EventReport | None:
    """The latest earlier report between the same two groups with the same action and a named domain."""
    return discourse.latest_with_domain.get((frozenset((a.group, b.group)), action))


def _previous_dated_report(
    discourse: _Discourse, a: Party, b: Party, *, domain: str, action: str
) -> EventReport | None:
    """The latest earlier dated report between the same two groups in the same domain with the same action."""
    return discourse.latest_dated.get((frozenset((a.group, b.group)), domain, action))


def _planned_before(clause: _Clause, position: int, triggers: EventTriggers) -> bool:
    head = clause.text[: position - clause.start]
    if "已" in head:
        return False
    return any(head.endswith(w) or head.endswith(w + "正式") or f"{w}" in head[-4:] for w in triggers.words("planned"))


def _final_action(action: str, planned: bool, date_how: str) -> str:
    """A planned start or end with its own exact day in the clause (将于当日正式关闭) is scheduled: it keeps its action."""
    if planned and not (date_how.startswith(_SAME_CLAUSE) and _DAY_VALUE.search(date_how)):
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
    in_clause = [t for t in times if clause.start <= t.start < clause.end]
    if in_clause:
        t = in_clause[0]
        return t.value, f"{_SAME_CLAUSE}: {t.text} → {t.value} ({t.resolution})", t.text
    if planned and times:
        t = times[0]
        return t.value, f"same sentence, when the plan was stated: {t.text} → {t.value} ({t.resolution})", t.text
    before = [t for t in times if t.start < clause.start]
    now_word = next((w for w in triggers.words("now") if w in sentence.text[: clause.end - sentence.start]), None)
    usable = [t for t in before if not now_word or t.start > sentence.start + sentence.text.find(now_word)]
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
    previous = _previous_dated_report(discourse, a, b, domain=domain, action=action)
    if previous:
        return previous.date, f"same pair's event in sentence {previous.sentence_index + 1}: {previous.date}", None
    if now_word:
        return None, f"undated: '{now_word}' refers to the time of writing", None
    last = discourse.last_date
    if last is None or not last.value:
        return None, "undated: no date in the sentence or before it", None
    after_word = next((w for w in triggers.words("after") if w in sentence.text[:6]), None)
    if after_word:
        return last.value[:4], f"'{after_word}' after {last.text} ({last.value}): year only", last.text
    return last.value, f"discourse: {last.text} → {last.value} in an earlier sentence", last.text


# ---- milestones ----------------------------------------------------------------------------------


def _names_a_regulator(mentions: list[Mention], lexicon: Lexicon) -> bool:
    return any(lexicon.entities[m.entity].type == "regulator" for m in mentions)


def _is_milestone(clause: _Clause, mentions: list[Mention], lexicon: Lexicon, triggers: EventTriggers) -> bool:
    if not any(w in clause.text for w in triggers.words("milestone")):
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
    )


# ---- merging reports of the same event -----------------------------------------------------------


def _dates_compatible(d1: str | None, d2: str | None) -> bool:
    return d1 is None or d2 is None or d1.startswith(d2) or d2.startswith(d1)


def _more_precise(d1: str | None, d2: str | None) -> str | None:
    return max((d for d in (d1, d2) if d), key=len, default=None)


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
    if r.date is None or not r.directed and into.directed:
        return True
    # 京东 与 阿里巴巴 … 中断 after 京东 停止使用 支付宝: one side is the other's group
    return all(x == y or x == lexicon.entities[y].group or y == lexicon.entities[x].group for x, y in _aligned(r, into))


def _aligned(r: EventReport, into: EventReport) -> list[tuple[str, str]]:
    if r.a_group == into.a_group:
        return [(r.a, into.a), (r.b, into.b)]
    return [(r.a, into.b), (r.b, into.a)]


def _absorbs(report: EventReport, head: EventReport, lexicon: Lexicon) -> bool:
    """A later report takes the place of an earlier one that says less: a symmetric report of the same
    event, or an undated cooperation of the same pair in no named domain (a title such as 京东与微信合作变化)."""
    if head.date is None and head.domain == "other" and report.domain != "other":
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


def article_events(reports: list[EventReport]) -> list[EventReport]:
    """The distinct events of one article: reports not merged into another."""
    return [r for r in reports if r.merged_into is None]


@dataclass(frozen=True)
class HeadReport:
    """A report that is not a restatement within its article, as the corpus-wide merge reads it."""

    doc_id: str
    report_index: int
    kind: str
    a: str
    b: str | None
    a_group: str
    b_group: str | None
    domain: str
    action: str
    date: str | None
    date_resolution: str


def timeline_group_key(r: HeadReport) -> tuple:
    """Reports can only state the same event when these agree: kind, action, domain and the two parties."""
    return r.kind, r.action, r.domain, min(r.a, r.b or ""), max(r.a, r.b or "")


def merge_timeline_group(reports: Iterable[HeadReport]) -> tuple[list[dict], list[tuple[str, int, int]]]:
    """One group's reports (same key, earliest published first) as timeline items, and each report's item.

    A report joins the first item whose date is compatible with its own (equal, or one a prefix of the
    other); an item's date is that of its earliest-published report that has one. Returns (items,
    [(doc_id, report_index, item position)]).
    """
    items: list[dict] = []
    assigned = []
    index = _ItemDates()
    for r in reports:
        position = index.first_compatible(r.date, len(items))
        if position is None:
            position = len(items)
            items.append(
                {
                    "kind": r.kind,
                    "a": r.a,
                    "b": r.b,
                    "a_group": r.a_group,
                    "b_group": r.b_group,
                    "domain": r.domain,
                    "action": r.action,
                    "date": r.date,
                    "date_resolution": r.date_resolution,
                    "first_doc_id": r.doc_id,
                    "first_report_index": r.report_index,
                }
            )
            index.add(position, r.date)
        elif items[position]["date"] is None and r.date:
            items[position]["date"], items[position]["date_resolution"] = r.date, r.date_resolution
            index.date_found(position, r.date)
        assigned.append((r.doc_id, r.report_index, position))
    return items, assigned


class _ItemDates:
    """Where a group's items are by date, so that the first item compatible with a date (_dates_compatible)
    is found in a few lookups rather than by trying every item: a group can hold thousands."""

    def __init__(self) -> None:
        self.undated: list[int] = []  # positions of the items with no date, in order
        self.dated: dict[str, int] = {}  # a date → the first item with exactly that date
        self.extending: dict[str, int] = {}  # a prefix → the first item whose date starts with it

    def first_compatible(self, date: str | None, items: int) -> int | None:
        if date is None:
            return 0 if items else None  # no date: compatible with any
        found = [self.dated.get(date[:n]) for n in range(1, len(date) + 1)]
        found += [self.extending.get(date), self.undated[0] if self.undated else None]
        return min((p for p in found if p is not None), default=None)

    def add(self, position: int, date: str | None) -> None:
        if date is None:
            self.undated.append(position)
            return
        _keep_first(self.dated, date, position)
        for n in range(1, len(date) + 1):
            _keep_first(self.extending, date[:n], position)

    def date_found(self, position: int, date: str) -> None:
        self.undated.remove(position)
        self.add(position, date)


def _keep_first(first: dict[str, int], key: str, position: int) -> None:
    if key not in first or position < first[key]:
        first[key] = position
