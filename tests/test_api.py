"""The public API: every name in analysis.__all__ resolves, and functions win over same-named modules."""

from __future__ import annotations

import importlib

import analysis


def test_every_public_name_resolves():
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name


def test_functions_named_like_their_modules_stay_functions():
    for name in ("kwic", "keyness", "dispersion", "frequency", "formulas", "composition"):
        importlib.import_module(f"analysis.{name}")
        assert callable(getattr(analysis, name)) and not hasattr(getattr(analysis, name), "__path__"), name
        assert getattr(analysis, name).__module__ == f"analysis.{name}"
    assert analysis.annotate.__module__ == "analysis.annotation"
