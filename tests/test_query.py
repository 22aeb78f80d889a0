"""The query language: parsing, errors, and matching of every query kind on hand-built parses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import QueryError
from analysis._core import filter_mask as metadata_mask
from analysis.query import build_query, match_spans, parse_query
from analysis.tokens import tokens_from_conllu

# Two paragraphs, three sentences; a spaCy/Stanza-style parse written by hand.
EN = """# newpar id = d1-p1
# text = We must safeguard national security and public opinion.
1	We	we	PRON	PRP	_	3	nsubj	_	_
2	must	must	AUX	MD	_	3	aux	_	_
3	safeguard	safeguard	VERB	VB	_	0	root	_	_
4	national	national	ADJ	JJ	_	5	amod	_	_
5	security	security	NOUN	NN	_	3	obj	_	_
6	and	and	CCONJ	CC	_	8	cc	_	_
7	public	public	ADJ	JJ	_	8	amod	_	_
8	opinion	opinion	NOUN	NN	_	5	conj	_	_
9	.	.	PUNCT	.	_	3	punct	_	_

# text = Ideological security is secure.
1	Ideological	ideological	ADJ	JJ	_	2	amod	_	_
2	security	security	NOUN	NN	_	4	nsubj	_	_
3	is	be	AUX	VBZ	_	4	cop	_	_
4	secure	secure	ADJ	JJ	_	0	root	_	_
5	.	.	PUNCT	.	_	4	punct	_	_

# newpar id = d1-p2
# text = Public opinion: Securities rule.
1	Public	public	ADJ	JJ	_	2	amod	_	_
2	opinion	opinion	NOUN	NN	_	0	root	_	_
3	:	:	PUNCT	:	_	2	punct	_	_
4	Securities	security	NOUN	NNS	_	5	nsubj	_	_
5	rule	rule	VERB	VBP	_	2	parataxis	_	_
6	.	.	PUNCT	.	_	2	punct	_	_
"""

ZH = """# newpar id = z1-p1
# text = 维护网络安全和意识形态安全
1	维护	维护	VERB	VV	_	0	root	_	_
2	网络	网络	NOUN	NN	_	3	compound	_	_
3	安全	安全	NOUN	NN	_	1	obj	_	_
4	和	和	CCONJ	CC	_	6	cc	_	_
5	意识形态	意识形态	NOUN	NN	_	6	compound	_	_
6	安全	安全	NOUN	NN	_	3	conj	_	_

# newpar id = z1-p2
# text = 网络
1	网络	网络	NOUN	NN	_	0	root	_	_

