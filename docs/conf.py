"""Sphinx configuration of Tifa's site (``tifa site``; :mod:`analysis.site`).

Why the PyData stack: the site's main content is executed Jupyter notebooks (outputs, KWIC
tables, figures), Markdown pages and docstrings. MyST-NB renders .ipynb and .md natively with
their stored outputs (no re-execution here: ``tifa site`` executes the notebooks once, before
Sphinx runs), Sphinx's autodoc turns the docstrings into the API reference with cross-references,
and pydata-sphinx-theme is the theme of the scientific-Python sites (pandas, NumPy, matplotlib)
that readers of a Python research package already know. All of it works offline.

``tifa site`` copies this file into the staging folder it builds from, so every path below is
relative to that folder, not to docs/.
"""

from __future__ import annotations

import analysis

project = "Tifa (提法)"
author = "Tifa developers"
copyright = "Tifa developers"
version = release = getattr(analysis, "__version__", "")

extensions = ["myst_nb", "sphinx.ext.autodoc"]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_extra", "_figures", "_ipython"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# The notebooks arrive executed (by tifa site, in a fresh kernel with a fixed hash seed).
nb_execution_mode = "off"
nb_merge_streams = True

# The API reference: signatures without type hints (the docstrings say what each argument is);
# members in source order, as the modules present them.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}

# Build warnings are errors (tifa site runs sphinx with -W --keep-going -n). No intersphinx (the
# build is offline), so references to types of other projects have no target; they are listed
# here, each because a docstring of the package names it.
nitpicky = True
nitpick_ignore_regex = [
    # pandas / NumPy / matplotlib / gensim / Stanza types named in docstrings and signatures
    (r"py:.*", r"(pd|pandas|np|numpy|matplotlib|plt|gensim|stanza|nbformat|ipywidgets)\..*"),
    # the standard library's types (no intersphinx to docs.python.org offline)
    (r"py:.*", r"(pathlib\.)?Path|os\.PathLike|collections\.abc\..*|typing\..*"),
]

html_theme = "pydata_sphinx_theme"
html_title = "Tifa (提法)"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_context = {"default_mode": "light"}  # the notebooks' figures are drawn on white
html_sidebars = {"**": ["sidebar-nav-bs"]}
# pages copied to the site as they are: the interactive topic map (written by 06_topics.ipynb)
html_extra_path = ["_extra"]
html_static_path: list[str] = []
html_last_updated_fmt = None


# ---------------------------------------------------------------------------------------------
# Docstrings are the package's own prose, written for ``help()`` and Jupyter, not for a Sphinx
# dialect. Two small bridges keep them as they are:
# ---------------------------------------------------------------------------------------------
import importlib
import re
import sys


_LITERAL = re.compile(r"(``.+?``|`[^`]+`_{0,2}|:\w+:`[^`]*`)")  # literals, roles and links: as written
_EMPHASIS = re.compile(r"(?<![\w*\\])(\*\*?)(?=[^\s*])(.+?)(?<=[^\s*\\])\1(?![\w*])")


def _prose_part(text: str) -> str:
    text = text.replace("|", r"\|")
    text = re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", text)  # fitted attributes (doc_topic_), not link targets
    out, last = [], 0
    for m in _EMPHASIS.finditer(text):  # *emphasis* and **strong** stay; any other * is a literal star
        out.append(text[last:m.start()].replace("*", r"\*"))
        out.append(m.group(0))
        last = m.end()
    out.append(text[last:].replace("*", r"\*"))
    return "".join(out)


def _valid_rest(lines: list[str]) -> bool:
    """Whether a docstring parses as reST without a warning (Sphinx's roles stand in as literals)."""
    import io

    import docutils.core

    text = re.sub(r":[\w:]+:`([^`]*)`", r"``\1``", "\n".join(lines))
    stream = io.StringIO()
    docutils.core.publish_doctree(text, settings_overrides={
        "report_level": 2, "halt_level": 5, "warning_stream": stream, "file_insertion_enabled": False})
    return not stream.getvalue()


def _plain_prose(app, what, name, obj, options, lines):
    """The docstrings use no reST substitutions or link targets and write formulas in plain text
    (``K*``, ``f(*,R,Y)``, ``|A ∩ B|``, ``**filters``, ``doc_topic_``): outside inline literals and
    roles, ``|``, a trailing ``_`` and every ``*`` that is not a ``*emphasis*`` pair are literal.
    A docstring laid out for ``help()`` in a way reST cannot parse (an indented line after a
    paragraph, a definition list without its blank line) is shown verbatim, as ``help()`` shows
    it, instead of failing the build."""
    original = list(lines)
    for i, line in enumerate(lines):
        lines[i] = "".join(p if _LITERAL.fullmatch(p) else _prose_part(p) for p in _LITERAL.split(line))
    if not _valid_rest(lines):
        lines[:] = ["::", ""] + ["    " + line if line.strip() else "" for line in original] + [""]


def _python_target(target: str, module: str | None, cls: str | None):
    """Where a name of a docstring really lives: ``analysis.kwic`` → ``analysis.concordance.kwic``;
    a bare ``Corpus`` → the object of that name in the referencing module or in ``analysis``."""
    candidates = [target]
    if module and cls:
        candidates.append(f"{module}.{cls}.{target}")
    if module:
        candidates.append(f"{module}.{target}")
    candidates.append(f"analysis.{target}")
    fallback = None
    for dotted in candidates:
        head, *rest = dotted.split(".")
        try:
            obj = importlib.import_module(head)
            real = head
            for i, part in enumerate(rest):
                try:
                    obj = getattr(obj, part)
                except AttributeError:
                    if isinstance(obj, type) and i == len(rest) - 1 and fallback is None:
                        fallback = f"{real}.{part}"  # perhaps an instance attribute (``#:``)
                    obj = importlib.import_module(".".join([head, *rest[: i + 1]]))
                owner, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
                if isinstance(obj, type(sys)):
                    real = obj.__name__
                elif isinstance(owner, str) and owner.startswith("analysis") and isinstance(qual, str):
                    real = f"{owner}.{qual}"
                else:  # an attribute, a constant or an alias: documented under its owner's name
                    real = f"{real}.{part}"
        except (ImportError, AttributeError):
            continue
        return real, obj
    return fallback, None


def _resolve(app, env, node, contnode):
    """Resolve a Python cross-reference by the object it names: re-exported names
    (``analysis.select``) link to where they are documented; names the reference does not
    document (private helpers such as ``analysis._core.match``, type aliases, fitted attributes
    such as ``doc_topic_``) render as code without a link. A name that names nothing in the
    package still fails the build."""
    if node.get("refdomain") != "py":
        return None
    target = re.sub(r"\s+", "", node["reftarget"]).lstrip("~.")
    if target.endswith("_") and node.get("py:class"):
        return contnode  # a fitted attribute, described in its class's docstring
    real, obj = _python_target(target, node.get("py:module"), node.get("py:class"))
    if real is None or not real.startswith("analysis"):
        return None
    domain = env.get_domain("py")
    new = node.deepcopy()
    new["reftarget"] = real
    new["refspecific"] = False
    found = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], real, new, contnode)
    if found is not None:
        return found
    found = domain.resolve_any_xref(env, node["refdoc"], app.builder, real, new, contnode)
    if found:
        return found[0][1]
    if obj is None:
        return None  # an instance attribute the reference does not list: let the warning stand
    return contnode  # it exists in the package but has no entry of its own in the reference


def setup(app):
    app.connect("autodoc-process-docstring", _plain_prose)
    app.connect("missing-reference", _resolve)
