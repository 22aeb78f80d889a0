"""`tifa reproduce`: rebuild everything the paper shows, from raw text to figures/.

Steps:

1. build the corpus (``corpus/documents.jsonl``) from the raw text and the manifest;
2. check the committed annotations (``corpus/annotations/``) against the corpus and the model set,
   and re-annotate with Stanza only what is out of date;
3. execute every notebook ``notebooks/NN_*.ipynb`` headless (each writes its figures);
4. write the figures index ``figures/README.md`` from the figures' provenance records.

Each step is safe to interrupt: rerun the command and it picks up where it stopped (the corpus and
annotations are written atomically, figures are rewritten whole).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TextIO

from tqdm.auto import tqdm

from ._atomic import write_text_atomic
from .annotation import ensure_annotations
from .build import build
from .cli._common import print_table
from .figures import figures_dir
from .notebooks import notebook_paths, run_notebooks
from .paths import project_dir


def figures_index(folder: str | Path | None = None) -> str:
    """The Markdown text of ``figures/README.md``: one row per figure (file, notebook, caption)."""
    folder = Path(folder) if folder is not None else figures_dir()
    lines = [
        "# Figures of the paper",
        "",
        "Written by `tifa reproduce` (do not edit by hand). Each figure comes as PNG and SVG, with the",
        "CSV of the numbers it draws and a JSON provenance record (package versions, model set, seed,",
        "corpus checksum).",
        "",
        "| figure | notebook | caption |",
        "|---|---|---|",
    ]
    for record_path in sorted(folder.glob("*.json")):
        rec = json.loads(record_path.read_text(encoding="utf-8"))
        name = rec.get("figure", record_path.stem)
        lines.append(f"| [{name}]({name}.png) | [{rec.get('notebook', '')}](../notebooks/{rec.get('notebook', '')}) "
                     f"| {rec.get('caption', '')} |")
    return "\n".join(lines) + "\n"


def reproduce(corpus_dir: str | Path | None = None, *, notebooks: bool = True, workers: int = 2,
              out: TextIO | None = None) -> int:
    """Run every step of the paper's pipeline; return 0 on success.

    ``workers`` notebooks run at a time (default 2, one per core here); outputs do not depend on it.
    """
    out = out or sys.stdout
    t0 = time.perf_counter()
    corpus, path, changed = build(corpus_dir)
    print(f"[1/4] corpus: {path} ({'rebuilt' if changed else 'up to date'})", file=out)
    print_table(corpus.summary(), "text", out=out)

    report = ensure_annotations(corpus)  # the corpus's own annotations folder
    print(f"[2/4] annotations: {report}", file=out)

    if notebooks:
        paths = notebook_paths(project_dir() / "notebooks")
        # the longest notebook (topics) first, so two kernels finish together
        paths.sort(key=lambda p: (not p.name.startswith("06_"), p.name))
        with tqdm(total=len(paths), desc="[3/4] notebooks", unit="nb", file=sys.stderr) as bar:
            def done(p: Path, seconds: float) -> None:
                bar.update(1)
                print(f"      {p.name}: {seconds:.1f} s", file=out)

            run_notebooks(paths, workers=workers, on_done=done)
        index = figures_dir() / "README.md"
        write_text_atomic(index, figures_index())
        print(f"[4/4] figures: {figures_dir()} (index {index.name})", file=out)
    print(f"done in {time.perf_counter() - t0:.1f} s", file=out)
    return 0
