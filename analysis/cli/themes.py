"""``tifa themes``: theme rates per 1,000 words from a theme dictionary (:mod:`analysis.themes`).

``tifa themes`` prints :func:`~analysis.themes.theme_rates` by document; ``--by voice`` gives the
official vs framing comparison; ``--show entries|cooccurrence|hits|dictionary`` prints
:func:`~analysis.themes.theme_entries`, :func:`~analysis.themes.theme_cooccurrence`,
:func:`~analysis.themes.theme_hits` (with ``--theme`` and ``--where``) or the dictionary itself.
"""

from __future__ import annotations

import argparse

from ..errors import QueryError
from . import _common
from ._common import add_format_option, print_table


def _by(text: str) -> list[str]:
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise argparse.ArgumentTypeError(f"expected column names like voice or voice,month, not {text!r}")
    return cols


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "themes", help="theme rates (security, ideology, convergence...) per 1,000 words",
        description="Count theme-dictionary matches (longest match wins within a top-level theme) and print "
                    "rates per 1,000 words with exact Poisson 95% CIs and DP, by document or another "
                    "grouping; or the entries that drive each theme, theme co-occurrence, or the KWIC "
                    "lines behind a cell.")
    _common.add_tokens_options(p)
    _common.add_option(p, "--by", type=_by, default=None,
                   help="group by these columns, comma-separated: doc_id (default), voice, kind, outlet, "
                        "lang, month, or e.g. voice,month")
    _common.add_option(p, "--level", type=int, choices=(1, 2), default=1,
                   help="1 = top-level themes (default), 2 = sub-themes such as security/cyber")
    _common.add_option(p, "--dictionary", metavar="FILE",
                   help="a theme dictionary (Tifa or quanteda YAML; default: the shipped one)")
    _common.add_option(p, "--show", choices=("rates", "entries", "cooccurrence", "hits", "dictionary"), default="rates",
                   help="what to print (default: rates)")
    _common.add_option(p, "--theme", help="the theme whose KWIC lines --show hits prints (e.g. security/cyber)")
    _common.add_option(p, "--where", type=_common.column_value, action="append", default=[], metavar="COLUMN=VALUE",
                   help="with --show hits: keep matches in this cell, e.g. voice=official (repeatable)")
    _common.add_option(p, "--window", type=int, default=5, help="context words each side for --show hits (default 5)")
    _common.add_option(p, "--unit", choices=("sentence", "paragraph", "document"), default="sentence",
                   help="co-occurrence unit for --show cooccurrence (default: sentence)")
    add_format_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import themes as th

    dictionary = th.load_dictionary(args.dictionary)
    if args.show == "dictionary":
        print_table(dictionary.to_frame(), args.format)
        return 0
    if args.show == "hits" and not args.theme:
        raise QueryError("--show hits needs --theme THEME, e.g. --theme security/cyber")
    tokens = _common.load_tokens_from_args(args)
    if args.show == "entries":
        table = th.theme_entries(tokens, dictionary, by=args.by, level=args.level)
    elif args.show == "cooccurrence":
        table = th.theme_cooccurrence(tokens, dictionary, unit=args.unit, level=args.level)
    elif args.show == "hits":
        table = th.theme_hits(tokens, dictionary, theme=args.theme, window=args.window, where=dict(getattr(args, "where", None) or []))
    else:
        table = th.theme_rates(tokens, dictionary, by=args.by or "doc_id", level=args.level)
    if args.format == "text":
        table = table.round(3)
    print_table(table, args.format)
    return 0
