"""The classroom concordance explorer: widgets drive kwic and show its result or the query error."""

from __future__ import annotations

import pytest

from analysis.explorer import ConcordanceExplorer
from analysis.tokens import concat_tokens, tokens_from_conllu

pytest.importorskip("ipywidgets")

OFFICIAL = """
# newpar id = a-p1
1\tWe\twe\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2\tmust\tmust\tAUX\tMD\t_\t3\taux\t_\t_
3\tsafeguard\tsafeguard\tVERB\tVB\t_\t0\troot\t_\t_
4\tnational\tnational\tADJ\tJJ\t_\t5\tamod\t_\t_
5\tsecurity\tsecurity\tNOUN\tNN\t_\t3\tobj\t_\t_
6\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_
"""
FRAMING = """
# newpar id = b-p1
1\tSecurity\tsecurity\tNOUN\tNN\t_\t2\tnsubj\t_\t_
2\tmatters\tmatter\tVERB\tVBZ\t_\t0\troot\t_\t_
3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_
"""


@pytest.fixture
def tokens():
    return concat_tokens([tokens_from_conllu(OFFICIAL, doc_id="a", lang="en", voice="official"),
                          tokens_from_conllu(FRAMING, doc_id="b", lang="en", voice="framing")])


def test_explorer_updates_on_every_control(tokens):
    ex = ConcordanceExplorer(tokens, "lemma:security", window=2)
    table = lambda: ex.output.value.split('<div class="tifa-kwic-paragraphs">')[0]  # noqa: E731 - the rows only
    assert ex.message == "2 hits" and ">safeguard national<" in table()  # two words of left context
    assert "must safeguard national" not in table()
    assert list(ex.filter_column.options) == ["(no filter)", "voice"]  # lang has one value: nothing to filter
    ex.filter_column.value = "voice"
    ex.filter_value.value = "framing"
    assert ex.message == "1 hit" and list(ex.result.doc_id) == ["b"]
    ex.filter_value.value = "(all)"
    ex.window.value = 3
    assert "must safeguard national" in table()
    ex.sort.value = "1st word right (R1)"
    assert list(ex.result.right.str.split().str[0]) == [".", "matters"]


def test_explorer_shows_query_errors_instead_of_raising(tokens):
    ex = ConcordanceExplorer(tokens)
    ex.query.value = "lemma:"
    assert ex.result is None and ex.message and "D55E00" in ex.output.value


def test_explorer_filters_on_a_corpus_own_column_and_counts_characters():
    """A corpus without voice: the filter offers its own column; a character window for Chinese."""
    zh = """
# newpar id = z-p1
1\t我们\t我们\tPRON\tPRP\t_\t2\tnsubj\t_\t_
2\t维护\t维护\tVERB\tVV\t_\t0\troot\t_\t_
3\t网络\t网络\tNOUN\tNN\t_\t4\tcompound\t_\t_
4\t安全\t安全\tNOUN\tNN\t_\t2\tobj\t_\t_
5\t。\t。\tPUNCT\t.\t_\t2\tpunct\t_\t_
"""
    t = concat_tokens([tokens_from_conllu(zh, doc_id="z", lang="zh", source="ministry"),
                       tokens_from_conllu(OFFICIAL, doc_id="a", lang="en", source="press")])
    ex = ConcordanceExplorer(t, "安全", window=3, unit="char")
    assert set(ex.filter_column.options) == {"(no filter)", "lang", "source"}
    assert ex.result["left"].tolist() == ["护网络"]  # three characters of left context
    ex.filter_column.value = "source"
    ex.filter_value.value = "press"
    assert ex.message == "0 hits"
    ex.filter_value.value = "ministry"
    assert ex.message == "1 hit"
