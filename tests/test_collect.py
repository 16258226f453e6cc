"""Collecting news pages from feeds, sitemaps and URL lists into a folder the build reads."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import hutong
from hutong.cli import main
from hutong.collect import (
    MANIFEST_NAME,
    REPORT_NAME,
    Sources,
    canonical_link,
    collect,
    normalise_url,
    parse_listing,
    read_url_list,
    terminal_progress,
)
from hutong.fetch import Politeness
from news_site import SITE_NAME, serve

# the example the project ships: comments only, so that no run reaches a site nobody chose
FEEDS_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "feeds.txt"
FAST = Politeness(rate=0, timeout=0.5, max_bytes=50_000, retries=1, backoff=0.01)
CHINA = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def site():
    with serve() as running:
        yield running


def _feeds(site) -> Sources:
    return Sources(listings=(site.url("/feeds/rss.xml"), site.url("/feeds/atom.xml"), site.url("/sitemap_index.xml")))


def _manifest(out: Path) -> list[dict[str, str]]:
    with (out / MANIFEST_NAME).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _report(out: Path) -> dict:
    return json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- URLs and listings


def test_tracking_parameters_fragments_and_default_ports_do_not_make_another_page():
    assert normalise_url("HTTP://News.Example.com:80/a.html?utm_source=weibo&id=7&spm=1.2#top") == (
        "http://news.example.com/a.html?id=7"
    )
    assert normalise_url("https://example.com/a?b=2&a=1&fbclid=x") == normalise_url("https://example.com/a?a=1&b=2")
    assert normalise_url("https://example.com/a?page=2") != normalise_url("https://example.com/a?page=3")


def test_a_url_list_leaves_out_comments_and_blank_lines(tmp_path):
    listed = tmp_path / "urls.txt"
    listed.write_text("# 我的来源\n\nhttps://example.com/a.html\n  https://example.com/b.html  \n", encoding="utf-8")
    assert read_url_list(listed) == ["https://example.com/a.html", "https://example.com/b.html"]


def test_an_rss_feed_gives_each_item_with_its_title_date_and_the_channel_as_source():
    feed = (
        "<rss version='2.0'><channel><title>新闻晚报</title><item><title>两家平台恢复分享</title>"
        "<link>/n/1.html</link><pubDate>Mon, 03 Mar 2025 02:00:00 GMT</pubDate></item>"
        "<item><title>没有链接的条目</title></item></channel></rss>"
    ).encode()
    listing = parse_listing(feed, url="https://example.com/rss", max_bytes=10_000)
    assert [(c.url, c.title, c.published_at, c.source) for c in listing.pages] == [
        ("https://example.com/n/1.html", "两家平台恢复分享", "Mon, 03 Mar 2025 02:00:00 GMT", "新闻晚报")
    ]


def test_an_atom_feed_gives_its_alternate_links():
    feed = (
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>科技日报</title><entry><title>支付打通</title>"
        "<link rel='edit' href='/edit/1'/><link href='https://example.com/p/1'/><updated>2025-01-02T00:00:00Z</updated>"
        "</entry></feed>"
    ).encode()
    [page] = parse_listing(feed, url="https://example.com/atom", max_bytes=10_000).pages
    assert (page.url, page.published_at, page.source) == ("https://example.com/p/1", "2025-01-02T00:00:00Z", "科技日报")


def test_a_gzipped_sitemap_and_a_sitemap_index_are_read():
    index = (
        b"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        b"<sitemap><loc>https://example.com/s1.xml.gz</loc></sitemap></sitemapindex>"
    )
    assert parse_listing(index, url="https://example.com/", max_bytes=10_000).sitemaps == [
        "https://example.com/s1.xml.gz"
    ]
    child = gzip.compress(
        b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>https://example.com/a</loc>"
        b"<lastmod>2025-02-01</lastmod></url></urlset>"
    )
    [page] = parse_listing(child, url="https://example.com/s1.xml.gz", max_bytes=10_000).pages
    assert (page.url, page.published_at) == ("https://example.com/a", "2025-02-01")


def test_a_gzipped_sitemap_that_unzips_past_the_cap_is_refused():
    bomb = gzip.compress(b"<urlset>" + b" " * 100_000 + b"</urlset>")
    with pytest.raises(ValueError, match="cap"):
        parse_listing(bomb, url="https://example.com/s.xml.gz", max_bytes=10_000)


def test_a_page_that_is_no_feed_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="not a feed or sitemap"):
        parse_listing(b"<html><body>\xe4\xbd\xa0\xe5\xa5\xbd</body></html>", url="https://e.com/", max_bytes=10_000)


def test_the_canonical_link_is_read_relative_to_the_page():
    page = b'<html><head><link href="/news/1.html" rel="canonical"></head></html>'
    assert canonical_link(page, url="https://example.com/m/1.html?from=app") == "https://example.com/news/1.html"
    assert canonical_link(b"<html><link rel='canonical' href='javascript:x'></html>", url="https://e.com/") is None


# ---------------------------------------------------------------------------- a run


@pytest.fixture(scope="module")
def collected(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("collected")
    result = collect(_feeds(site), out, politeness=FAST)
    return out, result


def test_feeds_and_sitemaps_give_one_stored_page_per_article(site, collected):
    out, result = collected
    rows = {row["url"].removeprefix(site.base): row for row in _manifest(out)}
    assert set(rows) == {
        "/news/alipay.html",
        "/news/taobao.html",
        "/news/jd.html",
        "/news/douyin.html",
        "/news/meituan.html",
        "/old/baidu.html",
    }
    assert result.stored == 6 and result.listings == 5
    for row in rows.values():
        assert (out / row["file"]).read_bytes().startswith(b"<!DOCTYPE html>")
        assert row["status"] == "200" and row["source"] == SITE_NAME and row["fetched_at"]


def test_the_manifest_keeps_the_final_address_and_the_listing_or_page_metadata(site, collected):
    out, _ = collected
    rows = {row["url"].removeprefix(site.base): row for row in _manifest(out)}
    assert rows["/old/baidu.html"]["final_url"] == site.url("/news/baidu.html")
    assert rows["/news/jd.html"]["title"] == "京东物流接入菜鸟驿站"
    assert rows["/news/jd.html"]["published_at"] == "2025-05-06T08:00:00+08:00"
    assert rows["/news/douyin.html"]["published_at"] == "2025-06-18 10:30:00"
    assert rows["/news/alipay.html"]["canonical_url"] == site.url("/news/alipay.html")


def test_a_page_is_kept_as_it_came_in_its_own_encoding(site, collected):
    out, _ = collected
    [row] = [row for row in _manifest(out) if row["url"].endswith("/news/meituan.html")]
    page = (out / row["file"]).read_bytes()
    assert "美团接入支付宝付款".encode("gbk") in page and row["title"] == "美团接入支付宝付款"


def test_every_page_not_stored_is_in_the_report_with_its_reason(site, collected):
    out, _ = collected
    report = _report(out)
    reasons = {failure["url"].removeprefix(site.base): failure["reason"] for failure in report["failures"]}
    assert reasons == {
        "/private/draft.html": "disallowed by robots.txt",
        "/news/gone.html": "HTTP 404",
        "/files/report.pdf": "not HTML (application/pdf)",
    }
    assert [d["url"].removeprefix(site.base) for d in report["duplicates"]] == ["/mirror/alipay.html"]
    assert report["counts"]["stored"] == 6 and report["summary"].startswith("collect: 6 new page(s)")


def test_the_same_article_with_tracking_parameters_is_fetched_once(site, collected):
    assert site.hits["/news/alipay.html"] == 1


def test_a_second_collect_fetches_no_page_and_says_nothing_is_new(site, collected):
    out, _ = collected
    before = site.page_hits()
    again = collect(_feeds(site), out, politeness=FAST)
    assert site.page_hits() == before
    assert (again.stored, again.fetched, again.already, again.settled_earlier) == (0, 0, 6, 4)
    assert again.summary_line().startswith("collect: nothing new")
    assert len(_manifest(out)) == 6


def test_a_killed_run_resumes_where_it_stopped(site, tmp_path):
    # the first three pages in listing order: one on 支付宝, its mirror (a duplicate), the one on 抖音
    first = collect(_feeds(site), tmp_path, politeness=FAST, max_pages=3, concurrency=1)
    assert first.stored == 2 and first.not_reached > 0
    # a kill while a row was being written leaves half a row: it is dropped and its page fetched again
    with (tmp_path / MANIFEST_NAME).open("a", encoding="utf-8") as manifest:
        manifest.write("pages/half.html,http://127.0.0.1/")
    rest = collect(_feeds(site), tmp_path, politeness=FAST)
    assert (rest.already, rest.settled_earlier, rest.stored) == (2, 1, 4)
    assert len(_manifest(tmp_path)) == 6


def test_a_run_killed_mid_way_is_resumed_by_the_next_without_fetching_a_stored_page_again(tmp_path):
    with serve() as fresh:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text("\n".join(_feeds(fresh).listings), encoding="utf-8")
        command = [sys.executable, "-m", "hutong", "collect", "--feeds", str(feeds), "--out", str(tmp_path / "out")]
        # the package from this checkout, wherever the test runs from
        env = {**os.environ, "PYTHONPATH": str(Path(hutong.__file__).parents[1])}
        running = subprocess.Popen([*command, "--rate", "5", "--timeout", "1"], stdout=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 10
        while fresh.page_hits() < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        running.kill()
        running.wait()
        stored_before = len(_manifest(tmp_path / "out"))
        assert 0 < stored_before < 6
        resumed = collect(_feeds(fresh), tmp_path / "out", politeness=FAST)
        rows = _manifest(tmp_path / "out")
        assert resumed.already == stored_before and len(rows) == 6
        assert len({row["url"] for row in rows}) == 6


def test_since_leaves_out_pages_a_listing_dates_earlier(site, tmp_path):
    result = collect(_feeds(site), tmp_path, politeness=FAST, since=datetime(2025, 6, 1, tzinfo=CHINA))
    stored = {row["url"].removeprefix(site.base) for row in _manifest(tmp_path)}
    # undated in its listings, the page on 抖音 is fetched
    assert stored == {"/news/douyin.html", "/news/meituan.html", "/old/baidu.html"}
    assert result.too_old > 0


def test_a_url_list_collects_its_pages_and_reports_what_is_not_a_web_address(site, tmp_path):
    sources = Sources(pages=(site.url("/news/jd.html"), "ftp://example.com/x", site.url("/slow.html")))
    result = collect(sources, tmp_path / "out", politeness=Politeness(rate=0, timeout=0.2, retries=0))
    assert result.stored == 1
    reasons = {f.url: f.reason for f in result.failures}
    assert reasons["ftp://example.com/x"] == "not an http(s) URL"
    assert reasons[site.url("/slow.html")] == "no answer within 0.2 s"


def test_a_feed_that_cannot_be_read_is_a_failure_not_a_crash(site, tmp_path):
    sources = Sources(listings=(site.url("/feeds/none.xml"), site.url("/news/jd.html")))
    result = collect(sources, tmp_path, politeness=FAST)
    assert [f.reason for f in result.failures] == [
        "feed or sitemap: HTTP 404",
        "not a feed or sitemap (root element <html>)",
    ]


# ---------------------------------------------------------------------------- the command


def test_the_command_collects_from_a_feeds_file_and_prints_a_summary(site, tmp_path, capsys):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# 测试源\n{site.url('/feeds/atom.xml')}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["collect", "--feeds", str(feeds), "--out", str(out), "--rate", "0", "--timeout", "1"]) == 0
    assert capsys.readouterr().out.startswith(f"collect: 1 new page(s) in {out}")
    assert main(["collect", "--feeds", str(feeds), "--out", str(out), "--rate", "0"]) == 0
    assert "nothing new" in capsys.readouterr().out


def test_the_command_exits_0_when_pages_fail(site, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(site.url("/news/gone.html") + "\n", encoding="utf-8")
    assert main(["collect", "--urls", str(urls), "--out", str(tmp_path / "out"), "-q", "--rate", "0"]) == 0


@pytest.mark.parametrize(
    "arguments",
    [
        ["collect", "--out", "x"],
        ["collect", "--feeds", "a.txt", "--urls", "b.txt", "--out", "x"],
        ["collect", "--feeds", "no/such/feeds.txt", "--out", "x"],
        ["collect", "--feeds", str(FEEDS_EXAMPLE), "--out", "x"],
        ["collect", "--sitemap", "http://127.0.0.1:9/s.xml", "--out", "x", "--max", "0"],
        ["collect", "--sitemap", "http://127.0.0.1:9/s.xml", "--out", "x", "--since", "某天"],
    ],
)
def test_a_misused_command_exits_2(arguments, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(arguments)
    except SystemExit as exit:  # argparse's own refusal
        code = exit.code
    assert code == 2
    assert not (tmp_path / "x").exists()


def test_sites_are_fetched_from_at_once_each_at_its_own_rate(tmp_path):
    pages = ("/news/jd.html", "/news/taobao.html", "/news/douyin.html")
    with serve() as first, serve() as second:
        sources = Sources(pages=tuple(site.url(path) for site in (first, second) for path in pages))
        result = collect(sources, tmp_path, politeness=Politeness(rate=5, timeout=1), concurrency=2)
        first_times = [moment for path, moment in first.times if path in pages]
        second_times = [moment for path, moment in second.times if path in pages]
    # the two sites serve the same three pages byte for byte: each is stored once, from whichever site came first
    assert result.stored == 3 and len(result.duplicates) == 3
    assert min(second_times) < max(first_times) and min(first_times) < max(second_times)


def test_the_report_is_written_during_the_run_so_a_killed_run_leaves_its_reasons(site, tmp_path, monkeypatch):
    monkeypatch.setattr("hutong.collect._REPORT_EVERY", 1)
    seen: list[int] = []

    def look(result) -> None:
        if (tmp_path / REPORT_NAME).exists():
            seen.append(_report(tmp_path)["counts"]["fetched"])

    collect(_feeds(site), tmp_path, politeness=FAST, concurrency=1, progress=look)
    assert seen and seen[0] >= 1 and seen == sorted(seen)


def test_progress_rewrites_one_line_with_the_counts_per_site(site, tmp_path):
    stream = io.StringIO()
    collect(
        Sources(pages=(site.url("/news/jd.html"),)),
        tmp_path,
        politeness=FAST,
        progress=terminal_progress(stream, width=200),
    )
    line = stream.getvalue()
    assert line.startswith("\rcollect: 1 fetched, 1 stored, 0 duplicate, 0 failed")
    assert f"{site.base.removeprefix('http://')}: 1 stored, 0 failed" in line and "\n" not in line
