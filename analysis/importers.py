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

CSV and JSON Lines files are streamed by :func:`import_corpus` (:func:`stream_import`,
:func:`iter_documents`): read a block and written a document at a time, in constant memory (only
the document ids are kept, to find duplicates), with the same documents and the same errors as
:func:`read_corpus`, which reads the whole file into memory. Files in UTF-16 or UTF-32 (and other
codecs in which a newline byte may be part of a character) are decoded whole.

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
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
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
    if HAN.search(text) is None:  # no Han character at all (most texts of most corpora): skip counting letters
        return "en"
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
    """Documents from ``(number, where, record)`` rows held in memory (:func:`_stream_documents`)."""
    return list(_stream_documents(lambda: iter(rows), path, text_column, id_column, unit))


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
    return list(_csv_rows(path, io.StringIO(text, newline="")))


def _csv_rows(path: Path, physical_lines: Iterable[str]) -> Iterator[tuple[int, str, dict]]:
    """The strict CSV parse behind :func:`_csv_records` and :func:`_stream_csv_records`, one row at a time.

    ``physical_lines`` are the file's lines with their line ends (as a ``newline=""`` file gives them).
    """
    reader = csv.reader(physical_lines, strict=True)
    header: list[str] | None = None
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
            yield n, f"row {n}" if start == n else f"row {n} (line {start})", dict(zip(header, record))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise CorpusImportError(f"{path}, line {last + 1}: a quote opened in the row that starts on this line is "
                                    "never closed (the file ends inside it); close it, and double every quote "
                                    "inside a quoted field (\"\")") from None
        raise CorpusImportError(f"{path}, line {reader.line_num}: malformed CSV ({exc}); double every quote inside "
                                "a quoted field (\"\"), or leave the field unquoted") from None
    finally:
        csv.field_size_limit(limit)


def _read_csv(path: Path, encoding: str, text_column: str, id_column: str | None) -> list[Document]:
    text = _decode(path.read_bytes(), path, encoding)
    if not text.strip():
        raise CorpusImportError(f"{path}: empty file")
    return _rows_to_documents(_csv_records(path, text), path, text_column, id_column, "row")


def _read_jsonl(path: Path, encoding: str, text_column: str, id_column: str | None) -> list[Document]:
    text = _decode(path.read_bytes(), path, encoding)
    # lines end at "\n" only: JSON strings may hold U+2028 and other characters str.splitlines() splits at
    rows = list(_stream_jsonl_records(path, enumerate(text.split("\n"), 1), text_column))
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


def import_corpus(path: str | Path, out_dir: str | Path, *, progress: bool = False, **options: Any) -> Corpus:
    """Import ``path`` (see :func:`read_corpus`) and write ``out_dir/documents.jsonl``.

    ``out_dir`` must not exist or be empty; it is written atomically, so a failed import leaves
    nothing behind, and the temporary folder of a killed import is removed by the next one
    (:func:`analysis._atomic.atomic_directory`). It gets the permissions the umask gives. CSV
    and JSON Lines files are streamed (:func:`stream_import`: constant memory while reading and
    writing); the corpus returned is then read back from ``documents.jsonl`` (as
    :func:`read_corpus` returns it: no home folder). ``progress``: a progress bar (bytes read).
    """
    path = Path(path)
    n = stream_import(path, out_dir, progress=progress, **options)
    corpus = Corpus.from_jsonl(Path(out_dir) / "documents.jsonl")
    assert len(corpus) == n
    return Corpus(corpus, name=options.get("name") or path.stem)


# -- streaming import: CSV and JSON Lines of any size, in constant memory ----------------------


#: Bytes read at a time when streaming (lines are split out of these blocks).
_BLOCK = 1 << 20


def _streamable(codec: str) -> bool:
    """Whether ``codec`` can be decoded line by line from raw bytes: an ASCII-compatible, stateless codec
    in which the byte ``\n`` is always a line end (UTF-8, GB18030, Latin-1...; not UTF-16/32, UTF-7)."""
    if codec in _WIDE or codec in ("utf-7", "utf_7") or "2022" in codec or codec.startswith(("hz", "idna", "punycode")):
        return False
    try:
        return "\n".encode(codec) == b"\n" and "a\n".encode(codec) == b"a\n"
    except (UnicodeError, LookupError):  # pragma: no cover
        return False


