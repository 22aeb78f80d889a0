"""Topic models (LDA, with gensim): units, a deterministic estimator, model selection, outputs.

The data flow is the package's usual one::

    Tokens ──topic_units──▶ units (one row per paragraph / sentence / document / window, with a ``terms`` list)
           ──TopicModel(k, seed=...).fit(units)──▶ model_ (gensim LdaModel), doc_topic_, topics_
           ──top_terms / doc_topics / topic_prevalence / topic_themes──▶ tidy DataFrames
    units ──sweep(ks, seeds)──▶ coherence (c_v, c_npmi, u_mass; boolean sliding-window counts,
           window_counts) and stability per (k, seed)
           ──choose_k / k_selection──▶ K by a stated rule (one standard error across seeds)

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

import hashlib
import itertools
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ._core import (as_list, check_choice, check_columns, check_int, check_top, group_keys, is_word,
                    metadata_columns, require_rows, select)
from .errors import EmptySelectionError, ParameterError, TopicModelError
from .query import Term, parse_query

__all__ = [
    "DEFAULT_UPOS",
    "STOPWORDS",
    "SEGMENTS",
    "topic_units",
    "TopicModel",
    "top_terms",
    "doc_topics",
    "topic_prevalence",
    "ACCUMULATORS",
    "window_counts",
    "topic_coherence",
    "coherence_table",
    "jaccard",
    "topic_stability",
    "sweep",
    "choose_k",
    "k_selection",
    "best_seed",
    "topic_themes",
    "theme_queries",
    "model_fingerprint",
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

#: Values of ``segment=``: what one topic-model unit is.
SEGMENTS = ("paragraph", "sentence", "document", "window")


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------

def _modes(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The most frequent value of each unit (``codes`` 0..n-1); ties go to the value seen first."""
    frame = pd.DataFrame({"u": codes, "v": values})
    counts = frame.groupby(["u", "v"], sort=False, dropna=False).size().reset_index(name="n")
    counts["order"] = np.arange(len(counts))
    best = counts.sort_values(["u", "n", "order"], ascending=[True, False, True], kind="stable").drop_duplicates("u")
    out = np.empty(n, dtype=object)
    out[best["u"].to_numpy()] = best["v"].to_numpy(dtype=object)
    return out


def _stopword_sets(stopwords: Any) -> tuple[Mapping[str, frozenset[str]] | None, frozenset[str]]:
    """``(per-language sets or None, one set for every language)`` from ``stopwords=``."""
    if stopwords is None:
        return STOPWORDS, frozenset()
    if isinstance(stopwords, Mapping):
        return {str(k): frozenset(v) for k, v in stopwords.items()}, frozenset()
    return None, frozenset(as_list(stopwords))


