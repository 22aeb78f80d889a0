"""Word sketch figure: collocates of a lemma by grammatical relation (logDice bars)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from .._core import check_columns, check_int, check_top
from ..errors import EmptySelectionError
from .style import PAGE_WIDTH, PALETTE, tifa_style


def plot_word_sketch(sketch: pd.DataFrame, *, relations: Sequence[str] | None = None, top: int | None = 6,
                     ncols: int = 3, title: str | None = None):
    """One small panel per relation: its ``top`` collocates (``None``: all) as bars of logDice,
    labelled with frequency.

    ``sketch`` is :func:`analysis.sketch.word_sketch` output (ordered within each relation).
    ``relations`` picks and orders the panels (default: every relation present, in table order);
    relations absent from the sketch are skipped, and none left to draw is an
    :class:`~analysis.errors.EmptySelectionError`.
    """
    check_columns(sketch, ["relation", "collocate", "freq", "log_dice"], "draw a word sketch without")
    check_top(top)
    ncols = check_int(ncols, "ncols", minimum=1)
    rels = list(relations) if relations is not None else list(dict.fromkeys(sketch["relation"]))
    rels = [r for r in rels if (sketch["relation"] == r).any()]
    if not rels:
        raise EmptySelectionError("plot_word_sketch: no relation to draw (the sketch is empty"
                                  + (", or has none of the relations asked for)" if relations is not None else ")"))
    nrows = max(1, math.ceil(len(rels) / ncols))
    with tifa_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, 1.35 * nrows + 0.5), squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(rels):
                ax.axis("off")
                continue
            sub = sketch[sketch["relation"] == rels[i]]
            sub = sub if top is None else sub.head(top)
            y = range(len(sub))
            ax.barh(list(y), sub["log_dice"], color=PALETTE[i % len(PALETTE)], height=0.7)
            ax.set_yticks(list(y), [f"{c} ({f})" for c, f in zip(sub["collocate"], sub["freq"])])
            ax.invert_yaxis()
            ax.set_title(rels[i], fontsize=7.5, loc="left")
            ax.set_xlim(0, 14)
            ax.tick_params(axis="y", labelsize=6.5)
            if i // ncols == nrows - 1 or i + ncols >= len(rels):
                ax.set_xlabel("logDice")
        node = getattr(sketch, "node", None) or title
        fig.suptitle(title or f"Word sketch of {node!r}: collocates by relation (frequency in brackets)",
                     x=0.01, ha="left", fontsize=9)
        fig.tight_layout()
        return fig
