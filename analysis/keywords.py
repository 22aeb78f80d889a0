"""Keyness: which terms are unusually frequent in one subcorpus compared with another.

:func:`keyness` compares a *target* and a *reference* subcorpus of a Tokens table (voice
``official`` against ``framing``, one outlet against the rest, one document against the corpus)
and returns one row per term with every statistic of the field, computed over the whole vocabulary
at once with numpy.

For a term with frequency ``a`` in the target (``c`` words, :func:`analysis.is_word`) and ``b``
in the reference (``d`` words), the 2×2 table is::

                     target    reference
    term               a           b
    other words      c - a       d - b

with expected frequencies ``E_ij = row_i · col_j / N`` (``N = c + d``). The individual measures
are separate functions (:func:`log_likelihood_4cell`, :func:`log_likelihood_2term`,
:func:`chi_squared`, :func:`log_ratio`, :func:`percent_diff`, :func:`simple_maths`) that take
array-valued ``a, b, c, d`` and are tested one by one.

These token-level statistics treat every word as an independent draw. Words come in documents,
and a term a single document repeats can be "key" for its voice without being typical of the
voice's texts. Beside them :func:`keyness` reports document-level evidence for every term
(:func:`document_columns`): how much of it one document contributes, how evenly it spreads over
the target's documents, and two tests whose unit is the document (Lijffijt et al. 2016; Welch
1947), all from :mod:`analysis.inference` and :mod:`analysis.distribution`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import xlogy

from ._core import (as_list, check_choice, check_int, check_probability, check_top, field_name,
                    filter_mask, is_word, match, selection_mask, term_codes)
from .contingency import chi_squared_2x2, log_likelihood_2x2, table_2x2
from .distribution import gries_dp, gries_dp_columns
from .errors import EmptySelectionError, ParameterError
from .inference import (N_BOOT, _bootstrap_p, _bootstrap_weights, _check_boot, _weighted_sums, adjust, bootstrap_test,
                        document_share, welch_test)

#: Statistics :func:`keyness` can rank and test by (``measure=``; column names of its result).
MEASURES = ("g2_4cell", "g2_2term", "chi2", "chi2_yates")
#: Multiple-comparison corrections accepted by :func:`keyness` (``correction=``).
CORRECTIONS = (None, "bonferroni", "sidak", "holm", "bh")
#: The document-level columns of :func:`keyness` (``documents=True``), in order.
DOCUMENT_COLUMNS = ("doc_share", "doc_share_reference", "dp_target", "p_doc", "p_welch")
#: Terms per block when the document-level columns are computed: bounds the bootstrap's memory
#: (``n_boot × block`` rates per corpus) without changing any value (every block resamples the
#: same documents, see :func:`document_columns`).
_BLOCK_CELLS = 4_000_000
#: Largest document × term matrix :func:`keyness` builds dense (else scipy.sparse).
_DENSE_CELLS = 20_000_000


# --------------------------------------------------------------------------------------------
# the measures (vectorised over terms)
# --------------------------------------------------------------------------------------------

def _table(a, b, c, d):
    """Observed and expected cells of term × subcorpus: ``a, b`` the term's frequencies in target
    and reference, ``c, d`` the two corpus sizes (:func:`analysis.contingency.table_2x2`)."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return table_2x2(a, b, c - a, d - b)


