"""The curated entity lexicon: loading it, a jieba tokenizer that keeps its names whole, and mention finding."""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import jieba

from hutong.models import Sentence
from hutong.normalise import to_simplified
from hutong.paths import LEXICON_PATH, NOT_ENTITIES_PATH

CONTEXT_GUARDS_PATH = NOT_ENTITIES_PATH.parent / "context_guards.tsv"
GUARD_RULES = ("block_before", "block_after", "need_before", "need_after")
# How far back a before-rule looks; the longest pattern in context_guards.tsv is well within it.
_GUARD_WINDOW = 16

ENTITY_TYPES = frozenset(
    {"platform", "payment", "logistics", "cloud", "service", "unit", "group", "regulator", "media", "company", "person"}
)
_JIEBA_TAG = {"person": "nr", "regulator": "nt", "group": "nt", "company": "nt", "media": "nt"}
_USER_WORD_FREQ = 200_000
# ASCII upper → lower, nothing else, so lowered text keeps every offset.
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """text with A-Z lowered and every other character as it is, so offsets hold (str.lower would change
    the length of İ). On the UTF-8 bytes: no other character's bytes fall in A-Z, and it is ten times
    faster than str.translate."""
    return text.encode("utf-8", "surrogatepass").translate(_ASCII_LOWER).decode("utf-8", "surrogatepass")


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names the file, the row and the problem."""


@dataclass(frozen=True)
class Entity:
    name: str  # canonical simplified name, e.g. 京东
    name_en: str
    type: str
    group: str  # canonical name of its top-level group (itself for a group)
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ContextGuard:
    """When a surface that is also an ordinary word names its entity, from the text around it."""

    block_before: re.Pattern[str] | None = None
    block_after: re.Pattern[str] | None = None
    need_before: re.Pattern[str] | None = None
    need_after: re.Pattern[str] | None = None

    def allows(self, text: str, start: int, end: int) -> bool:
        window = max(0, start - _GUARD_WINDOW)
        if self.block_before and self.block_before.search(text, window, start):
            return False
        if self.block_after and self.block_after.match(text, end):
            return False
        if self.need_before is None and self.need_after is None:
            return True
        return bool(self.need_before and self.need_before.search(text, window, start)) or bool(
            self.need_after and self.need_after.match(text, end)
        )


@dataclass(frozen=True)
class Mention:
    entity: str
    sentence_index: int
    start: int  # offsets into the article text
    end: int
    surface: str  # the matched text in simplified script


class Lexicon:
    """Entities by canonical name, and every surface form (simplified, lower-cased ASCII) that names one."""

    def __init__(
        self,
        entities: Iterable[Entity],
        *,
        not_entities: Iterable[str] = (),
        guards: dict[str, ContextGuard] | None = None,
    ):
        self.entities: dict[str, Entity] = {e.name: e for e in entities}
        self.not_entities = frozenset(surface_key(s) for s in not_entities)
        self.guards: dict[str, ContextGuard] = {surface_key(s): g for s, g in (guards or {}).items()}
        self.surface_to_entity: dict[str, str] = {}
        for entity in self.entities.values():
            for surface in (entity.name, *entity.aliases):
                key = surface_key(surface)
                if len(key) >= 2:
                    self.surface_to_entity.setdefault(key, entity.name)
        self._automaton = _build_automaton(self.surface_to_entity, blockers=self.not_entities)

    def group_of(self, name: str) -> str:
        return self.entities[name].group

    def members_of(self, group: str) -> list[str]:
        """The entities rolled up under a group (阿里巴巴 → 淘宝, 天猫, 支付宝, 菜鸟 …), the group included."""
        return [e.name for e in self.entities.values() if e.group == group or e.name == group]

    def find_mentions(self, text: str, *, offset: int = 0, sentence_index: int = -1) -> list[Mention]:
        """Longest non-overlapping lexicon matches in simplified text (京东物流 is not also 京东)."""
        lowered = ascii_lower(text)
        return [
            Mention(entity, sentence_index, offset + start, offset + end, text[start:end])
            for start, end, entity in self._spans(text, lowered, 0, len(text))
        ]

    def _spans(self, text: str, lowered: str, lo: int, hi: int) -> Iterator[tuple[int, int, str]]:
        # iter_long: leftmost-longest, non-overlapping (measured faster than iter + our own selection)
        for end_index, (surface, entity) in self._automaton.iter_long(lowered, lo, hi):
            start, end = end_index - len(surface) + 1, end_index + 1
            if entity is None:  # a listed non-entity (北京东路) covers the name inside it
                continue
            if surface.isascii() and not _ascii_word_bounded(lowered, start, end):
                continue
            guard = self.guards.get(surface)
            if guard is not None and not guard.allows(text, start, end):
                # 苹果支付 in 向苹果支付约200亿美元 is not Apple Pay, but the 苹果 inside it is still Apple
                yield from self._spans(text, lowered, start, end - 1)
                continue
            yield start, end, entity

    def mentions_in_sentences(self, simplified: str, sentences: Sequence[Sentence]) -> list[Mention]:
        """Mentions in an article's sentences, found in one pass over the whole text."""
        starts = [s.start for s in sentences]
        found = []
        # spans straight from the matcher: one Mention per name, made once with its sentence
        for start, end, entity in self._spans(simplified, ascii_lower(simplified), 0, len(simplified)):
            i = bisect_right(starts, start) - 1
            if i >= 0 and end <= sentences[i].end:
                found.append(Mention(entity, sentences[i].index, start, end, simplified[start:end]))
        return found

    def jieba_user_dictionary(self) -> str:
        """The lexicon as a jieba user dictionary ("word freq tag" lines), Chinese surface forms only.

        Guarded surfaces (小米, 和包, 中行 …) are left to jieba's own dictionary: forced whole, they
        would split ordinary words around them (和包括 → 和包 括) wherever they occur.
        """
        lines = []
        for surface, name in sorted(self.surface_to_entity.items()):
            if not surface.isascii() and " " not in surface and surface not in self.guards:
                tag = _JIEBA_TAG.get(self.entities[name].type, "nz")
                lines.append(f"{surface} {_USER_WORD_FREQ} {tag}")
        return "\n".join(lines) + "\n"


