"""Build the seed Corpus from the raw text and the curated manifest (corpus/manifest.yaml).

The manifest is the single source of truth for segmentation and metadata; this module only
checks it against the raw text and applies it. Every inconsistency (a line assigned twice or
not at all, a blank line given a voice, a truncated post without its "Continue reading" link, an
alignment whose ranges differ in length, a raw file whose SHA-256 changed) raises
:class:`~analysis.errors.ManifestError` or :class:`~analysis.errors.ChecksumError`.

Offsets: ``Paragraph.start``/``end`` are character (code point) offsets into the decoded raw
file, so ``raw_text[p.start:p.end] == p.text`` for every paragraph.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .corpus import Corpus, Document, Paragraph
from .errors import ChecksumError, CorpusError, ManifestError

CONTINUE_READING = "Continue reading"
KINDS = ("translation", "commentary", "mixed")  # of posts; Chinese originals have kind "original"
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


@dataclass(frozen=True)
class RawLine:
    number: int  # 1-based
    text: str  # the line without its newline
    start: int  # offset of the line's first character in the raw text

    @property
    def is_blank(self) -> bool:
        """Blank lines and lines of white space only (incl. U+00A0) separate paragraphs."""
        return not self.text.strip()

    def span(self) -> tuple[int, int, str]:
        """(start, end, text) of the line with surrounding white space trimmed."""
        stripped = self.text.strip()
        lead = len(self.text) - len(self.text.lstrip())
        s = self.start + lead
        return s, s + len(stripped), stripped


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_raw(path: Path, expected_sha256: str | None = None) -> tuple[str, list[RawLine]]:
    """Read a raw UTF-8 file, check its SHA-256, and split it into lines with offsets."""
    if not path.is_file():
        raise CorpusError(f"{path}: raw text not found; the manifest names it under corpus/raw/")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and digest != expected_sha256 and b"\r\n" in data \
            and hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest() == expected_sha256:
        raise ChecksumError(
            f"{path}: its line endings were converted to CRLF (Windows; git's core.autocrlf), so its bytes are not "
            "the verbatim source and every offset into it would be wrong. The repository's .gitattributes keeps "
            "corpus files byte-exact in new clones; to repair this one, pull (so that .gitattributes is there), "
            "delete the file and run `git checkout -- corpus/raw`"
        )
    if expected_sha256 and digest != expected_sha256:
        raise ChecksumError(
            f"{path}: SHA-256 is {digest}, the manifest records {expected_sha256}; the raw text must "
            "stay verbatim — restore it (git checkout) instead of editing it"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 at byte {exc.start}") from None
    lines, offset = [], 0
    for n, line in enumerate(text.split("\n"), 1):
        lines.append(RawLine(n, line.rstrip("\r"), offset))
        offset += len(line) + 1
    if lines and lines[-1].text == "" and text.endswith("\n"):
        lines.pop()
    return text, lines


def _parse_ranges(spec: Any, where: str) -> list[tuple[int, int]]:
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for item in items:
        m = _RANGE.match(str(item))
        if not m:
            raise ManifestError(f"{where}: {item!r} is not a line number or range N-M")
        a = int(m.group(1))
        b = int(m.group(2) or a)
        if b < a:
            raise ManifestError(f"{where}: range {item!r} runs backwards")
        out.append((a, b))
    return out


def _nonblank(lines: list[RawLine], a: int, b: int, where: str) -> list[RawLine]:
    if a < 1 or b > len(lines):
        raise ManifestError(f"{where}: lines {a}-{b} outside the raw file (1-{len(lines)})")
    return [ln for ln in lines[a - 1 : b] if not ln.is_blank]


def _normalise_title(text: str) -> str:
    return " ".join(text.split())


def _iso_date(value: Any, where: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ManifestError(f"{where}: date {value!r} is not ISO (YYYY-MM-DD) or empty") from None


def _yesno(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("yes", "true"):
        return True
    if str(value).lower() in ("no", "false"):
        return False
    raise ManifestError(f"{where}: truncated must be yes or no, not {value!r}")


def _paragraphs_for(lines: list[RawLine], voice_of: dict[int, str], section_of: dict[int, str],
                    lang: str, truncated: bool, where: str) -> list[Paragraph]:
    pars: list[Paragraph] = []
    ordered = sorted(voice_of)
    for i, number in enumerate(ordered):
        ln = lines[number - 1]
        start, end, text = ln.span()
        voice = voice_of[number]
        section = section_of.get(number, "")
        is_last = i == len(ordered) - 1
        if is_last and truncated and text != CONTINUE_READING:
            if not text.endswith(CONTINUE_READING):
                raise ManifestError(f"{where}: marked truncated but line {number} does not end with {CONTINUE_READING!r}")
            body = text[: -len(CONTINUE_READING)].rstrip()
            pars.append(Paragraph(len(pars) + 1, body, voice, lang, section, number, start, start + len(body)))
            link_start = end - len(CONTINUE_READING)
            pars.append(Paragraph(len(pars) + 1, CONTINUE_READING, "reference", lang, section, number, link_start, end))
            continue
        if is_last and truncated and voice != "reference":
            raise ManifestError(f"{where}: line {number} is the 'Continue reading' link; give it voice reference")
        if is_last and not truncated and text.endswith(CONTINUE_READING):
            raise ManifestError(f"{where}: ends with {CONTINUE_READING!r} but is not marked truncated: yes")
        pars.append(Paragraph(len(pars) + 1, text, voice, lang, section, number, start, end))
    return pars


def _voice_map(post: dict, lines: list[RawLine], where: str) -> dict[int, str]:
    a, b = _parse_ranges(post.get("lines"), f"{where}.lines")[0]
    expected = {ln.number for ln in _nonblank(lines, a, b, where)}
    voices = post.get("voices") or {}
    if not isinstance(voices, dict):
        raise ManifestError(f"{where}.voices: expected a mapping voice -> line list")
    voice_of: dict[int, str] = {}
    for voice, spec in voices.items():
        if voice not in ("framing", "official", "reference"):
            raise ManifestError(f"{where}.voices: unknown voice {voice!r} (framing, official or reference)")
        for ra, rb in _parse_ranges(spec, f"{where}.voices.{voice}"):
            if ra < a or rb > b:
                raise ManifestError(f"{where}.voices.{voice}: lines {ra}-{rb} outside the post's lines {a}-{b}")
            if ra == rb and lines[ra - 1].is_blank:
                raise ManifestError(f"{where}.voices.{voice}: line {ra} is blank")
            for ln in _nonblank(lines, ra, rb, where):
                if ln.number in voice_of:
                    raise ManifestError(f"{where}: line {ln.number} has two voices ({voice_of[ln.number]}, {voice})")
                voice_of[ln.number] = voice
    missing = sorted(expected - set(voice_of))
    if missing:
        raise ManifestError(f"{where}: lines {missing} have no voice; list each non-blank line under one voice")
    return voice_of


def _section_map(post: dict, voice_of: dict[int, str], where: str) -> dict[int, str]:
    sections = sorted(((int(s["line"]), str(s["name"])) for s in post.get("sections") or []))
    out: dict[int, str] = {}
    for number in sorted(voice_of):
        current = ""
        for line, name in sections:
            if line <= number:
                current = name
        out[number] = current
    return out


def _alignment(align: list, en_lines: set[int], zh_lines: set[int], lines: list[RawLine],
               where: str) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    for item in align:
        en_spec, sep, zh_spec = str(item).partition("=")
        if not sep:
            raise ManifestError(f"{where}.align: {item!r} must read 'EN-LINES = ZH-LINES'")
        (ea, eb), = _parse_ranges(en_spec, f"{where}.align")
        (za, zb), = _parse_ranges(zh_spec, f"{where}.align")
        en = [ln.number for ln in _nonblank(lines, ea, eb, where)]
        zh = [ln.number for ln in _nonblank(lines, za, zb, where)]
        if len(en) != len(zh):
            raise ManifestError(f"{where}.align {item!r}: {len(en)} English vs {len(zh)} Chinese paragraphs")
        for e, z in zip(en, zh):
            if e not in en_lines or z not in zh_lines:
                raise ManifestError(f"{where}.align {item!r}: line {e} or {z} is not in the post or its original")
            pairs.append((e, z))
    return pairs


def load_manifest(path: Path) -> dict:
    if not path.is_file():
        raise CorpusError(f"{path}: manifest not found")
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(manifest, dict) or "source" not in manifest or "posts" not in manifest:
        raise ManifestError(f"{path}: expected top-level keys 'source' and 'posts'")
    return manifest


def build_corpus(corpus_dir: str | Path) -> Corpus:
    """Build the Corpus described by ``corpus_dir/manifest.yaml`` from its raw text.

    English posts become documents (``lang`` en); a Chinese original becomes its own document
    (``lang`` zh, voice ``original``), and the English document's ``translation_of`` names it.
    Aligned paragraphs point at each other through ``Paragraph.aligned_par``.
    """
    corpus_dir = Path(corpus_dir)
    manifest_path = corpus_dir / "manifest.yaml"
    manifest = load_manifest(manifest_path)
    source = manifest["source"]
    raw_path = corpus_dir / source["file"]
    _, lines = read_raw(raw_path, source.get("sha256"))
    rel_source = str(Path(source["file"]).as_posix())

    docs: list[Document] = []
    covered: dict[int, str] = {}
    for i, post in enumerate(manifest["posts"]):
        pid = post.get("id") or f"#{i + 1}"
        where = f"{manifest_path.name}: post {pid}"
        for key in ("id", "lines", "title_line", "kind", "truncated"):
            if key not in post:
                raise ManifestError(f"{where}: missing key {key!r}")
        if post["kind"] not in KINDS:
            raise ManifestError(f"{where}: kind {post['kind']!r} is not one of {', '.join(KINDS)}")
        voice_of = _voice_map(post, lines, where)
        sections = _section_map(post, voice_of, where)
        truncated = _yesno(post["truncated"], where)
        title_line = int(post["title_line"])
        if title_line not in voice_of:
            raise ManifestError(f"{where}: title_line {title_line} is not a non-blank line of the post")
        common = dict(
            post=pid,
            kind=post["kind"],
            outlet=str(post.get("outlet") or ""),
            author=str(post.get("author") or ""),
            date=_iso_date(post.get("date"), where),
            date_phrase=str(post.get("date_phrase") or ""),
            source=rel_source,
        )
        en_pars = _paragraphs_for(lines, voice_of, sections, "en", truncated, where)
        for number in voice_of:
            if number in covered:
                raise ManifestError(f"{where}: line {number} already belongs to {covered[number]}")
            covered[number] = pid

        original = post.get("original")
        zh_doc = None
        if original:
            zwhere = f"{where}.original"
            zid = original["id"]
            (za, zb), = _parse_ranges(original["lines"], f"{zwhere}.lines")
            zh_voice = {ln.number: "original" for ln in _nonblank(lines, za, zb, zwhere)}
            for number in zh_voice:
                if number in covered:
                    raise ManifestError(f"{zwhere}: line {number} already belongs to {covered[number]}")
                covered[number] = zid
            zh_pars = _paragraphs_for(lines, zh_voice, {}, "zh", False, zwhere)
            pairs = _alignment(original.get("align") or [], set(voice_of), set(zh_voice), lines, zwhere)
            en_par_of = {p.line: p.par for p in en_pars if p.voice != "reference"}
            zh_par_of = {p.line: p.par for p in zh_pars}
            en_to_zh = {en_par_of[e]: zh_par_of[z] for e, z in pairs}
            zh_to_en = {v: k for k, v in en_to_zh.items()}
            en_pars = [_with_alignment(p, en_to_zh) for p in en_pars]
            zh_pars = [_with_alignment(p, zh_to_en) for p in zh_pars]
            zh_title = lines[int(original.get("title_line", za)) - 1].span()[2]
            zh_doc = Document(doc_id=zid, paragraphs=tuple(zh_pars), title=_normalise_title(zh_title), lang="zh",
                              truncated=False, **{**common, "kind": "original"})

        docs.append(Document(
            doc_id=pid,
            paragraphs=tuple(en_pars),
            title=_normalise_title(lines[title_line - 1].text),
            lang="en",
            truncated=truncated,
            translation_of=zh_doc.doc_id if zh_doc else "",
            **common,
        ))
        if zh_doc:
            docs.append(zh_doc)

    stray = [ln.number for ln in lines if not ln.is_blank and ln.number not in covered]
    if stray:
        raise ManifestError(f"{manifest_path}: raw lines {stray} belong to no post; every non-blank line must")
    return Corpus(docs, name=corpus_dir.name if corpus_dir.name != "corpus" else "seed", checksum=source.get("sha256", ""),
                  home=corpus_dir)


def _with_alignment(p: Paragraph, mapping: dict[int, int]) -> Paragraph:
    if p.par in mapping:
        return Paragraph(p.par, p.text, p.voice, p.lang, p.section, p.line, p.start, p.end, mapping[p.par])
    return p