def topic_units(
    tokens: pd.DataFrame,
    segment: str = "paragraph",
    *,
    sentences: int = 5,
    upos: Iterable[str] = DEFAULT_UPOS,
    stopwords: Iterable[str] | Mapping[str, Iterable[str]] | None = None,
    case_sensitive: bool = False,
    phrases: bool = False,
    phrase_min_count: int = 5,
    phrase_threshold: float = 10.0,
    delimiter: str = "_",
    **filters: Any,
) -> pd.DataFrame:
    """Units ("documents" in the topic-model sense) built from a Tokens table.

    Parameters
    ----------
    tokens
        A Tokens table (:func:`analysis.load_tokens`).
    segment
        What one unit is: ``"paragraph"`` (default: one unit per corpus paragraph,
        ``(doc_id, par)``), ``"sentence"`` (one per sentence), ``"document"`` (one per ``doc_id``)
        or ``"window"`` (``sentences`` consecutive sentences of a document: sentences 1..N,
        N+1..2N, ...; windows may cross paragraph boundaries).
    sentences
        Sentences per unit when ``segment="window"``.
    upos
        Parts of speech whose words are terms (content words; default NOUN, PROPN, ADJ, VERB).
    stopwords
        Terms dropped after the POS filter. ``None``: :data:`STOPWORDS` of each word's language
        (its ``lang``); a mapping ``lang → terms``: per language; any other iterable: for every
        language.
    case_sensitive
        Keep the terms' letter case; by default terms are lower-cased (a no-op in scripts without
        case, such as Chinese).
    phrases
        Join frequent collocations into one term with gensim ``Phrases`` (``public_opinion``,
        parts joined by ``delimiter``): trained on the term sequences of each sentence (within a
        paragraph) after the filters above, with gensim's default score (Mikolov et al. 2013),
        ``phrase_min_count`` and ``phrase_threshold``. Deterministic (counting only). Pairs only
        (one pass).
    **filters
        Keep only these rows of ``tokens`` (:func:`analysis.select`: ``lang="en"``,
        ``voice=["official", "framing"]``, a corpus's own columns such as ``source="blog"``).

    Returns
    -------
    DataFrame
        One row per unit with at least one term, in reading order: ``unit_id`` (``doc-pN``,
        ``doc-sN``, ``doc`` or ``doc-wN``), ``doc_id``, ``par`` (first paragraph), ``sent_first``,
        ``sent_last``, every metadata column of ``tokens`` (``lang``, ``voice``, ``date``, a
        corpus's own columns...: the value of most of the unit's words; ties: the first),
        ``n_words`` (the unit's words, :func:`analysis.is_word`), ``n_terms`` and ``terms``
        (list of str, in text order).

    A term is the lemma of a word (:func:`analysis.is_word`) whose UPOS is in ``upos``; an empty
    lemma is replaced by the word form. Frequency and document-frequency filters are applied when
    a model is fitted (:class:`TopicModel` ``no_below`` / ``no_above``), because they depend on
    the unit set.
    """
    if not isinstance(tokens, pd.DataFrame):
        raise ParameterError(f"topic_units needs a Tokens table (analysis.load_tokens), not {type(tokens).__name__}")
    check_columns(tokens, ("doc_id", "par", "sent", "form", "lemma", "upos"), "build topic units without")
    check_choice(segment, "segment", SEGMENTS)
    sentences = check_int(sentences, "sentences", minimum=1)
    if phrases:
        check_int(phrase_min_count, "phrase_min_count", minimum=1)
        if isinstance(phrase_threshold, bool) or not isinstance(phrase_threshold, (int, float)) or phrase_threshold <= 0:
            raise ParameterError(f"phrase_threshold must be a number > 0, not {phrase_threshold!r}")
    df = select(tokens, **filters)
    require_rows(df, "the selection for topic units")

    doc = df["doc_id"].astype(str).to_numpy(dtype=object)
    par = df["par"].to_numpy(dtype=np.int64)
    sent = df["sent"].to_numpy(dtype=np.int64)
    second = {"paragraph": par, "sentence": sent, "document": np.zeros(len(df), dtype=np.int64),
              "window": (sent - 1) // sentences + 1}[segment]
    codes, keys = pd.factorize(pd.MultiIndex.from_arrays([doc, second]))
    n_units = len(keys)
    first = np.unique(codes, return_index=True)[1]
    words = is_word(df)

    # the terms: content words' lemmas (forms where the lemma is empty), case-folded, minus stopwords
    upos_set = set(as_list(upos))
    rows = np.flatnonzero(words & df["upos"].astype(str).isin(upos_set).to_numpy())
    lemma = df["lemma"].to_numpy(dtype=object)[rows]
    form = df["form"].to_numpy(dtype=object)[rows]
    terms = [lem if isinstance(lem, str) and lem not in ("", "_") else str(f) for lem, f in zip(lemma, form)]
    if not case_sensitive:
        terms = [t.lower() for t in terms]
    stop_by_lang, stop_all = _stopword_sets(stopwords)
    if stop_by_lang is not None:
        langs = df["lang"].astype(str).to_numpy(dtype=object)[rows] if "lang" in df.columns else [""] * len(rows)
        keep = [t not in stop_by_lang.get(lg, ()) for t, lg in zip(terms, langs)]
    else:
        keep = [t not in stop_all for t in terms]
    rows = rows[np.asarray(keep, dtype=bool)]
    terms = [t for t, k in zip(terms, keep) if k]

    # sentence pieces (runs of terms of one sentence), the input of Phrases
    piece_key = list(zip(doc[rows], par[rows], sent[rows]))
    pieces: list[tuple[int, list[str]]] = []
    for _, group in itertools.groupby(zip(piece_key, codes[rows], terms), key=lambda x: x[0]):
        group = list(group)
        pieces.append((int(group[0][1]), [t for _, _, t in group]))
    if phrases and pieces:
        from gensim.models.phrases import Phrases

        frozen = Phrases([p for _, p in pieces], min_count=phrase_min_count, threshold=phrase_threshold,
                         delimiter=delimiter).freeze()
        pieces = [(u, list(frozen[p])) for u, p in pieces]
    unit_terms: list[list[str]] = [[] for _ in range(n_units)]
    for u, p in pieces:
        unit_terms[u].extend(p)

    label = {"paragraph": "-p{}", "sentence": "-s{}", "document": "", "window": "-w{}"}[segment]
    out = pd.DataFrame({
        "unit_id": [f"{d}{label.format(k)}" for d, k in keys],
        "doc_id": doc[first],
        "par": par[first],
        "sent_first": sent[first],
        "sent_last": pd.Series(sent).groupby(codes).max().to_numpy(dtype=np.int64),
    })
    for col in metadata_columns(df):
        out[col] = _modes(codes, df[col].to_numpy(dtype=object), n_units)
    out["n_words"] = np.bincount(codes, weights=words, minlength=n_units).astype(np.int64)
    out["n_terms"] = np.array([len(t) for t in unit_terms], dtype=np.int64)
    out["terms"] = pd.Series(unit_terms, dtype=object)
    out = out[out["n_terms"] > 0].reset_index(drop=True)
    if len(out) == 0:
        raise EmptySelectionError("no unit has a term left: check upos, stopwords and the filters (topic_units keeps "
                                  "only lemmas of NOUN, PROPN, ADJ, VERB by default)")
    return out


def _check_units(units: Any) -> pd.DataFrame:
    if not isinstance(units, pd.DataFrame) or "terms" not in units.columns:
        raise TopicModelError("expected a units DataFrame with a 'terms' column: build it with "
                              "analysis.topic_units(tokens)")
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

def _check_prior(value: Any, name: str, choices: Sequence[str], *, allow_none: bool = False) -> None:
    """A Dirichlet prior: one of ``choices``, a number > 0 or a list of them (``None`` where allowed: gensim's default)."""
    if value is None and allow_none:
        return
    if isinstance(value, str):
        check_choice(value, name, choices)
        return
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim > 1 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, choices))}, a number > 0 or a list of "
                             f"them, not {value!r}")


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
    doc_topic_prior, topic_word_prior
        The Dirichlet priors, named as in scikit-learn's ``LatentDirichletAllocation`` (gensim's
        ``alpha`` and ``eta``): ``"symmetric"`` (1/k), ``"asymmetric"``, ``"auto"`` (learned),
        or numbers. ``topic_word_prior=None`` is gensim's symmetric 1/k.
    no_below, no_above, keep_n
        Vocabulary filters, with gensim ``Dictionary.filter_extremes`` semantics: drop terms
        that occur in fewer than ``no_below`` units (a *unit* count, not a token count), or in
        more than the fraction ``no_above`` of units; then keep only the ``keep_n`` most
        frequent (``None``: all).
    top
        Number of top terms per topic of :meth:`topic_terms` (and of :func:`topic_stability`
        when it compares two models).

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

    _PARAMS = ("k", "seed", "passes", "iterations", "doc_topic_prior", "topic_word_prior", "no_below", "no_above",
               "keep_n", "chunksize", "top")

    def __init__(self, k: int = 10, *, seed: int = 0, passes: int = 10, iterations: int = 50,
                 doc_topic_prior: Any = "symmetric", topic_word_prior: Any = None, no_below: int = 2,
                 no_above: float = 0.5, keep_n: int | None = None, chunksize: int = 2000, top: int = 10):
        self.k = k
        self.seed = seed
        self.passes = passes
        self.iterations = iterations
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.no_below = no_below
        self.no_above = no_above
        self.keep_n = keep_n
        self.chunksize = chunksize
        self.top = top

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def __repr__(self) -> str:
        return f"TopicModel(k={self.k}, seed={self.seed}, passes={self.passes})"

    def _validate_params(self) -> None:
        check_int(self.k, "k", minimum=2)
        check_int(self.seed, "seed", minimum=0)
        for name in ("passes", "iterations", "chunksize", "top"):
            check_int(getattr(self, name), name, minimum=1)
        check_int(self.no_below, "no_below", minimum=0)
        check_int(self.keep_n, "keep_n", minimum=1, allow_none=True)
        if isinstance(self.no_above, bool) or not isinstance(self.no_above, (int, float)) or not 0 < self.no_above <= 1:
            raise ParameterError(f"no_above must be a fraction in (0, 1], not {self.no_above!r}")
        _check_prior(self.doc_topic_prior, "doc_topic_prior", ("symmetric", "asymmetric", "auto"))
        _check_prior(self.topic_word_prior, "topic_word_prior", ("symmetric", "auto"), allow_none=True)


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
                         alpha=self.doc_topic_prior, eta=self.topic_word_prior, chunksize=self.chunksize, update_every=1,
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

    def topic_terms(self, top: int | None = None) -> list[list[str]]:
        """The ``top`` most probable terms of each topic (by φ, ties by vocabulary order), one list per
        topic; ``None``: the model's ``top``."""
        self._check_fitted()
        top = self.top if top is None else check_int(top, "top", minimum=1)
        phi = self.topics_.to_numpy()
        cols = self.topics_.columns
        return [[cols[j] for j in np.argsort(-row, kind="stable")[:top]] for row in phi]

    def save_topic_map(self, path: str | Path) -> Path:
        """Write the interactive topic map (pyLDAvis) as one standalone HTML page; return its path.

        The page inlines d3 and LDAvis's JavaScript and CSS from the installed pyLDAvis (its own
        ``save_html`` links them from a CDN), so it opens offline and references no http(s) script
        or stylesheet. Topics keep gensim's order (``sort_topics=False``, see :func:`ldavis_data`);
        pyLDAvis numbers them from 1, so its topic 1 is topic 0 of every table here. Needs the
        ``docs`` extra (``pip install -e ".[docs]"``).
        """
        self._check_fitted()
        try:
            import pyLDAvis
        except ImportError:
            raise TopicModelError('the topic map needs pyLDAvis: pip install -e ".[docs]"') from None
        from ._atomic import write_text_atomic

        vis = pyLDAvis.prepare(**ldavis_data(self), sort_topics=False, mds="pcoa", n_jobs=1)
        js = Path(pyLDAvis.__file__).parent / "js"

        def script(name: str) -> str:  # inlined in <script>: no "</" may end it early
            return (js / name).read_text(encoding="utf-8").replace("</", "<\\/")

        data = vis.to_json().replace("</", "<\\/")
        html = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Topic map: {self.k} topics (seed {self.seed})</title>\n"
            f"<style>\nbody {{ font-family: sans-serif; margin: 1em; background: white; }}\n"
            f"{(js / 'ldavis.v1.0.0.css').read_text(encoding='utf-8')}\n</style>\n"
            f"<script>\n{script('d3.v5.min.js')}\n</script>\n"
            f"<script>\n{script('ldavis.v3.0.0.js')}\n</script>\n"
            "</head>\n<body>\n"
            f"<p>LDA topic map ({self.k} topics, seed {self.seed}): topic circles placed by the distance "
            "between their term distributions (PCoA); choose a topic to see its most relevant terms. "
            "pyLDAvis numbers topics from 1: its topic 1 is topic 0 in Tifa's tables.</p>\n"
            '<div id="ldavis"></div>\n'
            f'<script>\nnew LDAvis("#ldavis", {data});\n</script>\n'
            "</body>\n</html>\n")
        return write_text_atomic(path, html)


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------

