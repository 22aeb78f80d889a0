"""The Tifa query language and its vectorised matcher over a Tokens table.

A query is one or more *terms* separated by spaces; several terms match consecutive words (a
phrase) inside one paragraph. A term is one or more *constraints* joined by ``&``, all of which
the word must meet. The full grammar is documented in ``docs/query-language.md``::

    security                  form "security" (case-insensitive by default)
    lemma:security            lemma
    secur*  lemma:secur?ty    glob: * any characters, ? one character (\\* a literal star)
    /secur(e|ity)/            regular expression (Python syntax), matched against the whole form;
    lemma:/secur(e|ity)/      on another field after the field name
    upos:NOUN                 any column: form, lemma, upos (alias pos), xpos, deprel, feats
    lemma:security&upos:NOUN  both constraints on one word
    public opinion            a phrase: two consecutive words
    "rule of law"             a quoted phrase: each word a literal form (no glob, no fields)
    lemma:security&deprel:obj&head(lemma:safeguard)
                              dependency: the word's head meets the inner term
    lemma:security&child(amod,lemma:ideological)
                              dependency: the word has a child with relation amod meeting the
                              inner term (``child(lemma:ideological)``: any relation)

For languages written without spaces (Chinese; :mod:`analysis.languages`) a literal form term also matches a run of consecutive
words whose forms concatenate to it: segmentation follows UD GSD, so ``网络安全`` matches the two
words 网络 + 安全. The match then spans both words.

Matching works on the integer codes of the categorical columns: each constraint is evaluated
once per distinct value (the categories) and broadcast to the rows with one numpy take, so a
query over ten million words costs a few array operations.
"""

from __future__ import annotations

import collections
import contextvars
import re
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import QueryError
from .languages import is_spaced

#: Token columns a constraint can name, with their aliases.
FIELDS = ("form", "lemma", "upos", "xpos", "deprel", "feats")
_ALIASES = {"pos": "upos", "word": "form", "rel": "deprel"}


_FIELD_RE = re.compile(r"^([A-Za-z_]+):(.*)$", re.S)


# --------------------------------------------------------------------------------------------
# The parsed query


@dataclass(frozen=True)
class Pattern:
    """One value to match: ``kind`` is ``literal``, ``glob`` or ``regex``."""

    kind: str
    text: str

    def regex(self) -> str:
        """The pattern as a Python regular expression matched against the whole value."""
        if self.kind == "regex":
            return self.text
        if self.kind == "literal":
            return re.escape(self.text)
        out, i = [], 0
        while i < len(self.text):
            ch = self.text[i]
            if ch == "\\" and i + 1 < len(self.text):
                out.append(re.escape(self.text[i + 1]))
                i += 2
                continue
            out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
            i += 1
        return "".join(out)


@dataclass(frozen=True)
class Constraint:
    """``field`` (a Tokens column) must match ``pattern``; or, with ``alternatives``, any one of them.

    ``lemma:secur*|secur*`` parses to one constraint whose alternatives are the two single
    constraints (its own ``field`` and ``pattern`` are then unused: ``field == ""``).
    """

    field: str
    pattern: Pattern
    alternatives: tuple["Constraint", ...] = ()


@dataclass(frozen=True)
class Term:
    """One word: every constraint holds, its head meets ``head``, it has every child in ``children``.

    ``children`` holds ``(deprel pattern or None, Term)`` pairs.
    """

    constraints: tuple[Constraint, ...] = ()
    head: "Term | None" = None
    children: tuple[tuple[Pattern | None, "Term"], ...] = ()

    def with_dependencies(self, *, head: "Term | None" = None, deprel: Pattern | None = None,
                          children: tuple[tuple[Pattern | None, "Term"], ...] = ()) -> "Term":
        cons = self.constraints + ((Constraint("deprel", deprel),) if deprel is not None else ())
        if head is not None and self.head is not None:
            raise QueryError("the query already names a head(...); give the head either in the query or as head=")
        return Term(cons, head if head is not None else self.head, self.children + children)


@dataclass(frozen=True)
class Query:
    """A parsed query: its terms, matched on consecutive words. ``text`` is what the user wrote."""

    terms: tuple[Term, ...]
    text: str = ""

    def __len__(self) -> int:
        return len(self.terms)


# --------------------------------------------------------------------------------------------
# Parsing


def _split_top(text: str, seps: str, what: str, query: str) -> list[str]:
    """Split ``text`` at any character of ``seps`` outside parentheses, /regex/ and "quotes"."""
    parts, buf, depth, i = [], [], 0, 0
    in_regex = in_quote = False
    while i < len(text):
        ch = text[i]
        if in_regex:
            buf.append(ch)
            if ch == "\\" and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 2
                continue
            if ch == "/":
                in_regex = False
        elif in_quote:
            buf.append(ch)
            if ch == '"':
                in_quote = False
        elif ch == "/" and (not buf or buf[-1] in ":(,&|"):
            in_regex = True
            buf.append(ch)
        elif ch == '"':
            in_quote = True
            buf.append(ch)
        elif ch == "\\" and i + 1 < len(text):
            buf.extend(text[i:i + 2])
            i += 2
            continue
        elif ch == "(":
            depth += 1
            buf.append(ch)
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(f"unbalanced ')' in {what} {query!r}; every ')' needs an opening 'head(' or 'child('")
            buf.append(ch)
        elif ch in seps and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if in_regex:
        raise QueryError(f"unterminated regular expression in {query!r}; close it with '/' (write \\/ for a slash)")
    if in_quote:
        raise QueryError(f'unterminated quote in {query!r}; close the phrase with "')
    if depth:
        raise QueryError(f"unbalanced '(' in {query!r}; close head(...) or child(...) with ')'")
    parts.append("".join(buf))
    return parts


def _parse_pattern(value: str, query: str) -> Pattern:
    if not value:
        raise QueryError(f"empty value in {query!r}; write e.g. lemma:security")
    if value.startswith("/"):
        if len(value) < 2 or not value.endswith("/") or value.endswith("\\/") and not value.endswith("\\\\/"):
            raise QueryError(f"malformed regular expression {value!r} in {query!r}; write /pattern/")
        body = value[1:-1].replace("\\/", "/")
        if not body:
            raise QueryError(f"empty regular expression in {query!r}")
        try:
            re.compile(body)
        except re.error as exc:
            raise QueryError(f"invalid regular expression /{body}/ in {query!r}: {exc}") from None
        return Pattern("regex", body)
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return Pattern("literal", value[1:-1])
    if re.search(r"(?<!\\)[()&|]", value):
        raise QueryError(f"unexpected character in {value!r} of {query!r}; quote it (\"...\") or escape it with \\")
    if re.search(r"(?<!\\)[*?]", value):
        return Pattern("glob", value)
    return Pattern("literal", re.sub(r"\\(.)", r"\1", value))


def _field_name(name: str, query: str) -> str:
    key = name.lower()
    key = _ALIASES.get(key, key)
    if key not in FIELDS:
        known = ", ".join(FIELDS)
        raise QueryError(f"unknown field {name!r} in {query!r}; known fields: {known} (pos = upos)")
    return key


def _parse_inner(body: str, query: str, what: str) -> str:
    body = body.strip()
    if not body:
        raise QueryError(f"empty {what}(...) in {query!r}; write e.g. {what}(lemma:safeguard)")
    return body


def _simple_constraint(part: str, query: str) -> Constraint:
    """One ``field:pattern`` (or a bare pattern on ``form``)."""
    if part.lower().startswith(("head(", "child(")):
        raise QueryError(f"head(...) and child(...) cannot be alternatives ('|') in {query!r}")
    m = _FIELD_RE.match(part)
    if m and not part.startswith(("/", '"')):
        return Constraint(_field_name(m.group(1), query), _parse_pattern(m.group(2), query))
    return Constraint("form", _parse_pattern(part, query))


def parse_term(text: str, query: str | None = None) -> Term:
    """Parse one term (no spaces outside quotes/parentheses): constraints joined by ``&``."""
    query = text if query is None else query
    if not text:
        raise QueryError(f"empty term in {query!r}")
    constraints: list[Constraint] = []
    head: Term | None = None
    children: list[tuple[Pattern | None, Term]] = []
    for part in _split_top(text, "&", "term", query):
        part = part.strip()
        if not part:
            raise QueryError(f"empty constraint around '&' in {query!r}; write e.g. lemma:security&upos:NOUN")
        low = part.lower()
        if low.startswith("head(") and part.endswith(")"):
            if head is not None:
                raise QueryError(f"two head(...) constraints in {query!r}; a word has one head")
            head = parse_term(_parse_inner(part[5:-1], query, "head"), query)
        elif low.startswith("child(") and part.endswith(")"):
            inner = _parse_inner(part[6:-1], query, "child")
            pieces = _split_top(inner, ",", "child(...)", query)
            if len(pieces) == 1:
                children.append((None, parse_term(pieces[0].strip(), query)))
            elif len(pieces) == 2:
                rel = pieces[0].strip()
                children.append((_parse_pattern(rel, query), parse_term(pieces[1].strip(), query)))
            else:
                raise QueryError(f"child(...) takes a relation and a term, e.g. child(amod,lemma:ideological); got {part!r}")
        elif low.startswith(("head(", "child(")):
            raise QueryError(f"malformed {part!r} in {query!r}; write head(TERM) or child(DEPREL,TERM)")
        else:
            pieces = _split_top(part, "|", "term", query)
            if len(pieces) > 1:
                if any(not x.strip() for x in pieces):
                    raise QueryError(f"empty alternative around '|' in {query!r}; write e.g. lemma:secur*|secur*")
                alts = tuple(_simple_constraint(x.strip(), query) for x in pieces)
                constraints.append(Constraint("", Pattern("literal", ""), alts))
            else:
                constraints.append(_simple_constraint(part, query))
    if not constraints and head is None and not children:
        raise QueryError(f"term {text!r} in {query!r} constrains nothing")
    return Term(tuple(constraints), head, tuple(children))


def parse_query(query: str | Query) -> Query:
    """Parse a query string into a :class:`Query`; raise :class:`QueryError` if malformed.

    >>> [c.field for c in parse_query("lemma:security&upos:NOUN").terms[0].constraints]
    ['lemma', 'upos']
    >>> len(parse_query('"rule of law"'))
    3
    """
    if isinstance(query, Query):
        return query
    if not isinstance(query, str):
        raise QueryError(f"a query is a string, not {type(query).__name__}")
    text = query.strip()
    if not text:
        raise QueryError("empty query; give a word, e.g. security, lemma:security or \"public opinion\"")
    terms: list[Term] = []
    for chunk in _split_top(text, " \t\n", "query", query):
        if not chunk:
            continue
        if chunk.startswith('"') and chunk.endswith('"') and len(chunk) >= 2:
            words = chunk[1:-1].split()
            if not words:
                raise QueryError(f'empty quoted phrase in {query!r}; write e.g. "public opinion"')
            terms.extend(Term((Constraint("form", Pattern("literal", w)),)) for w in words)
        else:
            terms.append(parse_term(chunk, query))
    return Query(tuple(terms), text)


def build_query(query: str | Query, *, head: str | None = None, deprel: str | None = None,
                child: tuple[str, str] | list[tuple[str, str]] | None = None) -> Query:
    """Parse ``query`` and add keyword dependency constraints to its (single) term.

    ``head="lemma:safeguard"`` — the word's head meets this term; ``deprel="obj"`` — the word's
    own relation (a pattern: ``nmod*`` works); ``child=("amod", "lemma:ideological")`` (or a
    list of such pairs; relation ``None`` means any) — the word has such a child.
    """
    q = parse_query(query)
    if head is None and deprel is None and not child:
        return q
    if len(q.terms) != 1:
        raise QueryError(f"head=, deprel= and child= apply to a one-word query, and {q.text!r} is a phrase; "
                         "write the constraint inside the phrase instead, e.g. lemma:security&head(lemma:safeguard)")
    pairs: list[tuple[Pattern | None, Term]] = []
    if child:
        items = [child] if isinstance(child, tuple) and len(child) == 2 and isinstance(child[1], str) else list(child)
        for item in items:
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise QueryError(f"child= takes (deprel, term) pairs, e.g. ('amod', 'lemma:ideological'); got {item!r}")
            rel, term = item
            pairs.append((None if rel is None else _parse_pattern(rel, q.text), parse_term(term, term)))
    term = q.terms[0].with_dependencies(
        head=parse_term(head, head) if head is not None else None,
        deprel=_parse_pattern(deprel, q.text) if deprel is not None else None,
        children=tuple(pairs),
    )
    return Query((term,), q.text)


# --------------------------------------------------------------------------------------------
# The prepared index: arrays derived once per Tokens table


class TokenIndex:
    """Arrays derived from a Tokens table that every query needs (cached per table).

    ``par_id``/``par_bounds``: paragraph number of each row over the whole table and the first row
    of each paragraph (plus the end); same for documents. ``head_row``: the row of each word's
    head (-1 for roots). The table is assumed in reading order (doc, sent, idx), as the Tokens
    schema requires.
    """

    def __init__(self, tokens: pd.DataFrame):
        missing = [c for c in ("doc_id", "par", "sent", "idx", "head", "form") if c not in tokens.columns]
        if missing:
            raise QueryError(f"this table lacks the Tokens column(s) {', '.join(missing)}; "
                             "build it with analysis.tokens.load_tokens or tokens_from_conllu")
        n = len(tokens)
        self.n = n
        doc = _codes(tokens["doc_id"])
        par = tokens["par"].to_numpy()
        new_doc = np.ones(n, dtype=bool)
        new_par = np.ones(n, dtype=bool)
        if n:
            new_doc[1:] = doc[1:] != doc[:-1]
            new_par[1:] = new_doc[1:] | (par[1:] != par[:-1])
        self.doc_bounds = np.append(np.flatnonzero(new_doc), n)
        self.par_bounds = np.append(np.flatnonzero(new_par), n)
        self.doc_row = (np.cumsum(new_doc) - 1).astype(np.int32)
        self.par_row = (np.cumsum(new_par) - 1).astype(np.int32)
        idx = tokens["idx"].to_numpy().astype(np.int64)
        head = tokens["head"].to_numpy().astype(np.int64)
        rows = np.arange(n, dtype=np.int64)
        # Dependencies need whole sentences in order: idx runs 1, 2, 3... inside each sentence.
        sent = tokens["sent"].to_numpy() if "sent" in tokens.columns else np.zeros(n, dtype=np.int64)
        new_sent = new_par.copy()
        if n:
            new_sent[1:] |= sent[1:] != sent[:-1]
        self.sent_bounds = np.append(np.flatnonzero(new_sent), n)
        self.sent_row = (np.cumsum(new_sent) - 1).astype(np.int32)
        step_ok = np.where(new_sent, idx == 1, np.diff(idx, prepend=0) == 1)
        self.whole_sentences = bool(step_ok.all())
        head_row = np.where(head > 0, rows + head - idx, -1)
        self.head_row = head_row if self.whole_sentences else np.full(n, -1, dtype=np.int64)
        if self.whole_sentences and ((head_row >= n) | (head_row < -1)).any():
            raise QueryError("head indices point outside the table; is the Tokens table in reading order?")
        self._forms: list[str] | None = None
        self._text: tuple[str, np.ndarray, np.ndarray] | None = None
        self._postings: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
        self._source = _fingerprint(tokens)

    def require_sentences(self) -> None:
        """Raise unless the table holds whole sentences (dependency constraints need them)."""
        if not self.whole_sentences:
            raise QueryError("dependency constraints (head/child) need whole sentences, and this table has "
                             "words missing inside sentences (was it filtered by word, e.g. by upos?); "
                             "filter by paragraph metadata such as voice or lang instead, or pass the "
                             "full table and use kwic's filters")

    def forms(self, tokens: pd.DataFrame) -> list[str]:
        """The forms of all rows as a Python list (built once; slicing it is fast)."""
        if self._forms is None:
            col = tokens["form"]
            cats = np.asarray(col.cat.categories, dtype=object) if isinstance(col.dtype, pd.CategoricalDtype) else None
            if cats is not None:
                self._forms = np.append(cats, "")[_codes(col)].tolist()
            else:
                self._forms = col.astype(str).tolist()
        return self._forms

    def text(self, tokens: pd.DataFrame) -> tuple[str, np.ndarray, np.ndarray]:
        """The whole table as one string, and each row's start and end offset in it (built once).

        Words of a paragraph are separated by one space, except in languages written without
        spaces (:func:`analysis.languages.is_spaced`), so the text between two rows of one paragraph is their
        context joined as a KWIC shows it; slicing it is the fastest way to cut contexts.
        """
        if self._text is None:
            forms = self.forms(tokens)
            sep = np.ones(self.n, dtype=bool)
            sep[self.par_bounds[:-1]] = False
            if "lang" in tokens.columns:
                lang = tokens["lang"]
                cats = _category_strings(lang, lower=True) if isinstance(lang.dtype, pd.CategoricalDtype) else None
                if cats is not None:
                    nospace = np.append(np.array([not is_spaced(c) for c in cats], dtype=bool), False)
                    sep &= ~nospace[_codes(lang)]
                else:
                    sep &= np.array([is_spaced(c) for c in lang.astype(str)], dtype=bool)
            lengths = np.fromiter((len(f) for f in forms), dtype=np.int64, count=self.n)
            end = np.cumsum(lengths + sep)
            self._text = ("".join([" " + f if sp else f for f, sp in zip(forms, sep.tolist())]),
                          end - lengths, end)
        return self._text

    def postings(self, tokens: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
        """An inverted index of a categorical column: ``(rows, bounds)``.

        ``rows[bounds[c]:bounds[c + 1]]`` are the rows whose code is ``c``, ascending. Built on
        first use per column (one stable argsort) and cached with the table.
        """
        col = tokens[column]
        codes = _codes(col)
        key = codes.__array_interface__["data"][0]
        hit = self._postings.get(column)
        if hit is None or hit[0] != key:
            order = np.argsort(codes, kind="stable").astype(np.int64)
            counts = np.bincount(codes[codes >= 0], minlength=len(col.cat.categories))
            n_missing = int((codes < 0).sum())
            bounds = np.concatenate([[0], np.cumsum(counts)]) + n_missing  # code -1 sorts first
            hit = (key, order, bounds)
            self._postings[column] = hit
        return hit[1], hit[2]

    def bounds(self, within: str) -> tuple[np.ndarray, np.ndarray]:
        """(first row of each unit plus the end, unit number of each row) for ``within``
        = ``"sentence"``, ``"paragraph"`` or ``"document"``."""
        if within == "document":
            return self.doc_bounds, self.doc_row
        if within == "paragraph":
            return self.par_bounds, self.par_row
        if within == "sentence":
            return self.sent_bounds, self.sent_row
        raise QueryError(f"within must be 'sentence', 'paragraph' or 'document', not {within!r}")

    def par_start(self, rows: np.ndarray) -> np.ndarray:
        return self.par_bounds[self.par_row[rows]]

    def par_end(self, rows: np.ndarray) -> np.ndarray:
        return self.par_bounds[self.par_row[rows] + 1]

    def doc_start(self, rows: np.ndarray) -> np.ndarray:
        return self.doc_bounds[self.doc_row[rows]]


def _fingerprint(tokens: pd.DataFrame) -> tuple:
    """Identity of the arrays a TokenIndex derives from (their memory addresses and length)."""
    out: list = [len(tokens)]
    for c in ("doc_id", "par", "idx", "head", "form"):
        if c not in tokens.columns:
            out.append(None)
            continue
        col = tokens[c]
        arr = _codes(col) if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy()
        out.append(arr.__array_interface__["data"][0] if isinstance(arr, np.ndarray) else id(arr))
    if "form" in tokens.columns and isinstance(tokens["form"].dtype, pd.CategoricalDtype):
        out.append(id(tokens["form"].cat.categories))
    return tuple(out)


#: id(tokens) -> (weak reference to the table, its TokenIndex). DataFrames are unhashable, so
#: the cache is keyed on identity; the weak reference's callback drops the entry with the table.
_CACHE: dict[int, tuple[weakref.ref, "TokenIndex"]] = {}


def token_index(tokens: pd.DataFrame) -> TokenIndex:
    """The :class:`TokenIndex` of ``tokens``, built on first use and cached while the table lives.

    The cache entry is rebuilt when the table's key columns are replaced (their arrays change).
    """
    key = id(tokens)
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is tokens and entry[1]._source == _fingerprint(tokens):
        return entry[1]
    index = TokenIndex(tokens)
    try:
        ref = weakref.ref(tokens, lambda _r, key=key: _CACHE.pop(key, None))
    except TypeError:  # pragma: no cover - objects without weak references are not cached
        return index
    _CACHE[key] = (ref, index)
    return index


def _codes(col: pd.Series) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.array.codes  # a view, no copy
    return pd.Categorical(col).codes


# --------------------------------------------------------------------------------------------
# Matching


_CATEGORY_STRINGS: dict[tuple[int, bool], tuple[pd.Index, np.ndarray]] = {}


def _category_strings(col: pd.Series, lower: bool) -> np.ndarray:
    """The categories of ``col`` as an object array of str (lower-cased if asked), cached."""
    cats = col.cat.categories
    key = (id(cats), lower)
    hit = _CATEGORY_STRINGS.get(key)
    if hit is not None and hit[0] is cats:
        return hit[1]
    values = [str(c) for c in cats]
    if lower:
        values = [v.lower() for v in values]
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    if len(_CATEGORY_STRINGS) > 256:
        _CATEGORY_STRINGS.clear()
    _CATEGORY_STRINGS[key] = (cats, arr)
    return arr


#: Masks of glob and regex patterns over a column's categories (one regular expression per
#: category, the costly part of such a query), kept for the most recent patterns; keyed by the
#: identity of the categories (held, so the key stays theirs) and checked against them.
_PATTERN_MASKS: "collections.OrderedDict[tuple, tuple[pd.Index, np.ndarray]]" = collections.OrderedDict()
_PATTERN_MASKS_MAX = 256

#: Category masks computed ahead by :func:`match_many`, keyed by (id of the categories, pattern, case switch).
_MASK_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("tifa_category_masks", default=None)


def _category_mask(col: pd.Series, pattern: Pattern, case_sensitive: bool) -> np.ndarray:
    """Boolean per category of ``col`` (plus a final False for missing values)."""
    cacheable = isinstance(col.dtype, pd.CategoricalDtype)  # categories that live with the table
    if not cacheable:
        col = col.astype("category")
    memo = _MASK_MEMO.get()
    if memo is not None:
        hit = memo.get((id(col.cat.categories), pattern, case_sensitive))
        if hit is not None:
            return hit
    if pattern.kind == "literal":
        cats = _category_strings(col, lower=not case_sensitive)
        hit = cats == (pattern.text if case_sensitive else pattern.text.lower())
        return np.append(np.asarray(hit, dtype=bool), False)
    key = (id(col.cat.categories), pattern, case_sensitive)
    cached = _PATTERN_MASKS.get(key)
    if cached is not None and cached[0] is col.cat.categories:
        _PATTERN_MASKS.move_to_end(key)
        return cached[1]
    cats = _category_strings(col, lower=False)
    rx = re.compile(pattern.regex(), 0 if case_sensitive else re.IGNORECASE)
    hit = np.fromiter((rx.fullmatch(c) is not None for c in cats), dtype=bool, count=len(cats))
    mask = np.append(hit, False)
    if not cacheable:
        return mask
    mask.setflags(write=False)
    _PATTERN_MASKS[key] = (col.cat.categories, mask)
    while len(_PATTERN_MASKS) > _PATTERN_MASKS_MAX:
        _PATTERN_MASKS.popitem(last=False)
    return mask


def _category_masks(col: pd.Series, patterns: list[Pattern], case_sensitive: bool) -> list[np.ndarray]:
    """:func:`_category_mask` of each of ``patterns`` on one categorical column, the same masks, in one pass.

    Literals are looked up in a map from each (lower-cased) category to its codes, one lookup
    each. Globs are matched together: one regular expression, the alternation of all of them,
    runs once over the categories, and only the categories it accepts (those some glob matches
    in full) are tested against each glob. Regular expressions are matched one by one.
    """
    out: list[np.ndarray | None] = [None] * len(patterns)
    size = len(col.cat.categories) + 1
    literal = [i for i, p in enumerate(patterns) if p.kind == "literal"]
    if literal:
        codes: dict[str, list[int]] = {}
        for c, text in enumerate(_category_strings(col, lower=not case_sensitive).tolist()):
            codes.setdefault(text, []).append(c)
        for i in literal:
            text = patterns[i].text if case_sensitive else patterns[i].text.lower()
            mask = np.zeros(size, dtype=bool)
            mask[codes.get(text, [])] = True
            out[i] = mask
    globs = [i for i, p in enumerate(patterns) if p.kind == "glob"]
    if globs:
        flags = 0 if case_sensitive else re.IGNORECASE
        cats = _category_strings(col, lower=False).tolist()
        anyone = re.compile("|".join(f"(?:{patterns[i].regex()})" for i in globs), flags)
        accepted = [c for c, text in enumerate(cats) if anyone.fullmatch(text) is not None]
        for i in globs:
            rx = re.compile(patterns[i].regex(), flags)
            mask = np.zeros(size, dtype=bool)
            mask[[c for c in accepted if rx.fullmatch(cats[c]) is not None]] = True
            out[i] = mask
    for i, p in enumerate(patterns):
        if out[i] is None:
            out[i] = _category_mask(col, p, case_sensitive)
    return out


def constraint_mask(tokens: pd.DataFrame, constraint: Constraint, *, case_sensitive: bool = False) -> np.ndarray:
    """Rows whose ``constraint.field`` matches ``constraint.pattern`` (one bool per row)."""
    if constraint.alternatives:
        mask = np.zeros(len(tokens), dtype=bool)
        for alt in constraint.alternatives:
            mask |= constraint_mask(tokens, alt, case_sensitive=case_sensitive)
        return mask
    if constraint.field not in tokens.columns:
        raise QueryError(f"this Tokens table has no column {constraint.field!r}")
    col = tokens[constraint.field]
    return _broadcast(_category_mask(col, constraint.pattern, case_sensitive), _codes(col))


def _broadcast(cat_mask: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Row mask from a per-category mask (last entry: missing values, code -1)."""
    hits = np.flatnonzero(cat_mask[:-1])
    if len(hits) <= 4 and not cat_mask[-1]:  # a few categories: comparisons beat a gather
        mask = np.zeros(len(codes), dtype=bool)
        for h in hits.tolist():
            mask |= codes == h
        return mask
    return cat_mask[codes]


def term_mask(tokens: pd.DataFrame, term: Term, *, case_sensitive: bool = False,
              index: TokenIndex | None = None) -> np.ndarray:
    """Rows (words) that meet every constraint of ``term``, dependency constraints included."""
    index = index or token_index(tokens)
    mask = np.ones(len(tokens), dtype=bool)
    for cons in term.constraints:
        mask &= constraint_mask(tokens, cons, case_sensitive=case_sensitive)
    if term.head is not None or term.children:
        index.require_sentences()
    if term.head is not None:
        hm = term_mask(tokens, term.head, case_sensitive=case_sensitive, index=index)
        hr = index.head_row
        mask &= (hr >= 0) & hm[np.maximum(hr, 0)]
    for rel, child in term.children:
        cm = term_mask(tokens, child, case_sensitive=case_sensitive, index=index)
        if rel is not None:
            cm &= constraint_mask(tokens, Constraint("deprel", rel), case_sensitive=case_sensitive)
        heads = index.head_row[cm]
        has = np.zeros(len(tokens), dtype=bool)
        has[heads[heads >= 0]] = True
        mask &= has
    return mask


def _unspaced_forms(tokens: pd.DataFrame, index: TokenIndex, case_sensitive: bool) -> dict[str, list[int]]:
    """Form (lower-cased unless ``case_sensitive``) → its category codes, for forms that occur in unspaced rows.

    Built once per table and cached on its index; empty when the table has no rows in a language
    written without spaces.
    """
    cache = getattr(index, "_unspaced_forms", None)
    if cache is None:
        cache = index._unspaced_forms = {}
    lookup = cache.get(case_sensitive)
    if lookup is None:
        zh = getattr(index, "_unspaced", None)
        if zh is None:  # computed once per table
            zh = index._unspaced = _unspaced_rows(tokens)
            index._any_unspaced = bool(zh.any())
        lookup = {}
        col = tokens["form"]
        if zh.any() and isinstance(col.dtype, pd.CategoricalDtype):
            cats = _category_strings(col, lower=not case_sensitive)
            present = np.unique(_codes(col)[zh])
            for c in present[present >= 0].tolist():
                lookup.setdefault(cats[c], []).append(c)
        cache[case_sensitive] = lookup
    return lookup


def _zh_runs(tokens: pd.DataFrame, literal: str, index: TokenIndex, case_sensitive: bool,
             bounds: np.ndarray, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chinese rows where a run of >= 2 consecutive words concatenates to ``literal``.

    Returns (start rows, run lengths), ascending. Runs stay inside one unit (``bounds``/``unit``:
    see :meth:`TokenIndex.bounds`). A run starts on an unspaced row whose form is a proper
    prefix of ``literal``: those rows come from the form column's inverted index (the prefixes
    of ``literal`` looked up among the forms of unspaced rows), not from a scan of the table.
    """
    if "lang" not in tokens.columns or len(literal) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    zh = getattr(index, "_unspaced", None)
    if zh is None:  # computed once per table
        zh = index._unspaced = _unspaced_rows(tokens)
        index._any_unspaced = bool(zh.any())
    if not index._any_unspaced:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    col = tokens["form"]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return _zh_runs_scan(tokens, literal, index, case_sensitive, bounds, unit, zh)
    target = literal if case_sensitive else literal.lower()
    norm = (lambda s: s) if case_sensitive else str.lower
    lookup = _unspaced_forms(tokens, index, case_sensitive)
    codes = [c for i in range(1, len(target)) for c in lookup.get(target[:i], ())]
    if not codes:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order, post = index.postings(tokens, "form")
    rows = np.concatenate([order[post[c]:post[c + 1]] for c in codes])
    cand = np.sort(rows[zh[rows]])
    return _runs_from(cand, target, norm, index.forms(tokens), bounds, unit)


def _runs_from(cand: np.ndarray, target: str, norm, forms: list[str], bounds: np.ndarray,
               unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts, lengths = [], []
    for s in cand.tolist():
        end = int(bounds[unit[s] + 1])
        acc, j = "", s
        while j < end and len(acc) < len(target):
            acc += norm(forms[j])
            j += 1
            if not target.startswith(acc):
                break
        if acc == target and j - s >= 2:
            starts.append(s)
            lengths.append(j - s)
    return np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64)


def _zh_runs_scan(tokens: pd.DataFrame, literal: str, index: TokenIndex, case_sensitive: bool,
                  bounds: np.ndarray, unit: np.ndarray, zh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_zh_runs` for a table whose ``form`` column is not categorical (a scan of its categories)."""
    col = tokens["form"].astype(str).astype("category")
    target = literal if case_sensitive else literal.lower()
    norm = (lambda s: s) if case_sensitive else str.lower
    cats = _category_strings(col, lower=not case_sensitive).tolist()
    prefix = np.array([bool(c) and len(c) < len(target) and target.startswith(c) for c in cats] + [False])
    cand = np.flatnonzero(prefix[_codes(col)] & zh)
    return _runs_from(cand, target, norm, index.forms(tokens), bounds, unit)


def _simple_literal(term: Term) -> str | None:
    """The text of a one-constraint literal ``form`` term (the terms that may match a Chinese run), else None."""
    if (len(term.constraints) == 1 and term.head is None and not term.children
            and term.constraints[0].field == "form" and term.constraints[0].pattern.kind == "literal"):
        return term.constraints[0].pattern.text
    return None


def _with_runs(rows: np.ndarray, runs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Single-word start rows united with Chinese run starts: (rows, length of the match at each, or None).

    A run's length wins where a row is both (it cannot be: a run's first word is shorter than the literal).
    """
    run_starts, run_lengths = runs
    if not len(run_starts):
        return rows, None
    rows = np.union1d(rows, run_starts).astype(np.int64)
    length = np.ones(len(rows), dtype=np.int64)
    length[np.searchsorted(rows, run_starts)] = run_lengths
    return rows, length


def _term_at(tokens: pd.DataFrame, term: Term, rows: np.ndarray, index: TokenIndex,
             case_sensitive: bool) -> np.ndarray:
    """Whether ``term`` holds at each of ``rows`` (evaluated at those rows only when possible)."""
    ok = np.ones(len(rows), dtype=bool)
    for cons in term.constraints:
        ok &= _constraint_at(tokens, cons, rows, case_sensitive)
    if term.head is not None or term.children:
        index.require_sentences()
    if term.head is not None:
        hr = index.head_row[rows]
        has = hr >= 0
        sub = np.zeros(len(rows), dtype=bool)
        if has.any():
            sub[has] = _term_at(tokens, term.head, hr[has], index, case_sensitive)
        ok &= sub
    if term.children:  # children need the whole table: who points at these rows
        ok &= term_mask(tokens, Term((), None, term.children), case_sensitive=case_sensitive, index=index)[rows]
    return ok


def _constraint_at(tokens: pd.DataFrame, cons: Constraint, rows: np.ndarray, case_sensitive: bool) -> np.ndarray:
    if cons.alternatives:
        ok = np.zeros(len(rows), dtype=bool)
        for alt in cons.alternatives:
            ok |= _constraint_at(tokens, alt, rows, case_sensitive)
        return ok
    if cons.field not in tokens.columns:
        raise QueryError(f"this Tokens table has no column {cons.field!r}")
    col = tokens[cons.field]
    return _category_mask(col, cons.pattern, case_sensitive)[_codes(col)[rows]]


def _may_run(tokens: pd.DataFrame, term: Term) -> bool:
    """Could ``term`` match a multi-word Chinese run (a literal form on a table with Chinese)?"""
    simple = (len(term.constraints) == 1 and term.head is None and not term.children
              and term.constraints[0].field == "form" and term.constraints[0].pattern.kind == "literal")
    if not simple or len(term.constraints[0].pattern.text) < 2 or "lang" not in tokens.columns:
        return False
    lang = tokens["lang"]
    if isinstance(lang.dtype, pd.CategoricalDtype):
        return any(not is_spaced(c) for c in _category_strings(lang, lower=True).tolist())
    return True


def _unspaced_rows(tokens: pd.DataFrame) -> np.ndarray:
    """Rows in a language written without spaces (:func:`analysis.languages.is_spaced`)."""
    lang = tokens["lang"]
    if not isinstance(lang.dtype, pd.CategoricalDtype):
        lang = lang.astype(str).astype("category")
    cats = _category_strings(lang, lower=True)
    flags = np.append(np.array([not is_spaced(c) for c in cats], dtype=bool), False)
    return flags[_codes(lang)]


def _candidates(tokens: pd.DataFrame, term: Term, index: TokenIndex, case_sensitive: bool) -> np.ndarray:
    """Rows where ``term`` (one word, no Chinese runs) holds, from the inverted index of one column."""
    def indexable(c: Constraint) -> bool:
        if c.alternatives:
            return all(indexable(a) for a in c.alternatives)
        return c.field in tokens.columns and isinstance(tokens[c.field].dtype, pd.CategoricalDtype)

    cons = next((c for c in term.constraints if indexable(c)), None) \
        if all(c.field in tokens.columns for c in term.constraints if not c.alternatives) else None
    if cons is None:
        return np.flatnonzero(term_mask(tokens, term, case_sensitive=case_sensitive, index=index))
    parts = []
    for single in (cons.alternatives or (cons,)):  # rows of each alternative from its column's inverted index
        cats = np.flatnonzero(_category_mask(tokens[single.field], single.pattern, case_sensitive)[:-1])
        if len(cats):
            order, bounds = index.postings(tokens, single.field)
            parts.extend(order[bounds[c]:bounds[c + 1]] for c in cats.tolist())
    if not parts:
        return np.empty(0, dtype=np.int64)
    rows = np.concatenate(parts)
    if len(parts) > 1:
        rows = np.sort(rows, kind="stable")  # sorted runs, merged (timsort)
        if cons.alternatives and len(rows):  # a row two alternatives match, once
            rows = rows[np.concatenate(([True], rows[1:] != rows[:-1]))]
    rest = Term(tuple(c for c in term.constraints if c is not cons), term.head, term.children)
    if rest.constraints or rest.head is not None or rest.children:
        rows = rows[_term_at(tokens, rest, rows, index, case_sensitive)]
    return rows


def match_spans(tokens: pd.DataFrame, query: str | Query, *, case_sensitive: bool = False,
                head: str | None = None, deprel: str | None = None,
                child: tuple[str, str] | list[tuple[str, str]] | None = None,
                within: str = "paragraph") -> tuple[np.ndarray, np.ndarray]:
    """Rows where ``query`` matches: ``(starts, ends)``, row positions (``end`` exclusive), ascending.

    A phrase (or a Chinese word-spanning literal) matches consecutive words inside one
    ``within`` unit: ``"paragraph"`` (default), ``"sentence"`` or ``"document"``. Matches may
    overlap (``a a`` in ``a a a`` matches twice), as in AntConc and quanteda.
    """
    q = build_query(query, head=head, deprel=deprel, child=child)
    return _match_query(tokens, q, token_index(tokens), case_sensitive, within)


def match_many(tokens: pd.DataFrame, queries: list[str | Query], *, case_sensitive: bool = False,
               within: str = "paragraph") -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`match_spans` of each of ``queries``, the same results, computed in one pass.

    For many queries (a theme dictionary's entries) the per-query work is shared: the table's
    index is looked up once, and every literal or glob constraint of every query is compiled
    against its column's categories together (:func:`_category_masks`: one dictionary lookup per
    literal, one combined regular expression per column for the globs) before the matches are
    read from the inverted indexes.
    """
    parsed = [build_query(q) for q in queries]
    index = token_index(tokens)
    wanted: dict[str, dict[Pattern, None]] = {}

    def collect(term: Term) -> None:
        for cons in term.constraints:
            for single in (cons.alternatives or (cons,)):
                if single.field in tokens.columns and single.pattern.kind in ("literal", "glob"):
                    wanted.setdefault(single.field, {})[single.pattern] = None
        if term.head is not None:
            collect(term.head)
        for _, child in term.children:
            collect(child)

    for q in parsed:
        for term in q.terms:
            collect(term)
    memo: dict[tuple[int, Pattern, bool], np.ndarray] = {}
    for field, patterns in wanted.items():
        col = tokens[field]
        if not isinstance(col.dtype, pd.CategoricalDtype):
            continue
        for pattern, mask in zip(patterns, _category_masks(col, list(patterns), case_sensitive)):
            memo[(id(col.cat.categories), pattern, case_sensitive)] = mask
    token = _MASK_MEMO.set(memo)
    try:
        return [_match_query(tokens, q, index, case_sensitive, within) for q in parsed]
    finally:
        _MASK_MEMO.reset(token)


def _match_query(tokens: pd.DataFrame, q: Query, index: TokenIndex, case_sensitive: bool,
                 within: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match_spans` of a parsed query: candidates of the first term from the inverted index
    (united with Chinese word-spanning runs where a literal may span words), later terms checked
    at the rows that follow."""
    bounds, unit = index.bounds(within)
    n = len(tokens)
    runs = [_may_run(tokens, t) for t in q.terms]
    starts = _candidates(tokens, q.terms[0], index, case_sensitive)
    length = None
    if runs[0]:
        starts, length = _with_runs(starts, _zh_runs(tokens, _simple_literal(q.terms[0]), index, case_sensitive,
                                                     bounds, unit))
    ends = starts + (1 if length is None else length)
    for term, may_run in zip(q.terms[1:], runs[1:]):
        if any(runs) and not len(starts):
            break
        ok = ends < n
        starts, ends = starts[ok], ends[ok]
        ok = unit[ends] == unit[starts]
        starts, ends = starts[ok], ends[ok]
        ok = _term_at(tokens, term, ends, index, case_sensitive)
        step = 1
        if may_run:
            run_starts, run_lengths = _zh_runs(tokens, _simple_literal(term), index, case_sensitive, bounds, unit)
            if len(run_starts):
                pos = np.minimum(np.searchsorted(run_starts, ends), len(run_starts) - 1)
                is_run = run_starts[pos] == ends
                ok |= is_run
                step = np.where(is_run, run_lengths[pos], 1)[ok]
        starts, ends = starts[ok], ends[ok] + step
    if len(starts) and (length is not None or len(q.terms) > 1):  # a multi-word Chinese run at the end must not leave its unit
        ok = ends <= bounds[unit[starts] + 1]
        starts, ends = starts[ok], ends[ok]
    return starts.astype(np.int64), ends.astype(np.int64)
