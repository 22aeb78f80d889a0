"""Keyness statistics, each checked against scipy or a hand computation written out here; the
document-level columns against exact enumerations and naive loops, the corrections against hand
computations and scipy."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.cli import _common as cli_common
from analysis.conllu import parse_conllu
from analysis import is_word
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis import inference, keywords
from analysis.keywords import (adjusted_p, chi2_sf, chi_squared, corrected_alpha, keyness, log_likelihood_2term,
                              log_likelihood_4cell, log_ratio, percent_diff, simple_maths)
from analysis.tokens import tokens_from_sentences


def _conllu(words: list[str]) -> str:
    """A flat tree (word 1 is the root): enough for counting."""
    lines = []
    for i, w in enumerate(words, 1):
        upos = "PUNCT" if w in {".", ","} else "NOUN"
        lines.append(f"{i}\t{w}\t{w.lower()}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_")
    return "\n".join(lines) + "\n"


def make_tokens(docs: list[tuple[str, str, str]]) -> pd.DataFrame:
    """``docs`` = [(doc_id, voice, text)]; one sentence per document."""
    return tokens_from_sentences([(doc_id, parse_conllu(_conllu(text.split())), {"voice": voice, "lang": "en"}, {})
                                  for doc_id, voice, text in docs])


@pytest.fixture()
def toy() -> pd.DataFrame:
    # target (official): 6 words + 1 punctuation; reference (framing): 7 words
    return make_tokens([
        ("a", "official", "Security is national security and Security ."),
        ("b", "framing", "the blog says the security is fine"),
    ])


TABLES = [(3, 1, 6, 7), (10, 0, 500, 800), (0, 7, 1000, 120), (25, 30, 10_000, 12_000), (1, 1, 50, 50)]


@pytest.mark.parametrize("a,b,c,d", TABLES)
def test_g2_4cell_equals_scipy_log_likelihood(a, b, c, d):
    table = np.array([[a, b], [c - a, d - b]])
    expected = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    assert log_likelihood_4cell(a, b, c, d) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("a,b,c,d", TABLES)
def test_chi2_with_and_without_yates_equals_scipy(a, b, c, d):
    table = np.array([[a, b], [c - a, d - b]])
    assert chi_squared(a, b, c, d) == pytest.approx(stats.chi2_contingency(table, correction=False)[0], rel=1e-10)
    assert chi_squared(a, b, c, d, yates=True) == pytest.approx(
        stats.chi2_contingency(table, correction=True)[0], rel=1e-10, abs=1e-12)


def test_g2_2term_hand_computation():
    # Rayson & Garside (2000): E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d), G2 = 2(a ln(a/E1) + b ln(b/E2))
    a, b, c, d = 3, 1, 6, 7
    e1, e2 = 6 * 4 / 13, 7 * 4 / 13  # 1.8462, 2.1538
    by_hand = 2 * (3 * math.log(3 / e1) + 1 * math.log(1 / e2))
    assert log_likelihood_2term(a, b, c, d) == pytest.approx(by_hand, rel=1e-12)
    assert by_hand == pytest.approx(1.378537, abs=1e-6)
    # a zero cell contributes nothing (0 ln 0 = 0)
    assert log_likelihood_2term(0, 4, 10, 10) == pytest.approx(2 * 4 * math.log(4 / 2), rel=1e-12)


def test_effect_sizes_hand_computation():
    # relative frequencies 3/6 = 0.5 and 1/7 = 0.142857
    assert log_ratio(3, 1, 6, 7) == pytest.approx(math.log2(0.5 / (1 / 7)), rel=1e-12)  # log2(3.5)
    assert log_ratio(3, 1, 6, 7) == pytest.approx(1.807355, abs=1e-6)
    assert percent_diff(3, 1, 6, 7) == pytest.approx((0.5 - 1 / 7) * 100 / (1 / 7), rel=1e-12)  # 250 %
    assert percent_diff(3, 1, 6, 7) == pytest.approx(250.0)
    # zero frequencies become 0.5: log2((1/6) / (0.5/7)) = log2(7/3)
    assert log_ratio(1, 0, 6, 7) == pytest.approx(math.log2(7 / 3), rel=1e-12)
    assert log_ratio(0, 1, 6, 7) == pytest.approx(math.log2((0.5 / 6) / (1 / 7)), rel=1e-12)
    assert percent_diff(1, 0, 6, 7) == pytest.approx((1 / 6 - 0.5 / 7) * 100 / (0.5 / 7), rel=1e-12)


def test_simple_maths_sketch_engine_example():
    # Sketch Engine's documented example: "shard", 35 in the BNC (112,289,776 tokens) against
    # 263 in ukWaC (1,559,716,979 tokens), n = 1:
    # fpm 35 / 112.289776 = 0.311694 ; 263 / 1559.716979 = 0.168620 ; (1.311694) / (1.168620) = 1.12243
    assert simple_maths(35, 263, 112_289_776, 1_559_716_979) == pytest.approx(1.12243, abs=1e-5)
    # n = 100 pulls the score towards 1
    assert simple_maths(35, 263, 112_289_776, 1_559_716_979, n=100) == pytest.approx(
        (0.3116936 + 100) / (0.1686203 + 100), rel=1e-6)


def test_corrections():
    assert corrected_alpha(0.05, 10, None) == 0.05
    assert corrected_alpha(0.05, 10, "bonferroni") == pytest.approx(0.005)
    assert corrected_alpha(0.05, 10, "sidak") == pytest.approx(1 - 0.95 ** 0.1)  # 0.0051162
    assert corrected_alpha(0.05, 10, "sidak") == pytest.approx(0.0051162, abs=1e-7)
    with pytest.raises(ParameterError, match="correction 'holm' has no single per-test level"):
        corrected_alpha(0.05, 10, "holm")
    with pytest.raises(ParameterError, match="correction"):
        corrected_alpha(0.05, 10, "fdr")
    with pytest.raises(ParameterError, match="alpha"):
        corrected_alpha(1.5, 10, None)


def test_chi2_sf_matches_scipy():
    x = np.array([0.0, 3.841459, 3.841459, 10.83, 0.5, 200.0])
    np.testing.assert_allclose(chi2_sf(x), stats.chi2.sf(x, 1))
    assert chi2_sf(np.array([3.841459]))[0] == pytest.approx(0.05, abs=1e-6)


def test_keyness_rows(toy):
    k = keyness(toy, {"voice": "official"})
    assert k.attrs["n_target"] == 6 and k.attrs["n_reference"] == 7  # "." is not a word
    row = k.set_index("term").loc["security"]
    assert (row.freq_target, row.freq_reference) == (3, 1)  # lowercased lemmas
    table = np.array([[3, 1], [3, 6]])
    assert row.g2_4cell == pytest.approx(
        stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0])
    assert row.p_g2_4cell == pytest.approx(stats.chi2.sf(row.g2_4cell, 1))
    assert row.chi2 == pytest.approx(stats.chi2_contingency(table, correction=False)[0])
    assert row.chi2_yates == pytest.approx(stats.chi2_contingency(table, correction=True)[0])
    assert row.p_chi2_yates == pytest.approx(stats.chi2.sf(row.chi2_yates, 1))
    assert row.log_ratio == pytest.approx(math.log2(3.5))
    assert row.pct_diff == pytest.approx(250.0)
    assert row.simple_maths == pytest.approx((0.5e6 + 1) / (1e6 / 7 + 1))
    assert row.direction == "positive"
    assert k.set_index("term").loc["the"].direction == "negative"
    # positive keywords first (by G2, strongest first), negative ones last
    signed = np.where(k.direction == "negative", -k.g2_4cell, k.g2_4cell)
    assert list(signed) == sorted(signed, reverse=True)


def test_mask_and_dict_agree_and_reference_default_is_rest(toy):
    by_dict = keyness(toy, {"voice": "official"})
    by_mask = keyness(toy, toy["voice"] == "official")
    explicit = keyness(toy, {"voice": "official"}, {"voice": "framing"})
    pd.testing.assert_frame_equal(by_dict, by_mask)
    pd.testing.assert_frame_equal(by_dict, explicit)


def test_field_form_keeps_case(toy):
    k = keyness(toy, {"voice": "official"}, field="form", case_sensitive=True).set_index("term")
    assert k.loc["Security", "freq_target"] == 2 and k.loc["security", "freq_target"] == 1
    assert k.loc["Security", "freq_reference"] == 0


def test_filters(toy):
    assert set(keyness(toy, {"voice": "official"}, min_freq=2).term) == {"security", "is", "the"}
    big = keyness(toy, {"voice": "official"}, min_effect=1.5)
    assert (np.abs(big.log_ratio) >= 1.5).all() and len(big) < 8


def test_alpha_with_correction():
    # 2,000 tokens each side. "key" 30 vs 5: p ~ 8e-6, passes any correction. "mid" 9 vs 2:
    # p ~ 0.028, significant at 0.05 but not at 0.05 / 12 (12 terms tested). Ten filler words
    # ~196 vs ~199 times: p > 0.8.
    fillers_t = [f"f{i}" for i in range(10) for _ in range(196)] + ["f0"]
    fillers_r = [f"f{i}" for i in range(10) for _ in range(199)] + ["f0", "f1", "f2"]
    target = " ".join(["key"] * 30 + ["mid"] * 9 + fillers_t)
    reference = " ".join(["key"] * 5 + ["mid"] * 2 + fillers_r)
    toks = make_tokens([("t", "official", target), ("r", "framing", reference)])
    full = keyness(toks, {"voice": "official"}).set_index("term")
    assert len(full) == 12
    assert 0.05 / 12 < full.loc["mid", "p_g2_4cell"] < 0.05
    plain = keyness(toks, {"voice": "official"}, alpha=0.05)
    bonf = keyness(toks, {"voice": "official"}, alpha=0.05, correction="bonferroni")
    sidak = keyness(toks, {"voice": "official"}, alpha=0.05, correction="sidak")
    assert set(plain.term) == {"key", "mid"}
    assert set(bonf.term) == {"key"} and set(sidak.term) == {"key"}
    assert bonf.attrs["alpha_per_test"] == pytest.approx(0.05 / 12)
    assert sidak.attrs["alpha_per_test"] == pytest.approx(1 - 0.95 ** (1 / 12))
    assert bonf.attrs["critical_value"] == pytest.approx(stats.chi2.isf(0.05 / 12, 1))


def test_user_errors(toy):
    with pytest.raises(QueryError, match="no such column"):
        keyness(toy, {"register": "x"})
    with pytest.raises(EmptySelectionError, match="target selects no words"):
        keyness(toy, {"voice": "nobody"})
    with pytest.raises(EmptySelectionError, match="reference selects no words"):
        keyness(toy, {"voice": "official"}, {"voice": "nobody"})
    with pytest.raises(EmptySelectionError, match="empty"):
        keyness(toy.iloc[:0], {"voice": "official"})
    with pytest.raises(ParameterError, match="mask"):
        keyness(toy, [True, False])
    with pytest.raises(ParameterError, match="measure"):
        keyness(toy, {"voice": "official"}, measure="zeta")
    with pytest.raises(ParameterError, match="field"):
        keyness(toy, {"voice": "official"}, field="colour")
    with pytest.raises(ParameterError, match="alpha"):
        keyness(toy, {"voice": "official"}, alpha=5)
    with pytest.raises(ParameterError, match="correction"):
        keyness(toy, {"voice": "official"}, alpha=0.05, correction="fdr")
    with pytest.raises(ParameterError, match="n_boot"):
        keyness(toy, {"voice": "official"}, n_boot=50)
    with pytest.raises(ParameterError, match="seed"):
        keyness(toy, {"voice": "official"}, seed=-1)
    with pytest.raises(ParameterError, match="documents"):
        keyness(toy, {"voice": "official"}, documents="yes")
    with pytest.raises(ParameterError, match="documents=False"):
        keyness(toy.drop(columns=["doc_id"]), {"voice": "official"})
    with pytest.raises(ParameterError, match="terms"):
        keyness(toy, {"voice": "official"}, terms=[])
    with pytest.raises(ParameterError, match="top"):
        keyness(toy, {"voice": "official"}, top=0)
    with pytest.raises(ParameterError, match="min_freq"):
        keyness(toy, {"voice": "official"}, min_freq=0)


def test_cli_keyness(toy, monkeypatch, capsys):
    import json

    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: toy)
    assert main(["keyness", "--target", "voice=official", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    api = keyness(toy, {"voice": "official"})
    assert [r["term"] for r in rows] == list(api.term)
    assert rows[0]["g2_4cell"] == pytest.approx(api.g2_4cell[0])
    assert main(["keyness", "--target", "voice=official", "--reference", "voice=framing",
                 "--direction", "negative", "--top", "1", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].startswith("the,")
    assert main(["keyness", "--target", "voice=official"]) == 0
    assert "security" in capsys.readouterr().out
    assert main(["keyness", "--target", "voice=nobody"]) == 2
    assert "target selects no words" in capsys.readouterr().err
    # --target values parse like --where: a,b = any of; --measure, --alpha, --field
    assert main(["keyness", "--target", "voice=official,framing", "--reference", "voice=framing",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    api = keyness(toy, {"voice": ["official", "framing"]}, {"voice": "framing"})
    assert [r["term"] for r in rows] == list(api.term)
    assert main(["keyness", "--target", "voice=official", "--measure", "chi2", "--alpha", "0.5",
                 "--field", "form", "--case-sensitive", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    api = keyness(toy, {"voice": "official"}, measure="chi2", alpha=0.5, field="form", case_sensitive=True,
                  correction="holm")  # the command's default correction
    assert [r["term"] for r in rows] == list(api.term)
    assert main(["keyness", "--target", "voice=official", "--measure", "chi2", "--alpha", "0.5", "--correction",
                 "none", "--field", "form", "--case-sensitive", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    api = keyness(toy, {"voice": "official"}, measure="chi2", alpha=0.5, field="form", case_sensitive=True)
    assert [r["term"] for r in rows] == list(api.term) and len(rows) == 7


def test_cli_collocates(monkeypatch, capsys):
    import json

    from analysis.cli import main
    from analysis.collocation import collocates

    toks = make_tokens([("a", "official", "we safeguard national security and national security matters"),
                        ("b", "framing", "the blog discusses national security")])
    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: toks)
    assert main(["collocates", "security", "--window", "1", "--min-freq", "1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    api = collocates(toks, "security", window=1)
    assert [r["collocate"] for r in rows] == list(api.collocate)
    assert main(["collocates", "secur*", "--window", "1,0", "--min-freq", "1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["collocate"]: r["observed"] for r in rows} == {"national": 3}
    assert main(["collocates", "security", "--where", "voice=official", "--min-freq", "1", "--format", "csv"]) == 0
    assert "blog" not in capsys.readouterr().out
    assert main(["collocates", "security", "--min-freq", "1", "--measure", "mi", "--top", "2", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["collocates", "cabbage"]) == 2


def test_denominators_are_words_punctuation_symbols_and_mistagged_commas():
    # an ASCII comma in Chinese text tagged PART by the parser, a real particle 的, a SYM and a PUNCT
    text = ("1\t网络\t网络\tNOUN\t_\t_\t3\tnmod\t_\t_\n2\t,\t,\tPART\t_\t_\t3\tcompound\t_\t_\n"
            "3\t安全\t安全\tNOUN\t_\t_\t0\troot\t_\t_\n4\t的\t的\tPART\t_\t_\t3\tcase\t_\t_\n"
            "5\t%\t%\tSYM\t_\t_\t3\tdep\t_\t_\n6\t。\t。\tPUNCT\t_\t_\t3\tpunct\t_\t_\n")
    toks = tokens_from_sentences([("z", parse_conllu(text), {"voice": "original", "lang": "zh"}, {})])
    word = is_word(toks)
    assert list(word) == [True, False, True, True, False, False]
    target = np.array([True, True, False, False, True, True])
    k = keyness(toks, target)
    assert not {",", "%", "。"} & set(k.term)
    assert k.attrs["n_target"] == int((word & target).sum()) == 1
    assert k.attrs["n_reference"] == int((word & ~target).sum()) == 2


# ---------------------------------------------------------------- a corpus with its own metadata


def test_keyness_on_own_column():
    """A corpus with a ``source`` column and no ``voice``: target/reference are any filters."""
    toks = tokens_from_sentences([
        ("d1", parse_conllu(_conllu("Data flows and data grows .".split())), {"source": "a", "lang": "en"}, {}),
        ("d2", parse_conllu(_conllu("Rules bind data".split())), {"source": "b", "lang": "en"}, {}),
        ("d3", parse_conllu(_conllu("Rules rule".split())), {"source": "c", "lang": "en"}, {}),
    ]).drop(columns=["voice"])
    k = keyness(toks, {"source": "a"})
    # target: 5 words (data x2, flows, and, grows); reference: the rest, 5 words (rules x2, bind, data, rule)
    assert (k.attrs["n_target"], k.attrs["n_reference"]) == (5, 5)
    row = k.set_index("term").loc["data"]
    assert (row.freq_target, row.freq_reference) == (2, 1)
    table = np.array([[2, 1], [3, 4]])
    assert row.g2_4cell == pytest.approx(stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0])
    # a list is any of; a slice an inclusive range (here over text values)
    anyof = keyness(toks, {"source": "a"}, {"source": ["b", "c"]})
    pd.testing.assert_frame_equal(anyof, k)
    ranged = keyness(toks, {"source": "a"}, {"source": slice("b", "c")})
    pd.testing.assert_frame_equal(ranged, k)
    only_b = keyness(toks, {"source": "a"}, {"source": "b"})
    assert only_b.attrs["n_reference"] == 3
    assert len(keyness(toks, {"source": "a"}, top=2)) == 2


def test_cli_choices_equal_the_api():
    from analysis import collocation, keywords
    from analysis.cli import keyness as cli_keyness

    from analysis import inference

    assert cli_keyness.KEYNESS_MEASURES == keywords.MEASURES
    assert (None, *cli_keyness.CORRECTIONS) == keywords.CORRECTIONS
    assert cli_keyness.N_BOOT == inference.N_BOOT
    assert cli_keyness.COLLOCATION_MEASURES == collocation.MEASURES


# ---------------------------------------------------------------- the log-likelihood forms


def test_g2_2term_is_never_larger_than_4cell_on_random_tables():
    """The 2-term form leaves out the other-words row, whose G² share is >= 0 (log-sum inequality)."""
    rng = np.random.default_rng(7)
    for _ in range(2000):
        c, d = (int(x) for x in rng.integers(1, 5000, size=2))
        a, b = int(rng.integers(0, c + 1)), int(rng.integers(0, d + 1))
        four = stats.chi2_contingency(np.array([[a, b], [c - a, d - b]]), correction=False,
                                      lambda_="log-likelihood")[0] if 0 < a + b < c + d else 0.0
        two = log_likelihood_2term(a, b, c, d)
        assert two <= four + 1e-9 * max(1.0, four), (a, b, c, d, two, four)
        # the difference is the other-words row, written out
        n, k = c + d, a + b
        e3, e4 = c * (n - k) / n, d * (n - k) / n
        row = 2 * sum(o * math.log(o / e) for o, e in ((c - a, e3), (d - b, e4)) if o > 0)
        assert four - two == pytest.approx(row, rel=1e-6, abs=1e-8)
    # equal relative frequencies: both are 0
    assert log_likelihood_2term(5, 10, 100, 200) == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------- multiple-testing corrections


def _alpha_table():
    fillers_t = [f"f{i}" for i in range(10) for _ in range(196)] + ["f0"]
    fillers_r = [f"f{i}" for i in range(10) for _ in range(199)] + ["f0", "f1", "f2"]
    target = " ".join(["key"] * 30 + ["mid"] * 9 + fillers_t)
    reference = " ".join(["key"] * 5 + ["mid"] * 2 + fillers_r)
    return make_tokens([("t", "official", target), ("r", "framing", reference)])


def _holm_by_hand(p):
    order = sorted(range(len(p)), key=lambda i: p[i])
    m, out, running = len(p), [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        out[i] = min(1.0, running)
    return out


def test_p_adjusted_holm_bh_bonferroni_sidak():
    toks = _alpha_table()
    plain = keyness(toks, {"voice": "official"})
    assert "p_adjusted" not in plain.columns
    p = plain["p_g2_4cell"].to_list()
    m = len(p)
    expected = {
        "holm": _holm_by_hand(p),
        "bh": list(stats.false_discovery_control(np.array(p), method="bh")),
        "bonferroni": [min(1.0, m * x) for x in p],
        "sidak": [1 - (1 - x) ** m for x in p],
    }
    for correction, want in expected.items():
        got = keyness(toks, {"voice": "official"}, correction=correction)
        assert got["term"].to_list() == plain["term"].to_list()
        np.testing.assert_allclose(got["p_adjusted"], want, rtol=1e-9, atol=1e-15, err_msg=correction)
        kept = keyness(toks, {"voice": "official"}, correction=correction, alpha=0.05)
        assert set(kept.term) == {t for t, q in zip(plain.term, want) if q < 0.05}, correction
        assert kept.attrs["correction"] == correction
    # Holm keeps "key" only (mid: p ~ 0.03, times 11); without correction both
    assert set(keyness(toks, {"voice": "official"}, correction="holm", alpha=0.05).term) == {"key"}
    # the measure's own p is the one adjusted
    chi = keyness(toks, {"voice": "official"}, correction="holm", measure="chi2")
    np.testing.assert_allclose(chi["p_adjusted"], _holm_by_hand(chi["p_chi2"].to_list()), rtol=1e-9)


def test_adjusted_p_leaves_nan_out_of_m():
    p = np.array([0.01, np.nan, 0.04])
    np.testing.assert_allclose(adjusted_p(p, "bonferroni"), [0.02, np.nan, 0.08])
    np.testing.assert_allclose(adjusted_p(p, "holm"), [0.02, np.nan, 0.04])
    np.testing.assert_allclose(adjusted_p(p, None), p)
    with pytest.raises(ParameterError, match="correction"):
        adjusted_p(p, "fdr")


# ---------------------------------------------------------------- document-level columns

# three target and three reference documents; "key" occurs 3, 1, 2 times (target) and 0, 1, 2 (reference)
TARGET_DOCS = [("t1", 10, 3), ("t2", 8, 1), ("t3", 12, 2)]
REFERENCE_DOCS = [("r1", 10, 0), ("r2", 9, 1), ("r3", 11, 2)]


def _doc_text(n_words: int, n_key: int, offset: int) -> str:
    fillers = ["w", "x", "y"]
    return " ".join(["key"] * n_key + [fillers[(i + offset) % 3] for i in range(n_words - n_key)]) + " ."


@pytest.fixture()
def six_docs() -> pd.DataFrame:
    docs = [(d, "official", _doc_text(n, k, i)) for i, (d, n, k) in enumerate(TARGET_DOCS)]
    docs += [(d, "framing", _doc_text(n, k, i)) for i, (d, n, k) in enumerate(REFERENCE_DOCS)]
    return make_tokens(docs)


def _bootstrap_p_exact(target, reference, n_boot):
    """Expected p of Lijffijt et al.'s test with n_boot rounds, by enumerating every resample (3^3 x 3^3)."""
    from fractions import Fraction

    def rates(docs):
        return [Fraction(sum(docs[i][2] for i in pick), sum(docs[i][1] for i in pick))
                for pick in itertools.product(range(len(docs)), repeat=len(docs))]

    rt, rr = rates(target), rates(reference)
    total = len(rt) * len(rr)
    less = sum(1 for x in rt for y in rr if x < y) / total
    tie = sum(1 for x in rt for y in rr if x == y) / total
    greater = 1 - less - tie
    p_greater = (1 + n_boot * (less + tie / 2)) / (1 + n_boot)
    p_less = (1 + n_boot * (greater + tie / 2)) / (1 + n_boot)
    return min(1.0, 2 * min(p_greater, p_less)), min(less + tie / 2, greater + tie / 2)


