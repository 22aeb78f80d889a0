"""The Tokens table: one row per syntactic word, the input of every analysis.

Columns (in this order), and their dtypes:

=============  ===========  ==========================================================
column         dtype        meaning
=============  ===========  ==========================================================
doc_id         category     document id (the corpus's)
par            int32        paragraph number in the document (1-based, the corpus's)
sent           int32        sentence number in the document (1-based, runs on across
                            paragraphs)
idx            int16        word index in the sentence (CoNLL-U ID, 1-based)
form           category     word form as in the text
lemma          category     lemma (case as the lemmatiser gives it)
upos           category     universal POS tag
xpos           category     language-specific POS tag ("" when absent)
feats          category     morphological features, CoNLL-U ``A=B|C=D`` ("" when none)
head           int16        head's ``idx`` in the same sentence, 0 for the root
deprel         category     dependency relation (with subtype, e.g. ``nsubj:pass``)
start_char     Int32        offset of the word (or of its multi-word token) in the raw
                            source, nullable
end_char       Int32        end offset, nullable
lang           category     language of the paragraph (``en``, ``zh``)
voice          category     voice of the paragraph
kind, outlet,  category     document metadata from the corpus
date, title
...            category     every further metadata column of the corpus (an imported
                            CSV's or JSON Lines' own columns, e.g. ``source``)
=============  ===========  ==========================================================

Rows are in reading order (doc, sent, idx). Words are syntactic words: a multi-word token such
as English "don't" gives two rows (do, n't) that share their token's offsets.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .conllu import Sentence, parse_conllu

WORD_COLUMNS = ("doc_id", "par", "sent", "idx", "form", "lemma", "upos", "xpos", "feats", "head", "deprel",
                "start_char", "end_char")
META_COLUMNS = ("lang", "voice", "kind", "outlet", "date", "title")
TOKEN_COLUMNS = WORD_COLUMNS + META_COLUMNS

_INT_DTYPES = {"par": "int32", "sent": "int32", "idx": "int16", "head": "int16",
               "start_char": "Int32", "end_char": "Int32"}


def _clean(value: str) -> str:
    return "" if value in ("_", None) else value


def tokens_from_sentences(
    docs: Iterable[tuple[str, list[Sentence], Mapping[str, Any], Mapping[int, Mapping[str, Any]]]],
) -> pd.DataFrame:
    """Build a Tokens table from parsed sentences.

    ``docs`` yields ``(doc_id, sentences, doc_meta, par_meta)`` where ``doc_meta`` gives the
    document's ``kind, outlet, date, title`` (and default ``lang``/``voice``) and ``par_meta``
    maps a paragraph number to that paragraph's ``lang`` and ``voice``.
    Sentences without a paragraph number count as paragraph 1.
    """
    docs = list(docs)
    extra_keys: list[str] = []
    for _doc_id, _sentences, doc_meta, par_meta in docs:
        for key in [*doc_meta, *(k for pm in par_meta.values() for k in pm)]:
            if key not in TOKEN_COLUMNS and key not in extra_keys:
                extra_keys.append(key)
    columns = list(TOKEN_COLUMNS) + extra_keys
    cols: dict[str, list] = {c: [] for c in columns}
    for doc_id, sentences, doc_meta, par_meta in docs:
        for s_no, sent in enumerate(sentences, 1):
            par = sent.par if sent.par is not None else 1
            pm = par_meta.get(par, {})
            lang = pm.get("lang", doc_meta.get("lang", ""))
            voice = pm.get("voice", doc_meta.get("voice", ""))
            for w in sent.words:
                cols["doc_id"].append(doc_id)
                cols["par"].append(par)
                cols["sent"].append(s_no)
                cols["idx"].append(w.id)
                cols["form"].append(w.form)
                cols["lemma"].append(_clean(w.lemma))
                cols["upos"].append(_clean(w.upos))
                cols["xpos"].append(_clean(w.xpos))
                cols["feats"].append(_clean(w.feats))
                cols["head"].append(w.head)
                cols["deprel"].append(_clean(w.deprel))
                cols["start_char"].append(w.start_char)
                cols["end_char"].append(w.end_char)
                cols["lang"].append(lang)
                cols["voice"].append(voice)
                for key in ("kind", "outlet", "date", "title", *extra_keys):
                    cols[key].append(_meta_text(pm.get(key, doc_meta.get(key, ""))))
    return _typed(pd.DataFrame(cols, columns=columns))


def _meta_text(value: Any) -> str:
    """A metadata value as the text a categorical column holds (missing values become "")."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value if isinstance(value, str) else str(value)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    for col in df.columns:
        if col in _INT_DTYPES:
            dtype = _INT_DTYPES[col]
            if dtype == "Int32":
                df[col] = pd.to_numeric(df[col].astype("object").where(df[col].notna(), None)).astype("Int32")
            else:
                df[col] = df[col].astype(dtype)
        else:
            df[col] = df[col].astype("string").fillna("").astype("category")
    return df.reset_index(drop=True)


