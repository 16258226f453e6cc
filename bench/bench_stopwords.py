"""Stopword lists compared by what they do to keyword counts: on each corpus folder, the keyword tokens
each list leaves, how many tokens and distinct terms differ from the first list's, and how many of the
corpus's top 50 keywords (and each article's top 10) stay the same.

    python bench/bench_stopwords.py jionlp=PATH/jionlp/dictionary/stopwords.txt ours=data/text/stopwords_zh.txt \\
        --corpus data/raw --corpus ../shared/corpora

Every list is used with the news list (data/text/stopwords_news.txt) on top, as the build does."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from hutong.ingest import read_corpus
from hutong.keywords import NEWS_STOPWORDS_PATH, is_keyword, load_stopwords
from hutong.lexicon import load_lexicon, make_tokenizer
from hutong.models import RawArticle
from hutong.normalise import load_boilerplate_patterns, normalise_text


def token_counts(folder: Path) -> list[Counter[str]]:
    """Each article's jieba tokens, as the build cuts them."""
    tokenizer, boilerplate = make_tokenizer(load_lexicon()), load_boilerplate_patterns()
    articles = []
    for record in read_corpus(folder):
        if isinstance(record, RawArticle):
            normalised = normalise_text(record.text, boilerplate=boilerplate)
            articles.append(Counter(tokenizer.cut("\n".join(s.text for s in normalised.sentences))))
    return articles


def keywords(tokens: Counter[str], stopwords: frozenset[str]) -> Counter[str]:
    return Counter({t: n for t, n in tokens.items() if is_keyword(t, stopwords)})


def compare(folder: Path, lists: dict[str, frozenset[str]]) -> None:
    articles = token_counts(folder)
    corpus = sum(articles, Counter())
    print(f"== {folder}: {len(articles)} articles, {corpus.total()} tokens")
    counted = {name: keywords(corpus, words) for name, words in lists.items()}
    first_name = next(iter(lists))
    first = counted[first_name]
    first_top = [t for t, _ in first.most_common(50)]
    for name, kept in counted.items():
        changed = sum(abs(kept[t] - first[t]) for t in kept.keys() | first.keys())
        top = [t for t, _ in kept.most_common(50)]
        shared = [
            len(
                {t for t, _ in keywords(a, lists[name]).most_common(10)}
                & {t for t, _ in keywords(a, lists[first_name]).most_common(10)}
            )
            / max(1, min(10, len(keywords(a, lists[first_name]))))
            for a in articles
        ]
        print(
            f"{name:8s} keyword tokens {kept.total():7d}  differing from {first_name} {changed:6d} "
            f"({changed / first.total():.1%})  terms differing {len(kept.keys() ^ first.keys()):5d}  "
            f"top-50 shared {len(set(top) & set(first_top))}/50  articles' top-10 shared {sum(shared) / len(shared):.1%}"
        )
        print(f"         top 50 only here: {[t for t in top if t not in first_top]}")
        print(f"         top 50 of {first_name} only: {[t for t in first_top if t not in top]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lists", nargs="+", help="NAME=FILE, one stopword a line; the first is the baseline")
    parser.add_argument("--corpus", type=Path, action="append", required=True, help="a folder of articles")
    args = parser.parse_args()
    news = load_stopwords(NEWS_STOPWORDS_PATH)
    lists = {"none": news}
    for item in args.lists:
        name, _, path = item.partition("=")
        lists[name] = load_stopwords(Path(path)) | news
    lists = {name: lists[name] for name in [*lists][1:] + ["none"]}  # the first list given is the baseline
    for folder in args.corpus:
        compare(folder, lists)


if __name__ == "__main__":
    main()
