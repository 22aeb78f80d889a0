"""The ``tifa`` command line: one subcommand per area, each mirroring the Python API.

Each module in this package (other than those starting with ``_``) defines
``register(subparsers)``, which adds its subcommand(s) and sets ``func`` on the parser to a
function taking the parsed arguments. Modules are discovered, so an area adds a file here and
nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from ..errors import TifaError


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``tifa CMD: error: MESSAGE (see tifa CMD --help)``, exit 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tifa",
        description="Tifa (提法): discourse and rhetoric analysis of Chinese party-state texts.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tifa`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except BrokenPipeError:  # e.g. `tifa kwic ... | head`
        return 0
    except TifaError as exc:
        if args.debug:
            raise
        print(f"tifa: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the environment, not the user: a full disk, a read-only folder...
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"tifa: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tifa: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130

    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
