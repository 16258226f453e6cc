"""Peak memory of a large build (the whole process tree, workers included) against a small build of
the same kind of corpus in the same run: memory must not grow with the corpus."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402
from machine import describe_machine, run_measured  # noqa: E402


def measured_build(corpus: Path, out: Path, workers: int) -> tuple[float, int]:
    cmd = [
        sys.executable,
        "-m",
        "hutong",
        "build",
        "--input",
        str(corpus),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--full",
    ]
    seconds, peak_mib, result = run_measured(cmd)
    if result.returncode != 0:
        sys.exit(f"build failed: {result.stderr[-2000:]}")
    return seconds, peak_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles in the large build")
    parser.add_argument("--small", type=int, default=1_000, help="articles in the baseline build")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the large store here (for bench/bench_page.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = measured_build(write_corpus(Path(tmp) / "small", args.small), Path(tmp) / "s", args.workers)
        large_out = args.keep or Path(tmp) / "l"
        large = measured_build(write_corpus(Path(tmp) / "large", args.n), large_out, args.workers)
    print(f"machine: {describe_machine()}")
    print(f"workers: {args.workers}")
    print("| build | seconds | peak resident memory (MiB, all processes) | ratio |")
    print("|---|---|---|---|")
    print(f"| {args.small:,} articles (baseline) | {small[0]:.0f} | {small[1]} | 1.00 |")
    print(f"| {args.n:,} articles | {large[0]:.0f} | {large[1]} | {large[1] / small[1]:.2f} |")


if __name__ == "__main__":
    main()
