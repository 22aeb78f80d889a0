"""The shared core: one definition of a word, one filter, one concordance builder, one set of groups.

Each primitive is checked against counts written by hand in the test, on tables built by hand
(no seed, no `voice`: a corpus with its own `source` column).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import _core
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.tokens import concat_tokens, tokens_from_conllu


def conllu(sentences: list[list[tuple[str, str, str]]], par: int = 1, doc: str = "d") -> str:
    """CoNLL-U of one paragraph from sentences of (form, lemma, upos); every word attached to the first."""
    lines = [f"# newpar id = {doc}-p{par}"]
    for sent in sentences:
        for i, (form, lemma, upos) in enumerate(sent, 1):
            lines.append(f"{i}\t{form}\t{lemma}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_")
        lines.append("")
    return "\n".join(lines)


A1 = [[("Security", "security", "NOUN"), ("matters", "matter", "VERB"), ("--", "--", "PUNCT"),
       ("50", "50", "NUM"), ("%", "%", "SYM"), (",", ",", "PART"), ("security", "security", "NOUN"), (".", ".", "PUNCT")],
      [("Cyber", "cyber", "ADJ"), ("security", "security", "NOUN"), ("grows", "grow", "VERB"), ("!", "!", "PUNCT")]]
A2 = [[("Public", "public", "ADJ"), ("opinion", "opinion", "NOUN"), ("counts", "count", "VERB"), (".", ".", "PUNCT")]]
B1 = [[("网络", "网络", "NOUN"), ("安全", "安全", "NOUN"), ("，", "，", "PUNCT"), ("意识形态", "意识形态", "NOUN"),
       ("安全", "安全", "NOUN"), ("。", "。", "PUNCT")]]


@pytest.fixture(scope="module")
def own():
    """A corpus of three documents with its own metadata: `source` and `year`, no `voice`."""
    a = concat_tokens([tokens_from_conllu(conllu(A1, 1, "a"), doc_id="a", lang="en", source="ministry", year="2013"),
                       tokens_from_conllu(conllu(A2, 2, "a"), doc_id="a", lang="en", source="ministry", year="2013")])
    a["sent"] = np.array([1] * 8 + [2] * 4 + [3] * 4, dtype="int32")  # sentences run on through the document
    b = tokens_from_conllu(conllu(B1, 1, "b"), doc_id="b", lang="zh", source="press", year="2014")
    c = tokens_from_conllu(conllu(A2, 1, "c"), doc_id="c", lang="en", source="press", year="2015")
    return concat_tokens([a, b, c])


def test_own_metadata_columns_reach_the_table(own):
    assert {"source", "year"} <= set(own.columns)
    assert isinstance(own["source"].dtype, pd.CategoricalDtype)
    assert _core.metadata_columns(own)[:2] == ["lang", "voice"] and "source" in _core.metadata_columns(own)


def test_is_word_one_definition(own):
    words = _core.is_word(own)
    # by hand: doc a has 16 rows, of which -- % , . ! . are not words (PUNCT, SYM, a comma tagged PART)
    non_words = {"--", "%", ",", ".", "!", "，", "。"}
    expected = np.array([str(f) not in non_words for f in own["form"]])
    assert (words == expected).all()
    assert int(words.sum()) == 10 + 4 + 3 == analysis.is_word(own).sum()
    assert _core.is_punctuation_form("，") and _core.is_punctuation_form("%") and not _core.is_punctuation_form("C3")


def test_select_scalar_list_tuple_and_slice(own):
    assert set(_core.select(own, source="press")["doc_id"]) == {"b", "c"}
    assert set(_core.select(own, doc_id=["a", "c"])["doc_id"]) == {"a", "c"}
    # a tuple is a set of values, never a range
    assert set(_core.select(own, year=("2013", "2015"))["doc_id"]) == {"a", "c"}
    assert set(_core.select(own, year=slice("2013", "2014"))["doc_id"]) == {"a", "b"}
    assert set(_core.select(own, year=slice("2014", None))["doc_id"]) == {"b", "c"}
    assert set(_core.select(own, year=slice(None, "2013"))["doc_id"]) == {"a"}
    assert set(_core.select(own, source="press", lang="en")["doc_id"]) == {"c"}
    assert _core.select(own) is own
    assert _core.select(own, source=None) is own
    with pytest.raises(QueryError, match="no such column.*source"):
        _core.select(own, colour="red")
    with pytest.raises(QueryError, match="empty list"):
        _core.select(own, source=[])


def test_cli_filter_values_parse_to_the_same_filters():
    assert _core.parse_filter_value("official") == "official"
    assert _core.parse_filter_value("official,framing") == ["official", "framing"]
    assert _core.parse_filter_value("2014-01-01..2014-06-30") == slice("2014-01-01", "2014-06-30")
    assert _core.parse_filter_value("2014-08..") == slice("2014-08", None)


def test_group_keys_keep_columns_by_name_in_reading_order(own):
    codes, groups = _core.group_keys(own, ["source", "lang"])
    assert list(groups.columns) == ["source", "lang"]
    assert groups.values.tolist() == [["ministry", "en"], ["press", "zh"], ["press", "en"]]
    assert np.bincount(codes).tolist() == [16, 6, 4]
    with pytest.raises(QueryError, match="group by"):
        _core.group_keys(own, "voices")


def test_term_codes_case(own):
    codes, vocab = _core.term_codes(own, "form")
    assert vocab[codes[0]] == "security" and codes[0] == codes[6]
    codes, vocab = _core.term_codes(own, "form", case_sensitive=True)
    assert vocab[codes[0]] == "Security" and codes[0] != codes[6]
    with pytest.raises(ParameterError, match="field"):
        _core.term_codes(own, "colour")


def test_argument_checks():
    assert _core.window_sides(3) == (3, 3) and _core.window_sides((0, 2)) == (0, 2)
    for bad in (-1, 1.5, True, (1,), (1, -2)):
        with pytest.raises(ParameterError):
            _core.window_sides(bad)
    assert _core.check_top(None) is None and _core.check_top(5) == 5
    with pytest.raises(ParameterError, match="top"):
        _core.check_top(0)
    assert _core.check_within("par") == "paragraph"
    with pytest.raises(ParameterError, match="within"):
        _core.check_within("chapter")
    with pytest.raises(EmptySelectionError):
        _core.require_rows(pd.DataFrame())


def test_concordance_windows_and_bounds(own):
    starts, ends = _core.match(own, "security")
    assert starts.tolist() == [0, 6, 9]
    c = _core.concordance(own, starts, ends, window=2)
    assert c["left"].tolist() == ["", "% ,", ". Cyber"]  # paragraph bound: sentences crossed
    assert c["right"].tolist() == ["matters --", ". Cyber", "grows !"]
    c = _core.concordance(own, starts, ends, window=(1, 0), within="sentence")
    assert c["left"].tolist() == ["", ",", "Cyber"] and c["right"].tolist() == ["", "", ""]
    c = _core.concordance(own, starts, ends, window=2, within="document")
    assert c["position"].tolist() == [0, 3, 5] and list(c["source"]) == ["ministry"] * 3  # words before, punctuation not counted
    z = _core.match(own, "网络安全")
    c = _core.concordance(own, *z, window=2, unit="char")
    assert c[["left", "match", "right"]].values.tolist() == [["", "网络安全", "，意"]]
    # the concordance of kwic is this one
    k = analysis.kwic(own, "security", window=2)
    assert k[["left", "match", "right"]].values.tolist() == \
        _core.concordance(own, starts, ends, window=2)[["left", "match", "right"]].values.tolist()


def test_phrases_within_sentence_or_paragraph(own):
    # "security Cyber" does not occur; ". Cyber" crosses a sentence inside paragraph 1
    assert len(_core.match(own, "! public")[0]) == 0  # paragraphs are never crossed
    assert len(_core.match(own, ". cyber")[0]) == 1
    assert len(_core.match(own, ". cyber", within="sentence")[0]) == 0
    assert _core.covered_mask(own, "cyber security").sum() == 2
    with pytest.raises(QueryError, match="phrase"):
        _core.single_word_mask(own, "cyber security")


def test_alternatives_in_a_term(own):
    assert _core.match_mask(own, "lemma:matter|counts").sum() == 3
    assert _core.match_mask(own, "lemma:grow|lemma:count&upos:VERB").sum() == 3
    with pytest.raises(QueryError, match="alternative"):
        _core.match(own, "lemma:grow|")


def test_concordance_html_links_resolve(own):
    k = analysis.kwic(own, "security|安全", window=2)
    html = k._repr_html_()
    links = re.findall(r'href="#([^"]+)"', html)
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(links) == len(k) == 5 and set(links) <= set(ids) and len(set(ids)) == 2  # a ¶1, b ¶1
    assert html == analysis.kwic(own, "security|安全", window=2)._repr_html_()  # deterministic ids


# -- the same selection has the same number of words in every analysis ---------------------------


@pytest.mark.parametrize("voice", ["official", "framing"])
def test_every_analysis_has_the_same_denominator(seed_tokens, voice):
    """One definition of a word: frequency, keyness, collocation, dispersion, themes and rhetoric
    all divide by the same number of words for the same selection (the seed's English by voice)."""
    en = analysis.select(seed_tokens, lang="en", voice=["official", "framing"])
    sel = analysis.select(en, voice=voice)
    n = int(analysis.is_word(sel).sum())
    # by hand: rows that are neither PUNCT/SYM nor made only of punctuation/symbol characters
    by_hand = sum(1 for f, u in zip(sel["form"].astype(str), sel["upos"].astype(str))
                  if u not in ("PUNCT", "SYM") and not all(unicodedata_category(ch)[0] in "PS" for ch in f))
    assert n == by_hand

    f = analysis.frequency(sel)
    assert f["freq"].iloc[0] * 1000 / f["per_1000"].iloc[0] == pytest.approx(n)
    grouped = analysis.frequency(en, by="voice")
    row = grouped[grouped["voice"] == voice].iloc[0]
    assert row["freq"] * 1000 / row["per_1000"] == pytest.approx(n)

    other = "framing" if voice == "official" else "official"
    k = analysis.keyness(en, target={"voice": voice}, reference={"voice": other})
    assert k.attrs["n_target"] == n

    assert analysis.collocates(sel, "security").attrs["n"] == n

    rates = analysis.theme_rates(en, by="voice")
    assert set(rates.loc[rates["voice"] == voice, "words"]) == {n}

    profile = analysis.rhetoric_profile(en, by="voice")
    assert set(profile.loc[profile["voice"] == voice, "words"]) == {n}

    # dispersion: Gries's DP over the two voices, from the same part sizes
    sizes = {v: int(analysis.is_word(analysis.select(en, voice=v)).sum()) for v in ("official", "framing")}
    freqs = {v: int(analysis.kwic(en, "lemma:security", voice=v).shape[0]) for v in ("official", "framing")}
    total_f, total_n = sum(freqs.values()), sum(sizes.values())
    dp = 0.5 * sum(abs(freqs[v] / total_f - sizes[v] / total_n) for v in sizes)
    d = analysis.dispersion(en, ["lemma:security"], by="voice")
    assert d["dp"].iloc[0] == pytest.approx(dp, abs=1e-12)


def unicodedata_category(ch: str) -> str:
    import unicodedata

    return unicodedata.category(ch)


# ---------------------------------------------------------------- codes instead of strings


def test_first_appearance_codes_equal_factorize_of_the_values():
    """Numbering a categorical column on its codes (runs of rows) gives pd.factorize of its values."""
    values = ["b", "b", "a", None, "", "c", "a", None, "b", "", "d"]
    for cats in (None, ["d", "c", "b", "a", ""], ["a", "b", "c", "d", "", "unused"]):
        col = pd.Series(pd.Categorical(values, categories=cats))
        codes, uniques = _core.first_appearance_codes(col)
        exp_codes, exp_uniques = pd.factorize(col.astype(object).to_numpy())
        assert codes.tolist() == exp_codes.tolist()
        assert uniques.tolist() == list(exp_uniques)
    assert _core.first_appearance_codes(pd.Series(["a", "b"])) is None  # not categorical: factorize the values
    codes, uniques = _core.first_appearance_codes(pd.Series(pd.Categorical([])))
    assert len(codes) == 0 and len(uniques) == 0


def test_group_keys_on_codes_equal_group_keys_on_values(own):
    """Groups of categorical columns (computed on their codes) are the groups of the same values as text."""
    as_text = own.astype({c: object for c in ("doc_id", "lang", "source", "year")})
    with_missing = own.copy()
    with_missing["source"] = with_missing["source"].astype(object).where(with_missing["par"] != 2, None) \
        .astype("category")
    for table, plain in ((own, as_text), (with_missing, with_missing.astype({"source": object}))):
        for by in ("source", "doc_id", ["lang", "source"], ["source", "year", "doc_id"]):
            codes, groups = _core.group_keys(table, by)
            exp_codes, exp_groups = _core.group_keys(plain, by)
            assert codes.tolist() == exp_codes.tolist(), by
            pd.testing.assert_frame_equal(groups, exp_groups)


def test_gries_dp_of_many_terms_equals_term_by_term():
    """keyness's DP over documents, all terms at once, is Gries's DP of each term, to the last bit."""
    from analysis.distribution import gries_dp, gries_dp_columns

    rng = np.random.default_rng(3)
    for parts in (1, 2, 7, 150, 1200):
        sizes = rng.integers(1, 900, parts).astype(float)
        freqs = np.minimum(rng.poisson(0.7, (parts, 25)) * (rng.random((parts, 25)) < 0.5), sizes[:, None])
        freqs[:, 3] = 0  # a term that never occurs: nan
        got = gries_dp_columns(freqs.astype(float), sizes)
        expected = [gries_dp(freqs[:, j], sizes) for j in range(freqs.shape[1])]
        np.testing.assert_array_equal(got, expected)
    with pytest.raises(ParameterError):  # what gries_dp refuses, the batch refuses the same way
        gries_dp_columns(np.array([[5.0]]), [2.0])
