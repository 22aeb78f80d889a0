"""Figures of the bilingual analysis: term-translation table, alignment check, features across pairs.

Every function takes a table from :mod:`analysis.bilingual` and returns a matplotlib Figure; none
computes a statistic.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .._core import check_top, require_rows
from ..errors import EmptySelectionError, ParameterError, QueryError
from .style import COLUMN_WIDTH, PAGE_WIDTH, PALETTE, tifa_style

__all__ = ["plot_term_translations", "plot_alignment_scores", "plot_pair_features"]

_GLOSSARY_COLOR = PALETTE[2]  # bluish green: a glossary rendering
_OTHER_COLOR = "#999999"
_MEASURE_LABELS = {"dice": "Dice", "g2": "G²"}


def _require(df: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise QueryError(f"{what} needs columns {missing}; pass the table returned by analysis.bilingual")
    require_rows(df, f"{what}: the table")


def plot_term_translations(table: pd.DataFrame, *, measure: str = "dice", top: int = 5, ncols: int = 4,
                           title: str | None = "English candidates of Chinese key terms") -> plt.Figure:
    """Small multiples, one panel per term: the ``top`` ranked candidates as horizontal bars of
    ``measure`` (``"dice"`` or ``"g2"``), glossary renderings in green; the number on each bar is
    the joint count (aligned units with term and candidate), the title gives the units with the term.

    ``table`` is a :func:`analysis.bilingual.term_translations` table (rows without a rank, i.e.
    glossary renderings not positively associated, are left out).
    """
    if measure not in _MEASURE_LABELS:
        raise ParameterError(f"measure must be one of {', '.join(map(repr, _MEASURE_LABELS))}, not {measure!r}")
    top = check_top(top)
    _require(table, ["term", "rank", "candidate", measure, "in_glossary", "joint", "term_pairs"],
             "plot_term_translations")
    ranked = table.dropna(subset=["rank"])
    terms = list(dict.fromkeys(ranked["term"]))
    if not terms:
        raise EmptySelectionError("plot_term_translations: no ranked candidates in the table")
    ncols = max(1, min(ncols, len(terms)))
    nrows = math.ceil(len(terms) / ncols)
    with tifa_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, 1.35 * nrows + 0.4), squeeze=False)
        xmax = float(ranked[measure].max()) or 1.0
        for ax, term in zip(axes.flat, terms):
            g = ranked[ranked["term"] == term].sort_values("rank").head(top)
            y = np.arange(len(g))[::-1]
            colors = [_GLOSSARY_COLOR if gl else _OTHER_COLOR for gl in g["in_glossary"]]
            ax.barh(y, g[measure], color=colors, height=0.7)
            ax.set_yticks(y)
            ax.set_yticklabels(g["candidate"])
            ax.set_xlim(0, xmax * 1.05)
            ax.set_title(f"{term}  ({int(g['term_pairs'].iloc[0])} units)", fontsize=8, loc="right")
            ax.tick_params(axis="y", length=0)
            for yy, j in zip(y, g["joint"]):
                ax.text(xmax * 0.02, yy, str(int(j)), va="center", ha="left", fontsize=6, color="white")
        for ax in list(axes.flat)[len(terms):]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel(_MEASURE_LABELS[measure])
        handles = [plt.Rectangle((0, 0), 1, 1, color=_GLOSSARY_COLOR), plt.Rectangle((0, 0), 1, 1, color=_OTHER_COLOR)]
        fig.legend(handles, ["glossary rendering", "other candidate"], loc="lower center", ncol=2, frameon=False,
                   bbox_to_anchor=(0.5, -0.02))
        if title:
            fig.suptitle(title)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def plot_alignment_scores(scores: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Figure:
    """Chinese against English paragraph length (characters) of every aligned pair, the fitted
    Gale–Church line ``en = c·zh`` (from the table's ``c`` column) and flagged pairs in vermilion.

    ``scores`` is an :func:`analysis.bilingual.alignment_scores` table.
    """
    _require(scores, ["zh_chars", "en_chars", "flagged", "c", "en_doc", "en_par"], "plot_alignment_scores")
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, COLUMN_WIDTH * 0.85))
        else:
            fig = ax.figure
        ok = ~scores["flagged"].astype(bool)
        ax.scatter(scores.loc[ok, "zh_chars"], scores.loc[ok, "en_chars"], s=12, color=PALETTE[0], label="pair")
        bad = scores[~ok]
        ax.scatter(bad["zh_chars"], bad["en_chars"], s=22, color=PALETTE[5], marker="D", label="flagged")
        for r in bad.itertuples(index=False):
            ax.annotate(f"{r.en_doc} ¶{r.en_par}", (r.zh_chars, r.en_chars), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
        xmax = float(scores["zh_chars"].max())
        c = float(scores["c"].iloc[0])
        ax.plot([0, xmax], [0, c * xmax], color="#555555", lw=0.8, ls="--", label=f"en = {c:.2f} × zh")
        ax.set_xlabel("Chinese paragraph (characters)")
        ax.set_ylabel("English paragraph (characters)")
        ax.legend(frameon=False)
        fig.tight_layout()
    return fig


def plot_pair_features(comparison: pd.DataFrame, *, ax: plt.Axes | None = None,
                       title: str | None = "Translation against original") -> plt.Figure:
    """Dot plot of ``log2(en/zh)`` rate ratios: one row per feature, one colour per pair.

    Right of zero the translation amplifies the feature, left it softens it. ``comparison`` is a
    :func:`analysis.bilingual.compare_pair_features` table; features added or dropped by the
    translation (a zero rate) have no finite ratio and are listed in the x-axis label.
    """
    _require(comparison, ["en_doc", "feature", "log2_ratio", "direction"], "plot_pair_features")
    features = list(dict.fromkeys(comparison["feature"]))
    pairs = list(dict.fromkeys(comparison["en_doc"]))
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.6, 0.28 * len(features) + 1.0))
        else:
            fig = ax.figure
        ypos = {f: i for i, f in enumerate(reversed(features))}
        offsets = np.linspace(-0.25, 0.25, len(pairs)) if len(pairs) > 1 else [0.0]
        for k, (pair, off) in enumerate(zip(pairs, offsets)):
            g = comparison[(comparison["en_doc"] == pair) & np.isfinite(comparison["log2_ratio"].astype(float))]
            ax.scatter(g["log2_ratio"], [ypos[f] + off for f in g["feature"]], s=14,
                       color=PALETTE[k % len(PALETTE)], label=pair, zorder=3)
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_yticks(list(ypos.values()))
        ax.set_yticklabels(list(ypos.keys()))
        special = comparison[comparison["direction"].isin(["added", "dropped"])]
        note = ""
        if len(special):
            items = "; ".join(f"{r.feature}: {r.direction} ({r.en_doc})" for r in special.itertuples(index=False))
            note = "\n" + textwrap.fill("not shown (zero rate): " + items, width=90)
        ax.set_xlabel("log₂(rate in translation / rate in original)  ← softened · amplified →" + note,
                      fontsize=7)
        ax.legend(frameon=False, fontsize=6, loc="best")
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return fig
