"""Report: the seed corpus's numbers under token-level and document-level inference (run on demand; prints).

Sections (each a function, so that more can be added):

* ``keyness`` — the top keywords of the official voice against the blogger's framing (English),
  with G², its p-value, the Holm-adjusted p-value, the document bootstrap p (Lijffijt et al.
  2016), Welch's p on per-document rates, the largest one-document share and Gries's DP over the
  official documents; and the time the document-level columns cost.
* ``document shares`` — for the keywords the issue names (*study*, *ideological*), how their
  official uses are spread over the official documents: the largest contributor and its share.
* ``theme rates`` — the official and framing theme rates (English) with the interval over words
  (Garwood) and over documents (cluster bootstrap); the official ideology rate among them.
* ``rhetoric`` — each rhetoric feature, official vs framing: G² (or Mann-Whitney) p, Holm-adjusted
  p, Fisher's exact p where an expected count is below 5, and the document bootstrap p.
* ``topics`` — the coherence-chosen K of the paper's sweep, with its uncertainty (``--topics``:
  it fits the sweep, about a minute).

    python benchmarks/inference_report.py [--top 20] [--seed 0] [--n-boot 2000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import analysis
from analysis import is_word, keyness, select

#: The keywords whose document shares the report lists.
NAMED_KEYWORDS = ("study", "ideological")


def english(tokens: pd.DataFrame) -> pd.DataFrame:
    return select(tokens, lang="en").reset_index(drop=True)


def keyness_section(en: pd.DataFrame, *, top: int, seed: int, n_boot: int) -> pd.DataFrame:
    """Keyness official vs framing with Holm correction and the document-level columns; prints the top rows."""
    t0 = time.perf_counter()
    plain = keyness(en, {"voice": "official"}, {"voice": "framing"}, correction="holm", documents=False)
    t1 = time.perf_counter()
    table = keyness(en, {"voice": "official"}, {"voice": "framing"}, correction="holm", seed=seed, n_boot=n_boot)
    t2 = time.perf_counter()
    a = table.attrs
    print(f"== keyness: official ({a['n_target']:,} words, {a['n_target_docs']} documents) vs framing "
          f"({a['n_reference']:,} words, {a['n_reference_docs']} documents), English lemmas; "
          f"{a['n_tests']:,} lemmas tested, Holm-adjusted; p_doc: {a['n_boot']} resamples, seed {a['seed']}")
    print(f"   time: {t1 - t0:.3f} s token level only, {t2 - t0 - (t1 - t0):.3f} s with the document-level columns")
    cols = ["term", "freq_target", "freq_reference", "g2_4cell", "p_g2_4cell", "p_adjusted", "p_doc", "p_welch",
            "doc_share", "dp_target", "log_ratio"]
    shown = table.head(top)[cols]
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(shown.to_string(index=False))
    survive = shown[(shown.p_adjusted < 0.05) & (shown.p_doc < 0.05) & (shown.doc_share <= 0.5)]
    print(f"   of these {len(shown)}: {int((shown.p_adjusted < 0.05).sum())} Holm-significant; "
          f"{len(survive)} also p_doc < 0.05 with no document > 50 %: {', '.join(survive.term)}")
    assert len(plain) == len(table)
    return table


def document_shares(en: pd.DataFrame, table: pd.DataFrame, terms=NAMED_KEYWORDS) -> pd.DataFrame:
    """Each named keyword's official uses per official document: the largest contributor and its share."""
    official = select(en, voice="official")
    words = official[is_word(official)]
    lemmas = words["lemma"].astype(str).str.lower().to_numpy()
    docs = words["doc_id"].astype(str).to_numpy()
    rows = []
    for term in terms:
        per_doc = pd.Series(docs[lemmas == term]).value_counts()
        row = table.set_index("term").loc[term] if term in set(table.term) else None
        rows.append({"term": term, "freq_official": int(per_doc.sum()), "documents": int(len(per_doc)),
                     "top_document": per_doc.index[0] if len(per_doc) else "",
                     "top_count": int(per_doc.iloc[0]) if len(per_doc) else 0,
                     "doc_share": float(row["doc_share"]) if row is not None else np.nan,
                     "p_adjusted": float(row["p_adjusted"]) if row is not None else np.nan,
                     "p_doc": float(row["p_doc"]) if row is not None else np.nan,
                     "p_welch": float(row["p_welch"]) if row is not None else np.nan})
    out = pd.DataFrame(rows)
    print("== document shares of the keywords the issue names (official voice, English lemmas)")
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(out.to_string(index=False))
    return out


def theme_section(en: pd.DataFrame, *, seed: int, n_boot: int) -> pd.DataFrame:
    """Theme rates by voice with both intervals; prints them and the official ideology row."""
    rates = analysis.theme_rates(en, by="voice", voice=["official", "framing"], seed=seed, n_boot=n_boot)
    cols = ["voice", "theme", "count", "words", "per_1000", "ci_low", "ci_high", "doc_ci_low", "doc_ci_high", "n_docs"]
    print(f"== theme rates per 1,000 words, English, by voice: interval over words (exact Poisson) and over "
          f"documents (cluster bootstrap, {n_boot} resamples, seed {seed})")
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(rates[cols].to_string(index=False))
    row = rates[(rates.voice == "official") & (rates.theme == "ideology")].iloc[0]
    print(f"   official ideology: {row.per_1000:.2f} per 1,000 words; over words [{row.ci_low:.2f}, {row.ci_high:.2f}]; "
          f"over documents [{row.doc_ci_low:.2f}, {row.doc_ci_high:.2f}] ({row.n_docs} documents)")
    return rates


def rhetoric_section(en: pd.DataFrame, *, seed: int, n_boot: int) -> pd.DataFrame:
    """Rhetoric features official vs framing: token-level, Holm-adjusted, Fisher and document-level p."""
    table = analysis.compare_rhetoric(en, by="voice", groups=("official", "framing"), seed=seed, n_boot=n_boot)
    cols = ["feature", "test", "p_value", "p_adjusted", "min_expected", "p_fisher", "p_doc", "p_doc_adjusted", "log_ratio"]
    print("== rhetoric, official vs framing (English): p_adjusted = Holm over the features; p_fisher where an "
          "expected count is below 5; p_doc = document bootstrap (Lijffijt et al. 2016)")
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(table[cols].to_string(index=False))
    return table


def topic_section(en: pd.DataFrame) -> None:
    """The paper's sweep (notebook 06's settings) and the K its rule chooses, per seed and overall."""
    from analysis.topics import choose_k, k_selection

    units = analysis.topic_units(en, segment="paragraph")
    table = analysis.sweep(units, ks=range(3, 16), seeds=(1, 2, 3, 4, 5))
    print("== topic sweep, English paragraphs, K 3..15 x seeds 1-5, coherence from the package's own "
          "sliding-window counts")
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(k_selection(table).to_string(index=False))
    print(f"   chosen K = {choose_k(table)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--topics", action="store_true", help="also fit the topic sweep (about a minute)")
    args = parser.parse_args()
    tokens = analysis.load_tokens(analysis.load_corpus())
    en = english(tokens)
    table = keyness_section(en, top=args.top, seed=args.seed, n_boot=args.n_boot)
    print()
    document_shares(en, table)
    print()
    theme_section(en, seed=args.seed, n_boot=args.n_boot)
    print()
    rhetoric_section(en, seed=args.seed, n_boot=args.n_boot)
    if args.topics:
        print()
        topic_section(en)


if __name__ == "__main__":
    main()
