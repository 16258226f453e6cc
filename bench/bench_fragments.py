"""What a click inside the matrix, the evidence card or the reader costs, before and after they became
st.fragment: the page of another git revision (default: where this branch left main) and this tree's app.py on
the same store, timed twice: the script's run alone (AppTest, which reruns only the fragment a callback names),
and in headless Chromium served side by side, from the click until the page stops changing."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402
from machine import describe_machine  # noqa: E402

from hutong.pipeline import build_store  # noqa: E402
from hutong.store import read_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 120_000
QUIET_MS = 1500  # the page has stopped changing when nothing in it changed for this long

# The time of the last change anywhere in the page's main area, kept by a MutationObserver.
WATCH_JS = """() => { window.__lastChange = performance.now();
  new MutationObserver(() => { window.__lastChange = performance.now(); })
    .observe(document.querySelector('[data-testid=stMain]'), {subtree: true, childList: true, attributes: true,
                                                                  characterData: true}); }"""


def serve(app: Path, store: Path, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "HUTONG_STORE_DIR": str(store)}
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def settled_after(page, click: Callable[[], None], ready: str) -> float:
    """Milliseconds from a click until the page stopped changing, once `ready` (a JS condition) holds."""
    page.evaluate("() => { window.__lastChange = performance.now(); }")
    start = page.evaluate("() => performance.now()")
    click()
    page.wait_for_function(ready, timeout=TIMEOUT_MS)
    page.wait_for_function(
        f"() => performance.now() - window.__lastChange > {QUIET_MS}"
        " && !document.querySelector('[data-testid=stStatusWidget]')",
        timeout=TIMEOUT_MS,
        polling=100,
    )
    return page.evaluate("() => window.__lastChange") - start


def open_page(page, url: str) -> None:
    page.goto(url, timeout=TIMEOUT_MS)
    main = page.get_by_test_id("stMain")
    main.wait_for(timeout=TIMEOUT_MS)
    while page.locator(".js-plotly-plot").count() < 7:  # Streamlit draws lazily: scroll until all charts are in
        main.evaluate("e => e.scrollBy(0, 1200)")
        page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS)
    page.evaluate(WATCH_JS)
    page.wait_for_timeout(QUIET_MS)


def one_round(browser, url: str, event_id: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    open_page(page, f"{url}/?event={event_id}")
    times = {}
    matrix = page.locator(".st-key-matrix_chart")
    matrix.scroll_into_view_if_needed()
    cell = matrix.locator("g.scatterlayer g.trace").first.locator("path.point").first
    times["matrix cell click"] = settled_after(
        page,
        lambda: cell.click(force=True),
        "() => [...document.querySelectorAll('[data-testid=stMarkdown]')].some(e => e.innerText.includes(' × '))",
    )
    picker = page.locator(".st-key-doc")
    picker.scroll_into_view_if_needed()
    before = page.locator("[data-testid=stHtml]").last.inner_text()

    def pick() -> None:
        picker.click()
        page.get_by_role("option").nth(1).click()

    times["reader: another article"] = settled_after(
        page,
        pick,
        f"() => [...document.querySelectorAll('[data-testid=stHtml]')].pop().innerText !== {before!r}",
    )
    close = page.get_by_role("button", name="关闭", exact=True)
    close.scroll_into_view_if_needed()
    times["evidence card: close"] = settled_after(
        page, close.click, "() => !document.body.innerText.includes('同一事件的其他报道')"
    )
    context.close()
    return times


def script_runs(app: Path, store: Path, event_id: str) -> dict[str, float]:
    """Seconds of one script run (AppTest, warm cache) for a whole-page rerun and for three clicks."""
    from streamlit.testing.v1 import AppTest

    os.environ["HUTONG_STORE_DIR"] = str(store)
    at = AppTest.from_file(str(app), default_timeout=120)
    at.query_params = {"event": event_id}
    at.run()
    times = {}

    def timed(name: str, run: Callable[[], object]) -> None:
        start = time.perf_counter()
        run()
        times[name] = time.perf_counter() - start
        assert not at.exception, at.exception
        at.run()  # the whole page again, as the browser keeps it, for the next click

    timed("whole page (warm cache)", at.run)
    timed(
        "reader: another article", lambda: at.selectbox(key="doc").set_value(at.session_state["_article_ids"][1]).run()
    )
    timed("matrix: level", lambda: at.radio(key="level").set_value("group").run())
    timed("evidence card: close", lambda: at.button(key="close_event").click().run())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before", help="the git revision whose app.py is the baseline (default: where HEAD left main)"
    )
    parser.add_argument("--articles", type=int, default=160)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true", help="time the script's runs only")
    args = parser.parse_args()
    args.before = args.before or subprocess.check_output(["git", "merge-base", "HEAD", "main"], cwd=REPO, text=True)[:8]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_store(write_corpus(folder / "raw", args.articles), folder / "store", workers=1)
        event_id = read_table(folder / "store", "events")["event_id"].iloc[0]
        before = folder / "app_before.py"
        before.write_text(subprocess.check_output(["git", "show", f"{args.before}:app.py"], cwd=REPO, text=True))
        apps = {f"before ({args.before})": before, "after (this tree)": REPO / "app.py"}
        runs: dict[str, dict[str, list[float]]] = {name: {} for name in apps}
        for _ in range(args.rounds):
            for name, app in apps.items():
                for action, seconds in script_runs(app, folder / "store", event_id).items():
                    runs[name].setdefault(action, []).append(seconds * 1000)
        print(f"{describe_machine()}; {args.articles} articles; median of {args.rounds} rounds (min–max)")
        print("\nms of the script's run (AppTest)")
        table(runs)
        if not args.no_browser:
            results = in_browser(apps, folder / "store", event_id, rounds=args.rounds)
            print(f"\nms in Chromium from the click until the page stopped changing ({QUIET_MS} ms quiet not counted)")
            table(results)


def in_browser(apps: dict[str, Path], store: Path, event_id: str, *, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Milliseconds from each click until the page stopped changing, per app and click, over `rounds` rounds."""
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[float]]] = {name: {} for name in apps}
    with tempfile.TemporaryDirectory() as logs:
        servers = [serve(app, store, 8700 + i, Path(logs) / f"{i}.log") for i, app in enumerate(apps.values())]
        try:
            time.sleep(8)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                for _ in range(rounds):  # alternate, so drift in the machine's speed hits both alike
                    for i, name in enumerate(apps):
                        for action, ms in one_round(browser, f"http://127.0.0.1:{8700 + i}", event_id).items():
                            results[name].setdefault(action, []).append(ms)
                browser.close()
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    return results


def table(results: dict[str, dict[str, list[float]]]) -> None:
    names = list(results)
    print(f"| click | {' | '.join(names)} | after / before |")
    print("|---|---|---|---|")
    for action in results[names[0]]:
        medians = [statistics.median(results[n][action]) for n in names]
        cells = [
            f"{m:.0f} ({min(results[n][action]):.0f}–{max(results[n][action]):.0f})" for m, n in zip(medians, names)
        ]
        print(f"| {action} | {' | '.join(cells)} | {medians[1] / medians[0]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
