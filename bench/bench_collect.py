"""Collect throughput against sites on 127.0.0.1: pages a second at the default politeness (one request a second
per site) and with the limit lifted, beside bare sequential GETs of the same pages; and, where installed, the
libraries the collector could have been built on (trafilatura's fetcher and feed reader, httpx, feedparser).

Each site serves robots.txt, an RSS feed of its pages and the pages (about 30 KB each, Chinese text)."""

from __future__ import annotations

import argparse
import http.server
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine  # noqa: E402

from hutong.collect import Sources, collect, page_metadata, parse_listing  # noqa: E402
from hutong.fetch import Politeness  # noqa: E402

_SENTENCES = [
    "这家平台宣布开放外部链接，用户可以直接在应用内打开其他网站的页面。",
    "两家公司表示将在支付领域继续合作，并计划在年底前完成系统对接。",
    "业内人士认为，平台之间的互联互通会让中小商家受益。",
    "监管部门此前要求各平台按照统一标准处理外链问题。",
]


def _page(site: int, number: int) -> bytes:
    text = "".join(f"<p>{_SENTENCES[(number + i) % 4]}</p>" for i in range(12))
    furniture = "".join(f'<li><a href="/channel/{i}">栏目{i}</a></li>' for i in range(400))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>第{site}站第{number}篇</title>'
        f'<meta property="article:published_time" content="2025-0{1 + number % 9}-1{number % 10}T08:00:00+08:00">'
        f"</head><body><ul>{furniture}</ul><article>{text}</article></body></html>"
    ).encode()


def _feed(base: str, pages: int) -> bytes:
    items = "".join(
        f"<item><title>第{i}篇</title><link>{base}/news/{i}.html</link>"
        f"<pubDate>Mon, 0{1 + i % 9} Sep 2025 08:00:00 GMT</pubDate></item>"
        for i in range(pages)
    )
    return f"<rss version='2.0'><channel><title>测试站</title>{items}</channel></rss>".encode()


@contextmanager
def _site(number: int, pages: int) -> Iterator[str]:
    bodies: dict[str, tuple[str, bytes]] = {"/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /admin/\n")}
    bodies.update({f"/news/{i}.html": ("text/html; charset=utf-8", _page(number, i)) for i in range(pages)})

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes: without this, Nagle and delayed ACKs add 40 ms a page
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:  # noqa: N802
            content_type, body = bodies.get(self.path, ("text/html", b"not found"))
            self.send_response(200 if self.path in bodies else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    bodies["/feed.xml"] = ("application/rss+xml", _feed(base, pages))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def _collect_rate(bases: list[str], politeness: Politeness, *, concurrency: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = collect(
            Sources(listings=tuple(f"{base}/feed.xml" for base in bases)),
            Path(out),
            politeness=politeness,
            concurrency=concurrency,
        )
        seconds = time.perf_counter() - start
    return result.stored / seconds, result.stored


def _bare_rate(urls: list[str]) -> float:
    pool = urllib3.PoolManager()
    start = time.perf_counter()
    for url in urls:
        assert pool.request("GET", url).status == 200
    return len(urls) / (time.perf_counter() - start)


def _libraries(bases: list[str], pages: int) -> None:
    url = f"{bases[0]}/news/0.html"
    print("\nlibraries:")
    from trafilatura import feeds
    from trafilatura.downloads import fetch_response

    response = fetch_response(url)
    print(f"  trafilatura.fetch_response on 127.0.0.1: {'a response' if response else 'None (no reason given)'}")
    feed = urllib3.PoolManager().request("GET", f"{bases[0]}/feed.xml").data
    rounds = 50
    start = time.perf_counter()
    for _ in range(rounds):
        ours = parse_listing(feed, url=bases[0], max_bytes=10_000_000).pages
    ours_ms = (time.perf_counter() - start) / rounds * 1000
    params = feeds.FeedParameters(bases[0], "127.0.0.1", bases[0], external=True)
    start = time.perf_counter()
    for _ in range(rounds):
        links = feeds.extract_links(feed.decode(), params)
    print(
        f"  a {pages}-item RSS feed: parse_listing {ours_ms:.2f} ms ({len(ours)} pages with title and date); "
        f"trafilatura.feeds.extract_links {(time.perf_counter() - start) / rounds * 1000:.2f} ms "
        f"({len(links)} links, no title or date)"
    )
    try:
        import feedparser

        start = time.perf_counter()
        for _ in range(rounds):
            parsed = feedparser.parse(feed)
        print(
            f"  feedparser.parse {(time.perf_counter() - start) / rounds * 1000:.2f} ms ({len(parsed.entries)} entries)"
        )
    except ImportError:
        print("  feedparser: not installed")
    try:
        import httpx

        urls = [f"{bases[0]}/news/{i}.html" for i in range(pages)]
        with httpx.Client() as client:
            start = time.perf_counter()
            for page in urls:
                assert client.get(page).status_code == 200
            print(f"  httpx.Client sequential GETs: {len(urls) / (time.perf_counter() - start):.0f} pages/s")
    except ImportError:
        print("  httpx: not installed")
    body = urllib3.PoolManager().request("GET", url).data
    start = time.perf_counter()
    for _ in range(rounds):
        page_metadata(body)
    print(f"  page_metadata (og:, article: and htmldate) {(time.perf_counter() - start) / rounds * 1000:.2f} ms a page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--polite-pages", type=int, default=8, help="pages per site at one request a second")
    parser.add_argument("--pages", type=int, default=200, help="pages per site with the limit lifted")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(describe_machine())
    with ExitStack() as stack:
        polite = [stack.enter_context(_site(n, args.polite_pages)) for n in range(args.sites)]
        rate, stored = _collect_rate(polite, Politeness(), concurrency=8)
        # each site's robots.txt, feed and pages take one turn a second each
        ideal = args.sites * args.polite_pages / (args.polite_pages + 1)
        print(
            f"default politeness, {args.sites} sites × {args.polite_pages} pages: {rate:.2f} pages/s "
            f"({stored} stored; the limit allows {ideal:.2f}: {rate / ideal:.2f} of it)"
        )
    with ExitStack() as stack:
        sites = [stack.enter_context(_site(n, args.pages)) for n in range(args.sites)]
        urls = [f"{base}/news/{i}.html" for base in sites for i in range(args.pages)]
        lifted, bare, single = [], [], []
        for _ in range(args.rounds):
            bare.append(_bare_rate(urls))
            lifted.append(_collect_rate(sites, Politeness(rate=0), concurrency=8)[0])
            single.append(_collect_rate(sites, Politeness(rate=0), concurrency=1)[0])
        print(
            f"limit lifted, {args.sites} sites × {args.pages} pages (median of {args.rounds}): "
            f"{statistics.median(lifted):.0f} pages/s with 8 sites at once, {statistics.median(single):.0f} one at a "
            f"time; bare sequential urllib3 GETs {statistics.median(bare):.0f} pages/s "
            f"(collect = {statistics.median(lifted) / statistics.median(bare):.2f} × bare)"
        )
        _libraries(sites, args.pages)


if __name__ == "__main__":
    main()
