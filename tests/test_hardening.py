"""Hardening: bad input, kills, truncated caches, two writers and odd document ids.

1. A bad-input matrix over the CLI: every user error exits 2 and every environment error 1, with
   exactly one stderr line, no traceback, no warning, nothing written and the sources unchanged;
   a few positive controls exit 0.
2. Fault injection: ``tests/fault_annotate.py`` is SIGKILLed at random points; rerunning completes
   to files byte-identical to an uninterrupted run, with no temporary file, process or lock left.
   Killing the parent of two workers takes the workers with it.
3. Truncated caches: a CoNLL-U file (at a sentence boundary, mid-line), provenance.json (cut,
   deleted), documents.jsonl.
4. Two writers: a second run on a folder another process is writing is refused, naming that
   process; once the holder is killed the lock is free and its leftovers are removed.
5. ``annotation_path``: safe, stable, unique file names for odd ids, and a round trip.

Everything runs with the fake parser of tests/test_annotate.py: no Stanza models needed.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import isolate_from_models

from analysis import load_corpus, models
from analysis.annotation import (LOCK_FILE, annotate, annotation_path, annotations_root, document_status,
                                 load_sentences, provenance_from_headers, read_provenance, rebuild_provenance,
                                 with_integrity, writer_lock)
from analysis.cli import main
from analysis.corpus import Corpus, Document, Paragraph
from analysis.errors import AnnotationError, CorpusError
from analysis.tokens import load_tokens
from fault_annotate import N_DOCUMENTS, annotate_corpus, fault_corpus
from test_annotate import FakeParsers, fake_model_set, small_corpus
from test_models import make_resources

TESTS = Path(__file__).resolve().parent
FAULT_SCRIPT = TESTS / "fault_annotate.py"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No Stanza models anywhere, no config file; the working directory is ``tmp_path/work``."""
    _home, work = isolate_from_models(monkeypatch, tmp_path)
    monkeypatch.setenv(models.ENV_DIR, str(tmp_path / "no-models-here"))
    return work


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> SHA-256), except the lock file itself.

    ``.tifa.lock`` is the OS lock's file: filelock leaves it in place, by design, and it holds nothing.
    """
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != LOCK_FILE:
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def reseal(path: Path, text: str) -> None:
    """Write CoNLL-U ``text`` (a Tifa annotation file) with a fresh integrity record for its body."""
    lines = text.split("\n")
    counts = [int(lines[i].split("= ")[1]) for i in (3, 4)]
    path.write_text(with_integrity("\n".join(lines[:3]) + "\n", "\n".join(lines[6:]), *counts), encoding="utf-8")


# -- 1. the bad-input matrix ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def annotated_template(tmp_path_factory) -> Path:
    """A saved small corpus (documents a, b, c) with its fake-parser annotations in its own folder."""
    root = tmp_path_factory.mktemp("template") / "C"
    corpus = small_corpus().save(root)
    annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    return root


@dataclass
class Ctx:
    """What a case's setup gets: the working folder (the cwd) and helpers to fill it."""

    work: Path
    template: Path
    monkeypatch: pytest.MonkeyPatch

    def write(self, name: str, data: bytes | str) -> str:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return name

    def corpus(self) -> str:
        """A copy of the annotated small corpus, as ``C``."""
        shutil.copytree(self.template, self.work / "C")
        return "C"

    def conllu(self, doc_id: str = "a") -> Path:
        self.corpus()
        return annotation_path(self.work / "C" / "annotations" / fake_model_set().id, doc_id)

    def resources(self, name: str = "res", payload: bytes = b"model") -> str:
        make_resources(self.work / name, payload=payload)
        return name

    def plain_corpus(self) -> str:
        """The small corpus saved, not annotated, as ``P``."""
        small_corpus().save(self.work / "P")
        return "P"


@dataclass
class Case:
    """One CLI run: ``setup(ctx)`` builds the inputs and returns argv; the outcome it must have."""

    setup: Callable[[Ctx], list[str]]
    status: int
    expect: tuple[str, ...] = ()  # substrings of the stderr line
    proc: bool = False  # run as a real process (`python -m analysis`) instead of in this one
    created: tuple[str, ...] = ()  # positive controls: files the run must create


