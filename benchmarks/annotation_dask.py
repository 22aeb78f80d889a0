"""Annotation on Dask: words/s with one and two local workers, and an estimate for 100M words.

    python benchmarks/annotation_dask.py [--words 6000] [--batch-chars 2000]

Parses about ``--words`` words of the seed's English text (whole paragraphs; Stanza models from
``TIFA_STANZA_DIR``, else ``shared/stanza_resources`` beside the repository, else the active model
set) three ways, each into a fresh temporary folder: in this process (``workers=1``), and on a
Dask ``LocalCluster`` of one and of two single-threaded workers (``workers=N`` starts it). Every
run uses one torch thread per parsing process, so the comparison is one core against two. The
goal is at least 1.7x the one-worker speed with two workers. The files of the three runs are
compared byte for byte.

Timings include loading the models on each worker (each worker loads them once per run, all at
the same time) but not starting the cluster (printed apart); "without model loading" subtracts
the model-loading time measured in this process. From
the parse-only words/s of one worker the script estimates the wall time of a 100M-word corpus on
N workers, assuming each worker gets a core of its own and the same speed (no shared-disk or
scheduler limit: Dask's overhead per batch is milliseconds against seconds of parsing).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import analysis
from analysis.annotation import annotate, annotation_path
from analysis.corpus import Corpus
from analysis.models import resolve_model_set


def _model_dir() -> Path | None:
    env = os.environ.get("TIFA_STANZA_DIR")
    if env and Path(env).is_dir():
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "shared" / "stanza_resources"
    return beside if beside.is_dir() else None


def sample(words: int) -> Corpus:
    """English paragraphs of the seed, one document each (so that batches balance across workers), until
    about ``words`` words."""
    docs, n = [], 0
    for doc in analysis.load_corpus():
        for p in doc.paragraphs:
            if n >= words:
                break
            if p.lang == "en" and p.text.strip():
                docs.append(replace(doc, doc_id=f"{doc.doc_id}-p{p.par}", paragraphs=(p,), lang="en"))
                n += len(p.text.split())
    return Corpus(docs, name="sample")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=6000, help="words to parse (default 6000)")
    ap.add_argument("--batch-chars", type=int, default=2000, help="characters per batch sent to a worker (default 2000)")
    args = ap.parse_args(argv)
    model_set = resolve_model_set(_model_dir(), require=("en",))
    corpus = sample(args.words)
    print(f"model set {model_set.id}; {len(corpus)} documents; cores: {os.cpu_count()}; load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)

    t0 = time.perf_counter()
    model_set.pipeline("en")
    load = time.perf_counter() - t0
    print(f"loading the English pipeline: {load:.1f} s", flush=True)

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        from analysis.annotation import _local_client

        for label, workers in (("in process", 0), ("LocalCluster, 1 worker", 1), ("LocalCluster, 2 workers", 2)):
            out = Path(tmp) / str(workers)
            options = dict(model_set=model_set, out_dir=out, threads=1, batch_chars=args.batch_chars, progress=False)
            start = 0.0
            if workers:
                t0 = time.perf_counter()
                with _local_client(workers) as client:
                    start = time.perf_counter() - t0
                    t0 = time.perf_counter()
                    report = annotate(corpus, client=client, **options)
                    wall = time.perf_counter() - t0
            else:
                t0 = time.perf_counter()
                report = annotate(corpus, **options)
                wall = time.perf_counter() - t0
            parse_only = max(wall - load, 1e-9)
            results[label] = (report.words, wall, parse_only, out)
            print(f"{label:>24}: {report.words:,} words in {wall:.1f} s = {report.words / wall:,.0f} words/s, "
                  f"{report.words / parse_only:,.0f} words/s without model loading"
                  + (f" (cluster started in {start:.1f} s, not counted)" if workers else "")
                  + f"; load average now {os.getloadavg()[0]:.2f}", flush=True)
        ref = results["in process"][3]
        same = all(annotation_path(r[3], d.doc_id).read_bytes() == annotation_path(ref, d.doc_id).read_bytes()
                   for r in results.values() for d in corpus)
    print(f"files identical across the three runs: {same}")
    w1, wall1, p1, _ = results["LocalCluster, 1 worker"]
    w2, wall2, p2, _ = results["LocalCluster, 2 workers"]
    print(f"speed-up, 2 workers over 1 (LocalCluster): {wall1 / wall2:.2f}x wall, {p1 / p2:.2f}x without model "
          f"loading (goal >= 1.7x)")
    per_worker = w1 / p1
    print(f"\nestimate for 100,000,000 words at {per_worker:,.0f} words/s per worker (one core each):")
    for n in (1, 2, 8, 32, 128):
        hours = 100_000_000 / (per_worker * n) / 3600
        print(f"  {n:>4} workers: {hours:8.1f} h" + (f" ({hours / 24:.1f} days)" if hours > 48 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
