"""kwic(): contexts, windows, paragraph boundaries, sorting, filters, Chinese, HTML, NLTK agreement."""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import pytest

from analysis.cli import _common as cli_common
from analysis.errors import ParameterError, QueryError
from analysis.concordance import KWIC, kwic
from analysis.tokens import tokens_from_conllu


def concat(tables):
    """Join hand-built tables (categories unioned)."""
    cats = [c for c in tables[0].columns if isinstance(tables[0][c].dtype, pd.CategoricalDtype)]
    out = pd.concat([t.astype({c: object for c in cats}) for t in tables], ignore_index=True)
    return out.astype({c: "category" for c in cats})


def conllu_from_words(paragraphs, doc_id):
    """A flat CoNLL-U (every word attached to the first word of its sentence) from word lists.

    ``paragraphs`` is a list of paragraphs, each a list of sentences, each a list of forms.
    The lemma is the lower-cased form; UPOS is PUNCT for punctuation, else X.
    """
    lines = []
    for p_no, par in enumerate(paragraphs, 1):
        lines.append(f"# newpar id = {doc_id}-p{p_no}")
        for sent in par:
            for i, w in enumerate(sent, 1):
                upos = "PUNCT" if re.fullmatch(r"\W+", w) else "X"
                lines.append(f"{i}\t{w}\t{w.lower()}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_")
            lines.append("")
    return "\n".join(lines)


EN_DOC = [  # two paragraphs; paragraph 1 has two sentences
    [["We", "must", "safeguard", "national", "security", "."],
     ["Ideological", "security", "is", "vital", "."]],
    [["Security", "comes", "first", "."]],
]
EN2_DOC = [[["Cyber", "security", "and", "public", "opinion", "."]]]
ZH_DOC = [[["维护", "网络", "安全", "和", "意识形态", "安全", "。"]], [["网络", "空间", "安全", "。"]]]


@pytest.fixture(scope="module")
def tokens():
    d1 = tokens_from_conllu(conllu_from_words(EN_DOC, "d1"), doc_id="d1", lang="en", voice="official",
                            date="2014-05-01", title="One")
    d2 = tokens_from_conllu(conllu_from_words(EN2_DOC, "d2"), doc_id="d2", lang="en", voice="framing",
                            date="2014-09-01", title="Two")
    z1 = tokens_from_conllu(conllu_from_words(ZH_DOC, "z1"), doc_id="z1", lang="zh", voice="original",
                            date="2014-05-01", title="三")
    return concat([d1, d2, z1])


def test_columns_and_positions(tokens):
    k = kwic(tokens, "security", window=2)
    assert isinstance(k, KWIC) and isinstance(k, pd.DataFrame)
    assert list(k.columns) == ["doc_id", "par", "sent", "position", "left", "match", "right",
                               "lang", "voice", "kind", "outlet", "date", "title"]
    assert k[["doc_id", "par", "sent", "position"]].values.tolist() == [
        ["d1", 1, 1, 4], ["d1", 1, 2, 6], ["d1", 2, 3, 9], ["d2", 1, 1, 1]]  # words before (no punctuation)
    assert k["match"].tolist() == ["security", "security", "Security", "security"]
    assert k["voice"].tolist() == ["official", "official", "official", "framing"]


def test_window_and_sentence_crossing(tokens):
    k = kwic(tokens, "security", window=3)
    # context crosses the sentence boundary inside paragraph 1 ...
    assert k.loc[0, "right"] == ". Ideological security"
    assert k.loc[1, "left"] == "security . Ideological"
    # ... but never the paragraph boundary: paragraph 1 ends after "vital ."
    assert k.loc[1, "right"] == "is vital ."
    assert k.loc[2, "left"] == ""
    assert k.loc[2, "right"] == "comes first ."
    # nor the document boundary
    assert k.loc[3, "left"] == "Cyber"
    assert kwic(tokens, "security", window=0)["left"].tolist() == ["", "", "", ""]


