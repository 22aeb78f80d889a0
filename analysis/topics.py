"""Topic models (LDA, with gensim): units, a deterministic estimator, model selection, outputs.

The data flow is the package's usual one::

    Tokens ──topic_units──▶ units (one row per paragraph / document / window, with a ``terms`` list)
           ──TopicModel(k, seed).fit(units)──▶ model_ (gensim LdaModel), doc_topic_, topics_
           ──top_terms / doc_topics / topic_prevalence / topic_themes──▶ tidy DataFrames
    units ──sweep(ks, seeds)──▶ coherence (c_v, c_npmi, u_mass) and stability per (k, seed)
           ──choose_k──▶ K by a stated rule

Reproducibility. gensim's ``LdaModel`` is trained single-process (``LdaMulticore`` is not
reproducible, gensim #113) with ``random_state=seed``. Its inference of document-topic shares
draws the variational start values from the model's *shared* random state (gensim #591), so the
same document gets slightly different shares depending on what was inferred before it.
:class:`TopicModel` fixes this: every unit is inferred from a fresh
``numpy.random.RandomState(seed)``, so its shares depend only on the unit's terms, the model and
the seed, never on call order or on the other units in the batch.

Topic modelling references: Blei, Ng & Jordan (2003), "Latent Dirichlet Allocation", JMLR 3;
Hoffman, Blei & Bach (2010), "Online learning for latent Dirichlet allocation", NIPS (the
variational algorithm gensim implements).
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import TifaError, TopicModelError

__all__ = [
    "TopicModelError",
    "DEFAULT_UPOS",
    "STOPWORDS",
    "topic_units",
    "TopicModel",
    "top_terms",
    "doc_topics",
    "topic_prevalence",
    "topic_coherence",
    "jaccard",
    "topic_stability",
    "sweep",
    "choose_k",
    "k_selection",
    "best_seed",
    "topic_themes",
    "theme_globs",
    "load_topic_labels",
    "topic_labels",
    "ldavis_data",
]




#: Content-word parts of speech whose lemmas make up topic-model units (UD UPOS tags).
DEFAULT_UPOS = ("NOUN", "PROPN", "ADJ", "VERB")

#: Small stopword lists, applied to lemmas *after* the part-of-speech filter: verbs, adjectives
#: and nouns so general that they survive the content-word filter but name no topic. English
#: lemmas are lower-cased; the Chinese list follows UD GSD segmentation. Kept short on purpose:
#: pass ``stopwords=`` to :func:`topic_units` to extend or replace them.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""
        be have do say make take get go come give see know use need want let seem become put keep
        tell think show mean include call find try
        other such many much more most few own same new good great certain various several whole
        able main certain further last first next
        thing way lot kind sort part time year day people one
        mr ms etc
    """.split()),
    "zh": frozenset("""
        是 有 要 为 进行 做 说 使 让 把 被 能 会 可以 应 应该 得 成为 实现
        等 各 其 此 新 大 多 好 一些 方面 问题 工作 情况 同时 时候 中 年 月 日
    """.split()),
}

_UNITS = ("paragraph", "document", "window")
_WORDLIKE = re.compile(r"\w", re.UNICODE)
_META_FIRST = ("kind", "outlet", "date", "title")


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------

def _mode(values: Sequence[Any]) -> Any:
    """Most frequent value; ties go to the value seen first."""
    counts = Counter(values)
    best = max(counts.values())
    for v in values:
        if counts[v] == best:
            return v
    return ""  # pragma: no cover - values is never empty


