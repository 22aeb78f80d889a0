"""Build step: raw text + manifest → corpus/documents.jsonl (deterministic, atomic)."""

from __future__ import annotations

from pathlib import Path

from .corpus import Corpus
from .manifest import build_corpus
from .paths import default_corpus_dir


def build(corpus_dir: str | Path | None = None) -> tuple[Corpus, Path, bool]:
    """Build the corpus in ``corpus_dir`` (default: the project's) and write ``documents.jsonl``.

    Returns ``(corpus, path, changed)``; the file is rewritten only when its content changes, so
    a rebuild of an unchanged corpus touches nothing.
    """
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    corpus = build_corpus(corpus_dir)
    path = corpus_dir / "documents.jsonl"
    text = corpus.to_jsonl()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return corpus, path, False
    corpus.save(path)
    return corpus, path, True
