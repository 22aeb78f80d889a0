"""`tifa parallel`, `tifa translations`, `tifa alignment-check`: the bilingual analysis in the shell.

Each command mirrors one function of :mod:`analysis.bilingual`, with the same option names:

* ``tifa parallel QUERY [--lang zh] [--window N] [--top N] [--measure dice|g2] [--within sentence|paragraph]``
  → :func:`~analysis.bilingual.parallel_kwic`
* ``tifa translations TERM... [--top 5] [--measure] [--within] [--source]`` →
  :func:`~analysis.bilingual.term_translations` (``--precision``:
  :func:`~analysis.bilingual.translation_precision` against the hand-checked list)
* ``tifa alignment-check [--threshold 2.5] [--c C] [--s2 S2]`` → :func:`~analysis.bilingual.alignment_scores`
* ``tifa pair-features [--tolerance 0.1] [--conf 0.95] [--n-boot 2000] [--seed 0]`` →
  :func:`~analysis.bilingual.compare_pair_features` on the theme and rhetoric counts of every
  aligned paragraph (:func:`~analysis.themes.theme_rates`, :func:`~analysis.rhetoric.rhetoric_profile`
  with ``by=["doc_id", "par"]``), one table with a ``kind`` column
"""

from __future__ import annotations

import argparse

from . import _common
from ._common import add_format_option, print_table

_MEASURES = ("dice", "g2")
_WITHIN = ("sentence", "paragraph")


def _add_corpus_option(p: argparse.ArgumentParser, *, tokens: bool = True) -> None:
    """--corpus, plus the shared options choosing the Tokens table when the command needs Tokens."""
    if tokens:
        _common.add_tokens_options(p)
    _common.add_option(p, "--corpus", help="corpus directory or documents.jsonl (default: the seed corpus)")


def _load_corpus(args: argparse.Namespace):
    return _common.corpus_from_args(args)


def _load_tokens(args: argparse.Namespace, corpus):
    """Tokens of both languages of ``corpus`` (the parallel analysis needs both sides)."""
    return _common.load_tokens_from_args(args)


def _parallel(args: argparse.Namespace) -> int:
    from ..bilingual import parallel_kwic

    corpus = _load_corpus(args)
    tokens = _load_tokens(args, corpus)
    table = parallel_kwic(tokens, corpus, args.query, lang=args.lang, window=args.window, top=args.top,
                          measure=args.measure, within=args.within, prefer_glossary=not args.no_glossary)
    if args.format == "text" and not args.full:
        table = table.drop(columns=["equivalent_dice", "equivalent_in_glossary"])
    print_table(table, args.format)
    return 0


