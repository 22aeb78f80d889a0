"""Dispersion measures against Gries (2008)'s worked example, hand arithmetic, scipy and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.distribution import (dispersion, dispersion_measures, dispersion_positions, dp_norm, gries_dp,
                                 juilland_d)
from analysis import is_word, plot_dispersion
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.tokens import tokens_from_conllu

# Gries (2008: 415-416): a corpus of 50 words in five parts of 9, 10, 10, 10 and 11 words; the
# element "a" occurs 1, 2, 3, 4 and 5 times in them (15 in all). Published: DP = 0.18.
SIZES = [9, 10, 10, 10, 11]
FREQ_A = [1, 2, 3, 4, 5]


def test_gries_2008_worked_example_dp():
    # expected shares s = 9/50 .. 11/50 = .18 .2 .2 .2 .22
    # observed shares v/f = 1/15 2/15 3/15 4/15 5/15 = .0667 .1333 .2 .2667 .3333
    # |differences|      = .1133 .0667 0 .0667 .1133 -> sum .36 -> DP = .36 / 2 = .18
    diffs = [abs(1 / 15 - .18), abs(2 / 15 - .2), abs(3 / 15 - .2), abs(4 / 15 - .2), abs(5 / 15 - .22)]
    assert sum(diffs) / 2 == pytest.approx(0.18)
    assert gries_dp(FREQ_A, SIZES) == pytest.approx(0.18)
    assert round(gries_dp(FREQ_A, SIZES), 2) == 0.18  # the published figure


def test_gries_2008_worked_example_dp_norm():
    # Lijffijt & Gries (2012): DP_norm = DP / (1 - min s_i) = .18 / (1 - .18) = .2195...
    assert dp_norm(FREQ_A, SIZES) == pytest.approx(0.18 / 0.82)


def test_gries_2008_worked_example_juilland_d():
    # normalised subfrequencies p = 1/9, 2/10, 3/10, 4/10, 5/11
    p = [1 / 9, 0.2, 0.3, 0.4, 5 / 11]
    mean = sum(p) / 5                                    # 0.293131...
    sd = math.sqrt(sum((x - mean) ** 2 for x in p) / 5)  # population SD 0.125958...
    d = 1 - (sd / mean) / math.sqrt(5 - 1)               # 1 - 0.429699 / 2 = 0.785150...
    assert d == pytest.approx(0.78515, abs=1e-5)
    assert juilland_d(FREQ_A, SIZES) == pytest.approx(d)
    # and with scipy's coefficient of variation (population SD by default)
    from scipy.stats import variation
    assert juilland_d(FREQ_A, SIZES) == pytest.approx(1 - variation(p) / 2)


def test_measures_bundle():
    m = dispersion_measures(FREQ_A, SIZES)
    assert m["freq"] == 15 and m["range"] == 5 and m["parts"] == 5
    assert m["dp"] == pytest.approx(0.18)


def test_even_distribution():
    # proportional to part sizes -> DP 0; equal rates -> D 1
    assert gries_dp([2, 4, 6], [100, 200, 300]) == pytest.approx(0.0)
    assert juilland_d([2, 4, 6], [100, 200, 300]) == pytest.approx(1.0)
    assert dp_norm([5, 5, 5, 5], [10, 10, 10, 10]) == pytest.approx(0.0)
    assert juilland_d([5, 5, 5, 5], [10, 10, 10, 10]) == pytest.approx(1.0)


def test_all_in_one_part():
    # equal parts: D = 0; DP = 1 - 1/n; DP_norm = 1
    assert juilland_d([0, 0, 7, 0], [10, 10, 10, 10]) == pytest.approx(0.0)
    assert gries_dp([0, 0, 7, 0], [10, 10, 10, 10]) == pytest.approx(0.75)
    assert dp_norm([0, 0, 7, 0], [10, 10, 10, 10]) == pytest.approx(1.0)
    # unequal parts, all in the smallest: DP = 1 - s_min, DP_norm = 1 (Lijffijt & Gries 2012)
    assert gries_dp([3, 0, 0], [10, 20, 70]) == pytest.approx(0.9)
    assert dp_norm([3, 0, 0], [10, 20, 70]) == pytest.approx(1.0)
    # all in the largest part: DP = 1 - .7 = .3, DP_norm = .3 / .9
    assert dp_norm([0, 0, 3], [10, 20, 70]) == pytest.approx(0.3 / 0.9)
    assert dispersion_measures([0, 0, 3], [10, 20, 70])["range"] == 1


def test_degenerate_inputs():
    assert math.isnan(gries_dp([0, 0], [5, 5]))
    assert math.isnan(juilland_d([0, 0], [5, 5]))
    assert math.isnan(juilland_d([3], [5]))  # one part: undefined
    with pytest.raises(ParameterError, match="same length"):
        gries_dp([1, 2], [3])
    with pytest.raises(ParameterError, match="> 0"):
        gries_dp([1, 0], [3, 0])
    with pytest.raises(EmptySelectionError, match="no corpus parts"):
        gries_dp([], [])


# ---------------------------------------------------------------- on Tokens


def doc(doc_id, words, voice="official"):
    """One paragraph, one sentence; '.' is punctuation."""
    lines = [f"# newpar id = {doc_id}-p1"]
    for i, w in enumerate(words, 1):
        upos = "PUNCT" if w == "." else "X"
        lines.append(f"{i}\t{w}\t{w.lower()}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_")
    return tokens_from_conllu("\n".join(lines), doc_id=doc_id, lang="en", voice=voice)


def concat(tables):
    cats = [c for c in tables[0].columns if isinstance(tables[0][c].dtype, pd.CategoricalDtype)]
    out = pd.concat([t.astype({c: object for c in cats}) for t in tables], ignore_index=True)
    return out.astype({c: "category" for c in cats})


@pytest.fixture(scope="module")
def gries_tokens():
    """Gries's five parts as five documents (plus punctuation, which part sizes ignore)."""
    parts = []
    for i, (size, fa) in enumerate(zip(SIZES, FREQ_A)):
        words = ["a"] * fa + ["x"] * (size - fa) + ["."]
        parts.append(doc(f"p{i + 1}", words, voice="official" if i < 3 else "framing"))
    return concat(parts)


