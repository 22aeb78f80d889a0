"""Tests of analysis.rhetoric: every feature on hand-built UD parses (positive and negative, en and
zh), the profile arithmetic (any grouping column, is_word denominators), G² against scipy, the
audit lines (the shared concordance builder), and a few verified seed sentences."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis
from analysis.cli import _common as cli_common
from analysis import rhetoric
from analysis.errors import EmptySelectionError, ParameterError, QueryError
from analysis.languages import joiner
from analysis.tokens import tokens_from_conllu


def conllu(block: str) -> str:
    """Compact rows 'ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL' (whitespace-separated) → CoNLL-U."""
    out = []
    for line in block.strip().splitlines():
        line = line.strip()
        if not line:
            out.append("")
            continue
        if line.startswith("#"):
            out.append(line)
            continue
        cols = line.split()
        assert len(cols) == 8, line
        out.append("\t".join(cols + ["_", "_"]))
    return "\n".join(out) + "\n"


def toks(block: str, doc_id="d1", lang="en", voice="official", **meta) -> pd.DataFrame:
    """A hand-built Tokens table; ``voice=None`` builds one without a voice column."""
    t = tokens_from_conllu(conllu(block), doc_id=doc_id, lang=lang, voice=voice or "", **meta)
    return t if voice is not None else t.drop(columns="voice")


# --- English sentences (UD English-EWT conventions) ----------------------------------------------

EN_MUST = """
1 We we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 3 nsubj
2 must must AUX MD VerbForm=Fin 3 aux
3 strengthen strengthen VERB VB VerbForm=Inf 0 root
4 Internet Internet PROPN NNP Number=Sing 5 compound
5 thinking thinking NOUN NN Number=Sing 3 obj
6 and and CCONJ CC _ 7 cc
7 persist persist VERB VB VerbForm=Inf 3 conj
8 in in ADP IN _ 11 case
9 the the DET DT Definite=Def|PronType=Art 11 det
10 correct correct ADJ JJ Degree=Pos 11 amod
11 orientation orientation NOUN NN Number=Sing 7 obl
12 . . PUNCT . _ 3 punct
"""

EN_AGENT_PASSIVE = """
1 They they PRON PRP Case=Nom|Number=Plur|Person=3|PronType=Prs 5 nsubj:pass
2 should should AUX MD VerbForm=Fin 5 aux
3 not not PART RB _ 5 advmod
4 be be AUX VB VerbForm=Inf 5 aux:pass
5 blamed blame VERB VBN Tense=Past|VerbForm=Part|Voice=Pass 0 root
6 by by ADP IN _ 8 case
7 the the DET DT Definite=Def|PronType=Art 8 det
8 press press NOUN NN Number=Sing 5 obl:agent
9 . . PUNCT . _ 5 punct
"""

EN_AGENTLESS = """
1 Cybersecurity cybersecurity NOUN NN Number=Sing 7 nsubj:pass
2 and and CCONJ CC _ 4 cc
3 informatization informatization NOUN NN Number=Sing 4 compound
4 construction construction NOUN NN Number=Sing 1 conj
5 have have AUX VBP Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin 7 aux
6 been be AUX VBN Tense=Past|VerbForm=Part 7 aux:pass
7 elevated elevate VERB VBN Tense=Past|VerbForm=Part|Voice=Pass 0 root
8 to to ADP IN _ 11 case
9 a a DET DT Definite=Ind|PronType=Art 11 det
10 national national ADJ JJ Degree=Pos 11 amod
11 strategy strategy NOUN NN Number=Sing 7 obl
12 . . PUNCT . _ 7 punct
"""

EN_IMPERATIVE = """
1 Strengthen strengthen VERB VB Mood=Imp|VerbForm=Fin 0 root
2 international international ADJ JJ Degree=Pos 3 amod
3 cooperation cooperation NOUN NN Number=Sing 1 obj
4 . . PUNCT . _ 1 punct
"""

EN_PAST = """
1 The the DET DT Definite=Def|PronType=Art 2 det
2 ministry ministry NOUN NN Number=Sing 3 nsubj
3 strengthened strengthen VERB VBD Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin 0 root
4 cooperation cooperation NOUN NN Number=Sing 3 obj
5 . . PUNCT . _ 3 punct
"""

EN_HAVE_TO = """
1 We we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 2 nsubj
2 have have VERB VBP Mood=Ind|Number=Plur|Person=1|Tense=Pres|VerbForm=Fin 0 root
3 to to PART TO _ 4 mark
4 guarantee guarantee VERB VB VerbForm=Inf 2 xcomp
5 security security NOUN NN Number=Sing 4 obj
6 . . PUNCT . _ 2 punct
"""

EN_HAVE = """
1 We we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 2 nsubj
2 have have VERB VBP Mood=Ind|Number=Plur|Person=1|Tense=Pres|VerbForm=Fin 0 root
3 security security NOUN NN Number=Sing 2 obj
4 . . PUNCT . _ 2 punct
"""

EN_WE_OBJECT = """
1 They they PRON PRP Case=Nom|Number=Plur|Person=3|PronType=Prs 2 nsubj
2 told tell VERB VBD Mood=Ind|Tense=Past|VerbForm=Fin 0 root
3 us we PRON PRP Case=Acc|Number=Plur|Person=1|PronType=Prs 2 obj
4 . . PUNCT . _ 2 punct
"""

EN_SERIES = """
1 they they PRON PRP Case=Nom|Number=Plur|Person=3|PronType=Prs 5 nsubj:pass
2 must must AUX MD VerbForm=Fin 5 aux
3 be be AUX VB VerbForm=Inf 5 aux:pass
4 uniformly uniformly ADV RB _ 5 advmod
5 planned plan VERB VBN Tense=Past|VerbForm=Part|Voice=Pass 0 root
6 , , PUNCT , _ 8 punct
7 uniformly uniformly ADV RB _ 8 advmod
8 deployed deploy VERB VBN Tense=Past|VerbForm=Part|Voice=Pass 5 conj
9 , , PUNCT , _ 11 punct
10 uniformly uniformly ADV RB _ 11 advmod
11 moved move VERB VBN Tense=Past|VerbForm=Part|Voice=Pass 5 conj
12 forward forward ADV RB _ 11 advmod
13 and and CCONJ CC _ 15 cc
14 uniformly uniformly ADV RB _ 15 advmod
15 implemented implement VERB VBN Tense=Past|VerbForm=Part|Voice=Pass 5 conj
16 . . PUNCT . _ 5 punct
"""

EN_NO_SERIES = """
1 We we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 2 nsubj
2 plan plan VERB VBP Mood=Ind|Tense=Pres|VerbForm=Fin 0 root
3 , , PUNCT , _ 4 punct
4 deploy deploy VERB VBP Mood=Ind|Tense=Pres|VerbForm=Fin 2 conj
5 and and CCONJ CC _ 7 cc
6 quickly quickly ADV RB _ 7 advmod
7 implement implement VERB VBP Mood=Ind|Tense=Pres|VerbForm=Fin 2 conj
8 . . PUNCT . _ 2 punct
"""

EN_PERSIST_SERIES = """
1 Persist persist VERB VB Mood=Imp|VerbForm=Fin 0 root
2 in in ADP IN _ 3 case
3 planning planning NOUN NN Number=Sing 1 obl
4 , , PUNCT , _ 5 punct
5 persist persist VERB VB Mood=Imp|VerbForm=Fin 1 conj
6 in in ADP IN _ 7 case
7 innovation innovation NOUN NN Number=Sing 5 obl
8 and and CCONJ CC _ 9 cc
9 persist persist VERB VB Mood=Imp|VerbForm=Fin 1 conj
10 in in ADP IN _ 11 case
11 integration integration NOUN NN Number=Sing 9 obl
12 . . PUNCT . _ 1 punct
"""

EN_DEPTH = """
1 He he PRON PRP Case=Nom|Gender=Masc|Number=Sing|Person=3|PronType=Prs 2 nsubj
2 said say VERB VBD Mood=Ind|Tense=Past|VerbForm=Fin 0 root
3 that that SCONJ IN _ 6 mark
4 we we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 6 nsubj
5 must must AUX MD VerbForm=Fin 6 aux
6 ensure ensure VERB VB VerbForm=Inf 2 ccomp
7 that that SCONJ IN _ 9 mark
8 it it PRON PRP Case=Nom|Gender=Neut|Number=Sing|Person=3|PronType=Prs 9 nsubj
9 works work VERB VBZ Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin 6 ccomp
10 . . PUNCT . _ 2 punct
"""

EN_ENUM_ROMAN_I = """
1 I I PRON PRP Case=Nom|Number=Sing|Person=1|PronType=Prs 5 vocative
2 , , PUNCT , _ 1 punct
3 We we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 5 nsubj
4 must must AUX MD VerbForm=Fin 5 aux
5 act act VERB VB VerbForm=Inf 0 root
6 . . PUNCT . _ 5 punct
"""

EN_PRONOUN_I = """
1 I I PRON PRP Case=Nom|Number=Sing|Person=1|PronType=Prs 6 nsubj
2 , , PUNCT , _ 4 punct
3 for for ADP IN _ 4 case
4 one one NUM CD NumType=Card 6 obl
5 , , PUNCT , _ 4 punct
6 agree agree VERB VBP Mood=Ind|Tense=Pres|VerbForm=Fin 0 root
7 . . PUNCT . _ 6 punct
"""

EN_ENUM_ARABIC = """
1 1. 1. NUM CD NumType=Card 3 nummod
2 Big big ADJ JJ Degree=Pos 3 amod
3 data data NOUN NN Number=Sing 5 nsubj
4 will will AUX MD VerbForm=Fin 5 aux
5 change change VERB VB VerbForm=Inf 0 root
6 methods method NOUN NNS Number=Plur 5 obj
7 . . PUNCT . _ 5 punct
"""

EN_ENUM_ROMAN_II = """
1 II II NUM CD NumForm=Roman|NumType=Card 4 nummod
2 , , PUNCT , _ 1 punct
3 New new ADJ JJ Degree=Pos 4 amod
4 explorations exploration NOUN NNS Number=Plur 0 root
5 . . PUNCT . _ 4 punct
"""

EN_ENUM_FIRST = """
1 First first ADV RB _ 4 advmod
2 , , PUNCT , _ 1 punct
3 we we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 4 nsubj
4 act act VERB VBP Mood=Ind|Tense=Pres|VerbForm=Fin 0 root
5 . . PUNCT . _ 4 punct
"""

EN_NUMBER_NOT_ENUM = """
1 5 5 NUM CD NumType=Card 2 nummod
2 people people NOUN NNS Number=Plur 3 nsubj
3 came come VERB VBD Mood=Ind|Tense=Past|VerbForm=Fin 0 root
4 . . PUNCT . _ 3 punct
"""

# --- Chinese sentences (UD Chinese-GSD conventions: 我们 → lemma 我, 被 AUX aux:pass) ---------------

ZH_WE_YAO = """
1 我们 我 PRON PRP Number=Plur|Person=1 4 nsubj
2 要 要 AUX MD _ 4 aux
3 深刻 深刻 ADJ JJ _ 4 advmod
4 领会 领会 VERB VV _ 0 root
5 总书记 总书记 NOUN NN _ 9 nmod
6 的 的 PART DEC Case=Gen 5 case
7 重要 重要 ADJ JJ _ 8 amod
8 讲话 讲话 NOUN NN _ 9 compound
9 精神 精神 NOUN NN _ 4 obj
10 。 。 PUNCT . _ 4 punct
"""

ZH_SERIES = """
1 必须 必须 AUX MD _ 4 aux
2 要 要 AUX MD _ 4 aux
3 统一 统一 ADV RB _ 4 advmod
4 谋划 谋划 VERB VV _ 0 root
5 、 、 PUNCT , _ 7 punct
6 统一 统一 ADV RB _ 7 advmod
7 部署 部署 VERB VV _ 4 conj
8 、 、 PUNCT , _ 10 punct
9 统一 统一 ADV RB _ 10 advmod
10 推进 推进 VERB VV _ 4 conj
11 、 、 PUNCT , _ 13 punct
12 统一 统一 ADV RB _ 13 advmod
13 实施 实施 VERB VV _ 4 conj
14 。 。 PUNCT . _ 4 punct
"""

ZH_AGENTLESS = """
1 网络 网络 NOUN NN _ 2 nmod
2 安全 安全 NOUN NN _ 4 nsubj:pass
3 被 被 AUX BB Voice=Pass 4 aux:pass
4 提升 提升 VERB VV _ 0 root
5 为 为 VERB VV _ 4 mark
6 国家 国家 NOUN NN _ 7 nmod
7 战略 战略 NOUN NN _ 4 obj
8 。 。 PUNCT . _ 4 punct
"""

ZH_AGENTFUL = """
1 教堂 教堂 NOUN NN _ 5 nsubj:pass
2 被 被 AUX BB Voice=Pass 5 aux:pass
3 马来西亚 马来西亚 PROPN NNP _ 4 nmod
4 政府 政府 NOUN NN _ 5 nsubj
5 列 列 VERB VV _ 0 root
6 为 为 VERB VV _ 5 mark
7 宝藏 宝藏 NOUN NN _ 5 obj
8 。 。 PUNCT . _ 5 punct
"""

ZH_ENUM = """
1 一 一 NUM CD NumType=Card 4 nummod
2 、 、 PUNCT , _ 1 punct
3 积极 积极 ADV RB _ 4 advmod
4 应对 应对 VERB VV _ 0 root
5 网络 网络 NOUN NN _ 6 nmod
6 安全 安全 NOUN NN _ 8 nmod
7 的 的 PART DEC Case=Gen 6 case
8 威胁 威胁 NOUN NN _ 4 obj
9 。 。 PUNCT . _ 4 punct
"""

ZH_ONE_COUNTRY = """
1 一 一 NUM CD NumType=Card 2 nummod
2 个 个 NOUN NNB _ 3 clf
3 国家 国家 NOUN NN _ 5 nsubj
4 正在 正在 ADV RB _ 5 advmod
5 发展 发展 VERB VV _ 0 root
6 。 。 PUNCT . _ 5 punct
"""

ZH_NOMINAL = """
1 他们 他 PRON PRP Number=Plur|Person=3 2 nsubj
2 加强 加强 VERB VV _ 0 root
3 网络 网络 NOUN NN _ 4 nmod
4 管理 管理 NOUN NN _ 2 obj
5 和 和 CCONJ CC _ 7 cc
6 信息化 信息化 NOUN NN _ 7 nmod
7 建设 建设 NOUN NN _ 4 conj
8 ， ， PUNCT , _ 10 punct
9 依法 依法 ADV RB _ 10 advmod
10 管理 管理 VERB VV _ 2 conj
11 。 。 PUNCT . _ 2 punct
"""


def concat_tokens(tables):
    """pd.concat of hand-built tables (analysis.tokens.concat_tokens fails on all-NA offsets in
    the pinned pandas; categories become object columns, which every analysis accepts)."""
    return pd.concat([t.astype(object) for t in tables], ignore_index=True)


def hits(table, feature):
    return rhetoric.feature_hits(table, feature)


# --- obligation --------------------------------------------------------------------------------

def test_obligation_en_modal_counts_governed_predicate():
    h = hits(toks(EN_MUST), "obligation")
    assert list(h.idx) == [3]
    assert h.evidence.iloc[0] == "must strengthen"
    # the audit line: the anchor word in its whole sentence
    assert (h.left.iloc[0], h.match.iloc[0], h.right.iloc[0]) == \
        ("We must", "strengthen", "Internet thinking and persist in the correct orientation .")


def test_obligation_en_have_to_but_not_plain_have():
    assert list(hits(toks(EN_HAVE_TO), "obligation").evidence) == ["have"]
    assert hits(toks(EN_HAVE), "obligation").empty
    assert hits(toks(EN_PAST), "obligation").empty


def test_obligation_zh_two_modals_one_predicate():
    h = hits(toks(ZH_SERIES, lang="zh"), "obligation")
    assert list(h.idx) == [4]
    assert h.evidence.iloc[0] == "必须 要 谋划"
    assert list(hits(toks(ZH_WE_YAO, lang="zh"), "obligation").idx) == [4]
    assert hits(toks(ZH_AGENTLESS, lang="zh"), "obligation").empty


def test_obligation_requires_aux_not_string():
    # 要 as a main VERB ("want") is not an obligation modal
    t = toks("""
