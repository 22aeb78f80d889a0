"""Importers: other corpora into the same :class:`~analysis.corpus.Corpus` type.

Three formats, as AntConc and quanteda users bring them:

* a **folder of .txt files** — one document per file (id = file name without ``.txt``);
  paragraphs are separated by blank lines;
* a **CSV** file — one document per row, a text column (default ``text``) and any metadata
  columns; an id column (default ``doc_id``, else ``id``, else the row number);
* a **JSON Lines** file (``.jsonl``/``.ndjson``) — one JSON object per line, same columns as CSV.

Metadata columns named like Tifa's document fields (title, lang, kind, outlet, author, date,
voice...) fill those fields; all others are kept in ``Document.extra``. ``lang`` is guessed per
document when absent (``zh`` when at least 30% of its letters are Han characters, else ``en``).

Bad input raises :class:`~analysis.errors.CorpusImportError` naming the file (and the line or
byte offset): a missing path, a file that is not valid in the given encoding (use
``encoding=``/``--encoding``), a binary file, an empty folder or file, a CSV without the text
column, duplicate document ids, malformed JSON on a line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._atomic import atomic_directory
from .corpus import DOCUMENT_FIELDS, Corpus, Document, Paragraph
from .languages import HAN, HAN_PATTERN
from .errors import CorpusImportError

_LETTER = re.compile(r"[^\W\d_]")
_PARA_SPLIT = re.compile(r"\n[ \t\u00a0\u3000]*\n+")
_ID_OK = re.compile(r"[^A-Za-z0-9._\-" + HAN_PATTERN[1:-1] + r"]+")
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")


def guess_lang(text: str) -> str:
    """``zh`` when at least 30% of the letters are Han characters, else ``en``."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return "en"
    return "zh" if len(HAN.findall(text)) / letters >= 0.3 else "en"


def _decode(data: bytes, path: Path, encoding: str) -> str:
    if b"\x00" in data[:8192]:
        raise CorpusImportError(f"{path}: looks like a binary file (NUL bytes), not text; import .txt, .csv or .jsonl files")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CorpusImportError(
            f"{path}: not valid {encoding} at byte offset {exc.start}; if the file uses another encoding, "
            "pass it with --encoding (e.g. --encoding gb18030)"
        ) from None
    except LookupError:
        raise CorpusImportError(f"unknown encoding {encoding!r}; use a Python codec name such as utf-8 or gb18030") from None
    return text.lstrip("\ufeff")


