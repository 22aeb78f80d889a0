"""Window collocates: measures checked against NLTK's BigramAssocMeasures and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

from analysis.collocation import (CollocationStream, collocates, collocation_network, delta_p, log_dice)
from analysis import is_word
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.tokens import tokens_from_conllu

TEXT = ("we safeguard national security and we guarantee network security because national "
        "security is the security of the nation and network security is national security too "
        "so we protect security and we develop the network")


def flat_conllu(words: list[str], upos: dict[str, str] | None = None) -> str:
    upos = upos or {}
    return "\n".join(
        f"{i}\t{w}\t{w.lower()}\t{upos.get(w, 'NOUN')}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_"
        for i, w in enumerate(words, 1)) + "\n"


def paragraphs_conllu(pars: list[list[str]]) -> str:
    out = []
    for p, words in enumerate(pars, 1):
        out.append(f"# newpar id = doc-p{p}\n" + flat_conllu(words))
    return "\n".join(out)


@pytest.fixture()
def tokens() -> pd.DataFrame:
    return tokens_from_conllu(flat_conllu(TEXT.split()), lang="en", voice="official")


def test_adjacent_bigrams_equal_nltk(tokens):
    words = TEXT.split()
    finder = BigramCollocationFinder.from_words(words)
    bam = BigramAssocMeasures
    node = "national"  # never the last word, so its window size equals its frequency
    table = collocates(tokens, node, window=(0, 1), field="form").set_index("collocate")
    assert set(table.index) == {w2 for (w1, w2) in finder.ngram_fd if w1 == node}
    for coll, row in table.iterrows():
        assert row.observed == finder.ngram_fd[(node, coll)]
        assert row.window_size == finder.word_fd[node] and row.freq_collocate == finder.word_fd[coll]
        assert row.n == finder.N
        assert row.mi == pytest.approx(finder.score_ngram(bam.pmi, node, coll), rel=1e-12)
        assert row.t_score == pytest.approx(finder.score_ngram(bam.student_t, node, coll), rel=1e-9)
        assert row.chi2 == pytest.approx(finder.score_ngram(bam.chi_sq, node, coll), rel=1e-9)
        assert row.g2 == pytest.approx(finder.score_ngram(bam.likelihood_ratio, node, coll), rel=1e-9)
        # expected frequency as NLTK's _expected_values gives it for the first cell
        cont = bam._contingency(row.observed, (finder.word_fd[node], finder.word_fd[coll]), finder.N)
        assert row.expected == pytest.approx(next(iter(bam._expected_values(cont))), rel=1e-12)


def test_measures_equal_nltk_from_same_counts(tokens):
    # any span: feed our own O, R1, C1, N to NLTK's scoring functions
    table = collocates(tokens, "security", window=(3, 2))
    bam = BigramAssocMeasures
    for row in table.itertuples():
        marg = (row.observed, (row.window_size, row.freq_collocate), row.n)
        assert row.mi == pytest.approx(bam.pmi(*marg), rel=1e-12)
        assert row.t_score == pytest.approx(bam.student_t(*marg), rel=1e-9)
        assert row.chi2 == pytest.approx(bam.chi_sq(*marg), rel=1e-9)
        assert row.g2 == pytest.approx(bam.likelihood_ratio(*marg), rel=1e-9, abs=1e-9)
        assert row.mi3 == pytest.approx(math.log2(row.observed ** 3 / row.expected), rel=1e-12)


def test_log_dice_and_delta_p_by_hand():
    # Rychly 2008: 14 + log2(2 * 4 / (10 + 6)) = 14 + log2(0.5) = 13
    assert log_dice(4, 10, 6) == pytest.approx(13.0)
    assert log_dice(5, 5, 5) == pytest.approx(14.0)
    # O=4, R1=10, C1=6, N=100: a=4, b=6, c=2, d=88
    # dP(coll|node) = 4/10 - 2/90 = 0.377778 ; dP(node|coll) = 4/6 - 6/94 = 0.602837
    cn, nc = delta_p(4, 10, 6, 100)
    assert cn == pytest.approx(4 / 10 - 2 / 90)
    assert nc == pytest.approx(4 / 6 - 6 / 94)
    assert cn == pytest.approx(0.377778, abs=1e-6) and nc == pytest.approx(0.602837, abs=1e-6)


def test_counts_by_hand(tokens):
    table = collocates(tokens, "security", window=1, field="form").set_index("collocate")
    # "security" occurs 7 times; left neighbours: national x3, network x2, the, protect;
    # right neighbours: and x2, because, is x2, of, too
    assert table.attrs["freq_node"] == 7
    assert table.loc["national", "left"] == 3 and table.loc["national", "right"] == 0
    assert table.loc["is", "right"] == 2
    assert table.attrs["window_size"] == 14
    row = table.loc["national"]
    f_national = TEXT.split().count("national")
    assert row.freq_collocate == f_national == 3
    assert row.log_dice == pytest.approx(14 + math.log2(2 * 3 / (7 + 3)))
    assert row.expected == pytest.approx(14 * 3 / len(TEXT.split()))


def test_overlapping_windows_are_merged():
    # x N y N z with window 1: windows {x, y} and {y, z} share y -> R1 = 3, O(y) = 1
    toks = tokens_from_conllu(flat_conllu(["x", "node", "y", "node", "z"]))
    t = collocates(toks, "node", window=1).set_index("collocate")
    assert t.attrs["window_size"] == 3
    assert t.loc["y", "observed"] == 1 and t.loc["y", "left"] == 1 and t.loc["y", "right"] == 1
    assert (t.observed <= t.freq_collocate).all()
    # with window 2 the two node occurrences lie in each other's window
    t = collocates(toks, "node", window=(2, 2)).set_index("collocate")
    assert t.attrs["window_size"] == 5 and t.loc["node", "observed"] == 2


def test_windows_stop_at_paragraph_boundaries():
    toks = tokens_from_conllu(paragraphs_conllu([["a", "b", "node"], ["c", "d"]]))
    within = collocates(toks, "node", window=2).set_index("collocate")
    assert set(within.index) == {"a", "b"} and within.attrs["window_size"] == 2
    across = collocates(toks, "node", window=2, within="document").set_index("collocate")
    assert set(across.index) == {"a", "b", "c", "d"} and across.attrs["window_size"] == 4


def test_filters_and_punctuation():
    words = ["the", "state", "safeguards", "the", "security", ",", "the", "state", "acts"]
    toks = tokens_from_conllu(flat_conllu(words, {",": "PUNCT", "the": "DET", "safeguards": "VERB", "acts": "VERB"}))
    t = collocates(toks, "security", window=2).set_index("collocate")
    # punctuation is out of the stream: the right window is "the state"
    assert set(t.index) == {"safeguards", "the", "state"} and t.attrs["n"] == 8
    t = collocates(toks, "security", window=2, stopwords=["the"]).set_index("collocate")
    assert set(t.index) == {"safeguards", "state"}
    assert t.attrs["window_size"] == 4  # stopwords still take window slots
    t = collocates(toks, "security", window=2, upos=["VERB"]).set_index("collocate")
    assert list(t.index) == ["safeguards"] and t.loc["safeguards", "freq_collocate"] == 1
    t = collocates(toks, "security", window=4, min_freq=2)
    assert set(t.collocate) == {"the", "state"}


def test_sorting_and_errors(tokens):
    t = collocates(tokens, "security", measure="mi")
    assert list(t.mi) == sorted(t.mi, reverse=True)
    assert len(collocates(tokens, "security", top=3)) == 3
    with pytest.raises(EmptySelectionError, match="does not occur"):
        collocates(tokens, "cabbage")
    with pytest.raises(QueryError, match="phrase"):
        collocates(tokens, "national security")
    with pytest.raises(ParameterError, match="window"):
        collocates(tokens, "security", window=(0, 0))
    with pytest.raises(ParameterError, match="window"):
        collocates(tokens, "security", window=-1)
    with pytest.raises(ParameterError, match="window"):
        collocates(tokens, "security", window=(1, 2, 3))
    with pytest.raises(ParameterError, match="measure"):
        collocates(tokens, "security", measure="dice-ish")
    with pytest.raises(ParameterError, match="within"):
        collocates(tokens, "security", within="chapter")
    with pytest.raises(ParameterError, match="top"):
        collocates(tokens, "security", top=0)
    with pytest.raises(ParameterError, match="min_freq"):
        collocates(tokens, "security", min_freq=0)
    with pytest.raises(ParameterError, match="field"):
        collocates(tokens, "security", field="colour")
    with pytest.raises(EmptySelectionError):
        collocates(tokens, "security", voice="nobody")


def test_collocation_network(tokens):
    edges = collocation_network(tokens, "security", depth=2, top=3, min_freq=1, upos=None, window=2)
    assert list(edges.columns) == ["source", "target", "level", "measure", "value", "observed"]
    first = edges[edges.level == 1]
    assert (first.source == "security").all() and len(first) == 3
    stream = CollocationStream(tokens)
    direct = stream.collocates("security", window=2)
    direct = direct[direct.collocate != "security"]
    assert list(first.target) == list(direct.collocate.head(3))
    np.testing.assert_allclose(first.value, direct.log_dice.head(3))
    second = edges[edges.level == 2]
    assert len(second) and set(second.source) <= set(first.target)
    pairs = [frozenset(p) for p in zip(edges.source, edges.target)]
    assert len(pairs) == len(set(pairs))  # no edge twice
    again = collocation_network(tokens, "security", depth=2, top=3, min_freq=1, upos=None, window=2)
    pd.testing.assert_frame_equal(edges, again)


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_network_plot_is_deterministic(tokens):
    import matplotlib.pyplot as plt

    from analysis import plot_collocation_network
    from analysis.plots.collocation import _network_layout

    edges = collocation_network(tokens, "security", depth=2, top=3, min_freq=1, upos=None, window=2)
    fig1, fig2 = plot_collocation_network(edges, seed=3), plot_collocation_network(edges, seed=3)
    assert _png(fig1) == _png(fig2)
    labels = {t.get_text() for t in fig1.axes[0].texts}
    assert labels == set(edges.source) | set(edges.target)
    plt.close("all")
    pos_a = _network_layout(["a", "b", "c"], [(0, 1, 1.0), (1, 2, 0.5)], seed=1)
    pos_b = _network_layout(["a", "b", "c"], [(0, 1, 1.0), (1, 2, 0.5)], seed=2)
    assert np.allclose(pos_a[0], 0) and not np.allclose(pos_a, pos_b)
    with pytest.raises(EmptySelectionError):
        plot_collocation_network(edges.iloc[0:0])
    with pytest.raises(ParameterError, match="columns"):
        plot_collocation_network(edges[["source", "target"]])


# ---------------------------------------------------------------- the node is a query


def node_tokens() -> pd.DataFrame:
    """Forms differ from lemmas: secures/secure, Security/security, securely/securely, develop/development."""
    rows = [("we", "we"), ("secures", "secure"), ("the", "the"), ("Security", "security"), ("of", "of"),
            ("development", "development"), ("and", "and"), ("securely", "securely"), ("develop", "develop"),
            ("plans", "plan")]
    text = "\n".join(f"{i}\t{f}\t{lem}\tNOUN\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_"
                     for i, (f, lem) in enumerate(rows, 1)) + "\n"
    return tokens_from_conllu(text, lang="en")


def test_bare_word_node_is_read_from_field():
    toks = node_tokens()
    # "security" is a lemma (field="lemma", the default): the row "Security"/security
    t = collocates(toks, "security", window=1).set_index("collocate")
    assert t.attrs["freq_node"] == 1 and set(t.index) == {"the", "of"}
    # with field="form" the bare word is a form, case-insensitive
    t = collocates(toks, "security", window=1, field="form").set_index("collocate")
    assert t.attrs["freq_node"] == 1 and set(t.index) == {"the", "of"}
    assert collocates(toks, "secures", window=1, field="form").attrs["freq_node"] == 1
    with pytest.raises(EmptySelectionError, match="does not occur"):
        collocates(toks, "secures", window=1)  # not a lemma
    with pytest.raises(EmptySelectionError, match="does not occur"):
        collocates(toks, "security", window=1, field="form", case_sensitive=True)


def test_glob_node_follows_the_query_language():
    toks = node_tokens()
    # secur* is a glob on the form: secures (row 2), Security (row 4), securely (row 8)
    t = collocates(toks, "secur*", window=1).set_index("collocate")
    # windows (1 left, 1 right): {we, the}, {the, of}, {and, develop}; "the" lies in two windows,
    # counted once: R1 = 5
    assert t.attrs["freq_node"] == 3 and t.attrs["window_size"] == 5
    assert t["observed"].to_dict() == {"we": 1, "the": 1, "of": 1, "and": 1, "develop": 1}
    assert t.loc["the", "left"] == 1 and t.loc["the", "right"] == 1
    n = int(is_word(toks).sum())
    assert t.attrs["n"] == n == 10
    # logDice from observed, f(node) = 3 and f(collocate) = 1
    assert t.loc["we", "log_dice"] == pytest.approx(14 + math.log2(2 * 1 / (3 + 1)))
    assert t.loc["we", "expected"] == pytest.approx(5 * 1 / 10)


def test_lemma_node():
    toks = node_tokens()
    t = collocates(toks, "lemma:development", window=2, field="form").set_index("collocate")
    # "development" (row 6): left "Security of", right "and securely"; collocates are forms, lower-cased
    assert t.attrs["freq_node"] == 1 and t.attrs["window_size"] == 4
    assert t["observed"].to_dict() == {"security": 1, "of": 1, "and": 1, "securely": 1}
    # a lemma: node whose lemma is not a form: lemma:secure matches "secures"
    t = collocates(toks, "lemma:secure", window=(0, 1)).set_index("collocate")
    assert list(t.index) == ["the"]
    # alternatives: lemma:develop* or the form plans
    t = collocates(toks, "lemma:develop*|plans", window=(1, 0))
    assert t.attrs["freq_node"] == 3


def test_network_from_a_query_node():
    toks = node_tokens()
    edges = collocation_network(toks, "secur*", depth=1, top=10, min_freq=1, upos=None, window=1, field="form")
    assert set(edges.source) == {"secur*"}
    # the node's own terms are not its collocates
    assert not {"secures", "security", "securely"} & set(edges.target)
    assert set(edges.target) == {"we", "the", "of", "and", "develop"}


def test_denominator_is_is_word():
    words = ["the", "state", ",", "guards", "security", "%", "and", "$", "security", "."]
    upos = {",": "PART", "%": "SYM", "$": "NOUN", ".": "PUNCT"}
    toks = tokens_from_conllu(flat_conllu(words, upos))
    t = collocates(toks, "security", window=1)
    assert t.attrs["n"] == int(is_word(toks).sum()) == 6
    # non-words take no window slot: around the two "security": {guards, and} and {and}
    assert t.attrs["window_size"] == 2
    assert dict(zip(t.collocate, t.observed)) == {"guards": 1, "and": 1}


def test_seed_query_nodes(seed_en):
    glob = collocates(seed_en, "secur*", min_freq=2)
    lemma = collocates(seed_en, "lemma:development", min_freq=2)
    bare = collocates(seed_en, "development", min_freq=2)
    assert len(glob) and len(lemma)
    assert glob.attrs["freq_node"] >= collocates(seed_en, "security").attrs["freq_node"]
    pd.testing.assert_frame_equal(lemma, bare)  # a bare word is read from field="lemma"


def test_span_0_1_differs_from_nltk_when_the_node_ends_a_paragraph():
    """With window=(0, 1), R1 counts the node occurrences with a next word in their paragraph; NLTK's
    n_ix is f(node) and its bigrams cross paragraph edges. Here 'security' ends paragraph 1."""
    pars = [["we", "guard", "security"], ["security", "matters", "and", "security", "grows"]]
    toks = tokens_from_conllu(paragraphs_conllu(pars))
    table = collocates(toks, "security", window=(0, 1), field="form").set_index("collocate")
    words = [w for p in pars for w in p]
    finder = BigramCollocationFinder.from_words(words)
    # by hand: f(security) = 3; the first ends paragraph 1, so R1 = 3 - 1 = 2
    assert table.attrs["freq_node"] == finder.word_fd["security"] == 3
    assert table.attrs["window_size"] == 2
    # NLTK counts the bigram (security, security) across the edge; collocates does not
    assert finder.ngram_fd[("security", "security")] == 1 and "security" not in table.index
    assert dict(table["observed"]) == {"matters": 1, "grows": 1}
    # the margins differ, so the scores differ: MI = log2(O N / (R1 C1)) with R1 = 2, not f(node) = 3
    n = len(words)
    assert table.loc["matters", "mi"] == pytest.approx(math.log2(1 * n / (2 * 1)))
    nltk_mi = finder.score_ngram(BigramAssocMeasures.pmi, "security", "matters")
    assert nltk_mi == pytest.approx(math.log2(1 * n / (3 * 1)))
    assert table.loc["matters", "mi"] != pytest.approx(nltk_mi)
    # within the whole document the edge is no longer a boundary, and the tables agree again
    doc = collocates(toks, "security", window=(0, 1), field="form", within="document").set_index("collocate")
    assert doc.attrs["window_size"] == 3
    assert doc.loc["matters", "mi"] == pytest.approx(nltk_mi)


def test_seed_security_span_0_1(seed_en):
    """The seed's English: security occurs 70 times, 4 of them paragraph-final (R1 = 66, not 70)."""
    from analysis._core import unit_keys

    table = collocates(seed_en, "security", window=(0, 1))
    words = np.flatnonzero(is_word(seed_en))
    lemma = seed_en["lemma"].astype(str).str.lower().to_numpy()[words]
    par = unit_keys(seed_en, "paragraph")[words]
    node = np.flatnonzero(lemma == "security")
    has_next = np.array([i + 1 < len(words) and par[i + 1] == par[i] for i in node])
    assert table.attrs["freq_node"] == len(node) == 70
    assert table.attrs["window_size"] == int(has_next.sum()) == 66