# newpar id = z1-p3
# text = 安全
1	安全	安全	NOUN	NN	_	0	root	_	_
"""


@pytest.fixture(scope="module")
def en():
    return tokens_from_conllu(EN, doc_id="d1", lang="en", voice="official", date="2014-08-18")


@pytest.fixture(scope="module")
def zh():
    return tokens_from_conllu(ZH, doc_id="z1", lang="zh", voice="original")


def rows(tokens, query, **kw):
    starts, ends = match_spans(tokens, query, **kw)
    return list(zip(starts.tolist(), ends.tolist()))


# ---------------------------------------------------------------- parsing


def test_parse_kinds():
    q = parse_query('lemma:security&upos:NOUN secur* /secur(e|ity)/ "rule of law"')
    assert len(q) == 6
    first = q.terms[0].constraints
    assert [(c.field, c.pattern.kind, c.pattern.text) for c in first] == [
        ("lemma", "literal", "security"), ("upos", "literal", "NOUN")]
    assert q.terms[1].constraints[0].pattern.kind == "glob"
    assert q.terms[2].constraints[0].pattern.kind == "regex"
    assert [t.constraints[0].pattern.text for t in q.terms[3:]] == ["rule", "of", "law"]


def test_parse_dependency_and_alias():
    q = parse_query("lemma:security&pos:NOUN&head(lemma:safeguard&upos:VERB)&child(amod,lemma:national)")
    term = q.terms[0]
    assert [c.field for c in term.constraints] == ["lemma", "upos"]
    assert [c.field for c in term.head.constraints] == ["lemma", "upos"]
    rel, child = term.children[0]
    assert rel.text == "amod" and child.constraints[0].pattern.text == "national"


def test_glob_translation_and_escape():
    q = parse_query(r"a\*b*")
    pat = q.terms[0].constraints[0].pattern
    assert pat.kind == "glob" and pat.regex() == r"a\*b.*"
    assert parse_query(r"C\+\+").terms[0].constraints[0].pattern.text == "C++"


@pytest.mark.parametrize("bad, needle", [
    ("", "empty query"),
    ("   ", "empty query"),
    ("lema:security", "unknown field 'lema'"),
    ("lemma:", "empty value"),
    ("/secur(e/", "invalid regular expression"),
    ("/secur", "unterminated regular expression"),
    ('"public opinion', "unterminated quote"),
    ("head(lemma:x", "unbalanced '('"),
    ("lemma:x)", "unbalanced ')'"),
    ("lemma:x&&upos:NOUN", "empty constraint"),
    ("head()", "empty head"),
    ("child(a,b,c)", "child(...) takes"),
    ('""', "empty quoted phrase"),
    ("head(lemma:a)&head(lemma:b)", "two head"),
])
def test_malformed_queries_raise(bad, needle):
    with pytest.raises(QueryError, match=None) as info:
        parse_query(bad)
    assert needle in str(info.value)


def test_query_must_be_string():
    with pytest.raises(QueryError, match="string"):
        parse_query(3)


def test_keyword_dependencies_need_one_word():
    with pytest.raises(QueryError, match="one-word query"):
        build_query("national security", head="lemma:safeguard")
    with pytest.raises(QueryError, match="pairs"):
        build_query("security", child=[("amod",)])


# ---------------------------------------------------------------- matching


def test_plain_word_is_case_insensitive_form(en):
    assert rows(en, "security") == [(4, 5), (10, 11)]
    assert rows(en, "SECURITY") == [(4, 5), (10, 11)]
    assert rows(en, "public") == [(6, 7), (14, 15)]
    assert rows(en, "public", case_sensitive=True) == [(6, 7)]
    assert rows(en, "Public", case_sensitive=True) == [(14, 15)]


def test_lemma(en):
    assert rows(en, "lemma:security") == [(4, 5), (10, 11), (17, 18)]


def test_glob_and_regex(en):
    expected = [(4, 5), (10, 11), (12, 13), (17, 18)]  # security, security, secure, Securities
    assert rows(en, "secur*") == expected
    assert rows(en, "/secur(e|ity|ities)/") == expected
    assert rows(en, "/secur(e|ity)/") == [(4, 5), (10, 11), (12, 13)]  # full match, not search
    assert rows(en, "secur?") == [(12, 13)]  # ? is exactly one character: secure
    assert rows(en, "securit?") == [(4, 5), (10, 11)]
    assert rows(en, "secure?") == []
    assert rows(en, "lemma:secur*&upos:ADJ") == [(12, 13)]


def test_upos_and_other_fields(en):
    assert rows(en, "upos:PUNCT") == [(8, 9), (13, 14), (16, 17), (19, 20)]
    assert rows(en, "xpos:NNS") == [(17, 18)]
    assert rows(en, "deprel:amod&lemma:public") == [(6, 7), (14, 15)]


def test_phrase(en):
    assert rows(en, "public opinion") == [(6, 8), (14, 16)]
    assert rows(en, '"public opinion"') == [(6, 8), (14, 16)]
    assert rows(en, "lemma:public upos:NOUN") == [(6, 8), (14, 16)]
    assert rows(en, "national security and") == [(3, 6)]
    assert rows(en, "public opinion rule") == []


def test_phrase_never_crosses_a_paragraph(en):
    # "secure ." ends paragraph 1, "Public" starts paragraph 2.
    assert rows(en, "secure .") == [(12, 14)]
    assert rows(en, ". public") == []
    # it may cross a sentence boundary inside a paragraph (". Ideological" in paragraph 1)
    assert rows(en, ". ideological") == [(8, 10)]


def test_dependency_head(en):
    # security as object of safeguard: only the first
    assert rows(en, "lemma:security&deprel:obj&head(lemma:safeguard)") == [(4, 5)]
    assert rows(en, "lemma:security", head="lemma:safeguard", deprel="obj") == [(4, 5)]
    assert rows(en, "lemma:security", head="lemma:secure") == [(10, 11)]
    assert rows(en, "lemma:security", deprel="nsubj*") == [(10, 11), (17, 18)]


def test_dependency_child(en):
    assert rows(en, "lemma:security&child(amod,lemma:ideological)") == [(10, 11)]
    assert rows(en, "lemma:security", child=("amod", "lemma:ideological")) == [(10, 11)]
    assert rows(en, "lemma:security", child=[("amod", "national"), ("conj", "lemma:opinion")]) == [(4, 5)]
    assert rows(en, "lemma:security&child(lemma:national)") == [(4, 5)]  # any relation
    assert rows(en, "lemma:security&child(nsubj,lemma:national)") == []


def test_chinese_literal_matches_across_words(zh):
    # 网络安全 is two words (网络 + 安全) in UD GSD segmentation.
    assert rows(zh, "网络安全") == [(1, 3)]
    assert rows(zh, "安全") == [(2, 3), (5, 6), (7, 8)]
    assert rows(zh, "网络") == [(1, 2), (6, 7)]
    # runs never leave a paragraph: 网络 (p2) + 安全 (p3) is not a hit
    assert rows(zh, "意识形态安全") == [(4, 6)]
    assert rows(zh, "网络 安全") == [(1, 3)]


def test_metadata_mask(en):
    assert metadata_mask(en, {"voice": "official"}).all()
    assert not metadata_mask(en, {"voice": "framing"}).any()
    assert metadata_mask(en, {"voice": ["framing", "official"]}).all()
    assert metadata_mask(en, {"date": slice("2014-08-01", "2014-08-31")}).all()
    assert not metadata_mask(en, {"date": slice("2014-09-01", None)}).any()
    assert metadata_mask(en, {"date": slice(None, "2014-08-18")}).all()
    assert metadata_mask(en, {"upos": "PUNCT"}).sum() == 4
    with pytest.raises(QueryError, match="no such column"):
        metadata_mask(en, {"colour": "red"})
    # a tuple is a set of values (any of), never a range: one meaning in every function
    assert not metadata_mask(en, {"date": ("2014-08-01", "2014-08-31")}).any()
    with pytest.raises(QueryError, match="no step"):
        metadata_mask(en, {"date": slice("a", "b", 2)})


def test_matcher_agrees_with_a_row_by_row_scan(en):
    """The vectorised matcher against a plain Python loop over the rows."""
    forms = [str(f) for f in en["form"]]
    lemmas = [str(x) for x in en["lemma"]]
    upos = [str(x) for x in en["upos"]]
    assert rows(en, "lemma:security&upos:NOUN") == [(i, i + 1) for i in range(len(en))
                                                     if lemmas[i] == "security" and upos[i] == "NOUN"]
    assert rows(en, "s*") == [(i, i + 1) for i in range(len(en)) if forms[i].lower().startswith("s")]


def test_empty_table():
    empty = tokens_from_conllu("1\tx\tx\tX\t_\t_\t0\troot\t_\t_\n").iloc[:0]
    starts, ends = match_spans(empty, "security")
    assert len(starts) == 0 and len(ends) == 0
    assert isinstance(starts, np.ndarray)
    assert isinstance(empty, pd.DataFrame)


@pytest.mark.parametrize("query", [
    "security", "lemma:security", "secur*", "/secur(e|ity)/", "lemma:security&upos:NOUN",
    "lemma:security&deprel:obj&head(lemma:safeguard)", "lemma:security&child(amod,lemma:ideological)",
    "head(lemma:safeguard)", "child(amod,*)", "upos:PUNCT", "xpos:NNS&lemma:secur*", "nothing",
])
def test_inverted_index_path_equals_full_table_masks(en, query):
    """Single-word queries: the inverted-index path gives exactly the rows of the full-table mask."""
    from analysis.query import term_mask

    for case_sensitive in (False, True):
        starts, ends = match_spans(en, query, case_sensitive=case_sensitive)
        term = parse_query(query).terms[0]
        expected = np.flatnonzero(term_mask(en, term, case_sensitive=case_sensitive))
        assert starts.tolist() == expected.tolist()
        assert (ends == starts + 1).all()


def test_phrase_paths_agree(en, zh):
    """Phrases: the row-wise path (English) against a loop over the full-table masks."""
    from analysis.query import term_mask, token_index

    for query in ["public opinion", "lemma:public upos:NOUN", "national security and", ". ideological"]:
        q = parse_query(query)
        masks = [term_mask(en, t) for t in q.terms]
        par = token_index(en).par_row
        k = len(masks)
        expected = [i for i in range(len(en) - k + 1)
                    if all(masks[j][i + j] for j in range(k)) and par[i] == par[i + k - 1]]
        assert [s for s, _ in rows(en, query)] == expected, query


def test_dependency_queries_refuse_tables_with_gaps(en):
    """A table filtered word by word has no reliable heads: dependency queries say so."""
    nouns = en[en["upos"] != "ADJ"].reset_index(drop=True)
    assert rows(nouns, "lemma:security") == [(3, 4), (7, 8), (12, 13)]  # plain queries still work
    with pytest.raises(QueryError, match="whole sentences"):
        match_spans(nouns, "lemma:security&head(lemma:safeguard)")
    with pytest.raises(QueryError, match="whole sentences"):
        match_spans(nouns, "lemma:security", child=("amod", "*"))


# ---------------------------------------------------------------- many queries at once


def _mixed(en, zh):
    from analysis.tokens import concat_tokens

    return concat_tokens([en, zh])


MANY = ["security", "lemma:security", "secur*", "lemma:secur*|secur*", "Secur?ties", "/secur(e|ity)/",
        "public opinion", "lemma:public|public lemma:opinion|opinion", "lemma:security&upos:NOUN",
        "lemma:security&head(lemma:safeguard)", "child(amod,*)", "网络安全", "网络 安全", "意识形态安全",
        "安全", "lemma:安*|安*", "nothing", "upos:PUNCT", "national security and"]


@pytest.mark.parametrize("within", ["paragraph", "sentence", "document"])
def test_match_many_equals_one_query_at_a_time(en, zh, within):
    """The batch matcher (theme dictionaries) gives exactly each query's own matches."""
    from analysis.query import match_many

    table = _mixed(en, zh)
    for case_sensitive in (False, True):
        together = match_many(table, MANY, case_sensitive=case_sensitive, within=within)
        for query, (starts, ends) in zip(MANY, together):
            s1, e1 = match_spans(table, query, case_sensitive=case_sensitive, within=within)
            assert starts.tolist() == s1.tolist() and ends.tolist() == e1.tolist(), query