class _Lines:
    """The lines of a text file, decoded one at a time, each with its 1-based number (counted at ``\n``).

    Streams (constant memory, one line at a time) when the codec allows it (:func:`_streamable`);
    otherwise decodes the whole file with :func:`_decode` (the same checks either way). Raises the
    same :class:`CorpusImportError` messages as :func:`_decode`: an unknown encoding, a NUL byte
    (found by a first pass over the raw bytes, so its message wins as when the whole file is
    decoded at once), invalid text at a byte offset. Iterating again reads the file again.
    ``on_bytes(n)`` is called as bytes are read (a progress bar).
    """

    def __init__(self, path: Path, encoding: str, on_bytes: Any = None):
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise CorpusImportError(f"unknown encoding {encoding!r}; use a Python codec name such as utf-8 or gb18030") from None
        with open(path, "rb") as fh:
            head = fh.read(4)
        self.path, self.encoding, self.on_bytes = path, encoding, on_bytes
        self.codec, self.bom, self.label = codec, 0, encoding
        for mark, name in _BOMS:
            if head.startswith(mark):
                self.codec, self.bom, self.label = name, len(mark), f"{name} (as its byte-order mark says)"
                break
        self.stream = _streamable(self.codec)
        if self.stream:
            self._check_nul()

    def _check_nul(self) -> None:
        offset = 0
        with open(self.path, "rb") as fh:
            while block := fh.read(_BLOCK):
                if (nul := block.find(b"\x00")) >= 0:
                    raise CorpusImportError(
                        f"{self.path}: looks like a binary file (NUL byte at byte offset {offset + nul}), not text; "
                        "import .txt, .csv or .jsonl files (a UTF-16 or UTF-32 file needs a byte-order mark or "
                        "--encoding utf-16)")
                offset += len(block)

    def __iter__(self) -> Iterator[tuple[int, str]]:
        if not self.stream:
            text = _decode(self.path.read_bytes(), self.path, self.encoding)
            if self.on_bytes:
                self.on_bytes(self.path.stat().st_size)
            for n, line in enumerate(text.split("\n"), 1):
                yield n, line
            return
        decode = codecs.getdecoder(self.codec)
        offset = self.bom
        with open(self.path, "rb") as fh:
            fh.seek(self.bom)
            n = 0
            pending: list[bytes] = []  # the pieces of a line longer than a block
            while True:  # like text.split("\n"): the piece after the last "\n" is a line too (maybe empty)
                block = fh.read(_BLOCK)
                if self.on_bytes and block:
                    self.on_bytes(len(block))
                if block and b"\n" not in block:
                    pending.append(block)
                    continue
                lines = (b"".join(pending) + block).split(b"\n")
                pending = [lines.pop()] if block else []
                for raw in lines:
                    n += 1
                    try:
                        line = decode(raw)[0]
                    except UnicodeDecodeError as exc:
                        raise CorpusImportError(
                            f"{self.path}: not valid {self.label} at byte offset {offset + exc.start}; if the file "
                            "uses another encoding, pass it with --encoding (e.g. --encoding gb18030)") from None
                    offset += len(raw) + 1
                    yield n, line
                if not block:
                    break


