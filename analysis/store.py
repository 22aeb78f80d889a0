"""The columnar token store: a Parquet copy of a corpus's Tokens table beside its CoNLL-U files.

The CoNLL-U files stay the interchange format and the source of truth; the store is derived from
them, written once, and read instead of re-parsing them::

    <annotations folder>/tokens.parquet

One file, one row group per run of whole documents (about :data:`ROW_GROUP_WORDS` words; a
document is never split), so a filter on ``doc_id`` or on document metadata reads only the row
groups that hold matching documents, and ``columns=`` reads only those columns. String columns
are dictionary-encoded (vocabulary-coded), integers as narrow as the Tokens table's
(``int16``/``int32``); every page carries a CRC checksum.

The store's **key**, kept in the Parquet metadata, is the SHA-256 of: the Tokens schema version
(:data:`SCHEMA_VERSION`), for each document of the corpus in order its ``doc_id`` and the cache
key of its CoNLL-U file (text hash, model set, sentence and word counts, body SHA-256, read from
the file's header, :func:`analysis.annotation.read_header`), and the corpus metadata the table
joins (each document's ``lang, kind, outlet, date, title`` and further columns, each paragraph's
``par, lang, voice``). A store whose key differs (a document re-annotated, its text or metadata
changed, documents added or removed) or that cannot be read completely (truncated, damaged) is
never trusted: :func:`load_store` rebuilds it from the CoNLL-U.

The store is written under the folder's :func:`~analysis.annotation.writer_lock`, atomically (a
temporary file renamed into place). :func:`load_store` builds it only for corpora of at least
:data:`STORE_MIN_WORDS` words (below that, parsing the CoNLL-U takes about a second and a store
is not worth a file), unless one is there already; :func:`write_store` builds it for any corpus.
A folder that cannot be written (committed annotations on a read-only checkout), or that another
run is writing, is read from the CoNLL-U without a store, never an error.

Checking every CoNLL-U body against its SHA-256 (what :func:`~analysis.annotation.find_annotations`
does) means reading about a gigabyte at ten million words. So each time the files have been
checked in full, :data:`FILES_RECORD` records their sizes and modification times, digests of the
corpus texts and metadata and the model set; :func:`load_current` reads the store without that
check while all of these are unchanged, and otherwise leaves it to the full check.

Before a read, the memory it needs is estimated from the Parquet metadata (the rows of the row
groups it reads) and the number of distinct values of each column, which the store records when it
is written (the key ``tifa_store_categories`` of the file's metadata); a read, or a first build,
that would not fit raises :class:`~analysis.errors.MemoryEstimateError` up front (see
:func:`analysis.tokens.check_memory` and docs/scale.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import AnnotationError, QueryError

#: Version of the Tokens table's layout; bump it when columns or dtypes change (it invalidates every store).
SCHEMA_VERSION = 1
#: The store's file name inside an annotations folder.
STORE_FILE = "tokens.parquet"
#: load_store builds a store only for corpora of at least this many words (an existing store is always used).
STORE_MIN_WORDS = 100_000
#: About this many words per row group (whole documents).
ROW_GROUP_WORDS = 500_000
#: Beside the store: the size and modification time of every CoNLL-U file it was checked against.
FILES_RECORD = "tokens.files.json"
#: Key columns that every read returns.
KEY_COLUMNS = ("doc_id", "par", "sent", "idx")
_META_KEY = b"tifa_store"
_CATEGORIES_KEY = "tifa_store_categories"


def store_path(directory: str | os.PathLike) -> Path:
    """The store of the annotations folder ``directory``."""
    return Path(directory) / STORE_FILE


# -- the key -----------------------------------------------------------------------------------


def _file_stats(corpus, directory: Path) -> list[list[int]]:
    """Size and modification time (ns) of each document's CoNLL-U file (``[-1, -1]`` when missing)."""
    from .annotation import annotation_path

    out = []
    for doc in corpus:
        try:
            st = annotation_path(directory, doc.doc_id).stat()
            out.append([st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([-1, -1])
    return out


def _header_keys(corpus, directory: Path) -> tuple[list[list[str]], int]:
    """Each document's ``[doc_id, newdoc id, text hash, model set, sentences, words, body sha256]``
    from its CoNLL-U header, and the sum of the recorded word counts."""
    from .annotation import BODY_KEY, HASH_KEY, MODEL_KEY, SENTENCES_KEY, WORDS_KEY, annotation_path, read_header

    docs, words = [], 0
    for doc in corpus:
        h = read_header(annotation_path(directory, doc.doc_id))
        docs.append([doc.doc_id, h.get("newdoc id", ""), h.get(HASH_KEY, ""), h.get(MODEL_KEY, ""),
                     h.get(SENTENCES_KEY, ""), h.get(WORDS_KEY, ""), h.get(BODY_KEY, "")])
        try:
            words += int(h.get(WORDS_KEY, 0))
        except ValueError:
            pass
    return docs, words


def _metadata_digest(corpus) -> str:
    """SHA-256 of the corpus metadata the Tokens table joins (document fields and extras, paragraph lang and voice)."""
    from .tokens import _meta_text

    h = hashlib.sha256()
    for doc in corpus:
        extra = [[str(k), _meta_text(v)] for k, v in doc.extra.items()]
        row = [doc.doc_id, *(_meta_text(v) for v in (doc.lang, doc.kind, doc.outlet, doc.date, doc.title)), extra,
               [[p.par, p.lang, p.voice] for p in doc.paragraphs]]
        h.update(json.dumps(row).encode("ascii"))
        h.update(b"\n")
    return h.hexdigest()


def _texts_digest(corpus) -> str:
    """SHA-256 of what the documents' text hashes cover (paragraph number, language, text), in one pass."""
    h = hashlib.sha256()
    for doc in corpus:
        h.update(json.dumps([doc.doc_id, [[p.par, p.lang, len(p.text)] for p in doc.paragraphs]]).encode("ascii"))
        for p in doc.paragraphs:
            h.update(p.text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def store_key(corpus, directory: str | os.PathLike) -> str:
    """The key a current store of ``corpus`` in ``directory`` carries (a SHA-256, hex)."""
    docs, _ = _header_keys(corpus, Path(directory))
    return _digest(docs, corpus)


def _digest(docs: list, corpus, metadata: str | None = None) -> str:
    payload = {"schema": SCHEMA_VERSION, "documents": docs, "metadata": metadata or _metadata_digest(corpus)}
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


# -- writing -----------------------------------------------------------------------------------


def _columns(corpus) -> list[str]:
    from .tokens import TOKEN_COLUMNS

    cols = list(TOKEN_COLUMNS)
    for doc in corpus:
        for key in doc.extra:
            key = str(key)
            if key not in cols:
                cols.append(key)
    return cols


def _arrow_schema(columns: Sequence[str]):
    import pyarrow as pa

    from .tokens import _INT_DTYPES

    ints = {"int16": pa.int16(), "int32": pa.int32(), "Int32": pa.int32()}
    return pa.schema([pa.field(c, ints[_INT_DTYPES[c]]) if c in _INT_DTYPES
                      else pa.field(c, pa.dictionary(pa.int32(), pa.string())) for c in columns])


def _arrow_table(tokens: pd.DataFrame, schema):
    import pyarrow as pa

    arrays = []
    for f in schema:
        col = tokens[f.name] if f.name in tokens.columns else None
        if pa.types.is_dictionary(f.type):
            if col is None:
                values = pa.DictionaryArray.from_arrays(pa.array(np.zeros(len(tokens), dtype=np.int32)),
                                                        pa.array([""], pa.string()))
            else:
                codes = col.array.codes.astype(np.int32)
                values = pa.DictionaryArray.from_arrays(
                    pa.array(codes, pa.int32()), pa.array(np.asarray(col.cat.categories, dtype=object), pa.string()))
            arrays.append(values)
        elif isinstance(col.dtype, pd.Int32Dtype):
            arrays.append(pa.array(col.array.to_numpy(dtype=np.int32, na_value=0), pa.int32(),
                                   mask=col.isna().to_numpy()))
        else:
            arrays.append(pa.array(col.to_numpy(), f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _row_groups(corpus, words: Mapping[str, int]) -> list[list]:
    groups: list[list] = [[]]
    size = 0
    for doc in corpus:
        n = words.get(doc.doc_id, 0)
        if groups[-1] and size + n > ROW_GROUP_WORDS:
            groups.append([])
            size = 0
        groups[-1].append(doc)
        size += n
    return [g for g in groups if g]


def write_store(directory: str | os.PathLike, corpus) -> Path:
    """Write the token store of ``corpus``'s annotations in ``directory`` (validated CoNLL-U); return its path.

    Raises :class:`~analysis.errors.AnnotationError` as :func:`~analysis.tokens.load_tokens` does
    for missing, stale or damaged CoNLL-U files, or if another run holds the folder's lock; an
    :class:`OSError` if the folder cannot be written; :class:`~analysis.errors.MemoryEstimateError`,
    before anything is written, if parsing one row group would need more memory than is available.
    The store records each categorical column's number of distinct values (and their bytes), from
    which a read estimates its memory.
    """
    import pyarrow.parquet as pq

    from ._atomic import atomic_path
    from .annotation import load_sentences, writer_lock
    from .corpus import Corpus
    from .tokens import _INT_DTYPES, tokens_from_corpus_sentences

    directory = Path(directory)
    target = store_path(directory)
    _check_write_memory(directory, corpus)  # before the lock: a refused write leaves no file
    with writer_lock(directory, "write the token store"):
        stats = _file_stats(corpus, directory)  # before reading: a file changed later no longer matches
        docs, _ = _header_keys(corpus, directory)
        key = _digest(docs, corpus)
        words = _words(docs)
        columns = _columns(corpus)
        schema = _arrow_schema(columns)
        groups = _row_groups(corpus, words)
        meta = {"schema_version": SCHEMA_VERSION, "key": key, "rows": sum(words.values()),
                "row_groups": [[d.doc_id for d in g] for g in groups]}
        schema = schema.with_metadata({_META_KEY: json.dumps(meta, ensure_ascii=False).encode("utf-8")})
        seen: dict[str, set] = {c: set() for c in columns if c not in _INT_DTYPES}
        with atomic_path(target) as tmp:
            with pq.ParquetWriter(tmp, schema, compression="lz4", write_page_checksum=True,
                                  use_dictionary=[c for c in columns if c not in ("par", "sent", "idx", "head",
                                                                                  "start_char", "end_char")]) as writer:
                for group in groups:
                    part = Corpus(group, name=corpus.name)
                    tokens = tokens_from_corpus_sentences(part, load_sentences(part, directory))
                    if len(tokens) != sum(words[d.doc_id] for d in group):
                        raise AnnotationError(f"{directory}: the CoNLL-U files' word counts disagree with their "
                                              "headers; run `tifa annotate --force`")
                    table = _arrow_table(tokens, schema)
                    writer.write_table(table, row_group_size=max(len(table), 1))
                    for col in seen:
                        if col in tokens.columns:
                            seen[col].update(tokens[col].cat.categories)
                # each categorical column's distinct values: what a read's memory estimate needs
                writer.add_key_value_metadata({_CATEGORIES_KEY: _category_counts(seen)})
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        _write_files_record(directory, corpus, key, stats, docs)
    return target


def _words(headers: list) -> dict[str, int]:
    """Each document's word count, from its CoNLL-U header (0 when the header has none)."""
    return {d[0]: int(d[5]) if d[5].isdigit() else 0 for d in headers}


def _check_write_memory(directory: Path, corpus) -> None:
    """Refuse up front to build a store whose largest row group would not fit in memory (parsed from CoNLL-U)."""
    from .tokens import CONLLU_PEAK_BYTES_PER_WORD, check_memory

    docs, _ = _header_keys(corpus, directory)
    words = _words(docs)
    largest = max((sum(words.get(d.doc_id, 0) for d in g) for g in _row_groups(corpus, words)), default=0)
    check_memory(largest * CONLLU_PEAK_BYTES_PER_WORD,
                 f"building the token store of {directory} (parsing {largest:,} words of CoNLL-U at a time)",
                 "parse fewer words at a time (lower analysis.store.ROW_GROUP_WORDS), or load a part of the corpus "
                 "(load_tokens(corpus.subset(...)))")


def _category_counts(seen: Mapping[str, set]) -> str:
    """The store's record of each categorical column's distinct values and their UTF-8 bytes (JSON)."""
    return json.dumps({c: [len(v), sum(len(x.encode("utf-8", "surrogatepass")) for x in v)] for c, v in seen.items()},
                      separators=(",", ":"))


def _categories_of(pf) -> dict[str, tuple[int, int]]:
    """What :func:`_category_counts` recorded in the store (empty for a store written before it was)."""
    try:
        record = json.loads((pf.metadata.metadata or {}).get(_CATEGORIES_KEY.encode(), b"{}"))
        return {str(c): (int(v[0]), int(v[1])) for c, v in record.items()}
    except (ValueError, TypeError, IndexError, AttributeError):
        return {}


def _write_files_record(directory: Path, corpus, key: str, stats: list, headers: list) -> None:
    """Record what the store was last checked against in full: the CoNLL-U files' sizes and times,
    digests of the corpus texts and metadata, and the model sets the headers name. Only called
    right after every file was checked against ``corpus`` (its text hashes, its integrity record)."""
    from ._atomic import write_text_atomic

    record = {"key": key, "files": stats, "texts": _texts_digest(corpus), "metadata": _metadata_digest(corpus),
              "models": sorted({h[3] for h in headers})}
    write_text_atomic(directory / FILES_RECORD, json.dumps(record, separators=(",", ":")) + "\n")


def _read_files_record(directory: Path) -> dict:
    try:
        record = json.loads((directory / FILES_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


# -- reading -----------------------------------------------------------------------------------


class _Unusable(Exception):
    """Internal: the store is missing, damaged, or its key differs from the CoNLL-U's (it must be rebuilt).

    Never reaches a user: :func:`read_store` turns it into an :class:`~analysis.errors.AnnotationError`."""


def _open(directory: Path, corpus):
    """The store of ``directory`` if it is current for ``corpus``: ``(ParquetFile, its record, the headers)``."""
    pf, meta = _open_file(directory)
    headers, _ = _header_keys(corpus, directory)
    if meta.get("key") != _digest(headers, corpus):
        raise _Unusable(f"{store_path(directory)}: out of date")
    return pf, meta, headers


def _open_file(directory: Path):
    """The store's ParquetFile and its record, if it is readable and of this schema version."""
    import pyarrow.parquet as pq

    path = store_path(directory)
    if not path.is_file():
        raise _Unusable(f"{path}: no token store")
    try:
        pf = pq.ParquetFile(path, page_checksum_verification=True)
        meta = json.loads(pf.schema_arrow.metadata[_META_KEY])
    except Exception as exc:  # a truncated or foreign file: never trusted
        raise _Unusable(f"{path}: damaged ({exc})") from None
    if not isinstance(meta, dict) or meta.get("schema_version") != SCHEMA_VERSION:
        raise _Unusable(f"{path}: written for another layout of the Tokens table")
    if pf.metadata.num_rows != meta.get("rows") or pf.metadata.num_row_groups != len(meta.get("row_groups", ())):
        raise _Unusable(f"{path}: damaged (row counts differ from its record)")
    return pf, meta


def _doc_candidates(corpus, filters: Mapping[str, Any]) -> set[str] | None:
    """Documents that may hold rows meeting the document-level ``filters`` (None: no pruning possible)."""
    from ._core import filter_mask
    from .tokens import _meta_text

    doc_filters = {k: v for k, v in filters.items() if v is not None}
    if not doc_filters:
        return None
    rows = []
    for doc in corpus:
        meta = {"doc_id": doc.doc_id, "kind": _meta_text(doc.kind), "outlet": _meta_text(doc.outlet),
                "date": _meta_text(doc.date), "title": _meta_text(doc.title),
                **{str(k): _meta_text(v) for k, v in doc.extra.items()}}
        # every (lang, voice) a row of this document can carry; a sentence without a paragraph
        # number takes the document's lang and voice (an imported column of that name, if any)
        fallback = (meta.get("lang", _meta_text(doc.lang)), meta.get("voice", ""))
        for lang, voice in {(p.lang, p.voice) for p in doc.paragraphs} | {fallback}:
            rows.append({**meta, "lang": lang, "voice": voice})
    table = pd.DataFrame(rows).astype("string").fillna("")
    usable = {k: v for k, v in doc_filters.items() if k in table.columns}
    if not usable:
        return None
    keep = filter_mask(table, usable)
    return set(table["doc_id"][keep])


def _dictionary_column(chunked) -> pd.Categorical:
    """A dictionary-encoded column (one dictionary per row group) as load_tokens' categorical:
    the values present, sorted (code-point order, as pandas sorts them), categories of dtype string."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = [c for c in chunked.chunks if len(c)]
    if not chunks:
        return pd.Categorical([], dtype=pd.CategoricalDtype(pd.Index([], dtype="string")))
    # only the dictionary entries some row uses (a row group's dictionary may hold more)
    used = [c.dictionary.take(pc.unique(c.indices)) for c in chunks]
    values = pc.unique(pa.concat_arrays(used))
    values = values.take(pc.sort_indices(values))
    codes = pa.concat_arrays([pc.index_in(c.dictionary, value_set=values).take(c.indices) for c in chunks])
    codes = codes.to_numpy(zero_copy_only=False)
    n = len(values)
    small = np.int8 if n < 128 else np.int16 if n < 32768 else np.int32
    dtype = pd.CategoricalDtype(pd.Index(values.to_pylist(), dtype="string"))
    return pd.Categorical.from_codes(codes.astype(small, copy=False), dtype=dtype, validate=False)


def _to_pandas(table, columns: Sequence[str]) -> pd.DataFrame:
    import pyarrow as pa

    from .tokens import _INT_DTYPES

    out = {}
    for name in columns:
        chunked = table.column(name)
        if pa.types.is_dictionary(chunked.type):
            out[name] = _dictionary_column(chunked)
        elif _INT_DTYPES.get(name) == "Int32":
            arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
            values = arr.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
            mask = arr.is_null().to_numpy(zero_copy_only=False)
            out[name] = pd.arrays.IntegerArray(values, mask)
        else:
            out[name] = chunked.to_numpy().astype(_INT_DTYPES[name], copy=False)
    return pd.DataFrame(out, columns=list(columns), copy=False)


def check_columns_arg(columns: Any, available: Sequence[str]) -> list[str] | None:
    """``columns=``: None (all) or column names; the key columns always come, in the table's order."""
    if columns is None:
        return None
    wanted = [columns] if isinstance(columns, str) else list(columns)
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise QueryError(f"cannot load column(s) {', '.join(map(repr, unknown))}: no such column in this corpus's "
                         f"Tokens table; columns: {', '.join(available)}")
    keep = set(wanted) | set(KEY_COLUMNS)
    return [c for c in available if c in keep]


def read_store(directory: str | os.PathLike, corpus, columns: Iterable[str] | None = None,
               filters: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The Tokens table of ``corpus`` from the store in ``directory``: only ``columns`` (plus the key
    columns ``doc_id, par, sent, idx``), only the rows that meet ``filters`` (as :func:`analysis.select`).

    Reads only the row groups that can hold matching documents when ``filters`` name ``doc_id``,
    ``lang``, ``voice`` or document metadata. Raises :class:`~analysis.errors.AnnotationError`
    when the store is missing, damaged or out of date (:func:`load_tokens` rebuilds it then).
    Dtypes and category order are those :func:`~analysis.tokens.load_tokens` gives; with
    ``filters``, categories are the values the selected rows hold. Raises
    :class:`~analysis.errors.MemoryEstimateError` before reading if the read would need more memory
    than is available (:func:`analysis.tokens.check_memory`).
    """
    try:
        pf, meta, _ = _open(Path(directory), corpus)
        return _read(pf, meta, Path(directory), corpus, columns, filters)
    except _Unusable as exc:
        raise AnnotationError(f"{exc}; load_tokens(corpus) rebuilds it "
                              "(or analysis.store.write_store(folder, corpus))") from None


def _read(pf, meta, directory: Path, corpus, columns, filters) -> pd.DataFrame:
    from ._core import select

    available = list(pf.schema_arrow.names)
    wanted = check_columns_arg(columns, available) or available
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    unknown = [k for k in filters if k not in available]
    if unknown:
        raise QueryError(f"cannot filter on {unknown[0]!r}: no such column; columns: {', '.join(available)}")
    read = [c for c in available if c in set(wanted) | set(filters)]
    groups = list(range(pf.metadata.num_row_groups))
    docs = _doc_candidates(corpus, filters)
    if docs is not None:
        groups = [i for i, ids in enumerate(meta["row_groups"]) if docs.intersection(ids)]
    rows = sum(pf.metadata.row_group(i).num_rows for i in groups)
    _check_read_memory(rows, read, _categories_of(pf) or None, corpus, f"the token store {store_path(directory)}")
    try:
        table = pf.read_row_groups(groups, columns=read, use_threads=True) if groups else \
            pf.schema_arrow.empty_table().select(read)
    except Exception as exc:  # a damaged page (checksum), a cut file
        raise _Unusable(f"{store_path(directory)}: damaged ({exc})") from None
    tokens = _to_pandas(table, read)
    if filters:
        tokens = select(tokens, **filters)[wanted].reset_index(drop=True)
        tokens = _drop_unused(tokens)
    return tokens


def _check_read_memory(rows: int, columns: Sequence[str], categories: Mapping[str, tuple[int, int]] | None,
                       corpus, source: str) -> None:
    """Refuse up front a read of ``rows`` rows of ``columns`` from the store whose peak would not fit in memory.

    ``categories``: the store's record of distinct values (None: the corpus's, the word columns' guessed)."""
    from .tokens import STORE_READ_PEAK, STORE_WAY_OUT, check_memory, corpus_categories, estimate_tokens_bytes

    table = estimate_tokens_bytes(rows, columns, categories if categories is not None else corpus_categories(corpus))
    check_memory(int(table * STORE_READ_PEAK), f"loading {rows:,} rows x {len(columns)} columns from {source}",
                 STORE_WAY_OUT, table=table)


def _drop_unused(tokens: pd.DataFrame) -> pd.DataFrame:
    for col in tokens.columns:
        if isinstance(tokens[col].dtype, pd.CategoricalDtype):
            tokens[col] = tokens[col].cat.remove_unused_categories()
    return tokens


def load_store(corpus, directory: str | os.PathLike, columns: Iterable[str] | None = None,
               filters: Mapping[str, Any] | None = None) -> pd.DataFrame | None:
    """The Tokens table from the store, (re)building it when it is stale or damaged; ``None`` when
    there is no store to use (a small corpus without one, a read-only folder, a folder another run is
    writing): the caller reads the CoNLL-U then."""
    directory = Path(directory)
    try:
        stats = _file_stats(corpus, directory)
        pf, meta, headers = _open(directory, corpus)
        tokens = _read(pf, meta, directory, corpus, columns, filters)
    except _Unusable:
        pass
    else:
        # the caller has just checked every CoNLL-U file in full: record what they were checked
        # against, so that the next load can skip that check (load_current)
        if _read_files_record(directory).get("files") != stats and os.access(directory, os.W_OK):
            from .annotation import writer_lock

            try:
                with writer_lock(directory, "record the token store's files"):
                    _write_files_record(directory, corpus, meta["key"], stats, headers)
            except (OSError, AnnotationError):
                pass
        return tokens
    headers, words = _header_keys(corpus, directory)
    if not store_path(directory).exists() and words < STORE_MIN_WORDS:
        return None
    if not os.access(directory, os.W_OK):
        return None
    # the read that follows the build, estimated before anything is written (a refused load leaves no file)
    available = _columns(corpus)
    wanted = check_columns_arg(columns, available) or available
    active = {k: v for k, v in (filters or {}).items() if v is not None}
    docs = _doc_candidates(corpus, active)
    counts = _words(headers)
    rows = sum(counts.get(d.doc_id, 0) for g in _row_groups(corpus, counts)
               if docs is None or docs.intersection(d.doc_id for d in g) for d in g)
    _check_read_memory(rows, [c for c in available if c in set(wanted) | set(active)], None, corpus,
                       f"the token store to be built in {directory}")
    try:
        write_store(directory, corpus)
    except OSError:
        return None
    except AnnotationError as exc:
        if "is being written by" in str(exc):
            return None
        raise
    return read_store(directory, corpus, columns, filters)


def load_current(corpus, *, annotations_dir=None, model_set=None, root=None, columns=None,
                 filters=None) -> pd.DataFrame | None:
    """The Tokens table straight from a current store, without re-checking the CoNLL-U bodies; else ``None``.

    The folder is the one :func:`~analysis.annotation.find_annotations` chooses when that choice
    needs no more than the headers: ``annotations_dir``, the folder of ``model_set``, or the only
    annotations folder under ``root`` (the corpus's own by default) when the active model set (if
    any) is that folder's. The folder's :data:`FILES_RECORD`, written when every CoNLL-U file was
    last checked in full against the corpus, must hold the store's key, the model set, and the
    corpus's texts and metadata as they are now, and every CoNLL-U file must still have the size
    and modification time recorded there (a file edited or cut since then sends the caller to the
    full check, which names it). ``tokens.attrs["model_set"]`` is set.
    """
    from .annotation import PROVENANCE_FILE, _corpus_languages, annotations_root
    from .models import ModelSet, try_resolve_model_set

    wanted = model_set.id if isinstance(model_set, ModelSet) else model_set
    if annotations_dir is not None:
        directory = Path(annotations_dir)
    else:
        base = Path(root) if root is not None else annotations_root(corpus)
        if wanted is not None:
            directory = base / str(wanted)
        else:
            dirs = sorted({p.parent for p in base.glob(f"*/{STORE_FILE}")} | {p.parent for p in base.glob("*/*.conllu")}
                          | {p.parent for p in base.glob(f"*/{PROVENANCE_FILE}")})
            if len(dirs) != 1:
                return None
            directory = dirs[0]
            try:
                wanted = json.loads((directory / PROVENANCE_FILE).read_text(encoding="utf-8"))["model_set"]
            except (OSError, ValueError, KeyError, TypeError):
                return None  # no or a damaged record: find_annotations rebuilds it from the headers (and warns)
            active = try_resolve_model_set(require=_corpus_languages(list(corpus)))
            if active is not None and active.id != directory.name:
                # the only folder is another model set's: find_annotations would choose it and say so
                warnings.warn(f"using the annotations in {directory}: the active model set {active.id} has none up "
                              "to date (run `tifa annotate` to parse with it)", stacklevel=3)
    try:
        pf, meta = _open_file(directory)
    except _Unusable:
        return None
    record = _read_files_record(directory)
    if (record.get("key") != meta.get("key") or (wanted is not None and record.get("models") != [wanted])
            or record.get("files") != _file_stats(corpus, directory) or record.get("texts") != _texts_digest(corpus)
            or record.get("metadata") != _metadata_digest(corpus)):
        return None
    try:
        tokens = _read(pf, meta, directory, corpus, columns, filters)
    except _Unusable:
        return None
    tokens.attrs["model_set"] = directory.name
    return tokens


__all__ = ["KEY_COLUMNS", "SCHEMA_VERSION", "FILES_RECORD", "STORE_FILE", "STORE_MIN_WORDS", "load_current",
           "load_store", "read_store", "store_key", "store_path", "write_store"]
