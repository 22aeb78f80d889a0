"""Annotation cache, resumption, CoNLL-U layout and load_tokens, with an injected fake parser.

The fake parser splits a paragraph on whitespace, one sentence per "."-terminated run, and makes
the first word the root; it counts its calls and the texts it parsed, so the tests can check
exactly what was (re)parsed. One slow test runs the real compact Stanza models.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from analysis import models
from analysis.annotation import (annotate, annotation_path, annotations_current, document_status,
                                 ensure_annotations, find_annotations, read_header, read_provenance, with_integrity)
from analysis.conllu import Sentence, Word, read_conllu
from analysis.corpus import Corpus, Document, Paragraph
from analysis.errors import AnnotationError, ModelNotFoundError
from analysis.models import ModelSet
from analysis.tokens import TOKEN_COLUMNS, bytes_per_token, load_tokens


class FakeParsers:
    """A pipeline factory whose parsers record every text they parse."""

    def __init__(self, fail_after: int | None = None):
        self.calls: list[tuple[str, list[str]]] = []
        self.fail_after = fail_after

    def __call__(self, model_set, lang):
        def parse(texts):
            if self.fail_after is not None and len(self.calls) >= self.fail_after:
                raise KeyboardInterrupt("simulated kill")
            self.calls.append((lang, list(texts)))
            return [split_sentences(t) for t in texts]

        return parse

    @property
    def texts(self) -> list[str]:
        return [t for _, texts in self.calls for t in texts]


def split_sentences(text: str) -> list[Sentence]:
    sentences, words = [], []
    for m in re.finditer(r"\S+", text):
        words.append(Word(len(words) + 1, m.group(), m.group().lower(), "X", "_", "_",
                          0 if not words else 1, "root" if not words else "dep",
                          start_char=m.start(), end_char=m.end()))
        if m.group().endswith("."):
            sentences.append(Sentence(words, {"text": text}))
            words = []
    if words:
        sentences.append(Sentence(words, {"text": text}))
    return sentences


def fake_model_set(version: str = "1") -> ModelSet:
    return ModelSet(Path("/nowhere"), "fake", {"en": {"tokenize": "fake"}, "zh-hans": {"tokenize": "fake"}},
                    {"en/tokenize/fake": version, "zh-hans/tokenize/fake": version}, "0.0")


def doc(doc_id: str, *texts: str, start: int | None = 0, **meta) -> Document:
    pars, pos = [], start
    for i, t in enumerate(texts, 1):
        lang = "zh" if re.search(r"[\u4e00-\u9fff]{2}", t) and not re.search(r"[a-z]{3}", t) else "en"
        pars.append(Paragraph(i, t, voice="original" if lang == "zh" else "framing", lang=lang,
                              start=pos, end=None if pos is None else pos + len(t)))
        if pos is not None:
            pos += len(t) + 2
    return Document(doc_id, tuple(pars), lang=meta.pop("lang", "en"), **meta)


def small_corpus() -> Corpus:
    return Corpus([
        doc("a", "We act now. They wait.", "网络 安全 。", kind="translation", title="A", outlet="Qiushi", date="2014-05-01"),
        doc("b", "Cyberspace sovereignty matters.", kind="commentary", title="B"),
        doc("c", "One. Two.", "Three.", kind="commentary", title="C"),
    ])


def run(corpus, tmp_path, factory, **kw):
    return annotate(corpus, model_set=kw.pop("model_set", fake_model_set()), out_dir=tmp_path / "ann",
                    pipeline_factory=factory, progress=False, **kw)


# -- layout -------------------------------------------------------------------------------------


def test_files_keep_paragraphs_offsets_and_cache_key(tmp_path):
    corpus = small_corpus()
    report = run(corpus, tmp_path, FakeParsers())
    assert sorted(report.parsed) == ["a", "b", "c"] and report.words == 14
    text = annotation_path(tmp_path / "ann", "a").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[:3] == ["# newdoc id = a", f"# tifa_text_hash = {corpus['a'].text_hash}",
                         f"# tifa_model_set = {fake_model_set().id}"]
    assert "# newpar id = a-p1" in lines and "# newpar id = a-p2" in lines
    assert [l for l in lines if l.startswith("# sent_id")] == ["# sent_id = a-s1", "# sent_id = a-s2", "# sent_id = a-s3"]
    sents = read_conllu(annotation_path(tmp_path / "ann", "a"))
    assert [s.par for s in sents] == [1, 1, 2]
    # offsets point into the raw source: paragraph start + offset in the paragraph
    p2 = corpus["a"].paragraphs[1]
    w = sents[2].words[1]
    assert (w.form, w.start_char, w.end_char) == ("安全", p2.start + 3, p2.start + 5)


def test_paragraphs_are_routed_by_language_and_batched(tmp_path):
    parsers = FakeParsers()
    run(small_corpus(), tmp_path, parsers)
    langs = [lang for lang, _ in parsers.calls]
    assert sorted(langs) == ["en", "zh-hans"]  # one batch per language for the whole (small) corpus
    zh_texts = dict(parsers.calls)["zh-hans"]
    assert zh_texts == ["网络 安全 。"]
    assert len(dict(parsers.calls)["en"]) == 4  # each English paragraph parsed separately


def test_offsets_without_paragraph_starts_are_within_paragraph(tmp_path):
    corpus = Corpus([doc("x", "Alpha beta.", "Gamma.", start=None)])
    run(corpus, tmp_path, FakeParsers())
    sents = read_conllu(annotation_path(tmp_path / "ann", "x"))
    assert (sents[1].words[0].start_char, sents[1].words[0].end_char) == (0, 6)


# -- cache --------------------------------------------------------------------------------------


def test_warm_rerun_parses_nothing_and_writes_nothing(tmp_path):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ann").iterdir()}
    again = FakeParsers()
    report = run(corpus, tmp_path, again)
    assert again.calls == [] and report.parsed == [] and sorted(report.current) == ["a", "b", "c"]
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ann").iterdir()} == mtimes
    assert "nothing parsed" in str(report)


def test_changed_text_reparses_only_that_document(tmp_path):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    changed = Corpus([corpus["a"], doc("b", "Cyberspace sovereignty matters a lot.", kind="commentary"), corpus["c"]])
    again = FakeParsers()
    report = run(changed, tmp_path, again)
    assert report.parsed == ["b"]
    assert again.texts == ["Cyberspace sovereignty matters a lot."]
    assert read_provenance(tmp_path / "ann")["documents"]["b"] == changed["b"].text_hash


def test_changed_model_set_reparses_everything(tmp_path):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    again = FakeParsers()
    report = run(corpus, tmp_path, again, model_set=fake_model_set("2"))
    assert sorted(report.parsed) == ["a", "b", "c"]
    assert read_header(annotation_path(tmp_path / "ann", "a"))["tifa_model_set"] == fake_model_set("2").id


def test_force_reparses_current_documents(tmp_path):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    again = FakeParsers()
    assert sorted(run(corpus, tmp_path, again, force=True).parsed) == ["a", "b", "c"]


def test_crash_between_documents_resumes(tmp_path):
    corpus = small_corpus()
    # batch_chars=1: every document is its own batch; the third parser call is killed
    with pytest.raises(KeyboardInterrupt):
        run(corpus, tmp_path, FakeParsers(fail_after=2), batch_chars=1)
    status = document_status(corpus, tmp_path / "ann", fake_model_set().id)
    assert status == {"a": "current", "b": "missing", "c": "missing"}  # doc a: en + zh calls, then killed
    assert not list((tmp_path / "ann").glob(".tmp-*"))
    again = FakeParsers()
    report = run(corpus, tmp_path, again, batch_chars=1)
    assert sorted(report.parsed) == ["b", "c"] and report.current == ["a"]
    assert set(read_provenance(tmp_path / "ann")["documents"]) == {"a", "b", "c"}


def test_crash_mid_write_leaves_old_file_intact_and_resumes(tmp_path, monkeypatch):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    target = annotation_path(tmp_path / "ann", "b")
    before = target.read_text(encoding="utf-8")
    changed = Corpus([corpus["a"], doc("b", "Entirely new text.", kind="commentary"), corpus["c"]])

    import analysis._atomic as atomic

    real_replace = os.replace

    def killed_replace(src, dst):  # the data is in the temporary file; die before the rename
        if str(dst).endswith("b.conllu"):
            Path(src).write_text("1\tpartial", encoding="utf-8")
            raise KeyboardInterrupt("killed mid-write")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", killed_replace)
    with pytest.raises(KeyboardInterrupt):
        run(changed, tmp_path, FakeParsers())
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert target.read_text(encoding="utf-8") == before  # never a half-written annotation
    # a hard kill can leave a temporary file behind: the next run ignores and removes it
    (tmp_path / "ann" / ".tmp-b.conllu.killed").write_text("1\tpartial", encoding="utf-8")
    again = FakeParsers()
    assert run(changed, tmp_path, again).parsed == ["b"]
    assert not list((tmp_path / "ann").glob(".tmp-*"))
    assert read_header(target)["tifa_text_hash"] == changed["b"].text_hash


def test_missing_language_model_is_an_error_before_parsing(tmp_path):
    ms = ModelSet(Path("/nowhere"), "fake", {"en": {"tokenize": "fake"}}, {"en/tokenize/fake": "1"}, "0.0")
    parsers = FakeParsers()
    with pytest.raises(ModelNotFoundError, match="zh-hans"):
        run(small_corpus(), tmp_path, parsers, model_set=ms)
    assert parsers.calls == []


# -- loading ------------------------------------------------------------------------------------


def test_load_tokens_joins_metadata_with_lean_dtypes(tmp_path):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    t = load_tokens(corpus, annotations_dir=tmp_path / "ann")
    assert tuple(t.columns) == TOKEN_COLUMNS
    assert len(t) == 14
    a = t[t.doc_id == "a"]
    assert list(a.sent) == [1, 1, 1, 2, 2, 3, 3, 3]
    assert list(a.par) == [1, 1, 1, 1, 1, 2, 2, 2]
    assert list(a.lang.astype(str)) == ["en"] * 5 + ["zh"] * 3
    assert list(a.voice.astype(str)) == ["framing"] * 5 + ["original"] * 3
    assert set(a.outlet.astype(str)) == {"Qiushi"} and set(a.date.astype(str)) == {"2014-05-01"}
    assert str(t.form.dtype) == "category" and str(t["head"].dtype) == "int16"
    assert 0 < bytes_per_token(t) < 2000


def test_load_tokens_refuses_stale_or_missing_annotations(tmp_path):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    changed = Corpus([corpus["a"], doc("b", "Something else.", kind="commentary"), corpus["c"]])
    with pytest.raises(AnnotationError, match=r"out of date for 1 of 3 documents \(e.g. b \(stale-text\)\).*tifa annotate"):
        load_tokens(changed, annotations_dir=tmp_path / "ann")
    annotation_path(tmp_path / "ann", "c").unlink()
    assert not annotations_current(corpus, annotations_dir=tmp_path / "ann")


def _reseal(path: Path, text: str) -> None:
    """Write ``text`` with a fresh integrity record (as if a faulty writer had produced it)."""
    lines = text.split("\n")
    body = "\n".join(lines[6:])
    path.write_text(with_integrity("\n".join(lines[:3]) + "\n", body, int(lines[3].split("= ")[1]),
                                   int(lines[4].split("= ")[1])), encoding="utf-8")


def test_load_tokens_reports_malformed_file_and_line(tmp_path):
    corpus = small_corpus()
    run(corpus, tmp_path, FakeParsers())
    path = annotation_path(tmp_path / "ann", "a")
    text = path.read_text(encoding="utf-8").replace("\tdep\t", "\tdep\t_\t", 1)  # 11 columns
    _reseal(path, text)
    text = path.read_text(encoding="utf-8")
    bad_line = next(i for i, l in enumerate(text.splitlines(), 1) if l.count("\t") == 10)
    with pytest.raises(AnnotationError, match=rf"a.conllu, line {bad_line}: expected 10 tab-separated columns, found 11"):
        load_tokens(corpus, annotations_dir=tmp_path / "ann")


def test_committed_annotations_load_without_any_models(tmp_path, monkeypatch):
    """A researcher without Stanza models: the provenance file names the model set to use."""
    corpus = small_corpus()
    root = tmp_path / "annotations"
    annotate(corpus, model_set=fake_model_set(), out_dir=root / fake_model_set().id,
             pipeline_factory=FakeParsers(), progress=False)
    monkeypatch.setenv(models.ENV_DIR, str(tmp_path / "no-models-here"))
    assert find_annotations(corpus, root=root) == root / fake_model_set().id
    assert len(load_tokens(corpus, root=root)) == 14
    assert annotations_current(corpus, root=root)
    report = ensure_annotations(corpus, root=root)  # nothing to parse, no models needed
    assert report.parsed == [] and "up to date" in str(report)
    changed = Corpus([corpus["a"], doc("b", "Edited.", kind="commentary"), corpus["c"]])
    with pytest.raises(AnnotationError, match="no Stanza models"):
        load_tokens(changed, root=root)
    with pytest.raises(ModelNotFoundError):
        ensure_annotations(changed, root=root)


def test_ensure_annotations_reannotates_what_changed(tmp_path):
    corpus = small_corpus()
    root = tmp_path / "annotations"
    ms = fake_model_set()
    parsers = FakeParsers()
    first = ensure_annotations(corpus, model_set=ms, root=root, pipeline_factory=parsers, progress=False)
    assert sorted(first.parsed) == ["a", "b", "c"]
    changed = Corpus([corpus["a"], corpus["b"], doc("c", "One. Two!", "Three.", kind="commentary")])
    again = FakeParsers()
    second = ensure_annotations(changed, model_set=ms, root=root, pipeline_factory=again, progress=False)
    assert second.parsed == ["c"] and again.texts == ["One. Two!"] + ["Three."]


def test_cli_annotate_without_models_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from analysis.cli import main

    jsonl = tmp_path / "documents.jsonl"
    small_corpus().save(jsonl)
    assert main(["annotate", "--corpus", str(jsonl), "--models", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "tifa models download" in err
    assert not (tmp_path / "annotations").exists()


def test_cli_tokens_options_load_a_corpus_annotations(tmp_path, monkeypatch):
    import argparse

    from analysis.cli._common import add_tokens_options, load_tokens_from_args

    jsonl = tmp_path / "corpus" / "documents.jsonl"
    corpus = small_corpus().save(jsonl)
    report = annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    assert report.out_dir == tmp_path / "corpus" / "annotations" / fake_model_set().id  # the corpus's own folder
    monkeypatch.setenv(models.ENV_DIR, str(tmp_path / "no-models"))
    parser = argparse.ArgumentParser()
    add_tokens_options(parser)
    add_tokens_options(parser)  # idempotent: options already there are left alone
    args = parser.parse_args(["--corpus", str(jsonl)])
    assert len(load_tokens_from_args(args)) == 14


# -- the real models ----------------------------------------------------------------------------


def _real_model_dir() -> Path | None:
    env = os.environ.get(models.ENV_DIR)
    if env and Path(env).is_dir():
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "shared" / "stanza_resources"
    return beside if beside.is_dir() else None


@pytest.mark.slow
def test_real_compact_models_parse_one_english_and_one_chinese_paragraph(tmp_path):
    model_dir = _real_model_dir()
    if model_dir is None:
        pytest.skip("no Stanza models: set TIFA_STANZA_DIR or put shared/stanza_resources beside the repository")
    ms = models.resolve_model_set(model_dir, require=("en", "zh"))
    en = "The Party leads everything. We don't doubt it."
    zh = "网络安全是国家安全的重要组成部分。我们要加强管理。"
    corpus = Corpus([Document("mixed", (Paragraph(1, en, voice="official", lang="en", start=5),
                                        Paragraph(2, zh, voice="original", lang="zh", start=5 + len(en) + 2)))])
    report = annotate(corpus, model_set=ms, out_dir=tmp_path / ms.id, progress=False, threads=1)
    assert report.parsed == ["mixed"]
    sents = read_conllu(annotation_path(tmp_path / ms.id, "mixed"))  # validates: one root, no cycles
    assert [s.par for s in sents] == [1, 1, 2, 2]
    raw = " " * 5 + en + "\n\n" + zh
    for s in sents:
        assert all(w.lemma not in ("", "_") for w in s.words)
        assert sum(w.head == 0 for w in s.words) == 1
        for w in s.words:
            assert w.start_char is not None
            if not any(first <= w.id <= last for first, last, _, _ in s.tokens):
                assert raw[w.start_char:w.end_char] == w.form
    assert [w.form for w in sents[1].words][:3] == ["We", "do", "n't"]  # multi-word token split
    assert "网络" in [w.form for w in sents[2].words]
    t = load_tokens(corpus, annotations_dir=tmp_path / ms.id)
    assert set(t.lang.astype(str)) == {"en", "zh"}


@pytest.mark.slow  # spawns two worker processes (each imports pandas): seconds, not milliseconds
def test_two_workers_write_the_same_files_as_one(tmp_path):
    corpus = small_corpus()
    one = annotate(corpus, model_set=fake_model_set(), out_dir=tmp_path / "one", pipeline_factory=FakeParsers(),
                   progress=False, batch_chars=1)
    two = annotate(corpus, model_set=fake_model_set(), out_dir=tmp_path / "two", pipeline_factory=FakeParsers(),
                   progress=False, batch_chars=1, workers=2)
    assert sorted(two.parsed) == sorted(one.parsed) == ["a", "b", "c"] and two.words == one.words
    for d in corpus:
        assert annotation_path(tmp_path / "two", d.doc_id).read_bytes() == annotation_path(tmp_path / "one", d.doc_id).read_bytes()


def test_cli_annotate_runs_then_finds_everything_current(tmp_path, monkeypatch, capsys):
    import analysis.annotation as annotate_module
    from analysis.cli import main
    from test_models import make_resources

    monkeypatch.setattr(annotate_module, "stanza_pipeline_factory", FakeParsers())
    res = make_resources(tmp_path / "res")
    jsonl = tmp_path / "corpus" / "documents.jsonl"
    small_corpus().save(jsonl)
    args = ["annotate", "--corpus", str(jsonl), "--models", str(res), "--quiet"]
    assert main(args) == 0
    assert "parsed 3 documents" in capsys.readouterr().out
    ms_id = models.resolve_model_set(res).id
    prov = read_provenance(tmp_path / "corpus" / "annotations" / ms_id)
    assert prov["command"] == f"tifa annotate --corpus {jsonl} --models {res}"
    assert main(args) == 0
    assert "3 documents up to date, nothing parsed" in capsys.readouterr().out
    assert main([*args, "--force"]) == 0
    assert "parsed 3 documents" in capsys.readouterr().out
    small_corpus().subset(doc_id=["a", "b"]).save(jsonl)  # same texts, one document fewer
    assert main(["annotate", "--corpus", str(jsonl), "--models", str(res), "--check", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["doc_id,status", "a,current", "b,current"]


def test_document_without_text_round_trips(tmp_path):
    corpus = Corpus([doc("empty", "   "), doc("b", "Some words.")])
    report = run(corpus, tmp_path, FakeParsers())
    assert sorted(report.parsed) == ["b", "empty"]
    t = load_tokens(corpus, annotations_dir=tmp_path / "ann")
    assert list(t.doc_id.astype(str)) == ["b", "b"]
    assert run(corpus, tmp_path, FakeParsers()).parsed == []


def test_prepare_text_makes_chinese_punctuation_full_width_one_for_one():
    from analysis.annotation import prepare_text

    text = "张峰:要进一步落实,网络安全(试行)?是!1,000个,10:30;"
    prepared = prepare_text(text, "zh")
    assert prepared == "张峰：要进一步落实，网络安全（试行）？是！1,000个，10:30；"
    assert len(prepared) == len(text)  # offsets into the original text still hold
    assert prepare_text("We must, however: act.", "en") == "We must, however: act."


@pytest.mark.slow
def test_ascii_commas_in_chinese_are_parsed_as_punctuation_and_kept_as_written(tmp_path):
    model_dir = _real_model_dir()
    if model_dir is None:
        pytest.skip("no Stanza models: set TIFA_STANZA_DIR or put shared/stanza_resources beside the repository")
    ms = models.resolve_model_set(model_dir, require=("zh",))
    zh = "刘奇葆指出,这些年文化体制改革取得重大进展,我们必须坚持正确导向。"
    corpus = Corpus([Document("zh", (Paragraph(1, zh, voice="original", lang="zh", start=0),), lang="zh")])
    annotate(corpus, model_set=ms, out_dir=tmp_path / ms.id, progress=False, threads=1)
    words = [w for s in read_conllu(annotation_path(tmp_path / ms.id, "zh")) for w in s.words]
    commas = [w for w in words if w.form == ","]
    assert len(commas) == 2 and all(w.upos == "PUNCT" for w in commas)  # as written, tagged as punctuation
    assert all(zh[w.start_char:w.end_char] == w.form for w in words)