def test_window_is_exact_in_the_middle(tokens):
    k = kwic(tokens, "national", window=2)
    assert (k.loc[0, "left"], k.loc[0, "right"]) == ("must safeguard", "security .")


def test_case(tokens):
    assert len(kwic(tokens, "security")) == 4
    assert len(kwic(tokens, "security", case_sensitive=True)) == 3
    assert kwic(tokens, "Security", case_sensitive=True)["position"].tolist() == [9]


def test_phrase_match_text(tokens):
    k = kwic(tokens, "public opinion", window=2)
    assert k[["doc_id", "left", "match", "right"]].values.tolist() == [["d2", "security and", "public opinion", "."]]


def test_filters(tokens):
    assert kwic(tokens, "security", voice="framing")["doc_id"].tolist() == ["d2"]
    assert kwic(tokens, "security", voice=["framing", "official"]).shape[0] == 4
    assert kwic(tokens, "security", date=slice("2014-08-01", "2014-12-31"))["doc_id"].tolist() == ["d2"]
    assert kwic(tokens, "security", date=slice(None, "2014-06-30"))["doc_id"].tolist() == ["d1"] * 3
    assert kwic(tokens, "安全", lang="zh").shape[0] == 3
    assert kwic(tokens, "安全", lang="en").shape[0] == 0
    with pytest.raises(QueryError, match="no such column"):
        kwic(tokens, "security", colour="red")
    with pytest.raises(QueryError, match="no such column"):
        kwic(tokens, "nothing-matches-this", colour="red")


def test_filter_does_not_cut_context():
    """Filtering picks hits; the context still comes from the whole paragraph."""
    t = tokens_from_conllu(conllu_from_words([[["a", "b", "c"]]], "d"), doc_id="d", lang="en", voice="v")
    k = kwic(t, "b", window=1, upos="X")
    assert (k.loc[0, "left"], k.loc[0, "right"]) == ("a", "c")


def test_sort_right_then_left(tokens):
    k = kwic(tokens, "security", window=3, sort=["R1", "R2"])
    # R1 of the hits at positions 4, 7, 11, 1 (d2): ".", "is", "comes", "and"
    assert k["position"].tolist() == [4, 1, 9, 6]
    k = kwic(tokens, "security", window=3, sort="L1")
    # L1: national, ideological, "" (paragraph start), cyber
    assert k["position"].tolist() == [9, 1, 6, 4]
    assert kwic(tokens, "security", sort="1L")["position"].tolist() == [9, 1, 6, 4]


def test_sort_is_stable_and_matches_python_sorted():
    words = ["alpha", "beta", "gamma"]
    rng = random.Random(7)
    sents = [[rng.choice(words), "node", rng.choice(words), rng.choice(words)] for _ in range(60)]
    t = tokens_from_conllu(conllu_from_words([sents], "d"), doc_id="d", lang="en", voice="v")
    k = kwic(t, "node", window=2, sort=["R1"])
    # hits in document order, then stable sort by R1: equal keys keep document order
    doc_order = kwic(t, "node", window=2)
    r1 = [r.split(" ")[0] for r in doc_order["right"]]
    expected = [doc_order["position"][i] for i in sorted(range(len(r1)), key=lambda i: r1[i])]
    assert k["position"].tolist() == expected
    k2 = kwic(t, "node", window=2, sort="R1,R2")
    keys = [tuple(r.split(" ")[:2]) for r in doc_order["right"]]
    expected2 = [doc_order["position"][i] for i in sorted(range(len(keys)), key=lambda i: keys[i])]
    assert k2["position"].tolist() == expected2


def test_sort_random_is_seeded(tokens):
    a = kwic(tokens, "security", sort="random", seed=1)
    b = kwic(tokens, "security", sort="random", seed=1)
    assert a["position"].tolist() == b["position"].tolist()
    assert sorted(a["position"]) == [1, 4, 6, 9]
    orders = {tuple(kwic(tokens, "security", sort="random", seed=s)["position"]) for s in range(10)}
    assert len(orders) > 1
    assert kwic(tokens, "security", sort="doc")["position"].tolist() == [4, 6, 9, 1]


