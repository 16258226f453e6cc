"""The collector's HTTP: robots.txt, redirects, retries, timeouts, the size cap, the rate limit, the User-Agent."""

from __future__ import annotations

import time

import pytest

from hutong.fetch import HTML_TYPES, USER_AGENT, Fetcher, Politeness
from news_site import serve

FAST = Politeness(rate=0, timeout=0.5, max_bytes=50_000, retries=1, backoff=0.01)


@pytest.fixture(scope="module")
def site():
    with serve() as running:
        running.slow_seconds = 1.5
        yield running


def test_a_page_comes_with_its_status_type_and_the_user_agent_names_hutong(site):
    fetched = Fetcher(FAST).get(site.url("/news/taobao.html"), accept=HTML_TYPES)
    assert (fetched.failure, fetched.status, fetched.content_type) == (None, 200, "text/html")
    assert "淘宝接入微信支付".encode() in fetched.body
    assert site.user_agents[-1] == USER_AGENT and USER_AGENT.startswith("HutongCollector/")


def test_a_path_robots_txt_disallows_is_not_requested(site):
    before = site.hits["/private/draft.html"]
    fetched = Fetcher(FAST).get(site.url("/private/draft.html"), accept=HTML_TYPES)
    assert fetched.failure == "disallowed by robots.txt" and fetched.lasting
    assert site.hits["/private/draft.html"] == before


def test_redirects_are_followed_to_the_final_address(site):
    fetched = Fetcher(FAST).get(site.url("/old/baidu.html"), accept=HTML_TYPES)
    assert fetched.failure is None and fetched.final_url == site.url("/news/baidu.html")
    assert fetched.url == site.url("/old/baidu.html")


def test_a_redirect_loop_stops_at_the_limit(site):
    fetched = Fetcher(Politeness(rate=0, timeout=0.5, max_redirects=3)).get(site.url("/loop/a"))
    assert fetched.failure == "more than 3 redirects"


def test_a_missing_page_fails_for_good_with_its_status(site):
    fetched = Fetcher(FAST).get(site.url("/news/gone.html"), accept=HTML_TYPES)
    assert (fetched.failure, fetched.status, fetched.lasting) == ("HTTP 404", 404, True)


def test_a_server_error_is_tried_again_after_a_wait(site):
    fetched = Fetcher(FAST).get(site.url("/flaky.html"), accept=HTML_TYPES)
    assert fetched.failure is None and fetched.status == 200
    assert site.hits["/flaky.html"] == 2


def test_too_many_requests_is_tried_again_and_then_reported_as_passing(site):
    before = site.hits["/busy.html"]
    fetched = Fetcher(FAST).get(site.url("/busy.html"))
    assert (fetched.failure, fetched.lasting) == ("HTTP 429", False)
    assert site.hits["/busy.html"] - before == 2


def test_a_page_slower_than_the_timeout_fails_and_may_be_tried_on_a_later_run(site):
    start = time.monotonic()
    fetched = Fetcher(Politeness(rate=0, timeout=0.3, retries=0)).get(site.url("/slow.html"))
    assert fetched.failure == "no answer within 0.3 s" and not fetched.lasting
    assert time.monotonic() - start < 1.2


@pytest.mark.parametrize("path", ["/huge.html", "/huge-unsized.html"])
def test_a_page_over_the_size_cap_is_not_kept(site, path):
    fetched = Fetcher(FAST).get(site.url(path), accept=HTML_TYPES)
    assert fetched.failure is not None and "50,000-byte cap" in fetched.failure
    assert fetched.body == b""


def test_a_pdf_is_skipped_as_not_html_without_reading_it(site):
    fetched = Fetcher(FAST).get(site.url("/files/report.pdf"), accept=HTML_TYPES)
    assert fetched.failure == "not HTML (application/pdf)" and fetched.body == b""


def test_requests_to_one_host_keep_to_the_rate():
    with serve() as local:
        fetcher = Fetcher(Politeness(rate=10, timeout=0.5))
        start = time.monotonic()
        for path in ("/news/jd.html", "/news/taobao.html", "/news/alipay.html"):
            assert fetcher.get(local.url(path)).failure is None
        elapsed = time.monotonic() - start
    # robots.txt takes the first turn, each page the next, a tenth of a second apart
    assert elapsed >= 0.3 and fetcher.requests == 4


def test_a_site_whose_robots_txt_cannot_be_reached_is_not_fetched_from():
    with serve() as gone:
        url = gone.url("/news/jd.html")
    fetched = Fetcher(Politeness(rate=0, timeout=0.3, retries=0)).get(url)
    assert fetched.failure is not None and fetched.failure.startswith("robots.txt could not be read")
    assert not fetched.lasting


def test_a_crawl_delay_in_robots_txt_spaces_requests_even_with_the_limit_lifted():
    with serve() as local:
        local.robots_txt = b"User-agent: HutongCollector\nCrawl-delay: 1\nDisallow: /private/\n"
        fetcher = Fetcher(Politeness(rate=0, timeout=0.5))
        start = time.monotonic()
        for path in ("/news/jd.html", "/news/taobao.html"):
            assert fetcher.get(local.url(path)).failure is None
        elapsed = time.monotonic() - start
    # robots.txt and the first page at once (the delay is known only once robots.txt is read), the second a second later
    assert elapsed >= 1.0
