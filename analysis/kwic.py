"""Keyword in context (KWIC): the concordance view of AntConc, quanteda ``kwic`` and Sketch Engine.

:func:`kwic` finds a query in a Tokens table and returns one row per hit with its left and
right context. The result is a :class:`KWIC`, a pandas DataFrame that renders in Jupyter as an
aligned concordance with the match highlighted.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import QueryError
from .query import Query, match_spans, metadata_mask, take_values, token_index

#: Document metadata carried into every KWIC row (those present in the Tokens table).
KWIC_META = ("lang", "voice", "kind", "outlet", "date", "title")
KWIC_COLUMNS = ("doc_id", "par", "sent", "position", "left", "match", "right")


_MAX_HTML_ROWS = 500


class KWIC(pd.DataFrame):
    """A concordance: a DataFrame (doc_id, par, sent, position, left, match, right, metadata...).

    Everything pandas does works on it; :meth:`to_frame` gives a plain DataFrame. In Jupyter it
    renders as an HTML table: left context right-aligned, the match highlighted, and each row
    labelled and linked ``doc_id ¶par`` (anchor ``#<doc_id>-p<par>``, the corpus's paragraph id).
    """

    _metadata = ["query_text"]

    @property
    def _constructor(self):
        return KWIC

    def to_frame(self) -> pd.DataFrame:
        """The concordance as a plain :class:`pandas.DataFrame`."""
        return pd.DataFrame(self)

    def _repr_html_(self) -> str | None:
        if not set(("doc_id", "par", "left", "match", "right")).issubset(self.columns):
            return pd.DataFrame(self)._repr_html_()
        n = len(self)
        shown = self.head(_MAX_HTML_ROWS)
        query = getattr(self, "query_text", None)
        rows = []
        for rec in shown[["doc_id", "par", "left", "match", "right"]].itertuples(index=False):
            doc, par = str(rec.doc_id), int(rec.par)
            anchor = html.escape(f"{doc}-p{par}", quote=True)
            label = html.escape(f"{doc} ¶{par}")
            rows.append(
                "<tr>"
                f'<td style="text-align:left;white-space:nowrap"><a href="#{anchor}" title="{label}">{label}</a></td>'
                f'<td style="text-align:right;white-space:nowrap">{html.escape(str(rec.left))}</td>'
                f'<td style="text-align:center;white-space:nowrap;font-weight:bold;background:#fff2cc">'
                f"{html.escape(str(rec.match))}</td>"
                f'<td style="text-align:left;white-space:nowrap">{html.escape(str(rec.right))}</td>'
                "</tr>"
            )
        caption = f"KWIC {html.escape(repr(query)) + ': ' if query else ''}{n} hit{'s' if n != 1 else ''}"
        if n > _MAX_HTML_ROWS:
            caption += f" (first {_MAX_HTML_ROWS} shown)"
        return (
            '<table class="tifa-kwic" style="font-family:monospace;border-collapse:collapse">'
            f"<caption>{caption}</caption>"
            "<thead><tr><th>doc ¶par</th><th style='text-align:right'>left</th><th>match</th>"
            "<th style='text-align:left'>right</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )


def _parse_sort(sort: str | Sequence[str] | None, window: int) -> list[tuple[str, int]]:
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
            raise QueryError(f"unknown sort key {key!r}; use L1..L5, R1..R5 (or 1L, 2R), match, 'doc' or 'random'")
        out.append((side, int(num)))
    if not out:
        raise QueryError("empty sort; give keys such as R1,R2 or L1")
    return out


def kwic(
    tokens: pd.DataFrame,
    query: str | Query,
    *,
    window: int = 5,
    unit: str = "token",
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
        Context size on each side: words (``unit="token"``) or characters (``unit="char"``,
        for Chinese). Context never crosses a paragraph (nor, therefore, a document) but may
        cross sentences.
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
        Keep hits whose word has these column values: ``voice="official"``, ``lang=["en"]``
        (one of), ``date=("2014-01-01", "2014-12-31")`` (inclusive range; ``None`` = open).

    Returns
    -------
    KWIC
        Columns ``doc_id, par, sent, position, left, match, right`` and the document metadata
        present (``lang, voice, kind, outlet, date, title``). ``position`` is the 0-based index
        of the match's first word among the document's words (as NLTK's concordance offsets).
        Words are joined by spaces, except Chinese (no separator). ``doc_id`` and the metadata
        columns are categorical, as in the Tokens table.

    >>> kwic(tokens, "lemma:security", window=3, voice="official", sort="R1")  # doctest: +SKIP
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
        raise QueryError(f"window must be a whole number >= 0, not {window!r}")
    if unit not in ("token", "char"):
        raise QueryError(f"unit must be 'token' or 'char', not {unit!r}")
    keys = _parse_sort(sort, window)
    if isinstance(sort, str) and sort == "random" and not isinstance(seed, (int, np.integer)):
        raise QueryError(f"sort='random' needs an integer seed, not {seed!r}")

    starts, ends = match_spans(tokens, query, case_sensitive=case_sensitive, head=head, deprel=deprel, child=child)
    if filters and len(starts):
        keep = metadata_mask(tokens, filters)[starts]
        starts, ends = starts[keep], ends[keep]
    elif filters:
        metadata_mask(tokens.iloc[:0], filters)  # validate the filter names even without hits

    index = token_index(tokens)
    text, off, end = index.text(tokens) if len(starts) else ("", np.zeros(1, np.int64), np.zeros(1, np.int64))
    pstart = index.par_start(starts)
    pend = index.par_end(starts)
    meta_cols = [c for c in KWIC_META if c in tokens.columns]

    # Contexts are slices of the joined text: [a, b) character ranges per hit.
    w = int(window)
    last = max(index.n - 1, 0)
    m_a, m_b = off[starts], end[np.maximum(ends - 1, 0)]
    if unit == "token":
        lo = np.maximum(pstart, starts - w)
        hi = np.minimum(pend, ends + w)
        l_a = off[lo]
        l_b = np.where(starts > lo, end[np.maximum(starts - 1, 0)], l_a)
        r_a = off[np.minimum(ends, last)]
        r_b = np.where(hi > ends, end[np.maximum(hi - 1, 0)], r_a)
    else:
        p_a, p_b = off[pstart], end[np.maximum(pend - 1, 0)]
        l_b = np.where(starts > pstart, end[np.maximum(starts - 1, 0)], p_a)
        l_a = np.maximum(p_a, l_b - w)
        r_a = np.where(ends < pend, off[np.minimum(ends, last)], p_b)
        r_b = np.minimum(p_b, r_a + w)
    left = [text[a:b] for a, b in zip(l_a.tolist(), l_b.tolist())]
    match = [text[a:b] for a, b in zip(m_a.tolist(), m_b.tolist())]
    right = [text[a:b] for a, b in zip(r_a.tolist(), r_b.tolist())]

    data: dict[str, Any] = {
        "doc_id": _take(tokens, "doc_id", starts),
        "par": take_values(tokens, "par", starts),
        "sent": take_values(tokens, "sent", starts),
        "position": (starts - index.doc_start(starts)).astype(np.int64),
        "left": _strings(left),
        "match": _strings(match),
        "right": _strings(right),
    }
    for col in meta_cols:
        data[col] = _take(tokens, col, starts)
    out = pd.DataFrame(data, columns=list(KWIC_COLUMNS) + meta_cols)

    if keys:
        order = _sort_order(index.forms(tokens), starts, ends, pstart, pend, keys, case_sensitive)
        out = out.iloc[order].reset_index(drop=True)
    elif isinstance(sort, str) and sort == "random":
        order = np.random.default_rng(int(seed)).permutation(len(out))
        out = out.iloc[order].reset_index(drop=True)
    result = KWIC(out)
    result.query_text = query.text if isinstance(query, Query) else str(query)
    return result


def _take(tokens: pd.DataFrame, column: str, rows: np.ndarray):
    """``column`` at ``rows``; a categorical column stays categorical (no string conversion)."""
    col = tokens[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(col.array.codes[rows], dtype=col.dtype)
    return take_values(tokens, column, rows)


def _strings(values: list[str]) -> pd.Series:
    """A list of str as an object Series (skips pandas' string-dtype inference, which is slow)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return pd.Series(arr, dtype=object, copy=False)


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
