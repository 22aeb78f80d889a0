"""Keyword in context (KWIC): the concordance view of AntConc, quanteda ``kwic`` and Sketch Engine.

:func:`kwic` finds a query in a Tokens table and returns one row per hit with its left and
right context. The result is a :class:`KWIC`, a pandas DataFrame that renders in Jupyter as an
aligned concordance with the match highlighted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._core import (CONCORDANCE_COLUMNS, _take, check_columns, check_int, check_within, concordance, concordance_html,
                    filter_mask, match, paragraph_texts, window_sides)
from .errors import ParameterError
from .languages import is_spaced
from .query import Query, _category_strings, token_index

KWIC_COLUMNS = CONCORDANCE_COLUMNS

_MAX_HTML_ROWS = 500


class KWIC(pd.DataFrame):
    """A concordance: a DataFrame (doc_id, par, sent, position, left, match, right, metadata...).

    Everything pandas does works on it, and slices stay a KWIC; :meth:`to_frame` gives a plain
    DataFrame. In Jupyter it renders as an HTML table: left context right-aligned, the match
    highlighted, and each row labelled ``doc_id ¶par`` and linked to that paragraph's full text,
    listed (collapsed) below the table.
    """

    _metadata = ["query_text", "paragraphs"]

    @property
    def _constructor(self):
        return KWIC

    def to_frame(self) -> pd.DataFrame:
        """The concordance as a plain :class:`pandas.DataFrame`."""
        return pd.DataFrame(self)

    def words_at(self, key: str, *, case_sensitive: bool = False) -> pd.Series:
        """The word at one AntConc position of every line, lower-cased: a Series on the KWIC's index.

        ``key`` is one of the keys ``sort=`` accepts: ``"R1"`` (first word right of the match),
        ``"L2"`` (second word left; also ``"1R"``, ``"2L"``) or ``"match"`` (the match itself).
        Positions count every token of the context, punctuation included, as ``sort=`` does, so
        ``kwic(..., sort="R1").words_at("R1")`` lists the sort keys in order. The word is read from
        the ``left``/``right`` text, whose words are separated by single spaces; a position with
        no word in the context (past the window, or past the ``within`` unit) gives ``""``. With
        ``unit="char"`` the outermost word of a context may be cut. Letter case is kept only with
        ``case_sensitive=True``.

        Raises :class:`~analysis.errors.ParameterError` for an unknown key, and for a left or
        right position in a language written without spaces (Chinese), where word positions
        cannot be read back from the joined text: sort the lines with ``kwic(..., sort=)`` instead.

        >>> kwic(tokens, '"public opinion"', sort="R1").words_at("R1").value_counts()  # doctest: +SKIP
        """
        keys = _parse_sort(key) if isinstance(key, str) else []
        if len(keys) != 1:
            raise ParameterError(f"words_at takes one position key such as 'R1', 'L2' or 'match', not {key!r}")
        (side, k), = keys
        column = {"M": "match", "L": "left", "R": "right"}[side]
        check_columns(self, [column], "read words from")
        if side != "M" and "lang" in self.columns:
            unspaced = sorted({str(code) for code in self["lang"].dropna().unique() if not is_spaced(str(code))})
            if unspaced:
                raise ParameterError(f"words_at cannot find word positions in {', '.join(unspaced)} contexts: "
                                     "their words are joined without spaces; sort the lines with kwic(..., sort=) instead")
        norm = (lambda text: text) if case_sensitive else str.lower
        words = []
        for text in self[column].tolist():
            if side == "M":
                words.append(norm(text))
                continue
            parts = text.split()
            words.append(norm(parts[k - 1] if side == "R" else parts[-k]) if k <= len(parts) else "")
        return pd.Series(words, index=self.index, dtype=object, name=column if side == "M" else f"{side}{k}")

    def _repr_html_(self) -> str | None:
        if not set(("doc_id", "par", "left", "match", "right")).issubset(self.columns):
            return pd.DataFrame(self)._repr_html_()
        query = getattr(self, "query_text", None)
        caption = f"KWIC {query!r}" if query else "KWIC"
        return concordance_html(self, caption=caption, paragraphs=getattr(self, "paragraphs", None) or {},
                                max_rows=_MAX_HTML_ROWS)


def _parse_sort(sort: str | Sequence[str] | None) -> list[tuple[str, int]]:
    """AntConc-style sort keys → [(side, k)]: ``("L", 1)`` = first word left, ``("M", 0)`` = match."""
    if sort is None or isinstance(sort, str) and sort in ("doc", "random"):
        return []
    keys = [k.strip() for k in sort.split(",")] if isinstance(sort, str) else [str(k).strip() for k in sort]
    out = []
    for key in keys:
        k = key.upper()
        if k in ("M", "C", "0", "MATCH", "KWIC", "NODE"):
            out.append(("M", 0))
            continue
        side, num = (k[0], k[1:]) if k[:1] in "LR" else (k[-1:], k[:-1])
        if side not in ("L", "R") or not num.isdigit() or int(num) < 1:
            raise ParameterError(f"unknown sort key {key!r}; use L1..L5, R1..R5 (or 1L, 2R), match, 'doc' or 'random'")
        out.append((side, int(num)))
    if not out:
        raise ParameterError("empty sort; give keys such as R1,R2 or L1")
    return out


def kwic(
    tokens: pd.DataFrame,
    query: str | Query,
    *,
    window: int | tuple[int, int] = 5,
    unit: str = "token",
    within: str = "paragraph",
    case_sensitive: bool = False,
    sort: str | Sequence[str] | None = None,
    seed: int = 0,
    head: str | None = None,
    deprel: str | None = None,
    child: tuple[str, str] | list[tuple[str, str]] | None = None,
    **filters: Any,
) -> KWIC:
    """Keyword in context: every hit of ``query`` in ``tokens`` with its left and right context.

    Parameters
    ----------
    tokens
        A Tokens table (see :mod:`analysis.tokens`).
    query
        The query language (``docs/query-language.md``), in short: ``security`` (form,
        case-insensitive), ``lemma:security``, ``secur*`` (glob), ``/secur(e|ity)/`` (regex),
        ``public opinion`` or ``"rule of law"`` (phrases of consecutive words),
        ``lemma:security&upos:NOUN`` (several constraints on one word),
        ``lemma:security&deprel:obj&head(lemma:safeguard)`` and
        ``lemma:security&child(amod,lemma:ideological)`` (dependencies). For Chinese a literal
        such as ``网络安全`` also matches the words 网络 + 安全.
    window
        Context size on each side, an int or ``(left, right)``: words (``unit="token"``) or
        characters (``unit="char"``, for Chinese).
    within
        The unit context never crosses: ``"paragraph"`` (default; context may cross sentences),
        ``"sentence"`` or ``"document"``.
    case_sensitive
        Match letter case exactly (default: no). Sort keys follow the same rule.
    sort
        ``None`` or ``"doc"``: document order. AntConc-style keys, e.g. ``["R1", "R2"]``,
        ``"L1"`` or ``"L2,L1,match"``: sort by the (lower-cased) word at those positions, ties
        in document order (the sort is stable). ``"random"``: shuffled with ``seed``.
    head, deprel, child
        Dependency constraints on the (one-word) query: ``head="lemma:safeguard"``,
        ``deprel="obj"``, ``child=("amod", "lemma:ideological")``.
    **filters
        Keep hits whose first word meets these filters (:func:`analysis.select`):
        ``voice="official"``, ``lang=["en", "zh"]`` (any of),
        ``date=slice("2014-01-01", "2014-12-31")`` (inclusive range; ``None`` = open end).

    Returns
    -------
    KWIC
        Columns ``doc_id, par, sent, position, left, match, right`` and every metadata column
        of the table (``lang``, ``voice``, ``date``..., or a corpus's own columns). ``position`` is the 0-based index
        of the match's first word among the document's words (as NLTK's concordance offsets).
        Words are joined by spaces, except Chinese (no separator). ``doc_id`` and the metadata
        columns are categorical, as in the Tokens table.

    >>> kwic(tokens, "lemma:security", window=3, voice="official", sort="R1")  # doctest: +SKIP
    """
    window_sides(window)
    keys = _parse_sort(sort)
    if isinstance(sort, str) and sort == "random":
        check_int(seed, "seed")

    starts, ends = match(tokens, query, case_sensitive=case_sensitive, head=head, deprel=deprel, child=child)
    if filters:
        keep = filter_mask(tokens, filters)[starts]
        starts, ends = starts[keep], ends[keep]
    out = concordance(tokens, starts, ends, window=window, unit=unit, within=within)
    order = None
    if keys:
        index = token_index(tokens)
        bounds, rowmap = index.bounds(check_within(within))
        ustart, uend = bounds[rowmap[starts]], bounds[rowmap[starts] + 1]
        order = _sort_order(index.forms(tokens), starts, ends, ustart, uend, keys, case_sensitive)
        out = out.iloc[order].reset_index(drop=True)
    elif isinstance(sort, str) and sort == "random":
        order = np.random.default_rng(int(seed)).permutation(len(out))
        out = out.iloc[order].reset_index(drop=True)
    paragraphs: dict[tuple[str, int], str] = {}
    if len(starts):
        shown = starts[np.asarray(order)[:_MAX_HTML_ROWS]] if order is not None else starts[:_MAX_HTML_ROWS]
        doc = tokens["doc_id"]
        if isinstance(doc.dtype, pd.CategoricalDtype):  # the doc_id of each shown row, as astype(str) gives it
            codes = doc.array.codes[shown]
            docs = np.where(codes >= 0, _category_strings(doc, lower=False)[np.maximum(codes, 0)], "nan")
        else:
            docs = np.asarray(_take(tokens, "doc_id", shown).astype(str), dtype=object)
        pars = tokens["par"].to_numpy()[shown]
        for doc, par, text in zip(docs.tolist(), pars.tolist(), paragraph_texts(tokens, shown)):
            paragraphs.setdefault((doc, int(par)), text)
    result = KWIC(out)
    result.query_text = query.text if isinstance(query, Query) else str(query)
    result.paragraphs = paragraphs
    return result


def _sort_order(forms, starts, ends, pstart, pend, keys, case_sensitive) -> list[int]:
    norm = (lambda x: x) if case_sensitive else str.lower

    def word(i: int, side: str, k: int) -> str:
        s, e = int(starts[i]), int(ends[i])
        if side == "M":
            return norm(" ".join(forms[s:e]))
        j = s - k if side == "L" else e - 1 + k
        if j < pstart[i] or j >= pend[i]:
            return ""
        return norm(forms[j])

    return sorted(range(len(starts)), key=lambda i: tuple(word(i, side, k) for side, k in keys))
