"""The shared 2×2 table statistics against scipy.stats.chi2_contingency."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from analysis.contingency import chi_squared_2x2, log_likelihood_2x2, table_2x2

TABLES = [(10, 20, 30, 400), (1, 0, 5, 1000), (99, 0, 1122, 139), (7, 7, 7, 7), (0, 3, 12, 50)]


@pytest.mark.parametrize("cells", TABLES)
def test_against_scipy(cells):
    table = np.array(cells, dtype=float).reshape(2, 2)
    g2 = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    x2 = chi2_contingency(table, correction=False)[0]
    x2y = chi2_contingency(table, correction=True)[0]
    assert log_likelihood_2x2(*cells) == pytest.approx(g2, rel=1e-12, abs=1e-12)
    assert chi_squared_2x2(*cells) == pytest.approx(x2, rel=1e-12, abs=1e-12)
    assert chi_squared_2x2(*cells, yates=True) == pytest.approx(x2y, rel=1e-12, abs=1e-12)


def test_vectorised_and_expected_from_margins():
    cells = np.array(TABLES, dtype=float).T
    g2 = log_likelihood_2x2(*cells)
    assert g2.shape == (len(TABLES),)
    for i, t in enumerate(TABLES):
        assert g2[i] == pytest.approx(log_likelihood_2x2(*t))
    obs, exp = table_2x2(10, 20, 30, 400)
    assert exp[0] == pytest.approx(30 * 40 / 460)  # R1 · C1 / N
    assert obs.sum() == exp.sum() == pytest.approx(460)
