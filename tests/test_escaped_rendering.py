"""Hostile articles in a real browser: markup and javascript: links in an article's title, source, address and
text, and in a term typed into the URL, are shown as text in every view of the page; nothing runs, opens a
dialog or links to javascript:. Served and driven like tests/test_browser.py (fixtures in conftest.py)."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from hutong.pipeline import build_store
from hutong.queries import articles as article_queries
from hutong.queries import filters
from hutong.queries import timeline as timeline_queries

pytestmark = pytest.mark.browser

TIMEOUT_S = 90
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
IFRAME = '<iframe src="javascript:alert(3)"></iframe>'
MD_LINK = "[点我](javascript:alert(4))"
RAW_LINK = '<a href="javascript:alert(5)">链接</a>'
JS_URL = "javascript:alert(6)"


@dataclass(frozen=True)
class Hostile:
    """One input file, and the hostile strings its article and its event's evidence must show as text."""

    name: str
    content: str
    day: str  # its publication day, as in content
    title: str
    source: str | None
    in_text: tuple[str, ...]
    in_evidence: tuple[str, ...]
    term: str  # typed into the URL; its sentences in this article's week are opened
    in_reader: tuple[str, ...] = ()  # what the reader shows of in_text when it differs (Markdown read as text)


ARTICLES = {
    "script": Hostile(
        "script.md",
        f"---\ntitle: 京东接入支付宝{SCRIPT}\npublished_at: 2024-10-30T09:00:00+08:00\nsource: {IMG}日报\nurl: {JS_URL}\n---\n"
        f"2024年10月29日，京东宣布{SCRIPT}接入支付宝支付。\n京东与支付宝合作，{IMG}支付壁垒正在消除。\n",
        day="2024-10-30",
        title=f"京东接入支付宝{SCRIPT}",
        source=f"{IMG}日报",
        in_text=(SCRIPT, IMG),
        in_evidence=(SCRIPT,),
        term=SCRIPT,
    ),
    "links": Hostile(
        "links.md",
        f"---\ntitle: '{MD_LINK} 淘宝开通微信支付'\npublished_at: 2025-01-06T09:00:00+08:00\nsource: {IFRAME}晚报\n"
        f"url: https://example.com/links\n---\n"
        f"2025年1月5日，淘宝正式接入微信支付{MD_LINK}，{RAW_LINK}支付体验改善。\n淘宝和微信互联互通，{IFRAME}支付壁垒正在消除。\n",
        day="2025-01-06",
        title=f"{MD_LINK} 淘宝开通微信支付",
        source=f"{IFRAME}晚报",
        in_text=(MD_LINK, RAW_LINK, IFRAME),
        in_evidence=(MD_LINK, RAW_LINK),
        term=MD_LINK,
        in_reader=(f"微信支付点我，{RAW_LINK}", IFRAME),  # a Markdown article's link reads as its label, no link
    ),
    # trafilatura drops the page's own <script>, <img> and link targets and keeps escaped markup as text
    "html": Hostile(
        "page.html",
        '<!doctype html><html><head><meta charset="utf-8"><title>菜鸟</title>'
        '<meta property="article:published_time" content="2025-02-10T09:00:00+08:00"></head>'
        f"<body><article><h1>菜鸟接入京东物流{html.escape(SCRIPT)}</h1>"
        f"<p>2025年2月8日，京东物流{html.escape(IMG)}正式接入菜鸟驿站，物流互联互通加速。{SCRIPT}{IMG}</p>"
        f"<p>菜鸟与京东物流合作，{RAW_LINK}{html.escape(IFRAME)}物流成本下降，双方表示将继续深化合作。</p>"
        "</article></body></html>",
        day="2025-02-10",
        title=f"菜鸟接入京东物流{SCRIPT}",
        source=None,
        in_text=(SCRIPT, IMG, IFRAME),
        in_evidence=(IMG,),
        term=IFRAME,
    ),
}

