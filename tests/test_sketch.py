"""Word sketches from hand-built UD parses (English and Chinese)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import analysis
from analysis.cli import _common as cli_common
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.sketch import WordSketch, dependency_pairs, sketch_hits, word_sketch
from analysis.tokens import tokens_from_conllu


def conllu(rows: str) -> str:
    """Rows as 'id form lemma upos head deprel' separated by spaces; blank line between sentences."""
    out = []
    for line in rows.strip("\n").splitlines():
        if not line.strip():
            out.append("")
            continue
        i, form, lemma, upos, head, deprel = line.split()
        out.append("\t".join([i, form, lemma, upos, "_", "_", head, deprel, "_", "_"]))
    return "\n".join(out) + "\n"


EN = conllu("""
1 We we PRON 3 nsubj
2 must must AUX 3 aux
3 safeguard safeguard VERB 0 root
4 national national ADJ 5 amod
5 security security NOUN 3 obj
6 and and CCONJ 7 cc
7 development development NOUN 5 conj
8 . . PUNCT 3 punct

1 Information information NOUN 2 compound
2 security security NOUN 4 nsubj:pass
3 is be AUX 4 aux:pass
4 guaranteed guarantee VERB 0 root
5 by by ADP 7 case
6 the the DET 7 det
7 state state NOUN 4 obl
8 . . PUNCT 4 punct

1 Threats threat NOUN 8 nsubj
2 to to ADP 4 case
3 the the DET 4 det
4 security security NOUN 1 nmod
5 of of ADP 7 case
6 the the DET 7 det
7 nation nation NOUN 4 nmod
8 grow grow VERB 0 root
9 . . PUNCT 8 punct

1 We we PRON 2 nsubj
2 protect protect VERB 0 root
3 national national ADJ 4 amod
4 Security security NOUN 2 obj
5 and and CCONJ 8 cc
6 national national ADJ 8 amod
7 core core ADJ 8 amod
8 interests interest NOUN 4 conj
9 and and CCONJ 11 cc
10 ideological ideological ADJ 11 amod
11 security security NOUN 4 conj
""")

# 我们 在 网络 上 维护 国家 安全 。 / 网络 安全 和 发展
ZH = conllu("""
1 我们 我们 PRON 5 nsubj
2 在 在 ADP 3 case
3 网络 网络 NOUN 5 obl
4 上 上 ADP 3 case
5 维护 维护 VERB 0 root
6 国家 国家 NOUN 7 nmod
7 安全 安全 NOUN 5 obj
8 。 。 PUNCT 5 punct

1 保障 保障 VERB 0 root
2 网络 网络 NOUN 3 nmod
3 安全 安全 NOUN 1 obj
4 和 和 CCONJ 5 cc
5 发展 发展 NOUN 3 conj
""")


@pytest.fixture()
def en() -> pd.DataFrame:
    return tokens_from_conllu(EN, doc_id="en1", lang="en", voice="official")


@pytest.fixture()
def zh() -> pd.DataFrame:
    return tokens_from_conllu(ZH, doc_id="zh1", lang="zh", voice="original")


def cell(sketch: pd.DataFrame, relation: str, collocate: str) -> pd.Series:
    rows = sketch[(sketch.relation == relation) & (sketch.collocate == collocate)]
    assert len(rows) == 1, f"no single {relation}/{collocate} row in\n{sketch}"
    return rows.iloc[0]


def test_english_relations(en):
    s = word_sketch(en, "security", min_freq=1)
    assert isinstance(s, WordSketch)
    got = {(r, c): f for r, c, f in zip(s.relation, s.collocate, s.freq)}
    assert got == {
        ("modifier (amod)", "national"): 2,
        ("modifier (amod)", "ideological"): 1,
        ("object of", "safeguard"): 1,
        ("object of", "protect"): 1,
        ("compound", "information"): 1,
        ("subject of (passive)", "guarantee"): 1,
        ("coordinated (conj)", "development"): 1,
        ("coordinated (conj)", "interest"): 1,
        ("coordinated (conj)", "security"): 2,  # "Security ... and ideological security", both ways
        ("pp_of", "nation"): 1,
        ("pp_obj_to", "threat"): 1,
    }
    # relation order: fixed relations first in RELATIONS order
    assert list(dict.fromkeys(s.relation))[:3] == ["modifier (amod)", "compound", "object of"]


def test_log_dice_uses_relation_frequencies(en):
    s = word_sketch(en, "security", min_freq=1)
    # f(security, amod, *) = 3 (national x2, ideological); f(*, amod, national) = 3
    # (national security x2, national interests); f(*, amod, ideological) = 1
    nat = cell(s, "modifier (amod)", "national")
    assert (nat.freq_node_relation, nat.freq_collocate_relation) == (3, 3)
    assert nat.log_dice == pytest.approx(14 + math.log2(2 * 2 / (3 + 3)))
    ideo = cell(s, "modifier (amod)", "ideological")
    assert ideo.log_dice == pytest.approx(14 + math.log2(2 * 1 / (3 + 1)))  # = 13
    assert ideo.log_dice == pytest.approx(13.0)
    # within a relation, rows are ordered by logDice
    amod = s[s.relation == "modifier (amod)"]
    assert list(amod.collocate) == ["national", "ideological"]
    # the converse view from the adjective
    adj = word_sketch(en, "national", min_freq=1)
    assert cell(adj, "modifies (amod of)", "security").freq == 2
    assert cell(adj, "modifies (amod of)", "interest").freq == 1


def test_chinese_relations(zh):
    s = word_sketch(zh, "安全", min_freq=1)
    got = {(r, c): f for r, c, f in zip(s.relation, s.collocate, s.freq)}
    assert got == {("nmod", "国家"): 1, ("nmod", "网络"): 1, ("object of", "维护"): 1,
                   ("object of", "保障"): 1, ("coordinated (conj)", "发展"): 1}
    # two case markers (在 ... 上) make one prepositional relation, in word order: pp_在_上
    v = word_sketch(zh, "维护", min_freq=1)
    assert cell(v, "pp_在_上", "网络").freq == 1
    assert cell(v, "object", "安全").freq == 1
    hits = sketch_hits(zh, "维护", "pp_在_上", "网络")
    assert hits.loc[0, "left"] == "我们在" and hits.loc[0, "match"] == "网络上维护"


def test_hits_link_back_to_kwic(en):
    s = word_sketch(en, "security", min_freq=1)
    nat = cell(s, "modifier (amod)", "national")
    assert sorted(nat.hits) == [("en1", 1, 5, 4), ("en1", 4, 4, 3)]
    kwic = sketch_hits(en, "security", "modifier (amod)", "national")
    assert list(kwic.match) == ["national security", "national Security"]
    assert list(kwic.left) == ["We must safeguard", "We protect"]
    assert kwic.loc[0, "right"].startswith("and development")
    assert list(zip(kwic.doc_id, kwic.sent, kwic.node_idx, kwic.collocate_idx)) == sorted(nat.hits)
    pp = sketch_hits(en, "security", "pp_obj_to", "threat", window=2)
    assert pp.loc[0, "match"] == "Threats to the security" and pp.loc[0, "right"] == "of the"
    with pytest.raises(EmptySelectionError, match="its relations are"):
        sketch_hits(en, "security", "object of", "cabbage")
    with pytest.raises(ParameterError):
        sketch_hits(en, "security", "modifier (amod)", "national", window=-1)


def test_sketch_hits_lines_come_from_the_shared_concordance(en, zh):
    # the same builder as analysis.kwic: same left/match/right for the same words
    for window in (8, 2, (1, 0)):
        mine = sketch_hits(en, "security", "modifier (amod)", "national", window=window)
        ref = analysis.kwic(en, "national security", window=window, within="sentence")
        cols = ["doc_id", "par", "sent", "position", "left", "match", "right"]
        pd.testing.assert_frame_equal(mine[cols], ref.to_frame()[cols], check_dtype=False, check_categorical=False)
    assert list(mine.columns[:5]) == ["doc_id", "par", "sent", "node_idx", "collocate_idx"]
    assert {"lang", "voice"} <= set(mine.columns)
    z = sketch_hits(zh, "安全", "nmod", "网络", window=1)
    ref = analysis.kwic(zh, "网络 安全", window=1, within="sentence")
    assert list(zip(z.left, z.match, z.right)) == list(zip(ref.left, ref.match, ref.right)) == [("保障", "网络安全", "和")]


def test_min_freq_and_views(en):
    s = word_sketch(en, "security", min_freq=2, top=5)
    assert set(zip(s.relation, s.collocate)) == {("modifier (amod)", "national"), ("coordinated (conj)", "security")}
    html = s._repr_html_()
    assert "modifier (amod)" in html and "national" in html and "<table" in html
    grid = s.grid()
    assert list(grid.columns) == ["modifier (amod)", "coordinated (conj)"]
    assert grid.iloc[0, 0].startswith("national 2")
    text = s.to_text()
    assert text.splitlines()[2].startswith("modifier (amod)") and "national" in text


def test_word_sketch_keeps_its_class_when_sliced(en):
    s = word_sketch(en, "security", top=3, min_freq=1)
    for part in (s[s.freq > 1], s.head(2), s.iloc[1:], s.sort_values("freq"), s.loc[s.relation == "compound"]):
        assert type(part) is WordSketch
        assert (part.node, part.top) == ("security", 3)
    sub = s[s.relation == "modifier (amod)"]
    assert sub.relations() == ["modifier (amod)"] and "national" in sub.to_text()
    assert "<table" in sub._repr_html_()
    plain = s.to_frame()
    assert type(plain) is pd.DataFrame and plain.equals(pd.DataFrame(s))
    assert type(s["relation"]) is pd.Series
    assert "<table" in s[["collocate", "freq"]]._repr_html_()  # no relation column: a plain table view
    everything = word_sketch(en, "security", top=None, min_freq=1)
    assert len(everything.grid()) == 3  # all collocates of the fullest relation (coordinated: 3)


def test_case_sensitivity_and_errors(en):
    assert cell(word_sketch(en, "Security", min_freq=1), "modifier (amod)", "national").freq == 2
    # case_sensitive: lemmas as they are ("Security" is lemmatised "security", "Information" "information")
    assert cell(word_sketch(en, "security", case_sensitive=True, min_freq=1), "modifier (amod)", "national").freq == 2
    with pytest.raises(EmptySelectionError, match="does not occur"):
        word_sketch(en, "Security", case_sensitive=True, min_freq=1)
    pairs = dependency_pairs(en.assign(lemma=en.lemma.astype(str).str.replace("information", "Information")),
                             case_sensitive=True)
    assert "Information" in set(pairs.collocate) and "information" not in set(pairs.collocate)
    with pytest.raises(EmptySelectionError, match="does not occur"):
        word_sketch(en, "cabbage", min_freq=1)
    with pytest.raises(ParameterError):
        word_sketch(en, "", min_freq=1)
    with pytest.raises(ParameterError):
        word_sketch(en, "security", top=0, min_freq=1)
    with pytest.raises(ParameterError):
        word_sketch(en, "security", min_freq=-1)
    with pytest.raises(QueryError):  # not a parsed table
        word_sketch(en.drop(columns="deprel"), "security")
    # a lemma that occurs but has no relations gives an empty sketch, not an error
    assert len(word_sketch(en, "the", min_freq=1)) == 0


def test_pairs_cover_both_directions(en):
    pairs = dependency_pairs(en)
    a = pairs[(pairs.relation == "object") & (pairs.node == "safeguard")]
    b = pairs[(pairs.relation == "object of") & (pairs.node == "security") & (pairs.collocate == "safeguard")]
    assert len(a) == len(b) == 1
    assert (a.iloc[0].node_row, a.iloc[0].collocate_row) == (b.iloc[0].collocate_row, b.iloc[0].node_row)


def test_cli_sketch(en, monkeypatch, capsys):
    import json

    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: en)
    assert main(["sketch", "security"]) == 0
    text = capsys.readouterr().out
    assert "modifier (amod)" in text and "national" in text
    assert main(["sketch", "security", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    nat = [r for r in rows if r["relation"] == "modifier (amod)" and r["collocate"] == "national"][0]
    assert nat["freq"] == 2 and nat["hits"] == "en1:1:5:4;en1:4:4:3"
    assert main(["sketch", "security", "--hits", "modifier (amod)", "national", "--format", "csv"]) == 0
    assert "national security" in capsys.readouterr().out
    assert main(["sketch", "cabbage"]) == 2


def test_mistagged_punctuation_is_not_a_collocate():
    toks = tokens_from_conllu(conllu("""
1 网络 网络 NOUN 3 nmod
2 , , PART 3 nmod
3 安全 安全 NOUN 0 root
"""), lang="zh")
    s = word_sketch(toks, "安全", min_freq=1)
    assert list(s.collocate) == ["网络"]


def test_symbols_are_not_collocates_whatever_their_form():
    # analysis.is_word: a SYM is never a word, even with a letter form
    toks = tokens_from_conllu(conllu("""
1 网络 网络 NOUN 3 nmod
2 X X SYM 3 nmod
3 安全 安全 NOUN 0 root
"""), lang="zh")
    assert list(word_sketch(toks, "安全", min_freq=1).collocate) == ["网络"]


def test_plot_word_sketch(en):
    import matplotlib.pyplot as plt

    from analysis.plots.sketch import plot_word_sketch

    s = word_sketch(en, "security", min_freq=1)
    fig = plot_word_sketch(s, relations=["modifier (amod)", "object of"], top=1, ncols=2)
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title(loc="left") for ax in panels] == ["modifier (amod)", "object of"]
    assert len(panels[0].patches) == 1 and panels[0].patches[0].get_width() == pytest.approx(
        cell(s, "modifier (amod)", "national").log_dice)
    plt.close(fig)
    with pytest.raises(ParameterError):
        plot_word_sketch(s, top=0)
    with pytest.raises(EmptySelectionError):
        plot_word_sketch(s, relations=["no such relation"])


def test_sketch_from_the_node_instances_equals_the_sketch_from_all_pairs(en, zh):
    """word_sketch reads only the node's instances and its collocates' counts; every number equals the
    count over the whole dependency_pairs table (freq, f(X,R,*), f(*,R,Y), logDice, hits)."""
    from analysis.tokens import concat_tokens

    table = concat_tokens([en, zh])
    pairs = dependency_pairs(table)
    for node in sorted(set(pairs["node"])):
        sketch = word_sketch(table, node, top=None, min_freq=1)
        mine = pairs[pairs["node"] == node]
        expected = mine.groupby(["relation", "collocate"]).size()
        assert dict(zip(zip(sketch["relation"], sketch["collocate"]), sketch["freq"])) == expected.to_dict()
        per_relation = mine.groupby("relation").size()
        everywhere = pairs.groupby(["relation", "collocate"]).size()
        for row in sketch.itertuples():
            assert row.freq_node_relation == per_relation[row.relation]
            assert row.freq_collocate_relation == everywhere[(row.relation, row.collocate)]
            assert row.log_dice == pytest.approx(14.0 + math.log2(2.0 * row.freq / (row.freq_node_relation
                                                                                    + row.freq_collocate_relation)))
        hits = mine.sort_index()
        assert sum(len(h) for h in sketch["hits"]) == len(hits)


def test_default_minimum_frequency_leaves_one_off_pairs_out(en):
    from analysis.sketch import SKETCH_MIN_FREQ

    assert SKETCH_MIN_FREQ == 2
    every = word_sketch(en, "security", min_freq=1)
    default = word_sketch(en, "security")
    # by hand from the fixture: "national" modifies security twice, and two securities are coordinated
    # (each is the other's conjunct); every other pair occurs once
    assert sorted(zip(default.relation, default.collocate, default.freq)) == [
        ("coordinated (conj)", "security", 2), ("modifier (amod)", "national", 2)]
    assert len(every) > len(default) and (every.freq == 1).sum() == len(every) - 2
