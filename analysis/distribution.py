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

Part sizes count non-punctuation words (UPOS ``PUNCT`` excluded), as :mod:`analysis.wordlist`
does. A hit of a phrase query counts once, in the part of its first word.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import QueryError
from .query import match_spans, take_values, token_index

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
        raise QueryError(f"frequencies and part sizes must be two lists of the same length ({v.shape} vs {n_i.shape})")
    if len(v) == 0:
        raise QueryError("no corpus parts: the table is empty or the partition column has no values")
    if (n_i <= 0).any() or (v < 0).any():
        raise QueryError("part sizes must be > 0 and frequencies >= 0")
    if (v > n_i).any():
        raise QueryError("a part holds more occurrences than words; check the part sizes")
    return v, n_i


def _part_codes(tokens: pd.DataFrame, by: str | Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    cols = [by] if isinstance(by, str) else list(by)
    for col in cols:
        if col not in tokens.columns:
            raise QueryError(f"cannot partition by {col!r}: no such column; columns: {', '.join(map(str, tokens.columns))}")
    if len(cols) == 1 and isinstance(tokens[cols[0]].dtype, pd.CategoricalDtype):
        col = tokens[cols[0]]  # codes as they are; unobserved categories get size 0 and are dropped later
        return col.array.codes.astype(np.int64), pd.DataFrame({cols[0]: np.asarray(col.cat.categories, dtype=object)})
    frame = pd.DataFrame({c: tokens[c].astype(object).to_numpy() for c in cols}, index=pd.RangeIndex(len(tokens)))
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame)) if len(cols) > 1 else pd.factorize(frame[cols[0]])
    parts = (uniques.to_frame(index=False) if len(cols) > 1 else pd.DataFrame({cols[0]: np.asarray(uniques, dtype=object)}))
    return codes, parts


def _terms_list(terms: str | Sequence[str]) -> list[str]:
    items = [terms] if isinstance(terms, str) else list(terms)
    if not items:
        raise QueryError("give at least one term (a query such as 'security' or 'lemma:security')")
    return items


def dispersion(
    tokens: pd.DataFrame,
    terms: str | Sequence[str],
    *,
    by: str | Sequence[str] = "doc_id",
    case_sensitive: bool = False,
) -> pd.DataFrame:
    """Dispersion of each term over the parts given by ``by`` (documents by default).

    ``terms`` are queries (``"security"``, ``"lemma:security"``, ``"public opinion"``, see
    :mod:`analysis.query`). Returns one row per term, in the order given: ``term, freq, range,
    parts, juilland_d, dp, dp_norm`` (definitions and references in the module docstring).
    Parts are every value of ``by`` present in ``tokens``; sizes are their non-punctuation
    word counts.
    """
    items = _terms_list(terms)
    codes, parts = _part_codes(tokens, by)
    punct = (tokens["upos"].astype(object) == "PUNCT").to_numpy(dtype=bool) if "upos" in tokens.columns \
        else np.zeros(len(tokens), dtype=bool)
    valid = codes >= 0  # rows with no value in the partition column belong to no part
    sizes = np.bincount(codes[~punct & valid], minlength=len(parts)).astype(float)
    present = sizes > 0
    rows = []
    for term in items:
        starts, _ = match_spans(tokens, term, case_sensitive=case_sensitive)
        freqs = np.bincount(codes[starts][valid[starts]], minlength=len(parts)).astype(float)
        row = {"term": term}
        if len(parts) and present.any():
            row.update(dispersion_measures(freqs[present], sizes[present]))
            row["freq"] = int(freqs.sum())
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
    row), ``term`` (categorical, in the order given), ``position`` (0-based word index in the
    document), ``doc_words`` (the document's number of words) and ``relative``
    (``position / doc_words``, in [0, 1)).
    """
    items = _terms_list(terms)
    index = token_index(tokens)
    docs_in_table = take_values(tokens, "doc_id", index.doc_bounds[:-1]).tolist()
    if order is None:
        doc_order = list(dict.fromkeys(docs_in_table))
    else:
        doc_order = list(order)
        unknown = [d for d in doc_order if d not in set(docs_in_table)]
        if unknown:
            raise QueryError(f"order names documents not in the table: {', '.join(map(str, unknown[:5]))}")
    lengths = np.diff(index.doc_bounds)
    frames = []
    for term in items:
        starts, _ = match_spans(tokens, term, case_sensitive=case_sensitive)
        docs = index.doc_row[starts]
        pos = starts - index.doc_bounds[docs]
        frames.append(pd.DataFrame({"doc_id": take_values(tokens, "doc_id", starts), "term": term, "position": pos.astype(np.int64),
                                    "doc_words": lengths[docs].astype(np.int64)}))
    out = pd.concat(frames, ignore_index=True)
    out["relative"] = out["position"] / out["doc_words"]
    if order is not None:
        out = out[out["doc_id"].isin(doc_order)]
    out["doc_id"] = pd.Categorical(out["doc_id"], categories=doc_order)
    out["term"] = pd.Categorical(out["term"], categories=list(dict.fromkeys(items)))
    return out.sort_values(["doc_id", "term", "position"], kind="mergesort").reset_index(drop=True)
