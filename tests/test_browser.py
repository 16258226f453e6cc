"""The page in a real browser: `streamlit run app.py` served locally, loaded in headless Chromium (Debian's
/usr/bin/chromium) through Playwright. Charts render with data, nothing errs, a link reopens its view, a
click on the timeline opens an evidence card, one on an entity filters to it; a whole-page screenshot goes to artifacts/dashboard.png."""

from __future__ import annotations

import re
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

    screenshot(page, REPO / "artifacts" / "dashboard.png")  # docs/'s screenshots: `make screenshots`


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


def click_point(page, chart_key: str, trace_no: int = 0, point_no: int = 0) -> None:
    chart = page.locator(f".st-key-{chart_key}")
    chart.scroll_into_view_if_needed()
    chart.locator("g.scatterlayer g.trace").nth(trace_no).locator("path.point").nth(point_no).click(force=True)


def test_a_clicked_matrix_cell_is_in_the_url_and_a_link_reopens_it(server, page):
    open_dashboard(page, server + "/")
    click_point(page, "matrix_chart")  # the first trace of the matrix's points: one invisible marker per cell
    page.wait_for_function("() => /[?&]row=.+&col=|[?&]col=.+&row=/.test(location.search)", timeout=TIMEOUT_S * 1000)
    heading = page.get_by_test_id("stMarkdown").filter(has_text=" × ")
    heading.wait_for(timeout=TIMEOUT_S * 1000)
    cell = heading.inner_text()
    share = page.get_by_test_id("stExpander").filter(has_text="分享此视图")
    share.click()
    assert "row=" in share.inner_text()  # the share box, outside the matrix's fragment, shows the new link too
    open_dashboard(page, page.url)
    assert page.get_by_test_id("stMarkdown").filter(has_text=" × ").inner_text() == cell
    assert_no_errors(page)


def test_a_clicked_trend_point_is_in_the_url_and_a_link_reopens_its_sentences(server, page):
    open_dashboard(page, server + "/?term=京东&bucket=month")
    click_point(page, "trend_chart")
    page.wait_for_function("() => location.search.includes('point_at=')", timeout=TIMEOUT_S * 1000)
    context = page.get_by_test_id("stMarkdown").filter(has_text="上下文: 京东")
    context.wait_for(timeout=TIMEOUT_S * 1000)
    shown = context.inner_text()
    open_dashboard(page, page.url)
    assert page.get_by_test_id("stMarkdown").filter(has_text="上下文: 京东").inner_text() == shown
    assert_no_errors(page)


def test_picking_a_row_of_the_reader_opens_that_article_and_puts_it_in_the_url(server, page):
    open_dashboard(page, server + "/")
    table = page.locator(".st-key-article_table")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 + 17)  # the selection box of the second row (35 px rows)
    page.wait_for_function("() => location.search.includes('doc=')", timeout=TIMEOUT_S * 1000)
    reader = page.get_by_test_id("stHtml").filter(has_text="马云")  # the older of the two bundled articles
    reader.first.wait_for(timeout=TIMEOUT_S * 1000)
    open_dashboard(page, page.url)
    assert page.get_by_test_id("stHtml").filter(has_text="马云").count() >= 1
    assert_no_errors(page)


