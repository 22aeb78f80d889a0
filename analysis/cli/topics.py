"""``tifa topics``: sweep K × seeds, choose K by the stated rule, print the chosen model's topics.

Mirrors :mod:`analysis.topics`: ``topic_units`` → ``sweep`` → ``choose_k`` / ``best_seed`` →
``top_terms`` + ``topic_labels`` (``--show topics``), the sweep table (``--show sweep``) or
``topic_prevalence`` by ``--by`` (``--show prevalence``). ``--where`` chooses the words
(``--where lang=en``, ``--where voice=official,framing``).
"""

from __future__ import annotations

import argparse
import sys
import warnings

from . import _common
from ._common import add_format_option, print_table


def _whole_numbers(text: str, minimum: int) -> list[int]:
    """``3-15`` → 3..15; ``3,5,8`` → [3, 5, 8]; ``8`` → [8]; every number >= ``minimum``."""
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
        raise argparse.ArgumentTypeError(f"expected whole numbers like 3-15 or 1,2,3, not {text!r}") from None
    if not out or min(out) < minimum:
        raise argparse.ArgumentTypeError(f"expected whole numbers >= {minimum} like 3-15 or 1,2,3, not {text!r}")
    return out


def topic_counts(text: str) -> list[int]:
    """argparse type of ``--ks``: numbers of topics (>= 2), ``3-15`` or ``4,6,8``."""
    return _whole_numbers(text, 2)


def seed_list(text: str) -> list[int]:
    """argparse type of ``--seeds``: seeds (>= 0), ``1,2,3`` or ``1-5``."""
    return _whole_numbers(text, 0)


def register(subparsers) -> None:
    from ..topics import ACCUMULATORS, COHERENCE_MEASURES, SEGMENTS

    p = subparsers.add_parser(
        "topics", help="topic models (LDA): choose K by coherence and stability, print topics",
        description="Fit LDA topic models (gensim) for each K and seed, choose K by the rule of "
                    "analysis.choose_k (among Ks whose stability across seeds is >= 0.5, or all Ks "
                    "when none is: the smallest K whose mean --measure is within one standard error "
                    "across seeds of the highest mean) and print the chosen model's topics.")
    _common.add_tokens_options(p)
    _common.add_where_option(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--k", type=_common.positive_int, help="fit this number of topics only (no K sweep)")
    which.add_argument("--ks", type=topic_counts, default=list(range(3, 16)),
                       help="Ks to sweep, e.g. 3-15 (default) or 4,6,8")
    p.add_argument("--seeds", type=seed_list, default=[1, 2, 3, 4, 5], help="seeds, e.g. 1-5 (default) or 1,2,3")
    p.add_argument("--segment", choices=SEGMENTS, default="paragraph",
                   help="what one topic-model unit is (default: paragraph)")
    p.add_argument("--sentences", type=_common.positive_int, default=5,
                   help="sentences per unit with --segment window (default 5)")
    p.add_argument("--phrases", action="store_true", help="join frequent collocations (public_opinion)")
    p.add_argument("--passes", type=_common.positive_int, default=10, help="LDA passes over the units (default 10)")
    p.add_argument("--iterations", type=_common.positive_int, default=50,
                   help="LDA inference iterations (default 50)")
    p.add_argument("--workers", type=_common.positive_int, default=1,
                   help="worker processes for the sweep (results are identical to --workers 1; default 1)")
    p.add_argument("--no-below", type=_common.nonnegative_int, default=2,
                   help="drop terms in fewer units than this (default 2)")
    p.add_argument("--no-above", type=_common.positive_float, default=0.5,
                   help="drop terms in more than this fraction of units, at most 1 (default 0.5)")
    p.add_argument("--measure", choices=COHERENCE_MEASURES, default="c_npmi",
                   help="coherence measure that chooses K (default c_npmi)")
    p.add_argument("--accumulator", choices=ACCUMULATORS, default="windows",
                   help="co-occurrence counts of coherence: boolean sliding windows (default, Röder et al. "
                        "2015) or gensim's accumulator (undercounts repeated words; for comparison)")
    _common.add_top_option(p, default=10, what="terms per topic")
    p.add_argument("--by", type=_common.comma_list, default=["voice"],
                   help="with --show prevalence: group by these columns, COL[,COL] (default voice)")
    p.add_argument("--labels", help="topic labels YAML file (default: the package's data/topic_labels.yaml)")
    p.add_argument("--show", choices=("topics", "sweep", "prevalence"), default="topics",
                   help="what to print: the chosen model's topics (default), the sweep table, "
                        "or topic prevalence by --by")
    add_format_option(p)
    p.set_defaults(func=run)


def _labels(tp, model, args, lang):
    """``topic_labels`` of the chosen model; says on stderr when the labels are top terms, and why."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels = tp.topic_labels(model, tp.load_topic_labels(args.labels), segment=args.segment, lang=lang)
    for w in caught:
        print(f"tifa topics: {w.message}", file=sys.stderr)
    if labels.attrs["fallback"]:
        print(f"tifa topics: topics labelled by their top terms; to name them, add an entry with k: {model.k}, "
              f"seed: {model.seed}, fingerprint: {labels.attrs['fingerprint']} to a labels file (--labels)",
              file=sys.stderr)
    return labels


def run(args) -> int:
    from .. import topics as tp

    tokens = _common.load_tokens_from_args(args)
    units = tp.topic_units(tokens, args.segment, sentences=args.sentences, phrases=args.phrases,
                           **_common.filters_from_args(args))
    params = dict(passes=args.passes, iterations=args.iterations, no_below=args.no_below, no_above=args.no_above)
    ks = [args.k] if args.k is not None else args.ks
    table, models = tp.sweep(units, ks=ks, seeds=args.seeds, top=args.top, accumulator=args.accumulator,
                             return_models=True, progress=sys.stderr.isatty(), workers=args.workers, **params)
    selection = tp.k_selection(table, measure=args.measure)
    k = tp.choose_k(table, measure=args.measure)
    seed = tp.best_seed(table, k, measure=args.measure)
    model = models[(k, seed)]
    pool = "all Ks (none reached stability 0.5)" if selection["fallback"].any() else "Ks with stability ≥ 0.5"
    why = f"smallest K within one SE of the highest mean {args.measure}, among {pool}"
    choices = ", ".join(f"{s}→{c}" for s, c in selection.attrs["seed_choices"].items())
    print(f"tifa topics: {len(units)} {args.segment} units, {len(model.dictionary_)} terms; "
          f"chosen K = {k} (seed {seed}): {why}; each seed alone would pick (seed→K): {choices}", file=sys.stderr)
    if args.show == "sweep":
        print_table(table, args.format)
        return 0
    langs = units["lang"].unique() if "lang" in units.columns else []
    lang = str(langs[0]) if len(langs) == 1 else None
    labels = _labels(tp, model, args, lang)
    shares = tp.doc_topics(model, units)
    if args.show == "prevalence":
        prev = tp.topic_prevalence(shares, by=args.by)
        print_table(prev.merge(labels[["topic", "label"]], on="topic", how="left"), args.format)
        return 0
    terms = tp.top_terms(model, args.top)
    joined = terms.groupby("topic", sort=True)["term"].apply(lambda s: ", ".join(s)).rename("top_terms").reset_index()
    prev = tp.topic_prevalence(shares, by=None)[["topic", "prevalence"]]
    out = labels[["topic", "label"]].merge(prev, on="topic").merge(joined, on="topic")
    out["prevalence"] = out["prevalence"].round(4)
    print_table(out, args.format)
    return 0
