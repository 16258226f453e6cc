"""Segmenter choice: jieba against jieba-next (Rust speedups) on the same texts, with the project's
user dictionary: speed, and agreement of the tokens (character spans) with jieba's."""

from __future__ import annotations

import argparse
import io
import logging
import sys
import time
from pathlib import Path

import jieba

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402
from machine import describe_machine  # noqa: E402

from hutong.ingest import read_corpus  # noqa: E402
from hutong.lexicon import load_lexicon  # noqa: E402
from hutong.models import RawArticle  # noqa: E402
from hutong.normalise import to_simplified  # noqa: E402
from hutong.paths import RAW_DIR  # noqa: E402


def texts_of(folder: Path) -> list[str]:
    return [to_simplified(r.text) for r in read_corpus(folder) if isinstance(r, RawArticle)]


def spans(tokens: list[str]) -> set[tuple[int, int]]:
    out, at = set(), 0
    for token in tokens:
        out.add((at, at + len(token)))
        at += len(token)
    return out


def measure(tokenizer, texts: list[str], repeat: int) -> tuple[float, list[list[str]]]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = [tokenizer.lcut(t) for t in texts]
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="synthetic articles besides the bundled corpus")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        import jieba_next
    except ImportError:
        sys.exit("jieba-next is not installed: pip install -r bench/requirements.txt")
    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba_next").setLevel(logging.WARNING)
    userdict = load_lexicon().jieba_user_dictionary()
    ours = jieba.Tokenizer()
    ours.load_userdict(io.StringIO(userdict))
    theirs = jieba_next.Tokenizer()
    theirs.load_userdict(io.StringIO(userdict))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        corpora = {
            "bundled (data/raw)": texts_of(RAW_DIR),
            f"synthetic ({args.n} articles)": texts_of(write_corpus(Path(tmp), args.n)),
        }
    print(f"machine: {describe_machine()}")
    print("| corpus | characters | jieba s | jieba-next s | speed-up | token agreement |")
    print("|---|---|---|---|---|---|")
    for name, texts in corpora.items():
        t_jieba, tokens_jieba = measure(ours, texts, args.repeat)
        t_next, tokens_next = measure(theirs, texts, args.repeat)
        same = sum(len(spans(a) & spans(b)) for a, b in zip(tokens_jieba, tokens_next))
        total = sum(len(a) for a in tokens_jieba)
        print(
            f"| {name} | {sum(map(len, texts)):,} | {t_jieba:.3f} | {t_next:.3f} | "
            f"{t_jieba / t_next:.2f}× | {same / total:.4%} |"
        )


if __name__ == "__main__":
    main()
