"""Whole-page screenshots of the dashboard in both languages, 1400 px wide, on the bundled corpus, for docs/:
`make screenshots` (needs Debian's chromium and a CJK font, e.g. fonts-noto-cjk)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from hutong.paths import RAW_DIR
from hutong.pipeline import build_store

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
WIDTH = 1400
TIMEOUT_MS = 120_000
CHARTS = ("attention", "trend", "entity", "network", "entity_trend", "timeline", "matrix")
LOCALES = {"zh": "zh-CN", "en": "en-US"}
# A trace has data when x, y or z holds a value that is not null (plotly.py may send numbers as base64 "bdata").
HAS_DATA_JS = """el => el.querySelector('.js-plotly-plot').data.some(t => [t.x, t.y, t.z].some(
    a => a && (a.bdata ? true : Array.from(a).some(v => v !== null && v !== undefined))))"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "HUTONG_STORE_DIR": str(store)}
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"streamlit did not answer:\n{log.read_text()}")


def charts_without_data(page) -> list[str]:
    """The charts whose traces hold no point (an empty chart in a screenshot would mislead)."""
    empty = []
    for chart in CHARTS:
        if not page.locator(f".st-key-{chart}_chart").evaluate(HAS_DATA_JS):
            empty.append(chart)
    return empty


def shoot(browser, url: str, lang: str, path: Path) -> None:
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, locale=LOCALES[lang])
    page = context.new_page()
    page.goto(f"{url}/?lang={lang}", timeout=TIMEOUT_MS)
    main = page.get_by_test_id("stMain")
    main.wait_for(timeout=TIMEOUT_MS)
    while page.locator(".js-plotly-plot").count() < len(CHARTS):  # Streamlit draws lazily: scroll them all in
        main.evaluate("e => e.scrollBy(0, 1200)")
        page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS)
    if empty := charts_without_data(page):
        raise SystemExit(f"{lang}: charts without data: {', '.join(empty)}")
    # the app scrolls inside stMain: make the window as tall as the page so one screenshot holds all of it
    height = main.evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": height + 40})
    main.evaluate("e => e.scrollTo(0, 0)")
    page.wait_for_timeout(2000)  # charts lay themselves out again at the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    context.close()
    print(f"{path} ({WIDTH} × {height + 40})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=RAW_DIR, help="the articles shown (default: the bundled corpus)")
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        build_store(args.raw, store, workers=1)
        server, url = serve(store, Path(tmp) / "streamlit.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                for lang in LOCALES:
                    shoot(browser, url, lang, args.out / f"screenshot-{lang}.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
