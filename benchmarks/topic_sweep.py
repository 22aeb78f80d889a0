"""Benchmark: the full topic-model sweep (K 3..15 × seeds 1..5, paragraph units) on the seed corpus.

Target (issue 7): under 2 minutes on the project's 2-core machine. Prints the time of each step,
the mean coherence per K (± its standard error across seeds) with both co-occurrence accumulators
(the package's boolean sliding windows, Röder et al. 2015, and gensim's, which undercounts words
repeated within a window), the K each rule would choose under each, and the time coherence takes
with each. The models are fitted once; gensim's numbers rescore the same models
(:func:`analysis.topics.coherence_table`). Run from the repository root::

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


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi) + 1)) if hi else [int(s) for s in text.split(",")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", action="store_true", help="use a generated corpus of the seed's size")
    ap.add_argument("--lang", default="en", help="the language of the units (default en)")
    ap.add_argument("--seeds", type=_seeds, default=[1, 2, 3, 4, 5], help="seeds, 1-5 (default) or 1,2,3")
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
    table, models = tp.sweep(units, ks=range(3, 16), seeds=args.seeds, passes=args.passes,
                             iterations=args.iterations, workers=args.workers, return_models=True)
    t_sweep, c_sweep = time.perf_counter() - t0, _cpu() - c0

    tables, timings = {"windows": table}, {}
    for acc in ("windows", "gensim"):
        t0 = time.perf_counter()
        scores = tp.coherence_table(models, measures=("c_npmi", "c_v"), accumulator=acc)
        timings[acc] = time.perf_counter() - t0
        if acc != "windows":
            tables[acc] = table.drop(columns=["c_npmi", "c_v"]).merge(scores, on=["k", "seed"])

    rows = []
    for acc, t in tables.items():
        for m in ("c_npmi", "c_v"):
            sel = tp.k_selection(t, measure=m)
            for r in sel.itertuples():
                rows.append({"k": r.k, "column": f"{m} {acc}", "value": f"{r.score:.4f} ± {r.se:.4f}"})
    per_k = pd.DataFrame(rows).pivot(index="k", columns="column", values="value")
    with pd.option_context("display.width", 200, "display.max_rows", None, "display.max_columns", None):
        print(f"\nmean coherence per K over seeds {args.seeds} (± standard error across seeds):")
        print(per_k.to_string())
    print()
    for acc, t in tables.items():
        for m in ("c_npmi", "c_v"):
            sel = tp.k_selection(t, measure=m)
            k = tp.choose_k(t, measure=m)
            highest = int(sel.loc[sel["highest"], "k"].iloc[0])
            pool = "all Ks (no K reached stability 0.5)" if sel["fallback"].any() else "Ks with stability >= 0.5"
            print(f"{acc:>7} counts, {m:>6}: chosen K = {k} (seed {tp.best_seed(t, k, measure=m)}; one-SE rule "
                  f"among {pool}); highest mean at K = {highest}; each seed alone (seed: K) "
                  f"{sel.attrs['seed_choices']}")
    print(f"\nsweep K 3..15 x seeds {args.seeds} ({len(table)} models, passes={args.passes}, workers={args.workers}): "
          f"{t_sweep:.1f} s wall, {c_sweep:.1f} s CPU, load average {os.getloadavg()[0]:.1f} "
          f"({'OK' if t_sweep < 120 else 'OVER'} the 120 s target)")
    print(f"coherence (c_npmi + c_v) of all {len(table)} models: windows {timings['windows']:.2f} s, "
          f"gensim {timings['gensim']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
