"""`tifa reproduce`: rebuild everything the paper shows, from raw text to figures/.

Steps (each skipped when already current):

1. build the corpus (corpus/documents.jsonl) from the raw text and the manifest;
2. print the corpus summary.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from .build import build
from .cli._common import print_table


def reproduce(corpus_dir: str | Path | None = None, *, out: TextIO | None = None) -> int:
    """Run every step of the paper's pipeline; return 0 on success."""
    out = out or sys.stdout
    corpus, path, changed = build(corpus_dir)
    print(f"[1] corpus: {path} ({'rebuilt' if changed else 'up to date'})", file=out)
    print_table(corpus.summary(), "text", out=out)
    return 0
