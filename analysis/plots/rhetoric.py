"""Figures of the rhetoric analysis: the profile by any grouping column, and formulas across documents.

Each function takes a table from :mod:`analysis.rhetoric` or :mod:`analysis.phraseology` and returns
a matplotlib Figure; none computes a statistic.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .._core import check_columns, check_int, group_columns
from ..errors import EmptySelectionError, ParameterError
from ..inference import adjusted_label, significance_marks
from ..rhetoric import MIN_EXPECTED, group_label
from .style import PAGE_WIDTH, PALETTE, VOICE_COLORS, tifa_style

__all__ = ["plot_rhetoric_profile", "plot_formulas_across_documents"]


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    check_columns(df, cols, f"draw {what} without")
    if df.empty:
        raise EmptySelectionError(f"{what}: the table is empty, nothing to plot")


#: How the plots and the CLI name a correction (``compare_rhetoric(correction=...)``).


def _correction(comparison: pd.DataFrame) -> str | None:
    """The correction a compare_rhetoric table was made with (its ``attrs``; Holm if only ``p_adjusted`` says so)."""
    if "correction" in comparison.attrs:
        return comparison.attrs["correction"]
    return "holm" if "p_adjusted" in comparison.columns else None


def _p(value: float) -> str:
    """A p-value as text: ``.23``, ``.048``, ``<.001``."""
    if not np.isfinite(value):
        return "–"
    if value < 0.001:
        return "<.001"
    return f"{value:.2f}".lstrip("0") if value >= 0.1 else f"{value:.3f}".lstrip("0")


def plot_rhetoric_profile(profile: pd.DataFrame, comparison: pd.DataFrame | None = None, *,
                          by: str | Sequence[str] = "voice", groups: Sequence | None = None, ncols: int = 4,
                          title: str | None = "Rhetoric profile: rate per 1,000 words") -> plt.Figure:
    """Small multiples, one panel per count feature (each with its own scale): the rate per 1,000
    words (``per_1000``) of every group as a horizontal bar, the rate written at its end, and —
    where the profile has them — the document-level bootstrap interval (``doc_ci_low``,
    ``doc_ci_high``: documents resampled) as a whisker.

    ``profile`` is a :func:`analysis.rhetoric.rhetoric_profile` table and ``by`` the grouping it
    was computed with (any column or columns; voices get their shared colours). ``groups``
    picks and orders the groups shown (values of ``by``; tuples, or labels ``a|b``, for several
    columns; default: all, in the profile's order). Sentence features (length, depth: no rate)
    are left out of this figure.

    With ``comparison`` (a :func:`analysis.rhetoric.compare_rhetoric` table) each panel's title
    carries, after the feature's name, the significance marks (* p<.05, ** p<.01, *** p<.001) of
    the token-level G² test **after the table's correction** (``p_adjusted``: Holm by default, or Benjamini–Hochberg;
    the uncorrected ``p_value`` only for a table made with ``correction=None``); a dagger † where
    the smallest expected count is below 5, with Fisher's exact p (``p_fisher``) on a third line;
    and on the second line the log ratio (LR) and the marks of the document-level bootstrap test
    (``p_doc``, after the same correction: "docs ***", "docs n.s.", "docs –" where a group has
    fewer than two documents). A footnote names the correction, the tests and the interval.
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
    has_doc = {"doc_ci_low", "doc_ci_high"} <= set(counts.columns)
    if has_doc:
        low = counts.pivot(index="feature", columns="_group", values="doc_ci_low").reindex(index=features)
        high = counts.pivot(index="feature", columns="_group", values="doc_ci_high").reindex(index=features)
    titles = {f: f.replace("_", " ") for f in features}
    notes = []
    if has_doc:
        conf = profile.attrs.get("conf")
        level = f"{100 * conf:g}% " if isinstance(conf, (int, float)) else ""
        n_boot = profile.attrs.get("n_boot")
        notes.append(f"Whiskers: {level}interval over documents (cluster bootstrap: documents resampled"
                     + (f", {n_boot} resamples" if n_boot else "") + ").")
    if comparison is not None:
        _require(comparison, ["feature", "p_value", "log_ratio"], "plot_rhetoric_profile (comparison)")
        correction = _correction(comparison)
        p_col = "p_adjusted" if correction else "p_value"
        _require(comparison, [p_col], "plot_rhetoric_profile (comparison)")
        table = comparison.set_index("feature")
        marks = dict(zip(comparison["feature"], significance_marks(comparison[p_col])))
        doc_col = "p_doc_adjusted" if correction else "p_doc"
        has_p_doc = doc_col in comparison.columns
        for f in features:
            lr = table["log_ratio"].get(f, np.nan)
            name = f"{titles[f]} {marks.get(f, '')}".rstrip()
            small = "min_expected" in table.columns and table["min_expected"].get(f, np.nan) < MIN_EXPECTED
            line2 = f"LR {lr:+.2f}" if np.isfinite(lr) else "LR –"
            if has_p_doc:
                p_doc = table[doc_col].get(f, np.nan)
                mark = significance_marks([p_doc])[0] if np.isfinite(p_doc) else "–"
                line2 += f" · docs {mark or 'n.s.'}"
            title_f = name + (" †" if small else "") + "\n" + line2
            if small and "p_fisher" in table.columns:
                title_f += f"\nFisher p {_p(table['p_fisher'].get(f, np.nan))}"
            titles[f] = title_f
        if "groups" in comparison.attrs:
            a, b = comparison.attrs["groups"]
            which = adjusted_label(correction)
            notes.append(f"Marks after the name: log-likelihood G² test (4-cell, 1 d.f.), {a} vs {b}, p {which} "
                         f"over the {len(comparison)} features compared (* p<.05, ** p<.01, *** p<.001); "
                         "† smallest expected count below 5, where G² is unreliable: read Fisher's exact p.")
            if has_p_doc:
                n_boot = comparison.attrs.get("n_boot")
                floor = f" (smallest possible p before correction: 2/{n_boot + 1})" if n_boot else ""
                notes.append(f"docs: bootstrap test on per-document counts (Lijffijt et al. 2016), p {which}"
                             f"{floor}; n.s. = p ≥ .05.")
            notes.append(f"LR = log2 ratio of {a} to {b} rates (Hardie 2014). Punctuation and symbols excluded "
                         "from words.")
    footer = "\n".join(textwrap.fill(n, 190) for n in notes) if notes else None
    ncols = min(ncols, len(features))
    nrows = int(np.ceil(len(features) / ncols))
    title_lines = max(t.count("\n") + 1 for t in titles.values())
    with tifa_style():
        fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                                 figsize=(PAGE_WIDTH, (0.35 * len(shown) + 0.75 + 0.15 * title_lines) * nrows + 0.5))
        y = np.arange(len(shown))[::-1]
        named = VOICE_COLORS if cols == ["voice"] else {}
        colors = [named.get(g, PALETTE[i % len(PALETTE)]) for i, g in enumerate(shown)]
        for k, (ax, f) in enumerate(zip(axes.flat, features)):
            vals = wide.loc[f, shown].to_numpy(dtype=float)
            ax.barh(y, np.nan_to_num(vals), color=colors, height=0.7)
            ends = vals.copy()
            if has_doc:
                lo = low.loc[f, shown].to_numpy(dtype=float)
                hi = high.loc[f, shown].to_numpy(dtype=float)
                ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(vals)
                if ok.any():
                    ax.errorbar(vals[ok], y[ok], xerr=np.vstack([vals[ok] - lo[ok], hi[ok] - vals[ok]]), fmt="none",
                                ecolor="#333333", elinewidth=0.8, capsize=2, zorder=3)
                    ends = np.where(ok, np.fmax(vals, hi), vals)
            top = float(np.nanmax(ends)) if np.isfinite(ends).any() and np.nanmax(ends) > 0 else 1.0
            for yy, v, e in zip(y, vals, ends):
                if np.isfinite(v):
                    ax.annotate(f"{v:.1f}", (e, yy), xytext=(3, 0), textcoords="offset points", va="center",
                                fontsize=6)
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
