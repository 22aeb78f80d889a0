"""``tifa site``: build the static HTML site (notebooks, getting started, docs, API reference)."""

from __future__ import annotations

import argparse

from . import _common


def _site(args: argparse.Namespace) -> int:
    from ..site import build_site

    index = build_site(args.out_dir, notebooks=args.notebooks, workers=args.workers, progress=True)
    print(index)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "site", help="build the static HTML site for readers and students (open site/html/index.html)",
        description="Execute notebooks 01-08 and the seminar notebook once (figures go to the build folder, "
                    "not to figures/), then build the site with Sphinx (MyST-NB, PyData theme), warnings as "
                    "errors: the notebooks with their outputs, the README, docs/, the API reference and the "
                    "interactive topic map. Prints the path of index.html.")
    p.add_argument("--out-dir", default=None, help="build folder (default: the project's site/); the pages go to "
                                                  "OUT_DIR/html")
    p.add_argument("--notebooks", nargs="+", default=None, metavar="NAME",
                   help="build with these notebooks only (e.g. 06_topics seminar); default: all")
    p.add_argument("--workers", type=_common.positive_int, default=2, help="notebooks executed at a time (default: 2)")
    p.set_defaults(func=_site)
