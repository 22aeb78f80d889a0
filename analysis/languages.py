"""The language registry: everything Tifa needs to know about a language, in one place.

Every module asks this registry instead of testing ``lang == "zh"``: whether words are written
with spaces between them, which characters are the script's own (for per-character rates and
Chinese word-spanning matches), and which Stanza language code parses it. Adding a language
means one :class:`Language` entry here plus, for the theme dictionary, a key of that code.

A corpus language code is the ISO 639-1 code the Tokens table's ``lang`` column holds (``en``,
``zh``); Stanza's code may differ (``zh`` is parsed by Stanza's ``zh-hans`` models).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ParameterError


@dataclass(frozen=True)
class Language:
    """One language: ``code`` as in the Tokens table's ``lang`` column.

    ``spaced``: words are separated by spaces in running text (English yes, Chinese no).
    ``char_pattern``: a regular expression matching one character of the script that rates per
    1,000 characters count (Han characters for Chinese; ``None`` where words are the unit).
    ``stanza``: the Stanza language code of the pipeline that parses it.
    ``aliases``: other codes that mean the same language (``zh-hans``, ``zh-cn``).
    ``fullwidth_punctuation``: ASCII punctuation in its text is handed to the parser in its
    full-width form (Chinese models are trained on full-width commas; see
    :func:`analysis.annotation.prepare_text`).
    """

    code: str
    name: str
    script: str
    spaced: bool
    stanza: str
    char_pattern: str | None = None
    aliases: tuple[str, ...] = ()
    fullwidth_punctuation: bool = False

    @property
    def joiner(self) -> str:
        """What goes between two words when a run of words is shown as text."""
        return " " if self.spaced else ""

    @property
    def char_regex(self) -> re.Pattern | None:
        return None if self.char_pattern is None else re.compile(self.char_pattern)


#: Han characters: CJK Unified Ideographs, Extension A, Compatibility Ideographs.
HAN_PATTERN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
#: One compiled Han-character pattern, shared by word counts, language guessing and rates.
HAN = re.compile(HAN_PATTERN)

LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "Latin", spaced=True, stanza="en", aliases=("eng", "english")),
    "zh": Language("zh", "Chinese (simplified)", "Han", spaced=False, stanza="zh-hans", char_pattern=HAN_PATTERN,
                   aliases=("zh-hans", "zh-cn", "zh_hans", "zho", "chinese"), fullwidth_punctuation=True),
}

_BY_ALIAS = {alias: lang for lang in LANGUAGES.values() for alias in (lang.code, *lang.aliases)}


def language(code: str) -> Language:
    """The registered :class:`Language` for a corpus or Stanza code (case-insensitive, aliases allowed)."""
    key = str(code).strip().lower()
    hit = _BY_ALIAS.get(key)
    if hit is None:
        raise ParameterError(f"unknown language {code!r}; Tifa knows {', '.join(sorted(LANGUAGES))} "
                             "(add an entry to analysis.languages.LANGUAGES for another)")
    return hit


def find_language(code: str) -> Language | None:
    """Like :func:`language` but ``None`` for an unregistered code (such text is treated as spaced)."""
    return _BY_ALIAS.get(str(code).strip().lower())


def is_spaced(code: str) -> bool:
    """Whether words of language ``code`` are separated by spaces (unregistered codes: yes)."""
    lang = find_language(code)
    return True if lang is None else lang.spaced


def joiner(code: str) -> str:
    """``" "`` for spaced languages, ``""`` for Chinese: how a run of words is shown as text."""
    return " " if is_spaced(code) else ""


def canonical(code: str) -> str:
    """The corpus code of a language (``zh-hans`` → ``zh``); unregistered codes are returned lower-cased."""
    lang = find_language(code)
    return lang.code if lang is not None else str(code).strip().lower()


def stanza_code(code: str) -> str:
    """The Stanza language code for a corpus code (``zh`` → ``zh-hans``; unregistered codes unchanged)."""
    lang = find_language(code)
    return lang.stanza if lang is not None else str(code).strip().lower()


def count_chars(text: str, code: str) -> int:
    """Number of the script's own characters in ``text`` (Han characters for Chinese), or 0 if none defined."""
    lang = find_language(code)
    if lang is None or lang.char_regex is None:
        return 0
    return len(lang.char_regex.findall(text))
