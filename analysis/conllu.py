"""Reading and writing CoNLL-U (https://universaldependencies.org/format.html).

Tifa's annotation files are plain CoNLL-U with a few comment lines:

``# newdoc id = <doc_id>``
    once, at the top of each file;
``# newpar id = <doc_id>-p<par>``
    before the first sentence of each paragraph (the paragraph number is the corpus's);
``# sent_id = <doc_id>-s<sent>``
    every sentence; ``sent`` counts from 1 through the document;
``# text = ...``
    the sentence text.

Character offsets back to the raw source go in MISC as ``start_char=N|end_char=M`` (Stanza's
own convention), on the multi-word token line for words inside a multi-word token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AnnotationError

_NEWPAR = re.compile(r"^#\s*newpar(?:\s+id\s*=\s*(.*))?$")
_PAR_NUM = re.compile(r"-p(\d+)$")


@dataclass
class Word:
    """One syntactic word (a CoNLL-U line with an integer ID)."""

    id: int
    form: str
    lemma: str
    upos: str
    xpos: str
    feats: str
    head: int
    deprel: str
    deps: str = "_"
    misc: str = "_"
    start_char: int | None = None
    end_char: int | None = None


@dataclass
class Sentence:
    """A sentence: its words, the multi-word token ranges, and its comments."""

    words: list[Word]
    comments: dict[str, str] = field(default_factory=dict)
    par: int | None = None
    #: multi-word tokens: (first id, last id, form, misc)
    tokens: list[tuple[int, int, str, str]] = field(default_factory=list)


def _misc_offsets(misc: str, where: str = "") -> tuple[int | None, int | None]:
    start = end = None
    if misc and misc != "_":
        for item in misc.split("|"):
            key, _, val = item.partition("=")
            if key in ("start_char", "end_char"):
                if not val.isdigit():
                    raise AnnotationError(f"{where}: {key} in MISC must be a whole number >= 0, not {val!r}")
                if key == "start_char":
                    start = int(val)
                else:
                    end = int(val)
    return start, end


def _check_tree(words: list[Word], where: str) -> None:
    n = len(words)
    for w in words:
        if not 0 <= w.head <= n:
            raise AnnotationError(f"{where}: word {w.id} has head {w.head}, outside 0..{n}")
    roots = [w for w in words if w.head == 0]
    if len(roots) != 1:
        raise AnnotationError(f"{where}: sentence has {len(roots)} roots (head 0); a dependency tree has exactly one")
    heads = {w.id: w.head for w in words}
    for w in words:
        seen = set()
        node = w.id
        while node != 0:
            if node in seen:
                raise AnnotationError(f"{where}: word {w.id} is on a dependency cycle")
            seen.add(node)
            node = heads[node]


def parse_conllu(text: str, *, source: str = "<string>", check_tree: bool = True) -> list[Sentence]:
    """Parse CoNLL-U text into sentences, validating it.

    Raises :class:`~analysis.errors.AnnotationError` naming ``source`` and the line for a wrong
    column count, a non-integer or out-of-range head, a sentence with no or several roots, or a
    dependency cycle.
    """
    sentences: list[Sentence] = []
    words: list[Word] = []
    tokens: list[tuple[int, int, str, str]] = []
    comments: dict[str, str] = {}
    par: int | None = None
    pending_par: int | None = None
    mwt_span: dict[int, tuple[int | None, int | None]] = {}

    def flush(lineno: int) -> None:
        nonlocal words, tokens, comments, pending_par, par, mwt_span
        if words:
            if check_tree:
                _check_tree(words, f"{source}, sentence ending before line {lineno}")
            if pending_par is not None:
                par = pending_par
                pending_par = None
            sentences.append(Sentence(words, comments, par, tokens))
        elif comments and any(k not in ("newdoc id", "newpar id", "newpar") for k in comments):
            raise AnnotationError(f"{source}, line {lineno}: sentence comments without any word lines")
        words, tokens, comments, mwt_span = [], [], {}, {}

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            flush(lineno)
            continue
        if line.startswith("#"):
            m = _NEWPAR.match(line)
            if m:
                pid = (m.group(1) or "").strip()
                pm = _PAR_NUM.search(pid)
                pending_par = int(pm.group(1)) if pm else (par or 0) + 1
                comments["newpar id"] = pid
                continue
            key, eq, val = line[1:].partition("=")
            if eq:
                comments[key.strip()] = val.strip()
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise AnnotationError(f"{source}, line {lineno}: expected 10 tab-separated columns, found {len(cols)}")
        wid = cols[0]
        if "." in wid:  # empty node (enhanced UD): not a syntactic word of the basic tree
            continue
        if "-" in wid:
            try:
                first, last = (int(x) for x in wid.split("-"))
            except ValueError:
                raise AnnotationError(f"{source}, line {lineno}: bad multi-word token id {wid!r}") from None
            tokens.append((first, last, cols[1], cols[9]))
            span = _misc_offsets(cols[9], f"{source}, line {lineno}")
            for i in range(first, last + 1):
                mwt_span[i] = span
            continue
        try:
            iid = int(wid)
            head = int(cols[6])
        except ValueError:
            raise AnnotationError(
                f"{source}, line {lineno}: ID {wid!r} and HEAD {cols[6]!r} must be integers"
            ) from None
        if iid != len(words) + 1:
            raise AnnotationError(f"{source}, line {lineno}: word id {iid} out of sequence (expected {len(words) + 1})")
        start, end = mwt_span.get(iid) or _misc_offsets(cols[9], f"{source}, line {lineno}")
        words.append(Word(iid, cols[1], cols[2], cols[3], cols[4], cols[5], head, cols[7], cols[8], cols[9], start, end))
    flush(len(text.splitlines()) + 1)
    return sentences


def read_conllu(path: str | Path, *, check_tree: bool = True) -> list[Sentence]:
    """Read and validate a CoNLL-U file (see :func:`parse_conllu`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnnotationError(f"{path}: no such CoNLL-U file") from None
    except UnicodeDecodeError as exc:
        raise AnnotationError(f"{path}: not UTF-8 at byte {exc.start}") from None
    return parse_conllu(text, source=str(path), check_tree=check_tree)


def _misc_with_offsets(misc: str, start: int | None, end: int | None) -> str:
    items = [i for i in (misc.split("|") if misc and misc != "_" else []) if not i.startswith(("start_char=", "end_char="))]
    if start is not None and end is not None:
        items = [f"start_char={start}", f"end_char={end}", *items]
    return "|".join(items) or "_"


def format_conllu(sentences: Iterable[Sentence], *, doc_id: str | None = None) -> str:
    """Serialise sentences to CoNLL-U text (the inverse of :func:`parse_conllu`)."""
    out: list[str] = []
    if doc_id is not None:
        out.append(f"# newdoc id = {doc_id}")
    last_par = None
    for n, sent in enumerate(sentences, 1):
        if sent.par is not None and sent.par != last_par:
            out.append(f"# newpar id = {doc_id or 'doc'}-p{sent.par}")
            last_par = sent.par
        comments = dict(sent.comments)
        comments.pop("newpar id", None)
        comments.pop("newdoc id", None)
        comments.setdefault("sent_id", f"{doc_id or 'doc'}-s{n}")
        for key in ("sent_id", "text"):
            if key in comments:
                out.append(f"# {key} = {comments.pop(key)}")
        for key, val in comments.items():
            out.append(f"# {key} = {val}")
        mwt = {first: (last, form, misc) for first, last, form, misc in sent.tokens}
        for w in sent.words:
            if w.id in mwt:
                last, form, misc = mwt[w.id]
                out.append(f"{w.id}-{last}\t{form}\t_\t_\t_\t_\t_\t_\t_\t{_misc_with_offsets(misc, w.start_char, w.end_char)}")
                misc_w = w.misc if w.misc else "_"
            elif any(first < w.id <= last for first, (last, _, _) in mwt.items()):
                misc_w = w.misc if w.misc else "_"
            else:
                misc_w = _misc_with_offsets(w.misc, w.start_char, w.end_char)
            out.append(
                "\t".join(
                    [str(w.id), w.form, w.lemma or "_", w.upos or "_", w.xpos or "_", w.feats or "_",
                     str(w.head), w.deprel or "_", w.deps or "_", misc_w]
                )
            )
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def iter_words(sentences: Iterable[Sentence]) -> Iterator[tuple[int, Sentence, Word]]:
    """Yield ``(sent_number, sentence, word)`` with sentences numbered from 1."""
    for n, sent in enumerate(sentences, 1):
        for w in sent.words:
            yield n, sent, w