1 他 他 PRON PRP Person=3 2 nsubj
2 要 要 VERB VV _ 0 root
3 钱 钱 NOUN NN _ 2 obj
4 。 。 PUNCT . _ 2 punct
""", lang="zh")
    assert hits(t, "obligation").empty


# --- directive verbs ---------------------------------------------------------------------------

def test_directive_verbs_modal_governed_and_conj():
    h = hits(toks(EN_MUST), "directive_verbs")
    assert list(h.idx) == [3, 7]  # strengthen (must) and persist (conj of strengthen)


def test_directive_verbs_imperative_and_have_to():
    assert list(hits(toks(EN_IMPERATIVE), "directive_verbs").idx) == [1]
    assert list(hits(toks(EN_HAVE_TO), "directive_verbs").idx) == [4]


def test_directive_verbs_negative_past_tense():
    assert hits(toks(EN_PAST), "directive_verbs").empty
    assert hits(toks(ZH_NOMINAL, lang="zh"), "directive_verbs").empty  # 加强 with a subject, no modal


def test_directive_verbs_zh_subjectless_root_without_aspect():
    heading = toks("""
1 加强 加强 VERB VV _ 0 root
2 国际 国际 NOUN NN _ 3 nmod
3 合作 合作 NOUN NN _ 1 obj
4 。 。 PUNCT . _ 1 punct
""", lang="zh")
    assert list(hits(heading, "directive_verbs").idx) == [1]
    narrative = toks("""
