"""Tests of analysis.formulas (analysis.phraseology) on a hand-built multi-document Tokens table."""

from __future__ import annotations

import pandas as pd
import pytest

import analysis
from analysis.cli import _common as cli_common
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.phraseology import formula_kwic, formula_occurrences, formulas, formulas_by_document
from analysis.tokens import tokens_from_conllu

UPOS = {
    "we": "PRON", "they": "PRON", "must": "AUX", "is": "AUX", "in": "ADP", "of": "ADP", "the": "DET",
    "and": "CCONJ", ".": "PUNCT", ",": "PUNCT", "persist": "VERB", "matters": "VERB", "correct": "ADJ",
    "two": "NUM", "one": "NUM", "today": "NOUN", "orientation": "NOUN", "wings": "NOUN", "bird": "NOUN",
    "cybersecurity": "NOUN", "key": "ADJ", "network": "NOUN", "security": "NOUN", "informatization": "NOUN",
    "construction": "NOUN", "strengthen": "VERB",
    "网络": "NOUN", "安全": "NOUN", "和": "CCONJ", "信息化": "NOUN", "是": "AUX", "重要": "ADJ", "，": "PUNCT",
    "。": "PUNCT", "加强": "VERB",
}
LEMMA = {"wings": "wing", "matters": "matter", "is": "be"}


def sentence(text: str) -> str:
    """A flat parse (every word attached to the first) — formulas read only forms, lemmas, UPOS."""
    rows = []
    for i, w in enumerate(text.split(), 1):
        rows.append("\t".join([str(i), w, LEMMA.get(w, w), UPOS[w], "_", "_", "0" if i == 1 else "1",
                               "root" if i == 1 else "dep", "_", "_"]))
    return "\n".join(rows) + "\n"


def doc(doc_id: str, *sentences: str, lang: str = "en") -> pd.DataFrame:
    return tokens_from_conllu("\n".join(sentence(s) for s in sentences), doc_id=doc_id, lang=lang,
                              voice="official")


