"""Shared fixtures: processed stores built once per test session (the seed corpus, a tiny one and a synthetic one
of 160 articles), and for the tests marked `browser` the page served by `streamlit run app.py` and headless
Chromium to load it in."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hutong.lexicon import load_lexicon
from hutong.paths import RAW_DIR
from hutong.pipeline import build_store
from hutong.queries import filters

REPO = Path(__file__).resolve().parents[1]

# Four short articles: three dated a month apart (so trends have buckets), one undated, one with markup
# that must never reach the page as markup, and one with a link that must never become a link.
TINY_ARTICLES = [
    {
        "title": "淘宝接入微信支付",
        "source": "测试日报",
        "url": "https://example.com/a",
        "published_at": "2025-01-06T09:00:00+08:00",
        "text": "2025年1月5日，淘宝正式接入微信支付。\n这是阿里巴巴和腾讯互联互通的一步，支付壁垒正在消除。",
    },
    {
        "title": "京东物流与菜鸟合作",
        "source": "测试晚报",
        "url": "javascript:alert(1)",
        "published_at": "2025-02-10T09:00:00+08:00",
        "text": "<script>alert('x')</script>\n2025年2月8日，京东物流正式接入菜鸟驿站。\n物流互联互通加速，物流成本下降。",
    },
    {
        "title": "微信关闭京东入口",
        "source": "测试日报",
        "url": "https://example.com/c",
        "published_at": "2025-03-20T09:00:00+08:00",
        "text": "3月18日，微信关闭京东购物一级入口，流量合作结束。\n流量入口的变化引起关注，流量格局重塑。",
    },
    {"title": "没有日期的文章", "source": "测试晚报", "text": "抖音宣布与支付宝展开合作，支付体验改善。"},
]


# Six articles in both scripts over two months (and one undated), for the shares, the comparisons, the
# concordance and the export: 流量 five times in February (twice simplified, three times traditional), 京东/京東
# in four dated articles, Alipay in two letter cases.
SCRIPT_ARTICLES = [
    {
        "title": "支付宝接入淘宝",
        "source": "测试日报",
        "url": "https://example.com/s1",
        "published_at": "2025-01-10T08:30:00+08:00",
        "text": "支付宝正式接入淘宝。\n淘宝的支付互通之后，支付体验明显提升。",
    },
    {
        "title": "微信支付與京東合作",
        "source": "測試週報",
        "url": "https://example.com/t2",
        "published_at": "2025-01-20T10:00:00+08:00",
        "text": "微信支付與京東宣布合作。\n京東物流也接入了微信支付。",
    },
    {
        "title": "流量合作结束",
        "source": "测试日报",
        "url": "https://example.com/s3",
        "published_at": "2025-02-05T09:15:00+08:00",
        "text": "流量开放成为行业共识。\n京东与微信的流量合作宣告结束。",
    },
    {
        "title": "京東尋找新的流量",
        "source": "測試週報",
        "url": "https://example.com/t4",
        "published_at": "2025-02-15T00:00:00+08:00",
        "text": "流量入口關閉以後，京東開始尋找新的流量。\n支付寶也在開放流量。",
    },
    {
        "title": "抖音电商接入支付宝",
        "source": "测试日报",
        "url": "https://example.com/s5",
        "published_at": "2025-02-25T16:45:00+08:00",
        "text": "抖音电商接入支付宝，海外用户熟悉的 Alipay 也能使用。\n有人把它写成 alipay。",
    },
    {"title": "京东物流宣布开放", "source": "测试晚报", "text": "京东物流宣布向其他平台开放。"},
]


def build_jsonl_store(folder: Path, articles: list[dict]) -> Path:
    raw = folder / "raw"
    raw.mkdir()
    lines = (json.dumps(article, ensure_ascii=False) for article in articles)
    (raw / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / "store"
    build_store(raw, out, workers=1)
    return out


@pytest.fixture(scope="session")
def scripts_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SCRIPT_ARTICLES, as one jsonl file, processed into a store."""
    return build_jsonl_store(tmp_path_factory.mktemp("scripts"), SCRIPT_ARTICLES)


@pytest.fixture(scope="module")
def scripts(scripts_store):
    con = filters.connect(scripts_store)
    yield con
    con.close()


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


SYNTHETIC_ARTICLES = 160


def _synthetic_corpus_module():
    """bench/corpus.py, which re-mixes the bundled seed articles into a larger corpus (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location("hutong_bench_corpus", REPO / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC_ARTICLES articles re-mixed from the seed articles by bench/corpus.py (fixed seed, so the same
    corpus every run), processed into a store: a corpus of 150+ articles that needs nothing outside the repo."""
    folder = tmp_path_factory.mktemp("synthetic")
    raw = _synthetic_corpus_module().write_corpus(folder / "raw", SYNTHETIC_ARTICLES)
    out = folder / "store"
    build_store(raw, out, workers=1)
    return out


# ---- the page in a real browser -------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SERVER_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"the browser test needs Debian's chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    return CHROMIUM


@pytest.fixture(scope="module")
def serve_app(chromium, tmp_path_factory) -> Iterator[Callable[[Path], str]]:
    """serve_app(store) runs `streamlit run app.py` showing that store on a free local port and returns its
    address; every server started is stopped at the end of the module, and must not have logged a traceback."""
    started: list[tuple[subprocess.Popen, Path]] = []

    def serve(store: Path) -> str:
        port = free_port()
        log = tmp_path_factory.mktemp("server") / "streamlit.log"
        env = {**os.environ, "HUTONG_STORE_DIR": str(store)}
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ]
        with log.open("w") as out:
            process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        started.append((process, log))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return url
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not answer within {SERVER_TIMEOUT_S} s:\n{log.read_text()}")
                time.sleep(0.5)

    yield serve
    for process, _ in started:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for _, log in started:
        assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    yield context.new_page()
    context.close()


# ---- connections to the stores, and the lexicon, for the query tests ----------------------------------------


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.fixture(scope="module")
def groups(lexicon) -> dict[str, str]:
    return {name: entity.group for name, entity in lexicon.entities.items()}


@pytest.fixture(scope="module")
def seed(seed_store):
    """An in-memory DuckDB connection with a view per table of the seed store."""
    con = filters.connect(seed_store)
    yield con
    con.close()


@pytest.fixture(scope="module")
def tiny(tiny_store):
    con = filters.connect(tiny_store)
    yield con
    con.close()


@pytest.fixture(params=["seed", "tiny"])
def con(request, seed, tiny):
    return {"seed": seed, "tiny": tiny}[request.param]
