"""The Makefile's commands as `make -n` spells them out: the folders are settings, and nothing upgrades pip."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _planned(*arguments: str) -> list[str]:
    result = subprocess.run(["make", "-n", *arguments], cwd=ROOT, capture_output=True, text=True, check=True)
    return [line.strip() for line in result.stdout.splitlines()]


def test_make_run_builds_and_opens_the_folders_it_is_given():
    planned = _planned("run", "RAW=my_articles/", "STORE=my_store/")
    assert ".venv/bin/python -m hutong build --input my_articles/ --out my_store/" in planned
    assert "HUTONG_RAW_DIR=my_articles/ HUTONG_STORE_DIR=my_store/ .venv/bin/streamlit run app.py" in planned


def test_make_run_passes_build_options_such_as_replace():
    planned = _planned("run", "RAW=my_articles/", "BUILD_OPTIONS=--replace")
    assert ".venv/bin/python -m hutong build --input my_articles/ --out data/processed --replace" in planned


def test_make_run_uses_the_bundled_folders_by_default():
    assert ".venv/bin/python -m hutong build --input data/raw --out data/processed" in _planned("run")


def test_no_make_command_upgrades_pip():
    for target in ("run", "test", "lint"):
        assert not [line for line in _planned(target) if "install" in line and "pip" in line.split("install")[1]]
