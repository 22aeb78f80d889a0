"""Keyness: which terms are unusually frequent in one subcorpus compared with another.

:func:`keyness` compares a *target* and a *reference* subcorpus of a Tokens table (voice
``official`` against ``framing``, one outlet against the rest, one document against the corpus)
and returns one row per term with every statistic of the field, computed over the whole vocabulary
at once with numpy.

For a term with frequency ``a`` in the target (``c`` words, :func:`analysis.is_word`) and ``b``
in the reference (``d`` words), the 2×2 table is::

                     target    reference
    term               a           b
    other words      c - a       d - b

with expected frequencies ``E_ij = row_i · col_j / N`` (``N = c + d``). The individual measures
are separate functions (:func:`log_likelihood_4cell`, :func:`log_likelihood_2term`,
:func:`chi_squared`, :func:`log_ratio`, :func:`percent_diff`, :func:`simple_maths`) that take
array-valued ``a, b, c, d`` and are tested one by one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import xlogy

from ._core import check_choice, check_int, check_probability, check_top, is_word, selection_mask, term_codes
from .contingency import chi_squared_2x2, log_likelihood_2x2, table_2x2
from .errors import EmptySelectionError

#: Statistics :func:`keyness` can rank and test by (``measure=``; column names of its result).
MEASURES = ("g2_4cell", "g2_2term", "chi2", "chi2_yates")
#: Multiple-comparison corrections accepted by :func:`keyness` (``correction=``).
CORRECTIONS = (None, "bonferroni", "sidak")


# --------------------------------------------------------------------------------------------
# the measures (vectorised over terms)
# --------------------------------------------------------------------------------------------

def _table(a, b, c, d):
    """Observed and expected cells of term × subcorpus: ``a, b`` the term's frequencies in target
    and reference, ``c, d`` the two corpus sizes (:func:`analysis.contingency.table_2x2`)."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return table_2x2(a, b, c - a, d - b)


