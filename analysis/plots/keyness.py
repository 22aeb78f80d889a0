"""Keyness figure: the strongest positive and negative keywords of a target against a reference."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .._core import check_choice, check_probability, check_top
from ..errors import ParameterError
from ..inference import adjusted_label
from .style import PAGE_WIDTH, PALETTE, tifa_style

_SYMBOL = {"g2_4cell": "G²", "g2_2term": "G²", "chi2": "χ²", "chi2_yates": "χ²"}
#: How :func:`plot_keyness` names a correction (``table.attrs["correction"]``) in its legend.
#: A keyword one document carries: more than this share of its occurrences on its key side in one document.
DOC_SHARE_LIMIT = 0.5


def _document_flags(rows: pd.DataFrame, alpha: float) -> np.ndarray | None:
    """True where a keyword is not supported at the document level (see :func:`plot_keyness`); None without the columns."""
    if not {"p_doc", "doc_share"} <= set(rows.columns):
        return None
    share = rows["doc_share"].to_numpy(dtype=float)
    if "doc_share_reference" in rows.columns:
        negative = (rows["direction"] == "negative").to_numpy()
        share = np.where(negative, rows["doc_share_reference"].to_numpy(dtype=float), share)
    p_doc = rows["p_doc"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return ~(p_doc < alpha) | (share > DOC_SHARE_LIMIT)


def plot_keyness(table: pd.DataFrame, *, top: int = 15, target: str = "target", reference: str = "reference",
                 measure: str = "g2_4cell", alpha: float | None = None, ax=None, title: str | None = None):
    """Diverging bars of log ratio (Hardie 2014) for the ``top`` positive and the ``top`` negative keywords.

    ``table`` is :func:`analysis.keyness` output, already ordered by the signed ``measure``
    (positive keywords first, negative last); ``measure`` is the one it was ordered by. Each bar
    is labelled, on the empty side of the zero line, with its ``measure`` and its two
    frequencies, and, when the table has the document-level columns, the largest share of its
    uses in one document (on its key side) and ``p_doc``.

    ``alpha`` (a significance level, e.g. 0.05) turns on two marks, both explained in a legend:

    - **token level, corrected**: bars of keywords whose ``p_adjusted`` (the p-value of
      ``measure`` adjusted by the table's ``correction``: Holm, BH, Bonferroni or Šidák; the
      legend names it) is not below ``alpha`` are drawn hollow; a table computed without a
      correction is compared on ``p_<measure>`` and the legend says "uncorrected";
    - **document level**: keywords not supported by the documents — ``p_doc`` (bootstrap test
      of Lijffijt et al. 2016, uncorrected) not below ``alpha`` or not computable (fewer than
      two documents a side), or more than half their occurrences on their key side in one
      document (``doc_share`` for positive keywords, ``doc_share_reference`` for negative ones,
      > :data:`DOC_SHARE_LIMIT`) — are hatched and their labels marked †.

    Computes no statistic.
    """
    top = check_top(top)
    check_choice(measure, "measure", tuple(_SYMBOL))
    if alpha is not None:
        alpha = check_probability(alpha, "alpha")
    adjusted = "p_adjusted" in table.columns
    p_col = "p_adjusted" if adjusted else f"p_{measure}"
    needed = ["term", "direction", "log_ratio", "freq_target", "freq_reference", measure]
    if alpha is not None:
        needed.append(p_col)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ParameterError(f"plot_keyness draws the table of analysis.keyness; missing columns: {', '.join(missing)}")
    pos = table[table["direction"] == "positive"]
    neg = table[table["direction"] == "negative"]
    if top is not None:
        pos, neg = pos.head(top), neg.tail(top)
    rows = pd.concat([pos, neg])  # table order: strongest positive first, strongest negative last
    has_docs = {"p_doc", "doc_share"} <= set(rows.columns)
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.17 * len(rows) + 1.5))
        else:
            fig = ax.figure
        y = np.arange(len(rows))
        colors = [PALETTE[0] if d == "positive" else PALETTE[1] for d in rows["direction"]]
        if alpha is not None:
            significant = (rows[p_col].to_numpy(dtype=float) < alpha)
            weak = _document_flags(rows, alpha)
        else:
            significant, weak = np.ones(len(rows), dtype=bool), None
        if weak is None:
            weak = np.zeros(len(rows), dtype=bool)
        for yi, x, color, sig, flag in zip(y, rows["log_ratio"], colors, significant, weak):
            ax.barh(yi, x, color=color if sig else "white", edgecolor=color, height=0.7, linewidth=0.8)
            if flag:  # dark hatching over the bar, visible on filled and hollow bars alike
                ax.barh(yi, x, color="none", edgecolor="#222222", hatch="////", height=0.7, linewidth=0)
        labels = [f"{t} †" if flag else str(t) for t, flag in zip(rows["term"], weak)]
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", linewidth=0.6)
        span = float(np.nanmax(np.abs(rows["log_ratio"]))) if len(rows) else 1.0
        for yi, r in zip(y, rows.itertuples()):
            x = r.log_ratio
            label = f"{_SYMBOL[measure]}={getattr(r, measure):.1f} ({r.freq_target}/{r.freq_reference})"
            if has_docs:
                share = r.doc_share_reference if (r.direction == "negative" and hasattr(r, "doc_share_reference")) \
                    else r.doc_share
                if np.isfinite(share):
                    label += f", top doc {share:.0%}"
                label += f", p_doc {r.p_doc:.3f}" if np.isfinite(r.p_doc) else ", p_doc n/a"
            # on the empty side of the zero line: positive keywords' labels left of it, negative ones' right
            ax.text(-0.02 * span if x >= 0 else 0.02 * span, yi, label, va="center",
                    ha="right" if x >= 0 else "left", fontsize=5.5, color="#444444")
        ax.set_xlim(-span * 1.1, span * 1.1)
        ax.set_xlabel(f"log ratio (binary log of relative frequency, {target} / {reference})")
        ax.set_title(title if title is not None else f"Keywords of {target} (blue) and of {reference} (orange)",
                     loc="left")
        if alpha is not None:
            correction = table.attrs.get("correction") if adjusted else None
            which = (f"{adjusted_label(correction)} p" if correction
                     else "adjusted p" if adjusted else "p, uncorrected")
            handles = [Patch(facecolor="#777777", edgecolor="#777777",
                             label=f"filled: {which} < {alpha:g} ({_SYMBOL[measure]}, token level)"),
                       Patch(facecolor="white", edgecolor="#777777", label=f"hollow: {which} ≥ {alpha:g}")]
            if has_docs:
                handles.append(Patch(facecolor="white", edgecolor="#222222", hatch="////",
                                     label=f"† not supported by the documents: p_doc ≥ {alpha:g} (document "
                                           f"bootstrap, uncorrected) or > {DOC_SHARE_LIMIT:.0%} of uses in one document"))
            height = fig.get_size_inches()[1]
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.5 / height), ncol=1,
                      frameon=False, fontsize=6, borderaxespad=0)
        fig.tight_layout()
        return fig
