"""Frequency lists, n-grams and clusters (AntConc's Word List, N-Grams and Clusters tools).

Counting rules, shared by every function here:

* a *word* is a row of the Tokens table (a syntactic word); punctuation is the rows whose UPOS
  is ``PUNCT``. Punctuation is never counted as a term and is not part of the token count that
  relative frequencies divide by (so ``per_1000`` = occurrences per 1,000 non-punctuation words
  of the group);
* terms are lower-cased by default (``lowercase=False`` keeps the case);
* n-grams are runs of ``n`` consecutive words inside one sentence; a punctuation mark breaks
  the run, so no n-gram contains or spans punctuation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import QueryError
from .query import build_query, term_mask, token_index

_TERM_FIELDS = ("form", "lemma", "upos", "xpos", "deprel")


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_columns(tokens: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    for col in cols:
        if col not in tokens.columns:
            raise QueryError(f"cannot {what} {col!r}: no such column; columns: {', '.join(map(str, tokens.columns))}")


def _term_codes(tokens: pd.DataFrame, by: str, lowercase: bool) -> tuple[np.ndarray, np.ndarray]:
    """(codes per row, labels per code) of column ``by``, lower-cased if asked; -1 = missing."""
    if by not in _TERM_FIELDS:
        raise QueryError(f"by must be one of {', '.join(_TERM_FIELDS)}, not {by!r}")
    _check_columns(tokens, [by], "count by")
    col = tokens[by]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(str).astype("category")
    cats = pd.Index(np.asarray(col.cat.categories, dtype=object)).astype(str)
    codes = col.cat.codes.to_numpy().astype(np.int64)
    if lowercase:
        lowered = cats.str.lower()
        new_codes, labels = pd.factorize(lowered)
        remap = np.append(new_codes, -1)
        return remap[codes], np.asarray(labels, dtype=object)
    return codes, np.asarray(cats, dtype=object)


def _punct(tokens: pd.DataFrame) -> np.ndarray:
    if "upos" not in tokens.columns:
        return np.zeros(len(tokens), dtype=bool)
    return (tokens["upos"].astype(object) == "PUNCT").to_numpy(dtype=bool)


def frequency(
    tokens: pd.DataFrame,
    by: str = "lemma",
    *,
    upos: str | Sequence[str] | None = None,
    groupby: str | Sequence[str] | None = None,
    lowercase: bool = True,
    with_upos: bool = False,
) -> pd.DataFrame:
    """A frequency list: how often each form or lemma occurs, absolute and relative.

    Parameters
    ----------
    by
        ``"lemma"`` (default) or ``"form"`` (or another word column such as ``"upos"``).
    upos
        Count only words with this UPOS tag (or one of these tags), e.g. ``"NOUN"``. The
        denominator of the relative frequencies stays all non-punctuation words of the group.
    groupby
        Metadata column(s) to make one list per group, e.g. ``"voice"`` or ``["lang", "voice"]``.
    lowercase
        Fold case before counting (default).
    with_upos
        Count (term, UPOS) pairs, adding a ``upos`` column (``security``/NOUN apart from a
        mis-tagged ``security``/ADJ).

    Returns
    -------
    DataFrame
        ``[groupby...,] term, [upos,] freq, per_1000, per_million``: ``per_1000 = freq / N *
        1000`` with ``N`` the group's number of non-punctuation words (see the module
        docstring). Sorted by group, then frequency (descending), then term.
    """
    groups = _as_list(groupby)
    _check_columns(tokens, groups, "group by")
    codes, labels = _term_codes(tokens, by, lowercase)
    punct = _punct(tokens)
    frame = pd.DataFrame({g: tokens[g].astype(object).to_numpy() for g in groups}, index=pd.RangeIndex(len(tokens)))
    words = frame[~punct]
    totals = (words.groupby(groups, sort=False, dropna=False).size() if groups
              else pd.Series([int((~punct).sum())]))

    keep = ~punct & (codes >= 0)
    if upos is not None:
        _check_columns(tokens, ["upos"], "filter on")
        keep &= tokens["upos"].astype(object).isin(_as_list(upos)).to_numpy()
    data = frame[keep].copy()
    data["term"] = labels[codes[keep]] if len(labels) else np.array([], dtype=object)
    keys = groups + ["term"]
    if with_upos:
        data["upos"] = tokens["upos"].astype(object).to_numpy()[keep]
        keys.append("upos")
    counts = data.groupby(keys, sort=False, dropna=False).size().rename("freq").reset_index()
    if groups:
        n = totals.rename("_n").reset_index()
        counts = counts.merge(n, on=groups, how="left")
    else:
        counts["_n"] = int(totals.iloc[0])
    counts["per_1000"] = counts["freq"] / counts["_n"] * 1_000
    counts["per_million"] = counts["freq"] / counts["_n"] * 1_000_000
    counts = counts.drop(columns="_n")
    counts["freq"] = counts["freq"].astype(np.int64)
    counts = counts.sort_values(groups + ["freq", "term"], ascending=[True] * len(groups) + [False, True],
                                kind="mergesort").reset_index(drop=True)
    return counts


def ngrams(
    tokens: pd.DataFrame,
    n: int | Sequence[int] = 2,
    *,
    by: str = "form",
    lowercase: bool = True,
    node: str | None = None,
    position: int | str | None = None,
    min_freq: int = 1,
    case_sensitive: bool = False,
) -> pd.DataFrame:
    """n-grams (AntConc "N-Grams") and, with ``node``, clusters around a word (AntConc "Clusters").

    Parameters
    ----------
    n
        Length in words, 2 to 5 — or several lengths, e.g. ``range(2, 6)``.
    by
        ``"form"`` (default) or ``"lemma"``: what the n-gram is made of.
    node
        A one-word query (``"security"``, ``"lemma:security"``, ``"secur*"``...): keep only
        n-grams with a word matching it at ``position``.
    position
        Where the node sits: a 1-based index into the n-gram, ``"left"`` (= 1, AntConc "On
        Left": the cluster starts with the node), ``"right"`` (= n, "On Right") or ``None``
        (anywhere).
    min_freq
        Drop n-grams rarer than this.

    Returns
    -------
    DataFrame
        ``ngram, n, freq, range``: the words joined by single spaces, its length, its frequency
        and its range (number of documents it occurs in). Sorted by frequency (descending),
        then n-gram. n-grams never span punctuation or a sentence boundary.
    """
    sizes = [n] if isinstance(n, (int, np.integer)) else list(n)
    if not sizes or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in sizes):
        raise QueryError(f"n must be a whole number >= 1 (2..5 typically) or a list of them, not {n!r}")
    if isinstance(min_freq, bool) or not isinstance(min_freq, (int, np.integer)) or min_freq < 1:
        raise QueryError(f"min_freq must be a whole number >= 1, not {min_freq!r}")
    codes, labels = _term_codes(tokens, by, lowercase)
    punct = _punct(tokens) | (codes < 0)
    index = token_index(tokens)
    sent = tokens["sent"].to_numpy().astype(np.int64)
    new_sent = np.ones(len(tokens), dtype=bool)
    if len(tokens):
        new_sent[1:] = (index.doc_row[1:] != index.doc_row[:-1]) | (sent[1:] != sent[:-1])
    sent_key = np.cumsum(new_sent)
    node_mask = None
    if node is not None:
        q = build_query(node)
        if len(q.terms) != 1:
            raise QueryError(f"node must be one word (a one-term query), not the phrase {node!r}")
        node_mask = term_mask(tokens, q.terms[0], case_sensitive=case_sensitive, index=index)

    frames = []
    total = len(tokens)
    for k in sizes:
        if node is not None:
            pos = _node_position(position, k)
        m = total - k + 1
        if m <= 0:
            continue
        starts = np.arange(m)
        ok = ~punct[:m].copy()
        for j in range(1, k):
            ok &= (sent_key[j:j + m] == sent_key[:m]) & ~punct[j:j + m]
        if node_mask is not None:
            if pos is None:
                anywhere = np.zeros(m, dtype=bool)
                for j in range(k):
                    anywhere |= node_mask[j:j + m]
                ok &= anywhere
            else:
                ok &= node_mask[pos - 1:pos - 1 + m]
        starts = starts[ok]
        if not len(starts):
            continue
        cols = {f"w{j}": codes[starts + j] for j in range(k)}
        cols["doc"] = index.doc_row[starts]
        df = pd.DataFrame(cols)
        keys = [f"w{j}" for j in range(k)]
        agg = df.groupby(keys, sort=False).agg(freq=("doc", "size"), range=("doc", "nunique")).reset_index()
        agg = agg[agg["freq"] >= min_freq]
        words = [labels[agg[c].to_numpy()] for c in keys]
        agg["ngram"] = [" ".join(ws) for ws in zip(*words)] if len(agg) else []
        agg["n"] = k
        frames.append(agg[["ngram", "n", "freq", "range"]])
    if not frames:
        return pd.DataFrame({"ngram": pd.Series(dtype=object), "n": pd.Series(dtype=np.int64),
                             "freq": pd.Series(dtype=np.int64), "range": pd.Series(dtype=np.int64)})
    out = pd.concat(frames, ignore_index=True)
    out = out.astype({"n": np.int64, "freq": np.int64, "range": np.int64})
    return out.sort_values(["freq", "ngram"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def _node_position(position: int | str | None, k: int) -> int | None:
    if position is None or position == "any":
        return None
    if position == "left":
        return 1
    if position == "right":
        return k
    if isinstance(position, (int, np.integer)) and not isinstance(position, bool) and 1 <= position <= k:
        return int(position)
    raise QueryError(f"position must be 'left', 'right', 'any' or a whole number 1..{k}, not {position!r}")


def clusters(
    tokens: pd.DataFrame,
    node: str,
    n: int | Sequence[int] = 3,
    *,
    position: int | str | None = "left",
    by: str = "form",
    lowercase: bool = True,
    min_freq: int = 1,
    case_sensitive: bool = False,
) -> pd.DataFrame:
    """Clusters around a node word (AntConc "Clusters"): n-grams holding ``node`` at ``position``.

    ``position="left"`` gives the clusters that start with the node (AntConc "On Left"),
    ``"right"`` those that end with it, ``None`` the node anywhere. Same columns and rules as
    :func:`ngrams`.
    """
    return ngrams(tokens, n, by=by, lowercase=lowercase, node=node, position=position,
                  min_freq=min_freq, case_sensitive=case_sensitive)