def top_terms(model: TopicModel, top: int = 10) -> pd.DataFrame:
    """The ``top`` most probable terms of each topic: columns ``topic``, ``rank`` (1 = most
    probable), ``term``, ``weight`` (φ, the topic-term probability p(term | topic) of the fitted
    model)."""
    model._check_fitted()
    top = check_int(top, "top", minimum=1)
    rows = [(t, r, term, float(model.topics_.at[t, term]))
            for t, terms in enumerate(model.topic_terms(top)) for r, term in enumerate(terms, 1)]
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


def topic_prevalence(doc_topics: pd.DataFrame, by: str | Sequence[str] | None = "voice") -> pd.DataFrame:
    """Topic prevalence per group: the length-weighted mean topic share.

    For group g and topic t, ``prevalence = Σ_u n_u θ_ut / Σ_u n_u`` over the group's units u,
    where n_u is the unit's number of in-vocabulary tokens (``n_terms``) and θ_ut its share of
    topic t: the expected fraction of the group's tokens assigned to topic t. (An unweighted mean
    would let a two-word heading count as much as a long paragraph.) Units with n_u = 0 carry no
    weight. Within a group, prevalences sum to 1.

    ``doc_topics`` is a :func:`doc_topics` table; ``by`` any of its columns (or a list of them;
    ``None``: one group, the whole table). Returns columns ``*by`` (by name), ``topic``,
    ``prevalence``, ``n_units``, ``n_terms``, sorted by group, then topic.
    """
    need = ["unit_id", "topic", "share", "n_terms"]
    missing = [c for c in need if c not in getattr(doc_topics, "columns", ())]
    if missing:
        raise TopicModelError(f"topic_prevalence needs a doc_topics(model, units) table; missing: {', '.join(missing)}")
    codes, groups = group_keys(doc_topics, by)
    cols = list(groups.columns)
    frame = pd.DataFrame({"g": codes, "unit_id": doc_topics["unit_id"].to_numpy(),
                          "topic": doc_topics["topic"].to_numpy(),
                          "wshare": doc_topics["share"].to_numpy(dtype=float) * doc_topics["n_terms"].to_numpy(dtype=float),
                          "n_terms": doc_topics["n_terms"].to_numpy()})
    frame = frame[frame["g"] >= 0]  # a unit without a value in a `by` column belongs to no group
    agg = (frame.groupby(["g", "topic"], sort=True)
           .agg(wshare=("wshare", "sum"), n_terms=("n_terms", "sum"), n_units=("unit_id", "nunique")).reset_index())
    out = groups.iloc[agg["g"].to_numpy()].reset_index(drop=True)
    for c in ("topic", "wshare", "n_units", "n_terms"):
        out[c] = agg[c].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["prevalence"] = out["wshare"] / out["n_terms"]
    out = out.sort_values([*cols, "topic"], kind="stable") if cols else out
    return out[[*cols, "topic", "prevalence", "n_units", "n_terms"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Model selection: coherence and stability
# ---------------------------------------------------------------------------------------------

COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass")

#: Values of ``accumulator=``: how coherence counts co-occurrences. ``"windows"`` (default): this
#: module's boolean sliding windows (:func:`window_counts`), Röder et al.'s definition;
#: ``"gensim"``: gensim's ``CoherenceModel``, kept to reproduce earlier numbers (its sliding-window
#: accumulator undercounts a word that occurs twice in a window, see :func:`window_counts`).
ACCUMULATORS = ("windows", "gensim")

#: Window of each measure's probability estimate (Röder et al. 2015, Table 2; gensim's defaults):
#: boolean sliding windows of 110 terms (c_v), of 10 terms (c_npmi); ``None`` = whole units
#: (boolean documents, u_mass).
WINDOW_SIZES: dict[str, int | None] = {"c_v": 110, "c_npmi": 10, "u_mass": None}

#: ε of the confirmation measures (Röder et al. 2015; gensim's ``EPSILON``): keeps the logarithm of
#: a pair that never co-occurs finite.
EPSILON = 1e-12


class WindowCounts(NamedTuple):
    """What :func:`window_counts` returns."""

    occurrences: pd.Series
    co_occurrences: pd.DataFrame
    n_windows: int


def _window_matrix(texts: Sequence[Sequence[str]], words: Sequence[str], window_size: int | None):
    """The window-membership matrix: scipy CSR, one row per window, one column per word of ``words``,
    1 where the word occurs in the window (however often); and the number of windows.

    Windows of text t with n_t terms: ``max(n_t - w + 1, 1)`` (a text shorter than ``w`` is one
    window; ``window_size=None``: one window per text). The term at position p lies in the windows
    starting at ``max(p - w + 1, 0) .. min(p, n_windows_t - 1)``; every occurrence of a counted word
    is spread over those rows at once, then duplicates collapse to 1 (boolean windows).
    """
    from scipy import sparse

    index = {w: i for i, w in enumerate(words)}
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    n_win = np.ones_like(lengths) if window_size is None else np.maximum(lengths - window_size + 1, 1)
    n_windows = int(n_win.sum())
    col = np.fromiter((index.get(w, -1) for t in texts for w in t), dtype=np.int64, count=int(lengths.sum()))
    text_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    pos = np.arange(len(col), dtype=np.int64) - starts[text_of]
    keep = col >= 0
    col, text_of, pos = col[keep], text_of[keep], pos[keep]
    if window_size is None:
        first = np.zeros_like(pos)
        last = first
    else:
        first = np.maximum(pos - window_size + 1, 0)
        last = np.minimum(pos, n_win[text_of] - 1)
    span = last - first + 1
    win_offset = np.cumsum(n_win) - n_win
    rows = np.repeat(win_offset[text_of] + first, span) + (np.arange(int(span.sum()), dtype=np.int64)
                                                           - np.repeat(np.cumsum(span) - span, span))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, np.repeat(col, span))),
                               shape=(n_windows, len(words)))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix, n_windows


