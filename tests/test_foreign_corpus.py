"""A foreign corpus end to end: a CSV with its own metadata (``source``, ``year``; no ``voice``),
English and Chinese, imported with ``tifa corpus import``, annotated into its own folder with the
fake parser of ``test_annotate``, then every Tokens analysis and every Tokens command of the CLI,
each checked against counts worked out by hand below.

The fake parser (``test_annotate.FakeParsers``) splits on whitespace, ends a sentence after a
token ending in ".", tags every word UPOS ``X`` with lemma = lower-cased form, and attaches every
word to the sentence's first word with relation ``dep``. So the texts are written pre-segmented
(Chinese words and punctuation separated by spaces). Punctuation is still not a word
(``analysis.is_word``: a form made only of punctuation characters), so the counts below hold.
Analyses that read the dependency parse or the UPOS tags (rhetoric features other than
enumerations and sentence length, word sketches, formulas' content-word rule, topic units' POS
filter) see a flat, untagged parse: the tests assert what is true for it and say so.

The corpus (``DOCUMENTS``), sentence by sentence, words in brackets (punctuation excluded)::

    m1  ministry 2014  en  ¶1 "First , we must guard security ."       [5]  sentence 1
                           ¶2 "Security comes first ."                  [3]  sentence 2
    m2  ministry 2015  en  ¶1 "We must guard security ."                [4]
                           ¶2 "The law serves security ."               [4]
    m3  ministry 2015  zh  ¶1 "网络 安全 很 重要 。"                    [4]
    p1  press    2014  en  ¶1 "Readers want news . Readers like security ."  [3 + 3], two sentences
    p2  press    2015  en  ¶1 "The press reports news daily ."          [5]
    p3  press    2014  zh  ¶1 "首先 ， 我们 关注 网络 安全 。"           [5]

    words: ministry 8 + 8 + 4 = 20, press 6 + 5 + 5 = 16, all 36; sentences 9, paragraphs 8
    "security" (any case): ministry 4 (m1 ×2, m2 ×2), press 1 (p1)
    网络安全 (网络 + 安全): 2 (m3, p3)
    security theme (analysis/data/themes.yaml): secur* ×5 + 网络安全 ×2 (security/cyber: the two
        words count once, the longer match wins over 安全); ministry 5, press 2; no other security
        word occurs. governance_law: "law" once (m2 ¶2, in a sentence with "security").
    enumerated sections: "First ," (m1) and "首先 ，" (p3)
    recurring sequence: "we must guard security" in m1 and m2
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis
from analysis import models
from analysis._core import is_punctuation_form
from analysis.cli import main
from test_annotate import FakeParsers, _real_model_dir, fake_model_set

DOCUMENTS = [  # doc_id, source, year, text
    ("m1", "ministry", "2014", "First , we must guard security .\n\nSecurity comes first ."),
    ("m2", "ministry", "2015", "We must guard security .\n\nThe law serves security ."),
    ("m3", "ministry", "2015", "网络 安全 很 重要 。"),
    ("p1", "press", "2014", "Readers want news . Readers like security ."),
    ("p2", "press", "2015", "The press reports news daily ."),
    ("p3", "press", "2014", "首先 ， 我们 关注 网络 安全 。"),
]
WORDS = {"ministry": 20, "press": 16}
DOC_WORDS = {"m1": 8, "m2": 8, "m3": 4, "p1": 6, "p2": 5, "p3": 5}
SENTENCES = 9


def write_csv(path: Path, columns=("doc_id", "source", "year", "text")) -> Path:
    """The corpus as a CSV with the given columns (a subset of doc_id, source, year, text)."""
    index = {"doc_id": 0, "source": 1, "year": 2, "text": 3}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([[row[index[c]] for c in columns] for row in DOCUMENTS])
    return path


def _import(tmp: Path, name: str, parsers) -> Path:
    out = tmp / name
    assert main(["corpus", "import", str(write_csv(tmp / f"{name}.csv")), "--out", str(out)]) == 0
    report = analysis.annotate(analysis.load_corpus(out), model_set=fake_model_set(), pipeline_factory=parsers,
                               progress=False)
    assert sorted(report.parsed) == sorted(d[0] for d in DOCUMENTS)
    assert report.out_dir == out / "annotations" / fake_model_set().id  # the corpus's own folder
    return out


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    """The CSV imported with `tifa corpus import` and annotated (fake parser) into DIR/annotations."""
    return _import(tmp_path_factory.mktemp("foreign"), "mycorpus", FakeParsers())


@pytest.fixture(scope="module")
def tokens(corpus_dir) -> pd.DataFrame:
    return analysis.load_tokens(analysis.load_corpus(corpus_dir), model_set=fake_model_set())


def _words(table: pd.DataFrame) -> pd.DataFrame:
    return table[analysis.is_word(table)]


# -- the corpus and its Tokens ------------------------------------------------------------------


def test_import_keeps_the_corpus_columns_and_guesses_languages(corpus_dir, tokens):
    corpus = analysis.load_corpus(corpus_dir)
    assert corpus.home == corpus_dir and [d.doc_id for d in corpus] == [d[0] for d in DOCUMENTS]
    assert {d.doc_id: d.lang for d in corpus} == {"m1": "en", "m2": "en", "m3": "zh", "p1": "en", "p2": "en",
                                                 "p3": "zh"}
    assert {d.doc_id: len(d.paragraphs) for d in corpus} == {"m1": 2, "m2": 2, "m3": 1, "p1": 1, "p2": 1, "p3": 1}
    # own columns become Tokens columns; no voice column in the CSV: every paragraph is "text"
    assert {"source", "year"} <= set(tokens.columns)
    assert set(tokens["voice"].astype(str)) == {"text"}
    words = _words(tokens)
    assert words.groupby("source", observed=True).size().to_dict() == WORDS
    assert words.groupby("doc_id", observed=True).size().to_dict() == DOC_WORDS
    assert words.groupby("year", observed=True).size().to_dict() == {"2014": 19, "2015": 17}
    assert tokens.groupby(["doc_id", "sent"], observed=True).ngroups == SENTENCES
    assert analysis.select(tokens, source="press", lang="zh")["doc_id"].astype(str).unique().tolist() == ["p3"]


# -- concordance and word lists -------------------------------------------------------------------


def test_kwic_counts_by_the_corpus_columns(tokens):
    kwic = analysis.kwic
    assert len(kwic(tokens, "security")) == 5
    assert len(kwic(tokens, "security", source="ministry")) == 4
    assert len(kwic(tokens, "security", source="press")) == 1
    assert len(kwic(tokens, "lemma:security")) == 5
    assert len(kwic(tokens, "Security", case_sensitive=True)) == 1  # m1 ¶2
    # one filter meaning: a value, a list (any of), a slice (inclusive range)
    assert kwic(tokens, "security", year="2015")["doc_id"].astype(str).tolist() == ["m2", "m2"]
    assert len(kwic(tokens, "security", year=["2014", "2015"])) == 5
    assert len(kwic(tokens, "security", year=slice("2015", None))) == 2
    assert len(kwic(tokens, "security", source="ministry", year="2014")) == 2
    lines = kwic(tokens, "security", window=2, source="press").to_frame()
    assert lines[["doc_id", "left", "match", "right"]].values.tolist() == [["p1", "Readers like", "security", "."]]
    # Chinese: 网络安全 matches the two words 网络 + 安全, joined without spaces
    zh = kwic(tokens, "网络安全").to_frame()
    assert zh[["doc_id", "source", "match"]].values.tolist() == [["m3", "ministry", "网络安全"], ["p3", "press", "网络安全"]]
    assert zh["right"].tolist() == ["很重要。", "。"]
    assert len(kwic(tokens, "网络 安全")) == 2 and len(kwic(tokens, "网络安全", source="ministry")) == 1


def test_frequency_per_1000_divides_by_the_words_of_each_source(tokens):
    freq = analysis.frequency(tokens, by="source")
    row = freq.set_index(["source", "term"])
    assert row.loc[("ministry", "security"), "freq"] == 4
    assert row.loc[("ministry", "security"), "per_1000"] == pytest.approx(4 * 1000 / 20)
    assert row.loc[("press", "security"), "per_1000"] == pytest.approx(1 * 1000 / 16)
    assert row.loc[("ministry", "安全"), "per_1000"] == pytest.approx(1 * 1000 / 20)
    assert row.loc[("press", "readers"), "per_million"] == pytest.approx(2 * 1e6 / 16)
    assert "," not in freq["term"].tolist() and "。" not in freq["term"].tolist()  # punctuation is no term
    assert freq.groupby("source")["freq"].sum().to_dict() == WORDS
    top = analysis.frequency(tokens, by="source", top=1)
    assert top[["source", "term", "freq"]].values.tolist() == [["ministry", "security", 4], ["press", "news", 2]]
    # filters: the denominator is the words of the selection (English ministry words: 16)
    en = analysis.frequency(tokens, by="source", lang="en", source="ministry").set_index("term")
    assert en.loc["security", "per_1000"] == pytest.approx(4 * 1000 / 16)


def test_ngrams_and_clusters(tokens):
    two = analysis.ngrams(tokens, 2, min_freq=2)
    assert two.values.tolist() == [["guard security", 2, 2, 2], ["must guard", 2, 2, 2], ["we must", 2, 2, 2],
                                   ["网络 安全", 2, 2, 2]]
    # punctuation breaks n-grams: "first we" (m1: "First , we") is not one
    assert "first we" not in analysis.ngrams(tokens, 2)["ngram"].tolist()
    assert analysis.ngrams(tokens, 4, min_freq=2)["ngram"].tolist() == ["we must guard security"]
    right = analysis.clusters(tokens, "security", 2, position="right")
    assert right[["ngram", "freq"]].values.tolist() == [["guard security", 2], ["like security", 1],
                                                        ["serves security", 1]]
    assert analysis.clusters(tokens, "security", 2, position="left")["ngram"].tolist() == ["security comes"]
    assert analysis.ngrams(tokens, 2, min_freq=2, source="press")["ngram"].tolist() == []


def _g2_4cell(a, b, c, d):
    """Log-likelihood over the 4 cells of (a, c - a / b, d - b), written out (Dunning 1993)."""
    n, k = c + d, a + b
    cells = [(a, c * k / n), (b, d * k / n), (c - a, c * (n - k) / n), (d - b, d * (n - k) / n)]
    return 2 * sum(o * math.log(o / e) for o, e in cells if o > 0)


def test_keyness_of_ministry_against_press(tokens):
    table = analysis.keyness(tokens, target={"source": "ministry"}, reference={"source": "press"})
    assert table.attrs["n_target"] == 20 and table.attrs["n_reference"] == 16
    assert len(table) == 23  # 13 ministry lemmas + 14 press lemmas - 4 shared (security, the, 网络, 安全)
    row = table.set_index("term")
    sec = row.loc["security"]
    assert (sec["freq_target"], sec["freq_reference"], sec["direction"]) == (4, 1, "positive")
    assert sec["log_ratio"] == pytest.approx(math.log2((4 / 20) / (1 / 16)))
    assert sec["g2_4cell"] == pytest.approx(_g2_4cell(4, 1, 20, 16))
    readers = row.loc["readers"]
    assert (readers["freq_target"], readers["freq_reference"], readers["direction"]) == (0, 2, "negative")
    assert readers["log_ratio"] == pytest.approx(math.log2((0.5 / 20) / (2 / 16)))  # zero adjusted to 0.5
    assert set(table["term"].tail(2)) == {"news", "readers"}  # the strongest negative keywords come last
    assert row.loc["网络", "direction"] == "negative"  # 1 in 20 words vs 1 in 16
    # the default reference is the rest of the corpus: here the same words as press
    rest = analysis.keyness(tokens, target={"source": "ministry"})
    assert rest.attrs["n_reference"] == 16
    pd.testing.assert_frame_equal(rest, table)


# -- collocation and dispersion -----------------------------------------------------------------


def test_collocates_of_security_in_ministry_texts(tokens):
    # one word to the left of "security" in ministry texts: guard (m1, m2), serves (m2); m1 ¶2 starts with it
    table = analysis.collocates(tokens, "security", window=(1, 0), source="ministry")
    assert table[["collocate", "observed", "left", "right"]].values.tolist() == [["guard", 2, 2, 0],
                                                                                 ["serves", 1, 1, 0]]
    guard = table.iloc[0]
    assert (guard["freq_node"], guard["freq_collocate"], guard["window_size"], guard["n"]) == (4, 2, 3, 20)
    assert guard["expected"] == pytest.approx(3 * 2 / 20)
    assert guard["mi"] == pytest.approx(math.log2(2 / (3 * 2 / 20)))
    assert guard["log_dice"] == pytest.approx(14 + math.log2(2 * 2 / (4 + 2)))
    # the whole corpus, a window of 1 either side: guard 2, comes 1, serves 1, like 1
    both = analysis.collocates(tokens, "security", window=1)
    assert dict(zip(both["collocate"], both["observed"])) == {"guard": 2, "comes": 1, "serves": 1, "like": 1}


def test_collocation_network(tokens):
    # upos=None: the fake parse tags every word X, so the default content-word filter would keep none
    edges = analysis.collocation_network(tokens, "security", upos=None, window=1, min_freq=2)
    assert edges[["source", "target", "level", "observed"]].values.tolist() == [["security", "guard", 1, 2],
                                                                                ["guard", "must", 2, 2]]
    assert edges["value"].tolist() == pytest.approx([14 + math.log2(2 * 2 / (5 + 2)), 14.0])
    # the default upos (NOUN, PROPN, VERB, ADJ): no word of the flat parse is a collocate, no edge
    assert analysis.collocation_network(tokens, "security", window=1, min_freq=2).empty


def test_dispersion_over_documents_and_sources(tokens):
    by_doc = analysis.dispersion(tokens, ["security", "网络安全"]).set_index("term")
    assert by_doc.loc["security", ["freq", "range", "parts"]].tolist() == [5, 3, 6]
    assert by_doc.loc["网络安全", ["freq", "range", "parts"]].tolist() == [2, 2, 6]
    by_source = analysis.dispersion(tokens, "security", by="source").iloc[0]
    assert by_source[["freq", "range", "parts"]].tolist() == [5, 2, 2]
    s = np.array([20, 16]) / 36
    v = np.array([4, 1]) / 5
    assert by_source["dp"] == pytest.approx(0.5 * np.abs(v - s).sum())  # Gries's DP
    assert by_source["dp_norm"] == pytest.approx(0.5 * np.abs(v - s).sum() / (1 - s.min()))
    only_press = analysis.dispersion(tokens, "security", by="year", source="press").iloc[0]
    assert only_press[["freq", "range", "parts"]].tolist() == [1, 1, 2]
    pos = analysis.dispersion_positions(tokens, "security")
    # word positions in the document (punctuation not counted): m1 "First we must guard security | Security"
    assert pos[["doc_id", "position", "doc_words"]].astype({"doc_id": str}).values.tolist() == [
        ["m1", 4, 8], ["m1", 5, 8], ["m2", 3, 8], ["m2", 7, 8], ["p1", 5, 6]]
    assert pos["relative"].tolist() == pytest.approx([4 / 8, 5 / 8, 3 / 8, 7 / 8, 5 / 6])
    assert list(pos["doc_id"].cat.categories) == [d[0] for d in DOCUMENTS]  # documents without hits keep a row


# -- themes -------------------------------------------------------------------------------------


def test_theme_rates_by_source(tokens):
    rates = analysis.theme_rates(tokens, by="source")
    cell = rates.set_index(["source", "theme"])
    assert list(rates.columns[:2]) == ["source", "theme"]
    for source, count in (("ministry", 5), ("press", 2)):
        row = cell.loc[(source, "security")]
        assert (row["count"], row["words"]) == (count, WORDS[source])
        assert row["per_1000"] == pytest.approx(count * 1000 / WORDS[source])
        k, t = count, WORDS[source] / 1000
        assert row["ci_low"] == pytest.approx(stats.chi2.ppf(0.025, 2 * k) / 2 / t)  # Garwood's exact interval
        assert row["ci_high"] == pytest.approx(stats.chi2.ppf(0.975, 2 * k + 2) / 2 / t)
    s, v = np.array([20, 16]) / 36, np.array([5, 2]) / 7
    assert cell.loc[("ministry", "security"), "dp"] == pytest.approx(0.5 * np.abs(v - s).sum())
    assert cell.loc[("ministry", "governance_law"), "count"] == 1  # "law"
    assert cell.loc[("ministry", "governance_law"), "per_1000"] == pytest.approx(50.0)
    counted = rates[rates["count"] > 0]
    assert sorted(zip(counted["source"], counted["theme"])) == [("ministry", "governance_law"),
                                                               ("ministry", "security"), ("press", "security")]
    # level 2: 网络安全 is security/cyber, secur* security/general
    sub = analysis.theme_rates(tokens, by="source", level=2).set_index(["source", "theme"])["count"]
    assert sub[("ministry", "security/cyber")] == 1 and sub[("ministry", "security/general")] == 4
    assert sub[("press", "security/cyber")] == 1 and sub[("press", "security/general")] == 1
    # two grouping columns, kept by name
    two = analysis.theme_rates(tokens, by=["source", "year"])
    sec = two[two["theme"] == "security"].set_index(["source", "year"])
    assert sec["count"].to_dict() == {("ministry", "2014"): 2, ("ministry", "2015"): 3, ("press", "2014"): 2,
                                      ("press", "2015"): 0}
    assert sec["words"].to_dict() == {("ministry", "2014"): 8, ("ministry", "2015"): 12, ("press", "2014"): 11,
                                      ("press", "2015"): 5}
    # a filter measures only the rows it keeps: English press words (p1, p2: 11 words)
    en_press = analysis.theme_rates(tokens, by=None, source="press", lang="en")
    row = en_press[en_press["theme"] == "security"].iloc[0]
    assert (row["count"], row["words"]) == (1, 11)


def test_theme_entries_cooccurrence_and_hits(tokens):
    entries = analysis.theme_entries(tokens, by="source")
    sec = entries[entries["theme"] == "security"]
    assert sec[["source", "entry", "entry_lang", "count", "share"]].values.tolist() == [
        ["ministry", "secur*", "en", 4, 0.8], ["ministry", "网络安全", "zh", 1, 0.2],
        ["press", "网络安全", "zh", 1, 0.5], ["press", "secur*", "en", 1, 0.5]]
    co = analysis.theme_cooccurrence(tokens)
    pair = co[(co["theme_a"] == "security") & (co["theme_b"] == "governance_law")].iloc[0]
    # 7 sentences hold a security match, 1 holds "law" (with "security"), 9 sentences
    assert pair[["n_a", "n_b", "n_ab", "n_units"]].tolist() == [7, 1, 1, SENTENCES]
    assert pair["jaccard"] == pytest.approx(1 / 7)
    assert pair["pmi"] == pytest.approx(math.log2(1 * SENTENCES / (7 * 1)))
    assert co[co["theme_a"] == "ideology"]["n_ab"].sum() == 0
    by_doc = analysis.theme_cooccurrence(tokens, within="document")
    assert by_doc[(by_doc["theme_a"] == "security") & (by_doc["theme_b"] == "governance_law")].iloc[0][
        ["n_a", "n_b", "n_ab", "n_units"]].tolist() == [5, 1, 1, 6]
    hits = analysis.theme_hits(tokens, theme="security", source="press")
    assert hits[["doc_id", "match", "theme", "entry"]].values.tolist() == [
        ["p1", "security", "security/general", "secur*"], ["p3", "网络安全", "security/cyber", "网络安全"]]
    assert len(analysis.theme_hits(tokens, theme="security", source="ministry")) == 5  # = the cell's count
    assert analysis.theme_hits(tokens, theme="security/cyber")["doc_id"].tolist() == ["m3", "p3"]


# -- topics -------------------------------------------------------------------------------------

#: Topic-model terms: lemmas minus the English/Chinese stopwords ("first", "want"); then a term
#: must be in >= 2 of the 8 paragraph units (no_below=2) and in at most half (no_above=0.5), which
#: drops "security" (5 units) and every term of one unit.
VOCABULARY = {"we", "must", "guard", "the", "news", "网络", "安全"}
IN_VOCABULARY = {"m1-p1": 3, "m1-p2": 0, "m2-p1": 3, "m2-p2": 1, "m3-p1": 2, "p1-p1": 1, "p2-p1": 2, "p3-p1": 2}


def test_topic_units_and_model(tokens):
    # upos=["X"]: the fake parse tags every word X; the default (NOUN, PROPN, ADJ, VERB) would keep none
    units = analysis.topic_units(tokens, upos=["X"])
    assert units["unit_id"].tolist() == list(IN_VOCABULARY)
    terms = dict(zip(units["unit_id"], units["terms"]))
    assert terms["m1-p1"] == ["we", "must", "guard", "security"]  # "first" is an English stopword
    assert terms["p1-p1"] == ["readers", "news", "readers", "like", "security"]  # so is "want"
    assert terms["p3-p1"] == ["首先", "我们", "关注", "网络", "安全"]
    assert units.groupby("source")["n_words"].sum().to_dict() == WORDS
    assert analysis.topic_units(tokens, upos=["X"], source="press")["unit_id"].tolist() == ["p1-p1", "p2-p1", "p3-p1"]

    model = analysis.TopicModel(k=2, seed=1).fit(units)
    top = analysis.top_terms(model)
    assert sorted(top["topic"].unique()) == [0, 1]
    for _, group in top.groupby("topic"):
        assert set(group["term"]) == VOCABULARY  # 7 terms: every topic ranks all of them
        assert group["rank"].tolist() == list(range(1, 8))
    assert len(analysis.top_terms(model, 3)) == 6
    shares = analysis.doc_topics(model, units)
    assert len(shares) == 8 * 2
    assert shares.groupby("unit_id")["share"].sum().to_numpy() == pytest.approx(np.ones(8))
    assert shares.drop_duplicates("unit_id").set_index("unit_id")["n_terms"].to_dict() == IN_VOCABULARY
    prevalence = analysis.topic_prevalence(shares, by="source")
    assert prevalence.groupby("source")["prevalence"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    assert prevalence.drop_duplicates("source")[["source", "n_units", "n_terms"]].values.tolist() == [
        ["ministry", 5, 9], ["press", 3, 5]]
    # prevalence = Σ n_terms · share / Σ n_terms over the source's units
    m = shares[(shares["source"] == "ministry") & (shares["topic"] == 0)]
    expected = (m["n_terms"] * m["share"]).sum() / m["n_terms"].sum()
    assert prevalence.set_index(["source", "topic"]).loc[("ministry", 0), "prevalence"] == pytest.approx(expected)
    again = analysis.TopicModel(k=2, seed=1).fit(units)  # same seed, same model
    pd.testing.assert_frame_equal(analysis.top_terms(again), top)


# -- rhetoric and formulas ----------------------------------------------------------------------


def test_rhetoric_profile_and_comparison_on_a_flat_parse(tokens):
    profile = analysis.rhetoric_profile(tokens, by="source").set_index(["source", "feature"])
    # enumerations and sentence length read only forms: "First ," (m1) and "首先 ，" (p3)
    assert profile.loc[("ministry", "enumerated_section"), ["count", "words"]].tolist() == [1, 20]
    assert profile.loc[("ministry", "enumerated_section"), "per_1000"] == pytest.approx(1000 / 20)
    assert profile.loc[("press", "enumerated_section"), "per_1000"] == pytest.approx(1000 / 16)
    # sentence length: ministry 5 + 3 + 4 + 4 + 4 = 20 words in 5 sentences, press 3 + 3 + 5 + 5 in 4
    assert profile.loc[("ministry", "sentence_length"), ["count", "mean"]].tolist() == [5, 4.0]
    assert profile.loc[("press", "sentence_length"), ["count", "mean"]].tolist() == [4, 4.0]
    # every other feature needs UPOS/FEATS/DEPREL ("we must" is there, but not as PRON nsubj + AUX aux):
    # zero on the flat parse, and a clause depth of 0
    for feature in ("obligation", "directive_verbs", "first_person_plural", "agentless_passive",
                    "nominalisation", "parallel_series"):
        assert profile.loc[("ministry", feature), "count"] == 0 and profile.loc[("press", feature), "count"] == 0
    assert profile.loc[("ministry", "clause_depth"), "mean"] == 0.0

    compared = analysis.compare_rhetoric(tokens, by="source")
    assert compared.attrs["groups"] == ("ministry", "press")
    enum = compared.set_index("feature").loc["enumerated_section"]
    assert enum[["count_ministry", "words_ministry", "count_press", "words_press"]].tolist() == [1, 20, 1, 16]
    assert enum["log_ratio"] == pytest.approx(math.log2((1 / 20) / (1 / 16)))
    assert enum["statistic"] == pytest.approx(_g2_4cell(1, 1, 20, 16))
    length = compared.set_index("feature").loc["sentence_length"]
    assert (length["test"], length["log_ratio"]) == ("Mann-Whitney U", 0.0)

    hits = analysis.feature_hits(tokens, "enumerated_section")
    assert hits[["doc_id", "match", "evidence", "source"]].values.tolist() == [
        ["m1", "First", "First ,", "ministry"], ["p3", "首先", "首先，", "press"]]
    assert analysis.feature_hits(tokens, "enumerated_section", source="press")["doc_id"].tolist() == ["p3"]
    assert len(analysis.feature_hits(tokens, "obligation")) == 0


def test_formulas_on_a_flat_parse(tokens):
    # the default asks for 2 content words (NOUN, VERB...): the flat parse (all X) has none
    assert analysis.formulas(tokens).empty
    table = analysis.formulas(tokens, min_content=0)
    assert table[["lang", "formula", "n", "n_docs", "doc_ids", "freq"]].values.tolist() == [
        ["en", "we must guard security", 4, 2, "m1; m2", 2]]
    occurrences = analysis.formula_occurrences(tokens, table)
    assert occurrences["doc_id"].astype(str).tolist() == ["m1", "m2"]
    assert analysis.formulas_by_document(occurrences)[["formula", "doc_id", "freq"]].values.tolist() == [
        ["we must guard security", "m1", 1], ["we must guard security", "m2", 1]]
    lines = analysis.formula_kwic(tokens, table)
    assert lines[["doc_id", "left", "match", "right", "source", "year"]].values.tolist() == [
        ["m1", "First ,", "we must guard security", ".", "ministry", "2014"],
        ["m2", "", "We must guard security", ".", "ministry", "2015"]]
    assert analysis.formulas(tokens, min_content=0, source="press").empty


def test_word_sketch_on_a_flat_parse(tokens):
    # a sketch reads dependency relations (amod, obj, nsubj...); the flat parse has only "dep"
    sketch = analysis.word_sketch(tokens, "security")
    assert isinstance(sketch, analysis.WordSketch) and len(sketch) == 0
    with pytest.raises(analysis.EmptySelectionError):
        analysis.sketch_hits(tokens, "security", "object of", "guard")
    with pytest.raises(analysis.EmptySelectionError, match="does not occur"):
        analysis.word_sketch(tokens, "cybersecurity")


def test_bilingual_analyses_say_the_corpus_has_no_aligned_pairs(corpus_dir, tokens):
    # English and Chinese, but no document is a translation of another (no translation_of column)
    corpus = analysis.load_corpus(corpus_dir)
    for call in (lambda: analysis.term_translations(tokens, corpus, ["网络安全"]),
                 lambda: analysis.translation_candidates(tokens, corpus, "网络安全"),
                 lambda: analysis.parallel_kwic(tokens, corpus, "网络安全"),
                 lambda: analysis.alignment_scores(corpus)):
        with pytest.raises(analysis.CorpusError, match="no aligned paragraph pairs"):
            call()


# -- the command line: the corpus finds its own annotations --------------------------------------


@pytest.fixture
def tifa(corpus_dir, tmp_path, monkeypatch, capsys):
    """Run `tifa ... --corpus DIR --format json` and return the parsed records.

    No Stanza models (TIFA_STANZA_DIR is an empty folder): the CLI finds the fake annotations
    through DIR/annotations/<model set>/provenance.json, as it finds committed annotations.
    """
    (tmp_path / "no-models").mkdir()
    monkeypatch.setenv(models.ENV_DIR, str(tmp_path / "no-models"))

    def run(*args: str, corpus: Path = corpus_dir):
        capsys.readouterr()
        status = main([*args, "--corpus", str(corpus), "--format", "json"])
        captured = capsys.readouterr()
        assert status == 0, captured.err
        return json.loads(captured.out)

    return run


def test_cli_kwic_freq_ngrams_dispersion(tifa):
    lines = tifa("kwic", "security", "--where", "source=ministry")
    assert [(r["doc_id"], r["match"], r["source"]) for r in lines] == [
        ("m1", "security", "ministry"), ("m1", "Security", "ministry"), ("m2", "security", "ministry"),
        ("m2", "security", "ministry")]
    assert [r["doc_id"] for r in tifa("kwic", "security", "--where", "year=2015..2015")] == ["m2", "m2"]
    assert [(r["doc_id"], r["match"]) for r in tifa("kwic", "网络安全")] == [("m3", "网络安全"), ("p3", "网络安全")]
    freq = tifa("freq", "--by", "source", "--top", "1")
    assert [(r["source"], r["term"], r["freq"], r["per_1000"]) for r in freq] == [
        ("ministry", "security", 4, 200.0), ("press", "news", 2, 125.0)]
    grams = tifa("ngrams", "-n", "2", "--min-freq", "2")
    assert [(r["ngram"], r["freq"], r["range"]) for r in grams] == [
        ("guard security", 2, 2), ("must guard", 2, 2), ("we must", 2, 2), ("网络 安全", 2, 2)]
    disp = tifa("dispersion", "security", "网络安全", "--by", "source")
    assert [(r["term"], r["freq"], r["range"], r["parts"]) for r in disp] == [("security", 5, 2, 2),
                                                                              ("网络安全", 2, 2, 2)]
    assert disp[0]["dp"] == pytest.approx(0.5 * (abs(4 / 5 - 20 / 36) + abs(1 / 5 - 16 / 36)))


def test_cli_keyness_collocates_sketch(tifa):
    table = tifa("keyness", "--target", "source=ministry", "--reference", "source=press")
    assert len(table) == 23
    sec = next(r for r in table if r["term"] == "security")
    assert (sec["freq_target"], sec["freq_reference"], sec["direction"]) == (4, 1, "positive")
    assert sec["log_ratio"] == pytest.approx(math.log2(3.2))
    assert {r["term"] for r in table[-2:]} == {"news", "readers"}
    neg = tifa("keyness", "--target", "source=ministry", "--reference", "source=press", "--direction", "negative",
               "--top", "2")
    assert {r["term"] for r in neg} == {"news", "readers"}
    coll = tifa("collocates", "security", "--window", "1,0", "--min-freq", "1", "--where", "source=ministry")
    assert [(r["collocate"], r["observed"], r["n"], r["window_size"]) for r in coll] == [("guard", 2, 20, 3),
                                                                                         ("serves", 1, 20, 3)]
    assert tifa("sketch", "security") == []  # the flat parse has no relations a sketch reads


def test_cli_themes(tifa):
    rates = tifa("themes", "--by", "source")
    sec = {r["source"]: r for r in rates if r["theme"] == "security"}
    assert {s: (r["count"], r["words"], r["per_1000"]) for s, r in sec.items()} == {
        "ministry": (5, 20, 250.0), "press": (2, 16, 125.0)}
    entries = tifa("themes", "--show", "entries", "--by", "source", "--where", "source=press")
    assert [(r["theme"], r["entry"], r["count"]) for r in entries] == [("security", "网络安全", 1),
                                                                        ("security", "secur*", 1)]
    hits = tifa("themes", "--show", "hits", "--theme", "security", "--where", "source=press")
    assert [(r["doc_id"], r["match"]) for r in hits] == [("p1", "security"), ("p3", "网络安全")]
    co = tifa("themes", "--show", "cooccurrence")
    pair = next(r for r in co if (r["theme_a"], r["theme_b"]) == ("security", "governance_law"))
    assert (pair["n_a"], pair["n_b"], pair["n_ab"], pair["n_units"]) == (7, 1, 1, SENTENCES)


def test_cli_rhetoric_and_formulas(tifa):
    compared = {r["feature"]: r for r in tifa("rhetoric", "--by", "source")}
    enum = compared["enumerated_section"]
    assert (enum["count_ministry"], enum["per_1000_ministry"], enum["count_press"], enum["per_1000_press"]) == (
        1, 50.0, 1, 62.5)
    assert compared["obligation"]["count_ministry"] == 0  # flat parse: no AUX "must"
    profile = tifa("rhetoric", "--by", "source", "--profile", "--features", "sentence_length")
    assert [(r["source"], r["count"], r["mean"]) for r in profile] == [("ministry", 5, 4.0), ("press", 4, 4.0)]
    hits = tifa("rhetoric", "--hits", "enumerated_section", "--where", "source=ministry")
    assert [(r["doc_id"], r["evidence"]) for r in hits] == [("m1", "First ,")]
    assert tifa("formulas") == []  # no content words in the flat parse
    found = tifa("formulas", "--min-content", "0")
    assert [(r["formula"], r["n_docs"], r["doc_ids"]) for r in found] == [("we must guard security", 2, "m1; m2")]


class TaggingFakeParsers(FakeParsers):
    """The fake parser with UPOS NOUN on every word and PUNCT on punctuation: `tifa topics` has no
    --upos option, and its units keep only NOUN, PROPN, ADJ and VERB."""

    def __call__(self, model_set, lang):
        parse = super().__call__(model_set, lang)

        def tagged(texts):
            out = parse(texts)
            for sentences in out:
                for sentence in sentences:
                    for word in sentence.words:
                        word.upos = "PUNCT" if is_punctuation_form(word.form) else "NOUN"
            return out

        return tagged


def test_cli_topics(tifa, corpus_dir, tmp_path, tokens, capsys):
    # on the flat parse (every word X) no unit has a term: a one-line error that names upos
    status = main(["topics", "--corpus", str(corpus_dir), "--k", "2", "--seeds", "1", "--format", "json"])
    err = capsys.readouterr().err
    assert status == 2 and "no unit has a term" in err and "upos" in err
    # the same corpus parsed with UPOS tags: the CLI fits the model the API fits on the same units
    tagged = _import(tmp_path, "tagged", TaggingFakeParsers())
    topics = tifa("topics", "--k", "2", "--seeds", "1", corpus=tagged)
    assert [r["topic"] for r in topics] == [0, 1]
    assert sum(r["prevalence"] for r in topics) == pytest.approx(1.0, abs=1e-3)
    for r in topics:
        assert set(r["top_terms"].split(", ")) == VOCABULARY
    units = analysis.topic_units(tokens, upos=["X"])
    model = analysis.TopicModel(k=2, seed=1).fit(units)
    api = analysis.top_terms(model).groupby("topic")["term"].apply(", ".join).tolist()
    assert [r["top_terms"] for r in topics] == api
    prevalence = tifa("topics", "--k", "2", "--seeds", "1", "--show", "prevalence", "--by", "source", corpus=tagged)
    assert [(r["source"], r["topic"], r["n_units"], r["n_terms"]) for r in prevalence] == [
        ("ministry", 0, 5, 9), ("ministry", 1, 5, 9), ("press", 0, 3, 5), ("press", 1, 3, 5)]
    expected = analysis.topic_prevalence(analysis.doc_topics(model, units), by="source")
    assert [r["prevalence"] for r in prevalence] == pytest.approx(expected["prevalence"].tolist())


# -- the real compact models ----------------------------------------------------------------------


@pytest.mark.slow
def test_real_compact_models_on_the_foreign_corpus(tmp_path):
    model_dir = _real_model_dir()
    if model_dir is None:
        pytest.skip("no Stanza models: set TIFA_STANZA_DIR or put shared/stanza_resources beside the repository")
    ms = models.resolve_model_set(model_dir, require=("en", "zh"))
    corpus = analysis.read_corpus(write_csv(tmp_path / "my.csv")).save(tmp_path / "mycorpus")
    report = analysis.annotate(corpus, model_set=ms, progress=False, threads=1)
    assert sorted(report.parsed) == sorted(d[0] for d in DOCUMENTS)
    tokens = analysis.load_tokens(corpus, model_set=ms)
    hits = analysis.kwic(tokens, "security")
    assert hits["source"].astype(str).value_counts().to_dict() == {"ministry": 4, "press": 1}
    zh = analysis.kwic(tokens, "网络安全")
    assert zh["source"].astype(str).tolist() == ["ministry", "press"]
    rates = analysis.theme_rates(tokens, by="source")
    sec = rates[rates["theme"] == "security"].set_index("source")
    assert sec.loc["ministry", "count"] == 5 and sec.loc["ministry", "per_1000"] > 0
    assert sec.loc["press", "count"] == 2
    # the real parse has what the fake one lacks: "we must guard" is an obligation, in ministry texts only
    profile = analysis.rhetoric_profile(tokens, by="source", features="obligation").set_index("source")
    assert profile.loc["ministry", "count"] >= 1 and profile.loc["press", "count"] == 0