def corpus(*docs: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([d.astype(object) for d in docs], ignore_index=True)


A = doc("A", "we must persist in the correct orientation .", "two wings of one bird .")
B = doc("B", "they persist in the correct orientation today .", "cybersecurity is two wings of one bird .")
C = doc("C", "the correct orientation matters .")
D = doc("D", "the correct orientation is key .")


def test_maximal_formulas_only():
    table = formulas(corpus(A, B, C))
    assert list(table.formula) == ["persist in the correct orientation", "two wings of one bird"]
    first = table.iloc[0]
    assert (first.n, first.n_docs, first.doc_ids, first.freq) == (5, 2, "A; B", 2)
    assert (first.first_doc, first.first_sent) == ("A", 1)
    assert table.iloc[1].example == "two wings of one bird"


def test_shorter_formula_kept_only_with_its_own_documents():
    # min_n=2: "correct orientation" is in A, B, C but A and B's occurrences belong to the longer
    # formula, so only C is free → fewer than 2 documents → dropped
    table = formulas(corpus(A, B, C), min_n=2)
    assert "correct orientation" not in set(table.formula)
    # with D it occurs free in C and D → kept, counting only those two occurrences
    table = formulas(corpus(A, B, C, D), min_n=2)
    row = table.set_index("formula").loc["correct orientation"]
    assert (row.n_docs, row.doc_ids, row.freq) == (2, "C; D", 2)


def test_tolerance_rule():
    # "correct orientation" is in A2, B2, C (also free in A2 and B2); the longer formula in A2, B2:
    # its document set misses exactly one of the shorter one's documents
    a2 = doc("A", "we must persist in the correct orientation .", "the correct orientation is key .")
    b2 = doc("B", "they persist in the correct orientation today .", "the correct orientation today .")
    t = corpus(a2, b2, doc("C", "the correct orientation ."))
    kept = formulas(t, min_n=2, tolerance=0)
    dropped = formulas(t, min_n=2, tolerance=1)
    row = kept.set_index("formula").loc["correct orientation"]
    assert (row.doc_ids, row.freq) == ("A; B; C", 3)  # the free occurrences only
    assert "correct orientation" not in set(dropped.formula)
    assert "persist in the correct orientation" in set(dropped.formula)


def test_no_function_word_edges_and_no_punctuation_inside():
    table = formulas(corpus(A, B, C, D), min_n=2, max_n=8)
    for f in table.formula:
        words = f.split()
        assert UPOS.get(words[0], "NOUN") not in ("ADP", "DET", "CCONJ", "PRON", "AUX")
        assert "." not in words
    # "orientation . two" would span a sentence end and punctuation
    assert not any("orientation two" in f for f in table.formula)


def test_non_overlapping_occurrences():
    E = doc("E", "network security informatization construction .")
    F = doc("F", "network security informatization .")
    G = doc("G", "security informatization construction .")
    H = doc("H", "security informatization construction .")
    I = doc("I", "network security informatization .")  # noqa: E741
    t = corpus(E, F, G, H, I)
    table = formulas(t)
    rows = table.set_index("formula")
    # both 3-grams are in 3 documents; the alphabetically first claims E's words
    assert rows.loc["network security informatization"].doc_ids == "E; F; I"
    assert rows.loc["security informatization construction"].doc_ids == "G; H"
    occ = formula_occurrences(t, table)
    claimed = set()
    for r in occ.itertuples():
        words = {(r.doc_id, r.sent, i) for i in range(r.start, r.end + 1)}
        assert not words & claimed
        claimed |= words
    assert len(occ) == 5


def test_chinese_words_joined_without_spaces():
    z1 = doc("z1", "加强 网络 安全 和 信息化 。", lang="zh")
    z2 = doc("z2", "网络 安全 和 信息化 是 重要 。", lang="zh")
    z3 = doc("z3", "网络 安全 ， 和 信息化 。", lang="zh")
    table = formulas(corpus(z1, z2, z3), lang="zh")
    assert list(table.formula) == ["网络安全和信息化"]
    assert table.iloc[0].doc_ids == "z1; z2" and table.iloc[0].lang == "zh"


def test_kwic_lines_and_by_document():
    t = corpus(A, B, C)
    table = formulas(t)
    lines = formula_kwic(t, table, window=2)
    first = lines.iloc[0]
    assert (first.formula, first.doc_id, first.left, first.match, first.right) == \
        ("persist in the correct orientation", "A", "we must", "persist in the correct orientation", ".")
    assert len(lines) == 4
    assert list(lines.columns[:8]) == ["formula", "doc_id", "par", "sent", "position", "left", "match", "right"]
    by_doc = formulas_by_document(formula_occurrences(t, table))
    assert list(by_doc.itertuples(index=False, name=None)) == [
        ("persist in the correct orientation", "A", 1), ("two wings of one bird", "A", 1),
        ("persist in the correct orientation", "B", 1), ("two wings of one bird", "B", 1)]


def test_formula_kwic_lines_come_from_the_shared_concordance():
    # the same builder as analysis.kwic: the same left/match/right for the same words
    t = corpus(A, B, C)
    table = formulas(t)
    for window in (2, (1, 3), 8):
        lines = formula_kwic(t, table, window=window)
        for formula in table.formula:
            mine = lines[lines.formula == formula].drop(columns="formula").reset_index(drop=True)
            ref = analysis.kwic(t, formula, window=window, within="sentence").to_frame()
            pd.testing.assert_frame_equal(mine, ref, check_dtype=False, check_categorical=False)
    zh = corpus(doc("z1", "加强 网络 安全 和 信息化 。", lang="zh"), doc("z2", "网络 安全 和 信息化 是 重要 。", lang="zh"))
    line = formula_kwic(zh, formulas(zh), window=1).iloc[0]
    assert (line.left, line.match, line.right) == ("加强", "网络安全和信息化", "。")


def test_lang_is_one_language_read_through_the_registry():
    z1 = doc("z1", "加强 网络 安全 和 信息化 。", lang="zh")
    z2 = doc("z2", "网络 安全 和 信息化 是 重要 。", lang="zh-hans")  # an alias of zh
    t = corpus(A, B, z1, z2)
    zh = formulas(t, lang="zh")
    assert list(zh.formula) == ["网络安全和信息化"] and list(zh.lang) == ["zh"]
    assert list(formulas(t, lang="zh-Hans").formula) == ["网络安全和信息化"]
    assert set(formulas(t).lang) == {"en", "zh"}  # every language, each on its own
    assert list(formula_kwic(t, zh).match) == ["网络安全和信息化"] * 2
    # filters restrict the rows searched
    assert formulas(t, lang="en", doc_id=["A", "C"]).empty


def test_bad_arguments():
    with pytest.raises(ParameterError):
        formulas(corpus(A, B), min_n=4, max_n=3)
    with pytest.raises(ParameterError):
        formulas(corpus(A, B), min_docs=0)
    with pytest.raises(ParameterError):
        formulas(corpus(A, B), min_n=2.5)
    with pytest.raises(ParameterError):
        formulas(corpus(A, B), tolerance=-1)
    with pytest.raises(EmptySelectionError, match="en"):  # lists the languages there are
        formulas(corpus(A, B), lang="fr")
    with pytest.raises(EmptySelectionError):
        formulas(corpus(A, B).iloc[:0])
    with pytest.raises(EmptySelectionError):
        formulas(corpus(A, B), doc_id="Z")
    with pytest.raises(QueryError):
        formula_occurrences(corpus(A, B), pd.DataFrame({"formula": ["x"]}))
    with pytest.raises(ParameterError):
        formula_kwic(corpus(A, B), formulas(corpus(A, B)), window=-1)


def test_plot_formulas_across_documents():
    import matplotlib.pyplot as plt

    from analysis.plots.rhetoric import plot_formulas_across_documents

    t = corpus(A, B, C)
    by_doc = formulas_by_document(formula_occurrences(t, formulas(t)))
    fig = plot_formulas_across_documents(by_doc, documents=["A", "B", "C"])
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["A", "B", "C"]
    assert len(ax.collections[0].get_offsets()) == 4
    plt.close(fig)


def test_cli_formulas(monkeypatch, capsys):
    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: corpus(A, B, C))
    assert main(["formulas", "--min-docs", "2", "--lang", "en", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "persist in the correct orientation,persist in the correct orientation,5,2,A; B,2" in out
    assert main(["formulas", "--kwic", "--window", "2"]) == 0
    assert "we must" in capsys.readouterr().out
    assert main(["formulas", "--kwic", "--window", "0,1", "--format", "csv"]) == 0
    lines = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out), keep_default_na=False)
    assert set(lines.left) == {""} and len(lines) == 4
    assert main(["formulas", "--top", "1", "--format", "csv"]) == 0
    assert len(pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))) == 1
    assert main(["formulas", "--where", "doc_id=A,C", "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip() == ",".join(["lang", "formula", "words", "n", "n_docs", "doc_ids",
                                                        "freq", "first_doc", "first_sent", "example"])
    assert main(["formulas", "--lang", "fr"]) == 2


