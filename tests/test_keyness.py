"""Keyness statistics, each checked against scipy or a hand computation written out here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.cli import _common as cli_common
from analysis.conllu import parse_conllu
from analysis import is_word
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.keywords import (chi2_sf, chi_squared, corrected_alpha, keyness, log_likelihood_2term,
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
    with pytest.raises(ParameterError, match="correction"):
        corrected_alpha(0.05, 10, "holm")
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
        keyness(toy, {"voice": "official"}, alpha=0.05, correction="holm")
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
    api = keyness(toy, {"voice": "official"}, measure="chi2", alpha=0.5, field="form", case_sensitive=True)
    assert [r["term"] for r in rows] == list(api.term)


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

    assert cli_keyness.KEYNESS_MEASURES == keywords.MEASURES
    assert (None, *cli_keyness.CORRECTIONS) == keywords.CORRECTIONS
    assert cli_keyness.COLLOCATION_MEASURES == collocation.MEASURES
