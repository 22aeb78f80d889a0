"""Formula (提法, tifa) detection: fixed multi-word formulations repeated across texts.

A *formula* here is a recurring sequence of 3–8 words ("two wings of one bird", "persist in the
correct orientation", 网络安全和信息化) that occurs in at least ``min_docs`` documents. The
procedure (in the spirit of lexical bundles, Biber et al. 1999, with overlap reduction):

1. **Sequences.** Within each sentence, split at every non-word (:func:`analysis.is_word`, the
   package's one definition: UPOS ``PUNCT``/``SYM``, or a form made only of punctuation and symbol
   characters — the compact Chinese model tags ASCII commas PART), so no formula spans
   punctuation or a sentence boundary. Each language is processed on its own (the ``lang``
   column read as the :mod:`analysis.languages` registry's canonical code). Words are compared by
   lower-cased lemma, except in the languages of :data:`FORM_KEYED_LANGUAGES` (Chinese), compared
   by form (UD GSD lemmatises 我们 → 我, which would merge distinct words); formulas are shown with
   the language's word joiner (Chinese without spaces).
2. **Candidates.** Every n-gram with ``min_n ≤ n ≤ max_n`` whose first and last words are not
   function words (UPOS ADP, DET, CCONJ, SCONJ, PART, AUX, PRON) and which holds at least
   ``min_content`` content words (NOUN, PROPN, VERB, ADJ, ADV, NUM), and whose last word does not
   modify a word after it (``amod``, ``nummod``, ``det``, ``case``, ``clf`` with a head to the
   right: "persist in the correct" is not a formula, "persist in the correct orientation" is),
   found in ≥ ``min_docs`` documents. Compounds (``compound``, ``nmod``) may end a formula, so
   网络安全和信息化 counts in 网络安全和信息化领导小组.
3. **Maximality.** Longest first, a candidate is dropped when it is contained in a longer
   retained formula whose document set covers all but at most ``tolerance`` of its documents
   (``tolerance=0``: the same document set — the shorter one never occurs without the longer one
   in a document of its own).
4. **Non-overlap.** The retained formulas claim their occurrences greedily — longer first, then
   more documents, then more occurrences, then alphabetical — and an occurrence that overlaps an
   already claimed word is not counted. A formula whose unclaimed occurrences fall below
   ``min_docs`` documents is dropped. Every word thus belongs to at most one formula occurrence;
   ``freq`` and the documents count these non-overlapping occurrences.

:func:`formula_occurrences` finds the occurrences of any formula table (the detected one or one
you edit) with the same non-overlap rule, and :func:`formula_kwic` shows them in context
(:func:`analysis._core.concordance`, within the sentence, as :func:`analysis.kwic` cuts them).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from ._core import check_columns, check_int, concordance, filter_mask, is_word, require_rows
from .errors import EmptySelectionError, ParameterError
from .languages import canonical, joiner

#: UPOS that may not begin or end a formula.
EDGE_STOP_UPOS = frozenset({"ADP", "DET", "CCONJ", "SCONJ", "PART", "AUX", "PRON"})
#: Relations of a last word that modifies a word after it: a sequence ending in one is incomplete.
DANGLING_RELATIONS = frozenset({"amod", "nummod", "det", "case", "clf"})
#: UPOS that count as content words.
CONTENT_UPOS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"})
#: Languages (canonical codes) whose words are compared by form rather than lemma.
FORM_KEYED_LANGUAGES = frozenset({"zh"})

FORMULA_COLUMNS = ["lang", "formula", "words", "n", "n_docs", "doc_ids", "freq", "first_doc",
                   "first_sent", "example"]


class _Seq:
    """The word sequences of one language: keys, segments and row metadata as arrays."""

    def __init__(self, tokens: pd.DataFrame, lang: str):
        t = tokens.reset_index(drop=True)
        self.tokens = t
        self.lang = lang
        self.n = len(t)

        def col(name):
            return t[name].astype(object).where(t[name].notna(), "").to_numpy(dtype=object)

        self.form = col("form")
        lemma = col("lemma")
        self.upos = col("upos")
        self.doc_id = col("doc_id")
        self.sent = t["sent"].to_numpy(dtype=np.int64)
        if lang in FORM_KEYED_LANGUAGES:
            self.key = self.form
        else:
            self.key = np.array([(lm or f).lower() for lm, f in zip(lemma, self.form)], dtype=object)
        brk = ~is_word(t)
        new_sent = np.r_[True, (self.doc_id[1:] != self.doc_id[:-1]) | (self.sent[1:] != self.sent[:-1])] \
            if self.n else np.zeros(0, bool)
        # segment id: increases at every sentence start and every break word; break words get -1
        self.seg = np.cumsum(new_sent | brk | np.r_[False, brk[:-1]] if self.n else np.zeros(0, int))
        self.seg = np.where(brk, -1, self.seg)
        self.edge_ok = ~np.isin(self.upos, list(EDGE_STOP_UPOS)) & ~brk
        # a last word that modifies a word further right ("persist in the *correct* orientation")
        rel = np.array([str(r).split(":", 1)[0] for r in col("deprel")], dtype=object) if "deprel" in t \
            else np.full(self.n, "", dtype=object)
        if "head" in t and "idx" in t:
            to_right = t["head"].to_numpy(dtype=np.int64) > t["idx"].to_numpy(dtype=np.int64)
        else:
            to_right = np.zeros(self.n, dtype=bool)
        self.end_ok = self.edge_ok & ~(np.isin(rel, list(DANGLING_RELATIONS)) & to_right)
        self.content_cum = np.r_[0, np.cumsum(np.isin(self.upos, list(CONTENT_UPOS)))]

    def joiner(self) -> str:
        return joiner(self.lang)

    def spans(self, n: int) -> np.ndarray:
        """Start positions of all n-word spans inside one segment."""
        if self.n < n:
            return np.zeros(0, dtype=np.int64)
        start = np.arange(self.n - n + 1)
        ok = (self.seg[start] >= 0) & (self.seg[start] == self.seg[start + n - 1])
        return start[ok]

    def text(self, i: int, j: int) -> str:
        """Surface text of words i..j-1: spaced as in the source when offsets are known (so
        "People ’s Daily" reads "People’s Daily"); otherwise joined like :meth:`joiner`."""
        if not hasattr(self, "_start"):
            t = self.tokens
            for name, attr in (("start_char", "_start"), ("end_char", "_end")):
                v = pd.to_numeric(t[name], errors="coerce").astype("Float64").fillna(-1) if name in t \
                    else pd.Series(-1, index=t.index)
                setattr(self, attr, v.to_numpy(dtype=np.int64))
        out = [self.form[i]] if j > i else []
        for k in range(i + 1, j):
            if self._start[k] >= 0 and self._end[k - 1] >= 0:
                out.append(" " if self._start[k] > self._end[k - 1] else "")
            else:
                out.append(self.joiner())
            out.append(self.form[k])
        return "".join(out)


def _lang_codes(tokens: pd.DataFrame) -> np.ndarray:
    """The registry's canonical language code of every row."""
    check_columns(tokens, ["lang"], "find formulas without")
    col = tokens["lang"].astype(object)
    return col.map(lambda c: canonical(c) if isinstance(c, str) and c else "").to_numpy(dtype=object)


