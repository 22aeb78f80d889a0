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
    """The Tokens table of ``corpus`` (default: the seed) from its cached CoNLL-U annotations.

    Which annotations: ``annotations_dir`` if given, else the directory of ``model_set`` (a
    :class:`~analysis.models.ModelSet` or its id) under ``root`` (default: the corpus's own
    ``annotations`` folder, ``corpus.home / "annotations"``, as ``tifa annotate`` writes them),
    else the active model set's if up to date, else committed annotations whose provenance and
    text hashes match (no Stanza models needed). Raises
    :class:`~analysis.errors.AnnotationError` if they are missing or stale (run ``tifa annotate``)
    or malformed (the message names file and line). ``tokens.attrs["model_set"]`` names the
    annotations' model set.

    ``columns``: only these columns (the key columns ``doc_id, par, sent, idx`` always come), in
    the table's order. ``**filters``: only the rows that meet them, as :func:`analysis.select`
    (categories are then the values those rows hold). ``store``: read the columnar token store
    (:mod:`analysis.store`) beside the CoNLL-U when it is current, (re)building it when it is stale
    or damaged, or on first load of a corpus of at least ``analysis.store.STORE_MIN_WORDS`` words;
    the result is the same table the CoNLL-U gives. ``store=False`` reads the CoNLL-U only. A
    folder that cannot be written is read from the CoNLL-U (no store, no error).
    """
    from ._core import select
    from .annotation import find_annotations, load_sentences
    from .store import _drop_unused, check_columns_arg, load_current, load_store

    if corpus is None:
        from . import load_corpus

        corpus = load_corpus()
    filters = {k: v for k, v in filters.items() if v is not None}
    if store:  # a current store whose files are unchanged since it was written: no need to re-hash them
        tokens = load_current(corpus, annotations_dir=annotations_dir, model_set=model_set, root=root,
                              columns=columns, filters=filters)
        if tokens is not None:
            return tokens
    directory = find_annotations(corpus, annotations_dir=annotations_dir, model_set=model_set, root=root)
    tokens = load_store(corpus, directory, columns, filters) if store else None
    if tokens is None:
        tokens = tokens_from_corpus_sentences(corpus, load_sentences(corpus, directory))
        wanted = check_columns_arg(columns, list(tokens.columns)) or list(tokens.columns)
        if filters:
            tokens = _drop_unused(select(tokens, **filters)[wanted].reset_index(drop=True))
        elif len(wanted) < tokens.shape[1]:
            tokens = tokens[wanted]
    tokens.attrs["model_set"] = directory.name  # provenance for figures (analysis.figures.save_figure)
    return tokens


def bytes_per_token(tokens: pd.DataFrame) -> float:
    """Memory of a Tokens table per row (``memory_usage(deep=True)``, index included)."""
    return float(tokens.memory_usage(deep=True).sum()) / max(len(tokens), 1)
