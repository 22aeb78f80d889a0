"""Corpus composition figure: words per post by voice, ordered by date, with outlets."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd

from .style import PAGE_WIDTH, VOICE_COLORS, tifa_style

_VOICE_ORDER = ("official", "framing", "reference", "original")


def plot_composition(composition: pd.DataFrame, *, size: str = "words", ax=None):
    """Horizontal stacked bars: one bar per document (in ``composition``'s order, top down), one segment per voice.

    ``composition`` is :func:`analysis.composition` output (English documents, usually).
    Each bar is labelled with its date and outlet.
    """
    with tifa_style():
        docs = composition.drop_duplicates("doc_id")[["doc_id", "date", "outlet", "title"]].reset_index(drop=True)
        wide = composition.pivot_table(index="doc_id", columns="voice", values=size, aggfunc="sum", fill_value=0)
        wide = wide.reindex(docs.doc_id)
        if ax is None:
            fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.26 * len(docs) + 1.0))
        else:
            fig = ax.figure
        y = range(len(docs))
        left = pd.Series(0, index=wide.index, dtype=float)
        for voice in [v for v in _VOICE_ORDER if v in wide.columns]:
            ax.barh(list(y), wide[voice].values, left=left.values, color=VOICE_COLORS.get(voice, "#777777"),
                    label=voice, height=0.7, edgecolor="white", linewidth=0.3)
            left += wide[voice]
        labels = [f"{r.date or 'undated'} · {r.doc_id}" for r in docs.itertuples()]
        ax.set_yticks(list(y), labels)
        ax.invert_yaxis()
        for i, r in enumerate(docs.itertuples()):
            outlet = textwrap.fill(r.outlet or "outlet not named", 34)
            ax.text(left.iloc[i] + left.max() * 0.01, i, outlet, va="center", fontsize=5.5, color="#444444",
                    linespacing=0.9)
        ax.set_xlim(0, left.max() * 1.35)
        ax.set_xlabel("words per post (before annotation)" if size == "words" else size)
        ax.legend(title="voice", loc="lower right", frameon=False)
        ax.set_title("Words per post by voice, oldest first; labels name the original's outlet", loc="left")
        fig.tight_layout()
        return fig
