"""Polite HTTP for the collector: robots.txt, a per-host rate limit, timeouts, retries, a size cap, redirects."""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3

from hutong import __version__

USER_AGENT = f"HutongCollector/{__version__} (news analysis on the analyst's machine; python -m hutong collect)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 65_536


@dataclass(frozen=True)
class Politeness:
    """How the collector treats a site. rate: requests a second per host (0: no limit)."""

    user_agent: str = USER_AGENT
    rate: float = 1.0
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 3
    backoff: float = 2.0
    max_wait: float = 60.0
    obey_robots: bool = True


DEFAULT_POLITENESS = Politeness()


@dataclass(frozen=True)
class Fetched:
    """A response, or why there is none: `failure` is a plain-English reason; `lasting` failures (404, not HTML,
    robots.txt) are not worth trying again on a later run, passing ones (timeouts, 5xx) are."""

    url: str
    final_url: str
    status: int | None = None
    body: bytes = b""
    content_type: str = ""
    failure: str | None = None
    lasting: bool = True


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_turn: float = 0.0
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    robots_problem: str | None = None


class _Refused(Exception):
    """A request is not made or its answer cannot be used; args: (reason, status, lasting)."""


class Fetcher:
    """One collector's connections and, per host (scheme://host:port), its turn and its robots.txt.
    Thread-safe: threads working on different hosts run at once; requests to one host keep to its rate."""

    def __init__(self, politeness: Politeness = DEFAULT_POLITENESS) -> None:
        self.politeness = politeness
        self._pool = urllib3.PoolManager(
            num_pools=64,
            headers={"User-Agent": politeness.user_agent, "Accept-Encoding": "gzip, deflate"},
            retries=False,
            timeout=urllib3.Timeout(connect=politeness.timeout, read=politeness.timeout),
        )
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self.requests = 0

    def get(self, url: str, *, accept: tuple[str, ...] | None = None) -> Fetched:
        """GET url following redirects; accept: content types to download (None: any), others are not read."""
        current = url
        for _ in range(self.politeness.max_redirects + 1):
            try:
                self._check_robots(current)
                response = self._request_with_retries(current)
            except _Refused as refused:
                reason, status, lasting = refused.args
                return Fetched(url, current, status, failure=reason, lasting=lasting)
            location = response.headers.get("Location")
            if response.status in _REDIRECTS and location:
                _let_go(response)
                current = urljoin(current, location.strip())
                if urlsplit(current).scheme not in ("http", "https"):
                    return Fetched(url, current, response.status, failure="redirected to a non-web address")
                continue
            return self._read(url, current, response, accept)
        return Fetched(url, current, failure=f"more than {self.politeness.max_redirects} redirects")

    def _read(
        self, url: str, final: str, response: urllib3.BaseHTTPResponse, accept: tuple[str, ...] | None
    ) -> Fetched:
        status = response.status
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            if status >= 400:
                return Fetched(url, final, status, failure=f"HTTP {status}", lasting=status < 500 and status != 429)
            if accept is not None and content_type and not content_type.startswith(accept):
                return Fetched(url, final, status, content_type=content_type, failure=f"not HTML ({content_type})")
            body = self._capped_body(response)
        except _Refused as refused:
            reason, _, lasting = refused.args
            return Fetched(url, final, status, content_type=content_type, failure=reason, lasting=lasting)
        finally:
            _let_go(response)
        return Fetched(url, final, status, body=body, content_type=content_type)

    def _capped_body(self, response: urllib3.BaseHTTPResponse) -> bytes:
        cap = self.politeness.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _Refused(f"page is {int(declared):,} bytes, over the {cap:,}-byte cap", None, True)
        # a page that trickles in is given three timeouts in all, however steadily it arrives
        deadline = time.monotonic() + 3 * self.politeness.timeout
        chunks, size = [], 0
        try:
            for chunk in response.stream(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > cap:
                    raise _Refused(f"page is over the {cap:,}-byte cap", None, True)
                if time.monotonic() > deadline:
                    raise _Refused(f"page took over {3 * self.politeness.timeout:g} s to arrive", None, False)
                chunks.append(chunk)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise _Refused(_network_reason(error, self.politeness.timeout), None, False) from None
        return b"".join(chunks)

    def _request_with_retries(self, url: str) -> urllib3.BaseHTTPResponse:
        """One request, tried again after a growing wait on 429, 5xx and network errors."""
        politeness = self.politeness
        for attempt in range(politeness.retries + 1):
            last = attempt == politeness.retries
            self._wait_turn(url)
            try:
                response = self._pool.request("GET", url, redirect=False, preload_content=False)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                if last:
                    raise _Refused(_network_reason(error, politeness.timeout), None, False) from None
                time.sleep(politeness.backoff * 2**attempt)
                continue
            if (response.status == 429 or response.status >= 500) and not last:
                wait = _retry_after(response.headers.get("Retry-After"), politeness.max_wait)
                _let_go(response)
                time.sleep(wait if wait is not None else politeness.backoff * 2**attempt)
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait_turn(self, url: str) -> None:
        """Sleep until this host's next turn; turns are handed out under a lock, the sleep happens outside it."""
        host = self._host(url)
        interval = 1.0 / self.politeness.rate if self.politeness.rate > 0 else 0.0
        if host.robots is not None and self.politeness.obey_robots:
            delay = host.robots.crawl_delay(self.politeness.user_agent)
            interval = max(interval, min(float(delay or 0), self.politeness.max_wait))
        with host.lock:
            now = time.monotonic()
            turn = max(now, host.next_turn)
            host.next_turn = turn + interval
        self.requests += 1
        if turn > now:
            time.sleep(turn - now)

    def _host(self, url: str) -> _Host:
        key = _host_key(url)
        with self._hosts_lock:
            return self._hosts.setdefault(key, _Host())

    def _check_robots(self, url: str) -> None:
        if not self.politeness.obey_robots:
            return
        host = self._host(url)
        with host.robots_lock:
            if host.robots is None:
                host.robots, host.robots_problem = self._load_robots(_host_key(url) + "/robots.txt")
        if host.robots_problem is not None:
            raise _Refused(host.robots_problem, None, False)
        if not host.robots.can_fetch(self.politeness.user_agent, url):
            raise _Refused("disallowed by robots.txt", None, True)

    def _load_robots(self, robots_url: str) -> tuple[urllib.robotparser.RobotFileParser, str | None]:
        """As RFC 9309 says: no robots.txt (4xx) allows everything; 401/403 and an unreachable one allow nothing.
        The second value says why nothing may be fetched when robots.txt could not be read."""
        robots = urllib.robotparser.RobotFileParser(robots_url)
        current = robots_url
        for _ in range(self.politeness.max_redirects + 1):
            try:
                response = self._request_with_retries(current)
            except _Refused as refused:
                robots.disallow_all = True
                return robots, f"robots.txt could not be read: {refused.args[0]}"
            location = response.headers.get("Location")
            if response.status in _REDIRECTS and location:
                _let_go(response)
                current = urljoin(current, location.strip())
                continue
            try:
                body = self._capped_body(response) if response.status == 200 else b""
            except _Refused:
                body = b""
            finally:
                _let_go(response)
            if response.status in (401, 403) or response.status >= 500:
                robots.disallow_all = True
                return robots, f"robots.txt answered HTTP {response.status}: the site allows nothing"
            if response.status >= 400:
                robots.allow_all = True
            else:
                robots.parse(body.decode("utf-8", errors="replace").splitlines())
            return robots, None
        robots.allow_all = True
        return robots, None


def _let_go(response: urllib3.BaseHTTPResponse) -> None:
    """Give the connection back: read a short unread body (so the connection can be used again), or close it."""
    length = response.headers.get("Content-Length", "")
    try:
        if length.isdigit() and int(length) <= _CHUNK:
            response.drain_conn()
        elif not response.closed:
            response.close()
    except (urllib3.exceptions.HTTPError, OSError):
        response.close()
    response.release_conn()


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _retry_after(value: str | None, max_wait: float) -> float | None:
    """Retry-After in seconds (its date form is not used), at most max_wait."""
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), max_wait)


def _network_reason(error: Exception, timeout: float) -> str:
    if isinstance(error, urllib3.exceptions.TimeoutError | TimeoutError):
        return f"no answer within {timeout:g} s"
    reason = getattr(error, "reason", None) or error
    return f"network error ({type(reason).__name__})"
