"""Dispersion: how evenly a term spreads over the parts of a corpus (documents by default).

Measures (for a term with frequencies ``v_i`` in ``n`` parts of sizes ``N_i``; ``f = Σ v_i``,
``s_i = N_i / Σ N_i``, ``p_i = v_i / N_i``):

range
    the number of parts with ``v_i > 0``.
Juilland's D
    Juilland & Chang-Rodríguez (1964), *Frequency Dictionary of Spanish Words*:
    ``D = 1 - V / sqrt(n - 1)`` with ``V = σ(p) / mean(p)``, ``σ`` the population standard
    deviation. On parts of unequal size the subfrequencies are first normalised by part size
    (``p_i``), as Gries (2008: 410) does. 1 = perfectly even, 0 = all in one part.
Gries' DP
    Gries, S. Th. (2008), "Dispersions and adjusted frequencies in corpora", *International
    Journal of Corpus Linguistics* 13(4): 403–437, p. 415: ``DP = ½ Σ |v_i / f - s_i|``.
    0 = spread exactly as the part sizes predict, near 1 = concentrated.
DP_norm
    Lijffijt, J. & Gries, S. Th. (2012), "Correction to Stefan Th. Gries' 'Dispersions and
    adjusted frequencies in corpora'", *IJCL* 17(1): 147–149: ``DP_norm = DP / (1 - min s_i)``,
    which reaches 1 when all occurrences fall in the smallest part.

Part sizes count words (:func:`analysis.is_word`: not punctuation or symbols), as every count
in Tifa does. A hit of a phrase query counts once, in the part of its first word; a hit on a
non-word is not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._core import as_list, group_keys, is_word, match, require_rows, select
from .errors import EmptySelectionError, ParameterError

DISPERSION_COLUMNS = ("term", "freq", "range", "parts", "juilland_d", "dp", "dp_norm")


def juilland_d(freqs: Sequence[float], sizes: Sequence[float]) -> float:
    """Juilland's D (Juilland & Chang-Rodríguez 1964) over parts of sizes ``sizes``.

    ``D = 1 - V / sqrt(n - 1)``, ``V`` the coefficient of variation (population SD / mean) of
    the size-normalised subfrequencies ``v_i / N_i``. NaN when the term does not occur or there
    is only one part.
    """
    v, n_i = _validate(freqs, sizes)
    n = len(v)
    if n < 2 or v.sum() == 0:
        return float("nan")
    p = v / n_i
    cv = p.std(ddof=0) / p.mean()
    return float(1.0 - cv / np.sqrt(n - 1))


def gries_dp(freqs: Sequence[float], sizes: Sequence[float]) -> float:
    """Gries' DP, deviation of proportions (Gries 2008: 415): ``½ Σ |v_i / f - s_i|``."""
    v, n_i = _validate(freqs, sizes)
    if v.sum() == 0:
        return float("nan")
    return float(0.5 * np.abs(v / v.sum() - n_i / n_i.sum()).sum())


def gries_dp_columns(freqs: np.ndarray, sizes: Sequence[float]) -> np.ndarray:
    """:func:`gries_dp` of every column of ``freqs`` (parts × terms) over the same ``sizes``: the same values.

    Each term's sums run along a contiguous row of the transposed matrix, as they do for one
    term, so every value is the one :func:`gries_dp` gives (``nan`` for a term that never occurs).
    Input :func:`gries_dp` would refuse is handed to it, term by term, so the error is the same.
    """
    v = np.asarray(freqs, dtype=float)
    n_i = np.asarray(sizes, dtype=float)
    if v.ndim != 2 or v.shape[0] != len(n_i) or not len(n_i) or (n_i <= 0).any() or (v < 0).any() \
            or (v > n_i[:, None]).any():
        return np.asarray([gries_dp(v[:, j], n_i) for j in range(v.shape[1])], dtype=float)
    rows = np.ascontiguousarray(v.T)
    total = rows.sum(axis=1)
    share = n_i / n_i.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        dp = 0.5 * np.abs(rows / total[:, None] - share).sum(axis=1)
    return np.where(total == 0, np.nan, dp)


def dp_norm(freqs: Sequence[float], sizes: Sequence[float]) -> float:
    """DP normalised to [0, 1] (Lijffijt & Gries 2012): ``DP / (1 - min s_i)``."""
    v, n_i = _validate(freqs, sizes)
    s_min = (n_i / n_i.sum()).min()
    if v.sum() == 0 or s_min >= 1:
        return float("nan")
    return float(gries_dp(v, n_i) / (1.0 - s_min))


def dispersion_measures(freqs: Sequence[float], sizes: Sequence[float]) -> dict[str, float]:
    """All measures for one term: ``freq, range, parts, juilland_d, dp, dp_norm``.

    >>> m = dispersion_measures([1, 2, 3, 4, 5], [9, 10, 10, 10, 11])   # Gries (2008), "a"
    >>> round(m["dp"], 2)
    0.18
    """
    v, n_i = _validate(freqs, sizes)
    return {
        "freq": int(v.sum()),
        "range": int((v > 0).sum()),
        "parts": int(len(v)),
        "juilland_d": juilland_d(v, n_i),
        "dp": gries_dp(v, n_i),
        "dp_norm": dp_norm(v, n_i),
    }


