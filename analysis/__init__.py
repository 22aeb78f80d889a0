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


# The public API, quanteda-style: one import gives every step of the data flow. Names are
# imported on first use (PEP 562), so `import analysis` and the `tifa` command start fast.
_LAZY = {
    "annotate": "annotation", "ensure_annotations": "annotation",
    "collocates": "collocation", "collocation_network": "collocation",
    "composition": "composition",
    "dispersion": "dispersion", "dispersion_positions": "dispersion",
    "formula_kwic": "formulas", "formulas": "formulas",
    "clusters": "frequency", "frequency": "frequency", "ngrams": "frequency",
    "keyness": "keyness",
    "KWIC": "kwic", "kwic": "kwic",
    "resolve_model_set": "models",
    "compare_rhetoric": "rhetoric", "feature_hits": "rhetoric", "rhetoric_profile": "rhetoric",
    "sketch_hits": "sketch", "word_sketch": "sketch",
    "load_dictionary": "themes", "theme_cooccurrence": "themes", "theme_entries": "themes",
    "theme_hits": "themes", "theme_rates": "themes",
    "load_tokens": "tokens",
    "TopicModel": "topics", "choose_k": "topics", "sweep": "topics", "top_terms": "topics",
    "topic_prevalence": "topics", "topic_units": "topics",
    "alignment_scores": "bilingual", "parallel_kwic": "bilingual", "term_translations": "bilingual",
}


# Where a function shares its module's name (analysis.kwic is both), bind the function now:
# importing a submodule sets the package attribute to the module, once, at its first import.
from .composition import composition  # noqa: E402
from .dispersion import dispersion  # noqa: E402
from .formulas import formulas  # noqa: E402
from .frequency import frequency  # noqa: E402
from .keyness import keyness  # noqa: E402
from .kwic import kwic  # noqa: E402


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "annotate", "ensure_annotations", "collocates", "collocation_network", "composition", "dispersion",
    "dispersion_positions", "formula_kwic", "formulas", "clusters", "frequency", "ngrams", "keyness", "KWIC",
    "kwic", "resolve_model_set", "compare_rhetoric", "feature_hits", "rhetoric_profile", "sketch_hits",
    "word_sketch", "load_dictionary", "theme_cooccurrence", "theme_entries", "theme_hits", "theme_rates",
    "load_tokens", "TopicModel", "choose_k", "sweep", "top_terms", "topic_prevalence", "topic_units",
    "alignment_scores", "parallel_kwic", "term_translations",
    "AnnotationError", "ChecksumError", "Corpus", "CorpusError", "CorpusImportError", "DictionaryError",
    "Document", "ManifestError", "ModelNotFoundError", "Paragraph", "QueryError", "TifaError",
    "load_corpus", "read_corpus",
]
