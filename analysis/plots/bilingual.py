"""Figures of the bilingual analysis: term-translation table, alignment check, features across pairs.

Every function takes a table from :mod:`analysis.bilingual` and returns a matplotlib Figure; none
computes a statistic.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
import numpy as np
import pandas as pd

from .._core import check_top, require_rows
from ..bilingual import ALL_PAIRS as _ALL_PAIRS
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


_CLAIMS = ("amplified", "softened")


def _clipped(values, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.asarray(values, dtype=float), lo, hi)


def plot_pair_features(comparison: pd.DataFrame, *, ax: plt.Axes | None = None,
                       title: str | None = "Translation against original: hits over the same aligned paragraphs"
                       ) -> plt.Figure:
    """Ratios of counts, translation over original, with their two intervals: one band per feature.

    ``comparison`` is a :func:`analysis.bilingual.compare_pair_features` table (or several
    concatenated). In each feature's band, the rows pooling every pair (``en_doc == "all pairs"``,
    black, on top) and one row per pair (a colour each) show ``ratio`` (hits in the translation ÷
    hits in the original over the same aligned paragraphs, log scale), a thin line for the
    token-level interval (``ci_low``–``ci_high``) and a thick translucent bar for the
    document-level one (``doc_ci_low``–``doc_ci_high``: a pair's aligned paragraphs, or the
    document pairs, resampled); limits beyond the axis end in an arrow. A filled marker is a
    direction the table claims (``amplified``/``softened``: both intervals on one side of 1), a
    hollow one is not. Where the table has a ``kind`` column (e.g. "rhetoric", "theme"), a darker
    line separates the kinds and names them. Where the table has ``per_1000_ratio``, a grey × marks the ratio of rates
    per 1,000 words of the pooled rows: what the per-word comparison would have shown. Features
    a side never has (``added``/``dropped``: no finite ratio) are listed in the footnote, which
    also states the unit.
    """
    _require(comparison, ["en_doc", "feature", "ratio", "ci_low", "ci_high", "doc_ci_low", "doc_ci_high",
                          "direction"], "plot_pair_features")
    table = comparison.reset_index(drop=True)
    features = list(dict.fromkeys(table["feature"]))
    pairs = [p for p in dict.fromkeys(table["en_doc"]) if p != _ALL_PAIRS]
    levels = ([_ALL_PAIRS] if (table["en_doc"] == _ALL_PAIRS).any() else []) + pairs
    ratio = table["ratio"].to_numpy(dtype=float)
    shown = np.isfinite(ratio) & (ratio > 0)
    if shown.any():
        lo = min(0.25, float(ratio[shown].min()) / 2)
        hi = max(4.0, float(ratio[shown].max()) * 2)
    else:
        lo, hi = 0.25, 4.0
    lo, hi = 2.0 ** np.floor(np.log2(lo)), 2.0 ** np.ceil(np.log2(hi))  # the axis ends on powers of 2
    colors = {p: PALETTE[k % (len(PALETTE) - 1)] for k, p in enumerate(pairs)}
    colors[_ALL_PAIRS] = "#000000"
    band = max(len(levels), 1)
    step = 0.8 / band
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.075 * band * len(features) + 2.2))
        else:
            fig = ax.figure
        ax.set_xscale("log", base=2)
        ypos = {f: len(features) - 1 - i for i, f in enumerate(features)}
        handles = []
        # the data artists carry labels starting with "_" (kept out of the legend; proxies name them)
        for k, level in enumerate(levels):
            g = table[(table["en_doc"] == level) & shown]
            y = np.array([ypos[f] for f in g["feature"]], dtype=float) + 0.4 - step * (k + 0.5)
            color = colors[level]
            big = level == _ALL_PAIRS
            for lo_col, hi_col, width, alpha in (("doc_ci_low", "doc_ci_high", 4.0 if big else 2.6, 0.3),
                                                 ("ci_low", "ci_high", 1.0 if big else 0.7, 1.0)):
                low_v, high_v = g[lo_col].to_numpy(dtype=float), g[hi_col].to_numpy(dtype=float)
                ok = ~np.isnan(low_v) & ~np.isnan(high_v)
                ax.hlines(y[ok], _clipped(low_v[ok], lo, hi), _clipped(high_v[ok], lo, hi), color=color, lw=width,
                          alpha=alpha, zorder=2, label=f"_{lo_col[:-4]}")
                if alpha == 1.0:  # arrows where an interval runs past the axis
                    for side_mask, x, mark in ((ok & (high_v > hi), hi, ">"), (ok & (low_v < lo), lo, "<")):
                        if side_mask.any():
                            ax.scatter(np.full(side_mask.sum(), x), y[side_mask], marker=mark, s=8, color=color,
                                       zorder=3, clip_on=False, label="_beyond")
            claimed = g["direction"].isin(_CLAIMS).to_numpy()
            size = 26 if big else 14
            marker = "D" if big else "o"
            ax.scatter(g["ratio"][claimed], y[claimed], s=size, marker=marker, color=color, zorder=4,
                       label="_ratio")
            ax.scatter(g["ratio"][~claimed], y[~claimed], s=size, marker=marker, facecolor="white",
                       edgecolor=color, linewidth=0.9, zorder=4, label="_ratio")
            handles.append(Line2D([], [], ls="", marker=marker, color=color, markersize=4 if big else 3.5,
                                  label="all pairs (document pairs resampled)" if big else level))
            if big and "per_1000_ratio" in g.columns:
                pr = g["per_1000_ratio"].to_numpy(dtype=float)
                ok = np.isfinite(pr) & (pr > 0)
                ax.scatter(_clipped(pr[ok], lo, hi), y[ok], marker="x", s=16, color="#888888", linewidth=0.9,
                           zorder=3, label="_per_1000_ratio")
                handles.append(Line2D([], [], ls="", marker="x", color="#888888", markersize=4,
                                      label="all pairs: ratio of rates per 1,000 words (not comparable)"))
        ax.axvline(1.0, color="#555555", lw=0.8, zorder=1)
        kind = (dict(zip(table["feature"], table["kind"].astype(str))) if "kind" in table.columns
                else dict.fromkeys(features, ""))
        for prev, f in zip(features, features[1:]):
            new_kind = kind[f] != kind[prev]
            ax.axhline(ypos[f] + 0.5, color="#888888" if new_kind else "#e6e6e6", lw=0.8 if new_kind else 0.5,
                       zorder=0)
        for f in features:  # a group's name (the table's ``kind``) at the top right of its first band
            if kind[f] and (f == features[0] or kind[features[features.index(f) - 1]] != kind[f]):
                ax.text(hi, ypos[f] + 0.45, kind[f], ha="right", va="top", fontsize=6, style="italic",
                        color="#555555")
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.5, len(features) - 0.5)
        ax.set_yticks(list(ypos.values()))
        ax.set_yticklabels(list(ypos.keys()))
        ax.tick_params(axis="y", length=0)
        ticks = [2.0 ** e for e in range(int(np.log2(lo)), int(np.log2(hi)) + 1)]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"1/{int(round(1 / t))}" if t < 1 else f"{t:g}" for t in ticks])
        ax.set_xlabel("hits in the English translation ÷ hits in the Chinese original (same aligned paragraphs, "
                      "log scale)\n← more in the original · more in the translation →")
        ax.legend(handles=handles, frameon=False, fontsize=6, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3,
                  handletextpad=0.3, columnspacing=1.2)
        conf = comparison.attrs.get("conf")
        pct = f"{100 * conf:g}% " if isinstance(conf, float) else ""
        note = ("Unit: counts over the same aligned paragraphs (the same content in both languages), not rates per "
                "1,000 words: a Chinese word is a segmenter's decision, and neither Han characters nor English words "
                "are the other's unit. Each language's hits come from its own dictionary entries or detectors: "
                f"compare features with each other. Thin line: {pct}exact Poisson interval (token level); thick "
                f"bar: {pct}bootstrap interval resampling a pair's aligned paragraphs, or the document pairs for "
                "'all pairs' (document level; few pairs make it rough). Filled: a direction both intervals "
                "support; hollow: none.")
        special = table[table["direction"].isin(["added", "dropped"])]
        if len(special):
            items = []
            for r in special.itertuples(index=False):
                hits = ""
                if "en_count" in table.columns and "zh_count" in table.columns:
                    n = int(max(r.en_count, r.zh_count))
                    hits = f", {n} hit{'s' if n != 1 else ''}"
                items.append(f"{r.feature} {r.direction} ({r.en_doc}{hits})")
            note += " No finite ratio (zero hits on one side): " + "; ".join(items) + "."
        if title:
            ax.set_title(title, pad=26)
        fig.tight_layout()
        fig.text(0.01, 0.0, textwrap.fill(note, width=175), fontsize=5.5, ha="left", va="top")
    return fig
