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

_FILTERS = ("voice", "lang", "kind", "outlet")


def _add_common(p: argparse.ArgumentParser) -> None:
    _common.add_tokens_options(p)
    for name in _FILTERS:
        _common.add_option(p, f"--{name}", type=_common.comma_list, default=None, metavar=name.upper(),
             help=f"keep words whose {name} is this (comma-separated: one of several)")
    _common.add_option(p, "--doc", type=_common.comma_list, default=None, metavar="DOC_ID", help="keep these documents (comma-separated)")
    _common.add_option(p, "--date-from", default=None, metavar="YYYY-MM-DD", help="keep documents dated on or after this")
    _common.add_option(p, "--date-to", default=None, metavar="YYYY-MM-DD", help="keep documents dated on or before this")
    _common.add_option(p, "--where", type=_common.column_value, action="append", default=[], metavar="COLUMN=VALUE",
         help="keep words with this value in any Tokens column (repeatable)")
    add_format_option(p)


def _filters(args) -> dict:
    out: dict = {}
    for name in _FILTERS:
        value = getattr(args, name, None)
        if isinstance(value, list):
            out[name] = value
    if isinstance(getattr(args, "doc", None), list):
        out["doc_id"] = args.doc
    lo, hi = getattr(args, "date_from", None), getattr(args, "date_to", None)
    if lo or hi:
        out["date"] = (lo, hi)
    for key, value in getattr(args, "where", None) or []:
        out[key] = value
    return out


def _subset(tokens, filters):
    if not filters:
        return tokens
    from ..query import metadata_mask

    return tokens[metadata_mask(tokens, filters)].reset_index(drop=True)


def _top(table, top):
    return table.head(top) if top else table


