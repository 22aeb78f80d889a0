"""Inference that respects documents: cluster bootstrap intervals, dispersion-aware tests,
multiple-testing corrections and exact tests for small counts.

Words come in documents. A rate pooled over all words of a group treats every word as an
independent draw, but words of one document share its author, topic and genre, so per-document
rates vary far more than a Poisson or binomial model allows (overdispersion). Every rate or
difference Tifa reports therefore carries a **document-level** interval or test beside the
token-level statistic:

* :func:`cluster_bootstrap_ratio` — the percentile interval of a ratio of sums (a rate per 1,000
  words) when whole documents are resampled with replacement (the cluster or "case" bootstrap;
  Davison & Hinkley 1997, §3.8; Efron & Tibshirani 1993, ch. 13).
* :func:`bootstrap_test` — the bootstrap test of Lijffijt, Nevalainen, Säily, Papapetrou,
  Puolamäki & Mannila (2016), "Significance testing of word frequencies in corpora", *Digital
  Scholarship in the Humanities* 31(2), 374–397: resample documents within each corpus and count
  how often the target's rate exceeds the reference's.
* :func:`welch_test` — Welch's t-test on per-document relative frequencies (as recommended by
  Lijffijt et al. 2016 beside the bootstrap test; ``scipy.stats.ttest_ind(equal_var=False)``).
* :func:`holm` and :func:`benjamini_hochberg` — corrections when many tests are drawn (Holm 1979;
  Benjamini & Hochberg 1995).
* :func:`fisher_exact_2x2` — Fisher's exact test for a 2×2 table with small expected counts.

The question each answers: the token-level statistic (G², Garwood interval) asks whether *these
words* could come from one distribution; the document-level interval or test asks whether *texts
like these* differ — the question a claim about voices, outlets or genres needs.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import beta as beta_dist

from .errors import ParameterError

#: Resamples used by default: enough for a stable 95% percentile interval (Efron & Tibshirani 1993, §19.3).
N_BOOT = 2000


def _check_boot(n_boot: Any, conf: Any | None = None) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise ParameterError(f"n_boot must be a whole number >= 100, not {n_boot!r}")
    if conf is not None and (isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0 < conf < 1):
        raise ParameterError(f"conf must be a number between 0 and 1, not {conf!r}")


def cluster_bootstrap_ratio(numerators: Any, denominators: Any, *, n_boot: int = N_BOOT, conf: float = 0.95,
                            seed: int = 0, scale: float = 1000.0) -> np.ndarray:
    """Percentile interval of ``scale · Σ numerator / Σ denominator`` resampling documents (clusters).

    ``numerators`` has shape ``(n_docs,)`` or ``(n_docs, k)`` (``k`` rates at once, e.g. one per
    theme, all resampled with the same documents); ``denominators`` has shape ``(n_docs,)`` (each
    document's words). Each of ``n_boot`` resamples draws ``n_docs`` documents with replacement
    (``numpy.random.default_rng(seed)``) and recomputes the pooled rate; the interval is the
    ``(1 - conf)/2`` and ``(1 + conf)/2`` quantiles of those rates (the percentile method,
    Efron & Tibshirani 1993, §13.3). Returns an array of shape ``(2,)`` or ``(2, k)``: low, high.
    A group of one document has no between-document variation to resample: its interval is
    ``nan`` (the token-level interval is all there is).
    """
    return _cluster_bootstrap_ratio(numerators, denominators, n_boot=n_boot, conf=conf, seed=seed, scale=scale)


def _cluster_bootstrap_ratio(numerators: Any, denominators: Any, *, n_boot: int, conf: float, seed: int,
                             scale: float, drawn: dict | None = None) -> np.ndarray:
    """:func:`cluster_bootstrap_ratio`; ``drawn``: resamples already drawn, by ``(seed, n_docs, n_boot)``
    (they depend on nothing else), filled as new ones are drawn, so calls on as many documents share them."""
    _check_boot(n_boot, conf)
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    one = num.ndim == 1
    num = num.reshape(len(num), -1)
    if den.shape != (num.shape[0],):
        raise ParameterError("denominators need one value per document (the rows of numerators)")
    n = len(den)
    if n < 2 or den.sum() <= 0:
        out = np.full((2, num.shape[1]), np.nan)
        return out[:, 0] if one else out
    key = (int(seed), n, int(n_boot))
    weights = drawn.get(key) if drawn is not None else None
    if weights is None:
        weights = _draw_weights(np.random.default_rng(seed), n, n_boot)
        if drawn is not None:
            drawn[key] = weights
    out = _ratio_interval(weights, num, den, conf, scale)
    return out[:, 0] if one else out


#: Resamples drawn per call of ``Generator.multinomial`` (the stream is the same for any value).
_DRAW_BLOCK = 250
#: Below this, a float32 product of whole numbers is exact (every partial sum is a float32 integer).
_F32_EXACT = 2.0 ** 24
#: Below this, a float64 product of whole numbers is exact.
_F64_EXACT = 2.0 ** 53


def _draw_weights(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """How often each of ``n`` documents is taken in each of ``n_boot`` resamples: ``(n_boot, n)``.

    Drawing n documents with replacement is drawing how often each is taken: a multinomial with
    n trials and equal probabilities. The draws are made ``_DRAW_BLOCK`` resamples at a time
    (the same stream as one call) and kept as float32, which holds every count up to 2**24
    exactly (int64 beyond).
    """
    p = np.full(n, 1.0 / n)
    out = np.empty((n_boot, n), dtype=np.float32 if n < _F32_EXACT else np.int64)
    for start in range(0, n_boot, _DRAW_BLOCK):
        out[start:start + _DRAW_BLOCK] = rng.multinomial(n, p, size=min(_DRAW_BLOCK, n_boot - start))
    return out


def _ratio_interval(weights: np.ndarray, num: np.ndarray, den: np.ndarray, conf: float, scale: float) -> np.ndarray:
    """The percentile interval of ``scale · Σ num / Σ den`` over the resamples ``weights``: shape ``(2, k)``."""
    tot_num, tot_den = _weighted_sums(weights, num), _weighted_sums(weights, den)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = scale * tot_num / tot_den[:, None]
    lo, hi = np.nanquantile(rates, [(1 - conf) / 2, (1 + conf) / 2], axis=0)
    return np.vstack([lo, hi])


def _whole(x: np.ndarray) -> bool:
    """Are all values of ``x`` finite whole numbers?"""
    if x.dtype.kind in "iub":
        return True
    with np.errstate(invalid="ignore"):
        return bool(np.isfinite(x).all() and (np.rint(x) == x).all())


def _weighted_sums(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``weights @ x`` in float64 (``x``: ``(n,)`` or ``(n, k)``): each value the one of the original
    float64 product, ``weights.astype(float) @ x`` made ``_DRAW_BLOCK`` resamples at a time.

    Whole-number data (counts, words) give whole-number sums, which float arithmetic computes
    exactly in any order while every partial sum stays below 2**24 (float32) or 2**53 (float64):
    the columns whose largest possible sum, ``max(weights) · Σ|x|``, allows it are multiplied in
    float32 (twice as fast as float64), the others in float64, all resamples at once. Other data
    keep the original product, block by block, so its rounding is unchanged.
    """
    n_boot = weights.shape[0]
    if _whole(x):
        xs = x.reshape(len(x), -1)
        bound = float(weights.max(initial=0)) * np.abs(xs).sum(axis=0, dtype=float)
        if (bound < _F64_EXACT).all():
            small = bound < _F32_EXACT
            w32 = weights.astype(np.float32, copy=False)
            if small.all():
                out = (w32 @ xs.astype(np.float32)).astype(float)
            else:
                out = np.empty((n_boot, xs.shape[1]))
                if small.any():
                    out[:, small] = w32 @ xs[:, small].astype(np.float32)
                out[:, ~small] = weights.astype(float) @ xs[:, ~small].astype(float)
            return out[:, 0] if x.ndim == 1 else out
    xf = x.astype(float, copy=False)
    parts = [weights[s:s + _DRAW_BLOCK].astype(float) @ xf for s in range(0, n_boot, _DRAW_BLOCK)]
    return np.concatenate(parts) if x.ndim == 1 else np.vstack(parts)


def _bootstrap_weights(n_target: int, n_reference: int, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The resamples of :func:`bootstrap_test`: the target's documents, then the reference's, from one
    ``numpy.random.default_rng(seed)``. The same for every set of terms, so they can be drawn once."""
    rng = np.random.default_rng(seed)
    wa = _draw_weights(rng, n_target, n_boot)
    return wa, _draw_weights(rng, n_reference, n_boot)


def bootstrap_test(target_counts: Any, target_sizes: Any, reference_counts: Any, reference_sizes: Any, *,
                   n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """Two-sided p-values of the bootstrap test of Lijffijt et al. (2016), one per term.

    ``*_counts``: shape ``(n_docs, k)`` (each document's frequency of ``k`` terms) or ``(n_docs,)``;
    ``*_sizes``: each document's words. In each of ``n_boot`` rounds, documents are resampled with
    replacement within each corpus (``numpy.random.default_rng(seed)``) and the pooled relative
    frequencies compared. The one-sided p-value that the target's rate is higher is
    ``p1 = (1 + #{rounds: rate_target < rate_reference} + ½·#{ties}) / (1 + n_boot)`` (Lijffijt et
    al. 2016, eq. 3, with H(0) = ½), ``p2`` the same the other way; the two-sided p-value is
    ``min(1, 2 · min(p1, p2))`` (their eq. 4). Identical corpora give p = 1; the smallest
    possible value is ``2 / (1 + n_boot)``.
    """
    _check_boot(n_boot)
    a, na = np.asarray(target_counts, dtype=float), np.asarray(target_sizes, dtype=float)
    b, nb = np.asarray(reference_counts, dtype=float), np.asarray(reference_sizes, dtype=float)
    one = a.ndim == 1
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    if len(na) < 2 or len(nb) < 2:
        out = np.full(a.shape[1], np.nan)
        return out[0] if one else out
    p = _bootstrap_p(a, na, b, nb, _bootstrap_weights(len(na), len(nb), n_boot, seed))
    return p[0] if one else p


def _bootstrap_p(a: np.ndarray, na: np.ndarray, b: np.ndarray, nb: np.ndarray,
                 weights: tuple[np.ndarray, np.ndarray], size_sums: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> np.ndarray:
    """:func:`bootstrap_test` of the columns of ``a`` (n_a, k) against ``b`` (n_b, k) on drawn ``weights``
    (:func:`_bootstrap_weights`); ``size_sums``: the resampled sums of ``na`` and ``nb`` when known."""
    wa, wb = weights
    sa, sb = size_sums if size_sums is not None else (_weighted_sums(wa, na), _weighted_sums(wb, nb))
    with np.errstate(divide="ignore", invalid="ignore"):
        ra = _weighted_sums(wa, a) / sa[:, None]
        rb = _weighted_sums(wb, b) / sb[:, None]
    n_boot = len(wa)
    ties = 0.5 * (ra == rb).sum(axis=0)
    p_greater = (1 + (ra < rb).sum(axis=0) + ties) / (1 + n_boot)  # one-sided: target above reference
    p_less = (1 + (ra > rb).sum(axis=0) + ties) / (1 + n_boot)
    return np.minimum(1.0, 2 * np.minimum(p_greater, p_less))


def welch_test(target_rates: Any, reference_rates: Any) -> tuple[np.ndarray, np.ndarray]:
    """Welch's t statistic and two-sided p-value on per-document relative frequencies.

    ``*_rates``: shape ``(n_docs, k)`` or ``(n_docs,)``. ``scipy.stats.ttest_ind(equal_var=False)``
    column by column; ``nan`` where a group has fewer than two documents or no variance.
    """
    a, b = np.asarray(target_rates, dtype=float), np.asarray(reference_rates, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant columns: scipy warns, the result is nan
        res = stats.ttest_ind(a, b, equal_var=False, axis=0)
    return np.asarray(res.statistic, dtype=float), np.asarray(res.pvalue, dtype=float)


def holm(p_values: Any) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values: controls the family-wise error rate.

    Sort the m p-values ascending; the i-th (from 1) is multiplied by ``m − i + 1``; a running
    maximum keeps the adjusted values monotone; values are capped at 1. ``nan`` p-values are
    left out of ``m`` and stay ``nan``.
    """
    return _step(p_values, lambda q, m: np.maximum.accumulate((m - np.arange(m)) * q))


def _step(p_values: Any, adjust_sorted) -> np.ndarray:
    """Apply ``adjust_sorted(ascending p-values, m)`` to the non-nan p-values; cap at 1; keep order and nan."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m:
        order = np.argsort(q, kind="stable")
        res = np.empty(m)
        res[order] = np.minimum(adjust_sorted(q[order], m), 1.0)
        out[ok] = res
    return out


def benjamini_hochberg(p_values: Any) -> np.ndarray:
    """Benjamini & Hochberg (1995) adjusted p-values (q-values): controls the false discovery rate.

    Sorted ascending, the i-th p-value becomes ``min over j >= i of m · p_(j) / j``, capped at 1
    (equals ``scipy.stats.false_discovery_control(p, method="bh")``). ``nan`` stays ``nan``.
    """
    return _step(p_values, lambda q, m: np.minimum.accumulate((q * m / np.arange(1, m + 1))[::-1])[::-1])


def bonferroni(p_values: Any) -> np.ndarray:
    """Bonferroni-adjusted p-values, ``min(1, m·p)`` (Dunn 1961); ``nan`` is left out of ``m`` and stays ``nan``."""
    p = np.asarray(p_values, dtype=float)
    return np.minimum(1.0, p * int((~np.isnan(p)).sum()))


def sidak(p_values: Any) -> np.ndarray:
    """Šidák-adjusted p-values, ``1 − (1 − p)^m`` (Šidák 1967), without cancellation for small p."""
    p = np.asarray(p_values, dtype=float)
    return -np.expm1(int((~np.isnan(p)).sum()) * np.log1p(-p))


#: How figures and the CLI name each correction (``correction=`` values).
CORRECTION_NAMES = {"bonferroni": "Bonferroni", "sidak": "Šidák", "holm": "Holm", "bh": "Benjamini–Hochberg"}


def adjusted_label(correction: str | None) -> str:
    """``"Holm-adjusted"``, ``"Benjamini–Hochberg-adjusted"``...; ``"uncorrected"`` for ``None``."""
    return "uncorrected" if correction is None else f"{CORRECTION_NAMES.get(correction, correction)}-adjusted"


#: Corrections by name: how the CLI, the plots and ``correction=`` arguments refer to them.
ADJUSTMENTS = {"bonferroni": bonferroni, "sidak": sidak, "holm": holm, "bh": benjamini_hochberg}


def adjust(p_values: Any, correction: str | None) -> np.ndarray:
    """``p_values`` adjusted by ``correction`` (``"bonferroni"``, ``"sidak"``, ``"holm"``, ``"bh"``) or as they are (``None``)."""
    if correction is None:
        return np.asarray(p_values, dtype=float)
    if correction not in ADJUSTMENTS:
        raise ParameterError(f"correction must be one of None, {', '.join(map(repr, ADJUSTMENTS))}, not {correction!r}")
    return ADJUSTMENTS[correction](p_values)


def fisher_exact_2x2(o11: Any, o12: Any, o21: Any, o22: Any) -> np.ndarray:
    """Two-sided p-values of Fisher's exact test, one per 2×2 table (``scipy.stats.fisher_exact``).

    Fisher (1922); the test to use when an expected count is below 5, where the χ² approximation
    behind G² and Pearson's χ² fails (Cochran 1954).
    """
    cells = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (o11, o12, o21, o22)))
    flat = [c.ravel() for c in cells]
    out = np.array([stats.fisher_exact([[a, b], [c, d]]).pvalue
                    for a, b, c, d in zip(*(np.rint(f).astype(np.int64) for f in flat))], dtype=float)
    return out.reshape(cells[0].shape)


def min_expected_2x2(o11: Any, o12: Any, o21: Any, o22: Any) -> np.ndarray:
    """The smallest expected count of each 2×2 table under independence (``R_i · C_j / N``)."""
    from .contingency import table_2x2

    _, exp = table_2x2(o11, o12, o21, o22)
    return exp.min(axis=0)


def poisson_ratio_ci(count_a: Any, count_b: Any, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact conditional confidence interval of the ratio ``λa / λb`` of two Poisson counts with the
    same exposure (here: the hits of a feature in a translation and in its original, over the same
    aligned paragraphs).

    Given the total ``n = a + b``, ``a`` is binomial with ``p = λa / (λa + λb)``; the
    Clopper–Pearson interval of ``p`` (Clopper, C. J. & Pearson, E. S. 1934, "The use of
    confidence or fiducial limits illustrated in the case of the binomial", *Biometrika* 26,
    404–413), ``p_low = Beta(α/2; a, n − a + 1)``, ``p_high = Beta(1 − α/2; a + 1, n − a)``, is
    mapped to the ratio by ``p / (1 − p)`` (Chapman, D. G. 1952, "On tests and estimates for the
    ratio of Poisson means", *Annals of the Institute of Statistical Mathematics* 4, 45–49; the
    interval of R's ``poisson.test(c(a, b))``). ``a = 0`` gives a lower limit of 0, ``b = 0`` an
    upper limit of ``inf``; ``a = b = 0``: ``nan``. Returns ``(low, high)`` arrays.
    """
    _check_boot(N_BOOT, conf)
    conf = float(conf)
    a = np.asarray(count_a, dtype=float)
    b = np.asarray(count_b, dtype=float)
    if np.any(a < 0) or np.any(b < 0):
        raise ParameterError("counts must be >= 0")
    n = a + b
    alpha = 1.0 - conf
    with np.errstate(divide="ignore", invalid="ignore"):
        p_low = np.where(a > 0, beta_dist.ppf(alpha / 2, np.maximum(a, 1), n - a + 1), 0.0)
        p_high = np.where(b > 0, beta_dist.ppf(1 - alpha / 2, a + 1, np.maximum(b, 1)), 1.0)
        low = np.where(n > 0, p_low / (1 - p_low), np.nan)
        high = np.where(n > 0, np.where(p_high >= 1, np.inf, p_high / (1 - p_high)), np.nan)
    return low, high


def significance_marks(p_values: Any) -> list[str]:
    """``***`` p < .001, ``**`` p < .01, ``*`` p < .05, ``""`` otherwise (and for ``nan``)."""
    marks = []
    for p in np.asarray(p_values, dtype=float).ravel():
        marks.append("" if np.isnan(p) else "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "")
    return marks


def document_share(counts_by_doc: Any) -> np.ndarray:
    """The largest share of a term's frequency that one document contributes (1.0: a single document).

    ``counts_by_doc``: shape ``(n_docs, k)``. ``nan`` for a term that never occurs.
    """
    c = np.asarray(counts_by_doc, dtype=float)
    c = c.reshape(len(c), -1)
    total = c.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, c.max(axis=0) / total, np.nan)


__all__ = ["N_BOOT", "cluster_bootstrap_ratio", "bootstrap_test", "welch_test", "holm", "benjamini_hochberg",
           "adjust", "ADJUSTMENTS", "CORRECTION_NAMES", "adjusted_label", "bonferroni", "sidak", "fisher_exact_2x2", "poisson_ratio_ci", "min_expected_2x2", "significance_marks", "document_share"]
