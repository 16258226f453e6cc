"""Collect news pages from feeds, sitemaps and URL lists into a folder `hutong build` reads (pages + MANIFEST.csv)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import threading
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from hutong.fetch import DEFAULT_POLITENESS, HTML_TYPES, Fetched, Fetcher, Politeness
from hutong.paths import DATA_DIR

MANIFEST_NAME = "MANIFEST.csv"
REPORT_NAME = "collect_report.json"
PAGES_DIR = "pages"
MANIFEST_COLUMNS = (
    "file",
    "url",
    "final_url",
    "canonical_url",
    "title",
    "published_at",
    "source",
    "status",
    "fetched_at",
    "content_type",
    "content_sha256",
    "found_in",
)
TRACKING_PARAMS_PATH = DATA_DIR / "collect" / "tracking_params.txt"
# a sitemap index may name sitemaps that name sitemaps; deeper than this is a loop or a trap
_MAX_SITEMAP_DEPTH = 3
_MAX_LISTINGS = 1_000
_REPORT_EVERY = 25


@dataclass(frozen=True)
class Candidate:
    """A page a feed, sitemap or URL list names, with what the listing says of it."""

    url: str
    found_in: str
    title: str | None = None
    published_at: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Failure:
    url: str
    reason: str
    status: int | None = None
    lasting: bool = True


@dataclass
class CollectResult:
    """What one run did: counts, and every page not stored with its reason."""

    out_dir: Path
    listings: int = 0
    candidates: int = 0
    fetched: int = 0
    stored: int = 0
    already: int = 0
    settled_earlier: int = 0
    too_old: int = 0
    not_reached: int = 0
    duplicates: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    per_host: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def summary_line(self) -> str:
        known = self.already + self.settled_earlier
        tail = f"; {len(self.failures)} failed, reasons in {self.out_dir / REPORT_NAME}" if self.failures else ""
        if self.stored == 0:
            retried = f", {self.fetched} tried again after passing failures" if self.fetched else ""
            return (
                f"collect: nothing new in {self.listings} listing(s): {self.already} page(s) already collected, "
                f"{self.settled_earlier} settled earlier (duplicates or lasting failures), "
                f"{len(self.duplicates)} new duplicate(s){retried}{tail}"
            )
        return (
            f"collect: {self.stored} new page(s) in {self.out_dir} from {self.listings} listing(s) "
            f"({self.fetched} fetched, {known} already known, {len(self.duplicates)} duplicate(s), "
            f"{self.too_old} before --since, {self.not_reached} left by --max){tail}"
        )


# ---------------------------------------------------------------------------- URLs


@cache
def tracking_params(path: Path = TRACKING_PARAMS_PATH) -> tuple[frozenset[str], tuple[str, ...]]:
    """(names, prefixes) of tracking query parameters from the data file."""
    names = [line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines()]
    names = [name for name in names if name and not name.startswith("#")]
    return (
        frozenset(name for name in names if not name.endswith("*")),
        tuple(name[:-1] for name in names if name.endswith("*")),
    )


def normalise_url(url: str) -> str:
    """The URL that names a page once: lower-case scheme and host, no default port, no fragment, no tracking
    parameters, the others sorted."""
    names, prefixes = tracking_params()
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in names and not key.lower().startswith(prefixes)
    )
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def is_web_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def read_url_list(path: Path) -> list[str]:
    """The URLs of a list file: one a line, blank lines and lines starting with # left out."""
    lines = (line.strip() for line in Path(path).read_text(encoding="utf-8-sig").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# ---------------------------------------------------------------------------- feeds and sitemaps


@dataclass(frozen=True)
class Listing:
    """What a feed or sitemap names: pages, and (a sitemap index) further sitemaps."""

    pages: list[Candidate]
    sitemaps: list[str]


def parse_listing(body: bytes, *, url: str, max_bytes: int) -> Listing:
    """Pages and child sitemaps of an RSS 2.0, RSS 1.0, Atom feed or a sitemap (index, news, gzipped).
    Raises ValueError when the body is none of these."""
    import lxml.etree

    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, max_bytes)
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(body.strip(), parser=parser)
    except lxml.etree.LxmlError as error:
        raise ValueError(f"not a feed or sitemap ({type(error).__name__})") from None
    if root is None:
        raise ValueError("not a feed or sitemap (empty)")
    kind = lxml.etree.QName(root).localname.lower()
    if kind == "sitemapindex":
        return Listing([], [urljoin(url, loc) for loc in _texts(root, "sitemap", "loc")])
    if kind == "urlset":
        return Listing(list(_sitemap_pages(root, url)), [])
    if kind in ("rss", "rdf"):
        return Listing(list(_rss_pages(root, url)), [])
    if kind == "feed":
        return Listing(list(_atom_pages(root, url)), [])
    raise ValueError(f"not a feed or sitemap (root element <{kind}>)")


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
            data = unzipped.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"gzip data cannot be read ({type(error).__name__})") from None
    if len(data) > max_bytes:
        raise ValueError(f"unzipped sitemap is over the {max_bytes:,}-byte cap")
    return data