def _bootstrap_p_naive(target, reference, rounds, seed):
    """The same test as a plain loop over resamples (random.choices), two-sided."""
    rng = random.Random(seed)
    below = above = ties = 0
    for _ in range(rounds):
        t = rng.choices(target, k=len(target))
        r = rng.choices(reference, k=len(reference))
        rt = sum(d[2] for d in t) / sum(d[1] for d in t)
        rr = sum(d[2] for d in r) / sum(d[1] for d in r)
        below += rt < rr
        above += rt > rr
        ties += rt == rr
    p1 = (1 + below + ties / 2) / (1 + rounds)
    p2 = (1 + above + ties / 2) / (1 + rounds)
    return min(1.0, 2 * min(p1, p2))


def test_p_doc_against_exact_enumeration_and_naive_loop(six_docs):
    row = keyness(six_docs, {"voice": "official"}).set_index("term").loc["key"]
    assert (row.freq_target, row.freq_reference) == (6, 3)
    n_boot = 2000
    exact, q = _bootstrap_p_exact(TARGET_DOCS, REFERENCE_DOCS, n_boot)
    assert 0.05 < exact < 0.9  # a table where the test is neither trivial nor degenerate
    se = 2 * math.sqrt(q * (1 - q) / n_boot)  # Monte Carlo error of a two-sided p from n_boot rounds
    assert abs(row.p_doc - exact) < 4 * se, (row.p_doc, exact, se)
    naive = _bootstrap_p_naive(TARGET_DOCS, REFERENCE_DOCS, 20_000, seed=1)
    se_naive = 2 * math.sqrt(q * (1 - q) / 20_000)
    assert abs(naive - exact) < 4 * se_naive
    assert abs(row.p_doc - naive) < 4 * math.sqrt(se ** 2 + se_naive ** 2)