def _languages(codes: np.ndarray, lang: str | None) -> list[str]:
    langs = sorted({c for c in codes if c})
    if lang is None:
        return langs
    code = canonical(lang)
    if code not in langs:
        raise EmptySelectionError(f"no words in language {lang!r}; languages present: {', '.join(langs)}")
    return [code]


def _claim(seq: _Seq, ranked: list[tuple[tuple[str, ...], list[int]]], min_docs: int, claimed=None):
    """Greedy non-overlapping assignment; returns [(key, accepted starts)] of formulas kept."""
    claimed = np.zeros(seq.n, dtype=bool) if claimed is None else claimed
    kept = []
    for key, starts in ranked:
        n = len(key)
        taken = np.zeros(seq.n, dtype=bool)
        accepted = []
        for s in sorted(starts):
            if claimed[s:s + n].any() or taken[s:s + n].any():
                continue
            taken[s:s + n] = True
            accepted.append(s)
        if len({seq.doc_id[s] for s in accepted}) >= min_docs:
            claimed |= taken
            kept.append((key, accepted))
    return kept


def _table(seq: _Seq, kept) -> pd.DataFrame:
    rows = []
    for key, starts in kept:
        docs = list(dict.fromkeys(seq.doc_id[s] for s in starts))
        first = min(starts)
        surfaces = pd.Series([seq.text(s, s + len(key)).lower() for s in sorted(starts)])
        shown = surfaces.value_counts(sort=True).index[0]  # commonest surface form; ties: first seen
        rows.append({"lang": seq.lang, "formula": shown, "words": " ".join(key),
                     "n": len(key), "n_docs": len(docs), "doc_ids": "; ".join(docs),
                     "freq": len(starts), "first_doc": seq.doc_id[first],
                     "first_sent": int(seq.sent[first]), "example": seq.text(first, first + len(key))})
    return pd.DataFrame(rows, columns=FORMULA_COLUMNS)


