"""What a new parse changes in the paper: word sketches, rhetoric counts, and a sample of hits to check by hand.

    git archive 395aaae corpus/annotations/compact-e0f773dd | tar -x -C /tmp    # the compact parse
    python benchmarks/parse_comparison.py /tmp/corpus/annotations/compact-e0f773dd \\
        corpus/annotations/tifa-cpu-47ae092d --out /tmp/parse_comparison --min-freq 2

Prints, for the seed corpus parsed by two model sets (two annotation folders): the word sketches of
*security* and 安全 (every relation, collocates seen at least ``--min-freq`` times), and the count
of every rhetoric feature by language. Writes ``<out>/sample-<model set>.csv``: for every
dependency-based count feature, ``--n`` hits drawn at random (``--seed``) with the sentence and
the evidence, and an empty ``correct`` column to fill in by hand (precision = correct / checked).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

DEPENDENCY_FEATURES = ("obligation", "directive_verbs", "first_person_plural", "agentless_passive", "parallel_series")


def sketch_text(tokens, lemma: str, min_freq: int) -> str:
    import analysis

    sketch = analysis.word_sketch(tokens, lemma, min_freq=min_freq, top=None)
    lines = []
    for rel, grp in pd.DataFrame(sketch).groupby("relation", sort=False):
        items = ", ".join(f"{c} {f}" for c, f in zip(grp["collocate"], grp["freq"]))
        lines.append(f"    {rel:14} {items}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("annotations", nargs=2, help="two annotation folders of the seed (before, after)")
    ap.add_argument("--out", default="parse_comparison", help="folder for the hand-check samples")
    ap.add_argument("--n", type=int, default=20, help="hits per feature to sample")
    ap.add_argument("--seed", type=int, default=2014)
    ap.add_argument("--min-freq", type=int, default=1, help="word sketch minimum frequency")
    args = ap.parse_args(argv)

    import analysis
    from analysis.rhetoric import feature_hits

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for folder in args.annotations:
        tokens = analysis.load_tokens(annotations_dir=folder)
        name = Path(folder).name
        print(f"\n=== {name}: {len(tokens):,} rows")
        for lemma in ("security", "安全"):
            print(f"  word sketch of {lemma} (min_freq {args.min_freq}):")
            print(sketch_text(tokens, lemma, args.min_freq))
        rows = []
        for feature in analysis.rhetoric.FEATURES:
            hits = feature_hits(tokens, feature)
            if feature in ("sentence_length", "clause_depth"):
                continue
            by_lang = hits.groupby("lang", observed=True).size().to_dict() if len(hits) else {}
            counts[(name, feature)] = by_lang
            if feature in DEPENDENCY_FEATURES and len(hits):
                rng = np.random.default_rng(args.seed)
                take = hits.iloc[np.sort(rng.choice(len(hits), size=min(args.n, len(hits)), replace=False))]
                for _, h in take.iterrows():
                    rows.append({"feature": feature, "lang": h["lang"], "doc_id": h["doc_id"], "sent": h["sent"],
                                 "match": h["match"], "evidence": h["evidence"],
                                 "sentence": f"{h['left']} [[{h['match']}]] {h['right']}".strip(), "correct": ""})
        pd.DataFrame(rows).to_csv(out / f"sample-{name}.csv", index=False)
    table = pd.DataFrame(counts).T.fillna(0).astype(int)
    print("\n=== rhetoric feature counts (hits by language)")
    print(table.unstack(0).to_string())
    print(f"\nhand-check samples: {out}/sample-*.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
