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


def _category_names(col: pd.Series, case_sensitive: bool, transform) -> tuple[list[str], np.ndarray]:
    """A column's category strings (lower-cased unless ``case_sensitive``, then ``transform``ed) plus
    ``""`` for missing values, and each row's code into that list (-1, a missing value, picks the ``""``)."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("string").fillna("").astype("category")
    names = [str(c) for c in col.cat.categories]
    if not case_sensitive:
        names = [c.lower() for c in names]
    if transform is not None:
        names = [transform(c) for c in names]
    return names + [""], col.cat.codes.to_numpy()


def _ids(col: pd.Series, case_sensitive: bool = True, transform=None) -> tuple[np.ndarray, np.ndarray]:
    """A column's strings (as :func:`_strings` gives them) as an integer id per row and the distinct strings."""
    names, codes = _category_names(col, case_sensitive, transform)
    ids, vocab = pd.factorize(np.array(names, dtype=object))
    return np.asarray(ids, dtype=np.int64)[codes], np.asarray(vocab, dtype=object)


def _id_of(vocab: np.ndarray, text: str) -> int:
    hit = np.flatnonzero(vocab == text)
    return int(hit[0]) if len(hit) else -2  # -2: no row has it


def _strings(col: pd.Series, case_sensitive: bool = True, transform=None) -> np.ndarray:
    """Object array of a column's strings, built per category (fast on categorical columns)."""
    names, codes = _category_names(col, case_sensitive, transform)
    return np.array(names, dtype=object)[codes]


#: The fixed relations in the order :func:`dependency_pairs` lists their instances: (label, which
#: dependencies, node is the head (True) or the dependent).
_PP, _PP_OBJ = -1, -2  # kinds of the prepositional instances (label from the case marker)


