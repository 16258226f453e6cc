"""A synthetic corpus for benchmarks: realistic articles re-mixed from the bundled corpus's sentences.

Each article takes 8-40 sentences of the seed articles, swaps the platform names consistently for
others from the lexicon, moves the years, gets a source and a publication time, and is written in
simplified or (30%) traditional script, as Markdown with front matter in year/month folders.
"""

from __future__ import annotations

import argparse
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import opencc

from hutong.ingest import read_corpus
from hutong.lexicon import load_lexicon
from hutong.models import RawArticle
from hutong.normalise import load_boilerplate_patterns, normalise_text
from hutong.paths import RAW_DIR

SOURCES = [
    "电商报",
    "网经社",
    "晚点LatePost",
    "21世纪经济报道",
    "界面新闻",
    "36氪",
    "财新网",
    "新浪科技",
    "华盛通",
    "虎嗅",
]
CHINA = timezone(timedelta(hours=8))
_YEAR = re.compile(r"20(1\d|2[0-5])年")


def seed_sentences() -> list[str]:
    boilerplate = load_boilerplate_patterns()
    sentences = []
    for article in read_corpus(RAW_DIR):
        if isinstance(article, RawArticle):
            normalised = normalise_text(article.text, boilerplate=boilerplate)
            sentences += [article.text[s.start : s.end] for s in normalised.sentences if len(s.text) > 8]
    return sentences


def platform_names() -> list[str]:
    lexicon = load_lexicon()
    return [e.name for e in lexicon.entities.values() if e.type in ("platform", "payment", "logistics")]


def make_article(rng: random.Random, sentences: list[str], platforms: list[str], to_traditional) -> tuple[str, str]:
    body = rng.sample(sentences, k=min(len(sentences), rng.randint(8, 40)))
    swaps = dict(zip(["京东", "淘宝", "微信", "支付宝"], rng.sample(platforms, 4)))
    shift = rng.randint(-8, 1)
    text = "\n".join(body)
    for old, new in swaps.items():
        text = text.replace(old, new)
    text = _YEAR.sub(lambda m: f"{int(m.group(0)[:4]) + shift}年", text)
    published = datetime(2017, 1, 1, tzinfo=CHINA) + timedelta(minutes=rng.randint(0, 9 * 365 * 24 * 60))
    title = f"{swaps['京东']}与{swaps['淘宝']}{rng.choice(['合作', '互联互通', '支付', '物流'])}观察"
    script = "traditional" if rng.random() < 0.3 else "simplified"
    if script == "traditional":
        text, title = to_traditional(text), to_traditional(title)
    front = (
        f'---\ntitle: "{title}"\npublished_at: {published.isoformat()}\n'
        f"source: {rng.choice(SOURCES)}\nurl: https://example.com/{rng.getrandbits(48):x}\n---\n\n"
    )
    return published.strftime("%Y/%m"), front + text + "\n"


def write_corpus(out_dir: Path, n: int, *, seed: int = 7) -> Path:
    """Write n articles under out_dir (year/month folders); returns out_dir."""
    rng = random.Random(seed)
    sentences, platforms = seed_sentences(), platform_names()
    to_traditional = opencc.OpenCC("s2t").convert
    for i in range(n):
        folder, content = make_article(rng, sentences, platforms, to_traditional)
        path = out_dir / folder / f"article-{i:06d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write_corpus(args.out, args.n)
    print(f"wrote {args.n} articles under {args.out}")


if __name__ == "__main__":
    main()
