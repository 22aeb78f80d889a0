"""Figure saving is byte-identical; notebooks are committed without outputs; the style renders Chinese."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

import analysis
from analysis.overview import composition
from analysis.errors import TifaError
from analysis.figures import save_figure
from analysis.notebooks import notebook_paths, strip_outputs
from analysis.plots.corpus import plot_composition
from analysis.plots.style import cjk_font, tifa_style

ROOT = Path(__file__).resolve().parents[1]


def _figure():
    with tifa_style():
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.bar(["网络安全", "security"], [3, 1])
        ax.set_ylabel("hits per 1,000 words")
    return fig


def test_save_figure_is_byte_identical(tmp_path):
    data = pd.DataFrame({"term": ["网络安全", "security"], "rate": [3.0, 1 / 3]})
    a = save_figure(_figure(), "demo", data, out_dir=tmp_path / "a", seed=7, caption="Demo.")
    b = save_figure(_figure(), "demo", data, out_dir=tmp_path / "b", seed=7, caption="Demo.")
    for ext in ("png", "svg", "csv", "json"):
        assert a[ext].read_bytes() == b[ext].read_bytes(), ext
    assert a["csv"].read_text(encoding="utf-8").splitlines()[2] == "security,0.333333"
    record = json.loads(a["json"].read_text(encoding="utf-8"))
    assert record["seed"] == 7 and record["versions"]["matplotlib"] and "date" not in record
    assert b"Date" not in a["svg"].read_bytes()[:2000]


def test_save_figure_rejects_bad_names(tmp_path):
    with pytest.raises(TifaError, match="figure name"):
        save_figure(_figure(), "a b/c", pd.DataFrame(), out_dir=tmp_path)


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    assert cjk_font() is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise here
        _figure().savefig(tmp_path / "zh.png")


def test_composition_table_and_plot(seed_corpus):
    corpus = seed_corpus
    comp = composition(corpus.subset(lang="en"))
    official = comp[(comp.doc_id == "ideology-work-qiushi") & (comp.voice == "official")].iloc[0]
    assert official.paragraphs == 20
    dated = comp.drop_duplicates("doc_id").date.tolist()
    assert dated[0] == "2014-01-16" and dated[-1] == ""  # oldest first, undated last
    fig = plot_composition(comp)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "2014-01-16 · cai-wu-cultural-reform" and len(labels) == 19


@pytest.mark.parametrize("path", notebook_paths(ROOT / "notebooks") + [p for p in (ROOT / "notebooks").glob("seminar*.ipynb")],
                         ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert not strip_outputs(nb), f"{path.name} has outputs: strip them before committing"


def test_parse_note_names_the_model_set_and_its_las():
    import pandas as pd

    from analysis.figures import parse_note

    tokens = pd.DataFrame({"lemma": ["a"]})
    tokens.attrs["model_set"] = "offline-12345678"
    tokens.attrs["model_accuracy"] = {"en": {"test": "EWT test", "LAS": 80.237, "UPOS": 94.0},
                                      "zh-hans": {"test": "5-fold CV", "LAS": 55.0}}
    assert parse_note(tokens) == "Parsed by offline-12345678 (LAS 80.2 English, EWT test; 55.0 Chinese, 5-fold CV)."
    assert parse_note(tokens, ("en",)) == "Parsed by offline-12345678 (LAS 80.2 English, EWT test)."
    tokens.attrs["model_accuracy"] = {}
    assert parse_note(tokens) == "Parsed by offline-12345678 (no accuracy recorded for it)."