def _validate(freqs, sizes) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(freqs, dtype=float)
    n_i = np.asarray(sizes, dtype=float)
    if v.shape != n_i.shape or v.ndim != 1:
        raise ParameterError("frequencies and part sizes must be two lists of the same length "
                             f"({v.shape} vs {n_i.shape})")
    if len(v) == 0:
        raise EmptySelectionError("no corpus parts: the table is empty or the partition column has no values")
    if (n_i <= 0).any() or (v < 0).any():
        raise ParameterError("part sizes must be > 0 and frequencies >= 0")
    if (v > n_i).any():
        raise ParameterError("a part holds more occurrences than words; check the part sizes")
    return v, n_i


def _terms_list(terms: str | Sequence[str]) -> list[str]:
    items = as_list(terms)
    if not items:
        raise ParameterError("give at least one term (a query such as 'security' or 'lemma:security')")
    return items


def _word_hits(tokens: pd.DataFrame, term: str, word: np.ndarray, case_sensitive: bool) -> np.ndarray:
    """Rows where a hit of ``term`` starts, kept only where that row is a word."""
    starts, _ = match(tokens, term, case_sensitive=case_sensitive)
    return starts[word[starts]]


def dispersion(
    tokens: pd.DataFrame,
    terms: str | Sequence[str],
    *,
    by: str | Sequence[str] = "doc_id",
    case_sensitive: bool = False,
    **filters: Any,
) -> pd.DataFrame:
    """Dispersion of each term over the parts given by ``by`` (documents by default).

    ``terms`` are queries (``"security"``, ``"lemma:security"``, ``"ideolog*"``, ``"public
    opinion"``, see ``docs/query-language.md``). ``by`` is a column or a list of columns
    (``"voice"``, ``["lang", "voice"]``, a corpus's own ``"source"``): each of its values
    present in the table is a part; rows with no value belong to no part. Part sizes are their
    numbers of words (:func:`analysis.is_word`); a hit counts once, in the part of its first
    word. ``**filters`` restrict the table first (:func:`analysis.select`).

    Returns one row per term, in the order given: ``term, freq, range, parts, juilland_d, dp,
    dp_norm`` (definitions and references in the module docstring).
    """
    items = _terms_list(terms)
    if filters:
        tokens = select(tokens, **filters).reset_index(drop=True)
    require_rows(tokens, "the selection" if filters else "the Tokens table")
    codes, parts = group_keys(tokens, by)
    word = is_word(tokens)
    valid = codes >= 0
    sizes = np.bincount(codes[word & valid], minlength=len(parts)).astype(float)
    present = sizes > 0
    rows = []
    for term in items:
        starts = _word_hits(tokens, term, word, case_sensitive)
        freqs = np.bincount(codes[starts][valid[starts]], minlength=len(parts)).astype(float)
        row = {"term": term}
        if present.any():
            row.update(dispersion_measures(freqs[present], sizes[present]))
        else:
            row.update({"freq": 0, "range": 0, "parts": 0, "juilland_d": np.nan, "dp": np.nan, "dp_norm": np.nan})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(DISPERSION_COLUMNS))


def dispersion_positions(
    tokens: pd.DataFrame,
    terms: str | Sequence[str],
    *,
    order: Sequence[str] | None = None,
    case_sensitive: bool = False,
) -> pd.DataFrame:
    """Where each hit of each term falls in its document: the data of a dispersion (x-ray) plot.

    Returns one row per hit: ``doc_id`` (categorical; its categories are every document, in
    ``order`` or else in the order of the Tokens table, so documents without hits keep their
    row), ``term`` (categorical, in the order given), ``position`` (0-based index of the hit's
    first word among the document's words, :func:`analysis.is_word`: punctuation is not
    counted), ``doc_words`` (the document's number of words) and ``relative``
    (``position / doc_words``, in [0, 1)).
    """
    items = _terms_list(terms)
    require_rows(tokens, "the Tokens table")
    codes, docs = group_keys(tokens, "doc_id")
    docs_in_table = docs["doc_id"].tolist()
    if order is None:
        doc_order = docs_in_table
    else:
        doc_order = list(order)
        known = set(docs_in_table)
        unknown = [d for d in doc_order if d not in known]
        if unknown:
            raise ParameterError(f"order names documents not in the table: {', '.join(map(str, unknown[:5]))}")
    word = is_word(tokens)
    doc_words = np.bincount(codes[word], minlength=len(docs))
    # index of each row among the words of its document (words before it in the document)
    rank = pd.Series(word.astype(np.int64)).groupby(codes).cumsum().to_numpy() - word
    frames = []
    for term in items:
        starts = _word_hits(tokens, term, word, case_sensitive)
        frames.append(pd.DataFrame({"doc_id": docs["doc_id"].to_numpy()[codes[starts]], "term": term,
                                    "position": rank[starts].astype(np.int64),
                                    "doc_words": doc_words[codes[starts]].astype(np.int64)}))
    out = pd.concat(frames, ignore_index=True)
    out["relative"] = out["position"] / out["doc_words"]
    if order is not None:
        out = out[out["doc_id"].isin(doc_order)]
    out["doc_id"] = pd.Categorical(out["doc_id"], categories=doc_order)
    out["term"] = pd.Categorical(out["term"], categories=list(dict.fromkeys(items)))
    return out.sort_values(["doc_id", "term", "position"], kind="mergesort").reset_index(drop=True)