def test_bad_arguments(tokens):
    with pytest.raises(ParameterError, match="sort key"):
        kwic(tokens, "security", sort="X9")
    with pytest.raises(ParameterError, match="window"):
        kwic(tokens, "security", window=-1)
    with pytest.raises(ParameterError, match="window"):
        kwic(tokens, "security", window=(1, 2, 3))
    with pytest.raises(ParameterError, match="unit"):
        kwic(tokens, "security", unit="word")
    with pytest.raises(ParameterError, match="within"):
        kwic(tokens, "security", within="chapter")
    with pytest.raises(QueryError, match="unknown field"):
        kwic(tokens, "lema:security")


def test_chinese_joins_without_spaces_and_matches_across_words(tokens):
    k = kwic(tokens, "网络安全", window=2)
    assert k[["doc_id", "par", "left", "match", "right"]].values.tolist() == [["z1", 1, "维护", "网络安全", "和意识形态"]]
    k = kwic(tokens, "安全", window=1)
    assert k["left"].tolist() == ["网络", "意识形态", "空间"]


def test_chinese_character_window(tokens):
    k = kwic(tokens, "安全", window=3, unit="char")
    # paragraph 1: 维护 网络 [安全] 和 意识形态 [安全] 。
    assert k["left"].tolist() == ["护网络", "识形态", "网络空间"[-3:]]
    assert k["right"].tolist() == ["和意识", "。", "。"]
    assert all(len(x) <= 3 for x in k["left"])


def test_english_character_window(tokens):
    k = kwic(tokens, "national", window=10, unit="char")
    assert k.loc[0, "left"] == "safeguard "[-10:] or k.loc[0, "left"] == "t safeguard"[-10:]
    assert len(k.loc[0, "left"]) == 10 and k.loc[0, "left"].endswith("safeguard")
    assert k.loc[0, "right"] == "security ."


def test_html_repr(tokens):
    html = kwic(tokens, "security", window=2)._repr_html_()
    assert html.count("<tr>") == 1 + 4
    assert "d1 ¶2" in html
    # every link points at an anchor that exists in the same output: the paragraph's full text
    links = re.findall(r'href="#([^"]+)"', html)
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert links and set(links) <= ids
    assert any(a.endswith("-d1-p2") for a in ids)
    assert "Cyber security and public opinion" in html  # the paragraph behind d2 ¶1
    # sliced concordances stay a KWIC and keep their links
    sliced = kwic(tokens, "security", window=2).iloc[1:3]
    assert type(sliced) is KWIC and set(re.findall(r'href="#([^"]+)"', sliced._repr_html_())) <= \
        set(re.findall(r'id="([^"]+)"', sliced._repr_html_()))
    assert "text-align:right" in html and "font-weight:bold" in html
    # a frame that lost the KWIC columns falls back to pandas' own HTML
    assert "tifa-kwic" not in kwic(tokens, "security")[["doc_id"]]._repr_html_()
    plain = kwic(tokens, "security").to_frame()
    assert type(plain) is pd.DataFrame


def test_html_escapes_text():
    t = tokens_from_conllu(conllu_from_words([[["<b>", "x", "&"]]], "d"), doc_id="d", lang="en", voice="v")
    html = kwic(t, "x")._repr_html_()
    assert "&lt;b&gt;" in html and "&amp;" in html and "<b>" not in html


