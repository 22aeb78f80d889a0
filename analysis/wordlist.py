"""Frequency lists, n-grams and clusters (AntConc's Word List, N-Grams and Clusters tools).

Counting rules, shared by every function here:

* a *word* is a row for which :func:`analysis.is_word` is true (not UPOS ``PUNCT``/``SYM``, form
  not made only of punctuation and symbol characters). Only words are counted as terms, and the
  token count that relative frequencies divide by is the number of words of the group
  (``per_1000`` = occurrences per 1,000 words of the group);
* terms are read from the column ``field`` (``lemma``, ``form``...) and lower-cased unless
  ``case_sensitive=True``; or, with ``terms=`` (:func:`frequency`), they are queries whose
  matches are counted (:func:`analysis._core.match`), so a term the segmenter splits
  (``网络安全`` = 网络 + 安全) or a phrase counts as one term;
* n-grams are runs of ``n`` consecutive words inside one sentence; a non-word (punctuation)
  breaks the run, so no n-gram contains or spans punctuation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._core import (as_list, check_columns, check_int, check_top, field_name, filter_mask, group_keys, is_word, match,
                    require_rows, select, single_word_mask, term_codes, unit_keys)
from .errors import EmptySelectionError, ParameterError

NGRAM_COLUMNS = ("ngram", "n", "freq", "range")


def frequency(
    tokens: pd.DataFrame,
    field: str = "lemma",
    *,
    terms: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    upos: str | Sequence[str] | None = None,
    case_sensitive: bool = False,
    with_upos: bool = False,
    top: int | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """A frequency list: how often each term occurs, absolute and per 1,000 words.

    Parameters
    ----------
    field
        The token column terms are read from: ``"lemma"`` (default), ``"form"``, ``"upos"``...
    terms
        Queries to count instead of the vocabulary (``docs/query-language.md``): ``"网络安全"``,
        ``"意识形态"``, ``"lemma:secur*"``, ``"public opinion"``. Each query's matches are
        counted (:func:`analysis._core.match`, inside a paragraph), so a Chinese term the
        segmenter splits into several words, or a phrase, counts once per occurrence; a match
        counts in the group of its first word, and only when that row is a word. The row's
        ``term`` is the query text; every query gets a row in every group, 0 if it never
        matches. ``field`` is not used (a query names its fields), nor can ``upos`` or
        ``with_upos`` be given (write the tag into the query: ``lemma:secur*&upos:NOUN``).
        The denominator is unchanged: the group's words.
    by
        Column(s) to make one list per group, e.g. ``"voice"``, ``["lang", "voice"]`` or a
        corpus's own column such as ``"source"``. Rows with no value in a ``by`` column belong
        to no group.
    upos
        Count only words with this UPOS tag (or one of these tags), e.g. ``"NOUN"``. The
        denominator stays all words of the group.
    case_sensitive
        Keep letter case (default: terms are lower-cased).
    with_upos
        Count (term, UPOS) pairs, adding a ``upos`` column (``security``/NOUN apart from a
        mis-tagged ``security``/ADJ).
    top
        At most this many rows per group (``None``: all).
    **filters
        Count only the rows meeting these filters (:func:`analysis.select`); the denominator is
        the words of the selection.

    Returns
    -------
    DataFrame
        ``[by...,] term, [upos,] freq, per_1000, per_million``: ``per_1000 = freq / N * 1000``
        with ``N`` the group's number of words (:func:`analysis.is_word`). Sorted by group,
        then frequency (descending), then term.
    """
    top = check_top(top)
    field_name(field)
    tokens = select(tokens, **filters)
    require_rows(tokens, "the selection" if filters else "the Tokens table")
    gcodes, groups = group_keys(tokens, by)
    cols = list(groups.columns)
    word = is_word(tokens) & (gcodes >= 0)
    sizes = np.bincount(gcodes[word], minlength=len(groups))
    if terms is not None:
        return _query_frequency(tokens, terms, gcodes, groups, word, sizes, case_sensitive=case_sensitive,
                                upos=upos, with_upos=with_upos, top=top)
    codes, labels = term_codes(tokens, field, case_sensitive=case_sensitive)

    keep = word & (codes >= 0)
    if upos is not None:
        check_columns(tokens, ["upos"], "filter on")
        keep &= tokens["upos"].isin(as_list(upos)).to_numpy(dtype=bool)
    data = pd.DataFrame({"_g": gcodes[keep], "_t": codes[keep]})
    keys = ["_g", "_t"]
    if with_upos:
        check_columns(tokens, ["upos"], "count")
        data["upos"] = tokens["upos"].astype(object).to_numpy()[keep]
        keys.append("upos")
    counts = data.groupby(keys, sort=False).size().rename("freq").reset_index()
    g = counts["_g"].to_numpy()
    out = groups.iloc[g].reset_index(drop=True) if cols else pd.DataFrame(index=counts.index)
    out["term"] = labels[counts["_t"].to_numpy()] if len(counts) else np.array([], dtype=object)
    if with_upos:
        out["upos"] = counts["upos"].to_numpy()
    out["freq"] = counts["freq"].to_numpy(dtype=np.int64)
    return _finish_frequency(out, sizes[g], cols, top)


def _finish_frequency(out: pd.DataFrame, sizes: np.ndarray, cols: list[str], top: int | None) -> pd.DataFrame:
    """Rates over the group's words, rows by group then frequency, the first ``top`` per group."""
    n = sizes.astype(float)
    out["per_1000"] = out["freq"] / n * 1_000
    out["per_million"] = out["freq"] / n * 1_000_000
    out = out.sort_values(cols + ["freq", "term"], ascending=[True] * len(cols) + [False, True],
                          kind="mergesort").reset_index(drop=True)
    if top is not None:
        out = (out.groupby(cols, sort=False, dropna=False).head(top) if cols else out.head(top)).reset_index(drop=True)
    return out