def window_counts(texts: Sequence[Sequence[str]], words: Iterable[str], window_size: int | None = 10) -> WindowCounts:
    """Boolean sliding-window counts of ``words`` in ``texts`` (Röder, Both & Hinneburg 2015,
    "Exploring the space of topic coherence measures", WSDM, §3.2: P_sw and P_bd).

    Definition: each window of ``window_size`` consecutive terms of a text (``n - w + 1`` windows for
    a text of ``n ≥ w`` terms; a text shorter than the window, or ``window_size=None``, is one
    window, the whole text) is a virtual document. A word's *occurrence count* is the number of
    windows that contain it (at least once); a pair's *co-occurrence count* the number of windows
    that contain both; ``n_windows`` the number of windows. Terms that are not in ``words`` keep
    their positions (they take window slots) but are not counted.

    gensim's ``WordOccurrenceAccumulator`` (4.x) slides its window by removing the term that leaves
    it from the set of words present, even when that word occurs again inside the window: on
    ``a x a y z`` with windows of 3 (``[a x a]``, ``[x a y]``, ``[a y z]``) it counts a in 1 window
    (true: 3) and (a, y) in none (true: 2). ``accumulator="gensim"`` of :func:`topic_coherence`
    keeps those numbers for comparison.

    Vectorised: a sparse window × word membership matrix M (every occurrence marks the windows that
    contain it); occurrences are its column sums, co-occurrences ``MᵀM``. Returns ``(occurrences,
    co_occurrences, n_windows)``: a Series and a square DataFrame (diagonal = occurrences), both
    indexed by the distinct ``words`` in the order given, and an int.
    """
    words = list(dict.fromkeys(str(w) for w in words))
    if window_size is not None:
        window_size = check_int(window_size, "window_size", minimum=1)
    texts = [list(t) for t in texts]
    matrix, n_windows = _window_matrix(texts, words, window_size)
    occ = np.asarray(matrix.sum(axis=0), dtype=np.int64).ravel()
    co = np.asarray((matrix.T @ matrix).toarray(), dtype=np.int64)
    return WindowCounts(pd.Series(occ, index=words, name="windows"),
                        pd.DataFrame(co, index=words, columns=words), n_windows)


def _npmi(co: np.ndarray, occ: np.ndarray, n: int) -> np.ndarray:
    """NPMI of every pair (Bouma 2009) from window counts: ``log((p_ij + ε) / (p_i p_j)) / -log(p_ij + ε)``."""
    p_ij = co / n
    p = occ / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log((p_ij + EPSILON) / np.outer(p, p)) / -np.log(p_ij + EPSILON)


def _measure(measure: str, idx: np.ndarray, occ: np.ndarray, co, n: int) -> float:
    """One topic's coherence from counts: ``idx`` its words' columns in rank order; ``co`` a matrix
    indexable by ``[idx][:, idx]``."""
    sub = co[np.ix_(idx, idx)]
    sub = sub.toarray() if hasattr(sub, "toarray") else np.asarray(sub)
    o = occ[idx]
    m = len(idx)
    if measure == "u_mass":
        # S_one_pre: (w_i, w_j), j < i (w_j ranked higher); m_lc = log((D(w_i, w_j)/N + ε) / (D(w_j)/N))
        i, j = np.tril_indices(m, k=-1)
        with np.errstate(divide="ignore"):
            return float(np.mean(np.log((sub[i, j] / n + EPSILON) / (o[j] / n))))
    npmi = _npmi(sub, o, n)
    if measure == "c_npmi":
        # S_one_one: every ordered pair i ≠ j
        return float(npmi[~np.eye(m, dtype=bool)].mean())
    # c_v: S_one_set; each word's context vector (NPMI with every topic word, itself included) against
    # the topic's vector (their sum), by cosine; the mean over the topic's words
    whole = npmi.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (npmi @ whole) / (np.linalg.norm(npmi, axis=1) * np.linalg.norm(whole))
    return float(cos.mean())


def _coherences(topics: Sequence[Sequence[str]], texts: Sequence[Sequence[str]], measure: str,
                window_size: int | None) -> list[float]:
    """Coherence of every topic, counts from one :func:`_window_matrix` over all topics' words."""
    words = list(dict.fromkeys(w for t in topics for w in t))
    where = {w: i for i, w in enumerate(words)}
    matrix, n = _window_matrix([list(t) for t in texts], words, window_size)
    occ = np.asarray(matrix.sum(axis=0), dtype=np.int64).ravel()
    co = (matrix.T @ matrix).tocsr()
    return [_measure(measure, np.array([where[w] for w in t], dtype=np.int64), occ, co, n) for t in topics]


def topic_coherence(topics: Sequence[Sequence[str]], texts: Sequence[Sequence[str]], dictionary: Any,
                    measure: str = "c_npmi", *, window_size: int | None = None,
                    accumulator: str = "windows") -> list[float]:
    """Coherence of each topic (a list of top terms), Röder, Both & Hinneburg (2015), "Exploring the
    space of topic coherence measures", WSDM: segmentation, probability estimate, confirmation
    measure, arithmetic mean.

    ``u_mass`` (Mimno et al. 2011, in Röder et al.'s form)
        S_one_pre, P_bd: mean over pairs (w_i, w_j), j < i in the topic's ranking, of
        ``log((D(w_i, w_j)/N + ε) / (D(w_j)/N))``, D counted over units (boolean documents: a unit
        containing the word, however often), N the number of units. (Mimno et al.'s own form sums
        ``log((D(w_i, w_j) + 1) / D(w_j))``; Röder et al. and gensim use ε = 1e-12 and the mean.)
    ``c_npmi`` (Bouma 2009; Aletras & Stevenson 2013)
        S_one_one, P_sw(10): mean over all ordered pairs i ≠ j of NPMI =
        ``log((p_ij + ε)/(p_i p_j)) / -log(p_ij + ε)``, probabilities = window counts / number of
        windows, boolean sliding windows of 10 terms (:func:`window_counts`).
    ``c_v``
        S_one_set, P_sw(110), indirect cosine (γ = 1): each topic word's vector of NPMI with every
        topic word (itself included) against the sum of those vectors, cosine, averaged.

    ε = 1e-12 (:data:`EPSILON`). ``window_size`` overrides the measure's window (not u_mass's).
    ``texts`` are the unit term lists; terms outside ``dictionary`` keep their positions in the
    windows but count for nothing. ``accumulator="windows"`` (default) counts with
    :func:`window_counts`; ``"gensim"`` runs gensim's ``CoherenceModel`` (single process), whose
    sliding-window counts are wrong when a word recurs within a window (:func:`window_counts`):
    for comparison with earlier numbers only. u_mass is the same under both (no windows).
    Returns one value per topic; a model's coherence is their arithmetic mean.
    """
    check_choice(measure, "measure", COHERENCE_MEASURES)
    check_choice(accumulator, "accumulator", ACCUMULATORS)
    topics = [list(t) for t in topics]
    if not topics or any(len(t) < 2 for t in topics):
        raise TopicModelError("coherence needs topics of at least two terms each")
    unknown = sorted({w for t in topics for w in t if w not in dictionary.token2id})
    if unknown:
        raise TopicModelError(f"topic terms not in the dictionary: {', '.join(unknown[:5])}")
    if window_size is not None:
        window_size = check_int(window_size, "window_size", minimum=1)
    if accumulator == "windows":
        size = None if measure == "u_mass" else (window_size or WINDOW_SIZES[measure])
        return _coherences(topics, texts, measure, size)
    return _gensim_coherence(topics, texts, dictionary, measure, window_size)


