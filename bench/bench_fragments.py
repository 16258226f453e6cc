"""What a click inside the matrix, the evidence card or the reader costs, before and after they became
st.fragment: the page of another git revision (default: main) and this tree's app.py, served side by side on
the same store and timed in headless Chromium from the click until the page stops changing."""

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before", help="the git revision whose app.py is the baseline (default: where HEAD left main)"
    )
    parser.add_argument("--articles", type=int, default=160)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    args.before = args.before or subprocess.check_output(["git", "merge-base", "HEAD", "main"], cwd=REPO, text=True)[:8]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_store(write_corpus(folder / "raw", args.articles), folder / "store", workers=1)
        event_id = read_table(folder / "store", "events")["event_id"].iloc[0]
        before = folder / "app_before.py"
        before.write_text(subprocess.check_output(["git", "show", f"{args.before}:app.py"], cwd=REPO, text=True))
        apps = {f"before ({args.before})": before, "after (this tree)": REPO / "app.py"}
        servers = {
            name: serve(app, folder / "store", 8700 + i, folder / f"{i}.log")
            for i, (name, app) in enumerate(apps.items())
        }
        try:
            time.sleep(8)
            results: dict[str, dict[str, list[float]]] = {name: {} for name in apps}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                for _ in range(args.rounds):  # alternate, so drift in the machine's speed hits both alike
                    for i, name in enumerate(apps):
                        for action, ms in one_round(browser, f"http://127.0.0.1:{8700 + i}", event_id).items():
                            results[name].setdefault(action, []).append(ms)
                browser.close()
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=30)
    print(f"{describe_machine()}; {args.articles} articles; median of {args.rounds} rounds (min–max), ms from the")
    print(f"click until the page stopped changing ({QUIET_MS} ms quiet not counted)")
    names = list(apps)
    print(f"| click | {' | '.join(names)} | after / before |")
    print("|---|---|---|---|")
    for action in results[names[0]]:
        medians = [statistics.median(results[n][action]) for n in names]
        cells = [
            f"{m:.0f} ({min(results[n][action]):.0f}–{max(results[n][action]):.0f})" for m, n in zip(medians, names)
        ]
        print(f"| {action} | {' | '.join(cells)} | {medians[1] / medians[0]:.2f} |")


if __name__ == "__main__":
    main()
