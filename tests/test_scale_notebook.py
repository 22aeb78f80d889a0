"""The scale notebook (notebooks/scale.ipynb) runs at one million words, writes only into its cache.

It generates a 1M-word corpus with benchmarks/make_corpus.py into a temporary cache folder
(``TIFA_SCALE_CACHE``) and takes it through load, KWIC, keyness, theme rates and a figure. Measured
on the 2-core development machine (shared with another job): about 60 s in all, of which about
20 s generate the corpus and its token store. It is not one of the paper's notebooks: `tifa
reproduce` does not run it, and it never writes into figures/.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from analysis.notebooks import notebook_paths, run_notebook, strip_outputs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "scale.ipynb"
STEPS = ("corpus", "load_tokens", "kwic", "keyness", "theme_rates", "figure")


def test_not_a_paper_notebook():
    assert NOTEBOOK.is_file()
    assert NOTEBOOK not in notebook_paths(ROOT / "notebooks")  # so `tifa reproduce` leaves it out
    assert not strip_outputs(nbformat.read(NOTEBOOK, as_version=4)), "strip the notebook's outputs before committing"


@pytest.mark.slow
def test_scale_notebook_runs_at_one_million_words(tmp_path):
    cache, figures = tmp_path / "cache", tmp_path / "figures"
    committed = {p.name: p.stat().st_mtime_ns for p in (ROOT / "figures").glob("*")}
    start = time.perf_counter()
    nb = run_notebook(NOTEBOOK, env={"TIFA_SCALE_WORDS": "1000000", "TIFA_SCALE_CACHE": str(cache),
                                     "TIFA_FIGURES_DIR": str(figures)})
    seconds = time.perf_counter() - start
    print(f"scale notebook at 1M words: {seconds:.1f} s")
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.output_type == "stream")
    for name in STEPS:
        assert f"\n{name}" in f"\n{text}", f"no time printed for {name}"
    assert "1,005,020 words" in text
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    for ext in ("png", "svg", "csv", "json"):
        assert (cache / "figures" / f"scale_theme_rates_by_source_1000000.{ext}").is_file(), ext
    assert (cache / "tifa-bench-1000000" / "documents.jsonl").is_file()
    assert not figures.exists()  # nothing for figures/, wherever it points
    assert {p.name: p.stat().st_mtime_ns for p in (ROOT / "figures").glob("*")} == committed
    # a second run reuses the cached corpus
    start = time.perf_counter()
    run_notebook(NOTEBOOK, env={"TIFA_SCALE_WORDS": "1000000", "TIFA_SCALE_CACHE": str(cache)})
    print(f"again, from the cache: {time.perf_counter() - start:.1f} s")
