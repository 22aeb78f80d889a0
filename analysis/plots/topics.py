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
                     measures: Sequence[str] = ("c_npmi", "c_v", "u_mass", "stability"),
                     measure: str | None = None) -> Figure:
    """Coherence and stability against the number of topics K (a :func:`analysis.topics.sweep` table).

    One panel per measure: each seed's model as a dot, the mean over seeds as a line with error
    bars of ± one standard error across seeds (``sd / √n``, ``ddof=1``: the spread the choice of K
    has to see through). Stability is one number per K (the mean over pairs of seeds), drawn as a
    line without bars; its dots are ``stability_seed`` (each seed's mean agreement with the
    others) where the table has it. The chosen K (from
    :func:`analysis.topics.choose_k`) as a dashed vertical line. In the panel of ``measure`` (the
    measure K was chosen by, default ``"c_npmi"`` when ``chosen_k`` is given) a dotted horizontal
    line marks the one-standard-error bar of :func:`analysis.topics.k_selection` (the highest mean
    minus its standard error): the chosen K is the smallest K whose mean reaches it.
    """
    measures = [m for m in measures if m in sweep.columns]
    if measure is None and chosen_k is not None and "c_npmi" in measures:
        measure = "c_npmi"
    threshold = None
    if measure is not None and chosen_k is not None and {"seed", "stability", measure} <= set(sweep.columns):
        from ..topics import k_selection

        threshold = float(k_selection(sweep, measure=measure)["threshold"].iloc[0])
    with tifa_style():
        fig, axes = plt.subplots(len(measures), 1, figsize=(COLUMN_WIDTH, 1.5 * len(measures) + 0.5),
                                 sharex=True, squeeze=False)
        for ax, m in zip(axes[:, 0], measures):
            dots = "stability_seed" if m == "stability" and "stability_seed" in sweep.columns else m
            ax.scatter(sweep["k"], sweep[dots], s=7, color=PALETTE[0], alpha=0.45, linewidths=0, label="one seed")
            stats = sweep.groupby("k", sort=True)[m].agg(["mean", "std", "count"])
            se = stats["std"] / stats["count"].pow(0.5)
            if m == "stability" or not se.notna().any():
                ax.plot(stats.index, stats["mean"].to_numpy(), color=PALETTE[0], lw=1.2,
                        label="_nolegend_" if m == "stability" else "mean over seeds")
            else:
                ax.errorbar(stats.index, stats["mean"].to_numpy(), yerr=se.to_numpy(), color=PALETTE[0], lw=1.2,
                            elinewidth=0.8, capsize=1.5, label="mean ± 1 SE over seeds")
            if chosen_k is not None:
                ax.axvline(chosen_k, color=PALETTE[5], ls="--", lw=0.9, label=f"chosen K = {chosen_k}")
            if threshold is not None and m == measure:
                ax.axhline(threshold, color=PALETTE[5], ls=":", lw=0.9, label="best mean − 1 SE")
            ax.set_ylabel(_MEASURE_NAMES.get(m, m))
        handles, names = [], []
        for ax in axes[:, 0]:
            for h, n in zip(*ax.get_legend_handles_labels()):
                if n not in names:
                    handles.append(h)
                    names.append(n)
        fig.legend(handles, names, frameon=False, loc="upper center", ncol=2, fontsize=6.5)
        axes[-1, 0].set_xlabel("number of topics K")
        axes[-1, 0].set_xticks(sorted(sweep["k"].unique()))
        fig.align_ylabels(axes[:, 0])
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
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