def _query_frequency(tokens: pd.DataFrame, terms: Any, gcodes: np.ndarray, groups: pd.DataFrame, word: np.ndarray,
                     sizes: np.ndarray, *, case_sensitive: bool, upos: Any, with_upos: bool,
                     top: int | None) -> pd.DataFrame:
    """:func:`frequency` with ``terms``: matches of each query per group (see its docstring)."""
    queries = list(dict.fromkeys(as_list(terms)))
    if not queries or not all(isinstance(q, str) and q.strip() for q in queries):
        raise ParameterError(f"terms must be a list of queries such as ['网络安全', 'lemma:secur*'], not {terms!r}")
    if upos is not None or with_upos:
        raise ParameterError("upos= and with_upos= do not combine with terms=; put the tag in the query, "
                             "e.g. 'lemma:secur*&upos:NOUN'")
    cols = list(groups.columns)
    n_groups = len(groups)
    freq = np.zeros((len(queries), n_groups), dtype=np.int64)
    for i, query in enumerate(queries):
        starts, _ = match(tokens, query, case_sensitive=case_sensitive)
        starts = starts[word[starts]]
        freq[i] = np.bincount(gcodes[starts], minlength=n_groups)
    g = np.repeat(np.arange(n_groups), len(queries))
    out = groups.iloc[g].reset_index(drop=True) if cols else pd.DataFrame(index=pd.RangeIndex(len(g)))
    term = np.empty(len(g), dtype=object)
    term[:] = queries * n_groups
    out["term"] = term
    out["freq"] = freq.T.ravel()
    return _finish_frequency(out, sizes[g], cols, top)


