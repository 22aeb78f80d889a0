"""Formula (提法, tifa) detection: fixed multi-word formulations repeated across texts.

A *formula* here is a recurring sequence of 3–8 words ("two wings of one bird", "persist in the
correct orientation", 网络安全和信息化) that occurs in at least ``min_docs`` documents. The
procedure (in the spirit of lexical bundles, Biber et al. 1999, with overlap reduction):

1. **Sequences.** Within each sentence, split at punctuation (UPOS ``PUNCT``/``SYM``, or a form
   made only of punctuation characters — the compact Chinese model tags ASCII commas PART), so no
   formula spans punctuation or a sentence boundary. English words are compared by lower-cased
   lemma; Chinese words by form (UD GSD words of the Chinese parse; GSD lemmatises 我们 → 我,
   which would merge distinct words), and Chinese formulas are shown joined without spaces.
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
you edit) with the same non-overlap rule, and :func:`formula_kwic` prints them in context.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from .errors import QueryError
from .rhetoric import is_punctuation_form

#: UPOS that may not begin or end a formula.
EDGE_STOP_UPOS = frozenset({"ADP", "DET", "CCONJ", "SCONJ", "PART", "AUX", "PRON"})
#: Relations of a last word that modifies a word after it: a sequence ending in one is incomplete.
DANGLING_RELATIONS = frozenset({"amod", "nummod", "det", "case", "clf"})
#: UPOS that count as content words.
CONTENT_UPOS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"})
#: UPOS that break a word sequence.
BREAK_UPOS = frozenset({"PUNCT", "SYM"})

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
        if lang.startswith("zh"):
            self.key = self.form
        else:
            self.key = np.array([(lm or f).lower() for lm, f in zip(lemma, self.form)], dtype=object)
        brk = np.isin(self.upos, list(BREAK_UPOS)) | np.array([is_punctuation_form(f) for f in self.form], dtype=bool)
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
        return "" if self.lang.startswith("zh") else " "

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


def _languages(tokens: pd.DataFrame, lang: str | None) -> list[str]:
    if "lang" not in tokens.columns:
        raise QueryError("the table lacks the Tokens column 'lang'; build it with analysis.tokens")
    langs = sorted({str(x) for x in tokens["lang"].astype(object).unique() if str(x)})
    if lang is None:
        return langs
    sel = [x for x in langs if x == lang or x.startswith(lang)]
    if not sel:
        raise QueryError(f"no words in language {lang!r}; languages present: {langs}")
    return sel


def _select_lang(tokens: pd.DataFrame, lang: str) -> pd.DataFrame:
    return tokens[tokens["lang"].astype(object) == lang]


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
             lang: str | None = None, min_content: int = 2, tolerance: int = 0) -> pd.DataFrame:
    """Recurring formulas: maximal, non-overlapping word sequences found in ≥ ``min_docs``
    documents (the procedure is in the module docstring).

    Returns one row per formula: ``lang``, ``formula`` (its commonest surface form, lower-cased;
    Chinese words joined without spaces), ``words`` (the space-separated key: English lemmas,
    Chinese words — what is matched), ``n`` (words), ``n_docs`` and ``doc_ids`` ("; "-separated, in corpus
    order), ``freq`` (non-overlapping occurrences), ``first_doc``/``first_sent`` (first
    occurrence in reading order) and ``example`` (the surface words there). Sorted by n_docs,
    freq, n (descending), then formula.
    """
    if not 1 <= min_n <= max_n:
        raise QueryError(f"need 1 ≤ min_n ≤ max_n, got min_n={min_n}, max_n={max_n}")
    if min_docs < 1:
        raise QueryError(f"min_docs must be at least 1, got {min_docs}")
    tables = []
    for lg in _languages(tokens, lang):
        seq = _Seq(_select_lang(tokens, lg), lg)
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
    missing = [c for c in ("lang", "words") if c not in table.columns]
    if missing:
        raise QueryError(f"the formula table lacks column(s) {missing}; pass the output of formulas()")
    cols = ["formula", "lang", "doc_id", "sent", "start", "end", "row"]
    rows = []
    tokens = tokens.reset_index(drop=True)
    for lg, group in table.groupby("lang", sort=True):
        part = _select_lang(tokens, lg)
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


def formula_kwic(tokens: pd.DataFrame, table: pd.DataFrame, window: int = 8) -> pd.DataFrame:
    """KWIC lines for every formula occurrence: ``formula, doc_id, sent, left, match, right``,
    with up to ``window`` words of context on each side, within the sentence (Chinese joined
    without spaces)."""
    if window < 0:
        raise QueryError(f"window must be ≥ 0, got {window}")
    occ = formula_occurrences(tokens, table)
    tokens = tokens.reset_index(drop=True)
    forms = tokens["form"].astype(object).to_numpy()
    docs = tokens["doc_id"].astype(object).to_numpy()
    sents = tokens["sent"].to_numpy()
    rows = []
    for r in occ.itertuples(index=False):
        n = r.end - r.start + 1
        i, j = r.row, r.row + n
        lo = i
        while lo > 0 and i - lo < window and docs[lo - 1] == r.doc_id and sents[lo - 1] == r.sent:
            lo -= 1
        hi = j
        while hi < len(forms) and hi - j < window and docs[hi] == r.doc_id and sents[hi] == r.sent:
            hi += 1
        sep = "" if str(r.lang).startswith("zh") else " "
        rows.append({"formula": r.formula, "doc_id": r.doc_id, "sent": r.sent,
                     "left": sep.join(forms[lo:i]), "match": sep.join(forms[i:j]), "right": sep.join(forms[j:hi])})
    return pd.DataFrame(rows, columns=["formula", "doc_id", "sent", "left", "match", "right"])


def formulas_by_document(occurrences: pd.DataFrame) -> pd.DataFrame:
    """Counts of each formula in each document (tidy: ``formula, doc_id, freq``) from
    :func:`formula_occurrences` — the table behind the "formulas across posts" figure. Documents
    keep their corpus order (first appearance), formulas their order of first appearance."""
    if occurrences.empty:
        return pd.DataFrame(columns=["formula", "doc_id", "freq"])
    out = occurrences.groupby(["formula", "doc_id"], sort=False).size().rename("freq").reset_index()
    return out