def test_doc_share_dp_and_welch_by_hand(six_docs):
    k = keyness(six_docs, {"voice": "official"}, {"voice": "framing"})
    row = k.set_index("term").loc["key"]
    assert row.doc_share == pytest.approx(3 / 6)  # t1 holds 3 of the 6
    assert row.doc_share_reference == pytest.approx(2 / 3)  # r3 holds 2 of the 3
    # Gries's DP over the target's documents: 1/2 * sum |v_i/f - s_i|, sizes 10, 8, 12 (30 words)
    dp = 0.5 * (abs(3 / 6 - 10 / 30) + abs(1 / 6 - 8 / 30) + abs(2 / 6 - 12 / 30))
    assert dp == pytest.approx(1 / 6)
    assert row.dp_target == pytest.approx(dp)
    welch = stats.ttest_ind([3 / 10, 1 / 8, 2 / 12], [0 / 10, 1 / 9, 2 / 11], equal_var=False)
    assert row.p_welch == pytest.approx(welch.pvalue, rel=1e-10)
    assert (k.attrs["n_target_docs"], k.attrs["n_reference_docs"]) == (3, 3)
    # a term absent from the target has no target share or DP
    none = keyness(six_docs, {"voice": "framing"}, {"voice": "official"})
    assert none.set_index("term").loc["key", "doc_share"] == pytest.approx(2 / 3)
    assert list(k.columns[-5:]) == ["doc_share", "doc_share_reference", "dp_target", "p_doc", "p_welch"]


