"""Document-level inference checked against computations written here: exact bootstrap
distributions of tiny cases, naive resampling loops, Holm by hand, scipy's BH and Fisher."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis import inference
from analysis.errors import ParameterError


def test_cluster_bootstrap_of_two_documents_is_exact():
    """Two documents A (rate 10) and B (rate 40): a resample is AA, AB/BA or BB with probability
    1/4, 1/2, 1/4, so the rate is 10, (2+8)/(200+200)·1000 = 25 or 40; the 2.5% and 97.5%
    quantiles are 10 and 40."""
    lo, hi = inference.cluster_bootstrap_ratio([2, 8], [200, 200], n_boot=4000, seed=1)
    assert (lo, hi) == (10.0, 40.0)
    # the 25%-75% interval: the middle mass (25) at both ends
    lo, hi = inference.cluster_bootstrap_ratio([2, 8], [200, 200], n_boot=4000, seed=1, conf=0.2)
    assert lo == hi == 25.0


def test_cluster_bootstrap_agrees_with_a_naive_loop():
    rng = np.random.default_rng(7)
    words = rng.integers(100, 3000, size=12).astype(float)
    counts = rng.poisson(words * rng.gamma(0.5, 0.02, size=12))
    # the naive cluster bootstrap: draw document indices, pool, repeat
    naive_rng = np.random.default_rng(99)
    rates = []
    for _ in range(20000):
        idx = naive_rng.integers(0, 12, size=12)
        rates.append(1000 * counts[idx].sum() / words[idx].sum())
    expected = np.quantile(rates, [0.025, 0.975])
    got = inference.cluster_bootstrap_ratio(counts, words, n_boot=20000, seed=3)
    assert got == pytest.approx(expected, rel=0.03)
    # several rates at once use the same resamples and give the same intervals as one at a time
    both = inference.cluster_bootstrap_ratio(np.c_[counts, counts * 2], words, n_boot=2000, seed=3)
    assert both[:, 0] == pytest.approx(inference.cluster_bootstrap_ratio(counts, words, n_boot=2000, seed=3))
    assert both[:, 1] == pytest.approx(2 * both[:, 0])


def test_cluster_bootstrap_is_reproducible_and_refuses_one_document():
    a = inference.cluster_bootstrap_ratio([1, 5, 9], [100, 120, 90], seed=4)
    assert (a == inference.cluster_bootstrap_ratio([1, 5, 9], [100, 120, 90], seed=4)).all()
    assert np.isnan(inference.cluster_bootstrap_ratio([3], [100])).all()
    with pytest.raises(ParameterError, match="n_boot"):
        inference.cluster_bootstrap_ratio([1, 2], [10, 10], n_boot=5)
    with pytest.raises(ParameterError, match="conf"):
        inference.cluster_bootstrap_ratio([1, 2], [10, 10], conf=1.5)


def test_bootstrap_test_limits_and_a_naive_loop():
    sizes = np.full(8, 1000.0)
    same = np.array([5, 7, 6, 4, 8, 5, 6, 7], dtype=float)
    assert inference.bootstrap_test(same, sizes, same, sizes, seed=0) == pytest.approx(1.0, abs=0.05)
    far = inference.bootstrap_test(same * 10, sizes, same, sizes, n_boot=999, seed=0)
    assert far == pytest.approx(2 / 1000)  # the smallest p the test can give: 2 / (1 + n_boot)
    # against a naive implementation of Lijffijt et al. (2016), eq. 3-4
    a = np.array([0, 12, 1, 0, 3, 2], dtype=float)
    b = np.array([1, 0, 2, 1, 0, 1, 0], dtype=float)
    na, nb = np.full(6, 800.0), np.full(7, 900.0)
    rng = np.random.default_rng(5)
    below = above = 0.0
    for _ in range(20000):
        ia, ib = rng.integers(0, 6, 6), rng.integers(0, 7, 7)
        ra, rb = a[ia].sum() / na[ia].sum(), b[ib].sum() / nb[ib].sum()
        below += 1.0 if ra < rb else 0.5 if ra == rb else 0.0
        above += 1.0 if ra > rb else 0.5 if ra == rb else 0.0
    expected = min(1.0, 2 * min((1 + below) / 20001, (1 + above) / 20001))
    assert inference.bootstrap_test(a, na, b, nb, n_boot=20000, seed=11) == pytest.approx(expected, abs=0.02)


def test_welch_matches_scipy_by_column():
    a = np.array([[1.0, 2.0], [2.0, 0.0], [4.0, 1.0]])
    b = np.array([[0.5, 2.0], [0.0, 3.0], [1.0, 2.5], [0.2, 2.0]])
    t, p = inference.welch_test(a, b)
    for j in range(2):
        ref = stats.ttest_ind(a[:, j], b[:, j], equal_var=False)
        assert t[j] == pytest.approx(ref.statistic) and p[j] == pytest.approx(ref.pvalue)


def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    assert inference.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert inference.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    got = inference.holm([0.01, np.nan, 0.02])
    assert np.isnan(got[1]) and got[[0, 2]] == pytest.approx([0.02, 0.02])


def test_benjamini_hochberg_matches_scipy():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    assert inference.benjamini_hochberg(p) == pytest.approx(stats.false_discovery_control(p, method="bh"))
    assert inference.adjust(p, None) is not None and (inference.adjust(p, "holm") == inference.holm(p)).all()
    with pytest.raises(ParameterError, match="correction"):
        inference.adjust(p, "bonf")


def test_fisher_and_small_expected_counts():
    # the parallel-series case: 11 of 19,447 official words vs 0 of 3,798 framing words
    p = inference.fisher_exact_2x2(11, 0, 19447 - 11, 3798)
    assert p == pytest.approx(stats.fisher_exact([[11, 0], [19436, 3798]]).pvalue)
    assert inference.min_expected_2x2(11, 0, 19436, 3798) == pytest.approx(11 * 3798 / (19447 + 3798))
    assert inference.min_expected_2x2(11, 0, 19436, 3798) < 5


def test_document_share_and_marks():
    counts = np.array([[9, 1], [1, 1], [0, 0]])
    assert inference.document_share(counts) == pytest.approx([0.9, 0.5])
    assert inference.significance_marks([0.0001, 0.004, 0.03, 0.2, np.nan]) == ["***", "**", "*", "", ""]


def _resampled_sums_as_drawn_before(rng, num, den, n_boot, block=250):
    """The original computation: multinomial weights drawn and multiplied in float64, 250 resamples at a time."""
    n = len(den)
    out_num, out_den = [], []
    for start in range(0, n_boot, block):
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=min(block, n_boot - start)).astype(float)
        out_num.append(weights @ num)
        out_den.append(weights @ den)
    return np.vstack(out_num), np.concatenate(out_den)


@pytest.mark.parametrize("kind", ["counts", "large counts", "fractions"])
def test_resampled_sums_are_bit_identical_to_the_float64_product(kind):
    """Whole numbers are summed in float32 (or float64) all resamples at once, exactly; other values keep
    the blocked float64 product; the weights are the same stream as one multinomial call per 250 resamples."""
    gen = np.random.default_rng(0)
    num = gen.poisson(3.0, size=(300, 7)).astype(float)
    if kind == "large counts":
        num[:, 2] *= 1e6  # beyond 2**24 once summed: float64 columns beside float32 ones
        num[:, 4] = 2.0 ** 50  # beyond 2**53: the original blocked product
    if kind == "fractions":
        num = num / 7.0
    den = gen.integers(50, 500, size=300).astype(float)
    want_num, want_den = _resampled_sums_as_drawn_before(np.random.default_rng(9), num, den, 1100)
    weights = inference._draw_weights(np.random.default_rng(9), 300, 1100)
    assert np.array_equal(weights, np.random.default_rng(9).multinomial(300, np.full(300, 1 / 300), size=1100))
    got_num, got_den = inference._weighted_sums(weights, num), inference._weighted_sums(weights, den)
    assert got_num.dtype == got_den.dtype == np.float64
    assert np.array_equal(got_num.view(np.int64), want_num.view(np.int64))
    assert np.array_equal(got_den.view(np.int64), want_den.view(np.int64))
    assert np.array_equal(inference._weighted_sums(weights, num.astype(np.int64) if kind != "fractions" else num),
                          want_num)


def test_bootstrap_test_and_interval_equal_the_original_computation():
    gen = np.random.default_rng(1)
    a, b = gen.poisson(2.0, size=(40, 5)).astype(float), gen.poisson(2.5, size=(55, 5)).astype(float)
    na, nb = gen.integers(100, 900, 40).astype(float), gen.integers(100, 900, 55).astype(float)
    rng = np.random.default_rng(6)
    ta, sa = _resampled_sums_as_drawn_before(rng, a, na, 700)
    tb, sb = _resampled_sums_as_drawn_before(rng, b, nb, 700)
    ra, rb = ta / sa[:, None], tb / sb[:, None]
    ties = 0.5 * (ra == rb).sum(axis=0)
    p = np.minimum(1.0, 2 * np.minimum((1 + (ra < rb).sum(axis=0) + ties) / 701, (1 + (ra > rb).sum(axis=0) + ties) / 701))
    assert np.array_equal(inference.bootstrap_test(a, na, b, nb, n_boot=700, seed=6), p)
    tot, size = _resampled_sums_as_drawn_before(np.random.default_rng(2), a, na, 700)
    lo, hi = np.nanquantile(1000.0 * tot / size[:, None], [(1 - 0.95) / 2, (1 + 0.95) / 2], axis=0)
    assert np.array_equal(inference.cluster_bootstrap_ratio(a, na, n_boot=700, seed=2), np.vstack([lo, hi]))
    drawn: dict = {}
    for _ in range(2):  # resamples drawn once, reused: the same interval
        got = inference._cluster_bootstrap_ratio(a, na, n_boot=700, conf=0.95, seed=2, scale=1000.0, drawn=drawn)
        assert np.array_equal(got, np.vstack([lo, hi])) and len(drawn) == 1
