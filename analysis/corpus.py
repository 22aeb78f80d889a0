"""The Corpus type: documents with metadata, and paragraphs with a voice.

A :class:`Corpus` owns immutable :class:`Document` objects; each document owns its
:class:`Paragraph` objects. Nothing here is ever mutated: :meth:`Corpus.subset` returns a new
corpus. Two pandas views serve analyses: :attr:`Corpus.documents` (one row per document) and
:attr:`Corpus.paragraphs` (one row per paragraph).

Voices of the seed corpus (see ``corpus/manifest.yaml``):

``framing``
    the blogger's own words: introductions, analysis, translator's notes;
``official``
    an English translation of a Chinese official or media text, with its headings and bylines;
``original``
    Chinese original text;
``reference``
    link lines ("Continue reading", lists of further reading).

Imported corpora carry whatever voice their metadata gives, ``text`` by default.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ._atomic import write_text_atomic
from .errors import CorpusError
from .languages import HAN

VOICES = ("framing", "official", "original", "reference")

_WORD = re.compile(r"[^\W_]+")


def count_words(text: str) -> tuple[int, int]:
    """Pre-annotation size of a text: (words, han).

    ``words`` counts runs of letters/digits that contain no Han character (English words,
    numbers); ``han`` counts Han characters, the usual size unit for Chinese before word
    segmentation. After annotation, use the Tokens table's word counts instead.
    """
    han = len(HAN.findall(text))
    words = sum(1 for w in _WORD.findall(HAN.sub(" ", text)))
    return words, han

#: Document metadata fields, in the order of :attr:`Corpus.documents`.
DOCUMENT_FIELDS = (
    "doc_id",
    "post",
    "title",
    "lang",
    "kind",
    "outlet",
    "author",
    "date",
    "date_phrase",
    "truncated",
    "translation_of",
)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph: a run of text with one voice and one language.

    ``start``/``end`` are character offsets of the paragraph text in the document's raw source
    file (``source``); ``line`` is its 1-based line there. Imported corpora set them relative to
    their own source file, or leave them ``None``.
    """

    par: int
    text: str
    voice: str = "text"
    lang: str = "en"
    section: str = ""
    line: int | None = None
    start: int | None = None
    end: int | None = None
    #: number of the aligned paragraph in the parallel document (see :attr:`Corpus.alignment`)
    aligned_par: int | None = None


