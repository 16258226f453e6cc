"""The page in a real browser: `streamlit run app.py` served locally, loaded in headless Chromium (Debian's
/usr/bin/chromium) through Playwright. Charts render with data, nothing errs, a link reopens its view, a
click on the timeline opens an evidence card, one on an entity filters to it; a whole-page screenshot goes to artifacts/dashboard.png."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 90
# What the browser's plotly holds for one chart: its traces' data as plotly.js has them.
TRACES_JS = """el => el.querySelector('.js-plotly-plot').data.map(t => ({
    type: t.type, name: t.name, x: t.x, y: t.y, base: t.base, text: t.text, customdata: t.customdata}))"""


@pytest.fixture(scope="module")
def server(serve_app, seed_store) -> str:
    """The page showing the seed store (see serve_app in conftest.py)."""
    return serve_app(seed_store)


def open_dashboard(page, url: str, *, charts: int = 6) -> None:
    """Load the page and scroll through it until every chart is drawn (Streamlit renders lazily)."""
    page.goto(url, timeout=TIMEOUT_S * 1000)
    main = page.get_by_test_id("stMain")
    main.wait_for(timeout=TIMEOUT_S * 1000)
    deadline = time.monotonic() + TIMEOUT_S
    while page.locator(".js-plotly-plot").count() < charts:
        assert time.monotonic() < deadline, f"only {page.locator('.js-plotly-plot').count()} charts drawn"
        main.evaluate("e => e.scrollBy(0, 1200)")
        page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_S * 1000)
    main.evaluate("e => e.scrollTo(0, 0)")


def assert_no_errors(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text(re.compile(r"Traceback|\bError\b")).count() == 0


def traces(page, chart_key: str) -> list[dict]:
    return page.locator(f".st-key-{chart_key}").evaluate(TRACES_JS)


def timeline_bars(page) -> dict[str, str]:
    """Each bar's row label → its start day, as plotted."""
    return {
        y: base[:10]
        for t in traces(page, "timeline_chart")
        if t["type"] == "bar"
        for y, base in zip(t["y"], t["base"], strict=True)
    }


def screenshot(page, path: Path) -> None:
    """The whole page: the app scrolls inside stMain, so the window is made as tall as its content."""
    height = page.get_by_test_id("stMain").evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": 1400, "height": height + 40})
    page.wait_for_timeout(1500)  # charts re-lay themselves out to the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def test_dashboard_renders_every_chart_with_data(server, page):
    open_dashboard(page, server + "/?asof=2025-10-01")
    assert_no_errors(page)
    assert page.locator(".js-plotly-plot").count() >= 4
    for key in ("trend_chart", "entity_chart", "network_chart", "entity_trend_chart", "timeline_chart", "matrix_chart"):
        assert any(len(t["x"] or []) or len(t["y"] or []) for t in traces(page, key)), key

    bars = timeline_bars(page)
    assert bars["京东 – 支付宝 · 支付 payment"] == "2024-10-29"
    labels = (
        "微信 – 京东 · 流量 traffic",
        "京东 – 微信 · 流量 traffic",
    )  # the row is named as its first event names it
    wechat_jd = [
        t for t in traces(page, "timeline_chart") if t["type"] == "bar" and any(label in t["y"] for label in labels)
    ][0]
    i = next(wechat_jd["y"].index(label) for label in labels if label in wechat_jd["y"])
    assert wechat_jd["customdata"][i][1], "the WeChat–JD bar ends at an end event"

    heat = next(t for t in traces(page, "matrix_chart") if t["type"] == "heatmap")
    jd, alipay, wechat = (heat["y"].index(n) for n in ("京东", "支付宝", "微信"))
    assert "支付✓" in heat["text"][jd][alipay]  # open
    assert "流量✗" in heat["text"][wechat][jd]  # closed

    screenshot(page, REPO / "artifacts" / "dashboard.png")
    if os.environ.get("HUTONG_UPDATE_SCREENSHOT") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(REPO / "artifacts" / "dashboard.png", REPO / "docs" / "screenshot.png")


def test_a_link_reopens_its_view(server, page):
    open_dashboard(page, server + "/?lang=en&domain=payment")
    assert_no_errors(page)
    assert page.get_by_role("heading", name=re.compile("platform interoperability in the news")).count() == 1
    rows = list(timeline_bars(page))
    assert "JD.com – Alipay · payment" in rows
    assert all(row.endswith("· payment") for row in rows)
    chips = page.get_by_test_id("stSidebar").get_by_text("payment", exact=True)
    assert chips.count() >= 1
    assert "lang=en" in page.url and "domain=payment" in page.url


