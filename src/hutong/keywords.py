"""Keyword counts per article: jieba tokens minus stopwords, numbers and punctuation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from hutong.models import Sentence
from hutong.paths import DATA_DIR

GENERAL_STOPWORDS_PATH = DATA_DIR / "text" / "stopwords_zh.txt"
NEWS_STOPWORDS_PATH = DATA_DIR / "text" / "stopwords_news.txt"

_HAS_WORD_CHAR = re.compile(r"[\u3400-\u9fffA-Za-z]")
_NUMBER_LIKE = re.compile(r"^[\d０-９.,%％+\-]+[%％倍万亿千百元个]?$|^[零一二三四五六七八九十百千万亿两]+$")


@dataclass(frozen=True)
class TermCounts:
    counts: Counter[str]
    tokens: int  # word tokens in the article (punctuation and spaces excluded), the trend denominator


def load_stopwords(*paths: Path) -> frozenset[str]:
    """Stopwords from the project's general Chinese list and its news list (or the files given)."""
    words: set[str] = set()
    for path in paths or (GENERAL_STOPWORDS_PATH, NEWS_STOPWORDS_PATH):
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.strip()
            if word and not word.startswith("#"):
                words.add(word.lower())
    return frozenset(words)


def is_keyword(token: str, stopwords: frozenset[str]) -> bool:
    """A token worth counting: a word of two or more characters that is not a stopword or a number."""
    if len(token) < 2 or not _HAS_WORD_CHAR.search(token):
        return False
    if _NUMBER_LIKE.match(token):
        return False
    return token.lower() not in stopwords


def count_terms(sentences: Iterable[Sentence], *, tokenizer: jieba.Tokenizer, stopwords: frozenset[str]) -> TermCounts:
    # One cut over the sentences joined by newlines: jieba never joins across a newline, and one call
    # costs far less than one per sentence.
    raw = Counter(tokenizer.cut("\n".join(s.text for s in sentences)))
    counts: dict[str, int] = {}  # (a dict while counting: a Counter's own += on a new key costs a call more)
    tokens = 0
    for token, n in raw.items():
        is_word, term = _term_of(token, stopwords)
        tokens += n * is_word
        if term:
            counts[term] = counts.get(term, 0) + n
    return TermCounts(counts=Counter(counts), tokens=tokens)


@lru_cache(maxsize=500_000)
def _term_of(token: str, stopwords: frozenset[str]) -> tuple[bool, str | None]:
    """(whether the token is a word, counted in the denominator; the keyword it counts as, if any).
    Cached: a corpus repeats the same few hundred thousand tokens, and the frozenset hashes once."""
    if not token.strip() or not _HAS_WORD_CHAR.search(token) and not token[0].isdigit():
        return False, None
    if not is_keyword(token, stopwords):
        return True, None
    return True, token.lower() if token.isascii() else token