@dataclass(frozen=True)
class Document:
    """A document: metadata plus its paragraphs (a tuple, in reading order).

    ``extra`` holds any further metadata columns of an imported corpus.
    """

    doc_id: str
    paragraphs: tuple[Paragraph, ...]
    post: str = ""
    title: str = ""
    lang: str = "en"
    kind: str = ""
    outlet: str = ""
    author: str = ""
    date: str = ""
    date_phrase: str = ""
    truncated: bool = False
    translation_of: str = ""
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Paragraph texts joined by blank lines."""
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def text_hash(self) -> str:
        """SHA-256 of the document's paragraphs (text, voice and language): the annotation cache key."""
        h = hashlib.sha256()
        for p in self.paragraphs:
            h.update(json.dumps([p.par, p.lang, p.text], ensure_ascii=False).encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()

    def metadata(self) -> dict[str, Any]:
        """The document's metadata as a flat dict (``extra`` merged in)."""
        row = {name: getattr(self, name) for name in DOCUMENT_FIELDS}
        row.update(self.extra)
        return row

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable record (the line format of ``documents.jsonl``)."""
        rec = {name: getattr(self, name) for name in DOCUMENT_FIELDS}
        rec["source"] = self.source
        if self.extra:
            rec["extra"] = dict(self.extra)
        rec["paragraphs"] = [asdict(p) for p in self.paragraphs]
        return rec

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> "Document":
        known = {f.name for f in fields(Paragraph)}
        pars = tuple(Paragraph(**{k: v for k, v in p.items() if k in known}) for p in rec["paragraphs"])
        meta = {k: rec[k] for k in (*DOCUMENT_FIELDS, "source") if k in rec}
        return cls(paragraphs=pars, extra=dict(rec.get("extra") or {}), **meta)


class Corpus:
    """An immutable, ordered collection of :class:`Document` objects.

    >>> corpus = Corpus([Document("d1", (Paragraph(1, "Hello."),))])
    >>> len(corpus), corpus["d1"].paragraphs[0].text
    (1, 'Hello.')
    """

    def __init__(self, documents: Iterable[Document], *, name: str = "corpus", checksum: str = "",
                 home: str | Path | None = None):
        docs = tuple(documents)
        seen: set[str] = set()
        for doc in docs:
            if doc.doc_id in seen:
                raise CorpusError(f"duplicate document id {doc.doc_id!r}: document ids must be unique")
            seen.add(doc.doc_id)
        self._docs = docs
        self._index = {d.doc_id: d for d in docs}
        self.name = name
        #: SHA-256 of the raw source the corpus was built from ("" when unknown).
        self.checksum = checksum
        #: The corpus's own folder (its ``manifest.yaml`` or ``documents.jsonl``), where its
        #: annotations live (``home/annotations/<model set>``); ``None`` for a corpus read into
        #: memory only (:func:`analysis.read_corpus`), which must be saved or given an ``out_dir``
        #: before it is annotated.
        self.home = Path(home).resolve() if home is not None else None

    # -- container protocol -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._docs)

    def __iter__(self) -> Iterator[Document]:
        return iter(self._docs)

    def __getitem__(self, doc_id: str) -> Document:
        try:
            return self._index[doc_id]
        except KeyError:
            raise CorpusError(f"no document {doc_id!r} in this corpus") from None

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._index

    def __repr__(self) -> str:
        n_par = sum(len(d.paragraphs) for d in self._docs)
        return f"<Corpus {self.name!r}: {len(self)} documents, {n_par} paragraphs>"

    @property
    def doc_ids(self) -> list[str]:
        return [d.doc_id for d in self._docs]

    # -- views ---------------------------------------------------------------------------
    @property
    def documents(self) -> pd.DataFrame:
        """One row per document: its metadata (``DOCUMENT_FIELDS`` plus imported extras)."""
        rows = [d.metadata() for d in self._docs]
        cols = list(DOCUMENT_FIELDS)
        for r in rows:
            cols.extend(k for k in r if k not in cols)
        return pd.DataFrame(rows, columns=cols)

    @property
    def paragraphs(self) -> pd.DataFrame:
        """One row per paragraph: doc_id, par, lang, voice, section, text, line, start, end."""
        rows = [
            {
                "doc_id": d.doc_id,
                "par": p.par,
                "lang": p.lang,
                "voice": p.voice,
                "section": p.section,
                "text": p.text,
                "line": p.line,
                "start": p.start,
                "end": p.end,
                "aligned_par": p.aligned_par,
            }
            for d in self._docs
            for p in d.paragraphs
        ]
        cols = ["doc_id", "par", "lang", "voice", "section", "text", "line", "start", "end", "aligned_par"]
        df = pd.DataFrame(rows, columns=cols)
        for col in ("line", "start", "end", "aligned_par"):
            df[col] = df[col].astype("Int64")
        return df

    @property
    def alignment(self) -> pd.DataFrame:
        """Aligned paragraph pairs of every translation and its original.

        One row per pair: en_doc, en_par, zh_doc, zh_par, en_text, zh_text. A document whose
        ``translation_of`` names another document of the corpus is the translation; paragraphs
        are paired through :attr:`Paragraph.aligned_par`.
        """
        rows = []
        for d in self._docs:
            if not d.translation_of or d.translation_of not in self._index:
                continue
            orig = self._index[d.translation_of]
            orig_pars = {p.par: p for p in orig.paragraphs}
            for p in d.paragraphs:
                if p.aligned_par is not None and p.aligned_par in orig_pars:
                    rows.append({"en_doc": d.doc_id, "en_par": p.par, "zh_doc": orig.doc_id,
                                 "zh_par": p.aligned_par, "en_text": p.text,
                                 "zh_text": orig_pars[p.aligned_par].text})
        return pd.DataFrame(rows, columns=["en_doc", "en_par", "zh_doc", "zh_par", "en_text", "zh_text"])

    def summary(self) -> pd.DataFrame:
        """One row per document (doc_id, lang, kind, outlet, date, paragraphs, words, han, voices),
        then a ``TOTAL`` row. ``words``/``han`` are as in :func:`count_words`; ``voices`` lists the
        document's voices with their paragraph counts, e.g. ``framing:2 official:5``.
        """
        rows = []
        for d in self._docs:
            words = han = 0
            voices: dict[str, int] = {}
            for p in d.paragraphs:
                w, h = count_words(p.text)
                words += w
                han += h
                voices[p.voice] = voices.get(p.voice, 0) + 1
            rows.append({"doc_id": d.doc_id, "lang": d.lang, "kind": d.kind, "outlet": d.outlet, "date": d.date,
                         "paragraphs": len(d.paragraphs), "words": words, "han": han,
                         "voices": " ".join(f"{v}:{n}" for v, n in sorted(voices.items()))})
        df = pd.DataFrame(rows, columns=["doc_id", "lang", "kind", "outlet", "date", "paragraphs", "words", "han", "voices"])
        total = {"doc_id": "TOTAL", "lang": "", "kind": "", "outlet": "", "date": "",
                 "paragraphs": int(df.paragraphs.sum()), "words": int(df.words.sum()), "han": int(df.han.sum()),
                 "voices": f"{len(df)} documents"}
        return pd.concat([df, pd.DataFrame([total])], ignore_index=True)

    # -- subsetting ----------------------------------------------------------------------
    def subset(self, *, voice: str | Iterable[str] | None = None, **filters: Any) -> "Corpus":
        """A new corpus with the documents whose metadata match, and only the paragraphs of ``voice``.

        Each keyword names a metadata field and filters as :func:`analysis.select` does (one value,
        a list of values = any of, ``slice(low, high)`` = inclusive range). ``voice`` filters
        paragraphs (one value or a list); documents left without paragraphs are dropped.

        >>> corpus.subset(lang="en", voice="official")          # doctest: +SKIP
        >>> corpus.subset(doc_id=["a", "b"])                      # doctest: +SKIP
        """
        from ._core import filter_mask

        docs = list(self._docs)
        if filters and docs:
            table = pd.DataFrame([d.metadata() for d in docs])
            unknown = [k for k in filters if k not in table.columns]
            if unknown:
                raise CorpusError(f"unknown metadata field {unknown[0]!r}; known fields: {', '.join(table.columns)}")
            keep = filter_mask(table, filters)
            docs = [d for d, k in zip(docs, keep.tolist()) if k]
        if voice is not None:
            voices = {voice} if isinstance(voice, str) else set(voice)
            kept = []
            for d in docs:
                pars = tuple(p for p in d.paragraphs if p.voice in voices)
                if pars:
                    kept.append(replace(d, paragraphs=pars))
            docs = kept
        return Corpus(docs, name=self.name, checksum=self.checksum, home=self.home)

    # -- persistence ---------------------------------------------------------------------
    def to_jsonl(self) -> str:
        """The corpus as JSON Lines text, one document per line, deterministic."""
        return "".join(json.dumps(d.to_record(), ensure_ascii=False, sort_keys=True) + "\n" for d in self._docs)

    def save(self, path: str | Path) -> "Corpus":
        """Write the corpus to ``path`` atomically and return it as loaded from there (with that home).

        ``path`` is a folder (the corpus is written to ``path/documents.jsonl``) or a ``.jsonl``
        file. The returned corpus's annotations will live in ``<its folder>/annotations``.
        """
        path = Path(path)
        target = path if path.suffix == ".jsonl" else path / "documents.jsonl"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, self.to_jsonl())
        return Corpus(self._docs, name=self.name, checksum=self.checksum, home=target.parent)

    @classmethod
    def from_jsonl(cls, path: str | Path, *, name: str | None = None) -> "Corpus":
        """Read a corpus written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise CorpusError(f"{path}: no such corpus file; build it with `tifa corpus build` or `tifa corpus import`")
        docs = []
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise CorpusError(f"{path}, line {lineno}: not UTF-8 at byte {exc.start} of the line (a truncated "
                                      "file?); rebuild it with `tifa corpus build` or `tifa corpus import`") from None
                if not line.strip():
                    continue
                try:
                    docs.append(Document.from_record(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    raise CorpusError(f"{path}, line {lineno}: not a Tifa document record ({exc})") from None
        return cls(docs, name=name or path.parent.name, home=path.parent)
