"""The public API: docs/api.md's vocabulary holds for every public function, every public name
imports from `analysis`, no module shadows a function, and every plot is named plot_*."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import analysis
import analysis.plots

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    nxt = text.find("\n## ", start + 3)
    return text[start: nxt if nxt >= 0 else None]


def _first_column_names(section: str) -> set[str]:
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= set("|- "):
            first = line.split("|")[1]
            names.update(re.findall(r"`\*{0,2}([A-Za-z_][A-Za-z0-9_]*)`", first))
    return names


def _vocabulary() -> set[str]:
    text = API_MD.read_text(encoding="utf-8")
    vocab = _first_column_names(_section(text, "The vocabulary"))
    # the plots' named arguments are listed in prose too
    prose = _section(text, "The vocabulary")
    vocab |= set(re.findall(r"`([a-z_]+)`", prose.split("Each plot's first argument")[1].split("Other names")[0]))
    vocab.discard("by=")
    return vocab


def _public_names() -> set[str]:
    section = _section(API_MD.read_text(encoding="utf-8"), "Public names")
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= set("|- ") and "names" not in line:
            names.update(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", line.split("|")[2]))
    return names


def _callables():
    """(qualified name, callable) for every public function, class constructor and public method."""
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            continue
        if inspect.isclass(obj):
            yield name, obj
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and inspect.isfunction(member):
                    yield f"{name}.{attr}", member
        elif callable(obj):
            yield name, obj


def test_every_public_name_resolves():
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name


def test_docs_api_lists_exactly_the_public_names():
    listed = _public_names()
    assert listed, "docs/api.md has no Public names table"
    assert listed == set(analysis.__all__), (sorted(listed - set(analysis.__all__)),
                                             sorted(set(analysis.__all__) - listed))
    for name in listed:
        assert getattr(analysis, name) is not None


def test_every_parameter_name_is_in_the_vocabulary():
    vocab = _vocabulary()
    assert {"by", "field", "window", "top", "case_sensitive", "filters", "within"} <= vocab
    bad = []
    for qualname, obj in _callables():
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            continue
        for p in sig.parameters.values():
            if p.name in ("self", "cls", "args", "kwargs"):
                continue
            if p.name not in vocab:
                bad.append(f"{qualname}({p.name}=)")
    assert not bad, "parameter names outside docs/api.md's vocabulary: " + ", ".join(bad)


def test_by_always_groups():
    """`by=` takes column names to group by; no public function uses it for the term field."""
    for qualname, obj in _callables():
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            continue
        by = sig.parameters.get("by")
        if by is not None and isinstance(by.default, str):
            assert by.default not in ("form", "lemma", "upos"), f"{qualname}: by= defaults to a term field"


def test_no_module_shadows_a_function():
    for name in analysis.__all__:
        if callable(getattr(analysis, name)) and not inspect.isclass(getattr(analysis, name)):
            with pytest.raises(ModuleNotFoundError):
                importlib.import_module(f"analysis.{name}")
    import analysis.concordance as module  # the module is reachable under its own name

    assert inspect.ismodule(module) and analysis.kwic is module.kwic
    assert analysis.annotate.__module__ == "analysis.annotation"


def test_every_plot_is_named_plot_and_exported():
    found = set()
    for info in pkgutil.iter_modules(analysis.plots.__path__):
        if info.name == "style":
            continue
        module = importlib.import_module(f"analysis.plots.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                assert name.startswith("plot_"), f"analysis.plots.{info.name}.{name} is not named plot_*"
                found.add(name)
    assert found and found <= set(analysis.__all__), sorted(found - set(analysis.__all__))


def test_every_error_class_is_in_errors_and_exported():
    import analysis.errors as errors

    classes = {n for n, o in vars(errors).items() if inspect.isclass(o) and issubclass(o, Exception)}
    assert classes <= set(analysis.__all__)
    assert issubclass(errors.ParameterError, ValueError) and issubclass(errors.ParameterError, errors.TifaError)
    assert issubclass(errors.EmptySelectionError, errors.ParameterError)
    root = Path(analysis.__file__).parent
    for path in root.rglob("*.py"):
        if path.name != "errors.py":
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"^class \w+(Error|Exception)\(", text, re.M), f"{path.name} defines an error class"


# -- one core: no module keeps a private copy of a primitive --------------------------------------

_PACKAGE = Path(analysis.__file__).parent
#: (pattern, files allowed to contain it, what it would be a copy of)
_GUARDED = [
    (r"""["']PUNCT["']|["']SYM["']""", {"_core.py"}, "a definition of punctuation (use analysis._core.is_word)"),
    (r"unicodedata\.category", {"_core.py", "importers.py"},  # importers: control characters in ids
     "a punctuation rule by character class (use analysis._core.is_word)"),
    (r"\bfnmatch\b", set(), "a second term matcher (use the query language: analysis._core.match)"),
    (r"\\u4e00|\\u3400|\\uf900", {"languages.py"}, "a Han-character pattern (use analysis.languages)"),
    (r"""==\s*["']zh["']|!=\s*["']zh["']|startswith\(\s*["']zh""", {"languages.py"},
     "a hard-coded language test (use analysis.languages: is_spaced, joiner, canonical)"),
    (r"def (metadata_mask|select_rows|punct_mask|_punct)\b", set(), "a second filter or punctuation function"),
    (r"^\s*raise (ValueError|TypeError|KeyError)\(", set(), "an error outside analysis.errors"),
]


@pytest.mark.parametrize("pattern,allowed,what", _GUARDED, ids=[g[2].split(" (")[0] for g in _GUARDED])
def test_no_private_copy_of_a_core_primitive(pattern, allowed, what):
    offenders = []
    for path in sorted(_PACKAGE.rglob("*.py")):
        if path.name in allowed:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line, re.M):
                offenders.append(f"{path.relative_to(_PACKAGE)}:{lineno}: {line.strip()}")
    assert not offenders, f"{what}:\n" + "\n".join(offenders)