def _split_keepends(line: str) -> list[str]:
    """``line`` (which ends at ``\n`` or the end of the file) split as ``newline=""`` text files split lines:
    at ``\r\n``, ``\r`` and ``\n``, ends kept (the csv module needs them to tell quoted line breaks)."""
    if "\r" not in line:
        return [line] if line else []
    return [m.group(0) for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", line)]


def _stream_csv_records(path: Path, lines: _Lines) -> Iterator[tuple[int, str, dict]]:
    """:func:`_csv_records`, streamed: the same rows and the same errors, one row at a time."""
    # a physical line gets its "\n" back; the very last line of the file had none: strip it again
    def physical_exact() -> Iterator[str]:
        pending = None
        for _, line in lines:
            if pending is not None:
                yield from _split_keepends(pending + "\n")
            pending = line
        if pending:
            yield from _split_keepends(pending)

    yield from _csv_rows(path, physical_exact())


def _stream_jsonl_records(path: Path, lines: Iterable[tuple[int, str]], text_column: str) -> Iterator[tuple[int, str, dict]]:
    """The rows of :func:`_read_jsonl`, streamed: the same errors, one line at a time."""
    for n, line in lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusImportError(f"{path}, line {n}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise CorpusImportError(f"{path}, line {n}: expected a JSON object with a {text_column!r} field")
        yield n, f"line {n}", obj


def _stream_documents(rows: Any, path: Path, text_column: str, id_column: str | None, unit: str) -> Iterator[Document]:
    """Documents from ``(number, where, record)`` rows: ``number`` numbers a document without an id,
    ``where`` names the row in messages (``row 3``, ``line 7``). ``rows()`` gives a fresh iterator
    each call: three passes, so that errors come in one order (the rows and the columns; the ids;
    the texts, documents yielded one at a time). Only the ids are held in memory."""
    columns: set[str] = set()
    count = 0
    for _, _, row in rows():
        columns.update(row.keys())
        count += 1
    if not count:
        raise CorpusImportError(f"{path}: no {unit}s; the file is empty")
    if text_column not in columns:
        raise CorpusImportError(
            f"{path}: no text column {text_column!r}; columns are {', '.join(sorted(columns))} "
            "(choose one with --text-column)"
        )
    if id_column is None:
        id_column = next((c for c in ("doc_id", "id") if c in columns), None)
    elif id_column not in columns:
        raise CorpusImportError(f"{path}: no id column {id_column!r}; columns are {', '.join(sorted(columns))}")

    def doc_id_of(n: int, where: str, row: dict) -> str:
        raw_id = row.get(id_column) if id_column else None
        if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
            raise CorpusImportError(f"{path}, {where}: {id_column} is {_json_type(raw_id)}, not a string or a whole "
                                    "number; give each document a text id")
        doc_id = "" if raw_id is None else str(raw_id).strip()
        return _check_id(doc_id, f"{path}, {where}") if doc_id else f"{path.stem}-{n}"

    seen: dict[str, str] = {}
    duplicate = None
    for n, where, row in rows():
        doc_id = doc_id_of(n, where, row)
        if doc_id in seen:
            duplicate = duplicate or f"duplicate document id {doc_id!r} ({seen[doc_id]} and {where}); ids must be unique"
        else:
            seen[doc_id] = where
    if duplicate:
        raise CorpusImportError(duplicate)
    del seen
    for n, where, row in rows():
        doc_id = doc_id_of(n, where, row)
        text = row.get(text_column)
        if text_column in row and not isinstance(text, str):
            raise CorpusImportError(f"{path}, {where}: {text_column} is {_json_type(text)}, not a string; "
                                    "write the text as a JSON string")
        if not isinstance(text, str) or not text.strip():
            raise CorpusImportError(f"{path}, {where}: empty text in column {text_column!r}")
        meta = {k: v for k, v in row.items() if k not in (text_column, id_column)}
        yield _make_document(doc_id, text, meta, path.name, f"{path}, {where}")


def iter_documents(path: str | Path, *, text_column: str = "text", id_column: str | None = None,
                   encoding: str = "utf-8", progress: bool = False) -> Iterator[Document]:
    """The documents of a CSV or JSON Lines file, one at a time, in constant memory (but for the ids).

    The same documents and the same errors as :func:`read_corpus`; every error in the file is
    found before the first document is yielded except an empty text (the file is read three
    times: rows and columns, ids, documents). ``progress``: a progress bar of the bytes read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file() or (suffix != ".csv" and suffix not in JSONL_SUFFIXES):
        raise CorpusImportError(f"{path}: not a .csv or .jsonl file; iter_documents streams those two formats")
    bar = None
    if progress:
        import sys

        from tqdm.auto import tqdm

        bar = tqdm(total=3 * path.stat().st_size, unit="B", unit_scale=True, desc=f"import {path.name}",
                   file=sys.stderr)
    try:
        lines = _Lines(path, encoding, bar.update if bar is not None else None)
        if suffix == ".csv":
            empty = not any(line.strip() for _, line in lines)
            if empty:
                raise CorpusImportError(f"{path}: empty file")

            def rows() -> Iterator[tuple[int, str, dict]]:
                return _stream_csv_records(path, lines)
            unit = "row"
        else:
            def rows() -> Iterator[tuple[int, str, dict]]:
                return _stream_jsonl_records(path, lines, text_column)
            unit = "line"
        if bar is not None and suffix == ".csv":
            bar.total = 4 * path.stat().st_size
        yield from _stream_documents(rows, path, text_column, id_column, unit)
    finally:
        if bar is not None:
            bar.close()


def stream_import(path: str | Path, out_dir: str | Path, *, text_column: str = "text", id_column: str | None = None,
                  encoding: str = "utf-8", name: str | None = None, progress: bool = False) -> int:
    """Import ``path`` into ``out_dir/documents.jsonl`` as :func:`import_corpus` does; return the number of documents.

    A CSV or JSON Lines file is streamed (:func:`iter_documents`): each document is written as
    soon as it is read, so memory stays flat whatever the file's size (only the ids are kept); a
    folder or a .txt file is read with :func:`read_corpus`. ``documents.jsonl`` is the same,
    byte for byte, as :meth:`Corpus.save` writes. ``name`` is accepted for :func:`read_corpus`'s
    sake (the file does not record it).
    """
    path = Path(path)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CorpusImportError(f"{out_dir}: already exists and is not empty; choose a new --out folder")
    suffix = path.suffix.lower()
    streamed = path.is_file() and (suffix == ".csv" or suffix in JSONL_SUFFIXES)
    if streamed:
        docs: Iterable[Document] = iter_documents(path, text_column=text_column, id_column=id_column,
                                                  encoding=encoding, progress=progress)
    else:
        docs = read_corpus(path, text_column=text_column, id_column=id_column, encoding=encoding, name=name)
    n = 0
    with atomic_directory(out_dir) as tmp:
        with open(tmp / "documents.jsonl", "w", encoding="utf-8", newline="\n") as fh:
            for doc in docs:
                fh.write(json.dumps(doc.to_record(), ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
            fh.flush()
            os.fsync(fh.fileno())
    return n