class _Pairs:
    """Every (relation, node, collocate) instance of a Tokens table as integer arrays.

    ``kind`` is the index of the relation in ``labels`` (fixed relations) or ``_PP``/``_PP_OBJ``
    (prepositional: the label comes from the case marker of ``owner``, the dependent);
    ``node``/``coll`` are row positions; ``lemma`` the lemma id of every row into ``vocab``.
    The instances are in the order :func:`dependency_pairs` lists them.
    """

    def __init__(self, tokens: pd.DataFrame, case_sensitive: bool):
        self.tokens = tokens
        self.lemma, self.vocab = _ids(tokens["lemma"], case_sensitive)
        rel, rel_vocab = _ids(tokens["deprel"])
        base_of, base_vocab = pd.factorize(np.asarray([r.split(":")[0] for r in rel_vocab.tolist()], dtype=object))
        base = np.asarray(base_of, dtype=np.int64)[rel]
        base_vocab = np.asarray(base_vocab, dtype=object)
        start, end = _sentence_bounds(tokens)
        self.heads = heads = _head_rows(tokens, start, end)
        self.rel, self.rel_vocab = rel, rel_vocab
        empty = _id_of(self.vocab, "")
        punct = ~is_word(tokens)
        dep_rows = np.flatnonzero((heads >= 0) & ~punct & (self.lemma != empty))
        self.case_rows = np.flatnonzero((base == _id_of(base_vocab, "case")) & (heads >= 0))
        owner = np.zeros(len(tokens), dtype=bool)
        owner[heads[self.case_rows]] = True

        def is_rel(ids, text):  # a full relation
            return ids == _id_of(rel_vocab, text)

        def is_base(ids, text):  # a relation without its subtype
            return ids == _id_of(base_vocab, text)

        labels: list[str] = []
        kinds, nodes, colls, owners = [], [], [], []

        def add(label, node_rows, coll_rows, owner_rows=None):
            if len(node_rows):
                if isinstance(label, str):
                    if label not in labels:
                        labels.append(label)
                    kinds.append(np.full(len(node_rows), labels.index(label), dtype=np.int64))
                else:
                    kinds.append(np.full(len(node_rows), label, dtype=np.int64))
                nodes.append(node_rows)
                colls.append(coll_rows)
                owners.append(owner_rows if owner_rows is not None else np.full(len(node_rows), -1, np.int64))

        d, h = dep_rows, heads[dep_rows]
        b, full = base[d], rel[d]
        has_case = owner[d]
        for name, (down, up) in {"amod": ("modifier (amod)", "modifies (amod of)"),
                                 "obj": ("object", "object of")}.items():
            m = is_base(b, name)
            add(down, h[m], d[m])
            add(up, d[m], h[m])
        m = is_rel(full, "compound") | is_rel(full, "compound:nn")
        add("compound", h[m], d[m])
        add("compound of", d[m], h[m])
        m = is_rel(full, "nsubj") | is_rel(full, "nsubj:outer")
        add("subject", h[m], d[m])
        add("subject of", d[m], h[m])
        m = is_rel(full, "nsubj:pass")
        add("passive subject", h[m], d[m])
        add("subject of (passive)", d[m], h[m])
        m = is_base(b, "conj")
        add("coordinated (conj)", h[m], d[m])
        add("coordinated (conj)", d[m], h[m])
        m = is_rel(full, "nmod:poss")
        add("possessor (nmod:poss)", h[m], d[m])
        add("possessed (nmod:poss of)", d[m], h[m])
        nmod = is_base(b, "nmod") & ~is_rel(full, "nmod:poss")
        m = nmod & ~has_case
        add("nmod", h[m], d[m])
        add("nmod of", d[m], h[m])
        m = (nmod | is_base(b, "obl")) & has_case
        add(_PP, h[m], d[m], d[m])
        add(_PP_OBJ, d[m], h[m], d[m])
        self.labels = labels
        if nodes:
            node, coll = np.concatenate(nodes), np.concatenate(colls)
            keep = (self.lemma[coll] != empty) & (self.lemma[node] != empty) & ~punct[coll] & ~punct[node]
            self.kind, self.node, self.coll = np.concatenate(kinds)[keep], node[keep], coll[keep]
            self.owner = np.concatenate(owners)[keep]
        else:
            self.kind = self.node = self.coll = self.owner = np.zeros(0, dtype=np.int64)

    def markers(self, owners: np.ndarray) -> dict[int, str]:
        """Row of a nominal → its case marker string (case dependents + their fixed dependents, in word order)."""
        owners = np.unique(owners)
        heads, idx = self.heads, self.tokens["idx"].to_numpy()
        case = self.case_rows[np.isin(heads[self.case_rows], owners)]
        fixed = np.flatnonzero((self.rel == _id_of(self.rel_vocab, "fixed")) & (heads >= 0))
        fixed = fixed[np.isin(heads[fixed], self.case_rows)]
        fixed = fixed[np.isin(heads[heads[fixed]], owners)]
        rows = np.concatenate([case, fixed])
        whose = np.concatenate([heads[case], heads[heads[fixed]]])
        rank = np.empty(len(self.vocab), dtype=np.int64)  # lemma order breaks ties of idx, as sorted() does
        rank[np.argsort(self.vocab, kind="stable")] = np.arange(len(self.vocab))
        order = np.lexsort((rank[self.lemma[rows]], idx[rows], whose))
        items: dict[int, list[str]] = {}
        for o, r in zip(whose[order].tolist(), rows[order].tolist()):
            items.setdefault(o, []).append(self.vocab[self.lemma[r]])
        return {o: " ".join(words) for o, words in items.items()}

    def label_names(self, sel: np.ndarray) -> np.ndarray:
        """The relation label of the instances ``sel`` (an object array)."""
        kind, owner = self.kind[sel], self.owner[sel]
        out = np.empty(len(kind), dtype=object)
        fixed = kind >= 0
        out[fixed] = np.asarray(self.labels + [""], dtype=object)[kind[fixed]]
        pp = ~fixed
        if pp.any():
            marks = self.markers(owner[pp])
            out[pp] = [f"pp_{marks[o].replace(' ', '_')}" if k == _PP else f"pp_obj_{marks[o].replace(' ', '_')}"
                       for k, o in zip(kind[pp].tolist(), owner[pp].tolist())]
        return out

    def frame(self, sel: np.ndarray) -> pd.DataFrame:
        """The instances ``sel`` as :func:`dependency_pairs` rows."""
        t = self.tokens
        node, coll = self.node[sel], self.coll[sel]
        idx = t["idx"].to_numpy()
        doc = _strings(t["doc_id"])
        return pd.DataFrame({
            "relation": self.label_names(sel),
            "node": self.vocab[self.lemma[node]],
            "collocate": self.vocab[self.lemma[coll]],
            "doc_id": doc[node],
            "sent": t["sent"].to_numpy()[node].astype(np.int64),
            "node_idx": idx[node].astype(np.int64),
            "collocate_idx": idx[coll].astype(np.int64),
            "node_row": node,
            "collocate_row": coll,
        })


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
    pairs = _Pairs(tokens, case_sensitive)
    if not len(pairs.node):
        return pd.DataFrame({c: [] for c in PAIR_COLUMNS})
    return pairs.frame(np.arange(len(pairs.node)))


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


