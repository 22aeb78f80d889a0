"""Topic-model figures: the model-selection curve, top terms per topic, prevalence by group.

Each function draws a table returned by :mod:`analysis.topics` and returns a Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from .._core import as_list, require_rows
from ..errors import QueryError
from .style import COLUMN_WIDTH, PAGE_WIDTH, PALETTE, VOICE_COLORS, tifa_style

_MEASURE_NAMES = {"c_v": "C_V coherence", "c_npmi": "C_NPMI coherence", "u_mass": "UMass coherence",
                  "stability": "stability (mean Jaccard)"}


def plot_topic_sweep(sweep: pd.DataFrame, *, chosen_k: int | None = None,
                     measures: Sequence[str] = ("c_npmi", "c_v", "u_mass", "stability")) -> Figure:
    """Coherence and stability against the number of topics K (a :func:`analysis.topics.sweep` table).

    One panel per measure: each seed's model as a dot, the mean over seeds as a line; the chosen
    K (from :func:`analysis.topics.choose_k`) as a dashed vertical line.
    """
    measures = [m for m in measures if m in sweep.columns]
    with tifa_style():
        fig, axes = plt.subplots(len(measures), 1, figsize=(COLUMN_WIDTH, 1.5 * len(measures) + 0.4),
                                 sharex=True, squeeze=False)
        for ax, m in zip(axes[:, 0], measures):
            ax.scatter(sweep["k"], sweep[m], s=8, color=PALETTE[0], alpha=0.5, linewidths=0, label="seed")
            mean = sweep.groupby("k", sort=True)[m].mean()
            ax.plot(mean.index, mean.to_numpy(), color=PALETTE[0], lw=1.2, label="mean over seeds")
            if chosen_k is not None:
                ax.axvline(chosen_k, color=PALETTE[5], ls="--", lw=0.9, label=f"chosen K = {chosen_k}")
            ax.set_ylabel(_MEASURE_NAMES.get(m, m))
        axes[0, 0].legend(frameon=False, loc="best")
        axes[-1, 0].set_xlabel("number of topics K")
        axes[-1, 0].set_xticks(sorted(sweep["k"].unique()))
        fig.align_ylabels(axes[:, 0])
        fig.tight_layout()
    return fig


def plot_top_terms(terms: pd.DataFrame, *, labels: Mapping[int, str] | pd.DataFrame | None = None,
                   ncols: int = 3) -> Figure:
    """Top terms of each topic as horizontal bars of their weight φ (a :func:`analysis.topics.top_terms`
    table); one small panel per topic, titled by its label (``labels``: topic → label, or a
    :func:`analysis.topics.topic_labels` table)."""
    if isinstance(labels, pd.DataFrame):
        labels = dict(zip(labels["topic"], labels["label"]))
    labels = labels or {}
    topics = sorted(terms["topic"].unique())
    ncols = max(1, min(ncols, len(topics)))
    nrows = math.ceil(len(topics) / ncols) if topics else 1
    n = int(terms.groupby("topic").size().max()) if len(terms) else 1
    with tifa_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, nrows * (0.16 * n + 0.7)), squeeze=False)
        for ax in axes.flat[len(topics):]:
            ax.set_visible(False)
        for ax, t in zip(axes.flat, topics):
            rows = terms[terms["topic"] == t].sort_values("rank" if "rank" in terms else "weight",
                                                         ascending="rank" in terms)
            ax.barh(range(len(rows)), rows["weight"].to_numpy(), color=PALETTE[int(t) % (len(PALETTE) - 1)])
            ax.set_yticks(range(len(rows)))
            ax.set_yticklabels(rows["term"].astype(str).tolist())
            ax.invert_yaxis()
            title = f"{t}: {labels.get(int(t), '')}".rstrip(": ")
            ax.set_title(title if len(title) <= 32 else title[:31] + "…", loc="left", fontsize=7.5)
            ax.tick_params(axis="x", labelsize=6)
        fig.supxlabel("weight (p(term | topic))", fontsize=8)
        fig.tight_layout()
    return fig


def plot_topic_prevalence(prevalence: pd.DataFrame, *, by: str | Sequence[str] = "voice",
                          labels: Mapping[int, str] | pd.DataFrame | None = None, ax=None) -> Figure:
    """Topic prevalence per group (a :func:`analysis.topics.topic_prevalence` table, with the same
    ``by``) as grouped horizontal bars: one row per topic, one bar per group (voices in their
    shared colours; several ``by`` columns name a group by their values joined with " / ")."""
    cols = as_list(by)
    missing = [c for c in (*cols, "topic", "prevalence") if c not in prevalence.columns]
    if missing:
        raise QueryError(f"plot_topic_prevalence needs columns {missing}: a topic_prevalence table with the same by=")
    require_rows(prevalence, "the prevalence table")
    if isinstance(labels, pd.DataFrame):
        labels = dict(zip(labels["topic"], labels["label"]))
    labels = labels or {}
    topics = sorted(prevalence["topic"].unique())
    names = (prevalence[cols].astype(str).agg(" / ".join, axis=1) if cols
             else pd.Series("all", index=prevalence.index))
    groups = list(dict.fromkeys(names))
    title = " / ".join(cols) if cols else None
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.4, 0.3 * len(topics) * max(1, len(groups)) / 2 + 1))
        else:
            fig = ax.figure
        height = 0.8 / max(1, len(groups))
        for gi, g in enumerate(groups):
            sub = prevalence[names == g].set_index("topic")["prevalence"]
            vals = [float(sub.get(t, 0.0)) for t in topics]
            color = VOICE_COLORS.get(g, PALETTE[gi % len(PALETTE)]) if cols == ["voice"] else PALETTE[gi % len(PALETTE)]
            ax.barh([i + gi * height for i in range(len(topics))], vals, height=height, color=color, label=g)
        ax.set_yticks([i + height * (len(groups) - 1) / 2 for i in range(len(topics))])
        ax.set_yticklabels([f"{t}: {labels[int(t)]}" if int(t) in labels else str(t) for t in topics])
        ax.invert_yaxis()
        ax.set_xlabel("prevalence (length-weighted mean topic share)")
        ax.legend(frameon=False, title=title, loc="best")
        fig.tight_layout()
    return fig