def _import(name: str, data: bytes | str, *options: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["corpus", "import", ctx.write(name, data), "--out", "out", *options]


def _on_corpus(*argv: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: [*argv, "--corpus", ctx.corpus()]


def _nul_after_8k(ctx: Ctx) -> list[str]:
    return ["corpus", "import", ctx.write("big.txt", b"word " * 1800 + b"\x00 more"), "--out", "out"]


def _utf16_with_nul(ctx: Ctx) -> list[str]:
    data = codecs.BOM_UTF16_LE + "doc_id,text\na,bad\x00text\n".encode("utf-16-le")
    return ["corpus", "import", ctx.write("wide.csv", data), "--out", "out"]


def _empty_folder(ctx: Ctx) -> list[str]:
    (ctx.work / "texts").mkdir()
    ctx.write("texts/notes.md", "not a .txt file")
    return ["corpus", "import", "texts", "--out", "out"]


def _folder_with_empty_file(ctx: Ctx) -> list[str]:
    ctx.write("texts/one.txt", "Some text.")
    ctx.write("texts/two.txt", "  \n\n ")
    return ["corpus", "import", "texts", "--out", "out"]


def _out_not_empty(ctx: Ctx) -> list[str]:
    ctx.write("out/keep.txt", "mine")
    return ["corpus", "import", ctx.write("ok.csv", "doc_id,text\na,Some text.\n"), "--out", "out"]


def _out_under_a_file(ctx: Ctx) -> list[str]:
    ctx.write("a_file", "I am a file")
    return ["corpus", "import", ctx.write("ok.csv", "doc_id,text\na,Some text.\n"), "--out", "a_file/sub"]


def _out_name_too_long(ctx: Ctx) -> list[str]:
    return ["corpus", "import", ctx.write("ok.csv", "doc_id,text\na,Some text.\n"), "--out", "o" * 300]


def _out_read_only(ctx: Ctx) -> list[str]:
    (ctx.work / "ro").mkdir()
    (ctx.work / "ro").chmod(0o555)  # the test restores the mode after the run
    return ["corpus", "import", ctx.write("ok.csv", "doc_id,text\na,Some text.\n"), "--out", "ro/out"]


def _bad_start_char(ctx: Ctx) -> list[str]:
    path = ctx.conllu("a")
    text = path.read_text(encoding="utf-8")
    reseal(path, text.replace("start_char=", "start_char=x", 1))  # a valid integrity record, a bad offset
    return ["kwic", "act", "--corpus", "C"]


def _damaged(ctx: Ctx, *extra: str) -> list[str]:
    path = ctx.conllu("a")
    data = path.read_bytes()
    path.write_bytes(data[:data.index(b"\n\n") + 2])  # cut after the first sentence
    return ["kwic", "act", "--corpus", "C", *extra]


def _damaged_explicit_dir(ctx: Ctx) -> list[str]:
    return _damaged(ctx, "--annotations", str(Path("C", "annotations", fake_model_set().id)))


def _annotate(ctx: Ctx, models_dir: str, *extra: str) -> list[str]:
    return ["annotate", "--corpus", ctx.plain_corpus(), "--models", models_dir, "--quiet", *extra]


def _resources_json(content: str) -> Callable[[Ctx], list[str]]:
    def setup(ctx: Ctx) -> list[str]:
        ctx.write("badres/resources.json", content)
        return _annotate(ctx, "badres")

    return setup


def _corrupt_model(ctx: Ctx) -> list[str]:
    return _annotate(ctx, ctx.resources(payload=b"this is not a torch file"))


def _annotations_under_a_file(ctx: Ctx) -> list[str]:
    ctx.write("a_file", "I am a file")
    return _annotate(ctx, ctx.resources(), "--annotations", "a_file/sub")


def _no_free_space(ctx: Ctx) -> list[str]:
    import analysis.annotation as annotation_module

    ctx.monkeypatch.setattr(annotation_module.shutil, "disk_usage",
                            lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 100, 100))
    return _annotate(ctx, ctx.resources())


def _cut_documents_jsonl(inside_a_character: bool) -> Callable[[Ctx], list[str]]:
    def setup(ctx: Ctx) -> list[str]:
        small_corpus().save(ctx.work / "T")
        path = ctx.work / "T" / "documents.jsonl"
        data = path.read_bytes()
        cut = data.index("网".encode("utf-8")) + 1 if inside_a_character else data.index(b'"title"')
        path.write_bytes(data[:cut])
        return ["corpus", "info", "--corpus", "T"]

    return setup


def _annotate_ok(ctx: Ctx) -> list[str]:
    import analysis.annotation as annotation_module

    ctx.monkeypatch.setattr(annotation_module, "stanza_pipeline_factory", FakeParsers())
    return _annotate(ctx, ctx.resources())


_CSV_OK = "doc_id,text\na,Some text.\n"
_UTF16_CSV = codecs.BOM_UTF16_LE + "doc_id,text\na,héllo 网络\n".encode("utf-16-le")

CASES = {
    # -- importers: user errors (exit 2) -----------------------------------------------------------
    "import: missing path": Case(lambda ctx: ["corpus", "import", "nowhere.csv", "--out", "out"], 2,
                                 ("nowhere.csv", "no such file"), proc=True),
    "import: unknown format": Case(_import("x.docx", b"PK\x03\x04 zipped"), 2, ("x.docx", "unknown format")),
    "import: not UTF-8": Case(_import("latin.txt", "café crème".encode("latin-1")), 2,
                              ("latin.txt", "not valid utf-8 at byte offset 3", "--encoding")),
    "import: not valid in --encoding": Case(_import("gbk.txt", "网络安全".encode("gb18030"), "--encoding", "ascii"),
                                            2, ("gbk.txt", "not valid ascii at byte offset 0")),
    "import: unknown --encoding": Case(_import("ok.txt", "Some text.", "--encoding", "klingon"), 2,
                                       ("unknown encoding 'klingon'",)),
    "import: binary file": Case(_import("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 2,
                                ("image.txt", "binary", "byte offset 8")),
    "import: NUL after 8 KB": Case(_nul_after_8k, 2, ("big.txt", "byte offset 9000")),
    "import: NUL in UTF-16 text": Case(_utf16_with_nul, 2, ("wide.csv", "NUL character at byte offset 36")),
    "import: empty .txt": Case(_import("empty.txt", b""), 2, ("empty.txt", "empty")),
    "import: empty .csv": Case(_import("empty.csv", b""), 2, ("empty.csv", "empty")),
    "import: empty .jsonl": Case(_import("empty.jsonl", b"\n\n"), 2, ("empty.jsonl", "empty")),
    "import: folder without .txt": Case(_empty_folder, 2, ("texts", "no .txt files")),
    "import: folder with an empty file": Case(_folder_with_empty_file, 2, ("two.txt", "empty file")),
    "import: CSV without text column": Case(_import("notext.csv", "doc_id,body\na,Some text.\n"), 2,
                                            ("notext.csv", "no text column 'text'", "body")),
    "import: CSV duplicate ids": Case(_import("dups.csv", "doc_id,text\na,One.\nb,Two.\na,Three.\n"), 2,
                                      ("duplicate document id 'a'", "row 2", "row 4")),
    "import: JSONL duplicate ids": Case(_import("dups.jsonl", '{"id": 7, "text": "x y"}\n{"id": "7", "text": "z"}\n'),
                                        2, ("duplicate document id '7'",)),
    "import: malformed JSON": Case(_import("bad.jsonl", '{"text": "fine"}\n{"text": "broken\n'), 2,
                                   ("bad.jsonl, line 2", "malformed JSON")),
    "import: JSONL line not an object": Case(_import("list.jsonl", '{"text": "fine"}\n[1, 2]\n'), 2,
                                             ("list.jsonl, line 2", "JSON object")),
    "import: text is a number": Case(_import("num.jsonl", '{"text": 123}\n'), 2,
                                     ("num.jsonl, line 1", "text is a number (123), not a string")),
    "import: text is null": Case(_import("null.jsonl", '{"text": "ok"}\n{"text": null}\n'), 2,
                                 ("null.jsonl, line 2", "null")),
    "import: unclosed quote": Case(_import("quote.csv", 'doc_id,text\na,"fine"\nb,"never closed\nc,more\n'), 2,
                                   ("quote.csv, line 3", "never closed")),
    "import: ragged row (too many)": Case(_import("wide.csv", "doc_id,text\na,One.\nb,Two, three\n"), 2,
                                          ("wide.csv, line 3", "3 fields", "2 columns")),
    "import: ragged row (too few)": Case(_import("short.csv", "doc_id,text,voice\na,One.,x\nb\n"), 2,
                                         ("short.csv, line 3", "1 field", "3 columns")),
    "import: duplicate header": Case(_import("head.csv", "doc_id,text,text\na,b,c\n"), 2,
                                     ("head.csv, line 1", "duplicate column name", "'text'")),
    "import: empty text": Case(_import("blank.csv", "doc_id,text\na,One.\nb,   \n"), 2,
                               ("blank.csv, row 3", "empty text")),
    "import: id '.'": Case(_import("dot.jsonl", '{"doc_id": ".", "text": "x y"}\n'), 2,
                           ("dot.jsonl, line 1", "document id '.'")),
    "import: id '..'": Case(_import("dotdot.csv", "doc_id,text\n..,x y\n"), 2, ("dotdot.csv, row 2", "'..'")),
    "import: id with a slash": Case(_import("slash.jsonl", '{"doc_id": "x/y", "text": "x y"}\n'), 2,
                                    ("slash.jsonl, line 1", "path separator")),
    "import: id with a control character": Case(_import("ctl.jsonl", '{"doc_id": "a\\u0007b", "text": "x"}\n'), 2,
                                                ("ctl.jsonl, line 1", "control character")),
    "import: id is a list": Case(_import("listid.jsonl", '{"doc_id": [1], "text": "x"}\n'), 2,
                                 ("listid.jsonl, line 1", "a list")),
    "import: --out not empty": Case(_out_not_empty, 2, ("out", "not empty")),
    # -- importers: environment errors (exit 1) ----------------------------------------------------
    "import: --out under a file": Case(_out_under_a_file, 1, ("a_file",), proc=True),
    "import: --out name too long": Case(_out_name_too_long, 1, ("too long",)),
    "import: --out in a read-only folder": Case(_out_read_only, 1, ("ro",)),
    # -- importers: positive controls (exit 0) -----------------------------------------------------
    "import ok: UTF-16 BOM": Case(_import("u16.csv", _UTF16_CSV), 0, created=("out/documents.jsonl",)),
    "import ok: UTF-32 BOM": Case(_import("u32.jsonl", codecs.BOM_UTF32_BE + '{"text": "x y"}\n'.encode("utf-32-be")),
                                  0, created=("out/documents.jsonl",)),
    "import ok: UTF-8 BOM": Case(_import("u8.csv", codecs.BOM_UTF8 + _CSV_OK.encode()), 0,
                                 created=("out/documents.jsonl",)),
    "import ok: --encoding gb18030": Case(_import("gbk.txt", "网络安全。".encode("gb18030"), "--encoding", "gb18030"),
                                          0, created=("out/documents.jsonl",)),
    "import ok: blank id replaced": Case(_import("blank_id.jsonl", '{"doc_id": " ", "text": "x y"}\n'), 0,
                                         created=("out/documents.jsonl",)),
    # -- numeric options (exit 2, argparse) --------------------------------------------------------
    "option: --top 0": Case(lambda ctx: ["kwic", "act", "--top", "0"], 2, ("--top", "'0'")),
    "option: --top -5": Case(lambda ctx: ["freq", "--top", "-5"], 2, ("--top", "'-5'")),
    "option: --window -1": Case(lambda ctx: ["kwic", "act", "--window", "-1"], 2, ("--window",)),
    "option: --window 1,2,3": Case(lambda ctx: ["kwic", "act", "--window", "1,2,3"], 2, ("--window",)),
    "option: --alpha 1.5": Case(lambda ctx: ["keyness", "--target", "kind=x", "--alpha", "1.5"], 2, ("--alpha",)),
    "option: --workers 0": Case(lambda ctx: ["annotate", "--workers", "0"], 2, ("--workers",)),
    "option: --min-freq abc": Case(lambda ctx: ["ngrams", "--min-freq", "abc"], 2, ("--min-freq",)),
    "option: --where without =": Case(lambda ctx: ["freq", "--where", "voice"], 2, ("COLUMN=VALUE",)),
    # -- queries and columns (exit 2) --------------------------------------------------------------
    "query: empty field value": Case(_on_corpus("kwic", "lemma:"), 2, ("lemma:",)),
    "query: unknown field": Case(_on_corpus("kwic", "colour:red"), 2, ("unknown field 'colour'",)),
    "query: bad regex": Case(_on_corpus("kwic", "/(/"), 2, ("regular expression",)),
    "query: unclosed phrase": Case(_on_corpus("kwic", '"public opinion'), 2, ("quote",)),
    "query: dangling &": Case(_on_corpus("kwic", "act&"), 2, ("&",)),
    "column: --where": Case(_on_corpus("freq", "--where", "nosuch=1"), 2, ("nosuch",)),
    "column: --by": Case(_on_corpus("freq", "--by", "nosuch"), 2, ("nosuch",)),
    "column: --target": Case(_on_corpus("keyness", "--target", "nosuch=x"), 2, ("nosuch",)),
    "selection: --where selects nothing": Case(_on_corpus("freq", "--where", "kind=nothing"), 2, ("no words",)),
    # -- models (exit 2) ---------------------------------------------------------------------------
    "models: directory missing": Case(lambda ctx: _annotate(ctx, "nomodels"), 2, ("does not exist",)),
    "models: resources.json not JSON": Case(_resources_json("{not json"), 2, ("resources.json", "not valid JSON")),
    "models: resources.json a list": Case(_resources_json("[1, 2]"), 2, ("resources.json", "not a JSON object")),
    "models: resources.json odd values": Case(_resources_json('{"en": 3, "zh": "x"}'), 2,
                                              ("resources.json", "not objects")),
    "models: corrupt model file": Case(_corrupt_model, 2, ("damaged",), proc=True),
    # -- corpus and annotation files (exit 2) ------------------------------------------------------
    "corpus: missing": Case(lambda ctx: ["kwic", "act", "--corpus", "nowhere"], 2, ("nowhere",)),
    "corpus: documents.jsonl cut mid-line": Case(_cut_documents_jsonl(False), 2, ("documents.jsonl, line 1",)),
    "corpus: documents.jsonl cut inside a character": Case(_cut_documents_jsonl(True), 2, ("documents.jsonl, line",)),
    "conllu: non-integer start_char": Case(_bad_start_char, 2, ("a.conllu, line", "start_char", "'x0'")),
    "conllu: damaged (default folder)": Case(_damaged, 2, ("a.conllu", "damaged"), proc=True),
    "conllu: damaged (--annotations)": Case(_damaged_explicit_dir, 2, ("damaged",)),
    # -- annotate: environment errors (exit 1) and a positive control ------------------------------
    "annotate: --annotations under a file": Case(_annotations_under_a_file, 1, ("a_file/sub",)),
    "annotate: no free space": Case(_no_free_space, 1, ("annotations", "not enough free space")),
    "annotate ok": Case(_annotate_ok, 0, created=("P/annotations/{ms}/a.conllu",)),
}
_MARKS = {
    "import: --out in a read-only folder": pytest.mark.skipif(
        os.geteuid() == 0, reason="root ignores permissions; the '--out under a file' and 'name too long' cases "
                                  "make the same environment error for root"),
}


def test_the_matrix_is_large_enough():
    assert len(CASES) >= 30
    assert sum(c.status == 1 for c in CASES.values()) >= 4 and sum(c.status == 0 for c in CASES.values()) >= 4


def _run_in_process(argv: list[str], capsys) -> tuple[int, str, str, list[str]]:
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse errors
            status = exc.code
    out, err = capsys.readouterr()
    # a real process prints each warning on stderr: count them as stderr output
    return status, out, err, [f"{w.category.__name__}: {w.message}" for w in caught]


def _run_process(argv: list[str], cwd: Path) -> tuple[int, str, str, list[str]]:
    proc = subprocess.run([sys.executable, "-m", "analysis", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, proc.stdout, proc.stderr, []


@pytest.mark.parametrize("name", [pytest.param(n, id=n, marks=_MARKS.get(n, ())) for n in CASES])
def test_bad_input_is_one_line_and_writes_nothing(name, clean_env, annotated_template, capsys, monkeypatch):
    case = CASES[name]
    work = clean_env
    ctx = Ctx(work, annotated_template, monkeypatch)
    argv = case.setup(ctx)
    before = snapshot(work)
    outputs = ("out", "o" * 300, "a_file/sub", "ro/out")
    existed = {p for p in outputs if os.path.exists(work / p)}
    try:
        if case.proc:
            status, out, err, warned = _run_process(argv, work)
        else:
            status, out, err, warned = _run_in_process(argv, capsys)
    finally:
        if (work / "ro").exists():
            (work / "ro").chmod(0o755)
    shown = f"tifa {' '.join(argv)}\nstatus {status}\nstderr: {err!r}\nwarnings: {warned}"
    assert "Traceback" not in err and not warned, shown
    assert status == case.status, shown
    after = snapshot(work)
    if status == 0:
        assert err.count("\n") <= 1, shown
        assert {k: v for k, v in after.items() if k in before} == before, "a source changed"
        ms = None
        for path in case.created:
            if "{ms}" in path:
                ms = ms or models.resolve_model_set(work / "res").id
                path = path.format(ms=ms)
            assert (work / path).is_file(), (path, shown)
        return
    assert err.count("\n") == 1 and err.endswith("\n") and err.startswith("tifa"), shown
    for part in case.expect:
        assert part in err, (part, shown)
    assert after == before, f"the run changed files: {set(after) ^ set(before) or 'contents'}\n{shown}"
    for path in outputs:
        if path not in existed:
            assert not os.path.exists(work / path), (path, shown)


def test_import_positive_controls_read_what_the_file_says(clean_env, capsys):
    """The BOM cases of the matrix decode the text; a blank id becomes ``<file stem>-<row>``."""
    work = clean_env
    (work / "u16.csv").write_bytes(_UTF16_CSV)
    (work / "u8.csv").write_bytes(codecs.BOM_UTF8 + _CSV_OK.encode())
    (work / "blank_id.jsonl").write_text('{"doc_id": " ", "text": "x y"}\n', encoding="utf-8")
    for src, out in (("u16.csv", "o1"), ("u8.csv", "o2"), ("blank_id.jsonl", "o3")):
        assert main(["corpus", "import", src, "--out", out]) == 0
    capsys.readouterr()
    assert [(d.doc_id, d.text) for d in load_corpus(work / "o1")] == [("a", "héllo 网络")]
    assert [(d.doc_id, d.text) for d in load_corpus(work / "o2")] == [("a", "Some text.")]  # the BOM is not in 'doc_id'
    assert load_corpus(work / "o3").doc_ids == ["blank_id-1"]


# -- 2. faults: SIGKILL at random points ---------------------------------------------------------


def _read_until(proc: subprocess.Popen, marker: bytes, timeout: float = 60.0, count: int = 1) -> bytes:
    """Read ``proc``'s stdout until ``marker`` appeared ``count`` times (AssertionError after ``timeout`` s, at EOF)."""
    buf = b""
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    while buf.count(marker) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} within {timeout} s: {buf.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, f"process ended before {marker!r}: {buf.decode(errors='replace')}"
            buf += chunk
    return buf


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc/*/status PPid)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            ppid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), 0)
            parents[int(entry.name)] = ppid
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier and p not in out}
        out |= frontier
    return {p for p in out if _alive(p)}


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _start(corpus_dir: Path, out_dir: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(FAULT_SCRIPT), str(corpus_dir), str(out_dir), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)


def _kill(proc: subprocess.Popen) -> tuple[set[int], bytes]:
    """SIGKILL ``proc`` and reap it; return the descendants it had just before, and its unread output."""
    descendants = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    rest = proc.stdout.read()
    proc.stdout.close()
    return descendants, rest


def _assert_gone(pids: set[int], within: float = 5.0) -> float:
    t0 = time.monotonic()
    while any(_alive(p) for p in pids):
        assert time.monotonic() - t0 < within, f"processes still running {within} s after the kill: " \
                                               f"{sorted(p for p in pids if _alive(p))}"
        time.sleep(0.05)
    return time.monotonic() - t0


def _tree(directory: Path) -> dict[str, bytes]:
    """The folder's files (the lock's files aside), provenance.json without its date."""
    out = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(LOCK_FILE):
            continue
        data = path.read_bytes()
        if path.name == "provenance.json":
            record = json.loads(data)
            record.pop("date")
            data = json.dumps(record, sort_keys=True).encode()
        out[path.name] = data
    return out


def _lock_is_free(directory: Path) -> bool:
    try:
        with writer_lock(directory, "test"):
            return True
    except AnnotationError:
        return False


@pytest.fixture(scope="module")
def fault_setup(tmp_path_factory):
    """The fault corpus saved, and its uninterrupted annotation (the reference)."""
    root = tmp_path_factory.mktemp("fault")
    fault_corpus().save(root / "corpus")
    corpus = load_corpus(root / "corpus")  # as the script loads it (its name is the folder's, in provenance.json)
    annotate_corpus(corpus, root / "reference", sleep=0, announce=False)
    reference = _tree(root / "reference")
    assert len([n for n in reference if n.endswith(".conllu")]) == N_DOCUMENTS
    return root, corpus, reference


@pytest.mark.slow  # six runs of a subprocess that imports pandas: about 15-25 s
def test_sigkill_at_random_points_then_rerun_gives_the_same_files(fault_setup):
    root, corpus, reference = fault_setup
    rng = random.Random(0)
    interrupted = []
    for round_no in range(3):
        out = root / f"killed-{round_no}"
        for _ in range(2):  # killed twice: the second run resumes from the first one's leftovers
            proc = _start(root / "corpus", out)
            output = _read_until(proc, b"start")
            time.sleep(rng.uniform(0.0, 1.0))
            descendants, rest = _kill(proc)
            _assert_gone(descendants)
            interrupted.append(proc.returncode == -signal.SIGKILL and b"done" not in output + rest)
        status = document_status(corpus, out, fake_model_set().id)
        report = annotate_corpus(corpus, out, sleep=0, announce=False)  # rerun to completion
        assert sorted(report.parsed) == sorted(k for k, v in status.items() if v != "current")
        assert not list(out.glob(".tmp-*")), "a temporary file survived the completing run"
        assert _tree(out) == reference
        assert _lock_is_free(out)
        again = annotate_corpus(corpus, out, sleep=0, announce=False)
        assert again.parsed == [] and _tree(out) == reference
    assert sum(interrupted) >= 3, "most kills should land while the run is still working"


@pytest.mark.slow  # spawns a parent and two workers, each importing pandas: about 5-10 s
def test_workers_die_with_their_killed_parent(fault_setup):
    """Both workers are inside a 60-second parse when the parent dies: only their watcher can end them."""
    root, corpus, reference = fault_setup
    out = root / "workers"
    proc = _start(root / "corpus", out, "--workers", "2", "--sleep", "60")
    try:
        output = _read_until(proc, b"parse", count=2)  # both workers are parsing
        workers = {int(line.split()[1]) for line in output.decode().splitlines() if line.startswith("parse ")}
        assert len(workers) == 2 and workers <= _children(proc.pid)
    finally:
        descendants, _ = _kill(proc)
    assert workers <= descendants
    waited = _assert_gone(descendants, within=5.0)
    assert waited < 5.0
    annotate_corpus(corpus, out, sleep=0, announce=False)
    assert not list(out.glob(".tmp-*")) and _tree(out) == reference and _lock_is_free(out)


# -- 3. truncated caches ---------------------------------------------------------------------------


@pytest.fixture
def annotated(clean_env):
    """The small corpus saved in ``corpus/``, annotated with the model set of a fake resources dir."""
    work = clean_env
    res = make_resources(work / "res")
    ms = models.resolve_model_set(res)
    corpus = small_corpus().save(work / "corpus")
    out = annotations_root(corpus) / ms.id
    annotate(corpus, model_set=ms, out_dir=out, pipeline_factory=FakeParsers(), progress=False)
    return corpus, ms, out, res


def _check_damaged_then_repaired(annotated, cut: Callable[[bytes], int], capsys) -> None:
    corpus, ms, out, res = annotated
    path = annotation_path(out, "a")
    original = path.read_bytes()
    path.write_bytes(original[:cut(original)])
    with pytest.raises(AnnotationError, match="damaged"):
        load_tokens(corpus, annotations_dir=out)
    with pytest.raises(AnnotationError):
        load_tokens(corpus)  # the default folder: no up-to-date annotations there now
    with pytest.raises(AnnotationError, match=rf"{path.name}: damaged"):
        load_sentences(corpus, out)
    assert document_status(corpus, out, ms.id) == {"a": "damaged", "b": "current", "c": "current"}
    assert main(["annotate", "--corpus", "corpus", "--models", str(res), "--check", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["doc_id,status", "a,damaged", "b,current", "c,current"]
    parsers = FakeParsers()
    report = annotate(corpus, model_set=ms, out_dir=out, pipeline_factory=parsers, progress=False)
    assert report.parsed == ["a"] and path.read_bytes() == original
    assert len(load_tokens(corpus)) == 14


def test_conllu_cut_at_a_sentence_boundary(annotated, capsys):
    _check_damaged_then_repaired(annotated, lambda data: data.index(b"\n\n") + 2, capsys)


def test_conllu_cut_mid_line(annotated, capsys):
    _check_damaged_then_repaired(annotated, lambda data: data.index(b"\tdep\t") + 3, capsys)


def test_load_tokens_names_the_damaged_file(annotated):
    corpus, ms, out, res = annotated
    path = annotation_path(out, "a")
    path.write_bytes(path.read_bytes()[:-40])
    for kwargs in ({"annotations_dir": out}, {}):
        with pytest.raises(AnnotationError, match=rf"{path.name}.*damaged|damaged.*{path.name}"):
            load_tokens(corpus, **kwargs)


def _hashes(corpus: Corpus) -> dict[str, str]:
    return {d.doc_id: d.text_hash for d in corpus}


def test_provenance_truncated(annotated):
    corpus, ms, out, res = annotated
    prov = out / "provenance.json"
    original = json.loads(prov.read_text(encoding="utf-8"))
    prov.write_bytes(prov.read_bytes()[:len(prov.read_bytes()) // 2])
    with pytest.warns(UserWarning, match="provenance.json is damaged"):
        tokens = load_tokens(corpus)  # no models: the files' own headers name the model set
    assert len(tokens) == 14 and tokens.attrs["model_set"] == ms.id
    parsers = FakeParsers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = annotate(corpus, model_set=ms, out_dir=out, pipeline_factory=parsers, progress=False)
    assert parsers.calls == [] and report.parsed == []  # nothing re-parsed, only the record rewritten
    record = read_provenance(out)
    assert record["documents"] == original["documents"] == _hashes(corpus)
    assert record["model_set"] == ms.id and record["checksums"] == original["checksums"]


def test_provenance_deleted(annotated):
    corpus, ms, out, res = annotated
    prov = out / "provenance.json"
    original = json.loads(prov.read_text(encoding="utf-8"))
    prov.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing record is no reason to warn
        assert len(load_tokens(corpus)) == 14
    assert provenance_from_headers(out) == {"model_set": ms.id, "documents": _hashes(corpus),
                                            "rebuilt_from_headers": True}
    rebuild_provenance(out)
    assert read_provenance(out)["documents"] == _hashes(corpus)
    prov.unlink()
    parsers = FakeParsers()
    annotate(corpus, model_set=ms, out_dir=out, pipeline_factory=parsers, progress=False)
    record = read_provenance(out)
    assert parsers.calls == [] and record["documents"] == original["documents"]
    assert record["stanza_version"] == original["stanza_version"] and "rebuilt_from_headers" not in record


def test_documents_jsonl_truncated_mid_line(clean_env):
    corpus = small_corpus().save(clean_env / "corpus")
    path = corpus.home / "documents.jsonl"
    data = path.read_bytes()
    second = data.index(b"\n") + 1
    path.write_bytes(data[:second + 40])
    with pytest.raises(CorpusError, match=r"documents.jsonl, line 2"):
        load_corpus(corpus.home)


def test_documents_jsonl_truncated_inside_a_character(clean_env):
    corpus = small_corpus().save(clean_env / "corpus")
    path = corpus.home / "documents.jsonl"
    data = path.read_bytes()
    path.write_bytes(data[:data.index("网".encode("utf-8")) + 1])
    with pytest.raises(CorpusError, match=r"documents.jsonl, line 1"):
        load_corpus(corpus.home)


# -- 4. two writers ----------------------------------------------------------------------------------


_HOLDER = """
import sys, time
from pathlib import Path
from analysis.annotation import writer_lock
d = Path(sys.argv[1])
with writer_lock(d, "test holder"):
    (d / ".tmp-a.conllu.holder").write_text("1\\tpartial", encoding="utf-8")
    print("locked", flush=True)
    time.sleep(120)
"""


def test_second_writer_is_refused_then_the_killed_holders_lock_is_free(clean_env):
    corpus = small_corpus().save(clean_env / "corpus")
    out = clean_env / "ann"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, bufsize=0)
    try:
        _read_until(holder, b"locked")
        parsers = FakeParsers()
        with pytest.raises(AnnotationError, match=rf"is being written by process {holder.pid} on "):
            annotate(corpus, model_set=fake_model_set(), out_dir=out, pipeline_factory=parsers, progress=False)
        with pytest.raises(AnnotationError, match=rf"being written by process {holder.pid} "):
            rebuild_provenance(out)
        assert parsers.calls == [] and not list(out.glob("*.conllu"))
        assert (out / ".tmp-a.conllu.holder").exists()  # another run's temporary file: not ours to remove
    finally:
        _kill(holder)
    assert holder.returncode == -signal.SIGKILL
    report = annotate(corpus, model_set=fake_model_set(), out_dir=out, pipeline_factory=FakeParsers(), progress=False)
    assert sorted(report.parsed) == ["a", "b", "c"]
    assert not list(out.glob(".tmp-*")), "the killed holder's temporary file was not removed"
    assert _lock_is_free(out) and not (out / (LOCK_FILE + ".owner")).exists()


# -- 5. file names for any id ------------------------------------------------------------------------


ODD_IDS = [".", "..", " ", "x" * 300, "网" * 100, "Doc", "doc", "DOC", "x/y", "x%2Fy", ".hidden", "a b", "%41", "A",
           "-", "网络安全"]


def test_annotation_path_is_safe_stable_and_unique(tmp_path):
    out = tmp_path / "ann"
    paths = [annotation_path(out, i) for i in ODD_IDS]
    names = [p.name for p in paths]
    assert len(set(names)) == len(ODD_IDS), names
    assert len({n.lower() for n in names}) == len(ODD_IDS), "two names differ only in case"
    for doc_id, path in zip(ODD_IDS, paths):
        assert path.parent == out and path.suffix == ".conllu", (doc_id, path)
        assert not path.name.startswith("."), (doc_id, path.name)
        assert len(path.name.encode("utf-8")) <= 255, (doc_id, path.name)
        assert "/" not in path.name and "\\" not in path.name and "\x00" not in path.name
        assert annotation_path(out, doc_id) == path
    # stable across processes (and hash seeds)
    code = ("import json, sys; from analysis.annotation import annotation_path; "
            "print(json.dumps([annotation_path('ann', i).name for i in json.loads(sys.argv[1])]))")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(ODD_IDS)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "12345"}, check=True)
    assert json.loads(proc.stdout) == names


def test_annotation_path_is_unique_even_for_an_id_spelled_like_a_shortened_name(tmp_path):
    shortened = annotation_path(tmp_path, "A").stem
    assert annotation_path(tmp_path, shortened) != annotation_path(tmp_path, "A")


def _odd_corpus() -> Corpus:
    docs = [Document(doc_id, (Paragraph(1, f"Document number {n} is here. It has words.", voice="text"),),
                     title=f"T{n}") for n, doc_id in enumerate(ODD_IDS)]
    return Corpus(docs, name="odd")


def test_odd_ids_round_trip_through_annotate_and_load_tokens(clean_env):
    corpus = _odd_corpus().save(clean_env / "corpus")
    assert load_corpus(clean_env / "corpus").doc_ids == ODD_IDS
    report = annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    assert sorted(report.parsed) == sorted(ODD_IDS)
    files = sorted(p.name for p in report.out_dir.glob("*.conllu"))
    assert len(files) == len(ODD_IDS) and not any(n.startswith(".") for n in files)
    tokens = load_tokens(corpus)
    assert list(dict.fromkeys(tokens.doc_id.astype(str))) == ODD_IDS
    assert tokens.groupby("doc_id", observed=True).size().eq(8).all()
    assert annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False).parsed == []


def test_rebuilt_provenance_keeps_every_odd_id(clean_env):
    corpus = _odd_corpus().save(clean_env / "corpus")
    report = annotate(corpus, model_set=fake_model_set(), pipeline_factory=FakeParsers(), progress=False)
    assert provenance_from_headers(report.out_dir)["documents"] == _hashes(corpus)