def test_dispersion_on_tokens_reproduces_the_example(gries_tokens):
    got = dispersion(gries_tokens, ["a", "x", "absent"])
    assert list(got.columns) == ["term", "freq", "range", "parts", "juilland_d", "dp", "dp_norm"]
    row = got.iloc[0]
    assert (row["term"], row["freq"], row["range"], row["parts"]) == ("a", 15, 5, 5)
    assert row["dp"] == pytest.approx(0.18)
    assert row["dp_norm"] == pytest.approx(0.18 / 0.82)
    assert row["juilland_d"] == pytest.approx(juilland_d(FREQ_A, SIZES))
    x = got.iloc[1]
    assert x["freq"] == 35 and x["dp"] == pytest.approx(gries_dp([8, 8, 7, 6, 6], SIZES))
    assert got.iloc[2]["freq"] == 0 and np.isnan(got.iloc[2]["dp"])


def test_dispersion_by_other_partition(gries_tokens):
    got = dispersion(gries_tokens, "a", by="voice").iloc[0]
    # official = parts 1-3 (29 words, 6 a), framing = parts 4-5 (21 words, 9 a)
    assert got["parts"] == 2
    assert got["dp"] == pytest.approx(0.5 * (abs(6 / 15 - 29 / 50) + abs(9 / 15 - 21 / 50)))
    with pytest.raises(QueryError, match="no such column"):
        dispersion(gries_tokens, "a", by="colour")
    with pytest.raises(ParameterError, match="at least one term"):
        dispersion(gries_tokens, [])
    with pytest.raises(EmptySelectionError):
        dispersion(gries_tokens, "a", voice="nobody")
    # filters restrict the table first: official = parts 1-3
    official = dispersion(gries_tokens, "a", voice="official").iloc[0]
    assert (official["freq"], official["parts"]) == (6, 3)
    assert official["dp"] == pytest.approx(gries_dp([1, 2, 3], [9, 10, 10]))


