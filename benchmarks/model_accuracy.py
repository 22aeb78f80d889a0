"""Accuracy and throughput of the active Stanza model set on the UD test sets (end to end).

Parses the raw text of a UD test treebank (reconstructed from the gold ``# text`` comments:
sentences of a paragraph joined by a space in English and by nothing in Chinese, paragraphs
(``# newpar`` / ``# newdoc``) separated by a blank line) with the active model set and scores the
output with the CoNLL 2018 shared task scorer that Stanza uses (``udtools.udeval``, called
through ``stanza.models.common.utils.ud_scores``). Prints F1 for Tokens, Sentences, Words, UPOS,
Lemmas, UAS, LAS and the parsing speed in words/s (model loading excluded).

    python benchmarks/model_accuracy.py --lang en                       # EWT test, ~25k words
    python benchmarks/model_accuracy.py --lang zh --sentences 450:500  # GSDSimp test[450:500]

Model set: --models/--package, TIFA_STANZA_DIR/TIFA_STANZA_PACKAGE, config, Stanza default (see
analysis/models.py). Treebanks: --ud DIR (default ../shared/ud relative to the current directory).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from analysis.models import resolve_model_set, stanza_language

TREEBANKS = {"en": "en_ewt-ud-test.conllu", "zh-hans": "zh_gsdsimp-ud-test.conllu"}
METRICS = ("Tokens", "Sentences", "Words", "UPOS", "Lemmas", "UAS", "LAS")


def read_blocks(path: Path) -> list[str]:
    """The sentences of a CoNLL-U file as text blocks (comments included)."""
    text = path.read_text(encoding="utf-8")
    return [b.strip("\n") for b in text.split("\n\n") if b.strip()]


def raw_text(blocks: list[str], lang: str) -> str:
    """Reconstruct the raw text: paragraphs separated by blank lines."""
    joiner = "" if lang.startswith("zh") else " "
    paragraphs: list[list[str]] = []
    for block in blocks:
        lines = block.splitlines()
        new_par = any(l.startswith(("# newpar", "# newdoc")) for l in lines) or not paragraphs
        sent = next(l.split("=", 1)[1].strip() for l in lines if l.startswith("# text"))
        if new_par:
            paragraphs.append([])
        paragraphs[-1].append(sent)
    return "\n\n".join(joiner.join(p) for p in paragraphs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", default="en", help="en or zh (zh-hans)")
    ap.add_argument("--sentences", default=None, help="slice of the test set, e.g. 450:500")
    ap.add_argument("--ud", default="../shared/ud", help="directory of the UD .conllu files")
    ap.add_argument("--models", default=None)
    ap.add_argument("--package", default=None)
    ap.add_argument("--keep", default=None, help="write the system CoNLL-U here")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args(argv)

    import torch
    from stanza.models.common.utils import ud_scores
    from stanza.utils.conll import CoNLL

    if args.threads:
        torch.set_num_threads(args.threads)
    lang = stanza_language(args.lang)
    gold_path = Path(args.ud) / TREEBANKS[lang]
    blocks = read_blocks(gold_path)
    if args.sentences:
        a, b = (int(x) if x else None for x in args.sentences.split(":"))
        blocks = blocks[a:b]
    text = raw_text(blocks, lang)

    model_set = resolve_model_set(args.models, args.package, require=(lang,))
    t0 = time.perf_counter()
    nlp = model_set.pipeline(lang)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    doc = nlp(text)
    parse_s = time.perf_counter() - t0
    n_words = sum(len(s.words) for s in doc.sentences)
    # Stanza's tokenizer emits "<UNK>" for a token longer than its maximum (e.g. a 600-character
    # URL in EWT); put the raw characters back so that the scorer can align the texts.
    for sent in doc.sentences:
        for tok in sent.tokens:
            raw = text[tok.start_char:tok.end_char]
            if tok.text != raw and len(tok.words) == 1:
                tok.text = raw
                tok.words[0].text = raw

    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp) / "gold.conllu"
        gold.write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
        system = Path(args.keep) if args.keep else Path(tmp) / "system.conllu"
        CoNLL.write_doc2conll(doc, str(system))
        evaluation = ud_scores(str(gold), str(system))

    print(f"model set {model_set.id} ({model_set.dir}), stanza {model_set.stanza_version}, torch threads {torch.get_num_threads()}, "
          f"cpus {os.cpu_count()}")
    print(f"test data: {gold_path.name}{'[' + args.sentences + ']' if args.sentences else ''}: {len(blocks)} sentences")
    print("| lang | " + " | ".join(METRICS) + " | words/s |")
    print("|---" * (len(METRICS) + 2) + "|")
    scores = " | ".join(f"{100 * evaluation[m].f1:.2f}" for m in METRICS)
    print(f"| {lang} | {scores} | {n_words / parse_s:,.0f} |")
    print(f"parsed {n_words} words in {parse_s:.1f} s (model load {load_s:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
