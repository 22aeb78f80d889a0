"""The package's own exceptions.

Every error a user can cause (a bad path, a malformed file, an unknown query, a missing model)
raises a subclass of :class:`TifaError` whose message says what went wrong and what to do. The
CLI prints that message on one line and exits with status 2.
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


class DictionaryError(TifaError):
    """A theme dictionary file is malformed."""