def _local(element) -> str:
    import lxml.etree

    return lxml.etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child) == name]


def _child_text(element, *names: str) -> str | None:
    """The text of the first child with one of the local names (namespaces ignored: feeds mix them freely)."""
    for name in names:
        for child in _children(element, name):
            text = (child.text or "").strip()
            if text:
                return text
    return None


def _texts(root, item: str, name: str) -> list[str]:
    return [text for element in _children(root, item) if (text := _child_text(element, name))]


def _sitemap_pages(root, url: str) -> Iterator[Candidate]:
    for entry in _children(root, "url"):
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        news = next(iter(_children(entry, "news")), None)
        title = published = source = None
        if news is not None:
            title = _child_text(news, "title")
            published = _child_text(news, "publication_date")
            publication = next(iter(_children(news, "publication")), None)
            source = _child_text(publication, "name") if publication is not None else None
        yield Candidate(urljoin(url, loc), url, title, published or _child_text(entry, "lastmod"), source)


def _rss_pages(root, url: str) -> Iterator[Candidate]:
    channel = next(iter(_children(root, "channel")), root)
    source = _child_text(channel, "title")
    # RSS 2.0 puts items in the channel, RSS 1.0 (RDF) beside it
    for item in _children(channel, "item") + _children(root, "item"):
        link = _child_text(item, "link") or _permalink_guid(item)
        if link:
            published = _child_text(item, "pubDate", "date", "published", "updated")
            yield Candidate(urljoin(url, link), url, _child_text(item, "title"), published, source)


def _permalink_guid(item) -> str | None:
    for guid in _children(item, "guid"):
        if guid.get("isPermaLink", "true").lower() == "true" and (guid.text or "").strip():
            return guid.text.strip()
    return None


def _atom_pages(root, url: str) -> Iterator[Candidate]:
    source = _child_text(root, "title")
    for entry in _children(root, "entry"):
        links = _children(entry, "link")
        link = next((x.get("href") for x in links if x.get("rel", "alternate") == "alternate" and x.get("href")), None)
        if link:
            published = _child_text(entry, "published", "updated")
            yield Candidate(urljoin(url, link), url, _child_text(entry, "title"), published, source)


# ---------------------------------------------------------------------------- pages


