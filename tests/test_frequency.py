"""Frequency lists, n-grams and clusters against independent counts (collections.Counter, nltk.ngrams)."""

from __future__ import annotations

import random
import re
from collections import Counter

import pandas as pd
import pytest

from analysis import is_word
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.wordlist import clusters, frequency, ngrams
from analysis.tokens import tokens_from_conllu


def concat(tables):
    cats = [c for c in tables[0].columns if isinstance(tables[0][c].dtype, pd.CategoricalDtype)]
    out = pd.concat([t.astype({c: object for c in cats}) for t in tables], ignore_index=True)
    return out.astype({c: "category" for c in cats})


def build(paragraphs, doc_id, **meta):
    """Tokens from paragraphs → sentences → (form, lemma, upos) triples."""
    lines = []
    for p_no, par in enumerate(paragraphs, 1):
        lines.append(f"# newpar id = {doc_id}-p{p_no}")
        for sent in par:
            for i, (form, lemma, upos) in enumerate(sent, 1):
                lines.append(f"{i}\t{form}\t{lemma}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_")
            lines.append("")
    return tokens_from_conllu("\n".join(lines), doc_id=doc_id, **meta)


VOCAB = [("Security", "security", "NOUN"), ("security", "security", "NOUN"), ("secure", "secure", "ADJ"),
         ("the", "the", "DET"), ("The", "the", "DET"), ("Party", "party", "PROPN"), ("media", "medium", "NOUN"),
         (",", ",", "PUNCT"), ("network", "network", "NOUN")]


def random_doc(seed, doc_id, voice):
    rng = random.Random(seed)
    pars = [[[rng.choice(VOCAB) for _ in range(rng.randint(2, 9))] + [(".", ".", "PUNCT")]
             for _ in range(rng.randint(1, 3))] for _ in range(rng.randint(1, 4))]
    return pars, build(pars, doc_id, lang="en", voice=voice)


@pytest.fixture(scope="module")
def corpus():
    docs = [random_doc(s, f"d{s}", "official" if s % 2 else "framing") for s in range(6)]
    return docs, concat([t for _, t in docs])


def words_of(pars):
    return [w for par in pars for sent in par for w in sent]


def test_frequency_matches_counter(corpus):
    docs, tokens = corpus
    words = [w for pars, _ in docs for w in words_of(pars)]
    non_punct = [w for w in words if w[2] != "PUNCT"]
    expected = Counter(w[1].lower() for w in non_punct)
    got = frequency(tokens)
    assert dict(zip(got["term"], got["freq"])) == dict(expected)
    n = len(non_punct)
    for term, freq, p1000, pmil in got[["term", "freq", "per_1000", "per_million"]].itertuples(index=False):
        assert p1000 == pytest.approx(freq / n * 1000)
        assert pmil == pytest.approx(freq / n * 1e6)
    # sorted by frequency (desc) then term
    keys = list(zip(-got["freq"], got["term"]))
    assert keys == sorted(keys)


def test_frequency_by_form_case(corpus):
    docs, tokens = corpus
    words = [w for pars, _ in docs for w in words_of(pars) if w[2] != "PUNCT"]
    got = frequency(tokens, field="form", case_sensitive=True)
    assert dict(zip(got["term"], got["freq"])) == dict(Counter(w[0] for w in words))
    got = frequency(tokens, field="form")
    assert dict(zip(got["term"], got["freq"])) == dict(Counter(w[0].lower() for w in words))


def test_frequency_upos_and_by(corpus):
    docs, tokens = corpus
    got = frequency(tokens, upos="NOUN", by="voice")
    for voice in ("official", "framing"):
        words = [w for (pars, t) in docs if t["voice"].iloc[0] == voice for w in words_of(pars) if w[2] != "PUNCT"]
        nouns = Counter(w[1] for w in words if w[2] == "NOUN")
        sub = got[got["voice"] == voice]
        assert dict(zip(sub["term"], sub["freq"])) == dict(nouns)
        # denominator: all non-punctuation words of the group, not only the nouns
        assert (sub["per_1000"] == sub["freq"] / len(words) * 1000).all()
    assert list(got.columns) == ["voice", "term", "freq", "per_1000", "per_million"]


