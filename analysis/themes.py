"""Theme measurement with a hierarchical dictionary: how often texts talk about security,
ideology, media convergence and the other themes, in English and in Chinese.

A theme dictionary (quanteda-style) maps themes, optionally nested (``security`` →
``security/cyber``), to patterns per language. The shipped dictionary is
``analysis/data/themes.yaml``; :func:`load_dictionary` reads it, a user's own file in the same
format, or a quanteda YAML dictionary (a nested mapping of key → list of patterns).

Patterns
    Every pattern is compiled to queries of the query language (:func:`entry_queries`,
    ``docs/query-language.md``) and matched by the one matcher, :func:`analysis._core.match` (all
    entries of a dictionary at once, :func:`analysis.query.match_many`):

    * one element per word, matched against the word's lowercased **lemma or** lowercased
      **form** (``secur*`` → the query ``lemma:secur*|secur*``); ``*`` = any run of characters,
      ``?`` = one character (quanteda's "glob" valuetype); the query language's other special
      characters (``& | ( ) : " / \\``) are escaped, so they match themselves;
    * ``"rule of law"`` is a phrase: consecutive words inside one sentence;
    * a hyphenated element (``self-media``) also matches the tokenizer's split ``self - media``;
    * a one-word pattern without wildcards also matches **across word boundaries** in languages
      written without spaces (:func:`analysis.languages.is_spaced`): ``网络安全`` matches any
      run of consecutive words of one sentence whose forms join to 网络安全 (UD GSD segments it
      网络 + 安全). A match starts and ends on word boundaries, so 安全 does not match inside the
      single word 安全性.

Languages
    A leaf of the dictionary maps a language key to patterns: a code of
    :data:`analysis.languages.LANGUAGES` (``en``, ``zh``) or ``any``; a plain list means ``any``.
    An entry of language ``en`` applies to rows whose ``lang`` is English
    (:func:`analysis.languages.canonical`, so ``zh-hans`` rows are ``zh``); ``any`` applies to
    every row. A mapping whose keys all look like language codes (two or three letters, or
    ``xx-yyyy``), or that has one of the known keys, is a leaf: an unknown code in it (``fr``,
    ``EN``) is a :class:`~analysis.errors.DictionaryError`, never a silent sub-theme.

Overlaps (the counting rule)
    Within one **top-level** theme, candidate matches are taken longest first (in words), then
    leftmost, then in dictionary order; a match is kept only if none of its words is already in
    a kept match. So a word belongs to at most one match per top-level theme: "national
    security" counts once (for ``security/national``), not again as "security"; "public opinion
    guidance" counts once, not again as "public opinion". Sub-theme counts therefore partition
    their top-level theme's count. Different top-level themes count independently:
    "ideological security" counts for ``security`` and for ``ideology``.

Rates
    The denominator is the number of **words** (:func:`analysis.is_word`: not ``PUNCT``/``SYM``,
    not a form made only of punctuation or symbols), Chinese words too; rates are per 1,000
    words in the column ``per_1000``. For Chinese (languages written without spaces) the rate
    per 1,000 Han characters, ``per_1000_chars``, does not depend on the segmenter.

Uncertainty
    Every rate carries two intervals (:func:`theme_rates`): the token-level exact Poisson
    interval (how precisely these words fix the rate) and a document-level cluster-bootstrap
    interval (:mod:`analysis.inference`: how precisely texts like these fix it — the one a claim
    about a voice or an outlet needs, since theme counts vary far more between documents than a
    Poisson model allows).

Data flow: Tokens → :func:`theme_matches` (one row per match) → :func:`theme_rates`,
:func:`theme_cooccurrence`, :func:`theme_entries`, :func:`theme_hits`. Nothing here reads
Tokens from disk; the only random step, the document bootstrap, takes ``seed=``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from . import languages
from ._atomic import write_text_atomic
from ._core import (as_list, check_choice, check_columns, check_int, check_probability, check_top, check_within,
                    concordance, filter_mask, first_appearance_codes, group_keys, is_word, require_rows, select,
                    unit_keys, window_sides)
from .distribution import dp_norm, gries_dp
from .errors import DictionaryError, ParameterError, QueryError
from .inference import N_BOOT, cluster_bootstrap_ratio
from .query import Query, match_many, parse_query, token_index

#: Language keys of a dictionary leaf: the registered languages and ``any`` (a plain list).
LANGUAGE_KEYS = (*languages.LANGUAGES, "any")
#: Separator of theme paths ("security/cyber").
THEME_SEP = "/"

_WILDCARDS = set("*?")
_BAD_GLOB_CHARS = set("[]{}")
#: Characters with a meaning in the query language that a dictionary pattern means literally.
_QUERY_SPECIAL = set('\\&|():"/')
#: What a language key looks like: ``en``, ``eng``, ``zh-hans``, ``pt_BR``.
_CODE_LIKE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?")
_STR_TAG = "tag:yaml.org,2002:str"


# --------------------------------------------------------------------------------------------
# The dictionary


@dataclass(frozen=True)
class DictionaryEntry:
    """One pattern of one theme: ``theme`` is a path such as ``"security/cyber"``."""

    theme: str
    lang: str
    pattern: str
    #: line of the pattern in its source file (not part of equality)
    line: int | None = field(default=None, compare=False)

    @property
    def top(self) -> str:
        return self.theme.split(THEME_SEP, 1)[0]

    def theme_at(self, level: int) -> str:
        """The entry's theme truncated to ``level`` parts (a shallower theme stays whole)."""
        return THEME_SEP.join(self.theme.split(THEME_SEP)[:level])

    @property
    def queries(self) -> tuple[Query, ...]:
        """The parsed queries whose matches (united) are this entry's matches (:func:`entry_queries`)."""
        return _parsed_queries(self.pattern, self.lang)