_CANONICAL = re.compile(rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(rb"\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)


def canonical_link(body: bytes, *, url: str) -> str | None:
    """The page's <link rel="canonical"> as an absolute URL, if it names a web page."""
    tag = _CANONICAL.search(body[:200_000])
    if tag is None:
        return None
    href = _HREF.search(tag.group(0))
    if href is None:
        return None
    value = next(group for group in href.groups() if group is not None).decode("ascii", errors="ignore").strip()
    absolute = urljoin(url, value) if value else ""
    return absolute if is_web_url(absolute) else None


def page_metadata(body: bytes) -> dict[str, str]:
    """Title, site name and publication time from the page's own metadata (og:, article:, htmldate);
    the build reads them again from the page, these fill the manifest for people and for --since."""
    import htmldate
    import lxml.html

    from hutong.ingest import _decode_html

    text, _ = _decode_html(body)
    try:
        tree = lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (ValueError, lxml.etree.LxmlError):
        return {}

    def first(*xpaths: str) -> str | None:
        for xpath in xpaths:
            for value in tree.xpath(xpath):
                if str(value).strip():
                    return " ".join(str(value).split())
        return None

    found = {
        "title": first('//meta[@property="og:title"]/@content', "//title/text()"),
        "source": first('//meta[@property="og:site_name"]/@content', '//meta[@name="application-name"]/@content'),
        "published_at": first(
            '//meta[@property="article:published_time" or @name="pubdate" or @name="publishdate" '
            'or @itemprop="datePublished"]/@content'
        ),
    }
    if not found["published_at"]:
        try:
            found["published_at"] = htmldate.find_date(
                tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S%z"
            )
        except Exception:  # noqa: BLE001 - third-party date finder on untrusted markup; the build tries again
            found["published_at"] = None
    return {key: value for key, value in found.items() if value}


# ---------------------------------------------------------------------------- the collected folder


class CollectedFolder:
    """The output folder: pages under pages/<host>/, a row per page in MANIFEST.csv written as soon as the page
    is, so a killed run loses at most the page it was writing; what is known is read back from the manifest."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = self.out_dir / MANIFEST_NAME
        self.known_urls: dict[str, str] = {}
        self.known_hashes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._read_manifest()

    def _read_manifest(self) -> None:
        if not self.manifest.exists():
            return
        data = self.manifest.read_bytes()
        if data and not data.endswith(b"\n"):
            # a run killed while writing a row: drop the half row (its page is fetched again)
            data = data[: data.rfind(b"\n") + 1]
            self.manifest.write_bytes(data)
        for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
            url = row.get("url") or ""
            for name in ("url", "final_url", "canonical_url"):
                if row.get(name):
                    self.known_urls.setdefault(normalise_url(row[name]), url)
            if row.get("content_sha256"):
                self.known_hashes.setdefault(row["content_sha256"], url)

    def page_path(self, url: str) -> Path:
        digest = hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()[:20]
        host = re.sub(r"[^A-Za-z0-9.-]", "_", host_of(url)) or "unknown"
        return Path(PAGES_DIR) / host / f"{digest}.html"

    def claim(self, urls: Iterable[str], *, content_sha256: str, owner: str) -> str | None:
        """Record urls and the content as collected by `owner`, unless one of them already is: then the URL
        that has it is returned and nothing is recorded."""
        keys = [normalise_url(url) for url in urls if url]
        with self._lock:
            for key in keys:
                if self.known_urls.get(key, owner) != owner:
                    return self.known_urls[key]
            if self.known_hashes.get(content_sha256, owner) != owner:
                return self.known_hashes[content_sha256]
            for key in keys:
                self.known_urls[key] = owner
            self.known_hashes[content_sha256] = owner
            return None

    def is_known(self, url: str) -> bool:
        with self._lock:
            return normalise_url(url) in self.known_urls

    def store(self, row: dict[str, str], body: bytes) -> None:
        """Write the page (atomically) and then its manifest row."""
        path = self.out_dir / row["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(body)
        os.replace(partial, path)
        with self._lock:
            new = not self.manifest.exists() or self.manifest.stat().st_size == 0
            with self.manifest.open("a", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
                if new:
                    writer.writeheader()
                writer.writerow(row)

    def settled_urls(self) -> dict[str, dict]:
        """Pages earlier runs settled without storing them, by normalised URL: lasting failures (404, not HTML,
        robots.txt) and duplicates of a stored page. They are not fetched again."""
        try:
            report = json.loads((self.out_dir / REPORT_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        entries = report.get("settled", []) if isinstance(report, dict) else []
        return {normalise_url(entry["url"]): entry for entry in entries if isinstance(entry, dict) and "url" in entry}

    def write_report(self, result: CollectResult, settled: dict[str, dict]) -> None:
        report = {
            "summary": result.summary_line(),
            "finished_at": _now(),
            "counts": {
                "listings": result.listings,
                "pages_listed": result.candidates,
                "fetched": result.fetched,
                "stored": result.stored,
                "already_collected": result.already,
                "settled_earlier": result.settled_earlier,
                "before_since": result.too_old,
                "left_by_max": result.not_reached,
                "duplicates": len(result.duplicates),
                "failed": len(result.failures),
            },
            "per_host": {host: dict(counts) for host, counts in sorted(result.per_host.items())},
            "failures": [asdict(failure) for failure in result.failures],
            "duplicates": result.duplicates,
            "settled": sorted(settled.values(), key=lambda entry: entry["url"]),
        }
        partial = self.out_dir / (REPORT_NAME + ".part")
        partial.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(partial, self.out_dir / REPORT_NAME)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Sources:
    """Where to find pages: feed or sitemap URLs (listings) and page URLs."""

    listings: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    origin: str = "command line"


def collect(
    sources: Sources,
    out_dir: Path,
    *,
    politeness: Politeness = DEFAULT_POLITENESS,
    since: datetime | None = None,
    max_pages: int | None = None,
    concurrency: int = 8,
    progress: Callable[[CollectResult], None] | None = None,
) -> CollectResult:
    """Fetch the listings, then every page they and the URL list name that is not yet in out_dir, one thread
    per host (at most `concurrency` at once), each host at politeness.rate; write the report."""
    folder = CollectedFolder(out_dir)
    fetcher = Fetcher(politeness)
    result = CollectResult(Path(out_dir))
    settled = folder.settled_urls()
    candidates = _gather(sources, fetcher, result, max_bytes=politeness.max_bytes, concurrency=concurrency)
    queues = _queue_by_host(candidates, folder, settled, result, since)
    budget = _Budget(max_pages)
    lock = threading.Lock()

    def work(host_queue: list[Candidate]) -> None:
        for candidate in host_queue:
            if not budget.take():
                with lock:
                    result.not_reached += 1
                continue
            _collect_page(candidate, fetcher, folder, result, settled, lock)
            with lock:  # the report now and then, so that a killed run still leaves most of its reasons
                if progress is not None:
                    progress(result)
                if result.fetched % _REPORT_EVERY == 0:
                    folder.write_report(result, settled)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(work, queues.values()))
    folder.write_report(result, settled)
    return result


@dataclass
class _Budget:
    left: int | None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.left is None:
                return True
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def _gather(
    sources: Sources, fetcher: Fetcher, result: CollectResult, *, max_bytes: int, concurrency: int
) -> list[Candidate]:
    """Every page the sources name: the URL list's, then the listings' in the order given, a sitemap index's
    children after all the listings of its level. The listings of one level are fetched a host at a time, hosts
    at once, so that a site's pages can start as soon as its feed is read."""
    pages: list[Candidate] = []
    for url in sources.pages:
        if is_web_url(url):
            pages.append(Candidate(url.strip(), sources.origin))
        else:
            result.failures.append(Failure(url, "not an http(s) URL"))
    level: list[str] = list(sources.listings)
    seen: set[str] = set()
    for _level in range(_MAX_SITEMAP_DEPTH + 1):
        batch = []
        for url in level:
            if not is_web_url(url):
                result.failures.append(Failure(url, "not an http(s) URL"))
            elif normalise_url(url) not in seen and len(seen) < _MAX_LISTINGS:
                seen.add(normalise_url(url))
                batch.append(url)
        fetched = _fetch_by_host(batch, fetcher, concurrency)
        level = []
        for url in batch:
            listing = _read_listing(url, fetched[url], result, max_bytes)
            pages.extend(listing.pages)
            level.extend(listing.sitemaps)
    if level:
        result.failures.append(Failure(level[0], f"sitemaps nested deeper than {_MAX_SITEMAP_DEPTH} levels not read"))
    result.candidates = len(pages)
    return pages


def _fetch_by_host(urls: list[str], fetcher: Fetcher, concurrency: int) -> dict[str, Fetched]:
    by_host: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        by_host[host_of(url)].append(url)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        done = pool.map(lambda queue: [(url, fetcher.get(url)) for url in queue], by_host.values())
        return {url: fetched for queue in done for url, fetched in queue}


def _read_listing(url: str, fetched: Fetched, result: CollectResult, max_bytes: int) -> Listing:
    result.listings += 1
    result.per_host[host_of(url)]["listings"] += 1
    if fetched.failure is not None:
        result.failures.append(Failure(url, f"feed or sitemap: {fetched.failure}", fetched.status, False))
        return Listing([], [])
    try:
        return parse_listing(fetched.body, url=fetched.final_url, max_bytes=max_bytes)
    except ValueError as error:
        result.failures.append(Failure(url, str(error), fetched.status, False))
        return Listing([], [])


def _queue_by_host(
    candidates: list[Candidate],
    folder: CollectedFolder,
    settled: dict[str, dict],
    result: CollectResult,
    since: datetime | None,
) -> dict[str, list[Candidate]]:
    """Pages to fetch, by host, in listing order: each URL once, none already collected or failed for good,
    none a listing dates before `since` (a page the listing does not date is fetched)."""
    from hutong.ingest import parse_published_at

    queues: dict[str, list[Candidate]] = defaultdict(list)
    queued: set[str] = set()
    for candidate in candidates:
        key = normalise_url(candidate.url)
        if key in queued:
            continue
        queued.add(key)
        if folder.is_known(candidate.url):
            result.already += 1
        elif key in settled:
            result.settled_earlier += 1
        elif since is not None and _before(parse_published_at(candidate.published_at or "")[0], since):
            result.too_old += 1
        else:
            queues[host_of(candidate.url)].append(candidate)
    return queues


def _before(published: datetime | None, since: datetime) -> bool:
    if published is None:
        return False
    if published.tzinfo is None or since.tzinfo is None:
        return published.replace(tzinfo=None) < since.replace(tzinfo=None)
    return published < since


def _collect_page(
    candidate: Candidate,
    fetcher: Fetcher,
    folder: CollectedFolder,
    result: CollectResult,
    settled: dict[str, dict],
    lock: threading.Lock,
) -> None:
    fetched = fetcher.get(candidate.url, accept=HTML_TYPES)
    host = host_of(candidate.url)
    with lock:
        result.fetched += 1
    if fetched.failure is None and not _looks_like_html(fetched):
        fetched = Fetched(fetched.url, fetched.final_url, fetched.status, failure="not HTML (no markup found)")
    if fetched.failure is not None:
        failure = Failure(candidate.url, fetched.failure, fetched.status, fetched.lasting)
        with lock:
            result.failures.append(failure)
            result.per_host[host]["failed"] += 1
            if failure.lasting:
                settled[normalise_url(candidate.url)] = {**asdict(failure), "at": _now()}
        return
    canonical = canonical_link(fetched.body, url=fetched.final_url)
    digest = hashlib.sha256(fetched.body).hexdigest()
    holder = folder.claim(
        [candidate.url, fetched.final_url, canonical or ""], content_sha256=digest, owner=candidate.url
    )
    if holder is not None:
        duplicate = {"url": candidate.url, "same_as": holder, "canonical_url": canonical}
        with lock:
            result.duplicates.append(duplicate)
            result.per_host[host]["duplicates"] += 1
            settled[normalise_url(candidate.url)] = {**duplicate, "reason": f"same page as {holder}", "at": _now()}
        return
    folder.store(_manifest_row(candidate, fetched, folder, canonical, digest), fetched.body)
    with lock:
        result.stored += 1
        result.per_host[host]["stored"] += 1


def _looks_like_html(fetched: Fetched) -> bool:
    """A page sent with no content type must still be markup (a PDF is not)."""
    if fetched.content_type:
        return True
    head = fetched.body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<!--")) or b"<body" in head


def _manifest_row(
    candidate: Candidate, fetched: Fetched, folder: CollectedFolder, canonical: str | None, digest: str
) -> dict[str, str]:
    own = page_metadata(fetched.body)
    return {
        "file": folder.page_path(candidate.url).as_posix(),
        "url": candidate.url,
        "final_url": fetched.final_url,
        "canonical_url": canonical or "",
        # the page's own metadata first: a feed's title is often shortened, its date the feed's update time
        "title": own.get("title") or candidate.title or "",
        "published_at": own.get("published_at") or candidate.published_at or "",
        "source": candidate.source or own.get("source") or host_of(fetched.final_url),
        "status": str(fetched.status or ""),
        "fetched_at": _now(),
        "content_type": fetched.content_type,
        "content_sha256": digest,
        "found_in": candidate.found_in,
    }


# ---------------------------------------------------------------------------- progress


def terminal_progress(stream=sys.stderr, *, width: int | None = None) -> Callable[[CollectResult], None]:
    """A one-line progress display, rewritten in place and cut to `width` (the terminal's); only for a terminal."""
    lock = threading.Lock()

    def show(result: CollectResult) -> None:
        hosts = " · ".join(
            f"{host}: {counts['stored']} stored, {counts['failed']} failed"
            for host, counts in sorted(result.per_host.items())
        )
        line = (
            f"collect: {result.fetched} fetched, {result.stored} stored, {len(result.duplicates)} duplicate, "
            f"{len(result.failures)} failed | {hosts}"
        )
        columns = width or max(20, shutil.get_terminal_size().columns - 1)
        with lock:
            stream.write("\r" + line[:columns].ljust(columns))
            stream.flush()

    return show
