"""Collocation network figure in the style of GraphColl (Brezina, McEnery & Wattam 2015).

The node sits in the centre; its collocates around it, their own collocates further out. Edge
width shows the association measure; stronger edges pull words closer. The layout is a
Fruchterman–Reingold force-directed layout (Fruchterman & Reingold 1991) started from positions
drawn with ``seed``, so the same edges and seed always give the same (byte-identical) figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..errors import EmptySelectionError, ParameterError
from .style import PAGE_WIDTH, tifa_style

_NEEDED = ("source", "target", "level", "value")
#: Okabe–Ito colours by distance from the node: node, level 1, level 2, level 3+.
LEVEL_COLORS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7")


def _network_layout(nodes: list[str], edges: list[tuple[int, int, float]], *, seed: int = 0,
                   iterations: int = 300, fixed: int | None = 0) -> np.ndarray:
    """Fruchterman–Reingold positions (n × 2) for ``nodes``; ``edges`` = (i, j, weight in (0, 1]).

    Attraction along an edge is scaled by its weight; node ``fixed`` stays at the origin.
    Deterministic for a given ``seed``.
    """
    n = len(nodes)
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(n, 2))
    if fixed is not None:
        pos[fixed] = 0.0
    if n == 1:
        return pos
    k = np.sqrt(4.0 / n)
    src = np.array([e[0] for e in edges], dtype=int)
    dst = np.array([e[1] for e in edges], dtype=int)
    w = np.array([e[2] for e in edges], dtype=float)
    temperature = 0.2
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta ** 2).sum(axis=-1)) + 1e-9
        disp = ((k * k / dist ** 2)[:, :, None] * delta).sum(axis=1)
        d_edge = pos[src] - pos[dst]
        l_edge = np.sqrt((d_edge ** 2).sum(axis=1)) + 1e-9
        pull = (l_edge * w / k)[:, None] * d_edge
        np.add.at(disp, src, -pull)
        np.add.at(disp, dst, pull)
        length = np.sqrt((disp ** 2).sum(axis=1)) + 1e-9
        pos = pos + disp / length[:, None] * np.minimum(length, temperature)[:, None]
        if fixed is not None:
            pos[fixed] = 0.0
        temperature *= 0.985
    return pos


def plot_collocation_network(
    edges: pd.DataFrame,
    *,
    seed: int = 0,
    ax=None,
    title: str | None = None,
    width: float = PAGE_WIDTH,
    iterations: int = 300,
) -> Figure:
    """Draw a collocation network from the edges of :func:`analysis.collocation_network`.

    ``edges`` has columns ``source``, ``target``, ``level`` and ``value`` (the measure; its name
    in ``measure`` if present). The first ``source`` is the node, drawn in the centre. Edge width
    grows linearly with ``value`` (0.6–4 pt); words are coloured by level (Okabe–Ito). Returns
    the Figure (the one ``ax`` belongs to, if given); computes no statistic.
    """
    missing = [c for c in _NEEDED if c not in edges.columns]
    if missing:
        raise ParameterError(f"plot_collocation_network needs the columns {', '.join(_NEEDED)} "
                             f"(from collocation_network); missing: {', '.join(missing)}")
    if len(edges) == 0:
        raise EmptySelectionError("no edges to draw: lower min_freq or widen the window in collocation_network")
    root = str(edges["source"].iloc[0])
    names: dict[str, int] = {root: 0}
    level_of: dict[str, int] = {root: 0}
    for rec in edges.itertuples(index=False):
        for word in (str(rec.source), str(rec.target)):
            if word not in names:
                names[word] = len(names)
                level_of[word] = int(rec.level)
    values = edges["value"].to_numpy(dtype=float)
    finite = np.isfinite(values)
    lo, hi = (values[finite].min(), values[finite].max()) if finite.any() else (0.0, 1.0)
    scaled = np.where(finite, (values - lo) / (hi - lo) if hi > lo else 1.0, 0.0)
    pairs = [(names[str(s)], names[str(t)], 0.3 + 0.7 * float(x))
             for s, t, x in zip(edges["source"], edges["target"], scaled)]
    pos = _network_layout(list(names), pairs, seed=seed, iterations=iterations)
    measure = str(edges["measure"].iloc[0]) if "measure" in edges.columns else "value"

    with tifa_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(width, width * 0.75))
        else:
            fig = ax.figure
        for (i, j, _), x in zip(pairs, scaled):
            ax.plot([pos[i, 0], pos[j, 0]], [pos[i, 1], pos[j, 1]], color="#999999",
                    linewidth=0.6 + 3.4 * float(x), alpha=0.8, zorder=1, solid_capstyle="round")
        levels = np.array([level_of[w] for w in names])
        colors = [LEVEL_COLORS[min(lv, len(LEVEL_COLORS) - 1)] for lv in levels]
        sizes = np.where(levels == 0, 160, np.where(levels == 1, 70, 35))
        ax.scatter(pos[:, 0], pos[:, 1], s=sizes, c=colors, zorder=2, edgecolors="white", linewidths=0.6)
        for word, i in names.items():
            ax.annotate(word, pos[i], xytext=(0, 5 if levels[i] else 7), textcoords="offset points",
                        ha="center", va="bottom", fontsize=9 if levels[i] == 0 else 7,
                        zorder=3,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
        handles = [Line2D([], [], marker="o", linestyle="", color=LEVEL_COLORS[min(lv, 3)],
                          label="node" if lv == 0 else f"level {lv} collocate")
                   for lv in sorted(set(levels.tolist()))]
        handles.append(Line2D([], [], color="#999999", linewidth=2, label=f"edge width: {measure}"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), frameon=False)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        margin = 0.15
        ax.set_xlim(pos[:, 0].min() - margin, pos[:, 0].max() + margin)
        ax.set_ylim(pos[:, 1].min() - margin, pos[:, 1].max() + margin * 1.5)
        ax.set_title(title if title is not None else f"Collocation network of \u201c{root}\u201d ({measure})")
    return fig