def test_document_columns_reproducible_and_independent_of_block_size(six_docs, monkeypatch):
    a = keyness(six_docs, {"voice": "official"}, n_boot=500, seed=3)
    b = keyness(six_docs, {"voice": "official"}, n_boot=500, seed=3)
    pd.testing.assert_frame_equal(a, b)
    monkeypatch.setattr(keywords, "_BLOCK_CELLS", 500)  # one term per block
    c = keyness(six_docs, {"voice": "official"}, n_boot=500, seed=3)
    pd.testing.assert_frame_equal(a, c)
    monkeypatch.setattr(keywords, "_DENSE_CELLS", 0)  # scipy.sparse document x term matrices
    pd.testing.assert_frame_equal(a, keyness(six_docs, {"voice": "official"}, n_boot=500, seed=3))
    # the resamples are drawn once for all blocks: p_doc is bootstrap_test's on the whole matrix
    t_mask = (six_docs["voice"].astype(str) == "official").to_numpy()
    docs = keywords._doc_codes(six_docs)[0]
    words = np.asarray(is_word(six_docs), dtype=bool)
    lemma = six_docs["lemma"].astype(str).str.lower().to_numpy()
    terms = a["term"].to_numpy()

    def matrix(side):
        ids = np.unique(docs[side & words])
        return (np.array([[((docs == d) & side & words & (lemma == t)).sum() for t in terms] for d in ids], dtype=float),
                np.array([((docs == d) & side & words).sum() for d in ids], dtype=float))

    (ca, sa), (cb, sb) = matrix(t_mask), matrix(~t_mask)
    want = inference.bootstrap_test(ca, sa, cb, sb, n_boot=500, seed=3)
    assert np.array_equal(a["p_doc"].to_numpy(), want, equal_nan=True)
    other_seed = keyness(six_docs, {"voice": "official"}, n_boot=500, seed=4)
    assert not np.array_equal(other_seed["p_doc"].to_numpy(), a["p_doc"].to_numpy(), equal_nan=True)
    off = keyness(six_docs, {"voice": "official"}, documents=False)
    assert not {"doc_share", "p_doc", "p_welch", "dp_target"} & set(off.columns)
    pd.testing.assert_frame_equal(off, a[list(off.columns)])


