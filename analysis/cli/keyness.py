"""``tifa keyness``, ``tifa collocates``, ``tifa sketch``: keywords, collocates, word sketches.

Each mirrors one function: :func:`analysis.keywords.keyness`,
:func:`analysis.collocation.collocates` and :func:`analysis.sketch.word_sketch` (with
:func:`analysis.sketch.sketch_hits` for ``tifa sketch LEMMA --hits RELATION COLLOCATE``).

    tifa keyness --target voice=official --reference voice=framing --p 0.05 --correction bonferroni
    tifa keyness --where lang=en --target outlet=Xinhua     # one outlet against the rest, English only
    tifa collocates security --span 5 5 --upos NOUN,ADJ,VERB --top 20
    tifa sketch security
    tifa sketch 安全 --format csv
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..errors import QueryError
from . import _common
from ._common import add_format_option, print_table


def _filters(pairs: list[tuple[str, str]] | None) -> dict[str, list[str]]:
    """COLUMN=VALUE pairs → {column: [values]}; a value may list several, comma-separated."""
    out: dict[str, list[str]] = {}
    for key, value in pairs or []:
        out.setdefault(key, []).extend(_common.comma_list(value))
    return out


def _restrict(tokens, args):
    """Apply ``--where COLUMN=VALUE`` filters (a subcorpus: changes N)."""
    where = _filters(getattr(args, "where", None))
    if not where:
        return tokens
    from ..keywords import select_rows

    mask = select_rows(tokens, where, "--where")
    if not mask.any():
        raise QueryError(f"--where {where} selects no tokens")
    return tokens[mask].reset_index(drop=True)


def _common_options(p: argparse.ArgumentParser, where: bool = True) -> None:
    _common.add_tokens_options(p)
    _common.add_option(p, "--by", choices=("lemma", "form"), default="lemma", help="count lemmas (default) or word forms")
    _common.add_option(p, "--case-sensitive", action="store_true", help="do not lowercase terms")
    if where:
        _common.add_option(p, "--where", type=_common.column_value, action="append", default=[], metavar="COLUMN=VALUE",
             help="restrict to words with this value (repeatable; comma-separated values = any of)")
    _common.add_option(p, "--top", type=int, default=None, metavar="N", help="print only the first N rows")
    add_format_option(p)


def register(subparsers) -> None:
    # keyness
    p = subparsers.add_parser(
        "keyness", help="keywords of a target subcorpus against a reference (G2, chi2, log ratio, %%DIFF...)",
        description="Keyness of every term of a target subcorpus against a reference subcorpus "
                    "(default reference: the rest of the corpus). Mirrors analysis.keyness.keyness.")
    p.add_argument("--target", type=_common.column_value, action="append", required=True, metavar="COLUMN=VALUE",
                   help="target filter, e.g. voice=official (repeatable; comma-separated values = any of)")
    p.add_argument("--reference", type=_common.column_value, action="append", default=None, metavar="COLUMN=VALUE",
                   help="reference filter (default: every token not in the target)")
    p.add_argument("--min-freq", type=int, default=1, help="minimum target + reference frequency")
    p.add_argument("--p", type=float, default=None, dest="p", help="keep terms with p below this level")
    p.add_argument("--correction", choices=("bonferroni", "sidak"), default=None,
                   help="correct --p for the number of terms tested")
    p.add_argument("--min-effect", type=float, default=None, help="keep terms with |log ratio| at least this")
    p.add_argument("--statistic", choices=("g2_4cell", "g2_2term", "chi2", "chi2_yates"), default="g2_4cell",
                   help="statistic for ordering and --p (default: 4-cell log-likelihood)")
    p.add_argument("--direction", choices=("positive", "negative", "both"), default="both",
                   help="positive keywords, negative keywords, or both (default)")
    _common_options(p)
    p.set_defaults(func=_run_keyness)

    # collocates
    p = subparsers.add_parser(
        "collocates", help="window collocates of a word (MI, MI3, t, logDice, G2, deltaP)",
        description="Window collocates of NODE with association measures. Mirrors "
                    "analysis.collocation.collocates.")
    p.add_argument("node", help="the node lemma (or form with --by form)")
    p.add_argument("--span", type=int, nargs=2, default=(5, 5), metavar=("LEFT", "RIGHT"),
                   help="words left and right of the node (default: 5 5)")
    p.add_argument("--min-freq", type=int, default=2, help="minimum co-occurrence frequency (default: 2)")
    p.add_argument("--stopwords", type=_common.comma_list, default=None, metavar="W1,W2", help="words never counted as collocates")
    p.add_argument("--upos", type=_common.comma_list, default=None, metavar="TAG,TAG", help="count only collocates with these UPOS")
    p.add_argument("--within", choices=("par", "sent", "doc", "none"), default="par",
                   help="windows do not cross this unit (default: paragraph)")
    p.add_argument("--sort", default="log_dice",
                   choices=("observed", "mi", "mi3", "t_score", "log_dice", "g2", "chi2",
                            "delta_p_collocate_given_node", "delta_p_node_given_collocate"),
                   help="order by this measure (default: log_dice)")
    _common_options(p)
    p.set_defaults(func=_run_collocates)

    # sketch
    p = subparsers.add_parser(
        "sketch", help="word sketch of a lemma: collocates by grammatical relation (dependency parse)",
        description="Word sketch of LEMMA from the dependency parse. Text output shows one block per "
                    "relation (top N each); csv/json give the long table. --hits RELATION COLLOCATE "
                    "prints the KWIC lines behind one cell. Mirrors analysis.sketch.word_sketch.")
    p.add_argument("lemma", help="the lemma, e.g. security or 安全")
    p.add_argument("--min-freq", type=int, default=1, help="minimum frequency of a collocation (default: 1)")
    p.add_argument("--hits", nargs=2, default=None, metavar=("RELATION", "COLLOCATE"),
                   help='print the KWIC lines of one cell, e.g. --hits "modifier (amod)" national')
    _common.add_tokens_options(p)
    _common.add_option(p, "--case-sensitive", action="store_true", help="do not lowercase lemmas")
    _common.add_option(p, "--where", type=_common.column_value, action="append", default=[], metavar="COLUMN=VALUE",
         help="restrict to words with this value (repeatable)")
    _common.add_option(p, "--top", type=int, default=10, metavar="N", help="collocates shown per relation (text; default 10)")
    add_format_option(p)
    p.set_defaults(func=_run_sketch)


def _head(df, top):
    return df.head(top) if top else df


def _run_keyness(args) -> int:
    from ..keywords import keyness

    tokens = _restrict(_common.load_tokens_from_args(args), args)
    table = keyness(tokens, _filters(args.target), _filters(args.reference) if args.reference else None,
                    by=args.by, lowercase=not args.case_sensitive, min_freq=args.min_freq, p=args.p,
                    correction=args.correction, min_effect=args.min_effect, statistic=args.statistic)
    if args.direction != "both":
        table = table[table["direction"] == args.direction]
        if args.direction == "negative":
            table = table.iloc[::-1]
    if args.format == "text":
        a = table.attrs
        sys.stdout.write(f"# target {a['n_target']:,} tokens, reference {a['n_reference']:,} tokens, "
                         f"{a['n_tests']:,} terms tested; ordered by {a['statistic']}"
                         + (f"; p < {a['alpha_per_test']:.3g} per test (critical value {a['critical_value']:.2f})"
                            if "alpha_per_test" in a else "") + "\n")
        cols = ["term", "freq_target", "freq_reference", "g2_4cell", "p_g2_4cell", "g2_2term", "chi2",
                "chi2_yates", "log_ratio", "pct_diff", "simple_maths", "direction"]
        if args.statistic not in cols:
            cols.insert(3, args.statistic)
        table = table[cols].round({c: 3 for c in cols if c not in ("p_g2_4cell",)})
    print_table(_head(table, args.top), args.format)
    return 0


def _run_collocates(args) -> int:
    from ..collocation import collocates

    tokens = _restrict(_common.load_tokens_from_args(args), args)
    table = collocates(tokens, args.node, span=tuple(args.span), by=args.by, lowercase=not args.case_sensitive,
                       min_freq=args.min_freq, stopwords=args.stopwords, upos=args.upos,
                       within=None if args.within == "none" else args.within, sort=args.sort)
    if args.format == "text":
        a = table.attrs
        sys.stdout.write(f"# node {args.node!r}: {a['freq_node']} occurrences, window size {a['window_size']:,}, "
                         f"N = {a['n']:,}, span {a['span'][0]}L {a['span'][1]}R; ordered by {a['sort']}\n")
        table = table.drop(columns=["freq_node", "window_size", "n"]).round(3)
    print_table(_head(table, args.top), args.format)
    return 0


def _run_sketch(args) -> int:
    from ..sketch import sketch_hits, word_sketch

    tokens = _restrict(_common.load_tokens_from_args(args), args)
    lowercase = not args.case_sensitive
    if args.hits:
        relation, collocate = args.hits
        print_table(sketch_hits(tokens, args.lemma, relation, collocate, lowercase=lowercase), args.format)
        return 0
    sketch = word_sketch(tokens, args.lemma, min_freq=args.min_freq, lowercase=lowercase, top=args.top)
    if args.format == "text":
        sys.stdout.write(sketch.to_text() + "\n")
        return 0
    table = sketch.drop(columns="hits").assign(
        hits=[";".join(f"{d}:{s}:{n}:{c}" for d, s, n, c in h) for h in sketch["hits"]])
    table["log_dice"] = np.round(table["log_dice"].to_numpy(), 6)
    print_table(table, args.format)
    return 0
