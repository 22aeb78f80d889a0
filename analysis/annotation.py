"""Annotation: parse a Corpus with Stanza into one cached CoNLL-U file per document.

Layout (``root`` is ``<corpus dir>/annotations``, the seed's is ``corpus/annotations``)::

    <root>/<model-set id>/<doc_id>.conllu     one file per document
    <root>/<model-set id>/provenance.json     Stanza version, model set, packages, checksums,
                                              date, command, and each document's text hash

Each file starts with::

    # newdoc id = <doc_id>
    # tifa_text_hash = <Document.text_hash>
    # tifa_model_set = <ModelSet.id>
    # newpar id = <doc_id>-p<N>           (N = the corpus's paragraph number)
    # sent_id = <doc_id>-s<M>             (M counts sentences through the document)

The two ``tifa_*`` lines are the cache key: a document whose file carries its current text hash
and the active model-set id is not parsed again. Paragraphs are parsed separately (so their
boundaries are kept) by the pipeline of the paragraph's language (``zh`` → Stanza ``zh-hans``),
batched across documents. Words carry ``start_char``/``end_char`` in MISC: offsets into the raw
source file (``Paragraph.start`` + offset in the paragraph); when ``Paragraph.start`` is ``None``
(an imported corpus without source offsets) they are offsets within the paragraph text.

Every file is written atomically, so killing the process at any moment loses at most the
documents being parsed; rerunning resumes. The provenance file is rewritten only when something
changed, so a warm rerun writes nothing.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import socket
import threading
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._atomic import write_text_atomic
from .conllu import Sentence, Word, format_conllu, parse_conllu
from .corpus import Corpus, Document
from .errors import AnnotationError, ModelNotFoundError, ParameterError
from .languages import find_language
from .models import ModelSet, resolve_model_set, stanza_language, try_resolve_model_set

PROVENANCE_FILE = "provenance.json"
HASH_KEY = "tifa_text_hash"
MODEL_KEY = "tifa_model_set"
#: Integrity record of every CoNLL-U file: its sentence and word counts and the SHA-256 of its body
#: (everything after the ``BODY_KEY`` line), checked on every load.
SENTENCES_KEY = "tifa_sentences"
WORDS_KEY = "tifa_words"
BODY_KEY = "tifa_body_sha256"
#: The lock file that keeps two runs from writing one annotations folder at once.
LOCK_FILE = ".tifa.lock"
#: Longest file name (in UTF-8 bytes, before ``.conllu``) used as it is; longer ids are shortened.
_MAX_NAME_BYTES = 150

#: A parser turns a list of paragraph texts into, for each text, its sentences (offsets within the text).
Parser = Callable[[list[str]], list[list[Sentence]]]
#: A pipeline factory builds the parser of one language of a model set.
PipelineFactory = Callable[[ModelSet, str], Parser]


# -- Stanza ------------------------------------------------------------------------------------


#: ASCII punctuation that Chinese text should carry in its full-width form (same length: offsets hold).
_ZH_FULLWIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_ZH_ASCII_PUNCT = re.compile(r"(?<!\d),|,(?!\d)|(?<!\d):|:(?!\d)|[;?!()]")


def prepare_text(text: str, lang: str) -> str:
    """The text handed to the parser: for Chinese, ASCII punctuation becomes full-width.

    Chinese web texts (the seed's four originals among them) often use ASCII commas and colons;
    the Chinese models, trained on GSD's full-width punctuation, then tag most commas as particles
    and glue colons to words. Each replacement is one character for one, so every offset still
    points into the original text, and :class:`StanzaParser` puts the original characters back
    into forms and lemmas. Commas and colons between digits (1,000; 10:30) are left alone.
    """
    found = find_language(lang)
    if found is None or not found.fullwidth_punctuation:
        return text
    return _ZH_ASCII_PUNCT.sub(lambda m: _ZH_FULLWIDTH[m.group(0)], text)


def _stanza_sentences(doc, original: str | None = None) -> list[Sentence]:
    """Convert a parsed ``stanza.Document`` into :class:`Sentence` objects (offsets as Stanza gives them).

    With ``original`` (the text before :func:`prepare_text`), single-word tokens take their form
    from the original text, and so do lemmas that merely repeat the prepared form.
    """
    prepared = doc.text
    out = []
    for s in doc.sentences:
        words: list[Word] = []
        tokens: list[tuple[int, int, str, str]] = []
        for tok in s.tokens:
            ids = tok.id if isinstance(tok.id, tuple) else (tok.id,)
            if len(ids) > 1:
                tokens.append((ids[0], ids[-1], tok.text, "_"))
            restore = (original is not None and len(tok.words) == 1 and tok.start_char is not None
                       and prepared[tok.start_char:tok.end_char] == tok.text)
            for w in tok.words:
                form, lemma = w.text, w.lemma or "_"
                if restore:
                    form = original[tok.start_char:tok.end_char]
                    if lemma == w.text:
                        lemma = form
                words.append(Word(
                    id=int(w.id), form=form, lemma=lemma, upos=w.upos or "_", xpos=w.xpos or "_",
                    feats=w.feats or "_", head=int(w.head if w.head is not None else 0), deprel=w.deprel or "_",
                    start_char=tok.start_char, end_char=tok.end_char,
                ))
        source = original if original is not None else prepared
        first, last = s.tokens[0], s.tokens[-1]
        if first.start_char is not None and last.end_char is not None:
            text = " ".join(source[first.start_char:last.end_char].split())
        else:
            text = " ".join(s.text.split()) if s.text else " ".join(w.form for w in words)
        out.append(Sentence(words, {"text": text}, None, tokens))
    return out


class StanzaParser:
    """A :data:`Parser` around one ``stanza.Pipeline`` (batched: Stanza takes lists of Documents)."""

    def __init__(self, model_set: ModelSet, lang: str):
        self.lang = stanza_language(lang)
        self.nlp = model_set.pipeline(self.lang)

    def __call__(self, texts: list[str]) -> list[list[Sentence]]:
        import stanza

        docs = self.nlp([stanza.Document([], text=prepare_text(t, self.lang)) for t in texts])
        return [_stanza_sentences(d, t) for d, t in zip(docs, texts)]


def stanza_pipeline_factory(model_set: ModelSet, lang: str) -> Parser:
    """The default :data:`PipelineFactory`: a Stanza pipeline of ``model_set`` for ``lang``."""
    return StanzaParser(model_set, lang)


# -- where annotations live ------------------------------------------------------------------


def annotations_root(corpus: "Corpus | str | os.PathLike | None" = None) -> Path:
    """Where a corpus's annotations live: ``<its folder>/annotations``.

    ``corpus`` is a :class:`Corpus` (its :attr:`~Corpus.home`), a corpus folder or its
    ``documents.jsonl``, or ``None`` for the seed (the project's ``corpus/annotations``). A corpus
    read into memory has no folder: :class:`AnnotationError` says how to give it one.
    """
    if isinstance(corpus, Corpus):
        if corpus.home is None:
            raise AnnotationError(
                f"corpus {corpus.name!r} was read into memory and has no folder for its annotations; save it "
                "first (corpus = corpus.save('mycorpus'), or `tifa corpus import PATH --out mycorpus`), or pass "
                "out_dir= (annotate) / annotations_dir= (load_tokens)")
        corpus_dir = corpus.home
    elif corpus is None:
        from .paths import default_corpus_dir

        corpus_dir = default_corpus_dir()
    else:
        corpus_dir = Path(corpus)
    corpus_dir = Path(corpus_dir)
    if corpus_dir.is_file():
        corpus_dir = corpus_dir.parent
    return corpus_dir / "annotations"


def _is_corpus_dir(path: Path) -> bool:
    return (path / "manifest.yaml").is_file() or (path / "documents.jsonl").is_file()


def check_owner(corpus: Corpus, out_dir: str | os.PathLike) -> None:
    """Refuse to write ``corpus``'s annotations into another corpus's ``annotations/`` folder.

    Annotations of a corpus live with it; ``out_dir`` of the form ``X/annotations/<model set>``
    where ``X`` is a corpus folder (it has a ``manifest.yaml`` or ``documents.jsonl``) other
    than ``corpus.home`` belongs to that other corpus.
    """
    out = Path(out_dir).resolve()
    owner = out.parent.parent if out.parent.name == "annotations" else None
    if owner is None or not _is_corpus_dir(owner):
        return
    if corpus.home is None or corpus.home.resolve() != owner:
        raise AnnotationError(
            f"{out_dir} holds the annotations of the corpus in {owner}, not of corpus {corpus.name!r}; "
            "annotations of a corpus live in its own folder (save or import the corpus into a folder of its own, "
            "or choose another out_dir)")


def annotation_path(out_dir: str | os.PathLike, doc_id: str) -> Path:
    """The CoNLL-U file of ``doc_id`` in ``out_dir``: a safe, stable and unique file name.

    The id, URL-quoted where needed, + ``.conllu``. An id whose name would be hidden or special
    (``.``, ``..``, starting with a dot), longer than 150 bytes, different from its lower-case
    form (two ids that differ only in case would collide on macOS and Windows), or ending like a
    shortened name itself (``-`` and 12 hex digits) gets a shortened name with a hash of the id: ``<first characters>-<12 hex digits>.conllu``. The
    original id is kept inside the file (``# newdoc id``).
    """
    name = quote(doc_id, safe="-_.")
    if (name.startswith(".") or len(name.encode("utf-8")) > _MAX_NAME_BYTES or doc_id != doc_id.lower() or not name
            or re.search(r"-[0-9a-f]{12}$", name)):  # an id spelled like a shortened name is shortened too
        digest = hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:12]
        stem = quote(doc_id.lower(), safe="-_").strip("._-")[:60]
        cut = stem.rfind("%", len(stem) - 2)  # never end inside a %XX escape
        stem = stem[:cut] if cut >= 0 else stem
        name = f"{stem}-{digest}" if stem else f"doc-{digest}"
    return Path(out_dir) / f"{name}.conllu"


def read_header(path: str | os.PathLike) -> dict[str, str]:
    """The ``# key = value`` comment lines at the top of a CoNLL-U file (``{}`` if it is absent)."""
    header: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.startswith("#"):
                    break
                key, eq, val = line[1:].rstrip("\r\n").partition("=")
                if eq:  # "# key = value": the value exactly as written after "= " (ids may have spaces)
                    header[key.strip()] = val[1:] if val.startswith(" ") else val
    except (FileNotFoundError, UnicodeDecodeError):
        return {}
    return header


def document_status(corpus: Corpus, out_dir: str | os.PathLike, model_set_id: str | None = None) -> dict[str, str]:
    """For each document: ``current``, ``missing``, ``stale-text``, ``stale-model`` or ``damaged``.

    ``damaged``: the file fails its integrity record (:func:`integrity_problem`: truncated,
    edited, or unreadable); ``annotate`` re-parses it. ``model_set_id`` None accepts any model
    set recorded in the file (used when loading committed annotations on a machine without models).
    """
    status = {}
    for doc in corpus:
        path = annotation_path(out_dir, doc.doc_id)
        header = read_header(path)
        if not header:
            status[doc.doc_id] = "missing"
        elif header.get(HASH_KEY) != doc.text_hash:
            status[doc.doc_id] = "stale-text"
        elif model_set_id is not None and header.get(MODEL_KEY) != model_set_id:
            status[doc.doc_id] = "stale-model"
        elif _file_problem(path) is not None:
            status[doc.doc_id] = "damaged"
        else:
            status[doc.doc_id] = "current"
    return status


def _file_problem(path: Path) -> str | None:
    try:
        return integrity_problem(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return f"it is not UTF-8 at byte {exc.start}"
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"


def provenance_from_headers(out_dir: str | os.PathLike) -> dict[str, Any]:
    """What a lost ``provenance.json`` can be rebuilt from: the files' own headers.

    Returns ``{"model_set", "documents": {doc_id: text hash}, "rebuilt_from_headers": True}``;
    the model set is the one most files name. The Stanza version and model checksums are not in
    the headers, so a rebuilt record names the model set only.
    """
    docs: dict[str, str] = {}
    sets: dict[str, int] = {}
    for path in sorted(Path(out_dir).glob("*.conllu")):
        header = read_header(path)
        doc_id, text_hash, ms = header.get("newdoc id"), header.get(HASH_KEY), header.get(MODEL_KEY)
        if doc_id and text_hash and ms:
            docs[doc_id] = text_hash
            sets[ms] = sets.get(ms, 0) + 1
    model_set = max(sets, key=lambda k: (sets[k], k)) if sets else Path(out_dir).name
    return {"model_set": model_set, "documents": dict(sorted(docs.items())), "rebuilt_from_headers": True}


def rebuild_provenance(out_dir: str | os.PathLike) -> Path:
    """Write ``provenance.json`` of ``out_dir`` from the files' headers (:func:`provenance_from_headers`)."""
    out_dir = Path(out_dir)
    record = provenance_from_headers(out_dir)
    with writer_lock(out_dir, "rebuild provenance"):
        return write_text_atomic(out_dir / PROVENANCE_FILE, json.dumps(record, ensure_ascii=False, indent=1) + "\n")


def read_provenance(out_dir: str | os.PathLike) -> dict[str, Any] | None:
    path = Path(out_dir) / PROVENANCE_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        record = exc
    if not isinstance(record, dict):
        warnings.warn(f"{path} is damaged ({record if isinstance(record, Exception) else 'not a JSON object'}); "
                      "using the annotation files' own headers instead (`tifa annotate` rewrites it)", stacklevel=2)
        return None
    return record


# -- annotating ------------------------------------------------------------------------------


@dataclass
class AnnotationReport:
    """What :func:`annotate` or :func:`ensure_annotations` did."""

    out_dir: Path
    model_set: str
    parsed: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    words: int = 0
    seconds: float = 0.0

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        if not self.parsed:
            return f"{self.out_dir} ({self.model_set}): {len(self.current)} documents up to date, nothing parsed"
        return (f"{self.out_dir} ({self.model_set}): parsed {len(self.parsed)} documents "
                f"({self.words:,} words in {self.seconds:.1f} s, {self.words_per_second:,.0f} words/s), "
                f"{len(self.current)} already up to date")


def _corpus_languages(docs: Sequence[Document]) -> tuple[str, ...]:
    return tuple(sorted({stanza_language(p.lang) for d in docs for p in d.paragraphs if p.text.strip()}))


def _document_conllu(doc: Document, parsed: dict[int, list[Sentence]], model_set_id: str) -> str:
    """The CoNLL-U text of one document from its parsed paragraphs (offsets within each paragraph)."""
    sentences: list[Sentence] = []
    for p in doc.paragraphs:
        for s in parsed.get(p.par, []):
            shift = p.start or 0
            words = [Word(w.id, w.form, w.lemma, w.upos, w.xpos, w.feats, w.head, w.deprel, w.deps, "_",
                          None if w.start_char is None else w.start_char + shift,
                          None if w.end_char is None else w.end_char + shift) for w in s.words]
            comments = {k: v for k, v in s.comments.items() if k not in ("sent_id", "newpar id", "newdoc id")}
            sentences.append(Sentence(words, comments, p.par, list(s.tokens)))
    body = format_conllu(sentences, doc_id=doc.doc_id)
    first, _, rest = body.partition("\n")
    return with_integrity(f"{first}\n# {HASH_KEY} = {doc.text_hash}\n# {MODEL_KEY} = {model_set_id}\n", rest,
                          len(sentences), sum(len(x.words) for x in sentences))


def with_integrity(header: str, body: str, n_sentences: int, n_words: int) -> str:
    """``header`` + the integrity record (sentence and word counts, SHA-256 of ``body``) + ``body``."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return (f"{header}# {SENTENCES_KEY} = {n_sentences}\n# {WORDS_KEY} = {n_words}\n"
            f"# {BODY_KEY} = {digest}\n{body}")


def integrity_problem(text: str) -> str | None:
    """Why the CoNLL-U ``text`` of an annotation file fails its integrity record, or ``None`` if it passes.

    The body (after the ``tifa_body_sha256`` line) must hash to the recorded SHA-256; a file cut
    short, even at a sentence boundary, or edited by hand fails. The counts are checked against
    the parsed sentences by :func:`load_sentences`.
    """
    marker = f"# {BODY_KEY} = "
    start = text.find(marker)
    if start < 0 or (start and text[start - 1] != "\n"):
        return "it has no integrity record (written by an older Tifa, or not by Tifa)"
    end = text.find("\n", start)
    if end < 0:
        return "it ends inside its header (truncated)"
    recorded = text[start + len(marker):end].strip()
    if hashlib.sha256(text[end + 1:].encode("utf-8")).hexdigest() != recorded:
        return "its body differs from its checksum (truncated or edited)"
    return None


def _parse_documents(docs: Sequence[Document], parsers: dict[str, Parser], get_parser: Callable[[str], Parser],
                     model_set_id: str) -> list[tuple[str, str, int]]:
    """Parse ``docs`` (paragraph by paragraph, batched per language); return (doc_id, conllu, words)."""
    by_lang: dict[str, list[tuple[int, int, str]]] = {}
    for i, doc in enumerate(docs):
        for p in doc.paragraphs:
            if p.text.strip():
                by_lang.setdefault(stanza_language(p.lang), []).append((i, p.par, p.text))
    parsed: list[dict[int, list[Sentence]]] = [{} for _ in docs]
    for lang, items in by_lang.items():
        parser = parsers.get(lang) or parsers.setdefault(lang, get_parser(lang))
        results = parser([text for _, _, text in items])
        if len(results) != len(items):
            raise AnnotationError(f"the {lang} parser returned {len(results)} results for {len(items)} paragraphs")
        for (i, par, _), sentences in zip(items, results):
            parsed[i][par] = sentences
    out = []
    for doc, pars in zip(docs, parsed):
        text = _document_conllu(doc, pars, model_set_id)
        n_words = sum(len(s.words) for ss in pars.values() for s in ss)
        out.append((doc.doc_id, text, n_words))
    return out


def _has_words(text: str) -> bool:
    return any(line.strip() and not line.startswith("#") for line in text.splitlines())


def _write_document(out_dir: Path, doc_id: str, text: str) -> None:
    path = annotation_path(out_dir, doc_id)
    if _has_words(text):
        parse_conllu(text, source=str(path))  # never write a file that cannot be read back
    write_text_atomic(path, text)


# Dask (``workers > 1`` or ``client=``): each worker builds its pipelines once, in a worker plugin;
# workers only parse and return CoNLL-U text, the client (the lock holder) writes every file.


class _ParserPlugin:
    """A ``distributed.WorkerPlugin`` that holds one parser per language on each worker (built on first use).

    ``parent``: the pid of the process that started a ``LocalCluster`` (its workers exit when it is
    gone, as :func:`_exit_with_parent` makes them), or ``None`` for a cluster Tifa did not start.
    """

    idempotent = False

    def __init__(self, factory: PipelineFactory, model_set: ModelSet, threads: int | None, parent: int | None):
        self.factory, self.model_set, self.threads, self.parent = factory, model_set, threads, parent
        self.parsers: dict[str, Parser] = {}
        self.lock = None

    def __getstate__(self) -> dict[str, Any]:
        return {"factory": self.factory, "model_set": self.model_set, "threads": self.threads, "parent": self.parent}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, parsers={}, lock=None)

    def setup(self, worker: Any = None) -> None:
        self.lock = threading.Lock()  # a worker with several threads parses one batch at a time
        if self.parent is not None:
            _exit_with_parent(self.parent)
        if self.threads is not None:
            try:
                import torch

                torch.set_num_threads(self.threads)
            except ImportError:  # pragma: no cover
                pass

    def teardown(self, worker: Any = None) -> None:
        self.parsers.clear()

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        pass

    def parse(self, docs: list[Document], model_set_id: str) -> list[tuple[str, str, int]]:
        if self.lock is None:
            self.setup()
        with self.lock:
            return _parse_documents(docs, self.parsers, lambda lang: self.factory(self.model_set, lang), model_set_id)


def _dask_parse(docs: list[Document], model_set_id: str, plugin_name: str) -> list[tuple[str, str, int]]:
    """The task each Dask worker runs: parse ``docs`` with the parsers of its plugin."""
    from distributed import get_worker

    return get_worker().plugins[plugin_name].parse(docs, model_set_id)


def _plugin_class() -> type:
    """:class:`_ParserPlugin` as a subclass of ``distributed.WorkerPlugin`` (Dask is imported only here)."""
    cls = globals().get("_DaskParserPlugin")
    if cls is None:
        from distributed import WorkerPlugin

        cls = type("_DaskParserPlugin", (_ParserPlugin, WorkerPlugin), {"__module__": __name__})
        globals()["_DaskParserPlugin"] = cls
    return cls


def __getattr__(name: str) -> Any:  # unpickling the plugin on a worker builds its class there
    if name == "_DaskParserPlugin":
        return _plugin_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextmanager
def _local_client(workers: int) -> Iterator[Any]:
    """A ``LocalCluster`` of ``workers`` single-threaded worker processes and its client, closed on exit."""
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR, scheduler_port=0)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def _parse_on_dask(client: Any, chunks: list[list[Document]], factory: PipelineFactory, model_set: ModelSet,
                   threads: int | None, parent: int | None, done: Callable[[list[tuple[str, str, int]]], None]) -> None:
    """Send ``chunks`` to the workers of ``client``; call ``done`` (in this process) as each batch returns."""
    import uuid

    from distributed import as_completed as dask_completed

    name = f"tifa-parsers-{uuid.uuid4().hex}"  # one plugin per run: two runs on one cluster do not share parsers
    plugin = _plugin_class()(factory, model_set, threads, parent)
    try:
        client.register_plugin(plugin, name=name)
    except Exception as exc:
        raise AnnotationError(f"could not set up the parsers on the Dask workers ({type(exc).__name__}: {exc}); "
                              "the pipeline factory must pickle, and the workers need Tifa installed") from exc
    futures = [client.submit(_dask_parse, chunk, model_set.id, name, pure=False, key=f"tifa-parse-{i}-{name}")
               for i, chunk in enumerate(chunks)]
    try:
        for fut in dask_completed(futures):
            try:
                results = fut.result()
            except Exception as exc:
                if type(exc).__name__ == "KilledWorker":
                    raise AnnotationError(
                        f"Dask workers died while parsing a batch ({exc}); every document finished so far is "
                        "saved: rerun to parse the rest (if a worker dies on the same documents again, they may "
                        "need more memory than a worker has)") from None
                raise
            done(results)
    finally:
        client.cancel(futures)
        try:
            client.unregister_worker_plugin(name)
        except Exception:  # a cluster that is shutting down has no plugin left to remove
            pass


def _chunks(docs: Sequence[Document], batch_chars: int) -> list[list[Document]]:
    chunks: list[list[Document]] = []
    size = 0
    for doc in docs:
        n = sum(len(p.text) for p in doc.paragraphs)
        if not chunks or size + n > batch_chars:
            chunks.append([])
            size = 0
        chunks[-1].append(doc)
        size += n
    return chunks


def _write_provenance(out_dir: Path, corpus: Corpus, model_set: ModelSet, command: str | None, force: bool) -> None:
    docs = {}
    for doc in corpus:
        header = read_header(annotation_path(out_dir, doc.doc_id))
        if header.get(MODEL_KEY) == model_set.id:
            docs[doc.doc_id] = header.get(HASH_KEY, "")
    old = read_provenance(out_dir) or {}
    # keep entries of documents annotated earlier with this model set but not in this corpus
    merged = {k: v for k, v in (old.get("documents") or {}).items()
              if k not in docs and read_header(annotation_path(out_dir, k)).get(HASH_KEY) == v}
    merged.update(docs)
    merged = dict(sorted(merged.items()))
    if not force and old.get("model_set") == model_set.id and old.get("documents") == merged:
        return
    record = {
        **model_set.provenance(),
        "date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "command": command or "analysis.annotate(corpus)",
        "tifa_version": _tifa_version(),
        "corpus": corpus.name,
        "corpus_checksum": corpus.checksum,
        "offsets": "start_char/end_char in MISC are offsets into each document's raw source file",
        "documents": merged,
    }
    write_text_atomic(out_dir / PROVENANCE_FILE, json.dumps(record, ensure_ascii=False, indent=1) + "\n")


def _tifa_version() -> str:
    from . import __version__

    return __version__


# -- one writer per folder, preflight, workers that die with their parent ------------------------


@contextmanager
def writer_lock(directory: str | os.PathLike, what: str = "annotate") -> Iterator[None]:
    """Hold the folder's lock (:data:`LOCK_FILE`) while writing it; refuse if another run holds it.

    An OS file lock (``filelock``): it is released when its process ends, however it ends, so a
    killed run never leaves a stale lock. The holder's pid, host and start time are written beside
    it, for the message a second run gets.
    """
    from filelock import FileLock, Timeout

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    owner = directory / (LOCK_FILE + ".owner")
    lock = FileLock(str(directory / LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = owner.read_text(encoding="utf-8").strip()
        except OSError:
            holder = "another process"
        raise AnnotationError(f"{directory} is being written by {holder}; wait for that run to finish (or stop it), "
                              "then run again") from None
    try:
        started = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        owner.write_text(f"process {os.getpid()} on {socket.gethostname()} ({what}, since {started})\n", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def _remove_stale_temp_files(directory: Path) -> None:
    """Remove ``.tmp-*`` files a killed run left (only ever called while holding the folder's lock)."""
    for tmp in directory.glob(".tmp-*"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)


#: Bytes of CoNLL-U per character of text, measured on the seed (about 15; twice that as a margin).
_CONLLU_BYTES_PER_CHAR = 30


def preflight(out_dir: Path, docs: Sequence[Document]) -> None:
    """Check before any model is loaded: the folder can be written, and has room for the files.

    Raises :class:`OSError` naming the folder (the CLI prints it on one line, exit status 1).
    Nothing is created: a folder that does not exist yet is checked through its nearest existing
    parent. File names are safe by construction (:func:`annotation_path`).
    """
    probe_dir = out_dir
    while not probe_dir.exists() and probe_dir != probe_dir.parent:
        probe_dir = probe_dir.parent
    try:
        if not probe_dir.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(probe_dir))
        probe = probe_dir / f".tmp-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write annotations here ({exc.strerror})", str(out_dir)) from None
    need = sum(len(p.text) for d in docs for p in d.paragraphs) * _CONLLU_BYTES_PER_CHAR
    free = shutil.disk_usage(probe_dir).free
    if need > free:
        raise OSError(errno.ENOSPC, f"not enough free space for the annotations: about {_size(need)} needed, "
                      f"{_size(free)} free", str(out_dir))


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} GB"  # pragma: no cover


def _exit_with_parent(parent: int) -> None:
    """In a worker process: exit as soon as the parent process is gone (killed or crashed)."""
    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, name="tifa-exit-with-parent", daemon=True).start()


def annotate(
    corpus: Corpus,
    *,
    model_set: ModelSet | None = None,
    out_dir: str | os.PathLike | None = None,
    workers: int = 1,
    force: bool = False,
    progress: bool = True,
    pipeline_factory: PipelineFactory | None = None,
    batch_chars: int = 10_000,
    threads: int | None = None,
    command: str | None = None,
    client: Any = None,
) -> AnnotationReport:
    """Parse every document of ``corpus`` not already annotated; return what was done.

    ``model_set``: the Stanza model set (default: :func:`~analysis.models.resolve_model_set`, which
    must provide every language the corpus uses). ``out_dir``: default
    ``<the corpus's folder>/annotations/<model set id>`` (:func:`annotations_root`); never another
    corpus's folder (:func:`check_owner`). ``workers``: parsing processes (each loads its own
    pipelines; one per core at most is useful). ``force``: re-parse even current documents.
    ``pipeline_factory(model_set, lang)`` builds a parser (default: Stanza); it must be picklable
    when ``workers > 1``. Documents are parsed in batches of about ``batch_chars`` characters
    (paragraphs of one language go through their pipeline as one list), and each document's file
    is written as soon as its batch is done. ``threads``: torch threads per parsing process
    (default: torch's own choice with one worker, cores / workers otherwise); on a machine shared
    with other jobs, ``threads=1`` avoids oversubscription and is often faster.

    ``workers > 1`` starts a Dask ``LocalCluster`` of that many worker processes for the run;
    ``client``: a ``distributed.Client`` of an existing Dask cluster to parse on instead (its
    workers need Tifa and the models installed; ``workers`` is then ignored). Each Dask worker
    builds its pipelines once (a worker plugin) and only parses: the files are written here, by
    this process, so a killed worker or a killed run loses only the batches in flight, and a
    rerun resumes. The files are the same, byte for byte, as with one process.
    """
    if not isinstance(corpus, Corpus):
        raise AnnotationError(f"annotate() needs a Corpus, not {type(corpus).__name__}; load one with analysis.load_corpus()")
    if workers < 1:
        raise ParameterError(f"workers must be at least 1, not {workers}")
    if client is not None and not (hasattr(client, "submit") and hasattr(client, "register_plugin")):
        raise ParameterError(f"client must be a distributed.Client (Client('tcp://host:8786')), not {type(client).__name__}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ParameterError(f"threads must be a whole number >= 1 (or None for torch's default), not {threads!r}")
    langs = _corpus_languages(list(corpus))
    if model_set is None:
        model_set = resolve_model_set(require=langs)
    else:
        for lang in langs:
            model_set.require(lang)
    out = Path(out_dir) if out_dir is not None else annotations_root(corpus) / model_set.id
    check_owner(corpus, out)
    status = document_status(corpus, out, model_set.id)
    if not force and all(v == "current" for v in status.values()) and _provenance_current(out, corpus, model_set):
        return AnnotationReport(out, model_set.id, current=list(corpus.doc_ids))  # nothing to write
    preflight(out, [d for d in corpus if force or status[d.doc_id] != "current"])
    created = not out.exists()
    try:
        with writer_lock(out):
            _remove_stale_temp_files(out)  # leftovers of a killed run: no other run is writing here now
            return _annotate_locked(corpus, model_set, out, workers=workers, force=force, progress=progress,
                                    pipeline_factory=pipeline_factory, batch_chars=batch_chars, threads=threads,
                                    command=command, client=client)
    except BaseException:
        if created:  # a run that failed before writing anything leaves no empty folder behind
            (out / LOCK_FILE).unlink(missing_ok=True)
            try:
                out.rmdir()
            except OSError:
                pass
        raise


def _provenance_current(out: Path, corpus: Corpus, model_set: ModelSet) -> bool:
    prov = read_provenance(out) or {}
    docs = prov.get("documents") or {}
    return prov.get("model_set") == model_set.id and all(docs.get(d.doc_id) == d.text_hash for d in corpus)


def _annotate_locked(corpus: Corpus, model_set: ModelSet, out: Path, *, workers: int, force: bool, progress: bool,
                     pipeline_factory: PipelineFactory | None, batch_chars: int, threads: int | None,
                     command: str | None, client: Any = None) -> AnnotationReport:
    status = document_status(corpus, out, model_set.id)  # again: another run may have finished meanwhile
    todo = [d for d in corpus if force or status[d.doc_id] != "current"]
    todo_ids = {d.doc_id for d in todo}
    report = AnnotationReport(out, model_set.id, current=[d.doc_id for d in corpus if d.doc_id not in todo_ids])
    if todo:
        factory = pipeline_factory or stanza_pipeline_factory
        chunks = _chunks(todo, batch_chars)
        t0 = time.perf_counter()
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="doc", desc=f"annotate ({model_set.id})", disable=not progress,
                   file=sys.stderr)

        def done(results: list[tuple[str, str, int]]) -> None:
            for doc_id, text, n_words in results:
                _write_document(out, doc_id, text)
                report.parsed.append(doc_id)
                report.words += n_words
                bar.update(1)
            elapsed = time.perf_counter() - t0
            bar.set_postfix_str(f"{report.words / elapsed if elapsed else 0:,.0f} words/s")

        try:
            if client is not None:
                _parse_on_dask(client, chunks, factory, model_set, threads, None, done)
            elif workers == 1 or len(chunks) == 1:
                previous_threads = None
                if threads is not None and pipeline_factory is None:
                    import torch

                    previous_threads = torch.get_num_threads()
                    torch.set_num_threads(threads)
                try:
                    parsers: dict[str, Parser] = {}
                    for chunk in chunks:
                        done(_parse_documents(chunk, parsers, lambda lang: factory(model_set, lang), model_set.id))
                finally:
                    if previous_threads is not None:
                        torch.set_num_threads(previous_threads)
            else:
                per_worker = threads or max(1, (os.cpu_count() or 1) // workers)
                with _local_client(min(workers, len(chunks))) as local:
                    _parse_on_dask(local, chunks, factory, model_set, per_worker, os.getpid(), done)
        finally:
            bar.close()
            report.seconds = time.perf_counter() - t0
    _write_provenance(out, corpus, model_set, command, force=bool(report.parsed))
    return report


# -- finding and checking annotations --------------------------------------------------------


_SUBSET_HINT = ("(A corpus narrowed with subset(voice=...) has other texts than the annotated one: load the "
                "Tokens of the whole corpus and filter them with analysis.select.)")


def find_annotations(
    corpus: Corpus,
    *,
    annotations_dir: str | os.PathLike | None = None,
    model_set: ModelSet | str | None = None,
    root: str | os.PathLike | None = None,
) -> Path:
    """The directory of up-to-date annotations of ``corpus``.

    Order: ``annotations_dir``; the directory of ``model_set`` (a :class:`ModelSet` or its id);
    the active model set's directory if it is up to date; otherwise a directory under ``root``
    (default: the corpus's own ``annotations`` folder, :func:`annotations_root`) whose
    ``provenance.json`` names a model set whose files are all up to date (the committed
    annotations: this needs no Stanza models). Raises :class:`AnnotationError` saying to run
    ``tifa annotate`` when there is none.
    """
    if annotations_dir is not None:
        root = Path(annotations_dir).parent
    else:
        root = Path(root) if root is not None else annotations_root(corpus)

    def stale_message(directory: Path, status: dict[str, str]) -> str:
        damaged = [k for k, v in status.items() if v == "damaged"]
        if damaged:
            path = annotation_path(directory, damaged[0])
            return (f"{path}: damaged: {_file_problem(path)}; run `tifa annotate` to re-parse document "
                    f"{damaged[0]!r}" + (f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""))
        bad = {k: v for k, v in status.items() if v != "current"}
        example = ", ".join(f"{k} ({v})" for k, v in list(bad.items())[:3])
        return (f"annotations in {directory} are missing or out of date for {len(bad)} of {len(status)} "
                f"documents (e.g. {example}); run `tifa annotate` (or analysis.annotate(corpus)). {_SUBSET_HINT}")

    if annotations_dir is not None or model_set is not None:
        if annotations_dir is not None:
            directory = Path(annotations_dir)
            wanted = model_set.id if isinstance(model_set, ModelSet) else model_set
        else:
            wanted = model_set.id if isinstance(model_set, ModelSet) else str(model_set)
            directory = root / wanted
        status = document_status(corpus, directory, wanted)
        if any(v != "current" for v in status.values()):
            raise AnnotationError(stale_message(directory, status))
        return directory

    active = try_resolve_model_set(require=_corpus_languages(list(corpus)))
    if active is not None:
        directory = root / active.id
        status = document_status(corpus, directory, active.id)
        if all(v == "current" for v in status.values()):
            return directory
    candidates, damaged = [], []
    for directory in sorted({p.parent for p in root.glob("*/*.conllu")} | {p.parent for p in root.glob(f"*/{PROVENANCE_FILE}")}):
        prov = read_provenance(directory) or provenance_from_headers(directory)
        ms_id = prov.get("model_set", directory.name)
        status = document_status(corpus, directory, ms_id)
        if all(v == "current" for v in status.values()):
            candidates.append((prov.get("date", ""), directory))
        elif all(v in ("current", "damaged") for v in status.values()):
            damaged.append((directory, status))
    if candidates:
        candidates.sort()
        chosen = candidates[-1][1]
        if active is not None:
            warnings.warn(f"using the annotations in {chosen}: the active model set {active.id} has none up to date "
                          f"(run `tifa annotate` to parse with it)", stacklevel=3)
        return chosen
    if damaged:  # up to date but for damaged files: name them rather than blame the models
        raise AnnotationError(stale_message(*damaged[-1]))
    if active is not None:
        raise AnnotationError(stale_message(root / active.id, document_status(corpus, root / active.id, active.id)))
    raise AnnotationError(
        f"no up-to-date annotations of this corpus under {root}, and no Stanza models to make them: point Tifa "
        f"to models (--models DIR or TIFA_STANZA_DIR, or `tifa models download`) and run `tifa annotate`. {_SUBSET_HINT}"
    )


def annotations_current(corpus: Corpus, **kwargs: Any) -> bool:
    """Whether up-to-date annotations of ``corpus`` exist (same arguments as :func:`find_annotations`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            find_annotations(corpus, **kwargs)
    except AnnotationError:
        return False
    return True


def ensure_annotations(corpus: Corpus, *, model_set: ModelSet | None = None, root: str | os.PathLike | None = None,
                       **options: Any) -> AnnotationReport:
    """Use up-to-date annotations when there are any (committed ones included); else annotate.

    This is what ``tifa reproduce`` calls: on a machine without Stanza models the committed
    annotations serve as long as the corpus text has not changed.
    """
    root_path = Path(root) if root is not None else annotations_root(corpus)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            directory = find_annotations(corpus, model_set=model_set, root=root_path)
        header_ids = {read_header(annotation_path(directory, d.doc_id)).get(MODEL_KEY, "") for d in corpus}
        return AnnotationReport(directory, ",".join(sorted(header_ids)) or directory.name, current=list(corpus.doc_ids))
    except AnnotationError:
        pass
    if model_set is None:
        model_set = resolve_model_set(require=_corpus_languages(list(corpus)))
    return annotate(corpus, model_set=model_set, out_dir=root_path / model_set.id, **options)


def load_sentences(corpus: Corpus, directory: str | os.PathLike) -> dict[str, list[Sentence]]:
    """Read and validate each document's CoNLL-U file in ``directory`` (errors name file and line)."""
    out = {}
    for doc in corpus:
        path = annotation_path(directory, doc.doc_id)
        header = read_header(path)
        if header.get(HASH_KEY) != doc.text_hash:
            raise AnnotationError(f"{path}: {'missing' if not header else 'made from a different text'}; "
                                  f"run `tifa annotate` to parse document {doc.doc_id!r}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise AnnotationError(f"{path}: not UTF-8 at byte {exc.start}; run `tifa annotate` to re-parse it") from None
        problem = integrity_problem(text)
        if problem is not None:
            raise AnnotationError(f"{path}: damaged: {problem}; run `tifa annotate` to re-parse document {doc.doc_id!r}")
        # a document without any text has a header and no sentences
        sentences = parse_conllu(text, source=str(path)) if _has_words(text) else []
        recorded = (header.get(SENTENCES_KEY), header.get(WORDS_KEY))
        found = (str(len(sentences)), str(sum(len(x.words) for x in sentences)))
        if recorded != found:
            raise AnnotationError(f"{path}: damaged: it records {recorded[0]} sentences and {recorded[1]} words but "
                                  f"holds {found[0]} and {found[1]}; run `tifa annotate` to re-parse it")
        out[doc.doc_id] = sentences
    return out


__all__ = [
    "AnnotationReport", "annotate", "annotation_path", "annotations_current", "annotations_root",
    "document_status", "ensure_annotations", "find_annotations", "load_sentences", "read_header",
    "read_provenance", "stanza_pipeline_factory", "StanzaParser", "ModelNotFoundError",
]
