"""``tifa site``: the static HTML site for readers and students (Sphinx + MyST-NB + PyData theme).

What it holds: the paper's notebooks ``01``–``08`` and the seminar notebook, executed once here
with their outputs (KWIC tables, figures); the README as the getting-started page; the pages of
``docs/`` (query language, models, the API vocabulary, and ``scale.md`` when present); an API
reference generated from the docstrings; and the interactive topic map (pyLDAvis) that
``06_topics.ipynb`` writes, linked from the notebooks page.

How: the sources are assembled in a staging folder ``<out_dir>/_src`` (``docs/conf.py`` and
``docs/*.md`` copied, the README and the executed notebooks added), then Sphinx builds
``<out_dir>/html`` with warnings as errors (``-W --keep-going -n``). Nothing outside ``out_dir``
is written: the notebooks' figures go to ``_src/_figures`` (``TIFA_FIGURES_DIR``), not to the
committed ``figures/``, and the topic map to ``_src/_extra/topic_map.html`` (``TIFA_TOPIC_MAP``).
The built site is not committed (``site/`` is ignored by git).
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import time
from collections.abc import Iterable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from .errors import ParameterError, TifaError
from .paths import project_dir

#: The notebooks of the site, in reading order (the seminar's solutions are left out: students
#: should reach them from their teacher, not from the handout's site).
SITE_NOTEBOOKS = ("01_corpus", "02_themes", "03_dispersion", "04_keyness", "05_collocation", "06_topics",
                  "07_rhetoric", "08_bilingual", "seminar")

#: Modules of the API reference, in the order of the data flow.
REFERENCE_MODULES = (
    ("Corpus and annotation", ["analysis.corpus", "analysis.importers", "analysis.annotation", "analysis.tokens",
                               "analysis.models"]),
    ("Queries and concordances", ["analysis.query", "analysis.concordance", "analysis.explorer"]),
    ("Counts and comparisons", ["analysis.wordlist", "analysis.keywords", "analysis.collocation", "analysis.sketch",
                                "analysis.distribution", "analysis.contingency", "analysis.inference"]),
    ("Themes, topics, rhetoric", ["analysis.themes", "analysis.topics", "analysis.rhetoric",
                                  "analysis.phraseology"]),
    ("Chinese originals and translations", ["analysis.bilingual"]),
    ("Figures and reproduction", ["analysis.figures", "analysis.reproduce", "analysis.notebooks", "analysis.site"]),
    ("Errors", ["analysis.errors"]),
)

DOC_PAGES = ("query-language.md", "models.md", "api.md", "scale.md")


_FIGURE_DISPLAY = """\
# written by tifa site (analysis.site): a matplotlib Figure as a cell's value shows as a PNG
from IPython import get_ipython
from IPython.core.pylabtools import print_figure

get_ipython().display_formatter.formatters["image/png"].for_type_by_name(
    "matplotlib.figure", "Figure", lambda fig: print_figure(fig, "png", bbox_inches="tight", dpi=100))
"""


def site_dir() -> Path:
    """Where ``tifa site`` builds by default: the project's ``site/`` (ignored by git)."""
    return project_dir() / "site"


def _title(md: str, fallback: str) -> str:
    m = re.search(r"^#\s+(.+)$", md, flags=re.M)
    return m.group(1).strip() if m else fallback


