"""Keyness figure: the strongest positive and negative keywords of a target against a reference."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .._core import check_choice, check_top
from ..errors import ParameterError
from .style import PAGE_WIDTH, PALETTE, tifa_style

_SYMBOL = {"g2_4cell": "G²", "g2_2term": "G²", "chi2": "χ²", "chi2_yates": "χ²"}


def plot_keyness(table: pd.DataFrame, *, top: int = 15, target: str = "target", reference: str = "reference",
                 measure: str = "g2_4cell", alpha: float | None = None, ax=None):
    """Diverging bars of log ratio (Hardie 2014) for the ``top`` positive and the ``top`` negative keywords.

    ``table`` is :func:`analysis.keyness` output, already ordered by the signed ``measure``
    (positive keywords first, negative last); ``measure`` is the one it was ordered by.
    ``alpha`` is the per-test significance level (e.g. Bonferroni-corrected with
    :func:`analysis.keywords.corrected_alpha`); bars of keywords whose p-value (column
    ``p_<measure>``) is not below it are drawn hollow. Each bar is labelled with its ``measure``
    and its two frequencies. Computes no statistic.
    """
    top = check_top(top)
    check_choice(measure, "measure", tuple(_SYMBOL))
    needed = ["term", "direction", "log_ratio", "freq_target", "freq_reference", measure]
    if alpha is not None:
        needed.append(f"p_{measure}")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ParameterError(f"plot_keyness draws the table of analysis.keyness; missing columns: {', '.join(missing)}")
    pos = table[table["direction"] == "positive"]
    neg = table[table["direction"] == "negative"]
    if top is not None:
        pos, neg = pos.head(top), neg.tail(top)
    rows = pd.concat([pos, neg])  # table order: strongest positive first, strongest negative last
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.17 * len(rows) + 1.1))
        else:
            fig = ax.figure
        y = np.arange(len(rows))
        colors = [PALETTE[0] if d == "positive" else PALETTE[1] for d in rows["direction"]]
        significant = rows[f"p_{measure}"] < alpha if alpha is not None else pd.Series(True, index=rows.index)
        ax.barh(y, rows["log_ratio"], color=[c if s else "white" for c, s in zip(colors, significant)],
                edgecolor=colors, height=0.7, linewidth=0.8)
        ax.set_yticks(y, rows["term"].astype(str))
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", linewidth=0.6)
        span = float(np.nanmax(np.abs(rows["log_ratio"]))) if len(rows) else 1.0
        for yi, r in zip(y, rows.itertuples()):
            x = r.log_ratio
            label = f"{_SYMBOL[measure]}={getattr(r, measure):.1f} ({r.freq_target}/{r.freq_reference})"
            ax.text(x + (0.02 * span if x >= 0 else -0.02 * span), yi, label, va="center",
                    ha="left" if x >= 0 else "right", fontsize=5.5, color="#444444")
        ax.set_xlim(-span * 1.6, span * 1.6)
        ax.set_xlabel(f"log ratio (binary log of relative frequency, {target} / {reference})")
        note = f"; hollow: p ≥ {alpha:.2g}" if alpha is not None else ""
        ax.set_title(f"Keywords of {target} (blue) and of {reference} (orange){note}", loc="left")
        fig.tight_layout()
        return fig
