"""Keyness: which terms are unusually frequent in one subcorpus compared with another.

:func:`keyness` compares a *target* and a *reference* subcorpus of a Tokens table (voice
``official`` against ``framing``, one outlet against the rest, one document against the corpus)
and returns one row per term with every statistic of the field, computed over the whole vocabulary
at once with numpy.

For a term with frequency ``a`` in the target (``c`` tokens) and ``b`` in the reference (``d``
tokens), the 2×2 table is::

                     target    reference
    term               a           b
    other words      c - a       d - b

with expected frequencies ``E_ij = row_i · col_j / N`` (``N = c + d``). The individual measures
are separate functions (:func:`log_likelihood_4cell`, :func:`log_likelihood_2term`,
:func:`chi_squared`, :func:`log_ratio`, :func:`percent_diff`, :func:`simple_maths`) that take
array-valued ``a, b, c, d`` and are tested one by one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import xlogy

from .contingency import chi_squared_2x2, log_likelihood_2x2, table_2x2
from .errors import QueryError

#: Statistics :func:`keyness` can rank and test by (column names of its result).
STATISTICS = ("g2_4cell", "g2_2term", "chi2", "chi2_yates")
#: Multiple-comparison corrections accepted by :func:`keyness`.
CORRECTIONS = (None, "bonferroni", "sidak")
#: Parts of speech dropped from counts (and from corpus sizes) when ``exclude_punct`` is true.
PUNCT_UPOS = frozenset({"PUNCT"})


# --------------------------------------------------------------------------------------------
# term codes (shared with analysis.collocation)
# --------------------------------------------------------------------------------------------

def term_codes(tokens: pd.DataFrame, by: str = "lemma", lowercase: bool = True) -> tuple[np.ndarray, pd.Index]:
    """Integer code of every row's term and the vocabulary those codes index.

    Works on the categorical codes (no per-row string work), so it is fast on millions of rows.
    Rows with an empty term get code ``-1``.
    """
    if by not in ("lemma", "form"):
        raise QueryError(f"by must be 'lemma' or 'form', not {by!r}")
    if by not in tokens.columns:
        raise QueryError(f"the Tokens table has no {by!r} column; build it with analysis.tokens")
    col = tokens[by]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("string").fillna("").astype("category")
    codes = col.cat.codes.to_numpy().astype(np.int64, copy=False)
    cats = pd.Index(col.cat.categories.astype(str))
    if lowercase:
        cats = pd.Index(cats.str.lower())
    new_codes, vocab = pd.factorize(cats)
    vocab = pd.Index(vocab, dtype=object)
    mapping = np.asarray(new_codes, dtype=np.int64)
    empty = np.flatnonzero(np.asarray(vocab == ""))
    if len(empty):
        mapping = np.where(mapping == empty[0], -1, mapping)
    mapping = np.append(mapping, -1)  # categorical code -1 (missing) maps to -1
    return mapping[codes], vocab


def _all_punctuation(text: str) -> bool:
    return bool(text) and all(unicodedata.category(ch).startswith("P") for ch in text)


def punct_mask(tokens: pd.DataFrame) -> np.ndarray:
    """Boolean array: True for punctuation rows.

    A row is punctuation when its UPOS is in :data:`PUNCT_UPOS` or its form consists only of
    Unicode punctuation characters (category P*): parsers sometimes tag ASCII commas in Chinese
    text as PART or NOUN.
    """
    mask = np.zeros(len(tokens), dtype=bool)
    if "upos" in tokens.columns:
        mask |= np.asarray(tokens["upos"].isin(list(PUNCT_UPOS)), dtype=bool)
    if "form" in tokens.columns:
        form = tokens["form"]
        if not isinstance(form.dtype, pd.CategoricalDtype):
            form = form.astype("string").fillna("").astype("category")
        flags = np.array([_all_punctuation(str(c)) for c in form.cat.categories] + [False], dtype=bool)
        mask |= flags[form.cat.codes.to_numpy()]
    return mask


def select_rows(tokens: pd.DataFrame, selector: Any, what: str = "target") -> np.ndarray:
    """A boolean row mask from a mask (array/Series of bools) or a dict of metadata filters.

    A dict maps a column to a value or a list of values, e.g. ``{"voice": "official"}`` or
    ``{"voice": ["official", "original"], "lang": "en"}``; conditions are combined with AND.
    """
    if isinstance(selector, Mapping):
        mask = np.ones(len(tokens), dtype=bool)
        for col, value in selector.items():
            if col not in tokens.columns:
                raise QueryError(f"{what} filter names an unknown column {col!r}; "
                                 f"use one of {', '.join(map(str, tokens.columns))}")
            values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
            mask &= np.asarray(tokens[col].isin(values), dtype=bool)
        return mask
    try:
        mask = np.asarray(selector)
    except Exception as exc:  # pragma: no cover - defensive
        raise QueryError(f"{what} must be a boolean mask or a dict of filters") from exc
    if mask.dtype != bool or mask.shape != (len(tokens),):
        raise QueryError(f"{what} must be a dict of metadata filters or a boolean mask with one value "
                         f"per token ({len(tokens)}), got dtype {mask.dtype} and shape {mask.shape}")
    return mask


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
    if correction not in CORRECTIONS:
        raise QueryError(f"correction must be one of None, 'bonferroni', 'sidak', not {correction!r}")
    if not 0 < alpha < 1:
        raise QueryError(f"p must be between 0 and 1, got {alpha}")
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
    by: str = "lemma",
    lowercase: bool = True,
    exclude_punct: bool = True,
    min_freq: int = 1,
    p: float | None = None,
    correction: str | None = None,
    min_effect: float | None = None,
    statistic: str = "g2_4cell",
    zero_adjustment: float = 0.5,
    simple_maths_n: float = 1.0,
) -> pd.DataFrame:
    """Keyness of every term of a target subcorpus against a reference subcorpus.

    ``target`` and ``reference`` are boolean masks over ``tokens`` or dicts of metadata filters
    (``{"voice": "official"}``); the default reference is every token not in the target. The
    reference may overlap the target (one document against the whole corpus), but the tests
    assume two independent samples, so disjoint subcorpora are the sound choice. Restrict the
    Tokens first (e.g. ``tokens[tokens.lang == "en"]``) so that English and Chinese are not mixed.
    Terms are lemmas or forms (``by``), lowercased by default; punctuation is left out of both
    counts and corpus sizes unless ``exclude_punct=False``.

    Returns one row per term whose total frequency (target + reference) is at least
    ``min_freq``, with columns:

    - ``term``, ``freq_target``, ``freq_reference``, ``per_million_target``,
      ``per_million_reference``;
    - ``g2_4cell`` — log-likelihood G² summed over all four cells (Dunning 1993; AntConc);
      **the default statistic** for ordering and for ``p``; ``g2_2term`` — the two-term form of
      Rayson & Garside (2000) / Rayson's LL wizard;
    - ``chi2`` and ``chi2_yates`` — Pearson χ² without / with Yates's correction;
    - ``p_g2_4cell``, ``p_g2_2term``, ``p_chi2``, ``p_chi2_yates`` — upper-tail p-values on
      one degree of freedom (``scipy.stats.chi2.sf``);
    - ``log_ratio`` (Hardie 2014), ``pct_diff`` (%DIFF, Gabrielatos & Marchi 2011),
      ``simple_maths`` (Kilgarriff 2009, ``n = simple_maths_n`` per million);
    - ``direction`` — ``positive`` when the term's relative frequency is higher in the target,
      ``negative`` when lower, ``none`` when equal.

    Rows are ordered by the signed ``statistic`` (positive keywords first, strongest first;
    negative keywords last, the strongest at the very end; ties in vocabulary order).
    Filters: ``p`` keeps rows whose p-value (of ``statistic``) is below the significance level,
    Bonferroni- or Šidák-corrected for the number of terms tested when ``correction`` is given;
    ``min_effect`` keeps rows with ``|log_ratio| >= min_effect``.
    The result's ``attrs`` record corpus sizes, the number of tests, the per-test level and the
    critical value of the statistic.
    """
    if statistic not in STATISTICS:
        raise QueryError(f"statistic must be one of {', '.join(STATISTICS)}, not {statistic!r}")
    if correction not in CORRECTIONS:
        raise QueryError(f"correction must be one of None, 'bonferroni', 'sidak', not {correction!r}")
    if len(tokens) == 0:
        raise QueryError("the Tokens table is empty; load or annotate a corpus first")
    t_mask = select_rows(tokens, target, "target")
    r_mask = ~t_mask if reference is None else select_rows(tokens, reference, "reference")
    codes, vocab = term_codes(tokens, by, lowercase)
    keep = codes >= 0
    if exclude_punct:
        keep &= ~punct_mask(tokens)
    t_codes = codes[t_mask & keep]
    r_codes = codes[r_mask & keep]
    c, d = len(t_codes), len(r_codes)
    if c == 0:
        raise QueryError("the target selects no tokens; check its filters (e.g. {'voice': 'official'})")
    if d == 0:
        raise QueryError("the reference selects no tokens; check its filters or leave it out "
                         "to compare with the rest of the corpus")
    v = len(vocab)
    a = np.bincount(t_codes, minlength=v)
    b = np.bincount(r_codes, minlength=v)
    present = (a + b) >= max(int(min_freq), 1)
    idx = np.flatnonzero(present)
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
    attrs: dict[str, Any] = {"n_target": c, "n_reference": d, "n_tests": n_tests, "statistic": statistic,
                             "by": by, "correction": correction}
    if p is not None:
        level = corrected_alpha(p, n_tests, correction)
        attrs.update(alpha=p, alpha_per_test=level, critical_value=float(stats.chi2.isf(level, 1)))
        out = out[out[f"p_{statistic}"].to_numpy() < level]
    if min_effect is not None:
        out = out[np.abs(out["log_ratio"].to_numpy()) >= min_effect]
    sign = np.where(out["direction"].to_numpy() == "negative", -1.0, 1.0)
    order = np.lexsort((out.index.to_numpy(), -(sign * out[statistic].to_numpy())))
    out = out.iloc[order].reset_index(drop=True)
    out.attrs = attrs
    return out
