import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import pandas as pd
import pytest
from distributed import LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from hutong import store
from hutong.cli import main
from hutong.pipeline import build_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import write_corpus  # noqa: E402 - bench/ is not a package

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HUTONG_SHARED", "/work/shared"))
FUYAO = SHARED / "corpora" / "fuyaonews"

# Every test here starts a cluster of two worker processes, each loading the segmenter's dictionary.
pytestmark = pytest.mark.slow

CHUNK = 40  # inputs per chunk: the corpus below makes several segments, fewer than store.MAX_SEGMENTS


def _cluster() -> LocalCluster:
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="3GiB", dashboard_address=None)


@pytest.fixture(scope="module")
def scheduler():
    with _cluster() as cluster:
        yield cluster.scheduler_address


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _corpus(folder: Path, *, articles: int = 120) -> Path:
    """Synthetic articles (and the shared news corpus when it is beside the project), with texts planted twice:
    once in the first chunk and again in a later one, and twice within one chunk; and inputs that are rejected."""
    write_corpus(folder / "synthetic", articles)
    if FUYAO.is_dir():
        shutil.copytree(FUYAO, folder / "fuyaonews")
    first = sorted((folder / "synthetic").rglob("*.md"))[0]
    _write(folder, "000-again/first.md", first.read_text(encoding="utf-8"))  # same chunk as its original
    _write(folder, "zzz-late/first-again.md", first.read_text(encoding="utf-8"))  # a chunk far after it
    rows = [
        {"title": "一", "text": "美团外卖接入了云闪付，用户下单时可以选择云闪付付款。"},
        {"title": "二", "text": "抖音商城开通了支付宝付款。"},
        {"title": "二又", "text": "抖音商城开通了支付宝付款。"},  # the same text a row later
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["{这一行不是 JSON"]
    _write(folder, "zzz-late/rows.jsonl", "\n".join(lines))
    _write(folder, "zzz-late/empty.md", "")
    (folder / "zzz-late" / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 64)
    return folder


def _sorted_table(folder: Path, name: str) -> pd.DataFrame:
    frame = store.read_table(folder, name)
    if name in store.DAY_SUMS:  # each segment holds its own sums, which readers add up (see store.SEGMENT_FILES)
        keys = list(store.DAY_SUMS[name])
        frame = frame.groupby(keys, dropna=False, as_index=False)[[c for c in frame if c not in keys]].sum()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _assert_same_store(cluster_out: Path, local_out: Path) -> None:
    """Every table, the report's entries and its counts (but those reused) equal, whatever the rows' order and segments."""
    for name in store.TABLES:
        pd.testing.assert_frame_equal(
            _sorted_table(cluster_out, name), _sorted_table(local_out, name), check_like=True, obj=name
        )
    ours, theirs = store.read_report(cluster_out), store.read_report(local_out)
    assert ours["inputs"] == theirs["inputs"]
    counts = ("files_seen", "ingested", "duplicates", "rejected", "analysis_version", "input_dir")
    assert {k: ours["summary"][k] for k in counts} == {k: theirs["summary"][k] for k in counts}


def test_a_cluster_build_writes_the_same_store_as_one_process_in_several_segments(tmp_path, scheduler):
    corpus = _corpus(tmp_path / "in")
    summary = build_store(corpus, tmp_path / "cluster", scheduler=scheduler, segment_articles=CHUNK)
    build_store(corpus, tmp_path / "local", workers=1)
    assert summary.duplicates == 3 and summary.rejected >= 3
    assert 1 < len(store.segment_dirs(tmp_path / "cluster")) <= store.MAX_SEGMENTS
    _assert_same_store(tmp_path / "cluster", tmp_path / "local")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == [] and not (tmp_path / "cluster" / "staging").exists()


def test_an_incremental_cluster_build_reuses_unchanged_articles_and_matches_a_full_build(tmp_path, scheduler):
    corpus, out = tmp_path / "in", tmp_path / "store"
    write_corpus(corpus, 50)
    assert build_store(corpus, out, scheduler=scheduler, segment_articles=CHUNK).ingested == 50
    before = {s.name for s in store.segment_dirs(out)}
    _write(corpus, "new/a.md", "---\ndate: 2024-10-30\n---\n10月29日，京东商城正式开通支付宝支付，用户可直接付款。")
    _write(corpus, "new/b.md", "---\ndate: 2025-03-02\n---\n3月1日，淘宝宣布接入微信支付，双方称将继续推进互联互通。")
    _write(corpus, "new/c.md", (corpus / "new" / "a.md").read_text(encoding="utf-8"))  # a duplicate of a new one
    summary = build_store(corpus, out, scheduler=scheduler, segment_articles=CHUNK)
    assert (summary.ingested, summary.reused, summary.duplicates) == (52, 50, 1)
    assert before <= {s.name for s in store.segment_dirs(out)}  # the unchanged segments carried over
    assert build_store(corpus, out, scheduler=scheduler).up_to_date
    build_store(corpus, tmp_path / "full", workers=1, full=True)
    _assert_same_store(out, tmp_path / "full")


class KillOnce(WorkerPlugin):
    """Makes a worker process die in the middle of the chunk holding `path`, the first time any worker
    reaches that article (a marker file tells the others, and the restarted worker, that it happened)."""

    def __init__(self, path: str, marker: str):
        self.path, self.marker = path, marker

    def setup(self, worker) -> None:
        from hutong import pipeline

        analyse = pipeline.analyse_article
        path, marker = self.path, self.marker

        def analyse_or_die(article, resources):
            if article.path == path:
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    pass
                else:
                    os._exit(1)
            return analyse(article, resources)

        pipeline.analyse_article = analyse_or_die


def test_a_worker_that_dies_mid_chunk_has_its_chunk_redone_and_the_store_is_a_clean_builds(tmp_path):
    corpus = tmp_path / "in"
    write_corpus(corpus, 130)
    victim = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.md"))[CHUNK * 2 + 7]
    marker = tmp_path / "killed"
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with _cluster() as cluster:
        from distributed import Client

        with Client(cluster) as client:
            client.register_plugin(KillOnce(victim, str(marker)))
            build_store(corpus, tmp_path / "cluster", scheduler=cluster.scheduler_address, segment_articles=CHUNK)
    assert marker.exists()  # a worker did die
    build_store(corpus, tmp_path / "local", workers=1)
    _assert_same_store(tmp_path / "cluster", tmp_path / "local")


def test_the_command_line_builds_on_a_scheduler_and_refuses_one_it_cannot_reach(tmp_path, scheduler, capsys):
    corpus = tmp_path / "in"
    write_corpus(corpus, 12)
    out = tmp_path / "store"
    args = ["build", "--input", str(corpus), "--out", str(out), "-q"]
    assert main([*args, "--scheduler", scheduler, "--segment-articles", "5"]) == 0
    assert store.read_summary(out)["ingested"] == 12
    assert main([*args, "--scheduler", "tcp://127.0.0.1:9", "--full"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert store.read_summary(out)["ingested"] == 12  # the previous store as it was
    assert main([*args, "--scheduler", scheduler, "--segment-articles", "0"]) == 2


def test_a_build_without_a_scheduler_never_imports_dask(tmp_path):
    corpus = tmp_path / "in"
    _write(corpus, "a.txt", "10月29日，京东商城正式开通支付宝支付。")
    code = (
        "import sys\nfrom hutong.cli import main\n"
        f"assert main(['build', '--input', {str(corpus)!r}, '--out', {str(tmp_path / 'out')!r}, '-q']) == 0\n"
        "assert not any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules), 'dask imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_client_killed_while_workers_write_segments_leaves_the_previous_store(tmp_path, scheduler):
    corpus, out = tmp_path / "in", tmp_path / "store"
    write_corpus(corpus, 60)
    build_store(corpus, out, scheduler=scheduler, segment_articles=CHUNK)
    before = _files(out)
    cmd = [sys.executable, "-m", "hutong", "build", "--input", str(corpus), "--out", str(out), "--full", "-q"]
    cmd += ["--scheduler", scheduler, "--segment-articles", "5"]
    client = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".store.building-*/staging/*/documents.parquet")):  # a worker wrote a segment
            assert client.poll() is None and time.monotonic() < deadline, "the build ended before it was killed"
            time.sleep(0.05)
    finally:
        client.kill()
        client.wait()
    assert _files(out) == before
    assert build_store(corpus, out, scheduler=scheduler, segment_articles=CHUNK, full=True).ingested == 60
    # the dead client's chunks that were running still finish, and may write beside a build that cleans up:
    # the build after that one removes what they wrote
    build_store(corpus, out, scheduler=scheduler, segment_articles=CHUNK, full=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_cluster_build_merges_segments_and_events_on_the_workers_not_the_client(tmp_path, scheduler, monkeypatch):
    corpus = _corpus(tmp_path / "in")
    build_store(corpus, tmp_path / "local", workers=1)

    def not_on_the_client(*args, **kwargs):
        raise AssertionError("the client ran DuckDB work that grows with the corpus")

    # every DuckDB step of a build (a segment's aggregates, compaction, the timeline merge) opens this connection
    monkeypatch.setattr(store, "build_connection", not_on_the_client)
    summary = build_store(corpus, tmp_path / "cluster", scheduler=scheduler, segment_articles=10)
    assert summary.duplicates == 3
    assert len(store.segment_dirs(tmp_path / "cluster")) <= store.MAX_SEGMENTS  # more chunks than that: merged
    monkeypatch.undo()
    _assert_same_store(tmp_path / "cluster", tmp_path / "local")


def test_a_cluster_build_counts_its_progress_in_tasks_and_says_how_many(tmp_path, scheduler):
    corpus = tmp_path / "in"
    write_corpus(corpus, 12)
    done, planned = [], []
    build_store(
        corpus,
        tmp_path / "out",
        scheduler=scheduler,
        segment_articles=5,
        progress=done.append,
        tasks_planned=planned.append,
    )
    assert done == [1, 1, 1] and planned == [3]  # 12 inputs in chunks of 5


class KillAlways(WorkerPlugin):
    """Makes every worker that reaches the article at `path` exit with status 3."""

    def __init__(self, path: str):
        self.path = path

    def setup(self, worker) -> None:
        from hutong import pipeline

        analyse, path = pipeline.analyse_article, self.path

        def analyse_or_die(article, resources):
            if article.path == path:
                os._exit(3)
            return analyse(article, resources)

        pipeline.analyse_article = analyse_or_die


def test_a_chunk_that_kills_its_workers_stops_the_build_with_one_line_naming_its_files(tmp_path, capsys):
    import dask
    from distributed import Client

    corpus, out = tmp_path / "in", tmp_path / "store"
    write_corpus(corpus, 12)
    names = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.md"))
    args = ["build", "--input", str(corpus), "--out", str(out), "-q", "--segment-articles", "5"]
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), _cluster() as cluster:
        assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
        before = _files(out)
        with Client(cluster) as client:
            client.register_plugin(KillAlways(names[7]))  # in the second chunk: inputs 6 to 10
            code = main([*args, "--scheduler", cluster.scheduler_address, "--full"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"5 inputs ({names[5]} … {names[9]}) killed 2 Dask workers" in err
    assert "exited with status 3" in err
    assert _files(out) == before
