"""Every notebook runs top to bottom headless and writes its figures; reruns are byte-identical.

This executes the paper's notebooks (about five minutes on a 2-core machine) into a temporary
figures folder, so the committed figures/ are never touched by the tests.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from analysis.notebooks import notebook_paths, run_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

FIGURES = {
    "01_corpus.ipynb": ["01_corpus_composition"],
    "02_themes.ipynb": ["02_theme_heatmap", "02_theme_rates_by_voice"],
    "03_dispersion.ipynb": ["03_dispersion"],
    "04_keyness.ipynb": ["04_keyness_official_vs_framing"],
    "05_collocation.ipynb": ["05_word_sketch_security", "05_word_sketch_anquan", "05_collocation_network_security"],
    "06_topics.ipynb": ["06_topic_sweep", "06_topic_terms", "06_topic_prevalence_by_voice"],
    "07_rhetoric.ipynb": ["07_rhetoric_profile_by_voice", "07_formulas_across_posts"],
    "08_bilingual.ipynb": ["08_term_translations", "08_pair_features"],
}

pytestmark = pytest.mark.slow


def test_every_numbered_notebook_is_listed():
    assert [p.name for p in notebook_paths(NOTEBOOKS)] == sorted(FIGURES)


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("figures")
    for path in notebook_paths(NOTEBOOKS):
        run_notebook(path, env={"TIFA_FIGURES_DIR": str(out)})
    return out


@pytest.mark.parametrize("notebook", sorted(FIGURES))
def test_notebook_writes_its_figures(figures, notebook):
    for name in FIGURES[notebook]:
        for ext in ("png", "svg", "csv", "json"):
            path = figures / f"{name}.{ext}"
            assert path.is_file() and path.stat().st_size > 0, f"{notebook} did not write {path.name}"


@pytest.mark.parametrize("name", [n for names in FIGURES.values() for n in names])
def test_committed_figure_data_is_current(figures, name):
    """The numbers behind each committed figure equal a fresh run's (rerun `tifa reproduce` if not)."""
    committed = ROOT / "figures" / f"{name}.csv"
    assert committed.is_file(), f"figures/{name}.csv is not committed; run `tifa reproduce`"
    assert filecmp.cmp(committed, figures / f"{name}.csv", shallow=False)


def test_rerun_is_byte_identical(figures, tmp_path):
    run_notebook(NOTEBOOKS / "04_keyness.ipynb", env={"TIFA_FIGURES_DIR": str(tmp_path)})
    for ext in ("png", "svg", "csv", "json"):
        name = f"04_keyness_official_vs_framing.{ext}"
        assert (tmp_path / name).read_bytes() == (figures / name).read_bytes(), name


@pytest.mark.parametrize("name", ["seminar.ipynb", "seminar_solutions.ipynb"])
def test_seminar_notebooks_run(name, tmp_path):
    nb = run_notebook(NOTEBOOKS / name, env={"TIFA_FIGURES_DIR": str(tmp_path)})
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