def split_paragraphs(text: str) -> list[tuple[int, int, str]]:
    """Paragraphs of ``text`` separated by blank lines: (start, end, text) with offsets into ``text``."""
    out = []
    pos = 0
    text = text.replace("\r\n", "\n")
    for m in [*_PARA_SPLIT.finditer(text), None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((pos + lead, pos + lead + len(stripped), stripped))
        if m:
            pos = m.end()
    return out


def _make_document(doc_id: str, text: str, meta: Mapping[str, Any], source: str, where: str) -> Document:
    paras = split_paragraphs(text)
    if not paras:
        raise CorpusImportError(f"{where}: document {doc_id!r} has no text")
    lang = str(meta.get("lang") or guess_lang(text))
    voice = str(meta.get("voice") or "text")
    fields = {k: ("" if v is None else v) for k, v in meta.items() if k in DOCUMENT_FIELDS and k != "doc_id"}
    fields["lang"] = lang
    if "truncated" in fields:
        fields["truncated"] = str(fields["truncated"]).lower() in ("1", "true", "yes")
    for key in ("title", "kind", "outlet", "author", "date", "date_phrase", "post", "translation_of"):
        if key in fields:
            fields[key] = str(fields[key])
    fields.setdefault("post", doc_id)
    extra = {k: v for k, v in meta.items() if k not in DOCUMENT_FIELDS and k not in ("voice", "text")}
    pars = tuple(Paragraph(i, t, voice, lang, "", None, s, e) for i, (s, e, t) in enumerate(paras, 1))
    return Document(doc_id=doc_id, paragraphs=pars, source=source, extra=extra, **fields)


def _check_unique(docs: Iterable[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for doc_id, where in docs:
        if doc_id in seen:
            raise CorpusImportError(f"duplicate document id {doc_id!r} ({seen[doc_id]} and {where}); ids must be unique")
        seen[doc_id] = where


def _read_folder(path: Path, encoding: str) -> list[Document]:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
    if not files:
        raise CorpusImportError(f"{path}: no .txt files in this folder")
    ids = [(_ID_OK.sub("-", str(f.relative_to(path).with_suffix("")).replace("/", "--")), str(f)) for f in files]
    _check_unique(ids)
    docs = []
    for (doc_id, _), f in zip(ids, files):
        text = _decode(f.read_bytes(), f, encoding)
        if not text.strip():
            raise CorpusImportError(f"{f}: empty file; remove it or add its text")
        docs.append(_make_document(doc_id, text, {}, f.name, str(f)))
    return docs


def _rows_to_documents(rows: list[tuple[int, dict]], path: Path, text_column: str, id_column: str | None,
                       unit: str) -> list[Document]:
    if not rows:
        raise CorpusImportError(f"{path}: no {unit}s; the file is empty")
    columns = set().union(*(r.keys() for _, r in rows))
    if text_column not in columns:
        raise CorpusImportError(
            f"{path}: no text column {text_column!r}; columns are {', '.join(sorted(columns))} "
            "(choose one with --text-column)"
        )
    if id_column is None:
        id_column = next((c for c in ("doc_id", "id") if c in columns), None)
    elif id_column not in columns:
        raise CorpusImportError(f"{path}: no id column {id_column!r}; columns are {', '.join(sorted(columns))}")
    ids = []
    for n, row in rows:
        raw_id = row.get(id_column) if id_column else None
        doc_id = str(raw_id).strip() if raw_id not in (None, "") else f"{path.stem}-{n}"
        ids.append((doc_id, f"{unit} {n}"))
    _check_unique(ids)
    docs = []
    for (doc_id, where), (n, row) in zip(ids, rows):
        text = row.get(text_column)
        if not isinstance(text, str) or not text.strip():
            raise CorpusImportError(f"{path}, {where}: empty text in column {text_column!r}")
        meta = {k: v for k, v in row.items() if k not in (text_column, id_column)}
        docs.append(_make_document(doc_id, text, meta, path.name, f"{path}, {where}"))
    return docs


def _read_csv(path: Path, encoding: str, text_column: str, id_column: str | None) -> list[Document]:
    text = _decode(path.read_bytes(), path, encoding)
    if not text.strip():
        raise CorpusImportError(f"{path}: empty file")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = [(i, dict(r)) for i, r in enumerate(reader, 2)]  # line 1 is the header
    except csv.Error as exc:
        raise CorpusImportError(f"{path}: malformed CSV ({exc})") from None
    return _rows_to_documents(rows, path, text_column, id_column, "row")


def _read_jsonl(path: Path, encoding: str, text_column: str, id_column: str | None) -> list[Document]:
    text = _decode(path.read_bytes(), path, encoding)
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusImportError(f"{path}, line {n}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise CorpusImportError(f"{path}, line {n}: expected a JSON object with a {text_column!r} field")
        rows.append((n, obj))
    return _rows_to_documents(rows, path, text_column, id_column, "line")


def read_corpus(path: str | Path, *, text_column: str = "text", id_column: str | None = None,
                encoding: str = "utf-8", name: str | None = None) -> Corpus:
    """Import a folder of .txt files, a CSV file or a JSON Lines file as a :class:`Corpus`.

    See the module docstring for the formats and the errors.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusImportError(f"{path}: no such file or folder")
    if path.is_dir():
        docs = _read_folder(path, encoding)
    elif path.suffix.lower() == ".csv":
        docs = _read_csv(path, encoding, text_column, id_column)
    elif path.suffix.lower() in JSONL_SUFFIXES:
        docs = _read_jsonl(path, encoding, text_column, id_column)
    elif path.suffix.lower() in TEXT_SUFFIXES:
        text = _decode(path.read_bytes(), path, encoding)
        if not text.strip():
            raise CorpusImportError(f"{path}: empty file")
        docs = [_make_document(path.stem, text, {}, path.name, str(path))]
    else:
        raise CorpusImportError(f"{path}: unknown format; import a folder of .txt files, a .csv or a .jsonl file")
    return Corpus(docs, name=name or path.stem)


def import_corpus(path: str | Path, out_dir: str | Path, **options: Any) -> Corpus:
    """Import ``path`` (see :func:`read_corpus`) and write ``out_dir/documents.jsonl``.

    ``out_dir`` must not exist or be empty; it is written atomically, so a failed import leaves
    nothing behind.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CorpusImportError(f"{out_dir}: already exists and is not empty; choose a new --out folder")
    corpus = read_corpus(path, **options)
    with atomic_directory(out_dir) as tmp:
        corpus.save(tmp / "documents.jsonl")
    return corpus
