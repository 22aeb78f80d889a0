"""Shared fixtures: the seed corpus and its Tokens table, loaded once per test session.

The seed's annotations are committed, so these load without a parser; a failure to load is a
real failure (never a skip). Tests that change a table take a copy.
"""

from __future__ import annotations

import pytest

import analysis


@pytest.fixture(scope="session")
def seed_corpus() -> analysis.Corpus:
    """The seed corpus (19 posts + 4 Chinese originals), built from the committed manifest."""
    return analysis.load_corpus()


@pytest.fixture(scope="session")
def seed_tokens(seed_corpus):
    """The seed's Tokens table, from the committed CoNLL-U annotations."""
    return analysis.load_tokens(seed_corpus)


@pytest.fixture(scope="session")
def seed_en(seed_tokens):
    """The English rows of the seed's Tokens table."""
    return seed_tokens[seed_tokens["lang"] == "en"].reset_index(drop=True)


@pytest.fixture(scope="session")
def seed_zh(seed_tokens):
    """The Chinese rows of the seed's Tokens table."""
    return seed_tokens[seed_tokens["lang"] == "zh"].reset_index(drop=True)


def isolate_from_models(monkeypatch, tmp_path) -> tuple:
    """No ambient Stanza configuration: no model env vars, an empty home (no config file), and the
    working directory ``tmp_path/work``. Returns ``(home, work)``."""
    from analysis import models

    for var in (models.ENV_DIR, models.ENV_PACKAGE, "STANZA_RESOURCES_DIR"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home, work
