"""Every analysis at 1M and 10M words, against a plain-pandas or regex baseline measured in the same run.

Run on demand (not part of the test suite; ~10 minutes for both sizes on a 2-core machine)::

    python benchmarks/analyses_speed.py                 # 1M and 10M words
    python benchmarks/analyses_speed.py --sizes 1e6     # 1M only

The table is the seed's Tokens table tiled (``kwic_speed.tile_tokens``: copy r renames each
document ``<doc_id>#r``), so the vocabulary is the seed's and documents grow with the size.
Targets (the scale issue, at 10M words): KWIC <= 100 ms per query of every kind and >= 20x a regex
over the raw text; frequency, keyness, theme rates, dispersion, collocates <= 2 s; rhetoric
profile and word sketch <= 10 s. Baselines are the cheapest honest plain-pandas (or regex)
computation of the same numbers; rhetoric and word sketches have none (a dependency parse has no
regex equivalent), so their growth from 1M to 10M is what the table shows.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kwic_speed import load_seed, raw_text, tile_tokens, timed  # noqa: E402


def regex_kwic(text: str, pattern: str) -> int:
    rx = re.compile(pattern, re.IGNORECASE)
    return sum(1 for m in rx.finditer(text) if (text[max(0, m.start() - 40):m.start()], text[m.end():m.end() + 40]))


def baselines(tokens: pd.DataFrame):
    """Plain-pandas computations of the same numbers (no package code)."""
    words = tokens[~tokens["upos"].isin(["PUNCT", "SYM"])]
    lemma = words["lemma"].astype(str).str.lower()

    def frequency():
        return lemma.value_counts()

    def keyness():
        return pd.crosstab(lemma, words["voice"].astype(str))

    def dispersion():
        return words[lemma == "security"].groupby("doc_id", observed=True).size()

    def theme_rates():
        hit = lemma.str.match(r"(ideolog.*|security|cyber.*|converg.*)$")
        return hit.groupby(words["voice"].astype(str)).sum()

    def collocates():
        lem = lemma.to_numpy()
        node = np.flatnonzero(lem == "security")
        near = np.concatenate([node + d for d in range(-5, 6) if d]) if len(node) else np.array([], int)
        near = near[(near >= 0) & (near < len(lem))]
        return pd.Series(lem[near]).value_counts()

    return {"frequency": frequency, "keyness": keyness, "dispersion": dispersion, "theme_rates": theme_rates,
            "collocates": collocates}


def run(size: float, seed_tokens: pd.DataFrame, corpus, repeat: int) -> list[dict]:
    import analysis

    reps = max(1, math.ceil(size / len(seed_tokens)))
    tokens = tile_tokens(seed_tokens, reps)
    en = tokens[tokens["lang"].astype(str) == "en"].reset_index(drop=True)
    text = "\n\n".join(["\n\n".join(raw_text(corpus).split("\n\n"))] * reps)
    rows = []
    print(f"\n== {len(tokens):,} words ({reps} copies of the seed); English {len(en):,}")
    # warm the per-table index once (as a notebook does after loading)
    analysis.kwic(tokens, "security")
    kwic_cases = {
        "kwic form": ("security", r"\bsecurity\b"),
        "kwic lemma": ("lemma:security", r"\bsecurit(?:y|ies)\b"),
        "kwic glob": ("ideolog*", r"\bideolog\w*"),
        "kwic phrase": ("public opinion", r"\bpublic\s+opinion\b"),
    }
    for name, (query, pattern) in kwic_cases.items():
        t, table = timed(lambda: analysis.kwic(tokens, query), repeat)
        tb, _ = timed(lambda: regex_kwic(text, pattern), 1)
        rows.append({"words": len(tokens), "analysis": name, "seconds": t, "baseline": tb, "target": 0.1,
                     "note": f"{len(table):,} hits; baseline: regex over the raw text"})
    base = baselines(en)
    cases = {
        "frequency": lambda: analysis.frequency(en),
        "keyness": lambda: analysis.keyness(en, {"voice": "official"}, {"voice": "framing"}, documents=False),
        "keyness + documents": lambda: analysis.keyness(en, {"voice": "official"}, {"voice": "framing"}),
        "theme_rates": lambda: analysis.theme_rates(en, by="voice", n_boot=200),
        "dispersion": lambda: analysis.dispersion(en, ["lemma:security"]),
        "collocates": lambda: analysis.collocates(en, "security"),
        "rhetoric_profile": lambda: analysis.rhetoric_profile(en, by="voice", n_boot=200),
        "word_sketch": lambda: analysis.word_sketch(en, "security"),
    }
    targets = {"rhetoric_profile": 10.0, "word_sketch": 10.0}
    for name, fn in cases.items():
        t, _ = timed(fn, 1 if name in targets or "documents" in name else repeat)
        key = name.split(" ")[0]
        tb = timed(base[key], 1)[0] if key in base else float("nan")
        rows.append({"words": len(tokens), "analysis": name, "seconds": t, "baseline": tb,
                     "target": targets.get(name, 2.0), "note": "baseline: plain pandas" if key in base else ""})
    for r in rows[-len(cases) - len(kwic_cases):]:
        ratio = r["baseline"] / r["seconds"] if r["baseline"] == r["baseline"] else float("nan")
        ok = "ok" if r["seconds"] <= r["target"] else "OVER"
        print(f"  {r['analysis']:22} {r['seconds'] * 1e3:9.0f} ms  baseline {r['baseline'] * 1e3:9.0f} ms  "
              f"{ratio:7.1f}x  target {r['target']:.1f} s {ok:4}  {r['note']}")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e6, 1e7])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    corpus, seed_tokens = load_seed()
    rows = []
    for size in args.sizes:
        rows += run(size, seed_tokens, corpus, args.repeat)
    table = pd.DataFrame(rows)
    if len(args.sizes) > 1:
        small, large = table[table.words == table.words.min()], table[table.words == table.words.max()]
        growth = large.set_index("analysis")["seconds"] / small.set_index("analysis")["seconds"]
        factor = table.words.max() / table.words.min()
        print(f"\n== growth from {table.words.min():,} to {table.words.max():,} words (x{factor:.1f} the words)")
        for name, g in growth.items():
            print(f"  {name:22} x{g:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