def _translations(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..bilingual import (load_translation_gold, term_translations, translation_candidates,
                             translation_precision)

    corpus = _load_corpus(args)
    tokens = _load_tokens(args, corpus)
    glossary = args.glossary or "default"
    if args.precision:
        gold = load_translation_gold(args.gold)
        table = term_translations(tokens, corpus, list(gold), top=max(args.top, 3), measure=args.measure,
                                  glossary=glossary, within=args.within)
        print_table(translation_precision(table, gold, ks=(1, 3)), args.format)
        return 0
    if args.source is not None:
        frames = [translation_candidates(tokens, corpus, t, source=args.source, top=args.top, measure=args.measure,
                                         glossary=glossary, within=args.within) for t in args.terms]
        table = pd.concat(frames, ignore_index=True)
    else:
        terms = args.terms or None
        if terms == ["all"]:
            terms = "all"
        table = term_translations(tokens, corpus, terms, top=args.top, measure=args.measure, glossary=glossary,
                                  within=args.within)
    print_table(table, args.format)
    return 0


def _alignment(args: argparse.Namespace) -> int:
    from ..bilingual import alignment_scores

    table = alignment_scores(_load_corpus(args), c=args.c, s2=args.s2, threshold=args.threshold)
    if args.flagged:
        table = table[table["flagged"]]
    if args.format == "text":
        table = table.drop(columns=["en_text", "zh_text"])
    print_table(table, args.format)
    return 0


def _pair_features(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..bilingual import aligned_tokens, compare_pair_features
    from ..rhetoric import rhetoric_profile
    from ..themes import theme_rates

    corpus = _load_corpus(args)
    aligned = aligned_tokens(_load_tokens(args, corpus), corpus)
    options = dict(tolerance=args.tolerance, conf=args.conf, n_boot=args.n_boot, seed=args.seed)
    tables = [compare_pair_features(rhetoric_profile(aligned, by=["doc_id", "par"]), corpus, **options)
              .assign(kind="rhetoric"),
              compare_pair_features(theme_rates(aligned, by=["doc_id", "par"]), corpus, **options).assign(kind="theme")]
    table = pd.concat(tables, ignore_index=True)
    if args.pooled:
        table = table[table["resampled"] == "document pairs"]
    if args.format == "text" and not args.full:
        table = table.drop(columns=["resampled", "zh_words", "en_words", "log2_ratio"])
    print_table(table, args.format)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parallel", help="parallel concordance: hits with the aligned paragraph of the other language",
                       description="Each hit of QUERY (Tifa query language, e.g. 网络安全, lemma:security) in the "
                                   "aligned paragraphs, with its aligned paragraph in the other language and the "
                                   "likely equivalent marked [[like this]].")
    p.add_argument("query", help="the query, e.g. 网络安全 or 'public opinion'")
    p.add_argument("--lang", default="zh", help="language of the query: one of the aligned pair's (default: zh)")
    p.add_argument("--window", type=_common.window_value, default=8,
                   help="context words on each side, N or LEFT,RIGHT (default 8)")
    _common.add_top_option(p, default=20, what="top translation candidates tried as the equivalent")
    p.add_argument("--measure", choices=_MEASURES, default="dice", help="ranking of candidates (default dice)")
    p.add_argument("--within", choices=_WITHIN, default="sentence",
                   help="co-occurrence units for ranking equivalents, and the bound of matches and context: "
                        "sentence beads (default) or paragraphs")
    p.add_argument("--no-glossary", action="store_true",
                   help="rank equivalents by statistics only (default: glossary renderings first)")
    p.add_argument("--full", action="store_true", help="text format: also show the equivalent's score columns")
    _add_corpus_option(p)
    add_format_option(p)
    p.set_defaults(func=_parallel)

    t = sub.add_parser("translations", help="term-translation table: translation candidates of terms of the originals",
                       description="Candidates in the translations of TERMs of the originals (queries, e.g. 网络安全, "
                                   "治理*), from the aligned units, scored by Dice and log-likelihood G², with the seed "
                                   "glossary's renderings marked. No TERM: the glossary's terms; 'all': every content "
                                   "word of the originals in >= 2 aligned units.")
    t.add_argument("terms", nargs="*", metavar="TERM", help="term(s), e.g. 网络安全 话语权")
    _common.add_top_option(t, default=5, what="candidates per term")
    t.add_argument("--measure", choices=_MEASURES, default="dice", help="ranking of candidates (default dice)")
    t.add_argument("--source", help="language of the TERMs, one of the aligned pair's (e.g. en: candidates in the "
                                    "originals of terms of the translations; default: the glossary table of terms "
                                    "of the originals)")
    t.add_argument("--within", choices=_WITHIN, default="sentence",
                   help="co-occurrence units: Gale–Church sentence beads (default) or paragraph pairs")
    t.add_argument("--glossary", help="glossary YAML file (default: the package's data/glossary.yaml)")
    t.add_argument("--precision", action="store_true",
                   help="print precision@1 and @3 against the hand-checked list instead of the table")
    t.add_argument("--gold", help="hand-checked list TSV (default: the package's data/translation_gold.tsv)")
    _add_corpus_option(t)
    add_format_option(t)
    t.set_defaults(func=_translations)

    a = sub.add_parser("alignment-check", help="Gale–Church length check of every aligned paragraph pair",
                       description="Gale & Church (1993) length-based score of every aligned paragraph pair; "
                                   "pairs with |delta| above the threshold are flagged as likely misaligned.")
    a.add_argument("--threshold", type=_common.positive_float, default=2.5,
                   help="flag pairs with |delta| above this (default 2.5)")
    a.add_argument("--c", type=_common.positive_float, default=None,
                   help="translation characters per original character (default: estimated)")
    a.add_argument("--s2", type=_common.positive_float, default=None,
                   help="variance per original character (default: estimated)")
    a.add_argument("--flagged", action="store_true", help="show only flagged pairs")
    _add_corpus_option(a, tokens=False)
    add_format_option(a)
    a.set_defaults(func=_alignment)

    f = sub.add_parser("pair-features", help="theme and rhetoric hits of translations against their originals",
                       description="For every translation pair and pooled over all pairs: hits of each theme and "
                                   "rhetorical feature in the translation and in the original over the same aligned "
                                   "paragraphs, their ratio (translation / original) with an exact Poisson interval "
                                   "and a bootstrap interval resampling aligned paragraphs (a pair) or document "
                                   "pairs (all pairs), and the direction both intervals support.")
    f.add_argument("--tolerance", type=_common.nonnegative_float, default=0.1,
                   help="'similar' when both intervals lie within [1/(1+T), 1+T] (default 0.1)")
    f.add_argument("--conf", type=_common.probability, default=0.95, help="confidence level (default 0.95)")
    f.add_argument("--n-boot", type=_common.positive_int, default=2000, help="bootstrap resamples (default 2000)")
    f.add_argument("--seed", type=_common.nonnegative_int, default=0, help="seed of the bootstrap (default 0)")
    f.add_argument("--pooled", action="store_true", help="only the rows pooling all pairs")
    f.add_argument("--full", action="store_true", help="text format: also show resampled, words and log2 columns")
    _add_corpus_option(f)
    add_format_option(f)
    f.set_defaults(func=_pair_features)
