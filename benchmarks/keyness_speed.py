"""Benchmark: keyness over the whole vocabulary of a ~10M-token Tokens table (target: < 2 s).

Tiles the seed corpus's Tokens table up to ``--tokens`` rows when the seed annotations are
available, else builds a synthetic Zipfian table (vocabulary 200,000 lemmas, s = 1.1), and times
:func:`analysis.keyness` for ``voice == "official"`` against the rest, with terms read from
``field="lemma"`` and ``field="form"``.

    python benchmarks/keyness_speed.py [--tokens 10000000] [--repeat 3] [--synthetic]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from analysis import keyness


def seed_tokens() -> pd.DataFrame | None:
    try:
        import analysis
        from analysis.tokens import load_tokens

        return load_tokens(analysis.load_corpus())
    except Exception as exc:  # noqa: BLE001 - any failure means: fall back to synthetic data
        print(f"seed Tokens unavailable ({type(exc).__name__}: {exc}); using a synthetic table")
        return None


def tiled(tokens: pd.DataFrame, n: int) -> pd.DataFrame:
    reps = -(-n // len(tokens))
    idx = np.tile(np.arange(len(tokens)), reps)[:n]
    return tokens.iloc[idx].reset_index(drop=True)


def synthetic(n: int, vocab: int = 200_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab + 1)
    probs = ranks ** -1.1
    probs /= probs.sum()
    codes = rng.choice(vocab, size=n, p=probs)
    lemmas = pd.Categorical.from_codes(codes, categories=[f"w{i}" for i in range(vocab)])
    voices = pd.Categorical.from_codes(rng.integers(0, 2, size=n) * 0 + (np.arange(n) // 5000) % 2,
                                       categories=["official", "framing"])
    upos = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=["NOUN"])
    return pd.DataFrame({"lemma": lemmas, "form": lemmas, "upos": upos, "voice": voices})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetic", action="store_true", help="skip the seed corpus")
    args = parser.parse_args()

    base = None if args.synthetic else seed_tokens()
    if base is not None and len(base):
        table = tiled(base, args.tokens)
        source = f"seed Tokens ({len(base):,} rows) tiled"
    else:
        table = synthetic(args.tokens)
        source = "synthetic Zipfian table"
    print(f"{source}: {len(table):,} tokens")
    for field in ("lemma", "form"):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = keyness(table, {"voice": "official"}, field=field, documents=False)
            times.append(time.perf_counter() - t0)
        print(f"keyness field={field}: {len(result):,} terms; best {min(times):.3f} s, "
              f"mean {sum(times) / len(times):.3f} s over {args.repeat} runs (target < 2 s)")


if __name__ == "__main__":
    main()
