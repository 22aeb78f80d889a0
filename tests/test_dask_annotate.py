"""Annotation on a Dask cluster: a 2-worker LocalCluster writes the same files as one process.

The fast tests use the fake parser of tests/test_annotate.py on one LocalCluster shared by the
module (starting one takes a few seconds); the workers only parse, this process writes. A parser
that kills its own worker process (``os._exit``) stands for a worker lost mid-run. One slow test
parses with the compact Stanza models on two workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from test_annotate import FakeParsers, _real_model_dir, fake_model_set, small_corpus, split_sentences  # noqa: E402

from analysis import models  # noqa: E402
from analysis.annotation import annotate, annotation_path, read_provenance  # noqa: E402
from analysis.corpus import Corpus  # noqa: E402
from analysis.errors import AnnotationError  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes; a task whose worker dies twice fails (KilledWorker)."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40)
        client = Client(lc)
    yield client
    client.close()
    lc.close()


class KillingParsers(FakeParsers):
    """The fake parser, but parsing a paragraph that contains ``victim`` kills the worker process.

    ``once``: only the first time (a marker file records it), so Dask's retry completes the run;
    otherwise every time.
    """

    def __init__(self, victim: str, marker: Path, once: bool = True):
        super().__init__()
        self.victim, self.marker, self.once = victim, str(marker), once

    def __call__(self, model_set, lang):
        victim, marker, once = self.victim, self.marker, self.once

        def parse(texts):
            if any(victim in t for t in texts) and not (once and os.path.exists(marker)):
                Path(marker).write_text(str(os.getpid()))
                os._exit(1)
            return [split_sentences(t) for t in texts]

        return parse


def reference(tmp_path, corpus=None):
    corpus = corpus or small_corpus()
    out = tmp_path / "one"
    annotate(corpus, model_set=fake_model_set(), out_dir=out, pipeline_factory=FakeParsers(), progress=False,
             batch_chars=1)
    return {d.doc_id: annotation_path(out, d.doc_id).read_bytes() for d in corpus}


def files(out, corpus):
    return {d.doc_id: annotation_path(out, d.doc_id).read_bytes() for d in corpus if annotation_path(out, d.doc_id).exists()}


def test_cluster_writes_the_same_files_as_one_process(tmp_path, cluster):
    corpus = small_corpus()
    expected = reference(tmp_path)
    report = annotate(corpus, model_set=fake_model_set(), out_dir=tmp_path / "dask", pipeline_factory=FakeParsers(),
                      progress=False, batch_chars=1, client=cluster)
    assert sorted(report.parsed) == ["a", "b", "c"] and report.words == 14
    assert files(tmp_path / "dask", corpus) == expected
    # the workers parsed: this process's own factory object was never called
    workers = {w["id"] for w in cluster.scheduler_info()["workers"].values()}
    assert len(workers) == 2
    prov = read_provenance(tmp_path / "dask")
    assert prov["documents"] == {d.doc_id: d.text_hash for d in corpus}
    again = annotate(corpus, model_set=fake_model_set(), out_dir=tmp_path / "dask", pipeline_factory=FakeParsers(),
                     progress=False, batch_chars=1, client=cluster)
    assert again.parsed == []


def test_parsers_are_built_once_per_worker_not_per_batch(tmp_path, cluster):
    corpus = Corpus([d for d in small_corpus()] * 1)
    marker_dir = tmp_path / "built"
    marker_dir.mkdir()

    class CountingParsers(FakeParsers):
        def __call__(self, model_set, lang):
            (marker_dir / f"{os.getpid()}-{lang}").touch(exist_ok=False)  # a second build on one worker fails
            return super().__call__(model_set, lang)

    annotate(corpus, model_set=fake_model_set(), out_dir=tmp_path / "dask", pipeline_factory=CountingParsers(),
             progress=False, batch_chars=1, client=cluster)
    built = sorted(p.name.split("-", 1)[1] for p in marker_dir.iterdir())
    assert set(built) == {"en", "zh-hans"} and len(built) <= 4  # at most one per language and worker


def test_a_worker_killed_mid_run_is_retried_and_the_files_are_the_same(tmp_path, cluster):
    corpus = small_corpus()
    expected = reference(tmp_path)
    marker = tmp_path / "killed"
    report = annotate(corpus, model_set=fake_model_set(), out_dir=tmp_path / "dask",
                      pipeline_factory=KillingParsers("Cyberspace", marker), progress=False, batch_chars=1,
                      client=cluster)
    assert marker.exists(), "the worker was never killed"
    assert sorted(report.parsed) == ["a", "b", "c"]
    assert files(tmp_path / "dask", corpus) == expected
    cluster.wait_for_workers(2, timeout=30)


def test_a_document_that_keeps_killing_workers_is_a_clear_error_and_a_rerun_resumes(tmp_path, cluster):
    corpus = small_corpus()
    expected = reference(tmp_path)
    out = tmp_path / "dask"
    with pytest.raises(AnnotationError, match="workers died.*rerun"):
        annotate(corpus, model_set=fake_model_set(), out_dir=out, pipeline_factory=KillingParsers(
                 "Cyberspace", tmp_path / "killed", once=False), progress=False, batch_chars=1, client=cluster)
    written = files(out, corpus)
    assert "b" not in written
    assert all(written[k] == expected[k] for k in written)  # every finished file is whole
    assert not list(out.glob(".tmp-*"))
    cluster.wait_for_workers(2, timeout=30)
    report = annotate(corpus, model_set=fake_model_set(), out_dir=out, pipeline_factory=FakeParsers(),
                      progress=False, batch_chars=1, client=cluster)
    assert sorted(report.parsed) == sorted(set("abc") - set(written))
    assert files(out, corpus) == expected


def test_a_parser_error_on_a_worker_reaches_the_caller(tmp_path, cluster):
    class Broken(FakeParsers):
        def __call__(self, model_set, lang):
            def parse(texts):
                raise AnnotationError("the test parser refuses")
            return parse

    with pytest.raises(AnnotationError, match="the test parser refuses"):
        annotate(small_corpus(), model_set=fake_model_set(), out_dir=tmp_path / "dask", pipeline_factory=Broken(),
                 progress=False, batch_chars=1, client=cluster)


def test_cli_scheduler_parses_on_the_cluster(tmp_path, cluster, monkeypatch, capsys):
    import analysis.annotation as annotate_module
    from analysis.cli import main
    from test_models import make_resources

    monkeypatch.setattr(annotate_module, "stanza_pipeline_factory", FakeParsers())
    res = make_resources(tmp_path / "res")
    jsonl = tmp_path / "corpus" / "documents.jsonl"
    small_corpus().save(jsonl)
    address = cluster.scheduler.address
    assert main(["annotate", "--corpus", str(jsonl), "--models", str(res), "--quiet", "--scheduler", address]) == 0
    assert "parsed 3 documents" in capsys.readouterr().out
    ms_id = models.resolve_model_set(res).id
    prov = read_provenance(tmp_path / "corpus" / "annotations" / ms_id)
    assert prov["command"] == f"tifa annotate --corpus {jsonl} --models {res} --scheduler {address}"


def test_cli_unreachable_scheduler_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from analysis.cli import main
    from test_models import make_resources

    res = make_resources(tmp_path / "res")
    jsonl = tmp_path / "corpus" / "documents.jsonl"
    small_corpus().save(jsonl)
    monkeypatch.setattr("analysis.cli.annotate.CONNECT_TIMEOUT", 1)
    code = main(["annotate", "--corpus", str(jsonl), "--models", str(res), "--quiet", "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


def test_single_process_annotation_does_not_import_dask(tmp_path):
    code = ("import sys; sys.path.insert(0, 'tests'); from test_annotate import *; "
            "annotate(small_corpus(), model_set=fake_model_set(), out_dir=sys.argv[1], pipeline_factory=FakeParsers(), "
            "progress=False); print('distributed' in sys.modules, 'dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ann")], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.slow  # two workers each load the compact Stanza models: about 30 s
def test_compact_models_on_two_local_workers_match_one_process(tmp_path):
    model_dir = _real_model_dir()
    if model_dir is None:
        pytest.skip("no Stanza models: set TIFA_STANZA_DIR or put shared/stanza_resources beside the repository")
    from analysis.corpus import Document, Paragraph

    ms = models.resolve_model_set(model_dir, require=("en", "zh"))
    corpus = Corpus([
        Document("en1", (Paragraph(1, "The Party leads everything. We don't doubt it.", voice="official", lang="en", start=0),)),
        Document("zh1", (Paragraph(1, "网络安全是国家安全的重要组成部分。我们要加强管理。", voice="original", lang="zh", start=0),)),
        Document("en2", (Paragraph(1, "Cyberspace sovereignty must be respected by all countries.", voice="framing", lang="en", start=3),)),
    ])
    one = annotate(corpus, model_set=ms, out_dir=tmp_path / "one" / ms.id, progress=False, threads=1, batch_chars=1)
    two = annotate(corpus, model_set=ms, out_dir=tmp_path / "two" / ms.id, progress=False, threads=1, batch_chars=1,
                   workers=2)
    assert sorted(two.parsed) == sorted(one.parsed) == ["en1", "en2", "zh1"] and two.words == one.words
    for d in corpus:
        assert (annotation_path(tmp_path / "two" / ms.id, d.doc_id).read_bytes()
                == annotation_path(tmp_path / "one" / ms.id, d.doc_id).read_bytes())


def test_client_that_is_not_a_dask_client_is_a_parameter_error(tmp_path):
    from analysis.errors import ParameterError

    with pytest.raises(ParameterError, match="client must be a distributed.Client"):
        annotate(small_corpus(), model_set=fake_model_set(), out_dir=tmp_path / "x", pipeline_factory=FakeParsers(),
                 progress=False, client="tcp://127.0.0.1:8786")
    assert not (tmp_path / "x").exists()