def test_clicking_a_timeline_event_opens_its_evidence_card(server, page):
    open_dashboard(page, server + "/")
    chart = page.locator(".st-key-timeline_chart")
    scatter = [t for t in traces(page, "timeline_chart") if t["type"] == "scatter"]
    # the start of 京东 – 支付宝 payment: find its trace and point, then click that point
    ((trace_no, point_no),) = [
        (k, i)
        for k, t in enumerate(scatter)
        for i, y in enumerate(t["y"])
        if y == "京东 – 支付宝 · 支付 payment" and t["name"] == "开通"
    ]
    chart.scroll_into_view_if_needed()
    chart.locator("g.scatterlayer g.trace").nth(trace_no).locator("path.point").nth(point_no).click(force=True)
    card = page.get_by_test_id("stHtml").filter(has_text="同一事件的其他报道")
    card.wait_for(timeout=TIMEOUT_S * 1000)
    assert "京东 – 支付宝 · 支付 payment · 开通" in card.inner_text()
    assert card.locator("mark").count() >= 3  # both parties and the date text, in each report
    assert re.search(r"event=e\d+", page.url)
    assert_no_errors(page)


def test_clicking_an_entity_filters_the_page_to_it(server, page):
    open_dashboard(page, server + "/")
    bars = [t for t in traces(page, "entity_chart") if t["type"] == "bar"]
    entity = bars[0]["customdata"][0][0]
    chart = page.locator(".st-key-entity_chart")
    chart.scroll_into_view_if_needed()
    chart.locator("g.barlayer g.trace").nth(0).locator("path").nth(0).click(force=True)
    page.wait_for_function(
        "e => decodeURIComponent(location.search).includes('entity=' + e)", arg=entity, timeout=TIMEOUT_S * 1000
    )
    page.get_by_test_id("stSidebar").get_by_text(entity).first.wait_for(timeout=TIMEOUT_S * 1000)
    assert_no_errors(page)


def _larger_corpus() -> Path | None:
    """../shared/corpora/fuyaonews (153 articles) beside the project or beside its worktrees, if there."""
    for shared in (REPO.parent / "shared", REPO.parent.parent / "shared"):
        if (shared / "corpora" / "fuyaonews").is_dir():
            return shared / "corpora" / "fuyaonews"
    return None


@pytest.fixture(scope="module")
def larger_server(serve_app, tmp_path_factory) -> str:
    corpus = _larger_corpus()
    if corpus is None:
        pytest.skip("../shared/corpora/fuyaonews is not beside the project")
    from hutong.pipeline import build_store

    store = tmp_path_factory.mktemp("fuyao") / "store"
    build_store(corpus, store, workers=2)
    return serve_app(store)


# Text that does not fit its box: the header's values, which Streamlit cuts with "…"
CUT_JS = """() => [...document.querySelectorAll('[data-testid=stMetricValue] div, [data-testid=stMetricValue]')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_corpus_of_150_articles_renders_in_both_languages_with_nothing_cut(larger_server, page, lang):
    open_dashboard(page, larger_server + f"/?lang={lang}&asof=2030-01-01")
    assert_no_errors(page)
    assert page.evaluate(CUT_JS) == []
    rising = {t["name"] for t in traces(page, "trend_chart")}
    assert rising and not rising & {"https", "www", "ai", "openaxo"}  # no web address parts or source names
    hovers = page.locator(".st-key-timeline_chart").evaluate(
        "el => el.querySelector('.js-plotly-plot').data.map(t => (t.hovertext || []).join(' ')).join(' ')"
    )
    assert hovers and "&quot;" not in hovers and "&#x27;" not in hovers  # quotes show as quotes
    year = "(精度: 年)" if lang == "zh" else "(Precision: year)"
    assert f"2026 {year}" in hovers  # a year-only date is labelled by its year, not as 1 January
    said = "nothing is known after it" if lang == "en" else "此后的情况无从得知"
    assert page.get_by_text(said, exact=False).count() == 1
    screenshot(page, REPO / "artifacts" / f"fuyaonews-{lang}.png")


CONCORDANCE_CAPTION = re.compile(r"occurrences in \d+ sentences|个句子中")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compared_queries_and_every_occurrence_of_a_term_on_150_articles(larger_server, page, lang):
    open_dashboard(page, larger_server + f"/?lang={lang}&compare=AI&compare=%E6%95%B0%E6%8D%AE", charts=7)
    assert_no_errors(page)
    lines = traces(page, "compare_chart")
    assert [t["name"] for t in lines] == ["AI", "数据"]
    # the numbers as drawn (the traces' data may hold them base64-encoded)
    drawn = page.locator(".st-key-compare_chart").evaluate(
        "el => el.querySelector('.js-plotly-plot')._fullData.map(t => Array.from(t.y))"
    )
    shares = [y for ys in drawn for y in ys]
    assert all(0 <= y <= 1 for y in shares) and any(y > 0 for y in shares)

    box = page.locator(".st-key-kwic_term")
    box.scroll_into_view_if_needed()
    box.click()
    page.keyboard.type("数据")
    page.keyboard.press("Enter")
    caption = page.get_by_text(CONCORDANCE_CAPTION)
    caption.wait_for(timeout=TIMEOUT_S * 1000)
    total = int(re.search(r"\d+", caption.inner_text()).group())
    assert total > 20, "a term frequent enough to need a second page"
    assert page.locator("table mark").count() == 20
    page.locator(".st-key-kwic_page [data-testid=stNumberInputStepUp]").click()
    page.get_by_text(re.compile("21–")).wait_for(timeout=TIMEOUT_S * 1000)
    assert page.locator("table mark").count() == min(20, total - 20)
    assert_no_errors(page)
