"""Theme measurement with a hierarchical dictionary: how often texts talk about security,
ideology, media convergence and the other themes, in English and in Chinese.

A theme dictionary (quanteda-style) maps themes, optionally nested (``security`` →
``security/cyber``), to patterns per language. The shipped dictionary is
``analysis/data/themes.yaml``; :func:`load_dictionary` reads it, a user's own file in the same
format, or a quanteda YAML dictionary (a nested mapping of key → list of patterns).

Patterns
    * English (and any non-CJK) patterns: one element per word, matched against the word's
      lowercased **lemma or** lowercased **form**; ``*`` = any run of characters, ``?`` = one
      character (quanteda's "glob" valuetype). ``"rule of law"`` is a phrase: consecutive words
      in one sentence. A hyphenated element (``self-media``) also matches the tokenizer's split
      ``self - media``.
    * Chinese patterns without wildcards match **across word boundaries**: ``网络安全`` matches
      any run of consecutive words of one sentence whose forms (or lemmas) join to 网络安全 (UD
      GSD segments it 网络 + 安全). A match starts and ends on word boundaries, so 安全 does not
      match inside the single word 安全性. A Chinese pattern with a wildcard is matched word by
      word, like English.
    * An entry of language ``en`` or ``zh`` applies to words of that language (the Tokens
      ``lang`` column, primary subtag); ``any`` applies to every word.

Overlaps (the counting rule)
    Within one **top-level** theme, candidate matches are taken longest first (in words), then
    leftmost, then in dictionary order; a match is kept only if none of its words is already in
    a kept match. So a word belongs to at most one match per top-level theme: "national
    security" counts once (for ``security/national``), not again as "security"; "public opinion
    guidance" counts once, not again as "public opinion". Sub-theme counts therefore partition
    their top-level theme's count. Different top-level themes count independently:
    "ideological security" counts for ``security`` and for ``ideology``.

Rates
    The denominator is the number of **words**: Tokens rows whose ``upos`` is not ``PUNCT``
    (Chinese words too, not characters).

Data flow: Tokens → :func:`theme_matches` (one row per match) → :func:`theme_rates`,
:func:`theme_cooccurrence`, :func:`theme_entries`, :func:`theme_hits`. Nothing here reads
Tokens from disk or draws.
"""

from __future__ import annotations

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

from ._atomic import write_text_atomic
from .distribution import dp_norm, gries_dp
from .errors import CorpusError, DictionaryError, QueryError
from .query import metadata_mask

#: Language keys of a dictionary leaf. ``any`` (or a plain list) applies to every language.
LANGUAGES = ("en", "zh", "any")
#: Separator of theme paths ("security/cyber").
THEME_SEP = "/"
#: Units for :func:`theme_cooccurrence`.
UNITS = {"sentence": ("doc_id", "sent"), "paragraph": ("doc_id", "par"), "document": ("doc_id",)}
#: Grouping columns :func:`theme_rates` accepts besides any Tokens column.
DERIVED_GROUPS = ("month",)

_NO_SPACE_LANGS = frozenset({"zh", "ja", "th"})
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_WILDCARDS = set("*?")
_BAD_GLOB_CHARS = set("[]{}")
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
        _check_level(level)
        seen: dict[str, None] = {}
        for e in self.entries:
            seen.setdefault(e.theme_at(level), None)
        return list(seen)

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
    return bool(node) and all(k in LANGUAGES and isinstance(v, list) for k, v in node.items())


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
    language (``en``, ``zh``, ``any``) to a list of patterns. Patterns are lowercased (quanteda's
    ``tolower = TRUE``) and whitespace-normalised; a pattern repeated in one theme and language
    is kept once.

    Raises :class:`~analysis.errors.DictionaryError` naming the key and the line for: YAML
    syntax errors, a non-list value, an empty list or pattern, a pattern that is not text, a bad
    glob (``[...]``/``{...}`` classes, or a word that is only wildcards), an unknown language
    key, a duplicate key, a key containing ``/``.
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
    is_lang_leaf = bool(path) and any(name in LANGUAGES for name, _, _ in items)
    theme = THEME_SEP.join(path)
    if is_lang_leaf:
        for name, key, value in items:
            if name not in LANGUAGES:
                raise DictionaryError(f"{source}: line {key.start_mark.line + 1}: unknown language key {name!r} "
                                      f"in theme {theme!r}; use {', '.join(LANGUAGES)} (or put sub-themes "
                                      "in a theme without language keys)")
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


def _as_dictionary(dictionary: Dictionary | str | os.PathLike | Mapping | None) -> Dictionary:
    if dictionary is None:
        return load_dictionary()
    if isinstance(dictionary, Dictionary):
        return dictionary
    if isinstance(dictionary, Mapping):
        return Dictionary.from_mapping(dictionary)
    if isinstance(dictionary, (str, os.PathLike)):
        return load_dictionary(dictionary)
    raise DictionaryError(f"expected a Dictionary, a path or a mapping, not {type(dictionary).__name__}")


def _check_level(level: int) -> None:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 1:
        raise QueryError(f"level must be a whole number >= 1 (1 = top-level themes), not {level!r}")


# --------------------------------------------------------------------------------------------
# Matching


def _glob_regex(word: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in word), re.S)


class _Vocab:
    """Lowercased lemma and form of every row, as ids into one shared vocabulary."""

    def __init__(self, tokens: pd.DataFrame):
        vocab: dict[str, int] = {}

        def ids(col: pd.Series) -> np.ndarray:
            if not isinstance(col.dtype, pd.CategoricalDtype):
                col = col.astype(str).astype("category")
            cat_ids = np.array([vocab.setdefault(str(c).lower(), len(vocab)) for c in col.cat.categories]
                               + [vocab.setdefault("", len(vocab))], dtype=np.int64)
            return cat_ids[col.cat.codes.to_numpy()]

        self.form = ids(tokens["form"])
        self.lemma = ids(tokens["lemma"]) if "lemma" in tokens.columns else self.form
        self.words = list(vocab)
        self._cache: dict[str, np.ndarray] = {}

    def mask(self, word: str) -> np.ndarray:
        """Rows whose lowercased lemma or form matches the glob ``word``."""
        hit = self._cache.get(word)
        if hit is None:
            if _WILDCARDS & set(word):
                rx = _glob_regex(word)
                vocab_hit = np.fromiter((rx.fullmatch(w) is not None for w in self.words), bool, len(self.words))
            else:
                vocab_hit = np.fromiter((w == word for w in self.words), bool, len(self.words))
            vocab_hit[self.words.index("")] = False
            hit = vocab_hit[self.lemma] | vocab_hit[self.form]
            self._cache[word] = hit
        return hit


def _variants(pattern: str) -> list[list[str]]:
    """Word sequences a pattern matches: as written, and with hyphenated words split (a - b)."""
    words = pattern.split(" ")
    out = [words]
    if any("-" in w.strip("-") for w in words):
        split: list[str] = []
        for w in words:
            parts = w.split("-")
            if len(parts) > 1 and all(parts):
                for i, part in enumerate(parts):
                    if i:
                        split.append("-")
                    split.append(part)
            else:
                split.append(w)
        out.append(split)
    return out


def _is_cjk_literal(pattern: str) -> bool:
    return bool(_CJK.search(pattern)) and " " not in pattern and not (_WILDCARDS & set(pattern))


class _Matcher:
    """Candidate spans of every dictionary entry in one Tokens table."""

    def __init__(self, tokens: pd.DataFrame):
        _check_tokens(tokens)
        self.tokens = tokens
        self.n = len(tokens)
        self.vocab = _Vocab(tokens)
        doc = tokens["doc_id"].cat.codes.to_numpy() if isinstance(tokens["doc_id"].dtype, pd.CategoricalDtype) \
            else pd.Categorical(tokens["doc_id"]).codes
        sent = tokens["sent"].to_numpy()
        new = np.ones(self.n, dtype=bool)
        if self.n:
            new[1:] = (doc[1:] != doc[:-1]) | (sent[1:] != sent[:-1])
        self.sent_id = np.cumsum(new) - 1
        lang = tokens["lang"].astype(str).str.split("-").str[0].str.lower().to_numpy() if "lang" in tokens.columns \
            else np.full(self.n, "", dtype=object)
        self.lang = lang
        self._lang_masks: dict[str, np.ndarray] = {}
        self._concat: dict[str, tuple[str, dict[int, int], dict[int, int]]] = {}

    def lang_mask(self, lang: str) -> np.ndarray:
        if lang == "any":
            return np.ones(self.n, dtype=bool)
        if lang not in self._lang_masks:
            self._lang_masks[lang] = self.lang == lang
        return self._lang_masks[lang]

    def spans(self, entry: DictionaryEntry) -> tuple[np.ndarray, np.ndarray]:
        """(start rows, end rows) of every occurrence of ``entry`` (overlaps not yet resolved)."""
        ok = self.lang_mask(entry.lang)
        if _is_cjk_literal(entry.pattern):
            return self._cjk_spans(entry.pattern, ok)
        starts_all, ends_all = [], []
        for words in _variants(entry.pattern):
            k = len(words)
            if k > self.n:
                continue
            m = self.n - k + 1
            hit = ok[:m].copy()
            for i, w in enumerate(words):
                hit &= self.vocab.mask(w)[i:i + m] & ok[i:i + m]
            if k > 1:
                hit &= self.sent_id[:m] == self.sent_id[k - 1:]
            s = np.flatnonzero(hit)
            starts_all.append(s)
            ends_all.append(s + k)
        if not starts_all:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(starts_all), np.concatenate(ends_all)

    def _concatenation(self, field_name: str) -> tuple[str, dict[int, int], dict[int, int]]:
        """All rows' lowercased ``field_name`` joined, a separator between sentences; maps of
        character offsets at word starts → row and word ends → row + 1."""
        if field_name not in self._concat:
            ids = self.vocab.lemma if field_name == "lemma" else self.vocab.form
            words = self.vocab.words
            parts, starts, ends, pos = [], {}, {}, 0
            prev_sent = -1
            for row, (wid, sid) in enumerate(zip(ids.tolist(), self.sent_id.tolist())):
                if sid != prev_sent:
                    parts.append("\x1f")
                    pos += 1
                    prev_sent = sid
                w = words[wid]
                starts[pos] = row
                parts.append(w)
                pos += len(w)
                ends[pos] = row + 1
            self._concat[field_name] = ("".join(parts), starts, ends)
        return self._concat[field_name]

    def _cjk_spans(self, literal: str, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found: set[tuple[int, int]] = set()
        for field_name in ("form", "lemma"):
            text, starts, ends = self._concatenation(field_name)
            i = text.find(literal)
            while i >= 0:
                s, e = starts.get(i), ends.get(i + len(literal))
                if s is not None and e is not None and e > s and ok[s:e].all():
                    found.add((s, e))
                i = text.find(literal, i + 1)
        if not found:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        arr = np.array(sorted(found), dtype=np.int64)
        return arr[:, 0], arr[:, 1]


def _check_tokens(tokens: pd.DataFrame) -> None:
    if not isinstance(tokens, pd.DataFrame):
        raise QueryError(f"expected a Tokens DataFrame, not {type(tokens).__name__}")
    missing = [c for c in ("doc_id", "par", "sent", "form", "upos") if c not in tokens.columns]
    if missing:
        raise QueryError(f"this table lacks the Tokens column(s) {', '.join(missing)}; "
                         "build it with analysis.tokens.load_tokens or tokens_from_conllu")


_MATCH_COLUMNS = ["doc_id", "par", "sent", "start", "end", "n_words", "theme", "entry", "entry_lang", "text"]


def theme_matches(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None
                  ) -> pd.DataFrame:
    """Every dictionary match in ``tokens``, after resolving overlaps (see the module docstring).

    Rule: within each top-level theme, longest match (in words) wins, then the leftmost, then
    the earlier dictionary entry; a word belongs to at most one match per top-level theme.

    Returns one row per match, in reading order: ``doc_id, par, sent, start, end`` (row
    positions in ``tokens``, end exclusive), ``n_words``, ``theme`` (the entry's full theme
    path), ``entry`` (the pattern), ``entry_lang`` (the entry's language key) and ``text``
    (the matched forms).
    """
    d = _as_dictionary(dictionary)
    tokens = tokens.reset_index(drop=True)
    if len(tokens) == 0:
        return pd.DataFrame({c: [] for c in _MATCH_COLUMNS})
    matcher = _Matcher(tokens)
    by_top: dict[str, list[tuple[int, int, int]]] = {}
    for k, entry in enumerate(d.entries):
        s, e = matcher.spans(entry)
        lst = by_top.setdefault(entry.top, [])
        lst.extend(zip(s.tolist(), e.tolist(), [k] * len(s)))
    kept: list[tuple[int, int, int]] = []
    for cands in by_top.values():
        cands.sort(key=lambda c: (-(c[1] - c[0]), c[0], c[2]))
        taken = np.zeros(matcher.n, dtype=bool)
        for s, e, k in cands:
            if not taken[s:e].any():
                taken[s:e] = True
                kept.append((s, e, k))
    kept.sort(key=lambda c: (c[0], d.entries[c[2]].top, c[1]))
    forms = tokens["form"].astype(str).tolist()
    rows = []
    for s, e, k in kept:
        entry = d.entries[k]
        sep = "" if matcher.lang[s] in _NO_SPACE_LANGS else " "
        rows.append((s, e, e - s, entry.theme, entry.pattern, entry.lang, sep.join(forms[s:e])))
    out = pd.DataFrame(rows, columns=_MATCH_COLUMNS[3:])
    starts = out["start"].to_numpy(dtype=np.int64)
    out.insert(0, "sent", tokens["sent"].to_numpy()[starts].astype(np.int64))
    out.insert(0, "par", tokens["par"].to_numpy()[starts].astype(np.int64))
    out.insert(0, "doc_id", np.asarray(tokens["doc_id"].astype(str).to_numpy(), dtype=object)[starts])
    return out


# --------------------------------------------------------------------------------------------
# Statistics


def poisson_exact_ci(count, exposure=1.0, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood 1936) confidence interval of a Poisson rate ``count / exposure``.

    lower = χ²(α/2; 2k) / 2, upper = χ²(1 − α/2; 2k + 2) / 2 (lower = 0 when k = 0), divided by
    ``exposure``. Garwood, F. (1936), "Fiducial limits for the Poisson distribution",
    *Biometrika* 28, 437–442; the same interval as R's ``poisson.test``.
    """
    k = np.asarray(count, dtype=float)
    t = np.asarray(exposure, dtype=float)
    if not 0 < conf < 1:
        raise QueryError(f"conf must be between 0 and 1, not {conf!r}")
    alpha = 1.0 - conf
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
        high = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return low / t, high / t


def _group_keys(tokens: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[list[str], pd.DataFrame]:
    if by is None:
        cols: list[str] = []
    elif isinstance(by, str):
        cols = [by]
    else:
        cols = [str(b) for b in by]
    for c in cols:
        if c not in tokens.columns and c not in DERIVED_GROUPS:
            raise QueryError(f"cannot group by {c!r}: no such column; use doc_id, voice, kind, outlet, lang, "
                             "month or another Tokens column")
    if len(set(cols)) != len(cols):
        raise QueryError(f"by names a column twice: {cols}")
    keys = pd.DataFrame(index=tokens.index)
    for c in cols:
        if c == "month" and "month" not in tokens.columns:
            keys[c] = _month(tokens)
        else:
            keys[c] = tokens[c].astype(str).to_numpy()
    return cols, keys


def _month(tokens: pd.DataFrame) -> np.ndarray:
    """``YYYY-MM`` from the ISO ``date`` column; empty or non-ISO dates give "unknown"."""
    if "date" not in tokens.columns:
        raise QueryError("cannot group by month: the Tokens table has no date column")
    dates = tokens["date"].astype(str)
    month = dates.str.extract(r"^(\d{4}-\d{2})", expand=False)
    return month.fillna("unknown").to_numpy(dtype=object)


def _words_mask(tokens: pd.DataFrame) -> np.ndarray:
    return (tokens["upos"].astype(str) != "PUNCT").to_numpy()


def _group_order(keys: pd.DataFrame, cols: list[str], tokens: pd.DataFrame) -> pd.DataFrame:
    """Distinct groups in reading order (documents by date when doc_id is a group column)."""
    groups = keys.drop_duplicates().reset_index(drop=True)
    if "doc_id" in cols and "date" in tokens.columns:
        first = tokens.drop_duplicates("doc_id").set_index(tokens.drop_duplicates("doc_id")["doc_id"].astype(str))
        dates = groups["doc_id"].map(first["date"].astype(str))
        groups = groups.assign(_date=dates.replace("", "9999")).sort_values("_date", kind="stable")
        groups = groups.drop(columns="_date").reset_index(drop=True)
    return groups


_RESERVED = ("theme", "subtheme", "entry", "entry_lang", "count", "tokens", "share")


def _matches_at(tokens: pd.DataFrame, matches: pd.DataFrame, keys: pd.DataFrame, cols: list[str],
                level: int) -> pd.DataFrame:
    """Matches with their group columns, ``theme`` at ``level`` and ``subtheme`` (full path)."""
    clash = [c for c in cols if c in _RESERVED]
    if clash:
        raise QueryError(f"cannot group by {', '.join(clash)}: the name is taken by a result column")
    starts = matches["start"].to_numpy(dtype=np.int64)
    m = pd.DataFrame({c: keys[c].to_numpy()[starts] for c in cols})
    m["theme"] = [THEME_SEP.join(t.split(THEME_SEP)[:level]) for t in matches["theme"]]
    m["subtheme"] = matches["theme"].to_numpy(dtype=object)
    m["entry"] = matches["entry"].to_numpy(dtype=object)
    m["entry_lang"] = matches["entry_lang"].to_numpy(dtype=object)
    return m


def theme_rates(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
                by: str | Sequence[str] | None = "doc_id", level: int = 1, conf: float = 0.95) -> pd.DataFrame:
    """Theme counts and rates per 1,000 words by group, with exact Poisson CIs and DP.

    Parameters
    ----------
    by
        Grouping column(s) of the Tokens table: ``doc_id`` (default), ``voice``, ``kind``,
        ``outlet``, ``lang``..., ``month`` (``YYYY-MM`` of the document's ISO ``date``; empty
        dates → ``"unknown"``), or a list of them; ``None`` = the whole table.
    level
        Theme level: 1 = top-level themes, 2 = sub-themes ("security/cyber").
    conf
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        One row per group × theme (every theme of the dictionary, zero counts included):
        the group columns, ``theme``, ``count`` (matches, overlaps resolved as in
        :func:`theme_matches`), ``tokens`` (words in the group: rows whose ``upos`` is not
        ``PUNCT``), ``rate_per_1000``, ``ci_low``, ``ci_high`` (exact Poisson interval of the
        rate, Garwood 1936, :func:`poisson_exact_ci`: the count is treated as a Poisson count
        with the group's words as exposure), ``dp`` (Gries's 2008 deviation of proportions of
        the theme over the groups of this table, parts weighted by their words — the same
        value on every row of a theme; NaN for a theme that never occurs or with one group;
        :func:`analysis.distribution.gries_dp`) and ``dp_norm`` (Lijffijt & Gries 2012). When ``doc_id`` is a group
        column the document ``date`` is added and documents are ordered by date.
    """
    _check_tokens(tokens)
    _check_level(level)
    d = _as_dictionary(dictionary)
    tokens = tokens.reset_index(drop=True)
    if len(tokens) == 0:
        raise CorpusError("the Tokens table is empty; nothing to measure")
    cols, keys = _group_keys(tokens, by)
    words = _words_mask(tokens)
    gcols = cols or ["_all"]
    if not cols:
        keys["_all"] = "all"
    sizes = keys[words].groupby(gcols, sort=False).size().rename("tokens")
    groups = _group_order(keys[gcols], cols, tokens) if cols else pd.DataFrame({"_all": ["all"]})
    themes = d.themes(level)
    matches = _matches_at(tokens, theme_matches(tokens, d), keys, gcols, level)
    counts = matches.groupby(gcols + ["theme"], sort=False).size().rename("count")
    grid = groups.merge(pd.DataFrame({"theme": themes}), how="cross")
    grid = grid.merge(counts.reset_index(), on=gcols + ["theme"], how="left")
    grid = grid.merge(sizes.reset_index(), on=gcols, how="left")
    grid["count"] = grid["count"].fillna(0).astype(np.int64)
    grid["tokens"] = grid["tokens"].fillna(0).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = grid["tokens"].to_numpy(dtype=float) / 1000.0
        grid["rate_per_1000"] = np.where(per > 0, grid["count"] / np.where(per > 0, per, 1), np.nan)
        low, high = poisson_exact_ci(grid["count"].to_numpy(), np.where(per > 0, per, np.nan), conf)
    grid["ci_low"], grid["ci_high"] = low, high
    dps, norms = {}, {}
    for theme, sub in grid[grid["tokens"] > 0].groupby("theme", sort=False):
        ok = len(sub) > 1 and sub["count"].sum() > 0
        dps[theme] = gries_dp(sub["count"], sub["tokens"]) if ok else float("nan")
        norms[theme] = dp_norm(sub["count"], sub["tokens"]) if ok else float("nan")
    grid["dp"] = grid["theme"].map(dps)
    grid["dp_norm"] = grid["theme"].map(norms)
    if not cols:
        grid = grid.drop(columns="_all")
    if "doc_id" in cols and "date" in tokens.columns and "date" not in cols:
        first = tokens.drop_duplicates("doc_id")
        date = dict(zip(first["doc_id"].astype(str), first["date"].astype(str)))
        grid.insert(len(cols), "date", grid["doc_id"].map(date))
    order = {t: i for i, t in enumerate(themes)}
    grid["_t"] = grid["theme"].map(order)
    grid["_g"] = grid.groupby(cols, sort=False).ngroup() if cols else 0
    grid = grid.sort_values(["_g", "_t"], kind="stable").drop(columns=["_g", "_t"]).reset_index(drop=True)
    return grid


def theme_entries(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
                  by: str | Sequence[str] | None = None, level: int = 1) -> pd.DataFrame:
    """Which dictionary entries drive each theme: one row per (group,) theme and entry.

    Columns: the group columns (if ``by``), ``theme`` (at ``level``), ``subtheme`` (the entry's
    full theme path), ``entry`` (the pattern), ``entry_lang`` (its language key), ``count`` (its matches, overlaps
    resolved as in :func:`theme_matches`) and ``share`` (count / the theme's count in the
    group). Sorted by group, theme (dictionary order) and count (descending). Entries without
    matches are left out.
    """
    _check_tokens(tokens)
    _check_level(level)
    d = _as_dictionary(dictionary)
    tokens = tokens.reset_index(drop=True)
    cols, keys = _group_keys(tokens, by)
    matches = _matches_at(tokens, theme_matches(tokens, d), keys, cols, level)
    out_cols = cols + ["theme", "subtheme", "entry", "entry_lang", "count", "share"]
    if matches.empty:
        return pd.DataFrame({c: [] for c in out_cols})
    counts = matches.groupby(cols + ["theme", "subtheme", "entry", "entry_lang"], sort=False).size().rename("count")
    out = counts.reset_index()
    total = out.groupby(cols + ["theme"], sort=False)["count"].transform("sum")
    out["share"] = out["count"] / total
    order = {t: i for i, t in enumerate(d.themes(level))}
    out["_t"] = out["theme"].map(order)
    out = out.sort_values(cols + ["_t", "count", "subtheme", "entry"], ascending=[True] * len(cols) + [True, False, True, True],
                          kind="stable")
    return out.drop(columns="_t").reset_index(drop=True)[out_cols]


def theme_cooccurrence(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
                       unit: str = "sentence", level: int = 1) -> pd.DataFrame:
    """Which themes occur together in the same sentence (paragraph, document), with association.

    For each pair of themes (a, b), over all ``unit``s of the table that contain a word
    (``n_units``): ``n_a``, ``n_b`` units containing each theme, ``n_ab`` containing both. From
    the 2×2 table (n₁₁ = n_ab, n₁₂ = n_a − n_ab, n₂₁ = n_b − n_ab, n₂₂ = the rest):

    * ``log_odds_ratio`` = ln[(n₁₁+½)(n₂₂+½) / ((n₁₂+½)(n₂₁+½))], the Haldane–Anscombe
      correction (Haldane 1956, *Annals of Human Genetics* 20, 309–311), and its standard error
      ``se_log_odds`` = √Σ 1/(nᵢⱼ+½) (Woolf 1955);
    * ``pmi`` = log₂(n_ab · N / (n_a · n_b)), pointwise mutual information (Church & Hanks 1990,
      *Computational Linguistics* 16(1)); NaN when n_ab = 0;
    * ``jaccard`` = n_ab / (n_a + n_b − n_ab) (Jaccard 1912).

    Rows are pairs in dictionary order (a before b), including pairs that never co-occur.
    """
    _check_tokens(tokens)
    _check_level(level)
    if unit not in UNITS:
        raise QueryError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    d = _as_dictionary(dictionary)
    tokens = tokens.reset_index(drop=True)
    unit_cols = list(UNITS[unit])
    ukeys = tokens[unit_cols].astype(str).agg("\x1f".join, axis=1) if len(tokens) else pd.Series([], dtype=object)
    words = _words_mask(tokens)
    n_units = int(ukeys[words].nunique())
    themes = d.themes(level)
    matches = theme_matches(tokens, d)
    present: dict[str, set] = {t: set() for t in themes}
    if len(matches):
        unit_of = ukeys.to_numpy()[matches["start"].to_numpy(dtype=np.int64)]
        for full, u in zip(matches["theme"], unit_of):
            present[THEME_SEP.join(full.split(THEME_SEP)[:level])].add(u)
    rows = []
    for i, a in enumerate(themes):
        for b in themes[i + 1:]:
            na, nb = len(present[a]), len(present[b])
            nab = len(present[a] & present[b])
            rows.append((a, b, na, nb, nab, n_units))
    out = pd.DataFrame(rows, columns=["theme_a", "theme_b", "n_a", "n_b", "n_ab", "n_units"])
    n11 = out["n_ab"].to_numpy(dtype=float)
    n12 = out["n_a"].to_numpy(dtype=float) - n11
    n21 = out["n_b"].to_numpy(dtype=float) - n11
    n22 = out["n_units"].to_numpy(dtype=float) - n11 - n12 - n21
    out["log_odds_ratio"] = np.log((n11 + .5) * (n22 + .5) / ((n12 + .5) * (n21 + .5)))
    out["se_log_odds"] = np.sqrt(1 / (n11 + .5) + 1 / (n12 + .5) + 1 / (n21 + .5) + 1 / (n22 + .5))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = out["n_a"].to_numpy(dtype=float) * out["n_b"].to_numpy(dtype=float) / out["n_units"].to_numpy(dtype=float)
        out["pmi"] = np.where(n11 > 0, np.log2(n11 / expected), np.nan)
        union = out["n_a"] + out["n_b"] - out["n_ab"]
        out["jaccard"] = np.where(union > 0, out["n_ab"] / union.where(union > 0, 1), np.nan)
    return out


def theme_hits(tokens: pd.DataFrame, dictionary: Dictionary | str | os.PathLike | Mapping | None = None, *,
               theme: str, window: int = 5, where: Mapping[str, Any] | None = None, **filters: Any) -> pd.DataFrame:
    """The KWIC lines behind any cell of :func:`theme_rates` / :func:`theme_entries`.

    ``theme`` is a theme at any level ("security" or "security/cyber"); ``where`` / ``filters``
    select the cell's group: ``voice="official"``, ``doc_id="..."``, ``month="2014-08"``,
    a list (one of) or a ``(low, high)`` range as in :func:`analysis.concordance.kwic`.
    Context is ``window`` words each side, within the paragraph; English words are joined by
    spaces, Chinese without.

    Returns columns ``doc_id, par, sent, left, match, right, theme, entry, lang, voice``
    (``theme`` = the entry's full theme path), in reading order. ``len(theme_hits(...))``
    equals the cell's ``count``.
    """
    _check_tokens(tokens)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
        raise QueryError(f"window must be a whole number >= 0, not {window!r}")
    d = _as_dictionary(dictionary)
    known = set(d.themes(d.depth or 1)) | {t for lvl in range(1, (d.depth or 1) + 1) for t in d.themes(lvl)}
    if theme not in known:
        raise QueryError(f"unknown theme {theme!r}; themes: {', '.join(d.themes(1))} "
                         "(sub-themes as security/cyber)")
    tokens = tokens.reset_index(drop=True)
    filt = dict(where or {}, **filters)
    matches = theme_matches(tokens, d)
    keep = (matches["theme"] == theme) | matches["theme"].str.startswith(theme + THEME_SEP)
    matches = matches[keep]
    if filt:
        cols, keys = _group_keys(tokens, [k for k in filt if k in DERIVED_GROUPS and k not in tokens.columns])
        table = tokens
        for c in cols:
            table = table.assign(**{c: keys[c].astype("category")})
        mask = metadata_mask(table, filt)
        matches = matches[mask[matches["start"].to_numpy(dtype=np.int64)]]
    forms = tokens["form"].astype(str).tolist()
    doc = tokens["doc_id"].astype(str).to_numpy()
    par = tokens["par"].to_numpy()
    lang = tokens["lang"].astype(str).to_numpy() if "lang" in tokens.columns else np.full(len(tokens), "")
    voice = tokens["voice"].astype(str).to_numpy() if "voice" in tokens.columns else np.full(len(tokens), "")
    rows = []
    n = len(tokens)
    for m in matches.itertuples(index=False):
        s, e = int(m.start), int(m.end)
        sep = "" if lang[s].split("-")[0] in _NO_SPACE_LANGS else " "
        a = s
        while a > 0 and s - a < window and doc[a - 1] == doc[s] and par[a - 1] == par[s]:
            a -= 1
        b = e
        while b < n and b - e < window and doc[b] == doc[s] and par[b] == par[s]:
            b += 1
        rows.append((m.doc_id, m.par, m.sent, sep.join(forms[a:s]), sep.join(forms[s:e]), sep.join(forms[e:b]),
                     m.theme, m.entry, lang[s], voice[s]))
    return pd.DataFrame(rows, columns=["doc_id", "par", "sent", "left", "match", "right", "theme", "entry",
                                       "lang", "voice"])


__all__ = [
    "Dictionary", "DictionaryEntry", "LANGUAGES", "default_dictionary_path", "load_dictionary",
    "save_dictionary", "theme_matches", "theme_rates", "theme_entries", "theme_cooccurrence", "theme_hits",
    "poisson_exact_ci",
]
