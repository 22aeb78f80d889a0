"""End-to-end accuracy of a Stanza model set: parse a treebank's raw text, score with the CoNLL 2018 scorer.

The raw text is rebuilt from the gold ``# text`` comments (:func:`analysis.training.raw_text`:
sentences of a paragraph joined by a space, by nothing in Chinese; paragraphs by a blank line),
parsed by the model set's pipeline (the same loader annotation uses, :meth:`ModelSet.pipeline`,
offline), and scored against the gold sentences with the CoNLL 2018 shared-task evaluation script
(Zeman et al. 2018, *CoNLL 2018 Shared Task: Multilingual Parsing from Raw Text to Universal
Dependencies*, §2.2; the copy Stanza calls in ``stanza.models.common.utils.ud_scores``). Scores are
F1 in %: a word counts when its span aligns with a gold word (Words), and for UPOS/Lemmas/UAS/LAS
when that label (and, for attachment, the aligned head) also matches.

``tifa models evaluate`` prints the table of docs/models.md: EWT test and GUM test for English; for
Chinese the cross-validation result pooled over folds (every GSDSimp dev+test sentence scored
once, by the fold model that did not train on it, read from ``cv-zh-hans.json`` written by
training) and GSDSimp test[450:500], the only sentences the shipped compact model did not train on.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from .errors import ParameterError

METRICS = ("Tokens", "Sentences", "Words", "UPOS", "Lemmas", "UAS", "LAS")

#: The test sets ``tifa models evaluate`` scores: name -> (language, treebank spec under the UD folder).
TEST_SETS = {
    "EWT test": ("en", "en_ewt-ud-test.conllu"),
    "GUM test": ("en", "en_gum-ud-test.conllu"),
    "GSDSimp test[450:500]": ("zh-hans", "zh_gsdsimp-ud-test.conllu[450:500]"),
}


def _restore_raw(doc, text: str) -> None:
    # Stanza's tokenizer emits "<UNK>" for a token longer than its maximum (e.g. a 600-character
    # URL in EWT); put the raw characters back so that the scorer can align the texts.
    for sent in doc.sentences:
        for tok in sent.tokens:
            raw = text[tok.start_char:tok.end_char]
            if tok.text != raw and len(tok.words) == 1:
                tok.text = raw
                tok.words[0].text = raw


def score_files(gold: str | os.PathLike, system: str | os.PathLike) -> dict[str, float]:
    """F1 (%) of each metric of :data:`METRICS`, CoNLL 2018 scorer.

    The scorer walks each word's chain of heads recursively: a sentence as long as Python's default
    recursion limit (1,000), which a poor tokenizer can make of a whole text, would crash it, so the
    limit is raised while it runs."""
    import sys

    from stanza.models.common.utils import ud_scores

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 50_000))
    try:
        evaluation = ud_scores(str(gold), str(system))
    finally:
        sys.setrecursionlimit(limit)
    return {m: round(100 * evaluation[m].f1, 2) for m in METRICS}


def score_blocks(blocks: Sequence[str], lang: str, models_dir: str | os.PathLike, package: str, *,
                 threads: int | None = None, keep: str | os.PathLike | None = None) -> dict[str, Any]:
    """Parse the raw text of gold sentence ``blocks`` with a model set and score it.

    Returns the F1 of every metric, ``sentences``, ``words`` (system words) and ``words_per_s``.
    ``keep``: a folder where ``gold.conllu`` and ``system.conllu`` are kept (for pooling folds).
    """
    from stanza.utils.conll import CoNLL

    from .models import resolve_model_set
    from .training import raw_text, write_conllu

    if threads:
        import torch

        torch.set_num_threads(threads)
    text = raw_text(blocks, lang)
    model_set = resolve_model_set(models_dir, package, languages=(lang,), require=(lang,))
    nlp = model_set.pipeline(lang)
    start = time.perf_counter()
    doc = nlp(text)
    seconds = time.perf_counter() - start
    _restore_raw(doc, text)
    n_words = sum(len(s.words) for s in doc.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        write_conllu(blocks, folder / "gold.conllu")
        CoNLL.write_doc2conll(doc, str(folder / "system.conllu"))
        scores = score_files(folder / "gold.conllu", folder / "system.conllu")
    return {**scores, "sentences": len(blocks), "words": n_words,
            "words_per_s": round(n_words / seconds) if seconds else None, "model_set": model_set.id}


def pool_folds(folders: Sequence[str | os.PathLike]) -> dict[str, float]:
    """Score the folds' system outputs together against their gold sentences (each sentence once)."""
    with tempfile.TemporaryDirectory() as tmp:
        gold, system = Path(tmp) / "gold.conllu", Path(tmp) / "system.conllu"
        with open(gold, "w", encoding="utf-8") as g, open(system, "w", encoding="utf-8") as s:
            for folder in folders:
                g.write((Path(folder) / "gold.conllu").read_text(encoding="utf-8"))
                s.write((Path(folder) / "system.conllu").read_text(encoding="utf-8").rstrip("\n") + "\n\n")
        return score_files(gold, system)


