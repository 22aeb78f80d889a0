"""Shared CLI conventions: ``--format text|csv|json`` for every command that prints a table."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

import numpy as np
import pandas as pd


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--format text|csv|json`` (json = a list of records with the table's columns)."""
    parser.add_argument("--format", choices=("text", "csv", "json"), default="text",
                        help="output format (default: text; json is a list of records)")


def _json_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def print_table(df: pd.DataFrame, fmt: str = "text", *, out: TextIO | None = None, index: bool = False) -> None:
    """Print a DataFrame as aligned text, CSV or JSON records."""
    out = out or sys.stdout
    if index:
        df = df.reset_index()
    if fmt == "csv":
        df.to_csv(out, index=False, lineterminator="\n")
    elif fmt == "json":
        records = [{k: _json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]
        json.dump(records, out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None,
                               "display.width", 200, "display.max_colwidth", 60):
            out.write(df.to_string(index=False) if len(df) else "(no rows)")
            out.write("\n")


# -- the Tokens table a command works on ------------------------------------------------------


def add_tokens_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that choose the Tokens table: --corpus, --annotations, --models, --package.

    Options the parser already has are left alone.
    """
    options = [
        (("--corpus",), dict(metavar="PATH", help="corpus directory or documents.jsonl (default: the seed corpus)")),
        (("--annotations",), dict(metavar="DIR", help="directory of the corpus's CoNLL-U annotations "
                                                       "(default: <corpus>/annotations/<model set>)")),
        (("--models",), dict(metavar="DIR", help="Stanza resources directory (default: $TIFA_STANZA_DIR, "
                                                  "tifa.toml, ~/stanza_resources)")),
        (("--package",), dict(metavar="NAME", help="Stanza package name (default: $TIFA_STANZA_PACKAGE or 'default')")),
    ]
    for flags, kwargs in options:
        if not any(f in parser._option_string_actions for f in flags):
            parser.add_argument(*flags, **kwargs)


def model_set_from_args(args: argparse.Namespace, *, require: tuple[str, ...] = ()):
    """The model set chosen by --models/--package (or the environment/config), or None if none is installed."""
    from ..models import resolve_model_set, try_resolve_model_set

    models, package = getattr(args, "models", None), getattr(args, "package", None)
    if models is not None or package is not None:
        return resolve_model_set(models, package, require=require)  # explicit: a missing model is an error
    return try_resolve_model_set(require=require)


def corpus_from_args(args: argparse.Namespace):
    """The corpus named by --corpus (default: the seed)."""
    from .. import load_corpus

    return load_corpus(getattr(args, "corpus", None))


def load_tokens_from_args(args: argparse.Namespace):
    """The Tokens table chosen by :func:`add_tokens_options`' options (see analysis.tokens.load_tokens)."""
    from ..tokens import load_tokens

    corpus = corpus_from_args(args)  # its annotations live in its own folder (Corpus.home)
    model_set = None
    if getattr(args, "models", None) is not None or getattr(args, "package", None) is not None:
        model_set = model_set_from_args(args)
    return load_tokens(corpus, annotations_dir=getattr(args, "annotations", None), model_set=model_set)


def add_option(parser: argparse.ArgumentParser, *flags: str, **kwargs) -> None:
    """Add an option unless the parser already has it (e.g. from :func:`add_tokens_options`)."""
    if any(f in parser._option_string_actions for f in flags):
        return
    parser.add_argument(*flags, **kwargs)


# -- one vocabulary of options (docs/api.md): --by groups, --field, --window, --top, --where ---------


def _number(text: str, kind, what: str, ok) -> int | float:
    """``text`` as ``kind`` (int or float) if ``ok(value)``, else an argparse error saying ``what`` was expected."""
    try:
        value = kind(text)
    except (TypeError, ValueError):
        value = None
    if value is None or (kind is float and not np.isfinite(value)) or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (``--top``, ``--k``, ``--threads``)."""
    return _number(text, int, "a whole number >= 1", lambda v: v >= 1)


def nonnegative_int(text: str) -> int:
    """argparse type: a whole number >= 0 (``--window``, ``--seed``)."""
    return _number(text, int, "a whole number >= 0", lambda v: v >= 0)


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    return _number(text, float, "a number > 0", lambda v: v > 0)


def nonnegative_float(text: str) -> float:
    """argparse type: a number >= 0."""
    return _number(text, float, "a number >= 0", lambda v: v >= 0)


def probability(text: str) -> float:
    """argparse type: a number strictly between 0 and 1 (``--alpha``, ``--conf``)."""
    return _number(text, float, "a number between 0 and 1 (exclusive)", lambda v: 0 < v < 1)


#: The validated numeric types; every numeric option of every command uses one (tests check it).
NUMERIC_TYPES = (positive_int, nonnegative_int, positive_float, nonnegative_float, probability)


def window_value(text: str) -> int | tuple[int, int]:
    """argparse type for ``--window``: ``5`` (either side) or ``0,3`` (left, right)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        return nonnegative_int(parts[0])
    if len(parts) == 2:
        return nonnegative_int(parts[0]), nonnegative_int(parts[1])
    raise argparse.ArgumentTypeError(f"expected N or LEFT,RIGHT (whole numbers >= 0), not {text!r}")


def add_top_option(parser: argparse.ArgumentParser, default: int | None = None, what: str = "rows") -> None:
    """``--top N``: print at most N rows (N >= 1; default: all, or ``default``)."""
    shown = "all" if default is None else str(default)
    add_option(parser, "--top", type=positive_int, default=default, metavar="N",
               help=f"print at most N {what} (default: {shown})")


def add_where_option(parser: argparse.ArgumentParser) -> None:
    """``--where COLUMN=VALUE`` (repeatable): the one filter syntax of every command.

    ``voice=official`` (equal), ``voice=official,framing`` (any of), ``date=2014-01-01..2014-06-30``
    (inclusive range; ``2014-08..`` leaves the end open). Several --where combine with AND.
    """
    add_option(parser, "--where", type=column_value, action="append", default=[], metavar="COLUMN=VALUE",
               help="keep words whose COLUMN has VALUE; a,b = any of; lo..hi = inclusive range (repeatable: AND)")


def filters_from_args(args: argparse.Namespace, name: str = "where") -> dict:
    """The ``--where`` options as keyword filters for :func:`analysis.select`."""
    from .._core import parse_filter_value
    from ..errors import ParameterError

    out: dict = {}
    for key, value in getattr(args, name, None) or []:
        parsed = parse_filter_value(value)
        if key in out:
            old = out[key]
            if isinstance(old, slice) or isinstance(parsed, slice):
                raise ParameterError(f"--{name} {key}= given twice with a range; give one range per column")
            out[key] = (old if isinstance(old, list) else [old]) + (parsed if isinstance(parsed, list) else [parsed])
        else:
            out[key] = parsed
    return out


def restrict(tokens, args: argparse.Namespace, name: str = "where"):
    """``tokens`` narrowed by the ``--where`` filters (an error if nothing is left)."""
    from .._core import select
    from ..errors import EmptySelectionError

    filters = filters_from_args(args, name)
    if not filters:
        return tokens
    out = select(tokens, **filters).reset_index(drop=True)
    if not len(out):
        shown = " ".join(f"{k}={v}" for k, v in (getattr(args, name, None) or []))
        raise EmptySelectionError(f"--{name} {shown} selects no words; check the column values "
                                  "(e.g. tifa corpus info)")
    return out


def column_value(text: str) -> tuple[str, str]:
    """argparse type for ``COLUMN=VALUE`` (e.g. ``--where voice=official``)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected COLUMN=VALUE, e.g. voice=official, not {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def comma_list(text: str) -> list[str]:
    """argparse type for a comma-separated list (``--groups a,b``)."""
    return [x.strip() for x in text.split(",") if x.strip()]
