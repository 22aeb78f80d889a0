"""Running the paper's notebooks headless (what `tifa reproduce` does after the corpus).

Notebooks are committed with their outputs stripped (:func:`strip_outputs`, checked by the test
suite) and executed in a fresh kernel with a fixed hash seed, so the figures they write are
byte-identical from run to run.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from .errors import TifaError
from .paths import project_dir


class NotebookError(TifaError):
    """A notebook failed to execute."""


def notebook_paths(folder: str | Path | None = None) -> list[Path]:
    """The paper's notebooks, in order: ``notebooks/NN_*.ipynb``."""
    folder = Path(folder) if folder is not None else project_dir() / "notebooks"
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def strip_outputs(nb: nbformat.NotebookNode) -> bool:
    """Remove outputs and execution counts in place; return True if anything changed."""
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                changed = True
            cell["outputs"] = []
            cell["execution_count"] = None
    return changed


def run_notebook(path: str | Path, *, timeout: int = 1200, env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Execute one notebook in a fresh kernel (cwd = its folder); return the executed copy.

    The file itself is not modified. ``PYTHONHASHSEED=0`` and ``MPLBACKEND=Agg`` are set for the
    kernel; ``env`` adds variables (e.g. ``TIFA_FIGURES_DIR``).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    saved = {k: os.environ.get(k) for k in ("PYTHONHASHSEED", "MPLBACKEND", *(env or {}))}
    os.environ.update({"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", **(env or {})})
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    except CellExecutionError as exc:
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise NotebookError(f"{path.name} failed: {last}") from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb
