"""Crash safety: a build killed at any moment leaves the previous store exactly as it was, and the next build works."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from hutong import store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import write_corpus  # noqa: E402 - bench/ is not a package

# about 40 s of SIGKILL trials: left out of `make test-fast`
pytestmark = pytest.mark.slow

ARTICLES = 200
TRIALS = 10
SEED = 20251122
EDITED = "京东物流与菜鸟驿站达成合作，双方在末端配送上互联互通。"


@dataclass(frozen=True)
class Trial:
    delay: float  # seconds between starting the build and SIGKILL
    returncode: int  # -SIGKILL when the kill landed; 0 when the build had already finished
    identical: bool  # every file of the store has the bytes it had before the build
    swapped_in: bool  # the kill landed after the build had swapped its whole new store in (see replaced_whole)
    unreadable: str | None  # why the store could not be read after the kill, if it could not
    leftovers: list[str]  # temporary folders beside the store after this trial


@dataclass(frozen=True)
class KillRun:
    corpus: Path
    out: Path
    build_seconds: float
    before: dict[str, bytes]
    trials: list[Trial]
    leftovers_after_kills: list[str]  # temporary folders beside the store after the last kill
    next_build: subprocess.CompletedProcess  # an ordinary build after the kills, one article edited
    leftovers_after_next_build: list[str]


def build_command(corpus: Path, out: Path, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hutong",
        "build",
        "--input",
        str(corpus),
        "--out",
        str(out),
        "--workers",
        "1",
        *options,
    ]


def snapshot(store_dir: Path) -> dict[str, bytes]:
    """Every file of the store (its segments' too), by its path inside the store."""
    return {p.relative_to(store_dir).as_posix(): p.read_bytes() for p in sorted(store_dir.rglob("*")) if p.is_file()}


def unreadable(store_dir: Path) -> str | None:
    """None when the store is complete and every table and the report load; else what failed."""
    if not store.store_exists(store_dir):
        return "store_exists() is False"
    try:
        for name in store.TABLES:
            store.read_table(store_dir, name)
        store.read_report(store_dir)
    except Exception as error:  # noqa: BLE001 - any failure to read is the finding
        return repr(error)
    return None


def replaced_whole(before: dict[str, bytes], after: dict[str, bytes], store_dir: Path) -> bool:
    """The store is a whole new one: the same files, a report of a later build, and every table loads. A kill
    that lands in the moments between the atomic swap and the process's exit leaves this, not a mix."""
    if after.keys() != before.keys() or unreadable(store_dir) is not None:
        return False
    return (
        store.read_summary(store_dir)["built_at"] >= json.loads(before["report.json"])["summary"]["built_at"]
        and after["report.json"] != before["report.json"]
    )


def leftovers(out: Path) -> list[str]:
    return sorted(path.name for path in out.parent.glob(f".{out.name}.*"))


def kill_after(command: list[str], delay: float) -> int:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)  # an exited but unreaped build is a zombie: the kill is harmless
    return process.wait(timeout=60)


@pytest.fixture(scope="module")
def kill_run(tmp_path_factory: pytest.TempPathFactory) -> KillRun:
    folder = tmp_path_factory.mktemp("crash")
    corpus = write_corpus(folder / "corpus", ARTICLES)
    out = folder / "store"
    started = time.monotonic()
    subprocess.run(build_command(corpus, out), check=True, capture_output=True, timeout=300)
    build_seconds = time.monotonic() - started
    before = snapshot(out)
    rng = random.Random(SEED)
    trials = []
    for i in range(TRIALS):
        # one kill in each tenth of a build's duration, at a seeded random point within it
        delay = build_seconds * (i + rng.random()) / TRIALS
        returncode = kill_after(build_command(corpus, out, "--full"), delay)
        after = snapshot(out)
        swapped_in = after != before and replaced_whole(before, after, out)
        trials.append(Trial(delay, returncode, after == before, swapped_in, unreadable(out), leftovers(out)))
        if returncode == 0 or swapped_in:
            before = after  # the build got its store in before the kill: that store is the one to keep
    for trial in trials:
        if trial.returncode == -signal.SIGKILL and trial.swapped_in:
            outcome = "killed after its new store was swapped in whole"
        elif trial.returncode == -signal.SIGKILL:
            outcome = f"killed, store {'unchanged' if trial.identical else 'CHANGED'}"
        else:
            outcome = f"finished first (exit {trial.returncode}), its store in place"
        print(
            f"kill after {trial.delay:5.2f} s of a {build_seconds:.2f} s build: {outcome}, "
            f"{trial.unreadable or 'loads'}"
        )
    after_kills = leftovers(out)
    next(corpus.rglob("*.md")).write_text(f"---\ntitle: 编辑过的文章\n---\n\n{EDITED}\n", encoding="utf-8")
    next_build = subprocess.run(build_command(corpus, out), capture_output=True, text=True, timeout=300)
    print(f"{len(after_kills)} temporary folders after the kills, {len(leftovers(out))} after the next build")
    return KillRun(corpus, out, build_seconds, before, trials, after_kills, next_build, leftovers(out))


def test_kills_land_throughout_the_build(kill_run: KillRun):
    killed = [t for t in kill_run.trials if t.returncode == -signal.SIGKILL]
    assert len(killed) >= TRIALS // 2  # a build may run faster than the first one did and finish in time
    assert all(t.returncode in (0, -signal.SIGKILL) for t in kill_run.trials)


def test_a_killed_build_leaves_the_previous_store_byte_identical(kill_run: KillRun):
    changed = [t for t in kill_run.trials if t.returncode == -signal.SIGKILL and not t.identical and not t.swapped_in]
    assert changed == []
    # most kills land before the swap, where the previous store must be untouched to the byte
    assert sum(t.identical for t in kill_run.trials if t.returncode == -signal.SIGKILL) >= TRIALS // 2


def test_the_store_loads_after_every_kill(kill_run: KillRun):
    assert [t.unreadable for t in kill_run.trials] == [None] * TRIALS


def test_the_next_build_after_the_kills_succeeds_without_clean_up(kill_run: KillRun):
    assert kill_run.next_build.returncode == 0, kill_run.next_build.stderr[-2000:]
    assert unreadable(kill_run.out) is None
    documents = store.read_table(kill_run.out, "documents")
    assert len(documents) == ARTICLES
    assert documents["text"].str.contains(EDITED).any()


def test_a_first_build_killed_midway_leaves_no_store_and_the_next_build_makes_one(kill_run: KillRun, tmp_path: Path):
    out = tmp_path / "fresh"
    # halfway through a build as long as the first one; sooner when this one ran faster and finished first
    for share in (0.5, 0.25, 0.1):
        if kill_after(build_command(kill_run.corpus, out), kill_run.build_seconds * share) == -signal.SIGKILL:
            break
        shutil.rmtree(out, ignore_errors=True)
    else:
        pytest.fail("every build finished before it was killed")
    assert not store.store_exists(out)
    subprocess.run(build_command(kill_run.corpus, out), check=True, capture_output=True, timeout=300)
    assert unreadable(out) is None


def test_temporary_folders_of_killed_builds_never_pile_up(kill_run: KillRun):
    counts = [len(t.leftovers) for t in kill_run.trials]
    assert max(counts) >= 1  # some kills did leave a half-made build behind
    assert max(counts) <= 2  # each build removes those of builds no longer running: at most its own and a set-aside


def test_no_temporary_folders_are_left_once_a_build_succeeds(kill_run: KillRun):
    assert kill_run.leftovers_after_next_build == []
