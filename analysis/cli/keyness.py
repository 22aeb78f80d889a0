"""``tifa keyness``, ``tifa collocates``, ``tifa sketch``: keywords, collocates, word sketches.

Each mirrors one function: :func:`analysis.keyness`, :func:`analysis.collocates` and
:func:`analysis.word_sketch` (with :func:`analysis.sketch_hits` for
``tifa sketch LEMMA --hits RELATION COLLOCATE``).

    tifa keyness --target voice=official                    # the rest of the corpus in the target's language
    tifa keyness --target voice=official --reference voice=framing --alpha 0.05   # Holm-adjusted p < 0.05
    tifa keyness --target voice=official --reference voice=framing --correction bh --seed 1
    tifa keyness --where lang=en --target outlet=Xinhua     # one outlet against the rest, English only
    tifa keyness --where lang=zh --target doc_id=ideology-work-qiushi-zh --terms 网络安全 意识形态 安全
    tifa collocates security --window 5 --upos NOUN,ADJ,VERB --top 20
    tifa collocates 'secur*' --window 0,3 --within sentence
    tifa sketch security
    tifa sketch 安全 --format csv
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from . import _common
from ._common import add_format_option, print_table

FIELDS = ("lemma", "form", "upos", "xpos", "deprel", "feats")
# The choices of --measure and --correction, spelled out so that building the parser imports no
# scipy; tests check they equal analysis.keywords.MEASURES/CORRECTIONS and analysis.collocation.MEASURES.
KEYNESS_MEASURES = ("g2_4cell", "g2_2term", "chi2", "chi2_yates")
CORRECTIONS = ("bonferroni", "sidak", "holm", "bh")
#: Resamples of the document bootstrap by default (analysis.inference.N_BOOT; a test checks they agree).
N_BOOT = 2000
COLLOCATION_MEASURES = ("observed", "mi", "mi3", "t_score", "log_dice", "g2", "chi2",
                        "delta_p_collocate_given_node", "delta_p_node_given_collocate")


def _common_options(p: argparse.ArgumentParser, *, field: bool = True, top: int | None = None) -> None:
    _common.add_tokens_options(p)
    if field:
        _common.add_option(p, "--field", choices=FIELDS, default="lemma",
                           help="the token column terms are read from (default: lemma)")
    _common.add_option(p, "--case-sensitive", action="store_true", help="do not lower-case terms")
    _common.add_where_option(p)
    _common.add_top_option(p, default=top)
    add_format_option(p)


def register(subparsers) -> None:
    # keyness
    p = subparsers.add_parser(
        "keyness", help="keywords of a target subcorpus against a reference (G2, chi2, log ratio, %%DIFF...)",
        description="Keyness of every term of a target subcorpus against a reference subcorpus "
                    "(default reference: the rest of the corpus in the target's language, after --where), "
                    "with document-level evidence beside G2: doc_share, dp_target, p_doc (document "
                    "bootstrap, Lijffijt et al. 2016) and p_welch. p-values are Holm-adjusted for the "
                    "number of terms (p_adjusted) unless --correction none. Mirrors analysis.keyness.")
    p.add_argument("--target", type=_common.column_value, action="append", required=True, metavar="COLUMN=VALUE",
                   help="target filter, e.g. voice=official (a,b = any of; lo..hi = range; repeatable: AND)")
    p.add_argument("--reference", type=_common.column_value, action="append", default=None, metavar="COLUMN=VALUE",
                   help="reference filter, as --target (default: every word not in the target, in the target's "
                        "language)")
    p.add_argument("--terms", nargs="+", default=None, metavar="QUERY",
                   help="test these queries instead of the vocabulary, e.g. 网络安全 lemma:secur* 'public opinion'")
    p.add_argument("--min-freq", type=_common.positive_int, default=1, help="minimum target + reference frequency")
    p.add_argument("--alpha", type=_common.probability, default=None,
                   help="keep terms whose p-value (adjusted by --correction) is below this significance level")
    p.add_argument("--correction", choices=("none", *CORRECTIONS), default="holm",
                   help="adjust p-values for the number of terms tested (column p_adjusted): holm (default), "
                        "bh (false discovery rate), bonferroni, sidak, or none")
    p.add_argument("--min-effect", type=_common.nonnegative_float, default=None,
                   help="keep terms with |log ratio| at least this")
    p.add_argument("--measure", choices=KEYNESS_MEASURES, default="g2_4cell",
                   help="statistic for ordering and --alpha (default: 4-cell log-likelihood)")
    p.add_argument("--direction", choices=("positive", "negative", "both"), default="both",
                   help="positive keywords, negative keywords, or both (default)")
    p.add_argument("--seed", type=_common.nonnegative_int, default=0, help="seed of the document bootstrap (default 0)")
    p.add_argument("--n-boot", type=_common.positive_int, default=N_BOOT,
                   help=f"resamples of the document bootstrap (default {N_BOOT}; at least 100)")
    p.add_argument("--no-documents", dest="documents", action="store_false",
                   help="skip the document-level columns (faster on very large tables)")
    _common_options(p)
    p.set_defaults(func=_run_keyness)

    # collocates
    p = subparsers.add_parser(
        "collocates", help="window collocates of a word (MI, MI3, t, logDice, G2, deltaP)",
        description="Window collocates of NODE with association measures. NODE is a one-word query: a bare "
                    "word is read from --field (lemma by default); secur*, lemma:development, form:Security "
                    "follow the query language. Mirrors analysis.collocates.")
    p.add_argument("node", help="the node: a word (read from --field) or a one-word query such as 'secur*'")
    p.add_argument("--window", type=_common.window_value, default=5, metavar="N|L,R",
                   help="words either side of the node: N, or L,R (default: 5)")
    p.add_argument("--min-freq", type=_common.positive_int, default=2,
                   help="minimum co-occurrence frequency (default: 2)")
    p.add_argument("--stopwords", type=_common.comma_list, default=None, metavar="W1,W2",
                   help="words never counted as collocates")
    p.add_argument("--upos", type=_common.comma_list, default=None, metavar="TAG,TAG",
                   help="count only collocates with these UPOS")
    p.add_argument("--within", choices=("sentence", "paragraph", "document"), default="paragraph",
                   help="windows never cross this unit (default: paragraph)")
    p.add_argument("--measure", default="log_dice", choices=COLLOCATION_MEASURES,
                   help="order by this measure (default: log_dice)")
    _common_options(p)
    p.set_defaults(func=_run_collocates)

    # sketch
    p = subparsers.add_parser(
        "sketch", help="word sketch of a lemma: collocates by grammatical relation (dependency parse)",
        description="Word sketch of LEMMA from the dependency parse. Text output shows one block per "
                    "relation (top N each); csv/json give the long table. --hits RELATION COLLOCATE "
                    "prints the KWIC lines behind one cell. Mirrors analysis.word_sketch.")
    p.add_argument("lemma", help="the lemma, e.g. security or 安全")
    p.add_argument("--min-freq", type=_common.positive_int, default=2,
                   help="minimum frequency of a collocation (default: 2, so a one-off parse error stays out; "
                        "1 shows every pair)")
    p.add_argument("--hits", nargs=2, default=None, metavar=("RELATION", "COLLOCATE"),
                   help='print the KWIC lines of one cell, e.g. --hits "modifier (amod)" national')
    _common_options(p, field=False, top=10)
    p.set_defaults(func=_run_sketch)


def _run_keyness(args) -> int:
    from ..keywords import keyness

    tokens = _common.restrict(_common.load_tokens_from_args(args), args)
    target = _common.filters_from_args(args, "target")
    reference = _common.filters_from_args(args, "reference") if args.reference else None
    correction = None if args.correction == "none" else args.correction
    table = keyness(tokens, target, reference, terms=args.terms, field=args.field,
                    case_sensitive=args.case_sensitive, min_freq=args.min_freq, alpha=args.alpha,
                    correction=correction, min_effect=args.min_effect, measure=args.measure,
                    documents=args.documents, seed=args.seed, n_boot=args.n_boot)
    attrs = table.attrs
    if args.direction != "both":
        table = table[table["direction"] == args.direction]
        if args.direction == "negative":
            table = table.iloc[::-1]
    if args.top is not None:
        table = table.head(args.top)
    if args.format == "text":
        level = ""
        if "alpha" in attrs:
            level = (f"; kept: {attrs['correction']}-adjusted p < {attrs['alpha']:g}" if attrs["correction"]
                     else f"; kept: p < {attrs['alpha']:g} (no correction)")
            if "alpha_per_test" in attrs:
                level += f" (p < {attrs['alpha_per_test']:.3g} per test, critical value {attrs['critical_value']:.2f})"
        docs = (f"; documents: {attrs['n_target_docs']} target, {attrs['n_reference_docs']} reference "
                f"(p_doc: bootstrap, {attrs['n_boot']} resamples, seed {attrs['seed']})" if attrs.get("documents") else "")
        correction = (f"; p_adjusted: {attrs['correction']}" if attrs["correction"] else "; no correction")
        sys.stdout.write(f"# target {attrs['n_target']:,} words, reference {attrs['n_reference']:,} words "
                         f"({', '.join(attrs['languages']) or 'no lang column'}), {attrs['n_tests']:,} terms tested; "
                         f"ordered by {attrs['measure']}{correction}{level}{docs}\n")
        p_cols = [f"p_{attrs['measure']}", "p_adjusted", "p_doc", "p_welch"]
        cols = ["term", "freq_target", "freq_reference", attrs["measure"], *p_cols, "log_ratio", "doc_share",
                "dp_target", "direction"]
        cols = [c for c in dict.fromkeys(cols) if c in table.columns]
        table = table[cols].round({c: 3 for c in cols if c not in (*p_cols, "term", "direction")})
    print_table(table, args.format)
    return 0


def _run_collocates(args) -> int:
    from ..collocation import collocates

    tokens = _common.load_tokens_from_args(args)
    table = collocates(tokens, args.node, window=args.window, field=args.field, case_sensitive=args.case_sensitive,
                       min_freq=args.min_freq, stopwords=args.stopwords, upos=args.upos, within=args.within,
                       measure=args.measure, top=args.top, **_common.filters_from_args(args))
    if args.format == "text":
        a = table.attrs
        sys.stdout.write(f"# node {args.node!r}: {a['freq_node']} occurrences, window size {a['window_size']:,}, "
                         f"N = {a['n']:,} words, window {a['window'][0]}L {a['window'][1]}R, within {args.within}; "
                         f"ordered by {a['measure']}\n")
        table = table.drop(columns=["freq_node", "window_size", "n"]).round(3)
    print_table(table, args.format)
    return 0


def _run_sketch(args) -> int:
    from ..sketch import sketch_hits, word_sketch

    tokens = _common.restrict(_common.load_tokens_from_args(args), args)
    if args.hits:
        relation, collocate = args.hits
        print_table(sketch_hits(tokens, args.lemma, relation, collocate, case_sensitive=args.case_sensitive),
                    args.format)
        return 0
    sketch = word_sketch(tokens, args.lemma, min_freq=args.min_freq, case_sensitive=args.case_sensitive, top=args.top)
    if args.format == "text":
        sys.stdout.write(sketch.to_text() + "\n")
        return 0
    table = sketch.drop(columns="hits").assign(
        hits=[";".join(f"{d}:{s}:{n}:{c}" for d, s, n, c in h) for h in sketch["hits"]])
    table["log_dice"] = np.round(table["log_dice"].to_numpy(), 6)
    print_table(table, args.format)
    return 0
