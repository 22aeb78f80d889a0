"""Figures of the rhetoric analysis: the profile by voice, and formulas across documents.

Each function takes a table from :mod:`analysis.rhetoric` or :mod:`analysis.formulas` and returns
a matplotlib Figure; none computes a statistic.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import QueryError
from ..rhetoric import significance_marks
from .style import COLUMN_WIDTH, PAGE_WIDTH, PALETTE, VOICE_COLORS, tifa_style

__all__ = ["plot_rhetoric_profile", "plot_formulas_across_documents"]


def _require(df: pd.DataFrame, cols: set[str], what: str, source: str) -> None:
    missing = cols - set(df.columns)
    if missing:
        raise QueryError(f"{what} needs columns {sorted(missing)}; pass the table returned by {source}")
    if df.empty:
        raise QueryError(f"{what}: the table is empty, nothing to plot")


def plot_rhetoric_profile(profile: pd.DataFrame, comparison: pd.DataFrame | None = None, *,
                          groups: Sequence[str] | None = None, ax: plt.Axes | None = None,
                          title: str | None = "Rhetoric profile (rate per 1,000 words)") -> plt.Figure:
    """Horizontal grouped bars: the rate per 1,000 words of each count feature, one bar per group
    (voices in their shared colours). With ``comparison`` (a :func:`analysis.rhetoric.compare_rhetoric`
    table) each feature's label carries its significance mark (* p<.05, ** p<.01, *** p<.001) and
    the log ratio.

    ``profile`` is a :func:`analysis.rhetoric.rhetoric_profile` table; sentence features (length,
    depth: no rate) are left out of this figure.
    """
    _require(profile, {"group", "feature", "kind", "rate_per_1000"}, "plot_rhetoric_profile",
             "analysis.rhetoric.rhetoric_profile")
    counts = profile[profile["kind"] == "count"]
    if counts.empty:
        raise QueryError("plot_rhetoric_profile: no count features in the profile")
    groups = list(groups) if groups is not None else list(dict.fromkeys(counts["group"]))
    features = list(dict.fromkeys(counts["feature"]))
    wide = counts.pivot(index="feature", columns="group", values="rate_per_1000").reindex(index=features)
    missing = [g for g in groups if g not in wide.columns]
    if missing:
        raise QueryError(f"plot_rhetoric_profile: groups {missing} are not in the profile; present: {list(wide.columns)}")
    labels = list(features)
    if comparison is not None:
        _require(comparison, {"feature", "p_value", "log_ratio"}, "plot_rhetoric_profile",
                 "analysis.rhetoric.compare_rhetoric")
        cmp = comparison.set_index("feature")
        marks = dict(zip(comparison["feature"], significance_marks(comparison["p_value"])))
        labels = [f"{f} {marks.get(f, '')}".rstrip() + (f"\nLR {cmp.loc[f, 'log_ratio']:+.2f}"
                                                          if f in cmp.index and np.isfinite(cmp.loc[f, "log_ratio"]) else "")
                  for f in features]
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(COLUMN_WIDTH if len(groups) <= 2 else PAGE_WIDTH / 1.5,
                                            0.45 * len(features) * max(1, len(groups) / 2) + 0.8))
        else:
            fig = ax.figure
        y = np.arange(len(features))[::-1].astype(float)
        height = 0.8 / len(groups)
        for i, g in enumerate(groups):
            color = VOICE_COLORS.get(g, PALETTE[i % len(PALETTE)])
            ax.barh(y + (len(groups) / 2 - i - 0.5) * height, wide[g].to_numpy(dtype=float), height=height,
                    color=color, label=g)
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("rate per 1,000 words (punctuation excluded)")
        ax.legend(frameon=False, loc="lower right")
        if title:
            ax.set_title(title)
        if comparison is not None and "groups" in comparison.attrs:
            a, b = comparison.attrs["groups"]
            ax.annotate(f"G² test {a} vs {b}; LR = log2 ratio", xy=(1, 0), xycoords="axes fraction",
                        xytext=(0, -28), textcoords="offset points", ha="right", fontsize=6)
    return fig


def plot_formulas_across_documents(by_document: pd.DataFrame, *, documents: Sequence[str] | None = None,
                                   formulas: Sequence[str] | None = None, ax: plt.Axes | None = None,
                                   title: str | None = "Formulas across documents") -> plt.Figure:
    """A dot matrix: one row per formula, one column per document, a dot where the formula occurs
    (area ∝ occurrences, the count written beside dots above 1).

    ``by_document`` is a :func:`analysis.formulas.formulas_by_document` table (``formula, doc_id,
    freq``). ``documents``/``formulas`` fix the order (default: order of appearance).
    """
    _require(by_document, {"formula", "doc_id", "freq"}, "plot_formulas_across_documents",
             "analysis.formulas.formulas_by_document")
    docs = list(documents) if documents is not None else list(dict.fromkeys(by_document["doc_id"]))
    forms = list(formulas) if formulas is not None else list(dict.fromkeys(by_document["formula"]))
    xi = {d: i for i, d in enumerate(docs)}
    yi = {f: i for i, f in enumerate(forms)}
    rows = by_document[by_document["doc_id"].isin(xi) & by_document["formula"].isin(yi)]
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(min(PAGE_WIDTH, 1.5 + 0.3 * len(docs)), 0.6 + 0.22 * len(forms)))
        else:
            fig = ax.figure
        x = rows["doc_id"].map(xi).to_numpy(dtype=float)
        y = (len(forms) - 1 - rows["formula"].map(yi)).to_numpy(dtype=float)
        freq = rows["freq"].to_numpy(dtype=float)
        ax.scatter(x, y, s=12 * freq, color=PALETTE[0], zorder=3)
        for xx, yy, f in zip(x, y, freq):
            if f > 1:
                ax.annotate(f"{int(f)}", (xx, yy), xytext=(4, 2), textcoords="offset points", fontsize=5)
        ax.set_xticks(range(len(docs)))
        ax.set_xticklabels(docs, rotation=60, ha="right", fontsize=6)
        ax.set_yticks(range(len(forms)))
        ax.set_yticklabels(forms[::-1], fontsize=6)
        ax.set_xlim(-0.5, len(docs) - 0.5)
        ax.set_ylim(-0.5, len(forms) - 0.5)
        ax.grid(True, color="#dddddd", linewidth=0.5, zorder=0)
        ax.tick_params(length=0)
        if title:
            ax.set_title(title)
    return fig