def log_likelihood_4cell(a, b, c, d):
    """Log-likelihood G² summed over all four cells of the 2×2 table (Dunning 1993).

    ``G² = 2 Σ_ij O_ij ln(O_ij / E_ij)`` over ``a, b, c-a, d-b``; this is the likelihood-ratio
    statistic of the 2×2 table (``scipy.stats.chi2_contingency(..., lambda_="log-likelihood")``)
    and the "4-term" log-likelihood of AntConc. ``0 · ln 0`` is taken as 0.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return log_likelihood_2x2(a, b, c - a, d - b)


def log_likelihood_2term(a, b, c, d):
    """Log-likelihood in the two-term form of Rayson & Garside (2000) and Rayson's LL wizard.

    ``G² = 2 (a ln(a/E1) + b ln(b/E2))`` with ``E1 = c(a+b)/(c+d)``, ``E2 = d(a+b)/(c+d)``:
    the sum over the two observed term cells only (https://ucrel.lancs.ac.uk/llwizard.html).
    ``0 · ln 0`` is taken as 0.

    Never larger than the 4-cell value (:func:`log_likelihood_4cell`): the difference is the
    "other words" row, ``2 Σ O ln(O/E)`` over ``c - a`` and ``d - b``, whose observed and
    expected totals are equal, so by the log-sum inequality it is ``>= 0`` (0 exactly when
    ``a/c = b/d``). It is slightly *smaller*, and close when the term is rare in both corpora.
    """
    obs, exp = _table(a, b, c, d)
    return 2.0 * np.sum(xlogy(obs[:2], obs[:2]) - xlogy(obs[:2], exp[:2]), axis=0)


def chi_squared(a, b, c, d, yates: bool = False):
    """Pearson's χ² of the 2×2 table, optionally with Yates's continuity correction.

    ``χ² = Σ (O - E)² / E`` over the four cells. With ``yates=True`` each observed count is moved
    0.5 towards its expected value (never past it), exactly as ``scipy.stats.chi2_contingency``
    does for one degree of freedom (Yates 1934).
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return chi_squared_2x2(a, b, c - a, d - b, yates=yates)


def log_ratio(a, b, c, d, zero_adjustment: float = 0.5):
    """Log ratio (Hardie 2014): the binary log of the ratio of relative frequencies.

    ``log2((a/c) / (b/d))``. A zero frequency is replaced by ``zero_adjustment`` (0.5, as in
    CQPweb and AntConc) so that terms absent from one side get a finite value. Each unit is a
    doubling: 1 means twice as frequent in the target, -1 half as frequent.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    a = np.where(a == 0, zero_adjustment, a)
    b = np.where(b == 0, zero_adjustment, b)
    return np.log2((a / c) / (b / d))


def percent_diff(a, b, c, d, zero_adjustment: float = 0.5):
    """%DIFF (Gabrielatos & Marchi 2011): the percentage difference of normalised frequencies.

    ``%DIFF = (NF_target - NF_reference) · 100 / NF_reference``. A zero reference (or target)
    frequency is replaced by ``zero_adjustment`` (0.5, as AntConc does; Gabrielatos & Marchi
    used 1e-18, which makes %DIFF of reference-absent terms astronomically large).
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    a = np.where(a == 0, zero_adjustment, a)
    b = np.where(b == 0, zero_adjustment, b)
    nf_t, nf_r = a / c, b / d
    return (nf_t - nf_r) * 100.0 / nf_r


def simple_maths(a, b, c, d, n: float = 1.0):
    """Simple maths keyness score (Kilgarriff 2009, Sketch Engine).

    ``(fpm_target + n) / (fpm_reference + n)`` with ``fpm`` the frequency per million tokens and
    ``n`` the smoothing constant (1 by default; larger ``n`` favours commoner words).
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    return (a / c * 1e6 + n) / (b / d * 1e6 + n)


def chi2_sf(statistic) -> np.ndarray:
    """Upper-tail p-value of a χ² statistic on one degree of freedom (``scipy.stats.chi2.sf``).

    Many terms share the same frequencies, hence the same statistic: the survival function is
    evaluated once per distinct value, which keeps whole-vocabulary keyness fast.
    """
    x = np.asarray(statistic, dtype=float)
    uniq, inverse = np.unique(x, return_inverse=True)
    return stats.chi2.sf(uniq, 1)[inverse.reshape(x.shape)]


def corrected_alpha(alpha: float, m: int, correction: str | None) -> float:
    """Per-test significance level for ``m`` tests: Bonferroni ``α/m``, Šidák ``1-(1-α)^(1/m)``.

    Holm's and Benjamini–Hochberg's procedures have no single per-test level (the level
    depends on a p-value's rank): for them use :func:`adjusted_p` (``keyness(...,
    correction="holm")`` gives the column ``p_adjusted``); asking here is a ParameterError.
    """
    check_choice(correction, "correction", CORRECTIONS)
    if correction in ("holm", "bh"):
        raise ParameterError(f"correction {correction!r} has no single per-test level; compare the adjusted "
                             "p-values (analysis.keywords.adjusted_p, keyness's p_adjusted) with alpha instead")
    alpha = check_probability(alpha, "alpha")
    m = max(int(m), 1)
    if correction == "bonferroni":
        return alpha / m
    if correction == "sidak":
        return 1.0 - (1.0 - alpha) ** (1.0 / m)
    return alpha


def adjusted_p(p_values, correction: str | None) -> np.ndarray:
    """p-values adjusted for the ``m = len(p_values)`` tests drawn together (``nan`` stays ``nan``, not counted).

    ``"bonferroni"``: ``min(1, m·p)`` (Dunn 1961); ``"sidak"``: ``1 - (1 - p)^m`` (Šidák 1967);
    ``"holm"``: Holm's (1979) step-down values and ``"bh"``: Benjamini & Hochberg's (1995)
    false-discovery-rate values; ``None``: unchanged. All four are :func:`analysis.inference.adjust`.
    A term is significant at level ``α`` after the correction when its adjusted p is below
    ``α`` (for Bonferroni and Šidák this is the same as ``p <`` :func:`corrected_alpha`).
    Holm and Bonferroni control the family-wise error rate (any false positive among the
    terms), BH the expected share of false positives among the terms declared key.
    """
    check_choice(correction, "correction", CORRECTIONS)
    return adjust(p_values, correction)


# --------------------------------------------------------------------------------------------
# document-level evidence (vectorised over terms)
# --------------------------------------------------------------------------------------------

def document_columns(target_counts, target_sizes, reference_counts, reference_sizes, *,
                     n_boot: int = N_BOOT, seed: int = 0) -> dict[str, np.ndarray]:
    """The document-level columns of :func:`keyness` for ``k`` terms at once.

    ``target_counts``: a document × term matrix (``(n_target_docs, k)``, numpy or scipy.sparse)
    of each target document's frequency of each term, ``target_sizes`` each target document's
    words; the same for the reference. Returns arrays of length ``k``:

    - ``doc_share`` — the largest share of the term's target frequency that one target document
      contributes (:func:`analysis.inference.document_share`; 1.0: one document holds every
      occurrence; ``nan`` when the term is absent from the target). *Does one text carry it?*
    - ``doc_share_reference`` — the same over the reference's documents (the side that matters
      for a negative keyword).
    - ``dp_target`` — Gries's (2008) DP of the term over the target's documents
      (:func:`analysis.distribution.gries_dp`, parts = documents, sizes = their words): 0 when
      spread as the document sizes predict, near 1 when concentrated. *How evenly does the
      target use it?*
    - ``p_doc`` — the two-sided bootstrap test of Lijffijt, Nevalainen, Säily, Papapetrou,
      Puolamäki & Mannila (2016), "Significance testing of word frequencies in corpora", *DSH*
      31(2): documents are resampled within each corpus (:func:`analysis.inference.
      bootstrap_test`, ``n_boot`` rounds, ``seed``). *Would texts like these, not these words,
      differ?* Its smallest possible value is ``2 / (1 + n_boot)``; ``nan`` when a side has
      fewer than two documents.
    - ``p_welch`` — Welch's (1947) t-test on the per-document relative frequencies
      (:func:`analysis.inference.welch_test`): the parametric answer to the same question, as
      Lijffijt et al. (2016) recommend beside the bootstrap; ``nan`` with fewer than two
      documents a side or no variance.

    Terms are processed in blocks (memory ``≈ n_boot × block`` rates); every block draws the same
    resampled documents from ``seed``, so the result does not depend on the block size.
    """
    from scipy import sparse

    def columns(x):
        """The matrix, and a function giving its columns j0:j1 as a dense array (of its dtype)."""
        if sparse.issparse(x):
            x = x.tocsc()
            return x, lambda j0, j1: x[:, j0:j1].toarray()
        x = np.asarray(x)
        x = x.reshape(len(x), -1)
        return x, lambda j0, j1: x[:, j0:j1]

    at, take_a = columns(target_counts)
    bt, take_b = columns(reference_counts)
    na, nb = np.asarray(target_sizes, dtype=float), np.asarray(reference_sizes, dtype=float)
    if at.shape[1] != bt.shape[1] or at.shape[0] != len(na) or bt.shape[0] != len(nb):
        raise ParameterError("document columns need a document × term matrix per corpus (same terms) and one "
                             "size per document")
    k = at.shape[1]
    out = {name: np.full(k, np.nan) for name in DOCUMENT_COLUMNS}
    block = max(1, _BLOCK_CELLS // max(int(n_boot), 1))
    if k:
        _check_boot(n_boot)
    # every block resamples the same documents: draw them (and sum the sizes) once
    weights = _bootstrap_weights(len(na), len(nb), n_boot, seed) if len(na) >= 2 and len(nb) >= 2 and k else None
    size_sums = (_weighted_sums(weights[0], na), _weighted_sums(weights[1], nb)) if weights is not None else None
    for j0 in range(0, k, block):
        j1 = min(k, j0 + block)
        raw_a, raw_b = take_a(j0, j1), take_b(j0, j1)
        a, b = raw_a.astype(float), raw_b.astype(float)
        # integer counts go to the bootstrap as they are (no check that they are whole numbers)
        raw_a, raw_b = (raw if raw.dtype.kind in "iu" else x for raw, x in ((raw_a, a), (raw_b, b)))
        out["doc_share"][j0:j1] = document_share(a)
        out["doc_share_reference"][j0:j1] = document_share(b)
        if len(na):
            out["dp_target"][j0:j1] = gries_dp_columns(a, na)
        if weights is not None:  # else nan, as bootstrap_test gives
            out["p_doc"][j0:j1] = _bootstrap_p(raw_a, na, raw_b, nb, weights, size_sums)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["p_welch"][j0:j1] = welch_test(a / na[:, None], b / nb[:, None])[1]
    return out


# --------------------------------------------------------------------------------------------
# keyness over the whole vocabulary
# --------------------------------------------------------------------------------------------

def _languages(tokens: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """The distinct values of ``lang`` at the rows of the mask ``rows``, sorted."""
    col = tokens["lang"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.unique(col.array.codes[rows])
        cats = np.asarray(col.cat.categories, dtype=object)
        return sorted(str(cats[c]) for c in codes if c >= 0)
    return sorted({str(v) for v in col.to_numpy()[rows] if pd.notna(v)})


def _doc_codes(tokens: pd.DataFrame) -> tuple[np.ndarray, int]:
    """An integer per row naming its document (``doc_id``), and the number of codes."""
    if "doc_id" not in tokens.columns:
        raise ParameterError("the document-level columns (documents=True) need a doc_id column; this table has "
                             "none: pass documents=False for the token-level statistics only")
    col = tokens["doc_id"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.array.codes.astype(np.int64), len(col.cat.categories)
    codes, uniques = pd.factorize(col)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def _per_document(doc: np.ndarray, n_docs: int, side: np.ndarray, word: np.ndarray, hit_rows: np.ndarray,
                  hit_term: np.ndarray, k: int):
    """One side's document × term count matrix and its documents' words (documents with words only).

    Dense (one ``bincount``) when it has at most ``_DENSE_CELLS`` cells, else scipy.sparse.
    """
    from scipy import sparse

    sizes = np.bincount(doc[side & word & (doc >= 0)], minlength=n_docs)
    units = np.flatnonzero(sizes)
    position = np.full(n_docs, -1, dtype=np.int64)
    position[units] = np.arange(len(units))
    on_side = side[hit_rows] & (doc[hit_rows] >= 0)
    rows, cols = position[doc[hit_rows[on_side]]], hit_term[on_side]
    if len(units) * k <= _DENSE_CELLS:
        matrix = np.bincount(rows * k + cols, minlength=len(units) * k).reshape(len(units), k)
    else:
        matrix = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(units), k)).tocsc()
    return matrix, sizes[units].astype(float)


def keyness(
    tokens: pd.DataFrame,
    target: Any,
    reference: Any = None,
    *,
    terms: str | list[str] | None = None,
    field: str = "lemma",
    case_sensitive: bool = False,
    min_freq: int = 1,
    alpha: float | None = None,
    correction: str | None = None,
    min_effect: float | None = None,
    measure: str = "g2_4cell",
    zero_adjustment: float = 0.5,
    simple_maths_n: float = 1.0,
    documents: bool = True,
    seed: int = 0,
    n_boot: int = N_BOOT,
    top: int | None = None,
) -> pd.DataFrame:
    """Keyness of every term of a target subcorpus against a reference subcorpus.

    ``target`` and ``reference`` are dicts of filters, with the meaning of :func:`analysis.select`
    (``{"voice": "official"}``, ``{"voice": ["official", "original"]}`` = any of,
    ``{"date": slice("2014-01-01", "2014-06-30")}`` = inclusive range), or boolean masks with one
    value per row. **Languages**: word frequencies are compared within one language. The
    default reference is every row not in the target *in the target's language(s)* (column
    ``lang``; without that column, every row not in the target); a reference given explicitly
    must hold the same language(s) as the target, else :class:`~analysis.errors.ParameterError`
    (restrict both first: ``analysis.select(tokens, lang="en")``). The reference may overlap the
    target (one document against the whole corpus), but the tests assume two independent
    samples, so disjoint subcorpora are the sound choice.

    Terms are read from ``field`` (lemmas by default), lower-cased unless ``case_sensitive``.
    With ``terms`` (a list of queries, ``docs/query-language.md``: ``"网络安全"``,
    ``"lemma:secur*"``, ``"public opinion"``), each query's matches are counted instead of the
    vocabulary (:func:`analysis._core.match`; ``field`` is not used, the query names its
    fields), so terms the segmenter splits or that span words can be tested; a match counts
    once, on the side of its first word, and only when that word is a word. The row's ``term``
    is the query text. Only words count (:func:`analysis.is_word`): the corpus sizes ``c`` and
    ``d`` are the numbers of words in the target and the reference, with or without ``terms``.

    Returns one row per term whose total frequency (target + reference) is at least
    ``min_freq``, with columns:

    - ``term``, ``freq_target``, ``freq_reference``, ``per_million_target``,
      ``per_million_reference``;
    - ``g2_4cell`` — log-likelihood G² summed over all four cells (Dunning 1993; AntConc);
      **the default measure** for ordering and for ``alpha``; ``g2_2term`` — the two-term form
      of Rayson & Garside (2000) / Rayson's LL wizard (never larger than ``g2_4cell``);
    - ``chi2`` and ``chi2_yates`` — Pearson χ² without / with Yates's correction;
    - ``p_g2_4cell``, ``p_g2_2term``, ``p_chi2``, ``p_chi2_yates`` — upper-tail p-values on
      one degree of freedom (``scipy.stats.chi2.sf``);
    - ``log_ratio`` (Hardie 2014), ``pct_diff`` (%DIFF, Gabrielatos & Marchi 2011),
      ``simple_maths`` (Kilgarriff 2009, ``n = simple_maths_n`` per million);
    - ``direction`` — ``positive`` when the term's relative frequency is higher in the target,
      ``negative`` when lower, ``none`` when equal;
    - ``p_adjusted`` (only when ``correction`` is given) — the p-value of ``measure`` adjusted
      for the number of terms tested (:func:`adjusted_p`: ``"bonferroni"``, ``"sidak"``,
      ``"holm"``, ``"bh"``);
    - with ``documents=True`` (default; the table needs a ``doc_id`` column), the
      document-level evidence of :func:`document_columns`: ``doc_share``,
      ``doc_share_reference``, ``dp_target``, ``p_doc`` (Lijffijt et al. 2016 bootstrap test,
      ``n_boot`` rounds, ``seed``) and ``p_welch`` (Welch 1947 on per-document relative
      frequencies). A document here is the part of a ``doc_id`` inside the target (or the
      reference).

    **Which answers which question.** G² and χ² (and their p-values) ask whether *these words*
    could have been drawn from one population: every token an independent draw. They are
    right for "is this word more frequent in this sample?" and far too confident for claims
    about the *kind of text* (a voice, an outlet, a genre), because words come in documents and
    documents differ: a term one document repeats gets a tiny token-level p. ``p_doc`` and
    ``p_welch`` take the document as the unit and answer "would texts like these differ?";
    ``doc_share`` and ``dp_target`` show at a glance when a keyword is one text's word. A
    keyword claim about a voice needs the document-level columns too.

    Rows are ordered by the signed ``measure`` (positive keywords first, strongest first;
    negative keywords last, the strongest at the very end; ties in vocabulary order).
    Filters: ``alpha`` keeps rows whose p-value of ``measure`` — ``p_adjusted`` when a
    ``correction`` is given — is below the significance level; ``min_effect`` keeps rows with
    ``|log_ratio| >= min_effect``; ``top`` keeps the first rows. The result's ``attrs`` record
    corpus sizes and numbers of documents, the languages, the number of tests, the correction
    and, for Bonferroni and Šidák, the per-test level and the critical value of the measure.
    """
    check_choice(measure, "measure", MEASURES)
    check_choice(correction, "correction", CORRECTIONS)
    field_name(field)
    min_freq = check_int(min_freq, "min_freq", minimum=1)
    top = check_top(top)
    if alpha is not None:
        check_probability(alpha, "alpha")
    if not isinstance(documents, (bool, np.bool_)):
        raise ParameterError(f"documents must be True or False, not {documents!r}")
    seed = check_int(seed, "seed")
    n_boot = check_int(n_boot, "n_boot", minimum=100)
    queries = None if terms is None else list(dict.fromkeys(as_list(terms)))
    if queries is not None and (not queries or not all(isinstance(q, str) and q.strip() for q in queries)):
        raise ParameterError(f"terms must be a list of queries such as ['网络安全', 'lemma:secur*'], not {terms!r}")
    if len(tokens) == 0:
        raise EmptySelectionError("the Tokens table is empty; load or annotate a corpus first")
    t_mask = selection_mask(tokens, target, "target")
    word = is_word(tokens)
    c = int((t_mask & word).sum())
    if c == 0:
        raise EmptySelectionError("the target selects no words; check its filters (e.g. {'voice': 'official'})")
    has_lang = "lang" in tokens.columns
    languages = _languages(tokens, t_mask & word) if has_lang else []
    if reference is None:
        r_mask = ~t_mask
        if has_lang:
            r_mask &= filter_mask(tokens, {"lang": languages})
    else:
        r_mask = selection_mask(tokens, reference, "reference")
    d = int((r_mask & word).sum())
    if d == 0:
        raise EmptySelectionError("the reference selects no words; check its filters or leave it out "
                                  "to compare with the rest of the corpus (in the target's language)")
    if has_lang and reference is not None:
        ref_languages = _languages(tokens, r_mask & word)
        if ref_languages != languages:
            raise ParameterError(
                f"the target is in {', '.join(languages)} but the reference in {', '.join(ref_languages)}: keyness "
                "compares word frequencies within one language; restrict the table first with "
                "analysis.select(tokens, lang=...) (on the command line: --where lang=...)")

    if queries is None:
        codes, vocab = term_codes(tokens, field, case_sensitive=case_sensitive)
        hit_rows = np.flatnonzero(word & (codes >= 0) & (t_mask | r_mask))
        hit_term = codes[hit_rows]
    else:
        vocab = np.asarray(queries, dtype=object)
        found = []
        for query in queries:
            starts, _ = match(tokens, query, case_sensitive=case_sensitive)
            found.append(starts[word[starts]])
        hit_rows = np.concatenate(found) if found else np.array([], dtype=np.int64)
        hit_term = np.repeat(np.arange(len(queries)), [len(f) for f in found])
    v = len(vocab)
    a = np.bincount(hit_term[t_mask[hit_rows]], minlength=v)
    b = np.bincount(hit_term[r_mask[hit_rows]], minlength=v)
    idx = np.flatnonzero((a + b) >= min_freq)
    a, b = a[idx], b[idx]

    g2_4 = log_likelihood_4cell(a, b, c, d)
    g2_2 = log_likelihood_2term(a, b, c, d)
    x2 = chi_squared(a, b, c, d)
    x2y = chi_squared(a, b, c, d, yates=True)
    rel_t, rel_r = a / c, b / d
    direction = np.where(rel_t > rel_r, 0, np.where(rel_t < rel_r, 1, 2)).astype(np.int8)
    out = pd.DataFrame({
        "term": vocab[idx].astype(str),
        "freq_target": a.astype(np.int64),
        "freq_reference": b.astype(np.int64),
        "per_million_target": rel_t * 1e6,
        "per_million_reference": rel_r * 1e6,
        "g2_4cell": g2_4,
        "p_g2_4cell": chi2_sf(g2_4),
        "g2_2term": g2_2,
        "p_g2_2term": chi2_sf(g2_2),
        "chi2": x2,
        "p_chi2": chi2_sf(x2),
        "chi2_yates": x2y,
        "p_chi2_yates": chi2_sf(x2y),
        "log_ratio": log_ratio(a, b, c, d, zero_adjustment),
        "pct_diff": percent_diff(a, b, c, d, zero_adjustment),
        "simple_maths": simple_maths(a, b, c, d, simple_maths_n),
        "direction": pd.Categorical.from_codes(direction, categories=["positive", "negative", "none"]),
    })
    n_tests = len(out)
    if correction is not None:
        out["p_adjusted"] = adjusted_p(out[f"p_{measure}"].to_numpy(), correction)
    attrs: dict[str, Any] = {"n_target": c, "n_reference": d, "n_tests": n_tests, "measure": measure,
                             "field": None if queries is not None else field, "correction": correction,
                             "languages": languages, "documents": bool(documents)}
    if documents:
        doc, n_docs = _doc_codes(tokens)
        keep = np.full(v, -1, dtype=np.int64)
        keep[idx] = np.arange(len(idx))
        kept = keep[hit_term] >= 0
        rows_k, term_k = hit_rows[kept], keep[hit_term[kept]]
        at, sizes_t = _per_document(doc, n_docs, t_mask, word, rows_k, term_k, len(idx))
        br, sizes_r = _per_document(doc, n_docs, r_mask, word, rows_k, term_k, len(idx))
        for name, values in document_columns(at, sizes_t, br, sizes_r, n_boot=n_boot, seed=seed).items():
            out[name] = values
        attrs.update(n_target_docs=len(sizes_t), n_reference_docs=len(sizes_r), seed=seed, n_boot=n_boot)
    if alpha is not None:
        attrs["alpha"] = alpha
        if correction in (None, "bonferroni", "sidak"):
            level = corrected_alpha(alpha, n_tests, correction)
            attrs.update(alpha_per_test=level, critical_value=float(stats.chi2.isf(level, 1)))
        p = out["p_adjusted" if correction is not None else f"p_{measure}"].to_numpy()
        out = out[p < alpha]
    if min_effect is not None:
        out = out[np.abs(out["log_ratio"].to_numpy()) >= min_effect]
    sign = np.where(out["direction"].to_numpy() == "negative", -1.0, 1.0)
    order = np.lexsort((out.index.to_numpy(), -(sign * out[measure].to_numpy())))
    out = out.iloc[order].reset_index(drop=True)
    if top is not None:
        out = out.head(top)
    out.attrs = attrs
    return out