def test_one_document_a_side_has_no_document_test(toy):
    row = keyness(toy, {"voice": "official"}).set_index("term").loc["security"]
    assert row.doc_share == 1.0 and row.doc_share_reference == 1.0
    assert np.isnan(row.p_doc) and np.isnan(row.p_welch)


# ---------------------------------------------------------------- languages


def make_tokens_lang(docs: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """``docs`` = [(doc_id, voice, lang, text)]; one sentence per document."""
    return tokens_from_sentences([(d, parse_conllu(_conllu(text.split())), {"voice": voice, "lang": lang}, {})
                                  for d, voice, lang, text in docs])


@pytest.fixture()
def mixed() -> pd.DataFrame:
    return make_tokens_lang([
        ("a", "official", "en", "we must guard security and security ."),
        ("b", "framing", "en", "the blog says security ."),
        ("c", "original", "zh", "网络 安全 很 重要 。"),
        ("d", "framing", "zh", "我们 关注 网络 安全 和 网络 。"),
    ])


def test_default_reference_is_the_target_language(mixed):
    k = keyness(mixed, {"voice": "official"})
    # English only: target 6 words (a), reference 4 (b); no Chinese word is a term
    assert (k.attrs["n_target"], k.attrs["n_reference"]) == (6, 4)
    assert k.attrs["languages"] == ["en"]
    assert not {"网络", "安全", "很", "重要", "我们", "关注", "和"} & set(k.term)
    explicit = keyness(mixed, {"voice": "official"}, {"voice": "framing", "lang": "en"})
    pd.testing.assert_frame_equal(k, explicit)
    # a bilingual target: the reference is the rest in both languages
    both = keyness(mixed, {"doc_id": ["a", "c"]})
    assert both.attrs["languages"] == ["en", "zh"] and both.attrs["n_reference"] == 4 + 6
    # without a lang column the default reference is the whole rest
    rest = keyness(mixed.drop(columns=["lang"]), {"voice": "official"})
    assert rest.attrs["n_reference"] == 4 + 4 + 6


def test_explicit_reference_in_another_language_is_refused(mixed):
    with pytest.raises(ParameterError, match=r"analysis\.select\(tokens, lang=\.\.\.\)"):
        keyness(mixed, {"voice": "official"}, {"voice": "framing"})  # framing = en + zh
    with pytest.raises(ParameterError, match="target is in en but the reference in zh"):
        keyness(mixed, {"voice": "official"}, {"voice": "original"})


# ---------------------------------------------------------------- queries that span words


def test_terms_count_query_matches(mixed):
    zh = mixed[mixed["lang"] == "zh"].reset_index(drop=True)
    k = keyness(zh, {"voice": "original"}, terms=["网络安全", "网络", "重要", "lemma:不存在"]).set_index("term")
    # by hand: 网络安全 (网络 + 安全) once in c, once in d; 网络 once in c, twice in d; 重要 once in c
    assert set(k.index) == {"网络安全", "网络", "重要"}  # no match at all: below min_freq
    assert (k.loc["网络安全", "freq_target"], k.loc["网络安全", "freq_reference"]) == (1, 1)
    assert (k.loc["网络", "freq_target"], k.loc["网络", "freq_reference"]) == (1, 2)
    assert (k.loc["重要", "freq_target"], k.loc["重要", "freq_reference"]) == (1, 0)
    # denominators are the words, as without terms: c has 4, d has 6
    assert k.attrs["n_target"] == 4 and k.attrs["n_reference"] == 6
    table = np.array([[1, 1], [3, 5]])
    assert k.loc["网络安全", "g2_4cell"] == pytest.approx(
        stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0])
    assert k.attrs["field"] is None