1 加强 加强 VERB VV _ 0 root
2 了 了 AUX AS Aspect=Perf 1 aux
3 合作 合作 NOUN NN _ 1 obj
4 。 。 PUNCT . _ 1 punct
""", lang="zh")
    assert hits(narrative, "directive_verbs").empty


def test_directive_verbs_zh():
    assert list(hits(toks(ZH_SERIES, lang="zh"), "directive_verbs").idx) == [10]  # 推进


# --- first-person plural -----------------------------------------------------------------------

def test_first_person_plural_en_subject_only():
    assert list(hits(toks(EN_MUST), "first_person_plural").idx) == [1]
    assert hits(toks(EN_WE_OBJECT), "first_person_plural").empty  # "us" is an object
    assert hits(toks(EN_AGENT_PASSIVE), "first_person_plural").empty


def test_first_person_plural_zh_gsd_lemma():
    assert list(hits(toks(ZH_WE_YAO, lang="zh"), "first_person_plural").idx) == [1]
    assert hits(toks(ZH_NOMINAL, lang="zh"), "first_person_plural").empty  # 他们


# --- agentless passives ------------------------------------------------------------------------

def test_agentless_passive_en():
    h = hits(toks(EN_AGENTLESS), "agentless_passive")
    assert list(h.idx) == [7]
    assert h.evidence.iloc[0] == "Cybersecurity been elevated"
    assert hits(toks(EN_AGENT_PASSIVE), "agentless_passive").empty  # obl:agent
    assert hits(toks(EN_MUST), "agentless_passive").empty


def test_agentless_passive_en_by_phrase_without_subtype():
    t = toks(EN_AGENT_PASSIVE.replace("obl:agent", "obl"))
    assert hits(t, "agentless_passive").empty


def test_agentless_passive_zh():
    assert list(hits(toks(ZH_AGENTLESS, lang="zh"), "agentless_passive").idx) == [4]
    assert hits(toks(ZH_AGENTFUL, lang="zh"), "agentless_passive").empty  # 被 政府 列


# --- nominalisations ---------------------------------------------------------------------------

def test_nominalisations_en():
    h = hits(toks(EN_AGENTLESS), "nominalisation")
    assert list(h.evidence) == ["Cybersecurity", "informatization", "construction"]
    assert list(hits(toks(EN_MUST), "nominalisation").evidence) == ["orientation"]  # not "thinking"
    nation = toks("""