@pytest.mark.parametrize("option,value", [("--min-docs", "0"), ("--min-n", "x"), ("--max-n", "-2"),
                                          ("--min-content", "-1"), ("--tolerance", "1.5"), ("--window", "a"),
                                          ("--top", "0")])
def test_cli_formulas_numeric_options_are_validated(option, value, monkeypatch, capsys):
    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: corpus(A, B, C))
    with pytest.raises(SystemExit) as exc:
        main(["formulas", option, value])
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_ascii_punctuation_mis_tagged_still_breaks():
    # the compact zh model tags an ASCII comma in Chinese text PART
    z1 = doc("z1", "加强 网络 安全 , 信息化 。", lang="zh")
    z2 = doc("z2", "加强 网络 安全 , 信息化 。", lang="zh")
    t = corpus(z1, z2)
    t.loc[t.form == ",", "upos"] = "PART"
    assert list(formulas(t, lang="zh").formula) == ["加强网络安全"]


def test_formula_does_not_end_in_a_modifier_of_a_later_word():
    # "persist in the correct" (correct = amod of a following noun) must not claim the words of
    # "correct orientation"
    def parsed(doc_id, text_rows):
        return tokens_from_conllu("\n".join("\t".join(r.split() + ["_", "_"]) for r in text_rows) + "\n",
                                  doc_id=doc_id, lang="en", voice="official")
    s1 = ["1 persist persist VERB _ _ 0 root", "2 in in ADP _ _ 5 case", "3 the the DET _ _ 5 det",
          "4 correct correct ADJ _ _ 5 amod", "5 orientation orientation NOUN _ _ 1 obl"]
    s2 = ["1 persist persist VERB _ _ 0 root", "2 in in ADP _ _ 5 case", "3 the the DET _ _ 5 det",
          "4 correct correct ADJ _ _ 5 amod", "5 line line NOUN _ _ 1 obl"]
    s3 = ["1 grasp grasp VERB _ _ 0 root", "2 the the DET _ _ 4 det",
          "3 correct correct ADJ _ _ 4 amod", "4 orientation orientation NOUN _ _ 1 obj"]
    t = corpus(parsed("A", s1), parsed("B", s2), parsed("C", s3))
    table = formulas(t, min_n=2)
    assert list(table.formula) == ["correct orientation"]
    assert table.iloc[0].doc_ids == "A; C"


def test_seed_formulas(seed_tokens):
    # read in the seed: Xi's "two wings of one bird and two wheels of one cart" is quoted in three
    # posts; the leading group's name recurs in four
    table = formulas(seed_tokens, lang="en").set_index("formula")
    assert table.loc["two wheels of one cart"].n_docs >= 3
    assert table.loc["central leading group for cybersecurity and informatization"].n_docs >= 3
    assert "correct orientation" in set(formulas(seed_tokens, lang="en", min_n=2).formula)
    zh = formulas(seed_tokens, lang="zh")
    assert "中国特色社会主义" in set(zh.formula)
