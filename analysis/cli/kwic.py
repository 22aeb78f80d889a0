"""``tifa kwic``, ``tifa freq``, ``tifa ngrams``, ``tifa dispersion``: the concordance tools.

Each mirrors one function: :func:`analysis.concordance.kwic`, :func:`analysis.wordlist.frequency`,
:func:`analysis.wordlist.ngrams` / :func:`~analysis.wordlist.clusters` and
:func:`analysis.distribution.dispersion`. The query language is documented in
``docs/query-language.md``.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata

from . import _common
from ._common import add_format_option, print_table


def _common_options(p: argparse.ArgumentParser) -> None:
    _common.add_tokens_options(p)
    _common.add_where_option(p)
    add_format_option(p)


def _position(text: str) -> str | int:
    """argparse type for ``--position``: left, right, any, or a whole number >= 1."""
    if text in ("left", "right", "any"):
        return text
    try:
        return _common.positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected left, right, any or a whole number >= 1, not {text!r}") from None


# ------------------------------------------------------------------------------ registration


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "kwic", help="keyword in context (concordance) for a query",
        description="Print every hit of QUERY with its context. Query language: a word (form, case-insensitive), "
                    "lemma:security, glob secur*, regex /secur(e|ity)/, a phrase \"public opinion\", constraints "
                    "lemma:security&upos:NOUN, dependencies lemma:security&head(lemma:safeguard) or "
                    "lemma:security&child(amod,lemma:ideological). See docs/query-language.md. "
                    "--where keeps hits whose first word meets the filter; context comes from the whole text.")
    p.add_argument("query", help="the query (quote it in the shell)")
    _common.add_option(p, "--window", type=_common.window_value, default=5, metavar="N|L,R",
                       help="context either side: N words, or L,R (default 5)")
    _common.add_option(p, "--unit", choices=("token", "char"), default="token",
                       help="window in words (default) or characters (for Chinese)")
    _common.add_option(p, "--within", choices=("sentence", "paragraph", "document"), default="paragraph",
                       help="context never crosses this unit (default: paragraph)")
    _common.add_option(p, "--sort", default=None,
                       help="sort keys, AntConc style: e.g. R1,R2 or L1 or L2,L1,match; or 'doc' (default) or 'random'")
    _common.add_option(p, "--seed", type=_common.nonnegative_int, default=0, help="seed for --sort random (default 0)")
    _common.add_option(p, "--case-sensitive", action="store_true", help="match letter case exactly")
    _common.add_option(p, "--head", default=None, metavar="TERM",
                       help="the word's head meets TERM, e.g. lemma:safeguard")
    _common.add_option(p, "--deprel", default=None, help="the word's dependency relation, e.g. obj")
    _common.add_option(p, "--child", nargs=2, action="append", default=None, metavar=("DEPREL", "TERM"),
                       help="the word has a child with this relation meeting TERM, e.g. --child amod lemma:ideological")
    _common.add_top_option(p, what="lines")
    _common_options(p)
    p.set_defaults(func=run_kwic)

    p = subparsers.add_parser(
        "freq", help="frequency list (form or lemma) with per-1,000 and per-million rates",
        description="Frequency list of the terms of --field; only words are counted and the rates divide "
                    "by the number of words (of each --by group). With TERM queries (e.g. 网络安全 意识形态 "
                    "lemma:secur* 'public opinion'), counts each query's matches instead of the vocabulary, so "
                    "terms the segmenter splits count as one. Mirrors analysis.frequency.")
    p.add_argument("terms", nargs="*", metavar="TERM",
                   help="queries to count instead of the vocabulary (default: every term of --field)")
    _common.add_option(p, "--field", choices=("lemma", "form", "upos", "xpos", "deprel", "feats"), default="lemma",
                       help="the token column terms are read from (default: lemma)")
    _common.add_option(p, "--by", type=_common.comma_list, default=None, metavar="COL[,COL]",
                       help="one list per group, e.g. voice or lang,voice")
    _common.add_option(p, "--upos", type=_common.comma_list, default=None,
                       help="count only these UPOS tags, e.g. NOUN or NOUN,PROPN")
    _common.add_option(p, "--case-sensitive", action="store_true", help="do not lower-case terms")
    _common.add_option(p, "--with-upos", action="store_true", help="count (term, UPOS) pairs")
    _common.add_top_option(p, what="rows per group")
    _common_options(p)
    p.set_defaults(func=run_freq)

    p = subparsers.add_parser(
        "ngrams", help="n-grams or clusters around a node word, with frequency and document range",
        description="n-grams inside sentences, never spanning punctuation; with --node, AntConc-style clusters. "
                    "Mirrors analysis.ngrams.")
    _common.add_option(p, "-n", "--n", dest="n", type=_common.positive_int, nargs="+", default=[2], metavar="N",
                       help="length(s), e.g. 3 or 2 3 4 (default 2)")
    _common.add_option(p, "--field", choices=("form", "lemma", "upos", "xpos", "deprel", "feats"), default="form",
                       help="n-grams of forms (default) or lemmas...")
    _common.add_option(p, "--node", default=None, help="a one-word query the n-gram must contain (clusters)")
    _common.add_option(p, "--position", type=_position, default="any",
                       help="where the node sits: left, right, any (default) or 1..n")
    _common.add_option(p, "--min-freq", type=_common.positive_int, default=1,
                       help="drop n-grams rarer than this (default 1)")
    _common.add_option(p, "--case-sensitive", action="store_true", help="keep letter case (n-grams and node)")
    _common.add_top_option(p)
    _common_options(p)
    p.set_defaults(func=run_ngrams)

    p = subparsers.add_parser(
        "dispersion", help="range, Juilland's D, Gries' DP and DP_norm of terms over documents",
        description="Dispersion of each TERM (a query) over the parts given by --by (documents by default). "
                    "Mirrors analysis.dispersion.")
    p.add_argument("terms", nargs="+", metavar="TERM", help="one or more queries")
    _common.add_option(p, "--by", type=_common.comma_list, default=["doc_id"], metavar="COL[,COL]",
                       help="the column(s) whose values are the parts (default doc_id), e.g. voice")
    _common.add_option(p, "--case-sensitive", action="store_true", help="match letter case exactly")
    _common_options(p)
    p.set_defaults(func=run_dispersion)


# ------------------------------------------------------------------------------ commands


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _print_kwic_text(table, out=None) -> None:
    out = out or sys.stdout
    if not len(table):
        out.write("(no hits)\n")
        return
    labels = [f"{d} ¶{p}" for d, p in zip(table["doc_id"], table["par"])]
    lw = max(_width(x) for x in labels)
    cw = max(_width(x) for x in table["left"])
    for label, left, match, right in zip(labels, table["left"], table["match"], table["right"]):
        out.write(f"{label}{' ' * (lw - _width(label))}  {' ' * (cw - _width(left))}{left} [{match}] {right}\n")


def run_kwic(args) -> int:
    from ..concordance import kwic

    tokens = _common.load_tokens_from_args(args)
    child = [tuple(c) for c in args.child] if args.child else None
    table = kwic(tokens, args.query, window=args.window, unit=args.unit, within=args.within,
                 case_sensitive=args.case_sensitive, sort=args.sort, seed=args.seed, head=args.head,
                 deprel=args.deprel, child=child, **_common.filters_from_args(args)).to_frame()
    if args.top is not None:
        table = table.head(args.top)
    if args.format == "text":
        _print_kwic_text(table)
    else:
        print_table(table, args.format)
    return 0


def run_freq(args) -> int:
    from ..wordlist import frequency

    tokens = _common.load_tokens_from_args(args)
    table = frequency(tokens, args.field, terms=args.terms or None, by=args.by, upos=args.upos,
                      case_sensitive=args.case_sensitive, with_upos=args.with_upos, top=args.top,
                      **_common.filters_from_args(args))
    print_table(table, args.format)
    return 0


def run_ngrams(args) -> int:
    from ..wordlist import ngrams

    tokens = _common.load_tokens_from_args(args)
    table = ngrams(tokens, args.n, field=args.field, node=args.node, position=args.position, min_freq=args.min_freq,
                   case_sensitive=args.case_sensitive, top=args.top, **_common.filters_from_args(args))
    print_table(table, args.format)
    return 0


def run_dispersion(args) -> int:
    from ..distribution import dispersion

    tokens = _common.load_tokens_from_args(args)
    table = dispersion(tokens, args.terms, by=args.by, case_sensitive=args.case_sensitive,
                       **_common.filters_from_args(args))
    print_table(table, args.format)
    return 0