1 The the DET DT Definite=Def|PronType=Art 2 det
2 nation nation NOUN NN Number=Sing 3 nsubj
3 moves move VERB VBZ Mood=Ind|Tense=Pres|VerbForm=Fin 0 root
4 . . PUNCT . _ 3 punct
""")
    assert hits(nation, "nominalisation").empty


def test_nominalisations_zh_list_and_pos():
    h = hits(toks(ZH_NOMINAL, lang="zh"), "nominalisation")
    assert list(h.idx) == [4, 6, 7]  # 管理 NOUN, 信息化, 建设 — not 管理 VERB (idx 10)


# --- sentence length, clause depth -------------------------------------------------------------

def test_sentence_length_and_depth():
    t = toks(EN_DEPTH)
    assert list(hits(t, "sentence_length").value) == [9.0]
    assert list(hits(t, "clause_depth").value) == [2.0]
    assert list(rhetoric.tree_depth(t).value) == [3.0]
    assert list(hits(toks(EN_IMPERATIVE), "clause_depth").value) == [0.0]
    assert list(hits(toks(ZH_WE_YAO, lang="zh"), "sentence_length").value) == [9.0]


# --- enumerated sections -----------------------------------------------------------------------

@pytest.mark.parametrize("block,lang,expected", [
    (EN_ENUM_ROMAN_I, "en", "I ,"),
    (EN_ENUM_ARABIC, "en", "1."),
    (EN_ENUM_ROMAN_II, "en", "II ,"),
    (EN_ENUM_FIRST, "en", "First ,"),
    (ZH_ENUM, "zh", "一、"),
])
def test_enumerated_sections_positive(block, lang, expected):
    h = hits(toks(block, lang=lang), "enumerated_section")
    assert list(h.evidence) == [expected]


@pytest.mark.parametrize("block,lang", [
    (EN_PRONOUN_I, "en"), (EN_NUMBER_NOT_ENUM, "en"), (EN_MUST, "en"), (ZH_ONE_COUNTRY, "zh"),
])
def test_enumerated_sections_negative(block, lang):
    assert hits(toks(block, lang=lang), "enumerated_section").empty


# --- parallel series ---------------------------------------------------------------------------

def test_parallel_series_shared_modifier_en_zh():
    h = hits(toks(EN_SERIES), "parallel_series")
    assert list(h.evidence) == ["modifier 'uniformly' ×4: planned, deployed, moved, implemented"]
    hz = hits(toks(ZH_SERIES, lang="zh"), "parallel_series")
    assert list(hz.evidence) == ["modifier '统一' ×4: 谋划, 部署, 推进, 实施"]


def test_parallel_series_shared_head():
    h = hits(toks(EN_PERSIST_SERIES), "parallel_series")
    assert list(h.evidence) == ["head 'persist' ×3: Persist, persist, persist"]


def test_parallel_series_negative():
    assert hits(toks(EN_NO_SERIES), "parallel_series").empty
    # only two conjuncts
    two = EN_SERIES.split("9 ,")[0] + "9 . . PUNCT . _ 5 punct\n"
    assert hits(toks(two), "parallel_series").empty


# --- profile -----------------------------------------------------------------------------------

def two_voice_tokens():
    official = toks(EN_MUST + "\n" + EN_AGENTLESS, doc_id="a", voice="official")
    framing = toks(EN_PAST + "\n" + EN_HAVE, doc_id="b", voice="framing")
    return concat_tokens([official, framing])


def test_rhetoric_profile_arithmetic():
    prof = rhetoric.rhetoric_profile(two_voice_tokens(), by="voice")
    assert list(prof.columns) == ["voice", "feature", "feature_kind", "count", "words", "per_1000", "mean",
                                  "doc_ci_low", "doc_ci_high", "n_docs"]
    # one document per voice: no document interval
    assert prof["n_docs"].tolist() == [1] * len(prof) and prof["doc_ci_low"].isna().all()
    row = prof.set_index(["voice", "feature"])
    # official: EN_MUST 11 words + EN_AGENTLESS 11 words (punctuation excluded) = 22
    assert row.loc[("official", "obligation"), "words"] == 22
    assert row.loc[("official", "obligation"), "count"] == 1
    assert row.loc[("official", "obligation"), "per_1000"] == pytest.approx(1000 / 22)
    assert row.loc[("official", "nominalisation"), "count"] == 4
    # framing: EN_PAST 4 words + EN_HAVE 3 words = 7; one "we" subject, no obligation
    assert row.loc[("framing", "first_person_plural"), "per_1000"] == pytest.approx(1000 / 7)
    assert row.loc[("framing", "obligation"), "count"] == 0
    assert row.loc[("framing", "sentence_length"), "mean"] == pytest.approx(3.5)
    assert np.isnan(row.loc[("framing", "sentence_length"), "per_1000"])
    by_doc = rhetoric.rhetoric_profile(two_voice_tokens(), by="doc_id", features=["obligation"])
    assert list(by_doc.doc_id) == ["a", "b"] and list(by_doc["count"]) == [1, 0]


def test_profile_by_a_corpus_column_of_its_own():
    # a corpus with a `source` column and no voice at all
    t = concat_tokens([toks(EN_MUST + "\n" + EN_AGENTLESS, doc_id="m1", voice=None, source="ministry"),
                       toks(EN_PAST, doc_id="n1", voice=None, source="newspaper"),
                       toks(EN_HAVE, doc_id="m2", voice=None, source="ministry")])
    assert "voice" not in t.columns
    prof = rhetoric.rhetoric_profile(t, by="source", features=["obligation", "first_person_plural"])
    assert list(prof.columns[:2]) == ["source", "feature"]
    assert list(dict.fromkeys(prof.source)) == ["ministry", "newspaper"]  # order of first appearance
    row = prof.set_index(["source", "feature"])
    assert row.loc[("ministry", "first_person_plural"), "count"] == 2  # EN_MUST and EN_HAVE
    assert row.loc[("ministry", "first_person_plural"), "words"] == 22 + 3
    assert row.loc[("newspaper", "obligation"), "per_1000"] == 0
    # several columns: both kept by name
    two = rhetoric.rhetoric_profile(t, by=["source", "doc_id"], features="obligation")
    assert list(two.columns[:3]) == ["source", "doc_id", "feature"]
    assert list(zip(two.source, two.doc_id)) == [("ministry", "m1"), ("newspaper", "n1"), ("ministry", "m2")]
    # filters restrict the counted words
    only = rhetoric.rhetoric_profile(t, by="source", features="obligation", doc_id=["m1", "n1"])
    assert list(only.words) == [22, 4]
    with pytest.raises(EmptySelectionError):
        rhetoric.rhetoric_profile(t, by="source", source="radio")
    # the default by="voice" does not exist here: an unknown column is a QueryError
    with pytest.raises(QueryError, match="voice"):
        rhetoric.rhetoric_profile(t)


def test_profile_denominator_is_is_word():
    # a SYM with a letter form and a mis-tagged ASCII comma are not words; the denominator of
    # per_1000 is exactly analysis.is_word over the group's rows
    t = two_voice_tokens()
    t.loc[(t.form == "Internet"), "upos"] = "SYM"
    t.loc[(t.form == "."), "upos"] = "PART"
    prof = rhetoric.rhetoric_profile(t, by="voice", features="obligation").set_index("voice")
    for voice in ("official", "framing"):
        assert prof.loc[voice, "words"] == analysis.is_word(t[t.voice == voice]).sum()
    assert prof.loc["official", "words"] == 21  # 22 minus the SYM
    assert prof.loc["official", "per_1000"] == pytest.approx(1000 / 21)


def test_profile_rejects_unknown_feature_and_column():
    with pytest.raises(ParameterError, match="sentence_length"):  # lists the known features
        rhetoric.rhetoric_profile(two_voice_tokens(), features=["rhyme"])
    with pytest.raises(ParameterError):
        rhetoric.feature_hits(two_voice_tokens(), "rhyme")
    with pytest.raises(QueryError):
        rhetoric.rhetoric_profile(two_voice_tokens(), by="colour")
    with pytest.raises(EmptySelectionError):
        rhetoric.rhetoric_profile(two_voice_tokens().iloc[:0])


def test_profile_mixed_languages_counts_words_per_feature_language():
    t = concat_tokens([toks(EN_MUST, doc_id="e"), toks(ZH_WE_YAO, doc_id="z", lang="zh")])
    prof = rhetoric.rhetoric_profile(t, by="lang", features="first_person_plural").set_index("lang")
    assert prof.loc["en", "count"] == 1 and prof.loc["en", "words"] == 11
    assert prof.loc["zh", "count"] == 1 and prof.loc["zh", "words"] == 9


# --- statistics --------------------------------------------------------------------------------

@pytest.mark.parametrize("a,b,n_a,n_b", [(10, 3, 1000, 1200), (0, 7, 500, 800), (45, 45, 20000, 9000),
                                         (1, 0, 30, 40)])
def test_log_likelihood_matches_scipy(a, b, n_a, n_b):
    table = np.array([[a, b], [n_a - a, n_b - b]])
    expected = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    assert rhetoric.log_likelihood(a, b, n_a, n_b) == pytest.approx(expected, rel=1e-10)


def test_log_likelihood_vectorised_and_hand_computed():
    # hand computation: a=10, b=0, n_a=n_b=100: E = 5 per corpus for the word row
    # G2 = 2 [10 ln(10/5) + 90 ln(90/95) + 100 ln(100/95)]
    hand = 2 * (10 * np.log(2) + 90 * np.log(90 / 95) + 100 * np.log(100 / 95))
    got = rhetoric.log_likelihood([10, 5], [0, 5], [100, 100], [100, 100])
    assert got[0] == pytest.approx(hand) and got[1] == pytest.approx(0.0)


def test_log_ratio_hardie():
    # 20 per 1000 vs 5 per 1000 → four times as frequent → log2 = 2
    assert rhetoric.log_ratio(20, 5, 1000, 1000) == pytest.approx(2.0)
    # zero replaced by 0.5 (Hardie 2014)
    assert rhetoric.log_ratio(4, 0, 100, 100) == pytest.approx(np.log2(4 / 0.5))


def test_compare_rhetoric_uses_g2_and_mann_whitney():
    cmp = rhetoric.compare_rhetoric(two_voice_tokens(), by="voice", groups=("official", "framing"))
    assert list(cmp.columns) == [
        "feature", "feature_kind", "count_official", "words_official", "per_1000_official", "mean_official",
        "count_framing", "words_framing", "per_1000_framing", "mean_framing",
        "test", "statistic", "p_value", "log_ratio", "p_adjusted", "min_expected", "p_fisher", "p_doc", "p_doc_adjusted"]
    assert cmp.attrs["groups"] == ("official", "framing") and cmp.attrs["correction"] == "holm"
    row = cmp.set_index("feature")
    assert row.loc["obligation", "per_1000_official"] == pytest.approx(1000 / 22)
    assert row.loc["sentence_length", "mean_framing"] == pytest.approx(3.5)
    nom = row.loc["nominalisation"]
    assert nom.test == "G2"
    assert nom.statistic == pytest.approx(float(rhetoric.log_likelihood(4, 2, 22, 7)))  # framing: cooperation, security
    assert nom.p_value == pytest.approx(stats.chi2.sf(nom.statistic, 1))
    # 4 + 2 hits in 22 + 7 words: expected framing hits 6 · 7 / 29 < 5, so Fisher's exact test is given
    assert nom.min_expected == pytest.approx(6 * 7 / 29)
    assert nom.p_fisher == pytest.approx(stats.fisher_exact([[4, 2], [18, 5]]).pvalue)
    assert np.isnan(nom.p_doc)  # one document per voice: no document-level test
    sl = row.loc["sentence_length"]
    assert sl.test == "Mann-Whitney U"
    assert sl.p_value == pytest.approx(stats.mannwhitneyu([11, 11], [4, 3], alternative="two-sided").pvalue)
    assert sl.log_ratio == pytest.approx(np.log2(11 / 3.5))
    enum = row.loc["enumerated_section"]
    assert enum.statistic == 0 and enum.p_value == 1 and np.isnan(enum.log_ratio)
    with pytest.raises(ParameterError, match="'framing'"):  # lists the values there are
        rhetoric.compare_rhetoric(two_voice_tokens(), groups=("official", "original"))
    with pytest.raises(ParameterError):
        rhetoric.compare_rhetoric(two_voice_tokens(), groups=("official",))
    with pytest.raises(ParameterError):
        rhetoric.compare_rhetoric(two_voice_tokens(), groups=("official", "official"))


def test_compare_rhetoric_groups_default_to_the_two_values_of_by():
    t = two_voice_tokens()
    both = rhetoric.compare_rhetoric(t, by="voice", features="nominalisation")
    assert both.attrs["groups"] == ("official", "framing")  # order of first appearance
    given = rhetoric.compare_rhetoric(t, by="voice", groups=["official", "framing"], features="nominalisation")
    pd.testing.assert_frame_equal(both, given)
    # reversed: target first
    rev = rhetoric.compare_rhetoric(t, by="voice", groups=("framing", "official"), features="nominalisation")
    assert list(rev.columns[2:4]) == ["count_framing", "words_framing"]
    assert rev.log_ratio.iloc[0] == pytest.approx(-both.log_ratio.iloc[0])
    # a corpus column of its own, three values: the caller must choose two
    three = concat_tokens([toks(EN_MUST, doc_id="a", voice=None, source="ministry"),
                           toks(EN_PAST, doc_id="b", voice=None, source="newspaper"),
                           toks(EN_HAVE, doc_id="c", voice=None, source="blog")])
    with pytest.raises(ParameterError) as err:
        rhetoric.compare_rhetoric(three, by="source")
    assert all(v in str(err.value) for v in ("ministry", "newspaper", "blog"))
    chosen = rhetoric.compare_rhetoric(three, by="source", groups=("ministry", "blog"), features="first_person_plural")
    assert (chosen.count_ministry.iloc[0], chosen.count_blog.iloc[0]) == (1, 1)
    # with a filter leaving two values, no groups are needed
    two = rhetoric.compare_rhetoric(three, by="source", source=["ministry", "newspaper"], features="obligation")
    assert two.attrs["groups"] == ("ministry", "newspaper")
    # several by columns: groups are tuples (or labels a|b)
    multi = rhetoric.compare_rhetoric(three, by=["lang", "source"], groups=(("en", "ministry"), "en|blog"),
                                      features="obligation")
    assert "count_en|ministry" in multi.columns and multi.attrs["groups"] == ("en|ministry", "en|blog")


def two_document_voices():
    """Official: two documents (a: EN_MUST; a2: EN_AGENTLESS + EN_AGENT_PASSIVE); framing: two (b, b2)."""
    return concat_tokens([toks(EN_MUST, doc_id="a", voice="official"),
                          toks(EN_AGENTLESS + "\n" + EN_AGENT_PASSIVE, doc_id="a2", voice="official"),
                          toks(EN_PAST, doc_id="b", voice="framing"),
                          toks(EN_HAVE, doc_id="b2", voice="framing")])


def test_profile_document_interval_two_documents_exact():
    # Two documents: the resamples {a, a}, {a, a2}, {a2, a}, {a2, a2} have 1/4, 1/2, 1/4 of the mass, so
    # the 2.5% and 97.5% quantiles are exactly the two documents' own values.
    prof = rhetoric.rhetoric_profile(two_document_voices(), by="voice").set_index(["voice", "feature"])
    ob = prof.loc[("official", "obligation")]
    # a: "must strengthen" 1 hit in 11 words; a2: "should not be blamed" 1 hit in 11 + 8 words
    assert (ob["count"], ob["words"], ob["n_docs"]) == (2, 30, 2)
    assert (ob["doc_ci_low"], ob["doc_ci_high"]) == pytest.approx((1000 / 19, 1000 / 11))
    nom = prof.loc[("official", "nominalisation")]  # a: 1 in 11; a2: 3 in 19
    assert (nom["doc_ci_low"], nom["doc_ci_high"]) == pytest.approx((1000 / 11, 3000 / 19))
    # sentence features: the interval of the mean per sentence (a: one sentence of 11 words; a2: 11 and 8)
    sl = prof.loc[("official", "sentence_length")]
    assert sl["mean"] == pytest.approx(30 / 3)
    assert (sl["doc_ci_low"], sl["doc_ci_high"], sl["n_docs"]) == pytest.approx((9.5, 11.0, 2))
    fpp = prof.loc[("framing", "first_person_plural")]  # b: 0 in 4; b2: 1 in 3
    assert (fpp["doc_ci_low"], fpp["doc_ci_high"]) == pytest.approx((0.0, 1000 / 3))


def test_profile_and_comparison_are_seeded_and_validated():
    t = two_document_voices()
    first = rhetoric.compare_rhetoric(t, groups=("official", "framing"))
    pd.testing.assert_frame_equal(first, rhetoric.compare_rhetoric(t, groups=("official", "framing"), seed=0))
    assert first.attrs["seed"] == 0 and first.attrs["n_boot"] == 2000
    prof = rhetoric.rhetoric_profile(t, n_boot=500, seed=4)
    pd.testing.assert_frame_equal(prof, rhetoric.rhetoric_profile(t, n_boot=500, seed=4))
    assert prof.attrs["conf"] == 0.95 and prof.attrs["n_boot"] == 500
    for bad in (dict(n_boot=50), dict(seed=-1), dict(seed=1.5), dict(conf=1.0)):
        with pytest.raises(ParameterError):
            rhetoric.rhetoric_profile(t, **bad)
    with pytest.raises(ParameterError, match="correction"):
        rhetoric.compare_rhetoric(t, correction="bonferoni")


def _holm_by_hand(p):
    """Holm (1979) written out: sort, multiply the i-th smallest (from 0) by m - i, running maximum, cap at 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, (len(p) - rank) * p[i])
        out[i] = min(1.0, running)
    return out


