"""Build a benchmark corpus of N words by tiling the seed's annotated documents (no parser needed).

    python benchmarks/make_corpus.py --words 1000000 --out /tmp/tifa-bench-1m
    python benchmarks/make_corpus.py --words 10000000 --out /tmp/tifa-bench-10m --store

From Python (a notebook, a test) without putting ``benchmarks/`` on ``sys.path``: load this file
by its path and call :func:`ensure_corpus`, which reuses a folder made earlier with the same
arguments (the scale notebook, notebooks/scale.ipynb, does this)::

    spec = importlib.util.spec_from_file_location("make_corpus", root / "benchmarks" / "make_corpus.py")
    make_corpus = importlib.util.module_from_spec(spec); spec.loader.exec_module(make_corpus)
    corpus = make_corpus.ensure_corpus(1_000_000, ".cache/scale/tifa-bench-1000000", store=True)

The folder gets ``documents.jsonl``, ``annotations/<model set>/*.conllu`` (with integrity
records) and ``provenance.json``: copy ``i`` of seed document ``d`` is document ``d--i``, with the
seed's paragraphs (so its text hash, which depends only on paragraph number, language and text, is
the seed's and ``load_tokens`` accepts the copied parse), and metadata drawn with a seeded RNG:
``outlet`` and ``date`` from the seed's values, and a new ``source`` column. The same arguments
give the same files (``--seed``). ``--store`` also writes the Parquet token store
(``analysis.store``). Documents are added, whole copies of the seed in its order, until the
corpus holds at least ``--words`` words.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import analysis
from analysis._atomic import atomic_directory
from analysis.annotation import (BODY_KEY, HASH_KEY, MODEL_KEY, PROVENANCE_FILE, SENTENCES_KEY, WORDS_KEY,
                                 annotation_path, find_annotations, read_header, read_provenance, with_integrity)
from analysis.corpus import Corpus

SOURCES = ("ministry", "press", "journal", "broadcast", "web")
_ID_LINE = re.compile(r"^# (newpar id|sent_id) = (.*)-(p|s)(\d+)$", re.M)


def _renamed(text: str, old: str, new: str) -> str:
    """The CoNLL-U ``text`` of document ``old`` as the file of document ``new`` (fresh integrity record)."""
    lines = text.split("\n")
    header = {k: v for k, v in (line[2:].split(" = ", 1) for line in lines[:6] if " = " in line)}
    assert lines[0] == f"# newdoc id = {old}" and lines[5].startswith(f"# {BODY_KEY} = "), old
    body = "\n".join(lines[6:])
    body = _ID_LINE.sub(lambda m: f"# {m.group(1)} = {new}-{m.group(3)}{m.group(4)}" if m.group(2) == old
                        else m.group(0), body)
    head = f"# newdoc id = {new}\n# {HASH_KEY} = {header[HASH_KEY]}\n# {MODEL_KEY} = {header[MODEL_KEY]}\n"
    return with_integrity(head, body, int(header[SENTENCES_KEY]), int(header[WORDS_KEY]))


def make_corpus(words: int, out: str | Path, *, seed: int = 0, store: bool = False) -> Corpus:
    """Write a tiled corpus of at least ``words`` words to ``out`` (a new or empty folder); return it."""
    out = Path(out)
    seed_corpus = analysis.load_corpus()
    source_dir = find_annotations(seed_corpus)
    ms = source_dir.name
    texts = {d.doc_id: annotation_path(source_dir, d.doc_id).read_text(encoding="utf-8") for d in seed_corpus}
    counts = {d: int(read_header(annotation_path(source_dir, d))[WORDS_KEY]) for d in texts}
    outlets = sorted({d.outlet for d in seed_corpus if d.outlet})
    dates = sorted({d.date for d in seed_corpus if d.date})
    rng = random.Random(seed)
    docs, total, copy = [], 0, 0
    with atomic_directory(out) as tmp:
        ann = tmp / "annotations" / ms
        ann.mkdir(parents=True)
        while total < words:
            for d in seed_corpus:
                new_id = f"{d.doc_id}--{copy:05d}"
                doc = replace(d, doc_id=new_id, outlet=rng.choice(outlets), date=rng.choice(dates),
                              translation_of=f"{d.translation_of}--{copy:05d}" if d.translation_of else "",
                              extra={**d.extra, "source": rng.choice(SOURCES)})
                annotation_path(ann, new_id).write_text(_renamed(texts[d.doc_id], d.doc_id, new_id), encoding="utf-8")
                docs.append(doc)
                total += counts[d.doc_id]
            copy += 1
        corpus = Corpus(docs, name=out.name)
        corpus.save(tmp)
        prov = dict(read_provenance(source_dir) or {"model_set": ms})
        prov.update({"command": _command(words, seed), "corpus": out.name,
                     "corpus_checksum": "", "documents": {d.doc_id: d.text_hash for d in docs},
                     "tiled_from": str(source_dir)})
        (ann / PROVENANCE_FILE).write_text(json.dumps(prov, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    corpus = analysis.load_corpus(out)
    if store:
        from analysis.store import write_store

        write_store(out / "annotations" / ms, corpus)
    return corpus


def _command(words: int, seed: int) -> str:
    return f"benchmarks/make_corpus.py --words {words} --seed {seed}"


def ensure_corpus(words: int, out: str | Path, *, seed: int = 0, store: bool = False) -> Corpus:
    """The corpus :func:`make_corpus` writes to ``out`` with these arguments: read from ``out`` if it
    was made there before with the same ``words`` and ``seed`` (its provenance says so), else made.

    A folder that holds something else is an error (``ValueError``), never overwritten. With
    ``store``, a missing or stale token store is (re)built.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        provenance = [read_provenance(p.parent) or {} for p in out.glob(f"annotations/*/{PROVENANCE_FILE}")]
        if len(provenance) != 1 or provenance[0].get("command") != _command(words, seed) \
                or not (out / "documents.jsonl").is_file():
            raise ValueError(f"{out} holds something other than a corpus of benchmarks/make_corpus.py "
                             f"--words {words} --seed {seed}; remove it or choose another folder")
        corpus = analysis.load_corpus(out)
        if store:
            from analysis.errors import AnnotationError
            from analysis.store import read_store, write_store

            folder = next(out.glob(f"annotations/*/{PROVENANCE_FILE}")).parent
            try:
                read_store(folder, corpus, columns=["doc_id"])  # current and readable
            except AnnotationError:
                write_store(folder, corpus)  # missing, stale or damaged
        return corpus
    out.parent.mkdir(parents=True, exist_ok=True)
    return make_corpus(words, out, seed=seed, store=store)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=1_000_000, help="at least this many words (default 1,000,000)")
    parser.add_argument("--out", required=True, help="a new or empty folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the metadata draws (default 0)")
    parser.add_argument("--store", action="store_true", help="also write the Parquet token store")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"{out} is not empty; choose a new folder", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    corpus = make_corpus(args.words, out, seed=args.seed, store=args.store)
    n = sum(int(read_header(p)[WORDS_KEY]) for p in out.glob("annotations/*/*.conllu"))
    print(f"{out}: {len(corpus):,} documents, {n:,} words in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
