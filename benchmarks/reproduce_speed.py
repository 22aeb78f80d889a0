"""Benchmark: `tifa reproduce` with the annotations cached (target: under 60 s on 2 cores).

Run on demand:  python benchmarks/reproduce_speed.py [--workers 2] [--repeat 1]

Figures go to a temporary folder (TIFA_FIGURES_DIR), so the committed figures/ are untouched.
Prints the wall time of each run and of each notebook.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time

from analysis.reproduce import reproduce


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="notebooks at a time (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs (default 1)")
    args = parser.parse_args()
    for run in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory() as figures:
            os.environ["TIFA_FIGURES_DIR"] = figures
            log = io.StringIO()
            t = time.perf_counter()
            reproduce(workers=args.workers, out=log)
            wall = time.perf_counter() - t
        per_notebook = [line.strip() for line in log.getvalue().splitlines() if ".ipynb:" in line]
        print(f"run {run}: {wall:.1f} s with {args.workers} worker(s) ({'under' if wall < 60 else 'OVER'} the 60 s target)")
        for line in per_notebook:
            print(f"  {line}")


if __name__ == "__main__":
    main()
