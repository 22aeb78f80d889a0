"""Loading speed and memory of the Tokens table: CoNLL-U against the columnar token store.

    python benchmarks/load_speed.py                      # 1M and 10M words (generated into /tmp if absent)
    python benchmarks/load_speed.py --words 1000000      # one size
    python benchmarks/load_speed.py --no-conllu          # skip the slow CoNLL-U-only load

For each corpus (benchmarks/make_corpus.py, seeded): the first load (CoNLL-U → store, the store
removed beforehand), the warm load from the store (all columns; only ``doc_id, lemma, upos``;
only one outlet's documents), bytes per word of each loaded table (``memory_usage(deep=True)``,
index included), the memory estimate ``load_tokens`` made before building it (the table's, as a
ratio to the measured bytes: 1.00 is exact; a filtered read estimates the row groups it reads), and
the load from CoNLL-U without the store for comparison. Targets at 10M words: warm load ≤ 3 s,
≤ 40 bytes per word for the columns an analysis needs.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analysis  # noqa: E402
from analysis import tokens as tokens_module  # noqa: E402
from analysis.store import FILES_RECORD, STORE_FILE  # noqa: E402
from analysis.tokens import bytes_per_token, load_tokens  # noqa: E402
from make_corpus import make_corpus  # noqa: E402


def _timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


_ESTIMATES: list[int] = []
_check_memory = tokens_module.check_memory


def _recording_check(needed, what, way_out, *, table=None):
    """load_tokens' memory check, recording the estimate of the table (benchmark only)."""
    if table is not None:  # a read's check (the store's build is checked with its parsing peak only)
        _ESTIMATES.append(table)
    return _check_memory(needed, what, way_out, table=table)


tokens_module.check_memory = _recording_check


def run(words: int, folder: Path, conllu: bool) -> list[tuple[str, int, float, float, float]]:
    if not (folder / "documents.jsonl").is_file():
        print(f"generating {words:,} words into {folder} ...", flush=True)
        make_corpus(words, folder)
    corpus = analysis.load_corpus(folder)
    for path in folder.glob(f"annotations/*/{STORE_FILE}"):
        path.unlink()
    for path in folder.glob(f"annotations/*/{FILES_RECORD}"):
        path.unlink()
    rows = []

    def measure(label, **kwargs):
        _ESTIMATES.clear()
        tokens, seconds = _timed(lambda: load_tokens(corpus, **kwargs))
        ratio = _ESTIMATES[-1] / float(tokens.memory_usage(deep=True).sum()) if _ESTIMATES else float("nan")
        rows.append((label, len(tokens), seconds, bytes_per_token(tokens), ratio))
        print(f"  {label:<38} {len(tokens):>12,} rows {seconds:8.2f} s {bytes_per_token(tokens):7.1f} bytes/word"
              f"  estimate/measured {ratio:5.2f}", flush=True)
        return tokens

    measure("first load (CoNLL-U -> store)")
    measure("warm load, all columns")
    measure("warm load, all columns (again)")
    measure("warm load, doc_id,lemma,upos", columns=["doc_id", "lemma", "upos"])
    outlet = corpus[corpus.doc_ids[0]].outlet
    measure(f"warm load, outlet={outlet[:12]!r}", outlet=outlet)
    if conllu:
        measure("CoNLL-U only (store=False)", store=False)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, action="append", help="corpus size(s) (default: 1M and 10M)")
    parser.add_argument("--dir", default="/tmp", help="where generated corpora live (default /tmp)")
    parser.add_argument("--no-conllu", action="store_true", help="skip the CoNLL-U-only load")
    args = parser.parse_args(argv)
    sizes = args.words or [1_000_000, 10_000_000]
    print(f"load_tokens on {os.cpu_count()} CPUs; pandas {__import__('pandas').__version__}, "
          f"pyarrow {__import__('pyarrow').__version__}")
    table = []
    for words in sizes:
        folder = Path(args.dir) / f"tifa-bench-{words}"
        print(f"{folder}:", flush=True)
        table += [(words, *row) for row in run(words, folder, not args.no_conllu)]
    print("\n| corpus words | load | rows | seconds | bytes/word | estimate/measured |\n|---:|---|---:|---:|---:|---:|")
    for words, label, n, seconds, bpw, ratio in table:
        print(f"| {words:,} | {label} | {n:,} | {seconds:.2f} | {bpw:.1f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
