"""``tifa topics``: sweep K × seeds, choose K by the stated rule, print the chosen model's topics.

Mirrors :mod:`analysis.topics`: ``topic_units`` → ``sweep`` → ``choose_k`` / ``best_seed`` →
``top_terms`` + ``topic_labels`` (``--show topics``), the sweep table (``--show sweep``) or
``topic_prevalence`` by voice (``--show prevalence``).
"""

from __future__ import annotations

import argparse
import sys

from . import _common
from ._common import add_format_option, print_table


def _int_range(text: str) -> list[int]:
    """``3-15`` → 3..15; ``3,5,8`` → [3, 5, 8]; ``8`` → [8]."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                lo, hi = part.split("-", 1)
                out.extend(range(int(lo), int(hi) + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 3-15 or 1,2,3, not {text!r}") from None
    if not out:
        raise argparse.ArgumentTypeError(f"no numbers in {text!r}")
    return out


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "topics", help="topic models (LDA): choose K by coherence and stability, print topics",
        description="Fit LDA topic models (gensim) for each K and seed, choose K by the rule of "
                    "analysis.topics.choose_k (highest mean C_NPMI among Ks whose stability across "
                    "seeds is ≥ 0.5; ties → smaller K) and print the chosen model's topics.")
    _common.add_tokens_options(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--k", type=int, help="fit this number of topics only (no K sweep)")
    which.add_argument("--ks", type=_int_range, default=list(range(3, 16)),
                       help="Ks to sweep, e.g. 3-15 (default) or 4,6,8")
    p.add_argument("--seeds", type=_int_range, default=[1, 2, 3], help="seeds, e.g. 1,2,3 (default)")
    p.add_argument("--unit", choices=("paragraph", "document", "window"), default="paragraph",
                   help="what one topic-model document is (default: paragraph)")
    p.add_argument("--window", type=int, default=5, help="sentences per unit with --unit window (default 5)")
    _common.add_option(p, "--lang", default="en", help="language of the units (default: en; 'all' for every language)")
    _common.add_option(p, "--voice", action="append", help="keep only this voice (repeatable)")
    p.add_argument("--phrases", action="store_true", help="join frequent collocations (public_opinion)")
    p.add_argument("--passes", type=int, default=10, help="LDA passes over the units (default 10)")
    p.add_argument("--iterations", type=int, default=50, help="LDA inference iterations (default 50)")
    p.add_argument("--jobs", type=int, default=1,
                   help="worker processes for the sweep (results are identical to --jobs 1; default 1)")
    p.add_argument("--no-below", type=int, default=2, help="drop terms in fewer units than this (default 2)")
    p.add_argument("--no-above", type=float, default=0.5,
                   help="drop terms in more than this fraction of units (default 0.5)")
    p.add_argument("--topn", type=int, default=10, help="top terms per topic (default 10)")
    p.add_argument("--labels", help="topic labels YAML file (default: the package's data/topic_labels.yaml)")
    p.add_argument("--show", choices=("topics", "sweep", "prevalence"), default="topics",
                   help="what to print: the chosen model's topics (default), the sweep table, "
                        "or topic prevalence by voice")
    add_format_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import topics as tp

    tokens = _common.load_tokens_from_args(args)
    lang = None if getattr(args, "lang", None) in (None, "all") else args.lang
    units = tp.topic_units(tokens, args.unit, window=args.window, lang=lang, voice=getattr(args, "voice", None),
                           phrases=args.phrases)
    params = dict(passes=args.passes, iterations=args.iterations, no_below=args.no_below, no_above=args.no_above)
    ks = [args.k] if args.k is not None else args.ks
    table, models = tp.sweep(units, ks=ks, seeds=args.seeds, topn=args.topn, return_models=True,
                             progress=sys.stderr.isatty(), n_jobs=args.jobs, **params)
    selection = tp.k_selection(table)
    k = tp.choose_k(table)
    seed = tp.best_seed(table, k)
    model = models[(k, seed)]
    why = ("no K reached stability 0.5, so: highest mean c_npmi over all Ks" if selection["fallback"].any()
           else "highest mean c_npmi among Ks with stability ≥ 0.5")
    print(f"tifa topics: {len(units)} {args.unit} units, {len(model.dictionary_)} terms; "
          f"chosen K = {k} (seed {seed}): {why}", file=sys.stderr)
    if args.show == "sweep":
        print_table(table, args.format)
        return 0
    labels = tp.topic_labels(model, tp.load_topic_labels(args.labels), unit=args.unit, lang=lang)
    if args.show == "prevalence":
        prev = tp.topic_prevalence(tp.doc_topics(model, units), by="voice")
        prev = prev.merge(labels[["topic", "label"]], on="topic", how="left")
        print_table(prev, args.format)
        return 0
    terms = tp.top_terms(model, args.topn)
    joined = terms.groupby("topic", sort=True)["term"].apply(lambda s: ", ".join(s)).rename("top_terms").reset_index()
    overall = tp.doc_topics(model, units).assign(all="all")
    prev = tp.topic_prevalence(overall, by="all")[["topic", "prevalence"]]
    out = labels[["topic", "label"]].merge(prev, on="topic").merge(joined, on="topic")
    out["prevalence"] = out["prevalence"].round(4)
    print_table(out, args.format)
    return 0
