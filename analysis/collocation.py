"""Window collocates of a node word, and collocation networks (GraphColl style).

Co-occurrence is *surface* co-occurrence in a span of ``L`` words to the left and ``R`` words
to the right of each occurrence of the node, not crossing paragraph boundaries by default
(Evert 2008, "Corpora and collocations", §3 and §5). For each candidate collocate ``y`` the
2×2 contingency table is::

                          y            not y
    in node windows      O11 = O       O12 = R1 - O       R1 = window size
    elsewhere            O21           O22                R2 = N - R1
                         C1 = f(y)     C2 = N - C1        N  = tokens

where ``R1`` is the total size of the node's windows: the number of token positions inside
the union of the windows of all node occurrences (a window cut by a paragraph edge is smaller;
overlapping windows are merged so that every token is counted at most once, which keeps
``O <= C1`` and the table valid — Evert 2008, §5.2), ``C1`` the collocate's frequency and
``N`` the number of tokens (punctuation left out by default).
Expected frequencies are ``E_ij = R_i C_j / N`` (so ``E11 = R1 C1 / N``). With span (0, 1) this
is the bigram table of NLTK's ``BigramAssocMeasures`` (``n_ii = O``, ``n_ix = R1 = f(node)``,
``n_xi = f(y)``, ``n_xx = N``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .contingency import chi_squared_2x2, log_likelihood_2x2, table_2x2
from .errors import QueryError
from .keywords import punct_mask, term_codes

#: Measures :func:`collocates` computes (column names), usable as ``sort``/``measure``.
MEASURES = ("observed", "mi", "mi3", "t_score", "log_dice", "g2", "chi2",
            "delta_p_collocate_given_node", "delta_p_node_given_collocate")
#: Context units a window may not cross.
WITHIN = ("par", "sent", "doc")


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

class CollocationStream:
    """A Tokens table prepared once for many :meth:`collocates` queries (e.g. a network).

    Holds the term code of each kept token, the context unit it belongs to, and which tokens
    may count as collocates (``upos``/``stopwords`` filters).
    """

    def __init__(self, tokens: pd.DataFrame, *, by: str = "lemma", lowercase: bool = True,
                 exclude_punct: bool = True, within: str | None = "par",
                 stopwords: Iterable[str] | None = None, upos: Iterable[str] | None = None):
        if len(tokens) == 0:
            raise QueryError("the Tokens table is empty; load or annotate a corpus first")
        if within is not None and within not in WITHIN:
            raise QueryError(f"within must be one of {', '.join(WITHIN)} or None, not {within!r}")
        self.lowercase = lowercase
        codes, vocab = term_codes(tokens, by, lowercase)
        keep = codes >= 0
        if exclude_punct:
            keep &= ~punct_mask(tokens)
        rows = np.flatnonzero(keep)
        self.codes = codes[rows]
        self.vocab = vocab
        self.n = len(rows)
        if self.n == 0:
            raise QueryError("no words left after dropping punctuation")
        # context unit id: changes whenever doc (and par/sent) changes between consecutive rows
        change = np.zeros(self.n, dtype=bool)
        if within is not None:
            keys = ["doc_id"] + ([] if within == "doc" else [within])
            for key in keys:
                col = tokens[key]
                arr = (col.cat.codes if isinstance(col.dtype, pd.CategoricalDtype) else col).to_numpy()[rows]
                change[1:] |= arr[1:] != arr[:-1]
        self.unit = np.cumsum(change)
        eligible = np.ones(self.n, dtype=bool)
        if upos is not None:
            wanted = [upos] if isinstance(upos, str) else list(upos)
            eligible &= np.asarray(tokens["upos"].isin(wanted), dtype=bool)[rows]
        if stopwords is not None:
            words = [stopwords] if isinstance(stopwords, str) else list(stopwords)
            stop = {w.lower() if lowercase else w for w in words}
            stop_codes = np.flatnonzero(np.asarray(vocab.isin(list(stop)), dtype=bool))
            eligible &= ~np.isin(self.codes, stop_codes)
        self.eligible = eligible
        self.freq = np.bincount(self.codes, minlength=len(vocab))
        self.freq_eligible = np.bincount(self.codes[eligible], minlength=len(vocab))
        self._index = {term: i for i, term in enumerate(vocab)}

    def node_codes(self, node: str | Iterable[str]) -> np.ndarray:
        terms = [node] if isinstance(node, str) else list(node)
        if not terms:
            raise QueryError("give a node word")
        found = []
        for term in terms:
            key = term.lower() if self.lowercase else term
            if key in self._index and self.freq[self._index[key]] > 0:
                found.append(self._index[key])
        if not found:
            raise QueryError(f"node {', '.join(map(repr, terms))} does not occur in these tokens; "
                             "check the spelling, or try by='form' / by='lemma'")
        return np.array(sorted(set(found)), dtype=np.int64)

    def collocates(self, node: str | Iterable[str], span: tuple[int, int] = (5, 5), min_freq: int = 1,
                   sort: str = "log_dice") -> pd.DataFrame:
        """See :func:`collocates`."""
        left, right = _check_span(span)
        if sort not in MEASURES:
            raise QueryError(f"sort must be one of {', '.join(MEASURES)}, not {sort!r}")
        node_codes = self.node_codes(node)
        positions = np.flatnonzero(np.isin(self.codes, node_codes))
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
        window = int(in_window.sum())
        observed = np.bincount(self.codes[in_window & self.eligible], minlength=v)
        obs_left = np.bincount(self.codes[in_left & self.eligible], minlength=v)
        obs_right = np.bincount(self.codes[in_right & self.eligible], minlength=v)
        idx = np.flatnonzero(observed >= max(int(min_freq), 1))
        o = observed[idx].astype(float)
        c1 = self.freq_eligible[idx].astype(float)
        r1, n = float(window), float(self.n)
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
            "window_size": int(window),
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
        order = np.lexsort((idx, -out["observed"].to_numpy(), -out[sort].to_numpy()))
        out = out.iloc[order].reset_index(drop=True)
        out.attrs = {"node": node, "span": (left, right), "freq_node": f_node, "window_size": int(window),
                     "n": int(self.n), "sort": sort}
        return out


def _check_span(span) -> tuple[int, int]:
    try:
        left, right = (int(x) for x in span)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"span must be a pair (left, right) of word counts, e.g. (5, 5); got {span!r}") from exc
    if left < 0 or right < 0 or left + right == 0:
        raise QueryError(f"span must be two non-negative word counts, not both 0; got {span!r}")
    return left, right


def collocates(
    tokens: pd.DataFrame,
    node: str | Iterable[str],
    *,
    span: tuple[int, int] = (5, 5),
    by: str = "lemma",
    lowercase: bool = True,
    min_freq: int = 1,
    stopwords: Iterable[str] | None = None,
    upos: Iterable[str] | None = None,
    within: str | None = "par",
    exclude_punct: bool = True,
    sort: str = "log_dice",
) -> pd.DataFrame:
    """Window collocates of ``node`` (a lemma or form, or a list of them), with association measures.

    ``span=(L, R)`` counts words left and right of each node occurrence; windows stay inside
    one paragraph (``within="par"``; ``"sent"``, ``"doc"`` or ``None`` for none). Punctuation
    is left out of the token stream (so it neither counts nor takes window slots) unless
    ``exclude_punct=False``. ``stopwords`` and ``upos`` restrict which words count as
    collocates; with ``upos`` the collocate's frequency ``C1`` counts only its occurrences with
    those tags, so the contingency table stays consistent. ``min_freq`` is the minimum
    co-occurrence frequency.

    One row per collocate, ordered by ``sort`` (descending), with columns ``collocate``,
    ``observed`` (co-occurrences in the merged windows), ``left``/``right`` (of those, how many
    lie in a left / right window; a token in a left window of one occurrence and a right window
    of another counts on both sides), ``expected`` (``R1·C1/N``), ``freq_node``,
    ``freq_collocate``, ``window_size`` (R1), ``n`` (N) and the measures (definitions in Evert
    2008 unless stated): ``mi`` (log2 O/E), ``mi3`` (log2 O³/E), ``t_score`` ((O-E)/√O),
    ``log_dice`` (Rychlý 2008, from ``observed``, ``freq_node`` and ``freq_collocate``),
    ``g2`` (log-likelihood, 4 cells), ``chi2`` (Pearson, 4 cells),
    ``delta_p_collocate_given_node`` and ``delta_p_node_given_collocate`` (Gries 2013).
    See the module docstring for the contingency table.
    """
    stream = CollocationStream(tokens, by=by, lowercase=lowercase, exclude_punct=exclude_punct, within=within,
                               stopwords=stopwords, upos=upos)
    return stream.collocates(node, span=span, min_freq=min_freq, sort=sort)


def collocation_network(
    tokens: pd.DataFrame,
    node: str,
    *,
    depth: int = 2,
    top: int = 8,
    measure: str = "log_dice",
    span: tuple[int, int] = (5, 5),
    min_freq: int = 3,
    by: str = "lemma",
    lowercase: bool = True,
    stopwords: Iterable[str] | None = None,
    upos: Iterable[str] | None = ("NOUN", "PROPN", "VERB", "ADJ"),
    within: str | None = "par",
) -> pd.DataFrame:
    """Edges of a collocation network (GraphColl, Brezina, McEnery & Wattam 2015).

    Starting from ``node``, takes its ``top`` collocates by ``measure`` (level 1), then the
    ``top`` collocates of each of those (level 2), and so on to ``depth``. Every word is
    expanded once; an edge already present in the other direction is not repeated. Content
    words only by default (``upos``).

    Returns one row per edge: ``source``, ``target``, ``level`` (1 = edge from the node),
    ``measure`` (its name), ``value`` (the measure), ``observed`` (co-occurrence frequency).
    Input for :func:`analysis.plots.collocation.plot_collocation_network`.
    """
    if measure not in MEASURES:
        raise QueryError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    if depth < 1 or top < 1:
        raise QueryError("depth and top must be at least 1")
    stream = CollocationStream(tokens, by=by, lowercase=lowercase, within=within, stopwords=stopwords, upos=upos)
    root = node.lower() if lowercase else node
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
            try:
                table = stream.collocates(word, span=span, min_freq=min_freq, sort=measure)
            except QueryError:
                if level == 1:
                    raise
                continue
            table = table[table["collocate"] != word].head(top)
            for rec in table.itertuples(index=False):
                edge = frozenset((word, rec.collocate))
                if edge in seen_edges:
                    continue
                seen_edges.add(edge)
                rows.append({"source": word, "target": rec.collocate, "level": level, "measure": measure,
                             "value": float(getattr(rec, measure)), "observed": int(rec.observed)})
                next_frontier.append(rec.collocate)
        frontier = next_frontier
    return pd.DataFrame(rows, columns=["source", "target", "level", "measure", "value", "observed"])