def formulas(tokens: pd.DataFrame, *, min_docs: int = 2, min_n: int = 3, max_n: int = 8,
             lang: str | None = None, min_content: int = 2, tolerance: int = 0, **filters: Any) -> pd.DataFrame:
    """Recurring formulas: maximal, non-overlapping word sequences found in ≥ ``min_docs``
    documents (the procedure is in the module docstring).

    ``lang`` is one language code (``"en"``, ``"zh"``); ``None`` finds the formulas of every
    language of the table, each language on its own. ``**filters`` (:func:`analysis.select`)
    restrict the rows searched (``voice="official"``).

    Returns one row per formula: ``lang``, ``formula`` (its commonest surface form, lower-cased;
    Chinese words joined without spaces), ``words`` (the space-separated key: English lemmas,
    Chinese words — what is matched), ``n`` (words), ``n_docs`` and ``doc_ids`` ("; "-separated, in corpus
    order), ``freq`` (non-overlapping occurrences), ``first_doc``/``first_sent`` (first
    occurrence in reading order) and ``example`` (the surface words there). Sorted by n_docs,
    freq, n (descending), then formula.
    """
    check_int(min_docs, "min_docs", minimum=1)
    check_int(min_n, "min_n", minimum=1)
    check_int(max_n, "max_n", minimum=1)
    check_int(min_content, "min_content")
    check_int(tolerance, "tolerance")
    if min_n > max_n:
        raise ParameterError(f"need min_n ≤ max_n, got min_n={min_n}, max_n={max_n}")
    require_rows(tokens)
    if filters:
        tokens = tokens[filter_mask(tokens, filters)]
        require_rows(tokens, "the filtered table")
    codes = _lang_codes(tokens)
    tables = []
    for lg in _languages(codes, lang):
        seq = _Seq(tokens[codes == lg], lg)
        occ: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for n in range(min_n, max_n + 1):
            starts = seq.spans(n)
            ends = starts + n - 1
            ok = seq.edge_ok[starts] & seq.end_ok[ends] & \
                ((seq.content_cum[starts + n] - seq.content_cum[starts]) >= min_content)
            for s in starts[ok]:
                occ[tuple(seq.key[s:s + n])].append(int(s))
        docs = {k: {seq.doc_id[s] for s in v} for k, v in occ.items()}
        cands = [k for k in occ if len(docs[k]) >= min_docs]
        cands.sort(key=lambda k: (-len(k), -len(docs[k]), -len(occ[k]), k))
        contained_in: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        retained = []
        for k in cands:
            if any(len(docs[k] - docs[h]) <= tolerance for h in contained_in.get(k, ())):
                continue
            retained.append(k)
            for m in range(min_n, len(k)):
                for i in range(len(k) - m + 1):
                    contained_in[k[i:i + m]].append(k)
        ranked = [(k, occ[k]) for k in retained]  # already longest first, then docs, freq, key
        tables.append(_table(seq, _claim(seq, ranked, min_docs)))
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=FORMULA_COLUMNS)
    out = out.sort_values(["n_docs", "freq", "n", "formula"], ascending=[False, False, False, True],
                          kind="stable").reset_index(drop=True)
    return out