def test_frequency_with_upos_column():
    t = build([[[("record", "record", "NOUN"), ("record", "record", "VERB"), ("record", "record", "NOUN")]]],
              "d", lang="en", voice="v")
    got = frequency(t, with_upos=True)
    assert got[["term", "upos", "freq"]].values.tolist() == [["record", "NOUN", 2], ["record", "VERB", 1]]


def test_frequency_errors(corpus):
    _, tokens = corpus
    with pytest.raises(ParameterError, match="field must be"):
        frequency(tokens, field="colour")
    with pytest.raises(QueryError, match="no such column"):
        frequency(tokens, by="colour")
    with pytest.raises(ParameterError, match="top"):
        frequency(tokens, top=0)
    with pytest.raises(EmptySelectionError):
        frequency(tokens, voice="nobody")
    with pytest.raises(EmptySelectionError):
        frequency(tokens.iloc[:0])


def reference_ngrams(docs, n, by=0):
    """n-grams by a plain loop: inside a sentence, split at punctuation (nltk.ngrams per run)."""
    nltk_util = pytest.importorskip("nltk.util")
    freq, docs_of = Counter(), {}
    for pars, t in docs:
        doc = t["doc_id"].iloc[0]
        for par in pars:
            for sent in par:
                run = []
                for w in sent + [(".", ".", "PUNCT")]:
                    if w[2] == "PUNCT":
                        for g in nltk_util.ngrams([x[by].lower() for x in run], n):
                            key = " ".join(g)
                            freq[key] += 1
                            docs_of.setdefault(key, set()).add(doc)
                        run = []
                    else:
                        run.append(w)
    return freq, {k: len(v) for k, v in docs_of.items()}


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_ngrams_match_nltk(corpus, n):
    docs, tokens = corpus
    freq, rng = reference_ngrams(docs, n)
    got = ngrams(tokens, n)
    assert dict(zip(got["ngram"], got["freq"])) == dict(freq)
    assert dict(zip(got["ngram"], got["range"])) == rng
    assert (got["n"] == n).all()


def test_ngrams_lemma_min_freq_and_several_sizes(corpus):
    docs, tokens = corpus
    freq, _ = reference_ngrams(docs, 2, by=1)
    got = ngrams(tokens, 2, field="lemma", min_freq=3)
    assert dict(zip(got["ngram"], got["freq"])) == {k: v for k, v in freq.items() if v >= 3}
    both = ngrams(tokens, [2, 3])
    assert set(both["n"]) == {2, 3}
    assert len(both) == len(ngrams(tokens, 2)) + len(ngrams(tokens, 3))


def test_ngrams_never_cross_sentences_or_punctuation():
    t = build([[[("a", "a", "X"), ("b", "b", "X")], [("c", "c", "X"), (",", ",", "PUNCT"), ("d", "d", "X")]]],
              "d", lang="en", voice="v")
    assert ngrams(t, 2)["ngram"].tolist() == ["a b"]
    assert ngrams(t, 3).empty


def test_clusters_left_right_any(corpus):
    docs, tokens = corpus
    freq, _ = reference_ngrams(docs, 3)
    left = clusters(tokens, "security", 3, position="left")
    assert dict(zip(left["ngram"], left["freq"])) == {k: v for k, v in freq.items() if k.split()[0] == "security"}
    right = clusters(tokens, "security", 3, position="right")
    assert dict(zip(right["ngram"], right["freq"])) == {k: v for k, v in freq.items() if k.split()[-1] == "security"}
    mid = clusters(tokens, "security", 3, position=2)
    assert dict(zip(mid["ngram"], mid["freq"])) == {k: v for k, v in freq.items() if k.split()[1] == "security"}
    anyw = clusters(tokens, "lemma:security", 3, position=None)
    assert dict(zip(anyw["ngram"], anyw["freq"])) == {k: v for k, v in freq.items() if "security" in k.split()}


def test_ngram_errors(corpus):
    _, tokens = corpus
    with pytest.raises(ParameterError, match="n must be"):
        ngrams(tokens, 0)
    with pytest.raises(ParameterError, match="min_freq"):
        ngrams(tokens, 2, min_freq=0)
    with pytest.raises(ParameterError, match="position"):
        clusters(tokens, "security", 3, position=4)
    with pytest.raises(ParameterError, match="top"):
        ngrams(tokens, 2, top=0)
    with pytest.raises(QueryError, match="phrase"):
        clusters(tokens, "the security", 3)
    with pytest.raises(EmptySelectionError):
        ngrams(tokens, 2, voice="nobody")
    assert re.match(r"ngram", ngrams(tokens, 9)["ngram"].name)


