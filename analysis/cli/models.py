"""`tifa models list|download`: which Stanza model set is active, and fetching official models."""

from __future__ import annotations

import argparse

from . import _common
from ._common import add_format_option, print_table


def run_list(args: argparse.Namespace) -> int:
    from ..models import list_models

    if args.verify:
        from ..errors import ModelNotFoundError
        from ..models import resolve_model_set

        bad = resolve_model_set(args.models, args.package).verify()
        if bad:
            raise ModelNotFoundError(f"model files differ from resources.json checksums: {', '.join(bad)}; "
                                     f"re-download them (`tifa models download`)")
    active, table = list_models(args.models, args.package)
    if args.format == "text":
        print(f"active model set: {active.id}  (package {active.package!r}, Stanza {active.stanza_version})")
        print(f"directory: {active.dir}  ({active.source})")
        for lang, why in active.missing.items():
            print(f"unusable: {lang}: {why}")
    print_table(table, args.format)
    return 0


def run_download(args: argparse.Namespace) -> int:
    from ..models import LANGUAGES, download_models

    langs = tuple(args.lang) if args.lang else LANGUAGES
    directory = download_models(langs, args.dir, args.package or "default", timeout=args.timeout)
    print(f"downloaded {', '.join(langs)} ({args.package or 'default'}) into {directory}; "
          f"use it with --models {directory} or TIFA_STANZA_DIR={directory}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("models", help="list the Stanza model set in use, or download official models")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION")
    sub.required = True
    ls = sub.add_parser("list", help="show the model packages of the model directory and which set is active",
                        description="The active model set comes from --models/--package, else TIFA_STANZA_DIR/"
                                    "TIFA_STANZA_PACKAGE, else tifa.toml or ~/.config/tifa/config.toml, else "
                                    "~/stanza_resources with package 'default'.")
    ls.add_argument("--models", metavar="DIR", help="Stanza resources directory")
    ls.add_argument("--package", metavar="NAME", help="package name (default: 'default')")
    ls.add_argument("--verify", action="store_true", help="recompute the model files' MD5 checksums")
    add_format_option(ls)
    ls.set_defaults(func=run_list)
    dl = sub.add_parser("download", help="fetch Stanza's official models (needs internet)")
    dl.add_argument("--lang", action="append", metavar="LANG", help="language (repeatable; default: en and zh-hans)")
    dl.add_argument("--dir", metavar="DIR", help="target directory (default: $TIFA_STANZA_DIR or ~/stanza_resources)")
    dl.add_argument("--package", metavar="NAME", help="Stanza package (default: 'default')")
    dl.add_argument("--timeout", type=_common.positive_float, default=10.0, help="network timeout in seconds (default 10)")
    dl.set_defaults(func=run_download)