def ngrams(
    tokens: pd.DataFrame,
    n: int | Sequence[int] = 2,
    *,
    field: str = "form",
    node: str | None = None,
    position: int | str | None = None,
    min_freq: int = 1,
    case_sensitive: bool = False,
    top: int | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """n-grams (AntConc "N-Grams") and, with ``node``, clusters around a word (AntConc "Clusters").

    Parameters
    ----------
    n
        Length in words, 2 to 5 — or several lengths, e.g. ``range(2, 6)``.
    field
        ``"form"`` (default) or ``"lemma"``: what the n-gram is made of.
    node
        A one-word query (``"security"``, ``"lemma:security"``, ``"secur*"``,
        ``"lemma:secur*|secur*"``..., ``docs/query-language.md``): keep only n-grams with a
        word matching it at ``position``.
    position
        Where the node sits: a 1-based index into the n-gram, ``"left"`` (= 1, AntConc "On
        Left": the cluster starts with the node), ``"right"`` (= n, "On Right") or ``None`` /
        ``"any"`` (anywhere).
    min_freq
        Drop n-grams rarer than this.
    case_sensitive
        Keep letter case in the n-grams and in matching the node (default: lower-cased).
    top
        At most this many rows.
    **filters
        Use only the rows meeting these filters (:func:`analysis.select`); a row left out
        breaks an n-gram like punctuation.

    Returns
    -------
    DataFrame
        ``ngram, n, freq, range``: the words joined by single spaces, its length, its frequency
        and its range (number of documents it occurs in). Sorted by frequency (descending),
        then n-gram. n-grams never span a non-word (:func:`analysis.is_word`) or a sentence
        boundary.
    """
    sizes = [n] if isinstance(n, (int, np.integer)) and not isinstance(n, bool) else list(as_list(n))
    if not sizes:
        raise ParameterError(f"n must be a whole number >= 1 (2..5 typically) or a list of them, not {n!r}")
    sizes = [check_int(k, "n", minimum=1) for k in sizes]
    min_freq = check_int(min_freq, "min_freq", minimum=1)
    top = check_top(top)
    require_rows(tokens, "the Tokens table")
    selected = filter_mask(tokens, filters)
    if not selected.any():
        raise EmptySelectionError(f"the filters {filters} select no words; check the column values")
    codes, labels = term_codes(tokens, field, case_sensitive=case_sensitive)
    usable = is_word(tokens) & (codes >= 0) & selected
    sent_key = unit_keys(tokens, "sentence")
    doc_key = unit_keys(tokens, "document")
    node_mask = None if node is None else single_word_mask(tokens, node, case_sensitive=case_sensitive)

    frames = []
    total = len(tokens)
    for k in sizes:
        pos = _node_position(position, k) if node is not None else None
        m = total - k + 1
        if m <= 0:
            continue
        ok = usable[:m].copy()
        for j in range(1, k):
            ok &= (sent_key[j:j + m] == sent_key[:m]) & usable[j:j + m]
        if node_mask is not None:
            if pos is None:
                anywhere = np.zeros(m, dtype=bool)
                for j in range(k):
                    anywhere |= node_mask[j:j + m]
                ok &= anywhere
            else:
                ok &= node_mask[pos - 1:pos - 1 + m]
        starts = np.flatnonzero(ok)
        if not len(starts):
            continue
        keys = [f"w{j}" for j in range(k)]
        df = pd.DataFrame({key: codes[starts + j] for j, key in enumerate(keys)})
        df["doc"] = doc_key[starts]
        agg = df.groupby(keys, sort=False).agg(freq=("doc", "size"), range=("doc", "nunique")).reset_index()
        agg = agg[agg["freq"] >= min_freq]
        words = [labels[agg[c].to_numpy()] for c in keys]
        agg["ngram"] = [" ".join(ws) for ws in zip(*words)] if len(agg) else []
        agg["n"] = k
        frames.append(agg[list(NGRAM_COLUMNS)])
    if not frames:
        return pd.DataFrame({"ngram": pd.Series(dtype=object), "n": pd.Series(dtype=np.int64),
                             "freq": pd.Series(dtype=np.int64), "range": pd.Series(dtype=np.int64)})
    out = pd.concat(frames, ignore_index=True).astype({"n": np.int64, "freq": np.int64, "range": np.int64})
    out = out.sort_values(["freq", "ngram"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    return out.head(top) if top is not None else out


def _node_position(position: int | str | None, k: int) -> int | None:
    if position is None or position == "any":
        return None
    if position == "left":
        return 1
    if position == "right":
        return k
    if isinstance(position, (int, np.integer)) and not isinstance(position, bool) and 1 <= position <= k:
        return int(position)
    raise ParameterError(f"position must be 'left', 'right', 'any' or a whole number 1..{k}, not {position!r}")


def clusters(
    tokens: pd.DataFrame,
    node: str,
    n: int | Sequence[int] = 3,
    *,
    position: int | str | None = "left",
    field: str = "form",
    min_freq: int = 1,
    case_sensitive: bool = False,
    top: int | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Clusters around a node word (AntConc "Clusters"): n-grams holding ``node`` at ``position``.

    ``node`` is a one-word query; ``position="left"`` gives the clusters that start with the
    node (AntConc "On Left"), ``"right"`` those that end with it, ``None`` the node anywhere.
    Same columns and rules as :func:`ngrams`.
    """
    return ngrams(tokens, n, field=field, node=node, position=position, min_freq=min_freq,
                  case_sensitive=case_sensitive, top=top, **filters)
