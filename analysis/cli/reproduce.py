"""`tifa reproduce`: the README's main command."""

from __future__ import annotations

import argparse

from . import _common


def _reproduce(args: argparse.Namespace) -> int:
    from ..reproduce import reproduce

    return reproduce(args.corpus, notebooks=not args.no_notebooks, workers=args.workers)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="rebuild the corpus, annotations and every figure of the paper")
    p.add_argument("--corpus", help="corpus directory (default: the project's corpus/)")
    p.add_argument("--no-notebooks", action="store_true", help="stop after the corpus and annotations")
    p.add_argument("--workers", type=_common.positive_int, default=2, help="notebooks executed at a time (default: 2)")
    p.set_defaults(func=_reproduce)