def test_frequency_top_is_per_group(corpus):
    _, tokens = corpus
    full = frequency(tokens, by="voice")
    top = frequency(tokens, by="voice", top=2)
    assert top.groupby("voice").size().to_dict() == {"framing": 2, "official": 2}
    expected = full.groupby("voice").head(2).reset_index(drop=True)
    pd.testing.assert_frame_equal(top, expected)
    assert len(frequency(tokens, top=3)) == 3


def test_frequency_filters(corpus):
    docs, tokens = corpus
    words = [w for (pars, t) in docs if t["voice"].iloc[0] == "official" for w in words_of(pars) if w[2] != "PUNCT"]
    got = frequency(tokens, voice="official")
    assert dict(zip(got["term"], got["freq"])) == dict(Counter(w[1].lower() for w in words))
    assert (got["per_1000"] == got["freq"] / len(words) * 1000).all()


# ---------------------------------------------------------------- a corpus with its own metadata, and what a word is


def own_corpus() -> pd.DataFrame:
    """Two documents with a ``source`` column and no ``voice``; PUNCT, SYM and a punctuation-only PART."""
    a = build([[[("Data", "data", "NOUN"), ("flows", "flow", "VERB"), (",", ",", "PART"), ("data", "data", "NOUN"),
                 ("grows", "grow", "VERB"), ("%", "%", "SYM"), (".", ".", "PUNCT")]]],
              "a", lang="en", source="ministry")
    b = build([[[("Data", "data", "NOUN"), ("$", "$", "NOUN"), ("rules", "rule", "VERB"), ("!", "!", "PUNCT")]]],
              "b", lang="en", source="press")
    return concat([a, b]).drop(columns=["voice"])


def test_frequency_by_own_column():
    t = own_corpus()
    assert "voice" not in t.columns
    got = frequency(t, by="source")
    assert list(got.columns) == ["source", "term", "freq", "per_1000", "per_million"]
    rows = {(s, term): (f, p) for s, term, f, p in got[["source", "term", "freq", "per_1000"]].itertuples(index=False)}
    # ministry: Data flows data grows = 4 words (",", "%", "." are not words); press: Data rules = 2 words
    assert rows[("ministry", "data")] == (2, pytest.approx(2 / 4 * 1000))
    assert rows[("press", "data")] == (1, pytest.approx(1 / 2 * 1000))
    assert set(got["term"]) == {"data", "flow", "grow", "rule"}
    both = frequency(t, by=["lang", "source"])
    assert list(both.columns[:2]) == ["lang", "source"]
    assert frequency(t, by="source", source="press")["source"].unique().tolist() == ["press"]


def test_denominators_are_is_word():
    t = own_corpus()
    n_words = int(is_word(t).sum())
    assert n_words == 6  # not ",", "%" (SYM), ".", "$" (a symbol tagged NOUN), "!"
    assert frequency(t)["freq"].sum() == n_words
    got = frequency(t)
    assert (got["per_1000"] == got["freq"] / n_words * 1000).all()
    unigrams = ngrams(t, 1)
    assert unigrams["freq"].sum() == n_words
    # n-grams break at every non-word: "flows , data" is no bigram, nor "Data $ rules" a trigram
    assert set(ngrams(t, 2)["ngram"]) == {"data flows", "data grows"}
    assert ngrams(t, 3).empty


def test_ngrams_case_sensitive_applies_to_terms_and_node():
    t = own_corpus()
    assert set(ngrams(t, 2, case_sensitive=True)["ngram"]) == {"Data flows", "data grows"}
    assert clusters(t, "Data", 2, case_sensitive=True)["ngram"].tolist() == ["Data flows"]
    assert set(clusters(t, "Data", 2)["ngram"]) == {"data flows", "data grows"}
    assert clusters(t, "lemma:flow|grow*", 2, position="right")["ngram"].tolist() == ["data flows", "data grows"]


