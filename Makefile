# The two commands of the README: `make run` and `make test`.
# Your own articles: `make run RAW=my_articles/ STORE=my_store/` (a store remembers the folder it was built
# from; `hutong build` will not replace it with another folder's unless BUILD_OPTIONS=--replace).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RAW ?= data/raw
STORE ?= data/processed
BUILD_OPTIONS ?=
# The lock tool lives in its own venv, never in the app's.
TOOLS := .venv-tools
UV_VERSION := 0.13.9
LOCK := $(TOOLS)/bin/uv pip compile --quiet --universal --python-version 3.11 --custom-compile-command "make lock"

.PHONY: run test test-fast setup setup-dev store lint format lock collect screenshots

# The pip that comes with Python is enough: requirements.txt pins every package, extras' included.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

setup: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

setup-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

# Incremental: reads only new or changed files, and does nothing when $(RAW) is unchanged.
store: setup
	$(BIN)/python -m hutong build --input $(RAW) --out $(STORE) $(BUILD_OPTIONS)

run: store
	HUTONG_RAW_DIR=$(RAW) HUTONG_STORE_DIR=$(STORE) $(BIN)/streamlit run app.py

# Every test, in two pytest processes at once: the real-browser tests spend most of their time waiting on a
# Streamlit server and Chromium, so the rest run beside them (the browser log is shown after the rest's).
test: setup-dev
	@$(BIN)/python -m pytest -q -m browser > .browser-tests.log 2>&1 & browser=$$!; \
	$(BIN)/python -m pytest -q -m "not browser"; rest=$$?; \
	wait $$browser; browser_status=$$?; \
	echo "--- browser tests (-m browser)"; cat .browser-tests.log; rm -f .browser-tests.log; \
	test $$rest -eq 0 && test $$browser_status -eq 0

# The inner loop: everything but the real-browser test and the slow ones (an install with an old pip).
test-fast: setup-dev
	$(BIN)/python -m pytest -q -m "not browser and not slow"

lint: setup-dev
	$(BIN)/ruff check src tests app.py bench
	$(BIN)/ruff format --check src tests app.py bench

format: setup-dev
	$(BIN)/ruff format src tests app.py bench

# requirements.txt, requirements-dask.txt and requirements-dev.txt from their .in files, every package pinned.
lock:
	test -x $(TOOLS)/bin/uv || ($(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION))
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dask.in -o requirements-dask.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt

# Collect news pages from the feeds and sitemaps listed in $(FEEDS) into $(RAW); then `make run` shows them.
# Polite by default (robots.txt, one request a second to a site); COLLECT_OPTIONS e.g. "--since 2024-01-01 --max 500".
FEEDS ?= data/feeds.txt
COLLECTED ?= $(RAW)/collected
COLLECT_OPTIONS ?=
collect: setup
	$(BIN)/python -m hutong collect --feeds $(FEEDS) --out $(COLLECTED) $(COLLECT_OPTIONS)

# docs/screenshot-zh.png and docs/screenshot-en.png: the whole page, 1400 px wide, on the bundled corpus
# (needs Debian's chromium and a CJK font, e.g. apt-get install chromium fonts-noto-cjk).
screenshots: setup-dev
	PYTHONPATH=src $(BIN)/python bench/screenshots.py --out docs
