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
