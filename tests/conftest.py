"""Shared fixtures: processed stores built once per test session (the seed corpus and a tiny one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hutong.paths import RAW_DIR
from hutong.pipeline import build_store

# Four short articles: three dated a month apart (so trends have buckets), one undated, one with markup
# that must never reach the page as markup, and one with a link that must never become a link.
TINY_ARTICLES = [
    {"title": "淘宝接入微信支付", "source": "测试日报", "url": "https://example.com/a",
     "published_at": "2025-01-06T09:00:00+08:00",
     "text": "2025年1月5日，淘宝正式接入微信支付。\n这是阿里巴巴和腾讯互联互通的一步，支付壁垒正在消除。"},
    {"title": "京东物流与菜鸟合作", "source": "测试晚报", "url": "javascript:alert(1)",
     "published_at": "2025-02-10T09:00:00+08:00",
     "text": "<script>alert('x')</script>\n2025年2月8日，京东物流正式接入菜鸟驿站。\n物流互联互通加速，物流成本下降。"},
    {"title": "微信关闭京东入口", "source": "测试日报", "url": "https://example.com/c",
     "published_at": "2025-03-20T09:00:00+08:00",
     "text": "3月18日，微信关闭京东购物一级入口，流量合作结束。\n流量入口的变化引起关注，流量格局重塑。"},
    {"title": "没有日期的文章", "source": "测试晚报", "text": "抖音宣布与支付宝展开合作，支付体验改善。"},
]


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus (data/raw: two seed articles) processed into a store in a temporary folder."""
    out = tmp_path_factory.mktemp("seed") / "store"
    build_store(RAW_DIR, out, workers=1)
    return out


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TINY_ARTICLES, as one jsonl file, processed into a store."""
    folder = tmp_path_factory.mktemp("tiny")
    raw = folder / "raw"
    raw.mkdir()
    lines = (json.dumps(article, ensure_ascii=False) for article in TINY_ARTICLES)
    (raw / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / "store"
    build_store(raw, out, workers=1)
    return out