def log_likelihood_4cell(a, b, c, d):
    """Log-likelihood G² summed over all four cells of the 2×2 table (Dunning 1993).

    ``G² = 2 Σ_ij O_ij ln(O_ij / E_ij)`` over ``a, b, c-a, d-b``; this is the likelihood-ratio
    statistic of the 2×2 table (``scipy.stats.chi2_contingency(..., lambda_="log-likelihood")``)
    and the "4-term" log-likelihood of AntConc. ``0 · ln 0`` is taken as 0.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return log_likelihood_2x2(a, b, c - a, d - b)


def log_likelihood_2term(a, b, c, d):
    """Log-likelihood in the two-term form of Rayson & Garside (2000) and Rayson's LL wizard.

    ``G² = 2 (a ln(a/E1) + b ln(b/E2))`` with ``E1 = c(a+b)/(c+d)``, ``E2 = d(a+b)/(c+d)``:
    the sum over the two observed term cells only (https://ucrel.lancs.ac.uk/llwizard.html).
    ``0 · ln 0`` is taken as 0. Slightly larger than the 4-cell value for small corpora.
    """
    obs, exp = _table(a, b, c, d)
    return 2.0 * np.sum(xlogy(obs[:2], obs[:2]) - xlogy(obs[:2], exp[:2]), axis=0)


def chi_squared(a, b, c, d, yates: bool = False):
    """Pearson's χ² of the 2×2 table, optionally with Yates's continuity correction.

    ``χ² = Σ (O - E)² / E`` over the four cells. With ``yates=True`` each observed count is moved
    0.5 towards its expected value (never past it), exactly as ``scipy.stats.chi2_contingency``
    does for one degree of freedom (Yates 1934).
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return chi_squared_2x2(a, b, c - a, d - b, yates=yates)


def log_ratio(a, b, c, d, zero_adjustment: float = 0.5):
    """Log ratio (Hardie 2014): the binary log of the ratio of relative frequencies.

    ``log2((a/c) / (b/d))``. A zero frequency is replaced by ``zero_adjustment`` (0.5, as in
    CQPweb and AntConc) so that terms absent from one side get a finite value. Each unit is a
    doubling: 1 means twice as frequent in the target, -1 half as frequent.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    a = np.where(a == 0, zero_adjustment, a)
    b = np.where(b == 0, zero_adjustment, b)
    return np.log2((a / c) / (b / d))


def percent_diff(a, b, c, d, zero_adjustment: float = 0.5):
    """%DIFF (Gabrielatos & Marchi 2011): the percentage difference of normalised frequencies.

    ``%DIFF = (NF_target - NF_reference) · 100 / NF_reference``. A zero reference (or target)
    frequency is replaced by ``zero_adjustment`` (0.5, as AntConc does; Gabrielatos & Marchi
    used 1e-18, which makes %DIFF of reference-absent terms astronomically large).
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    a = np.where(a == 0, zero_adjustment, a)
    b = np.where(b == 0, zero_adjustment, b)
    nf_t, nf_r = a / c, b / d
    return (nf_t - nf_r) * 100.0 / nf_r


def simple_maths(a, b, c, d, n: float = 1.0):
    """Simple maths keyness score (Kilgarriff 2009, Sketch Engine).

    ``(fpm_target + n) / (fpm_reference + n)`` with ``fpm`` the frequency per million tokens and
    ``n`` the smoothing constant (1 by default; larger ``n`` favours commoner words).
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return (a / c * 1e6 + n) / (b / d * 1e6 + n)


def chi2_sf(statistic) -> np.ndarray:
    """Upper-tail p-value of a χ² statistic on one degree of freedom (``scipy.stats.chi2.sf``).

    Many terms share the same frequencies, hence the same statistic: the survival function is
    evaluated once per distinct value, which keeps whole-vocabulary keyness fast.
    """
    x = np.asarray(statistic, dtype=float)
    uniq, inverse = np.unique(x, return_inverse=True)
    return stats.chi2.sf(uniq, 1)[inverse.reshape(x.shape)]


def corrected_alpha(alpha: float, m: int, correction: str | None) -> float:
    """Per-test significance level for ``m`` tests: Bonferroni ``α/m``, Šidák ``1-(1-α)^(1/m)``."""
    check_choice(correction, "correction", CORRECTIONS)
    alpha = check_probability(alpha, "alpha")
    m = max(int(m), 1)
    if correction == "bonferroni":
        return alpha / m
    if correction == "sidak":
        return 1.0 - (1.0 - alpha) ** (1.0 / m)
    return alpha


# --------------------------------------------------------------------------------------------
# keyness over the whole vocabulary
# --------------------------------------------------------------------------------------------

def keyness(
    tokens: pd.DataFrame,
    target: Any,
    reference: Any = None,
    *,
    field: str = "lemma",
    case_sensitive: bool = False,
    min_freq: int = 1,
    alpha: float | None = None,
    correction: str | None = None,
    min_effect: float | None = None,
    measure: str = "g2_4cell",
    zero_adjustment: float = 0.5,
    simple_maths_n: float = 1.0,
    top: int | None = None,
) -> pd.DataFrame:
    """Keyness of every term of a target subcorpus against a reference subcorpus.

    ``target`` and ``reference`` are dicts of filters, with the meaning of :func:`analysis.select`
    (``{"voice": "official"}``, ``{"voice": ["official", "original"]}`` = any of,
    ``{"date": slice("2014-01-01", "2014-06-30")}`` = inclusive range), or boolean masks with one
    value per row; the default reference is every row not in the target. The reference may
    overlap the target (one document against the whole corpus), but the tests assume two
    independent samples, so disjoint subcorpora are the sound choice. Restrict the Tokens first
    (e.g. ``analysis.select(tokens, lang="en")``) so that English and Chinese are not mixed.
    Terms are read from ``field`` (lemmas by default), lower-cased unless ``case_sensitive``.
    Only words count (:func:`analysis.is_word`): the corpus sizes ``c`` and ``d`` are the
    numbers of words in the target and the reference.

    Returns one row per term whose total frequency (target + reference) is at least
    ``min_freq``, with columns:

    - ``term``, ``freq_target``, ``freq_reference``, ``per_million_target``,
      ``per_million_reference``;
    - ``g2_4cell`` — log-likelihood G² summed over all four cells (Dunning 1993; AntConc);
      **the default measure** for ordering and for ``alpha``; ``g2_2term`` — the two-term form
      of Rayson & Garside (2000) / Rayson's LL wizard;
    - ``chi2`` and ``chi2_yates`` — Pearson χ² without / with Yates's correction;
    - ``p_g2_4cell``, ``p_g2_2term``, ``p_chi2``, ``p_chi2_yates`` — upper-tail p-values on
      one degree of freedom (``scipy.stats.chi2.sf``);
    - ``log_ratio`` (Hardie 2014), ``pct_diff`` (%DIFF, Gabrielatos & Marchi 2011),
      ``simple_maths`` (Kilgarriff 2009, ``n = simple_maths_n`` per million);
    - ``direction`` — ``positive`` when the term's relative frequency is higher in the target,
      ``negative`` when lower, ``none`` when equal.

    Rows are ordered by the signed ``measure`` (positive keywords first, strongest first;
    negative keywords last, the strongest at the very end; ties in vocabulary order).
    Filters: ``alpha`` keeps rows whose p-value (of ``measure``) is below the significance
    level, Bonferroni- or Šidák-corrected for the number of terms tested when ``correction``
    is given; ``min_effect`` keeps rows with ``|log_ratio| >= min_effect``; ``top`` keeps the
    first rows. The result's ``attrs`` record corpus sizes, the number of tests, the per-test
    level and the critical value of the measure.
    """
    check_choice(measure, "measure", MEASURES)
    check_choice(correction, "correction", CORRECTIONS)
    min_freq = check_int(min_freq, "min_freq", minimum=1)
    top = check_top(top)
    if alpha is not None:
        check_probability(alpha, "alpha")
    if len(tokens) == 0:
        raise EmptySelectionError("the Tokens table is empty; load or annotate a corpus first")
    t_mask = selection_mask(tokens, target, "target")
    r_mask = ~t_mask if reference is None else selection_mask(tokens, reference, "reference")
    codes, vocab = term_codes(tokens, field, case_sensitive=case_sensitive)
    word = is_word(tokens)
    c, d = int((t_mask & word).sum()), int((r_mask & word).sum())
    if c == 0:
        raise EmptySelectionError("the target selects no words; check its filters (e.g. {'voice': 'official'})")
    if d == 0:
        raise EmptySelectionError("the reference selects no words; check its filters or leave it out "
                                  "to compare with the rest of the corpus")
    keep = word & (codes >= 0)
    v = len(vocab)
    a = np.bincount(codes[t_mask & keep], minlength=v)
    b = np.bincount(codes[r_mask & keep], minlength=v)
    idx = np.flatnonzero((a + b) >= min_freq)
    a, b = a[idx], b[idx]

    g2_4 = log_likelihood_4cell(a, b, c, d)
    g2_2 = log_likelihood_2term(a, b, c, d)
    x2 = chi_squared(a, b, c, d)
    x2y = chi_squared(a, b, c, d, yates=True)
    rel_t, rel_r = a / c, b / d
    direction = np.where(rel_t > rel_r, 0, np.where(rel_t < rel_r, 1, 2)).astype(np.int8)
    out = pd.DataFrame({
        "term": vocab[idx].astype(str),
        "freq_target": a.astype(np.int64),
        "freq_reference": b.astype(np.int64),
        "per_million_target": rel_t * 1e6,
        "per_million_reference": rel_r * 1e6,
        "g2_4cell": g2_4,
        "p_g2_4cell": chi2_sf(g2_4),
        "g2_2term": g2_2,
        "p_g2_2term": chi2_sf(g2_2),
        "chi2": x2,
        "p_chi2": chi2_sf(x2),
        "chi2_yates": x2y,
        "p_chi2_yates": chi2_sf(x2y),
        "log_ratio": log_ratio(a, b, c, d, zero_adjustment),
        "pct_diff": percent_diff(a, b, c, d, zero_adjustment),
        "simple_maths": simple_maths(a, b, c, d, simple_maths_n),
        "direction": pd.Categorical.from_codes(direction, categories=["positive", "negative", "none"]),
    })
    n_tests = len(out)
    attrs: dict[str, Any] = {"n_target": c, "n_reference": d, "n_tests": n_tests, "measure": measure,
                             "field": field, "correction": correction}
    if alpha is not None:
        level = corrected_alpha(alpha, n_tests, correction)
        attrs.update(alpha=alpha, alpha_per_test=level, critical_value=float(stats.chi2.isf(level, 1)))
        out = out[out[f"p_{measure}"].to_numpy() < level]
    if min_effect is not None:
        out = out[np.abs(out["log_ratio"].to_numpy()) >= min_effect]
    sign = np.where(out["direction"].to_numpy() == "negative", -1.0, 1.0)
    order = np.lexsort((out.index.to_numpy(), -(sign * out[measure].to_numpy())))
    out = out.iloc[order].reset_index(drop=True)
    if top is not None:
        out = out.head(top)
    out.attrs = attrs
    return out