def _gensim_coherence(topics: list[list[str]], texts: Sequence[Sequence[str]], dictionary: Any, measure: str,
                      window_size: int | None) -> list[float]:
    """gensim's ``CoherenceModel`` (single process), as earlier versions of Tifa computed coherence."""
    from gensim.models.coherencemodel import CoherenceModel

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


def _topic_lists(topics: Any, name: str) -> list[list[str]]:
    """Top terms per topic from a fitted :class:`TopicModel`, a :func:`top_terms` table or lists of terms."""
    if isinstance(topics, TopicModel):
        return topics.topic_terms()
    if isinstance(topics, pd.DataFrame):
        if not {"topic", "term"} <= set(topics.columns):
            raise ParameterError(f"{name}: a table of topics needs columns topic and term (a top_terms(model) table)")
        order = ["topic", "rank"] if "rank" in topics.columns else ["topic"]
        ranked = topics.sort_values(order, kind="stable")
        return [list(g["term"].astype(str)) for _, g in ranked.groupby("topic", sort=True)]
    if isinstance(topics, (str, bytes)) or not isinstance(topics, Iterable):
        raise ParameterError(f"{name} must be a fitted TopicModel, a top_terms table or lists of terms, "
                             f"not {type(topics).__name__}")
    return [list(as_list(t)) for t in topics]


def topic_stability(topics_a: Any, topics_b: Any) -> float:
    """Best-match mean Jaccard similarity between the top terms of two topic models.

    ``topics_a`` and ``topics_b`` are each a fitted :class:`TopicModel` (its ``top`` terms per
    topic, :meth:`TopicModel.topic_terms`), a :func:`top_terms` table, or a list of term lists.
    Topics of the two runs are paired one-to-one so that the sum of Jaccard similarities of
    their top-term sets is maximal (the assignment problem, solved by the Hungarian algorithm,
    ``scipy.optimize.linear_sum_assignment``); the score is the mean over matched pairs, divided
    by the larger number of topics (an unmatched topic scores 0). 1 = the same topics, 0 = no
    shared term. This is the agreement score of Greene, O'Callaghan & Cunningham (2014), "How
    many topics? Stability analysis for topic models" (ECML PKDD), with plain Jaccard of the
    top-N sets in place of their average Jaccard over ranks.
    """
    from scipy.optimize import linear_sum_assignment

    a, b = _topic_lists(topics_a, "topics_a"), _topic_lists(topics_b, "topics_b")
    if not a or not b:
        raise EmptySelectionError("topic_stability needs two non-empty sets of topics")
    sim = np.array([[jaccard(x, y) for y in b] for x in a], dtype=np.float64)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return float(sim[rows, cols].sum() / max(len(a), len(b)))


def sweep(units: pd.DataFrame, ks: Iterable[int] = range(3, 16), seeds: Iterable[int] = (1, 2, 3, 4, 5), *,
          top: int = 10, measures: Sequence[str] = COHERENCE_MEASURES, accumulator: str = "windows",
          return_models: bool = False, progress: bool = False, workers: int = 1, **params: Any):
    """Fit a :class:`TopicModel` for every (k, seed) and score it.

    ``params`` go to :class:`TopicModel` (passes, iterations, doc_topic_prior, no_below, ...).
    Five seeds by default: :func:`choose_k` weighs differences between Ks against their spread
    across seeds, which a couple of seeds cannot estimate.
    Every model of the sweep sees the same vocabulary (the filters are deterministic), so
    coherences are comparable. Coherence is computed once per measure for all topics of all
    models together (each topic's value does not depend on the others: the window counts are
    over all text).

    Returns a DataFrame, one row per (k, seed): ``k``, ``seed``, one column per coherence
    measure (the mean over the model's topics of the coherence of their ``top`` terms,
    :func:`topic_coherence` with ``accumulator``: ``"windows"``, the package's boolean sliding-window
    counts, by default; ``"gensim"`` reproduces gensim's counts; :func:`coherence_table`),
    ``stability`` (for the k: the mean :func:`topic_stability` of the top-``top`` terms over all
    pairs of seeds; NaN with a single seed), ``stability_seed`` (mean over the pairs that include
    this seed). With ``return_models=True`` returns ``(table, {(k, seed): TopicModel})``.

    ``workers > 1`` fits models in that many worker processes. Each model is still trained by
    single-process ``LdaModel`` from its own seed, so the table is identical to ``workers=1``
    (only gensim's ``LdaMulticore`` is irreproducible).
    """
    ks = sorted({check_int(k, "k", minimum=2) for k in as_list(ks)})
    seeds = list(dict.fromkeys(check_int(s, "seed", minimum=0) for s in as_list(seeds)))
    if not ks or not seeds:
        raise ParameterError("sweep needs at least one k and one seed")
    measures = [check_choice(m, "measure", COHERENCE_MEASURES) for m in as_list(measures)]
    check_choice(accumulator, "accumulator", ACCUMULATORS)
    top = check_int(top, "top", minimum=2)
    workers = check_int(workers, "workers", minimum=1)
    _check_units(units)
    grid = list(itertools.product(ks, seeds))
    models: dict[tuple[int, int], TopicModel] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(grid), desc="topic sweep", unit="model")
    lean = units[["terms"] + (["unit_id"] if "unit_id" in units.columns else [])]
    if workers == 1:
        for k, seed in grid:
            models[(k, seed)] = _fit_one(lean, k, seed, top, params)
            if bar is not None:
                bar.update()
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {key: pool.submit(_fit_one, lean, key[0], key[1], top, params) for key in grid}
            for key in grid:
                models[key] = futures[key].result()
                if bar is not None:
                    bar.update()
    if bar is not None:
        bar.close()
    words = {key: m.topic_terms(top) for key, m in models.items()}
    out = coherence_table(models, top=top, measures=measures, accumulator=accumulator)

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


