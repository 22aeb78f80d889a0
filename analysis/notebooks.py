"""Running the paper's notebooks headless (what `tifa reproduce` does after the corpus).

Notebooks are committed with their outputs stripped (:func:`strip_outputs`, checked by the test
suite) and executed in a fresh kernel with a fixed hash seed, so the figures they write are
byte-identical from run to run.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from .errors import NotebookError, TifaError
from .paths import project_dir




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

    The file itself is not modified. The kernel gets this process's environment plus
    ``PYTHONHASHSEED=0``, ``MPLBACKEND=Agg`` and ``env`` (e.g. ``TIFA_FIGURES_DIR``); nothing in
    this process's environment changes, so notebooks can run in parallel threads.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    kernel_env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", **(env or {})}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=kernel_env)
    except CellExecutionError as exc:
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise NotebookError(f"{path.name} failed: {last}") from None
    return nb


def run_notebooks(paths: list[Path], *, workers: int = 1, env: dict[str, str] | None = None,
                  on_done=None) -> dict[Path, float]:
    """Execute several notebooks, ``workers`` kernels at a time; return seconds per notebook.

    Notebooks are independent (each writes its own figures), so running two at once on a
    2-core machine roughly halves the wall time without changing any output. ``on_done(path,
    seconds)`` is called as each finishes. The first failure is raised after the others end.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def one(p: Path) -> float:
        t = time.perf_counter()
        run_notebook(p, env=env)
        return time.perf_counter() - t

    times: dict[Path, float] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(one, p): p for p in paths}
        errors = []
        for fut in as_completed(futures):
            p = futures[fut]
            try:
                times[p] = fut.result()
                if on_done:
                    on_done(p, times[p])
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the other kernels end
                errors.append(exc)
    if errors:
        raise errors[0]
    return times
