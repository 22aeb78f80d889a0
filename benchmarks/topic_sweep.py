"""Benchmark: the full topic-model sweep (K 3..15 × 3 seeds, paragraph units) on the seed corpus.

Target (issue 7): under 2 minutes on the project's 2-core machine. Prints the time of each step,
the sweep table and the chosen K. Run from the repository root::

    python benchmarks/topic_sweep.py              # the seed corpus (needs its Tokens)
    python benchmarks/topic_sweep.py --synthetic  # a generated corpus of the seed's size
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np
import pandas as pd


def synthetic_units(n_units: int = 550, terms_per_unit: int = 20, vocab: int = 2500, k: int = 10,
                    seed: int = 0) -> pd.DataFrame:
    """Units of the seed's size: k planted topics over a Zipf-distributed vocabulary."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    zipf = 1 / np.arange(1, vocab + 1)
    topics = []
    for _ in range(k):
        p = rng.permutation(zipf)
        topics.append(p / p.sum())
    rows = []
    for u in range(n_units):
        mix = rng.dirichlet(np.full(k, 0.3))
        z = rng.choice(k, size=terms_per_unit, p=mix)
        terms = [words[rng.choice(vocab, p=topics[t])] for t in z]
        rows.append({"unit_id": f"u{u}", "doc_id": f"d{u // 30}", "voice": "official", "terms": terms,
                     "n_terms": len(terms)})
    return pd.DataFrame(rows)


def _cpu() -> float:
    """CPU seconds of this process and its finished worker processes."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", action="store_true", help="use a generated corpus of the seed's size")
    ap.add_argument("--lang", default="en", help="the language of the units (default en)")
    ap.add_argument("--passes", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1, help="worker processes for the sweep (default 1)")
    args = ap.parse_args(argv)

    from analysis import topics as tp

    t0 = time.perf_counter()
    if args.synthetic:
        units = synthetic_units()
        source = "synthetic (seed-sized)"
    else:
        import analysis
        from analysis.tokens import load_tokens

        tokens = load_tokens(analysis.load_corpus())
        t_tok = time.perf_counter() - t0
        print(f"load Tokens: {len(tokens)} words in {t_tok:.1f} s")
        t0 = time.perf_counter()
        units = tp.topic_units(tokens, segment="paragraph", lang=args.lang)
        source = f"seed corpus, lang={args.lang}"
    t_units = time.perf_counter() - t0
    print(f"units: {len(units)} paragraphs, {int(units['n_terms'].sum())} terms ({source}) in {t_units:.2f} s")

    t0, c0 = time.perf_counter(), _cpu()
    table = tp.sweep(units, ks=range(3, 16), seeds=(1, 2, 3), passes=args.passes, iterations=args.iterations,
                     workers=args.workers)
    t_sweep, c_sweep = time.perf_counter() - t0, _cpu() - c0
    k = tp.choose_k(table)
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(table.round(4).to_string(index=False))
    fallback = bool(tp.k_selection(table)["fallback"].any())
    why = ("no K reached stability 0.5: highest mean c_npmi over all Ks" if fallback
           else "highest mean c_npmi among Ks with stability >= 0.5")
    print(f"chosen K = {k} (seed {tp.best_seed(table, k)}): {why}")
    print(f"sweep K 3..15 x seeds 1,2,3 ({len(table)} models, passes={args.passes}, workers={args.workers}): "
          f"{t_sweep:.1f} s wall, {c_sweep:.1f} s CPU, load average {os.getloadavg()[0]:.1f} "
          f"({'OK' if t_sweep < 120 else 'OVER'} the 120 s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
