"""Theme plots: a groups × themes heatmap and a rate-by-group dot plot with both intervals.

Both take the DataFrame of :func:`analysis.themes.theme_rates` and draw it; they compute nothing.
They take the same ``by=`` as the ``theme_rates`` call that made the table: any grouping column
(``doc_id``, ``voice``, a corpus's own ``source``...) or a list of them, whose values are then
shown joined by " / ".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .._core import as_list
from ..errors import EmptySelectionError, ParameterError, QueryError
from .style import COLUMN_WIDTH, PAGE_WIDTH, PALETTE, VOICE_COLORS, tifa_style

_NEEDED = ("theme", "per_1000")
_JOIN = " / "


def _group_labels(rates: pd.DataFrame, by: str | Sequence[str], extra: tuple[str, ...] = ()) -> pd.Series:
    """One label per row of ``rates``: its ``by`` value, or the values of several ``by`` columns joined."""
    cols = as_list(by)
    if not cols:
        raise ParameterError("by must name the grouping column(s) of the theme_rates table, e.g. by='voice'")
    need = list(_NEEDED) + cols + list(extra)
    missing = [c for c in need if c not in rates.columns]
    if missing:
        raise QueryError(f"this plot needs the theme_rates columns {', '.join(need)}; missing: {', '.join(missing)} "
                         f"(call theme_rates(..., by={by!r}))")
    if rates.empty:
        raise EmptySelectionError("nothing to plot: the theme_rates table is empty")
    labels = rates[cols[0]].astype(str)
    for c in cols[1:]:
        labels = labels + _JOIN + rates[c].astype(str)
    return labels


def _label(value: Any) -> str:
    """A group given as a value or a tuple of values (several ``by`` columns), as its label."""
    return _JOIN.join(map(str, value)) if isinstance(value, tuple) else str(value)


def plot_theme_heatmap(
    rates: pd.DataFrame,
    *,
    by: str | Sequence[str] = "doc_id",
    labels: dict[str, str] | None = None,
    show_values: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
    width: float = PAGE_WIDTH,
    row_height: float = 0.24,
    cmap: str = "cividis",
) -> Figure:
    """Heatmap of theme rates per 1,000 words (``per_1000``): one row per group of ``by``, one column per theme.

    ``rates`` is :func:`analysis.themes.theme_rates` output made with the same ``by``
    (``by="doc_id"`` orders documents by date; rows keep the table's order, columns its theme
    order). ``labels`` maps a group (its label) to its row label (e.g. "2014-08-19 — title").
    ``show_values`` writes each cell's rate. The colour map is cividis (readable with
    colour-vision deficiency). Returns the Figure.
    """
    groups = _group_labels(rates, by)
    rows = list(dict.fromkeys(groups))
    themes = list(dict.fromkeys(rates["theme"].astype(str)))
    grid = (rates.assign(_g=groups, _t=rates["theme"].astype(str))
            .pivot_table(index="_g", columns="_t", values="per_1000", aggfunc="first", dropna=False)
            .reindex(index=rows, columns=themes))
    values = grid.to_numpy(dtype=float)
    labels = labels or {}
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(width, max(1.6, 1.2 + row_height * len(rows))))
        else:
            fig = ax.figure
        img = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap, interpolation="nearest")
        ax.set_xticks(range(len(themes)))
        ax.set_xticklabels([t.replace("_", " ") for t in themes], rotation=35, ha="right")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([str(labels.get(r, r)) for r in rows])
        ax.tick_params(length=0)
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        if show_values:
            finite = values[np.isfinite(values)]
            mid = (finite.max() + finite.min()) / 2 if finite.size else 0
            for i in range(values.shape[0]):
                for j in range(values.shape[1]):
                    v = values[i, j]
                    if np.isfinite(v):
                        ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=5.5,
                                color="black" if v > mid else "white")
        bar = fig.colorbar(img, ax=ax, fraction=0.03, pad=0.02)
        bar.set_label("rate per 1,000 words")
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return fig


def _level(rates: pd.DataFrame) -> str:
    """The confidence level of a theme_rates table as text ("95%"), from its ``attrs`` ("" if unknown)."""
    conf = rates.attrs.get("conf")
    return f"{100 * conf:g}% " if isinstance(conf, (int, float)) else ""


def plot_theme_rates(
    rates: pd.DataFrame,
    *,
    by: str | Sequence[str] = "voice",
    groups: list[Any] | None = None,
    themes: list[str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    width: float = COLUMN_WIDTH,
) -> Figure:
    """Dot plot of theme rates per 1,000 words (``per_1000``) by the groups of ``by``, with both intervals.

    ``rates`` is :func:`analysis.themes.theme_rates` output made with the same ``by``. Each dot
    carries two intervals, told apart by their mark and named in the legend and the axis label:

    * a **thin line with caps**: ``ci_low``–``ci_high``, the token-level exact Poisson interval
      (Garwood) — how precisely these words fix the rate;
    * a **thick translucent band** behind it: ``doc_ci_low``–``doc_ci_high``, the document-level
      bootstrap interval (documents resampled) — how precisely texts like these fix it, the
      interval a claim about the groups needs. Not drawn where it is NaN (a group of one
      document); a table without these columns draws the thin interval only.

    One row per theme, one dot per group, dodged; with ``by="voice"`` voices use the shared
    ``VOICE_COLORS``. ``groups`` (values of ``by``; tuples when ``by`` is a list) and ``themes``
    choose and order what is shown. Returns the Figure.
    """
    labels = _group_labels(rates, by, ("ci_low", "ci_high"))
    all_groups = list(dict.fromkeys(labels))
    groups = [_label(g) for g in groups] if groups is not None else all_groups
    themes = [str(t) for t in themes] if themes is not None else list(dict.fromkeys(rates["theme"].astype(str)))
    unknown = sorted(set(groups) - set(all_groups)) + sorted(set(themes) - set(rates["theme"].astype(str)))
    if unknown:
        raise ParameterError(f"not in the rates table: {', '.join(unknown)}")
    table = rates.assign(_g=labels, _t=rates["theme"].astype(str)).set_index(["_g", "_t"])
    has_doc = {"doc_ci_low", "doc_ci_high"} <= set(rates.columns)
    voices = as_list(by) == ["voice"]
    level = _level(rates)
    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(width, max(1.6, 0.9 + 0.28 * len(themes) * max(1, len(groups)) ** 0.5)))
        else:
            fig = ax.figure
        n = len(groups)
        step = 0.7 / max(n, 1)
        drew_doc = False
        for g_i, g in enumerate(groups):
            color = PALETTE[g_i % len(PALETTE)]
            if voices:
                color = VOICE_COLORS.get(g, color)
            y = np.arange(len(themes)) + (g_i - (n - 1) / 2) * step
            sub = table.reindex([(g, t) for t in themes])
            x = sub["per_1000"].to_numpy(dtype=float)
            lo = sub["ci_low"].to_numpy(dtype=float)
            hi = sub["ci_high"].to_numpy(dtype=float)
            ax.errorbar(x, y, xerr=np.vstack([x - lo, hi - x]), fmt="o", markersize=3, color=color,
                        elinewidth=0.8, capsize=1.5, label=g, zorder=3)
            if has_doc:
                d_lo = sub["doc_ci_low"].to_numpy(dtype=float)
                d_hi = sub["doc_ci_high"].to_numpy(dtype=float)
                ok = np.isfinite(d_lo) & np.isfinite(d_hi)
                if ok.any():
                    ax.hlines(y[ok], d_lo[ok], d_hi[ok], colors=color, linewidth=4.5, alpha=0.3, zorder=2,
                              label=f"_doc_ci_{g}")
                    drew_doc = True
        ax.set_yticks(range(len(themes)))
        ax.set_yticklabels([t.replace("_", " ") for t in themes])
        ax.set_ylim(len(themes) - 0.5, -0.5)
        ax.set_xlim(left=0)
        ax.set_xlabel("rate per 1,000 words")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.grid(axis="x", color="#dddddd", linewidth=0.4)
        ax.set_axisbelow(True)
        handles, names = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], color="#444444", linewidth=0.8, marker="|", markersize=4))
        names.append(f"{level}CI over words (exact Poisson)")
        if drew_doc:
            handles.append(Line2D([], [], color="#444444", linewidth=4.5, alpha=0.3))
            names.append(f"{level}CI over documents (bootstrap)")
        # column-major: the groups in the first column(s), the two intervals in the last
        rows = max(n, len(names) - n)
        ncol = int(np.ceil(n / rows)) + 1
        padded_h, padded_n = [], []
        for chunk in [list(zip(handles[:n], names[:n]))[i:i + rows] for i in range(0, n, rows)] + \
                [list(zip(handles[n:], names[n:]))]:
            chunk = chunk + [(Line2D([], [], alpha=0), "")] * (rows - len(chunk))
            padded_h += [h for h, _ in chunk]
            padded_n += [t for _, t in chunk]
        ax.legend(padded_h, padded_n, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=ncol,
                  handletextpad=0.4, columnspacing=1.2, handlelength=1.6)
        if title:
            ax.set_title(title, pad=8 + 10 * rows)
        fig.tight_layout()
    return fig


__all__ = ["plot_theme_heatmap", "plot_theme_rates"]
