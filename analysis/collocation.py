"""Window collocates of a node word, and collocation networks (GraphColl style).

Co-occurrence is *surface* co-occurrence in a window of ``L`` words to the left and ``R`` words
to the right of each occurrence of the node (``window=(L, R)``), not crossing paragraph
boundaries by default (Evert 2008, "Corpora and collocations", §3 and §5). Only words count
(:func:`analysis.is_word`): non-words are left out of the stream, so they neither count nor
take window slots. For each candidate collocate ``y`` the 2×2 contingency table is::

                          y            not y
    in node windows      O11 = O       O12 = R1 - O       R1 = window size
    elsewhere            O21           O22                R2 = N - R1
                         C1 = f(y)     C2 = N - C1        N  = words

where ``R1`` is the total size of the node's windows: the number of word positions inside
the union of the windows of all node occurrences (a window cut by a paragraph edge is smaller;
overlapping windows are merged so that every word is counted at most once, which keeps
``O <= C1`` and the table valid — Evert 2008, §5.2), ``C1`` the collocate's frequency and
``N`` the number of words.
Expected frequencies are ``E_ij = R_i C_j / N`` (so ``E11 = R1 C1 / N``).

Relation to NLTK's bigram table. With ``window=(0, 1)`` the cells are those of NLTK's
``BigramAssocMeasures`` (``n_ii = O``, ``n_ix = R1``, ``n_xi = f(y)``, ``n_xx = N``) with one
difference: NLTK's ``BigramCollocationFinder.from_words`` sets ``n_ix = f(node)`` and reads
bigrams across every boundary, whereas here ``R1`` counts only the node occurrences that have
a next word inside the same ``within`` unit, so ``R1 = f(node) − #(occurrences ending their
paragraph)`` and a pair across a paragraph edge is no co-occurrence. They agree only when no
occurrence of the node ends its unit (in the seed's English, *security* occurs 70 times and
ends a paragraph 4 times: ``R1 = 66``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ._core import (as_list, check_choice, check_columns, check_int, check_top, check_within, field_name, is_word,
                    require_rows, select, single_word_mask, term_codes, unit_keys, window_sides)
from .contingency import chi_squared_2x2, log_likelihood_2x2, table_2x2
from .errors import EmptySelectionError, ParameterError

#: Measures :func:`collocates` computes (column names), usable as ``measure``.
MEASURES = ("observed", "mi", "mi3", "t_score", "log_dice", "g2", "chi2",
            "delta_p_collocate_given_node", "delta_p_node_given_collocate")


# --------------------------------------------------------------------------------------------
# the measures (vectorised; arguments are arrays of O11, R1, C1 and the scalar N)
# --------------------------------------------------------------------------------------------

def expected_frequency(r1, c1, n):
    """``E11 = R1 · C1 / N`` (Evert 2008, eq. for the expected co-occurrence frequency)."""
    return np.asarray(r1, dtype=float) * np.asarray(c1, dtype=float) / float(n)


def mutual_information(o, e):
    """Pointwise mutual information ``MI = log2(O / E)`` (Church & Hanks 1990; Evert 2008)."""
    with np.errstate(divide="ignore"):
        return np.log2(np.asarray(o, dtype=float) / np.asarray(e, dtype=float))


def mi3(o, e):
    """``MI³ = log2(O³ / E)`` (Daille 1994; Evert 2008): MI with less bias to rare pairs."""
    o = np.asarray(o, dtype=float)
    with np.errstate(divide="ignore"):
        return np.log2(o ** 3 / np.asarray(e, dtype=float))


def t_score(o, e):
    """``t = (O - E) / √O`` (Church et al. 1991; Evert 2008)."""
    o = np.asarray(o, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (o - np.asarray(e, dtype=float)) / np.sqrt(o)


def _cells(o, r1, c1, n):
    """The 2×2 table from O11, the margins R1, C1 and N (:func:`analysis.contingency.table_2x2`)."""
    o, r1, c1 = (np.asarray(x, dtype=float) for x in (o, r1, c1))
    n = float(n)
    return table_2x2(o, r1 - o, c1 - o, n - r1 - c1 + o)


def log_likelihood(o, r1, c1, n):
    """Log-likelihood ``G² = 2 Σ O_ij ln(O_ij / E_ij)`` over the four cells (Dunning 1993;
    Evert 2008). ``0 · ln 0 = 0``."""
    o, r1, c1 = (np.asarray(x, dtype=float) for x in (o, r1, c1))
    return log_likelihood_2x2(o, r1 - o, c1 - o, float(n) - r1 - c1 + o)


def chi_squared(o, r1, c1, n):
    """Pearson's ``χ² = Σ (O_ij - E_ij)² / E_ij`` over the four cells, no continuity correction
    (Evert 2008; Manning & Schütze 1999, §5.3.3)."""
    o, r1, c1 = (np.asarray(x, dtype=float) for x in (o, r1, c1))
    return chi_squared_2x2(o, r1 - o, c1 - o, float(n) - r1 - c1 + o)


def log_dice(f_xy, f_x, f_y):
    """``logDice = 14 + log2(2 f_xy / (f_x + f_y))`` (Rychlý 2008).

    ``f_xy`` is the co-occurrence frequency and ``f_x``, ``f_y`` the frequencies of node and
    collocate. 14 is the maximum when every occurrence of each is in the pair.
    """
    f_xy, f_x, f_y = (np.asarray(v, dtype=float) for v in (f_xy, f_x, f_y))
    with np.errstate(divide="ignore"):
        return 14.0 + np.log2(2.0 * f_xy / (f_x + f_y))


def delta_p(o, r1, c1, n):
    """ΔP in both directions (Ellis 2007; Gries 2013, "50-something years of work on collocations").

    With the table ``a = O11, b = O12, c = O21, d = O22``:
    ``ΔP(collocate | node) = a/(a+b) - c/(c+d)`` (how much being in a node window raises the
    probability of the collocate) and ``ΔP(node | collocate) = a/(a+c) - b/(b+d)``.
    Returns the pair ``(collocate_given_node, node_given_collocate)``.
    """
    obs, _ = _cells(o, r1, c1, n)
    a, b, c, d = obs
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / (a + b) - c / (c + d), a / (a + c) - b / (b + d)


# --------------------------------------------------------------------------------------------
# the token stream
# --------------------------------------------------------------------------------------------

_QUERY_SYNTAX = frozenset(':*?/&|()"\\')


def _node_query(node: str, field: str) -> str:
    """The query a ``node`` stands for: a bare word is read from ``field``; any other query as written.

    A *bare word* is a node with no query syntax (no ``field:``, glob, regex, ``&``, ``|``,
    parentheses or quotes): ``"security"`` becomes ``"lemma:security"`` when ``field="lemma"``.
    Everything else follows the query language (``docs/query-language.md``): ``"secur*"`` is a
    glob on the form, ``"lemma:secur*|secur*"`` either, ``"form:Security"`` a form.
    """
    if not isinstance(node, str) or not node.strip():
        raise ParameterError(f"node is a one-word query such as 'security', 'lemma:security' or 'secur*', not {node!r}")
    node = node.strip()
    if any(ch in _QUERY_SYNTAX or ch.isspace() for ch in node):
        return node
    return f"{field_name(field)}:{node}"


class CollocationStream:
    """A Tokens table prepared once for many :meth:`collocates` queries (e.g. a network).

    The stream is the table's words (:func:`analysis.is_word`) in reading order: non-words
    neither count nor take window slots. Holds each word's term code (terms read from
    ``field``), the ``within`` unit it belongs to, and which words may count as collocates
    (``upos``/``stopwords``).
    """

    def __init__(self, tokens: pd.DataFrame, *, field: str = "lemma", case_sensitive: bool = False,
                 within: str = "paragraph", stopwords: Iterable[str] | None = None,
                 upos: Iterable[str] | None = None):
        require_rows(tokens, "the Tokens table")
        within = check_within(within)
        codes, vocab = term_codes(tokens, field, case_sensitive=case_sensitive)
        self.tokens = tokens
        self.field = field
        self.case_sensitive = case_sensitive
        self.rows = np.flatnonzero(is_word(tokens))
        self.n = len(self.rows)
        if self.n == 0:
            raise EmptySelectionError("the table holds no words (only punctuation)")
        self.codes = codes[self.rows]
        self.vocab = vocab
        self.unit = unit_keys(tokens, within)[self.rows]
        eligible = self.codes >= 0
        if upos is not None:
            check_columns(tokens, ["upos"], "filter on")
            eligible &= tokens["upos"].isin(as_list(upos)).to_numpy(dtype=bool)[self.rows]
        if stopwords is not None:
            stop = {w if case_sensitive else w.lower() for w in as_list(stopwords)}
            eligible &= ~np.isin(self.codes, np.flatnonzero(pd.Index(vocab).isin(list(stop))))
        self.eligible = eligible
        self.freq_eligible = np.bincount(self.codes[eligible], minlength=len(vocab))
        self._index = {term: i for i, term in enumerate(vocab)}

    def node_positions(self, node: str) -> np.ndarray:
        """Stream positions of the words matching ``node`` (a bare word is read from ``field``, see :func:`collocates`)."""
        mask = single_word_mask(self.tokens, _node_query(node, self.field), case_sensitive=self.case_sensitive)
        positions = np.flatnonzero(mask[self.rows])
        if not len(positions):
            raise EmptySelectionError(f"node {node!r} does not occur in these words; check the spelling, "
                                      "or try field='form' / field='lemma' or a query such as 'secur*'")
        return positions

    def term_positions(self, term: str) -> np.ndarray:
        """Stream positions of one term of the vocabulary (a collocate, as :meth:`collocates` labels it)."""
        code = self._index.get(term)
        return np.flatnonzero(self.codes == code) if code is not None else np.array([], dtype=np.int64)

    def collocates(self, node: str, *, window=5, min_freq: int = 1, measure: str = "log_dice",
                   positions: np.ndarray | None = None) -> pd.DataFrame:
        """See :func:`collocates`; ``positions`` (stream positions of the node) replaces ``node``'s matching."""
        left, right = window_sides(window)
        if left + right == 0:
            raise ParameterError(f"window must include at least one word on one side, not {window!r}")
        check_choice(measure, "measure", MEASURES)
        min_freq = check_int(min_freq, "min_freq", minimum=1)
        positions = self.node_positions(node) if positions is None else positions
        f_node = len(positions)
        v = len(self.vocab)
        in_left = np.zeros(self.n, dtype=bool)
        in_right = np.zeros(self.n, dtype=bool)
        for offset in [*range(-left, 0), *range(1, right + 1)]:
            q = positions + offset
            ok = (q >= 0) & (q < self.n)
            q, p = q[ok], positions[ok]
            q = q[self.unit[q] == self.unit[p]]
            (in_left if offset < 0 else in_right)[q] = True
        in_window = in_left | in_right
        window_size = int(in_window.sum())
        observed = np.bincount(self.codes[in_window & self.eligible], minlength=v)
        obs_left = np.bincount(self.codes[in_left & self.eligible], minlength=v)
        obs_right = np.bincount(self.codes[in_right & self.eligible], minlength=v)
        idx = np.flatnonzero(observed >= min_freq)
        o = observed[idx].astype(float)
        c1 = self.freq_eligible[idx].astype(float)
        r1, n = float(window_size), float(self.n)
        e = expected_frequency(r1, c1, n)
        dp_cn, dp_nc = delta_p(o, r1, c1, n)
        out = pd.DataFrame({
            "collocate": self.vocab[idx].astype(str),
            "observed": observed[idx],
            "left": obs_left[idx],
            "right": obs_right[idx],
            "expected": e,
            "freq_node": f_node,
            "freq_collocate": self.freq_eligible[idx],
            "window_size": window_size,
            "n": int(self.n),
            "mi": mutual_information(o, e),
            "mi3": mi3(o, e),
            "t_score": t_score(o, e),
            "log_dice": log_dice(o, f_node, c1),
            "g2": log_likelihood(o, r1, c1, n),
            "chi2": chi_squared(o, r1, c1, n),
            "delta_p_collocate_given_node": dp_cn,
            "delta_p_node_given_collocate": dp_nc,
        })
        order = np.lexsort((idx, -out["observed"].to_numpy(), -out[measure].to_numpy()))
        out = out.iloc[order].reset_index(drop=True)
        out.attrs = {"node": node, "window": (left, right), "freq_node": f_node, "window_size": window_size,
                     "n": int(self.n), "measure": measure, "field": self.field}
        return out