def test_terms_phrases_and_globs_in_english(toy):
    k = keyness(toy, {"voice": "official"}, terms=["national security", "lemma:secur*", "security is"])
    k = k.set_index("term")
    # official: "Security is national security and Security ."; framing: "the blog says the security is fine"
    assert (k.loc["national security", "freq_target"], k.loc["national security", "freq_reference"]) == (1, 0)
    assert (k.loc["lemma:secur*", "freq_target"], k.loc["lemma:secur*", "freq_reference"]) == (3, 1)
    assert (k.loc["security is", "freq_target"], k.loc["security is", "freq_reference"]) == (1, 1)
    assert k.attrs["n_target"] == 6 and k.attrs["n_reference"] == 7
    assert k.loc["lemma:secur*", "g2_4cell"] == pytest.approx(
        keyness(toy, {"voice": "official"}).set_index("term").loc["security", "g2_4cell"])


# ---------------------------------------------------------------- the seed corpus


def test_seed_doc_shares_of_study_and_ideological(seed_en):
    k = keyness(seed_en, {"voice": "official"}, {"voice": "framing"}).set_index("term")
    words = seed_en[is_word(seed_en) & (seed_en["voice"] == "official").to_numpy()]
    lemmas = words["lemma"].astype(str).str.lower()
    for term in ("study", "ideological"):
        per_doc = words[lemmas == term].groupby("doc_id", observed=True).size()
        assert k.loc[term, "doc_share"] == pytest.approx(per_doc.max() / per_doc.sum())
    assert k.loc["study", "doc_share"] > 0.9 and k.loc["ideological", "doc_share"] > 0.8


