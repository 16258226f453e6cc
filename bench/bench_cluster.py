"""The build on a Dask LocalCluster of 2 workers against `--workers 2` on the same corpus, and the client's peak
memory on a running cluster as the corpus grows (the workers' memory is theirs, not the client's)."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from distributed import LocalCluster

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402
from machine import describe_machine, run_measured  # noqa: E402


def measured_build(corpus: Path, out: Path, *options: str) -> tuple[float, int]:
    """Seconds and peak memory (MiB) of one full build by the command line, the process and its children."""
    cmd = [sys.executable, "-m", "hutong", "build", "--input", str(corpus), "--out", str(out), "--full", "-q"]
    seconds, peak_mib, result = run_measured([*cmd, *options])
    if result.returncode != 0:
        sys.exit(f"build failed: {result.stderr[-2000:]}")
    return seconds, peak_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000, help="articles in the throughput corpus")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the throughput comparison")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 2_000, 4_000], help="corpora for memory")
    parser.add_argument("--segment-articles", type=int, default=500)
    args = parser.parse_args()
    chunk = ["--segment-articles", str(args.segment_articles)]
    print(f"machine: {describe_machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.n)
        rounds = []
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            for _ in range(args.repeat):
                local = measured_build(corpus, Path(tmp) / "local", "--workers", "2")
                running = measured_build(
                    corpus, Path(tmp) / "running", "--scheduler", cluster.scheduler_address, *chunk
                )
                started = measured_build(
                    corpus, Path(tmp) / "started", "--scheduler", "local", "--workers", "2", *chunk
                )
                rounds.append((local[0], running[0], started[0]))
                print(
                    f"  round: --workers 2 {local[0]:.1f} s, running cluster {running[0]:.1f} s, "
                    f"--scheduler local {started[0]:.1f} s"
                )
            memory = []
            for n in args.sizes:
                sized = write_corpus(Path(tmp) / f"corpus-{n}", n)
                seconds, peak = measured_build(
                    sized, Path(tmp) / f"store-{n}", "--scheduler", cluster.scheduler_address, *chunk
                )
                report = (Path(tmp) / f"store-{n}" / "report.json").stat().st_size / 2**20
                memory.append((n, seconds, peak, report))
    median = [statistics.median(r[i] for r in rounds) for i in range(3)]
    print(f"\n{args.n:,} articles, median of {args.repeat} rounds, segments of {args.segment_articles} articles")
    print("| build | wall seconds | throughput against --workers 2 |")
    print("|---|---|---|")
    print(f"| `--workers 2` (baseline) | {median[0]:.1f} | 1.00 |")
    print(f"| on a running LocalCluster of 2 workers | {median[1]:.1f} | {median[0] / median[1]:.2f} × |")
    print(f"| `--scheduler local` (starts its cluster) | {median[2]:.1f} | {median[0] / median[2]:.2f} × |")
    print("\n| articles | client's wall seconds | client's peak memory (MiB) | report.json (MiB) |")
    print("|---|---|---|---|")
    for n, seconds, peak, report in memory:
        print(f"| {n:,} | {seconds:.1f} | {peak} | {report:.1f} |")


if __name__ == "__main__":
    main()