def collocates(
    tokens: pd.DataFrame,
    node: str,
    *,
    window: int | tuple[int, int] = 5,
    field: str = "lemma",
    case_sensitive: bool = False,
    min_freq: int = 1,
    stopwords: Iterable[str] | None = None,
    upos: Iterable[str] | None = None,
    within: str = "paragraph",
    measure: str = "log_dice",
    top: int | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Window collocates of ``node``, with association measures.

    ``node`` is a one-word query (``docs/query-language.md``). A bare word (no query syntax) is
    read from ``field``: with the default ``field="lemma"``, ``"security"`` means
    ``"lemma:security"``; any other query is taken as written: ``"secur*"`` (a glob on the form),
    ``"lemma:development"``, ``"form:Security"``, ``"lemma:secur*|secur*"``. Collocates are the
    terms of ``field`` (lower-cased unless ``case_sensitive``).

    ``window`` counts words either side of each node occurrence: an int or ``(left, right)``;
    windows never cross the ``within`` unit (``"paragraph"``, default; ``"sentence"`` or
    ``"document"``). Only words count (:func:`analysis.is_word`): non-words neither count nor
    take window slots, and ``N`` is the number of words. ``stopwords`` and ``upos`` restrict
    which words count as collocates (they still take window slots); with ``upos`` the
    collocate's frequency ``C1`` counts only its occurrences with those tags, so the contingency
    table stays consistent. ``min_freq`` is the minimum co-occurrence frequency. ``**filters``
    restrict the corpus first (:func:`analysis.select`; ``N`` counts the selected words).

    One row per collocate (at most ``top``), ordered by ``measure`` (descending), with columns
    ``collocate``, ``observed`` (co-occurrences in the merged windows), ``left``/``right`` (of
    those, how many lie in a left / right window; a word in a left window of one occurrence and
    a right window of another counts on both sides), ``expected`` (``R1·C1/N``), ``freq_node``,
    ``freq_collocate``, ``window_size`` (R1), ``n`` (N) and the measures (definitions in Evert
    2008 unless stated): ``mi`` (log2 O/E), ``mi3`` (log2 O³/E), ``t_score`` ((O-E)/√O),
    ``log_dice`` (Rychlý 2008, from ``observed``, ``freq_node`` and ``freq_collocate``),
    ``g2`` (log-likelihood, 4 cells), ``chi2`` (Pearson, 4 cells),
    ``delta_p_collocate_given_node`` and ``delta_p_node_given_collocate`` (Gries 2013).
    See the module docstring for the contingency table.
    """
    top = check_top(top)
    if filters:
        tokens = select(tokens, **filters).reset_index(drop=True)
        require_rows(tokens, "the selection")
    stream = CollocationStream(tokens, field=field, case_sensitive=case_sensitive, within=within,
                               stopwords=stopwords, upos=upos)
    out = stream.collocates(node, window=window, min_freq=min_freq, measure=measure)
    if top is not None:
        attrs = out.attrs
        out = out.head(top)
        out.attrs = attrs
    return out


def collocation_network(
    tokens: pd.DataFrame,
    node: str,
    *,
    depth: int = 2,
    top: int = 8,
    measure: str = "log_dice",
    window: int | tuple[int, int] = 5,
    min_freq: int = 3,
    field: str = "lemma",
    case_sensitive: bool = False,
    stopwords: Iterable[str] | None = None,
    upos: Iterable[str] | None = ("NOUN", "PROPN", "VERB", "ADJ"),
    within: str = "paragraph",
) -> pd.DataFrame:
    """Edges of a collocation network (GraphColl, Brezina, McEnery & Wattam 2015).

    Starting from ``node`` (a one-word query, read as in :func:`collocates`), takes its ``top``
    collocates by ``measure`` (level 1), then the ``top`` collocates of each of those (level 2),
    and so on to ``depth``. Every word is expanded once; an edge already present in the other
    direction is not repeated; the node's own terms are not its collocates. Content words only
    by default (``upos``).

    Returns one row per edge: ``source``, ``target``, ``level`` (1 = edge from the node),
    ``measure`` (its name), ``value`` (the measure), ``observed`` (co-occurrence frequency).
    The node's label is the bare word (lower-cased unless ``case_sensitive``) or the query as
    written. Input for :func:`analysis.plot_collocation_network`.
    """
    check_choice(measure, "measure", MEASURES)
    depth = check_int(depth, "depth", minimum=1)
    top = check_int(top, "top", minimum=1)
    stream = CollocationStream(tokens, field=field, case_sensitive=case_sensitive, within=within,
                               stopwords=stopwords, upos=upos)
    root_positions = stream.node_positions(node)
    bare = _node_query(node, field) != node.strip()
    root = node.strip().lower() if bare and not case_sensitive else node.strip()
    root_codes = np.unique(stream.codes[root_positions])
    root_terms = {str(t) for t in stream.vocab[root_codes[root_codes >= 0]]}
    rows: list[dict] = []
    seen_edges: set[frozenset] = set()
    expanded: set[str] = set()
    frontier = [root]
    for level in range(1, depth + 1):
        next_frontier: list[str] = []
        for word in frontier:
            if word in expanded:
                continue
            expanded.add(word)
            if level == 1:
                table = stream.collocates(node, window=window, min_freq=min_freq, measure=measure,
                                          positions=root_positions)
                table = table[~table["collocate"].isin(root_terms)]
                expanded |= root_terms
            else:
                positions = stream.term_positions(word)
                if not len(positions):
                    continue
                table = stream.collocates(word, window=window, min_freq=min_freq, measure=measure,
                                          positions=positions)
                table = table[table["collocate"] != word]
            for rec in table.head(top).itertuples(index=False):
                edge = frozenset((word, rec.collocate))
                if edge in seen_edges:
                    continue
                seen_edges.add(edge)
                rows.append({"source": word, "target": rec.collocate, "level": level, "measure": measure,
                             "value": float(getattr(rec, measure)), "observed": int(rec.observed)})
                next_frontier.append(rec.collocate)
        frontier = next_frontier
    return pd.DataFrame(rows, columns=["source", "target", "level", "measure", "value", "observed"])
