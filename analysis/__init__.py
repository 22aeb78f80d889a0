"""Tifa (提法): discourse and rhetoric analysis of Chinese party-state texts.

One data flow: raw text → :class:`Corpus` → CoNLL-U (Stanza) → Tokens DataFrame → analyses
(DataFrames) → plots (Figures) → notebooks → figures/.
"""

from __future__ import annotations

from pathlib import Path

from .corpus import Corpus, Document, Paragraph
from .errors import (AnnotationError, ChecksumError, CorpusError, CorpusImportError, DictionaryError,
                     EmptySelectionError, GlossaryError, ManifestError, MemoryEstimateError, ModelNotFoundError,
                     NotebookError, ParameterError, QueryError, TifaError, TopicModelError, TrainingError)

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


# The public API, quanteda-style: one import gives every step of the data flow (docs/api.md).
# Names are imported on first use (PEP 562), so `import analysis` and the `tifa` command start
# fast. No module shares a name with a function, so `analysis.kwic` is always the function.
_LAZY = {
    "annotate": "annotation", "ensure_annotations": "annotation",
    "select": "_core", "is_word": "_core",
    "collocates": "collocation", "collocation_network": "collocation",
    "composition": "overview",
    "dispersion": "distribution", "dispersion_positions": "distribution",
    "formulas": "phraseology", "formula_occurrences": "phraseology", "formula_kwic": "phraseology",
    "formulas_by_document": "phraseology",
    "frequency": "wordlist", "ngrams": "wordlist", "clusters": "wordlist",
    "keyness": "keywords",
    "KWIC": "concordance", "kwic": "concordance",
    "resolve_model_set": "models",
    "compare_rhetoric": "rhetoric", "feature_hits": "rhetoric", "rhetoric_profile": "rhetoric",
    "sketch_hits": "sketch", "word_sketch": "sketch", "WordSketch": "sketch",
    "Dictionary": "themes", "load_dictionary": "themes", "save_dictionary": "themes",
    "theme_cooccurrence": "themes", "theme_entries": "themes", "theme_hits": "themes", "theme_rates": "themes",
    "load_tokens": "tokens",
    "TopicModel": "topics", "topic_units": "topics", "sweep": "topics", "choose_k": "topics",
    "k_selection": "topics", "top_terms": "topics", "doc_topics": "topics", "topic_prevalence": "topics",
    "topic_stability": "topics", "topic_labels": "topics", "load_topic_labels": "topics",
    "alignment_scores": "bilingual", "parallel_kwic": "bilingual", "term_translations": "bilingual",
    "translation_candidates": "bilingual", "compare_pair_features": "bilingual",
    "plot_composition": "plots.corpus", "plot_dispersion": "plots.dispersion", "plot_keyness": "plots.keyness",
    "plot_collocation_network": "plots.collocation", "plot_word_sketch": "plots.sketch",
    "plot_theme_rates": "plots.themes", "plot_theme_heatmap": "plots.themes",
    "plot_topic_sweep": "plots.topics", "plot_top_terms": "plots.topics", "plot_topic_prevalence": "plots.topics",
    "plot_rhetoric_profile": "plots.rhetoric", "plot_formulas_across_documents": "plots.rhetoric",
    "plot_term_translations": "plots.bilingual", "plot_alignment_scores": "plots.bilingual",
    "plot_pair_features": "plots.bilingual",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


_ERRORS = ["TifaError", "CorpusError", "ManifestError", "ChecksumError", "CorpusImportError", "AnnotationError",
           "ModelNotFoundError", "QueryError", "ParameterError", "EmptySelectionError", "DictionaryError",
           "GlossaryError", "TopicModelError", "NotebookError", "MemoryEstimateError", "TrainingError"]

__all__ = sorted(_LAZY) + ["Corpus", "Document", "Paragraph", "load_corpus", "read_corpus"] + _ERRORS
