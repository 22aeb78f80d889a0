"""``tifa themes``: theme rates per 1,000 words from a theme dictionary (:mod:`analysis.themes`).

``tifa themes`` prints :func:`~analysis.themes.theme_rates` by document; ``--by voice`` gives the
official vs framing comparison, each rate with its interval over words (``ci_low``, ``ci_high``)
and over documents (``doc_ci_low``, ``doc_ci_high``, ``n_docs``; ``--n-boot``, ``--seed``); ``--show entries|cooccurrence|hits|dictionary`` prints
:func:`~analysis.themes.theme_entries`, :func:`~analysis.themes.theme_cooccurrence`,
:func:`~analysis.themes.theme_hits` (with ``--theme``) or the dictionary itself. ``--where``
selects the rows measured (for hits: the cell whose lines are shown), as everywhere.
"""

from __future__ import annotations

from ..errors import ParameterError
from . import _common
from ._common import add_format_option, print_table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "themes", help="theme rates (security, ideology, convergence...) per 1,000 words",
        description="Count theme-dictionary matches (longest match wins within a top-level theme) and print "
                    "rates per 1,000 words (per 1,000 Han characters too for Chinese) with two intervals "
                    "— ci_low/ci_high over words (exact Poisson) and doc_ci_low/doc_ci_high over documents "
                    "(cluster bootstrap; NaN for a group of one document) — and DP, by document or another "
                    "grouping; or the entries that drive each theme, theme co-occurrence, or the "
                    "concordance lines behind a cell.")
    _common.add_tokens_options(p)
    _common.add_option(p, "--by", type=_common.comma_list, default=None, metavar="COL[,COL]",
                       help="group by these columns, comma-separated: doc_id (default for rates), voice, lang, "
                            "month, a corpus's own column, or e.g. voice,month")
    _common.add_option(p, "--level", type=_common.positive_int, default=1, metavar="N",
                       help="theme level: 1 = top-level themes (default), 2 = sub-themes such as security/cyber")
    _common.add_option(p, "--conf", type=_common.probability, default=0.95,
                       help="confidence level of the rate intervals, over words and over documents (default 0.95)")
    _common.add_option(p, "--n-boot", type=_common.positive_int, default=2000, metavar="N",
                       help="resamples of the document-level bootstrap interval (doc_ci_low, doc_ci_high; "
                            "at least 100; default 2000)")
    _common.add_option(p, "--seed", type=_common.nonnegative_int, default=0, metavar="N",
                       help="seed of the document bootstrap (same seed, same output; default 0)")
    _common.add_option(p, "--dictionary", metavar="FILE",
                       help="a theme dictionary (Tifa or quanteda YAML; default: the shipped one)")
    _common.add_option(p, "--show", choices=("rates", "entries", "cooccurrence", "hits", "dictionary"),
                       default="rates", help="what to print (default: rates)")
    _common.add_option(p, "--theme", help="the theme whose concordance lines --show hits prints (e.g. security/cyber)")
    _common.add_where_option(p)
    _common.add_option(p, "--window", type=_common.window_value, default=5, metavar="N|L,R",
                       help="--show hits: context either side, N or LEFT,RIGHT (default 5)")
    _common.add_option(p, "--unit", choices=("token", "char"), default="token",
                       help="--show hits: what --window counts (default: token)")
    _common.add_option(p, "--within", choices=("sentence", "paragraph", "document"), default=None,
                       help="the unit never crossed: --show cooccurrence counts co-occurrence in it (default: "
                            "sentence); --show hits keeps context inside it (default: paragraph)")
    _common.add_top_option(p, what="rows (--show entries: entries per theme)")
    add_format_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import themes as th

    dictionary = th.load_dictionary(args.dictionary)
    if args.show == "dictionary":
        table = dictionary.to_frame()
        print_table(table.head(args.top) if args.top else table, args.format)
        return 0
    if args.show == "hits" and not args.theme:
        raise ParameterError("--show hits needs --theme THEME, e.g. --theme security/cyber")
    tokens = _common.load_tokens_from_args(args)
    filters = _common.filters_from_args(args)
    within = {"within": args.within} if args.within else {}
    if args.show == "entries":
        table = th.theme_entries(tokens, dictionary, by=args.by, level=args.level, top=args.top, **filters)
    elif args.show == "cooccurrence":
        table = th.theme_cooccurrence(tokens, dictionary, level=args.level, **within, **filters)
    elif args.show == "hits":
        table = th.theme_hits(tokens, dictionary, theme=args.theme, window=args.window, unit=args.unit, **within,
                              **filters)
    else:
        table = th.theme_rates(tokens, dictionary, by=args.by or "doc_id", level=args.level, conf=args.conf,
                               n_boot=args.n_boot, seed=args.seed, **filters)
    if args.top and args.show != "entries":
        table = table.head(args.top)
    if args.format == "text":
        table = table.round(3)
    print_table(table, args.format)
    return 0
