"""The README's "Your own corpus in Jupyter" section runs as written.

The test takes the section's ```python blocks from README.md, in order, and executes them as one
notebook would: in one namespace, in a fresh working directory that holds the ``my.csv`` the
section reads (the corpus of ``test_foreign_corpus``, with the section's columns ``doc_id``,
``source``, ``text``). Any error in the README code (a renamed function or argument, a wrong
column) fails the test; so does a missing section or figure.

Parsing: the section calls ``analysis.annotate(corpus)`` with no arguments, i.e. with the Stanza
models found by ``resolve_model_set``. The fast test runs everywhere without models: it replaces
the two things ``annotate`` looks up — ``analysis.annotation.resolve_model_set`` (returns the fake
model set) and ``analysis.annotation.stanza_pipeline_factory`` (the fake parser of
``test_annotate``) — and points ``TIFA_STANZA_DIR`` at an empty folder, so that
``load_tokens(corpus)`` finds the fake annotations through their provenance, as it finds
committed ones. The slow test runs the section unchanged with the real compact models (found as
``test_annotate._real_model_dir`` finds them; skipped without them): a few seconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import annotation, models
from test_annotate import FakeParsers, _real_model_dir, fake_model_set
from test_foreign_corpus import write_csv

README = Path(__file__).resolve().parents[1] / "README.md"
TITLE = "## Your own corpus in Jupyter"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    assert TITLE in text, f"README.md has no section {TITLE!r}"
    body = text.split(TITLE, 1)[1]
    return body.split("\n## ", 1)[0]


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", section(), flags=re.S | re.M)


def test_the_section_is_a_path_from_a_csv_to_a_figure():
    text = section()
    blocks = python_blocks()
    assert len(blocks) >= 3
    code = "\n".join(blocks)
    for step in ("read_corpus(\"my.csv\")", ".save(", "analysis.annotate(corpus)", "analysis.load_tokens(corpus)",
                 "analysis.keyness(", "analysis.theme_rates(", "analysis.plot_theme_rates(", ".savefig("):
        assert step in code, step
    for hint in ("jupyter lab", "tifa models download", "TIFA_STANZA_DIR", "tifa corpus import"):
        assert hint in text, hint
    # the section follows the paragraph on importing a corpus
    readme = README.read_text(encoding="utf-8")
    assert readme.index("Your own corpus: `tifa corpus import") < readme.index(TITLE)


def _run_section(folder: Path) -> dict:
    write_csv(folder / "my.csv", columns=("doc_id", "source", "text"))
    namespace: dict = {"__name__": "__readme__"}
    import matplotlib.pyplot as plt

    try:
        for i, block in enumerate(python_blocks(), 1):
            exec(compile(block, f"README.md ({TITLE[3:]}, python block {i})", "exec"), namespace)
    finally:
        plt.close("all")
    return namespace


def _check(namespace: dict, folder: Path) -> None:
    corpus, tokens, rates = namespace["corpus"], namespace["tokens"], namespace["rates"]
    assert Path(corpus.home).resolve() == (folder / "mycorpus").resolve()  # save() gives the corpus its home
    assert (folder / "mycorpus" / "documents.jsonl").is_file()
    assert list((folder / "mycorpus" / "annotations").glob("*/provenance.json"))
    assert set(tokens["source"].astype(str)) == {"ministry", "press"}
    security = rates[rates["theme"] == "security"].set_index("source")
    assert security["count"].to_dict() == {"ministry": 5, "press": 2}  # see test_foreign_corpus
    png = folder / "themes.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_section_runs_with_the_fake_parser(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(models.ENV_DIR, str(tmp_path / "no-models"))
    monkeypatch.setattr(annotation, "resolve_model_set", lambda *args, **kwargs: fake_model_set())
    monkeypatch.setattr(annotation, "stanza_pipeline_factory", FakeParsers())
    namespace = _run_section(tmp_path)
    _check(namespace, tmp_path)
    assert namespace["tokens"].attrs["model_set"] == fake_model_set().id


@pytest.mark.slow
def test_the_section_runs_with_the_real_models(tmp_path, monkeypatch):
    model_dir = _real_model_dir()
    if model_dir is None:
        pytest.skip("no Stanza models: set TIFA_STANZA_DIR or put shared/stanza_resources beside the repository")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(models.ENV_DIR, str(model_dir))
    namespace = _run_section(tmp_path)
    _check(namespace, tmp_path)
    assert namespace["tokens"].attrs["model_set"] == models.resolve_model_set(model_dir).id
    assert (namespace["tokens"]["upos"] == "PUNCT").any()  # a real parse, not the fake one
