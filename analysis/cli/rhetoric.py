"""``tifa rhetoric`` and ``tifa formulas``: the rhetoric profile and formula (tifa) detection.

Mirrors :mod:`analysis.rhetoric` (``compare_rhetoric`` by default; ``rhetoric_profile`` with
``--profile``; ``feature_hits`` with ``--hits FEATURE``) and :mod:`analysis.phraseology`
(``formulas``; ``formula_kwic`` with ``--kwic``). Option names are the Python argument names.
"""

from __future__ import annotations

from . import _common
from ._common import add_format_option, print_table


def _rhetoric(args) -> int:
    from .. import rhetoric

    tokens = _common.restrict(_common.load_tokens_from_args(args), args)
    by = args.by if len(args.by) > 1 else args.by[0]
    correction = None if args.correction == "none" else args.correction
    if args.hits:
        table = rhetoric.feature_hits(tokens, args.hits)
    elif args.profile:
        table = rhetoric.rhetoric_profile(tokens, by=by, features=args.features, n_boot=args.n_boot, seed=args.seed)
    else:
        from ..errors import ParameterError
        from ..inference import adjusted_label, significance_marks

        try:
            table = rhetoric.compare_rhetoric(tokens, by=by, groups=args.groups, features=args.features,
                                              correction=correction, n_boot=args.n_boot, seed=args.seed)
        except ParameterError as exc:
            if args.groups is None and "choose two" in str(exc):
                raise ParameterError(f"{str(exc).split('; choose two')[0]}; choose two with --groups A,B, "
                                     "or print every group's rates with --profile") from None
            raise
        if args.format == "text":
            a, b = table.attrs["groups"]
            p_col = "p_adjusted" if correction else "p_value"
            doc_col = "p_doc_adjusted" if correction else "p_doc"
            which = adjusted_label(correction)
            table = table.assign(sig=significance_marks(table[p_col]), sig_doc=significance_marks(table[doc_col]))
            print(f"# {a} (target) vs {b} (reference), grouped by {', '.join(args.by)}; per_1000 = rate per "
                  "1,000 words (punctuation and symbols excluded), mean = per sentence; G2 = log-likelihood "
                  "(1 d.f.), log_ratio = log2 of the ratio (Hardie 2014)")
            print(f"# sig: {p_col} ({which} over the {len(table)} features); p_fisher: Fisher's exact test where "
                  "min_expected < 5 (read it instead of p_value there); sig_doc: "
                  f"{doc_col}, the bootstrap test on per-document counts (Lijffijt et al. 2016; "
                  f"{args.n_boot} resamples, seed {args.seed}); * p<.05 ** p<.01 *** p<.001")
    if args.top is not None:
        table = table.head(args.top)
    print_table(table, args.format)
    return 0


def _formulas(args) -> int:
    from ..phraseology import formula_kwic, formulas

    tokens = _common.restrict(_common.load_tokens_from_args(args), args)
    table = formulas(tokens, min_docs=args.min_docs, min_n=args.min_n, max_n=args.max_n, lang=args.lang,
                     min_content=args.min_content, tolerance=args.tolerance)
    if args.kwic:
        table = formula_kwic(tokens, table, window=args.window)
    elif args.format == "text":
        table = table.drop(columns=["words"])
    if args.top is not None:
        table = table.head(args.top)
    print_table(table, args.format)
    return 0


def register(subparsers) -> None:
    from ..rhetoric import FEATURES

    p = subparsers.add_parser(
        "rhetoric", help="rhetoric profile from the parse; compare two groups (G2, Holm, Fisher, document bootstrap)",
        description="Compare two values of --by on parse-based rhetoric features: "
                    + "; ".join(f"{f.name} = {f.definition}" for f in FEATURES.values())
                    + ". Count features: log-likelihood G2 and log ratio, Fisher's exact test where an expected "
                      "count is below 5; sentence features: Mann-Whitney U; every feature: p adjusted over the "
                      "features (--correction, default Holm) and the bootstrap test on per-document counts "
                      "(p_doc). --profile prints each group's rate with its interval over documents.")
    _common.add_tokens_options(p)
    p.add_argument("--by", type=_common.comma_list, default=["voice"], metavar="COLUMN[,COLUMN]",
                   help="Tokens column(s) to group by (default: voice; any column, e.g. doc_id, outlet, lang)")
    p.add_argument("--groups", type=_common.comma_list, default=None, metavar="A,B",
                   help="the two values of --by to compare, target first (default: the two values there are; "
                        "for several --by columns write each value as a|b)")
    p.add_argument("--features", type=_common.comma_list, default=None, metavar="NAME[,NAME]",
                   help=f"features to use (default: all: {', '.join(FEATURES)})")
    _common.add_where_option(p)
    p.add_argument("--correction", choices=("holm", "bh", "none"), default="holm",
                   help="multiple-testing correction of the p-values over the features compared: holm "
                        "(default), bh (Benjamini-Hochberg) or none")
    p.add_argument("--n-boot", type=_common.positive_int, default=2000, metavar="N",
                   help="resamples of the document-level bootstrap (intervals, p_doc; at least 100; default 2000)")
    p.add_argument("--seed", type=_common.nonnegative_int, default=0, metavar="N",
                   help="seed of the document bootstrap (same seed, same output; default 0)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--profile", action="store_true", help="print the rates of every group instead")
    mode.add_argument("--hits", metavar="FEATURE", choices=list(FEATURES),
                      help="print the audit lines of one feature (sentence, evidence words)")
    _common.add_top_option(p)
    add_format_option(p)
    p.set_defaults(func=_rhetoric)

    f = subparsers.add_parser(
        "formulas", help="recurring formulas (tifa): word sequences repeated across documents",
        description="Maximal, non-overlapping sequences of MIN_N..MAX_N words (English lemmas; Chinese "
                    "words) without punctuation, found in at least MIN_DOCS documents "
                    "(analysis.formulas).")
    _common.add_tokens_options(f)
    f.add_argument("--min-docs", type=_common.positive_int, default=2, help="minimum number of documents (default 2)")
    f.add_argument("--min-n", type=_common.positive_int, default=3, help="shortest formula in words (default 3)")
    f.add_argument("--max-n", type=_common.positive_int, default=8, help="longest formula in words (default 8)")
    f.add_argument("--min-content", type=_common.nonnegative_int, default=2,
                   help="minimum content words per formula (default 2)")
    f.add_argument("--tolerance", type=_common.nonnegative_int, default=0,
                   help="drop a formula inside a longer one missing at most this many of its documents (default 0)")
    _common.add_option(f, "--lang", default=None, metavar="CODE",
                       help="one language, e.g. en or zh (default: every language, each on its own)")
    _common.add_where_option(f)
    f.add_argument("--kwic", action="store_true", help="print concordance lines of every formula occurrence")
    _common.add_option(f, "--window", type=_common.window_value, default=8, metavar="N|L,R",
                       help="--kwic context in words, either side or LEFT,RIGHT (default 8)")
    _common.add_top_option(f)
    add_format_option(f)
    f.set_defaults(func=_formulas)