def test_corrections_holm_by_hand_and_bh_against_scipy():
    t = two_document_voices()
    cmp = rhetoric.compare_rhetoric(t, groups=("official", "framing"))
    p = cmp["p_value"].tolist()
    assert cmp["p_adjusted"].tolist() == pytest.approx(_holm_by_hand(p))
    # a hand example: p = (0.01, 0.04, 0.03, 0.5) → Holm 0.04, 0.09, 0.09, 0.5
    assert _holm_by_hand([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    bh = rhetoric.compare_rhetoric(t, groups=("official", "framing"), correction="bh")
    assert bh.attrs["correction"] == "bh"
    assert bh["p_adjusted"].tolist() == pytest.approx(stats.false_discovery_control(p, method="bh").tolist())
    none = rhetoric.compare_rhetoric(t, groups=("official", "framing"), correction=None)
    assert not [c for c in none.columns if c in ("p_adjusted", "p_doc_adjusted")]
    pd.testing.assert_series_equal(none["p_value"], cmp["p_value"])


def test_fisher_where_an_expected_count_is_below_five_against_scipy():
    t = two_document_voices()
    cmp = rhetoric.compare_rhetoric(t, groups=("official", "framing")).set_index("feature")
    for name, row in cmp[cmp["feature_kind"] == "count"].iterrows():
        a, b, na, nb = row.count_official, row.count_framing, row.words_official, row.words_framing
        table = [[a, b], [na - a, nb - b]]
        n = na + nb
        hand = min((a + b) * na / n, (a + b) * nb / n, (n - a - b) * na / n, (n - a - b) * nb / n)
        assert row.min_expected == pytest.approx(hand)
        assert hand < 5  # tiny tables: every count feature gets Fisher's exact test
        assert row.p_fisher == pytest.approx(stats.fisher_exact(table).pvalue)
        assert row.test == "G2"  # p_value stays the G² test's; p_fisher is the one to read here
    assert cmp.loc[["sentence_length", "clause_depth"], ["min_expected", "p_fisher"]].isna().all().all()


def test_feature_hits_lines_come_from_the_shared_concordance():
    t = two_voice_tokens()
    h = rhetoric.feature_hits(t, "directive_verbs")
    assert list(h.match) == ["strengthen", "persist"]
    for line in h.itertuples():
        ref = analysis.kwic(t, line.match, window=50, within="sentence", doc_id=line.doc_id)
        ref = ref[ref.position == line.position].iloc[0]
        assert (line.left, line.match, line.right) == (ref.left, ref.match, ref.right)
    assert {"lang", "voice"} <= set(h.columns)  # the metadata columns, as in kwic
    # filters keep the hits whose anchor meets them
    assert rhetoric.feature_hits(t, "first_person_plural", voice="framing").doc_id.tolist() == ["b"]
    with pytest.raises(EmptySelectionError):
        rhetoric.feature_hits(t, "obligation", voice="nobody")
    # Chinese: joined without spaces
    zh = rhetoric.feature_hits(toks(ZH_WE_YAO, lang="zh"), "obligation")
    assert (zh.left.iloc[0], zh.match.iloc[0], zh.right.iloc[0]) == ("我们要深刻", "领会", "总书记的重要讲话精神。")


def test_significance_marks_come_from_inference():
    # rhetoric keeps no copy of its own; the plot and the CLI use analysis.inference.significance_marks
    from analysis.plots import rhetoric as plots

    assert not hasattr(rhetoric, "significance_marks")
    assert plots.significance_marks is analysis.inference.significance_marks


# --- plot and CLI ------------------------------------------------------------------------------

def test_plot_rhetoric_profile_returns_figure_with_marks():
    import matplotlib.pyplot as plt

    from analysis.plots.rhetoric import plot_rhetoric_profile

    t = two_voice_tokens()
    prof = rhetoric.rhetoric_profile(t)
    cmp = rhetoric.compare_rhetoric(t)
    fig = plot_rhetoric_profile(prof, cmp, by="voice", groups=["official", "framing"])
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 7  # the count features
    assert panels[0].get_title().startswith("obligation") and "LR -0.65" in panels[0].get_title()
    # 0 vs 0: no log ratio; expected counts 0 < 5: Fisher's exact p (1); one document per voice: no p_doc
    assert panels[5].get_title() == "enumerated section †\nLR – · docs –\nFisher p 1.00"
    widths = [bar.get_width() for bar in panels[4].patches]  # nominalisation: official, framing
    assert widths == pytest.approx([4000 / 22, 2000 / 7])
    plt.close(fig)
    with pytest.raises(ParameterError):
        plot_rhetoric_profile(prof, groups=["official", "nobody"])
    with pytest.raises(QueryError):  # the profile was not grouped by source
        plot_rhetoric_profile(prof, by="source")


def test_plot_marks_come_from_the_corrected_p_and_the_footnote_says_which():
    import matplotlib.pyplot as plt

    from analysis.plots.rhetoric import plot_rhetoric_profile

    t = two_document_voices()
    features = ["obligation", "nominalisation"]
    prof = rhetoric.rhetoric_profile(t, features=features)
    cmp = rhetoric.compare_rhetoric(t, groups=("official", "framing"), features=features)
    # forged p-values: both significant before the correction, only obligation after it
    cmp = cmp.assign(p_value=[0.01, 0.03], p_adjusted=[0.02, 0.06], min_expected=[10.0, 2.0], p_fisher=[np.nan, 0.2],
                     p_doc_adjusted=[0.004, 0.5])
    fig = plot_rhetoric_profile(prof, cmp, groups=["official", "framing"])
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert panels[0].get_title().split("\n")[0] == "obligation *"
    assert panels[0].get_title().split("\n")[1].endswith("· docs **")
    assert panels[1].get_title().split("\n") == ["nominalisation †", f"LR {cmp.log_ratio.iloc[1]:+.2f} · docs n.s.",
                                                 "Fisher p .20"]
    footer = fig.texts[-1].get_text()
    assert "Holm-adjusted" in footer and "Fisher" in footer and "Lijffijt" in footer and "95% interval" in footer
    # whiskers: the document interval of each bar (official obligation: 1/19 .. 1/11 per word)
    whiskers = panels[0].containers[-1].lines[2][0].get_segments()
    assert (whiskers[0][0][0], whiskers[0][1][0]) == pytest.approx((1000 / 19, 1000 / 11))
    plt.close(fig)
    # without a correction the marks are the uncorrected ones, and the footnote says so
    cmp.attrs["correction"] = None
    fig = plot_rhetoric_profile(prof, cmp.drop(columns=["p_adjusted", "p_doc_adjusted"]), groups=["official", "framing"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[1].startswith("nominalisation * †") and "uncorrected" in fig.texts[-1].get_text()
    plt.close(fig)


def test_plot_rhetoric_profile_any_grouping_column():
    import matplotlib.pyplot as plt

    from analysis.plots.rhetoric import plot_rhetoric_profile

    t = concat_tokens([toks(EN_MUST, doc_id="a", voice=None, source="ministry"),
                       toks(EN_PAST, doc_id="b", voice=None, source="newspaper"),
                       toks(EN_HAVE, doc_id="c", voice=None, source="blog")])
    prof = rhetoric.rhetoric_profile(t, by="source", features=["obligation", "first_person_plural"])
    fig = plot_rhetoric_profile(prof, by="source", title=None)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2
    assert [x.get_text() for x in panels[0].get_yticklabels()] == ["ministry", "newspaper", "blog"]  # top down
    assert [bar.get_width() for bar in panels[1].patches] == pytest.approx([1000 / 11, 0, 1000 / 3])
    plt.close(fig)
    multi = rhetoric.rhetoric_profile(t, by=["lang", "source"], features="obligation")
    fig = plot_rhetoric_profile(multi, by=["lang", "source"], groups=[("en", "ministry"), "en|blog"])
    assert [x.get_text() for x in fig.axes[0].get_yticklabels()] == ["en|ministry", "en|blog"]
    plt.close(fig)


def test_cli_rhetoric_prints_comparison(monkeypatch, capsys):
    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: two_voice_tokens())
    assert main(["rhetoric", "--by", "voice", "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(out.columns[:3]) == ["feature", "feature_kind", "count_official"]
    assert set(out.test) == {"G2", "Mann-Whitney U"}
    assert main(["rhetoric", "--groups", "framing,official", "--format", "csv"]) == 0
    assert pd.read_csv(io.StringIO(capsys.readouterr().out)).columns[2] == "count_framing"
    assert main(["rhetoric", "--hits", "obligation", "--format", "json"]) == 0
    assert '"evidence": "must strengthen"' in capsys.readouterr().out
    assert main(["rhetoric", "--profile", "--by", "doc_id", "--where", "voice=framing", "--format", "csv"]) == 0
    prof = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(prof.doc_id) == {"b"} and "per_1000" in prof.columns
    assert main(["rhetoric", "--profile", "--top", "2", "--format", "csv"]) == 0
    assert len(pd.read_csv(io.StringIO(capsys.readouterr().out))) == 2
    capsys.readouterr()
    assert main(["rhetoric", "--groups", "official,original"]) == 2
    assert main(["rhetoric", "--by", "doc_id", "--where", "voice=nobody"]) == 2
    err = capsys.readouterr().err
    assert "nobody" in err


def test_cli_rhetoric_correction_n_boot_and_seed(monkeypatch, capsys):
    from analysis.cli import main

    t = two_document_voices()
    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: t)
    assert main(["rhetoric", "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert {"p_adjusted", "min_expected", "p_fisher", "p_doc", "p_doc_adjusted"} <= set(out.columns)
    assert main(["rhetoric", "--correction", "bh", "--format", "csv"]) == 0
    assert "p_adjusted" in pd.read_csv(io.StringIO(capsys.readouterr().out)).columns
    assert main(["rhetoric", "--correction", "none", "--format", "csv"]) == 0
    assert "p_adjusted" not in pd.read_csv(io.StringIO(capsys.readouterr().out)).columns
    assert main(["rhetoric", "--n-boot", "500", "--seed", "3", "--format", "csv"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out))
    expected = rhetoric.compare_rhetoric(t, n_boot=500, seed=3)
    assert got["p_doc"].tolist() == pytest.approx(expected["p_doc"].tolist())
    assert main(["rhetoric", "--profile", "--n-boot", "500", "--seed", "3", "--format", "csv"]) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out))
    expected = rhetoric.rhetoric_profile(t, n_boot=500, seed=3)
    assert got["doc_ci_high"].tolist() == pytest.approx(expected["doc_ci_high"].tolist(), nan_ok=True)
    # text: the marks are read from the corrected p, and the header says which
    assert main(["rhetoric"]) == 0
    text = capsys.readouterr().out
    assert "# sig: p_adjusted (Holm-adjusted over the 9 features)" in text and "sig_doc: p_doc_adjusted" in text
    assert main(["rhetoric", "--correction", "none"]) == 0
    assert "# sig: p_value (uncorrected" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["rhetoric", "--top", "0"], ["rhetoric", "--top", "x"], ["rhetoric", "--n-boot", "0"],
                                  ["rhetoric", "--seed", "-1"], ["rhetoric", "--correction", "bonferroni"]])
def test_cli_rhetoric_numeric_options_are_validated(argv, monkeypatch, capsys):
    from analysis.cli import main

    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: two_voice_tokens())
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# --- verified seed sentences (the seed's committed annotations, tests/conftest.py) ---------------

@pytest.fixture(scope="module")
def seed_parse(seed_tokens):
    return rhetoric.Parse(seed_tokens)  # prepared once for every case


_SEED_HITS: dict = {}


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _seed_hits_in(seed_parse, feature, fragment):
    """The hits of ``feature`` whose sentence (left + match + right) contains ``fragment``
    (compared without spaces: concordance lines put a space before punctuation)."""
    if (id(seed_parse), feature) not in _SEED_HITS:
        h = rhetoric.feature_hits(seed_parse, feature)
        sentences = [joiner(lang).join(x for x in (left, match, right) if x)
                     for lang, left, match, right in zip(h.lang.astype(str), h.left, h.match, h.right)]
        _SEED_HITS[(id(seed_parse), feature)] = h.assign(_sentence=[_squeeze(x) for x in sentences])
    h = _SEED_HITS[(id(seed_parse), feature)]
    return h[h._sentence.str.contains(_squeeze(fragment), regex=False)]


# Each case was read in the seed text and checked by hand: the feature is really there. (Known
# parser misses, not tested: in "we must abide by the laws of news communication ..., strengthen
# Internet thinking, persist in the correct orientation ..." the parser of tifa-cpu-47ae092d attaches
# "strengthen" to "abide" as parataxis, not conj, and tags "persist" NOUN, so neither directive is
# found; the compact models' parse found "strengthen" but not "persist".)
SEED_CASES = [
    ("obligation", "We must put safeguarding ideological cybersecurity", "must put"),
    ("first_person_plural", "We must put safeguarding ideological cybersecurity", "We"),
    ("obligation", "we must abide by the laws of news communication", "must abide"),
    ("directive_verbs", "We must grasp convergence with one hand", "guarantee"),
    ("parallel_series", "they must be uniformly planned, uniformly deployed", "uniformly"),
    ("agentless_passive", "have been elevated to being a national strategy", "elevated"),
    ("enumerated_section", "III, New explorations in network management", "III ,"),
    ("enumerated_section", "Building an Internet legal system, strengthening top-level design", "1"),
    ("obligation", "我们要深刻领会总书记的重要讲话精神", "要"),
    ("first_person_plural", "我们要深刻领会总书记的重要讲话精神", "我们"),
    ("enumerated_section", "积极应对网络安全的威胁", "一、"),
]


@pytest.mark.parametrize("feature,fragment,evidence", SEED_CASES)
def test_seed_sentences(seed_parse, feature, fragment, evidence):
    h = _seed_hits_in(seed_parse, feature, fragment)
    assert len(h), f"no {feature} hit in the seed sentence containing {fragment!r}"
    assert any(evidence in e for e in h.evidence), list(h.evidence)


def test_seed_negative_sentence(seed_parse):
    # framing voice, reported speech in past tense: no obligation, no directive
    sent = "Xinhua today published a short summary"
    assert _seed_hits_in(seed_parse, "obligation", sent).empty
    assert _seed_hits_in(seed_parse, "directive_verbs", sent).empty


def test_seed_profile_denominator_and_groups(seed_parse, seed_tokens):
    en = seed_tokens["lang"] == "en"
    prof = rhetoric.rhetoric_profile(seed_parse, by="voice", features="obligation", lang="en")
    for row in prof.itertuples():
        sel = np.asarray(en & (seed_tokens["voice"] == row.voice))
        assert row.words == analysis.is_word(seed_tokens[sel]).sum()
    with pytest.raises(ParameterError, match="official"):  # more than two voices: choose two
        rhetoric.compare_rhetoric(seed_parse, by="voice", features="obligation")


# --- the seed: the numbers of the issue, and document-level inference against naive loops ----------

@pytest.fixture(scope="module")
def seed_comparison(seed_parse):
    return rhetoric.compare_rhetoric(seed_parse, by="voice", groups=("official", "framing"), lang="en")


def test_seed_parallel_series_does_not_survive_correction_or_fisher(seed_comparison):
    row = seed_comparison.set_index("feature").loc["parallel_series"]
    assert (row.count_official, row.count_framing) == (10, 0)
    assert row.p_value == pytest.approx(0.0589, abs=1e-4)  # "p = 0.059 uncorrected"
    assert row.p_value == pytest.approx(stats.chi2.sf(row.statistic, 1))
    # Holm over the nine features, written out by hand: 0.118
    holm = dict(zip(seed_comparison["feature"], _holm_by_hand(seed_comparison["p_value"].tolist())))
    assert row.p_adjusted == pytest.approx(holm["parallel_series"]) and row.p_adjusted == pytest.approx(0.1178, abs=1e-4)
    # expected framing hits 10 · 3798 / (19447 + 3798) ≈ 1.6 < 5: Fisher's exact test, ≈ 0.38
    n_a, n_b = row.words_official, row.words_framing
    assert row.min_expected == pytest.approx(10 * n_b / (n_a + n_b)) and row.min_expected < 5
    fisher = stats.fisher_exact([[10, 0], [n_a - 10, n_b]]).pvalue
    assert row.p_fisher == pytest.approx(fisher) and row.p_fisher == pytest.approx(0.3836, abs=1e-4)
    assert significance_marks_of(seed_comparison, "parallel_series") == ""


def significance_marks_of(cmp, feature):
    from analysis.inference import significance_marks

    return significance_marks(cmp.set_index("feature").loc[[feature], "p_adjusted"])[0]


def _per_document(seed_tokens, seed_parse, feature, voice):
    """Per-document numerators and denominators of a voice (English), counted without the package's bootstrap:
    hits (or the sum of per-sentence values) from feature_hits, words from is_word."""
    en = seed_tokens[(seed_tokens["lang"] == "en") & (seed_tokens["voice"] == voice)]
    words = pd.Series(analysis.is_word(en)).groupby(en["doc_id"].astype(str).to_numpy()).sum()
    hits = rhetoric.feature_hits(seed_parse, feature, lang="en", voice=voice)
    by_doc = hits.groupby(hits["doc_id"].astype(str))["value"]
    if rhetoric.FEATURES[feature].kind == "count":
        return by_doc.size().reindex(words.index, fill_value=0).to_numpy(float), words.to_numpy(float)
    return by_doc.sum().to_numpy(float), by_doc.size().to_numpy(float)


def _lijffijt_by_hand(ca, na, cb, nb, rounds, rng):
    """The bootstrap test of Lijffijt et al. (2016) as a plain loop (eqs. 3-4, ties counted ½)."""
    lower = higher = ties = 0
    for _ in range(rounds):
        i, j = rng.integers(0, len(na), len(na)), rng.integers(0, len(nb), len(nb))
        ra, rb = ca[i].sum() / na[i].sum(), cb[j].sum() / nb[j].sum()
        lower, higher, ties = lower + (ra < rb), higher + (ra > rb), ties + (ra == rb)
    p_greater = (1 + lower + ties / 2) / (1 + rounds)
    p_less = (1 + higher + ties / 2) / (1 + rounds)
    return min(1.0, 2 * min(p_greater, p_less))


@pytest.mark.parametrize("feature,tolerance", [("enumerated_section", 0.1), ("clause_depth", 0.015),
                                               ("agentless_passive", 0.005)])
def test_seed_p_doc_matches_a_naive_bootstrap_loop(seed_tokens, seed_parse, seed_comparison, feature, tolerance):
    ca, na = _per_document(seed_tokens, seed_parse, feature, "official")
    cb, nb = _per_document(seed_tokens, seed_parse, feature, "framing")
    assert len(na) == len(nb) == 17
    naive = _lijffijt_by_hand(ca, na, cb, nb, 20000, np.random.default_rng(99))
    got = seed_comparison.set_index("feature").loc[feature, "p_doc"]
    assert abs(got - naive) < tolerance  # Monte Carlo error of 2000 resamples
    holm = dict(zip(seed_comparison["feature"], _holm_by_hand(seed_comparison["p_doc"].tolist())))
    assert seed_comparison.set_index("feature").loc[feature, "p_doc_adjusted"] == pytest.approx(holm[feature])


def test_seed_profile_document_interval_matches_a_naive_loop(seed_tokens, seed_parse):
    prof = rhetoric.rhetoric_profile(seed_parse, by="voice", features=["obligation", "sentence_length"],
                                     lang="en", voice="official").set_index("feature")
    rng = np.random.default_rng(7)
    for feature, scale in (("obligation", 1000.0), ("sentence_length", 1.0)):
        num, den = _per_document(seed_tokens, seed_parse, feature, "official")
        take = rng.integers(0, len(den), (20000, len(den)))
        lo, hi = np.percentile(scale * num[take].sum(axis=1) / den[take].sum(axis=1), [2.5, 97.5])
        row = prof.loc[feature]
        assert row["n_docs"] == 17
        width = hi - lo
        assert abs(row["doc_ci_low"] - lo) < 0.1 * width and abs(row["doc_ci_high"] - hi) < 0.1 * width


# --- the parse as integer codes -----------------------------------------------------------------

def _all_sentences():
    blocks = [(EN_MUST, "en"), (EN_AGENTLESS, "en"), (EN_SERIES, "en"), (EN_PERSIST_SERIES, "en"), (EN_DEPTH, "en"),
              (EN_ENUM_ROMAN_I, "en"), (EN_HAVE_TO, "en"), (ZH_SERIES, "zh"), (ZH_WE_YAO, "zh"), (ZH_AGENTLESS, "zh"),
              (ZH_ENUM, "zh"), (ZH_NOMINAL, "zh")]
    return [toks(b, doc_id=f"d{i}", lang=lang) for i, (b, lang) in enumerate(blocks)]


def test_columns_of_codes_answer_as_the_object_arrays():
    """==, !=, isin, map and indexing on a Column are those of the column's values as an object array."""
    s = pd.Series(pd.Categorical(["aux", "obj", None, "aux:pass", "", "obj", "nsubj"]))
    col = rhetoric.Column.of(s)
    plain = s.astype(object).where(s.notna(), "").to_numpy(dtype=object)
    assert (col == "aux").tolist() == (plain == "aux").tolist()
    assert (col != "obj").tolist() == (plain != "obj").tolist()
    assert col.isin(["aux", "nsubj", ""]).tolist() == np.isin(plain, ["aux", "nsubj", ""]).tolist()
    assert np.asarray(col.map(lambda r: r.split(":")[0])).tolist() == [r.split(":")[0] for r in plain]
    assert col.map(lambda r: r.startswith("a"), bool).tolist() == [r.startswith("a") for r in plain]
    assert col[3] == "aux:pass" and col[[2, 4]].tolist() == ["", ""] and list(col) == plain.tolist()
    objects = rhetoric.Column.of(s.astype(object))  # a plain object column gives the same answers
    assert (objects == "obj").tolist() == (col == "obj").tolist() and list(objects) == list(col)


def test_parse_heads_sentences_and_children_equal_the_lookups():
    """Head rows and sentence numbers from runs of rows equal the (sentence, idx) lookup and a groupby,
    also on a table with sentences cut (heads outside the table) and a shuffled one."""
    table = concat_tokens(_all_sentences())
    cut = table[table["idx"] != 2].reset_index(drop=True)
    shuffled = table.iloc[np.random.default_rng(0).permutation(len(table))].reset_index(drop=True)
    for t in (table, cut, shuffled):
        p = rhetoric.Parse(t)
        sid = t.groupby(["doc_id", "sent"], sort=False, observed=True).ngroup().to_numpy()
        assert p.sid.tolist() == sid.tolist()
        lookup = {(s, i): r for r, (s, i) in enumerate(zip(sid.tolist(), t["idx"].tolist()))}
        assert p.hpos.tolist() == [lookup.get((s, h), -1) for s, h in zip(sid.tolist(), t["head"].tolist())]
        kids = p.children()
        expected: dict[int, list[int]] = {}
        for r, h in enumerate(p.hpos.tolist()):
            if h >= 0:
                expected.setdefault(h, []).append(r)
        assert dict(kids) == expected and kids.get(-1, []) == [] and (len(t) + 5) not in kids


def _parallel_series_walk(p, min_members=3):
    """parallel_series as a walk over the coordinations, member by member, on object arrays."""
    lem, upos, base, form = (np.asarray(c, dtype=object) for c in (p.lem, p.upos, p.base, p.form))
    conj = (np.asarray(p.rel, dtype=object) == "conj") & (p.hpos >= 0)
    root = p.pos.copy()
    for _ in range(1000):
        new = root.copy()
        new[conj] = root[p.hpos[conj]]
        if (new == root).all():
            break
        root = new
    members: dict[int, list[int]] = {}
    for q in np.flatnonzero(conj):
        members.setdefault(int(root[q]), [int(root[q])]).append(int(q))
    kids, modal = dict(p.children()), rhetoric._modal_mask(p)
    out = []
    for r, mem in sorted(members.items()):
        if len(mem) < min_members:
            continue
        mem, shared = sorted(mem), None
        top = pd.Series([lem[m] for m in mem if upos[m] == "VERB"], dtype=object).value_counts()
        if len(top) and top.iloc[0] >= min_members:
            shared, used = f"head '{top.index[0]}'", [m for m in mem if lem[m] == top.index[0]]
        else:
            mods: dict[str, list[int]] = {}
            for m in mem:
                seen = set()
                for k in kids.get(m, []):
                    if base[k] in rhetoric._NON_MODIFIER_RELS or upos[k] not in rhetoric._MODIFIER_UPOS or lem[k] in seen:
                        continue
                    if base[k] == "aux" and not modal[k]:
                        continue
                    seen.add(lem[k])
                    mods.setdefault(lem[k], []).append(m)
            best = max(mods.items(), key=lambda kv: (len(kv[1]), -min(kv[1])), default=None)
            if best and len(best[1]) >= min_members:
                shared, used = f"modifier '{best[0]}'", best[1]
        if shared:
            out.append((r, f"{shared} ×{len(used)}: " + ", ".join(form[m] for m in used)))
    return out


EN_TWO_SHARED = """
1 fully fully ADV RB _ 3 advmod
2 uniformly uniformly ADV RB _ 3 advmod
3 plan plan VERB VB _ 0 root
4 , , PUNCT , _ 7 punct
5 uniformly uniformly ADV RB _ 7 advmod
6 fully fully ADV RB _ 7 advmod
7 deploy deploy VERB VB _ 3 conj
8 and and CCONJ CC _ 11 cc
9 fully fully ADV RB _ 11 advmod
10 uniformly uniformly ADV RB _ 11 advmod
11 advance advance VERB VB _ 3 conj
"""


def test_parallel_series_with_arrays_equals_the_member_by_member_walk():
    """The vectorised coordinations against the walk, on the hand-built parses and on copies whose
    lemmas, tags and relations are scrambled (many coordinations, ties of heads and of modifiers)."""
    two = rhetoric.parallel_series(toks(EN_TWO_SHARED))  # two modifiers tie: the first met wins
    assert two["evidence"].tolist() == ["modifier 'fully' ×3: plan, deploy, advance"]
    base = concat_tokens(_all_sentences() + [toks(EN_TWO_SHARED, doc_id="two")])
    rng = np.random.default_rng(11)
    tables = [base]
    for _ in range(6):
        t = pd.concat([base] * 4, ignore_index=True)
        t["doc_id"] = [f"{d}#{i // len(base)}" for i, d in enumerate(t["doc_id"])]
        for col, choices, share in (("lemma", ["a", "b", "must", "统一", "persist"], 0.5),
                                    ("upos", ["VERB", "NOUN", "AUX", "PRON", "ADV"], 0.4),
                                    ("deprel", ["conj", "advmod", "aux", "obj", "punct"], 0.4)):
            values = t[col].to_numpy(dtype=object).copy()
            pick = rng.random(len(values)) < share
            values[pick] = rng.choice(choices, pick.sum())
            t[col] = values
        tables.append(t)
    found = 0
    for t in tables:
        p = rhetoric.Parse(t)
        for min_members in (2, 3, 4):
            got = rhetoric.parallel_series(p, min_members=min_members)
            expected = _parallel_series_walk(p, min_members)
            assert list(zip(got["_pos"].tolist(), got["evidence"].tolist())) == expected
            found += len(expected)
    assert found > 30


def _all_blocks_table():
    """Every hand-built sentence of this file, English and Chinese, one document each."""
    tables = [toks(v, doc_id=k, lang=k[:2].lower()) for k, v in globals().items()
              if k[:3] in ("EN_", "ZH_") and isinstance(v, str)]
    return concat_tokens(tables)


def _passives_by_loop(p):
    """agentless_passives written as a loop over candidate predicates (the definition, child by child)."""
    en, zh, kids = p.lang_is("en"), p.lang_is("zh"), p.children()
    pass_marker = p.rel.isin(["nsubj:pass", "csubj:pass", "aux:pass"])
    bei = zh & (p.lem == "被") & ((p.upos == "AUX") | (p.rel == "aux:pass") | (p.rel == "aux"))
    out = []
    for v in np.flatnonzero(p.heads_with_child((en & pass_marker) | bei)):
        ch = kids.get(int(v), [])
        if any(p.rel[c] == "obl:agent" for c in ch):
            continue
        if zh[v]:
            markers = [c for c in ch if bei[c]]
            if not markers or any(p.base[c] in ("nsubj", "obl") and p.rel[c] != "nsubj:pass" and min(markers) < c < v
                                  for c in ch):
                continue
        else:
            markers = [c for c in ch if pass_marker[c]]
            if not markers or any(p.base[c] == "obl" and any(p.rel[g] == "case" and p.lem[g] == "by"
                                                              for g in kids.get(c, [])) for c in ch):
                continue
        out.append((int(v), p.words(markers + [int(v)])))
    return out


def _obligation_by_loop(p):
    groups = {}
    for m in np.flatnonzero(rhetoric._modal_mask(p)):
        h = int(p.hpos[m]) if p.rel[m] == "aux" and p.hpos[m] >= 0 else int(m)
        groups.setdefault(h, []).append(int(m))
    for m in np.flatnonzero(rhetoric._necessity_mask(p)):
        groups.setdefault(int(m), []).append(int(m))
    return [(a, p.words(groups[a] + [a])) for a in sorted(groups)]


def test_passives_and_obligation_equal_their_loop_definitions():
    p = rhetoric.Parse(_all_blocks_table())
    for feature, by_loop in ((rhetoric.agentless_passives, _passives_by_loop),
                             (rhetoric.obligation, _obligation_by_loop)):
        got = feature(p)
        want = by_loop(p)
        assert len(want) >= 3
        assert list(zip(got["_pos"].tolist(), got["evidence"].tolist())) == want


def test_profile_intervals_equal_one_cluster_bootstrap_per_feature():
    """The profile draws the resamples once per number of documents; each interval is cluster_bootstrap_ratio's."""
    table = concat_tokens([_all_blocks_table().assign(voice="official"),
                           _all_blocks_table().assign(voice="framing", doc_id=lambda t: t["doc_id"].astype(str) + "b")])
    prof = rhetoric._Profile(table, "voice", None, {}, n_boot=300, seed=4)
    for (g, name), (num, den) in prof.docs.items():
        row = prof.table[(prof.table["feature"] == name) & (prof.table["voice"] == ("official", "framing")[g])].iloc[0]
        scale = 1000.0 if row["feature_kind"] == "count" else 1.0
        want = analysis.inference.cluster_bootstrap_ratio(num, den, n_boot=300, seed=4, scale=scale)
        assert np.array_equal([row["doc_ci_low"], row["doc_ci_high"]], want, equal_nan=True)
