"""The package's own exceptions: every error a user can cause, in one hierarchy.

Every error a user can cause (a bad path, a malformed file, an unknown query, a bad argument, a
missing model) raises a subclass of :class:`TifaError` whose message says what went wrong and
what to do. The CLI prints that message on one line and exits with status 2.

::

    TifaError
    ├── CorpusError ─── ManifestError, ChecksumError, CorpusImportError
    ├── AnnotationError ─── ModelNotFoundError
    ├── QueryError                 a query or term is malformed or names an unknown field
    ├── ParameterError (ValueError) an argument has a value the function cannot use
    │   └── EmptySelectionError     a filter or table leaves nothing to analyse
    ├── DictionaryError ─── GlossaryError
    ├── TopicModelError
    ├── NotebookError
    ├── TrainingError              a model recipe cannot be carried out (tifa models train)
    └── MemoryEstimateError (MemoryError) a table would need more memory than is available
"""

from __future__ import annotations


class TifaError(Exception):
    """Base class of every error a user of Tifa can cause."""


class CorpusError(TifaError):
    """A corpus (raw text, manifest or built corpus) cannot be read or is inconsistent."""


class ManifestError(CorpusError):
    """The curated manifest contradicts the raw text or itself."""


class ChecksumError(CorpusError):
    """A raw file's SHA-256 differs from the one recorded in the manifest."""


class CorpusImportError(CorpusError):
    """A folder, CSV or JSON Lines file cannot be imported as a corpus."""


class AnnotationError(TifaError):
    """Annotation (parsing) failed, or a CoNLL-U file is malformed."""


class ModelNotFoundError(AnnotationError):
    """The requested Stanza model set is not installed where Tifa looked."""


class QueryError(TifaError):
    """A query (KWIC, dictionary entry, term) is malformed or names an unknown field."""


class ParameterError(TifaError, ValueError):
    """An argument has a value the function cannot use (a negative window, an unknown measure...)."""


class EmptySelectionError(ParameterError):
    """A Tokens table, or the rows a filter selects from it, holds no words to analyse."""


class DictionaryError(TifaError):
    """A theme dictionary file is malformed."""


class GlossaryError(DictionaryError):
    """A translation glossary file is malformed."""


class TopicModelError(TifaError):
    """A topic model is used before it is fitted, or cannot be fitted on the given units."""


class NotebookError(TifaError):
    """A notebook cannot be found or failed while it ran."""


class TrainingError(TifaError):
    """A model recipe cannot be carried out: a treebank is missing, or a Stanza trainer failed (the message names its log)."""


class MemoryEstimateError(TifaError, MemoryError):
    """Loading a table would need more memory than the machine has available.

    Raised up front, before anything is allocated or written, from an estimate of the memory the
    table needs (:func:`analysis.tokens.estimate_tokens_bytes`); the message gives the estimate,
    the memory available and how to read less. ``needed`` and ``available`` hold the two numbers
    in bytes.
    """

    def __init__(self, message: str, *, needed: int = 0, available: int = 0):
        super().__init__(message)
        self.needed = needed
        self.available = available


__all__ = [
    "TifaError", "CorpusError", "ManifestError", "ChecksumError", "CorpusImportError", "AnnotationError",
    "ModelNotFoundError", "QueryError", "ParameterError", "EmptySelectionError", "DictionaryError",
    "GlossaryError", "TopicModelError", "NotebookError", "MemoryEstimateError",
    "TrainingError",
]
