"""Where things live: the project's corpus directory and its annotations.

The seed corpus lives in the repository (``corpus/``), not in the installed package. Tifa looks
for it in this order: the ``TIFA_CORPUS`` environment variable; a ``corpus/`` directory holding a
``manifest.yaml`` or ``documents.jsonl`` in the current directory or one of its parents; the
``corpus/`` beside the package source (an editable install of a clone).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import CorpusError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def _is_corpus_dir(path: Path) -> bool:
    return (path / "manifest.yaml").is_file() or (path / "documents.jsonl").is_file()


def default_corpus_dir() -> Path:
    """The corpus directory Tifa uses when none is given (see the module docstring)."""
    env = os.environ.get("TIFA_CORPUS")
    if env:
        path = Path(env).expanduser()
        if not path.exists():
            raise CorpusError(f"TIFA_CORPUS={env}: no such directory")
        return path
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        cand = folder / "corpus"
        if _is_corpus_dir(cand):
            return cand
    cand = REPO_DIR / "corpus"
    if _is_corpus_dir(cand):
        return cand
    raise CorpusError(
        "no corpus found: run Tifa inside a clone of the project, set TIFA_CORPUS, or pass a path "
        "(import your own texts with `tifa corpus import PATH --out DIR`)"
    )


def project_dir() -> Path:
    """The project directory: the parent of the default corpus directory."""
    return default_corpus_dir().resolve().parent