# Recorded by the page itself, as a second detector beside Playwright's dialog event.
WATCH_ALERTS_JS = """window.__hutongAlerts = [];
for (const name of ['alert', 'confirm', 'prompt']) window[name] = m => { window.__hutongAlerts.push(String(m)); };"""
# Everything in one frame's DOM (HTML and SVG) that could run or link to script.
OFFENCES_JS = r"""() => {
    const bad = [];
    for (const el of document.querySelectorAll('*')) {
        const tag = el.tagName.toLowerCase();
        if (tag === 'script' && el.textContent.includes('alert(')) bad.push('script: ' + el.textContent.slice(0, 80));
        if (['iframe', 'frame', 'object', 'embed'].includes(tag)) bad.push(tag + ': ' + el.outerHTML.slice(0, 80));
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase();
            if (name.startsWith('on') && attr.value.includes('alert(')) bad.push(`${tag}[${name}]`);
            if (['href', 'xlink:href', 'src', 'action', 'formaction'].includes(name)
                && attr.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase().startsWith('javascript:')) {
                bad.push(`${tag}[${name}=${attr.value}]`);
            }
        }
    }
    return bad;
}"""
# Glide data grid draws the reader's table on a canvas; its accessible copy of the cells is what a test can read.
GRID_CELLS_JS = """el => [...el.querySelectorAll('td, [role=gridcell]')].map(c => c.textContent)"""
TREND_POINTS_JS = (
    """el => el.querySelector('.js-plotly-plot').data.map(t => (t.customdata || []).map(c => [c[0], c[1]]))"""
)


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory) -> Path:
    """ARTICLES, one file each, processed into a store."""
    folder = tmp_path_factory.mktemp("hostile")
    raw = folder / "raw"
    raw.mkdir()
    for article in ARTICLES.values():
        (raw / article.name).write_text(article.content, encoding="utf-8")
    build_store(raw, folder / "store", workers=1)
    return folder / "store"


@pytest.fixture(scope="module")
def ids(hostile_store) -> dict[str, tuple[str, str]]:
    """Per hostile article: its doc_id, and an event whose evidence sentence carries its hostile strings."""
    con = filters.connect(hostile_store)
    try:
        articles = article_queries.articles(con, filt=filters.NO_FILTER)
        reports = timeline_queries.event_reports(
            con, event_ids=timeline_queries.events(con, filt=filters.NO_FILTER)["event_id"]
        )
    finally:
        con.close()
    found = {}
    for key, article in ARTICLES.items():
        doc_id = articles.loc[articles["title"] == article.title, "doc_id"]
        assert len(doc_id) == 1, f"{article.name} was not ingested with its title"
        own = reports[
            (reports["doc_id"] == doc_id.iloc[0])
            & reports["sentence_original"].map(
                lambda s, a=article: isinstance(s, str) and all(x in s for x in a.in_evidence)
            )
        ]
        assert not own.empty, f"no event extracted from the hostile sentence of {article.name}"
        found[key] = (doc_id.iloc[0], own["event_id"].iloc[0])
    return found


@pytest.fixture(scope="module")
def server(serve_app, hostile_store) -> str:
    return serve_app(hostile_store)


@pytest.fixture
def dialogs(page) -> list[str]:
    """Every dialog the page opens (dismissed at once); window.alert, confirm and prompt are also recorded."""
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    page.add_init_script(WATCH_ALERTS_JS)
    return opened


def open_view(page, url: str) -> None:
    """Load the page and scroll to its end, so every element (charts and tables render lazily) is drawn."""
    page.goto(url, timeout=TIMEOUT_S * 1000)
    main = page.get_by_test_id("stMain")
    main.wait_for(timeout=TIMEOUT_S * 1000)
    page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first.wait_for(timeout=TIMEOUT_S * 1000)
    deadline = time.monotonic() + TIMEOUT_S
    while (
        main.evaluate("e => { const before = e.scrollTop; e.scrollBy(0, 1200); return e.scrollTop === before; }")
        is False
    ):
        assert time.monotonic() < deadline
        page.wait_for_timeout(200)
    wait_until_idle(page)


