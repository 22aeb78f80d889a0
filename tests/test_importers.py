"""Importing other corpora: each format, and each bad input."""

from __future__ import annotations

import json

import pytest

import analysis
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
