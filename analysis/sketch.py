"""Word sketches: a lemma's collocates grouped by grammatical relation, from the dependency parse.

A word sketch (Kilgarriff et al. 2004, Sketch Engine) lists, for each grammatical relation, the
words a lemma combines with in that relation, with frequency and logDice. Relations are read off
the Universal Dependencies parse, so English and Chinese share them:

====================================  ==========================================================
relation (node X, collocate Y)        UD configuration
====================================  ==========================================================
``modifier (amod)``                   Y --amod--> X             (national security)
``modifies (amod of)``                X --amod--> Y
``compound``                          Y --compound--> X         (information security)
``compound of``                       X --compound--> Y         (security issue)
``nmod``                              Y --nmod--> X, Y without a case marker (网络 安全)
``nmod of``                           X --nmod--> Y, X without a case marker
``possessor (nmod:poss)``             Y --nmod:poss--> X        (China's security)
``possessed (nmod:poss of)``          X --nmod:poss--> Y
``object``                            Y --obj--> X              (X a verb)
``object of``                         X --obj--> Y              (safeguard security)
``subject``                           Y --nsubj--> X
``subject of``                        X --nsubj--> Y
``passive subject``                   Y --nsubj:pass--> X
``subject of (passive)``              X --nsubj:pass--> Y       (security is guaranteed)
``coordinated (conj)``                X --conj--> Y or Y --conj--> X (security and development)
``pp_p`` (e.g. ``pp_of``)             Y --nmod/obl--> X, Y has case marker(s) p (security of the nation)
``pp_obj_p`` (e.g. ``pp_obj_to``)     X --nmod/obl--> Y, X has case marker(s) p (threats to security)
====================================  ==========================================================

(``A --rel--> B`` means A is the dependent of B.) The prepositional relations are the brief's
"obl/nmod + case lemma", named as in Sketch Engine's English sketch grammar: ``pp_of`` lists
the nouns in the node's *of*-phrases, ``pp_obj_to`` the words whose *to*-phrase contains the
node. ``p`` is the lemma of the case dependent(s) of the prepositional object with their
``fixed`` dependents, in word order, joined by ``_`` (``pp_of``, ``pp_because_of``,
``pp_在_上``). The labels do not depend on word order, so they work for Chinese too, where UD
also treats associative 的 as a case marker (``pp_的``: 产业 in 产业的发展).

logDice is computed from relation-specific frequencies as in Sketch Engine (Rychlý 2008;
Sketch Engine documentation "logDice"): ``logDice = 14 + log2(2 f(X,R,Y) / (f(X,R,*) +
f(*,R,Y)))`` where ``f(X,R,*)`` is how often the node occurs in relation R with any collocate and
``f(*,R,Y)`` how often the collocate fills the collocate slot of R with any node — i.e. the
collocate's frequency in the converse relation. Both are counted over the whole Tokens table.

Only words take part (:func:`analysis.is_word`: punctuation and symbols, whatever their tag, are
never a node or a collocate). Lemmas are lower-cased unless ``case_sensitive=True``.
:func:`sketch_hits` shows the instances behind a cell as concordance lines cut by
:func:`analysis._core.concordance` within the sentence, as :func:`analysis.kwic` cuts them.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ._core import check_columns, check_int, check_top, concordance, is_word
from .errors import EmptySelectionError, ParameterError

#: Fixed relations, in display order; prepositional relations follow, by frequency.
RELATIONS = (
    "modifier (amod)", "compound", "nmod", "possessor (nmod:poss)", "object of", "subject of",
    "subject of (passive)", "object", "subject", "passive subject", "coordinated (conj)",
    "modifies (amod of)", "compound of", "nmod of", "possessed (nmod:poss of)",
)

PAIR_COLUMNS = ("relation", "node", "collocate", "doc_id", "sent", "node_idx", "collocate_idx",
                "node_row", "collocate_row")


def _sentence_bounds(tokens: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For every row, the row position of its sentence's first word and one past its last."""
    n = len(tokens)
    doc = tokens["doc_id"].cat.codes.to_numpy() if isinstance(tokens["doc_id"].dtype, pd.CategoricalDtype) \
        else pd.factorize(tokens["doc_id"])[0]
    sent = tokens["sent"].to_numpy()
    change = np.ones(n, dtype=bool)
    change[1:] = (doc[1:] != doc[:-1]) | (sent[1:] != sent[:-1])
    first = np.flatnonzero(change)
    sid = np.cumsum(change) - 1
    last = np.append(first[1:], n)
    return first[sid], last[sid]