def coherence_table(models: Mapping[tuple[int, int], TopicModel], *, top: int = 10,
                    measures: Sequence[str] = COHERENCE_MEASURES, accumulator: str = "windows") -> pd.DataFrame:
    """The coherence columns of :func:`sweep` for fitted models (``{(k, seed): TopicModel}``, as
    ``sweep(..., return_models=True)`` returns them), e.g. to rescore a sweep's models with another
    ``accumulator`` without refitting them.

    One row per model, in the order of ``models``: ``k``, ``seed``, one column per measure: the
    mean over the model's topics of :func:`topic_coherence` of its ``top`` terms. All models must
    have been fitted on the same units (coherence is counted in their texts). Each measure is
    computed once for every distinct topic of every model (a topic's value does not depend on the
    others: the counts are over all text).
    """
    if not models:
        raise ParameterError("coherence_table needs at least one fitted model")
    measures = [check_choice(m, "measure", COHERENCE_MEASURES) for m in as_list(measures)]
    check_choice(accumulator, "accumulator", ACCUMULATORS)
    top = check_int(top, "top", minimum=2)
    keys = list(models)
    first = models[keys[0]]
    first._check_fitted()
    for key in keys[1:]:
        models[key]._check_fitted()
        if models[key].texts_ != first.texts_:
            raise TopicModelError(f"model {key} was fitted on other units than model {keys[0]}: coherences would "
                                  "not be comparable")
    words = {key: [tuple(t) for t in models[key].topic_terms(top)] for key in keys}
    distinct = list(dict.fromkeys(t for key in keys for t in words[key]))
    where = {t: i for i, t in enumerate(distinct)}
    per_distinct = {m: topic_coherence(distinct, first.texts_, first.dictionary_, m, accumulator=accumulator)
                    for m in measures}
    rows = []
    for key in keys:
        row: dict[str, Any] = {"k": int(key[0]), "seed": int(key[1])}
        for m in measures:
            row[m] = float(np.mean([per_distinct[m][where[t]] for t in words[key]]))
        rows.append(row)
    return pd.DataFrame(rows, columns=["k", "seed", *measures])


def _fit_one(units: pd.DataFrame, k: int, seed: int, top: int, params: Mapping[str, Any]) -> TopicModel:
    """One model of a sweep (module level so worker processes can run it)."""
    return TopicModel(k=k, seed=seed, top=top, **params).fit(units)


def k_selection(sweep: pd.DataFrame, *, measure: str = "c_npmi", min_stability: float = 0.5) -> pd.DataFrame:
    """The :func:`choose_k` rule, spelled out per K (``sweep``: a :func:`sweep` table).

    Returns one row per K:

    - ``k``; ``n_seeds`` (models at this K with a value of ``measure``);
    - ``score`` (mean ``measure`` over the seeds), ``sd`` (its standard deviation across seeds,
      ``ddof=1``), ``se`` (the standard error of the mean, ``sd / √n_seeds``; NaN with one seed);
    - ``stability`` (:func:`sweep`'s), ``eligible`` (stability ≥ ``min_stability``; every K when
      none is), ``fallback`` (True when no K reached ``min_stability``);
    - ``highest`` (the eligible K with the highest ``score``), ``threshold`` (that K's score minus
      its ``se``: the bar of the one-standard-error rule), ``within_se`` (eligible and
      ``score ≥ threshold``), ``chosen`` (the smallest K within one SE: :func:`choose_k`);
    - ``seeds_choosing`` and ``n_seeds_choosing``: the seeds whose own models would pick this K (the
      eligible K with that seed's highest ``measure``; ties: the smaller K), as ``"2, 5"`` and as a
      count. ``attrs["seed_choices"]`` holds them as ``{seed: K}``.

    The spread says how much of a difference between two Ks is seed-to-seed noise; the seeds' own
    choices say how often one random start alone would have led elsewhere.
    """
    check_choice(measure, "measure", COHERENCE_MEASURES)
    if isinstance(min_stability, bool) or not isinstance(min_stability, (int, float)) or not 0 <= min_stability <= 1:
        raise ParameterError(f"min_stability must be a number between 0 and 1, not {min_stability!r}")
    need = {"k", "seed", measure, "stability"}
    if not isinstance(sweep, pd.DataFrame) or not need <= set(sweep.columns) or len(sweep) == 0:
        raise TopicModelError(f"choose_k needs a sweep() table with columns {', '.join(sorted(need))}")
    rows = sweep[sweep[measure].notna()]
    if len(rows) == 0:
        raise TopicModelError(f"the sweep table has no value of {measure}")
    per_k = (rows.groupby("k", sort=True)
             .agg(n_seeds=(measure, "size"), score=(measure, "mean"), sd=(measure, "std"),
                  stability=("stability", "mean")).reset_index())
    per_k["k"] = per_k["k"].astype("int64")
    per_k["n_seeds"] = per_k["n_seeds"].astype("int64")
    per_k["se"] = per_k["sd"] / np.sqrt(per_k["n_seeds"])
    stable = per_k["stability"] >= min_stability
    fallback = not bool(stable.any())
    per_k["eligible"] = True if fallback else stable
    per_k["fallback"] = fallback
    pool = per_k[per_k["eligible"]]
    top_k = int(pool.loc[pool["score"] == pool["score"].max(), "k"].min())
    top = per_k.loc[per_k["k"] == top_k].iloc[0]
    threshold = float(top["score"] - (0.0 if np.isnan(top["se"]) else top["se"]))
    per_k["highest"] = per_k["k"] == top_k
    per_k["threshold"] = threshold
    per_k["within_se"] = per_k["eligible"] & (per_k["score"] >= threshold)
    per_k["chosen"] = per_k["k"] == int(per_k.loc[per_k["within_se"], "k"].min())

    eligible_ks = set(per_k.loc[per_k["eligible"], "k"])
    choices: dict[int, int] = {}
    for seed, grp in rows[rows["k"].isin(eligible_ks)].groupby("seed", sort=True):
        best = grp[measure].max()
        choices[int(seed)] = int(grp.loc[grp[measure] == best, "k"].min())
    per_k["seeds_choosing"] = [", ".join(str(s) for s, c in choices.items() if c == k) for k in per_k["k"]]
    per_k["n_seeds_choosing"] = [sum(1 for c in choices.values() if c == k) for k in per_k["k"]]
    per_k["n_seeds_choosing"] = per_k["n_seeds_choosing"].astype("int64")
    out = per_k[["k", "n_seeds", "score", "sd", "se", "stability", "eligible", "fallback", "highest", "threshold",
                 "within_se", "chosen", "seeds_choosing", "n_seeds_choosing"]].reset_index(drop=True)
    out.attrs.update(measure=measure, min_stability=float(min_stability), seed_choices=choices)
    return out


def choose_k(sweep: pd.DataFrame, *, measure: str = "c_npmi", min_stability: float = 0.5) -> int:
    """Pick the number of topics from a :func:`sweep` table: the one-standard-error rule.

    Rule: (1) the eligible Ks are those whose stability across seeds is at least ``min_stability``
    (default 0.5: matched topics share, on average, at least half of their top terms, by
    Jaccard); if no K is that stable (or stability is undefined because there was one seed),
    every K is eligible (:func:`k_selection` reports this in its ``fallback`` column).
    (2) Among them, K* has the highest mean ``measure`` over seeds (default ``c_npmi``; ties: the
    smaller K). (3) The chosen K is the *smallest* eligible K whose mean is at least K*'s mean
    minus K*'s standard error across seeds (``sd / √n_seeds``, ``ddof=1``; with one seed, K*).
    This is the one-standard-error rule of Breiman, Friedman, Olshen & Stone (1984),
    *Classification and Regression Trees*, §3.4.3 (also Hastie, Tibshirani & Friedman 2009,
    *The Elements of Statistical Learning*, §7.10): a K that beats a smaller one by less than the
    seed-to-seed noise of the best mean is not evidence for more topics, so the simpler model is
    taken.

    Rationale of the stability filter: coherence alone rewards topics that are artefacts of one
    random start; requiring stability first keeps only Ks the data support (Greene et al. 2014).
    :func:`k_selection` shows every step per K, with the K each seed alone would pick.
    """
    table = k_selection(sweep, measure=measure, min_stability=min_stability)
    return int(table.loc[table["chosen"], "k"].iloc[0])


