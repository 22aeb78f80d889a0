"""`tifa corpus build|info|import`: the corpus foundation in the shell."""

from __future__ import annotations

import argparse
import sys

from ._common import add_format_option, print_table


def _build(args: argparse.Namespace) -> int:
    from ..build import build

    corpus, path, changed = build(args.corpus)
    state = "written" if changed else "unchanged"
    print(f"{path}: {len(corpus)} documents, {len(corpus.paragraphs)} paragraphs ({state})", file=sys.stderr)
    return 0


def _info(args: argparse.Namespace) -> int:
    from .. import load_corpus

    print_table(load_corpus(args.corpus).summary(), args.format)
    return 0


def _import(args: argparse.Namespace) -> int:
    from ..importers import import_corpus

    corpus = import_corpus(args.path, args.out, text_column=args.text_column, id_column=args.id_column,
                           encoding=args.encoding)
    print(f"{args.out}/documents.jsonl: {len(corpus)} documents imported from {args.path}", file=sys.stderr)
    print_table(corpus.summary(), args.format)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("corpus", help="build, describe or import a corpus")
    csub = p.add_subparsers(dest="corpus_command", metavar="ACTION")
    csub.required = True

    b = csub.add_parser("build", help="build corpus/documents.jsonl from the raw text and the manifest")
    b.add_argument("--corpus", help="corpus directory (default: the project's corpus/)")
    b.set_defaults(func=_build)

    i = csub.add_parser("info", help="one row per document and totals")
    i.add_argument("--corpus", help="corpus directory or documents.jsonl (default: the project's corpus/)")
    add_format_option(i)
    i.set_defaults(func=_info)

    m = csub.add_parser("import", help="import a folder of .txt files, a CSV or a JSON Lines file")
    m.add_argument("path", help="folder of .txt files, .csv or .jsonl file")
    m.add_argument("--out", required=True, help="new folder to write documents.jsonl into")
    m.add_argument("--text-column", default="text", help="CSV/JSONL column holding the text (default: text)")
    m.add_argument("--id-column", default=None, help="CSV/JSONL column holding document ids (default: doc_id or id)")
    m.add_argument("--encoding", default="utf-8",
                   help="text encoding of the input (default: utf-8); a file that starts with a byte-order mark "
                        "(UTF-8, UTF-16, UTF-32) is read as its mark says")
    add_format_option(m)
    m.set_defaults(func=_import)