def topic_units(
    tokens: pd.DataFrame,
    unit: str = "paragraph",
    *,
    window: int = 5,
    lang: str | Iterable[str] | None = None,
    voice: str | Iterable[str] | None = None,
    upos: Iterable[str] = DEFAULT_UPOS,
    stopwords: Iterable[str] | Mapping[str, Iterable[str]] | None = None,
    lowercase: bool = True,
    phrases: bool = False,
    phrase_min_count: int = 5,
    phrase_threshold: float = 10.0,
    delimiter: str = "_",
) -> pd.DataFrame:
    """Units ("documents" in the topic-model sense) built from a Tokens table.

    Parameters
    ----------
    tokens
        A Tokens table (see :mod:`analysis.tokens`).
    unit
        ``"paragraph"`` (default: one unit per corpus paragraph, ``(doc_id, par)``),
        ``"document"`` (one unit per ``doc_id``) or ``"window"`` (``window`` consecutive sentences
        of a document: sentences 1..N, N+1..2N, ...; windows may cross paragraph boundaries).
    lang, voice
        Keep only words whose paragraph has this language / voice (a value or several).
    upos
        Parts of speech kept (content words; default NOUN, PROPN, ADJ, VERB).
    stopwords
        Lemmas dropped after the POS filter. ``None``: :data:`STOPWORDS` of each word's language;
        a mapping ``lang → lemmas``: per language; any other iterable: for every language.
    lowercase
        Lower-case terms of every language except Chinese (``zh``), where case does not exist and
        the lemma is the word of the parse.
    phrases
        Join frequent collocations into one term with gensim ``Phrases`` (``public_opinion``):
        trained on the content-lemma sequences of each sentence (within a paragraph) after the
        filters above, with gensim's default score (Mikolov et al. 2013), ``phrase_min_count``
        and ``phrase_threshold``. Deterministic (counting only). Pairs only (one pass).

    Returns
    -------
    DataFrame
        One row per unit with at least one term, in reading order: ``unit_id`` (``doc-pN``,
        ``doc`` or ``doc-wN``), ``doc_id``, ``par`` (first paragraph), ``sent_first``,
        ``sent_last``, ``lang`` and ``voice`` (the value of most of the unit's words; ties: the
        first), ``kind``, ``outlet``, ``date``, ``title``, ``n_words`` (words of the unit other
        than punctuation), ``n_terms`` and ``terms`` (list of str, in text order).

    Lemmas that are empty are replaced by the word form; terms without any letter or digit are
    dropped. Frequency and document-frequency filters are applied when a model is fitted
    (:class:`TopicModel` ``no_below`` / ``no_above``), because they depend on the unit set.
    """
    required = {"doc_id", "par", "sent", "form", "lemma", "upos", "lang", "voice"}
    if not isinstance(tokens, pd.DataFrame) or not required <= set(tokens.columns):
        missing = sorted(required - set(getattr(tokens, "columns", [])))
        raise TopicModelError(f"topic_units needs a Tokens table; missing columns: {', '.join(missing)}; "
                              "build one with analysis.tokens.load_tokens or tokens_from_conllu")
    if unit not in _UNITS:
        raise TopicModelError(f"unknown unit {unit!r}: use one of {', '.join(_UNITS)}")
    if unit == "window" and (not isinstance(window, (int, np.integer)) or window < 1):
        raise TopicModelError(f"window must be a positive number of sentences, not {window!r}")
    upos = set(upos)

    df = tokens
    for col, wanted in (("lang", lang), ("voice", voice)):
        if wanted is not None:
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            df = df[df[col].astype(str).isin(wanted)]
    if len(df) == 0:
        raise TopicModelError(f"no words left for topic units (lang={lang!r}, voice={voice!r}); "
                              "check the filters against the Tokens' lang and voice values")

    if stopwords is None:
        stop_by_lang: Mapping[str, frozenset[str]] | None = STOPWORDS
        stop_all: frozenset[str] = frozenset()
    elif isinstance(stopwords, Mapping):
        stop_by_lang = {k: frozenset(v) for k, v in stopwords.items()}
        stop_all = frozenset()
    else:
        stop_by_lang = None
        stop_all = frozenset(stopwords)

    meta_cols = [c for c in _META_FIRST if c in df.columns]
    cols = ["doc_id", "par", "sent", "form", "lemma", "upos", "lang", "voice", *meta_cols]
    frame = pd.DataFrame({c: (df[c].astype(str) if c not in ("par", "sent") else df[c].astype(int))
                          for c in cols})

    def unit_key(doc: str, par: int, sent: int) -> tuple:
        if unit == "paragraph":
            return (doc, par)
        if unit == "document":
            return (doc,)
        return (doc, (sent - 1) // window + 1)

    units: dict[tuple, dict[str, Any]] = {}
    # sentence pieces (within one paragraph) of content terms, for Phrases: key → [terms]
    pieces: dict[tuple, list[str]] = {}
    piece_unit: dict[tuple, tuple] = {}
    for row in frame.itertuples(index=False):
        key = unit_key(row.doc_id, row.par, row.sent)
        u = units.get(key)
        if u is None:
            u = units[key] = {"doc_id": row.doc_id, "par": row.par, "sent_first": row.sent,
                              "sent_last": row.sent, "langs": [], "voices": [], "n_words": 0,
                              **{c: getattr(row, c) for c in meta_cols}}
        u["sent_last"] = max(u["sent_last"], row.sent)
        u["langs"].append(row.lang)
        u["voices"].append(row.voice)
        if row.upos != "PUNCT":
            u["n_words"] += 1
        if row.upos not in upos:
            continue
        term = row.lemma if row.lemma not in ("", "_") else row.form
        if lowercase and row.lang != "zh":
            term = term.lower()
        if not _WORDLIKE.search(term):
            continue
        stops = stop_by_lang.get(row.lang, frozenset()) if stop_by_lang is not None else stop_all
        if term in stops:
            continue
        pkey = (row.doc_id, row.par, row.sent)
        if pkey not in pieces:
            pieces[pkey] = []
            piece_unit[pkey] = key
        pieces[pkey].append(term)

    if phrases:
        from gensim.models.phrases import Phrases

        if phrase_min_count < 1 or phrase_threshold <= 0:
            raise TopicModelError("phrase_min_count must be ≥ 1 and phrase_threshold > 0")
        seqs = list(pieces.values())
        frozen = Phrases(seqs, min_count=phrase_min_count, threshold=phrase_threshold,
                         delimiter=delimiter).freeze()
        pieces = {k: list(frozen[v]) for k, v in pieces.items()}

    terms_by_unit: dict[tuple, list[str]] = {}
    for pkey, terms in pieces.items():
        terms_by_unit.setdefault(piece_unit[pkey], []).extend(terms)

    rows = []
    for key, u in units.items():
        terms = terms_by_unit.get(key, [])
        if unit == "paragraph":
            unit_id = f"{u['doc_id']}-p{u['par']}"
        elif unit == "document":
            unit_id = u["doc_id"]
        else:
            unit_id = f"{u['doc_id']}-w{key[1]}"
        if not terms:
            continue
        rows.append({"unit_id": unit_id, "doc_id": u["doc_id"], "par": u["par"],
                     "sent_first": u["sent_first"], "sent_last": u["sent_last"],
                     "lang": _mode(u["langs"]), "voice": _mode(u["voices"]),
                     **{c: u.get(c, "") for c in _META_FIRST},
                     "n_words": u["n_words"], "n_terms": len(terms), "terms": terms})
    columns = ["unit_id", "doc_id", "par", "sent_first", "sent_last", "lang", "voice", *_META_FIRST,
               "n_words", "n_terms", "terms"]
    out = pd.DataFrame(rows, columns=columns)
    if len(out) == 0:
        raise TopicModelError("no unit has a content term left: check upos, stopwords and the lang/voice "
                              "filters (topic_units keeps only lemmas of NOUN, PROPN, ADJ, VERB by default)")
    for c in ("par", "sent_first", "sent_last", "n_words", "n_terms"):
        out[c] = out[c].astype("int64")
    return out


def _check_units(units: Any) -> pd.DataFrame:
    if not isinstance(units, pd.DataFrame) or "terms" not in units.columns:
        raise TopicModelError("expected a units DataFrame with a 'terms' column: build it with "
                              "analysis.topics.topic_units(tokens)")
    if len(units) == 0:
        raise TopicModelError("the units table is empty: nothing to model (check the filters of topic_units)")
    bad = [i for i, t in enumerate(units["terms"]) if isinstance(t, str) or not isinstance(t, Iterable)]
    if bad:
        raise TopicModelError(f"'terms' must hold lists of strings (row {bad[0]} does not)")
    return units


def _unit_ids(units: pd.DataFrame) -> list[str]:
    if "unit_id" in units.columns:
        ids = [str(u) for u in units["unit_id"]]
        if len(set(ids)) != len(ids):
            raise TopicModelError("unit_id values must be unique")
        return ids
    return [str(i) for i in range(len(units))]


# ---------------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------------

class TopicModel:
    """Latent Dirichlet Allocation (gensim ``LdaModel``), deterministic given ``seed``.

    scikit-learn conventions: ``__init__`` only stores parameters; :meth:`fit` validates, trains
    and returns ``self``; learned attributes end in ``_``.

    Parameters
    ----------
    k
        Number of topics (≥ 2).
    seed
        Seed of training and of inference (see the module docstring).
    passes, iterations, chunksize
        gensim ``LdaModel`` parameters (passes over the corpus; maximum variational iterations
        per document, gensim's default 50; documents per update). Training is single-process.
    alpha, eta
        Dirichlet priors as in gensim: ``"symmetric"`` (1/k), ``"asymmetric"``, ``"auto"``
        (learned), or numbers. ``eta=None`` is gensim's symmetric 1/k.
    no_below, no_above, keep_n
        Vocabulary filters, with gensim ``Dictionary.filter_extremes`` semantics: drop terms
        that occur in fewer than ``no_below`` units (a *unit* count, not a token count), or in
        more than the fraction ``no_above`` of units; then keep only the ``keep_n`` most
        frequent (``None``: all).
    topn
        Number of top terms per topic in :attr:`topics_`-derived outputs (``top_terms_``).

    Attributes
    ----------
    dictionary_ : gensim.corpora.Dictionary
    corpus_ : list of bag-of-words lists (one per unit)
    model_ : gensim.models.LdaModel
    unit_ids_ : list of str
    n_terms_ : numpy array, number of in-vocabulary tokens of each unit
    doc_topic_ : DataFrame, index ``unit_id``, one column per topic (0..k-1): topic shares θ
    topics_ : DataFrame, index topic (0..k-1), one column per term: topic-term probabilities φ
    """

    def __init__(self, k: int = 10, *, seed: int = 0, passes: int = 10, iterations: int = 50,
                 alpha: Any = "symmetric", eta: Any = None, no_below: int = 2, no_above: float = 0.5,
                 keep_n: int | None = None, chunksize: int = 2000, topn: int = 10):
        self.k = k
        self.seed = seed
        self.passes = passes
        self.iterations = iterations
        self.alpha = alpha
        self.eta = eta
        self.no_below = no_below
        self.no_above = no_above
        self.keep_n = keep_n
        self.chunksize = chunksize
        self.topn = topn

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (scikit-learn convention)."""
        return {name: getattr(self, name) for name in ("k", "seed", "passes", "iterations", "alpha", "eta",
                                                       "no_below", "no_above", "keep_n", "chunksize", "topn")}

    def __repr__(self) -> str:
        return f"TopicModel(k={self.k}, seed={self.seed}, passes={self.passes})"

    def _validate_params(self) -> None:
        def is_int(v: Any) -> bool:
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

        if not is_int(self.k) or self.k < 2:
            raise TopicModelError(f"k must be an integer ≥ 2 (the number of topics), not {self.k!r}")
        if not is_int(self.seed):
            raise TopicModelError(f"seed must be an integer, not {self.seed!r}")
        for name in ("passes", "iterations", "chunksize", "topn"):
            v = getattr(self, name)
            if not is_int(v) or v < 1:
                raise TopicModelError(f"{name} must be a positive integer, not {v!r}")
        if not is_int(self.no_below) or self.no_below < 0:
            raise TopicModelError(f"no_below must be a non-negative integer, not {self.no_below!r}")
        if not isinstance(self.no_above, (int, float)) or not 0 < self.no_above <= 1:
            raise TopicModelError(f"no_above must be a fraction in (0, 1], not {self.no_above!r}")
        if isinstance(self.alpha, str) and self.alpha not in ("symmetric", "asymmetric", "auto"):
            raise TopicModelError(f"alpha must be 'symmetric', 'asymmetric', 'auto' or numbers, not {self.alpha!r}")

    def fit(self, units: pd.DataFrame) -> "TopicModel":
        """Build the vocabulary and bag-of-words corpus from ``units["terms"]`` and train LDA."""
        from gensim.corpora import Dictionary
        from gensim.models import LdaModel

        self._validate_params()
        units = _check_units(units)
        ids = _unit_ids(units)
        texts = [list(t) for t in units["terms"]]
        dictionary = Dictionary(texts)
        dictionary.filter_extremes(no_below=self.no_below, no_above=self.no_above, keep_n=self.keep_n)
        if len(dictionary) == 0:
            raise TopicModelError(
                f"no term survives the vocabulary filters (no_below={self.no_below}, no_above={self.no_above}) "
                f"on {len(texts)} units: lower no_below or raise no_above")
        corpus = [dictionary.doc2bow(t) for t in texts]
        if sum(1 for bow in corpus if bow) < 2:
            raise TopicModelError("fewer than two units have an in-vocabulary term: a topic model needs more "
                                  "text (or looser no_below / no_above filters)")
        model = LdaModel(corpus=corpus, id2word=dictionary, num_topics=int(self.k),
                         random_state=int(self.seed), passes=self.passes, iterations=self.iterations,
                         alpha=self.alpha, eta=self.eta, chunksize=self.chunksize, update_every=1,
                         eval_every=None, dtype=np.float64)
        self.dictionary_ = dictionary
        self.corpus_ = corpus
        self.model_ = model
        self.unit_ids_ = ids
        self.texts_ = texts
        self.n_terms_ = np.array([sum(c for _, c in bow) for bow in corpus], dtype=np.int64)
        terms = [dictionary[i] for i in range(len(dictionary))]
        self.topics_ = pd.DataFrame(model.get_topics(), columns=terms,
                                    index=pd.RangeIndex(self.k, name="topic"))
        self.doc_topic_ = self._infer(corpus, ids)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise TopicModelError("this TopicModel is not fitted yet: call fit(units) first")

    def _infer(self, corpus: Sequence[list[tuple[int, int]]], ids: Sequence[str]) -> pd.DataFrame:
        """θ for each bag of words, each from a fresh RandomState(seed) (the gensim #591 fix)."""
        model = self.model_
        saved = model.random_state
        theta = np.empty((len(corpus), self.k), dtype=np.float64)
        try:
            for i, bow in enumerate(corpus):
                model.random_state = np.random.RandomState(int(self.seed))
                gamma, _ = model.inference([bow], collect_sstats=False)
                theta[i] = gamma[0] / gamma[0].sum()
        finally:
            model.random_state = saved
        return pd.DataFrame(theta, index=pd.Index(list(ids), name="unit_id"),
                            columns=pd.RangeIndex(self.k, name="topic"))

    def transform(self, units: pd.DataFrame) -> pd.DataFrame:
        """Topic shares θ of (new) units: DataFrame, index ``unit_id``, one column per topic.

        Deterministic: a unit's shares depend only on its terms, the model and ``seed``.
        Terms outside the fitted vocabulary are ignored; a unit with none gets the prior mean.
        """
        self._check_fitted()
        units = _check_units(units)
        ids = _unit_ids(units)
        corpus = [self.dictionary_.doc2bow(list(t)) for t in units["terms"]]
        return self._infer(corpus, ids)

    def fit_transform(self, units: pd.DataFrame) -> pd.DataFrame:
        """``fit(units)`` then the fitted units' shares (:attr:`doc_topic_`)."""
        return self.fit(units).doc_topic_

    def topic_words(self, topn: int | None = None) -> list[list[str]]:
        """Top ``topn`` terms of each topic (by φ, ties by vocabulary order), as lists."""
        self._check_fitted()
        topn = self.topn if topn is None else topn
        phi = self.topics_.to_numpy()
        cols = self.topics_.columns
        return [[cols[j] for j in np.argsort(-row, kind="stable")[:topn]] for row in phi]


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------

def top_terms(model: TopicModel, n: int = 10) -> pd.DataFrame:
    """Top ``n`` terms per topic: columns ``topic``, ``rank`` (1 = most probable), ``term``,
    ``weight`` (φ, the topic-term probability p(term | topic) of the fitted model)."""
    model._check_fitted()
    if n < 1:
        raise TopicModelError(f"n must be ≥ 1, not {n!r}")
    phi = model.topics_.to_numpy()
    cols = model.topics_.columns
    rows = []
    for t, row in enumerate(phi):
        for r, j in enumerate(np.argsort(-row, kind="stable")[:n], 1):
            rows.append((t, r, cols[j], float(row[j])))
    return pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"])


def doc_topics(model: TopicModel, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Unit-topic shares joined to the units' metadata, one row per (unit, topic).

    Columns: the units' metadata columns (all but ``terms``), ``n_terms`` replaced by the number
    of *in-vocabulary* tokens of the unit (the weight used by :func:`topic_prevalence`),
    ``topic``, ``share`` (θ). ``units`` defaults to nothing: then only ``unit_id``,
    ``n_terms``, ``topic``, ``share``; pass the units the model was fitted on (or new units,
    which are inferred with :meth:`TopicModel.transform`).
    """
    model._check_fitted()
    if units is None:
        theta = model.doc_topic_
        meta = pd.DataFrame({"unit_id": model.unit_ids_, "n_terms": model.n_terms_})
    else:
        units = _check_units(units)
        ids = _unit_ids(units)
        if ids == list(model.unit_ids_):
            theta, n_terms = model.doc_topic_, model.n_terms_
        else:
            theta = model.transform(units)
            n_terms = [sum(c for _, c in model.dictionary_.doc2bow(list(t))) for t in units["terms"]]
        meta = units.drop(columns=["terms"]).copy()
        meta["unit_id"] = ids
        meta["n_terms"] = np.asarray(n_terms, dtype=np.int64)
    long = theta.stack().rename("share").reset_index()
    long["topic"] = long["topic"].astype("int64")
    out = meta.merge(long, on="unit_id", how="left", sort=False)
    return out.reset_index(drop=True)


def topic_prevalence(doc_topics_df: pd.DataFrame, by: str | Sequence[str] = "voice") -> pd.DataFrame:
    """Topic prevalence per group: the length-weighted mean topic share.

    For group g and topic t, ``prevalence = Σ_u n_u θ_ut / Σ_u n_u`` over the group's units u,
    where n_u is the unit's number of in-vocabulary tokens (``n_terms``) and θ_ut its share of
    topic t: the expected fraction of the group's tokens assigned to topic t. (An unweighted mean
    would let a two-word heading count as much as a long paragraph.) Units with n_u = 0 carry no
    weight. Within a group, prevalences sum to 1.

    Returns columns ``*by``, ``topic``, ``prevalence``, ``n_units``, ``n_terms``.
    """
    by = [by] if isinstance(by, str) else list(by)
    need = set(by) | {"topic", "share", "n_terms", "unit_id"}
    if not need <= set(doc_topics_df.columns):
        raise TopicModelError(f"topic_prevalence needs doc_topics(model, units) output with columns "
                              f"{', '.join(sorted(need))}; missing: {', '.join(sorted(need - set(doc_topics_df.columns)))}")
    df = doc_topics_df[[*by, "unit_id", "topic", "share", "n_terms"]].copy()
    for col in by:
        df[col] = df[col].astype(str)
    df["wshare"] = df["share"] * df["n_terms"]
    g = df.groupby([*by, "topic"], sort=True, observed=True)
    out = g.agg(wshare=("wshare", "sum"), n_terms=("n_terms", "sum"), n_units=("unit_id", "nunique")).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["prevalence"] = out["wshare"] / out["n_terms"]
    return out[[*by, "topic", "prevalence", "n_units", "n_terms"]]


# ---------------------------------------------------------------------------------------------
# Model selection: coherence and stability
# ---------------------------------------------------------------------------------------------

COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass")


def topic_coherence(topics: Sequence[Sequence[str]], texts: Sequence[Sequence[str]], dictionary: Any,
                    measure: str = "c_npmi", *, window_size: int | None = None) -> list[float]:
    """Coherence of each topic (a list of top terms) with gensim's ``CoherenceModel``.

    Definitions (Röder, Both & Hinneburg 2015, "Exploring the space of topic coherence
    measures", WSDM; gensim ``models.coherencemodel``):

    ``u_mass`` (Mimno et al. 2011)
        mean over ordered pairs (w_i, w_j), j < i in the topic's ranking, of
        ``log((D(w_i, w_j)/N + ε) / (D(w_j)/N))`` with D counted over units (documents), ε=1e-12.
    ``c_npmi`` (Bouma 2009; Aletras & Stevenson 2013)
        mean over all ordered pairs of NPMI = ``log((p_ij + ε)/(p_i p_j)) / -log(p_ij + ε)``
        with probabilities over sliding windows of 10 terms (a shorter unit is one window).
    ``c_v``
        NPMI over windows of 110 terms, indirect cosine between each term's NPMI vector and the
        whole topic's (one-set segmentation), averaged.

    ``texts`` are the unit term lists; terms outside ``dictionary`` keep their positions in the
    windows but count for nothing. Computed single-process (``processes=1``) so it is exact and
    reproducible. Returns one value per topic; a model's coherence is their arithmetic mean.
    """
    from gensim.models.coherencemodel import CoherenceModel

    if measure not in COHERENCE_MEASURES:
        raise TopicModelError(f"unknown coherence measure {measure!r}: use one of {', '.join(COHERENCE_MEASURES)}")
    topics = [list(t) for t in topics]
    if not topics or any(len(t) < 2 for t in topics):
        raise TopicModelError("coherence needs topics of at least two terms each")
    unknown = sorted({w for t in topics for w in t if w not in dictionary.token2id})
    if unknown:
        raise TopicModelError(f"topic terms not in the dictionary: {', '.join(unknown[:5])}")
    topn = max(len(t) for t in topics)
    kwargs: dict[str, Any] = {"topics": topics, "dictionary": dictionary, "coherence": measure,
                              "topn": topn, "processes": 1}
    if measure == "u_mass":
        kwargs["corpus"] = [dictionary.doc2bow(list(t)) for t in texts]
    else:
        kwargs["texts"] = [list(t) for t in texts]
        if window_size is not None:
            kwargs["window_size"] = window_size
    cm = CoherenceModel(**kwargs)
    acc = cm.estimate_probabilities()
    # gensim keeps co-occurrence counts in a scipy sparse matrix and reads it one cell at a time,
    # which dominates the run time; a dense copy gives the same counts, read much faster.
    co = getattr(acc, "_co_occurrences", None)
    if co is not None and hasattr(co, "toarray") and co.shape[0] <= 6000:
        acc._co_occurrences = co.toarray()
    return [float(v) for v in cm.get_coherence_per_topic()]


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard similarity |A ∩ B| / |A ∪ B| of two term sets (1.0 for two empty sets)."""
    a, b = set(a), set(b)
    union = a | b
    return 1.0 if not union else len(a & b) / len(union)


def topic_stability(topics_a: Sequence[Sequence[str]], topics_b: Sequence[Sequence[str]]) -> float:
    """Best-match mean Jaccard similarity between two topic models' top-term lists.

    Topics of the two runs are paired one-to-one so that the sum of Jaccard similarities of
    their top-term sets is maximal (the assignment problem, solved by the Hungarian algorithm,
    ``scipy.optimize.linear_sum_assignment``); the score is the mean over matched pairs, divided
    by the larger number of topics (an unmatched topic scores 0). 1 = the same topics, 0 = no
    shared term. This is the agreement score of Greene, O'Callaghan & Cunningham (2014), "How
    many topics? Stability analysis for topic models" (ECML PKDD), with plain Jaccard of the
    top-N sets in place of their average Jaccard over ranks.
    """
    from scipy.optimize import linear_sum_assignment

    if not topics_a or not topics_b:
        raise TopicModelError("topic_stability needs two non-empty lists of topics")
    sim = np.array([[jaccard(a, b) for b in topics_b] for a in topics_a], dtype=np.float64)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return float(sim[rows, cols].sum() / max(len(topics_a), len(topics_b)))


def sweep(units: pd.DataFrame, ks: Iterable[int] = range(3, 16), seeds: Iterable[int] = (1, 2, 3), *,
          topn: int = 10, measures: Sequence[str] = COHERENCE_MEASURES, return_models: bool = False,
          progress: bool = False, n_jobs: int = 1, **params: Any):
    """Fit a :class:`TopicModel` for every (k, seed) and score it.

    ``params`` go to :class:`TopicModel` (passes, iterations, alpha, no_below, ...). Every model
    of the sweep sees the same vocabulary (the filters are deterministic), so coherences are
    comparable. Coherence is computed once per measure for all topics of all models together
    (each topic's value does not depend on the others: the window counts are over all text).

    Returns a DataFrame, one row per (k, seed): ``k``, ``seed``, one column per coherence
    measure (the mean over the model's topics, :func:`topic_coherence`), ``stability`` (for the
    k: the mean :func:`topic_stability` of the top-``topn`` terms over all pairs of seeds; NaN
    with a single seed), ``stability_seed`` (mean over the pairs that include this seed).
    With ``return_models=True`` returns ``(table, {(k, seed): TopicModel})``.

    ``n_jobs > 1`` fits models in that many worker processes. Each model is still trained by
    single-process ``LdaModel`` from its own seed, so the table is identical to ``n_jobs=1``
    (only gensim's ``LdaMulticore`` is irreproducible).
    """
    ks = sorted({int(k) for k in ks})
    seeds = list(dict.fromkeys(int(s) for s in seeds))
    if not ks or not seeds:
        raise TopicModelError("sweep needs at least one k and one seed")
    for m in measures:
        if m not in COHERENCE_MEASURES:
            raise TopicModelError(f"unknown coherence measure {m!r}: use one of {', '.join(COHERENCE_MEASURES)}")
    _check_units(units)
    if not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise TopicModelError(f"n_jobs must be a positive integer, not {n_jobs!r}")
    grid = list(itertools.product(ks, seeds))
    models: dict[tuple[int, int], TopicModel] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(grid), desc="topic sweep", unit="model")
    lean = units[["terms"] + (["unit_id"] if "unit_id" in units.columns else [])]
    if n_jobs == 1:
        for k, seed in grid:
            models[(k, seed)] = TopicModel(k=k, seed=seed, topn=topn, **params).fit(lean)
            if bar is not None:
                bar.update()
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            futures = {key: pool.submit(_fit_one, lean, key[0], key[1], topn, params) for key in grid}
            for key in grid:
                models[key] = futures[key].result()
                if bar is not None:
                    bar.update()
    if bar is not None:
        bar.close()
    first = models[grid[0]]
    words = {key: m.topic_words(topn) for key, m in models.items()}

    # one coherence run per measure for every distinct topic of every model
    distinct = list(dict.fromkeys(tuple(t) for key in grid for t in words[key]))
    where = {t: i for i, t in enumerate(distinct)}
    per_distinct = {m: topic_coherence(distinct, first.texts_, first.dictionary_, m) for m in measures}
    all_topics = [tuple(t) for key in grid for t in words[key]]
    per_topic = {m: [per_distinct[m][where[t]] for t in all_topics] for m in measures}
    rows = []
    pos = 0
    for key in grid:
        k, seed = key
        row: dict[str, Any] = {"k": k, "seed": seed}
        for m in measures:
            row[m] = float(np.mean(per_topic[m][pos:pos + k]))
        pos += k
        rows.append(row)
    out = pd.DataFrame(rows)

    stab_k: dict[int, float] = {}
    stab_seed: dict[tuple[int, int], float] = {}
    for k in ks:
        pairs = {(a, b): topic_stability(words[(k, a)], words[(k, b)]) for a, b in itertools.combinations(seeds, 2)}
        stab_k[k] = float(np.mean(list(pairs.values()))) if pairs else float("nan")
        for s in seeds:
            vals = [v for (a, b), v in pairs.items() if s in (a, b)]
            stab_seed[(k, s)] = float(np.mean(vals)) if vals else float("nan")
    out["stability"] = [stab_k[k] for k in out["k"]]
    out["stability_seed"] = [stab_seed[(k, s)] for k, s in zip(out["k"], out["seed"])]
    return (out, models) if return_models else out


def _fit_one(units: pd.DataFrame, k: int, seed: int, topn: int, params: Mapping[str, Any]) -> TopicModel:
    """One model of a sweep (module level so worker processes can run it)."""
    return TopicModel(k=k, seed=seed, topn=topn, **params).fit(units)


def k_selection(sweep_df: pd.DataFrame, *, measure: str = "c_npmi", min_stability: float = 0.5) -> pd.DataFrame:
    """The :func:`choose_k` rule, spelled out per K.

    Returns one row per K: ``k``, ``score`` (mean ``measure`` over seeds), ``stability``,
    ``eligible`` (stability ≥ ``min_stability``; every K when none is, see :func:`choose_k`),
    ``fallback`` (True when no K reached ``min_stability``), ``chosen``.
    """
    need = {"k", measure, "stability"}
    if not isinstance(sweep_df, pd.DataFrame) or not need <= set(sweep_df.columns) or len(sweep_df) == 0:
        raise TopicModelError(f"choose_k needs a sweep() table with columns {', '.join(sorted(need))}")
    per_k = (sweep_df.groupby("k", sort=True)
             .agg(score=(measure, "mean"), stability=("stability", "mean")).reset_index())
    stable = per_k["stability"] >= min_stability
    fallback = not bool(stable.any())
    per_k["eligible"] = True if fallback else stable
    per_k["fallback"] = fallback
    pool = per_k[per_k["eligible"]]
    best = pool["score"].max()
    k = int(pool.loc[pool["score"] == best, "k"].min())
    per_k["chosen"] = per_k["k"] == k
    per_k["k"] = per_k["k"].astype("int64")
    return per_k


def choose_k(sweep_df: pd.DataFrame, *, measure: str = "c_npmi", min_stability: float = 0.5) -> int:
    """Pick the number of topics from a :func:`sweep` table.

    Rule: among the Ks whose stability across seeds is at least ``min_stability`` (default 0.5:
    matched topics share, on average, at least half of their top terms, by Jaccard), take the K
    with the highest mean ``measure`` over seeds (default ``c_npmi``); ties go to the smaller K.
    If no K is that stable (or stability is undefined because there was one seed), the rule
    falls back to all Ks (:func:`k_selection` reports this in its ``fallback`` column).
    Rationale: coherence alone rewards topics that are artefacts of one random start;
    requiring stability first keeps only Ks the data support (Greene et al. 2014).
    """
    table = k_selection(sweep_df, measure=measure, min_stability=min_stability)
    return int(table.loc[table["chosen"], "k"].iloc[0])


def best_seed(sweep_df: pd.DataFrame, k: int, *, measure: str = "c_npmi") -> int:
    """The seed whose model at ``k`` has the highest ``measure`` (ties: the smallest seed)."""
    rows = sweep_df[sweep_df["k"] == k]
    if len(rows) == 0:
        raise TopicModelError(f"k={k} is not in the sweep table")
    best = rows[measure].max()
    return int(rows.loc[rows[measure] == best, "seed"].min())


# ---------------------------------------------------------------------------------------------
# Topics against theme dictionaries; labels; pyLDAvis data
# ---------------------------------------------------------------------------------------------

def _glob_hit(term: str, pattern: str, delimiter: str = "_") -> bool:
    term_l = term.lower()
    pat = pattern.lower().strip()
    whole = pat.replace(" ", delimiter)
    if fnmatch.fnmatchcase(term_l, whole):
        return True
    if delimiter in term_l and " " not in pat and fnmatch.fnmatchcase(term_l.replace(delimiter, ""), pat):
        return True  # Chinese: 网络_安全 (a joined phrase of two GSD words) matches 网络安全
    if delimiter in term_l and " " not in pat:
        return any(fnmatch.fnmatchcase(part, pat) for part in term_l.split(delimiter) if part)
    return False


def theme_globs(dictionary: Any, *, lang: str | None = None, level: int = 1) -> dict[str, list[str]]:
    """``theme → patterns`` from a theme dictionary object of :mod:`analysis.themes` (anything
    with ``entries`` having ``theme``, ``lang``, ``pattern``), keeping patterns of ``lang`` (and
    language ``any``; ``None``: all) and naming themes at ``level`` (1 = top level)."""
    entries = getattr(dictionary, "entries", None)
    if entries is None:
        raise TopicModelError("expected a theme dictionary (analysis.themes.load_dictionary()) or a mapping")
    out: dict[str, list[str]] = {}
    for e in entries:
        if lang is not None and e.lang not in (lang, "any"):
            continue
        theme = "/".join(e.theme.split("/")[:level])
        out.setdefault(theme, []).append(e.pattern)
    return out


def topic_themes(top_terms_df: pd.DataFrame, dictionary_terms: Mapping[str, Iterable[str]] | Any, *,
                 delimiter: str = "_", lang: str | None = None) -> pd.DataFrame:
    """Which themes of a theme dictionary each topic's top terms hit.

    ``dictionary_terms`` maps a theme to lemma globs (``fnmatch``: ``*`` any run, ``?`` one
    character; matched case-insensitively), or is a dictionary of :mod:`analysis.themes`
    (converted with :func:`theme_globs` for ``lang``, top-level themes). A top term hits a
    pattern when the whole term matches (a pattern with spaces, ``"public opinion"``, matches the
    phrase term ``public_opinion``; a Chinese pattern 网络安全 matches the phrase term
    ``网络_安全``), or — for a phrase term — when one of its parts matches a one-word pattern.
    This compares top terms only, so a topic "hits" a theme when its most probable terms are
    theme vocabulary; it does not count theme words in the text (that is analysis.themes). Returns one row per (topic, theme) with at least one hit: ``topic``, ``theme``,
    ``n_hits`` (top terms hit), ``weight`` (sum of their φ), ``terms`` (hit terms, by rank,
    joined with ", "); sorted by topic, then weight descending.
    """
    need = {"topic", "term", "weight"}
    if not need <= set(top_terms_df.columns):
        raise TopicModelError("topic_themes needs a top_terms(model) table (columns topic, term, weight)")
    if not isinstance(dictionary_terms, Mapping):
        if hasattr(dictionary_terms, "entries"):
            dictionary_terms = theme_globs(dictionary_terms, lang=lang)
        else:
            raise TopicModelError("dictionary_terms must map a theme to a list of lemma globs")
    df = top_terms_df.sort_values(["topic", "rank"] if "rank" in top_terms_df.columns else ["topic"], kind="stable")
    rows = []
    for topic, grp in df.groupby("topic", sort=True):
        for theme, patterns in dictionary_terms.items():
            patterns = [patterns] if isinstance(patterns, str) else list(patterns)
            hits = [(t, w) for t, w in zip(grp["term"], grp["weight"])
                    if any(_glob_hit(str(t), p, delimiter) for p in patterns)]
            if hits:
                rows.append({"topic": int(topic), "theme": theme, "n_hits": len(hits),
                             "weight": float(sum(w for _, w in hits)), "terms": ", ".join(t for t, _ in hits)})
    out = pd.DataFrame(rows, columns=["topic", "theme", "n_hits", "weight", "terms"])
    return out.sort_values(["topic", "weight", "theme"], ascending=[True, False, True], kind="stable").reset_index(drop=True)


def _default_labels_path():
    return resources.files("analysis").joinpath("data/topic_labels.yaml")


def load_topic_labels(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read the editable topic-label file (default: the package's ``data/topic_labels.yaml``).

    The file holds a list ``models`` of entries ``{k, seed, unit?, lang?, labels: {topic: label}}``;
    an entry applies to the model fitted with that k and seed (and, when given, unit kind and
    language). Returns the entries, validated.
    """
    import yaml

    try:
        text = (Path(path).read_text(encoding="utf-8") if path is not None
                else _default_labels_path().read_text(encoding="utf-8"))
    except OSError as exc:
        raise TopicModelError(f"cannot read topic labels file {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise TopicModelError(f"topic labels file {path or 'topic_labels.yaml'} is not valid YAML: {exc}") from exc
    entries = data.get("models") if isinstance(data, dict) else None
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise TopicModelError("topic labels file: 'models' must be a list of {k, seed, labels} entries")
    out = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "k" not in e or "seed" not in e or not isinstance(e.get("labels"), dict):
            raise TopicModelError(f"topic labels file: entry {i + 1} needs k, seed and a labels mapping "
                                  "(topic number → label)")
        try:
            labels = {int(t): str(lbl) for t, lbl in e["labels"].items()}
        except (TypeError, ValueError) as exc:
            raise TopicModelError(f"topic labels file: entry {i + 1} has a non-numeric topic id") from exc
        out.append({"k": int(e["k"]), "seed": int(e["seed"]), "unit": e.get("unit"), "lang": e.get("lang"),
                    "labels": labels})
    return out


def topic_labels(model: TopicModel, entries: Sequence[Mapping[str, Any]] | None = None, *,
                 unit: str | None = None, lang: str | None = None, n_terms: int = 3) -> pd.DataFrame:
    """A label for each topic: from the label file when an entry matches the model, else the
    top ``n_terms`` terms joined with " / ". Columns ``topic``, ``label``, ``source``
    (``"file"`` or ``"top terms"``). ``entries`` default to :func:`load_topic_labels`."""
    model._check_fitted()
    entries = load_topic_labels() if entries is None else entries
    chosen: Mapping[int, str] = {}
    for e in entries:
        if int(e["k"]) != int(model.k) or int(e["seed"]) != int(model.seed):
            continue
        if e.get("unit") not in (None, unit) or e.get("lang") not in (None, lang):
            continue
        chosen = e["labels"]
        break
    words = model.topic_words(n_terms)
    rows = []
    for t in range(model.k):
        if t in chosen:
            rows.append((t, chosen[t], "file"))
        else:
            rows.append((t, " / ".join(words[t]), "top terms"))
    return pd.DataFrame(rows, columns=["topic", "label", "source"])


def ldavis_data(model: TopicModel) -> dict[str, Any]:
    """The inputs of ``pyLDAvis.prepare`` for the fitted model, in gensim's topic order.

    Returns ``topic_term_dists`` (k × V, φ), ``doc_topic_dists`` (units × k, θ), ``doc_lengths``,
    ``vocab`` and ``term_frequency``. pyLDAvis is not a dependency of Tifa; with it installed::

        import pyLDAvis
        vis = pyLDAvis.prepare(**ldavis_data(model), sort_topics=False)   # keep gensim's order
        pyLDAvis.save_html(vis, "topics.html")

    ``sort_topics=False`` matters: by default pyLDAvis renumbers topics by size (pyLDAvis#127),
    and its topic numbers then differ from every other table here (note that pyLDAvis numbers
    topics from 1).
    """
    model._check_fitted()
    vocab = list(model.topics_.columns)
    tf = np.zeros(len(vocab), dtype=np.int64)
    for bow in model.corpus_:
        for i, c in bow:
            tf[i] += c
    return {"topic_term_dists": model.topics_.to_numpy(), "doc_topic_dists": model.doc_topic_.to_numpy(),
            "doc_lengths": model.n_terms_.copy(), "vocab": vocab, "term_frequency": tf}