def test_nltk_concordance_offsets_agree():
    """Plain word queries: positions equal NLTK ConcordanceIndex offsets over the document's words
    (punctuation is not a word: a punctuation hit's position is the number of words before it)."""
    nltk_text = pytest.importorskip("nltk.text")
    rng = random.Random(3)
    vocab = ["the", "The", "party", "Party", "media", "convergence", "security", ",", "."]
    pars = [[[rng.choice(vocab) for _ in range(rng.randint(3, 12))] for _ in range(rng.randint(1, 4))]
            for _ in range(8)]
    t = tokens_from_conllu(conllu_from_words(pars, "d"), doc_id="d", lang="en", voice="v")
    tokens = [w for par in pars for sent in par for w in sent]
    words = [w for w in tokens if w not in (",", ".")]
    index = nltk_text.ConcordanceIndex(words, key=lambda s: s.lower())
    for word in ["the", "party", "security", "convergence"]:
        assert kwic(t, word)["position"].tolist() == index.offsets(word), word
    commas = [sum(1 for w in tokens[:i] if w not in (",", ".")) for i, w in enumerate(tokens) if w == ","]
    assert kwic(t, ",")["position"].tolist() == commas
    case_index = nltk_text.ConcordanceIndex(words)
    for word in ["The", "Party", "party"]:
        assert kwic(t, word, case_sensitive=True)["position"].tolist() == case_index.offsets(word), word


# ---------------------------------------------------------------- the seed corpus


# Terms and how to count them independently in the raw paragraph text (corpus.paragraphs, i.e.
# the text of corpus/raw/china-copyright-and-media-2014.txt cut into paragraphs by the manifest).
# English: whole words, case-insensitive, a hyphenated compound is not a hit (the tokenizer keeps
# "cyber-security" as one word). Chinese: substring occurrences.
SEED_TERMS_EN = ("cybersecurity", "ideological", "convergence", "propaganda", "public opinion")
SEED_TERMS_ZH = ("网络", "安全", "意识形态", "网络安全")

# Known differences due to Chinese word segmentation: raw-text contexts in which the term is a
# substring but not a run of whole words, so KWIC (which matches words) cannot find it.
#   和平安全 ("peace and security") is segmented 和 / 平安 / 全 (the segmenter read 平安 "safe"),
#   so 安全 straddles a word boundary there.
ZH_SEGMENTATION_MISSES = {"安全": ["和平安全"]}


def test_seed_hit_counts_equal_raw_text_counts(seed_corpus, seed_tokens):
    corpus, tokens = seed_corpus, seed_tokens
    pars = corpus.paragraphs
    en_text = pars[pars["lang"] == "en"]["text"].tolist()
    zh_text = pars[pars["lang"] == "zh"]["text"].tolist()
    for term in SEED_TERMS_EN:
        rx = re.compile(r"(?<![\w-])" + r"\s+".join(map(re.escape, term.split())) + r"(?![\w-])", re.I)
        expected = sum(len(rx.findall(t)) for t in en_text)
        assert expected > 0, term
        assert len(kwic(tokens, term, lang="en")) == expected, term
    for term in SEED_TERMS_ZH:
        expected = sum(t.count(term) for t in zh_text)
        assert expected > 0, term
        for context in ZH_SEGMENTATION_MISSES.get(term, []):
            misses = sum(t.count(context) for t in zh_text)
            assert misses > 0, f"{context} no longer in the seed: update ZH_SEGMENTATION_MISSES"
            expected -= misses
        assert len(kwic(tokens, term, lang="zh")) == expected, term
    # the Chinese terms above are found whether the segmenter made them one word or several:
    # 意识形态 ("ideology") is two words here (意识 + 形态), matched as a run
    assert len(kwic(tokens, "意识形态", lang="zh")) == sum(t.count("意识形态") for t in zh_text)


# ---------------------------------------------------------------- the CLI (on hand-built tokens)


@pytest.fixture()
def cli(tokens, monkeypatch, capsys):
    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: tokens)

    def run(*argv):
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse rejects a bad option value: status 2
            status = exc.code
        out = capsys.readouterr()
        return status, out.out, out.err
    return run


