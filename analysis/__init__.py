"""Tifa (提法): discourse and rhetoric analysis of Chinese party-state texts.

One data flow: raw text → :class:`Corpus` → CoNLL-U (Stanza) → Tokens DataFrame → analyses
(DataFrames) → plots (Figures) → notebooks → figures/.
"""

from __future__ import annotations

from pathlib import Path

from .corpus import Corpus, Document, Paragraph
from .errors import (AnnotationError, ChecksumError, CorpusError, CorpusImportError, DictionaryError,
                     ManifestError, ModelNotFoundError, QueryError, TifaError)

__version__ = "0.1.0"


def load_corpus(path: str | Path | None = None) -> Corpus:
    """Load a corpus: the seed by default, or the corpus at ``path``.

    ``path`` may be a corpus directory (with a curated ``manifest.yaml``, built from its raw text,
    or a ``documents.jsonl`` written by ``tifa corpus build``/``tifa corpus import``) or a
    ``documents.jsonl`` file. The seed's raw text is checked against its recorded SHA-256.
    """
    from .manifest import build_corpus
    from .paths import default_corpus_dir

    p = Path(path) if path is not None else default_corpus_dir()
    if p.is_file():
        return Corpus.from_jsonl(p)
    if not p.exists():
        raise CorpusError(f"{p}: no such corpus directory or file")
    if (p / "manifest.yaml").is_file():
        return build_corpus(p)
    if (p / "documents.jsonl").is_file():
        return Corpus.from_jsonl(p / "documents.jsonl")
    raise CorpusError(f"{p}: neither manifest.yaml nor documents.jsonl here; build or import a corpus first")


def read_corpus(path: str | Path, **options) -> Corpus:
    """Import a folder of .txt files, a CSV or a JSON Lines file as a Corpus (see :mod:`analysis.importers`)."""
    from .importers import read_corpus as _read

    return _read(path, **options)


__all__ = [
    "AnnotationError", "ChecksumError", "Corpus", "CorpusError", "CorpusImportError", "DictionaryError",
    "Document", "ManifestError", "ModelNotFoundError", "Paragraph", "QueryError", "TifaError",
    "load_corpus", "read_corpus",
]