def evaluate_model_set(models_dir: str | os.PathLike, package: str, ud_dir: str | os.PathLike, *,
                       test_sets: Sequence[str] | None = None, threads: int | None = None,
                       log=print) -> list[dict[str, Any]]:
    """Score a model set on :data:`TEST_SETS` (those of its languages) and add its cross-validation rows.

    Returns one row per test set: ``test``, ``lang``, the metrics, ``words_per_s``, ``model_set``.
    """
    from .models import resolve_model_set
    from .training import select_sentences

    models_dir, ud_dir = Path(models_dir), Path(ud_dir)
    names = list(test_sets) if test_sets else list(TEST_SETS)
    unknown = [n for n in names if n not in TEST_SETS]
    if unknown:
        raise ParameterError(f"unknown test set {unknown[0]!r}: use one of {', '.join(TEST_SETS)}")
    have = resolve_model_set(models_dir, package)
    rows = []
    for name in names:
        lang, spec = TEST_SETS[name]
        if lang in have.missing:
            log(f"{name}: skipped ({lang} models absent: {have.missing[lang]})")
            continue
        blocks = select_sentences(spec, ud_dir)
        log(f"{name}: parsing {len(blocks):,} sentences ...")
        rows.append({"test": name, "lang": lang, **score_blocks(blocks, lang, models_dir, package, threads=threads)})
    for cv_file in sorted(models_dir.glob("cv-*.json")):
        summary = json.loads(cv_file.read_text(encoding="utf-8"))
        n = sum(f["held_out"][1] - f["held_out"][0] for f in summary["folds"])
        rows.append({"test": f"{len(summary['folds'])}-fold CV over {' + '.join(summary['cv'])} ({n} sentences)",
                     "lang": summary["lang"], **summary["pooled"], "sentences": n, "words": None,
                     "words_per_s": None, "model_set": "fold models"})
    return rows


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as the Markdown table of docs/models.md."""
    head = "| test | " + " | ".join(METRICS) + " | words/s |"
    lines = [head, "|---" * (len(METRICS) + 2) + "|"]
    for r in rows:
        speed = f"{r['words_per_s']:,}" if r.get("words_per_s") else "–"
        lines.append(f"| {r['test']} | " + " | ".join(f"{r[m]:.2f}" for m in METRICS) + f" | {speed} |")
    return "\n".join(lines)


#: Which row summarises a language in ``accuracy.json`` (first present wins).
SUMMARY_TESTS = {"en": ("EWT test", "GUM test"), "zh-hans": ("CV", "GSDSimp test[450:500]")}


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per language, the headline row: English EWT test; Chinese the pooled cross-validation (else test[450:500])."""
    out: dict[str, dict[str, Any]] = {}
    for lang, prefer in SUMMARY_TESTS.items():
        for want in prefer:
            row = next((r for r in rows if r["lang"] == lang and (r["test"] == want or
                                                                  (want == "CV" and "fold CV" in r["test"]))), None)
            if row:
                out[lang] = {"test": row["test"], **{m: row[m] for m in METRICS}}
                break
    return out


def record_accuracy(models_dir: str | os.PathLike, model_set_id: str, rows: Sequence[dict[str, Any]]) -> Path:
    """Write (merge) ``<models_dir>/accuracy.json``: this model set's summary and rows, kept by model-set id.

    Annotation provenance and the figures built on a parse read it (:meth:`ModelSet.accuracy`).
    """
    from ._atomic import write_text_atomic
    from .models import ACCURACY_FILE

    path = Path(models_dir) / ACCURACY_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    # merged: scores of other test sets and languages recorded earlier for this model set are kept
    new = {(r.get("test"), r.get("lang")) for r in rows}
    kept = [r for r in record.get("rows", {}).get(model_set_id, []) if (r.get("test"), r.get("lang")) not in new]
    merged = [*kept, *(dict(r) for r in rows)]
    record.setdefault("model_sets", {})[model_set_id] = summarise(merged)
    record.setdefault("rows", {})[model_set_id] = merged
    write_text_atomic(path, json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path


def record_annotation_accuracy(annotations_dir: str | os.PathLike, model_set_id: str,
                               rows: Sequence[dict[str, Any]]) -> Path:
    """Add the scores of the model set that made an annotations folder to its ``provenance.json``
    (``accuracy``, as :meth:`ModelSet.provenance` would have written it), e.g. for annotations made
    with a model directory that cannot be written to. The folder must be that model set's."""
    from ._atomic import write_text_atomic
    from .annotation import PROVENANCE_FILE, read_provenance

    directory = Path(annotations_dir)
    record = read_provenance(directory)
    if record is None:
        raise ParameterError(f"{directory}: no {PROVENANCE_FILE} (not an annotations folder)")
    if record.get("model_set") != model_set_id:
        raise ParameterError(f"{directory} was made by {record.get('model_set')!r}, not by {model_set_id!r}")
    record["accuracy"] = {**record.get("accuracy", {}), **summarise(rows)}   # other languages' scores kept
    path = directory / PROVENANCE_FILE
    write_text_atomic(path, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    return path
