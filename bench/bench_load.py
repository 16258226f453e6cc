"""Load on the dashboard: one `streamlit run app.py` on loopback, N concurrent headless-Chromium sessions.

Each session (its own browser context) opens a view of the page (a link with query parameters), waits until
its charts are drawn and Streamlit is idle, then applies a filter in the sidebar (a domain, an entity, an
event action, a text search, or the language) and waits for the re-render; it then stays connected until
every session is done, so that all N are connected to the server at once. Measured per session: seconds to
the first rendered page and to the re-render after the filter, each also as the server's part of it (from
the browser's request for a script run to the run's last websocket message), and errors (exception elements,
"Error"/"Traceback" in the page, timeouts, HTTP and JavaScript failures, dropped connections, tracebacks in
the server's log). Also the server's peak resident memory, and everyone's CPU seconds.

On a small machine the browsers, not the server, are the load: a page load costs Chromium about 10 CPU
seconds here, the server about 1. So the sessions start --stagger seconds apart (0: all at once), and the
browsers run at a lower priority than the server (--browser-nice), as if on the users' own machines.

Bounded: every wait has a timeout (--timeout), the run a deadline (--deadline), the browser resolves no
host but 127.0.0.1, and the server's process group is always stopped.

    PYTHONPATH=src .venv/bin/python bench/bench_load.py [--sessions 30] [--stagger 7] [--timeout 120]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402 - to read the server's websocket messages

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # nothing but loopback resolves: the page cannot reach the network even if it tried
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
MIN_CHARTS = 4
# Set in every page before it loads: no CSS animations or transitions (Streamlit's skeleton shimmer and
# running indicator would otherwise repaint 30 pages at 60 frames a second on the benchmark's own CPUs).
NO_ANIMATIONS_JS = """document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
    document.head.appendChild(style);
});"""
POLL_S = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The views the sessions open, in turn (parameter names from hutong.view._PARAM_OF).
START_VIEWS: list[dict[str, str]] = [
    {},
    {"lang": "en"},
    {"domain": "payment"},
    {"entity": "京东"},
    {"lang": "en", "action": "start"},
    {"asof": "2025-10-01"},
]
# The filters they then apply, in turn (5 is coprime with 6, so every view meets every filter).
FILTERS = ("domain", "entity", "text", "lang", "action")

# What the page shows now: Streamlit's run state, whether anything is stale or erred, how many charts are drawn.
PAGE_STATE_JS = """(withText) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    const charts = [...document.querySelectorAll('.js-plotly-plot')].filter(e => {
        const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length;
    const text = withText && main ? main.innerText : '';  // innerText lays the page out: only when asked
    return {
        script: app ? app.getAttribute('data-test-script-state') : null,
        connection: app ? app.getAttribute('data-test-connection-state') : null,
        status: !!document.querySelector('[data-testid="stStatusWidget"]'),
        stale: document.querySelectorAll('[data-stale="true"]').length,
        exceptions: document.querySelectorAll('[data-testid="stException"]').length,
        errorText: (text.match(/Traceback|\\bError\\b/) || [null])[0],
        charts: charts,
    };
}"""


@dataclass
class Session:
    index: int
    path: str
    filter: str
    stage: str = "waiting"
    first_render: float | None = None  # seconds from opening the link until the charts are drawn
    rerender: float | None = None  # seconds from the filter's change until they are drawn again
    # The server's part of each: from the browser's first websocket message of the phase (its request for a
    # script run) to the server's message that the run finished. The rest is the browser's: loading
    # Streamlit's bundle, drawing the elements and the plotly charts.
    first_run: float | None = None
    rerun: float | None = None
    first_sent: float | None = None  # perf_counter of the browser's first websocket message in this phase
    runs_finished: int = 0  # script_finished messages from the server so far
    run_finished_at: float = 0.0  # perf_counter of the last one
    charts: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    external_requests: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def server_env(store: Path | None, scratch: Path) -> tuple[dict[str, str], str]:
    """The server's environment, and what it shows. By default a private snapshot: data/raw copied to a
    scratch folder and built there with `python -m hutong build`, shown through HUTONG_STORE_DIR. The app
    never rebuilds a store built from another folder than data/raw, so edits to src/ or to data/processed
    while the benchmark runs cannot start a rebuild in the middle of it, and no session waits for a build."""
    paths = [str(REPO / "src"), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    if store is not None:
        env["HUTONG_STORE_DIR"] = str(store.resolve())
        return env, str(store)
    raw, out = scratch / "raw", scratch / "store"
    shutil.copytree(REPO / "data" / "raw", raw)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "hutong", "build", "--input", str(raw), "--out", str(out), "--workers", "1"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=600,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env["HUTONG_STORE_DIR"] = str(out)
    return env, f"a snapshot of data/raw, built in {time.monotonic() - started:.0f} s into {out}"


def process_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far) for every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return table


def process_kind(pid: int) -> str:
    try:
        # split on spaces too: Chromium rewrites its processes' titles into one space-separated string
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split()
    except OSError:
        return "?"
    kind = next((a.removeprefix("--type=") for a in args if a.startswith("--type=")), None)
    if kind:
        return kind
    # the browser's main process may first be seen as Debian's /usr/bin/chromium wrapper, a shell script
    return "browser" if any("chromium" in a for a in args[:2]) else Path(args[0]).name if args else "?"


class Sampler:
    """Sampled in a thread: the server's peak resident memory, the machine's peak memory in use, and the CPU
    seconds of every other process this script started (Chromium and Playwright's driver), kept per process
    as last seen, since renderers come and go."""

    def __init__(self, server_pid: int, interval: float = 0.5):
        self.server_pid, self.interval = server_pid, interval
        self.server_peak_kb = 0
        self.server_cpu = 0.0
        self.browser_cpu: dict[int, float] = {}
        self.kind: dict[int, str] = {}  # pid -> Chromium's process type (renderer, gpu-process ...), or the program
        self.baseline_used_kb = self.used_kb()
        self.peak_used_kb = self.baseline_used_kb
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def used_kb() -> int:
        info = {line.split(":")[0]: int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()}
        return info["MemTotal"] - info["MemAvailable"]

    def server_rss_kb(self) -> int:
        try:
            status = Path(f"/proc/{self.server_pid}/status").read_text()
        except OSError:
            return 0
        return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)

    def sample(self) -> None:
        self.server_peak_kb = max(self.server_peak_kb, self.server_rss_kb())
        self.peak_used_kb = max(self.peak_used_kb, self.used_kb())
        table = process_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        stack = list(children.get(os.getpid(), []))
        while stack:
            pid = stack.pop()
            if pid == self.server_pid:
                self.server_cpu = table[pid][1]
                continue
            self.browser_cpu[pid] = table[pid][1]
            if pid not in self.kind:
                self.kind[pid] = process_kind(pid)
            stack += children.get(pid, [])

    def browser_cpu_by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, seconds in self.browser_cpu.items():
            totals[self.kind.get(pid, "?")] = totals.get(self.kind.get(pid, "?"), 0.0) + seconds
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    def _run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


def machine_cpu() -> tuple[float, float]:
    """All cores' idle and total CPU seconds since boot (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (values[3] + values[4]) / CLOCK_TICKS, sum(values[:8]) / CLOCK_TICKS  # idle + iowait, total


def cpu_idle_percent(seconds: float = 3.0) -> float:
    """The share of all cores' time spent idle over the next `seconds`."""
    idle0, total0 = machine_cpu()
    time.sleep(seconds)
    idle1, total1 = machine_cpu()
    return 100 * (idle1 - idle0) / max(total1 - total0, 1e-9)


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        # as when deployed: no watching of the working tree, where others may be editing files meanwhile
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )  # its own process group, stopped as a whole


def wait_healthy(process: subprocess.Popen, url: str, timeout: float, log: Path) -> float:
    start = time.monotonic()
    while True:
        if process.poll() is not None:
            sys.exit(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout:
            sys.exit(f"streamlit did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.25)


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass


# ---- one browser session ------------------------------------------------------------------------------------


def on_message(session: Session, payload: str | bytes) -> None:
    """Counts the server's script_finished messages (a run superseded by a rerun does not count)."""
    if not isinstance(payload, bytes):
        return
    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - not a message of ours to judge
        return
    kind = message.WhichOneof("type")
    if kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
        session.runs_finished += 1
        session.run_finished_at = time.perf_counter()


async def page_state(page, *, with_text: bool = False) -> dict:
    return await page.evaluate(PAGE_STATE_JS, with_text)


async def wait_rendered(page, session: Session, timeout_s: float, *, started: float, runs: int) -> dict:
    """Until the server has said that `runs` script runs finished (its script_finished messages, read off the
    websocket: the page's own run state can skip "running" altogether when a whole run arrives at once), the
    page is idle with nothing stale, and at least MIN_CHARTS charts are drawn; scrolls down through the page,
    which Streamlit renders lazily."""
    deadline = started + timeout_s  # one budget for the whole phase, the page load included
    main = page.get_by_test_id("stMain")
    await main.wait_for(timeout=max(deadline - time.perf_counter(), 0.1) * 1000)
    while True:
        state = await page_state(page)
        idle = state["script"] == "notRunning" and not state["status"] and state["stale"] == 0
        if idle and session.runs_finished >= runs and state["charts"] >= MIN_CHARTS:
            return state
        if state["exceptions"]:
            return state  # an error shows instead of the charts: no use waiting for them
        if time.perf_counter() > deadline:
            raise TimeoutError(
                f"not rendered after {timeout_s:.0f} s: {state}, runs finished {session.runs_finished} of {runs}"
            )
        if idle:
            await main.evaluate("e => e.scrollBy(0, 1200)")
        await asyncio.sleep(POLL_S)


async def pick_option(page, session: Session, widget_key: str, timeout_ms: float) -> float:
    """Opens a sidebar multiselect and picks its first option not yet chosen; returns when the pick was made.
    A pick the widget does not show within 15 s is the harness's miss under load, not the app's: tried again
    once, with a warning."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    widget = f".st-key-{widget_key}"
    before = await page.locator(widget).inner_text(timeout=timeout_ms)
    # Streamlit's multiselect is a react-aria listbox; its first option is "select all"
    unchosen = '[role="listbox"] [role="option"][aria-selected="false"]:not([data-key="__select_all__"])'
    for attempt in (1, 2):
        await page.locator(f"{widget} input").click(timeout=timeout_ms)
        option = page.locator(unchosen).first
        await option.wait_for(timeout=timeout_ms)
        started = time.perf_counter()
        await option.click(timeout=timeout_ms)
        await page.keyboard.press("Escape")
        try:
            await page.wait_for_function(
                "([sel, before]) => document.querySelector(sel)?.innerText !== before",
                arg=[widget, before],
                timeout=15_000,
            )
            return started
        except PlaywrightTimeout:
            session.warnings.append(f"{session.stage}: pick {attempt} in {widget_key} not shown after 15 s")
    raise TimeoutError(f"two picks in {widget_key} were not shown")


async def apply_filter(page, session: Session, timeout_ms: float) -> float:
    """Changes one sidebar widget; returns the perf_counter at the change that starts the re-render."""
    kind = session.filter
    widget = {"domain": "domains", "entity": "entities", "action": "actions"}
    if kind in widget:
        return await pick_option(page, session, widget[kind], timeout_ms)
    if kind == "text":
        box = page.locator(".st-key-text input")
        await box.fill("京东", timeout=timeout_ms)
        started = time.perf_counter()
        await box.press("Enter", timeout=timeout_ms)
        return started
    if kind == "lang":
        other = page.locator(".st-key-lang label:has(input:not(:checked))").first
        await other.wait_for(timeout=timeout_ms)
        started = time.perf_counter()
        await other.click(timeout=timeout_ms)
        return started
    raise ValueError(kind)


async def check_page(page, session: Session, when: str) -> dict:
    """Records what is wrong with the page as it is now (after the timing stopped); returns its state."""
    state = await page_state(page, with_text=True)
    if state["exceptions"]:
        session.errors.append(f"{when}: {state['exceptions']} exception element(s) on the page")
    if state["errorText"]:
        session.errors.append(f"{when}: the page shows {state['errorText']!r}")
    if state["connection"] != "CONNECTED":
        session.errors.append(f"{when}: connection state {state['connection']}")
    return state


async def new_context(browser):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    await context.add_init_script(NO_ANIMATIONS_JS)
    return context


class Connections:
    """How many sessions have their websocket to the server open, now and at most."""

    def __init__(self) -> None:
        self.now = self.peak = 0

    def opened(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def closed(self) -> None:
        self.now -= 1


async def run_session(
    browser,
    base: str,
    session: Session,
    *,
    timeout_s: float,
    delay: float,
    shared,
    all_done: asyncio.Event,
    connections: Connections,
) -> None:
    """One user: a fresh browser context (or a page in the `shared` one). It stays open, connected to the
    server, until every session is done, so that all of them are served at the same time."""
    from playwright.async_api import Error as PlaywrightError

    await asyncio.sleep(delay)
    timeout_ms = timeout_s * 1000
    session.stage = "opening a context"
    context = shared or await new_context(browser)
    page = None
    finished = False
    try:
        page = await context.new_page()
        page.set_default_timeout(timeout_ms)

        def on_request(request) -> None:
            if urlsplit(request.url).hostname not in ("127.0.0.1", None) and not request.url.startswith("data:"):
                session.external_requests += 1

        def on_response(response) -> None:
            if response.status >= 400:
                session.errors.append(f"{session.stage}: HTTP {response.status} {response.url}")

        def on_request_failed(request) -> None:
            failure = request.failure or ""
            if "ERR_ABORTED" not in failure:
                session.errors.append(f"{session.stage}: request failed {failure} {request.url}")

        def on_websocket(ws) -> None:
            connections.opened()

            def on_close(_) -> None:
                connections.closed()
                if not finished:
                    session.errors.append(f"{session.stage}: websocket closed")

            ws.on("close", on_close)
            ws.on("framereceived", lambda payload: on_message(session, payload))
            ws.on("framesent", lambda _: session.first_sent or setattr(session, "first_sent", time.perf_counter()))

        page.on("request", on_request)
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        page.on("pageerror", lambda exc: session.errors.append(f"{session.stage}: JavaScript error {exc}"))
        page.on(
            "console",
            lambda msg: (
                session.warnings.append(f"console {msg.type}: {msg.text[:200]}") if msg.type == "error" else None
            ),
        )
        page.on("websocket", on_websocket)

        session.stage = "first render"
        started = time.perf_counter()
        response = await page.goto(base + session.path, wait_until="domcontentloaded", timeout=timeout_ms)
        if response is None or not response.ok:
            session.errors.append(f"loading {session.path}: HTTP {response.status if response else 'no response'}")
            return
        await wait_rendered(page, session, timeout_s, started=started, runs=1)
        session.first_render = time.perf_counter() - started
        session.first_run = session.run_finished_at - (session.first_sent or started)
        state = await check_page(page, session, "first render")
        if state["exceptions"]:
            return

        session.stage = f"filter ({session.filter})"
        await page.get_by_test_id("stMain").evaluate("e => e.scrollTo(0, 0)")
        session.first_sent, runs = None, session.runs_finished + 1
        started = await apply_filter(page, session, timeout_ms)
        try:
            state = await wait_rendered(page, session, timeout_s, started=started, runs=runs)
        except TimeoutError as problem:  # say whether the browser asked the server for the rerun at all
            asked = "asked the server for a rerun" if session.first_sent else "sent the server nothing"
            raise TimeoutError(f"{problem}; the browser {asked}; the page is at {page.url}") from None
        session.rerender = time.perf_counter() - started
        session.rerun = session.run_finished_at - (session.first_sent or started)
        session.charts = state["charts"]
        await check_page(page, session, session.stage)
        session.stage = "done"
        await all_done.wait()
        if page.is_closed() or (await page_state(page))["connection"] != "CONNECTED":
            session.errors.append("disconnected while waiting for the other sessions")
    except (TimeoutError, PlaywrightError) as problem:
        kind = "timeout" if isinstance(problem, TimeoutError) or "Timeout" in type(problem).__name__ else "error"
        session.errors.append(f"{session.stage}: {kind}: {str(problem).splitlines()[0][:300]}")
    finally:
        finished = True
        try:
            await asyncio.wait_for(page.close() if shared else context.close(), 30)
        except Exception as problem:  # noqa: BLE001 - closing is best effort; the browser goes at the end anyway
            session.warnings.append(f"closing the session: {problem!r}")


async def run_sessions(
    base: str,
    sessions: list[Session],
    *,
    timeout_s: float,
    stagger: float,
    deadline: float,
    shared_context: bool,
    connections: Connections,
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=timeout_s * 1000
        )
        try:
            shared = await new_context(browser) if shared_context else None
            all_done = asyncio.Event()
            tasks = [
                asyncio.create_task(
                    run_session(
                        browser,
                        base,
                        s,
                        timeout_s=timeout_s,
                        delay=s.index * stagger,
                        shared=shared,
                        all_done=all_done,
                        connections=connections,
                    )
                )
                for s in sessions
            ]
            while time.monotonic() < deadline and any(
                s.stage != "done" and not t.done() for s, t in zip(sessions, tasks, strict=True)
            ):
                await asyncio.sleep(0.5)
            all_done.set()
            # the sessions that are done now close; any still rendering at the deadline get 30 s more
            _, pending = await asyncio.wait(tasks, timeout=max(deadline - time.monotonic(), 30))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for session in sessions:
                if session.stage != "done" and not session.errors:
                    session.errors.append(f"{session.stage}: stopped at the overall deadline")
        finally:
            await asyncio.wait_for(browser.close(), 60)


# ---- report ----------------------------------------------------------------------------------------------------


def summary(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: none measured"
    return (
        f"{label}: median {statistics.median(values):.1f} s, p95 {percentile(values, 95):.1f} s, "
        f"min {min(values):.1f} s, max {max(values):.1f} s (n={len(values)})"
    )


def report(
    args,
    sessions: list[Session],
    sampler: Sampler,
    *,
    cpu: dict[str, float],
    health_s: float,
    wall: float,
    log: Path,
    idle_before: float,
    shown: str,
    peak_connected: int,
) -> int:
    served = [s for s in sessions if s.first_render is not None]
    clean = [s for s in sessions if s.stage == "done" and not s.errors]
    errors = [(s, e) for s in sessions for e in s.errors]
    log_text = log.read_text(errors="replace")
    tracebacks = log_text.count("Traceback")
    print()
    print(
        f"machine: {describe_machine()}; CPU idle in the 3 s before the run: {idle_before:.0f}%"
        + (" (other work was running: the figures are pessimistic)" if idle_before < 90 else "")
    )
    print(f"store: {shown}")
    print(
        f"server: streamlit run app.py on 127.0.0.1, answering after {health_s:.1f} s; one headless Chromium, "
        + ("all sessions as pages of one context, " if args.shared_context else "one context per session, ")
        + f"{args.sessions} sessions started "
        + (f"{args.stagger:g} s apart" if args.stagger else "at once")
        + f"; browsers at niceness +{args.browser_nice}, the server at 0"
    )
    print(
        f"sessions served (first page rendered): {len(served)}/{len(sessions)}; "
        f"completed without error (page + filter): {len(clean)}/{len(sessions)}"
    )
    print(f"sessions connected to the server at the same time, at most: {peak_connected}")
    print(
        f"errors: {len(errors)} in {len({s.index for s, _ in errors})} sessions; "
        f"tracebacks in the server log: {tracebacks}"
    )
    for session, error in errors[:40]:
        print(f"  session {session.index} {session.path} [{session.filter}]: {error}")
    print(summary("first rendered page (charts drawn)", [s.first_render for s in served]))
    print(
        summary(
            "  server's part (first message sent to script_finished received)",
            [s.first_run for s in served if s.first_run is not None],
        )
    )
    print(summary("re-render after filter (charts drawn)", [s.rerender for s in sessions if s.rerender is not None]))
    print(
        summary(
            "  server's part (rerun request to script_finished received)",
            [s.rerun for s in sessions if s.rerun is not None],
        )
    )
    for kind in FILTERS:
        done = [s for s in sessions if s.filter == kind and s.rerender is not None]
        if done:
            print(
                f"  {kind:>9}: median {statistics.median(s.rerender for s in done):.1f} s, server's part "
                f"{statistics.median(s.rerun for s in done):.1f} s (n={len(done)})"
            )
    print(f"charts drawn after the filter: {sorted({s.charts for s in sessions if s.rerender is not None})}")
    print(f"server peak RSS: {sampler.server_peak_kb / 1024:.0f} MiB")
    cores = os.cpu_count() or 1
    print(
        f"CPU seconds over the {wall:.0f} s of sessions ({cores} cores = {wall * cores:.0f} core-seconds): "
        f"server {cpu['server']:.0f} (+{cpu['server_start']:.0f} starting), "
        f"Chromium + Playwright driver {cpu['browser']:.0f}, this script {cpu['harness']:.0f}"
    )
    others = cpu["busy"] - cpu["server"] - cpu["browser"] - cpu["harness"]
    print(
        f"  all cores busy: {cpu['busy']:.0f} core-seconds, of which other processes (not this benchmark's) "
        f"about {max(others, 0):.0f}" + (": the figures are pessimistic" if others > 0.1 * cpu["busy"] else "")
    )
    by_kind = sampler.browser_cpu_by_kind().items()
    print("  Chromium + driver by process: " + ", ".join(f"{kind} {seconds:.0f}" for kind, seconds in by_kind))
    print(
        f"machine memory in use: {sampler.baseline_used_kb / 2**20:.1f} GiB before, "
        f"{sampler.peak_used_kb / 2**20:.1f} GiB at peak"
    )
    external = sum(s.external_requests for s in sessions)
    print(f"requests to hosts other than 127.0.0.1: {external} (blocked by the browser's resolver rules)")
    warnings = [w for s in sessions for w in s.warnings]
    if warnings:
        print(
            f"warnings (not counted as errors: browser console errors, picks tried again): {len(warnings)}, "
            f"distinct: {len(set(warnings))}"
        )
        for warning in sorted(set(warnings))[:10]:
            print(f"  {warning}")
    print(f"total run: {wall:.0f} s; server log: {log}")
    return 0 if not errors and not tracebacks and len(clean) == len(sessions) else 1


def cpu_seconds() -> float:
    """This script's own CPU seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent browser sessions (default 30)")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds for each wait (default 120)")
    parser.add_argument("--deadline", type=float, default=600, help="seconds for the whole run (default 600)")
    parser.add_argument(
        "--stagger",
        type=float,
        default=7.0,
        help="seconds between session starts (default 7: about what one page load costs the browser "
        "here, in CPU seconds over 2 cores; 0 starts all at once)",
    )
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=10,
        help="niceness of the browsers and this script, so the server keeps its CPU (default 10)",
    )
    parser.add_argument(
        "--shared-context",
        action="store_true",
        help="all sessions as pages of one browser context (shared HTTP cache) instead of one each",
    )
    parser.add_argument(
        "--store", type=Path, help="show this store (HUTONG_STORE_DIR) instead of a fresh snapshot of data/raw"
    )
    args = parser.parse_args()

    began = time.monotonic()
    deadline = began + args.deadline
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the finally below stops the server
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / "bench_load_server.log"
    views = [START_VIEWS[i % len(START_VIEWS)] for i in range(args.sessions)]
    sessions = [
        Session(i, "/" + ("?" + urlencode(view) if view else ""), FILTERS[i % len(FILTERS)])
        for i, view in enumerate(views)
    ]
    with tempfile.TemporaryDirectory(prefix="hutong-bench-load-") as scratch:
        env, shown = server_env(args.store, Path(scratch))
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        idle_before = cpu_idle_percent()
        process = start_server(port, env, log)
        try:
            with Sampler(process.pid) as sampler:
                health_s = wait_healthy(process, base, args.timeout, log)
                print(
                    f"server answering on {base} after {health_s:.1f} s; starting {args.sessions} sessions", flush=True
                )
                run_started = time.monotonic()
                # The browsers stand in for the users' own machines: from here on this script, Playwright's driver
                # and Chromium run at a lower priority than the server, which must not be starved by its load test.
                os.nice(args.browser_nice)
                sampler.sample()
                harness_cpu, machine_before, server_start_cpu = cpu_seconds(), machine_cpu(), sampler.server_cpu
                connections = Connections()
                asyncio.run(
                    run_sessions(
                        base,
                        sessions,
                        timeout_s=args.timeout,
                        stagger=args.stagger,
                        deadline=deadline,
                        shared_context=args.shared_context,
                        connections=connections,
                    )
                )
                wall = time.monotonic() - run_started
                sampler.sample()
                machine_after = machine_cpu()
                cpu = {
                    "server": sampler.server_cpu - server_start_cpu,
                    "server_start": server_start_cpu,
                    "browser": sum(sampler.browser_cpu.values()),
                    "harness": cpu_seconds() - harness_cpu,
                    "busy": (machine_after[1] - machine_before[1]) - (machine_after[0] - machine_before[0]),
                }
                if process.poll() is not None:
                    sessions[0].errors.append(f"the server exited with {process.returncode} during the run")
        finally:
            stop_server(process)
    code = report(
        args,
        sessions,
        sampler,
        cpu=cpu,
        health_s=health_s,
        wall=wall,
        log=log,
        idle_before=idle_before,
        shown=shown,
        peak_connected=connections.peak,
    )
    print(f"whole benchmark (store build, server start, sessions, shutdown): {time.monotonic() - began:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