def wait_until_idle(page) -> None:
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_S * 1000)


def assert_nothing_runs(page, dialogs: list[str]) -> None:
    assert dialogs == []
    assert page.evaluate("window.__hutongAlerts") == []
    for frame in page.frames:
        assert frame.evaluate(OFFENCES_JS) == [], frame.url
    assert page.get_by_test_id("stException").count() == 0


def assert_reader_links_only_http(page) -> None:
    cells = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first.evaluate(GRID_CELLS_JS)
    assert "https://example.com/links" in cells, "the reader's link column is not readable"
    assert not [c for c in cells if c.strip().lower().startswith("javascript:")]


def html_blocks(page, *, has_text: str):
    return page.get_by_test_id("stHtml").filter(has_text=has_text)


def source_lines(page, *, title: str):
    """The small print under a report or above the article in the reader: title · source · time · link."""
    return page.get_by_test_id("stHtml").locator("small").filter(has_text=title)


def test_the_default_page_shows_hostile_articles_as_text(server, page, dialogs):
    open_view(page, server + "/")
    assert_nothing_runs(page, dialogs)
    assert_reader_links_only_http(page)
    newest = ARTICLES["html"]
    assert source_lines(page, title=newest.title).count() == 1  # the reader opens the newest article
    body = html_blocks(page, has_text="物流成本下降").inner_text()
    assert all(s in body for s in newest.in_text)


def open_in_context(page, term: str, day: str) -> None:
    """Click the term's point on the trend chart in the bucket holding `day`, which opens its sentences.
    Only one term is plotted: points of several terms at zero would lie on top of each other."""
    chart = page.locator(".st-key-trend_chart")
    (points,) = chart.evaluate(TREND_POINTS_JS)
    point_no = max(i for i, (shown, start) in enumerate(points) if shown == term and start <= day)
    chart.scroll_into_view_if_needed()
    chart.locator("g.scatterlayer g.trace path.point").nth(point_no).click(force=True)
    page.get_by_test_id("stMarkdown").filter(has_text=f"上下文: {term} ·").wait_for(timeout=TIMEOUT_S * 1000)
    wait_until_idle(page)


@pytest.mark.parametrize("key", list(ARTICLES))
def test_an_article_its_evidence_and_its_term_in_context_show_markup_as_text(server, page, dialogs, ids, key):
    article, (doc_id, event_id) = ARTICLES[key], ids[key]
    open_view(page, server + "/?" + urlencode({"doc": doc_id, "event": event_id, "term": article.term}))
    assert_nothing_runs(page, dialogs)
    assert_reader_links_only_http(page)
    open_article = page.get_by_role("button", name=f"阅读全文: {article.title}", exact=True)

    source_line = source_lines(page, title=article.title).last.inner_text()  # the reader's, below the card
    if article.source:
        assert article.source in source_line
    assert JS_URL not in source_line
    in_reader = article.in_reader or article.in_text
    body = html_blocks(page, has_text=in_reader[-1]).last.inner_text()
    assert all(s in body for s in in_reader) and JS_URL not in body

    card = html_blocks(page, has_text="证据").inner_text()
    assert all(s in card for s in article.in_evidence) and article.title in card
    assert open_article.count() == 1

    assert page.get_by_test_id("stMultiSelect").filter(has_text=article.term).count() == 1
    open_in_context(page, article.term, article.day)
    assert_nothing_runs(page, dialogs)
    sentences = page.get_by_test_id("stHtml").filter(has=page.locator("table")).inner_text()
    assert article.term in sentences and article.title in sentences
    assert open_article.count() == 2  # under the evidence card and under the sentences
