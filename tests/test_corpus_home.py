"""A corpus owns its annotations: an imported corpus annotates into its own folder, finds them
there the way the CLI does, and never writes into the seed's committed annotations, even when
its document ids are the seed's."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

import analysis
from analysis.annotation import annotate, annotations_root
from analysis.cli import main
from analysis.errors import AnnotationError
from analysis.paths import default_corpus_dir
from test_annotate import FakeParsers, fake_model_set

SEED_ANNOTATIONS = default_corpus_dir() / "annotations"


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _csv(path: Path) -> Path:
    rows = [
        {"doc_id": "us-indictment-response", "source": "ministry", "text": "We firmly oppose it.\n\nWe act now."},
        {"doc_id": "media-convergence-plan", "source": "press", "text": "Media convergence is a plan."},
        {"doc_id": "zh-1", "source": "press", "text": "网络安全很重要。"},
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["doc_id", "source", "text"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_an_imported_corpus_annotates_into_its_own_folder_and_leaves_the_seed_alone(tmp_path):
    before = _digest(SEED_ANNOTATIONS)
    out = tmp_path / "mycorpus"
    assert main(["corpus", "import", str(_csv(tmp_path / "my.csv")), "--out", str(out)]) == 0
    corpus = analysis.load_corpus(out)
    assert corpus.home == out and annotations_root(corpus) == out / "annotations"
    report = annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    assert report.out_dir == out / "annotations" / fake_model_set().id and len(report.parsed) == 3
    # ids shared with the seed: the seed's committed files are byte-identical, and still load
    assert _digest(SEED_ANNOTATIONS) == before
    assert len(analysis.load_tokens(analysis.load_corpus())) > 30000
    # the corpus finds its own annotations as the CLI does, with its metadata as a column
    tokens = analysis.load_tokens(analysis.load_corpus(out), model_set=fake_model_set())
    assert set(tokens["doc_id"]) == {"us-indictment-response", "media-convergence-plan", "zh-1"}
    assert set(tokens["source"]) == {"ministry", "press"}
    assert len(analysis.kwic(tokens, "firmly", source="ministry")) == 1
    # the folder itself will do (a student's first try was load_tokens("mycorpus"))
    for folder in (out, str(out)):
        assert analysis.load_tokens(folder, model_set=fake_model_set()).equals(tokens)


def test_a_corpus_in_memory_must_be_given_a_home(tmp_path):
    corpus = analysis.read_corpus(_csv(tmp_path / "my.csv"))
    assert corpus.home is None
    with pytest.raises(AnnotationError, match="no folder for its annotations; save it"):
        annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    with pytest.raises(AnnotationError, match="no folder"):
        analysis.load_tokens(corpus)
    saved = corpus.save(tmp_path / "saved")
    assert saved.home == tmp_path / "saved" and (tmp_path / "saved" / "documents.jsonl").is_file()
    annotate(saved, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    assert len(analysis.load_tokens(saved, model_set=fake_model_set())) == len(
        analysis.load_tokens(analysis.load_corpus(tmp_path / "saved"), model_set=fake_model_set()))


def test_nothing_writes_into_another_corpus_annotations(tmp_path):
    before = _digest(SEED_ANNOTATIONS)
    corpus = analysis.read_corpus(_csv(tmp_path / "my.csv")).save(tmp_path / "mine")
    seed_dir = SEED_ANNOTATIONS / fake_model_set().id
    with pytest.raises(AnnotationError, match="holds the annotations of the corpus in"):
        annotate(corpus, model_set=fake_model_set(), out_dir=seed_dir, pipeline_factory=FakeParsers(), progress=False)
    assert not seed_dir.exists() and _digest(SEED_ANNOTATIONS) == before


def test_kill_and_resume_on_an_imported_corpus(tmp_path):
    corpus = analysis.read_corpus(_csv(tmp_path / "my.csv")).save(tmp_path / "mine")
    whole = analysis.read_corpus(_csv(tmp_path / "my2.csv")).save(tmp_path / "whole")
    annotate(whole, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False, batch_chars=1)
    with pytest.raises(KeyboardInterrupt):
        annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(fail_after=1), progress=False,
                 batch_chars=1)
    out = tmp_path / "mine" / "annotations" / fake_model_set().id
    assert len(list(out.glob("*.conllu"))) == 1  # one document done before the kill
    parsers = FakeParsers()
    report = annotate(corpus, model_set=fake_model_set(), pipeline_factory=parsers, progress=False, batch_chars=1)
    assert len(report.parsed) == 2 and len(report.current) == 1  # only what the kill left
    ref = tmp_path / "whole" / "annotations" / fake_model_set().id
    for f in sorted(ref.glob("*.conllu")):
        assert (out / f.name).read_bytes() == f.read_bytes(), f.name