# ------------------------------------------------------------------------------ registration


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "kwic", help="keyword in context (concordance) for a query",
        description="Print every hit of QUERY with its context. Query language: a word (form, case-insensitive), "
                    "lemma:security, glob secur*, regex /secur(e|ity)/, a phrase \"public opinion\", constraints "
                    "lemma:security&upos:NOUN, dependencies lemma:security&head(lemma:safeguard) or "
                    "lemma:security&child(amod,lemma:ideological). See docs/query-language.md.")
    p.add_argument("query", help="the query (quote it in the shell)")
    _common.add_option(p, "--window", type=int, default=5, help="context size each side (default 5)")
    _common.add_option(p, "--unit", choices=("token", "char"), default="token",
         help="window in words (default) or characters (for Chinese)")
    _common.add_option(p, "--sort", default=None,
         help="sort keys, AntConc style: e.g. R1,R2 or L1 or L2,L1,match; or 'doc' (default) or 'random'")
    _common.add_option(p, "--seed", type=int, default=0, help="seed for --sort random (default 0)")
    _common.add_option(p, "--case-sensitive", action="store_true", help="match letter case exactly")
    _common.add_option(p, "--head", default=None, metavar="TERM", help="the word's head meets TERM, e.g. lemma:safeguard")
    _common.add_option(p, "--deprel", default=None, help="the word's dependency relation, e.g. obj")
    _common.add_option(p, "--child", nargs=2, action="append", default=None, metavar=("DEPREL", "TERM"),
         help="the word has a child with this relation meeting TERM, e.g. --child amod lemma:ideological")
    _common.add_option(p, "--limit", type=int, default=None, help="print at most this many lines")
    _add_common(p)
    p.set_defaults(func=run_kwic)

    p = subparsers.add_parser(
        "freq", help="frequency list (form or lemma) with per-1,000 and per-million rates",
        description="Frequency list; punctuation is neither counted nor part of the denominator.")
    _common.add_option(p, "--by", choices=("lemma", "form"), default="lemma", help="count lemmas (default) or forms")
    _common.add_option(p, "--upos", type=_common.comma_list, default=None, help="count only these UPOS tags, e.g. NOUN or NOUN,PROPN")
    _common.add_option(p, "--groupby", type=_common.comma_list, default=None, help="one list per group, e.g. voice or lang,voice")
    _common.add_option(p, "--case-sensitive", action="store_true", help="do not lower-case terms")
    _common.add_option(p, "--with-upos", action="store_true", help="count (term, UPOS) pairs")
    _common.add_option(p, "--top", type=int, default=50, help="rows to print (per whole table; 0 = all; default 50)")
    _add_common(p)
    p.set_defaults(func=run_freq)

    p = subparsers.add_parser(
        "ngrams", help="n-grams or clusters around a node word, with frequency and document range",
        description="n-grams inside sentences, never spanning punctuation; with --node, AntConc-style clusters.")
    _common.add_option(p, "-n", "--n", dest="n", type=_common.comma_list, default=["2"], help="length(s), e.g. 3 or 2,3,4 (default 2)")
    _common.add_option(p, "--by", choices=("form", "lemma"), default="form", help="n-grams of forms (default) or lemmas")
    _common.add_option(p, "--node", default=None, help="a one-word query the n-gram must contain (clusters)")
    _common.add_option(p, "--position", default="any", help="where the node sits: left, right, any (default) or 1..n")
    _common.add_option(p, "--min-freq", type=int, default=1, help="drop n-grams rarer than this (default 1)")
    _common.add_option(p, "--case-sensitive", action="store_true", help="do not lower-case")
    _common.add_option(p, "--top", type=int, default=50, help="rows to print (0 = all; default 50)")
    _add_common(p)
    p.set_defaults(func=run_ngrams)

    p = subparsers.add_parser(
        "dispersion", help="range, Juilland's D, Gries' DP and DP_norm of terms over documents",
        description="Dispersion of each TERM (a query) over the parts given by --part (documents by default).")
    p.add_argument("terms", nargs="+", metavar="TERM", help="one or more queries")
    _common.add_option(p, "--part", type=_common.comma_list, default=["doc_id"], help="partition column(s) (default doc_id), e.g. voice")
    _common.add_option(p, "--case-sensitive", action="store_true", help="match letter case exactly")
    _add_common(p)
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
    table = kwic(tokens, args.query, window=args.window, unit=args.unit, case_sensitive=args.case_sensitive,
                 sort=args.sort, seed=args.seed, head=args.head, deprel=args.deprel, child=child,
                 **_filters(args))
    table = table.to_frame()
    if args.limit is not None:
        table = table.head(args.limit)
    if args.format == "text":
        _print_kwic_text(table)
    else:
        print_table(table, args.format)
    return 0


def run_freq(args) -> int:
    from ..wordlist import frequency

    tokens = _subset(_common.load_tokens_from_args(args), _filters(args))
    table = frequency(tokens, by=args.by, upos=args.upos, groupby=args.groupby,
                      lowercase=not args.case_sensitive, with_upos=args.with_upos)
    print_table(_top(table, args.top), args.format)
    return 0


def run_ngrams(args) -> int:
    from ..errors import QueryError
    from ..wordlist import ngrams

    try:
        sizes = [int(x) for x in args.n]
    except ValueError:
        raise QueryError(f"-n takes whole numbers such as 3 or 2,3,4, not {','.join(args.n)!r}") from None
    position = args.position
    if position not in ("left", "right", "any"):
        try:
            position = int(position)
        except ValueError:
            raise QueryError(f"--position takes left, right, any or a number, not {position!r}") from None
    tokens = _subset(_common.load_tokens_from_args(args), _filters(args))
    table = ngrams(tokens, sizes, by=args.by, lowercase=not args.case_sensitive, node=args.node,
                   position=position, min_freq=args.min_freq, case_sensitive=args.case_sensitive)
    print_table(_top(table, args.top), args.format)
    return 0


def run_dispersion(args) -> int:
    from ..distribution import dispersion

    tokens = _subset(_common.load_tokens_from_args(args), _filters(args))
    part = args.part[0] if len(args.part) == 1 else args.part
    table = dispersion(tokens, args.terms, by=part, case_sensitive=args.case_sensitive)
    print_table(table, args.format)
    return 0