def test_seed_readme_example_gives_english_keywords(seed_tokens):
    k = keyness(seed_tokens, {"voice": "official"})
    assert k.attrs["languages"] == ["en"]
    en = seed_tokens[(seed_tokens["lang"] == "en").to_numpy()]
    assert k.attrs["n_reference"] == int((is_word(en) & (en["voice"] != "official").to_numpy()).sum())
    top = list(k.term.head(5))
    assert not {"the", "of"} & set(top)
    english_lemmas = set(en.loc[is_word(en), "lemma"].astype(str).str.lower())
    assert set(k.term) <= english_lemmas  # no term read from the Chinese rows


# ---------------------------------------------------------------- the figure


def test_plot_keyness_marks_corrected_and_document_level(six_docs):
    import matplotlib.pyplot as plt

    from analysis import plot_keyness

    table = keyness(six_docs, {"voice": "official"}, correction="holm")
    fig = plot_keyness(table, top=5, alpha=0.05)
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("Holm-adjusted p < 0.05" in t for t in legend)
    assert any("p_doc" in t and "50%" in t for t in legend)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # by hand: every row's key-side share and p_doc
    shown = pd.concat([table[table.direction == "positive"].head(5), table[table.direction == "negative"].tail(5)])
    for label, r in zip(labels, shown.itertuples()):
        share = r.doc_share_reference if r.direction == "negative" else r.doc_share
        weak = not (r.p_doc < 0.05) or share > 0.5
        assert label.endswith("†") == weak, (label, share, r.p_doc)
    plt.close(fig)
    plain = keyness(six_docs, {"voice": "official"})
    fig = plot_keyness(plain, alpha=0.05)
    assert any("uncorrected" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    plt.close(fig)


def test_cli_keyness_corrections_terms_and_documents(toy, monkeypatch, capsys):
    import json

    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: toy)
    assert main(["keyness", "--target", "voice=official", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    holm = keyness(toy, {"voice": "official"}, correction="holm")
    assert [r["p_adjusted"] for r in rows] == pytest.approx(list(holm.p_adjusted))  # Holm by default
    assert main(["keyness", "--target", "voice=official", "--correction", "none", "--format", "json"]) == 0
    assert "p_adjusted" not in json.loads(capsys.readouterr().out)[0]
    assert main(["keyness", "--target", "voice=official", "--no-documents", "--format", "json"]) == 0
    assert "p_doc" not in json.loads(capsys.readouterr().out)[0]
    assert main(["keyness", "--target", "voice=official", "--terms", "lemma:secur*", "national security",
                 "--seed", "2", "--n-boot", "200", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["term"]: r["freq_target"] for r in rows} == {"lemma:secur*": 3, "national security": 1}
    assert main(["keyness", "--target", "voice=official", "--alpha", "0.5"]) == 0
    assert "holm-adjusted p < 0.5" in capsys.readouterr().out