def tokens_from_conllu(text: str, doc_id: str = "doc", **meta: Any) -> pd.DataFrame:
    """A Tokens table from a CoNLL-U string: the way tests build parsed documents by hand.

    ``meta`` sets document metadata columns for every row: ``lang``, ``voice``, ``kind``,
    ``outlet``, ``date``, ``title``, and any other name (``source="ministry"``) as a column of its own.

    >>> t = tokens_from_conllu('''
    ... 1\\tWe\\twe\\tPRON\\tPRP\\t_\\t2\\tnsubj\\t_\\t_
    ... 2\\tact\\tact\\tVERB\\tVBP\\t_\\t0\\troot\\t_\\t_
    ... ''', lang="en", voice="official")
    >>> list(t.lemma)
    ['we', 'act']
    """
    sentences = parse_conllu(text.strip("\n") + "\n")
    return tokens_from_sentences([(doc_id, sentences, meta, {})])


def concat_tokens(tables: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate Tokens tables, keeping the memory-lean dtypes (categories are unioned)."""
    tables = [t for t in tables]
    if not tables:
        return _typed(pd.DataFrame({c: [] for c in TOKEN_COLUMNS}))
    out = pd.concat([t.astype({c: "object" for c in t.columns if isinstance(t[c].dtype, pd.CategoricalDtype)})
                     for t in tables], ignore_index=True)
    for col in out.columns:  # a metadata column some tables lack: "" there, as in one table
        if col not in _INT_DTYPES and out[col].isna().any():
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    return _typed(out)


# -- loading the cached annotations of a corpus ------------------------------------------------


def tokens_from_corpus_sentences(corpus, sentences: Mapping[str, list[Sentence]]) -> pd.DataFrame:
    """A Tokens table from each document's parsed sentences, with the corpus's metadata joined.

    Paragraph ``lang``/``voice`` come from the corpus paragraphs; ``kind, outlet, date, title``
    and every further metadata column of an imported corpus (``Document.extra``) from the document. A sentence whose paragraph number the document does not have is an error.
    """
    from .errors import AnnotationError

    rows = []
    for doc in corpus:
        sents = sentences.get(doc.doc_id)
        if sents is None:
            raise AnnotationError(f"no parsed sentences for document {doc.doc_id!r}; run `tifa annotate`")
        par_meta = {p.par: {"lang": p.lang, "voice": p.voice} for p in doc.paragraphs}
        for s in sents:
            if s.par is not None and s.par not in par_meta:
                raise AnnotationError(f"annotation of {doc.doc_id!r} has paragraph {s.par}, which the corpus "
                                      f"document lacks; run `tifa annotate --force`")
        doc_meta = {"lang": doc.lang, "kind": doc.kind, "outlet": doc.outlet, "date": doc.date, "title": doc.title,
                    **{str(k): v for k, v in doc.extra.items()}}
        rows.append((doc.doc_id, sents, doc_meta, par_meta))
    return tokens_from_sentences(rows)


def load_tokens(corpus=None, *, annotations_dir=None, model_set=None, root=None, columns=None, store=True,
                **filters) -> pd.DataFrame:
    """The Tokens table of ``corpus`` (a Corpus or the folder of one, as :func:`load_corpus` reads;
    default: the seed) from its cached CoNLL-U annotations.

    Which annotations: ``annotations_dir`` if given, else the directory of ``model_set`` (a
    :class:`~analysis.models.ModelSet` or its id) under ``root`` (default: the corpus's own
    ``annotations`` folder, ``corpus.home / "annotations"``, as ``tifa annotate`` writes them),
    else the active model set's if up to date, else committed annotations whose provenance and
    text hashes match (no Stanza models needed). Raises
    :class:`~analysis.errors.AnnotationError` if they are missing or stale (run ``tifa annotate``)
    or malformed (the message names file and line). ``tokens.attrs["model_set"]`` names the
    annotations' model set and ``tokens.attrs["model_accuracy"]`` holds its recorded end-to-end
    scores per language (from the annotations' ``provenance.json``; empty if none were recorded).

    ``columns``: only these columns (the key columns ``doc_id, par, sent, idx`` always come), in
    the table's order. ``**filters``: only the rows that meet them, as :func:`analysis.select`
    (categories are then the values those rows hold). ``store``: read the columnar token store
    (:mod:`analysis.store`) beside the CoNLL-U when it is current, (re)building it when it is stale
    or damaged, or on first load of a corpus of at least ``analysis.store.STORE_MIN_WORDS`` words;
    the result is the same table the CoNLL-U gives. ``store=False`` reads the CoNLL-U only. A
    folder that cannot be written is read from the CoNLL-U (no store, no error).

    Before a table is built, the memory it needs is estimated (:func:`estimate_tokens_bytes`, at
    the peak of reading the store or of parsing the CoNLL-U) and compared with the memory available
    (:func:`available_memory`; ``TIFA_MEMORY_LIMIT`` sets it): a load that would not fit raises
    :class:`~analysis.errors.MemoryEstimateError` up front, with the estimate and how to read less,
    and writes nothing.
    """
    from ._core import select
    from .annotation import find_annotations, load_sentences, read_provenance
    from .store import _drop_unused, check_columns_arg, load_current, load_store

    if corpus is None or isinstance(corpus, (str, os.PathLike)):   # the seed, or a corpus folder
        from . import load_corpus

        corpus = load_corpus(corpus)
    filters = {k: v for k, v in filters.items() if v is not None}
    if store:  # a current store whose files are unchanged since it was written: no need to re-hash them
        tokens = load_current(corpus, annotations_dir=annotations_dir, model_set=model_set, root=root,
                              columns=columns, filters=filters)
        if tokens is not None:
            return tokens
    directory = find_annotations(corpus, annotations_dir=annotations_dir, model_set=model_set, root=root)
    tokens = load_store(corpus, directory, columns, filters) if store else None
    if tokens is None:
        _check_conllu_memory(corpus, directory)
        tokens = tokens_from_corpus_sentences(corpus, load_sentences(corpus, directory))
        wanted = check_columns_arg(columns, list(tokens.columns)) or list(tokens.columns)
        if filters:
            tokens = _drop_unused(select(tokens, **filters)[wanted].reset_index(drop=True))
        elif len(wanted) < tokens.shape[1]:
            tokens = tokens[wanted]
    # provenance for figures (analysis.figures.save_figure, parse_note)
    tokens.attrs["model_set"] = directory.name
    tokens.attrs["model_accuracy"] = (read_provenance(directory) or {}).get("accuracy", {})
    return tokens


def _check_conllu_memory(corpus, directory) -> None:
    """Refuse up front to parse CoNLL-U into a table that would not fit in memory (every document is parsed)."""
    from pathlib import Path

    from .store import _columns, _header_keys

    _, words = _header_keys(corpus, Path(directory))
    columns = _columns(corpus)
    check_memory(words * CONLLU_PEAK_BYTES_PER_WORD,
                 f"parsing the CoNLL-U of {words:,} words in {directory} into a Tokens table",
                 "read it from the token store instead (load_tokens(corpus) with store=True, the default, in a "
                 "writable annotations folder; then columns=[...] and filters read less), or load a part of the corpus "
                 "(load_tokens(corpus.subset(...)))",
                 table=estimate_tokens_bytes(words, columns, corpus_categories(corpus)))


def bytes_per_token(tokens: pd.DataFrame) -> float:
    """Memory of a Tokens table per row (``memory_usage(deep=True)``, index included)."""
    return float(tokens.memory_usage(deep=True).sum()) / max(len(tokens), 1)


# -- memory: an estimate before a table is built -------------------------------------------------
#
# A Tokens table's memory (``DataFrame.memory_usage(deep=True)``) follows from its dtypes: per row,
# 4 bytes for an int32 column, 2 for int16, 5 for a nullable Int32 (values + mask byte), and for a
# categorical column the width of its codes, which pandas (and the store's reader) choose from the
# number of categories: 1 byte below 128, 2 below 32,768, else 4; plus the categories themselves,
# once per column (their UTF-8 bytes plus a per-value overhead, measured once at run time on the
# installed pandas' string dtype). These are exact; only the number of distinct values of a column
# can be unknown: the store records it (analysis.store), the corpus gives it for doc_id and the
# metadata columns, and for the word columns of a table built from CoNLL-U it is guessed (below).
# Against memory_usage(deep=True) (benchmarks/load_speed.py, tests/test_memory_estimate.py): exact
# when read from a store that records its distinct values (65,000 and 1,000,000 generated words);
# from CoNLL-U, with the vocabulary guessed, +6.5% at 65,000 words and +12.9% at 1M (the generated
# corpus repeats the seed's 5,470 forms, where Heaps' law expects 38,000). The tests hold the store
# estimate within 2% and the CoNLL-U one within 10%.
#
# Building a table takes more than the table: the peaks below were measured as the largest rise in
# resident memory (sampled every 2 ms) while load_tokens ran on the 1M-word benchmark corpus
# (pandas 3.1, pyarrow 26, 2 CPUs): reading the store rose by 5.0-6.2 times the table it gave
# (Arrow's dictionary-encoded columns, 4 bytes a value, are held beside the pandas table while it
# is built); parsing CoNLL-U by 1,460 bytes a word (Python objects for every word and field).

#: Environment variable: the memory (bytes, or with a binary suffix K, M, G, T: ``"512M"``, ``"1.5G"``)
#: that loads may use, instead of the memory the system reports available; ``off`` switches the check off.
MEMORY_LIMIT_ENV = "TIFA_MEMORY_LIMIT"
#: Peak memory of reading the token store, as a multiple of the table read (measured 5.0-6.2).
STORE_READ_PEAK = 6.0
#: Peak memory of building a Tokens table from CoNLL-U, bytes per word (measured 1,460).
CONLLU_PEAK_BYTES_PER_WORD = 1_500
#: Distinct values guessed for word columns whose count is unknown (a table built from CoNLL-U):
#: tag sets a little above the Universal Dependencies' (17 UPOS, 37 relations with subtypes), and
#: for ``form`` and ``lemma`` Heaps' law V = 44 n^0.49 (Manning, Raghavan & Schütze 2008,
#: *Introduction to Information Retrieval*, §5.1.1), with an average of 8 bytes a value.
_GUESSED_CATEGORIES = {"upos": (18, 5), "xpos": (64, 4), "feats": (127, 30), "deprel": (64, 8)}
_INT_BYTES = {"int16": 2, "int32": 4, "Int32": 5}
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _heaps(rows: int) -> int:
    return min(rows, int(44 * rows ** 0.49) + 1)


_STRING_OVERHEAD: list[float] = []


def _string_overhead() -> float:
    """Bytes a category takes beyond its UTF-8 text, on this pandas (measured once)."""
    if not _STRING_OVERHEAD:
        values = [f"{i:08d}" for i in range(512)]
        used = pd.Index(values, dtype="string").memory_usage(deep=True)
        _STRING_OVERHEAD.append(max(0.0, (used - 8 * len(values)) / len(values)))
    return _STRING_OVERHEAD[0]


def estimate_tokens_bytes(rows: int, columns: Iterable[str],
                          categories: Mapping[str, tuple[int, int]] | None = None) -> int:
    """Estimated ``memory_usage(deep=True).sum()`` of a Tokens table of ``rows`` rows and ``columns``.

    ``categories`` maps a categorical column to ``(number of distinct values, their total UTF-8
    bytes)``; columns it lacks are guessed (see the constants above). Integer columns are exact.
    """
    categories = categories or {}
    total = int(pd.RangeIndex(0).memory_usage(deep=True))
    for col in columns:
        if col in _INT_DTYPES:
            total += rows * _INT_BYTES[_INT_DTYPES[col]]
            continue
        if col in categories:
            n, chars = categories[col]
        elif col in ("form", "lemma"):
            n = _heaps(rows)
            n, chars = n, 8 * n
        else:
            n, chars = _GUESSED_CATEGORIES.get(col, (min(rows, 127), 16 * min(rows, 127)))
        n = min(int(n), max(rows, 1))
        width = 1 if n < 128 else 2 if n < 32768 else 4
        total += rows * width + int(chars + n * _string_overhead())
    return total


def corpus_categories(corpus) -> dict[str, tuple[int, int]]:
    """``(distinct values, their UTF-8 bytes)`` of the columns a corpus fixes: ``doc_id``, ``lang``,
    ``voice`` and the document metadata columns (an upper bound for a table of some of its rows)."""
    values: dict[str, set] = {c: set() for c in ("doc_id", "lang", "voice", "kind", "outlet", "date", "title")}
    for doc in corpus:
        values["doc_id"].add(doc.doc_id)
        for key, value in (("kind", doc.kind), ("outlet", doc.outlet), ("date", doc.date), ("title", doc.title),
                           *((str(k), v) for k, v in doc.extra.items())):
            values.setdefault(key, set()).add(_meta_text(value))
        for p in doc.paragraphs:
            values["lang"].add(p.lang)
            values["voice"].add(p.voice)
        values["lang"].add(_meta_text(doc.lang))
    return {c: (len(v), sum(len(x.encode("utf-8", "surrogatepass")) for x in v)) for c, v in values.items()}


def _parse_size(text: str) -> int | None:
    import re

    from .errors import ParameterError

    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    if t in ("OFF", "NONE"):
        return None
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]*)?)\s*([KMGT]?)", t)
    if not m:
        raise ParameterError(f"{MEMORY_LIMIT_ENV}={text!r}: give bytes, or a number with K, M, G or T "
                             "(e.g. 512M, 1.5G), or off")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read().strip()
        return None if text == "max" else int(text)
    except (OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Bytes a load may allocate: ``TIFA_MEMORY_LIMIT`` if set (``None`` when it says ``off``), else
    what the system reports available (``MemAvailable`` in /proc/meminfo, lowered to what a cgroup v2
    memory limit leaves, else ``os.sysconf``'s available pages); ``None`` when nothing says."""
    import os

    env = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if env:
        return _parse_size(env)
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    limit, current = _read_int("/sys/fs/cgroup/memory.max"), _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and current is not None:
        available = min(available, max(limit - current, 0))
    return available


def _size(n: float) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


def check_memory(needed: int, what: str, way_out: str, *, table: int | None = None) -> None:
    """Raise :class:`~analysis.errors.MemoryEstimateError` if ``needed`` bytes exceed :func:`available_memory`.

    ``what`` says what would be loaded, ``way_out`` how to load less; ``table`` is the size of the
    result itself when ``needed`` is the peak of building it.
    """
    import os

    from .errors import MemoryEstimateError

    available = available_memory()
    if available is None or needed <= available:
        return
    source = f" ({MEMORY_LIMIT_ENV})" if os.environ.get(MEMORY_LIMIT_ENV, "").strip() else ""
    itself = f" (the table itself about {_size(table)})" if table is not None else ""
    raise MemoryEstimateError(f"{what} needs about {_size(needed)} of memory{itself}, but {_size(available)} is "
                              f"available{source}; {way_out}", needed=needed, available=available)


#: How to read less from the store: said by every MemoryEstimateError of a store read.
STORE_WAY_OUT = ("read less: only the columns an analysis needs (columns=['lemma', 'upos']) or only some rows "
                 "(filters such as doc_id=[...], lang='en' or a metadata column, outlet='Xinhua')")