def _head_rows(tokens: pd.DataFrame, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Row position of every word's head (-1 for roots)."""
    head = tokens["head"].to_numpy().astype(np.int64)
    idx = tokens["idx"].to_numpy().astype(np.int64)
    # fast path: words numbered 1..n in row order within each sentence
    cand = start + head - 1
    ok = (head > 0) & (cand >= start) & (cand < end)
    rows = np.where(ok, cand, -1)
    valid = ok.copy()
    valid[ok] = idx[rows[ok]] == head[ok]
    if np.array_equal(valid, head > 0):
        return rows
    # general case: look the head up by (sentence start, idx)
    lookup = {(int(s), int(i)): r for r, (s, i) in enumerate(zip(start, idx))}
    return np.array([lookup.get((int(s), int(h)), -1) if h > 0 else -1 for s, h in zip(start, head)], dtype=np.int64)


def _case_markers(tokens: pd.DataFrame, lemma: np.ndarray, heads: np.ndarray, deprel: np.ndarray,
                  base: np.ndarray) -> dict[int, str]:
    """Row of a nominal → its case marker string (case dependents + their fixed dependents)."""
    idx = tokens["idx"].to_numpy()
    case_rows = np.flatnonzero((base == "case") & (heads >= 0))
    items: dict[int, list[tuple[int, str]]] = {}
    owner_of_case = {}
    for r in case_rows:
        items.setdefault(int(heads[r]), []).append((int(idx[r]), lemma[r]))
        owner_of_case[int(r)] = int(heads[r])
    if owner_of_case:
        fixed_rows = np.flatnonzero((deprel == "fixed") & np.isin(heads, list(owner_of_case)))
        for r in fixed_rows:
            items[owner_of_case[int(heads[r])]].append((int(idx[r]), lemma[r]))
    return {owner: " ".join(w for _, w in sorted(words)) for owner, words in items.items()}


def _strings(col: pd.Series, case_sensitive: bool = True, transform=None) -> np.ndarray:
    """Object array of a column's strings, built per category (fast on categorical columns)."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("string").fillna("").astype("category")
    names = [str(c) for c in col.cat.categories]
    if not case_sensitive:
        names = [c.lower() for c in names]
    if transform is not None:
        names = [transform(c) for c in names]
    return np.array(names + [""], dtype=object)[col.cat.codes.to_numpy()]


def dependency_pairs(tokens: pd.DataFrame, *, case_sensitive: bool = False) -> pd.DataFrame:
    """Every (relation, node, collocate) instance of the Tokens table, one row per instance.

    Relations are those of the module docstring; each dependency gives a row for each of its
    two directions (X as node, and Y as node); both words are words (:func:`analysis.is_word`).
    Columns: ``relation``, ``node``, ``collocate`` (lemmas, lower-cased unless
    ``case_sensitive``), ``doc_id``, ``sent``, ``node_idx``, ``collocate_idx`` (the KWIC keys),
    and the row positions ``node_row``, ``collocate_row`` in ``tokens``.
    """
    check_columns(tokens, ("doc_id", "sent", "idx", "lemma", "upos", "head", "deprel"), "sketch words without")
    if len(tokens) == 0:
        return pd.DataFrame({c: [] for c in PAIR_COLUMNS})
    lemma = _strings(tokens["lemma"], case_sensitive)
    deprel = _strings(tokens["deprel"])
    base = _strings(tokens["deprel"], transform=lambda c: c.split(":")[0])
    start, end = _sentence_bounds(tokens)
    heads = _head_rows(tokens, start, end)
    cases = _case_markers(tokens, lemma, heads, deprel, base)
    punct = ~is_word(tokens)
    dep_rows = np.flatnonzero((heads >= 0) & ~punct & (lemma != ""))

    rel_names: list[str] = []
    nodes: list[np.ndarray] = []
    colls: list[np.ndarray] = []

    def add(label, node_rows, coll_rows):
        if len(node_rows):
            rel_names.extend([label] * len(node_rows) if isinstance(label, str) else list(label))
            nodes.append(node_rows)
            colls.append(coll_rows)

    d, h = dep_rows, heads[dep_rows]
    b, full = base[d], deprel[d]
    has_case = np.array([int(r) in cases for r in d], dtype=bool)
    simple = {
        "amod": ("modifier (amod)", "modifies (amod of)"),
        "obj": ("object", "object of"),
    }
    for rel, (down, up) in simple.items():
        m = b == rel
        add(down, h[m], d[m])
        add(up, d[m], h[m])
    m = (full == "compound") | (full == "compound:nn")
    add("compound", h[m], d[m])
    add("compound of", d[m], h[m])
    m = (full == "nsubj") | (full == "nsubj:outer")
    add("subject", h[m], d[m])
    add("subject of", d[m], h[m])
    m = full == "nsubj:pass"
    add("passive subject", h[m], d[m])
    add("subject of (passive)", d[m], h[m])
    m = b == "conj"
    add("coordinated (conj)", h[m], d[m])
    add("coordinated (conj)", d[m], h[m])
    m = full == "nmod:poss"
    add("possessor (nmod:poss)", h[m], d[m])
    add("possessed (nmod:poss of)", d[m], h[m])
    m = (b == "nmod") & (full != "nmod:poss") & ~has_case
    add("nmod", h[m], d[m])
    add("nmod of", d[m], h[m])
    m = ((b == "nmod") & (full != "nmod:poss") | (b == "obl")) & has_case
    markers = [cases[int(r)] for r in d[m]]
    add([f"pp_{p.replace(' ', '_')}" for p in markers], h[m], d[m])
    add([f"pp_obj_{p.replace(' ', '_')}" for p in markers], d[m], h[m])

    if not nodes:
        return pd.DataFrame({c: [] for c in PAIR_COLUMNS})
    node_rows = np.concatenate(nodes)
    coll_rows = np.concatenate(colls)
    keep = (lemma[coll_rows] != "") & (lemma[node_rows] != "") & ~punct[coll_rows] & ~punct[node_rows]
    idx = tokens["idx"].to_numpy()
    doc = _strings(tokens["doc_id"])
    sent = tokens["sent"].to_numpy()
    out = pd.DataFrame({
        "relation": np.array(rel_names, dtype=object)[keep],
        "node": lemma[node_rows][keep],
        "collocate": lemma[coll_rows][keep],
        "doc_id": doc[node_rows][keep],
        "sent": sent[node_rows][keep].astype(np.int64),
        "node_idx": idx[node_rows][keep].astype(np.int64),
        "collocate_idx": idx[coll_rows][keep].astype(np.int64),
        "node_row": node_rows[keep],
        "collocate_row": coll_rows[keep],
    })
    return out


class WordSketch(pd.DataFrame):
    """The long word-sketch table (a DataFrame) that renders in Jupyter as one column per relation.

    Columns: ``relation``, ``collocate``, ``freq``, ``log_dice``, ``freq_node_relation``
    (f(X,R,*)), ``freq_collocate_relation`` (f(*,R,Y)), ``hits`` (list of ``(doc_id, sent,
    node_idx, collocate_idx)`` keys; :func:`sketch_hits` turns them into KWIC lines).
    :meth:`grid` gives the compact multi-column view, :meth:`to_text` the CLI text. Like
    :class:`analysis.KWIC`, slices and selections stay a WordSketch (keeping ``node`` and
    ``top``); :meth:`to_frame` gives a plain DataFrame.
    """

    _metadata = ["node", "top"]

    @property
    def _constructor(self):
        return WordSketch

    def to_frame(self) -> pd.DataFrame:
        """The sketch as a plain :class:`pandas.DataFrame`."""
        return pd.DataFrame(self)

    def _shown(self, top: int | None) -> int:
        """Collocates shown per relation: ``top``, else the sketch's own (``None`` = all)."""
        top = top if top is not None else getattr(self, "top", 10)
        return max(len(self), 1) if top is None else top

    def relations(self) -> list[str]:
        """Relations present, in display order."""
        return list(dict.fromkeys(self["relation"]))

    def grid(self, top: int | None = None) -> pd.DataFrame:
        """Compact view: one column per relation, its ``top`` collocates as ``word f logDice``."""
        top = self._shown(top)
        cols = {}
        for rel in self.relations():
            sub = self[self["relation"] == rel].head(top)
            cols[rel] = [f"{c} {f} {ld:.1f}" for c, f, ld in zip(sub["collocate"], sub["freq"], sub["log_dice"])]
        depth = max((len(v) for v in cols.values()), default=0)
        return pd.DataFrame({k: v + [""] * (depth - len(v)) for k, v in cols.items()})

    def to_text(self, top: int | None = None) -> str:
        """Relation blocks: a heading per relation, then ``collocate  freq  logDice`` lines."""
        top = self._shown(top)
        node = getattr(self, "node", "")
        lines = [f"word sketch of {node!r}: {len(self)} collocations in {len(self.relations())} relations"]
        for rel in self.relations():
            sub = self[self["relation"] == rel]
            lines.append("")
            lines.append(f"{rel}  (node in relation: {int(sub['freq_node_relation'].iloc[0])})")
            width = max(len(str(c)) for c in sub["collocate"].head(top))
            for c, f, ld in zip(sub["collocate"].head(top), sub["freq"].head(top), sub["log_dice"].head(top)):
                lines.append(f"  {str(c):<{width}}  {int(f):>5}  {ld:6.2f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if not {"relation", "collocate", "freq", "log_dice"}.issubset(self.columns):
            return pd.DataFrame(self)._repr_html_()
        top = self._shown(None)
        node = html.escape(str(getattr(self, "node", "")))
        if len(self) == 0:
            return f"<p>word sketch of <b>{node}</b>: no collocations</p>"
        blocks = []
        for rel in self.relations():
            sub = self[self["relation"] == rel].head(top)
            rows = "".join(
                f"<tr><td style='text-align:left'>{html.escape(str(c))}</td><td>{int(f)}</td><td>{ld:.1f}</td></tr>"
                for c, f, ld in zip(sub["collocate"], sub["freq"], sub["log_dice"]))
            blocks.append(
                "<div style='margin:0 1em 1em 0'><table style='font-size:85%'>"
                f"<thead><tr><th colspan='3' style='text-align:left'>{html.escape(rel)}</th></tr>"
                "<tr><th></th><th>f</th><th>logDice</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")
        return (f"<div><p>word sketch of <b>{node}</b> ({len(self)} collocations; top {top} per relation)</p>"
                f"<div style='display:flex;flex-wrap:wrap;align-items:flex-start'>{''.join(blocks)}</div></div>")


def _order_relations(labels) -> list[str]:
    present = list(dict.fromkeys(labels))
    fixed = [r for r in RELATIONS if r in present]
    return fixed + [r for r in present if r not in RELATIONS]


def word_sketch(tokens: pd.DataFrame, lemma: str, *, min_freq: int = 1, case_sensitive: bool = False,
                top: int | None = 10) -> WordSketch:
    """The word sketch of ``lemma``: collocates by grammatical relation, with freq and logDice.

    Returns a :class:`WordSketch` (a long DataFrame) with one row per (relation, collocate)
    seen at least ``min_freq`` times, ordered by relation (see :data:`RELATIONS`;
    prepositional relations after the fixed ones, by frequency) and within a relation by
    logDice, then frequency. logDice uses relation-specific frequencies (module docstring).
    Lemmas are lower-cased unless ``case_sensitive``. ``top`` is how many collocates per
    relation the Jupyter/text views show (``None``: all); the table holds them all.
    A lemma that does not occur is an :class:`~analysis.errors.EmptySelectionError`.
    """
    if not isinstance(lemma, str) or not lemma.strip():
        raise ParameterError("give the lemma to sketch, e.g. word_sketch(tokens, 'security')")
    check_int(min_freq, "min_freq")
    check_top(top)
    pairs = dependency_pairs(tokens, case_sensitive=case_sensitive)
    key = lemma if case_sensitive else lemma.lower()
    mine = pairs[pairs["node"] == key]
    if len(mine) == 0:
        known = (_strings(tokens["lemma"], case_sensitive) == key).any()
        if not known:
            raise EmptySelectionError(f"lemma {lemma!r} does not occur in these tokens; check the spelling "
                                      "(word sketches match lemmas, e.g. 'security', '安全')")
    f_xr = mine.groupby("relation").size()
    coll_in_rel = pairs.groupby(["relation", "collocate"]).size()
    rows = []
    for (rel, coll), grp in mine.groupby(["relation", "collocate"], sort=False):
        f_xy = len(grp)
        if f_xy < max(int(min_freq), 1):
            continue
        fx, fy = int(f_xr[rel]), int(coll_in_rel[(rel, coll)])
        rows.append({
            "relation": rel, "collocate": coll, "freq": f_xy,
            "log_dice": 14.0 + np.log2(2.0 * f_xy / (fx + fy)),
            "freq_node_relation": fx, "freq_collocate_relation": fy,
            "hits": [(str(dc), int(s), int(n), int(c)) for dc, s, n, c in
                     zip(grp["doc_id"], grp["sent"], grp["node_idx"], grp["collocate_idx"])],
        })
    cols = ["relation", "collocate", "freq", "log_dice", "freq_node_relation", "freq_collocate_relation", "hits"]
    table = pd.DataFrame(rows, columns=cols)
    if len(table):
        order = {r: i for i, r in enumerate(_order_relations(
            table.groupby("relation")["freq"].sum().sort_values(ascending=False, kind="mergesort").index))}
        table = (table.assign(_r=table["relation"].map(order))
                 .sort_values(["_r", "log_dice", "freq", "collocate"], ascending=[True, False, False, True],
                              kind="mergesort")
                 .drop(columns="_r").reset_index(drop=True))
    sketch = WordSketch(table)
    sketch.node = lemma
    sketch.top = top
    return sketch


def sketch_hits(tokens: pd.DataFrame, lemma: str, relation: str, collocate: str, *,
                window: int | tuple[int, int] = 8, case_sensitive: bool = False) -> pd.DataFrame:
    """The concordance lines behind one cell of a word sketch.

    One row per instance with ``doc_id, par, sent``, ``node_idx``, ``collocate_idx``, then the
    columns of :func:`analysis.kwic` (``position, left, match, right`` and the metadata
    columns): ``match`` runs from the node to the collocate (whichever comes first),
    ``left``/``right`` are up to ``window`` words (an int or ``(left, right)``) of the same
    sentence, cut by :func:`analysis._core.concordance` (Chinese joined without spaces). No
    instance is an :class:`~analysis.errors.EmptySelectionError` naming the lemma's relations.
    """
    pairs = dependency_pairs(tokens, case_sensitive=case_sensitive)
    node, coll = (lemma, collocate) if case_sensitive else (lemma.lower(), collocate.lower())
    sel = pairs[(pairs["node"] == node) & (pairs["relation"] == relation) & (pairs["collocate"] == coll)]
    if len(sel) == 0:
        known = sorted(set(pairs.loc[pairs["node"] == node, "relation"]))
        raise EmptySelectionError(f"no {relation!r} instances of {lemma!r} with {collocate!r}"
                                  + (f"; its relations are: {', '.join(known)}" if known else ""))
    rows = np.sort(sel[["node_row", "collocate_row"]].to_numpy(dtype=np.int64), axis=1)
    out = concordance(tokens, rows[:, 0], rows[:, 1] + 1, window=window, within="sentence")
    at = out.columns.get_loc("sent") + 1
    out.insert(at, "node_idx", sel["node_idx"].to_numpy(dtype=np.int64))
    out.insert(at + 1, "collocate_idx", sel["collocate_idx"].to_numpy(dtype=np.int64))
    return out
