"""Normalise an article for analysis: simplified script, boilerplate lines dropped, sentences with offsets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import opencc

from hutong.models import Sentence
from hutong.paths import DATA_DIR

BOILERPLATE_PATH = DATA_DIR / "text" / "boilerplate.txt"

# A sentence ends at one of these, plus any closing quotes or brackets that follow it.
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)\"']*")
# Longer runs without sentence-ending punctuation (a page with none, a pasted table) are cut into
# pieces of at most this many characters, so the work per sentence in every later step stays bounded.
MAX_SENTENCE_CHARS = 1_000
# Where a long run is best cut: after a clause break or a space in the latter half of the piece.
_SOFT_BREAKS = "，,、：:；; \t\u3000"


@dataclass(frozen=True)
class NormalisedText:
    """An article's text ready for analysis.

    `simplified` has the same length as the original, so offsets are shared; `sentences` cover
    only the lines that are not boilerplate.
    """

    simplified: str
    sentences: list[Sentence]
    script: str  # "simplified" or "traditional"
    content_hash: str
    boilerplate_lines: int


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified with OpenCC, keeping the length so offsets into the original hold."""
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase conversion changed the length somewhere: fall back line by line, then char by char.
    lines = []
    for line in text.split("\n"):
        line_converted = _converter().convert(line)
        if len(line_converted) != len(line):
            line_converted = "".join(c if len(c := _converter().convert(ch)) == 1 else ch for ch in line)
        lines.append(line_converted)
    return "\n".join(lines)


def detect_script(original: str, simplified: str) -> str:
    """Traditional when more than 2% of the Han characters change under OpenCC's t2s."""
    if simplified == original:
        return "simplified"
    # both as arrays of code points (t2s keeps the length), compared and counted in numpy, not char by char
    before = np.frombuffer(original.encode("utf-32-le"), dtype=np.uint32)
    after = np.frombuffer(simplified.encode("utf-32-le"), dtype=np.uint32)
    han = int(np.count_nonzero((before >= 0x3400) & (before <= 0x9FFF)))
    if han == 0:
        return "simplified"
    changed = int(np.count_nonzero(before != after))
    return "traditional" if changed / han > 0.02 else "simplified"


def load_boilerplate_patterns(path: Path = BOILERPLATE_PATH) -> re.Pattern[str]:
    """One regular expression from the page-furniture patterns, one per line, in data/text/boilerplate.txt."""
    patterns = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            try:
                re.compile(stripped)
            except re.error as error:
                raise ValueError(f"{path}: line {number}: not a valid regular expression ({error})") from None
            patterns.append(f"(?:{stripped})")
    return re.compile("|".join(patterns) or r"(?!)")


def is_boilerplate(line: str, patterns: re.Pattern[str]) -> bool:
    return patterns.fullmatch(line.strip()) is not None


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for line in text.split("\n"):
        yield start, start + len(line)
        start += len(line) + 1


def split_sentences(
    simplified: str, spans: Iterable[tuple[int, int]], *, max_chars: int = MAX_SENTENCE_CHARS
) -> list[Sentence]:
    """Sentences within the given line spans, trimmed of surrounding spaces, with article offsets.

    A sentence longer than max_chars is cut into pieces of at most max_chars characters.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    sentences: list[Sentence] = []
    for line_start, line_end in spans:
        line = simplified[line_start:line_end]
        piece_start = 0
        for match in _SENTENCE_END.finditer(line):
            _append_capped(sentences, simplified, line_start + piece_start, line_start + match.end(), max_chars)
            piece_start = match.end()
        _append_capped(sentences, simplified, line_start + piece_start, line_end, max_chars)
    return sentences


def _append_capped(sentences: list[Sentence], text: str, start: int, end: int, max_chars: int) -> None:
    while end - start > max_chars:
        cut = _cut_point(text, start, start + max_chars)
        _append_trimmed(sentences, text, start, cut)
        start = cut
    _append_trimmed(sentences, text, start, end)


def _cut_point(text: str, start: int, limit: int) -> int:
    """Just after the last soft break in the latter half of text[start:limit], else limit itself."""
    floor = start + (limit - start) // 2
    best = max(text.rfind(char, floor, limit) for char in _SOFT_BREAKS)
    return best + 1 if best >= floor else limit


def _append_trimmed(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        sentences.append(Sentence(index=len(sentences), start=start, end=end, text=text[start:end]))


def paragraph_numbers(sentences: Sequence[Sentence], text: str | None) -> list[int]:
    """Each sentence's paragraph number: a new paragraph starts after a line break between two sentences.
    Without the text, the article is one paragraph."""
    if text is None:
        return [0] * len(sentences)
    out, number, prev_end = [], 0, None
    for s in sentences:
        if prev_end is not None and "\n" in text[prev_end : s.start]:
            number += 1
        out.append(number)
        prev_end = s.end
    return out


def content_hash(sentences: Iterable[Sentence]) -> str:
    """Hash of the analysed text, whitespace ignored: the same article in either script hashes alike."""
    joined = "".join(sentence.text for sentence in sentences)
    without_whitespace = "".join(joined.split())  # (str.split: a regular expression's sub is slower)
    return hashlib.sha256(without_whitespace.encode("utf-8")).hexdigest()


def normalise_text(original: str, *, boilerplate: re.Pattern[str]) -> NormalisedText:
    simplified = to_simplified(original)
    kept, dropped = [], 0
    for start, end in _line_spans(simplified):
        if is_boilerplate(simplified[start:end], boilerplate):
            dropped += 1
        else:
            kept.append((start, end))
    sentences = split_sentences(simplified, kept)
    return NormalisedText(
        simplified=simplified,
        sentences=sentences,
        script=detect_script(original, simplified),
        content_hash=content_hash(sentences),
        boilerplate_lines=dropped,
    )
