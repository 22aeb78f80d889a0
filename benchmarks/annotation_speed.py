"""Annotation speed: warm rerun of the seed, load_tokens, bytes per token, and parsing words/s.

    python benchmarks/annotation_speed.py                 # warm rerun + load_tokens (no parsing)
    python benchmarks/annotation_speed.py --parse 3000    # also parse ~3,000 words of the seed
    python benchmarks/annotation_speed.py --parse 3000 --workers 2

Targets (issue 3): a warm rerun of `annotate` on the seed parses nothing and takes under 1 s.
Parsing speed depends on the CPU and on what else runs on it; the script prints the torch thread
count and the load average next to the numbers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace

import analysis
from analysis.annotation import annotate, find_annotations, read_provenance
from analysis.corpus import Corpus
from analysis.models import ModelSet, resolve_model_set, try_resolve_model_set
from analysis.tokens import bytes_per_token, load_tokens


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parse", type=int, default=0, metavar="WORDS",
                    help="also parse about this many words of the seed into a temporary directory")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None, help="torch threads per process")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    corpus = analysis.load_corpus()
    print(f"load_corpus: {time.perf_counter() - t0:.2f} s ({len(corpus)} documents)")

    directory = find_annotations(corpus)
    prov = read_provenance(directory) or {}
    print(f"annotations: {directory} (model set {prov.get('model_set', '?')})")
    active = try_resolve_model_set()
    if active is not None and active.id == prov.get("model_set"):
        t0 = time.perf_counter()
        report = annotate(corpus, model_set=active, out_dir=directory, progress=False)
        print(f"warm annotate rerun: {time.perf_counter() - t0:.3f} s, parsed {len(report.parsed)} documents")
    else:
        print("warm annotate rerun: skipped (the active model set is not the one of the annotations)")

    t0 = time.perf_counter()
    tokens = load_tokens(corpus)
    print(f"load_tokens: {time.perf_counter() - t0:.2f} s, {len(tokens):,} tokens, "
          f"{bytes_per_token(tokens):.0f} bytes/token (memory_usage(deep=True))")
    for lang, n in tokens.groupby("lang", observed=True).size().items():
        print(f"  {lang}: {n:,} words")

    if args.parse:
        import torch

        model_set: ModelSet = resolve_model_set()
        docs, words = [], 0
        for doc in corpus:  # whole English documents, then trimmed to the word budget
            pars = []
            for p in doc.paragraphs:
                if words >= args.parse:
                    break
                pars.append(p)
                words += len(p.text.split()) if p.lang == "en" else len(p.text) // 2
            if pars:
                docs.append(replace(doc, paragraphs=tuple(pars)))
            if words >= args.parse:
                break
        sample = Corpus(docs)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            report = annotate(sample, model_set=model_set, out_dir=tmp, workers=args.workers,
                              threads=args.threads, progress=True)
            total = time.perf_counter() - t0
        print(f"parse: {report.words:,} words in {total:.1f} s including model loading "
              f"({report.words / total:,.0f} words/s), workers={args.workers}, torch threads={args.threads or torch.get_num_threads()}, "
              f"cpus={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
