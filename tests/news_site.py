"""A small news site on 127.0.0.1 for the collector's tests: feeds, sitemaps and pages written for them."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SITE_NAME = "胡同测试报"


def article(title: str, paragraphs: list[str], *, head: str = "", charset: str = "utf-8") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="{charset}"><title>{title}</title>'
        f'<meta property="og:site_name" content="{SITE_NAME}">{head}</head>'
        f"<body><nav>首页 科技 财经</nav><article><h1>{title}</h1>{body}</article>"
        "<footer>版权所有</footer></body></html>"
    )


ALIPAY = article(
    "支付宝开放微信分享入口",
    [
        "三月一日，支付宝宣布在其小程序中开放微信分享入口，用户可以把商品链接直接发给微信好友。",
        "支付宝方面表示，这次调整是平台互联互通的又一步，后续还会开放更多外部链接。",
        "业内人士认为，两大平台之间的壁垒正在慢慢减少，用户在不同应用之间切换会更方便。",
    ],
    head='<meta property="article:published_time" content="2025-03-01T08:00:00+08:00">'
    '<link rel="canonical" href="/news/alipay.html">',
)
# the same article at another address, a little different in its markup, naming the first as canonical
ALIPAY_MIRROR = ALIPAY.replace("<footer>版权所有</footer>", "<footer>版权所有 转载请注明</footer>")
TAOBAO = article(
    "淘宝接入微信支付",
    [
        "四月十日，淘宝宣布部分商家开始接入微信支付，消费者在下单时可以选择用微信付款。",
        "淘宝表示，这项服务先在少数类目试点，之后会逐步扩大到更多商家。",
        "分析人士指出，支付方式的开放有助于降低商家的经营成本，也让消费者有了更多选择。",
    ],
)
JD = article(
    "京东物流接入菜鸟驿站",
    [
        "五月六日，京东物流宣布其快递包裹可以在菜鸟驿站代收，这是两家公司首次在末端配送上合作。",
        "京东物流称，合作将先在北京和上海的部分社区展开，随后推广到其他城市。",
        "有快递员表示，包裹集中存放后，派送效率明显提高，用户取件也更灵活。",
    ],
)
# the date is in the page's metadata alone: not in the feed, the address or the text
META_ONLY_DATE = article(
    "抖音开放外链跳转",
    [
        "抖音宣布允许用户在视频评论区分享其他平台的链接，此前这类链接会被屏蔽。",
        "抖音方面称，此举是为了让内容创作者更方便地引导粉丝访问其他平台的作品。",
        "多位创作者表示欢迎，认为这会让跨平台的内容运营更加顺畅。",
    ],
    head='<meta name="pubdate" content="2025-06-18 10:30:00">',
)
GBK_PAGE = article(
    "美团接入支付宝付款",
    [
        "七月二日，美团宣布外卖订单可以使用支付宝付款，这是两家平台多年来首次打通支付。",
        "美团表示，新的付款方式将在一周内覆盖全国所有城市的外卖业务。",
        "不少用户在社交媒体上说，终于可以用自己习惯的方式付款了。",
    ],
    head='<meta name="pubdate" content="2025-07-02T09:00:00+08:00">',
    charset="gbk",
).encode("gbk")
MOVED = article(
    "百度网盘链接可在微信打开",
    [
        "八月八日，百度网盘分享的链接已经可以在微信中直接打开，不再需要复制到浏览器。",
        "百度方面表示，这是与腾讯沟通后作出的调整，用户体验会明显改善。",
        "有用户表示，以前每次都要复制链接，现在方便多了。",
    ],
    head='<meta property="article:published_time" content="2025-08-08T12:00:00+08:00">',
)


def _rss(base: str) -> str:
    items = [
        ("支付宝开放微信分享入口", "/news/alipay.html", "Sat, 01 Mar 2025 00:00:00 GMT"),
        ("支付宝开放微信分享入口", "/news/alipay.html?utm_source=rss&utm_medium=feed", "Sat, 01 Mar 2025 00:00:00 GMT"),
        ("支付宝开放微信分享入口（转载）", "/mirror/alipay.html", "Sat, 01 Mar 2025 00:00:00 GMT"),
        ("抖音开放外链跳转", "/news/douyin.html", None),
        ("美团接入支付宝付款", "/news/meituan.html", "Wed, 02 Jul 2025 01:00:00 GMT"),
        ("百度网盘链接可在微信打开", "/old/baidu.html", "Fri, 08 Aug 2025 04:00:00 GMT"),
        ("内部稿件", "/private/draft.html", "Fri, 08 Aug 2025 04:00:00 GMT"),
        ("已删除的稿件", "/news/gone.html", "Fri, 08 Aug 2025 04:00:00 GMT"),
        ("年度报告", "/files/report.pdf", "Fri, 08 Aug 2025 04:00:00 GMT"),
    ]
    xml = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link>"
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + "</item>"
        for title, path, date in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{SITE_NAME}</title><link>{base}/</link>{xml}</channel></rss>"
    )


def _atom(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{SITE_NAME}</title><entry><title>淘宝接入微信支付</title>"
        f'<link rel="alternate" href="{base}/news/taobao.html"/><published>2025-04-10T08:00:00+08:00</published>'
        "</entry></feed>"
    )


def _news_sitemap(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{base}/news/jd.html</loc><news:news><news:publication><news:name>{SITE_NAME}</news:name>"
        "<news:language>zh</news:language></news:publication><news:publication_date>2025-05-06T08:00:00+08:00"
        "</news:publication_date><news:title>京东物流接入菜鸟驿站</news:title></news:news></url></urlset>"
    )


def _gzipped_sitemap(base: str) -> bytes:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/news/taobao.html</loc><lastmod>2025-04-10</lastmod></url>"
        f"<url><loc>{base}/news/douyin.html</loc></url></urlset>"
    )
    return gzip.compress(xml.encode("utf-8"))


def _sitemap_index(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemaps/news.xml</loc></sitemap>"
        f"<sitemap><loc>{base}/sitemaps/pages.xml.gz</loc></sitemap></sitemapindex>"
    )


@dataclass
class NewsSite:
    base: str
    hits: Counter = field(default_factory=Counter)
    user_agents: list[str] = field(default_factory=list)
    times: list[tuple[str, float]] = field(default_factory=list)
    slow_seconds: float = 2.0
    robots_txt: bytes = b"User-agent: *\nDisallow: /private/\n"
    huge_bytes: int = 200_000

    def url(self, path: str) -> str:
        return self.base + path

    def page_hits(self) -> int:
        """Requests for anything but robots.txt, feeds and sitemaps."""
        return sum(n for path, n in self.hits.items() if not path.startswith(("/robots", "/feeds", "/sitemap")))


def _routes(site: NewsSite) -> dict[str, tuple[int, str, bytes, dict[str, str]]]:
    html, xml = "text/html; charset=utf-8", "application/xml"
    base = site.base
    return {
        "/robots.txt": (200, "text/plain", site.robots_txt, {}),
        "/feeds/rss.xml": (200, "application/rss+xml", _rss(base).encode(), {}),
        "/feeds/atom.xml": (200, "application/atom+xml", _atom(base).encode(), {}),
        "/sitemap_index.xml": (200, xml, _sitemap_index(base).encode(), {}),
        "/sitemaps/news.xml": (200, xml, _news_sitemap(base).encode(), {}),
        "/sitemaps/pages.xml.gz": (200, "application/gzip", _gzipped_sitemap(base), {}),
        "/news/alipay.html": (200, html, ALIPAY.encode(), {}),
        "/mirror/alipay.html": (200, html, ALIPAY_MIRROR.encode(), {}),
        "/news/taobao.html": (200, html, TAOBAO.encode(), {}),
        "/news/jd.html": (200, html, JD.encode(), {}),
        "/news/douyin.html": (200, html, META_ONLY_DATE.encode(), {}),
        "/news/meituan.html": (200, "text/html", GBK_PAGE, {}),
        "/old/baidu.html": (301, html, b"", {"Location": "/older/baidu.html"}),
        "/older/baidu.html": (302, html, b"", {"Location": f"{base}/news/baidu.html"}),
        "/news/baidu.html": (200, html, MOVED.encode(), {}),
        "/private/draft.html": (200, html, TAOBAO.encode(), {}),
        "/files/report.pdf": (200, "application/pdf", b"%PDF-1.4\n" + b"0" * 2000, {}),
        "/loop/a": (302, html, b"", {"Location": "/loop/b"}),
        "/loop/b": (302, html, b"", {"Location": "/loop/a"}),
        "/busy.html": (429, html, b"", {"Retry-After": "0"}),
    }


def _handler(site: NewsSite) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            path = self.path.split("?", 1)[0]
            site.hits[path] += 1
            site.times.append((path, time.monotonic()))
            site.user_agents.append(self.headers.get("User-Agent", ""))
            if path == "/flaky.html" and site.hits[path] == 1:
                return self._send(500, "text/html", b"busy", {})
            if path == "/flaky.html":
                return self._send(200, "text/html", TAOBAO.encode(), {})
            if path == "/slow.html":
                time.sleep(site.slow_seconds)
                return self._send(200, "text/html", TAOBAO.encode(), {})
            if path == "/huge.html":
                return self._send(200, "text/html", b"<html>" + b"x" * site.huge_bytes, {})
            if path == "/huge-unsized.html":
                return self._stream_unsized(b"<html>" + b"x" * site.huge_bytes)
            status, content_type, body, headers = _routes(site).get(path, (404, "text/html", b"not found", {}))
            self._send(status, content_type, body, headers)

        def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _stream_unsized(self, body: bytes) -> None:
            # no Content-Length: the size is known only by reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for start in range(0, len(body), 8192):
                    self.wfile.write(body[start : start + 8192])
            except OSError:
                pass  # the collector hung up at its cap

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up on a kept-alive connection is no news here


@contextmanager
def serve() -> Iterator[NewsSite]:
    """The site on a free port of 127.0.0.1, for the length of the with block."""
    server = _QuietServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.daemon_threads = True
    site = NewsSite(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
