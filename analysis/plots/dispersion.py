"""Dispersion plot (AntConc "Plot", quanteda ``textplot_xray``): where each hit falls in each document."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..errors import EmptySelectionError, ParameterError
from .style import PAGE_WIDTH, PALETTE, tifa_style

_NEEDED = ("doc_id", "term", "relative")


def plot_dispersion(
    positions: pd.DataFrame,
    *,
    facet: bool = True,
    labels: dict[str, str] | None = None,
    title: str | None = None,
    width: float = PAGE_WIDTH,
    row_height: float = 0.22,
) -> Figure:
    """One row per document, one tick per hit at its relative position in the document.

    ``positions`` is the DataFrame of :func:`analysis.dispersion_positions`
    (``doc_id``, ``term``, ``relative``). Rows follow the order of its ``doc_id`` categories
    (documents without hits keep an empty row); terms follow its ``term`` categories.
    ``facet=True`` draws one panel per term side by side (quanteda's x-ray layout);
    ``facet=False`` draws every term in one panel, one colour per term, slightly offset.
    ``labels`` maps a doc_id to the label shown on the y axis (e.g. "date — title").
    Returns the Figure; computes nothing.
    """
    missing = [c for c in _NEEDED if c not in positions.columns]
    if missing:
        raise ParameterError(f"plot_dispersion needs the columns {', '.join(_NEEDED)} (from dispersion_positions); "
                             f"missing: {', '.join(missing)}")
    docs = (list(positions["doc_id"].cat.categories) if isinstance(positions["doc_id"].dtype, pd.CategoricalDtype)
            else list(dict.fromkeys(positions["doc_id"])))
    terms = (list(positions["term"].cat.categories) if isinstance(positions["term"].dtype, pd.CategoricalDtype)
             else list(dict.fromkeys(positions["term"])))
    if not docs or not terms:
        raise EmptySelectionError("nothing to plot: no documents or no terms in the positions table")
    row_of = {d: i for i, d in enumerate(docs)}
    labels = labels or {}
    ytick = [str(labels.get(d, d)) for d in docs]
    n_panels = len(terms) if facet else 1
    height = max(1.2, 0.6 + row_height * len(docs))
    with tifa_style():
        fig, axes = plt.subplots(1, n_panels, figsize=(width, height), sharey=True, squeeze=False)
        axes = axes[0]
        for t_i, term in enumerate(terms):
            ax = axes[t_i if facet else 0]
            hits = positions[positions["term"] == term]
            y = hits["doc_id"].map(row_of).to_numpy(dtype=float)
            color = PALETTE[t_i % len(PALETTE)]
            if facet:
                ax.vlines(hits["relative"], y - 0.35, y + 0.35, color=color, linewidth=0.8)
                ax.set_title(str(term))
            else:
                off = (t_i - (len(terms) - 1) / 2) * (0.7 / max(len(terms), 1))
                half = 0.35 / max(len(terms), 1)
                ax.vlines(hits["relative"], y + off - half, y + off + half, color=color, linewidth=0.8,
                          label=str(term))
        for ax in axes:
            ax.set_xlim(-0.01, 1.01)
            ax.set_ylim(len(docs) - 0.5, -0.5)
            ax.set_yticks(range(len(docs)))
            ax.set_yticklabels(ytick)
            for i in range(len(docs)):
                ax.axhline(i, color="#dddddd", linewidth=0.4, zorder=0)
        if not facet and len(terms) > 1:
            axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        if n_panels > 1:
            fig.supxlabel("relative position in document", fontsize=8)
        else:
            axes[0].set_xlabel("relative position in document")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig
