"""The shared token core: the few primitives every analysis stands on, each defined once.

Every analysis module calls these; none keeps a private copy (``tests/test_core.py`` checks that
every analysis gives the same denominator for the same selection).

What a word is
    A row of the Tokens table (a syntactic word) is a **word** unless it is punctuation: its UPOS
    is ``PUNCT`` or ``SYM``, or its form is made only of Unicode punctuation (``P*``) and symbol
    (``S*``) characters. The form rule catches parser errors (the compact Chinese model tags some
    ASCII commas ``PART``); the UPOS rule catches tokens such as ``--`` or ``...`` whatever their
    form. :func:`is_word` is the one definition: every count, every denominator (``per_1000``,
    corpus sizes, part sizes) and every sequence break uses it.

Filters
    :func:`select` / :func:`filter_mask` take keyword filters, one meaning everywhere (Python
    API, dictionaries passed as ``target=``/``reference=``, and the CLI's ``--where``):

    * a scalar keeps rows whose column equals it: ``voice="official"``;
    * a list, tuple or set keeps rows equal to **any of** its values: ``voice=["official",
      "framing"]`` (a tuple is a set of values too, never a range);
    * a range is written with :class:`slice`, inclusive at both ends as in pandas' label slicing,
      ``None`` for an open end: ``date=slice("2014-01-01", "2014-06-30")``,
      ``date=slice("2014-08", None)``. Text columns compare as strings (ISO dates sort
      correctly). On the command line: ``--where date=2014-01-01..2014-06-30``.

    Several filters combine with AND. An unknown column is a :class:`~analysis.errors.QueryError`
    that lists the columns.

Terms
    Every term argument (KWIC queries, collocation and n-gram nodes, dispersion terms,
    dictionary entries, topic and bilingual terms) is parsed by the query language
    (:mod:`analysis.query`, ``docs/query-language.md``) and matched by :func:`match`.

Concordances
    :func:`concordance` cuts left context, match and right context for any set of matches (token
    or character windows, inside a sentence, paragraph or document); KWIC, theme hits, formula
    lines, word-sketch lines and rhetoric feature lines all come from it, and
    :func:`concordance_html` renders any of them with working links.

Argument names
    The vocabulary is fixed in ``docs/api.md``: ``by`` groups, ``field`` is the token column a
    term is read from, ``window`` is words either side (an int or ``(left, right)``, characters
    with ``unit="char"``), ``within`` is the unit a window or a count never crosses, ``top``
    limits rows, ``case_sensitive`` is the only case switch, ``measure`` chooses the statistic,
    ``alpha`` the significance level, ``seed`` every random step.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import EmptySelectionError, ParameterError, QueryError
from .query import FIELDS, Query, build_query, match_spans, parse_query, term_mask, token_index
from .tokens import WORD_COLUMNS  # the token-level columns; every other column is metadata

#: Universal POS tags that are never words.
NON_WORD_UPOS = frozenset({"PUNCT", "SYM"})
#: Values of ``within=``: the unit a window or a count never crosses, and the Tokens columns that key it.
WITHIN = {"sentence": ("doc_id", "par", "sent"), "paragraph": ("doc_id", "par"), "document": ("doc_id",)}
_WITHIN_ALIASES = {"sent": "sentence", "s": "sentence", "par": "paragraph", "p": "paragraph", "paragraph": "paragraph",
                   "doc": "document", "d": "document", "sentence": "sentence", "document": "document"}


# --------------------------------------------------------------------------------------------
# Argument checks


def check_columns(tokens: pd.DataFrame, columns: Iterable[str], what: str = "use") -> None:
    """Raise :class:`QueryError` naming the missing column(s) and listing those there are."""
    missing = [c for c in columns if c not in tokens.columns]
    if missing:
        raise QueryError(f"cannot {what} {', '.join(map(repr, missing))}: no such column in this Tokens table; "
                         f"columns: {', '.join(map(str, tokens.columns))}")


def check_int(value: Any, name: str, *, minimum: int = 0, allow_none: bool = False) -> int | None:
    """``value`` as an int ``>= minimum`` (bools refused), else :class:`ParameterError`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be a whole number >= {minimum}, not {value!r}")
    return int(value)


