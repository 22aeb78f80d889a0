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

Parsing is strict: bad input raises :class:`~analysis.errors.CorpusImportError` naming the file
(and the line or byte offset) and saying what to do, never a silently wrong corpus:

* a missing path, an unknown format, an empty folder or file;
* text that is not valid in the given encoding (use ``encoding=``/``--encoding``); a file with
  a byte-order mark is decoded as the mark says (UTF-8, UTF-16 or UTF-32, whatever
  ``encoding``); a NUL byte (a binary file) anywhere, with its byte offset;
* CSV: a duplicate column name in the header, a row with more or fewer fields than the header,
  a quote that is never closed, a malformed quoted field (each with its line);
* JSON Lines: malformed JSON on a line, a line that is not an object, a text that is not a
  string (``text is a number (123), not a string``);
* no text column, an empty text, duplicate document ids;
* a document id that cannot name a file (annotation writes one file per id): ``.``, ``..``, or
  an id containing ``/``, ``\\`` or a control character. A missing, null or blank id (empty
  after stripping spaces) is replaced by ``<file stem>-<row number>``, as when there is no id
  column; other ids (any script, e.g. Chinese) are kept as they are, stripped of surrounding
  spaces.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
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


#: Byte-order marks and the codec each one means; UTF-32-LE's mark starts with UTF-16-LE's, so it comes first.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
#: Codecs in which NUL bytes are part of ordinary text (they are checked after decoding instead).
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


def _decode(data: bytes, path: Path, encoding: str) -> str:
    """``data`` as text: decoded as its byte-order mark says, else as ``encoding``; no NUL anywhere."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise CorpusImportError(f"unknown encoding {encoding!r}; use a Python codec name such as utf-8 or gb18030") from None
    bom, label = 0, encoding
    for mark, name in _BOMS:
        if data.startswith(mark):
            codec, bom, label = name, len(mark), f"{name} (as its byte-order mark says)"
            break
    if codec not in _WIDE and (nul := data.find(b"\x00")) >= 0:
        raise CorpusImportError(
            f"{path}: looks like a binary file (NUL byte at byte offset {nul}), not text; import .txt, .csv or "
            ".jsonl files (a UTF-16 or UTF-32 file needs a byte-order mark or --encoding utf-16)")
    try:
        text = data[bom:].decode(codec)
    except UnicodeDecodeError as exc:
        raise CorpusImportError(
            f"{path}: not valid {label} at byte offset {bom + exc.start}; if the file uses another encoding, "
            "pass it with --encoding (e.g. --encoding gb18030)"
        ) from None
    if (nul := text.find("\x00")) >= 0:
        offset = bom + len(text[:nul].encode(codec)) - len("".encode(codec))  # "".encode("utf-16") is a BOM
        raise CorpusImportError(f"{path}: NUL character at byte offset {offset}: a text file has none; is it binary, "
                                "or in another encoding (pass it with --encoding)?")
    return text


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


def _check_id(doc_id: str, where: str) -> str:
    """``doc_id`` if it can name a file (annotation writes ``<id>.conllu``), else a CorpusImportError at ``where``."""
    if doc_id in ("", ".", ".."):
        problem = "is empty" if not doc_id else "names a folder (the current or the parent one)"
    elif "/" in doc_id or "\\" in doc_id:
        problem = "contains a path separator (/ or \\)"
    elif any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in doc_id):
        problem = "contains a control character"
    else:
        return doc_id
    raise CorpusImportError(f"{where}: document id {doc_id!r} {problem}; ids name files (one per document), so an id "
                            "must not be empty, '.' or '..', nor contain /, \\ or control characters: change the id")


def _json_type(value: Any) -> str:
    """What a JSON value is, for messages: ``a number (123)``, ``null``, ``a list ([1, 2])``..."""
    if value is None:
        return "null"
    kind = ("a boolean" if isinstance(value, bool) else "a number" if isinstance(value, (int, float))
            else "a list" if isinstance(value, list) else "an object" if isinstance(value, dict)
            else f"a {type(value).__name__}")
    shown = json.dumps(value, ensure_ascii=False)
    return f"{kind} ({shown if len(shown) <= 40 else shown[:37] + '...'})"


def _read_folder(path: Path, encoding: str) -> list[Document]:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
    if not files:
        raise CorpusImportError(f"{path}: no .txt files in this folder")
    ids = [(_check_id(_ID_OK.sub("-", str(f.relative_to(path).with_suffix("")).replace("/", "--")), str(f)), str(f))
           for f in files]
    _check_unique(ids)
    docs = []
    for (doc_id, _), f in zip(ids, files):
        text = _decode(f.read_bytes(), f, encoding)
        if not text.strip():
            raise CorpusImportError(f"{f}: empty file; remove it or add its text")
        docs.append(_make_document(doc_id, text, {}, f.name, str(f)))
    return docs


def _rows_to_documents(rows: list[tuple[int, str, dict]], path: Path, text_column: str, id_column: str | None,
                       unit: str) -> list[Document]:
    """Documents from ``(number, where, record)`` rows: ``number`` numbers a document without an id,
    ``where`` names the row in messages (``row 3``, ``line 7``)."""
    if not rows:
        raise CorpusImportError(f"{path}: no {unit}s; the file is empty")
    columns = set().union(*(r.keys() for _, _, r in rows))
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
    for n, where, row in rows:
        raw_id = row.get(id_column) if id_column else None
        if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
            raise CorpusImportError(f"{path}, {where}: {id_column} is {_json_type(raw_id)}, not a string or a whole "
                                    "number; give each document a text id")
        doc_id = "" if raw_id is None else str(raw_id).strip()
        ids.append((_check_id(doc_id, f"{path}, {where}") if doc_id else f"{path.stem}-{n}", where))
    _check_unique(ids)
    docs = []
    for (doc_id, where), (n, _, row) in zip(ids, rows):
        text = row.get(text_column)
        if text_column in row and not isinstance(text, str):
            raise CorpusImportError(f"{path}, {where}: {text_column} is {_json_type(text)}, not a string; "
                                    "write the text as a JSON string")
        if not isinstance(text, str) or not text.strip():
            raise CorpusImportError(f"{path}, {where}: empty text in column {text_column!r}")
        meta = {k: v for k, v in row.items() if k not in (text_column, id_column)}
        docs.append(_make_document(doc_id, text, meta, path.name, f"{path}, {where}"))
    return docs


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _csv_records(path: Path, text: str) -> list[tuple[int, str, dict]]:
    """The ``(row number, where, record)`` rows of a CSV text, parsed strictly.

    Python's csv module merges rows silently when a quote is never closed; with ``strict=True``
    it stops at the end of the file instead ("unexpected end of data"), and at a quoted field
    followed by anything but a delimiter. Those, a duplicate column name and a row whose number
    of fields differs from the header's raise a CorpusImportError naming the line. Blank lines
    are skipped; row numbers count the header as row 1 (as a spreadsheet does when no field
    spans lines); ``where`` adds the line where the row starts when it differs.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, str, dict]] = []
    n, last = 1, 0  # row number; last line read
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, 2**31 - 1))  # a document may be longer than csv's default 128 KiB field
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if not record:
                continue
            if header is None:
                dups = sorted({c for c in record if record.count(c) > 1})
                if dups:
                    raise CorpusImportError(f"{path}, line {start}: duplicate column name(s) "
                                            f"{', '.join(map(repr, dups))} in the header; rename them so that "
                                            "each column has its own name")
                header = record
                continue
            n += 1
            if len(record) != len(header):
                raise CorpusImportError(
                    f"{path}, line {start}: {_plural(len(record), 'field')} but the header has "
                    f"{_plural(len(header), 'column')}; put a field that contains commas in double quotes "
                    "(\"a, b\") and give every row one field per column")
            rows.append((n, f"row {n}" if start == n else f"row {n} (line {start})", dict(zip(header, record))))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise CorpusImportError(f"{path}, line {last + 1}: a quote opened in the row that starts on this line is "
                                    "never closed (the file ends inside it); close it, and double every quote "
                                    "inside a quoted field (\"\")") from None
        raise CorpusImportError(f"{path}, line {reader.line_num}: malformed CSV ({exc}); double every quote inside "
                                "a quoted field (\"\"), or leave the field unquoted") from None
    finally:
        csv.field_size_limit(limit)
    return rows


