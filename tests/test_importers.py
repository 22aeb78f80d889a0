"""Importing other corpora: each format, and each bad input."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys

import pytest

import analysis
from analysis.cli import main
from analysis.errors import CorpusImportError
from analysis.importers import guess_lang, import_corpus, read_corpus, split_paragraphs


def test_folder_of_txt_files(tmp_path):
    (tmp_path / "b.txt").write_text("Second doc.\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First paragraph.\n\nSecond  paragraph.\n \n\n网络安全", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert corpus.doc_ids == ["a", "b"]
    pars = corpus["a"].paragraphs
    assert [p.text for p in pars] == ["First paragraph.", "Second  paragraph.", "网络安全"]
    raw = (tmp_path / "a.txt").read_text(encoding="utf-8")
    assert all(raw[p.start:p.end] == p.text for p in pars)
    assert corpus["a"].lang == "en" and pars[0].voice == "text"


def test_csv_with_metadata(tmp_path):
    path = tmp_path / "speeches.csv"
    path.write_text('id,text,outlet,date,speaker\n'
                    's1,"We must persist.\n\nSecond paragraph.",Xinhua,2014-03-28,Liu\n'
                    's2,必须坚持党的领导。,Qiushi,2014-04-01,Qiu\n', encoding="utf-8")
    corpus = read_corpus(path)
    docs = corpus.documents.set_index("doc_id")
    assert list(docs.index) == ["s1", "s2"]
    assert docs.loc["s1", "outlet"] == "Xinhua" and docs.loc["s2", "lang"] == "zh"
    assert docs.loc["s1", "speaker"] == "Liu"  # unknown columns are kept as metadata
    assert len(corpus["s1"].paragraphs) == 2


def test_jsonl_with_text_column(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"doc_id": "x", "body": "Hello world.", "voice": "framing"}) + "\n\n"
                    + json.dumps({"doc_id": "y", "body": "Again."}) + "\n", encoding="utf-8")
    corpus = read_corpus(path, text_column="body")
    assert corpus.doc_ids == ["x", "y"]
    assert corpus["x"].paragraphs[0].voice == "framing"


def test_import_writes_documents_jsonl_loadable(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Text.", encoding="utf-8")
    out = tmp_path / "out"
    corpus = import_corpus(src, out)
    assert analysis.load_corpus(out).to_jsonl() == corpus.to_jsonl()


def test_other_encoding_with_option(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("网络安全和信息化".encode("gb18030"))
    with pytest.raises(CorpusImportError, match=r"gbk.txt: not valid utf-8 at byte offset 0; .*--encoding"):
        read_corpus(path)
    assert read_corpus(path, encoding="gb18030")["gbk"].paragraphs[0].text == "网络安全和信息化"


@pytest.mark.parametrize("setup, message", [
    (lambda d: d / "missing", "no such file or folder"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "no .txt files"),
    (lambda d: (d / "e.csv").write_text("", encoding="utf-8") and d / "e.csv" or d / "e.csv", "empty file"),
    (lambda d: (d / "bin.txt").write_bytes(b"\x89PNG\x00\x00") and d / "bin.txt", "binary file"),
    (lambda d: (d / "t.csv").write_text("id,body\n1,x\n", encoding="utf-8") and d / "t.csv",
     "no text column 'text'; columns are body, id"),
    (lambda d: (d / "dup.csv").write_text("id,text\n1,a\n1,b\n", encoding="utf-8") and d / "dup.csv",
     "duplicate document id '1'"),
    (lambda d: (d / "bad.jsonl").write_text('{"text": "a"}\n{"text": "b"\n', encoding="utf-8") and d / "bad.jsonl",
     "bad.jsonl, line 2: malformed JSON"),
    (lambda d: (d / "x.docx").write_bytes(b"PK") and d / "x.docx", "unknown format"),
    (lambda d: (d / "blank.csv").write_text("id,text\n1,  \n", encoding="utf-8") and d / "blank.csv",
     "row 2: empty text"),
])
def test_bad_input_is_explained(tmp_path, setup, message):
    path = setup(tmp_path)
    with pytest.raises(CorpusImportError, match=message):
        read_corpus(path)


def test_failed_import_leaves_nothing_behind(tmp_path):
    bad = tmp_path / "dup.csv"
    bad.write_text("id,text\n1,a\n1,b\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(CorpusImportError):
        import_corpus(bad, out)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["dup.csv"]


def test_import_refuses_non_empty_output(tmp_path):
    (tmp_path / "src.txt").write_text("x", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(CorpusImportError, match="not empty"):
        import_corpus(tmp_path / "src.txt", out)
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_helpers():
    assert guess_lang("必须坚持 the rule") == "zh" and guess_lang("the rule of law") == "en"
    assert [t for _, _, t in split_paragraphs("a\r\n\r\nb\n\u00a0\nc")] == ["a", "b", "c"]


# ---------------------------------------------------------------------------------------------
# Strict parsing: each malformed input is an error naming the file and the line (or byte offset),
# and a failed import_corpus / `tifa corpus import` writes nothing.
# ---------------------------------------------------------------------------------------------

def _refused(tmp_path, name, content, message, **options):
    """Write ``content`` to ``name``; both read_corpus and import_corpus refuse it with ``message``,
    and the failed import leaves nothing beside the input file."""
    path = tmp_path / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusImportError, match=message):
        read_corpus(path, **options)
    out = tmp_path / "out"
    with pytest.raises(CorpusImportError, match=message):
        import_corpus(path, out, **options)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == [name]


def test_csv_unclosed_quote_is_refused_not_merged(tmp_path):
    # the quote opened on line 3 is never closed: csv alone would swallow rows 3-5 into one text
    _refused(tmp_path, "open.csv", 'id,text\n1,First.\n2,"Second.\n3,Third.\n4,Fourth.\n',
             r"open\.csv, line 3: a quote .* never closed")


def test_csv_text_after_closing_quote_is_refused(tmp_path):
    _refused(tmp_path, "q.csv", 'id,text\n1,ok\n2,"quoted" then more\n', r"q\.csv, line 3: malformed CSV .*double")


def test_csv_duplicate_header_is_refused(tmp_path):
    _refused(tmp_path, "dup.csv", "id,text,text\n1,a,b\n", r"dup\.csv, line 1: duplicate column name\(s\) 'text'")


@pytest.mark.parametrize("content, line, message", [
    ("id,text\n1,a\n2,b,c\n", 3, "3 fields but the header has 2 columns"),
    ("id,text,date\n1,a,2014\n2,b\n", 3, "2 fields but the header has 3 columns"),
    ('id,text\n1,"two\n\nlines"\n\n2\n', 6, "1 field but the header has 2 columns"),  # lines, not rows
])
def test_csv_ragged_rows_are_refused(tmp_path, content, line, message):
    _refused(tmp_path, "ragged.csv", content, rf"ragged\.csv, line {line}: {message}")


def test_csv_rows_spanning_lines_keep_row_numbers(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('id,text\n1,"a\n\nb"\n,  \n', encoding="utf-8")
    with pytest.raises(CorpusImportError, match=r"multi\.csv, row 3 \(line 5\): empty text"):
        read_corpus(path)


def test_csv_long_text_is_read(tmp_path):
    path = tmp_path / "long.csv"
    text = "word " * 40_000  # 200,000 characters: over csv's default field limit
    path.write_text(f'id,text\n1,"{text}"\n', encoding="utf-8")
    limit = csv.field_size_limit()
    assert read_corpus(path)["1"].paragraphs[0].text == text.strip()
    assert csv.field_size_limit() == limit  # the csv module's limit is restored


@pytest.mark.parametrize("value, shown", [
    ("123", r"a number \(123\)"), ("1.5", r"a number \(1\.5\)"), ('["a", "b"]', r'a list \(\["a", "b"\]\)'),
    ("null", "null"), ("true", r"a boolean \(true\)"), ('{"en": "x"}', r'an object \(\{"en": "x"\}\)'),
])
def test_jsonl_text_that_is_not_a_string(tmp_path, value, shown):
    _refused(tmp_path, "docs.jsonl", '{"text": "fine"}\n\n{"text": ' + value + "}\n",
             rf"docs\.jsonl, line 3: text is {shown}, not a string")


def test_jsonl_missing_text_keeps_its_message(tmp_path):
    _refused(tmp_path, "docs.jsonl", '{"text": "fine"}\n{"body": "x"}\n', r"line 2: empty text in column 'text'")


def test_jsonl_lines_end_at_newline_only(tmp_path):
    path = tmp_path / "sep.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "one\u2028two"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert read_corpus(path)["a"].paragraphs[0].text == "one\u2028two"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("option", [{}, {"encoding": "utf-16"}])
def test_utf16_and_utf32_with_bom_are_decoded(tmp_path, encoding, option):
    text = 'id,text\n网1,"网络安全 and the rule of law."\n'
    data = text.encode(encoding)
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = {"utf-16-be": b"\xfe\xff"}[encoding] + data  # the -be codec writes no mark
    (tmp_path / "wide.csv").write_bytes(data)
    corpus = read_corpus(tmp_path / "wide.csv", **option)
    assert corpus.doc_ids == ["网1"] and corpus["网1"].paragraphs[0].text == "网络安全 and the rule of law."


def test_utf8_bom_is_dropped(tmp_path):
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfid,text\n1,x\n")
    assert read_corpus(tmp_path / "bom.csv").doc_ids == ["1"]  # the header is "id", not "\ufeffid"


def test_nul_after_decoding_is_refused_with_offset(tmp_path):
    # BOM (2 bytes) + "ab" (4 bytes): the NUL character starts at byte 6
    _refused(tmp_path, "nul.txt", "ab\x00c".encode("utf-16"), r"nul\.txt: NUL character at byte offset 6")


def test_nul_anywhere_is_refused_with_offset(tmp_path):
    # not only in the first 8 KB
    _refused(tmp_path, "late.txt", b"a" * 9000 + b"\x00b", r"late\.txt: looks like a binary file \(NUL byte at byte offset 9000\)")


@pytest.mark.parametrize("raw, message", [
    (".", "names a folder"), ("..", "names a folder"), ("a/b", "path separator"), ("a\\\\b", "path separator"),
    ("a\\tb", "control character"), ("a\\u2028b", "control character"),
])
def test_ids_that_cannot_name_a_file_are_refused(tmp_path, raw, message):
    _refused(tmp_path, "ids.jsonl", '{"id": "ok", "text": "a"}\n{"id": "' + raw + '", "text": "b"}\n',
             rf"ids\.jsonl, line 2: document id .* {message}")


def test_csv_id_refused_names_the_row(tmp_path):
    _refused(tmp_path, "ids.csv", "id,text\n1,a\n..,b\n", r"ids\.csv, row 3: document id '\.\.' names a folder")


def test_id_that_is_not_text_is_refused(tmp_path):
    _refused(tmp_path, "ids.jsonl", '{"id": ["x"], "text": "a"}\n', r"line 1: id is a list .*not a string")


def test_blank_ids_are_numbered_and_unicode_ids_kept(tmp_path):
    path = tmp_path / "ids.jsonl"
    path.write_text('{"id": " ", "text": "a"}\n{"id": null, "text": "b"}\n{"id": " 网络安全 ", "text": "c"}\n'
                    '{"id": 7, "text": "d"}\n', encoding="utf-8")
    assert read_corpus(path).doc_ids == ["ids-1", "ids-2", "网络安全", "7"]


def test_txt_file_named_like_a_folder_is_refused(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "..txt").write_text("x", encoding="utf-8")  # id "."
    with pytest.raises(CorpusImportError, match=r"\.\.txt: document id '\.' names a folder"):
        read_corpus(src)


def test_import_gives_the_output_ordinary_permissions(tmp_path):
    (tmp_path / "a.txt").write_text("Text.", encoding="utf-8")
    old = os.umask(0o022)
    try:
        import_corpus(tmp_path / "a.txt", tmp_path / "out")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


def test_import_removes_a_killed_import_leftover(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "a.txt").write_text("Text.", encoding="utf-8")
    stale = tmp_path / f".tmp-out.{dead.pid}-x1y2"  # the temporary folder of an import that was killed
    stale.mkdir()
    (stale / "documents.jsonl").write_text("{", encoding="utf-8")
    import_corpus(tmp_path / "a.txt", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "out"]


def test_cli_import_of_bad_csv_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text('id,text\n1,"never closed\n2,b\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["corpus", "import", str(bad), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tifa: error: ") and "bad.csv, line 2" in lines[0]
    assert captured.out == ""
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["bad.csv"]


# ---------------------------------------------------------------------------------------------
# Streaming import: CSV and JSON Lines are read a block at a time (tiny blocks here, so that lines,
# quoted line breaks and multi-byte characters straddle block boundaries) and written one document
# at a time; the documents and the errors are those of the in-memory reader.
# ---------------------------------------------------------------------------------------------

from analysis import importers  # noqa: E402
from analysis.importers import iter_documents, stream_import  # noqa: E402

_STREAM_FILES = {
    "crlf.csv": 'id,text,outlet\r\n1,"We must.\r\n\r\nSecond, quoted.",Xinhua\r\n2,网络安全是国家安全。,Qiushi\r\n\r\n3,Last,People\'s Daily',
    "cr.csv": "id,text\r1,one\r2,two\r",
    "plain.csv": 'doc_id,text\nx,"He said ""no"".\n\nThen left."\ny,Short.\n',
    "lines.jsonl": ('{"doc_id": "a", "text": "One.\\n\\nTwo.", "voice": "framing"}\n\n'
                    '{"doc_id": "b", "text": "网络\\u2028安全", "n": 3}\r\n{"text": "no id"}'),
}


@pytest.mark.parametrize("name", sorted(_STREAM_FILES))
@pytest.mark.parametrize("block", [1, 5, 1 << 20])
def test_streamed_documents_equal_the_in_memory_ones(tmp_path, monkeypatch, name, block):
    path = tmp_path / name
    path.write_text(_STREAM_FILES[name], encoding="utf-8", newline="")
    monkeypatch.setattr(importers, "_BLOCK", block)
    expected = read_corpus(path)
    assert [d.to_record() for d in iter_documents(path)] == [d.to_record() for d in expected]
    assert stream_import(path, tmp_path / "out") == len(expected)
    # documents.jsonl is byte for byte what Corpus.save writes
    expected.save(tmp_path / "saved")
    assert (tmp_path / "out" / "documents.jsonl").read_bytes() == (tmp_path / "saved" / "documents.jsonl").read_bytes()


def test_streamed_gb18030_and_bom_files_equal_the_in_memory_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(importers, "_BLOCK", 3)
    gb = tmp_path / "gb.jsonl"
    gb.write_bytes('{"id": "z", "text": "网络安全是国家安全的重要组成部分。"}\n'.encode("gb18030"))
    assert ([d.to_record() for d in iter_documents(gb, encoding="gb18030")]
            == [d.to_record() for d in read_corpus(gb, encoding="gb18030")])
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfid,text\n1,Hello.\n")
    docs = list(iter_documents(bom))
    assert [d.doc_id for d in docs] == ["1"] and docs[0].paragraphs[0].text == "Hello."
    wide = tmp_path / "wide.csv"  # UTF-16 is read whole (not line by line), with the same result
    wide.write_text("id,text\n1,Hello.\n", encoding="utf-16")
    assert [d.to_record() for d in iter_documents(wide)] == [d.to_record() for d in read_corpus(wide)]


@pytest.mark.parametrize("name, content, message", [
    ("bad.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9"}\n', r"bad\.jsonl: not valid utf-8 at byte offset 28;"),
    ("nul.csv", b"id,text\n1,\xff\n2,a\x00b\n", r"nul\.csv: looks like a binary file \(NUL byte at byte offset 15\)"),
    ("dup.jsonl", '{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n{"id": ".", "text": "c"}\n',
     r"dup\.jsonl, line 3: document id '\.' names a folder"),  # an id error comes before a duplicate, as in memory
    ("cols.jsonl", '{"id": "x", "text": ""}\n{"id": "y", "body": "b"}\n', r"no text column 'missing'; columns are body, id, text"),
    ("empty.jsonl", '{"id": "x", "text": "a"}\n{"id": "y", "text": " "}\n', r"empty\.jsonl, line 2: empty text"),
    ("fields.csv", "id,text\n1,a\n2,b,c\n", r"fields\.csv, line 3: 3 fields but the header has 2 columns"),
    ("open.csv", 'id,text\n1,a\n2,"b\n3,c\n', r"open\.csv, line 3: a quote .* never closed"),
    ("blank.csv", "  \n \n", r"blank\.csv: empty file"),
])
def test_streamed_import_refuses_what_the_in_memory_reader_refuses(tmp_path, monkeypatch, name, content, message):
    monkeypatch.setattr(importers, "_BLOCK", 4)
    path = tmp_path / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusImportError, match=message):
        read_corpus(path, **({"text_column": "missing"} if name == "cols.jsonl" else {}))
    with pytest.raises(CorpusImportError, match=message):
        stream_import(path, tmp_path / "out", **({"text_column": "missing"} if name == "cols.jsonl" else {}))
    assert [p.name for p in tmp_path.iterdir()] == [name]  # nothing written, no temporary folder left


def test_streamed_import_shows_progress_in_bytes(tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": f"Text {i}."}) + "\n" for i in range(50)), encoding="utf-8")
    assert stream_import(path, tmp_path / "out", progress=True) == 50
    err = capsys.readouterr().err
    assert "import p.jsonl" in err and "B" in err
    corpus = import_corpus(path, tmp_path / "again")
    assert len(corpus) == 50 and corpus.name == "p" and corpus.home is None