def check_top(top: Any) -> int | None:
    """``top=``: ``None`` (all rows) or a whole number >= 1."""
    return check_int(top, "top", minimum=1, allow_none=True)


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``, else :class:`ParameterError` listing them."""
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}")
    return value


def check_probability(value: Any, name: str) -> float:
    """A number strictly between 0 and 1 (``alpha``, ``conf``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not (0 < float(value) < 1):
        raise ParameterError(f"{name} must be a number between 0 and 1 (exclusive), not {value!r}")
    return float(value)


def window_sides(window: Any) -> tuple[int, int]:
    """``window=``: an int ``w`` (``w`` either side) or ``(left, right)``, whole numbers >= 0."""
    if isinstance(window, (tuple, list)):
        if len(window) != 2:
            raise ParameterError(f"window is a number or a pair (left, right), e.g. 5 or (0, 3); got {window!r}")
        left, right = window
        return check_int(left, "window (left)"), check_int(right, "window (right)")
    w = check_int(window, "window")
    return w, w


def check_within(within: Any, *, allow_none: bool = False) -> str | None:
    """``within=``: ``"sentence"``, ``"paragraph"`` or ``"document"`` (``sent``, ``par``, ``doc`` too)."""
    if within is None and allow_none:
        return None
    key = _WITHIN_ALIASES.get(str(within).lower()) if isinstance(within, str) else None
    if key is None:
        raise ParameterError(f"within must be 'sentence', 'paragraph' or 'document', not {within!r}")
    return key


def field_name(field: Any) -> str:
    """``field=``: a token column a term is read from (form, lemma, upos, xpos, deprel, feats)."""
    if field not in FIELDS:
        raise ParameterError(f"field must be one of {', '.join(FIELDS)}, not {field!r}")
    return field


def as_list(value: Any) -> list:
    """``None`` → ``[]``, a string → ``[string]``, any other iterable → a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def require_rows(tokens: pd.DataFrame, what: str = "this table") -> None:
    """Raise :class:`EmptySelectionError` if ``tokens`` has no rows."""
    if len(tokens) == 0:
        raise EmptySelectionError(f"{what} holds no words; check the filters (a filter on a value that does not "
                                  "occur selects nothing)")


# --------------------------------------------------------------------------------------------
# What a word is


def _punctuation_form(text: str) -> bool:
    return bool(text) and all(unicodedata.category(ch)[0] in "PS" for ch in text)


def _category_flags(col: pd.Series, rule) -> np.ndarray:
    """Evaluate ``rule`` once per category of ``col``; returns a row mask."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("string").fillna("").astype("category")
    flags = np.array([rule(str(c)) for c in col.cat.categories] + [False], dtype=bool)
    return flags[col.array.codes]


def is_punctuation_form(form: str) -> bool:
    """Whether ``form`` consists only of punctuation and symbol characters (Unicode ``P*``/``S*``)."""
    return _punctuation_form(str(form))


def is_word(tokens: pd.DataFrame) -> np.ndarray:
    """One bool per row: is it a word (not punctuation)? The package's one definition (module docstring).

    Every count and every denominator in Tifa uses this mask: ``per_1000`` divides by the words
    of the group, keyness and collocation corpus sizes count words, n-grams and formulas break at
    non-words.
    """
    mask = np.ones(len(tokens), dtype=bool)
    if "upos" in tokens.columns:
        mask &= ~_category_flags(tokens["upos"], lambda u: u in NON_WORD_UPOS)
    if "form" in tokens.columns:
        mask &= ~_category_flags(tokens["form"], _punctuation_form)
    return mask


def word_count(tokens: pd.DataFrame) -> int:
    """Number of words (:func:`is_word`) in ``tokens``."""
    return int(is_word(tokens).sum())


# --------------------------------------------------------------------------------------------
# Terms as integer codes


def term_codes(tokens: pd.DataFrame, field: str = "lemma", *, case_sensitive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of every row's term in column ``field`` and the vocabulary the codes index.

    Works on categorical codes (no per-row string work). Terms are lower-cased unless
    ``case_sensitive``; rows with an empty or missing term get code ``-1``.
    """
    field_name(field)
    check_columns(tokens, [field], "read terms from")
    col = tokens[field]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("string").fillna("").astype("category")
    codes = col.array.codes.astype(np.int64, copy=False)
    cats = pd.Index(np.asarray(col.cat.categories, dtype=object)).astype(str)
    if not case_sensitive:
        cats = pd.Index(cats.str.lower())
    new_codes, vocab = pd.factorize(cats)
    vocab = np.asarray(vocab, dtype=object)
    mapping = np.asarray(new_codes, dtype=np.int64)
    empty = np.flatnonzero(vocab == "")
    if len(empty):
        mapping = np.where(mapping == empty[0], -1, mapping)
    mapping = np.append(mapping, -1)  # categorical code -1 (missing) maps to -1
    return mapping[codes], vocab


# --------------------------------------------------------------------------------------------
# Groups


def group_columns(by: Any) -> list[str]:
    """``by=`` as a list of column names (``None`` → no grouping)."""
    cols = as_list(by)
    for c in cols:
        if not isinstance(c, str):
            raise ParameterError(f"by names Tokens columns (a name or a list of names), not {c!r}")
    return cols


def group_keys(tokens: pd.DataFrame, by: Any) -> tuple[np.ndarray, pd.DataFrame]:
    """Group code of every row and the groups, one row per code, with the ``by`` columns by name.

    Groups are in order of first appearance in the table (reading order). A row with a missing
    value gets code ``-1`` and belongs to no group, as in pandas' ``groupby`` (callers drop it;
    Tokens tables hold ``""`` rather than missing values). ``by=None`` gives one group and an
    empty-column frame with one row.
    """
    cols = group_columns(by)
    check_columns(tokens, cols, "group by")
    if not cols:
        return np.zeros(len(tokens), dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    fast = [first_appearance_codes(tokens[c]) for c in cols]
    if all(f is not None for f in fast) and (len(cols) == 1 or all((f[0] >= 0).all() for f in fast)):
        # categorical columns: factorize their integer codes (the same groups in the same order, no strings)
        codes, uniques = fast[0]
        if len(cols) == 1:
            return codes, pd.DataFrame({cols[0]: uniques})
        key = codes
        for c, u in fast[1:]:
            key = key * len(u) + c
        codes, first = pd.factorize(key)
        parts, rest = [], first
        for c, u in reversed(fast[1:]):
            parts.append(u[rest % len(u)])
            rest = rest // len(u)
        parts.append(fast[0][1][rest])
        parts.reverse()
        groups = pd.DataFrame([tuple(v) for v in zip(*parts)], columns=cols)
        return np.asarray(codes, dtype=np.int64), groups
    frame = pd.DataFrame({c: tokens[c].astype(object).to_numpy() for c in cols}, index=pd.RangeIndex(len(tokens)))
    if len(cols) == 1:
        codes, uniques = pd.factorize(frame[cols[0]])  # a missing value: code -1
        groups = pd.DataFrame({cols[0]: np.asarray(uniques, dtype=object)})
    else:
        codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame))
        groups = pd.DataFrame([tuple(u) for u in uniques], columns=cols)
    return np.asarray(codes, dtype=np.int64), groups


def first_appearance_codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``pd.factorize`` of a categorical column's values as objects, computed on its integer codes.

    Returns ``(codes, uniques)``: values numbered in order of first appearance, a missing value
    ``-1``, ``uniques`` an object array of the values; the same as
    ``pd.factorize(col.astype(object).to_numpy())``, without making a string per row. ``None``
    when ``col`` is not categorical with text categories (then factorize the values).
    """
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return None
    cats = col.cat.categories
    if not (pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object):
        return None
    values = np.asarray(cats, dtype=object)
    if not all(isinstance(v, str) for v in values.tolist()):
        return None
    raw = col.array.codes
    if not len(raw):
        return np.empty(0, dtype=np.int64), values[:0]
    # factorize the runs of equal codes (few in a table in reading order), then repeat them
    run_starts = np.flatnonzero(np.concatenate(([True], raw[1:] != raw[:-1])))
    run_codes, first = pd.factorize(raw[run_starts])
    codes = np.repeat(np.asarray(run_codes, dtype=np.int64), np.diff(np.append(run_starts, len(raw))))
    first = np.asarray(first, dtype=np.int64)
    missing = np.flatnonzero(first < 0)
    if len(missing):  # the missing value (code -1) is no group: -1, and later groups move down one
        m = int(missing[0])
        codes = np.where(codes == m, -1, np.where(codes > m, codes - 1, codes))
        first = np.delete(first, m)
    return codes, values[first]


def unit_keys(tokens: pd.DataFrame, within: str) -> np.ndarray:
    """One integer per row naming its sentence, paragraph or document (``within``), in reading order."""
    within = check_within(within)
    index = token_index(tokens)
    if within == "document":
        return index.doc_row.astype(np.int64)
    if within == "paragraph":
        return index.par_row.astype(np.int64)
    return index.sent_row.astype(np.int64)


# --------------------------------------------------------------------------------------------
# Filters


def _filter_hits(values: pd.Series, key: str, wanted: Any) -> np.ndarray:
    """Bool per value of ``values`` (categories or rows) meeting one filter."""
    if isinstance(wanted, slice):
        if wanted.step is not None:
            raise QueryError(f"a range filter is slice(low, high) with no step; got {wanted!r} for {key!r}")
        lo, hi = wanted.start, wanted.stop
        probe = lo if lo is not None else hi
        numeric = isinstance(probe, (int, float, np.integer, np.floating)) and not isinstance(probe, bool)
        cmp = pd.to_numeric(values, errors="coerce") if numeric else values.astype(str)
        hit = pd.Series(True, index=values.index)
        if lo is not None:
            hit &= cmp >= lo
        if hi is not None:
            hit &= cmp <= hi
        hit &= values.notna()
    elif isinstance(wanted, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
        items = list(wanted)
        if not items:
            raise QueryError(f"filter {key}= is an empty list; give at least one value")
        hit = values.isin(items)
    elif isinstance(wanted, Mapping):
        raise QueryError(f"filter {key}= takes a value, a list of values or slice(low, high), not a mapping")
    else:
        hit = values == wanted
    return hit.fillna(False).to_numpy(dtype=bool)


def filter_mask(tokens: pd.DataFrame, filters: Mapping[str, Any] | None = None, **more: Any) -> np.ndarray:
    """One bool per row: does it meet every filter (see the module docstring for their meaning)?

    ``None`` as a value means "no filter on this column".
    """
    items = dict(filters or {})
    items.update(more)
    mask = np.ones(len(tokens), dtype=bool)
    for key, wanted in items.items():
        if wanted is None:
            continue
        if key not in tokens.columns:
            raise QueryError(f"cannot filter on {key!r}: no such column; columns: {', '.join(map(str, tokens.columns))}")
        col = tokens[key]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = pd.Series(np.asarray(col.cat.categories, dtype=object), dtype=object)
            hit = np.append(_filter_hits(cats, key, wanted), False)
            mask &= hit[col.array.codes]
        else:
            mask &= _filter_hits(col.reset_index(drop=True), key, wanted)
    return mask


def select(tokens: pd.DataFrame, **filters: Any) -> pd.DataFrame:
    """The rows of ``tokens`` that meet every filter (module docstring: scalar, any-of list, slice range).

    >>> select(tokens, lang="en", voice=["official", "framing"], date=slice("2014-01-01", "2014-06-30"))  # doctest: +SKIP
    """
    if all(v is None for v in filters.values()):
        return tokens
    return tokens[filter_mask(tokens, filters)]


def selection_mask(tokens: pd.DataFrame, selector: Any, what: str = "target") -> np.ndarray:
    """A row mask from a dict of filters (as :func:`select`) or a boolean mask with one value per row."""
    if isinstance(selector, Mapping):
        return filter_mask(tokens, selector)
    try:
        mask = np.asarray(selector)
    except Exception as exc:  # pragma: no cover - defensive
        raise ParameterError(f"{what} must be a boolean mask or a dict of filters") from exc
    if mask.dtype != bool or mask.shape != (len(tokens),):
        raise ParameterError(f"{what} must be a dict of filters, e.g. {{'voice': 'official'}}, or a boolean mask "
                             f"with one value per token ({len(tokens)}); got dtype {mask.dtype} and shape {mask.shape}")
    return mask


def parse_filter_value(text: str) -> Any:
    """The value of a command-line ``--where COLUMN=VALUE``: ``a,b`` → any of; ``lo..hi`` → inclusive range.

    ``2014-01..`` and ``..2014-06-30`` leave one end open.
    """
    text = text.strip()
    if ".." in text and "," not in text:
        lo, hi = text.split("..", 1)
        return slice(lo.strip() or None, hi.strip() or None)
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    if len(parts) > 1:
        return parts
    return parts[0] if parts else ""


# --------------------------------------------------------------------------------------------
# Matching (the one matcher lives in analysis.query)


def match(tokens: pd.DataFrame, query: str | Query, *, case_sensitive: bool = False,
          head: str | None = None, deprel: str | None = None, child: Any = None,
          within: str = "paragraph") -> tuple[np.ndarray, np.ndarray]:
    """Rows where ``query`` matches: ``(starts, ends)`` (``end`` exclusive), ascending; see :mod:`analysis.query`.

    Phrases and Chinese word-spanning literals match inside one ``within`` unit.
    """
    return match_spans(tokens, query, case_sensitive=case_sensitive, head=head, deprel=deprel, child=child,
                       within=check_within(within))


def match_mask(tokens: pd.DataFrame, query: str | Query, *, case_sensitive: bool = False,
               within: str = "paragraph") -> np.ndarray:
    """One bool per row: is it the *first* word of a match of ``query``?"""
    starts, _ = match(tokens, query, case_sensitive=case_sensitive, within=within)
    mask = np.zeros(len(tokens), dtype=bool)
    mask[starts] = True
    return mask


def covered_mask(tokens: pd.DataFrame, query: str | Query, *, case_sensitive: bool = False,
                 within: str = "paragraph") -> np.ndarray:
    """One bool per row: is it inside any match of ``query`` (every word of a phrase or Chinese run)?"""
    starts, ends = match(tokens, query, case_sensitive=case_sensitive, within=within)
    diff = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.add.at(diff, starts, 1)
    np.add.at(diff, ends, -1)
    return np.cumsum(diff[:-1]) > 0


def single_word_mask(tokens: pd.DataFrame, query: str | Query, *, case_sensitive: bool = False) -> np.ndarray:
    """One bool per row for a one-word query (no phrase, no Chinese run): the rows it matches.

    Used where a term names a set of words (a collocation node, an n-gram node); a phrase is
    refused with a clear :class:`QueryError`.
    """
    q = parse_query(query)
    if len(q.terms) != 1:
        raise QueryError(f"{q.text!r} is a phrase; this argument takes one-word terms (e.g. secur*, lemma:security)")
    return term_mask(tokens, q.terms[0], case_sensitive=case_sensitive)


# --------------------------------------------------------------------------------------------
# Concordances


def metadata_columns(tokens: pd.DataFrame) -> list[str]:
    """The document and paragraph metadata columns of ``tokens`` (every column not a token column)."""
    return [c for c in tokens.columns if c not in WORD_COLUMNS]


def _take(tokens: pd.DataFrame, column: str, rows: np.ndarray):
    """``column`` at ``rows``; a categorical column stays categorical (no string conversion)."""
    col = tokens[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(col.array.codes[rows], dtype=col.dtype)
    return col.to_numpy()[rows]


def _strings(values: list[str]) -> pd.Series:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return pd.Series(arr, dtype=object, copy=False)


CONCORDANCE_COLUMNS = ("doc_id", "par", "sent", "position", "left", "match", "right")


def concordance(tokens: pd.DataFrame, starts: Any, ends: Any, *, window: Any = 5, unit: str = "token",
                within: str = "paragraph", metadata: bool | Sequence[str] = True) -> pd.DataFrame:
    """Left context, match and right context of each match ``[start, end)`` (row positions in ``tokens``).

    ``window`` words either side (an int or ``(left, right)``), or characters with
    ``unit="char"``; context never crosses the ``within`` unit (``"sentence"``, ``"paragraph"``
    (default) or ``"document"``). Words are joined by a space, except in languages written
    without spaces (Chinese). Returns ``doc_id, par, sent, position, left, match, right`` and,
    with ``metadata=True``, every metadata column of the table (a list names some of them);
    ``position`` is the number of words (:func:`is_word`) before the match in its document: the
    match's 0-based index among the document's words, as :func:`analysis.dispersion_positions`
    counts it (NLTK's concordance offset over the words).
    """
    left_w, right_w = window_sides(window)
    check_choice(unit, "unit", ("token", "char"))
    within = check_within(within)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if starts.shape != ends.shape:
        raise ParameterError("starts and ends must have the same length")
    index = token_index(tokens)
    if len(starts):
        if starts.min() < 0 or ends.max() > index.n or (ends <= starts).any():
            raise ParameterError("match rows must satisfy 0 <= start < end <= len(tokens)")
        text, off, end = index.text(tokens)
    else:
        text, off, end = "", np.zeros(1, np.int64), np.zeros(1, np.int64)
    bounds, rowmap = index.bounds(within)
    ustart = bounds[rowmap[starts]] if len(starts) else starts
    uend = bounds[rowmap[starts] + 1] if len(starts) else starts
    last = max(index.n - 1, 0)
    m_a, m_b = off[starts], end[np.maximum(ends - 1, 0)]
    if unit == "token":
        lo = np.maximum(ustart, starts - left_w)
        hi = np.minimum(uend, ends + right_w)
        l_a = off[lo]
        l_b = np.where(starts > lo, end[np.maximum(starts - 1, 0)], l_a)
        r_a = off[np.minimum(ends, last)]
        r_b = np.where(hi > ends, end[np.maximum(hi - 1, 0)], r_a)
    else:
        p_a, p_b = off[ustart], end[np.maximum(uend - 1, 0)]
        l_b = np.where(starts > ustart, end[np.maximum(starts - 1, 0)], p_a)
        l_a = np.maximum(p_a, l_b - left_w)
        r_a = np.where(ends < uend, off[np.minimum(ends, last)], p_b)
        r_b = np.minimum(p_b, r_a + right_w)
    left = [text[a:b] for a, b in zip(l_a.tolist(), l_b.tolist())]
    match_ = [text[a:b] for a, b in zip(m_a.tolist(), m_b.tolist())]
    right = [text[a:b] for a, b in zip(r_a.tolist(), r_b.tolist())]
    data: dict[str, Any] = {
        "doc_id": _take(tokens, "doc_id", starts),
        "par": tokens["par"].to_numpy()[starts],
        "sent": tokens["sent"].to_numpy()[starts] if "sent" in tokens.columns else np.zeros(len(starts), np.int64),
        "position": _word_rank(tokens, index)[starts] if len(starts) else np.zeros(0, np.int64),
        "left": _strings(left),
        "match": _strings(match_),
        "right": _strings(right),
    }
    meta = metadata_columns(tokens) if metadata is True else ([] if metadata is False else list(metadata))
    check_columns(tokens, meta, "show")
    columns = list(CONCORDANCE_COLUMNS) + meta
    for col in meta:
        data[col] = _take(tokens, col, starts)
    if list(data) == columns:  # the usual case: no metadata column shares a concordance column's name
        return pd.DataFrame(data, copy=False)  # every array here is new
    return pd.DataFrame(data, columns=columns)


def _word_rank(tokens: pd.DataFrame, index) -> np.ndarray:
    """Per row: the number of words before it in its document (cached with the table's index)."""
    cached = getattr(index, "_tifa_word_rank", None)
    if cached is not None:
        return cached
    w = is_word(tokens).astype(np.int64)
    before = np.cumsum(w) - w
    rank = before - before[index.doc_bounds[:-1]][index.doc_row] if index.n else before
    index._tifa_word_rank = rank
    return rank


def paragraph_texts(tokens: pd.DataFrame, rows: Any) -> list[str]:
    """The whole paragraph (words joined as in a concordance) of each row in ``rows``."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return []
    index = token_index(tokens)
    text, off, end = index.text(tokens)
    pars, which = np.unique(index.par_row[rows], return_inverse=True)
    a = off[index.par_bounds[pars]]
    b = end[index.par_bounds[pars + 1] - 1]
    texts = [text[x:y] for x, y in zip(a.tolist(), b.tolist())]  # each paragraph cut once
    return [texts[i] for i in np.asarray(which).reshape(-1).tolist()]


_MAX_HTML_ROWS = 500


def anchor_id(prefix: str, doc_id: Any, par: Any) -> str:
    """The HTML id of a paragraph in a rendered concordance: ``<prefix>-<doc_id>-p<par>``."""
    return f"{prefix}-{doc_id}-p{int(par)}"


def concordance_html(table: pd.DataFrame, *, caption: str = "", paragraphs: Mapping[tuple[str, int], str] | None = None,
                     max_rows: int = _MAX_HTML_ROWS) -> str:
    """An HTML concordance: left context right-aligned, the match highlighted, each row linked to its paragraph.

    Each row's label ``doc_id ¶par`` links to an anchor **in the same output**: the paragraphs
    of the shown rows are listed below the table (collapsed, ``<details>``), so the links work
    in Jupyter, in an exported notebook and on a static site. ``paragraphs`` maps
    ``(doc_id, par)`` to the paragraph's text.
    """
    n = len(table)
    shown = table.head(max_rows)
    digest = hashlib.sha1(f"{caption}|{n}|{shown[['doc_id', 'par', 'match']].head(5).to_numpy().tolist()}".encode())
    prefix = "tifa-" + digest.hexdigest()[:8]
    rows, seen = [], {}
    for rec in shown[["doc_id", "par", "left", "match", "right"]].itertuples(index=False):
        doc, par = str(rec.doc_id), int(rec.par)
        anchor = html.escape(anchor_id(prefix, doc, par), quote=True)
        label = html.escape(f"{doc} ¶{par}")
        seen.setdefault((doc, par), anchor)
        link = f'<a href="#{anchor}" title="{label}">{label}</a>' if paragraphs is not None else label
        rows.append(
            "<tr>"
            f'<td style="text-align:left;white-space:nowrap">{link}</td>'
            f'<td style="text-align:right;white-space:nowrap">{html.escape(str(rec.left))}</td>'
            f'<td style="text-align:center;white-space:nowrap;font-weight:bold;background:#fff2cc">'
            f"{html.escape(str(rec.match))}</td>"
            f'<td style="text-align:left;white-space:nowrap">{html.escape(str(rec.right))}</td>'
            "</tr>"
        )
    cap = html.escape(caption) + (": " if caption else "") + f"{n} hit{'s' if n != 1 else ''}"
    if n > max_rows:
        cap += f" (first {max_rows} shown)"
    out = ('<table class="tifa-kwic" style="font-family:monospace;border-collapse:collapse">'
           f"<caption>{cap}</caption>"
           "<thead><tr><th>doc ¶par</th><th style='text-align:right'>left</th><th>match</th>"
           "<th style='text-align:left'>right</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    if paragraphs is not None and seen:
        items = []
        for (doc, par), anchor in seen.items():
            body = html.escape(paragraphs.get((doc, par), ""))
            items.append(f'<details id="{anchor}"><summary>{html.escape(doc)} ¶{par}</summary>'
                         f'<p style="white-space:normal">{body}</p></details>')
        out += '<div class="tifa-kwic-paragraphs">' + "".join(items) + "</div>"
    return out


__all__ = [
    "WORD_COLUMNS", "FIELDS", "NON_WORD_UPOS", "WITHIN", "CONCORDANCE_COLUMNS",
    "check_columns", "check_int", "check_top", "check_choice", "check_probability", "window_sides",
    "check_within", "field_name", "as_list", "require_rows",
    "is_word", "is_punctuation_form", "word_count", "term_codes", "group_columns", "group_keys", "unit_keys",
    "first_appearance_codes",
    "filter_mask", "select", "selection_mask", "parse_filter_value",
    "match", "match_mask", "covered_mask", "single_word_mask", "build_query", "parse_query",
    "metadata_columns", "concordance", "paragraph_texts", "concordance_html", "anchor_id",
]