def test_dispersion_positions(gries_tokens):
    pos = dispersion_positions(gries_tokens, ["a", "x"])
    assert list(pos.columns) == ["doc_id", "term", "position", "doc_words", "relative"]
    assert list(pos["doc_id"].cat.categories) == ["p1", "p2", "p3", "p4", "p5"]
    a = pos[pos["term"] == "a"]
    assert a.groupby("doc_id", observed=False).size().tolist() == FREQ_A
    first = a[a["doc_id"] == "p2"]
    assert first["position"].tolist() == [0, 1]
    assert first["doc_words"].tolist() == [10, 10]  # 10 words; "." is not a word
    assert first["relative"].tolist() == [0.0, 1 / 10]
    ordered = dispersion_positions(gries_tokens, "a", order=["p5", "p1"])
    assert list(ordered["doc_id"].cat.categories) == ["p5", "p1"]
    assert set(ordered["doc_id"]) == {"p5", "p1"}
    with pytest.raises(ParameterError, match="not in the table"):
        dispersion_positions(gries_tokens, "a", order=["nope"])


def test_plot_dispersion_returns_figure(gries_tokens):
    pos = dispersion_positions(gries_tokens, ["a", "x", "absent"])
    fig = plot_dispersion(pos)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3  # one facet per term, the empty one included
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["p1", "p2", "p3", "p4", "p5"]
    assert len(ax.collections[0].get_segments()) == 15  # one tick per hit of "a"
    single = plot_dispersion(pos, facet=False, labels={"p1": "first"})
    assert len(single.axes) == 1 and single.axes[0].get_yticklabels()[0].get_text() == "first"
    with pytest.raises(ParameterError, match="needs the columns"):
        plot_dispersion(pd.DataFrame({"doc_id": ["a"]}))


# ---------------------------------------------------------------- words only, and a corpus's own columns


def test_positions_count_words_only():
    # "The state , the % party : security ." -- ",", "%" (SYM), ":" and "." are not words
    words = ["The", "state", ",", "the", "%", "party", ":", "security", "."]
    lines = ["# newpar id = d-p1"]
    for i, w in enumerate(words, 1):
        upos = {",": "PUNCT", "%": "SYM", ":": "PART", ".": "PUNCT"}.get(w, "X")
        lines.append(f"{i}\t{w}\t{w.lower()}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_")
    t = tokens_from_conllu("\n".join(lines), doc_id="d", lang="en")
    pos = dispersion_positions(t, ["security", "the", "party"])
    got = {(r.term, r.position) for r in pos.itertuples()}
    # words: The(0) state(1) the(2) party(3) security(4)
    assert got == {("security", 4), ("the", 0), ("the", 2), ("party", 3)}
    assert int(is_word(t).sum()) == 5 and (pos["doc_words"] == 5).all()
    assert pos.loc[pos["term"] == "security", "relative"].tolist() == [4 / 5]
    # punctuation never counts as a hit either
    assert dispersion_positions(t, "upos:PUNCT").empty
    assert dispersion(t, "upos:PUNCT").iloc[0]["freq"] == 0


def test_dispersion_by_own_column():
    parts = [doc("s1", ["a", "x", "x", "."], voice=""), doc("s2", ["a", "a", "x", "x", "x", "x"], voice=""),
             doc("s3", ["x", "x"], voice="")]
    for t, source in zip(parts, ["ministry", "ministry", "press"]):
        t["source"] = pd.Categorical([source] * len(t))
    t = concat(parts).drop(columns=["voice"])
    got = dispersion(t, "a", by="source").iloc[0]
    # ministry: 3 + 6 = 9 words, 3 hits; press: 2 words, 0 hits
    assert (got["freq"], got["range"], got["parts"]) == (3, 1, 2)
    assert got["dp"] == pytest.approx(gries_dp([3, 0], [9, 2]))
    by_two = dispersion(t, "a", by=["source", "doc_id"]).iloc[0]
    assert by_two["parts"] == 3 and by_two["dp"] == pytest.approx(gries_dp([1, 2, 0], [3, 6, 2]))
