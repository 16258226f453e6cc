"""The page's corrections in a real browser (headless Chromium, see conftest.py): an event fixed in its
evidence card is ringed on the timeline, in both languages."""

from __future__ import annotations

import time

import pytest

from hutong import labels
from hutong.queries import filters

pytestmark = pytest.mark.browser

TIMEOUT_S = 90
TIMELINE = ".st-key-timeline_chart[data-stale='false'] .js-plotly-plot"  # the chart as drawn, not the one it replaces


@pytest.fixture(scope="module")
def server(serve_app, seed_store) -> str:
    return serve_app(seed_store)


def started_link(seed_store) -> str:
    """The seed corpus's 京东 – 支付宝 payment link that starts (the one event between them that does)."""
    with filters.connect(seed_store) as con:
        ((event_id,),) = con.execute(
            "SELECT event_id FROM events WHERE least(a, b) = '京东' AND greatest(a, b) = '支付宝' AND action = 'start'"
        ).fetchall()
    return event_id


def trace_named(page, name: str) -> dict | None:
    """The timeline's trace of that name as plotly.js holds it (None until it is drawn)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        charts = page.locator(TIMELINE)
        if charts.count() == 1:
            found = charts.evaluate(
                "(el, name) => el.data.filter(t => t.name === name).map(t => ({x: t.x, customdata: t.customdata}))",
                name,
            )
            if found:
                return found[0]
        page.wait_for_timeout(300)
    return None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_date_fixed_in_the_evidence_card_is_ringed_on_the_timeline(server, page, seed_store, lang):
    event_id = started_link(seed_store)
    page.goto(f"{server}/?lang={lang}&event={event_id}", timeout=TIMEOUT_S * 1000)
    page.get_by_text(labels.t("correct_event", lang), exact=True).click(timeout=TIMEOUT_S * 1000)
    page.get_by_text(labels.t("change_fix", lang), exact=True).click()
    date_box = page.get_by_label(labels.t("date", lang), exact=True)
    date_box.fill("2024-11")
    date_box.press("Enter")  # inside a form: kept, nothing reruns before the button
    page.get_by_label(labels.t("note", lang), exact=True).fill("记者写错了月份")
    page.get_by_role("button", name=labels.t("save_correction", lang)).click()
    ring = trace_named(page, labels.t("corrected", lang))
    assert ring is not None, "no ring on the timeline"
    assert ring["customdata"] == [[event_id]] and ring["x"][0].startswith("2024-11-01")
    assert page.get_by_test_id("stException").count() == 0