def _read_csv(path: Path, encoding: str, text_column: str, id_column: str | None) -> list[Document]:
    text = _decode(path.read_bytes(), path, encoding)
    if not text.strip():
        raise CorpusImportError(f"{path}: empty file")
    return _rows_to_documents(_csv_records(path, text), path, text_column, id_column, "row")


def _read_jsonl(path: Path, encoding: str, text_column: str, id_column: str | None) -> list[Document]:
    text = _decode(path.read_bytes(), path, encoding)
    rows = []
    # lines end at "\n" only: JSON strings may hold U+2028 and other characters str.splitlines() splits at
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusImportError(f"{path}, line {n}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise CorpusImportError(f"{path}, line {n}: expected a JSON object with a {text_column!r} field")
        rows.append((n, f"line {n}", obj))
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
        docs = [_make_document(_check_id(path.stem, str(path)), text, {}, path.name, str(path))]
    else:
        raise CorpusImportError(f"{path}: unknown format; import a folder of .txt files, a .csv or a .jsonl file")
    return Corpus(docs, name=name or path.stem)


def import_corpus(path: str | Path, out_dir: str | Path, **options: Any) -> Corpus:
    """Import ``path`` (see :func:`read_corpus`) and write ``out_dir/documents.jsonl``.

    ``out_dir`` must not exist or be empty; it is written atomically, so a failed import leaves
    nothing behind, and the temporary folder of a killed import is removed by the next one
    (:func:`analysis._atomic.atomic_directory`). It gets the permissions the umask gives.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CorpusImportError(f"{out_dir}: already exists and is not empty; choose a new --out folder")
    corpus = read_corpus(path, **options)
    with atomic_directory(out_dir) as tmp:
        corpus.save(tmp / "documents.jsonl")
    return corpus
