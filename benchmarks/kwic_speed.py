"""KWIC speed on a ~10M-word Tokens table (the seed's table tiled), against a regex over the raw text.

Run on demand (not part of the test suite)::

    python benchmarks/kwic_speed.py            # ~10M words
    python benchmarks/kwic_speed.py --words 2e6 --repeat 3

Targets (issue 4): under 100 ms per lemma query after load, and at least 20x faster than a
regular expression over the raw text of the same size. The regex baseline is the cheapest
honest equivalent of a KWIC on raw text: one case-insensitive pass of ``\\b(forms)\\b`` over the
text, cutting 40 characters of context on each side of every hit.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time

import numpy as np
import pandas as pd


def tile_tokens(tokens: pd.DataFrame, reps: int) -> pd.DataFrame:
    """``reps`` copies of ``tokens``; copy r renames each document ``<doc_id>#r``."""
    out = {}
    n = len(tokens)
    for col in tokens.columns:
        s = tokens[col]
        if col == "doc_id":
            cats = [str(c) for c in s.cat.categories]
            codes = s.cat.codes.to_numpy().astype(np.int64)
            tiled = (np.tile(codes, reps) + np.repeat(np.arange(reps) * len(cats), n)).astype(np.int32)
            out[col] = pd.Categorical.from_codes(tiled, [f"{c}#{r}" for r in range(reps) for c in cats])
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical.from_codes(np.tile(s.cat.codes.to_numpy(), reps), s.cat.categories)
        else:
            out[col] = pd.array(np.tile(s.to_numpy(), reps), dtype=s.dtype)
    return pd.DataFrame(out)


def load_seed():
    import analysis
    from analysis.tokens import load_tokens

    corpus = analysis.load_corpus()
    return corpus, load_tokens(corpus)


def raw_text(corpus) -> str:
    return "\n\n".join(p for p in corpus.paragraphs["text"])


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def regex_kwic(text: str, forms: list[str]) -> list[tuple[str, str, str]]:
    rx = re.compile(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b", re.IGNORECASE)
    return [(text[max(0, m.start() - 40):m.start()], m.group(0), text[m.end():m.end() + 40]) for m in rx.finditer(text)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=float, default=10e6, help="approximate size of the tiled table (default 1e7)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per query; the median is reported (default 5)")
    args = ap.parse_args(argv)

    from analysis import kwic
    from analysis._core import match
    from analysis.query import token_index

    corpus, seed = load_seed()
    reps = max(1, math.ceil(args.words / len(seed)))
    t0 = time.perf_counter()
    tokens = tile_tokens(seed, reps)
    t_tile = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = token_index(tokens)
    index.text(tokens)  # joined text and offsets, built once
    index.postings(tokens, "lemma")  # inverted index of the lemma column, built once
    t_index = time.perf_counter() - t0
    print(f"seed: {len(seed):,} words; tiled x{reps}: {len(tokens):,} words "
          f"({tokens.memory_usage(deep=False).sum() / 2**20:,.0f} MiB); tiling {t_tile:.2f} s, "
          f"one-off index {t_index:.2f} s")

    queries = {"lemma:security": ["security", "securities"],
               "lemma:ideological": ["ideological"],
               "lemma:convergence": ["convergence", "convergences"],
               "lemma:propaganda": ["propaganda"]}
    text = raw_text(corpus) * 1  # one copy; tiled below
    big = "\n\n".join([text] * reps)
    print(f"raw text: {len(big) / 2**20:,.0f} MiB ({reps} copies of the seed's paragraphs)")
    print(f"{'query':22} {'hits':>9} {'match ms':>9} {'kwic ms':>9} {'regex ms':>10} {'speed-up':>9}")
    worst = 0.0
    ratios = []
    for query, forms in queries.items():
        t_match, (starts, _) = timed(lambda: match(tokens, query), args.repeat)
        t_kwic, table = timed(lambda: kwic(tokens, query), args.repeat)
        t_regex, hits = timed(lambda: regex_kwic(big, forms), 1)
        worst = max(worst, t_kwic)
        ratios.append(t_regex / t_kwic)
        print(f"{query:22} {len(table):>9,} {t_match * 1e3:>9.1f} {t_kwic * 1e3:>9.1f} {t_regex * 1e3:>10.0f} "
              f"{t_regex / t_kwic:>8.0f}x   (regex hits {len(hits):,})")
    print(f"slowest kwic: {worst * 1e3:.1f} ms (target < 100 ms); smallest speed-up {min(ratios):.0f}x (target >= 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
