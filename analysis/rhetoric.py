"""Rhetoric profile from the dependency parse.

Official Chinese political prose (and its English translations) has a recognisable rhetoric:
obligation ("we must persist in ...", 必须), directive verbs (strengthen, uphold, 加强, 坚持),
the inclusive "we" (我们), agentless passives, heavy nominalisation, numbered enumerations
("I, ...", "1. ...", 一、), parallel series ("uniformly planned, uniformly deployed, uniformly moved
forward") and long, deeply embedded sentences.

Each feature is one small function over a Tokens table (:mod:`analysis.tokens`) that reads the
parse (UPOS, FEATS, DEPREL, HEAD) and returns one row per occurrence, with the evidence words, so
that a reader can audit every count (:func:`feature_hits` adds the sentence text). :data:`FEATURES`
maps each feature's name to its extractor, languages and a one-line definition.

:func:`rhetoric_profile` turns the hits into rates per 1,000 words (``per_1000``) for any
grouping column (``by=``, the grouping columns kept by name), each with an interval over documents
(a cluster bootstrap, :mod:`analysis.inference`); :func:`compare_rhetoric` tests every feature
between two values of ``by`` (log-likelihood G² and Hardie's log ratio for counts, Fisher's exact
test where an expected count is below 5; Mann–Whitney U for per-sentence measures), adjusts the
p-values over the features compared (Holm by default) and adds the document-level bootstrap test of
Lijffijt et al. (2016). Every random step takes ``seed=``.

"Words" everywhere means :func:`analysis.is_word`, the package's one definition: rows of the
Tokens table whose UPOS is not ``PUNCT``/``SYM`` and whose form is not made only of punctuation
and symbol characters (the compact Chinese model tags ASCII commas in Chinese text PART). It is
the denominator of every rate and the unit of sentence length.

Languages are read through :mod:`analysis.languages`: the ``lang`` column is reduced to the
registry's canonical code (``zh-hans`` → ``zh``), each feature lists the codes it is defined for,
and language-specific rules (Chinese subjectless directives, 被-passives, 一、 enumerators) apply to
rows of that code.
Word lists (modals, directive verbs, Chinese nominalisations) are module constants: read them,
and pass your own extractor into :data:`FEATURES` for another corpus.

The parses come from compact Stanza models (see ../shared/stanza_resources/README.md; Chinese
LAS ≈ 47): features defined on Chinese dependency relations are noisier than the English ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._core import (as_list, check_columns, check_int, check_probability, concordance, filter_mask, group_keys,
                    is_word, require_rows)
from .errors import EmptySelectionError, ParameterError, QueryError
from .inference import (ADJUSTMENTS, N_BOOT, _cluster_bootstrap_ratio, adjust, bootstrap_test, cluster_bootstrap_ratio,
                        fisher_exact_2x2, min_expected_2x2)
from .keywords import chi2_sf, log_likelihood_4cell, log_ratio
from .languages import canonical, joiner

# ---------------------------------------------------------------------------------------------
# Word lists (documented, small, editable)
# ---------------------------------------------------------------------------------------------

#: English obligation modals (counted when tagged AUX / xpos MD or attached as ``aux``).
#: "shall" is included for the legal register ("network operators shall ...").
EN_OBLIGATION_MODALS = frozenset({"must", "should", "ought", "shall"})
#: English semi-modals of necessity: counted when they govern a ``to``-infinitive (``xcomp`` with
#: a ``mark`` "to"): "have to", "need to".
EN_NECESSITY_VERBS = frozenset({"have", "need"})
#: English necessity predicates: ADJ with a clausal subject or complement ("it is necessary to ...").
EN_NECESSITY_ADJECTIVES = frozenset({"necessary", "essential", "imperative", "indispensable"})
#: Chinese obligation modals, counted only as AUX / ``aux`` (UD GSD tags 必须, 要, 应, 需要 AUX).
ZH_OBLIGATION_MODALS = frozenset({"必须", "要", "应", "应该", "应当", "需要", "须", "务必", "必需"})
#: Chinese necessity verbs counted when they govern a clause (``ccomp``/``xcomp``): 需要 ...
ZH_NECESSITY_VERBS = frozenset({"需要"})

#: Directive verbs of official prose (English translations).
EN_DIRECTIVE_VERBS = frozenset({
    "strengthen", "uphold", "guarantee", "ensure", "promote", "persist", "safeguard", "adhere",
    "insist", "implement", "deepen", "improve", "perfect", "consolidate", "enhance", "advance",
    "stimulate", "foster", "establish", "grasp", "raise", "push", "protect", "maintain", "strive",
    "reinforce", "intensify", "optimize", "optimise", "innovate", "build", "carry", "forge",
    "complete", "comply", "abide", "guide", "unify", "integrate", "expand", "resist",
})
#: Directive verbs (Chinese originals).
ZH_DIRECTIVE_VERBS = frozenset({
    "加强", "坚持", "推进", "维护", "保障", "促进", "确保", "推动", "落实", "完善", "提高", "提升",
    "增强", "深化", "健全", "建立", "强化", "贯彻", "把握", "发挥", "营造", "打造", "培育", "统筹",
    "巩固", "创新", "做好", "抓好", "坚守", "弘扬", "树立", "构建", "建设", "遵循", "引导", "着力",
    "履行", "承担", "净化", "扩大", "丰富",
})

#: English derivational suffixes of nominalisation (checked on the lower-cased lemma of a NOUN).
EN_NOMINAL_SUFFIXES = ("ization", "isation", "ation", "tion", "sion", "ment", "ness", "ity",
                       "ance", "ence", "ancy", "ency")
#: Minimum length of what is left of the lemma once the suffix is removed ("nation" → "na": no).
EN_NOMINAL_MIN_STEM = 3
#: Nouns that end in such a suffix but are not derived from a verb or adjective.
EN_NOMINAL_EXCEPTIONS = frozenset({
    "element", "moment", "segment", "fragment", "cement", "garment", "apartment", "comment",
    "sentence", "science", "silence", "audience", "conscience", "question", "station", "portion",
    "notion", "lotion", "potion", "mention", "nation", "city", "entity", "quantity", "quality",
    "unity", "sentiment", "ornament", "parliament", "torment", "pigment", "experiment", "instrument",
    "document", "monument", "evidence", "licence", "fence", "essence", "finance", "instance",
    "distance", "balance", "commission", "mission", "session", "vision", "television", "tension",
    "pension", "mansion", "fiction", "function", "section", "edition", "ambition", "tradition",
    "condition", "position", "nutrition", "caution", "ration", "motion", "emotion", "option",
})
#: Chinese verbs used as nouns (a NOUN tag on one of these marks a nominalisation); any NOUN
#: ending in 化 (-isation: 信息化, 现代化) counts as well.
ZH_NOMINALISATIONS = frozenset({
    "建设", "发展", "管理", "保护", "保障", "创新", "治理", "改革", "合作", "监督", "监管", "传播",
    "应用", "研究", "评估", "融合", "引导", "教育", "宣传", "规划", "部署", "实施", "协调", "处置",
    "防护", "检测", "交流", "认识", "理解", "学习", "贯彻", "落实", "推进", "促进", "加强", "维护",
    "运营", "开发", "服务", "防范", "响应", "共享", "联动", "配合", "协作", "评测", "溯源", "取证",
    "挖掘", "分析", "监测", "转型", "升级", "建立", "完善", "提高",
})

#: Clausal relations counted by :func:`clause_depth` (UD base relations).
CLAUSAL_RELATIONS = frozenset({"ccomp", "xcomp", "advcl", "acl", "csubj", "parataxis"})

#: Dependents that do not make a shared modifier of a parallel series.
_NON_MODIFIER_RELS = frozenset({"punct", "cc", "case", "det", "mark", "cop", "conj", "discourse",
                                "clf", "dep", "reparandum", "goeswith"})
_MODIFIER_UPOS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM", "AUX"})
#: Aspect particles: a Chinese clause carrying one reports an event, it is not a directive.
ZH_ASPECT_PARTICLES = frozenset({"了", "过", "着"})

_EN_ORDINALS = frozenset({"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                          "ninth", "tenth", "firstly", "secondly", "thirdly", "fourthly", "fifthly"})
_ZH_ORDINALS = frozenset({"首先", "其次", "再次", "最后", "第一", "第二", "第三", "第四", "第五", "第六",
                          "第七", "第八", "第九", "第十"})
_EN_NUMBER = re.compile(r"^(?:[IVX]{1,5}|\d{1,2}|[a-hA-H])[.)]?$")
_ZH_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]{1,3}|\d{1,2}|[０-９]{1,2})[、.．)）]?$")
_ZH_NUMBER_SHI = re.compile(r"^[一二三四五六七八九十]{1,3}是$")
_ENUM_SEPARATORS = frozenset({",", ".", ")", "、", ":", "，", "．", "）", "：", "-", "–", "—"})
_OPEN_BRACKETS = frozenset({"(", "（", "["})

_REQUIRED = ("doc_id", "par", "sent", "idx", "form", "lemma", "upos", "feats", "head", "deprel", "lang")
_HIT_COLUMNS = ("doc_id", "sent", "idx", "evidence", "value")


# ---------------------------------------------------------------------------------------------
# The parse as arrays
# ---------------------------------------------------------------------------------------------

def _sentence_numbers(t: pd.DataFrame, sent: np.ndarray) -> np.ndarray:
    """``t.groupby(["doc_id", "sent"], sort=False, observed=True).ngroup()``: sentences numbered in
    order of first appearance, computed on the runs of rows (a table in reading order has one run
    per sentence)."""
    n = len(t)
    if not n:
        return np.zeros(0, np.int64)
    doc = t["doc_id"]
    if not isinstance(doc.dtype, pd.CategoricalDtype) or (doc.array.codes < 0).any():
        return t.groupby(["doc_id", "sent"], sort=False, observed=True).ngroup().to_numpy()
    dcodes = doc.array.codes
    new = np.ones(n, dtype=bool)
    new[1:] = (dcodes[1:] != dcodes[:-1]) | (sent[1:] != sent[:-1])
    run_starts = np.flatnonzero(new)
    run_sent = sent[run_starts] - sent.min()  # (document, sentence) as one integer
    run_sid, _ = pd.factorize(dcodes[run_starts].astype(np.int64) * (int(run_sent.max()) + 1) + run_sent)
    return np.repeat(np.asarray(run_sid, dtype=np.int64), np.diff(np.append(run_starts, n)))


def _head_positions(sid: np.ndarray, idx: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Row position of each word's head, looked up by (sentence, head index); -1 for the root or a
    head outside the table. Raises :class:`QueryError` when two words share (sentence, idx)."""
    n = len(sid)
    if not n:
        return np.zeros(0, np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = sid[1:] != sid[:-1]
    run_starts = np.flatnonzero(new)
    # the common case: each sentence one run of rows, numbered 0, 1, 2... with idx 1, 2, 3...
    if (sid[run_starts] == np.arange(len(run_starts))).all() and \
            np.where(new, idx == 1, np.diff(idx, prepend=0) == 1).all():
        length = np.diff(np.append(run_starts, n))[sid]
        inside = (head >= 1) & (head <= length)
        return np.where(inside, np.arange(n) - idx + head, -1).astype(np.int64)
    lookup = pd.Series(np.arange(n), index=pd.MultiIndex.from_arrays([sid, idx]))
    if not lookup.index.is_unique:
        raise QueryError("the Tokens table has two words with the same (doc_id, sent, idx); "
                         "pass each sentence once")
    hpos = lookup.reindex(pd.MultiIndex.from_arrays([sid, head])).to_numpy()
    return np.where(np.isnan(hpos), -1, hpos).astype(np.int64)


class Column:
    """A text column of a :class:`Parse`: an integer code per row into the column's values.

    Tokens columns repeat few values, so every test is made once per distinct value and
    broadcast to the rows with one numpy take: ``col == "AUX"``, ``col != "aux"`` and
    ``col.isin(values)`` give one bool per row, :meth:`map` applies a function to each distinct
    value. ``col[i]`` is the value at row ``i`` (a str), ``col[rows]`` an object array of values;
    ``numpy.asarray(col)`` gives the whole object array (made once, on demand) for code that
    wants one. Missing values read as ``""``.
    """

    __slots__ = ("codes", "values", "_array")

    def __init__(self, codes: np.ndarray, values: np.ndarray):
        self.codes = codes
        self.values = values
        self._array: np.ndarray | None = None

    @classmethod
    def of(cls, series: pd.Series) -> "Column":
        """The column of a Tokens Series (categorical or not); missing values become ``""``."""
        if isinstance(series.dtype, pd.CategoricalDtype):
            values = np.asarray(series.cat.categories, dtype=object)
            codes = series.array.codes.astype(np.int32)
            if (codes < 0).any():
                empty = np.flatnonzero(values == "")
                if len(empty):
                    missing = int(empty[0])
                else:
                    missing = len(values)
                    values = np.append(values, np.asarray([""], dtype=object))
                codes = np.where(codes < 0, missing, codes)
            return cls(codes, values)
        filled = series.astype(object).where(series.notna(), "")
        codes, uniques = pd.factorize(np.asarray(filled, dtype=object))
        return cls(np.asarray(codes, dtype=np.int32), np.asarray(uniques, dtype=object))

    def __len__(self) -> int:
        return len(self.codes)

    def _rows(self, per_value) -> np.ndarray:
        per_value = np.asarray(per_value, dtype=bool)
        hits = np.flatnonzero(per_value)
        if len(hits) <= 2:  # one or two values: comparing the codes beats a gather
            out = np.zeros(len(self), dtype=bool)
            for h in hits.tolist():
                out |= self.codes == h
            return out
        return per_value[self.codes]

    def __eq__(self, other) -> np.ndarray:  # type: ignore[override]
        return self._rows(self.values == other)

    def __ne__(self, other) -> np.ndarray:  # type: ignore[override]
        return self._rows(self.values != other)

    __hash__ = None  # type: ignore[assignment]

    def isin(self, items) -> np.ndarray:
        """One bool per row: is its value one of ``items`` (as ``numpy.isin``)?"""
        return self._rows(np.isin(self.values, list(items)))

    def map(self, fn, dtype=object):
        """``fn`` of every row's value, computed once per distinct value: a Column (dtype object) or an array."""
        mapped = np.asarray([fn(v) for v in self.values.tolist()], dtype=dtype)
        if dtype is object:
            return Column(self.codes, mapped)
        return mapped[self.codes] if len(self.values) else np.zeros(len(self), dtype=dtype)

    def __getitem__(self, key):
        return self.values[self.codes[key]]

    def __array__(self, dtype=None, copy=None):
        if self._array is None:
            self._array = self.values[self.codes] if len(self.values) else np.zeros(0, dtype=object)
        return self._array if dtype is None else self._array.astype(dtype)

    def __iter__(self):
        return iter(np.asarray(self).tolist())


_NONE: Mapping[int, list[int]] = MappingProxyType({})


class _Children(Mapping):
    """Row position → list of its children's row positions (in reading order), read from arrays."""

    def __init__(self, start: np.ndarray, rows: np.ndarray):
        self._start, self._rows = start, rows

    def _range(self, h) -> tuple[int, int]:
        if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 0 <= h < len(self._start) - 1:
            return 0, 0
        return int(self._start[h]), int(self._start[h + 1])

    def __getitem__(self, h) -> list[int]:
        a, b = self._range(h)
        if a == b:
            return _NONE[h]  # a row without children: the KeyError of a missing key, as a dict gives
        return self._rows[a:b].tolist()

    def get(self, h, default=None):
        a, b = self._range(h)
        return self._rows[a:b].tolist() if a < b else default

    def __contains__(self, h) -> bool:
        a, b = self._range(h)
        return a < b

    def __iter__(self):
        return iter(np.flatnonzero(np.diff(self._start) > 0).tolist())

    def __len__(self) -> int:
        return int((np.diff(self._start) > 0).sum())


class Parse:
    """A Tokens table prepared for tree queries (built once, shared by all extractors).

    Attributes are over the rows of ``tokens`` (same order): the text columns are
    :class:`Column` objects (an integer code per row; ``==``, ``!=``, ``.isin`` and ``.map``
    work once per distinct value): ``lem`` (lower-cased lemma, the form when the lemma is
    empty), ``rel`` (the full relation), ``base`` (the relation without subtype), ``lang`` (the
    registry's canonical language code); numpy arrays: ``word`` (:func:`analysis.is_word`),
    ``sid`` (a sentence number across the table), ``hpos`` (row position of the head, -1 for
    the root or a head outside the table).
    """

    def __init__(self, tokens: pd.DataFrame):
        check_columns(tokens, _REQUIRED, "read the parse without")
        self.tokens = tokens.reset_index(drop=True)
        t = self.tokens
        n = len(t)
        self.n = n

        self.doc_id = Column.of(t["doc_id"])
        self.form = Column.of(t["form"])
        lemma = Column.of(t["lemma"])
        # the lemma, or the form where the lemma is empty: codes into both columns' values
        empty = np.asarray(lemma.values == "", dtype=bool)
        use_form = empty[lemma.codes] if len(lemma.values) else np.zeros(n, dtype=bool)
        self.lemma = Column(np.where(use_form, len(lemma.values) + self.form.codes, lemma.codes).astype(np.int32),
                            np.concatenate([lemma.values, self.form.values]))
        self.lem = self.lemma.map(str.lower)
        self.upos = Column.of(t["upos"])
        self.xpos = Column.of(t["xpos"]) if "xpos" in t.columns else Column(np.zeros(n, dtype=np.int32),
                                                                           np.asarray([""], dtype=object))
        self.feats = Column.of(t["feats"])
        self.rel = Column.of(t["deprel"])
        self.base = self.rel.map(lambda r: r.split(":", 1)[0])
        self.lang = Column.of(t["lang"]).map(lambda c: canonical(c) if c else "")
        self.sent = t["sent"].to_numpy(dtype=np.int64) if n else np.zeros(0, np.int64)
        self.idx = t["idx"].to_numpy(dtype=np.int64) if n else np.zeros(0, np.int64)
        head = t["head"].to_numpy(dtype=np.int64) if n else np.zeros(0, np.int64)
        self.sid = _sentence_numbers(t, self.sent)
        self.hpos = _head_positions(self.sid, self.idx, head)
        self.word = is_word(t)
        self._lang_masks: dict[str, np.ndarray] = {}
        self._masks: dict[str, np.ndarray] = {}  # masks several features share (modals, necessity)
        self._children: _Children | None = None
        self._child_arrays: tuple[np.ndarray, np.ndarray] | None = None
        self.pos = np.arange(n)

    # -- tree helpers -------------------------------------------------------------------------
    def heads_with_child(self, child_mask: np.ndarray) -> np.ndarray:
        """Boolean mask: rows that have at least one child in ``child_mask``."""
        out = np.zeros(self.n, dtype=bool)
        sel = child_mask & (self.hpos >= 0)
        out[self.hpos[sel]] = True
        return out

    def child_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(start, rows)``: the children of row ``h`` are ``rows[start[h]:start[h + 1]]``, in reading order."""
        if self._child_arrays is None:
            rows = np.flatnonzero(self.hpos >= 0)
            heads = self.hpos[rows]
            order = np.argsort(heads, kind="stable")  # children of one head stay in reading order
            start = np.zeros(self.n + 1, dtype=np.int64)
            np.cumsum(np.bincount(heads, minlength=self.n), out=start[1:])
            self._child_arrays = (start, rows[order])
        return self._child_arrays

    def children(self) -> Mapping[int, list[int]]:
        """Row position → list of its children's row positions (in reading order); built once.

        A read-only mapping over arrays (rows with children only, as a dict would hold).
        """
        if self._children is None:
            self._children = _Children(*self.child_arrays())
        return self._children

    def has_feat(self, feat: str) -> np.ndarray:
        return self.feats.map(lambda f: feat in f.split("|"), bool)

    def lang_is(self, code: str) -> np.ndarray:
        """Rows in language ``code`` (compared as the registry's canonical codes; cached)."""
        key = canonical(code)
        if key not in self._lang_masks:
            self._lang_masks[key] = self.lang == key
        return self._lang_masks[key]

    def sentence_starts(self) -> np.ndarray:
        """Row positions of the first word of each sentence."""
        if not self.n:
            return np.zeros(0, np.int64)
        first = np.r_[True, self.sid[1:] != self.sid[:-1]]
        return np.flatnonzero(first)

    def words(self, positions: Iterable[int]) -> str:
        return " ".join(self.form[p] for p in sorted(set(int(p) for p in positions)))


def _prepare(tokens: pd.DataFrame | Parse) -> Parse:
    return tokens if isinstance(tokens, Parse) else Parse(tokens)


def _hits(p: Parse, anchors: Sequence[int], evidence: Sequence[str], values=None) -> pd.DataFrame:
    anchors = np.asarray(anchors, dtype=np.int64)
    df = pd.DataFrame({
        "doc_id": p.doc_id[anchors] if len(anchors) else np.array([], dtype=object),
        "sent": p.sent[anchors] if len(anchors) else np.array([], dtype=np.int64),
        "idx": p.idx[anchors] if len(anchors) else np.array([], dtype=np.int64),
        "evidence": list(evidence),
        "value": (np.ones(len(anchors)) if values is None else np.asarray(values, dtype=float)),
    })
    df["_pos"] = anchors
    return df.sort_values("_pos", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------

def _modal_mask(p: Parse) -> np.ndarray:
    """Rows that are obligation modals (en: AUX/MD/aux; zh: AUX/aux); computed once per parse."""
    if "modal" not in p._masks:
        p._masks["modal"] = _modal_rows(p)
    return p._masks["modal"]


def _modal_rows(p: Parse) -> np.ndarray:
    en = p.lang_is("en")
    zh = p.lang_is("zh")
    auxlike = (p.upos == "AUX") | (p.xpos == "MD") | (p.rel == "aux")
    en_mod = en & auxlike & p.lem.isin(list(EN_OBLIGATION_MODALS))
    zh_mod = zh & ((p.upos == "AUX") | (p.rel == "aux")) & p.lem.isin(list(ZH_OBLIGATION_MODALS))
    return en_mod | zh_mod


def _necessity_mask(p: Parse) -> np.ndarray:
    """Predicates of necessity that govern a clause: have/need to, necessary to, 需要 + clause (once per parse)."""
    if "necessity" not in p._masks:
        p._masks["necessity"] = _necessity_rows(p)
    return p._masks["necessity"]


def _necessity_rows(p: Parse) -> np.ndarray:
    en = p.lang_is("en")
    zh = p.lang_is("zh")
    # "have to" / "need to": an xcomp child that has a mark "to"
    to_mark = (p.rel == "mark") & (p.lem == "to")
    xcomp_with_to = (p.rel == "xcomp") & p.heads_with_child(to_mark)
    semi = en & p.lem.isin(list(EN_NECESSITY_VERBS)) & (p.rel != "aux") & p.heads_with_child(xcomp_with_to)
    clausal_child = p.base.isin(["csubj", "ccomp", "xcomp"])
    adj = en & (p.upos == "ADJ") & p.lem.isin(list(EN_NECESSITY_ADJECTIVES)) & p.heads_with_child(clausal_child)
    zh_need = (zh & (p.upos == "VERB") & p.lem.isin(list(ZH_NECESSITY_VERBS))
               & p.heads_with_child(p.base.isin(["ccomp", "xcomp"]) & (p.upos == "VERB")))
    return semi | adj | zh_need


def obligation(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Obligation and necessity: one hit per predicate under an obligation modal or a necessity
    construction.

    English: *must, should, ought, shall* as AUX / xpos ``MD`` / ``aux`` (the hit is the governed
    predicate, so "must also grasp" counts once); *have to, need to* (the verb with an ``xcomp``
    that has ``mark`` "to"); *necessary/essential/imperative/indispensable* with a clausal subject
    or complement. Chinese: 必须, 要, 应, 应该, 应当, 需要, 须, 务必 as AUX/``aux`` (必须要 counts once per
    predicate); 需要 as a VERB governing a verbal ``ccomp``/``xcomp``.
    """
    p = _prepare(tokens)
    modal = np.flatnonzero(_modal_mask(p))
    # each modal counts for its predicate: its head when it is attached as aux, else itself
    to_head = (p.rel[modal] == "aux") & (p.hpos[modal] >= 0) if len(modal) else np.zeros(0, dtype=bool)
    owner = np.where(to_head, p.hpos[modal], modal)
    necessity = np.flatnonzero(_necessity_mask(p))
    anchors, evidence = _grouped_words(p, np.concatenate([owner, necessity]), np.concatenate([modal, necessity]))
    return _hits(p, anchors, evidence)


def _grouped_words(p: Parse, owner: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The distinct ``owner`` rows (ascending) and, for each, :meth:`Parse.words` of its ``rows`` and itself."""
    owner = np.asarray(owner, dtype=np.int64)
    if not len(owner):
        return np.zeros(0, dtype=np.int64), []
    keys = np.unique(np.concatenate([owner * p.n + np.asarray(rows, dtype=np.int64), owner * p.n + owner]))
    own, row = np.divmod(keys, p.n)  # by owner, then in reading order, each row once
    anchors, start = np.unique(own, return_index=True)
    forms = p.form[row].tolist()
    cut = start.tolist() + [len(row)]
    return anchors, [" ".join(forms[a:b]) for a, b in zip(cut[:-1], cut[1:])]


def _governed_directive_context(p: Parse) -> np.ndarray:
    """Rows in an imperative or modal-governed clause (propagated along ``conj``)."""
    zh = p.lang_is("zh")
    imp = p.has_feat("Mood=Imp")
    modal_child = p.heads_with_child(_modal_mask(p) & (p.rel == "aux"))
    necessity = _necessity_mask(p)
    clause_of_necessity = np.zeros(p.n, dtype=bool)
    sel = p.base.isin(["xcomp", "csubj", "ccomp"]) & (p.hpos >= 0)
    clause_of_necessity[sel] = necessity[p.hpos[sel]]
    subj = p.base.isin(["nsubj", "csubj", "expl"])
    aspect = zh & p.lem.isin(list(ZH_ASPECT_PARTICLES)) & (p.base == "aux")
    zh_imperative = zh & (p.rel == "root") & ~p.heads_with_child(subj) & ~p.heads_with_child(aspect)
    governed = imp | modal_child | clause_of_necessity | zh_imperative
    conj = np.flatnonzero((p.rel == "conj") & (p.hpos >= 0))
    heads = p.hpos[conj]
    for _ in range(64):  # conjuncts share their first conjunct's modal ("must abide ..., strengthen ...")
        new = governed[conj] | governed[heads]  # only conjuncts change, all at once
        if (new == governed[conj]).all():
            break
        governed = governed.copy()
        governed[conj] = new
    return governed


def directive_verbs(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Directive verbs (:data:`EN_DIRECTIVE_VERBS`, :data:`ZH_DIRECTIVE_VERBS`; UPOS VERB) in an
    imperative or modal-governed clause.

    A verb is in such a clause when it has ``Mood=Imp``; or an ``aux`` child that is an obligation
    modal (see :func:`obligation`); or it is the ``xcomp``/``csubj``/``ccomp`` of a necessity
    predicate ("have to strengthen", "it is necessary to strengthen"); or (Chinese, which marks no
    mood) it is a subjectless root without an aspect particle (了, 过, 着 as ``aux``); or it is a
    ``conj`` of such a verb ("we must abide by ..., strengthen ..., persist in ..." — all three
    count).
    """
    p = _prepare(tokens)
    en = p.lang_is("en")
    zh = p.lang_is("zh")
    lexical = (p.upos == "VERB") & ((en & p.lem.isin(list(EN_DIRECTIVE_VERBS)))
                                    | (zh & p.lem.isin(list(ZH_DIRECTIVE_VERBS))))
    hit = lexical & _governed_directive_context(p)
    anchors = np.flatnonzero(hit)
    # the evidence: each verb with its modal aux children, in word order
    aux = np.flatnonzero(_modal_mask(p) & (p.rel == "aux") & (p.hpos >= 0))
    aux = aux[hit[p.hpos[aux]]]
    owner = np.concatenate([anchors, p.hpos[aux]])
    rows = np.concatenate([anchors, aux])
    order = np.lexsort((rows, owner))
    owner, rows = owner[order], rows[order]
    forms = p.form[rows].tolist()
    cut = np.searchsorted(owner, anchors).tolist() + [len(rows)]
    evidence = [" ".join(forms[a:b]) for a, b in zip(cut[:-1], cut[1:])]
    return _hits(p, anchors, evidence)


def first_person_plural(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """First-person plural subjects: a PRON attached as ``nsubj``/``nsubj:pass`` whose lemma is
    *we* (English) or whose form is 我们/咱们, or lemma 我 with ``Number=Plur`` (Chinese: UD GSD
    lemmatises 我们 to 我)."""
    p = _prepare(tokens)
    en = p.lang_is("en")
    zh = p.lang_is("zh")
    subj = p.rel.isin(["nsubj", "nsubj:pass"]) & (p.upos == "PRON")
    plur = p.has_feat("Number=Plur")
    hit = subj & ((en & (p.lem == "we"))
                  | (zh & (p.form.isin(["我们", "咱们"]) | ((p.lem == "我") & plur))))
    anchors = np.flatnonzero(hit)
    evidence = [p.words([a, p.hpos[a]] if p.hpos[a] >= 0 else [a]) for a in anchors]
    return _hits(p, anchors, evidence)


def agentless_passives(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Agentless passives: one hit per passive predicate without an agent.

    English: a predicate with a ``nsubj:pass``, ``csubj:pass`` or ``aux:pass`` child and neither an
    ``obl:agent`` child nor an ``obl`` child with ``case`` "by". Chinese: a predicate with a 被
    child (attached as ``aux:pass``/``aux`` or tagged AUX; UD GSD attaches 被's agent to the verb
    as ``nsubj``). The marker must be 被 itself: the compact parser also labels 为 and 是
    ``aux:pass``. The passive is agentless without an ``obl:agent`` child and without a
    ``nsubj``/``obl`` child standing between 被 and the verb.
    """
    p = _prepare(tokens)
    en = p.lang_is("en")
    zh = p.lang_is("zh")
    pass_marker = p.rel.isin(["nsubj:pass", "csubj:pass", "aux:pass"])
    bei = zh & (p.lem == "被") & ((p.upos == "AUX") | (p.rel == "aux:pass") | (p.rel == "aux"))
    candidate = p.heads_with_child((en & pass_marker) | bei) & ~p.heads_with_child(p.rel == "obl:agent")
    attached = np.flatnonzero(p.hpos >= 0)
    head = p.hpos[attached]
    # Chinese: the first 被 child, and no nsubj/obl child (other than nsubj:pass) between it and the verb
    first_bei = np.full(p.n, p.n, dtype=np.int64)
    sel = bei[attached]
    np.minimum.at(first_bei, head[sel], attached[sel])
    between = np.zeros(p.n, dtype=bool)
    sel = (p.base.isin(["nsubj", "obl"]) & (p.rel != "nsubj:pass"))[attached]
    c, h = attached[sel], head[sel]
    between[h[(first_bei[h] < c) & (c < h)]] = True
    zh_hit = zh & (first_bei < p.n) & ~between
    # English (any predicate not in Chinese): a passive marker child and no obl child with case "by"
    by_obl = (p.base == "obl") & p.heads_with_child((p.rel == "case") & (p.lem == "by"))
    en_hit = ~zh & p.heads_with_child(pass_marker) & ~p.heads_with_child(by_obl)
    anchors = np.flatnonzero(candidate & (zh_hit | en_hit))
    hit = np.zeros(p.n, dtype=bool)
    hit[anchors] = True
    # the evidence: each predicate with its markers (被 in Chinese, the passive relations else)
    marker = np.where(zh[head], bei[attached], pass_marker[attached]) & hit[head]
    anchors, evidence = _grouped_words(p, np.concatenate([anchors, head[marker]]),
                                       np.concatenate([anchors, attached[marker]]))
    return _hits(p, anchors, evidence)


def _map_unique(values: np.ndarray | Column, fn, dtype) -> np.ndarray:
    """``fn`` of every value, computed once per distinct value (Tokens columns repeat few values)."""
    if not len(values):
        return np.zeros(0, dtype=dtype)
    if isinstance(values, Column):
        return np.asarray(values.map(fn, dtype)) if dtype is object else values.map(fn, dtype)
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return np.asarray([fn(u) for u in uniques], dtype=dtype)[codes]


def _is_en_nominalisation(lemma: str) -> bool:
    w = lemma.lower()
    if not w.isalpha() or w in EN_NOMINAL_EXCEPTIONS:
        return False
    for suf in EN_NOMINAL_SUFFIXES:
        if w.endswith(suf):
            return len(w) - len(suf) >= EN_NOMINAL_MIN_STEM
    return False


def nominalisations(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Nominalisations among NOUN tokens.

    English: the lower-cased lemma ends in a derivational suffix of :data:`EN_NOMINAL_SUFFIXES`
    (-ization, -ation, -tion, -sion, -ment, -ness, -ity, -ance, -ence, -ancy, -ency) leaving a stem
    of at least :data:`EN_NOMINAL_MIN_STEM` letters, and is not in
    :data:`EN_NOMINAL_EXCEPTIONS`. Chinese: a NOUN whose lemma is in :data:`ZH_NOMINALISATIONS`
    (verbs used as nouns: 建设, 发展, 管理 ...) or ends in 化 (信息化, 现代化).
    """
    p = _prepare(tokens)
    en = p.lang_is("en")
    zh = p.lang_is("zh")
    noun = p.upos == "NOUN"
    en_hit = en & noun & _map_unique(p.lemma, _is_en_nominalisation, bool)
    zh_hit = zh & noun & p.lemma.map(lambda w: (w in ZH_NOMINALISATIONS) or (len(w) >= 2 and w.endswith("化")), bool)
    anchors = np.flatnonzero(en_hit | zh_hit)
    return _hits(p, anchors, [p.form[a] for a in anchors])


def sentence_length(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Sentence length: words (:func:`analysis.is_word`) per sentence; one row per sentence, ``value`` = length."""
    p = _prepare(tokens)
    starts = p.sentence_starts()
    lengths = np.bincount(p.sid[p.word], minlength=len(starts)) if p.n else np.zeros(0)
    return _hits(p, starts, [f"{int(v)} words" for v in lengths], lengths)


def _path_counts(p: Parse, weight: np.ndarray) -> np.ndarray:
    """For every row, the sum of ``weight`` over the row and its ancestors (pointer walk)."""
    acc = weight.astype(np.int64).copy()
    rows = np.flatnonzero(p.hpos >= 0)  # rows still walking up, and where each has got to
    cur = p.hpos[rows]
    for _ in range(1000):
        if not len(rows):
            break
        acc[rows] += weight[cur]
        cur = p.hpos[cur]
        live = cur >= 0
        rows, cur = rows[live], cur[live]
    return acc


def clause_depth(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Clause depth: per sentence, the largest number of clausal relations (UD ``ccomp``,
    ``xcomp``, ``advcl``, ``acl`` incl. ``acl:relcl``, ``csubj``, ``parataxis``) on the path from
    the root to any word. A sentence of one clause has depth 0; coordination (``conj``) does not
    embed. One row per sentence, ``value`` = depth; the evidence names the deepest chain."""
    p = _prepare(tokens)
    starts = p.sentence_starts()
    clausal = p.base.isin(list(CLAUSAL_RELATIONS)).astype(np.int64)
    depth = _path_counts(p, clausal)
    out = np.zeros(len(starts))
    deepest = np.zeros(len(starts), dtype=np.int64)
    if p.n and (p.sid[starts] == np.arange(len(starts))).all():
        # sentences are runs of rows numbered in order: the first deepest row of each run
        most = np.maximum.reduceat(depth, starts)
        at_most = np.flatnonzero(depth == np.repeat(most, np.diff(np.append(starts, p.n))))
        deepest = at_most[np.r_[True, p.sid[at_most][1:] != p.sid[at_most][:-1]]]
        out = depth[deepest].astype(float)
    elif p.n:
        order = np.lexsort((-depth, p.sid))
        first = np.r_[True, p.sid[order][1:] != p.sid[order][:-1]]
        deepest = order[first]
        out = depth[deepest].astype(float)
    # the clausal words on the path from each sentence's deepest word up to its root, walked for
    # all sentences at once
    chains: list[list[str]] = [[] for _ in range(len(deepest))]
    sentence = np.flatnonzero(depth[deepest] > 0) if len(deepest) else np.zeros(0, np.int64)
    cur = deepest[sentence]
    is_clausal = clausal.astype(bool)
    while len(sentence):
        on = is_clausal[cur]
        for i, row in zip(sentence[on].tolist(), cur[on].tolist()):
            chains[i].append(f"{p.form[row]}({p.base[row]})")
        cur = p.hpos[cur]
        live = cur >= 0
        sentence, cur = sentence[live], cur[live]
    evidence = [" < ".join(chain) if chain else "(one clause)" for chain in chains]
    return _hits(p, starts, evidence, out)


def tree_depth(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Tree depth: per sentence, the number of arcs on the longest root-to-word path (the root
    alone has depth 0). One row per sentence, ``value`` = depth."""
    p = _prepare(tokens)
    starts = p.sentence_starts()
    depth = _path_counts(p, np.ones(p.n, dtype=np.int64)) - 1
    out = (pd.Series(depth).groupby(p.sid).max().to_numpy(dtype=float) if p.n else np.zeros(0))
    return _hits(p, starts, [f"depth {int(v)}" for v in out], out)


def _enumerator_at(p: Parse, start: int, end: int) -> list[int] | None:
    """Positions of the enumerator at the start of the sentence [start, end), or None."""
    i = start
    while i < end and p.form[i] in _OPEN_BRACKETS and not p.word[i]:
        i += 1
    if i >= end:
        return None
    w = p.form[i]
    nxt = i + 1 if i + 1 < end else None
    sep = nxt is not None and not p.word[nxt] and p.form[nxt] in _ENUM_SEPARATORS
    if p.lang_is("zh")[i]:
        if _ZH_NUMBER_SHI.match(w):
            return list(range(start, i + 1))
        if _ZH_NUMBER.match(w) or w in _ZH_ORDINALS:
            if w[-1] in "、.．)）" or sep:
                return list(range(start, (nxt + 1) if sep else i + 1))
            if nxt is not None and p.lem[nxt] == "是" and w not in _ZH_ORDINALS:  # 一 是 ...
                return list(range(start, nxt + 1))
        return None
    low = w.lower()
    if low in _EN_ORDINALS:
        return list(range(start, nxt + 1)) if sep and p.form[nxt] in (",", ":") else None
    if not _EN_NUMBER.match(w):
        return None
    if w[-1] in ".)" and len(w) > 1:
        return list(range(start, i + 1))
    if not sep:
        return None
    if w.isalpha() and len(w) == 1 and w not in "IVX" and p.form[nxt] != ")":
        return None  # a letter enumerates only as "a)"
    if w == "I":  # the pronoun? "I, We must ..." enumerates; "I, for one, ..." does not
        after = nxt + 1
        if after >= end or not p.form[after][:1].isupper():
            return None
    return list(range(start, nxt + 1))


def _may_enumerate(w: str) -> bool:
    """Whether a word could be the enumerator :func:`_enumerator_at` looks for (in any language)."""
    return bool(_ZH_NUMBER_SHI.match(w) or _ZH_NUMBER.match(w) or w in _ZH_ORDINALS
                or w.lower() in _EN_ORDINALS or _EN_NUMBER.match(w))


def enumerated_sections(tokens: pd.DataFrame | Parse) -> pd.DataFrame:
    """Enumerated sections: sentences that open with an enumerator, read from the token sequence
    at the sentence start: an optional opening bracket, then a numeral (Roman I–XXXIX, Arabic
    1–99, a letter followed by ")"; Chinese 一…十, 第一…, 首先/其次) or an ordinal adverb (First,
    Secondly ...), then a PUNCT separator (, . ) 、 : ，) — or the separator inside the token
    ("1.", "一、"); Chinese 一是/二是 also counts. A Roman "I" counts only when the word after the
    separator is capitalised ("I, We must ..."), which separates it from the pronoun."""
    p = _prepare(tokens)
    starts = p.sentence_starts()
    ends = np.r_[starts[1:], p.n]
    # only a sentence opening with a bracket or a word that can enumerate can be one (see _enumerator_at)
    opener = p.form.map(_may_enumerate, bool) | p.form.isin(_OPEN_BRACKETS)
    keep = opener[starts] if len(starts) else np.zeros(0, dtype=bool)
    starts, ends = starts[keep], ends[keep]
    anchors, evidence = [], []
    for s, e in zip(starts, ends):
        enum = _enumerator_at(p, int(s), int(e))
        if enum:
            anchors.append(int(s))
            evidence.append(joiner(p.lang[s]).join(p.form[q] for q in enum))
    return _hits(p, anchors, evidence)


def parallel_series(tokens: pd.DataFrame | Parse, *, min_members: int = 3) -> pd.DataFrame:
    """Parallel series: a coordination (a first conjunct and its ``conj`` chain, followed
    transitively) in which at least ``min_members`` VERB conjuncts share their lemma ("persist in
    A, persist in B, persist in C") or at least ``min_members`` conjuncts each have a dependent
    with the same lemma ("uniformly planned, uniformly deployed, uniformly moved forward";
    统一谋划、统一部署、统一推进). Shared dependents are content words or auxiliaries (UPOS NOUN,
    PROPN, VERB, ADJ, ADV, NUM, AUX; not pronouns, so "they were ..., they were ..." does not
    count) in any relation but punct, cc, case, det, mark, cop, conj, discourse, clf; an ``aux``
    counts only when it is an obligation modal ("we must X, we must Y, we must Z"), not a tense or
    voice auxiliary (be, have). One hit per coordination; the evidence names the shared word and the conjuncts."""
    p = _prepare(tokens)
    conj = np.flatnonzero((p.rel == "conj") & (p.hpos >= 0))
    heads = p.hpos[conj]
    root = p.pos.copy()
    for _ in range(1000):  # each conjunct takes its head's first conjunct, all at once, until nothing changes
        new = root[heads]
        if (new == root[conj]).all():
            break
        root[conj] = new
    # the coordinations with at least min_members members (its first conjunct and its conjuncts),
    # in order of the first conjunct; each member occurrence with its coordination number
    roots = root[conj]
    order = np.argsort(roots, kind="stable")
    roots, conj_sorted = roots[order], conj[order]
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(roots)) + 1, [len(roots)]]) if len(roots) \
        else np.zeros(1, np.int64)
    size = np.diff(bounds) + 1
    big = np.flatnonzero(size >= min_members)
    if not len(big):
        return _hits(p, [], [])
    number = np.full(len(size), -1, dtype=np.int64)
    number[big] = np.arange(len(big))
    of_conj = number[np.repeat(np.arange(len(size)), np.diff(bounds))]
    first = roots[bounds[:-1][big]]
    members = np.concatenate([first, conj_sorted[of_conj >= 0]])
    group = np.concatenate([np.arange(len(big)), of_conj[of_conj >= 0]])
    o = np.lexsort((members, group))  # each coordination's members in reading order
    members, group = members[o], group[o]
    n_groups = len(big)
    # lemmas as ids of their distinct strings
    uid_of_code, lemma_text = pd.factorize(p.lem.values)
    uid_of_code = np.asarray(uid_of_code, dtype=np.int64)
    lemma_text = np.asarray(lemma_text, dtype=object)
    n_uid = max(len(lemma_text), 1)
    uid = uid_of_code[p.lem.codes[members]]
    # 1. a head lemma shared by at least min_members VERB conjuncts (the most frequent one)
    verb = (p.upos == "VERB")[members]
    keys, counts = np.unique(group[verb] * n_uid + uid[verb], return_counts=True)
    k_group, k_uid = keys // n_uid, keys % n_uid
    most = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(most, k_group, counts)
    top = counts == most[k_group]
    n_top = np.bincount(k_group[top], minlength=n_groups)
    head_ok = most >= min_members
    head_uid = np.full(n_groups, -1, dtype=np.int64)
    head_uid[k_group[top]] = k_uid[top]
    for g in np.flatnonzero(head_ok & (n_top > 1)).tolist():  # a tie: pandas' order decides, as ever
        verbs = [lemma_text[u] for u in uid[(group == g) & verb].tolist()]
        best = pd.Series(verbs, dtype=object).value_counts().index[0]
        head_uid[g] = int(np.flatnonzero(lemma_text == best)[0])
    # 2. otherwise a modifier lemma shared by at least min_members conjuncts: each member's
    #    dependents (content words or obligation modals, relation not excluded), one per lemma
    modal = _modal_mask(p)
    modifier = (~p.base.isin(_NON_MODIFIER_RELS) & p.upos.isin(_MODIFIER_UPOS)
                & ~((p.base == "aux") & ~modal))
    start, child_rows = p.child_arrays()
    occ = np.flatnonzero(~head_ok[group])
    lo, hi = start[members[occ]], start[members[occ] + 1]
    n_kids = hi - lo
    occ_of_kid = np.repeat(occ, n_kids)
    kid = child_rows[np.repeat(lo, n_kids) + np.arange(n_kids.sum()) - np.repeat(np.cumsum(n_kids) - n_kids, n_kids)]
    ok = modifier[kid]
    occ_of_kid, kid_uid = occ_of_kid[ok], uid_of_code[p.lem.codes[kid[ok]]]
    _, firsts = np.unique(occ_of_kid * n_uid + kid_uid, return_index=True)
    firsts.sort()  # a member's lemma once, in the order met (members in order, dependents in reading order)
    occ_of_kid, kid_uid = occ_of_kid[firsts], kid_uid[firsts]
    key = group[occ_of_kid] * n_uid + kid_uid
    mod_keys, inverse, n_members = np.unique(key, return_inverse=True, return_counts=True)
    inverse = np.asarray(inverse).reshape(-1)
    lowest = np.full(len(mod_keys), p.n, dtype=np.int64)
    np.minimum.at(lowest, inverse, members[occ_of_kid])
    met = np.full(len(mod_keys), len(key), dtype=np.int64)
    np.minimum.at(met, inverse, np.arange(len(key)))
    m_group = mod_keys // n_uid
    # the best per coordination: most members, then the earliest member, then the first met
    rank = np.lexsort((met, lowest, -n_members, m_group))
    lead = rank[np.concatenate([[True], m_group[rank][1:] != m_group[rank][:-1]])] if len(rank) else rank
    mod_uid = np.full(n_groups, -1, dtype=np.int64)
    mod_ok = np.zeros(n_groups, dtype=bool)
    mod_uid[m_group[lead]] = mod_keys[lead] % n_uid
    mod_ok[m_group[lead]] = n_members[lead] >= min_members
    # the members that share it, per coordination, in order
    head_used = head_ok[group] & (uid == head_uid[group])
    mod_used = mod_ok[group[occ_of_kid]] & (kid_uid == mod_uid[group[occ_of_kid]])
    used_group = np.concatenate([group[head_used], group[occ_of_kid[mod_used]]])
    used_row = np.concatenate([members[head_used], members[occ_of_kid[mod_used]]])
    used_order = np.argsort(used_group, kind="stable")
    used_group, used_row = used_group[used_order], used_row[used_order]
    cut = np.searchsorted(used_group, np.arange(n_groups + 1))
    anchors, evidence = [], []
    for g in np.flatnonzero(head_ok | mod_ok).tolist():
        used = used_row[cut[g]:cut[g + 1]].tolist()
        shared = f"head '{lemma_text[head_uid[g]]}'" if head_ok[g] else f"modifier '{lemma_text[mod_uid[g]]}'"
        anchors.append(int(first[g]))
        evidence.append(f"{shared} ×{len(used)}: " + ", ".join(p.form[m] for m in used))
    return _hits(p, anchors, evidence)


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Feature:
    """A rhetoric feature: its extractor, languages, kind and one-line definition.

    ``kind`` is ``"count"`` (hits are occurrences; the profile gives a rate per 1,000 words) or
    ``"sentence"`` (one row per sentence with a ``value``; the profile gives the mean).
    """

    name: str
    extract: Callable[[pd.DataFrame | Parse], pd.DataFrame]
    langs: tuple[str, ...]
    kind: str
    definition: str


FEATURES: dict[str, Feature] = {f.name: f for f in (
    Feature("obligation", obligation, ("en", "zh"), "count",
            "predicates under an obligation modal (must/should/ought/shall; 必须/要/应/应该/应当/需要 as aux) "
            "or a necessity construction (have to, need to, it is necessary to)"),
    Feature("directive_verbs", directive_verbs, ("en", "zh"), "count",
            "directive verbs (strengthen, uphold, persist…; 加强, 坚持, 推进…) in an imperative or "
            "modal-governed clause"),
    Feature("first_person_plural", first_person_plural, ("en", "zh"), "count",
            "subjects (nsubj, nsubj:pass) that are 'we' / 我们"),
    Feature("agentless_passive", agentless_passives, ("en", "zh"), "count",
            "passive predicates (nsubj:pass / aux:pass; 被) without an agent (obl:agent, by-phrase)"),
    Feature("nominalisation", nominalisations, ("en", "zh"), "count",
            "nouns with a derivational suffix (-tion, -ment, -ness, -ity, -ance…); zh verbal nouns and -化"),
    Feature("enumerated_section", enumerated_sections, ("en", "zh"), "count",
            "sentences opening with an enumerator (I, / 1. / First, / 一、/ 一是)"),
    Feature("parallel_series", parallel_series, ("en", "zh"), "count",
            "coordinations of ≥3 conjuncts sharing a head lemma or a modifier lemma"),
    Feature("sentence_length", sentence_length, ("en", "zh"), "sentence",
            "words (analysis.is_word: punctuation and symbols excluded) per sentence"),
    Feature("clause_depth", clause_depth, ("en", "zh"), "sentence",
            "max number of clausal relations (ccomp, xcomp, advcl, acl, csubj, parataxis) on a root-to-word path"),
)}


def _feature(name: str) -> Feature:
    try:
        return FEATURES[name]
    except KeyError:
        raise ParameterError(f"unknown rhetoric feature {name!r}; the features are: {', '.join(FEATURES)}") from None


def _features(features: str | Sequence[str] | None) -> list[Feature]:
    names = list(FEATURES) if features is None else as_list(features)
    if not names:
        raise ParameterError(f"features is empty; give some of: {', '.join(FEATURES)} (or None for all)")
    return [_feature(n) for n in names]


def _selection(p: Parse, filters: dict[str, Any]) -> np.ndarray:
    """Row mask of the ``**filters`` (:func:`analysis.select`); an error when it leaves no words."""
    require_rows(p.tokens)
    mask = filter_mask(p.tokens, filters)
    if not (mask & p.word).any():
        shown = ", ".join(f"{k}={v!r}" for k, v in filters.items())
        raise EmptySelectionError(f"the filters {shown} select no words" if filters else "this table holds no words")
    return mask


def feature_hits(tokens: pd.DataFrame | Parse, feature: str, **filters: Any) -> pd.DataFrame:
    """The audit table of one feature: one concordance line per hit, its context the whole sentence.

    Columns: ``feature``, ``doc_id, par, sent``, ``idx`` (the anchor word's index in its
    sentence), ``position``, ``left, match, right`` (``match`` is the anchor word — the governed
    predicate, the subject, the first word of the sentence for sentence features; ``left`` and
    ``right`` the rest of its sentence), ``evidence`` (the words that make the hit), ``value``
    (1 for counts; the measure for sentence features), then the table's metadata columns
    (``lang``, ``voice``, ... or a corpus's own). The lines come from
    :func:`analysis._core.concordance` with ``within="sentence"``, exactly as :func:`analysis.kwic`
    cuts them. ``**filters`` (:func:`analysis.select`) keep hits whose anchor meets them.
    """
    f = _feature(feature)
    p = _prepare(tokens)
    mask = _selection(p, filters)
    hits = f.extract(p)
    pos = hits["_pos"].to_numpy(dtype=np.int64)
    keep = np.isin(p.lang[pos], f.langs) & mask[pos]
    hits, pos = hits[keep], pos[keep]
    longest = int(np.bincount(p.sid).max()) if p.n else 0
    out = concordance(p.tokens, pos, pos + 1, window=longest, within="sentence")
    out.insert(0, "feature", feature)
    out.insert(out.columns.get_loc("sent") + 1, "idx", hits["idx"].to_numpy(dtype=np.int64))
    at = out.columns.get_loc("right") + 1
    out.insert(at, "evidence", hits["evidence"].to_numpy(dtype=object))
    out.insert(at + 1, "value", hits["value"].to_numpy(dtype=float))
    return out


# ---------------------------------------------------------------------------------------------
# Profile and significance
# ---------------------------------------------------------------------------------------------

def group_label(value: Any) -> str:
    """How a group (a value of ``by``, a tuple for several columns) is named in column names and
    figures: the value as text, several values joined by ``|`` (``en|official``)."""
    if isinstance(value, tuple):
        return "|".join(map(str, value)) if len(value) != 1 else str(value[0])
    return str(value)


#: The columns of :func:`rhetoric_profile` after the grouping columns.
PROFILE_COLUMNS = ("feature", "feature_kind", "count", "words", "per_1000", "mean", "doc_ci_low", "doc_ci_high",
                   "n_docs")


class _Profile:
    """The profile table plus what the comparison needs: per-sentence values, per-document sums
    (``docs[(group, feature)] = (numerators, denominators)``, one entry per document) and group labels."""

    def __init__(self, tokens, by, features, filters, *, conf=0.95, n_boot=N_BOOT, seed=0):
        check_int(seed, "seed")
        check_probability(conf, "conf")
        p = _prepare(tokens)
        feats = _features(features)
        mask = _selection(p, filters)
        codes, groups = group_keys(p.tokens, by)
        self.by = list(groups.columns)
        clash = [c for c in self.by if c in PROFILE_COLUMNS]
        if clash:
            raise ParameterError(f"cannot group by {', '.join(map(repr, clash))}: the profile has a column of that "
                                 f"name ({', '.join(PROFILE_COLUMNS)}); rename the Tokens column first")
        counted = p.word & mask & (codes >= 0)
        present = np.unique(codes[counted]).tolist()  # group codes follow first appearance
        if not present:
            raise EmptySelectionError(f"no words with a value of {', '.join(self.by)} in this selection")
        n_groups = len(groups)
        values_of = list(groups.itertuples(index=False, name=None))
        self.labels = {group_label(values_of[g]): g for g in present}
        # documents numbered in order of first appearance (pd.factorize of the doc_id values)
        doc_codes = np.asarray(pd.factorize(p.doc_id.codes)[0], dtype=np.int64) if p.n else np.zeros(0, np.int64)
        n_docs_all = int(doc_codes.max()) + 1 if p.n else 1
        rows, self.values, self.docs = [], {}, {}
        word_pairs: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        drawn: dict = {}  # resamples by number of documents: features on the same documents share them
        for f in feats:
            in_lang = p.lang.isin(f.langs)
            words = np.bincount(codes[counted & in_lang], minlength=n_groups)
            hits = f.extract(p)
            pos = hits["_pos"].to_numpy(dtype=np.int64)
            keep = in_lang[pos] & mask[pos] & (codes[pos] >= 0)
            hit_codes = codes[pos[keep]]
            vals = hits["value"].to_numpy(dtype=float)[keep]
            # per (group, document): words, hits and the sum of the hits' values. The words' keys
            # come in runs (a table in reading order), so they are counted per run, once per language set
            if f.langs not in word_pairs:
                word_keys = np.where(counted & in_lang, codes * n_docs_all + doc_codes, -1)
                run_starts = np.flatnonzero(np.concatenate(([True], word_keys[1:] != word_keys[:-1]))) \
                    if p.n else np.zeros(0, np.int64)
                run_keys = word_keys[run_starts]
                run_words = np.diff(np.append(run_starts, p.n))
                word_pairs[f.langs] = (run_keys[run_keys >= 0], run_words[run_keys >= 0])
            run_keys, run_words = word_pairs[f.langs]
            hit_keys = hit_codes * n_docs_all + doc_codes[pos[keep]]
            pairs = np.unique(np.concatenate([run_keys, hit_keys]))
            pair_words = np.bincount(np.searchsorted(pairs, run_keys), weights=run_words,
                                     minlength=len(pairs)).astype(float)
            inverse = np.searchsorted(pairs, hit_keys)
            pair_hits = np.bincount(inverse, minlength=len(pairs)).astype(float)
            pair_sums = np.bincount(inverse, weights=vals, minlength=len(pairs))
            pair_group = pairs // n_docs_all
            for g in present:
                sel = hit_codes == g
                v = vals[sel]
                self.values[(g, f.name)] = v
                count, n_words = int(sel.sum()), int(words[g])
                lo, hi = np.searchsorted(pair_group, [g, g + 1])
                if f.kind == "count":
                    rate = 1000.0 * count / n_words if n_words else np.nan
                    mean = np.nan
                    num, den, scale = pair_hits[lo:hi], pair_words[lo:hi], 1000.0
                else:  # count = sentences; the mean is Σ values / Σ sentences
                    rate = np.nan
                    mean = float(v.mean()) if len(v) else np.nan
                    num, den, scale = pair_sums[lo:hi], pair_hits[lo:hi], 1.0
                used = den > 0
                self.docs[(g, f.name)] = (num[used], den[used])
                low, high = _cluster_bootstrap_ratio(num[used], den[used], n_boot=n_boot, conf=conf, seed=seed,
                                                     scale=scale, drawn=drawn)
                rows.append((*values_of[g], f.name, f.kind, count, n_words, rate, mean, low, high, int(used.sum())))
        self.table = pd.DataFrame(rows, columns=[*self.by, *PROFILE_COLUMNS])
        self.table.attrs.update(by=self.by, conf=conf, n_boot=n_boot, seed=seed)


def rhetoric_profile(tokens: pd.DataFrame | Parse, by: str | Sequence[str] | None = "voice",
                     features: str | Sequence[str] | None = None, *, conf: float = 0.95, n_boot: int = N_BOOT,
                     seed: int = 0, **filters: Any) -> pd.DataFrame:
    """Rates of each rhetoric feature per group (a tidy table, one row per group and feature),
    with a document-level interval.

    Columns: the ``by`` column(s), by name (any Tokens column: ``voice``, ``doc_id``, a corpus's
    own ``source``...), ``feature``, ``feature_kind`` (``count`` or ``sentence``: the
    :class:`Feature`'s kind), ``count`` (hits; for sentence features, the number
    of sentences), ``words`` (words of the group in the feature's languages, :func:`analysis.is_word`:
    the module docstring), ``per_1000`` (1000·count/words, count features; NaN for sentence
    features), ``mean`` (mean per-sentence value, sentence features; NaN for counts),
    ``doc_ci_low``, ``doc_ci_high`` and ``n_docs``.

    ``doc_ci_low``/``doc_ci_high``: the document-level cluster-bootstrap percentile interval
    (:func:`analysis.inference.cluster_bootstrap_ratio`; ``conf``, ``n_boot`` resamples,
    ``seed``) of the group's value — ``per_1000`` for count features (per-document hits over
    per-document words), ``mean`` for sentence features (per-document sums of the values over
    per-document sentences) — resampling the ``n_docs`` documents (``doc_id``) of the group
    that hold words in the feature's languages (sentences, for sentence features). It answers
    whether *texts like these* have the rate, not only *these words*; a group of one document
    (``by="doc_id"``) has no between-document variation and gets ``nan``.

    Groups are in order of first appearance; only groups that contain words appear, and a group
    with words but no hits gets count 0. ``**filters`` (:func:`analysis.select`) restrict the
    words and hits counted (the parse itself is read whole, so a filter never cuts a sentence's
    tree). The same ``seed`` gives the same table.
    """
    return _Profile(tokens, by, features, filters, conf=conf, n_boot=n_boot, seed=seed).table


#: Log-likelihood G² (4-cell form) and Hardie's log ratio come from :mod:`analysis.keywords`
#: (one implementation for vocabularies and rhetoric features): ``log_likelihood(a, b, n_a, n_b)``
#: with ``a, b`` the counts and ``n_a, n_b`` the group sizes in words.
log_likelihood = log_likelihood_4cell

#: Below this smallest expected count of a feature's 2×2 table the χ² approximation behind G² is
#: unreliable (Cochran 1954) and Fisher's exact test is computed (``p_fisher``).
MIN_EXPECTED = 5.0


def _two_groups(prof: _Profile, groups) -> tuple[str, str]:
    """The target and reference labels: ``groups`` if given, else the two values of ``by``."""
    found = ", ".join(map(repr, prof.labels))
    if groups is None:
        if len(prof.labels) != 2:
            raise ParameterError(f"compare_rhetoric contrasts two groups, and {', '.join(prof.by) or 'the table'} "
                                 f"has {len(prof.labels)} with words: {found}; "
                                 "choose two with groups=(target, reference)")
        a, b = prof.labels
        return a, b
    chosen = as_list(groups)
    if len(chosen) != 2:
        raise ParameterError("groups is the two values of by to contrast, target first, "
                             f"e.g. {tuple(prof.labels)[:2]}; got {groups!r}")
    a, b = (group_label(tuple(g) if isinstance(g, (list, tuple)) else g) for g in chosen)
    for g in (a, b):
        if g not in prof.labels:
            raise ParameterError(f"group {g!r} has no words in this selection; values of "
                                 f"{', '.join(prof.by)}: {found}")
    if a == b:
        raise ParameterError(f"groups must be two different values, got {a!r} twice")
    return a, b


def compare_rhetoric(tokens: pd.DataFrame | Parse, by: str | Sequence[str] = "voice",
                     groups: Sequence[Any] | None = None, features: str | Sequence[str] | None = None, *,
                     correction: str | None = "holm", n_boot: int = N_BOOT, seed: int = 0,
                     **filters: Any) -> pd.DataFrame:
    """Compare two groups feature by feature: a token-level test, a multiple-testing correction,
    an exact test for small counts, a document-level test and an effect size.

    ``groups`` names the two values of ``by`` to contrast, target first (a tuple of values for
    several ``by`` columns); without it, ``by`` must have exactly two values with words, taken in
    order of first appearance (any other number is a :class:`~analysis.errors.ParameterError`
    listing the values found).

    Tests, and the question each answers:

    * ``test``, ``statistic``, ``p_value`` — the token-level test. Count features:
      log-likelihood G² in the 4-cell form (Rayson & Garside 2000; Dunning 1993;
      :func:`analysis.keywords.log_likelihood_4cell`, 1 d.f., p from χ²₁) on hits vs the
      group's other words; sentence features (length, depth): two-sided Mann–Whitney U test
      (``scipy.stats.mannwhitneyu``) of the per-sentence values. ``test`` names the test that
      gave ``p_value`` (``"G2"`` or ``"Mann-Whitney U"``). Could *these words* (sentences) come
      from one distribution?
    * ``p_adjusted`` (the p-values after ``correction``, Holm by default; no column with ``correction=None``) —
      ``p_value`` adjusted over the features compared (Holm 1979, family-wise error rate;
      Benjamini & Hochberg 1995, false discovery rate: :func:`analysis.inference.adjust`). Read
      this, not ``p_value``, when asking which of the features differ.
    * ``min_expected``, ``p_fisher`` — the smallest expected count of the feature's 2×2 table
      (hits and other words × the two groups, :func:`analysis.inference.min_expected_2x2`), and,
      where it is below :data:`MIN_EXPECTED` (5), Fisher's exact two-sided p-value of that table
      (:func:`analysis.inference.fisher_exact_2x2`; Fisher 1922) — the χ² approximation behind
      G² fails there (Cochran 1954), so read ``p_fisher`` instead of ``p_value``; ``nan``
      elsewhere and for sentence features.
    * ``p_doc`` — the bootstrap test of Lijffijt et al. (2016) on per-document counts and
      words (:func:`analysis.inference.bootstrap_test`, ``n_boot`` resamples, ``seed``): the
      documents of each group are resampled and the pooled rates compared. Sentence features:
      the same test on per-document sums of the values over per-document sentences (the mean
      per sentence). Do *texts like these* differ? ``nan`` when a group has fewer than two
      documents. ``p_doc_adjusted``: ``p_doc`` after the same correction. (Where
      every document of one group lacks the feature, that group's rate cannot vary in the
      resamples, and the test only asks whether the other group's rate stays above zero.)

    Effect size: ``log_ratio`` — Hardie's (2014) log ratio of the rates
    (:func:`analysis.keywords.log_ratio`, zero → 0.5) for counts; log2(mean_target /
    mean_reference) for sentence features.

    One row per feature. Columns: ``feature``, ``feature_kind``, then for each group ``<g>`` (its value;
    several ``by`` values joined by ``|``, :func:`group_label`) ``count_<g>``, ``words_<g>``,
    ``per_1000_<g>`` (count features) and ``mean_<g>`` (sentence features), target first; then
    ``test``, ``statistic``, ``p_value``, ``log_ratio``, ``p_adjusted``,
    ``min_expected``, ``p_fisher``, ``p_doc``, ``p_doc_adjusted``. ``attrs``: ``groups`` (the two labels), ``by``,
    ``correction``, ``n_boot``, ``seed``. The same ``seed`` gives the same table.
    """
    if correction is not None and correction not in ADJUSTMENTS:
        raise ParameterError(f"correction must be one of None, {', '.join(map(repr, ADJUSTMENTS))}, "
                             f"not {correction!r}")
    prof = _Profile(tokens, by, features, filters, n_boot=n_boot, seed=seed)
    a, b = _two_groups(prof, groups)
    ga, gb = prof.labels[a], prof.labels[b]
    table = prof.table
    keyed = table.assign(_g=[group_label(tuple(r)) for r in table[prof.by].itertuples(index=False)]) \
        .set_index(["_g", "feature"])
    rows, extra = [], []
    for name in dict.fromkeys(table["feature"]):
        ra, rb = keyed.loc[(a, name)], keyed.loc[(b, name)]
        min_exp = p_fisher = np.nan
        if ra["feature_kind"] == "count":
            both = ra["words"] and rb["words"]
            stat = float(log_likelihood(ra["count"], rb["count"], ra["words"], rb["words"])) if both else np.nan
            p_val = float(chi2_sf(stat)) if not np.isnan(stat) else np.nan
            lr = float(log_ratio(ra["count"], rb["count"], ra["words"], rb["words"])) \
                if both and (ra["count"] or rb["count"]) else np.nan  # 0 vs 0: undefined
            test = "G2"
            if both:
                cells = (ra["count"], rb["count"], ra["words"] - ra["count"], rb["words"] - rb["count"])
                min_exp = float(min_expected_2x2(*cells))
                if min_exp < MIN_EXPECTED:
                    p_fisher = float(fisher_exact_2x2(*cells))
        else:
            xa, xb = prof.values[(ga, name)], prof.values[(gb, name)]
            if len(xa) and len(xb):
                res = stats.mannwhitneyu(xa, xb, alternative="two-sided")
                stat, p_val = float(res.statistic), float(res.pvalue)
                lr = float(np.log2(xa.mean() / xb.mean())) if xa.mean() > 0 and xb.mean() > 0 else np.nan
            else:
                stat = p_val = lr = np.nan
            test = "Mann-Whitney U"
        (na, sa), (nb, sb) = prof.docs[(ga, name)], prof.docs[(gb, name)]
        p_doc = float(bootstrap_test(na, sa, nb, sb, n_boot=n_boot, seed=seed))
        row = {"feature": name, "feature_kind": ra["feature_kind"]}
        for label, r in ((a, ra), (b, rb)):
            row.update({f"count_{label}": int(r["count"]), f"words_{label}": int(r["words"]),
                        f"per_1000_{label}": r["per_1000"], f"mean_{label}": r["mean"]})
        row.update({"test": test, "statistic": stat, "p_value": p_val, "log_ratio": lr})
        rows.append(row)
        extra.append((min_exp, p_fisher, p_doc))
    out = pd.DataFrame(rows)
    if correction is not None:
        out["p_adjusted"] = adjust(out["p_value"].to_numpy(dtype=float), correction)
    out["min_expected"], out["p_fisher"], out["p_doc"] = (np.asarray(c, dtype=float) for c in zip(*extra))
    if correction is not None:
        out["p_doc_adjusted"] = adjust(out["p_doc"].to_numpy(dtype=float), correction)
    out.attrs.update(groups=(a, b), by=prof.by, correction=correction, n_boot=n_boot, seed=seed)
    return out