def test_cli_kwic_text_csv_json(cli):
    import io
    import json

    status, out, _ = cli("kwic", "security", "--window", "2", "--where", "voice=official")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("d1 ¶1") and "[security]" in lines[0]
    # left contexts are right-aligned: the "[" of every line is in the same column
    assert len({line.index("[") for line in lines}) == 1
    status, out, _ = cli("kwic", "security", "--sort", "L1", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out), keep_default_na=False)
    assert frame["position"].tolist() == [9, 1, 6, 4]
    status, out, _ = cli("kwic", "lemma:security", "--head", "we", "--deprel", "dep", "--format", "json")  # flat parse: heads are sentence-initial
    assert [r["position"] for r in json.loads(out)] == [4]
    status, out, _ = cli("kwic", "安全", "--unit", "char", "--window", "3", "--format", "json")
    assert [r["left"] for r in json.loads(out)] == ["护网络", "识形态", "络空间"]


def test_cli_errors_exit_2(cli):
    status, _, err = cli("kwic", "lema:security")
    assert status == 2 and "unknown field 'lema'" in err
    status, _, err = cli("ngrams", "--position", "middle")
    assert status == 2 and "--position" in err and err.count("\n") == 1
    status, _, err = cli("kwic", "security", "--where", "colour=red")
    assert status == 2 and "no such column" in err
    status, _, err = cli("freq", "--where", "voice=nobody")
    assert status == 2 and "no words" in err