def best_seed(sweep: pd.DataFrame, k: int, *, measure: str = "c_npmi") -> int:
    """The seed whose model at ``k`` has the highest ``measure`` in a :func:`sweep` table (ties: the smallest seed)."""
    check_choice(measure, "measure", COHERENCE_MEASURES)
    rows = sweep[sweep["k"] == k]
    if len(rows) == 0:
        raise ParameterError(f"k={k} is not in the sweep table (its Ks: {', '.join(map(str, sorted(set(sweep['k']))))})")
    best = rows[measure].max()
    return int(rows.loc[rows[measure] == best, "seed"].min())


# ---------------------------------------------------------------------------------------------
# Topics against theme dictionaries; labels; pyLDAvis data
# ---------------------------------------------------------------------------------------------

#: Token fields a topic term stands for: it is a lemma (or the form where the lemma is empty).
_TERM_FIELDS = ("form", "lemma")


def _string_term(term: Term) -> list[re.Pattern] | None:
    """Regular expressions a term string must all match for query term ``term`` to hold, or ``None``
    when ``term`` constrains something a string does not have (a part of speech, a head...)."""
    if term.head is not None or term.children:
        return None
    out = []
    for cons in term.constraints:
        alts = cons.alternatives or (cons,)
        usable = [a.pattern.regex() for a in alts if a.field in _TERM_FIELDS]
        if not usable:
            return None
        out.append(re.compile("|".join(f"(?:{r})" for r in usable), re.IGNORECASE))
    return out


def _term_matcher(query: str):
    """A function ``term string → bool`` for one query of the query language (``docs/query-language.md``).

    A topic term stands for the words its parts (joined by ``delimiter``) name. The query holds
    when its words match the term's parts one to one (``public opinion`` ↔ ``public_opinion``,
    ``cyber*`` ↔ ``cyberspace``); a one-word query also holds when it matches one part of a
    phrase term, and a literal one-word query when the parts, concatenated, spell it (the query
    language's rule for languages written without spaces: ``网络安全`` ↔ ``网络_安全``).
    """
    q = parse_query(query)
    words = [_string_term(t) for t in q.terms]
    literal = None
    if len(q.terms) == 1 and len(q.terms[0].constraints) == 1 and words[0] is not None:
        cons = q.terms[0].constraints[0]
        if not cons.alternatives and cons.pattern.kind == "literal":
            literal = cons.pattern.text.lower()

    def word_ok(part: str, rx: list[re.Pattern] | None) -> bool:
        return rx is not None and all(r.fullmatch(part) for r in rx)

    def hit(term: str, delimiter: str) -> bool:
        parts = [p for p in term.split(delimiter) if p] if delimiter else [term]
        if len(parts) == len(words) and all(word_ok(p, w) for p, w in zip(parts, words)):
            return True
        if len(words) == 1 and len(parts) > 1:
            return (literal is not None and "".join(parts).lower() == literal) or any(word_ok(p, words[0]) for p in parts)
        return False

    return hit


def theme_queries(dictionary: Any, *, lang: str | None = None, level: int = 1) -> dict[str, list[str]]:
    """``theme → queries`` of a theme dictionary (a :class:`analysis.Dictionary` or a path to one),
    keeping entries of language ``lang`` (and language ``any``; ``None``: all) and naming themes
    at ``level`` (1 = top level)."""
    level = check_int(level, "level", minimum=1)
    if isinstance(dictionary, (str, Path)):
        from .themes import load_dictionary

        dictionary = load_dictionary(dictionary)
    entries = getattr(dictionary, "entries", None)
    if entries is None:
        raise ParameterError("expected a theme dictionary (analysis.load_dictionary()), a path to one, or a mapping "
                             "theme → queries")
    out: dict[str, list[str]] = {}
    for e in entries:
        if lang is not None and e.lang not in (lang, "any"):
            continue
        theme = "/".join(e.theme.split("/")[:level])
        out.setdefault(theme, []).append(e.pattern)
    return out


def topic_themes(terms: pd.DataFrame, dictionary: Any, *, lang: str | None = None, level: int = 1,
                 delimiter: str = "_") -> pd.DataFrame:
    """Which themes of a theme dictionary each topic's top terms hit.

    ``terms`` is a :func:`top_terms` table; ``dictionary`` maps a theme to queries of the query
    language (``cyber*``, ``public opinion``, ``lemma:secur*|secur*``; matched case-insensitively),
    or is a theme dictionary (a :class:`analysis.Dictionary` or its path; its entries of ``lang``
    at ``level``, :func:`theme_queries`). A top term is a lemma string, so constraints on the
    form or the lemma apply to it and any other constraint (``upos:``, ``head(...)``) never
    holds. A top term hits a query when the query's words match the term's parts (joined by
    ``delimiter``) one to one, when a one-word query matches one part of a phrase term, or when
    a literal one-word query spells the concatenated parts (a Chinese 网络安全 hits the phrase
    term ``网络_安全``). This compares top terms only, so a topic "hits" a theme when its most
    probable terms are theme vocabulary; it does not count theme words in the text (that is
    :func:`analysis.theme_rates`). Returns one row per (topic, theme) with at least one hit:
    ``topic``, ``theme``, ``n_hits`` (top terms hit), ``weight`` (sum of their φ), ``terms``
    (hit terms, by rank, joined with ", "); sorted by topic, then weight descending.
    """
    need = {"topic", "term", "weight"}
    if not isinstance(terms, pd.DataFrame) or not need <= set(terms.columns):
        raise TopicModelError("topic_themes needs a top_terms(model) table (columns topic, term, weight)")
    queries = dictionary if isinstance(dictionary, Mapping) else theme_queries(dictionary, lang=lang, level=level)
    matchers = {theme: [_term_matcher(q) for q in as_list(qs)] for theme, qs in queries.items()}
    ranked = terms.sort_values(["topic", "rank"] if "rank" in terms.columns else ["topic"], kind="stable")
    rows = []
    for topic, grp in ranked.groupby("topic", sort=True):
        for theme, hits_fns in matchers.items():
            hits = [(t, w) for t, w in zip(grp["term"].astype(str), grp["weight"])
                    if any(fn(t, delimiter) for fn in hits_fns)]
            if hits:
                rows.append({"topic": int(topic), "theme": theme, "n_hits": len(hits),
                             "weight": float(sum(w for _, w in hits)), "terms": ", ".join(t for t, _ in hits)})
    out = pd.DataFrame(rows, columns=["topic", "theme", "n_hits", "weight", "terms"])
    return out.sort_values(["topic", "weight", "theme"], ascending=[True, False, True], kind="stable").reset_index(drop=True)


#: The fitting settings a fingerprint covers besides the units (``k`` and ``seed`` are the entry's own keys;
#: ``top`` only shapes outputs).
_FINGERPRINT_PARAMS = ("passes", "iterations", "doc_topic_prior", "topic_word_prior", "no_below", "no_above",
                       "keep_n", "chunksize")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