@dataclass(frozen=True)
class Dictionary:
    """A theme dictionary: flat entries (theme path, language, pattern) in file order.

    Build it with :func:`load_dictionary` or :meth:`from_mapping`; write it with
    :func:`save_dictionary`.
    """

    entries: tuple[DictionaryEntry, ...]
    source: str = field(default="", compare=False)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def depth(self) -> int:
        """The deepest level of any theme (1 = flat dictionary)."""
        return max((len(e.theme.split(THEME_SEP)) for e in self.entries), default=0)

    def themes(self, level: int = 1) -> list[str]:
        """Themes at ``level``, in the order they first appear in the dictionary."""
        check_int(level, "level", minimum=1)
        seen: dict[str, None] = {}
        for e in self.entries:
            seen.setdefault(e.theme_at(level), None)
        return list(seen)

    def all_themes(self) -> list[str]:
        """Every theme at every level (``security``, ``security/cyber``...)."""
        return list(dict.fromkeys(t for lvl in range(1, self.depth + 1) for t in self.themes(lvl)))

    def to_frame(self) -> pd.DataFrame:
        """The entries as a DataFrame (theme, lang, pattern, line)."""
        return pd.DataFrame([(e.theme, e.lang, e.pattern, e.line) for e in self.entries],
                            columns=["theme", "lang", "pattern", "line"])

    def to_mapping(self) -> dict:
        """The nested mapping that :func:`save_dictionary` writes (plain list = language ``any``)."""
        root: dict = {}
        for e in self.entries:
            node = root
            parts = e.theme.split(THEME_SEP)
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict) or _is_leaf(node):
                    raise DictionaryError(f"theme {e.theme!r} is nested under a theme that also has patterns; "
                                          "a key holds either sub-themes or patterns")
            leaf = node.setdefault(parts[-1], {})
            if not _is_leaf(leaf) and leaf:
                raise DictionaryError(f"theme {e.theme!r} has both sub-themes and patterns; "
                                      "move its patterns into a sub-theme")
            leaf.setdefault(e.lang, []).append(e.pattern)
        return _simplify(root)

    @classmethod
    def from_mapping(cls, mapping: Mapping, source: str = "<mapping>") -> "Dictionary":
        """A dictionary from a nested Python mapping (same rules as a YAML file)."""
        if not isinstance(mapping, Mapping):
            raise DictionaryError(f"a dictionary is a mapping of theme → patterns, not {type(mapping).__name__}")
        text = yaml.safe_dump(_plain(mapping), allow_unicode=True, sort_keys=False)
        return _parse_text(text, source)


def _plain(obj):
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _is_leaf(node: dict) -> bool:
    return bool(node) and all(k in LANGUAGE_KEYS and isinstance(v, list) for k, v in node.items())


def _simplify(node: dict) -> dict:
    out = {}
    for key, value in node.items():
        if _is_leaf(value):
            out[key] = value["any"] if list(value) == ["any"] else value
        else:
            out[key] = _simplify(value)
    return out


def default_dictionary_path() -> Path:
    """Path of the shipped theme dictionary (``analysis/data/themes.yaml``)."""
    return Path(str(resources.files("analysis") / "data" / "themes.yaml"))


def load_dictionary(path: str | os.PathLike | None = None) -> Dictionary:
    """Read a theme dictionary: Tifa's YAML format or a quanteda YAML dictionary.

    ``path=None`` reads the shipped dictionary. The format: a nested mapping of themes; each
    leaf is either a list of patterns (quanteda's format; language ``any``) or a mapping of
    language (``en``, ``zh``, ``any``: :data:`LANGUAGE_KEYS`) to a list of patterns. Patterns
    are lowercased (quanteda's ``tolower = TRUE``) and whitespace-normalised; a pattern repeated
    in one theme and language is kept once.

    Raises :class:`~analysis.errors.DictionaryError` naming the key and the line for: YAML
    syntax errors, a non-list value, an empty list or pattern, a pattern that is not text, a bad
    glob (``[...]``/``{...}`` classes, or a word that is only wildcards), an unknown language
    key (``fr``, or ``EN`` for ``en``), a duplicate key, a key containing ``/``.
    """
    p = default_dictionary_path() if path is None else Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DictionaryError(f"dictionary file {str(p)!r} not found; give the path of a YAML dictionary") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DictionaryError(f"cannot read dictionary file {str(p)!r}: {exc}") from None
    return _parse_text(text, str(p))


def save_dictionary(dictionary: Dictionary, path: str | os.PathLike) -> Path:
    """Write ``dictionary`` as YAML (atomically); :func:`load_dictionary` reads it back equal."""
    body = yaml.safe_dump(dictionary.to_mapping(), allow_unicode=True, sort_keys=False, width=100)
    header = "# Tifa theme dictionary (see analysis/themes.py for the format)\n"
    return write_text_atomic(path, header + body)


def _where(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


def _parse_text(text: str, source: str) -> Dictionary:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}" if mark is not None else "unknown line"
        raise DictionaryError(f"{source}: not valid YAML at {line}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise DictionaryError(f"{source}: not valid YAML: {exc}") from None
    if root is None:
        raise DictionaryError(f"{source}: the dictionary is empty; write `theme: [pattern, ...]` entries")
    if not isinstance(root, yaml.MappingNode):
        raise DictionaryError(f"{source}: {_where(root)}: the top level must be a mapping of theme → patterns")
    entries: list[DictionaryEntry] = []
    _walk_mapping(root, [], entries, source)
    if not entries:
        raise DictionaryError(f"{source}: the dictionary has no patterns")
    return Dictionary(tuple(entries), source=source)


def _key_text(key: yaml.Node, path: list[str], source: str) -> str:
    where = THEME_SEP.join(path) or "the top level"
    if not isinstance(key, yaml.ScalarNode):
        raise DictionaryError(f"{source}: {_where(key)}: a key under {where} is not a name")
    name = str(key.value).strip()
    if not name:
        raise DictionaryError(f"{source}: {_where(key)}: empty key under {where}")
    if THEME_SEP in name:
        raise DictionaryError(f"{source}: {_where(key)}: key {name!r} contains {THEME_SEP!r}; "
                              "nest sub-themes instead of writing paths")
    return name


def _is_language_leaf(names: list[str]) -> bool:
    """A mapping of languages: every key looks like a language code, or one is a known language key."""
    return all(_CODE_LIKE.fullmatch(n) for n in names) or any(n in LANGUAGE_KEYS for n in names)


def _unknown_language(name: str, theme: str, line: int, source: str) -> DictionaryError:
    known = languages.find_language(name)
    hint = f"; write {known.code!r}" if known is not None else ("; write 'any'" if name.lower() == "any" else "")
    return DictionaryError(
        f"{source}: line {line}: unknown language key {name!r} in theme {theme!r}{hint} "
        f"(known: {', '.join(LANGUAGE_KEYS)}; add a language in analysis/languages.py). A mapping whose keys "
        "all look like language codes is read as languages: give a sub-theme a longer name")


def _walk_mapping(node: yaml.MappingNode, path: list[str], entries: list, source: str) -> None:
    names: dict[str, int] = {}
    items = []
    for key, value in node.value:
        name = _key_text(key, path, source)
        full = THEME_SEP.join(path + [name])
        if name in names:
            raise DictionaryError(f"{source}: line {key.start_mark.line + 1}: duplicate key {full!r} "
                                  f"(first at line {names[name]}); merge the two")
        names[name] = key.start_mark.line + 1
        items.append((name, key, value))
    theme = THEME_SEP.join(path)
    if path and _is_language_leaf([name for name, _, _ in items]):
        for name, key, value in items:
            if name not in LANGUAGE_KEYS:
                raise _unknown_language(name, theme, key.start_mark.line + 1, source)
            _patterns(value, theme, name, entries, source)
        return
    for name, key, value in items:
        full = THEME_SEP.join(path + [name])
        if isinstance(value, yaml.MappingNode):
            if not value.value:
                raise DictionaryError(f"{source}: {_where(value)}: theme {full!r} is empty; give it patterns")
            _walk_mapping(value, path + [name], entries, source)
        elif isinstance(value, yaml.SequenceNode):
            _patterns(value, full, "any", entries, source)
        elif isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null":
            raise DictionaryError(f"{source}: line {key.start_mark.line + 1}: theme {full!r} has no patterns; "
                                  "give a list, e.g. [secur*, \"rule of law\"]")
        else:
            raise DictionaryError(f"{source}: {_where(value)}: theme {full!r} has a single value "
                                  f"{getattr(value, 'value', '')!r}, not a list; write it as a list: "
                                  f"[{getattr(value, 'value', '')}]")


def _patterns(node: yaml.Node, theme: str, lang: str, entries: list, source: str) -> None:
    label = f"theme {theme!r}" + (f" ({lang})" if lang != "any" else "")
    if not isinstance(node, yaml.SequenceNode):
        raise DictionaryError(f"{source}: {_where(node)}: {label} must be a list of patterns, "
                              f"not {getattr(node, 'value', '')!r}")
    if not node.value:
        raise DictionaryError(f"{source}: {_where(node)}: {label} has an empty list of patterns")
    seen = {(e.theme, e.lang, e.pattern) for e in entries}
    for item in node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.ScalarNode):
            raise DictionaryError(f"{source}: line {line}: {label}: a pattern is a nested list or mapping; "
                                  "patterns are plain strings")
        if item.tag != _STR_TAG:
            raise DictionaryError(f"{source}: line {line}: {label}: pattern {item.value!r} is not text "
                                  "(YAML reads it as a number, boolean or null); put it in quotes")
        pattern = " ".join(str(item.value).split()).lower()
        if not pattern:
            raise DictionaryError(f"{source}: line {line}: {label} has an empty pattern")
        problem = _glob_problem(pattern)
        if problem:
            raise DictionaryError(f"{source}: line {line}: {label}: bad glob {pattern!r}: {problem}")
        try:
            _parsed_queries(pattern, lang)
        except QueryError as exc:
            raise DictionaryError(f"{source}: line {line}: {label}: pattern {pattern!r} cannot be matched: "
                                  f"{exc}") from None
        if (theme, lang, pattern) in seen:
            continue
        seen.add((theme, lang, pattern))
        entries.append(DictionaryEntry(theme, lang, pattern, line))


def _glob_problem(pattern: str) -> str | None:
    bad = sorted(set(pattern) & _BAD_GLOB_CHARS)
    if bad:
        return (f"{''.join(bad)!r} is not glob syntax here; only * (any characters) and ? (one character) "
                "are wildcards")
    for word in pattern.split(" "):
        if set(word) <= _WILDCARDS:
            return f"the word {word!r} is only wildcards and would match every word"
    return None


_DEFAULT: dict[tuple, Dictionary] = {}


def _default_dictionary() -> Dictionary:
    """The shipped dictionary, read once per version of its file (a Dictionary is immutable)."""
    p = default_dictionary_path()
    try:
        st = p.stat()
        key = (str(p), st.st_mtime_ns, st.st_size)
    except OSError:
        return load_dictionary()
    if key not in _DEFAULT:
        _DEFAULT.clear()
        _DEFAULT[key] = load_dictionary()
    return _DEFAULT[key]


def _as_dictionary(dictionary: Dictionary | str | os.PathLike | Mapping | None) -> Dictionary:
    if dictionary is None:
        return _default_dictionary()
    if isinstance(dictionary, Dictionary):
        return dictionary
    if isinstance(dictionary, Mapping):
        return Dictionary.from_mapping(dictionary)
    if isinstance(dictionary, (str, os.PathLike)):
        return load_dictionary(dictionary)
    raise ParameterError(f"dictionary must be a Dictionary, a path or a mapping, not {type(dictionary).__name__}")


# --------------------------------------------------------------------------------------------
# Patterns → queries of the query language


def _escape(word: str) -> str:
    """``word`` with the query language's special characters escaped (wildcards ``*``/``?`` kept)."""
    return "".join("\\" + ch if ch in _QUERY_SPECIAL else ch for ch in word)


def _lemma_or_form(word: str) -> str:
    w = _escape(word)
    return f"lemma:{w}|{w}"


def _hyphen_split(words: list[str]) -> list[str]:
    """The words with each hyphenated word (``self-media``) split as the tokenizer does (self - media)."""
    out: list[str] = []
    for w in words:
        parts = w.split("-")
        if len(parts) > 1 and all(parts):
            for i, part in enumerate(parts):
                out.extend(["-", part] if i else [part])
        else:
            out.append(w)
    return out


def entry_queries(pattern: str, lang: str = "any") -> tuple[str, ...]:
    """The queries of the query language a dictionary pattern compiles to; its matches are their union.

    * each word → ``lemma:WORD|WORD`` (the lowercased lemma or form; ``*``/``?`` stay globs,
      the other special characters are escaped); several words → a phrase of such terms;
    * a hyphenated word also as its tokenizer split: ``self-media`` → ``lemma:self|self
      lemma:-|- lemma:media|media``;
    * a one-word pattern without wildcards, for a language written without spaces (or ``any``),
      also as the plain form literal, which the matcher extends to runs of words
      (``网络安全`` = 网络 + 安全).

    >>> entry_queries("secur*", "en")
    ('lemma:secur*|secur*',)
    >>> entry_queries("self-media", "en")
    ('lemma:self-media|self-media', 'lemma:self|self lemma:-|- lemma:media|media')
    >>> entry_queries("网络安全", "zh")
    ('lemma:网络安全|网络安全', '网络安全')
    """
    words = pattern.split(" ")
    out = [" ".join(_lemma_or_form(w) for w in words)]
    split = _hyphen_split(words)
    if split != words:
        out.append(" ".join(_lemma_or_form(w) for w in split))
    if len(words) == 1 and not (_WILDCARDS & set(pattern)) and (lang == "any" or not languages.is_spaced(lang)):
        out.append(_escape(pattern))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _parsed_queries(pattern: str, lang: str) -> tuple[Query, ...]:
    return tuple(parse_query(q) for q in entry_queries(pattern, lang))


# --------------------------------------------------------------------------------------------
# Matching


def _check_tokens(tokens: Any) -> None:
    if not isinstance(tokens, pd.DataFrame):
        raise ParameterError(f"expected a Tokens DataFrame, not {type(tokens).__name__}")
    check_columns(tokens, ("doc_id", "par", "sent", "idx", "head", "form", "lemma"), "measure themes without")


@dataclass(frozen=True, eq=False)
class _RowLanguages:
    """Each row's canonical language: ``codes`` (one int per row) index ``names``."""

    codes: np.ndarray
    names: np.ndarray

    def rows_of(self, lang: str) -> np.ndarray:
        """One bool per row: is its language ``lang``?"""
        hit = np.flatnonzero(self.names == lang)
        return self.codes == hit[0] if len(hit) else np.zeros(len(self.codes), dtype=bool)

    def at(self, rows) -> np.ndarray:
        """The language codes (strings) of ``rows``."""
        return self.names[self.codes[rows]]


def _row_languages(tokens: pd.DataFrame) -> _RowLanguages:
    """The canonical language code of every row (:func:`analysis.languages.canonical`); "" without ``lang``.

    Held as an integer code per row and the codes' names (no string per row).
    """
    if "lang" not in tokens.columns:
        return _RowLanguages(np.zeros(len(tokens), dtype=np.int64), np.asarray([""], dtype=object))
    col = tokens["lang"]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("string").fillna("").astype("category")
    names = [languages.canonical(str(c)) for c in col.cat.categories] + [""]
    distinct = list(dict.fromkeys(names))
    number = np.asarray([distinct.index(x) for x in names], dtype=np.int64)
    return _RowLanguages(number[col.array.codes], np.asarray(distinct, dtype=object))


def _entry_spans(tokens: pd.DataFrame, d: Dictionary, row_lang: _RowLanguages
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct spans ``(starts, ends, entry numbers)`` of every entry inside sentences, every word in
    the entry's language; per entry ordered by (start, end), entries in dictionary order.

    All entries' queries are matched together (:func:`analysis.query.match_many`: one pass over
    each column's categories, then one inverted-index lookup per query), not one match call each.
    """
    queries = [q for entry in d.entries for q in entry.queries]
    found = match_many(tokens, queries, within="sentence")
    n = len(tokens)
    outside: dict[str, np.ndarray | None] = {"any": None}
    parts_s, parts_e, parts_k = [], [], []
    at = 0
    for k, entry in enumerate(d.entries):
        spans = found[at:at + len(entry.queries)]
        at += len(entry.queries)
        starts = np.concatenate([s for s, _ in spans])
        ends = np.concatenate([e for _, e in spans])
        if entry.lang not in outside and len(starts):
            allowed = row_lang.rows_of(entry.lang)
            outside[entry.lang] = None if allowed.all() else np.concatenate([[0], np.cumsum(~allowed)])
        out = outside.get(entry.lang)
        if out is not None and len(starts):
            keep = out[ends] == out[starts]
            starts, ends = starts[keep], ends[keep]
        if len(spans) > 1 and len(starts):
            key = np.unique(starts * (n + 1) + ends)  # (start, end) pairs, distinct, in order
            starts, ends = key // (n + 1), key % (n + 1)
        parts_s.append(starts)
        parts_e.append(ends)
        parts_k.append(np.full(len(starts), k, dtype=np.int64))
    if not parts_s:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    return (np.concatenate(parts_s).astype(np.int64), np.concatenate(parts_e).astype(np.int64),
            np.concatenate(parts_k))


def _resolve_overlaps(starts: np.ndarray, ends: np.ndarray, ks: np.ndarray, n: int) -> np.ndarray:
    """Which candidates of one top-level theme are kept (a bool per candidate; the counting rule).

    Candidates are taken longest first, then leftmost, then in dictionary order; one is kept
    only if none of its words is in a kept one. Equivalent to walking them in that order, but
    vectorised: candidates of one length that overlap neither a longer kept match nor another
    candidate of that length are decided at once; only runs of mutually overlapping candidates of
    one length are walked one by one.
    """
    keep = np.zeros(len(starts), dtype=bool)
    if not len(starts):
        return keep
    lengths = ends - starts
    taken = np.zeros(n + 1, dtype=bool)
    for length in np.unique(lengths)[::-1].tolist():
        idx = np.flatnonzero(lengths == length)
        idx = idx[np.lexsort((ks[idx], starts[idx]))]  # leftmost, then dictionary order
        s = starts[idx]
        free = np.ones(len(idx), dtype=bool)
        for j in range(length):  # no word already in a longer kept match
            free &= ~taken[s + j]
        idx, s = idx[free], s[free]
        if not len(idx):
            continue
        # candidates of this length overlap when their starts are less than `length` apart
        gap_before = np.diff(s, prepend=s[0] - length) >= length
        gap_after = np.diff(s, append=s[-1] + length) >= length
        alone = gap_before & gap_after
        chosen = np.zeros(len(idx), dtype=bool)
        chosen[alone] = True
        last_end = -1
        for j in np.flatnonzero(~alone).tolist():  # runs of overlapping candidates, in order
            if s[j] >= last_end:
                chosen[j] = True
                last_end = s[j] + length
        keep[idx[chosen]] = True
        for j in range(length):
            taken[s[chosen] + j] = True
    return keep


def _matches(tokens: pd.DataFrame, d: Dictionary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, ends, entry numbers)`` of every kept match, in reading order (overlaps resolved)."""
    n = len(tokens)
    starts, ends, ks = _entry_spans(tokens, d, _row_languages(tokens))
    tops = [e.top for e in d.entries]
    top_names = sorted(set(tops))
    top_rank = np.asarray([top_names.index(t) for t in tops], dtype=np.int64)  # string order of the top theme
    top_of = top_rank[ks] if len(ks) else np.empty(0, np.int64)
    keep = np.zeros(len(starts), dtype=bool)
    for t in np.unique(top_of).tolist():
        sel = np.flatnonzero(top_of == t)
        keep[sel[_resolve_overlaps(starts[sel], ends[sel], ks[sel], n)]] = True
    starts, ends, ks, top_of = starts[keep], ends[keep], ks[keep], top_of[keep]
    order = np.lexsort((ends, top_of, starts))
    return starts[order], ends[order], ks[order]


_MATCH_COLUMNS = ["doc_id", "par", "sent", "start", "end", "n_words", "theme", "entry", "entry_lang", "text"]


def theme_matches(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None
                  ) -> pd.DataFrame:
    """Every dictionary match in ``tokens``, after resolving overlaps (see the module docstring).

    Rule: within each top-level theme, longest match (in words) wins, then the leftmost, then
    the earlier dictionary entry; a word belongs to at most one match per top-level theme.

    Returns one row per match, in reading order: ``doc_id, par, sent, start, end`` (row
    positions in ``tokens``, end exclusive), ``n_words``, ``theme`` (the entry's full theme
    path), ``entry`` (the pattern), ``entry_lang`` (the entry's language key) and ``text``
    (the matched words, joined as a concordance shows them).
    """
    _check_tokens(tokens)
    d = _as_dictionary(dictionary)
    if len(tokens) == 0:
        return pd.DataFrame({c: [] for c in _MATCH_COLUMNS})
    starts, ends, ks = _matches(tokens, d)
    text, off, end = token_index(tokens).text(tokens)
    entries = [d.entries[k] for k in ks.tolist()]
    return pd.DataFrame({
        "doc_id": np.asarray(tokens["doc_id"].astype(str).to_numpy(), dtype=object)[starts],
        "par": tokens["par"].to_numpy()[starts].astype(np.int64),
        "sent": tokens["sent"].to_numpy()[starts].astype(np.int64),
        "start": starts,
        "end": ends,
        "n_words": ends - starts,
        "theme": [e.theme for e in entries],
        "entry": [e.pattern for e in entries],
        "entry_lang": [e.lang for e in entries],
        "text": [text[a:b] for a, b in zip(off[starts].tolist(), end[np.maximum(ends - 1, 0)].tolist())],
    }, columns=_MATCH_COLUMNS)


# --------------------------------------------------------------------------------------------
# Statistics


def poisson_exact_ci(count, exposure=1.0, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood 1936) confidence interval of a Poisson rate ``count / exposure``.

    lower = χ²(α/2; 2k) / 2, upper = χ²(1 − α/2; 2k + 2) / 2 (lower = 0 when k = 0), divided by
    ``exposure``. Garwood, F. (1936), "Fiducial limits for the Poisson distribution",
    *Biometrika* 28, 437–442; the same interval as R's ``poisson.test``.
    """
    conf = check_probability(conf, "conf")
    k = np.asarray(count, dtype=float)
    t = np.asarray(exposure, dtype=float)
    alpha = 1.0 - conf
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
        high = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return low / t, high / t


def _month(tokens: pd.DataFrame) -> np.ndarray:
    """``YYYY-MM`` from the ISO ``date`` column; empty or non-ISO dates give "unknown"."""
    check_columns(tokens, ["date"], "derive month from")
    month = tokens["date"].astype(str).str.extract(r"^(\d{4}-\d{2})", expand=False)
    return month.fillna("unknown").to_numpy(dtype=object)


#: Columns derived from the Tokens table when ``by`` or a filter names them and the table lacks them.
DERIVED_COLUMNS = {"month": _month}
#: Result columns a ``by`` column may not be named.
_RESERVED = ("theme", "subtheme", "entry", "entry_lang", "date", "count", "words", "per_1000", "per_1000_chars",
             "ci_low", "ci_high", "doc_ci_low", "doc_ci_high", "n_docs", "dp", "dp_norm", "share")


def _with_derived(tokens: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """``tokens`` with the :data:`DERIVED_COLUMNS` that ``names`` mention added (if it lacks them)."""
    derived = {c: f for c, f in DERIVED_COLUMNS.items() if c in names and c not in tokens.columns}
    return tokens.assign(**{c: f(tokens) for c, f in derived.items()}) if derived else tokens


def _table(tokens: pd.DataFrame, by: Any, filters: Mapping[str, Any]) -> pd.DataFrame:
    """The rows to measure: columns that ``by`` or the filters derive added, the filters applied."""
    _check_tokens(tokens)
    cols = as_list(by)
    clash = [c for c in cols if c in _RESERVED and c != "date"]
    if clash:
        raise ParameterError(f"cannot group by {', '.join(clash)}: the name is taken by a result column")
    tokens = select(_with_derived(tokens, [*cols, *filters]), **filters)
    require_rows(tokens, "the selected Tokens table")
    return tokens


def _theme_numbers(d: Dictionary, ks: np.ndarray, level: int) -> tuple[list[str], np.ndarray]:
    """Themes at ``level`` in dictionary order and the theme number of each entry number in ``ks``."""
    themes = d.themes(level)
    number = {t: i for i, t in enumerate(themes)}
    of_entry = np.asarray([number[e.theme_at(level)] for e in d.entries], dtype=np.int64)
    return themes, of_entry[ks]


def _date_order(tokens: pd.DataFrame, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Group order by the date of each group's first row (empty dates last) and those dates."""
    first = np.full(n_groups, len(tokens), dtype=np.int64)
    valid = codes >= 0
    np.minimum.at(first, codes[valid], np.flatnonzero(valid))
    dates = tokens["date"].astype(str).to_numpy(dtype=object)[np.minimum(first, len(tokens) - 1)]
    key = np.where(dates == "", "9999", dates).astype(str)
    return np.argsort(key, kind="stable"), dates


def _chars_per_row(tokens: pd.DataFrame, row_lang: _RowLanguages, rows: np.ndarray) -> np.ndarray:
    """Script characters (:func:`analysis.languages.count_chars`) of the forms of ``rows``; 0 elsewhere."""
    out = np.zeros(len(tokens), dtype=np.int64)
    if rows.any():
        col = tokens["form"]
        if isinstance(col.dtype, pd.CategoricalDtype):  # the forms as astype(str) gives them, per category
            names = np.asarray([str(c) for c in col.cat.categories] + ["nan"], dtype=object)
            forms = names[col.array.codes[rows]]
        else:
            forms = col.astype(str).to_numpy(dtype=object)[rows]
        pairs = pd.DataFrame({"form": forms, "lang": row_lang.at(rows)})
        uniq = pairs.drop_duplicates()
        counted = {(f, c): languages.count_chars(f, c) for f, c in zip(uniq["form"], uniq["lang"])}
        out[rows] = [counted[(f, c)] for f, c in zip(pairs["form"], pairs["lang"])]
    return out


def _unspaced_rows(row_lang: _RowLanguages) -> np.ndarray:
    """Rows whose language is written without spaces and has a script pattern (Chinese: Han)."""
    flags = []
    for code in row_lang.names.tolist():
        lang = languages.find_language(str(code)) if code else None
        flags.append(lang is not None and not lang.spaced and lang.char_regex is not None)
    return np.asarray(flags, dtype=bool)[row_lang.codes]


def theme_rates(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
                by: str | Sequence[str] | None = "doc_id", level: int = 1, conf: float = 0.95,
                n_boot: int = N_BOOT, seed: int = 0, **filters: Any) -> pd.DataFrame:
    """Theme counts and rates per 1,000 words by group, with a token-level and a document-level interval.

    Parameters
    ----------
    by
        Grouping column(s) of the Tokens table, kept by name in the result: ``doc_id``
        (default), ``voice``, ``lang``, a corpus's own column such as ``source``, ``month``
        (``YYYY-MM`` of the document's ISO ``date``; empty dates → ``"unknown"``), or a list of
        them; ``None`` = the whole table.
    level
        Theme level: 1 = top-level themes, 2 = sub-themes ("security/cyber").
    conf
        Confidence level of both intervals (0 < conf < 1).
    n_boot, seed
        Resamples and seed of the document-level (cluster) bootstrap
        (:func:`analysis.inference.cluster_bootstrap_ratio`); the same seed gives the same table.
    **filters
        Measure only the rows these filters keep (:func:`analysis.select`), e.g. ``lang="en"``.

    Returns
    -------
    DataFrame
        One row per group × theme (every theme of the dictionary, zero counts included):
        the group columns, ``theme``, ``count`` (matches, overlaps resolved as in
        :func:`theme_matches`, counted in the group of the match's first word), ``words``
        (words in the group, :func:`analysis.is_word`), ``per_1000`` (1000 · count / words),
        ``per_1000_chars``, ``ci_low``, ``ci_high``, ``doc_ci_low``, ``doc_ci_high``,
        ``n_docs``, ``dp`` (Gries's 2008 deviation of proportions of the theme over the groups
        of this table, parts weighted by their words — the same value on every row of a theme;
        NaN for a theme that never occurs or with one group; :func:`analysis.distribution.gries_dp`)
        and ``dp_norm`` (Lijffijt & Gries 2012). Groups are in reading order; when ``doc_id`` is
        a group column the document ``date`` is added and documents are ordered by date
        (undated last).

    Two intervals, two questions
    ----------------------------
    ``ci_low``, ``ci_high``
        The exact Poisson interval of the rate (Garwood 1936, :func:`poisson_exact_ci`): the
        count is treated as a Poisson count with the group's words as exposure, every word an
        independent draw. It answers "how precisely do *these words* fix the rate?" — the
        uncertainty of counting, for exactly these texts.
    ``doc_ci_low``, ``doc_ci_high``
        The document-level cluster-bootstrap percentile interval of the same rate
        (:func:`analysis.inference.cluster_bootstrap_ratio`): the group's documents (``doc_id``;
        the rows of one document that fall in the group form one cluster; documents without a
        word in the group are left out) are resampled with replacement ``n_boot`` times, each
        resample's pooled rate 1000 · Σ count / Σ words is computed, and the ``(1 ∓ conf)/2``
        quantiles are taken (Davison & Hinkley 1997, §3.8). It answers "how precisely do *texts
        like these* fix the rate?" — the question a claim about a voice, an outlet or a month
        needs, because theme counts are overdispersed across documents (one document can carry a
        theme). ``n_docs`` is the number of documents resampled. When the group is a single
        document (``by="doc_id"``, or a group that holds one document) there is no
        between-document variation to resample and the document interval is ``nan``: the
        token-level interval is all there is.

    Rates per character
    -------------------
    ``per_1000_chars`` is the count per 1,000 script characters, for groups whose words are all
    in languages written without spaces (:mod:`analysis.languages`: Chinese): the denominator is
    :func:`analysis.languages.count_chars` summed over the forms of the group's words
    (:func:`analysis.is_word`), i.e. the Han characters of those words — punctuation, Latin
    letters and digits are not counted. A run of Han characters has the same number of
    characters however the segmenter cuts it into words, so this rate does not depend on the
    segmenter, while ``per_1000`` (per segmented word) does; compare Chinese rates with English
    ones, or across segmenters, in this unit. ``nan`` for a group with any word in a spaced
    language (English), where words are the unit.
    """
    level = check_int(level, "level", minimum=1)
    conf = check_probability(conf, "conf")
    check_int(seed, "seed")
    d = _as_dictionary(dictionary)
    tokens = _table(tokens, by, filters)
    cols = as_list(by)
    codes, groups = group_keys(tokens, by)
    n_groups = len(groups)
    valid = codes >= 0
    word = is_word(tokens)
    sizes = np.bincount(codes[valid & word], minlength=n_groups)
    starts, _, ks = _matches(tokens, d)
    themes, theme_of = _theme_numbers(d, ks, level)
    gm = codes[starts]
    counts = np.zeros((n_groups, len(themes)), dtype=np.int64)
    np.add.at(counts, (gm[gm >= 0], theme_of[gm >= 0]), 1)
    doc_low, doc_high, n_docs = _document_intervals(tokens, codes, word, starts, theme_of, n_groups, len(themes),
                                                    conf=conf, n_boot=n_boot, seed=seed)
    row_lang = _row_languages(tokens)
    unspaced = _unspaced_rows(row_lang)
    chars = np.bincount(codes[valid & word], weights=_chars_per_row(tokens, row_lang, word & unspaced)[valid & word],
                        minlength=n_groups)
    spaced_words = np.bincount(codes[valid & word & ~unspaced], minlength=n_groups)
    char_ok = (spaced_words == 0) & (sizes > 0) & (chars > 0)
    order = np.arange(n_groups)
    dates = None
    if "doc_id" in cols and "date" in tokens.columns:
        order, dates = _date_order(tokens, codes, n_groups)
    dps, norms = np.full(len(themes), np.nan), np.full(len(themes), np.nan)
    used = sizes > 0
    if used.sum() > 1:
        for t in range(len(themes)):
            if counts[used, t].sum() > 0:
                dps[t] = gries_dp(counts[used, t], sizes[used])
                norms[t] = dp_norm(counts[used, t], sizes[used])
    n_themes = len(themes)
    rows = np.repeat(order, n_themes)
    tcol = np.tile(np.arange(n_themes), len(order))
    out = groups.iloc[rows].reset_index(drop=True) if cols else pd.DataFrame(index=pd.RangeIndex(len(rows)))
    if dates is not None and "date" not in cols:
        out["date"] = dates[rows]
    count = counts[rows, tcol]
    words = sizes[rows]
    exposure = np.where(words > 0, words / 1000.0, np.nan)
    low, high = poisson_exact_ci(count, exposure, conf)
    out["theme"] = np.asarray(themes, dtype=object)[tcol]
    out["count"] = count
    out["words"] = words
    out["per_1000"] = count / exposure
    with np.errstate(divide="ignore", invalid="ignore"):
        out["per_1000_chars"] = np.where(char_ok[rows], 1000.0 * count / np.where(char_ok, chars, 1.0)[rows], np.nan)
    out["ci_low"], out["ci_high"] = low, high
    out["doc_ci_low"], out["doc_ci_high"] = doc_low[rows, tcol], doc_high[rows, tcol]
    out["n_docs"] = n_docs[rows]
    out["dp"], out["dp_norm"] = dps[tcol], norms[tcol]
    out.attrs.update(conf=conf, n_boot=n_boot, seed=seed)
    return out


def _document_intervals(tokens: pd.DataFrame, codes: np.ndarray, word: np.ndarray, starts: np.ndarray,
                        theme_of: np.ndarray, n_groups: int, n_themes: int, *, conf: float, n_boot: int,
                        seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Document-level bootstrap interval of every group × theme rate, and each group's documents.

    The clusters of a group are its documents: per (group, document) the theme counts (matches
    by their first word) and the words; one :func:`analysis.inference.cluster_bootstrap_ratio`
    call per group resamples them (all themes with the same resamples).
    """
    low = np.full((n_groups, n_themes), np.nan)
    high = np.full((n_groups, n_themes), np.nan)
    fast = first_appearance_codes(tokens["doc_id"])
    doc_codes = fast[0] if fast is not None else pd.factorize(tokens["doc_id"].astype(object).to_numpy())[0]
    n_all = int(doc_codes.max()) + 1 if len(doc_codes) else 1
    valid = (codes >= 0) & (doc_codes >= 0)
    pair_of_row = np.where(valid, codes * n_all + doc_codes, -1)
    # (group, document) pairs are runs of rows in a table in reading order: number the runs, not the rows
    run_starts = np.flatnonzero(np.concatenate(([True], pair_of_row[1:] != pair_of_row[:-1]))) \
        if len(pair_of_row) else np.empty(0, np.int64)
    run_values = pair_of_row[run_starts]
    pairs, run_pair = np.unique(run_values, return_inverse=True)
    run_pair = np.asarray(run_pair, dtype=np.int64).reshape(-1)
    if len(pairs) and pairs[0] < 0:  # rows outside any group or document: no pair
        pairs, run_pair = pairs[1:], run_pair - 1
    run_words = np.add.reduceat((valid & word).astype(np.int64), run_starts) if len(run_starts) else run_starts
    words = np.bincount(run_pair[run_pair >= 0], weights=run_words[run_pair >= 0], minlength=len(pairs)).astype(np.int64)
    counts = np.zeros((len(pairs), n_themes), dtype=np.int64)
    at = run_pair[np.searchsorted(run_starts, starts, side="right") - 1] if len(starts) else np.empty(0, np.int64)
    np.add.at(counts, (at[at >= 0], theme_of[at >= 0]), 1)
    group_of_pair = pairs // n_all
    keep = words > 0
    n_docs = np.bincount(group_of_pair[keep], minlength=n_groups)
    for g in range(n_groups):
        sel = keep & (group_of_pair == g)
        ci = cluster_bootstrap_ratio(counts[sel], words[sel], n_boot=n_boot, conf=conf, seed=seed)
        low[g], high[g] = ci[0], ci[1]
    return low, high, n_docs


def theme_entries(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
                  by: str | Sequence[str] | None = None, level: int = 1, top: int | None = None,
                  **filters: Any) -> pd.DataFrame:
    """Which dictionary entries drive each theme: one row per (group,) theme and entry.

    Columns: the group columns (if ``by``), ``theme`` (at ``level``), ``subtheme`` (the entry's
    full theme path), ``entry`` (the pattern), ``entry_lang`` (its language key), ``count`` (its
    matches, overlaps resolved as in :func:`theme_matches`) and ``share`` (count / the theme's
    count in the group). Sorted by group (reading order), theme (dictionary order) and count
    (descending); ``top`` keeps at most that many entries per group and theme. Entries without
    matches are left out. ``**filters`` select the rows measured (:func:`analysis.select`).
    """
    level = check_int(level, "level", minimum=1)
    top = check_top(top)
    d = _as_dictionary(dictionary)
    tokens = _table(tokens, by, filters)
    cols = as_list(by)
    codes, groups = group_keys(tokens, by)
    starts, _, ks = _matches(tokens, d)
    themes, theme_of = _theme_numbers(d, ks, level)
    out_cols = cols + ["theme", "subtheme", "entry", "entry_lang", "count", "share"]
    keep = codes[starts] >= 0
    m = pd.DataFrame({"_g": codes[starts][keep], "_t": theme_of[keep], "_k": ks[keep]})
    if m.empty:
        return pd.DataFrame({c: [] for c in out_cols})
    out = m.groupby(["_g", "_t", "_k"]).size().rename("count").reset_index()
    out["share"] = out["count"] / out.groupby(["_g", "_t"])["count"].transform("sum")
    entries = [d.entries[k] for k in out["_k"].tolist()]
    out["subtheme"] = [e.theme for e in entries]
    out["entry"] = [e.pattern for e in entries]
    out["entry_lang"] = [e.lang for e in entries]
    out["theme"] = np.asarray(themes, dtype=object)[out["_t"].to_numpy()]
    out = out.sort_values(["_g", "_t", "count", "subtheme", "entry"], ascending=[True, True, False, True, True],
                          kind="stable")
    if top is not None:
        out = out.groupby(["_g", "_t"], sort=False).head(top)
    for c in cols:
        out[c] = groups[c].to_numpy()[out["_g"].to_numpy()]
    return out.reset_index(drop=True)[out_cols]


def theme_cooccurrence(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
                       within: str = "sentence", level: int = 1, **filters: Any) -> pd.DataFrame:
    """Which themes occur together in the same sentence (paragraph, document), with association.

    For each pair of themes (a, b), over all ``within`` units (``"sentence"``, ``"paragraph"``,
    ``"document"``) of the table that contain a word (``n_units``): ``n_a``, ``n_b`` units
    containing each theme (a match belongs to the unit of its first word), ``n_ab`` containing
    both. From the 2×2 table (n₁₁ = n_ab, n₁₂ = n_a − n_ab, n₂₁ = n_b − n_ab, n₂₂ = the rest):

    * ``log_odds_ratio`` = ln[(n₁₁+½)(n₂₂+½) / ((n₁₂+½)(n₂₁+½))], the Haldane–Anscombe
      correction (Haldane 1956, *Annals of Human Genetics* 20, 309–311), and its standard error
      ``se_log_odds`` = √Σ 1/(nᵢⱼ+½) (Woolf 1955);
    * ``pmi`` = log₂(n_ab · N / (n_a · n_b)), pointwise mutual information (Church & Hanks 1990,
      *Computational Linguistics* 16(1)); NaN when n_ab = 0;
    * ``jaccard`` = n_ab / (n_a + n_b − n_ab) (Jaccard 1912).

    Rows are pairs in dictionary order (a before b), including pairs that never co-occur.
    ``**filters`` select the rows measured (:func:`analysis.select`).
    """
    level = check_int(level, "level", minimum=1)
    within = check_within(within)
    d = _as_dictionary(dictionary)
    tokens = _table(tokens, None, filters)
    units = unit_keys(tokens, within)
    n_units = int(len(np.unique(units[is_word(tokens)])))
    starts, _, ks = _matches(tokens, d)
    themes, theme_of = _theme_numbers(d, ks, level)
    present = np.zeros((len(themes), int(units.max()) + 1), dtype=bool)
    present[theme_of, units[starts]] = True
    rows = []
    for i, a in enumerate(themes):
        for j in range(i + 1, len(themes)):
            rows.append((a, themes[j], int(present[i].sum()), int(present[j].sum()),
                         int((present[i] & present[j]).sum()), n_units))
    out = pd.DataFrame(rows, columns=["theme_a", "theme_b", "n_a", "n_b", "n_ab", "n_units"])
    n11 = out["n_ab"].to_numpy(dtype=float)
    n12 = out["n_a"].to_numpy(dtype=float) - n11
    n21 = out["n_b"].to_numpy(dtype=float) - n11
    n22 = out["n_units"].to_numpy(dtype=float) - n11 - n12 - n21
    out["log_odds_ratio"] = np.log((n11 + .5) * (n22 + .5) / ((n12 + .5) * (n21 + .5)))
    out["se_log_odds"] = np.sqrt(1 / (n11 + .5) + 1 / (n12 + .5) + 1 / (n21 + .5) + 1 / (n22 + .5))
    with np.errstate(divide="ignore", invalid="ignore"):
        n_a, n_b = out["n_a"].to_numpy(dtype=float), out["n_b"].to_numpy(dtype=float)
        expected = n_a * n_b / out["n_units"].to_numpy(dtype=float)
        out["pmi"] = np.where(n11 > 0, np.log2(n11 / expected), np.nan)
        union = out["n_a"] + out["n_b"] - out["n_ab"]
        out["jaccard"] = np.where(union > 0, out["n_ab"] / union.where(union > 0, 1), np.nan)
    return out


def theme_hits(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
               theme: str, window: int | tuple[int, int] = 5, unit: str = "token", within: str = "paragraph",
               **filters: Any) -> pd.DataFrame:
    """The concordance lines behind any cell of :func:`theme_rates` / :func:`theme_entries`.

    ``theme`` is a theme at any level ("security" or "security/cyber"). ``**filters`` select
    the cell's group (:func:`analysis.select`: ``voice="official"``, ``doc_id="..."``,
    ``month="2014-08"``, a list = any of, ``slice(low, high)`` = a range): matches are found in
    the whole table and kept when their first word meets the filters, as in
    :func:`analysis.kwic`. Contexts come from :func:`analysis._core.concordance`, the one
    concordance builder: ``window`` words either side (or characters with ``unit="char"``),
    never crossing the ``within`` unit (default: the paragraph); Chinese is joined without
    spaces.

    Returns columns ``doc_id, par, sent, position, left, match, right, theme, entry`` (``theme``
    = the entry's full theme path, ``entry`` its pattern) and the table's metadata columns, in
    reading order. ``len(theme_hits(...))`` equals the cell's ``count``.
    """
    window_sides(window)
    check_choice(unit, "unit", ("token", "char"))
    within = check_within(within)
    d = _as_dictionary(dictionary)
    if theme not in d.all_themes():
        raise ParameterError(f"unknown theme {theme!r}; themes: {', '.join(d.themes(1))} "
                             "(sub-themes as security/cyber)")
    _check_tokens(tokens)
    require_rows(tokens, "the Tokens table")
    table = _with_derived(tokens, list(filters))
    starts, ends, ks = _matches(table, d)
    keep = np.asarray([d.entries[k].theme == theme or d.entries[k].theme.startswith(theme + THEME_SEP)
                       for k in ks.tolist()], dtype=bool)
    if filters:
        rows = filter_mask(table, filters)
        require_rows(table[rows], "the selection")
        keep &= rows[starts]
    starts, ends, ks = starts[keep], ends[keep], ks[keep]
    out = concordance(table, starts, ends, window=window, unit=unit, within=within)
    at = out.columns.get_loc("right") + 1
    out.insert(at, "theme", [d.entries[k].theme for k in ks.tolist()])
    out.insert(at + 1, "entry", [d.entries[k].pattern for k in ks.tolist()])
    return out


__all__ = [
    "Dictionary", "DictionaryEntry", "LANGUAGE_KEYS", "default_dictionary_path", "load_dictionary",
    "save_dictionary", "entry_queries", "theme_matches", "theme_rates", "theme_entries", "theme_cooccurrence",
    "theme_hits", "poisson_exact_ci",
]