def test_cli_freq_ngrams_dispersion(cli):
    import io

    status, out, _ = cli("freq", "--where", "lang=en", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert frame.iloc[0].tolist()[:2] == ["security", 4]
    status, out, _ = cli("ngrams", "-n", "2", "--node", "security", "--position", "right", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert sorted(frame["ngram"]) == ["cyber security", "ideological security", "national security"]
    status, out, _ = cli("dispersion", "security", "安全", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert frame["term"].tolist() == ["security", "安全"] and frame["freq"].tolist() == [4, 3]


def test_cli_options_mirror_the_api(cli, tokens):
    import io
    import json

    from analysis import dispersion, frequency, ngrams

    # freq: --field is the term column, --by groups (one list per group), --top per group
    status, out, _ = cli("freq", "--field", "form", "--by", "lang,voice", "--top", "2", "--case-sensitive",
                         "--format", "csv")
    frame = pd.read_csv(io.StringIO(out), keep_default_na=False)
    api = frequency(tokens, "form", by=["lang", "voice"], top=2, case_sensitive=True)
    assert status == 0 and list(frame.columns[:3]) == ["lang", "voice", "term"]
    assert frame["term"].tolist() == api["term"].tolist() and frame["freq"].tolist() == api["freq"].tolist()
    # ngrams: several lengths, --field, --min-freq, --top
    status, out, _ = cli("ngrams", "-n", "2", "3", "--field", "lemma", "--top", "4", "--format", "json")
    api = ngrams(tokens, [2, 3], field="lemma", top=4)
    assert [r["ngram"] for r in json.loads(out)] == api["ngram"].tolist()
    # dispersion: --by is the partition, --where restricts the table (a range of dates)
    status, out, _ = cli("dispersion", "security", "--by", "voice", "--where", "date=2014-01-01..2014-12-31",
                         "--format", "json")
    api = dispersion(tokens, "security", by="voice", date=slice("2014-01-01", "2014-12-31"))
    assert json.loads(out)[0]["parts"] == api.iloc[0]["parts"] == 3
    # kwic: --window L,R, --within, --top; --where any-of and range
    status, out, _ = cli("kwic", "security", "--window", "0,1", "--within", "sentence", "--top", "2",
                         "--where", "voice=official,framing", "--format", "json")
    rows = json.loads(out)
    assert len(rows) == 2 and rows[0]["left"] == "" and rows[0]["right"] == "."
    status, out, _ = cli("kwic", "security", "--where", "date=..2014-06-30", "--format", "json")
    assert {r["doc_id"] for r in json.loads(out)} == {"d1"}


@pytest.mark.parametrize("command", ["kwic", "freq", "ngrams", "dispersion", "keyness", "collocates", "sketch"])
def test_cli_every_numeric_option_is_validated(command, capsys):
    """Every numeric option of these commands uses a validated type and rejects a bad value: exit 2, one line."""
    from analysis.cli import build_parser, main

    numeric = set(cli_common.NUMERIC_TYPES) | {cli_common.window_value}
    sub = next(a for a in build_parser()._actions if a.choices and command in a.choices).choices[command]
    required = {"kwic": ["security"], "dispersion": ["security"], "collocates": ["security"], "sketch": ["security"],
                "keyness": ["--target", "voice=official"]}.get(command, [])
    checked = 0
    for action in sub._actions:
        if not action.option_strings or action.type in (None, str) or action.nargs == 0:
            continue
        if action.type in (int, float):
            pytest.fail(f"tifa {command} {action.option_strings[-1]} uses an unvalidated {action.type.__name__}")
        if action.type not in numeric:
            continue
        checked += 1
        for bad in ("-1", "abc", "0.5.5"):
            with pytest.raises(SystemExit) as exc:
                main([command, *required, action.option_strings[-1], bad])
            err = capsys.readouterr().err
            assert exc.value.code == 2 and err.count("\n") == 1, (command, action.option_strings, bad, err)
    assert checked or command == "dispersion", command


def test_kwic_stays_a_kwic_through_pandas_operations(tokens):
    k = kwic(tokens, "security")
    assert isinstance(k[k["voice"] == "official"], KWIC)
    assert isinstance(k.sort_values("position"), KWIC)
    assert isinstance(pd.concat([k, k]), KWIC)
    assert k[k["voice"] == "official"].query_text == "security"
    assert k.query("position > 5")["position"].tolist() == [6, 9]  # DataFrame.query still works


def test_index_cache_follows_column_changes(tokens):
    """The cached paragraph index is rebuilt when the table's columns are replaced."""
    t = tokens.copy()
    assert kwic(t, "security", window=3).loc[2, "left"] == ""  # paragraph 2 starts at "Security"
    t["par"] = np.ones(len(t), dtype="int32")  # one paragraph per document now
    assert kwic(t, "security", window=3).loc[2, "left"] == "is vital ."


def test_words_at_reads_the_sort_positions_from_the_context(tokens):
    k = kwic(tokens, "security", window=3)
    # hits at positions 4, 7, 11 (paragraph start) and 1 (d2); punctuation counts as a position
    assert k.words_at("R1").tolist() == [".", "is", "comes", "and"]
    assert k.words_at("1R").tolist() == [".", "is", "comes", "and"]
    assert k.words_at("R3").tolist() == ["security", ".", ".", "opinion"]
    assert k.words_at("L1").tolist() == ["national", "ideological", "", "cyber"]
    assert k.words_at("L3").tolist() == ["must", "security", "", ""]
    assert k.words_at("R4").tolist() == ["", "", "", ""]  # past the window: no word
    assert k.words_at("match").tolist() == ["security"] * 4
    assert k.words_at("L1", case_sensitive=True).tolist() == ["national", "Ideological", "", "Cyber"]
    assert k.words_at("match", case_sensitive=True).tolist()[2] == "Security"
    # the same keys as sort=: the words of a sorted concordance come out in order
    for key in ("R1", "L1", "R2"):
        words = kwic(tokens, "security", window=3, sort=key).words_at(key).tolist()
        assert words == sorted(words), key


def test_words_at_keeps_the_index_and_refuses_what_it_cannot_read(tokens):
    k = kwic(tokens, "security", window=2)
    framing = k[k["voice"] == "framing"]
    words = framing.words_at("R2")
    assert isinstance(words, pd.Series) and words.index.equals(framing.index)
    assert words.tolist() == ["public"] and words.name == "R2"
    assert kwic(tokens, "nothing-like-this").words_at("R1").tolist() == []
    for bad in ("X9", "R0", "R1,R2", "doc", "random", ["R1"]):
        with pytest.raises(ParameterError):
            k.words_at(bad)
    zh = kwic(tokens, "安全", window=2, lang="zh")
    with pytest.raises(ParameterError, match="without spaces"):
        zh.words_at("L1")
    assert zh.words_at("match").tolist() == ["安全"] * 3