# ---------------------------------------------------------------- queries that span words (terms=)


def chinese_and_english() -> pd.DataFrame:
    """The segmenter's view of 网络安全 (two words, 网络 + 安全), a phrase, and two voices."""
    zh = build([[[("网络", "网络", "NOUN"), ("安全", "安全", "NOUN"), ("很", "很", "ADV"), ("重要", "重要", "ADJ"),
                  ("。", "。", "PUNCT")]],
                [[("维护", "维护", "VERB"), ("网络", "网络", "NOUN"), ("安全", "安全", "NOUN"), ("和", "和", "CCONJ"),
                  ("意识", "意识", "NOUN"), ("形态", "形态", "NOUN"), ("安全", "安全", "NOUN"), ("。", "。", "PUNCT")]]],
               "z", lang="zh", voice="original")
    en = build([[[("Public", "public", "ADJ"), ("opinion", "opinion", "NOUN"), ("guides", "guide", "VERB"),
                  ("public", "public", "ADJ"), ("opinion", "opinion", "NOUN"), (".", ".", "PUNCT")],
                 [("Security", "security", "NOUN"), ("secures", "secure", "VERB"), (".", ".", "PUNCT")]]],
               "e", lang="en", voice="official")
    return concat([zh, en])


def test_frequency_terms_count_queries_that_span_words():
    t = chinese_and_english()
    zh = t[t["lang"] == "zh"]
    # the vocabulary never holds 网络安全: the segmenter split it
    assert "网络安全" not in set(frequency(zh)["term"])
    got = frequency(zh, terms=["网络安全", "意识形态", "安全", "lemma:secur*"])
    # by hand: 网络+安全 twice, 意识+形态 once, 安全 three times (alone or in 网络安全), no secur*; 11 words
    rows = {r.term: (r.freq, r.per_1000) for r in got.itertuples()}
    n = 11
    assert rows == {"安全": (3, pytest.approx(3 / n * 1000)), "网络安全": (2, pytest.approx(2 / n * 1000)),
                    "意识形态": (1, pytest.approx(1 / n * 1000)), "lemma:secur*": (0, 0.0)}
    assert list(got.columns) == ["term", "freq", "per_1000", "per_million"]
    assert got["term"].tolist() == ["安全", "网络安全", "意识形态", "lemma:secur*"]  # by frequency, then term


def test_frequency_terms_phrases_groups_and_case():
    t = chinese_and_english()
    got = frequency(t, terms=["public opinion", "lemma:secur*", "网络安全"], by="lang")
    rows = {(r.lang, r.term): r.freq for r in got.itertuples()}
    # en: "Public opinion", "public opinion"; security + secures; zh: 网络安全 twice
    assert rows == {("en", "public opinion"): 2, ("en", "lemma:secur*"): 2, ("en", "网络安全"): 0,
                    ("zh", "public opinion"): 0, ("zh", "lemma:secur*"): 0, ("zh", "网络安全"): 2}
    words = {"en": 7, "zh": 11}  # the denominators are the groups' words, as without terms
    for r in got.itertuples():
        assert r.per_1000 == pytest.approx(r.freq / words[r.lang] * 1000)
    assert frequency(t, terms=["Public opinion"], case_sensitive=True)["freq"].tolist() == [1]
    assert frequency(t, terms="public opinion", lang="en")["freq"].tolist() == [2]
    assert len(frequency(t, terms=["public opinion", "网络安全"], by="lang", top=1)) == 2


def test_frequency_terms_errors():
    t = chinese_and_english()
    with pytest.raises(ParameterError, match="upos"):
        frequency(t, terms=["网络安全"], upos="NOUN")
    with pytest.raises(ParameterError, match="with_upos"):
        frequency(t, terms=["网络安全"], with_upos=True)
    with pytest.raises(ParameterError, match="terms"):
        frequency(t, terms=[])


def test_cli_freq_terms(monkeypatch, capsys):
    import json

    from analysis.cli import _common as cli_common
    from analysis.cli import main

    t = chinese_and_english()
    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: t)
    assert main(["freq", "网络安全", "public opinion", "--where", "lang=zh", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["term"], r["freq"]) for r in rows] == [("网络安全", 2), ("public opinion", 0)]