#: Default minimum frequency of a word-sketch collocation. A pair seen once cannot be told from a
#: parse error: every misattachment in the seed's sketch of *security* under the compact models
#: (*uphold*, *channel*, *capital* as its adjectival modifiers, *include* as a compound, *cyber* and
#: *stimulate* taking it as object) occurred once. Two occurrences are the least that a sketch shows
#: by default; ``min_freq=1`` shows every pair.
SKETCH_MIN_FREQ = 2


def word_sketch(tokens: pd.DataFrame, lemma: str, *, min_freq: int = SKETCH_MIN_FREQ, case_sensitive: bool = False,
                top: int | None = 10) -> WordSketch:
    """The word sketch of ``lemma``: collocates by grammatical relation, with freq and logDice.

    Returns a :class:`WordSketch` (a long DataFrame) with one row per (relation, collocate)
    seen at least ``min_freq`` times, ordered by relation (see :data:`RELATIONS`;
    prepositional relations after the fixed ones, by frequency) and within a relation by
    logDice, then frequency. logDice uses relation-specific frequencies (module docstring).
    Lemmas are lower-cased unless ``case_sensitive``. ``top`` is how many collocates per
    relation the Jupyter/text views show (``None``: all); the table holds them all.
    A lemma that does not occur is an :class:`~analysis.errors.EmptySelectionError`.
    ``min_freq`` defaults to :data:`SKETCH_MIN_FREQ` (2): one-off pairs are left out, because in a
    corpus parsed by an imperfect model a single occurrence is as likely a parse error as a finding.
    """
    if not isinstance(lemma, str) or not lemma.strip():
        raise ParameterError("give the lemma to sketch, e.g. word_sketch(tokens, 'security')")
    check_int(min_freq, "min_freq")
    check_top(top)
    key = lemma if case_sensitive else lemma.lower()
    check_columns(tokens, ("doc_id", "sent", "idx", "lemma", "upos", "head", "deprel"), "sketch words without")
    if len(tokens):
        # the node's instances, and, for f(*,R,Y), the instances of its collocates only (integer arrays:
        # only these rows become strings, and only their case markers are read)
        pairs = _Pairs(tokens, case_sensitive)
        sel = np.flatnonzero(pairs.lemma[pairs.node] == _id_of(pairs.vocab, key))
        mine = pairs.frame(sel)
        wanted = np.isin(pairs.lemma[pairs.coll], np.unique(pairs.lemma[pairs.coll[sel]]))
        relevant = np.flatnonzero(wanted)
        counted = pd.DataFrame({"relation": pairs.label_names(relevant),
                                "collocate": pairs.vocab[pairs.lemma[pairs.coll[relevant]]]})
    else:
        mine = counted = pd.DataFrame({c: [] for c in PAIR_COLUMNS})
    if len(mine) == 0:
        known = (_strings(tokens["lemma"], case_sensitive) == key).any()
        if not known:
            raise EmptySelectionError(f"lemma {lemma!r} does not occur in these tokens; check the spelling "
                                      "(word sketches match lemmas, e.g. 'security', '安全')")
    f_xr = mine.groupby("relation").size()
    coll_in_rel = counted.groupby(["relation", "collocate"]).size()
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
