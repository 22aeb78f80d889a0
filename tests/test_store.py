"""The columnar token store (analysis.store): same table as the CoNLL-U, invalidation, columns and
row groups, read-only folders, and nothing written outside the annotations folder.

Corpora here are small (a hand-built one annotated by the fake parser, and a copy of the seed in a
temporary folder); ``STORE_MIN_WORDS`` is set to 0 where a first load should build a store.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import analysis
from analysis import store
from analysis._core import select
from analysis.annotation import annotate, annotation_path, writer_lock
from analysis.corpus import Corpus
from analysis.errors import AnnotationError, QueryError
from analysis.paths import default_corpus_dir
from analysis.tokens import TOKEN_COLUMNS, load_tokens
from test_annotate import FakeParsers, doc, fake_model_set


def _corpus(outlet_b: str = "Xinhua", text_c: str = "One. Two.") -> Corpus:
    return Corpus([
        doc("a", "We act now. They wait.", "网络 安全 。", kind="translation", title="A", outlet="Qiushi",
            date="2014-05-01", extra={"source": "ministry"}),
        doc("b", "Cyberspace sovereignty matters.", kind="commentary", title="B", outlet=outlet_b,
            extra={"source": "press"}),
        doc("c", text_c, "Three.", kind="commentary", title="C", extra={"source": "press"}),
    ])


@pytest.fixture
def built(tmp_path):
    """The hand-built corpus saved in ``tmp_path/C`` and annotated into its own folder."""
    corpus = _corpus().save(tmp_path / "C")
    report = annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    return corpus, report.out_dir


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _no_conllu(monkeypatch):
    """Make any read of the CoNLL-U files fail: what loads after this came from the store."""
    import analysis.annotation as annotation_module

    def refuse(*args, **kwargs):
        raise AssertionError("the CoNLL-U files were read")

    monkeypatch.setattr(annotation_module, "load_sentences", refuse)
    monkeypatch.setattr(annotation_module, "_file_problem", refuse)


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        assert a[col].dtype == b[col].dtype, col
        if isinstance(a[col].dtype, pd.CategoricalDtype):
            assert list(a[col].cat.categories) == list(b[col].cat.categories), col
    assert a.equals(b)


# -- the same table as the CoNLL-U --------------------------------------------------------------


def test_hand_built_corpus_round_trips_through_the_store(built, monkeypatch):
    corpus, out = built
    expected = load_tokens(corpus, store=False)
    assert not store.store_path(out).exists()  # 14 words: below STORE_MIN_WORDS, no store on first load
    store.write_store(out, corpus)
    _no_conllu(monkeypatch)
    got = load_tokens(corpus)
    _assert_same(got, expected)
    assert tuple(got.columns) == TOKEN_COLUMNS + ("source",)
    assert got.attrs["model_set"] == out.name == fake_model_set().id
    # values the corpus itself says, not only "the same as the other path"
    assert list(got[got.doc_id == "a"]["source"].astype(str).unique()) == ["ministry"]
    assert list(got["form"].astype(str))[:5] == ["We", "act", "now.", "They", "wait."]
    assert str(got["idx"].dtype) == "int16" and str(got["par"].dtype) == "int32"
    assert str(got["start_char"].dtype) == "Int32"
    assert list(got["lemma"].cat.categories) == sorted(set(got["lemma"].astype(str)))


def test_seed_round_trips_through_the_store(tmp_path, monkeypatch):
    shutil.copytree(default_corpus_dir(), tmp_path / "corpus")
    corpus = analysis.load_corpus(tmp_path / "corpus")
    expected = load_tokens(corpus, store=False)
    monkeypatch.setattr(store, "STORE_MIN_WORDS", 0)
    first = load_tokens(corpus)  # builds the store in the copy's annotations folder
    assert store.store_path(tmp_path / "corpus" / "annotations" / expected.attrs["model_set"]).is_file()
    _no_conllu(monkeypatch)
    warm = load_tokens(corpus)
    _assert_same(first, expected)
    _assert_same(warm, expected)
    assert warm.attrs["model_set"] == expected.attrs["model_set"]
    assert len(warm) == 32420 and set(warm["lang"].astype(str)) == {"en", "zh"}


def test_first_load_builds_the_store_only_for_large_corpora(built, monkeypatch):
    corpus, out = built
    load_tokens(corpus)
    assert not store.store_path(out).exists()
    monkeypatch.setattr(store, "STORE_MIN_WORDS", 14)
    load_tokens(corpus)
    assert store.store_path(out).is_file()


def test_nothing_is_written_outside_the_annotations_folder(built, monkeypatch):
    corpus, out = built
    home = corpus.home
    before = _files(home)
    monkeypatch.setattr(store, "STORE_MIN_WORDS", 0)
    load_tokens(corpus)
    after = _files(home)
    new = sorted(set(after) - set(before))
    assert all(Path(p).parent == out.relative_to(home) for p in new), new
    assert {Path(p).name for p in new} - {".tifa.lock"} == {store.STORE_FILE, store.FILES_RECORD}
    assert {k: v for k, v in after.items() if k in before} == before  # nothing changed either
    assert not list(out.glob(".tmp-*"))


# -- invalidation -------------------------------------------------------------------------------


def _built_store(corpus, out) -> str:
    store.write_store(out, corpus)
    return store.store_key(corpus, out)


def test_changed_text_rebuilds_the_store(built, monkeypatch):
    corpus, out = built
    monkeypatch.setattr(store, "STORE_MIN_WORDS", 0)
    old_key = _built_store(corpus, out)
    changed = _corpus(text_c="Four five.").save(corpus.home)
    annotate(changed, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    got = load_tokens(changed)
    assert list(got[got.doc_id == "c"]["form"].astype(str)) == ["Four", "five.", "Three."]
    _assert_same(got, load_tokens(changed, store=False))
    assert pq.ParquetFile(store.store_path(out)).schema_arrow.metadata[b"tifa_store"] and \
        store.store_key(changed, out) != old_key
    _no_conllu(monkeypatch)
    _assert_same(load_tokens(changed), got)  # the rebuilt store is current


def test_reannotated_document_rebuilds_the_store(built, monkeypatch):
    from analysis.annotation import with_integrity

    corpus, out = built
    _built_store(corpus, out)
    path = annotation_path(out, "b")
    lines = path.read_text(encoding="utf-8").split("\n")
    body = "\n".join(lines[6:]).replace("\tsovereignty\tsovereignty\t",
                                                  "\tsovereignty\tSOVEREIGNTY-LEMMA\t")
    path.write_text(with_integrity("\n".join(lines[:3]) + "\n", body, 1, 3), encoding="utf-8")  # a new parse
    got = load_tokens(corpus)
    assert "SOVEREIGNTY-LEMMA" in set(got["lemma"].astype(str))
    _assert_same(got, load_tokens(corpus, store=False))
    _no_conllu(monkeypatch)
    assert "SOVEREIGNTY-LEMMA" in set(load_tokens(corpus)["lemma"].astype(str))


def test_changed_metadata_rebuilds_the_store(built):
    corpus, out = built
    _built_store(corpus, out)
    moved = _corpus(outlet_b="People's Daily").save(corpus.home)
    assert [d.text_hash for d in moved] == [d.text_hash for d in corpus]  # the parses stay current
    got = load_tokens(moved)
    assert set(got[got.doc_id == "b"]["outlet"].astype(str)) == {"People's Daily"}
    _assert_same(got, load_tokens(moved, store=False))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_store_is_rebuilt_never_trusted(built, damage):
    corpus, out = built
    _built_store(corpus, out)
    path = store.store_path(out)
    data = path.read_bytes()
    path.write_bytes({"truncated": data[:len(data) // 2], "garbage": b"PAR1" + b"\x00" * 64, "empty": b""}[damage])
    got = load_tokens(corpus)
    _assert_same(got, load_tokens(corpus, store=False))
    assert pq.ParquetFile(path).metadata.num_rows == 14  # rebuilt
    with pytest.raises(AnnotationError, match="damaged.*load_tokens"):
        path.write_bytes(data[:-10])
        store.read_store(out, corpus)


def test_a_conllu_file_cut_after_the_store_was_written_is_still_reported(built):
    corpus, out = built
    _built_store(corpus, out)
    load_tokens(corpus)
    path = annotation_path(out, "a")
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(AnnotationError, match="damaged"):
        load_tokens(corpus)


# -- columns and row groups ---------------------------------------------------------------------


def test_columns_reads_only_those_and_the_key_columns(built, monkeypatch):
    corpus, out = built
    store.write_store(out, corpus)
    full = load_tokens(corpus, store=False)
    got = load_tokens(corpus, columns=["upos", "lemma", "source"])
    assert list(got.columns) == ["doc_id", "par", "sent", "idx", "lemma", "upos", "source"]
    assert "form" not in got.columns and "outlet" not in got.columns
    _assert_same(got, full[list(got.columns)])
    _assert_same(load_tokens(corpus, store=False, columns="lemma"), full[["doc_id", "par", "sent", "idx", "lemma"]])
    read = []
    original = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups",
                        lambda self, groups, columns=None, **kw: read.append(list(columns)) or original(
                            self, groups, columns=columns, **kw))
    load_tokens(corpus, columns=["lemma"])
    assert read == [["doc_id", "par", "sent", "idx", "lemma"]]
    with pytest.raises(QueryError, match="nosuch"):
        load_tokens(corpus, columns=["lemma", "nosuch"])


def test_filters_read_only_the_matching_row_groups(built, monkeypatch):
    corpus, out = built
    monkeypatch.setattr(store, "ROW_GROUP_WORDS", 1)  # one document per row group
    store.write_store(out, corpus)
    assert pq.ParquetFile(store.store_path(out)).metadata.num_row_groups == 3
    full = load_tokens(corpus, store=False)
    read = []
    original = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups",
                        lambda self, groups, **kw: read.append(list(groups)) or original(self, groups, **kw))
    cases = [({"doc_id": "b"}, [1]), ({"outlet": "Qiushi"}, [0]), ({"lang": "zh"}, [0]),
             ({"doc_id": ["a", "c"], "upos": "X"}, [0, 2]), ({"source": "press"}, [1, 2]),
             ({"date": slice("2014-01-01", "2014-12-31")}, [0]), ({"form": "Three."}, [0, 1, 2])]
    for filters, groups in cases:
        read.clear()
        got = load_tokens(corpus, **filters)
        assert read == [groups], filters
        expected = select(full, **filters).reset_index(drop=True)
        expected = expected.apply(lambda c: c.cat.remove_unused_categories()
                                  if isinstance(c.dtype, pd.CategoricalDtype) else c)
        _assert_same(got, expected)
        _assert_same(load_tokens(corpus, store=False, **filters), expected)
    assert list(load_tokens(corpus, doc_id="b")["form"].astype(str)) == ["Cyberspace", "sovereignty", "matters."]
    assert list(load_tokens(corpus, doc_id="b")["doc_id"].cat.categories) == ["b"]
    with pytest.raises(QueryError, match="nosuch"):
        load_tokens(corpus, nosuch="x")


# -- folders that cannot be written -------------------------------------------------------------


def test_read_only_folder_loads_from_conllu_without_a_store(built, monkeypatch):
    corpus, out = built
    monkeypatch.setattr(store, "STORE_MIN_WORDS", 0)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == out and mode & os.W_OK
                        else real_access(p, mode, **kw))
    before = _files(corpus.home)
    got = load_tokens(corpus)
    _assert_same(got, load_tokens(corpus, store=False))
    assert _files(corpus.home) == before and not store.store_path(out).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_checkout_loads_without_error(built, monkeypatch):
    corpus, out = built
    monkeypatch.setattr(store, "STORE_MIN_WORDS", 0)
    out.chmod(0o555)
    try:
        got = load_tokens(corpus)
    finally:
        out.chmod(0o755)
    assert len(got) == 14 and not store.store_path(out).exists()


def test_folder_being_written_by_another_run_loads_from_conllu(built, monkeypatch):
    corpus, out = built
    monkeypatch.setattr(store, "STORE_MIN_WORDS", 0)
    with writer_lock(out, "another run"):
        got = load_tokens(corpus)
    assert len(got) == 14 and not store.store_path(out).exists()


def test_touched_conllu_files_take_the_full_check_once(built, monkeypatch):
    corpus, out = built
    _built_store(corpus, out)
    path = annotation_path(out, "c")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a checkout touched it
    import analysis.annotation as annotation_module

    checked = []
    real = annotation_module._file_problem
    monkeypatch.setattr(annotation_module, "_file_problem", lambda p: checked.append(p) or real(p))
    expected = load_tokens(corpus, store=False)
    checked.clear()
    _assert_same(load_tokens(corpus), expected)
    assert path in checked  # the full check ran, and found the file sound
    checked.clear()
    _assert_same(load_tokens(corpus), expected)
    assert checked == []  # the record was brought up to date: the next load skips it


# -- the benchmark corpus generator ---------------------------------------------------------------


def test_make_corpus_tiles_the_seed_deterministically(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from make_corpus import SOURCES, make_corpus
    finally:
        sys.path.pop(0)
    seed = analysis.load_corpus()
    corpus = make_corpus(1, tmp_path / "a" / "bench", seed=3)  # one whole copy of the seed
    assert corpus.doc_ids == [f"{d}--00000" for d in seed.doc_ids]
    assert [d.text_hash for d in corpus] == [d.text_hash for d in seed]
    tokens = load_tokens(corpus, store=False)  # the copied parses pass every check
    assert len(tokens) == 32420 and set(tokens["source"].astype(str)) <= set(SOURCES)
    assert set(tokens["outlet"].astype(str)) <= {d.outlet for d in seed}
    make_corpus(1, tmp_path / "b" / "bench", seed=3)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")  # same arguments, same files
    make_corpus(1, tmp_path / "c" / "bench", seed=4)
    assert _files(tmp_path / "a") != _files(tmp_path / "c")


def test_ensure_corpus_reuses_a_folder_made_with_the_same_arguments(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", Path(__file__).resolve().parents[1] / "benchmarks"
                                                  / "make_corpus.py")
    make_corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_corpus)
    out = tmp_path / "cache" / "bench"
    first = make_corpus.ensure_corpus(1, out, seed=3, store=True)
    files = _files(out)
    assert store.store_path(next(out.glob("annotations/*"))).is_file()
    again = make_corpus.ensure_corpus(1, out, seed=3, store=True)  # read back, nothing rewritten
    assert again.doc_ids == first.doc_ids and _files(out) == files
    with pytest.raises(ValueError, match="--seed 4"):
        make_corpus.ensure_corpus(1, out, seed=4)
    store.store_path(next(out.glob("annotations/*"))).unlink()
    make_corpus.ensure_corpus(1, out, seed=3, store=True)  # a missing store is rebuilt
    assert store.store_path(next(out.glob("annotations/*"))).is_file()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="something other"):
        make_corpus.ensure_corpus(1, tmp_path / "other")