def model_fingerprint(model: TopicModel) -> str:
    """What a fitted model was fitted on, as a SHA-256 (64 hex digits): a topic-label entry applies
    to the model whose fingerprint it records (see :func:`topic_labels`).

    Definition: SHA-256 of the UTF-8 JSON (``ensure_ascii=False``, ``sort_keys=True``,
    separators ``","`` and ``":"``) of ``{"params": {...}, "units": [[unit_id, [term, ...]], ...]}``:
    the units in the order the model was fitted on them (LDA's online updates depend on it), each
    unit's id and its terms as given to :meth:`TopicModel.fit` (before the vocabulary filters),
    and the settings that change the fitted topics other than ``k`` and ``seed`` (``passes``,
    ``iterations``, ``doc_topic_prior``, ``topic_word_prior``, ``no_below``, ``no_above``,
    ``keep_n``, ``chunksize``). The same units, settings and seed give the same topics, so the same
    fingerprint means the same topic numbers; any other corpus, filter, segment, stopword list or
    setting gives another fingerprint.
    """
    model._check_fitted()
    params = {}
    for name in _FINGERPRINT_PARAMS:
        value = getattr(model, name)
        params[name] = value if value is None or isinstance(value, (str, int, float)) else np.asarray(value).tolist()
    units = [[str(u), [str(t) for t in terms]] for u, terms in zip(model.unit_ids_, model.texts_)]
    text = json.dumps({"params": params, "units": units}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _default_labels_path():
    return resources.files("analysis").joinpath("data/topic_labels.yaml")


def _label_entries(entries: Any, where: str) -> list[dict[str, Any]]:
    """Validated label entries: ``{k, seed, fingerprint, segment, lang, labels}`` each; a malformed one
    is a TopicModelError naming it (``entry 2 (k=6, seed=3)``)."""
    if not isinstance(entries, (list, tuple)):
        raise TopicModelError(f"{where}: 'models' must be a list of {{k, seed, fingerprint, labels}} entries")
    out = []
    for i, e in enumerate(entries, 1):
        name = f"{where}: entry {i}"
        if not isinstance(e, Mapping):
            raise TopicModelError(f"{name} must be a mapping of k, seed, fingerprint and labels")
        if {"k", "seed"} <= set(e):
            name += f" (k={e['k']}, seed={e['seed']})"
        unknown = set(e) - {"k", "seed", "fingerprint", "segment", "lang", "labels"}
        if unknown:
            raise TopicModelError(f"{name} has unknown key(s) {', '.join(sorted(map(str, unknown)))}; an entry has "
                                  "k, seed, fingerprint, segment, lang and labels")
        if "k" not in e or "seed" not in e or not isinstance(e.get("labels"), Mapping):
            raise TopicModelError(f"{name} needs k, seed, fingerprint and a labels mapping (topic number → label)")
        for key, minimum in (("k", 2), ("seed", 0)):
            if isinstance(e[key], bool) or not isinstance(e[key], (int, np.integer)) or e[key] < minimum:
                raise TopicModelError(f"{name}: {key} must be a whole number >= {minimum}, not {e[key]!r}")
        fingerprint = e.get("fingerprint")
        if not isinstance(fingerprint, str) or not _FINGERPRINT.fullmatch(fingerprint):
            problem = ("has no fingerprint" if fingerprint is None else
                       f"has a fingerprint that is not a string of 64 hex digits ({fingerprint!r})")
            raise TopicModelError(f"{name} {problem}: record the model it labels as "
                                  "analysis.topics.model_fingerprint(model) gives it (tifa topics prints it)")
        try:
            labels = {int(t): str(lbl) for t, lbl in e["labels"].items()}
        except (TypeError, ValueError) as exc:
            raise TopicModelError(f"{name} has a non-numeric topic id") from exc
        out.append({"k": int(e["k"]), "seed": int(e["seed"]), "fingerprint": fingerprint,
                    "segment": e.get("segment"), "lang": e.get("lang"), "labels": labels})
    return out


def load_topic_labels(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read the editable topic-label file (default: the package's ``data/topic_labels.yaml``).

    The file holds a list ``models`` of entries ``{k, seed, fingerprint, segment?, lang?, labels:
    {topic: label}}``: the labels of the model fitted with that k and seed on the units and
    settings whose :func:`model_fingerprint` is ``fingerprint`` (``segment`` and ``lang``, when
    given, describe those units and must also match). Returns the entries, validated; a malformed
    entry (no fingerprint, a fingerprint that is not a string...) is a TopicModelError naming it.
    """
    import yaml

    name = str(path) if path is not None else "topic_labels.yaml"
    try:
        text = (Path(path).read_text(encoding="utf-8") if path is not None
                else _default_labels_path().read_text(encoding="utf-8"))
    except OSError as exc:
        raise TopicModelError(f"cannot read topic labels file {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise TopicModelError(f"topic labels file {name} is not valid YAML: {exc}") from exc
    entries = data.get("models") if isinstance(data, dict) else None
    return _label_entries([] if entries is None else entries, f"topic labels file {name}")


def topic_labels(model: TopicModel, entries: Sequence[Mapping[str, Any]] | None = None, *,
                 segment: str | None = None, lang: str | None = None, top: int = 3) -> pd.DataFrame:
    """A label for each topic: from the first entry written for this model, else the ``top`` most
    probable terms joined with " / ".

    An entry is written for this model when its k, seed and fingerprint are the model's
    (:func:`model_fingerprint`: the same units and settings), and its ``segment`` and ``lang``,
    where it names them, are the ``segment`` and ``lang`` given here. An entry with the model's
    k and seed but another fingerprint was written for another model (other units, another
    corpus): it is not used, and a warning says so. ``entries`` default to
    :func:`load_topic_labels`; they are validated as that validates them.

    Columns ``topic``, ``label``, ``source`` (``"file"`` or ``"top terms"``); ``attrs`` hold
    ``fingerprint`` (the model's) and ``fallback`` (True when no entry was used).
    """
    model._check_fitted()
    top = check_int(top, "top", minimum=1)
    entries = load_topic_labels() if entries is None else _label_entries(entries, "topic labels")
    fingerprint = model_fingerprint(model)
    chosen: Mapping[int, str] | None = None
    other = None
    for e in entries:
        if e["k"] != int(model.k) or e["seed"] != int(model.seed):
            continue
        if e["fingerprint"] != fingerprint:
            other = other or e
            continue
        if e["segment"] not in (None, segment) or e["lang"] not in (None, lang):
            continue
        chosen = e["labels"]
        break
    if chosen is None and other is not None:
        warnings.warn(f"topic labels: the entry for k={model.k}, seed={model.seed} was written for another model "
                      f"(fingerprint {other['fingerprint'][:12]}…; this model's is {fingerprint[:12]}…: other units "
                      f"or settings), so topics are labelled by their top {top} terms", UserWarning, stacklevel=2)
    chosen = chosen or {}
    words = model.topic_terms(top)
    rows = [(t, chosen[t], "file") if t in chosen else (t, " / ".join(words[t]), "top terms") for t in range(model.k)]
    out = pd.DataFrame(rows, columns=["topic", "label", "source"])
    out.attrs.update(fingerprint=fingerprint, fallback=not chosen)
    return out


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
