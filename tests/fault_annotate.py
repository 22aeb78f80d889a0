"""Annotate a small corpus with a slow fake parser, to be killed by tests/test_hardening.py.

Usage::

    python tests/fault_annotate.py CORPUS_DIR OUT_DIR [--workers N] [--sleep SECONDS]

``CORPUS_DIR/documents.jsonl`` is written first if it is absent (:func:`fault_corpus`). The corpus
is then annotated into ``OUT_DIR`` with :class:`SleepyParsers` (the fake parser of
tests/test_annotate.py, sleeping ``--sleep`` seconds per call) and ``batch_chars=1``, so every
document is its own batch and its file is written as soon as it is parsed. Each parser call prints
``parse <pid>`` (the pid of the process that parses) and the end prints ``done``, flushed at once,
so the test knows when parsing has started and which processes do it.

The test runs the same :class:`SleepyParsers` in its own process (``sleep=0``) for the reference
and the completing runs: the files must come out byte for byte the same.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_annotate import doc, fake_model_set, split_sentences  # noqa: E402

from analysis.corpus import Corpus  # noqa: E402

N_DOCUMENTS = 10


def fault_corpus() -> Corpus:
    """Ten documents, English and Chinese, some of two paragraphs."""
    docs = []
    for i in range(N_DOCUMENTS):
        texts = [f"Document {i} says one thing. It says {i} more things."]
        if i % 3 == 0:
            texts.append("网络 安全 是 国家 安全 。")
        if i % 4 == 1:
            texts.append(f"A second paragraph of document {i}.")
        docs.append(doc(f"doc{i:02d}", *texts, kind="commentary", title=f"Title {i}"))
    return Corpus(docs, name="fault")


class SleepyParsers:
    """A picklable pipeline factory: the fake parser, ``sleep`` seconds per call, announcing each call."""

    def __init__(self, sleep: float = 0.05, announce: bool = True):
        self.sleep = sleep
        self.announce = announce

    def __call__(self, model_set, lang):
        def parse(texts):
            if self.announce:
                print(f"parse {os.getpid()}", flush=True)
            if self.sleep:
                time.sleep(self.sleep)
            return [split_sentences(t) for t in texts]

        return parse


def annotate_corpus(corpus, out_dir, *, workers: int = 1, sleep: float = 0.05, announce: bool = True):
    """Annotate ``corpus`` into ``out_dir`` the way this script does (one document per batch)."""
    from analysis.annotation import annotate

    return annotate(corpus, model_set=fake_model_set(), out_dir=out_dir, workers=workers,
                    pipeline_factory=SleepyParsers(sleep, announce), progress=False, batch_chars=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sleep", type=float, default=0.05)
    args = parser.parse_args(argv)

    from analysis import load_corpus

    if not (args.corpus_dir / "documents.jsonl").is_file():
        fault_corpus().save(args.corpus_dir)
    corpus = load_corpus(args.corpus_dir)
    print(f"start {os.getpid()}", flush=True)
    import fault_annotate  # the factory must pickle by this module's name for spawned workers

    report = fault_annotate.annotate_corpus(corpus, args.out_dir, workers=args.workers, sleep=args.sleep)
    print(f"done {len(report.parsed)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