def _notebook_title(path: Path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            return _title(cell.source, path.stem)
    return path.stem


def _getting_started(readme: str) -> str:
    """The README as the getting-started page: its first heading becomes the page title."""
    body = re.sub(r"^#\s+.+$", "# Getting started", readme, count=1, flags=re.M)
    return body


def _reference_page() -> str:
    parts = ["# API reference\n",
             "Generated from the docstrings. The argument names follow one vocabulary "
             "([The API: one vocabulary, one core](api.md)); every public name also imports from "
             "`analysis` itself.\n"]
    for heading, modules in REFERENCE_MODULES:
        parts.append(f"\n## {heading}\n")
        for module in modules:
            parts.append(f"\n```{{eval-rst}}\n.. automodule:: {module}\n```\n")
    return "".join(parts)


def _notebooks_page(names: list[str], titles: dict[str, str], topic_map: bool) -> str:
    lines = ["# The notebooks\n",
             "Each notebook was executed top to bottom in a fresh kernel when this site was built; what you "
             "see are its real outputs. The figures are the paper's; `tifa reproduce` writes them, with the "
             "data behind each, to `figures/` of the repository.\n"]
    if topic_map:
        lines.append('\nThe topic model of notebook 6 can also be explored interactively: '
                     '<a href="topic_map.html">the topic map</a> (pyLDAvis; one page that works offline).\n')
    if "seminar" in names:
        lines.append("\nSeminar students: the handout is [the seminar notebook](notebooks/seminar.ipynb); "
                     "download the `.ipynb` from the repository to do the exercises.\n")
    lines.append("\n```{toctree}\n:maxdepth: 1\n\n")
    lines.extend(f"{titles[n]} <notebooks/{n}>\n" for n in names)
    lines.append("```\n")
    return "".join(lines)


def _check_names(notebooks: Iterable[str] | None) -> list[str]:
    if notebooks is None:
        return list(SITE_NOTEBOOKS)
    names = [Path(str(n)).stem for n in ([notebooks] if isinstance(notebooks, str) else notebooks)]
    unknown = [n for n in names if n not in SITE_NOTEBOOKS]
    if unknown or not names:
        raise ParameterError(f"notebooks: unknown {unknown or 'empty list'}; choose among {', '.join(SITE_NOTEBOOKS)}")
    return [n for n in SITE_NOTEBOOKS if n in names]


def _execute(paths: list[Path], *, workers: int, env: dict[str, str], say) -> dict[str, object]:
    """Execute the notebooks, ``workers`` kernels at a time; return the executed copies by name."""
    from concurrent.futures import ThreadPoolExecutor

    from .notebooks import run_notebook

    def one(p: Path):
        t = time.perf_counter()
        nb = run_notebook(p, env=env)
        say(f"  {p.name}: {time.perf_counter() - t:.1f} s")
        return nb

    # the longest first (06_topics: its 65-model sweep takes about a minute), the others beside it
    ordered = sorted(paths, key=lambda p: p.stem != "06_topics")
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {p.stem: pool.submit(one, p) for p in ordered}
        errors = [f.exception() for f in futures.values() if f.exception() is not None]
    if errors:
        raise errors[0]
    return {name: f.result() for name, f in futures.items()}


def build_site(out_dir: str | Path | None = None, *, notebooks: Iterable[str] | None = None, workers: int = 2,
               progress: bool = False) -> Path:
    """Build the static site into ``out_dir`` (default ``site/``); return the path of its ``index.html``.

    ``notebooks``: the names of the notebooks to include (default: all of :data:`SITE_NOTEBOOKS`);
    they are executed here, ``workers`` at a time. ``progress``: print each step to stderr.
    Raises :class:`~analysis.errors.NotebookError` when a notebook fails and
    :class:`~analysis.errors.TifaError` when Sphinx reports a warning or an error (a broken
    cross-reference, bad markup); the message lists them.
    """
    names = _check_names(notebooks)  # before anything is imported or written
    import nbformat

    root = project_dir()
    out = Path(out_dir) if out_dir is not None else site_dir()
    src, html = out / "_src", out / "html"
    conf = root / "docs" / "conf.py"
    if not conf.is_file():
        raise TifaError(f"{conf} is missing: tifa site builds from the project's docs/ (run it inside a clone)")

    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    (src / "_extra").mkdir()
    shutil.copy2(conf, src / "conf.py")
    index = (root / "docs" / "index.md").read_text(encoding="utf-8")
    if "seminar" not in names:  # a partial build (the tests): no handout line
        index = "\n".join(line for line in index.splitlines() if "notebooks/seminar" not in line) + "\n"
    (src / "index.md").write_text(index, encoding="utf-8")
    pages = [p for p in DOC_PAGES if (root / "docs" / p).is_file()]
    for page in pages:
        shutil.copy2(root / "docs" / page, src / page)
    (src / "getting-started.md").write_text(_getting_started((root / "README.md").read_text(encoding="utf-8")),
                                            encoding="utf-8")
    (src / "reference.md").write_text(_reference_page(), encoding="utf-8")
    (src / "docs.md").write_text(
        "# Documentation\n\n```{toctree}\n:maxdepth: 2\n\n"
        + "".join(f"{p[:-3]}\n" for p in pages) + "reference\n```\n", encoding="utf-8")

    # 1. execute the notebooks once, figures and the topic map into the staging folder
    paths = [root / "notebooks" / f"{n}.ipynb" for n in names]
    # figures stay on Agg (analysis.plots sets it, as for tifa reproduce); a startup file of the
    # kernel's own IPython profile shows a cell's Figure value as a PNG under the cell
    startup = src / "_ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-tifa-site.py").write_text(_FIGURE_DISPLAY, encoding="utf-8")
    env = {"IPYTHONDIR": str((src / "_ipython").resolve()),
           "TIFA_FIGURES_DIR": str((src / "_figures").resolve()),
           "TIFA_TOPIC_MAP": str((src / "_extra" / "topic_map.html").resolve())}
    say(f"[1/2] executing {len(paths)} notebook(s), {workers} at a time")
    executed = _execute(paths, workers=workers, env=env, say=say)
    for name in names:
        nbformat.write(executed[name], src / "notebooks" / f"{name}.ipynb")
    titles = {n: _notebook_title(src / "notebooks" / f"{n}.ipynb") for n in names}
    topic_map = (src / "_extra" / "topic_map.html").is_file()
    (src / "notebooks.md").write_text(_notebooks_page(names, titles, topic_map), encoding="utf-8")

    # 2. Sphinx, warnings as errors
    say("[2/2] sphinx-build -W --keep-going -n")
    from sphinx.cmd.build import build_main

    log = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(log):
        status = build_main(["-b", "html", "-W", "--keep-going", "-n", "-q", "-E",
                             "-d", str(out / "_doctrees"), str(src), str(html)])
    if status != 0:
        problems = [line for line in log.getvalue().splitlines() if line.strip()]
        raise TifaError("the site build reported problems (warnings are errors):\n" + "\n".join(problems[:200]))
    say(f"site: {html / 'index.html'} ({time.perf_counter() - t0:.0f} s)")
    return html / "index.html"