def surface_key(surface: str) -> str:
    return ascii_lower(to_simplified(surface.strip()))


def _ascii_word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def _build_automaton(surface_to_entity: dict[str, str], *, blockers: Iterable[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for surface in blockers:
        automaton.add_word(surface, (surface, None))
    for surface, entity in surface_to_entity.items():
        automaton.add_word(surface, (surface, entity))
    automaton.make_automaton()
    return automaton


def load_lexicon(
    path: Path = LEXICON_PATH,
    *,
    not_entities_path: Path = NOT_ENTITIES_PATH,
    guards_path: Path = CONTEXT_GUARDS_PATH,
) -> Lexicon:
    """Read the entity CSV (name, name_en, type, group, aliases separated by |) and check it."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    entities = [_entity_from_row(row, path=path, line=i + 2) for i, row in enumerate(rows)]
    names = {e.name for e in entities}
    for i, entity in enumerate(entities):
        if entity.group not in names:
            raise LexiconError(f"{path}: line {i + 2}: group '{entity.group}' is not an entity name in the file")
    return Lexicon(entities, not_entities=_read_word_list(not_entities_path), guards=load_context_guards(guards_path))


def load_context_guards(path: Path = CONTEXT_GUARDS_PATH) -> dict[str, ContextGuard]:
    """Read context_guards.tsv (surfaces, rule, regex); patterns of one rule for one surface are alternatives."""
    patterns: dict[str, dict[str, list[str]]] = {}
    for line_number, line in enumerate(_read_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or fields[1] not in GUARD_RULES:
            raise LexiconError(
                f"{path}: line {line_number}: expected 'surfaces<TAB>rule<TAB>pattern' with a rule from {GUARD_RULES}"
            )
        surfaces, rule, pattern = fields
        try:
            re.compile(pattern)
        except re.error as error:
            raise LexiconError(f"{path}: line {line_number}: bad pattern: {error}") from None
        for surface in surfaces.split("|"):
            patterns.setdefault(surface.strip(), {}).setdefault(rule, []).append(pattern)
    return {surface: _guard(rules) for surface, rules in patterns.items()}


def _guard(rules: dict[str, list[str]]) -> ContextGuard:
    def compiled(rule: str) -> re.Pattern[str] | None:
        if rule not in rules:
            return None
        either = "|".join(f"(?:{p})" for p in rules[rule])
        return re.compile(f"(?:{either})$" if rule.endswith("_before") else either, re.IGNORECASE)

    return ContextGuard(**{rule: compiled(rule) for rule in GUARD_RULES})


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _read_word_list(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _entity_from_row(row: dict[str, str], *, path: Path, line: int) -> Entity:
    name = (row.get("name") or "").strip()
    entity_type = (row.get("type") or "").strip()
    if not name:
        raise LexiconError(f"{path}: line {line}: empty name")
    if entity_type not in ENTITY_TYPES:
        raise LexiconError(f"{path}: line {line}: type '{entity_type}' is not one of {sorted(ENTITY_TYPES)}")
    aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
    return Entity(
        name=name,
        name_en=(row.get("name_en") or "").strip(),
        type=entity_type,
        group=(row.get("group") or "").strip() or name,
        aliases=aliases,
    )


SEGMENTERS = ("jieba", "jieba-next")


def make_tokenizer(lexicon: Lexicon, *, segmenter: str = "jieba") -> jieba.Tokenizer:
    """A fresh Tokenizer with the lexicon as user dictionary; the global jieba.dt is never touched.

    `segmenter` "jieba-next" uses jieba-next's drop-in Tokenizer (Rust speedups; it agreed with jieba
    on every token in bench/bench_segmenters.py). jieba is the default.
    """
    if segmenter not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {segmenter!r}: choose one of {', '.join(SEGMENTERS)}")
    if segmenter == "jieba-next":
        try:
            import jieba_next
        except ImportError:
            raise ValueError("segmenter jieba-next is not installed: pip install jieba-next") from None
        tokenizer = jieba_next.Tokenizer()
    else:
        tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(io.StringIO(lexicon.jieba_user_dictionary()))
    return tokenizer
