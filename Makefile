# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE := data/processed

.PHONY: run test setup setup-dev store lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

setup-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

# Incremental: reads only new or changed files, and does nothing when data/raw is unchanged.
store: setup
	$(BIN)/python -m hutong build --input data/raw --out $(STORE)

run: store
	$(BIN)/streamlit run app.py

test: setup-dev
	$(BIN)/python -m pytest -q

lint: setup-dev
	$(BIN)/ruff check src tests app.py