def formula_occurrences(tokens: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Where each formula of ``table`` (the output of :func:`formulas`, or any table with
    ``lang`` and ``words`` columns) occurs: one row per non-overlapping occurrence with
    ``formula, lang, doc_id, sent, start, end`` (word indices ``idx`` of the first and last word)
    and ``row`` (the Tokens row position of the first word). Formulas claim words in the order
    longest first, then by table order; an overlapping occurrence is skipped."""
    check_columns(table, ["lang", "words"], "find formulas (pass the output of formulas()) without")
    cols = ["formula", "lang", "doc_id", "sent", "start", "end", "row"]
    rows = []
    tokens = tokens.reset_index(drop=True)
    codes = _lang_codes(tokens)
    for lg, group in table.groupby(table["lang"].astype(str).map(canonical), sort=True):
        part = tokens[codes == lg]
        if part.empty:
            continue
        offset = part.index.to_numpy()
        seq = _Seq(part, lg)
        keys = [tuple(str(w).split(" ")) for w in group["words"]]
        shown = dict(zip(keys, group["formula"] if "formula" in group else group["words"]))
        order = sorted(range(len(keys)), key=lambda i: (-len(keys[i]), i))
        wanted = {keys[i] for i in order}
        lengths = sorted({len(k) for k in keys})
        found: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for n in lengths:
            for s in seq.spans(n):
                k = tuple(seq.key[s:s + n])
                if k in wanted:
                    found[k].append(int(s))
        kept = _claim(seq, [(keys[i], found.get(keys[i], [])) for i in order], min_docs=1)
        for key, starts in kept:
            for s in starts:
                rows.append({"formula": shown[key], "lang": lg, "doc_id": seq.doc_id[s], "sent": int(seq.sent[s]),
                             "start": int(part["idx"].iat[s]), "end": int(part["idx"].iat[s + len(key) - 1]),
                             "row": int(offset[s])})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("row", kind="stable").reset_index(drop=True)


def formula_kwic(tokens: pd.DataFrame, table: pd.DataFrame, *, window: int | tuple[int, int] = 8) -> pd.DataFrame:
    """Concordance lines of every formula occurrence (:func:`formula_occurrences`).

    Columns: ``formula``, then those of :func:`analysis.kwic` (``doc_id, par, sent, position,
    left, match, right`` and the metadata columns): ``match`` is the occurrence, ``left`` and
    ``right`` up to ``window`` words (an int or ``(left, right)``) within its sentence, cut by
    :func:`analysis._core.concordance` (Chinese joined without spaces).
    """
    occ = formula_occurrences(tokens, table)
    tokens = tokens.reset_index(drop=True)
    starts = occ["row"].to_numpy(dtype=np.int64)
    lengths = (occ["end"] - occ["start"] + 1).to_numpy(dtype=np.int64)
    out = concordance(tokens, starts, starts + lengths, window=window, within="sentence")
    out.insert(0, "formula", occ["formula"].to_numpy(dtype=object))
    return out


def formulas_by_document(occurrences: pd.DataFrame) -> pd.DataFrame:
    """Counts of each formula in each document (tidy: ``formula, doc_id, freq``) from
    :func:`formula_occurrences` — the table behind the "formulas across posts" figure. Documents
    keep their corpus order (first appearance), formulas their order of first appearance."""
    if occurrences.empty:
        return pd.DataFrame(columns=["formula", "doc_id", "freq"])
    out = occurrences.groupby(["formula", "doc_id"], sort=False).size().rename("freq").reset_index()
    return out
