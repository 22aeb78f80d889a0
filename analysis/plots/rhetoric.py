"""Figures of the rhetoric analysis: the profile by any grouping column, and formulas across documents.

Each function takes a table from :mod:`analysis.rhetoric` or :mod:`analysis.phraseology` and returns
a matplotlib Figure; none computes a statistic.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .._core import check_columns, check_int, group_columns
from ..errors import EmptySelectionError, ParameterError
from ..rhetoric import group_label, significance_marks
from .style import PAGE_WIDTH, PALETTE, VOICE_COLORS, tifa_style

__all__ = ["plot_rhetoric_profile", "plot_formulas_across_documents"]


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    check_columns(df, cols, f"draw {what} without")
    if df.empty:
        raise EmptySelectionError(f"{what}: the table is empty, nothing to plot")


def plot_rhetoric_profile(profile: pd.DataFrame, comparison: pd.DataFrame | None = None, *,
                          by: str | Sequence[str] = "voice", groups: Sequence | None = None, ncols: int = 4,
                          title: str | None = "Rhetoric profile: rate per 1,000 words") -> plt.Figure:
    """Small multiples, one panel per count feature (each with its own scale): the rate per 1,000
    words (``per_1000``) of every group as a horizontal bar, the rate written at the bar's end.

    ``profile`` is a :func:`analysis.rhetoric.rhetoric_profile` table and ``by`` the grouping it
    was computed with (any column or columns; voices get their shared colours). ``groups``
    picks and orders the groups shown (values of ``by``; tuples, or labels ``a|b``, for several
    columns; default: all, in the profile's order). With ``comparison`` (a
    :func:`analysis.rhetoric.compare_rhetoric` table) each panel's title carries the significance
    mark of its test (* p<.05, ** p<.01, *** p<.001, uncorrected) and the log ratio (LR) of the
    two groups compared. Sentence features (length, depth: no rate) are left out of this figure.
    """
    cols = group_columns(by)
    _require(profile, [*cols, "feature", "feature_kind", "per_1000"], "plot_rhetoric_profile")
    ncols = check_int(ncols, "ncols", minimum=1)
    counts = profile[profile["feature_kind"] == "count"]
    if counts.empty:
        raise EmptySelectionError("plot_rhetoric_profile: no count features in the profile")
    labels = [group_label(tuple(r)) for r in counts[cols].itertuples(index=False)]
    counts = counts.assign(_group=labels)
    shown = list(dict.fromkeys(labels)) if groups is None else \
        [group_label(tuple(g) if isinstance(g, (list, tuple)) else g) for g in groups]
    features = list(dict.fromkeys(counts["feature"]))
    wide = counts.pivot(index="feature", columns="_group", values="per_1000").reindex(index=features)
    missing = [g for g in shown if g not in wide.columns]
    if missing:
        raise ParameterError(f"plot_rhetoric_profile: groups {missing} are not in the profile (by={by!r}); "
                             f"present: {list(wide.columns)}")
    titles = {f: f.replace("_", " ") for f in features}
    footer = None
    if comparison is not None:
        _require(comparison, ["feature", "p_value", "log_ratio"], "plot_rhetoric_profile (comparison)")
        marks = dict(zip(comparison["feature"], significance_marks(comparison["p_value"])))
        lrs = dict(zip(comparison["feature"], comparison["log_ratio"]))
        for f in features:
            lr = lrs.get(f, np.nan)
            titles[f] = (f"{titles[f]} {marks.get(f, '')}".rstrip()
                         + (f"\nLR {lr:+.2f}" if np.isfinite(lr) else "\nLR –"))
        if "groups" in comparison.attrs:
            a, b = comparison.attrs["groups"]
            footer = (f"Marks: log-likelihood G² test, {a} vs {b} (* p<.05, ** p<.01, *** p<.001, uncorrected); "
                      f"LR = log2 ratio of {a} to {b} rates (Hardie 2014). "
                      "Punctuation and symbols excluded from words.")
    ncols = min(ncols, len(features))
    nrows = int(np.ceil(len(features) / ncols))
    with tifa_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, (0.35 * len(shown) + 0.9) * nrows + 0.5),
                                 squeeze=False)
        y = np.arange(len(shown))[::-1]
        named = VOICE_COLORS if cols == ["voice"] else {}
        colors = [named.get(g, PALETTE[i % len(PALETTE)]) for i, g in enumerate(shown)]
        for k, (ax, f) in enumerate(zip(axes.flat, features)):
            vals = wide.loc[f, shown].to_numpy(dtype=float)
            ax.barh(y, np.nan_to_num(vals), color=colors, height=0.7)
            top = float(np.nanmax(vals)) if np.isfinite(vals).any() and np.nanmax(vals) > 0 else 1.0
            for yy, v in zip(y, vals):
                if np.isfinite(v):
                    ax.annotate(f"{v:.1f}", (v, yy), xytext=(2, 0), textcoords="offset points", va="center", fontsize=6)
            ax.set_xlim(0, top * 1.3)
            ax.set_yticks(y)
            ax.set_yticklabels(shown if k % ncols == 0 else [])
            ax.tick_params(axis="y", length=0)
            ax.set_title(titles[f], fontsize=7)
        for ax in list(axes.flat)[len(features):]:
            ax.set_visible(False)
        if title:
            fig.suptitle(title)
        if footer:
            fig.text(0.01, 0.0, footer, fontsize=5.5, ha="left", va="top")
        fig.tight_layout()
    return fig


def plot_formulas_across_documents(by_document: pd.DataFrame, *, documents: Sequence[str] | None = None,
                                   formulas: Sequence[str] | None = None, ax: plt.Axes | None = None,
                                   title: str | None = "Formulas across documents") -> plt.Figure:
    """A dot matrix: one row per formula, one column per document, a dot where the formula occurs
    (area ∝ occurrences, the count written beside dots above 1).

    ``by_document`` is a :func:`analysis.phraseology.formulas_by_document` table (``formula, doc_id,
    freq``). ``documents``/``formulas`` fix the order (default: order of appearance).
    """
    _require(by_document, ["formula", "doc_id", "freq"], "plot_formulas_across_documents")
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
