"""CoNLL-U reading and writing: validation errors name the file and line; round trips are exact."""

from __future__ import annotations

import pytest

from analysis.conllu import format_conllu, parse_conllu, read_conllu
from analysis.errors import AnnotationError
from analysis.tokens import tokens_from_conllu

GOOD = """# newdoc id = d1
# newpar id = d1-p3
# sent_id = d1-s1
# text = We don't act.
1\tWe\twe\tPRON\tPRP\t_\t4\tnsubj\t_\tstart_char=100|end_char=102
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\tstart_char=103|end_char=108
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tact\tact\tVERB\tVB\t_\t0\troot\t_\tstart_char=109|end_char=112
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\tstart_char=112|end_char=113

# newpar id = d1-p4
# sent_id = d1-s2
# text = 网络安全
1\t网络\t网络\tNOUN\tNN\t_\t2\tcompound\t_\tstart_char=120|end_char=122
2\t安全\t安全\tNOUN\tNN\t_\t0\troot\t_\tstart_char=122|end_char=124

"""


def test_parse_keeps_paragraphs_offsets_and_multiword_tokens():
    sents = parse_conllu(GOOD)
    assert [s.par for s in sents] == [3, 4]
    assert [w.form for w in sents[0].words] == ["We", "do", "n't", "act", "."]
    # words inside the multi-word token share its offsets
    assert [(w.start_char, w.end_char) for w in sents[0].words[1:3]] == [(103, 108), (103, 108)]
    assert sents[0].tokens == [(2, 3, "don't", "start_char=103|end_char=108")]
    assert (sents[1].words[1].start_char, sents[1].words[1].end_char) == (122, 124)


def test_format_then_parse_round_trips_exactly():
    sents = parse_conllu(GOOD)
    text = format_conllu(sents, doc_id="d1")
    assert text == GOOD
    assert format_conllu(parse_conllu(text), doc_id="d1") == text


def test_tokens_table_from_hand_built_conllu():
    t = tokens_from_conllu(GOOD, doc_id="d1", lang="en", voice="official")
    assert list(t.par) == [3, 3, 3, 3, 3, 4, 4]
    assert list(t.sent) == [1, 1, 1, 1, 1, 2, 2]
    assert list(t.lemma[:3]) == ["we", "do", "not"]
    assert list(t["head"]) == [4, 4, 4, 0, 4, 2, 0]
    assert t.start_char.tolist()[:3] == [100, 103, 103]
    assert str(t.start_char.dtype) == "Int32" and str(t.idx.dtype) == "int16"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_wrong_column_count_names_file_and_line(tmp_path):
    bad = GOOD.replace("4\tact\tact\tVERB\tVB\t_\t0\troot\t_\t", "4\tact\tact\tVERB\tVB\t0\troot\t_\t")
    path = tmp_path / "bad.conllu"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(AnnotationError) as exc:
        read_conllu(path)
    msg = str(exc.value)
    assert str(path) in msg
    line = _line_of(bad, "\tact\t")
    assert f"line {line}" in msg
    assert "10 tab-separated columns, found 9" in msg


def test_non_integer_head_names_line(tmp_path):
    bad = GOOD.replace("1\tWe\twe\tPRON\tPRP\t_\t4\t", "1\tWe\twe\tPRON\tPRP\t_\tfour\t")
    line = _line_of(bad, "\tWe\t")
    with pytest.raises(AnnotationError, match=rf"x.conllu, line {line}: .*HEAD 'four'"):
        parse_conllu(bad, source="x.conllu")


def test_head_outside_sentence_is_an_error():
    bad = GOOD.replace("1\tWe\twe\tPRON\tPRP\t_\t4\t", "1\tWe\twe\tPRON\tPRP\t_\t9\t")
    with pytest.raises(AnnotationError, match=r"f.conllu, sentence ending before line 11: word 1 has head 9, outside 0..5"):
        parse_conllu(bad, source="f.conllu")


def test_cycle_is_an_error():
    # 1 -> 2 -> 1 with 3 the root: a cycle not reaching the root
    bad = ("1\ta\ta\tX\t_\t_\t2\tdep\t_\t_\n"
           "2\tb\tb\tX\t_\t_\t1\tdep\t_\t_\n"
           "3\tc\tc\tX\t_\t_\t0\troot\t_\t_\n\n")
    with pytest.raises(AnnotationError, match=r"cyc.conllu, sentence ending before line 4: word 1 is on a dependency cycle"):
        parse_conllu(bad, source="cyc.conllu")


def test_two_roots_and_out_of_sequence_ids_are_errors():
    two_roots = "1\ta\ta\tX\t_\t_\t0\troot\t_\t_\n2\tb\tb\tX\t_\t_\t0\troot\t_\t_\n\n"
    with pytest.raises(AnnotationError, match="2 roots"):
        parse_conllu(two_roots)
    skipped = "1\ta\ta\tX\t_\t_\t0\troot\t_\t_\n3\tb\tb\tX\t_\t_\t1\tdep\t_\t_\n\n"
    with pytest.raises(AnnotationError, match="line 2: word id 3 out of sequence"):
        parse_conllu(skipped)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(AnnotationError, match="no such CoNLL-U file"):
        read_conllu(tmp_path / "nope.conllu")
    path = tmp_path / "latin1.conllu"
    path.write_bytes("1\tcaf\xe9\tcaf\xe9\tNOUN\t_\t_\t0\troot\t_\t_\n".encode("latin-1"))
    with pytest.raises(AnnotationError, match="not UTF-8"):
        read_conllu(path)