def test_category_masks_in_one_pass_equal_one_at_a_time():
    """Literals by lookup and globs through one combined expression: the masks of one pattern at a time,
    letter case folded as Python's regular expressions fold it (ſ, K, İ included)."""
    from analysis.query import Pattern, _category_mask, _category_masks

    words = ["security", "Security", "SECURITIES", "ſecurity", "insecure", "Kelvin", "kelvin", "İstanbul",
             "istanbul", "a*b", "a.b", "网络", "网络安全", "", "s"]
    col = pd.Series(pd.Categorical(words + [None]))
    patterns = [Pattern("literal", "security"), Pattern("literal", "Security"), Pattern("glob", "secur*"),
                Pattern("glob", "*ity"), Pattern("glob", "s?curity"), Pattern("glob", "kelvin"),
                Pattern("glob", "i*"), Pattern("glob", "a\\*b"), Pattern("glob", "网*"), Pattern("regex", "sec.*"),
                Pattern("literal", "absent"), Pattern("glob", "?")]
    for case_sensitive in (False, True):
        batch = _category_masks(col, patterns, case_sensitive)
        for p, mask in zip(patterns, batch):
            assert mask.tolist() == _category_mask(col, p, case_sensitive).tolist(), p


def test_chinese_runs_from_the_inverted_index_equal_a_scan(en, zh):
    """Word-spanning Chinese runs found through the form index: the runs a scan of the categories finds."""
    from analysis.query import _zh_runs, _zh_runs_scan, token_index

    table = _mixed(en, zh)
    index = token_index(table)
    for within in ("paragraph", "sentence"):
        bounds, unit = index.bounds(within)
        for literal in ["网络安全", "意识形态安全", "安全和", "网络", "security", "维护网络"]:
            for case_sensitive in (False, True):
                fast = _zh_runs(table, literal, index, case_sensitive, bounds, unit)
                slow = _zh_runs_scan(table, literal, index, case_sensitive, bounds, unit, index._unspaced)
                assert [a.tolist() for a in fast] == [a.tolist() for a in slow], literal
