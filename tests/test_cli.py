import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hutong.cli import main, progress_bar_shown
from hutong.paths import RAW_DIR

SEED_000 = RAW_DIR / "000_dec19d54dabd6123.txt"


@pytest.fixture(autouse=True)
def logging_as_it_was():
    """main() sets up logging for a process; in this one, later tests get the loggers back as they were."""
    root, jieba_logger = logging.getLogger(), logging.getLogger("jieba")
    saved = (root.level, list(root.handlers), jieba_logger.level, list(jieba_logger.handlers))
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    jieba_logger.setLevel(saved[2])
    jieba_logger.handlers[:] = saved[3]


EVAL_DIR = Path(__file__).resolve().parent / "gold" / "seed_eval"  # a copy of ../shared/eval's seed gold


def test_extract_prints_entities_times_and_events_as_json(capsys):
    assert main(["extract", str(SEED_000), "--published", "2025-03-10T17:47:56+08:00", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"document", "entities", "times", "events"}
    assert {"name": "京东", "type": "platform"}.items() <= next(
        e for e in result["entities"] if e["name"] == "京东"
    ).items()
    assert any(t["text"] == "10月29日" and t["value"] == "2024-10-29" for t in result["times"])
    oct29 = next(t for t in result["times"] if t["text"] == "10月29日")
    assert (oct29["first_day"], oct29["last_day"], oct29["precision"], oct29["method"], oct29["approximate"]) == (
        "2024-10-29",
        "2024-10-29",
        "day",
        "inherited",
        False,
    )
    assert any(e["a"] == "京东" and e["b"] == "支付宝" and e["date"] == "2024-10-29" for e in result["events"])


def test_extract_without_a_publication_time_leaves_relative_times_unresolved(capsys, tmp_path):
    lone = tmp_path / "lone.txt"
    shutil.copy(SEED_000, lone)
    assert main(["extract", str(lone), "--json"]) == 0
    times = json.loads(capsys.readouterr().out)["times"]
    last_year = next(t for t in times if t["text"].startswith("去年10月"))
    assert last_year["value"] is None and "publication" in last_year["resolution"]
    assert next(t for t in times if t["text"] == "2011年")["value"] == "2011"


def test_extract_prints_a_readable_summary(capsys):
    assert main(["extract", str(SEED_000), "--published", "2025-03-10"]) == 0
    out = capsys.readouterr().out
    assert "2024-10-29  京东 – 支付宝  payment/start" in out


def test_misuse_gives_a_clear_message_and_exit_code_2(capsys, tmp_path):
    assert main(["build", "--input", str(tmp_path / "nope"), "--out", str(tmp_path / "out")]) == 2
    assert "input folder not found" in capsys.readouterr().err
    assert main(["extract", str(SEED_000), "--published", "yesterday"]) == 2


def test_evaluate_meets_the_bar_on_the_seed_gold():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hutong",
            "evaluate",
            str(EVAL_DIR / "events_dev.jsonl"),
            str(EVAL_DIR / "timex_dev.jsonl"),
            "--docs",
            str(RAW_DIR),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    events_line = next(line for line in result.stdout.splitlines() if line.startswith("events:"))
    f1 = float(events_line.split("F1 ")[1].split()[0])
    accuracy = float(result.stdout.split("time expressions: accuracy ")[1].split()[0])
    assert f1 >= 0.9 and accuracy >= 0.95, result.stdout


def test_build_prints_a_closing_summary(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hutong",
            "build",
            "--input",
            str(RAW_DIR),
            "--out",
            str(tmp_path / "s"),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "3 files seen, 2 articles ingested, 0 duplicates, 0 rejected" in result.stdout
    assert "prefix dict" not in result.stderr.lower(), "jieba's dictionary loading lines print by default"


def _build_in_a_new_process(*options: str, out: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "hutong", "build", "--input", str(RAW_DIR), "--out", str(out), *options]
    return subprocess.run(command, capture_output=True, text=True, check=True, env={**os.environ, "CI": ""})


def test_verbose_shows_the_segmenters_dictionary_loading_as_log_lines(tmp_path):
    result = _build_in_a_new_process("--workers", "1", "--verbose", out=tmp_path / "s")
    assert "DEBUG jieba: Prefix dict has been built successfully." in result.stderr.splitlines()


def test_quiet_build_prints_nothing(tmp_path):
    result = _build_in_a_new_process("--workers", "1", "--quiet", out=tmp_path / "s")
    assert (result.stdout, result.stderr) == ("", "")


def test_quiet_and_verbose_cannot_be_given_together(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["build", "--input", str(RAW_DIR), "--out", str(tmp_path / "s"), "--quiet", "--verbose"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_progress_bar_is_drawn_only_on_a_terminal_outside_ci(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.delenv("CI", raising=False)
    assert progress_bar_shown(quiet=False)
    assert not progress_bar_shown(quiet=True)
    monkeypatch.setenv("CI", "true")
    assert not progress_bar_shown(quiet=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    monkeypatch.delenv("CI")
    assert not progress_bar_shown(quiet=False)


def test_build_refuses_a_store_of_another_folder_without_replace(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.txt").write_text("京东与支付宝达成合作。", encoding="utf-8")
    out = tmp_path / "store"
    assert main(["build", "--input", str(mine), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert main(["build", "--input", str(RAW_DIR), "--out", str(out), "--workers", "1"]) == 2
    error = capsys.readouterr().err
    assert "built from another input folder" in error and "--replace" in error
    assert main(["build", "--input", str(RAW_DIR), "--out", str(out), "--workers", "1", "--replace"]) == 0
    assert "2 articles ingested" in capsys.readouterr().out


def test_build_rejects_an_article_over_max_chars_and_keeps_the_others(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "short.txt").write_text("京东商城正式开通支付宝支付。", encoding="utf-8")
    (folder / "long.txt").write_text("微信支付页面的京东购物入口将正式下线。" * 20, encoding="utf-8")
    assert (
        main(["build", "--input", str(folder), "--out", str(tmp_path / "out"), "--workers", "1", "--max-chars", "100"])
        == 0
    )
    assert "2 files seen, 1 articles ingested, 0 duplicates, 1 rejected" in capsys.readouterr().out


def test_build_refuses_a_limit_below_one(tmp_path, capsys):
    assert main(["build", "--input", str(RAW_DIR), "--out", str(tmp_path / "out"), "--max-file-bytes", "0"]) == 2
    assert "--max-file-bytes must be at least 1" in capsys.readouterr().err
