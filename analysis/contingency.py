"""The 2×2 contingency table behind keyness, collocation and translation statistics.

One implementation of the table and its two test statistics, shared by
:mod:`analysis.keywords` (term × subcorpus), :mod:`analysis.collocation` (collocate × node
window), :mod:`analysis.bilingual` (Chinese term × English candidate over aligned units) and
:mod:`analysis.rhetoric` (feature × voice). Cells, vectorised over numpy arrays::

              y        not y
    x        o11        o12
    not x    o21        o22

Expected counts are those under independence, from the margins: ``E_ij = R_i · C_j / N``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import xlogy


def table_2x2(o11: Any, o12: Any, o21: Any, o22: Any) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected cells, each of shape ``(4, ...)`` in the order o11, o12, o21, o22."""
    obs = np.stack([np.asarray(x, dtype=float) for x in np.broadcast_arrays(o11, o12, o21, o22)])
    n = obs.sum(axis=0)
    r1, r2 = obs[0] + obs[1], obs[2] + obs[3]
    c1, c2 = obs[0] + obs[2], obs[1] + obs[3]
    with np.errstate(divide="ignore", invalid="ignore"):
        exp = np.stack([r1 * c1, r1 * c2, r2 * c1, r2 * c2]) / np.where(n > 0, n, 1.0)
    return obs, exp


def log_likelihood_2x2(o11: Any, o12: Any, o21: Any, o22: Any) -> np.ndarray:
    """Log-likelihood ratio ``G² = 2 Σ O_ij ln(O_ij / E_ij)`` over the four cells, ``0 · ln 0 = 0``.

    Dunning, T. (1993), "Accurate methods for the statistics of surprise and coincidence",
    *Computational Linguistics* 19(1), 61–74. Equals ``scipy.stats.chi2_contingency(table,
    correction=False, lambda_="log-likelihood")[0]``. The sign is not encoded: compare ``o11``
    with its expectation for the direction.
    """
    obs, exp = table_2x2(o11, o12, o21, o22)
    return 2.0 * np.sum(xlogy(obs, obs) - xlogy(obs, exp), axis=0)


def chi_squared_2x2(o11: Any, o12: Any, o21: Any, o22: Any, *, yates: bool = False) -> np.ndarray:
    """Pearson's ``χ² = Σ (O_ij − E_ij)² / E_ij`` over the four cells.

    With ``yates=True`` each observed count moves 0.5 towards its expectation (never past it), as
    ``scipy.stats.chi2_contingency`` does for one degree of freedom (Yates 1934).
    """
    obs, exp = table_2x2(o11, o12, o21, o22)
    if yates:
        diff = exp - obs
        obs = obs + np.sign(diff) * np.minimum(0.5, np.abs(diff))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(exp > 0, (obs - exp) ** 2 / exp, 0.0), axis=0)