def test_an_english_browser_opens_the_english_page_unless_the_link_says_otherwise(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    open_dashboard(page, server + "/")
    assert page.get_by_role("heading", name=re.compile("platform interoperability in the news")).count() == 1
    assert "lang=en" in page.url
    open_dashboard(page, server + "/?lang=zh")
    assert page.get_by_role("heading", name=re.compile("平台互联互通新闻看板")).count() == 1
    context.close()


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


# ---- a corpus of 160 articles that needs nothing outside the repo (bench/corpus.py's re-mix of the seeds) ---------


@pytest.fixture(scope="module")
def synthetic_server(serve_app, synthetic_store) -> str:
    return serve_app(synthetic_store)


# ---- measured overlap: legends, titles and labels of every chart, at two widths, in both languages ---------------

# Per chart (by its widget key): the legend's box, the plot areas' boxes, the title's box, and the tick labels
# and text labels drawn (non-empty, displayed), with how many pairs of them overlap by more than a pixel.
LAYOUT_JS = r"""() => {
  const box = e => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  const meet = (a, b) => a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;
  const pairs = bs => { let n = 0; bs.forEach((a, i) => bs.slice(i + 1).forEach(b => { if (meet(a, b)) n++; })); return n; };
  const drawn = e => e.textContent.trim() !== '' && getComputedStyle(e).display !== 'none' && box(e).w > 0;
  const out = {};
  document.querySelectorAll('.stPlotlyChart').forEach(chart => {
    const holder = chart.closest('[class*="st-key-"]');
    const key = holder && [...holder.classList].find(c => c.startsWith('st-key-')).slice(7);
    const plot = chart.querySelector('.js-plotly-plot');
    if (!key || !plot) return;
    const legend = plot.querySelector('g.legend'), title = plot.querySelector('g.g-gtitle text');
    const labels = sel => [...plot.querySelectorAll(sel)].filter(drawn).map(box);
    const x = labels('g.xtick text'), y = labels('g.ytick text'), text = labels('g.textpoint text');
    out[key] = {
      legend: legend && legend.getBoundingClientRect().width ? box(legend) : null,
      title: title ? box(title) : null,
      areas: [...plot.querySelectorAll('rect.nsewdrag')].map(box),
      x_labels: x.length, y_labels: y.length, text_labels: text.length,
      x_overlaps: pairs(x), y_overlaps: pairs(y), text_overlaps: pairs(text),
      categories: ((plot.layout.yaxis || {}).categoryarray || []).length,
    };
  });
  return out;
}"""


def _meet(a: dict, b: dict) -> bool:
    """Two boxes overlap by more than a pixel each way."""
    across = a["x"] < b["x"] + b["w"] - 1 and b["x"] < a["x"] + a["w"] - 1
    return across and a["y"] < b["y"] + b["h"] - 1 and b["y"] < a["y"] + a["h"] - 1


_measured: dict[tuple[int, str], dict] = {}
# A trace has data when x, y or z holds a value that is not null (plotly.py may send numbers as base64 "bdata").
HAS_DATA_JS = """el => el.querySelector('.js-plotly-plot').data.some(t => [t.x, t.y, t.z].some(
    a => a && (a.bdata ? true : Array.from(a).some(v => v !== null && v !== undefined))))"""


@pytest.fixture
def layout(synthetic_server, browser, request) -> dict:
    """The synthetic corpus's page at a width and in a language, loaded once per pair: LAYOUT_JS's measures
    of every chart ("charts") and what the page says (errors, cut text, the article count, the timeline's
    hovers, the note on an as-of day after the last article)."""
    width, lang = request.param
    if (width, lang) not in _measured:
        context = browser.new_context(viewport={"width": width, "height": 1000}, locale="zh-CN")
        page = context.new_page()
        open_dashboard(page, synthetic_server + f"/?lang={lang}&asof=2030-01-01", charts=7)
        page.wait_for_timeout(1000)  # charts finish laying themselves out
        said = "nothing is known after it" if lang == "en" else "此后的情况无从得知"
        _measured[(width, lang)] = {
            "charts": page.evaluate(LAYOUT_JS),
            "errors": page.get_by_test_id("stException").count()
            + page.get_by_text(re.compile(r"Traceback|\bError\b")).count(),
            "cut": page.evaluate(CUT_JS),
            "articles": page.get_by_test_id("stMetricValue").first.inner_text(),
            "with_data": {key: bool(page.locator(f".st-key-{key}").evaluate(HAS_DATA_JS)) for key in CHARTS},
            "hovers": page.locator(".st-key-timeline_chart").evaluate(
                "el => el.querySelector('.js-plotly-plot').data.map(t => (t.hovertext || []).join(' ')).join(' ')"
            ),
            "after_last": page.get_by_text(said, exact=False).count(),
        }
        context.close()
    return _measured[(width, lang)]


SIZES = [(1000, "zh"), (1000, "en"), (1400, "zh"), (1400, "en")]
CHARTS = [
    "attention_chart",
    "trend_chart",
    "entity_chart",
    "network_chart",
    "entity_trend_chart",
    "timeline_chart",
    "matrix_chart",
]
# What the measurement finds wrong on the synthetic corpus, (check, width, language, chart) → why: expected to
# fail until the chart is fixed, not strict. Empty since issue 15's fixes (2026-12-02): every check asserts.
KNOWN_OVERLAPS: dict[tuple[str, int, str, str], str] = {}


def cases(check: str, charts: list[str]) -> list:
    """(width and language, chart) pairs, the known failures of `check` marked as such."""
    return [
        pytest.param(
            (width, lang),
            chart,
            id=f"{width}px-{lang}-{chart}",
            marks=[pytest.mark.xfail(reason=why, strict=False)]
            if (why := KNOWN_OVERLAPS.get((check, width, lang, chart)))
            else [],
        )
        for width, lang in SIZES
        for chart in charts
    ]


@pytest.mark.parametrize("layout", [(1400, "zh"), (1400, "en")], indirect=True, ids=["zh", "en"])
def test_a_synthetic_corpus_of_160_articles_renders_in_both_languages(layout):
    assert layout["errors"] == 0 and layout["cut"] == []
    assert layout["articles"] == "160"
    assert all(layout["with_data"].values()), layout["with_data"]
    hovers = layout["hovers"]
    assert hovers and "&quot;" not in hovers and "&#x27;" not in hovers
    assert re.search(r"\b20\d\d \((精度: 年|Precision: year)\)", hovers)  # a year-only date shown as its year
    assert layout["after_last"] == 1  # asof=2030-01-01: the page says nothing is known after the last article


@pytest.mark.parametrize(("layout", "chart"), cases("legend_title", CHARTS), indirect=["layout"])
def test_no_legend_covers_a_plot_area_or_its_title(layout, chart):
    drawn = layout["charts"][chart]
    if drawn["legend"]:
        assert not any(_meet(drawn["legend"], area) for area in drawn["areas"])
        assert not (drawn["title"] and _meet(drawn["legend"], drawn["title"]))


@pytest.mark.parametrize(
    ("layout", "chart"), cases("labelled", ["entity_chart", "timeline_chart"]), indirect=["layout"]
)
def test_every_bar_and_timeline_row_is_labelled(layout, chart):
    assert (
        layout["charts"][chart]["y_labels"] == layout["charts"][chart]["categories"] > 0
    )  # plotly drops labels it cannot fit


@pytest.mark.parametrize(("layout", "chart"), cases("ticks", CHARTS), indirect=["layout"])
def test_no_two_tick_labels_overlap(layout, chart):
    assert layout["charts"][chart]["x_overlaps"] == layout["charts"][chart]["y_overlaps"] == 0, layout["charts"][chart]


@pytest.mark.parametrize(("layout", "chart"), cases("network", ["network_chart"]), indirect=["layout"])
def test_network_labels_do_not_overlap(layout, chart):
    assert layout["charts"][chart]["text_labels"] >= 5 and layout["charts"][chart]["text_overlaps"] == 0
